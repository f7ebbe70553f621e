//! Expansion (JSON-LD 1.1 Processing Algorithms and API, section 5.1, with value expansion,
//! section 5.3): a document into expanded nodes and values, with safe mode's refusals.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::context::{Container, Context, Local, Processor, expand_iri, expand_vocab_iri, revert};
use super::{JsonLdError, Path, as_list, is_absolute, is_bcp47, is_keyword, refused};

/// An expanded value.
#[derive(Debug)]
pub(super) enum Item {
    Node(Node),
    Value(Literal),
    /// A list, with its `@index` if it has one.
    List(Vec<Item>, Option<String>),
}

#[derive(Debug, Default)]
pub(super) struct Node {
    pub(super) id: Option<String>,
    pub(super) types: Vec<String>,
    pub(super) properties: BTreeMap<String, Vec<Item>>,
    pub(super) reverse: BTreeMap<String, Vec<Item>>,
    pub(super) graph: Option<Vec<Item>>,
    pub(super) included: Vec<Item>,
    pub(super) index: Option<String>,
}

impl Node {
    pub(super) fn is_only_graph(&self) -> bool {
        self.graph.is_some()
            && self.id.is_none()
            && self.types.is_empty()
            && self.properties.is_empty()
            && self.reverse.is_empty()
            && self.included.is_empty()
            && self.index.is_none()
    }
}

#[derive(Debug)]
pub(super) struct Literal {
    pub(super) value: Value,
    pub(super) datatype: Option<String>,
    pub(super) language: Option<String>,
    pub(super) direction: Option<String>,
    pub(super) index: Option<String>,
}

impl Item {
    /// The item in expanded document form (JSON-LD 1.1 syntax, section 5.1): a node,
    /// value or list object, every property's values in an array.
    pub(super) fn to_json(&self) -> Value {
        let mut object = Map::new();
        let all = |items: &[Item]| Value::Array(items.iter().map(Item::to_json).collect());
        let index = match self {
            Item::Node(node) => {
                if let Some(id) = &node.id {
                    object.insert("@id".into(), id.clone().into());
                }
                if !node.types.is_empty() {
                    object.insert("@type".into(), node.types.clone().into());
                }
                for (property, values) in &node.properties {
                    object.insert(property.clone(), all(values));
                }
                if !node.reverse.is_empty() {
                    let reverse = node.reverse.iter().map(|(property, values)| (property.clone(), all(values)));
                    object.insert("@reverse".into(), Value::Object(reverse.collect()));
                }
                if let Some(graph) = &node.graph {
                    object.insert("@graph".into(), all(graph));
                }
                if !node.included.is_empty() {
                    object.insert("@included".into(), all(&node.included));
                }
                &node.index
            }
            Item::Value(literal) => {
                object.insert("@value".into(), literal.value.clone());
                for (keyword, text) in
                    [("@type", &literal.datatype), ("@language", &literal.language), ("@direction", &literal.direction)]
                {
                    if let Some(text) = text {
                        object.insert(keyword.into(), text.clone().into());
                    }
                }
                &literal.index
            }
            Item::List(items, index) => {
                object.insert("@list".into(), all(items));
                index
            }
        };
        if let Some(index) = index {
            object.insert("@index".into(), index.clone().into());
        }
        Value::Object(object)
    }
}

/// What expanding one JSON value gave.
pub(super) enum Expanded {
    Nothing,
    One(Item),
    Many(Vec<Item>),
}

impl Expanded {
    pub(super) fn into_vec(self) -> Vec<Item> {
        match self {
            Expanded::Nothing => Vec::new(),
            Expanded::One(item) => vec![item],
            Expanded::Many(items) => items,
        }
    }
}

#[derive(Clone, Copy, Default)]
pub(super) struct Flags {
    pub(super) inside_list: bool,
    pub(super) inside_index: bool,
}

/// An object being expanded: the keyword entries and properties seen so far.
#[derive(Default)]
pub(super) struct Expanding {
    pub(super) id: Option<String>,
    pub(super) types: Vec<String>,
    pub(super) value: Option<Value>,
    pub(super) language: Option<String>,
    pub(super) direction: Option<String>,
    pub(super) index: Option<String>,
    pub(super) list: Option<Vec<Item>>,
    pub(super) set: Option<Vec<Item>>,
    pub(super) graph: Option<Vec<Item>>,
    pub(super) included: Option<Vec<Item>>,
    pub(super) reverse: BTreeMap<String, Vec<Item>>,
    pub(super) has_reverse: bool,
    pub(super) properties: BTreeMap<String, Vec<Item>>,
}

impl Expanding {
    pub(super) fn has_keyword(&self, keyword: &str) -> bool {
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
    pub(super) fn count(&self) -> usize {
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
    /// The Expansion Algorithm (section 5.1.2), with safe mode's refusals: steps 1 to 5 here
    /// (null, a scalar, an array), steps 6 to 10 (the contexts that apply to a map) in
    /// [`Processor::expand_object`].
    pub(super) fn expand(
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
                        Expanded::Many(list) if inside_list => out.push(Item::List(list, None)),
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

    /// A scalar as the value of `property`, coerced as its definition says: Value Expansion
    /// (section 5.3.2), steps 1 to 6, reached from the Expansion Algorithm's step 4.3.
    pub(super) fn expand_value(
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
        let mut literal =
            Literal { value: value.clone(), datatype: None, language: None, direction: None, index: None };
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

    /// A map: the Expansion Algorithm's steps 6 to 10 (a previous context reverted, the
    /// property-scoped, embedded and type-scoped contexts applied), 11 and 12 (its types first),
    /// then its entries ([`Processor::expand_entries`]) and [`Processor::finish`].
    pub(super) fn expand_object(
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

    /// Expands each entry of `element` into `out`: the Expansion Algorithm's step 13 (13.4 for
    /// keywords) and step 14 (`@nest`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn expand_entries(
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
                        let iri = expand_vocab_iri(type_scoped, name).unwrap_or_default();
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
            // Steps 14.2.2 with 3 and 8: the nesting term's own scoped context applies inside.
            let nest_context = match context.term(key).and_then(|d| d.context.as_ref()) {
                Some(scoped) => self.process(context, Local::Scoped(scoped), true, true, &at)?,
                None => Arc::clone(context),
            };
            let context = &nest_context;
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

    /// Expands the value of one property (a term or IRI, or `@graph`) into `out`: the
    /// Expansion Algorithm's steps 13.5 to 13.14 (containers, lists, graphs, reverse
    /// properties).
    pub(super) fn expand_property(
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
                index: None,
            }))
        } else {
            self.expand(&term_context, Some(key), value, path, Flags::default(), None)?
        };
        let mut items = match expanded_value {
            Expanded::Nothing => return Ok(()),
            Expanded::One(list @ Item::List(..)) => vec![list],
            Expanded::One(item) if container.has(Container::LIST) => vec![Item::List(vec![item], None)],
            Expanded::Many(items) if container.has(Container::LIST) => vec![Item::List(items, None)],
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

    /// A language map: the Expansion Algorithm's step 13.7.
    pub(super) fn language_map(
        &self,
        context: &Context,
        key: &str,
        value: &Value,
        path: &Path,
    ) -> Result<Vec<Item>, JsonLdError> {
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
                        index: None,
                    })),
                    _ => return Err(at.error("the values of a language map must be strings")),
                }
            }
        }
        Ok(items)
    }

    /// An `@index`, `@id` or `@type` map, the keys becoming part of each value: the Expansion
    /// Algorithm's step 13.8.
    pub(super) fn index_map(
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
            let none = expanded_key.as_deref() == Some("@none");
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
                            && !none
                        {
                            let iri = expand_iri(&map_context, property, true).unwrap_or_default();
                            let value =
                                self.expand_value(&map_context, Some(property), &Value::String(index.clone()), &at)?;
                            node.properties.entry(iri).or_default().insert(0, value);
                        } else if !none {
                            node.index.get_or_insert_with(|| index.clone());
                        }
                        Item::Node(node)
                    }
                    // Step 13.8.3.7.2: a value or a list in an index map keeps its key.
                    Item::Value(mut literal) if container.has(Container::INDEX) && !none => {
                        if property_index.is_some() {
                            return Err(at.error("the values of a property-valued index must be node objects"));
                        }
                        literal.index.get_or_insert_with(|| index.clone());
                        Item::Value(literal)
                    }
                    Item::List(items, own) if container.has(Container::INDEX) && !none => {
                        if property_index.is_some() {
                            return Err(at.error("the values of a property-valued index must be node objects"));
                        }
                        Item::List(items, own.or_else(|| Some(index.clone())))
                    }
                    other => other,
                };
                items.push(item);
            }
        }
        Ok(items)
    }

    /// Checks and shapes an expanded object, a value, a list, a set or a node: the Expansion
    /// Algorithm's steps 15 to 19 (where safe mode refuses what step 19 would drop).
    pub(super) fn finish(
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
                index: out.index,
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
            return Ok(Expanded::One(Item::List(out.list.unwrap_or_default(), out.index)));
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
            index: out.index,
        })))
    }
}

/// A value put into a graph container must say something.
pub(super) fn check_graph_member(item: &Item, path: &Path) -> Result<(), JsonLdError> {
    match item {
        Item::Value(_) => Err(refused(path, "a value cannot stand alone in a graph".to_string())),
        Item::List(..) => Err(refused(path, "a list cannot stand alone in a graph".to_string())),
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
