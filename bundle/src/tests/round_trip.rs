use std::collections::HashSet;

use super::{
    compressible, sample_bundle, sample_files, sample_modules, write_bundle, Rng, PYTHON_MAGIC,
};
use crate::{
    compress, Blob, BlobRef, BlobSink, Bundle, BundleError, BundleWriter, Codec, FileKind,
    MainMode, ModuleKind, PrefetchEntry, PrefetchItem, StoredBlob, StoredBytes, FORMAT_VERSION,
    MAGIC,
};

fn content(blob: &Blob) -> Vec<u8> {
    match blob {
        Blob::Raw(raw) | Blob::Fast(raw) => raw.clone(),
        Blob::Stored(stored) => match stored.codec {
            Codec::Stored => stored.bytes.clone(),
            Codec::Zstd => zstd::bulk::decompress(&stored.bytes, stored.raw_len as usize)
                .expect("decompress fixture"),
            Codec::Lz4 => lz4::block::decompress(&stored.bytes, Some(stored.raw_len as i32))
                .expect("decompress fixture"),
            Codec::ZstdDictionary => unreachable!("the fixtures have no dictionary"),
        },
    }
}

#[test]
fn every_field_survives_a_round_trip() {
    let bytes = sample_bundle();
    assert_eq!(bytes[..8], MAGIC);
    let bundle = Bundle::parse(&bytes).expect("parse");
    bundle.verify().expect("verify");
    assert_eq!(bundle.format_version(), FORMAT_VERSION);
    assert_eq!(bundle.python_magic(), PYTHON_MAGIC);
    assert_eq!(bundle.main(), Some((MainMode::Script, "__main__")));

    let mut expected_modules = sample_modules();
    expected_modules.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(bundle.module_count(), expected_modules.len());
    let modules: Vec<_> = bundle.modules().collect::<Result<_, _>>().expect("modules");
    for ((name, kind, path, code, source), module) in expected_modules.iter().zip(&modules) {
        assert_eq!(module.name, *name);
        assert_eq!(module.kind, *kind, "{name}");
        assert_eq!(module.path, *path, "{name}");
        for (expected, actual) in [(code, module.code), (source, module.source)] {
            match (expected, actual) {
                (None, None) => {}
                (Some(expected), Some(actual)) => {
                    let read = bundle.blob(&actual, StoredBytes::InBundle).expect("blob");
                    assert_eq!(read.as_ref(), content(expected).as_slice(), "{name}");
                    assert_eq!(actual.raw_len as usize, read.len());
                }
                _ => panic!("{name}: blob presence differs"),
            }
        }
        let found = bundle.find_module(name).expect("find_module");
        assert_eq!(found, Some(*module));
    }

    let prefetch: Vec<_> = bundle
        .prefetch()
        .collect::<Result<_, _>>()
        .expect("prefetch");
    let library = bundle
        .find_file("numpy.libs/libopenblas.so")
        .expect("find_file")
        .expect("library");
    let extension = bundle
        .find_module("app._speedups")
        .expect("find_module")
        .expect("extension");
    assert_eq!(
        prefetch,
        [
            PrefetchEntry {
                name: library.path,
                file_name: library.aux,
                is_library: true,
                blob: library.data,
            },
            PrefetchEntry {
                name: "app._speedups",
                file_name: "_speedups.cpython-311-x86_64-linux-gnu.so",
                is_library: false,
                blob: extension.code.expect("code"),
            },
        ]
    );
    assert_eq!(bundle.prefetch_count(), 2);

    let mut expected_files = sample_files();
    expected_files.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(bundle.file_count(), expected_files.len());
    let files: Vec<_> = bundle.files().collect::<Result<_, _>>().expect("files");
    for ((path, kind, aux, data), file) in expected_files.iter().zip(&files) {
        assert_eq!(file.path, *path);
        assert_eq!(file.kind, *kind, "{path}");
        assert_eq!(file.aux, *aux, "{path}");
        assert_eq!(
            bundle
                .blob(&file.data, StoredBytes::InBundle)
                .expect("blob")
                .as_ref(),
            content(data).as_slice()
        );
        assert_eq!(bundle.find_file(path).expect("find_file"), Some(*file));
    }
}

#[test]
fn lookups_find_exactly_what_they_should() {
    let bytes = sample_bundle();
    let bundle = Bundle::parse(&bytes).expect("parse");
    for missing in [
        "",
        "a",
        "ap",
        "app.",
        "app.missing",
        "app.core.engine.x",
        "zzz",
        "~",
    ] {
        assert_eq!(
            bundle.find_module(missing).expect("find"),
            None,
            "{missing:?}"
        );
    }
    let names = |package: &str| -> Vec<String> {
        bundle
            .submodules(package)
            .expect("submodules")
            .iter()
            .map(|module| module.name.to_owned())
            .collect()
    };
    assert_eq!(
        names(""),
        ["__main__", "app", "app-tool", "app0", "app_extra", "json"]
    );
    assert_eq!(
        names("app"),
        ["app._speedups", "app.cli", "app.core", "app.plugins"]
    );
    assert_eq!(names("app.core"), ["app.core.engine"]);
    assert_eq!(names("json"), ["json.decoder"]);
    assert!(names("app.cli").is_empty());
    assert!(names("ap").is_empty());
    assert!(names("zzz").is_empty());

    let paths = |dir: &str| -> Vec<String> {
        bundle
            .files_under(dir)
            .expect("files_under")
            .iter()
            .map(|file| file.path.to_owned())
            .collect()
    };
    let under_data = [
        "app/data/config.json",
        "app/data/copy.json",
        "app/data/sub/deep.txt",
    ];
    assert_eq!(paths("app/data"), under_data);
    assert_eq!(paths("app/data/"), under_data);
    assert_eq!(paths("app/data/sub"), ["app/data/sub/deep.txt"]);
    assert_eq!(paths("app").len(), 4);
    assert_eq!(paths("").len(), sample_files().len());
    assert!(paths("app/dat").is_empty());
    assert!(paths("zzz").is_empty());
    for missing in ["", "app", "app/data", "app/data/config", "zzz"] {
        assert_eq!(
            bundle.find_file(missing).expect("find"),
            None,
            "{missing:?}"
        );
    }
    assert!(matches!(
        bundle.module(bundle.module_count()),
        Err(BundleError::IndexOutOfRange { what: "module", .. })
    ));
    assert!(matches!(
        bundle.file(usize::MAX),
        Err(BundleError::IndexOutOfRange { what: "file", .. })
    ));
}

#[test]
fn codecs_follow_compressibility_and_given_blobs_are_kept_verbatim() {
    let bytes = sample_bundle();
    let bundle = Bundle::parse(&bytes).expect("parse");
    let module = |name| bundle.find_module(name).expect("find").expect("present");

    // Repetitive text compresses; random bytes and empty content do not.
    let app_code = module("app").code.expect("code");
    assert_eq!(app_code.codec, Codec::Zstd);
    assert!(app_code.stored_len < app_code.raw_len);
    let extension = module("app._speedups").code.expect("code");
    assert_eq!(extension.codec, Codec::Stored);
    assert_eq!(extension.stored_len, 3000);
    let library = bundle
        .find_file("numpy.libs/libopenblas.so")
        .expect("find")
        .expect("present");
    assert_eq!(library.data.codec, Codec::Stored);
    assert_eq!(library.kind, FileKind::SharedLibrary);
    assert_eq!(library.aux, "libopenblas64_p-r0.so");
    let empty = bundle
        .find_file("app/data.txt")
        .expect("find")
        .expect("present");
    assert_eq!((empty.data.codec, empty.data.raw_len), (Codec::Stored, 0));
    assert!(bundle
        .blob(&empty.data, StoredBytes::InBundle)
        .expect("blob")
        .is_empty());

    // A Blob::Stored is copied, not recompressed (it was made at level 3).
    let given = compress(&compressible("engine code"), 3).expect("compress");
    let engine = module("app.core.engine").code.expect("code");
    assert_eq!(
        bundle
            .stored_span(&engine)
            .and_then(|span| span.to_stored_blob())
            .expect("stored"),
        given
    );
    // stored_span: where those stored bytes lie, inside the bundle.
    let span = bundle.stored_span(&engine).expect("in range").bytes;
    assert_eq!(span, &given.bytes[..]);
    assert!(bytes.as_ptr_range().contains(&span.as_ptr()));
    let beyond = BlobRef {
        offset: bytes.len() as u64,
        ..engine
    };
    assert!(bundle.stored_span(&beyond).is_err());
    // The content from a copy of the stored bytes (the runtime's `pread`),
    // for every codec; a copy that is not the blob's is refused.
    for blob in [app_code, extension, library.data, empty.data, engine] {
        super::content_from_copy(&bytes, &bundle, &blob);
    }
    let stored = bundle.stored_span(&app_code).expect("in range").bytes;
    let short = bundle.blob(&app_code, StoredBytes::Given(&stored[1..]));
    assert!(matches!(short, Err(BundleError::Corrupt(_))), "{short:?}");
    let mut damaged = stored.to_vec();
    damaged[0] ^= 1;
    let damaged = bundle.blob(&app_code, StoredBytes::Given(&damaged));
    assert!(
        matches!(damaged, Err(BundleError::ChecksumMismatch { .. })),
        "{damaged:?}"
    );

    // to_stored_blob + Blob::Stored copies a bundle's blobs into another one.
    let mut writer = BundleWriter::new(PYTHON_MAGIC);
    writer
        .add_module(
            "copy",
            ModuleKind::Module,
            "copy.py",
            Some(Blob::Stored(
                bundle
                    .stored_span(&app_code)
                    .and_then(|span| span.to_stored_blob())
                    .expect("stored"),
            )),
            None,
        )
        .expect("add");
    let copied = writer.finish().expect("finish");
    let copied = Bundle::parse(&copied).expect("parse copy");
    copied.verify().expect("verify copy");
    let copied_code = copied.module(0).expect("module").code.expect("code");
    assert_eq!(
        copied
            .blob(&copied_code, StoredBytes::InBundle)
            .expect("blob"),
        bundle.blob(&app_code, StoredBytes::InBundle).expect("blob")
    );
    assert_eq!(copied_code.checksum, app_code.checksum);
}

#[test]
fn identical_blobs_are_stored_once() {
    let bytes = sample_bundle();
    let bundle = Bundle::parse(&bytes).expect("parse");
    let config = bundle
        .find_file("app/data/config.json")
        .expect("find")
        .expect("present");
    let copy = bundle
        .find_file("app/data/copy.json")
        .expect("find")
        .expect("present");
    assert_eq!(config.data, copy.data);
    let app = bundle.find_module("app").expect("find").expect("present");
    let decoder = bundle
        .find_module("json.decoder")
        .expect("find")
        .expect("present");
    assert_eq!(app.code, decoder.code);

    let mut distinct = HashSet::new();
    let mut slots = 0;
    for module in bundle.modules() {
        let module = module.expect("module");
        for blob in [module.code, module.source].into_iter().flatten() {
            distinct.insert((blob.offset, blob.stored_len));
            slots += 1;
        }
    }
    for file in bundle.files() {
        let data = file.expect("file").data;
        distinct.insert((data.offset, data.stored_len));
        slots += 1;
    }
    assert_eq!(bundle.blob_count(), distinct.len());
    assert_eq!(bundle.blob_count(), slots - 2, "{slots} slots");
}

#[test]
fn output_does_not_depend_on_insertion_order() {
    let forward = sample_bundle();
    let mut modules = sample_modules();
    let mut files = sample_files();
    modules.reverse();
    files.reverse();
    assert_eq!(forward, write_bundle(modules, files));

    // Nor on which thread compresses which blob: shuffle and repeat.
    let mut modules = sample_modules();
    let mut rng = Rng::new(3);
    for i in (1..modules.len()).rev() {
        modules.swap(i, rng.below(i + 1));
    }
    assert_eq!(forward, write_bundle(modules, sample_files()));
}

#[test]
fn many_blobs_compress_in_parallel_to_the_same_bytes() {
    let build = |reverse: bool| {
        let mut names: Vec<String> = (0..300).map(|i| format!("m{i:03}")).collect();
        if reverse {
            names.reverse();
        }
        let mut writer = BundleWriter::new(PYTHON_MAGIC);
        writer.set_compression_level(1);
        for name in &names {
            writer
                .add_module(
                    name,
                    ModuleKind::Module,
                    &format!("{name}.py"),
                    Some(Blob::Raw(compressible(name))),
                    None,
                )
                .expect("add");
        }
        writer.finish().expect("finish")
    };
    let bytes = build(false);
    assert_eq!(bytes, build(true));
    let bundle = Bundle::parse(&bytes).expect("parse");
    bundle.verify().expect("verify");
    assert_eq!(bundle.module_count(), 300);
    let m123 = bundle.find_module("m123").expect("find").expect("present");
    assert_eq!(
        bundle
            .blob(&m123.code.expect("code"), StoredBytes::InBundle)
            .expect("blob")
            .as_ref(),
        compressible("m123").as_slice()
    );
}

#[test]
fn an_empty_bundle_is_valid() {
    let bytes = BundleWriter::new(PYTHON_MAGIC).finish().expect("finish");
    assert_eq!(bytes.len(), crate::HEADER_LEN);
    let bundle = Bundle::parse(&bytes).expect("parse");
    bundle.verify().expect("verify");
    assert_eq!(bundle.main(), None);
    assert_eq!((bundle.module_count(), bundle.file_count()), (0, 0));
    assert_eq!(bundle.find_module("x").expect("find"), None);
    assert!(bundle.submodules("").expect("submodules").is_empty());
    assert!(bundle.files_under("").expect("files_under").is_empty());
}

#[test]
fn reasons_are_stored_and_read_back() {
    let reasons = compressible("why each entry is in").repeat(20);
    let mut writer = BundleWriter::new(PYTHON_MAGIC);
    writer
        .add_file("a.txt", FileKind::Data, "", b"a".to_vec().into())
        .expect("add");
    writer.set_reasons(reasons.clone());
    let bytes = writer.finish().expect("finish");
    let bundle = Bundle::parse(&bytes).expect("parse");
    bundle.verify().expect("verify");
    let blob = bundle.reasons().expect("reasons stored");
    assert_ne!(blob.codec, Codec::Stored, "compressed");
    let content = bundle.blob(&blob, StoredBytes::InBundle).expect("read");
    assert_eq!(&*content, reasons.as_slice());
    let without = BundleWriter::new(PYTHON_MAGIC).finish().expect("finish");
    assert!(Bundle::parse(&without).expect("parse").reasons().is_none());
}

#[test]
fn compress_falls_back_to_stored() {
    let random = Rng::new(5).bytes(1000);
    let stored = compress(&random, 19).expect("compress");
    assert_eq!(stored.codec, Codec::Stored);
    assert_eq!(stored.bytes, random);
    assert_eq!(stored.raw_len, 1000);

    let text = compressible("text");
    let packed = compress(&text, 19).expect("compress");
    assert_eq!(packed.codec, Codec::Zstd);
    assert!(packed.bytes.len() < text.len());
    assert_eq!(
        zstd::bulk::decompress(&packed.bytes, text.len()).expect("zstd"),
        text
    );
}

#[test]
fn the_writer_refuses_bad_input() {
    let mut writer = BundleWriter::new(PYTHON_MAGIC);
    let code = || Some(Blob::Raw(b"code".to_vec()));
    writer
        .add_module("a", ModuleKind::Module, "a.py", code(), None)
        .expect("first add");
    assert!(matches!(
        writer.add_module("a", ModuleKind::Module, "a2.py", code(), None),
        Err(BundleError::Duplicate { what: "module", .. })
    ));
    for bad_name in ["", ".a", "a.", "a..b", "a/b"] {
        assert!(
            matches!(
                writer.add_module(bad_name, ModuleKind::Module, "x.py", code(), None),
                Err(BundleError::InvalidName { .. })
            ),
            "{bad_name:?}"
        );
    }
    for bad_path in [
        "",
        "/abs.py",
        "../up.py",
        "a/../b.py",
        "a//b.py",
        "a/",
        "./a.py",
    ] {
        assert!(
            matches!(
                writer.add_module("b", ModuleKind::Module, bad_path, code(), None),
                Err(BundleError::InvalidPath { .. })
            ),
            "{bad_path:?}"
        );
        assert!(
            matches!(
                writer.add_file(bad_path, FileKind::Data, "", Blob::Raw(Vec::new())),
                Err(BundleError::InvalidPath { .. })
            ),
            "{bad_path:?}"
        );
    }
    let kind_mismatches = [
        (ModuleKind::NamespacePackage, code(), None),
        (ModuleKind::Extension, None, None),
        (ModuleKind::Extension, code(), code()),
        (ModuleKind::Module, None, None),
        (ModuleKind::Package, None, None),
    ];
    for (kind, code, source) in kind_mismatches {
        assert!(
            matches!(
                writer.add_module("c", kind, "c.py", code, source),
                Err(BundleError::InvalidModule { .. })
            ),
            "{kind:?}"
        );
    }
    let lying_stored = StoredBlob {
        codec: Codec::Stored,
        raw_len: 5,
        bytes: b"four".to_vec(),
    };
    let mut lying_zstd = compress(&compressible("z"), 3).expect("compress");
    lying_zstd.raw_len += 1;
    let not_zstd = StoredBlob {
        codec: Codec::Zstd,
        raw_len: 4,
        bytes: b"junk".to_vec(),
    };
    for bad in [lying_stored, lying_zstd, not_zstd] {
        assert!(matches!(
            writer.add_file("f", FileKind::Data, "", Blob::Stored(bad)),
            Err(BundleError::InvalidBlob { .. })
        ));
    }
    writer
        .add_file("f", FileKind::Data, "", Blob::Raw(b"data".to_vec()))
        .expect("add file");
    assert!(matches!(
        writer.add_file("f", FileKind::Data, "", Blob::Raw(Vec::new())),
        Err(BundleError::Duplicate { what: "file", .. })
    ));

    writer.set_main(MainMode::Module, "missing");
    let error = writer.finish().expect_err("main is missing");
    assert!(matches!(error, BundleError::MissingMain(ref name) if name == "missing"));
    assert_eq!(
        error.to_string(),
        "main module \"missing\" is not in the bundle"
    );
}

/// A bundle with extension modules `a_ext` and `z_ext`, module `m`, shared
/// library `lib.so` and data file `data`, prefetching `prefetch`.
pub(crate) fn bundle_prefetching(prefetch: &[PrefetchItem]) -> Result<Vec<u8>, BundleError> {
    let mut writer = BundleWriter::new(PYTHON_MAGIC);
    for (name, kind, path) in [
        ("z_ext", ModuleKind::Extension, "z_ext.so"),
        ("a_ext", ModuleKind::Extension, "a_ext.so"),
        ("m", ModuleKind::Module, "m.py"),
    ] {
        let code = Some(Blob::Raw(name.as_bytes().to_vec()));
        writer.add_module(name, kind, path, code, None)?;
    }
    writer.add_file(
        "lib.so",
        FileKind::SharedLibrary,
        "lib.so.1",
        Blob::Raw(b"elf".to_vec()),
    )?;
    writer.add_file("data", FileKind::Data, "", Blob::Raw(b"data".to_vec()))?;
    writer.set_prefetch(prefetch.to_vec());
    writer.finish()
}

pub(crate) fn ext(name: &str) -> PrefetchItem {
    PrefetchItem::Extension(name.to_owned())
}

pub(crate) fn lib(path: &str) -> PrefetchItem {
    PrefetchItem::Library(path.to_owned())
}

#[test]
fn the_prefetch_table_keeps_its_order_and_holds_native_code_only() {
    let bytes = bundle_prefetching(&[ext("z_ext"), lib("lib.so"), ext("a_ext")]).expect("finish");
    let bundle = Bundle::parse(&bytes).expect("parse");
    bundle.verify().expect("verify");
    let names: Vec<_> = bundle
        .prefetch()
        .map(|entry| entry.map(|e| (e.name, e.file_name, e.is_library)))
        .collect::<Result<_, _>>()
        .expect("prefetch");
    assert_eq!(
        names,
        [
            ("z_ext", "z_ext.so", false),
            ("lib.so", "lib.so.1", true),
            ("a_ext", "a_ext.so", false)
        ]
    );

    let none = bundle_prefetching(&[]).expect("finish");
    assert_eq!(Bundle::parse(&none).expect("parse").prefetch().count(), 0);

    for (list, reason) in [
        (
            vec![ext("missing")],
            "it is not an extension module of the bundle",
        ),
        (
            vec![ext("m")],
            "it is not an extension module of the bundle",
        ),
        (
            vec![lib("data")],
            "it is not a shared library of the bundle",
        ),
        (
            vec![lib("a_ext.so")],
            "it is not a shared library of the bundle",
        ),
        (
            vec![ext("a_ext"), lib("lib.so"), ext("a_ext")],
            "it is named twice",
        ),
    ] {
        match bundle_prefetching(&list) {
            Err(BundleError::InvalidPrefetch { reason: r, .. }) => assert_eq!(r, reason),
            other => panic!("{list:?}: {other:?}"),
        }
    }
}

/// Adds `stored` as the shared library `big.so` (SONAME `libbig.so`).
fn add_big_library(writer: &mut BundleWriter, stored: StoredBlob) {
    writer
        .add_file(
            "big.so",
            FileKind::SharedLibrary,
            "libbig.so",
            Blob::Stored(stored),
        )
        .expect("add");
}

#[test]
fn large_contents_are_split_into_frames_and_unpack_piece_by_piece() {
    let mut rng = Rng(7);
    // Compressible but not trivial: random words from a small vocabulary.
    let raw: Vec<u8> = (0..crate::SPLIT_RAW_LEN * 2 + 4321)
        .map(|i| {
            if i % 8 == 7 {
                b' '
            } else {
                b'a' + (rng.next_u64() % 6) as u8
            }
        })
        .collect();
    let stored = compress(&raw, 1).expect("compress");
    assert_eq!(stored.codec, Codec::Zstd);
    let frames = zstd_frame_count(&stored.bytes);
    assert_eq!(frames, 2, "{} bytes make two frames", raw.len());

    let mut writer = BundleWriter::new(PYTHON_MAGIC);
    add_big_library(&mut writer, stored);
    writer
        .add_file("small.txt", FileKind::Data, "", Blob::Raw(b"tiny".to_vec()))
        .expect("add");
    let bytes = writer.finish().expect("finish");
    let bundle = Bundle::parse(&bytes).expect("parse");
    bundle.verify().expect("verify");
    for (path, expected) in [("big.so", &raw[..]), ("small.txt", &b"tiny"[..])] {
        let file = bundle.find_file(path).expect("find").expect("present");
        let out = super::unpack_with_write_at(&bundle, &file.data).expect("write_blob into pieces");
        assert!(out == expected, "{path}");
        let out = super::unpack_to_file(&bundle, &file.data).expect("write_blob into a file");
        assert!(out == expected, "{path}, into a file");
        assert!(
            bundle
                .blob(&file.data, StoredBytes::InBundle)
                .expect("blob")
                .as_ref()
                == expected
        );
    }
    // A failing sink is reported, not ignored.
    let big = bundle.find_file("big.so").expect("find").expect("present");
    let disk_full = |_, _: &[u8]| Err(std::io::Error::other("disk full"));
    let error = bundle
        .write_blob(
            &big.data,
            StoredBytes::InBundle,
            BlobSink::Pieces(&disk_full),
        )
        .expect_err("sink failed");
    assert!(error.to_string().contains("disk full"), "{error}");
}

#[test]
fn frames_too_large_to_map_stream_into_files() {
    // Frames over 8 MiB (16 MiB in blobs of 32 MiB or more) are not mapped
    // whole but streamed through a window into the file; smaller ones in
    // the same blob go straight into the file's pages.
    let frame_sizes = [9 << 20, 1 << 20, (9 << 20) + 123];
    let raw: Vec<u8> = (0..frame_sizes.iter().sum::<usize>())
        .map(|i| ((i / 5) % 253) as u8 ^ ((i >> 13) as u8))
        .collect();
    let mut stored = Vec::new();
    let mut start = 0;
    for len in frame_sizes {
        stored.extend(zstd::bulk::compress(&raw[start..start + len], 1).expect("compress"));
        start += len;
    }
    let mut writer = BundleWriter::new(PYTHON_MAGIC);
    add_big_library(
        &mut writer,
        StoredBlob {
            codec: Codec::Zstd,
            raw_len: raw.len() as u32,
            bytes: stored,
        },
    );
    let bytes = writer.finish().expect("finish");
    let bundle = Bundle::parse(&bytes).expect("parse");
    let file = bundle.find_file("big.so").expect("find").expect("present");
    let out = super::unpack_to_file(&bundle, &file.data).expect("write_blob into a file");
    assert!(out == raw, "content differs");
}

#[test]
fn frame_sizes_follow_the_content_size() {
    assert_eq!(crate::frame_len(10), 10);
    assert_eq!(
        crate::frame_len(crate::SPLIT_RAW_LEN - 1),
        crate::SPLIT_RAW_LEN - 1
    );
    assert_eq!(
        crate::frame_len(crate::SPLIT_RAW_LEN),
        crate::SPLIT_RAW_LEN / 2
    );
    // OpenBLAS-sized: three frames of at most FRAME_RAW_LEN.
    let len: usize = 35_123_345;
    assert_eq!(len.div_ceil(crate::frame_len(len)), 3);
    assert!(crate::frame_len(len) <= crate::FRAME_RAW_LEN);
}

fn zstd_frame_count(mut stored: &[u8]) -> usize {
    let mut frames = 0;
    while !stored.is_empty() {
        let len = zstd::zstd_safe::find_frame_compressed_size(stored).expect("frame");
        stored = &stored[len..];
        frames += 1;
    }
    frames
}
