//! The meaning of a student record, beyond its schema: references to the school's credits and
//! the student's own work samples, scores on the scale, dates that make sense.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::{Findings, StudentChecker, unknown_hint};
use crate::model::{AttestationStatus, Student};

impl StudentChecker<'_> {
    /// Checks what the schema cannot say about a student record.
    pub(super) fn check_student(&self, student: &Student, found: &mut Findings) {
        let school = self.school;
        let issue_date = self.issue_date;
        let scale = &school.scale;
        // Every credit a record names is one of the framework's.
        let check_credit = |found: &mut Findings, pointer: &dyn Fn() -> String, what: &str, credit: &str| {
            if !self.credits.contains_key(credit) {
                found.error(pointer(), format!("{what} names unknown credit \"{credit}\"")).set_hint(unknown_hint(
                    "credit",
                    credit,
                    self.credits.keys().copied(),
                ));
            }
        };
        // Pointers are made only when there is something to report: most records have none.
        let check_date = |found: &mut Findings, pointer: &dyn Fn() -> String, date: NaiveDate, what: &str| {
            if let Some(issued) = issue_date
                && date > issued
            {
                found
                    .error(pointer(), format!("{what} {date} is after the issue date {issued}"))
                    .set_hint("correct the date, or issue the transcript later (--issue-date)");
            }
            if date < student.birth_date {
                found
                    .error(
                        pointer(),
                        format!("{what} {date} is before the student's birth date {}", student.birth_date),
                    )
                    .set_hint("correct the date");
            }
        };

        if let Some(issued) = issue_date
            && student.birth_date > issued
        {
            found.error("/birth_date", format!("birth date {} is after the issue date {issued}", student.birth_date));
        }
        if student.expected_graduation <= student.birth_date {
            found.error(
                "/expected_graduation",
                format!(
                    "expected graduation {} is not after the birth date {}",
                    student.expected_graduation, student.birth_date
                ),
            );
        }

        if student.highlights.is_empty() {
            found
                .warning("/highlights", "the student has no highlights".to_string())
                .set_hint("add one to three short statements in the student's own words: page 1 shows them");
        }
        let sample_ids: BTreeSet<&str> = student.work_samples.iter().map(|w| w.id.as_str()).collect();
        for (i, evidence) in student.evidence.iter().enumerate() {
            let base = || format!("/evidence/{i}");
            check_credit(found, &|| format!("{}/credit", base()), "evidence", &evidence.credit);
            if !scale.contains(evidence.score) {
                found
                    .error(format!("{}/score", base()), format!("score {} is not on the scale", evidence.score))
                    .set_hint(format!(
                        "use a score from {} to {} in steps of {}",
                        scale.min(),
                        scale.max(),
                        scale.step.normalize()
                    ));
            }
            check_date(found, &|| format!("{}/date", base()), evidence.date, "assessment date");
            if let (Some(issued), Some(days)) = (issue_date, school.checks.max_evidence_age_days)
                && (issued - evidence.date).num_days() > i64::from(days)
            {
                found
                    .warning(
                        format!("{}/date", base()),
                        format!("evidence from {} is more than {days} days older than the issue date", evidence.date),
                    )
                    .set_hint(
                        "check the date; to accept older evidence, raise checks.max_evidence_age_days in school.json",
                    );
            }
            if let Some(sample) = &evidence.work_sample
                && !sample_ids.contains(sample.as_str())
            {
                found
                    .error(
                        format!("{}/work_sample", base()),
                        format!("evidence names unknown work sample \"{sample}\""),
                    )
                    .set_hint(
                        unknown_hint("work sample", sample, sample_ids.iter().copied())
                            .replace("from school.json", "from this student's work_samples"),
                    );
            }
        }

        let mut seen_samples = BTreeSet::new();
        for (i, sample) in student.work_samples.iter().enumerate() {
            let base = || format!("/work_samples/{i}");
            if !seen_samples.insert(sample.id.as_str()) {
                found
                    .error(format!("{}/id", base()), format!("work sample id \"{}\" is used twice", sample.id))
                    .set_hint("give every work sample a different id");
            }
            for (j, credit) in sample.credits.iter().enumerate() {
                check_credit(found, &|| format!("{}/credits/{j}", base()), "work sample", credit);
            }
            check_date(found, &|| format!("{}/date", base()), sample.date, "work sample date");
            if !sample.url.starts_with("https://") {
                found
                    .warning(format!("{}/url", base()), format!("work sample address {} is not https", sample.url))
                    .set_hint("link work samples over https, so that readers' browsers neither warn nor block them");
            }
        }

        let mut attested = BTreeMap::new();
        for (i, attestation) in student.attestations.iter().enumerate() {
            let base = || format!("/attestations/{i}");
            check_credit(found, &|| format!("{}/credit", base()), "attestation", &attestation.credit);
            if let Some(first) = attested.insert(attestation.credit.as_str(), i) {
                found
                    .error(
                        format!("{}/credit", base()),
                        format!("credit \"{}\" has a second attestation", attestation.credit),
                    )
                    .set_hint(format!("keep one attestation per credit; the other is /attestations/{first}"));
            }
            if attestation.status == AttestationStatus::Approved
                && !student.evidence.iter().any(|e| e.credit == attestation.credit)
            {
                found
                    .error(
                        format!("{}/status", base()),
                        format!(
                            "credit \"{}\" is approved, but the student has no evidence for it",
                            attestation.credit
                        ),
                    )
                    .set_hint("add the evidence the approval rests on, or mark the credit \"exempt\"");
            }
            check_date(found, &|| format!("{}/date", base()), attestation.date, "attestation date");
        }
    }
}
