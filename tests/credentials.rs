//! Signed credentials: 1EdTech's eddsa-rdfc-2022 test vectors reproduced byte for byte, and
//! verification that holds for untouched credentials and fails for changed ones.

use mastery::credential::proof::{Key, canonical_nquads, signing_input, verify_proof};
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
    root().join("tests/data").join(path)
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

/// Builds the example school's CLR credentials (with the demo key) into a folder.
fn example_clrs(extra: &[&str]) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec![
        "build",
        "fixtures/example-school",
        "--out",
        out.path().to_str().unwrap(),
        "--format",
        "clr",
        "--key",
        "fixtures/keys/example-school.key.json",
    ];
    args.extend_from_slice(extra);
    let output = run(&args);
    // Two students have earned nothing yet: there is no credential to issue them, which is
    // noted, not a fault.
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "hv-2026-011.json: note: not issued: Sam has earned no credit yet, and a CLR must hold at least one credential"
        ),
        "{}",
        stderr(&output)
    );
    let report = read_json(&out.path().join("report.json"));
    assert_eq!(report["skipped"], 2);
    assert_eq!(report["failed"], 0);
    let skipped: Vec<&str> =
        report["skipped_students"].as_array().unwrap().iter().map(|s| s["student"].as_str().unwrap()).collect();
    assert_eq!(skipped, ["HV-2026-007", "HV-2026-011"]);
    assert!(!out.path().join("HV-2026-011.clr.json").exists());
    out
}

fn clr_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".clr.json"))
        .collect();
    files.sort();
    files
}

fn validator(path: &str) -> jsonschema::Validator {
    let schema = read_json(&shared(path));
    jsonschema::draft201909::options().should_validate_formats(true).build(&schema).unwrap()
}

fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator.iter_errors(value).map(|e| format!("{}: {e}", e.instance_path())).collect()
}

#[test]
fn every_clr_matches_the_official_schemas() {
    let out = example_clrs(&[]);
    let clr_schema = validator("clr2/schema/clr_v2p0_clrcredential_schema.json");
    let nested_schema = validator("clr2/schema/clr_v2p0_achievementcredential_schema.json");
    let formal_schema = validator("ob3/schema-specbuild/achievementcredential.json");
    let files = clr_files(out.path());
    assert_eq!(files.len(), 10);
    for file in &files {
        let clr = read_json(file);
        assert_eq!(errors(&clr_schema, &clr), Vec::<String>::new(), "{}", file.display());
        let nested = clr["credentialSubject"]["verifiableCredential"].as_array().unwrap();
        assert!(!nested.is_empty());
        for credential in nested {
            assert_eq!(errors(&nested_schema, credential), Vec::<String>::new(), "{}", file.display());
            assert_eq!(errors(&formal_schema, credential), Vec::<String>::new(), "{}", file.display());
            // Strict form: lists, not single values.
            assert!(credential["type"].is_array() && credential["proof"].is_array());
            assert!(credential["credentialSubject"]["achievement"]["achievementType"].is_string());
        }
    }
}

#[test]
fn a_clr_says_what_a_college_reads_in_it() {
    let out = example_clrs(&[]);
    // Zoë met every requirement: her CLR holds the diploma and is not partial.
    let zoe = read_json(&out.path().join("HV-2026-001.clr.json"));
    let nested = zoe["credentialSubject"]["verifiableCredential"].as_array().unwrap();
    let diploma =
        nested.iter().find(|c| c["credentialSubject"]["achievement"]["achievementType"] == "SecondarySchoolDiploma");
    assert!(diploma.is_some(), "no diploma");
    assert!(zoe.get("partial").is_none());
    // A credit: a Competency with its level as a rubric criterion level of the school's scale.
    let credit =
        nested.iter().find(|c| c["credentialSubject"]["achievement"]["achievementType"] == "Competency").unwrap();
    let subject = &credit["credentialSubject"];
    let levels = &subject["achievement"]["resultDescription"][0]["rubricCriterionLevel"];
    let achieved = subject["result"][0]["achievedLevel"].as_str().unwrap();
    assert!(levels.as_array().unwrap().iter().any(|l| l["id"] == achieved));
    assert!(subject["creditsEarned"].as_f64().unwrap() > 0.0);
    // Areas are achievements the credits belong to.
    let associations = zoe["credentialSubject"]["association"].as_array().unwrap();
    assert!(
        associations
            .iter()
            .any(|a| a["associationType"] == "isChildOf" && a["sourceId"] == subject["achievement"]["id"])
    );
    // Minh has not met the requirements yet: partial.
    let minh = read_json(&out.path().join("HV-2027-009.clr.json"));
    assert_eq!(minh["partial"], true);
    // The id is the one the PDF's verification line prints.
    let data = tempfile::tempdir().unwrap();
    run(&[
        "build",
        "fixtures/example-school",
        "--out",
        data.path().to_str().unwrap(),
        "--format",
        "data",
        "--student",
        "HV-2026-001",
    ]);
    assert_eq!(read_json(&data.path().join("HV-2026-001.json"))["verification"]["credential_id"], zoe["id"]);
}

#[test]
fn verify_accepts_our_credentials_and_1edtechs_and_refuses_any_change() {
    let out = example_clrs(&[]);
    let file = out.path().join("HV-2026-003.clr.json");
    let output = run(&["verify", file.to_str().unwrap(), "--at", "2026-07-01"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    // A preview's credential names no status list: valid, but never called current.
    assert!(
        stdout(&output).contains("HV-2026-003.clr.json: valid signature and content; status not checked"),
        "{}",
        stdout(&output)
    );

    for vector in ["clr2/test-vectors/signed-credential.json", "ob3/test-vectors/signed-credential.json"] {
        let output = run(&["verify", shared(vector).to_str().unwrap(), "--at", "2026-07-01"]);
        assert_eq!(output.status.code(), Some(0), "{vector}: {}", stdout(&output));
    }

    // Change a level deep inside, then a name at the top: each breaks a signature.
    let original = read_json(&file);
    let mut changed = original.clone();
    changed["credentialSubject"]["verifiableCredential"][0]["credentialSubject"]["result"][0]["value"] = "4.0".into();
    let tampered = out.path().join("tampered.json");
    write_json(&tampered, &changed);
    let output = run(&["verify", tampered.to_str().unwrap(), "--at", "2026-07-01"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains(
            "invalid: AchievementCredential at /credentialSubject/verifiableCredential/0: proof: the signature by"
        ),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("invalid: ClrCredential: proof:"),
        "the outer proof covers the nested credentials too:\n{}",
        stdout(&output)
    );

    let mut renamed = original.clone();
    renamed["name"] = "Another name".into();
    write_json(&tampered, &renamed);
    let output = run(&["verify", tampered.to_str().unwrap(), "--at", "2026-07-01"]);
    assert_eq!(output.status.code(), Some(1));

    // Dates: not valid before it was issued, nor after validUntil.
    let output = run(&["verify", file.to_str().unwrap(), "--at", "2026-05-31"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("not valid until 2026-06-01"), "{}", stdout(&output));
    let vector = read_json(&shared("ob3/test-vectors/signed-credential.json"));
    let mut expired = vector.clone();
    expired["validUntil"] = "2020-01-01T00:00:00Z".into();
    write_json(&tampered, &expired);
    let output = run(&["verify", tampered.to_str().unwrap(), "--at", "2026-07-01"]);
    assert!(stdout(&output).contains("expired on 2020-01-01"), "{}", stdout(&output));
}

#[test]
fn the_college_profile_hides_birth_date_sis_id_and_unfeatured_work() {
    let internal = example_clrs(&[]);
    let college = example_clrs(&["--profile", "college"]);
    let record = read_json(&root().join("fixtures/example-school/students/hv-2026-001.json"));
    let text = std::fs::read_to_string(college.path().join("HV-2026-001.clr.json")).unwrap();
    assert!(!text.contains("sisSourcedId") && !text.contains(record["birth_date"].as_str().unwrap()));
    for sample in record["work_samples"].as_array().unwrap() {
        let url = sample["url"].as_str().unwrap();
        assert_eq!(text.contains(url), sample["featured"] == true, "{url}");
    }
    // Internal: the SIS id is there, hashed with a salt, never in plain text.
    let text = std::fs::read_to_string(internal.path().join("HV-2026-001.clr.json")).unwrap();
    let clr: Value = serde_json::from_str(&text).unwrap();
    let sis = clr["credentialSubject"]["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["identityType"] == "sisSourcedId")
        .unwrap()
        .clone();
    assert!(!text.contains("\"HV-2026-001\""));
    let salt = sis["salt"].as_str().unwrap();
    assert_eq!(
        sis["identityHash"],
        format!("sha256${}", hex(&Sha256::digest(format!("HV-2026-001{salt}").as_bytes())))
    );
    // The profile applies to the PDF data too.
    let data = tempfile::tempdir().unwrap();
    run(&[
        "build",
        "fixtures/example-school",
        "--out",
        data.path().to_str().unwrap(),
        "--format",
        "data",
        "--profile",
        "college",
        "--student",
        "HV-2026-001",
    ]);
    let transcript = read_json(&data.path().join("HV-2026-001.json"));
    assert_eq!(
        (transcript["student"]["id"].clone(), transcript["student"]["birth_date"].clone()),
        (Value::Null, Value::Null)
    );
    let output =
        run(&["build", "fixtures/example-school", "--out", data.path().to_str().unwrap(), "--profile", "press"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no disclosure profile \"press\"; the school has college, internal"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn signing_is_deterministic_and_keygen_guards_its_key() {
    let first = example_clrs(&[]);
    let second = example_clrs(&["--force"]);
    for file in clr_files(first.path()) {
        let name = file.file_name().unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), std::fs::read(second.path().join(name)).unwrap(), "{name:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.json");
    let output = run(&["keygen", "--out", key.to_str().unwrap()]);
    assert!(output.status.success());
    let written = read_json(&key);
    assert!(written["publicKeyMultibase"].as_str().unwrap().starts_with("z6Mk"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let output = run(&["keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(read_json(&key), written);
}

#[test]
fn a_key_that_is_not_the_schools_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("other.key.json");
    assert!(run(&["keygen", "--out", key.to_str().unwrap()]).status.success());
    let out = dir.path().join("out");
    for format in ["clr", "ob"] {
        let output = run(&[
            "build",
            "fixtures/example-school",
            "--out",
            out.to_str().unwrap(),
            "--format",
            format,
            "--key",
            key.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let text = stderr(&output);
        assert!(
            text.contains("fixtures/example-school/school.json:485:28: /credentials/verification_method: --key"),
            "{text}"
        );
        assert!(text.contains("credentials signed with it would not verify"), "{text}");
        assert!(text.contains("hint: sign with the key the school publishes"), "{text}");
        assert!(!out.exists(), "nothing may be written");
    }
}

#[test]
fn keygen_prints_the_settings_of_each_key_set_up() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.json");
    let output = run(&["keygen", "--out", key.to_str().unwrap()]);
    let public = read_json(&key)["publicKeyMultibase"].as_str().unwrap().to_string();
    let text = stdout(&output);
    for line in [
        format!("\"issuer_id\": \"did:key:{public}\", \"verification_method\": \"did:key:{public}#{public}\""),
        format!("\"verification_method\": \"did:web:SCHOOL.ORG#{public}\""),
        format!("\"verification_method\": \"https://SCHOOL.ORG/keys/{public}\""),
    ] {
        assert!(text.contains(&line), "{text}");
    }
}

/// Builds the example school's badges (with the demo key) into a folder.
fn example_badges(extra: &[&str]) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec!["build", "fixtures/example-school", "--out", out.path().to_str().unwrap(), "--format", "ob"];
    args.extend(["--key", "fixtures/keys/example-school.key.json"]);
    args.extend_from_slice(extra);
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    if extra.is_empty() {
        assert!(
            stderr(&output).contains("Sam has earned no credit yet, so there is no badge to issue"),
            "{}",
            stderr(&output)
        );
    }
    out
}

#[test]
fn badges_are_one_per_award_and_give_back_their_credential_from_both_images() {
    let out = example_badges(&[]);
    let zoe = out.path().join("HV-2026-001");
    let clr_out = example_clrs(&[]);
    let clr = read_json(&clr_out.path().join("HV-2026-001.clr.json"));
    let awards = clr["credentialSubject"]["verifiableCredential"].as_array().unwrap().len();
    let mut names: Vec<String> = std::fs::read_dir(&zoe)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    // One badge per credential of the CLR: each earned credit, and the diploma.
    assert_eq!(names.len(), awards);
    assert!(names.contains(&"diploma.json".to_string()) && names.contains(&"ACT-01.json".to_string()));

    let official = validator("ob3/schema/ob_v3p0_achievementcredential_schema.json");
    let formal = validator("ob3/schema-specbuild/achievementcredential.json");
    for name in &names {
        let file = zoe.join(name);
        let badge = read_json(&file);
        assert_eq!(badge["type"], serde_json::json!(["VerifiableCredential", "OpenBadgeCredential"]));
        assert_eq!(errors(&official, &badge), Vec::<String>::new(), "{name}");
        assert_eq!(errors(&formal, &badge), Vec::<String>::new(), "{name}");
        for image in [file.with_extension("png"), file.with_extension("svg")] {
            let output = run(&["verify", image.to_str().unwrap(), "--at", "2026-07-01"]);
            assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
            assert!(stdout(&output).contains("holds a baked credential"), "{}", stdout(&output));
        }
    }
    let png = std::fs::read(zoe.join("ACT-01.png")).unwrap();
    let from_png: Value = serde_json::from_str(&mastery::credential::badge::unbake_png(&png).unwrap()).unwrap();
    assert_eq!(from_png, read_json(&zoe.join("ACT-01.json")));

    // The same input gives the same bytes.
    let again = example_badges(&["--student", "HV-2026-001"]);
    for name in ["ACT-01.json", "ACT-01.png", "ACT-01.svg", "diploma.png"] {
        assert_eq!(
            std::fs::read(zoe.join(name)).unwrap(),
            std::fs::read(again.path().join("HV-2026-001").join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn the_draft_07_reading_of_1edtechs_schemas_agrees_with_draft_2019_09() {
    // mastery verify compiles 1EdTech's draft 2019-09 schemas under draft-07 rules, for speed:
    // both must judge every credential alike, valid or broken.
    let out = example_clrs(&[]);
    let mut corpus: Vec<Value> = Vec::new();
    for file in clr_files(out.path()) {
        let clr = read_json(&file);
        corpus.extend(clr["credentialSubject"]["verifiableCredential"].as_array().unwrap().iter().take(3).cloned());
        corpus.push(clr);
    }
    for example in [
        "clr2/examples/complex.json",
        "clr2/examples/simple.json",
        "ob3/examples/complete.json",
        "ob3/examples/simple.json",
    ] {
        corpus.push(read_json(&shared(example)));
    }
    let mut broken = Vec::new();
    for credential in &corpus {
        let mut missing = credential.clone();
        missing.as_object_mut().unwrap().remove("issuer");
        let mut typed = credential.clone();
        typed["validFrom"] = serde_json::json!(20260601);
        let mut deep = credential.clone();
        deep["credentialSubject"]["identifier"] = serde_json::json!([{"type": "IdentityObject"}]);
        let mut date = credential.clone();
        date["validFrom"] = serde_json::json!("June 1st");
        broken.extend([missing, typed, deep, date]);
    }
    corpus.extend(broken);
    for name in ["clr", "achievement", "badge"] {
        let schema: Value = serde_json::from_str(mastery::credential::verify::schema_text(name).unwrap()).unwrap();
        let draft7 = jsonschema::draft7::options().should_validate_formats(true).build(&schema).unwrap();
        let draft2019 = jsonschema::draft201909::options().should_validate_formats(true).build(&schema).unwrap();
        for credential in &corpus {
            let paths = |v: &jsonschema::Validator| {
                let mut list: Vec<String> = v.iter_errors(credential).map(|e| e.instance_path().to_string()).collect();
                list.sort();
                list
            };
            assert_eq!(paths(&draft7), paths(&draft2019), "{name}: {:#}", credential["id"]);
        }
    }
}
