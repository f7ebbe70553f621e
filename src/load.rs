//! Stage 1, load: read a school folder and turn each student's record into a JSON document.
//!
//! A school folder holds `school.json`, the files it names (the logo), and a `students/`
//! folder whose files may mix three kinds of source:
//! - `*.json`: one student per file;
//! - `*.jsonl`: JSON Lines, one student per line, read as a stream;
//! - `*.csv`: an export from a student information system, one row per evidence score; the
//!   rows of each student become one record (see [`crate::model::CsvSettings`] for the column
//!   mapping).
//!
//! Every record becomes a [`Document`]: a JSON value plus what is needed to say where in the
//! file any part of it came from. Bad bytes or syntax are diagnostics; only a folder or file that
//! cannot be read at all is an [`io::Error`]. This is the only module that reads files.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use jsonc_parser::ast;
use jsonc_parser::common::Ranged;
use serde_json::{Map, Value, json};

use crate::diag::{Checked, Diagnostic, Position, Severity};
use crate::model::{CsvColumns, CsvSettings};

/// The largest single record accepted (a JSON file, or one line of a JSON Lines file): far
/// above any real student record.
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// One record as JSON, with its origin for locating problems in it.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it came from, as the user would type it (the school folder joined with the
    /// file name).
    pub path: PathBuf,
    pub value: Value,
    pub origin: Origin,
}

/// Where a document's values stand in its file.
#[derive(Debug, Clone)]
pub enum Origin {
    /// JSON text. For a JSON Lines record, `first_line` is the line of the file it is on.
    Json { text: String, first_line: usize },
    /// CSV rows: for each JSON Pointer of the built record, the line and column it came from.
    Csv { cells: BTreeMap<String, Cell> },
}

/// A place in a CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub line: usize,
    /// The header of the column, or `None` for the whole row.
    pub column: Option<String>,
}

impl Document {
    /// A diagnostic about the value at `pointer` (with `key`, about its property name).
    pub fn diagnostic(&self, severity: Severity, pointer: &str, key: bool, message: impl Into<String>) -> Diagnostic {
        let mut diagnostic = Diagnostic::error(&self.path, message).pointer(pointer);
        diagnostic.severity = severity;
        match &self.origin {
            Origin::Json { text, first_line } => {
                let position = locate(text, pointer, key).unwrap_or(Position { line: 1, column: 1, start: 0, end: 0 });
                diagnostic.in_text(text, position, *first_line)
            }
            Origin::Csv { cells } => {
                // The value itself, or the nearest enclosing value that came from a cell.
                let mut search = pointer;
                loop {
                    if let Some(cell) = cells.get(search) {
                        let mut diagnostic = diagnostic.at(Position { line: cell.line, column: 0, start: 0, end: 0 });
                        diagnostic.column_name = cell.column.clone();
                        return diagnostic;
                    }
                    match search.rfind('/') {
                        Some(cut) => search = &search[..cut],
                        None => return diagnostic,
                    }
                }
            }
        }
    }

    pub fn error(&self, pointer: &str, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(Severity::Error, pointer, false, message)
    }

    pub fn warning(&self, pointer: &str, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(Severity::Warning, pointer, false, message)
    }
}

/// A file of a template: its path inside the template's world (from the template folder, with
/// `/` separators) and its bytes.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// A file that is not JSON, such as the school's logo.
#[derive(Debug, Clone)]
pub struct Asset {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Json,
    JsonLines,
    Csv,
}

/// A file of student records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub path: PathBuf,
    pub kind: SourceKind,
}

/// A school folder: `school.json` parsed, its logo read, and its student files listed.
#[derive(Debug, Clone)]
pub struct SchoolFolder {
    pub dir: PathBuf,
    /// `None` when `school.json` could not be parsed (a diagnostic says why).
    pub school: Option<Document>,
    pub logo: Option<Asset>,
    /// Student files in name order, so every run reads them in the same order.
    pub sources: Vec<Source>,
}

/// Reads `school.json` and the logo, and lists the student files.
pub fn load(dir: &Path) -> io::Result<Checked<SchoolFolder>> {
    let mut diagnostics = Vec::new();
    let meta = fs::metadata(dir).map_err(|e| with_path(e, dir))?;
    if !meta.is_dir() {
        return Err(io::Error::new(io::ErrorKind::NotADirectory, format!("{} is not a folder", dir.display())));
    }
    let school_path = dir.join("school.json");
    if !school_path.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} has no school.json; a school folder holds school.json and a students/ folder", dir.display()),
        ));
    }
    let school = read_json_file(&school_path, &mut diagnostics)?;
    let logo = match &school {
        Some(document) => read_logo(dir, document, &mut diagnostics)?,
        None => None,
    };

    let students_dir = dir.join("students");
    let mut sources = Vec::new();
    if students_dir.is_dir() {
        for entry in fs::read_dir(&students_dir).map_err(|e| with_path(e, &students_dir))? {
            let path = entry.map_err(|e| with_path(e, &students_dir))?.path();
            let kind = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
                Some("json") => SourceKind::Json,
                Some("jsonl") => SourceKind::JsonLines,
                Some("csv") => SourceKind::Csv,
                _ => continue,
            };
            if path.is_file() {
                sources.push(Source { path, kind });
            }
        }
    } else {
        diagnostics.push(
            Diagnostic::warning(
                &students_dir,
                "the school folder has no students/ folder, so there is nothing to build",
            )
            .hint("put student records in students/: one .json file per student, .jsonl files or .csv exports"),
        );
    }
    sources.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Checked::new(SchoolFolder { dir: dir.to_path_buf(), school, logo, sources }, diagnostics))
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("cannot read {}: {error}", path.display()))
}

/// One record read from a source: a document, or the reason there is none.
pub type Record = Result<Document, Box<Diagnostic>>;

/// Reads the records of one student file and hands each to `each`, in file order. JSON Lines
/// files are read line by line, never whole. `csv` maps the columns of CSV files.
pub fn read_source(source: &Source, csv: &CsvSettings, mut each: impl FnMut(Record)) -> io::Result<()> {
    match source.kind {
        SourceKind::Json => {
            let mut diagnostics = Vec::new();
            if let Some(document) = read_json_file(&source.path, &mut diagnostics)? {
                each(Ok(document));
            }
            diagnostics.into_iter().for_each(|d| each(Err(Box::new(d))));
        }
        SourceKind::JsonLines => read_json_lines(&source.path, &mut each)?,
        SourceKind::Csv => read_csv(&source.path, csv, &mut each)?,
    }
    Ok(())
}

/// Reads and parses one JSON file. A file whose bytes or syntax are wrong gives a diagnostic
/// and `None`; only a file that cannot be read at all is an error.
fn read_json_file(path: &Path, diagnostics: &mut Vec<Diagnostic>) -> io::Result<Option<Document>> {
    let file = fs::File::open(path).map_err(|e| with_path(e, path))?;
    let mut bytes = Vec::new();
    file.take(MAX_RECORD_BYTES + 1).read_to_end(&mut bytes).map_err(|e| with_path(e, path))?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        diagnostics.push(too_large(path, None));
        return Ok(None);
    }
    Ok(parse_json(path, bytes, 1).map_err(|d| diagnostics.push(*d)).ok())
}

fn too_large(path: &Path, line: Option<usize>) -> Diagnostic {
    let what = if line.is_some() { "record" } else { "file" };
    let diagnostic = Diagnostic::error(path, format!("{what} is larger than {} MB, far beyond any student record", MAX_RECORD_BYTES / (1024 * 1024)))
        .hint("a student's record is usually a few kilobytes; check that this is the right file, or split it into one record per student");
    diagnostic.at(Position { line: line.unwrap_or(1), column: 1, start: 0, end: 0 })
}

/// Decodes and parses the bytes of one JSON record that starts on `first_line` of its file. A
/// leading byte-order mark is dropped, and CRLF line ends are fine, as JSON allows any
/// whitespace.
pub fn parse_json(path: &Path, bytes: Vec<u8>, first_line: usize) -> Result<Document, Box<Diagnostic>> {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes());
            return Err(Box::new(
                Diagnostic::error(path, "file is not valid UTF-8 text")
                    .in_text(&text, Position::of_range(&text, valid, valid + 1), first_line)
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
                .at(Position { line: 1, column: 1, start: 0, end: 0 })
                .hint("write a JSON object into it, or delete it"),
        ));
    }
    match serde_json::from_str::<SizedValue>(&text) {
        Ok(SizedValue(value)) => {
            Ok(Document { path: path.to_path_buf(), value, origin: Origin::Json { text, first_line } })
        }
        Err(error) => {
            // serde_json counts columns in bytes; turn that into a character column.
            let line_start: usize = text.split_inclusive('\n').take(error.line().saturating_sub(1)).map(str::len).sum();
            let offset = line_start + error.column().saturating_sub(1);
            let message = error.to_string();
            let cause = message.split(" at line ").next().unwrap_or(&message);
            Err(Box::new(
                Diagnostic::error(path, format!("failed to parse JSON ({cause})"))
                    .in_text(&text, Position::of_range(&text, offset, offset + 1), first_line)
                    .hint("fix the JSON syntax here; a JSON linter or editor shows the same spot"),
            ))
        }
    }
}

/// A JSON value parsed the way serde_json's own `Value` does, except that each object's
/// members are collected first and its map is built at its final size. serde_json grows an
/// object's ordered map one key at a time, rehashing it as it fills, which showed near the top
/// of a validation run's profile. The value is the same, down to repeated keys: the last value
/// wins, in the place of the first.
struct SizedValue(Value);

impl<'de> serde::Deserialize<'de> for SizedValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SizedVisitor).map(SizedValue)
    }
}

struct SizedVisitor;

impl<'de> serde::de::Visitor<'de> for SizedVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(SizedValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Vec::new();
        while let Some((key, SizedValue(value))) = map.next_entry::<String, SizedValue>()? {
            members.push((key, value));
        }
        Ok(Value::Object(members.into_iter().collect()))
    }
}

fn read_json_lines(path: &Path, each: &mut impl FnMut(Record)) -> io::Result<()> {
    let mut reader = BufReader::new(fs::File::open(path).map_err(|e| with_path(e, path))?);
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        number += 1;
        line.clear();
        // Read at most one byte past the limit, so a huge line is never held whole.
        let read =
            (&mut reader).take(MAX_RECORD_BYTES + 1).read_until(b'\n', &mut line).map_err(|e| with_path(e, path))?;
        if read == 0 {
            return Ok(());
        }
        if line.len() as u64 > MAX_RECORD_BYTES {
            each(Err(Box::new(too_large(path, Some(number)))));
            // Skip the rest of the line.
            let mut rest = Vec::new();
            reader.read_until(b'\n', &mut rest).map_err(|e| with_path(e, path))?;
            continue;
        }
        if number == 1 && line.starts_with(b"\xef\xbb\xbf") {
            line.drain(..3);
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        // The next record is likely as long as this one: start its buffer at that size.
        let capacity = line.len();
        each(parse_json(path, std::mem::replace(&mut line, Vec::with_capacity(capacity)), number));
    }
}

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

/// A student assembled from CSV rows.
struct CsvStudent {
    value: Map<String, Value>,
    cells: BTreeMap<String, Cell>,
    evidence: Vec<Value>,
    samples: Vec<(String, Vec<String>, Value)>, // url, credits, sample
    highlights: Vec<String>,
}

fn read_csv(path: &Path, settings: &CsvSettings, each: &mut impl FnMut(Record)) -> io::Result<()> {
    let file = fs::File::open(path).map_err(|e| with_path(e, path))?;
    let mut bytes = Vec::new();
    BufReader::new(file).read_to_end(&mut bytes).map_err(|e| with_path(e, path))?;
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        each(Err(Box::new(
            Diagnostic::error(path, "file is empty")
                .at(Position { line: 1, column: 1, start: 0, end: 0 })
                .hint("export the gradebook with a header row, or delete the file"),
        )));
        return Ok(());
    }
    let mut reader =
        csv::ReaderBuilder::new().delimiter(settings.delimiter_byte()).flexible(true).from_reader(bytes.as_slice());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => {
            each(Err(Box::new(csv_error(path, &error))));
            return Ok(());
        }
    };
    let header_names: Vec<&str> = headers.iter().map(str::trim).collect();

    // Find each mapped column in the header.
    let mut index: BTreeMap<&'static str, (usize, String)> = BTreeMap::new();
    let mut missing = Vec::new();
    let columns = &settings.columns;
    let required = ["student_id", "birth_date", "expected_graduation", "credit", "score", "date", "assessor"];
    for (field, name) in csv_fields(columns) {
        let Some(name) = name else { continue };
        match header_names.iter().position(|h| *h == name) {
            Some(i) => {
                index.insert(field, (i, name.to_string()));
            }
            None if required.contains(&field) || !default_column(field) => missing.push((field, name)),
            None => {}
        }
    }
    let has_name =
        index.contains_key("legal_name") || (index.contains_key("given_name") && index.contains_key("family_name"));
    if !has_name && !missing.iter().any(|(f, _)| f.ends_with("name")) {
        missing.push(("legal_name", columns.legal_name.as_deref().unwrap_or("legal_name")));
    }
    if !missing.is_empty() {
        for (field, name) in missing {
            let hint = match crate::validate::closest(name, header_names.iter().copied()) {
                Some(guess) => format!(
                    "did you mean \"{guess}\"? Map the {field} column in school.json: sources.csv.columns.{field}"
                ),
                None => format!(
                    "the header has {}; map the {field} column in school.json: sources.csv.columns.{field}",
                    quote_all(&header_names)
                ),
            };
            each(Err(Box::new(
                Diagnostic::error(path, format!("the header has no column \"{name}\" for {field}"))
                    .at(Position { line: 1, column: 0, start: 0, end: 0 })
                    .hint(hint),
            )));
        }
        return Ok(());
    }

    // Group the rows by student, in order of first appearance.
    let mut order: Vec<String> = Vec::new();
    let mut students: BTreeMap<String, CsvStudent> = BTreeMap::new();
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                each(Err(Box::new(csv_error(path, &error))));
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
            (!text.is_empty()).then(|| (text.to_string(), Cell { line, column: Some(name.clone()) }))
        };
        let Some((id, id_cell)) = get("student_id") else {
            each(Err(Box::new(
                Diagnostic::error(path, "row has no student id")
                    .at(Position { line, column: 0, start: 0, end: 0 })
                    .with_column(index["student_id"].1.clone())
                    .hint("fill in the student id, or delete the row"),
            )));
            continue;
        };
        let student = students.entry(id.clone()).or_insert_with(|| {
            order.push(id.clone());
            let mut cells = BTreeMap::new();
            cells.insert(String::new(), Cell { line, column: None });
            cells.insert("/id".to_string(), id_cell.clone());
            CsvStudent {
                value: Map::from_iter([("id".to_string(), json!(id))]),
                cells,
                evidence: Vec::new(),
                samples: Vec::new(),
                highlights: Vec::new(),
            }
        });

        // Identity: the first row that has a value sets it; later rows must agree.
        let legal = get("legal_name").or_else(|| {
            let (given, cell) = get("given_name")?;
            let (family, _) = get("family_name")?;
            Some((format!("{given} {family}"), cell))
        });
        let identity = [
            ("/name/legal", legal),
            ("/name/preferred", get("preferred_name")),
            ("/birth_date", get("birth_date").map(|(v, c)| (settings.date(&v), c))),
            ("/expected_graduation", get("expected_graduation").map(|(v, c)| (settings.date(&v), c))),
        ];
        for (pointer, found) in identity {
            let Some((text, cell)) = found else { continue };
            let mut parts = pointer[1..].split('/');
            let first = parts.next().unwrap();
            let slot = match parts.next() {
                Some(second) => {
                    student.value.entry(first).or_insert_with(|| json!({})).as_object_mut().unwrap().entry(second)
                }
                None => student.value.entry(first),
            };
            match slot {
                serde_json::map::Entry::Vacant(vacant) => {
                    vacant.insert(json!(text));
                    student.cells.insert(pointer.to_string(), cell);
                }
                serde_json::map::Entry::Occupied(occupied) if occupied.get() != &json!(text) => {
                    let first_line = student.cells.get(pointer).map_or(0, |c| c.line);
                    each(Err(Box::new(
                        Diagnostic::error(
                            path,
                            format!(
                                "student {id} has {} here, but {} on line {first_line}",
                                json!(text),
                                occupied.get()
                            ),
                        )
                        .at(Position { line, column: 0, start: 0, end: 0 })
                        .with_column(cell.column.unwrap_or_default())
                        .pointer(pointer)
                        .hint("every row of a student must give the same name, birth date and graduation date"),
                    )));
                }
                serde_json::map::Entry::Occupied(_) => {}
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
        let no_evidence = || EVIDENCE_FIELDS.iter().chain(&["work_sample_url"]).all(|field| get(field).is_none());
        if highlight.is_some() && no_evidence() {
            continue;
        }

        // The evidence of this row.
        let i = student.evidence.len();
        let mut evidence = Map::new();
        let base = format!("/evidence/{i}");
        student.cells.insert(base.clone(), Cell { line, column: None });
        for field in EVIDENCE_FIELDS {
            let Some((text, cell)) = get(field) else { continue };
            let value = match field {
                "score" | "weight" => number(&text),
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
                    student.cells.insert(format!("/work_samples/{j}"), Cell { line, column: None });
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
        each(Ok(Document {
            path: path.to_path_buf(),
            value: Value::Object(student.value),
            origin: Origin::Csv { cells: student.cells },
        }));
    }
    Ok(())
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

fn number(text: &str) -> Value {
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => serde_json::Number::from_f64(n).map_or_else(|| json!(text), Value::Number),
        _ => json!(text),
    }
}

fn quote_all(names: &[&str]) -> String {
    names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

fn csv_error(path: &Path, error: &csv::Error) -> Diagnostic {
    let line = error.position().map_or(1, |p| p.line() as usize);
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "row is not valid UTF-8 text".to_string(),
        _ => format!("failed to read CSV ({error})"),
    };
    Diagnostic::error(path, message)
        .at(Position { line, column: 0, start: 0, end: 0 })
        .hint("export the file again as UTF-8 CSV")
}

/// Reads the logo named in `school.json`, which must lie inside the school folder.
fn read_logo(dir: &Path, school: &Document, diagnostics: &mut Vec<Diagnostic>) -> io::Result<Option<Asset>> {
    let Some(name) = school.value.pointer("/profile/logo").and_then(|v| v.as_str()) else {
        return Ok(None);
    };
    let problem = |message: String, hint: &str| school.error("/profile/logo", message).hint(hint.to_string());
    let relative = Path::new(name);
    if relative.is_absolute() || relative.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
        diagnostics.push(problem(
            format!("logo path \"{name}\" leaves the school folder"),
            "give a path inside the school folder, such as \"logo.png\"",
        ));
        return Ok(None);
    }
    let path = dir.join(relative);
    let extension = relative.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !matches!(extension.as_str(), "png" | "jpg" | "jpeg" | "svg") {
        diagnostics
            .push(problem(format!("logo \"{name}\" is not a PNG, JPEG or SVG file"), "convert the logo to PNG or SVG"));
        return Ok(None);
    }
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_file() => {
            Ok(Some(Asset { path: path.clone(), bytes: fs::read(&path).map_err(|e| with_path(e, &path))? }))
        }
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

/// How many records the sources hold, for a progress bar: one per JSON file, one per
/// non-blank line of a JSON Lines file. `None` when a CSV file makes it unknown without
/// reading it whole.
pub fn count_records(sources: &[Source]) -> io::Result<Option<u64>> {
    let mut count = 0;
    for source in sources {
        match source.kind {
            SourceKind::Json => count += 1,
            SourceKind::Csv => return Ok(None),
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

/// Reads any file the user named on the command line.
pub fn file(path: &Path) -> io::Result<Vec<u8>> {
    fs::read(path).map_err(|e| with_path(e, path))
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
                    let property = object.properties.into_iter().find(|p| p.name.as_str() == token)?;
                    range = if key { property.name.range() } else { property.value.range() };
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
        let error = parse_json(Path::new("x.json"), b"{\n  \"a\": ,\n}".to_vec(), 1).unwrap_err();
        assert_eq!(
            error.to_string(),
            "x.json:2:8: failed to parse JSON (expected value)\n  hint: fix the JSON syntax here; a JSON linter or editor shows the same spot"
        );
    }

    #[test]
    fn a_json_lines_record_reports_the_line_of_the_file() {
        let error = parse_json(Path::new("x.jsonl"), b"{\"a\": }".to_vec(), 7).unwrap_err();
        assert_eq!(error.position.map(|p| (p.line, p.column)), Some((7, 7)));
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let document = parse_json(Path::new("x.json"), b"\xef\xbb\xbf{\"a\": 1}".to_vec(), 1).unwrap();
        assert_eq!(document.value["a"], 1);
    }
}
