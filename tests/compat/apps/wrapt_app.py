# wrapt: decorators preserving signatures, object proxies, post-import hooks.
import inspect
import wrapt
@wrapt.decorator
def log(wrapped, instance, args, kwargs):
    return ("logged", wrapped(*args, **kwargs))
@log
def add(a, b=2):
    """Add."""
    return a + b
class C:
    @log
    def m(self, x): return x * 2
print(add(1), add.__name__, add.__doc__, str(inspect.signature(add)), C().m(4))
class P(wrapt.ObjectProxy):
    def extra(self): return "extra:%r" % (self.__wrapped__,)
p = P([1, 2])
p.append(3)
print(p, len(p), isinstance(p, list), p.extra())
hits = []
@wrapt.when_imported("json")
def hook(mod): hits.append(mod.__name__)
import json
print(hits)
print(type(wrapt.FunctionWrapper).__module__)
