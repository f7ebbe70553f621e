//! `mastery revoke CREDENTIAL_ID --reason TEXT --key KEY_FILE`: the revocation recorded in the
//! ledger, the status list signed again.

use std::process::ExitCode;

use anyhow::Result;
use mastery::intake;
use mastery::issue;
use mastery::validate::Schemas;

use super::args::RevokeArgs;
use super::{DATA_ERROR, school_signer, valid_school};

pub fn run(args: &RevokeArgs) -> Result<ExitCode> {
    let open = intake::open(&args.school, &Schemas::new())?;
    let school = match valid_school(&open, "nothing revoked") {
        Ok(school) => school,
        Err(code) => return Ok(code),
    };
    let signer = match school_signer(&open, school, &args.key, "nothing revoked")? {
        Ok(signer) => signer,
        Err(code) => return Ok(code),
    };
    let by = args.by.clone().unwrap_or_else(issue::default_actor);
    match issue::revoke(open.dir(), school, &signer, &args.credential, &args.reason, &by) {
        Ok(entry) => {
            println!(
                "revoked {} (version {} of {}): {}",
                entry.credential_id,
                entry.version,
                entry.student,
                entry.reason.as_deref().unwrap_or("")
            );
            println!("the status list is signed again: run `mastery publish` to put it on the site");
            Ok(ExitCode::SUCCESS)
        }
        Err(issue::RevokeError::Io(error)) => Err(error.into()),
        Err(error) => {
            eprintln!("nothing revoked: {error}");
            Ok(ExitCode::from(DATA_ERROR))
        }
    }
}
