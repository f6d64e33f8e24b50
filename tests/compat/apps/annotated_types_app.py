# annotated-types: constraint metadata consumed by pydantic-style code.
from typing import Annotated, get_args
import annotated_types as at
T = Annotated[int, at.Gt(0), at.Le(10), at.MultipleOf(2)]
meta = get_args(T)[1:]
print(meta)
def check(value, constraints):
    for c in constraints:
        if isinstance(c, at.Gt) and not value > c.gt: return "fails %r" % c
        if isinstance(c, at.Le) and not value <= c.le: return "fails %r" % c
        if isinstance(c, at.MultipleOf) and value % c.multiple_of: return "fails %r" % c
    return "ok"
print([check(v, meta) for v in (4, 0, 12, 3)])
print(list(at.Interval(gt=1, lt=5)), at.Len(1, 3), at.Predicate(str.isdigit))
print(list(at.doc("x") and [at.doc("x").documentation]))
