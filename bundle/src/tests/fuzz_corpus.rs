//! The fuzz target's logic over a corpus of mutated bundles, so that every
//! `cargo test` runs it, not just fuzzing sessions.

use super::dictionary::dictionary_bundle;
use super::{sample_bundle, small_bundle, Rng};
use crate::fuzzing::{repair_checksums, walk_bundle, walk_untrusted, WalkTotals};
use crate::{embed_in_elf, BundleWriter};

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        if bytes.is_empty() {
            bytes.push(rng.next_u64() as u8);
            continue;
        }
        let at = rng.below(bytes.len());
        match rng.below(7) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = rng.next_u64() as u8,
            2 => bytes[at] = [0x00, 0x01, 0x7f, 0x80, 0xff][rng.below(5)],
            3 => bytes.truncate(at),
            4 => bytes.insert(at, rng.next_u64() as u8),
            5 => {
                // Overwrite a little-endian u32 with a boundary value.
                let value: u32 = [0, 1, 31, 32, u32::MAX, u32::MAX - 1, 0x8000_0000][rng.below(7)];
                for (offset, byte) in value.to_le_bytes().into_iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(at + offset) {
                        *slot = byte;
                    }
                }
            }
            _ => {
                // Copy a chunk over another place, as records get shuffled.
                let len = 1 + rng.below(32);
                let from = rng.below(bytes.len());
                let chunk: Vec<u8> = bytes[from..(from + len).min(bytes.len())].to_vec();
                for (offset, byte) in chunk.into_iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(at + offset) {
                        *slot = byte;
                    }
                }
            }
        }
    }
    bytes
}

#[test]
fn seeds_walk_cleanly() {
    for seed in [small_bundle(), sample_bundle(), dictionary_bundle()] {
        let walk = walk_bundle(&seed).expect("seed parses");
        walk.verified.as_ref().expect("seed verifies");
        let totals = walk.read.as_ref().expect("seed reads");
        assert!(totals.modules > 0 && totals.files > 0 && totals.blobs_read > 0);
        assert_eq!(
            repair_checksums(&seed),
            seed,
            "repair must not change a valid bundle"
        );
    }
    let empty = BundleWriter::new(super::PYTHON_MAGIC)
        .finish()
        .expect("finish");
    let walk = walk_bundle(&empty).expect("empty parses");
    assert_eq!(walk.read.expect("reads"), WalkTotals::default());
}

/// The seeds of `tests/fuzz` (cargo-fuzz's `parse` target): bundles and
/// executables with bundles, written as files to `$FREEZE_FUZZ_SEEDS`
/// (else to a scratch directory) and checked as read back from there.
#[test]
fn seed_corpus_files_walk_cleanly() {
    let (dir, scratch) = match std::env::var_os("FREEZE_FUZZ_SEEDS") {
        Some(dir) => (std::path::PathBuf::from(dir), false),
        None => (
            std::env::temp_dir().join(format!("freeze-fuzz-seeds-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir).expect("create the seed directory");
    let true_exe = std::fs::read("/bin/true").expect("read /bin/true");
    let seeds = [
        ("small.bundle", small_bundle()),
        ("sample.bundle", sample_bundle()),
        ("dictionary.bundle", dictionary_bundle()),
        (
            "small.elf",
            embed_in_elf(&true_exe, &small_bundle()).expect("embed"),
        ),
        (
            "sample.elf",
            embed_in_elf(&true_exe, &sample_bundle()).expect("embed"),
        ),
    ];
    for (name, bytes) in &seeds {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write a seed");
        let read_back = std::fs::read(&path).expect("read a seed back");
        let walk = walk_untrusted(&read_back);
        assert_eq!(walk.inconsistency(), None, "{name}");
        let inner = match (&walk.as_bundle, &walk.as_elf) {
            (Ok(inner), _) | (_, Ok(Some(Ok(inner)))) => inner,
            _ => panic!("{name} is neither a bundle nor an executable with one"),
        };
        assert!(inner.verified.is_ok() && inner.read.is_ok(), "{name}");
    }
    if scratch {
        std::fs::remove_dir_all(&dir).expect("remove the scratch seeds");
    }
}

#[test]
fn mutated_bundles_never_break_an_invariant() {
    let seeds = [small_bundle(), sample_bundle(), dictionary_bundle()];
    let mut rng = Rng::new(0x5eed);
    let mut parsed_after_repair = 0;
    let mut verified_after_repair = 0;
    for round in 0..3000 {
        let seed = &seeds[round % seeds.len()];
        let mutated = mutate(seed, &mut rng);
        for candidate in [repair_checksums(&mutated), mutated] {
            let walk = walk_untrusted(&candidate);
            if let Some(problem) = walk.inconsistency() {
                panic!("round {round}: {problem}");
            }
            if let Ok(bundle_walk) = &walk.as_bundle {
                parsed_after_repair += 1;
                if bundle_walk.verified.is_ok() {
                    verified_after_repair += 1;
                }
            }
        }
    }
    // Repairing checksums must actually carry mutations past parse(), or
    // this test would only ever exercise the checksum checks.
    assert!(
        parsed_after_repair > 300,
        "only {parsed_after_repair} parsed"
    );
    assert!(verified_after_repair > 0);
}

#[test]
fn mutated_executables_never_break_an_invariant() {
    let exe = embed_in_elf(
        &std::fs::read("/bin/true").expect("read /bin/true"),
        &small_bundle(),
    )
    .expect("embed");
    let walk = walk_untrusted(&exe);
    assert!(matches!(&walk.as_elf, Ok(Some(Ok(inner))) if inner.verified.is_ok()));
    // Mutations aimed at the tail: the payload, the names and the section table.
    let tail_start = exe.len() - 4096.min(exe.len());
    let mut rng = Rng::new(0xe1f);
    for round in 0..500 {
        let (head, tail) = exe.split_at(tail_start);
        let mut mutated = head.to_vec();
        mutated.extend(mutate(tail, &mut rng));
        if let Some(problem) = walk_untrusted(&mutated).inconsistency() {
            panic!("round {round}: {problem}");
        }
    }
}
