//! The Ed-Fi entities a transcript needs, as read from the API's JSON or the XML
//! interchanges: the same plain rows either way, each with the file and line it came from.

use crate::load::oneroster::bundle::Place;

/// A student (`students` / `Student`).
#[derive(Debug, Clone)]
pub struct Student {
    /// Where it was read.
    pub place: Place,
    /// `studentUniqueId`.
    pub id: String,
    /// `firstName`.
    pub first: String,
    /// `middleName`.
    pub middle: String,
    /// `lastSurname`.
    pub last: String,
    /// `preferredFirstName`.
    pub preferred_first: String,
    /// `preferredLastSurname`.
    pub preferred_last: String,
    /// `birthDate`.
    pub birth_date: String,
}

/// A student's enrolment at a school, for the class they belong to
/// (`studentSchoolAssociations` / `StudentSchoolAssociation`).
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Where it was read.
    pub place: Place,
    /// The student's `studentUniqueId`.
    pub student: String,
    /// The class-of school year: the year the school year ends (`2027` for 2026–2027).
    pub class_of: String,
}

/// A member of staff (`staffs` / `Staff`).
#[derive(Debug, Clone)]
pub struct Staff {
    /// Where it was read.
    pub place: Place,
    /// `staffUniqueId`.
    pub id: String,
    /// First and last name, joined.
    pub name: String,
}

/// Who teaches a section (`staffSectionAssociations` / `StaffSectionAssociation`).
#[derive(Debug, Clone)]
pub struct Teaching {
    /// Where it was read.
    pub place: Place,
    /// The staff member's `staffUniqueId`.
    pub staff: String,
    /// The section's `sectionIdentifier`.
    pub section: String,
    /// The classroom position descriptor (`…#Teacher of Record`).
    pub position: String,
}

/// An assignment of a section's gradebook (`gradebookEntries` / `GradebookEntry`).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Where it was read.
    pub place: Place,
    /// Its key: `namespace` and `gradebookEntryIdentifier`.
    pub key: String,
    /// The section's `sectionIdentifier` (or `sourceSectionIdentifier`).
    pub section: String,
    /// `title`.
    pub title: String,
    /// `dueDate`, else `dateAssigned`: the date of a score with no date of its own.
    pub date: String,
    /// The learning standards it assesses (`learningStandardId`s).
    pub standards: Vec<String>,
}

/// A student's score on a gradebook entry (`studentGradebookEntries` / `StudentGradebookEntry`).
#[derive(Debug, Clone)]
pub struct Score {
    /// Where it was read.
    pub place: Place,
    /// The entry's key.
    pub entry: String,
    /// The student's `studentUniqueId`.
    pub student: String,
    /// `competencyLevelDescriptor`.
    pub level: String,
    /// `letterGradeEarned`.
    pub letter: String,
    /// `numericGradeEarned`.
    pub numeric: String,
    /// `dateFulfilled`.
    pub date: String,
    /// `diagnosticStatement`.
    pub note: String,
}

/// A student's level on a competency objective in a grading period
/// (`studentCompetencyObjectives` / `StudentCompetencyObjective`).
#[derive(Debug, Clone)]
pub struct ObjectiveLevel {
    /// Where it was read.
    pub place: Place,
    /// The student's `studentUniqueId`.
    pub student: String,
    /// The competency objective's `objective`.
    pub objective: String,
    /// `competencyLevelDescriptor`.
    pub level: String,
    /// The grading period's key.
    pub period: String,
    /// The section of the first student-section association it names, if any.
    pub section: String,
    /// `diagnosticStatement`.
    pub note: String,
}

/// A grading period (`gradingPeriods` / `GradingPeriod`), to date what is scored per period.
#[derive(Debug, Clone)]
pub struct Period {
    /// Where it was read.
    pub place: Place,
    /// Its key: `gradingPeriodName` and the year its school year ends.
    pub key: String,
    /// `endDate`.
    pub end: String,
}

/// A grade per learning standard of a section's grade (`grades.learningStandardGrades` /
/// `Grade/LearningStandardGrade`).
#[derive(Debug, Clone)]
pub struct StandardGrade {
    /// Where it was read.
    pub place: Place,
    /// The student's `studentUniqueId`.
    pub student: String,
    /// The section's `sectionIdentifier`.
    pub section: String,
    /// The grading period's key.
    pub period: String,
    /// `learningStandardId`.
    pub standard: String,
    /// `letterGradeEarned`.
    pub letter: String,
    /// `numericGradeEarned`.
    pub numeric: String,
    /// `diagnosticStatement`.
    pub note: String,
}

/// Everything read from one Ed-Fi folder.
#[derive(Debug, Default)]
pub struct Data {
    /// Students.
    pub students: Vec<Student>,
    /// Their enrolments.
    pub enrolments: Vec<Enrolment>,
    /// Staff.
    pub staff: Vec<Staff>,
    /// Who teaches which section.
    pub teaching: Vec<Teaching>,
    /// Gradebook entries.
    pub entries: Vec<Entry>,
    /// Scores on them.
    pub scores: Vec<Score>,
    /// Competency objective levels.
    pub objectives: Vec<ObjectiveLevel>,
    /// Grading periods.
    pub periods: Vec<Period>,
    /// Learning standard grades.
    pub grades: Vec<StandardGrade>,
}

/// The key of a grading period: its name and the year its school year ends. A school year is
/// `2027` in the API's JSON and `2026-2027` in the XML; both give `2027`.
pub fn period_key(name: &str, school_year: &str) -> String {
    format!("{name}|{}", end_year(school_year))
}

/// The year a school year ends: `2027` of `2026-2027`, or the year itself.
pub fn end_year(school_year: &str) -> &str {
    school_year.rsplit('-').next().unwrap_or(school_year).trim()
}

/// The key of a gradebook entry.
pub fn entry_key(namespace: &str, identifier: &str) -> String {
    format!("{namespace}#{identifier}")
}

/// Counts lines up to byte offsets that only grow, for the line each record starts on.
pub(crate) struct Lines<'t> {
    text: &'t str,
    at: usize,
    line: u32,
}

impl<'t> Lines<'t> {
    /// Lines of `text`, from its start.
    pub(crate) fn new(text: &'t str) -> Lines<'t> {
        Lines { text, at: 0, line: 1 }
    }

    /// The line of byte `offset` (an earlier offset than the last keeps the last line).
    pub(crate) fn of(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.text.len());
        if offset >= self.at {
            self.line += memchr::memchr_iter(b'\n', &self.text.as_bytes()[self.at..offset]).count() as u32;
            self.at = offset;
        }
        self.line
    }
}
