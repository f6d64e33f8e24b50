# grpcio: an in-process server on loopback with generic handlers for unary
# and streaming RPCs, metadata, deadlines, and the aio API.
import asyncio
from concurrent import futures
import grpc
def unary(req, ctx):
    ctx.set_trailing_metadata((("x-trailer", "t"),))
    return req.upper()
def stream(req, ctx):
    for i in range(int(req)):
        yield b"item%d" % i
def slow(req, ctx):
    import time; time.sleep(2); return b""
handlers = {"Up": grpc.unary_unary_rpc_method_handler(unary),
            "Count": grpc.unary_stream_rpc_method_handler(stream),
            "Slow": grpc.unary_unary_rpc_method_handler(slow)}
server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("demo.S", handlers)])
port = server.add_insecure_port("127.0.0.1:0")
server.start()
target = "127.0.0.1:%d" % port
with grpc.insecure_channel(target) as ch:
    grpc.channel_ready_future(ch).result(timeout=10)
    resp, call = ch.unary_unary("/demo.S/Up").with_call(b"hello", metadata=(("k", "v"),))
    print(resp, call.code(), dict(call.trailing_metadata()))
    print(list(ch.unary_stream("/demo.S/Count")(b"3")))
    try:
        ch.unary_unary("/demo.S/Slow")(b"", timeout=0.2)
    except grpc.RpcError as e:
        print(e.code())
    try:
        ch.unary_unary("/demo.S/Nope")(b"")
    except grpc.RpcError as e:
        print(e.code())
async def aio():
    async with grpc.aio.insecure_channel(target) as ch:
        print(await ch.unary_unary("/demo.S/Up")(b"aio"))
asyncio.run(aio())
server.stop(None)
print(grpc.__version__ is not None)
