//! Linking against the glibc a runtime built from CPython's source was
//! built against (docs/runtimes.md, "glibc floor"); shared by the build
//! scripts of the stub and the loader, the two executables a frozen app
//! starts with.

/// Emits the link arguments that bind the binaries to `sysroot`'s glibc.
/// `--sysroot` alone is not enough: GCC searches its own install's library
/// directories (the host's /usr/lib/x86_64-linux-gnu among them) before the
/// sysroot's, so the sysroot's come first explicitly (-L for libraries, -B
/// for the start files).
pub fn link_against(sysroot: &str) {
    println!("cargo:rustc-link-arg-bins=--sysroot={sysroot}");
    println!("cargo:rustc-link-arg-bins=-B{sysroot}/usr/lib/x86_64-linux-gnu/");
    for dir in ["usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"] {
        println!("cargo:rustc-link-arg-bins=-L{sysroot}/{dir}");
    }
}
