//! `mastery publish SCHOOL --site DIR`: the verification site, in a folder per web host: each
//! issued credential's record, the status lists, the key documents.

use std::process::ExitCode;

use anyhow::{Context, Result};
use mastery::credential::issuer;
use mastery::issue;
use mastery::issue::ledger::{self, LedgerError};
use mastery::issue::lists::Lists;
use mastery::issue::site::{self, Published};
use mastery::validate::Schemas;
use mastery::{output, pipeline};

use super::args::PublishArgs;
use super::{DATA_ERROR, pretty_json, school_signer, valid_school};

pub fn run(args: &PublishArgs) -> Result<ExitCode> {
    let open = pipeline::open(&args.school, &Schemas::new())?;
    let school = match valid_school(&open, "nothing published") {
        Ok(school) => school,
        Err(code) => return Ok(code),
    };
    let entries = match ledger::read(open.dir()) {
        Ok(entries) => entries,
        Err(LedgerError::Io(error)) => return Err(error.into()),
        Err(error) => {
            eprintln!("nothing published: {error}");
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    let lists = Lists::of(&entries);
    // With the key, a status list an interrupted run left behind the ledger is signed again.
    if let Some(key) = &args.key {
        let signer = match school_signer(&open, school, key, "nothing published")? {
            Ok(signer) => signer,
            Err(code) => return Ok(code),
        };
        let base = issue::verification_base(school).map_err(anyhow::Error::msg)?;
        issue::sign_lists(open.dir(), base, &signer, &lists)?;
    }
    let mut signed = Vec::new();
    for list in lists.numbers() {
        signed.push((list, issue::signed_list(open.dir(), list)?));
    }
    let published = match site::site(school, &entries, &signed) {
        Ok(published) => published,
        Err(error) => {
            eprintln!("nothing published: {error}");
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    if published.is_empty() {
        eprintln!("nothing to publish: nothing issued yet, and a did:key is its own key document");
    }
    let (mut records, mut others) = (0, Vec::new());
    for Published { url, document } in &published {
        let path = args.site.join(issuer::site_path(url).with_context(|| format!("{url} is not an https address"))?);
        output::write_in_folder(&path, &pretty_json(document)?)?;
        if document["type"] == "MasteryTranscriptRecord" {
            records += 1;
        } else {
            others.push(format!("wrote {} (serve it at {url})", path.display()));
        }
    }
    for line in others {
        println!("{line}");
    }
    if records > 0 {
        println!(
            "wrote the records of {records} issued credentials, each at the address its transcript's QR code shows"
        );
    }
    Ok(ExitCode::SUCCESS)
}
