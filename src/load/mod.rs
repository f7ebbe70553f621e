//! Stage 1, load: read a school folder and turn each student's record into a JSON document.
//!
//! A school folder holds `school.json`, the files it names (the logo), and a `students/`
//! folder whose files may mix three kinds of source:
//! - `*.json`: one student per file ([`json`]);
//! - `*.jsonl`: JSON Lines, one student per line, read as a stream ([`jsonl`]);
//! - `*.csv`: an export from a student information system, one row per evidence score; the
//!   rows of each student become one record ([`csv`]; see [`crate::model::CsvSettings`] for the
//!   column mapping);
//! - OneRoster 1.2 CSV bundles, each a `.zip` or a folder holding `manifest.csv`: the tables of
//!   a roster and gradebook, joined into one record per student ([`oneroster`]; see
//!   [`crate::model::OneRosterSettings`]).
//!
//! Every record becomes a [`Document`]: a JSON value plus what is needed to say where in the
//! file any part of it came from. Bad bytes or syntax are diagnostics; only a folder or file that
//! cannot be read at all is an [`io::Error`]. The parsers work on bytes or readers, so that
//! anything (the fuzz target, the console's upload check) can use them without a file; this
//! module and [`files`] are the only code that reads the file system.

pub mod credits;
pub mod csv;
pub mod edfi;
pub mod files;
pub mod json;
pub mod jsonl;
pub mod oneroster;
pub mod pdf;

use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

pub use self::files::{
    Asset, TemplateFile, file, file_beneath, file_has_digest, font_files, optional_file, optional_file_beneath,
    template_dir,
};
pub use self::json::parse_json;
use crate::diag::{Checked, Diagnostic, Position};
pub use crate::document::{Cell, Document, locate};
use crate::model::{CsvSettings, School};

/// The largest single record accepted (a JSON file, or one line of a JSON Lines file): far
/// above any real student record.
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// The largest CSV export accepted: its rows are grouped by student in memory.
pub const MAX_CSV_BYTES: u64 = 1024 * 1024 * 1024;

/// The kinds of student files, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// `.json`: one record.
    Json,
    /// `.jsonl`: one record per line.
    JsonLines,
    /// `.csv`: an export from a student information system, rows grouped by student.
    Csv,
    /// OneRoster 1.2 bundles: every `.zip` or folder with `manifest.csv`, read as one.
    OneRoster,
    /// An Ed-Fi folder: the API's JSON resources (`students.json`…) or XML interchanges.
    EdFi,
}

/// A file of student records (for OneRoster, every bundle in `students/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file (for OneRoster, the first bundle).
    pub path: PathBuf,
    /// How to read it.
    pub kind: SourceKind,
    /// For OneRoster, every bundle, in name order: later ones change what earlier ones give.
    pub bundles: Vec<PathBuf>,
}

/// A school folder: `school.json` parsed, its logo read, and its student files listed.
#[derive(Debug, Clone)]
pub struct SchoolFolder {
    /// The folder, as given.
    pub dir: PathBuf,
    /// `None` when `school.json` could not be parsed (a diagnostic says why).
    pub school: Option<Document>,
    /// The logo, when `profile.logo` names one.
    pub logo: Option<Asset>,
    /// Student files in name order, so every run reads them in the same order.
    pub sources: Vec<Source>,
}

/// A record that could not be read, or a student left out at reading, with why.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// The student's id, when it is known (a CSV student whose rows disagree).
    pub student: Option<String>,
    /// At least one error.
    pub diagnostics: Vec<Diagnostic>,
}

impl Rejected {
    /// A rejection for one problem, of no known student.
    pub fn of(diagnostic: Diagnostic) -> Rejected {
        Rejected { student: None, diagnostics: vec![diagnostic] }
    }

    /// A rejection for these problems, of no known student.
    pub fn unknown(diagnostics: Vec<Diagnostic>) -> Rejected {
        Rejected { student: None, diagnostics }
    }
}

/// One record read from a source: a document, or why there is none.
pub type Record = Result<Document, Rejected>;

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("cannot read {}: {error}", path.display()))
}

fn refused(kind: io::ErrorKind, message: String) -> io::Error {
    io::Error::new(kind, message)
}

/// Whether `path` (a link or not) leads outside `dir`.
fn leaves(dir: &Path, path: &Path) -> bool {
    match (fs::canonicalize(dir), fs::canonicalize(path)) {
        (Ok(dir), Ok(target)) => !target.starts_with(dir),
        _ => false,
    }
}

/// Reads `school.json` and the logo, and lists the student files. A folder without
/// `school.json` or `students/` is an error, as is either one leading out of the folder.
pub fn load(dir: &Path) -> io::Result<Checked<SchoolFolder>> {
    let mut diagnostics = Vec::new();
    let meta = fs::metadata(dir).map_err(|e| with_path(e, dir))?;
    if !meta.is_dir() {
        return Err(refused(io::ErrorKind::NotADirectory, format!("{} is not a folder", dir.display())));
    }
    let school_path = dir.join("school.json");
    if !school_path.is_file() {
        return Err(refused(
            io::ErrorKind::NotFound,
            format!("{} has no school.json; a school folder holds school.json and a students/ folder", dir.display()),
        ));
    }
    if leaves(dir, &school_path) {
        return Err(refused(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is a link out of the school folder; mastery reads only the folder's own files",
                school_path.display()
            ),
        ));
    }
    let school = read_json_file(&school_path, &mut diagnostics)?;
    let logo = match &school {
        Some(document) => files::read_logo(dir, document, &mut diagnostics)?,
        None => None,
    };

    let students_dir = dir.join("students");
    if !students_dir.is_dir() {
        let what =
            if students_dir.exists() { "a students file, not a students/ folder" } else { "no students/ folder" };
        return Err(refused(
            io::ErrorKind::NotFound,
            format!(
                "{} has {what}; put the student records in students/: one .json file per student, .jsonl files or .csv exports",
                dir.display()
            ),
        ));
    }
    if leaves(dir, &students_dir) {
        return Err(refused(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is a link out of the school folder; mastery reads only the folder's own files",
                students_dir.display()
            ),
        ));
    }
    let mut sources = Vec::new();
    let mut bundles = Vec::new();
    for entry in fs::read_dir(&students_dir).map_err(|e| with_path(e, &students_dir))? {
        let path = entry.map_err(|e| with_path(e, &students_dir))?.path();
        // Hidden entries are not records: an editor's swap file, or a snapshot that
        // `mastery pull` is still writing.
        if path.file_name().and_then(|name| name.to_str()).is_some_and(|name| name.starts_with('.')) {
            continue;
        }
        let kind = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            _ if path.is_dir() && path.join("manifest.csv").is_file() => SourceKind::OneRoster,
            _ if path.is_dir() && edfi::is_edfi_folder(&path) => SourceKind::EdFi,
            Some("json") => SourceKind::Json,
            Some("jsonl") => SourceKind::JsonLines,
            Some("csv") => SourceKind::Csv,
            Some("zip") => SourceKind::OneRoster,
            _ => continue,
        };
        if !path.is_file() && !matches!(kind, SourceKind::OneRoster | SourceKind::EdFi) {
            continue;
        }
        if leaves(dir, &path) {
            let target = fs::read_link(&path).map(|t| t.display().to_string()).unwrap_or_default();
            diagnostics.push(
                Diagnostic::error(
                    &path,
                    format!("this file is a link to {target}, outside the school folder, so it is not read"),
                )
                .at(Position { line: 1, column: 1, start: 0, end: 0 })
                .hint("copy the records into the school folder instead of linking to them"),
            );
            continue;
        }
        if kind == SourceKind::OneRoster {
            bundles.push(path);
        } else {
            sources.push(Source { path, kind, bundles: Vec::new() });
        }
    }
    bundles.sort();
    if let Some(first) = bundles.first() {
        sources.push(Source { path: first.clone(), kind: SourceKind::OneRoster, bundles });
    }
    sources.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Checked::new(SchoolFolder { dir: dir.to_path_buf(), school, logo, sources }, diagnostics))
}

/// What the OneRoster bundles, Ed-Fi folders and mapped gradebook exports (a CSV preset, or
/// `credits`, `assessors` or `scores` in `sources.csv`) among `sources` hold that
/// `school.json` does not map yet ([`credits::Survey`]), the problems that kept a source from
/// being surveyed, and how many sources there were to survey.
pub fn survey(sources: &[Source], school: &School) -> io::Result<(credits::Survey, Vec<Diagnostic>, usize)> {
    let (mut survey, mut problems, mut surveyed) = (credits::Survey::default(), Vec::new(), 0);
    for source in sources {
        let found = match source.kind {
            SourceKind::OneRoster => oneroster::survey(&source.bundles, &oneroster::Mapping::new(school))?,
            SourceKind::EdFi => edfi::survey(&source.path, school)?,
            SourceKind::Csv
                if school.sources.csv.maps_credits()
                    || school.sources.csv.maps_assessors()
                    || !school.sources.csv.scores.is_empty() =>
            {
                let bytes = files::file(&source.path)?;
                let mapping = csv::CsvMapping {
                    settings: &school.sources.csv,
                    credits: Some(credits::Credits::new(school)),
                    // Who the students are does not matter to what is unmapped.
                    roster: Some(&csv::Roster::default()),
                };
                Ok(csv::survey(&source.path, bytes, &mapping))
            }
            SourceKind::Json | SourceKind::JsonLines | SourceKind::Csv => continue,
        };
        surveyed += 1;
        match found {
            Ok(found) => survey.extend(found),
            Err(found) => problems.extend(found),
        }
    }
    Ok((survey, problems, surveyed))
}

/// Reads the records of one student file and hands each to `each`, in file order. JSON Lines
/// files are read line by line, never whole. `school` says how CSV files and OneRoster bundles
/// map onto records; without it (`school.json` has errors) CSV files are read by the default
/// columns and OneRoster bundles wait.
pub fn read_source(source: &Source, school: Option<&School>, mut each: impl FnMut(Record)) -> io::Result<()> {
    let path = &source.path;
    let default_csv = CsvSettings::default();
    let csv = school.map_or(&default_csv, |s| &s.sources.csv);
    match source.kind {
        SourceKind::OneRoster => match school {
            Some(school) => oneroster::read_oneroster(&source.bundles, &oneroster::Mapping::new(school), &mut each)?,
            None => each(Err(Rejected::of(
                Diagnostic::error(path, "the OneRoster bundle is read once school.json is valid: it maps the bundle's objectives and scores")
                    .at(Position { line: 1, column: 1, start: 0, end: 0 })
                    .hint("fix the problems in school.json first"),
            ))),
        },
        SourceKind::EdFi => match school {
            Some(school) => edfi::read_edfi(path, school, &mut each)?,
            None => each(Err(Rejected::of(
                Diagnostic::error(path, "the Ed-Fi folder is read once school.json is valid: it maps the folder's standards and levels")
                    .at(Position { line: 1, column: 1, start: 0, end: 0 })
                    .hint("fix the problems in school.json first"),
            ))),
        },
        SourceKind::Json => {
            let mut diagnostics = Vec::new();
            match read_json_file(path, &mut diagnostics)? {
                Some(document) => each(Ok(document)),
                None => each(Err(Rejected::unknown(diagnostics))),
            }
        }
        SourceKind::JsonLines => {
            let reader = BufReader::new(fs::File::open(path).map_err(|e| with_path(e, path))?);
            jsonl::read_json_lines(path, reader, &mut each)?;
        }
        SourceKind::Csv => {
            let mut bytes = Vec::new();
            let file = fs::File::open(path).map_err(|e| with_path(e, path))?;
            file.take(MAX_CSV_BYTES + 1).read_to_end(&mut bytes).map_err(|e| with_path(e, path))?;
            if bytes.len() as u64 > MAX_CSV_BYTES {
                each(Err(Rejected::of(
                    Diagnostic::error(path, "file is larger than 1 GB")
                        .at(Position { line: 1, column: 1, start: 0, end: 0 })
                        .hint("split the export into several files, by grade or by section"),
                )));
            } else {
                let roster = match (school, &csv.roster) {
                    (Some(_), Some(roster)) => match read_roster(path, roster, csv) {
                        Ok(roster) => Some(roster),
                        Err(problems) => {
                            each(Err(Rejected::unknown(problems)));
                            return Ok(());
                        }
                    },
                    _ => None,
                };
                let mapping = csv::CsvMapping {
                    settings: csv,
                    credits: school.map(credits::Credits::new),
                    roster: roster.as_ref(),
                };
                csv::read_csv(path, bytes, &mapping, &mut each);
            }
        }
    }
    Ok(())
}

/// Reads the roster `sources.csv.roster` names, a file of the school folder that holds the
/// CSV export at `export` (in its `students/`).
fn read_roster(export: &Path, roster: &str, settings: &CsvSettings) -> Result<csv::Roster, Vec<Diagnostic>> {
    let school_dir = export.parent().and_then(Path::parent).unwrap_or(Path::new("."));
    let path = school_dir.join(roster);
    match files::file_beneath(school_dir, Path::new(roster)) {
        Ok(bytes) => csv::Roster::read(&path, bytes, settings),
        Err(error) => Err(vec![
            Diagnostic::error(&path, match error.kind() {
                io::ErrorKind::NotFound => "the roster school.json names (sources.csv.roster) is not there".to_string(),
                _ => format!("the roster school.json names (sources.csv.roster) cannot be read: {error}"),
            })
                .at(Position { line: 1, column: 1, start: 0, end: 0 })
                .hint("export the students' names, birth dates and graduation dates from the student information system to that file, in the school folder"),
        ]),
    }
}

/// Reads and parses one JSON file. A file whose bytes or syntax are wrong gives diagnostics
/// and `None`; only a file that cannot be read at all is an error.
fn read_json_file(path: &Path, diagnostics: &mut Vec<Diagnostic>) -> io::Result<Option<Document>> {
    let file = fs::File::open(path).map_err(|e| with_path(e, path))?;
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_BYTES + 1).read_to_end(&mut bytes).map_err(|e| with_path(e, path))?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        diagnostics.push(too_large(path, None));
        return Ok(None);
    }
    Ok(parse_json(path, bytes, 1).map_err(|found| diagnostics.extend(found)).ok())
}

fn too_large(path: &Path, line: Option<usize>) -> Diagnostic {
    let what = if line.is_some() { "record" } else { "file" };
    let diagnostic = Diagnostic::error(path, format!("{what} is larger than {} MB, far beyond any student record", MAX_RECORD_BYTES / (1024 * 1024)))
        .hint("a student's record is usually a few kilobytes; check that this is the right file, or split it into one record per student");
    diagnostic.at(Position { line: line.unwrap_or(1), column: 1, start: 0, end: 0 })
}

/// How many records the sources hold, for a progress bar: one per JSON file, one per
/// non-blank line of a JSON Lines file. `None` when a CSV file makes it unknown without
/// reading it whole.
pub fn count_records(sources: &[Source]) -> io::Result<Option<u64>> {
    let mut count = 0;
    for source in sources {
        match source.kind {
            SourceKind::Json => count += 1,
            SourceKind::Csv | SourceKind::OneRoster | SourceKind::EdFi => return Ok(None),
            SourceKind::JsonLines => {
                let reader = BufReader::new(fs::File::open(&source.path).map_err(|e| with_path(e, &source.path))?);
                for line in reader.split(b'\n') {
                    let line = line.map_err(|e| with_path(e, &source.path))?;
                    if !line.iter().all(u8::is_ascii_whitespace) {
                        count += 1;
                    }
                }
            }
        }
    }
    Ok(Some(count))
}
