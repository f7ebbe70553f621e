//! `mastery gen-fixtures SCHOOL --students N --out FILE`: synthetic students that follow the
//! school's framework and scale, for benchmarks and load tests: as JSON Lines, as a
//! OneRoster 1.2 CSV bundle (a folder, or a .zip), as Ed-Fi (JSON resources or XML
//! interchanges, in a folder), or as Canvas's Outcome Results report with its roster (in a
//! folder).

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
        FixtureFormat::Oneroster | FixtureFormat::EdfiJson | FixtureFormat::EdfiXml | FixtureFormat::Canvas => {
            let students: Vec<_> = students.map(|s| synth::oneroster::gradebook_only(&s)).collect();
            let year = if issue_date.month() >= 8 { issue_date.year() + 1 } else { issue_date.year() };
            match args.format {
                FixtureFormat::EdfiJson => write_folder(&args.out, &synth::edfi::resources(school, &students, year))?,
                FixtureFormat::EdfiXml => write_folder(&args.out, &synth::edfi::interchanges(school, &students, year))?,
                FixtureFormat::Canvas => write_folder(&args.out, &synth::canvas::report(school, &students))?,
                _ => output::write_bundle(&args.out, &synth::oneroster::bundle(school, &students, year))?,
            }
        }
    }
    eprintln!("wrote {} to {}", plural(args.students, "synthetic student"), args.out.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes files into a folder, each atomically.
fn write_folder(out: &std::path::Path, files: &std::collections::BTreeMap<String, Vec<u8>>) -> Result<()> {
    output::create_folder(out)?;
    for (name, bytes) in files {
        output::write_atomic(&out.join(name), bytes)?;
    }
    Ok(())
}
