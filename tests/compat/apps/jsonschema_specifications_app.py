# jsonschema-specifications: the metaschemas shipped as JSON data files,
# found with importlib.resources.
import jsonschema_specifications as js
reg = js.REGISTRY
ids = sorted(reg)
print(len(ids), ids[:3])
print(reg.contents("https://json-schema.org/draft/2020-12/schema")["title"])
print(reg.contents("http://json-schema.org/draft-07/schema#")["$schema"])
print(sorted(js._core._schemas.__module__ for _ in [0]) if hasattr(js, "_core") else "")
