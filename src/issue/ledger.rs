//! The ledger: the school's own record of every transcript it issued, revoked or disclosed.
//!
//! `ledger.jsonl` in the school folder, one JSON object per line, appended to and never
//! rewritten. Each entry carries the SHA-256 of the entry before it (`prev`) and its own
//! (`hash`, over the entry as written with `hash` and the signature empty), so an entry
//! edited, removed or moved breaks the chain at its line, and every command that reads the
//! ledger refuses it there. Each entry is also signed with the school's key (`signed_by`,
//! `signature`: Ed25519 over its hash, which covers every entry before it), so no one without
//! the key can write a chain that verifies; what a holder of the key could still rewrite is
//! caught by the signed head the site publishes ([`super::head`]). An entry is appended only
//! once every file it names is in place; one run at a time holds `ledger.lock`. A line a crash
//! cut short (no newline at its end) was never appended: readers leave it out, and the next run
//! that appends cuts it off.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::credential::issuer::Signer;
use crate::credential::proof;
use crate::model::CredentialSettings;
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
    /// How it was sent, when through a portal's pack (disclose): the destination's name, such
    /// as "Common App".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// The request of the registrar's queue the issue or disclosure answers (`R-000042`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// Who asked for it (34 CFR 99.32(a)(3)(i)): "parent: Dana Reyes", "college: Reed College".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// The legitimate interest the party had in the record, or the consent the disclosure
    /// rests on (34 CFR 99.32(a)(3)(ii)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interest: Option<String>,
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
    /// The SHA-256 of this entry as written with `hash`, `signed_by` and `signature` empty.
    pub hash: String,
    /// The verification method whose key signed the entry (every entry written since
    /// ledgers are signed; the entries before the first signed one are covered by its
    /// signature through the chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// The Ed25519 signature of [`signing_message`] of the hash, base58btc multibase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The request a transcript is sent for, as the ledger records it with the disclosure (34 CFR
/// 99.32: the parties who asked and their legitimate interest): one per student of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requested {
    /// The request's id in the queue.
    pub request: String,
    /// Who asked, in words.
    pub party: String,
    /// Their legitimate interest, or the consent given.
    pub interest: String,
}

/// The keys whose signatures make an entry the school's: the verification method
/// `school.json` names and those it retired (`credentials.retired_verification_methods`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys(BTreeSet<String>);

impl Keys {
    /// The school's keys, as its settings name them.
    pub fn of(settings: &CredentialSettings) -> Keys {
        Keys(settings.keys().map(str::to_string).collect())
    }

    /// Whether the key of this verification method is the school's.
    pub fn contains(&self, method: &str) -> bool {
        self.0.contains(method)
    }
}

/// Why an entry without a signature breaks the ledger.
const NOT_SIGNED: &str = "it is not signed";

/// What an entry's signature signs: its hash, under a label of its own, so the signature can
/// be taken for nothing else.
pub fn signing_message(hash: &str) -> Vec<u8> {
    format!("mastery ledger entry\n{hash}\n").into_bytes()
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
            via: None,
            request: None,
            party: None,
            interest: None,
            record_sha256: None,
            files: BTreeMap::new(),
            credential_sha256: None,
            verification_method: None,
            public_key: None,
            supersedes: None,
            reason: None,
            prev: String::new(),
            hash: String::new(),
            signed_by: None,
            signature: None,
        }
    }

    /// Records the request this entry answers, when there is one.
    pub fn answering(mut self, requested: Option<&Requested>) -> Entry {
        if let Some(requested) = requested {
            self.request = Some(requested.request.clone());
            self.party = Some(requested.party.clone());
            self.interest = Some(requested.interest.clone());
        }
        self
    }

    /// The revocation of the credential this issue entry records, for `reason`.
    pub fn revocation(&self, reason: String, by: &str) -> Entry {
        let mut entry = Entry::new(Action::Revoke, &self.student, self.version, &self.credential_id, now(), by);
        entry.status = self.status.clone();
        entry.reason = Some(reason);
        entry
    }

    fn digest(&self) -> String {
        let unsealed = Entry { hash: String::new(), signed_by: None, signature: None, ..self.clone() };
        crate::digest::sha256_hex(&serde_json::to_vec(&unsealed).expect("an entry serializes"))
    }

    /// Signs the entry's hash with the school's key.
    fn sign(&mut self, signer: &Signer) {
        let signature = signer.key().sign_bytes(&signing_message(&self.hash));
        self.signed_by = Some(signer.verification_method().to_string());
        self.signature = Some(format!("z{}", bs58::encode(signature).into_string()));
    }

    /// Whether the entry's signature is one the key of `signed_by` made over its hash.
    fn signature_holds(&self) -> Result<(), String> {
        let (Some(method), Some(signature)) = (&self.signed_by, &self.signature) else {
            return Err(NOT_SIGNED.to_string());
        };
        let bytes = signature
            .strip_prefix('z')
            .and_then(|text| bs58::decode(text).into_vec().ok())
            .ok_or("its signature is not base58btc multibase")?;
        proof::verify_bytes(method, &signing_message(&self.hash), &bytes).map_err(|e| e.to_string())
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
    /// The ledger is not the one the last issue or revocation signed the head of
    /// (`ledger.checkpoint`): entries it covered were changed or removed.
    Disagrees {
        /// The signed head.
        path: PathBuf,
        /// How they differ.
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
            LedgerError::Broken { path, line, why } if why == NOT_SIGNED => write!(
                f,
                "{}:{line}: the entry is not signed: a mastery older than signed ledgers wrote it, or someone removed its signature and may have rewritten the ledger\n  hint: compare the ledger with a backup; if it is the school's own, sign its entries once with `mastery log {} --adopt-unsigned --key KEY_FILE`",
                path.display(),
                path.parent().map_or(".".into(), |p| p.display().to_string()),
            ),
            LedgerError::Broken { path, line, why } => write!(
                f,
                "{}:{line}: the ledger's chain breaks here ({why}): it was edited, cut or reordered after it was written\n  hint: restore the ledger from a backup; nothing was issued, revoked or published",
                path.display()
            ),
            LedgerError::Disagrees { path, why } => write!(
                f,
                "{}: {why}\n  hint: restore the ledger from a backup; nothing was issued, revoked or published",
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
/// taking the lock: for reading only. Every entry must be signed by one of the school's
/// `keys`.
pub fn read(school: &Path, keys: &Keys) -> Result<Vec<Entry>, LedgerError> {
    let path = school.join(LEDGER);
    match load::optional_file_beneath(school, Path::new(LEDGER))? {
        None => Ok(Vec::new()),
        Some(bytes) => parse(&path, &bytes, keys),
    }
}

/// The entries of a ledger's bytes, the chain and every signature checked line by line, each
/// signed by one of `keys`. A last line without its newline is an append a crash cut short,
/// and is left out.
pub fn parse(path: &Path, bytes: &[u8], keys: &Keys) -> Result<Vec<Entry>, LedgerError> {
    parse_whole(path, bytes, keys, Unsigned::Refused).map(|(entries, _)| entries)
}

/// What to make of an entry without a signature.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unsigned {
    /// A break: written before ledgers were signed, or its signature removed.
    Refused,
    /// Taken, to be signed ([`adopt`]).
    Taken,
}

/// The entries, and the length of the ledger's bytes they take (less than all of it when the
/// last line was cut short).
fn parse_whole(path: &Path, bytes: &[u8], keys: &Keys, unsigned: Unsigned) -> Result<(Vec<Entry>, usize), LedgerError> {
    let broken = |line: usize, why: String| LedgerError::Broken { path: path.to_path_buf(), line, why };
    let mut entries: Vec<Entry> = Vec::new();
    let mut used = 0;
    while let Some(end) = memchr::memchr(b'\n', &bytes[used..]) {
        let line = entries.len() + 1;
        let text = &bytes[used..used + end];
        used += end + 1;
        let entry: Entry =
            serde_json::from_slice(text).map_err(|e| broken(line, format!("not a ledger entry: {e}")))?;
        if serde_json::to_vec(&entry).ok().as_deref() != Some(text) {
            return Err(broken(line, "the entry is not as mastery wrote it".to_string()));
        }
        let before = entries.last();
        if entry.seq != line as u64 {
            return Err(broken(line, format!("it says it is entry {}", entry.seq)));
        }
        if entry.prev != before.map_or(GENESIS, |e| e.hash.as_str()) {
            return Err(broken(line, "it does not follow the entry before it".to_string()));
        }
        if entry.digest() != entry.hash {
            return Err(broken(line, "its content does not match its hash".to_string()));
        }
        let unsigned_taken = unsigned == Unsigned::Taken && entry.signature.is_none() && entry.signed_by.is_none();
        if !unsigned_taken {
            let Some(method) = entry.signed_by.as_deref().filter(|_| entry.signature.is_some()) else {
                return Err(broken(line, NOT_SIGNED.to_string()));
            };
            if !keys.contains(method) {
                return Err(broken(
                    line,
                    format!(
                        "it is signed by {method}, which is not a key of the school: school.json names neither it as the verification method nor among the retired_verification_methods"
                    ),
                ));
            }
        }
        entries.push(entry);
    }
    // The last signature covers every entry before it through the chain: when it holds, a
    // holder of the school's key wrote them all, and the others need not be checked one by
    // one (`mastery log --verify` does); when it does not, the first that does not is named.
    let last = entries.last().filter(|e| unsigned == Unsigned::Refused || e.signature.is_some());
    if let Some(Err(why)) = last.map(Entry::signature_holds) {
        let signed = entries.iter().enumerate().filter(|(_, e)| e.signature.is_some());
        let first = signed.map(|(i, e)| (i + 1, e.signature_holds())).find(|(_, held)| held.is_err());
        return Err(match first {
            Some((line, Err(why))) => broken(line, why),
            _ => broken(entries.len(), why),
        });
    }
    Ok((entries, used))
}

/// Checks the signature of every entry of a ledger read with [`read`] (which checks the last
/// one, and through the chain what it covers): the line of the first that does not hold, and
/// why.
pub fn check_every_signature(entries: &[Entry]) -> Result<(), (usize, String)> {
    for (i, entry) in entries.iter().enumerate() {
        entry.signature_holds().map_err(|why| (i + 1, why))?;
    }
    Ok(())
}

/// The ledger of a school, locked for one run that appends to it.
pub struct Ledger {
    path: PathBuf,
    file: File,
    entries: Vec<Entry>,
    _lock: File,
}

impl Ledger {
    /// Takes the school's lock and reads and checks its ledger (every entry signed by one of
    /// the school's `keys`); a last line a crash cut short is cut off.
    pub fn open(school: &Path, keys: &Keys) -> Result<Ledger, LedgerError> {
        let lock_path = school.join(LOCK);
        let lock = output::try_lock(&lock_path)?.ok_or(LedgerError::Busy(lock_path))?;
        let path = school.join(LEDGER);
        let bytes = load::optional_file_beneath(school, Path::new(LEDGER))?.unwrap_or_default();
        let (entries, used) = parse_whole(&path, &bytes, keys, Unsigned::Refused)?;
        if used < bytes.len() {
            output::truncate(&path, used as u64)?;
        }
        let file = output::append_to(&path)?;
        Ok(Ledger { path, file, entries, _lock: lock })
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Numbers, chains, signs and appends an entry, flushed to the disk before it returns.
    pub fn append(&mut self, entry: Entry, signer: &Signer) -> io::Result<&Entry> {
        self.append_all(vec![entry], signer)?;
        Ok(self.entries.last().expect("just pushed"))
    }

    /// Numbers, chains, signs and appends entries in one write, flushed to the disk once
    /// before it returns (a pack's disclosures: one per student). A crash during the write
    /// keeps the entries before the line it cut, as any append does.
    pub fn append_all(&mut self, entries: Vec<Entry>, signer: &Signer) -> io::Result<()> {
        let mut lines = Vec::new();
        let first = self.entries.len();
        for mut entry in entries {
            entry.seq = self.entries.len() as u64 + 1;
            entry.prev = self.entries.last().map_or(GENESIS.to_string(), |e| e.hash.clone());
            entry.hash = String::new();
            entry.hash = entry.digest();
            entry.sign(signer);
            serde_json::to_writer(&mut lines, &entry).expect("an entry serializes");
            lines.push(b'\n');
            self.entries.push(entry);
        }
        if let Err(error) = output::append(&mut self.file, &self.path, &lines) {
            self.entries.truncate(first);
            return Err(error);
        }
        Ok(())
    }
}

/// Signs, once, the entries of a ledger that a mastery older than signed ledgers wrote: each
/// unsigned entry gets its signature, its hash and the chain unchanged, and the ledger is
/// written again whole. Only for a ledger the school has checked against its backups: signed,
/// whatever it holds becomes the school's word. Gives how many entries were signed.
pub fn adopt(school: &Path, signer: &Signer, keys: &Keys) -> Result<usize, LedgerError> {
    let lock_path = school.join(LOCK);
    let _lock = output::try_lock(&lock_path)?.ok_or(LedgerError::Busy(lock_path))?;
    let path = school.join(LEDGER);
    let bytes = load::optional_file_beneath(school, Path::new(LEDGER))?.unwrap_or_default();
    let (mut entries, _) = parse_whole(&path, &bytes, keys, Unsigned::Taken)?;
    let mut signed = 0;
    let mut text = Vec::with_capacity(bytes.len() + entries.len() * 200);
    for entry in &mut entries {
        if entry.signature.is_none() {
            entry.sign(signer);
            signed += 1;
        }
        serde_json::to_writer(&mut text, entry).expect("an entry serializes");
        text.push(b'\n');
    }
    if signed > 0 {
        output::write_atomic(&path, &text)?;
    }
    Ok(signed)
}

/// The current time, as the ledger writes it.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(seed: u8) -> Signer {
        let key = crate::credential::proof::Key::from_seed([seed; 32]);
        let settings = crate::model::CredentialSettings::new(
            &key.did_key(),
            &format!("{}#{}", key.did_key(), key.public_multibase()),
        );
        Signer::new(&settings, key).unwrap()
    }

    /// The school's keys: the key of seed 1's alone.
    fn keys() -> Keys {
        Keys(BTreeSet::from([signer(1).verification_method().to_string()]))
    }

    fn ledger_of(n: usize) -> (tempfile::TempDir, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(dir.path(), &keys()).unwrap();
        for i in 0..n {
            let entry = Entry::new(Action::Issue, &format!("S-{i}"), 1, &format!("urn:uuid:{i}"), now(), "registrar");
            ledger.append(entry, &signer(1)).unwrap();
        }
        drop(ledger);
        let bytes = std::fs::read(dir.path().join(LEDGER)).unwrap();
        (dir, bytes)
    }

    fn broken_line(bytes: &[u8]) -> Option<usize> {
        match parse(Path::new("ledger.jsonl"), bytes, &keys()) {
            Err(LedgerError::Broken { line, .. }) => Some(line),
            _ => None,
        }
    }

    #[test]
    fn a_ledger_reads_back_as_written() {
        let (dir, bytes) = ledger_of(3);
        let entries = read(dir.path(), &keys()).unwrap();
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
        // A line cut in the middle, with lines after it.
        assert_eq!(broken_line(&join(&[lines[0], lines[1], &lines[2][..40], lines[3]])), Some(3));
    }

    #[test]
    fn a_last_line_a_crash_cut_short_is_left_out_and_cut_off_by_the_next_writer() {
        let (dir, bytes) = ledger_of(3);
        let path = dir.path().join(LEDGER);
        std::fs::write(&path, &bytes[..bytes.len() - 10]).unwrap();
        assert_eq!(read(dir.path(), &keys()).unwrap().len(), 2, "the cut entry was never appended");
        let mut ledger = Ledger::open(dir.path(), &keys()).unwrap();
        let entry = Entry::new(Action::Issue, "S-9", 1, "urn:uuid:9", now(), "registrar");
        ledger.append(entry, &signer(1)).unwrap();
        drop(ledger);
        let entries = read(dir.path(), &keys()).unwrap();
        assert_eq!(entries.iter().map(|e| e.student.as_str()).collect::<Vec<_>>(), ["S-0", "S-1", "S-9"]);
    }

    #[test]
    fn an_entry_rewritten_without_the_key_is_refused_however_the_chain_is_rebuilt() {
        let (_dir, bytes) = ledger_of(3);
        let mut entries: Vec<Entry> =
            String::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        // Change who issued entry 2 and rebuild every hash after it: signed with another key,
        // or with the signatures removed.
        entries[1].by = "Someone Else".to_string();
        for forger in [Some(signer(2)), None] {
            let mut text = Vec::new();
            let mut prev = GENESIS.to_string();
            for entry in &entries {
                let mut entry = Entry {
                    prev: prev.clone(),
                    hash: String::new(),
                    signed_by: None,
                    signature: None,
                    ..entry.clone()
                };
                entry.hash = entry.digest();
                if let Some(forger) = &forger {
                    entry.sign(forger);
                }
                prev = entry.hash.clone();
                text.extend(serde_json::to_vec(&entry).unwrap());
                text.push(b'\n');
            }
            // Signed by a key that is not the school's, or not signed: refused from the first
            // entry the forger had to sign again.
            assert_eq!(broken_line(&text), Some(1));
        }
        // The school's signature kept over a changed entry does not hold.
        let mut forged = entries[1].clone();
        forged.hash = forged.digest();
        assert!(forged.signature_holds().is_err());
    }

    #[test]
    fn adopting_signs_the_entries_of_an_older_ledger_and_keeps_their_chain() {
        let (dir, bytes) = ledger_of(3);
        let unsigned: String = String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| {
                let entry: Entry = serde_json::from_str(line).unwrap();
                let entry = Entry { signed_by: None, signature: None, ..entry };
                format!("{}\n", serde_json::to_string(&entry).unwrap())
            })
            .collect();
        std::fs::write(dir.path().join(LEDGER), &unsigned).unwrap();
        assert_eq!(broken_line(unsigned.as_bytes()), Some(1));
        assert_eq!(adopt(dir.path(), &signer(1), &keys()).unwrap(), 3);
        let entries = read(dir.path(), &keys()).unwrap();
        let hashes: Vec<String> = unsigned.lines().map(|l| serde_json::from_str::<Entry>(l).unwrap().hash).collect();
        assert_eq!(entries.iter().map(|e| e.hash.clone()).collect::<Vec<_>>(), hashes);
        assert_eq!(adopt(dir.path(), &signer(1), &keys()).unwrap(), 0);
    }

    #[test]
    fn a_second_run_cannot_take_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Ledger::open(dir.path(), &keys()).unwrap();
        assert!(matches!(Ledger::open(dir.path(), &keys()), Err(LedgerError::Busy(_))));
    }
}
