//! A transcript as a signed 1EdTech Comprehensive Learner Record (CLR 2.0).
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
//! the school's student id as a salted SHA-256 hash. Each nested credential is signed, then
//! the whole.

use serde_json::{Value, json};

use super::achievement::*;
use super::proof::ProofError;
use crate::transcript::{GraduationStatus, Transcript};

/// The student's CLR, signed. `None` for a student who has earned nothing yet: a CLR must hold
/// at least one credential, and there is none to issue.
pub fn clr(transcript: &Transcript, input: &CredentialInput) -> Result<Option<Value>, ProofError> {
    clr_binding(transcript, input, &[])
}

/// The student's CLR, signed, bound to what travels with it (the transcript data attached to
/// the official PDF, the PDF's pages) by their digests: a `relatedResource` each, whose
/// `digestSRI` a verifier checks against the file.
pub fn clr_binding(
    transcript: &Transcript,
    input: &CredentialInput,
    bound: &[Bound],
) -> Result<Option<Value>, ProofError> {
    let issuer = input.signer.issuer_id();
    let created = timestamp(&transcript.issue_date);
    let mut achievements = Vec::new();
    let mut associations = Vec::new();
    for area in &transcript.areas {
        let area_achievement = area_achievement(area, issuer);
        let area_id = area_achievement["id"].clone();
        achievements.push(area_achievement);
        for credit in &area.credits {
            let achievement = credit_achievement(credit, &area.title, transcript, issuer);
            associations.push(json!({"type": "Association", "associationType": "isChildOf", "sourceId": achievement["id"], "targetId": area_id}));
            achievements.push(achievement);
        }
    }
    let diploma = diploma_achievement(transcript, issuer);
    for area in &transcript.areas {
        associations.push(json!({"type": "Association", "associationType": "isPartOf", "sourceId": urn(issuer, &format!("area/{}", area.id)), "targetId": diploma["id"]}));
    }
    achievements.push(diploma);

    let credentials = awards(transcript, issuer)
        .iter()
        .map(|award| input.signer.sign(&credential(transcript, input, award, Kind::Achievement), &created))
        .collect::<Result<Vec<Value>, ProofError>>()?;
    if credentials.is_empty() {
        return Ok(None);
    }
    let mut clr = json!({
        "@context": [VC_CONTEXT, CLR_CONTEXT, OB_CONTEXT, EXTENSIONS_CONTEXT],
        "id": transcript.verification.credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": profile(input),
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
    if transcript.graduation.status != GraduationStatus::Met {
        clr["partial"] = json!(true);
    }
    if let Some(status) = &input.status {
        clr["credentialStatus"] = status.clone();
    }
    if !bound.is_empty() {
        let resources: Vec<Value> = bound
            .iter()
            .map(|bound| {
                let mut resource = json!({"id": bound.id});
                if let Some(name) = bound.name {
                    resource["name"] = json!(name);
                }
                resource["mediaType"] = json!(bound.media_type);
                resource["digestSRI"] = json!(bound.digest_sri);
                resource
            })
            .collect();
        clr["relatedResource"] = Value::Array(resources);
    }
    input.signer.sign(&clr, &created).map(Some)
}

/// What a credential binds by its digest.
pub struct Bound {
    /// Its id: a URN naming it within the transcript.
    pub id: String,
    /// What it is, in words, when its id does not say.
    pub name: Option<&'static str>,
    /// Its media type.
    pub media_type: &'static str,
    /// Its Subresource Integrity digest (`sha256-<base64>`).
    pub digest_sri: String,
}

/// The id suffix of the printed pages' binding: `<credential id>#pages`.
pub const PAGES: &str = "pages";

/// The Subresource Integrity form of a SHA-256 digest.
pub fn sri(digest: &[u8; 32]) -> String {
    use base64::Engine;
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// The Subresource Integrity digest of some bytes with SHA-256: `sha256-<base64>`.
pub fn sri_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    sri(&Sha256::digest(bytes).into())
}
