//! Records in every form a registrar has: JSON, JSON Lines, CSV exports; warnings; files too
//! large or too strange to read.

use crate::common::*;

#[test]
fn a_folder_may_mix_json_json_lines_and_csv() {
    let output = run(&["validate", "fixtures/mixed-sources"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    // The CSV students have no highlights: a warning each, which does not fail the run.
    assert!(
        stdout(&output).ends_with("fixtures/mixed-sources: 4 files, 6 students, 0 errors, 2 warnings\n"),
        "{}",
        stdout(&output)
    );

    let out = tempfile::tempdir().unwrap();
    let output = run(&["build", "fixtures/mixed-sources", "--out", out.path().to_str().unwrap(), "--format", "data"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut built: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "manifest.json" && name != "report.json")
        .collect();
    built.sort();
    assert_eq!(built, ["C1.json", "C2.json", "L1.json", "L2.json", "L3.json", "S1.json"]);

    // CSV rows became one record per student, with dates rewritten from the school's format.
    let c2 = read_json(&out.path().join("C2.json"));
    assert_eq!(c2["student"]["legal_name"], "Katherine Johnson");
    assert_eq!(c2["student"]["preferred_name"], "Kathy");
    assert_eq!(c2["student"]["birth_date"], "2008-08-26");
    let mat = &c2["areas"][1]["credits"];
    assert_eq!(mat[0]["calculation"]["evidence"][0]["date"], "2025-09-20");
    // One artifact behind two rows is one work sample for both credits.
    assert_eq!(mat[0]["work_samples"][0]["url"], "https://portfolio.example.org/c2/orbit");
    assert_eq!(mat[1]["work_samples"][0]["title"], "Orbit calculation");
    let wri = &c2["areas"][0]["credits"][0];
    assert_eq!(wri["calculation"]["evidence"][0]["note"], "Quoted, with a comma");
    // The JSON Lines record in Greek.
    assert_eq!(read_json(&out.path().join("L2.json"))["student"]["legal_name"], "Αλέξανδρος Παπαδόπουλος");
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_are_accepted() {
    let bytes = std::fs::read(root().join("fixtures/mixed-sources/students/s1.json")).unwrap();
    assert!(
        bytes.starts_with(b"\xef\xbb\xbf") && bytes.windows(2).any(|w| w == b"\r\n"),
        "the fixture must keep its BOM and CRLF"
    );
    let school = small_school();
    std::fs::write(school.path().join("students/s1.json"), &bytes).unwrap();
    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn json_lines_are_streamed_and_report_their_line() {
    let school = small_school();
    let record = read_json(&school.path().join("students/s1.json"));
    std::fs::remove_file(school.path().join("students/s1.json")).unwrap();
    let mut text = String::new();
    for i in 0..3000 {
        let mut student = record.clone();
        student["id"] = format!("S{i}").into();
        if i == 2500 {
            student["evidence"][0]["score"] = 7.into();
        }
        text.push_str(&serde_json::to_string(&student).unwrap());
        text.push('\n');
    }
    std::fs::write(school.path().join("students/all.jsonl"), text).unwrap();
    let output = run(&["validate", school.path().to_str().unwrap()]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(out.contains("all.jsonl:2501:"), "{out}");
    assert!(out.contains("/evidence/0/score: score 7 is not on the scale"), "{out}");
    assert!(out.ends_with("2 files, 3000 students, 1 error, 0 warnings\n"), "{out}");
}

#[test]
fn warnings_fail_only_when_denied() {
    let output = run(&["validate", "fixtures/warnings"]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&output));
    let output = run(&["validate", "fixtures/warnings", "--deny", "warnings"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_hundred_megabyte_file_is_refused_with_a_reason() {
    let school = small_school();
    let path = school.path().join("students/huge.json");
    let mut text = String::from("{\"id\": \"S2\", \"note\": \"");
    text.push_str(&"x".repeat(100 * 1024 * 1024));
    text.push_str("\"}");
    std::fs::write(&path, text).unwrap();
    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("students/huge.json:1:1: file is larger than 16 MB, far beyond any student record"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_csv_export_can_carry_highlights() {
    let school = small_school();
    let csv = "student_id,legal_name,birth_date,expected_graduation,credit,score,date,assessor,highlight\n\
        S9,Mary Jackson,2008-04-09,2026-06-12,WRI-1,3,2025-10-01,Ms. Reed,I rebuilt the school's weather station.\n\
        S9,Mary Jackson,2008-04-09,2026-06-12,WRI-1,4,2025-11-01,Ms. Reed,I rebuilt the school's weather station.\n\
        S9,Mary Jackson,2008-04-09,2026-06-12,,,,,\"I wrote \"\"Tides\"\", a play staged in 2025.\"\n";
    std::fs::write(school.path().join("students/export.csv"), csv).unwrap();
    let output = run(&["validate", school.path().to_str().unwrap()]);
    // No "no highlights" warning for the CSV student (see the test below for one without).
    assert!(stdout(&output).ends_with("3 files, 2 students, 0 errors, 0 warnings\n"), "{}", stdout(&output));

    let out = tempfile::tempdir().unwrap();
    let output =
        run(&["build", school.path().to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--format", "data"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let data = read_json(&out.path().join("S9.json"));
    assert_eq!(
        data["highlights"],
        serde_json::json!(["I rebuilt the school's weather station.", "I wrote \"Tides\", a play staged in 2025."])
    );
    // The highlight-only row added no evidence.
    let evidence = data["areas"].as_array().unwrap().iter().flat_map(|a| a["credits"].as_array().unwrap().iter());
    let pieces: usize = evidence.map(|c| c["calculation"]["evidence"].as_array().unwrap().len()).sum();
    assert_eq!(pieces, 2);
}

#[test]
fn a_csv_export_with_other_headers_is_mapped_in_school_json() {
    let school = small_school();
    let csv = "ID;Name;DOB;Grad;Std;Pts;When;Who\nS9;Mary Jackson;2008-04-09;2026-06-12;WRI-1;3;2025-10-01;Ms. Reed\n";
    std::fs::write(school.path().join("students/export.csv"), csv).unwrap();
    let mut config = read_json(&school.path().join("school.json"));
    config["sources"] = serde_json::json!({"csv": {"delimiter": ";", "columns": {
        "student_id": "ID", "legal_name": "Name", "birth_date": "DOB", "expected_graduation": "Grad",
        "credit": "Std", "score": "Pts", "date": "When", "assessor": "Who"}}});
    write_json(&school.path().join("school.json"), &config);
    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert!(stdout(&output).ends_with("3 files, 2 students, 0 errors, 1 warning\n"), "{}", stdout(&output));
}
