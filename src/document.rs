//! A record and where its values stand in its file. Loading makes documents; validation and
//! every later message place problems in them, by JSON Pointer, at a line and column of the
//! JSON text or at the CSV cell a value came from.

pub mod tape;

use std::borrow::Cow;
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
    Csv { value: Value, cells: CellMap },
    /// Joined from the rows of several tables (a OneRoster bundle), each part's cell kept by
    /// its shape rather than by pointer.
    Rows { value: Value, cells: RowCells },
}

/// Where each value of a record built from CSV rows came from, by JSON Pointer.
pub type CellMap = foldhash::HashMap<String, Cell>;

/// Where each part of a record joined from table rows came from: its own values by JSON
/// Pointer, and the items of its lists (`/evidence`) each by its row and its fields' cells.
/// Made for many records of a few fixed shapes: no pointer is written out until asked for.
#[derive(Debug, Clone, Default)]
pub struct RowCells {
    /// Values of the record by JSON Pointer (`""` for the whole record, `"/name/legal"`).
    pub fields: Vec<(&'static str, Cell)>,
    /// The items of each list, by the list's pointer (`"/evidence"`), in order.
    pub lists: Vec<(&'static str, Vec<ItemCells>)>,
}

/// Where an item of a list came from: its row, and the cells of those of its fields that have
/// one.
#[derive(Debug, Clone)]
pub struct ItemCells {
    /// The whole row.
    pub row: Cell,
    /// Its fields' cells, by field name (`"score"`).
    pub fields: Vec<(&'static str, Cell)>,
}

impl RowCells {
    /// The cell of the value at `pointer`, or of the nearest value enclosing it that has one.
    pub fn find(&self, pointer: &str) -> Option<&Cell> {
        for (list, items) in &self.lists {
            let Some(rest) = pointer.strip_prefix(list).and_then(|r| r.strip_prefix('/')) else { continue };
            let (index, field) = rest.split_once('/').map_or((rest, None), |(i, f)| (i, Some(f)));
            let Some(item) = index.parse::<usize>().ok().and_then(|i| items.get(i)) else { break };
            let field = field.map(|f| f.split('/').next().unwrap_or(f));
            let cell = field.and_then(|f| item.fields.iter().find(|(name, _)| *name == f)).map(|(_, cell)| cell);
            return Some(cell.unwrap_or(&item.row));
        }
        let mut search = pointer;
        loop {
            if let Some((_, cell)) = self.fields.iter().find(|(p, _)| *p == search) {
                return Some(cell);
            }
            search = &search[..search.rfind('/')?];
        }
    }
}

/// A place in a CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The line of the file, from 1.
    pub line: usize,
    /// The header of the column, or `None` for the whole row.
    pub column: Option<Cow<'static, str>>,
    /// The file, when it is not the document's own: a record joined from several files (a
    /// OneRoster bundle's users, results and enrollments) has cells in each.
    pub file: Option<Arc<Path>>,
}

impl Cell {
    /// The cell of `column` (the whole row with `None`) on `line` of the document's own file.
    pub fn new(line: usize, column: Option<String>) -> Cell {
        Cell { line, column: column.map(Cow::Owned), file: None }
    }
}

impl Document {
    /// A record read from JSON `text`, which starts on line `first_line` of its file, into `tape`
    /// (by `Tape::parse` of that same text).
    pub(crate) fn read(path: PathBuf, text: String, first_line: usize, tape: Tape) -> Document {
        Document { path, origin: Origin::Json { text, first_line, tape, value: OnceLock::new() }, notes: Vec::new() }
    }

    /// A record joined from table rows, with where each part of it came from.
    pub fn from_rows(path: PathBuf, value: Value, cells: RowCells, notes: Vec<Diagnostic>) -> Document {
        Document { path, origin: Origin::Rows { value, cells }, notes }
    }

    /// A record built from CSV rows, with the cell each JSON Pointer of it came from.
    pub fn from_cells(path: PathBuf, value: Value, cells: CellMap, notes: Vec<Diagnostic>) -> Document {
        Document { path, origin: Origin::Csv { value, cells }, notes }
    }

    /// The record as a JSON value.
    pub fn value(&self) -> &Value {
        match &self.origin {
            Origin::Json { text, tape, value, .. } => value.get_or_init(|| tape.root(text).to_value()),
            Origin::Csv { value, .. } | Origin::Rows { value, .. } => value,
        }
    }

    /// The record as a JSON value, taken.
    pub fn into_value(self) -> Value {
        match self.origin {
            Origin::Json { text, tape, value, .. } => value.into_inner().unwrap_or_else(|| tape.root(&text).to_value()),
            Origin::Csv { value, .. } | Origin::Rows { value, .. } => value,
        }
    }

    /// The record's tape, when it was read from JSON text: what the checks walk.
    pub fn tape(&self) -> Option<tape::Node<'_>> {
        match &self.origin {
            Origin::Json { text, tape, .. } => Some(tape.root(text)),
            Origin::Csv { .. } | Origin::Rows { .. } => None,
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
                        return at_cell(diagnostic, cell);
                    }
                    match search.rfind('/') {
                        Some(cut) => search = &search[..cut],
                        None => return diagnostic,
                    }
                }
            }
            Origin::Rows { cells, .. } => match cells.find(pointer) {
                Some(cell) => at_cell(diagnostic, cell),
                None => diagnostic,
            },
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

/// `diagnostic` placed at `cell`: its line and column, in its own file if it has one.
fn at_cell(diagnostic: Diagnostic, cell: &Cell) -> Diagnostic {
    let mut diagnostic = diagnostic.at(Position { line: cell.line, column: 0, start: 0, end: 0 });
    diagnostic.column_name = cell.column.as_deref().map(str::to_string);
    if let Some(file) = &cell.file {
        diagnostic.file = file.to_path_buf();
    }
    diagnostic
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
