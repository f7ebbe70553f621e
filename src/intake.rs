//! The first two stages run together over a school folder: load `school.json` and validate it,
//! then stream every student record through validation, one at a time, so memory does not
//! grow with the number of students.

use std::io;
use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use crate::diag::{Checked, Diagnostic};
use crate::document::Document;
use crate::load::{self, SchoolFolder};
use crate::model::School;
use crate::validate::{self, Schemas, StudentChecker, StudentRecord, ValidateOptions};

/// A school folder with its `school.json` validated.
pub struct OpenSchool {
    /// What was read.
    pub folder: SchoolFolder,
    /// `None` when `school.json` has errors.
    pub school: Option<School>,
    /// The problems found in `school.json` and the logo.
    pub diagnostics: Vec<Diagnostic>,
}

impl OpenSchool {
    /// The school folder.
    pub fn dir(&self) -> &Path {
        &self.folder.dir
    }
}

/// Loads a school folder and validates `school.json`.
pub fn open(dir: &Path, schemas: &Schemas) -> io::Result<OpenSchool> {
    let loaded = load::load(dir)?;
    let mut diagnostics = loaded.diagnostics;
    let school = loaded.value.school.as_ref().and_then(|document| {
        let checked = validate::school(document, schemas);
        diagnostics.extend(checked.diagnostics);
        checked.value
    });
    // A logo the template cannot draw would fail every student at rendering: say so now.
    #[cfg(feature = "render")]
    let school = match logo_problem(&loaded.value) {
        Some(problem) => {
            diagnostics.push(problem);
            None
        }
        None => school,
    };
    crate::diag::sort(&mut diagnostics);
    Ok(OpenSchool { folder: loaded.value, school, diagnostics })
}

/// The problem with the school's logo, if the template could not draw it.
#[cfg(feature = "render")]
fn logo_problem(folder: &SchoolFolder) -> Option<Diagnostic> {
    let (document, logo) = (folder.school.as_ref()?, folder.logo.as_ref()?);
    let extension = logo.path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let reason = crate::render::check_image(&logo.bytes, extension).err()?;
    Some(
        document
            .error("/profile/logo", format!("the logo cannot be drawn ({reason})"))
            .hint("open the logo in an image editor and save it again, or use a PNG"),
    )
}

/// What became of one record.
pub struct StudentOutcome {
    /// The file it came from.
    pub source: PathBuf,
    /// The student's id, when it is known: always for a valid record, often for an invalid
    /// one.
    pub student: Option<String>,
    /// The student, when the record has no errors.
    pub record: Option<StudentRecord>,
    /// Its problems (errors and warnings), in the order of the file.
    pub diagnostics: Vec<Diagnostic>,
    /// The record as read (none when it could not be read), for hashing what a build used.
    pub read: Option<Document>,
}

impl StudentOutcome {
    /// The record as JSON (null when it could not be read).
    pub fn value(&self) -> &serde_json::Value {
        static NULL: serde_json::Value = serde_json::Value::Null;
        self.read.as_ref().map_or(&NULL, Document::value)
    }
}

/// The id of every student record of the folder, as read (unchecked), in file order: for the
/// commands that name each student of the school (a pack names those it could not pack).
pub fn student_ids(open: &OpenSchool) -> io::Result<Vec<String>> {
    let mut ids = Vec::new();
    for source in &open.folder.sources {
        load::read_source(source, open.school.as_ref(), |record| {
            let id = match record {
                Ok(document) => document.top_str("id").map(str::to_string),
                Err(rejected) => rejected.student,
            };
            ids.extend(id);
        })?;
    }
    Ok(ids)
}

/// Reads every student record of the folder, validates it and hands the outcome to `each`,
/// in file order, until `each` breaks. When `school.json` has errors only the schema of each
/// record is checked.
pub fn students(
    open: &OpenSchool,
    schemas: &Schemas,
    options: &ValidateOptions,
    mut each: impl FnMut(StudentOutcome) -> ControlFlow<()>,
) -> io::Result<()> {
    let mut checker = open.school.as_ref().map(|school| StudentChecker::new(school, schemas, options));
    let mut stopped = false;
    for source in &open.folder.sources {
        load::read_source(source, open.school.as_ref(), |record| {
            if stopped {
                return;
            }
            let outcome = match record {
                Err(rejected) => StudentOutcome {
                    source: source.path.clone(),
                    student: rejected.student,
                    record: None,
                    diagnostics: rejected.diagnostics,
                    read: None,
                },
                Ok(mut document) => {
                    // A fault of mastery's own in one record is that record's problem alone.
                    let checked = std::panic::catch_unwind(AssertUnwindSafe(|| match &mut checker {
                        Some(checker) => {
                            let Checked { value, diagnostics } = checker.check(&document);
                            (value, diagnostics)
                        }
                        None => (None, validate::student_schema(&document, schemas)),
                    }));
                    let (student, mut diagnostics) = checked.unwrap_or_else(|_| {
                        let fault = Diagnostic::error(&document.path, "mastery failed while checking this record")
                            .at(crate::diag::Position { line: 1, column: 1, start: 0, end: 0 })
                            .hint("the other records are not affected; please report it, with the record if you can");
                        (None, vec![fault])
                    });
                    diagnostics.append(&mut document.notes);
                    crate::diag::sort(&mut diagnostics);
                    StudentOutcome {
                        source: source.path.clone(),
                        student: document.top_str("id").map(str::to_string),
                        record: student.map(|student| StudentRecord { student, source: document.path.clone() }),
                        diagnostics,
                        read: Some(document),
                    }
                }
            };
            stopped = each(outcome).is_break();
        })?;
        if stopped {
            break;
        }
    }
    Ok(())
}

/// A whole folder checked and collected in memory: for small folders, `explain` and tests.
pub struct CheckedFolder {
    /// The school folder, opened.
    pub open: OpenSchool,
    /// The records without errors.
    pub students: Vec<StudentRecord>,
    /// Every problem: the school's first, then each record's.
    pub diagnostics: Vec<Diagnostic>,
    /// How many records were read (valid or not).
    pub records: usize,
}

/// Loads and validates a whole school folder.
pub fn check_folder(dir: &Path, options: &ValidateOptions) -> io::Result<CheckedFolder> {
    let schemas = Schemas::new();
    let open = open(dir, &schemas)?;
    let mut diagnostics = open.diagnostics.clone();
    let mut students = Vec::new();
    let mut records = 0;
    self::students(&open, &schemas, options, |outcome| {
        records += 1;
        diagnostics.extend(outcome.diagnostics);
        students.extend(outcome.record);
        ControlFlow::Continue(())
    })?;
    Ok(CheckedFolder { open, students, diagnostics, records })
}
