//! Building one student: aggregating, then rendering, exporting or signing in the format asked
//! for, and writing the files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::manifest::{Entry, Manifest, sha256_hex};
use super::{BuildError, BuildOptions, Format, Isolation, Problem};
use crate::aggregate::{AggregateOptions, aggregate, qr_code_svg};
use crate::credential::achievement::CredentialInput;
use crate::credential::clr::Bound;
use crate::credential::issuer::Signer;
use crate::credential::{badge, clr, status};
use crate::intake::OpenSchool;
use crate::issue::books::Ticket;
use crate::issue::site;
use crate::load;
use crate::load::file_has_digest;
use crate::model::School;
use crate::output;
use crate::pades::{self, DocumentSigner};
use crate::pesc;
use crate::render::worker::Supervised;
use crate::render::{self, Attachment, Image, PdfJob, RenderError, Template};
use crate::transcript::{CREDENTIAL_ATTACHMENT, SchoolPages, Transcript, Verification};
use crate::validate::StudentRecord;

/// The width of a badge PNG, in pixels.
const BADGE_PIXELS: u32 = 512;

/// What each student becomes, with what that takes: the template, the signer.
pub(super) enum Producer {
    Pdf(Template),
    Data,
    Html,
    Pesc,
    Clr(Signer),
    Badges(Box<Badges>),
    Issue(Box<Official>),
}

/// An official issue: the transcript template, the school's signer, and the address the
/// school publishes its records under.
pub(super) struct Official {
    template: Template,
    pub(super) signer: Signer,
    pub(super) base: String,
    /// The PDFs' PAdES signer: the document-signing certificate `school.json` names.
    document: DocumentSigner,
    /// What the PDF signature says it is for.
    reason: String,
    /// The timestamp authority of a B-T signature, if asked for.
    timestamp: Option<pades::Timestamper>,
    /// Whether the template attaches the PESC XML (it reads `verification.pesc_attachment`).
    attaches_pesc: bool,
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
            Format::Pdf => Producer::Pdf(transcript_template(options, fonts)?),
            Format::Issue => {
                let base = crate::issue::verification_base(school).map_err(usage)?.to_string();
                let signer = crate::issue::school_signer(open, school, options.key.as_deref())?;
                let on = options
                    .issue_date
                    .or(school.transcript.issue_date)
                    .unwrap_or_else(|| chrono::Utc::now().date_naive());
                let document = crate::issue::document_signer(open, school, options.pdf_key.as_deref(), on)?;
                let reason = format!("Official transcript issued by {}", school.profile.name);
                let timestamp = options.tsa.as_deref().map(pades::Timestamper::new).transpose().map_err(usage)?;
                // A timestamp authority that does not answer stops the issue here, before
                // anything is written, rather than fail every student in turn.
                if let Some(timestamper) = &timestamp {
                    timestamper.stamp(b"mastery: is the timestamp authority answering?").map_err(|why| {
                        usage(format!("{why}; nothing was issued (a timestamp is never left out when asked for)"))
                    })?;
                }
                let template = transcript_template(options, fonts)?;
                let attaches_pesc = template.mentions("pesc_attachment");
                Producer::Issue(Box::new(Official {
                    template,
                    signer,
                    base,
                    document,
                    reason,
                    timestamp,
                    attaches_pesc,
                }))
            }
            Format::Data => Producer::Data,
            Format::Html => Producer::Html,
            Format::Pesc => Producer::Pesc,
            Format::Clr | Format::Ob => {
                let signer = crate::issue::school_signer(open, school, options.key.as_deref())?;
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
        if let Producer::Html | Producer::Badges(_) | Producer::Issue(_) = &producer
            && !render::embedded_template().iter().any(|f| f.path == format!("locale/{locale}.json"))
        {
            return Err(usage(format!(
                "there are no labels for --locale {locale}: the HTML transcript and the badges speak en, es and ar"
            )));
        }
        Ok(producer)
    }

    /// The public key the credentials are signed with, if this format signs.
    pub(super) fn public_key(&self) -> Option<String> {
        match self {
            Producer::Clr(signer) => Some(signer.key().public_multibase()),
            Producer::Badges(badges) => Some(badges.signer.key().public_multibase()),
            Producer::Issue(official) => Some(official.signer.key().public_multibase()),
            _ => None,
        }
    }

    /// The school's signer, for an issue.
    pub(super) fn official(&self) -> Option<&Official> {
        match self {
            Producer::Issue(official) => Some(official),
            _ => None,
        }
    }

    /// The transcript template, for PDFs.
    pub(super) fn template(&self) -> Option<&Template> {
        match self {
            Producer::Pdf(template) => Some(template),
            Producer::Issue(official) => Some(&official.template),
            _ => None,
        }
    }

    /// A student's output: a file, or for badges a folder of them.
    pub(super) fn output_name(&self, id: &str) -> String {
        match self {
            Producer::Pdf(_) => format!("{id}.pdf"),
            Producer::Data => format!("{id}.json"),
            Producer::Html => format!("{id}.html"),
            Producer::Pesc => format!("{id}.pesc.xml"),
            Producer::Clr(_) => format!("{id}.clr.json"),
            Producer::Badges(_) => format!("{id}/"),
            // An issue's folder depends on the version: the ledger decides it.
            Producer::Issue(_) => format!("{id}/"),
        }
    }
}

/// The transcript template: the one asked for or the built-in one, with the extra fonts, and
/// with labels for the locale.
fn transcript_template(options: &BuildOptions, fonts: Vec<Vec<u8>>) -> Result<Template, BuildError> {
    let locale = &options.locale;
    let template = match &options.template {
        Some(dir) => Template::new(load::template_dir(dir)?, fonts)
            .map_err(|e| usage(format!("cannot use the template in {}: {e}", dir.display())))?,
        None if fonts.is_empty() => Template::embedded(),
        None => Template::new(render::embedded_template(), fonts).map_err(|e| usage(e.to_string()))?,
    };
    if template.has_folder("locale") && !template.has_file(&format!("locale/{locale}.json")) {
        return Err(usage(format!("the template has no labels for --locale {locale}: add locale/{locale}.json to it")));
    }
    if options.school_pages != SchoolPages::Inline && !template.mentions("school_pages") {
        return Err(usage(
            "the template does not read layout.school_pages, so it cannot print the school's pages apart: use the built-in template, or one that reads it (templates/README.md)".to_string(),
        ));
    }
    Ok(template)
}

/// Where a worker renders its PDFs.
pub(super) enum Renderer<'a> {
    /// In this thread, with the last document kept for [`Renderer::again`].
    InProcess(&'a Template, Option<render::Kept>),
    Supervised(Box<Supervised>),
    /// Not a PDF build.
    Nothing,
}

impl<'a> Renderer<'a> {
    /// The renderer of one worker thread.
    pub(super) fn new(producer: &'a Producer, isolation: &Isolation, template_name: &str) -> Renderer<'a> {
        match (producer.template(), isolation) {
            (Some(template), Isolation::Processes { worker, limits }) => {
                Renderer::Supervised(Box::new(Supervised::new(worker.clone(), template, *limits, template_name)))
            }
            (Some(template), Isolation::InProcess) => Renderer::InProcess(template, None),
            (None, _) => Renderer::Nothing,
        }
    }

    fn pdf(&mut self, job: &PdfJob) -> Result<Vec<u8>, RenderError> {
        match self {
            Renderer::Supervised(supervised) => supervised.render(job),
            Renderer::InProcess(template, kept) => {
                let (bytes, document) = render::render_pdf_kept(template, job)?;
                *kept = Some(document);
                Ok(bytes)
            }
            Renderer::Nothing => Err(RenderError { messages: vec!["this build writes no PDF".to_string()] }),
        }
    }

    /// The document rendered last, exported again with one attached file's bytes replaced.
    fn again(&mut self, attachment: &Attachment) -> Result<Vec<u8>, RenderError> {
        match self {
            Renderer::Supervised(supervised) => supervised.again(attachment),
            Renderer::InProcess(_, Some(kept)) => render::export_with(kept, attachment),
            Renderer::InProcess(_, None) | Renderer::Nothing => {
                Err(RenderError { messages: vec!["there is no document to export again".to_string()] })
            }
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
    /// For an issue: the version and credential to write.
    pub(super) ticket: Option<Ticket>,
}

/// What building one student gave.
pub(super) enum Built {
    Files { output: String, files: Vec<(String, Entry)>, ticket: Option<Ticket> },
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

impl Context<'_> {
    /// The render job of a transcript: its data, with the school's logo.
    fn pdf_job(&self, transcript: &Transcript) -> PdfJob {
        PdfJob::of(transcript, self.logo.map(std::slice::from_ref).unwrap_or_default())
    }
}

/// Aggregates, renders or exports, and writes one student.
pub(super) fn build_student(job: Job, context: &Context, renderer: &mut Renderer) -> Built {
    let student = &job.record.student;
    let source = job.record.source.display().to_string();
    let problem =
        |kind, messages| Problem { student: Some(student.id.clone()), source: source.clone(), kind, messages };
    let mut ticket = job.ticket;
    let transcript = match &ticket {
        // An issue carries its own date: a reprint keeps the one it was issued with.
        Some(ticket) => {
            let options = AggregateOptions { issue_date: ticket.issue_date, ..context.options.clone() };
            aggregate(context.school, student, &options)
        }
        None => aggregate(context.school, student, context.options),
    };
    let pretty = |value: &serde_json::Value| {
        let mut bytes = serde_json::to_vec_pretty(value).expect("a credential serializes");
        bytes.push(b'\n');
        bytes
    };
    let name = transcript.student.display_name.clone();
    let nothing_to_issue = |why: &str| {
        Built::Skipped(problem("nothing_to_issue", vec![format!("{name} has earned no credit yet, {why}")]))
    };
    let files: Vec<(String, Vec<u8>)> = match context.producer {
        Producer::Data => vec![(job.output.clone(), render::data_json(&transcript))],
        Producer::Html => vec![(job.output.clone(), crate::render::html::html(&transcript, context.logo))],
        Producer::Pesc => {
            let transmission = pesc::Transmission { official: false, replaces: false, recipient: None };
            match pesc::high_school_transcript(&transcript, &transmission) {
                Ok(xml) => vec![(job.output.clone(), xml)],
                Err(refused) => return Built::Failed(problem("pesc", refusals(refused))),
            }
        }
        Producer::Clr(signer) => {
            let input = CredentialInput {
                school: context.school,
                signer,
                student_id: transcript.student.id.as_deref(),
                status: None,
            };
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
                status: None,
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
            let render = context.pdf_job(&transcript);
            if let Some(messages) = missing_glyphs(template, &render, &transcript, &student.id) {
                return Built::Failed(problem("fonts", messages));
            }
            match renderer.pdf(&render) {
                Ok(bytes) => vec![(job.output.clone(), bytes)],
                Err(error) => return Built::Failed(problem("render", error.messages)),
            }
        }
        Producer::Issue(official) => {
            let Some(ticket) = ticket.as_mut() else {
                return Built::Failed(problem(
                    "internal",
                    vec!["an issue was asked for without its version".to_string()],
                ));
            };
            match issue_files(&job.output, &student.id, transcript, ticket, official, context, renderer) {
                Ok(Some(files)) => files,
                Ok(None) => {
                    return nothing_to_issue("and an official transcript is a signed credential of what was earned");
                }
                Err((kind, messages)) => return Built::Failed(problem(kind, messages)),
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
    Built::Files { output: job.output, files: written, ticket }
}

/// Why a transcript's render job cannot be drawn with the template's fonts, if it cannot.
fn missing_glyphs(template: &Template, job: &PdfJob, transcript: &Transcript, student: &str) -> Option<Vec<String>> {
    let missing = template.missing_glyphs(job);
    if missing.is_empty() {
        return None;
    }
    let list = missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    Some(vec![format!(
        "warning: the transcript of {student} ({}) is not built: no font can show {list}\n  hint: add a font that covers them with --font-path, for example a Noto font for the script",
        transcript.student.display_name
    )])
}

/// What the PESC schema refused of a transcript, for its problem. The validation of the records
/// catches these at their place first, so this is the last guard.
fn refusals(refused: Vec<pesc::Refusal>) -> Vec<String> {
    refused.iter().map(|refusal| format!("{refusal}; nothing is written for this student")).collect()
}

/// Files to write: each one's path in the output folder, and its bytes.
type Files = Vec<(String, Vec<u8>)>;

/// The files of an official issue, in the version's folder: the PDF with the signed CLR and
/// the data attached, the CLR (bound to that data by its digest), the HTML. `None` for a
/// student with nothing to sign. A reprint must come out as the files issued, byte for byte.
fn issue_files(
    folder: &str,
    student: &str,
    mut transcript: Transcript,
    ticket: &mut Ticket,
    official: &Official,
    context: &Context,
    renderer: &mut Renderer,
) -> Result<Option<Files>, (&'static str, Vec<String>)> {
    if ticket.reprint.is_some() && official.timestamp.is_some() {
        return Err((
            "write",
            vec![format!(
                "version {} has files missing, and a timestamped PDF cannot be made again byte for byte (the authority's token carries its own time)\n  hint: put the version's files back from a backup, or issue a new version with --reissue",
                ticket.version
            )],
        ));
    }
    let url = site::record_url(&official.base, &ticket.credential_id);
    let qr = qr_code_svg(&url);
    transcript.verification = Verification::official(&ticket.credential_id, url, qr);
    // The version is the record, whoever it is sent to: its PESC XML is addressed to no one.
    let transmission = pesc::Transmission { official: true, replaces: ticket.version > 1, recipient: None };
    let xml =
        pesc::high_school_transcript(&transcript, &transmission).map_err(|refused| ("pesc", refusals(refused)))?;
    let attach_xml = official.attaches_pesc;
    if attach_xml {
        transcript.verification.pesc_attachment = Some(pesc::ATTACHMENT.to_string());
    }
    let mut job = context.pdf_job(&transcript);
    if attach_xml {
        job.attachments.push(Attachment { path: pesc::ATTACHMENT.to_string(), bytes: xml.clone() });
    }
    if let Some(messages) = missing_glyphs(&official.template, &job, &transcript, student) {
        return Err(("fonts", messages));
    }
    let input = CredentialInput {
        school: context.school,
        signer: &official.signer,
        student_id: transcript.student.id.as_deref(),
        status: Some(status::entry(&official.base, ticket.status.list, ticket.status.index)),
    };
    // The printed pages are bound by their digest, taken from the PDF rendered with a
    // stand-in for the credential (which cannot hold its own digest); the same document, laid
    // out once, is then exported again with the signed credential in the stand-in's place:
    // the same pages, so the same digest (the issuing tests verify every PDF they issue).
    job.attachments.push(Attachment { path: CREDENTIAL_ATTACHMENT.to_string(), bytes: b"{}".to_vec() });
    let draft = renderer.pdf(&job).map_err(|error| ("render", error.messages))?;
    let pages = crate::load::pdf::pages_digest(&draft).map_err(|why| ("render", vec![why]))?;
    let mut bound = vec![
        Bound {
            id: format!("{}#transcript.json", ticket.credential_id),
            name: None,
            media_type: "application/json",
            digest_sri: clr::sri_sha256(&job.data),
        },
        Bound {
            id: format!("{}#{}", ticket.credential_id, clr::PAGES),
            name: Some(
                "The printed pages of the transcript (mastery page digest 1: what the PDF shows, without its attachments)",
            ),
            media_type: "application/pdf",
            digest_sri: clr::sri(&pages),
        },
    ];
    if attach_xml {
        bound.push(Bound {
            id: format!("{}#{}", ticket.credential_id, pesc::FILE_NAME),
            name: Some("The transcript as PESC High School Transcript 1.5.0 XML"),
            media_type: "application/xml",
            digest_sri: clr::sri_sha256(&xml),
        });
    }
    let credential = match clr::clr_binding(&transcript, &input, &bound) {
        Ok(Some(credential)) => credential,
        Ok(None) => return Ok(None),
        Err(error) => return Err(("credential", vec![error.to_string()])),
    };
    let mut credential_bytes = serde_json::to_vec_pretty(&credential).expect("a credential serializes");
    credential_bytes.push(b'\n');
    ticket.credential_sha256 = sha256_hex(&credential_bytes);
    let signed = Attachment { path: CREDENTIAL_ATTACHMENT.to_string(), bytes: credential_bytes.clone() };
    let pdf = renderer.again(&signed).map_err(|error| ("render", error.messages))?;
    // The PAdES signature goes last, as an update after the PDF: it signs every byte of it.
    let claims =
        pades::Claims { date: ticket.issue_date, reason: &official.reason, timestamp: official.timestamp.as_ref() };
    let pdf = pades::sign(&pdf, &official.document, &claims).map_err(|error| ("sign", vec![error.to_string()]))?;
    let html = crate::render::html::html(&transcript, context.logo);
    let files = vec![
        (format!("{folder}transcript.pdf"), pdf),
        (format!("{folder}transcript.clr.json"), credential_bytes),
        (format!("{folder}transcript.html"), html),
        (format!("{folder}{}", pesc::FILE_NAME), xml),
    ];
    if let Some(issued) = &ticket.reprint {
        let differs: Vec<&str> = files
            .iter()
            .filter(|(name, bytes)| issued.get(name) != Some(&sha256_hex(bytes)))
            .map(|(name, _)| name.as_str())
            .collect();
        if !differs.is_empty() {
            return Err((
                "write",
                vec![format!(
                    "version {} was issued with other files than these options make ({}): the template, fonts, locale, paper or profile differ from the issue's, so it is not reprinted\n  hint: reprint with the options it was issued with (the ledger records the profile), or issue a new version",
                    ticket.version,
                    differs.join(", ")
                )],
            ));
        }
    }
    Ok(Some(files))
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
        && files.all(|(file, entry)| entry.inputs == inputs && file_has_digest(&out.join(file), &entry.sha256))
}
