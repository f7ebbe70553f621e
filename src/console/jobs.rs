//! The console's builds and issues: one at a time per console, each run by the build engine on
//! a thread of its own, its progress kept where the job's page and its event stream read it,
//! and its outputs packed into one ZIP when asked for.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use tokio::sync::watch;

use crate::batch::manifest::Manifest;
use crate::batch::report::Report;
use crate::batch::{self, BuildOptions, Cancel, Counts, Event, Format, Plan, Problem, Status};

/// A build or an issue started from the console.
pub struct Job {
    /// Its number in this console's list, from 1.
    pub id: u64,
    /// What it makes, in words: "PDF transcripts, en, letter, profile internal".
    pub what: String,
    /// Who asked for it: for an issue, the name the registrar gave (the ledger records it).
    pub by: Option<String>,
    /// The format.
    pub format: Format,
    /// The folder it writes into.
    pub out: PathBuf,
    /// When it started (RFC 3339, UTC).
    pub started: String,
    cancel: Cancel,
    progress: Mutex<Progress>,
    changes: watch::Sender<u64>,
}

/// How far a job has come: what its page shows and its event stream sends.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Progress {
    /// How many records there are, once known.
    pub total: Option<u64>,
    /// How many records it has seen.
    pub seen: usize,
    /// How many ended each way.
    pub counts: Counts,
    /// The files it wrote, by their paths in the output folder (they go into the ZIP).
    #[serde(skip)]
    pub written: BTreeSet<String>,
    /// The students it found up to date (their files in the folder go into the ZIP).
    #[serde(skip)]
    pub unchanged: BTreeSet<String>,
    /// The students that could not be built, or had nothing to build.
    pub problems: Vec<Problem>,
    /// Whether it has ended.
    pub finished: bool,
    /// Whether it was cancelled before every student was seen.
    pub cancelled: bool,
    /// Why it could not run or stopped, when it failed as a whole.
    pub error: Option<String>,
    /// How long it took, once finished.
    #[allow(clippy::disallowed_types, reason = "a duration shown to people, not a value of any record")]
    pub seconds: Option<f64>,
}

impl Job {
    /// Its progress now.
    pub fn progress(&self) -> Progress {
        self.progress.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Whether it is still running.
    pub fn running(&self) -> bool {
        !self.progress.lock().unwrap_or_else(PoisonError::into_inner).finished
    }

    /// Asks it to stop: the documents in flight finish, no other starts.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Tells of every change of its progress.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn update(&self, change: impl FnOnce(&mut Progress)) {
        change(&mut self.progress.lock().unwrap_or_else(PoisonError::into_inner));
        self.changes.send_modify(|n| *n += 1);
    }

    /// Runs the build engine for this job, on the calling thread, until it ends.
    fn run(&self, options: BuildOptions) {
        let plan = match Plan::new(options) {
            Ok(plan) => plan,
            Err(error) => {
                let message = match &error {
                    batch::BuildError::Invalid { diagnostics, .. } => {
                        let first = diagnostics.first().map(|d| format!(": {}", d.message)).unwrap_or_default();
                        format!("{error}{first}")
                    }
                    _ => error.to_string(),
                };
                return self.update(|p| {
                    p.error = Some(message);
                    p.finished = true;
                });
            }
        };
        let mut report = Report::new();
        let sink = |event: Event| {
            report.record(&event);
            self.follow(event);
        };
        let ended = batch::run(&plan, sink, &self.cancel);
        // The run's report beside its outputs, as `mastery build` leaves it.
        let written = match &ended {
            Ok(_) => crate::output::write_atomic(&plan.options().out.join("report.json"), &report.to_json(&plan)),
            Err(_) => Ok(()),
        };
        self.update(|p| {
            match (ended, written) {
                (Err(error), _) => p.error = Some(error.to_string()),
                (Ok(_), Err(error)) => p.error = Some(format!("the report could not be written: {error}")),
                (Ok(_), Ok(())) => {}
            }
            p.finished = true;
        });
    }

    /// Takes one event of the run into the job's progress.
    fn follow(&self, event: Event) {
        match event {
            Event::Started { records, .. } => self.update(|p| p.total = records),
            Event::Student { student, status, .. } => self.update(|p| {
                p.seen += 1;
                match status {
                    Status::Built { files } => {
                        p.counts.built += 1;
                        p.written.extend(files);
                    }
                    Status::Unchanged => {
                        p.counts.unchanged += 1;
                        p.unchanged.extend(student);
                    }
                    Status::Invalid(problem) => {
                        p.counts.invalid += 1;
                        p.problems.push(problem);
                    }
                    Status::Failed(problem) => {
                        p.counts.failed += 1;
                        p.problems.push(problem);
                    }
                    Status::Skipped(problem) => {
                        p.counts.skipped += 1;
                        p.problems.push(problem);
                    }
                    Status::Withheld(problem) => {
                        p.counts.withheld += 1;
                        p.problems.push(problem);
                    }
                    Status::NotSelected | Status::Stopped => {}
                }
            }),
            Event::Checked { .. } => {}
            Event::Finished(outcome) => self.update(|p| {
                p.counts = outcome.counts;
                p.cancelled = outcome.cancelled;
                p.seconds = Some(outcome.seconds);
            }),
        }
    }

    /// Writes the job's outputs as one ZIP into `to`: the files it wrote and, for the students
    /// it found up to date, the files the output folder's manifest lists for them (an issue's
    /// earlier versions are not this job's), under their names in the folder, and the run's
    /// `report.json`. Stored with a fixed date, so the same outputs give
    /// the same bytes; PDFs and PNGs are stored as they are (already compressed), the rest
    /// deflated.
    pub fn write_zip(&self, to: &mut (impl Write + io::Seek)) -> io::Result<()> {
        let Progress { mut written, unchanged, .. } = self.progress();
        let manifest = Manifest::parse(
            &crate::load::optional_file_beneath(&self.out, Path::new("manifest.json"))?.unwrap_or_default(),
        );
        let up_to_date = manifest.outputs.into_iter().filter(|(_, e)| unchanged.contains(&e.student));
        written.extend(up_to_date.map(|(name, _)| name));
        let mut names: Vec<String> = written.into_iter().collect();
        if self.out.join("report.json").is_file() {
            names.push("report.json".to_string());
        }
        let mut zip = zip::ZipWriter::new(to);
        for name in names {
            // The manifest's names are paths inside the output folder; nothing else is read.
            if Path::new(&name).components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
                continue;
            }
            let bytes = crate::load::file_beneath(&self.out, Path::new(&name))?;
            let stored = name.ends_with(".pdf") || name.ends_with(".png");
            let method = if stored { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(method)
                .last_modified_time(zip::DateTime::default())
                .unix_permissions(0o644);
            zip.start_file(name, options).map_err(io::Error::other)?;
            zip.write_all(&bytes)?;
        }
        zip.finish().map_err(io::Error::other)?;
        Ok(())
    }
}

/// The jobs of a console: the one running, if any, and those before it.
#[derive(Default)]
pub struct Jobs {
    list: Mutex<Vec<Arc<Job>>>,
}

/// The job of `list` that is running, as the refusal of another.
fn refuse_if_running(list: &[Arc<Job>]) -> Result<(), Busy> {
    match list.iter().find(|j| j.running()) {
        Some(running) => Err(Busy(Arc::clone(running))),
        None => Ok(()),
    }
}

/// A job asked for while another runs: that one.
pub struct Busy(pub Arc<Job>);

/// What a job is asked to make, besides the build options.
pub struct Request {
    /// What it makes, in words.
    pub what: String,
    /// Who asked for it.
    pub by: Option<String>,
}

impl Jobs {
    /// Starts a job on a thread of its own, unless one is running.
    pub fn start(&self, options: BuildOptions, request: Request) -> Result<Arc<Job>, Busy> {
        let mut list = self.list.lock().unwrap_or_else(PoisonError::into_inner);
        refuse_if_running(&list)?;
        let job = Arc::new(Job {
            id: list.len() as u64 + 1,
            what: request.what,
            by: request.by,
            format: options.format,
            out: options.out.clone(),
            started: crate::issue::ledger::now(),
            cancel: Cancel::new(),
            progress: Mutex::new(Progress::default()),
            changes: watch::channel(0).0,
        });
        list.push(Arc::clone(&job));
        let running = Arc::clone(&job);
        std::thread::spawn(move || {
            // A fault of mastery's own ends the job with a message rather than leaving it
            // "running" (and every later job busy) for ever.
            let run = std::panic::AssertUnwindSafe(|| running.run(options));
            if std::panic::catch_unwind(run).is_err() {
                running.update(|p| {
                    p.error = Some("mastery failed while running this job; please report it".to_string());
                    p.finished = true;
                });
            }
        });
        Ok(job)
    }

    /// Runs `work` now, unless a job is running: a change that is not a build (a revocation)
    /// keeps the same rule of one at a time.
    pub fn exclusive<T>(&self, work: impl FnOnce() -> T) -> Result<T, Busy> {
        let list = self.list.lock().unwrap_or_else(PoisonError::into_inner);
        refuse_if_running(&list)?;
        Ok(work())
    }

    /// The job with this number.
    pub fn get(&self, id: u64) -> Option<Arc<Job>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner).iter().find(|j| j.id == id).cloned()
    }

    /// Every job, the latest first.
    pub fn all(&self) -> Vec<Arc<Job>> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner).iter().rev().cloned().collect()
    }
}
