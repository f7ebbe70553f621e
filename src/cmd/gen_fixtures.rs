//! `mastery gen-fixtures SCHOOL --students N --out FILE`: synthetic students (JSON Lines) that
//! follow the school's framework and scale, for benchmarks and load tests.

use std::process::ExitCode;

use anyhow::Result;
use mastery::hint::plural;
use mastery::validate::{Schemas, ValidateOptions};
use mastery::{intake, output, synth};

use super::args::GenFixturesArgs;
use super::valid_school;

pub fn run(args: &GenFixturesArgs) -> Result<ExitCode> {
    let open = intake::open(&args.school, &Schemas::new())?;
    let school = match valid_school(&open, "nothing generated") {
        Ok(school) => school,
        Err(code) => return Ok(code),
    };
    let issue_date = mastery::validate::issue_date(school, &ValidateOptions::default())?;
    let mut text = Vec::new();
    for record in synth::students(school, issue_date, args.first, args.students, args.seed) {
        serde_json::to_writer(&mut text, &record)?;
        text.push(b'\n');
    }
    output::write_in_folder(&args.out, &text)?;
    eprintln!("wrote {} to {}", plural(args.students, "synthetic student"), args.out.display());
    Ok(ExitCode::SUCCESS)
}
