//! `mastery publish SCHOOL --site DIR`: the verification site, in a folder per web host: the
//! ledger's signed head, each issued credential's record, the status lists, the key documents.

use std::process::ExitCode;

use anyhow::Result;
use mastery::intake;
use mastery::issue::publish::{self, PublishError};
use mastery::issue::site::Kind;
use mastery::validate::Schemas;

use super::args::PublishArgs;
use super::{DATA_ERROR, school_signer, valid_school};

pub fn run(args: &PublishArgs) -> Result<ExitCode> {
    let open = intake::open(&args.school, &Schemas::new())?;
    let school = match valid_school(&open, "nothing published") {
        Ok(school) => school,
        Err(code) => return Ok(code),
    };
    // With the key, a status list or head an interrupted run left behind the ledger is
    // signed again.
    let signer = match &args.key {
        Some(key) => match school_signer(&open, school, key, "nothing published")? {
            Ok(signer) => Some(signer),
            Err(code) => return Ok(code),
        },
        None => None,
    };
    let publication = match publish::publish(open.dir(), school, &args.site, signer.as_ref()) {
        Ok(publication) => publication,
        Err(PublishError::Io(error)) => return Err(error.into()),
        Err(error) => {
            eprintln!("nothing published: {error}");
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    if publication.written.is_empty() {
        eprintln!("nothing to publish: nothing issued yet, and a did:key is its own key document");
    }
    for (path, url, kind) in &publication.written {
        if matches!(kind, Kind::StatusList | Kind::Key | Kind::Head) {
            println!("wrote {} (serve it at {url})", path.display());
        }
    }
    if publication.records > 0 {
        println!(
            "wrote the records of {} issued credentials, each at the address its transcript's QR code shows, with the proof that the ledger holds it",
            publication.records
        );
    }
    if publication.head_size > 0 {
        println!("the ledger's signed head covers its {} entries", publication.head_size);
    }
    if publication.uncovered > 0 {
        eprintln!(
            "warning: the signed head does not cover the ledger's last {} entries (an issue or revocation stopped before it signed it): run `mastery publish` with --key KEY_FILE",
            publication.uncovered
        );
    }
    Ok(ExitCode::SUCCESS)
}
