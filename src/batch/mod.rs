//! The batch: every student of a school folder into an output folder, in parallel,
//! resumable, and never leaving a half-written file.
//!
//! A build is two steps. [`Plan::new`] resolves the [`BuildOptions`] once: it opens and checks
//! the school, reads the template, the fonts and the key (each exactly once: what is hashed
//! into the manifest is what is rendered and signed), and refuses before anything is written
//! when the school or the key cannot be used. [`run`] then streams the records through
//! validation on one thread, builds them on `jobs` worker threads, keeps `manifest.json` and its
//! journal up to date on the calling thread, and tells a sink what happens as [`Event`]s: the
//! terminal's progress bar and summary, `report.json` ([`report::Report`]) and the console are
//! all consumers of the same events. A caller can [`Cancel`] a run: the documents in flight
//! finish, nothing new starts, and the manifest lists exactly what was written.
//!
//! ```no_run
//! use mastery::batch::{self, BuildOptions, Cancel, Event, Format, Plan, Status};
//! use mastery::render::worker::WorkerCommand;
//!
//! // PDFs are rendered by `mastery render-worker` processes, which the build supervises.
//! let worker = WorkerCommand { program: "mastery".into(), args: vec!["render-worker".into()] };
//! let options = BuildOptions::new("school".into(), "out".into(), Format::Pdf, worker);
//! let plan = Plan::new(options)?;
//! let cancel = Cancel::new();
//! let outcome = batch::run(
//!     &plan,
//!     |event| {
//!         if let Event::Student { student, status: Status::Failed(problem), .. } = event {
//!             eprintln!("{student:?}: {:?}", problem.messages);
//!         }
//!     },
//!     &cancel,
//! )?;
//! println!("{} built, {} failed", outcome.counts.built, outcome.counts.failed);
//! # Ok::<(), mastery::batch::BuildError>(())
//! ```

mod books;
mod plan;
mod produce;
mod profile;
mod run;

pub mod manifest;
pub mod report;
mod single;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::NaiveDate;
use serde::Serialize;

pub use self::plan::Plan;
pub use self::profile::profile;
pub use self::run::run;
pub use self::single::Single;
use crate::diag::Diagnostic;
use crate::render::worker::{Limits, WorkerCommand};
use crate::transcript::{Paper, SchoolPages};

/// What each student becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// A PDF/A-3b, PDF/UA-1 transcript with its data attached: `ID.pdf`.
    Pdf,
    /// The self-contained, accessible HTML transcript: `ID.html`.
    Html,
    /// The transcript data templates read: `ID.json`.
    Data,
    /// A signed CLR 2.0 credential: `ID.clr.json`.
    Clr,
    /// Signed Open Badges, baked into PNG and SVG images: a folder `ID/`.
    Ob,
    /// A PESC High School Transcript 1.5.0 document: `ID.pesc.xml`.
    Pesc,
    /// An official issue (`mastery issue`): the student's next version, in a folder `ID/vN/`,
    /// as the PDF (with its signed credential and data attached), the signed CLR and the HTML,
    /// each recorded in the school's ledger once it is in place.
    Issue,
}

impl Format {
    /// Whether this format signs credentials (and needs a key).
    pub fn signs(self) -> bool {
        matches!(self, Format::Clr | Format::Ob | Format::Issue)
    }

    /// Whether this format writes PESC XML, whose schema limits the length of names and titles.
    pub fn writes_pesc(self) -> bool {
        matches!(self, Format::Pesc | Format::Issue)
    }
}

/// Where PDFs are rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Isolation {
    /// In supervised worker processes, one per job, within the limits: a template that loops,
    /// allocates without end or crashes fails its student only.
    Processes {
        /// How to start a worker process: `mastery render-worker`.
        worker: WorkerCommand,
        /// The time and memory one document may take.
        limits: Limits,
    },
    /// In the build's own threads, without limits (for trusted templates and measurements).
    InProcess,
}

/// What a build is asked to do: plain data, resolved once by [`Plan::new`].
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The school folder.
    pub school: PathBuf,
    /// The folder to write into; created if missing.
    pub out: PathBuf,
    /// What each student becomes.
    pub format: Format,
    /// A template folder instead of the built-in one.
    pub template: Option<PathBuf>,
    /// Folders of extra fonts.
    pub font_paths: Vec<PathBuf>,
    /// The signing key file, for the formats that sign.
    pub key: Option<PathBuf>,
    /// The key of the school's document-signing certificate, which signs issued PDFs
    /// (PAdES), for [`Format::Issue`].
    pub pdf_key: Option<PathBuf>,
    /// The address of a timestamp authority that countersigns each issued PDF's signature
    /// (PAdES B-T), for [`Format::Issue`].
    pub tsa: Option<String>,
    /// A disclosure profile by name; `None` shows everything (`internal`).
    pub profile: Option<String>,
    /// The language of the labels: a file `locale/<locale>.json` of the template.
    pub locale: String,
    /// The paper size of PDFs.
    pub paper: Paper,
    /// Leave the credits still in progress off the transcript.
    pub hide_in_progress: bool,
    /// Where the school's pages go: in each transcript, or in the school profile sent apart
    /// (each transcript then says so instead).
    pub school_pages: SchoolPages,
    /// Overrides `transcript.issue_date` of `school.json`.
    pub issue_date: Option<NaiveDate>,
    /// Only these students, when not empty.
    pub only: Vec<String>,
    /// (K, N): only the students in shard K of N.
    pub shard: Option<(u32, u32)>,
    /// How many students are built at once (at least one).
    pub jobs: usize,
    /// Rebuild everything, even what the manifest shows is up to date.
    pub force: bool,
    /// Stop at the first student that cannot be built.
    pub fail_fast: bool,
    /// Where PDFs are rendered.
    pub isolation: Isolation,
    /// Who issues (for [`Format::Issue`]; the ledger records it): by default the user the
    /// program runs as.
    pub by: Option<String>,
    /// To whom the issued transcripts are sent (for [`Format::Issue`]), as the registrar
    /// writes it: a student whose transcript is unchanged is then disclosed again rather
    /// than issued.
    pub recipient: Option<String>,
    /// For [`Format::Issue`]: issue a new version of each student chosen although nothing
    /// changed (a current version is superseded, a revoked one issued again), for this
    /// reason, which the ledger records. See [`crate::issue::state`].
    pub reissue: Option<String>,
    /// For [`Format::Issue`]: the request of the registrar's queue each student's transcript
    /// answers, by student id, which the ledger records with the issue or disclosure.
    pub requests: std::collections::BTreeMap<String, crate::issue::ledger::Requested>,
}

impl BuildOptions {
    /// The options for building `school` into `out` as `format`, with every other choice at
    /// its default (one job per core, rendering in supervised processes of `worker`).
    pub fn new(school: PathBuf, out: PathBuf, format: Format, worker: WorkerCommand) -> BuildOptions {
        BuildOptions {
            school,
            out,
            format,
            template: None,
            font_paths: Vec::new(),
            key: None,
            pdf_key: None,
            tsa: None,
            profile: None,
            locale: "en".to_string(),
            paper: Paper::Letter,
            hide_in_progress: false,
            school_pages: SchoolPages::Inline,
            issue_date: None,
            only: Vec::new(),
            shard: None,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            force: false,
            fail_fast: false,
            isolation: Isolation::Processes { worker, limits: Limits::default() },
            by: None,
            recipient: None,
            reissue: None,
            requests: std::collections::BTreeMap::new(),
        }
    }
}

/// Why a build cannot start, or stopped.
#[derive(Debug)]
pub enum BuildError {
    /// The data refuses it: `school.json` has errors, or the key is not the school's. The
    /// diagnostics say where, and how to fix it.
    Invalid {
        /// The problems, each with its place.
        diagnostics: Vec<Diagnostic>,
        /// Why nothing can be built, in a few words.
        reason: String,
    },
    /// What was asked cannot be done: no key for a signed format, a locale without labels, an
    /// unknown profile.
    Usage(String),
    /// A file or folder that cannot be read or written.
    Io(io::Error),
    /// The school's ledger cannot be used: locked by another run, or its chain broken.
    Ledger(crate::issue::ledger::LedgerError),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Invalid { reason, .. } => write!(f, "nothing built: {reason}"),
            BuildError::Usage(message) => f.write_str(message),
            BuildError::Io(error) => write!(f, "{error}"),
            BuildError::Ledger(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for BuildError {}

impl From<io::Error> for BuildError {
    fn from(error: io::Error) -> Self {
        BuildError::Io(error)
    }
}

impl From<crate::issue::ledger::LedgerError> for BuildError {
    fn from(error: crate::issue::ledger::LedgerError) -> Self {
        BuildError::Ledger(error)
    }
}

impl From<crate::issue::books::Refusal> for BuildError {
    fn from(refusal: crate::issue::books::Refusal) -> Self {
        match refusal {
            crate::issue::books::Refusal::Usage(message) => BuildError::Usage(message),
            crate::issue::books::Refusal::Ledger(error) => BuildError::Ledger(error),
        }
    }
}

impl From<crate::issue::KeyRefusal> for BuildError {
    fn from(refusal: crate::issue::KeyRefusal) -> Self {
        match refusal {
            crate::issue::KeyRefusal::Usage(message) => BuildError::Usage(message),
            crate::issue::KeyRefusal::Invalid(diagnostic) => BuildError::Invalid {
                diagnostics: vec![*diagnostic],
                reason: "a signing key or certificate does not fit school.json".to_string(),
            },
            crate::issue::KeyRefusal::Io(error) => BuildError::Io(error),
        }
    }
}

/// Asks a running build to stop: the documents in flight finish, no new one starts, and the
/// manifest stays consistent. Clones share one flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag not yet set.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Stops the build at the next student.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A student that could not be built, or has nothing to build, for `report.json` and for
/// people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The student's id, when it is known.
    pub student: Option<String>,
    /// The file the record came from.
    pub source: String,
    /// `invalid`, `fonts`, `render`, `credential`, `write` or `internal`; for a student with
    /// nothing to build, `nothing_to_issue`; for a revoked transcript an issue leaves revoked,
    /// `revoked`.
    pub kind: &'static str,
    /// What went wrong, for people: each a located diagnostic or a sentence.
    pub messages: Vec<String>,
}

/// What became of one student.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Written: these files of the output folder.
    Built {
        /// The files, by their paths in the output folder.
        files: Vec<String>,
    },
    /// Left as it was: nothing it depends on changed.
    Unchanged,
    /// Not in this shard, or not among the students asked for.
    NotSelected,
    /// Valid, but the run stopped before building it: cancelled, or stopped at a fault.
    Stopped,
    /// The record has errors (its diagnostics came with [`Event::Checked`]).
    Invalid(Problem),
    /// It could not be built.
    Failed(Problem),
    /// Its record is fine, but there is nothing to write in this format (a CLR for a student
    /// with no earned credit).
    Skipped(Problem),
    /// An issue left the student's revoked transcript revoked: nothing changed since it was
    /// revoked, and no new version was asked for (see [`crate::issue::state`]).
    Withheld(Problem),
}

/// How many students ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Every record read, valid or not.
    pub records: usize,
    /// Students written.
    pub built: usize,
    /// Students left as they were: nothing they depend on changed.
    pub unchanged: usize,
    /// Records with errors.
    pub invalid: usize,
    /// Students that could not be built.
    pub failed: usize,
    /// Students with nothing to build in this format.
    pub skipped: usize,
    /// Students whose revoked transcript an issue left revoked.
    pub withheld: usize,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// How many students ended each way.
    pub counts: Counts,
    /// How long the run took, from start to finish (wall time).
    #[allow(clippy::disallowed_types, reason = "a duration shown to people, not a value of any record")]
    pub seconds: f64,
    /// Stopped by [`Cancel`] before every student was seen.
    pub cancelled: bool,
    /// Stopped at the first fault, as asked (`fail_fast`).
    pub stopped_at_fault: bool,
    /// Students asked for by id that are in no valid record (nor built before).
    pub missing: Vec<String>,
}

/// What a build tells its sink, in order, on the thread that called [`run`].
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The run begins: the number of records, when it is known without reading them (no CSV
    /// source), and the problems of `school.json` and the folder (warnings; errors would have
    /// stopped the plan).
    Started {
        /// How many records there are, when it is known without reading them.
        records: Option<u64>,
        /// The warnings of `school.json` and the folder.
        diagnostics: Vec<Diagnostic>,
    },
    /// A record was read and checked: its problems (errors and warnings). Every record gives
    /// one, before its [`Event::Student`].
    Checked {
        /// The student's id, when the record has one.
        student: Option<String>,
        /// The file the record is in.
        source: PathBuf,
        /// Its errors and warnings.
        diagnostics: Vec<Diagnostic>,
    },
    /// What became of a record: one per record.
    Student {
        /// The student's id, when the record has one.
        student: Option<String>,
        /// The file the record is in.
        source: PathBuf,
        /// What became of it.
        status: Status,
    },
    /// The run is over.
    Finished(Outcome),
}
