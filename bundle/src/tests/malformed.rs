use super::{sample_bundle, small_bundle};
use crate::fuzzing::{repair_checksums, walk_untrusted};
use crate::{Bundle, BundleError, Codec, StoredBytes, HEADER_LEN};

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn set_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn set_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

/// Byte offsets of the tables of a well-formed bundle.
struct Layout {
    modules: usize,
    files: usize,
    blobs: usize,
    prefetch: usize,
    strings: usize,
}

impl Layout {
    fn of(bytes: &[u8]) -> Self {
        let module_count = u32_at(bytes, 32) as usize;
        let file_count = u32_at(bytes, 36) as usize;
        let blob_count = u32_at(bytes, 40) as usize;
        let prefetch_count = u32_at(bytes, 44) as usize;
        let modules = HEADER_LEN;
        let files = modules + 32 * module_count;
        let blobs = files + 32 * file_count;
        let prefetch = blobs + 32 * blob_count;
        Layout {
            modules,
            files,
            blobs,
            prefetch,
            strings: prefetch + 8 * prefetch_count,
        }
    }

    fn module(&self, index: usize) -> usize {
        self.modules + 32 * index
    }

    fn file(&self, index: usize) -> usize {
        self.files + 32 * index
    }

    fn blob(&self, index: usize) -> usize {
        self.blobs + 32 * index
    }
}

fn module_index(bytes: &[u8], name: &str) -> usize {
    let bundle = Bundle::parse(bytes).expect("parse");
    (0..bundle.module_count())
        .find(|&i| bundle.module(i).expect("module").name == name)
        .expect("module present")
}

/// Applies `edit` to a copy of the sample bundle, repairs the checksums,
/// and returns the error that parse or verify reports.
fn rejection_after(edit: impl FnOnce(&mut Vec<u8>, &Layout)) -> BundleError {
    let mut bytes = sample_bundle();
    let layout = Layout::of(&bytes);
    edit(&mut bytes, &layout);
    let bytes = repair_checksums(&bytes);
    assert!(walk_untrusted(&bytes).inconsistency().is_none());
    match Bundle::parse(&bytes) {
        Err(error) => error,
        Ok(bundle) => bundle.verify().expect_err("the edit must be detected"),
    }
}

/// Checks that `error` is the problem `is_expected` accepts, in whatever
/// part of the bundle it was found, and that its message mentions
/// `expected_fragment`.
fn assert_rejected(
    error: BundleError,
    is_expected: impl Fn(&BundleError) -> bool,
    expected_fragment: &str,
) {
    assert!(
        is_expected(error.problem()),
        "unexpected problem: {error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(expected_fragment),
        "{message:?} does not mention {expected_fragment:?}"
    );
}

fn assert_corrupt(error: BundleError, expected_fragment: &str) {
    assert_rejected(
        error,
        |problem| matches!(problem, BundleError::Corrupt(_)),
        expected_fragment,
    );
}

/// A string or blob outside its region.
fn assert_out_of_range(error: BundleError, what: &str) {
    assert_rejected(
        error,
        |problem| matches!(problem, BundleError::OutOfRange { what: w, .. } if *w == what),
        "outside",
    );
}

/// A record's index past the end of its table.
fn assert_index_out_of_range(error: BundleError, expected_fragment: &str) {
    assert_rejected(
        error,
        |problem| matches!(problem, BundleError::IndexOutOfRange { .. }),
        expected_fragment,
    );
}

#[test]
fn non_bundles_are_refused_with_clear_errors() {
    assert!(matches!(
        Bundle::parse(b""),
        Err(BundleError::Truncated {
            what: "header",
            needed,
            available: 0
        }) if needed == HEADER_LEN as u64
    ));
    assert!(matches!(
        Bundle::parse(b"FRZ"),
        Err(BundleError::Truncated { available: 3, .. })
    ));
    assert!(matches!(
        Bundle::parse(b"\x7fELF\x02\x01\x01"),
        Err(BundleError::NotABundle)
    ));
    assert!(matches!(
        Bundle::parse(&[0u8; 200]),
        Err(BundleError::NotABundle)
    ));
    let mut header_only = sample_bundle();
    header_only.truncate(HEADER_LEN);
    assert!(matches!(
        Bundle::parse(&header_only),
        Err(BundleError::Truncated { what: "tables", .. })
    ));
}

#[test]
fn other_format_versions_are_refused_by_number() {
    // Version 1 (no prefetch table), version 2 (no dictionary), version 3
    // (no content digests), version 4 (no reasons), version 5 (no LZ4) and
    // a later one alike.
    for other in [1u16, 2, 3, 4, 5, 7] {
        let mut bytes = small_bundle();
        bytes[8..10].copy_from_slice(&other.to_le_bytes());
        let error = Bundle::parse(&bytes).expect_err("another version");
        assert!(matches!(
            error,
            BundleError::UnsupportedVersion {
                found,
                supported: 6
            } if found == other
        ));
        assert_eq!(
            error.to_string(),
            format!("bundle format version {other}, this build reads 6")
        );
    }

    let mut bytes = small_bundle();
    bytes[10..12].copy_from_slice(&128u16.to_le_bytes());
    assert_corrupt(
        Bundle::parse(&bytes).expect_err("header length"),
        "header length",
    );
}

#[test]
fn every_truncation_is_refused() {
    for bytes in [small_bundle(), sample_bundle()] {
        for len in 0..bytes.len() {
            let error = Bundle::parse(&bytes[..len]).expect_err("truncated");
            assert!(
                matches!(error, BundleError::Truncated { .. }),
                "length {len}: {error:?}"
            );
        }
    }
}

#[test]
fn every_bit_flip_is_detected() {
    let bytes = small_bundle();
    let bundle = Bundle::parse(&bytes).expect("parse");
    bundle.verify().expect("verify");
    let mut flipped = bytes.clone();
    for position in 0..bytes.len() {
        for bit in 0..8 {
            flipped[position] ^= 1 << bit;
            let detected = match Bundle::parse(&flipped) {
                Err(_) => true,
                Ok(bundle) => bundle.verify().is_err(),
            };
            assert!(
                detected,
                "flip of bit {bit} at byte {position} went unnoticed"
            );
            assert!(walk_untrusted(&flipped).inconsistency().is_none());
            flipped[position] ^= 1 << bit;
        }
    }
}

#[test]
fn extra_bytes_after_the_data_are_refused() {
    let mut bytes = small_bundle();
    bytes.push(0);
    assert_corrupt(
        Bundle::parse(&bytes).expect_err("trailing"),
        "unexpected bytes",
    );
}

/// A reader of a file learns a bundle's size from its header alone, and
/// only from a header that would parse.
#[test]
fn the_header_alone_tells_the_bundle_length() {
    for bundle in [small_bundle(), sample_bundle()] {
        assert_eq!(
            Bundle::declared_len(&bundle[..HEADER_LEN]).expect("header"),
            bundle.len() as u64
        );
        assert_eq!(
            Bundle::declared_len(&bundle).expect("whole"),
            bundle.len() as u64
        );
    }
    assert!(matches!(
        Bundle::declared_len(&[0; HEADER_LEN]),
        Err(BundleError::NotABundle)
    ));
    let bundle = small_bundle();
    assert!(matches!(
        Bundle::declared_len(&bundle[..40]),
        Err(BundleError::Truncated { what: "header", .. })
    ));
    let mut grown = bundle[..HEADER_LEN].to_vec();
    set_u64(&mut grown, 72, 20 << 30); // data_len: 20 GiB, checksum stale
    assert!(matches!(
        Bundle::declared_len(&grown),
        Err(BundleError::ChecksumMismatch { .. })
    ));
    let repaired = repair_checksums(&grown);
    assert_eq!(
        Bundle::declared_len(&repaired).expect("a consistent header"),
        u64::from_le_bytes(bundle[64..72].try_into().unwrap()) + (20 << 30)
    );
}

#[test]
fn header_inconsistencies_are_refused() {
    assert_corrupt(
        rejection_after(|bytes, _| set_u32(bytes, 32, u32::MAX)),
        "need",
    );
    assert_index_out_of_range(
        rejection_after(|bytes, _| {
            let blob_count = u32_at(bytes, 40);
            set_u32(bytes, 16, blob_count);
        }),
        "the dictionary: blob index",
    );
    assert_corrupt(rejection_after(|bytes, _| bytes[20] = 3), "main mode");
    assert_corrupt(
        rejection_after(|bytes, _| {
            bytes[20] = 0;
        }),
        "main mode is none",
    );
    assert_corrupt(rejection_after(|bytes, _| bytes[22] = 1), "reserved");
    assert_index_out_of_range(
        rejection_after(|bytes, _| {
            let blob_count = u32_at(bytes, 40);
            set_u32(bytes, 88, blob_count);
        }),
        "the reasons: blob index",
    );
    assert_corrupt(rejection_after(|bytes, _| bytes[93] = 1), "reserved");
    assert_corrupt(
        rejection_after(|bytes, _| set_u64(bytes, 48, 105)),
        "tables start",
    );
    assert_corrupt(
        rejection_after(|bytes, _| {
            let data_offset = u64::from_le_bytes(bytes[64..72].try_into().unwrap());
            set_u64(bytes, 64, data_offset - 1);
        }),
        "data region starts",
    );
    assert_out_of_range(
        rejection_after(|bytes, _| set_u32(bytes, 24, u32::MAX)),
        "string",
    );
}

#[test]
fn record_inconsistencies_are_refused() {
    let sample = sample_bundle();
    let app = module_index(&sample, "app");
    let cli = module_index(&sample, "app.cli");

    assert_out_of_range(
        rejection_after(|bytes, layout| set_u32(bytes, layout.module(0), u32::MAX - 3)),
        "string",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| {
            let (first, second) = (layout.module(1), layout.module(2));
            let record: Vec<u8> = bytes[first..first + 32].to_vec();
            bytes.copy_within(second..second + 32, first);
            bytes[second..second + 32].copy_from_slice(&record);
        }),
        "not strictly sorted",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| {
            bytes.copy_within(layout.module(1)..layout.module(2), layout.module(2));
        }),
        "not strictly sorted",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| {
            let (first, second) = (layout.file(0), layout.file(1));
            let record: Vec<u8> = bytes[first..first + 32].to_vec();
            bytes.copy_within(second..second + 32, first);
            bytes[second..second + 32].copy_from_slice(&record);
        }),
        "not strictly sorted",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| {
            let name_offset = u32_at(bytes, layout.module(0)) as usize;
            bytes[layout.strings + name_offset] = 0xff;
        }),
        "UTF-8",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| bytes[layout.module(0) + 16] = 9),
        "unknown module kind 9",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| bytes[layout.file(0) + 16] = 5),
        "unknown file kind 5",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| bytes[layout.module(0) + 18] = 1),
        "padding",
    );
    assert_index_out_of_range(
        rejection_after(|bytes, layout| {
            let blob_count = u32_at(bytes, 40);
            set_u32(bytes, layout.module(0) + 20, blob_count);
        }),
        "out of range",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| set_u32(bytes, layout.file(0) + 20, u32::MAX)),
        "no data blob",
    );
    // A package turned namespace package still has code.
    assert_corrupt(
        rejection_after(|bytes, layout| bytes[layout.module(app) + 16] = 2),
        "namespace package",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| {
            let path_offset = u32_at(bytes, layout.module(app) + 8) as usize;
            bytes[layout.strings + path_offset] = b'/';
        }),
        "absolute",
    );
    // Pointing a module's source at its code leaves the source blob unused.
    assert_corrupt(
        rejection_after(|bytes, layout| {
            let code = u32_at(bytes, layout.module(cli) + 20);
            set_u32(bytes, layout.module(cli) + 24, code);
        }),
        "not referenced",
    );
}

#[test]
fn prefetch_inconsistencies_are_refused() {
    // The sample's table: the shared library (file record), then the
    // extension module (module record).
    assert_index_out_of_range(
        rejection_after(|bytes, layout| set_u32(bytes, layout.prefetch + 4, 999)),
        "prefetch entry 0: file index 999 is out of range",
    );
    assert_index_out_of_range(
        rejection_after(|bytes, layout| set_u32(bytes, layout.prefetch + 12, 999)),
        "prefetch entry 1: module index 999 is out of range",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| bytes[layout.prefetch] = 2),
        "prefetch entry 0: unknown table 2",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| bytes[layout.prefetch + 9] = 1),
        "prefetch entry 1: padding is not zero",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| {
            let index = module_index(bytes, "app0") as u32;
            set_u32(bytes, layout.prefetch + 12, index);
        }),
        "module \"app0\" is not an extension module",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| {
            let data = Bundle::parse(bytes)
                .expect("parse")
                .files()
                .position(|f| f.expect("file").kind == crate::FileKind::Data)
                .expect("a data file") as u32;
            set_u32(bytes, layout.prefetch + 4, data);
        }),
        "is not a shared library",
    );
    // More entries than the tables region holds.
    assert_corrupt(
        rejection_after(|bytes, _| set_u32(bytes, 44, u32::MAX)),
        "prefetch entries need",
    );
    use super::round_trip::{bundle_prefetching, ext};
    let mut twice = bundle_prefetching(&[ext("a_ext"), ext("z_ext")]).expect("finish");
    let layout = Layout::of(&twice);
    let first = u32_at(&twice, layout.prefetch + 4);
    set_u32(&mut twice, layout.prefetch + 12, first);
    let twice = repair_checksums(&twice);
    let error = Bundle::parse(&twice)
        .expect("parse")
        .verify()
        .expect_err("verify");
    assert_corrupt(
        error,
        "extension module \"a_ext\" is in the prefetch table twice",
    );
}

#[test]
fn main_must_name_a_bundled_module() {
    let sample = sample_bundle();
    let extra = module_index(&sample, "app_extra");
    assert_corrupt(
        rejection_after(|bytes, layout| {
            // "extra", the tail of "app_extra": a valid name of no module.
            let name_offset = u32_at(bytes, layout.module(extra));
            set_u32(bytes, 24, name_offset + 4);
            set_u32(bytes, 28, 5);
        }),
        "main module \"extra\"",
    );
}

#[test]
fn blob_inconsistencies_are_refused() {
    let sample = sample_bundle();
    let bundle = Bundle::parse(&sample).expect("parse");
    let data_len = u64::from_le_bytes(sample[72..80].try_into().unwrap());
    let zstd_blob = (0..bundle.blob_count())
        .find(|&i| {
            let at = Layout::of(&sample).blob(i);
            sample[at + 24] == 1
        })
        .expect("a zstd blob");

    assert_out_of_range(
        rejection_after(|bytes, layout| set_u64(bytes, layout.blob(0), data_len + 1)),
        "blob",
    );
    assert_out_of_range(
        rejection_after(|bytes, layout| set_u32(bytes, layout.blob(0) + 8, u32::MAX)),
        "blob",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| bytes[layout.blob(0) + 24] = 7),
        "unknown codec 7",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| bytes[layout.blob(0) + 31] = 1),
        "padding",
    );
    // A forged raw length must be refused before anything is allocated.
    assert_corrupt(
        rejection_after(|bytes, layout| set_u32(bytes, layout.blob(zstd_blob) + 12, u32::MAX)),
        "impossible",
    );
    let error = rejection_after(|bytes, layout| {
        let at = layout.blob(zstd_blob) + 12;
        let raw_len = u32_at(bytes, at);
        set_u32(bytes, at, raw_len + 1);
    });
    assert!(
        matches!(error.problem(), BundleError::Decompress { .. }),
        "{error:?}"
    );
    // Blobs must tile the data region in table order.
    assert_corrupt(
        rejection_after(|bytes, layout| {
            let first = u64::from_le_bytes(bytes[layout.blob(0)..][..8].try_into().unwrap());
            let second = u64::from_le_bytes(bytes[layout.blob(1)..][..8].try_into().unwrap());
            set_u64(bytes, layout.blob(0), second);
            set_u64(bytes, layout.blob(1), first);
        }),
        "",
    );
}

#[test]
fn damaged_blob_bytes_fail_their_checksum() {
    let mut bytes = sample_bundle();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    let bundle = Bundle::parse(&bytes).expect("the tables are intact");
    let error = bundle.verify().expect_err("blob damaged");
    // Where: the blob's stored bytes, the last of the bundle.
    assert!(
        matches!(
            error.problem(),
            BundleError::ChecksumMismatch { offset, len, .. }
                if (offset + len) as usize == bytes.len()
        ),
        "{error:?}"
    );
    let damaged = bundle
        .find_file("rich-13.7.1.dist-info/METADATA")
        .expect("find")
        .expect("present");
    assert!(matches!(
        bundle.blob(&damaged.data, StoredBytes::InBundle),
        Err(BundleError::ChecksumMismatch { .. })
    ));
    assert!(bundle
        .stored_span(&damaged.data)
        .and_then(|span| span.to_stored_blob())
        .is_err());
}

#[test]
fn hand_made_blob_refs_are_checked() {
    let bytes = small_bundle();
    let bundle = Bundle::parse(&bytes).expect("parse");
    let real = bundle.file(0).expect("file").data;
    let forged = [
        crate::BlobRef {
            offset: u64::MAX,
            ..real
        },
        crate::BlobRef {
            stored_len: u32::MAX,
            ..real
        },
        crate::BlobRef {
            checksum: real.checksum ^ 1,
            ..real
        },
        crate::BlobRef {
            codec: Codec::Stored,
            ..real
        },
        crate::BlobRef {
            raw_len: u32::MAX,
            ..real
        },
    ];
    for blob in forged {
        assert!(
            bundle.blob(&blob, StoredBytes::InBundle).is_err(),
            "{blob:?}"
        );
    }
}

#[test]
fn frames_that_disagree_with_the_raw_length_are_refused() {
    // Two frames whose content sizes do not add up to the blob's raw length
    // (the bytes and their checksum are right, the length is forged): both
    // readers must refuse, and neither may write past the buffer.
    let first = zstd::bulk::compress(&[b'a'; 1000], 1).expect("compress");
    let second = zstd::bulk::compress(&[b'b'; 500], 1).expect("compress");
    let mut writer = crate::BundleWriter::new(super::PYTHON_MAGIC);
    writer
        .add_file(
            "f",
            crate::FileKind::Data,
            "",
            crate::Blob::Stored(crate::StoredBlob {
                codec: Codec::Zstd,
                raw_len: 1500,
                bytes: [first, second].concat(),
            }),
        )
        .expect("add");
    let good = writer.finish().expect("finish");
    // Frames whose sizes do not add up are unpacked in one pass, which
    // zstd or the length check refuses.
    assert_forged_raw_lengths_refused(&good, &[1499, 1501, 3000]);
}

/// Every reader refuses the only blob of `good` (a bundle of one file)
/// with each raw length of `raw_lens` forged into its record (checksums
/// repaired), and none writes past its buffer.
fn assert_forged_raw_lengths_refused(good: &[u8], raw_lens: &[u32]) {
    for &raw_len in raw_lens {
        let mut bytes = good.to_vec();
        let at = Layout::of(&bytes).blob(0) + 12;
        set_u32(&mut bytes, at, raw_len);
        let bytes = repair_checksums(&bytes);
        let bundle = Bundle::parse(&bytes).expect("parse");
        let file = bundle.file(0).expect("file");
        for unpacked in [
            super::unpack_with_write_at(&bundle, &file.data),
            super::unpack_to_file(&bundle, &file.data),
        ] {
            assert!(
                matches!(
                    unpacked,
                    Err(BundleError::Decompress { .. } | BundleError::Frame { .. })
                ),
                "raw_len {raw_len}: {unpacked:?}"
            );
        }
        assert!(
            bundle.blob(&file.data, StoredBytes::InBundle).is_err(),
            "raw_len {raw_len}"
        );
    }
}

#[test]
fn dictionary_inconsistencies_are_refused() {
    let with_dictionary = super::dictionary::dictionary_bundle();
    let bundle = Bundle::parse(&with_dictionary).expect("parse");
    bundle.verify().expect("verify");
    let layout = Layout::of(&with_dictionary);
    let dictionary_index = u32_at(&with_dictionary, 16) as usize;
    let dictionary_blob = layout.blob(dictionary_index);
    let compressed_with_it = (0..bundle.blob_count())
        .find(|&i| with_dictionary[layout.blob(i) + 24] == Codec::ZstdDictionary.to_u8())
        .expect("a blob compressed with the dictionary");

    let parse_after = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = with_dictionary.clone();
        edit(&mut bytes);
        let bytes = repair_checksums(&bytes);
        assert!(walk_untrusted(&bytes).inconsistency().is_none());
        match Bundle::parse(&bytes) {
            Err(error) => error,
            Ok(bundle) => bundle.verify().expect_err("the edit must be detected"),
        }
    };
    // The dictionary cannot need itself.
    assert_corrupt(
        parse_after(&|bytes| bytes[dictionary_blob + 24] = Codec::ZstdDictionary.to_u8()),
        "the dictionary",
    );
    // Blobs that need a dictionary the header does not name.
    assert_corrupt(
        parse_after(&|bytes| set_u32(bytes, 16, u32::MAX)),
        "the bundle has none",
    );
    assert_corrupt(
        rejection_after(|bytes, layout| bytes[layout.blob(0) + 24] = Codec::ZstdDictionary.to_u8()),
        "the bundle has none",
    );
    // A dictionary blob with other content decompresses nothing right.
    let error = parse_after(&|bytes| {
        let at = layout.blob(compressed_with_it) + 12;
        let raw_len = u32_at(bytes, at);
        set_u32(bytes, at, raw_len + 1);
    });
    assert!(
        matches!(error.problem(), BundleError::Decompress { .. }),
        "{error:?}"
    );
}

#[test]
fn lz4_blobs_with_a_forged_length_or_damaged_bytes_are_refused() {
    // An LZ4 blob whose raw length is forged, or whose bytes are damaged
    // (checksum repaired): every reader refuses it or reads other bytes of
    // the right length; none writes past its buffer or allocates for an
    // impossible length.
    let content: Vec<u8> = (0..5000u32).map(|i| (i % 61) as u8).collect();
    let mut writer = crate::BundleWriter::new(super::PYTHON_MAGIC);
    writer
        .add_file(
            "f",
            crate::FileKind::Data,
            "",
            crate::Blob::Fast(content.clone()),
        )
        .expect("add");
    let good = writer.finish().expect("finish");
    let layout = Layout::of(&good);
    assert_eq!(good[layout.blob(0) + 24], Codec::Lz4.to_u8());
    let bundle = Bundle::parse(&good).expect("parse");
    let file = bundle.file(0).expect("file");
    assert_eq!(
        bundle
            .blob(&file.data, StoredBytes::InBundle)
            .expect("blob")
            .as_ref(),
        content.as_slice()
    );
    assert_forged_raw_lengths_refused(&good, &[4999, 5001, 10_000]);
    // A raw length no LZ4 block of this size can produce: refused on access.
    let mut bytes = good.clone();
    set_u32(&mut bytes, layout.blob(0) + 12, u32::MAX);
    let bytes = repair_checksums(&bytes);
    let bundle = Bundle::parse(&bytes).expect("parse");
    let error = bundle.file(0).expect_err("impossible length");
    assert!(error.to_string().contains("impossible for"), "{error}");
    // Every damaged byte of the stored block.
    let span = Bundle::parse(&good)
        .and_then(|bundle| {
            let file = bundle.file(0)?;
            let span = bundle.stored_span(&file.data)?;
            Ok((span.offset as usize, span.bytes.len()))
        })
        .expect("span");
    for i in span.0..span.0 + span.1 {
        let mut bytes = good.clone();
        bytes[i] ^= 0x5A;
        let bytes = repair_checksums(&bytes);
        let bundle = Bundle::parse(&bytes).expect("parse");
        let file = bundle.file(0).expect("file");
        if let Ok(read) = bundle.blob(&file.data, StoredBytes::InBundle) {
            assert_eq!(read.len(), content.len());
        }
    }
}
