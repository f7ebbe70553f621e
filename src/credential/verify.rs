//! `mastery verify`: is this credential what its issuer signed, well formed and in date?
//!
//! A ClrCredential, OpenBadgeCredential or AchievementCredential is checked against 1EdTech's
//! JSON Schema for it (draft 2019-09, formats on); then every proof, its own and those of the
//! credentials nested in it, each of which is also checked against the AchievementCredential
//! schema; that each proof's key is one the issuer controls; then the rules
//! the schemas leave to code (a subject names its recipient, results point at levels that
//! exist, associations join achievements of the record); then the dates.

use std::sync::OnceLock;

use chrono::NaiveDate;
use jsonschema::Validator;
use serde_json::Value;

use super::proof::verify_proof;

const CLR_SCHEMA: &str = include_str!("../../schemas/clr/clr_v2p0_clrcredential_schema.json");
const ACHIEVEMENT_SCHEMA: &str = include_str!("../../schemas/clr/clr_v2p0_achievementcredential_schema.json");
const BADGE_SCHEMA: &str = include_str!("../../schemas/clr/ob_v3p0_achievementcredential_schema.json");

/// What a file given to `mastery verify` carries its credential in.
#[derive(Debug)]
pub enum Carrier {
    /// An issued transcript: the credential attached, beside the files it binds, and the
    /// digest of the printed pages it binds too.
    Pdf {
        /// Every attached file, by name.
        attachments: Vec<(String, Vec<u8>)>,
        /// The digest of the pages ("mastery page digest 1", [`crate::load::pdf::pages_digest`]).
        pages: [u8; 32],
    },
    /// An Open Badge baked into a PNG image.
    Png,
    /// An Open Badge baked into an SVG image.
    Svg,
    /// The credential's JSON itself.
    Json,
}

/// The name of the signed credential an issued PDF carries.
pub const PDF_CREDENTIAL: &str = "credential.clr.json";

/// A file's credential, taken out of whatever carries it: a PDF (by its first bytes) or a
/// badge image (PNG by its first bytes, SVG by `name`'s extension); anything else is taken
/// to be the JSON itself. The error says why there is no credential to check.
pub fn unwrap_file(name: &std::path::Path, bytes: Vec<u8>) -> Result<(Carrier, Vec<u8>), String> {
    if bytes.starts_with(b"%PDF-") {
        let crate::load::pdf::Contents { attachments, pages } = crate::load::pdf::contents(&bytes)?;
        let Some((_, credential)) = attachments.iter().find(|(file, _)| file == PDF_CREDENTIAL) else {
            return Err("the PDF carries no signed credential: it is a preview (an unofficial copy) or not an issued mastery transcript".to_string());
        };
        let credential = credential.clone();
        Ok((Carrier::Pdf { attachments, pages }, credential))
    } else if bytes.starts_with(b"\x89PNG") {
        let text = super::badge::unbake_png(&bytes).map_err(|e| e.to_string())?;
        Ok((Carrier::Png, text.into_bytes()))
    } else if name.extension().is_some_and(|e| e.eq_ignore_ascii_case("svg")) {
        let text = super::badge::unbake_svg(&String::from_utf8_lossy(&bytes)).map_err(|e| e.to_string())?;
        Ok((Carrier::Svg, text.into_bytes()))
    } else {
        Ok((Carrier::Json, bytes))
    }
}

/// The official schemas, each compiled the first time a credential needs it.
#[derive(Default)]
pub struct CredentialSchemas {
    clr: OnceLock<Validator>,
    achievement: OnceLock<Validator>,
    badge: OnceLock<Validator>,
}

/// Compiles one of 1EdTech's schemas. They are written for draft 2019-09 but use only
/// keywords that mean the same under draft-07 (no `$ref` beside other keywords, `$defs` reached
/// by JSON Pointer), and compiling them under draft-07 checks them against a far smaller
/// meta-schema: two thirds of the fixed cost of a `mastery verify` run. A test pins that both
/// drafts give the same verdicts.
fn compile(text: &str) -> Validator {
    let schema: Value = serde_json::from_str(text).expect("embedded schema is JSON");
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .with_pattern_options(jsonschema::PatternOptions::regex())
        .build(&schema)
        .expect("embedded schema compiles")
}

/// The embedded schemas by name, for tests: `clr`, `achievement` and `badge`.
pub fn schema_text(name: &str) -> Option<&'static str> {
    match name {
        "clr" => Some(CLR_SCHEMA),
        "achievement" => Some(ACHIEVEMENT_SCHEMA),
        "badge" => Some(BADGE_SCHEMA),
        _ => None,
    }
}

impl CredentialSchemas {
    /// The schemas, compiled when first needed.
    pub fn new() -> CredentialSchemas {
        CredentialSchemas::default()
    }

    /// Schema problems of a credential, by the schema its type calls for.
    pub fn check(&self, credential: &Value) -> Vec<String> {
        let validator = if has_type(credential, "ClrCredential") {
            self.clr.get_or_init(|| compile(CLR_SCHEMA))
        } else if has_type(credential, "OpenBadgeCredential") {
            self.badge.get_or_init(|| compile(BADGE_SCHEMA))
        } else {
            self.achievement.get_or_init(|| compile(ACHIEVEMENT_SCHEMA))
        };
        validator
            .iter_errors(credential)
            .map(|e| format!("{}: {e}", display_pointer(e.instance_path().as_str())))
            .collect()
    }
}

fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "(root)" } else { pointer }
}

fn has_type(value: &Value, name: &str) -> bool {
    match &value["type"] {
        Value::String(t) => t == name,
        Value::Array(types) => types.iter().any(|t| t == name),
        _ => false,
    }
}

fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

/// What verification found: what holds, and what does not.
#[derive(Debug, Default)]
pub struct Verification {
    /// What holds, one line each.
    pub checked: Vec<String>,
    /// What does not, one line each.
    pub problems: Vec<String>,
    /// What could not be checked (a status list that was not at hand), one line each: never
    /// reported as valid.
    pub not_checked: Vec<String>,
}

impl Verification {
    /// Whether nothing failed.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Verifies a credential as of `today`.
pub fn verify(credential: &Value, schemas: &CredentialSchemas, today: NaiveDate) -> Verification {
    let mut report = Verification::default();
    let kind = if has_type(credential, "ClrCredential") {
        "ClrCredential"
    } else if has_type(credential, "OpenBadgeCredential") {
        "OpenBadgeCredential"
    } else if has_type(credential, "AchievementCredential") {
        "AchievementCredential"
    } else {
        report
            .problems
            .push("not a ClrCredential, OpenBadgeCredential or AchievementCredential (see its \"type\")".to_string());
        return report;
    };
    check_one(credential, kind, "", schemas, today, &mut report);
    for (i, nested) in list(&credential["credentialSubject"]["verifiableCredential"]).into_iter().enumerate() {
        check_one(
            nested,
            "AchievementCredential",
            &format!("/credentialSubject/verifiableCredential/{i}"),
            schemas,
            today,
            &mut report,
        );
    }
    if kind == "ClrCredential" {
        check_references(credential, &mut report);
    }
    report
}

fn check_one(
    credential: &Value,
    kind: &str,
    at: &str,
    schemas: &CredentialSchemas,
    today: NaiveDate,
    report: &mut Verification,
) {
    let name = if at.is_empty() { kind.to_string() } else { format!("{kind} at {at}") };
    let schema_problems = schemas.check(credential);
    if schema_problems.is_empty() {
        report.checked.push(format!("{name}: matches 1EdTech's JSON Schema"));
    }
    report.problems.extend(schema_problems.into_iter().map(|p| format!("{name}: schema: {p}")));

    let proofs = list(&credential["proof"]);
    if proofs.is_empty() {
        report.problems.push(format!("{name}: has no proof"));
    }
    for proof in proofs {
        match verify_proof(credential, proof) {
            Ok(()) => report
                .checked
                .push(format!("{name}: proof by {} holds", proof["verificationMethod"].as_str().unwrap_or("?"))),
            Err(error) => report.problems.push(format!("{name}: proof: {error}")),
        }
        // The key must be one the issuer controls.
        if let (Some(method), Some(issuer)) = (proof["verificationMethod"].as_str(), issuer_id(credential))
            && let Err(problem) = super::issuer::controls(issuer, method)
        {
            report.problems.push(format!("{name}: {problem}"));
        }
    }

    let subject = &credential["credentialSubject"];
    if subject.get("id").is_none() && list(&subject["identifier"]).is_empty() {
        report.problems.push(format!("{name}: the subject has neither an id nor an identifier"));
    }
    let date = |field: &str| credential[field].as_str().map(|t| (t, t.get(..10).and_then(crate::model::parse_date)));
    match date("validFrom") {
        Some((_, Some(from))) if from > today => report.problems.push(format!("{name}: not valid until {from}")),
        Some((text, None)) => report.problems.push(format!("{name}: validFrom {text} is not a date")),
        None => report.problems.push(format!("{name}: has no validFrom")),
        _ => {}
    }
    match date("validUntil") {
        Some((_, Some(until))) if until < today => report.problems.push(format!("{name}: expired on {until}")),
        Some((text, None)) => report.problems.push(format!("{name}: validUntil {text} is not a date")),
        _ => {}
    }
}

fn issuer_id(credential: &Value) -> Option<&str> {
    credential["issuer"].as_str().or_else(|| credential["issuer"]["id"].as_str())
}

/// The references inside a CLR that its schema cannot check.
fn check_references(clr: &Value, report: &mut Verification) {
    let subject = &clr["credentialSubject"];
    let mut achievements: Vec<&str> = list(&subject["achievement"]).iter().filter_map(|a| a["id"].as_str()).collect();
    for nested in list(&subject["verifiableCredential"]) {
        let achievement = &nested["credentialSubject"]["achievement"];
        achievements.extend(achievement["id"].as_str());
        let levels: Vec<&str> = list(&achievement["resultDescription"])
            .iter()
            .flat_map(|d| list(&d["rubricCriterionLevel"]))
            .filter_map(|l| l["id"].as_str())
            .collect();
        let descriptions: Vec<&str> =
            list(&achievement["resultDescription"]).iter().filter_map(|d| d["id"].as_str()).collect();
        for result in list(&nested["credentialSubject"]["result"]) {
            if let Some(level) = result["achievedLevel"].as_str()
                && !levels.contains(&level)
            {
                report.problems.push(format!("a result's achievedLevel {level} is not a level of its achievement"));
            }
            if let Some(description) = result["resultDescription"].as_str()
                && !descriptions.contains(&description)
            {
                report
                    .problems
                    .push(format!("a result's resultDescription {description} is not one of its achievement"));
            }
        }
    }
    for association in list(&subject["association"]) {
        for end in ["sourceId", "targetId"] {
            if let Some(id) = association[end].as_str()
                && !achievements.contains(&id)
            {
                report.problems.push(format!("an association's {end} {id} is not an achievement of this record"));
            }
        }
    }
}

/// Checks the revocation status of a credential in the status lists it names, each found by
/// its address through `lookup` (a published site, or a list given as a file). A list that
/// cannot be found is "not checked"; a list whose proof fails or that another issuer signed is
/// a problem; a set bit is a problem, with the reason the school's record of the credential
/// gives, when it can be found too.
pub fn check_status(credential: &Value, lookup: &dyn Fn(&str) -> Option<Value>, report: &mut Verification) {
    let entries = list(&credential["credentialStatus"]);
    if entries.is_empty() {
        report
            .not_checked
            .push("status: the credential names no status list, so it cannot be shown to be current".to_string());
        return;
    }
    for entry in entries {
        let url = entry["statusListCredential"].as_str().unwrap_or("");
        let index = entry["statusListIndex"].as_str().and_then(|i| i.parse::<u64>().ok());
        let (Some(index), true) = (index, entry["type"] == "BitstringStatusListEntry") else {
            report
                .problems
                .push(format!("status: an entry that is not a BitstringStatusListEntry with an index: {entry}"));
            continue;
        };
        let purpose = entry["statusPurpose"].as_str().unwrap_or("revocation");
        let Some(status_list) = lookup(url) else {
            report
                .not_checked
                .push(format!("status: the status list {url} was not at hand, so {purpose} is not checked"));
            continue;
        };
        match list_bit(&status_list, url, issuer_id(credential), index) {
            Err(problem) => report.problems.push(format!("status: the status list {url}: {problem}")),
            Ok(false) => {
                report.checked.push(format!("status: not revoked (bit {index} of {url}, signed by the issuer)"))
            }
            Ok(true) => {
                let record = url.rsplit_once("/status/").and_then(|(base, _)| {
                    let id = credential["id"].as_str()?.trim_start_matches("urn:uuid:");
                    lookup(&format!("{base}/{id}.json"))
                });
                let line = match record.as_ref() {
                    Some(record) if record["status"] == "superseded" => format!(
                        "status: no longer current: {} (a corrected version replaces it)",
                        record["reason"].as_str().unwrap_or("superseded")
                    ),
                    Some(record) if record["reason"].is_string() => {
                        format!("status: revoked by its issuer: {}", record["reason"].as_str().unwrap_or(""))
                    }
                    _ => "status: revoked by its issuer".to_string(),
                };
                report.problems.push(line);
            }
        }
    }
}

/// The bit `index` of a status list credential, once its proof, type, address and issuer are
/// checked.
fn list_bit(status_list: &Value, url: &str, issuer: Option<&str>, index: u64) -> Result<bool, String> {
    if status_list["id"].as_str() != Some(url) {
        return Err(format!("it names itself {}", status_list["id"]));
    }
    if !has_type(status_list, "BitstringStatusListCredential") {
        return Err("it is not a BitstringStatusListCredential".to_string());
    }
    let proofs = list(&status_list["proof"]);
    if proofs.is_empty() {
        return Err("it has no proof".to_string());
    }
    for proof in proofs {
        verify_proof(status_list, proof).map_err(|e| e.to_string())?;
        if let (Some(method), Some(list_issuer)) = (proof["verificationMethod"].as_str(), issuer_id(status_list)) {
            super::issuer::controls(list_issuer, method)?;
        }
    }
    if issuer_id(status_list) != issuer {
        return Err(format!("it was issued by {}, not by the credential's issuer", status_list["issuer"]));
    }
    super::status::bit(status_list["credentialSubject"]["encodedList"].as_str().unwrap_or(""), index)
}

/// Checks that what a credential binds (`relatedResource` with a `digestSRI`) is what is at
/// hand, by the part of its id after `#`: the data attached to an issued PDF, by its bytes,
/// and the PDF's printed pages (`#pages`), by their digest `pages`
/// ([`crate::load::pdf::pages_digest`]).
pub fn check_binding(credential: &Value, files: &[(String, Vec<u8>)], pages: &[u8; 32], report: &mut Verification) {
    let resources = list(&credential["relatedResource"]);
    if resources.is_empty() {
        report.problems.push("the credential binds no attached file (no relatedResource)".to_string());
    }
    let mut pages_bound = false;
    for resource in resources {
        let id = resource["id"].as_str().unwrap_or("");
        let name = id.rsplit_once('#').map_or(id, |(_, name)| name);
        if name == super::clr::PAGES {
            pages_bound = true;
            if resource["digestSRI"].as_str() == Some(super::clr::sri(pages).as_str()) {
                report
                    .checked
                    .push("the printed pages are the ones the credential binds (mastery page digest 1)".to_string());
            } else {
                report.problems.push(
                    "the printed pages are not the ones the credential binds: what the PDF shows was changed after it was issued"
                        .to_string(),
                );
            }
            continue;
        }
        let Some((_, bytes)) = files.iter().find(|(file, _)| file == name) else {
            report.problems.push(format!("the credential binds {name}, which is not attached"));
            continue;
        };
        if resource["digestSRI"].as_str() == Some(super::clr::sri_sha256(bytes).as_str()) {
            report.checked.push(format!("the attached {name} is the one the credential binds (SHA-256)"));
        } else {
            report.problems.push(format!("the attached {name} is not the one the credential binds: it was changed"));
        }
    }
    if !pages_bound {
        report.not_checked.push(
            "the credential does not bind the printed pages (issued by an older mastery): a change to what they show would not be seen"
                .to_string(),
        );
    }
}
