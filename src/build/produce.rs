//! Building one student: aggregating, then rendering, exporting or signing in the format asked
//! for, and writing the files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::manifest::{Entry, Manifest, sha256_hex};
use super::{BuildError, BuildOptions, Format, Isolation, Problem};
use crate::aggregate::{AggregateOptions, aggregate};
use crate::credential::achievement::CredentialInput;
use crate::credential::issuer::{Signer, SignerError};
use crate::credential::proof::Key;
use crate::credential::{badge, clr};
use crate::diag::Diagnostic;
use crate::load;
use crate::model::School;
use crate::output;
use crate::pipeline::OpenSchool;
use crate::render::worker::Supervised;
use crate::render::{self, Attachment, Image, PdfJob, RenderError, Template};
use crate::validate::StudentRecord;

/// The width of a badge PNG, in pixels.
const BADGE_PIXELS: u32 = 512;

/// What each student becomes, with what that takes: the template, the signer.
pub(super) enum Producer {
    Pdf(Template),
    Data,
    Html,
    Clr(Signer),
    Badges(Box<Badges>),
}

/// Open Badges: the signer, the badge design, and each badge's image, drawn once.
pub(super) struct Badges {
    signer: Signer,
    design: Template,
    locale: String,
    images: Mutex<BTreeMap<String, Arc<Image>>>,
}

impl Badges {
    /// The image of a badge, drawn the first time it is asked for.
    fn image(&self, key: &str, data: &serde_json::Value) -> Result<Arc<Image>, RenderError> {
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

fn usage(message: String) -> BuildError {
    BuildError::Usage(message)
}

impl Producer {
    /// Reads what the format needs (the template and fonts, the key) and checks that the
    /// labels of the locale exist.
    pub(super) fn new(options: &BuildOptions, open: &OpenSchool, school: &School) -> Result<Producer, BuildError> {
        let fonts = load::font_files(&options.font_paths)?;
        let locale = &options.locale;
        let producer = match options.format {
            Format::Pdf => {
                let template = match &options.template {
                    Some(dir) => Template::new(load::template_dir(dir)?, fonts)
                        .map_err(|e| usage(format!("cannot use the template in {}: {e}", dir.display())))?,
                    None if fonts.is_empty() => Template::embedded(),
                    None => Template::new(render::embedded_template(), fonts).map_err(|e| usage(e.to_string()))?,
                };
                if template.has_folder("locale") && !template.has_file(&format!("locale/{locale}.json")) {
                    return Err(usage(format!(
                        "the template has no labels for --locale {locale}: add locale/{locale}.json to it"
                    )));
                }
                Producer::Pdf(template)
            }
            Format::Data => Producer::Data,
            Format::Html => Producer::Html,
            Format::Clr | Format::Ob => {
                let signer = signer(options, open, school)?;
                match options.format {
                    Format::Clr => Producer::Clr(signer),
                    _ => Producer::Badges(Box::new(Badges {
                        signer,
                        design: Template::badge(fonts),
                        locale: locale.clone(),
                        images: Mutex::new(BTreeMap::new()),
                    })),
                }
            }
        };
        // The HTML and the badges use the default template's labels.
        if let Producer::Html | Producer::Badges(_) = &producer
            && !render::embedded_template().iter().any(|f| f.path == format!("locale/{locale}.json"))
        {
            return Err(usage(format!(
                "there are no labels for --locale {locale}: the HTML transcript and the badges speak en and es"
            )));
        }
        Ok(producer)
    }

    /// The public key the credentials are signed with, if this format signs.
    pub(super) fn public_key(&self) -> Option<String> {
        match self {
            Producer::Clr(signer) => Some(signer.key().public_multibase()),
            Producer::Badges(badges) => Some(badges.signer.key().public_multibase()),
            _ => None,
        }
    }

    /// The transcript template, for PDFs.
    pub(super) fn template(&self) -> Option<&Template> {
        match self {
            Producer::Pdf(template) => Some(template),
            _ => None,
        }
    }

    /// A student's output: a file, or for badges a folder of them.
    pub(super) fn output_name(&self, id: &str) -> String {
        match self {
            Producer::Pdf(_) => format!("{id}.pdf"),
            Producer::Data => format!("{id}.json"),
            Producer::Html => format!("{id}.html"),
            Producer::Clr(_) => format!("{id}.clr.json"),
            Producer::Badges(_) => format!("{id}/"),
        }
    }
}

/// The school's signer: the key file read, and checked against `school.json`.
fn signer(options: &BuildOptions, open: &OpenSchool, school: &School) -> Result<Signer, BuildError> {
    let settings = school.credentials.clone().ok_or_else(|| {
        usage(
            "school.json has no \"credentials\": {\"issuer_id\": ..., \"verification_method\": ...}; signed credentials need them"
                .to_string(),
        )
    })?;
    let path = options
        .key
        .as_deref()
        .ok_or_else(|| usage("signed credentials need --key KEY_FILE (make one with `mastery keygen`)".to_string()))?;
    let not_a_key = |cause: String| usage(format!("{} is not a key file ({cause})", path.display()));
    let value: serde_json::Value = serde_json::from_slice(&load::file(path)?).map_err(|e| not_a_key(e.to_string()))?;
    let key = Key::from_json(&value).map_err(|e| not_a_key(e.to_string()))?;
    Signer::new(&settings, key).map_err(|error| BuildError::Invalid {
        diagnostics: vec![signer_problem(open, path, error)],
        reason: "the signing key is not the one school.json names".to_string(),
    })
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

/// Where a worker renders its PDFs.
pub(super) enum Renderer<'a> {
    InProcess(&'a Template),
    Supervised(Box<Supervised>),
    /// Not a PDF build.
    Nothing,
}

impl<'a> Renderer<'a> {
    /// The renderer of one worker thread.
    pub(super) fn new(producer: &'a Producer, isolation: &Isolation, template_name: &str) -> Renderer<'a> {
        match (producer, isolation) {
            (Producer::Pdf(template), Isolation::Processes { worker, limits }) => {
                Renderer::Supervised(Box::new(Supervised::new(worker.clone(), template, *limits, template_name)))
            }
            (Producer::Pdf(template), Isolation::InProcess) => Renderer::InProcess(template),
            _ => Renderer::Nothing,
        }
    }

    fn pdf(&mut self, job: &PdfJob) -> Result<Vec<u8>, RenderError> {
        match self {
            Renderer::Supervised(supervised) => supervised.render(job),
            Renderer::InProcess(template) => render::render_pdf(template, job),
            Renderer::Nothing => Err(RenderError { messages: vec!["this build writes no PDF".to_string()] }),
        }
    }
}

/// A valid student for a worker to build.
pub(super) struct Job {
    pub(super) record: StudentRecord,
    /// The output's name: a file (`ID.pdf`) or, for a student's badges, a folder (`ID/`).
    pub(super) output: String,
    /// The hash of all its inputs.
    pub(super) inputs: String,
}

/// What building one student gave.
pub(super) enum Built {
    Files { output: String, files: Vec<(String, Entry)> },
    Failed(Problem),
    Skipped(Problem),
}

/// What one student is built with besides the job.
pub(super) struct Context<'a> {
    pub(super) school: &'a School,
    pub(super) producer: &'a Producer,
    pub(super) options: &'a AggregateOptions,
    pub(super) logo: Option<&'a Attachment>,
    pub(super) out: &'a Path,
}

/// Aggregates, renders or exports, and writes one student.
pub(super) fn build_student(job: Job, context: &Context, renderer: &mut Renderer) -> Built {
    let student = &job.record.student;
    let source = job.record.source.display().to_string();
    let problem =
        |kind, messages| Problem { student: Some(student.id.clone()), source: source.clone(), kind, messages };
    let transcript = aggregate(context.school, student, context.options);
    let pretty = |value: &serde_json::Value| {
        let mut bytes = serde_json::to_vec_pretty(value).expect("a credential serializes");
        bytes.push(b'\n');
        bytes
    };
    let nothing_to_issue = |why: &str| {
        Built::Skipped(problem(
            "nothing_to_issue",
            vec![format!("{} has earned no credit yet, {why}", transcript.student.display_name)],
        ))
    };
    let files: Vec<(String, Vec<u8>)> = match context.producer {
        Producer::Data => vec![(job.output.clone(), render::data_json(&transcript))],
        Producer::Html => vec![(job.output.clone(), crate::html::html(&transcript, context.logo))],
        Producer::Clr(signer) => {
            let input =
                CredentialInput { school: context.school, signer, student_id: transcript.student.id.as_deref() };
            match clr::clr(&transcript, &input) {
                Ok(Some(credential)) => vec![(job.output.clone(), pretty(&credential))],
                Ok(None) => return nothing_to_issue("and a CLR must hold at least one credential"),
                Err(error) => return Built::Failed(problem("credential", vec![error.to_string()])),
            }
        }
        Producer::Badges(badges) => {
            let input = CredentialInput {
                school: context.school,
                signer: &badges.signer,
                student_id: transcript.student.id.as_deref(),
            };
            let list = match badge::badges(&transcript, &input, &badges.locale) {
                Ok(list) if list.is_empty() => return nothing_to_issue("so there is no badge to issue"),
                Ok(list) => list,
                Err(error) => return Built::Failed(problem("credential", vec![error.to_string()])),
            };
            let mut files = Vec::new();
            for item in list {
                let image = match badges.image(&item.key, &item.image) {
                    Ok(image) => image,
                    Err(error) => return Built::Failed(problem("render", error.messages)),
                };
                let text = String::from_utf8(pretty(&item.credential)).expect("JSON is UTF-8");
                let baked =
                    badge::bake_png(&image.png, &text).and_then(|png| Ok((png, badge::bake_svg(&image.svg, &text)?)));
                let (png, svg) = match baked {
                    Ok(images) => images,
                    Err(error) => return Built::Failed(problem("render", vec![error.to_string()])),
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
                return Built::Failed(problem(
                    "fonts",
                    vec![format!(
                        "warning: the transcript of {} ({}) is not built: no font can show {list}\n  hint: add a font that covers them with --font-path, for example a Noto font for the script",
                        student.id, transcript.student.display_name
                    )],
                ));
            }
            match renderer.pdf(&PdfJob::of(&transcript, context.logo.map(std::slice::from_ref).unwrap_or_default())) {
                Ok(bytes) => vec![(job.output.clone(), bytes)],
                Err(error) => return Built::Failed(problem("render", error.messages)),
            }
        }
    };
    let mut written = Vec::with_capacity(files.len());
    for (file, bytes) in files {
        if let Err(error) = output::write_in_folder(&context.out.join(&file), &bytes) {
            return Built::Failed(problem("write", vec![error.to_string()]));
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
    Built::Files { output: job.output, files: written }
}

/// A student that failed on a fault of `mastery`'s own: a panic, caught.
pub(super) fn internal_error(student: Option<String>, source: String, panic: &(dyn std::any::Any + Send)) -> Problem {
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

/// The manifest's files of one output: the file itself, or every file in the folder.
pub(super) fn outputs_named<'a>(
    manifest: &'a Manifest,
    output: &'a str,
) -> impl Iterator<Item = (&'a String, &'a Entry)> {
    manifest.outputs.iter().filter(move |(file, _)| match output.strip_suffix('/') {
        Some(_) => file.starts_with(output),
        None => file.as_str() == output,
    })
}

/// Whether an output in `out` is what the manifest says an identical build made: every one of
/// its files is there, unchanged.
pub(super) fn up_to_date(out: &Path, output: &str, inputs: &str, manifest: &Manifest) -> bool {
    let mut files = outputs_named(manifest, output).peekable();
    files.peek().is_some()
        && files.all(|(file, entry)| {
            entry.inputs == inputs
                && matches!(load::optional_file(&out.join(file)), Ok(Some(bytes)) if sha256_hex(&bytes) == entry.sha256)
        })
}
