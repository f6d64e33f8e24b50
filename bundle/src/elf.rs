//! Storing a bundle in, and finding it in, a 64-bit little-endian ELF file.
//!
//! Embedding never rewrites the stub: its bytes stay as they are, and the
//! payload, a grown copy of the section name table and a new section header
//! table are appended after them. Program headers and every loaded byte are
//! untouched, so the executable runs exactly as before, while `.freeze` is a
//! real (non-allocated) section that `readelf`, `objcopy` and `strip` see and
//! keep. Finding reads only the ELF header, the section header table and the
//! section name table, because it runs at every program start; from a file
//! ([`find_section_in_file`]) it reads just those with `pread`, so that a
//! huge or sparse file costs no more than a small one.

use std::borrow::Cow;

use goblin::elf::header::{
    EI_CLASS, EI_DATA, ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, ELFMAG, ET_DYN, ET_EXEC,
};
use goblin::elf::section_header::{
    SHN_LORESERVE, SHN_XINDEX, SHT_NOBITS, SHT_PROGBITS, SHT_STRTAB,
};

use crate::error::ElfError;
use crate::format::{u16_at, u64_at, RUNTIME_SECTION_NAME, SECTION_NAME};

const ELF_HEADER_LEN: usize = 64;
const SECTION_HEADER_LEN: usize = 64;
/// Alignment of the payload's file offset, also recorded as the section's
/// `sh_addralign` so that `strip`/`objcopy` keep it when they relayout the
/// file. 16 bytes suits any word-sized read; nothing maps the payload on its
/// own, so page alignment would only waste space.
const PAYLOAD_ALIGN: u64 = 16;
/// The section header table holds 8-byte fields.
const SECTION_TABLE_ALIGN: usize = 8;

// Offsets of the ELF64 header fields this module reads or patches.
const E_TYPE: usize = 16;
const E_SHOFF: usize = 40;
const E_SHENTSIZE: usize = 58;
const E_SHNUM: usize = 60;
const E_SHSTRNDX: usize = 62;

fn malformed(message: impl Into<String>) -> ElfError {
    ElfError::Malformed(message.into())
}

fn to_usize(value: u64) -> Option<usize> {
    usize::try_from(value).ok()
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SectionHeader {
    name: u32,
    kind: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    addralign: u64,
    entsize: u64,
}

impl SectionHeader {
    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut fields = crate::format::FieldReader::new(bytes);
        Some(SectionHeader {
            name: fields.u32()?,
            kind: fields.u32()?,
            flags: fields.u64()?,
            addr: fields.u64()?,
            offset: fields.u64()?,
            size: fields.u64()?,
            link: fields.u32()?,
            info: fields.u32()?,
            addralign: fields.u64()?,
            entsize: fields.u64()?,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.name.to_le_bytes());
        out.extend_from_slice(&self.kind.to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes());
        out.extend_from_slice(&self.addr.to_le_bytes());
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.extend_from_slice(&self.link.to_le_bytes());
        out.extend_from_slice(&self.info.to_le_bytes());
        out.extend_from_slice(&self.addralign.to_le_bytes());
        out.extend_from_slice(&self.entsize.to_le_bytes());
    }

    /// The bytes this section occupies in the file.
    fn contents<'e>(&self, file: &impl Source<'e>) -> Result<Option<Cow<'e, [u8]>>, ElfError> {
        file.get(self.offset, self.size)
    }

    /// Where this section lies, if it lies inside a file of `file_len` bytes.
    fn span_within(&self, file_len: u64) -> Option<SectionSpan> {
        let end = self.offset.checked_add(self.size)?;
        (end <= file_len).then_some(SectionSpan {
            offset: self.offset,
            len: self.size,
        })
    }
}

/// Where a section's bytes lie in an ELF file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionSpan {
    pub offset: u64,
    pub len: u64,
}

/// A file read by position, as with `pread`.
pub trait ReadAt {
    /// Fills `buf` from `offset`; fails if the file ends first.
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()>;
}

impl ReadAt for std::fs::File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, offset)
    }
}

impl ReadAt for [u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        let bytes = usize::try_from(offset)
            .ok()
            .and_then(|start| self.get(start..start.checked_add(buf.len())?))
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(bytes);
        Ok(())
    }
}

/// Most bytes of headers (the section header table, the section name table)
/// read from a file: a real executable's are a few KiB, and a crafted
/// header must not make a reader allocate what it claims.
pub const MAX_HEADERS_READ: u64 = 16 << 20;

/// The bytes of an ELF file, wherever they are.
trait Source<'e> {
    fn len(&self) -> u64;
    /// `len` bytes at `offset`; `None` if they are not all in the file.
    fn get(&self, offset: u64, len: u64) -> Result<Option<Cow<'e, [u8]>>, ElfError>;
}

/// A file in memory: parts are borrowed.
struct InMemory<'e>(&'e [u8]);

impl<'e> Source<'e> for InMemory<'e> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn get(&self, offset: u64, len: u64) -> Result<Option<Cow<'e, [u8]>>, ElfError> {
        let part = to_usize(offset)
            .zip(to_usize(len))
            .and_then(|(start, len)| self.0.get(start..start.checked_add(len)?));
        Ok(part.map(Cow::Borrowed))
    }
}

/// A file read part by part: parts are copied, at most `MAX_HEADERS_READ`
/// bytes each.
struct Positional<'r, R: ReadAt + ?Sized> {
    file: &'r R,
    len: u64,
}

impl<'e, R: ReadAt + ?Sized> Source<'e> for Positional<'_, R> {
    fn len(&self) -> u64 {
        self.len
    }

    fn get(&self, offset: u64, len: u64) -> Result<Option<Cow<'e, [u8]>>, ElfError> {
        if offset.checked_add(len).map_or(true, |end| end > self.len) {
            return Ok(None);
        }
        if len > MAX_HEADERS_READ {
            return Err(ElfError::Unsupported(format!(
                "{len} bytes of headers at offset {offset}, more than the {MAX_HEADERS_READ} any executable has"
            )));
        }
        let mut buf = vec![0; len as usize];
        match self.file.read_exact_at(&mut buf, offset) {
            Ok(()) => Ok(Some(Cow::Owned(buf))),
            // Shorter than its size said: truncated meanwhile.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(ElfError::Io(e)),
        }
    }
}

/// Where the section header table is, with ELF extended numbering resolved.
struct SectionTable<'e> {
    e_type: u16,
    /// Exactly `count` headers of `SECTION_HEADER_LEN` bytes; empty when the
    /// file has no section header table.
    headers: Cow<'e, [u8]>,
    /// Index of the section name table; 0 (`SHN_UNDEF`) when there is none.
    names_index: usize,
}

impl<'e> SectionTable<'e> {
    fn read(file: &impl Source<'e>) -> Result<Self, ElfError> {
        let start = file.get(0, (ELF_HEADER_LEN as u64).min(file.len()))?;
        let start = start.as_deref().unwrap_or_default();
        if start.get(..ELFMAG.len()) != Some(ELFMAG.as_slice()) {
            return Err(ElfError::NotElf);
        }
        let ident = start
            .get(..16)
            .ok_or_else(|| malformed("the ELF identification is truncated"))?;
        match ident.get(EI_CLASS).copied() {
            Some(ELFCLASS64) => {}
            Some(ELFCLASS32) => {
                return Err(ElfError::Unsupported(
                    "32-bit ELF files are not supported".into(),
                ))
            }
            class => return Err(malformed(format!("unknown ELF class {class:?}"))),
        }
        match ident.get(EI_DATA).copied() {
            Some(ELFDATA2LSB) => {}
            Some(ELFDATA2MSB) => {
                return Err(ElfError::Unsupported(
                    "big-endian ELF files are not supported".into(),
                ))
            }
            encoding => return Err(malformed(format!("unknown ELF data encoding {encoding:?}"))),
        }
        let header = start
            .get(..ELF_HEADER_LEN)
            .ok_or_else(|| malformed("the ELF header is truncated"))?;
        let field_u16 = |at| u16_at(header, at).unwrap_or(0);
        let e_type = field_u16(E_TYPE);
        let shoff = u64_at(header, E_SHOFF).unwrap_or(0);
        if shoff == 0 {
            return Ok(SectionTable {
                e_type,
                headers: Cow::Borrowed(&[]),
                names_index: 0,
            });
        }
        let shentsize = usize::from(field_u16(E_SHENTSIZE));
        if shentsize != SECTION_HEADER_LEN {
            return Err(malformed(format!(
                "section header entries are {shentsize} bytes, expected {SECTION_HEADER_LEN}"
            )));
        }
        if shoff >= file.len() {
            return Err(malformed(format!(
                "section header table offset {shoff} is past the end of the file"
            )));
        }
        let first = file
            .get(shoff, SECTION_HEADER_LEN as u64)?
            .and_then(|bytes| SectionHeader::decode(&bytes))
            .ok_or_else(|| malformed("the section header table is truncated"))?;

        // With 0xff00 or more sections, the real count and name table index
        // live in section 0 (ELF extended numbering).
        let count = match field_u16(E_SHNUM) {
            0 => to_usize(first.size).ok_or_else(|| malformed("section count overflows"))?,
            count => usize::from(count),
        };
        let names_index = match u32::from(field_u16(E_SHSTRNDX)) {
            SHN_XINDEX => first.link as usize,
            index => index as usize,
        };
        let past_the_end = || {
            malformed(format!(
                "the section header table ({count} entries at offset {shoff}) extends past the end of the file"
            ))
        };
        let table_len = count
            .checked_mul(SECTION_HEADER_LEN)
            .ok_or_else(past_the_end)?;
        let headers = file
            .get(shoff, table_len as u64)?
            .ok_or_else(past_the_end)?;
        if names_index != 0 && names_index >= count {
            return Err(malformed(format!(
                "section name table index {names_index} is out of range ({count} sections)"
            )));
        }
        Ok(SectionTable {
            e_type,
            headers,
            names_index,
        })
    }

    fn count(&self) -> usize {
        self.headers.len() / SECTION_HEADER_LEN
    }

    fn header(&self, index: usize) -> Result<SectionHeader, ElfError> {
        index
            .checked_mul(SECTION_HEADER_LEN)
            .and_then(|start| self.headers.get(start..))
            .and_then(SectionHeader::decode)
            .ok_or_else(|| malformed(format!("section {index} is out of range")))
    }

    /// The section name table's bytes, if the file has one.
    fn names(&self, file: &impl Source<'e>) -> Result<Option<Cow<'e, [u8]>>, ElfError> {
        if self.names_index == 0 {
            return Ok(None);
        }
        let header = self.header(self.names_index)?;
        if header.kind == SHT_NOBITS {
            return Err(malformed("the section name table has no bytes in the file"));
        }
        let names = header
            .contents(file)?
            .ok_or_else(|| malformed("the section name table extends past the end of the file"))?;
        Ok(Some(names))
    }

    /// Index and header of the section called `wanted`. Checks every
    /// section's name offset, and refuses two sections of that name.
    fn find_named(
        &self,
        names: &[u8],
        wanted: &str,
    ) -> Result<Option<(usize, SectionHeader)>, ElfError> {
        let mut found = None;
        for index in 0..self.count() {
            let header = self.header(index)?;
            let name_start = header.name as usize;
            if name_start > names.len() {
                return Err(malformed(format!(
                    "section {index} has name offset {name_start} past the {}-byte name table",
                    names.len()
                )));
            }
            // The name, then its terminating NUL: a plain byte comparison.
            let name_end = name_start.saturating_add(wanted.len());
            let matches = names.get(name_start..name_end) == Some(wanted.as_bytes())
                && names.get(name_end) == Some(&0);
            if matches {
                if found.is_some() {
                    return Err(malformed(format!("more than one {wanted} section")));
                }
                found = Some((index, header));
            }
        }
        Ok(found)
    }
}

/// The bundle stored in `exe`'s `.freeze` section. `Ok(None)` means a valid
/// ELF file without one. Reads only the ELF header, the section header table
/// and the section name table.
pub fn find_in_elf(exe: &[u8]) -> Result<Option<&[u8]>, ElfError> {
    find_section(exe, SECTION_NAME)
}

/// The compressed runtime stored in the `.freeze-runtime` section of an
/// executable written by [`embed_in_loader`]; `Ok(None)` for a valid ELF
/// file without one (an executable whose runtime is not compressed).
pub fn find_runtime_in_elf(exe: &[u8]) -> Result<Option<&[u8]>, ElfError> {
    find_section(exe, RUNTIME_SECTION_NAME)
}

/// Where the section `name` of the ELF file `file` (of `len` bytes) lies;
/// `Ok(None)` for a valid ELF file without one. Reads only the ELF header,
/// the section header table and the section name table, each at most
/// [`MAX_HEADERS_READ`] bytes, so a reader can check where the section is
/// and how large before it reads any of it.
pub fn find_section_in_file<R: ReadAt + ?Sized>(
    file: &R,
    len: u64,
    name: &str,
) -> Result<Option<SectionSpan>, ElfError> {
    find_span(&Positional { file, len }, name)
}

fn find_section<'e>(exe: &'e [u8], name: &str) -> Result<Option<&'e [u8]>, ElfError> {
    let Some(span) = find_span(&InMemory(exe), name)? else {
        return Ok(None);
    };
    // find_span checked that the span lies inside `exe`.
    let start = to_usize(span.offset).unwrap_or(usize::MAX);
    let end = to_usize(span.len).and_then(|len| start.checked_add(len));
    Ok(end.and_then(|end| exe.get(start..end)))
}

fn find_span<'e>(file: &impl Source<'e>, name: &str) -> Result<Option<SectionSpan>, ElfError> {
    let table = SectionTable::read(file)?;
    let Some(names) = table.names(file)? else {
        return Ok(None);
    };
    let Some((_, section)) = table.find_named(&names, name)? else {
        return Ok(None);
    };
    if section.kind != SHT_PROGBITS {
        return Err(malformed(format!(
            "the {name} section has type {}, expected PROGBITS",
            section.kind
        )));
    }
    section.span_within(file.len()).map(Some).ok_or_else(|| {
        malformed(format!(
            "the {name} section ({} bytes at offset {}) extends past the end of the file",
            section.size, section.offset
        ))
    })
}

fn pad_to(out: &mut Vec<u8>, align: usize) {
    let misalignment = out.len() % align;
    if misalignment != 0 {
        out.resize(out.len() + (align - misalignment), 0);
    }
}

fn patch(out: &mut [u8], at: usize, bytes: &[u8]) -> Result<(), ElfError> {
    let field = at
        .checked_add(bytes.len())
        .and_then(|end| out.get_mut(at..end))
        .ok_or_else(|| malformed("the ELF header is truncated"))?;
    field.copy_from_slice(bytes);
    Ok(())
}

/// `stub` followed by `payload` in a new `.freeze` section. The stub's bytes
/// are kept as they are; see the module documentation.
pub fn embed_in_elf(stub: &[u8], payload: &[u8]) -> Result<Vec<u8>, ElfError> {
    embed_sections(stub, &[(SECTION_NAME, payload)])
}

/// `loader` followed by `runtime` (the stub, compressed) in a new
/// `.freeze-runtime` section and `payload` in a new `.freeze` section: an
/// executable whose loader unpacks the runtime into memory and runs it.
pub fn embed_in_loader(loader: &[u8], runtime: &[u8], payload: &[u8]) -> Result<Vec<u8>, ElfError> {
    embed_sections(
        loader,
        &[(RUNTIME_SECTION_NAME, runtime), (SECTION_NAME, payload)],
    )
}

/// `stub` followed by one new section per `(name, contents)`.
fn embed_sections(stub: &[u8], added: &[(&str, &[u8])]) -> Result<Vec<u8>, ElfError> {
    let table = SectionTable::read(&InMemory(stub))?;
    if table.e_type != ET_EXEC && table.e_type != ET_DYN {
        return Err(ElfError::Unsupported(format!(
            "ELF type {} is neither an executable nor a shared object",
            table.e_type
        )));
    }
    let old_names = table.names(&InMemory(stub))?;
    if let Some(names) = &old_names {
        for (name, _) in added {
            if table.find_named(names, name)?.is_some() {
                return Err(ElfError::AlreadyEmbedded);
            }
        }
    }

    let mut sections = (0..table.count())
        .map(|index| table.header(index))
        .collect::<Result<Vec<_>, _>>()?;
    if sections.is_empty() {
        // A stub stripped of its section header table gets a fresh one,
        // starting with the mandatory null section.
        sections.push(SectionHeader::default());
    }
    let mut names = old_names
        .as_ref()
        .map(|names| names.to_vec())
        .unwrap_or_else(|| vec![0]);
    if names.last() != Some(&0) {
        names.push(0);
    }
    let names_index = match old_names {
        Some(_) => table.names_index,
        None => {
            let name = u32::try_from(names.len())
                .map_err(|_| ElfError::TooLarge("section name table".into()))?;
            names.extend_from_slice(b".shstrtab\0");
            sections.push(SectionHeader {
                name,
                kind: SHT_STRTAB,
                addralign: 1,
                ..SectionHeader::default()
            });
            sections.len() - 1
        }
    };
    let mut added_names = Vec::with_capacity(added.len());
    for (name, _) in added {
        added_names.push(
            u32::try_from(names.len())
                .map_err(|_| ElfError::TooLarge("section name table".into()))?,
        );
        names.extend_from_slice(name.as_bytes());
        names.push(0);
    }

    let added_len = added
        .iter()
        .map(|(_, bytes)| bytes.len() + 16)
        .sum::<usize>();
    let mut out = Vec::with_capacity(
        stub.len()
            .saturating_add(added_len)
            .saturating_add(names.len())
            .saturating_add((sections.len() + added.len()) * SECTION_HEADER_LEN + 64),
    );
    out.extend_from_slice(stub);
    let mut added_headers = Vec::with_capacity(added.len());
    for ((_, bytes), name) in added.iter().zip(added_names) {
        pad_to(&mut out, PAYLOAD_ALIGN as usize);
        added_headers.push(SectionHeader {
            name,
            kind: SHT_PROGBITS,
            flags: 0,
            addr: 0,
            offset: out.len() as u64,
            size: bytes.len() as u64,
            link: 0,
            info: 0,
            addralign: PAYLOAD_ALIGN,
            entsize: 0,
        });
        out.extend_from_slice(bytes);
    }
    let names_offset = out.len() as u64;
    out.extend_from_slice(&names);

    let names_header = sections
        .get_mut(names_index)
        .ok_or_else(|| malformed("section name table index is out of range"))?;
    names_header.offset = names_offset;
    names_header.size = names.len() as u64;
    sections.extend(added_headers);

    // Counts and indices that do not fit the header's 16-bit fields go to
    // section 0 (ELF extended numbering).
    let count = sections.len();
    let e_shnum = match u16::try_from(count) {
        Ok(count) if u32::from(count) < SHN_LORESERVE => count,
        _ => {
            if let Some(first) = sections.first_mut() {
                first.size = count as u64;
            }
            0
        }
    };
    let e_shstrndx = match u16::try_from(names_index) {
        Ok(index) if u32::from(index) < SHN_LORESERVE => index,
        _ => {
            let link = u32::try_from(names_index)
                .map_err(|_| ElfError::TooLarge("section name table index".into()))?;
            if let Some(first) = sections.first_mut() {
                first.link = link;
            }
            SHN_XINDEX as u16
        }
    };

    pad_to(&mut out, SECTION_TABLE_ALIGN);
    let shoff = out.len() as u64;
    for section in &sections {
        section.encode(&mut out);
    }
    patch(&mut out, E_SHOFF, &shoff.to_le_bytes())?;
    patch(
        &mut out,
        E_SHENTSIZE,
        &(SECTION_HEADER_LEN as u16).to_le_bytes(),
    )?;
    patch(&mut out, E_SHNUM, &e_shnum.to_le_bytes())?;
    patch(&mut out, E_SHSTRNDX, &e_shstrndx.to_le_bytes())?;
    Ok(out)
}
