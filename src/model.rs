//! Plain data read from a school folder: the school's configuration and its students' records.
//!
//! These types mirror `schemas/school.schema.json` and `schemas/student.schema.json` one to one.
//! [`crate::validate`] only deserializes a document into them after the document passed its
//! schema, so serde's own errors are a second line of defence, not the user-facing messages.
//! Numbers that take part in arithmetic (scores, weights, credit values) are exact decimals,
//! never `f64`, so the same input gives the same digits on every machine.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

/// `school.json`: who the school is, what it credits and how it decides.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct School {
    /// The `$schema` the file names, if any (editors use it; `mastery` ignores it).
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Who the school is.
    pub profile: Profile,
    /// The issue date and where transcripts can be verified.
    #[serde(default)]
    pub transcript: TranscriptSettings,
    /// The proficiency scale.
    pub scale: Scale,
    /// How evidence becomes a level, school-wide, with its overrides.
    pub aggregation: Policy,
    /// The credit areas and credits.
    pub framework: Framework,
    /// What a graduate needs.
    pub graduation: Graduation,
    /// A GPA or percentage equivalent, when the school gives one.
    #[serde(default)]
    pub equivalency: Option<Equivalency>,
    /// How student files in other formats (CSV) are read.
    #[serde(default)]
    pub sources: Sources,
    /// Settings of the validator's checks.
    #[serde(default)]
    pub checks: Checks,
    /// Who issues the signed credentials (`mastery build --format clr`).
    #[serde(default)]
    pub credentials: Option<CredentialSettings>,
    /// The certificate that signs the issued PDFs (PAdES).
    #[serde(default)]
    pub document_signing: Option<DocumentSigning>,
    /// What each kind of reader may see.
    #[serde(default)]
    pub disclosure: BTreeMap<String, DisclosureProfile>,
}

/// Who signs the school's credentials, and with which key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialSettings {
    /// The school as issuer: a URL or DID.
    pub issuer_id: String,
    /// The key that signs: a did:key or did:web DID with the key as its fragment
    /// (`did:web:school.org#z6Mk...`), or the https URL of the key's own document
    /// (`https://school.org/keys/z6Mk...`).
    pub verification_method: String,
    /// Keys the school signed with before a rotation to `verification_method`: what they
    /// signed (ledger entries, credentials) stays the school's.
    #[serde(default)]
    pub retired_verification_methods: Vec<String>,
}

impl CredentialSettings {
    /// The settings of an issuer that signs with one key.
    pub fn new(issuer_id: &str, verification_method: &str) -> CredentialSettings {
        CredentialSettings {
            issuer_id: issuer_id.to_string(),
            verification_method: verification_method.to_string(),
            retired_verification_methods: Vec::new(),
        }
    }

    /// Every key of the school: the current one, then those retired.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.verification_method.as_str())
            .chain(self.retired_verification_methods.iter().map(String::as_str))
    }
}

/// The school's document-signing certificate, which signs every issued PDF (PAdES), so that
/// Acrobat, `pdfsig` and pyHanko see a signed document. Its key is given to `mastery issue`
/// with `--pdf-key`, never kept in the school folder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSigning {
    /// A PEM file of the school folder: the school's certificate first, then the CA
    /// certificates above it.
    pub certificate: String,
}

/// What one kind of reader may see of a student.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureProfile {
    /// Whether the reader sees the student's birth date.
    #[serde(default = "yes")]
    pub birth_date: bool,
    /// Whether the reader sees the student's id in the student information system.
    #[serde(default = "yes")]
    pub student_id: bool,
    /// Which work samples the reader sees.
    #[serde(default)]
    pub work_samples: WorkSampleDisclosure,
}

/// Which of a student's work samples a reader sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkSampleDisclosure {
    /// Every one.
    #[default]
    All,
    /// Those the student or school marked `featured`.
    Featured,
    /// None.
    None,
}

impl DisclosureProfile {
    /// Everything: the profile used without `--profile`, and the built-in `internal`.
    pub fn everything() -> DisclosureProfile {
        DisclosureProfile { birth_date: true, student_id: true, work_samples: WorkSampleDisclosure::All }
    }

    /// The built-in `college`: no birth date, no SIS id, only featured work samples.
    pub fn college() -> DisclosureProfile {
        DisclosureProfile { birth_date: false, student_id: false, work_samples: WorkSampleDisclosure::Featured }
    }
}

impl School {
    /// The disclosure profile called `name`: the school's own, else a built-in one.
    pub fn disclosure_profile(&self, name: &str) -> Option<DisclosureProfile> {
        self.disclosure.get(name).cloned().or_else(|| match name {
            "internal" => Some(DisclosureProfile::everything()),
            "college" => Some(DisclosureProfile::college()),
            _ => None,
        })
    }

    /// The names of every profile that can be asked for.
    pub fn disclosure_profile_names(&self) -> Vec<String> {
        let mut names: Vec<String> = ["college", "internal"].iter().map(|s| s.to_string()).collect();
        names.extend(self.disclosure.keys().cloned());
        names.sort();
        names.dedup();
        names
    }
}

/// How student records in other formats are read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    /// How CSV exports are read.
    #[serde(default)]
    pub csv: CsvSettings,
    /// How OneRoster 1.2 bundles are read.
    #[serde(default)]
    pub oneroster: OneRosterSettings,
    /// How Ed-Fi data (API JSON or XML interchanges) is read.
    #[serde(default)]
    pub edfi: EdFiSettings,
}

/// How Ed-Fi resources map onto student records.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EdFiSettings {
    /// Learning standard id to credit id; `None` leaves the standard's results out on purpose.
    pub learning_standards: BTreeMap<String, Option<String>>,
    /// Competency objective (its `objective` text) to credit id; `None` leaves it out.
    pub objectives: BTreeMap<String, Option<String>>,
    /// A competency level descriptor (the whole URI, or its code value after `#`), or a letter
    /// or numeric grade as written, to a level value.
    #[serde(deserialize_with = "decimal_map")]
    pub levels: BTreeMap<String, Decimal>,
    /// The month and day (`MM-DD`) a class graduates in its class-of year.
    pub graduation_day: Option<String>,
    /// Who assessed evidence whose section names no teacher of record (a competency review
    /// panel, say); without it, such evidence is an error.
    pub assessor: Option<String>,
}

/// How a OneRoster 1.2 CSV bundle maps onto student records.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OneRosterSettings {
    /// Which `users.csv` column is the student's id.
    pub student_id: OneRosterId,
    /// Learning objective id to credit id; `None` leaves the objective's results out on purpose.
    pub objectives: BTreeMap<String, Option<String>>,
    /// Line item `sourcedId` to credit id, for line items that name no objective.
    pub line_items: BTreeMap<String, Option<String>>,
    /// A score as written (a `textScore`, or a number as text) to a level value.
    #[serde(deserialize_with = "decimal_map")]
    pub scores: BTreeMap<String, Decimal>,
    /// What an exempt result becomes.
    pub exempt: ExemptResults,
    /// Where the expected graduation date comes from.
    pub expected_graduation: Option<GraduationRule>,
}

/// The `users.csv` column that holds the student id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum OneRosterId {
    /// `sourcedId`, which every user has.
    #[default]
    #[serde(rename = "sourcedId")]
    SourcedId,
    /// `identifier`, the human-readable id (the student number).
    #[serde(rename = "identifier")]
    Identifier,
}

/// What a result marked exempt becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExemptResults {
    /// Nothing: it is not evidence.
    #[default]
    Skip,
    /// An exemption from the credit, approved by the class's teacher.
    Exemption,
}

/// How a OneRoster student's expected graduation date is found.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum GraduationRule {
    /// A `users.csv` column (an extension column such as `metadata.expectedGraduation`).
    Column {
        /// Its header.
        column: String,
    },
    /// From the student's grade: the final grade graduates on `graduation_date`, each grade
    /// below it a year later.
    Grade {
        /// The final grade, as `users.csv` writes grades ("12").
        final_grade: String,
        /// The date the final grade graduates, YYYY-MM-DD.
        graduation_date: String,
    },
}

/// How a CSV export maps onto student records: one row per piece of evidence.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "CsvSettingsFile")]
pub struct CsvSettings {
    /// The field separator: one character, "," by default (";" and tab are common too).
    pub delimiter: String,
    /// How dates are written, as a chrono format such as "%m/%d/%Y"; by default YYYY-MM-DD.
    pub date_format: Option<String>,
    /// The gradebook report the columns follow, when the school names one.
    pub preset: Option<CsvPreset>,
    /// Which column holds which field: the preset's columns (or the field names), with the
    /// school's own `columns` over them.
    pub columns: CsvColumns,
    /// A CSV file of the school folder that says who each student is (`student_id`, the
    /// names, `birth_date`, `expected_graduation`), for an export that holds only scores.
    pub roster: Option<String>,
    /// The credit column's value (a gradebook's outcome id) to a credit id; `None` leaves its
    /// rows out on purpose.
    pub credits: BTreeMap<String, Option<String>>,
    /// A score as written to a level; when given, every score must be in it.
    pub scores: BTreeMap<String, Decimal>,
    /// The assessor column's value (a section) to the teacher who assessed it.
    pub assessors: BTreeMap<String, String>,
}

/// `sources.csv` as `school.json` writes it: the columns not yet laid over the preset's.
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
struct CsvSettingsFile {
    delimiter: String,
    date_format: Option<String>,
    preset: Option<CsvPreset>,
    columns: serde_json::Map<String, serde_json::Value>,
    roster: Option<String>,
    credits: BTreeMap<String, Option<String>>,
    #[serde(deserialize_with = "decimal_map")]
    scores: BTreeMap<String, Decimal>,
    assessors: BTreeMap<String, String>,
}

impl Default for CsvSettingsFile {
    fn default() -> Self {
        CsvSettingsFile {
            delimiter: ",".to_string(),
            date_format: None,
            preset: None,
            columns: serde_json::Map::new(),
            roster: None,
            credits: BTreeMap::new(),
            scores: BTreeMap::new(),
            assessors: BTreeMap::new(),
        }
    }
}

impl TryFrom<CsvSettingsFile> for CsvSettings {
    type Error = String;

    fn try_from(file: CsvSettingsFile) -> Result<Self, String> {
        let mut columns = file.preset.map(CsvPreset::columns).unwrap_or_default();
        columns.extend(file.columns);
        let columns = serde_json::from_value(serde_json::Value::Object(columns)).map_err(|e| e.to_string())?;
        let date_format = file.date_format.or_else(|| file.preset.map(|p| p.date_format().to_string()));
        Ok(CsvSettings {
            delimiter: file.delimiter,
            date_format,
            preset: file.preset,
            columns,
            roster: file.roster,
            credits: file.credits,
            scores: file.scores,
            assessors: file.assessors,
        })
    }
}

impl Default for CsvSettings {
    fn default() -> Self {
        CsvSettings::try_from(CsvSettingsFile::default()).expect("the default columns are columns")
    }
}

/// A gradebook report whose columns `mastery` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum CsvPreset {
    /// Canvas's Outcome Results report (an account report): one row per outcome result, with
    /// the student's SIS id, the outcome's Canvas id, the outcome score, the submission date
    /// and the section, but no birth date, graduation date or teacher.
    #[serde(rename = "canvas-outcome-results")]
    CanvasOutcomeResults,
}

impl CsvPreset {
    /// The name `school.json` gives it.
    pub fn name(self) -> &'static str {
        match self {
            CsvPreset::CanvasOutcomeResults => "canvas-outcome-results",
        }
    }

    /// The report's column for each field; `null` for a field it does not have.
    fn columns(self) -> serde_json::Map<String, serde_json::Value> {
        let columns = match self {
            CsvPreset::CanvasOutcomeResults => serde_json::json!({
                "student_id": "student sis id",
                "legal_name": null,
                "given_name": null,
                "family_name": null,
                "preferred_name": null,
                "birth_date": null,
                "expected_graduation": null,
                "credit": "learning outcome id",
                "credit_title": "learning outcome name",
                "score": "outcome score",
                "date": "submission date",
                "assessor": "section sis id",
                "work_sample_url": null,
                "work_sample_title": null,
                "note": "assessment title",
                "weight": null,
                "highlight": null,
            }),
        };
        match columns {
            serde_json::Value::Object(columns) => columns,
            _ => unreachable!("the columns are written as an object"),
        }
    }

    /// Columns besides the mapped ones that tell two rows apart: two questions of one quiz
    /// aligned to the same outcome are two results, not one result exported twice.
    pub fn distinct_columns(self) -> &'static [&'static str] {
        match self {
            CsvPreset::CanvasOutcomeResults => &["assessment id", "assessment question id", "attempt"],
        }
    }

    /// A column whose value, where there is one, is added to the note: the quiz question a
    /// result is for.
    pub fn note_detail_column(self) -> &'static str {
        match self {
            CsvPreset::CanvasOutcomeResults => "assessment question",
        }
    }

    /// How the report writes dates: Canvas writes ISO 8601 times with their offset
    /// (`2026-03-04T14:05:00-05:00`), whose date is the one the offset gives.
    fn date_format(self) -> &'static str {
        match self {
            CsvPreset::CanvasOutcomeResults => "%+",
        }
    }
}

impl CsvSettings {
    /// The separator as a byte (`tab` or `\t` for a tab).
    pub fn delimiter_byte(&self) -> u8 {
        match self.delimiter.as_str() {
            "\\t" | "tab" => b'\t',
            other => other.bytes().next().unwrap_or(b','),
        }
    }

    /// A date as written in the export, rewritten as YYYY-MM-DD when it follows
    /// `date_format`; left as it is otherwise, for validation to report.
    pub fn date(&self, text: &str) -> String {
        match &self.date_format {
            Some(format) => {
                NaiveDate::parse_from_str(text, format).map_or_else(|_| text.to_string(), |d| d.to_string())
            }
            None => text.to_string(),
        }
    }

    /// Whether the credit column holds a gradebook's own ids, which `credits` (or a CASE
    /// GUID) turns into credits, rather than credit ids.
    pub fn maps_credits(&self) -> bool {
        self.preset.is_some() || !self.credits.is_empty()
    }

    /// Whether the assessor column holds a section, which `assessors` names the teacher of.
    pub fn maps_assessors(&self) -> bool {
        self.preset.is_some() || !self.assessors.is_empty()
    }
}

/// The header of the column that holds each field. The defaults are the field names.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsvColumns {
    /// The student's id.
    pub student_id: String,
    /// The legal name in one column...
    pub legal_name: Option<String>,
    /// ...or in two, joined as "given family".
    pub given_name: Option<String>,
    /// The family name, with `given_name`.
    pub family_name: Option<String>,
    /// The name the student goes by.
    pub preferred_name: Option<String>,
    /// The birth date.
    pub birth_date: Option<String>,
    /// The expected graduation date.
    pub expected_graduation: Option<String>,
    /// The credit a piece of evidence is for.
    pub credit: String,
    /// The gradebook's title of what the credit column holds (an outcome's name), for hints
    /// and `mastery map`; never printed.
    pub credit_title: Option<String>,
    /// Its score.
    pub score: String,
    /// The date it was assessed.
    pub date: String,
    /// Who assessed it.
    pub assessor: String,
    /// A work sample's address.
    pub work_sample_url: Option<String>,
    /// A work sample's title.
    pub work_sample_title: Option<String>,
    /// The assessor's note.
    pub note: Option<String>,
    /// The evidence's weight in a mean.
    pub weight: Option<String>,
    /// A highlight of the student's, on any of their rows. A row with a highlight and none of
    /// the evidence columns carries only the highlight.
    pub highlight: Option<String>,
}

impl Default for CsvColumns {
    fn default() -> Self {
        let some = |name: &str| Some(name.to_string());
        CsvColumns {
            student_id: "student_id".into(),
            legal_name: some("legal_name"),
            given_name: some("given_name"),
            family_name: some("family_name"),
            preferred_name: some("preferred_name"),
            birth_date: some("birth_date"),
            expected_graduation: some("expected_graduation"),
            credit: "credit".into(),
            credit_title: None,
            score: "score".into(),
            date: "date".into(),
            assessor: "assessor".into(),
            work_sample_url: some("work_sample_url"),
            work_sample_title: some("work_sample_title"),
            note: some("note"),
            weight: some("weight"),
            highlight: some("highlight"),
        }
    }
}

/// Settings of the checks that give warnings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Checks {
    /// Evidence assessed more than this many days before the issue date gets a warning.
    pub max_evidence_age_days: Option<u32>,
}

impl Default for Checks {
    fn default() -> Self {
        Checks { max_evidence_age_days: Some(5 * 365) }
    }
}

/// The school block printed on every transcript.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The school's name.
    pub name: String,
    /// Its postal address.
    pub address: Address,
    /// The College Board's CEEB code, which admission offices file transcripts by.
    #[serde(default)]
    pub ceeb_code: Option<String>,
    /// Whom a reader asks about a transcript.
    pub contact: Contact,
    /// Path of the logo, relative to the school folder (PNG, JPEG or SVG).
    #[serde(default)]
    pub logo: Option<String>,
    /// A short paragraph for the reader: what a mastery transcript is and how to read this one.
    pub how_to_read: String,
    /// Longer profile text: pedagogy, community, what the school is known for.
    #[serde(default)]
    pub about: Option<String>,
}

/// A postal address.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// The street and number.
    pub street: String,
    /// The city.
    pub city: String,
    /// The state, province or region.
    #[serde(default)]
    pub region: Option<String>,
    /// The postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// The country.
    pub country: String,
}

/// Whom to contact at the school (usually the registrar).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// A person or office.
    #[serde(default)]
    pub name: Option<String>,
    /// An email address.
    #[serde(default)]
    pub email: Option<String>,
    /// A telephone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// The school's web site.
    #[serde(default)]
    pub website: Option<String>,
}

/// Settings of the issued document itself.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscriptSettings {
    /// The date printed as "issued", written into the PDF as its creation date, and the
    /// reference point for "in the future" checks. `--issue-date` overrides it.
    #[serde(default, deserialize_with = "opt_date")]
    pub issue_date: Option<NaiveDate>,
    /// Where the school publishes each transcript's verifiable record: the verification line
    /// and QR code point to `<base>/<credential id>.json`.
    #[serde(default)]
    pub verification_url_base: Option<String>,
}

/// The ordered proficiency scale.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scale {
    /// Levels from lowest to highest.
    pub levels: Vec<ScaleLevel>,
    /// The level at or above which a credit counts as mastered.
    #[serde(deserialize_with = "decimal")]
    pub mastery_threshold: Decimal,
    /// Scores and results are multiples of `step` above the lowest level (default 1).
    #[serde(default = "one", deserialize_with = "decimal")]
    pub step: Decimal,
}

/// One level of the scale.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleLevel {
    /// Its value: scores and results are numbers on the scale.
    #[serde(deserialize_with = "decimal")]
    pub value: Decimal,
    /// Its name, such as "Proficient".
    pub label: String,
    /// What it means, for the reader.
    pub description: String,
}

impl Scale {
    /// The lowest level's value.
    pub fn min(&self) -> Decimal {
        self.levels.first().map_or(Decimal::ZERO, |l| l.value)
    }

    /// The highest level's value.
    pub fn max(&self) -> Decimal {
        self.levels.last().map_or(Decimal::ZERO, |l| l.value)
    }

    /// Whether `score` lies on the scale: within its range and a whole number of steps above
    /// its lowest level.
    pub fn contains(&self, score: Decimal) -> bool {
        score >= self.min()
            && score <= self.max()
            && (self.step.is_zero() || ((score - self.min()) % self.step).is_zero())
    }

    /// The label of the highest level whose value does not exceed `value`.
    pub fn label_for(&self, value: Decimal) -> Option<&ScaleLevel> {
        self.levels.iter().rev().find(|level| level.value <= value)
    }
}

/// How evidence becomes a level, and what else a credit needs to count.
///
/// The school sets one policy; areas and credits may override any part of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// How a credit's scores become its level.
    pub method: MethodSpec,
    /// Fewer counted pieces of evidence than this give no level at all.
    #[serde(default = "one_u32")]
    pub min_evidence: u32,
    /// Whether a teacher's approval is needed as well.
    pub attestation: AttestationRule,
    /// Where areas and credits decide otherwise.
    #[serde(default)]
    pub overrides: Overrides,
}

/// Per-area and per-credit changes to the school's policy.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// By area id.
    #[serde(default)]
    pub areas: BTreeMap<String, PolicyOverride>,
    /// By credit id; a credit's override comes before its area's.
    #[serde(default)]
    pub credits: BTreeMap<String, PolicyOverride>,
}

/// The parts of the policy an area or a credit changes; the others stay.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyOverride {
    /// Another method.
    #[serde(default)]
    pub method: Option<MethodSpec>,
    /// Another least number of pieces of evidence.
    #[serde(default)]
    pub min_evidence: Option<u32>,
    /// Another attestation rule.
    #[serde(default)]
    pub attestation: Option<AttestationRule>,
    /// Why the school chose a different rule here; printed in "how to read this transcript".
    #[serde(default)]
    pub reason: Option<String>,
}

/// A method as written in `school.json`: a bare name (the method with every parameter at its
/// default) or an object with parameters. A bare name is read as the object `{"name": NAME}`,
/// so the names and defaults are [`Method`]'s alone; `n_times` and `recent_window`, whose
/// count has no default, have no bare form.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "WrittenMethod")]
pub struct MethodSpec(Method);

impl MethodSpec {
    /// The method, with any parameter not written at its default.
    pub fn method(&self) -> Method {
        self.0.clone()
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WrittenMethod {
    Name(String),
    Full(Method),
}

impl TryFrom<WrittenMethod> for MethodSpec {
    type Error = String;

    fn try_from(written: WrittenMethod) -> Result<MethodSpec, String> {
        match written {
            WrittenMethod::Full(method) => Ok(MethodSpec(method)),
            WrittenMethod::Name(name) => serde_json::from_value(serde_json::json!({ "name": name }))
                .map(MethodSpec)
                .map_err(|e| format!("the method \"{name}\" cannot be written as a bare name: {e}")),
        }
    }
}

/// An aggregation method with its parameters; see `aggregate::method` for the definitions.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum Method {
    /// The latest score.
    MostRecent,
    /// The highest score.
    Highest,
    /// The mean, each score by its evidence's weight.
    Mean,
    /// The middle score, or the mean of the two middle scores.
    Median,
    /// The most frequent score.
    Mode {
        /// What a tie gives.
        #[serde(default)]
        tie: ModeTie,
    },
    /// Each new score counts `weight`, the average before it the rest: d = (1−w)·d + w·s.
    DecayingAverage {
        /// w, from 0.50 to 0.99 (default 0.65).
        #[serde(default = "default_weight", deserialize_with = "decimal")]
        weight: Decimal,
    },
    /// The latest score counts `weight`, the mean of the earlier ones the rest.
    WeightedRecent {
        /// w, from 0.50 to 0.99 (default 0.65).
        #[serde(default = "default_weight", deserialize_with = "decimal")]
        weight: Decimal,
    },
    /// Marzano's power law: the least-squares fit of ln s over ln i, read at the last score.
    PowerLaw {
        /// Fewer scores than this give no level (default 3).
        #[serde(default = "three")]
        min_scores: u32,
    },
    /// The mean of the scores at mastery, once there are `n` of them.
    NTimes {
        /// How many scores at mastery a level needs.
        n: u32,
    },
    /// The mean or the highest of the `k` most recent scores.
    RecentWindow {
        /// How many recent scores count.
        k: u32,
        /// Their mean or their highest.
        #[serde(default)]
        of: WindowStat,
    },
}

impl Method {
    /// The method's name as `school.json` spells it (serde's `rename_all`, written out once
    /// for the transcript; a test checks the two agree).
    pub fn name(&self) -> &'static str {
        match self {
            Method::MostRecent => "most_recent",
            Method::Highest => "highest",
            Method::Mean => "mean",
            Method::Median => "median",
            Method::Mode { .. } => "mode",
            Method::DecayingAverage { .. } => "decaying_average",
            Method::WeightedRecent { .. } => "weighted_recent",
            Method::PowerLaw { .. } => "power_law",
            Method::NTimes { .. } => "n_times",
            Method::RecentWindow { .. } => "recent_window",
        }
    }
}

/// How a mode breaks a tie between scores as frequent as each other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeTie {
    /// The higher score.
    #[default]
    Higher,
    /// The score given most recently.
    MoreRecent,
    /// No level: a teacher decides.
    None,
}

/// What `recent_window` takes of its scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowStat {
    /// Their mean.
    #[default]
    Mean,
    /// The highest.
    Highest,
}

/// Whether a credit needs a teacher's approval besides its level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestationRule {
    /// The level alone decides.
    None,
    /// An approved attestation must exist as well.
    Approved,
}

/// Credit areas and the credits inside them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// Where the framework came from, when it was imported.
    #[serde(default)]
    pub source: Option<FrameworkSource>,
    /// The areas, in the order the transcript shows them.
    pub areas: Vec<Area>,
    /// The credits, each in one area.
    pub credits: Vec<Credit>,
}

/// Where an imported framework came from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkSource {
    /// "CASE" for a framework imported from a CASE package.
    pub format: String,
    /// The source document's title.
    #[serde(default)]
    pub title: Option<String>,
    /// Its URI.
    #[serde(default)]
    pub uri: Option<String>,
    /// Who publishes it.
    #[serde(default)]
    pub creator: Option<String>,
    /// Its version.
    #[serde(default)]
    pub version: Option<String>,
}

/// A credit area, such as "Mathematical Reasoning".
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// Its id, which credits and requirements name.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What it covers.
    pub description: String,
    /// The CASE item this area came from, when the framework was imported.
    #[serde(default)]
    pub uri: Option<String>,
    /// A title of at most 30 characters, for where there is no room for the title (PESC XML's
    /// subject area).
    #[serde(default)]
    pub short_title: Option<String>,
}

/// A mastery credit: a competency a student earns by showing evidence of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credit {
    /// Its id, which evidence names.
    pub id: String,
    /// The id of its area.
    pub area: String,
    /// Its title.
    pub title: String,
    /// What a student shows to earn it.
    pub description: String,
    /// Foundational or advanced.
    pub level: CreditLevel,
    /// What it counts towards graduation, in credits.
    #[serde(deserialize_with = "decimal")]
    pub value: Decimal,
    /// The CASE item it came from, when the framework was imported.
    #[serde(default)]
    pub uri: Option<String>,
}

/// The tier of a credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditLevel {
    /// A foundational credit.
    Foundational,
    /// An advanced credit.
    Advanced,
}

/// What a student needs to graduate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Graduation {
    /// Sum of the credit values of earned credits, over all areas.
    #[serde(deserialize_with = "decimal")]
    pub total_credits: Decimal,
    /// Of which at least this much must be advanced credit.
    #[serde(default, deserialize_with = "decimal")]
    pub advanced_credits: Decimal,
    /// Per-area requirements, by area id.
    #[serde(default)]
    pub areas: BTreeMap<String, AreaRequirement>,
    /// Credits every graduate must have earned, by id.
    #[serde(default)]
    pub required_credits: Vec<String>,
}

/// What a graduate needs in one area.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaRequirement {
    /// The least credit value earned in the area.
    #[serde(deserialize_with = "decimal")]
    pub credits: Decimal,
    /// No assessed credit in this area may stand below this level.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub min_level: Option<Decimal>,
}

/// An optional conversion of levels into a GPA or percentage, for forms that demand one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Equivalency {
    /// For example "4.0 GPA equivalent".
    pub label: String,
    /// What the conversion means and how to read it.
    pub explanation: String,
    /// Digits printed after the decimal point.
    #[serde(default = "two_u32")]
    pub digits: u32,
    /// The conversion, level range by level range.
    pub table: Vec<EquivalencyRow>,
    /// Print the equivalency on page 1 as well as in its own section.
    #[serde(default)]
    pub on_first_page: bool,
}

/// Levels from `from` to `to` map linearly onto `value_from`..`value_to`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquivalencyRow {
    /// The lowest level of the range.
    #[serde(deserialize_with = "decimal")]
    pub from: Decimal,
    /// The highest level of the range.
    #[serde(deserialize_with = "decimal")]
    pub to: Decimal,
    /// What `from` converts to.
    #[serde(deserialize_with = "decimal")]
    pub value_from: Decimal,
    /// What `to` converts to; without it, the whole range converts to `value_from`.
    #[serde(default, deserialize_with = "opt_decimal")]
    pub value_to: Option<Decimal>,
}

/// One student's record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Student {
    /// The `$schema` the file names, if any.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// The student's id in the school's student information system.
    pub id: String,
    /// The student's name.
    pub name: Name,
    /// The birth date.
    #[serde(deserialize_with = "date")]
    pub birth_date: NaiveDate,
    /// When the student is expected to graduate.
    #[serde(deserialize_with = "date")]
    pub expected_graduation: NaiveDate,
    /// Every assessment of the student's work.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Work the student did, which evidence may point to.
    #[serde(default)]
    pub work_samples: Vec<WorkSample>,
    /// Teachers' approvals (or exemptions) of credits.
    #[serde(default)]
    pub attestations: Vec<Attestation>,
    /// A few lines the student or school wants a reader to see.
    #[serde(default)]
    pub highlights: Vec<String>,
}

/// A student's name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Name {
    /// The name as it stands in the school's legal records, in one piece: many names do not
    /// split into given and family parts.
    pub legal: String,
    /// The name the student goes by, when it differs.
    #[serde(default)]
    pub preferred: Option<String>,
    /// The legal name's given name, as the student information system keeps it, for formats
    /// that want a name in parts (PESC XML's first, middle and last names); the transcript
    /// prints `legal`.
    #[serde(default)]
    pub given: Option<String>,
    /// The legal name's middle names.
    #[serde(default)]
    pub middle: Option<String>,
    /// The legal name's family name.
    #[serde(default)]
    pub family: Option<String>,
}

impl Name {
    /// The name to print first: the preferred name when there is one.
    pub fn display(&self) -> &str {
        self.preferred.as_deref().unwrap_or(&self.legal)
    }
}

/// One assessment: a score on the scale for one credit, on a day, by a teacher.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// The id of the credit.
    pub credit: String,
    /// The score, on the school's scale.
    #[serde(deserialize_with = "decimal")]
    pub score: Decimal,
    /// When it was assessed.
    #[serde(deserialize_with = "date")]
    pub date: NaiveDate,
    /// Who assessed it.
    pub assessor: String,
    /// The id of the work sample it judged.
    #[serde(default)]
    pub work_sample: Option<String>,
    /// The assessor's note.
    #[serde(default)]
    pub note: Option<String>,
    /// Weight in a mean (default 1); weight 0 keeps the score on record but out of the count.
    #[serde(default = "one", deserialize_with = "decimal")]
    pub weight: Decimal,
}

/// A piece of the student's work.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkSample {
    /// Its id, which evidence names.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What it is.
    pub description: String,
    /// Where a reader can see it.
    pub url: String,
    /// When it was made.
    #[serde(deserialize_with = "date")]
    pub date: NaiveDate,
    /// The credits it shows.
    pub credits: Vec<String>,
    /// Shown to readers who see featured samples only.
    #[serde(default)]
    pub featured: bool,
}

/// A teacher's decision on a credit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// The id of the credit.
    pub credit: String,
    /// What was decided.
    pub status: AttestationStatus,
    /// Who approved it (required unless pending).
    #[serde(default)]
    pub approved_by: Option<String>,
    /// When.
    #[serde(deserialize_with = "date")]
    pub date: NaiveDate,
}

/// What a teacher decided about a credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestationStatus {
    /// Not decided yet.
    Pending,
    /// Approved: the level stands.
    Approved,
    /// Exempt: the credit counts as earned without evidence, with a note.
    Exempt,
}

/// Turns a JSON number into an exact decimal through its shortest decimal spelling, so that
/// `0.65` becomes exactly 0.65 rather than the nearest binary fraction.
#[allow(
    clippy::disallowed_types,
    reason = "a JSON number arrives as a double only when it has no exact decimal reading, and is refused unless it reads back the same"
)]
pub fn decimal_from_f64(number: f64) -> Option<Decimal> {
    if !number.is_finite() {
        return None;
    }
    // Most scores and weights have at most four decimals: find those without formatting. The
    // division by 10⁴ rounds correctly, so the test passes exactly when the four-decimal value
    // reads back as `number`, and below 10¹¹ no other value of four or fewer decimals lies that
    // close, so the result is the shortest form, as from formatting.
    let scaled = (number * 10_000.0).round();
    if scaled.abs() < 1e15 && scaled / 10_000.0 == number {
        let (mut digits, mut scale) = (scaled as i64, 4);
        while scale > 0 && digits % 10 == 0 {
            digits /= 10;
            scale -= 1;
        }
        return Some(Decimal::new(digits, scale));
    }
    number.to_string().parse().ok()
}

#[allow(
    clippy::disallowed_types,
    reason = "a JSON number arrives as a double only when it has no exact decimal reading, and is refused unless it reads back the same"
)]
fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let number = f64::deserialize(deserializer)?;
    decimal_from_f64(number).ok_or_else(|| serde::de::Error::custom(format!("number {number} is out of range")))
}

fn decimal_map<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, Decimal>, D::Error> {
    #[derive(Deserialize)]
    struct Exact(#[serde(deserialize_with = "decimal")] Decimal);
    let map = BTreeMap::<String, Exact>::deserialize(deserializer)?;
    Ok(map.into_iter().map(|(key, Exact(value))| (key, value)).collect())
}

fn opt_decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
    decimal(deserializer).map(Some)
}

/// Parses a calendar date written as `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    // chrono alone would accept a year with more than four digits and a sign; a transcript
    // date never has either.
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    // Parsed by hand: chrono's strftime parser reads its format string on every call, which
    // shows in the profile of a validation run.
    let number = |range: std::ops::Range<usize>| {
        text.get(range).filter(|s| s.bytes().all(|b| b.is_ascii_digit()))?.parse::<u32>().ok()
    };
    NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)
}

fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    // A visitor rather than `String::deserialize`, so that a date read from a parsed value is
    // not copied first.
    struct DateVisitor;
    impl serde::de::Visitor<'_> for DateVisitor {
        type Value = NaiveDate;

        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a date of the form YYYY-MM-DD")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<NaiveDate, E> {
            parse_date(text).ok_or_else(|| E::custom(format!("\"{text}\" is not a date of the form YYYY-MM-DD")))
        }
    }
    deserializer.deserialize_str(DateVisitor)
}

fn opt_date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
    date(deserializer).map(Some)
}

fn one() -> Decimal {
    Decimal::ONE
}

fn yes() -> bool {
    true
}

fn one_u32() -> u32 {
    1
}

fn two_u32() -> u32 {
    2
}

fn three() -> u32 {
    3
}

/// The weight of the newest score in the decaying and weighted-recent methods (Canvas and
/// MasteryConnect both default to 65 %).
pub fn default_weight() -> Decimal {
    Decimal::new(65, 2)
}

#[allow(clippy::disallowed_types, reason = "the conversion tested against doubles")]
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_preset_gives_its_columns_and_the_school_overrides_any_of_them() {
        let settings: CsvSettings = serde_json::from_value(serde_json::json!({
            "preset": "canvas-outcome-results",
            "columns": {"score": "learning outcome rating"}
        }))
        .unwrap();
        let columns = &settings.columns;
        assert_eq!((columns.student_id.as_str(), columns.credit.as_str()), ("student sis id", "learning outcome id"));
        assert_eq!(columns.score, "learning outcome rating");
        assert_eq!((columns.birth_date.as_deref(), columns.legal_name.as_deref()), (None, None));
        // Canvas's times, with an offset or in UTC, give the date as written.
        assert_eq!(settings.date("2025-12-02T22:45:00-05:00"), "2025-12-02");
        assert_eq!(settings.date("2025-12-03T03:45:00Z"), "2025-12-03");
        assert_eq!(settings.date("2025-12-02"), "2025-12-02", "not a time: left for validation");
        // Without a preset, every column is its field's name.
        let plain = CsvSettings::default();
        assert_eq!(
            (plain.columns.credit.as_str(), plain.columns.birth_date.as_deref()),
            ("credit", Some("birth_date"))
        );
        assert!(!plain.maps_credits() && !plain.maps_assessors());
    }

    #[test]
    fn a_method_is_read_back_by_the_name_it_gives() {
        let written = [
            r#"{"name": "most_recent"}"#,
            r#"{"name": "highest"}"#,
            r#"{"name": "mean"}"#,
            r#"{"name": "median"}"#,
            r#"{"name": "mode", "tie": "none"}"#,
            r#"{"name": "decaying_average", "weight": 0.8}"#,
            r#"{"name": "weighted_recent"}"#,
            r#"{"name": "power_law", "min_scores": 4}"#,
            r#"{"name": "n_times", "n": 2}"#,
            r#"{"name": "recent_window", "k": 3, "of": "highest"}"#,
        ];
        for text in written {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            let method: Method = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(method.name(), value["name"], "{text}");
        }
    }

    #[test]
    fn a_bare_name_is_the_method_at_its_defaults() {
        let bare = |name: &str| serde_json::from_value::<MethodSpec>(serde_json::json!(name)).map(|m| m.method());
        assert_eq!(bare("mode").unwrap(), Method::Mode { tie: ModeTie::Higher });
        assert_eq!(bare("decaying_average").unwrap(), Method::DecayingAverage { weight: default_weight() });
        assert_eq!(bare("power_law").unwrap(), Method::PowerLaw { min_scores: 3 });
        assert!(bare("n_times").is_err());
        assert!(bare("recent_window").is_err());
        assert!(bare("average").is_err());
    }

    fn by_formatting(number: f64) -> Decimal {
        number.to_string().parse().unwrap()
    }

    #[test]
    fn numbers_convert_as_they_are_written() {
        for (number, text) in
            [(3.0, "3"), (2.5, "2.5"), (0.65, "0.65"), (0.1, "0.1"), (1e-5, "0.00001"), (-1.25, "-1.25")]
        {
            assert_eq!(decimal_from_f64(number).unwrap().to_string(), text);
        }
        assert_eq!(decimal_from_f64(f64::NAN), None);
    }

    proptest! {
        #[test]
        fn the_quick_path_agrees_with_formatting(whole in -1_000_000i64..1_000_000, fraction in 0u32..10_000, digits in 0u32..6) {
            let number = whole as f64 + f64::from(fraction) / 10f64.powi(digits as i32 + 1);
            let quick = decimal_from_f64(number).unwrap();
            let formatted = by_formatting(number);
            prop_assert_eq!(quick, formatted);
            prop_assert_eq!(quick.to_string(), formatted.to_string());
        }

        #[test]
        fn any_finite_number_agrees_with_formatting(number in -1e12f64..1e12) {
            prop_assert_eq!(decimal_from_f64(number).unwrap().to_string(), by_formatting(number).to_string());
        }
    }
}
