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
//! What is left out: `@base` in a context and relative IRIs against a document address (a
//! credential is read without a base, as the Data Integrity suites read it), and framing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{Map, Value};

use super::rdf::*;

/// The contexts a credential may use, by URL.
pub const CONTEXTS: &[(&str, &str)] = &[
    ("https://www.w3.org/ns/credentials/v2", include_str!("../../schemas/jsonld/credentials-v2.jsonld")),
    ("https://w3id.org/security/data-integrity/v1", include_str!("../../schemas/jsonld/data-integrity-v1.jsonld")),
    (
        "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
        include_str!("../../schemas/jsonld/clr-v2p0-2.0.1.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        include_str!("../../schemas/jsonld/ob-v3p0-3.0.3.json"),
    ),
    (
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        include_str!("../../schemas/jsonld/ob-v3p0-extensions.json"),
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
    let processor = &*PROCESSOR;
    let root = Path::ROOT;
    let expanded = processor.expand(&processor.initial, None, document, &root, Flags::default(), None)?;
    let mut items = expanded.into_vec();
    // A document that is only a graph stands for the nodes of that graph.
    if let [Item::Node(node)] = items.as_slice()
        && node.is_only_graph()
    {
        let Some(Item::Node(node)) = items.pop() else { unreachable!() };
        items = node.graph.unwrap_or_default();
    }
    let mut emitter = Emitter::default();
    for item in &items {
        if let Item::Node(node) = item {
            emitter.node(node, &None)?;
        }
    }
    let mut quads = emitter.quads;
    quads.sort_unstable();
    quads.dedup();
    Ok(quads)
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

// ---------------------------------------------------------------------------------------------
// Active contexts.

/// The kinds of container a term can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Container(u8);

impl Container {
    const LIST: u8 = 1;
    const SET: u8 = 2;
    const INDEX: u8 = 4;
    const LANGUAGE: u8 = 8;
    const GRAPH: u8 = 16;
    const ID: u8 = 32;
    const TYPE: u8 = 64;

    fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }
}

/// A term definition.
#[derive(Debug, Clone, PartialEq)]
struct Definition {
    /// The IRI or keyword the term stands for; `None` for a term defined as null (ignored).
    id: Option<String>,
    reverse: bool,
    /// `@id`, `@vocab`, `@json`, `@none` or a datatype IRI.
    type_mapping: Option<String>,
    container: Container,
    /// `Some(None)`: the term's strings have no language, whatever the default.
    language: Option<Option<String>>,
    direction: Option<Option<String>>,
    /// A scoped context, applied to values of this property or to nodes of this type.
    context: Option<Arc<Value>>,
    index: Option<String>,
    nest: Option<String>,
    /// Whether the term may be the prefix of a compact IRI.
    prefix: bool,
    protected: bool,
}

#[derive(Debug, Clone, Default)]
struct Context {
    terms: HashMap<String, Arc<Definition>>,
    vocab: Option<String>,
    language: Option<String>,
    direction: Option<String>,
    /// The context before a type-scoped context was applied, to go back to inside the node's
    /// values.
    previous: Option<Arc<Context>>,
}

impl Context {
    fn term(&self, term: &str) -> Option<&Definition> {
        self.terms.get(term).map(Arc::as_ref)
    }

    fn container(&self, term: Option<&str>) -> Container {
        term.and_then(|t| self.term(t)).map_or(Container::default(), |d| d.container)
    }
}

fn revert(context: &Arc<Context>) -> Arc<Context> {
    context.previous.clone().unwrap_or_else(|| Arc::clone(context))
}

/// What a processed context is remembered by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum LocalKey {
    /// An embedded context, by its URL.
    Url(&'static str),
    /// A scoped context held by a term definition, by its address and the place in its list.
    Scoped(usize, usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    /// The address of the active context it was applied to.
    active: usize,
    local: LocalKey,
    override_protected: bool,
}

/// A remembered result, holding what its key points at so that no address is reused.
struct CacheEntry {
    result: Arc<Context>,
    _active: Arc<Context>,
    _local: Option<Arc<Value>>,
}

/// Remembered contexts beyond this many are forgotten all at once; real credentials use a few
/// dozen combinations.
const CACHE_LIMIT: usize = 4096;

struct Processor {
    documents: HashMap<&'static str, Value>,
    initial: Arc<Context>,
    cache: Mutex<HashMap<CacheKey, CacheEntry>>,
}

static PROCESSOR: LazyLock<Processor> = LazyLock::new(|| Processor {
    documents: CONTEXTS
        .iter()
        .map(|(url, text)| (*url, serde_json::from_str(text).expect("an embedded context is JSON")))
        .collect(),
    initial: Arc::new(Context::default()),
    cache: Mutex::new(HashMap::new()),
});

/// A local context to apply: one from a term definition (remembered by its address) or one
/// written in the document.
#[derive(Clone, Copy)]
enum Local<'a> {
    Scoped(&'a Arc<Value>),
    Inline(&'a Value),
}

impl Local<'_> {
    fn value(&self) -> &Value {
        match self {
            Local::Scoped(value) => value,
            Local::Inline(value) => value,
        }
    }
}

/// One context of a list, resolved: null, or an object of definitions.
struct Resolved<'a> {
    key: Option<LocalKey>,
    owner: Option<Arc<Value>>,
    definitions: Option<&'a Map<String, Value>>,
}

impl Processor {
    fn remembered(&self, key: &CacheKey) -> Option<Arc<Context>> {
        self.cache.lock().ok()?.get(key).map(|entry| Arc::clone(&entry.result))
    }

    fn remember(&self, key: CacheKey, entry: CacheEntry) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, entry);
        }
    }

    fn embedded(&self, url: &str, path: &Path) -> Result<(&'static str, &Map<String, Value>), JsonLdError> {
        let Some((known, document)) = self.documents.get_key_value(url) else {
            return Err(path.error(format!(
                "unknown JSON-LD context {url}; only the embedded W3C credentials, Data Integrity, Open Badges and CLR contexts are used, and nothing is fetched"
            )));
        };
        match document.get("@context") {
            Some(Value::Object(definitions)) => Ok((known, definitions)),
            _ => Err(path.error(format!("the context {url} holds no @context object"))),
        }
    }

    /// Applies a local context to `active` (JSON-LD's context processing algorithm).
    fn process(
        &self,
        active: &Arc<Context>,
        local: Local,
        mut propagate: bool,
        override_protected: bool,
        path: &Path,
    ) -> Result<Arc<Context>, JsonLdError> {
        let mut value = local.value();
        if let Some(inner @ Value::Array(_)) = value.get("@context") {
            value = inner;
        }
        let items = as_list(value);
        if items.is_empty() {
            return Ok(Arc::clone(active));
        }
        let mut resolved = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let at = path.index(i);
            let item_path = if matches!(value, Value::Array(_)) { &at } else { path };
            resolved.push(match item {
                Value::Null => Resolved { key: None, owner: None, definitions: None },
                Value::String(url) => {
                    let (known, definitions) = self.embedded(url, item_path)?;
                    Resolved { key: Some(LocalKey::Url(known)), owner: None, definitions: Some(definitions) }
                }
                Value::Object(object) => {
                    let definitions = match object.get("@context") {
                        Some(Value::Object(inner)) => inner,
                        _ => object,
                    };
                    match local {
                        Local::Scoped(owner) => Resolved {
                            key: Some(LocalKey::Scoped(Arc::as_ptr(owner) as usize, i)),
                            owner: Some(Arc::clone(owner)),
                            definitions: Some(definitions),
                        },
                        Local::Inline(_) => Resolved { key: None, owner: None, definitions: Some(definitions) },
                    }
                }
                _ => return Err(item_path.error("a @context must be a URL, an object or null")),
            });
        }
        if let Some(Some(flag)) = resolved[0].definitions.map(|d| d.get("@propagate").and_then(Value::as_bool)) {
            propagate = flag;
        }

        let mut result = Arc::clone(active);
        if !propagate && result.previous.is_none() {
            let mut with_previous = (*result).clone();
            with_previous.previous = Some(Arc::clone(active));
            result = Arc::new(with_previous);
        }
        for item in resolved {
            let Some(definitions) = item.definitions else {
                if !override_protected && result.terms.values().any(|d| d.protected) {
                    return Err(path.error(
                        "invalid context nullification: a context with protected terms cannot be reset to null",
                    ));
                }
                result = Arc::clone(&self.initial);
                continue;
            };
            let key =
                item.key.map(|local| CacheKey { active: Arc::as_ptr(&result) as usize, local, override_protected });
            if let Some(found) = key.as_ref().and_then(|k| self.remembered(k)) {
                result = found;
                continue;
            }
            let next = Arc::new(self.define(&result, definitions, override_protected, path)?);
            if let Some(key) = key {
                self.remember(
                    key,
                    CacheEntry { result: Arc::clone(&next), _active: Arc::clone(&result), _local: item.owner },
                );
            }
            result = next;
        }
        Ok(result)
    }

    /// The active context with the definitions of one local context added.
    fn define(
        &self,
        active: &Context,
        definitions: &Map<String, Value>,
        override_protected: bool,
        path: &Path,
    ) -> Result<Context, JsonLdError> {
        let mut context = active.clone();
        let mut merged;
        let mut definitions = definitions;
        if let Some(import) = definitions.get("@import") {
            let Some(url) = import.as_str() else {
                return Err(path.error("@import must be the URL of a context"));
            };
            let (_, imported) = self.embedded(url, path)?;
            if imported.contains_key("@import") {
                return Err(path.error("an imported context must not import another"));
            }
            merged = imported.clone();
            for (key, value) in definitions {
                if key != "@import" {
                    merged.insert(key.clone(), value.clone());
                }
            }
            definitions = &merged;
        }
        if let Some(version) = definitions.get("@version")
            && version.as_f64() != Some(1.1)
        {
            return Err(path.error(format!("unsupported JSON-LD version {version}")));
        }
        if let Some(base) = definitions.get("@base")
            && !base.is_null()
        {
            return Err(path.error("a @base in a context is not supported: credentials are read without a base"));
        }
        if let Some(vocab) = definitions.get("@vocab") {
            match vocab {
                Value::Null => context.vocab = None,
                Value::String(text) => {
                    let expanded = expand_iri(&context, text, true).unwrap_or_default();
                    if !is_absolute(&expanded) {
                        return Err(refused(path, format!("@vocab \"{text}\" is not an absolute IRI")));
                    }
                    context.vocab = Some(expanded);
                }
                _ => return Err(path.error("@vocab must be a string or null")),
            }
        }
        if let Some(language) = definitions.get("@language") {
            match language {
                Value::Null => context.language = None,
                Value::String(text) if is_bcp47(text) => context.language = Some(text.to_lowercase()),
                Value::String(text) => {
                    return Err(refused(path, format!("@language \"{text}\" is not a BCP 47 language tag")));
                }
                _ => return Err(path.error("@language must be a string or null")),
            }
        }
        if let Some(direction) = definitions.get("@direction") {
            context.direction = match direction {
                Value::Null => None,
                Value::String(d) if d == "ltr" || d == "rtl" => Some(d.clone()),
                _ => return Err(path.error("@direction must be \"ltr\", \"rtl\" or null")),
            };
        }
        if let Some(propagate) = definitions.get("@propagate")
            && !propagate.is_boolean()
        {
            return Err(path.error("@propagate must be true or false"));
        }
        let mut definer = Definer {
            context,
            local: definitions,
            defined: HashMap::new(),
            override_protected,
            protected_by_default: definitions.get("@protected") == Some(&Value::Bool(true)),
            path,
        };
        for keyword in ["@base", "@direction", "@import", "@language", "@propagate", "@protected", "@version", "@vocab"]
        {
            if definitions.contains_key(keyword) {
                definer.defined.insert(keyword, true);
            }
        }
        for term in definitions.keys() {
            definer.create(term)?;
        }
        Ok(definer.context)
    }
}

/// Builds the term definitions of one local context (JSON-LD's create term definition
/// algorithm), defining terms on demand when others depend on them.
struct Definer<'a> {
    context: Context,
    local: &'a Map<String, Value>,
    /// Terms being defined (false) or defined (true).
    defined: HashMap<&'a str, bool>,
    override_protected: bool,
    protected_by_default: bool,
    path: &'a Path<'a>,
}

impl<'a> Definer<'a> {
    fn create(&mut self, term: &'a str) -> Result<(), JsonLdError> {
        match self.defined.get(term) {
            Some(true) => return Ok(()),
            Some(false) => return Err(self.path.error(format!("the definition of \"{term}\" depends on itself"))),
            None => {}
        }
        self.defined.insert(term, false);
        let base = self.path;
        let path = base.key(term);
        let value = self.local.get(term).unwrap_or(&Value::Null);

        if term == "@type"
            && let Value::Object(object) = value
            && object.get("@container").is_none_or(|c| c == "@set")
        {
            if object.is_empty() || object.keys().any(|k| !["@container", "@id", "@protected"].contains(&k.as_str())) {
                return Err(path.error("keywords cannot be redefined"));
            }
        } else if is_keyword(term) {
            return Err(path.error("keywords cannot be redefined"));
        } else if looks_like_keyword(term) {
            return Err(refused(&path, format!("\"{term}\" looks like a keyword and is reserved")));
        } else if term.is_empty() {
            return Err(path.error("a term cannot be empty"));
        }
        let previous = self.context.terms.remove(term);

        let simple = matches!(value, Value::String(_) | Value::Null);
        let object = match value {
            Value::String(_) | Value::Null => {
                let mut object = Map::new();
                object.insert("@id".to_string(), value.clone());
                object
            }
            Value::Object(object) => object.clone(),
            _ => return Err(path.error("a term definition must be a string, an object or null")),
        };
        const ALLOWED: &[&str] = &[
            "@container",
            "@id",
            "@language",
            "@reverse",
            "@type",
            "@context",
            "@direction",
            "@index",
            "@nest",
            "@prefix",
            "@protected",
        ];
        if let Some(key) = object.keys().find(|k| !ALLOWED.contains(&k.as_str())) {
            return Err(path.error(format!("a term definition must not contain {key}")));
        }
        let colon = term.find(':').filter(|&i| i > 0);
        let mut definition = Definition {
            id: None,
            reverse: false,
            type_mapping: None,
            container: Container::default(),
            language: None,
            direction: None,
            context: None,
            index: None,
            nest: None,
            prefix: false,
            protected: false,
        };
        let mut has_id = false;

        if let Some(reverse) = object.get("@reverse") {
            if object.contains_key("@id") || object.contains_key("@nest") {
                return Err(path.error("a @reverse term definition must not contain @id or @nest"));
            }
            let Some(reverse) = reverse.as_str() else {
                return Err(path.error("@reverse must be a string"));
            };
            if looks_like_keyword(reverse) {
                return Err(refused(&path, format!("@reverse \"{reverse}\" is reserved")));
            }
            let id = self.expand_iri(reverse)?.unwrap_or_default();
            if !is_absolute(&id) {
                return Err(path.error("@reverse must expand to an absolute IRI"));
            }
            definition.id = Some(id);
            definition.reverse = true;
            has_id = true;
        } else if let Some(id) = object.get("@id") {
            match id {
                Value::Null => has_id = true,
                Value::String(id) if !is_keyword(id) && looks_like_keyword(id) => {
                    return Err(refused(&path, format!("@id \"{id}\" is reserved")));
                }
                Value::String(id) if id != term => {
                    let expanded = self.expand_iri(id)?.unwrap_or_default();
                    if !is_absolute(&expanded) && !is_keyword(&expanded) {
                        return Err(path
                            .error(format!("@id \"{id}\" must expand to an absolute IRI, a blank node or a keyword")));
                    }
                    // A term that looks like an IRI must stand for that IRI.
                    if term.contains('/')
                        || term.match_indices(':').any(|(i, _)| term[i + 1..].starts_with(|c| c != ':'))
                    {
                        self.defined.insert(term, true);
                        let own = self.expand_iri(term)?;
                        self.defined.insert(term, false);
                        if own.as_deref() != Some(expanded.as_str()) {
                            return Err(path.error("a term in the form of an IRI must expand to its definition"));
                        }
                    }
                    definition.prefix =
                        simple && colon.is_none() && expanded.ends_with([':', '/', '?', '#', '[', ']', '@']);
                    definition.id = Some(expanded);
                    has_id = true;
                }
                Value::String(_) => {}
                _ => return Err(path.error("@id must be a string or null")),
            }
        }
        if !has_id {
            if let Some(colon) = colon {
                let (prefix, suffix) = (&term[..colon], &term[colon + 1..]);
                if let Some((key, _)) = self.local.get_key_value(prefix) {
                    self.create(key)?;
                }
                definition.id = Some(match self.context.term(prefix).and_then(|d| d.id.as_ref()) {
                    Some(iri) => format!("{iri}{suffix}"),
                    None => term.to_string(),
                });
            } else if term == "@type" {
                definition.id = Some(term.to_string());
            } else if let Some(vocab) = &self.context.vocab {
                definition.id = Some(format!("{vocab}{term}"));
            } else {
                return Err(path.error(format!("the term \"{term}\" has no @id and the context has no @vocab")));
            }
        }
        definition.protected = object.get("@protected") == Some(&Value::Bool(true))
            || (self.protected_by_default && object.get("@protected") != Some(&Value::Bool(false)));
        self.defined.insert(term, true);

        if let Some(mapping) = object.get("@type") {
            let Some(mapping) = mapping.as_str() else {
                return Err(path.error("@type in a term definition must be a string"));
            };
            let mapping = match mapping {
                "@id" | "@vocab" | "@json" | "@none" => mapping.to_string(),
                other => {
                    let expanded = self.expand_iri(other)?.unwrap_or_default();
                    if !is_absolute(&expanded) || expanded.starts_with("_:") {
                        return Err(path.error(format!("@type \"{other}\" must expand to an absolute IRI")));
                    }
                    expanded
                }
            };
            definition.type_mapping = Some(mapping);
        }
        if let Some(container) = object.get("@container") {
            definition.container = self.container(container, &mut definition, &path)?;
        }
        if let Some(index) = object.get("@index") {
            match index.as_str() {
                Some(index) if definition.container.has(Container::INDEX) && !index.starts_with('@') => {
                    definition.index = Some(index.to_string());
                }
                _ => return Err(path.error("@index needs an @index container and a property name")),
            }
        }
        if let Some(scoped) = object.get("@context") {
            definition.context = Some(Arc::new(scoped.clone()));
        }
        if let Some(language) = object.get("@language")
            && !object.contains_key("@type")
        {
            definition.language = Some(match language {
                Value::Null => None,
                Value::String(text) => Some(text.to_lowercase()),
                _ => return Err(path.error("@language must be a string or null")),
            });
        }
        if let Some(prefix) = object.get("@prefix") {
            if term.contains([':', '/']) || definition.id.as_deref().is_some_and(is_keyword) {
                return Err(path.error("@prefix is not allowed on this term"));
            }
            definition.prefix = prefix.as_bool().ok_or_else(|| path.error("@prefix must be true or false"))?;
        }
        if let Some(direction) = object.get("@direction") {
            definition.direction = Some(match direction {
                Value::Null => None,
                Value::String(d) if d == "ltr" || d == "rtl" => Some(d.clone()),
                _ => return Err(path.error("@direction must be \"ltr\", \"rtl\" or null")),
            });
        }
        if let Some(nest) = object.get("@nest") {
            match nest.as_str() {
                Some(nest) if nest == "@nest" || !nest.starts_with('@') => definition.nest = Some(nest.to_string()),
                _ => return Err(path.error("@nest must be a term or @nest")),
            }
        }
        if matches!(definition.id.as_deref(), Some("@context" | "@preserve")) {
            return Err(path.error("@context and @preserve cannot be aliased"));
        }
        if let Some(previous) = previous
            && previous.protected
            && !self.override_protected
        {
            definition.protected = true;
            if *previous != definition {
                return Err(path.error(format!(
                    "the protected term \"{term}\" cannot be redefined (it is defined differently by an earlier context)"
                )));
            }
        }
        self.context.terms.insert(term.to_string(), Arc::new(definition));
        Ok(())
    }

    fn container(&self, value: &Value, definition: &mut Definition, path: &Path) -> Result<Container, JsonLdError> {
        let mut flags = 0;
        for item in as_list(value) {
            flags |= match item.as_str() {
                Some("@list") => Container::LIST,
                Some("@set") => Container::SET,
                Some("@index") => Container::INDEX,
                Some("@language") => Container::LANGUAGE,
                Some("@graph") => Container::GRAPH,
                Some("@id") => Container::ID,
                Some("@type") => Container::TYPE,
                _ => return Err(path.error(format!("{item} is not a container"))),
            };
        }
        let count = as_list(value).len();
        let valid = if flags & Container::LIST != 0 {
            count == 1
        } else if flags & Container::GRAPH != 0 {
            flags & !(Container::GRAPH | Container::ID | Container::INDEX | Container::SET) == 0
        } else {
            count <= if flags & Container::SET != 0 { 2 } else { 1 }
        };
        if !valid {
            return Err(path.error("this combination of containers is not allowed"));
        }
        if flags & Container::TYPE != 0 {
            let mapping = definition.type_mapping.get_or_insert_with(|| "@id".to_string());
            if mapping != "@id" && mapping != "@vocab" {
                return Err(path.error("a @type container needs @type @id or @vocab"));
            }
        }
        if definition.reverse && flags & !(Container::INDEX | Container::SET) != 0 {
            return Err(path.error("a @reverse term can only have an @index or @set container"));
        }
        Ok(Container(flags))
    }

    /// IRI expansion while the context is being built: terms of the same local context that
    /// are needed are defined first.
    fn expand_iri(&mut self, value: &str) -> Result<Option<String>, JsonLdError> {
        if is_keyword(value) {
            return Ok(Some(value.to_string()));
        }
        if looks_like_keyword(value) {
            return Ok(None);
        }
        if let Some((key, _)) = self.local.get_key_value(value)
            && self.defined.get(key.as_str()) != Some(&true)
        {
            self.create(key)?;
        }
        if let Some(definition) = self.context.term(value) {
            return Ok(definition.id.clone());
        }
        if let Some(colon) = value.find(':').filter(|&i| i > 0) {
            let (prefix, suffix) = (&value[..colon], &value[colon + 1..]);
            if prefix == "_" || suffix.starts_with("//") {
                return Ok(Some(value.to_string()));
            }
            if let Some((key, _)) = self.local.get_key_value(prefix) {
                self.create(key)?;
            }
            if let Some(definition) = self.context.term(prefix)
                && definition.prefix
                && let Some(iri) = &definition.id
            {
                return Ok(Some(format!("{iri}{suffix}")));
            }
            if is_absolute(value) {
                return Ok(Some(value.to_string()));
            }
        }
        Ok(Some(match &self.context.vocab {
            Some(vocab) => format!("{vocab}{value}"),
            None => value.to_string(),
        }))
    }
}

/// IRI expansion against an active context. `vocab`: as a property name or type (terms and
/// `@vocab` apply); otherwise as an `@id` (only compact IRIs apply; without a base, a relative
/// reference stays relative). `None` for a term defined as null or a reserved word.
fn expand_iri(context: &Context, value: &str, vocab: bool) -> Option<String> {
    if is_keyword(value) {
        return Some(value.to_string());
    }
    if looks_like_keyword(value) {
        return None;
    }
    if vocab && let Some(definition) = context.term(value) {
        return definition.id.clone();
    }
    if let Some(colon) = value.find(':').filter(|&i| i > 0) {
        let (prefix, suffix) = (&value[..colon], &value[colon + 1..]);
        if prefix == "_" || suffix.starts_with("//") {
            return Some(value.to_string());
        }
        if let Some(definition) = context.term(prefix)
            && definition.prefix
            && let Some(iri) = &definition.id
        {
            return Some(format!("{iri}{suffix}"));
        }
        if is_absolute(value) {
            return Some(value.to_string());
        }
    }
    if vocab && let Some(base) = &context.vocab {
        return Some(format!("{base}{value}"));
    }
    Some(value.to_string())
}

// ---------------------------------------------------------------------------------------------
// Expansion.

/// An expanded value.
#[derive(Debug)]
enum Item {
    Node(Node),
    Value(Literal),
    List(Vec<Item>),
}

#[derive(Debug, Default)]
struct Node {
    id: Option<String>,
    types: Vec<String>,
    properties: BTreeMap<String, Vec<Item>>,
    reverse: BTreeMap<String, Vec<Item>>,
    graph: Option<Vec<Item>>,
    included: Vec<Item>,
    has_index: bool,
}

impl Node {
    fn is_only_graph(&self) -> bool {
        self.graph.is_some()
            && self.id.is_none()
            && self.types.is_empty()
            && self.properties.is_empty()
            && self.reverse.is_empty()
            && self.included.is_empty()
            && !self.has_index
    }
}

#[derive(Debug)]
struct Literal {
    value: Value,
    datatype: Option<String>,
    language: Option<String>,
    direction: Option<String>,
}

/// What expanding one JSON value gave.
enum Expanded {
    Nothing,
    One(Item),
    Many(Vec<Item>),
}

impl Expanded {
    fn into_vec(self) -> Vec<Item> {
        match self {
            Expanded::Nothing => Vec::new(),
            Expanded::One(item) => vec![item],
            Expanded::Many(items) => items,
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Flags {
    inside_list: bool,
    inside_index: bool,
}

/// An object being expanded: the keyword entries and properties seen so far.
#[derive(Default)]
struct Expanding {
    id: Option<String>,
    types: Vec<String>,
    value: Option<Value>,
    language: Option<String>,
    direction: Option<String>,
    index: Option<String>,
    list: Option<Vec<Item>>,
    set: Option<Vec<Item>>,
    graph: Option<Vec<Item>>,
    included: Option<Vec<Item>>,
    reverse: BTreeMap<String, Vec<Item>>,
    has_reverse: bool,
    properties: BTreeMap<String, Vec<Item>>,
}

impl Expanding {
    fn has_keyword(&self, keyword: &str) -> bool {
        match keyword {
            "@id" => self.id.is_some(),
            "@value" => self.value.is_some(),
            "@language" => self.language.is_some(),
            "@direction" => self.direction.is_some(),
            "@index" => self.index.is_some(),
            "@list" => self.list.is_some(),
            "@set" => self.set.is_some(),
            "@graph" => self.graph.is_some(),
            "@reverse" => self.has_reverse,
            _ => false,
        }
    }

    /// How many entries the expanded object has.
    fn count(&self) -> usize {
        usize::from(self.id.is_some())
            + usize::from(!self.types.is_empty())
            + usize::from(self.value.is_some())
            + usize::from(self.language.is_some())
            + usize::from(self.direction.is_some())
            + usize::from(self.index.is_some())
            + usize::from(self.list.is_some())
            + usize::from(self.set.is_some())
            + usize::from(self.graph.is_some())
            + usize::from(self.included.is_some())
            + usize::from(self.has_reverse)
            + self.properties.len()
    }
}

impl Processor {
    /// JSON-LD's expansion algorithm, with safe mode's refusals.
    fn expand(
        &self,
        context: &Arc<Context>,
        property: Option<&str>,
        element: &Value,
        path: &Path,
        flags: Flags,
        type_scoped: Option<&Arc<Context>>,
    ) -> Result<Expanded, JsonLdError> {
        match element {
            Value::Null => Ok(Expanded::Nothing),
            Value::Array(items) => {
                let inside_list = flags.inside_list || context.container(property).has(Container::LIST);
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let item_flags = Flags { inside_list: false, inside_index: flags.inside_index };
                    let expanded = self.expand(context, property, item, &path.index(i), item_flags, type_scoped)?;
                    match expanded {
                        Expanded::Many(list) if inside_list => out.push(Item::List(list)),
                        Expanded::Many(list) => out.extend(list),
                        Expanded::One(one) => out.push(one),
                        Expanded::Nothing => {}
                    }
                }
                Ok(Expanded::Many(out))
            }
            Value::Object(object) => self.expand_object(context, property, object, path, flags, type_scoped),
            scalar => {
                let free = property.is_none_or(|p| expand_iri(context, p, true).as_deref() == Some("@graph"));
                if !flags.inside_list && free {
                    return Err(refused(path, format!("the value {scalar} belongs to no property")));
                }
                self.expand_value(context, property, scalar, path).map(Expanded::One)
            }
        }
    }

    /// A scalar as the value of `property`, coerced as its definition says.
    fn expand_value(
        &self,
        context: &Context,
        property: Option<&str>,
        value: &Value,
        path: &Path,
    ) -> Result<Item, JsonLdError> {
        let definition = property.and_then(|p| context.term(p));
        let mapping = definition.and_then(|d| d.type_mapping.as_deref());
        let expanded_property = property.and_then(|p| expand_iri(context, p, true));
        if let Value::String(text) = value {
            let reference = match mapping {
                _ if expanded_property.as_deref() == Some("@graph") => Some(expand_iri(context, text, false)),
                Some("@id") => Some(expand_iri(context, text, false)),
                Some("@vocab") => Some(expand_iri(context, text, true)),
                _ => None,
            };
            if let Some(reference) = reference {
                let Some(iri) = reference else {
                    return Err(refused(path, format!("\"{text}\" is a reserved word, not an IRI")));
                };
                if !is_absolute(&iri) {
                    return Err(refused(
                        path,
                        format!("\"{text}\" is a relative reference and the contexts define no term for it"),
                    ));
                }
                return Ok(Item::Node(Node { id: Some(iri), ..Node::default() }));
            }
        }
        let mut literal = Literal { value: value.clone(), datatype: None, language: None, direction: None };
        match mapping {
            Some(datatype) if !["@id", "@vocab", "@none"].contains(&datatype) => {
                literal.datatype = Some(datatype.to_string());
            }
            _ if value.is_string() => {
                literal.language = match definition.and_then(|d| d.language.clone()) {
                    Some(language) => language,
                    None => context.language.clone(),
                };
                literal.direction = match definition.and_then(|d| d.direction.clone()) {
                    Some(direction) => direction,
                    None => context.direction.clone(),
                };
            }
            _ => {}
        }
        Ok(Item::Value(literal))
    }

    fn expand_object(
        &self,
        context: &Arc<Context>,
        property: Option<&str>,
        element: &Map<String, Value>,
        path: &Path,
        flags: Flags,
        type_scoped: Option<&Arc<Context>>,
    ) -> Result<Expanded, JsonLdError> {
        let expanded_property = property.and_then(|p| expand_iri(context, p, true));
        let property_scoped = property.and_then(|p| context.term(p)).and_then(|d| d.context.clone());
        let previous = context.previous.as_ref().map(|_| Arc::clone(context));
        let type_scoped = type_scoped.cloned().or(previous);
        let mut keys: Vec<&String> = element.keys().collect();
        keys.sort_unstable();

        let mut context = Arc::clone(context);
        let mut must_revert = !flags.inside_index;
        if must_revert
            && let Some(scoped) = &type_scoped
            && keys.len() <= 2
            && !element.contains_key("@context")
        {
            for key in &keys {
                match expand_iri(scoped, key, true).as_deref() {
                    Some("@value") => {
                        must_revert = false;
                        context = Arc::clone(scoped);
                        break;
                    }
                    Some("@id") if keys.len() == 1 => {
                        must_revert = false;
                        break;
                    }
                    _ => {}
                }
            }
        }
        if must_revert {
            context = revert(&context);
        }
        if let Some(scoped) = &property_scoped {
            context = self.process(&context, Local::Scoped(scoped), true, true, path)?;
        }
        if let Some(local) = element.get("@context") {
            context = self.process(&context, Local::Inline(local), true, false, &path.key("@context"))?;
        }
        let type_scoped = Arc::clone(&context);
        let mut type_key = None;
        for key in &keys {
            if expand_iri(&context, key, true).as_deref() != Some("@type") {
                continue;
            }
            type_key.get_or_insert(key.as_str());
            let mut types: Vec<&str> = as_list(&element[key.as_str()]).iter().filter_map(Value::as_str).collect();
            types.sort_unstable();
            for name in types {
                if let Some(scoped) = type_scoped.term(name).and_then(|d| d.context.clone()) {
                    context = self.process(&context, Local::Scoped(&scoped), false, false, &path.key(key))?;
                }
            }
        }

        let mut out = Expanding::default();
        self.expand_entries(
            &context,
            property,
            expanded_property.as_deref(),
            element,
            &mut out,
            path,
            type_key,
            &type_scoped,
        )?;
        self.finish(&context, property, expanded_property.as_deref(), out, path, flags.inside_list)
    }

    /// Expands each entry of `element` into `out`.
    #[allow(clippy::too_many_arguments)]
    fn expand_entries(
        &self,
        context: &Arc<Context>,
        property: Option<&str>,
        expanded_property: Option<&str>,
        element: &Map<String, Value>,
        out: &mut Expanding,
        path: &Path,
        type_key: Option<&str>,
        type_scoped: &Arc<Context>,
    ) -> Result<(), JsonLdError> {
        let mut keys: Vec<&String> = element.keys().collect();
        keys.sort_unstable();
        let json_typed = type_key
            .and_then(|k| element.get(k))
            .and_then(|v| as_list(v).first())
            .and_then(Value::as_str)
            .is_some_and(|t| expand_iri(context, t, true).as_deref() == Some("@json"));
        let mut nests = Vec::new();
        for key in keys {
            if key == "@context" {
                continue;
            }
            let value = &element[key.as_str()];
            let at = path.key(key);
            let Some(expanded) = expand_iri(context, key, true).filter(|e| is_absolute(e) || is_keyword(e)) else {
                return Err(refused(
                    &at,
                    format!("the property \"{key}\" is not defined by the credential's @context"),
                ));
            };
            let keyword = is_keyword(&expanded);
            if keyword {
                if expanded_property == Some("@reverse") {
                    return Err(at.error("a keyword cannot be a @reverse property"));
                }
                if out.has_keyword(&expanded) && expanded != "@included" && expanded != "@type" {
                    return Err(at.error(format!("{expanded} is given twice in this object")));
                }
            }
            match expanded.as_str() {
                "@id" => {
                    let Some(text) = value.as_str() else {
                        return Err(at.error("@id must be a string"));
                    };
                    let Some(iri) = expand_iri(context, text, false) else {
                        return Err(refused(&at, format!("@id \"{text}\" is a reserved word")));
                    };
                    if !is_absolute(&iri) {
                        return Err(refused(&at, format!("the id \"{text}\" is a relative reference")));
                    }
                    out.id = Some(iri);
                }
                "@type" => {
                    let list = as_list(value);
                    for (i, name) in list.iter().enumerate() {
                        let item_path = if value.is_array() { at.index(i) } else { at };
                        let Some(name) = name.as_str() else {
                            return Err(item_path.error("@type must be a string or a list of strings"));
                        };
                        let iri = expand_iri(type_scoped, name, true).unwrap_or_default();
                        if iri != "@json" && !is_absolute(&iri) {
                            return Err(refused(
                                &item_path,
                                format!("the type \"{name}\" is not defined by the credential's @context"),
                            ));
                        }
                        out.types.push(iri);
                    }
                }
                "@included" => {
                    let items = self.expand(context, property, value, &at, Flags::default(), None)?.into_vec();
                    if items.iter().any(|item| !matches!(item, Item::Node(_))) {
                        return Err(at.error("@included must hold node objects"));
                    }
                    out.included.get_or_insert_with(Vec::new).extend(items);
                }
                "@value" => out.value = Some(value.clone()),
                "@language" => match value {
                    Value::Null => {}
                    Value::String(text) if is_bcp47(text) => out.language = Some(text.to_lowercase()),
                    Value::String(text) => {
                        return Err(refused(&at, format!("\"{text}\" is not a BCP 47 language tag")));
                    }
                    _ => return Err(at.error("@language must be a string")),
                },
                "@direction" => match value.as_str() {
                    Some(d @ ("ltr" | "rtl")) => out.direction = Some(d.to_string()),
                    _ => return Err(at.error("@direction must be \"ltr\" or \"rtl\"")),
                },
                "@index" => match value.as_str() {
                    Some(index) => out.index = Some(index.to_string()),
                    None => return Err(at.error("@index must be a string")),
                },
                "@reverse" => {
                    let Value::Object(_) = value else {
                        return Err(at.error("@reverse must be an object"));
                    };
                    out.has_reverse = true;
                    let reversed = self.expand(context, Some("@reverse"), value, &at, Flags::default(), None)?;
                    for item in reversed.into_vec() {
                        let Item::Node(node) = item else { continue };
                        for (name, items) in node.properties {
                            if items.iter().any(|i| !matches!(i, Item::Node(_))) {
                                return Err(at.error("@reverse values must be node objects"));
                            }
                            out.reverse.entry(name).or_default().extend(items);
                        }
                        for (name, items) in node.reverse {
                            out.properties.entry(name).or_default().extend(items);
                        }
                    }
                }
                "@nest" => nests.push(key.as_str()),
                "@list" | "@set" => {
                    let is_list = expanded == "@list";
                    let next = if is_list && expanded_property == Some("@graph") { None } else { property };
                    let flags = Flags { inside_list: is_list, inside_index: false };
                    let items = self.expand(context, next, value, &at, flags, None)?.into_vec();
                    if is_list {
                        out.list = Some(items);
                    } else {
                        out.set = Some(items);
                    }
                }
                _ if keyword && expanded != "@graph" => {
                    return Err(at.error(format!("{expanded} has no place in a credential")));
                }
                _ => self.expand_property(context, key, &expanded, value, out, &at)?,
            }
        }
        if let Some(value) = &out.value
            && !json_typed
            && (value.is_object() || value.is_array())
        {
            return Err(path.error("@value must not be an object or a list"));
        }
        for key in nests {
            let at = path.key(key);
            for (i, nested) in as_list(&element[key]).iter().enumerate() {
                let nested_path = if element[key].is_array() { at.index(i) } else { at };
                let Value::Object(object) = nested else {
                    return Err(nested_path.error("a nested value must be an object"));
                };
                if object.keys().any(|k| expand_iri(context, k, true).as_deref() == Some("@value")) {
                    return Err(nested_path.error("a nested value must be a node object"));
                }
                self.expand_entries(
                    context,
                    property,
                    expanded_property,
                    object,
                    out,
                    &nested_path,
                    type_key,
                    type_scoped,
                )?;
            }
        }
        Ok(())
    }

    /// Expands the value of one property (a term or IRI, or `@graph`) into `out`.
    fn expand_property(
        &self,
        context: &Arc<Context>,
        key: &str,
        expanded: &str,
        value: &Value,
        out: &mut Expanding,
        path: &Path,
    ) -> Result<(), JsonLdError> {
        let definition = context.term(key);
        let term_context = match definition.and_then(|d| d.context.as_ref()) {
            Some(scoped) => self.process(context, Local::Scoped(scoped), true, true, path)?,
            None => Arc::clone(context),
        };
        let container = definition.map_or(Container::default(), |d| d.container);
        let expanded_value = if container.has(Container::LANGUAGE) && value.is_object() {
            Expanded::Many(self.language_map(&term_context, key, value, path)?)
        } else if (container.has(Container::INDEX) || container.has(Container::ID) || container.has(Container::TYPE))
            && value.is_object()
        {
            Expanded::Many(self.index_map(&term_context, key, value, container, path)?)
        } else if definition.and_then(|d| d.type_mapping.as_deref()) == Some("@json") {
            Expanded::One(Item::Value(Literal {
                value: value.clone(),
                datatype: Some("@json".to_string()),
                language: None,
                direction: None,
            }))
        } else {
            self.expand(&term_context, Some(key), value, path, Flags::default(), None)?
        };
        let mut items = match expanded_value {
            Expanded::Nothing => return Ok(()),
            Expanded::One(list @ Item::List(_)) => vec![list],
            Expanded::One(item) if container.has(Container::LIST) => vec![Item::List(vec![item])],
            Expanded::Many(items) if container.has(Container::LIST) => vec![Item::List(items)],
            other => other.into_vec(),
        };
        if container.has(Container::GRAPH) && !container.has(Container::ID) && !container.has(Container::INDEX) {
            for item in &items {
                check_graph_member(item, path)?;
            }
            items =
                items.into_iter().map(|item| Item::Node(Node { graph: Some(vec![item]), ..Node::default() })).collect();
        }
        if definition.is_some_and(|d| d.reverse) {
            if items.iter().any(|i| !matches!(i, Item::Node(_))) {
                return Err(path.error("the values of a reverse property must be node objects"));
            }
            out.has_reverse = true;
            out.reverse.entry(expanded.to_string()).or_default().extend(items);
            return Ok(());
        }
        if expanded == "@graph" {
            out.graph.get_or_insert_with(Vec::new).extend(items);
        } else {
            out.properties.entry(expanded.to_string()).or_default().extend(items);
        }
        Ok(())
    }

    fn language_map(&self, context: &Context, key: &str, value: &Value, path: &Path) -> Result<Vec<Item>, JsonLdError> {
        let Value::Object(map) = value else { return Ok(Vec::new()) };
        let direction = match context.term(key).and_then(|d| d.direction.clone()) {
            Some(direction) => direction,
            None => context.direction.clone(),
        };
        let mut languages: Vec<&String> = map.keys().collect();
        languages.sort_unstable();
        let mut items = Vec::new();
        for language in languages {
            let at = path.key(language);
            let none = expand_iri(context, language, true).as_deref() == Some("@none");
            if !none && !is_bcp47(language) {
                return Err(refused(&at, format!("\"{language}\" is not a BCP 47 language tag")));
            }
            for text in as_list(&map[language.as_str()]) {
                match text {
                    Value::Null => {}
                    Value::String(_) => items.push(Item::Value(Literal {
                        value: text.clone(),
                        datatype: None,
                        language: (!none).then(|| language.to_lowercase()),
                        direction: direction.clone(),
                    })),
                    _ => return Err(at.error("the values of a language map must be strings")),
                }
            }
        }
        Ok(items)
    }

    /// An `@index`, `@id` or `@type` map: the keys become part of each value.
    fn index_map(
        &self,
        context: &Arc<Context>,
        key: &str,
        value: &Value,
        container: Container,
        path: &Path,
    ) -> Result<Vec<Item>, JsonLdError> {
        let Value::Object(map) = value else { return Ok(Vec::new()) };
        let as_graph = container.has(Container::GRAPH);
        let by_type = container.has(Container::TYPE);
        let property_index = context.term(key).and_then(|d| d.index.clone());
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort_unstable();
        let mut items = Vec::new();
        let mut map_context = if by_type { revert(context) } else { Arc::clone(context) };
        for index in keys {
            let at = path.key(index);
            if by_type && let Some(scoped) = map_context.term(index).and_then(|d| d.context.clone()) {
                map_context = self.process(&map_context, Local::Scoped(&scoped), false, false, &at)?;
            }
            let flags = Flags { inside_list: false, inside_index: true };
            let expanded = self.expand(&map_context, Some(key), &map[index.as_str()], &at, flags, None)?;
            let expanded_key = expand_iri(&map_context, index, true);
            for item in expanded.into_vec() {
                let item = if as_graph && !matches!(&item, Item::Node(n) if n.graph.is_some() && n.id.is_none()) {
                    Item::Node(Node { graph: Some(vec![item]), ..Node::default() })
                } else {
                    item
                };
                let item = match item {
                    Item::Node(mut node) if by_type => {
                        if expanded_key.as_deref() != Some("@none") {
                            node.types.insert(0, expanded_key.clone().unwrap_or_default());
                        }
                        Item::Node(node)
                    }
                    Item::Node(mut node) if container.has(Container::ID) => {
                        if expanded_key.as_deref() != Some("@none") && node.id.is_none() {
                            let iri = expand_iri(&map_context, index, false).unwrap_or_default();
                            if !is_absolute(&iri) {
                                return Err(refused(&at, format!("the id \"{index}\" is a relative reference")));
                            }
                            node.id = Some(iri);
                        }
                        Item::Node(node)
                    }
                    Item::Node(mut node) => {
                        if let Some(property) = &property_index
                            && index != "@none"
                        {
                            let iri = expand_iri(&map_context, property, true).unwrap_or_default();
                            let value =
                                self.expand_value(&map_context, Some(property), &Value::String(index.clone()), &at)?;
                            node.properties.entry(iri).or_default().insert(0, value);
                        } else {
                            node.has_index = true;
                        }
                        Item::Node(node)
                    }
                    other => other,
                };
                items.push(item);
            }
        }
        Ok(items)
    }

    /// Checks and shapes an expanded object: a value, a list, a set or a node.
    fn finish(
        &self,
        context: &Context,
        property: Option<&str>,
        expanded_property: Option<&str>,
        out: Expanding,
        path: &Path,
        inside_list: bool,
    ) -> Result<Expanded, JsonLdError> {
        let count = out.count();
        let top = !inside_list
            && (property.is_none()
                || expanded_property == Some("@graph")
                || context.container(property).has(Container::GRAPH));
        if let Some(value) = out.value {
            if !out.types.is_empty() && (out.language.is_some() || out.direction.is_some()) {
                return Err(path.error("a value cannot have both @type and @language or @direction"));
            }
            let allowed = 1
                + usize::from(!out.types.is_empty())
                + usize::from(out.index.is_some())
                + usize::from(out.language.is_some())
                + usize::from(out.direction.is_some());
            if count != allowed || out.types.len() > 1 {
                return Err(path.error("a value object may only have @value, @type, @language, @direction and @index"));
            }
            let datatype = out.types.into_iter().next();
            if datatype.as_deref() != Some("@json") {
                if value.is_null() {
                    return Err(refused(path, "the @value is null".to_string()));
                }
                if out.language.is_some() && !value.is_string() {
                    return Err(path.error("only strings can have a language"));
                }
                if let Some(datatype) = &datatype
                    && (!is_absolute(datatype) || datatype.starts_with("_:"))
                {
                    return Err(path.error(format!("the datatype \"{datatype}\" is not an absolute IRI")));
                }
            }
            if top {
                return Err(refused(path, "a value object belongs to no property".to_string()));
            }
            return Ok(Expanded::One(Item::Value(Literal {
                value,
                datatype,
                language: out.language,
                direction: out.direction,
            })));
        }
        if out.list.is_some() || out.set.is_some() {
            if count > 1 && !(count == 2 && out.index.is_some()) {
                return Err(path.error("a @list or @set object may only have @index beside it"));
            }
            if let Some(items) = out.set {
                return Ok(Expanded::Many(items));
            }
            if top {
                return Err(refused(path, "a list belongs to no property".to_string()));
            }
            return Ok(Expanded::One(Item::List(out.list.unwrap_or_default())));
        }
        if count == 1 && out.language.is_some() {
            return Err(refused(path, "an object with only @language says nothing".to_string()));
        }
        if top && (count == 0 || (count == 1 && out.id.is_some())) {
            let what = if count == 0 { "an empty object" } else { "an object with only an id" };
            return Err(refused(path, format!("{what} says nothing")));
        }
        Ok(Expanded::One(Item::Node(Node {
            id: out.id,
            types: out.types,
            properties: out.properties,
            reverse: out.reverse,
            graph: out.graph,
            included: out.included.unwrap_or_default(),
            has_index: out.index.is_some(),
        })))
    }
}

/// A value put into a graph container must say something.
fn check_graph_member(item: &Item, path: &Path) -> Result<(), JsonLdError> {
    match item {
        Item::Value(_) => Err(refused(path, "a value cannot stand alone in a graph".to_string())),
        Item::List(_) => Err(refused(path, "a list cannot stand alone in a graph".to_string())),
        Item::Node(node)
            if node.id.is_some()
                && node.types.is_empty()
                && node.properties.is_empty()
                && node.graph.is_none()
                && node.reverse.is_empty()
                && node.included.is_empty() =>
        {
            Err(refused(path, "an object with only an id says nothing".to_string()))
        }
        Item::Node(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// From the expanded document to statements.

#[derive(Default)]
struct Emitter {
    quads: Vec<Quad>,
    blanks: usize,
    labels: HashMap<String, String>,
}

impl Emitter {
    fn fresh(&mut self) -> Term {
        self.blanks += 1;
        Term::Blank(format!("b{}", self.blanks - 1))
    }

    /// The term of an IRI or a blank node identifier of the document.
    fn reference(&mut self, id: &str) -> Term {
        match id.strip_prefix("_:") {
            Some(label) => {
                let next = self.labels.len();
                Term::Blank(self.labels.entry(label.to_string()).or_insert_with(|| format!("d{next}")).clone())
            }
            None => Term::Iri(id.to_string()),
        }
    }

    fn push(&mut self, subject: Term, predicate: &str, object: Term, graph: &Option<Term>) {
        self.quads.push(Quad { subject, predicate: predicate.to_string(), object, graph: graph.clone() });
    }

    /// Emits a node's statements into `graph` and returns its term.
    fn node(&mut self, node: &Node, graph: &Option<Term>) -> Result<Term, JsonLdError> {
        let subject = match &node.id {
            Some(id) => self.reference(id),
            None => self.fresh(),
        };
        for name in &node.types {
            let object = self.reference(name);
            self.push(subject.clone(), RDF_TYPE, object, graph);
        }
        for (predicate, items) in &node.properties {
            if predicate.starts_with("_:") {
                return Err(JsonLdError {
                    pointer: String::new(),
                    message: format!(
                        "the property {predicate} is a blank node; verifiers in safe mode refuse the credential"
                    ),
                });
            }
            for item in items {
                let object = self.item(item, graph)?;
                self.push(subject.clone(), predicate, object, graph);
            }
        }
        for (predicate, items) in &node.reverse {
            for item in items {
                if let Item::Node(other) = item {
                    let source = self.node(other, graph)?;
                    self.push(source, predicate, subject.clone(), graph);
                }
            }
        }
        if let Some(items) = &node.graph {
            let name = Some(subject.clone());
            for item in items {
                if let Item::Node(inner) = item {
                    self.node(inner, &name)?;
                }
            }
        }
        for item in &node.included {
            if let Item::Node(other) = item {
                self.node(other, graph)?;
            }
        }
        Ok(subject)
    }

    fn item(&mut self, item: &Item, graph: &Option<Term>) -> Result<Term, JsonLdError> {
        match item {
            Item::Node(node) => self.node(node, graph),
            Item::Value(literal) => Ok(literal_term(literal)),
            Item::List(items) => {
                let Some((last, rest)) = items.split_last() else {
                    return Ok(Term::Iri(RDF_NIL.to_string()));
                };
                let head = self.fresh();
                let mut at = head.clone();
                for item in rest {
                    let object = self.item(item, graph)?;
                    let next = self.fresh();
                    self.push(at.clone(), RDF_FIRST, object, graph);
                    self.push(at, RDF_REST, next.clone(), graph);
                    at = next;
                }
                let object = self.item(last, graph)?;
                self.push(at.clone(), RDF_FIRST, object, graph);
                self.push(at, RDF_REST, Term::Iri(RDF_NIL.to_string()), graph);
                Ok(head)
            }
        }
    }
}

/// A value object as an RDF literal, with the lexical forms jsonld.js writes: JSON numbers are
/// JavaScript numbers, written as integers or as canonical doubles; `@json` values in JSON's
/// canonical form (RFC 8785); a direction as an i18n datatype.
fn literal_term(literal: &Literal) -> Term {
    let given = literal.datatype.clone();
    let (value, datatype) = match &literal.value {
        value if given.as_deref() == Some("@json") => (canonical_json(value), RDF_JSON.to_string()),
        Value::Bool(flag) => (flag.to_string(), given.unwrap_or_else(|| XSD_BOOLEAN.to_string())),
        Value::Number(number) => {
            let number = number.as_f64().unwrap_or(f64::NAN);
            if is_js_double(number) || given.as_deref() == Some(XSD_DOUBLE) {
                (canonical_double(number), given.unwrap_or_else(|| XSD_DOUBLE.to_string()))
            } else {
                (js_integer(number), given.unwrap_or_else(|| XSD_INTEGER.to_string()))
            }
        }
        Value::String(text) if given.as_deref() == Some(XSD_DOUBLE) => {
            (canonical_double(text.trim().parse().unwrap_or(f64::NAN)), XSD_DOUBLE.to_string())
        }
        Value::String(text) => {
            if let Some(direction) = &literal.direction {
                let language = literal.language.clone().unwrap_or_default();
                return Term::Literal {
                    value: text.clone(),
                    datatype: format!("{I18N}{language}_{direction}"),
                    language: None,
                };
            }
            if let Some(language) = &literal.language {
                return Term::Literal {
                    value: text.clone(),
                    datatype: RDF_LANGSTRING.to_string(),
                    language: Some(language.clone()),
                };
            }
            (text.clone(), given.unwrap_or_else(|| XSD_STRING.to_string()))
        }
        other => (other.to_string(), given.unwrap_or_else(|| XSD_STRING.to_string())),
    };
    Term::Literal { value, datatype, language: None }
}

/// Whether JavaScript prints this number with a decimal point (or it is very large): what
/// jsonld.js takes for a double.
fn is_js_double(number: f64) -> bool {
    let magnitude = number.abs();
    magnitude >= 1e21 || (number.fract() != 0.0 && magnitude >= 1e-6)
}

/// `Number.prototype.toFixed(0)`, for a number below 10²¹.
fn js_integer(number: f64) -> String {
    if number == 0.0 {
        return "0".to_string();
    }
    format!("{number:.0}")
}

/// The canonical XSD double form jsonld.js writes: sixteen significant digits with trailing
/// zeros removed, such as `1.5E0` or `1.0E-5`.
fn canonical_double(number: f64) -> String {
    if !number.is_finite() {
        return if number.is_nan() {
            "NaN".to_string()
        } else if number > 0.0 {
            "INF".to_string()
        } else {
            "-INF".to_string()
        };
    }
    let text = format!("{number:.15e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let mut mantissa = mantissa.trim_end_matches('0').to_string();
    if mantissa.ends_with('.') {
        mantissa.push('0');
    }
    format!("{mantissa}E{exponent}")
}

/// JSON in its canonical form (RFC 8785): members sorted by their UTF-16 code units, no white
/// space, numbers as JavaScript prints them.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical_json(value, &mut out);
    out
}

fn write_canonical_json(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) => out.push_str(&value.to_string()),
        Value::Number(number) => out.push_str(&js_number(number.as_f64().unwrap_or(f64::NAN))),
        Value::String(text) => out.push_str(&Value::String(text.clone()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical_json(item, out);
            }
            out.push('}');
        }
    }
}

/// `Number.prototype.toString()`: the shortest digits that read back as the number, in plain
/// notation from 10⁻⁶ to 10²¹ and in exponent notation outside.
fn js_number(number: f64) -> String {
    if number == 0.0 {
        return "0".to_string();
    }
    if !number.is_finite() {
        return "null".to_string();
    }
    let shortest = format!("{:e}", number.abs());
    let (mantissa, exponent) = shortest.split_once('e').unwrap_or((&shortest, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if number < 0.0 { "-" } else { "" };
    let count = digits.len() as i32;
    let point = exponent + 1;
    let body = if (-6..=-1).contains(&exponent) {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if (0..21).contains(&exponent) {
        if count <= point {
            format!("{digits}{}", "0".repeat((point - count) as usize))
        } else {
            format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
        }
    } else {
        let tail = if count > 1 { format!(".{}", &digits[1..]) } else { String::new() };
        let exponent_sign = if exponent > 0 { "+" } else { "-" };
        format!("{}{tail}e{exponent_sign}{}", &digits[..1], exponent.abs())
    };
    format!("{sign}{body}")
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
    fn numbers_take_the_forms_jsonld_js_writes() {
        assert_eq!(canonical_double(1.5), "1.5E0");
        assert_eq!(canonical_double(1e-5), "1.0E-5");
        assert_eq!(canonical_double(123456.789), "1.23456789E5");
        assert_eq!(js_integer(3.0), "3");
        assert!(!is_js_double(2.0));
        assert!(is_js_double(2.5));
        assert!(!is_js_double(1e-7), "JavaScript prints 1e-7 without a decimal point");
        for (number, text) in
            [(1.0, "1"), (0.5, "0.5"), (1e21, "1e+21"), (1e-7, "1e-7"), (123.456, "123.456"), (-0.000001, "-0.000001")]
        {
            assert_eq!(js_number(number), text, "{number}");
        }
        assert_eq!(canonical_json(&json!({"b": [1, 2.5, "x"], "a": null})), r#"{"a":null,"b":[1,2.5,"x"]}"#);
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
