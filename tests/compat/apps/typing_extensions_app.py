# typing_extensions: backported typing features used at runtime.
from typing_extensions import (TypedDict, Literal, Protocol, runtime_checkable,
    Annotated, get_type_hints, NotRequired, Self, TypeAliasType, deprecated,
    ParamSpec, override, get_args, get_origin, TypeVar, ReadOnly, Doc)

class Movie(TypedDict):
    title: str
    year: NotRequired[int]
    rating: ReadOnly[float]

print(sorted(Movie.__required_keys__), sorted(Movie.__optional_keys__), sorted(Movie.__readonly_keys__))

@runtime_checkable
class Closer(Protocol):
    def close(self) -> None: ...

class F:
    def close(self): pass
print(isinstance(F(), Closer), isinstance(1, Closer))
A = Annotated[int, "meta", Doc("doc")]
print(get_origin(A) is Annotated, get_args(A)[:2])
T = TypeVar("T", default=int)
print(T.__default__)
Alias = TypeAliasType("Alias", list[int])
print(Alias.__name__, Alias.__value__)

@deprecated("use g")
def f(): return 1
import warnings
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    f()
print([str(x.message) for x in w])
print(get_args(Literal[1, "a"]))
