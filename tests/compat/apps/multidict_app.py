# multidict: MultiDict/CIMultiDict with the C extension, proxies, istr.
import multidict
from multidict import MultiDict, CIMultiDict, MultiDictProxy, istr
md = MultiDict([("a", 1), ("b", 2), ("a", 3)])
print(md.getall("a"), md["a"], len(md), list(md.items()))
md.add("c", 4); md.extend(a=5); md.popone("b")
print(list(md.keys()), md.getall("a"))
ci = CIMultiDict({"Content-Type": "text/html"})
ci.add("SET-cookie", "a"); ci.add("set-cookie", "b")
print(ci["content-type"], ci.getall("Set-Cookie"), "CONTENT-TYPE" in ci)
print(MultiDictProxy(md).get("zz", "default"), istr("Hello") == "Hello")
print(type(md).__module__, multidict.USE_EXTENSIONS if hasattr(multidict, "USE_EXTENSIONS") else "?")
