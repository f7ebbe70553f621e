//! The W3C's own conformance suites for the algorithms behind every `eddsa-rdfc-2022` proof:
//! RDF Dataset Canonicalization ([`rdfc`]) and JSON-LD 1.1 expansion and conversion to RDF
//! ([`jsonld`]), each run through the library from a copy in `tests/data/w3c/`.

use mastery::credential::rdf::{Quad, RDF_LANGSTRING, Term, XSD_STRING};

mod jsonld;
mod rdfc;

/// N-Quads (RDF 1.1 N-Quads, the grammar of section 5) into statements: enough of a reader for
/// the suite's inputs, which are all well formed.
fn parse_nquads(text: &str) -> Result<Vec<Quad>, String> {
    let mut quads = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let mut reader = Reader { rest: line.trim() };
        if reader.rest.is_empty() || reader.rest.starts_with('#') {
            continue;
        }
        let place = |e: String| format!("line {}: {e}", number + 1);
        let subject = reader.term().map_err(place)?;
        let predicate = match reader.term().map_err(place)? {
            Term::Iri(iri) => iri,
            other => return Err(place(format!("a predicate must be an IRI, not {other:?}"))),
        };
        let object = reader.term().map_err(place)?;
        let graph = if reader.rest.starts_with('.') { None } else { Some(reader.term().map_err(place)?) };
        if reader.rest.trim() != "." {
            return Err(place(format!("expected the closing '.', found {:?}", reader.rest)));
        }
        quads.push(Quad { subject, predicate, object, graph });
    }
    Ok(quads)
}

struct Reader<'a> {
    rest: &'a str,
}

impl Reader<'_> {
    fn term(&mut self) -> Result<Term, String> {
        self.rest = self.rest.trim_start();
        let term = if self.rest.starts_with('<') {
            Term::Iri(self.quoted('>')?)
        } else if let Some(after) = self.rest.strip_prefix("_:") {
            self.rest = after;
            Term::Blank(self.word())
        } else if self.rest.starts_with('"') {
            let value = self.quoted('"')?;
            if let Some(after) = self.rest.strip_prefix("^^") {
                self.rest = after;
                Term::Literal { value, datatype: self.quoted('>')?, language: None }
            } else if let Some(after) = self.rest.strip_prefix('@') {
                self.rest = after;
                Term::Literal { value, datatype: RDF_LANGSTRING.into(), language: Some(self.word()) }
            } else {
                Term::Literal { value, datatype: XSD_STRING.into(), language: None }
            }
        } else {
            return Err(format!("no term at {:?}", self.rest));
        };
        self.rest = self.rest.trim_start();
        Ok(term)
    }

    /// The text up to the next white space (a blank node label, a language tag).
    fn word(&mut self) -> String {
        let end = self.rest.find(char::is_whitespace).unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        word.to_string()
    }

    /// The text from the opening character to `close`, escapes read (ECHAR and UCHAR).
    fn quoted(&mut self, close: char) -> Result<String, String> {
        let mut chars = self.rest.char_indices().skip(1);
        let mut out = String::new();
        while let Some((at, c)) = chars.next() {
            match c {
                c if c == close => {
                    self.rest = &self.rest[at + 1..];
                    return Ok(out);
                }
                '\\' => {
                    let (_, escape) = chars.next().ok_or("a lone backslash")?;
                    let digits = match escape {
                        'u' => 4,
                        'U' => 8,
                        _ => {
                            out.push(match escape {
                                't' => '\t',
                                'b' => '\u{8}',
                                'n' => '\n',
                                'r' => '\r',
                                'f' => '\u{c}',
                                '"' | '\'' | '\\' => escape,
                                other => return Err(format!("unknown escape \\{other}")),
                            });
                            continue;
                        }
                    };
                    let hex: String = chars.by_ref().take(digits).map(|(_, c)| c).collect();
                    let code = u32::from_str_radix(&hex, 16).map_err(|e| format!("\\u{hex}: {e}"))?;
                    out.push(char::from_u32(code).ok_or(format!("\\u{hex} is not a character"))?);
                }
                c => out.push(c),
            }
        }
        Err(format!("no closing {close}"))
    }
}

#[test]
fn the_n_quads_reader_reads_escapes_languages_and_graphs() {
    let quads = parse_nquads(
        "<urn:s> <urn:p> \"a\\\"b\\u00e9\\n\"@en-US <urn:g> .\n# a comment\n_:b0 <urn:p> \"1\"^^<urn:t> .\n",
    )
    .unwrap();
    assert_eq!(quads.len(), 2);
    assert_eq!(
        quads[0].object,
        Term::Literal { value: "a\"bé\n".into(), datatype: RDF_LANGSTRING.into(), language: Some("en-US".into()) }
    );
    assert_eq!(quads[0].graph, Some(Term::Iri("urn:g".into())));
    assert_eq!(quads[1].subject, Term::Blank("b0".into()));
    // Written back, each line is the line read.
    assert_eq!(quads[1].to_string(), "_:b0 <urn:p> \"1\"^^<urn:t> .\n");
    assert!(parse_nquads("<urn:s> <urn:p> .\n").is_err());
}
