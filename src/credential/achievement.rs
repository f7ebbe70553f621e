//! What every credential about a student's achievements is made of: the school as issuer,
//! the student's identity objects, and each achievement with its result. The CLR nests one
//! `AchievementCredential` per award ([`super::clr`]); the badges are the same awards as
//! stand-alone `OpenBadgeCredential`s ([`super::badge`]).

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::issuer::Signer;
use crate::model::{CreditLevel, School};
use crate::transcript::{CreditResult, CreditStatus, GraduationStatus, Transcript};

/// The CLR 2.0 JSON-LD context.
pub const CLR_CONTEXT: &str = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json";
/// The Open Badges 3.0 JSON-LD context.
pub const OB_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// The W3C Verifiable Credentials 2.0 context.
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// Defines `1EdTechJsonSchemaValidator2019`, the type of every `credentialSchema` entry: without
/// it a verifier in safe mode refuses the credential.
pub const EXTENSIONS_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json";
/// The JSON Schema a ClrCredential names in `credentialSchema`.
pub const CLR_SCHEMA: &str = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json";
/// The JSON Schema an AchievementCredential or OpenBadgeCredential names.
pub const OB_SCHEMA: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";

/// What a student's credentials are made from besides the transcript.
pub struct CredentialInput<'a> {
    /// The school: the issuer's profile and the framework.
    pub school: &'a School,
    /// Who signs.
    pub signer: &'a Signer,
    /// The student's id in the school's records, when the disclosure profile allows it; it is
    /// only ever written hashed.
    pub student_id: Option<&'a str>,
    /// For an issued transcript: the revocation entry (`credentialStatus`) every credential of
    /// it carries. Previews have none.
    pub status: Option<Value>,
}

/// A stable URN for a named thing of this issuer.
pub(super) fn urn(issuer: &str, name: &str) -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("{issuer}|{name}").as_bytes()))
}

pub(super) fn timestamp(date: &str) -> String {
    format!("{date}T00:00:00Z")
}

pub(super) fn profile(input: &CredentialInput) -> Value {
    let p = &input.school.profile;
    let mut profile = json!({"id": input.signer.issuer_id(), "type": ["Profile"], "name": p.name});
    let address = &p.address;
    let mut postal = json!({"type": ["Address"], "streetAddress": address.street, "addressLocality": address.city, "addressCountry": address.country});
    if let Some(region) = &address.region {
        postal["addressRegion"] = json!(region);
    }
    if let Some(code) = &address.postal_code {
        postal["postalCode"] = json!(code);
    }
    profile["address"] = postal;
    if let Some(url) = &p.contact.website {
        profile["url"] = json!(url);
    }
    if let Some(email) = &p.contact.email {
        profile["email"] = json!(email);
    }
    if let Some(phone) = &p.contact.phone {
        profile["phone"] = json!(phone);
    }
    if let Some(ceeb) = &p.ceeb_code {
        profile["otherIdentifier"] =
            json!([{"type": "IdentifierEntry", "identifier": ceeb, "identifierType": "ext:CEEBCode"}]);
    }
    profile
}

/// The identity objects of the student: the legal name, and the hashed school id when shown.
pub(super) fn identities(transcript: &Transcript, input: &CredentialInput) -> Value {
    let mut list = vec![json!({
        "type": "IdentityObject",
        "hashed": false,
        "identityHash": transcript.student.legal_name,
        "identityType": "name",
    })];
    if let Some(id) = input.student_id {
        // A salt only the school can compute: the same student gets the same hash in every
        // credential, and nobody can test guesses of the id against it.
        let salt = input.signer.key().derive(id);
        let hash = format!("sha256${}", crate::digest::hex(&Sha256::digest(format!("{id}{salt}").as_bytes())));
        list.push(json!({"type": "IdentityObject", "hashed": true, "identityHash": hash, "identityType": "sisSourcedId", "salt": salt}));
    }
    Value::Array(list)
}

fn result_description(transcript: &Transcript, issuer: &str) -> Value {
    let levels: Vec<Value> = transcript
        .scale
        .levels
        .iter()
        .map(|level| {
            json!({
                "id": urn(issuer, &format!("scale/{}", level.value)),
                "type": ["RubricCriterionLevel"],
                "name": level.label,
                "level": level.label,
                "description": level.description,
                "points": level.value,
            })
        })
        .collect();
    json!({
        "id": urn(issuer, "scale"),
        "type": ["ResultDescription"],
        "name": "Proficiency level",
        "resultType": "RubricCriterionLevel",
        "rubricCriterionLevel": levels,
        "requiredLevel": urn(issuer, &format!("scale/{}", transcript.scale.threshold)),
    })
}

pub(super) fn credit_achievement(
    credit: &CreditResult,
    area_title: &str,
    transcript: &Transcript,
    issuer: &str,
) -> Value {
    let tier = match credit.tier {
        CreditLevel::Foundational => "foundational",
        CreditLevel::Advanced => "advanced",
    };
    let mut achievement = json!({
        "id": urn(issuer, &format!("credit/{}", credit.id)),
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": credit.title,
        "description": credit.description,
        "criteria": {"narrative": format!(
            "Mastery shown on the school's {}-level scale: a level of {} ({}) or above, from evidence judged against the school's standard{}.",
            transcript.scale.levels.len(),
            transcript.scale.threshold,
            transcript.scale.threshold_label,
            if credit.calculation.attestation_required { " and approved by a teacher" } else { "" }
        )},
        "creditsAvailable": credit.value.to_f64(),
        "humanCode": credit.id,
        "tag": [tier, area_title],
        "creator": {"id": issuer, "type": ["Profile"]},
        "resultDescription": [result_description(transcript, issuer)],
    });
    if let Some(uri) = &credit.uri {
        achievement["alignment"] =
            json!([{"type": ["Alignment"], "targetName": credit.title, "targetUrl": uri, "targetType": "CFItem"}]);
    }
    achievement
}

pub(super) fn area_achievement(area: &crate::transcript::AreaResult, issuer: &str) -> Value {
    json!({
        "id": urn(issuer, &format!("area/{}", area.id)),
        "type": ["Achievement"],
        "achievementType": "ext:CreditArea",
        "name": area.title,
        "description": area.description,
        "criteria": {"narrative": match &area.required {
            Some(required) => format!("Graduation requires {required} credits in this area."),
            None => "Credits in this area count toward graduation.".to_string(),
        }},
        "humanCode": area.id,
        "creator": {"id": issuer, "type": ["Profile"]},
    })
}

pub(super) fn diploma_achievement(transcript: &Transcript, issuer: &str) -> Value {
    json!({
        "id": urn(issuer, "diploma"),
        "type": ["Achievement"],
        "achievementType": "SecondarySchoolDiploma",
        "name": format!("{} Diploma", transcript.school.name),
        "description": "The school's diploma, awarded for mastery credits that meet its graduation requirements.",
        "criteria": {"narrative": format!(
            "{} credits in all, {} of them advanced, with the requirements of each credit area.",
            transcript.graduation.total_required, transcript.graduation.advanced_required
        )},
        "creditsAvailable": transcript.graduation.total_required.to_f64(),
        "creator": {"id": issuer, "type": ["Profile"]},
    })
}

/// One thing the student was awarded: an earned (or exempt) credit, or the diploma.
pub struct Award {
    /// The credit's id, or "diploma".
    pub key: String,
    /// The credit's title, or the diploma's name.
    pub name: String,
    /// The credit's area and tier; none for the diploma.
    pub area: Option<String>,
    /// The level earned, for a credit with tiers.
    pub tier: Option<CreditLevel>,
    /// The 1EdTech Achievement: what the award is, and its criteria.
    pub achievement: Value,
    /// What the subject says besides its identity and the achievement: credits earned, the
    /// result.
    pub subject: Value,
    /// The work samples behind it, as Evidence objects.
    pub evidence: Vec<Value>,
    /// YYYY-MM-DD.
    pub awarded: Option<String>,
}

/// Every award of the transcript: the earned credits in the framework's order, then the
/// diploma when the graduation requirements are met.
pub fn awards(transcript: &Transcript, issuer: &str) -> Vec<Award> {
    let mut awards = Vec::new();
    for area in &transcript.areas {
        for credit in area.credits.iter().filter(|c| c.status.counts()) {
            let mut result =
                json!({"type": ["Result"], "resultDescription": urn(issuer, "scale"), "status": "Completed"});
            if credit.status == CreditStatus::Exempt {
                result["value"] = json!("exempt");
            } else if let Some(label) = &credit.level_label
                && let Some(level) = transcript.scale.levels.iter().find(|l| &l.label == label)
            {
                result["achievedLevel"] = json!(urn(issuer, &format!("scale/{}", level.value)));
                result["value"] = json!(credit.level.map(|l| l.to_string()).unwrap_or_default());
            }
            awards.push(Award {
                key: credit.id.clone(),
                name: credit.title.clone(),
                area: Some(area.title.clone()),
                tier: Some(credit.tier),
                achievement: credit_achievement(credit, &area.title, transcript, issuer),
                subject: json!({"creditsEarned": credit.value.to_f64(), "result": [result]}),
                evidence: credit
                    .work_samples
                    .iter()
                    .map(|w| json!({"id": w.url, "type": ["Evidence"], "name": w.title, "description": w.description, "genre": "Work sample"}))
                    .collect(),
                awarded: credit.date_earned.clone(),
            });
        }
    }
    if transcript.graduation.status == GraduationStatus::Met {
        let diploma = diploma_achievement(transcript, issuer);
        awards.push(Award {
            key: "diploma".to_string(),
            name: diploma["name"].as_str().unwrap_or("Diploma").to_string(),
            area: None,
            tier: None,
            achievement: diploma,
            subject: json!({"creditsEarned": transcript.graduation.total_earned.to_f64()}),
            evidence: Vec::new(),
            awarded: Some(transcript.issue_date.clone()),
        });
    }
    awards
}

/// The kind of credential an award becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nested in the CLR.
    Achievement,
    /// A badge on its own, for a wallet or a portfolio.
    OpenBadge,
}

/// An award as an unsigned credential.
pub fn credential(transcript: &Transcript, input: &CredentialInput, award: &Award, kind: Kind) -> Value {
    let mut subject = json!({"type": ["AchievementSubject"], "identifier": identities(transcript, input), "achievement": award.achievement});
    if let (Some(subject), Some(extra)) = (subject.as_object_mut(), award.subject.as_object()) {
        subject.extend(extra.clone());
    }
    let (id, kind) = match kind {
        Kind::Achievement => (format!("credential/{}", award.name), "AchievementCredential"),
        Kind::OpenBadge => (format!("badge/{}", award.key), "OpenBadgeCredential"),
    };
    let mut credential = json!({
        "@context": [VC_CONTEXT, OB_CONTEXT, EXTENSIONS_CONTEXT],
        "id": urn(&transcript.verification.credential_id, &id),
        "type": ["VerifiableCredential", kind],
        "issuer": profile(input),
        "name": award.name,
        "validFrom": timestamp(&transcript.issue_date),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    });
    if let Some(date) = &award.awarded {
        credential["awardedDate"] = json!(timestamp(date));
    }
    if !award.evidence.is_empty() {
        credential["evidence"] = Value::Array(award.evidence.clone());
    }
    if let Some(status) = &input.status {
        credential["credentialStatus"] = status.clone();
    }
    credential
}
