//! The working behind a transcript's numbers, as text a registrar can check by hand.
//!
//! `mastery explain` prints what this module writes: for each credit, the policy that applies,
//! the evidence in the order the method reads it, every intermediate value, the rounding, and
//! the rule that decided the credit's status. It reads only the [`Transcript`], so it shows
//! exactly what the printed transcript rests on.

use std::fmt::Write;

use crate::decimal::Fixed;
use crate::model::{AttestationStatus, CreditLevel};
use crate::transcript::{CreditResult, CreditStatus, GraduationStatus, Transcript};

/// Explains every credit of the transcript, or only `credit` when given. `None` when the
/// transcript has no credit with that id.
pub fn explain(transcript: &Transcript, credit: Option<&str>) -> Option<String> {
    let mut out = String::new();
    let student = &transcript.student;
    let id = student.id.as_deref().unwrap_or("id withheld");
    let _ = writeln!(out, "{} ({id}), transcript issued {}", student.display_name, transcript.issue_date);
    let _ = writeln!(
        out,
        "scale: {} to {} in steps of {}; mastery at {} ({})",
        transcript.scale.min,
        transcript.scale.max,
        transcript.scale.step,
        transcript.scale.threshold,
        transcript.scale.threshold_label
    );
    let mut found = false;
    for area in &transcript.areas {
        for result in area.credits.iter().filter(|c| credit.is_none_or(|id| c.id == id)) {
            found = true;
            out.push('\n');
            credit_text(&mut out, &area.title, result, &transcript.scale.threshold);
        }
    }
    if credit.is_none() {
        out.push('\n');
        graduation_text(&mut out, transcript);
    }
    (found || credit.is_none()).then_some(out)
}

fn credit_text(out: &mut String, area: &str, credit: &CreditResult, threshold: &Fixed) {
    let calculation = &credit.calculation;
    let tier = match credit.tier {
        CreditLevel::Foundational => "foundational",
        CreditLevel::Advanced => "advanced",
    };
    let _ = writeln!(out, "credit {} \"{}\" ({area}, {tier}, worth {})", credit.id, credit.title, credit.value);
    let _ = writeln!(out, "  method: {} ({})", calculation.method, calculation.description);
    let _ = writeln!(
        out,
        "  needs: at least {} piece{} of evidence{}",
        calculation.min_evidence,
        if calculation.min_evidence == 1 { "" } else { "s" },
        if calculation.attestation_required { ", and a teacher's approval" } else { "" }
    );
    if calculation.evidence.is_empty() {
        let _ = writeln!(out, "  evidence: none");
    } else {
        let _ = writeln!(out, "  evidence, in the order the method reads it (by date):");
        for evidence in &calculation.evidence {
            let position = evidence.position.map_or_else(|| "--".to_string(), |i| format!("s{i}"));
            let mut line = format!("    {position:<3} {}  score {}", evidence.date, evidence.score);
            if !evidence.weight.is_one() {
                let _ = write!(line, "  weight {}", evidence.weight);
            }
            let _ = write!(line, "  by {}", evidence.assessor);
            if let Some(sample) = &evidence.work_sample {
                let _ = write!(line, "  (work sample {sample})");
            }
            if !evidence.counted {
                line.push_str("  not counted: weight 0");
            }
            let _ = writeln!(out, "{line}");
        }
    }
    if !calculation.steps.is_empty() {
        let _ = writeln!(out, "  working:");
        let width =
            calculation.steps.iter().map(|s| s.label.chars().count() + s.formula.chars().count()).max().unwrap_or(0);
        for step in &calculation.steps {
            let used = step.label.chars().count() + step.formula.chars().count();
            let _ = writeln!(out, "    {} = {}{} = {}", step.label, step.formula, " ".repeat(width - used), step.value);
        }
    }
    match (&calculation.raw, &calculation.rounded, &calculation.no_level_reason) {
        (Some(raw), Some(rounded), _) => {
            let label = credit.level_label.as_deref().unwrap_or("");
            let _ = writeln!(out, "  result: {raw}, rounded half up to the scale's step: {rounded} ({label})");
            let reached = rounded.value() >= threshold.value();
            let _ =
                writeln!(out, "  mastery threshold {threshold}: {}", if reached { "reached" } else { "not reached" });
        }
        (_, _, Some(reason)) => {
            let _ = writeln!(out, "  result: no level ({reason})");
        }
        _ => {}
    }
    if let Some(status) = credit.attestation {
        let by = credit.validated_by.as_deref().map(|v| format!(" by {v}")).unwrap_or_default();
        let status = match status {
            AttestationStatus::Pending => "pending",
            AttestationStatus::Approved => "approved",
            AttestationStatus::Exempt => "exempt",
        };
        let _ = writeln!(out, "  attestation: {status}{by}");
    }
    let status = match credit.status {
        CreditStatus::Earned => "earned",
        CreditStatus::Exempt => "exempt (counts as earned)",
        CreditStatus::AwaitingApproval => "awaiting approval",
        CreditStatus::AwaitingJudgement => "awaiting a teacher's judgement",
        CreditStatus::InProgress => "in progress",
        CreditStatus::NotStarted => "not started",
    };
    let _ = write!(out, "  status: {status}");
    if let Some(date) = &credit.date_earned {
        let _ = write!(out, " on {date}");
    }
    out.push('\n');
}

fn graduation_text(out: &mut String, transcript: &Transcript) {
    let graduation = &transcript.graduation;
    let _ = writeln!(out, "graduation:");
    for area in &transcript.areas {
        let required = area.required.map(|r| format!(" of {r} required")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}: {} earned{required} ({} foundational, {} advanced){}",
            area.title,
            area.earned.value,
            area.earned.foundational,
            area.earned.advanced,
            if area.met { "" } else { ": not met" }
        );
    }
    let _ = writeln!(out, "  total: {} of {} required", graduation.total_earned, graduation.total_required);
    if !graduation.advanced_required.value().is_zero() {
        let _ =
            writeln!(out, "  advanced: {} of {} required", graduation.advanced_earned, graduation.advanced_required);
    }
    for missing in &graduation.missing {
        let _ = writeln!(out, "  missing: {missing}");
    }
    let status = match graduation.status {
        GraduationStatus::Met => "met",
        GraduationStatus::OnTrack => {
            "on track (credits already started could make up what is missing before the expected graduation date)"
        }
        GraduationStatus::NotMet => "not met",
    };
    let _ = writeln!(out, "  status: {status}");
}
