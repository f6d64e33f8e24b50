//! Native code from memory: extension modules and the shared libraries they
//! need are written to anonymous memory files (`memfd_create`) and loaded
//! from `/proc/self/fd/N`; nothing touches the filesystem.
//!
//! A memory file is closed once its object is loaded, so an app holds no
//! more descriptors than under python (`ulimit -n 12` suffices). glibc
//! recognises a loaded object by the path string it was opened with
//! (`l_libname`) before it looks at any file, so a later `dlopen` of that
//! path (`_imp.create_dynamic`, ctypes) finds the object with its file
//! closed, and a reused descriptor number must never be named by the same
//! string again: every path handed to the dynamic linker is unique in the
//! process (see [`fd_path`]).
//!
//! The dynamic linker resolves an object's `DT_NEEDED` entries against the
//! SONAMEs of objects already loaded, so bundled libraries are loaded first,
//! dependencies before dependants, and the extension's own needs are then met
//! from memory instead of the system's copies.
//!
//! Libraries that need each other (Pillow's FreeType and HarfBuzz) have no
//! such order: whichever is loaded first names the other, which is not
//! loaded yet and exists on no disk. The walk below finds these cycles
//! (strongly connected components, Tarjan) and loads each one as a unit,
//! after everything outside it that its members need: each member's
//! `DT_NEEDED` string for another member is rewritten, in its memory file,
//! into the path of that member's memory file. A needed name containing `/`
//! is opened as a path, and glibc recognises an object it already mapped by
//! the file's identity (device and inode), so the first `dlopen` maps the
//! whole cycle and the later ones return the same objects. Loading lazily or
//! globally does not help: the linker maps every needed object before it
//! relocates anything, whatever the binding mode.
//!
//! The dynamic linker names objects loaded this way `/proc/self/fd/N`, which
//! tells code walking the loaded objects (`dl_iterate_phdr`, `dladdr`: e.g.
//! threadpoolctl looking for OpenBLAS) nothing. After loading, each object's
//! name (`link_map.l_name`) becomes its virtual path under the root the
//! modules' `__file__` use, `<root>/numpy.libs/libopenblas...so`. glibc still
//! matches the memory file's path through the object's other names
//! (`l_libname`), and the virtual path through `l_name` itself, so `dlopen`
//! of either returns the loaded object. The origin for `$ORIGIN` was fixed
//! when the object was mapped and does not change.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Mutex, MutexGuard};

use freeze_bundle::{BlobRef, BlobSink, Bundle, FileEntry, FileKind, StoredBytes};

#[path = "native_cache.rs"]
pub(crate) mod cache;

/// Why native code could not be loaded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    /// A memory file could not be made, filled or read back.
    #[error("{what} {name} in memory: {source}")]
    MemoryFile {
        what: &'static str,
        name: String,
        #[source]
        source: std::io::Error,
    },
    /// The bundle's copy could not be unpacked (damage).
    #[error("unpacking {name} in memory: {source}")]
    Unpack {
        name: String,
        #[source]
        source: freeze_bundle::BundleError,
    },
    /// The bundle's index could not be read.
    #[error("bundle index: {0}")]
    Index(#[from] freeze_bundle::BundleError),
    #[error("no extension module {0} in the bundle")]
    NoExtension(String),
    #[error("extension module {0} has no code")]
    NoCode(String),
    /// The dynamic linker refused an object: its message, with the bundled
    /// paths of memory files (dlerror gives no code to keep).
    #[error("{0}")]
    Linker(String),
    /// Members of a dependency cycle could not name each other.
    #[error(
        "{soname} (bundled as {path}) is in a dependency cycle it cannot be loaded in: {reason}"
    )]
    Cycle {
        soname: String,
        path: String,
        reason: String,
    },
    /// A memory file could not be sealed before loading.
    #[error("sealing the memory file of {path}: {source}")]
    Seal {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// What this process has loaded. One lock for the whole of a load: callers
/// hold the GIL anyway, so it is uncontended, and it keeps a walk's view of
/// what is loaded consistent should a caller ever not hold the GIL.
struct Loaded {
    /// `DT_NEEDED` names of the bundled libraries loaded.
    libraries: BTreeSet<String>,
    /// Bundled libraries unpacked but not loaded (their load failed): a
    /// retry reuses the memory file instead of making another.
    unpacked: BTreeMap<String, MemoryFile>,
    /// The memory file of each extension module unpacked, so loading it
    /// again (a retried import, ctypes by path) finds the same object, as
    /// python finds the same file, and makes no new memory file.
    extensions: BTreeMap<String, MemoryFile>,
}

static LOADED: Mutex<Loaded> = Mutex::new(Loaded {
    libraries: BTreeSet::new(),
    unpacked: BTreeMap::new(),
    extensions: BTreeMap::new(),
});

fn loaded() -> MutexGuard<'static, Loaded> {
    LOADED.lock().unwrap_or_else(|p| p.into_inner())
}

/// Native code in a memory file, ready for `dlopen`.
#[derive(Debug)]
pub(crate) struct MemoryFile {
    /// `/proc/self/fd/N`, spelt as no other object of this process was
    /// (see [`fd_path`]): the dynamic linker's name for the object, which
    /// stays valid once the object is loaded and the file closed.
    pub path: String,
    /// The memory file, until its object is loaded.
    file: Option<std::fs::File>,
    /// The libraries the object needs (`DT_NEEDED`), in order.
    pub needed: Vec<String>,
    /// The file is the shared copy in the cache (`native_cache`), not a
    /// memory file: never written, and not sealable.
    pub shared: bool,
}

impl MemoryFile {
    /// The open memory file: Err once the object is loaded and it closed.
    fn file(&self) -> std::io::Result<&std::fs::File> {
        self.file.as_ref().ok_or_else(|| {
            std::io::Error::other("its memory file is closed (the object is loaded)")
        })
    }

    /// Closes the memory file of a loaded object: the mapped object keeps
    /// its pages, and the linker knows it by `path`.
    fn loaded(&mut self) {
        self.file = None;
    }
}

/// A path for descriptor `fd` under `dir` (`/proc/self/fd/` or `/dev/fd/`)
/// that was never handed out before in this process: `dir` + N the first
/// time, then with the counter of earlier uses of N under `dir` spelt in
/// path separators that the kernel ignores (`//`, `/./`): the bijective
/// binary digits of the counter, 0 as `/`, 1 as `./`. glibc takes a
/// `dlopen` path it has seen for the object it loaded under it, so a reused
/// number must never be spelt the same twice.
pub(crate) fn fd_path(dir: &str, fd: RawFd) -> String {
    static USES: Mutex<BTreeMap<(String, RawFd), u64>> = Mutex::new(BTreeMap::new());
    let mut uses = USES.lock().unwrap_or_else(|p| p.into_inner());
    let count = uses.entry((dir.to_owned(), fd)).or_insert(0);
    let path = spell_fd_path(dir, fd, *count);
    *count += 1;
    path
}

/// `dir` + separators spelling `count` + `fd` (see [`fd_path`]).
fn spell_fd_path(dir: &str, fd: RawFd, count: u64) -> String {
    let mut path = dir.to_owned();
    // Bijective base 2: count + 1 in binary without its leading 1, so that
    // every count has its own string of digits, the empty one for 0.
    let n = count + 1;
    for bit in (0..n.ilog2()).rev() {
        path.push_str(if n >> bit & 1 == 1 { "./" } else { "/" });
    }
    path.push_str(&fd.to_string());
    path
}

/// The memory file holding the content of `blob`: the one unpacked ahead of
/// time (see `prefetch`), or a new one.
pub(crate) fn memory_file(
    bundle: &Bundle<'_>,
    name: &str,
    blob: &BlobRef,
) -> Result<MemoryFile, LoadError> {
    match crate::prefetch::take(blob) {
        Some(unpacked) => unpacked,
        None => unpack_memory_file(bundle, name, blob),
    }
}

/// A new memory file named `name` holding the content of `blob`,
/// decompressed into the file frame by frame (no buffer for the whole:
/// OpenBLAS is 35 MB).
pub(crate) fn unpack_memory_file(
    bundle: &Bundle<'_>,
    name: &str,
    blob: &BlobRef,
) -> Result<MemoryFile, LoadError> {
    if let Some(shared) = shared_copy(bundle, name, blob) {
        return Ok(shared);
    }
    unpack_private_memory_file(bundle, name, blob)
}

/// The shared copy of `blob` in the cache (`native_cache`), found or made;
/// None if there is no usable cache.
fn shared_copy(bundle: &Bundle<'_>, name: &str, blob: &BlobRef) -> Option<MemoryFile> {
    let file = cache::shared_file(blob, name, |file| {
        crate::payload::with_stored(bundle, blob, |stored| {
            bundle.write_blob(blob, StoredBytes::Given(stored), BlobSink::File(file))
        })
        .map_err(std::io::Error::other)
    })?;
    let needed = {
        // SAFETY: a read-only mapping of a checked cache file that is never
        // written once in place; goblin reads only the headers and the
        // dynamic section.
        let map = unsafe {
            memmap2::MmapOptions::new()
                .len(blob.raw_len as usize)
                .map(&file)
        }
        .ok()?;
        needed_libraries(&map)
    };
    Some(MemoryFile {
        path: fd_path("/proc/self/fd/", file.as_raw_fd()),
        file: Some(file),
        needed,
        shared: true,
    })
}

/// A new memory file of this process's own (`memfd_create`) named `name`
/// holding the content of `blob`.
fn unpack_private_memory_file(
    bundle: &Bundle<'_>,
    name: &str,
    blob: &BlobRef,
) -> Result<MemoryFile, LoadError> {
    let cname = CString::new(name.replace('\0', "?")).unwrap_or_default();
    // SAFETY: memfd_create takes a NUL-terminated name and flags; it returns
    // a new descriptor we own, or -1.
    let fd =
        unsafe { libc::memfd_create(cname.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
    let failed = |what: &'static str, source: std::io::Error| LoadError::MemoryFile {
        what,
        name: name.to_owned(),
        source,
    };
    if fd < 0 {
        return Err(failed("making", std::io::Error::last_os_error()));
    }
    // SAFETY: fd is a valid descriptor just returned to us and not shared.
    let owned = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    let file = std::fs::File::from(
        crate::fds::above_stdio(owned).map_err(|e| failed("moving the descriptor of", e))?,
    );
    crate::payload::with_stored(bundle, blob, |stored| {
        bundle.write_blob(blob, StoredBytes::Given(stored), BlobSink::File(&file))
    })
    .map_err(|source| LoadError::Unpack {
        name: name.to_owned(),
        source,
    })?;
    let needed = if blob.raw_len == 0 {
        Vec::new()
    } else {
        // SAFETY: a read-only mapping of a memory file only this function can
        // reach (its fd is not yet published), so it cannot change while
        // mapped. goblin reads only the headers and the dynamic section.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| failed("mapping", e))?;
        needed_libraries(&map)
    };
    Ok(MemoryFile {
        path: fd_path("/proc/self/fd/", file.as_raw_fd()),
        file: Some(file),
        needed,
        shared: false,
    })
}

/// The libraries an ELF object needs (`DT_NEEDED`), in order; none for
/// what is not a well-formed dynamic ELF object. Only the header, the
/// program headers, the dynamic section and the strings it names are read:
/// a whole parse (`goblin::elf::Elf::parse`) also decodes every symbol and
/// string of the object, which cost ~15M instructions per start for numpy's
/// libraries (bench/RESULTS.md).
pub(crate) fn needed_libraries(bytes: &[u8]) -> Vec<String> {
    needed_in(bytes).unwrap_or_default()
}

fn needed_in(bytes: &[u8]) -> Option<Vec<String>> {
    use goblin::container::Ctx;
    use goblin::elf::dynamic::{Dynamic, DT_NEEDED};
    use goblin::elf::program_header::ProgramHeader;
    let header = goblin::elf::Elf::parse_header(bytes).ok()?;
    let ctx = Ctx::new(header.container().ok()?, header.endianness().ok()?);
    let program_headers =
        ProgramHeader::parse(bytes, header.e_phoff as usize, header.e_phnum.into(), ctx).ok()?;
    let dynamic = Dynamic::parse(bytes, &program_headers, ctx).ok()??;
    let (strtab, strsz) = (dynamic.info.strtab, dynamic.info.strsz);
    let table = bytes.get(strtab..strtab.checked_add(strsz)?)?;
    dynamic
        .dyns
        .iter()
        .filter(|d| d.d_tag == DT_NEEDED)
        .map(|d| {
            let rest = table.get(usize::try_from(d.d_val).ok()?..)?;
            let name = &rest[..rest.iter().position(|&b| b == 0)?];
            std::str::from_utf8(name).ok().map(str::to_owned)
        })
        .collect()
}

/// Loads the bundled libraries among `needed` (and theirs, first), naming
/// each after its virtual path under `root`.
pub(crate) fn preload(bundle: &Bundle<'_>, root: &str, needed: &[String]) -> Result<(), LoadError> {
    let mut loaded = loaded();
    let mut walk = Walk {
        bundle,
        root,
        loaded: &mut loaded,
        nodes: Vec::new(),
        stack: Vec::new(),
    };
    let result = needed
        .iter()
        .try_for_each(|soname| walk.visit(soname).map(drop))
        .map_err(|e| match e {
            LoadError::Linker(message) => LoadError::Linker(walk.describe(&message)),
            other => other,
        });
    let nodes = walk.nodes;
    for node in nodes.into_iter().filter(|n| !n.loaded) {
        loaded.unpacked.insert(node.soname, node.memory);
    }
    result
}

/// A bundled library met by a walk.
struct Node<'a> {
    soname: String,
    file: FileEntry<'a>,
    memory: MemoryFile,
    /// Tarjan's lowest index reachable; `nodes[i]` has index `i`.
    low: usize,
    on_stack: bool,
    /// The bundled libraries it needs that the walk met (indices).
    deps: Vec<usize>,
    /// The path its cycle's other members need it by, once rewritten.
    link: Option<String>,
    loaded: bool,
}

/// A depth-first walk over the bundled libraries not yet loaded, loading
/// each strongly connected component once everything it needs is loaded.
/// Every library is visited once, so the depth is bounded by their number.
struct Walk<'w, 'a> {
    bundle: &'w Bundle<'a>,
    root: &'w str,
    loaded: &'w mut Loaded,
    nodes: Vec<Node<'a>>,
    stack: Vec<usize>,
}

impl<'a> Walk<'_, 'a> {
    /// Visits the library `soname` needs; its node, None if the linker finds
    /// it without us (a system library, or one loaded before).
    fn visit(&mut self, soname: &str) -> Result<Option<usize>, LoadError> {
        if self.loaded.libraries.contains(soname) {
            return Ok(None);
        }
        if let Some(seen) = self.nodes.iter().position(|n| n.soname == soname) {
            return Ok(Some(seen));
        }
        let Some(file) = bundled_library(self.bundle, soname)? else {
            return Ok(None);
        };
        let memory = match self.loaded.unpacked.remove(soname) {
            Some(memory) => memory,
            None => memory_file(self.bundle, &memory_name(self.root, file.path), &file.data)?,
        };
        let index = self.nodes.len();
        let needed = memory.needed.clone();
        self.nodes.push(Node {
            soname: soname.to_owned(),
            file,
            memory,
            low: index,
            on_stack: true,
            deps: Vec::new(),
            link: None,
            loaded: false,
        });
        self.stack.push(index);
        for dep in &needed {
            if let Some(dep) = self.visit(dep)? {
                self.nodes[index].deps.push(dep);
                if self.nodes[dep].on_stack {
                    self.nodes[index].low = self.nodes[index].low.min(self.nodes[dep].low);
                }
            }
        }
        if self.nodes[index].low == index {
            let at = self.stack.iter().rposition(|&n| n == index).unwrap_or(0);
            let component = self.stack.split_off(at);
            for &member in &component {
                self.nodes[member].on_stack = false;
            }
            self.load_component(&component)?;
        }
        Ok(Some(index))
    }

    /// Loads a strongly connected component whose outside needs are loaded;
    /// `component[0]` is the member the walk reached first.
    fn load_component(&mut self, component: &[usize]) -> Result<(), LoadError> {
        if component.len() > 1 {
            // Members name each other by descriptor: a rewrite only this
            // process can use, so never in a shared copy.
            for &member in component {
                if self.nodes[member].memory.shared {
                    let node = &self.nodes[member];
                    let private = unpack_private_memory_file(
                        self.bundle,
                        &memory_name(self.root, node.file.path),
                        &node.file.data,
                    )?;
                    self.nodes[member].memory = private;
                }
            }
            for &member in component {
                let node = &self.nodes[member];
                let file = node.memory.file().map_err(|source| LoadError::Seal {
                    path: node.file.path.to_owned(),
                    source,
                })?;
                self.nodes[member].link = Some(link_path(file));
            }
            for &member in component {
                let renames: Vec<(String, String)> = self.nodes[member]
                    .deps
                    .iter()
                    .filter(|dep| **dep != member && component.contains(dep))
                    .filter_map(|&dep| {
                        let node = &self.nodes[dep];
                        Some((node.soname.clone(), node.link.clone()?))
                    })
                    .collect();
                let node = &self.nodes[member];
                rewrite_needed(&node.memory, &renames).map_err(|reason| LoadError::Cycle {
                    soname: node.soname.clone(),
                    path: node.file.path.to_owned(),
                    reason,
                })?;
            }
        }
        for &member in component {
            let node = &self.nodes[member];
            seal_before_loading(&node.memory, node.file.path)?;
            let mut opened = dlopen(&node.memory.path, libc::RTLD_NOW | libc::RTLD_LOCAL);
            if opened.is_err() && node.memory.shared {
                // A shared copy the system will not map (a security policy
                // on tmpfs, say): once more from a memory file of our own.
                let private = unpack_private_memory_file(
                    self.bundle,
                    &memory_name(self.root, node.file.path),
                    &node.file.data,
                )?;
                seal_before_loading(&private, node.file.path)?;
                opened = dlopen(&private.path, libc::RTLD_NOW | libc::RTLD_LOCAL);
                self.nodes[member].memory = private;
            }
            let node = &self.nodes[member];
            let handle = opened.map_err(|e| {
                LoadError::Linker(without_proc(format!(
                    "{} (bundled as {}): {e}",
                    node.soname, node.file.path
                )))
            })?;
            name_object(handle, &virtual_path(self.root, node.file.path));
            self.loaded.libraries.insert(node.soname.clone());
            self.nodes[member].loaded = true;
        }
        // The members opened each other through their memory files while
        // the first of them loaded; all are mapped now.
        for &member in component {
            self.nodes[member].memory.loaded();
        }
        Ok(())
    }

    /// `message` with the memory files' paths (in the dynamic linker's
    /// messages) replaced by the bundled paths they hold.
    fn describe(&self, message: &str) -> String {
        let mut out = message.to_owned();
        for node in &self.nodes {
            for path in std::iter::once(&node.memory.path).chain(&node.link) {
                out = replace_path(&out, path, node.file.path);
            }
        }
        out
    }
}

/// Seals a memory file once nothing will write it again (its DT_NEEDED
/// names rewritten, if it is in a cycle), just before it is loaded.
fn seal_before_loading(memory: &MemoryFile, bundled_as: &str) -> Result<(), LoadError> {
    let sealing = |source| LoadError::Seal {
        path: bundled_as.to_owned(),
        source,
    };
    let file = memory.file().map_err(sealing)?;
    if memory.shared {
        // Read-only, in a directory only we may write, and checked.
        return Ok(());
    }
    crate::fds::seal(file.as_raw_fd()).map_err(sealing)
}

/// `text` with each occurrence of `path` not followed by a digit (the path
/// of descriptor 1 is a prefix of that of descriptor 12) replaced by `by`.
fn replace_path(text: &str, path: &str, by: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(path) {
        let after = &rest[at + path.len()..];
        out.push_str(&rest[..at]);
        if after.starts_with(|c: char| c.is_ascii_digit()) {
            out.push_str(path);
        } else {
            out.push_str(by);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

fn virtual_path(root: &str, rel: &str) -> String {
    format!("{root}/{rel}")
}

/// The name of the memory file holding bundled file `rel`: its virtual path
/// under `root`, which `/proc/self/maps` then shows as `/memfd:<path>
/// (deleted)` (threadpoolctl 3.8 looks for libraries there, by file name,
/// and loads them by that name through ctypes, which the importer maps
/// back), or its file name if the path is longer than the kernel allows.
pub(crate) fn memory_name(root: &str, rel: &str) -> String {
    const MFD_NAME_MAX_LEN: usize = 249;
    let path = virtual_path(root, rel);
    if path.len() <= MFD_NAME_MAX_LEN {
        path
    } else {
        rel.rsplit('/').next().unwrap_or(rel).to_owned()
    }
}

fn bundled_library<'a>(
    bundle: &Bundle<'a>,
    soname: &str,
) -> Result<Option<FileEntry<'a>>, LoadError> {
    for file in bundle.files() {
        let file = file?;
        if file.kind == FileKind::SharedLibrary && file.aux == soname {
            return Ok(Some(file));
        }
    }
    Ok(None)
}

/// The shortest path naming memory file `file` for the dynamic linker,
/// unique in the process ([`fd_path`]): under `/dev/fd/` where that shows
/// this process's descriptors (it leaves more room in the string it
/// replaces), else under `/proc/self/fd/`.
fn link_path(file: &std::fs::File) -> String {
    let fd = file.as_raw_fd();
    let same = match (std::fs::metadata(format!("/dev/fd/{fd}")), file.metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    };
    fd_path(if same { "/dev/fd/" } else { "/proc/self/fd/" }, fd)
}

/// Rewrites, in memory file `memory`, the needed names `renames` (old, new)
/// in place, wherever the dynamic linker reads them.
fn rewrite_needed(memory: &MemoryFile, renames: &[(String, String)]) -> Result<(), String> {
    if renames.is_empty() {
        return Ok(());
    }
    let file = memory.file().map_err(|e| e.to_string())?;
    let patches = {
        // SAFETY: a read-only mapping of a memory file that nothing writes
        // while it is mapped: the prefetch thread is done with it and only
        // the loading thread, here, writes, after the mapping is dropped.
        let map = unsafe { memmap2::Mmap::map(file) }.map_err(|e| e.to_string())?;
        needed_rewrites(&map, renames)?
    };
    for (offset, bytes) in patches {
        file.write_all_at(&bytes, offset)
            .map_err(|e| format!("writing its memory file: {e}"))?;
    }
    Ok(())
}

/// The writes (file offset, bytes) that turn the `DT_NEEDED` strings of an
/// ELF object named in `renames` (old, new) into their new names, and the
/// version requirements naming the same files (glibc matches those by name
/// to the loaded objects, and aborts if none matches). Refused when a new
/// name is longer than the old one, or when another reference points into
/// the old string (linkers share string tails), since it would read the new
/// one.
pub(crate) fn needed_rewrites(
    bytes: &[u8],
    renames: &[(String, String)],
) -> Result<Vec<(u64, Vec<u8>)>, String> {
    use goblin::elf::dynamic::*;
    // <elf.h>'s filter tags, which goblin does not name.
    const DT_AUXILIARY: u64 = 0x7fff_fffd;
    const DT_FILTER: u64 = 0x7fff_ffff;

    #[derive(PartialEq)]
    enum Ref {
        /// A `DT_NEEDED` entry or a version requirement's file: rewritten
        /// with its string.
        File,
        Other,
    }
    let elf =
        goblin::elf::Elf::parse(bytes).map_err(|e| format!("not a loadable ELF object: {e}"))?;
    if !elf.is_64 || !elf.little_endian {
        return Err("not a 64-bit little-endian ELF object".into());
    }
    let dynamic = elf.dynamic.as_ref().ok_or("no dynamic section")?;
    let (strtab, strsz) = (dynamic.info.strtab, dynamic.info.strsz);
    let string_at = |off: usize| -> Option<&[u8]> {
        let table = bytes.get(strtab.checked_add(off)?..strtab.checked_add(strsz)?)?;
        Some(&table[..table.iter().position(|&b| b == 0)?])
    };
    let to_offset = |vaddr: u64| {
        elf.program_headers
            .iter()
            .find(|ph| {
                ph.p_type == goblin::elf::program_header::PT_LOAD
                    && vaddr >= ph.p_vaddr
                    && vaddr - ph.p_vaddr < ph.p_filesz
            })
            .map(|ph| (vaddr - ph.p_vaddr + ph.p_offset) as usize)
    };
    let u16_at = |off: usize| {
        bytes
            .get(off..off + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u32_at = |off: usize| {
        bytes
            .get(off..off + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    // Every reference into the dynamic string table something may follow.
    let mut refs: Vec<(usize, Ref)> = Vec::new();
    let (mut verneed, mut verneednum, mut verdef, mut verdefnum) = (None, 0, None, 0);
    for d in &dynamic.dyns {
        match d.d_tag {
            DT_NEEDED => refs.push((d.d_val as usize, Ref::File)),
            DT_SONAME | DT_RPATH | DT_RUNPATH | DT_AUXILIARY | DT_FILTER | DT_CONFIG
            | DT_DEPAUDIT | DT_AUDIT => refs.push((d.d_val as usize, Ref::Other)),
            DT_VERNEED => verneed = Some(to_offset(d.d_val).ok_or("bad DT_VERNEED")?),
            DT_VERNEEDNUM => verneednum = d.d_val,
            DT_VERDEF => verdef = Some(to_offset(d.d_val).ok_or("bad DT_VERDEF")?),
            DT_VERDEFNUM => verdefnum = d.d_val,
            _ => {}
        }
    }
    refs.extend(elf.dynsyms.iter().map(|s| (s.st_name, Ref::Other)));
    let damaged = || "its version tables are damaged".to_owned();
    // Elf64_Verneed {vn_version, vn_cnt: u16; vn_file, vn_aux, vn_next:
    // u32}, each with (at vn_aux) vn_cnt Elf64_Vernaux {vna_hash: u32;
    // vna_flags, vna_other: u16; vna_name, vna_next: u32}.
    if let Some(mut at) = verneed {
        for _ in 0..verneednum {
            refs.push((u32_at(at + 4).ok_or_else(damaged)?, Ref::File));
            let mut aux = at + u32_at(at + 8).ok_or_else(damaged)?;
            for _ in 0..u16_at(at + 2).ok_or_else(damaged)? {
                refs.push((u32_at(aux + 8).ok_or_else(damaged)?, Ref::Other));
                aux += u32_at(aux + 12).ok_or_else(damaged)?;
            }
            at += u32_at(at + 12).ok_or_else(damaged)?;
        }
    }
    // Elf64_Verdef {vd_version, vd_flags, vd_ndx, vd_cnt: u16; vd_hash,
    // vd_aux, vd_next: u32}, each with (at vd_aux) vd_cnt Elf64_Verdaux
    // {vda_name, vda_next: u32}.
    if let Some(mut at) = verdef {
        for _ in 0..verdefnum {
            let mut aux = at + u32_at(at + 12).ok_or_else(damaged)?;
            for _ in 0..u16_at(at + 6).ok_or_else(damaged)? {
                refs.push((u32_at(aux).ok_or_else(damaged)?, Ref::Other));
                aux += u32_at(aux + 4).ok_or_else(damaged)?;
            }
            at += u32_at(at + 16).ok_or_else(damaged)?;
        }
    }
    let mut patches = Vec::new();
    for (old, new) in renames {
        if new.len() > old.len() {
            // No path in the message: `describe` would make it a bundled one.
            return Err(format!(
                "its DT_NEEDED entry {old} is too short to hold the path of that library's \
                 memory file ({} bytes)",
                new.len()
            ));
        }
        // patchelf (auditwheel renames libraries with it) gives the
        // DT_NEEDED entry and the version requirement separate copies.
        let mut sites: Vec<usize> = refs
            .iter()
            .filter(|(off, kind)| *kind == Ref::File && string_at(*off) == Some(old.as_bytes()))
            .map(|(off, _)| *off)
            .collect();
        sites.sort_unstable();
        sites.dedup();
        if sites.is_empty() {
            // Rewritten by an earlier attempt to load it.
            if refs
                .iter()
                .any(|(off, kind)| *kind == Ref::File && string_at(*off) == Some(new.as_bytes()))
            {
                continue;
            }
            return Err(format!("no DT_NEEDED entry names {old}"));
        }
        for &site in &sites {
            let shared = refs.iter().any(|(r, kind)| {
                (*r == site && *kind == Ref::Other) || (*r > site && *r < site + old.len())
            });
            if shared {
                return Err(format!(
                    "its string {old} is shared with other names, so it cannot be rewritten"
                ));
            }
            let mut replacement = new.as_bytes().to_vec();
            replacement.resize(old.len(), 0);
            patches.push(((strtab + site) as u64, replacement));
        }
    }
    Ok(patches)
}

fn dlopen(path: &str, flags: c_int) -> Result<*mut c_void, String> {
    let cpath = CString::new(path).map_err(|_| "NUL in path".to_owned())?;
    // SAFETY: dlopen with a valid C string; the handle is intentionally kept
    // (never dlclose'd) so the library stays loaded for the process.
    let handle = unsafe { libc::dlopen(cpath.as_ptr(), flags) };
    if handle.is_null() {
        // SAFETY: dlerror returns a thread-local message or null.
        let msg = unsafe { libc::dlerror() };
        let text = if msg.is_null() {
            "unknown dlopen error".to_owned()
        } else {
            // SAFETY: non-null dlerror result is a valid C string.
            unsafe { CStr::from_ptr(msg) }
                .to_string_lossy()
                .into_owned()
        };
        return Err(text);
    }
    Ok(handle)
}

/// The public head of glibc's `struct link_map` (`<link.h>`, fixed by the
/// debugger interface `r_debug`).
#[repr(C)]
struct LinkMap {
    l_addr: usize,
    l_name: *mut c_char,
}

/// Names the loaded object `handle` `name` for `dl_iterate_phdr` and
/// `dladdr`. Best effort: an object keeps its memory file name if glibc
/// will not say where its link map is.
fn name_object(handle: *mut c_void, name: &str) {
    let Ok(cname) = CString::new(name) else {
        return;
    };
    let mut map: *mut LinkMap = std::ptr::null_mut();
    // SAFETY: RTLD_DI_LINKMAP stores the object's `struct link_map *` into
    // the pointer-sized location given; handle is a live dlopen handle.
    let status = unsafe {
        libc::dlinfo(
            handle,
            libc::RTLD_DI_LINKMAP,
            (&mut map as *mut *mut LinkMap).cast(),
        )
    };
    if status != 0 || map.is_null() {
        return;
    }
    // SAFETY: map is the link map of an object that is never unloaded;
    // `l_name` is a pointer-aligned field that always points at a C string,
    // and glibc's plain loads of it cannot see an aligned store torn.
    let current = unsafe { AtomicPtr::from_ptr(std::ptr::addr_of_mut!((*map).l_name)) };
    let old = current.load(Ordering::Acquire);
    // SAFETY: old is the object's current name, a valid C string.
    if !old.is_null() && unsafe { CStr::from_ptr(old) } == cname.as_c_str() {
        return;
    }
    // SAFETY: strdup copies a valid C string into malloc'd memory, which is
    // what glibc frees the name with should the object ever be unloaded.
    let copy = unsafe { libc::strdup(cname.as_ptr()) };
    if copy.is_null() {
        return;
    }
    // One aligned pointer store: a thread reading the name meanwhile
    // (dl_iterate_phdr, dladdr) sees the old name or the new one. The old
    // one is leaked, not freed, as such a reader may still hold it.
    current.store(copy, Ordering::Release);
}

/// Loads the bundled library with SONAME (or file name) `soname`, if the
/// bundle has one; afterwards `dlopen(soname)` finds it among the loaded
/// objects without searching the disk.
pub(crate) fn preload_by_name(
    bundle: &Bundle<'_>,
    root: &str,
    soname: &str,
) -> Result<bool, LoadError> {
    if bundled_library(bundle, soname)?.is_none() {
        return Ok(false);
    }
    preload(bundle, root, &[soname.to_owned()])?;
    Ok(true)
}

/// Loads extension module `name` from a memory file, its bundled libraries
/// first, with `dlopen` flags `flags` (`sys.getdlopenflags()`), and names it
/// after its virtual path under `root`. Returns the memory file's path for
/// `_imp.create_dynamic`, whose own `dlopen` of it finds the loaded object.
pub(crate) fn prepare_extension(
    bundle: &Bundle<'_>,
    root: &str,
    name: &str,
    flags: c_int,
) -> Result<String, LoadError> {
    let entry = bundle
        .find_module(name)?
        .ok_or_else(|| LoadError::NoExtension(name.to_owned()))?;
    let code = entry
        .code
        .ok_or_else(|| LoadError::NoCode(name.to_owned()))?;
    // Taken out while it loads (preloading locks the table); put back
    // after, so that loading it again finds the same object by its path.
    let cached = loaded().extensions.remove(name);
    let mut unpacked = match cached {
        Some(unpacked) => unpacked,
        None => memory_file(bundle, &memory_name(root, entry.path), &code)?,
    };
    let result = load_extension_object(bundle, root, &mut unpacked, entry.path, &code, flags);
    let path = unpacked.path.clone();
    loaded().extensions.insert(name.to_owned(), unpacked);
    result.map(|()| path)
}

/// Loads the extension module in memory file `unpacked` (bundled as `rel`),
/// its bundled libraries first, unless it is loaded already; its memory
/// file is closed once it is.
fn load_extension_object(
    bundle: &Bundle<'_>,
    root: &str,
    unpacked: &mut MemoryFile,
    rel: &str,
    code: &BlobRef,
    flags: c_int,
) -> Result<(), LoadError> {
    if unpacked.file.is_none() {
        return Ok(()); // loaded before: its path finds the object
    }
    preload(bundle, root, &unpacked.needed)?;
    seal_before_loading(unpacked, rel)?;
    let mut opened = dlopen(&unpacked.path, flags);
    if opened.is_err() && unpacked.shared {
        // As for libraries (`Walk::load_component`): a memory file of our own.
        *unpacked = unpack_private_memory_file(bundle, &memory_name(root, rel), code)?;
        seal_before_loading(unpacked, rel)?;
        opened = dlopen(&unpacked.path, flags);
    }
    let handle = opened
        .map_err(|e| LoadError::Linker(without_proc(replace_path(&e, &unpacked.path, rel))))?;
    name_object(handle, &virtual_path(root, rel));
    unpacked.loaded();
    Ok(())
}

/// `message` (the dynamic linker's, about a memory file) with the reason
/// when there is no /proc to open memory files through.
fn without_proc(message: String) -> String {
    if std::fs::metadata("/proc/self/fd").is_ok() {
        return message;
    }
    format!(
        "{message} (native code is loaded from memory through /proc/self/fd, and /proc is not \
         mounted here: mount /proc to use this module)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_file_holds_the_content_of_multi_frame_blobs() {
        // Two frames: the blob is unpacked by two threads into the file.
        let content: Vec<u8> = (0..freeze_bundle::SPLIT_RAW_LEN + 12345)
            .map(|i| (i % 251) as u8 ^ (i / 4096) as u8)
            .collect();
        let mut writer = freeze_bundle::BundleWriter::new(*b"\xa7\x0d\x0d\x0a");
        writer.set_compression_level(1);
        writer
            .add_file(
                "big.bin",
                FileKind::Data,
                "",
                freeze_bundle::Blob::Raw(content.clone()),
            )
            .unwrap();
        writer
            .add_file(
                "empty.bin",
                FileKind::Data,
                "",
                freeze_bundle::Blob::Raw(Vec::new()),
            )
            .unwrap();
        let bytes = writer.finish().unwrap();
        let bundle = Bundle::parse(&bytes).unwrap();
        for (name, expected) in [("big.bin", &content[..]), ("empty.bin", &[][..])] {
            let file = bundle.find_file(name).unwrap().unwrap();
            // Shared (the cache's copy, content then a trailer) or private.
            let shared = memory_file(&bundle, name, &file.data).unwrap();
            let private = unpack_private_memory_file(&bundle, name, &file.data).unwrap();
            assert!(!private.shared);
            for unpacked in [shared, private] {
                assert!(unpacked.path.starts_with("/proc/self/fd/"));
                assert!(unpacked.needed.is_empty());
                let read = std::fs::read(&unpacked.path).unwrap();
                assert!(
                    read.get(..expected.len()) == Some(expected),
                    "{name} differs"
                );
                if !unpacked.shared {
                    assert_eq!(read.len(), expected.len());
                }
            }
        }
    }

    #[test]
    fn needed_libraries_of_a_real_binary() {
        let bytes = std::fs::read("/bin/true").unwrap();
        assert!(needed_libraries(&bytes)
            .iter()
            .any(|l| l.starts_with("libc.so")));
        assert!(needed_libraries(b"not elf").is_empty());
        // The same names, in the same order, as a whole parse finds, for
        // every object of the system's lib-dynload and libcrypto; cut
        // short anywhere, no panic.
        let mut objects: Vec<std::path::PathBuf> =
            std::fs::read_dir("/usr/lib/python3.11/lib-dynload")
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
        objects.push("/usr/lib/x86_64-linux-gnu/libcrypto.so.3".into());
        let mut with_needed = 0;
        for path in &objects {
            let bytes = std::fs::read(path).unwrap();
            let whole = goblin::elf::Elf::parse(&bytes).unwrap();
            let expected: Vec<String> = whole.libraries.iter().map(|s| s.to_string()).collect();
            assert_eq!(needed_libraries(&bytes), expected, "{}", path.display());
            with_needed += usize::from(!expected.is_empty());
            for cut in [64, 1000, bytes.len() / 2, bytes.len() - 1] {
                let _ = needed_libraries(&bytes[..cut.min(bytes.len())]);
            }
        }
        assert!(with_needed > 10, "{with_needed} of {}", objects.len());
    }

    /// Builds shared library `name` from C `source` with gcc in `dir`.
    fn gcc_library(dir: &std::path::Path, name: &str, source: &str, extra: &[&str]) -> Vec<u8> {
        let c = dir.join(format!("{name}.c"));
        std::fs::write(&c, source).unwrap();
        let out = std::process::Command::new("gcc")
            .args(["-shared", "-fPIC", "-o", name])
            .arg(&c)
            .arg(format!("-Wl,-soname,{name}"))
            .args(["-L."])
            .args(extra)
            .current_dir(dir)
            .output()
            .expect("gcc is needed for this test");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(dir.join(name)).unwrap()
    }

    fn apply(bytes: &[u8], patches: &[(u64, Vec<u8>)]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for (offset, patch) in patches {
            let at = *offset as usize;
            out[at..at + patch.len()].copy_from_slice(patch);
        }
        out
    }

    #[test]
    fn needed_names_are_rewritten_in_place_unless_they_do_not_fit_or_are_shared() {
        let dir = std::env::temp_dir().join(format!("freeze-native-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let target = "libtarget_0123456789abcdef.so.1";
        std::fs::write(dir.join("target.map"), "T_1 { global: *; };\n").unwrap();
        gcc_library(
            &dir,
            target,
            "int target(void) { return 1; }\n\
             int tail(void) __asm__(\"target_0123456789abcdef.so.1\");\n\
             int tail(void) { return 2; }\n",
            &["-Wl,--version-script,target.map"],
        );
        let rename = |new: &str| vec![(target.to_owned(), new.to_owned())];
        let link = format!("-l:{target}");

        // A plain need, with a version requirement naming the same file.
        let user = gcc_library(
            &dir,
            "libuser.so",
            "int target(void);\nint use(void) { return target(); }\n",
            &[&link],
        );
        let patches = needed_rewrites(&user, &rename("/dev/fd/12")).unwrap();
        let patched = apply(&user, &patches);
        let elf = goblin::elf::Elf::parse(&patched).unwrap();
        assert!(elf.libraries.contains(&"/dev/fd/12"), "{:?}", elf.libraries);
        assert!(!elf.libraries.contains(&target));
        let files: Vec<&str> = elf
            .verneed
            .as_ref()
            .expect("a version requirement")
            .iter()
            .filter_map(|need| elf.dynstrtab.get_at(need.vn_file))
            .collect();
        assert!(files.contains(&"/dev/fd/12"), "{files:?}");
        assert!(!files.contains(&target), "{files:?}");
        // A second attempt finds the work done; a longer name does not fit.
        assert!(needed_rewrites(&patched, &rename("/dev/fd/12"))
            .unwrap()
            .is_empty());
        let long = "/proc/self/fd/1234567890123456789";
        let err = needed_rewrites(&user, &rename(long)).unwrap_err();
        assert!(err.contains("too short"), "{err}");

        // A symbol whose name the linker keeps in the tail of the needed
        // name's string.
        let sharer = gcc_library(
            &dir,
            "libsharer.so",
            "int tail(void) __asm__(\"target_0123456789abcdef.so.1\");\n\
             int use(void) { return tail(); }\n",
            &[&link],
        );
        let err = needed_rewrites(&sharer, &rename("/dev/fd/12")).unwrap_err();
        assert!(err.contains("shared"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn memory_file_paths_in_messages_become_bundled_paths() {
        assert_eq!(
            replace_path(
                "/proc/self/fd/1: undefined symbol (/proc/self/fd/12)",
                "/proc/self/fd/1",
                "pkg.libs/liba.so"
            ),
            "pkg.libs/liba.so: undefined symbol (/proc/self/fd/12)"
        );
    }
}
