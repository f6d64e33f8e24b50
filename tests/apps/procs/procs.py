"""Process model scenarios: multiprocessing with each start method, pools,
managers, shared memory, process pools, re-running sys.executable, fork and
asyncio subprocesses. A script app, so functions defined here unpickle in
spawned children (as under `python procs.py`)."""
import asyncio
import concurrent.futures
import multiprocessing as mp
import os
import subprocess
import sys


def square(x):
    return x * x


def put_items(q, n):
    for i in range(n):
        q.put(i * 10)


def fill(shared, key):
    shared[key] = key.upper()


def write_shm(name):
    from multiprocessing import shared_memory

    shm = shared_memory.SharedMemory(name=name)
    shm.buf[:5] = b"hello"
    shm.close()


def nap(x):
    import time

    time.sleep(30)
    return x


def exit_worker(code):
    sys.exit(code)


def hard_exit(_):
    os._exit(3)


def segfault(_):
    import ctypes

    ctypes.string_at(0)


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    method = sys.argv[2] if len(sys.argv) > 2 else "spawn"
    ctx = mp.get_context(method) if what.startswith("mp-") else None
    if what == "mp-pool":
        with ctx.Pool(2) as pool:
            print(method, pool.map(square, range(6)))
    elif what == "mp-queue":
        q = ctx.Queue()
        p = ctx.Process(target=put_items, args=(q, 3))
        p.start()
        print(method, [q.get(timeout=20) for _ in range(3)])
        p.join()
        print("exitcode", p.exitcode)
    elif what == "mp-manager":
        with ctx.Manager() as manager:
            shared = manager.dict()
            procs = [ctx.Process(target=fill, args=(shared, k)) for k in ("a", "b")]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
            print(method, sorted(shared.items()))
    elif what == "mp-shm":
        from multiprocessing import shared_memory

        shm = shared_memory.SharedMemory(create=True, size=16)
        try:
            p = ctx.Process(target=write_shm, args=(shm.name,))
            p.start()
            p.join()
            print(method, bytes(shm.buf[:5]))
        finally:
            shm.close()
            shm.unlink()
    elif what == "mp-exit":
        p = ctx.Process(target=exit_worker, args=(7,))
        p.start()
        p.join()
        print(method, "worker exitcode", p.exitcode)
    elif what == "mp-crash":
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
            try:
                list(ex.map(hard_exit if sys.argv[3] == "exit" else segfault, range(2)))
            except concurrent.futures.process.BrokenProcessPool as e:
                print(method, "broken pool:", type(e).__name__)
    elif what == "mp-executor":
        with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
            print(method, sorted(ex.map(square, range(5))))
    elif what == "sleepy-pool":
        with mp.get_context("spawn").Pool(2) as pool:
            print(pool.map(nap, range(2)))
    elif what == "reexec":
        out = subprocess.run([sys.executable, "child", "from-parent"], capture_output=True, text=True)
        print("child said:", out.stdout.strip(), out.returncode)
    elif what == "child":
        print("child running with", sys.argv[1:])
        return 5
    elif what == "fork":
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            os.write(w, str(sum(range(1000))).encode())
            os._exit(0)
        os.close(w)
        data = os.read(r, 100)
        _, status = os.waitpid(pid, 0)
        print("forked child computed", data.decode(), os.waitstatus_to_exitcode(status))
    elif what == "asyncio-subprocess":

        async def run():
            proc = await asyncio.create_subprocess_exec(
                "/bin/echo", "async", "child", stdout=asyncio.subprocess.PIPE
            )
            out, _ = await proc.communicate()
            return out.decode().strip(), proc.returncode

        print(asyncio.run(run()))
    else:
        print("app arguments:", sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
