//! `mastery map SCHOOL [--write]`: what the school's OneRoster, Ed-Fi and gradebook sources hold that
//! `school.json` does not map yet, with a proposal for each, written into `school.json` only
//! with `--write`.

use std::process::ExitCode;

use anyhow::Result;
use mastery::hint::plural;
use mastery::load;
use mastery::validate::Schemas;
use mastery::{intake, map, output};

use super::args::MapArgs;
use super::report::Reporter;
use super::{DATA_ERROR, pretty_json, valid_school};

pub fn run(args: &MapArgs) -> Result<ExitCode> {
    let open = intake::open(&args.school, &Schemas::new())?;
    let school = match valid_school(&open, "nothing mapped") {
        Ok(school) => school,
        Err(code) => return Ok(code),
    };
    let mut reporter = Reporter::new(false, false);
    let (survey, problems, surveyed) = load::survey(&open.folder.sources, school)?;
    reporter.report(problems);
    if reporter.errors > 0 {
        reporter.line("nothing mapped: fix the problems above (mastery validate shows them all), then map again\n");
        return Ok(ExitCode::from(DATA_ERROR));
    }
    if surveyed == 0 {
        reporter.line("students/ holds no OneRoster bundle, no Ed-Fi folder and no gradebook report with a preset or map: nothing to map\n");
        return Ok(ExitCode::SUCCESS);
    }
    let proposals = map::propose(school, &survey);
    if proposals.is_empty() {
        reporter.line("school.json maps every objective, standard and score the sources hold\n");
        return Ok(ExitCode::SUCCESS);
    }
    for p in &proposals {
        let setting = format!("sources.{}", p.setting.replace('/', "."));
        let unit = if p.setting.ends_with("levels") || p.setting.ends_with("scores") { "score" } else { "result" };
        let titles = if p.titles.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = p.titles.iter().map(|t| format!("\"{t}\"")).collect();
            format!(", on {}", quoted.join(", "))
        };
        let value = p.value.as_ref().map_or("?".to_string(), |v| v.to_string());
        reporter.line(&format!(
            "{setting}: \"{}\" ({}{titles}) → {value}\n  {}\n",
            p.key,
            plural(p.count, unit),
            p.reason
        ));
    }
    let proposed = proposals.iter().filter(|p| p.value.is_some()).count();
    let by_hand = proposals.len() - proposed;
    if !args.write {
        reporter.line(&format!(
            "nothing written: check the {}, then run again with --write to put them into school.json{}\n",
            plural(proposed, "proposal"),
            if by_hand > 0 { format!("; {by_hand} to map by hand") } else { String::new() }
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let path = args.school.join("school.json");
    let mut config = match load::parse_json(&path, load::file(&path)?, 1) {
        Ok(document) => document.into_value(),
        Err(problems) => {
            reporter.report(problems);
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    let added = map::apply(&mut config, &proposals);
    output::write_atomic(&path, &pretty_json(&config)?)?;
    reporter.line(&format!(
        "wrote {} into {}{}\n",
        if added == 1 { "1 entry".to_string() } else { format!("{added} entries") },
        path.display(),
        if by_hand > 0 { format!("; {by_hand} left to map by hand") } else { String::new() }
    ));
    Ok(ExitCode::SUCCESS)
}
