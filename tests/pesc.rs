//! PESC High School Transcript 1.5.0 XML: every document `mastery` writes validates against the
//! official schemas (`xmllint --schema`), says what the transcript says, travels beside and
//! inside each issued PDF, and a value the schema would refuse is caught at its place in the
//! school's files, with nothing written.

use std::path::Path;

use crate::common::*;

const KEY: &str = "fixtures/keys/example-school.key.json";
const SCHEMA: &str = "tests/data/pesc/HighSchoolTranscript_v1.5.0.xsd";

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What `xmllint --schema` says of the documents: `Ok` when every one validates.
fn xmllint(files: &[&Path]) -> Result<(), String> {
    let output = tool("xmllint").arg("--noout").arg("--schema").arg(root().join(SCHEMA)).args(files).output().unwrap();
    if output.status.success() { Ok(()) } else { Err(format!("{}{}", stdout(&output), stderr(&output))) }
}

/// The text of every element `name` in `xml`, in order (the documents write each element on
/// its own line, without attributes on PESC's own elements).
fn texts(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(&open).skip(1).filter_map(|rest| rest.split_once(&close)).map(|(text, _)| unescape(text)).collect()
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

fn example_school() -> tempfile::TempDir {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    school
}

#[test]
fn every_transcript_of_the_example_school_is_valid_pesc_that_says_what_the_transcript_says() {
    let out = tempfile::tempdir().unwrap();
    let school = root().join("fixtures/example-school");
    let output = run(&["build", path(&school), "--out", path(out.path()), "--format", "pesc"]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    let data = tempfile::tempdir().unwrap();
    let output = run(&["build", path(&school), "--out", path(data.path()), "--format", "data"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let files: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".pesc.xml"))
        .collect();
    assert_eq!(files.len(), 12, "one document per student: {files:?}");
    xmllint(&files.iter().map(|p| p.as_path()).collect::<Vec<_>>()).unwrap();

    let mut graduates = 0;
    for file in &files {
        let xml = std::fs::read_to_string(file).unwrap();
        let id = file.file_name().unwrap().to_str().unwrap().trim_end_matches(".pesc.xml");
        let t = read_json(&data.path().join(format!("{id}.json")));
        assert_eq!(texts(&xml, "SchoolAssignedPersonID"), [id]);
        assert_eq!(texts(&xml, "BirthDate"), [t["student"]["birth_date"].as_str().unwrap()]);
        assert_eq!(texts(&xml, "DocumentOfficialCode"), ["Unofficial"], "a preview is not official");
        assert_eq!(texts(&xml, "CEEBACT"), ["200417", "200417"], "the school as source and in the record");
        // Each credit the transcript shows is a course: its title, value, level, and date.
        let shown: Vec<&serde_json::Value> = t["areas"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["credits"].as_array().unwrap())
            .filter(|c| c["status"] != "not_started")
            .collect();
        assert_eq!(texts(&xml, "CourseTitle"), shown.iter().map(|c| c["title"].as_str().unwrap()).collect::<Vec<_>>());
        assert_eq!(
            texts(&xml, "CourseCreditValue"),
            shown.iter().map(|c| c["value"].as_str().unwrap()).collect::<Vec<_>>()
        );
        let levels: Vec<&str> = shown.iter().filter_map(|c| c["level"].as_str()).collect();
        assert_eq!(texts(&xml, "CourseAcademicGrade"), levels);
        let earned: Vec<&str> = shown
            .iter()
            .filter(|c| c["status"] == "earned" || c["status"] == "exempt")
            .filter_map(|c| c["date_earned"].as_str())
            .collect();
        assert_eq!(texts(&xml, "CourseEndDate"), earned);
        for narrative in texts(&xml, "CourseNarrativeExplanationGrade") {
            assert!(
                narrative.contains("on the school's scale of 1.0 to 4.0, mastery at 3.0 (Proficient)"),
                "{narrative}"
            );
        }
        // Each area, with what it requires and what the student earned there.
        let areas = t["areas"].as_array().unwrap();
        let names: Vec<String> =
            areas.iter().map(|a| a["short_title"].as_str().or(a["title"].as_str()).unwrap().to_string()).collect();
        assert_eq!(texts(&xml, "HighSchoolSubjectAreaName"), names);
        let earned_by_area: Vec<&str> = areas.iter().map(|a| a["earned"]["value"].as_str().unwrap()).collect();
        // The first CourseCreditEarned of each area summary comes before any course's.
        let summary = xml.split("</HighSchoolCreditSummary>").next().unwrap();
        assert_eq!(texts(summary, "CourseCreditEarned"), earned_by_area);
        assert_eq!(texts(&xml, "CreditHoursEarned"), [t["graduation"]["total_earned"].as_str().unwrap()]);
        // The diploma when, and only when, every requirement is met.
        let met = t["graduation"]["status"] == "met";
        assert_eq!(texts(&xml, "AcademicAwardTitle").len(), usize::from(met), "{id}");
        graduates += usize::from(met);
        assert_eq!(texts(&xml, "mastery:CredentialID"), [t["verification"]["credential_id"].as_str().unwrap()]);
    }
    assert!(graduates >= 1, "the example school has graduates");

    // The one name too long to be carried whole goes in its parts.
    let xml = std::fs::read_to_string(out.path().join("HV-2026-006.pesc.xml")).unwrap();
    assert_eq!(texts(&xml, "FirstName"), ["María José de la Santísima Trinidad"]);
    assert_eq!(texts(&xml, "LastName"), ["Fernández-Castellanos y Villalobos"]);
    assert!(texts(&xml, "CompositeName").iter().all(|n| n == "Majo Fernández"), "only the preferred name whole");

    // The oracle refuses what it should: one course title made too long fails the schema.
    let broken = out.path().join("broken.xml");
    let original = std::fs::read_to_string(&files[0]).unwrap();
    let title = &texts(&original, "CourseTitle")[0];
    std::fs::write(&broken, original.replacen(title.as_str(), &"x".repeat(61), 1)).unwrap();
    let refused = xmllint(&[&broken]).unwrap_err();
    assert!(refused.contains("CourseTitle"), "{refused}");
}

#[test]
fn an_issued_version_carries_its_pesc_xml_beside_the_pdf_and_inside_it_bound_by_the_credential() {
    let school = example_school();
    let out = tempfile::tempdir().unwrap();
    let args = ["issue", path(school.path()), "--out", path(out.path()), "--key", KEY, "--pdf-key", PDF_KEY];
    let output = run(&args);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}{}", stdout(&output), stderr(&output));
    let folder = out.path().join("HV-2026-001/v1");
    let beside = folder.join("transcript.pesc.xml");
    xmllint(&[&beside]).unwrap();
    let xml = std::fs::read_to_string(&beside).unwrap();
    assert_eq!(texts(&xml, "DocumentOfficialCode"), ["Official"]);
    assert_eq!(texts(&xml, "TransmissionType"), ["Original"]);
    let credential = read_json(&folder.join("transcript.clr.json"));
    let id = credential["id"].as_str().unwrap();
    assert_eq!(texts(&xml, "mastery:CredentialID"), [id]);
    assert_eq!(texts(&xml, "DocumentID"), [id.trim_start_matches("urn:uuid:").replace('-', "")]);
    let url = texts(&xml, "mastery:VerificationURL");
    assert_eq!(url.len(), 1);
    assert!(url[0].starts_with("https://"), "{url:?}");

    // poppler takes the same bytes out of the PDF.
    let detached = out.path().join("detached.xml");
    let output = tool("pdfdetach")
        .args(["-savefile", "transcript.pesc.xml", "-o"])
        .arg(&detached)
        .arg(folder.join("transcript.pdf"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read(&detached).unwrap(), xml.as_bytes());
    // The credential binds it, and verify checks it.
    let resources = credential["relatedResource"].as_array().unwrap();
    let bound = resources.iter().find(|r| r["id"].as_str().unwrap().ends_with("#transcript.pesc.xml")).unwrap();
    assert_eq!(bound["mediaType"], "application/xml");
    let output = run(&["verify", path(&folder.join("transcript.pdf"))]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    assert!(
        stdout(&output).contains("the attached transcript.pesc.xml is the one the credential binds"),
        "{}",
        stdout(&output)
    );

    // Every issued document, under the college profile and in Arabic too: valid, and without
    // what the profile withholds.
    let college = tempfile::tempdir().unwrap();
    let args_college =
        ["issue", path(school.path()), "--out", path(college.path()), "--key", KEY, "--pdf-key", PDF_KEY];
    let output = run(&[&args_college[..], &["--profile", "college", "--locale", "ar"]].concat());
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}{}", stdout(&output), stderr(&output));
    let mut documents = Vec::new();
    for folder in [out.path(), college.path()] {
        let files = files_under(folder);
        documents.extend(files.keys().filter(|p| p.ends_with("transcript.pesc.xml")).map(|p| folder.join(p)));
    }
    assert!(documents.len() >= 20, "both issues' documents: {documents:?}");
    xmllint(&documents.iter().map(|p| p.as_path()).collect::<Vec<_>>()).unwrap();
    for document in documents.iter().filter(|d| d.starts_with(college.path())) {
        let xml = std::fs::read_to_string(document).unwrap();
        assert!(texts(&xml, "SchoolAssignedPersonID").is_empty() && texts(&xml, "BirthDate").is_empty(), "{xml}");
        assert_eq!(texts(&xml, "mastery:DisclosureProfile"), ["college"]);
    }

    // A later version replaces the first.
    let record = school.path().join("students/hv-2026-001.json");
    let mut student = read_json(&record);
    student["highlights"][0] = serde_json::json!("Led the robotics team to the state final");
    write_json(&record, &student);
    let output = run(&args);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}{}", stdout(&output), stderr(&output));
    let second = std::fs::read_to_string(out.path().join("HV-2026-001/v2/transcript.pesc.xml")).unwrap();
    assert_eq!(texts(&second, "TransmissionType"), ["Replace"]);
}

#[test]
fn a_value_the_pesc_schema_refuses_is_caught_at_its_place_and_nothing_is_written() {
    // A credit title of 61 characters: refused before anything is written, at its place in
    // school.json, by the preview build and by the issue alike.
    let school = example_school();
    let file = school.path().join("school.json");
    let mut json = read_json(&file);
    json["framework"]["credits"][2]["title"] = serde_json::json!("T".repeat(61));
    write_json(&file, &json);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("pesc");
    let output = run(&["build", path(school.path()), "--out", path(&target), "--format", "pesc"]);
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("school.json:") && said.contains("/framework/credits/2/title"), "{said}");
    assert!(said.contains("PESC's CourseTitle holds at most 60 characters"), "{said}");
    assert!(!target.exists(), "nothing is written");
    let issued = out.path().join("issued");
    let output = run(&["issue", path(school.path()), "--out", path(&issued), "--key", KEY, "--pdf-key", PDF_KEY]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("/framework/credits/2/title"), "{}", stderr(&output));
    assert!(!issued.exists() && !school.path().join("ledger.jsonl").exists(), "nothing issued, nothing recorded");
    // The PDF and HTML do not carry PESC's limits.
    let output = run(&["build", path(school.path()), "--out", path(&out.path().join("pdf")), "--format", "html"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // validate says it as a warning, before anyone issues.
    let output = run(&["validate", path(school.path())]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        said.contains("warning") && said.contains("/framework/credits/2/title: warning: PESC's CourseTitle"),
        "{said}"
    );

    // A legal name of 70 characters without its parts: that student fails, located in the
    // record; the others are written.
    let school = example_school();
    let record = school.path().join("students/hv-2026-006.json");
    let mut student = read_json(&record);
    let name = student["name"].as_object_mut().unwrap();
    name.remove("given");
    name.remove("family");
    write_json(&record, &student);
    let target = out.path().join("names");
    let output = run(&["build", path(school.path()), "--out", path(&target), "--format", "pesc"]);
    let said = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("hv-2026-006.json:") && said.contains("/name/legal"), "{said}");
    assert!(
        said.contains("CompositeName holds at most 45 characters") && said.contains("\"given\" and \"family\""),
        "{said}"
    );
    assert!(!target.join("HV-2026-006.pesc.xml").exists());
    assert!(target.join("HV-2026-001.pesc.xml").exists());
}
