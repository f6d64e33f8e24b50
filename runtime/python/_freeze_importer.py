"""The frozen importer: serves modules, their source and package data from the
bundle inside the executable.

This module is executed by the runtime before the import system is fully
initialised (no ``sys.path_hooks``, no ``encodings``), so at module level it
may only import builtin modules. Everything heavier is imported lazily.

Virtual paths: every bundled module and data file appears to live under the
executable's own path, like zipimport's ``archive.zip/pkg/mod.py``. Such paths
never exist on disk, so nothing can accidentally read a stale file instead of
the bundled one.
"""

import sys
import _imp
import _freeze

_bootstrap = sys.modules["_frozen_importlib"]

ROOT = _freeze.root
_MODULE, _PACKAGE, _NAMESPACE, _EXTENSION = 0, 1, 2, 3


def _parent_dir(rel):
    i = rel.rfind("/")
    return rel[:i] if i >= 0 else ""


def _join(rel):
    return ROOT + "/" + rel if rel else ROOT


def _relative(path):
    """Bundle-relative form of a virtual path, or None if outside the bundle."""
    path = str(path)
    if path == ROOT:
        return ""
    if path.startswith(ROOT + "/"):
        return path[len(ROOT) + 1:]
    return None


class BundleImporter:
    """Meta path finder and loader for every module in the bundle.

    One instance serves all modules (as a zipimporter serves its archive);
    lookups are a binary search in the bundle index, done in Rust.
    """

    def __repr__(self):
        return "<BundleImporter %r>" % ROOT

    # -- finder ---------------------------------------------------------------

    def find_spec(self, fullname, path=None, target=None):
        found = _freeze.find(fullname)
        if found is None:
            return None
        kind, rel = found
        if kind == _NAMESPACE:
            spec = _bootstrap.ModuleSpec(fullname, self, origin=None, is_package=True)
            spec.submodule_search_locations = [_join(rel)]
            return spec
        spec = _bootstrap.ModuleSpec(
            fullname, self, origin=_join(rel), is_package=kind == _PACKAGE
        )
        spec.loader_state = kind
        spec.has_location = True
        if kind == _PACKAGE:
            spec.submodule_search_locations = [_join(_parent_dir(rel))]
        return spec

    def invalidate_caches(self):
        pass

    def find_distributions(self, context=None):
        return iter(())

    # -- loader ---------------------------------------------------------------

    def create_module(self, spec):
        found = _freeze.find(spec.name)
        if found is None or found[0] != _EXTENSION:
            return None
        # Loaded from a memory file; CPython's own extension loader does the
        # rest (single- and multi-phase init alike).
        memory_path = _freeze.load_extension(spec.name)
        return _imp.create_dynamic(_bootstrap.ModuleSpec(spec.name, self, origin=memory_path))

    def exec_module(self, module):
        spec = module.__spec__
        name = spec.name
        if spec.loader_state == _EXTENSION:
            _imp.exec_dynamic(module)
            # The virtual path beside its package, not the memory file.
            module.__file__ = spec.origin
            return
        code = self.get_code(name)
        if code is None:  # namespace package
            return
        # This module's code objects carry the filename of importlib's own
        # frozen loader, so CPython trims these frames from tracebacks of
        # failed imports exactly as it does for SourceFileLoader.
        _bootstrap._call_with_frames_removed(exec, code, module.__dict__)
        if name == "linecache":
            _teach_linecache(module)

    def get_code(self, fullname):
        found = _freeze.find(fullname)
        if found is None:
            raise ImportError("no module named %r in the bundle" % fullname, name=fullname)
        kind, rel = found
        if kind in (_NAMESPACE, _EXTENSION):
            return None
        code = _freeze.code(fullname)
        # Compiled with the bundle-relative path as filename; point it at the
        # virtual path. (Runtime modules compiled as "<frozen ...>" keep it.)
        if code.co_filename == rel:
            _imp._fix_co_filename(code, _join(rel))
        return code

    def get_source(self, fullname):
        found = _freeze.find(fullname)
        if found is None:
            raise ImportError("no module named %r in the bundle" % fullname, name=fullname)
        data = _freeze.source(fullname)
        if data is None:
            return None
        return sys.modules["_frozen_importlib_external"].decode_source(data)

    def is_package(self, fullname):
        found = _freeze.find(fullname)
        if found is None:
            raise ImportError("no module named %r in the bundle" % fullname, name=fullname)
        return found[0] in (_PACKAGE, _NAMESPACE)

    def get_filename(self, fullname):
        found = _freeze.find(fullname)
        if found is None:
            raise ImportError("no module named %r in the bundle" % fullname, name=fullname)
        return _join(found[1])

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


def _module_for_path(rel):
    """Name of the bundled module whose virtual file is ``rel``, or None."""
    if not rel.endswith(".py"):
        return None
    name = rel[:-3].replace("/", ".")
    if name.endswith(".__init__"):
        name = name[: -len(".__init__")]
    found = _freeze.find(name)
    if found is not None and found[1] == rel:
        return name
    main = _freeze.main_name
    found = _freeze.find(main) if main else None
    if found is not None and found[1] == rel:
        return main
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


class BundlePathFinder:
    """Path entry finder for virtual directories of the bundle.

    Makes ``pkgutil.iter_modules()`` (over ``sys.path`` or a package's
    ``__path__``) list bundled modules, as zipimport does for archives.
    """

    def __init__(self, rel):
        self._rel = rel
        self._package = rel.replace("/", ".")

    def find_spec(self, fullname, target=None):
        parent = fullname.rpartition(".")[0]
        if parent != self._package:
            return None
        return _importer.find_spec(fullname)

    def invalidate_caches(self):
        pass

    def iter_modules(self, prefix=""):
        for name, kind in _freeze.children(self._package):
            yield prefix + name.rpartition(".")[2], kind in (_PACKAGE, _NAMESPACE)


def _path_hook(entry):
    rel = _relative(entry)
    if rel is None:
        raise ImportError("not a path inside the bundle", path=entry)
    return BundlePathFinder(rel)


_importer = BundleImporter()


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
    sys.excepthook = _excepthook
    import _thread

    _thread._excepthook = _thread_excepthook


def _install_site_builtins():
    # What site.py would add; we don't run site (no filesystem paths to add).
    import builtins
    import _sitebuiltins

    builtins.exit = _sitebuiltins.Quitter("exit", "Ctrl-D (i.e. EOF)")
    builtins.quit = _sitebuiltins.Quitter("quit", "Ctrl-D (i.e. EOF)")
    builtins.help = _sitebuiltins._Helper()
    builtins.copyright = _Printer("copyright", sys.copyright)
    builtins.credits = _Printer(
        "credits",
        "    Thanks to CWI, CNRI, BeOpen.com, Zope Corporation and a cast of thousands\n"
        "    for supporting Python development.  See www.python.org for more information.",
    )
    builtins.license = _Printer("license", "See https://www.python.org/psf/license/")


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
