//! Printing diagnostics: on a terminal, each problem with its source line, the span marked and
//! colour (codespan-reporting); when piped, the plain one-line form; with `--format json`,
//! one JSON document at the end. Also the closing summary.

use std::io::{self, IsTerminal, Write};
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as Report, Label, Severity as ReportSeverity};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, termcolor};
use mastery::diag::{Diagnostic, Severity};
use mastery::hint::plural;
use serde::Serialize;

/// Where diagnostics go and how they look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Plain one-line text.
    Plain,
    /// The source line with the span marked, in colour.
    Rich,
    /// Collected and printed as JSON at the end.
    Json,
}

/// Prints diagnostics as they come and counts them.
pub struct Reporter {
    style: Style,
    to_stdout: bool,
    collected: Vec<Diagnostic>,
    /// A progress bar to clear while printing, so lines never mix with it.
    progress: Option<indicatif::ProgressBar>,
    pub errors: usize,
    pub warnings: usize,
}

impl Reporter {
    /// `to_stdout`: print on standard output (for `validate`, whose output the diagnostics
    /// are) rather than standard error. `json`: collect for one JSON document.
    pub fn new(to_stdout: bool, json: bool) -> Reporter {
        let terminal = if to_stdout { io::stdout().is_terminal() } else { io::stderr().is_terminal() };
        let style = match (json, terminal) {
            (true, _) => Style::Json,
            (false, true) => Style::Rich,
            (false, false) => Style::Plain,
        };
        Reporter { style, to_stdout, collected: Vec::new(), progress: None, errors: 0, warnings: 0 }
    }

    /// Prints around `bar` from now on.
    pub fn set_progress(&mut self, bar: Option<indicatif::ProgressBar>) {
        self.progress = bar;
    }

    fn print(&self, print: impl FnOnce()) {
        match &self.progress {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    pub fn report(&mut self, diagnostics: impl IntoIterator<Item = Diagnostic>) {
        for diagnostic in diagnostics {
            match diagnostic.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
            }
            match self.style {
                Style::Json => self.collected.push(diagnostic),
                Style::Plain => self.line(&format!("{diagnostic}\n")),
                Style::Rich => self.print(|| self.rich(&diagnostic)),
            }
        }
    }

    /// Prints a line of text where the diagnostics go (not in JSON mode).
    pub fn line(&self, text: &str) {
        if self.style == Style::Json {
            return;
        }
        // A closed pipe (`mastery validate x | head`) is not worth a panic.
        self.print(|| {
            let _ = if self.to_stdout {
                io::stdout().lock().write_all(text.as_bytes())
            } else {
                io::stderr().lock().write_all(text.as_bytes())
            };
        });
    }

    fn rich(&self, diagnostic: &Diagnostic) {
        let severity = match diagnostic.severity {
            Severity::Error => ReportSeverity::Error,
            Severity::Warning => ReportSeverity::Warning,
        };
        let mut place = String::new();
        if let Some(column) = &diagnostic.column_name {
            place.push_str(&format!("column \"{column}\""));
        }
        if let Some(pointer) = &diagnostic.pointer {
            if !place.is_empty() {
                place.push_str(", ");
            }
            place.push_str(if pointer.is_empty() { "(root)" } else { pointer });
        }
        let message =
            if place.is_empty() { diagnostic.message.clone() } else { format!("{}: {}", place, diagnostic.message) };
        let mut report = Report::new(severity).with_message(message);
        if let Some(hint) = &diagnostic.hint {
            report = report.with_notes(vec![format!("hint: {hint}")]);
        }
        let choice = termcolor::ColorChoice::Auto;
        let mut stream = if self.to_stdout {
            termcolor::StandardStream::stdout(choice)
        } else {
            termcolor::StandardStream::stderr(choice)
        };
        let config = term::Config::default();
        let name = diagnostic.file.display().to_string();
        let line = diagnostic.source_line.as_deref();
        match (diagnostic.position, line) {
            (Some(position), Some(line)) => {
                let end = position.end.clamp(position.start, line.len());
                let span = position.start..if end == position.start { (end + 1).min(line.len()) } else { end };
                let file = OneLine { name, line, number: position.line };
                let report = report.with_labels(vec![Label::primary((), span)]);
                let _ = term::emit_to_write_style(&mut stream, &config, &file, &report);
            }
            _ => {
                // No source to show (a CSV cell, a whole file): the place goes in the message.
                let mut place = name;
                if let Some(position) = diagnostic.position {
                    place.push_str(&format!(":{}", position.line));
                    if position.column > 0 {
                        place.push_str(&format!(":{}", position.column));
                    }
                }
                let report = report.with_notes(vec![format!("at {place}")]);
                let file = OneLine { name: String::new(), line: "", number: 1 };
                let _ = term::emit_to_write_style(&mut stream, &config, &file, &report);
            }
        }
    }

    /// Prints the closing summary, or, in JSON mode, the whole report.
    pub fn finish(&mut self, summary: Summary) {
        if self.style == Style::Json {
            #[derive(Serialize)]
            struct JsonReport<'a> {
                #[serde(flatten)]
                summary: &'a Summary,
                diagnostics: &'a [Diagnostic],
            }
            let mut stdout = io::stdout().lock();
            let _ = serde_json::to_writer_pretty(
                &mut stdout,
                &JsonReport { summary: &summary, diagnostics: &self.collected },
            );
            let _ = writeln!(stdout);
        } else {
            self.line(&format!("{summary}\n"));
        }
    }
}

/// What a run looked at and found.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub school: String,
    pub files: usize,
    pub students: usize,
    pub errors: usize,
    pub warnings: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}, {}, {}, {}",
            self.school,
            plural(self.files, "file"),
            plural(self.students, "student"),
            plural(self.errors, "error"),
            plural(self.warnings, "warning")
        )
    }
}

/// A source of one line for codespan-reporting, numbered as in its file.
struct OneLine<'a> {
    name: String,
    line: &'a str,
    number: usize,
}

impl<'a> Files<'a> for OneLine<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, _: ()) -> Result<&'a str, FilesError> {
        Ok(&self.name)
    }

    fn source(&'a self, _: ()) -> Result<&'a str, FilesError> {
        Ok(self.line)
    }

    fn line_index(&'a self, _: (), _: usize) -> Result<usize, FilesError> {
        Ok(0)
    }

    fn line_number(&'a self, _: (), _: usize) -> Result<usize, FilesError> {
        Ok(self.number)
    }

    fn line_range(&'a self, _: (), line_index: usize) -> Result<Range<usize>, FilesError> {
        match line_index {
            0 => Ok(0..self.line.len()),
            _ => Err(FilesError::LineTooLarge { given: line_index, max: 0 }),
        }
    }
}
