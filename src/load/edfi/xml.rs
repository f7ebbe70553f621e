//! Ed-Fi XML interchange files (`InterchangeStudent`, `InterchangeStudentGradebook`…): read
//! as a stream, one entity (a child of the interchange's root) at a time, each held as a small
//! tree while its fields are taken.

use std::path::Path;
use std::sync::Arc;

use quick_xml::events::Event;

use super::data::{
    Data, Enrolment, Entry, Lines, ObjectiveLevel, Period, Score, Staff, StandardGrade, Student, Teaching, end_year,
    entry_key, period_key,
};
use crate::diag::{Diagnostic, Position};
use crate::load::oneroster::bundle::Place;

/// An element of an entity, with its text and the line it starts on.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    line: u32,
    children: Vec<Node>,
}

impl Node {
    /// The child named `name`.
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first element named `name` at any depth below this one.
    fn find(&self, name: &str) -> String {
        fn walk<'n>(node: &'n Node, name: &str) -> Option<&'n Node> {
            node.children.iter().find_map(|c| if c.name == name { Some(c) } else { walk(c, name) })
        }
        walk(self, name).map(|n| n.text.trim().to_string()).unwrap_or_default()
    }

    /// The text of the child `name`.
    fn get(&self, name: &str) -> String {
        self.child(name).map(|n| n.text.trim().to_string()).unwrap_or_default()
    }

    /// The text of the first `name` below the child `under`.
    fn under(&self, under: &str, name: &str) -> String {
        self.child(under).map(|n| n.find(name)).unwrap_or_default()
    }
}

/// Takes the fields of one entity into `data`.
fn take(entity: &Node, place: Place, data: &mut Data) {
    let e = entity;
    match e.name.as_str() {
        "Student" => data.students.push(Student {
            place,
            id: e.get("StudentUniqueId"),
            first: e.under("Name", "FirstName"),
            middle: e.under("Name", "MiddleName"),
            last: e.under("Name", "LastSurname"),
            preferred_first: e.under("Name", "PreferredFirstName"),
            preferred_last: e.under("Name", "PreferredLastSurname"),
            birth_date: e.under("BirthData", "BirthDate"),
        }),
        "StudentSchoolAssociation" => data.enrolments.push(Enrolment {
            place,
            student: e.under("StudentReference", "StudentUniqueId"),
            class_of: end_year(&e.get("ClassOfSchoolYear")).to_string(),
        }),
        "Staff" => {
            let name = [e.under("Name", "FirstName"), e.under("Name", "LastSurname")].join(" ").trim().to_string();
            data.staff.push(Staff { place, id: e.get("StaffUniqueId"), name });
        }
        "StaffSectionAssociation" => data.teaching.push(Teaching {
            place,
            staff: e.under("StaffReference", "StaffUniqueId"),
            section: e.under("SectionReference", "SectionIdentifier"),
            position: e.get("ClassroomPosition"),
        }),
        "GradebookEntry" => {
            let section = match e.under("SectionReference", "SectionIdentifier") {
                s if s.is_empty() => e.get("SourceSectionIdentifier"),
                s => s,
            };
            let date = match e.get("DueDate") {
                d if d.is_empty() => e.get("DateAssigned"),
                d => d,
            };
            let standards = e
                .children
                .iter()
                .filter(|c| c.name == "LearningStandardReference")
                .map(|c| c.find("LearningStandardId"))
                .filter(|s| !s.is_empty())
                .collect();
            data.entries.push(Entry {
                place,
                key: entry_key(&e.get("Namespace"), &e.get("GradebookEntryIdentifier")),
                section,
                title: e.get("Title"),
                date,
                standards,
            });
        }
        "StudentGradebookEntry" => data.scores.push(Score {
            place,
            entry: entry_key(
                &e.under("GradebookEntryReference", "Namespace"),
                &e.under("GradebookEntryReference", "GradebookEntryIdentifier"),
            ),
            student: e.under("StudentReference", "StudentUniqueId"),
            level: e.get("CompetencyLevel"),
            letter: e.get("LetterGradeEarned"),
            numeric: e.get("NumericGradeEarned"),
            date: e.get("DateFulfilled"),
            note: e.get("DiagnosticStatement"),
        }),
        "StudentCompetencyObjective" => data.objectives.push(ObjectiveLevel {
            place,
            student: e.under("StudentReference", "StudentUniqueId"),
            objective: e.under("CompetencyObjectiveReference", "Objective"),
            level: e.get("CompetencyLevel"),
            period: period_key(
                &e.under("GradingPeriodReference", "GradingPeriodName"),
                &e.under("GradingPeriodReference", "SchoolYear"),
            ),
            section: e.under("StudentSectionAssociationReference", "SectionIdentifier"),
            note: e.get("DiagnosticStatement"),
        }),
        "GradingPeriod" => data.periods.push(Period {
            place,
            key: period_key(&e.get("GradingPeriodName"), &e.get("SchoolYear")),
            end: e.get("EndDate"),
        }),
        "Grade" => {
            let student = e.under("StudentSectionAssociationReference", "StudentUniqueId");
            let section = e.under("StudentSectionAssociationReference", "SectionIdentifier");
            let period = period_key(
                &e.under("GradingPeriodReference", "GradingPeriodName"),
                &e.under("GradingPeriodReference", "SchoolYear"),
            );
            for grade in e.children.iter().filter(|c| c.name == "LearningStandardGrade") {
                data.grades.push(StandardGrade {
                    place: Place { file: place.file.clone(), line: grade.line },
                    student: student.clone(),
                    section: section.clone(),
                    period: period.clone(),
                    standard: grade.under("LearningStandardReference", "LearningStandardId"),
                    letter: grade.get("LetterGradeEarned"),
                    numeric: grade.get("NumericGradeEarned"),
                    note: grade.get("DiagnosticStatement"),
                });
            }
        }
        _ => {}
    }
}

/// The line of the first `<` at or after byte `offset` of `text`: where an element starts.
fn line_of(lines: &mut Lines, text: &str, offset: usize) -> u32 {
    let offset = offset.min(text.len());
    lines.of(text[offset..].find('<').map_or(text.len(), |k| offset + k))
}

/// Reads `bytes`, the interchange file at `path`, into `data`. A file that is not well-formed
/// XML, or not an Ed-Fi interchange, is a problem; what came before the fault is kept (the
/// whole file is then refused by the caller).
pub fn read(path: &Path, bytes: &[u8], data: &mut Data, problems: &mut Vec<Diagnostic>) {
    let file: Arc<Path> = Arc::from(path);
    let at_line = |line: u32, message: String| {
        Diagnostic::error(path, message).at(Position { line: line as usize, column: 1, start: 0, end: 0 })
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        problems.push(at_line(1, "the file is not UTF-8 text".to_string()).hint("Ed-Fi interchanges are UTF-8"));
        return;
    };
    // Text is kept as it is (an entity reference splits it, and trimming each part would
    // lose the spaces around it); values are trimmed when taken.
    let mut reader = quick_xml::Reader::from_str(text);
    let mut lines = Lines::new(text);
    let mut stack: Vec<Node> = Vec::new();
    let mut depth = 0usize;
    loop {
        let before = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(error) => {
                let line = line_of(&mut lines, text, reader.error_position() as usize);
                problems.push(
                    at_line(line, format!("the file is not well-formed XML: {error}"))
                        .hint("export the interchange again; a file cut short or edited by hand is refused whole"),
                );
                return;
            }
        };
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Start(start) | Event::Empty(start) if depth == 0 => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                if !name.starts_with("Interchange") {
                    problems.push(
                        at_line(line_of(&mut lines, text, before), format!("the root element is <{name}>, not an Ed-Fi interchange"))
                            .hint("only Ed-Fi XML interchanges (InterchangeStudent, InterchangeStudentGradebook…) go in an Ed-Fi folder"),
                    );
                    return;
                }
                depth = usize::from(opens);
            }
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                stack.push(Node { name, line: line_of(&mut lines, text, before), ..Node::default() });
                depth += 1;
            }
            Event::Empty(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let node = Node { name, line: line_of(&mut lines, text, before), ..Node::default() };
                close(node, &mut stack, &file, data);
            }
            Event::Text(content) => {
                if let (Some(top), Ok(content)) = (stack.last_mut(), content.xml_content()) {
                    top.text.push_str(&content);
                }
            }
            Event::CData(content) => {
                if let (Some(top), Ok(content)) = (stack.last_mut(), content.decode()) {
                    top.text.push_str(&content);
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => reference
                        .decode()
                        .ok()
                        .and_then(|name| quick_xml::escape::resolve_predefined_entity(&name).map(str::to_string)),
                };
                if let (Some(top), Some(resolved)) = (stack.last_mut(), resolved) {
                    top.text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if let Some(node) = stack.pop() {
                    close(node, &mut stack, &file, data);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
}

/// A finished element: a child of the one above it, or, at the top, an entity to take.
fn close(node: Node, stack: &mut [Node], file: &Arc<Path>, data: &mut Data) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => {
            let place = Place { file: file.clone(), line: node.line };
            take(&node, place, data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interchange_gives_its_entities_with_their_lines() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<InterchangeStudentGradebook xmlns="http://ed-fi.org/5.2.0">
  <GradebookEntry>
    <GradebookEntryIdentifier>GE-1</GradebookEntryIdentifier>
    <Namespace>uri://school.example/gradebook</Namespace>
    <SourceSectionIdentifier>SEC-1</SourceSectionIdentifier>
    <DateAssigned>2025-10-01</DateAssigned>
    <Title>Essay &amp; reflection</Title>
    <LearningStandardReference><LearningStandardIdentity><LearningStandardId>WRI-1</LearningStandardId></LearningStandardIdentity></LearningStandardReference>
    <LearningStandardReference><LearningStandardIdentity><LearningStandardId>WRI-2</LearningStandardId></LearningStandardIdentity></LearningStandardReference>
  </GradebookEntry>
  <StudentGradebookEntry>
    <GradebookEntryReference><GradebookEntryIdentity>
      <GradebookEntryIdentifier>GE-1</GradebookEntryIdentifier>
      <Namespace>uri://school.example/gradebook</Namespace>
    </GradebookEntryIdentity></GradebookEntryReference>
    <StudentReference><StudentIdentity><StudentUniqueId>S-1</StudentUniqueId></StudentIdentity></StudentReference>
    <CompetencyLevel>uri://ed-fi.org/CompetencyLevelDescriptor#Proficient</CompetencyLevel>
    <DiagnosticStatement>Clear &#x2014; well argued</DiagnosticStatement>
  </StudentGradebookEntry>
</InterchangeStudentGradebook>"#;
        let (mut data, mut problems) = (Data::default(), Vec::new());
        read(Path::new("g.xml"), xml.as_bytes(), &mut data, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(data.entries.len(), 1);
        let entry = &data.entries[0];
        assert_eq!(entry.place.line, 3);
        assert_eq!(entry.key, "uri://school.example/gradebook#GE-1");
        assert_eq!((entry.section.as_str(), entry.date.as_str()), ("SEC-1", "2025-10-01"));
        assert_eq!(entry.standards, ["WRI-1", "WRI-2"]);
        let score = &data.scores[0];
        assert_eq!((score.place.line, score.entry.as_str(), score.student.as_str()), (12, entry.key.as_str(), "S-1"));
        assert_eq!(score.level, "uri://ed-fi.org/CompetencyLevelDescriptor#Proficient");
        assert_eq!(score.note, "Clear — well argued");
    }

    #[test]
    fn a_broken_or_foreign_file_is_a_located_problem() {
        let (mut data, mut problems) = (Data::default(), Vec::new());
        read(Path::new("g.xml"), b"<InterchangeStudent>\n<Student>\n</Stud>", &mut data, &mut problems);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("not well-formed"), "{}", problems[0].message);
        let mut problems = Vec::new();
        read(Path::new("g.xml"), b"<html><body/></html>", &mut data, &mut problems);
        assert!(problems[0].message.contains("not an Ed-Fi interchange"), "{}", problems[0].message);
    }
}
