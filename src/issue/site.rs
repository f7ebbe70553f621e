//! The verification site: every document a college's verifier fetches, by its address.
//!
//! - at each issued credential's address (`<verification_url_base>/<uuid>.json`, where the
//!   transcript's QR code points), a small record: issuer, credential id, version, issue
//!   date, status and, when superseded, by what, and the SHA-256 of the signed credential.
//!   Nothing about the student: no name, no id, no record.
//! - the signed status lists (`<verification_url_base>/status/<n>.json`);
//! - the issuer's key documents: a did:web DID document, or an https issuer's controller
//!   document and each key's document, listing every key the ledger shows was used, so that a
//!   credential signed before a key was rotated still verifies.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::ledger::{self, Entry};
use super::lists::Lists;
use crate::credential::issuer;
use crate::credential::status;
use crate::model::School;

/// A document to publish, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// Its address.
    pub url: String,
    /// What is served there.
    pub document: Value,
}

/// What keeps the site from being published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteError(pub String);

impl std::fmt::Display for SiteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SiteError {}

/// The state of one issued credential, as its record says it.
pub fn record(base: &str, issued: &ledger::Issued, issuer_id: &str) -> Value {
    let entry = &issued.entry;
    let (state, reason) = match (&issued.superseded_by, &issued.revoked) {
        (Some(_), Some(reason)) => ("superseded", Some(reason.clone())),
        (None, Some(reason)) => ("revoked", Some(reason.clone())),
        _ => ("current", None),
    };
    let mut record = json!({
        "type": "MasteryTranscriptRecord",
        "issuer": issuer_id,
        "credential": entry.credential_id,
        "version": entry.version,
        "issued": entry.issue_date,
        "status": state,
        "credential_sha256": entry.credential_sha256,
        "how_to_verify": "Verify the signed credential (in the official PDF, or the CLR file) with `mastery verify` or any W3C Verifiable Credentials verifier; its credentialStatus names the status list that says whether it is still current.",
    });
    if let Some(status) = &entry.status {
        record["status_list"] = json!(status::list_url(base, status.list));
        record["status_list_index"] = json!(status.index.to_string());
    }
    if let Some(reason) = reason {
        record["reason"] = json!(reason);
    }
    if let Some(newer) = &issued.superseded_by {
        record["superseded_by"] = json!(newer);
        record["superseded_by_record"] = json!(record_url(base, newer));
    }
    record
}

/// The address of a credential's record: where the transcript's QR code points.
pub fn record_url(base: &str, credential_id: &str) -> String {
    format!("{}/{}.json", base.trim_end_matches('/'), credential_id.trim_start_matches("urn:uuid:"))
}

/// Every document of the site: records, status lists (`signed_lists`, as kept in the school
/// folder), key documents. Refuses a status list that is missing or behind the ledger.
pub fn site(
    school: &School,
    entries: &[Entry],
    signed_lists: &[(u32, Option<Value>)],
) -> Result<Vec<Published>, SiteError> {
    let settings = school.credentials.as_ref().ok_or_else(|| {
        SiteError("school.json has no \"credentials\": {\"issuer_id\": ..., \"verification_method\": ...}".to_string())
    })?;
    let mut published = Vec::new();
    let issued = ledger::issued(entries);
    // A school that has issued nothing publishes its keys alone, and needs no site address.
    let base = if issued.is_empty() { "" } else { super::verification_base(school).map_err(SiteError)? };
    for issued in issued.values() {
        published.push(Published {
            url: record_url(base, &issued.entry.credential_id),
            document: record(base, issued, &settings.issuer_id),
        });
    }
    let lists = Lists::of(entries);
    for list in lists.numbers() {
        let signed = signed_lists.iter().find(|(n, _)| *n == list).and_then(|(_, signed)| signed.as_ref());
        match signed {
            Some(document) if lists.shown_by(list, document) => {
                published.push(Published { url: status::list_url(base, list), document: document.clone() });
            }
            _ => {
                return Err(SiteError(format!(
                    "status list {list} (status/{list}.json in the school folder) is missing or does not show the ledger's revocations (a run was interrupted?)\n  hint: run `mastery publish` with --key KEY_FILE to sign it again"
                )));
            }
        }
    }
    // Every key that signed something, and the current one.
    let mut methods: BTreeSet<String> = entries.iter().filter_map(|entry| entry.verification_method.clone()).collect();
    methods.insert(settings.verification_method.clone());
    let methods: Vec<String> = methods.into_iter().collect();
    let documents = issuer::key_documents_for(&settings.issuer_id, &methods)
        .map_err(|problem| SiteError(format!("{} ({})", problem.message, problem.hint)))?;
    published.extend(documents.into_iter().map(|(url, document)| Published { url, document }));
    Ok(published)
}
