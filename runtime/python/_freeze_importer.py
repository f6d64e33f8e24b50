"""The frozen importer: serves modules, their source and package data from the
bundle inside the executable.

This module is executed by the runtime before the import system is fully
initialised (no ``sys.path_hooks``, no ``encodings``), so at module level it
may only import builtin modules. Everything heavier is imported lazily,
and so is the rest of the runtime's Python, _freeze_files (virtual files,
importlib.resources and importlib.metadata, pkg_resources...), which most
apps never need: every start unmarshals and runs this module (its cost:
bench/RESULTS.md).

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
        return _files()._find_distributions(context)

    # -- resources ------------------------------------------------------------

    def get_resource_reader(self, fullname):
        found = _freeze.find(fullname)
        if found is None or not _is_package(*found):
            return None
        kind, rel = found
        return _files()._resource_reader(rel if kind == _NAMESPACE else _parent_dir(rel))

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


def _files():
    """The runtime's _freeze_files, imported (from the bundle) when first
    needed."""
    import _freeze_files

    return _freeze_files


def _later(name):
    """Function ``name`` of _freeze_files, imported when first called."""

    def call(*args, **kwargs):
        return getattr(_files(), name)(*args, **kwargs)

    call.__name__ = name
    return call


# Modules taught, right after they execute, to handle virtual paths (the
# stdlib's, and pkg_resources for its resource and distribution APIs). Most
# apps import linecache (traceback, warnings) and numpy's import ctypes,
# so those two are taught from here.
_AFTER_EXEC = {
    "tkinter": _later("_teach_tkinter"),
    "linecache": _teach_linecache,
    "ctypes": _teach_ctypes,
    "multiprocessing.spawn": _later("_teach_multiprocessing_spawn"),
    "pkg_resources": _later("_teach_pkg_resources"),
}


# -- virtual files: see _freeze_files -----------------------------------------
#
# open, os.listdir, os.scandir, os.stat and os.lstat are diverted for paths
# under ROOT. _freeze.divert makes each a builtin function that calls the
# original for every other path, and its handler, from _freeze_files, only
# for a path under ROOT.

_originals = {}


def _install_virtual_files():
    # In posix, which os re-exports when (and if) the app imports it:
    # importing os here would cost every app that does not.
    import builtins
    import io
    import posix

    _originals.update(stat=posix.stat, listdir=posix.listdir, scandir=posix.scandir)
    builtins.open = io.open = _freeze.divert(io.open, _later("_virtual_open"))
    posix.listdir = _freeze.divert(posix.listdir, _later("_virtual_listdir"))
    posix.scandir = _freeze.divert(posix.scandir, _later("_virtual_scandir"))
    posix.stat = _freeze.divert(posix.stat, _later("_virtual_stat"))
    posix.lstat = _freeze.divert(posix.lstat, _later("_virtual_lstat"))


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
