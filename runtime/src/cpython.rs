//! The one place that talks to CPython's C API.
//!
//! Everything else in the workspace reaches the interpreter through the safe
//! functions here. The interpreter is process-global state, so these functions
//! are written for a single boot per process, on the main thread, holding the
//! GIL for the whole life of the program (CPython's embedding model: the
//! thread that initialised the interpreter owns the GIL until it releases it
//! in the eval loop).

use std::ffi::{c_char, c_int, CStr, CString};
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::OnceLock;

use freeze_bundle::{Bundle, ModuleKind};
use pyo3_ffi as ffi;

use crate::payload::read_blob_once;
use crate::RuntimeError;

extern "C" {
    // Not declared by pyo3-ffi: the second half of CPython's two-phase
    // initialisation (PEP 587), run after our importer is on sys.meta_path.
    fn _Py_InitializeMain() -> ffi::PyStatus;
}

/// What the `_freeze` builtin module serves: the bundle and the virtual root
/// under which bundled files appear to live.
struct Served {
    bundle: Bundle<'static>,
    root: String,
}

static SERVED: OnceLock<Served> = OnceLock::new();

/// How to configure the interpreter before it starts.
pub(crate) struct BootConfig<'a> {
    /// Absolute path of the running executable (`sys.executable`), also the
    /// virtual root of bundled paths (`<exe>/pkg/mod.py`).
    pub executable: &'a str,
    /// Root of the bundle's virtual paths (`sys._MEIPASS`): the executable,
    /// or the directory its package data was written to.
    pub root: &'a str,
    /// `sys.argv`, verbatim.
    pub argv: &'a [CString],
    /// True for apps (Ctrl-C raises KeyboardInterrupt, SIGPIPE ignored, like
    /// python); false for the freeze tool's own compiler interpreter.
    pub install_signal_handlers: bool,
    /// `-X importtime`: per-import timings on stderr.
    pub import_time: bool,
}

/// Boots CPython from `bundle`: core init, our importer on `sys.meta_path`,
/// then the main init that imports `encodings` and `io` through it.
pub(crate) fn boot(bundle: Bundle<'static>, config: &BootConfig<'_>) -> Result<(), RuntimeError> {
    let root = config.root.to_owned();
    if SERVED.set(Served { bundle, root }).is_err() {
        return Err(RuntimeError::AlreadyBooted);
    }
    let importer_code = module_code(&bundle, "_freeze_importer")?;
    let exe = cstring(config.executable)?;

    // SAFETY: this is the first and only initialisation of the interpreter in
    // this process (guarded by SERVED above). All config structs are
    // initialised by CPython's own Init functions before we touch their
    // fields, strings handed to CPython are NUL-terminated and outlive the
    // calls (CPython copies them), and every PyStatus is checked.
    unsafe {
        let mut pre = MaybeUninit::<ffi::PyPreConfig>::uninit();
        ffi::PyPreConfig_InitIsolatedConfig(pre.as_mut_ptr());
        let mut pre = pre.assume_init();
        // Isolated mode keeps the C locale; UTF-8 mode makes stdio UTF-8 the
        // way python's PEP 538/540 locale coercion does under `env -i`.
        pre.utf8_mode = 1;
        check(ffi::Py_PreInitialize(&pre))?;

        if ffi::PyImport_AppendInittab(c"_freeze".as_ptr(), Some(init_freeze_module)) != 0 {
            return Err(RuntimeError::Boot(
                "cannot register the _freeze module".into(),
            ));
        }

        let mut cfg = MaybeUninit::<ffi::PyConfig>::uninit();
        ffi::PyConfig_InitIsolatedConfig(cfg.as_mut_ptr());
        let mut cfg = cfg.assume_init();
        let result = configure_and_init(&mut cfg, config, &exe);
        ffi::PyConfig_Clear(&mut cfg);
        result?;

        install_importer(importer_code)?;
        check(_Py_InitializeMain())?;
        call_importer_hook("_setup")?;
    }
    Ok(())
}

/// # Safety
/// `cfg` must come from `PyConfig_InitIsolatedConfig`; called before the
/// interpreter exists.
unsafe fn configure_and_init(
    cfg: &mut ffi::PyConfig,
    config: &BootConfig<'_>,
    exe: &CStr,
) -> Result<(), RuntimeError> {
    cfg.install_signal_handlers = c_int::from(config.install_signal_handlers);
    cfg.import_time = c_int::from(config.import_time);
    cfg.site_import = 0;
    cfg.write_bytecode = 0;
    cfg.parse_argv = 0;
    cfg.pathconfig_warnings = 0;
    cfg.user_site_directory = 0;
    // The one PYTHON* variable honoured: container images set it so that
    // logs appear at once, and it can change nothing but buffering.
    if std::env::var_os("PYTHONUNBUFFERED").is_some_and(|v| !v.is_empty()) {
        cfg.buffered_stdio = 0;
    }
    // Only the first half of init: the importer must be installed before
    // `encodings` and `io` are imported.
    cfg._init_main = 0;
    // Fill in every path the path calculation would otherwise compute by
    // probing the filesystem (landmarks under /usr/lib/python3.11,
    // pyvenv.cfg next to the executable).
    cfg.module_search_paths_set = 1;
    let fields: [*mut *mut libc::wchar_t; 8] = [
        &mut cfg.executable,
        &mut cfg.base_executable,
        &mut cfg.prefix,
        &mut cfg.base_prefix,
        &mut cfg.exec_prefix,
        &mut cfg.base_exec_prefix,
        &mut cfg.stdlib_dir,
        &mut cfg.home,
    ];
    for field in fields {
        check(ffi::PyConfig_SetBytesString(cfg, field, exe.as_ptr()))?;
    }
    let mut argv: Vec<*const c_char> = config.argv.iter().map(|a| a.as_ptr()).collect();
    if argv.is_empty() {
        argv.push(exe.as_ptr());
    }
    check(ffi::PyConfig_SetBytesArgv(
        cfg,
        argv.len() as ffi::Py_ssize_t,
        argv.as_mut_ptr(),
    ))?;
    check(ffi::Py_InitializeFromConfig(cfg))
}

/// Execs the importer's code into a fresh module by hand: before the main
/// init `PyImport_ExecCodeModule` cannot work (no `sys.path_hooks` yet).
///
/// # Safety
/// Core-initialised interpreter, GIL held.
unsafe fn install_importer(code: Vec<u8>) -> Result<(), RuntimeError> {
    let code =
        ffi::PyMarshal_ReadObjectFromString(code.as_ptr().cast(), code.len() as ffi::Py_ssize_t);
    if code.is_null() {
        return Err(py_error("cannot unmarshal _freeze_importer"));
    }
    let module = ffi::PyImport_AddModule(c"_freeze_importer".as_ptr()); // borrowed
    if module.is_null() {
        ffi::Py_DECREF(code);
        return Err(py_error("cannot create _freeze_importer"));
    }
    let dict = ffi::PyModule_GetDict(module); // borrowed
    if ffi::PyDict_SetItemString(dict, c"__builtins__".as_ptr(), ffi::PyEval_GetBuiltins()) != 0 {
        ffi::Py_DECREF(code);
        return Err(py_error("cannot set up _freeze_importer"));
    }
    let result = ffi::PyEval_EvalCode(code, dict, dict);
    ffi::Py_DECREF(code);
    if result.is_null() {
        return Err(py_error("_freeze_importer failed"));
    }
    ffi::Py_DECREF(result);
    call_importer_hook("_install")
}

/// Calls a no-argument function of `_freeze_importer`.
///
/// # Safety
/// Initialised (at least core) interpreter, GIL held.
unsafe fn call_importer_hook(name: &str) -> Result<(), RuntimeError> {
    let result = call_function("_freeze_importer", name, &[])?;
    ffi::Py_DECREF(result);
    Ok(())
}

/// An argument for [`call`].
pub enum Arg<'a> {
    Str(&'a str),
    Bytes(&'a [u8]),
    Int(i64),
}

/// Calls `module.func(*args)` and returns its result, which must be bytes.
pub(crate) fn call(module: &str, func: &str, args: &[Arg<'_>]) -> Result<Vec<u8>, RuntimeError> {
    if SERVED.get().is_none() {
        return Err(RuntimeError::NotBooted);
    }
    // SAFETY: the interpreter is fully initialised (SERVED is set only by
    // `boot`, which fails the process otherwise) and this thread holds the GIL.
    unsafe {
        let result = call_function(module, func, args)?;
        let mut data: *mut c_char = ptr::null_mut();
        let mut len: ffi::Py_ssize_t = 0;
        if ffi::PyBytes_AsStringAndSize(result, &mut data, &mut len) != 0 {
            ffi::Py_DECREF(result);
            return Err(py_error(&format!("{module}.{func} did not return bytes")));
        }
        let out = std::slice::from_raw_parts(data.cast::<u8>(), len as usize).to_vec();
        ffi::Py_DECREF(result);
        Ok(out)
    }
}

/// Returns a new reference to `module.func(*args)`.
///
/// # Safety
/// Initialised interpreter, GIL held.
unsafe fn call_function(
    module: &str,
    func: &str,
    args: &[Arg<'_>],
) -> Result<*mut ffi::PyObject, RuntimeError> {
    let module_c = cstring(module)?;
    let func_c = cstring(func)?;
    let m = ffi::PyImport_ImportModule(module_c.as_ptr());
    if m.is_null() {
        return Err(py_error(&format!("cannot import {module}")));
    }
    let f = ffi::PyObject_GetAttrString(m, func_c.as_ptr());
    ffi::Py_DECREF(m);
    if f.is_null() {
        return Err(py_error(&format!("{module} has no {func}")));
    }
    let tuple = ffi::PyTuple_New(args.len() as ffi::Py_ssize_t);
    if tuple.is_null() {
        ffi::Py_DECREF(f);
        return Err(py_error("out of memory"));
    }
    for (i, arg) in args.iter().enumerate() {
        let obj = match arg {
            Arg::Str(s) => {
                ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as ffi::Py_ssize_t)
            }
            Arg::Bytes(b) => {
                ffi::PyBytes_FromStringAndSize(b.as_ptr().cast(), b.len() as ffi::Py_ssize_t)
            }
            Arg::Int(n) => ffi::PyLong_FromLongLong(*n),
        };
        if obj.is_null() {
            ffi::Py_DECREF(tuple);
            ffi::Py_DECREF(f);
            return Err(py_error("cannot convert an argument"));
        }
        // PyTuple_SetItem steals the reference to obj.
        ffi::PyTuple_SetItem(tuple, i as ffi::Py_ssize_t, obj);
    }
    let result = ffi::PyObject_CallObject(f, tuple);
    ffi::Py_DECREF(tuple);
    ffi::Py_DECREF(f);
    if result.is_null() {
        return Err(py_error(&format!("{module}.{func} raised")));
    }
    Ok(result)
}

/// How the app's `__main__` runs (from the bundle header).
pub(crate) enum MainRun<'a> {
    /// Like `python app.py`: the code runs directly in `__main__`.
    Script,
    /// Like `python -m name` / `python dir/`: through `_freeze_runmain`, a
    /// lean runpy whose frames (`<frozen runpy>`) appear in tracebacks
    /// exactly as runpy's do under python.
    Module(&'a str),
    /// Like `python -c CODE` (multiprocessing's child processes).
    Command(String),
}

/// Runs the app's main code and finalises the interpreter, following
/// CPython's `Py_RunMain` exit rules. Returns the process exit status; a
/// `SystemExit` exits from inside CPython, and an unhandled
/// KeyboardInterrupt ends the process by SIGINT, both as python does.
pub(crate) fn run_main_and_finalize(main: MainRun<'_>) -> c_int {
    // SAFETY: called once, after a successful `boot` on this thread, which
    // holds the GIL; nothing touches the interpreter after Py_FinalizeEx.
    unsafe {
        let result = match main {
            MainRun::Script => run_script_main(),
            MainRun::Module(name) => match cstring(name) {
                Ok(name) => run_module_main(&name),
                Err(_) => ptr::null_mut(),
            },
            MainRun::Command(code) => match cstring(&code) {
                Ok(code) => run_command(&code),
                Err(_) => ptr::null_mut(),
            },
        };
        let mut status = 0;
        let mut unhandled_interrupt = false;
        if result.is_null() {
            unhandled_interrupt = ffi::PyErr_ExceptionMatches(ffi::PyExc_KeyboardInterrupt) != 0;
            // Prints through sys.excepthook; on SystemExit it finalises and
            // exits with the requested status (Py_Exit), exactly like python.
            ffi::PyErr_Print();
            status = 1;
        } else {
            ffi::Py_DECREF(result);
        }
        if ffi::Py_FinalizeEx() < 0 {
            // Flushing stdout failed (e.g. a closed pipe): python's status.
            status = 120;
        }
        if unhandled_interrupt {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::kill(libc::getpid(), libc::SIGINT);
            status = 130;
        }
        status
    }
}

/// # Safety
/// Booted interpreter, GIL held.
unsafe fn run_script_main() -> *mut ffi::PyObject {
    // The importer prepares __main__'s globals (__file__, __loader__, ...)
    // and returns the code with its filename fixed up.
    let code = match call_function("_freeze_importer", "_script_main_code", &[]) {
        Ok(code) => code,
        Err(_) => return ptr::null_mut(),
    };
    let main = ffi::PyImport_AddModule(c"__main__".as_ptr()); // borrowed
    if main.is_null() {
        ffi::Py_DECREF(code);
        return ptr::null_mut();
    }
    let globals = ffi::PyModule_GetDict(main); // borrowed
    let result = ffi::PyEval_EvalCode(code, globals, globals);
    ffi::Py_DECREF(code);
    result
}

/// Runs `code` in `__main__` as `python -c` does (filename `<string>`).
///
/// # Safety
/// Booted interpreter, GIL held.
unsafe fn run_command(code: &CStr) -> *mut ffi::PyObject {
    let main = ffi::PyImport_AddModule(c"__main__".as_ptr()); // borrowed
    if main.is_null() {
        return ptr::null_mut();
    }
    let globals = ffi::PyModule_GetDict(main); // borrowed
    let compiled = ffi::Py_CompileString(code.as_ptr(), c"<string>".as_ptr(), ffi::Py_file_input);
    if compiled.is_null() {
        return ptr::null_mut();
    }
    let result = ffi::PyEval_EvalCode(compiled, globals, globals);
    ffi::Py_DECREF(compiled);
    result
}

/// # Safety
/// Booted interpreter, GIL held.
unsafe fn run_module_main(name: &CStr) -> *mut ffi::PyObject {
    let runpy = ffi::PyImport_ImportModule(c"_freeze_runmain".as_ptr());
    if runpy.is_null() {
        return ptr::null_mut();
    }
    let func = ffi::PyObject_GetAttrString(runpy, c"_run_module_as_main".as_ptr());
    ffi::Py_DECREF(runpy);
    if func.is_null() {
        return ptr::null_mut();
    }
    let args = ffi::PyTuple_New(2);
    let name_obj = ffi::PyUnicode_FromString(name.as_ptr());
    if args.is_null() || name_obj.is_null() {
        ffi::Py_XDECREF(args);
        ffi::Py_XDECREF(name_obj);
        ffi::Py_DECREF(func);
        return ptr::null_mut();
    }
    // alter_argv=False: sys.argv[0] stays the executable, as for any frozen app.
    ffi::PyTuple_SetItem(args, 0, name_obj);
    ffi::PyTuple_SetItem(args, 1, ffi::PyBool_FromLong(0));
    let result = ffi::PyObject_CallObject(func, args);
    ffi::Py_DECREF(args);
    ffi::Py_DECREF(func);
    result
}

/// Takes the pending Python exception and describes it as an error.
///
/// # Safety
/// GIL held; an exception is expected to be set (a missing one is reported).
unsafe fn py_error(context: &str) -> RuntimeError {
    let mut ptype = ptr::null_mut();
    let mut pvalue = ptr::null_mut();
    let mut ptrace = ptr::null_mut();
    ffi::PyErr_Fetch(&mut ptype, &mut pvalue, &mut ptrace);
    if ptype.is_null() {
        return RuntimeError::Python(context.to_owned());
    }
    ffi::PyErr_NormalizeException(&mut ptype, &mut pvalue, &mut ptrace);
    let type_name = object_str(
        ffi::PyObject_GetAttrString(ptype, c"__name__".as_ptr()),
        true,
    );
    let message = if pvalue.is_null() {
        String::new()
    } else {
        object_str(ffi::PyObject_Str(pvalue), true)
    };
    ffi::Py_XDECREF(ptype);
    ffi::Py_XDECREF(pvalue);
    ffi::Py_XDECREF(ptrace);
    ffi::PyErr_Clear();
    RuntimeError::Python(format!("{context}: {type_name}: {message}"))
}

/// Converts a new reference to a Rust string and releases it.
///
/// # Safety
/// GIL held; `obj` is null or a new reference.
unsafe fn object_str(obj: *mut ffi::PyObject, steal: bool) -> String {
    if obj.is_null() {
        ffi::PyErr_Clear();
        return String::from("?");
    }
    let mut len: ffi::Py_ssize_t = 0;
    let data = ffi::PyUnicode_AsUTF8AndSize(obj, &mut len);
    let s = if data.is_null() {
        ffi::PyErr_Clear();
        String::from("?")
    } else {
        String::from_utf8_lossy(std::slice::from_raw_parts(data.cast::<u8>(), len as usize))
            .into_owned()
    };
    if steal {
        ffi::Py_DECREF(obj);
    }
    s
}

/// # Safety
/// GIL held.
unsafe fn check(status: ffi::PyStatus) -> Result<(), RuntimeError> {
    if ffi::PyStatus_Exception(status) == 0 {
        return Ok(());
    }
    if ffi::PyStatus_IsExit(status) != 0 {
        std::process::exit(status.exitcode);
    }
    let msg = if status.err_msg.is_null() {
        String::from("unknown error")
    } else {
        CStr::from_ptr(status.err_msg)
            .to_string_lossy()
            .into_owned()
    };
    let func = if status.func.is_null() {
        String::new()
    } else {
        format!("{}: ", CStr::from_ptr(status.func).to_string_lossy())
    };
    Err(RuntimeError::Boot(format!("{func}{msg}")))
}

fn cstring(s: &str) -> Result<CString, RuntimeError> {
    CString::new(s).map_err(|_| RuntimeError::Boot(format!("NUL byte in {s:?}")))
}

fn module_code(bundle: &Bundle<'static>, name: &str) -> Result<Vec<u8>, RuntimeError> {
    let entry = bundle
        .find_module(name)?
        .ok_or_else(|| RuntimeError::MissingModule(name.to_owned()))?;
    let code = entry
        .code
        .ok_or_else(|| RuntimeError::MissingModule(name.to_owned()))?;
    Ok(read_blob_once(bundle, &code, <[u8]>::to_vec)?)
}

// ---------------------------------------------------------------------------
// The `_freeze` builtin module: the importer's window onto the bundle.
// ---------------------------------------------------------------------------

const fn method(
    name: &'static CStr,
    meth: ffi::PyCFunction,
    flags: c_int,
    doc: &'static CStr,
) -> ffi::PyMethodDef {
    ffi::PyMethodDef {
        ml_name: name.as_ptr(),
        ml_meth: ffi::PyMethodDefPointer { PyCFunction: meth },
        ml_flags: flags,
        ml_doc: doc.as_ptr(),
    }
}

extern "C" fn init_freeze_module() -> *mut ffi::PyObject {
    let methods: Box<[ffi::PyMethodDef]> = Box::new([
        method(
            c"find",
            freeze_find,
            ffi::METH_O,
            c"find(name) -> (kind, path) or None",
        ),
        method(
            c"code",
            freeze_code,
            ffi::METH_O,
            c"code(name) -> code object",
        ),
        method(
            c"source",
            freeze_source,
            ffi::METH_O,
            c"source(name) -> bytes or None",
        ),
        method(
            c"children",
            freeze_children,
            ffi::METH_O,
            c"children(package) -> [(name, kind)]",
        ),
        method(
            c"data",
            freeze_data,
            ffi::METH_O,
            c"data(path) -> bytes or None",
        ),
        method(
            c"files_under",
            freeze_files_under,
            ffi::METH_O,
            c"files_under(dir) -> [path]",
        ),
        method(
            c"preload_library",
            freeze_preload_library,
            ffi::METH_O,
            c"preload_library(soname) -> True if a bundled library of that name is now loaded",
        ),
        method(
            c"file_size",
            freeze_file_size,
            ffi::METH_O,
            c"file_size(path) -> size or None",
        ),
        method(
            c"divert",
            freeze_divert,
            ffi::METH_VARARGS,
            c"divert(original, handler) -> a function calling handler(*args, **kwargs) when its first argument is a path under the bundle's root (original if that returns NotImplemented; an exception it returns is raised), else original",
        ),
        method(
            c"load_extension",
            freeze_load_extension,
            ffi::METH_O,
            c"load_extension(name) -> /proc/self/fd/N path of the extension, loaded after its libraries",
        ),
        ffi::PyMethodDef::zeroed(),
    ]);
    let def = Box::new(ffi::PyModuleDef {
        m_base: ffi::PyModuleDef_HEAD_INIT,
        m_name: c"_freeze".as_ptr(),
        m_doc: c"Access to the bundle of a frozen executable.".as_ptr(),
        m_size: -1,
        m_methods: Box::leak(methods).as_mut_ptr(),
        m_slots: ptr::null_mut(),
        m_traverse: None,
        m_clear: None,
        m_free: None,
    });
    let Some(served) = SERVED.get() else {
        return ptr::null_mut();
    };
    // SAFETY: called by CPython's import machinery with the GIL held. The
    // method table and module def are leaked, so they live as long as the
    // interpreter, as CPython requires of static module definitions.
    unsafe {
        let module = ffi::PyModule_Create2(Box::leak(def), ffi::PYTHON_API_VERSION);
        if module.is_null() {
            return module;
        }
        let (mode, main) = match served.bundle.main() {
            Ok(Some((freeze_bundle::MainMode::Script, name))) => (1, name),
            Ok(Some((freeze_bundle::MainMode::Module, name))) => (2, name),
            _ => (0, ""),
        };
        let ok = add_str(module, c"root", &served.root)
            && add_str(module, c"main_name", main)
            && ffi::PyModule_AddIntConstant(module, c"main_mode".as_ptr(), mode) == 0;
        if !ok {
            ffi::Py_DECREF(module);
            return ptr::null_mut();
        }
        module
    }
}

/// The function `_freeze.divert` returns: its self is `(original, handler)`.
static mut DIVERTED: ffi::PyMethodDef = ffi::PyMethodDef {
    ml_name: c"diverted".as_ptr(),
    ml_meth: ffi::PyMethodDefPointer {
        PyCFunctionWithKeywords: diverted_call,
    },
    ml_flags: ffi::METH_VARARGS | ffi::METH_KEYWORDS,
    ml_doc: c"A stdlib file function that also sees the bundle's virtual paths.".as_ptr(),
};

/// `divert(original, handler)`: a builtin function, so that it adds no
/// frame to the tracebacks of the original's errors (`open()` of a missing
/// file reads exactly as under python).
extern "C" fn freeze_divert(
    _m: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls METH_VARARGS functions with the GIL held and a
    // tuple of arguments; the pair is a new tuple the function object owns,
    // and DIVERTED is a static method definition CPython only reads.
    unsafe {
        let mut original: *mut ffi::PyObject = ptr::null_mut();
        let mut handler: *mut ffi::PyObject = ptr::null_mut();
        if ffi::PyArg_UnpackTuple(args, c"divert".as_ptr(), 2, 2, &mut original, &mut handler) == 0
        {
            return ptr::null_mut();
        }
        let pair = ffi::PyTuple_Pack(2, original, handler);
        if pair.is_null() {
            return ptr::null_mut();
        }
        let function = ffi::PyCFunction_NewEx(&raw mut DIVERTED, pair, ptr::null_mut());
        ffi::Py_DECREF(pair);
        function
    }
}

/// Whether a call's first argument is a path under the bundle's root (a
/// str or an os.PathLike giving one).
///
/// # Safety
/// GIL held; `args` a tuple.
unsafe fn first_arg_is_virtual(args: *mut ffi::PyObject) -> bool {
    let Some(served) = SERVED.get() else {
        return false;
    };
    if ffi::PyTuple_Size(args) < 1 {
        return false;
    }
    let first = ffi::PyTuple_GetItem(args, 0);
    if first.is_null() {
        ffi::PyErr_Clear();
        return false;
    }
    let is_under = |path: *mut ffi::PyObject| match str_arg(path) {
        Some(text) => text
            .strip_prefix(served.root.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
        None => {
            ffi::PyErr_Clear();
            false
        }
    };
    if ffi::PyUnicode_Check(first) != 0 {
        return is_under(first);
    }
    if ffi::PyLong_Check(first) != 0 || ffi::PyBytes_Check(first) != 0 {
        return false; // a descriptor, or a bytes path: never virtual
    }
    let path = ffi::PyOS_FSPath(first);
    if path.is_null() {
        ffi::PyErr_Clear();
        return false;
    }
    let virtual_path = ffi::PyUnicode_Check(path) != 0 && is_under(path);
    ffi::Py_DECREF(path);
    virtual_path
}

extern "C" fn diverted_call(
    pair: *mut ffi::PyObject,
    args: *mut ffi::PyObject,
    kwargs: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: CPython calls METH_VARARGS | METH_KEYWORDS functions with the
    // GIL held, `pair` the (original, handler) tuple given at creation,
    // `args` a tuple and `kwargs` a dict or NULL; items are borrowed from
    // the tuple, which outlives the call.
    unsafe {
        let original = ffi::PyTuple_GetItem(pair, 0);
        let handler = ffi::PyTuple_GetItem(pair, 1);
        if original.is_null() || handler.is_null() {
            return ptr::null_mut();
        }
        if first_arg_is_virtual(args) {
            let result = ffi::PyObject_Call(handler, args, kwargs);
            if result.is_null() || result != ffi::Py_NotImplemented() {
                if !result.is_null() && ffi::PyExceptionInstance_Check(result) != 0 {
                    // The handler's error for a path (FileNotFoundError),
                    // raised here so that no frame of the handler's shows.
                    ffi::PyErr_SetObject(ffi::Py_TYPE(result).cast(), result);
                    ffi::Py_DECREF(result);
                    return ptr::null_mut();
                }
                return result;
            }
            ffi::Py_DECREF(result);
        }
        ffi::PyObject_Call(original, args, kwargs)
    }
}

/// # Safety
/// GIL held, `module` a valid module.
unsafe fn add_str(module: *mut ffi::PyObject, name: &CStr, value: &str) -> bool {
    let obj = new_str(value);
    // PyModule_AddObject steals the reference on success only.
    if obj.is_null() || ffi::PyModule_AddObject(module, name.as_ptr(), obj) != 0 {
        ffi::Py_XDECREF(obj);
        return false;
    }
    true
}

/// # Safety
/// GIL held.
unsafe fn new_str(s: &str) -> *mut ffi::PyObject {
    ffi::PyUnicode_FromStringAndSize(s.as_ptr().cast(), s.len() as ffi::Py_ssize_t)
}

/// # Safety
/// GIL held.
unsafe fn new_bytes(b: &[u8]) -> *mut ffi::PyObject {
    ffi::PyBytes_FromStringAndSize(b.as_ptr().cast(), b.len() as ffi::Py_ssize_t)
}

/// Borrows the UTF-8 of a str argument; None with TypeError set otherwise.
///
/// # Safety
/// GIL held; the returned slice lives as long as `arg`.
unsafe fn str_arg<'a>(arg: *mut ffi::PyObject) -> Option<&'a str> {
    let mut len: ffi::Py_ssize_t = 0;
    let data = ffi::PyUnicode_AsUTF8AndSize(arg, &mut len);
    if data.is_null() {
        return None;
    }
    std::str::from_utf8(std::slice::from_raw_parts(data.cast::<u8>(), len as usize)).ok()
}

/// A new reference to None.
///
/// # Safety
/// GIL held.
unsafe fn py_none() -> *mut ffi::PyObject {
    let none = ffi::Py_None();
    ffi::Py_INCREF(none);
    none
}

/// The served bundle and a METH_O function's str argument; None (with a
/// Python exception set, or before boot) otherwise.
///
/// # Safety
/// GIL held; `arg` is the borrowed argument of the current call.
unsafe fn served_arg<'a>(arg: *mut ffi::PyObject) -> Option<(&'static Served, &'a str)> {
    let served = SERVED.get()?;
    Some((served, str_arg(arg)?))
}

/// # Safety
/// GIL held.
unsafe fn raise_import_error(msg: &str) -> *mut ffi::PyObject {
    let msg = CString::new(msg.replace('\0', "?")).unwrap_or_default();
    ffi::PyErr_SetString(ffi::PyExc_ImportError, msg.as_ptr());
    ptr::null_mut()
}

fn kind_code(kind: ModuleKind) -> i64 {
    match kind {
        ModuleKind::Module => 0,
        ModuleKind::Package => 1,
        ModuleKind::NamespacePackage => 2,
        ModuleKind::Extension => 3,
    }
}

extern "C" fn freeze_find(_m: *mut ffi::PyObject, arg: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: CPython calls METH_O functions with the GIL held and a borrowed
    // argument that outlives the call.
    unsafe {
        let Some((served, name)) = served_arg(arg) else {
            return ptr::null_mut();
        };
        match served.bundle.find_module(name) {
            Ok(Some(entry)) => {
                let tuple = ffi::PyTuple_New(2);
                if tuple.is_null() {
                    return tuple;
                }
                ffi::PyTuple_SetItem(tuple, 0, ffi::PyLong_FromLongLong(kind_code(entry.kind)));
                ffi::PyTuple_SetItem(tuple, 1, new_str(entry.path));
                tuple
            }
            Ok(None) => py_none(),
            Err(e) => raise_import_error(&format!("bundle index is damaged at {name}: {e}")),
        }
    }
}

extern "C" fn freeze_code(_m: *mut ffi::PyObject, arg: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: as for freeze_find; the blob bytes outlive the unmarshal call.
    unsafe {
        let Some((served, name)) = served_arg(arg) else {
            return ptr::null_mut();
        };
        let code = match served.bundle.find_module(name) {
            Ok(Some(entry)) => match entry.code {
                Some(code) => Ok(code),
                None => return raise_import_error(&format!("no code for {name} in the bundle")),
            },
            Ok(None) => {
                return raise_import_error(&format!("no module named {name} in the bundle"))
            }
            Err(e) => Err(e),
        };
        let unmarshalled = code.and_then(|code| {
            read_blob_once(&served.bundle, &code, |bytes| {
                ffi::PyMarshal_ReadObjectFromString(
                    bytes.as_ptr().cast(),
                    bytes.len() as ffi::Py_ssize_t,
                )
            })
        });
        match unmarshalled {
            Ok(object) => object,
            Err(e) => raise_import_error(&format!("cannot load {name} from the bundle: {e}")),
        }
    }
}

extern "C" fn freeze_source(_m: *mut ffi::PyObject, arg: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: as for freeze_find.
    unsafe {
        let Some((served, name)) = served_arg(arg) else {
            return ptr::null_mut();
        };
        let source = match served.bundle.find_module(name) {
            Ok(Some(entry)) => entry.source,
            Ok(None) => None,
            Err(e) => {
                return raise_import_error(&format!("bundle index is damaged at {name}: {e}"))
            }
        };
        match source.map(|s| read_blob_once(&served.bundle, &s, |bytes| new_bytes(bytes))) {
            Some(Ok(object)) => object,
            Some(Err(e)) => raise_import_error(&format!("cannot read the source of {name}: {e}")),
            None => py_none(),
        }
    }
}

extern "C" fn freeze_children(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as for freeze_find.
    unsafe {
        let Some((served, package)) = served_arg(arg) else {
            return ptr::null_mut();
        };
        let children = match served.bundle.submodules(package) {
            Ok(children) => children,
            Err(e) => return raise_import_error(&format!("bundle index is damaged: {e}")),
        };
        let list = ffi::PyList_New(0);
        if list.is_null() {
            return list;
        }
        for child in children {
            let item = ffi::PyTuple_New(2);
            if item.is_null() {
                ffi::Py_DECREF(list);
                return item;
            }
            ffi::PyTuple_SetItem(item, 0, new_str(child.name));
            ffi::PyTuple_SetItem(item, 1, ffi::PyLong_FromLongLong(kind_code(child.kind)));
            let rc = ffi::PyList_Append(list, item);
            ffi::Py_DECREF(item);
            if rc != 0 {
                ffi::Py_DECREF(list);
                return ptr::null_mut();
            }
        }
        list
    }
}

extern "C" fn freeze_data(_m: *mut ffi::PyObject, arg: *mut ffi::PyObject) -> *mut ffi::PyObject {
    // SAFETY: as for freeze_find.
    unsafe {
        let Some((served, path)) = served_arg(arg) else {
            return ptr::null_mut();
        };
        match served.bundle.find_file(path) {
            Ok(Some(file)) => match read_blob_once(&served.bundle, &file.data, |b| new_bytes(b)) {
                Ok(object) => object,
                Err(e) => {
                    let msg = CString::new(format!("cannot read {path} from the bundle: {e}"))
                        .unwrap_or_default();
                    ffi::PyErr_SetString(ffi::PyExc_OSError, msg.as_ptr());
                    ptr::null_mut()
                }
            },
            Ok(None) => py_none(),
            Err(e) => raise_import_error(&format!("bundle index is damaged: {e}")),
        }
    }
}

extern "C" fn freeze_files_under(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as for freeze_find.
    unsafe {
        let Some((served, dir)) = served_arg(arg) else {
            return ptr::null_mut();
        };
        let files = match served.bundle.files_under(dir) {
            Ok(files) => files,
            Err(e) => return raise_import_error(&format!("bundle index is damaged: {e}")),
        };
        let list = ffi::PyList_New(0);
        if list.is_null() {
            return list;
        }
        for file in files {
            let item = new_str(file.path);
            if item.is_null() || ffi::PyList_Append(list, item) != 0 {
                ffi::Py_XDECREF(item);
                ffi::Py_DECREF(list);
                return ptr::null_mut();
            }
            ffi::Py_DECREF(item);
        }
        list
    }
}

extern "C" fn freeze_load_extension(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as for freeze_find.
    unsafe {
        let Some((served, name)) = served_arg(arg) else {
            return ptr::null_mut();
        };
        let flags = dlopen_flags();
        match crate::native::prepare_extension(&served.bundle, &served.root, name, flags) {
            Ok(path) => new_str(&path),
            Err(e) => raise_import_error(&format!("cannot load extension module {name}: {}", e.0)),
        }
    }
}

/// `sys.getdlopenflags()`: the flags CPython's extension loader passes to
/// `dlopen`, which the runtime loads extension modules with before it.
///
/// # Safety
/// The GIL must be held.
unsafe fn dlopen_flags() -> c_int {
    let getter = ffi::PySys_GetObject(c"getdlopenflags".as_ptr());
    let value = if getter.is_null() {
        ptr::null_mut()
    } else {
        ffi::PyObject_CallNoArgs(getter)
    };
    if value.is_null() {
        ffi::PyErr_Clear();
        return libc::RTLD_NOW;
    }
    let flags = ffi::PyLong_AsLong(value);
    ffi::Py_DECREF(value);
    if flags == -1 && !ffi::PyErr_Occurred().is_null() {
        ffi::PyErr_Clear();
        return libc::RTLD_NOW;
    }
    flags as c_int
}

extern "C" fn freeze_file_size(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as for freeze_find.
    unsafe {
        let Some((served, path)) = served_arg(arg) else {
            return ptr::null_mut();
        };
        match served.bundle.find_file(path) {
            Ok(Some(file)) => ffi::PyLong_FromLongLong(i64::from(file.data.raw_len)),
            Ok(None) => py_none(),
            Err(e) => raise_import_error(&format!("bundle index is damaged: {e}")),
        }
    }
}

extern "C" fn freeze_preload_library(
    _m: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    // SAFETY: as for freeze_find.
    unsafe {
        let Some((served, soname)) = served_arg(arg) else {
            return ptr::null_mut();
        };
        match crate::native::preload_by_name(&served.bundle, &served.root, soname) {
            Ok(found) => ffi::PyBool_FromLong(i64::from(found) as std::ffi::c_long),
            Err(e) => {
                let msg = CString::new(e.0.replace('\0', "?")).unwrap_or_default();
                ffi::PyErr_SetString(ffi::PyExc_OSError, msg.as_ptr());
                ptr::null_mut()
            }
        }
    }
}
