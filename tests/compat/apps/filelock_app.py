# filelock: FileLock/SoftFileLock, reentrancy, timeouts across threads.
import os, tempfile, threading
from filelock import FileLock, SoftFileLock, Timeout
d = tempfile.mkdtemp()
lock = FileLock(os.path.join(d, "a.lock"))
with lock:
    print("held", lock.is_locked)
    with lock:
        print("reentrant", lock.lock_counter)
    res = []
    def other():
        try:
            FileLock(os.path.join(d, "a.lock"), thread_local=False).acquire(timeout=0.1)
            res.append("acquired")
        except Timeout:
            res.append("timeout")
    t = threading.Thread(target=other); t.start(); t.join()
    print(res)
print("released", lock.is_locked)
s = SoftFileLock(os.path.join(d, "b.lock"))
with s:
    print("soft", os.path.exists(os.path.join(d, "b.lock")))
print(os.path.exists(os.path.join(d, "b.lock")))
