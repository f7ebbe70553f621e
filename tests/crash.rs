//! Crash safety at every write boundary: `issue`, `revoke`, `publish`, and the console's issue
//! jobs and imports, each stopped dead at its first, second, third... write boundary in turn
//! (`MASTERY_TEST_CRASH_AT=N`: the process aborts there, an append left half written), until a
//! run gets through them all. After each crash the next run must leave the ledger, the status
//! lists, the signed head, the published site and the files consistent: what the same command
//! would have left had nothing crashed.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common::*;

const KEY: &str = "fixtures/keys/example-school.key.json";

fn path(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

fn ok(output: Output) -> Output {
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    output
}

/// `mastery` with `args`, stopped at write boundary `at`; whether it crashed there (rather
/// than finishing first), and at which boundary, as it named it.
fn crashed_at(at: usize, args: &[&str], log: &Path) -> Option<String> {
    let output = mastery()
        .args(args)
        .env("MASTERY_TEST_CRASH_AT", at.to_string())
        .env("MASTERY_TEST_CRASH_LOG", log)
        .output()
        .unwrap();
    match output.status.code() {
        // SIGABRT: no exit code.
        None => Some(std::fs::read_to_string(log).unwrap_or_default().lines().last().unwrap_or("?").to_string()),
        Some(0) => None,
        Some(code) => panic!("crash point {at}: exit {code}\n{}{}", stdout(&output), stderr(&output)),
    }
}

/// A school folder and an output folder in a state worth crashing from: HV-2026-001 issued
/// and its record since corrected (its next issue supersedes), HV-2026-004 issued and revoked.
fn starting_state() -> (tempfile::TempDir, tempfile::TempDir) {
    let (school, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let issue = |students: &[&str]| {
        let mut args = vec![
            "issue",
            path(school.path()),
            "--out",
            path(out.path()),
            "--key",
            KEY,
            "--pdf-key",
            PDF_KEY,
            "--jobs",
            "1",
        ];
        for student in students {
            args.extend(["--student", student]);
        }
        ok(run(&args));
    };
    issue(&["HV-2026-001", "HV-2026-004"]);
    let credential = ledger(school.path())
        .into_iter()
        .find(|e| e["student"] == "HV-2026-004")
        .map(|e| e["credential_id"].as_str().unwrap().to_string())
        .unwrap();
    ok(run(&["revoke", &credential, "--reason", "issued in error", "--key", KEY, "--school", path(school.path())]));
    let file = school.path().join("students/hv-2026-001.json");
    let mut record = read_json(&file);
    let score = record["evidence"][0]["score"].as_i64().unwrap();
    record["evidence"][0]["score"] = (if score == 4 { 3 } else { 4 }).into();
    write_json(&file, &record);
    (school, out)
}

/// A copy of a folder, to crash in.
fn copy_of(dir: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(dir, copy.path());
    copy
}

/// The ledger's entries; a last line a crash cut short was never appended.
fn ledger(school: &Path) -> Vec<Value> {
    std::fs::read_to_string(school.join("ledger.jsonl"))
        .unwrap_or_default()
        .split_inclusive('\n')
        .filter(|line| line.ends_with('\n'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The ledger's entries without what differs between two runs (times, credential ids,
/// hashes, signatures, status bits), sorted: what was done, to whom, in which version.
fn shape(school: &Path) -> Vec<String> {
    let mut lines: Vec<String> = ledger(school)
        .iter()
        .map(|e| {
            format!(
                "{} {} v{} {}",
                e["action"],
                e["student"],
                e["version"],
                e["reason"].as_str().map_or("", |r| r.split(' ').next().unwrap_or(""))
            )
        })
        .collect();
    lines.sort();
    lines
}

/// Waits, five seconds at most, for a console asked to crash to end; whether it did.
fn ended(console: &mut crate::serve::Served) -> bool {
    for _ in 0..100 {
        if console.ended() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

/// What every run must leave, crash or not: the ledger checks (chain, signatures, the signed
/// head) and has the `expected` shape; each issue's files are in place as recorded, and no
/// other version folder is; no temporary file is left; the site publishes (the status lists
/// follow the ledger), and each transcript verifies against it as current, superseded or revoked.
fn assert_consistent(school: &Path, out: &Path, expected: &[String], context: &str) {
    ok(run(&["log", path(school), "--verify"]));
    assert_eq!(shape(school), expected, "{context}");
    let entries = ledger(school);
    let issued: Vec<&Value> = entries.iter().filter(|e| e["action"] == "issue").collect();
    for entry in &issued {
        for (name, digest) in entry["files"].as_object().unwrap() {
            let bytes = std::fs::read(out.join(name)).unwrap_or_else(|e| panic!("{context}: {name}: {e}"));
            assert_eq!(&mastery::digest::sha256_hex(&bytes), digest.as_str().unwrap(), "{context}: {name}");
        }
    }
    for (file, _) in files_under(out).into_iter().chain(files_under(school)) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with(".mastery-"), "{context}: a temporary file is left: {}", file.display());
        if file.components().count() == 3 && name.starts_with("transcript.") {
            let folder = file.parent().unwrap().to_string_lossy().into_owned() + "/";
            assert!(
                issued.iter().any(|e| e["files"].as_object().unwrap().keys().any(|k| k.starts_with(&folder))),
                "{context}: {} is in no issue entry",
                file.display()
            );
        }
    }
    let site = tempfile::tempdir().unwrap();
    ok(run(&["publish", path(school), "--site", path(site.path())]));
    for entry in &issued {
        let pdf = entry["files"].as_object().unwrap().keys().find(|k| k.ends_with(".pdf")).unwrap().clone();
        let checked = run(&["verify", path(&out.join(&pdf)), "--site", path(site.path())]);
        let text = stdout(&checked);
        assert!(text.contains("ledger: the issue of this credential is entry"), "{context}: {pdf}: {text}");
        assert!(text.contains("the printed pages are the ones the credential binds"), "{context}: {pdf}: {text}");
    }
}

/// Runs `command` (a function of a school folder and an output folder giving the arguments)
/// from copies of the starting state, crashed at each write boundary in turn; after each
/// crash, `recover` is run and the result checked. Gives the boundaries crossed.
fn crash_everywhere(
    name: &str,
    command: impl Fn(&Path, &Path) -> Vec<String>,
    recover: impl Fn(&Path, &Path),
) -> Vec<String> {
    let (school, out) = starting_state();
    // What the command leaves when nothing crashes.
    let (clean_school, clean_out) = (copy_of(school.path()), copy_of(out.path()));
    let args = command(clean_school.path(), clean_out.path());
    ok(run(&args.iter().map(String::as_str).collect::<Vec<_>>()));
    let expected = shape(clean_school.path());
    assert_consistent(clean_school.path(), clean_out.path(), &expected, &format!("{name}, no crash"));

    let mut crossed = Vec::new();
    for at in 1.. {
        assert!(at < 400, "{name}: more write boundaries than expected");
        let (school, out) = (copy_of(school.path()), copy_of(out.path()));
        let log = out.path().join("..").join(format!("crash-{name}-{at}.log"));
        let args = command(school.path(), out.path());
        let Some(boundary) = crashed_at(at, &args.iter().map(String::as_str).collect::<Vec<_>>(), &log) else {
            break;
        };
        let _ = std::fs::remove_file(&log);
        let context = format!("{name}, crashed at boundary {at} ({boundary})");
        recover(school.path(), out.path());
        assert_consistent(school.path(), out.path(), &expected, &context);
        crossed.push(boundary);
    }
    crossed
}

fn issue_args(school: &Path, out: &Path) -> Vec<String> {
    ["issue", path(school), "--out", path(out), "--key", KEY, "--pdf-key", PDF_KEY, "--jobs", "1", "--by", "Registrar"]
        .iter()
        .chain(&["--student", "HV-2026-001", "--student", "HV-2026-002", "--student", "HV-2026-004"])
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn an_issue_crashed_at_any_write_boundary_is_completed_by_the_next_run() {
    let crossed = crash_everywhere("issue", issue_args, |school, out| {
        ok(run(&issue_args(school, out).iter().map(String::as_str).collect::<Vec<_>>()));
    });
    // Every kind of boundary was crashed at: a file flushed and renamed, a ledger entry cut
    // short and appended, the supersession's revocation, the status list and the head signed.
    let all = crossed.join("\n");
    for wanted in [
        "flushed beside",
        "renamed",
        "cut short",
        "appended",
        "ledger.jsonl",
        "status/1.json",
        "ledger.checkpoint",
        ".ledger-pending.jsonl",
    ] {
        assert!(all.contains(wanted), "no crash at {wanted}:\n{all}");
    }
    assert!(crossed.len() > 40, "{} boundaries:\n{all}", crossed.len());
}

#[test]
fn a_revocation_crashed_at_any_write_boundary_is_completed_by_running_it_again() {
    // HV-2026-001's current version, in whichever copy of the school.
    let revoke = |school: &Path, _: &Path| -> Vec<String> {
        let credential = ledger(school)
            .into_iter()
            .find(|e| e["student"] == "HV-2026-001" && e["action"] == "issue")
            .map(|e| e["credential_id"].as_str().unwrap().to_string())
            .unwrap();
        ["revoke", &credential, "--reason", "withdrawn", "--key", KEY, "--school", path(school)]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let crossed = crash_everywhere("revoke", revoke, |school, out| {
        // Run again: it revokes, or says it was revoked already and signs what lags behind.
        let again = run(&revoke(school, out).iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            again.status.code() == Some(0) || stderr(&again).contains("was revoked already (withdrawn)"),
            "{}",
            stderr(&again)
        );
    });
    let all = crossed.join("\n");
    for wanted in ["cut short", "appended", "status/1.json", "ledger.checkpoint"] {
        assert!(all.contains(wanted), "no crash at {wanted}:\n{all}");
    }
}

#[test]
fn a_publication_crashed_at_any_write_boundary_is_completed_by_publishing_again() {
    let (school, out) = starting_state();
    ok(run(&issue_args(school.path(), out.path()).iter().map(String::as_str).collect::<Vec<_>>()));
    let reference = tempfile::tempdir().unwrap();
    ok(run(&["publish", path(school.path()), "--site", path(reference.path())]));
    let expected = files_under(reference.path());
    let log = reference.path().join("../crash-publish.log");
    for at in 1.. {
        assert!(at < 400, "more write boundaries than expected");
        // A site published before (the earlier head), then the new publication crashed.
        let site = tempfile::tempdir().unwrap();
        let args = ["publish", path(school.path()), "--site", path(site.path())];
        let Some(boundary) = crashed_at(at, &args, &log) else {
            assert_eq!(files_under(site.path()), expected);
            break;
        };
        // Whatever the site holds meanwhile, every proof on it leads to a head it holds.
        ok(run(&args));
        assert_eq!(files_under(site.path()), expected, "crashed at boundary {at} ({boundary}), then published again");
    }
}

#[test]
fn a_console_issue_crashed_at_any_write_boundary_is_completed_by_the_next_issue() {
    let (school, out) = starting_state();
    // Two students: one whose correction supersedes its version, one left revoked.
    let students = |school: &Path, out: &Path| -> Vec<String> {
        let mut args = issue_args(school, out);
        let second = args.iter().position(|a| a == "HV-2026-002").unwrap();
        args.drain(second - 1..=second);
        args
    };
    let expected = {
        let (school, out) = (copy_of(school.path()), copy_of(out.path()));
        ok(run(&students(school.path(), out.path()).iter().map(String::as_str).collect::<Vec<_>>()));
        shape(school.path())
    };
    let choice =
        [("scope", "some"), ("students", "HV-2026-001 HV-2026-004"), ("profile", ""), ("to", ""), ("by", "Registrar")];
    let mut crashes = 0;
    for at in 1.. {
        assert!(at < 400, "more write boundaries than expected");
        // The console writes its issues into OUT/issued.
        let (school, console_out) = (copy_of(school.path()), tempfile::tempdir().unwrap());
        copy_dir(out.path(), &console_out.path().join("issued"));
        let issued = console_out.path().join("issued");
        let crash_at = at.to_string();
        let environment = [("MASTERY_TEST_CRASH_AT", crash_at.as_str())];
        let mut console = crate::serve::serve_in(
            school.path(),
            &["--key", KEY, "--pdf-key", PDF_KEY, "--out", path(console_out.path())],
            &environment,
        );
        let job = console.try_post_form("/issue", &choice).and_then(|a| a.header("location").map(str::to_string));
        let cookie = format!("mastery_session={}", console.session);
        let mut finished = false;
        for _ in 0..1200 {
            if job.is_none() || console.ended() {
                break;
            }
            let page = console.try_send("GET", job.as_deref().unwrap_or("/"), &[("Cookie", &cookie)], b"");
            if page.is_some_and(|page| page.text().contains("<dd id=\"job-state\">finished</dd>")) {
                finished = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if finished {
            assert!(!console.ended());
            assert_consistent(school.path(), &issued, &expected, "the console's issue, no crash");
            break;
        }
        assert!(ended(&mut console), "boundary {at}: the job neither finished nor crashed");
        crashes += 1;
        // The next issue, from the command line, into the same folder.
        ok(run(&students(school.path(), &issued).iter().map(String::as_str).collect::<Vec<_>>()));
        assert_consistent(school.path(), &issued, &expected, &format!("the console's issue, crashed at boundary {at}"));
    }
    assert!(crashes > 20, "{crashes} crashes");
}

#[test]
fn a_console_import_crashed_at_any_write_boundary_leaves_the_file_whole_or_absent() {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let upload = std::fs::read_to_string(school.path().join("students/hv-2026-002.json"))
        .unwrap()
        .replace("HV-2026-002", "HV-2026-099");
    let target = |school: &Path| school.join("students/hv-2026-099.json");
    for at in 1.. {
        assert!(at < 50, "more write boundaries than expected");
        let school = copy_of(school.path());
        let crash_at = at.to_string();
        let mut console = crate::serve::serve_in(school.path(), &[], &[("MASTERY_TEST_CRASH_AT", crash_at.as_str())]);
        let answer = console.try_upload("hv-2026-099.json", upload.as_bytes());
        if answer.as_ref().is_some_and(|a| a.status == 200) && !console.ended() {
            assert_eq!(std::fs::read_to_string(target(school.path())).unwrap(), upload);
            break;
        }
        assert!(ended(&mut console), "boundary {at}: the import neither ended nor crashed");
        // Whole or absent, and the console started again clears what the crash left.
        if let Ok(written) = std::fs::read_to_string(target(school.path())) {
            assert_eq!(written, upload, "boundary {at}: the file is whole");
        }
        let console = crate::serve::serve_in(school.path(), &[], &[]);
        let left: Vec<String> = std::fs::read_dir(school.path().join("students"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".mastery-"))
            .collect();
        assert!(left.is_empty(), "boundary {at}: left {left:?}");
        if !target(school.path()).exists() {
            assert_eq!(console.upload("hv-2026-099.json", upload.as_bytes()).status, 200);
            assert_eq!(std::fs::read_to_string(target(school.path())).unwrap(), upload);
        }
    }
}
