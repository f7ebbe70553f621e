//! From the expanded document to statements (JSON-LD 1.1 Processing Algorithms and API,
//! section 8: deserializing JSON-LD to RDF, object and list to RDF conversion).

use std::collections::HashMap;

use serde_json::Value;

use super::expand::{Item, Literal, Node};
use super::number::{canonical_double, canonical_json, is_js_double, js_integer};
use super::{I18N, JsonLdError};
use crate::credential::rdf::*;

#[derive(Default)]
pub(super) struct Emitter {
    pub(super) quads: Vec<Quad>,
    pub(super) blanks: usize,
    pub(super) labels: HashMap<String, String>,
}

impl Emitter {
    pub(super) fn fresh(&mut self) -> Term {
        self.blanks += 1;
        Term::Blank(format!("b{}", self.blanks - 1))
    }

    /// The term of an IRI or a blank node identifier of the document.
    pub(super) fn reference(&mut self, id: &str) -> Term {
        match id.strip_prefix("_:") {
            Some(label) => {
                let next = self.labels.len();
                Term::Blank(self.labels.entry(label.to_string()).or_insert_with(|| format!("d{next}")).clone())
            }
            None => Term::Iri(id.to_string()),
        }
    }

    pub(super) fn push(&mut self, subject: Term, predicate: &str, object: Term, graph: &Option<Term>) {
        self.quads.push(Quad { subject, predicate: predicate.to_string(), object, graph: graph.clone() });
    }

    /// Emits a node's statements into `graph` and returns its term: the Deserialize JSON-LD to
    /// RDF Algorithm (section 8.1.2) for one node, walking the expanded document instead of
    /// first building the node map (section 7.2), which gives the same statements.
    pub(super) fn node(&mut self, node: &Node, graph: &Option<Term>) -> Result<Term, JsonLdError> {
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

    /// The object of a statement: Object to RDF Conversion (section 8.2), steps 1 to 3, with
    /// List to RDF Conversion (section 8.3) for a list.
    pub(super) fn item(&mut self, item: &Item, graph: &Option<Term>) -> Result<Term, JsonLdError> {
        match item {
            Item::Node(node) => self.node(node, graph),
            Item::Value(literal) => Ok(literal_term(literal)),
            Item::List(items, _) => {
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

/// A value object as an RDF literal (Object to RDF Conversion, steps 4 to 15), with the
/// lexical forms jsonld.js writes: JSON numbers are
/// JavaScript numbers, written as integers or as canonical doubles; `@json` values in JSON's
/// canonical form (RFC 8785); a direction as an i18n datatype.
#[allow(
    clippy::disallowed_types,
    reason = "JSON-LD reads a JSON number as a JavaScript double, and writes its lexical form from that double"
)]
pub(super) fn literal_term(literal: &Literal) -> Term {
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
