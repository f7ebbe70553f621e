//! Ed-Fi folders in `students/`: the same students as JSON Lines, as the Ed-Fi API's JSON and
//! as Ed-Fi 5.2 XML interchanges give byte-identical transcript data; every XML file here
//! (generated or in `fixtures/edfi-school`) validates against the Ed-Fi 5.2 XML Schemas with
//! `xmllint`; and the hand-written example reads as a registrar expects, in either form. Each
//! fault's exact message is pinned by the hostile corpus (`tests/hostile/edfi-*`).

use std::path::Path;

use crate::common::*;
use crate::oneroster::{empty_school, generate, transcripts, transcripts_of};

/// Every XML file in `dir` validates against its interchange's schema in `tests/data/edfi/xsd`.
fn assert_valid_interchanges(dir: &Path) {
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "xml") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let schema = root().join(format!("tests/data/edfi/xsd/{stem}.xsd"));
        assert!(schema.is_file(), "{} is named after no interchange schema", path.display());
        let output = tool("xmllint").arg("--noout").arg("--schema").arg(&schema).arg(&path).output().unwrap();
        assert!(output.status.success(), "{} does not validate: {}", path.display(), stderr(&output));
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} interchanges in {}", dir.display());
}

/// `school` reading Ed-Fi graduation dates on the generator's day: its students graduate 11
/// days after the issue date, in their class-of year.
fn with_graduation_day(school: &Path, day: &str) {
    let path = school.join("school.json");
    let mut config = read_json(&path);
    config["sources"]["edfi"] = serde_json::json!({"graduation_day": day});
    write_json(&path, &config);
}

#[test]
fn the_same_students_as_json_lines_and_as_ed_fi_json_and_xml_give_the_same_transcripts() {
    let count = 120;
    let lines = empty_school();
    generate(lines.path(), "gradebook-jsonl", "students/gradebook.jsonl", count);
    let expected = transcripts(lines.path());
    assert_eq!(expected.len(), count);
    let first = std::fs::read_to_string(lines.path().join("students/gradebook.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(first.lines().next().unwrap()).unwrap();
    let day = first["expected_graduation"].as_str().unwrap()[5..].to_string();

    for format in ["edfi-json", "edfi-xml"] {
        let school = empty_school();
        with_graduation_day(school.path(), &day);
        generate(school.path(), format, "students/state-edfi", count);
        if format == "edfi-xml" {
            assert_valid_interchanges(&school.path().join("students/state-edfi"));
        }
        let found = transcripts(school.path());
        assert_eq!(found.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>(), "{format}");
        for (name, bytes) in &expected {
            assert!(found[name] == *bytes, "{format}: {} differs from the JSON Lines student's", name.display());
        }
    }
}

#[test]
fn the_example_interchanges_validate_and_read_as_their_entities_say() {
    let school = root().join("fixtures/edfi-school");
    assert_valid_interchanges(&school.join("students/bay-path-edfi"));
    let output = run(&["validate", school.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let built = transcripts_of(&school, "BP-");
    assert_eq!(built.len(), 3);
    let data =
        |id: &str| -> serde_json::Value { serde_json::from_slice(&built[Path::new(&format!("{id}.json"))]).unwrap() };
    let evidence = |student: &serde_json::Value, credit: &str| -> Vec<(String, String, String)> {
        let mut credits = student["areas"].as_array().unwrap().iter().flat_map(|a| a["credits"].as_array().unwrap());
        let credit = credits.find(|c| c["id"] == credit).unwrap();
        let pieces = credit["calculation"]["evidence"].as_array().unwrap();
        let field = |e: &serde_json::Value, k: &str| e[k].as_str().unwrap_or_default().to_string();
        pieces.iter().map(|e| (field(e, "date"), field(e, "score"), field(e, "assessor"))).collect()
    };
    let own = |date: &str, score: &str, by: &str| (date.to_string(), score.to_string(), by.to_string());

    let ada = data("BP-1001");
    assert_eq!(ada["student"]["legal_name"], "Ada Nneka Okafor");
    assert_eq!(ada["student"]["preferred_name"], "Addy Okafor", "PreferredFirstName with the last name");
    assert_eq!(ada["student"]["expected_graduation"], "2026-06-12", "class of 2025-2026, on graduation_day");
    // By CASE GUID (the writing credits' uri), with the district's descriptors mapped to levels.
    assert_eq!(evidence(&ada, "WRI-1"), [own("2025-09-26", "3", "Rosa Vance")]);
    assert_eq!(evidence(&ada, "WRI-2"), [own("2025-11-07", "4", "Rosa Vance")], "BP.CITIZENSHIP is mapped to null");
    // The teacher of record assesses, not the assistant; a score without DateFulfilled takes
    // its assignment's due date.
    assert_eq!(evidence(&ada, "MAT-1"), [own("2025-10-03", "2", "Malik Osei"), own("2025-11-14", "3", "Malik Osei")]);

    let bruno = data("BP-1002");
    assert_eq!(evidence(&bruno, "WRI-1"), [own("2025-09-26", "1", "Rosa Vance")]);
    // The missing assignment counts for nothing; the section grade's learning standard grade
    // "P" counts, dated by the end of its grading period.
    assert_eq!(evidence(&bruno, "MAT-1"), [own("2026-01-16", "3", "Malik Osei")]);

    let wei = data("BP-1003");
    assert_eq!(wei["student"]["expected_graduation"], "2027-06-12");
    // Ed-Fi's own descriptor, read through the scale's label "Meets".
    assert_eq!(evidence(&wei, "WRI-1"), [own("2025-09-29", "3", "Rosa Vance")]);
    // The competency objective, by the map, dated by its grading period.
    assert_eq!(evidence(&wei, "MAT-2"), [own("2026-01-16", "4", "Malik Osei")]);

    // The same entities as the Ed-Fi API's JSON give the same bytes.
    let json = tempfile::tempdir().unwrap();
    std::fs::copy(school.join("school.json"), json.path().join("school.json")).unwrap();
    copy_dir(&school.join("api-json"), &json.path().join("students/bay-path-api"));
    assert_eq!(transcripts_of(json.path(), "BP-"), built);
}
