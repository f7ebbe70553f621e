//! Mapping help for a new source (`mastery map`): from what a survey of the school's OneRoster,
//! Ed-Fi and gradebook (Canvas) sources found unmapped ([`Survey`]), a proposal for each entry
//! `school.json` lacks — a learning objective, standard, line item or outcome to a credit, a
//! score or descriptor to a level — with the reason for it, or none when nothing is close
//! enough to propose (a section's teacher is never guessed).
//!
//! A credit is proposed when the words of the id and of the titles it was scored under share
//! more with one credit (its id and title) than with any other: `MATH.MOD`, scored on "Bridge
//! model", shares "math" and "mod…" with MAT-1 "Modelling". A level is proposed when the score
//! names one of the scale's labels, or a word that means the same on a proficiency scale
//! ("Proficient" for "Meets"). Nothing is written here: [`apply`] puts the proposals into the
//! JSON of `school.json`, and the command does so only when asked.

use serde_json::{Value, json};

use rust_decimal::Decimal;

use crate::load::credits::Survey;
use crate::model::School;

/// One entry `school.json` lacks, and what is proposed for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Where it goes under `sources` (`"oneroster/objectives"`).
    pub setting: &'static str,
    /// The id or score, as the source writes it.
    pub key: String,
    /// How many scores carry it.
    pub count: usize,
    /// The titles of the assignments it was scored on (a few).
    pub titles: Vec<String>,
    /// The credit id or level proposed; `None` when nothing is close enough.
    pub value: Option<Value>,
    /// Why, in words.
    pub reason: String,
}

/// Words of an id or title: lowercase runs of letters and digits, three or more long.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 3).map(str::to_lowercase).collect()
}

/// Whether two words are the same word: one begins the other, or they share their first four
/// letters ("model" and "modelling", "math" and "mat").
fn same_word(a: &str, b: &str) -> bool {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    a.starts_with(b) || b.starts_with(a) || common >= 4
}

/// The credit whose words most of `id`'s and `titles`' words match, if one matches more than
/// any other, with the words shared.
fn closest_credit<'s>(school: &'s School, id: &str, titles: &[String]) -> Option<(&'s str, &'s str, Vec<String>)> {
    let mut ours = words(id);
    for title in titles {
        ours.extend(words(title));
    }
    ours.sort();
    ours.dedup();
    let mut scored: Vec<(usize, &str, &str, Vec<String>)> = school
        .framework
        .credits
        .iter()
        .map(|credit| {
            let theirs: Vec<String> = words(&credit.id).into_iter().chain(words(&credit.title)).collect();
            let shared: Vec<String> = ours.iter().filter(|w| theirs.iter().any(|t| same_word(w, t))).cloned().collect();
            (shared.len(), credit.id.as_str(), credit.title.as_str(), shared)
        })
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    match scored.as_slice() {
        [(best, id, title, shared), rest @ ..] if *best > 0 && rest.first().is_none_or(|r| r.0 < *best) => {
            Some((id, title, shared.clone()))
        }
        _ => None,
    }
}

/// A level as `school.json` writes it: `3`, or `2.5`.
fn level_json(level: Decimal) -> Value {
    serde_json::from_str(&level.normalize().to_string()).unwrap_or_else(|_| json!(level.to_string()))
}

/// Words that mean one step of a proficiency scale, lowest step first.
const STEPS: [&[&str]; 4] = [
    &["beginning", "emerging", "novice", "below", "minimal", "insufficient"],
    &["approaching", "developing", "partial", "progressing", "basic", "nearing"],
    &["meets", "proficient", "mastery", "competent", "secure", "achieved"],
    &["exceeds", "advanced", "distinguished", "exemplary", "extending", "above"],
];

/// The level a score's words name: a label of the scale among them, or (on a scale of four
/// levels) a word of the same step as a label.
fn closest_level(school: &School, text: &str) -> Option<(Value, String)> {
    let code = text.rsplit_once('#').map_or(text, |(_, code)| code);
    let ours = words(code);
    let levels = &school.scale.levels;
    for level in levels {
        let label = level.label.to_lowercase();
        if ours.contains(&label) || code.eq_ignore_ascii_case(&level.label) {
            return Some((level_json(level.value), format!("names the level \"{}\"", level.label)));
        }
    }
    if levels.len() == STEPS.len() {
        for (step, synonyms) in STEPS.iter().enumerate() {
            if ours.iter().any(|w| synonyms.contains(&w.as_str())) {
                let level = &levels[step];
                return Some((
                    level_json(level.value),
                    format!("means step {} of 4 on a proficiency scale, as \"{}\" does", step + 1, level.label),
                ));
            }
        }
    }
    None
}

/// The proposals for what `survey` found, in the order of `school.json`'s settings.
pub fn propose(school: &School, survey: &Survey) -> Vec<Proposal> {
    let mut proposals = Vec::new();
    for ((setting, id), (count, titles)) in &survey.ids {
        let titles: Vec<String> = titles.iter().cloned().collect();
        let (value, reason) = match closest_credit(school, id, &titles) {
            _ if setting.ends_with("/assessors") => {
                (None, "a section's teacher is for the school to say: name them by hand".to_string())
            }
            Some((credit, title, shared)) => {
                let shared: Vec<String> = shared.iter().map(|w| format!("\"{w}\"")).collect();
                (Some(json!(credit)), format!("shares {} with {credit} \"{title}\"", shared.join(", ")))
            }
            None => (None, "no credit is clearly closest: map it by hand, or to null to leave it out".to_string()),
        };
        proposals.push(Proposal { setting, key: id.clone(), count: *count, titles, value, reason });
    }
    for ((setting, text), count) in &survey.scores {
        let (value, reason) = match closest_level(school, text) {
            Some((value, reason)) => (Some(value), reason),
            None => (None, "no level of the scale is named: map it by hand".to_string()),
        };
        proposals.push(Proposal { setting, key: text.clone(), count: *count, titles: Vec::new(), value, reason });
    }
    proposals
}

/// Puts every proposal that has a value into `config` (the JSON of `school.json`), under
/// `sources`, leaving any entry already there as it is. Returns how many were put in.
pub fn apply(config: &mut Value, proposals: &[Proposal]) -> usize {
    let mut added = 0;
    for proposal in proposals {
        let Some(value) = &proposal.value else { continue };
        let Some((source, setting)) = proposal.setting.split_once('/') else { continue };
        let Some(root) = config.as_object_mut() else { return added };
        let Some(sources) = root.entry("sources").or_insert_with(|| json!({})).as_object_mut() else { continue };
        let Some(source) = sources.entry(source).or_insert_with(|| json!({})).as_object_mut() else { continue };
        let Some(map) = source.entry(setting).or_insert_with(|| json!({})).as_object_mut() else { continue };
        if !map.contains_key(&proposal.key) {
            map.insert(proposal.key.clone(), value.clone());
            added += 1;
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    fn school() -> School {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/oneroster-school/school.json"))
                .expect("the fixture is there");
        serde_json::from_str(&text).expect("the fixture's school.json is a school")
    }

    #[test]
    fn an_objective_is_proposed_the_credit_its_words_share_most_with() {
        let school = school();
        let found = closest_credit(&school, "MATH.MOD", &["Bridge model".to_string()]).expect("a proposal");
        assert_eq!((found.0, found.1), ("MAT-1", "Modelling"));
        assert_eq!(closest_credit(&school, "ENG.ARG", &["Argument essay".to_string()]).map(|f| f.0), Some("WRI-1"));
        // Sharing as much with two credits proposes neither.
        assert_eq!(closest_credit(&school, "MATH.GEN", &[]), None);
        assert_eq!(closest_credit(&school, "X7", &["Field trip".to_string()]), None);
    }

    #[test]
    fn a_score_is_proposed_the_level_it_names() {
        let school = school();
        assert_eq!(closest_level(&school, "Meets Standard").map(|l| l.0), Some(json!(3)));
        assert_eq!(
            closest_level(&school, "uri://ed-fi.org/CompetencyLevelDescriptor#Proficient").map(|l| l.0),
            Some(json!(3))
        );
        assert_eq!(closest_level(&school, "Advanced").map(|l| l.0), Some(json!(4)));
        assert_eq!(closest_level(&school, "Incomplete"), None);
    }

    #[test]
    fn applying_adds_only_what_is_missing() {
        let mut config = json!({"sources": {"oneroster": {"objectives": {"A": "WRI-1"}}}});
        let proposals = vec![
            Proposal {
                setting: "oneroster/objectives",
                key: "A".into(),
                count: 1,
                titles: vec![],
                value: Some(json!("MAT-1")),
                reason: String::new(),
            },
            Proposal {
                setting: "oneroster/objectives",
                key: "B".into(),
                count: 1,
                titles: vec![],
                value: Some(json!("MAT-2")),
                reason: String::new(),
            },
            Proposal {
                setting: "edfi/levels",
                key: "P".into(),
                count: 1,
                titles: vec![],
                value: Some(json!(3)),
                reason: String::new(),
            },
            Proposal {
                setting: "edfi/levels",
                key: "Q".into(),
                count: 1,
                titles: vec![],
                value: None,
                reason: String::new(),
            },
        ];
        assert_eq!(apply(&mut config, &proposals), 2);
        assert_eq!(
            config,
            json!({"sources": {"oneroster": {"objectives": {"A": "WRI-1", "B": "MAT-2"}}, "edfi": {"levels": {"P": 3}}}})
        );
    }
}
