# zipp: pathlib-compatible traversal of a zip archive.
import io, zipfile
import zipp
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("pkg/__init__.py", "")
    z.writestr("pkg/data/a.txt", "alpha")
    z.writestr("README", "readme")
root = zipp.Path(zipfile.ZipFile(buf))
print(sorted(p.name for p in root.iterdir()))
print((root / "pkg" / "data" / "a.txt").read_text(), (root / "pkg").is_dir(), (root / "README").is_file())
print(sorted(str(p.at) for p in root.glob("**/*.txt")), (root / "pkg/data/a.txt").suffix)
