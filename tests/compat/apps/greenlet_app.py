# greenlet: switching between greenlets, throw, parent chains.
import greenlet
from greenlet import greenlet as G, GreenletExit
log = []
def a(x):
    log.append(("a", x)); y = gb.switch(x + 1); log.append(("a2", y)); return "a done"
def b(x):
    log.append(("b", x)); r = ga.switch(x * 10); log.append(("b2", r))
ga, gb = G(a), G(b)
print(ga.switch(1), log, ga.dead, gb.dead)
def gen():
    try:
        greenlet.getcurrent().parent.switch("yielded")
    except GreenletExit:
        return "exited"
g = G(gen); print(g.switch(), g.throw(GreenletExit), g.dead)
print(greenlet.__version__ is not None, type(greenlet.getcurrent()).__name__)
