//! The Ed-Fi API's JSON, saved as files: one file per resource, named as the resource
//! (`students.json`, `studentGradebookEntries.json`…), each holding the array a `GET` of it
//! returns. Every record keeps the line it starts on.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use serde_json::value::RawValue;

use super::data::{
    Data, Enrolment, Entry, Lines, ObjectiveLevel, Period, Score, Staff, StandardGrade, Student, Teaching, end_year,
    entry_key, period_key,
};
use crate::diag::{Diagnostic, Position};
use crate::load::oneroster::bundle::Place;

/// The resource files read, by name.
pub const FILES: [&str; 9] = [
    "students.json",
    "studentSchoolAssociations.json",
    "staffs.json",
    "staffSectionAssociations.json",
    "gradebookEntries.json",
    "studentGradebookEntries.json",
    "studentCompetencyObjectives.json",
    "gradingPeriods.json",
    "grades.json",
];

/// The text at `path` in `value`: a string as it is, a number as JSON writes it.
fn at(value: &Value, path: &[&str]) -> String {
    let mut at = value;
    for key in path {
        at = &at[*key];
    }
    match at {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Reads `bytes`, the file `name` of the folder at `path`, into `data`. A file that is not a
/// JSON array is a problem of its own, and nothing of it is read.
pub fn read(path: &Path, name: &str, bytes: &[u8], data: &mut Data, problems: &mut Vec<Diagnostic>) {
    let file: Arc<Path> = Arc::from(path);
    let whole = |message: String, line: usize, column: usize| {
        Diagnostic::error(path, message).at(Position { line: line.max(1), column: column.max(1), start: 0, end: 0 })
    };
    let Ok(source) = std::str::from_utf8(bytes) else {
        problems.push(
            whole("the file is not UTF-8 text".to_string(), 1, 1).hint("save it as UTF-8, as the Ed-Fi API returns it"),
        );
        return;
    };
    // The records are split out as slices of the text, then each is read and taken on its own:
    // a large file is never held as values all at once.
    let source = source.trim_start_matches('\u{feff}');
    let records: Vec<&RawValue> = match serde_json::from_str::<Vec<&RawValue>>(source) {
        Ok(records) => records,
        Err(error) if error.is_data() => {
            problems.push(
                whole(format!("{name} holds no JSON array"), 1, 1)
                    .hint("save the array a GET of the resource returns (every page of it), as it is"),
            );
            return;
        }
        Err(error) => {
            problems.push(
                whole(format!("{name} is not valid JSON: {error}"), error.line(), error.column())
                    .hint("save the Ed-Fi API's answer as it is, without editing"),
            );
            return;
        }
    };
    let mut lines = Lines::new(source);
    for raw in records {
        let offset = raw.get().as_ptr() as usize - source.as_ptr() as usize;
        let place = Place { file: file.clone(), line: lines.of(offset) };
        let Ok(r) = serde_json::from_str::<Value>(raw.get()) else { continue };
        let r = &r;
        let t = |path: &[&str]| at(r, path);
        match name {
            "students.json" => data.students.push(Student {
                place,
                id: t(&["studentUniqueId"]),
                first: t(&["firstName"]),
                middle: t(&["middleName"]),
                last: t(&["lastSurname"]),
                preferred_first: t(&["preferredFirstName"]),
                preferred_last: t(&["preferredLastSurname"]),
                birth_date: t(&["birthDate"]),
            }),
            "studentSchoolAssociations.json" => {
                let year = t(&["classOfSchoolYearTypeReference", "schoolYear"]);
                data.enrolments.push(Enrolment {
                    place,
                    student: t(&["studentReference", "studentUniqueId"]),
                    class_of: end_year(&year).to_string(),
                });
            }
            "staffs.json" => {
                let name = [t(&["firstName"]), t(&["lastSurname"])].join(" ").trim().to_string();
                data.staff.push(Staff { place, id: t(&["staffUniqueId"]), name });
            }
            "staffSectionAssociations.json" => data.teaching.push(Teaching {
                place,
                staff: t(&["staffReference", "staffUniqueId"]),
                section: t(&["sectionReference", "sectionIdentifier"]),
                position: t(&["classroomPositionDescriptor"]),
            }),
            "gradebookEntries.json" => {
                let section = match t(&["sectionReference", "sectionIdentifier"]) {
                    section if section.is_empty() => t(&["sourceSectionIdentifier"]),
                    section => section,
                };
                let date = match t(&["dueDate"]) {
                    due if due.is_empty() => t(&["dateAssigned"]),
                    due => due,
                };
                let standards = r["learningStandards"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| at(s, &["learningStandardReference", "learningStandardId"]))
                    .filter(|s| !s.is_empty())
                    .collect();
                data.entries.push(Entry {
                    place,
                    key: entry_key(&t(&["namespace"]), &t(&["gradebookEntryIdentifier"])),
                    section,
                    title: t(&["title"]),
                    date,
                    standards,
                });
            }
            "studentGradebookEntries.json" => data.scores.push(Score {
                place,
                entry: entry_key(
                    &t(&["gradebookEntryReference", "namespace"]),
                    &t(&["gradebookEntryReference", "gradebookEntryIdentifier"]),
                ),
                student: t(&["studentReference", "studentUniqueId"]),
                level: t(&["competencyLevelDescriptor"]),
                letter: t(&["letterGradeEarned"]),
                numeric: t(&["numericGradeEarned"]),
                date: t(&["dateFulfilled"]),
                note: t(&["diagnosticStatement"]),
            }),
            "studentCompetencyObjectives.json" => {
                // Ed-Fi 5 names the reference competencyObjectiveReference; earlier versions,
                // objectiveCompetencyObjectiveReference.
                let objective = match t(&["competencyObjectiveReference", "objective"]) {
                    o if o.is_empty() => t(&["objectiveCompetencyObjectiveReference", "objective"]),
                    o => o,
                };
                let section = r["studentSectionAssociations"]
                    .as_array()
                    .and_then(|a| a.first())
                    .map(|s| at(s, &["studentSectionAssociationReference", "sectionIdentifier"]))
                    .unwrap_or_default();
                data.objectives.push(ObjectiveLevel {
                    place,
                    student: t(&["studentReference", "studentUniqueId"]),
                    objective,
                    level: t(&["competencyLevelDescriptor"]),
                    period: period_key(
                        &t(&["gradingPeriodReference", "gradingPeriodName"]),
                        &t(&["gradingPeriodReference", "schoolYear"]),
                    ),
                    section,
                    note: t(&["diagnosticStatement"]),
                });
            }
            "gradingPeriods.json" => {
                let year = match t(&["schoolYearTypeReference", "schoolYear"]) {
                    y if y.is_empty() => t(&["schoolYear"]),
                    y => y,
                };
                data.periods.push(Period {
                    place,
                    key: period_key(&t(&["gradingPeriodName"]), &year),
                    end: t(&["endDate"]),
                });
            }
            "grades.json" => {
                let association = &r["studentSectionAssociationReference"];
                let student = at(association, &["studentUniqueId"]);
                let section = at(association, &["sectionIdentifier"]);
                let period = period_key(
                    &t(&["gradingPeriodReference", "gradingPeriodName"]),
                    &t(&["gradingPeriodReference", "schoolYear"]),
                );
                for grade in r["learningStandardGrades"].as_array().into_iter().flatten() {
                    data.grades.push(StandardGrade {
                        place: place.clone(),
                        student: student.clone(),
                        section: section.clone(),
                        period: period.clone(),
                        standard: at(grade, &["learningStandardReference", "learningStandardId"]),
                        letter: at(grade, &["letterGradeEarned"]),
                        numeric: at(grade, &["numericGradeEarned"]),
                        note: at(grade, &["diagnosticStatement"]),
                    });
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_record_of_the_array_has_its_line() {
        let text = "[\n  {\"studentUniqueId\": \"[{,\\\"\"},\n  {\"studentUniqueId\": \"S-2\", \"x\": [1, {\"c\": 2}]},\n\n  {\"studentUniqueId\": \"S-3\"}\n]";
        let (mut data, mut problems) = (Data::default(), Vec::new());
        read(Path::new("students.json"), "students.json", text.as_bytes(), &mut data, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let found: Vec<(&str, u32)> = data.students.iter().map(|s| (s.id.as_str(), s.place.line)).collect();
        assert_eq!(found, [("[{,\"", 2), ("S-2", 3), ("S-3", 5)]);
    }

    #[test]
    fn a_file_that_is_not_an_array_of_records_is_a_located_problem() {
        for (text, said) in [("{\"a\": 1}", "holds no JSON array"), ("[\n{\"a\": 1},\n{", "is not valid JSON")] {
            let (mut data, mut problems) = (Data::default(), Vec::new());
            read(Path::new("students.json"), "students.json", text.as_bytes(), &mut data, &mut problems);
            assert_eq!(problems.len(), 1, "{text}");
            assert!(problems[0].message.contains(said), "{}", problems[0].message);
        }
    }
}
