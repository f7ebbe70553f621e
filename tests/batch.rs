//! Batch builds: resuming, surviving SIGKILL, shards, one student's fault not stopping the
//! rest, and the synthetic-student generator.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;

fn build(school: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["build", school.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

fn report(out: &Path) -> Value {
    read_json(&out.join("report.json"))
}

fn pdf_names(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pdf"))
        .collect();
    names.sort();
    names
}

#[test]
fn a_rerun_rebuilds_only_what_changed() {
    let school = small_school();
    let students = school.path().join("students");
    let record = read_json(&students.join("s1.json"));
    for i in 2..=4 {
        let mut other = record.clone();
        other["id"] = format!("S{i}").into();
        write_json(&students.join(format!("s{i}.json")), &other);
    }
    let out = tempfile::tempdir().unwrap();
    assert!(build(school.path(), out.path(), &[]).status.success());
    assert_eq!((report(out.path())["built"].as_u64(), report(out.path())["unchanged"].as_u64()), (Some(4), Some(0)));

    // The manifest records each output's hash.
    let manifest = read_json(&out.path().join("manifest.json"));
    for name in pdf_names(out.path()) {
        let bytes = std::fs::read(out.path().join(&name)).unwrap();
        assert_eq!(manifest["outputs"][&name]["sha256"], mastery::batch::manifest::sha256_hex(&bytes));
    }

    let output = build(school.path(), out.path(), &[]);
    assert!(stderr(&output).contains("built 0 transcripts in"), "{}", stderr(&output));
    assert_eq!(report(out.path())["unchanged"], 4);

    // One student changes: only that transcript is rebuilt.
    let mut changed = read_json(&students.join("s3.json"));
    changed["highlights"] = serde_json::json!(["Built a better bridge."]);
    write_json(&students.join("s3.json"), &changed);
    build(school.path(), out.path(), &[]);
    assert_eq!((report(out.path())["built"].as_u64(), report(out.path())["unchanged"].as_u64()), (Some(1), Some(3)));

    // A damaged output is noticed and rebuilt.
    std::fs::write(out.path().join("S2.pdf"), b"%PDF-1.7 truncated").unwrap();
    build(school.path(), out.path(), &[]);
    assert_eq!(report(out.path())["built"], 1);
    qpdf_check(&out.path().join("S2.pdf"));

    // school.json changes: everything is rebuilt; so does --force.
    let mut config = read_json(&school.path().join("school.json"));
    config["profile"]["how_to_read"] = "Read the profile first.".into();
    write_json(&school.path().join("school.json"), &config);
    build(school.path(), out.path(), &[]);
    assert_eq!(report(out.path())["built"], 4);
    build(school.path(), out.path(), &["--force"]);
    assert_eq!(report(out.path())["built"], 4);
    // So does a change of template option.
    build(school.path(), out.path(), &["--locale", "es"]);
    assert_eq!(report(out.path())["built"], 4);
}

#[test]
fn a_build_killed_with_sigkill_leaves_no_partial_file_and_the_rerun_completes() {
    let school = generated_school(120);
    let out = tempfile::tempdir().unwrap();
    let mut child = mastery()
        .args(["build", school.path().to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--jobs", "2"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while pdf_names(out.path()).len() < 10 {
        assert!(started.elapsed() < Duration::from_secs(120), "the build made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL on Unix: no chance to clean up
    child.wait().unwrap();

    let done = pdf_names(out.path());
    assert!(done.len() < 120, "the build finished before it was killed");
    for name in &done {
        let bytes = std::fs::read(out.path().join(name)).unwrap();
        assert!(bytes.starts_with(b"%PDF-") && bytes.trim_ascii_end().ends_with(b"%%EOF"), "{name} is partial");
    }
    qpdf_check(&out.path().join(&done[done.len() - 1]));

    let output = build(school.path(), out.path(), &["--jobs", "2"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = report(out.path());
    assert_eq!(report["built"].as_u64().unwrap() + report["unchanged"].as_u64().unwrap(), 120);
    assert!(report["unchanged"].as_u64().unwrap() > 0, "the rerun should keep finished transcripts: {report}");
    assert_eq!(pdf_names(out.path()).len(), 120);
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert_eq!(read_json(&out.path().join("manifest.json"))["outputs"].as_object().unwrap().len(), 120);
}

#[test]
fn shards_split_the_students_without_overlap() {
    let school = generated_school(30);
    let mut all = Vec::new();
    for k in 0..3 {
        let out = tempfile::tempdir().unwrap();
        let output = build(school.path(), out.path(), &["--shard", &format!("{k}/3"), "--format", "data"]);
        assert!(output.status.success(), "{}", stderr(&output));
        let names: Vec<String> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("GEN-"))
            .collect();
        assert!(!names.is_empty(), "shard {k} is empty");
        for name in &names {
            assert_eq!(mastery::batch::manifest::shard_of(name.trim_end_matches(".json"), 3), k);
        }
        all.extend(names);
    }
    all.sort();
    let count = all.len();
    all.dedup();
    assert_eq!((count, all.len()), (30, 30));
    let output = build(school.path(), tempfile::tempdir().unwrap().path(), &["--shard", "3/3"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("shard 3/3 does not exist: K counts from 0 to N-1"), "{}", stderr(&output));
}

#[test]
fn one_students_fault_does_not_stop_the_batch() {
    let school = generated_school(6);
    let students = school.path().join("students");
    // Sorted first: a record that is invalid, and one no font can render.
    let mut unrenderable = read_json(&root().join("fixtures/small-school/students/s1.json"));
    unrenderable["id"] = "A-FONTS".into();
    unrenderable["name"]["legal"] = "නිමල් පෙරේරා".into(); // Sinhala: in no built-in font
    write_json(&students.join("a1.json"), &unrenderable);
    std::fs::write(students.join("a0.json"), "{\"id\": \"A-BROKEN\"}").unwrap();

    let out = tempfile::tempdir().unwrap();
    let output = build(school.path(), out.path(), &["--jobs", "1"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(pdf_names(out.path()).len(), 6);
    let report = report(out.path());
    assert_eq!(
        (report["built"].as_u64(), report["invalid"].as_u64(), report["failed"].as_u64()),
        (Some(6), Some(1), Some(1))
    );
    let kinds: Vec<&str> = report["problems"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["invalid", "fonts"]);
    assert_eq!(report["problems"][1]["student"], "A-FONTS");
    assert!(stderr(&output).contains("cannot build the transcript of A-FONTS"), "{}", stderr(&output));

    // --fail-fast stops at the first fault.
    let out = tempfile::tempdir().unwrap();
    let output = build(school.path(), out.path(), &["--jobs", "1", "--fail-fast"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("stopped at the first fault (--fail-fast)"), "{}", stderr(&output));
    assert!(pdf_names(out.path()).len() < 6);
}

#[test]
fn generated_students_are_valid_and_the_same_for_the_same_seed() {
    let school = generated_school(40);
    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("40 students, 0 errors"), "{}", stdout(&output));
    let again = generated_school(40);
    assert_eq!(
        std::fs::read(school.path().join("students/generated.jsonl")).unwrap(),
        std::fs::read(again.path().join("students/generated.jsonl")).unwrap()
    );
}

/// The render processes a build started: their process ids.
fn render_workers(build: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Ok(pid) = name.parse::<u32>() else { continue };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The parent's id is the fourth field, after the command in parentheses.
        let parent = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok());
        let command = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if parent == Some(build) && String::from_utf8_lossy(&command).contains("render-worker") {
            found.push(pid);
        }
    }
    found
}

#[test]
fn a_render_process_killed_mid_document_fails_that_student_and_the_batch_completes() {
    let school = generated_school(24);
    // The template dwells on one student (for far longer than any deadline here), so that the
    // test can catch its render process in the middle of that document.
    let template = tempfile::tempdir().unwrap();
    copy_dir(&root().join("templates/default"), template.path());
    let main = template.path().join("transcript.typ");
    let original = std::fs::read_to_string(&main).unwrap();
    let dwell = "#let dwell-data = json(read(\"/data.json\", encoding: none))\n#if dwell-data.student.id == \"GEN-000008\" { for i in range(100000) { for j in range(100000) { } } }\n";
    std::fs::write(&main, format!("{dwell}{original}")).unwrap();

    let out = tempfile::tempdir().unwrap();
    let child = mastery()
        .args(["build", school.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()])
        .args(["--template", template.path().to_str().unwrap(), "--jobs", "1", "--doc-timeout", "300"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // One job renders the students in order: once the seventh is written, the eighth is on.
    let started = Instant::now();
    while !out.path().join("GEN-000007.pdf").exists() {
        assert!(started.elapsed() < Duration::from_secs(120), "the build made no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let workers = render_workers(child.id());
    assert_eq!(workers.len(), 1, "one job, one render process: {workers:?}");
    let killed = std::process::Command::new("kill").args(["-KILL", &workers[0].to_string()]).status().unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stderr).into_owned();

    assert_eq!(output.status.code(), Some(1), "{text}");
    let report = report(out.path());
    assert_eq!((report["built"].as_u64(), report["failed"].as_u64()), (Some(23), Some(1)), "{report:#}");
    assert_eq!(report["problems"][0]["student"], "GEN-000008");
    let message = report["problems"][0]["messages"][0].as_str().unwrap();
    assert!(
        message.contains("the render process stopped in the middle of the document (killed by signal 9)"),
        "{message}"
    );
    assert_eq!(pdf_names(out.path()).len(), 23);
    for name in ["GEN-000007.pdf", "GEN-000009.pdf", "GEN-000024.pdf"] {
        qpdf_check(&out.path().join(name));
    }
}
