//! OneRoster 1.2 CSV bundles in `students/`: the same students as JSON Lines and as a bundle
//! (a folder, a ZIP) give byte-identical transcript data; the hand-written example bundle
//! (`fixtures/oneroster-school`, after the 1EdTech CSV binding's tables) reads as a registrar
//! expects, deltas and all. Each fault's exact message is pinned by the hostile corpus
//! (`tests/hostile/oneroster-*`).

use std::path::Path;

use crate::common::*;

/// A copy of the small school with no students, reading OneRoster graduation dates from the
/// generator's column.
pub(crate) fn empty_school() -> tempfile::TempDir {
    let school = small_school();
    std::fs::remove_file(school.path().join("students/s1.json")).unwrap();
    let path = school.path().join("school.json");
    let mut config = read_json(&path);
    config["sources"] = serde_json::json!({
        "oneroster": {"expected_graduation": {"column": "metadata.expectedGraduation"}}
    });
    write_json(&path, &config);
    school
}

pub(crate) fn generate(school: &Path, format: &str, out: &str, count: usize) {
    let out = school.join(out);
    let args = ["gen-fixtures", school.to_str().unwrap(), "--students", &count.to_string(), "--format", format];
    let output = mastery().args(args).arg("--out").arg(&out).output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
}

/// The transcript data of every generated student of `school`, by file name.
pub(crate) fn transcripts(school: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    transcripts_of(school, "GEN-")
}

/// The transcript data of the students of `school` whose ids start with `prefix`, by file name.
pub(crate) fn transcripts_of(school: &Path, prefix: &str) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    let output = run(&["build", school.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--format", "data"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut files = files_under(out.path());
    files.retain(|name, _| name.to_string_lossy().starts_with(prefix));
    files
}

#[test]
fn the_same_students_as_json_lines_and_as_a_oneroster_bundle_give_the_same_transcripts() {
    let count = 120;
    let lines = empty_school();
    generate(lines.path(), "gradebook-jsonl", "students/gradebook.jsonl", count);
    let expected = transcripts(lines.path());
    assert_eq!(expected.len(), count);

    for out in ["students/district", "students/district.zip"] {
        let bundle = empty_school();
        generate(bundle.path(), "oneroster", out, count);
        let found = transcripts(bundle.path());
        assert_eq!(found.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{out}");
        for (name, bytes) in &expected {
            assert!(found[name] == *bytes, "{out}: {} differs from the JSON Lines student's", name.display());
        }
    }
}

#[test]
fn the_example_bundle_reads_as_its_tables_say() {
    let school = root().join("fixtures/oneroster-school");
    let output = run(&["validate", school.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let out = tempfile::tempdir().unwrap();
    let output = run(&["build", school.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--format", "data"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let credit = |student: &serde_json::Value, id: &str| {
        let areas = student["areas"].as_array().unwrap();
        areas.iter().flat_map(|a| a["credits"].as_array().unwrap()).find(|c| c["id"] == id).unwrap().clone()
    };
    let evidence = |credit: &serde_json::Value| -> Vec<(String, String, String)> {
        let pieces = credit["calculation"]["evidence"].as_array().unwrap();
        pieces
            .iter()
            .map(|e| {
                let field = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                (field("date"), field("score"), field("assessor"))
            })
            .collect()
    };

    // Ids from `identifier`; the middle name in the legal name.
    let grace = read_json(&out.path().join("S-1001.json"));
    assert_eq!(grace["student"]["legal_name"], "Grace Brewster Hopper");
    assert_eq!(grace["student"]["birth_date"], "2008-12-09");
    assert_eq!(grace["student"]["expected_graduation"], "2026-06-12", "grade 12 graduates this June");
    // By CASE GUID, with the comment as the note.
    let essay = credit(&grace, "WRI-1");
    assert_eq!(evidence(&essay), [("2025-10-01".into(), "3".into(), "Ruth Reed".into())]);
    assert_eq!(essay["calculation"]["evidence"][0]["note"], "Strong claim and evidence");
    // "Advanced" through the line item's score scale; the primary of two teachers assessed it.
    assert_eq!(evidence(&credit(&grace, "MAT-1")), [("2025-11-03".into(), "4".into(), "Carl Cole".into())]);
    // A result's own objective score (resultLearningObjectiveIds), the objective mapped null
    // left out.
    assert_eq!(evidence(&credit(&grace, "MAT-2")), [("2026-01-20".into(), "3".into(), "Carl Cole".into())]);

    // The preferred given name with the family name; grade 11 graduates a year later.
    let alan = read_json(&out.path().join("S-1002.json"));
    assert_eq!(alan["student"]["preferred_name"], "Al Turing");
    assert_eq!(alan["student"]["expected_graduation"], "2027-06-12");
    // The delta bundle replaced the essay's score and date.
    let essay = credit(&alan, "WRI-1");
    assert_eq!(evidence(&essay), [("2026-02-27".into(), "3".into(), "Ruth Reed".into())]);
    assert_eq!(essay["calculation"]["evidence"][0]["note"], "Revised: evidence added");
    // Exempt becomes an exemption, as school.json asks; "not submitted" is no score at all.
    let zine = credit(&alan, "WRI-2");
    assert_eq!(zine["status"], "exempt", "{zine:#}");
    assert_eq!(zine["validated_by"], "Ruth Reed");
    assert_eq!(evidence(&credit(&alan, "MAT-1")), []);

    // A level's label as a text score; the delta removed one result and added another.
    let zoe = read_json(&out.path().join("S-1003.json"));
    assert_eq!(evidence(&credit(&zoe, "WRI-1")), [("2025-10-02".into(), "3".into(), "Ruth Reed".into())]);
    assert_eq!(evidence(&credit(&zoe, "MAT-1")), [("2026-02-20".into(), "3".into(), "Carl Cole".into())]);

    // Extension columns (metadata.bp.homeroom) and demographics beyond the birth date stay out.
    for file in ["S-1001.json", "S-1002.json", "S-1003.json"] {
        let text = std::fs::read_to_string(out.path().join(file)).unwrap();
        for private in ["12A", "11B", "female", "u-s1", "org-bp"] {
            assert!(!text.contains(&format!("\"{private}\"")), "{file} shows {private}");
        }
    }
}

#[test]
fn a_student_left_out_of_a_bundle_is_named_in_the_report_and_the_others_are_built() {
    let school = root().join("tests/hostile/oneroster-scores-disagree-same-day");
    let out = tempfile::tempdir().unwrap();
    let output = run(&["build", school.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--format", "data"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = read_json(&out.path().join("report.json"));
    assert_eq!(report["problems"][0]["student"], "S-1001", "{report:#}");
    assert!(!out.path().join("S-1001.json").exists());
    assert!(out.path().join("S-1002.json").is_file() && out.path().join("S-1003.json").is_file());
}

#[test]
fn a_oneroster_1_1_gradebook_without_objective_files_maps_through_its_line_items() {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/oneroster-school"), school.path());
    std::fs::remove_dir_all(school.path().join("students/district-2026-03-delta")).unwrap();
    let bundle = school.path().join("students/district-2025-09-full");
    // 1.1 had no objective or score-scale files.
    let gone = ["lineItemLearningObjectiveIds", "resultLearningObjectiveIds", "scoreScales", "lineItemScoreScales"];
    for table in gone {
        std::fs::remove_file(bundle.join(format!("{table}.csv"))).unwrap();
    }
    let manifest = std::fs::read_to_string(bundle.join("manifest.csv")).unwrap();
    let manifest: String = manifest
        .lines()
        .map(|line| match line.split_once(',') {
            Some(("oneroster.version", _)) => "oneroster.version,1.1".to_string(),
            Some((property, _)) if gone.iter().any(|t| property == format!("file.{t}")) => format!("{property},absent"),
            _ => line.to_string(),
        })
        .map(|line| line + "\r\n")
        .collect();
    std::fs::write(bundle.join("manifest.csv"), manifest).unwrap();
    let path = school.path().join("school.json");
    let mut config = read_json(&path);
    config["sources"]["oneroster"]["line_items"] =
        serde_json::json!({"li-essay": "WRI-1", "li-zine": "WRI-2", "li-bridge": "MAT-1", "li-survey": null});
    config["sources"]["oneroster"]["scores"] = serde_json::json!({"Advanced": 4});
    write_json(&path, &config);

    let out = tempfile::tempdir().unwrap();
    let output =
        run(&["build", school.path().to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--format", "data"]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    let grace = read_json(&out.path().join("S-1001.json"));
    let credits: Vec<(String, usize)> = grace["areas"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["credits"].as_array().unwrap())
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["calculation"]["evidence"].as_array().unwrap().len()))
        .collect();
    // The essay and the bridge by their line items; the survey left out on purpose.
    let count = |id: &str| credits.iter().find(|(c, _)| c == id).unwrap().1;
    assert_eq!((count("WRI-1"), count("MAT-1"), count("MAT-2")), (1, 1, 0), "{credits:?}");
}
