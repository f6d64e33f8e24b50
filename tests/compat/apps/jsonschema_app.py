# jsonschema: Draft 2020-12 validation with $ref via referencing, format
# checking, error trees, the bundled metaschemas.
import jsonschema
from jsonschema import Draft202012Validator, Draft7Validator, validate, ValidationError
from referencing import Registry, Resource
schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
          "properties": {"name": {"type": "string", "minLength": 2},
                         "age": {"type": "integer", "minimum": 0},
                         "email": {"type": "string", "format": "email"},
                         "addr": {"$ref": "urn:addr"}},
          "required": ["name", "age"], "additionalProperties": False}
addr = Resource.from_contents({"$schema": "https://json-schema.org/draft/2020-12/schema",
                               "type": "object", "properties": {"zip": {"pattern": "^[0-9]{5}$"}}})
reg = Registry().with_resource("urn:addr", addr)
v = Draft202012Validator(schema, registry=reg, format_checker=Draft202012Validator.FORMAT_CHECKER)
print(v.is_valid({"name": "ab", "age": 3, "addr": {"zip": "12345"}}))
errs = sorted(v.iter_errors({"name": "a", "age": -1, "email": "nope", "x": 1, "addr": {"zip": "1"}}),
              key=lambda e: list(e.path))
for e in errs:
    print(list(e.path), e.validator, e.message)
Draft202012Validator.check_schema(schema)
Draft7Validator.check_schema({"type": "string"})
try:
    validate(3, {"type": "string"})
except ValidationError as e:
    print("ValidationError", e.message)
print(jsonschema.validators.validator_for({"$schema": "http://json-schema.org/draft-04/schema#"}).__name__)
