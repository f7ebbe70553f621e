//! The transcript: everything printed about one student, as plain data.
//!
//! [`crate::aggregate`] builds it; the templates read it as JSON (`/data.json`), and
//! `mastery build --format data` writes that same JSON, so this module is a published format:
//! `templates/README.md` documents it field by field, and [`FORMAT`] changes with any change
//! that is not an addition. Numbers are [`Fixed`] or [`Amount`]: exact decimals inside, strings
//! with their digits fixed in the JSON, so that every machine prints the same thing and a
//! template never has to round.

use serde::Serialize;

use crate::decimal::{Amount, Fixed};
use crate::model::{AttestationStatus, CreditLevel};

/// The name and version of this data format.
pub const FORMAT: &str = "mastery-transcript/1";

/// Everything printed about one student: what templates read as `/data.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Transcript {
    /// [`FORMAT`].
    pub format: &'static str,
    /// The run's choices of layout.
    pub layout: Layout,
    /// YYYY-MM-DD.
    pub issue_date: String,
    /// The school block.
    pub school: SchoolBlock,
    /// The student block.
    pub student: StudentBlock,
    /// The proficiency scale, for the key.
    pub scale: ScaleBlock,
    /// The school's rules, for "how to read this transcript".
    pub policy: PolicyBlock,
    /// Each area with its credits, in the framework's order.
    pub areas: Vec<AreaResult>,
    /// Credits earned and offered, over all areas.
    pub totals: Totals,
    /// Where the student stands against the graduation requirements.
    pub graduation: GraduationResult,
    /// At most three, in the student's order: the ones for page 1.
    pub highlights: Vec<String>,
    /// The GPA or percentage equivalent, when the school gives one.
    pub equivalency: Option<EquivalencyResult>,
    /// How a reader checks the transcript.
    pub verification: Verification,
}

/// How a reader checks that the school issued this transcript.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Whether this is an official transcript, issued by `mastery issue` and recorded in the
    /// school's ledger. A preview (`mastery build`) is not: a template marks it as an
    /// unofficial copy on every page and shows no verification line or QR code.
    pub official: bool,
    /// The credential id: for an issued transcript, the id of its signed credential, fresh
    /// for every version; for a preview, a stable id of the student and issue date
    /// (`urn:uuid:...`), which the credentials `mastery build` exports carry too.
    pub credential_id: String,
    /// Where the school publishes the record of an issued transcript.
    pub url: Option<String>,
    /// A QR code of `url` as SVG text, when there is a URL. A template shows it with
    /// `image(bytes(v.qr_code_svg), format: "svg", alt: ...)`.
    pub qr_code_svg: Option<String>,
    /// The path at which the template finds the signed credential of an issued transcript,
    /// to attach it to the PDF (`/credential.clr.json`).
    pub credential_attachment: Option<String>,
    /// The path at which the template finds the PESC XML of an issued transcript, to attach
    /// it to the PDF (`/transcript.pesc.xml`); set when the template mentions this field.
    pub pesc_attachment: Option<String>,
}

/// Where the signed credential of an issued transcript is, for its template.
pub const CREDENTIAL_ATTACHMENT: &str = "/credential.clr.json";

impl Verification {
    /// The verification of an issued transcript: its credential, the record's address and a
    /// QR code of it.
    pub fn official(credential_id: &str, url: String, qr_code_svg: String) -> Verification {
        Verification {
            official: true,
            credential_id: credential_id.to_string(),
            url: Some(url),
            qr_code_svg: Some(qr_code_svg),
            credential_attachment: Some(CREDENTIAL_ATTACHMENT.to_string()),
            pesc_attachment: None,
        }
    }
}

/// How the document is laid out: choices of the run, not of the record.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    /// The paper size.
    pub paper: Paper,
    /// The language of the labels: the name of a file in the template's `locale/` folder.
    pub locale: String,
    /// Whether to list the credits still in progress.
    pub show_in_progress: bool,
    /// The disclosure profile applied (`--profile`), or "internal".
    pub profile: String,
    /// Where the school's pages ("how to read this transcript", the scale, the rules, the
    /// requirements, the credits offered) are: in the transcript, in a school profile sent
    /// apart, or alone (the school profile itself).
    pub school_pages: SchoolPages,
}

/// Where a document's school pages are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SchoolPages {
    /// At the end of each transcript.
    #[default]
    Inline,
    /// In the school profile, sent apart (`mastery profile`): the transcript says where.
    Separate,
    /// The school profile: the school's pages and no student.
    Only,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            paper: Paper::Letter,
            locale: "en".to_string(),
            show_in_progress: true,
            profile: "internal".to_string(),
            school_pages: SchoolPages::Inline,
        }
    }
}

/// Paper sizes a transcript can be printed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Paper {
    /// US Letter, what US colleges expect.
    #[default]
    Letter,
    /// ISO A4.
    A4,
}

/// The school, as the transcript presents it.
#[derive(Debug, Clone, Serialize)]
pub struct SchoolBlock {
    /// Its name.
    pub name: String,
    /// Street, then city with region and postal code, then country.
    pub address_lines: Vec<String>,
    /// Its CEEB code.
    pub ceeb_code: Option<String>,
    /// Whom to contact.
    pub contact: ContactBlock,
    /// The virtual path of the logo inside the template's world, such as "/logo.png".
    pub logo: Option<String>,
    /// What a mastery transcript is, and how to read this one.
    pub how_to_read: String,
    /// More about the school.
    pub about: Option<String>,
}

/// Whom a reader contacts at the school.
#[derive(Debug, Clone, Serialize)]
pub struct ContactBlock {
    /// A person or office.
    pub name: Option<String>,
    /// An email address.
    pub email: Option<String>,
    /// A telephone number.
    pub phone: Option<String>,
    /// The school's web site.
    pub website: Option<String>,
}

/// The student, as the disclosure profile lets the reader see them.
#[derive(Debug, Clone, Serialize)]
pub struct StudentBlock {
    /// The school's id for the student; `None` when the disclosure profile withholds it.
    pub id: Option<String>,
    /// The legal name, in one piece.
    pub legal_name: String,
    /// Its parts, when the school's records have them (for PESC XML).
    pub legal_name_parts: NameParts,
    /// The name the student goes by, when it differs.
    pub preferred_name: Option<String>,
    /// The preferred name when there is one, else the legal name.
    pub display_name: String,
    /// `None` when the disclosure profile withholds it.
    pub birth_date: Option<String>,
    /// YYYY-MM-DD.
    pub expected_graduation: String,
}

/// A legal name in parts; each `None` when the school's records do not have it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NameParts {
    /// The given name.
    pub given: Option<String>,
    /// The middle names.
    pub middle: Option<String>,
    /// The family name.
    pub family: Option<String>,
}

/// The proficiency scale.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleBlock {
    /// Lowest first.
    pub levels: Vec<LevelBlock>,
    /// The mastery threshold.
    pub threshold: Fixed,
    /// The label of the threshold level.
    pub threshold_label: String,
    /// The step between possible scores.
    pub step: Amount,
    /// The lowest level's value.
    pub min: Fixed,
    /// The highest level's value.
    pub max: Fixed,
}

/// One level of the scale.
#[derive(Debug, Clone, Serialize)]
pub struct LevelBlock {
    /// Its value.
    pub value: Fixed,
    /// Its name.
    pub label: String,
    /// What it means.
    pub description: String,
}

/// The school's rules in plain words, for "how to read this transcript".
#[derive(Debug, Clone, Serialize)]
pub struct PolicyBlock {
    /// The school-wide method, in English words.
    pub method: String,
    /// Its name and parameters, for templates in other languages.
    pub method_name: String,
    /// The method's parameters by name.
    pub parameters: std::collections::BTreeMap<String, String>,
    /// The fewest pieces of evidence a level needs.
    pub min_evidence: u32,
    /// Whether an approved attestation is needed.
    pub attestation_required: bool,
    /// Areas and credits that use a different rule.
    pub overrides: Vec<PolicyOverrideBlock>,
}

/// An area or a credit whose rule differs from the school's.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyOverrideBlock {
    /// "area" or "credit".
    pub scope: &'static str,
    /// The area's or credit's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The rule in English words.
    pub rule: String,
    /// The same, as data: what the override changes.
    pub method_name: Option<String>,
    /// The changed method's parameters by name.
    pub parameters: std::collections::BTreeMap<String, String>,
    /// The changed least number of pieces of evidence.
    pub min_evidence: Option<u32>,
    /// The changed attestation rule.
    pub attestation_required: Option<bool>,
    /// Why the school decided so, in its words.
    pub reason: Option<String>,
}

/// One credit area and the student's credits in it.
#[derive(Debug, Clone, Serialize)]
pub struct AreaResult {
    /// The area's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// A title of at most 30 characters, when the school gives one.
    pub short_title: Option<String>,
    /// What it covers.
    pub description: String,
    /// Earned (and exempt) credits, by tier.
    pub earned: Tally,
    /// Credits the framework offers in this area, by tier.
    pub offered: Tally,
    /// The credit value this area needs for graduation, if any.
    pub required: Option<Amount>,
    /// The lowest level an assessed credit in this area may stand at, if the school says so.
    pub min_level: Option<Fixed>,
    /// Whether this area's graduation requirement holds.
    pub met: bool,
    /// Earned credit value as a fraction of the requirement (0 to 1), for visuals.
    pub progress: Fixed,
    /// Its credits, in the framework's order.
    pub credits: Vec<CreditResult>,
}

/// How many credits, and how much credit value, by tier.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    /// Foundational credits.
    pub foundational: u32,
    /// Advanced credits.
    pub advanced: u32,
    /// Credit value (foundational and advanced together).
    pub value: Amount,
    /// Value of the foundational credits.
    pub foundational_value: Amount,
    /// Value of the advanced credits.
    pub advanced_value: Amount,
}

/// Where a student stands on a credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditStatus {
    /// Level reached, evidence enough, attestation (if required) approved.
    Earned,
    /// Counted as earned on the school's exemption.
    Exempt,
    /// Level reached, but the required approval is pending or missing.
    AwaitingApproval,
    /// The method cannot decide (a tie); a teacher must.
    AwaitingJudgement,
    /// Evidence exists but mastery is not yet shown.
    InProgress,
    /// No evidence yet.
    NotStarted,
}

impl CreditStatus {
    /// Whether the credit counts toward totals and graduation.
    pub fn counts(self) -> bool {
        matches!(self, CreditStatus::Earned | CreditStatus::Exempt)
    }
}

/// One credit and how the student stands on it.
#[derive(Debug, Clone, Serialize)]
pub struct CreditResult {
    /// The credit's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What a student shows to earn it.
    pub description: String,
    /// Foundational or advanced.
    pub tier: CreditLevel,
    /// What it counts towards graduation.
    pub value: Amount,
    /// The CASE item the credit came from, if imported.
    pub uri: Option<String>,
    /// Earned, in progress, and so on.
    pub status: CreditStatus,
    /// The level, rounded to the scale's step; `None` when no level could be given.
    pub level: Option<Fixed>,
    /// The name of the scale level at or below `level`.
    pub level_label: Option<String>,
    /// YYYY-MM-DD: when the credit was approved, or when its last counted evidence was assessed.
    pub date_earned: Option<String>,
    /// Who approved it, or the assessor of its last counted evidence.
    pub validated_by: Option<String>,
    /// A note for the reader, such as why a credit is exempt or what it still needs.
    pub note: Option<String>,
    /// The attestation on record, if any.
    pub attestation: Option<AttestationStatus>,
    /// The working behind the level.
    pub calculation: CalculationBlock,
    /// Work samples that evidence this credit, featured first.
    pub work_samples: Vec<WorkSampleBlock>,
}

/// The working behind a level, step by step.
#[derive(Debug, Clone, Serialize)]
pub struct CalculationBlock {
    /// The method's name, such as "decaying_average".
    pub method: String,
    /// The method's parameters by name, such as {"weight": "0.65"}.
    pub parameters: std::collections::BTreeMap<String, String>,
    /// The method and its parameters in words.
    pub description: String,
    /// The fewest pieces of evidence a level needs.
    pub min_evidence: u32,
    /// Whether an approved attestation is needed.
    pub attestation_required: bool,
    /// Every piece of evidence, oldest first, counted or not.
    pub evidence: Vec<EvidenceBlock>,
    /// The method's working, one line each.
    pub steps: Vec<StepBlock>,
    /// The unrounded result, two decimals.
    pub raw: Option<Fixed>,
    /// The result rounded (half up) to the scale's step.
    pub rounded: Option<Fixed>,
    /// Why there is no level, when there is none, in English.
    pub no_level_reason: Option<String>,
    /// The same, as data, for templates in other languages.
    pub no_level: Option<NoLevel>,
}

/// Why a credit has no level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoLevel {
    /// No evidence yet.
    NoEvidence,
    /// All its evidence has weight 0.
    OnlyZeroWeight,
    /// Fewer pieces of evidence than the policy's minimum.
    TooFewEvidence {
        /// Pieces of evidence counted.
        have: u32,
        /// Pieces needed.
        need: u32,
    },
    /// The power law needs more scores.
    TooFewScores {
        /// Scores counted.
        have: u32,
        /// Scores needed.
        need: u32,
    },
    /// The power law cannot take the logarithm of a score of 0 or below.
    ScoreNotPositive,
    /// `n_times`: fewer scores at or above the threshold than needed.
    NotEnoughAtMastery {
        /// Scores at or above the threshold.
        have: u32,
        /// Scores needed there.
        need: u32,
        /// The mastery threshold.
        threshold: Amount,
    },
    /// `mode` with `tie: none`: these scores are tied; a teacher decides.
    Tie {
        /// The tied scores, lowest first.
        scores: Vec<Amount>,
    },
}

impl std::fmt::Display for NoLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |n: &u32| if *n == 1 { "" } else { "s" };
        match self {
            NoLevel::NoEvidence => write!(f, "no evidence yet"),
            NoLevel::OnlyZeroWeight => write!(f, "no evidence with a weight above 0"),
            NoLevel::TooFewEvidence { have, need } => {
                write!(f, "{have} piece{} of evidence; the school requires {need} before giving a level", s(have))
            }
            NoLevel::TooFewScores { have, need } => {
                write!(
                    f,
                    "the power law needs at least {need} scores; there {} {have}",
                    if *have == 1 { "is" } else { "are" }
                )
            }
            NoLevel::ScoreNotPositive => {
                write!(f, "the power law takes logarithms, so it cannot use a score of 0 or below")
            }
            NoLevel::NotEnoughAtMastery { have, need, threshold } => {
                write!(f, "mastery (a score of {threshold} or more) shown {have} time{}; {need} needed", s(have))
            }
            NoLevel::Tie { scores } => {
                let scores: Vec<String> = scores.iter().map(ToString::to_string).collect();
                write!(f, "the scores {} are tied as most frequent; a teacher decides the level", scores.join(", "))
            }
        }
    }
}

/// One piece of evidence, as the working uses it.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceBlock {
    /// 1-based position among the counted evidence, in assessment order: the i of sᵢ in the
    /// working. `None` for evidence that is not counted (weight 0).
    pub position: Option<usize>,
    /// When it was assessed, YYYY-MM-DD.
    pub date: String,
    /// Its score.
    pub score: Fixed,
    /// Its weight in a mean.
    pub weight: Amount,
    /// Whether it counts (a weight above 0).
    pub counted: bool,
    /// Who assessed it.
    pub assessor: String,
    /// The id of the work sample it judged.
    pub work_sample: Option<String>,
    /// The assessor's note.
    pub note: Option<String>,
}

/// One line of the working.
#[derive(Debug, Clone, Serialize)]
pub struct StepBlock {
    /// What was computed, in words.
    pub label: String,
    /// How, as a formula with the numbers put in.
    pub formula: String,
    /// Four decimals.
    pub value: Fixed,
}

/// A work sample, as the reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkSampleBlock {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What it is.
    pub description: String,
    /// Where to see it.
    pub url: String,
    /// When it was made, YYYY-MM-DD.
    pub date: String,
    /// Whether the school features it.
    pub featured: bool,
}

/// The student's credits over all areas.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Credits earned (and exempt).
    pub earned: Tally,
    /// Credits the framework offers.
    pub offered: Tally,
    /// Credits in progress.
    pub in_progress: u32,
    /// Credits whose level is reached and whose approval is pending or missing.
    pub awaiting_approval: u32,
}

/// Where a student stands against the graduation requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GraduationStatus {
    /// Every requirement is met.
    Met,
    /// Not yet met, but every missing requirement has work under way and graduation is still ahead.
    OnTrack,
    /// Not met, and not on track.
    NotMet,
}

/// The graduation requirements against what the student earned.
#[derive(Debug, Clone, Serialize)]
pub struct GraduationResult {
    /// Met, on track, or not met.
    pub status: GraduationStatus,
    /// The credit value a graduate needs in total.
    pub total_required: Amount,
    /// What the student earned in total.
    pub total_earned: Amount,
    /// The advanced credit value a graduate needs.
    pub advanced_required: Amount,
    /// What the student earned at the advanced level.
    pub advanced_earned: Amount,
    /// Named credits every graduate needs, with whether this student has each.
    pub required_credits: Vec<RequiredCredit>,
    /// What is still missing, one line each, in English.
    pub missing: Vec<String>,
    /// The same, as data, for templates in other languages.
    pub shortfalls: Vec<Shortfall>,
}

/// One unmet graduation requirement. Credit amounts are credit values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shortfall {
    /// Too little credit value earned in an area.
    AreaCredits {
        /// The area's title.
        area: String,
        /// The value earned there.
        earned: Amount,
        /// The value required there.
        required: Amount,
        /// The difference.
        needed: Amount,
    },
    /// A credit of the area stands below the area's minimum level.
    AreaMinimum {
        /// The area's title.
        area: String,
        /// The credit's title.
        credit: String,
        /// The credit's level.
        level: Fixed,
        /// The area's minimum level.
        minimum: Amount,
    },
    /// Too little credit value earned in total.
    TotalCredits {
        /// The value earned.
        earned: Amount,
        /// The value required.
        required: Amount,
        /// The difference.
        needed: Amount,
    },
    /// Too little advanced credit value earned.
    AdvancedCredits {
        /// The advanced value earned.
        earned: Amount,
        /// The advanced value required.
        required: Amount,
        /// The difference.
        needed: Amount,
    },
    /// A required credit not yet earned.
    RequiredCredit {
        /// The credit's title.
        credit: String,
    },
}

impl std::fmt::Display for Shortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let credits = |n: &Amount| if n.is_one() { "1 credit".to_string() } else { format!("{n} credits") };
        match self {
            Shortfall::AreaCredits { area, earned, required, needed } => {
                write!(f, "{area}: {} still needed ({earned} of {required} earned)", credits(needed))
            }
            Shortfall::AreaMinimum { area, credit, level, minimum } => {
                write!(f, "{area}: \"{credit}\" stands at level {level}, below the area's minimum of {minimum}")
            }
            Shortfall::TotalCredits { earned, required, needed } => {
                write!(f, "{} still needed in total ({earned} of {required} earned)", credits(needed))
            }
            Shortfall::AdvancedCredits { earned, required, needed } => {
                write!(f, "{} still needed at the advanced level ({earned} of {required} earned)", credits(needed))
            }
            Shortfall::RequiredCredit { credit } => write!(f, "required credit \"{credit}\" not yet earned"),
        }
    }
}

/// A credit every graduate needs.
#[derive(Debug, Clone, Serialize)]
pub struct RequiredCredit {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Whether the student earned it.
    pub earned: bool,
}

/// The GPA or percentage equivalent of the student's levels.
#[derive(Debug, Clone, Serialize)]
pub struct EquivalencyResult {
    /// What it is called, such as "4.0 GPA equivalent".
    pub label: String,
    /// How it is worked out, for the reader.
    pub explanation: String,
    /// The mean level of the credits that have one, two decimals.
    pub mean_level: Option<Fixed>,
    /// The mean level converted, with the school's digits.
    pub value: Option<Fixed>,
    /// Whether page 1 shows it.
    pub on_first_page: bool,
    /// The conversion table.
    pub table: Vec<EquivalencyRowBlock>,
}

/// One row of the conversion: levels `from`..`to` onto `value_from`..`value_to`.
#[derive(Debug, Clone, Serialize)]
pub struct EquivalencyRowBlock {
    /// The lowest level of the range.
    pub from: Fixed,
    /// The highest level of the range.
    pub to: Fixed,
    /// What `from` converts to.
    pub value_from: Fixed,
    /// What `to` converts to, when the range is not flat.
    pub value_to: Option<Fixed>,
}
