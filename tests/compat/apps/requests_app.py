# requests: a Session against a loopback server (JSON, params, cookies,
# redirects, auth), PreparedRequest building and adapters.
import http.server, threading, json
import requests
from requests.adapters import HTTPAdapter

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/redir"):
            self.send_response(302)
            self.send_header("Location", "/final")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"path": self.path, "auth": self.headers.get("Authorization"),
                           "cookie": self.headers.get("Cookie")}).encode()
        self.send_response(200)
        self.send_header("Set-Cookie", "sid=abc; Path=/")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % srv.server_address[1]
s = requests.Session()
s.mount("http://", HTTPAdapter(max_retries=1))
r = s.get(base + "/x", params={"q": "a b", "n": 1}, auth=("u", "p"), timeout=5)
print(r.status_code, r.json(), r.headers["Content-Type"])
r = s.get(base + "/redir", timeout=5)
print(r.status_code, [h.status_code for h in r.history], r.json()["cookie"])
req = requests.Request("POST", "https://example.com/api", json={"a": [1, 2]},
                       headers={"X-Test": "1"}, params={"v": "2"})
p = req.prepare()
print(p.method, p.url, p.body, p.headers["Content-Type"], p.headers["Content-Length"])
print(requests.utils.requote_uri("http://e.com/a b"), requests.codes.teapot)
try:
    requests.get("http://127.0.0.1:1/", timeout=2)
except requests.ConnectionError as e:
    print("connection error", type(e).__name__)
srv.shutdown()
