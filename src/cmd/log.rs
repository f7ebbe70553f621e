//! `mastery log SCHOOL [--student ID]`: what the school issued, revoked and disclosed, when,
//! to whom and by whom, from its ledger; with `--verify`, whether the ledger is the one the
//! school signed and published.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use mastery::credential::issuer;
use mastery::intake::OpenSchool;
use mastery::issue::audit::{self, Given};
use mastery::issue::ledger::{self, Action, Entry, LedgerError};
use mastery::issue::{self, head, site};
use mastery::model::School;
use mastery::validate::Schemas;
use mastery::{intake, load};

use super::args::LogArgs;
use super::{DATA_ERROR, print_findings, school_signer, valid_school};

pub fn run(args: &LogArgs) -> Result<ExitCode> {
    // The school's settings say which keys sign its ledger.
    let open = intake::open(&args.school, &Schemas::new())?;
    let school = match valid_school(&open, "the ledger was not read") {
        Ok(school) => school,
        Err(code) => return Ok(code),
    };
    if let (true, Some(key)) = (args.adopt_unsigned, &args.key) {
        return adopt(&open, school, key);
    }
    let entries = match issue::read_ledger(&args.school, school) {
        Ok(entries) => entries,
        Err(LedgerError::Io(error)) => return Err(error.into()),
        Err(error) => {
            eprintln!("{error}");
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    if args.verify {
        return verify(args, school, &entries);
    }
    let shown: Vec<_> = entries.iter().filter(|e| args.student.as_ref().is_none_or(|id| &e.student == id)).collect();
    if args.json {
        for entry in shown {
            println!("{}", serde_json::to_string(entry)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if shown.is_empty() {
        println!("nothing issued yet{}", args.student.as_ref().map(|id| format!(" to {id}")).unwrap_or_default());
    }
    for entry in shown {
        println!("{}", line(entry));
    }
    if let Some(student) = &args.student {
        super::requests::print_asked(&args.school, student)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// One entry as a line for people.
fn line(entry: &Entry) -> String {
    let what = match entry.action {
        Action::Issue => "issued",
        Action::Revoke => "revoked",
        Action::Disclose => "disclosed",
    };
    let mut line = format!("{}  {what} {} version {}  {}", entry.at, entry.student, entry.version, entry.credential_id);
    if let Some(recipient) = &entry.recipient {
        line.push_str(&format!("  to {recipient}"));
    }
    if let Some(via) = entry.via.as_ref().filter(|via| entry.recipient.as_ref() != Some(via)) {
        line.push_str(&format!(" via {via}"));
    }
    if let (Action::Disclose, Some(profile)) = (entry.action, &entry.profile) {
        line.push_str(&format!("  ({profile} profile)"));
    }
    if let Some(profile) = entry.profile.as_ref().filter(|_| entry.action == Action::Issue) {
        line.push_str(&format!("  ({profile} profile)"));
    }
    if let Some(reason) = &entry.reason {
        line.push_str(&format!("  reason: {reason}"));
    }
    line.push_str(&format!("  by {}", entry.by));
    if let Some(request) = &entry.request {
        line.push_str(&format!("\n    for request {request}"));
        if let Some(party) = &entry.party {
            line.push_str(&format!(" from {party}"));
        }
        if let Some(interest) = &entry.interest {
            line.push_str(&format!("; {interest}"));
        }
    }
    line
}

/// `--adopt-unsigned`: the entries an older mastery wrote, signed.
fn adopt(open: &OpenSchool, school: &School, key: &Path) -> Result<ExitCode> {
    let signer = match school_signer(open, school, key, "nothing signed")? {
        Ok(signer) => signer,
        Err(code) => return Ok(code),
    };
    match ledger::adopt(open.dir(), &signer, &issue::keys(school)) {
        Ok(0) => println!("every entry of the ledger was signed already"),
        Ok(signed) => {
            println!("signed {signed} entries written before ledgers were signed; their content is unchanged")
        }
        Err(LedgerError::Io(error)) => return Err(error.into()),
        Err(error) => {
            eprintln!("nothing signed: {error}");
            return Ok(ExitCode::from(DATA_ERROR));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--verify`: the ledger's keys and its agreement with every signed head at hand.
fn verify(args: &LogArgs, school: &School, entries: &[Entry]) -> Result<ExitCode> {
    let Some(settings) = &school.credentials else {
        eprintln!(
            "the ledger was not checked: school.json has no \"credentials\", so nothing says which key is the school's"
        );
        return Ok(ExitCode::from(DATA_ERROR));
    };
    let base = school.transcript.verification_url_base.as_deref().unwrap_or("");
    // The keys school.json names (every entry was checked against them when it was read) or,
    // with the site, those the site publishes too: a key someone added to school.json after
    // the last publication is not one the world knows as the school's.
    let mut trusted: BTreeSet<String> = settings.keys().map(str::to_string).collect();
    let mut heads = Vec::new();
    if let Some(site_dir) = &args.site {
        trusted.retain(|method| published_key(site_dir, &settings.issuer_id, method));
        let url = site::head_url(base);
        match issuer::site_path(&url).and_then(|path| load::optional_file(&site_dir.join(path)).ok().flatten()) {
            Some(bytes) => heads.push(Given { from: url, text: String::from_utf8_lossy(&bytes).into_owned() }),
            None if entries.is_empty() => {}
            None => println!("not checked: the site {} publishes no signed head at {url}", site_dir.display()),
        }
    }
    for file in &args.checkpoints {
        let text = String::from_utf8_lossy(&load::file(file)?).into_owned();
        heads.push(Given { from: file.display().to_string(), text });
    }
    if let Some(bytes) = load::optional_file(&args.school.join(head::CHECKPOINT))? {
        let from = args.school.join(head::CHECKPOINT).display().to_string();
        heads.push(Given { from, text: String::from_utf8_lossy(&bytes).into_owned() });
    }
    let audit = audit::ledger(entries, base, &settings.issuer_id, &trusted, &heads);
    print_findings(&audit);
    let ledger = args.school.join(ledger::LEDGER);
    if audit.problems.is_empty() {
        println!("{}: valid", ledger.display());
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{}: not valid", ledger.display());
        Ok(ExitCode::from(DATA_ERROR))
    }
}

/// Whether the site's key documents for `method` name it: a key the school published.
fn published_key(site_dir: &Path, issuer_id: &str, method: &str) -> bool {
    let Ok(documents) = issuer::key_documents_for(issuer_id, &[method.to_string()]) else { return false };
    !documents.is_empty()
        && documents.iter().all(|(url, _)| {
            issuer::site_path(url)
                .and_then(|path| load::optional_file(&site_dir.join(path)).ok().flatten())
                .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
                .is_some_and(|document| names(&document, method))
        })
}

/// Whether a key document names the method among its keys.
fn names(document: &serde_json::Value, method: &str) -> bool {
    document["id"] == method
        || ["verificationMethod", "assertionMethod"].iter().any(|field| {
            document[field].as_array().is_some_and(|list| list.iter().any(|m| m == method || m["id"] == method))
        })
}
