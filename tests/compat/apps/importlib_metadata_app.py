# importlib-metadata (the backport): versions, requirements, entry points,
# files of the installed distributions the app bundles.
import importlib_metadata as md
for name in ("requests", "urllib3", "importlib-metadata", "zipp"):
    print(name, md.version(name))
print(sorted(md.requires("requests"))[:3])
d = md.distribution("requests")
print(d.metadata["Name"], d.metadata["License-Expression"] or d.metadata["License"], bool(d.files))
print(sorted(ep.name for ep in md.entry_points(group="console_scripts") if ep.name in ("normalizer", "jp.py", "pyjwt", "dotenv", "uvicorn", "fastapi")))
print(md.packages_distributions().get("yaml"))
try:
    md.version("not-installed-dist")
except md.PackageNotFoundError as e:
    print("not found:", e)
