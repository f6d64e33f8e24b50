# annotated-doc: Doc metadata in Annotated, read back with get_type_hints.
from typing import Annotated, get_type_hints
from annotated_doc import Doc
def greet(name: Annotated[str, Doc("The name to greet.")], times: Annotated[int, Doc("How often.")] = 1) -> str:
    return " ".join(["hi " + name] * times)
hints = get_type_hints(greet, include_extras=True)
for k, v in hints.items():
    docs = [m.documentation for m in getattr(v, "__metadata__", ()) if isinstance(m, Doc)]
    print(k, docs)
print(greet("x", 2), repr(Doc("d")), Doc("a") == Doc("a"))
