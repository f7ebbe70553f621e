//! Stage 5, export: a transcript as a signed 1EdTech Comprehensive Learner Record (CLR 2.0).
//!
//! One `ClrCredential` per student, issued by the school, holds:
//! - one nested `AchievementCredential` per earned (or exempt) credit: an `Achievement` of
//!   type `Competency` with the credit's value and CASE alignment, a `Result` whose
//!   `achievedLevel` names a `RubricCriterionLevel` of a `ResultDescription` built from the
//!   school's scale, and the work samples as `evidence`;
//! - the diploma as a `SecondarySchoolDiploma` credential when the graduation requirements are
//!   met; otherwise the CLR says `partial: true`;
//! - every credit area and credit as an `Achievement`, the credits joined to their areas by
//!   `isChildOf` associations.
//!
//! Everything is written in the strict form (lists, never single values), every id is stable
//! (name-based UUIDs), and the student is named by identity objects: the name in plain text,
//! the school's student id as a salted SHA-256 hash. [`crate::proof`] signs the result.

use chrono::NaiveDate;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::proof::{Key, ProofError};
use crate::model::{CredentialSettings, CreditLevel, School};
use crate::transcript::{CreditResult, CreditStatus, GraduationStatus, Transcript};

pub const CLR_CONTEXT: &str = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json";
pub const OB_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// Defines `1EdTechJsonSchemaValidator2019`, the type of every `credentialSchema` entry: without
/// it a verifier in safe mode refuses the credential.
pub const EXTENSIONS_CONTEXT: &str = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json";
pub const CLR_SCHEMA: &str = "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json";
pub const OB_SCHEMA: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";

/// What a CLR is made from besides the transcript.
pub struct ClrInput<'a> {
    pub school: &'a School,
    pub issuer: &'a CredentialSettings,
    /// The student's id in the school's records, when the disclosure profile allows it; it is
    /// only ever written hashed.
    pub student_id: Option<&'a str>,
    pub key: &'a Key,
}

/// A stable URN for a named thing of this issuer.
fn urn(issuer: &str, name: &str) -> String {
    format!("urn:uuid:{}", uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("{issuer}|{name}").as_bytes()))
}

fn timestamp(date: &str) -> String {
    format!("{date}T00:00:00Z")
}

fn profile(school: &School, issuer: &CredentialSettings) -> Value {
    let p = &school.profile;
    let mut profile = json!({"id": issuer.issuer_id, "type": ["Profile"], "name": p.name});
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
fn identities(transcript: &Transcript, input: &ClrInput) -> Value {
    let mut list = vec![json!({
        "type": "IdentityObject",
        "hashed": false,
        "identityHash": transcript.student.legal_name,
        "identityType": "name",
    })];
    if let Some(id) = input.student_id {
        // A salt only the school can compute: the same student gets the same hash in every
        // credential, and nobody can test guesses of the id against it.
        let salt = input.key.derive(id);
        let hash = format!("sha256${:x}", Sha256::digest(format!("{id}{salt}").as_bytes()));
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

fn credit_achievement(credit: &CreditResult, area_title: &str, transcript: &Transcript, input: &ClrInput) -> Value {
    let issuer = &input.issuer.issuer_id;
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
        "creditsAvailable": credit.value.parse::<f64>().unwrap_or(0.0),
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

fn area_achievement(area: &crate::transcript::AreaResult, issuer: &str) -> Value {
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

fn diploma_achievement(transcript: &Transcript, issuer: &str) -> Value {
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
        "creditsAvailable": transcript.graduation.total_required.parse::<f64>().unwrap_or(0.0),
        "creator": {"id": issuer, "type": ["Profile"]},
    })
}

/// An unsigned AchievementCredential for one achievement of the student.
fn achievement_credential(
    transcript: &Transcript,
    input: &ClrInput,
    name: &str,
    achievement: Value,
    subject_extra: Value,
    evidence: Vec<Value>,
    awarded: Option<&str>,
) -> Value {
    let mut subject = json!({"type": ["AchievementSubject"], "identifier": identities(transcript, input), "achievement": achievement});
    if let (Some(subject), Some(extra)) = (subject.as_object_mut(), subject_extra.as_object()) {
        subject.extend(extra.clone());
    }
    let mut credential = json!({
        "@context": [VC_CONTEXT, OB_CONTEXT, EXTENSIONS_CONTEXT],
        "id": urn(&transcript.verification.credential_id, &format!("credential/{name}")),
        "type": ["VerifiableCredential", "AchievementCredential"],
        "issuer": profile(input.school, input.issuer),
        "name": name,
        "validFrom": timestamp(&transcript.issue_date),
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    });
    if let Some(date) = awarded {
        credential["awardedDate"] = json!(timestamp(date));
    }
    if !evidence.is_empty() {
        credential["evidence"] = Value::Array(evidence);
    }
    credential
}

/// The student's CLR, signed: each nested credential, then the whole. `None` for a student who
/// has earned nothing yet: a CLR must hold at least one credential, and there is none to issue.
pub fn clr(transcript: &Transcript, input: &ClrInput) -> Result<Option<Value>, ProofError> {
    let issuer = &input.issuer.issuer_id;
    let created = timestamp(&transcript.issue_date);
    let sign = |credential: &Value| input.key.sign(credential, &input.issuer.verification_method, &created);
    let mut credentials = Vec::new();
    let mut achievements = Vec::new();
    let mut associations = Vec::new();

    for area in &transcript.areas {
        let area_achievement = area_achievement(area, issuer);
        let area_id = area_achievement["id"].clone();
        achievements.push(area_achievement);
        for credit in &area.credits {
            let achievement = credit_achievement(credit, &area.title, transcript, input);
            associations.push(json!({"type": "Association", "associationType": "isChildOf", "sourceId": achievement["id"], "targetId": area_id}));
            achievements.push(achievement.clone());
            if !credit.status.counts() {
                continue;
            }
            let mut result =
                json!({"type": ["Result"], "resultDescription": urn(issuer, "scale"), "status": "Completed"});
            if credit.status == CreditStatus::Exempt {
                result["value"] = json!("exempt");
            } else if let Some(label) = &credit.level_label
                && let Some(level) = transcript.scale.levels.iter().find(|l| &l.label == label)
            {
                result["achievedLevel"] = json!(urn(issuer, &format!("scale/{}", level.value)));
                result["value"] = json!(credit.level.clone().unwrap_or_default());
            }
            let evidence: Vec<Value> = credit
                .work_samples
                .iter()
                .map(|w| json!({"id": w.url, "type": ["Evidence"], "name": w.title, "description": w.description, "genre": "Work sample"}))
                .collect();
            let subject = json!({"creditsEarned": credit.value.parse::<f64>().unwrap_or(0.0), "result": [result]});
            let unsigned = achievement_credential(
                transcript,
                input,
                &credit.title,
                achievement,
                subject,
                evidence,
                credit.date_earned.as_deref(),
            );
            credentials.push(sign(&unsigned)?);
        }
    }

    let met = transcript.graduation.status == GraduationStatus::Met;
    let diploma = diploma_achievement(transcript, issuer);
    for area in &transcript.areas {
        associations.push(json!({"type": "Association", "associationType": "isPartOf", "sourceId": urn(issuer, &format!("area/{}", area.id)), "targetId": diploma["id"]}));
    }
    achievements.push(diploma.clone());
    if met {
        let subject = json!({"creditsEarned": transcript.graduation.total_earned.parse::<f64>().unwrap_or(0.0)});
        let name = diploma["name"].as_str().unwrap_or("Diploma").to_string();
        let unsigned = achievement_credential(
            transcript,
            input,
            &name,
            diploma,
            subject,
            Vec::new(),
            Some(&transcript.issue_date),
        );
        credentials.push(sign(&unsigned)?);
    }
    if credentials.is_empty() {
        return Ok(None);
    }

    let mut clr = json!({
        "@context": [VC_CONTEXT, CLR_CONTEXT, OB_CONTEXT, EXTENSIONS_CONTEXT],
        "id": transcript.verification.credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": profile(input.school, input.issuer),
        "name": format!("Mastery Transcript of {} from {}", transcript.student.display_name, transcript.school.name),
        "description": transcript.school.how_to_read,
        "validFrom": created,
        "credentialSubject": {
            "type": ["ClrSubject"],
            "identifier": identities(transcript, input),
            "verifiableCredential": credentials,
            "achievement": achievements,
            "association": associations,
        },
        "credentialSchema": [{"id": CLR_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    });
    if !met {
        clr["partial"] = json!(true);
    }
    sign(&clr).map(Some)
}

/// The date part of a credential timestamp, such as the issue date of `validFrom`.
pub fn date_of(timestamp: &str) -> Option<NaiveDate> {
    timestamp.get(..10).and_then(crate::model::parse_date)
}
