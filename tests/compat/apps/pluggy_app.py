# pluggy: hookspecs, hookimpls, ordering, wrappers, setuptools entry points.
import pluggy
hookspec = pluggy.HookspecMarker("demo")
hookimpl = pluggy.HookimplMarker("demo")

class Spec:
    @hookspec
    def compute(self, x):
        """compute"""
    @hookspec(firstresult=True)
    def first(self, x):
        """first"""

class A:
    @hookimpl
    def compute(self, x):
        return x + 1
    @hookimpl
    def first(self, x):
        return None

class B:
    @hookimpl(tryfirst=True)
    def compute(self, x):
        return x * 10
    @hookimpl
    def first(self, x):
        return "B%d" % x

class W:
    @hookimpl(wrapper=True)
    def compute(self, x):
        res = yield
        return res + [-1]

pm = pluggy.PluginManager("demo")
pm.add_hookspecs(Spec)
for p in (A(), B(), W()):
    pm.register(p)
print(pm.hook.compute(x=3))
print(pm.hook.first(x=5))
print(sorted(type(p).__name__ for p in pm.get_plugins()))
print(pm.load_setuptools_entrypoints("demo_nonexistent_group"))
print(pluggy.__version__ is not None)
