# yarl: URL parsing/building with its C extension, quoting, query handling.
from yarl import URL
import yarl
u = URL("https://user:pa%20ss@ex.com:8080/path/to/ré?q=1&q=2&x=a+b#frag")
print(u.scheme, u.user, u.password, u.host, u.port, u.path, u.raw_path, u.fragment)
print(u.query.getall("q"), u.query["x"], u.raw_query_string)
print(u / "sub" % {"k": "v"}, u.with_path("/new").with_query(a=1, b=[1, 2]))
print(URL.build(scheme="http", host="пример.рф", path="/a b", query={"c": "d"}))
print(URL("http://a/b/c/d;p?q").join(URL("../g")), u.parent, u.name, u.suffix)
print(URL("http://ex.com").is_default_port(), u.origin(), u.human_repr())
print(yarl._quoting.__name__, type(yarl._quoting._Quoter).__module__)
