//! Context processing (JSON-LD 1.1 Processing Algorithms and API, section 4): active
//! contexts, term definitions, and IRI expansion (section 5.2), with the cache that keeps each
//! processed context for the life of the process.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use serde_json::{Map, Value};

use super::{CONTEXTS, JsonLdError, Path, as_list, is_absolute, is_bcp47, is_keyword, looks_like_keyword, refused};

/// The kinds of container a term can declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Container(u8);

impl Container {
    pub(super) const LIST: u8 = 1;
    pub(super) const SET: u8 = 2;
    pub(super) const INDEX: u8 = 4;
    pub(super) const LANGUAGE: u8 = 8;
    pub(super) const GRAPH: u8 = 16;
    pub(super) const ID: u8 = 32;
    pub(super) const TYPE: u8 = 64;

    pub(super) fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }
}

/// A term definition.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Definition {
    /// The IRI or keyword the term stands for; `None` for a term defined as null (ignored).
    pub(super) id: Option<String>,
    pub(super) reverse: bool,
    /// `@id`, `@vocab`, `@json`, `@none` or a datatype IRI.
    pub(super) type_mapping: Option<String>,
    pub(super) container: Container,
    /// `Some(None)`: the term's strings have no language, whatever the default.
    pub(super) language: Option<Option<String>>,
    pub(super) direction: Option<Option<String>>,
    /// A scoped context, applied to values of this property or to nodes of this type.
    pub(super) context: Option<Arc<Value>>,
    pub(super) index: Option<String>,
    pub(super) nest: Option<String>,
    /// Whether the term may be the prefix of a compact IRI.
    pub(super) prefix: bool,
    pub(super) protected: bool,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Context {
    pub(super) terms: HashMap<String, Arc<Definition>>,
    /// The base IRI a context's `@base` set, which relative IRIs in the document resolve
    /// against. A credential is read without a document address, so there is none until a
    /// context sets one.
    pub(super) base: Option<String>,
    pub(super) vocab: Option<String>,
    pub(super) language: Option<String>,
    pub(super) direction: Option<String>,
    /// The context before a type-scoped context was applied, to go back to inside the node's
    /// values.
    pub(super) previous: Option<Arc<Context>>,
}

impl Context {
    pub(super) fn term(&self, term: &str) -> Option<&Definition> {
        self.terms.get(term).map(Arc::as_ref)
    }

    pub(super) fn container(&self, term: Option<&str>) -> Container {
        term.and_then(|t| self.term(t)).map_or(Container::default(), |d| d.container)
    }
}

pub(super) fn revert(context: &Arc<Context>) -> Arc<Context> {
    context.previous.clone().unwrap_or_else(|| Arc::clone(context))
}

/// What a processed context is remembered by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum LocalKey {
    /// An embedded context, by its URL.
    Url(&'static str),
    /// A scoped context held by a term definition, by its address and the place in its list.
    Scoped(usize, usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct CacheKey {
    /// The address of the active context it was applied to.
    pub(super) active: usize,
    pub(super) local: LocalKey,
    pub(super) override_protected: bool,
}

/// A remembered result, holding what its key points at so that no address is reused.
pub(super) struct CacheEntry {
    pub(super) result: Arc<Context>,
    pub(super) _active: Arc<Context>,
    pub(super) _local: Option<Arc<Value>>,
}

/// Remembered contexts beyond this many are forgotten all at once; real credentials use a few
/// dozen combinations.
pub(super) const CACHE_LIMIT: usize = 4096;

pub(super) struct Processor {
    pub(super) documents: HashMap<&'static str, Value>,
    pub(super) initial: Arc<Context>,
    pub(super) cache: Mutex<HashMap<CacheKey, CacheEntry>>,
}

pub(super) static PROCESSOR: LazyLock<Processor> = LazyLock::new(|| Processor {
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
pub(super) enum Local<'a> {
    Scoped(&'a Arc<Value>),
    Inline(&'a Value),
}

impl Local<'_> {
    pub(super) fn value(&self) -> &Value {
        match self {
            Local::Scoped(value) => value,
            Local::Inline(value) => value,
        }
    }
}

/// One context of a list, resolved: null, or an object of definitions.
pub(super) struct Resolved<'a> {
    pub(super) key: Option<LocalKey>,
    pub(super) owner: Option<Arc<Value>>,
    pub(super) definitions: Option<&'a Map<String, Value>>,
}

impl Processor {
    pub(super) fn remembered(&self, key: &CacheKey) -> Option<Arc<Context>> {
        self.cache.lock().ok()?.get(key).map(|entry| Arc::clone(&entry.result))
    }

    pub(super) fn remember(&self, key: CacheKey, entry: CacheEntry) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, entry);
        }
    }

    pub(super) fn embedded(&self, url: &str, path: &Path) -> Result<(&'static str, &Map<String, Value>), JsonLdError> {
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

    /// Applies a local context to `active`: the Context Processing Algorithm (section 4.1.2).
    /// Steps 4 and 5.1 to 5.3 here (a list of contexts; null; a URL, which must be embedded,
    /// where step 5.2 would fetch); steps 5.4 to 5.13 in [`Processor::define`].
    pub(super) fn process(
        &self,
        active: &Arc<Context>,
        local: Local,
        mut propagate: bool,
        override_protected: bool,
        path: &Path,
    ) -> Result<Arc<Context>, JsonLdError> {
        let value = local.value();
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
                Value::Object(definitions) => match local {
                    Local::Scoped(owner) => Resolved {
                        key: Some(LocalKey::Scoped(Arc::as_ptr(owner) as usize, i)),
                        owner: Some(Arc::clone(owner)),
                        definitions: Some(definitions),
                    },
                    Local::Inline(_) => Resolved { key: None, owner: None, definitions: Some(definitions) },
                },
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
            let remote = matches!(item.key, Some(LocalKey::Url(_)));
            let key =
                item.key.map(|local| CacheKey { active: Arc::as_ptr(&result) as usize, local, override_protected });
            if let Some(found) = key.as_ref().and_then(|k| self.remembered(k)) {
                result = found;
                continue;
            }
            let next = Arc::new(self.define(&result, definitions, override_protected, remote, path)?);
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

    /// The active context with the definitions of one local context added: the Context
    /// Processing Algorithm's steps 5.5 to 5.13 (`@version`, `@vocab`, `@language`,
    /// `@direction`, `@propagate`, then each term through [`Definer::create`]), with `@import`
    /// (step 5.6) of an embedded context and `@base` (step 5.7, ignored in a `remote` context).
    pub(super) fn define(
        &self,
        active: &Context,
        definitions: &Map<String, Value>,
        override_protected: bool,
        remote: bool,
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
            && !remote
        {
            context.base = match base {
                Value::Null => None,
                Value::String(text) => match resolve(context.base.as_deref(), text) {
                    Some(iri) => Some(iri),
                    None => {
                        return Err(path.error(format!("@base \"{text}\" is not an IRI, nor one relative to a base")));
                    }
                },
                _ => return Err(path.error("@base must be a string or null")),
            };
        }
        if let Some(vocab) = definitions.get("@vocab") {
            match vocab {
                Value::Null => context.vocab = None,
                Value::String(text) => {
                    // Step 5.8.3: a relative @vocab (or "") is relative to the base.
                    let expanded = expand_vocab_iri(&context, text).unwrap_or_default();
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
pub(super) struct Definer<'a> {
    pub(super) context: Context,
    pub(super) local: &'a Map<String, Value>,
    /// Terms being defined (false) or defined (true).
    pub(super) defined: HashMap<&'a str, bool>,
    pub(super) override_protected: bool,
    pub(super) protected_by_default: bool,
    pub(super) path: &'a Path<'a>,
}

impl<'a> Definer<'a> {
    /// Create Term Definition (section 4.2.2): steps 1 to 3 (a term defined once, cycles
    /// refused), 4 to 7 (keywords), 8 to 12 (the shape of the value), 13 (`@protected`), 14
    /// (`@type`), 15 (`@reverse`), 16 to 20 (the IRI mapping), 21 and 22 (`@container`,
    /// `@index`), 23 (a scoped `@context`, processed when used), 24 to 27 (`@language`,
    /// `@direction`, `@nest`, `@prefix`), 28 (no other entry) and 29 (a protected term kept).
    pub(super) fn create(&mut self, term: &'a str) -> Result<(), JsonLdError> {
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

    /// A term's `@container`: Create Term Definition, step 21.
    pub(super) fn container(
        &self,
        value: &Value,
        definition: &mut Definition,
        path: &Path,
    ) -> Result<Container, JsonLdError> {
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

    /// IRI Expansion (section 5.2.2) while the context is being built: its step 3, terms of
    /// the same local context that are needed defined first.
    pub(super) fn expand_iri(&mut self, value: &str) -> Result<Option<String>, JsonLdError> {
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

/// IRI Expansion (section 5.2.2) against an active context: steps 1 and 2 (keywords and
/// keyword-like values), 4 and 5 (terms), 6 (compact IRIs and absolute IRIs), 7 (`@vocab`) and
/// 8 (against the base). `vocab`: as a property name or type (terms and `@vocab` apply);
/// otherwise as an `@id`, relative to the base a context set (without one, a relative
/// reference stays relative, and safe mode refuses it). `None` for a term defined as null or a
/// reserved word.
pub(super) fn expand_iri(context: &Context, value: &str, vocab: bool) -> Option<String> {
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
    if !vocab && let Some(iri) = resolve(context.base.as_deref(), value) {
        return Some(iri);
    }
    Some(value.to_string())
}

/// IRI Expansion with both vocab and document relative (a `@type` value, a context's
/// `@vocab`): as a term or against `@vocab` first, and only without one against the base.
pub(super) fn expand_vocab_iri(context: &Context, value: &str) -> Option<String> {
    let iri = expand_iri(context, value, true)?;
    if is_absolute(&iri) || context.vocab.is_some() {
        return Some(iri);
    }
    Some(resolve(context.base.as_deref(), &iri).unwrap_or(iri))
}

/// `reference` resolved against `base` by RFC 3986, section 5.2 (what JSON-LD asks: no
/// normalization), or as it is when it is already absolute; `None` when it is neither absolute
/// nor resolvable (no base, or not an IRI reference).
fn resolve(base: Option<&str>, reference: &str) -> Option<String> {
    if let Ok(iri) = oxiri::Iri::parse(reference) {
        return Some(iri.into_inner().to_string());
    }
    let (base, reference) = (oxiri::Iri::parse(base?).ok()?, oxiri::IriRef::parse(reference).ok()?);
    base.resolve(&reference).ok().map(oxiri::Iri::into_inner)
}
