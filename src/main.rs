//! The `mastery` command: parses arguments, runs the library's stages, prints diagnostics,
//! writes files and picks the exit code (0 ok, 1 invalid data, 2 usage or I/O failure).

mod cli;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Parser;

use cli::{Cli, Command, DataArgs, DiagnosticFormat, OutputFormat, PaperArg, RenderArgs};
use mastery::aggregate::{AggregateOptions, aggregate};
use mastery::diag::{self, Diagnostic};
use mastery::load::{self, RecordSet};
use mastery::model::parse_date;
use mastery::render::{self, Attachment, Template};
use mastery::transcript::{Layout, Paper};
use mastery::validate::{self, Records, Schemas, ValidateOptions};

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
        Command::Validate {
            school,
            data,
            format,
        } => validate_command(&school, &data, format),
        Command::Build {
            school,
            out,
            format,
            data,
            render,
            students,
        } => build_command(&school, &out, format, &data, &render, &students),
        Command::Explain {
            school,
            student,
            credit,
            data,
        } => explain_command(&school, &data, &student, credit.as_deref()),
    }
}

/// The outcome of loading and validating a school folder.
struct Checked {
    set: RecordSet,
    records: Option<Records>,
    diagnostics: Vec<Diagnostic>,
}

fn check(school: &Path, data: &DataArgs) -> Result<Checked> {
    let issue_date = data
        .issue_date
        .as_deref()
        .map(|text| {
            parse_date(text).with_context(|| {
                format!("--issue-date {text} is not a date of the form YYYY-MM-DD")
            })
        })
        .transpose()?;
    let loaded = load::load(school)?;
    let schemas = Schemas::new();
    let validated = validate::validate(&loaded.value, &schemas, &ValidateOptions { issue_date });
    let mut diagnostics = loaded.diagnostics;
    diagnostics.extend(validated.diagnostics);
    diag::sort(&mut diagnostics);
    Ok(Checked {
        set: loaded.value,
        records: validated.value,
        diagnostics,
    })
}

fn count(diagnostics: &[Diagnostic]) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    (errors, diagnostics.len() - errors)
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn summary(checked: &Checked) -> String {
    let (errors, warnings) = count(&checked.diagnostics);
    format!(
        "{}: {}, {}, {}, {}",
        checked.set.dir.display(),
        plural(1 + checked.set.student_files, "file"),
        plural(checked.set.student_files, "student"),
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

fn validate_command(school: &Path, data: &DataArgs, format: DiagnosticFormat) -> Result<ExitCode> {
    let checked = check(school, data)?;
    let (errors, warnings) = count(&checked.diagnostics);
    let mut stdout = io::stdout().lock();
    match format {
        DiagnosticFormat::Text => {
            for diagnostic in &checked.diagnostics {
                writeln!(stdout, "{diagnostic}")?;
            }
            writeln!(stdout, "{}", summary(&checked))?;
        }
        DiagnosticFormat::Json => {
            let report = serde_json::json!({
                "school": checked.set.dir,
                "files": 1 + checked.set.student_files,
                "students": checked.set.student_files,
                "errors": errors,
                "warnings": warnings,
                "diagnostics": checked.diagnostics,
            });
            serde_json::to_writer_pretty(&mut stdout, &report)?;
            writeln!(stdout)?;
        }
    }
    Ok(if errors > 0 {
        ExitCode::from(DATA_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

fn issue_date(records: &Records) -> Result<NaiveDate> {
    records.issue_date.context(
        "no issue date: set \"transcript\": {\"issue_date\": \"YYYY-MM-DD\"} in school.json, or pass --issue-date",
    )
}

fn layout(render: &RenderArgs) -> Layout {
    Layout {
        paper: match render.paper {
            PaperArg::Letter => Paper::Letter,
            PaperArg::A4 => Paper::A4,
        },
        locale: "en".to_string(),
        show_in_progress: !render.hide_in_progress,
    }
}

fn logo(set: &RecordSet) -> Option<Attachment> {
    set.logo.as_ref().map(|asset| Attachment {
        path: render::logo_path(
            asset
                .path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("png"),
        ),
        bytes: asset.bytes.clone(),
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
    let checked = check(school, data)?;
    for diagnostic in &checked.diagnostics {
        eprintln!("{diagnostic}");
    }
    let Some(records) = &checked.records else {
        eprintln!("{}", summary(&checked));
        eprintln!("nothing built: school.json has errors");
        return Ok(ExitCode::from(DATA_ERROR));
    };
    let issue_date = issue_date(records)?;
    for id in only {
        if !records.students.iter().any(|s| &s.student.id == id) {
            bail!("no valid student with id \"{id}\" in {}", school.display());
        }
    }

    let template = match &render_args.template {
        Some(dir) => {
            let files = load::template_dir(dir)?;
            let fonts = load::font_files(&render_args.font_paths)?;
            Template::new(files, fonts)
                .with_context(|| format!("cannot use the template in {}", dir.display()))?
        }
        None if render_args.font_paths.is_empty() => Template::embedded(),
        None => Template::new(
            render::embedded_template(),
            load::font_files(&render_args.font_paths)?,
        )?,
    };
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;

    let logo = logo(&checked.set);
    let options = AggregateOptions {
        issue_date,
        logo: logo.as_ref().map(|l| l.path.clone()),
        layout: layout(render_args),
    };
    if format == OutputFormat::Data
        && let Some(logo) = &logo
    {
        write_atomic(&out.join(logo.path.trim_start_matches('/')), &logo.bytes)?;
    }

    let mut built = 0;
    let mut failed = 0;
    for record in records
        .students
        .iter()
        .filter(|s| only.is_empty() || only.contains(&s.student.id))
    {
        let transcript = aggregate(&records.school, &record.student, &options);
        let (bytes, extension) = match format {
            OutputFormat::Data => (render::data_json(&transcript), "json"),
            OutputFormat::Pdf => match render::pdf(&template, &transcript, logo.as_slice()) {
                Ok(bytes) => (bytes, "pdf"),
                Err(error) => {
                    eprintln!(
                        "{}: cannot render the transcript of {}:",
                        record.source.display(),
                        record.student.id
                    );
                    for message in &error.messages {
                        eprintln!("  {}", message.replace('\n', "\n  "));
                    }
                    failed += 1;
                    continue;
                }
            },
        };
        write_atomic(
            &out.join(format!("{}.{extension}", record.student.id)),
            &bytes,
        )?;
        built += 1;
    }

    let skipped = checked
        .set
        .students
        .len()
        .saturating_sub(records.students.len())
        + checked
            .set
            .student_files
            .saturating_sub(checked.set.students.len());
    eprintln!("{}", summary(&checked));
    eprintln!(
        "built {} in {}{}{}",
        plural(built, "transcript"),
        out.display(),
        if skipped > 0 {
            format!(
                "; skipped {} with invalid records",
                plural(skipped, "student")
            )
        } else {
            String::new()
        },
        if failed > 0 {
            format!("; {failed} failed to render")
        } else {
            String::new()
        },
    );
    let (errors, _) = count(&checked.diagnostics);
    Ok(if errors > 0 || failed > 0 {
        ExitCode::from(DATA_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

fn explain_command(
    school: &Path,
    data: &DataArgs,
    student: &str,
    credit: Option<&str>,
) -> Result<ExitCode> {
    let checked = check(school, data)?;
    let Some(records) = &checked.records else {
        for diagnostic in &checked.diagnostics {
            eprintln!("{diagnostic}");
        }
        eprintln!("cannot explain: school.json has errors");
        return Ok(ExitCode::from(DATA_ERROR));
    };
    let Some(record) = records.students.iter().find(|s| s.student.id == student) else {
        for diagnostic in checked.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{diagnostic}");
        }
        bail!(
            "no valid student with id \"{student}\" in {}",
            school.display()
        );
    };
    let options = AggregateOptions {
        issue_date: issue_date(records)?,
        logo: None,
        layout: Layout {
            paper: Paper::Letter,
            locale: "en".into(),
            show_in_progress: true,
        },
    };
    let transcript = aggregate(&records.school, &record.student, &options);
    let Some(text) = mastery::explain::explain(&transcript, credit) else {
        bail!(
            "the framework has no credit \"{}\"",
            credit.unwrap_or_default()
        );
    };
    print!("{text}");
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
    let mut file = builder
        .tempfile_in(&dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
