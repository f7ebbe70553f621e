//! `mastery validate SCHOOL`: every file against its schema, then the meaning of the records;
//! every problem printed with its place.

use std::ops::ControlFlow;
use std::process::ExitCode;

use anyhow::Result;
use mastery::intake;
use mastery::validate::Schemas;

use super::args::{DiagnosticFormat, ValidateArgs};
use super::report::Reporter;
use super::{summary, validate_options, verdict};

pub fn run(args: &ValidateArgs) -> Result<ExitCode> {
    let options = validate_options(&args.data)?;
    let schemas = Schemas::new();
    let open = intake::open(&args.school, &schemas)?;
    let mut reporter = Reporter::new(true, matches!(args.format, DiagnosticFormat::Json));
    reporter.report(open.diagnostics.clone());
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
