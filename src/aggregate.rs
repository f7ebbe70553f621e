//! Stage 3, aggregate: from one student's evidence to levels, credits, areas and graduation.
//!
//! For each credit of the framework the effective policy (the school's, changed by the
//! credit's area and then by the credit itself) picks a method; [`methods::calculate`] turns
//! the counted scores into a value, which is rounded half up to the scale's step once, at the
//! end. The credit is earned when that level reaches the mastery threshold, enough evidence
//! counted, and the attestation rule holds. Earned credits add up per area and in total
//! against the graduation requirements. Every intermediate value goes into the
//! [`Transcript`], so any number on it can be checked by hand.

pub mod methods;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::decimal::{Amount, Fixed};
use crate::model::{
    AttestationRule, AttestationStatus, Credit, CreditLevel, DisclosureProfile, Equivalency, Method, ModeTie, Scale,
    School, Student, WindowStat, WorkSampleDisclosure,
};
use crate::transcript::*;
use crate::words::{ENGLISH, fill};
use methods::{Outcome, STEP_DIGITS, Score, fixed};

/// What the run, rather than the data, decides.
#[derive(Debug, Clone)]
pub struct AggregateOptions {
    /// The date of the transcript: the end of every date window, and "today" for the checks.
    pub issue_date: NaiveDate,
    /// The logo's virtual path in the template's world, when the school has a logo.
    pub logo: Option<String>,
    /// How the transcript is laid out: paper, locale, what is shown.
    pub layout: Layout,
    /// What the reader may see.
    pub disclosure: DisclosureProfile,
}

/// The policy that applies to one credit once the overrides are applied.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectivePolicy {
    /// How a credit's level is worked out from its evidence.
    pub method: Method,
    /// The fewest pieces of evidence a level needs.
    pub min_evidence: u32,
    /// Whose validation the evidence needs to count.
    pub attestation: AttestationRule,
}

/// The school's policy for `credit`: the school-wide rule, changed by its area's override,
/// then by its own.
pub fn effective_policy(school: &School, credit: &Credit) -> EffectivePolicy {
    let policy = &school.aggregation;
    let mut effective = EffectivePolicy {
        method: policy.method.method(),
        min_evidence: policy.min_evidence,
        attestation: policy.attestation,
    };
    let layers = [policy.overrides.areas.get(&credit.area), policy.overrides.credits.get(&credit.id)];
    for layer in layers.into_iter().flatten() {
        if let Some(method) = &layer.method {
            effective.method = method.method();
        }
        if let Some(min) = layer.min_evidence {
            effective.min_evidence = min;
        }
        if let Some(rule) = layer.attestation {
            effective.attestation = rule;
        }
    }
    effective
}

/// A method and its parameters in words, as printed in "how to read this transcript": the
/// English locale's words ([`crate::words::method`]).
pub fn describe_method(method: &Method) -> String {
    describe(method.name(), &method_parameters(method))
}

/// A method in the English locale's words, from its name and parameters.
fn describe(name: &str, parameters: &BTreeMap<String, String>) -> String {
    crate::words::method(&ENGLISH["methods"], name, parameters)
}

/// A method's parameters by name, as the transcript records them.
pub fn method_parameters(method: &Method) -> BTreeMap<String, String> {
    let tie = |tie: &ModeTie| match tie {
        ModeTie::Higher => "higher",
        ModeTie::MoreRecent => "more_recent",
        ModeTie::None => "none",
    };
    let pairs: Vec<(&str, String)> = match method {
        Method::MostRecent | Method::Highest | Method::Mean | Method::Median => vec![],
        Method::Mode { tie: t } => vec![("tie", tie(t).to_string())],
        Method::DecayingAverage { weight } | Method::WeightedRecent { weight } => vec![
            ("weight", amount(*weight)),
            ("weight_percent", amount(weight * Decimal::ONE_HUNDRED)),
            ("rest_percent", amount((Decimal::ONE - weight) * Decimal::ONE_HUNDRED)),
        ],
        Method::PowerLaw { min_scores } => vec![("min_scores", min_scores.to_string())],
        Method::NTimes { n } => vec![("n", n.to_string())],
        Method::RecentWindow { k, of } => vec![
            ("k", k.to_string()),
            (
                "of",
                match of {
                    WindowStat::Mean => "mean",
                    WindowStat::Highest => "highest",
                }
                .to_string(),
            ),
        ],
    };
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Rounds `value` half up to the nearest step of the scale, and keeps it on the scale.
pub fn round_to_step(value: Decimal, scale: &Scale) -> Decimal {
    let steps = ((value - scale.min()) / scale.step).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    (scale.min() + steps * scale.step).clamp(scale.min(), scale.max())
}

/// Digits after the decimal point that the scale's values need.
fn scale_digits(scale: &Scale) -> u32 {
    scale.levels.iter().map(|l| l.value.normalize().scale()).chain([scale.step.normalize().scale()]).max().unwrap_or(0)
}

fn amount(value: Decimal) -> String {
    value.normalize().to_string()
}

/// Builds the transcript of one student.
pub fn aggregate(school: &School, student: &Student, options: &AggregateOptions) -> Transcript {
    let scale = &school.scale;
    let digits = scale_digits(scale);
    let level_text = |value: Decimal| Fixed::new(value, digits);

    let areas: Vec<AreaResult> = school
        .framework
        .areas
        .iter()
        .map(|area| {
            let credits: Vec<CreditResult> = school
                .framework
                .credits
                .iter()
                .filter(|c| c.area == area.id)
                .map(|credit| credit_result(school, student, credit, digits, options.disclosure.work_samples))
                .collect();
            let requirement = school.graduation.areas.get(&area.id);
            let earned = tally(school, &credits, |c| c.status.counts());
            let offered = tally(school, &credits, |_| true);
            let earned_value: Decimal = credit_values(school, &credits, |c| c.status.counts());
            let below_minimum = requirement
                .and_then(|r| r.min_level)
                .is_some_and(|min| credits.iter().filter_map(|c| c.level.as_ref()).any(|level| level.value() < min));
            let met = requirement.is_none_or(|r| earned_value >= r.credits) && !below_minimum;
            let target = requirement
                .map(|r| r.credits)
                .filter(|v| !v.is_zero())
                .unwrap_or_else(|| credit_values(school, &credits, |_| true));
            let progress = if target.is_zero() { Decimal::ONE } else { (earned_value / target).min(Decimal::ONE) };
            AreaResult {
                id: area.id.clone(),
                title: area.title.clone(),
                short_title: area.short_title.clone(),
                description: area.description.clone(),
                earned,
                offered,
                required: requirement.map(|r| Amount::new(r.credits)),
                min_level: requirement.and_then(|r| r.min_level).map(level_text),
                met,
                progress: Fixed::new(progress, 2),
                credits,
            }
        })
        .collect();

    let all: Vec<&CreditResult> = areas.iter().flat_map(|a| &a.credits).collect();
    let totals = Totals {
        earned: tally_refs(school, &all, |c| c.status.counts()),
        offered: tally_refs(school, &all, |_| true),
        in_progress: all.iter().filter(|c| c.status == CreditStatus::InProgress).count() as u32,
        awaiting_approval: all.iter().filter(|c| c.status == CreditStatus::AwaitingApproval).count() as u32,
    };
    let graduation = graduation(school, student, &areas, options.issue_date);
    let equivalency = school.equivalency.as_ref().map(|e| equivalency(e, &all, digits));

    Transcript {
        format: FORMAT,
        layout: options.layout.clone(),
        issue_date: options.issue_date.to_string(),
        school: school_block(school, options),
        student: StudentBlock {
            id: options.disclosure.student_id.then(|| student.id.clone()),
            legal_name: student.name.legal.clone(),
            legal_name_parts: NameParts {
                given: student.name.given.clone(),
                middle: student.name.middle.clone(),
                family: student.name.family.clone(),
            },
            preferred_name: student.name.preferred.clone(),
            display_name: student.name.display().to_string(),
            birth_date: options.disclosure.birth_date.then(|| student.birth_date.to_string()),
            expected_graduation: student.expected_graduation.to_string(),
        },
        scale: ScaleBlock {
            levels: scale
                .levels
                .iter()
                .map(|l| LevelBlock {
                    value: level_text(l.value),
                    label: l.label.clone(),
                    description: l.description.clone(),
                })
                .collect(),
            threshold: level_text(scale.mastery_threshold),
            threshold_label: scale.label_for(scale.mastery_threshold).map(|l| l.label.clone()).unwrap_or_default(),
            step: Amount::new(scale.step),
            min: level_text(scale.min()),
            max: level_text(scale.max()),
        },
        policy: policy_block(school),
        areas,
        totals,
        graduation,
        highlights: student.highlights.iter().take(3).cloned().collect(),
        equivalency,
        verification: verification(school, student, options.issue_date),
    }
}

/// The credential id of a student's transcript on an issue date: a name-based UUID (version 5)
/// of the school, the student and the date, so that rebuilding gives the same id and the signed
/// credential can carry it too.
pub fn credential_id(school: &School, student: &Student, issue_date: NaiveDate) -> String {
    let name = format!(
        "mastery-transcript|{}|{}|{}|{}",
        school.profile.name,
        school.profile.ceeb_code.as_deref().unwrap_or(""),
        student.id,
        issue_date
    );
    format!("urn:uuid:{}", uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes()))
}

/// A preview's verification: no address, no QR code (only an issued transcript has them).
fn verification(school: &School, student: &Student, issue_date: NaiveDate) -> Verification {
    Verification {
        official: false,
        credential_id: credential_id(school, student, issue_date),
        url: None,
        qr_code_svg: None,
        credential_attachment: None,
        pesc_attachment: None,
    }
}

/// A QR code of `text` as an SVG image, black on white with its quiet zone.
pub fn qr_code_svg(text: &str) -> String {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).expect("a URL fits in a QR code");
    code.render::<qrcode::render::svg::Color>().min_dimensions(160, 160).quiet_zone(true).build()
}

fn school_block(school: &School, options: &AggregateOptions) -> SchoolBlock {
    let profile = &school.profile;
    let address = &profile.address;
    let mut city_line = address.city.clone();
    if let Some(region) = &address.region {
        city_line.push_str(", ");
        city_line.push_str(region);
    }
    if let Some(postal) = &address.postal_code {
        city_line.push(' ');
        city_line.push_str(postal);
    }
    SchoolBlock {
        name: profile.name.clone(),
        address_lines: vec![address.street.clone(), city_line, address.country.clone()],
        ceeb_code: profile.ceeb_code.clone(),
        contact: ContactBlock {
            name: profile.contact.name.clone(),
            email: profile.contact.email.clone(),
            phone: profile.contact.phone.clone(),
            website: profile.contact.website.clone(),
        },
        logo: options.logo.clone(),
        how_to_read: profile.how_to_read.clone(),
        about: profile.about.clone(),
    }
}

fn policy_block(school: &School) -> PolicyBlock {
    let policy = &school.aggregation;
    // The rule in the English locale's words, as the template words it in any locale.
    let words = |key: &str| ENGLISH[key].as_str().unwrap_or(key).to_string();
    let rule = |o: &crate::model::PolicyOverride| {
        let mut parts = Vec::new();
        if let Some(method) = &o.method {
            parts.push(fill(&words("override_level"), &[("method", describe_method(&method.method()))]));
        }
        match o.min_evidence {
            Some(1) => parts.push(words("override_min_evidence_one")),
            Some(min) => parts.push(fill(&words("override_min_evidence"), &[("n", min.to_string())])),
            None => {}
        }
        match o.attestation {
            Some(AttestationRule::Approved) => parts.push(words("override_approval")),
            Some(AttestationRule::None) => parts.push(words("override_no_approval")),
            None => {}
        }
        parts.join("; ")
    };
    let block = |scope: &'static str, id: &str, title: &str, o: &crate::model::PolicyOverride| PolicyOverrideBlock {
        scope,
        id: id.to_string(),
        title: title.to_string(),
        rule: rule(o),
        method_name: o.method.as_ref().map(|m| m.method().name().to_string()),
        parameters: o.method.as_ref().map(|m| method_parameters(&m.method())).unwrap_or_default(),
        min_evidence: o.min_evidence,
        attestation_required: o.attestation.map(|a| a == AttestationRule::Approved),
        reason: o.reason.clone(),
    };
    // In the framework's order: areas, then credits.
    let areas = school
        .framework
        .areas
        .iter()
        .filter_map(|a| Some(block("area", &a.id, &a.title, policy.overrides.areas.get(&a.id)?)));
    let credits = school
        .framework
        .credits
        .iter()
        .filter_map(|c| Some(block("credit", &c.id, &c.title, policy.overrides.credits.get(&c.id)?)));
    let overrides = areas.chain(credits).collect();
    let method = policy.method.method();
    let parameters = method_parameters(&method);
    PolicyBlock {
        method: describe(method.name(), &parameters),
        method_name: method.name().to_string(),
        parameters,
        min_evidence: policy.min_evidence,
        attestation_required: policy.attestation == AttestationRule::Approved,
        overrides,
    }
}

fn credit_result(
    school: &School,
    student: &Student,
    credit: &Credit,
    digits: u32,
    work_samples: WorkSampleDisclosure,
) -> CreditResult {
    let scale = &school.scale;
    let policy = effective_policy(school, credit);

    // Evidence in assessment order; a stable sort keeps the record's order on equal dates.
    let mut evidence: Vec<&crate::model::Evidence> =
        student.evidence.iter().filter(|e| e.credit == credit.id).collect();
    evidence.sort_by_key(|e| e.date);
    let counted: Vec<&crate::model::Evidence> = evidence.iter().copied().filter(|e| !e.weight.is_zero()).collect();
    let scores: Vec<Score> = counted.iter().map(|e| Score { value: e.score, weight: e.weight }).collect();

    let (no_level, calculation) = if counted.is_empty() {
        let reason = if evidence.is_empty() { NoLevel::NoEvidence } else { NoLevel::OnlyZeroWeight };
        (Some(reason), None)
    } else if (counted.len() as u32) < policy.min_evidence {
        (Some(NoLevel::TooFewEvidence { have: counted.len() as u32, need: policy.min_evidence }), None)
    } else {
        let calculation = methods::calculate(&policy.method, &scores, scale.mastery_threshold);
        match &calculation.outcome {
            Outcome::Value(_) => (None, Some(calculation)),
            Outcome::NoValue(reason) => (Some(reason.clone()), Some(calculation)),
        }
    };
    let needs_judgement = matches!(no_level, Some(NoLevel::Tie { .. }));
    let no_level_reason = no_level.as_ref().map(ToString::to_string);
    let raw = match calculation.as_ref().map(|c| &c.outcome) {
        Some(Outcome::Value(value)) => Some(*value),
        _ => None,
    };
    let steps = calculation.map(|c| c.steps).unwrap_or_default();
    let level = raw.map(|value| round_to_step(value, scale));

    let attestation = student.attestations.iter().find(|a| a.credit == credit.id);
    let mastered = level.is_some_and(|l| l >= scale.mastery_threshold);
    let status = match attestation.map(|a| a.status) {
        Some(AttestationStatus::Exempt) => CreditStatus::Exempt,
        _ if evidence.is_empty() => CreditStatus::NotStarted,
        _ if needs_judgement => CreditStatus::AwaitingJudgement,
        Some(AttestationStatus::Approved) if mastered => CreditStatus::Earned,
        _ if mastered && policy.attestation == AttestationRule::None => CreditStatus::Earned,
        _ if mastered => CreditStatus::AwaitingApproval,
        _ => CreditStatus::InProgress,
    };

    let last = counted.last();
    let (date_earned, validated_by) = match (status, attestation) {
        (CreditStatus::Exempt, Some(a)) | (CreditStatus::Earned, Some(a)) if a.status != AttestationStatus::Pending => {
            (Some(a.date.to_string()), a.approved_by.clone())
        }
        (CreditStatus::Earned, _) => (last.map(|e| e.date.to_string()), last.map(|e| e.assessor.clone())),
        _ => (None, None),
    };
    let note = match status {
        CreditStatus::Exempt => Some("exempt: counted as earned on the school's decision".to_string()),
        CreditStatus::AwaitingApproval => Some("mastery level reached; awaiting a teacher's approval".to_string()),
        CreditStatus::AwaitingJudgement => Some("awaiting a teacher's judgement".to_string()),
        CreditStatus::InProgress => Some(match (&no_level_reason, level) {
            (Some(reason), _) => reason.clone(),
            (None, Some(level)) => {
                format!("current level {}; mastery is {}", fixed(level, digits), fixed(scale.mastery_threshold, digits))
            }
            (None, None) => "in progress".to_string(),
        }),
        _ => None,
    };

    let mut samples: Vec<&crate::model::WorkSample> = student
        .work_samples
        .iter()
        .filter(|w| {
            w.credits.contains(&credit.id) || evidence.iter().any(|e| e.work_sample.as_deref() == Some(w.id.as_str()))
        })
        .filter(|w| match work_samples {
            WorkSampleDisclosure::All => true,
            WorkSampleDisclosure::Featured => w.featured,
            WorkSampleDisclosure::None => false,
        })
        .collect();
    samples.sort_by(|a, b| b.featured.cmp(&a.featured).then(a.date.cmp(&b.date)).then(a.id.cmp(&b.id)));
    let parameters = method_parameters(&policy.method);
    let method_description = describe(policy.method.name(), &parameters);

    CreditResult {
        id: credit.id.clone(),
        title: credit.title.clone(),
        description: credit.description.clone(),
        tier: credit.level,
        value: Amount::new(credit.value),
        uri: credit.uri.clone(),
        status,
        level: level.map(|l| Fixed::new(l, digits)),
        level_label: level.and_then(|l| scale.label_for(l)).map(|l| l.label.clone()),
        date_earned,
        validated_by,
        note,
        attestation: attestation.map(|a| a.status),
        calculation: CalculationBlock {
            method: policy.method.name().to_string(),
            parameters,
            description: method_description,
            min_evidence: policy.min_evidence,
            attestation_required: policy.attestation == AttestationRule::Approved,
            evidence: evidence
                .iter()
                .scan(0, |counted_so_far, e| {
                    let counted = !e.weight.is_zero();
                    *counted_so_far += usize::from(counted);
                    Some((counted.then_some(*counted_so_far), e))
                })
                .map(|(position, e)| EvidenceBlock {
                    position,
                    date: e.date.to_string(),
                    score: Fixed::new(e.score, digits),
                    weight: Amount::new(e.weight),
                    counted: !e.weight.is_zero(),
                    assessor: e.assessor.clone(),
                    work_sample: e.work_sample.clone(),
                    note: e.note.clone(),
                })
                .collect(),
            steps: steps
                .iter()
                .map(|s| StepBlock {
                    label: s.label.clone(),
                    formula: s.formula.clone(),
                    value: Fixed::new(s.value, STEP_DIGITS),
                })
                .collect(),
            raw: raw.map(|r| Fixed::new(r, 2)),
            rounded: level.map(|l| Fixed::new(l, digits)),
            no_level_reason,
            no_level,
        },
        work_samples: samples
            .into_iter()
            .map(|w| WorkSampleBlock {
                id: w.id.clone(),
                title: w.title.clone(),
                description: w.description.clone(),
                url: w.url.clone(),
                date: w.date.to_string(),
                featured: w.featured,
            })
            .collect(),
    }
}

fn value_of(school: &School, credit_id: &str) -> Decimal {
    school.framework.credits.iter().find(|c| c.id == credit_id).map_or(Decimal::ZERO, |c| c.value)
}

fn credit_values(school: &School, credits: &[CreditResult], keep: impl Fn(&CreditResult) -> bool) -> Decimal {
    credits.iter().filter(|c| keep(c)).map(|c| value_of(school, &c.id)).sum()
}

fn tally(school: &School, credits: &[CreditResult], keep: impl Fn(&CreditResult) -> bool) -> Tally {
    tally_refs(school, &credits.iter().collect::<Vec<_>>(), keep)
}

fn tally_refs(school: &School, credits: &[&CreditResult], keep: impl Fn(&CreditResult) -> bool) -> Tally {
    let mut counts: BTreeMap<CreditLevel, (u32, Decimal)> = BTreeMap::new();
    for credit in credits.iter().filter(|c| keep(c)) {
        let entry = counts.entry(credit.tier).or_default();
        entry.0 += 1;
        entry.1 += value_of(school, &credit.id);
    }
    let get = |tier| counts.get(&tier).copied().unwrap_or_default();
    let (foundational, foundational_value) = get(CreditLevel::Foundational);
    let (advanced, advanced_value) = get(CreditLevel::Advanced);
    Tally {
        foundational,
        advanced,
        value: Amount::new(foundational_value + advanced_value),
        foundational_value: Amount::new(foundational_value),
        advanced_value: Amount::new(advanced_value),
    }
}

/// Whether a credit has evidence on record but is not yet earned.
fn started(credit: &CreditResult) -> bool {
    !credit.status.counts() && credit.status != CreditStatus::NotStarted
}

fn graduation(school: &School, student: &Student, areas: &[AreaResult], issue_date: NaiveDate) -> GraduationResult {
    let requirements = &school.graduation;
    let mut missing = Vec::new();
    // Whether what is missing could be made up by credits the student has started (evidence
    // on record) but not yet earned: the meaning of "on track".
    let mut reachable = true;
    let earned_in = |area: &AreaResult, keep: &dyn Fn(&CreditResult) -> bool| -> Decimal {
        credit_values(school, &area.credits, |c| keep(c))
    };

    for area in areas {
        let Some(requirement) = requirements.areas.get(&area.id) else {
            continue;
        };
        let earned = earned_in(area, &|c| c.status.counts());
        if earned < requirement.credits {
            let short = requirement.credits - earned;
            missing.push(Shortfall::AreaCredits {
                area: area.title.clone(),
                earned: Amount::new(earned),
                required: Amount::new(requirement.credits),
                needed: Amount::new(short),
            });
            reachable &= earned_in(area, &started) >= short;
        }
        if let Some(min) = requirement.min_level {
            for credit in &area.credits {
                if let Some(level) = credit.level
                    && level.value() < min
                {
                    missing.push(Shortfall::AreaMinimum {
                        area: area.title.clone(),
                        credit: credit.title.clone(),
                        level,
                        minimum: Amount::new(min),
                    });
                }
            }
        }
    }

    let all: Vec<&CreditResult> = areas.iter().flat_map(|a| &a.credits).collect();
    let sum = |keep: &dyn Fn(&CreditResult) -> bool| -> Decimal {
        all.iter().filter(|c| keep(c)).map(|c| value_of(school, &c.id)).sum()
    };
    let total_earned = sum(&|c| c.status.counts());
    if total_earned < requirements.total_credits {
        let short = requirements.total_credits - total_earned;
        missing.push(Shortfall::TotalCredits {
            earned: Amount::new(total_earned),
            required: Amount::new(requirements.total_credits),
            needed: Amount::new(short),
        });
        reachable &= sum(&started) >= short;
    }
    let advanced_earned = sum(&|c| c.status.counts() && c.tier == CreditLevel::Advanced);
    if advanced_earned < requirements.advanced_credits {
        let short = requirements.advanced_credits - advanced_earned;
        missing.push(Shortfall::AdvancedCredits {
            earned: Amount::new(advanced_earned),
            required: Amount::new(requirements.advanced_credits),
            needed: Amount::new(short),
        });
        reachable &= sum(&|c| started(c) && c.tier == CreditLevel::Advanced) >= short;
    }
    let required_credits: Vec<RequiredCredit> = requirements
        .required_credits
        .iter()
        .filter_map(|id| all.iter().find(|c| &c.id == id))
        .map(|c| RequiredCredit { id: c.id.clone(), title: c.title.clone(), earned: c.status.counts() })
        .collect();
    for credit in required_credits.iter().filter(|c| !c.earned) {
        missing.push(Shortfall::RequiredCredit { credit: credit.title.clone() });
        reachable &= all.iter().any(|c| c.id == credit.id && started(c));
    }

    let status = if missing.is_empty() {
        GraduationStatus::Met
    } else if reachable && issue_date < student.expected_graduation {
        GraduationStatus::OnTrack
    } else {
        GraduationStatus::NotMet
    };
    GraduationResult {
        status,
        total_required: Amount::new(requirements.total_credits),
        total_earned: Amount::new(total_earned),
        advanced_required: Amount::new(requirements.advanced_credits),
        advanced_earned: Amount::new(advanced_earned),
        required_credits,
        missing: missing.iter().map(ToString::to_string).collect(),
        shortfalls: missing,
    }
}

/// Maps the mean credit level through the school's equivalency table.
pub fn equivalent_value(table: &Equivalency, level: Decimal) -> Option<Decimal> {
    let row = table.table.iter().find(|r| r.from <= level && level <= r.to)?;
    let value = match row.value_to {
        Some(value_to) if row.to > row.from => {
            row.value_from + (level - row.from) / (row.to - row.from) * (value_to - row.value_from)
        }
        _ => row.value_from,
    };
    Some(value)
}

fn equivalency(table: &Equivalency, credits: &[&CreditResult], digits: u32) -> EquivalencyResult {
    let levels: Vec<Decimal> = credits.iter().filter_map(|c| c.level.map(|l| l.value())).collect();
    let mean = (!levels.is_empty()).then(|| levels.iter().copied().sum::<Decimal>() / Decimal::from(levels.len()));
    EquivalencyResult {
        label: table.label.clone(),
        explanation: table.explanation.clone(),
        mean_level: mean.map(|m| Fixed::new(m, 2)),
        value: mean
            .and_then(|m| equivalent_value(table, m.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)))
            .map(|v| Fixed::new(v, table.digits)),
        on_first_page: table.on_first_page,
        table: table
            .table
            .iter()
            .map(|r| EquivalencyRowBlock {
                from: Fixed::new(r.from, digits.max(2)),
                to: Fixed::new(r.to, digits.max(2)),
                value_from: Fixed::new(r.value_from, table.digits),
                value_to: r.value_to.map(|v| Fixed::new(v, table.digits)),
            })
            .collect(),
    }
}
