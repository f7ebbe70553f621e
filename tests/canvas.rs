//! Canvas's Outcome Results report in `students/`, read by the `canvas-outcome-results` preset
//! with a roster for who the students are: the same generated students as JSON Lines and as
//! the report give byte-identical transcript data; the hand-written example
//! (`fixtures/canvas-school`, in the report's documented columns) reads as a registrar expects;
//! `mastery map` proposes credits for new outcomes by their names. Each fault's exact message
//! is pinned by the hostile corpus (`tests/hostile/canvas-*`).

use std::path::Path;

use crate::common::*;
use crate::oneroster::{empty_school, generate, transcripts};

/// The evidence of credit `id` in a student's transcript data, as (date, score, assessor, note).
fn evidence(student: &serde_json::Value, id: &str) -> Vec<(String, String, String, String)> {
    let areas = student["areas"].as_array().unwrap();
    let credit = areas.iter().flat_map(|a| a["credits"].as_array().unwrap()).find(|c| c["id"] == id).unwrap();
    let pieces = credit["calculation"]["evidence"].as_array().cloned().unwrap_or_default();
    pieces
        .iter()
        .map(|e| {
            let field = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (field("date"), field("score"), field("assessor"), field("note"))
        })
        .collect()
}

#[test]
fn the_same_students_as_json_lines_and_as_a_canvas_report_give_the_same_transcripts() {
    let count = 120;
    let lines = empty_school();
    generate(lines.path(), "gradebook-jsonl", "students/gradebook.jsonl", count);
    let expected = transcripts(lines.path());
    assert_eq!(expected.len(), count);

    let school = empty_school();
    let made = tempfile::tempdir().unwrap();
    generate(school.path(), "canvas", made.path().join("canvas").to_str().unwrap(), count);
    let made = made.path().join("canvas");
    std::fs::rename(made.join("outcome-results.csv"), school.path().join("students/outcome-results.csv")).unwrap();
    std::fs::rename(made.join("roster.csv"), school.path().join("roster.csv")).unwrap();
    let path = school.path().join("school.json");
    let mut config = read_json(&path);
    config["sources"]["csv"] = read_json(&made.join("sources.csv.json"));
    write_json(&path, &config);
    // The report is Canvas's own shape: its header, numeric outcome ids, ISO times with offsets.
    let report = std::fs::read_to_string(school.path().join("students/outcome-results.csv")).unwrap();
    assert!(report.starts_with("student name,student id,student sis id,assessment title,"), "{}", &report[..200]);
    assert!(report.lines().nth(1).unwrap().contains("-05:00,"), "{}", report.lines().nth(1).unwrap());

    let found = transcripts(school.path());
    assert_eq!(found.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (name, bytes) in &expected {
        assert!(found[name] == *bytes, "{} differs from the JSON Lines student's", name.display());
    }
}

#[test]
fn the_example_report_reads_as_its_rows_say() {
    let school = root().join("fixtures/canvas-school");
    let output = run(&["validate", school.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("4 students, 0 errors"), "{}", stdout(&output));
    let out = tempfile::tempdir().unwrap();
    let output = run(&["build", school.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--format", "data"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let row = |date: &str, score: &str, who: &str, note: &str| {
        (date.to_string(), score.to_string(), who.to_string(), note.to_string())
    };

    // Who the student is comes from the roster, not the report's sortable name.
    let zoe = read_json(&out.path().join("S-101.json"));
    assert_eq!(zoe["student"]["legal_name"], "Zoë Müller");
    assert_eq!(zoe["student"]["birth_date"], "2008-03-14");
    assert_eq!(zoe["student"]["expected_graduation"], "2026-06-12");
    // The rating through `scores`; the section's teacher; 22:45 at -05:00 is still 2 December.
    assert_eq!(
        evidence(&zoe, "WRI-1"),
        [
            row("2025-10-01", "3", "Ruth Reed", "Argument essay: school uniforms"),
            row("2025-12-02", "4", "Ruth Reed", "Op-ed revision"),
        ]
    );
    // Two questions of one quiz are two results, each with its question; the behaviour
    // outcome mapped to null is left out.
    assert_eq!(
        evidence(&zoe, "MAT-1"),
        [
            row("2025-11-03", "3", "Carl Cole", "Unit 2 quiz: rates of change: Filling a tank"),
            row("2025-11-03", "3", "Carl Cole", "Unit 2 quiz: rates of change: Cooling coffee"),
        ]
    );
    assert!(!output_has_warning(&school, "repeats line"), "distinct questions are not a repeated row");

    let kwame = read_json(&out.path().join("S-102.json"));
    assert_eq!(kwame["student"]["preferred_name"], "Kojo Mensah");
    assert_eq!(evidence(&kwame, "MAT-2"), [row("2026-02-14", "3", "Carl Cole", "Survey study")]);

    // A deleted enrollment's result still counts; a second attempt is read as written.
    let aiyana = read_json(&out.path().join("S-103.json"));
    assert_eq!(aiyana["student"]["expected_graduation"], "2027-06-11");
    assert_eq!(evidence(&aiyana, "WRI-2"), [row("2025-11-20", "3", "Ruth Reed", "Zine")]);
    assert_eq!(
        evidence(&aiyana, "MAT-1"),
        [row("2025-11-03", "2", "Carl Cole", "Unit 2 quiz: rates of change: Filling a tank")]
    );
}

/// Whether `mastery validate` of `school` prints a warning containing `text`.
fn output_has_warning(school: &Path, text: &str) -> bool {
    stdout(&run(&["validate", school.to_str().unwrap()])).lines().any(|l| l.contains("warning") && l.contains(text))
}

#[test]
fn a_new_canvas_outcome_is_proposed_the_credit_its_name_shares_words_with() {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/canvas-school"), school.path());
    let path = school.path().join("school.json");
    let mut config = read_json(&path);
    config["sources"]["csv"]["credits"].as_object_mut().unwrap().remove("2202");
    write_json(&path, &config);
    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output)
            .contains("learning outcome id \"2202\" (\"Statistics\") maps to no credit, so its 2 rows are left out"),
        "{}",
        stdout(&output)
    );

    let output = run(&["map", school.path().to_str().unwrap(), "--write"]);
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("sources.csv.credits: \"2202\" (2 results, on \"Statistics\") → \"MAT-2\""), "{text}");
    assert_eq!(read_json(&path)["sources"]["csv"]["credits"]["2202"], "MAT-2");
    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}
