//! The `mastery` command: parses arguments, runs the library's stages, prints diagnostics,
//! writes files and picks the exit code (0 ok, 1 invalid data, 2 usage or I/O failure).

mod build;
mod cli;
mod report;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Parser;

use cli::{Cli, Command, DataArgs, DiagnosticFormat, PaperArg, RenderArgs};
use mastery::aggregate::{AggregateOptions, aggregate};
use mastery::credential::badge;
use mastery::model::{DisclosureProfile, School, parse_date};
use mastery::pipeline::{self, OpenSchool};
use mastery::render::{self, Attachment, Template};
use mastery::transcript::{Layout, Paper};
use mastery::validate::{Schemas, ValidateOptions};
use mastery::{case, load};
use report::{Reporter, Summary, plural};

// typst allocates and frees many small objects per document; mimalloc does that faster than
// the system allocator (measured: see the README's performance section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub(crate) const DATA_ERROR: u8 = 1;
const FAILURE: u8 = 2;

fn main() -> ExitCode {
    // A fault in one student's work is caught and reported with that student; say so plainly
    // rather than with a Rust panic message in the middle of the output.
    std::panic::set_hook(Box::new(|info| eprintln!("mastery: internal error: {info}")));
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
        Command::RenderWorker => {
            // One document at a time, on one thread, and that thread the pool's own: typst's
            // parallel work would only compete with the other workers (the build runs one
            // process per job), and handing it to another thread costs more than it saves.
            let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
            pool.install(|| mastery::render::worker::serve(std::io::stdin().lock(), std::io::stdout().lock()))
                .context("the render worker's connection broke")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Build {
            school,
            out,
            format,
            data,
            render,
            students,
            jobs,
            key,
            force,
            fail_fast,
            shard,
            doc_timeout,
            doc_memory,
            render_in_process,
        } => {
            let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let request = build::BuildRequest {
                format,
                data: &data,
                render: &render,
                only: &students,
                key: key.as_deref(),
                jobs: jobs.max(1),
                force,
                fail_fast,
                shard,
                isolation: (!render_in_process).then(|| mastery::render::worker::Limits {
                    timeout: std::time::Duration::from_secs_f64(doc_timeout.max(0.1)),
                    memory: doc_memory.max(64).saturating_mul(1024 * 1024),
                }),
            };
            build::build(&school, &out, &request)
        }
        Command::Keygen { out } => keygen_command(&out),
        Command::Publish { school, site } => publish_command(&school, &site),
        Command::Verify { file, at } => verify_command(&file, at.as_deref()),
        Command::GenFixtures { school, students, out, seed, first } => {
            gen_fixtures_command(&school, students, &out, seed, first)
        }
        Command::Explain { school, student, credit, data } => {
            explain_command(&school, &data, &student, credit.as_deref())
        }
        Command::ImportCase { package, into, out, area_depth } => {
            import_case_command(&package, into.as_deref(), out.as_deref(), usize::from(area_depth))
        }
    }
}

pub(crate) fn validate_options(data: &DataArgs) -> Result<ValidateOptions> {
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
pub(crate) fn verdict(reporter: &Reporter, data: &DataArgs, other_failures: usize) -> ExitCode {
    if reporter.errors > 0 || other_failures > 0 || (data.deny_warnings() && reporter.warnings > 0) {
        ExitCode::from(DATA_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

pub(crate) fn summary(open: &OpenSchool, reporter: &Reporter, students: usize) -> Summary {
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

pub(crate) fn issue_date(school: &School, options: &ValidateOptions) -> Result<NaiveDate> {
    mastery::validate::issue_date(school, options).context(
        "no issue date: set \"transcript\": {\"issue_date\": \"YYYY-MM-DD\"} in school.json, or pass --issue-date",
    )
}

pub(crate) fn layout(render: &RenderArgs) -> Layout {
    Layout {
        paper: match render.paper {
            PaperArg::Letter => Paper::Letter,
            PaperArg::A4 => Paper::A4,
        },
        locale: render.locale.clone(),
        show_in_progress: !render.hide_in_progress,
        profile: render.profile.clone().unwrap_or_else(|| "internal".to_string()),
    }
}

/// The disclosure profile `--profile` asks for.
pub(crate) fn disclosure(school: &School, render: &RenderArgs) -> Result<DisclosureProfile> {
    let Some(name) = &render.profile else { return Ok(DisclosureProfile::everything()) };
    school.disclosure_profile(name).with_context(|| {
        format!("no disclosure profile \"{name}\"; the school has {}", school.disclosure_profile_names().join(", "))
    })
}

pub(crate) fn logo(open: &OpenSchool) -> Option<Attachment> {
    open.folder.logo.as_ref().map(|asset| Attachment {
        path: render::logo_path(asset.path.extension().and_then(|e| e.to_str()).unwrap_or("png")),
        bytes: asset.bytes.clone(),
    })
}

pub(crate) fn template(render_args: &RenderArgs) -> Result<Template> {
    let fonts = load::font_files(&render_args.font_paths)?;
    Ok(match &render_args.template {
        Some(dir) => Template::new(load::template_dir(dir)?, fonts)
            .with_context(|| format!("cannot use the template in {}", dir.display()))?,
        None if fonts.is_empty() => Template::embedded(),
        None => Template::new(render::embedded_template(), fonts)?,
    })
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
    let options = AggregateOptions {
        issue_date: issue_date(valid_school, &options)?,
        logo: None,
        layout: Layout::default(),
        disclosure: DisclosureProfile::everything(),
    };
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
            reporter.report(diagnostic);
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
                reporter.report(diagnostic);
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

fn keygen_command(out: &Path) -> Result<ExitCode> {
    if out.exists() {
        bail!("{} exists already; keygen never overwrites a key", out.display());
    }
    let key = mastery::credential::proof::Key::generate()?;
    let mut bytes = serde_json::to_vec_pretty(&key.to_json())?;
    bytes.push(b'\n');
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(out).with_context(|| format!("cannot create {}", out.display()))?;
    file.write_all(&bytes).with_context(|| format!("cannot write {}", out.display()))?;
    println!("wrote a new Ed25519 key to {} (keep it secret)", out.display());
    println!("public key:  {}", key.public_multibase());
    println!("as did:key:  {}", key.did_key());
    let public = key.public_multibase();
    println!("in school.json, \"credentials\" takes one of these (see the README, \"Keys and issuers\"):");
    println!("  did:key, nothing to publish:");
    println!("    \"issuer_id\": \"{}\", \"verification_method\": \"{}#{public}\"", key.did_key(), key.did_key());
    println!("  did:web, the DID document published with `mastery publish`:");
    println!("    \"issuer_id\": \"did:web:SCHOOL.ORG\", \"verification_method\": \"did:web:SCHOOL.ORG#{public}\"");
    println!("  https, the issuer's and the key's documents published with `mastery publish`:");
    println!(
        "    \"issuer_id\": \"https://SCHOOL.ORG/issuer\", \"verification_method\": \"https://SCHOOL.ORG/keys/{public}\""
    );
    Ok(ExitCode::SUCCESS)
}

fn publish_command(school: &Path, site: &Path) -> Result<ExitCode> {
    let schemas = Schemas::new();
    let open = pipeline::open(school, &schemas)?;
    let Some(valid_school) = &open.school else {
        let mut reporter = Reporter::new(false, false);
        reporter.report(open.diagnostics);
        reporter.line("nothing published: school.json has errors\n");
        return Ok(ExitCode::from(DATA_ERROR));
    };
    let settings = valid_school.credentials.as_ref().context(
        "school.json has no \"credentials\": {\"issuer_id\": ..., \"verification_method\": ...}; there is no key to publish",
    )?;
    let documents = mastery::credential::issuer::key_documents(settings)
        .map_err(|problem| anyhow::anyhow!("{}", problem.message))?;
    if documents.is_empty() {
        eprintln!("nothing to publish: a did:key is its own key document");
    }
    for (url, document) in documents {
        let path = site.join(mastery::credential::issuer::site_path(&url).context("not an https address")?);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let mut bytes = serde_json::to_vec_pretty(&document)?;
        bytes.push(b'\n');
        write_atomic(&path, &bytes)?;
        println!("wrote {} (serve it at {url})", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn verify_command(file: &Path, at: Option<&str>) -> Result<ExitCode> {
    let today = match at {
        Some(text) => parse_date(text).with_context(|| format!("--at {text} is not a date of the form YYYY-MM-DD"))?,
        None => chrono::Utc::now().date_naive(),
    };
    let bytes = load::file(file)?;
    // A badge image carries its credential baked in.
    let baked = if bytes.starts_with(b"\x89PNG") {
        Some(badge::unbake_png(&bytes))
    } else if file.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")) {
        Some(badge::unbake_svg(&String::from_utf8_lossy(&bytes)))
    } else {
        None
    };
    let bytes = match baked {
        None => bytes,
        Some(Ok(text)) => {
            println!("ok: {} holds a baked credential", file.display());
            text.into_bytes()
        }
        Some(Err(error)) => {
            println!("invalid: {}: {error}", file.display());
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    let credential: serde_json::Value = match load::parse_json(file, bytes, 1) {
        Ok(document) => document.value,
        Err(diagnostics) => {
            diagnostics.iter().for_each(|d| eprintln!("{d}"));
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    let report =
        mastery::credential::verify::verify(&credential, &mastery::credential::verify::CredentialSchemas::new(), today);
    for line in &report.checked {
        println!("ok: {line}");
    }
    for problem in &report.problems {
        println!("invalid: {problem}");
    }
    if report.is_valid() {
        println!("{}: valid", file.display());
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{}: not valid ({})", file.display(), plural(report.problems.len(), "problem"));
        Ok(ExitCode::from(DATA_ERROR))
    }
}

fn gen_fixtures_command(school: &Path, students: usize, out: &Path, seed: u64, first: usize) -> Result<ExitCode> {
    let schemas = Schemas::new();
    let open = pipeline::open(school, &schemas)?;
    let Some(valid_school) = &open.school else {
        let mut reporter = Reporter::new(false, false);
        reporter.report(open.diagnostics);
        reporter.line("nothing generated: school.json has errors\n");
        return Ok(ExitCode::from(DATA_ERROR));
    };
    let issue_date = issue_date(valid_school, &ValidateOptions::default())?;
    let mut text = Vec::new();
    for record in mastery::synth::students(valid_school, issue_date, first, students, seed) {
        serde_json::to_writer(&mut text, &record)?;
        text.push(b'\n');
    }
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    write_atomic(out, &text)?;
    eprintln!("wrote {} to {}", plural(students, "synthetic student"), out.display());
    Ok(ExitCode::SUCCESS)
}

/// Writes `bytes` to `path` through a temporary file in the same folder, so that `path` holds
/// either its old content or the whole new content, never a part.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
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
