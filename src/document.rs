//! A record and where its values stand in its file. Loading makes documents; validation and
//! every later message place problems in them, by JSON Pointer, at a line and column of the
//! JSON text or at the CSV cell a value came from.

pub mod tape;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use jsonc_parser::ast;
use jsonc_parser::common::Ranged;
use serde_json::Value;

use crate::diag::{Diagnostic, Position, Severity};
use tape::Tape;

/// One record as JSON, with its origin for locating problems in it.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it came from, as the user would type it (the school folder joined with the
    /// file name).
    pub path: PathBuf,
    /// The record, and where its values stand in the file.
    origin: Origin,
    /// Warnings found while reading it, such as an evidence row exported twice.
    pub notes: Vec<Diagnostic>,
}

/// The record and where its values stand in its file.
#[derive(Debug, Clone)]
enum Origin {
    /// Read from JSON text (for a JSON Lines record, from the file's line `first_line`) into
    /// a tape. Its `Value` is built only when asked for: checking a record never asks; a build
    /// does, to hash it.
    Json { text: String, first_line: usize, tape: Tape, value: OnceLock<Value> },
    /// Built from CSV rows, with the line and column each JSON Pointer of it came from.
    Csv { value: Value, cells: BTreeMap<String, Cell> },
}

/// A place in a CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The line of the file, from 1.
    pub line: usize,
    /// The header of the column, or `None` for the whole row.
    pub column: Option<String>,
    /// The file, when it is not the document's own: a record joined from several files (a
    /// OneRoster bundle's users, results and enrollments) has cells in each.
    pub file: Option<Arc<Path>>,
}

impl Cell {
    /// The cell of `column` (the whole row with `None`) on `line` of the document's own file.
    pub fn new(line: usize, column: Option<String>) -> Cell {
        Cell { line, column, file: None }
    }
}

impl Document {
    /// A record read from JSON `text`, which starts on line `first_line` of its file, into `tape`
    /// (by `Tape::parse` of that same text).
    pub(crate) fn read(path: PathBuf, text: String, first_line: usize, tape: Tape) -> Document {
        Document { path, origin: Origin::Json { text, first_line, tape, value: OnceLock::new() }, notes: Vec::new() }
    }

    /// A record built from CSV rows, with the cell each JSON Pointer of it came from.
    pub fn from_cells(path: PathBuf, value: Value, cells: BTreeMap<String, Cell>, notes: Vec<Diagnostic>) -> Document {
        Document { path, origin: Origin::Csv { value, cells }, notes }
    }

    /// The record as a JSON value.
    pub fn value(&self) -> &Value {
        match &self.origin {
            Origin::Json { text, tape, value, .. } => value.get_or_init(|| tape.root(text).to_value()),
            Origin::Csv { value, .. } => value,
        }
    }

    /// The record as a JSON value, taken.
    pub fn into_value(self) -> Value {
        match self.origin {
            Origin::Json { text, tape, value, .. } => value.into_inner().unwrap_or_else(|| tape.root(&text).to_value()),
            Origin::Csv { value, .. } => value,
        }
    }

    /// The record's tape, when it was read from JSON text: what the checks walk.
    pub fn tape(&self) -> Option<tape::Node<'_>> {
        match &self.origin {
            Origin::Json { text, tape, .. } => Some(tape.root(text)),
            Origin::Csv { .. } => None,
        }
    }

    /// The string member `name` of the record's top object.
    pub fn top_str(&self, name: &str) -> Option<&str> {
        match self.tape() {
            Some(root) => root.get(name)?.as_str(),
            None => self.value().get(name)?.as_str(),
        }
    }

    /// A diagnostic about the value at `pointer` (with `key`, about its property name).
    pub fn diagnostic(&self, severity: Severity, pointer: &str, key: bool, message: impl Into<String>) -> Diagnostic {
        let mut diagnostic = Diagnostic::error(&self.path, message).pointer(pointer);
        diagnostic.severity = severity;
        match &self.origin {
            Origin::Json { text, first_line, .. } => {
                let position = locate(text, pointer, key).unwrap_or(Position { line: 1, column: 1, start: 0, end: 0 });
                diagnostic.in_text(text, position, *first_line)
            }
            Origin::Csv { cells, .. } => {
                // The value itself, or the nearest enclosing value that came from a cell.
                let mut search = pointer;
                loop {
                    if let Some(cell) = cells.get(search) {
                        let mut diagnostic = diagnostic.at(Position { line: cell.line, column: 0, start: 0, end: 0 });
                        diagnostic.column_name = cell.column.clone();
                        if let Some(file) = &cell.file {
                            diagnostic.file = file.to_path_buf();
                        }
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

    /// An error at `pointer` of this document, placed in its file.
    pub fn error(&self, pointer: &str, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(Severity::Error, pointer, false, message)
    }

    /// A warning at `pointer` of this document, placed in its file.
    pub fn warning(&self, pointer: &str, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(Severity::Warning, pointer, false, message)
    }
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
}
