# anyio: task groups, memory streams, cancel scopes, a loopback TCP
# listener, to_thread, under the asyncio backend.
import anyio

async def worker(n, send):
    async with send:
        for i in range(3):
            await send.send((n, i))

async def echo(stream):
    async with stream:
        data = await stream.receive()
        await stream.send(data.upper())

async def main():
    send, recv = anyio.create_memory_object_stream(10)
    async with anyio.create_task_group() as tg:
        for n in range(2):
            tg.start_soon(worker, n, send.clone())
        send.close()
        got = sorted([x async for x in recv])
    print(got)
    with anyio.move_on_after(0.05) as scope:
        await anyio.sleep(5)
    print("cancelled", scope.cancelled_caught)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, echo)
        async with await anyio.connect_tcp("127.0.0.1", port) as c:
            await c.send(b"hello anyio")
            print(await c.receive())
        tg.cancel_scope.cancel()
    print(await anyio.to_thread.run_sync(sum, [1, 2, 3]))
    lock = anyio.Lock()
    async with lock:
        print("locked", lock.locked())
    print(anyio.get_current_task().name is not None)

anyio.run(main)
