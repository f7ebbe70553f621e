//! `mastery gen-fixtures SCHOOL --students N --out FILE`: synthetic students that follow the
//! school's framework and scale, for benchmarks and load tests: as JSON Lines, or as a
//! OneRoster 1.2 CSV bundle (a folder, or a .zip).

use std::process::ExitCode;

use anyhow::Result;
use chrono::Datelike;
use mastery::hint::plural;
use mastery::validate::{Schemas, ValidateOptions};
use mastery::{intake, output, synth};

use super::args::{FixtureFormat, GenFixturesArgs};
use super::valid_school;

pub fn run(args: &GenFixturesArgs) -> Result<ExitCode> {
    let open = intake::open(&args.school, &Schemas::new())?;
    let school = match valid_school(&open, "nothing generated") {
        Ok(school) => school,
        Err(code) => return Ok(code),
    };
    let issue_date = mastery::validate::issue_date(school, &ValidateOptions::default())?;
    let students = synth::students(school, issue_date, args.first, args.students, args.seed);
    match args.format {
        FixtureFormat::Jsonl | FixtureFormat::GradebookJsonl => {
            let mut text = Vec::new();
            for record in students {
                let record = if args.format == FixtureFormat::Jsonl {
                    record
                } else {
                    synth::oneroster::gradebook_only(&record)
                };
                serde_json::to_writer(&mut text, &record)?;
                text.push(b'\n');
            }
            output::write_in_folder(&args.out, &text)?;
        }
        FixtureFormat::Oneroster => {
            let students: Vec<_> = students.map(|s| synth::oneroster::gradebook_only(&s)).collect();
            let year = if issue_date.month() >= 8 { issue_date.year() + 1 } else { issue_date.year() };
            let files = synth::oneroster::bundle(school, &students, year);
            output::write_bundle(&args.out, &files)?;
        }
    }
    eprintln!("wrote {} to {}", plural(args.students, "synthetic student"), args.out.display());
    Ok(ExitCode::SUCCESS)
}
