//! `mastery verify FILE`: an issued transcript (PDF), a signed CLR or an Open Badge (JSON, or
//! baked into a PNG or SVG badge) checked against its schema, every proof, its dates, the data
//! it binds and, with `--site` or `--status-list`, its status.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use mastery::credential::verify::{CredentialSchemas, check_binding, check_status, verify};
use mastery::credential::{badge, issuer};
use mastery::hint::plural;
use mastery::issue::audit;
use mastery::load;
use serde_json::Value;

use super::args::VerifyArgs;
use super::{DATA_ERROR, date_argument, print_findings};

/// The name of the signed credential an issued PDF carries.
const CREDENTIAL_FILE: &str = "credential.clr.json";

pub fn run(args: &VerifyArgs) -> Result<ExitCode> {
    let file = &args.file;
    let today = match &args.at {
        Some(text) => date_argument("--at", text)?,
        None => chrono::Utc::now().date_naive(),
    };
    let bytes = load::file(file)?;
    let invalid = |why: String| {
        println!("invalid: {}: {why}", file.display());
        Ok(ExitCode::from(DATA_ERROR))
    };
    // A PDF carries its credential and data attached; a badge image carries its credential
    // baked in.
    let mut attached = Vec::new();
    let mut pages = None;
    let bytes = if bytes.starts_with(b"%PDF-") {
        attached = match load::pdf::attachments(&bytes) {
            Ok(files) => files,
            Err(error) => return invalid(error),
        };
        pages = match load::pdf::pages_digest(&bytes) {
            Ok(digest) => Some(digest),
            Err(error) => return invalid(error),
        };
        match attached.iter().find(|(name, _)| name == CREDENTIAL_FILE) {
            Some((_, credential)) => {
                println!("ok: {} carries a signed credential ({CREDENTIAL_FILE})", file.display());
                credential.clone()
            }
            None => {
                return invalid(
                    "the PDF carries no signed credential: it is a preview (an unofficial copy) or not an issued mastery transcript"
                        .to_string(),
                );
            }
        }
    } else if bytes.starts_with(b"\x89PNG") || file.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")) {
        let baked = if bytes.starts_with(b"\x89PNG") {
            badge::unbake_png(&bytes)
        } else {
            badge::unbake_svg(&String::from_utf8_lossy(&bytes))
        };
        match baked {
            Ok(text) => {
                println!("ok: {} holds a baked credential", file.display());
                text.into_bytes()
            }
            Err(error) => return invalid(error.to_string()),
        }
    } else {
        bytes
    };
    let credential_bytes = bytes.clone();
    let credential = match load::parse_json(file, bytes, 1) {
        Ok(document) => document.into_value(),
        Err(diagnostics) => {
            diagnostics.iter().for_each(|d| eprintln!("{d}"));
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    let mut report = verify(&credential, &CredentialSchemas::new(), today);
    if let Some(pages) = &pages {
        check_binding(&credential, &attached, pages, &mut report);
    }
    let status_list = match &args.status_list {
        Some(path) => {
            Some(load::parse_json(path, load::file(path)?, 1).map(load::Document::into_value).map_err(|problems| {
                anyhow::anyhow!("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
            })?)
        }
        None => None,
    };
    let lookup = |url: &str| -> Option<Value> {
        if let Some(list) = &status_list {
            return (list["id"].as_str() == Some(url)).then(|| list.clone());
        }
        serde_json::from_slice(&from_site(args.site.as_deref()?, url)?).ok()
    };
    check_status(&credential, &lookup, &mut report);
    // With the site, that the school's ledger holds the issue, by its published head.
    if let Some(site) = args.site.as_deref()
        && credential.get("credentialStatus").is_some()
    {
        audit::check_inclusion(&credential, &credential_bytes, &|url| from_site(site, url), &mut report);
    }
    if args.require_status {
        report.problems.extend(report.not_checked.drain(..).map(|line| format!("{line} (--require-status)")));
    }
    print_findings(&report);
    if !report.is_valid() {
        println!("{}: not valid ({})", file.display(), plural(report.problems.len(), "problem"));
        Ok(ExitCode::from(DATA_ERROR))
    } else if report.not_checked.is_empty() {
        println!("{}: valid", file.display());
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "{}: valid signature and content; status not checked (give --site DIR or --status-list FILE, or --require-status to fail)",
            file.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// A document of a published site folder, by its address.
fn from_site(site: &Path, url: &str) -> Option<Vec<u8>> {
    load::optional_file(&site.join(issuer::site_path(url)?)).ok()?
}
