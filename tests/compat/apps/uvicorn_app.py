# uvicorn: Config loading an ASGI app by import string, a real Server on
# loopback (h11 protocol, lifespan) answering one request, then shut down.
import asyncio, http.client, threading, sys, types
import uvicorn
events = []
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            m = await receive()
            events.append(m["type"])
            if m["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = ("%s %s" % (scope["method"], scope["path"])).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})
mod = types.ModuleType("asgimod"); mod.app = app; sys.modules["asgimod"] = mod
cfg = uvicorn.Config("asgimod:app", host="127.0.0.1", port=0, log_level="warning", http="h11", loop="asyncio")
server = uvicorn.Server(cfg)
cfg.load()
print(cfg.loaded_app is not None, type(cfg.loaded_app).__name__, cfg.http_protocol_class.__name__)
t = threading.Thread(target=server.run, daemon=True)
t.start()
import time
for _ in range(200):
    if server.started:
        break
    time.sleep(0.02)
port = server.servers[0].sockets[0].getsockname()[1]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
conn.request("GET", "/hello?x=1")
r = conn.getresponse()
print(r.status, r.read(), r.getheader("server"))
server.should_exit = True
t.join(10)
print(events)
