//! Native code unpacked ahead of its import.
//!
//! Unpacking an extension module and the libraries it needs into memory
//! files is the largest start-up cost python does not have (numpy's
//! OpenBLAS is 35 MB of zstd). The freezer lists the extension modules the
//! app's module-level imports reach, each after the bundled libraries it
//! loads, in the order the app is expected to import them (the bundle's
//! prefetch table); a thread started before the interpreter boots unpacks
//! them in that order while the main thread runs Python. An import then
//! takes the finished memory file.
//!
//! Each object is unpacked once, by whichever thread claims it first: an
//! import of an object the thread has not reached yet unpacks it itself
//! (and the thread skips it), an import of one being unpacked waits for it.
//! The thread never loads anything: `dlopen`, and so every library's
//! constructors, stay on the importing thread, in import order. A process
//! forked while the thread runs has no such thread (and maybe a held lock),
//! so it never looks at the table and unpacks what it imports itself.
//!
//! Each memory file is a descriptor until its object is loaded, so the
//! thread keeps only a few unpacked ahead of the imports (fewer under a low
//! `ulimit -n`), and one it could not make (out of descriptors, say) is left
//! for the import to make itself.

use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

use freeze_bundle::{BlobRef, Bundle};

use crate::native::{self, LoadError, MemoryFile};

enum Slot {
    /// Being unpacked by the prefetch thread.
    Unpacking,
    /// Unpacked by the prefetch thread, not yet taken by an import.
    Done(Result<MemoryFile, LoadError>),
    /// Taken by an import, or claimed by one before the thread got to it.
    Taken,
}

struct Table {
    /// The process that started the thread.
    pid: u32,
    /// Every object claimed so far, by either side.
    slots: Mutex<Vec<(BlobRef, Slot)>>,
    changed: Condvar,
}

static TABLE: OnceLock<Table> = OnceLock::new();

/// Starts unpacking the native code of the bundle's prefetch table on a
/// thread of its own, into memory files named after their virtual paths
/// under `root`. Does nothing if the table is empty.
pub(crate) fn start(bundle: Bundle<'static>, root: String) {
    if bundle.prefetch_count() == 0 || max_ahead() < 4 {
        return;
    }
    let table = Table {
        pid: std::process::id(),
        slots: Mutex::new(Vec::new()),
        changed: Condvar::new(),
    };
    if TABLE.set(table).is_err() {
        return;
    }
    // Without a thread every import unpacks its own objects, as if there
    // were no table: nothing is ever marked as being unpacked.
    let _ = std::thread::Builder::new()
        .name("freeze-prefetch".into())
        .spawn(move || unpack_ahead(&bundle, &root));
}

fn lock(table: &Table) -> MutexGuard<'_, Vec<(BlobRef, Slot)>> {
    table.slots.lock().unwrap_or_else(|p| p.into_inner())
}

fn unpack_ahead(bundle: &Bundle<'static>, root: &str) {
    let Some(table) = TABLE.get() else { return };
    let ahead = max_ahead().max(1);
    for entry in bundle.prefetch() {
        wait_for_room(table, ahead);
        // A damaged table: the imports report the damage, if they meet it.
        let Ok(entry) = entry else { return };
        let rel = if entry.is_library {
            entry.name
        } else {
            match bundle.find_module(entry.name) {
                Ok(Some(module)) => module.path,
                _ => return,
            }
        };
        unpack_one(table, bundle, &entry.blob, &native::memory_name(root, rel));
    }
}

/// Unpacks `blob` into a memory file named `name`, unless someone claimed
/// it already.
fn unpack_one(table: &Table, bundle: &Bundle<'static>, blob: &BlobRef, name: &str) {
    {
        let mut slots = lock(table);
        if slots.iter().any(|(claimed, _)| claimed == blob) {
            return;
        }
        slots.push((*blob, Slot::Unpacking));
    }
    let unpacked = native::unpack_memory_file(bundle, name, blob);
    let mut slots = lock(table);
    if let Some(index) = slots.iter().position(|(claimed, _)| claimed == blob) {
        match unpacked {
            Ok(unpacked) => slots[index].1 = Slot::Done(Ok(unpacked)),
            // Unclaimed again: the import makes it itself, and says why
            // should it fail there too.
            Err(_) => {
                slots.remove(index);
            }
        }
    }
    drop(slots);
    table.changed.notify_all();
}

/// Blocks the thread while `ahead` memory files it made wait for their
/// imports.
fn wait_for_room(table: &Table, ahead: usize) {
    let mut slots = lock(table);
    while slots
        .iter()
        .filter(|(_, slot)| matches!(slot, Slot::Done(_)))
        .count()
        >= ahead
    {
        slots = table.changed.wait(slots).unwrap_or_else(|p| p.into_inner());
    }
}

/// How many memory files the thread may hold unpacked ahead of the
/// imports: a sixteenth of the descriptor limit, up to 16; none under a
/// limit below 64, where every descriptor may be needed by the imports
/// themselves.
fn max_ahead() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the limit into the struct we pass.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        limit.rlim_cur
    } else {
        1024
    };
    (soft / 16).min(16) as usize
}

/// The memory file the prefetch thread made for `blob`, waiting for it if
/// it is being unpacked; None if the caller must unpack it itself (no
/// prefetching in this process, not reached by the thread yet, or taken
/// before). A blob the thread has not reached is claimed for the caller.
pub(crate) fn take(blob: &BlobRef) -> Option<Result<MemoryFile, LoadError>> {
    let table = TABLE.get()?;
    if table.pid != std::process::id() {
        return None;
    }
    let mut slots = lock(table);
    loop {
        let Some(index) = slots.iter().position(|(claimed, _)| claimed == blob) else {
            slots.push((*blob, Slot::Taken));
            return None;
        };
        match std::mem::replace(&mut slots[index].1, Slot::Taken) {
            Slot::Taken => return None,
            Slot::Done(unpacked) => {
                drop(slots);
                table.changed.notify_all(); // room for the thread
                return Some(unpacked);
            }
            Slot::Unpacking => {
                slots[index].1 = Slot::Unpacking;
                slots = table.changed.wait(slots).unwrap_or_else(|p| p.into_inner());
            }
        }
    }
}
