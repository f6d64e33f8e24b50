# iniconfig: parse an ini file as pytest does.
import os, tempfile
import iniconfig
p = os.path.join(tempfile.mkdtemp(), "pytest.ini")
with open(p, "w") as f:
    f.write("[pytest]\naddopts = -q\n   -x\nmarkers =\n  slow: slow tests\n[other]\nk=v\n")
ini = iniconfig.IniConfig(p)
print(list(ini.sections), ini["pytest"]["addopts"].split(), ini.get("other", "k"))
print(ini["pytest"].lineof("markers"), ini.get("nope", "x", default="dflt"))
try:
    iniconfig.IniConfig("bad.ini", data="[s]\n  bad continuation\nno_equals\n")
except iniconfig.ParseError as e:
    print("ParseError", e.lineno, e.msg)
