//! The books of an issue (a batch run of `Format::Issue`): which version each student gets (as [`crate::issue::state`]
//! decides), and the ledger entries once the files are in place.
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

use crate::credential::issuer::Signer;
use crate::digest::sha256_hex;
use crate::issue::ledger::{self, Action, Entry, Ledger, Requested, StatusRef};
use crate::issue::lists::Lists;
use crate::issue::state::{self, Asked, Decision, Latest, Versions};
use crate::load::{self, file_has_digest};
use crate::output;

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
pub(crate) struct Ticket {
    pub(crate) version: u32,
    pub(crate) credential_id: String,
    pub(crate) status: StatusRef,
    pub(crate) issue_date: NaiveDate,
    pub(crate) record_sha256: String,
    /// The version this one replaces, when it is not revoked yet.
    pub(crate) supersedes: Option<String>,
    /// The registrar's reason, for a version issued though nothing changed.
    pub(crate) reason: Option<String>,
    /// For a version issued before and reprinted: the files as they were issued.
    pub(crate) reprint: Option<BTreeMap<String, String>>,
    /// The SHA-256 of the signed credential, once made.
    pub(crate) credential_sha256: String,
}

/// Why an issue cannot start.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// A blank who, to whom or why.
    Usage(String),
    /// The ledger cannot be opened or does not check.
    Ledger(super::ledger::LedgerError),
}

/// Why a valid student gets no files in this issue.
#[derive(Debug)]
pub(crate) enum NotIssued {
    /// The latest version is current and its files are in place.
    Unchanged,
    /// The latest version was revoked and the record has not changed since: the message.
    Withheld(String),
    /// The student's files cannot be written: the message.
    Failed(String),
}

/// The issue's state, shared by the reader (deciding) and the book-keeping thread
/// (recording).
pub(crate) struct Issuing {
    pub(crate) base: String,
    /// The school folder, where the ledger, the pending notes and the status lists are.
    school: PathBuf,
    by: String,
    recipient: Option<String>,
    profile: String,
    /// The registrar's reason to issue a new version of each student chosen, though nothing
    /// changed (`--reissue`).
    reissue: Option<String>,
    /// The request each student's transcript answers, by student id.
    requests: BTreeMap<String, Requested>,
    /// Signs each ledger entry, the status lists and the ledger's head.
    signer: Signer,
    ledger: Mutex<Ledger>,
    /// The versions as the ledger stood when the run began.
    versions: Versions,
    lists: Mutex<Lists>,
    pending: Mutex<Option<File>>,
}

/// Who issues, and what they ask beyond the students: the ledger records each of them.
pub(crate) struct Asking {
    /// Who issues.
    pub(crate) by: String,
    /// To whom.
    pub(crate) recipient: Option<String>,
    /// Under which disclosure profile.
    pub(crate) profile: String,
    /// Why a new version is issued though nothing changed.
    pub(crate) reissue: Option<String>,
    /// The request each student's transcript answers, by student id.
    pub(crate) requests: BTreeMap<String, Requested>,
}

impl Issuing {
    /// Takes the school's ledger (its lock held until the plan is dropped). The registrar's
    /// words (who, to whom, why) are checked first: a blank one is refused.
    pub(crate) fn open(
        school_dir: &Path,
        school: &crate::model::School,
        base: &str,
        asking: Asking,
        signer: &Signer,
    ) -> Result<Issuing, Refusal> {
        let Asking { by, recipient, profile, reissue, requests } = asking;
        let by = super::words("who issues (--by)", &by).map_err(Refusal::Usage)?;
        let recipient = recipient.map(|r| super::words("the recipient (--to)", &r)).transpose();
        let reissue = reissue.map(|r| super::words("the reason to issue again (--reissue)", &r)).transpose();
        let (recipient, reissue) = (recipient.map_err(Refusal::Usage)?, reissue.map_err(Refusal::Usage)?);
        let ledger = super::open_ledger(school_dir, school).map_err(Refusal::Ledger)?;
        let versions = Versions::of(ledger.entries());
        let lists = Lists::of(ledger.entries());
        Ok(Issuing {
            base: base.to_string(),
            school: school_dir.to_path_buf(),
            by,
            recipient,
            profile,
            reissue,
            requests,
            signer: signer.clone(),
            ledger: Mutex::new(ledger),
            versions,
            lists: Mutex::new(lists),
            pending: Mutex::new(None),
        })
    }

    /// Removes what a killed run wrote without recording it, completes a supersession it
    /// recorded only half of (the new version, not yet the old one's revocation), and starts
    /// the pending notes afresh.
    pub(crate) fn recover(&self) -> std::io::Result<()> {
        for (old, newer) in self.versions.cut_short() {
            self.revoke_superseded(old, newer)?;
        }
        let path = self.school.join(PENDING);
        if let Some(bytes) = load::optional_file(&path)? {
            for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let Ok(note) = serde_json::from_slice::<Pending>(line) else { continue };
                if self.versions.credential(&note.credential_id).is_none() && !note.folder.contains("..") {
                    output::remove_folder(&note.out.join(&note.folder))?;
                }
            }
        }
        *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(output::journal(&path)?);
        Ok(())
    }

    /// What to do for a valid student, as [`state::decide`] says: the folder and ticket of the
    /// version to write, or why there is nothing to write.
    pub(crate) fn decide(
        &self,
        out: &Path,
        student: &str,
        record: &serde_json::Value,
        issue_date: NaiveDate,
    ) -> Result<(String, Ticket), NotIssued> {
        let record_sha256 = sha256_hex(&serde_json::to_vec(record).unwrap_or_default());
        let latest = self.versions.latest(student, &self.profile);
        let files_in_place = match latest {
            Latest::Current(entry) => intact(out, &entry.files),
            _ => false,
        };
        let asked = Asked { record_sha256: &record_sha256, files_in_place, reissue: self.reissue.as_deref() };
        let (version, supersedes, reason) = match state::decide(latest, &asked) {
            Decision::Issue { version, supersedes, reason } => (version, supersedes, reason),
            Decision::Unchanged(last) => {
                if let Some(recipient) = &self.recipient {
                    self.disclose(last, recipient).map_err(|e| NotIssued::Failed(e.to_string()))?;
                }
                return Err(NotIssued::Unchanged);
            }
            Decision::Reprint(last) => {
                let issue_date = last.issue_date.as_deref().and_then(|d| d.parse().ok()).unwrap_or(issue_date);
                let ticket = Ticket {
                    version: last.version,
                    credential_id: last.credential_id.clone(),
                    status: last.status.clone().unwrap_or(StatusRef { list: 1, index: 0 }),
                    issue_date,
                    record_sha256,
                    supersedes: None,
                    reason: None,
                    reprint: Some(last.files.clone()),
                    credential_sha256: String::new(),
                };
                return Ok((self.folder_of(student, last.version), ticket));
            }
            Decision::Withheld { version, reason } => {
                return Err(NotIssued::Withheld(format!(
                    "version {version} of {student} was revoked ({reason}) and the record has not changed since, so it is not issued again\n  hint: to issue it again all the same, run `mastery issue` with --student {student} --reissue \"REASON\""
                )));
            }
        };
        let folder = self.folder_of(student, version);
        if out.join(&folder).exists() {
            return Err(NotIssued::Failed(format!(
                "{} already holds a version {version} of {student} that this school's ledger does not record (another school's issue, or a copy): it is left as it is\n  hint: issue into an empty folder, or move that folder away",
                out.join(&folder).display()
            )));
        }
        let credential_id = fresh_credential_id();
        let status = self.lists.lock().unwrap_or_else(|e| e.into_inner()).allocate();
        let out = std::path::absolute(out).unwrap_or_else(|_| out.to_path_buf());
        let note = Pending { out, folder: folder.clone(), credential_id: credential_id.clone() };
        self.note(&note).map_err(|e| NotIssued::Failed(e.to_string()))?;
        let ticket = Ticket {
            version,
            credential_id,
            status,
            issue_date,
            record_sha256,
            supersedes,
            reason,
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
        let entry = entry.answering(self.requests.get(&issued.student));
        self.ledger.lock().unwrap_or_else(|e| e.into_inner()).append(entry, &self.signer).map(|_| ())
    }

    /// Records a student's issue, once its files are in place: the issue entry and, for a
    /// new version, the revocation of the one it supersedes. A reprint records nothing
    /// (but a disclosure, when there is a recipient).
    pub(crate) fn record(
        &self,
        student: &str,
        ticket: &Ticket,
        files: BTreeMap<String, String>,
    ) -> std::io::Result<()> {
        let last = match self.versions.latest(student, &self.profile) {
            Latest::Current(last) => Some(last),
            Latest::None | Latest::Revoked(..) => None,
        };
        if ticket.reprint.is_some() {
            if let (Some(recipient), Some(last)) = (&self.recipient, last) {
                self.disclose(last, recipient)?;
            }
            return Ok(());
        }
        let signer = &self.signer;
        let mut ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        let mut entry =
            Entry::new(Action::Issue, student, ticket.version, &ticket.credential_id, ledger::now(), &self.by);
        entry.status = Some(ticket.status.clone());
        entry.issue_date = Some(ticket.issue_date.to_string());
        entry.profile = Some(self.profile.clone());
        entry.recipient = self.recipient.clone();
        entry.record_sha256 = Some(ticket.record_sha256.clone());
        entry.files = files;
        entry.credential_sha256 = Some(ticket.credential_sha256.clone());
        entry.verification_method = Some(signer.verification_method().to_string());
        entry.public_key = Some(signer.key().public_multibase());
        entry.supersedes = ticket.supersedes.clone();
        entry.reason = ticket.reason.clone();
        let entry = entry.answering(self.requests.get(student));
        ledger.append(entry, signer)?;
        drop(ledger);
        if let Some(old) = last.filter(|old| ticket.supersedes.as_ref() == Some(&old.credential_id)) {
            self.revoke_superseded(old, &ticket.credential_id)?;
        }
        Ok(())
    }

    /// Revokes a version as superseded by a newer one, and sets its bit.
    fn revoke_superseded(&self, old: &Entry, newer: &str) -> std::io::Result<()> {
        let revoke = old.revocation(format!("superseded by {newer}"), &self.by);
        self.ledger.lock().unwrap_or_else(|e| e.into_inner()).append(revoke, &self.signer)?;
        if let Some(status) = &old.status {
            self.lists.lock().unwrap_or_else(|e| e.into_inner()).revoke(status);
        }
        Ok(())
    }

    /// Signs the status lists and the ledger's head as the ledger now calls for, and clears
    /// the pending notes.
    pub(crate) fn finish(&self) -> std::io::Result<()> {
        let school = &self.school;
        let ledger = self.ledger.lock().unwrap_or_else(|e| e.into_inner());
        crate::issue::sign_state(school, &self.base, &self.signer, ledger.entries())?;
        drop(ledger);
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
