# urllib3: a PoolManager against a loopback HTTP server, retries, url utils,
# multipart encoding.
import http.server, threading, json
import urllib3
from urllib3.util import parse_url, Retry, Timeout
from urllib3.filepost import encode_multipart_formdata

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "ua": self.headers["User-Agent"][:7]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        n = int(self.headers["Content-Length"])
        data = self.rfile.read(n)
        self.send_response(201)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
base = "http://127.0.0.1:%d" % srv.server_address[1]
http_ = urllib3.PoolManager(retries=Retry(total=2, backoff_factor=0), timeout=Timeout(5))
r = http_.request("GET", base + "/a/b?x=1")
print(r.status, r.json())
r = http_.request("POST", base + "/p", fields={"k": "v"})
print(r.status, b'name="k"' in r.data)
u = parse_url("https://user:pw@example.com:8443/p/a?q=1#frag")
print(u.scheme, u.auth, u.host, u.port, u.path, u.query, u.fragment)
body, ctype = encode_multipart_formdata({"a": "1"}, boundary="XyZ")
print(ctype, len(body))
print(urllib3.util.make_headers(basic_auth="u:p", keep_alive=True))
srv.shutdown()
