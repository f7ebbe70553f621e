//! `mastery import-case PACKAGE`: a framework (and scale) from a 1EdTech CASE package, alone or
//! into an existing `school.json`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use mastery::{case, load, output};

use super::args::ImportCaseArgs;
use super::report::Reporter;
use super::{DATA_ERROR, pretty_json};

pub fn run(args: &ImportCaseArgs) -> Result<ExitCode> {
    let mut reporter = Reporter::new(false, false);
    let Some(document) = read_json(&args.package, &mut reporter)? else { return Ok(ExitCode::from(DATA_ERROR)) };
    let options = case::ImportOptions { area_depth: usize::from(args.area_depth) };
    let imported = case::import(&document, &case::CaseSchema::new(), &options);
    reporter.report(imported.diagnostics);
    let Some(imported) = imported.value else {
        reporter.line("nothing imported\n");
        return Ok(ExitCode::from(DATA_ERROR));
    };
    let mut result = match &args.into {
        Some(path) => match read_json(path, &mut reporter)? {
            Some(school) => school.into_value(),
            None => return Ok(ExitCode::from(DATA_ERROR)),
        },
        None => serde_json::json!({}),
    };
    let Some(object) = result.as_object_mut() else {
        bail!("{} does not hold a JSON object", args.into.as_deref().unwrap_or(&args.package).display());
    };
    object.insert("framework".to_string(), imported.framework.clone());
    if let Some(scale) = &imported.scale {
        object.insert("scale".to_string(), scale.clone());
    }
    let bytes = pretty_json(&result)?;
    match &args.out {
        Some(path) => output::write_atomic(path, &bytes)?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    reporter.line(&format!("{}\n", case::summary(&imported)));
    Ok(ExitCode::SUCCESS)
}

/// A JSON file, or `None` once its problems are reported.
fn read_json(path: &Path, reporter: &mut Reporter) -> Result<Option<mastery::document::Document>> {
    match load::parse_json(path, load::file(path)?, 1) {
        Ok(document) => Ok(Some(document)),
        Err(diagnostics) => {
            reporter.report(diagnostics);
            Ok(None)
        }
    }
}
