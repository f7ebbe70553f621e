//! The build manifest: what each output was made from, so a rerun can skip what has not
//! changed and anyone can check an output against its record.
//!
//! `manifest.json` in the output folder maps each output file to the student it belongs to,
//! the SHA-256 of everything that went into it (the student's record, `school.json`, the logo,
//! the template and fonts, the options, the version of `mastery`), and the SHA-256 of the file
//! itself. This module is data and hashing only; `mastery build` reads and writes the file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The name and version of the manifest's format.
pub const FORMAT: &str = "mastery-manifest/1";

/// `manifest.json`: every output file of the folder and what it was made from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`], for a reader to tell versions apart.
    pub format: String,
    /// By output file name.
    pub outputs: BTreeMap<String, Entry>,
}

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The student it belongs to.
    pub student: String,
    /// The file the student's record came from.
    pub source: String,
    /// SHA-256 of all the inputs of this output.
    pub inputs: String,
    /// SHA-256 of the output file.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

impl Manifest {
    /// An empty manifest of the current format.
    pub fn new() -> Manifest {
        Manifest { format: FORMAT.to_string(), outputs: BTreeMap::new() }
    }

    /// Reads a manifest; one of another format, or unreadable, counts as empty, so the build
    /// simply redoes everything.
    pub fn parse(bytes: &[u8]) -> Manifest {
        serde_json::from_slice::<Manifest>(bytes).ok().filter(|m| m.format == FORMAT).unwrap_or_default()
    }

    /// Applies a journal: JSON lines of `{"file": ..., "entry": {...}}`, one per output written
    /// since the manifest was last saved. A line cut short by a crash is ignored.
    pub fn apply_journal(&mut self, journal: &[u8]) {
        for line in journal.split(|b| *b == b'\n') {
            if let Ok(JournalLine { file, entry }) = serde_json::from_slice(line) {
                self.outputs.insert(file, entry);
            }
        }
    }

    /// The manifest as written: pretty JSON, files in name order.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a manifest serializes");
        bytes.push(b'\n');
        bytes
    }
}

/// One line of the journal a build appends to as it writes outputs, so that a build that is
/// killed still knows, on the next run, what it finished.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalLine {
    /// The output file, by its path in the output folder.
    pub file: String,
    /// What the manifest lists for it.
    pub entry: Entry,
}

impl JournalLine {
    /// The line as written: compact JSON and a newline.
    pub fn to_line(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec(self).expect("a journal line serializes");
        bytes.push(b'\n');
        bytes
    }
}

pub use crate::digest::sha256_hex;

/// Hashes the inputs shared by every output of a run; then [`RunInputs::student`] adds one
/// student's record.
#[derive(Clone)]
pub struct RunInputs(Sha256);

impl Default for RunInputs {
    fn default() -> Self {
        RunInputs::new()
    }
}

impl RunInputs {
    /// A hash that starts with the version of `mastery`: outputs of another version are rebuilt.
    pub fn new() -> RunInputs {
        let mut hasher = Sha256::new();
        hasher.update(concat!("mastery ", env!("CARGO_PKG_VERSION")).as_bytes());
        RunInputs(hasher)
    }

    /// Adds a named input. Each part is length-prefixed, so no two different sequences of
    /// parts hash alike.
    pub fn add(&mut self, name: &str, bytes: &[u8]) {
        for part in [name.as_bytes(), bytes] {
            self.0.update((part.len() as u64).to_le_bytes());
            self.0.update(part);
        }
    }

    /// The hash of the run's inputs plus one student's record.
    pub fn student(&self, record: &serde_json::Value) -> String {
        let mut inputs = self.clone();
        inputs.add("student", &serde_json::to_vec(record).expect("a record serializes"));
        crate::digest::hex(&inputs.0.finalize())
    }
}

/// Which of `shards` shards a student belongs to: the student id's SHA-256, as a number,
/// modulo the shard count. Stable across machines and runs, and spread evenly.
pub fn shard_of(student_id: &str, shards: u32) -> u32 {
    let digest = Sha256::digest(student_id.as_bytes());
    let number = u64::from_be_bytes(digest[..8].try_into().expect("eight bytes"));
    (number % u64::from(shards)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_change_with_any_part() {
        let mut a = RunInputs::new();
        a.add("school", b"x");
        let mut b = RunInputs::new();
        b.add("school", b"y");
        let record = serde_json::json!({"id": "S1"});
        assert_ne!(a.student(&record), b.student(&record));
        assert_eq!(a.student(&record), a.student(&record));
        assert_ne!(a.student(&record), a.student(&serde_json::json!({"id": "S2"})));
    }

    #[test]
    fn shards_cover_every_student_once_and_evenly() {
        let counts = (0..4000).fold([0u32; 4], |mut counts, i| {
            counts[shard_of(&format!("S{i}"), 4) as usize] += 1;
            counts
        });
        assert!(counts.iter().all(|c| (900..1100).contains(c)), "{counts:?}");
    }

    #[test]
    fn a_journal_adds_entries_and_skips_a_cut_line() {
        let entry =
            Entry { student: "S1".into(), source: "s.json".into(), inputs: "a".into(), sha256: "b".into(), bytes: 3 };
        let mut journal = JournalLine { file: "S1.pdf".into(), entry: entry.clone() }.to_line();
        journal.extend_from_slice(b"{\"file\": \"S2.pdf\", \"ent");
        let mut manifest = Manifest::new();
        manifest.apply_journal(&journal);
        assert_eq!(manifest.outputs.len(), 1);
        assert_eq!(manifest.outputs["S1.pdf"], entry);
    }

    #[test]
    fn a_manifest_of_another_format_is_empty() {
        assert_eq!(Manifest::parse(b"{\"format\": \"other\", \"outputs\": {}}"), Manifest::default());
        assert_eq!(Manifest::parse(b"not json"), Manifest::default());
    }
}
