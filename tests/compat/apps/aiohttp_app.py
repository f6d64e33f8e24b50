# aiohttp: a web.Application with routes, middleware, JSON, websockets,
# served on loopback and called with aiohttp.ClientSession and TestClient.
import asyncio
from aiohttp import web, ClientSession, WSMsgType
from aiohttp.test_utils import TestClient, TestServer

@web.middleware
async def mw(request, handler):
    resp = await handler(request)
    resp.headers["X-MW"] = "1"
    return resp

async def hello(request):
    return web.json_response({"hello": request.match_info["name"], "q": request.query.get("q")})

async def post(request):
    data = await request.json()
    return web.Response(text="sum=%d" % sum(data["n"]))

async def ws(request):
    w = web.WebSocketResponse()
    await w.prepare(request)
    async for msg in w:
        if msg.type == WSMsgType.TEXT:
            await w.send_str("echo:" + msg.data)
            await w.close()
    return w

def make_app():
    app = web.Application(middlewares=[mw])
    app.router.add_get("/hello/{name}", hello)
    app.router.add_post("/sum", post)
    app.router.add_get("/ws", ws)
    return app

async def main():
    async with TestClient(TestServer(make_app(), host="127.0.0.1")) as client:
        r = await client.get("/hello/bob?q=1")
        print(r.status, await r.json(), r.headers["X-MW"])
        r = await client.post("/sum", json={"n": [1, 2, 3]})
        print(r.status, await r.text())
        r = await client.get("/missing")
        print(r.status)
        async with client.ws_connect("/ws") as w:
            await w.send_str("hi")
            print((await w.receive()).data)
    runner = web.AppRunner(make_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with ClientSession() as s:
        async with s.get("http://127.0.0.1:%d/hello/real" % port) as r:
            print(r.status, await r.json())
    await runner.cleanup()
asyncio.run(main())
