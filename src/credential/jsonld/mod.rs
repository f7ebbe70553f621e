//! JSON-LD 1.1 to RDF, the way the verifiers in the field read a credential.
//!
//! Signing and verifying a Data Integrity proof both start by turning the credential into an
//! RDF dataset ([`to_rdf`]), which [`super::rdfc`] then canonicalizes. Every verifier a
//! college or wallet uses runs jsonld.js in *safe mode*: a document in which any property
//! name or `@type` value is not defined by its contexts, any `@id` is relative, or any value
//! would silently be dropped is refused rather than read with a guess. This module applies the
//! same rules, so a credential `mastery` signs is one those verifiers can read, and a
//! credential it verifies means to it what it means to them. A refusal names the JSON Pointer
//! of the value at fault.
//!
//! The contexts a credential may use are embedded ([`CONTEXTS`]); any other is refused and
//! nothing is fetched. Processing a context is the expensive part of JSON-LD, and the same
//! few contexts (with the type- and property-scoped contexts inside them) come back in every
//! credential, so each processed context is kept for the life of the process, keyed by the
//! active context it was applied to: after the first credential, expansion is a walk over the
//! document with table look-ups.
//!
//! The code follows the algorithms of *JSON-LD 1.1 Processing Algorithms and API* (W3C
//! Recommendation, 2020), each function naming the section and steps it implements:
//!
//! - [`context`]: the Context Processing Algorithm and Create Term Definition (section 4),
//!   IRI Expansion (section 5.2), and the cache of processed contexts;
//! - [`expand`]: the Expansion Algorithm and Value Expansion (sections 5.1 and 5.3);
//! - [`to_rdf`]: Deserialize JSON-LD to RDF, Object and List to RDF Conversion (section 8);
//! - [`number`]: numbers and JSON literals in the lexical forms jsonld.js writes.
//!
//! What is left out: relative IRIs against a document's own address (a credential is read
//! without one, as the Data Integrity suites read it; a context's `@base` is followed),
//! JSON-LD 1.0 processing, compaction and framing. The W3C's `expand` and `toRdf` suites run
//! as tests (`tests/w3c/jsonld.rs`), every test within these limits passing.

use std::fmt;

use serde_json::Value;

use super::rdf::*;

mod context;
mod expand;
mod number;
mod to_rdf;

use context::PROCESSOR;
use expand::{Flags, Item};
use to_rdf::Emitter;

/// The contexts a credential may use, by URL.
pub const CONTEXTS: &[(&str, &str)] = &[
    ("https://www.w3.org/ns/credentials/v2", include_str!("../../../schemas/jsonld/credentials-v2.jsonld")),
    ("https://w3id.org/security/data-integrity/v1", include_str!("../../../schemas/jsonld/data-integrity-v1.jsonld")),
    (
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        include_str!("../../../schemas/jsonld/clr-v2p0-2.0.1.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        include_str!("../../../schemas/jsonld/ob-v3p0-3.0.3.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        include_str!("../../../schemas/jsonld/ob-v3p0-extensions.json"),
    ),
];

const I18N: &str = "https://www.w3.org/ns/i18n#";

/// Why a document cannot be read as JSON-LD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonLdError {
    /// The JSON Pointer of the value at fault ("" for the whole document).
    pub pointer: String,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for JsonLdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() { "(root)" } else { &self.pointer };
        write!(f, "{pointer}: {}", self.message)
    }
}

impl std::error::Error for JsonLdError {}

/// The RDF dataset of a JSON-LD document, as a safe-mode verifier reads it: every statement
/// once, in no particular order.
pub fn to_rdf(document: &Value) -> Result<Vec<Quad>, JsonLdError> {
    let mut emitter = Emitter::default();
    for item in &expand_items(document)? {
        if let Item::Node(node) = item {
            emitter.node(node, &None)?;
        }
    }
    let mut quads = emitter.quads;
    quads.sort_unstable();
    quads.dedup();
    Ok(quads)
}

/// A JSON-LD document in expanded form (the `expand()` method of the JSON-LD 1.1 API,
/// section 9.2), with the same safe-mode refusals as [`to_rdf`]: what the verifiers read, for
/// a reader who wants to see it, and for the W3C expansion suite.
pub fn expand(document: &Value) -> Result<Value, JsonLdError> {
    Ok(Value::Array(expand_items(document)?.iter().map(Item::to_json).collect()))
}

/// The Expansion Algorithm run on a whole document, then the API's last step: a document that
/// is only a graph stands for the nodes of that graph.
fn expand_items(document: &Value) -> Result<Vec<Item>, JsonLdError> {
    let processor = &*PROCESSOR;
    let expanded = processor.expand(&processor.initial, None, document, &Path::ROOT, Flags::default(), None)?;
    let mut items = expanded.into_vec();
    if let [Item::Node(node)] = items.as_slice()
        && node.is_only_graph()
    {
        let Some(Item::Node(node)) = items.pop() else { unreachable!() };
        items = node.graph.unwrap_or_default();
    }
    Ok(items)
}

// ---------------------------------------------------------------------------------------------
// Places in the document, for messages.

#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Where the walk is in the document: a chain on the stack, turned into a JSON Pointer only
/// when something is wrong.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Option<Step<'a>>,
}

impl<'a> Path<'a> {
    const ROOT: Path<'static> = Path { parent: None, step: None };

    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), step: Some(Step::Key(key)) }
    }

    fn index(&'a self, index: usize) -> Path<'a> {
        Path { parent: Some(self), step: Some(Step::Index(index)) }
    }

    fn pointer(&self) -> String {
        let mut steps = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            steps.extend(path.step);
            at = path.parent;
        }
        steps
            .iter()
            .rev()
            .map(|step| match step {
                Step::Key(key) => format!("/{}", key.replace('~', "~0").replace('/', "~1")),
                Step::Index(index) => format!("/{index}"),
            })
            .collect()
    }

    fn error(&self, message: impl Into<String>) -> JsonLdError {
        JsonLdError { pointer: self.pointer(), message: message.into() }
    }
}

/// The refusal of a value that safe mode does not accept, with the rule it breaks.
fn refused(path: &Path, message: String) -> JsonLdError {
    path.error(format!("{message}; verifiers in safe mode refuse the credential"))
}

// ---------------------------------------------------------------------------------------------
// Syntax helpers.

const KEYWORDS: &[&str] = &[
    "@base",
    "@container",
    "@context",
    "@default",
    "@direction",
    "@embed",
    "@explicit",
    "@graph",
    "@id",
    "@included",
    "@index",
    "@json",
    "@language",
    "@list",
    "@nest",
    "@none",
    "@omitDefault",
    "@prefix",
    "@preserve",
    "@protected",
    "@requireAll",
    "@reverse",
    "@set",
    "@type",
    "@value",
    "@version",
    "@vocab",
];

fn is_keyword(text: &str) -> bool {
    text.starts_with('@') && KEYWORDS.contains(&text)
}

/// `@` followed by letters: reserved for future keywords, and never a term.
fn looks_like_keyword(text: &str) -> bool {
    text.len() > 1 && text.starts_with('@') && text[1..].bytes().all(|b| b.is_ascii_alphabetic())
}

/// An absolute IRI or a blank node identifier, by the test jsonld.js applies: a scheme (or
/// `_`), a colon, and no white space.
fn is_absolute(text: &str) -> bool {
    let Some(colon) = text.find(':') else { return false };
    let scheme = &text[..colon];
    let scheme_ok = scheme == "_"
        || (scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || (b'+'..=b'.').contains(&b)));
    scheme_ok && !text[colon + 1..].chars().any(char::is_whitespace)
}

fn is_bcp47(text: &str) -> bool {
    let mut parts = text.split('-');
    let first = parts.next().unwrap_or("");
    (1..=8).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn as_list(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn nquads(document: &Value) -> Vec<String> {
        let mut lines: Vec<String> = to_rdf(document).unwrap().iter().map(ToString::to_string).collect();
        lines.sort();
        lines
    }

    #[test]
    fn an_undefined_type_is_refused_with_its_pointer() {
        let document = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "credentialSchema": [{"id": "https://example.org/schema.json", "type": "1EdTechJsonSchemaValidator2019"}],
        });
        let error = to_rdf(&document).unwrap_err();
        assert_eq!(error.pointer, "/credentialSchema/0/type");
        assert!(error.message.contains("\"1EdTechJsonSchemaValidator2019\" is not defined"), "{error}");
    }

    #[test]
    fn an_undefined_property_is_refused_with_its_pointer() {
        let document = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"nickname": "Zoë"},
        });
        let error = to_rdf(&document).unwrap_err();
        assert_eq!(error.pointer, "/credentialSubject/nickname");
        assert!(error.message.contains("property \"nickname\" is not defined"), "{error}");
    }

    #[test]
    fn a_relative_id_is_refused() {
        let document = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "transcript-1", "type": ["VerifiableCredential"]});
        assert_eq!(to_rdf(&document).unwrap_err().pointer, "/id");
    }

    #[test]
    fn an_unknown_context_is_refused() {
        let document = json!({"@context": ["https://example.org/other"], "id": "urn:x"});
        let error = to_rdf(&document).unwrap_err();
        assert_eq!(error.pointer, "/@context/0");
        assert!(error.message.starts_with("unknown JSON-LD context https://example.org/other"), "{error}");
    }

    #[test]
    fn type_scoped_terms_do_not_reach_nested_nodes() {
        // `partial` belongs to ClrCredential's type-scoped context: inside the subject it is
        // undefined again.
        let document = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"],
            "id": "urn:uuid:1",
            "type": ["VerifiableCredential", "ClrCredential"],
            "partial": true,
            "credentialSubject": {"type": ["ClrSubject"], "partial": true},
        });
        assert_eq!(to_rdf(&document).unwrap_err().pointer, "/credentialSubject/partial");
    }

    #[test]
    fn proofs_are_graphs_and_lists_keep_their_order() {
        let document = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:1",
            "type": ["VerifiableCredential"],
            "issuer": "did:example:school",
            "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofPurpose": "assertionMethod"},
        });
        let lines = nquads(&document);
        assert!(lines.iter().any(|l| l.starts_with("<urn:uuid:1> <https://w3id.org/security#proof> _:")), "{lines:#?}");
        assert!(
            lines.iter().any(|l| l
                .contains("<https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> _:")),
            "{lines:#?}"
        );
    }
}
