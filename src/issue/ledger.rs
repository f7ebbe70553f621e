//! The ledger: the school's own record of every transcript it issued, revoked or disclosed.
//!
//! `ledger.jsonl` in the school folder, one JSON object per line, appended to and never
//! rewritten. Each entry carries the SHA-256 of the entry before it (`prev`) and its own
//! (`hash`, over the entry as written with `hash` empty), so an entry edited, removed or
//! moved breaks the chain at its line, and every command that reads the ledger refuses it
//! there. An entry is appended only once every file it names is in place; one run at a time
//! holds `ledger.lock`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{load, output};

/// The name of the ledger in the school folder.
pub const LEDGER: &str = "ledger.jsonl";
/// The name of the lock beside it.
const LOCK: &str = "ledger.lock";
/// The `prev` of the first entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A version of a student's transcript was issued: its files written, its credential
    /// signed.
    Issue,
    /// An issued credential was revoked: its status bit set.
    Revoke,
    /// An issued version was sent (again) to a recipient.
    Disclose,
}

/// Where a credential's revocation bit is: a status list and an index in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRef {
    /// The number of the list (its address is `<verification_url_base>/status/<list>.json`).
    pub list: u32,
    /// The index of the credential's bit in the list.
    pub index: u64,
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The entry's number, from 1: its line.
    pub seq: u64,
    /// What happened.
    pub action: Action,
    /// When, in UTC (RFC 3339).
    pub at: String,
    /// Who did it (`--by`, or the user the command ran as).
    pub by: String,
    /// The student's id.
    pub student: String,
    /// The version of the student's transcript, from 1.
    pub version: u32,
    /// The credential issued, revoked or disclosed.
    pub credential_id: String,
    /// Its revocation bit.
    pub status: Option<StatusRef>,
    /// The issue date the transcript carries (issue).
    pub issue_date: Option<String>,
    /// The disclosure profile it was issued under (issue).
    pub profile: Option<String>,
    /// To whom it was sent (issue, disclose), as the registrar wrote it.
    pub recipient: Option<String>,
    /// The SHA-256 of the student's record as checked (issue).
    pub record_sha256: Option<String>,
    /// Every file written, by its path in the output folder, with its SHA-256 (issue).
    pub files: BTreeMap<String, String>,
    /// The SHA-256 of the signed credential, as published (issue).
    pub credential_sha256: Option<String>,
    /// The verification method that signed it, and the public key (issue), so a rotated key
    /// stays published.
    pub verification_method: Option<String>,
    /// The public key of that method, multibase (issue).
    pub public_key: Option<String>,
    /// The credential this version replaces (issue).
    pub supersedes: Option<String>,
    /// Why (revoke: "superseded by ..." or the registrar's words).
    pub reason: Option<String>,
    /// The hash of the entry before, or zeros for the first.
    pub prev: String,
    /// The SHA-256 of this entry as written with `hash` empty.
    pub hash: String,
}

impl Entry {
    /// An entry of `action` with nothing but its subject filled in; the ledger numbers and
    /// chains it when it is appended.
    pub fn new(action: Action, student: &str, version: u32, credential_id: &str, at: String, by: &str) -> Entry {
        Entry {
            seq: 0,
            action,
            at,
            by: by.to_string(),
            student: student.to_string(),
            version,
            credential_id: credential_id.to_string(),
            status: None,
            issue_date: None,
            profile: None,
            recipient: None,
            record_sha256: None,
            files: BTreeMap::new(),
            credential_sha256: None,
            verification_method: None,
            public_key: None,
            supersedes: None,
            reason: None,
            prev: String::new(),
            hash: String::new(),
        }
    }

    /// The revocation of the credential this issue entry records, for `reason`.
    pub fn revocation(&self, reason: String, by: &str) -> Entry {
        let mut entry = Entry::new(Action::Revoke, &self.student, self.version, &self.credential_id, now(), by);
        entry.status = self.status.clone();
        entry.reason = Some(reason);
        entry
    }

    fn digest(&self) -> String {
        let unsealed = Entry { hash: String::new(), ..self.clone() };
        crate::digest::sha256_hex(&serde_json::to_vec(&unsealed).expect("an entry serializes"))
    }
}

/// Why a ledger cannot be used.
#[derive(Debug)]
pub enum LedgerError {
    /// Another run holds the lock.
    Busy(PathBuf),
    /// The chain breaks: the ledger was edited, cut or reordered.
    Broken {
        /// The ledger.
        path: PathBuf,
        /// The line where it breaks, from 1.
        line: usize,
        /// What is wrong there.
        why: String,
    },
    /// It cannot be read or written.
    Io(io::Error),
}

impl std::fmt::Display for LedgerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LedgerError::Busy(path) => write!(
                f,
                "another mastery command is issuing or revoking for this school ({} is locked); wait for it to finish",
                path.display()
            ),
            LedgerError::Broken { path, line, why } => write!(
                f,
                "{}:{line}: the ledger's chain breaks here ({why}): it was edited, cut or reordered after it was written\n  hint: restore the ledger from a backup; nothing was issued, revoked or published",
                path.display()
            ),
            LedgerError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for LedgerError {}

impl From<io::Error> for LedgerError {
    fn from(error: io::Error) -> Self {
        LedgerError::Io(error)
    }
}

/// Reads and checks the ledger of a school folder (empty when there is none yet), without
/// taking the lock: for reading only.
pub fn read(school: &Path) -> Result<Vec<Entry>, LedgerError> {
    let path = school.join(LEDGER);
    match load::optional_file(&path)? {
        None => Ok(Vec::new()),
        Some(bytes) => parse(&path, &bytes),
    }
}

/// The entries of a ledger's bytes, the chain checked line by line.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Vec<Entry>, LedgerError> {
    let broken = |line: usize, why: String| LedgerError::Broken { path: path.to_path_buf(), line, why };
    let mut entries: Vec<Entry> = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let line = entries.len() + 1;
        let Some(end) = memchr::memchr(b'\n', rest) else {
            return Err(broken(line, "the line is incomplete".to_string()));
        };
        let text = &rest[..end];
        rest = &rest[end + 1..];
        let entry: Entry =
            serde_json::from_slice(text).map_err(|e| broken(line, format!("not a ledger entry: {e}")))?;
        if serde_json::to_vec(&entry).ok().as_deref() != Some(text) {
            return Err(broken(line, "the entry is not as mastery wrote it".to_string()));
        }
        let prev = entries.last().map_or(GENESIS, |e| e.hash.as_str());
        if entry.seq != line as u64 {
            return Err(broken(line, format!("it says it is entry {}", entry.seq)));
        }
        if entry.prev != prev {
            return Err(broken(line, "it does not follow the entry before it".to_string()));
        }
        if entry.digest() != entry.hash {
            return Err(broken(line, "its content does not match its hash".to_string()));
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// The ledger of a school, locked for one run that appends to it.
pub struct Ledger {
    path: PathBuf,
    file: File,
    entries: Vec<Entry>,
    _lock: File,
}

impl Ledger {
    /// Takes the school's lock and reads and checks its ledger.
    pub fn open(school: &Path) -> Result<Ledger, LedgerError> {
        let lock_path = school.join(LOCK);
        let lock = output::try_lock(&lock_path)?.ok_or(LedgerError::Busy(lock_path))?;
        let entries = read(school)?;
        let path = school.join(LEDGER);
        let file = output::append_to(&path)?;
        Ok(Ledger { path, file, entries, _lock: lock })
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Numbers, chains and appends an entry, flushed to the disk before it returns.
    pub fn append(&mut self, mut entry: Entry) -> io::Result<&Entry> {
        entry.seq = self.entries.len() as u64 + 1;
        entry.prev = self.entries.last().map_or(GENESIS.to_string(), |e| e.hash.clone());
        entry.hash = String::new();
        entry.hash = entry.digest();
        let mut line = serde_json::to_vec(&entry).expect("an entry serializes");
        line.push(b'\n');
        output::append(&mut self.file, &self.path, &line)?;
        self.entries.push(entry);
        Ok(self.entries.last().expect("just pushed"))
    }
}

/// What the ledger says of one credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// Its issue entry.
    pub entry: Entry,
    /// Why it was revoked, if it was.
    pub revoked: Option<String>,
    /// The credential that superseded it, if one did.
    pub superseded_by: Option<String>,
}

/// Every credential the ledger records as issued, by id, with its revocation.
pub fn issued(entries: &[Entry]) -> BTreeMap<String, Issued> {
    let mut issued: BTreeMap<String, Issued> = BTreeMap::new();
    for entry in entries {
        match entry.action {
            Action::Issue => {
                if let Some(old) = entry.supersedes.as_ref().and_then(|old| issued.get_mut(old)) {
                    old.superseded_by = Some(entry.credential_id.clone());
                }
                issued.insert(
                    entry.credential_id.clone(),
                    Issued { entry: entry.clone(), revoked: None, superseded_by: None },
                );
            }
            Action::Revoke => {
                if let Some(credential) = issued.get_mut(&entry.credential_id) {
                    credential.revoked = entry.reason.clone().or(Some(String::new()));
                }
            }
            Action::Disclose => {}
        }
    }
    issued
}

/// The latest version issued to each student under each disclosure profile, by (student id,
/// profile): a college's transcript and the family's are separate lines of versions.
pub fn latest(entries: &[Entry]) -> BTreeMap<(String, String), Entry> {
    let mut latest: BTreeMap<(String, String), Entry> = BTreeMap::new();
    for entry in entries.iter().filter(|e| e.action == Action::Issue) {
        let key = (entry.student.clone(), entry.profile.clone().unwrap_or_default());
        if latest.get(&key).is_none_or(|e| e.version < entry.version) {
            latest.insert(key, entry.clone());
        }
    }
    latest
}

/// The current time, as the ledger writes it.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger_of(n: usize) -> (tempfile::TempDir, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(dir.path()).unwrap();
        for i in 0..n {
            let entry = Entry::new(Action::Issue, &format!("S-{i}"), 1, &format!("urn:uuid:{i}"), now(), "registrar");
            ledger.append(entry).unwrap();
        }
        drop(ledger);
        let bytes = std::fs::read(dir.path().join(LEDGER)).unwrap();
        (dir, bytes)
    }

    fn broken_line(bytes: &[u8]) -> Option<usize> {
        match parse(Path::new("ledger.jsonl"), bytes) {
            Err(LedgerError::Broken { line, .. }) => Some(line),
            _ => None,
        }
    }

    #[test]
    fn a_ledger_reads_back_as_written() {
        let (dir, bytes) = ledger_of(3);
        let entries = read(dir.path()).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[2].seq, 3);
        assert_eq!(entries[1].prev, entries[0].hash);
        assert_eq!(broken_line(&bytes), None);
    }

    #[test]
    fn an_edit_a_removal_a_swap_or_a_cut_breaks_the_chain_at_its_line() {
        let (_dir, bytes) = ledger_of(4);
        let text = String::from_utf8(bytes.clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let join = |lines: &[&str]| lines.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes();
        // An edited field.
        let edited = text.replacen("S-2", "S-9", 1);
        assert_eq!(broken_line(edited.as_bytes()), Some(3));
        // A removed line.
        assert_eq!(broken_line(&join(&[lines[0], lines[2], lines[3]])), Some(2));
        // Two lines swapped.
        assert_eq!(broken_line(&join(&[lines[0], lines[2], lines[1], lines[3]])), Some(2));
        // Cut in the middle of a line.
        assert_eq!(broken_line(&bytes[..bytes.len() - 10]), Some(4));
    }

    #[test]
    fn a_second_run_cannot_take_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Ledger::open(dir.path()).unwrap();
        assert!(matches!(Ledger::open(dir.path()), Err(LedgerError::Busy(_))));
    }
}
