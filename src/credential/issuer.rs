//! Who signs: the school as issuer, the verification method that names its key, and the key.
//!
//! Verifiers accept a proof only when the issuer controls the key that made it: the DCC
//! verifier and Digital Bazaar's stack resolve the verification method, read its controller
//! and require it to be the credential's issuer. Three set-ups do that, and each names the
//! public key in the method itself, so `mastery` can check a credential offline:
//!
//! | set-up | `issuer_id` | `verification_method` | what the school publishes |
//! |---|---|---|---|
//! | did:key | `did:key:z6Mk…` | `did:key:z6Mk…#z6Mk…` | nothing |
//! | did:web | `did:web:school.org` | `did:web:school.org#z6Mk…` | `https://school.org/.well-known/did.json` |
//! | https | `https://school.org/issuer` | `https://school.org/keys/z6Mk…` | the issuer's controller document and the key's document at those addresses |
//!
//! An https method written with a fragment (`https://school.org/issuer#z6Mk…`) is refused:
//! verifiers fetch an https method without its fragment and get the controller document where
//! they expect the key. [`Signer::new`] is the one way to get something that signs, and only
//! when key, method and issuer agree.

use serde_json::{Value, json};

use super::proof::{self, Key, ProofError};
use crate::model::CredentialSettings;

const DID_CONTEXT: &str = "https://www.w3.org/ns/did/v1";
const MULTIKEY_CONTEXT: &str = "https://w3id.org/security/multikey/v1";

/// A problem with the `credentials` settings of `school.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsProblem {
    /// The field at fault: `issuer_id` or `verification_method`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// How a verification method is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodKind {
    /// A `did:key`: the key is its own document.
    DidKey,
    /// The DID (without fragment) whose document lists the key.
    DidWeb(String),
    /// An https URL that serves the key's document.
    Https,
}

/// A verification method, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    /// The method's id, as `school.json` names it.
    pub id: String,
    /// How it is published.
    pub kind: MethodKind,
    /// The Ed25519 public key it names, as a Multikey (`z6Mk…`).
    pub public_key: String,
}

fn is_multikey(text: &str) -> bool {
    text.starts_with("z6Mk") && proof::public_key_of(&format!("did:key:{text}")).is_ok()
}

const KEYGEN_HINT: &str = "run `mastery keygen`: it prints the verification_method of each set-up for the new key";

/// Reads a verification method: which set-up it belongs to and the key it names. A problem
/// comes with the fix.
pub fn method(id: &str) -> Result<Method, (String, String)> {
    let problem = |message: String| Err((message, KEYGEN_HINT.to_string()));
    if let Some(rest) = id.strip_prefix("did:key:") {
        let (key, fragment) = rest.split_once('#').unwrap_or((rest, ""));
        if !is_multikey(key) || fragment != key {
            return problem(format!(
                "\"{id}\" is not the did:key of an Ed25519 key: it reads did:key:z6Mk…#z6Mk…, with the same key twice"
            ));
        }
        return Ok(Method { id: id.to_string(), kind: MethodKind::DidKey, public_key: key.to_string() });
    }
    if id.starts_with("did:web:") {
        let Some((did, key)) = id.split_once('#') else {
            return problem(format!("\"{id}\" names no key: a did:web method ends in #z6Mk…, the public key"));
        };
        if !is_multikey(key) {
            return problem(format!("the fragment of \"{id}\" is not an Ed25519 public key (z6Mk…)"));
        }
        return Ok(Method {
            id: id.to_string(),
            kind: MethodKind::DidWeb(did.to_string()),
            public_key: key.to_string(),
        });
    }
    if let Some(rest) = id.strip_prefix("https://") {
        if let Some((base, fragment)) = id.split_once('#') {
            return Err((
                format!(
                    "verifiers fetch the https key \"{id}\" without its #fragment, and find the issuer's document instead of the key"
                ),
                format!(
                    "give the key an address of its own on the issuer's host, such as \"{}/keys/{fragment}\", or use a did:web",
                    origin(base)
                ),
            ));
        }
        let key = rest.rsplit('/').next().unwrap_or("");
        if !rest.contains('/') || !is_multikey(key) {
            return problem(format!("the last part of the address \"{id}\" must be the Ed25519 public key (z6Mk…)"));
        }
        return Ok(Method { id: id.to_string(), kind: MethodKind::Https, public_key: key.to_string() });
    }
    problem(format!("\"{id}\" is neither a did:key, a did:web nor an https address"))
}

/// Whether the method is one the issuer controls, as verifiers require.
pub fn check(settings: &CredentialSettings) -> Result<Method, SettingsProblem> {
    let issuer = settings.issuer_id.as_str();
    let method = method(&settings.verification_method).map_err(|(message, hint)| SettingsProblem {
        field: "verification_method",
        message,
        hint,
    })?;
    let key = &method.public_key;
    match &method.kind {
        MethodKind::DidKey if issuer != format!("did:key:{key}") => Err(SettingsProblem {
            field: "issuer_id",
            message: format!(
                "a did:key proves only that did:key itself issued the credential, so issuer_id must be did:key:{key}, not \"{issuer}\""
            ),
            hint: format!(
                "set \"issuer_id\": \"did:key:{key}\", or publish the key at the school's own address with an https or did:web verification_method"
            ),
        }),
        MethodKind::DidWeb(did) if issuer != did => Err(SettingsProblem {
            field: "issuer_id",
            message: format!("the key belongs to {did}, so issuer_id must be \"{did}\", not \"{issuer}\""),
            hint: format!("set \"issuer_id\": \"{did}\", or name a key of {issuer}"),
        }),
        MethodKind::Https if issuer.contains('#') || issuer.contains('?') || !issuer.starts_with("https://") => {
            Err(SettingsProblem {
                field: "issuer_id",
                message: format!(
                    "an https key needs an https issuer_id without # or ? whose document lists it, not \"{issuer}\""
                ),
                hint: "give the school's address, such as \"https://school.org/issuer\"".to_string(),
            })
        }
        MethodKind::Https if origin(&method.id) != origin(issuer) => Err(SettingsProblem {
            field: "verification_method",
            message: format!(
                "the key \"{}\" is not on the issuer's web host ({}), so the issuer's document cannot vouch for it",
                method.id,
                origin(issuer)
            ),
            hint: format!("name it {}/keys/{key}", origin(issuer)),
        }),
        _ => Ok(method),
    }
}

/// Why a key cannot sign for the school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerError {
    /// The settings themselves are wrong.
    Settings(SettingsProblem),
    /// The key is not the one the verification method names.
    OtherKey {
        /// The public key of the key file.
        held: String,
        /// The public key the verification method names.
        named: String,
    },
}

/// `https://host` of an https address (the scheme and authority).
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// Whether the issuer of a credential controls the method of its proof, as verifiers require:
/// a did:key only for itself, a DID URL for its DID, an https key for the address its
/// fragment hangs from or, without a fragment, a key on the issuer's own web host (whose
/// controller document lists it).
pub fn controls(issuer: &str, method: &str) -> Result<(), String> {
    let controller = match method.split_once('#') {
        Some((base, _)) => base,
        None if method.starts_with("https://") => {
            if issuer.starts_with("https://") && origin(method) == origin(issuer) {
                return Ok(());
            }
            return Err(format!("the proof's key {method} is not on the issuer's web host ({issuer})"));
        }
        None => method,
    };
    if controller == issuer {
        Ok(())
    } else if controller.starts_with("did:key:") {
        Err(format!("the proof's key is {controller}, which proves only that {controller} issued it, not {issuer}"))
    } else {
        Err(format!("the proof's key {method} belongs to {controller}, not to the issuer {issuer}"))
    }
}

/// The school's signing key, known to be the one its settings name.
#[derive(Clone)]
pub struct Signer {
    key: Key,
    settings: CredentialSettings,
}

impl Signer {
    /// Pairs a key with the settings, when its public half is the key the verification method
    /// names and the method is the issuer's.
    pub fn new(settings: &CredentialSettings, key: Key) -> Result<Signer, SignerError> {
        let method = check(settings).map_err(SignerError::Settings)?;
        if key.public_multibase() != method.public_key {
            return Err(SignerError::OtherKey { held: key.public_multibase(), named: method.public_key });
        }
        Ok(Signer { key, settings: settings.clone() })
    }

    /// The issuer's id, as credentials name it.
    pub fn issuer_id(&self) -> &str {
        &self.settings.issuer_id
    }

    /// The verification method that names the key, as proofs name it.
    pub fn verification_method(&self) -> &str {
        &self.settings.verification_method
    }

    /// The signing key.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Signs a document with a proof created at `created`.
    pub fn sign(&self, document: &Value, created: &str) -> Result<Value, ProofError> {
        self.key.sign(document, &self.settings.verification_method, created)
    }
}

/// The documents a verifier fetches to find the key, by their URL: a did:web DID document, or
/// an https issuer's controller document and the key's own document. None for a did:key.
pub fn key_documents(settings: &CredentialSettings) -> Result<Vec<(String, Value)>, SettingsProblem> {
    key_documents_for(&settings.issuer_id, std::slice::from_ref(&settings.verification_method))
}

/// The documents a verifier fetches to find any of several keys of one issuer (the current
/// one and those it signed with before a rotation), each method checked as
/// [`key_documents`] checks one.
pub fn key_documents_for(issuer: &str, methods: &[String]) -> Result<Vec<(String, Value)>, SettingsProblem> {
    let methods =
        methods.iter().map(|id| check(&CredentialSettings::new(issuer, id))).collect::<Result<Vec<Method>, _>>()?;
    let ids = |kind: fn(&MethodKind) -> bool| methods.iter().filter(|m| kind(&m.kind)).collect::<Vec<_>>();
    let mut documents = Vec::new();
    let web = ids(|kind| matches!(kind, MethodKind::DidWeb(_)));
    if !web.is_empty() {
        let document = json!({
            "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
            "id": issuer,
            "verificationMethod": web.iter().map(|m| json!({"id": m.id, "type": "Multikey", "controller": issuer, "publicKeyMultibase": m.public_key})).collect::<Vec<_>>(),
            "assertionMethod": web.iter().map(|m| &m.id).collect::<Vec<_>>(),
        });
        documents.push((did_web_url(issuer), document));
    }
    let https = ids(|kind| matches!(kind, MethodKind::Https));
    if !https.is_empty() {
        let assertion: Vec<&String> = https.iter().map(|m| &m.id).collect();
        documents.push((
            issuer.to_string(),
            json!({"@context": [DID_CONTEXT, MULTIKEY_CONTEXT], "id": issuer, "assertionMethod": assertion}),
        ));
        for method in https {
            documents.push((
                method.id.clone(),
                json!({"@context": MULTIKEY_CONTEXT, "id": method.id, "type": "Multikey", "controller": issuer, "publicKeyMultibase": method.public_key}),
            ));
        }
    }
    Ok(documents)
}

/// Where a did:web DID document is published: `did:web:host` at
/// `https://host/.well-known/did.json`, `did:web:host:a:b` at `https://host/a/b/did.json`.
pub fn did_web_url(did: &str) -> String {
    let rest = did.strip_prefix("did:web:").unwrap_or(did);
    let mut parts = rest.split(':').map(|p| p.replace("%3A", ":"));
    let host = parts.next().unwrap_or_default();
    let path: Vec<String> = parts.collect();
    if path.is_empty() {
        format!("https://{host}/.well-known/did.json")
    } else {
        format!("https://{host}/{}/did.json", path.join("/"))
    }
}

/// Where a published document goes in a site folder: its host, then its path
/// (`https://school.org/keys/z6Mk…` at `school.org/keys/z6Mk…`). `None` for an
/// address that is not https or would leave the folder.
pub fn site_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("https://")?;
    let rest = rest.split(['#', '?']).next().unwrap_or(rest);
    let mut path = std::path::PathBuf::new();
    for part in rest.split('/').filter(|p| !p.is_empty()) {
        if part == "." || part == ".." || part.contains('\\') {
            return None;
        }
        path.push(part);
    }
    // A host's own address is served by its index.
    if path.components().count() == 1 {
        path.push("index.json");
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "z6MkoYuWEZFUaNHkjA7FggfdBbhjYxpBTQmiMBtyw1QJBLvy";

    fn settings(issuer: &str, method: &str) -> CredentialSettings {
        CredentialSettings::new(issuer, method)
    }

    #[test]
    fn the_three_set_ups_are_accepted() {
        for (issuer, method) in [
            (format!("did:key:{KEY}"), format!("did:key:{KEY}#{KEY}")),
            ("did:web:school.example.org".to_string(), format!("did:web:school.example.org#{KEY}")),
            ("https://school.example.org/issuer".to_string(), format!("https://school.example.org/keys/{KEY}")),
        ] {
            assert!(check(&settings(&issuer, &method)).is_ok(), "{issuer} {method}");
        }
    }

    #[test]
    fn a_rotated_key_stays_in_the_published_documents() {
        let old = Key::from_seed([3; 32]).public_multibase();
        let methods = |host: &str, make: &dyn Fn(&str) -> String| {
            vec![make(&old), make(KEY)].into_iter().map(|m| m.replace("HOST", host)).collect::<Vec<_>>()
        };
        // https: the controller lists both keys, and each key has its document.
        let https = methods("school.example.org", &|key| format!("https://HOST/keys/{key}"));
        let documents = key_documents_for("https://school.example.org/issuer", &https).unwrap();
        assert_eq!(documents.len(), 3);
        assert_eq!(documents[0].1["assertionMethod"], json!(https));
        assert_eq!(documents[1].1["publicKeyMultibase"], json!(old));
        // did:web: one document with both methods.
        let web = methods("school.example.org", &|key| format!("did:web:HOST#{key}"));
        let documents = key_documents_for("did:web:school.example.org", &web).unwrap();
        assert_eq!(documents.len(), 1);
        assert_eq!(documents[0].0, "https://school.example.org/.well-known/did.json");
        assert_eq!(documents[0].1["verificationMethod"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn a_did_key_with_an_https_issuer_is_refused_with_the_fix() {
        let problem = check(&settings("https://school.example.org", &format!("did:key:{KEY}#{KEY}"))).unwrap_err();
        assert_eq!(problem.field, "issuer_id");
        assert!(problem.hint.contains(&format!("\"issuer_id\": \"did:key:{KEY}\"")), "{problem:?}");
    }

    #[test]
    fn an_https_key_with_a_fragment_or_elsewhere_is_refused() {
        let problem =
            check(&settings("https://school.example.org/issuer", &format!("https://school.example.org/issuer#{KEY}")))
                .unwrap_err();
        assert!(problem.message.contains("without its #fragment"), "{problem:?}");
        let problem =
            check(&settings("https://school.example.org/issuer", &format!("https://other.example.org/keys/{KEY}")))
                .unwrap_err();
        assert_eq!(problem.hint, format!("name it https://school.example.org/keys/{KEY}"));
    }

    #[test]
    fn a_key_that_is_not_the_named_one_cannot_sign() {
        let named = settings(&format!("did:key:{KEY}"), &format!("did:key:{KEY}#{KEY}"));
        let other = Key::from_seed([9; 32]);
        let error = Signer::new(&named, other.clone()).err().unwrap();
        assert_eq!(error, SignerError::OtherKey { held: other.public_multibase(), named: KEY.to_string() });
    }

    #[test]
    fn a_proof_binds_only_its_controllers_credentials() {
        let did_key = format!("did:key:{KEY}");
        assert!(controls(&did_key, &format!("{did_key}#{KEY}")).is_ok());
        assert!(controls("https://school.example.org", &format!("{did_key}#{KEY}")).is_err());
        assert!(
            controls("https://example.edu/issuers/565049", &format!("https://example.edu/issuers/565049#{KEY}"))
                .is_ok()
        );
        assert!(
            controls("https://school.example.org/issuer", &format!("https://school.example.org/keys/{KEY}")).is_ok()
        );
        assert!(
            controls("https://school.example.org/issuer", &format!("https://elsewhere.example.org/keys/{KEY}"))
                .is_err()
        );
    }

    #[test]
    fn site_paths_follow_the_address_and_stay_inside() {
        assert_eq!(site_path("https://school.org/issuer/keys/z6Mk"), Some("school.org/issuer/keys/z6Mk".into()));
        assert_eq!(
            site_path("https://school.org/.well-known/did.json"),
            Some("school.org/.well-known/did.json".into())
        );
        assert_eq!(site_path("https://school.org/../etc"), None);
        assert_eq!(site_path("http://school.org/x"), None);
        assert_eq!(site_path("https://school.org"), Some("school.org/index.json".into()));
    }

    #[test]
    fn did_web_documents_live_where_the_method_says() {
        assert_eq!(did_web_url("did:web:school.example.org"), "https://school.example.org/.well-known/did.json");
        assert_eq!(did_web_url("did:web:school.example.org:records"), "https://school.example.org/records/did.json");
    }
}
