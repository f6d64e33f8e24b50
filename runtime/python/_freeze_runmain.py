"""Runs the app's main module the way ``runpy._run_module_as_main`` does
(``python app/`` and ``python -m pkg.mod``), without importing runpy's
dependencies (importlib.util, contextlib, collections, ...): a frozen app
starts faster than python.

Compiled with the filename ``<frozen runpy>`` and laid out so that its two
frames in a traceback, ``_run_module_as_main`` (line 198) and ``_run_code``
(line 88), read exactly as CPython's own. The end-to-end tests compare
tracebacks with python's, so any drift fails them.
"""

import sys

_bootstrap = sys.modules["_frozen_importlib"]


class _Error(Exception):
    """Error that _run_module_as_main() should report without a traceback."""


def _get_module_details(mod_name, error=ImportError):
    if mod_name.startswith("."):
        raise error("Relative module names not supported")
    pkg_name, _, _ = mod_name.rpartition(".")
    if pkg_name:
        try:
            __import__(pkg_name)
        except ImportError as e:
            if e.name is None or (e.name != pkg_name and not pkg_name.startswith(e.name + ".")):
                raise
        existing = sys.modules.get(mod_name)
        if existing is not None and not hasattr(existing, "__path__"):
            from warnings import warn

            msg = (
                "{mod_name!r} found in sys.modules after import of "
                "package {pkg_name!r}, but prior to execution of "
                "{mod_name!r}; this may result in unpredictable "
                "behaviour".format(mod_name=mod_name, pkg_name=pkg_name)
            )
            warn(RuntimeWarning(msg))
    spec = _find_spec(mod_name, error)
    if spec.submodule_search_locations is not None:
        if mod_name == "__main__" or mod_name.endswith(".__main__"):
            raise error("Cannot use package as __main__ module")
        try:
            pkg_main_name = mod_name + ".__main__"
            return _get_module_details(pkg_main_name, error)
        except error as e:
            if mod_name not in sys.modules:
                raise
            raise error(("%s; %r is a package and cannot be directly executed") % (e, mod_name))
    code = spec.loader.get_code(mod_name)
    if code is None:
        raise error("No code object available for %s" % mod_name)
    return mod_name, spec, code

# (blank lines below keep the next frame on runpy's line number)






def _run_code(code, run_globals, init_globals=None, mod_name=None, mod_spec=None, pkg_name=None, script_name=None):
    """Execute code in the given namespace, as runpy._run_code."""
    if init_globals is not None:
        run_globals.update(init_globals)
    if mod_spec is None:
        loader = None
        fname = script_name
        cached = None
    else:
        loader = mod_spec.loader
        fname = mod_spec.origin
        cached = mod_spec.cached
        if pkg_name is None:
            pkg_name = mod_spec.parent
    run_globals.update(
        __name__=mod_name,
        __file__=fname,
        __cached__=cached,
        __doc__=None,
        __loader__=loader,
        __package__=pkg_name,
        __spec__=mod_spec,
    )
    exec(code, run_globals)
    return run_globals


def _find_spec(mod_name, error):
    try:
        spec = _bootstrap._find_spec(mod_name, None)
    except (ImportError, AttributeError, TypeError, ValueError) as ex:
        msg = "Error while finding module specification for {!r} ({}: {})"
        if mod_name.endswith(".py"):
            msg += ". Try using '{}' instead of '{}' as the module name.".format(mod_name[:-3], mod_name)
        raise error(msg.format(mod_name, type(ex).__name__, ex)) from ex
    if spec is None:
        raise error("No module named %s" % mod_name)
    return spec


def _get_main_module_details(error=ImportError):
    main_name = "__main__"
    saved_main = sys.modules[main_name]
    del sys.modules[main_name]
    try:
        return _get_module_details(main_name)
    except ImportError as exc:
        if main_name in str(exc):
            raise error("can't find %r module in %r" % (main_name, sys.path[0])) from exc
        raise
    finally:
        sys.modules[main_name] = saved_main

# (blank lines below keep the next frame on runpy's line number)


































































def _run_module_as_main(mod_name, alter_argv=True):
    """Run mod_name as __main__, as runpy._run_module_as_main."""
    try:
        if alter_argv or mod_name != "__main__":  # -m switch
            mod_name, mod_spec, code = _get_module_details(mod_name, _Error)
        else:  # directory execution
            mod_name, mod_spec, code = _get_main_module_details(_Error)
    except _Error as exc:
        msg = "%s: %s" % (sys.executable, exc)
        sys.exit(msg)
    main_globals = sys.modules["__main__"].__dict__
    if alter_argv:
        sys.argv[0] = mod_spec.origin
    return _run_code(code, main_globals, None, "__main__", mod_spec)
