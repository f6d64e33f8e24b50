import json
import sys

print(json.dumps({"script": True, "argv": sys.argv[1:], "name": __name__}))
print(__spec__)
if "--fail" in sys.argv:
    raise SystemExit(7)
