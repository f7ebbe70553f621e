//! `mastery log SCHOOL [--student ID]`: what the school issued, revoked and disclosed, when,
//! to whom and by whom, from its ledger.

use std::process::ExitCode;

use anyhow::Result;
use mastery::issue::ledger::{self, Action, LedgerError};

use super::DATA_ERROR;
use super::args::LogArgs;

pub fn run(args: &LogArgs) -> Result<ExitCode> {
    let entries = match ledger::read(&args.school) {
        Ok(entries) => entries,
        Err(LedgerError::Io(error)) => return Err(error.into()),
        Err(error) => {
            eprintln!("{error}");
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    let shown: Vec<_> = entries.iter().filter(|e| args.student.as_ref().is_none_or(|id| &e.student == id)).collect();
    if args.json {
        for entry in shown {
            println!("{}", serde_json::to_string(entry)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if shown.is_empty() {
        println!("nothing issued yet{}", args.student.as_ref().map(|id| format!(" to {id}")).unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    for entry in shown {
        let what = match entry.action {
            Action::Issue => "issued",
            Action::Revoke => "revoked",
            Action::Disclose => "disclosed",
        };
        let mut line =
            format!("{}  {what} {} version {}  {}", entry.at, entry.student, entry.version, entry.credential_id);
        if let Some(recipient) = &entry.recipient {
            line.push_str(&format!("  to {recipient}"));
        }
        if let Some(profile) = entry.profile.as_ref().filter(|_| entry.action == Action::Issue) {
            line.push_str(&format!("  ({profile} profile)"));
        }
        if let Some(reason) = &entry.reason {
            line.push_str(&format!("  reason: {reason}"));
        }
        line.push_str(&format!("  by {}", entry.by));
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}
