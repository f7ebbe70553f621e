//! The aggregation methods, through the library: the published worked examples, and the
//! properties any registrar would expect of them.

use mastery::aggregate::methods::{Outcome, Score, calculate, fixed};
use mastery::aggregate::round_to_step;
use mastery::model::{Method, ModeTie, Scale, ScaleLevel, WindowStat};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn scores(values: &[Decimal]) -> Vec<Score> {
    values.iter().map(|v| Score { value: *v, weight: Decimal::ONE }).collect()
}

fn value(method: &Method, values: &[Decimal]) -> Option<Decimal> {
    match calculate(method, &scores(values), d("3")).outcome {
        Outcome::Value(v) => Some(v),
        _ => None,
    }
}

fn scale() -> Scale {
    let level = |v: &str, label: &str| ScaleLevel { value: d(v), label: label.into(), description: String::new() };
    Scale {
        levels: vec![
            level("1", "Emerging"),
            level("2", "Developing"),
            level("3", "Proficient"),
            level("4", "Distinguished"),
        ],
        mastery_threshold: d("3"),
        step: d("0.5"),
    }
}

/// Checks a method against a worked example: the scores give `expected` at two decimals.
fn check(method: Method, values: &[&str], expected: &str) {
    let values: Vec<Decimal> = values.iter().map(|v| d(v)).collect();
    let result = value(&method, &values).unwrap_or_else(|| panic!("{method:?} gave no value"));
    assert_eq!(fixed(result, 2), expected, "{method:?} of {values:?}");
}

#[test]
fn worked_examples_from_the_issue() {
    check(Method::DecayingAverage { weight: d("0.65") }, &["1", "2", "3", "4"], "3.48");
    check(Method::WeightedRecent { weight: d("0.65") }, &["1", "2", "3", "4", "5"], "4.13");
    check(Method::PowerLaw { min_scores: 3 }, &["3", "3", "1", "3"], "1.90");
    check(Method::MostRecent, &["4", "1", "2"], "2.00");
    check(Method::Highest, &["2", "4", "1"], "4.00");
    check(Method::Mean, &["1", "2", "4"], "2.33");
    check(Method::Median, &["1", "4", "2", "3"], "2.50");
    check(Method::Mode { tie: ModeTie::Higher }, &["2", "3", "2", "3"], "3.00");
    check(Method::Mode { tie: ModeTie::MoreRecent }, &["3", "2", "3", "2"], "2.00");
    check(Method::NTimes { n: 2 }, &["3", "1", "4"], "3.50");
    check(Method::RecentWindow { k: 2, of: WindowStat::Mean }, &["4", "1", "2"], "1.50");
    check(Method::RecentWindow { k: 2, of: WindowStat::Highest }, &["4", "1", "2"], "2.00");
}

#[test]
fn rounding_goes_half_up_to_the_step_once() {
    let scale = scale();
    assert_eq!(round_to_step(d("3.25"), &scale), d("3.5"));
    assert_eq!(round_to_step(d("3.2499"), &scale), d("3.0"));
    assert_eq!(round_to_step(d("3.48"), &scale), d("3.5"));
    assert_eq!(round_to_step(d("4.7"), &scale), d("4"));
    assert_eq!(round_to_step(d("0.2"), &scale), d("1"));
}

fn score() -> impl Strategy<Value = Decimal> {
    (2i64..=8).prop_map(|halves| Decimal::new(halves * 5, 1))
}

fn methods() -> Vec<Method> {
    vec![
        Method::MostRecent,
        Method::Highest,
        Method::Mean,
        Method::Median,
        Method::Mode { tie: ModeTie::Higher },
        Method::Mode { tie: ModeTie::MoreRecent },
        Method::DecayingAverage { weight: d("0.65") },
        Method::DecayingAverage { weight: d("0.99") },
        Method::WeightedRecent { weight: d("0.5") },
        Method::PowerLaw { min_scores: 3 },
        Method::NTimes { n: 2 },
        Method::RecentWindow { k: 3, of: WindowStat::Mean },
        Method::RecentWindow { k: 3, of: WindowStat::Highest },
    ]
}

proptest! {
    #[test]
    fn results_stay_within_the_scale(values in prop::collection::vec(score(), 1..25)) {
        let scale = scale();
        for method in methods() {
            if let Some(result) = value(&method, &values) {
                let level = round_to_step(result, &scale);
                prop_assert!(level >= scale.min() && level <= scale.max(), "{method:?}: {level}");
                if !matches!(method, Method::PowerLaw { .. }) {
                    // Every other method averages or picks: it never leaves the scores' range.
                    let low = *values.iter().min().unwrap();
                    let high = *values.iter().max().unwrap();
                    prop_assert!(result >= low && result <= high, "{method:?}: {result} outside {low}..{high}");
                }
            }
        }
    }

    #[test]
    fn highest_and_mean_never_fall_when_a_score_rises(values in prop::collection::vec(score(), 1..25), index in any::<prop::sample::Index>(), raise in 1i64..=6) {
        let i = index.index(values.len());
        let mut raised = values.clone();
        raised[i] = (raised[i] + Decimal::new(raise * 5, 1)).min(d("4"));
        for method in [Method::Highest, Method::Mean] {
            prop_assert!(value(&method, &raised).unwrap() >= value(&method, &values).unwrap());
        }
    }

    #[test]
    fn order_free_methods_ignore_the_order_of_same_day_scores(values in prop::collection::vec(score(), 1..25).prop_shuffle(), seed in any::<u64>()) {
        let mut shuffled = values.clone();
        // A deterministic reshuffle of the same scores.
        let n = shuffled.len();
        for i in (1..n).rev() {
            let j = (seed.wrapping_mul(6364136223846793005).wrapping_add(i as u64) % (i as u64 + 1)) as usize;
            shuffled.swap(i, j);
        }
        for method in [Method::Highest, Method::Mean, Method::Median, Method::Mode { tie: ModeTie::Higher }, Method::Mode { tie: ModeTie::None }] {
            prop_assert_eq!(value(&method, &values), value(&method, &shuffled), "{:?}", method);
        }
    }
}

/// The small school, validated, with its one student changed by `change`.
fn small_school_transcript(
    change: impl FnOnce(&mut serde_json::Value),
    school_change: impl FnOnce(&mut serde_json::Value),
) -> mastery::transcript::Transcript {
    use mastery::aggregate::{AggregateOptions, aggregate};
    use mastery::transcript::Layout;
    let dir = crate::common::small_school();
    let student_path = dir.path().join("students/s1.json");
    let mut student = crate::common::read_json(&student_path);
    change(&mut student);
    crate::common::write_json(&student_path, &student);
    let school_path = dir.path().join("school.json");
    let mut school = crate::common::read_json(&school_path);
    school_change(&mut school);
    crate::common::write_json(&school_path, &school);
    let checked = mastery::intake::check_folder(dir.path(), &Default::default()).unwrap();
    assert!(!checked.diagnostics.iter().any(|d| d.is_error()), "{:?}", checked.diagnostics);
    let school = checked.open.school.unwrap();
    let options = AggregateOptions {
        issue_date: school.transcript.issue_date.unwrap(),
        logo: None,
        layout: Layout::default(),
        disclosure: mastery::model::DisclosureProfile::everything(),
    };
    aggregate(&school, &checked.students[0].student, &options)
}

fn credit<'a>(transcript: &'a mastery::transcript::Transcript, id: &str) -> &'a mastery::transcript::CreditResult {
    transcript.areas.iter().flat_map(|a| &a.credits).find(|c| c.id == id).unwrap()
}

#[test]
fn the_attestation_rule_and_exemptions_decide_what_counts() {
    use mastery::transcript::CreditStatus;
    use serde_json::json;
    let approval = |school: &mut serde_json::Value| school["aggregation"]["attestation"] = json!("approved");
    // No attestation: the level alone is not enough.
    let t = small_school_transcript(|_| {}, approval);
    assert_eq!(credit(&t, "WRI-1").status, CreditStatus::AwaitingApproval);
    // Approved: earned, with the approver and date.
    let t = small_school_transcript(
        |s| {
            s["attestations"] =
                json!([{"credit": "WRI-1", "status": "approved", "approved_by": "Ms. Reed", "date": "2025-10-05"}])
        },
        approval,
    );
    let wri = credit(&t, "WRI-1");
    assert_eq!(
        (wri.status, wri.validated_by.as_deref(), wri.date_earned.as_deref()),
        (CreditStatus::Earned, Some("Ms. Reed"), Some("2025-10-05"))
    );
    // Exempt: counts without evidence, with a note.
    let t = small_school_transcript(
        |s| {
            s["attestations"] =
                json!([{"credit": "MAT-2", "status": "exempt", "approved_by": "Mr. Cole", "date": "2025-09-01"}])
        },
        approval,
    );
    assert_eq!(credit(&t, "MAT-2").status, CreditStatus::Exempt);
    assert!(credit(&t, "MAT-2").note.as_deref().unwrap().starts_with("exempt"));
    assert_eq!(t.areas[1].earned.value.to_string(), "1");
}

#[test]
fn too_little_evidence_gives_no_level() {
    use mastery::transcript::CreditStatus;
    let t = small_school_transcript(|_| {}, |school| school["aggregation"]["min_evidence"] = 2.into());
    let wri = credit(&t, "WRI-1");
    assert_eq!(wri.status, CreditStatus::InProgress);
    assert_eq!(wri.level, None);
    assert_eq!(
        wri.calculation.no_level_reason.as_deref(),
        Some("1 piece of evidence; the school requires 2 before giving a level")
    );
}

#[test]
fn overrides_apply_per_area_then_per_credit() {
    use serde_json::json;
    let t = small_school_transcript(
        |s| {
            let more = json!([
                {"credit": "WRI-1", "score": 1, "date": "2025-10-02", "assessor": "Ms. Reed"},
                {"credit": "MAT-1", "score": 1, "date": "2025-11-04", "assessor": "Mr. Cole"}
            ]);
            s["evidence"].as_array_mut().unwrap().extend(more.as_array().unwrap().clone());
        },
        |school| {
            school["aggregation"]["overrides"] = json!({
                "areas": {"WRI": {"method": "highest"}, "MAT": {"method": "highest"}},
                "credits": {"MAT-1": {"method": "most_recent", "reason": "the last attempt counts"}}
            })
        },
    );
    assert_eq!(credit(&t, "WRI-1").calculation.method, "highest");
    assert_eq!(credit(&t, "WRI-1").level.map(|l| l.to_string()).as_deref(), Some("3"));
    assert_eq!(credit(&t, "MAT-1").calculation.method, "most_recent");
    assert_eq!(credit(&t, "MAT-1").level.map(|l| l.to_string()).as_deref(), Some("1"));
    assert_eq!(t.policy.overrides.len(), 3);
    assert_eq!(t.policy.overrides[2].reason.as_deref(), Some("the last attempt counts"));
}

#[test]
fn graduation_is_met_on_track_or_not_met() {
    use mastery::transcript::GraduationStatus;
    use serde_json::json;
    // Two credits earned of three required; nothing else started: not met.
    let t = small_school_transcript(|_| {}, |_| {});
    assert_eq!(t.graduation.status, GraduationStatus::NotMet);
    assert_eq!(t.graduation.missing, vec!["1 credit still needed in total (2 of 3 earned)"]);
    // A third credit started: on track, since graduation is still ahead.
    let started = |s: &mut serde_json::Value| {
        s["evidence"]
            .as_array_mut()
            .unwrap()
            .push(json!({"credit": "MAT-2", "score": 2, "date": "2026-01-10", "assessor": "Mr. Cole"}))
    };
    let t = small_school_transcript(started, |_| {});
    assert_eq!(t.graduation.status, GraduationStatus::OnTrack);
    // The same after the graduation date: not met.
    let t = small_school_transcript(started, |school| school["transcript"]["issue_date"] = json!("2026-07-01"));
    assert_eq!(t.graduation.status, GraduationStatus::NotMet);
    // Mastered: met.
    let t = small_school_transcript(
        |s| {
            s["evidence"]
                .as_array_mut()
                .unwrap()
                .push(json!({"credit": "MAT-2", "score": 3, "date": "2026-01-10", "assessor": "Mr. Cole"}))
        },
        |_| {},
    );
    assert_eq!(t.graduation.status, GraduationStatus::Met);
    assert!(t.graduation.missing.is_empty());
}

#[test]
fn an_area_rule_can_forbid_low_levels() {
    use mastery::transcript::GraduationStatus;
    use serde_json::json;
    let t = small_school_transcript(
        |s| {
            s["evidence"]
                .as_array_mut()
                .unwrap()
                .push(json!({"credit": "MAT-2", "score": 1, "date": "2026-01-10", "assessor": "Mr. Cole"}))
        },
        |school| school["graduation"]["areas"]["MAT"] = json!({"credits": 1, "min_level": 2}),
    );
    assert!(!t.areas[1].met);
    assert!(
        t.graduation
            .missing
            .iter()
            .any(|m| m == "Mathematics: \"Statistics\" stands at level 1, below the area's minimum of 2"),
        "{:?}",
        t.graduation.missing
    );
    assert_ne!(t.graduation.status, GraduationStatus::Met);
}

#[test]
fn the_equivalency_maps_the_mean_level_through_the_table() {
    use serde_json::json;
    let t = small_school_transcript(
        |_| {},
        |school| {
            school["equivalency"] = json!({
                "label": "100-point equivalent", "explanation": "For forms that need a number.", "digits": 1,
                "table": [{"from": 3.26, "to": 3.74, "value_from": 93, "value_to": 96}, {"from": 3.0, "to": 3.25, "value_from": 90, "value_to": 92}]
            })
        },
    );
    // Levels 3 and 4 give a mean of 3.50: 93 + (3.50 − 3.26) / (3.74 − 3.26) × 3 = 94.5.
    let equivalency = t.equivalency.unwrap();
    let text = |v: Option<mastery::decimal::Fixed>| v.map(|v| v.to_string());
    assert_eq!((text(equivalency.mean_level), text(equivalency.value)), (Some("3.50".into()), Some("94.5".into())));
    assert!(!equivalency.on_first_page);
}
