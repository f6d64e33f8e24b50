"""The rest of the runtime's Python, imported by _freeze_importer when first
needed: virtual files (the stdlib's file functions see the bundle's paths),
the readers of importlib.resources and importlib.metadata, and what
pkg_resources, multiprocessing and tkinter are taught.
"""

import sys

import _freeze
from _freeze_importer import (
    _NAMESPACE,
    ROOT,
    BundleImporter,
    BundlePathFinder,
    _importer,
    _is_package,
    _join,
    _module_for_path,
    _originals,
    _relative,
)


_lazy_classes = {}


def _lazy_class(factory):
    # Classes deriving from importlib.metadata / importlib.resources bases,
    # which are imported only when first needed, then built once.
    cls = _lazy_classes.get(factory)
    if cls is None:
        cls = _lazy_classes[factory] = factory()
    return cls


def _find_distributions(context):
    from importlib.metadata import Prepared

    name = getattr(context, "name", None)
    wanted = Prepared(name) if name else None
    for meta_dir in _metadata_dirs():
        if wanted is not None:
            # "rich-13.7.1.dist-info", "foo.egg-info" -> "rich", "foo"
            dist_name = Prepared.normalize(meta_dir.rpartition(".")[0].partition("-")[0])
            if dist_name not in (wanted.normalized, wanted.legacy_normalized):
                continue
        yield _bundle_distribution(meta_dir)


def _metadata_dirs():
    seen = []
    for path in _freeze.files_under(""):
        top = path.partition("/")[0]
        if top.endswith((".dist-info", ".egg-info")) and top not in seen:
            seen.append(top)
    return seen


def _bundle_distribution(meta_dir):
    return _lazy_class(_distribution_class)(meta_dir)


def _distribution_class():
    import importlib.metadata as metadata
    import pathlib

    class BundleDistribution(metadata.Distribution):
        """A distribution whose metadata files are read from the bundle."""

        def __init__(self, meta_dir):
            self._meta_dir = meta_dir

        def read_text(self, filename):
            data = _freeze.data(self._meta_dir + "/" + filename)
            return None if data is None else data.decode("utf-8")

        def locate_file(self, path):
            # A real path, as python's PathDistribution gives: the path
            # diversions answer exists(), open() and read_*() for what the
            # bundle holds (3.12's Distribution.files keeps only the files
            # whose locate() exists()).
            return pathlib.Path(ROOT, path)

    return BundleDistribution


def _resource_reader(rel_dir):
    on_disk = None
    if ROOT != sys.executable:
        # Package data was written to the data directory: hand out a real
        # path, as python does for packages on disk (code calls .exists(),
        # open(), passes it to C libraries...).
        import os
        import pathlib

        candidate = os.path.join(ROOT, rel_dir)
        if os.path.isdir(candidate):
            on_disk = pathlib.Path(candidate)

    files = on_disk if on_disk is not None else _traversable(rel_dir)
    return _lazy_class(_resource_reader_class)(files)


def _resource_reader_class():
    from importlib.resources.abc import TraversableResources

    class BundleResourceReader(TraversableResources):
        def __init__(self, files):
            self._files = files

        def files(self):
            return self._files

    return BundleResourceReader


def _dir_names(rel):
    """Sorted names in the bundle directory ``rel`` (data files, module
    files, subpackages), as a directory listing on disk shows them; None
    if ``rel`` is no directory of the bundle."""
    if not _is_dir(rel):
        return None
    prefix = rel + "/" if rel else ""
    names = set()
    for path in _freeze.files_under(rel):
        names.add(path[len(prefix):].partition("/")[0])
    package = rel.replace("/", ".")
    if rel == "" or _freeze.find(package) is not None:
        for child, kind in _freeze.children(package):
            leaf = child.rpartition(".")[2]
            found = _freeze.find(child)
            if found is None:
                continue
            if _is_package(*found):
                names.add(leaf)
            else:
                names.add(found[1].rpartition("/")[2])
        found = _freeze.find(package) if package else None
        if found is not None and found[0] != _NAMESPACE and _is_package(*found):
            names.add(found[1].rpartition("/")[2])  # its __init__
    return sorted(names)


def _entry_bytes(rel):
    """Content of the bundle file ``rel`` (data or module source), or None."""
    data = _freeze.data(rel)
    if data is None:
        name = _module_for_path(rel)
        data = _freeze.source(name) if name else None
    return data


def _is_file(rel):
    return _freeze.file_size(rel) is not None or _module_for_path(rel) is not None


def _is_dir(rel):
    if rel == "":
        return True
    if _freeze.files_under(rel):
        return True
    found = _freeze.find(rel.replace("/", "."))
    return found is not None and _is_package(*found)


def _bundle_traversable_class():
    from importlib.resources.abc import Traversable

    class BundleTraversable(Traversable):
        """A file or directory of the bundle, by bundle-relative path.

        Sees data files and module sources the way importlib.resources sees
        a package directory on disk.
        """

        def __init__(self, rel):
            self._rel = rel.strip("/")

        def __repr__(self):
            return "BundleTraversable(%r)" % _join(self._rel)

        @property
        def name(self):
            return self._rel.rpartition("/")[2]

        def _child_names(self):
            return _dir_names(self._rel) or []

        def iterdir(self):
            for name in self._child_names():
                yield self.joinpath(name)

        def _bytes(self):
            return _entry_bytes(self._rel)

        def is_file(self):
            return _is_file(self._rel)

        def is_dir(self):
            return _is_dir(self._rel)

        def read_bytes(self):
            data = self._bytes()
            if data is None:
                raise FileNotFoundError(2, "No such file in the bundle", _join(self._rel))
            return data

        def read_text(self, encoding=None):
            return self.read_bytes().decode(encoding or "utf-8")

        def open(self, mode="r", *args, **kwargs):
            import io

            if "w" in mode or "a" in mode or "+" in mode:
                raise PermissionError(1, "Bundled files are read-only", _join(self._rel))
            stream = io.BytesIO(self.read_bytes())
            if "b" in mode:
                return stream
            return io.TextIOWrapper(stream, *args, **kwargs)

        def joinpath(self, *descendants):
            rel = self._rel
            for d in descendants:
                for part in str(d).split("/"):
                    if part in ("", "."):
                        continue
                    rel = rel + "/" + part if rel else part
            return _traversable(rel)

        def __truediv__(self, child):
            return self.joinpath(child)

    return BundleTraversable


def _traversable(rel):
    return _lazy_class(_bundle_traversable_class)(rel)


def _teach_multiprocessing_spawn(spawn):
    """Let spawned children re-run a script app's main from the bundle.

    For ``python app.py`` multiprocessing re-runs the script in the child by
    path (runpy.run_path) so functions defined there unpickle; the frozen
    script's path is virtual, so its code comes from the bundle instead.
    """
    original = spawn._fixup_main_from_path

    def _fixup_main_from_path(main_path):
        rel = _relative(main_path)
        name = _module_for_path(rel) if rel is not None else None
        if name is None:
            return original(main_path)
        current_main = sys.modules["__main__"]
        if getattr(current_main, "__file__", None) == main_path:
            return
        spawn.old_main_modules.append(current_main)
        import types

        main_module = types.ModuleType("__mp_main__")
        main_module.__dict__.update(
            __file__=main_path, __cached__=None, __loader__=_importer, __spec__=None, __builtins__=__builtins__
        )
        sys.modules["__main__"] = sys.modules["__mp_main__"] = main_module
        exec(_importer.get_code(name), main_module.__dict__)

    spawn._fixup_main_from_path = _fixup_main_from_path


def _teach_pkg_resources(pkg_resources):
    """Let pkg_resources serve bundled packages and distributions.

    pkg_resources picks a resource provider by the module's loader type and
    a distribution finder by the ``sys.path`` entry's finder type; for types
    it does not know, every resource call raises NotImplementedError and no
    distribution is found (get_distribution, iter_entry_points and require
    fail). Its master working set is built while the module executes,
    before this hook runs, so the bundle's distributions are added to it
    here, as pkg_resources adds those of each sys.path entry.
    """
    provider, metadata = _pkg_resources_classes(pkg_resources)
    pkg_resources.register_loader_type(BundleImporter, provider)

    def find_distributions(importer, path_item, only=False):
        # The bundle root is the only directory holding dist-info, as a site
        # directory does; the same order and location as find_on_path.
        if importer._rel:
            return
        location = pkg_resources.normalize_path(path_item)
        for meta_dir in sorted(_metadata_dirs()):
            yield pkg_resources.Distribution.from_location(
                location, meta_dir, metadata(ROOT, _join(meta_dir)), precedence=pkg_resources.DEVELOP_DIST
            )

    pkg_resources.register_finder(BundlePathFinder, find_distributions)
    working_set = pkg_resources.working_set
    for entry in list(working_set.entries):
        if _relative(entry) is not None:
            for dist in pkg_resources.find_distributions(entry, True):
                working_set.add(dist, entry, False)


def _pkg_resources_classes(pkg_resources):
    import errno
    import io
    import os

    def bundled(path):
        # The bundle's entry at a path, or None outside the bundle (then the
        # filesystem answers, as it would for DefaultProvider).
        rel = _relative(os.path.normpath(path))
        return None if rel is None else _traversable(rel)

    def os_error(cls, code, path):
        # Worded as the filesystem's errors are under python.
        return cls(code, os.strerror(code), path)

    class BundleProvider(pkg_resources.NullProvider):
        """Resources of a bundled package, seen as DefaultProvider sees a
        package directory: data files, module sources and subdirectories.
        Files materialised in the data directory are handed out as real
        files (resource_filename, resource_stream)."""

        def _has(self, path):
            item = bundled(path)
            if item is None:
                return os.path.exists(path)
            return item.is_file() or item.is_dir()

        def _isdir(self, path):
            item = bundled(path)
            return os.path.isdir(path) if item is None else item.is_dir()

        def _listdir(self, path):
            item = bundled(path)
            if item is None:
                return os.listdir(path)
            if item.is_dir():
                return item._child_names()
            if item.is_file():
                raise os_error(NotADirectoryError, errno.ENOTDIR, path)
            raise os_error(FileNotFoundError, errno.ENOENT, path)

        def _get(self, path):
            item = bundled(path)
            if item is None:
                with open(path, "rb") as stream:
                    return stream.read()
            data = item._bytes()
            if data is None:
                if item.is_dir():
                    raise os_error(IsADirectoryError, errno.EISDIR, path)
                raise os_error(FileNotFoundError, errno.ENOENT, path)
            return data

        def get_resource_stream(self, manager, resource_name):
            path = self._fn(self.module_path, resource_name)
            item = bundled(path)
            if item is None:
                return open(path, "rb")
            if ROOT != sys.executable and _freeze.file_size(item._rel) is not None:
                # A data file, written to the data directory unless it is
                # metadata: the real file, as DefaultProvider opens it.
                try:
                    return open(path, "rb")
                except FileNotFoundError:
                    pass
            return io.BytesIO(self._get(path))

    class BundleMetadata(BundleProvider):
        """A bundled distribution's metadata directory, read as
        PathMetadata reads one on disk."""

        def __init__(self, path, egg_info):
            self.module_path = path
            self.egg_info = egg_info

    return BundleProvider, BundleMetadata


def _teach_tkinter(tkinter):
    """Point Tcl and Tk at the script libraries bundled under _tcl_data
    (packager/src/tcltk.rs): they open init.tcl and tk.tcl by path, from
    the data directory's copies, unless the environment names others."""
    import os

    tcl = "%s/tcl%s" % (_TCL_DATA, tkinter.TclVersion)
    # Tcl modules (msgcat, which `clock format` loads) where Debian keeps
    # them, inside the library: its tm.tcl names that directory absolutely.
    modules = "TCL%s_TM_PATH" % str(tkinter.TclVersion).replace(".", "_")
    for variable, rel in (
        ("TCL_LIBRARY", tcl),
        ("TK_LIBRARY", "%s/tk%s" % (_TCL_DATA, tkinter.TkVersion)),
        (modules, tcl + "/tcl8"),
    ):
        if variable not in os.environ and _freeze.files_under(rel):
            os.environ[variable] = _join(rel)


_TCL_DATA = "_tcl_data"


# -- virtual files: the stdlib's file functions see bundle paths ---------------
#
# Code reads files beside its modules by path: open(dirname(__file__) + ...)
# of data or of a .py it execs, os.listdir/os.scandir of a package to find
# plugins or tests (unittest and pytest discovery), os.path.exists/isfile.
# Module files exist nowhere on disk (Python code is never written out), and
# data files only in the data directory, so open, os.listdir, os.scandir,
# os.stat and os.lstat are diverted for paths under ROOT: what the disk has
# wins, the bundle answers the rest, read-only. _freeze.divert makes each a
# builtin function that calls the original for every other path, so no
# frame of ours shows in the tracebacks of their errors. C code's fopen()
# still sees only the disk (see docs/user-guide.md).


def _bundle_rel(path):
    """Bundle-relative form of a str or os.PathLike path under ROOT."""
    import os

    try:
        path = os.fspath(path)
    except TypeError:
        return None
    if not isinstance(path, str):
        return None
    return _relative(os.path.normpath(path))


def _on_disk(path):
    # Only a data directory holds real files under ROOT; the executable
    # itself is no directory. A module's file is the bundle's alone: the
    # disk is not even asked (a file planted there is never read).
    if ROOT == sys.executable:
        return False
    rel = _bundle_rel(path)
    if rel is not None and _module_for_path(rel) is not None:
        return False
    try:
        _originals["stat"](path)
        return True
    except (OSError, ValueError):
        return False


def _missing(rel, path):
    """The error python gives for a path the bundle does not have, returned
    for _freeze.divert to raise: no directory of the bundle holds a file
    whose name is a directory's (ENOTDIR), the rest do not exist."""
    import errno
    import os

    parent = rel.rpartition("/")[0]
    while parent and not _is_dir(parent):
        if _is_file(parent):
            return NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)
        parent = parent.rpartition("/")[0]
    return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)


def _virtual_stat_result(rel):
    import os
    import stat

    exe = _originals.get("exe_stat")
    if exe is None:
        exe = _originals["exe_stat"] = _originals["stat"](sys.executable)
    if _is_file(rel):
        size = _freeze.file_size(rel)
        if size is None:
            size = len(_entry_bytes(rel) or b"")
        mode = stat.S_IFREG | 0o444
    elif _is_dir(rel):
        size, mode = 4096, stat.S_IFDIR | 0o555
    else:
        return None
    return os.stat_result(
        (mode, 0, exe.st_dev, 1, exe.st_uid, exe.st_gid, size, exe.st_atime, exe.st_mtime, exe.st_ctime)
    )


def _virtual_open(file, mode="r", buffering=-1, encoding=None, errors=None, newline=None, closefd=True, opener=None):
    if any(c in mode for c in "wax+") or _on_disk(file):
        return NotImplemented
    rel = _bundle_rel(file)
    if rel is None:
        return NotImplemented
    data = _entry_bytes(rel)
    if data is None:
        if _is_dir(rel):
            import errno
            import os

            return IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), file)
        return _missing(rel, file)
    import io

    stream = io.BytesIO(data)
    stream.name = file
    if "b" in mode:
        return stream
    return io.TextIOWrapper(stream, encoding or "utf-8", errors, newline)


def _virtual_listdir(path="."):
    rel = _bundle_rel(path)
    if rel is None or _on_disk(path):
        return NotImplemented if rel is None or not _is_dir(rel) else _merged_names(rel, path)
    names = _listed_names(rel)
    if names is None:
        if _is_file(rel):
            import errno
            import os

            return NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), path)
        return _missing(rel, path)
    return names


def _listed_names(rel):
    # The root holds the distributions' metadata, which under python lives
    # in site-packages, not beside the app: a listing of the app directory
    # (importlib.metadata's path search among them) does not show it.
    names = _dir_names(rel)
    if names is not None and rel == "":
        names = [n for n in names if not n.endswith((".dist-info", ".egg-info"))]
    return names


def _merged_names(rel, path):
    names = _listed_names(rel)
    return sorted(set(names) | set(_originals["listdir"](path)))


def _virtual_stat(path, *, dir_fd=None, follow_symlinks=True):
    if dir_fd is not None or _on_disk(path):
        return NotImplemented
    rel = _bundle_rel(path)
    if rel is None:
        return NotImplemented
    result = _virtual_stat_result(rel)
    return _missing(rel, path) if result is None else result


def _virtual_lstat(path, *, dir_fd=None):
    return _virtual_stat(path, dir_fd=dir_fd)


class _VirtualDirEntry:
    """An os.DirEntry for a bundle entry that is not on disk."""

    __slots__ = ("name", "path", "_rel")

    def __init__(self, directory, name, rel):
        import os

        self.name = name
        self.path = os.path.join(directory, name)
        self._rel = rel

    def __repr__(self):
        return "<DirEntry %r>" % self.name

    def __fspath__(self):
        return self.path

    def is_dir(self, *, follow_symlinks=True):
        return _is_dir(self._rel)

    def is_file(self, *, follow_symlinks=True):
        return _is_file(self._rel)

    def is_symlink(self):
        return False

    def stat(self, *, follow_symlinks=True):
        return _virtual_stat_result(self._rel)

    def inode(self):
        return 0


class _VirtualScandir:
    """The iterator os.scandir returns, over a bundle directory (merged
    with what the data directory holds of it)."""

    def __init__(self, entries):
        self._entries = iter(entries)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._entries)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._entries = iter(())


def _virtual_scandir(path="."):
    import os

    names = _virtual_listdir(path)
    if names is NotImplemented or isinstance(names, OSError):
        return names
    rel = _bundle_rel(path)
    directory = os.fspath(path)
    entries = {}
    if _on_disk(path):
        with _originals["scandir"](path) as disk:
            entries = {e.name: e for e in disk}
    for name in names:
        if name not in entries:
            entries[name] = _VirtualDirEntry(directory, name, rel + "/" + name if rel else name)
    return _VirtualScandir([entries[n] for n in sorted(entries)])
