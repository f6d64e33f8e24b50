# frozenlist: FrozenList with the C extension.
from frozenlist import FrozenList
import frozenlist
fl = FrozenList([1, 2])
fl.append(3); fl.extend([4]); fl.insert(0, 0)
print(list(fl), fl.frozen)
fl.freeze()
try:
    fl.append(5)
except RuntimeError as e:
    print("RuntimeError", e)
print(hash(fl) == hash(tuple(fl)), fl == [0, 1, 2, 3, 4], type(fl).__module__)
