"""Compiler and import scanner used by freeze.

Runs in two places with the same CPython build: inside the `freeze` binary
(its embedded interpreter compiles the app's modules), and at build time under
Debian's /usr/bin/python3.11 to precompile the stdlib archive that `freeze`
carries (``python3.11 _freeze_tools.py build-stdlib ...``).

Code objects are compiled with a bundle-relative filename (``json/decoder.py``);
the runtime rewrites it to the virtual path under the executable on import.
"""

import json
import marshal
import sys

_IMPORT_NAME = "IMPORT_NAME"
# Calls whose first argument, a constant, names a module to import or look
# up: importlib's and pkgutil's lookups by name (Python-Markdown asks
# find_spec("html.parser") before importing it), importlib.resources' and
# pkg_resources' package arguments. pkgutil.resolve_name takes "mod:attr".
_DYNAMIC_IMPORTERS = {
    "import_module",
    "__import__",
    "find_spec",
    "find_loader",
    "get_loader",
    "get_data",
    "resolve_name",
    "files",
    "read_text",
    "read_binary",
    "open_text",
    "open_binary",
    "is_resource",
    "contents",
    "resource_filename",
    "resource_string",
    "resource_stream",
    "resource_exists",
    "resource_isdir",
    "resource_listdir",
}


# TO_BOOL (3.13) sits between a test and its conditional jump.
_SKIPPED_OPS = ("CACHE", "EXTENDED_ARG", "PRECALL", "PUSH_NULL", "NOP", "TO_BOOL")
# Functions, lambdas, comprehensions and generators get fresh locals; module
# and class bodies, which run when the module is imported, do not.
_CO_NEWLOCALS = 0x2


class _Found:
    """Imports found in some code: statements and constant dynamic calls."""

    def __init__(self):
        self.imports = []
        self.dynamic = []
        self.seen = set()
        # Import statements of module-level code (and class bodies in it):
        # they run when the module is imported, not just when a function is
        # called.
        self.eager = []
        self.eager_seen = set()
        # Whether the code imports by a computed name (``__import__(name)``).
        self.computed = False

    def add_import(self, name, level, fromlist, eager):
        key = (name, level, tuple(fromlist) if fromlist else None)
        if key not in self.seen:
            self.seen.add(key)
            self.imports.append([name, level, fromlist])
        if eager and key not in self.eager_seen:
            self.eager_seen.add(key)
            self.eager.append([name, level, fromlist])


def _names_module(text):
    """Whether a constant could be a module name: dotted components that
    importlib can load (not only identifiers: ``unicode17-0-0``), an
    optional leading run of dots for a relative name."""
    parts = text.lstrip(".").split(".")
    return all(part and not any(c.isspace() or c in "/\\\0:" for c in part) for part in parts)


def _if_bodies(instructions, condition):
    """Offset ranges of the bodies of ``if`` statements whose test is
    ``condition`` (a list of (opname, argval) pairs, opnames as tuples of
    alternatives) followed by a forward jump when false."""
    ins = [i for i in instructions if i.opname not in _SKIPPED_OPS]
    n = len(condition)
    blocks = []
    for at in range(len(ins) - n):
        window, jump = ins[at : at + n], ins[at + n]
        if (
            all(i.opname in ops and i.argval == val for i, (ops, val) in zip(window, condition))
            and jump.opname in ("POP_JUMP_FORWARD_IF_FALSE", "POP_JUMP_IF_FALSE")
            and isinstance(jump.argval, int)
            and jump.argval > jump.offset
        ):
            blocks.append((jump.offset, jump.argval))
    return blocks


def _main_blocks(instructions):
    """Offset ranges of the bodies of ``if __name__ == "__main__":`` (either
    operand first) in module-level code. Such a body runs only when the
    module is run as the main program, never when it is imported."""
    name, main, equals = (("LOAD_NAME",), "__name__"), (("LOAD_CONST",), "__main__"), (("COMPARE_OP",), "==")
    return _if_bodies(instructions, [name, main, equals]) + _if_bodies(instructions, [main, name, equals])


def _type_checking_blocks(instructions):
    """Offset ranges of the bodies of ``if TYPE_CHECKING:`` (and ``if
    typing.TYPE_CHECKING:``): the constant is False at run time, so their
    imports are for type checkers only. They still count as imports (the
    module is bundled, as code may set the flag), but never as eager ones
    (their native code is not unpacked ahead of an import that never
    comes)."""
    return _if_bodies(instructions, [(("LOAD_NAME", "LOAD_GLOBAL", "LOAD_ATTR"), "TYPE_CHECKING")])


def _scan_code(instructions, found, main_found, main_blocks, main_code, eager):
    """Adds the imports of one code object's instructions (not its nested
    code objects') to found, or to main_found for instructions inside
    main_blocks; code objects loaded inside main_blocks go to main_code.
    eager: the code runs when the module is imported. Imports in exception
    handlers are never eager: they are the fallbacks of ``try: import x
    except ImportError: import y`` (decimal's _pydecimal, random's
    hashlib), which run only when the bundled first choice is missing."""
    window = []
    handler_depth = 0
    type_checking = _type_checking_blocks(instructions)
    for ins in instructions:
        op = ins.opname
        if op == "PUSH_EXC_INFO":
            handler_depth += 1
        elif op == "POP_EXCEPT":
            handler_depth = max(0, handler_depth - 1)
        in_main = any(start < ins.offset < end for start, end in main_blocks)
        target = main_found if in_main else found
        if op == _IMPORT_NAME:
            level, fromlist = 0, None
            consts = [w for w in window[-2:] if w.opname == "LOAD_CONST"]
            if len(consts) == 2:
                level = consts[0].argval if isinstance(consts[0].argval, int) and consts[0].argval >= 0 else 0
                fl = consts[1].argval
                fromlist = list(fl) if isinstance(fl, tuple) else None
            for_type_checkers = any(start < ins.offset < end for start, end in type_checking)
            target.add_import(ins.argval, level, fromlist, eager and not handler_depth and not for_type_checkers)
        elif op == "LOAD_CONST" and hasattr(ins.argval, "co_code") and in_main:
            main_code.add(id(ins.argval))
        elif op == "LOAD_CONST" and isinstance(ins.argval, str) and window:
            prev = window[-1]
            if prev.opname in ("LOAD_METHOD", "LOAD_ATTR", "LOAD_NAME", "LOAD_GLOBAL") and (
                prev.argval in _DYNAMIC_IMPORTERS
            ):
                name = ins.argval.partition(":")[0]
                if _names_module(name):
                    target.dynamic.append([name, None])
            elif (
                len(window) >= 2
                and prev.opname == "LOAD_CONST"
                and isinstance(prev.argval, str)
                and window[-2].opname in ("LOAD_METHOD", "LOAD_ATTR", "LOAD_NAME", "LOAD_GLOBAL")
                and window[-2].argval == "import_module"
                and prev.argval.startswith(".")
            ):
                # import_module(".x", "pkg"): the first const was recorded
                # as relative; attach its package.
                if target.dynamic and target.dynamic[-1][0] == prev.argval:
                    target.dynamic[-1][1] = ins.argval
        if (
            op not in _SKIPPED_OPS
            and op != "LOAD_CONST"
            and window
            and window[-1].opname in ("LOAD_METHOD", "LOAD_ATTR", "LOAD_NAME", "LOAD_GLOBAL")
            and window[-1].argval in ("import_module", "__import__")
        ):
            found.computed = True
        if op not in _SKIPPED_OPS:
            window.append(ins)
            if len(window) > 3:
                del window[0]


def scan_imports(code):
    """Imports a module's code object (and its nested code objects) may
    perform.

    Returns a dict, the one spelling of the schema the packager reads as
    ``ModuleImports`` (packager/src/embedded/module_imports.rs):
    ``imports`` are [name, level, fromlist] of import
    statements; ``dynamic`` are [name, package] of constant
    ``importlib.import_module("x")`` / ``__import__("x")`` calls;
    ``main_imports`` and ``main_dynamic`` the same for code that runs only
    when the module is the main program (its ``if __name__ == "__main__":``
    blocks, and functions defined in them). ``eager_imports`` and
    ``main_eager_imports`` are the import statements among those that run
    when the module is imported (or run as the main program): the ones in
    module-level code and class bodies, not in functions.
    """
    import dis

    found, main_found = _Found(), _Found()
    main_code = set()
    strings = set()
    stack = [(code, found, True, True)]
    while stack:
        co, sink, is_module, eager = stack.pop()
        strings.update(c for c in co.co_consts if isinstance(c, str) and _names_module(c) and len(c) > 1)
        instructions = list(dis.get_instructions(co))
        main_blocks = _main_blocks(instructions) if is_module else []
        _scan_code(instructions, sink, main_found, main_blocks, main_code, eager)
        for const in co.co_consts:
            if hasattr(const, "co_code"):
                nested = main_found if sink is main_found or id(const) in main_code else sink
                nested_eager = eager and not const.co_flags & _CO_NEWLOCALS
                stack.append((const, nested, False, nested_eager))
    return {
        "imports": found.imports,
        "dynamic": found.dynamic,
        "main_imports": main_found.imports,
        "main_dynamic": main_found.dynamic,
        "eager_imports": found.eager,
        "main_eager_imports": main_found.eager,
        # A module that imports by computed names may take them from its
        # own constants (six.moves' table of MovedModule("configparser",
        # ...)): those that name modules are candidates.
        "named": sorted(s for s in strings if not s.startswith("."))[:4096]
        if found.computed or main_found.computed
        else [],
    }


def compile_module(source, filename, optimize):
    """Compiles one module; returns a reply the Rust side decodes.

    Reply: 4-byte little-endian length of a JSON header, the header, then
    the marshalled code. On a syntax error the header describes it and no
    code follows.
    """
    try:
        code = compile(source, filename, "exec", dont_inherit=True, optimize=optimize)
    except SyntaxError as e:
        text = e.text
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        header = {
            "error": {
                "kind": type(e).__name__,
                "msg": e.msg or str(e),
                # Some errors carry -1 (bad_coding.py: an unknown encoding).
                "lineno": max(e.lineno or 0, 0),
                "offset": max(e.offset or 0, 0),
                "text": (text or "").rstrip("\n"),
            }
        }
        return _reply(header, b"")
    except ValueError as e:  # e.g. source code string cannot contain null bytes
        header = {"error": {"kind": "ValueError", "msg": str(e), "lineno": 0, "offset": 0, "text": ""}}
        return _reply(header, b"")
    return _reply(scan_imports(code), marshal.dumps(code))


def run_tests(source, filename):
    """Runs the unittest test cases of one of freeze's own Python test files
    (``packager/python/tests``, ``runtime/python/tests``) in this
    interpreter, the build frozen apps embed, with the runtime's importer
    serving the stdlib from the archive. Returns unittest's report: its last
    line is ``OK`` or ``FAILED (...)``."""
    import io
    import types
    import unittest

    module = types.ModuleType(filename.rpartition("/")[2].rpartition(".")[0])
    module.__file__ = filename
    exec(compile(source, filename, "exec", dont_inherit=True), module.__dict__)
    stream = io.StringIO()
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    unittest.TextTestRunner(stream=stream, verbosity=2).run(suite)
    return stream.getvalue().encode()


def _reply(header, payload):
    head = json.dumps(header, separators=(",", ":")).encode()
    return len(head).to_bytes(4, "little") + head + payload


def interpreter_facts():
    """What the embedded interpreter knows about itself, as JSON bytes."""
    import _imp
    import importlib.util

    candidates = list(sys.stdlib_module_names) + [
        "importlib.util",
        "importlib.machinery",
        "os.path",
        "__phello__.spam",
    ]
    facts = {
        "version": sys.version.split()[0],
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "builtin": sorted(sys.builtin_module_names),
        "frozen": sorted(n for n in set(candidates) if _imp.is_frozen(n)),
        # With a stdlib dir (3.13's runtime sets one), CPython's frozen
        # modules get a __file__ below it that code reads (astroid, inspect).
        "frozen_files": getattr(sys, "_stdlib_dir", None) is not None,
    }
    return json.dumps(facts).encode()


# -- build time: the stdlib archive -------------------------------------------

# Not shipped: tests, IDEs and demos, and what only makes sense for an
# installed Python (site-packages, the config dir).
_SKIP_TOP = {
    "test", "idlelib", "turtledemo", "site-packages", "dist-packages", "__pycache__",
    "lib-dynload", "__phello__", "ensurepip",
}
_SKIP_SUB = {"test", "tests", "idle_test", "__pycache__"}
_SKIP_FILES = {"sitecustomize.py", "__hello__.py", "antigravity.py", "this.py"}
# Stdlib packages whose data files are shipped: those that open them beside
# their modules. Other data (pydoc's CSS, email's docs, ...) would only make
# every app that reaches those packages write a data directory at start.
_DATA_PACKAGES = {"lib2to3", "venv"}


# Runtime modules compiled under the names of CPython's frozen modules whose
# role they play, so tracebacks read exactly as under python: CPython trims
# frames of "<frozen importlib._bootstrap_external>" from import errors, and
# python app/ shows two "<frozen runpy>" frames.
_RUNTIME_FILENAMES = {
    "_freeze_importer": "<frozen importlib._bootstrap_external>",
    "_freeze_files": "<frozen importlib._bootstrap_external>",
    "_freeze_runmain": "<frozen runpy>",
}


def build_stdlib(stdlib_dir, out_dir, extra_sources):
    """Compiles the stdlib into out_dir: manifest.json plus blob files."""
    import os

    os.makedirs(os.path.join(out_dir, "blobs"), exist_ok=True)
    modules = []
    files = []
    counter = [0]

    def blob(data):
        counter[0] += 1
        name = "%05d" % counter[0]
        with open(os.path.join(out_dir, "blobs", name), "wb") as f:
            f.write(data)
        return name

    def add_module(name, kind, rel, source, filename=None):
        reply = compile_module(source, filename or rel, 0)
        n = int.from_bytes(reply[:4], "little")
        header = json.loads(reply[4 : 4 + n])
        if "error" in header:
            # A few stdlib files are Python 2 examples (lib2to3 data); skip.
            return
        # The stdlib's imports by computed names are listed in build.rs
        # (IMPLICIT_IMPORTS), not guessed from its string constants.
        del header["named"]
        modules.append(
            {
                "name": name,
                "kind": kind,
                "path": rel,
                "code": blob(reply[4 + n :]),
                "source": blob(source),
                **header,
            }
        )

    def walk(abs_dir, rel_dir, package):
        entries = sorted(os.listdir(abs_dir))
        for entry in entries:
            abs_path = os.path.join(abs_dir, entry)
            rel = rel_dir + "/" + entry if rel_dir else entry
            if os.path.isdir(abs_path):
                if (not rel_dir and entry in _SKIP_TOP) or entry in _SKIP_SUB:
                    continue
                if not rel_dir and entry.startswith("config-"):
                    continue
                if not entry.isidentifier():
                    # Data directory inside a package (e.g. lib2to3 grammar dirs).
                    if package:
                        add_data_tree(abs_path, rel)
                    continue
                sub = (package + "." if package else "") + entry
                init = os.path.join(abs_path, "__init__.py")
                if os.path.isfile(init):
                    with open(init, "rb") as f:
                        add_module(sub, "package", rel + "/__init__.py", f.read())
                    walk(abs_path, rel, sub)
                elif package:
                    # A plain directory in a package holds data (or an
                    # __init__-less subpackage); keep both views.
                    walk(abs_path, rel, sub)
                continue
            if entry.endswith(".py"):
                if not rel_dir and entry in _SKIP_FILES:
                    continue
                if entry == "__init__.py":
                    continue
                stem = entry[:-3]
                if "." in stem:
                    continue
                name = (package + "." if package else "") + stem
                with open(abs_path, "rb") as f:
                    add_module(name, "module", rel, f.read())
            elif rel_dir and package and not entry.endswith((".pyc", ".pyo")):
                add_data(abs_path, rel)

    def add_data(abs_path, rel):
        if rel.partition("/")[0] not in _DATA_PACKAGES:
            return
        with open(abs_path, "rb") as f:
            files.append({"path": rel, "kind": "data", "data": blob(f.read())})

    def add_data_tree(abs_dir, rel_dir):
        for root, dirs, names in os.walk(abs_dir):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_SUB)
            for n in sorted(names):
                if n.endswith((".pyc", ".pyo")):
                    continue
                p = os.path.join(root, n)
                add_data(p, rel_dir + "/" + os.path.relpath(p, abs_dir).replace(os.sep, "/"))

    walk(stdlib_dir, "", "")
    for path in extra_sources:
        stem = os.path.basename(path)[:-3]
        # The runtime's importer takes the filename of importlib's frozen
        # loader: CPython trims frames with that filename from tracebacks of
        # imports (see _freeze_importer.exec_module).
        filename = _RUNTIME_FILENAMES.get(stem)
        with open(path, "rb") as f:
            add_module(stem, "module", stem + ".py", f.read(), filename)

    import importlib.util

    manifest = {
        "version": sys.version.split()[0],
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "modules": modules,
        "files": files,
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, sort_keys=True)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "build-stdlib":
        build_stdlib(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit("usage: _freeze_tools.py build-stdlib STDLIB_DIR OUT_DIR [EXTRA.py ...]")
