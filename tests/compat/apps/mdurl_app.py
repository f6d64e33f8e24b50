# mdurl: URL parse/encode/decode as markdown-it uses it.
import mdurl
u = mdurl.parse("HTTPS://User@Example.COM:8000/p a/th?q=1#h")
print(u)
print(mdurl.format(u), mdurl.encode("/a b/é?x=%zz"), mdurl.decode("%E2%9C%93%20x"))
