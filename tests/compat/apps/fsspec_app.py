# fsspec: the filesystem registry, memory and local filesystems, url chaining,
# caching, open_files, glob.
import os, tempfile
import fsspec
from fsspec.registry import known_implementations as _known
fsspec.registry_known = _known
from fsspec.implementations.memory import MemoryFileSystem
m = fsspec.filesystem("memory")
with m.open("/data/a.txt", "w") as f:
    f.write("alpha\n")
m.pipe("/data/b.bin", b"\x00\x01")
print(sorted(m.ls("/data", detail=False)), m.cat("/data/a.txt"), m.info("/data/b.bin")["size"])
d = tempfile.mkdtemp()
local = fsspec.filesystem("file")
for n in ("x.csv", "y.csv", "z.txt"):
    with open(os.path.join(d, n), "w") as f:
        f.write(n)
print(sorted(os.path.basename(p) for p in local.glob(d + "/*.csv")))
with fsspec.open("memory://data/a.txt") as f:
    print(f.read())
with fsspec.open("file://" + os.path.join(d, "g.gz"), "wt", compression="gzip") as f:
    f.write("compressed text")
with fsspec.open(os.path.join(d, "g.gz"), "rt", compression="infer") as f:
    print(f.read())
fs, path = fsspec.core.url_to_fs("simplecache::memory://data/a.txt")
print(type(fs).__name__, path)
print(sorted(k for k in fsspec.registry_known if k in ("s3", "gcs", "http", "zip", "memory")))
import zipfile
zp = os.path.join(d, "arch.zip")
with zipfile.ZipFile(zp, "w") as z:
    z.writestr("in/zip.txt", "zipped")
zfs = fsspec.filesystem("zip", fo=zp)
print(zfs.ls("in", detail=False), zfs.cat("in/zip.txt"))
