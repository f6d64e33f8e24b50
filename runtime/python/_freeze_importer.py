"""The frozen importer: serves modules, their source and package data from the
bundle inside the executable.

This module is executed by the runtime before the import system is fully
initialised (no ``sys.path_hooks``, no ``encodings``), so at module level it
may only import builtin modules. Everything heavier is imported lazily.

Virtual paths: every bundled module and data file appears to live under a
root, like zipimport's ``archive.zip/pkg/mod.py``: the executable's own path,
or the directory the app's package data was written to (see the runtime's
datadir.rs). Module files never exist there on disk, so nothing can read a
stale file instead of the bundled one.
"""

import sys
import _imp
import _freeze

_bootstrap = sys.modules["_frozen_importlib"]

ROOT = _freeze.root
_MODULE, _PACKAGE, _NAMESPACE, _EXTENSION = _freeze.MODULE, _freeze.PACKAGE, _freeze.NAMESPACE, _freeze.EXTENSION


def _is_package(kind, rel):
    """As CPython's loaders say: an extension module is a package when its
    file is an ``__init__`` (mypyc and Cython compile those too)."""
    if kind == _EXTENSION:
        return rel.rpartition("/")[2].startswith("__init__.")
    return kind in (_PACKAGE, _NAMESPACE)


def _parent_dir(rel):
    i = rel.rfind("/")
    return rel[:i] if i >= 0 else ""


def _join(rel):
    return ROOT + "/" + rel if rel else ROOT


def _lookup(fullname):
    """(kind, rel) of a bundled module; ImportError if there is none."""
    found = _freeze.find(fullname)
    if found is None:
        raise ImportError("no module named %r in the bundle" % fullname, name=fullname)
    return found


def _code(fullname, rel):
    code = _freeze.code(fullname)
    # Compiled with the bundle-relative path as filename; point it at the
    # virtual path. (Runtime modules compiled as "<frozen ...>" keep it.)
    if code.co_filename == rel:
        _imp._fix_co_filename(code, _join(rel))
    return code


_lazy_classes = {}


def _lazy_class(factory):
    # Classes deriving from importlib.metadata / importlib.resources bases,
    # which are imported only when first needed, then built once.
    cls = _lazy_classes.get(factory)
    if cls is None:
        cls = _lazy_classes[factory] = factory()
    return cls


def _relative(path):
    """Bundle-relative form of a virtual path, or None if outside the bundle."""
    path = str(path)
    if path == ROOT:
        return ""
    if path.startswith(ROOT + "/"):
        return path[len(ROOT) + 1:]
    return None


# Names whose lookup is asking the finders between the bundle importer and
# PathFinder (see BundleImporter.find_spec).
_consulting = set()


class BundleImporter:
    """Meta path finder and loader for every module in the bundle.

    One instance serves all modules (as a zipimporter serves its archive);
    lookups are a binary search in the bundle index, done in Rust.
    """

    def __repr__(self):
        return "<BundleImporter %r>" % ROOT

    # -- finder ---------------------------------------------------------------

    def find_spec(self, fullname, path=None, target=None):
        # Finders the app put between this one and PathFinder (which this
        # one stands in for: it serves what sys.path holds) go first, as
        # they would before PathFinder under python: awscli wraps PathFinder
        # to map "botocore" to its own copy in awscli/botocore.
        meta_path = sys.meta_path
        external = sys.modules.get("_frozen_importlib_external")
        try:
            after = meta_path.index(self) + 1
        except ValueError:
            after = len(meta_path)
        if (
            external is not None
            and after < len(meta_path)
            and meta_path[after] is not external.PathFinder
            and fullname not in _consulting
        ):
            # A finder that itself asks the meta path (skipping only
            # itself) must not bring us back to it.
            _consulting.add(fullname)
            try:
                for finder in meta_path[after:]:
                    if finder is external.PathFinder:
                        break
                    find = getattr(finder, "find_spec", None)
                    spec = find(fullname, path, target) if find is not None else None
                    if spec is not None:
                        return spec
            finally:
                _consulting.discard(fullname)
        return self._spec(fullname, _aliased(fullname, path))

    def _spec(self, fullname, actual):
        """The spec of bundled module ``actual`` imported as ``fullname``."""
        found = _freeze.find(actual)
        if found is None:
            return None
        kind, rel = found
        if kind == _NAMESPACE:
            # As PathFinder returns namespace packages: no loader, so
            # importlib gives the module a NamespaceLoader, __file__ None and
            # a _NamespacePath that follows sys.path (PEP 420).
            spec = _bootstrap.ModuleSpec(fullname, None, is_package=True)
            locations = [_join(rel)]
            external = sys.modules.get("_frozen_importlib_external")
            if external is not None:
                locations = external._NamespacePath(fullname, locations, external.PathFinder._get_spec)
            spec.submodule_search_locations = locations
            return spec
        is_package = _is_package(kind, rel)
        spec = _bootstrap.ModuleSpec(fullname, self, origin=_join(rel), is_package=is_package)
        spec.loader_state = kind
        spec.has_location = True
        if actual != fullname:
            spec._freeze_name = actual
        if is_package:
            spec.submodule_search_locations = [_join(_parent_dir(rel))]
        return spec

    def invalidate_caches(self):
        pass

    def find_distributions(self, context=None):
        """Distributions whose metadata (dist-info) is bundled, for
        importlib.metadata (version, entry_points, files, ...)."""
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

    # -- resources ------------------------------------------------------------

    def get_resource_reader(self, fullname):
        found = _freeze.find(fullname)
        if found is None or not _is_package(*found):
            return None
        kind, rel = found
        return _resource_reader(rel if kind == _NAMESPACE else _parent_dir(rel))

    # -- loader ---------------------------------------------------------------

    def create_module(self, spec):
        if spec.loader_state != _EXTENSION:
            return None
        # Loaded from a memory file; CPython's own extension loader does the
        # rest (single- and multi-phase init alike).
        memory_path = _freeze.load_extension(getattr(spec, "_freeze_name", spec.name))
        try:
            return _imp.create_dynamic(_bootstrap.ModuleSpec(spec.name, self, origin=memory_path))
        except ImportError as e:
            # The dynamic linker's message alone does not say which module.
            raise ImportError(
                "cannot load extension module %s (%s): %s" % (spec.name, spec.origin, e),
                name=spec.name,
                path=spec.origin,
            ) from None

    def exec_module(self, module):
        # find_spec looked the module up: its kind and path ride on the spec.
        spec = module.__spec__
        if spec.loader_state == _EXTENSION:
            _imp.exec_dynamic(module)
            # The virtual path beside its package, not the memory file.
            module.__file__ = spec.origin
            return
        code = _code(getattr(spec, "_freeze_name", spec.name), _relative(spec.origin))
        # This module's code objects carry the filename of importlib's own
        # frozen loader, so CPython trims these frames from tracebacks of
        # failed imports exactly as it does for SourceFileLoader.
        _bootstrap._call_with_frames_removed(exec, code, module.__dict__)
        teach = _AFTER_EXEC.get(spec.name)
        if teach is not None:
            teach(module)

    def get_code(self, fullname):
        kind, rel = _lookup(fullname)
        if kind in (_NAMESPACE, _EXTENSION):
            return None
        return _code(fullname, rel)

    def get_source(self, fullname):
        _lookup(fullname)
        data = _freeze.source(fullname)
        if data is None:
            return None
        return sys.modules["_frozen_importlib_external"].decode_source(data)

    def is_package(self, fullname):
        return _is_package(*_lookup(fullname))

    def get_filename(self, fullname):
        return _join(_lookup(fullname)[1])

    def get_data(self, path):
        """Bytes of a bundled file or module source, by virtual path."""
        rel = _relative(path)
        if rel is not None:
            data = _freeze.data(rel)
            if data is not None:
                return data
            name = _module_for_path(rel)
            if name is not None:
                source = _freeze.source(name)
                if source is not None:
                    return source
        raise FileNotFoundError(2, "No such file in the bundle", str(path))


def _aliased(fullname, path):
    """The bundled module a submodule import finds through its parent's
    ``__path__``. Python searches the parent's path, not the name: with
    ``sys.modules["distutils"]`` set to ``setuptools._distutils`` (as
    setuptools' _distutils_hack does), ``import distutils.core`` loads
    ``setuptools/_distutils/core.py``. The name itself when the path is the
    module's own package directory, or not the bundle's."""
    if not path or "." not in fullname:
        return fullname
    leaf = fullname.rpartition(".")[2]
    for entry in path:
        rel_dir = _relative(entry) if isinstance(entry, str) else None
        if rel_dir is None:
            continue
        actual = rel_dir.replace("/", ".") + "." + leaf if rel_dir else leaf
        if actual == fullname:
            return fullname
        if _freeze.find(actual) is not None:
            return actual
    return fullname


def _module_for_path(rel):
    """Name of the bundled module whose virtual file is ``rel``, or None.
    The main script's file may have any name (an entry point's launcher is
    ``bin/NAME``, as pip installs it)."""
    main = _freeze.main_name
    found = _freeze.find(main) if main else None
    if found is not None and found[1] == rel:
        return main
    if not rel.endswith(".py"):
        return None
    name = rel[:-3].replace("/", ".")
    if name.endswith(".__init__"):
        name = name[: -len(".__init__")]
    found = _freeze.find(name)
    if found is not None and found[1] == rel:
        return name
    return None


def _teach_linecache(linecache):
    """Let linecache read bundled sources by virtual path.

    Tracebacks, warnings, inspect and pdb find source lines through
    linecache, often by filename alone (warnings passes no module globals).
    Under python that reads the file from disk; here the file is virtual, so
    answer from the bundle before linecache tries the filesystem.
    """
    original = linecache.updatecache

    def updatecache(filename, module_globals=None):
        rel = _relative(filename)
        if rel is not None:
            name = _module_for_path(rel)
            source = _importer.get_source(name) if name else None
            if source is not None:
                lines = source.splitlines(True)
                if lines and not lines[-1].endswith("\n"):
                    lines[-1] += "\n"
                # mtime None: checkcache leaves the entry alone.
                linecache.cache[filename] = (len(source), None, lines, filename)
                return lines
            return []
        return original(filename, module_globals)

    updatecache.__wrapped__ = original
    linecache.updatecache = updatecache


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


def _teach_ctypes(ctypes):
    """Let ctypes load bundled native libraries from memory.

    A library named by SONAME is preloaded from the bundle, after which the
    dynamic linker finds it by name; a virtual path beside a package (code
    doing ``CDLL(os.path.join(os.path.dirname(__file__), "libfoo.so"))``)
    is served from a memory file.
    """
    import os

    original_init = ctypes.CDLL.__init__

    def __init__(self, name, *args, **kwargs):
        if isinstance(name, str):
            # A bundled library as /proc/self/maps names its memory file
            # (threadpoolctl 3.8 loads what it lists there).
            if name.startswith("/memfd:") and name.endswith(" (deleted)") and _relative(name[7:-10]) is not None:
                name = name[7:-10]
            rel = _relative(os.path.normpath(name)) if "/" in name else None
            if rel is not None:
                memory = _memory_library(rel)
                if memory is not None:
                    name = memory
            elif "/" not in name:
                _freeze.preload_library(name)
        original_init(self, name, *args, **kwargs)

    ctypes.CDLL.__init__ = __init__


def _memory_library(rel):
    """/proc/self/fd path of a bundled native file at virtual path rel."""
    for suffix in _freeze.EXTENSION_SUFFIXES:
        if rel.endswith(suffix):
            name = rel[: -len(suffix)].replace("/", ".").removesuffix(".__init__")
            found = _freeze.find(name)
            if found is not None and found[0] == _EXTENSION and found[1] == rel:
                return _freeze.load_extension(name)
    soname = rel.rpartition("/")[2]
    if _freeze.preload_library(soname):
        return soname
    return None


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


class BundlePathFinder:
    """Path entry finder for virtual directories of the bundle.

    Makes ``pkgutil.iter_modules()`` (over ``sys.path`` or a package's
    ``__path__``) list bundled modules, as zipimport does for archives.
    """

    def __init__(self, rel):
        self._rel = rel
        self._package = rel.replace("/", ".")

    def find_spec(self, fullname, target=None):
        # As FileFinder: the module of that leaf name in this directory,
        # whatever the name asked (a finder may look up "botocore" in
        # awscli's directory).
        leaf = fullname.rpartition(".")[2]
        actual = self._package + "." + leaf if self._package else leaf
        return _importer._spec(fullname, actual)

    def invalidate_caches(self):
        pass

    def iter_modules(self, prefix=""):
        for name, kind in _freeze.children(self._package):
            # pkgutil lists only directories with an __init__ (as its
            # FileFinder support does), not namespace portions.
            if kind != _NAMESPACE:
                is_package = kind == _PACKAGE or (kind == _EXTENSION and _is_package(*_freeze.find(name)))
                yield prefix + name.rpartition(".")[2], is_package


def _path_hook(entry):
    rel = _relative(entry)
    if rel is None:
        raise ImportError("not a path inside the bundle", path=entry)
    return BundlePathFinder(rel)


_importer = BundleImporter()

# Modules taught, right after they execute, to handle virtual paths (the
# stdlib's, and pkg_resources for its resource and distribution APIs).
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

_AFTER_EXEC = {
    "tkinter": _teach_tkinter,
    "linecache": _teach_linecache,
    "ctypes": _teach_ctypes,
    "multiprocessing.spawn": _teach_multiprocessing_spawn,
    "pkg_resources": _teach_pkg_resources,
}


# -- virtual files: the stdlib's file functions see bundle paths -------------
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

_originals = {}


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


def _install_virtual_files():
    # In posix, which os re-exports when (and if) the app imports it:
    # importing os here would cost every app that does not.
    import builtins
    import io
    import posix

    _originals.update(stat=posix.stat, listdir=posix.listdir, scandir=posix.scandir)
    builtins.open = io.open = _freeze.divert(io.open, _virtual_open)
    posix.listdir = _freeze.divert(posix.listdir, _virtual_listdir)
    posix.scandir = _freeze.divert(posix.scandir, _virtual_scandir)
    posix.stat = _freeze.divert(posix.stat, _virtual_stat)
    posix.lstat = _freeze.divert(posix.lstat, _virtual_lstat)


# -- boot hooks, called by the runtime -----------------------------------------


def _install():
    """After core init: serve imports from the bundle.

    Placed after CPython's own FrozenImporter so the stdlib modules CPython
    carries frozen (os, codecs, io, runpy, ...) load exactly as under python,
    with the same ``<frozen os>`` frames in tracebacks.
    """
    meta_path = sys.meta_path
    index = len(meta_path)
    for i, finder in enumerate(meta_path):
        if getattr(finder, "__name__", "") == "FrozenImporter":
            index = i + 1
            break
    meta_path.insert(index, _importer)


def _setup():
    """After main init: the remaining promises of a frozen app."""
    sys.path_hooks.insert(0, _path_hook)
    sys.path[:] = [ROOT]
    sys.path_importer_cache.clear()
    sys.frozen = True
    sys._MEIPASS = ROOT
    _install_site_builtins()
    _install_virtual_files()
    sys.excepthook = _excepthook
    import _thread

    _thread._excepthook = _thread_excepthook


def _install_site_builtins():
    # What site.py would add; we don't run site (no filesystem paths to add).
    import builtins
    import _sitebuiltins

    builtins.exit = _sitebuiltins.Quitter("exit", "Ctrl-D (i.e. EOF)")
    builtins.quit = _sitebuiltins.Quitter("quit", "Ctrl-D (i.e. EOF)")
    builtins.help = _Helper()
    builtins.copyright = _Printer("copyright", sys.copyright)
    builtins.credits = _Printer(
        "credits",
        "    Thanks to CWI, CNRI, BeOpen.com, Zope Corporation and a cast of thousands\n"
        "    for supporting Python development.  See www.python.org for more information.",
    )
    builtins.license = _Printer("license", "See https://www.python.org/psf/license/")


class _Helper:
    # site's help(), which imports pydoc when called. freeze bundles pydoc
    # only when the app imports it (it would bring in half the stdlib), so
    # say how to get it rather than fail with a bare ModuleNotFoundError.
    def __repr__(self):
        return (
            "Type help() for interactive help, "
            "or help(object) for help about object."
        )

    def __call__(self, *args, **kwds):
        try:
            import pydoc
        except ModuleNotFoundError as e:
            if e.name != "pydoc":
                raise
            raise ModuleNotFoundError(
                "help() needs pydoc, which this frozen app does not bundle; "
                "freeze it again with --hidden-import pydoc",
                name="pydoc",
            ) from None
        return pydoc.help(*args, **kwds)


class _Printer:
    # site's _Printer imports os at creation (to look for license files on
    # disk); this one has nothing to look for, and keeps start-up lean.
    def __init__(self, name, text):
        self._name = name
        self._text = text

    def __repr__(self):
        return self._text

    def __call__(self):
        print(self._text)


def _excepthook(exc_type, exc, tb):
    # CPython's C excepthook reads source lines from disk by co_filename; the
    # traceback module asks our loader instead (linecache.lazycache).
    if sys.stderr is None:
        return
    import traceback

    traceback.print_exception(exc_type, exc, tb, file=sys.stderr)
    sys.stderr.flush()


def _thread_excepthook(args):
    # Same output as _thread._excepthook, with source lines.
    if args.exc_type == SystemExit:
        return
    stderr = sys.stderr
    if stderr is None:
        thread = args.thread
        stderr = getattr(thread, "_stderr", None) if thread is not None else None
        if stderr is None:
            return
    if args.thread is not None:
        name = args.thread.name
    else:
        name = _thread.get_ident()
    print(f"Exception in thread {name}:", file=stderr, flush=True)
    import traceback

    traceback.print_exception(args.exc_type, args.exc_value, args.exc_traceback, file=stderr)
    stderr.flush()


import _thread  # noqa: E402  (builtin; used by _thread_excepthook)


def _script_main_code():
    """Prepares ``__main__`` like ``python app.py`` and returns its code."""
    main = sys.modules["__main__"]
    name = _freeze.main_name
    code = _importer.get_code(name)
    found = _freeze.find(name)
    main.__file__ = _join(found[1])
    main.__cached__ = None
    main.__loader__ = _importer
    main.__spec__ = None
    return code
