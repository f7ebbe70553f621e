//! Checking the ledger from outside: that a credential is in the head the site publishes
//! (`mastery verify --site`), and that the school's ledger is the one its published heads were
//! signed over (`mastery log --verify`).

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::head::{self, Signed};
use super::ledger::Entry;
use super::site;
use crate::credential::issuer;
use crate::credential::verify::Verification;

/// Checks that the ledger holds the issue of `credential` (whose bytes, as attached or
/// given, are `bytes`): the record the site publishes for it names a signed head of the
/// ledger, signed by a key of the credential's issuer, and the path from the leaf
/// (rebuilt from the credential, its SHA-256 and the record) leads to that head's root.
/// `fetch` gives a document of the site by its address.
pub fn check_inclusion(
    credential: &Value,
    bytes: &[u8],
    fetch: &dyn Fn(&str) -> Option<Vec<u8>>,
    report: &mut Verification,
) {
    let Some(id) = credential["id"].as_str() else { return };
    let Some(base) = status_base(credential) else { return };
    let record_url = site::record_url(base, id);
    let Some(record) = fetch(&record_url).and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok()) else {
        report.not_checked.push(format!("ledger: the site has no record of {id} at {record_url}"));
        return;
    };
    let mut problem = |why: String| report.problems.push(format!("ledger: {why}"));
    let sha256 = crate::digest::sha256_hex(bytes);
    if record["credential_sha256"].as_str() != Some(sha256.as_str()) {
        return problem(format!(
            "the site's record of {id} is of another credential (its SHA-256 is not this one's): the credential is not the one the school issued"
        ));
    }
    let ledger = &record["ledger"];
    let (Some(entry), Some(entry_sha256), Some(size), Some(checkpoint)) = (
        ledger["entry"].as_u64(),
        ledger["entry_sha256"].as_str(),
        ledger["tree_size"].as_u64(),
        ledger["checkpoint"].as_str(),
    ) else {
        return problem(format!(
            "the site's record of {id} carries no proof that the ledger holds it (a site published by an older mastery: publish it again)"
        ));
    };
    let path: Option<Vec<[u8; 32]>> = ledger["inclusion_proof"]
        .as_array()
        .and_then(|hashes| hashes.iter().map(|h| STANDARD.decode(h.as_str()?).ok()?.try_into().ok()).collect());
    let Some(path) = path else {
        return problem("the record's inclusion proof is not a list of SHA-256 hashes in base64".to_string());
    };
    let Some(text) = fetch(checkpoint).and_then(|bytes| String::from_utf8(bytes).ok()) else {
        return problem(format!("the signed head {checkpoint} that the record's proof leads to is not on the site"));
    };
    let signed = match head::read(&text) {
        Ok(signed) => signed,
        Err(why) => return problem(format!("the signed head {checkpoint} does not verify: {why}")),
    };
    let issuer = credential["issuer"]["id"].as_str().or(credential["issuer"].as_str()).unwrap_or("");
    if let Err(why) = issuer::controls(issuer, &signed.signed_by) {
        return problem(format!("the signed head {checkpoint} is not signed by the issuer: {why}"));
    }
    if signed.head.size != size || signed.head.origin != head::origin(base) {
        return problem(format!("the signed head {checkpoint} is not the head the record's proof was made for"));
    }
    let leaf = head::leaf_text(entry, "issue", id, Some(&sha256), entry_sha256);
    match head::includes(&signed.head.root, size, entry.saturating_sub(1), &leaf, &path) {
        Ok(()) => report.checked.push(format!(
            "ledger: the issue of this credential is entry {entry} of the school's ledger, in the head of {size} entries signed by {} (RFC 9162 inclusion proof)",
            signed.signed_by
        )),
        Err(why) => problem(format!("the record of {id}: {why}")),
    }
}

/// The verification address a credential's status list hangs from.
fn status_base(credential: &Value) -> Option<&str> {
    let status = match &credential["credentialStatus"] {
        Value::Array(list) => list.first()?,
        other => other,
    };
    status["statusListCredential"].as_str()?.rsplit_once("/status/").map(|(base, _)| base)
}

/// A head to hold the ledger against: where it came from, and its text.
pub struct Given {
    /// Where it was read, for the messages.
    pub from: String,
    /// The signed note.
    pub text: String,
}

/// Checks a ledger whose chain and signatures [`super::ledger::read`] has already checked
/// against the keys `school.json` names: that every key that signed an entry is `trusted`
/// (with the site, a key the site publishes as the school's), and that the ledger
/// agrees with each head given (the one the site publishes, the one the school folder keeps,
/// one a college or auditor saved): nothing rewritten, cut or forked since each was signed.
pub fn ledger(
    entries: &[Entry],
    base: &str,
    issuer_id: &str,
    trusted: &BTreeSet<String>,
    heads: &[Given],
) -> Verification {
    let mut audit = Verification::default();
    match super::ledger::check_every_signature(entries) {
        Ok(()) => audit.checked.push(format!(
            "the chain of {} entries holds, and so does every entry's signature (each also covers the entries before it)",
            entries.len()
        )),
        Err((line, why)) => audit.problems.push(format!("entry {line}: {why}")),
    }
    let methods: BTreeSet<&str> = entries.iter().filter_map(|e| e.signed_by.as_deref()).collect();
    for method in methods {
        if trusted.contains(method) {
            audit.checked.push(format!("entries signed by {method}, a key of the school"));
        } else {
            audit.problems.push(format!(
                "entries are signed by {method}, a key the site does not publish as the school's: someone may have rewritten the ledger with a key of their own and named it in school.json"
            ));
        }
    }
    for given in heads {
        let signed = match head::read(&given.text) {
            Ok(signed) => signed,
            Err(why) => {
                audit.problems.push(format!("{}: the head does not verify: {why}", given.from));
                continue;
            }
        };
        let Signed { head, signed_by } = &signed;
        if let Err(why) = issuer::controls(issuer_id, signed_by) {
            audit.problems.push(format!("{}: the head is not signed by the school: {why}", given.from));
            continue;
        }
        if head.origin != head::origin(base) {
            audit
                .problems
                .push(format!("{}: the head is of the log {}, not of this school's", given.from, head.origin));
            continue;
        }
        match head::agrees(entries, head) {
            Ok(()) => audit.checked.push(format!(
                "{}: the ledger's first {} entries are those of the head signed by {signed_by}",
                given.from, head.size
            )),
            Err(why) => audit.problems.push(format!("{}: {why}", given.from)),
        }
    }
    if heads.is_empty() {
        audit.not_checked.push(
            "no published head was given (--site DIR or --checkpoint FILE): a rewrite by someone holding the school's key cannot be told from the ledger alone".to_string(),
        );
    }
    audit
}
