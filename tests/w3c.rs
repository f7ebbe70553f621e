//! The W3C's own conformance suite for RDF Dataset Canonicalization (RDFC-1.0), run through the
//! library's canonicalizer: every test of its manifest (86: 64 results, 21 blank node maps, one
//! poison graph to refuse), none skipped.

use crate::common::root;
use mastery::credential::rdf::{Quad, RDF_LANGSTRING, Term, XSD_STRING};
use mastery::credential::rdfc::{HashAlgorithm, Options, canonicalize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn suite() -> PathBuf {
    root().join("tests/data/w3c/rdf-canon")
}

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

fn read(relative: &str) -> String {
    std::fs::read_to_string(suite().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

#[test]
fn every_test_of_the_rdfc_1_0_suite_passes() {
    let manifest: Value = serde_json::from_str(&read("manifest.jsonld")).unwrap();
    let entries = manifest["entries"].as_array().unwrap();
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in entries {
        let (id, kind) = (entry["id"].as_str().unwrap(), entry["type"].as_str().unwrap());
        *counts.entry(kind).or_default() += 1;
        let input = parse_nquads(&read(entry["action"].as_str().unwrap())).unwrap_or_else(|e| panic!("{id}: {e}"));
        let hash = match entry["hashAlgorithm"].as_str() {
            None | Some("SHA256") => HashAlgorithm::Sha256,
            Some("SHA384") => HashAlgorithm::Sha384,
            Some(other) => panic!("{id}: the suite names a hash this test does not know: {other}"),
        };
        // The suite marks how much work each test takes; a canonicalizer must bound its work
        // (the poison graphs of the specification's security section), so each runs with the
        // work factor of its mark. Our credentials always run with 1, the verifiers' limit.
        let work_factor = match entry["computationalComplexity"].as_str() {
            Some("low") => 1,
            Some("medium") => 2,
            Some("high") => 3,
            other => panic!("{id}: a complexity this test does not know: {other:?}"),
        };
        let result = canonicalize(&input, Options { hash, work_factor });
        let problem = match (kind, &result) {
            ("rdfc:RDFC10EvalTest", Ok(canonical)) => {
                let expected = read(entry["result"].as_str().unwrap());
                (canonical.nquads != expected).then(|| format!("gave\n{}expected\n{expected}", canonical.nquads))
            }
            ("rdfc:RDFC10MapTest", Ok(canonical)) => {
                let expected: BTreeMap<String, String> =
                    serde_json::from_str(&read(entry["result"].as_str().unwrap())).unwrap();
                (canonical.labels != expected).then(|| format!("gave {:?}, expected {expected:?}", canonical.labels))
            }
            ("rdfc:RDFC10NegativeEvalTest", Ok(_)) => {
                Some("was canonicalized, but the suite expects it refused (a poison graph)".to_string())
            }
            ("rdfc:RDFC10NegativeEvalTest", Err(_)) => None,
            (_, Err(error)) => Some(format!("refused: {error}")),
            (other, _) => Some(format!("a test type this runner does not know: {other}")),
        };
        if let Some(problem) = problem {
            failures.push(format!("{id} ({}): {problem}", entry["name"].as_str().unwrap_or("")));
        }
    }
    assert_eq!(entries.len(), 86, "the manifest's tests: {counts:?}");
    assert!(failures.is_empty(), "{} of {} tests failed:\n{}", failures.len(), entries.len(), failures.join("\n"));
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
