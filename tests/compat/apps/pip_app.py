# pip: its vendored libraries (packaging, rich, requests' structures,
# distlib's script templates), wheel/requirement parsing, and `pip` itself
# run in-process (`pip --version`, `pip list`, `pip download` from a local
# find-links directory with no index, `pip install --dry-run`).
import io, os, sys, tempfile, zipfile, contextlib, re
from pip._vendor.packaging.version import Version
from pip._vendor.packaging.requirements import Requirement
from pip._internal.models.wheel import Wheel
from pip._internal.req.constructors import install_req_from_line
print(sorted(map(Version, ["1.0", "1.0rc1", "0.9.post2"])))
print(Requirement("a[b]>=1; python_version>'3'").marker)
w = Wheel("demo-1.0-py3-none-any.whl")
print(w.name, w.version, sorted(str(t) for t in w.file_tags))
print(install_req_from_line("requests>=2,<3").req)
d = tempfile.mkdtemp()
whl = os.path.join(d, "demo_pkg-1.0-py3-none-any.whl")
with zipfile.ZipFile(whl, "w") as z:
    z.writestr("demo_pkg/__init__.py", "")
    z.writestr("demo_pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\n")
    z.writestr("demo_pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    z.writestr("demo_pkg-1.0.dist-info/RECORD", "")
from pip._internal.cli.main import main as pip_main
for args in (["download", "--no-index", "--find-links", d, "-d", os.path.join(d, "out"), "demo-pkg", "--no-cache-dir", "-q"],
             ["install", "--dry-run", "--no-index", "--find-links", d, "--target", os.path.join(d, "t"), "demo-pkg", "--no-cache-dir"]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = pip_main(args)
    print(args[0], rc, [re.sub(r"/\S+", "<path>", l) for l in out.getvalue().splitlines()])
print(sorted(os.listdir(os.path.join(d, "out"))))
from pip._vendor.distlib import scripts
print(type(scripts.ScriptMaker(None, d)).__name__)
