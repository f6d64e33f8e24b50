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
use crate::pyref::PyRef;
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
    let code = PyRef::new(ffi::PyMarshal_ReadObjectFromString(
        code.as_ptr().cast(),
        code.len() as ffi::Py_ssize_t,
    ))
    .ok_or_else(|| py_error("cannot unmarshal _freeze_importer"))?;
    let module = ffi::PyImport_AddModule(c"_freeze_importer".as_ptr()); // borrowed
    if module.is_null() {
        return Err(py_error("cannot create _freeze_importer"));
    }
    let dict = ffi::PyModule_GetDict(module); // borrowed
    if ffi::PyDict_SetItemString(dict, c"__builtins__".as_ptr(), ffi::PyEval_GetBuiltins()) != 0 {
        return Err(py_error("cannot set up _freeze_importer"));
    }
    PyRef::new(ffi::PyEval_EvalCode(code.as_ptr(), dict, dict))
        .ok_or_else(|| py_error("_freeze_importer failed"))?;
    call_importer_hook("_install")
}

/// Calls a no-argument function of `_freeze_importer`.
///
/// # Safety
/// Initialised (at least core) interpreter, GIL held.
unsafe fn call_importer_hook(name: &str) -> Result<(), RuntimeError> {
    call_function("_freeze_importer", name, &[]).map(drop)
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
        if ffi::PyBytes_AsStringAndSize(result.as_ptr(), &mut data, &mut len) != 0 {
            return Err(py_error(&format!("{module}.{func} did not return bytes")));
        }
        // The bytes live as long as `result`, dropped after the copy.
        Ok(std::slice::from_raw_parts(data.cast::<u8>(), len as usize).to_vec())
    }
}

/// `module.func(*args)`.
///
/// # Safety
/// Initialised interpreter, GIL held.
unsafe fn call_function(module: &str, func: &str, args: &[Arg<'_>]) -> Result<PyRef, RuntimeError> {
    let module_c = cstring(module)?;
    let func_c = cstring(func)?;
    let m = PyRef::new(ffi::PyImport_ImportModule(module_c.as_ptr()))
        .ok_or_else(|| py_error(&format!("cannot import {module}")))?;
    let f = PyRef::new(ffi::PyObject_GetAttrString(m.as_ptr(), func_c.as_ptr()))
        .ok_or_else(|| py_error(&format!("{module} has no {func}")))?;
    let items = args
        .iter()
        .map(|arg| match arg {
            Arg::Str(s) => PyRef::str(s),
            Arg::Bytes(b) => PyRef::bytes(b),
            Arg::Int(n) => PyRef::int(*n),
        })
        .collect::<Option<Vec<PyRef>>>()
        .ok_or_else(|| py_error("cannot convert an argument"))?;
    let tuple = PyRef::tuple(items).ok_or_else(|| py_error("cannot build the arguments"))?;
    PyRef::new(ffi::PyObject_CallObject(f.as_ptr(), tuple.as_ptr()))
        .ok_or_else(|| py_error(&format!("{module}.{func} raised")))
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
    // holds the GIL; the result is dropped before Py_FinalizeEx, and nothing
    // touches the interpreter after it.
    unsafe {
        let result = match main {
            MainRun::Script => run_script_main(),
            MainRun::Module(name) => cstring(name).ok().and_then(|name| run_module_main(&name)),
            MainRun::Command(code) => cstring(&code).ok().and_then(|code| run_command(&code)),
        };
        let mut status = 0;
        let mut unhandled_interrupt = false;
        if result.is_none() {
            unhandled_interrupt = ffi::PyErr_ExceptionMatches(ffi::PyExc_KeyboardInterrupt) != 0;
            // Prints through sys.excepthook; on SystemExit it finalises and
            // exits with the requested status (Py_Exit), exactly like python.
            ffi::PyErr_Print();
            status = 1;
        }
        drop(result);
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

/// The result of running the script as `__main__`; None with the exception
/// set.
///
/// # Safety
/// Booted interpreter, GIL held.
unsafe fn run_script_main() -> Option<PyRef> {
    // The importer prepares __main__'s globals (__file__, __loader__, ...)
    // and returns the code with its filename fixed up.
    let code = call_function("_freeze_importer", "_script_main_code", &[]).ok()?;
    let main = ffi::PyImport_AddModule(c"__main__".as_ptr()); // borrowed
    if main.is_null() {
        return None;
    }
    let globals = ffi::PyModule_GetDict(main); // borrowed
    PyRef::new(ffi::PyEval_EvalCode(code.as_ptr(), globals, globals))
}

/// Runs `code` in `__main__` as `python -c` does (filename `<string>`).
///
/// # Safety
/// Booted interpreter, GIL held.
unsafe fn run_command(code: &CStr) -> Option<PyRef> {
    let main = ffi::PyImport_AddModule(c"__main__".as_ptr()); // borrowed
    if main.is_null() {
        return None;
    }
    let globals = ffi::PyModule_GetDict(main); // borrowed
    let compiled = PyRef::new(ffi::Py_CompileString(
        code.as_ptr(),
        c"<string>".as_ptr(),
        ffi::Py_file_input,
    ))?;
    PyRef::new(ffi::PyEval_EvalCode(compiled.as_ptr(), globals, globals))
}

/// # Safety
/// Booted interpreter, GIL held.
unsafe fn run_module_main(name: &CStr) -> Option<PyRef> {
    let runpy = PyRef::new(ffi::PyImport_ImportModule(c"_freeze_runmain".as_ptr()))?;
    let func = PyRef::new(ffi::PyObject_GetAttrString(
        runpy.as_ptr(),
        c"_run_module_as_main".as_ptr(),
    ))?;
    let name = PyRef::new(ffi::PyUnicode_FromString(name.as_ptr()))?;
    // alter_argv=False: sys.argv[0] stays the executable, as for any frozen app.
    let alter_argv = PyRef::new(ffi::PyBool_FromLong(0))?;
    let args = PyRef::tuple(vec![name, alter_argv])?;
    PyRef::new(ffi::PyObject_CallObject(func.as_ptr(), args.as_ptr()))
}

/// Takes the pending Python exception and describes it as an error.
///
/// # Safety
/// GIL held; an exception is expected to be set (a missing one is reported).
// PyErr_Fetch is deprecated from 3.12 (for PyErr_GetRaisedException, which
// 3.11 lacks) but kept by every version the runtime embeds.
#[allow(deprecated)]
unsafe fn py_error(context: &str) -> RuntimeError {
    let mut ptype = ptr::null_mut();
    let mut pvalue = ptr::null_mut();
    let mut ptrace = ptr::null_mut();
    ffi::PyErr_Fetch(&mut ptype, &mut pvalue, &mut ptrace);
    if ptype.is_null() {
        return RuntimeError::Python(context.to_owned());
    }
    ffi::PyErr_NormalizeException(&mut ptype, &mut pvalue, &mut ptrace);
    // PyErr_Fetch handed over one reference to each (or NULL).
    let (ptype, pvalue, _ptrace) = (PyRef::new(ptype), PyRef::new(pvalue), PyRef::new(ptrace));
    let type_name = ptype.as_ref().and_then(|t| {
        PyRef::new(ffi::PyObject_GetAttrString(
            t.as_ptr(),
            c"__name__".as_ptr(),
        ))
    });
    let type_name = object_str(type_name.as_ref());
    let message = match &pvalue {
        Some(value) => object_str(PyRef::new(ffi::PyObject_Str(value.as_ptr())).as_ref()),
        None => String::new(),
    };
    ffi::PyErr_Clear();
    RuntimeError::Python(format!("{context}: {type_name}: {message}"))
}

/// The text of a str object, `?` for none or one that is not a str.
///
/// # Safety
/// GIL held.
unsafe fn object_str(object: Option<&PyRef>) -> String {
    let Some(object) = object else {
        ffi::PyErr_Clear();
        return String::from("?");
    };
    let mut len: ffi::Py_ssize_t = 0;
    let data = ffi::PyUnicode_AsUTF8AndSize(object.as_ptr(), &mut len);
    if data.is_null() {
        ffi::PyErr_Clear();
        return String::from("?");
    }
    String::from_utf8_lossy(std::slice::from_raw_parts(data.cast::<u8>(), len as usize))
        .into_owned()
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

/// The `_freeze` module's functions that take one str: the name, the
/// function, its doc.
const STR_METHODS: [(&CStr, StrMethod, &CStr); 9] = [
    (c"find", find, c"find(name) -> (kind, path) or None"),
    (c"code", code, c"code(name) -> code object"),
    (c"source", source, c"source(name) -> bytes or None"),
    (
        c"children",
        children,
        c"children(package) -> [(name, kind)]",
    ),
    (c"data", data, c"data(path) -> bytes or None"),
    (c"files_under", files_under, c"files_under(dir) -> [path]"),
    (
        c"preload_library",
        preload_library,
        c"preload_library(soname) -> True if a bundled library of that name is now loaded",
    ),
    (c"file_size", file_size, c"file_size(path) -> size or None"),
    (
        c"load_extension",
        load_extension,
        c"load_extension(name) -> /proc/self/fd/N path of the extension, loaded after its libraries",
    ),
];

/// The body of a `_freeze` function taking one str: the served bundle and
/// the text in; a new reference out, or None with a Python exception set.
type StrMethod = unsafe fn(&'static Served, &str) -> Option<PyRef>;

/// The METH_O entry point of each [`StrMethod`]: CPython calls a plain
/// function pointer, so each body gets one, all of the same shape.
macro_rules! str_method_entries {
    ($($index:literal),*) => {
        [$({
            extern "C" fn entry(
                _module: *mut ffi::PyObject,
                arg: *mut ffi::PyObject,
            ) -> *mut ffi::PyObject {
                // SAFETY: CPython calls METH_O functions with the GIL held
                // and a borrowed argument that outlives the call.
                unsafe { serve_str_arg(arg, STR_METHODS[$index].1) }
            }
            entry as ffi::PyCFunction
        }),*]
    };
}

const STR_METHOD_ENTRIES: [ffi::PyCFunction; STR_METHODS.len()] =
    str_method_entries!(0, 1, 2, 3, 4, 5, 6, 7, 8);

/// Runs a [`StrMethod`] on a METH_O call's argument.
///
/// # Safety
/// GIL held; `arg` is the borrowed argument of the current call.
unsafe fn serve_str_arg(arg: *mut ffi::PyObject, body: StrMethod) -> *mut ffi::PyObject {
    let Some(served) = SERVED.get() else {
        return raise(ffi::PyExc_ImportError, "the bundle is not served yet")
            .map_or(ptr::null_mut(), PyRef::into_raw);
    };
    // A str, or None with TypeError set by CPython.
    match str_arg(arg) {
        Some(text) => body(served, text).map_or(ptr::null_mut(), PyRef::into_raw),
        None => ptr::null_mut(),
    }
}

extern "C" fn init_freeze_module() -> *mut ffi::PyObject {
    let mut methods: Vec<ffi::PyMethodDef> = STR_METHODS
        .iter()
        .zip(STR_METHOD_ENTRIES)
        .map(|((name, _, doc), entry)| method(name, entry, ffi::METH_O, doc))
        .collect();
    methods.push(method(
        c"divert",
        freeze_divert,
        ffi::METH_VARARGS,
        c"divert(original, handler) -> a function calling handler(*args, **kwargs) when its first argument is a path under the bundle's root (original if that returns NotImplemented; an exception it returns is raised), else original",
    ));
    methods.push(ffi::PyMethodDef::zeroed());
    let def = Box::new(ffi::PyModuleDef {
        m_base: ffi::PyModuleDef_HEAD_INIT,
        m_name: c"_freeze".as_ptr(),
        m_doc: c"Access to the bundle of a frozen executable.".as_ptr(),
        m_size: -1,
        m_methods: methods.leak().as_mut_ptr(),
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
        let Some(module) = PyRef::new(ffi::PyModule_Create2(
            Box::leak(def),
            ffi::PYTHON_API_VERSION,
        )) else {
            return ptr::null_mut();
        };
        let main = served.bundle.main().map_or("", |(_, name)| name);
        let suffixes = crate::EXTENSION_SUFFIXES
            .iter()
            .map(|suffix| PyRef::str(suffix))
            .collect::<Option<Vec<PyRef>>>()
            .and_then(|items| PyRef::tuple(items));
        let ok = add_object(&module, c"root", PyRef::str(&served.root))
            && add_object(&module, c"main_name", PyRef::str(main))
            && add_object(&module, c"EXTENSION_SUFFIXES", suffixes)
            && ModuleKind::ALL
                .iter()
                .all(|&kind| add_object(&module, kind_name(kind), PyRef::int(kind_code(kind))));
        if !ok {
            return ptr::null_mut();
        }
        module.into_raw()
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
    // tuple of arguments; the pair is a new tuple the function object holds
    // a reference of its own to, and DIVERTED is a static method definition
    // CPython only reads.
    unsafe {
        let mut original: *mut ffi::PyObject = ptr::null_mut();
        let mut handler: *mut ffi::PyObject = ptr::null_mut();
        if ffi::PyArg_UnpackTuple(args, c"divert".as_ptr(), 2, 2, &mut original, &mut handler) == 0
        {
            return ptr::null_mut();
        }
        let Some(pair) = PyRef::new(ffi::PyTuple_Pack(2, original, handler)) else {
            return ptr::null_mut();
        };
        ffi::PyCFunction_NewEx(&raw mut DIVERTED, pair.as_ptr(), ptr::null_mut())
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
    let first = ffi::PyTuple_GetItem(args, 0); // borrowed
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
    let Some(path) = PyRef::new(ffi::PyOS_FSPath(first)) else {
        ffi::PyErr_Clear();
        return false;
    };
    ffi::PyUnicode_Check(path.as_ptr()) != 0 && is_under(path.as_ptr())
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
            let Some(result) = PyRef::new(ffi::PyObject_Call(handler, args, kwargs)) else {
                return ptr::null_mut();
            };
            if result.as_ptr() != ffi::Py_NotImplemented() {
                if ffi::PyExceptionInstance_Check(result.as_ptr()) != 0 {
                    // The handler's error for a path (FileNotFoundError),
                    // raised here so that no frame of the handler's shows.
                    ffi::PyErr_SetObject(ffi::Py_TYPE(result.as_ptr()).cast(), result.as_ptr());
                    return ptr::null_mut();
                }
                return result.into_raw();
            }
        }
        ffi::PyObject_Call(original, args, kwargs)
    }
}

/// Adds `value` to `module` as `name`; false (with an exception set) if it
/// is None or cannot be added.
///
/// # Safety
/// GIL held.
unsafe fn add_object(module: &PyRef, name: &CStr, value: Option<PyRef>) -> bool {
    let Some(value) = value else {
        return false;
    };
    // PyModule_AddObjectRef takes a reference of its own; `value` drops ours.
    ffi::PyModule_AddObjectRef(module.as_ptr(), name.as_ptr(), value.as_ptr()) == 0
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

/// Sets exception `kind` with `message`; None, as a failed call returns.
///
/// # Safety
/// GIL held.
unsafe fn raise(kind: *mut ffi::PyObject, message: &str) -> Option<PyRef> {
    let message = CString::new(message.replace('\0', "?")).unwrap_or_default();
    ffi::PyErr_SetString(kind, message.as_ptr());
    None
}

/// # Safety
/// GIL held.
unsafe fn import_error(message: &str) -> Option<PyRef> {
    raise(ffi::PyExc_ImportError, message)
}

fn kind_code(kind: ModuleKind) -> i64 {
    i64::from(kind.to_u8())
}

/// The name `_freeze` gives a module kind's code (`_freeze.MODULE`).
fn kind_name(kind: ModuleKind) -> &'static CStr {
    match kind {
        ModuleKind::Module => c"MODULE",
        ModuleKind::Package => c"PACKAGE",
        ModuleKind::NamespacePackage => c"NAMESPACE",
        ModuleKind::Extension => c"EXTENSION",
    }
}

/// (kind, path) of module `name`, or None.
///
/// # Safety
/// GIL held, as for every [`StrMethod`].
unsafe fn find(served: &'static Served, name: &str) -> Option<PyRef> {
    match served.bundle.find_module(name) {
        Ok(Some(entry)) => PyRef::tuple(vec![
            PyRef::int(kind_code(entry.kind))?,
            PyRef::str(entry.path)?,
        ]),
        Ok(None) => Some(PyRef::none()),
        Err(e) => import_error(&format!("bundle index is damaged at {name}: {e}")),
    }
}

/// The code object of module `name`.
///
/// # Safety
/// GIL held, as for every [`StrMethod`].
unsafe fn code(served: &'static Served, name: &str) -> Option<PyRef> {
    let code = match served.bundle.find_module(name) {
        Ok(Some(entry)) => match entry.code {
            Some(code) => code,
            None => return import_error(&format!("no code for {name} in the bundle")),
        },
        Ok(None) => return import_error(&format!("no module named {name} in the bundle")),
        Err(e) => return import_error(&format!("cannot load {name} from the bundle: {e}")),
    };
    // The blob's bytes outlive the unmarshal call, which copies them.
    match read_blob_once(&served.bundle, &code, |bytes| {
        PyRef::new(ffi::PyMarshal_ReadObjectFromString(
            bytes.as_ptr().cast(),
            bytes.len() as ffi::Py_ssize_t,
        ))
    }) {
        Ok(object) => object,
        Err(e) => import_error(&format!("cannot load {name} from the bundle: {e}")),
    }
}

/// The source of module `name` as bytes, or None.
///
/// # Safety
/// GIL held, as for every [`StrMethod`].
unsafe fn source(served: &'static Served, name: &str) -> Option<PyRef> {
    let source = match served.bundle.find_module(name) {
        Ok(Some(entry)) => entry.source,
        Ok(None) => None,
        Err(e) => return import_error(&format!("bundle index is damaged at {name}: {e}")),
    };
    match source.map(|s| read_blob_once(&served.bundle, &s, |bytes| PyRef::bytes(bytes))) {
        Some(Ok(object)) => object,
        Some(Err(e)) => import_error(&format!("cannot read the source of {name}: {e}")),
        None => Some(PyRef::none()),
    }
}

/// [(name, kind)] of the submodules of `package`.
///
/// # Safety
/// GIL held, as for every [`StrMethod`].
unsafe fn children(served: &'static Served, package: &str) -> Option<PyRef> {
    let children = match served.bundle.submodules(package) {
        Ok(children) => children,
        Err(e) => return import_error(&format!("bundle index is damaged: {e}")),
    };
    let items = children
        .iter()
        .map(|child| {
            PyRef::tuple(vec![
                PyRef::str(child.name)?,
                PyRef::int(kind_code(child.kind))?,
            ])
        })
        .collect::<Option<Vec<PyRef>>>()?;
    PyRef::list(items)
}

/// The content of bundled file `path`, or None.
///
/// # Safety
/// GIL held, as for every [`StrMethod`].
unsafe fn data(served: &'static Served, path: &str) -> Option<PyRef> {
    match served.bundle.find_file(path) {
        Ok(Some(file)) => match read_blob_once(&served.bundle, &file.data, |b| PyRef::bytes(b)) {
            Ok(object) => object,
            Err(e) => raise(
                ffi::PyExc_OSError,
                &format!("cannot read {path} from the bundle: {e}"),
            ),
        },
        Ok(None) => Some(PyRef::none()),
        Err(e) => import_error(&format!("bundle index is damaged: {e}")),
    }
}

/// The paths of the bundled files under `dir`.
///
/// # Safety
/// GIL held, as for every [`StrMethod`].
unsafe fn files_under(served: &'static Served, dir: &str) -> Option<PyRef> {
    let files = match served.bundle.files_under(dir) {
        Ok(files) => files,
        Err(e) => return import_error(&format!("bundle index is damaged: {e}")),
    };
    let items = files
        .iter()
        .map(|file| PyRef::str(file.path))
        .collect::<Option<Vec<PyRef>>>()?;
    PyRef::list(items)
}

/// Loads extension module `name` (its libraries first); the path `_imp.create_dynamic` finds it by.
///
/// # Safety
/// GIL held, as for every [`StrMethod`].
unsafe fn load_extension(served: &'static Served, name: &str) -> Option<PyRef> {
    let flags = dlopen_flags();
    match crate::native::prepare_extension(&served.bundle, &served.root, name, flags) {
        Ok(path) => PyRef::str(&path),
        Err(e) => import_error(&format!("cannot load extension module {name}: {e}")),
    }
}

/// `sys.getdlopenflags()`: the flags CPython's extension loader passes to
/// `dlopen`, which the runtime loads extension modules with before it.
///
/// # Safety
/// The GIL must be held.
unsafe fn dlopen_flags() -> c_int {
    let getter = ffi::PySys_GetObject(c"getdlopenflags".as_ptr()); // borrowed
    let value = if getter.is_null() {
        None
    } else {
        PyRef::new(ffi::PyObject_CallNoArgs(getter))
    };
    let Some(value) = value else {
        ffi::PyErr_Clear();
        return libc::RTLD_NOW;
    };
    let flags = ffi::PyLong_AsLong(value.as_ptr());
    if flags == -1 && !ffi::PyErr_Occurred().is_null() {
        ffi::PyErr_Clear();
        return libc::RTLD_NOW;
    }
    flags as c_int
}

/// The size of bundled file `path`, or None.
///
/// # Safety
/// GIL held, as for every [`StrMethod`].
unsafe fn file_size(served: &'static Served, path: &str) -> Option<PyRef> {
    match served.bundle.find_file(path) {
        Ok(Some(file)) => PyRef::int(i64::from(file.data.raw_len)),
        Ok(None) => Some(PyRef::none()),
        Err(e) => import_error(&format!("bundle index is damaged: {e}")),
    }
}

/// Loads the bundled library `soname`; whether the bundle has one.
///
/// # Safety
/// GIL held, as for every [`StrMethod`].
unsafe fn preload_library(served: &'static Served, soname: &str) -> Option<PyRef> {
    match crate::native::preload_by_name(&served.bundle, &served.root, soname) {
        Ok(found) => PyRef::new(ffi::PyBool_FromLong(std::ffi::c_long::from(found))),
        Err(e) => raise(ffi::PyExc_OSError, &e.to_string()),
    }
}
