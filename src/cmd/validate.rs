//! `mastery validate SCHOOL`: every file against its schema, then the meaning of the records;
//! every problem printed with its place.

use std::ops::ControlFlow;
use std::process::ExitCode;

use anyhow::Result;
use mastery::diag::Severity;
use mastery::intake;
use mastery::validate::{self, Schemas, ValidateOptions};

use super::args::{DiagnosticFormat, ValidateArgs};
use super::report::Reporter;
use super::{summary, validate_options, verdict};

pub fn run(args: &ValidateArgs) -> Result<ExitCode> {
    // What PESC XML cannot carry stops an issue: said here as warnings, before anyone issues.
    let options = ValidateOptions { pesc: Some(Severity::Warning), ..validate_options(&args.data)? };
    let schemas = Schemas::new();
    let open = intake::open(&args.school, &schemas)?;
    let mut reporter = Reporter::new(true, matches!(args.format, DiagnosticFormat::Json));
    reporter.report(open.diagnostics.clone());
    if let (Some(document), Some(school)) = (&open.folder.school, &open.school) {
        reporter.report(validate::pesc_school(document, school, Severity::Warning));
    }
    let mut students = 0;
    intake::students(&open, &schemas, &options, |outcome| {
        students += 1;
        reporter.report(outcome.diagnostics);
        ControlFlow::Continue(())
    })?;
    let summary = summary(&open, &reporter, students);
    reporter.finish(summary);
    Ok(verdict(&reporter, &args.data, 0))
}
