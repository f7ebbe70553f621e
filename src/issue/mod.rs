//! Issuing: the school's record of what it issued, revoked and disclosed, the status lists
//! that let a college see that a transcript is still current, and the site a college checks.
//!
//! The issue itself is a build of the format [`crate::build::Format::Issue`]: the engine
//! writes each student's official files and, once they are in place, appends the entry to the
//! [`ledger`]. This module holds what the build and the other commands share: the ledger, the
//! status [`lists`], [`revoke`], the school's signer, and the published [`site`].

pub mod ledger;
pub mod lists;
pub mod site;

use std::io;
use std::path::{Path, PathBuf};

use self::ledger::{Entry, Ledger, LedgerError};
use self::lists::Lists;
use crate::credential::issuer::{Signer, SignerError};
use crate::credential::proof::Key;
use crate::credential::status;
use crate::diag::Diagnostic;
use crate::load;
use crate::model::School;
use crate::output;
use crate::pipeline::OpenSchool;

/// Why the school's key cannot be used.
#[derive(Debug)]
pub enum KeyRefusal {
    /// Asked for wrongly: no key file, no `credentials` settings, not a key file.
    Usage(String),
    /// The key is not the one `school.json` names: the diagnostic is placed at the setting.
    Invalid(Box<Diagnostic>),
    /// The key file cannot be read.
    Io(io::Error),
}

/// The school's signer: the key file read and checked against `school.json`.
pub fn school_signer(open: &OpenSchool, school: &School, key: Option<&Path>) -> Result<Signer, KeyRefusal> {
    let settings = school.credentials.clone().ok_or_else(|| {
        KeyRefusal::Usage(
            "school.json has no \"credentials\": {\"issuer_id\": ..., \"verification_method\": ...}; signed credentials need them"
                .to_string(),
        )
    })?;
    let path = key.ok_or_else(|| {
        KeyRefusal::Usage("signed credentials need --key KEY_FILE (make one with `mastery keygen`)".to_string())
    })?;
    let not_a_key = |cause: String| KeyRefusal::Usage(format!("{} is not a key file ({cause})", path.display()));
    let value: serde_json::Value =
        serde_json::from_slice(&load::file(path).map_err(KeyRefusal::Io)?).map_err(|e| not_a_key(e.to_string()))?;
    let key = Key::from_json(&value).map_err(|e| not_a_key(e.to_string()))?;
    Signer::new(&settings, key).map_err(|error| KeyRefusal::Invalid(Box::new(signer_problem(open, path, error))))
}

/// The diagnostic for a key that cannot sign for the school, placed at the setting it
/// contradicts.
fn signer_problem(open: &OpenSchool, key_file: &Path, error: SignerError) -> Diagnostic {
    let (field, message, hint) = match error {
        SignerError::Settings(problem) => (problem.field, problem.message, problem.hint),
        SignerError::OtherKey { held, named } => (
            "verification_method",
            format!(
                "--key {} holds the key {held}, but the verification method names {named}: credentials signed with it would not verify",
                key_file.display()
            ),
            "sign with the key the school publishes, or, for a new key, set verification_method to the one `mastery keygen` printed for it".to_string(),
        ),
    };
    let pointer = format!("/credentials/{field}");
    match &open.folder.school {
        Some(document) => document.error(&pointer, message).hint(hint),
        None => Diagnostic::error(open.dir().join("school.json"), message).pointer(pointer).hint(hint),
    }
}

/// The address every published record of the school hangs from: `transcript.verification_url_base`.
pub fn verification_base(school: &School) -> Result<&str, String> {
    school.transcript.verification_url_base.as_deref().filter(|base| base.starts_with("https://")).ok_or_else(|| {
        "issuing needs \"transcript\": {\"verification_url_base\": \"https://...\"} in school.json: the address where the school publishes its verification site (`mastery publish`)".to_string()
    })
}

/// Where the signed status lists are kept in the school folder: `status/<n>.json`.
pub fn list_path(school_dir: &Path, list: u32) -> PathBuf {
    school_dir.join("status").join(format!("{list}.json"))
}

/// The signed status list `list` as the school folder keeps it, when it is there and is JSON.
pub fn signed_list(school_dir: &Path, list: u32) -> io::Result<Option<serde_json::Value>> {
    Ok(load::optional_file(&list_path(school_dir, list))?.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Signs again every status list whose signed copy in the school folder does not show the
/// bits the ledger sets (or that has none yet). Gives the files written.
pub fn sign_lists(school_dir: &Path, base: &str, signer: &Signer, lists: &Lists) -> io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for list in lists.numbers() {
        if signed_list(school_dir, list)?.is_some_and(|signed| lists.shown_by(list, &signed)) {
            continue;
        }
        let path = list_path(school_dir, list);
        let revoked = lists.revoked(list);
        let now = ledger::now();
        let unsigned = status::list_credential(base, list, signer.issuer_id(), &now, &revoked);
        let signed = signer.sign(&unsigned, &now).map_err(|e| io::Error::other(e.to_string()))?;
        let mut bytes = serde_json::to_vec_pretty(&signed).expect("a credential serializes");
        bytes.push(b'\n');
        output::write_in_folder(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

/// Why a revocation did not happen.
#[derive(Debug)]
pub enum RevokeError {
    /// The ledger cannot be used.
    Ledger(LedgerError),
    /// The ledger has no such credential.
    Unknown(String),
    /// It was revoked already.
    AlreadyRevoked {
        /// The credential.
        id: String,
        /// Why it was.
        reason: String,
    },
    /// A file could not be written.
    Io(io::Error),
}

impl std::fmt::Display for RevokeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RevokeError::Ledger(error) => write!(f, "{error}"),
            RevokeError::Unknown(id) => write!(
                f,
                "the ledger records no credential {id}\n  hint: `mastery log SCHOOL_DIR` lists every credential the school issued"
            ),
            RevokeError::AlreadyRevoked { id, reason } => write!(f, "{id} was revoked already ({reason})"),
            RevokeError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for RevokeError {}

impl From<LedgerError> for RevokeError {
    fn from(error: LedgerError) -> Self {
        RevokeError::Ledger(error)
    }
}

impl From<io::Error> for RevokeError {
    fn from(error: io::Error) -> Self {
        RevokeError::Io(error)
    }
}

/// Revokes an issued credential: appends the revocation to the ledger and signs the status
/// list again with its bit set. Gives the ledger's entry.
pub fn revoke(
    school_dir: &Path,
    base: &str,
    signer: &Signer,
    credential_id: &str,
    reason: &str,
    by: &str,
) -> Result<Entry, RevokeError> {
    let mut ledger = Ledger::open(school_dir)?;
    let issued = ledger::issued(ledger.entries());
    let credential = issued.get(credential_id).ok_or_else(|| RevokeError::Unknown(credential_id.to_string()))?;
    if let Some(reason) = &credential.revoked {
        return Err(RevokeError::AlreadyRevoked { id: credential_id.to_string(), reason: reason.clone() });
    }
    let issue = &credential.entry;
    let entry = ledger.append(issue.revocation(reason.to_string(), by))?.clone();
    sign_lists(school_dir, base, signer, &Lists::of(ledger.entries()))?;
    Ok(entry)
}

/// Who is acting, when `--by` does not say: the user the command runs as.
pub fn default_actor() -> String {
    std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".to_string())
}
