//! Synthetic students for benchmarks and load tests (`mastery gen-fixtures`).
//!
//! The records are realistic in shape and size: a name (in several scripts the built-in fonts
//! cover), evidence for about three quarters of the school's credits with scores that improve
//! over time, approvals for most mastered credits, work samples and highlights. They are
//! generated from a seed, so the same seed gives the same students on every machine.

pub mod canvas;
pub mod edfi;
pub mod oneroster;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

use crate::model::School;

/// A small deterministic generator (SplitMix64): enough for test data, no crate needed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const GIVEN: &[&str] = &[
    "Amara",
    "Mateo",
    "Zoë",
    "Liam",
    "Sofía",
    "Noah",
    "Aiyana",
    "Kai",
    "Léa",
    "Tomás",
    "Priya",
    "Jonah",
    "Imani",
    "Björn",
    "Ngozi",
    "Hana",
    "Łukasz",
    "Yusuf",
    "Elif",
    "Dmitri",
    "Αλέξανδρος",
    "Ελένη",
    "Анастасия",
    "Иван",
    "יעל",
];
const FAMILY: &[&str] = &[
    "Okafor",
    "García",
    "Nguyễn",
    "Haddad",
    "Lindqvist",
    "Abenov",
    "Kowalski",
    "Mensah",
    "Tanaka",
    "Dubois",
    "Rivera",
    "O'Brien",
    "Fernández-Castellanos",
    "Þórsson",
    "Patel",
    "Chen",
    "Papadopoulos",
    "Kuznetsova",
    "Cohen",
];
// Full names, "given family", as a student information system holds its teachers.
const ASSESSORS: &[&str] =
    &["Adaeze Okafor", "Erik Lindqvist", "Wei Chen", "Lucía Rivera", "Marc Dubois", "Kofi Mensah", "Rosa Alvarez"];
const HIGHLIGHTS: &[&str] = &[
    "Led a team that mapped the neighbourhood's lead service lines with the city water district.",
    "Wrote and defended a study of how the 1947 fire changed the town's zoning.",
    "Built a tool the school library now uses to track interlibrary loans.",
    "Spent five weeks with a fishing cooperative and published a photo essay about it.",
    "Mentored four ninth graders through their first exhibition.",
    "Organised a debate series on local housing policy that drew 200 people.",
    "Designed a river-quality experiment that younger students now repeat every year.",
];

/// `count` synthetic student records for `school`, numbered from `first`. Dates end before
/// `issue_date`.
pub fn students(
    school: &School,
    issue_date: NaiveDate,
    first: usize,
    count: usize,
    seed: u64,
) -> impl Iterator<Item = Value> {
    let scale = school.scale.clone();
    let credits: Vec<(String, bool)> = school
        .framework
        .credits
        .iter()
        .map(|c| (c.id.clone(), c.level == crate::model::CreditLevel::Advanced))
        .collect();
    (first..first + count).map(move |n| {
        let mut random = Random(seed ^ (n as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        let id = format!("GEN-{n:06}");
        let name = format!("{} {}", random.pick(GIVEN), random.pick(FAMILY));
        let years_left = random.below(2) as u64;
        let birth = issue_date - Days::new(365 * (18 - years_left) + random.below(365) as u64);
        let graduation = issue_date + Days::new(11 + 365 * years_left);
        let start = issue_date - Days::new(365 * (3 - years_left.min(2)) + 250);
        let span = (issue_date - start).num_days().max(2) as usize;

        // Scores the scale allows, lowest first.
        let steps = ((scale.max() - scale.min()) / scale.step).to_usize().unwrap_or(0);
        let values: Vec<Decimal> = (0..=steps).map(|k| scale.min() + scale.step * Decimal::from(k)).collect();
        let strength = random.below(values.len().max(1));

        let mut evidence = Vec::new();
        let mut attestations = Vec::new();
        let mut samples = Vec::new();
        for (credit, advanced) in &credits {
            if !random.chance(75) {
                continue;
            }
            let pieces = 2 + random.below(4);
            let mut dates: Vec<NaiveDate> =
                (0..pieces).map(|_| start + Days::new(random.below(span - 1) as u64)).collect();
            dates.sort();
            let mut index = strength.saturating_sub(2 + usize::from(*advanced));
            for (i, date) in dates.iter().enumerate() {
                index = (index + random.below(3)).min(values.len() - 1);
                let mut piece = json!({
                    "credit": credit,
                    "score": values[index].normalize().to_f64(),
                    "date": date.to_string(),
                    "assessor": random.pick(ASSESSORS),
                });
                if i + 1 == pieces && random.chance(30) {
                    let sample = format!("ws-{}", samples.len() + 1);
                    piece["work_sample"] = json!(sample);
                    samples.push(json!({
                        "id": sample,
                        "title": format!("Portfolio piece for {credit}"),
                        "description": "Final version with drafts, feedback and a reflection on what changed.",
                        "url": format!("https://portfolio.example.org/{}/{}", id.to_lowercase(), sample),
                        "date": date.to_string(),
                        "credits": [credit],
                        "featured": random.chance(50),
                    }));
                }
                evidence.push(piece);
            }
            if values[index] >= scale.mastery_threshold && random.chance(90) {
                let date = (*dates.last().unwrap() + Days::new(1 + random.below(10) as u64)).min(issue_date);
                attestations.push(json!({"credit": credit, "status": "approved", "approved_by": random.pick(ASSESSORS), "date": date.to_string()}));
            }
        }
        let highlights: Vec<&str> = (0..2 + random.below(2)).map(|_| *random.pick(HIGHLIGHTS)).collect();
        json!({
            "id": id,
            "name": {"legal": name},
            "birth_date": birth.to_string(),
            "expected_graduation": graduation.to_string(),
            "evidence": evidence,
            "work_samples": samples,
            "attestations": attestations,
            "highlights": highlights,
        })
    })
}
