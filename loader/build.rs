//! Links the loader, which starts every `--compress-runtime` executable,
//! against the glibc of the runtime built from CPython's source, as the stub
//! is (stub/build.rs). The loader does not embed CPython, so it asks which
//! runtime the build embeds itself (runtime/source_runtime.rs).

#[path = "../stub/sysroot.rs"]
mod sysroot;

#[path = "../runtime/source_runtime.rs"]
mod source_runtime;

fn main() {
    let runtime =
        source_runtime::choose().unwrap_or_else(|e| source_runtime::fail("freeze-loader", &e));
    if let Some(prefix) = runtime {
        sysroot::link_against(&prefix.join("sysroot").to_string_lossy());
    }
}
