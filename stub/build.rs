//! Exports the embedded CPython's API from the stub so extension modules
//! loaded at run time resolve `Py*` symbols against it.
fn main() {
    let list = std::env::var("DEP_FREEZE_PYTHON_DYNAMIC_LIST")
        .expect("freeze-runtime's build script provides the dynamic list");
    println!("cargo:rustc-link-arg-bins=-Wl,--dynamic-list={list}");
}
