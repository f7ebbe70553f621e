//! The synthetic students as Ed-Fi data: the API's JSON resources, or the XML interchanges of
//! Ed-Fi 5.2, for the round-trip tests (the same students as JSON Lines and as Ed-Fi must give
//! the same transcripts).
//!
//! Each assessor is a member of staff, the teacher of record of one section; each piece of
//! evidence is a student's score (`numericGradeEarned`, `dateFulfilled`) on a gradebook entry
//! of that section, aligned to the credit's learning standard (the CASE GUID that ends the
//! credit's `uri`, else the credit's id). A student's class-of year is the year of their
//! expected graduation date; `school.json` names the day in `sources.edfi.graduation_day`.

use std::collections::BTreeMap;

use quick_xml::escape::escape;
use serde_json::{Value, json};

use crate::model::School;

/// The namespace of the generated gradebook entries.
const NAMESPACE: &str = "uri://mastery.example/gradebook";
/// The generated school's id.
const SCHOOL_ID: u64 = 100_001;
/// The classroom position of every generated teacher.
const TEACHER_OF_RECORD: &str = "uri://ed-fi.org/ClassroomPositionDescriptor#Teacher of Record";

/// A gradebook entry: its identifier, section, title, date and learning standard.
struct Entry {
    id: String,
    section: String,
    title: String,
    date: String,
    standard: String,
}

/// A score: the entry, the student, the grade, the date, the note.
struct Score {
    entry: String,
    student: String,
    grade: String,
    date: String,
    note: String,
}

/// The students and their gradebook, as both forms write them.
struct Gradebook<'s> {
    students: &'s [Value],
    teachers: Vec<String>,
    entries: Vec<Entry>,
    scores: Vec<Score>,
    school_year: i32,
}

/// Splits "Given Family" at the first space.
fn split_name(name: &str) -> (&str, &str) {
    name.split_once(' ').unwrap_or((name, ""))
}

fn gradebook<'s>(school: &School, students: &'s [Value], school_year: i32) -> Gradebook<'s> {
    let mut teachers: Vec<String> = Vec::new();
    let mut entries = Vec::new();
    let mut scores = Vec::new();
    let mut by_task: BTreeMap<(usize, String, usize), String> = BTreeMap::new();
    for student in students {
        let id = student["id"].as_str().unwrap_or_default();
        let mut tasks: BTreeMap<(usize, String), usize> = BTreeMap::new();
        for piece in student["evidence"].as_array().into_iter().flatten() {
            let assessor = piece["assessor"].as_str().unwrap_or_default();
            let teacher = match teachers.iter().position(|t| t == assessor) {
                Some(t) => t,
                None => {
                    teachers.push(assessor.to_string());
                    teachers.len() - 1
                }
            };
            let credit = piece["credit"].as_str().unwrap_or_default().to_string();
            let date = piece["date"].as_str().unwrap_or_default().to_string();
            let task = tasks.entry((teacher, credit.clone())).or_insert(0);
            *task += 1;
            let next = entries.len() + 1;
            let entry = by_task.entry((teacher, credit.clone(), *task)).or_insert_with(|| {
                let id = format!("GE-{next}");
                entries.push(Entry {
                    id: id.clone(),
                    section: format!("SEC-{}", teacher + 1),
                    title: format!("{credit} task {task}"),
                    date: date.clone(),
                    standard: super::oneroster::objective(school, &credit),
                });
                id
            });
            scores.push(Score {
                entry: entry.clone(),
                student: id.to_string(),
                grade: piece["score"].to_string(),
                date,
                note: piece["note"].as_str().unwrap_or_default().to_string(),
            });
        }
    }
    Gradebook { students, teachers, entries, scores, school_year }
}

impl Gradebook<'_> {
    fn session(&self) -> String {
        format!("{}-{} School Year", self.school_year - 1, self.school_year)
    }

    fn section_reference(&self, section: &str) -> Value {
        json!({
            "localCourseCode": "ADV", "schoolId": SCHOOL_ID, "schoolYear": self.school_year,
            "sectionIdentifier": section, "sessionName": self.session()
        })
    }

    /// The API's resources, by file name.
    fn resources(&self) -> BTreeMap<String, Value> {
        let students: Vec<Value> = self
            .students
            .iter()
            .map(|s| {
                let (given, family) = split_name(s["name"]["legal"].as_str().unwrap_or_default());
                json!({"studentUniqueId": s["id"], "firstName": given, "lastSurname": family, "birthDate": s["birth_date"]})
            })
            .collect();
        let associations: Vec<Value> = self
            .students
            .iter()
            .map(|s| {
                let class_of: i64 =
                    s["expected_graduation"].as_str().unwrap_or_default()[..4].parse().unwrap_or_default();
                json!({
                    "studentReference": {"studentUniqueId": s["id"]}, "schoolReference": {"schoolId": SCHOOL_ID},
                    "entryDate": format!("{}-08-15", self.school_year - 1),
                    "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Twelfth grade",
                    "classOfSchoolYearTypeReference": {"schoolYear": class_of}
                })
            })
            .collect();
        let staff: Vec<Value> = self
            .teachers
            .iter()
            .enumerate()
            .map(|(t, name)| {
                let (given, family) = split_name(name);
                json!({"staffUniqueId": format!("STF-{}", t + 1), "firstName": given, "lastSurname": family})
            })
            .collect();
        let teaching: Vec<Value> = (0..self.teachers.len())
            .map(|t| {
                json!({
                    "staffReference": {"staffUniqueId": format!("STF-{}", t + 1)},
                    "sectionReference": self.section_reference(&format!("SEC-{}", t + 1)),
                    "classroomPositionDescriptor": TEACHER_OF_RECORD,
                    "beginDate": format!("{}-08-15", self.school_year - 1)
                })
            })
            .collect();
        let entries: Vec<Value> = self
            .entries
            .iter()
            .map(|e| {
                json!({
                    "gradebookEntryIdentifier": e.id, "namespace": NAMESPACE, "sourceSectionIdentifier": e.section,
                    "sectionReference": self.section_reference(&e.section), "dateAssigned": e.date, "title": e.title,
                    "dueDate": e.date,
                    "learningStandards": [{"learningStandardReference": {"learningStandardId": e.standard}}]
                })
            })
            .collect();
        let scores: Vec<Value> = self
            .scores
            .iter()
            .map(|s| {
                let mut score = json!({
                    "gradebookEntryReference": {"gradebookEntryIdentifier": s.entry, "namespace": NAMESPACE},
                    "studentReference": {"studentUniqueId": s.student},
                    "numericGradeEarned": serde_json::from_str::<Value>(&s.grade).unwrap_or(Value::Null),
                    "dateFulfilled": s.date
                });
                if !s.note.is_empty() {
                    score["diagnosticStatement"] = json!(s.note);
                }
                score
            })
            .collect();
        BTreeMap::from([
            ("students.json".to_string(), Value::Array(students)),
            ("studentSchoolAssociations.json".to_string(), Value::Array(associations)),
            ("staffs.json".to_string(), Value::Array(staff)),
            ("staffSectionAssociations.json".to_string(), Value::Array(teaching)),
            ("gradebookEntries.json".to_string(), Value::Array(entries)),
            ("studentGradebookEntries.json".to_string(), Value::Array(scores)),
        ])
    }

    /// The XML interchanges, by file name.
    fn interchanges(&self) -> BTreeMap<String, Vec<u8>> {
        let school_year = |year: i32| format!("{}-{year}", year - 1);
        let school = |x: &mut Xml| {
            x.open("SchoolReference").open("SchoolIdentity").leaf("SchoolId", &SCHOOL_ID.to_string());
            x.close().close();
        };
        let section = |x: &mut Xml, id: &str| {
            x.open("SectionReference").open("SectionIdentity").leaf("SectionIdentifier", id);
            x.open("CourseOfferingReference").open("CourseOfferingIdentity").leaf("LocalCourseCode", "ADV");
            school(x);
            x.open("SessionReference").open("SessionIdentity").leaf("SessionName", &self.session());
            x.leaf("SchoolYear", &school_year(self.school_year));
            school(x);
            x.close().close().close().close().close().close();
        };
        let student_reference = |x: &mut Xml, id: &str| {
            x.open("StudentReference").open("StudentIdentity").leaf("StudentUniqueId", id);
            x.close().close();
        };

        let mut students = Xml::interchange("InterchangeStudent");
        for s in self.students {
            let (given, family) = split_name(s["name"]["legal"].as_str().unwrap_or_default());
            students.open("Student").leaf("StudentUniqueId", s["id"].as_str().unwrap_or_default());
            students.open("Name").leaf("FirstName", given).leaf("LastSurname", family).close();
            students.open("BirthData").leaf("BirthDate", s["birth_date"].as_str().unwrap_or_default()).close();
            students.close();
        }
        let mut enrolment = Xml::interchange("InterchangeStudentEnrollment");
        for s in self.students {
            let class_of: i32 = s["expected_graduation"].as_str().unwrap_or_default()[..4].parse().unwrap_or_default();
            enrolment.open("StudentSchoolAssociation");
            student_reference(&mut enrolment, s["id"].as_str().unwrap_or_default());
            school(&mut enrolment);
            enrolment.leaf("EntryDate", &format!("{}-08-15", self.school_year - 1));
            enrolment.leaf("EntryGradeLevel", "uri://ed-fi.org/GradeLevelDescriptor#Twelfth grade");
            enrolment.leaf("ClassOfSchoolYear", &school_year(class_of)).close();
        }
        let mut staff = Xml::interchange("InterchangeStaffAssociation");
        for (t, name) in self.teachers.iter().enumerate() {
            let (given, family) = split_name(name);
            staff.open("Staff").leaf("StaffUniqueId", &format!("STF-{}", t + 1));
            staff.open("Name").leaf("FirstName", given).leaf("LastSurname", family).close().close();
        }
        for t in 0..self.teachers.len() {
            staff.open("StaffSectionAssociation");
            staff.open("StaffReference").open("StaffIdentity").leaf("StaffUniqueId", &format!("STF-{}", t + 1));
            staff.close().close();
            section(&mut staff, &format!("SEC-{}", t + 1));
            staff.leaf("ClassroomPosition", TEACHER_OF_RECORD);
            staff.leaf("BeginDate", &format!("{}-08-15", self.school_year - 1)).close();
        }
        let mut gradebook = Xml::interchange("InterchangeStudentGradebook");
        for e in &self.entries {
            gradebook.open("GradebookEntry").leaf("GradebookEntryIdentifier", &e.id).leaf("Namespace", NAMESPACE);
            gradebook.leaf("SourceSectionIdentifier", &e.section);
            section(&mut gradebook, &e.section);
            gradebook.leaf("DateAssigned", &e.date).leaf("Title", &e.title).leaf("DueDate", &e.date);
            gradebook.open("LearningStandardReference").open("LearningStandardIdentity");
            gradebook.leaf("LearningStandardId", &e.standard).close().close().close();
        }
        for s in &self.scores {
            gradebook.open("StudentGradebookEntry");
            gradebook.open("GradebookEntryReference").open("GradebookEntryIdentity");
            gradebook.leaf("GradebookEntryIdentifier", &s.entry).leaf("Namespace", NAMESPACE).close().close();
            student_reference(&mut gradebook, &s.student);
            gradebook.leaf("DateFulfilled", &s.date);
            if !s.note.is_empty() {
                gradebook.leaf("DiagnosticStatement", &s.note);
            }
            gradebook.leaf("NumericGradeEarned", &s.grade).close();
        }
        BTreeMap::from([
            ("Interchange-Student.xml".to_string(), students.finish()),
            ("Interchange-StudentEnrollment.xml".to_string(), enrolment.finish()),
            ("Interchange-StaffAssociation.xml".to_string(), staff.finish()),
            ("Interchange-StudentGradebook.xml".to_string(), gradebook.finish()),
        ])
    }
}

/// An XML document being written, indented, every text escaped.
struct Xml {
    text: String,
    open: Vec<&'static str>,
}

impl Xml {
    fn interchange(root: &'static str) -> Xml {
        let mut text = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        text.push_str(&format!("<{root} xmlns=\"http://ed-fi.org/5.2.0\">\n"));
        Xml { text, open: vec![root] }
    }

    fn indent(&mut self) {
        self.text.push_str(&"  ".repeat(self.open.len()));
    }

    fn open(&mut self, name: &'static str) -> &mut Xml {
        self.indent();
        self.text.push_str(&format!("<{name}>\n"));
        self.open.push(name);
        self
    }

    fn leaf(&mut self, name: &str, value: &str) -> &mut Xml {
        self.indent();
        self.text.push_str(&format!("<{name}>{}</{name}>\n", escape(value)));
        self
    }

    fn close(&mut self) -> &mut Xml {
        if let Some(name) = self.open.pop() {
            self.indent();
            self.text.push_str(&format!("</{name}>\n"));
        }
        self
    }

    fn finish(mut self) -> Vec<u8> {
        while !self.open.is_empty() {
            self.close();
        }
        self.text.into_bytes()
    }
}

/// The Ed-Fi API's JSON resources for `students` (records as [`crate::synth::students`] makes
/// them), by file name, each the array a `GET` returns.
pub fn resources(school: &School, students: &[Value], school_year: i32) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for (name, value) in gradebook(school, students, school_year).resources() {
        let mut bytes = serde_json::to_vec_pretty(&value).expect("a JSON value is written");
        bytes.push(b'\n');
        files.insert(name, bytes);
    }
    files
}

/// The Ed-Fi 5.2 XML interchanges for `students`, by file name.
pub fn interchanges(school: &School, students: &[Value], school_year: i32) -> BTreeMap<String, Vec<u8>> {
    gradebook(school, students, school_year).interchanges()
}
