//! CSV exports from a student information system: one row per piece of evidence, the rows of
//! each student (by `student_id`, wherever they are in the file) grouped into one record, in
//! the order students first appear.
//!
//! A student's rows must agree on who the student is: if any identity column differs between
//! rows (a mistyped student number puts another student's scores under this id), the student
//! is left out of every output, with each disagreement named by its line and column. A row
//! that repeats an earlier one exactly (the same evidence exported for two sections) is a
//! warning naming both lines.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::credits::{Credits, Survey, Target};
use super::json::inexact;
use super::{Record, Rejected};
use crate::diag::{Diagnostic, Position};
use crate::document::{Cell, CellMap, Document};
use crate::hint::{closest, quoted};
use crate::model::{CsvColumns, CsvSettings};

/// What reading a CSV export needs besides its bytes.
pub struct CsvMapping<'a> {
    /// The columns and how to read them.
    pub settings: &'a CsvSettings,
    /// The school's credits, for an export whose credit column holds a gradebook's own ids
    /// ([`CsvSettings::maps_credits`]).
    pub credits: Option<Credits<'a>>,
    /// Who each student is, when the export holds only scores (`sources.csv.roster`).
    pub roster: Option<&'a Roster>,
}

impl<'a> CsvMapping<'a> {
    /// Reading by `settings` alone: credit ids and identities as the export writes them.
    pub fn plain(settings: &'a CsvSettings) -> CsvMapping<'a> {
        CsvMapping { settings, credits: None, roster: None }
    }
}

/// A roster: who each student is, by student id, with the cells that say so.
#[derive(Debug, Default)]
pub struct Roster {
    students: HashMap<String, BTreeMap<&'static str, (String, Cell)>>,
    /// Ids given twice with different identities, with where.
    clashes: HashMap<String, Diagnostic>,
    file: Option<Arc<Path>>,
}

/// The record fields a CSV column can fill, with the name of the setting that names it.
fn csv_fields(columns: &CsvColumns) -> Vec<(&'static str, Option<&str>)> {
    vec![
        ("student_id", Some(&columns.student_id)),
        ("legal_name", columns.legal_name.as_deref()),
        ("given_name", columns.given_name.as_deref()),
        ("family_name", columns.family_name.as_deref()),
        ("preferred_name", columns.preferred_name.as_deref()),
        ("birth_date", columns.birth_date.as_deref()),
        ("expected_graduation", columns.expected_graduation.as_deref()),
        ("credit", Some(&columns.credit)),
        ("credit_title", columns.credit_title.as_deref()),
        ("score", Some(&columns.score)),
        ("date", Some(&columns.date)),
        ("assessor", Some(&columns.assessor)),
        ("work_sample_url", columns.work_sample_url.as_deref()),
        ("work_sample_title", columns.work_sample_title.as_deref()),
        ("note", columns.note.as_deref()),
        ("weight", columns.weight.as_deref()),
        ("highlight", columns.highlight.as_deref()),
    ]
}

/// The CSV fields that go into a piece of evidence as they are (a work sample goes in by id).
const EVIDENCE_FIELDS: [&str; 6] = ["credit", "score", "date", "assessor", "note", "weight"];

/// The columns that say who a student is: every row of a student must agree on each.
const IDENTITY_FIELDS: [&str; 6] =
    ["legal_name", "given_name", "family_name", "preferred_name", "birth_date", "expected_graduation"];

/// A student assembled from CSV rows.
struct CsvStudent {
    value: Map<String, Value>,
    cells: CellMap,
    /// Each identity column's value, from the first row that gives it, and that row's line.
    identity: BTreeMap<&'static str, (String, Cell)>,
    evidence: Vec<Value>,
    samples: Vec<(String, Vec<String>, Value)>, // url, credits, sample
    highlights: Vec<String>,
    /// Each evidence row seen, by its contents, with its line.
    rows: HashMap<Vec<Option<String>>, usize>,
    /// Each result of a preset's report (outcome, assessment, question, attempt), with its line
    /// and score.
    results: HashMap<Vec<Option<String>>, (usize, Option<String>)>,
    /// Problems that leave the student out: rows that disagree, numbers that cannot be read.
    problems: Vec<Diagnostic>,
    notes: Vec<Diagnostic>,
}

fn at_line(diagnostic: Diagnostic, line: usize) -> Diagnostic {
    diagnostic.at(Position { line, column: 0, start: 0, end: 0 })
}

/// Values of the credit or assessor column that the school's map does not know: their rows
/// are left out, and each value is one error.
#[derive(Default)]
struct Unmapped {
    /// (setting, value) to the first line and column it is on, the rows, and a title.
    found: BTreeMap<(&'static str, String), (usize, String, usize, String)>,
}

impl Unmapped {
    fn add(&mut self, setting: &'static str, (value, cell): &(String, Cell), title: &str) {
        let column = cell.column.as_deref().unwrap_or_default().to_string();
        let entry = self.found.entry((setting, value.clone())).or_insert((cell.line, column, 0, String::new()));
        entry.2 += 1;
        if entry.3.is_empty() {
            entry.3 = title.to_string();
        }
    }
}

/// Reads the records of a CSV export (its whole bytes) and hands each to `each`: each student
/// whose rows agree as a document, every other student or row as a rejection.
pub fn read_csv(path: &Path, bytes: Vec<u8>, mapping: &CsvMapping, each: &mut impl FnMut(Record)) {
    let mut survey = Survey::default();
    let unmapped = read(path, bytes, mapping, each, &mut survey);
    let mut problems = Vec::new();
    for ((setting, value), (line, column, rows, title)) in unmapped.found {
        let left_out =
            format!("so its {} left out", if rows == 1 { "row is".to_string() } else { format!("{rows} rows are") });
        let problem = if setting == "csv/credits" {
            let near = mapping
                .credits
                .as_ref()
                .map_or(String::new(), |c| c.near(if title.is_empty() { &value } else { &title }));
            let named = if title.is_empty() { String::new() } else { format!(" (\"{title}\")") };
            Diagnostic::error(path, format!("{column} \"{value}\"{named} maps to no credit, {left_out}"))
                .hint(format!("map it in school.json: sources.csv.credits: {{\"{value}\": \"CREDIT-ID\"}}{near}, or to null to leave its rows out on purpose; `mastery map` proposes the map"))
        } else {
            Diagnostic::error(path, format!("{column} \"{value}\" names no teacher, {left_out}"))
                .hint(format!("say who teaches it in school.json: sources.csv.assessors: {{\"{value}\": \"Ms. Rivera\"}}; the teacher is the assessor of its evidence"))
        };
        problems.push(at_line(problem, line).with_column(column));
    }
    if !problems.is_empty() {
        each(Err(Rejected::unknown(problems)));
    }
}

/// What a CSV export holds that `school.json` does not map yet: outcome ids that map to no
/// credit, sections with no teacher, scores not in `sources.csv.scores`.
pub fn survey(path: &Path, bytes: Vec<u8>, mapping: &CsvMapping) -> Survey {
    let mut survey = Survey::default();
    let unmapped = read(path, bytes, mapping, &mut |_| {}, &mut survey);
    for ((setting, value), (_, _, rows, title)) in unmapped.found {
        let entry = survey.ids.entry((setting, value)).or_default();
        entry.0 += rows;
        if !title.is_empty() {
            entry.1.insert(title);
        }
    }
    survey
}

#[allow(clippy::disallowed_types, reason = "only whether the cell reads as a number, to word the message")]
fn read(
    path: &Path,
    mut bytes: Vec<u8>,
    mapping: &CsvMapping,
    each: &mut impl FnMut(Record),
    survey: &mut Survey,
) -> Unmapped {
    let settings = mapping.settings;
    let mut unmapped = Unmapped::default();
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        each(Err(Rejected::of(
            Diagnostic::error(path, "file is empty")
                .at(Position { line: 1, column: 1, start: 0, end: 0 })
                .hint("export the gradebook with a header row, or delete the file"),
        )));
        return unmapped;
    }
    let mut reader =
        csv::ReaderBuilder::new().delimiter(settings.delimiter_byte()).flexible(true).from_reader(bytes.as_slice());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => {
            each(Err(Rejected::of(csv_error(path, &error))));
            return unmapped;
        }
    };
    let header_names: Vec<&str> = headers.iter().map(str::trim).collect();
    let Some(index) = map_columns(path, settings, mapping.roster.is_some(), &header_names, each) else {
        return unmapped;
    };
    // The preset's columns that tell two results apart, where the header has them.
    let distinct: Vec<usize> = settings
        .preset
        .map(|p| p.distinct_columns())
        .unwrap_or_default()
        .iter()
        .filter_map(|name| header_names.iter().position(|h| h == name))
        .collect();
    let credits = mapping.credits.as_ref().filter(|_| settings.maps_credits());
    let note_detail = settings.preset.and_then(|p| header_names.iter().position(|h| *h == p.note_detail_column()));

    // Group the rows by student, in order of first appearance.
    let mut order: Vec<String> = Vec::new();
    let mut students: BTreeMap<String, CsvStudent> = BTreeMap::new();
    let mut without_id = Vec::new();
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                each(Err(Rejected::of(csv_error(path, &error))));
                continue;
            }
        };
        let line = row.position().map_or(0, |p| line_of(&bytes, p.byte() as usize));
        if row.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let get = |field: &str| -> Option<(String, Cell)> {
            let (i, name) = index.get(field)?;
            let text = row.get(*i)?.trim();
            (!text.is_empty()).then(|| (text.to_string(), Cell::new(line, Some(name.clone()))))
        };
        let Some((id, id_cell)) = get("student_id") else {
            without_id.push(
                at_line(Diagnostic::error(path, "row has no student id"), line)
                    .with_column(index["student_id"].1.clone())
                    .hint("fill in the student id, or delete the row"),
            );
            continue;
        };
        let student = students.entry(id.clone()).or_insert_with(|| {
            order.push(id.clone());
            let mut cells = CellMap::default();
            cells.insert(String::new(), Cell::new(line, None));
            cells.insert("/id".to_string(), id_cell.clone());
            CsvStudent {
                value: Map::from_iter([("id".to_string(), json!(id))]),
                cells,
                identity: BTreeMap::new(),
                evidence: Vec::new(),
                samples: Vec::new(),
                highlights: Vec::new(),
                rows: HashMap::new(),
                results: HashMap::new(),
                problems: Vec::new(),
                notes: Vec::new(),
            }
        });

        // Identity, column by column: the first row that gives a value sets it; later rows
        // must agree.
        for field in IDENTITY_FIELDS {
            let Some((text, cell)) = get(field) else { continue };
            let text = if matches!(field, "birth_date" | "expected_graduation") { settings.date(&text) } else { text };
            match student.identity.get(field) {
                None => {
                    student.identity.insert(field, (text, cell));
                }
                Some((first, first_cell)) if *first != text => {
                    let column = cell.column.as_deref().unwrap_or_default().to_string();
                    student.problems.push(
                        at_line(
                            Diagnostic::error(
                                path,
                                format!(
                                    "student {id} has {} here, but {} on line {}",
                                    json!(text),
                                    json!(first),
                                    first_cell.line
                                ),
                            ),
                            line,
                        )
                        .with_column(column)
                        .pointer(identity_pointer(field))
                        .hint("every row of a student gives the same name, birth date and graduation date; a different one usually means a mistyped student id, which would put another student's evidence on this transcript: the student is left out until the rows agree"),
                    );
                }
                Some(_) => {}
            }
        }

        // A highlight, once however many rows repeat it.
        let highlight = get("highlight");
        if let Some((text, cell)) = &highlight
            && !student.highlights.contains(text)
        {
            student.cells.insert(format!("/highlights/{}", student.highlights.len()), cell.clone());
            student.highlights.push(text.clone());
        }
        let evidence_fields = EVIDENCE_FIELDS.iter().chain(&["work_sample_url"]);
        let mut contents: Vec<Option<String>> =
            evidence_fields.clone().map(|field| get(field).map(|(text, _)| text)).collect();
        if highlight.is_some() && contents.iter().all(Option::is_none) {
            continue;
        }

        // A gradebook's own outcome id and section, turned into a credit and a teacher.
        let mut credit = None;
        if let Some(credits) = credits
            && let Some(found) = get("credit")
        {
            match credits.resolve(&settings.credits, &found.0) {
                Target::Credit(id) => credit = Some(id),
                Target::Ignored => continue,
                Target::Unknown => {
                    let title = get("credit_title").map(|(t, _)| t).unwrap_or_default();
                    unmapped.add("csv/credits", &found, &title);
                    continue;
                }
            }
        }
        let mut assessor = None;
        if settings.maps_assessors()
            && let Some(found) = get("assessor")
        {
            match settings.assessors.get(&found.0) {
                Some(teacher) => assessor = Some(teacher.as_str()),
                None => {
                    unmapped.add("csv/assessors", &found, "");
                    continue;
                }
            }
        }

        let distinct: Vec<Option<String>> =
            distinct.iter().map(|i| row.get(*i).map(|t| t.trim().to_string())).collect();
        if !distinct.is_empty() {
            // One result of one assessment scored twice, differently: which is the student's?
            let mut result = vec![get("credit").map(|(t, _)| t)];
            result.extend(distinct.iter().cloned());
            let score = get("score");
            let text = score.as_ref().map(|(t, _)| t.clone());
            match student.results.get(&result) {
                Some((first, first_score)) if *first_score != text => {
                    let column = score.map_or_else(
                        || index["score"].1.clone(),
                        |(_, c)| c.column.as_deref().unwrap_or_default().to_string(),
                    );
                    student.problems.push(
                        at_line(Diagnostic::error(path, format!("this result of the same assessment, question and attempt has another score than line {first}")), line)
                            .with_column(column)
                            .hint("the report holds two scores for one result; export the report again (a result changed while it ran?): the student is left out until the rows agree"),
                    );
                }
                Some(_) => {}
                None => {
                    student.results.insert(result, (line, text));
                }
            }
        }
        contents.extend(distinct);
        if let Some(first) = student.rows.get(&contents) {
            student.notes.push(
                at_line(Diagnostic::warning(path, format!("this row repeats line {first} exactly")), line).hint(
                    "the same evidence exported twice (a student in two sections?) counts twice: delete one of the two rows",
                ),
            );
        } else {
            student.rows.insert(contents, line);
        }

        // The evidence of this row.
        let i = student.evidence.len();
        let mut evidence = Map::new();
        let base = format!("/evidence/{i}");
        student.cells.insert(base.clone(), Cell::new(line, None));
        for field in EVIDENCE_FIELDS {
            let Some((text, cell)) = get(field) else { continue };
            let value = match field {
                "score" if !settings.scores.is_empty() => match settings.scores.get(&text) {
                    Some(level) => super::credits::number(*level),
                    None => {
                        survey.score("csv/scores", &text);
                        student.problems.push(
                            at_line(
                                Diagnostic::error(path, format!("the score \"{text}\" is not in sources.csv.scores")),
                                line,
                            )
                            .with_column(cell.column.as_deref().unwrap_or_default().to_string())
                            .pointer(format!("{base}/score"))
                            .hint(format!("map it to a level in school.json: sources.csv.scores: {{\"{text}\": LEVEL}}; the student is left out until every score maps")),
                        );
                        json!(text)
                    }
                },
                "score" | "weight" => match inexact(&text) {
                    Some(reason) if text.parse::<f64>().is_ok() => {
                        student.problems.push(
                            at_line(
                                Diagnostic::error(
                                    path,
                                    format!("the number {text} {reason}, so it cannot be read exactly"),
                                ),
                                line,
                            )
                            .with_column(cell.column.as_deref().unwrap_or_default().to_string())
                            .pointer(format!("{base}/{field}"))
                            .hint(super::json::LIMITS),
                        );
                        json!(text)
                    }
                    _ => number(&text),
                },
                "date" => json!(settings.date(&text)),
                "credit" => json!(credit.unwrap_or(&text)),
                "note" => match note_detail.and_then(|i| row.get(i)).map(str::trim).filter(|d| !d.is_empty()) {
                    Some(detail) => json!(format!("{text}: {detail}")),
                    None => json!(text),
                },
                "assessor" => json!(assessor.unwrap_or(&text)),
                _ => json!(text),
            };
            evidence.insert(field.to_string(), value);
            student.cells.insert(format!("{base}/{field}"), cell);
        }
        if let Some((url, cell)) = get("work_sample_url") {
            let credit = evidence.get("credit").and_then(Value::as_str).unwrap_or_default().to_string();
            let position = match student.samples.iter().position(|(u, _, _)| *u == url) {
                Some(position) => position,
                None => {
                    let j = student.samples.len();
                    let title = get("work_sample_title").map_or_else(|| "Work sample".to_string(), |(t, _)| t);
                    let sample = json!({
                        "id": format!("ws-{}", j + 1),
                        "title": title,
                        "description": get("note").map_or_else(|| format!("Evidence for {credit}"), |(n, _)| n),
                        "url": url,
                        "date": evidence.get("date").cloned().unwrap_or(Value::Null),
                    });
                    student.cells.insert(format!("/work_samples/{j}"), Cell::new(line, None));
                    student.cells.insert(format!("/work_samples/{j}/url"), cell.clone());
                    student.samples.push((url.clone(), Vec::new(), sample));
                    j
                }
            };
            let credits = &mut student.samples[position].1;
            if !credits.contains(&credit) {
                credits.push(credit);
            }
            evidence.insert("work_sample".to_string(), json!(format!("ws-{}", position + 1)));
            student.cells.insert(format!("{base}/work_sample"), cell);
        }
        student.evidence.push(Value::Object(evidence));
    }

    for id in order {
        let mut student = students.remove(&id).expect("every id in order is a student");
        if let Some(roster) = mapping.roster {
            roster.identify(path, &id, &mut student);
        }
        if !student.problems.is_empty() {
            each(Err(Rejected { student: Some(id), diagnostics: student.problems }));
            continue;
        }
        identity_into_record(&mut student);
        student.value.insert("evidence".to_string(), Value::Array(student.evidence));
        let samples: Vec<Value> = student
            .samples
            .into_iter()
            .map(|(_, credits, mut sample)| {
                sample["credits"] = json!(credits);
                sample
            })
            .collect();
        if !samples.is_empty() {
            student.value.insert("work_samples".to_string(), Value::Array(samples));
        }
        if !student.highlights.is_empty() {
            student.value.insert("highlights".to_string(), json!(student.highlights));
        }
        each(Ok(Document::from_cells(path.to_path_buf(), Value::Object(student.value), student.cells, student.notes)));
    }
    if !without_id.is_empty() {
        each(Err(Rejected { student: None, diagnostics: without_id }));
    }
    unmapped
}

/// Where an identity column goes in the record.
fn identity_pointer(field: &str) -> &'static str {
    match field {
        "preferred_name" => "/name/preferred",
        "birth_date" => "/birth_date",
        "expected_graduation" => "/expected_graduation",
        _ => "/name/legal",
    }
}

/// Puts the identity columns into the record: the legal name from its own column, or from the
/// given and family names joined.
fn identity_into_record(student: &mut CsvStudent) {
    let identity = &student.identity;
    let legal = identity.get("legal_name").cloned().or_else(|| {
        let (given, cell) = identity.get("given_name")?;
        let (family, _) = identity.get("family_name")?;
        Some((format!("{given} {family}"), cell.clone()))
    });
    let mut name = Map::new();
    for (key, found) in [("legal", legal), ("preferred", identity.get("preferred_name").cloned())] {
        if let Some((text, cell)) = found {
            name.insert(key.to_string(), json!(text));
            student.cells.insert(format!("/name/{key}"), cell);
        }
    }
    if !name.is_empty() {
        student.value.insert("name".to_string(), Value::Object(name));
    }
    for field in ["birth_date", "expected_graduation"] {
        if let Some((text, cell)) = identity.get(field) {
            student.value.insert(field.to_string(), json!(text));
            student.cells.insert(format!("/{field}"), cell.clone());
        }
    }
}

/// Finds each mapped column in the header: its index and header name. Refuses (through `each`)
/// a header that lacks a column or names one twice. With a roster, the identity columns are
/// the roster's, not the export's.
fn map_columns(
    path: &Path,
    settings: &CsvSettings,
    roster: bool,
    header: &[&str],
    each: &mut impl FnMut(Record),
) -> Option<BTreeMap<&'static str, (usize, String)>> {
    let columns = &settings.columns;
    let mut index: BTreeMap<&'static str, (usize, String)> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut missing = Vec::new();
    let required = ["student_id", "birth_date", "expected_graduation", "credit", "score", "date", "assessor"];
    for (field, name) in csv_fields(columns) {
        if roster && IDENTITY_FIELDS.contains(&field) {
            continue;
        }
        let Some(name) = name else {
            if !roster && matches!(field, "birth_date" | "expected_graduation") {
                let what = field.replace('_', " ");
                problems.push(
                    at_line(Diagnostic::error(path, format!("the export has no {what} column, and school.json names no roster")), 1)
                        .hint(format!("a gradebook report says who scored what, not who the students are: name a roster in school.json, sources.csv.roster (a CSV with student_id, legal_name, birth_date and expected_graduation), or the {what} column in sources.csv.columns.{field}")),
                );
            }
            continue;
        };
        let found: Vec<usize> = header.iter().enumerate().filter(|(_, h)| **h == name).map(|(i, _)| i).collect();
        match found.as_slice() {
            [i] => {
                index.insert(field, (*i, name.to_string()));
            }
            [] if required.contains(&field) || !default_column(field) => missing.push((field, name)),
            [] => {}
            [first, second, ..] => problems.push(
                at_line(
                    Diagnostic::error(
                        path,
                        format!(
                            "the header has the column \"{name}\" twice (columns {} and {})",
                            first + 1,
                            second + 1
                        ),
                    ),
                    1,
                )
                .hint("rename or remove one of them: mastery would not know which one to read"),
            ),
        }
    }
    let has_name =
        index.contains_key("legal_name") || (index.contains_key("given_name") && index.contains_key("family_name"));
    if !roster && !has_name && !missing.iter().any(|(f, _)| f.ends_with("name")) && problems.is_empty() {
        missing.push(("legal_name", columns.legal_name.as_deref().unwrap_or("legal_name")));
    }
    let canvas =
        settings.preset.is_none() && ["student sis id", "learning outcome id"].iter().all(|c| header.contains(c));
    if canvas && !missing.is_empty() {
        missing.clear();
        problems.push(
            at_line(Diagnostic::error(path, "this is Canvas's Outcome Results report, which school.json does not say how to read"), 1)
                .hint("set sources.csv.preset to \"canvas-outcome-results\" in school.json, with a roster of who the students are (sources.csv.roster), each outcome's credit (sources.csv.credits) and each section's teacher (sources.csv.assessors)"),
        );
    }
    for (field, name) in missing {
        let hint = match closest(name, header.iter().copied()) {
            Some(guess) => {
                format!("did you mean \"{guess}\"? Map the {field} column in school.json: sources.csv.columns.{field}")
            }
            None => format!(
                "the header has {}; map the {field} column in school.json: sources.csv.columns.{field}",
                quoted(header)
            ),
        };
        problems.push(
            at_line(Diagnostic::error(path, format!("the header has no column \"{name}\" for {field}")), 1).hint(hint),
        );
    }
    if problems.is_empty() {
        Some(index)
    } else {
        each(Err(Rejected { student: None, diagnostics: problems }));
        None
    }
}

impl Roster {
    /// Reads a roster (its whole bytes): one row per student, with the columns `student_id`,
    /// `legal_name` (or `given_name` and `family_name`), `preferred_name` if it has one,
    /// `birth_date` and `expected_graduation`. Dates follow `settings.date_format` where they
    /// can. A header without those columns is refused.
    pub fn read(path: &Path, mut bytes: Vec<u8>, settings: &CsvSettings) -> Result<Roster, Vec<Diagnostic>> {
        if bytes.starts_with(b"\xef\xbb\xbf") {
            bytes.drain(..3);
        }
        let mut reader =
            csv::ReaderBuilder::new().delimiter(settings.delimiter_byte()).flexible(true).from_reader(bytes.as_slice());
        let header: Vec<String> = match reader.headers() {
            Ok(header) => header.iter().map(|h| h.trim().to_string()).collect(),
            Err(error) => return Err(vec![csv_error(path, &error)]),
        };
        let at = |name: &str| header.iter().position(|h| h == name);
        let has_name = at("legal_name").is_some() || (at("given_name").is_some() && at("family_name").is_some());
        let mut problems = Vec::new();
        for (name, found) in [
            ("student_id", at("student_id").is_some()),
            ("legal_name", has_name),
            ("birth_date", at("birth_date").is_some()),
            ("expected_graduation", at("expected_graduation").is_some()),
        ] {
            if !found {
                let hint = match closest(name, header.iter().map(String::as_str)) {
                    Some(guess) => format!("did you mean \"{guess}\"? A roster's header names its columns student_id, legal_name (or given_name and family_name), preferred_name, birth_date and expected_graduation"),
                    None => "a roster's header names its columns student_id, legal_name (or given_name and family_name), preferred_name, birth_date and expected_graduation".to_string(),
                };
                problems.push(
                    at_line(Diagnostic::error(path, format!("the roster has no column \"{name}\"")), 1).hint(hint),
                );
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let file: Arc<Path> = Arc::from(path);
        let mut roster = Roster { file: Some(file.clone()), ..Roster::default() };
        for row in reader.records() {
            let row = row.map_err(|error| vec![csv_error(path, &error)])?;
            let line = row.position().map_or(0, |p| line_of(&bytes, p.byte() as usize));
            let cell = |field: &'static str| -> Option<(String, Cell)> {
                let i = at(field)?;
                let text = row.get(i)?.trim();
                let cell = Cell { line, column: Some(Cow::Borrowed(field)), file: Some(file.clone()) };
                (!text.is_empty()).then(|| (text.to_string(), cell))
            };
            let Some((id, _)) = cell("student_id") else { continue };
            let mut identity = BTreeMap::new();
            for field in IDENTITY_FIELDS {
                if let Some((text, cell)) = cell(field) {
                    let text = if field.ends_with("_date") || field == "expected_graduation" {
                        settings.date(&text)
                    } else {
                        text
                    };
                    identity.insert(field, (text, cell));
                }
            }
            match roster.students.get(&id) {
                None => {
                    roster.students.insert(id, identity);
                }
                Some(first) => {
                    fn texts<'m>(m: &'m BTreeMap<&'static str, (String, Cell)>) -> Vec<(&'static str, &'m str)> {
                        m.iter().map(|(k, (t, _))| (*k, t.as_str())).collect()
                    }
                    if texts(first) != texts(&identity) && !roster.clashes.contains_key(&id) {
                        let first_line = first.values().next().map_or(0, |(_, c)| c.line);
                        let clash = at_line(
                            Diagnostic::error(path, format!("the roster gives student {id} twice, here and on line {first_line}, as two different people")),
                            line,
                        )
                        .with_column("student_id")
                        .hint("one student id with two identities would put one student's evidence on another's transcript: correct the roster; the student is left out until then");
                        roster.clashes.insert(id, clash);
                    }
                }
            }
        }
        Ok(roster)
    }

    /// Puts the roster's identity of student `id` into `student`, or a problem when the roster
    /// does not know the student or knows two.
    fn identify(&self, path: &Path, id: &str, student: &mut CsvStudent) {
        let roster = self.file.as_deref().map_or_else(|| "the roster".to_string(), |f| f.display().to_string());
        if let Some(clash) = self.clashes.get(id) {
            student.problems.push(clash.clone());
        } else if let Some(identity) = self.students.get(id) {
            student.identity = identity.clone();
        } else {
            let first = student.cells.get("/id").cloned().unwrap_or_else(|| Cell::new(1, None));
            student.problems.push(
                at_line(Diagnostic::error(path, format!("student {id} has scores here but is not in {roster}")), first.line)
                    .with_column(first.column.as_deref().unwrap_or_default().to_string())
                    .hint("add the student to the roster (its name, birth date and expected graduation), or correct the student id: the student is left out until then"),
            );
        }
    }
}

/// The 1-based line on which a CSV record starting at byte `offset` begins. (The csv crate's own
/// line count lags behind on CRLF files.)
fn line_of(bytes: &[u8], offset: usize) -> usize {
    let mut start = offset.min(bytes.len());
    while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
        start += 1;
    }
    bytes[..start].iter().filter(|b| **b == b'\n').count() + 1
}

/// Optional columns a school need not have when it keeps the default mapping.
fn default_column(field: &str) -> bool {
    matches!(
        field,
        "legal_name"
            | "given_name"
            | "family_name"
            | "preferred_name"
            | "work_sample_url"
            | "work_sample_title"
            | "note"
            | "weight"
            | "highlight"
    )
}

#[allow(clippy::disallowed_types, reason = "only whether the cell reads as a number, to word the message")]
fn number(text: &str) -> Value {
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => serde_json::Number::from_f64(n).map_or_else(|| json!(text), Value::Number),
        _ => json!(text),
    }
}

/// A CSV reader's error, placed on its line.
pub(crate) fn csv_error(path: &Path, error: &csv::Error) -> Diagnostic {
    let line = error.position().map_or(1, |p| p.line() as usize);
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "row is not valid UTF-8 text".to_string(),
        _ => format!("failed to read CSV ({error})"),
    };
    at_line(Diagnostic::error(path, message), line).hint("export the file again as UTF-8 CSV")
}
