//! Stage 1, load: read a school folder into memory and parse its JSON.
//!
//! A school folder holds `school.json` and a `students/` folder with one JSON file per student
//! (file names sorted, so every run sees the same order), plus the files `school.json` points
//! to (the logo). This is the only stage that reads the file system. Problems with a file's
//! bytes or syntax (not UTF-8, empty, not JSON) are diagnostics; a folder that cannot be read
//! at all is an [`std::io::Error`].

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use jsonc_parser::ast;
use jsonc_parser::common::Ranged;

use crate::diag::{Checked, Diagnostic, Position};
use crate::render::TemplateFile;

/// The largest input file accepted, far above any real student record or school file.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// One parsed JSON file, with its text kept for locating problems in it.
#[derive(Debug, Clone)]
pub struct Document {
    /// The path as the user would type it: the school folder joined with the file name.
    pub path: PathBuf,
    pub text: String,
    pub value: serde_json::Value,
}

impl Document {
    /// Where the value at `pointer` stands in the text. With `key` set, the position of its
    /// property name rather than its value, which reads better for "unknown field" problems.
    pub fn position(&self, pointer: &str, key: bool) -> Position {
        locate(&self.text, pointer, key).unwrap_or(Position {
            line: 1,
            column: 1,
            start: 0,
            end: 0,
        })
    }
}

/// A file that is not JSON, such as the school's logo.
#[derive(Debug, Clone)]
pub struct Asset {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Everything read from a school folder.
#[derive(Debug, Clone)]
pub struct RecordSet {
    pub dir: PathBuf,
    /// `school.json`; `None` when it could not be parsed (a diagnostic says why).
    pub school: Option<Document>,
    /// One per student file that parsed as JSON.
    pub students: Vec<Document>,
    /// How many student files were found, parsed or not.
    pub student_files: usize,
    pub logo: Option<Asset>,
}

/// Reads the school folder at `dir`.
pub fn load(dir: &Path) -> io::Result<Checked<RecordSet>> {
    let mut diagnostics = Vec::new();
    let meta = fs::metadata(dir).map_err(|e| with_path(e, dir))?;
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a folder", dir.display()),
        ));
    }

    let school_path = dir.join("school.json");
    if !school_path.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{} has no school.json; a school folder holds school.json and a students/ folder",
                dir.display()
            ),
        ));
    }
    let school = read_json(&school_path, &mut diagnostics)?;

    let students_dir = dir.join("students");
    let mut student_paths = Vec::new();
    if students_dir.is_dir() {
        for entry in fs::read_dir(&students_dir).map_err(|e| with_path(e, &students_dir))? {
            let path = entry.map_err(|e| with_path(e, &students_dir))?.path();
            if path.extension().is_some_and(|ext| ext == "json") && path.is_file() {
                student_paths.push(path);
            }
        }
    } else {
        diagnostics.push(
            Diagnostic::warning(
                &students_dir,
                "the school folder has no students/ folder, so there is nothing to build",
            )
            .hint("put one JSON file per student in students/"),
        );
    }
    student_paths.sort();

    let mut students = Vec::with_capacity(student_paths.len());
    for path in &student_paths {
        if let Some(document) = read_json(path, &mut diagnostics)? {
            students.push(document);
        }
    }

    let logo = match &school {
        Some(document) => read_logo(dir, document, &mut diagnostics)?,
        None => None,
    };

    Ok(Checked::new(
        RecordSet {
            dir: dir.to_path_buf(),
            school,
            students,
            student_files: student_paths.len(),
            logo,
        },
        diagnostics,
    ))
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("cannot read {}: {error}", path.display()),
    )
}

/// Reads and parses one JSON file. A file whose bytes or syntax are wrong gives a diagnostic
/// and `None`; only a file that cannot be read at all is an error.
fn read_json(path: &Path, diagnostics: &mut Vec<Diagnostic>) -> io::Result<Option<Document>> {
    let size = fs::metadata(path).map_err(|e| with_path(e, path))?.len();
    if size > MAX_FILE_BYTES {
        diagnostics.push(
            Diagnostic::error(
                path,
                format!("file is too large ({size} bytes; the limit is {MAX_FILE_BYTES})"),
            )
            .hint("split the records into one file per student"),
        );
        return Ok(None);
    }
    let bytes = fs::read(path).map_err(|e| with_path(e, path))?;
    Ok(parse_json(path, bytes)
        .map_err(|d| diagnostics.push(*d))
        .ok())
}

/// Decodes and parses the bytes of a JSON file. A leading byte-order mark is dropped, and CRLF
/// line ends are fine, as JSON allows any whitespace.
pub fn parse_json(path: &Path, bytes: Vec<u8>) -> Result<Document, Box<Diagnostic>> {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes());
            let position = Position::of_range(&text, valid, valid + 1);
            return Err(Box::new(
                Diagnostic::error(path, "file is not valid UTF-8 text")
                    .at(position)
                    .hint("save the file as UTF-8 (most spreadsheet and editor \"save as\" dialogs offer it)"),
            ));
        }
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    if text.trim().is_empty() {
        return Err(Box::new(
            Diagnostic::error(path, "file is empty")
                .hint("write a JSON object into it, or delete it"),
        ));
    }
    match serde_json::from_str(&text) {
        Ok(value) => Ok(Document {
            path: path.to_path_buf(),
            text,
            value,
        }),
        Err(error) => {
            // serde_json counts columns in bytes; turn that into a character column.
            let line_start: usize = text
                .split_inclusive('\n')
                .take(error.line().saturating_sub(1))
                .map(str::len)
                .sum();
            let offset = line_start + error.column().saturating_sub(1);
            let position = Position::of_range(&text, offset, offset + 1);
            let message = error.to_string();
            let cause = message.split(" at line ").next().unwrap_or(&message);
            Err(Box::new(
                Diagnostic::error(path, format!("failed to parse JSON ({cause})"))
                    .at(position)
                    .hint("fix the JSON syntax here; a JSON linter or editor shows the same spot"),
            ))
        }
    }
}

/// Reads the logo named in `school.json`, which must lie inside the school folder.
fn read_logo(
    dir: &Path,
    school: &Document,
    diagnostics: &mut Vec<Diagnostic>,
) -> io::Result<Option<Asset>> {
    let Some(name) = school
        .value
        .pointer("/profile/logo")
        .and_then(|v| v.as_str())
    else {
        return Ok(None);
    };
    let problem = |message: String, hint: &str| {
        Diagnostic::error(&school.path, message)
            .at(school.position("/profile/logo", false))
            .pointer("/profile/logo")
            .hint(hint.to_string())
    };
    let relative = Path::new(name);
    if relative.is_absolute()
        || relative
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        diagnostics.push(problem(
            format!("logo path \"{name}\" leaves the school folder"),
            "give a path inside the school folder, such as \"logo.png\"",
        ));
        return Ok(None);
    }
    let path = dir.join(relative);
    let extension = relative
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !matches!(extension.as_str(), "png" | "jpg" | "jpeg" | "svg") {
        diagnostics.push(problem(
            format!("logo \"{name}\" is not a PNG, JPEG or SVG file"),
            "convert the logo to PNG or SVG",
        ));
        return Ok(None);
    }
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_file() => Ok(Some(Asset {
            path: path.clone(),
            bytes: fs::read(&path).map_err(|e| with_path(e, &path))?,
        })),
        _ => {
            diagnostics.push(problem(
                format!("logo file \"{name}\" does not exist in the school folder"),
                "put the logo file in the school folder, or remove \"logo\" from the profile",
            ));
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
            let kind = fs::symlink_metadata(&path)
                .map_err(|e| with_path(e, &path))?
                .file_type();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() {
                let relative = path.strip_prefix(dir).expect("found under dir");
                let name = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push(TemplateFile {
                    path: name,
                    bytes: fs::read(&path).map_err(|e| with_path(e, &path))?,
                });
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
            if [".ttf", ".otf", ".ttc", ".otc"]
                .iter()
                .any(|ext| lower.ends_with(ext))
            {
                fonts.push(file.bytes);
            }
        }
    }
    Ok(fonts)
}

/// Finds the value (or, with `key`, the property name) at a JSON Pointer in `text`.
pub fn locate(text: &str, pointer: &str, key: bool) -> Option<Position> {
    let parsed = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default()).ok()?;
    let mut value = parsed.value?;
    let mut range = value.range();
    if !pointer.is_empty() {
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = token.replace("~1", "/").replace("~0", "~");
            value = match value {
                ast::Value::Object(object) => {
                    let property = object
                        .properties
                        .into_iter()
                        .find(|p| p.name.as_str() == token)?;
                    range = if key {
                        property.name.range()
                    } else {
                        property.value.range()
                    };
                    property.value
                }
                ast::Value::Array(array) => {
                    let element = array.elements.into_iter().nth(token.parse().ok()?)?;
                    range = element.range();
                    element
                }
                _ => return None,
            };
        }
    }
    Some(Position::of_range(text, range.start, range.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_values_and_keys_by_pointer() {
        let text = "{\n  \"a\": [1, {\"b~/c\": true}],\n  \"é\": \"x\"\n}";
        let value = locate(text, "/a/1/b~0~1c", false).unwrap();
        assert_eq!((value.line, value.column), (2, 21));
        let key = locate(text, "/é", true).unwrap();
        assert_eq!((key.line, key.column), (3, 3));
        assert_eq!(locate(text, "/missing", false), None);
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let error = parse_json(Path::new("x.json"), b"{\n  \"a\": ,\n}".to_vec()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "x.json:2:8: failed to parse JSON (expected value)\n  hint: fix the JSON syntax here; a JSON linter or editor shows the same spot"
        );
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let document = parse_json(Path::new("x.json"), b"\xef\xbb\xbf{\"a\": 1}".to_vec()).unwrap();
        assert_eq!(document.value["a"], 1);
    }
}
