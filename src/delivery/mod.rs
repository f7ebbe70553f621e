//! Delivery: the school's issued transcripts put the way each college-facing service takes
//! them in (a pack), and every student sent recorded in the ledger as a disclosure.
//!
//! A pack is made from what was issued, never from the records: for each student, the latest
//! version under the disclosure profile asked for, when the ledger says it is current (a
//! revoked or superseded version is never packed), read from the folder `mastery issue`
//! wrote and checked against the digest the ledger holds for it. [`Destination`] holds what
//! each service asks for (one PDF per student or one PDF for all, an index file, a size
//! budget); [`pack`] makes the files, writes them as one folder and appends one `disclose`
//! entry per student to the ledger (FERPA, 34 CFR 99.32: the record of each disclosure).

mod files;
mod merge;
mod pack;

pub use self::files::safe_file_name;
pub use self::pack::{NotPacked, Pack, PackError, PackOptions, pack};

/// One student's transcript in a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    /// The student's id.
    pub student: String,
    /// The legal name, as the transcript prints it.
    pub name: String,
    /// The birth date, when the profile shows it.
    pub birth_date: Option<String>,
    /// The expected graduation date.
    pub expected_graduation: String,
    /// The issue date the transcript carries.
    pub issue_date: String,
    /// The version packed.
    pub version: u32,
    /// Its credential.
    pub credential_id: String,
    /// Its file in the pack (in the ZIP, for Slate; the shared PDF, for Cialfo).
    pub file: String,
    /// Its size, in bytes.
    pub bytes: u64,
    /// The SHA-256 of the file sent.
    pub sha256: String,
}

/// The most bytes the Common App, Naviance and Scoir take in one file (a transcript, or the
/// school profile).
pub const PORTAL_BUDGET: u64 = 2_000_000;

/// A service that takes transcripts from schools, and what it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Destination {
    /// The Common App's school forms: one PDF per student.
    CommonApp,
    /// Naviance eDocs: one PDF per student.
    Naviance,
    /// Scoir: one PDF per student.
    Scoir,
    /// Cialfo: one PDF holding every student, in a stated order.
    Cialfo,
    /// A college's Slate, through its Document Import Processor: a ZIP of PDFs with an index.
    Slate,
    /// Parchment: its learners file, with one PDF per learner to upload as credentials.
    Parchment,
}

/// How a destination takes the transcripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// One PDF per student, each at most `budget` bytes.
    OneEach,
    /// One PDF with every student's pages, at most `budget` bytes.
    OneForAll,
    /// A ZIP of one PDF per student and a tab-delimited index (`index.txt`).
    ImportZip,
    /// One PDF per student and a CSV of the learners.
    Learners,
}

impl Destination {
    /// Every destination, in the order the guide lists them.
    pub const ALL: [Destination; 6] = [
        Destination::CommonApp,
        Destination::Naviance,
        Destination::Scoir,
        Destination::Cialfo,
        Destination::Slate,
        Destination::Parchment,
    ];

    /// The destination of a key (`commonapp`, as [`Destination::key`] writes it).
    pub fn from_key(key: &str) -> Option<Destination> {
        Destination::ALL.into_iter().find(|d| d.key() == key)
    }

    /// Its name, as the ledger records it (`via`).
    pub fn name(self) -> &'static str {
        match self {
            Destination::CommonApp => "Common App",
            Destination::Naviance => "Naviance",
            Destination::Scoir => "Scoir",
            Destination::Cialfo => "Cialfo",
            Destination::Slate => "Slate",
            Destination::Parchment => "Parchment",
        }
    }

    /// Its word on the command line (`--for`).
    pub fn key(self) -> &'static str {
        match self {
            Destination::CommonApp => "commonapp",
            Destination::Naviance => "naviance",
            Destination::Scoir => "scoir",
            Destination::Cialfo => "cialfo",
            Destination::Slate => "slate",
            Destination::Parchment => "parchment",
        }
    }

    /// How it takes the transcripts.
    pub fn form(self) -> Form {
        match self {
            Destination::CommonApp | Destination::Naviance | Destination::Scoir => Form::OneEach,
            Destination::Cialfo => Form::OneForAll,
            Destination::Slate => Form::ImportZip,
            Destination::Parchment => Form::Learners,
        }
    }

    /// The most bytes it takes in one file, when it says: 2 MB a transcript for the Common
    /// App, Naviance and Scoir, 10 MB for Cialfo's one file of all students.
    pub fn budget(self) -> Option<u64> {
        match self {
            Destination::CommonApp | Destination::Naviance | Destination::Scoir => Some(PORTAL_BUDGET),
            Destination::Cialfo => Some(10_000_000),
            Destination::Slate | Destination::Parchment => None,
        }
    }

    /// The disclosure profile a pack for it uses unless told otherwise: "college" for the
    /// admissions services, "internal" for Parchment, which keeps the school's learners
    /// (their birth dates among them) to match alumni's orders.
    pub fn default_profile(self) -> &'static str {
        match self {
            Destination::Parchment => "internal",
            _ => "college",
        }
    }
}
