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

#[derive(Debug, Clone, Serialize)]
pub struct Transcript {
    pub format: &'static str,
    pub layout: Layout,
    /// YYYY-MM-DD.
    pub issue_date: String,
    pub school: SchoolBlock,
    pub student: StudentBlock,
    pub scale: ScaleBlock,
    pub policy: PolicyBlock,
    pub areas: Vec<AreaResult>,
    pub totals: Totals,
    pub graduation: GraduationResult,
    /// At most three, in the student's order: the ones for page 1.
    pub highlights: Vec<String>,
    pub equivalency: Option<EquivalencyResult>,
    pub verification: Verification,
}

/// How a reader checks that the school issued this transcript.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// A stable id for this student's transcript of this issue date: `urn:uuid:...`. The signed
    /// credential exported for the same student and date carries the same id.
    pub credential_id: String,
    /// Where the school publishes the verifiable record, when `school.json` says.
    pub url: Option<String>,
    /// A QR code of `url` as SVG text, when there is a URL. A template shows it with
    /// `image(bytes(v.qr_code_svg), format: "svg", alt: ...)`.
    pub qr_code_svg: Option<String>,
}

/// How the document is laid out: choices of the run, not of the record.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    pub paper: Paper,
    /// The language of the labels: the name of a file in the template's `locale/` folder.
    pub locale: String,
    /// Whether to list the credits still in progress.
    pub show_in_progress: bool,
    /// The disclosure profile applied (`--profile`), or "internal".
    pub profile: String,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            paper: Paper::Letter,
            locale: "en".to_string(),
            show_in_progress: true,
            profile: "internal".to_string(),
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
    A4,
}

#[derive(Debug, Clone, Serialize)]
pub struct SchoolBlock {
    pub name: String,
    /// Street, then city with region and postal code, then country.
    pub address_lines: Vec<String>,
    pub ceeb_code: Option<String>,
    pub contact: ContactBlock,
    /// The virtual path of the logo inside the template's world, such as "/logo.png".
    pub logo: Option<String>,
    pub how_to_read: String,
    pub about: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContactBlock {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StudentBlock {
    /// The school's id for the student; `None` when the disclosure profile withholds it.
    pub id: Option<String>,
    pub legal_name: String,
    pub preferred_name: Option<String>,
    /// The preferred name when there is one, else the legal name.
    pub display_name: String,
    /// `None` when the disclosure profile withholds it.
    pub birth_date: Option<String>,
    pub expected_graduation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleBlock {
    /// Lowest first.
    pub levels: Vec<LevelBlock>,
    pub threshold: Fixed,
    /// The label of the threshold level.
    pub threshold_label: String,
    pub step: Amount,
    pub min: Fixed,
    pub max: Fixed,
}

#[derive(Debug, Clone, Serialize)]
pub struct LevelBlock {
    pub value: Fixed,
    pub label: String,
    pub description: String,
}

/// The school's rules in plain words, for "how to read this transcript".
#[derive(Debug, Clone, Serialize)]
pub struct PolicyBlock {
    /// The school-wide method, in English words.
    pub method: String,
    /// Its name and parameters, for templates in other languages.
    pub method_name: String,
    pub parameters: std::collections::BTreeMap<String, String>,
    pub min_evidence: u32,
    /// Whether an approved attestation is needed.
    pub attestation_required: bool,
    /// Areas and credits that use a different rule.
    pub overrides: Vec<PolicyOverrideBlock>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyOverrideBlock {
    /// "area" or "credit".
    pub scope: &'static str,
    pub id: String,
    pub title: String,
    /// The rule in English words.
    pub rule: String,
    /// The same, as data: what the override changes.
    pub method_name: Option<String>,
    pub parameters: std::collections::BTreeMap<String, String>,
    pub min_evidence: Option<u32>,
    pub attestation_required: Option<bool>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AreaResult {
    pub id: String,
    pub title: String,
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
    pub credits: Vec<CreditResult>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub foundational: u32,
    pub advanced: u32,
    /// Credit value (foundational and advanced together).
    pub value: Amount,
    pub foundational_value: Amount,
    pub advanced_value: Amount,
}

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

#[derive(Debug, Clone, Serialize)]
pub struct CreditResult {
    pub id: String,
    pub title: String,
    pub description: String,
    pub tier: CreditLevel,
    pub value: Amount,
    /// The CASE item the credit came from, if imported.
    pub uri: Option<String>,
    pub status: CreditStatus,
    /// The level, rounded to the scale's step; `None` when no level could be given.
    pub level: Option<Fixed>,
    pub level_label: Option<String>,
    /// YYYY-MM-DD: when the credit was approved, or when its last counted evidence was assessed.
    pub date_earned: Option<String>,
    /// Who approved it, or the assessor of its last counted evidence.
    pub validated_by: Option<String>,
    /// A note for the reader, such as why a credit is exempt or what it still needs.
    pub note: Option<String>,
    pub attestation: Option<AttestationStatus>,
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
    pub min_evidence: u32,
    pub attestation_required: bool,
    /// Every piece of evidence, oldest first, counted or not.
    pub evidence: Vec<EvidenceBlock>,
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
    NoEvidence,
    /// All its evidence has weight 0.
    OnlyZeroWeight,
    /// Fewer pieces of evidence than the policy's minimum.
    TooFewEvidence {
        have: u32,
        need: u32,
    },
    /// The power law needs more scores.
    TooFewScores {
        have: u32,
        need: u32,
    },
    /// The power law cannot take the logarithm of a score of 0 or below.
    ScoreNotPositive,
    /// `n_times`: fewer scores at or above the threshold than needed.
    NotEnoughAtMastery {
        have: u32,
        need: u32,
        threshold: Amount,
    },
    /// `mode` with `tie: none`: these scores are tied; a teacher decides.
    Tie {
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

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceBlock {
    /// 1-based position among the counted evidence, in assessment order: the i of sᵢ in the
    /// working. `None` for evidence that is not counted (weight 0).
    pub position: Option<usize>,
    pub date: String,
    pub score: Fixed,
    pub weight: Amount,
    pub counted: bool,
    pub assessor: String,
    pub work_sample: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepBlock {
    pub label: String,
    pub formula: String,
    /// Four decimals.
    pub value: Fixed,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkSampleBlock {
    pub id: String,
    pub title: String,
    pub description: String,
    pub url: String,
    pub date: String,
    pub featured: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub earned: Tally,
    pub offered: Tally,
    pub in_progress: u32,
    pub awaiting_approval: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GraduationStatus {
    Met,
    OnTrack,
    NotMet,
}

#[derive(Debug, Clone, Serialize)]
pub struct GraduationResult {
    pub status: GraduationStatus,
    pub total_required: Amount,
    pub total_earned: Amount,
    pub advanced_required: Amount,
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
    AreaCredits { area: String, earned: Amount, required: Amount, needed: Amount },
    AreaMinimum { area: String, credit: String, level: Fixed, minimum: Amount },
    TotalCredits { earned: Amount, required: Amount, needed: Amount },
    AdvancedCredits { earned: Amount, required: Amount, needed: Amount },
    RequiredCredit { credit: String },
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

#[derive(Debug, Clone, Serialize)]
pub struct RequiredCredit {
    pub id: String,
    pub title: String,
    pub earned: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EquivalencyResult {
    pub label: String,
    pub explanation: String,
    /// The mean level of the credits that have one, two decimals.
    pub mean_level: Option<Fixed>,
    pub value: Option<Fixed>,
    pub on_first_page: bool,
    pub table: Vec<EquivalencyRowBlock>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EquivalencyRowBlock {
    pub from: Fixed,
    pub to: Fixed,
    pub value_from: Fixed,
    pub value_to: Option<Fixed>,
}
