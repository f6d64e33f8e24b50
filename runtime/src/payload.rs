//! Finds the bundle inside the running executable.

use std::os::unix::fs::FileExt;

use freeze_bundle::{BlobRef, Bundle, BundleError, Codec, StoredBytes};

use crate::RuntimeError;

/// Maps the executable `file` (`/proc/self/exe`, or the executable a
/// loader was started as; `exe_path` names it in messages) and parses the
/// bundle in its `.freeze` section. The mapping is lazy: only the pages
/// actually read (ELF header, section headers, bundle index, native code
/// being unpacked) are faulted in, so start time does not grow with the
/// bundle's size; the ELF headers' pages are given back once the bundle is
/// found, and modules are copied out with `pread` (see [`read_blob_once`]).
pub(crate) fn own_bundle(exe_path: &str, file: &str) -> Result<Bundle<'static>, RuntimeError> {
    let file = std::fs::File::open(file)
        .and_then(|f| crate::fds::above_stdio(f.into()))
        .map(std::fs::File::from)
        .map_err(|source| RuntimeError::Exe {
            path: exe_path.to_owned(),
            source,
        })?;
    let len = file
        .metadata()
        .map_err(|source| RuntimeError::Exe {
            path: exe_path.to_owned(),
            source,
        })?
        .len() as usize;
    let bytes = map_out_of_huge_page_step(&file, len).map_err(|source| RuntimeError::Exe {
        path: exe_path.to_owned(),
        source,
    })?;
    let payload = freeze_bundle::find_in_elf(bytes)?.ok_or(RuntimeError::NoBundle)?;
    let bundle = Bundle::parse(payload)?;
    let mapping = (bytes.as_ptr() as usize, len);
    let payload_start = payload.as_ptr() as usize - mapping.0;
    // The ELF and section headers are not read again.
    release_within(mapping, &bytes[..payload_start]);
    release_within(mapping, &bytes[payload_start + payload.len()..]);
    let _ = EXE.set(Executable {
        file,
        bundle_offset: payload_start as u64,
        mapping,
    });
    Ok(bundle)
}

/// Reads a blob's content with `use_content`: modules, sources and data
/// files are read once, into objects of their own.
pub(crate) fn read_blob_once<T>(
    bundle: &Bundle<'_>,
    blob: &BlobRef,
    use_content: impl FnOnce(&[u8]) -> T,
) -> Result<T, BundleError> {
    let result = with_stored(bundle, blob, |stored| {
        bundle
            .blob(blob, StoredBytes::Given(stored))
            .map(|content| use_content(&content))
    });
    if blob.codec == Codec::ZstdDictionary {
        release_dictionary_once(bundle);
    }
    result
}

/// Runs `use_stored` on the stored bytes of `blob`, read so that they do
/// not stay in this process's memory: small ones (modules, sources) are
/// copied with `pread` into a buffer kept for the next, larger ones (native
/// code) mapped on their own and unmapped after. Reading them through the
/// mapping of the whole executable would leave their pages, and more,
/// counting toward RSS: a fault there maps the whole page-cache folio
/// around it (see [`release_within`]). A bundle that is not the
/// executable's (a test's, in memory) is read where it lies.
pub(crate) fn with_stored<T>(
    bundle: &Bundle<'_>,
    blob: &BlobRef,
    use_stored: impl FnOnce(&[u8]) -> Result<T, BundleError>,
) -> Result<T, BundleError> {
    let span = bundle.stored_span(blob)?;
    let Some(exe) = EXE.get() else {
        return use_stored(span.bytes);
    };
    let offset = exe.bundle_offset + span.offset;
    let len = blob.stored_len as usize;
    let mut use_stored = Some(use_stored);
    if len <= COPY_BUFFER {
        let copied = COPY.try_with(|copy| {
            // Busy only if `use_stored` reads another blob: that one maps.
            let mut copy = copy.try_borrow_mut().ok()?;
            if copy.capacity() < COPY_BUFFER {
                copy.reserve_exact(COPY_BUFFER);
            }
            copy.resize(len, 0);
            exe.file.read_exact_at(&mut copy, offset).ok()?;
            Some((use_stored.take()?)(&copy))
        });
        if let Ok(Some(result)) = copied {
            return result;
        }
    }
    let use_stored = use_stored.expect("only taken when the copy was read");
    // SAFETY: a read-only mapping of bytes of the executable, which do not
    // change under it for the reason the whole executable's mapping gives
    // (see `map_out_of_huge_page_step`); dropped before this returns.
    match unsafe {
        memmap2::MmapOptions::new()
            .offset(offset)
            .len(len)
            .map(&exe.file)
    } {
        Ok(own) => use_stored(&own),
        // Cannot map (out of address space, say): read where it lies.
        Err(_) => {
            let result = use_stored(span.bytes);
            release_blob(bundle, blob);
            result
        }
    }
}

/// Most stored bytes `with_stored` copies: a buffer this size per thread
/// stays on malloc's heap (below its 128 KiB mapping threshold) for good.
const COPY_BUFFER: usize = 64 << 10;

thread_local! {
    static COPY: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Gives back the pages of the bundle's zstd dictionary once the first
/// module compressed with it has been read: the dictionary is then held
/// unpacked and digested, and read from the bundle again only by another
/// thread's first such module.
fn release_dictionary_once(bundle: &Bundle<'_>) {
    static RELEASED: std::sync::Once = std::sync::Once::new();
    RELEASED.call_once(|| {
        if let Some(dictionary) = bundle.dictionary() {
            release_blob(bundle, &dictionary);
        }
    });
}

/// Gives back this process's mapping of the pages holding `blob`'s stored
/// bytes, once its content has been read and is not needed again, so they
/// stop counting toward RSS; the page cache keeps them. A later read of a
/// released page simply faults it in again. Does nothing for a bundle that
/// is not the executable's mapping.
fn release_blob(bundle: &Bundle<'_>, blob: &BlobRef) {
    if let (Some(exe), Ok(span)) = (EXE.get(), bundle.stored_span(blob)) {
        release_within(exe.mapping, span.bytes);
    }
}

/// Releases the pages around `bytes`, a range of the mapping at
/// `(map_start, map_len)`, widened to the 2 MB-aligned windows that hold
/// it. The fault that read `bytes` mapped their neighbours too: by
/// fault-around (64 KB by default), or the whole page-cache folio that
/// holds them, which Linux 6.18 maps at once when it fits in one 2 MB page
/// table; every folio smaller than 2 MB does (see
/// `map_out_of_huge_page_step`; bench/RESULTS.md, "Tuning constants").
/// Releasing more than was read only costs a fault the next time the index
/// is looked at.
fn release_within((map_start, map_len): (usize, usize), bytes: &[u8]) {
    let start = (bytes.as_ptr() as usize / HUGE_PAGE * HUGE_PAGE).max(map_start);
    let end = (bytes.as_ptr() as usize + bytes.len())
        .next_multiple_of(HUGE_PAGE)
        .min(map_start + map_len);
    if start < end {
        // SAFETY: start..end lies inside our read-only shared file mapping
        // (clamped above); MADV_DONTNEED on it only drops page table
        // entries, and later reads fault the same file pages back in.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
    }
}

/// The running executable: the file, where the bundle starts in it, and
/// the mapping of the whole of it.
struct Executable {
    file: std::fs::File,
    bundle_offset: u64,
    mapping: (usize, usize),
}

static EXE: std::sync::OnceLock<Executable> = std::sync::OnceLock::new();
const HUGE_PAGE: usize = 2 << 20;
const PAGE: usize = 4096;

/// Maps `file` read-only at an address one page past a 2 MB boundary.
///
/// The page cache holds the executable in large folios, and a fault in a
/// mapping whose address and file offset agree modulo 2 MB maps a whole
/// 2 MB folio at once: reading a few hundred KB of index and code made 6 MB
/// of the file count toward hello's RSS (MADV_NOHUGEPAGE does not stop it
/// for file mappings). Out of step by one page, the kernel can only map 4 KB
/// pages, so RSS holds what was read (plus fault-around's 64 KB neighbours).
fn map_out_of_huge_page_step(file: &std::fs::File, len: usize) -> std::io::Result<&'static [u8]> {
    use std::os::fd::AsRawFd;
    if len == 0 {
        return Ok(&[]);
    }
    let reserve = len + 2 * HUGE_PAGE;
    // SAFETY: an anonymous PROT_NONE reservation at an address the kernel
    // picks; nothing else can be mapped there while we hold it.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            reserve,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    let at = (base as usize).next_multiple_of(HUGE_PAGE) + PAGE;
    // SAFETY: `at..at + len` lies inside our reservation (at most
    // HUGE_PAGE + PAGE past its start, and the reservation has 2 MB spare),
    // so MAP_FIXED replaces only our own PROT_NONE pages. The mapping is
    // read-only and shared; Linux refuses writes to a running executable
    // (ETXTBSY), so the bytes cannot change under us. It is never unmapped:
    // the bundle lives until exit.
    let mapped = unsafe {
        libc::mmap(
            at as *mut libc::c_void,
            len,
            libc::PROT_READ,
            libc::MAP_SHARED | libc::MAP_FIXED,
            file.as_raw_fd(),
            0,
        )
    };
    if mapped == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `len` readable bytes at `mapped`, valid for the process's life.
    Ok(unsafe { std::slice::from_raw_parts(mapped as *const u8, len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resident KiB of the mapping that starts at `start`, from smaps.
    fn resident_kib(start: usize) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let header = format!("{start:x}-");
        let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&header));
        lines.next().expect("the mapping is listed");
        lines
            .find_map(|l| l.strip_prefix("Rss:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("an Rss line")
    }

    #[test]
    fn released_pages_leave_rss_and_read_back_the_same() {
        let path = std::env::temp_dir().join(format!("freeze-release-{}", std::process::id()));
        let content: Vec<u8> = (0..6_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let bytes = map_out_of_huge_page_step(&file, content.len()).unwrap();
        let start = bytes.as_ptr() as usize;
        assert!(bytes == &content[..]);
        let total = resident_kib(start);
        assert!(total >= 5800, "{total}");

        // A span in the middle: the 2 MB window that holds it goes, the
        // rest stays.
        release_within((start, bytes.len()), &bytes[3_000_000..3_010_000]);
        let after_span = resident_kib(start);
        assert_eq!(after_span, total - 2048, "{total} KiB before");
        // The whole mapping.
        release_within((start, bytes.len()), bytes);
        assert_eq!(resident_kib(start), 0);
        assert!(bytes == &content[..], "released pages read back the file");
        std::fs::remove_file(&path).unwrap();
    }
}
