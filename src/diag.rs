//! Diagnostics: problems found in the input, as data.
//!
//! Every stage that inspects user data returns its findings as [`Diagnostic`]s rather than
//! printing or stopping, so one run reports every problem in every file. A diagnostic names
//! its file, a line and column, and the JSON Pointer of the value at fault, and usually a hint
//! saying how to fix it. Only `main.rs` turns them into text.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The data cannot be used as it is: the run fails (exit 1).
    Error,
    /// Suspect, but usable; fails the run only under `--deny warnings`.
    Warning,
}

/// A place in a text file: 1-based line and column (the column counts characters, not bytes),
/// and the byte range of the offending value within its line (once a diagnostic holds its
/// line, see [`Diagnostic::in_text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters; 0 for the whole line.
    pub column: usize,
    /// Where the value starts in its line, in bytes.
    pub start: usize,
    /// Where it ends, in bytes.
    pub end: usize,
}

impl Position {
    /// The position of the byte range `start..end` in `text`.
    pub fn of_range(text: &str, start: usize, end: usize) -> Position {
        let start = floor_char_boundary(text, start.min(text.len()));
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Position { line, column, start, end: end.max(start).min(text.len()) }
    }

    /// The position of a 1-based line and column as reported by a parser.
    pub fn of_line_column(text: &str, line: usize, column: usize) -> Position {
        let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
        let offset =
            text[line_start..].char_indices().nth(column.saturating_sub(1)).map_or(text.len(), |(i, _)| line_start + i);
        Position { line, column, start: offset, end: offset }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// One problem in the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// An error or a warning.
    pub severity: Severity,
    /// The file at fault, as the user named it (the school folder joined with the file name).
    pub file: PathBuf,
    /// Where in the file; `None` only when the whole file is at fault (unreadable, empty). A
    /// column of 0 means the whole line (a CSV row).
    pub position: Option<Position>,
    /// For a CSV file: the header of the column at fault.
    pub column_name: Option<String>,
    /// The text of the line at `position`, for showing the problem in context.
    #[serde(skip)]
    pub source_line: Option<String>,
    /// The JSON Pointer of the value at fault; `None` when there is no parsed value to point
    /// into (a syntax error).
    pub pointer: Option<String>,
    /// What is wrong: lowercase, no final period.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error in `file`, not yet placed in it.
    pub fn error(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            position: None,
            column_name: None,
            source_line: None,
            pointer: None,
            message: message.into(),
            hint: None,
        }
    }

    /// A warning in `file`, not yet placed in it.
    pub fn warning(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(file, message) }
    }

    /// Places the problem at a position of the file.
    pub fn at(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }

    /// Places the diagnostic at `position` of `text` (whose first line is line `first_line` of
    /// the file) and keeps that line of the text for display.
    pub fn in_text(mut self, text: &str, mut position: Position, first_line: usize) -> Self {
        let start = position.start.min(text.len());
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        self.source_line = Some(text[line_start..line_end].trim_end_matches('\r').to_string());
        position.line += first_line - 1;
        position.start -= line_start;
        position.end = position.end.min(line_end).max(start) - line_start;
        self.position = Some(position);
        self
    }

    /// Names the CSV column the problem is in.
    pub fn with_column(mut self, column: impl Into<String>) -> Self {
        self.column_name = Some(column.into());
        self
    }

    /// Names the JSON Pointer of the value at fault.
    pub fn pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// Says how to fix it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the hint of a diagnostic already in a list.
    pub fn set_hint(&mut self, hint: impl Into<String>) -> &mut Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The one-line form: `file:line:col: /pointer: message`, with `warning: ` before the message
/// of a warning and the hint on a line of its own. A CSV problem reads
/// `file:line: column "name": /pointer: message`.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(position) = self.position {
            write!(f, ":{}", position.line)?;
            if position.column > 0 {
                write!(f, ":{}", position.column)?;
            }
        }
        f.write_str(": ")?;
        if let Some(column) = &self.column_name {
            write!(f, "column \"{column}\": ")?;
        }
        if let Some(pointer) = &self.pointer {
            let shown = if pointer.is_empty() { "(root)" } else { pointer };
            write!(f, "{shown}: ")?;
        }
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// A stage's output together with what it found wrong on the way.
#[derive(Debug)]
pub struct Checked<T> {
    /// What the stage made.
    pub value: T,
    /// What it found wrong.
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Checked<T> {
    /// A value and its diagnostics.
    pub fn new(value: T, diagnostics: Vec<Diagnostic>) -> Self {
        Checked { value, diagnostics }
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Sorts diagnostics into reading order: by file, then by place in the file.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        let place = |d: &Diagnostic| d.position.map_or((0, 0), |p| (p.line, p.column));
        a.file.cmp(&b.file).then(place(a).cmp(&place(b))).then(a.message.cmp(&b.message))
    });
}

/// Shows `path` relative to `base` when it lies inside it, for shorter messages.
pub fn display_path(base: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(base).map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let text = "{\n  \"name\": \"Zoë\", \"x\": 1\n}";
        let start = text.find("\"x\"").unwrap();
        let position = Position::of_range(text, start, start + 3);
        assert_eq!((position.line, position.column), (2, 18));
    }

    #[test]
    fn line_and_column_map_back_to_an_offset() {
        let text = "ab\ncdé\nfg";
        let position = Position::of_line_column(text, 2, 3);
        assert_eq!(&text[position.start..], "é\nfg");
    }

    #[test]
    fn the_one_line_form_names_file_place_and_pointer() {
        let diagnostic = Diagnostic::error("school/students/a.json", "score 7 is off the scale")
            .at(Position { line: 4, column: 16, start: 0, end: 0 })
            .pointer("/evidence/0/score")
            .hint("use a score from 1 to 4");
        assert_eq!(
            diagnostic.to_string(),
            "school/students/a.json:4:16: /evidence/0/score: score 7 is off the scale\n  hint: use a score from 1 to 4"
        );
    }
}
