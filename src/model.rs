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
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    pub profile: Profile,
    #[serde(default)]
    pub transcript: TranscriptSettings,
    pub scale: Scale,
    pub aggregation: Policy,
    pub framework: Framework,
    pub graduation: Graduation,
    #[serde(default)]
    pub equivalency: Option<Equivalency>,
    #[serde(default)]
    pub sources: Sources,
    #[serde(default)]
    pub checks: Checks,
    /// Who issues the signed credentials (`mastery build --format clr`).
    #[serde(default)]
    pub credentials: Option<CredentialSettings>,
    /// What each kind of reader may see.
    #[serde(default)]
    pub disclosure: BTreeMap<String, DisclosureProfile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialSettings {
    /// The school as issuer: a URL or DID.
    pub issuer_id: String,
    /// The key that signs: a did:key, or a did:web or https URL with a fragment
    /// (`https://school.org/issuer#z6Mk...`).
    pub verification_method: String,
}

/// What one kind of reader may see of a student.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureProfile {
    #[serde(default = "yes")]
    pub birth_date: bool,
    /// The student information system's id.
    #[serde(default = "yes")]
    pub student_id: bool,
    #[serde(default)]
    pub work_samples: WorkSampleDisclosure,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkSampleDisclosure {
    #[default]
    All,
    Featured,
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
    #[serde(default)]
    pub csv: CsvSettings,
}

/// How a CSV export maps onto student records: one row per piece of evidence.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsvSettings {
    /// The field separator: one character, "," by default (";" and tab are common too).
    pub delimiter: String,
    /// How dates are written, as a chrono format such as "%m/%d/%Y"; by default YYYY-MM-DD.
    pub date_format: Option<String>,
    pub columns: CsvColumns,
}

impl Default for CsvSettings {
    fn default() -> Self {
        CsvSettings { delimiter: ",".to_string(), date_format: None, columns: CsvColumns::default() }
    }
}

impl CsvSettings {
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
}

/// The header of the column that holds each field. The defaults are the field names.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsvColumns {
    pub student_id: String,
    /// The legal name in one column...
    pub legal_name: Option<String>,
    /// ...or in two, joined as "given family".
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub preferred_name: Option<String>,
    pub birth_date: String,
    pub expected_graduation: String,
    pub credit: String,
    pub score: String,
    pub date: String,
    pub assessor: String,
    pub work_sample_url: Option<String>,
    pub work_sample_title: Option<String>,
    pub note: Option<String>,
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
            birth_date: "birth_date".into(),
            expected_graduation: "expected_graduation".into(),
            credit: "credit".into(),
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
    pub name: String,
    pub address: Address,
    #[serde(default)]
    pub ceeb_code: Option<String>,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub street: String,
    pub city: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    pub country: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleLevel {
    #[serde(deserialize_with = "decimal")]
    pub value: Decimal,
    pub label: String,
    pub description: String,
}

impl Scale {
    pub fn min(&self) -> Decimal {
        self.levels.first().map_or(Decimal::ZERO, |l| l.value)
    }

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
    pub method: MethodSpec,
    /// Fewer counted pieces of evidence than this give no level at all.
    #[serde(default = "one_u32")]
    pub min_evidence: u32,
    pub attestation: AttestationRule,
    #[serde(default)]
    pub overrides: Overrides,
}

/// Per-area and per-credit changes to the school's policy.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    #[serde(default)]
    pub areas: BTreeMap<String, PolicyOverride>,
    #[serde(default)]
    pub credits: BTreeMap<String, PolicyOverride>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyOverride {
    #[serde(default)]
    pub method: Option<MethodSpec>,
    #[serde(default)]
    pub min_evidence: Option<u32>,
    #[serde(default)]
    pub attestation: Option<AttestationRule>,
    /// Why the school chose a different rule here; printed in "how to read this transcript".
    #[serde(default)]
    pub reason: Option<String>,
}

/// A method as written in `school.json`: a bare name, or an object with parameters.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum MethodSpec {
    Name(MethodName),
    Full(Method),
}

impl MethodSpec {
    pub fn method(&self) -> Method {
        match self {
            MethodSpec::Full(method) => method.clone(),
            MethodSpec::Name(name) => name.with_defaults(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MethodName {
    MostRecent,
    Highest,
    Mean,
    Median,
    Mode,
    DecayingAverage,
    WeightedRecent,
    PowerLaw,
}

impl MethodName {
    /// The method with every parameter at its documented default. `n_times` and
    /// `recent_window` have no bare form: their count must be written out.
    pub fn with_defaults(self) -> Method {
        match self {
            MethodName::MostRecent => Method::MostRecent,
            MethodName::Highest => Method::Highest,
            MethodName::Mean => Method::Mean,
            MethodName::Median => Method::Median,
            MethodName::Mode => Method::Mode { tie: ModeTie::Higher },
            MethodName::DecayingAverage => Method::DecayingAverage { weight: default_weight() },
            MethodName::WeightedRecent => Method::WeightedRecent { weight: default_weight() },
            MethodName::PowerLaw => Method::PowerLaw { min_scores: 3 },
        }
    }
}

/// An aggregation method with its parameters; see `aggregate::method` for the definitions.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case", deny_unknown_fields)]
pub enum Method {
    MostRecent,
    Highest,
    Mean,
    Median,
    Mode {
        #[serde(default)]
        tie: ModeTie,
    },
    DecayingAverage {
        #[serde(default = "default_weight", deserialize_with = "decimal")]
        weight: Decimal,
    },
    WeightedRecent {
        #[serde(default = "default_weight", deserialize_with = "decimal")]
        weight: Decimal,
    },
    PowerLaw {
        #[serde(default = "three")]
        min_scores: u32,
    },
    NTimes {
        n: u32,
    },
    RecentWindow {
        k: u32,
        #[serde(default)]
        of: WindowStat,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeTie {
    #[default]
    Higher,
    MoreRecent,
    None,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowStat {
    #[default]
    Mean,
    Highest,
}

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
    pub areas: Vec<Area>,
    pub credits: Vec<Credit>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkSource {
    /// "CASE" for a framework imported from a CASE package.
    pub format: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub uri: Option<String>,
    #[serde(default)]
    pub creator: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The CASE item this area came from, when the framework was imported.
    #[serde(default)]
    pub uri: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credit {
    pub id: String,
    pub area: String,
    pub title: String,
    pub description: String,
    pub level: CreditLevel,
    #[serde(deserialize_with = "decimal")]
    pub value: Decimal,
    #[serde(default)]
    pub uri: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditLevel {
    Foundational,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaRequirement {
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
    pub explanation: String,
    /// Digits printed after the decimal point.
    #[serde(default = "two_u32")]
    pub digits: u32,
    pub table: Vec<EquivalencyRow>,
    /// Print the equivalency on page 1 as well as in its own section.
    #[serde(default)]
    pub on_first_page: bool,
}

/// Levels from `from` to `to` map linearly onto `value_from`..`value_to`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquivalencyRow {
    #[serde(deserialize_with = "decimal")]
    pub from: Decimal,
    #[serde(deserialize_with = "decimal")]
    pub to: Decimal,
    #[serde(deserialize_with = "decimal")]
    pub value_from: Decimal,
    #[serde(default, deserialize_with = "opt_decimal")]
    pub value_to: Option<Decimal>,
}

/// One student's record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Student {
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    pub id: String,
    pub name: Name,
    #[serde(deserialize_with = "date")]
    pub birth_date: NaiveDate,
    #[serde(deserialize_with = "date")]
    pub expected_graduation: NaiveDate,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    #[serde(default)]
    pub work_samples: Vec<WorkSample>,
    #[serde(default)]
    pub attestations: Vec<Attestation>,
    #[serde(default)]
    pub highlights: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Name {
    /// The name as it stands in the school's legal records, in one piece: many names do not
    /// split into given and family parts.
    pub legal: String,
    /// The name the student goes by, when it differs.
    #[serde(default)]
    pub preferred: Option<String>,
}

impl Name {
    /// The name to print first: the preferred name when there is one.
    pub fn display(&self) -> &str {
        self.preferred.as_deref().unwrap_or(&self.legal)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub credit: String,
    #[serde(deserialize_with = "decimal")]
    pub score: Decimal,
    #[serde(deserialize_with = "date")]
    pub date: NaiveDate,
    pub assessor: String,
    #[serde(default)]
    pub work_sample: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// Weight in a mean (default 1); weight 0 keeps the score on record but out of the count.
    #[serde(default = "one", deserialize_with = "decimal")]
    pub weight: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkSample {
    pub id: String,
    pub title: String,
    pub description: String,
    pub url: String,
    #[serde(deserialize_with = "date")]
    pub date: NaiveDate,
    pub credits: Vec<String>,
    #[serde(default)]
    pub featured: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    pub credit: String,
    pub status: AttestationStatus,
    #[serde(default)]
    pub approved_by: Option<String>,
    #[serde(deserialize_with = "date")]
    pub date: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttestationStatus {
    Pending,
    Approved,
    Exempt,
}

/// Turns a JSON number into an exact decimal through its shortest decimal spelling, so that
/// `0.65` becomes exactly 0.65 rather than the nearest binary fraction.
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

fn decimal<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    let number = f64::deserialize(deserializer)?;
    decimal_from_f64(number).ok_or_else(|| serde::de::Error::custom(format!("number {number} is out of range")))
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
