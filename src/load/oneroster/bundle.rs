//! A OneRoster bundle as it lies in `students/`: a folder, or a `.zip`, holding `manifest.csv`
//! and the CSV files the manifest names. Tables are read one at a time, as a stream of rows,
//! so that a large `results.csv` is never held as text.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Position};
use crate::hint::{closest, quoted};

/// The largest table read from a bundle (after unzipping): far above any school's gradebook,
/// and a bound on a ZIP that unpacks without end.
const MAX_TABLE_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// How the manifest says a file is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Not in the bundle.
    Absent,
    /// The whole table: it replaces what earlier bundles gave.
    Bulk,
    /// Changes to the table, by `sourcedId`: rows added or replaced, or removed with `status`
    /// `tobedeleted`.
    Delta,
}

/// Where a row stands: its file and line.
#[derive(Debug, Clone)]
pub struct Place {
    /// The file, as the user would name it (`students/district.zip/results.csv`).
    pub file: Arc<Path>,
    /// Its line, from 1.
    pub line: u32,
}

impl Place {
    /// An error at this row (`column` names the cell).
    pub fn error(&self, column: Option<&str>, message: impl Into<String>) -> Diagnostic {
        let diagnostic = Diagnostic::error(self.file.to_path_buf(), message).at(Position {
            line: self.line as usize,
            column: 0,
            start: 0,
            end: 0,
        });
        match column {
            Some(column) => diagnostic.with_column(column.to_string()),
            None => diagnostic,
        }
    }

    /// A warning at this row.
    pub fn warning(&self, message: impl Into<String>) -> Diagnostic {
        let mut diagnostic = self.error(None, message);
        diagnostic.severity = crate::diag::Severity::Warning;
        diagnostic
    }

    /// The cell of `column` in this row, for a document's map of where its values came from.
    pub fn cell(&self, column: Option<&'static str>) -> crate::document::Cell {
        crate::document::Cell {
            line: self.line as usize,
            column: column.map(Cow::Borrowed),
            file: Some(self.file.clone()),
        }
    }

    /// The cell of a column named at run time (an extension column of `school.json`'s).
    pub fn cell_named(&self, column: &str) -> crate::document::Cell {
        let column = Some(Cow::Owned(column.to_string()));
        crate::document::Cell { line: self.line as usize, column, file: Some(self.file.clone()) }
    }
}

/// One row of a table, its cells in the order the reader asked for them.
pub struct Row<'r> {
    /// Where it stands.
    pub place: Place,
    record: &'r csv::StringRecord,
    index: &'r [Option<usize>],
}

impl Row<'_> {
    /// The cell of the `k`th column asked for, trimmed; empty when the file lacks the column.
    pub fn get(&self, k: usize) -> &str {
        self.index[k].and_then(|i| self.record.get(i)).map_or("", str::trim)
    }

    /// The cell, or `None` when it is empty.
    pub fn some(&self, k: usize) -> Option<&str> {
        Some(self.get(k)).filter(|text| !text.is_empty())
    }
}

enum Store {
    Folder(PathBuf),
    Zip {
        archive: zip::ZipArchive<fs::File>,
        prefix: String,
    },
    /// Files in memory, by name (`users.csv`): an upload, or the fuzz target's input.
    Memory(BTreeMap<String, Vec<u8>>),
}

/// An opened bundle: its manifest read and checked against the files present.
pub struct Bundle {
    /// The folder or ZIP, as the user names it.
    pub path: PathBuf,
    store: Store,
    modes: BTreeMap<String, Mode>,
}

/// The files a OneRoster 1.2 manifest accounts for.
pub const TABLES: [&str; 22] = [
    "academicSessions",
    "categories",
    "classes",
    "classResources",
    "courses",
    "courseResources",
    "demographics",
    "enrollments",
    "lineItemLearningObjectiveIds",
    "lineItems",
    "lineItemScoreScales",
    "orgs",
    "resources",
    "resultLearningObjectiveIds",
    "results",
    "resultScoreScales",
    "roles",
    "scoreScales",
    "userProfiles",
    "userResources",
    "users",
    "manifest",
];

/// The headers of the CSV binding's tables that both makers of bundles write, in the
/// binding's order.
pub mod headers {
    /// `academicSessions.csv`.
    pub const ACADEMIC_SESSIONS: [&str; 9] = [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ];
    /// `classes.csv`.
    pub const CLASSES: [&str; 14] = [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ];
    /// `enrollments.csv`.
    pub const ENROLLMENTS: [&str; 10] = [
        "sourcedId",
        "status",
        "dateLastModified",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ];
    /// `lineItems.csv`.
    pub const LINE_ITEMS: [&str; 13] = [
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "description",
        "assignDate",
        "dueDate",
        "classSourcedId",
        "categorySourcedId",
        "academicSessionSourcedId",
        "resultValueMin",
        "resultValueMax",
        "schoolSourcedId",
    ];
    /// `lineItemLearningObjectiveIds.csv`.
    pub const LINE_ITEM_OBJECTIVES: [&str; 6] =
        ["sourcedId", "status", "dateLastModified", "lineItemSourcedId", "source", "learningObjectiveId"];
    /// `results.csv`.
    pub const RESULTS: [&str; 15] = [
        "sourcedId",
        "status",
        "dateLastModified",
        "lineItemSourcedId",
        "studentSourcedId",
        "scoreStatus",
        "score",
        "scoreDate",
        "comment",
        "textScore",
        "classSourcedId",
        "inProgress",
        "incomplete",
        "late",
        "missing",
    ];
}

/// A table of a bundle being written, in memory: the inverse of reading, for the makers of
/// bundles (`gen-fixtures`, `pull oneroster`). Rows end in CRLF, as the CSV binding's files do.
pub struct TableWriter {
    writer: csv::Writer<Vec<u8>>,
}

impl TableWriter {
    /// A table with this header row.
    pub fn new<S: AsRef<str>>(header: &[S]) -> TableWriter {
        let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
        writer.write_record(header.iter().map(AsRef::as_ref)).expect("writing to memory cannot fail");
        TableWriter { writer }
    }

    /// Adds a row.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        self.writer.write_record(cells.iter().map(AsRef::as_ref)).expect("writing to memory cannot fail");
    }

    /// The file's bytes.
    pub fn bytes(self) -> Vec<u8> {
        self.writer.into_inner().expect("writing to memory cannot fail")
    }
}

/// The files of a bulk bundle: `tables` (by name, without `.csv`) and a `manifest.csv` that
/// marks each of them `bulk` and every other table `absent`.
pub fn bulk_files(tables: Vec<(&str, TableWriter)>, system: &str) -> BTreeMap<String, Vec<u8>> {
    let mut manifest = TableWriter::new(&["propertyName", "value"]);
    manifest.row(&["manifest.version", "1.0"]);
    manifest.row(&["oneroster.version", "1.2"]);
    for table in TABLES.iter().filter(|t| **t != "manifest") {
        let mode = if tables.iter().any(|(name, _)| name == table) { "bulk" } else { "absent" };
        manifest.row(&[format!("file.{table}").as_str(), mode]);
    }
    manifest.row(&["source.systemName", system]);
    let mut files: BTreeMap<String, Vec<u8>> =
        tables.into_iter().map(|(name, table)| (format!("{name}.csv"), table.bytes())).collect();
    files.insert("manifest.csv".to_string(), manifest.bytes());
    files
}

fn whole_file(path: &Path, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(path, message).at(Position { line: 1, column: 1, start: 0, end: 0 })
}

impl Bundle {
    /// Opens the bundle at `path` (a folder, or a `.zip` file) and reads its manifest. A
    /// bundle whose manifest is missing or disagrees with its files is refused with why.
    pub fn open(path: &Path) -> io::Result<Result<Bundle, Vec<Diagnostic>>> {
        let (store, present) = if path.is_dir() {
            let mut present = Vec::new();
            for entry in fs::read_dir(path)? {
                let name = entry?.file_name().to_string_lossy().into_owned();
                if let Some(table) = name.strip_suffix(".csv") {
                    present.push(table.to_string());
                }
            }
            (Store::Folder(path.to_path_buf()), present)
        } else {
            let archive = match zip::ZipArchive::new(fs::File::open(path)?) {
                Ok(archive) => archive,
                Err(zip::result::ZipError::Io(error)) => return Err(error),
                Err(error) => {
                    return Ok(Err(vec![
                        whole_file(path, format!("this is not a ZIP file that can be read ({error})"))
                            .hint("export the OneRoster bundle from the student information system again"),
                    ]));
                }
            };
            let names: Vec<String> = archive.file_names().filter_map(|n| n.ok().map(|n| n.into_owned())).collect();
            // The manifest at the top, or in the one folder a ZIP of a folder has.
            let manifest = names
                .iter()
                .filter(|n| n.rsplit('/').next() == Some("manifest.csv") && n.matches('/').count() <= 1)
                .min_by_key(|n| n.len());
            let Some(manifest) = manifest else {
                return Ok(Err(vec![whole_file(path, "this ZIP has no manifest.csv, so it is not a OneRoster bundle")
                    .hint("a OneRoster CSV export holds manifest.csv beside users.csv and results.csv; export it again, or take the .zip out of students/")]));
            };
            let prefix = manifest.trim_end_matches("manifest.csv").to_string();
            let present = names
                .iter()
                .filter_map(|n| n.strip_prefix(prefix.as_str()))
                .filter(|n| !n.contains('/'))
                .filter_map(|n| n.strip_suffix(".csv"))
                .map(str::to_string)
                .collect();
            (Store::Zip { archive, prefix }, present)
        };
        Bundle::with_manifest(path, store, &present)
    }

    /// A bundle of files held in memory, by name (`manifest.csv`, `users.csv`...), named `path`
    /// in messages.
    pub fn in_memory(path: &Path, files: BTreeMap<String, Vec<u8>>) -> io::Result<Result<Bundle, Vec<Diagnostic>>> {
        let present: Vec<String> = files.keys().filter_map(|n| n.strip_suffix(".csv")).map(str::to_string).collect();
        Bundle::with_manifest(path, Store::Memory(files), &present)
    }

    /// The bundle in `store` (whose tables are `present`), its manifest read and checked.
    fn with_manifest(path: &Path, store: Store, present: &[String]) -> io::Result<Result<Bundle, Vec<Diagnostic>>> {
        let mut bundle = Bundle { path: path.to_path_buf(), store, modes: BTreeMap::new() };
        let problems = bundle.read_manifest(present)?;
        Ok(if problems.iter().any(Diagnostic::is_error) { Err(problems) } else { Ok(bundle) })
    }

    /// How the manifest gives `table`.
    pub fn mode(&self, table: &str) -> Mode {
        self.modes.get(table).copied().unwrap_or(Mode::Absent)
    }

    /// The path of `table`'s file, as the user would name it.
    pub fn file(&self, table: &str) -> PathBuf {
        self.path.join(format!("{table}.csv"))
    }

    fn open_table(&mut self, table: &str) -> io::Result<Box<dyn Read + '_>> {
        let name = format!("{table}.csv");
        match &mut self.store {
            Store::Folder(dir) => Ok(Box::new(fs::File::open(dir.join(name))?)),
            Store::Zip { archive, prefix } => match archive.by_name(&format!("{prefix}{name}")) {
                Ok(file) => Ok(Box::new(file)),
                Err(zip::result::ZipError::Io(error)) => Err(error),
                Err(error) => Err(io::Error::new(io::ErrorKind::InvalidData, error.to_string())),
            },
            Store::Memory(files) => match files.get(&name) {
                Some(bytes) => Ok(Box::new(bytes.as_slice())),
                None => Err(io::Error::new(io::ErrorKind::NotFound, format!("{name} is not in the bundle"))),
            },
        }
    }

    fn read_manifest(&mut self, present: &[String]) -> io::Result<Vec<Diagnostic>> {
        let file = self.file("manifest");
        let mut problems = Vec::new();
        if !present.iter().any(|t| t == "manifest") {
            problems.push(whole_file(&self.path, "this folder has no manifest.csv, so it is not a OneRoster bundle").hint(
                "a OneRoster CSV export holds manifest.csv beside users.csv and results.csv; export it again with its manifest",
            ));
            return Ok(problems);
        }
        let mut properties: BTreeMap<String, (String, Place)> = BTreeMap::new();
        let columns = ["propertyName", "value"];
        read_rows(self, "manifest", &columns, &columns, &mut problems, |row| {
            properties.insert(row.get(0).to_string(), (row.get(1).to_string(), row.place.clone()));
        })?;
        if problems.iter().any(Diagnostic::is_error) {
            return Ok(problems);
        }
        match properties.get("oneroster.version") {
            Some((version, _)) if matches!(version.as_str(), "1.2" | "1.1") => {}
            Some((other, place)) => problems.push(
                place
                    .error(Some("value"), format!("the manifest says OneRoster version \"{other}\""))
                    .hint("mastery reads OneRoster 1.2 (and 1.1) CSV bundles; export the bundle as OneRoster 1.2"),
            ),
            None => problems.push(
                whole_file(&file, "the manifest has no oneroster.version")
                    .hint("add the row oneroster.version,1.2 (the version the export follows)"),
            ),
        }
        for (property, (value, place)) in &properties {
            let Some(table) = property.strip_prefix("file.") else { continue };
            let mode = match value.as_str() {
                "absent" => Mode::Absent,
                "bulk" => Mode::Bulk,
                "delta" => Mode::Delta,
                other => {
                    problems.push(
                        place
                            .error(Some("value"), format!("{property} is \"{other}\""))
                            .hint("each file.* row of the manifest is absent, bulk or delta"),
                    );
                    continue;
                }
            };
            let here = present.iter().any(|t| t == table);
            match (mode, here) {
                (Mode::Absent, true) => problems.push(
                    place
                        .error(Some("value"), format!("the manifest says {table}.csv is absent, but the bundle has it"))
                        .hint(format!("either the export is incomplete or the manifest is wrong: export the bundle again, or mark {table}.csv bulk or delta in the manifest if it belongs")),
                ),
                (Mode::Bulk | Mode::Delta, false) => problems.push(
                    place
                        .error(Some("value"), format!("the manifest lists {table}.csv as {value}, but the bundle has no such file"))
                        .hint("export the bundle again: a file the manifest lists must be in it"),
                ),
                _ => {}
            }
            self.modes.insert(table.to_string(), mode);
        }
        for table in present {
            if table != "manifest" && !properties.contains_key(&format!("file.{table}")) {
                let known = TABLES.contains(&table.as_str());
                let message = if known {
                    format!("{table}.csv is in the bundle but not in the manifest, so it is not read")
                } else {
                    format!("{table}.csv is not a OneRoster file, so it is not read")
                };
                let mut warning = whole_file(&self.file(table), message);
                warning.severity = crate::diag::Severity::Warning;
                problems.push(warning.hint(if known {
                    format!("add file.{table},bulk to manifest.csv, or take the file out")
                } else {
                    "take it out of the bundle, or keep it: it changes nothing".to_string()
                }));
            }
        }
        Ok(problems)
    }
}

/// Reads `table` of `bundle` and hands each non-blank row to `each`, its cells in the order of
/// `columns`. A header without one of `required` is a problem and no row is read. Extra
/// columns (`metadata.*` extensions) are ignored.
pub fn read_rows(
    bundle: &mut Bundle,
    table: &str,
    columns: &[&str],
    required: &[&str],
    problems: &mut Vec<Diagnostic>,
    mut each: impl FnMut(Row<'_>),
) -> io::Result<()> {
    let file: Arc<Path> = Arc::from(bundle.file(table));
    let input = LinesOf::new(bundle.open_table(table)?.take(MAX_TABLE_BYTES + 1));
    let mut reader = csv::ReaderBuilder::new().flexible(true).buffer_capacity(1 << 18).from_reader(input);
    let header: Vec<String> = match reader.headers() {
        Ok(header) => header.iter().map(|h| h.trim().trim_start_matches('\u{feff}').to_string()).collect(),
        Err(error) => {
            problems.push(csv_problem(&file, &error));
            return Ok(());
        }
    };
    let index: Vec<Option<usize>> = columns.iter().map(|c| header.iter().position(|h| h == c)).collect();
    let mut missing = false;
    for (column, at) in columns.iter().zip(&index) {
        if at.is_none() && required.contains(column) {
            missing = true;
            let hint = match closest(column, header.iter().map(String::as_str)) {
                Some(guess) => format!("did you mean \"{guess}\"? The OneRoster 1.2 header names it \"{column}\""),
                None => format!("the header has {}; OneRoster 1.2 requires \"{column}\"", quoted(&header)),
            };
            problems.push(whole_file(&file, format!("{table}.csv has no column \"{column}\"")).hint(hint));
        }
    }
    if missing {
        return Ok(());
    }
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                if let csv::ErrorKind::Io(_) = error.kind() {
                    return Err(io::Error::other(format!("cannot read {}: {error}", file.display())));
                }
                problems.push(csv_problem(&file, &error));
                continue;
            }
        }
        if reader.get_ref().read > MAX_TABLE_BYTES {
            problems
                .push(whole_file(&file, "the file is larger than 4 GB").hint("split the export by school or by term"));
            break;
        }
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line()) as u32;
        each(Row { place: Place { file: file.clone(), line }, record: &record, index: &index });
    }
    Ok(())
}

fn csv_problem(file: &Path, error: &csv::Error) -> Diagnostic {
    let mut problem = crate::load::csv::csv_error(file, error);
    problem.set_hint("export the bundle again; OneRoster CSV files are UTF-8");
    problem
}

/// A reader that turns each CRLF into LF, so that the csv crate's line numbers (which lag on
/// CRLF files) are the lines an editor shows, and counts the bytes read.
struct LinesOf<R> {
    inner: R,
    /// A CR held back from the end of the last read, until the next byte shows whether an LF
    /// follows it.
    held: bool,
    read: u64,
}

impl<R: Read> LinesOf<R> {
    fn new(inner: R) -> Self {
        LinesOf { inner, held: false, read: 0 }
    }
}

impl<R: Read> Read for LinesOf<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let start = usize::from(self.held);
        if self.held {
            out[0] = b'\r';
        }
        let got = self.inner.read(&mut out[start..])?;
        self.read += got as u64;
        let mut end = start + got;
        if got == 0 {
            self.held = false;
            return Ok(end);
        }
        // Drop each CR that an LF follows, moving the text between them down; hold back a CR
        // at the very end.
        let (mut write, mut read) = (0, 0);
        while let Some(at) = memchr::memchr(b'\r', &out[read..end]).map(|i| read + i) {
            let drop = at + 1 < end && out[at + 1] == b'\n';
            let keep = if drop { at } else { at + 1 };
            out.copy_within(read..keep, write);
            write += keep - read;
            read = at + 1;
        }
        out.copy_within(read..end, write);
        end = write + (end - read);
        self.held = end > 0 && out[end - 1] == b'\r';
        if self.held {
            end -= 1;
            if end == 0 {
                // Only the CR: read on, so as not to report the end of the file.
                return self.read(out);
            }
        }
        Ok(end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(input: &[u8], chunk: usize) -> Vec<u8> {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(out.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut output = Vec::new();
        LinesOf::new(Chunks(input, chunk)).read_to_end(&mut output).unwrap();
        output
    }

    #[test]
    fn crlf_becomes_lf_across_any_read_boundary() {
        let input = b"a,b\r\n1,\"x\r\ny\"\r\n\r\nlone\rcr\r";
        for chunk in 1..input.len() + 1 {
            assert_eq!(through(input, chunk), b"a,b\n1,\"x\ny\"\n\nlone\rcr\r", "chunk {chunk}");
        }
    }
}
