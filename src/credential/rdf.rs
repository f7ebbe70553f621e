//! The RDF data model the credential proofs are computed over: terms, statements (quads), the
//! vocabulary they use, and the N-Quads text of a statement. [`super::jsonld`] reads a document
//! into it; [`super::rdfc`] writes it canonically.

use std::fmt::{self, Write};

/// `rdf:type`.
pub const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
/// `rdf:first`, the head of a list.
pub const RDF_FIRST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first";
/// `rdf:rest`, the rest of a list.
pub const RDF_REST: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest";
/// `rdf:nil`, the empty list.
pub const RDF_NIL: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil";
/// `rdf:langString`, the type of a string with a language.
pub const RDF_LANGSTRING: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString";
/// `rdf:JSON`, the type of a JSON literal.
pub const RDF_JSON: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON";
/// `xsd:string`, the type of a plain string.
pub const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";
/// `xsd:boolean`.
pub const XSD_BOOLEAN: &str = "http://www.w3.org/2001/XMLSchema#boolean";
/// `xsd:integer`.
pub const XSD_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";
/// `xsd:double`.
pub const XSD_DOUBLE: &str = "http://www.w3.org/2001/XMLSchema#double";

/// An RDF term. Blank nodes carry the label they were given while reading the document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Term {
    /// An IRI.
    Iri(String),
    /// A blank node, by its label.
    Blank(String),
    /// A value with its datatype (an IRI), and its language for a `rdf:langString`.
    Literal {
        /// The value as text.
        value: String,
        /// Its datatype, an IRI.
        datatype: String,
        /// Its language tag.
        language: Option<String>,
    },
}

/// One statement of the dataset; `graph` is `None` for the default graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quad {
    /// What the statement is about.
    pub subject: Term,
    /// The property, an IRI.
    pub predicate: String,
    /// Its value.
    pub object: Term,
    /// The named graph, or `None` for the default graph.
    pub graph: Option<Term>,
}

impl fmt::Display for Quad {
    /// The N-Quads line, with the blank node labels it has.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&nquad(self, &|label: &str| format!("_:{label}")))
    }
}

/// A statement as an N-Quads line (with its newline); `blank` writes a blank node, `_:` and
/// all, so that a canonicalizer can relabel them.
pub fn nquad(quad: &Quad, blank: &dyn Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(128);
    term(&mut out, &quad.subject, blank);
    out.push_str(" <");
    iri(&mut out, &quad.predicate);
    out.push_str("> ");
    term(&mut out, &quad.object, blank);
    if let Some(graph) = &quad.graph {
        out.push(' ');
        term(&mut out, graph, blank);
    }
    out.push_str(" .\n");
    out
}

fn term(out: &mut String, term: &Term, blank: &dyn Fn(&str) -> String) {
    match term {
        Term::Iri(value) => {
            out.push('<');
            iri(out, value);
            out.push('>');
        }
        Term::Blank(label) => out.push_str(&blank(label)),
        Term::Literal { value, datatype, language } => {
            out.push('"');
            for c in value.chars() {
                match c {
                    '\u{8}' => out.push_str("\\b"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\u{c}' => out.push_str("\\f"),
                    '\r' => out.push_str("\\r"),
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    c if c <= '\u{1f}' || c == '\u{7f}' => {
                        let _ = write!(out, "\\u{:04X}", c as u32);
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            if datatype == RDF_LANGSTRING {
                if let Some(language) = language {
                    out.push('@');
                    out.push_str(language);
                }
            } else if datatype != XSD_STRING {
                out.push_str("^^<");
                iri(out, datatype);
                out.push('>');
            }
        }
    }
}

fn iri(out: &mut String, value: &str) {
    for c in value.chars() {
        if c <= ' ' || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\') {
            let _ = write!(out, "\\u{:04X}", c as u32);
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_iris_are_escaped_as_n_quads_requires() {
        let literal = Term::Literal { value: "a \"b\"\n\\c\u{1}".into(), datatype: XSD_STRING.into(), language: None };
        let quad =
            Quad { subject: Term::Iri("urn:x y".into()), predicate: "urn:p".into(), object: literal, graph: None };
        assert_eq!(quad.to_string(), "<urn:x\\u0020y> <urn:p> \"a \\\"b\\\"\\n\\\\c\\u0001\" .\n");
    }
}
