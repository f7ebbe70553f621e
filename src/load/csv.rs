//! CSV exports from a student information system: one row per piece of evidence, the rows of
//! each student (by `student_id`, wherever they are in the file) grouped into one record, in
//! the order students first appear.
//!
//! A student's rows must agree on who the student is: if any identity column differs between
//! rows (a mistyped student number puts another student's scores under this id), the student
//! is left out of every output, with each disagreement named by its line and column. A row
//! that repeats an earlier one exactly (the same evidence exported for two sections) is a
//! warning naming both lines.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{Map, Value, json};

use super::json::inexact;
use super::{Record, Rejected};
use crate::diag::{Diagnostic, Position};
use crate::document::{Cell, CellMap, Document};
use crate::hint::{closest, quoted};
use crate::model::{CsvColumns, CsvSettings};

/// The record fields a CSV column can fill, with the name of the setting that names it.
fn csv_fields(columns: &CsvColumns) -> Vec<(&'static str, Option<&str>)> {
    vec![
        ("student_id", Some(&columns.student_id)),
        ("legal_name", columns.legal_name.as_deref()),
        ("given_name", columns.given_name.as_deref()),
        ("family_name", columns.family_name.as_deref()),
        ("preferred_name", columns.preferred_name.as_deref()),
        ("birth_date", Some(&columns.birth_date)),
        ("expected_graduation", Some(&columns.expected_graduation)),
        ("credit", Some(&columns.credit)),
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
    /// Problems that leave the student out: rows that disagree, numbers that cannot be read.
    problems: Vec<Diagnostic>,
    notes: Vec<Diagnostic>,
}

fn at_line(diagnostic: Diagnostic, line: usize) -> Diagnostic {
    diagnostic.at(Position { line, column: 0, start: 0, end: 0 })
}

/// Reads the records of a CSV export (its whole bytes) and hands each to `each`: each student
/// whose rows agree as a document, every other student or row as a rejection.
#[allow(clippy::disallowed_types, reason = "only whether the cell reads as a number, to word the message")]
pub fn read_csv(path: &Path, mut bytes: Vec<u8>, settings: &CsvSettings, each: &mut impl FnMut(Record)) {
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        each(Err(Rejected::of(
            Diagnostic::error(path, "file is empty")
                .at(Position { line: 1, column: 1, start: 0, end: 0 })
                .hint("export the gradebook with a header row, or delete the file"),
        )));
        return;
    }
    let mut reader =
        csv::ReaderBuilder::new().delimiter(settings.delimiter_byte()).flexible(true).from_reader(bytes.as_slice());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => {
            each(Err(Rejected::of(csv_error(path, &error))));
            return;
        }
    };
    let header_names: Vec<&str> = headers.iter().map(str::trim).collect();
    let Some(index) = map_columns(path, &settings.columns, &header_names, each) else { return };

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
        let contents: Vec<Option<String>> =
            evidence_fields.clone().map(|field| get(field).map(|(text, _)| text)).collect();
        if highlight.is_some() && contents.iter().all(Option::is_none) {
            continue;
        }
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
/// a header that lacks a column or names one twice.
fn map_columns(
    path: &Path,
    columns: &CsvColumns,
    header: &[&str],
    each: &mut impl FnMut(Record),
) -> Option<BTreeMap<&'static str, (usize, String)>> {
    let mut index: BTreeMap<&'static str, (usize, String)> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut missing = Vec::new();
    let required = ["student_id", "birth_date", "expected_graduation", "credit", "score", "date", "assessor"];
    for (field, name) in csv_fields(columns) {
        let Some(name) = name else { continue };
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
    if !has_name && !missing.iter().any(|(f, _)| f.ends_with("name")) && problems.is_empty() {
        missing.push(("legal_name", columns.legal_name.as_deref().unwrap_or("legal_name")));
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
