//! `mastery explain`: the working a registrar checks by hand, pinned as snapshots.

use crate::common::*;

fn explain(args: &[&str]) -> String {
    let mut all = vec!["explain", "fixtures/example-school"];
    all.extend_from_slice(args);
    let output = run(&all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output)
}

#[test]
fn a_decaying_average_with_an_uncounted_score() {
    insta::assert_snapshot!(explain(&["--student", "HV-2026-005", "--credit", "ACT-01"]));
}

#[test]
fn a_mode_override_for_habits_of_mind() {
    insta::assert_snapshot!(explain(&["--student", "HV-2026-001", "--credit", "HOM-02"]));
}

#[test]
fn a_whole_student_with_graduation() {
    insta::assert_snapshot!(explain(&["--student", "HV-2026-006"]));
}

#[test]
fn a_pending_approval_and_an_exemption() {
    insta::assert_snapshot!(explain(&["--student", "HV-2027-009", "--credit", "COM-01"]));
    insta::assert_snapshot!(explain(&["--student", "HV-2026-003", "--credit", "COM-04"]));
}

#[test]
fn unknown_students_and_credits_are_usage_errors() {
    let output = run(&["explain", "fixtures/example-school", "--student", "NOBODY"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output), "error: no valid student with id \"NOBODY\" in fixtures/example-school\n");
    let output = run(&["explain", "fixtures/example-school", "--student", "HV-2026-001", "--credit", "XYZ"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output), "error: the framework has no credit \"XYZ\"\n");
}
