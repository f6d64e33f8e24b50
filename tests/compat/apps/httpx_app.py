# httpx: sync and async clients over a MockTransport, plus a real request
# to a loopback server; URL/headers/cookies helpers.
import asyncio, http.server, threading, json
import httpx

def handler(request: httpx.Request):
    return httpx.Response(200, json={"method": request.method, "url": str(request.url),
                                     "body": request.content.decode()})
with httpx.Client(transport=httpx.MockTransport(handler), base_url="https://api.test") as c:
    r = c.post("/items", params={"q": 1}, json={"a": 1})
    print(r.status_code, r.json(), r.headers["content-type"])
async def amain():
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as c:
        rs = await asyncio.gather(*[c.get("https://x.test/%d" % i) for i in range(3)])
        print([r.json()["url"] for r in rs])
asyncio.run(amain())

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
r = httpx.get("http://127.0.0.1:%d/real?x=1" % srv.server_address[1], timeout=5)
print(r.status_code, r.json(), r.http_version)
srv.shutdown()
u = httpx.URL("https://user@example.com:8080/a/b?x=1&y=2")
print(u.host, u.port, u.path, dict(u.params), u.copy_with(path="/c"))
print(httpx.Headers({"A": "1", "a": "2"}).get_list("a"), httpx.codes.NOT_FOUND.phrase)
