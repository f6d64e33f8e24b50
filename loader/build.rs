//! Links the loader, which starts every `--compress-runtime` executable,
//! against the glibc of a runtime built from CPython's source, as the stub
//! is (stub/build.rs). The loader does not embed CPython, so it reads
//! `FREEZE_CPYTHON` itself (runtime/build.rs checks it).

#[path = "../stub/sysroot.rs"]
mod sysroot;

fn main() {
    println!("cargo:rerun-if-env-changed=FREEZE_CPYTHON");
    if let Some(prefix) = std::env::var_os("FREEZE_CPYTHON") {
        let sysroot = std::path::Path::new(&prefix).join("sysroot");
        sysroot::link_against(&sysroot.to_string_lossy());
    }
}
