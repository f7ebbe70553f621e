//! The verification site: every document a college's verifier fetches, by its address.
//!
//! - at each issued credential's address (`<verification_url_base>/<uuid>.json`, where the
//!   transcript's QR code points), a small record: issuer, credential id, version, issue
//!   date, status and, when superseded, by what, and the SHA-256 of the signed credential.
//!   Nothing about the student: no name, no id, no record.
//!   With it, the path from the issue's entry to the root of the ledger's signed head
//!   (RFC 9162 inclusion proof; see [`super::head`]), so a verifier can check that the ledger
//!   records the credential.
//! - the signed status lists (`<verification_url_base>/status/<n>.json`);
//! - the ledger's signed head: `<verification_url_base>/ledger/checkpoint`, the latest, and
//!   `ledger/checkpoints/<size>`, each one published, which the records' proofs lead to;
//! - the issuer's key documents: a did:web DID document, or an https issuer's controller
//!   document and each key's document, listing every key the ledger shows was used, so that a
//!   credential signed before a key was rotated still verifies.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use base64::Engine;

use super::head::{self, Tree};
use super::ledger::Entry;
use super::lists::Lists;
use super::state::{Issued, Versions};
use crate::credential::issuer;
use crate::credential::status;
use crate::model::School;

/// A document to publish, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// Its address.
    pub url: String,
    /// What it is.
    pub kind: Kind,
    /// What is served there.
    pub body: Body,
}

/// The kinds of documents of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A credential's record.
    Record,
    /// A signed status list.
    StatusList,
    /// A key document of the issuer.
    Key,
    /// The ledger's signed head of one size, which records' proofs lead to.
    HeadOfSize,
    /// The latest signed head.
    Head,
}

/// What a published document holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// A JSON document: a record, a status list, a key document.
    Json(Value),
    /// A text: the ledger's signed head.
    Text(String),
}

/// The ledger's signed head as the site publishes it: its text, read and checked.
#[derive(Debug, Clone)]
pub struct PublishedHead {
    /// The signed note, as signed.
    pub text: String,
    /// What it says, its signature checked.
    pub signed: head::Signed,
}

/// The address of the latest signed head.
pub fn head_url(base: &str) -> String {
    format!("{}/ledger/checkpoint", base.trim_end_matches('/'))
}

/// The address of the signed head of `size` entries.
pub fn head_url_of_size(base: &str, size: u64) -> String {
    format!("{}/ledger/checkpoints/{size}", base.trim_end_matches('/'))
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

/// Where a credential's issue entry is in the ledger's tree: what its record publishes so that
/// a verifier can rebuild the leaf and follow it to the root of a signed head.
#[derive(Debug, Clone, PartialEq)]
pub struct Inclusion {
    /// The number of the issue's entry (its leaf is entry - 1).
    pub entry: u64,
    /// The SHA-256 of the whole entry, as the ledger holds it.
    pub entry_sha256: String,
    /// The size of the signed head the proof leads to.
    pub tree_size: u64,
    /// The hashes from the leaf to the root.
    pub path: Vec<[u8; 32]>,
}

/// The state of one issued credential, as its record says it.
pub fn record(base: &str, issued: &Issued, issuer_id: &str, inclusion: Option<&Inclusion>) -> Value {
    let entry = &issued.entry;
    let state = issued.state();
    let reason = issued.revoked.clone();
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
    if let Some(inclusion) = inclusion {
        let path: Vec<String> =
            inclusion.path.iter().map(|h| base64::engine::general_purpose::STANDARD.encode(h)).collect();
        record["ledger"] = json!({
            "entry": inclusion.entry,
            "entry_sha256": inclusion.entry_sha256,
            "tree_size": inclusion.tree_size,
            "inclusion_proof": path,
            "checkpoint": head_url_of_size(base, inclusion.tree_size),
        });
    }
    record
}

/// The address of a credential's record: where the transcript's QR code points.
pub fn record_url(base: &str, credential_id: &str) -> String {
    format!("{}/{}.json", base.trim_end_matches('/'), credential_id.trim_start_matches("urn:uuid:"))
}

/// Every document of the site: the ledger's signed head, records, status lists
/// (`signed_lists`, as kept in the school folder), key documents, in the order to write them:
/// the head of this size first and the pointer to the latest head last, so a site cut short
/// by a crash never holds a proof that leads nowhere. Refuses a status list that is missing or
/// behind the ledger, and a head that does not agree with the ledger.
pub fn site(
    school: &School,
    entries: &[Entry],
    signed_lists: &[(u32, Option<Value>)],
    head: Option<&PublishedHead>,
) -> Result<Vec<Published>, SiteError> {
    let settings = school.credentials.as_ref().ok_or_else(|| {
        SiteError("school.json has no \"credentials\": {\"issuer_id\": ..., \"verification_method\": ...}".to_string())
    })?;
    let mut published = Vec::new();
    let versions = Versions::of(entries);
    // A school that has issued nothing publishes its keys alone, and needs no site address.
    let base = if versions.issued().is_empty() { "" } else { super::verification_base(school).map_err(SiteError)? };
    let mut last = Vec::new();
    let covered = match head {
        Some(PublishedHead { text, signed }) if !entries.is_empty() => {
            head::agrees(entries, &signed.head).map_err(|why| {
                SiteError(format!("the ledger's signed head ({}) is not the ledger's: {why}", head::CHECKPOINT))
            })?;
            let size = signed.head.size;
            let of_size = head_url_of_size(base, size);
            published.push(Published { url: of_size, kind: Kind::HeadOfSize, body: Body::Text(text.clone()) });
            last.push(Published { url: head_url(base), kind: Kind::Head, body: Body::Text(text.clone()) });
            Some((Tree::of(&entries[..size as usize]), size))
        }
        _ => None,
    };
    for issued in versions.issued().values() {
        let inclusion = covered.as_ref().filter(|(_, size)| issued.entry.seq <= *size).map(|(tree, size)| Inclusion {
            entry: issued.entry.seq,
            entry_sha256: issued.entry.hash.clone(),
            tree_size: *size,
            path: tree.inclusion(issued.entry.seq - 1),
        });
        published.push(Published {
            url: record_url(base, &issued.entry.credential_id),
            kind: Kind::Record,
            body: Body::Json(record(base, issued, &settings.issuer_id, inclusion.as_ref())),
        });
    }
    let lists = Lists::of(entries);
    for list in lists.numbers() {
        let signed = signed_lists.iter().find(|(n, _)| *n == list).and_then(|(_, signed)| signed.as_ref());
        match signed {
            Some(document) if lists.shown_by(list, document) => {
                let url = status::list_url(base, list);
                published.push(Published { url, kind: Kind::StatusList, body: Body::Json(document.clone()) });
            }
            _ => {
                return Err(SiteError(format!(
                    "status list {list} (status/{list}.json in the school folder) is missing or does not show the ledger's revocations (a run was interrupted?)\n  hint: run `mastery publish` with --key KEY_FILE to sign it again"
                )));
            }
        }
    }
    // Every key that signed something, and the current one.
    let mut methods: BTreeSet<String> = entries
        .iter()
        .flat_map(|entry| [entry.verification_method.clone(), entry.signed_by.clone()])
        .flatten()
        .collect();
    methods.extend(head.map(|h| h.signed.signed_by.clone()));
    methods.extend(settings.keys().map(str::to_string));
    let methods: Vec<String> = methods.into_iter().collect();
    let documents = issuer::key_documents_for(&settings.issuer_id, &methods)
        .map_err(|problem| SiteError(format!("{} ({})", problem.message, problem.hint)))?;
    published.extend(documents.into_iter().map(|(url, document)| Published {
        url,
        kind: Kind::Key,
        body: Body::Json(document),
    }));
    published.extend(last);
    Ok(published)
}
