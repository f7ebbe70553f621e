//! The synthetic students as a school on Canvas has them: Canvas's Outcome Results report (one
//! row per outcome result, in the report's own columns) and the roster from the student
//! information system that says who the students are, with the `sources.csv` settings that
//! read the two, for the round-trip tests.
//!
//! Each credit is a Canvas outcome with a numeric id (1001, 1002…, in the framework's order);
//! each assessor teaches one section, `SEC-1`, `SEC-2`…, in order of first appearance. The
//! submission date is a time of day with a US offset, late evenings included, whose date is
//! the evidence's date.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::load::oneroster::bundle::TableWriter as Table;
use crate::model::School;

/// The report's columns, in the order Canvas writes them.
pub const HEADER: [&str; 32] = [
    "student name",
    "student id",
    "student sis id",
    "assessment title",
    "assessment id",
    "assessment type",
    "submission date",
    "submission score",
    "learning outcome name",
    "learning outcome id",
    "attempt",
    "outcome score",
    "assessment question",
    "assessment question id",
    "course name",
    "course id",
    "course sis id",
    "section name",
    "section id",
    "section sis id",
    "assignment url",
    "learning outcome friendly name",
    "learning outcome points possible",
    "learning outcome mastery score",
    "learning outcome mastered",
    "learning outcome rating",
    "learning outcome rating points",
    "learning outcome group title",
    "learning outcome group id",
    "account id",
    "account name",
    "enrollment state",
];

/// The files (`outcome-results.csv`, `roster.csv`, and `sources.csv.json`: the settings that
/// read them, for `school.json`'s `sources.csv`) of `students` (gradebook records, as
/// [`crate::synth::oneroster::gradebook_only`] gives them).
pub fn report(school: &School, students: &[Value]) -> BTreeMap<String, Vec<u8>> {
    let credits = &school.framework.credits;
    let outcome = |credit: &str| credits.iter().position(|c| c.id == credit).map_or(0, |i| 1001 + i);
    let mut sections: Vec<String> = Vec::new();
    let mut results = Table::new(&HEADER);
    let mut roster = Table::new(&["student_id", "legal_name", "birth_date", "expected_graduation"]);
    for (n, student) in students.iter().enumerate() {
        let id = student["id"].as_str().unwrap_or_default();
        let name = student["name"]["legal"].as_str().unwrap_or_default();
        roster.row(&[
            id,
            name,
            student["birth_date"].as_str().unwrap_or_default(),
            student["expected_graduation"].as_str().unwrap_or_default(),
        ]);
        let canvas_user = (5000 + n).to_string();
        for (k, piece) in student["evidence"].as_array().into_iter().flatten().enumerate() {
            let credit = piece["credit"].as_str().unwrap_or_default();
            let title = credits.iter().find(|c| c.id == credit).map_or("", |c| c.title.as_str());
            let teacher = piece["assessor"].as_str().unwrap_or_default();
            let section = match sections.iter().position(|t| t == teacher) {
                Some(i) => i + 1,
                None => {
                    sections.push(teacher.to_string());
                    sections.len()
                }
            };
            let score = piece["score"].as_f64().map_or_else(String::new, |s| format!("{s:?}"));
            // Evenings in Chicago: the date as written is the student's own date.
            let hour = 8 + (n + k) % 16;
            let date = format!("{}T{hour:02}:{:02}:00-05:00", piece["date"].as_str().unwrap_or_default(), (k * 7) % 60);
            let assessment = (70_000 + n * 100 + k).to_string();
            let (outcome_id, section_id) = (outcome(credit).to_string(), format!("SEC-{section}"));
            results.row(&[
                name,
                &canvas_user,
                id,
                piece["note"].as_str().unwrap_or_default(),
                &assessment,
                "assignment",
                &date,
                &score,
                title,
                &outcome_id,
                "1",
                &score,
                "",
                "",
                "Mastery evidence",
                "301",
                "MASTERY",
                &format!("{teacher}'s section"),
                &(400 + section).to_string(),
                &section_id,
                &format!("https://school.instructure.com/courses/301/assignments/{assessment}"),
                credit,
                "4.0",
                "3.0",
                "",
                "",
                "",
                "",
                "",
                "1",
                &school.profile.name,
                "active",
            ]);
        }
    }
    let map: BTreeMap<String, &str> =
        credits.iter().enumerate().map(|(i, c)| ((1001 + i).to_string(), c.id.as_str())).collect();
    let assessors: BTreeMap<String, &str> =
        sections.iter().enumerate().map(|(i, t)| (format!("SEC-{}", i + 1), t.as_str())).collect();
    let settings = json!({
        "preset": "canvas-outcome-results",
        "roster": "roster.csv",
        "credits": map,
        "assessors": assessors,
    });
    let mut settings = serde_json::to_vec_pretty(&settings).expect("JSON values serialize");
    settings.push(b'\n');
    BTreeMap::from([
        ("outcome-results.csv".to_string(), results.bytes()),
        ("roster.csv".to_string(), roster.bytes()),
        ("sources.csv.json".to_string(), settings),
    ])
}
