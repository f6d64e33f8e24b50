# aiosignal: Signal callbacks as aiohttp uses them.
import asyncio
from aiosignal import Signal
class Owner: pass
got = []
async def cb(x, y): got.append(("cb", x, y))
async def cb2(x, y): got.append(("cb2", x + y))
async def main():
    s = Signal(Owner())
    s.append(cb); s.append(cb2)
    s.freeze()
    await s.send(1, 2)
    print(got, s.frozen, len(s))
    try:
        s.append(cb)
    except RuntimeError as e:
        print("RuntimeError", e)
asyncio.run(main())
