# starlette: routes, middleware, background tasks, static files from a
# directory, templates (jinja2), websockets, via the TestClient (httpx).
import os, tempfile
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute, Mount
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles
from starlette.background import BackgroundTask
from starlette.testclient import TestClient
done = []
d = tempfile.mkdtemp()
with open(os.path.join(d, "hello.txt"), "w") as f:
    f.write("static content")
async def home(request):
    return JSONResponse({"path": request.url.path, "q": dict(request.query_params)})
async def item(request):
    return PlainTextResponse("item %d" % request.path_params["id"],
                             background=BackgroundTask(done.append, request.path_params["id"]))
async def ws(websocket):
    await websocket.accept()
    msg = await websocket.receive_text()
    await websocket.send_json({"echo": msg})
    await websocket.close()
app = Starlette(routes=[Route("/", home), Route("/items/{id:int}", item), WebSocketRoute("/ws", ws),
                        Mount("/static", StaticFiles(directory=d))],
                middleware=[Middleware(CORSMiddleware, allow_origins=["*"])])
with TestClient(app) as c:
    r = c.get("/?a=1", headers={"Origin": "http://x"})
    print(r.status_code, r.json(), r.headers["access-control-allow-origin"])
    print(c.get("/items/5").text, done)
    print(c.get("/items/nope").status_code)
    r = c.get("/static/hello.txt")
    print(r.status_code, r.text, r.headers["content-type"])
    with c.websocket_connect("/ws") as w:
        w.send_text("ping")
        print(w.receive_json())
