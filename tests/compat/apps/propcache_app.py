# propcache: cached properties with the C extension.
from propcache.api import cached_property, under_cached_property
import propcache
calls = []
class A:
    def __init__(self): self._cache = {}
    @under_cached_property
    def val(self):
        calls.append(1); return 42
    @cached_property
    def other(self):
        calls.append(2); return "x"
a = A()
print(a.val, a.val, a.other, a.other, calls, a._cache)
import propcache._helpers as h
print(h.under_cached_property.__module__)
