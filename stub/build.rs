//! Exports the embedded CPython's API from the stub so extension modules
//! loaded at run time resolve `Py*` symbols against it, and links the stub
//! against the glibc a source-built runtime was built against.

#[path = "sysroot.rs"]
mod sysroot;

fn main() {
    let list = std::env::var("DEP_FREEZE_PYTHON_DYNAMIC_LIST")
        .expect("freeze-runtime's build script provides the dynamic list");
    println!("cargo:rustc-link-arg-bins=-Wl,--dynamic-list={list}");
    // Symbol versions are bound at link time to the glibc linked against:
    // against the old glibc of the runtime's build root, the stub needs no
    // newer one to start.
    let sysroot = std::env::var("DEP_FREEZE_PYTHON_SYSROOT").unwrap_or_default();
    if !sysroot.is_empty() {
        sysroot::link_against(&sysroot);
    }
}
