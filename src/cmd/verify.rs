//! `mastery verify FILE`: an issued transcript (PDF), a signed CLR or an Open Badge (JSON, or
//! baked into a PNG or SVG badge) checked against its schema, every proof, its dates, the data
//! it binds and, with `--site` or `--status-list`, its status.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use mastery::credential::issuer;
use mastery::credential::verify::{
    Carrier, CredentialSchemas, PDF_CREDENTIAL, check_binding, check_status, unwrap_file, verify,
};
use mastery::hint::plural;
use mastery::issue::audit;
use mastery::load;
use mastery::pades::{self, certificate};
use serde_json::Value;

use super::args::VerifyArgs;
use super::{DATA_ERROR, date_argument, print_findings};

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
    let (carrier, bytes) = match unwrap_file(file, bytes) {
        Ok(found) => found,
        Err(error) => return invalid(error),
    };
    let mut pdf_problem = None;
    if let Carrier::Pdf { .. } = &carrier {
        let mut anchors = Vec::new();
        for path in &args.trust {
            anchors.extend(
                certificate::read_chain(&load::file(path)?)
                    .map_err(|e| anyhow::anyhow!("--trust {}: {e}", path.display()))?,
            );
        }
        match pades::verify::verify(&load::file(file)?, &anchors) {
            Ok(Some(checked)) => {
                let kind =
                    if checked.certifies { "a certification signature (no changes permitted)" } else { "a signature" };
                println!(
                    "ok: the PDF carries {kind} by {}, intact, covering the whole file ({})",
                    checked.signer, checked.time
                );
                match &checked.timestamp {
                    Some(stamp) => println!(
                        "ok: the signature is timestamped by {} at {} (RFC 3161: PAdES B-T), the token intact",
                        stamp.authority, stamp.time
                    ),
                    None => {
                        println!("note: the signature carries no timestamp (PAdES B-B): its time is the signer's word")
                    }
                }
                match checked.anchor {
                    Some(anchor) => println!("ok: the signer is trusted: its certificate leads to {anchor} (--trust)"),
                    None if args.trust.is_empty() => {
                        println!("signed, signer not trusted: no trust anchor given (--trust CERT_FILE)")
                    }
                    None => println!(
                        "signed, signer not trusted: its certificate leads to none of the --trust certificates"
                    ),
                }
            }
            Ok(None) => println!("note: the PDF carries no PAdES signature (Acrobat and pdfsig show it unsigned)"),
            Err(why) => pdf_problem = Some(format!("PAdES signature: {why}")),
        }
    }
    match &carrier {
        Carrier::Pdf { .. } => println!("ok: {} carries a signed credential ({PDF_CREDENTIAL})", file.display()),
        Carrier::Png | Carrier::Svg => println!("ok: {} holds a baked credential", file.display()),
        Carrier::Json => {}
    }
    let credential_bytes = bytes.clone();
    let credential = match load::parse_json(file, bytes, 1) {
        Ok(document) => document.into_value(),
        Err(diagnostics) => {
            diagnostics.iter().for_each(|d| eprintln!("{d}"));
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    let mut report = verify(&credential, &CredentialSchemas::new(), today);
    if let Carrier::Pdf { attachments, pages } = &carrier {
        check_binding(&credential, attachments, pages, &mut report);
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
    report.problems.extend(pdf_problem);
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
