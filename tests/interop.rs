//! The example school's credentials in the verifiers colleges and wallets use:
//! `@digitalbazaar/vc` (with Data Integrity and eddsa-rdfc-2022) and the DCC's
//! `@digitalcredentials/verifier-core`, both run offline by `tests/interop/verify.mjs`, which
//! serves every address they fetch from local files (`scripts/test` installs them).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::common::*;

const DEMO_KEY: &str = "z6MkoYuWEZFUaNHkjA7FggfdBbhjYxpBTQmiMBtyw1QJBLvy";

fn standards(path: &str) -> PathBuf {
    root().join("tests/data").join(path)
}

/// The addresses verifiers fetch that are not the school's: the 1EdTech contexts and schemas
/// (official copies from tests/data, not the ones mastery embeds), then every file of a site
/// folder that `mastery publish` wrote, at its address.
fn documents(site: Option<&Path>) -> Map<String, Value> {
    let mut documents = Map::new();
    for (url, file) in [
        ("https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json", "clr2/context/clr-v2p0-2.0.1.json"),
        ("https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json", "ob3/context/ob-v3p0-3.0.3.json"),
        ("https://purl.imsglobal.org/spec/ob/v3p0/extensions.json", "ob3/context/ob-v3p0-extensions.json"),
        (
            "https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json",
            "clr2/schema/clr_v2p0_clrcredential_schema.json",
        ),
        (
            "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "ob3/schema/ob_v3p0_achievementcredential_schema.json",
        ),
    ] {
        documents.insert(url.to_string(), json!(standards(file)));
    }
    if let Some(site) = site {
        for file in files_under(site) {
            let relative = file.strip_prefix(site).unwrap().to_string_lossy().replace('\\', "/");
            let url = format!("https://{}", relative.strip_suffix("/index.json").unwrap_or(&relative));
            documents.insert(url, json!(file));
        }
    }
    documents
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Runs both verifiers on `credentials`, split over two processes (one per core); one report
/// per credential, in order.
fn verify_in_js(credentials: &[PathBuf], documents: &Map<String, Value>) -> Vec<Value> {
    let script = root().join("tests/interop/verify.mjs");
    assert!(
        root().join("tests/interop/node_modules/@digitalcredentials/verifier-core").is_dir(),
        "the verifiers are not installed: run scripts/test, which installs them into tests/interop"
    );
    let work = tempfile::tempdir().unwrap();
    let half = credentials.len().div_ceil(2).max(1);
    let children: Vec<_> = credentials
        .chunks(half)
        .enumerate()
        .map(|(i, chunk)| {
            let request = work.path().join(format!("request-{i}.json"));
            write_json(&request, &json!({"documents": documents, "credentials": chunk}));
            tool("node")
                .arg(&script)
                .arg(&request)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut reports = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "verify.mjs failed:\n{}", stderr(&output));
        reports.extend(stdout(&output).lines().map(|line| serde_json::from_str::<Value>(line).unwrap()));
    }
    assert_eq!(reports.len(), credentials.len());
    reports
}

/// Asserts that every report is a pass in both stacks, DCC's schema check included.
fn assert_all_verify(reports: &[Value]) {
    let failed: Vec<&Value> = reports
        .iter()
        .filter(|r| {
            r["digitalbazaar"]["verified"] != true
                || r["dcc"]["verified"] != true
                || r["dcc"]["schemas"].as_array().is_none_or(|s| s.is_empty() || s.iter().any(|s| s["valid"] != true))
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} credentials fail:\n{:#}",
        failed.len(),
        reports.len(),
        json!(failed.iter().take(3).collect::<Vec<_>>())
    );
}

/// A copy of the example school whose credentials use another key set-up.
fn school_with(issuer: &str, method: &str) -> tempfile::TempDir {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let path = school.path().join("school.json");
    let mut config = read_json(&path);
    config["credentials"] = json!({"issuer_id": issuer, "verification_method": method});
    write_json(&path, &config);
    school
}

/// Builds the school's signed credentials in `format` into `out`; returns every credential
/// file: each CLR and, beside it, each of its nested credentials on its own, or each badge
/// (whose baked images must give back the same credential).
fn credentials(school: &Path, out: &Path, format: &str, extra: &[&str]) -> Vec<PathBuf> {
    let mut args = vec!["build", school.to_str().unwrap(), "--out", out.to_str().unwrap(), "--format", format];
    args.extend(["--key", "fixtures/keys/example-school.key.json"]);
    args.extend_from_slice(extra);
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut files = Vec::new();
    for file in files_under(out) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".clr.json") {
            let clr = read_json(&file);
            for (i, nested) in clr["credentialSubject"]["verifiableCredential"].as_array().unwrap().iter().enumerate() {
                let path = out.join(format!("{name}.nested-{i}.json"));
                write_json(&path, nested);
                files.push(path);
            }
            files.push(file);
        } else if format == "ob"
            && name.ends_with(".json")
            && !["manifest.json", "report.json"].contains(&name.as_str())
        {
            let credential = read_json(&file);
            let png = std::fs::read(file.with_extension("png")).unwrap();
            let svg = std::fs::read_to_string(file.with_extension("svg")).unwrap();
            let from_png: Value = serde_json::from_str(&mastery::credential::badge::unbake_png(&png).unwrap()).unwrap();
            let from_svg: Value = serde_json::from_str(&mastery::credential::badge::unbake_svg(&svg).unwrap()).unwrap();
            assert_eq!(from_png, credential, "{}", file.display());
            assert_eq!(from_svg, credential, "{}", file.display());
            files.push(file);
        }
    }
    files
}

#[test]
fn every_credential_of_the_example_school_verifies_in_both_stacks() {
    let did_key = school_with(&format!("did:key:{DEMO_KEY}"), &format!("did:key:{DEMO_KEY}#{DEMO_KEY}"));
    let https = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), https.path());
    let work = tempfile::tempdir().unwrap();
    let site = work.path().join("site");
    let output = run(&["publish", https.path().to_str().unwrap(), "--site", site.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));

    let mut all = Vec::new();
    let mut clrs = 0;
    for (setup, school) in [("did-key", did_key.path()), ("https", https.path())] {
        for profile in ["internal", "college"] {
            for format in ["clr", "ob"] {
                let out = work.path().join(format!("{setup}-{profile}-{format}"));
                let files = credentials(school, &out, format, &["--profile", profile]);
                clrs += files.iter().filter(|f| f.to_string_lossy().ends_with(".clr.json")).count();
                all.extend(files);
            }
        }
    }
    // Ten students have earned something: 10 CLRs per set-up and profile.
    assert_eq!(clrs, 40);
    assert!(all.len() > 1000, "{} credentials", all.len());
    let reports = verify_in_js(&all, &documents(Some(&site)));
    assert_all_verify(&reports);
}

#[test]
fn a_did_web_school_verifies_in_both_stacks() {
    let school = school_with("did:web:harborview.example.org", &format!("did:web:harborview.example.org#{DEMO_KEY}"));
    let work = tempfile::tempdir().unwrap();
    let site = work.path().join("site");
    let output = run(&["publish", school.path().to_str().unwrap(), "--site", site.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(site.join("harborview.example.org/.well-known/did.json").is_file());
    let mut files = credentials(school.path(), &work.path().join("clr"), "clr", &["--student", "HV-2026-001"]);
    files.extend(credentials(school.path(), &work.path().join("ob"), "ob", &["--student", "HV-2026-001"]));
    assert_all_verify(&verify_in_js(&files, &documents(Some(&site))));
}

#[test]
fn a_one_character_change_fails_in_both_stacks_and_in_mastery_verify() {
    let work = tempfile::tempdir().unwrap();
    let site = work.path().join("site");
    run(&["publish", "fixtures/example-school", "--site", site.to_str().unwrap()]);
    let mut changed = Vec::new();
    for format in ["clr", "ob"] {
        let out = work.path().join(format);
        let files = credentials(&root().join("fixtures/example-school"), &out, format, &["--student", "HV-2026-001"]);
        // The CLR, a credential nested in it, and a badge.
        let picks: Vec<&PathBuf> = match format {
            "clr" => vec![files.iter().find(|f| f.to_string_lossy().ends_with(".clr.json")).unwrap(), &files[0]],
            _ => vec![&files[0]],
        };
        for file in picks {
            let mut credential = read_json(file);
            let name = credential["name"].as_str().unwrap().to_string();
            let mut chars: Vec<char> = name.chars().collect();
            let last = chars.len() - 1;
            chars[last] = if chars[last] == 'x' { 'y' } else { 'x' };
            credential["name"] = json!(chars.into_iter().collect::<String>());
            let path = work.path().join(format!("changed-{}", file.file_name().unwrap().to_string_lossy()));
            write_json(&path, &credential);
            let output = run(&["verify", path.to_str().unwrap()]);
            assert_eq!(
                output.status.code(),
                Some(1),
                "mastery verify accepts {}:\n{}",
                path.display(),
                stdout(&output)
            );
            assert!(stdout(&output).contains("does not match the credential"), "{}", stdout(&output));
            changed.push(path);
        }
    }
    for report in verify_in_js(&changed, &documents(Some(&site))) {
        assert_eq!(report["digitalbazaar"]["verified"], false, "{report:#}");
        assert_eq!(report["dcc"]["verified"], false, "{report:#}");
    }
}

#[test]
fn the_1edtech_test_vectors_verify_in_both_stacks() {
    // The vectors name their key by a fragment of an https address, which no web server can
    // serve; it is served here at its full address, as an in-memory loader would.
    let issuer = "https://example.edu/issuers/565049";
    let key = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi";
    let method = format!("{issuer}#{key}");
    let work = tempfile::tempdir().unwrap();
    let controller = work.path().join("controller.json");
    write_json(
        &controller,
        &json!({"@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"], "id": issuer, "assertionMethod": [method]}),
    );
    let key_document = work.path().join("key.json");
    write_json(
        &key_document,
        &json!({"@context": "https://w3id.org/security/multikey/v1", "id": method, "type": "Multikey", "controller": issuer, "publicKeyMultibase": key}),
    );
    let mut served = documents(None);
    served.insert(issuer.to_string(), json!(controller));
    served.insert(method, json!(key_document));
    let vectors =
        [standards("clr2/test-vectors/signed-credential.json"), standards("ob3/test-vectors/signed-credential.json")];
    for report in verify_in_js(&vectors, &served) {
        assert_eq!(report["digitalbazaar"]["verified"], true, "{report:#}");
        assert_eq!(report["dcc"]["verified"], true, "{report:#}");
    }
}

#[test]
fn issued_credentials_carry_a_status_both_stacks_check_before_and_after_a_revocation() {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let (out, site) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dir = |d: &Path| d.to_str().unwrap().to_string();
    let key = "fixtures/keys/example-school.key.json";
    let issued = run(&[
        "issue",
        &dir(school.path()),
        "--out",
        &dir(out.path()),
        "--key",
        key,
        "--pdf-key",
        PDF_KEY,
        "--student",
        "HV-2026-001",
        "--student",
        "HV-2026-002",
    ]);
    assert_eq!(issued.status.code(), Some(0), "{}", stderr(&issued));
    let publish = || {
        let output = run(&["publish", &dir(school.path()), "--site", &dir(site.path())]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    };
    publish();
    let clrs: Vec<PathBuf> =
        ["HV-2026-001", "HV-2026-002"].iter().map(|s| out.path().join(format!("{s}/v1/transcript.clr.json"))).collect();
    let revoked = |reports: &[Value]| -> Vec<(Value, Value)> {
        reports.iter().map(|r| (r["digitalbazaar"]["revoked"].clone(), r["dcc"]["revoked"].clone())).collect()
    };
    let reports = verify_in_js(&clrs, &documents(Some(site.path())));
    assert_all_verify(&reports);
    assert_eq!(revoked(&reports), vec![(json!(false), json!(false)); 2], "{:#}", json!(reports));

    let credential = read_json(&clrs[0])["id"].as_str().unwrap().to_string();
    let output =
        run(&["revoke", &credential, "--reason", "issued in error", "--key", key, "--school", &dir(school.path())]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    publish();
    let reports = verify_in_js(&clrs, &documents(Some(site.path())));
    assert_eq!(
        revoked(&reports),
        vec![(json!(true), json!(true)), (json!(false), json!(false))],
        "{:#}",
        json!(reports)
    );
}
