//! The hostile corpus (`tests/hostile/`): one school folder per kind of careless or malicious
//! input, each refused with a clear, located message, or failing only the student it concerns,
//! and never a panic, a hang, or an exit code other than the README's. The exact output of
//! each is pinned in `snapshots/hostile@*.snap`.

use std::path::Path;

use crate::common::*;

/// The output of a run, as a registrar would read it: the exit code, then what was printed,
/// with the temporary output folder and the build's timing, which change between runs, left
/// out.
fn transcript_of(output: &std::process::Output, out: &Path) -> String {
    let code = output.status.code().map_or("a signal".to_string(), |c| c.to_string());
    let text = format!("exit {code}\n{}{}", stdout(output), stderr(output)).replace(&out.display().to_string(), "OUT");
    text.lines()
        .map(|line| match line.rfind(" (") {
            Some(at) if line.starts_with("built ") && line.ends_with(" s)") => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_hostile_input_is_refused_or_contained_with_its_place() {
    let mut cases: Vec<String> = std::fs::read_dir(root().join("tests/hostile"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(cases.len() >= 25, "the corpus has {} cases", cases.len());
    for case in cases {
        let folder = format!("tests/hostile/{case}");
        let out = tempfile::tempdir().unwrap();
        let output = if case.starts_with("template-") {
            // A template that never ends fails the one student it runs away on, within the
            // limits; the others are built.
            let template = format!("{folder}/template");
            let args = ["build", &folder, "--out", out.path().to_str().unwrap(), "--template", &template];
            mastery().args(args).args(["--doc-timeout", "3", "--doc-memory", "400", "--jobs", "2"]).output().unwrap()
        } else {
            run(&["validate", &folder])
        };
        let text = transcript_of(&output, out.path());
        let expected = if case == "duplicate-csv-row" { 0 } else { 1 };
        assert_eq!(output.status.code(), Some(expected), "{case}:\n{text}");
        if case.starts_with("template-") {
            let report = read_json(&out.path().join("report.json"));
            assert_eq!((report["built"].as_u64(), report["failed"].as_u64()), (Some(2), Some(1)), "{case}: {report:#}");
            assert_eq!(report["problems"][0]["student"], "S2", "{case}");
            for built in ["S1.pdf", "S3.pdf"] {
                qpdf_check(&out.path().join(built));
            }
        }
        insta::with_settings!({ snapshot_suffix => case.clone(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("hostile", text);
        });
    }
}

#[test]
fn a_student_file_that_links_out_of_the_folder_is_not_read() {
    let school = small_school();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.csv");
    std::fs::write(&secret, "password,door\nhunter2,back\n").unwrap();
    std::os::unix::fs::symlink(&secret, school.path().join("students/export.csv")).unwrap();
    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.contains("students/export.csv:1:1: this file is a link to"), "{text}");
    assert!(text.contains("outside the school folder, so it is not read"), "{text}");
    assert!(!text.contains("hunter2") && !text.contains("password"), "nothing of the file is shown:\n{text}");
    // A link inside the folder is a file of the folder.
    std::fs::remove_file(school.path().join("students/export.csv")).unwrap();
    std::fs::rename(school.path().join("students/s1.json"), school.path().join("s1-kept.json")).unwrap();
    std::os::unix::fs::symlink(school.path().join("s1-kept.json"), school.path().join("students/s1.json")).unwrap();
    assert_eq!(run(&["validate", school.path().to_str().unwrap()]).status.code(), Some(0));
}

#[test]
fn a_school_without_a_students_folder_is_a_usage_error() {
    let school = small_school();
    std::fs::remove_dir_all(school.path().join("students")).unwrap();
    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("has no students/ folder; put the student records in students/"),
        "{}",
        stderr(&output)
    );
    std::fs::write(school.path().join("students"), "not a folder").unwrap();
    let output = run(&["build", school.path().to_str().unwrap(), "--out", school.path().join("out").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("has a students file, not a students/ folder"), "{}", stderr(&output));
}

#[test]
fn a_csv_student_whose_rows_disagree_is_left_out_of_every_output_and_counted_once() {
    let out = tempfile::tempdir().unwrap();
    let folder = "tests/hostile/identity-csv-names-disagree";
    for format in ["pdf", "data", "html"] {
        let output = run(&["build", folder, "--out", out.path().to_str().unwrap(), "--format", format]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let report = read_json(&out.path().join("report.json"));
        assert_eq!(report["records"], 2, "S8 and S9, once each: {report:#}");
        assert_eq!(report["invalid"], 1);
        assert_eq!(report["problems"][0]["student"], "S9");
        assert_eq!(report["problems"][0]["messages"].as_array().unwrap().len(), 2);
        assert!(
            !std::fs::read_dir(out.path()).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().starts_with("S9"))
        );
        assert_eq!(report["built"], 1, "S8 is built: {report:#}");
    }
}
