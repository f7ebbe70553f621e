//! Writing files, the one way `mastery` does: each file is written beside its place and
//! renamed into it, so that a reader (or a rerun after a crash) finds the old file or the whole
//! new one, never a part.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

fn failed(error: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("cannot {what} {}: {error}", path.display()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder, flushed to the disk
/// before it takes the file's place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file = flushed_beside(path, bytes)?;
    file.persist(path).map_err(|e| failed(e.error, "write", path))?;
    Ok(())
}

/// Writes `bytes` to `path` as [`write_atomic`] does, but only if no file is there: when one
/// is, nothing is written and the error is of kind [`io::ErrorKind::AlreadyExists`].
pub fn write_new_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file = flushed_beside(path, bytes)?;
    file.persist_noclobber(path).map_err(|e| failed(e.error, "write", path))?;
    Ok(())
}

/// A temporary file in `path`'s folder holding `bytes`, flushed to the disk.
fn flushed_beside(path: &Path, bytes: &[u8]) -> io::Result<tempfile::NamedTempFile> {
    let dir: PathBuf = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut builder = tempfile::Builder::new();
    builder.prefix(".mastery-").suffix(".tmp");
    // tempfile creates files readable by their owner alone; a transcript is an ordinary file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut file = builder.tempfile_in(&dir).map_err(|e| failed(e, "create a temporary file in", &dir))?;
    file.write_all(bytes).map_err(|e| failed(e, "write", path))?;
    file.as_file().sync_all().map_err(|e| failed(e, "write", path))?;
    Ok(file)
}

/// Creates a folder and the folders above it.
pub fn create_folder(path: &Path) -> io::Result<()> {
    fs::create_dir_all(path).map_err(|e| failed(e, "create", path))
}

/// Writes `bytes` to `path` atomically, creating its folder first.
pub fn write_in_folder(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_folder(parent)?;
    }
    write_atomic(path, bytes)
}

/// Removes the temporary files an interrupted run left behind, in `dir` and the folders in it.
pub fn remove_temporary_files(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| failed(e, "read", dir))? {
        let entry = entry.map_err(|e| failed(e, "read", dir))?;
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(".mastery-") && name.ends_with(".tmp") {
            fs::remove_file(&path).map_err(|e| failed(e, "remove", &path))?;
        } else if entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_temporary_files(&path)?;
        }
    }
    Ok(())
}

/// Removes a file that may already be gone.
pub fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(failed(error, "remove", path)),
        _ => Ok(()),
    }
}

/// Opens a file for appending records one by one (a journal), empty at first.
pub fn journal(path: &Path) -> io::Result<fs::File> {
    fs::File::create(path).map_err(|e| failed(e, "write", path))
}

/// Writes a secret (a signing key) to a new file that only its owner can read; refuses to
/// replace a file that exists.
pub fn write_secret(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| failed(e, "create", path))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| failed(e, "write", path))
}

/// Opens a file to append records to, keeping what it holds (created if missing).
pub fn append_to(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| failed(e, "write", path))
}

/// Appends one record to a file opened with [`append_to`] and flushes it to the disk.
pub fn append(file: &mut fs::File, path: &Path, bytes: &[u8]) -> io::Result<()> {
    file.write_all(bytes).and_then(|()| file.sync_data()).map_err(|e| failed(e, "write", path))
}

/// Cuts a file to its first `length` bytes (an append a crash left unfinished).
pub fn truncate(path: &Path, length: u64) -> io::Result<()> {
    let file = fs::OpenOptions::new().write(true).open(path).map_err(|e| failed(e, "write", path))?;
    file.set_len(length).and_then(|()| file.sync_all()).map_err(|e| failed(e, "write", path))
}

/// Takes the exclusive lock on `path` (created if missing) for as long as the returned file
/// is open: `None` when another process holds it. The system releases it when the process
/// ends, however it ends.
pub fn try_lock(path: &Path) -> io::Result<Option<fs::File>> {
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| failed(e, "create", path))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(error)) => Err(failed(error, "lock", path)),
    }
}

/// Removes a folder and everything in it, if it is there.
pub fn remove_folder(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(failed(error, "remove", path)),
        _ => Ok(()),
    }
}
