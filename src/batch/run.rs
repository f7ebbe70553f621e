//! Running a plan: one thread reads and checks the records, `jobs` threads build them, and the
//! calling thread keeps the books (the manifest and its journal) and tells the sink.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::books::Books;
use super::manifest::{Entry, Manifest, shard_of};
use super::produce::{Built, Context, Job, Renderer, build_student, internal_error, up_to_date};
use super::{BuildError, Cancel, Counts, Event, Format, Outcome, Plan, Problem, Status};
use crate::intake::{self, StudentOutcome};
use crate::issue::books::{NotIssued, Ticket};
use crate::load;
use crate::output;

/// What the threads tell the book-keeping thread.
enum Message {
    Checked {
        student: Option<String>,
        source: PathBuf,
        diagnostics: Vec<crate::diag::Diagnostic>,
    },
    Status {
        student: Option<String>,
        source: PathBuf,
        status: Status,
    },
    Built {
        student: String,
        source: PathBuf,
        output: String,
        files: Vec<(String, Entry)>,
        ticket: Option<Ticket>,
    },
    /// The reader could not go on (a file that cannot be read, or a fault of its own).
    Stopped(BuildError),
}

/// Runs a plan, telling `sink` what happens as it happens, until every record is handled or
/// `cancel` is set. Writes the outputs, `manifest.json` and its journal into the plan's output
/// folder; returns how it went. An error means a file or folder could not be read or written;
/// what was written until then stays listed in the manifest.
pub fn run(plan: &Plan, mut sink: impl FnMut(Event), cancel: &Cancel) -> Result<Outcome, BuildError> {
    let started = Instant::now();
    let options = &plan.options;
    let out = options.out.as_path();
    output::create_folder(out)?;
    output::remove_temporary_files(out)?;
    if options.format == Format::Data
        && let Some(logo) = &plan.logo
    {
        output::write_atomic(&out.join(logo.path.trim_start_matches('/')), &logo.bytes)?;
    }
    let (mut books, old_manifest) = Books::open(out, options.force)?;
    if let Some(issuing) = &plan.issuing {
        issuing.recover()?;
    }

    sink(Event::Started {
        records: load::count_records(&plan.open.folder.sources)?,
        diagnostics: plan.diagnostics().to_vec(),
    });

    // Set to stop early: cancelled, or the first fault under fail_fast.
    let stop = AtomicBool::new(false);
    let stopping = || stop.load(Ordering::Relaxed) || cancel.is_cancelled();
    let template_name = match &options.template {
        Some(dir) => format!("the template {}", dir.display()),
        None => "the default template".to_string(),
    };
    let jobs = options.jobs.max(1);
    let (job_sender, job_receiver) = mpsc::sync_channel::<Job>(jobs * 2);
    let job_receiver = Arc::new(Mutex::new(job_receiver));
    let (message_sender, messages) = mpsc::channel::<Message>();

    let mut counts = Counts::default();
    // The students asked for by id that have a valid record.
    let mut found = BTreeSet::new();
    let mut failure: Option<BuildError> = None;
    let mut faults = false;
    let context = Context {
        school: &plan.school,
        producer: &plan.producer,
        options: &plan.aggregate,
        logo: plan.logo.as_ref(),
        out,
    };
    std::thread::scope(|scope| -> Result<(), BuildError> {
        let reader_sender = message_sender.clone();
        let (old_manifest, stopping) = (&old_manifest, &stopping);
        scope.spawn(move || read(plan, old_manifest, job_sender, &reader_sender, stopping));

        for _ in 0..jobs {
            let (sender, receiver) = (message_sender.clone(), Arc::clone(&job_receiver));
            let (context, template_name) = (&context, &template_name);
            scope.spawn(move || {
                let mut renderer = Renderer::new(&plan.producer, &options.isolation, template_name);
                // Each worker's own one-thread pool: typst uses rayon inside, and sharing
                // threads across documents interleaves them.
                let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().ok();
                let mut work = || work(&receiver, &sender, context, &mut renderer, stopping);
                match &pool {
                    Some(pool) => pool.install(&mut work),
                    None => work(),
                }
            });
        }
        drop(message_sender);

        for message in messages.iter() {
            match message {
                Message::Checked { student, source, diagnostics } => {
                    counts.records += 1;
                    sink(Event::Checked { student, source, diagnostics });
                }
                Message::Stopped(error) => {
                    failure.get_or_insert(error);
                    stop.store(true, Ordering::Relaxed);
                }
                Message::Built { student, source, output, files, ticket } => {
                    let digests = files.iter().map(|(name, file)| (name.clone(), file.sha256.clone())).collect();
                    let files = books.written(&output, files)?;
                    if let (Some(issuing), Some(ticket)) = (&plan.issuing, &ticket) {
                        issuing.record(&student, ticket, digests)?;
                    }
                    counts.built += 1;
                    if options.only.contains(&student) {
                        found.insert(student.clone());
                    }
                    sink(Event::Student { student: Some(student), source, status: Status::Built { files } });
                }
                Message::Status { student, source, status } => {
                    match &status {
                        Status::Unchanged => counts.unchanged += 1,
                        Status::Invalid(_) => counts.invalid += 1,
                        Status::Failed(_) => counts.failed += 1,
                        Status::Skipped(_) => counts.skipped += 1,
                        Status::Withheld(_) => counts.withheld += 1,
                        Status::NotSelected | Status::Stopped | Status::Built { .. } => {}
                    }
                    if let Some(id) = student.as_ref().filter(|id| options.only.contains(id))
                        && !matches!(status, Status::Invalid(_))
                    {
                        found.insert(id.clone());
                    }
                    if matches!(status, Status::Invalid(_) | Status::Failed(_)) {
                        faults = true;
                        if options.fail_fast {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    sink(Event::Student { student, source, status });
                }
            }
        }
        Ok(())
    })?;
    if let Some(error) = failure {
        return Err(error);
    }
    books.close()?;
    if let Some(issuing) = &plan.issuing {
        issuing.finish()?;
    }
    let missing = options.only.iter().filter(|id| !found.contains(*id)).cloned().collect();
    let outcome = Outcome {
        counts,
        seconds: started.elapsed().as_secs_f64(),
        cancelled: cancel.is_cancelled(),
        stopped_at_fault: options.fail_fast && faults,
        missing,
    };
    sink(Event::Finished(outcome.clone()));
    Ok(outcome)
}

/// The reader: streams the records through validation and decides what needs building.
fn read(
    plan: &Plan,
    old_manifest: &Manifest,
    jobs: SyncSender<Job>,
    messages: &Sender<Message>,
    stopping: &(dyn Fn() -> bool + Sync),
) {
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        intake::students(&plan.open, &plan.schemas, &plan.validate, |outcome| {
            if stopping() {
                return ControlFlow::Break(());
            }
            let (student, source) = (outcome.student.clone(), outcome.source.clone());
            let checked = Message::Checked {
                student: student.clone(),
                source: source.clone(),
                diagnostics: outcome.diagnostics.clone(),
            };
            let _ = messages.send(checked);
            match decide(plan, old_manifest, outcome) {
                Ok(job) => {
                    let _ = jobs.send(job);
                }
                Err(status) => {
                    let _ = messages.send(Message::Status { student, source, status });
                }
            }
            ControlFlow::Continue(())
        })
    }));
    match result {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            let _ = messages.send(Message::Stopped(BuildError::Io(error)));
        }
        Err(_) => {
            let fault = std::io::Error::other("mastery failed while reading the records; nothing more was built");
            let _ = messages.send(Message::Stopped(BuildError::Io(fault)));
        }
    }
}

/// What to do with a record: build it, or the reason not to.
fn decide(plan: &Plan, old_manifest: &Manifest, mut outcome: StudentOutcome) -> Result<Job, Status> {
    let options = &plan.options;
    let Some(record) = outcome.record.take() else {
        return Err(Status::Invalid(Problem {
            student: outcome.student,
            source: outcome.source.display().to_string(),
            kind: "invalid",
            messages: outcome.diagnostics.iter().filter(|d| d.is_error()).map(ToString::to_string).collect(),
        }));
    };
    let id = &record.student.id;
    let wanted = (options.only.is_empty() || options.only.contains(id))
        && options.shard.is_none_or(|(k, n)| shard_of(id, n) == k);
    if !wanted {
        return Err(Status::NotSelected);
    }
    let inputs = plan.inputs.student(outcome.value());
    if let Some(issuing) = &plan.issuing {
        let source = outcome.source.display().to_string();
        let problem = |kind, message| Problem {
            student: Some(id.to_string()),
            source: source.clone(),
            kind,
            messages: vec![message],
        };
        let (output, ticket) =
            issuing.decide(&options.out, id, outcome.value(), plan.aggregate.issue_date).map_err(|not| match not {
                NotIssued::Unchanged => Status::Unchanged,
                NotIssued::Withheld(message) => Status::Withheld(problem("revoked", message)),
                NotIssued::Failed(message) => Status::Failed(problem("write", message)),
            })?;
        return Ok(Job { record, output, inputs, ticket: Some(ticket) });
    }
    let output = plan.producer.output_name(id);
    if up_to_date(&options.out, &output, &inputs, old_manifest) {
        return Err(Status::Unchanged);
    }
    Ok(Job { record, output, inputs, ticket: None })
}

/// A worker: builds the jobs it takes off the queue until the queue closes, each student's
/// work caught if it panics, so that one fault fails that student alone.
fn work(
    jobs: &Mutex<mpsc::Receiver<Job>>,
    messages: &Sender<Message>,
    context: &Context,
    renderer: &mut Renderer,
    stopping: &(dyn Fn() -> bool + Sync),
) {
    loop {
        // A worker that stopped while holding the queue left it as it was.
        let job = match jobs.lock().unwrap_or_else(PoisonError::into_inner).recv() {
            Ok(job) => job,
            Err(_) => return,
        };
        let (student, source) = (job.record.student.id.clone(), job.record.source.clone());
        if stopping() {
            let _ = messages.send(Message::Status { student: Some(student), source, status: Status::Stopped });
            continue;
        }
        let built = std::panic::catch_unwind(AssertUnwindSafe(|| build_student(job, context, renderer)))
            .unwrap_or_else(|panic| {
                Built::Failed(internal_error(Some(student.clone()), source.display().to_string(), &*panic))
            });
        let message = match built {
            Built::Files { output, files, ticket } => Message::Built { student, source, output, files, ticket },
            Built::Failed(problem) => {
                Message::Status { student: Some(student), source, status: Status::Failed(problem) }
            }
            Built::Skipped(problem) => {
                Message::Status { student: Some(student), source, status: Status::Skipped(problem) }
            }
        };
        let _ = messages.send(message);
    }
}
