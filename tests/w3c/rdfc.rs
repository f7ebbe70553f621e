//! The W3C's own conformance suite for RDF Dataset Canonicalization (RDFC-1.0), run through the
//! library's canonicalizer: every test of its manifest (86: 64 results, 21 blank node maps, one
//! poison graph to refuse), none skipped.

use super::parse_nquads;
use crate::common::root;
use mastery::credential::rdfc::{HashAlgorithm, Options, canonicalize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn suite() -> PathBuf {
    root().join("tests/data/w3c/rdf-canon")
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
