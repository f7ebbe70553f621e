//! Writing files, the one way `mastery` does: each file is written beside its place and
//! renamed into it, so that a reader (or a rerun after a crash) finds the old file or the whole
//! new one, never a part.
//!
//! Every write boundary (a file flushed, renamed, appended to, a folder made or removed) is a
//! crash point: with `MASTERY_TEST_CRASH_AT=N` in its environment, the process stops dead at
//! the Nth boundary it reaches, as a power cut or a `kill -9` would stop it (an append is
//! then left half written). The crash-safety tests walk N from 1 until a run completes, so
//! every boundary of `issue`, `revoke`, `publish` and the console is crashed at in turn; a run
//! without the variable pays one relaxed atomic increment per boundary.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable that names the boundary to crash at, counted from 1.
pub const CRASH_AT: &str = "MASTERY_TEST_CRASH_AT";
/// The environment variable naming a file to which the crash appends the boundary's name,
/// before the process stops (for the test's message).
pub const CRASH_LOG: &str = "MASTERY_TEST_CRASH_LOG";

/// Counts a write boundary; whether it is the one to crash at.
fn crash_here() -> bool {
    static AT: OnceLock<Option<u64>> = OnceLock::new();
    static REACHED: AtomicU64 = AtomicU64::new(0);
    let Some(at) = *AT.get_or_init(|| std::env::var(CRASH_AT).ok().and_then(|n| n.parse().ok())) else {
        return false;
    };
    REACHED.fetch_add(1, Ordering::SeqCst) + 1 == at
}

/// Stops the process at once, as a crash would: no destructor runs, no buffer is flushed,
/// no lock is released but by the system.
fn crash(boundary: &str, path: &Path) -> ! {
    if let Some(log) = std::env::var_os(CRASH_LOG) {
        let line = format!("{boundary} {}\n", path.display());
        let _ =
            fs::OpenOptions::new().create(true).append(true).open(log).and_then(|mut f| f.write_all(line.as_bytes()));
    }
    std::process::abort()
}

/// A write boundary: crashes there when it is the one asked for.
fn boundary(name: &str, path: &Path) {
    if crash_here() {
        crash(name, path);
    }
}

fn failed(error: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("cannot {what} {}: {error}", path.display()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder, flushed to the disk
/// before it takes the file's place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file = flushed_beside(path, bytes)?;
    file.persist(path).map_err(|e| failed(e.error, "write", path))?;
    boundary("renamed", path);
    Ok(())
}

/// Writes `bytes` to `path` as [`write_atomic`] does, but only if no file is there: when one
/// is, nothing is written and the error is of kind [`io::ErrorKind::AlreadyExists`].
pub fn write_new_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file = flushed_beside(path, bytes)?;
    file.persist_noclobber(path).map_err(|e| failed(e.error, "write", path))?;
    boundary("renamed", path);
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
    boundary("flushed beside", path);
    Ok(file)
}

/// Creates a folder and the folders above it.
pub fn create_folder(path: &Path) -> io::Result<()> {
    let existed = path.is_dir();
    fs::create_dir_all(path).map_err(|e| failed(e, "create", path))?;
    if !existed {
        boundary("folder created", path);
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically, creating its folder first.
pub fn write_in_folder(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_folder(parent)?;
    }
    write_atomic(path, bytes)
}

/// Writes a OneRoster bundle's files (name to bytes) at `out`: as a ZIP file when `out` ends in
/// `.zip`, else as a folder. Either way a reader finds the previous bundle or the whole new
/// one: the ZIP is written as [`write_atomic`] writes, and the folder is filled beside its
/// place (a hidden `.mastery-bundle-*` folder, which loading skips) and then swapped in. A
/// folder at `out` that is not a bundle (it has no `manifest.csv`) is never replaced.
pub fn write_bundle(out: &Path, files: &std::collections::BTreeMap<String, Vec<u8>>) -> io::Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_folder(parent)?;
    }
    if out.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
        return write_atomic(out, &zip_files(files)?);
    }
    replace_folder(out, files, "a OneRoster bundle (no manifest.csv)", |dir| dir.join("manifest.csv").is_file())
}

/// Writes `files` (name to bytes) as the folder `out`, filled beside its place (a hidden
/// `.mastery-bundle-*` folder, which loading skips) and swapped in whole. A folder already at
/// `out` is replaced only when `replaceable` says it is one of the kind being written (`kind`
/// names that kind in the error otherwise).
pub fn replace_folder(
    out: &Path,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
    kind: &str,
    replaceable: impl Fn(&Path) -> bool,
) -> io::Result<()> {
    replace_folder_after(out, files, kind, replaceable, || Ok(()))
}

/// [`replace_folder`], with `commit` run once every file is flushed beside `out` and before the
/// new folder takes its place: a failed `commit` leaves `out` as it was. A pack appends its
/// disclosures to the ledger there, so that no pack is in place without its record.
pub fn replace_folder_after(
    out: &Path,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
    kind: &str,
    replaceable: impl Fn(&Path) -> bool,
    commit: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_folder(parent)?;
    }
    let existing = fs::symlink_metadata(out).ok();
    if let Some(meta) = &existing
        && (!meta.is_dir() || !replaceable(out))
    {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} is there and is not {kind}, so it is not replaced", out.display()),
        ));
    }
    let dir: PathBuf = out.parent().map(Path::to_path_buf).unwrap_or_default();
    let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
    let staged = tempfile::Builder::new()
        .prefix(".mastery-bundle-")
        .tempdir_in(&dir)
        .map_err(|e| failed(e, "create a temporary folder in", &dir))?;
    for (name, bytes) in files {
        let path = staged.path().join(name);
        let mut file = fs::File::create(&path).map_err(|e| failed(e, "write", &path))?;
        file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| failed(e, "write", &path))?;
        boundary("flushed beside", &path);
    }
    fs::File::open(staged.path()).and_then(|d| d.sync_all()).map_err(|e| failed(e, "write", staged.path()))?;
    commit()?;
    let staged = staged.keep();
    if existing.is_none() {
        fs::rename(&staged, out).map_err(|e| failed(e, "write", out))?;
        boundary("renamed", out);
        return Ok(());
    }
    swap(&staged, out)?;
    boundary("renamed", out);
    // The previous bundle, now at the staged name.
    remove_folder(&staged)
}

/// Exchanges two folders at once, so that `out` always holds one whole bundle.
#[cfg(target_os = "linux")]
fn swap(staged: &Path, out: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, staged, CWD, out, RenameFlags::EXCHANGE).map_err(|e| failed(e.into(), "replace", out))
}

/// Moves the old folder aside and the new one in: the one moment between the renames has no
/// bundle at `out`, where Linux's exchange has none.
#[cfg(not(target_os = "linux"))]
fn swap(staged: &Path, out: &Path) -> io::Result<()> {
    let aside = staged.with_extension("old");
    fs::rename(out, &aside).map_err(|e| failed(e, "replace", out))?;
    fs::rename(staged, out).map_err(|e| failed(e, "replace", out))?;
    fs::rename(&aside, staged).map_err(|e| failed(e, "replace", out))
}

/// The files as one ZIP (deflated, with fixed times so that the same files give the same bytes).
pub fn zip_files(files: &std::collections::BTreeMap<String, Vec<u8>>) -> io::Result<Vec<u8>> {
    zip_files_at(files, 6)
}

/// [`zip_files`] at a deflate level from 1 (fastest) to 9 (smallest): PDFs, whose streams are
/// compressed already, shrink about as much at 1 as at 6, in a fraction of the time.
pub fn zip_files_at(files: &std::collections::BTreeMap<String, Vec<u8>>, level: i64) -> io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(level))
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options).map_err(io::Error::other)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish().map_err(io::Error::other)?.into_inner())
}

/// Removes the temporary files an interrupted run left behind, in `dir` and the folders in it.
pub fn remove_temporary_files(dir: &Path) -> io::Result<()> {
    remove_temporary(dir, true)
}

/// Removes the temporary files an interrupted run left behind in `dir` itself (a missing
/// folder has none).
pub fn remove_temporary_files_here(dir: &Path) -> io::Result<()> {
    match fs::metadata(dir) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        _ => remove_temporary(dir, false),
    }
}

fn remove_temporary(dir: &Path, deep: bool) -> io::Result<()> {
    for entry in fs::read_dir(dir).map_err(|e| failed(e, "read", dir))? {
        let entry = entry.map_err(|e| failed(e, "read", dir))?;
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(".mastery-") && name.ends_with(".tmp") {
            fs::remove_file(&path).map_err(|e| failed(e, "remove", &path))?;
            boundary("temporary file removed", &path);
        } else if deep && entry.file_type().is_ok_and(|t| t.is_dir()) {
            remove_temporary(&path, deep)?;
        }
    }
    Ok(())
}

/// Removes a file that may already be gone.
pub fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(failed(error, "remove", path)),
        Err(_) => Ok(()),
        Ok(()) => {
            boundary("removed", path);
            Ok(())
        }
    }
}

/// Opens a file for appending records one by one (a journal), empty at first.
pub fn journal(path: &Path) -> io::Result<fs::File> {
    let file = fs::File::create(path).map_err(|e| failed(e, "write", path))?;
    boundary("journal emptied", path);
    Ok(file)
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
    append_part(file, path, bytes)?;
    file.sync_data().map_err(|e| failed(e, "write", path))?;
    boundary("appended", path);
    Ok(())
}

/// Appends one record to a journal that a crash may cut (the manifest's, which a rerun can
/// rebuild): not flushed to the disk, for speed.
pub fn append_unflushed(file: &mut fs::File, path: &Path, bytes: &[u8]) -> io::Result<()> {
    append_part(file, path, bytes)?;
    boundary("appended", path);
    Ok(())
}

/// Writes a record at the end of a file; a crash asked for here leaves half of it, as a
/// power cut in the middle of the write can.
fn append_part(file: &mut fs::File, path: &Path, bytes: &[u8]) -> io::Result<()> {
    if crash_here() {
        let _ = file.write_all(&bytes[..bytes.len() / 2]).and_then(|()| file.sync_data());
        crash("cut short", path);
    }
    file.write_all(bytes).map_err(|e| failed(e, "write", path))
}

/// Cuts a file to its first `length` bytes (an append a crash left unfinished).
pub fn truncate(path: &Path, length: u64) -> io::Result<()> {
    let file = fs::OpenOptions::new().write(true).open(path).map_err(|e| failed(e, "write", path))?;
    file.set_len(length).and_then(|()| file.sync_all()).map_err(|e| failed(e, "write", path))?;
    boundary("cut", path);
    Ok(())
}

/// Takes the exclusive lock on `path` (created if missing) for as long as the returned file
/// is open: `None` when another process holds it. The system releases it when the process
/// ends, however it ends.
pub fn try_lock(path: &Path) -> io::Result<Option<fs::File>> {
    let file = lock_of(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(error)) => Err(failed(error, "lock", path)),
    }
}

/// Takes the lock of `path` (made if missing), waiting while another process holds it; the
/// system releases it when the file is dropped or the process ends, however it ends.
pub fn lock_file(path: &Path) -> io::Result<fs::File> {
    let file = lock_of(path)?;
    file.lock().map_err(|e| failed(e, "lock", path))?;
    Ok(file)
}

/// The file a lock is taken on, made if missing (its content is never read or written).
fn lock_of(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(|e| failed(e, "create", path))
}

/// Removes a folder and everything in it, if it is there.
pub fn remove_folder(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(failed(error, "remove", path)),
        Err(_) => Ok(()),
        Ok(()) => {
            boundary("folder removed", path);
            Ok(())
        }
    }
}
