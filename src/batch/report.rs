//! `report.json`, made from a run's events: every student that could not be built (with the
//! reason), and apart every student with nothing to build in this format, for the
//! registrar's follow-up.

use serde::Serialize;

use super::{Counts, Event, Outcome, Plan, Problem, Status};

/// The name and version of the report's format.
pub const FORMAT: &str = "mastery-report/1";

/// A report being filled from events.
#[derive(Debug, Default)]
pub struct Report {
    problems: Vec<Problem>,
    skipped: Vec<Problem>,
    outcome: Option<Outcome>,
}

#[derive(Serialize)]
struct Written<'a> {
    format: &'static str,
    school: String,
    output: String,
    #[serde(flatten)]
    counts: Counts,
    #[allow(clippy::disallowed_types, reason = "a duration shown to people, not a value of any record")]
    seconds: f64,
    problems: &'a [Problem],
    skipped_students: &'a [Problem],
}

impl Report {
    /// An empty report.
    pub fn new() -> Report {
        Report::default()
    }

    /// Takes in one event of the run.
    pub fn record(&mut self, event: &Event) {
        match event {
            Event::Student { status: Status::Invalid(problem) | Status::Failed(problem), .. } => {
                self.problems.push(problem.clone());
            }
            Event::Student { status: Status::Skipped(problem) | Status::Withheld(problem), .. } => {
                self.skipped.push(problem.clone());
            }
            Event::Finished(outcome) => self.outcome = Some(outcome.clone()),
            _ => {}
        }
    }

    /// The students that could not be built so far, in the order of their files.
    pub fn problems(&self) -> Vec<Problem> {
        sorted(&self.problems)
    }

    /// The report as written to `report.json`: the counts, then the students, in the order of
    /// their files (workers finish in any order).
    pub fn to_json(&self, plan: &Plan) -> Vec<u8> {
        let outcome = self.outcome.clone().unwrap_or_else(|| Outcome {
            counts: Counts::default(),
            seconds: 0.0,
            cancelled: false,
            stopped_at_fault: false,
            missing: Vec::new(),
        });
        let (problems, skipped) = (sorted(&self.problems), sorted(&self.skipped));
        let written = Written {
            format: FORMAT,
            school: plan.options.school.display().to_string(),
            output: plan.options.out.display().to_string(),
            counts: outcome.counts,
            seconds: (outcome.seconds * 1000.0).round() / 1000.0,
            problems: &problems,
            skipped_students: &skipped,
        };
        let mut json = serde_json::to_vec_pretty(&written).expect("a report serializes");
        json.push(b'\n');
        json
    }
}

fn sorted(problems: &[Problem]) -> Vec<Problem> {
    let mut list = problems.to_vec();
    list.sort_by(|a, b| (&a.source, &a.student).cmp(&(&b.source, &b.student)));
    list
}
