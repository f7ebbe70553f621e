//! `mastery map`: for the example OneRoster and Ed-Fi schools with parts of their mapping taken
//! out, the proposals a registrar would make, nothing written until `--write`, and a school
//! that validates once they are written.

use std::path::Path;

use crate::common::*;

/// A copy of `fixture` whose `school.json` is changed by `edit`.
fn school_without(fixture: &str, edit: impl FnOnce(&mut serde_json::Value)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join(fixture), dir.path());
    let path = dir.path().join("school.json");
    let mut config = read_json(&path);
    edit(&mut config);
    write_json(&path, &config);
    dir
}

fn map(school: &Path, write: bool) -> (std::process::Output, String) {
    let mut args = vec!["map", school.to_str().unwrap()];
    if write {
        args.push("--write");
    }
    let output = run(&args);
    let text = format!("{}{}", stdout(&output), stderr(&output));
    (output, text)
}

#[test]
fn a_oneroster_objective_and_a_score_are_proposed_and_written_only_when_asked() {
    let school = school_without("fixtures/oneroster-school", |config| {
        let oneroster = &mut config["sources"]["oneroster"];
        oneroster["objectives"].as_object_mut().unwrap().remove("MATH.MOD");
        oneroster.as_object_mut().unwrap().remove("scores");
    });
    let before = std::fs::read(school.path().join("school.json")).unwrap();
    assert_eq!(run(&["validate", school.path().to_str().unwrap()]).status.code(), Some(1));

    let (output, text) = map(school.path(), false);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("sources.oneroster.objectives: \"MATH.MOD\" (2 results, on \"Bridge model\") → \"MAT-1\""),
        "{text}"
    );
    assert!(text.contains("with MAT-1 \"Modelling\""), "{text}");
    assert!(text.contains("sources.oneroster.scores: \"Exceeds Standard\" (1 score) → 4"), "{text}");
    assert!(text.contains("nothing written"), "{text}");
    assert_eq!(std::fs::read(school.path().join("school.json")).unwrap(), before, "nothing is written without --write");

    let (output, text) = map(school.path(), true);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("wrote 2 entries"), "{text}");
    let config = read_json(&school.path().join("school.json"));
    assert_eq!(config["sources"]["oneroster"]["objectives"]["MATH.MOD"], "MAT-1");
    assert_eq!(config["sources"]["oneroster"]["objectives"]["BEHAVIOR.1"], serde_json::Value::Null, "kept as it was");
    assert_eq!(config["sources"]["oneroster"]["scores"]["Exceeds Standard"], 4);
    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let (_, text) = map(school.path(), false);
    assert!(text.contains("maps every objective, standard and score"), "{text}");
}

#[test]
fn ed_fi_descriptors_are_proposed_their_levels_and_an_unclear_grade_is_left_to_the_registrar() {
    let school = school_without("fixtures/edfi-school", |config| {
        config["sources"]["edfi"]["levels"] = serde_json::json!({});
    });
    let (output, text) = map(school.path(), true);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let descriptor = "uri://baypath.example/CompetencyLevelDescriptor#";
    for (code, level) in [("Approaching Standard", 2), ("Meets Standard", 3), ("Exceeds Standard", 4)] {
        assert!(text.contains(&format!("\"{descriptor}{code}\"")), "{code}: {text}");
        let config = read_json(&school.path().join("school.json"));
        assert_eq!(config["sources"]["edfi"]["levels"][format!("{descriptor}{code}")], level, "{code}");
    }
    assert!(text.contains("sources.edfi.levels: \"P\" (1 score) → ?"), "{text}");
    assert!(text.contains("wrote 3 entries") && text.contains("1 left to map by hand"), "{text}");
    // What is left is the letter grade only the school can say the worth of.
    let output = run(&["validate", school.path().to_str().unwrap()]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        report.contains("the letter grade \"P\" is not in sources.edfi.levels") && report.contains("1 error"),
        "{report}"
    );
}
