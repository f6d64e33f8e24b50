# pathspec: gitignore matching.
import pathspec
spec = pathspec.PathSpec.from_lines("gitwildmatch", ["*.pyc", "build/", "!keep.pyc", "docs/**/*.tmp", "/root.txt"])
files = ["a.pyc", "keep.pyc", "src/x.py", "build/out.o", "docs/a/b/c.tmp", "root.txt", "sub/root.txt"]
print([f for f in files if spec.match_file(f)])
print(sorted(spec.match_files(files, negate=True)))
gi = pathspec.GitIgnoreSpec.from_lines(["*.log", "!important.log", "tmp/"])
print([f for f in ["a.log", "important.log", "tmp/x", "x/tmp/y"] if gi.match_file(f)])
print(pathspec.util.normalize_file("a\\b/../c"))
