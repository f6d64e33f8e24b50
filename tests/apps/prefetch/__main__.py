"""Native code unpacked ahead of import: what is prefetched, and a fork
while the prefetch thread is still unpacking."""
import os
import sys

# Forked before the imports below: the child has no prefetch thread and
# unpacks what it imports itself, while the parent takes what the thread
# unpacked (or is unpacking: libcrypto is 4.7 MB).
pid = os.fork()
if pid == 0:
    # The child keeps whatever it inherited while the parent loads its
    # native code: a writable mapping of a memory file being unpacked at
    # the fork must not have come along (it would stop the parent from
    # sealing that file).
    import time

    time.sleep(0.5)
import hashlib
import decimal

try:
    import zlib
except ImportError:
    import _queue  # a fallback that never runs: not prefetched


class Speedups:
    import _json as json_speedups  # a class body runs at import: prefetched


def later():
    import mmap  # runs only when called: not prefetched
    import fractions  # nor stored to unpack fast (LZ4): it does not run at start

    return mmap.PAGESIZE > 0


who = "child" if pid == 0 else "parent"
if pid:
    os.waitpid(pid, 0)
print(who, hashlib.sha256(b"x").hexdigest()[:12], decimal.Decimal(1) / 7)
print(who, Speedups.json_speedups.__name__, later(), zlib.crc32(b"x"), "_queue" in sys.modules)
sys.stdout.flush()
if pid == 0:
    os._exit(0)
