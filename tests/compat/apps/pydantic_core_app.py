# pydantic-core: SchemaValidator/SchemaSerializer built from core schemas,
# errors, to_json/from_json.
from pydantic_core import SchemaValidator, SchemaSerializer, ValidationError, core_schema as cs, to_json, from_json
schema = cs.typed_dict_schema({
    "name": cs.typed_dict_field(cs.str_schema(min_length=1)),
    "age": cs.typed_dict_field(cs.int_schema(ge=0)),
    "tags": cs.typed_dict_field(cs.list_schema(cs.str_schema()), required=False),
})
v = SchemaValidator(schema)
print(v.validate_python({"name": "x", "age": "42", "tags": ["a"]}))
print(v.validate_json(b'{"name": "y", "age": 3}'))
try:
    v.validate_python({"name": "", "age": -1})
except ValidationError as e:
    print(e.error_count(), sorted(err["type"] for err in e.errors()))
ser = SchemaSerializer(cs.dict_schema(cs.str_schema(), cs.float_schema()))
print(ser.to_json({"a": 1.5, "b": 2}), ser.to_python({"a": 1.0}))
print(to_json({"x": [1, None, "s"]}), from_json(b'[1, {"a": true}]'))
import pydantic_core
print(pydantic_core.__version__)
