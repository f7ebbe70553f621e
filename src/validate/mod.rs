//! Stage 2, validate: check every document against its JSON Schema, then check its meaning.
//!
//! The schemas in `schemas/` are compiled into the binary. A document that fails its schema
//! gets one diagnostic per problem, reworded for a registrar rather than a schema author, and
//! goes no further. A document that passes is deserialized into the types of [`crate::model`]
//! and checked for what a schema cannot express: references between files, ids that must be
//! unique, scores that must lie on the school's own scale, dates that must make sense.
//! Students with errors are left out of the result, so one bad record never stops the others.

mod pesc;
mod schema;
mod school;
mod student;

pub use pesc::{LEVEL_LABEL, school as pesc_school};

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use chrono::NaiveDate;
use jsonschema::Validator;
use jsonschema::json::Json;
use serde_json::Value;

use crate::diag::{Checked, Diagnostic, Severity};
use crate::document::Document;
use crate::document::tape::Borrowed;
use crate::hint::{closest, quoted};
use crate::model::{School, Student};

/// The JSON Schema of `school.json`.
pub const SCHOOL_SCHEMA: &str = include_str!("../../schemas/school.schema.json");
/// The JSON Schema of a student record.
pub const STUDENT_SCHEMA: &str = include_str!("../../schemas/student.schema.json");

/// The most steps a scale may have between its lowest and highest level. Far above any real
/// scale, and low enough that no arithmetic on its values can overflow.
pub const MAX_SCALE_STEPS: u32 = 100_000;

/// The compiled schemas; build once and share.
pub struct Schemas {
    school: Schema,
    student: Schema,
}

/// A schema compiled twice: over a record's tape, for the quick yes-or-no check of every
/// record, and over its `Value`, for the errors of a record that fails it (their messages and
/// places then come from the one representation the snapshot tests pin).
pub(crate) struct Schema {
    pub(crate) json: Value,
    validator: Validator,
    quick: Validator<Borrowed>,
}

impl Schema {
    fn new(text: &str) -> Schema {
        let json: Value = serde_json::from_str(text).expect("embedded schema is JSON");
        Schema { validator: compile(&json), quick: compile(&json), json }
    }
}

/// The schema compiled for the representation `F`, with the same settings for every one, so
/// that the quick check and the full one judge alike.
fn compile<F: Json>(schema: &Value) -> Validator<F> {
    jsonschema::options_for::<F>()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .expect("embedded schema compiles")
}

impl Default for Schemas {
    fn default() -> Self {
        Schemas::new()
    }
}

impl Schemas {
    /// Both schemas, compiled.
    pub fn new() -> Schemas {
        Schemas { school: Schema::new(SCHOOL_SCHEMA), student: Schema::new(STUDENT_SCHEMA) }
    }
}

/// Settings for the checks that depend on the run rather than the data.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// Overrides `transcript.issue_date`; dates after it are "in the future".
    pub issue_date: Option<NaiveDate>,
    /// Whether to check what PESC XML's schema limits (a name's length), and how loudly: as
    /// errors where the run writes PESC XML (an issue, `build --format pesc`), as warnings
    /// for `validate`.
    pub pesc: Option<Severity>,
}

/// A student record that passed, with the file it came from.
#[derive(Debug, Clone)]
pub struct StudentRecord {
    /// The student.
    pub student: Student,
    /// The file the record came from.
    pub source: PathBuf,
}

/// The date transcripts are issued: the one asked for, else `school.json`'s.
pub fn issue_date(school: &School, options: &ValidateOptions) -> Result<NaiveDate, NoIssueDate> {
    options.issue_date.or(school.transcript.issue_date).ok_or(NoIssueDate)
}

/// Neither the options nor `school.json` say when the transcripts are issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoIssueDate;

impl std::fmt::Display for NoIssueDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "no issue date: set \"transcript\": {\"issue_date\": \"YYYY-MM-DD\"} in school.json, or pass --issue-date",
        )
    }
}

impl std::error::Error for NoIssueDate {}

/// Validates `school.json`: its schema, then its meaning. `None` when it has errors, since no
/// student can be checked against a broken school.
pub fn school(document: &Document, schemas: &Schemas) -> Checked<Option<School>> {
    let mut diagnostics = Vec::new();
    let school = typed::<School>(document, &schemas.school, &mut diagnostics);
    if let Some(school) = &school {
        let mut found = Findings { document, diagnostics: &mut diagnostics };
        school::check_school(school, &mut found);
    }
    let clean = !diagnostics.iter().any(Diagnostic::is_error);
    Checked::new(school.filter(|_| clean), diagnostics)
}

/// Checks only the schema of a student record, for when `school.json` is broken and nothing
/// more can be checked.
pub fn student_schema(document: &Document, schemas: &Schemas) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let _ = typed::<Student>(document, &schemas.student, &mut diagnostics);
    diagnostics
}

/// Validates student records one at a time against a valid school, remembering the ids seen
/// so that a duplicate is caught across files and sources.
pub struct StudentChecker<'a> {
    schemas: &'a Schemas,
    school: &'a School,
    credits: BTreeMap<&'a str, &'a crate::model::Credit>,
    issue_date: Option<NaiveDate>,
    pesc: Option<Severity>,
    seen: HashMap<String, PathBuf>,
}

impl<'a> StudentChecker<'a> {
    /// A checker of the students of `school`.
    pub fn new(school: &'a School, schemas: &'a Schemas, options: &ValidateOptions) -> Self {
        StudentChecker {
            schemas,
            school,
            credits: school.framework.credits.iter().map(|c| (c.id.as_str(), c)).collect(),
            issue_date: issue_date(school, options).ok(),
            pesc: options.pesc,
            seen: HashMap::new(),
        }
    }

    /// Validates one record; the student is `None` when it has errors.
    pub fn check(&mut self, document: &Document) -> Checked<Option<Student>> {
        let mut diagnostics = Vec::new();
        let Some(student) = typed::<Student>(document, &self.schemas.student, &mut diagnostics) else {
            return Checked::new(None, diagnostics);
        };
        if let Some(first) = self.seen.get(&student.id) {
            let place = if *first == document.path {
                "an earlier record in this file".to_string()
            } else {
                first.display().to_string()
            };
            diagnostics.push(
                document
                    .error("/id", format!("student id \"{}\" is already used", student.id))
                    .hint(format!("{place} has the same id; give every student a different id")),
            );
        } else {
            self.seen.insert(student.id.clone(), document.path.clone());
        }
        let mut found = Findings { document, diagnostics: &mut diagnostics };
        self.check_student(&student, &mut found);
        if let Some(severity) = self.pesc {
            pesc::student(&student, severity, &mut found);
        }
        let clean = !diagnostics.iter().any(Diagnostic::is_error);
        Checked::new(Some(student).filter(|_| clean), diagnostics)
    }
}

/// Runs the schema over a document, then deserializes it.
fn typed<T: serde::de::DeserializeOwned>(
    document: &Document,
    schema: &Schema,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<T> {
    // Most records are valid and were read from JSON text: the quick yes-or-no check over the
    // tape, and the model read from it, without building a `Value`.
    if let Some(tape) = document.tape()
        && schema.quick.is_valid(tape)
        && let Ok(value) = T::deserialize(tape)
    {
        return Some(value);
    }
    // Otherwise the same check over the value, and the full list of errors of a record that
    // fails it.
    let value = document.value();
    if !schema.validator.is_valid(value) {
        for error in schema.validator.iter_errors(value) {
            diagnostics.extend(schema::schema_diagnostics(document, schema, &error));
        }
        return None;
    }
    match T::deserialize(value) {
        Ok(value) => Some(value),
        Err(error) => {
            // The schema should have caught this; report it rather than panic.
            diagnostics.push(document.error("", format!("unexpected value ({error})")));
            None
        }
    }
}

/// The problems found in one document, each placed at its JSON Pointer: the one way the
/// checks report.
struct Findings<'a> {
    document: &'a Document,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Findings<'_> {
    fn push(
        &mut self,
        severity: Severity,
        pointer: impl AsRef<str>,
        key: bool,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diagnostics.push(self.document.diagnostic(severity, pointer.as_ref(), key, message));
        self.diagnostics.last_mut().expect("just pushed")
    }

    /// An error at the value at `pointer`.
    fn error(&mut self, pointer: impl AsRef<str>, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Error, pointer, false, message)
    }

    /// An error at the property name at `pointer` (an unknown key).
    fn key_error(&mut self, pointer: impl AsRef<str>, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Error, pointer, true, message)
    }

    fn warning(&mut self, pointer: impl AsRef<str>, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Warning, pointer, false, message)
    }
}

/// A JSON Pointer token for a map key.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// The hint for an id that names nothing: a likely typo, or some ids that exist.
fn unknown_hint<'a>(kind: &str, wanted: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match closest(wanted, known.clone()) {
        Some(guess) => format!("did you mean \"{guess}\"?"),
        None => {
            let known: Vec<&str> = known.into_iter().take(8).collect();
            format!("use a {kind} id from school.json, such as {}", quoted(&known))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_schemas_compile() {
        let _ = Schemas::new();
    }
}
