//! `mastery explain SCHOOL --student ID`: how a student's levels, credits and graduation
//! status were worked out, step by step.

use std::process::ExitCode;

use anyhow::{Result, bail};
use mastery::aggregate::{AggregateOptions, aggregate};
use mastery::intake;
use mastery::model::DisclosureProfile;
use mastery::transcript::Layout;

use super::args::ExplainArgs;
use super::report::Reporter;
use super::{valid_school, validate_options};

pub fn run(args: &ExplainArgs) -> Result<ExitCode> {
    let options = validate_options(&args.data)?;
    let checked = intake::check_folder(&args.school, &options)?;
    let school = match valid_school(&checked.open, "cannot explain") {
        Ok(school) => school,
        Err(code) => return Ok(code),
    };
    let Some(record) = checked.students.iter().find(|s| s.student.id == args.student) else {
        let mut reporter = Reporter::new(false, false);
        reporter.report(checked.diagnostics.into_iter().filter(|d| d.is_error()));
        bail!("no valid student with id \"{}\" in {}", args.student, args.school.display());
    };
    let options = AggregateOptions {
        issue_date: mastery::validate::issue_date(school, &options)?,
        logo: None,
        layout: Layout::default(),
        disclosure: DisclosureProfile::everything(),
    };
    let transcript = aggregate(school, &record.student, &options);
    let Some(text) = mastery::explain::explain(&transcript, args.credit.as_deref()) else {
        bail!("the framework has no credit \"{}\"", args.credit.as_deref().unwrap_or_default());
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
