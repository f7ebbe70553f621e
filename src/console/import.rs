//! Files dropped onto the console: checked as the folder would check them before they are
//! added, then written in one step (a temporary file renamed into place), never over a file
//! without the registrar's yes.
//!
//! A `.csv`, `.jsonl` or `.json` file of student records goes into `students/`; a `.json` file
//! that is a CASE package (it has a `CFDocument`) becomes the framework (and scale) of
//! `school.json`, as `mastery import-case --into` makes it. A `.zip` holding `manifest.csv` is a
//! OneRoster bundle, kept as it is in `students/`; one holding Ed-Fi files (the API's JSON
//! resources, or XML interchanges) becomes an Ed-Fi folder there. For either, what
//! `school.json` does not map yet is proposed (as `mastery map` does) and shown first; the
//! proposals are written with the file, on the registrar's yes.

use std::collections::BTreeMap;
use std::io;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use super::snapshot::Snapshot;
use crate::diag::Diagnostic;
use crate::model::School;
use crate::validate::{Schemas, ValidateOptions};
use crate::{case, intake, load, map};

/// The largest file the console takes.
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// What an uploaded file would become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A file of student records, for `students/`.
    Records,
    /// A CASE package, for the framework of `school.json`.
    Framework,
    /// Ed-Fi files, for a folder in `students/`.
    EdFi,
}

/// An uploaded file, checked.
#[derive(Debug)]
pub struct Checked {
    /// What it is.
    pub kind: Kind,
    /// Where it would be written, inside the school folder.
    pub target: PathBuf,
    /// What would be written there.
    pub bytes: Vec<u8>,
    /// Its problems, located in the uploaded file (for a CASE package, in the package; and in
    /// `school.json` as it would become).
    pub diagnostics: Vec<Diagnostic>,
    /// What it holds, in a sentence: "12 records" or the areas and credits imported.
    pub summary: String,
    /// Whether a file is at the target already (adding it needs a yes).
    pub replaces: bool,
    /// For an Ed-Fi upload, the folder's files by name.
    pub files: BTreeMap<String, Vec<u8>>,
    /// What is proposed to map the upload's objectives, standards and scores.
    pub proposals: Vec<map::Proposal>,
    /// `school.json` with the proposals in it, written with the file; `None` when nothing is
    /// proposed.
    pub mapped: Option<Vec<u8>>,
}

impl Checked {
    /// Whether it may be added: no errors.
    pub fn acceptable(&self) -> bool {
        !self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Whether adding it writes `school.json` too, which needs a yes.
    pub fn maps(&self) -> bool {
        self.mapped.is_some()
    }
}

/// Why an upload is refused before it is checked.
#[derive(Debug)]
pub enum Refused {
    /// Not a name the folder can hold, or not a kind of file it reads.
    Name(String),
    /// Reading or staging failed.
    Io(io::Error),
}

impl From<io::Error> for Refused {
    fn from(error: io::Error) -> Self {
        Refused::Io(error)
    }
}

/// Checks an uploaded file called `name` (as the browser gives it) against the school folder
/// `school`, staging it in `scratch`; `snapshot` is the folder as it is now, for ids that
/// another file has already.
pub fn check(
    school: &Path,
    scratch: &Path,
    name: &str,
    bytes: Vec<u8>,
    snapshot: &Snapshot,
) -> Result<Checked, Refused> {
    // Only the last part of what the browser sends, and only a plain, visible file name.
    let name = Path::new(name).file_name().and_then(|n| n.to_str()).unwrap_or("");
    let extension = Path::new(name).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if name.is_empty() || name.starts_with('.') || name.chars().any(char::is_control) {
        return Err(Refused::Name(format!("{name:?} is not a file name the school folder can hold")));
    }
    if !matches!(extension.as_deref(), Some("csv" | "json" | "jsonl" | "zip")) {
        return Err(Refused::Name(format!(
            "{name} is not a file the console reads: add student records as .csv (an SIS export), .jsonl or .json, a OneRoster bundle or Ed-Fi files as .zip, or a CASE package as .json"
        )));
    }
    if extension.as_deref() == Some("json") && is_case_package(&bytes) {
        return framework(school, scratch, name, bytes);
    }
    if extension.as_deref() == Some("zip") {
        return archive(school, scratch, name, bytes, snapshot);
    }
    records(school, scratch, name, bytes, BTreeMap::new(), snapshot)
}

/// The largest file of an Ed-Fi upload, unzipped.
const MAX_UNZIPPED: u64 = 1024 * 1024 * 1024;

/// A `.zip`: a OneRoster bundle (it holds `manifest.csv`), kept whole; or Ed-Fi files (the API's
/// resources, or `.xml` interchanges, at its top level), unzipped into a folder named after it.
fn archive(school: &Path, scratch: &Path, name: &str, bytes: Vec<u8>, snapshot: &Snapshot) -> Result<Checked, Refused> {
    let not_read = |why: String| Refused::Name(format!("{name} {why}"));
    let mut zip =
        zip::ZipArchive::new(io::Cursor::new(&bytes)).map_err(|e| not_read(format!("is not a ZIP file: {e}")))?;
    let names: Vec<String> = zip.file_names().filter_map(Result::ok).map(|n| n.into_owned()).collect();
    if names.iter().any(|n| n == "manifest.csv") {
        return records(school, scratch, name, bytes, BTreeMap::new(), snapshot);
    }
    // Only plain names at the top of the archive: nothing is written outside the new folder.
    let plain = |n: &str| !n.contains(['/', '\\']) && !n.starts_with('.') && !n.chars().any(char::is_control);
    let edfi = |n: &str| plain(n) && (load::edfi::json::FILES.contains(&n) || n.to_ascii_lowercase().ends_with(".xml"));
    let mut files = BTreeMap::new();
    for entry in names.iter().filter(|n| edfi(n)) {
        let file = zip.by_name(entry).map_err(|e| not_read(format!("cannot be read: {e}")))?;
        let mut content = Vec::new();
        io::Read::read_to_end(&mut io::Read::take(file, MAX_UNZIPPED + 1), &mut content)?;
        if content.len() as u64 > MAX_UNZIPPED {
            return Err(not_read(format!("holds {entry}, larger than 1 GB unzipped")));
        }
        files.insert(entry.to_string(), content);
    }
    if files.is_empty() {
        return Err(not_read(
            "holds neither a OneRoster manifest.csv nor Ed-Fi files (students.json and the other resources, or .xml interchanges) at its top level"
                .to_string(),
        ));
    }
    let folder = Path::new(name).file_stem().and_then(|s| s.to_str()).unwrap_or("edfi").to_string();
    records(school, scratch, &folder, Vec::new(), files, snapshot)
}

fn is_case_package(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v.get("CFDocument").is_some())
}

/// A folder in `scratch` with the school's own top-level files (school.json, the logo) and an
/// empty `students/`.
fn stage(school: &Path, scratch: &Path) -> io::Result<tempfile::TempDir> {
    let staging = tempfile::tempdir_in(scratch)?;
    for entry in std::fs::read_dir(school)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), staging.path().join(entry.file_name()))?;
        }
    }
    std::fs::create_dir(staging.path().join("students"))?;
    Ok(staging)
}

/// Student records: checked as they would be in `students/` (a file of `bytes`, or, with
/// `files`, an Ed-Fi folder), beside the school's own files, with what `school.json` lacks to
/// map them proposed and put in, and against the ids the other files of the folder hold.
fn records(
    school: &Path,
    scratch: &Path,
    name: &str,
    bytes: Vec<u8>,
    files: BTreeMap<String, Vec<u8>>,
    snapshot: &Snapshot,
) -> Result<Checked, Refused> {
    let staging = stage(school, scratch)?;
    let staged = staging.path().join("students").join(name);
    if files.is_empty() {
        std::fs::write(&staged, &bytes)?;
    } else {
        std::fs::create_dir(&staged)?;
        for (file, content) in &files {
            std::fs::write(staged.join(file), content)?;
        }
    }
    let schemas = Schemas::new();
    let mut open = intake::open(staging.path(), &schemas)?;
    let proposals = match &open.school {
        Some(school) => propose(&open, school)?,
        None => Vec::new(),
    };
    let mut mapped = None;
    if proposals.iter().any(|p| p.value.is_some()) {
        let path = staging.path().join("school.json");
        if let Ok(mut config) = serde_json::from_slice::<serde_json::Value>(&load::file(&path)?) {
            map::apply(&mut config, &proposals);
            let mut new = serde_json::to_vec_pretty(&config).map_err(io::Error::other)?;
            new.push(b'\n');
            std::fs::write(&path, &new)?;
            mapped = Some(new);
            open = intake::open(staging.path(), &schemas)?;
        }
    }
    let target = school.join("students").join(name);
    // The ids the rest of the folder has (the file this one would replace does not count).
    let elsewhere: BTreeMap<&str, &Path> = snapshot
        .students
        .iter()
        .filter(|s| s.source.file_name() != Some(name.as_ref()))
        .filter_map(|s| Some((s.id.as_deref()?, s.source.as_path())))
        .collect();
    let mut diagnostics = open.diagnostics.clone();
    let mut count = 0;
    intake::students(&open, &schemas, &ValidateOptions::default(), |outcome| {
        count += 1;
        diagnostics.extend(outcome.diagnostics);
        if let Some(other) = outcome.student.as_deref().and_then(|id| elsewhere.get(id).map(|f| (id, f))) {
            let (id, file) = other;
            diagnostics.push(
                Diagnostic::error(&outcome.source, format!("student {id} is already in {}", super::pages::file_name(file)))
                    .hint("a student's records belong in one file: remove them from one of the two, or replace that file instead"),
            );
        }
        ControlFlow::Continue(())
    })?;
    let summary = crate::hint::plural(count, "record");
    let kind = if files.is_empty() { Kind::Records } else { Kind::EdFi };
    Ok(Checked { kind, replaces: target.exists(), target, bytes, diagnostics, summary, files, proposals, mapped })
}

/// What `school.json` lacks to map the OneRoster bundles and Ed-Fi folders of `open` (a
/// source that cannot be surveyed shows its problems in the check that follows).
fn propose(open: &intake::OpenSchool, school: &School) -> io::Result<Vec<map::Proposal>> {
    let (survey, _, _) = load::survey(&open.folder.sources, school)?;
    Ok(map::propose(school, &survey))
}

/// A CASE package: imported as `mastery import-case` does, then `school.json` as it would
/// become is checked.
fn framework(school: &Path, scratch: &Path, name: &str, bytes: Vec<u8>) -> Result<Checked, Refused> {
    let target = school.join("school.json");
    let refuse = |diagnostics, summary: &str| Checked {
        kind: Kind::Framework,
        target: target.clone(),
        bytes: Vec::new(),
        diagnostics,
        summary: summary.to_string(),
        replaces: true,
        files: BTreeMap::new(),
        proposals: Vec::new(),
        mapped: None,
    };
    let document = match load::parse_json(Path::new(name), bytes, 1) {
        Ok(document) => document,
        Err(diagnostics) => return Ok(refuse(diagnostics, "a CASE package that cannot be read")),
    };
    let imported = case::import(&document, &case::CaseSchema::new(), &case::ImportOptions { area_depth: 1 });
    let mut diagnostics = imported.diagnostics;
    let Some(imported) = imported.value else { return Ok(refuse(diagnostics, "a CASE package with errors")) };
    let current = load::file(&target)?;
    let Ok(mut school_json) = serde_json::from_slice::<serde_json::Value>(&current) else {
        diagnostics.push(Diagnostic::error(&target, "school.json is not JSON: fix it before importing a framework"));
        return Ok(refuse(diagnostics, "a CASE package"));
    };
    let Some(object) = school_json.as_object_mut() else {
        diagnostics.push(Diagnostic::error(&target, "school.json does not hold a JSON object"));
        return Ok(refuse(diagnostics, "a CASE package"));
    };
    object.insert("framework".to_string(), imported.framework.clone());
    if let Some(scale) = &imported.scale {
        object.insert("scale".to_string(), scale.clone());
    }
    let mut new = serde_json::to_vec_pretty(&school_json).map_err(io::Error::other)?;
    new.push(b'\n');
    let staging = stage(school, scratch)?;
    std::fs::write(staging.path().join("school.json"), &new)?;
    let open = intake::open(staging.path(), &Schemas::new())?;
    diagnostics.extend(open.diagnostics);
    Ok(Checked {
        kind: Kind::Framework,
        target,
        bytes: new,
        diagnostics,
        summary: format!("a CASE package: {}", case::summary(&imported)),
        replaces: true,
        files: BTreeMap::new(),
        proposals: Vec::new(),
        mapped: None,
    })
}

/// Writes a checked file (or Ed-Fi folder) into the folder in one step, then `school.json` with
/// the proposals it was checked with; when `replace` is false and a file is there already,
/// nothing is written and that is the error.
pub fn add(checked: &Checked, replace: bool) -> io::Result<()> {
    match checked.kind {
        Kind::EdFi if !replace && checked.target.exists() => {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} is there", checked.target.display())));
        }
        Kind::EdFi => crate::output::replace_folder(
            &checked.target,
            &checked.files,
            "an Ed-Fi folder",
            load::edfi::is_edfi_folder,
        )?,
        _ if replace => crate::output::write_atomic(&checked.target, &checked.bytes)?,
        _ => crate::output::write_new_atomic(&checked.target, &checked.bytes)?,
    }
    if let (Some(mapped), Some(dir)) = (&checked.mapped, checked.target.parent().and_then(Path::parent)) {
        crate::output::write_atomic(&dir.join("school.json"), mapped)?;
    }
    Ok(())
}
