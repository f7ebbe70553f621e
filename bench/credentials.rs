//! Signing and verifying credentials with mastery's own JSON-LD and RDFC-1.0, per credential,
//! for `bench/credentials.sh`, which runs the JavaScript reference stack on the same documents.
//!
//!   cargo bench --bench credentials -- LIST.json KEY_FILE
//!
//! LIST.json: {"<kind>": ["<file>", ...], ...}, signed credentials. Each is signed again (from
//! its proof's method and date) and verified, after one pass that warms the caches, as a batch
//! or a long-running verifier would. Prints one JSON object: per kind, the count and the
//! milliseconds of CPU per credential for signing and for verifying.

#![allow(
    clippy::disallowed_macros,
    clippy::disallowed_types,
    reason = "a benchmark reports its timings to the terminal"
)]

use mastery::credential::proof::{Key, verify_proof};
use serde_json::{Map, Value, json};

#[path = "cpu.rs"]
mod cpu;
use cpu::cpu;

fn per_credential_ms(documents: &[Value], rounds: usize, work: impl Fn(&Value)) -> f64 {
    documents.iter().for_each(&work);
    let start = cpu();
    for _ in 0..rounds {
        documents.iter().for_each(&work);
    }
    (cpu() - start).as_secs_f64() * 1000.0 / (rounds * documents.len()) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let [list, key] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench credentials -- LIST.json KEY_FILE");
        std::process::exit(2);
    };
    let read = |path: &str| -> Value { serde_json::from_slice(&std::fs::read(path).expect("readable")).expect("JSON") };
    let key = Key::from_json(&read(key)).expect("a key file");
    let mut report = Map::new();
    for (kind, files) in read(list).as_object().expect("an object of lists") {
        let documents: Vec<Value> = files.as_array().unwrap().iter().map(|f| read(f.as_str().unwrap())).collect();
        let rounds = (400 / documents.len().max(1)).max(1);
        let sign = per_credential_ms(&documents, rounds, |document| {
            let proof = &document["proof"][0];
            let mut unsigned = document.clone();
            unsigned.as_object_mut().unwrap().remove("proof");
            let signed = key
                .sign(&unsigned, proof["verificationMethod"].as_str().unwrap(), proof["created"].as_str().unwrap())
                .expect("signs");
            assert_eq!(signed["proof"][0]["proofValue"], proof["proofValue"], "signing is deterministic");
        });
        let verify = per_credential_ms(&documents, rounds, |document| {
            verify_proof(document, &document["proof"][0]).expect("verifies");
        });
        report.insert(kind.clone(), json!({"count": documents.len(), "sign_ms": sign, "verify_ms": verify}));
    }
    println!("{}", Value::Object(report));
}
