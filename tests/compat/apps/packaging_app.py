# packaging: versions, specifiers, markers, requirements, tags, metadata.
from packaging.version import Version, parse
from packaging.specifiers import SpecifierSet
from packaging.requirements import Requirement
from packaging.markers import Marker
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging import tags

vs = sorted(["1.0", "1.0.post1", "1.0a1", "2.0.dev3", "1.10", "1.9"], key=Version)
print(vs)
s = SpecifierSet(">=1.0,<2,!=1.5.*")
print([v for v in ["0.9", "1.0", "1.5.2", "1.9", "2.0"] if v in s])
r = Requirement('requests[security,socks]>=2.8.1; python_version < "4"')
print(r.name, sorted(r.extras), str(r.specifier), str(r.marker))
m = Marker('os_name == "posix" and python_version >= "3.8"')
print(m.evaluate({"os_name": "posix", "python_version": "3.11"}))
print(canonicalize_name("Foo.Bar_baz"), parse_wheel_filename("pkg-1.2-py3-none-any.whl")[:2])
t = list(tags.sys_tags())
print(any(x.interpreter == "cp311" for x in t), str(t[-1]))
print(parse("3.11.2").release, Version("1!2.0").epoch)
