# pytest: run pytest.main on a test file written to a temp dir (collection,
# fixtures, parametrize, assertion rewriting, plugins from entry points).
import os, sys, tempfile, io, re, contextlib
import pytest
d = tempfile.mkdtemp()
with open(os.path.join(d, "test_demo.py"), "w") as f:
    f.write('''
import pytest
@pytest.fixture
def num():
    return 41
def test_fixture(num):
    assert num + 1 == 42
@pytest.mark.parametrize("a,b", [(1, 2), (2, 3), (3, 5)])
def test_param(a, b):
    assert a + 1 == b
def test_raises():
    with pytest.raises(ZeroDivisionError):
        1 / 0
def test_fail_rewrite():
    x = [1, 2, 3]
    assert x == [1, 2, 4]
@pytest.mark.skip(reason="nope")
def test_skip():
    pass
''')
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    rc = pytest.main(["-q", "-p", "no:cacheprovider", "-o", "console_output_style=classic",
                      os.path.join(d, "test_demo.py")])
# pytest names the file relative to the working directory when that is
# near the temp dir (a checkout under /tmp): its random name goes too.
out = buf.getvalue().replace(d, "<tmp>").replace(os.path.basename(d), "<tmp>")
out = re.sub(r"in [0-9.]+s", "in Xs", out)
print("rc", int(rc))
for line in out.splitlines():
    if line.startswith(("E ", "FAILED", "=", ".")) or "passed" in line:
        print(line)
