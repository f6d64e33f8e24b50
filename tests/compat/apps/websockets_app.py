# websockets: asyncio server and client on loopback (echo, JSON, ping,
# close codes), the sync client, and the C speedups for masking.
import asyncio, json, threading
import websockets
from websockets.asyncio.server import serve
from websockets.asyncio.client import connect
from websockets.sync.client import connect as sync_connect
async def handler(ws):
    async for msg in ws:
        if msg == "close":
            await ws.close(4000, "bye")
            return
        await ws.send(json.dumps({"echo": msg, "path": ws.request.path}))
async def main():
    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect("ws://127.0.0.1:%d/chat" % port) as ws:
            await ws.send("hello")
            print(await ws.recv())
            await ws.send("x" * 70000)
            print(len(json.loads(await ws.recv())["echo"]))
            await (await ws.ping())
            await ws.send("close")
            try:
                await ws.recv()
            except websockets.ConnectionClosed as e:
                print("closed", e.rcvd.code, e.rcvd.reason)
        def sync_part():
            with sync_connect("ws://127.0.0.1:%d/sync" % port) as ws:
                ws.send("sync")
                return ws.recv()
        print(await asyncio.to_thread(sync_part))
asyncio.run(main())
from websockets import speedups
print(speedups.__name__)
