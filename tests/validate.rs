//! `mastery validate`: a clean school passes; each broken fixture fails with its exact message.

use crate::common::*;

#[test]
fn the_example_school_is_valid() {
    let output = run(&["validate", "fixtures/example-school"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "fixtures/example-school: 13 files, 12 students, 0 errors, 0 warnings\n");
}

#[test]
fn every_invalid_fixture_fails_with_file_place_and_pointer() {
    let mut cases: Vec<_> =
        std::fs::read_dir(root().join("fixtures/invalid")).unwrap().map(|e| e.unwrap().file_name()).collect();
    cases.sort();
    assert!(cases.len() >= 20, "expected the full set of invalid fixtures");
    for case in cases {
        let case = case.to_string_lossy();
        let path = format!("fixtures/invalid/{case}");
        let output = run(&["validate", &path]);
        let text = stdout(&output);
        assert_eq!(output.status.code(), Some(1), "{case} should be invalid:\n{text}{}", stderr(&output));
        // The first line names file:line:col (and, past parsing, the JSON pointer).
        let first = text.lines().next().unwrap();
        assert!(first.starts_with(&path), "{case}: {first}");
        insta::with_settings!({ snapshot_suffix => case.to_string(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("invalid", text);
        });
    }
}

#[test]
fn json_output_parses_and_every_diagnostic_has_a_place() {
    let output = run(&["validate", "fixtures/invalid/unknown-field", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(report["errors"], 2);
    for diagnostic in report["diagnostics"].as_array().unwrap() {
        assert!(diagnostic["file"].as_str().unwrap().ends_with("school.json"));
        assert!(diagnostic["position"]["line"].as_u64().unwrap() > 0);
    }
}

#[test]
fn a_missing_folder_is_a_usage_error() {
    let output = run(&["validate", "fixtures/no-such-school"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).starts_with("error: cannot read fixtures/no-such-school"), "{}", stderr(&output));
}

#[test]
fn problems_in_several_files_are_all_reported_in_one_run() {
    let school = small_school();
    let students = school.path().join("students");
    let mut second = read_json(&students.join("s1.json"));
    second["id"] = "S2".into();
    second["evidence"][0]["score"] = 9.into();
    write_json(&students.join("s2.json"), &second);
    std::fs::write(students.join("s3.json"), "{ not json").unwrap();
    let output = run(&["validate", school.path().to_str().unwrap()]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(text.contains("s2.json:11:16: /evidence/0/score: score 9 is not on the scale"), "{text}");
    assert!(text.contains("s3.json:1:3: failed to parse JSON (key must be a string)"), "{text}");
    assert!(text.ends_with("4 files, 3 students, 2 errors, 0 warnings\n"), "{text}");
}
