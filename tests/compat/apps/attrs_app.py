# attrs: define/field, validators, converters, evolve, asdict, slots, frozen.
import attrs
from attr import validators as v

@attrs.define
class Point:
    x: int = attrs.field(converter=int)
    y: int = attrs.field(default=0, validator=v.instance_of(int))
    tags: list = attrs.Factory(list)

@attrs.frozen(order=True)
class Version:
    major: int
    minor: int = 0

p = Point("3", 4)
print(p, attrs.asdict(p), attrs.astuple(p))
print(attrs.evolve(p, y=9), p == Point(3, 4))
try:
    Point(1, "no")
except TypeError as e:
    print("TypeError", str(e).split(" (")[0][:40])
print(sorted([Version(1, 2), Version(0, 9), Version(1)]))
try:
    Version(1).major = 2
except attrs.exceptions.FrozenInstanceError:
    print("frozen")
print([f.name for f in attrs.fields(Point)], attrs.has(Point), hasattr(p, "__dict__"))
@attrs.define(kw_only=True)
class K:
    a: int = attrs.field(validator=[v.ge(0), v.le(10)])
print(K(a=5), attrs.__version__ is not None)
