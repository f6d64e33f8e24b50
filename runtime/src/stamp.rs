//! Stamps: the record that the content of some files was checked in full
//! (hashed and found whole), kept beside them as a file (`.checked` in a
//! shared-copy entry, `.checked-data-<hash>` beside a data directory), so
//! that a later start can skip hashing what has not changed since.
//!
//! A stamp holds each file's identity and last change: device, inode, size
//! and change time (`st_ctime`). No unprivileged process can set a file's
//! change time, and every write, truncation or `chmod` moves it, so while
//! a file's identity equals its stamped one its content is what was
//! hashed. A stamp is written only once the coarse clock the kernel
//! timestamps files with has moved past every change time it records
//! ([`FileIdentity::settled`]), so that a change within the same clock
//! tick cannot leave a file matching its stamp. A stamp is believed only
//! if it is a regular file of ours that no one else may write; it is
//! written under a temporary name and renamed, so a reader sees a whole
//! stamp or none. Writing one is best effort: without it the next check
//! hashes again.

use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::fs::FileExt;

use crate::fds::{fstat, open_at};

/// The stamp's file name in a shared-copy entry, and the prefix of a data
/// directory's.
pub(crate) const NAME: &str = ".checked";

/// Larger stamps are not read: a data directory of 10,000 files takes
/// about 600 KB.
const MAX_LEN: u64 = 4 << 20;

/// What identifies a file and its last change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileIdentity {
    dev: u64,
    ino: u64,
    size: i64,
    ctime: (i64, i64),
}

impl FileIdentity {
    pub(crate) fn of_stat(stat: &libc::stat) -> FileIdentity {
        FileIdentity {
            dev: stat.st_dev,
            ino: stat.st_ino,
            size: stat.st_size,
            ctime: (stat.st_ctime, stat.st_ctime_nsec),
        }
    }

    pub(crate) fn of_metadata(meta: &std::fs::Metadata) -> FileIdentity {
        use std::os::unix::fs::MetadataExt;
        FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size() as i64,
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }

    /// Whether the coarse clock has moved past the change time, so that
    /// any later change gets another one.
    pub(crate) fn settled(&self) -> bool {
        // SAFETY: an all-zero timespec is valid; clock_gettime writes it.
        let mut now: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: clock_gettime with a valid clock and a pointer to our own
        // timespec.
        if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut now) } < 0 {
            return false;
        }
        (now.tv_sec, now.tv_nsec) > self.ctime
    }
}

/// A stamp's text: one line per file, `dev ino size sec.nsec`.
fn text(files: &[FileIdentity]) -> String {
    files
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}.{:09}\n",
                f.dev, f.ino, f.size, f.ctime.0, f.ctime.1
            )
        })
        .collect()
}

fn parse(text: &str) -> Option<Vec<FileIdentity>> {
    let parse_line = |line: &str| -> Option<FileIdentity> {
        let mut fields = line.split(' ');
        let dev = fields.next()?.parse().ok()?;
        let ino = fields.next()?.parse().ok()?;
        let size = fields.next()?.parse().ok()?;
        let (sec, nsec) = fields.next()?.split_once('.')?;
        let ctime = (sec.parse().ok()?, nsec.parse().ok()?);
        fields.next().is_none().then_some(FileIdentity {
            dev,
            ino,
            size,
            ctime,
        })
    };
    text.strip_suffix('\n')?
        .split('\n')
        .map(parse_line)
        .collect()
}

/// The stamp `name` in directory `dir`, if there is a whole one we wrote.
pub(crate) fn read(dir: RawFd, name: &str, uid: libc::uid_t) -> Option<Vec<FileIdentity>> {
    let name = CString::new(name).ok()?;
    let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK;
    let fd = open_at(dir, &name, flags, 0).ok()?;
    let stat = fstat(fd.as_raw_fd()).ok()?;
    let ours = stat.st_mode & libc::S_IFMT == libc::S_IFREG
        && stat.st_uid == uid
        && stat.st_mode & 0o022 == 0;
    if !ours {
        return None;
    }
    let mut bytes = Vec::new();
    File::from(fd).take(MAX_LEN).read_to_end(&mut bytes).ok()?;
    parse(std::str::from_utf8(&bytes).ok()?)
}

/// Replaces the stamp `name` in directory `dir` with one for `files`,
/// unless one of them changed within the current clock tick.
pub(crate) fn write(dir: RawFd, name: &str, files: &[FileIdentity]) {
    if !files.iter().all(FileIdentity::settled) {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let temp = format!(".tmp-stamp-{}-{now}", std::process::id());
    let (Ok(ctemp), Ok(cname)) = (CString::new(temp), CString::new(name)) else {
        return;
    };
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let Ok(fd) = open_at(dir, &ctemp, flags, 0o400) else {
        return;
    };
    let written = File::from(fd).write_all_at(text(files).as_bytes(), 0).is_ok()
        // SAFETY: renameat within `dir`, of the name we just created, onto
        // the stamp's name.
        && unsafe { libc::renameat(dir, ctemp.as_ptr(), dir, cname.as_ptr()) } == 0;
    if !written {
        // SAFETY: unlinkat of the temporary name we created.
        unsafe { libc::unlinkat(dir, ctemp.as_ptr(), 0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_parse_only_whole() {
        let files = [
            FileIdentity {
                dev: 1,
                ino: 2,
                size: 3,
                ctime: (4, 5),
            },
            FileIdentity {
                dev: 6,
                ino: 7,
                size: 8,
                ctime: (9, 999_999_999),
            },
        ];
        assert_eq!(text(&files), "1 2 3 4.000000005\n6 7 8 9.999999999\n");
        assert_eq!(parse(&text(&files)).as_deref(), Some(&files[..]));
        assert_eq!(parse(&text(&files[..1])).as_deref(), Some(&files[..1]));
        for bad in [
            "",
            "\n",
            "1 2 3 4.5",
            "1 2 3 4\n",
            "1 2 3 4.5 6\n",
            "x 2 3 4.5\n",
            "1 2 3 4.5\n\n",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_file_changed_now_is_not_settled_and_one_changed_before_is() {
        let dir = std::env::temp_dir().join(format!("freeze-stamp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        std::fs::write(&path, b"x").unwrap();
        let identity = FileIdentity::of_metadata(&std::fs::metadata(&path).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(30));
        assert!(identity.settled());
        let far = FileIdentity {
            ctime: (i64::MAX, 0),
            ..identity.clone()
        };
        assert!(!far.settled());
        // Written, read back; not written while a file is unsettled.
        let d = File::open(&dir).unwrap();
        // SAFETY: geteuid cannot fail.
        let uid = unsafe { libc::geteuid() };
        write(d.as_raw_fd(), NAME, std::slice::from_ref(&identity));
        assert_eq!(read(d.as_raw_fd(), NAME, uid), Some(vec![identity.clone()]));
        write(d.as_raw_fd(), NAME, &[identity.clone(), far]);
        assert_eq!(read(d.as_raw_fd(), NAME, uid), Some(vec![identity]));
        // Someone else's or writable by others: not believed.
        assert_eq!(read(d.as_raw_fd(), NAME, uid + 1), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
