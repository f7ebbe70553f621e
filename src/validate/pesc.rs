//! What PESC XML's schema limits, checked where the values are written: `school.json` and each
//! student record. An issue writes a PESC transcript beside every PDF, and `build --format
//! pesc` writes one per student, so a value the schema would refuse stops those (errors);
//! `mastery validate` says the same as warnings, before anyone issues.

use super::Findings;
use crate::diag::{Diagnostic, Severity};
use crate::document::Document;
use crate::model::{School, Student};
use crate::pesc::{Refusal, Why, limits, too_long};

/// The longest scale label: the label, the level and the scale in words fill a
/// `CourseNarrativeExplanationGrade` of 200 characters.
pub const LEVEL_LABEL: usize = 100;

/// The values of `school.json` that a PESC transcript carries and its schema would refuse.
pub fn school(document: &Document, school: &School, severity: Severity) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut found = Findings { document, diagnostics: &mut diagnostics };
    let mut check = |pointer: String, element: &str, value: &str, max: usize, hint: &str| {
        if let Some(why) = too_long(value, max) {
            report(&mut found, severity, &pointer, element, value, why).set_hint(hint);
        }
    };
    let profile = &school.profile;
    check(
        "/profile/name".into(),
        "OrganizationName",
        &profile.name,
        limits::ORGANIZATION_NAME,
        "shorten the name to the one colleges know the school by",
    );
    for (i, area) in school.framework.areas.iter().enumerate() {
        // The schema of school.json already limits a short title to 30 characters.
        if area.short_title.is_none() {
            check(
                format!("/framework/areas/{i}/title"),
                "HighSchoolSubjectAreaName",
                &area.title,
                limits::SUBJECT_AREA_NAME,
                "give the area a \"short_title\" of at most 30 characters for PESC; the transcript keeps the title",
            );
        }
    }
    for (i, credit) in school.framework.credits.iter().enumerate() {
        check(
            format!("/framework/credits/{i}/title"),
            "CourseTitle",
            &credit.title,
            limits::COURSE_TITLE,
            "shorten the credit's title",
        );
    }
    for (i, level) in school.scale.levels.iter().enumerate() {
        check(
            format!("/scale/levels/{i}/label"),
            "CourseNarrativeExplanationGrade",
            &level.label,
            LEVEL_LABEL,
            "shorten the level's label: the level's description says the rest",
        );
    }
    if let Some(ceeb) = &profile.ceeb_code
        && ceeb.chars().count() != limits::CEEB
    {
        report(&mut found, severity, "/profile/ceeb_code", "CEEBACT", ceeb, Why::Length { exactly: limits::CEEB })
            .set_hint("a CEEB (College Board) code has six digits");
    }
    diagnostics
}

/// The values of a student record that a PESC transcript carries and its schema would refuse.
pub(super) fn student(student: &Student, severity: Severity, found: &mut Findings) {
    let check = |found: &mut Findings, pointer: &str, element: &str, value: &str, max: usize, hint: &str| {
        if let Some(why) = too_long(value, max) {
            report(found, severity, pointer, element, value, why).set_hint(hint);
        }
    };
    check(
        found,
        "/id",
        "SchoolAssignedPersonID",
        &student.id,
        limits::PERSON_ID,
        "PESC carries a student id of at most 20 characters; use the school's shorter id",
    );
    let name = &student.name;
    if name.given.is_none() && name.family.is_none() {
        check(
            found,
            "/name/legal",
            "CompositeName",
            &name.legal,
            limits::COMPOSITE_NAME,
            "give the legal name's parts as \"given\" and \"family\" (and \"middle\"), each at most 35 characters: PESC writes them as the first, middle and last names",
        );
    }
    let parts = [
        ("/name/given", "FirstName", &name.given),
        ("/name/middle", "MiddleName", &name.middle),
        ("/name/family", "LastName", &name.family),
    ];
    for (pointer, element, part) in parts {
        if let Some(part) = part {
            check(found, pointer, element, part, limits::NAME_PART, "shorten it as the school's records do");
        }
    }
    if let Some(preferred) = &name.preferred {
        check(
            found,
            "/name/preferred",
            "CompositeName",
            preferred,
            limits::COMPOSITE_NAME,
            "shorten the name the student goes by",
        );
    }
}

fn report<'f>(
    found: &'f mut Findings,
    severity: Severity,
    pointer: &str,
    element: &str,
    value: &str,
    why: Why,
) -> &'f mut Diagnostic {
    let refusal = Refusal { element: element.to_string(), value: value.to_string(), why };
    found.push(severity, pointer, false, refusal.to_string())
}
