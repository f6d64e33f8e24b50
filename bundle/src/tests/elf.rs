use std::path::{Path, PathBuf};
use std::process::Command;

use super::{sample_bundle, small_bundle};
use crate::fuzzing::walk_untrusted;
use crate::{
    embed_in_elf, embed_in_loader, find_in_elf, find_runtime_in_elf, find_section_in_file, Bundle,
    ElfError, ReadAt, SectionSpan, MAX_HEADERS_READ, RUNTIME_SECTION_NAME, SECTION_NAME,
};

const REAL_ELF: &str = "/bin/true";

/// A scratch directory removed on drop, unique per test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("freeze-bundle-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    /// Written by `install` in a child process: a write descriptor opened
    /// here would leak into the children other test threads fork meanwhile,
    /// and running the file would then fail with ETXTBSY.
    fn write_executable(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let staging = self.0.join(format!("{name}.staging"));
        std::fs::write(&staging, bytes).expect("write");
        let path = self.0.join(name);
        let installed = Command::new("install")
            .args(["-m", "755"])
            .arg(&staging)
            .arg(&path)
            .status()
            .expect("run install");
        assert!(installed.success(), "install {}", path.display());
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn real_elf() -> Vec<u8> {
    std::fs::read(REAL_ELF).expect("read /bin/true")
}

fn tool_exists(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

fn runs_successfully(path: &Path) -> bool {
    Command::new(path)
        .status()
        .map(|status| status.success())
        .unwrap_or(false)
}

/// A minimal ELF64 executable header followed by the given sections, with
/// the section count and name table index in section 0 when `extended`.
fn synthetic_elf(section_count: usize, extended: bool) -> Vec<u8> {
    let names = b"\0.shstrtab\0.text\0".to_vec();
    let mut out = vec![0u8; 64];
    out[..4].copy_from_slice(b"\x7fELF");
    out[4] = 2; // 64-bit
    out[5] = 1; // little-endian
    out[6] = 1;
    out[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out[52..54].copy_from_slice(&64u16.to_le_bytes());
    let names_offset = out.len() as u64;
    out.extend_from_slice(&names);
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let shoff = out.len() as u64;
    let names_index = section_count - 1;
    for index in 0..section_count {
        let mut header = [0u8; 64];
        if index == 0 && extended {
            header[32..40].copy_from_slice(&(section_count as u64).to_le_bytes());
            header[40..44].copy_from_slice(&(names_index as u32).to_le_bytes());
        } else if index == names_index {
            header[0..4].copy_from_slice(&1u32.to_le_bytes());
            header[4..8].copy_from_slice(&3u32.to_le_bytes()); // SHT_STRTAB
            header[24..32].copy_from_slice(&names_offset.to_le_bytes());
            header[32..40].copy_from_slice(&(names.len() as u64).to_le_bytes());
        } else if index != 0 {
            header[0..4].copy_from_slice(&11u32.to_le_bytes()); // ".text"
            header[4..8].copy_from_slice(&1u32.to_le_bytes());
        }
        out.extend_from_slice(&header);
    }
    out[40..48].copy_from_slice(&shoff.to_le_bytes());
    out[58..60].copy_from_slice(&64u16.to_le_bytes());
    let (shnum, shstrndx) = if extended {
        (0u16, 0xffffu16)
    } else {
        (section_count as u16, names_index as u16)
    };
    out[60..62].copy_from_slice(&shnum.to_le_bytes());
    out[62..64].copy_from_slice(&shstrndx.to_le_bytes());
    out
}

/// Every byte of the stub is kept, except the ELF header fields that locate
/// the section header table.
fn assert_stub_preserved(stub: &[u8], exe: &[u8]) {
    assert!(exe.len() > stub.len());
    let patched = [40..48, 58..60, 60..62, 62..64];
    for (position, (&before, &after)) in stub.iter().zip(exe).enumerate() {
        if before != after {
            assert!(
                patched.iter().any(|field| field.contains(&position)),
                "byte {position} of the stub changed"
            );
        }
    }
}

#[test]
fn a_real_executable_keeps_its_bytes_and_still_runs() {
    let stub = real_elf();
    assert_eq!(find_in_elf(&stub).expect("plain ELF"), None);
    let payload = sample_bundle();
    let exe = embed_in_elf(&stub, &payload).expect("embed");

    assert_stub_preserved(&stub, &exe);
    let found = find_in_elf(&exe).expect("find").expect("a payload");
    assert_eq!(found, payload.as_slice());
    let offset = found.as_ptr() as usize - exe.as_ptr() as usize;
    assert_eq!(offset % 16, 0);
    Bundle::parse(found)
        .expect("parse")
        .verify()
        .expect("verify");

    // goblin's full parser agrees on where the section is.
    let parsed = goblin::elf::Elf::parse(&exe).expect("goblin parses the result");
    let section = parsed
        .section_headers
        .iter()
        .find(|header| parsed.shdr_strtab.get_at(header.sh_name) == Some(SECTION_NAME))
        .expect("goblin sees .freeze");
    assert_eq!(section.sh_offset as usize, offset);
    assert_eq!(section.sh_size as usize, payload.len());
    assert_eq!(section.sh_flags, 0);
    assert_eq!(section.sh_type, goblin::elf::section_header::SHT_PROGBITS);
    assert_eq!(parsed.section_headers.len(), {
        let original = goblin::elf::Elf::parse(&stub).expect("goblin parses the stub");
        original.section_headers.len() + 1
    });

    let scratch = Scratch::new("runs");
    let path = scratch.write_executable("true-with-bundle", &exe);
    assert!(
        runs_successfully(&path),
        "the embedded executable must still run"
    );
    // binutils (readelf, strip) and libc-bin (ldd): .ci/run installs them.
    for tool in ["readelf", "ldd"] {
        assert!(tool_exists(tool), "this test needs {tool}");
    }
    {
        let output = Command::new("readelf")
            .arg("-SW")
            .arg(&path)
            .output()
            .expect("readelf");
        assert!(output.status.success());
        let listing = String::from_utf8_lossy(&output.stdout);
        assert!(listing.contains(".freeze"), "{listing}");
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("Warning"),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    {
        let output = Command::new("ldd").arg(&path).output().expect("ldd");
        assert_eq!(
            output.status.success(),
            Command::new("ldd")
                .arg(REAL_ELF)
                .output()
                .expect("ldd")
                .status
                .success()
        );
    }
}

#[test]
fn strip_keeps_the_payload() {
    assert!(
        tool_exists("strip"),
        "this test needs strip (binutils; .ci/run installs it)"
    );
    let payload = sample_bundle();
    let exe = embed_in_elf(&real_elf(), &payload).expect("embed");
    let scratch = Scratch::new("strip");
    let path = scratch.write_executable("stripped", &exe);
    let status = Command::new("strip")
        .arg(&path)
        .status()
        .expect("run strip");
    assert!(status.success());
    let stripped = std::fs::read(&path).expect("read stripped");
    assert_eq!(
        find_in_elf(&stripped)
            .expect("find")
            .expect("payload survives strip"),
        payload.as_slice()
    );
    assert!(runs_successfully(&path));

    let status = Command::new("strip")
        .arg("--strip-all")
        .arg(&path)
        .status()
        .expect("run strip --strip-all");
    assert!(status.success());
    let stripped = std::fs::read(&path).expect("read stripped");
    assert_eq!(
        find_in_elf(&stripped)
            .expect("find")
            .expect("payload survives strip"),
        payload.as_slice()
    );
}

#[test]
fn a_loader_carries_the_runtime_and_the_bundle_in_two_sections() {
    let loader = real_elf();
    let payload = sample_bundle();
    let runtime = b"compressed runtime bytes".repeat(100);
    let exe = embed_in_loader(&loader, &runtime, &payload).expect("embed");
    assert_stub_preserved(&loader, &exe);
    assert_eq!(
        find_runtime_in_elf(&exe).expect("find").expect("a runtime"),
        runtime.as_slice()
    );
    let found = find_in_elf(&exe).expect("find").expect("a payload");
    assert_eq!(found, payload.as_slice());
    for section in [found, find_runtime_in_elf(&exe).unwrap().unwrap()] {
        assert_eq!((section.as_ptr() as usize - exe.as_ptr() as usize) % 16, 0);
    }
    // A plain frozen executable has no runtime section.
    let plain = embed_in_elf(&loader, &payload).expect("embed");
    assert_eq!(find_runtime_in_elf(&plain).expect("find"), None);

    // goblin's full parser sees both sections.
    let parsed = goblin::elf::Elf::parse(&exe).expect("goblin parses the result");
    let names: Vec<&str> = parsed
        .section_headers
        .iter()
        .filter_map(|h| parsed.shdr_strtab.get_at(h.sh_name))
        .collect();
    assert!(names.contains(&SECTION_NAME) && names.contains(&RUNTIME_SECTION_NAME));
    let scratch = Scratch::new("loader");
    let path = scratch.write_executable("loader", &exe);
    assert!(runs_successfully(&path));
    // Either section already present is refused.
    assert!(matches!(
        embed_in_loader(&exe, b"x", b"y"),
        Err(ElfError::AlreadyEmbedded)
    ));
    assert!(matches!(
        embed_in_loader(&plain, b"x", b"y"),
        Err(ElfError::AlreadyEmbedded)
    ));
}

#[test]
fn embedding_twice_is_refused() {
    let exe = embed_in_elf(&real_elf(), &small_bundle()).expect("embed");
    assert!(matches!(
        embed_in_elf(&exe, b"again"),
        Err(ElfError::AlreadyEmbedded)
    ));
}

#[test]
fn non_elf_and_unsupported_elf_are_refused() {
    for not_elf in [
        &b""[..],
        b"\x7fEL",
        b"#!/bin/sh\necho hi\n",
        &small_bundle(),
    ] {
        assert!(matches!(find_in_elf(not_elf), Err(ElfError::NotElf)));
        assert!(matches!(embed_in_elf(not_elf, b"x"), Err(ElfError::NotElf)));
    }
    assert_eq!(ElfError::NotElf.to_string(), "not an ELF executable");

    let mut elf32 = real_elf();
    elf32[4] = 1;
    assert!(matches!(find_in_elf(&elf32), Err(ElfError::Unsupported(_))));
    let mut big_endian = real_elf();
    big_endian[5] = 2;
    assert!(matches!(
        embed_in_elf(&big_endian, b"x"),
        Err(ElfError::Unsupported(_))
    ));
    let mut relocatable = real_elf();
    relocatable[16..18].copy_from_slice(&1u16.to_le_bytes());
    assert!(matches!(
        embed_in_elf(&relocatable, b"x"),
        Err(ElfError::Unsupported(_))
    ));
    let mut bad_entry_size = real_elf();
    bad_entry_size[58..60].copy_from_slice(&40u16.to_le_bytes());
    assert!(matches!(
        find_in_elf(&bad_entry_size),
        Err(ElfError::Malformed(_))
    ));
}

#[test]
fn truncated_and_damaged_elf_files_never_panic() {
    let exe = embed_in_elf(&real_elf(), &small_bundle()).expect("embed");
    for len in 0..exe.len() {
        let truncated = &exe[..len];
        // The section header table is last, so no truncation can find it.
        assert!(find_in_elf(truncated).is_err(), "length {len}");
        assert!(embed_in_elf(truncated, b"x").is_err(), "length {len}");
    }
    // Damage the ELF header and every field of the last section headers.
    let shoff = u64::from_le_bytes(exe[40..48].try_into().unwrap()) as usize;
    let mut damaged = exe.clone();
    let positions = (0..64).chain(shoff..exe.len());
    for position in positions {
        for value in [0x00, 0x01, 0x7f, 0x80, 0xff] {
            let original = damaged[position];
            damaged[position] = value;
            if let Ok(Some(payload)) = find_in_elf(&damaged) {
                let start = payload.as_ptr() as usize - damaged.as_ptr() as usize;
                assert!(start + payload.len() <= damaged.len());
            }
            let _ = embed_in_elf(&damaged, b"x");
            assert!(walk_untrusted(&damaged).inconsistency().is_none());
            damaged[position] = original;
        }
    }
}

#[test]
fn a_stub_without_section_headers_gets_a_fresh_table() {
    let mut stub = real_elf();
    stub[40..48].fill(0); // e_shoff
    stub[60..64].fill(0); // e_shnum, e_shstrndx
    assert_eq!(find_in_elf(&stub).expect("find"), None);
    let payload = small_bundle();
    let exe = embed_in_elf(&stub, &payload).expect("embed");
    assert_stub_preserved(&stub, &exe);
    assert_eq!(find_in_elf(&exe).expect("find"), Some(payload.as_slice()));
    let parsed = goblin::elf::Elf::parse(&exe).expect("goblin parses the result");
    let names: Vec<_> = parsed
        .section_headers
        .iter()
        .map(|header| parsed.shdr_strtab.get_at(header.sh_name).unwrap_or("?"))
        .collect();
    assert_eq!(names, ["", ".shstrtab", ".freeze"]);
    let scratch = Scratch::new("no-sections");
    assert!(runs_successfully(&scratch.write_executable("true", &exe)));
}

#[test]
fn extended_section_numbering_is_read_and_written() {
    let plain = synthetic_elf(3, false);
    let exe = embed_in_elf(&plain, b"payload").expect("embed plain");
    assert_eq!(find_in_elf(&exe).expect("find"), Some(&b"payload"[..]));

    let extended = synthetic_elf(3, true);
    let exe = embed_in_elf(&extended, b"payload").expect("embed extended");
    assert_eq!(find_in_elf(&exe).expect("find"), Some(&b"payload"[..]));

    // 0xff00 sections: adding .freeze needs extended numbering in the output.
    let crowded = synthetic_elf(0xff00 - 1, false);
    let exe = embed_in_elf(&crowded, b"payload").expect("embed crowded");
    assert_eq!(u16::from_le_bytes(exe[60..62].try_into().unwrap()), 0);
    assert_eq!(find_in_elf(&exe).expect("find"), Some(&b"payload"[..]));
    let crowded = synthetic_elf(0xff00 + 5, true);
    let exe = embed_in_elf(&crowded, b"payload").expect("embed crowded extended");
    assert_eq!(u16::from_le_bytes(exe[62..64].try_into().unwrap()), 0xffff);
    assert_eq!(find_in_elf(&exe).expect("find"), Some(&b"payload"[..]));
}

/// A file of `len` bytes that are zero past `head`, as a sparse file reads,
/// counting the bytes asked of it.
struct SparseFile {
    head: Vec<u8>,
    len: u64,
    bytes_read: std::cell::Cell<u64>,
}

impl ReadAt for SparseFile {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        if offset + buf.len() as u64 > self.len {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.bytes_read
            .set(self.bytes_read.get() + buf.len() as u64);
        for (at, byte) in buf.iter_mut().enumerate() {
            *byte = usize::try_from(offset + at as u64)
                .ok()
                .and_then(|at| self.head.get(at))
                .copied()
                .unwrap_or(0);
        }
        Ok(())
    }
}

/// The span of `part`, a slice of `whole`.
fn span_of(whole: &[u8], part: &[u8]) -> SectionSpan {
    SectionSpan {
        offset: (part.as_ptr() as usize - whole.as_ptr() as usize) as u64,
        len: part.len() as u64,
    }
}

#[test]
fn sections_are_found_in_files_by_positional_reads() {
    let scratch = Scratch::new("positional");
    let payload = sample_bundle();
    let loader_exe = embed_in_loader(&real_elf(), b"compressed runtime", &payload).expect("embed");
    let path = scratch.write_executable("app", &loader_exe);
    let file = std::fs::File::open(&path).expect("open");
    let len = file.metadata().expect("stat").len();
    for name in [SECTION_NAME, RUNTIME_SECTION_NAME] {
        let in_memory = match name {
            SECTION_NAME => find_in_elf(&loader_exe),
            _ => find_runtime_in_elf(&loader_exe),
        }
        .expect("find in memory")
        .expect("present");
        assert_eq!(
            find_section_in_file(&file, len, name).expect("find in the file"),
            Some(span_of(&loader_exe, in_memory)),
            "{name}"
        );
    }
    assert_eq!(
        find_section_in_file(&file, len, ".nothing").expect("find"),
        None
    );
    // Growing the file (a sparse tail) moves nothing; cutting it inside
    // the section table is reported, not read past.
    assert_eq!(
        find_section_in_file(&file, len + (20 << 30), SECTION_NAME).expect("find"),
        Some(span_of(
            &loader_exe,
            find_in_elf(&loader_exe).unwrap().unwrap()
        ))
    );
    assert!(matches!(
        find_section_in_file(&file, len - 10, SECTION_NAME),
        Err(ElfError::Malformed(_))
    ));
    let plain = std::fs::File::open("/bin/true").expect("open /bin/true");
    let plain_len = plain.metadata().expect("stat").len();
    assert_eq!(
        find_section_in_file(&plain, plain_len, SECTION_NAME).expect("find"),
        None
    );
}

#[test]
fn huge_files_are_read_only_as_far_as_their_headers() {
    const HUGE: u64 = 20 << 30;
    // Not an ELF file: refused after its first bytes.
    let text = SparseFile {
        head: b"#!/bin/sh\n".to_vec(),
        len: HUGE,
        bytes_read: Default::default(),
    };
    assert!(matches!(
        find_section_in_file(&text, text.len, SECTION_NAME),
        Err(ElfError::NotElf)
    ));
    assert!(text.bytes_read.get() <= 64);

    // A valid executable followed by 20 GiB of holes.
    let exe = embed_in_elf(&real_elf(), &small_bundle()).expect("embed");
    let grown = SparseFile {
        head: exe.clone(),
        len: HUGE,
        bytes_read: Default::default(),
    };
    let span = find_section_in_file(&grown, grown.len, SECTION_NAME)
        .expect("find")
        .expect("present");
    assert_eq!(span, span_of(&exe, find_in_elf(&exe).unwrap().unwrap()));
    assert!(
        grown.bytes_read.get() < 64 << 10,
        "{}",
        grown.bytes_read.get()
    );

    // Headers claiming 300 million sections inside the 20 GiB: refused
    // before the table is read, rather than allocating 19 GB for it.
    let mut claims = synthetic_elf(3, true);
    let shoff = u64::from_le_bytes(claims[40..48].try_into().unwrap()) as usize;
    claims[shoff + 32..shoff + 40].copy_from_slice(&300_000_000u64.to_le_bytes());
    let claiming = SparseFile {
        head: claims,
        len: HUGE,
        bytes_read: Default::default(),
    };
    let refused = find_section_in_file(&claiming, claiming.len, SECTION_NAME);
    assert!(
        matches!(&refused, Err(ElfError::Unsupported(m)) if m.contains("headers")),
        "{refused:?}"
    );
    assert!(claiming.bytes_read.get() <= MAX_HEADERS_READ);
    assert!(claiming.bytes_read.get() < 4096);
}
