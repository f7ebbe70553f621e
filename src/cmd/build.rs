//! `mastery build SCHOOL --out DIR`: the library's build engine, followed on the terminal. This
//! file turns the arguments into [`BuildOptions`], and the run's events into what a registrar
//! reads: the diagnostics, a progress bar, one paragraph per student that could not be built,
//! `report.json`, and the closing lines.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use mastery::batch::report::Report;
use mastery::batch::{self, BuildError, BuildOptions, Cancel, Event, Isolation, Outcome, Plan, Problem, Status};
use mastery::hint::plural;
use mastery::output;
use mastery::render::worker::{Limits, WorkerCommand};
use mastery::transcript::SchoolPages;

use super::args::{BuildArgs, DataArgs, RenderArgs, SchoolPagesArg};
use super::report::Reporter;
use super::{DATA_ERROR, summary, validate_options, verdict};

pub fn run(args: &BuildArgs) -> Result<ExitCode> {
    let mut options = BuildOptions::new(args.school.clone(), args.out.clone(), args.format.into(), worker()?);
    let (render, data) = (&args.render, &args.data);
    render_options(&mut options, render, data)?;
    options.key = args.key.clone();
    options.only = args.students.clone();
    options.shard = args.shard;
    if let Some(jobs) = args.jobs {
        options.jobs = jobs.max(1);
    }
    options.force = args.force;
    options.fail_fast = args.fail_fast;
    if args.render_in_process {
        options.isolation = Isolation::InProcess;
    } else {
        set_limits(&mut options, args.doc_timeout, args.doc_memory);
    }
    execute(options, data, "built")
}

/// Runs a build or an issue planned from `options`, following it on the terminal; `done` is
/// the closing line's verb ("built", "issued").
pub fn execute(options: BuildOptions, data: &DataArgs, done: &str) -> Result<ExitCode> {
    let mut reporter = Reporter::new(false, false);
    let plan = match Plan::new(options) {
        Ok(plan) => plan,
        Err(BuildError::Invalid { diagnostics, reason }) => {
            reporter.report(diagnostics);
            reporter.line(&format!("nothing {done}: {reason}\n"));
            return Ok(ExitCode::from(DATA_ERROR));
        }
        Err(BuildError::Ledger(error)) => {
            reporter.line(&format!("nothing {done}: {error}\n"));
            return Ok(ExitCode::from(DATA_ERROR));
        }
        Err(error) => return Err(error.into()),
    };
    let mut report = Report::new();
    let mut progress = None;
    let outcome = batch::run(
        &plan,
        |event| {
            report.record(&event);
            follow(&event, &mut reporter, &mut progress);
        },
        &Cancel::new(),
    )?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    reporter.set_progress(None);
    let out = &plan.options().out;
    output::write_atomic(&out.join("report.json"), &report.to_json(&plan))?;
    if let Some(missing) = outcome.missing.first() {
        bail!("no valid student with id \"{missing}\" in {}", plan.options().school.display());
    }
    reporter.finish(summary(plan.open(), &reporter, outcome.counts.records));
    reporter.line(&format!("{}\n", closing_line(&outcome, &out.display().to_string(), done)));
    Ok(verdict(&reporter, data, outcome.counts.failed + outcome.counts.invalid))
}

/// How to start a render worker: this program, `mastery render-worker`.
pub fn worker() -> Result<WorkerCommand> {
    let program = std::env::current_exe().context("cannot find the mastery program to start its render workers")?;
    Ok(WorkerCommand { program, args: vec!["render-worker".to_string()] })
}

/// The options of how transcripts look, and the issue date.
pub fn render_options(options: &mut BuildOptions, render: &RenderArgs, data: &DataArgs) -> Result<()> {
    options.template = render.template.clone();
    options.font_paths = render.font_paths.clone();
    options.profile = render.profile.clone();
    options.locale = render.locale.clone();
    options.paper = render.paper.into();
    options.hide_in_progress = render.hide_in_progress;
    options.school_pages = match render.school_pages {
        SchoolPagesArg::Inline => SchoolPages::Inline,
        SchoolPagesArg::Separate => SchoolPages::Separate,
    };
    options.issue_date = validate_options(data)?.issue_date;
    Ok(())
}

/// The time and memory one document may take.
#[allow(clippy::disallowed_types, reason = "a time limit, not a value of any record")]
pub fn set_limits(options: &mut BuildOptions, seconds: f64, megabytes: u64) {
    if let Isolation::Processes { limits, .. } = &mut options.isolation {
        *limits = Limits {
            timeout: Duration::from_secs_f64(seconds.max(0.1)),
            memory: megabytes.max(64).saturating_mul(1024 * 1024),
        };
    }
}

/// Shows one event of the run on the terminal.
fn follow(event: &Event, reporter: &mut Reporter, progress: &mut Option<ProgressBar>) {
    match event {
        Event::Started { records, diagnostics } => {
            reporter.report(diagnostics.iter().cloned());
            if std::io::stderr().is_terminal() {
                let bar = progress_bar(*records);
                reporter.set_progress(Some(bar.clone()));
                *progress = Some(bar);
            }
        }
        Event::Checked { diagnostics, .. } => reporter.report(diagnostics.iter().cloned()),
        Event::Student { status, .. } => {
            match status {
                Status::Failed(problem) => reporter.line(&cannot_build(problem)),
                Status::Skipped(problem) | Status::Withheld(problem) => {
                    for message in &problem.messages {
                        reporter.line(&format!("{}: note: not issued: {message}\n", problem.source));
                    }
                }
                _ => {}
            }
            if let Some(bar) = progress {
                bar.inc(1);
            }
        }
        Event::Finished(_) => {}
    }
}

/// The paragraph for a student that could not be built.
fn cannot_build(problem: &Problem) -> String {
    let student = problem.student.as_deref().unwrap_or("?");
    let mut text = format!("{}: cannot build the transcript of {student}:\n", problem.source);
    for message in &problem.messages {
        text.push_str(&format!("  {}\n", message.replace('\n', "\n  ")));
    }
    text
}

/// A bar when the number of records is known, else a spinner.
fn progress_bar(records: Option<u64>) -> ProgressBar {
    let bar = match records {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} students, {per_sec}, {eta} left")
                .expect("a valid template"),
        ),
        None => ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("{spinner} {pos} students, {per_sec}").expect("a valid template")),
    };
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// "built 10 transcripts in out; 2 unchanged; … (1.2 s)".
fn closing_line(outcome: &Outcome, out: &str, done: &str) -> String {
    let counts = &outcome.counts;
    let mut line = format!("{done} {} in {out}", plural(counts.built, "transcript"));
    if counts.unchanged > 0 {
        let unchanged = if done == "issued" { "unchanged since their last issue" } else { "unchanged" };
        line.push_str(&format!("; {} {unchanged}", counts.unchanged));
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
    if counts.withheld > 0 {
        line.push_str(&format!("; {} revoked and not issued again", counts.withheld));
    }
    if outcome.stopped_at_fault {
        line.push_str("; stopped at the first fault (--fail-fast)");
    }
    if outcome.cancelled {
        line.push_str("; cancelled");
    }
    line.push_str(&format!(" ({:.1} s)", outcome.seconds));
    line
}
