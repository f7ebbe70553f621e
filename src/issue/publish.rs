//! `mastery publish`: the verification site written into a folder, a folder per web host, as
//! [`super::site`] makes it, after the ledger is checked against the head the site already
//! shows.

use std::io;
use std::path::{Path, PathBuf};

use super::head;
use super::ledger::LedgerError;
use super::lists::Lists;
use super::site::{self, Body, Kind, Published, PublishedHead};
use crate::credential::issuer::{self, Signer};
use crate::model::School;
use crate::{load, output};

/// What a publication wrote.
#[derive(Debug, Clone, Default)]
pub struct Publication {
    /// Each file written, with the address it is to be served at and what it is, in the order
    /// written.
    pub written: Vec<(PathBuf, String, Kind)>,
    /// How many of them are credentials' records.
    pub records: usize,
    /// The size of the ledger's signed head published (0: nothing issued yet).
    pub head_size: u64,
    /// How many entries of the ledger the published head does not cover yet (the last
    /// issue or revocation stopped before it signed the head, and no key was given).
    pub uncovered: u64,
}

/// Why nothing was published.
#[derive(Debug)]
pub enum PublishError {
    /// The ledger cannot be read, or its chain breaks.
    Ledger(LedgerError),
    /// What is in the school folder cannot be published (a status list behind the ledger, a
    /// head that is not the ledger's, a ledger rewritten after the site's head): why, and the fix.
    Refused(String),
    /// A file could not be read or written.
    Io(io::Error),
}

impl std::fmt::Display for PublishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublishError::Ledger(error) => write!(f, "{error}"),
            PublishError::Refused(why) => f.write_str(why),
            PublishError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for PublishError {}

impl From<io::Error> for PublishError {
    fn from(error: io::Error) -> Self {
        PublishError::Io(error)
    }
}

impl From<LedgerError> for PublishError {
    fn from(error: LedgerError) -> Self {
        match error {
            LedgerError::Io(error) => PublishError::Io(error),
            error => PublishError::Ledger(error),
        }
    }
}

/// Writes the verification site of the school folder `school_dir` into `site_dir`. With the
/// school's signer, the status lists and the ledger's head are first signed again where they
/// are behind the ledger. Refuses, before writing anything, a ledger that no longer agrees
/// with the head the site already shows (rewritten, cut or forked after it was published).
pub fn publish(
    school_dir: &Path,
    school: &School,
    site_dir: &Path,
    signer: Option<&Signer>,
) -> Result<Publication, PublishError> {
    let entries = super::read_ledger(school_dir, school)?;
    let base = if entries.is_empty() { "" } else { super::verification_base(school).map_err(PublishError::Refused)? };
    if let Some(signer) = signer
        && !entries.is_empty()
    {
        super::sign_state(school_dir, base, signer, &entries)?;
    }
    let head = published_head(school_dir, school, base, entries.len())?;
    if site_dir.is_dir() {
        output::remove_temporary_files(site_dir)?;
    }
    if let (Some(new), Some(old)) = (&head, site_head(site_dir, base)?) {
        head::agrees(&entries, &old.head).map_err(|why| {
            PublishError::Refused(format!(
                "the ledger no longer agrees with the head the site already publishes ({} entries, signed by {}): {why}; nothing was published\n  hint: restore the ledger from a backup; if the site's head is wrong, find out who wrote it before replacing it",
                old.head.size, old.signed_by
            ))
        })?;
        if new.signed.head.size < old.head.size {
            return Err(PublishError::Refused(format!(
                "the site already publishes a head of {} entries, newer than the school folder's ({}): nothing was published\n  hint: run `mastery publish` with --key KEY_FILE to sign the ledger's head again",
                old.head.size, new.signed.head.size
            )));
        }
    }
    let lists = Lists::of(&entries);
    let mut signed = Vec::new();
    for list in lists.numbers() {
        signed.push((list, super::signed_list(school_dir, list)?));
    }
    let documents = site::site(school, &entries, &signed, head.as_ref()).map_err(|e| PublishError::Refused(e.0))?;
    let mut publication =
        Publication { head_size: head.as_ref().map_or(0, |h| h.signed.head.size), ..Publication::default() };
    publication.uncovered = entries.len() as u64 - publication.head_size;
    for Published { url, kind, body } in documents {
        let relative = issuer::site_path(&url)
            .ok_or_else(|| PublishError::Refused(format!("{url} is not an https address a site folder can hold")))?;
        let path = site_dir.join(relative);
        let bytes = match body {
            Body::Json(value) => {
                let mut bytes = serde_json::to_vec_pretty(&value).expect("a document serializes");
                bytes.push(b'\n');
                bytes
            }
            Body::Text(text) => text.into_bytes(),
        };
        output::write_in_folder(&path, &bytes)?;
        publication.records += usize::from(kind == Kind::Record);
        publication.written.push((path, url, kind));
    }
    Ok(publication)
}

/// The head the school folder holds, checked: signed with a key its issuer controls, and the
/// head of the ledger's first entries. `None` when nothing was issued.
fn published_head(
    school_dir: &Path,
    school: &School,
    base: &str,
    entries: usize,
) -> Result<Option<PublishedHead>, PublishError> {
    if entries == 0 {
        return Ok(None);
    }
    let path = school_dir.join(head::CHECKPOINT);
    let Some(bytes) = load::optional_file_beneath(school_dir, Path::new(head::CHECKPOINT))? else {
        return Err(PublishError::Refused(format!(
            "the ledger has no signed head ({} is missing: the ledger was written by an older mastery, or the file was removed)\n  hint: run `mastery publish` with --key KEY_FILE to sign it",
            path.display()
        )));
    };
    let text =
        String::from_utf8(bytes).map_err(|_| PublishError::Refused(format!("{} is not text", path.display())))?;
    let signed = head::read(&text).map_err(|why| PublishError::Refused(format!("{}: {why}", path.display())))?;
    let issuer_id = school.credentials.as_ref().map_or("", |c| c.issuer_id.as_str());
    issuer::controls(issuer_id, &signed.signed_by).map_err(|why| {
        PublishError::Refused(format!("{}: signed by a key that is not the school's: {why}", path.display()))
    })?;
    if signed.head.origin != head::origin(base) {
        return Err(PublishError::Refused(format!(
            "{} is the head of the log {}, not of this school's ({})",
            path.display(),
            signed.head.origin,
            head::origin(base)
        )));
    }
    Ok(Some(PublishedHead { text, signed }))
}

/// The head the site folder already publishes, if any, its signature checked.
fn site_head(site_dir: &Path, base: &str) -> Result<Option<head::Signed>, PublishError> {
    let Some(relative) = issuer::site_path(&site::head_url(base)) else { return Ok(None) };
    let path = site_dir.join(relative);
    let Some(bytes) = load::optional_file(&path)? else { return Ok(None) };
    let text = String::from_utf8_lossy(&bytes);
    head::read(&text).map(Some).map_err(|why| {
        PublishError::Refused(format!(
            "{}: the head the site publishes does not verify ({why}): nothing was published\n  hint: find out who changed the site before replacing it",
            path.display()
        ))
    })
}
