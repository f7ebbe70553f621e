//! `mastery verify FILE`: a signed CLR or Open Badge (JSON, or baked into a PNG or SVG badge)
//! checked against its schema, every proof and its dates.

use std::process::ExitCode;

use anyhow::Result;
use mastery::credential::badge;
use mastery::credential::verify::{CredentialSchemas, verify};
use mastery::hint::plural;
use mastery::load;

use super::args::VerifyArgs;
use super::{DATA_ERROR, date_argument};

pub fn run(args: &VerifyArgs) -> Result<ExitCode> {
    let file = &args.file;
    let today = match &args.at {
        Some(text) => date_argument("--at", text)?,
        None => chrono::Utc::now().date_naive(),
    };
    let bytes = load::file(file)?;
    // A badge image carries its credential baked in.
    let baked = if bytes.starts_with(b"\x89PNG") {
        Some(badge::unbake_png(&bytes))
    } else if file.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")) {
        Some(badge::unbake_svg(&String::from_utf8_lossy(&bytes)))
    } else {
        None
    };
    let bytes = match baked {
        None => bytes,
        Some(Ok(text)) => {
            println!("ok: {} holds a baked credential", file.display());
            text.into_bytes()
        }
        Some(Err(error)) => {
            println!("invalid: {}: {error}", file.display());
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    let credential = match load::parse_json(file, bytes, 1) {
        Ok(document) => document.value,
        Err(diagnostics) => {
            diagnostics.iter().for_each(|d| eprintln!("{d}"));
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    let report = verify(&credential, &CredentialSchemas::new(), today);
    for line in &report.checked {
        println!("ok: {line}");
    }
    for problem in &report.problems {
        println!("invalid: {problem}");
    }
    if report.is_valid() {
        println!("{}: valid", file.display());
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{}: not valid ({})", file.display(), plural(report.problems.len(), "problem"));
        Ok(ExitCode::from(DATA_ERROR))
    }
}
