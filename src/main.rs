//! The `mastery` command: parses arguments, runs the library's stages, prints diagnostics,
//! writes files and picks the exit code (0 ok, 1 invalid data, 2 usage or I/O failure).

mod cli;
mod report;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Parser;

use cli::{Cli, Command, DataArgs, DiagnosticFormat, OutputFormat, PaperArg, RenderArgs};
use mastery::aggregate::{AggregateOptions, aggregate};
use mastery::model::{School, parse_date};
use mastery::pipeline::{self, OpenSchool};
use mastery::render::{self, Attachment, Template};
use mastery::transcript::{Layout, Paper};
use mastery::validate::{Schemas, ValidateOptions};
use mastery::{case, load};
use report::{Reporter, Summary, plural};

const DATA_ERROR: u8 = 1;
const FAILURE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(FAILURE)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Validate { school, data, format } => validate_command(&school, &data, format),
        Command::Build { school, out, format, data, render, students } => {
            build_command(&school, &out, format, &data, &render, &students)
        }
        Command::Explain { school, student, credit, data } => {
            explain_command(&school, &data, &student, credit.as_deref())
        }
        Command::ImportCase { package, into, out, area_depth } => {
            import_case_command(&package, into.as_deref(), out.as_deref(), usize::from(area_depth))
        }
    }
}

fn validate_options(data: &DataArgs) -> Result<ValidateOptions> {
    let issue_date = data
        .issue_date
        .as_deref()
        .map(|text| {
            parse_date(text).with_context(|| format!("--issue-date {text} is not a date of the form YYYY-MM-DD"))
        })
        .transpose()?;
    Ok(ValidateOptions { issue_date })
}

/// The exit code for what was reported: warnings fail only under `--deny warnings`.
fn verdict(reporter: &Reporter, data: &DataArgs, other_failures: usize) -> ExitCode {
    if reporter.errors > 0 || other_failures > 0 || (data.deny_warnings() && reporter.warnings > 0) {
        ExitCode::from(DATA_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

fn summary(open: &OpenSchool, reporter: &Reporter, students: usize) -> Summary {
    Summary {
        school: open.dir().display().to_string(),
        files: 1 + open.folder.sources.len(),
        students,
        errors: reporter.errors,
        warnings: reporter.warnings,
    }
}

fn validate_command(school: &Path, data: &DataArgs, format: DiagnosticFormat) -> Result<ExitCode> {
    let options = validate_options(data)?;
    let schemas = Schemas::new();
    let open = pipeline::open(school, &schemas)?;
    let mut reporter = Reporter::new(true, matches!(format, DiagnosticFormat::Json));
    reporter.report(open.diagnostics.clone());
    let mut students = 0;
    pipeline::students(&open, &schemas, &options, |outcome| {
        students += 1;
        reporter.report(outcome.diagnostics);
    })?;
    let summary = summary(&open, &reporter, students);
    reporter.finish(summary);
    Ok(verdict(&reporter, data, 0))
}

fn issue_date(school: &School, options: &ValidateOptions) -> Result<NaiveDate> {
    mastery::validate::issue_date(school, options).context(
        "no issue date: set \"transcript\": {\"issue_date\": \"YYYY-MM-DD\"} in school.json, or pass --issue-date",
    )
}

fn layout(render: &RenderArgs) -> Layout {
    Layout {
        paper: match render.paper {
            PaperArg::Letter => Paper::Letter,
            PaperArg::A4 => Paper::A4,
        },
        locale: render.locale.clone(),
        show_in_progress: !render.hide_in_progress,
    }
}

fn logo(open: &OpenSchool) -> Option<Attachment> {
    open.folder.logo.as_ref().map(|asset| Attachment {
        path: render::logo_path(asset.path.extension().and_then(|e| e.to_str()).unwrap_or("png")),
        bytes: asset.bytes.clone(),
    })
}

fn template(render_args: &RenderArgs) -> Result<Template> {
    let fonts = load::font_files(&render_args.font_paths)?;
    Ok(match &render_args.template {
        Some(dir) => Template::new(load::template_dir(dir)?, fonts)
            .with_context(|| format!("cannot use the template in {}", dir.display()))?,
        None if fonts.is_empty() => Template::embedded(),
        None => Template::new(render::embedded_template(), fonts)?,
    })
}

fn build_command(
    school: &Path,
    out: &Path,
    format: OutputFormat,
    data: &DataArgs,
    render_args: &RenderArgs,
    only: &[String],
) -> Result<ExitCode> {
    let options = validate_options(data)?;
    let schemas = Schemas::new();
    let open = pipeline::open(school, &schemas)?;
    let mut reporter = Reporter::new(false, false);
    reporter.report(open.diagnostics.clone());
    let Some(valid_school) = &open.school else {
        reporter.line("nothing built: school.json has errors\n");
        return Ok(ExitCode::from(DATA_ERROR));
    };
    let aggregate_options =
        AggregateOptions { issue_date: issue_date(valid_school, &options)?, logo: None, layout: layout(render_args) };
    let template = match format {
        OutputFormat::Pdf => Some(template(render_args)?),
        OutputFormat::Data => None,
    };
    // A template with a locale/ folder must have the labels asked for.
    if let Some(template) = &template
        && template.has_folder("locale")
        && !template.has_file(&format!("locale/{}.json", render_args.locale))
    {
        bail!("the template has no labels for --locale {0}: add locale/{0}.json to it", render_args.locale);
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let logo = logo(&open);
    let aggregate_options = AggregateOptions { logo: logo.as_ref().map(|l| l.path.clone()), ..aggregate_options };
    if format == OutputFormat::Data
        && let Some(logo) = &logo
    {
        write_atomic(&out.join(logo.path.trim_start_matches('/')), &logo.bytes)?;
    }

    let (mut students, mut built, mut skipped, mut failed) = (0, 0, 0, 0);
    let mut found = Vec::new();
    let mut write_error = None;
    pipeline::students(&open, &schemas, &options, |outcome| {
        students += 1;
        reporter.report(outcome.diagnostics);
        let Some(record) = outcome.record else {
            skipped += 1;
            return;
        };
        if !only.is_empty() {
            if !only.contains(&record.student.id) {
                return;
            }
            found.push(record.student.id.clone());
        }
        if write_error.is_some() {
            return;
        }
        let transcript = aggregate(valid_school, &record.student, &aggregate_options);
        let (bytes, extension) = match &template {
            None => (render::data_json(&transcript), "json"),
            Some(template) => {
                let missing = template.missing_glyphs(&transcript);
                if !missing.is_empty() {
                    let list = missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
                    reporter.line(&format!(
                        "{}: warning: the transcript of {} ({}) is not built: no font can show {list}\n  hint: add a font that covers them with --font-path, for example a Noto font for the script\n",
                        record.source.display(),
                        record.student.id,
                        transcript.student.display_name,
                    ));
                    failed += 1;
                    return;
                }
                match render::pdf(template, &transcript, logo.as_slice()) {
                    Ok(bytes) => (bytes, "pdf"),
                    Err(error) => {
                        let mut text = format!(
                            "{}: cannot render the transcript of {}:\n",
                            record.source.display(),
                            record.student.id
                        );
                        for message in &error.messages {
                            text.push_str(&format!("  {}\n", message.replace('\n', "\n  ")));
                        }
                        reporter.line(&text);
                        failed += 1;
                        return;
                    }
                }
            }
        };
        match write_atomic(&out.join(format!("{}.{extension}", record.student.id)), &bytes) {
            Ok(()) => built += 1,
            Err(error) => write_error = Some(error),
        }
    })?;
    if let Some(error) = write_error {
        return Err(error);
    }
    if let Some(missing) = only.iter().find(|id| !found.contains(id)) {
        bail!("no valid student with id \"{missing}\" in {}", school.display());
    }

    let summary = summary(&open, &reporter, students);
    reporter.finish(summary);
    let mut line = format!("built {} in {}", plural(built, "transcript"), out.display());
    if skipped > 0 {
        line.push_str(&format!("; skipped {} with invalid records", plural(skipped, "student")));
    }
    if failed > 0 {
        line.push_str(&format!("; {failed} failed to render"));
    }
    reporter.line(&format!("{line}\n"));
    Ok(verdict(&reporter, data, failed))
}

fn explain_command(school: &Path, data: &DataArgs, student: &str, credit: Option<&str>) -> Result<ExitCode> {
    let options = validate_options(data)?;
    let checked = pipeline::check_folder(school, &options)?;
    let Some(valid_school) = &checked.open.school else {
        let mut reporter = Reporter::new(false, false);
        reporter.report(checked.diagnostics);
        reporter.line("cannot explain: school.json has errors\n");
        return Ok(ExitCode::from(DATA_ERROR));
    };
    let Some(record) = checked.students.iter().find(|s| s.student.id == student) else {
        let mut reporter = Reporter::new(false, false);
        reporter.report(checked.diagnostics.into_iter().filter(|d| d.is_error()));
        bail!("no valid student with id \"{student}\" in {}", school.display());
    };
    let options =
        AggregateOptions { issue_date: issue_date(valid_school, &options)?, logo: None, layout: Layout::default() };
    let transcript = aggregate(valid_school, &record.student, &options);
    let Some(text) = mastery::explain::explain(&transcript, credit) else {
        bail!("the framework has no credit \"{}\"", credit.unwrap_or_default());
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn import_case_command(package: &Path, into: Option<&Path>, out: Option<&Path>, area_depth: usize) -> Result<ExitCode> {
    let mut reporter = Reporter::new(false, false);
    let document = match load::parse_json(package, load::file(package)?, 1) {
        Ok(document) => document,
        Err(diagnostic) => {
            reporter.report([*diagnostic]);
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    let imported = case::import(&document, &case::CaseSchema::new(), &case::ImportOptions { area_depth });
    reporter.report(imported.diagnostics);
    let Some(imported) = imported.value else {
        reporter.line("nothing imported\n");
        return Ok(ExitCode::from(DATA_ERROR));
    };
    let mut result = match into {
        Some(path) => match load::parse_json(path, load::file(path)?, 1) {
            Ok(school) => school.value,
            Err(diagnostic) => {
                reporter.report([*diagnostic]);
                return Ok(ExitCode::from(DATA_ERROR));
            }
        },
        None => serde_json::json!({}),
    };
    let Some(object) = result.as_object_mut() else {
        bail!("{} does not hold a JSON object", into.unwrap_or(package).display());
    };
    object.insert("framework".to_string(), imported.framework.clone());
    if let Some(scale) = &imported.scale {
        object.insert("scale".to_string(), scale.clone());
    }
    let mut bytes = serde_json::to_vec_pretty(&result)?;
    bytes.push(b'\n');
    match out {
        Some(path) => write_atomic(path, &bytes)?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    reporter.line(&format!("{}\n", case::summary(&imported)));
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to `path` through a temporary file in the same folder, so that `path` holds
/// either its old content or the whole new content, never a part.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir: PathBuf = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut builder = tempfile::Builder::new();
    builder.prefix(".mastery-").suffix(".tmp");
    // tempfile creates files readable by their owner alone; a transcript is an ordinary file.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut file =
        builder.tempfile_in(&dir).with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    file.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
    file.as_file().sync_all().with_context(|| format!("cannot write {}", path.display()))?;
    file.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
