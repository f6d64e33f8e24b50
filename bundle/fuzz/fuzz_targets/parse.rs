//! Parses arbitrary bytes as a bundle and as an ELF executable, walks every
//! module and file, and reads every blob; fails on a panic or on a broken
//! invariant between `verify()` and the readers.
//!
//! Run with `cargo +nightly fuzz run parse` from `bundle/`. The same logic
//! runs over a mutated corpus in `cargo test -p freeze-bundle`.

#![no_main]

use freeze_bundle::fuzzing::{repair_checksums, walk_untrusted};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Random bytes almost never match the checksums; the repaired copy lets
    // mutations reach the structural checks behind them.
    for candidate in [data.to_vec(), repair_checksums(data)] {
        if let Some(problem) = walk_untrusted(&candidate).inconsistency() {
            panic!("{problem}");
        }
    }
});
