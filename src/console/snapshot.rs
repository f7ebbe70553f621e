//! What the console shows of a school folder: every problem and every student, worked out by
//! the same stages as `validate` and `build`, and worked out again when a file of the folder
//! changes (its size or modification time), so a fix saved in a spreadsheet shows on the next
//! page load.

use std::io;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::aggregate::{AggregateOptions, aggregate};
use crate::decimal::Amount;
use crate::diag::{Diagnostic, Severity};
use crate::explain::explain;
use crate::intake;
use crate::load::files::{Stamp, stamp};
use crate::model::DisclosureProfile;
use crate::transcript::{GraduationStatus, Layout};
use crate::validate::{Schemas, StudentRecord, ValidateOptions, issue_date};

/// How a student's record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// Errors: the student gets no transcript until they are fixed.
    Errors,
    /// Valid, with warnings.
    Warnings,
    /// Valid, with nothing to say.
    Valid,
}

/// A student as the students page lists them.
#[derive(Debug, Clone)]
pub struct StudentRow {
    /// The student's id (from the record; may be missing in an invalid one).
    pub id: Option<String>,
    /// The name to show: preferred, else legal; the file when the record has none.
    pub name: String,
    /// The file the record is in.
    pub source: PathBuf,
    /// Errors, warnings or valid.
    pub standing: Standing,
    /// How many problems the record has.
    pub problems: usize,
    /// For a valid record: credits earned and the graduation status.
    pub result: Option<(Amount, GraduationStatus)>,
    /// For a valid record: how each credit was worked out, as `explain` tells it.
    pub working: Option<String>,
    /// The valid record itself, for its preview.
    pub record: Option<StudentRecord>,
}

/// The folder as the console last read it.
pub struct Snapshot {
    stamp: Stamp,
    /// The school's name, or the folder's when `school.json` cannot be read.
    pub school_name: String,
    /// Every problem of the folder, the school's first, then each record's in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// Every record, in file order.
    pub students: Vec<StudentRow>,
    /// Whether `school.json` is valid (without it no student can be built).
    pub school_valid: bool,
    /// The disclosure profiles a build or issue may use: the built-in ones and the school's.
    pub profiles: Vec<String>,
    /// `school.json`, when it is valid.
    pub school: Option<crate::model::School>,
}

impl Snapshot {
    /// Reads and checks the whole folder.
    pub fn read(dir: &Path) -> io::Result<Snapshot> {
        let stamp = stamp(dir)?;
        let schemas = Schemas::new();
        let options = ValidateOptions::default();
        let open = intake::open(dir, &schemas)?;
        let school_name = open.school.as_ref().map_or_else(|| dir.display().to_string(), |s| s.profile.name.clone());
        let aggregate_options = open.school.as_ref().and_then(|school| {
            Some(AggregateOptions {
                issue_date: issue_date(school, &options).ok()?,
                logo: None,
                layout: Layout::default(),
                disclosure: DisclosureProfile::everything(),
            })
        });
        let mut diagnostics = open.diagnostics.clone();
        let mut students = Vec::new();
        intake::students(&open, &schemas, &options, |outcome| {
            let errors = outcome.diagnostics.iter().any(Diagnostic::is_error);
            let warnings = outcome.diagnostics.iter().any(|d| d.severity == Severity::Warning);
            let standing = if errors {
                Standing::Errors
            } else if warnings {
                Standing::Warnings
            } else {
                Standing::Valid
            };
            let name = outcome
                .value()
                .get("name")
                .and_then(|n| n.get("preferred").or(n.get("legal")))
                .and_then(|n| n.as_str())
                .map_or_else(|| outcome.source.display().to_string(), str::to_string);
            let (result, working) = match (&outcome.record, &open.school, &aggregate_options) {
                (Some(record), Some(school), Some(options)) => {
                    let transcript = aggregate(school, &record.student, options);
                    let earned = transcript.graduation.total_earned;
                    (Some((earned, transcript.graduation.status)), explain(&transcript, None))
                }
                _ => (None, None),
            };
            students.push(StudentRow {
                id: outcome.student.clone(),
                name,
                source: outcome.source.clone(),
                standing,
                problems: outcome.diagnostics.len(),
                result,
                working,
                record: outcome.record.clone(),
            });
            diagnostics.extend(outcome.diagnostics);
            ControlFlow::Continue(())
        })?;
        let profiles = open.school.as_ref().map(|s| s.disclosure_profile_names()).unwrap_or_default();
        let school_valid = open.school.is_some();
        let school = open.school.clone();
        Ok(Snapshot { stamp, school_name, diagnostics, students, school_valid, profiles, school })
    }

    /// Whether a file of the folder changed since this snapshot was read.
    pub fn is_stale(&self, dir: &Path) -> bool {
        stamp(dir).map_or(true, |now| now != self.stamp)
    }

    /// The files of the folder saved after `time`, by their paths in the folder: the data,
    /// not the ledger that issuing writes nor hidden files.
    pub fn changed_since(&self, dir: &Path, time: std::time::SystemTime) -> Vec<String> {
        let data = |path: &Path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.') && name != crate::issue::ledger::LEDGER
        };
        self.stamp
            .iter()
            .filter(|(path, _, modified)| data(path) && modified.is_some_and(|m| m > time))
            .map(|(path, _, _)| path.strip_prefix(dir).unwrap_or(path).display().to_string())
            .collect()
    }

    /// The student with this id.
    pub fn student(&self, id: &str) -> Option<&StudentRow> {
        self.students.iter().find(|s| s.id.as_deref() == Some(id))
    }
}
