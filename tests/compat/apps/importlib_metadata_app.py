# importlib-metadata (the backport): versions, requirements, entry points,
# files of the installed distributions the app bundles.
import importlib_metadata as md
import requests, urllib3, zipp  # the app uses them, so their metadata is bundled
for name in ("requests", "urllib3", "importlib-metadata", "zipp"):
    print(name, md.version(name))
print(sorted(md.requires("requests"))[:3])
d = md.distribution("requests")
print(d.metadata["Name"], d.metadata.get("License-Expression") or d.metadata.get("License"), bool(d.files))
print(sorted(ep.name for ep in md.entry_points(group="console_scripts") if ep.name in ("normalizer",)))
print(md.packages_distributions().get("urllib3"))
try:
    md.version("not-installed-dist")
except md.PackageNotFoundError as e:
    print("not found:", e)
