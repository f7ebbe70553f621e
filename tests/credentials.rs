//! Signed credentials: 1EdTech's eddsa-rdfc-2022 test vectors reproduced byte for byte, and
//! verification that holds for untouched credentials and fails for changed ones.

use mastery::proof::{Key, canonical_nquads, signing_input, verify_proof};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::*;

struct Vector {
    folder: &'static str,
    document_hash: &'static str,
    proof_hash: &'static str,
    signature: &'static str,
}

// The hashes and signatures printed in linked-data-proof-clr.html and -ob.html.
const CLR: Vector = Vector {
    folder: "clr2",
    document_hash: "768d7015ae69e0210e1c2a45194d9c1d15d7a6022e52b946574a2a27f6fa85fe",
    proof_hash: "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19",
    signature: "0c220dadbcfcaa64ab8a8c5002dbe258e6c7746ca71c25e2ea3b7fbffd66568413f53b1d34f5655f3057864bd372bbf0d1e74ea2f8c72e2f4b5790f21a22b70a",
};
const OB: Vector = Vector {
    folder: "ob3",
    document_hash: "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773",
    proof_hash: "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19",
    signature: "f7a017acf7d27983267ec362657c0fb08e955549f49dac5bf36a03c4f2c3a4f1e3738a6c5ecd7ffba7135cb9cd754e6196f4b73082ea8df8e703c8ecd4333503",
};

/// The test vectors' key: the first 32 bytes of "Private key (hex)".
fn vector_key() -> Key {
    let hex = "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4";
    let seed: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect();
    Key::from_seed(seed.try_into().unwrap())
}

fn shared(path: &str) -> std::path::PathBuf {
    root().join("../shared/standards").join(path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn check_vector(vector: &Vector) {
    let folder = format!("{}/test-vectors", vector.folder);
    let signed = read_json(&shared(&format!("{folder}/signed-credential.json")));
    let proof = read_json(&shared(&format!("{folder}/proof.json")));
    let mut unsigned = signed.clone();
    unsigned.as_object_mut().unwrap().remove("proof");

    // The canonical N-Quads, byte for byte.
    let document_canon = canonical_nquads(&unsigned).unwrap();
    assert_eq!(document_canon, std::fs::read_to_string(shared(&format!("{folder}/document-canon.txt"))).unwrap());
    let mut options = proof.clone();
    options.as_object_mut().unwrap().remove("proofValue");
    options["@context"] = unsigned["@context"].clone();
    let proof_canon = canonical_nquads(&options).unwrap();
    assert_eq!(proof_canon, std::fs::read_to_string(shared(&format!("{folder}/proof-canon.txt"))).unwrap());

    // The hashes, and what is signed.
    assert_eq!(hex(&Sha256::digest(document_canon.as_bytes())), vector.document_hash);
    assert_eq!(hex(&Sha256::digest(proof_canon.as_bytes())), vector.proof_hash);
    let input = signing_input(&unsigned, &proof).unwrap();
    assert_eq!(hex(&input), format!("{}{}", vector.proof_hash, vector.document_hash));

    // The signature and the proofValue.
    let key = vector_key();
    assert_eq!(key.public_multibase(), "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi");
    let ours =
        key.sign(&unsigned, proof["verificationMethod"].as_str().unwrap(), proof["created"].as_str().unwrap()).unwrap();
    let value = ours["proof"][0]["proofValue"].as_str().unwrap();
    assert_eq!(value, proof["proofValue"].as_str().unwrap());
    assert_eq!(hex(&bs58::decode(&value[1..]).into_vec().unwrap()), vector.signature);
}

#[test]
fn the_clr_test_vector_is_reproduced_byte_for_byte() {
    check_vector(&CLR);
}

#[test]
fn the_open_badges_test_vector_is_reproduced_byte_for_byte() {
    check_vector(&OB);
}

fn proofs(document: &Value) -> Vec<Value> {
    match &document["proof"] {
        Value::Array(list) => list.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    }
}

#[test]
fn the_signed_test_credentials_verify_and_any_change_breaks_them() {
    for folder in ["clr2", "ob3"] {
        let signed = read_json(&shared(&format!("{folder}/test-vectors/signed-credential.json")));
        for proof in proofs(&signed) {
            verify_proof(&signed, &proof).unwrap_or_else(|e| panic!("{folder}: {e}"));
        }
        let mut changed = signed.clone();
        changed["validFrom"] = "2010-01-02T00:00:00Z".into();
        let error = verify_proof(&changed, &proofs(&changed)[0]).unwrap_err();
        assert!(error.0.contains("does not match the credential"), "{error}");
    }
    // The nested credential of the CLR verifies on its own.
    let clr = read_json(&shared("clr2/test-vectors/signed-credential.json"));
    let nested = &clr["credentialSubject"]["verifiableCredential"][0];
    verify_proof(nested, &proofs(nested)[0]).unwrap();
}
