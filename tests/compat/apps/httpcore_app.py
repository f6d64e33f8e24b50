# httpcore: connection pool against a loopback HTTP/1.1 server, sync and
# async (anyio backend), streaming.
import asyncio, http.server, threading
import httpcore

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = ("got " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d" % srv.server_address[1]
with httpcore.ConnectionPool() as pool:
    for i in range(2):
        r = pool.request("GET", url + "/s%d" % i)
        print(r.status, r.content, r.extensions["http_version"])
    with pool.stream("GET", url + "/stream") as r:
        print(b"".join(r.iter_stream()))
    print(len(pool.connections))
async def amain():
    async with httpcore.AsyncConnectionPool() as pool:
        r = await pool.request("GET", url + "/async")
        print(r.status, r.content)
asyncio.run(amain())
srv.shutdown()
