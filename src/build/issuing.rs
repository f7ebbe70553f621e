//! The books of an issue: which version each student gets, and the ledger entries once the
//! files are in place.
//!
//! Before a student's files are written, the reader notes the credential it is about to issue
//! in `.ledger-pending.jsonl` beside the ledger. A run killed after writing a student's files
//! but before its ledger entry leaves a folder no entry names; the next run finds it in the
//! pending notes and removes it, and the student is issued afresh. A folder of the same
//! version that neither the ledger nor the notes know is another issue's, and is never
//! overwritten.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::manifest::{Entry as FileEntry, file_has_digest, sha256_hex};
use super::{BuildError, Problem, Status};
use crate::credential::issuer::Signer;
use crate::issue::ledger::{self, Action, Entry, Issued, Ledger, StatusRef};
use crate::issue::lists::Lists;
use crate::{load, output};

/// The notes of credentials about to be issued, beside the ledger.
const PENDING: &str = ".ledger-pending.jsonl";

/// One pending note.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    out: PathBuf,
    folder: String,
    credential_id: String,
}

/// What one student is issued: the version, its credential, its bit.
#[derive(Debug, Clone)]
pub(super) struct Ticket {
    pub(super) version: u32,
    pub(super) credential_id: String,
    pub(super) status: StatusRef,
    pub(super) issue_date: NaiveDate,
    pub(super) record_sha256: String,
    /// The version this one replaces, when it is not revoked yet.
    pub(super) supersedes: Option<String>,
    /// For a version issued before and reprinted: the files as they were issued.
    pub(super) reprint: Option<BTreeMap<String, String>>,
    /// The SHA-256 of the signed credential, once made.
    pub(super) credential_sha256: String,
}

/// The issue's state, shared by the reader (deciding) and the book-keeping thread
/// (recording).
pub(super) struct Issuing {
    pub(super) base: String,
    /// The school folder, where the ledger, the pending notes and the status lists are.
    school: PathBuf,
    by: String,
    recipient: Option<String>,
    profile: String,
    ledger: Mutex<Ledger>,
    latest: BTreeMap<(String, String), Entry>,
    issued: BTreeMap<String, Issued>,
    lists: Mutex<Lists>,
    pending: Mutex<Option<File>>,
}

impl Issuing {
    /// Takes the school's ledger (its lock held until the plan is dropped).
    pub(super) fn open(
        school_dir: &Path,
        base: &str,
        by: String,
        recipient: Option<String>,
        profile: String,
    ) -> Result<Issuing, BuildError> {
        let ledger = Ledger::open(school_dir)?;
        let latest = ledger::latest(ledger.entries());
        let issued = ledger::issued(ledger.entries());
        let lists = Lists::of(ledger.entries());
        Ok(Issuing {
            base: base.to_string(),
            school: school_dir.to_path_buf(),
            by,
            recipient,
            profile,
            ledger: Mutex::new(ledger),
            latest,
            issued,
            lists: Mutex::new(lists),
            pending: Mutex::new(None),
        })
    }

    /// Removes what a killed run wrote without recording it, completes a supersession it
    /// recorded only half of (the new version, not yet the old one's revocation), and starts
    /// the pending notes afresh.
    pub(super) fn recover(&self) -> std::io::Result<()> {
        for issued in self.issued.values() {
            let Some(old) = issued.entry.supersedes.as_ref().and_then(|old| self.issued.get(old)) else { continue };
            if old.revoked.is_none() {
                self.revoke_superseded(&old.entry, &issued.entry.credential_id)?;
            }
        }
        let path = self.school.join(PENDING);
        if let Some(bytes) = load::optional_file(&path)? {
            for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let Ok(note) = serde_json::from_slice::<Pending>(line) else { continue };
                if !self.issued.contains_key(&note.credential_id) && !note.folder.contains("..") {
                    output::remove_folder(&note.out.join(&note.folder))?;
                }
            }
        }
        *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(output::journal(&path)?);
        Ok(())
    }

    /// What to do for a valid student: the folder and ticket of the version to write, or
    /// why there is nothing to write.
    pub(super) fn decide(
        &self,
        out: &Path,
        student: &str,
        record: &serde_json::Value,
        issue_date: NaiveDate,
        source: &str,
    ) -> Result<(String, Ticket), Status> {
        let record_sha256 = sha256_hex(&serde_json::to_vec(record).unwrap_or_default());
        let last = self.latest.get(&(student.to_string(), self.profile.clone()));
        let current = last.filter(|last| {
            last.record_sha256.as_deref() == Some(record_sha256.as_str())
                && self.issued.get(&last.credential_id).is_some_and(|i| i.revoked.is_none())
        });
        if let Some(last) = current {
            let folder = self.folder_of(student, last.version);
            if intact(out, &last.files) {
                if let Some(recipient) = &self.recipient {
                    self.disclose(last, recipient).map_err(|e| self.failed(student, source, e.to_string()))?;
                }
                return Err(Status::Unchanged);
            }
            let issue_date = last.issue_date.as_deref().and_then(|d| d.parse().ok()).unwrap_or(issue_date);
            let ticket = Ticket {
                version: last.version,
                credential_id: last.credential_id.clone(),
                status: last.status.clone().unwrap_or(StatusRef { list: 1, index: 0 }),
                issue_date,
                record_sha256,
                supersedes: None,
                reprint: Some(last.files.clone()),
                credential_sha256: String::new(),
            };
            return Ok((folder, ticket));
        }
        let version = last.map_or(1, |last| last.version + 1);
        let folder = self.folder_of(student, version);
        if out.join(&folder).exists() {
            return Err(self.failed(
                student,
                source,
                format!(
                    "{} already holds a version {version} of {student} that this school's ledger does not record (another school's issue, or a copy): it is left as it is\n  hint: issue into an empty folder, or move that folder away",
                    out.join(&folder).display()
                ),
            ));
        }
        let credential_id = fresh_credential_id();
        let status = self.lists.lock().unwrap_or_else(|e| e.into_inner()).allocate();
        let supersedes = last.and_then(|last| {
            let revoked = self.issued.get(&last.credential_id).is_some_and(|i| i.revoked.is_some());
            (!revoked).then(|| last.credential_id.clone())
        });
        let out = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
        let note = Pending { out, folder: folder.clone(), credential_id: credential_id.clone() };
        self.note(&note).map_err(|e| self.failed(student, source, e.to_string()))?;
        let ticket = Ticket {
            version,
            credential_id,
            status,
            issue_date,
            record_sha256,
            supersedes,
            reprint: None,
            credential_sha256: String::new(),
        };
        Ok((folder, ticket))
    }

    /// A student's folder of one version: `ID/vN/` under the `internal` profile,
    /// `ID/<profile>-vN/` under another.
    fn folder_of(&self, student: &str, version: u32) -> String {
        if self.profile == "internal" {
            return format!("{student}/v{version}/");
        }
        let profile: String =
            self.profile.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        format!("{student}/{profile}-v{version}/")
    }

    fn failed(&self, student: &str, source: &str, message: String) -> Status {
        Status::Failed(Problem {
            student: Some(student.to_string()),
            source: source.to_string(),
            kind: "write",
            messages: vec![message],
        })
    }

    fn note(&self, note: &Pending) -> std::io::Result<()> {
        let path = self.school.join(PENDING);
        let mut guard = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let file = guard.as_mut().ok_or_else(|| std::io::Error::other("the pending notes are not open"))?;
        let mut line = serde_json::to_vec(note).expect("a note serializes");
        line.push(b'\n');
        output::append(file, &path, &line)
    }

    fn disclose(&self, issued: &Entry, recipient: &str) -> std::io::Result<()> {
        let mut entry = Entry::new(
            Action::Disclose,
            &issued.student,
            issued.version,
            &issued.credential_id,
            ledger::now(),
            &self.by,
        );
        entry.recipient = Some(recipient.to_string());
        self.ledger.lock().unwrap_or_else(|e| e.into_inner()).append(entry).map(|_| ())
    }

    /// Records a student's issue, once its files are in place: the issue entry and, for a
    /// new version, the revocation of the one it supersedes. A reprint records nothing
    /// (but a disclosure, when there is a recipient).
    pub(super) fn record(
        &self,
        student: &str,
        ticket: &Ticket,
        files: &[(String, FileEntry)],
        signer: &Signer,
    ) -> std::io::Result<()> {
        let mut ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        if ticket.reprint.is_some() {
            drop(ledger);
            let key = (student.to_string(), self.profile.clone());
            if let (Some(recipient), Some(last)) = (&self.recipient, self.latest.get(&key)) {
                self.disclose(last, recipient)?;
            }
            return Ok(());
        }
        let mut entry =
            Entry::new(Action::Issue, student, ticket.version, &ticket.credential_id, ledger::now(), &self.by);
        entry.status = Some(ticket.status.clone());
        entry.issue_date = Some(ticket.issue_date.to_string());
        entry.profile = Some(self.profile.clone());
        entry.recipient = self.recipient.clone();
        entry.record_sha256 = Some(ticket.record_sha256.clone());
        entry.files = files.iter().map(|(name, file)| (name.clone(), file.sha256.clone())).collect();
        entry.credential_sha256 = Some(ticket.credential_sha256.clone());
        entry.verification_method = Some(signer.verification_method().to_string());
        entry.public_key = Some(signer.key().public_multibase());
        entry.supersedes = ticket.supersedes.clone();
        ledger.append(entry)?;
        drop(ledger);
        if ticket.supersedes.is_some() {
            let key = (student.to_string(), self.profile.clone());
            if let Some(old) = self.latest.get(&key) {
                self.revoke_superseded(old, &ticket.credential_id)?;
            }
        }
        Ok(())
    }

    /// Revokes a version as superseded by a newer one, and sets its bit.
    fn revoke_superseded(&self, old: &Entry, newer: &str) -> std::io::Result<()> {
        let revoke = old.revocation(format!("superseded by {newer}"), &self.by);
        self.ledger.lock().unwrap_or_else(|e| e.into_inner()).append(revoke)?;
        if let Some(status) = &old.status {
            self.lists.lock().unwrap_or_else(|e| e.into_inner()).revoke(status);
        }
        Ok(())
    }

    /// Signs the status lists the ledger now calls for, and clears the pending notes.
    pub(super) fn finish(&self, signer: &Signer) -> std::io::Result<()> {
        let school = &self.school;
        let lists = self.lists.lock().unwrap_or_else(|e| e.into_inner()).clone();
        crate::issue::sign_lists(school, &self.base, signer, &lists)?;
        *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(output::journal(&school.join(PENDING))?);
        Ok(())
    }
}

/// Whether every file an entry names is in `out`, unchanged.
fn intact(out: &Path, files: &BTreeMap<String, String>) -> bool {
    !files.is_empty() && files.iter().all(|(name, sha256)| file_has_digest(&out.join(name), sha256))
}

/// A credential id never used before: a random (version 4) UUID.
fn fresh_credential_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the system's random number generator works");
    format!("urn:uuid:{}", uuid::Builder::from_random_bytes(bytes).into_uuid())
}
