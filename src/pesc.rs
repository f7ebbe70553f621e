//! PESC High School Transcript 1.5.0: a transcript as the XML that colleges' student systems
//! import (over AcademicRecord 1.9.0 and CoreMain 1.14.0).
//!
//! A mastery transcript has credits, not courses, and levels, not grades, so the mapping says
//! what each part of the record becomes (the README's table): each credit shown is a `Course`
//! (its value, the level reached as the grade with the scale in words beside it, the date it
//! was earned, its area as a `Requirement`), each credit area a `HighSchoolSubjectArea` of the
//! record's summary (required, earned, still missing), the diploma an `AcademicAward` once
//! every graduation requirement is met, and the credential's id and address, the scale and the
//! disclosure profile in the extension elements the schema leaves open
//! ([`EXTENSION_NAMESPACE`]). No GPA is made up: the school's own equivalency goes in only when
//! it gives one.
//!
//! The schema limits most texts (a school's name to 60 characters, a composite name to 45).
//! [`high_school_transcript`] checks every value against its element's limits and refuses, with
//! the element and the value, rather than write a document the schema refuses;
//! [`crate::validate`] checks the same limits ([`limits`]) where the values are written, so
//! that a registrar sees each problem at its place in the school's files.

use std::fmt;

use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use rust_decimal::Decimal;

use crate::transcript::{AreaResult, CreditResult, CreditStatus, GraduationStatus, Transcript};

/// The namespace of the message.
pub const NAMESPACE: &str = "urn:org:pesc:message:HighSchoolTranscript:v1.5.0";
/// The namespace of the academic record sector library.
pub const ACADEMIC_RECORD_NAMESPACE: &str = "urn:org:pesc:sector:AcademicRecord:v1.9.0";
/// The namespace of the core library.
pub const CORE_NAMESPACE: &str = "urn:org:pesc:core:CoreMain:v1.14.0";
/// The namespace of `mastery`'s elements in the schema's `UserDefinedExtensions`.
pub const EXTENSION_NAMESPACE: &str = "urn:mastery-transcript:pesc:1";
/// The file name of the XML, beside an issued PDF and attached to it.
pub const FILE_NAME: &str = "transcript.pesc.xml";
/// Where an issued transcript's template finds the XML, to attach it.
pub const ATTACHMENT: &str = "/transcript.pesc.xml";
/// The title of the award a graduate's record carries.
pub const DIPLOMA: &str = "High School Diploma";

/// The schema's length limits on the values `mastery` writes, in characters.
pub mod limits {
    /// `OrganizationName` (the school; a recipient).
    pub const ORGANIZATION_NAME: usize = 60;
    /// `CompositeName`: a name in one piece.
    pub const COMPOSITE_NAME: usize = 45;
    /// `FirstName`, `MiddleName`, `LastName`.
    pub const NAME_PART: usize = 35;
    /// `SchoolAssignedPersonID`: the student's id.
    pub const PERSON_ID: usize = 20;
    /// `CourseTitle`: a credit's title.
    pub const COURSE_TITLE: usize = 60;
    /// `CourseNumber`: a credit's id (longer ids go in the extension only).
    pub const COURSE_NUMBER: usize = 15;
    /// `HighSchoolSubjectAreaName` and the area's `RAPName`: a credit area's (short) title.
    pub const SUBJECT_AREA_NAME: usize = 30;
    /// `CourseNarrativeExplanationGrade`: the level in words.
    pub const NARRATIVE_GRADE: usize = 200;
    /// `CourseAcademicGrade`: the level.
    pub const GRADE: usize = 10;
    /// `NoteMessage`.
    pub const NOTE: usize = 80;
    /// `CEEBACT`: exactly this many characters.
    pub const CEEB: usize = 6;
}

/// What the document is, besides the transcript: how it is sent.
#[derive(Debug, Clone)]
pub struct Transmission {
    /// Whether this is an issue recorded in the ledger (`Official`) or a preview.
    pub official: bool,
    /// Whether it replaces an earlier issue of the same record (a later version).
    pub replaces: bool,
    /// To whom it is addressed, when it is.
    pub recipient: Option<String>,
}

/// A value the schema would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The element, as a path from the transcript (`Student/Person/Name/CompositeName`).
    pub element: String,
    /// The value.
    pub value: String,
    /// Why the schema refuses it.
    pub why: Why,
}

/// Why the schema refuses a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Longer than the element holds.
    TooLong {
        /// The element's limit, in characters.
        max: usize,
        /// The value's length, in characters.
        length: usize,
    },
    /// Not of the length the element must have.
    Length {
        /// The length it must have.
        exactly: usize,
    },
    /// A character XML 1.0 cannot carry (a control character).
    Character(char),
    /// More digits after the point than the element holds.
    Digits {
        /// The most it holds.
        max: u32,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Refusal { element, value, why } = self;
        match why {
            Why::TooLong { max, length } => {
                write!(f, "PESC's {element} holds at most {max} characters, and \"{value}\" has {length}")
            }
            Why::Length { exactly } => {
                write!(f, "PESC's {element} must have exactly {exactly} characters: \"{value}\"")
            }
            Why::Character(c) => {
                write!(f, "PESC's {element} cannot carry the control character U+{:04X} of \"{value}\"", u32::from(*c))
            }
            Why::Digits { max } => write!(f, "PESC's {element} holds at most {max} digits after the point: {value}"),
        }
    }
}

/// Why a value cannot be written: `None` when it fits an element of at most `max` characters.
pub fn too_long(value: &str, max: usize) -> Option<Why> {
    if let Some(c) = value.chars().find(|&c| !xml_char(c)) {
        return Some(Why::Character(c));
    }
    let length = value.chars().count();
    (length > max).then_some(Why::TooLong { max, length })
}

/// Whether XML 1.0 can carry the character.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The transcript as a PESC High School Transcript 1.5.0 document (UTF-8, indented), or every
/// value the schema would refuse.
pub fn high_school_transcript(transcript: &Transcript, transmission: &Transmission) -> Result<Vec<u8>, Vec<Refusal>> {
    let mut xml = Xml::new();
    xml.start_with(
        "HSTrn:HighSchoolTranscript",
        &[("xmlns:HSTrn", NAMESPACE), ("xmlns:AcRec", ACADEMIC_RECORD_NAMESPACE), ("xmlns:core", CORE_NAMESPACE)],
    );
    transmission_data(&mut xml, transcript, transmission);
    xml.start("Student");
    person(&mut xml, transcript);
    academic_record(&mut xml, transcript);
    xml.end("Student");
    xml.end("HSTrn:HighSchoolTranscript");
    xml.finish()
}

fn transmission_data(xml: &mut Xml, t: &Transcript, transmission: &Transmission) {
    xml.start("TransmissionData");
    // A document id holds 35 characters: the credential's UUID without its hyphens.
    let id = t.verification.credential_id.strip_prefix("urn:uuid:").unwrap_or(&t.verification.credential_id);
    xml.text("DocumentID", &id.replace('-', ""), 35);
    // The issue date at midnight UTC, as the PDF's signature says: a reprint is the same bytes.
    xml.leaf("CreatedDateTime", &format!("{}T00:00:00Z", t.issue_date));
    xml.leaf("DocumentTypeCode", "StudentRequest");
    xml.leaf("TransmissionType", if transmission.replaces { "Replace" } else { "Original" });
    xml.start("Source");
    xml.start("Organization");
    if let Some(ceeb) = &t.school.ceeb_code {
        xml.exact("CEEBACT", ceeb, limits::CEEB);
    }
    xml.text("OrganizationName", &t.school.name, limits::ORGANIZATION_NAME);
    xml.end("Organization");
    xml.end("Source");
    xml.start("Destination");
    match &transmission.recipient {
        Some(recipient) => {
            xml.start("Organization");
            xml.text("OrganizationName", recipient, limits::ORGANIZATION_NAME);
            xml.end("Organization");
        }
        None => {
            xml.write(Event::Empty(BytesStart::new("Organization")));
            xml.text("NoteMessage", "Not addressed to one recipient: the student's record", limits::NOTE);
        }
    }
    xml.end("Destination");
    xml.leaf("DocumentProcessCode", if transmission.official { "PRODUCTION" } else { "TEST" });
    xml.leaf("DocumentOfficialCode", if transmission.official { "Official" } else { "Unofficial" });
    xml.leaf("DocumentCompleteCode", "Complete");
    xml.end("TransmissionData");
}

fn person(xml: &mut Xml, t: &Transcript) {
    let student = &t.student;
    xml.start("Person");
    if let Some(id) = &student.id {
        xml.text("SchoolAssignedPersonID", id, limits::PERSON_ID);
    }
    if let Some(birth) = &student.birth_date {
        xml.start("Birth");
        xml.leaf("BirthDate", birth);
        xml.end("Birth");
    }
    xml.start("Name");
    xml.leaf("NameCode", "Legal");
    let parts = &student.legal_name_parts;
    for (element, part) in [("FirstName", &parts.given), ("MiddleName", &parts.middle), ("LastName", &parts.family)] {
        if let Some(part) = part {
            xml.text(element, part, limits::NAME_PART);
        }
    }
    // The name in one piece, as the school writes it; when it is too long for one piece, its
    // parts above carry it.
    let split = parts.given.is_some() || parts.family.is_some();
    if !split || too_long(&student.legal_name, limits::COMPOSITE_NAME).is_none() {
        xml.text("CompositeName", &student.legal_name, limits::COMPOSITE_NAME);
    }
    xml.end("Name");
    if let Some(preferred) = &student.preferred_name {
        xml.start("AlternateName");
        xml.leaf("NameCode", "Casual");
        xml.text("CompositeName", preferred, limits::COMPOSITE_NAME);
        xml.end("AlternateName");
    }
    xml.end("Person");
}

fn academic_record(xml: &mut Xml, t: &Transcript) {
    xml.start("AcademicRecord");
    xml.start("School");
    xml.text("OrganizationName", &t.school.name, limits::ORGANIZATION_NAME);
    if let Some(ceeb) = &t.school.ceeb_code {
        xml.exact("CEEBACT", ceeb, limits::CEEB);
    }
    xml.end("School");
    xml.leaf("CohortGraduationYear", t.student.expected_graduation.get(..4).unwrap_or_default());
    if t.graduation.status == GraduationStatus::Met {
        xml.start("AcademicAward");
        // The diploma's date once the day of graduation has come; before it, the record says
        // that the requirements are complete.
        if t.student.expected_graduation <= t.issue_date {
            xml.leaf("AcademicAwardDate", &t.student.expected_graduation);
        }
        xml.leaf("AcademicAwardTitle", DIPLOMA);
        xml.leaf("AcademicCompletionIndicator", "true");
        xml.end("AcademicAward");
    }
    summary(xml, t);
    for area in &t.areas {
        for credit in &area.credits {
            if shown(t, credit) {
                course(xml, t, area, credit);
            }
        }
    }
    extension(xml, t);
    xml.end("AcademicRecord");
}

/// Whether the transcript lists the credit: earned or exempt, or under way when in-progress
/// credits are shown.
fn shown(t: &Transcript, credit: &CreditResult) -> bool {
    match credit.status {
        CreditStatus::Earned | CreditStatus::Exempt => true,
        CreditStatus::AwaitingApproval | CreditStatus::AwaitingJudgement | CreditStatus::InProgress => {
            t.layout.show_in_progress
        }
        CreditStatus::NotStarted => false,
    }
}

fn summary(xml: &mut Xml, t: &Transcript) {
    let graduation = &t.graduation;
    xml.start("AcademicSummary");
    xml.leaf("AcademicSummaryType", "All");
    xml.start("GPA");
    xml.decimal("CreditHoursEarned", graduation.total_earned.value(), None);
    xml.decimal("CreditHoursRequired", graduation.total_required.value(), Some(3));
    let deficient = (graduation.total_required.value() - graduation.total_earned.value()).max(Decimal::ZERO);
    xml.decimal("CreditHoursDeficient", deficient, Some(3));
    xml.leaf("CreditUnit", "Units");
    if let Some(equivalency) = &t.equivalency
        && let Some(value) = &equivalency.value
    {
        xml.decimal("GradePointAverage", value.value(), None);
        let low = equivalency.table.iter().map(|row| row.value_from.value()).min();
        let high = equivalency.table.iter().map(|row| row.value_to.unwrap_or(row.value_from).value()).max();
        if let (Some(low), Some(high)) = (low, high) {
            xml.decimal("GPARangeMinimum", low, None);
            xml.decimal("GPARangeMaximum", high, None);
        }
    }
    xml.end("GPA");
    xml.start("HighSchoolCreditSummary");
    for area in &t.areas {
        xml.start("HighSchoolSubjectArea");
        xml.text("HighSchoolSubjectAreaName", area_name(area), limits::SUBJECT_AREA_NAME);
        xml.leaf("CourseCreditUnits", "Units");
        if let Some(required) = &area.required {
            xml.decimal("CreditHoursRequired", required.value(), Some(3));
        }
        xml.decimal("CourseCreditEarned", area.earned.value.value(), None);
        if let Some(required) = &area.required {
            xml.decimal(
                "CreditHoursDeficient",
                (required.value() - area.earned.value.value()).max(Decimal::ZERO),
                Some(3),
            );
        }
        xml.end("HighSchoolSubjectArea");
    }
    xml.end("HighSchoolCreditSummary");
    xml.end("AcademicSummary");
}

/// The name of an area where PESC has 30 characters for it.
fn area_name(area: &AreaResult) -> &str {
    area.short_title.as_deref().unwrap_or(&area.title)
}

fn course(xml: &mut Xml, t: &Transcript, area: &AreaResult, credit: &CreditResult) {
    let counts = credit.status.counts();
    xml.start("Course");
    xml.leaf("CourseCreditBasis", if credit.status == CreditStatus::Exempt { "Exemption" } else { "Regular" });
    xml.leaf("CourseCreditUnits", "Units");
    xml.decimal("CourseCreditValue", credit.value.value(), None);
    xml.decimal("CourseCreditEarned", if counts { credit.value.value() } else { Decimal::ZERO }, None);
    if let Some(level) = &credit.level {
        xml.text("CourseAcademicGrade", &level.to_string(), limits::GRADE);
    }
    xml.leaf("CourseAcademicGradeStatusCode", if counts { "Completed" } else { "InProgress" });
    if let Some(level) = &credit.level {
        let scale = &t.scale;
        let label = credit.level_label.as_deref().unwrap_or("");
        let words = format!(
            "{label}: level {level} on the school's scale of {} to {}, mastery at {} ({})",
            scale.min, scale.max, scale.threshold, scale.threshold_label
        );
        xml.text("CourseNarrativeExplanationGrade", &words, limits::NARRATIVE_GRADE);
    }
    if too_long(&credit.id, limits::COURSE_NUMBER).is_none() {
        xml.leaf("CourseNumber", &credit.id);
    }
    xml.text("CourseTitle", &credit.title, limits::COURSE_TITLE);
    if counts && let Some(date) = &credit.date_earned {
        xml.leaf("CourseEndDate", date);
    }
    xml.start("Requirement");
    xml.text("RAPName", area_name(area), limits::SUBJECT_AREA_NAME);
    xml.end("Requirement");
    xml.start("UserDefinedExtensions");
    xml.start_with("mastery:Credit", &[("xmlns:mastery", EXTENSION_NAMESPACE)]);
    xml.leaf("mastery:ID", &credit.id);
    xml.leaf("mastery:Area", &area.id);
    xml.leaf("mastery:Tier", tier(credit));
    xml.leaf("mastery:Status", status(credit.status));
    if let Some(uri) = &credit.uri {
        xml.leaf("mastery:CASEItem", uri);
    }
    xml.end("mastery:Credit");
    xml.end("UserDefinedExtensions");
    xml.end("Course");
}

fn tier(credit: &CreditResult) -> &'static str {
    match credit.tier {
        crate::model::CreditLevel::Foundational => "foundational",
        crate::model::CreditLevel::Advanced => "advanced",
    }
}

fn status(status: CreditStatus) -> &'static str {
    match status {
        CreditStatus::Earned => "earned",
        CreditStatus::Exempt => "exempt",
        CreditStatus::AwaitingApproval => "awaiting_approval",
        CreditStatus::AwaitingJudgement => "awaiting_judgement",
        CreditStatus::InProgress => "in_progress",
        CreditStatus::NotStarted => "not_started",
    }
}

/// What PESC has no element for: how to verify the record, the scale the levels are on, the
/// disclosure profile, where the student stands on graduation.
fn extension(xml: &mut Xml, t: &Transcript) {
    let verification = &t.verification;
    xml.start("UserDefinedExtensions");
    xml.start_with("mastery:MasteryTranscript", &[("xmlns:mastery", EXTENSION_NAMESPACE)]);
    xml.leaf("mastery:CredentialID", &verification.credential_id);
    if let Some(url) = &verification.url {
        xml.leaf("mastery:VerificationURL", url);
    }
    xml.leaf("mastery:DisclosureProfile", &t.layout.profile);
    xml.leaf("mastery:Graduation", graduation(t.graduation.status));
    let scale = &t.scale;
    let threshold = scale.threshold.to_string();
    xml.start_with("mastery:Scale", &[("threshold", threshold.as_str())]);
    for level in &scale.levels {
        let value = level.value.to_string();
        xml.start_with("mastery:Level", &[("value", value.as_str())]);
        xml.leaf("mastery:Label", &level.label);
        xml.leaf("mastery:Description", &level.description);
        xml.end("mastery:Level");
    }
    xml.end("mastery:Scale");
    xml.end("mastery:MasteryTranscript");
    xml.end("UserDefinedExtensions");
}

fn graduation(status: GraduationStatus) -> &'static str {
    match status {
        GraduationStatus::Met => "met",
        GraduationStatus::OnTrack => "on_track",
        GraduationStatus::NotMet => "not_met",
    }
}

/// The document being written, with the path to the element being written and every value
/// refused so far.
pub(crate) struct Xml {
    writer: Writer<Vec<u8>>,
    path: Vec<&'static str>,
    refused: Vec<Refusal>,
}

impl Xml {
    pub(crate) fn new() -> Xml {
        let mut xml =
            Xml { writer: Writer::new_with_indent(Vec::new(), b' ', 2), path: Vec::new(), refused: Vec::new() };
        xml.write(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        xml
    }

    fn write(&mut self, event: Event) {
        self.writer.write_event(event).expect("writing to memory cannot fail");
    }

    pub(crate) fn start(&mut self, name: &'static str) {
        self.start_with(name, &[]);
    }

    pub(crate) fn start_with(&mut self, name: &'static str, attributes: &[(&str, &str)]) {
        self.path.push(name);
        self.write(Event::Start(BytesStart::new(name).with_attributes(attributes.iter().copied())));
    }

    pub(crate) fn end(&mut self, name: &'static str) {
        self.path.pop();
        self.write(Event::End(BytesEnd::new(name)));
    }

    /// An element of text the schema does not limit, or that the code makes within its limit.
    pub(crate) fn leaf(&mut self, name: &'static str, value: &str) {
        self.text(name, value, usize::MAX);
    }

    /// An element of text of at most `max` characters.
    pub(crate) fn text(&mut self, name: &'static str, value: &str, max: usize) {
        match too_long(value, max) {
            Some(why) => self.refuse(name, value, why),
            None => {
                self.start(name);
                // Only what must be escaped in text is: `&`, `<` and `>`.
                self.write(Event::Text(BytesText::from_escaped(partial_escape(value))));
                self.end(name);
            }
        }
    }

    /// An element of text of exactly `length` characters.
    pub(crate) fn exact(&mut self, name: &'static str, value: &str, length: usize) {
        if value.chars().count() != length {
            self.refuse(name, value, Why::Length { exactly: length });
        } else {
            self.text(name, value, length);
        }
    }

    /// A decimal, with at most `digits` after the point when the element limits them.
    fn decimal(&mut self, name: &'static str, value: Decimal, digits: Option<u32>) {
        let value = value.normalize();
        match digits {
            Some(max) if value.scale() > max => self.refuse(name, &value.to_string(), Why::Digits { max }),
            _ => self.leaf(name, &value.to_string()),
        }
    }

    fn refuse(&mut self, name: &'static str, value: &str, why: Why) {
        let mut element = self.path.iter().skip(1).copied().collect::<Vec<_>>();
        element.push(name);
        self.refused.push(Refusal { element: element.join("/"), value: value.to_string(), why });
    }

    pub(crate) fn finish(self) -> Result<Vec<u8>, Vec<Refusal>> {
        if !self.refused.is_empty() {
            return Err(self.refused);
        }
        let mut bytes = self.writer.into_inner();
        bytes.push(b'\n');
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_over_its_limit_or_with_a_control_character_is_refused() {
        assert_eq!(too_long("Harbor View Academy", limits::ORGANIZATION_NAME), None);
        assert_eq!(too_long(&"é".repeat(45), limits::COMPOSITE_NAME), None, "characters, not bytes");
        assert_eq!(too_long(&"a".repeat(46), limits::COMPOSITE_NAME), Some(Why::TooLong { max: 45, length: 46 }));
        assert_eq!(too_long("Ann\u{7}", 45), Some(Why::Character('\u{7}')));
        assert_eq!(too_long("tab\tand\nnewline", 45), None);
    }
}
