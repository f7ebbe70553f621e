//! `mastery build`: every student of a school folder into an output folder, in parallel,
//! resumable, and never leaving a half-written file.
//!
//! One thread reads and validates the records as a stream and sends the valid ones down a
//! bounded channel; `--jobs` worker threads aggregate, render and write them; the main thread
//! collects what happened, prints it, and keeps `manifest.json` up to date. Each worker runs
//! typst inside its own one-thread rayon pool: typst and its PDF writer use rayon inside, and
//! sharing one pool across documents interleaves them (slower, and far more memory).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::cli::{DataArgs, OutputFormat, RenderArgs};
use crate::report::{Reporter, plural};
use crate::{
    DATA_ERROR, disclosure, issue_date, layout, logo, summary, template, validate_options, verdict, write_atomic,
};
use mastery::aggregate::{AggregateOptions, aggregate};
use mastery::credential::achievement::CredentialInput;
use mastery::credential::issuer::{Signer, SignerError};
use mastery::credential::{badge, clr};
use mastery::diag::Diagnostic;
use mastery::load;
use mastery::manifest::{Entry, JournalLine, Manifest, RunInputs, sha256_hex, shard_of};
use mastery::model::School;
use mastery::pipeline::{self, OpenSchool};
use mastery::render::worker::{Limits, Supervised, WorkerCommand};
use mastery::render::{self, Attachment, PdfJob, Template};
use mastery::validate::{Schemas, StudentRecord};

/// What `mastery build` was asked to do, beyond the school and the output folder.
pub struct BuildRequest<'a> {
    pub format: OutputFormat,
    pub data: &'a DataArgs,
    pub render: &'a RenderArgs,
    /// Only these students, when not empty.
    pub only: &'a [String],
    /// The signing key file, for CLR credentials.
    pub key: Option<&'a Path>,
    pub jobs: usize,
    pub force: bool,
    pub fail_fast: bool,
    /// (K, N): only the students in shard K of N.
    pub shard: Option<(u32, u32)>,
    /// Render each PDF in a supervised worker process within these limits; `None` renders in
    /// the build's own threads.
    pub isolation: Option<Limits>,
}

/// A valid student for a worker to build.
struct Job {
    record: StudentRecord,
    /// The output's name: a file (`ID.pdf`) or, for a student's badges, a folder (`ID/`).
    output: String,
    /// The hash of all its inputs.
    inputs: String,
}

/// What happened to one record.
enum Event {
    /// Problems found in a record (errors or warnings); `invalid` when it has errors.
    Checked {
        diagnostics: Vec<Diagnostic>,
        invalid: Option<Problem>,
    },
    /// Left as it was: nothing it depends on changed.
    Unchanged,
    /// Not in this shard or not asked for.
    Passed,
    Built {
        output: String,
        /// Each file written, by its path in the output folder.
        files: Vec<(String, Entry)>,
    },
    Failed(Problem),
    /// Nothing to write for this student in this format, though the record is fine.
    Skipped(Problem),
}

/// A student that could not be built, for `report.json`.
#[derive(Debug, Clone, Serialize)]
struct Problem {
    student: Option<String>,
    source: String,
    /// "invalid", "fonts", "render", "credential" or "write"; for a skipped student,
    /// "nothing_to_issue".
    kind: &'static str,
    messages: Vec<String>,
}

#[derive(Serialize)]
struct Report<'a> {
    format: &'static str,
    school: String,
    output: String,
    records: usize,
    built: usize,
    unchanged: usize,
    invalid: usize,
    failed: usize,
    skipped: usize,
    seconds: f64,
    problems: &'a [Problem],
    skipped_students: &'a [Problem],
}

/// Runs a build.
pub fn build(school: &Path, out: &Path, request: &BuildRequest) -> Result<ExitCode> {
    let started = Instant::now();
    let options = validate_options(request.data)?;
    let schemas = Schemas::new();
    let open = pipeline::open(school, &schemas)?;
    let mut reporter = Reporter::new(false, false);
    reporter.report(open.diagnostics.clone());
    let Some(valid_school) = &open.school else {
        reporter.line("nothing built: school.json has errors\n");
        return Ok(ExitCode::from(DATA_ERROR));
    };
    let producer = match request.format {
        OutputFormat::Pdf => Producer::Pdf(template(request.render)?),
        OutputFormat::Data => Producer::Data,
        OutputFormat::Html => Producer::Html,
        OutputFormat::Clr | OutputFormat::Ob => {
            let settings = valid_school.credentials.clone().context(
                "school.json has no \"credentials\": {\"issuer_id\": ..., \"verification_method\": ...}; signed credentials need them",
            )?;
            let path =
                request.key.context("signed credentials need --key KEY_FILE (make one with `mastery keygen`)")?;
            let value: serde_json::Value = serde_json::from_slice(&load::file(path)?)
                .with_context(|| format!("{} is not a key file", path.display()))?;
            let key = mastery::credential::proof::Key::from_json(&value)
                .with_context(|| format!("{} is not a key file", path.display()))?;
            let signer = match Signer::new(&settings, key) {
                Ok(signer) => signer,
                Err(error) => {
                    reporter.report([signer_problem(&open, path, error)]);
                    reporter.line("nothing built: the signing key is not the one school.json names\n");
                    return Ok(ExitCode::from(DATA_ERROR));
                }
            };
            match request.format {
                OutputFormat::Clr => Producer::Clr(signer),
                _ => Producer::Badges(Box::new(Badges {
                    signer,
                    design: Template::badge(load::font_files(&request.render.font_paths)?),
                    locale: request.render.locale.clone(),
                    images: Mutex::new(BTreeMap::new()),
                })),
            }
        }
    };
    // The HTML and the badges use the default template's labels.
    if let Producer::Html | Producer::Badges(_) = &producer
        && !render::embedded_template().iter().any(|f| f.path == format!("locale/{}.json", request.render.locale))
    {
        bail!(
            "there are no labels for --locale {0}: the HTML transcript and the badges speak en and es",
            request.render.locale
        );
    }
    // A template with a locale/ folder must have the labels asked for.
    if let Producer::Pdf(template) = &producer
        && template.has_folder("locale")
        && !template.has_file(&format!("locale/{}.json", request.render.locale))
    {
        bail!("the template has no labels for --locale {0}: add locale/{0}.json to it", request.render.locale);
    }
    let logo = logo(&open);
    let aggregate_options = AggregateOptions {
        issue_date: issue_date(valid_school, &options)?,
        logo: logo.as_ref().map(|l| l.path.clone()),
        layout: layout(request.render),
        disclosure: disclosure(valid_school, request.render)?,
    };

    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    remove_stale_temporary_files(out)?;
    if request.format == OutputFormat::Data
        && let Some(logo) = &logo
    {
        write_atomic(&out.join(logo.path.trim_start_matches('/')), &logo.bytes)?;
    }
    let inputs = run_inputs(&open, request, &aggregate_options, logo.as_ref())?;
    let manifest_path = out.join("manifest.json");
    let journal_path = out.join(".manifest-journal.jsonl");
    let old_manifest = if request.force {
        Manifest::new()
    } else {
        let mut manifest =
            load::optional_file(&manifest_path)?.map(|bytes| Manifest::parse(&bytes)).unwrap_or_default();
        // The outputs a killed run finished after its manifest was last saved.
        if let Some(journal) = load::optional_file(&journal_path)? {
            manifest.apply_journal(&journal);
        }
        manifest
    };
    // Appended to as outputs are written: a run killed at any moment leaves a record of what
    // it finished, each line written only after its file is complete and in place.
    write_atomic(&manifest_path, &Manifest { outputs: old_manifest.outputs.clone(), ..Manifest::new() }.to_json())?;
    let mut journal =
        std::fs::File::create(&journal_path).with_context(|| format!("cannot write {}", journal_path.display()))?;
    // Outputs of earlier runs stay listed until this run rebuilds or confirms them.
    let mut manifest = Manifest { outputs: old_manifest.outputs.clone(), ..Manifest::new() };

    let progress = progress_bar(&open)?;
    reporter.set_progress(progress.clone());

    let stop = AtomicBool::new(false);
    let template_name = match &request.render.template {
        Some(dir) => format!("the template {}", dir.display()),
        None => "the default template".to_string(),
    };
    let (job_sender, job_receiver) = mpsc::sync_channel::<Job>(request.jobs * 2);
    let job_receiver = Arc::new(Mutex::new(job_receiver));
    let (event_sender, events) = mpsc::channel::<Event>();

    let mut counts = Counts::default();
    let mut problems = Vec::new();
    let mut skipped = Vec::new();
    let mut found = Vec::new();
    let outcome: Result<()> = std::thread::scope(|scope| {
        // The reader: streams records through validation and decides what needs building.
        let reader = {
            let event_sender = event_sender.clone();
            let (open, schemas, options, stop, old_manifest, inputs, producer) =
                (&open, &schemas, &options, &stop, &old_manifest, &inputs, &producer);
            scope.spawn(move || -> Result<()> {
                let job_sender: SyncSender<Job> = job_sender;
                pipeline::students(open, schemas, options, |outcome| {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let source = outcome.source.display().to_string();
                    let invalid = outcome.record.is_none().then(|| Problem {
                        student: outcome.student.clone(),
                        source: source.clone(),
                        kind: "invalid",
                        messages: outcome
                            .diagnostics
                            .iter()
                            .filter(|d| d.is_error())
                            .map(ToString::to_string)
                            .collect(),
                    });
                    let _ = event_sender.send(Event::Checked { diagnostics: outcome.diagnostics, invalid });
                    let Some(record) = outcome.record else { return };
                    let id = record.student.id.clone();
                    let wanted = (request.only.is_empty() || request.only.contains(&id))
                        && request.shard.is_none_or(|(k, n)| shard_of(&id, n) == k);
                    if !wanted {
                        let _ = event_sender.send(Event::Passed);
                        return;
                    }
                    let output = producer.output_name(&id);
                    let student_inputs = inputs.student(&outcome.value);
                    if up_to_date(out, &output, &student_inputs, old_manifest) {
                        let _ = event_sender.send(Event::Unchanged);
                        return;
                    }
                    let _ = job_sender.send(Job { record, output, inputs: student_inputs });
                })?;
                Ok(())
            })
        };

        // The workers: one thread each, with its own one-thread rayon pool.
        for _ in 0..request.jobs {
            let event_sender = event_sender.clone();
            let job_receiver = Arc::clone(&job_receiver);
            let (producer, aggregate_options, logo, school, stop, template_name) =
                (&producer, &aggregate_options, logo.as_ref(), valid_school, &stop, &template_name);
            scope.spawn(move || {
                let mut renderer = match (producer, request.isolation) {
                    (Producer::Pdf(template), Some(limits)) => match std::env::current_exe() {
                        Ok(program) => {
                            let command = WorkerCommand { program, args: vec!["render-worker".to_string()] };
                            Renderer::Supervised(Supervised::new(command, template, limits, template_name))
                        }
                        Err(_) => Renderer::InProcess(template),
                    },
                    (Producer::Pdf(template), None) => Renderer::InProcess(template),
                    _ => Renderer::Nothing,
                };
                let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().ok();
                let mut work = || loop {
                    // A worker that stopped while holding the queue left it as it was.
                    let job = match job_receiver.lock().unwrap_or_else(PoisonError::into_inner).recv() {
                        Ok(job) => job,
                        Err(_) => return,
                    };
                    if stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    let (student, source) = (job.record.student.id.clone(), job.record.source.display().to_string());
                    // A fault in one student's work fails that student and no other.
                    let event = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        build_one(job, school, producer, &mut renderer, aggregate_options, logo, out)
                    }))
                    .unwrap_or_else(|panic| Event::Failed(internal_error(Some(student), source, &panic)));
                    let _ = event_sender.send(event);
                };
                match &pool {
                    Some(pool) => pool.install(&mut work),
                    None => work(),
                }
            });
        }
        drop(event_sender);

        // The main thread: what happened, as it happens.
        for event in events.iter() {
            match event {
                Event::Checked { diagnostics, invalid } => {
                    counts.records += 1;
                    reporter.report(diagnostics);
                    if let Some(problem) = invalid {
                        counts.invalid += 1;
                        problems.push(problem);
                        if request.fail_fast {
                            stop.store(true, Ordering::Relaxed);
                        }
                    }
                    continue;
                }
                Event::Passed => {}
                Event::Unchanged => counts.unchanged += 1,
                Event::Built { output, files } => {
                    counts.built += 1;
                    found.extend(files.first().map(|(_, entry)| entry.student.clone()));
                    // A student's folder may have held more files before: drop those.
                    let stale: Vec<String> = outputs_named(&manifest, &output)
                        .map(|(file, _)| file.clone())
                        .filter(|file| !files.iter().any(|(written, _)| written == file))
                        .collect();
                    for file in stale {
                        manifest.outputs.remove(&file);
                        let _ = std::fs::remove_file(out.join(&file));
                    }
                    for (file, entry) in files {
                        let line = JournalLine { file, entry };
                        journal
                            .write_all(&line.to_line())
                            .with_context(|| format!("cannot write {}", journal_path.display()))?;
                        manifest.outputs.insert(line.file, line.entry);
                    }
                }
                Event::Failed(problem) => {
                    counts.failed += 1;
                    let mut text = format!(
                        "{}: cannot build the transcript of {}:\n",
                        problem.source,
                        problem.student.as_deref().unwrap_or("?")
                    );
                    for message in &problem.messages {
                        text.push_str(&format!("  {}\n", message.replace('\n', "\n  ")));
                    }
                    reporter.line(&text);
                    problems.push(problem);
                    if request.fail_fast {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                Event::Skipped(problem) => {
                    counts.skipped += 1;
                    if let Some(student) = &problem.student {
                        found.push(student.clone());
                    }
                    for message in &problem.messages {
                        reporter.line(&format!("{}: note: not issued: {message}\n", problem.source));
                    }
                    skipped.push(problem);
                }
            }
            if let Some(bar) = &progress {
                bar.inc(1);
            }
        }
        reader.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!("mastery failed while reading the records; nothing more was built"))
        })
    });
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    reporter.set_progress(None);
    outcome?;
    if let Some(missing) = request.only.iter().find(|id| !found.contains(id) && !outputs_for(&manifest, id)) {
        bail!("no valid student with id \"{missing}\" in {}", school.display());
    }
    write_atomic(&manifest_path, &manifest.to_json())?;
    drop(journal);
    std::fs::remove_file(&journal_path).with_context(|| format!("cannot remove {}", journal_path.display()))?;

    // Workers finish in any order; the report lists students in the order of their files.
    let order = |a: &Problem, b: &Problem| (&a.source, &a.student).cmp(&(&b.source, &b.student));
    problems.sort_by(order);
    skipped.sort_by(order);
    let seconds = started.elapsed().as_secs_f64();
    let report = Report {
        format: "mastery-report/1",
        school: school.display().to_string(),
        output: out.display().to_string(),
        records: counts.records,
        built: counts.built,
        unchanged: counts.unchanged,
        invalid: counts.invalid,
        failed: counts.failed,
        skipped: counts.skipped,
        seconds: (seconds * 1000.0).round() / 1000.0,
        problems: &problems,
        skipped_students: &skipped,
    };
    let mut json = serde_json::to_vec_pretty(&report)?;
    json.push(b'\n');
    write_atomic(&out.join("report.json"), &json)?;

    let summary = summary(&open, &reporter, counts.records);
    reporter.finish(summary);
    let mut line = format!("built {} in {}", plural(counts.built, "transcript"), out.display());
    if counts.unchanged > 0 {
        line.push_str(&format!("; {} unchanged", counts.unchanged));
    }
    if counts.invalid > 0 {
        line.push_str(&format!("; skipped {} with invalid records", plural(counts.invalid, "student")));
    }
    if counts.failed > 0 {
        line.push_str(&format!("; {} failed", counts.failed));
    }
    if counts.skipped > 0 {
        line.push_str(&format!("; {} with nothing to issue yet", plural(counts.skipped, "student")));
    }
    if request.fail_fast && (counts.failed > 0 || counts.invalid > 0) {
        line.push_str("; stopped at the first fault (--fail-fast)");
    }
    line.push_str(&format!(" ({seconds:.1} s)"));
    reporter.line(&format!("{line}\n"));
    Ok(verdict(&reporter, request.data, counts.failed + counts.invalid))
}

#[derive(Default)]
struct Counts {
    records: usize,
    built: usize,
    unchanged: usize,
    invalid: usize,
    failed: usize,
    skipped: usize,
}

fn outputs_for(manifest: &Manifest, student: &str) -> bool {
    manifest.outputs.values().any(|entry| entry.student == student)
}

/// The manifest's files of one output: the file itself, or every file in the folder.
fn outputs_named<'a>(manifest: &'a Manifest, output: &'a str) -> impl Iterator<Item = (&'a String, &'a Entry)> {
    manifest.outputs.iter().filter(move |(file, _)| match output.strip_suffix('/') {
        Some(_) => file.starts_with(output),
        None => file.as_str() == output,
    })
}

/// What each student becomes.
enum Producer {
    Pdf(Template),
    Data,
    Html,
    Clr(Signer),
    Badges(Box<Badges>),
}

/// Open Badges: the signer, the badge design, and each badge's image, drawn once.
struct Badges {
    signer: Signer,
    design: Template,
    locale: String,
    images: Mutex<BTreeMap<String, Arc<render::Image>>>,
}

/// The width of a badge PNG, in pixels.
const BADGE_PIXELS: u32 = 512;

impl Badges {
    /// The image of a badge, drawn the first time it is asked for.
    fn image(&self, key: &str, data: &serde_json::Value) -> Result<Arc<render::Image>, render::RenderError> {
        if let Some(image) = self.images.lock().ok().and_then(|images| images.get(key).cloned()) {
            return Ok(image);
        }
        let image = Arc::new(render::badge_image(&self.design, data, BADGE_PIXELS)?);
        if let Ok(mut images) = self.images.lock() {
            images.insert(key.to_string(), Arc::clone(&image));
        }
        Ok(image)
    }
}

impl Producer {
    /// A student's output: a file, or for badges a folder of them.
    fn output_name(&self, id: &str) -> String {
        match self {
            Producer::Pdf(_) => format!("{id}.pdf"),
            Producer::Data => format!("{id}.json"),
            Producer::Html => format!("{id}.html"),
            Producer::Clr(_) => format!("{id}.clr.json"),
            Producer::Badges(_) => format!("{id}/"),
        }
    }
}

/// Aggregates, renders and writes one student.
/// Where a worker renders its PDFs.
enum Renderer<'a> {
    InProcess(&'a Template),
    Supervised(Supervised),
    /// Not a PDF build.
    Nothing,
}

/// A student that failed on a fault of mastery's own: a panic, caught.
fn internal_error(student: Option<String>, source: String, panic: &Box<dyn std::any::Any + Send>) -> Problem {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown fault");
    Problem {
        student,
        source,
        kind: "internal",
        messages: vec![format!(
            "mastery failed on this record ({what}); the other students are not affected. Please report it, with the record if you can"
        )],
    }
}

fn build_one(
    job: Job,
    school: &School,
    producer: &Producer,
    renderer: &mut Renderer,
    options: &AggregateOptions,
    logo: Option<&Attachment>,
    out: &Path,
) -> Event {
    let student = &job.record.student;
    let source = job.record.source.display().to_string();
    let problem =
        |kind, messages| Problem { student: Some(student.id.clone()), source: source.clone(), kind, messages };
    let transcript = aggregate(school, student, options);
    let pretty = |value: &serde_json::Value| {
        let mut bytes = serde_json::to_vec_pretty(value).expect("a credential serializes");
        bytes.push(b'\n');
        bytes
    };
    let nothing_to_issue = |why: &str| {
        Event::Skipped(problem(
            "nothing_to_issue",
            vec![format!("{} has earned no credit yet, {why}", transcript.student.display_name)],
        ))
    };
    let files: Vec<(String, Vec<u8>)> = match producer {
        Producer::Data => vec![(job.output.clone(), render::data_json(&transcript))],
        Producer::Html => vec![(job.output.clone(), mastery::html::html(&transcript, logo))],
        Producer::Clr(signer) => {
            let input = CredentialInput { school, signer, student_id: transcript.student.id.as_deref() };
            match clr::clr(&transcript, &input) {
                Ok(Some(credential)) => vec![(job.output.clone(), pretty(&credential))],
                Ok(None) => return nothing_to_issue("and a CLR must hold at least one credential"),
                Err(error) => return Event::Failed(problem("credential", vec![error.to_string()])),
            }
        }
        Producer::Badges(badges) => {
            let input =
                CredentialInput { school, signer: &badges.signer, student_id: transcript.student.id.as_deref() };
            let list = match badge::badges(&transcript, &input, &badges.locale) {
                Ok(list) if list.is_empty() => return nothing_to_issue("so there is no badge to issue"),
                Ok(list) => list,
                Err(error) => return Event::Failed(problem("credential", vec![error.to_string()])),
            };
            let mut files = Vec::new();
            for item in list {
                let image = match badges.image(&item.key, &item.image) {
                    Ok(image) => image,
                    Err(error) => return Event::Failed(problem("render", error.messages)),
                };
                let text = String::from_utf8(pretty(&item.credential)).expect("JSON is UTF-8");
                let baked =
                    badge::bake_png(&image.png, &text).and_then(|png| Ok((png, badge::bake_svg(&image.svg, &text)?)));
                let (png, svg) = match baked {
                    Ok(images) => images,
                    Err(error) => return Event::Failed(problem("render", vec![error.to_string()])),
                };
                let base = format!("{}{}", job.output, item.key);
                files.push((format!("{base}.json"), text.into_bytes()));
                files.push((format!("{base}.png"), png));
                files.push((format!("{base}.svg"), svg.into_bytes()));
            }
            files
        }
        Producer::Pdf(template) => {
            let missing = template.missing_glyphs(&transcript);
            if !missing.is_empty() {
                let list = missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                return Event::Failed(problem(
                    "fonts",
                    vec![format!(
                        "warning: the transcript of {} ({}) is not built: no font can show {list}\n  hint: add a font that covers them with --font-path, for example a Noto font for the script",
                        student.id, transcript.student.display_name
                    )],
                ));
            }
            let job_data = PdfJob::of(&transcript, logo.map(std::slice::from_ref).unwrap_or_default());
            let rendered = match renderer {
                Renderer::Supervised(supervised) => supervised.render(&job_data),
                Renderer::InProcess(template) => render::render_pdf(template, &job_data),
                Renderer::Nothing => render::render_pdf(template, &job_data),
            };
            match rendered {
                Ok(bytes) => vec![(job.output.clone(), bytes)],
                Err(error) => return Event::Failed(problem("render", error.messages)),
            }
        }
    };
    let mut written = Vec::with_capacity(files.len());
    for (file, bytes) in files {
        let path = out.join(&file);
        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if let Err(error) = std::fs::create_dir_all(&folder)
            .with_context(|| format!("cannot create {}", folder.display()))
            .and_then(|()| write_atomic(&path, &bytes))
        {
            return Event::Failed(problem("write", vec![format!("{error:#}")]));
        }
        let entry = Entry {
            student: student.id.clone(),
            source: source.clone(),
            inputs: job.inputs.clone(),
            sha256: sha256_hex(&bytes),
            bytes: bytes.len() as u64,
        };
        written.push((file, entry));
    }
    Event::Built { output: job.output, files: written }
}

/// The diagnostic for a key that cannot sign for the school, placed at the setting it
/// contradicts.
fn signer_problem(open: &OpenSchool, key_file: &Path, error: SignerError) -> Diagnostic {
    let (field, message, hint) = match error {
        SignerError::Settings(problem) => (problem.field, problem.message, problem.hint),
        SignerError::OtherKey { held, named } => (
            "verification_method",
            format!(
                "--key {} holds the key {held}, but the verification method names {named}: credentials signed with it would not verify",
                key_file.display()
            ),
            "sign with the key the school publishes, or, for a new key, set verification_method to the one `mastery keygen` printed for it".to_string(),
        ),
    };
    let pointer = format!("/credentials/{field}");
    match &open.folder.school {
        Some(document) => document.error(&pointer, message).hint(hint),
        None => Diagnostic::error(open.dir().join("school.json"), message).pointer(pointer).hint(hint),
    }
}

/// Whether an output in `out` is what the manifest says an identical build made: every one of
/// its files is there, unchanged.
fn up_to_date(out: &Path, output: &str, inputs: &str, manifest: &Manifest) -> bool {
    let mut files = outputs_named(manifest, output).peekable();
    files.peek().is_some()
        && files.all(|(file, entry)| {
            entry.inputs == inputs
                && matches!(load::optional_file(&out.join(file)), Ok(Some(bytes)) if sha256_hex(&bytes) == entry.sha256)
        })
}

/// Everything every output of this run depends on besides the student: school.json, the logo,
/// the template and fonts, the options.
fn run_inputs(
    open: &OpenSchool,
    request: &BuildRequest,
    options: &AggregateOptions,
    logo: Option<&Attachment>,
) -> Result<RunInputs> {
    let mut inputs = RunInputs::new();
    let school = open.folder.school.as_ref().map(|d| serde_json::to_vec(&d.value)).transpose()?.unwrap_or_default();
    inputs.add("school.json", &school);
    inputs.add("logo", logo.map_or(&[][..], |l| l.bytes.as_slice()));
    inputs.add("format", format!("{:?}", request.format).as_bytes());
    inputs.add("issue date", options.issue_date.to_string().as_bytes());
    inputs.add("layout", &serde_json::to_vec(&options.layout)?);
    if let OutputFormat::Clr | OutputFormat::Ob = request.format
        && let Some(path) = request.key
    {
        // The key signs; its public half is an input (the secret never goes into a hash).
        let value: serde_json::Value = serde_json::from_slice(&load::file(path)?)?;
        inputs.add("key", value["publicKeyMultibase"].as_str().unwrap_or("").as_bytes());
    }
    if request.format == OutputFormat::Pdf {
        let files = match &request.render.template {
            Some(dir) => load::template_dir(dir)?,
            None => render::embedded_template(),
        };
        for file in files {
            inputs.add(&file.path, &file.bytes);
        }
        for font in load::font_files(&request.render.font_paths)? {
            inputs.add("font", &font);
        }
    }
    Ok(inputs)
}

/// Removes the temporary files an interrupted run left behind (see `write_atomic`), in the
/// output folder and the students' badge folders inside it.
fn remove_stale_temporary_files(out: &Path) -> Result<()> {
    for entry in std::fs::read_dir(out).with_context(|| format!("cannot read {}", out.display()))? {
        let entry = entry?;
        let path: PathBuf = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with(".mastery-") && name.ends_with(".tmp") {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        } else if entry.file_type()?.is_dir() {
            remove_stale_temporary_files(&path)?;
        }
    }
    Ok(())
}

/// A progress bar on a terminal; none when standard error is piped.
fn progress_bar(open: &OpenSchool) -> Result<Option<indicatif::ProgressBar>> {
    if !std::io::stderr().is_terminal() {
        return Ok(None);
    }
    let bar = match load::count_records(&open.folder.sources)? {
        Some(total) => indicatif::ProgressBar::new(total).with_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} students, {per_sec}, {eta} left")
                .expect("a valid template"),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} students, {per_sec}").expect("a valid template"),
        ),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    Ok(Some(bar))
}

/// Parses `--shard K/N`.
pub fn parse_shard(text: &str) -> std::result::Result<(u32, u32), String> {
    let (k, n) = text.split_once('/').ok_or("write the shard as K/N, such as 0/4")?;
    let (k, n): (u32, u32) =
        (k.trim().parse().map_err(|_| "K must be a number")?, n.trim().parse().map_err(|_| "N must be a number")?);
    if n == 0 || k >= n {
        return Err(format!("shard {k}/{n} does not exist: K counts from 0 to N-1"));
    }
    Ok((k, n))
}
