# wheel: write a wheel with WheelFile (hashes, RECORD), read it back, and the
# `wheel` command line (python -m wheel) unpack/tags commands.
import os, sys, tempfile, zipfile, contextlib, io, runpy
from wheel.wheelfile import WheelFile
d = tempfile.mkdtemp()
p = os.path.join(d, "demo-1.0-py3-none-any.whl")
with WheelFile(p, "w") as wf:
    wf.writestr("demo/__init__.py", "X = 1\n")
    wf.writestr("demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")
    wf.writestr("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
with WheelFile(p) as wf:
    print(wf.parsed_filename.group("name"), wf.dist_info_path, sorted(wf.namelist()))
    print(wf.read("demo-1.0.dist-info/RECORD").decode().splitlines())
for argv in (["wheel", "unpack", "-d", d, p], ["wheel", "tags", "--python-tag", "py311", p]):
    sys.argv = argv
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_module("wheel", run_name="__main__")
        except SystemExit:
            pass
    print(out.getvalue().replace(d, "<tmp>").strip())
print(sorted(os.listdir(os.path.join(d, "demo-1.0"))))
