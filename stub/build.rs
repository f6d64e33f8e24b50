//! Exports the embedded CPython's API from the stub so extension modules
//! loaded at run time resolve `Py*` symbols against it, and links the stub
//! against the glibc a source-built runtime was built against.
fn main() {
    let list = std::env::var("DEP_FREEZE_PYTHON_DYNAMIC_LIST")
        .expect("freeze-runtime's build script provides the dynamic list");
    println!("cargo:rustc-link-arg-bins=-Wl,--dynamic-list={list}");
    // Symbol versions are bound at link time to the glibc linked against:
    // against the old glibc of the runtime's build root, the stub needs no
    // newer one to start (docs/runtimes.md, "glibc floor").
    // --sysroot alone is not enough: GCC searches its own install's
    // library directories (the host's /usr/lib/x86_64-linux-gnu among them)
    // before the sysroot's, so the sysroot's come first explicitly (-L for
    // libraries, -B for the start files).
    let sysroot = std::env::var("DEP_FREEZE_PYTHON_SYSROOT").unwrap_or_default();
    if !sysroot.is_empty() {
        println!("cargo:rustc-link-arg-bins=--sysroot={sysroot}");
        println!("cargo:rustc-link-arg-bins=-B{sysroot}/usr/lib/x86_64-linux-gnu/");
        for dir in ["usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"] {
            println!("cargo:rustc-link-arg-bins=-L{sysroot}/{dir}");
        }
    }
}
