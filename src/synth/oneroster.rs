//! The synthetic students as a OneRoster 1.2 CSV bundle, the shape a student information
//! system exports: for the round-trip tests (the same students as JSON Lines and as a bundle
//! must give the same transcripts) and the loading benchmark.
//!
//! Each assessor teaches one class; each piece of evidence is one result of a line item of
//! that class, aligned to the credit's learning objective (the CASE GUID that ends the
//! credit's `uri`, else the credit's id). The expected graduation date is the extension
//! column `metadata.expectedGraduation` of `users.csv`, which `school.json` names in
//! `sources.oneroster.expected_graduation`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::load::oneroster::bundle::{TableWriter as Table, bulk_files, headers};
use crate::model::School;

/// The extension column of `users.csv` that holds the expected graduation date.
pub const GRADUATION_COLUMN: &str = "metadata.expectedGraduation";

/// Only what a gradebook export carries of a synthetic student: who they are and their
/// evidence (credit, score, date, assessor), without work samples, approvals or highlights.
pub fn gradebook_only(student: &Value) -> Value {
    let mut record = serde_json::Map::new();
    for key in ["id", "name", "birth_date", "expected_graduation"] {
        record.insert(key.to_string(), student[key].clone());
    }
    let evidence: Vec<Value> = student["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|piece| {
            let mut piece = piece.clone();
            if let Some(object) = piece.as_object_mut() {
                object.remove("work_sample");
            }
            piece
        })
        .collect();
    record.insert("evidence".to_string(), Value::Array(evidence));
    Value::Object(record)
}

/// The learning objective id of each credit.
pub(crate) fn objective(school: &School, credit: &str) -> String {
    let found = school.framework.credits.iter().find(|c| c.id == credit);
    let guid = found
        .and_then(|c| c.uri.as_deref())
        .and_then(|uri| uri.trim_end_matches('/').rsplit('/').next())
        .and_then(|last| uuid::Uuid::parse_str(last).ok());
    match guid {
        Some(guid) => format!("urn:uuid:{guid}"),
        None => credit.to_string(),
    }
}

/// Splits "Given Family" at the first space.
fn split_name(name: &str) -> (&str, &str) {
    name.split_once(' ').unwrap_or((name, ""))
}

/// The files of a OneRoster 1.2 bulk bundle holding `students` (records as
/// [`crate::synth::students`] makes them), by file name.
pub fn bundle(school: &School, students: &[Value], school_year: i32) -> BTreeMap<String, Vec<u8>> {
    let org = "org-1";
    let session = format!("year-{school_year}");

    let mut orgs =
        Table::new(&["sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId"]);
    orgs.row(&[org, "", "", &school.profile.name, "school", "", ""]);
    let mut sessions = Table::new(&headers::ACADEMIC_SESSIONS);
    let year = school_year.to_string();
    let (start, end) = (format!("{}-08-15", school_year - 1), format!("{school_year}-06-30"));
    sessions.row(&[
        &session,
        "",
        "",
        &format!("{}–{school_year}", school_year - 1),
        "schoolYear",
        &start,
        &end,
        "",
        &year,
    ]);
    let mut courses = Table::new(&[
        "sourcedId",
        "status",
        "dateLastModified",
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ]);
    courses.row(&["course-advisory", "", "", &session, "Advisory", "ADV", "", org, "", ""]);
    let mut categories = Table::new(&["sourcedId", "status", "dateLastModified", "title", "weight"]);
    categories.row(&["cat-mastery", "", "", "Mastery evidence", ""]);

    // The assessors, each a teacher with one class, in order of first appearance.
    let mut teachers: Vec<String> = Vec::new();
    for student in students {
        for piece in student["evidence"].as_array().into_iter().flatten() {
            let name = piece["assessor"].as_str().unwrap_or_default();
            if !teachers.iter().any(|t| t == name) {
                teachers.push(name.to_string());
            }
        }
    }
    let mut classes = Table::new(&headers::CLASSES);
    let users_header = [
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "userMasterIdentifier",
        "resourceSourcedIds",
        "preferredGivenName",
        "preferredMiddleName",
        "preferredFamilyName",
        "primaryOrgSourcedId",
        "pronouns",
        GRADUATION_COLUMN,
    ];
    let mut users = Table::new(&users_header);
    let mut enrollments = Table::new(&headers::ENROLLMENTS);
    let empty_user = |id: &str, given: &str, family: &str| {
        let mut row = vec![String::new(); users_header.len()];
        row[0] = id.to_string();
        row[3] = "true".to_string();
        row[4] = id.to_lowercase();
        row[6] = given.to_string();
        row[7] = family.to_string();
        row[9] = id.to_string();
        row[21] = org.to_string();
        row
    };
    for (t, name) in teachers.iter().enumerate() {
        let (id, class) = (format!("teacher-{}", t + 1), format!("class-{}", t + 1));
        let (given, family) = split_name(name);
        let row = empty_user(&id, given, family);
        users.row(&row.iter().map(String::as_str).collect::<Vec<_>>());
        classes.row(&[
            &class,
            "",
            "",
            &format!("Advisory with {name}"),
            "",
            "course-advisory",
            "",
            "scheduled",
            "",
            org,
            &session,
            "",
            "",
            "",
        ]);
        enrollments.row(&[&format!("enr-{id}"), "", "", &class, org, &id, "teacher", "true", "", ""]);
    }

    let mut demographics = Table::new(&["sourcedId", "status", "dateLastModified", "birthDate", "sex"]);
    let mut line_items = Table::new(&headers::LINE_ITEMS);
    let mut aligned = Table::new(&headers::LINE_ITEM_OBJECTIVES);
    let mut results = Table::new(&headers::RESULTS);
    // A line item per class, credit and task number: a student's k-th piece of evidence for a
    // credit from a teacher is that class's task k for the credit.
    let mut items: BTreeMap<(usize, String, usize), String> = BTreeMap::new();
    let (min, max) = (school.scale.min().to_string(), school.scale.max().to_string());
    let source = if school.framework.credits.iter().any(|c| c.uri.is_some()) { "case" } else { "unknown" };
    for student in students {
        let id = student["id"].as_str().unwrap_or_default();
        let (given, family) = split_name(student["name"]["legal"].as_str().unwrap_or_default());
        let mut row = empty_user(id, given, family);
        row[14] = "12".to_string();
        row[23] = student["expected_graduation"].as_str().unwrap_or_default().to_string();
        users.row(&row.iter().map(String::as_str).collect::<Vec<_>>());
        demographics.row(&[id, "", "", student["birth_date"].as_str().unwrap_or_default(), ""]);
        let mut tasks: BTreeMap<(usize, String), usize> = BTreeMap::new();
        let mut enrolled: Vec<usize> = Vec::new();
        for (i, piece) in student["evidence"].as_array().into_iter().flatten().enumerate() {
            let credit = piece["credit"].as_str().unwrap_or_default().to_string();
            let assessor = piece["assessor"].as_str().unwrap_or_default();
            let teacher = teachers.iter().position(|t| t == assessor).unwrap_or(0);
            if !enrolled.contains(&teacher) {
                enrolled.push(teacher);
            }
            let task = tasks.entry((teacher, credit.clone())).or_insert(0);
            *task += 1;
            let next = items.len() + 1;
            let key = (teacher, credit.clone(), *task);
            let date = piece["date"].as_str().unwrap_or_default();
            let item = items.entry(key).or_insert_with(|| {
                let item = format!("li-{next}");
                let class = format!("class-{}", teacher + 1);
                line_items.row(&[
                    &item,
                    "",
                    "",
                    &format!("{credit} task {task}"),
                    "",
                    date,
                    date,
                    &class,
                    "cat-mastery",
                    &session,
                    &min,
                    &max,
                    org,
                ]);
                aligned.row(&[&format!("lo-{next}"), "", "", &item, source, &objective(school, &credit)]);
                item
            });
            let score = piece["score"].to_string();
            let class = format!("class-{}", teacher + 1);
            let note = piece["note"].as_str().unwrap_or_default();
            results.row(&[
                &format!("r-{id}-{}", i + 1),
                "",
                "",
                item,
                id,
                "fully graded",
                &score,
                date,
                note,
                "",
                &class,
                "false",
                "false",
                "false",
                "false",
            ]);
        }
        for teacher in enrolled {
            let class = format!("class-{}", teacher + 1);
            enrollments.row(&[
                &format!("enr-{id}-{}", teacher + 1),
                "",
                "",
                &class,
                org,
                id,
                "student",
                "false",
                "",
                "",
            ]);
        }
    }

    bulk_files(
        vec![
            ("academicSessions", sessions),
            ("categories", categories),
            ("classes", classes),
            ("courses", courses),
            ("demographics", demographics),
            ("enrollments", enrollments),
            ("lineItemLearningObjectiveIds", aligned),
            ("lineItems", line_items),
            ("orgs", orgs),
            ("results", results),
            ("users", users),
        ],
        "mastery gen-fixtures",
    )
}
