//! The aggregation methods: how a list of scores becomes one value.
//!
//! Scores come in assessment-date order (on the same date, in the order of the record), with
//! the zero-weight ones already set aside. Every method records its intermediate values as
//! [`Step`]s, so a registrar can redo the arithmetic by hand. All arithmetic is in exact
//! decimals except the power law, which needs logarithms: it uses `libm`, a pure-Rust port of
//! musl's maths library, so the result is the same on every machine.

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::decimal::Amount;
use crate::model::{Method, ModeTie, WindowStat};
use crate::transcript::NoLevel;

/// One counted score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// The score, on the school's scale.
    pub value: Decimal,
    /// Weight in a mean; always more than zero here.
    pub weight: Decimal,
}

/// One line of the working: what was computed, how, and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// What was computed, in words.
    pub label: String,
    /// How, as a formula with the numbers put in.
    pub formula: String,
    /// The result.
    pub value: Decimal,
}

/// What a method made of the scores.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A value, before rounding to the scale.
    Value(Decimal),
    /// No value: the method's own condition is not met (too few scores for a power law,
    /// fewer than n scores at mastery), or it cannot decide and a teacher must (a mode tie
    /// under `tie: none`).
    NoValue(NoLevel),
}

/// A method's outcome with its working.
#[derive(Debug, Clone, PartialEq)]
pub struct Calculation {
    /// The value, or why there is none.
    pub outcome: Outcome,
    /// Every step, in order.
    pub steps: Vec<Step>,
}

/// Digits kept for intermediate values shown in the working.
pub const STEP_DIGITS: u32 = 4;

/// Applies `method` to `scores` (oldest first). `threshold` is the mastery threshold, used by
/// `n_times`. There must be at least one score.
pub fn calculate(method: &Method, scores: &[Score], threshold: Decimal) -> Calculation {
    assert!(!scores.is_empty(), "calculate needs at least one score");
    let mut steps = Vec::new();
    let values: Vec<Decimal> = scores.iter().map(|s| s.value).collect();
    let outcome = match method {
        Method::MostRecent => Outcome::Value(*values.last().unwrap()),
        Method::Highest => Outcome::Value(highest(&values)),
        Method::Mean => Outcome::Value(weighted_mean(scores, &mut steps)),
        Method::Median => Outcome::Value(median(&values, &mut steps)),
        Method::Mode { tie } => mode(&values, *tie, &mut steps),
        Method::DecayingAverage { weight } => Outcome::Value(decaying_average(&values, *weight, &mut steps)),
        Method::WeightedRecent { weight } => Outcome::Value(weighted_recent(&values, *weight, &mut steps)),
        Method::PowerLaw { min_scores } => power_law(&values, *min_scores, &mut steps),
        Method::NTimes { n } => n_times(&values, *n, threshold, &mut steps),
        Method::RecentWindow { k, of } => Outcome::Value(recent_window(&values, *k, *of, &mut steps)),
    };
    Calculation { outcome, steps }
}

fn highest(values: &[Decimal]) -> Decimal {
    values.iter().copied().max().unwrap()
}

fn list(values: &[Decimal]) -> String {
    values.iter().map(|v| v.normalize().to_string()).collect::<Vec<_>>().join(", ")
}

/// Shows an intermediate value with a fixed number of digits.
pub fn fixed(value: Decimal, digits: u32) -> String {
    let mut rounded = value.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(digits);
    rounded.to_string()
}

fn step(steps: &mut Vec<Step>, label: &str, formula: String, value: Decimal) {
    steps.push(Step { label: label.to_string(), formula, value });
}

fn weighted_mean(scores: &[Score], steps: &mut Vec<Step>) -> Decimal {
    let total: Decimal = scores.iter().map(|s| s.weight * s.value).sum();
    let weights: Decimal = scores.iter().map(|s| s.weight).sum();
    let terms = scores
        .iter()
        .map(|s| format!("{}×{}", s.weight.normalize(), s.value.normalize()))
        .collect::<Vec<_>>()
        .join(" + ");
    step(steps, "Σw·s", terms, total);
    step(steps, "Σw", scores.iter().map(|s| s.weight.normalize().to_string()).collect::<Vec<_>>().join(" + "), weights);
    let mean = total / weights;
    step(steps, "mean", format!("{} / {}", total.normalize(), weights.normalize()), mean);
    mean
}

fn median(values: &[Decimal], steps: &mut Vec<Step>) -> Decimal {
    let mut sorted = values.to_vec();
    sorted.sort();
    let n = sorted.len();
    let middle = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / Decimal::TWO };
    let formula = if n % 2 == 1 {
        format!("middle of sorted [{}]", list(&sorted))
    } else {
        format!("mean of the two middle scores of sorted [{}]", list(&sorted))
    };
    step(steps, "median", formula, middle);
    middle
}

fn mode(values: &[Decimal], tie: ModeTie, steps: &mut Vec<Step>) -> Outcome {
    // (value, count, index of its latest occurrence)
    let mut counts: Vec<(Decimal, usize, usize)> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        match counts.iter_mut().find(|(v, _, _)| v == value) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 = i;
            }
            None => counts.push((*value, 1, i)),
        }
    }
    counts.sort_by_key(|c| c.0);
    let top = counts.iter().map(|c| c.1).max().unwrap();
    let tied: Vec<&(Decimal, usize, usize)> = counts.iter().filter(|c| c.1 == top).collect();
    let tally = counts.iter().map(|(v, c, _)| format!("{}: {c}×", v.normalize())).collect::<Vec<_>>().join(", ");
    if tied.len() == 1 {
        step(steps, "mode", format!("counts {tally}"), tied[0].0);
        return Outcome::Value(tied[0].0);
    }
    let tied_values: Vec<Decimal> = tied.iter().map(|c| c.0).collect();
    match tie {
        ModeTie::Higher => {
            let value = *tied_values.last().unwrap();
            step(
                steps,
                "mode",
                format!("counts {tally}; tie between {} broken by the higher score", list(&tied_values)),
                value,
            );
            Outcome::Value(value)
        }
        ModeTie::MoreRecent => {
            let latest = tied.iter().max_by_key(|c| c.2).unwrap();
            step(
                steps,
                "mode",
                format!("counts {tally}; tie between {} broken by the more recent score", list(&tied_values)),
                latest.0,
            );
            Outcome::Value(latest.0)
        }
        ModeTie::None => {
            step(
                steps,
                "tie",
                format!("counts {tally}; tie between {} left to a teacher", list(&tied_values)),
                tied_values[0],
            );
            Outcome::NoValue(NoLevel::Tie { scores: tied_values.iter().map(|v| Amount::new(*v)).collect() })
        }
    }
}

fn decaying_average(values: &[Decimal], weight: Decimal, steps: &mut Vec<Step>) -> Decimal {
    let keep = Decimal::ONE - weight;
    let mut current = values[0];
    step(steps, "d1", format!("s1 = {}", values[0].normalize()), current);
    for (k, value) in values.iter().enumerate().skip(1) {
        let next = keep * current + weight * value;
        step(
            steps,
            &format!("d{}", k + 1),
            format!(
                "{} × {} + {} × {}",
                keep.normalize(),
                fixed(current, STEP_DIGITS),
                weight.normalize(),
                value.normalize()
            ),
            next,
        );
        current = next;
    }
    current
}

fn weighted_recent(values: &[Decimal], weight: Decimal, steps: &mut Vec<Step>) -> Decimal {
    let (newest, earlier) = values.split_last().unwrap();
    if earlier.is_empty() {
        step(steps, "result", format!("only one score: {}", newest.normalize()), *newest);
        return *newest;
    }
    let earlier_mean = earlier.iter().copied().sum::<Decimal>() / Decimal::from(earlier.len());
    step(steps, "mean of earlier", format!("mean({})", list(earlier)), earlier_mean);
    let result = weight * newest + (Decimal::ONE - weight) * earlier_mean;
    step(
        steps,
        "result",
        format!(
            "{} × {} + {} × {}",
            weight.normalize(),
            newest.normalize(),
            (Decimal::ONE - weight).normalize(),
            fixed(earlier_mean, STEP_DIGITS)
        ),
        result,
    );
    result
}

#[allow(
    clippy::disallowed_types,
    reason = "the power law's least-squares fit on logarithms (libm, the same on every machine), turned into a decimal once"
)]
fn to_decimal(value: f64) -> Decimal {
    Decimal::from_f64(value).unwrap_or_default().round_dp(12)
}

#[allow(
    clippy::disallowed_types,
    reason = "the power law's least-squares fit on logarithms (libm, the same on every machine), turned into a decimal once"
)]
fn power_law(values: &[Decimal], min_scores: u32, steps: &mut Vec<Step>) -> Outcome {
    let n = values.len();
    if n < min_scores as usize {
        return Outcome::NoValue(NoLevel::TooFewScores { have: n as u32, need: min_scores });
    }
    if values.iter().any(|v| *v <= Decimal::ZERO) {
        return Outcome::NoValue(NoLevel::ScoreNotPositive);
    }
    // Least squares on (ln i, ln s_i), i = 1..n.
    let xs: Vec<f64> = (1..=n).map(|i| libm::log(i as f64)).collect();
    let ys: Vec<f64> = values.iter().map(|v| libm::log(v.to_f64().unwrap_or(0.0))).collect();
    let count = n as f64;
    let sum_x: f64 = xs.iter().sum();
    let sum_y: f64 = ys.iter().sum();
    let sum_xy: f64 = xs.iter().zip(&ys).map(|(x, y)| x * y).sum();
    let sum_xx: f64 = xs.iter().map(|x| x * x).sum();
    let b = (count * sum_xy - sum_x * sum_y) / (count * sum_xx - sum_x * sum_x);
    let ln_a = (sum_y - b * sum_x) / count;
    let a = libm::exp(ln_a);
    let result = a * libm::pow(count, b);
    step(steps, "b", "(nΣ(ln i·ln s) − Σln i·Σln s) / (nΣ(ln i)² − (Σln i)²)".to_string(), to_decimal(b));
    step(steps, "a", "exp((Σln s − b·Σln i) / n)".to_string(), to_decimal(a));
    step(steps, "a·n^b", format!("a × {n}^b"), to_decimal(result));
    Outcome::Value(to_decimal(result))
}

fn n_times(values: &[Decimal], n: u32, threshold: Decimal, steps: &mut Vec<Step>) -> Outcome {
    let kept: Vec<Decimal> = values.iter().copied().filter(|v| *v >= threshold).collect();
    if kept.len() < n as usize {
        return Outcome::NoValue(NoLevel::NotEnoughAtMastery {
            have: kept.len() as u32,
            need: n,
            threshold: Amount::new(threshold),
        });
    }
    let mean = kept.iter().copied().sum::<Decimal>() / Decimal::from(kept.len());
    step(steps, "mean of scores at mastery", format!("mean({})", list(&kept)), mean);
    Outcome::Value(mean)
}

fn recent_window(values: &[Decimal], k: u32, of: WindowStat, steps: &mut Vec<Step>) -> Decimal {
    let window = &values[values.len().saturating_sub(k as usize)..];
    let (label, value) = match of {
        WindowStat::Mean => {
            ("mean of most recent", window.iter().copied().sum::<Decimal>() / Decimal::from(window.len()))
        }
        WindowStat::Highest => ("highest of most recent", highest(window)),
    };
    step(steps, &format!("{label} {}", window.len()), format!("[{}]", list(window)), value);
    value
}

#[allow(clippy::disallowed_types, reason = "worked examples written as floats")]
#[cfg(test)]
mod tests {
    use super::*;

    fn scores(values: &[f64]) -> Vec<Score> {
        values.iter().map(|v| Score { value: Decimal::from_f64(*v).unwrap(), weight: Decimal::ONE }).collect()
    }

    fn check(method: Method, values: &[f64], expected: &str) {
        let calculation = calculate(&method, &scores(values), Decimal::from(3));
        match calculation.outcome {
            Outcome::Value(value) => {
                assert_eq!(fixed(value, 2), expected, "{method:?} of {values:?}")
            }
            other => panic!("{method:?} of {values:?} gave {other:?}"),
        }
    }

    fn weight(w: &str) -> Decimal {
        w.parse().unwrap()
    }

    #[test]
    fn the_worked_examples_hold() {
        check(Method::DecayingAverage { weight: weight("0.65") }, &[1.0, 2.0, 3.0, 4.0], "3.48");
        check(Method::WeightedRecent { weight: weight("0.65") }, &[1.0, 2.0, 3.0, 4.0, 5.0], "4.13");
        check(Method::PowerLaw { min_scores: 3 }, &[3.0, 3.0, 1.0, 3.0], "1.90");
    }

    #[test]
    fn simple_methods() {
        check(Method::MostRecent, &[4.0, 2.0, 3.0], "3.00");
        check(Method::Highest, &[2.0, 4.0, 3.0], "4.00");
        check(Method::Mean, &[2.0, 3.0, 3.0], "2.67");
        check(Method::Median, &[4.0, 1.0, 3.0], "3.00");
        check(Method::Median, &[4.0, 1.0, 3.0, 2.0], "2.50");
        check(Method::RecentWindow { k: 2, of: WindowStat::Mean }, &[1.0, 4.0, 3.0], "3.50");
        check(Method::RecentWindow { k: 2, of: WindowStat::Highest }, &[4.0, 2.0, 3.0], "3.00");
        check(Method::RecentWindow { k: 5, of: WindowStat::Mean }, &[2.0, 3.0], "2.50");
    }

    #[test]
    fn weights_count_in_the_mean() {
        let scores = vec![
            Score { value: Decimal::from(2), weight: Decimal::ONE },
            Score { value: Decimal::from(4), weight: Decimal::from(3) },
        ];
        let calculation = calculate(&Method::Mean, &scores, Decimal::from(3));
        assert_eq!(calculation.outcome, Outcome::Value(Decimal::new(35, 1)));
        assert_eq!(calculation.steps[0].formula, "1×2 + 3×4");
    }

    #[test]
    fn mode_ties_follow_the_policy() {
        check(Method::Mode { tie: ModeTie::Higher }, &[3.0, 2.0, 2.0, 3.0, 1.0], "3.00");
        check(Method::Mode { tie: ModeTie::MoreRecent }, &[3.0, 2.0, 3.0, 2.0], "2.00");
        check(Method::Mode { tie: ModeTie::None }, &[3.0, 3.0, 2.0], "3.00");
        let tie = calculate(&Method::Mode { tie: ModeTie::None }, &scores(&[3.0, 2.0]), Decimal::from(3));
        assert_eq!(
            tie.outcome,
            Outcome::NoValue(NoLevel::Tie { scores: vec![Amount::new(Decimal::TWO), Amount::new(Decimal::from(3))] })
        );
    }

    #[test]
    fn n_times_needs_n_scores_at_mastery() {
        check(Method::NTimes { n: 2 }, &[2.0, 3.0, 4.0, 1.0], "3.50");
        let short = calculate(&Method::NTimes { n: 3 }, &scores(&[2.0, 3.0, 4.0]), Decimal::from(3));
        assert_eq!(
            short.outcome,
            Outcome::NoValue(NoLevel::NotEnoughAtMastery {
                have: 2,
                need: 3,
                threshold: Amount::new(Decimal::from(3))
            })
        );
    }

    #[test]
    fn power_law_needs_enough_positive_scores() {
        let short = calculate(&Method::PowerLaw { min_scores: 3 }, &scores(&[3.0, 3.0]), Decimal::from(3));
        assert!(matches!(short.outcome, Outcome::NoValue(_)));
        let zero = calculate(&Method::PowerLaw { min_scores: 3 }, &scores(&[3.0, 0.0, 3.0]), Decimal::from(3));
        assert!(matches!(zero.outcome, Outcome::NoValue(_)));
    }

    #[test]
    fn long_decaying_runs_stay_exact_enough() {
        let values: Vec<f64> = (0..60).map(|i| f64::from(1 + i % 4)).collect();
        let calculation =
            calculate(&Method::DecayingAverage { weight: weight("0.99") }, &scores(&values), Decimal::from(3));
        assert!(matches!(calculation.outcome, Outcome::Value(_)));
    }
}
