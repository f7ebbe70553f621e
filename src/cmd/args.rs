//! Command-line arguments, as clap types. Only the binary sees them: each command turns them
//! into the library's own option types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use mastery::batch::Format;
use mastery::transcript::Paper;

/// Turn competency records into mastery transcripts.
///
/// Exit codes: 0 when all went well, 1 when the data has problems (each is printed with its
/// file, line:column and JSON pointer), 2 for a usage or I/O failure.
#[derive(Debug, Parser)]
#[command(name = "mastery", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Each command's arguments are a struct below. They carry no doc comments: clap would show
// those instead of the command's own.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a school folder: every file against its schema, then the meaning of the records.
    Validate(ValidateArgs),
    /// Build one transcript per student into an output folder: previews, marked as unofficial
    /// copies (`mastery issue` makes the official ones).
    Build(BuildArgs),
    /// Issue official transcripts: each selected student's next version (PDF with its signed
    /// credential attached, signed CLR, HTML) in OUT/ID/vN/, recorded in the school's ledger.
    ///
    /// A student whose record is unchanged since their last issue is not issued again (with
    /// --to, that version is recorded as disclosed to the recipient); a changed record gets a
    /// new version, and the one it replaces is revoked as superseded.
    Issue(IssueArgs),
    /// Revoke an issued credential: record it in the ledger and sign the status list again.
    Revoke(RevokeArgs),
    /// Write the school profile as a PDF of its own (PDF/A-3b, PDF/UA-1): how to read the
    /// school's transcripts, its scale, rules, graduation requirements and credits, as the
    /// portals ask for it once a year.
    Profile(ProfileArgs),
    /// What the school issued, revoked and disclosed, from its ledger.
    Log(LogArgs),
    /// Put issued transcripts the way a college-facing service takes them in (Common App,
    /// Naviance, Scoir, Cialfo, a college's Slate, Parchment), and record each student sent as
    /// a disclosure in the ledger.
    ///
    /// Only each student's current version is packed (never a revoked or superseded one),
    /// read from the folder `mastery issue` wrote and checked against the ledger. A student
    /// who cannot be packed is named with the reason; the others are packed (exit 1).
    Pack(PackArgs),
    /// Write the verification site: what the school publishes on the web so that verifiers can
    /// check its transcripts (each issued credential's record, the status lists, the key
    /// documents of a did:web or https issuer, older keys included).
    ///
    /// The site folder holds one folder per web host, each file at the path of its address:
    /// upload each host's folder to that host.
    Publish(PublishArgs),
    /// Render documents sent on standard input (for `mastery build`, which starts and watches
    /// these processes).
    #[command(hide = true)]
    RenderWorker,
    /// Write synthetic students for a school (JSON Lines), for benchmarks and load tests.
    GenFixtures(GenFixturesArgs),
    /// Write a new Ed25519 signing key for CLR credentials.
    Keygen(KeygenArgs),
    /// Check a signed CLR 2.0 or Open Badges 3.0 credential: schema, every proof, dates.
    Verify(VerifyArgs),
    /// Import a competency framework from a 1EdTech CASE package (CFPackage JSON, CASE 1.0 or 1.1).
    ///
    /// The items at --area-depth below the document become credit areas; the leaves under each
    /// become its credits, keeping their CASE URIs. A rubric, if any, becomes the scale.
    ImportCase(ImportCaseArgs),
    /// Show, step by step, how a student's levels, credits and graduation status were worked out.
    Explain(ExplainArgs),
    /// Open the registrar's console: a local web app over the school folder (its problems,
    /// its students, each one's preview and working). The first line printed is the address
    /// to open, with its one-time token.
    Serve(ServeArgs),
    /// Propose the mapping of a new source: each learning objective, standard or line item of
    /// the school's OneRoster and Ed-Fi data that counts towards no credit yet, and each score
    /// that gives no level, with the credit or level proposed and why. Nothing is written
    /// without --write.
    Map(MapArgs),
    /// Fetch records from a school system's API into students/, as a snapshot that loads like
    /// the system's own export (a failed pull leaves the previous snapshot as it was).
    #[command(subcommand)]
    Pull(PullCommand),
    /// The registrar's queue of transcript requests: take them (at the counter, from a CSV
    /// file, from a PESC TranscriptRequest), approve or hold them, send them (through issue
    /// and pack, each send in the ledger with the request), and see where each one is.
    #[command(subcommand)]
    Requests(RequestsCommand),
}

#[derive(Debug, Args)]
pub struct MapArgs {
    /// The school folder: school.json and students/.
    pub school: PathBuf,
    /// Write the proposals into school.json (atomically), leaving every entry already there.
    #[arg(long)]
    pub write: bool,
}

#[derive(Debug, Subcommand)]
pub enum PullCommand {
    /// Read a OneRoster 1.2 REST server (rostering and gradebook) with OAuth 2.0 client
    /// credentials into a CSV bulk bundle.
    Oneroster(PullOneRosterArgs),
}

#[derive(Debug, Args)]
pub struct PullOneRosterArgs {
    /// The server's address before /ims/oneroster/ (https://sis.example.org/api).
    #[arg(long)]
    pub url: String,
    /// The OAuth 2.0 token endpoint (default: URL/oauth/token).
    #[arg(long)]
    pub token_url: Option<String>,
    /// The client id the district's OneRoster provider issued.
    #[arg(long)]
    pub client_id: String,
    /// A file holding the client secret (on its first line), readable by you alone.
    #[arg(long, value_name = "FILE")]
    pub client_secret_file: PathBuf,
    /// Where to write the snapshot: a folder in students/, or a .zip file.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Records asked for per page.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10000))]
    pub page_size: u64,
    /// Tries of a request after the first, when the server answers 429 or 5xx or the connection
    /// fails; each waits twice as long as the one before (from 1 s), or as Retry-After asks.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The school folder: school.json and students/.
    pub school: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// How to print the problems found.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text)]
    pub format: DiagnosticFormat,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The school folder: school.json and students/.
    pub school: PathBuf,
    /// The folder to write into; created if missing.
    #[arg(long, short)]
    pub out: PathBuf,
    /// What to write for each student.
    #[arg(long, value_enum, default_value_t = OutputFormat::Pdf)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    /// Build only these students (by id); may be repeated.
    #[arg(long = "student", value_name = "ID")]
    pub students: Vec<String>,
    /// How many transcripts to build at once (default: one per core).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Rebuild everything, even what manifest.json shows is up to date.
    #[arg(long)]
    pub force: bool,
    /// The signing key for --format clr and ob, as written by `mastery keygen`.
    #[arg(long, value_name = "KEY_FILE")]
    pub key: Option<PathBuf>,
    /// Stop at the first student that cannot be built.
    #[arg(long)]
    pub fail_fast: bool,
    /// The longest one transcript may take to render, in seconds; past it, the template is
    /// stopped and that student fails (a template that never ends cannot hold up a batch).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    #[allow(clippy::disallowed_types, reason = "a time limit, not a value of any record")]
    pub doc_timeout: f64,
    /// The most memory rendering one transcript may use, in MB.
    #[arg(long, value_name = "MB", default_value_t = 2048)]
    pub doc_memory: u64,
    /// Render in the build's own threads, without the time and memory limits (for
    /// measuring what the isolation costs).
    #[arg(long, hide = true)]
    pub render_in_process: bool,
    /// Build only shard K of N (K from 0 to N-1): the students whose id hashes to K. Run N
    /// processes, one per shard, to split a district across machines.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The school folder: school.json and students/.
    pub school: PathBuf,
    /// The folder to write the site into; created if missing.
    #[arg(long, value_name = "DIR")]
    pub site: PathBuf,
    /// The school's signing key: only needed to sign a status list again that an interrupted
    /// run left behind the ledger.
    #[arg(long, value_name = "KEY_FILE")]
    pub key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The school folder: school.json, students/, and the ledger (ledger.jsonl).
    pub school: PathBuf,
    /// The folder to write the official transcripts into; created if missing.
    #[arg(long, short)]
    pub out: PathBuf,
    /// The school's signing key, as written by `mastery keygen`.
    #[arg(long, value_name = "KEY_FILE")]
    pub key: PathBuf,
    /// The key of the school's document-signing certificate (`mastery keygen --x509`), which
    /// signs every issued PDF (PAdES); needed when school.json names `document_signing`.
    #[arg(long, value_name = "KEY_FILE")]
    pub pdf_key: Option<PathBuf>,
    /// A timestamp authority (RFC 3161) that countersigns each PDF's signature with its clock
    /// (PAdES B-T); if it does not answer, nothing is issued.
    #[arg(long, value_name = "URL")]
    pub tsa: Option<String>,
    /// Issue only these students (by id); may be repeated.
    #[arg(long = "student", value_name = "ID")]
    pub students: Vec<String>,
    /// To whom the transcripts are sent (a college, an employer, the student), for the
    /// ledger's record of disclosures.
    #[arg(long = "to", value_name = "RECIPIENT")]
    pub recipient: Option<String>,
    /// Who issues them, for the ledger (default: the user running the command).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Issue a new version of each student chosen although the record did not change: a
    /// current version is superseded, a revoked one is issued again. The ledger records the
    /// reason. Without it, a revoked transcript whose record has not changed stays revoked.
    #[arg(long, value_name = "REASON")]
    pub reissue: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    /// How many transcripts to issue at once (default: one per core).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// The longest one transcript may take to render, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    #[allow(clippy::disallowed_types, reason = "a time limit, not a value of any record")]
    pub doc_timeout: f64,
    /// The most memory rendering one transcript may use, in MB.
    #[arg(long, value_name = "MB", default_value_t = 2048)]
    pub doc_memory: u64,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The school folder: school.json.
    pub school: PathBuf,
    /// The PDF to write.
    #[arg(long, short)]
    pub out: PathBuf,
    /// A template folder to use instead of the built-in one (it must read layout.school_pages).
    #[arg(long, value_name = "DIR")]
    pub template: Option<PathBuf>,
    /// A folder of extra fonts (.ttf, .otf); may be repeated.
    #[arg(long = "font-path", value_name = "DIR")]
    pub font_paths: Vec<PathBuf>,
    /// The paper size.
    #[arg(long, value_enum, default_value_t = PaperArg::Letter)]
    pub paper: PaperArg,
    /// The language of the labels.
    #[arg(long, default_value = "en")]
    pub locale: String,
    /// The date the profile carries (YYYY-MM-DD); overrides transcript.issue_date in school.json.
    #[arg(long, value_name = "DATE")]
    pub issue_date: Option<String>,
}

#[derive(Debug, Args)]
pub struct PackArgs {
    /// The school folder: school.json and the ledger.
    pub school: PathBuf,
    /// The service the pack is for.
    #[arg(long = "for", value_enum, value_name = "DESTINATION")]
    pub destination: DestinationArg,
    /// The folder `mastery issue --out` wrote the issued transcripts into.
    #[arg(long, value_name = "DIR")]
    pub issued: PathBuf,
    /// The folder to write the pack into: a new one, or a pack written before (replaced).
    #[arg(long, short)]
    pub out: PathBuf,
    /// The school's signing key, to sign the ledger's disclosure entries.
    #[arg(long, value_name = "KEY_FILE")]
    pub key: PathBuf,
    /// Pack only these students (by id); may be repeated. Without it: every student of the
    /// ledger and the school folder.
    #[arg(long = "student", value_name = "ID")]
    pub students: Vec<String>,
    /// The recipient, for the ledger (a college, say); the service's name when not given.
    #[arg(long = "to", value_name = "RECIPIENT")]
    pub recipient: Option<String>,
    /// The disclosure profile whose versions to pack: "college" by default, "internal" for
    /// Parchment.
    #[arg(long)]
    pub profile: Option<String>,
    /// Send the PDFs without their PAdES signature, for a portal that refuses signed PDFs
    /// (the pages, the data and the signed credential inside are unchanged).
    #[arg(long)]
    pub unsigned: bool,
    /// Who packs, for the ledger (default: the user running the command).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

/// The services `mastery pack` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DestinationArg {
    /// The Common App: one PDF per student, at most 2 MB each.
    Commonapp,
    /// Naviance eDocs: one PDF per student, at most 2 MB each.
    Naviance,
    /// Scoir: one PDF per student, at most 2 MB each.
    Scoir,
    /// Cialfo: one PDF of every student (by name), at most 10 MB.
    Cialfo,
    /// A college's Slate: a ZIP of PDFs with a tab-delimited index (Document Import Processor).
    Slate,
    /// Parchment: a learners CSV with one PDF per learner.
    Parchment,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The credential to revoke (urn:uuid:..., as `mastery log` lists it).
    pub credential: String,
    /// Why, in the registrar's words: the ledger records it and the site shows it.
    #[arg(long)]
    pub reason: String,
    /// The school's signing key, to sign the status list again.
    #[arg(long, value_name = "KEY_FILE")]
    pub key: PathBuf,
    /// The school folder whose ledger holds the credential.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub school: PathBuf,
    /// Who revokes it, for the ledger (default: the user running the command).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// The school folder.
    pub school: PathBuf,
    /// Only the entries of this student.
    #[arg(long, value_name = "ID")]
    pub student: Option<String>,
    /// Print the entries as JSON Lines, as the ledger holds them.
    #[arg(long)]
    pub json: bool,
    /// Check the ledger instead of printing it: its chain, every entry's signature and key,
    /// and that it agrees with the signed heads given and the one the school folder keeps.
    #[arg(long)]
    pub verify: bool,
    /// With --verify: the published verification site (as `mastery publish` wrote it), whose
    /// signed head and key documents the ledger is held against.
    #[arg(long, value_name = "DIR", requires = "verify")]
    pub site: Option<PathBuf>,
    /// With --verify: a signed head saved earlier (a copy of the site's ledger/checkpoint kept
    /// by a college or an auditor); may be repeated.
    #[arg(long = "checkpoint", value_name = "FILE", requires = "verify")]
    pub checkpoints: Vec<PathBuf>,
    /// Sign, once, the entries a mastery older than signed ledgers wrote (check the ledger
    /// against a backup first: once signed, what it holds is the school's word).
    #[arg(long, requires = "key", conflicts_with_all = ["verify", "json", "student"])]
    pub adopt_unsigned: bool,
    /// With --adopt-unsigned: the school's signing key.
    #[arg(long, value_name = "KEY_FILE")]
    pub key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GenFixturesArgs {
    /// The school folder whose framework and scale the students follow.
    pub school: PathBuf,
    /// How many students.
    #[arg(long)]
    pub students: usize,
    /// The file to write: a JSON Lines file such as SCHOOL/students/generated.jsonl, or, with
    /// --format oneroster, a bundle (a folder, or a file ending in .zip).
    #[arg(long, short)]
    pub out: PathBuf,
    /// The seed: the same seed gives the same students.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The number of the first student (ids are GEN-000001 and up).
    #[arg(long, default_value_t = 1)]
    pub first: usize,
    /// What to write: mastery's own JSON Lines, the same students as only a gradebook
    /// export carries them (no work samples, approvals or highlights), or those as a
    /// OneRoster 1.2 CSV bundle.
    #[arg(long, value_enum, default_value_t = FixtureFormat::Jsonl)]
    pub format: FixtureFormat,
}

/// The forms `gen-fixtures` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FixtureFormat {
    /// Full records, as JSON Lines.
    Jsonl,
    /// Gradebook records (who, and evidence), as JSON Lines.
    GradebookJsonl,
    /// Gradebook records as a OneRoster 1.2 CSV bundle.
    Oneroster,
    /// Gradebook records as the Ed-Fi API's JSON resources, in a folder.
    EdfiJson,
    /// Gradebook records as Ed-Fi 5.2 XML interchanges, in a folder.
    EdfiXml,
    /// Gradebook records as Canvas's Outcome Results report with the roster it needs, in a
    /// folder (`outcome-results.csv`, `roster.csv`, `sources.csv.json`).
    Canvas,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The key file to write; it must not exist yet. Keep it secret.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Write an ECDSA P-256 key that signs the issued PDFs (PKCS #8 PEM) instead of the
    /// Ed25519 key that signs credentials, with a self-signed certificate or a signing request.
    #[arg(long)]
    pub x509: bool,
    /// The certificate's subject, such as "CN=Harbor View Academy,O=Harbor View Academy,C=US".
    #[arg(long, requires = "x509")]
    pub subject: Option<String>,
    /// Write a self-signed document-signing certificate here.
    #[arg(long, value_name = "CERT_FILE", requires = "x509", conflicts_with = "csr")]
    pub self_signed: Option<PathBuf>,
    /// Write a certificate signing request here, for the district's or a commercial CA.
    #[arg(long, value_name = "CSR_FILE", requires = "x509")]
    pub csr: Option<PathBuf>,
    /// How many days the self-signed certificate is valid.
    #[arg(long, default_value_t = 1095, requires = "self_signed")]
    pub days: u32,
    /// The first day the self-signed certificate is valid (YYYY-MM-DD), today by default: the
    /// start of the school year, to issue transcripts dated from then.
    #[arg(long, value_name = "DATE", requires = "self_signed")]
    pub valid_from: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The official transcript (PDF), a CLR or an Open Badge (JSON, or a baked PNG or SVG).
    pub file: PathBuf,
    /// Check the dates as of this day (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub at: Option<String>,
    /// The school's verification site, as `mastery publish` wrote it: check the credential's
    /// status (revoked, superseded) in its status list.
    #[arg(long, value_name = "DIR", conflicts_with = "status_list")]
    pub site: Option<PathBuf>,
    /// The signed status list credential the credential names, as a file.
    #[arg(long, value_name = "FILE")]
    pub status_list: Option<PathBuf>,
    /// Fail when the status cannot be checked (no --site or --status-list, or the list is not
    /// there).
    #[arg(long)]
    pub require_status: bool,
    /// Certificates (PEM) the reader trusts as anchors for a PDF's PAdES signature: the
    /// school's own certificate, or the CA above it. May be repeated.
    #[arg(long, value_name = "CERT_FILE")]
    pub trust: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportCaseArgs {
    /// The CFPackage JSON file.
    pub package: PathBuf,
    /// A school.json whose framework (and scale, when the package has a rubric) to replace;
    /// without it, only the imported parts are written.
    #[arg(long, value_name = "SCHOOL_JSON")]
    pub into: Option<PathBuf>,
    /// Where to write the result (default: standard output).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// How far below the document the credit areas are: 1 makes its direct children the areas.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub area_depth: u8,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The school folder: school.json and students/.
    pub school: PathBuf,
    /// The student's id.
    #[arg(long)]
    pub student: String,
    /// Only this credit.
    #[arg(long)]
    pub credit: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The school folder: school.json and students/.
    pub school: PathBuf,
    /// The port to listen on; by default a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The address to listen on. Only this machine can reach the default, 127.0.0.1; another
    /// address lets the network in (anyone who learns the token can see the records), so it
    /// needs --allow-network as well.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: std::net::IpAddr,
    /// Allow --host to be an address other machines can reach.
    #[arg(long)]
    pub allow_network: bool,
    /// Open the console in the default browser.
    #[arg(long)]
    pub open: bool,
    /// Where the console's builds and issues write (default: output/ in the school folder).
    #[arg(long, short, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The school's signing key, as written by `mastery keygen`: needed to issue, revoke and
    /// build signed credentials from the console.
    #[arg(long, value_name = "KEY_FILE")]
    pub key: Option<PathBuf>,
    /// The key of the school's document-signing certificate (`mastery keygen --x509`): needed
    /// to issue from the console when school.json names `document_signing`.
    #[arg(long, value_name = "KEY_FILE")]
    pub pdf_key: Option<PathBuf>,
}

/// Options that change what the data means.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The date the transcripts are issued (YYYY-MM-DD); overrides transcript.issue_date in
    /// school.json. Printed on the transcript and written as the PDF's creation date.
    #[arg(long, value_name = "DATE")]
    pub issue_date: Option<String>,
    /// Treat these problems as errors: `--deny warnings` makes any warning fail the run (exit 1).
    #[arg(long, value_enum, value_name = "WHAT")]
    pub deny: Vec<Deny>,
}

impl DataArgs {
    pub fn deny_warnings(&self) -> bool {
        self.deny.contains(&Deny::Warnings)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    Warnings,
}

/// Options that change how transcripts look.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A template folder to use instead of the built-in one; it must hold transcript.typ.
    #[arg(long, value_name = "DIR")]
    pub template: Option<PathBuf>,
    /// A folder of extra fonts (.ttf, .otf), for scripts the built-in fonts lack; may be repeated.
    #[arg(long = "font-path", value_name = "DIR")]
    pub font_paths: Vec<PathBuf>,
    /// The paper size.
    #[arg(long, value_enum, default_value_t = PaperArg::Letter)]
    pub paper: PaperArg,
    /// The language of the transcript's labels: a file locale/<LOCALE>.json of the template
    /// ("en" and "es" come with the built-in one).
    #[arg(long, default_value = "en")]
    pub locale: String,
    /// A disclosure profile: what this reader may see. Built in: "college" (no birth date, no
    /// SIS id, only featured work samples) and "internal" (everything, the default); school.json
    /// may define more under "disclosure". Applies to every output format.
    #[arg(long)]
    pub profile: Option<String>,
    /// Leave the list of credits still in progress out of the transcript.
    #[arg(long)]
    pub hide_in_progress: bool,
    /// Where the school's pages go (how to read the transcript, the scale, the rules, the
    /// requirements, the credits offered): in each PDF, or in the school profile sent apart
    /// (`mastery profile`), each PDF then saying so in a few lines.
    #[arg(long, value_enum, default_value_t = SchoolPagesArg::Inline)]
    pub school_pages: SchoolPagesArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchoolPagesArg {
    /// At the end of each transcript.
    Inline,
    /// In the school profile, sent apart.
    Separate,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DiagnosticFormat {
    /// One line per problem, for people.
    Text,
    /// A JSON document, for programs.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A PDF/A-3b, PDF/UA-1 transcript with its data attached.
    Pdf,
    /// The transcript data (JSON) that templates read, for template designers.
    Data,
    /// A self-contained, accessible HTML transcript with drill-down.
    Html,
    /// A signed 1EdTech CLR 2.0 credential (needs --key and "credentials" in school.json).
    Clr,
    /// Signed Open Badges 3.0 credentials, one per earned credit and one for the diploma, each
    /// also baked into a PNG and an SVG badge image, in a folder per student (needs --key).
    Ob,
    /// A PESC High School Transcript 1.5.0 XML document, what colleges' student systems import.
    Pesc,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PaperArg {
    Letter,
    A4,
}

impl From<OutputFormat> for Format {
    fn from(format: OutputFormat) -> Format {
        match format {
            OutputFormat::Pdf => Format::Pdf,
            OutputFormat::Data => Format::Data,
            OutputFormat::Html => Format::Html,
            OutputFormat::Clr => Format::Clr,
            OutputFormat::Ob => Format::Ob,
            OutputFormat::Pesc => Format::Pesc,
        }
    }
}

impl From<PaperArg> for Paper {
    fn from(paper: PaperArg) -> Paper {
        match paper {
            PaperArg::Letter => Paper::Letter,
            PaperArg::A4 => Paper::A4,
        }
    }
}

/// Parses `--shard K/N`.
fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let (k, n) = text.split_once('/').ok_or("write the shard as K/N, such as 0/4")?;
    let (k, n): (u32, u32) =
        (k.trim().parse().map_err(|_| "K must be a number")?, n.trim().parse().map_err(|_| "N must be a number")?);
    if n == 0 || k >= n {
        return Err(format!("shard {k}/{n} does not exist: K counts from 0 to N-1"));
    }
    Ok((k, n))
}

#[derive(Debug, Subcommand)]
pub enum RequestsCommand {
    /// Take a request at the counter.
    Add(Box<RequestAddArgs>),
    /// Take the requests of a CSV file or a PESC TranscriptRequest 1.4.0 (.xml): all of them,
    /// or none when any has a problem (each is shown with its line and column).
    Import(RequestImportArgs),
    /// List the queue: the open requests, the soonest due first (or those the options pick).
    List(RequestListArgs),
    /// Show a request: who asked, for whom, on what basis, its consent and its history.
    Show(RequestShowArgs),
    /// Approve requests for sending.
    Approve(RequestStepArgs),
    /// Put requests on hold, with the reason.
    Hold(RequestHoldArgs),
    /// Release requests from their hold (back to where the hold found them).
    Release(RequestStepArgs),
    /// Record the written consent a request rests on (34 CFR 99.30).
    Consent(RequestConsentArgs),
    /// Set the student of a request that matched no record when it came (PESC).
    Match(RequestMatchArgs),
    /// Send approved requests: issue (or disclose the current version) and, for a portal,
    /// pack; the ledger records each with the request, the party and its interest.
    Send(RequestSendArgs),
    /// Record requests as delivered: downloaded, or acknowledged by the recipient.
    Deliver(RequestNoteArgs),
    /// Cancel requests, as the one who asked wishes.
    Cancel(RequestNoteArgs),
    /// Reject requests, with the reason.
    Reject(RequestRejectArgs),
}

#[derive(Debug, Args)]
pub struct RequestCommon {
    /// Who acts, for the request's history (default: the user running the command).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RequestAddArgs {
    /// The school folder.
    pub school: PathBuf,
    /// The student, by id.
    #[arg(long, value_name = "ID")]
    pub student: String,
    /// Who asks: student, parent, alumnus, college or official.
    #[arg(long, value_name = "KIND")]
    pub party: String,
    /// Their name.
    #[arg(long, value_name = "NAME")]
    pub party_name: String,
    /// Their e-mail address.
    #[arg(long, value_name = "ADDRESS")]
    pub party_email: Option<String>,
    /// To whom the transcript goes.
    #[arg(long = "to", value_name = "RECIPIENT")]
    pub recipient: String,
    /// How: commonapp, naviance, scoir, cialfo, slate, parchment (a pack), download, print or pesc.
    #[arg(long, value_name = "DELIVERY")]
    pub via: String,
    /// Where a printed copy goes.
    #[arg(long)]
    pub address: Option<String>,
    /// The disclosure profile (default: the delivery's own, "college" for most).
    #[arg(long)]
    pub profile: Option<String>,
    /// When it must be sent by (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub due: Option<String>,
    /// What allows the disclosure: consent (34 CFR 99.30), enrollment (99.31(a)(2): a school
    /// where the student seeks to enroll), own-record (99.31(a)(12)) or official (99.31(a)(1)).
    #[arg(long)]
    pub basis: String,
    /// Why they ask (an application for admission, a job).
    #[arg(long)]
    pub purpose: String,
    #[command(flatten)]
    pub consent: ConsentArgs,
    #[command(flatten)]
    pub common: RequestCommon,
}

#[derive(Debug, Args)]
pub struct ConsentArgs {
    /// Who signed the consent.
    #[arg(long, value_name = "NAME")]
    pub consent_signed_by: Option<String>,
    /// As whom: student (18, or in college) or parent.
    #[arg(long, value_name = "WHO", default_value = "student")]
    pub consent_signer: String,
    /// When it was signed (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub consent_signed_on: Option<String>,
    /// A file holding the words signed electronically.
    #[arg(long, value_name = "FILE")]
    pub consent_text: Option<PathBuf>,
    /// The signed form, scanned (PDF or image), kept with its SHA-256.
    #[arg(long, value_name = "FILE")]
    pub consent_form: Option<PathBuf>,
    /// Which records the consent covers (default: the student's transcript).
    #[arg(long, value_name = "WORDS")]
    pub consent_records: Option<String>,
}

#[derive(Debug, Args)]
pub struct RequestImportArgs {
    /// The school folder.
    pub school: PathBuf,
    /// A CSV file of requests, or a PESC TranscriptRequest (.xml).
    pub file: PathBuf,
    #[command(flatten)]
    pub common: RequestCommon,
}

#[derive(Debug, Args)]
pub struct RequestListArgs {
    /// The school folder.
    pub school: PathBuf,
    /// Only requests in this state (received, approved, on-hold, sending, sent, delivered,
    /// cancelled, rejected, or "open" for the first four); may be repeated.
    #[arg(long, value_name = "STATE")]
    pub state: Vec<String>,
    /// Every request, open or closed.
    #[arg(long, conflicts_with = "state")]
    pub all: bool,
    /// Only this student's.
    #[arg(long, value_name = "ID")]
    pub student: Option<String>,
    /// Only those whose recipient holds these words.
    #[arg(long = "to", value_name = "WORDS")]
    pub recipient: Option<String>,
    /// Only those due on or before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub due_by: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RequestShowArgs {
    /// The school folder.
    pub school: PathBuf,
    /// The request (R-000042).
    pub id: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RequestStepArgs {
    /// The school folder.
    pub school: PathBuf,
    /// The requests (R-000042); one or more.
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub common: RequestCommon,
}

#[derive(Debug, Args)]
pub struct RequestHoldArgs {
    /// The school folder.
    pub school: PathBuf,
    /// The requests; one or more.
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Why: fee (unpaid), consent (missing), correction (record under correction), grades
    /// (awaiting final grades), or other (say which in --note).
    #[arg(long)]
    pub reason: String,
    /// In your words.
    #[arg(long)]
    pub note: Option<String>,
    #[command(flatten)]
    pub common: RequestCommon,
}

#[derive(Debug, Args)]
pub struct RequestNoteArgs {
    /// The school folder.
    pub school: PathBuf,
    /// The requests; one or more.
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Why, or how you know.
    #[arg(long)]
    pub note: Option<String>,
    #[command(flatten)]
    pub common: RequestCommon,
}

#[derive(Debug, Args)]
pub struct RequestRejectArgs {
    /// The school folder.
    pub school: PathBuf,
    /// The requests; one or more.
    #[arg(required = true)]
    pub ids: Vec<String>,
    /// Why (the one who asked is told).
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub common: RequestCommon,
}

#[derive(Debug, Args)]
pub struct RequestConsentArgs {
    /// The school folder.
    pub school: PathBuf,
    /// The request.
    pub id: String,
    #[command(flatten)]
    pub consent: ConsentArgs,
    #[command(flatten)]
    pub common: RequestCommon,
}

#[derive(Debug, Args)]
pub struct RequestMatchArgs {
    /// The school folder.
    pub school: PathBuf,
    /// The request.
    pub id: String,
    /// The student it is for.
    #[arg(long, value_name = "ID")]
    pub student: String,
    #[command(flatten)]
    pub common: RequestCommon,
}

#[derive(Debug, Args)]
pub struct RequestSendArgs {
    /// The school folder: school.json, students/, the ledger and the queue.
    pub school: PathBuf,
    /// The requests to send; with --approved, every approved request instead.
    #[arg(required_unless_present = "approved")]
    pub ids: Vec<String>,
    /// Send every approved request.
    #[arg(long, conflicts_with = "ids")]
    pub approved: bool,
    /// The folder of issued transcripts (`mastery issue --out`).
    #[arg(long, value_name = "DIR")]
    pub issued: PathBuf,
    /// The folder to write packs and PESC responses into, one folder per send.
    #[arg(long, value_name = "DIR")]
    pub packs: PathBuf,
    /// The school's signing key, as written by `mastery keygen`.
    #[arg(long, value_name = "KEY_FILE")]
    pub key: PathBuf,
    /// The key of the school's document-signing certificate (PAdES).
    #[arg(long, value_name = "KEY_FILE")]
    pub pdf_key: Option<PathBuf>,
    /// A timestamp authority (RFC 3161) for each PDF's signature.
    #[arg(long, value_name = "URL")]
    pub tsa: Option<String>,
    /// How many transcripts to issue at once (default: one per core).
    #[arg(long, short)]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub common: RequestCommon,
}
