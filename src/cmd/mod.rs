//! The commands of `mastery`, one file each: a short function from a command's arguments to
//! an exit code, over the library's API. Only these files print; the library hands them data.

mod args;
mod build;
mod explain;
mod gen_fixtures;
mod import_case;
mod issue;
mod keygen;
mod log;
mod map;
mod pack;
mod profile;
mod publish;
mod pull;
mod render_worker;
mod report;
mod requests;
mod revoke;
mod serve;
mod validate;
mod verify;

use std::process::ExitCode;

use anyhow::{Context, Result};
use mastery::intake::OpenSchool;
use mastery::model::{School, parse_date};
use mastery::validate::ValidateOptions;

pub use self::args::Cli;
use self::args::{Command, DataArgs};
use self::report::{Reporter, Summary};

/// The exit code for data with problems.
const DATA_ERROR: u8 = 1;
/// The exit code for a usage or I/O failure.
pub const FAILURE: u8 = 2;

/// Runs the command asked for. An error is a usage or I/O failure: exit 2, with its message.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Issue(args) => issue::run(&args),
        Command::Revoke(args) => revoke::run(&args),
        Command::Log(args) => log::run(&args),
        Command::Pack(args) => pack::run(&args),
        Command::Profile(args) => profile::run(&args),
        Command::RenderWorker => render_worker::run(),
        Command::Keygen(args) => keygen::run(&args),
        Command::Publish(args) => publish::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::GenFixtures(args) => gen_fixtures::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::ImportCase(args) => import_case::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Pull(command) => pull::run(&command),
        Command::Map(args) => map::run(&args),
        Command::Requests(command) => requests::run(&command),
    }
}

/// Parses a date argument.
fn date_argument(flag: &str, text: &str) -> Result<chrono::NaiveDate> {
    parse_date(text).with_context(|| format!("{flag} {text} is not a date of the form YYYY-MM-DD"))
}

/// The validation options the data arguments ask for.
fn validate_options(data: &DataArgs) -> Result<ValidateOptions> {
    let issue_date = data.issue_date.as_deref().map(|text| date_argument("--issue-date", text)).transpose()?;
    Ok(ValidateOptions { issue_date, pesc: None })
}

/// The exit code for what was reported: warnings fail only under `--deny warnings`.
fn verdict(reporter: &Reporter, data: &DataArgs, other_failures: usize) -> ExitCode {
    if reporter.errors > 0 || other_failures > 0 || (data.deny_warnings() && reporter.warnings > 0) {
        ExitCode::from(DATA_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

/// The closing line: what was looked at, what was found.
fn summary(open: &OpenSchool, reporter: &Reporter, students: usize) -> Summary {
    Summary {
        school: open.dir().display().to_string(),
        files: 1 + open.folder.sources.len(),
        students,
        errors: reporter.errors,
        warnings: reporter.warnings,
    }
}

/// The school, for commands that need a valid `school.json`; when it has errors, prints them
/// and the line saying what was not done, and gives the exit code instead.
fn valid_school<'a>(open: &'a OpenSchool, not_done: &str) -> Result<&'a School, ExitCode> {
    open.school.as_ref().ok_or_else(|| {
        let mut reporter = Reporter::new(false, false);
        reporter.report(open.diagnostics.clone());
        reporter.line(&format!("{not_done}: school.json has errors\n"));
        ExitCode::from(DATA_ERROR)
    })
}

/// The school's signer from a key file; a key that is not the school's is printed, with the
/// line saying what was not done, and gives the exit code instead.
fn school_signer(
    open: &OpenSchool,
    school: &School,
    key: &std::path::Path,
    not_done: &str,
) -> Result<Result<mastery::credential::issuer::Signer, ExitCode>> {
    match mastery::issue::school_signer(open, school, Some(key)) {
        Ok(signer) => Ok(Ok(signer)),
        Err(mastery::issue::KeyRefusal::Invalid(diagnostic)) => {
            let mut reporter = Reporter::new(false, false);
            reporter.report([*diagnostic]);
            reporter.line(&format!("{not_done}: the signing key is not the one school.json names\n"));
            Ok(Err(ExitCode::from(DATA_ERROR)))
        }
        Err(mastery::issue::KeyRefusal::Usage(message)) => anyhow::bail!(message),
        Err(mastery::issue::KeyRefusal::Io(error)) => Err(error.into()),
    }
}

/// Pretty JSON with a final newline, as every JSON file `mastery` writes.
/// Prints what a check found, a line each: what holds, what was not checked, what does not.
fn print_findings(report: &mastery::credential::verify::Verification) {
    for line in &report.checked {
        println!("ok: {line}");
    }
    for line in &report.not_checked {
        println!("not checked: {line}");
    }
    for line in &report.problems {
        println!("invalid: {line}");
    }
}

fn pretty_json(value: &impl serde::Serialize) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}
