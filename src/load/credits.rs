//! The credit a source's own id counts towards: a learning objective of a OneRoster bundle, a
//! learning standard or competency objective of Ed-Fi. The school's map says first; then a
//! CASE GUID (a UUID, or a `urn:uuid:` URN) that ends a credit's `uri`, as `import-case`
//! keeps it; then the credit whose id it is.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::HashMap;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

use crate::hint::closest;
use crate::model::School;

/// What an id counts towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// This credit.
    Credit(&'a str),
    /// Nothing, on purpose (`null` in the school's map).
    Ignored,
    /// Nothing the school knows.
    Unknown,
}

/// The school's credits, found by id, title or CASE GUID.
pub struct Credits<'a> {
    /// Each credit's id, with its title.
    list: Vec<(&'a str, &'a str)>,
    /// Credits by the CASE GUID that ends their `uri`, lowercase.
    by_guid: HashMap<String, &'a str>,
}

impl<'a> Credits<'a> {
    /// The credits of `school`.
    pub fn new(school: &'a School) -> Credits<'a> {
        let credits = &school.framework.credits;
        let list = credits.iter().map(|c| (c.id.as_str(), c.title.as_str())).collect();
        let by_guid = credits
            .iter()
            .filter_map(|c| {
                let guid = c.uri.as_deref()?.trim_end_matches('/').rsplit('/').next()?;
                uuid::Uuid::parse_str(guid).ok().map(|g| (g.to_string(), c.id.as_str()))
            })
            .collect();
        Credits { list, by_guid }
    }

    /// The credit of `id`: by `map` (the school's), by CASE GUID, or the credit whose id it is.
    pub fn resolve(&self, map: &BTreeMap<String, Option<String>>, id: &str) -> Target<'a> {
        if let Some(credit) = map.get(id) {
            return credit.as_deref().map_or(Target::Ignored, |c| self.named(c));
        }
        let guid = id.strip_prefix("urn:uuid:").unwrap_or(id);
        if let Ok(guid) = uuid::Uuid::parse_str(guid)
            && let Some(credit) = self.by_guid.get(&guid.to_string())
        {
            return Target::Credit(credit);
        }
        self.named(id)
    }

    /// The credit with this id.
    pub fn named(&self, id: &str) -> Target<'a> {
        self.list.iter().find(|(c, _)| *c == id).map_or(Target::Unknown, |(c, _)| Target::Credit(c))
    }

    /// The credit whose id or title is closest to `id`, as (id, title), for a hint.
    pub fn closest(&self, id: &str) -> Option<(&'a str, &'a str)> {
        let guess =
            closest(id, self.list.iter().map(|(c, _)| *c)).or_else(|| closest(id, self.list.iter().map(|(_, t)| *t)));
        guess.and_then(|g| self.list.iter().find(|(c, t)| *c == g || *t == g).copied())
    }

    /// " (the closest credit is ID, "TITLE")", or nothing.
    pub fn near(&self, id: &str) -> String {
        self.closest(id).map_or(String::new(), |(c, t)| format!(" (the closest credit is {c}, \"{t}\")"))
    }
}

/// A level as a JSON number, as a record holds a score.
pub fn number(level: Decimal) -> Value {
    level.to_f64().and_then(serde_json::Number::from_f64).map_or_else(|| json!(level.to_string()), Value::Number)
}

/// What a source holds that `school.json` does not map yet, for `mastery map`: ids that count
/// towards no credit and scores that give no level, each by the setting that would map it
/// (`"oneroster/objectives"`, `"edfi/levels"`…).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Survey {
    /// (setting, id) to how many scores carry it and the titles of their assignments.
    pub ids: BTreeMap<(&'static str, String), (usize, BTreeSet<String>)>,
    /// (setting, score as written) to how many scores are written so.
    pub scores: BTreeMap<(&'static str, String), usize>,
}

impl Survey {
    /// Counts an id that maps to no credit, with the title of the assignment it was scored on.
    pub fn id(&mut self, setting: &'static str, id: &str, title: &str) {
        let entry = self.ids.entry((setting, id.to_string())).or_default();
        entry.0 += 1;
        if !title.is_empty() && entry.1.len() < 5 {
            entry.1.insert(title.to_string());
        }
    }

    /// Counts a score that gives no level.
    pub fn score(&mut self, setting: &'static str, text: &str) {
        *self.scores.entry((setting, text.to_string())).or_default() += 1;
    }

    /// Adds another source's findings.
    pub fn extend(&mut self, other: Survey) {
        for (key, (count, titles)) in other.ids {
            let entry = self.ids.entry(key).or_default();
            entry.0 += count;
            entry.1.extend(titles);
        }
        for (key, count) in other.scores {
            *self.scores.entry(key).or_default() += count;
        }
    }
}
