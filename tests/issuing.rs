//! Issuing: versions and supersession, the ledger and its chain, revocation, the published
//! site, PDFs that verify themselves, and the faults an issue must survive.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common::*;

const KEY: &str = "fixtures/keys/example-school.key.json";

/// A copy of the example school, with its own (empty) ledger.
fn school() -> tempfile::TempDir {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    school
}

fn path(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

fn issue(school: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args =
        vec!["issue", path(school), "--out", path(out), "--key", KEY, "--pdf-key", PDF_KEY, "--by", "Test Registrar"];
    args.extend_from_slice(extra);
    run(&args)
}

fn ok(output: Output) -> Output {
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    output
}

fn publish(school: &Path, site: &Path) {
    ok(run(&["publish", path(school), "--site", path(site)]));
}

fn ledger(school: &Path) -> Vec<Value> {
    std::fs::read_to_string(school.join("ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn issues_of<'a>(entries: &'a [Value], student: &str) -> Vec<&'a Value> {
    entries.iter().filter(|e| e["action"] == "issue" && e["student"] == student).collect()
}

fn verify(file: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["verify", path(file)];
    args.extend_from_slice(extra);
    run(&args)
}

fn sha256(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Gives student HV-2026-001's first piece of evidence another score.
fn change_evidence(school: &Path) {
    let file = school.join("students/hv-2026-001.json");
    let mut record = read_json(&file);
    let score = record["evidence"][0]["score"].as_i64().unwrap();
    record["evidence"][0]["score"] = (if score == 4 { 3 } else { 4 }).into();
    write_json(&file, &record);
}

#[test]
fn a_corrected_record_is_issued_as_version_2_and_supersedes_version_1() {
    let (school, out, site) = (school(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = ok(issue(school.path(), out.path(), &[]));
    assert!(stderr(&first).contains("issued 10 transcripts"), "{}", stderr(&first));
    let before = ledger(school.path());
    assert_eq!(before.len(), 10);

    change_evidence(school.path());
    let second = ok(issue(school.path(), out.path(), &[]));
    assert!(stderr(&second).contains("issued 1 transcript in"), "{}", stderr(&second));
    assert!(stderr(&second).contains("9 unchanged since their last issue"), "{}", stderr(&second));
    let after = ledger(school.path());
    assert_eq!(&after[..10], &before[..], "the ledger is only appended to");
    // Version 2 of that student, and the revocation of version 1; nothing for the others.
    assert_eq!(after.len(), 12);
    let versions = issues_of(&after, "HV-2026-001");
    assert_eq!(versions.len(), 2);
    let (v1, v2) = (versions[0]["credential_id"].as_str().unwrap(), versions[1]["credential_id"].as_str().unwrap());
    assert_ne!(v1, v2, "a new version has a new credential id");
    assert_eq!(versions[1]["version"], 2);
    assert_eq!(versions[1]["supersedes"], v1);
    let revoke = &after[11];
    assert_eq!((revoke["action"].as_str(), revoke["credential_id"].as_str()), (Some("revoke"), Some(v1)));
    assert_eq!(revoke["reason"], format!("superseded by {v2}"));

    publish(school.path(), site.path());
    let old = out.path().join("HV-2026-001/v1/transcript.pdf");
    let new = out.path().join("HV-2026-001/v2/transcript.pdf");
    let site_arg = path(site.path());
    let checked = verify(&old, &["--site", site_arg]);
    assert_eq!(checked.status.code(), Some(1), "{}", stdout(&checked));
    assert!(stdout(&checked).contains(&format!("no longer current: superseded by {v2}")), "{}", stdout(&checked));
    let checked = verify(&new, &["--site", site_arg]);
    assert_eq!(checked.status.code(), Some(0), "{}", stdout(&checked));
    assert!(stdout(&checked).contains("status: not revoked"), "{}", stdout(&checked));
    assert!(stdout(&checked).contains("the attached transcript.json is the one the credential binds"));
    // Without the site the status is plainly not checked, and --require-status fails on it.
    let unchecked = verify(&new, &[]);
    assert_eq!(unchecked.status.code(), Some(0));
    assert!(stdout(&unchecked).contains("status not checked"), "{}", stdout(&unchecked));
    assert!(!stdout(&unchecked).contains(": valid\n"), "{}", stdout(&unchecked));
    assert_eq!(verify(&new, &["--require-status"]).status.code(), Some(1));
    // The CLR on its own, with the status list as a file.
    let list = site.path().join("records.harborview.example.org/transcripts/status/1.json");
    let clr = out.path().join("HV-2026-001/v1/transcript.clr.json");
    assert_eq!(verify(&clr, &["--status-list", path(&list)]).status.code(), Some(1));

    // The log answers for the student.
    let log = stdout(&ok(run(&["log", path(school.path()), "--student", "HV-2026-001"])));
    assert_eq!(log.lines().count(), 3, "{log}");
    assert!(log.contains("issued HV-2026-001 version 2") && log.contains("by Test Registrar"), "{log}");
}

#[test]
fn a_preview_is_marked_unofficial_and_carries_nothing_to_verify() {
    let out = tempfile::tempdir().unwrap();
    let school = root().join("fixtures/example-school");
    ok(run(&["build", path(&school), "--out", path(out.path()), "--student", "HV-2026-002"]));
    let pdf = out.path().join("HV-2026-002.pdf");
    let text = pdf_text(&pdf);
    let pages = text.matches('\u{c}').count();
    assert_eq!(text.matches("UNOFFICIAL COPY").count(), pages, "on every page:\n{text}");
    assert!(!text.contains("https://records.harborview.example.org"), "no verification address");
    let checked = verify(&pdf, &[]);
    assert_eq!(checked.status.code(), Some(1));
    assert!(stdout(&checked).contains("it is a preview (an unofficial copy)"), "{}", stdout(&checked));
}

#[test]
fn reprinting_an_issued_version_gives_the_same_bytes() {
    let (school, out) = (school(), tempfile::tempdir().unwrap());
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-003"]));
    let entries = ledger(school.path());
    let files = entries[0]["files"].as_object().unwrap().clone();
    assert_eq!(files.len(), 4, "the PDF, the CLR, the HTML and the PESC XML: {files:?}");
    for name in files.keys() {
        std::fs::remove_file(out.path().join(name)).unwrap();
    }
    // Into the same folder and into another: the same bytes, and no new entry.
    let other = tempfile::tempdir().unwrap();
    for target in [out.path(), other.path()] {
        ok(issue(school.path(), target, &["--student", "HV-2026-003"]));
        for (name, digest) in &files {
            assert_eq!(&sha256(&target.join(name)), digest.as_str().unwrap(), "{name}");
        }
    }
    assert_eq!(ledger(school.path()).len(), 1);
    // Sent to a college: a disclosure entry.
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-003", "--to", "Admissions, Bowdoin College"]));
    let entries = ledger(school.path());
    assert_eq!((entries.len(), entries[1]["action"].as_str()), (2, Some("disclose")));
    assert_eq!(entries[1]["recipient"], "Admissions, Bowdoin College");
}

/// The PDF of an issue with one byte of one attached file changed.
fn tampered(pdf: &Path, name: &str, needle: &str) -> PathBuf {
    let target = pdf.with_file_name(format!("tampered-{name}.pdf"));
    let script = root().join("tests/tools/tamper_pdf.py");
    let output = tool("python3").arg(script).arg(pdf).arg(&target).args([name, needle]).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    target
}

#[test]
fn one_changed_byte_of_the_attached_data_or_credential_fails_verify() {
    let (school, out) = (school(), tempfile::tempdir().unwrap());
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-001"]));
    let pdf = out.path().join("HV-2026-001/v1/transcript.pdf");
    assert_eq!(verify(&pdf, &[]).status.code(), Some(0));
    let data = verify(&tampered(&pdf, "transcript.json", "\"legal_name\": \"Z"), &[]);
    assert_eq!(data.status.code(), Some(1), "{}", stdout(&data));
    assert!(stdout(&data).contains("the attached transcript.json is not the one the credential binds"));
    let credential = verify(&tampered(&pdf, "credential.clr.json", "Mastery Transcript of"), &[]);
    assert_eq!(credential.status.code(), Some(1), "{}", stdout(&credential));
    assert!(stdout(&credential).contains("does not match the credential"), "{}", stdout(&credential));
}

#[test]
fn one_changed_glyph_of_a_page_fails_verify_and_a_rewrite_without_a_change_does_not() {
    let (school, out) = (school(), tempfile::tempdir().unwrap());
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-001"]));
    let pdf = out.path().join("HV-2026-001/v1/transcript.pdf");
    let checked = ok(verify(&pdf, &[]));
    assert!(
        stdout(&checked).contains("ok: the printed pages are the ones the credential binds"),
        "{}",
        stdout(&checked)
    );
    // The same PDF written again by qpdf (objects renumbered, streams uncompressed, content
    // streams normalised): nothing the reader sees changed.
    let rewritten = out.path().join("rewritten.pdf");
    let output = tool("qpdf").arg("--qdf").arg(&pdf).arg(&rewritten).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    // Its pages are the ones bound; its bytes are no longer the ones the school's PAdES
    // signature covers, which verify says (as Acrobat and pdfsig would).
    let rewritten_said = stdout(&verify(&rewritten, &[]));
    assert!(rewritten_said.contains("ok: the printed pages are the ones the credential binds"), "{rewritten_said}");
    assert!(rewritten_said.contains("invalid: PAdES signature:"), "{rewritten_said}");
    // One glyph changed: the attachments are untouched, the page is not.
    let changed = out.path().join("changed.pdf");
    let script = root().join("tests/tools/change_glyph.py");
    let output = tool("python3").arg(script).arg(&pdf).arg(&changed).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_ne!(squash(&pdf_text(&changed)), squash(&pdf_text(&pdf)), "the page shows something else");
    let refused = verify(&changed, &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    assert!(
        stdout(&refused).contains("invalid: the printed pages are not the ones the credential binds"),
        "{}",
        stdout(&refused)
    );
    assert!(stdout(&refused).contains("ok: the attached transcript.json is the one the credential binds"));
}

/// Rewrites the ledger as someone holding the school's key could: `edit` changes the entries,
/// then every hash is made again and every entry signed again (with `mastery log
/// --adopt-unsigned`), and the school folder's own head removed.
fn rewrite_ledger(school: &Path, edit: impl FnOnce(&mut Vec<mastery::issue::ledger::Entry>)) {
    use mastery::issue::ledger::Entry;
    let file = school.join("ledger.jsonl");
    let mut entries: Vec<Entry> =
        std::fs::read_to_string(&file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    edit(&mut entries);
    let mut text = String::new();
    let mut prev = "0".repeat(64);
    for (i, entry) in entries.iter_mut().enumerate() {
        entry.seq = i as u64 + 1;
        entry.prev = prev;
        entry.hash = String::new();
        entry.signed_by = None;
        entry.signature = None;
        entry.hash = mastery::digest::sha256_hex(&serde_json::to_vec(&entry).unwrap());
        prev = entry.hash.clone();
        text.push_str(&serde_json::to_string(&entry).unwrap());
        text.push('\n');
    }
    std::fs::write(&file, text).unwrap();
    std::fs::remove_file(school.join("ledger.checkpoint")).unwrap();
    ok(run(&["log", path(school), "--adopt-unsigned", "--key", KEY]));
}

#[test]
fn a_ledger_rewritten_without_the_key_is_refused_and_with_it_is_caught_by_the_published_head() {
    let (school, out, site) = (school(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ok(issue(school.path(), out.path(), &[]));
    publish(school.path(), site.path());
    let saved_head = out.path().join("head-kept-by-a-college");
    std::fs::copy(site.path().join("records.harborview.example.org/transcripts/ledger/checkpoint"), &saved_head)
        .unwrap();
    let verified = ok(run(&["log", path(school.path()), "--verify", "--site", path(site.path())]));
    assert!(stdout(&verified).contains("ledger.jsonl: valid"), "{}", stdout(&verified));
    // A college checks one transcript: its issue is in the published head.
    let pdf = out.path().join("HV-2026-001/v1/transcript.pdf");
    let checked = ok(verify(&pdf, &["--site", path(site.path())]));
    assert!(stdout(&checked).contains("ok: ledger: the issue of this credential is entry"), "{}", stdout(&checked));
    let pristine = std::fs::read(school.path().join("ledger.jsonl")).unwrap();
    let pristine_head = std::fs::read(school.path().join("ledger.checkpoint")).unwrap();
    let restore = || {
        std::fs::write(school.path().join("ledger.jsonl"), &pristine).unwrap();
        std::fs::write(school.path().join("ledger.checkpoint"), &pristine_head).unwrap();
    };

    // Without the key: `by` changed and every later hash made again. The signatures no longer
    // hold, and without them the entries are not the school's.
    let file = school.path().join("ledger.jsonl");
    let mut entries: Vec<Value> = ledger(school.path());
    entries[1]["by"] = "Someone Else".into();
    let mut prev = "0".repeat(64);
    let mut text = String::new();
    for entry in &mut entries {
        entry["prev"] = prev.clone().into();
        entry["hash"] = "".into();
        let object = entry.as_object_mut().unwrap();
        let (signed_by, signature) = (object.remove("signed_by"), object.remove("signature"));
        let typed: mastery::issue::ledger::Entry = serde_json::from_value(entry.clone()).unwrap();
        let hash = mastery::digest::sha256_hex(&serde_json::to_vec(&typed).unwrap());
        entry["hash"] = hash.clone().into();
        entry["signed_by"] = signed_by.unwrap();
        entry["signature"] = signature.unwrap();
        prev = hash;
        text.push_str(
            &serde_json::to_string(&serde_json::from_value::<mastery::issue::ledger::Entry>(entry.clone()).unwrap())
                .unwrap(),
        );
        text.push('\n');
    }
    std::fs::write(&file, text).unwrap();
    let log = run(&["log", path(school.path())]);
    assert_eq!(log.status.code(), Some(1), "{}", stdout(&log));
    assert!(stderr(&log).contains("ledger.jsonl:2:") && !stdout(&log).contains("Someone Else"), "{}", stderr(&log));
    restore();

    // With the key: the same rewrite, signed again. The ledger now holds together, but it is
    // not the one whose head the site published.
    rewrite_ledger(school.path(), |entries| entries[1].by = "Someone Else".to_string());
    assert!(stdout(&ok(run(&["log", path(school.path())]))).contains("Someone Else"));
    let audit = run(&["log", path(school.path()), "--verify", "--site", path(site.path())]);
    assert_eq!(audit.status.code(), Some(1), "{}", stdout(&audit));
    assert!(stdout(&audit).contains("are not those the head was signed over"), "{}", stdout(&audit));
    let republished = run(&["publish", path(school.path()), "--site", path(site.path()), "--key", KEY]);
    assert_eq!(republished.status.code(), Some(1));
    assert!(stderr(&republished).contains("the ledger no longer agrees with the head the site already publishes"));
    restore();

    // A deletion at the end (the last two entries), the head removed with them.
    rewrite_ledger(school.path(), |entries| entries.truncate(entries.len() - 2));
    let audit = run(&["log", path(school.path()), "--verify", "--site", path(site.path())]);
    assert_eq!(audit.status.code(), Some(1), "{}", stdout(&audit));
    assert!(stdout(&audit).contains("entries 9 to 10 were removed"), "{}", stdout(&audit));
    restore();

    // A fork after the published head: an entry rewritten, then more issued and published
    // over a site that no longer shows the old head (a new site). The head a college saved
    // catches it.
    rewrite_ledger(school.path(), |entries| entries[4].by = "Someone Else".to_string());
    change_evidence(school.path());
    ok(issue(school.path(), out.path(), &[]));
    let new_site = tempfile::tempdir().unwrap();
    publish(school.path(), new_site.path());
    let forked = run(&[
        "log",
        path(school.path()),
        "--verify",
        "--site",
        path(new_site.path()),
        "--checkpoint",
        path(&saved_head),
    ]);
    assert_eq!(forked.status.code(), Some(1), "{}", stdout(&forked));
    assert!(
        stdout(&forked).contains("head-kept-by-a-college: the ledger's first 10 entries are not those"),
        "{}",
        stdout(&forked)
    );

    // A record whose proof was tampered with does not lead to the published head.
    restore();
    let record = site.path().join("records.harborview.example.org/transcripts").join(format!(
        "{}.json",
        issues_of(&ledger(school.path()), "HV-2026-001")[0]["credential_id"]
            .as_str()
            .unwrap()
            .trim_start_matches("urn:uuid:")
    ));
    let mut document = read_json(&record);
    document["ledger"]["entry"] = (document["ledger"]["entry"].as_u64().unwrap() % 10 + 1).into();
    write_json(&record, &document);
    let refused = verify(&pdf, &["--site", path(site.path())]);
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    assert!(stdout(&refused).contains("inclusion proof does not lead to the head's root"), "{}", stdout(&refused));
}

#[test]
fn the_published_site_says_nothing_about_any_student() {
    let (school, out, site) = (school(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ok(issue(school.path(), out.path(), &[]));
    change_evidence(school.path());
    ok(issue(school.path(), out.path(), &[]));
    publish(school.path(), site.path());
    let published = files_under(site.path());
    let files = published.len();
    let site_text: String = published.values().map(|bytes| String::from_utf8_lossy(bytes)).collect();
    // 11 records, the status list, the issuer's and the key's documents, the ledger's signed
    // head (the latest, and the one of its size the records' proofs lead to).
    assert_eq!(files, 16, "{site_text}");
    // A secret is looked for as whole words, so a short name such as "Sam" is not found by chance
    // inside a signature or a proof in base64; a long one (an id, a date) also as any substring.
    let lowered = site_text.to_lowercase();
    let words = words_of(&lowered);
    for file in std::fs::read_dir(school.path().join("students")).unwrap() {
        let record = read_json(&file.unwrap().path());
        let mut secrets = vec![record["id"].as_str().unwrap().to_string()];
        for part in ["legal", "preferred", "family", "given"] {
            if let Some(name) = record["name"][part].as_str() {
                secrets.push(name.to_string());
                secrets.extend(name.split_whitespace().filter(|w| w.chars().count() > 3).map(str::to_string));
            }
        }
        secrets.extend(record["birth_date"].as_str().map(str::to_string));
        secrets.extend(record["sis_id"].as_str().map(str::to_string));
        for secret in secrets {
            let secret = secret.to_lowercase();
            let as_words = words_of(&secret);
            let shown = words.windows(as_words.len()).any(|run| run == as_words.as_slice())
                || (secret.chars().count() >= 8 && lowered.contains(&secret));
            assert!(!shown, "the site shows {secret:?}");
        }
    }
}

/// The runs of letters and digits in `text`, in order.
fn words_of(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).collect()
}

/// Edits the ledger's line `line` (from 1) by replacing `from` with `to` in it.
fn edit_ledger(school: &Path, line: usize, from: &str, to: &str) {
    let file = school.join("ledger.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(lines[line - 1].contains(from));
    lines[line - 1] = lines[line - 1].replacen(from, to, 1);
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
}

#[test]
fn a_ledger_edited_or_cut_is_refused_by_every_command_at_its_line() {
    let (school, out, site) = (school(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-001", "--student", "HV-2026-002"]));
    let credential = ledger(school.path())[0]["credential_id"].as_str().unwrap().to_string();
    let pristine = std::fs::read(school.path().join("ledger.jsonl")).unwrap();
    let commands = |school: &Path| -> Vec<Output> {
        vec![
            issue(school, out.path(), &[]),
            run(&["revoke", &credential, "--reason", "test", "--key", KEY, "--school", path(school)]),
            run(&["log", path(school)]),
            run(&["publish", path(school), "--site", path(site.path())]),
        ]
    };
    edit_ledger(school.path(), 2, "\"version\":1", "\"version\":2");
    for output in commands(school.path()) {
        let text = stdout(&output) + &stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(text.contains("ledger.jsonl:2: the ledger's chain breaks here"), "{text}");
    }
    // Cut in the middle of its last line: that entry reads as never appended (as after a crash
    // in the middle of the append), but the head the last run signed covers it, so every
    // command refuses the cut ledger.
    std::fs::write(school.path().join("ledger.jsonl"), &pristine[..pristine.len() - 20]).unwrap();
    for output in commands(school.path()) {
        let text = stdout(&output) + &stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(text.contains("ledger.checkpoint: the ledger has 1 entries, but the head signed over 2"), "{text}");
    }
    assert_eq!(std::fs::read_dir(site.path()).unwrap().count(), 0, "nothing published");
}

#[test]
fn a_second_run_waits_for_nobody_and_corrupts_nothing() {
    let (school, out) = (school(), tempfile::tempdir().unwrap());
    let held = mastery::issue::ledger::Ledger::open(school.path(), &Default::default()).unwrap();
    let output = issue(school.path(), out.path(), &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("is locked"), "{}", stderr(&output));
    drop(held);
    ok(issue(school.path(), out.path(), &[]));
}

#[test]
fn revoking_needs_a_known_credential_and_the_schools_key() {
    let (school, out, site) = (school(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-004"]));
    let credential = ledger(school.path())[0]["credential_id"].as_str().unwrap().to_string();
    let revoke = |id: &str, key: &str| {
        run(&["revoke", id, "--reason", "issued in error", "--key", key, "--school", path(school.path())])
    };

    let unknown = revoke("urn:uuid:00000000-0000-4000-8000-000000000000", KEY);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("the ledger records no credential urn:uuid:00000000"), "{}", stderr(&unknown));

    let other_key = out.path().join("other.key.json");
    ok(run(&["keygen", "--out", path(&other_key)]));
    let other_issue = run(&[
        "issue",
        path(school.path()),
        "--out",
        path(out.path()),
        "--key",
        path(&other_key),
        "--pdf-key",
        PDF_KEY,
    ]);
    for output in [revoke(&credential, path(&other_key)), other_issue] {
        let text = stdout(&output) + &stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(text.contains("school.json") && text.contains("verification_method"), "{text}");
    }
    assert_eq!(ledger(school.path()).len(), 1, "nothing recorded");

    let done = ok(revoke(&credential, KEY));
    assert!(stdout(&done).contains("revoked"), "{}", stdout(&done));
    let again = revoke(&credential, KEY);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("was revoked already (issued in error)"), "{}", stderr(&again));
    publish(school.path(), site.path());
    let checked = verify(&out.path().join("HV-2026-004/v1/transcript.pdf"), &["--site", path(site.path())]);
    assert_eq!(checked.status.code(), Some(1));
    assert!(stdout(&checked).contains("revoked by its issuer: issued in error"), "{}", stdout(&checked));
}

#[test]
fn a_revoked_transcript_stays_revoked_until_its_record_changes_or_the_registrar_asks() {
    let (school, out) = (school(), tempfile::tempdir().unwrap());
    ok(issue(school.path(), out.path(), &[]));
    let credential = issues_of(&ledger(school.path()), "HV-2026-004")[0]["credential_id"].as_str().unwrap().to_string();
    for blank in ["", "   "] {
        let refused = run(&["revoke", &credential, "--reason", blank, "--key", KEY, "--school", path(school.path())]);
        assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
        assert!(stderr(&refused).contains("the reason is blank"), "{}", stderr(&refused));
    }
    assert_eq!(ledger(school.path()).len(), 10, "nothing recorded");
    ok(run(&["revoke", &credential, "--reason", "issued in error", "--key", KEY, "--school", path(school.path())]));

    // The nightly whole-school run: nothing changed, so nothing is issued, and it says why.
    let nightly = ok(issue(school.path(), out.path(), &[]));
    assert!(
        stderr(&nightly).contains("version 1 of HV-2026-004 was revoked (issued in error)"),
        "{}",
        stderr(&nightly)
    );
    assert!(stderr(&nightly).contains("--reissue"), "{}", stderr(&nightly));
    assert_eq!(issues_of(&ledger(school.path()), "HV-2026-004").len(), 1);
    assert!(!out.path().join("HV-2026-004/v2").exists());

    // The registrar asks for it, with a reason, which the ledger records.
    let blank = issue(school.path(), out.path(), &["--student", "HV-2026-004", "--reissue", " "]);
    assert_eq!(blank.status.code(), Some(2), "{}", stderr(&blank));
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-004", "--reissue", "revoked by mistake"]));
    let versions = issues_of(&ledger(school.path()), "HV-2026-004").into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(versions.len(), 2);
    assert_eq!(
        (versions[1]["version"].as_u64(), versions[1]["reason"].as_str()),
        (Some(2), Some("revoked by mistake"))
    );
    assert_eq!(versions[1]["supersedes"], Value::Null, "a revoked version is not superseded again");

    // A current version stands; --reissue supersedes it, and a changed record does too.
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-001", "--reissue", "new signing key"]));
    change_evidence(school.path());
    ok(issue(school.path(), out.path(), &[]));
    let entries = ledger(school.path());
    let lines = issues_of(&entries, "HV-2026-001");
    assert_eq!(lines.iter().map(|e| e["version"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(lines[1]["supersedes"], lines[0]["credential_id"]);
    assert_eq!(lines[2]["supersedes"], lines[1]["credential_id"]);
    let revoked: Vec<&Value> = entries.iter().filter(|e| e["action"] == "revoke").collect();
    assert_eq!(revoked.len(), 3, "HV-2026-004's revocation and the two supersessions");
}

#[test]
fn an_output_folder_holding_another_schools_issue_is_left_alone() {
    let (school, out) = (school(), tempfile::tempdir().unwrap());
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-005"]));
    let pdf = out.path().join("HV-2026-005/v1/transcript.pdf");
    let before = sha256(&pdf);
    // Another copy of the school, with a ledger of its own, into the same folder.
    let other = self::school();
    let output = issue(other.path(), out.path(), &["--student", "HV-2026-005"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("that this school's ledger does not record"), "{}", stderr(&output));
    assert_eq!(sha256(&pdf), before);
    assert!(ledger(other.path()).is_empty());
}

#[test]
fn an_issue_killed_with_sigkill_leaves_a_consistent_ledger_and_the_rerun_completes() {
    let students = 1000;
    let school = generated_school(students);
    // The small school publishes at an https address and signs with the example keys.
    let config = school.path().join("school.json");
    let mut settings = read_json(&config);
    let example = read_json(&root().join("fixtures/example-school/school.json"));
    settings["transcript"]["verification_url_base"] = example["transcript"]["verification_url_base"].clone();
    settings["credentials"] = example["credentials"].clone();
    settings["document_signing"] = example["document_signing"].clone();
    write_json(&config, &settings);
    std::fs::create_dir_all(school.path().join("keys")).unwrap();
    std::fs::copy(
        root().join("fixtures/example-school/keys/document-signing.pem"),
        school.path().join("keys/document-signing.pem"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut child = mastery()
        .args([
            "issue",
            path(school.path()),
            "--out",
            path(out.path()),
            "--key",
            KEY,
            "--pdf-key",
            PDF_KEY,
            "--jobs",
            "2",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ledger_file = school.path().join("ledger.jsonl");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&ledger_file).map_or(0, |t| t.lines().count()) < 100 {
        assert!(started.elapsed().as_secs() < 300, "the issue made no progress");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = ledger(school.path());
    assert!(killed.len() >= 100 && killed.len() < students, "{}", killed.len());
    // Whatever the ledger records is in place.
    for entry in &killed {
        for (name, digest) in entry["files"].as_object().unwrap() {
            assert_eq!(&sha256(&out.path().join(name)), digest.as_str().unwrap(), "{name}");
        }
    }
    let rerun = ok(mastery()
        .args(["issue", path(school.path()), "--out", path(out.path()), "--key", KEY, "--pdf-key", PDF_KEY])
        .output()
        .unwrap());
    assert!(
        stderr(&rerun).contains(&format!("{} unchanged since their last issue", killed.len())),
        "{}",
        stderr(&rerun)
    );
    let entries = ledger(school.path());
    assert_eq!(&entries[..killed.len()], &killed[..]);
    // Every student issued once, as version 1; every folder in the output is in the ledger.
    let mut issued: Vec<&str> = entries.iter().map(|e| e["student"].as_str().unwrap()).collect();
    issued.sort_unstable();
    issued.dedup();
    assert_eq!(issued.len(), entries.len(), "no student is issued twice");
    assert!(entries.len() > students * 9 / 10, "{} of {students} issued", entries.len());
    assert!(entries.iter().all(|e| e["action"] == "issue" && e["version"] == 1));
    for folder in std::fs::read_dir(out.path()).unwrap() {
        let folder = folder.unwrap();
        if folder.file_type().unwrap().is_dir() {
            let name = folder.file_name().to_string_lossy().into_owned();
            let versions: Vec<_> = std::fs::read_dir(folder.path()).unwrap().collect();
            assert_eq!(versions.len(), 1, "{name}");
            assert!(issued.binary_search(&name.as_str()).is_ok(), "{name} is not in the ledger");
        }
    }
    // The status list the site would publish holds every credential's bit.
    let site = tempfile::tempdir().unwrap();
    ok(run(&["publish", path(school.path()), "--site", path(site.path())]));
    let sample = out.path().join(format!("{}/v1/transcript.pdf", issued[students / 2]));
    assert_eq!(verify(&sample, &["--site", path(site.path()), "--require-status"]).status.code(), Some(0));
}

#[test]
fn each_disclosure_profile_has_its_own_versions() {
    let (school, out) = (school(), tempfile::tempdir().unwrap());
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-001"]));
    ok(issue(
        school.path(),
        out.path(),
        &["--student", "HV-2026-001", "--profile", "college", "--to", "Admissions, Colby College"],
    ));
    let entries = ledger(school.path());
    assert_eq!(entries.len(), 2, "{entries:#?}");
    assert!(entries.iter().all(|e| e["action"] == "issue" && e["version"] == 1), "nothing superseded");
    assert_eq!(
        (entries[1]["profile"].as_str(), entries[1]["recipient"].as_str()),
        (Some("college"), Some("Admissions, Colby College"))
    );
    let college = out.path().join("HV-2026-001/college-v1/transcript.pdf");
    assert!(!pdf_text(&college).contains("2008-03-14"), "the college profile shows no birth date");
    assert_eq!(verify(&college, &[]).status.code(), Some(0));
    // A correction supersedes within the profile it is issued under.
    change_evidence(school.path());
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-001", "--profile", "college"]));
    let entries = ledger(school.path());
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[3]["credential_id"], entries[1]["credential_id"], "the college version 1 is revoked");
    assert!(out.path().join("HV-2026-001/college-v2/transcript.pdf").is_file());
}

#[test]
fn a_supersession_cut_short_is_completed_by_the_next_run() {
    let (school, out, site) = (school(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-001"]));
    let head = std::fs::read(school.path().join("ledger.checkpoint")).unwrap();
    change_evidence(school.path());
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-001"]));
    // As if the run had been killed between recording version 2 and revoking version 1: the
    // ledger without its last entry, and the head the first run signed.
    let file = school.path().join("ledger.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    std::fs::write(&file, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    std::fs::write(school.path().join("ledger.checkpoint"), head).unwrap();
    ok(issue(school.path(), out.path(), &["--student", "HV-2026-001"]));
    let entries = ledger(school.path());
    assert_eq!(entries.len(), 3);
    assert_eq!(
        (entries[2]["action"].as_str(), &entries[2]["credential_id"]),
        (Some("revoke"), &entries[0]["credential_id"])
    );
    publish(school.path(), site.path());
    let old = verify(&out.path().join("HV-2026-001/v1/transcript.pdf"), &["--site", path(site.path())]);
    assert_eq!(old.status.code(), Some(1), "{}", stdout(&old));
}
