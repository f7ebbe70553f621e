//! `mastery profile SCHOOL --out FILE.pdf`: the school profile as a document of its own.

use std::process::ExitCode;

use anyhow::Result;
use mastery::batch::{self, BuildError, BuildOptions, Format};
use mastery::delivery::PORTAL_BUDGET;
use mastery::output;

use super::DATA_ERROR;
use super::args::ProfileArgs;
use super::build::worker;
use super::report::Reporter;

pub fn run(args: &ProfileArgs) -> Result<ExitCode> {
    let mut options = BuildOptions::new(args.school.clone(), args.out.clone(), Format::Pdf, worker()?);
    options.template = args.template.clone();
    options.font_paths = args.font_paths.clone();
    options.locale = args.locale.clone();
    options.paper = args.paper.into();
    options.issue_date = args.issue_date.as_deref().map(|d| super::date_argument("--issue-date", d)).transpose()?;
    let pdf = match batch::profile(options) {
        Ok(pdf) => pdf,
        Err(BuildError::Invalid { diagnostics, reason }) => {
            let mut reporter = Reporter::new(false, false);
            reporter.report(diagnostics);
            reporter.line(&format!("no profile written: {reason}\n"));
            return Ok(ExitCode::from(DATA_ERROR));
        }
        Err(error) => return Err(error.into()),
    };
    output::write_in_folder(&args.out, &pdf)?;
    println!("wrote the school profile to {} ({} bytes)", args.out.display(), pdf.len());
    // Over it, the profile is still written as it is, and said.
    if pdf.len() as u64 > PORTAL_BUDGET {
        eprintln!(
            "it is over the 2 MB the portals take in one file: a smaller logo makes it smaller (it is written as it is, never recompressed)"
        );
        return Ok(ExitCode::from(DATA_ERROR));
    }
    Ok(ExitCode::SUCCESS)
}
