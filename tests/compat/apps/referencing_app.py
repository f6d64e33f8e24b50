# referencing: registries, resources and $ref resolution across specs.
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012, DRAFT7
import referencing.exceptions
a = Resource.from_contents({"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:a",
                            "$defs": {"n": {"type": "integer"}}, "properties": {"x": {"$ref": "urn:b#/p"}}})
b = DRAFT7.create_resource({"p": {"type": "string"}})
reg = Registry().with_resources([("urn:a", a), ("urn:b", b)])
r = reg.resolver()
print(r.lookup("urn:a#/$defs/n").contents, r.lookup("urn:b#/p").contents)
print(sorted(reg), reg.get_or_retrieve("urn:b").value.contents == b.contents)
try:
    r.lookup("urn:missing")
except referencing.exceptions.Unresolvable as e:
    print("Unresolvable", type(e).__name__)
print(DRAFT202012.id_of({"$id": "urn:z"}))
