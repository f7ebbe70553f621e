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
    values
        .iter()
        .map(|v| Score {
            value: *v,
            weight: Decimal::ONE,
        })
        .collect()
}

fn value(method: &Method, values: &[Decimal]) -> Option<Decimal> {
    match calculate(method, &scores(values), d("3")).outcome {
        Outcome::Value(v) => Some(v),
        _ => None,
    }
}

fn scale() -> Scale {
    let level = |v: &str, label: &str| ScaleLevel {
        value: d(v),
        label: label.into(),
        description: String::new(),
    };
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
    check(
        Method::DecayingAverage { weight: d("0.65") },
        &["1", "2", "3", "4"],
        "3.48",
    );
    check(
        Method::WeightedRecent { weight: d("0.65") },
        &["1", "2", "3", "4", "5"],
        "4.13",
    );
    check(
        Method::PowerLaw { min_scores: 3 },
        &["3", "3", "1", "3"],
        "1.90",
    );
    check(Method::MostRecent, &["4", "1", "2"], "2.00");
    check(Method::Highest, &["2", "4", "1"], "4.00");
    check(Method::Mean, &["1", "2", "4"], "2.33");
    check(Method::Median, &["1", "4", "2", "3"], "2.50");
    check(
        Method::Mode {
            tie: ModeTie::Higher,
        },
        &["2", "3", "2", "3"],
        "3.00",
    );
    check(
        Method::Mode {
            tie: ModeTie::MoreRecent,
        },
        &["3", "2", "3", "2"],
        "2.00",
    );
    check(Method::NTimes { n: 2 }, &["3", "1", "4"], "3.50");
    check(
        Method::RecentWindow {
            k: 2,
            of: WindowStat::Mean,
        },
        &["4", "1", "2"],
        "1.50",
    );
    check(
        Method::RecentWindow {
            k: 2,
            of: WindowStat::Highest,
        },
        &["4", "1", "2"],
        "2.00",
    );
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
        Method::Mode {
            tie: ModeTie::Higher,
        },
        Method::Mode {
            tie: ModeTie::MoreRecent,
        },
        Method::DecayingAverage { weight: d("0.65") },
        Method::DecayingAverage { weight: d("0.99") },
        Method::WeightedRecent { weight: d("0.5") },
        Method::PowerLaw { min_scores: 3 },
        Method::NTimes { n: 2 },
        Method::RecentWindow {
            k: 3,
            of: WindowStat::Mean,
        },
        Method::RecentWindow {
            k: 3,
            of: WindowStat::Highest,
        },
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
