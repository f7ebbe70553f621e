//! `mastery import-case`: frameworks from real 1EdTech CASE packages.

use serde_json::{Value, json};

use crate::common::*;

const ORDERING: &str = "tests/data/case/examples/Ordering.json";

fn package() -> Value {
    let path = root().join(ORDERING);
    serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| {
            panic!("cannot read {} ({e}): the tests read their data from tests/data", path.display())
        }),
    )
    .unwrap()
}

#[test]
fn the_act_framework_imports_as_areas_and_credits() {
    let output = run(&["import-case", ORDERING]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "imported 1 area and 24 credits\n");
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn an_imported_framework_validates_and_renders() {
    let school = small_school();
    let school_json = school.path().join("school.json");
    let output = run(&[
        "import-case",
        ORDERING,
        "--into",
        school_json.to_str().unwrap(),
        "--out",
        school_json.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The old requirements named the old areas; a registrar sets new ones.
    let mut config = read_json(&school_json);
    config["graduation"] = json!({"total_credits": 2, "areas": {"H.A.MATH.GM": {"credits": 2}}});
    write_json(&school_json, &config);
    let student_path = school.path().join("students/s1.json");
    let mut student = read_json(&student_path);
    student["evidence"] = json!([
        {"credit": "H.A.MATH.GM.PF.2DFP.L1.1", "score": 3, "date": "2025-10-01", "assessor": "Ms. Reed"},
        {"credit": "H.A.MATH.GM.PF.2DFP.L1.2", "score": 4, "date": "2025-11-03", "assessor": "Mr. Cole"}
    ]);
    student["work_samples"] = json!([]);
    write_json(&student_path, &student);

    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let out = tempfile::tempdir().unwrap();
    let output = run(&["build", school.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = squash(&pdf_text(&out.path().join("S1.pdf")));
    assert!(text.contains(&squash("Geometry and Measurement")), "{text}");
    assert!(text.contains(&squash("Differentiate between straight and curved lines")), "{text}");
}

#[test]
fn a_case_1_1_package_orders_by_sequence_number_and_brings_its_rubric() {
    let mut package = package();
    // Make it CASE 1.1: no 1.0 keys; number the leaves in reverse; add a rubric.
    package["CFDocument"].as_object_mut().unwrap().remove("CFPackageURI");
    for list in ["CFItems", "CFAssociations"] {
        for entry in package[list].as_array_mut().unwrap() {
            entry.as_object_mut().unwrap().remove("CFDocumentURI");
        }
    }
    let count = package["CFAssociations"].as_array().unwrap().len();
    for (i, association) in package["CFAssociations"].as_array_mut().unwrap().iter_mut().enumerate() {
        association["sequenceNumber"] = json!(count - i);
    }
    let level = |score: i64, quality: &str| json!({"identifier": format!("00000000-0000-4000-8000-00000000000{score}"), "uri": format!("https://example.org/l{score}"), "lastChangeDateTime": "2026-01-01T00:00:00+00:00", "score": score, "quality": quality, "description": format!("{quality} work")});
    package["CFRubrics"] = json!([{
        "identifier": "00000000-0000-4000-8000-000000000010", "uri": "https://example.org/r1", "lastChangeDateTime": "2026-01-01T00:00:00+00:00",
        "CFRubricCriteria": [{"identifier": "00000000-0000-4000-8000-000000000011", "uri": "https://example.org/c1", "lastChangeDateTime": "2026-01-01T00:00:00+00:00",
            "CFRubricCriterionLevels": [level(3, "Proficient"), level(1, "Beginning"), level(4, "Advanced"), level(2, "Developing")]}]
    }]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("package.json");
    write_json(&path, &package);
    let output = run(&["import-case", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let imported: Value = serde_json::from_slice(&output.stdout).unwrap();
    let credits = imported["framework"]["credits"].as_array().unwrap();
    // The associations were listed 1..n and numbered n..1, so the order reverses.
    assert_eq!(credits.first().unwrap()["title"], "(MISCONCEPTION) 2-D shapes are considered \"skinny\" 3-D shapes");
    let labels: Vec<&str> =
        imported["scale"]["levels"].as_array().unwrap().iter().map(|l| l["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Beginning", "Developing", "Proficient", "Advanced"]);
    assert_eq!(imported["scale"]["mastery_threshold"], 3);
    assert_eq!(stderr(&output), "imported 1 area and 24 credits; the scale comes from the package's rubric\n");
}

#[test]
fn a_broken_package_is_refused_with_its_place() {
    let mut package = package();
    package["CFItems"][3].as_object_mut().unwrap().remove("fullStatement");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("package.json");
    write_json(&path, &package);
    let output = run(&["import-case", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("package.json:")
            && err.contains(": /CFItems/3: not a valid CASE package here (\"fullStatement\" is a required property)"),
        "{err}"
    );
    assert!(err.ends_with("nothing imported\n"), "{err}");
}
