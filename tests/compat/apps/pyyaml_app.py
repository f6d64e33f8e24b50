# PyYAML: safe load/dump with the C (libyaml) loader and dumper when
# present, custom tags, multi-documents.
import yaml
print(yaml.__with_libyaml__)
doc = """
name: demo
version: 1.2
items: [1, two, 3.0, null, true]
nested: {a: {b: [x, y]}}
date: 2024-01-02
anchors:
  base: &b {k: v}
  use: *b
"""
d = yaml.load(doc, Loader=yaml.CSafeLoader)
print(d)
print(yaml.dump(d, Dumper=yaml.CSafeDumper, sort_keys=True), end="")
print(yaml.safe_dump({"z": [1, {"y": "multi\nline"}]}, default_flow_style=False), end="")
print(list(yaml.safe_load_all("---\na: 1\n---\nb: 2\n")))

class Point(yaml.YAMLObject):
    yaml_tag = "!Point"
    yaml_loader = yaml.SafeLoader
    def __init__(self, x, y):
        self.x, self.y = x, y
p = yaml.safe_load("!Point {x: 1, y: 2}")
print(type(p).__name__, p.x, p.y)
try:
    yaml.safe_load("a: [1, 2")
except yaml.YAMLError as e:
    print("error:", type(e).__name__)
