//! The files around the records: the school's logo, a template folder, font folders.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{MAX_RECORD_BYTES, with_path};
use crate::diag::Diagnostic;
use crate::document::Document;

/// A file of a template: its path inside the template's world (from the template folder, with
/// `/` separators) and its bytes.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// Its path inside the template, with `/` separators.
    pub path: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// A file that is not JSON, such as the school's logo.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// Reads the logo named in `school.json`, which must be a regular file inside the school
/// folder (not a link) of at most [`MAX_RECORD_BYTES`].
pub(super) fn read_logo(dir: &Path, school: &Document, diagnostics: &mut Vec<Diagnostic>) -> io::Result<Option<Asset>> {
    let Some(name) = school.value().pointer("/profile/logo").and_then(|v| v.as_str()) else {
        return Ok(None);
    };
    let mut problem =
        |message: String, hint: &str| diagnostics.push(school.error("/profile/logo", message).hint(hint.to_string()));
    let relative = Path::new(name);
    if relative.is_absolute() || relative.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
        problem(
            format!("logo path \"{name}\" leaves the school folder"),
            "give a path inside the school folder, such as \"logo.png\"",
        );
        return Ok(None);
    }
    let path = dir.join(relative);
    let extension = relative.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !matches!(extension.as_str(), "png" | "jpg" | "jpeg" | "svg") {
        problem(format!("logo \"{name}\" is not a PNG, JPEG or SVG file"), "convert the logo to PNG or SVG");
        return Ok(None);
    }
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            problem(
                format!("logo file \"{name}\" is a symbolic link; mastery reads only the school folder's own files"),
                "copy the logo into the school folder",
            );
            Ok(None)
        }
        Ok(meta) if meta.is_file() && meta.len() > MAX_RECORD_BYTES => {
            problem(
                format!("logo file \"{name}\" is larger than 16 MB"),
                "use a smaller image: a logo prints an inch wide",
            );
            Ok(None)
        }
        Ok(meta) if meta.is_file() => {
            let mut bytes = Vec::new();
            fs::File::open(&path)
                .and_then(|file| file.take(MAX_RECORD_BYTES).read_to_end(&mut bytes))
                .map_err(|e| with_path(e, &path))?;
            Ok(Some(Asset { path, bytes }))
        }
        _ => {
            problem(
                format!("logo file \"{name}\" does not exist in the school folder"),
                "put the logo file in the school folder, or remove \"logo\" from the profile",
            );
            Ok(None)
        }
    }
}

/// Reads a template folder for `--template`: every regular file under `dir`, by its path
/// relative to `dir` with `/` separators. Symbolic links are skipped, so a template cannot
/// reach outside its folder through one.
pub fn template_dir(dir: &Path) -> io::Result<Vec<TemplateFile>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).map_err(|e| with_path(e, &folder))? {
            let path = entry.map_err(|e| with_path(e, &folder))?.path();
            let kind = fs::symlink_metadata(&path).map_err(|e| with_path(e, &path))?.file_type();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let relative = path.strip_prefix(dir).expect("found under dir");
                let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                files.push(TemplateFile { path: name, bytes: fs::read(&path).map_err(|e| with_path(e, &path))? });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Reads every font file (`.ttf`, `.otf`, `.ttc`, `.otc`) in the given folders, for
/// `--font-path`.
pub fn font_files(dirs: &[PathBuf]) -> io::Result<Vec<Vec<u8>>> {
    let mut fonts = Vec::new();
    for dir in dirs {
        for file in template_dir(dir)? {
            let lower = file.path.to_ascii_lowercase();
            if [".ttf", ".otf", ".ttc", ".otc"].iter().any(|ext| lower.ends_with(ext)) {
                fonts.push(file.bytes);
            }
        }
    }
    Ok(fonts)
}

/// Reads a file that may not exist yet, such as the manifest of an earlier build.
pub fn optional_file(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(with_path(error, path)),
    }
}

/// Whether the file at `path` is there and has the SHA-256 `sha256` (lowercase hex): an output
/// an earlier run wrote, still as it was.
pub fn file_has_digest(path: &Path, sha256: &str) -> bool {
    matches!(optional_file(path), Ok(Some(bytes)) if crate::digest::sha256_hex(&bytes) == sha256)
}

/// Reads any file the user named on the command line.
pub fn file(path: &Path) -> io::Result<Vec<u8>> {
    fs::read(path).map_err(|e| with_path(e, path))
}

/// What a folder's files were at one moment: each one's path, size and modification time.
pub type Stamp = Vec<(PathBuf, u64, Option<std::time::SystemTime>)>;

/// The stamp of a school folder: `school.json` and the folder's other top-level files (the
/// logo), every file in `students/`, and every file in the folders there (OneRoster bundles,
/// Ed-Fi folders). Two stamps differ when a file was added, removed or saved again.
pub fn stamp(dir: &Path) -> io::Result<Stamp> {
    let mut files = Vec::new();
    let mut folders = vec![(dir.to_path_buf(), false), (dir.join("students"), true)];
    while let Some((folder, deeper)) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for entry in entries {
            let entry = entry?;
            let metadata = entry.metadata()?;
            if metadata.is_file() {
                files.push((entry.path(), metadata.len(), metadata.modified().ok()));
            } else if deeper && metadata.is_dir() {
                folders.push((entry.path(), false));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Reads a file of the folder `root` by its path in it, never following a link (or `..`) out
/// of `root`: on Linux the system resolves the path beneath the folder (`openat2` with
/// `RESOLVE_BENEATH`), elsewhere the file's real path is checked before it is read. What the
/// console serves from its output folder is read this way, so a link placed there cannot
/// hand out another file of the machine.
pub fn file_beneath(root: &Path, relative: &Path) -> io::Result<Vec<u8>> {
    let path = root.join(relative);
    let leaves = || {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} leads out of {}: it is not read", path.display(), root.display()),
        )
    };
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{Mode, OFlags, ResolveFlags};
        let folder = fs::File::open(root).map_err(|e| with_path(e, root))?;
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
        match rustix::fs::openat2(&folder, relative, flags, Mode::empty(), resolve) {
            Ok(fd) => return read_all(fs::File::from(fd), &path),
            Err(rustix::io::Errno::XDEV | rustix::io::Errno::LOOP) => return Err(leaves()),
            // A kernel older than openat2 (5.6): checked as elsewhere.
            Err(rustix::io::Errno::NOSYS) => {}
            Err(error) => return Err(with_path(error.into(), &path)),
        }
    }
    let (root_real, real) = (fs::canonicalize(root), fs::canonicalize(&path));
    match (root_real, real) {
        (Ok(root_real), Ok(real)) if real.starts_with(&root_real) => file(&real),
        (Ok(_), Ok(_)) => Err(leaves()),
        (Err(error), _) => Err(with_path(error, root)),
        (_, Err(error)) => Err(with_path(error, &path)),
    }
}

/// [`file_beneath`], `None` when there is no such file.
pub fn optional_file_beneath(root: &Path, relative: &Path) -> io::Result<Option<Vec<u8>>> {
    match file_beneath(root, relative) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

fn read_all(mut file: fs::File, path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|e| with_path(e, path))?;
    Ok(bytes)
}
