//! Issuing: the school's record of what it issued, revoked and disclosed, the status lists
//! that let a college see that a transcript is still current, and the site a college checks.
//!
//! The issue itself is a build of the format [`crate::batch::Format::Issue`]: the engine
//! writes each student's official files and, once they are in place, appends the entry to the
//! [`ledger`]. This module holds what the build and the other commands share: the ledger, the
//! status [`lists`], [`revoke`], the school's signer, and the published [`site`].

pub mod audit;
// The books of an issue are kept by the batch engine, which only the `render` feature builds.
#[cfg(feature = "render")]
pub(crate) mod books;
pub mod head;
pub mod ledger;
pub mod lists;
pub mod publish;
pub mod site;
pub mod state;

use std::io;
use std::path::{Path, PathBuf};

use self::head::Head;
use self::ledger::{Entry, Ledger, LedgerError};
use self::lists::Lists;
use self::state::Versions;
use crate::credential::issuer::{Signer, SignerError};
use crate::credential::proof::Key;
use crate::credential::status;
use crate::diag::Diagnostic;
use crate::intake::OpenSchool;
use crate::load;
use crate::model::School;
use crate::output;
use crate::pades::DocumentSigner;
use crate::pades::certificate::CertificateProblem;

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

/// The signer of the school's PDFs (PAdES): the certificate chain `school.json` names, read
/// from the school folder, and the key from `key` (the `--pdf-key` file), both checked for
/// signing documents on `on` before anything is written. Every issued PDF is signed: a
/// `school.json` that names no certificate is refused, with how to make one.
pub fn document_signer(
    open: &OpenSchool,
    school: &School,
    key: Option<&Path>,
    on: chrono::NaiveDate,
) -> Result<DocumentSigner, KeyRefusal> {
    let Some(settings) = &school.document_signing else {
        let message = "every issued PDF carries the school's PAdES signature, and school.json names no document-signing certificate".to_string();
        let hint = "make a key and a certificate with `mastery keygen --x509 --out school.pdf-key.pem --subject \"CN=School Name,O=School Name,C=US\" --self-signed SCHOOL/keys/document-signing.pem` (or a signing request for a CA: --csr), add \"document_signing\": {\"certificate\": \"keys/document-signing.pem\"} to school.json, and issue with --pdf-key school.pdf-key.pem";
        let diagnostic = match &open.folder.school {
            Some(document) => document.error("", message).hint(hint),
            None => Diagnostic::error(open.dir().join("school.json"), message).hint(hint),
        };
        return Err(KeyRefusal::Invalid(Box::new(diagnostic)));
    };
    let path = key.ok_or_else(|| {
        KeyRefusal::Usage(format!(
            "school.json names the document-signing certificate {}: give its key with --pdf-key KEY.pem, which signs every issued PDF",
            settings.certificate
        ))
    })?;
    let at_setting = |message: String, hint: &str| {
        let pointer = "/document_signing/certificate";
        let diagnostic = match &open.folder.school {
            Some(document) => document.error(pointer, message).hint(hint),
            None => Diagnostic::error(open.dir().join("school.json"), message).pointer(pointer).hint(hint),
        };
        KeyRefusal::Invalid(Box::new(diagnostic))
    };
    let chain = load::file_beneath(open.dir(), Path::new(&settings.certificate)).map_err(|error| {
        at_setting(
            format!("the certificate {} cannot be read: {error}", settings.certificate),
            "name a PEM file in the school folder; `mastery keygen --x509` makes a key with a self-signed certificate or a signing request",
        )
    })?;
    let key_text = String::from_utf8(load::file(path).map_err(KeyRefusal::Io)?)
        .map_err(|_| KeyRefusal::Usage(format!("{} is not a PEM key file", path.display())))?;
    DocumentSigner::new(&key_text, &chain, on).map_err(|problem| match problem {
        CertificateProblem::Key(_) => {
            KeyRefusal::Usage(format!("--pdf-key {}: {problem}\n  hint: {}", path.display(), problem.hint()))
        }
        _ => {
            at_setting(format!("{} with --pdf-key {}: {problem}", settings.certificate, path.display()), problem.hint())
        }
    })
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

/// The keys whose signatures make a ledger entry the school's (none when `school.json` has no
/// `credentials`).
pub fn keys(school: &School) -> ledger::Keys {
    school.credentials.as_ref().map(ledger::Keys::of).unwrap_or_default()
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
    let relative = format!("status/{list}.json");
    let bytes = load::optional_file_beneath(school_dir, Path::new(&relative))?;
    Ok(bytes.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// Signs again what the ledger's entries now call for: every status list whose signed copy
/// is behind them, and the ledger's head ([`head::CHECKPOINT`]) when it is. Gives the files
/// written.
pub fn sign_state(school_dir: &Path, base: &str, signer: &Signer, entries: &[Entry]) -> io::Result<Vec<PathBuf>> {
    let mut written = sign_lists(school_dir, base, signer, &Lists::of(entries))?;
    let head = Head::of(base, entries);
    let path = school_dir.join(head::CHECKPOINT);
    let signed = load::optional_file_beneath(school_dir, Path::new(head::CHECKPOINT))?
        .and_then(|bytes| head::read(&String::from_utf8(bytes).ok()?).ok());
    if signed.is_none_or(|signed| signed.head != head || signed.signed_by != signer.verification_method()) {
        output::write_atomic(&path, head.sign(signer).as_bytes())?;
        written.push(path);
    }
    Ok(written)
}

/// Reads the school's ledger, checked as every command that reads it checks it: the chain,
/// every entry signed by a key of the school, and the entries the head signed by the last
/// issue or revocation covers (`ledger.checkpoint`) still there and unchanged.
pub fn read_ledger(school_dir: &Path, school: &School) -> Result<Vec<Entry>, LedgerError> {
    let entries = ledger::read(school_dir, &keys(school))?;
    agrees_with_signed_head(school_dir, school, &entries)?;
    Ok(entries)
}

/// Takes the school's ledger to append to, checked as [`read_ledger`] checks it. The
/// temporary files a stopped run left where the ledger's holder writes (the school folder,
/// its `status/`) are removed.
pub fn open_ledger(school_dir: &Path, school: &School) -> Result<Ledger, LedgerError> {
    let ledger = Ledger::open(school_dir, &keys(school))?;
    agrees_with_signed_head(school_dir, school, ledger.entries())?;
    output::remove_temporary_files_here(school_dir)?;
    output::remove_temporary_files_here(&school_dir.join("status"))?;
    Ok(ledger)
}

fn agrees_with_signed_head(school_dir: &Path, school: &School, entries: &[Entry]) -> Result<(), LedgerError> {
    let path = school_dir.join(head::CHECKPOINT);
    let disagrees = |why: String| LedgerError::Disagrees { path: path.clone(), why };
    let Some(signed) = signed_head(school_dir).map_err(disagrees)? else { return Ok(()) };
    if !keys(school).contains(&signed.signed_by) {
        return Err(disagrees(format!("it is signed by {}, which is not a key of the school", signed.signed_by)));
    }
    head::agrees(entries, &signed.head).map_err(disagrees)
}

/// The signed head the last issue or revocation left in the school folder, if any.
pub fn signed_head(school_dir: &Path) -> Result<Option<head::Signed>, String> {
    let path = school_dir.join(head::CHECKPOINT);
    let bytes = load::optional_file_beneath(school_dir, Path::new(head::CHECKPOINT)).map_err(|e| e.to_string())?;
    let Some(bytes) = bytes else { return Ok(None) };
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not text", path.display()))?;
    head::read(&text).map(Some).map_err(|why| format!("{}: {why}", path.display()))
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
    /// The reason or the name is missing or not plain text.
    Refused(String),
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
            RevokeError::Refused(why) => f.write_str(why),
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
/// list and the ledger's head again. Gives the ledger's entry. The reason and the name are
/// the registrar's words ([`words`]): a blank one is refused.
pub fn revoke(
    school_dir: &Path,
    school: &School,
    signer: &Signer,
    credential_id: &str,
    reason: &str,
    by: &str,
) -> Result<Entry, RevokeError> {
    let reason = words("the reason", reason).map_err(RevokeError::Refused)?;
    let by = words("who revokes it", by).map_err(RevokeError::Refused)?;
    let base = verification_base(school).map_err(RevokeError::Refused)?;
    let mut ledger = open_ledger(school_dir, school)?;
    let versions = Versions::of(ledger.entries());
    let credential =
        versions.credential(credential_id).ok_or_else(|| RevokeError::Unknown(credential_id.to_string()))?;
    if let Some(reason) = &credential.revoked {
        // A revocation that stopped after its entry was appended: what follows from it is
        // signed now.
        sign_state(school_dir, base, signer, ledger.entries())?;
        return Err(RevokeError::AlreadyRevoked { id: credential_id.to_string(), reason: reason.clone() });
    }
    let revocation = credential.entry.revocation(reason, &by);
    let entry = ledger.append(revocation, signer)?.clone();
    sign_state(school_dir, base, signer, ledger.entries())?;
    Ok(entry)
}

/// The most characters of a registrar's words the ledger takes (a reason, a name, a
/// recipient).
pub const MOST_WORDS: usize = 500;

/// A registrar's words for the ledger (a reason, who acts, a recipient), trimmed: refused,
/// with why, when blank, longer than [`MOST_WORDS`] characters, or holding a control
/// character. The site shows a revocation's reason to whoever verifies.
pub fn words(what: &str, text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{what} is blank: the ledger records it, so write it out"));
    }
    if text.chars().count() > MOST_WORDS {
        return Err(format!("{what} is longer than {MOST_WORDS} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("{what} holds a control character (a line break or a tab): write it on one line"));
    }
    Ok(text.to_string())
}

/// Who is acting, when `--by` does not say: the user the command runs as.
pub fn default_actor() -> String {
    std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".to_string())
}
