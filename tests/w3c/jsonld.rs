//! The W3C's JSON-LD 1.1 conformance suites for expansion and for conversion to RDF, run
//! through the library's JSON-LD processor.
//!
//! The processor reads credentials as the verifiers in the field read them: jsonld.js in safe
//! mode, contexts given locally (nothing fetched), no document address to resolve relative
//! IRIs against, JSON-LD 1.1 only, a text direction written as an i18n datatype. A test that
//! needs something outside that is skipped, and the reason is decided by rule (a manifest
//! option, or the kind of refusal) rather than by hand:
//!
//! - a positive test passes when its output is the expected one (the same expanded document,
//!   or an isomorphic dataset); a syntax test when it is read without error; a negative test
//!   when the document is refused (the suite's error codes are not compared: the processor's
//!   errors are messages with a JSON Pointer, not codes);
//! - a positive test the processor refuses is skipped only when the refusal is one safe mode or
//!   the local contexts call for; any other refusal, and any wrong output, is a failure.
//!
//! The skipped tests, with their reasons, are listed in `tests/README.md`, and the runner checks
//! that list against what it found: a fix that makes a skipped test pass must take it off.

use super::parse_nquads;
use crate::common::root;
use mastery::credential::jsonld::{expand, to_rdf};
use mastery::credential::rdf::Quad;
use mastery::credential::rdfc::{HashAlgorithm, Options, canonicalize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn suite() -> PathBuf {
    root().join("tests/data/w3c/json-ld-api")
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(suite().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// Why a test is outside what the processor does, as `tests/README.md` words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reason {
    JsonLd10,
    Option,
    DirectionWithoutOption,
    RemoteContext,
    Base,
    SafeMode,
    IllFormedIri,
}

impl Reason {
    /// The reasons as `tests/README.md` names them.
    const ALL: [(Reason, &'static str); 7] = [
        (Reason::JsonLd10, "JSON-LD 1.0 processing"),
        (Reason::Option, "an option the verifiers do not set"),
        (Reason::DirectionWithoutOption, "a direction without rdfDirection"),
        (Reason::RemoteContext, "a remote context"),
        (Reason::Base, "a base IRI"),
        (Reason::SafeMode, "refused in safe mode"),
        (Reason::IllFormedIri, "an ill-formed IRI"),
    ];

    fn name(self) -> &'static str {
        Reason::ALL.iter().find(|(reason, _)| *reason == self).unwrap().1
    }

    /// The reason a refusal gives, if it is one that safe mode or local contexts call for.
    fn of_refusal(message: &str) -> Option<Reason> {
        if message.starts_with("unknown JSON-LD context") {
            Some(Reason::RemoteContext)
        } else if message.contains("is a relative reference") {
            Some(Reason::Base)
        } else if message.starts_with("@base") && message.contains("is not an IRI") {
            Some(Reason::IllFormedIri)
        } else if message.ends_with("verifiers in safe mode refuse the credential") {
            Some(Reason::SafeMode)
        } else {
            None
        }
    }
}

enum Outcome {
    Passed,
    Skipped(Reason),
    Failed(String),
}

/// The reason a test is skipped before it is run, from its manifest entry.
fn skipped_by_options(entry: &Value, input: &str) -> Option<Reason> {
    let option = &entry["option"];
    if option["processingMode"] == "json-ld-1.0" || option["specVersion"] == "json-ld-1.0" {
        return Some(Reason::JsonLd10);
    }
    // Verifiers set none of these: a context given beside the document, an address for it,
    // generalized RDF (blank node predicates), or directions as compound literals.
    let unset = ["expandContext", "base", "produceGeneralizedRdf"];
    if unset.iter().any(|name| !option[name].is_null() && option[name] != false)
        || option["rdfDirection"] == "compound-literal"
    {
        return Some(Reason::Option);
    }
    // Without `rdfDirection` a direction is dropped; verifiers always ask for i18n datatypes.
    if option["rdfDirection"].is_null() && input.contains("\"@direction\"") {
        return Some(Reason::DirectionWithoutOption);
    }
    None
}

/// Runs one test of `suite` ("expand" or "toRdf").
fn run(suite: &str, entry: &Value) -> Outcome {
    let input_text = read(entry["input"].as_str().unwrap());
    if let Some(reason) = skipped_by_options(entry, &input_text) {
        return Outcome::Skipped(reason);
    }
    let kinds: Vec<&str> = entry["@type"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let input: Value = serde_json::from_str(&input_text).unwrap();
    let result = match suite {
        "expand" => expand(&input).map(Output::Expanded),
        _ => to_rdf(&input).map(Output::Quads),
    };
    let negative = kinds.contains(&"jld:NegativeEvaluationTest");
    match result {
        Err(_) if negative => Outcome::Passed,
        Ok(_) if negative => {
            Outcome::Failed(format!("was read, but the suite expects it refused ({})", entry["expectErrorCode"]))
        }
        Err(error) => match Reason::of_refusal(&error.message) {
            Some(reason) => Outcome::Skipped(reason),
            None => Outcome::Failed(format!("refused: {error}")),
        },
        Ok(_) if kinds.contains(&"jld:PositiveSyntaxTest") => Outcome::Passed,
        Ok(Output::Quads(quads)) => {
            let expected = parse_nquads(&read(entry["expect"].as_str().unwrap())).unwrap();
            let (ours, theirs) = (canonical(&quads), canonical(&expected));
            if ours == theirs {
                Outcome::Passed
            } else if only_ill_formed_added(&ours, &theirs) {
                Outcome::Skipped(Reason::IllFormedIri)
            } else {
                Outcome::Failed(format!("gave\n{ours}expected\n{theirs}"))
            }
        }
        Ok(Output::Expanded(document)) => {
            let expected: Value = serde_json::from_str(&read(entry["expect"].as_str().unwrap())).unwrap();
            if same_json_ld(&document, &expected) {
                Outcome::Passed
            } else {
                Outcome::Failed(format!("gave\n{document:#}\nexpected\n{expected:#}"))
            }
        }
    }
}

enum Output {
    Expanded(Value),
    Quads(Vec<Quad>),
}

/// The canonical N-Quads of a dataset: two datasets are isomorphic when these are equal.
fn canonical(quads: &[Quad]) -> String {
    canonicalize(quads, Options { hash: HashAlgorithm::Sha256, work_factor: 3 }).unwrap().nquads
}

/// Whether `ours` is `theirs` plus statements that name an ill-formed IRI: the specification
/// drops those (section 8.1, step 1.3.2.5), while jsonld.js, which the verifiers run, writes them
/// as they are, and so does the processor, so that a signature covers what verifiers read.
fn only_ill_formed_added(ours: &str, theirs: &str) -> bool {
    let (ours, theirs): (BTreeSet<&str>, BTreeSet<&str>) = (ours.lines().collect(), theirs.lines().collect());
    let ill_formed = |line: &str| {
        line.split('<').skip(1).filter_map(|part| part.split_once("> ")).any(|(iri, _)| oxiri::Iri::parse(iri).is_err())
    };
    let mut extra = ours.difference(&theirs).peekable();
    theirs.is_subset(&ours) && extra.peek().is_some() && extra.all(|line| ill_formed(line))
}

/// JSON-LD object comparison (the suite's README): arrays compare as sets except the value of
/// `@list`; everything else as JSON.
fn same_json_ld(ours: &Value, theirs: &Value) -> bool {
    normalized(ours, false) == normalized(theirs, false)
}

fn normalized(value: &Value, ordered: bool) -> Value {
    match value {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(|item| normalized(item, false)).collect();
            if !ordered {
                items.sort_by_key(|item| item.to_string());
            }
            Value::Array(items)
        }
        Value::Object(map) => {
            // Keys in order, so that the text an array is sorted by does not hang on the order
            // the keys were written in.
            let sorted: BTreeMap<&String, Value> =
                map.iter().map(|(key, value)| (key, normalized(value, key == "@list"))).collect();
            Value::Object(sorted.into_iter().map(|(key, value)| (key.clone(), value)).collect())
        }
        other => other.clone(),
    }
}

/// Runs every test of a suite's manifest and returns how many there are and the skipped ones by
/// reason, failing on any failure.
fn run_suite(suite: &str) -> (usize, BTreeMap<Reason, Vec<String>>) {
    let manifest: Value = serde_json::from_str(&read(&format!("{suite}-manifest.jsonld"))).unwrap();
    let entries = manifest["sequence"].as_array().unwrap();
    let (mut passed, mut skipped, mut failures) = (0, BTreeMap::<Reason, Vec<String>>::new(), Vec::new());
    for entry in entries {
        let id = entry["@id"].as_str().unwrap().trim_start_matches("#t");
        match run(suite, entry) {
            Outcome::Passed => passed += 1,
            Outcome::Skipped(reason) => skipped.entry(reason).or_default().push(id.to_string()),
            Outcome::Failed(problem) => {
                failures.push(format!("{suite} {id} ({}): {problem}", entry["name"].as_str().unwrap_or("")))
            }
        }
    }
    let skipped_count: usize = skipped.values().map(Vec::len).sum();
    assert!(
        failures.is_empty(),
        "{} of {} {suite} tests failed ({passed} passed, {skipped_count} skipped):\n{}",
        failures.len(),
        entries.len(),
        failures.join("\n\n")
    );
    assert_eq!(passed + skipped_count, entries.len());
    (entries.len(), skipped)
}

/// The skipped tests as `tests/README.md` lists them: one line per suite and reason.
fn skipped_lines(suite: &str, skipped: &BTreeMap<Reason, Vec<String>>) -> Vec<String> {
    skipped
        .iter()
        .map(|(reason, ids)| format!("- {suite}, {} ({}): {}", reason.name(), ids.len(), ids.join(" ")))
        .collect()
}

/// The lines of `tests/README.md` that list the skipped tests.
fn listed_lines() -> Vec<String> {
    let guide = std::fs::read_to_string(root().join("tests/README.md")).unwrap();
    let start = "<!-- skipped JSON-LD tests: start -->";
    let end = "<!-- skipped JSON-LD tests: end -->";
    let from = guide.find(start).expect("tests/README.md has no list of the skipped JSON-LD tests") + start.len();
    let to = guide[from..].find(end).unwrap() + from;
    // An item starts with "- " and may go on over indented lines.
    let mut items: Vec<String> = Vec::new();
    for line in guide[from..to].lines() {
        match (line.strip_prefix("- "), line.strip_prefix("  "), items.last_mut()) {
            (Some(_), _, _) => items.push(line.to_string()),
            (None, Some(more), Some(item)) => {
                item.push(' ');
                item.push_str(more.trim());
            }
            _ => {}
        }
    }
    items
}

#[test]
fn the_json_ld_suites_pass_within_safe_mode_and_the_skipped_tests_are_listed() {
    let ((expand_total, expand), (to_rdf_total, to_rdf)) = (run_suite("expand"), run_suite("toRdf"));
    let mut found = skipped_lines("expand", &expand);
    found.extend(skipped_lines("toRdf", &to_rdf));
    // The counts the guide gives, from the same run.
    let count = |what: &str, total: usize, skipped: &BTreeMap<Reason, Vec<String>>| {
        let skipped: usize = skipped.values().map(Vec::len).sum();
        format!("{total} {what} tests, {} pass and {skipped} are skipped", total - skipped)
    };
    let counts = format!(
        "Of the {}; of the {}.",
        count("expansion", expand_total, &expand),
        count("toRdf", to_rdf_total, &to_rdf)
    );
    let guide = std::fs::read_to_string(root().join("tests/README.md")).unwrap();
    let guide = guide.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(guide.contains(&counts), "tests/README.md should say: {counts}");
    assert_eq!(
        listed_lines(),
        found,
        "tests/README.md does not list the skipped JSON-LD tests as they are; the list is now:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_skip_for_safe_mode_is_only_granted_for_its_refusals() {
    // The refusals that count as a reason to skip, and one that does not.
    let safe = "/a: the value 1 belongs to no property; verifiers in safe mode refuse the credential";
    assert_eq!(Reason::of_refusal(safe.split_once(": ").unwrap().1), Some(Reason::SafeMode));
    assert_eq!(Reason::of_refusal("the id \"a\" is a relative reference; …"), Some(Reason::Base));
    assert_eq!(Reason::of_refusal("unknown JSON-LD context https://example.org/c"), Some(Reason::RemoteContext));
    assert_eq!(Reason::of_refusal("@type \"x\" must expand to an absolute IRI"), None);
}
