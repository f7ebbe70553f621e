//! Stage 4, render: a [`Transcript`] into the documents a reader sees. This module typesets it
//! through a Typst template into PDF bytes; [`html`] writes the accessible HTML page from the
//! same transcript and the same locale words.
//!
//! Typst runs as a library inside a sandbox of our own making, a [`World`] that serves only
//! what was put into memory beforehand:
//! - the template's files, preloaded from the embedded default or from a folder the user
//!   named (read by [`crate::load::template_dir`], which skips symlinks);
//! - the transcript as JSON at `/data.json`, which the template reads with `json()`: student
//!   data is a value to the template, never markup or code;
//! - the school's logo at `/school-logo.<ext>`;
//! - fonts: typst's embedded set plus the fonts in the template folder. No system fonts, so
//!   every machine renders the same bytes.
//!
//! Nothing else exists in that world: no host file system, no packages, no network, and the
//! clock reads the issue date.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, PackageError, SourceDiagnostic, Warned};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

use crate::load::TemplateFile;

pub mod html;
pub mod rtl;
pub mod worker;
use crate::transcript::Transcript;

/// The virtual path at which a template finds the transcript data.
pub const DATA_PATH: &str = "/data.json";
/// The file every template starts from.
pub const MAIN_FILE: &str = "transcript.typ";

/// The default template, compiled into the binary.
const EMBEDDED_TEMPLATE: &[(&str, &[u8])] = &[
    ("transcript.typ", include_bytes!("../../templates/default/transcript.typ")),
    ("locale/en.json", include_bytes!("../../templates/default/locale/en.json")),
    ("locale/es.json", include_bytes!("../../templates/default/locale/es.json")),
    ("locale/ar.json", include_bytes!("../../templates/default/locale/ar.json")),
];

/// The default template's files.
pub fn embedded_template() -> Vec<TemplateFile> {
    files(EMBEDDED_TEMPLATE)
}

/// The file the badge design starts from.
pub const BADGE_FILE: &str = "badge.typ";

/// The badge design, with the default template's labels.
const BADGE_TEMPLATE: &[(&str, &[u8])] = &[
    ("badge.typ", include_bytes!("../../templates/badge/badge.typ")),
    ("locale/en.json", include_bytes!("../../templates/default/locale/en.json")),
    ("locale/es.json", include_bytes!("../../templates/default/locale/es.json")),
    ("locale/ar.json", include_bytes!("../../templates/default/locale/ar.json")),
];

fn files(list: &[(&str, &[u8])]) -> Vec<TemplateFile> {
    list.iter().map(|(path, bytes)| TemplateFile { path: path.to_string(), bytes: bytes.to_vec() }).collect()
}

/// A problem that stopped a transcript from rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError {
    /// Each line names the template file and place, when there is one, and the problem.
    pub messages: Vec<String>,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.messages.join("\n"))
    }
}

impl std::error::Error for RenderError {}

impl RenderError {
    fn new(message: impl Into<String>) -> Self {
        RenderError { messages: vec![message.into()] }
    }
}

fn project_id(path: &str) -> Option<FileId> {
    Some(RootedPath::new(VirtualRoot::Project, VirtualPath::new(path).ok()?).intern())
}

const COMMON_CODE_POINTS: u32 = 8192;

/// The Noto faces `mastery` ships (fonts/noto/, with their licence and sources): Noto Sans,
/// the template's face for labels and tables, and a face for each script typst's own fonts
/// lack, CJK being one face for Chinese, Japanese and Korean.
const NOTO_FONTS: &[&[u8]] = &[
    include_bytes!("../../fonts/noto/NotoSans-Regular.ttf"),
    include_bytes!("../../fonts/noto/NotoSans-Bold.ttf"),
    include_bytes!("../../fonts/noto/NotoSansArabic-Regular.ttf"),
    include_bytes!("../../fonts/noto/NotoSansArabic-Bold.ttf"),
    include_bytes!("../../fonts/noto/NotoSansHebrew-Regular.ttf"),
    include_bytes!("../../fonts/noto/NotoSansHebrew-Bold.ttf"),
    include_bytes!("../../fonts/noto/NotoSansDevanagari-Regular.ttf"),
    include_bytes!("../../fonts/noto/NotoSansDevanagari-Bold.ttf"),
    include_bytes!("../../fonts/noto/NotoSansTamil-Regular.ttf"),
    include_bytes!("../../fonts/noto/NotoSansTamil-Bold.ttf"),
    include_bytes!("../../fonts/noto/NotoSansThai-Regular.ttf"),
    include_bytes!("../../fonts/noto/NotoSansThai-Bold.ttf"),
    include_bytes!("../../fonts/noto/NotoSansEthiopic-Regular.ttf"),
    include_bytes!("../../fonts/noto/NotoSansEthiopic-Bold.ttf"),
    include_bytes!("../../fonts/noto/NotoSansCJKsc-Regular.otf"),
];

/// The built-in fonts: typst's own, then the Noto faces, parsed once per process.
static EMBEDDED_FONTS: LazyLock<Vec<Font>> = LazyLock::new(|| {
    let noto = NOTO_FONTS.iter().flat_map(|bytes| Font::iter(Bytes::new(*bytes)));
    typst_kit::fonts::embedded().map(|(font, _)| font).chain(noto).collect()
});

/// The files a template was built from, as they were read: what a render worker process
/// receives to build the same template.
#[derive(Debug, Clone)]
pub struct TemplateSource {
    /// The template's own files.
    pub files: Vec<TemplateFile>,
    /// Font files from outside the template (`--font-path`).
    pub fonts: Vec<Vec<u8>>,
    /// The file compilation starts from.
    pub main: String,
}

/// A template loaded into memory with its fonts; build once, render many transcripts.
pub struct Template {
    source: std::sync::Arc<TemplateSource>,
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    files: HashMap<FileId, Bytes>,
    sources: HashMap<FileId, Source>,
    main: FileId,
    data: FileId,
    /// Which of the first 8,192 code points take no glyph or have one in some font, for a
    /// fast check of the usual text; rarer characters are looked up in the fonts themselves.
    common_shown: Vec<bool>,
}

impl Template {
    /// Builds a template from its files. `extra_fonts` are font files from elsewhere
    /// (`--font-path`); font files among the template's own files are used as well.
    pub fn new(files: Vec<TemplateFile>, extra_fonts: Vec<Vec<u8>>) -> Result<Template, RenderError> {
        Template::with_main(files, extra_fonts, MAIN_FILE)
    }

    /// The built-in badge design, with the same fonts as the transcript.
    pub fn badge(extra_fonts: Vec<Vec<u8>>) -> Template {
        Template::with_main(files(BADGE_TEMPLATE), extra_fonts, BADGE_FILE).expect("the badge design is complete")
    }

    /// A template that starts from `main` rather than `transcript.typ`.
    pub fn with_main(files: Vec<TemplateFile>, extra_fonts: Vec<Vec<u8>>, main: &str) -> Result<Template, RenderError> {
        let source = std::sync::Arc::new(TemplateSource {
            files: files.clone(),
            fonts: extra_fonts.clone(),
            main: main.to_string(),
        });
        let mut fonts: Vec<Font> = EMBEDDED_FONTS.clone();
        let mut file_map = HashMap::new();
        let mut sources = HashMap::new();
        for file in files {
            let id = project_id(&file.path)
                .ok_or_else(|| RenderError::new(format!("template file {} has a path typst cannot use", file.path)))?;
            let lower = file.path.to_ascii_lowercase();
            if [".ttf", ".otf", ".ttc", ".otc"].iter().any(|ext| lower.ends_with(ext)) {
                fonts.extend(Font::iter(Bytes::new(file.bytes.clone())));
            }
            if lower.ends_with(".typ") {
                let text = String::from_utf8(file.bytes.clone())
                    .map_err(|_| RenderError::new(format!("template file {} is not UTF-8 text", file.path)))?;
                sources.insert(id, Source::new(id, text));
            }
            file_map.insert(id, Bytes::new(file.bytes));
        }
        for bytes in extra_fonts {
            fonts.extend(Font::iter(Bytes::new(bytes)));
        }
        let main_id =
            project_id(main).ok_or_else(|| RenderError::new(format!("{main} is not a file name typst can use")))?;
        if !sources.contains_key(&main_id) {
            return Err(RenderError::new(format!("the template has no {main}")));
        }
        // Font by font over what each covers (a binary search per code point and font took
        // about 40 ms, at every start of a render process).
        let mut common_shown: Vec<bool> =
            (0..COMMON_CODE_POINTS).map(|c| char::from_u32(c).is_some_and(invisible)).collect();
        for font in &fonts {
            for c in font.info().coverage.iter().take_while(|c| *c < COMMON_CODE_POINTS) {
                common_shown[c as usize] = true;
            }
        }
        Ok(Template {
            source,
            common_shown,
            library: LazyHash::new(Library::builder().build()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            files: file_map,
            sources,
            main: main_id,
            data: project_id(DATA_PATH).expect("a valid path"),
        })
    }

    /// What the template was built from.
    pub fn source(&self) -> &std::sync::Arc<TemplateSource> {
        &self.source
    }

    /// The default template.
    pub fn embedded() -> Template {
        Template::new(embedded_template(), Vec::new()).expect("the embedded template is complete")
    }

    /// Whether the template's main file mentions `word` (a field of the data it reads, such
    /// as `school_pages`): a template written before the field existed does not.
    pub fn mentions(&self, word: &str) -> bool {
        self.sources.get(&self.main).is_some_and(|source| source.text().contains(word))
    }

    /// Whether the template has a file at `path` (from its folder, such as "locale/es.json").
    pub fn has_file(&self, path: &str) -> bool {
        project_id(&format!("/{path}")).is_some_and(|id| self.files.contains_key(&id))
    }

    /// Whether the template has files under the folder `path`.
    pub fn has_folder(&self, path: &str) -> bool {
        let prefix = format!("/{path}/");
        self.files.keys().any(|id| id.vpath().get_with_slash().starts_with(&prefix))
    }

    /// Whether `c` can be shown: it takes no glyph, or some font has one.
    pub fn shows(&self, c: char) -> bool {
        match self.common_shown.get(c as usize) {
            Some(shown) => *shown,
            None => invisible(c) || self.fonts.iter().any(|font| font.info().coverage.contains(c as u32)),
        }
    }

    /// The characters of a render job's data that no font of this template can show, with
    /// the JSON Pointer of the first field holding each, in order of appearance. Typst would
    /// print them as empty boxes, and PDF/A export refuses them.
    pub fn missing_glyphs(&self, job: &PdfJob) -> Vec<MissingGlyph> {
        // Nearly always every character is covered: check the JSON text first (its escapes
        // and white space are covered or invisible), and read the data for the places only
        // when something is missing.
        // Data that is not JSON has no places; rendering it says what is wrong.
        let Ok(text) = std::str::from_utf8(&job.data) else { return Vec::new() };
        if text.chars().all(|c| self.shows(c)) {
            return Vec::new();
        }
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return Vec::new() };
        let mut missing: Vec<MissingGlyph> = Vec::new();
        let mut stack = vec![(String::new(), &value)];
        while let Some((pointer, value)) = stack.pop() {
            match value {
                serde_json::Value::String(text) => {
                    for c in text.chars() {
                        if !self.shows(c) && !missing.iter().any(|m| m.character == c) {
                            missing.push(MissingGlyph { character: c, pointer: pointer.clone() });
                        }
                    }
                }
                serde_json::Value::Array(items) => {
                    stack.extend(items.iter().enumerate().rev().map(|(i, v)| (format!("{pointer}/{i}"), v)));
                }
                serde_json::Value::Object(map) => {
                    stack.extend(map.iter().rev().map(|(k, v)| (format!("{pointer}/{k}"), v)));
                }
                _ => {}
            }
        }
        missing
    }
}

/// A character of a transcript that no font can show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingGlyph {
    /// The character.
    pub character: char,
    /// Where it first occurs in the transcript data, such as "/student/legal_name".
    pub pointer: String,
}

impl fmt::Display for MissingGlyph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (U+{:04X}) in {}", self.character, self.character as u32, self.pointer)
    }
}

/// Characters that take no glyph: white space, controls, and the invisible format characters
/// of bidirectional and joined text.
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A file besides the template and the data that a transcript brings into the world: the
/// school's logo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its virtual path, such as "/school-logo.png".
    pub path: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// Whether typst can draw an image file: a PNG, JPEG or SVG the template would show. The
/// reason when it cannot, such as a broken SVG.
pub fn check_image(bytes: &[u8], extension: &str) -> Result<(), String> {
    use typst::visualize::{ExchangeFormat, RasterImage};
    let result = match extension.to_ascii_lowercase().as_str() {
        // typst reads SVG with usvg: the same parser, with its own wording of the problem.
        "svg" => {
            resvg::usvg::Tree::from_data(bytes, &resvg::usvg::Options::default()).map(|_| ()).map_err(|e| e.to_string())
        }
        "png" => {
            RasterImage::plain(Bytes::new(bytes.to_vec()), ExchangeFormat::Png).map(|_| ()).map_err(|e| e.to_string())
        }
        "jpg" | "jpeg" => {
            RasterImage::plain(Bytes::new(bytes.to_vec()), ExchangeFormat::Jpg).map(|_| ()).map_err(|e| e.to_string())
        }
        other => Err(format!("{other} is not an image format the template can show")),
    };
    typst::comemo::evict(0);
    result
}

/// The virtual path under which a logo with this file extension is served.
pub fn logo_path(extension: &str) -> String {
    format!("/school-logo.{}", extension.to_ascii_lowercase())
}

/// One document's world: the shared template, plus this transcript's data and files.
struct DocumentWorld<'a> {
    template: &'a Template,
    data: Bytes,
    attachments: Vec<(FileId, Bytes)>,
    today: Datetime,
}

impl DocumentWorld<'_> {
    fn not_found(&self, id: FileId) -> FileError {
        match id.root() {
            VirtualRoot::Package(spec) => FileError::Package(PackageError::Other(Some(
                format!("packages are disabled in mastery templates ({spec})").into(),
            ))),
            VirtualRoot::Project => FileError::Other(Some(
                format!(
                    "{} is not in the template folder; a template reads only its own files and the transcript data",
                    id.vpath().get_with_slash()
                )
                .into(),
            )),
        }
    }
}

impl World for DocumentWorld<'_> {
    fn library(&self) -> &LazyHash<Library> {
        &self.template.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.template.book
    }

    fn main(&self) -> FileId {
        self.template.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.template.data {
            // The data is never markup: `include "/data.json"` must fail.
            return Err(FileError::NotSource);
        }
        self.template.sources.get(&id).cloned().ok_or_else(|| self.not_found(id))
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.template.data {
            return Ok(self.data.clone());
        }
        if let Some((_, bytes)) = self.attachments.iter().find(|(file, _)| *file == id) {
            return Ok(bytes.clone());
        }
        self.template.files.get(&id).cloned().ok_or_else(|| self.not_found(id))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.template.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

/// The transcript as the JSON a template reads, pretty-printed so a designer can read it.
pub fn data_json(transcript: &Transcript) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(transcript).expect("a transcript serializes");
    bytes.push(b'\n');
    bytes
}

/// The typst date of a YYYY-MM-DD date.
fn typst_date(text: &str) -> Result<Datetime, RenderError> {
    use chrono::Datelike;
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| RenderError::new(format!("issue date {text} is not a date")))?;
    Datetime::from_ymd(date.year(), date.month() as u8, date.day() as u8)
        .ok_or_else(|| RenderError::new("issue date out of range"))
}

/// Compiles a template over `data`, in a world whose clock reads `today`.
fn compile<'a>(
    template: &'a Template,
    data: Vec<u8>,
    attachments: &[Attachment],
    today: Datetime,
) -> Result<(PagedDocument, DocumentWorld<'a>), RenderError> {
    let world = DocumentWorld {
        template,
        data: Bytes::new(data),
        attachments: attachments
            .iter()
            .filter_map(|a| Some((project_id(&a.path)?, Bytes::new(a.bytes.clone()))))
            .collect(),
        today,
    };
    let Warned { output, warnings: _ } = typst::compile::<PagedDocument>(&world);
    let document = output.map_err(|errors| describe(&world, &errors))?;
    Ok((document, world))
}

/// Everything one PDF is made from, as plain bytes and text: what a render worker process
/// receives ([`worker`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfJob {
    /// The transcript as the JSON the template reads at `/data.json`.
    pub data: Vec<u8>,
    /// The document's permanent id (the PDF's `/ID`): the transcript's credential id.
    pub ident: String,
    /// YYYY-MM-DD: the document's date, and what the template's clock reads.
    pub date: String,
    /// The logo, if any.
    pub attachments: Vec<Attachment>,
}

impl PdfJob {
    /// The job of rendering `transcript`, with its logo.
    pub fn of(transcript: &Transcript, attachments: &[Attachment]) -> PdfJob {
        PdfJob {
            data: data_json(transcript),
            ident: transcript.verification.credential_id.clone(),
            date: transcript.issue_date.clone(),
            attachments: attachments.to_vec(),
        }
    }
}

/// Renders one transcript into PDF/A-3b and PDF/UA-1 bytes, with the data attached.
pub fn pdf(template: &Template, transcript: &Transcript, attachments: &[Attachment]) -> Result<Vec<u8>, RenderError> {
    render_pdf(template, &PdfJob::of(transcript, attachments))
}

/// Renders a PDF job in this process.
pub fn render_pdf(template: &Template, job: &PdfJob) -> Result<Vec<u8>, RenderError> {
    render_pdf_kept(template, job).map(|(bytes, _)| bytes)
}

/// A document rendered and kept, to be exported again with one attached file's bytes replaced,
/// without being laid out again: an official transcript is rendered with a stand-in for its
/// signed credential (which binds the printed pages, so it cannot be made before them), then
/// exported with the credential in its place ([`export_with`]).
pub struct Kept {
    document: PagedDocument,
    ident: String,
    today: Datetime,
}

/// Renders a PDF job in this process, and keeps the document for [`export_with`].
pub fn render_pdf_kept(template: &Template, job: &PdfJob) -> Result<(Vec<u8>, Kept), RenderError> {
    let today = typst_date(&job.date)?;
    let (document, world) = compile(template, job.data.clone(), &job.attachments, today)?;
    let document = rtl::for_extractors(document);
    let bytes = typst_pdf::pdf(&document, &pdf_options(&job.ident, today)?).map_err(|errors| describe(&world, &errors));
    // typst's memo cache is global; dropping what this document alone used keeps memory flat
    // over a batch.
    typst::comemo::evict(3);
    Ok((bytes?, Kept { document, ident: job.ident.clone(), today }))
}

/// Exports a kept document again with the bytes of the attached file `attachment.path`
/// replaced by `attachment.bytes`: the same pages, tags and metadata, another attachment.
pub fn export_with(kept: &Kept, attachment: &Attachment) -> Result<Vec<u8>, RenderError> {
    let name = attachment.path.rsplit('/').next().unwrap_or(&attachment.path);
    let data = Bytes::new(attachment.bytes.clone());
    let mut pages = kept.document.pages().to_vec();
    let replaced: usize = pages.iter_mut().map(|page| attached::replace(&mut page.frame, name, &data)).sum();
    if replaced != 1 {
        return Err(RenderError::new(format!(
            "the template attaches {replaced} files named {name}, not one, so the signed one cannot take the stand-in's place"
        )));
    }
    let document =
        PagedDocument::new(pages.into_iter().collect(), typst::model::Document::info(&kept.document).clone());
    let bytes = typst_pdf::pdf(&document, &pdf_options(&kept.ident, kept.today)?)
        .map_err(|errors| RenderError { messages: errors.iter().map(|error| error.message.to_string()).collect() });
    typst::comemo::evict(3);
    bytes
}

/// The PDF export's settings: the document's id and date, PDF/A-3b and PDF/UA-1.
fn pdf_options(ident: &str, today: Datetime) -> Result<PdfOptions, RenderError> {
    Ok(PdfOptions {
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some(format!("mastery {}", env!("CARGO_PKG_VERSION")))),
        timestamp: Some(Timestamp::new_utc(today)),
        standards: PdfStandards::new(&[PdfStandard::A_3b, PdfStandard::Ua_1])
            .map_err(|e| RenderError::new(e.message().to_string()))?,
        ..PdfOptions::default()
    })
}

/// Attached files in a laid-out document.
mod attached {
    use typst::foundations::Bytes;
    use typst::introspection::Tag;
    use typst::layout::{Frame, FrameItem};
    use typst::pdf::AttachElem;

    /// Gives the attached file named `name` (its path's last part) `data` instead of its
    /// bytes, wherever the frame and its groups hold it; how many were.
    pub(super) fn replace(frame: &mut Frame, name: &str, data: &Bytes) -> usize {
        let mut replaced = 0;
        frame.retain(|item| {
            match item {
                FrameItem::Group(group) => replaced += replace(&mut group.frame, name, data),
                FrameItem::Tag(Tag::Start(content, _)) => {
                    if let Some(elem) = content.to_packed::<AttachElem>()
                        && elem.path.derived.rsplit('/').next() == Some(name)
                    {
                        let mut elem = elem.clone();
                        elem.data = data.clone();
                        *content = elem.pack();
                        replaced += 1;
                    }
                }
                _ => {}
            }
            true
        });
        replaced
    }
}

/// An image drawn by a template: its first page as SVG (text as outlines, so it looks the
/// same without any font) and as a PNG `pixels` wide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The SVG text.
    pub svg: String,
    /// The PNG bytes.
    pub png: Vec<u8>,
}

/// Draws the badge `template` over `data` (see `templates/badge/badge.typ`).
#[allow(clippy::disallowed_types, reason = "a badge image's pixel scale, for the rasterizer")]
pub fn badge_image(template: &Template, data: &serde_json::Value, pixels: u32) -> Result<Image, RenderError> {
    let bytes = serde_json::to_vec(data).map_err(|e| RenderError::new(e.to_string()))?;
    let today = Datetime::from_ymd(2000, 1, 1).expect("a valid date");
    let (document, _) = compile(template, bytes, &[], today)?;
    let page = document.pages().first().ok_or_else(|| RenderError::new("the badge design made no page"))?;
    let svg = typst_svg::svg(page, &typst_svg::SvgOptions::default());
    let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default())
        .map_err(|e| RenderError::new(format!("cannot draw the badge ({e})")))?;
    let size = tree.size();
    let scale = pixels as f32 / size.width();
    let height = (size.height() * scale).round().max(1.0) as u32;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(pixels.max(1), height)
        .ok_or_else(|| RenderError::new("the badge image has no size"))?;
    resvg::render(&tree, resvg::tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    let png = pixmap.encode_png().map_err(|e| RenderError::new(format!("cannot write the badge PNG ({e})")))?;
    typst::comemo::evict(3);
    Ok(Image { svg, png })
}

/// Turns typst's diagnostics into lines naming the template file, line and column.
fn describe(world: &DocumentWorld, diagnostics: &[SourceDiagnostic]) -> RenderError {
    let messages = diagnostics
        .iter()
        .map(|diagnostic| {
            let mut line = String::new();
            if let Some(id) = diagnostic.span.id() {
                line.push_str("template ");
                line.push_str(id.vpath().get_without_slash());
                if let (Some(range), Ok(source)) = (world.range(diagnostic.span), world.source(id)) {
                    let lines = source.lines();
                    if let (Some(l), Some(c)) = (lines.byte_to_line(range.start), lines.byte_to_column(range.start)) {
                        line.push_str(&format!(":{}:{}", l + 1, c + 1));
                    }
                }
                line.push_str(": ");
            }
            line.push_str(&diagnostic.message);
            for hint in &diagnostic.hints {
                line.push_str("\n  hint: ");
                line.push_str(&hint.v);
            }
            line
        })
        .collect();
    RenderError { messages }
}
