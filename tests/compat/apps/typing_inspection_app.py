# typing-inspection: introspect annotations as pydantic does.
from typing import Annotated, ClassVar, Final, Literal, Optional, Union
from typing_inspection import typing_objects
from typing_inspection.introspection import inspect_annotation, AnnotationSource, get_literal_values, is_union_origin
import typing
ia = inspect_annotation(Annotated[ClassVar[int], "meta"], annotation_source=AnnotationSource.CLASS)
print(ia.type, sorted(ia.qualifiers), ia.metadata)
print(list(get_literal_values(Literal[1, "a", Literal[True]])))
print(typing_objects.is_literal(Literal), typing_objects.is_annotated(Annotated), typing_objects.is_final(Final))
print(is_union_origin(typing.get_origin(Optional[int])), is_union_origin(typing.get_origin(int | str)))
