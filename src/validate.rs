//! Stage 2, validate: check every document against its JSON Schema, then check its meaning.
//!
//! The schemas in `schemas/` are compiled into the binary. A document that fails its schema
//! gets one diagnostic per problem, reworded for a registrar rather than a schema author, and
//! goes no further. A document that passes is deserialized into the types of [`crate::model`]
//! and checked for what a schema cannot express: references between files, ids that must be
//! unique, scores that must lie on the school's own scale, dates that must make sense.
//! Students with errors are left out of the result, so one bad record never stops the others.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use chrono::NaiveDate;
use jsonschema::Validator;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::diag::{Checked, Diagnostic, Severity};
use crate::document::Document;
use crate::hint::{closest, plural, quoted};
use crate::model::{AttestationStatus, CreditLevel, School, Student};

pub const SCHOOL_SCHEMA: &str = include_str!("../schemas/school.schema.json");
pub const STUDENT_SCHEMA: &str = include_str!("../schemas/student.schema.json");

/// The most steps a scale may have between its lowest and highest level. Far above any real
/// scale, and low enough that no arithmetic on its values can overflow.
pub const MAX_SCALE_STEPS: u32 = 100_000;

/// The compiled schemas; build once and share.
pub struct Schemas {
    school: Schema,
    student: Schema,
}

struct Schema {
    json: Value,
    validator: Validator,
}

impl Schema {
    fn new(text: &str) -> Schema {
        let json: Value = serde_json::from_str(text).expect("embedded schema is JSON");
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&json)
            .expect("embedded schema compiles");
        Schema { json, validator }
    }
}

impl Default for Schemas {
    fn default() -> Self {
        Schemas::new()
    }
}

impl Schemas {
    pub fn new() -> Schemas {
        Schemas { school: Schema::new(SCHOOL_SCHEMA), student: Schema::new(STUDENT_SCHEMA) }
    }
}

/// Settings for the checks that depend on the run rather than the data.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// Overrides `transcript.issue_date`; dates after it are "in the future".
    pub issue_date: Option<NaiveDate>,
}

/// A student record that passed, with the file it came from.
#[derive(Debug, Clone)]
pub struct StudentRecord {
    pub student: Student,
    pub source: PathBuf,
}

/// The date transcripts are issued: the command line's, else `school.json`'s.
pub fn issue_date(school: &School, options: &ValidateOptions) -> Option<NaiveDate> {
    options.issue_date.or(school.transcript.issue_date)
}

/// Validates `school.json`: its schema, then its meaning. `None` when it has errors, since no
/// student can be checked against a broken school.
pub fn school(document: &Document, schemas: &Schemas) -> Checked<Option<School>> {
    let mut diagnostics = Vec::new();
    let school = typed::<School>(document, &schemas.school, &mut diagnostics);
    if let Some(school) = &school {
        check_school(school, document, &mut diagnostics);
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
    seen: HashMap<String, PathBuf>,
}

impl<'a> StudentChecker<'a> {
    pub fn new(school: &'a School, schemas: &'a Schemas, options: &ValidateOptions) -> Self {
        StudentChecker {
            schemas,
            school,
            credits: school.framework.credits.iter().map(|c| (c.id.as_str(), c)).collect(),
            issue_date: issue_date(school, options),
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
        self.check_student(&student, document, &mut diagnostics);
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
    // Most records are valid: the quick yes-or-no check first, the full list of errors only
    // for a record that fails it.
    if !schema.validator.is_valid(&document.value) {
        for error in schema.validator.iter_errors(&document.value) {
            diagnostics.extend(schema_diagnostics(document, schema, &error));
        }
        return None;
    }
    match T::deserialize(&document.value) {
        Ok(value) => Some(value),
        Err(error) => {
            // The schema should have caught this; report it rather than panic.
            diagnostics.push(document.error("", format!("unexpected value ({error})")));
            None
        }
    }
}

fn at(document: &Document, pointer: &str, key: bool, message: String) -> Diagnostic {
    document.diagnostic(Severity::Error, pointer, key, message)
}

fn warn(document: &Document, pointer: &str, message: String) -> Diagnostic {
    document.warning(pointer, message)
}

/// Turns one schema error into diagnostics a registrar can act on.
fn schema_diagnostics(document: &Document, schema: &Schema, error: &jsonschema::ValidationError) -> Vec<Diagnostic> {
    let pointer = error.instance_path().as_str().to_string();
    let instance = error.instance();
    let schema_path = error.schema_path().as_str();
    let one = |message: String, hint: Option<String>| {
        let diagnostic = at(document, &pointer, false, message);
        vec![match hint {
            Some(hint) => diagnostic.hint(hint),
            None => diagnostic,
        }]
    };
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let child = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
            vec![document
                .error(&pointer, format!("missing required field \"{name}\""))
                .pointer(child)
                .hint(format!("add \"{name}\" to this object"))]
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_properties(&schema.json, schema_path);
            unexpected
                .iter()
                .map(|name| {
                    let child = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
                    let hint = match closest(name, allowed.iter().map(String::as_str)) {
                        Some(guess) => format!("did you mean \"{guess}\"?"),
                        None if allowed.is_empty() => "remove it".to_string(),
                        None => format!("remove it; the fields allowed here are {}", quoted(&allowed)),
                    };
                    at(document, &child, true, format!("unknown field \"{name}\"")).hint(hint)
                })
                .collect()
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(kind) => article(&kind.to_string()),
                TypeKind::Multiple(kinds) => kinds.iter().map(|k| article(&k.to_string())).collect::<Vec<_>>().join(" or "),
            };
            one(format!("expected {expected}, found {}", describe(instance)), None)
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options.as_array().into_iter().flatten().map(Value::to_string).collect();
            one(format!("{} is not allowed here", describe(instance)), Some(format!("use one of {}", options.join(", "))))
        }
        ValidationErrorKind::Constant { expected_value } => {
            one(format!("{} is not allowed here", describe(instance)), Some(format!("use {expected_value}")))
        }
        ValidationErrorKind::Pattern { pattern } => {
            let (message, hint) = match pattern.as_str() {
                "\\S" => ("must not be blank".to_string(), "write some text here".to_string()),
                p if p.starts_with("^[A-Za-z0-9]") => (
                    format!("{} is not a valid id", describe(instance)),
                    "ids use letters, digits, '.', '_' and '-', start with a letter or digit, and have at most 64 characters".to_string(),
                ),
                "^https?://" => (format!("{} is not a web address", describe(instance)), "start it with https://".to_string()),
                "^[0-9]{6}$" => (format!("{} is not a CEEB code", describe(instance)), "a CEEB code has six digits".to_string()),
                _ => (format!("{} does not match the pattern {pattern}", describe(instance)), String::new()),
            };
            let diagnostic = at(document, &pointer, false, message);
            vec![if hint.is_empty() { diagnostic } else { diagnostic.hint(hint) }]
        }
        ValidationErrorKind::Format { format } => {
            let hint = match format.as_str() {
                "date" => "write dates as YYYY-MM-DD, for example 2026-06-12",
                "email" => "write an e-mail address such as registrar@school.org",
                "uri" => "write a full address such as https://school.org/work/1",
                _ => "",
            };
            let message = format!("{} is not a valid {}", describe(instance), format);
            let diagnostic = at(document, &pointer, false, message);
            vec![if hint.is_empty() { diagnostic } else { diagnostic.hint(hint) }]
        }
        ValidationErrorKind::MinLength { limit: 1 } => one("must not be empty".to_string(), Some("write some text here".to_string())),
        ValidationErrorKind::MinLength { limit } => one(format!("must have at least {limit} characters"), None),
        ValidationErrorKind::MaxLength { limit } => one(format!("is longer than {limit} characters"), Some("shorten it".to_string())),
        ValidationErrorKind::MinItems { limit } => one(format!("must have at least {}", plural(*limit, "item")), None),
        ValidationErrorKind::MaxItems { limit } => one(format!("has more than {}", plural(*limit, "item")), None),
        ValidationErrorKind::Minimum { limit } => one(format!("{} is less than the minimum of {limit}", describe(instance)), None),
        ValidationErrorKind::Maximum { limit } => one(format!("{} is more than the maximum of {limit}", describe(instance)), None),
        ValidationErrorKind::ExclusiveMinimum { limit } => one(format!("{} must be more than {limit}", describe(instance)), None),
        ValidationErrorKind::ExclusiveMaximum { limit } => one(format!("{} must be less than {limit}", describe(instance)), None),
        ValidationErrorKind::UniqueItems => one("has the same item twice".to_string(), Some("remove the repeated item".to_string())),
        ValidationErrorKind::OneOfNotValid { .. } if pointer.ends_with("/method") => one(
            format!("{} is not an aggregation method", describe(instance)),
            Some(
                "use one of \"most_recent\", \"highest\", \"mean\", \"median\", \"mode\", \"decaying_average\", \"weighted_recent\", \"power_law\", or an object such as {\"name\": \"n_times\", \"n\": 2}; see the README for each method's parameters".to_string(),
            ),
        ),
        _ => one(error.to_string(), None),
    }
}

/// The property names the schema allows at the object whose `additionalProperties` failed.
fn allowed_properties(schema: &Value, schema_path: &str) -> Vec<String> {
    let mut node = schema;
    let segments: Vec<&str> = schema_path.trim_start_matches('/').split('/').collect();
    for segment in &segments[..segments.len().saturating_sub(1)] {
        node = match node.get(*segment) {
            Some(Value::String(reference)) if *segment == "$ref" => {
                match reference.strip_prefix('#').and_then(|p| schema.pointer(p)) {
                    Some(target) => target,
                    None => return Vec::new(),
                }
            }
            Some(next) => next,
            None => match segment.parse::<usize>().ok().and_then(|i| node.get(i)) {
                Some(next) => next,
                None => return Vec::new(),
            },
        };
    }
    node.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default()
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => format!("\"{text}\""),
        Value::Null => "null".to_string(),
        Value::Object(_) => "an object".to_string(),
        Value::Array(_) => "a list".to_string(),
        other => other.to_string(),
    }
}

fn article(kind: &str) -> String {
    match kind {
        "object" => "an object".to_string(),
        "array" => "a list".to_string(),
        "integer" => "a whole number".to_string(),
        "null" => "null".to_string(),
        other => format!("a {other}"),
    }
}

fn unknown_hint<'a>(kind: &str, wanted: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match closest(wanted, known.clone()) {
        Some(guess) => format!("did you mean \"{guess}\"?"),
        None => {
            let known: Vec<&str> = known.into_iter().take(8).collect();
            format!("use a {kind} id from school.json, such as {}", quoted(&known))
        }
    }
}

fn check_school(school: &School, document: &Document, diagnostics: &mut Vec<Diagnostic>) {
    let framework = &school.framework;

    // Ids are unique.
    let mut area_ids = BTreeSet::new();
    for (i, area) in framework.areas.iter().enumerate() {
        if !area_ids.insert(area.id.as_str()) {
            diagnostics.push(
                at(
                    document,
                    &format!("/framework/areas/{i}/id"),
                    false,
                    format!("area id \"{}\" is used twice", area.id),
                )
                .hint("give every credit area a different id"),
            );
        }
    }
    let mut credit_ids = BTreeSet::new();
    for (i, credit) in framework.credits.iter().enumerate() {
        if !credit_ids.insert(credit.id.as_str()) {
            diagnostics.push(
                at(
                    document,
                    &format!("/framework/credits/{i}/id"),
                    false,
                    format!("credit id \"{}\" is used twice", credit.id),
                )
                .hint("give every credit a different id"),
            );
        }
        if !area_ids.contains(credit.area.as_str()) {
            diagnostics.push(
                at(
                    document,
                    &format!("/framework/credits/{i}/area"),
                    false,
                    format!("credit \"{}\" names unknown area \"{}\"", credit.id, credit.area),
                )
                .hint(unknown_hint("area", &credit.area, area_ids.iter().copied())),
            );
        }
        if credit.value.is_zero() {
            diagnostics.push(warn(
                document,
                &format!("/framework/credits/{i}/value"),
                format!("credit \"{}\" is worth nothing", credit.id),
            ));
        }
    }
    for (i, area) in framework.areas.iter().enumerate() {
        if !framework.credits.iter().any(|c| c.area == area.id) {
            diagnostics.push(warn(
                document,
                &format!("/framework/areas/{i}"),
                format!("area \"{}\" has no credits", area.id),
            ));
        }
    }

    // The scale is ordered, has a countable number of steps, and the threshold lies on it.
    let scale = &school.scale;
    if scale.max() > scale.min() {
        let steps = (scale.max() - scale.min()) / scale.step;
        if steps > Decimal::from(MAX_SCALE_STEPS) {
            diagnostics.push(
                at(
                    document,
                    "/scale/step",
                    false,
                    format!(
                        "a step of {} makes {} steps from {} to {}; a scale may have at most 100,000",
                        scale.step,
                        steps.round(),
                        scale.min(),
                        scale.max()
                    ),
                )
                .hint("use a coarser step: scales of a few levels, scored in whole or half steps, are the usual kind"),
            );
        }
    }
    for (i, pair) in scale.levels.windows(2).enumerate() {
        if pair[1].value <= pair[0].value {
            diagnostics.push(
                at(
                    document,
                    &format!("/scale/levels/{}/value", i + 1),
                    false,
                    format!(
                        "level \"{}\" ({}) does not stand above level \"{}\" ({})",
                        pair[1].label, pair[1].value, pair[0].label, pair[0].value
                    ),
                )
                .hint("list the levels from lowest to highest, each with a larger value"),
            );
        }
    }
    let mut labels = BTreeSet::new();
    for (i, level) in scale.levels.iter().enumerate() {
        if !labels.insert(level.label.as_str()) {
            diagnostics.push(at(
                document,
                &format!("/scale/levels/{i}/label"),
                false,
                format!("level label \"{}\" is used twice", level.label),
            ));
        }
        if !scale.contains(level.value) {
            diagnostics.push(
                at(
                    document,
                    &format!("/scale/levels/{i}/value"),
                    false,
                    format!(
                        "level value {} is not a whole number of steps ({}) above the lowest level",
                        level.value, scale.step
                    ),
                )
                .hint("change the level's value or the scale's step"),
            );
        }
    }
    if !scale.contains(scale.mastery_threshold) {
        diagnostics.push(
            at(
                document,
                "/scale/mastery_threshold",
                false,
                format!("mastery threshold {} is not on the scale", scale.mastery_threshold),
            )
            .hint(format!(
                "use a value from {} to {} in steps of {}",
                scale.min(),
                scale.max(),
                scale.step
            )),
        );
    }

    // Overrides name real areas and credits.
    for id in school.aggregation.overrides.areas.keys() {
        if !area_ids.contains(id.as_str()) {
            diagnostics.push(
                at(
                    document,
                    &format!("/aggregation/overrides/areas/{}", escape(id)),
                    true,
                    format!("override for unknown area \"{id}\""),
                )
                .hint(unknown_hint("area", id, area_ids.iter().copied())),
            );
        }
    }
    for id in school.aggregation.overrides.credits.keys() {
        if !credit_ids.contains(id.as_str()) {
            diagnostics.push(
                at(
                    document,
                    &format!("/aggregation/overrides/credits/{}", escape(id)),
                    true,
                    format!("override for unknown credit \"{id}\""),
                )
                .hint(unknown_hint("credit", id, credit_ids.iter().copied())),
            );
        }
    }

    check_graduation(school, document, &area_ids, &credit_ids, diagnostics);

    // The signing key must be one the issuer controls, or no verifier accepts the credentials.
    if let Some(settings) = &school.credentials
        && let Err(problem) = crate::credential::issuer::check(settings)
    {
        diagnostics
            .push(at(document, &format!("/credentials/{}", problem.field), false, problem.message).hint(problem.hint));
    }

    if let Some(equivalency) = &school.equivalency {
        for (i, row) in equivalency.table.iter().enumerate() {
            if row.from > row.to {
                diagnostics.push(
                    at(
                        document,
                        &format!("/equivalency/table/{i}"),
                        false,
                        format!("row runs from {} down to {}", row.from, row.to),
                    )
                    .hint("put the lower level in \"from\""),
                );
            }
            if row.from < scale.min() || row.to > scale.max() {
                diagnostics.push(at(
                    document,
                    &format!("/equivalency/table/{i}"),
                    false,
                    format!("row {}..{} leaves the scale ({}..{})", row.from, row.to, scale.min(), scale.max()),
                ));
            }
        }
    }
}

fn check_graduation(
    school: &School,
    document: &Document,
    area_ids: &BTreeSet<&str>,
    credit_ids: &BTreeSet<&str>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let framework = &school.framework;
    let graduation = &school.graduation;
    let sum = |filter: &dyn Fn(&crate::model::Credit) -> bool| -> Decimal {
        framework.credits.iter().filter(|c| filter(c)).map(|c| c.value).sum()
    };
    for (id, requirement) in &graduation.areas {
        let pointer = format!("/graduation/areas/{}", escape(id));
        if !area_ids.contains(id.as_str()) {
            diagnostics.push(
                at(document, &pointer, true, format!("requirement for unknown area \"{id}\"")).hint(unknown_hint(
                    "area",
                    id,
                    area_ids.iter().copied(),
                )),
            );
            continue;
        }
        let available = sum(&|c| c.area == *id);
        if available < requirement.credits {
            diagnostics.push(
                at(
                    document,
                    &format!("{pointer}/credits"),
                    false,
                    format!(
                        "area \"{id}\" requires {} credits, but its credits are worth only {available} in all",
                        requirement.credits.normalize()
                    ),
                )
                .hint("lower the requirement or add credits to the area"),
            );
        }
        if let Some(level) = requirement.min_level
            && !school.scale.contains(level)
        {
            diagnostics.push(at(
                document,
                &format!("{pointer}/min_level"),
                false,
                format!("minimum level {level} is not on the scale"),
            ));
        }
    }
    let total = sum(&|_| true);
    if total < graduation.total_credits {
        diagnostics.push(
            at(
                document,
                "/graduation/total_credits",
                false,
                format!(
                    "graduation requires {} credits, but the framework's credits are worth only {total} in all",
                    graduation.total_credits.normalize()
                ),
            )
            .hint("lower the requirement or add credits to the framework"),
        );
    }
    let advanced = sum(&|c| c.level == CreditLevel::Advanced);
    if advanced < graduation.advanced_credits {
        diagnostics.push(at(document, "/graduation/advanced_credits", false, format!(
            "graduation requires {} advanced credits, but the framework's advanced credits are worth only {advanced}",
            graduation.advanced_credits.normalize()
        )));
    }
    let per_area: Decimal = graduation.areas.values().map(|r| r.credits).sum();
    if per_area > graduation.total_credits {
        diagnostics.push(warn(
            document,
            "/graduation/total_credits",
            format!(
                "the area requirements add up to {}, more than the total of {}",
                per_area.normalize(),
                graduation.total_credits.normalize()
            ),
        ));
    }
    for (i, id) in graduation.required_credits.iter().enumerate() {
        if !credit_ids.contains(id.as_str()) {
            diagnostics.push(
                at(
                    document,
                    &format!("/graduation/required_credits/{i}"),
                    false,
                    format!("required credit \"{id}\" is not in the framework"),
                )
                .hint(unknown_hint("credit", id, credit_ids.iter().copied())),
            );
        }
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

impl StudentChecker<'_> {
    fn check_student(&self, student: &Student, document: &Document, diagnostics: &mut Vec<Diagnostic>) {
        let school = self.school;
        let issue_date = self.issue_date;
        let scale = &school.scale;
        let credit_ids = || self.credits.keys().copied();
        // Pointers are made only when there is something to report: most records have none.
        let check_date =
            |diagnostics: &mut Vec<Diagnostic>, pointer: &dyn Fn() -> String, date: NaiveDate, what: &str| {
                if let Some(issued) = issue_date
                    && date > issued
                {
                    diagnostics.push(
                        at(document, &pointer(), false, format!("{what} {date} is after the issue date {issued}"))
                            .hint("correct the date, or issue the transcript later (--issue-date)"),
                    );
                }
                if date < student.birth_date {
                    diagnostics.push(
                        at(
                            document,
                            &pointer(),
                            false,
                            format!("{what} {date} is before the student's birth date {}", student.birth_date),
                        )
                        .hint("correct the date"),
                    );
                }
            };

        if let Some(issued) = issue_date
            && student.birth_date > issued
        {
            diagnostics.push(at(
                document,
                "/birth_date",
                false,
                format!("birth date {} is after the issue date {issued}", student.birth_date),
            ));
        }
        if student.expected_graduation <= student.birth_date {
            diagnostics.push(at(
                document,
                "/expected_graduation",
                false,
                format!(
                    "expected graduation {} is not after the birth date {}",
                    student.expected_graduation, student.birth_date
                ),
            ));
        }

        if student.highlights.is_empty() {
            diagnostics.push(
                warn(document, "/highlights", "the student has no highlights".to_string())
                    .hint("add one to three short statements in the student's own words: page 1 shows them"),
            );
        }
        let sample_ids: BTreeSet<&str> = student.work_samples.iter().map(|w| w.id.as_str()).collect();
        for (i, evidence) in student.evidence.iter().enumerate() {
            let base = || format!("/evidence/{i}");
            if !self.credits.contains_key(evidence.credit.as_str()) {
                diagnostics.push(
                    at(
                        document,
                        &format!("{}/credit", base()),
                        false,
                        format!("evidence names unknown credit \"{}\"", evidence.credit),
                    )
                    .hint(unknown_hint("credit", &evidence.credit, credit_ids())),
                );
            }
            if !scale.contains(evidence.score) {
                diagnostics.push(
                    at(
                        document,
                        &format!("{}/score", base()),
                        false,
                        format!("score {} is not on the scale", evidence.score),
                    )
                    .hint(format!(
                        "use a score from {} to {} in steps of {}",
                        scale.min(),
                        scale.max(),
                        scale.step.normalize()
                    )),
                );
            }
            check_date(diagnostics, &|| format!("{}/date", base()), evidence.date, "assessment date");
            if let (Some(issued), Some(days)) = (issue_date, school.checks.max_evidence_age_days)
                && (issued - evidence.date).num_days() > i64::from(days)
            {
                diagnostics.push(
                    warn(
                        document,
                        &format!("{}/date", base()),
                        format!("evidence from {} is more than {days} days older than the issue date", evidence.date),
                    )
                    .hint(
                        "check the date; to accept older evidence, raise checks.max_evidence_age_days in school.json",
                    ),
                );
            }
            if let Some(sample) = &evidence.work_sample
                && !sample_ids.contains(sample.as_str())
            {
                diagnostics.push(
                    at(
                        document,
                        &format!("{}/work_sample", base()),
                        false,
                        format!("evidence names unknown work sample \"{sample}\""),
                    )
                    .hint(
                        unknown_hint("work sample", sample, sample_ids.iter().copied())
                            .replace("from school.json", "from this student's work_samples"),
                    ),
                );
            }
        }

        let mut seen_samples = BTreeSet::new();
        for (i, sample) in student.work_samples.iter().enumerate() {
            let base = || format!("/work_samples/{i}");
            if !seen_samples.insert(sample.id.as_str()) {
                diagnostics.push(
                    at(
                        document,
                        &format!("{}/id", base()),
                        false,
                        format!("work sample id \"{}\" is used twice", sample.id),
                    )
                    .hint("give every work sample a different id"),
                );
            }
            for (j, credit) in sample.credits.iter().enumerate() {
                if !self.credits.contains_key(credit.as_str()) {
                    diagnostics.push(
                        at(
                            document,
                            &format!("{}/credits/{j}", base()),
                            false,
                            format!("work sample names unknown credit \"{credit}\""),
                        )
                        .hint(unknown_hint("credit", credit, credit_ids())),
                    );
                }
            }
            check_date(diagnostics, &|| format!("{}/date", base()), sample.date, "work sample date");
            if !sample.url.starts_with("https://") {
                diagnostics.push(
                    warn(
                        document,
                        &format!("{}/url", base()),
                        format!("work sample address {} is not https", sample.url),
                    )
                    .hint("link work samples over https, so that readers' browsers neither warn nor block them"),
                );
            }
        }

        let mut attested = BTreeMap::new();
        for (i, attestation) in student.attestations.iter().enumerate() {
            let base = || format!("/attestations/{i}");
            if !self.credits.contains_key(attestation.credit.as_str()) {
                diagnostics.push(
                    at(
                        document,
                        &format!("{}/credit", base()),
                        false,
                        format!("attestation names unknown credit \"{}\"", attestation.credit),
                    )
                    .hint(unknown_hint("credit", &attestation.credit, credit_ids())),
                );
            }
            if let Some(first) = attested.insert(attestation.credit.as_str(), i) {
                diagnostics.push(
                    at(
                        document,
                        &format!("{}/credit", base()),
                        false,
                        format!("credit \"{}\" has a second attestation", attestation.credit),
                    )
                    .hint(format!("keep one attestation per credit; the other is /attestations/{first}")),
                );
            }
            if attestation.status == AttestationStatus::Approved
                && !student.evidence.iter().any(|e| e.credit == attestation.credit)
            {
                diagnostics.push(
                    at(
                        document,
                        &format!("{}/status", base()),
                        false,
                        format!(
                            "credit \"{}\" is approved, but the student has no evidence for it",
                            attestation.credit
                        ),
                    )
                    .hint("add the evidence the approval rests on, or mark the credit \"exempt\""),
                );
            }
            check_date(diagnostics, &|| format!("{}/date", base()), attestation.date, "attestation date");
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
