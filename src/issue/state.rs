//! The states of a student's transcript, and the one place that decides what an issue does
//! in each.
//!
//! A student's transcripts under one disclosure profile are a line of versions (v1, v2, ...).
//! Only the latest can be current; each earlier one was superseded by the one after it. The
//! ledger says which state the latest is in:
//!
//! - **current**: issued, and neither revoked nor superseded;
//! - **revoked**: the registrar revoked it (`mastery revoke`), and nothing was issued since;
//! - **superseded** (an earlier version): a later version replaced it, and it was revoked
//!   "superseded by" that version.
//!
//! What `mastery issue` does with a student, by the state of the latest version, whether the
//! record changed since it was issued, and whether the registrar asked for a new version with
//! a reason (`--reissue REASON`):
//!
//! | latest version | record since | asked | the issue |
//! |---|---|---|---|
//! | none | | | issues version 1 |
//! | current | unchanged | | nothing; the files are written again as issued if they are missing or changed; with `--to`, a disclosure |
//! | current | changed | | issues the next version, which supersedes it |
//! | current | unchanged | `--reissue` | issues the next version, which supersedes it; the reason recorded |
//! | revoked | unchanged | | nothing: it stays revoked, and the run says so |
//! | revoked | changed | | issues the next version (a corrected record) |
//! | revoked | either | `--reissue` | issues the next version; the reason recorded |
//!
//! A supersession is two entries: the new version's issue, then the old one's revocation. A
//! run that stops between them leaves an earlier version not yet revoked though a later one
//! supersedes it; the next run completes it first ([`Versions::cut_short`]).

use std::collections::BTreeMap;

use super::ledger::{Action, Entry};

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

impl Issued {
    /// Its state, in a word: `current`, `revoked` or `superseded`.
    pub fn state(&self) -> &'static str {
        match (&self.superseded_by, &self.revoked) {
            (Some(_), _) => "superseded",
            (None, Some(_)) => "revoked",
            (None, None) => "current",
        }
    }
}

/// The state of a student's line of versions under one profile: its latest version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latest<'a> {
    /// Nothing issued yet.
    None,
    /// The latest version is current.
    Current(&'a Entry),
    /// The latest version was revoked, for this reason.
    Revoked(&'a Entry, &'a str),
}

/// Every credential of the ledger and the latest version of each line.
#[derive(Debug, Clone, Default)]
pub struct Versions {
    issued: BTreeMap<String, Issued>,
    latest: BTreeMap<(String, String), String>,
}

impl Versions {
    /// The versions as the ledger's entries leave them.
    pub fn of(entries: &[Entry]) -> Versions {
        let mut versions = Versions::default();
        for entry in entries {
            versions.add(entry);
        }
        versions
    }

    /// Takes one more entry into account.
    pub fn add(&mut self, entry: &Entry) {
        match entry.action {
            Action::Issue => {
                if let Some(old) = entry.supersedes.as_ref().and_then(|old| self.issued.get_mut(old)) {
                    old.superseded_by = Some(entry.credential_id.clone());
                }
                self.issued.insert(
                    entry.credential_id.clone(),
                    Issued { entry: entry.clone(), revoked: None, superseded_by: None },
                );
                let line = (entry.student.clone(), entry.profile.clone().unwrap_or_default());
                let later = self
                    .latest
                    .get(&line)
                    .and_then(|id| self.issued.get(id))
                    .is_none_or(|latest| latest.entry.version < entry.version);
                if later {
                    self.latest.insert(line, entry.credential_id.clone());
                }
            }
            Action::Revoke => {
                if let Some(credential) = self.issued.get_mut(&entry.credential_id) {
                    credential.revoked = entry.reason.clone().or(Some(String::new()));
                }
            }
            Action::Disclose => {}
        }
    }

    /// Every credential issued, by id.
    pub fn issued(&self) -> &BTreeMap<String, Issued> {
        &self.issued
    }

    /// One credential, by id.
    pub fn credential(&self, id: &str) -> Option<&Issued> {
        self.issued.get(id)
    }

    /// The state of a student's line under a profile.
    pub fn latest(&self, student: &str, profile: &str) -> Latest<'_> {
        let Some(issued) =
            self.latest.get(&(student.to_string(), profile.to_string())).and_then(|id| self.issued.get(id))
        else {
            return Latest::None;
        };
        match &issued.revoked {
            Some(reason) => Latest::Revoked(&issued.entry, reason),
            None => Latest::Current(&issued.entry),
        }
    }

    /// The supersessions a stopped run left half done: each earlier version not yet revoked
    /// though a later one supersedes it, with that later one's id.
    pub fn cut_short(&self) -> Vec<(&Entry, &str)> {
        self.issued
            .values()
            .filter_map(|newer| {
                let old = self.issued.get(newer.entry.supersedes.as_ref()?)?;
                old.revoked.is_none().then_some((&old.entry, newer.entry.credential_id.as_str()))
            })
            .collect()
    }
}

/// What a run knows and asks about one student.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// The SHA-256 of the student's record as checked now.
    pub record_sha256: &'a str,
    /// Whether the latest version's files are in the output folder as they were issued.
    pub files_in_place: bool,
    /// The registrar's reason for issuing a new version although nothing changed.
    pub reissue: Option<&'a str>,
}

/// What an issue does with one student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Issue this version.
    Issue {
        /// Its number.
        version: u32,
        /// The current version it replaces (to revoke as superseded once it is recorded).
        supersedes: Option<String>,
        /// The registrar's reason, for a version issued although nothing changed.
        reason: Option<String>,
    },
    /// The current version stands, its files in place.
    Unchanged(&'a Entry),
    /// The current version stands, but its files are missing or changed: write them again
    /// as they were issued.
    Reprint(&'a Entry),
    /// The latest version was revoked and the record has not changed since: nothing is issued.
    Withheld {
        /// The revoked version.
        version: u32,
        /// Why it was revoked.
        reason: String,
    },
}

/// The decision, from the state of the student's line and what the run knows and asks.
pub fn decide<'a>(latest: Latest<'a>, asked: &Asked<'_>) -> Decision<'a> {
    let next = |entry: &Entry, supersedes: Option<&Entry>| Decision::Issue {
        version: entry.version + 1,
        supersedes: supersedes.map(|e| e.credential_id.clone()),
        reason: asked.reissue.map(str::to_string),
    };
    let unchanged = |entry: &Entry| entry.record_sha256.as_deref() == Some(asked.record_sha256);
    match latest {
        Latest::None => Decision::Issue { version: 1, supersedes: None, reason: asked.reissue.map(str::to_string) },
        Latest::Current(entry) if asked.reissue.is_some() || !unchanged(entry) => next(entry, Some(entry)),
        Latest::Current(entry) if asked.files_in_place => Decision::Unchanged(entry),
        Latest::Current(entry) => Decision::Reprint(entry),
        Latest::Revoked(entry, _) if asked.reissue.is_some() || !unchanged(entry) => next(entry, None),
        Latest::Revoked(entry, reason) => Decision::Withheld { version: entry.version, reason: reason.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(seq: u64, version: u32, id: &str, record: &str, supersedes: Option<&str>) -> Entry {
        let mut entry = Entry::new(Action::Issue, "S-1", version, id, String::new(), "registrar");
        entry.seq = seq;
        entry.profile = Some("internal".to_string());
        entry.record_sha256 = Some(record.to_string());
        entry.supersedes = supersedes.map(str::to_string);
        entry
    }

    fn revoke(seq: u64, issued: &Entry, reason: &str) -> Entry {
        let mut entry = issued.revocation(reason.to_string(), "registrar");
        entry.seq = seq;
        entry
    }

    fn asked<'a>(record: &'a str, files_in_place: bool, reissue: Option<&'a str>) -> Asked<'a> {
        Asked { record_sha256: record, files_in_place, reissue }
    }

    fn issue_of(version: u32, supersedes: Option<&str>, reason: Option<&str>) -> Decision<'static> {
        Decision::Issue { version, supersedes: supersedes.map(str::to_string), reason: reason.map(str::to_string) }
    }

    #[test]
    fn every_transition_of_the_table() {
        let v1 = issue(1, 1, "urn:uuid:1", "A", None);
        let current = Versions::of(std::slice::from_ref(&v1));
        let revoked = Versions::of(&[v1.clone(), revoke(2, &v1, "issued in error")]);
        let none = Versions::default();
        fn line<'a>(versions: &'a Versions) -> impl Fn(Asked<'_>) -> Decision<'a> {
            let latest = versions.latest("S-1", "internal");
            move |asked| decide(latest, &asked)
        }

        // Nothing issued yet: version 1, whatever is asked.
        assert_eq!(line(&none)(asked("A", false, None)), issue_of(1, None, None));
        assert_eq!(line(&none)(asked("A", false, Some("first"))), issue_of(1, None, Some("first")));
        // Current.
        let current = line(&current);
        assert_eq!(current(asked("A", true, None)), Decision::Unchanged(&v1));
        assert_eq!(current(asked("A", false, None)), Decision::Reprint(&v1));
        assert_eq!(current(asked("B", true, None)), issue_of(2, Some("urn:uuid:1"), None));
        assert_eq!(current(asked("A", true, Some("new key"))), issue_of(2, Some("urn:uuid:1"), Some("new key")));
        // Revoked: withheld until the record changes or the registrar asks.
        let revoked = line(&revoked);
        let withheld = Decision::Withheld { version: 1, reason: "issued in error".to_string() };
        assert_eq!(revoked(asked("A", true, None)), withheld);
        assert_eq!(revoked(asked("A", false, None)), withheld, "a revoked version is never reprinted");
        assert_eq!(revoked(asked("B", true, None)), issue_of(2, None, None));
        assert_eq!(
            revoked(asked("A", true, Some("revoked by mistake"))),
            issue_of(2, None, Some("revoked by mistake"))
        );
    }

    #[test]
    fn a_superseded_version_leaves_the_next_one_current_and_a_cut_supersession_is_found() {
        let v1 = issue(1, 1, "urn:uuid:1", "A", None);
        let v2 = issue(2, 2, "urn:uuid:2", "B", Some("urn:uuid:1"));
        // The run stopped after v2's entry, before v1's revocation.
        let cut = Versions::of(&[v1.clone(), v2.clone()]);
        assert_eq!(cut.latest("S-1", "internal"), Latest::Current(&v2));
        assert_eq!(cut.cut_short(), vec![(&v1, "urn:uuid:2")]);
        let done = Versions::of(&[v1.clone(), v2.clone(), revoke(3, &v1, "superseded by urn:uuid:2")]);
        assert!(done.cut_short().is_empty());
        assert_eq!(done.credential("urn:uuid:1").unwrap().state(), "superseded");
        assert_eq!(done.credential("urn:uuid:2").unwrap().state(), "current");
        // Revoking the current version makes the line revoked; its earlier version stays superseded.
        let withdrawn = Versions::of(&[v1, v2.clone(), revoke(3, &v2, "withdrawn")]);
        assert_eq!(withdrawn.latest("S-1", "internal"), Latest::Revoked(&v2, "withdrawn"));
        assert_eq!(withdrawn.credential("urn:uuid:2").unwrap().state(), "revoked");
        // Another profile is another line.
        assert_eq!(withdrawn.latest("S-1", "college"), Latest::None);
    }
}
