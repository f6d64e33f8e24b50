//! The runtime stub: a frozen app is a copy of this executable with a bundle
//! in its `.freeze` section.
//!
//! `no_main`: Rust's own start-up code would install a SIGSEGV handler for
//! stack overflows (turning them into SIGABRT) and change SIGPIPE; a frozen
//! app must die from signals exactly as python does, so CPython alone decides
//! signal handling.
#![no_main]

use std::ffi::{c_char, c_int};

#[no_mangle]
pub extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    // std reads argc/argv itself on glibc (from .init_array), so the runtime
    // takes them from std::env::args_os().
    freeze_runtime::run_app()
}
