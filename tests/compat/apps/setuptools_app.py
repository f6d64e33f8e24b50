# setuptools: build an sdist and a wheel of a tiny project in a temp dir
# through the PEP 517 backend, plus find_packages and the version helpers.
import os, sys, tempfile, tarfile, zipfile, contextlib, io
import setuptools
from setuptools import find_packages
from setuptools.build_meta import build_sdist, build_wheel

d = tempfile.mkdtemp()
os.makedirs(os.path.join(d, "src", "demo", "sub"))
for p in ["src/demo/__init__.py", "src/demo/sub/__init__.py"]:
    open(os.path.join(d, p), "w").write("X = 1\n")
open(os.path.join(d, "pyproject.toml"), "w").write(
    '[build-system]\nrequires=["setuptools"]\nbuild-backend="setuptools.build_meta"\n'
    '[project]\nname="demo"\nversion="1.2.3"\ndescription="d"\n'
    '[tool.setuptools.packages.find]\nwhere=["src"]\n')
print(sorted(find_packages(os.path.join(d, "src"))))
out = os.path.join(d, "dist")
os.makedirs(out)
cwd = os.getcwd()
os.chdir(d)
buf = io.StringIO()
with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
    sd = build_sdist(out)
    wh = build_wheel(out)
os.chdir(cwd)
print(sd, wh)
print(sorted(n.split("/", 1)[1] for n in tarfile.open(os.path.join(out, sd)).getnames() if "/" in n and n.endswith(".py")))
print(sorted(zipfile.ZipFile(os.path.join(out, wh)).namelist()))
