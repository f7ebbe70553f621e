//! The tables of one or more bundles, merged: each bundle in name order, a bulk file replacing
//! its table, a delta file changing it row by row by `sourcedId`.
//!
//! Ids are interned (a `u32` for each distinct `sourcedId` or objective id), and results, the
//! one table that grows with the school, are kept as small typed rows rather than text.

use std::io;
use std::rc::Rc;

use foldhash::{HashMap, HashMapExt};

use super::bundle::{Bundle, Mode, Place, Row, read_rows};
use crate::diag::Diagnostic;

/// An interned id.
pub type Id = u32;

/// Every distinct id seen, each once (one allocation shared by the table and the list).
pub struct Ids {
    index: HashMap<Rc<str>, Id>,
    names: Vec<Rc<str>>,
}

impl Default for Ids {
    fn default() -> Self {
        Ids { index: HashMap::new(), names: Vec::new() }
    }
}

impl Ids {
    /// The number of `text`, given it if new.
    pub fn intern(&mut self, text: &str) -> Id {
        if let Some(id) = self.index.get(text) {
            return *id;
        }
        let id = self.names.len() as Id;
        let name: Rc<str> = Rc::from(text);
        self.names.push(name.clone());
        self.index.insert(name, id);
        id
    }

    /// The number of `text`, if it was seen.
    pub fn find(&self, text: &str) -> Option<Id> {
        self.index.get(text).copied()
    }

    /// The text of `id`.
    pub fn name(&self, id: Id) -> &str {
        &self.names[id as usize]
    }
}

/// A table's rows by `sourcedId`, in the order they were first given.
pub struct Keyed<T> {
    index: HashMap<Id, usize>,
    rows: Vec<Option<(Id, T)>>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed { index: HashMap::new(), rows: Vec::new() }
    }
}

impl<T> Keyed<T> {
    fn clear(&mut self) {
        self.index.clear();
        self.rows.clear();
    }

    fn put(&mut self, key: Id, row: T) {
        match self.index.get(&key) {
            Some(&at) => self.rows[at] = Some((key, row)),
            None => {
                self.index.insert(key, self.rows.len());
                self.rows.push(Some((key, row)));
            }
        }
    }

    fn remove(&mut self, key: Id) {
        if let Some(at) = self.index.remove(&key) {
            self.rows[at] = None;
        }
    }

    /// The row of `key`.
    pub fn get(&self, key: Id) -> Option<&T> {
        self.index.get(&key).and_then(|&at| self.rows[at].as_ref()).map(|(_, row)| row)
    }

    /// Every row with its key, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Id, &T)> {
        self.rows.iter().flatten().map(|(key, row)| (*key, row))
    }
}

/// A row of a small table: its place and its cells, in the order of its table's columns.
pub struct Cells {
    /// Where it stands.
    pub place: Place,
    cells: Box<[Box<str>]>,
}

impl Cells {
    /// The `k`th cell, empty when not given.
    pub fn get(&self, k: usize) -> &str {
        &self.cells[k]
    }

    /// The `k`th cell, or `None` when it is empty.
    pub fn some(&self, k: usize) -> Option<&str> {
        Some(self.get(k)).filter(|t| !t.is_empty())
    }
}

/// What a result's `scoreStatus` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreStatus {
    /// `fully graded`: evidence.
    Graded,
    /// `exempt`.
    Exempt,
    /// `not submitted`, `submitted`, `partially graded`, or an extension: not (yet) evidence.
    NotGraded,
}

/// A row of `results.csv`.
pub struct ResultRow {
    /// Where it stands.
    pub place: Place,
    /// The student's user.
    pub student: Id,
    /// The line item.
    pub line_item: Id,
    /// The class, when the row names it (1.2).
    pub class: Option<Id>,
    /// Its status.
    pub status: ScoreStatus,
    /// The numeric score, as written.
    pub score: Option<Box<str>>,
    /// The text score.
    pub text_score: Option<Box<str>>,
    /// The date.
    pub date: Box<str>,
    /// The teacher's comment.
    pub comment: Option<Box<str>>,
}

/// A row of `resultLearningObjectiveIds.csv`: a result's score on one objective.
pub struct ObjectiveResult {
    /// Where it stands.
    pub place: Place,
    /// The result.
    pub result: Id,
    /// The objective.
    pub objective: Id,
    /// Its own score, as written.
    pub score: Option<Box<str>>,
    /// Its own text score.
    pub text_score: Option<Box<str>>,
}

/// The columns read of each small table, the first being `sourcedId` and the second `status`.
pub mod columns {
    /// `users.csv`. Further columns (the graduation rule's) are added after these.
    pub const USERS: [&str; 11] = [
        "sourcedId",
        "status",
        "identifier",
        "givenName",
        "middleName",
        "familyName",
        "preferredGivenName",
        "preferredFamilyName",
        "grades",
        "role",
        "username",
    ];
    /// `demographics.csv`.
    pub const DEMOGRAPHICS: [&str; 3] = ["sourcedId", "status", "birthDate"];
    /// `enrollments.csv`.
    pub const ENROLLMENTS: [&str; 6] = ["sourcedId", "status", "classSourcedId", "userSourcedId", "role", "primary"];
    /// `roles.csv` (1.2).
    pub const ROLES: [&str; 4] = ["sourcedId", "status", "userSourcedId", "role"];
    /// `lineItems.csv`.
    pub const LINE_ITEMS: [&str; 4] = ["sourcedId", "status", "title", "classSourcedId"];
    /// `lineItemLearningObjectiveIds.csv`.
    pub const LINE_ITEM_OBJECTIVES: [&str; 5] =
        ["sourcedId", "status", "lineItemSourcedId", "source", "learningObjectiveId"];
    /// `scoreScales.csv`.
    pub const SCORE_SCALES: [&str; 4] = ["sourcedId", "status", "title", "scoreScaleValue"];
    /// `lineItemScoreScales.csv`.
    pub const LINE_ITEM_SCALES: [&str; 4] = ["sourcedId", "status", "lineItemSourcedId", "scoreScaleSourcedId"];
    /// `resultScoreScales.csv`.
    pub const RESULT_SCALES: [&str; 4] = ["sourcedId", "status", "resultSourcedId", "scoreScaleSourcedId"];
    /// `results.csv`.
    pub const RESULTS: [&str; 10] = [
        "sourcedId",
        "status",
        "lineItemSourcedId",
        "studentSourcedId",
        "scoreStatus",
        "score",
        "scoreDate",
        "comment",
        "textScore",
        "classSourcedId",
    ];
    /// `resultLearningObjectiveIds.csv`.
    pub const RESULT_OBJECTIVES: [&str; 7] =
        ["sourcedId", "status", "resultSourcedId", "source", "learningObjectiveId", "score", "textScore"];
}

/// The merged tables.
#[derive(Default)]
pub struct Dataset {
    /// Every id.
    pub ids: Ids,
    /// `users.csv`.
    pub users: Keyed<Cells>,
    /// The headers of the extra `users.csv` columns read (the graduation rule's).
    pub user_columns: Vec<String>,
    /// `demographics.csv`, by the user's `sourcedId`.
    pub demographics: Keyed<Cells>,
    /// `enrollments.csv`.
    pub enrollments: Keyed<Cells>,
    /// `roles.csv`.
    pub roles: Keyed<Cells>,
    /// `lineItems.csv`.
    pub line_items: Keyed<Cells>,
    /// `lineItemLearningObjectiveIds.csv`.
    pub line_item_objectives: Keyed<Cells>,
    /// `scoreScales.csv`.
    pub score_scales: Keyed<Cells>,
    /// `lineItemScoreScales.csv`.
    pub line_item_scales: Keyed<Cells>,
    /// `resultScoreScales.csv`.
    pub result_scales: Keyed<Cells>,
    /// `results.csv`.
    pub results: Keyed<ResultRow>,
    /// `resultLearningObjectiveIds.csv`.
    pub result_objectives: Keyed<ObjectiveResult>,
}

/// Whether a row of a table in `mode` stays: in a delta, `tobedeleted` removes it.
fn deleted(mode: Mode, status: &str) -> bool {
    mode == Mode::Delta && status.eq_ignore_ascii_case("tobedeleted")
}

impl Dataset {
    /// Adds `bundle` to the tables: each of its files by the manifest's mode.
    pub fn add(
        &mut self,
        bundle: &mut Bundle,
        extra_user_columns: &[String],
        problems: &mut Vec<Diagnostic>,
    ) -> io::Result<()> {
        let mut users: Vec<&str> = columns::USERS.to_vec();
        users.extend(extra_user_columns.iter().map(String::as_str));
        self.user_columns = extra_user_columns.to_vec();
        let ids = &mut self.ids;
        small(bundle, "users", &users, &["sourcedId", "givenName", "familyName"], ids, &mut self.users, problems)?;
        small(bundle, "demographics", &columns::DEMOGRAPHICS, &["sourcedId"], ids, &mut self.demographics, problems)?;
        let required = ["sourcedId", "classSourcedId", "userSourcedId", "role"];
        small(bundle, "enrollments", &columns::ENROLLMENTS, &required, ids, &mut self.enrollments, problems)?;
        small(
            bundle,
            "roles",
            &columns::ROLES,
            &["sourcedId", "userSourcedId", "role"],
            ids,
            &mut self.roles,
            problems,
        )?;
        small(bundle, "lineItems", &columns::LINE_ITEMS, &["sourcedId"], ids, &mut self.line_items, problems)?;
        let required = ["sourcedId", "lineItemSourcedId", "learningObjectiveId"];
        let table = &mut self.line_item_objectives;
        small(bundle, "lineItemLearningObjectiveIds", &columns::LINE_ITEM_OBJECTIVES, &required, ids, table, problems)?;
        let required = ["sourcedId", "scoreScaleValue"];
        small(bundle, "scoreScales", &columns::SCORE_SCALES, &required, ids, &mut self.score_scales, problems)?;
        let required = ["sourcedId", "lineItemSourcedId", "scoreScaleSourcedId"];
        small(
            bundle,
            "lineItemScoreScales",
            &columns::LINE_ITEM_SCALES,
            &required,
            ids,
            &mut self.line_item_scales,
            problems,
        )?;
        let required = ["sourcedId", "resultSourcedId", "scoreScaleSourcedId"];
        small(bundle, "resultScoreScales", &columns::RESULT_SCALES, &required, ids, &mut self.result_scales, problems)?;
        self.add_results(bundle, problems)?;
        self.add_objective_results(bundle, problems)
    }

    fn add_results(&mut self, bundle: &mut Bundle, problems: &mut Vec<Diagnostic>) -> io::Result<()> {
        let mode = bundle.mode("results");
        if mode == Mode::Absent {
            return Ok(());
        }
        if mode == Mode::Bulk {
            self.results.clear();
        }
        let required = ["sourcedId", "lineItemSourcedId", "studentSourcedId", "scoreStatus", "scoreDate"];
        let (ids, results) = (&mut self.ids, &mut self.results);
        let mut found = Vec::new();
        read_rows(bundle, "results", &columns::RESULTS, &required, problems, |row: Row<'_>| {
            let Some(key) = row.some(0) else {
                found.push(
                    row.place
                        .error(Some("sourcedId"), "the result has no sourcedId")
                        .hint("every OneRoster row needs its sourcedId: export the bundle again"),
                );
                return;
            };
            let key = ids.intern(key);
            if deleted(mode, row.get(1)) {
                results.remove(key);
                return;
            }
            let status = match row.get(4) {
                "fully graded" => ScoreStatus::Graded,
                "exempt" => ScoreStatus::Exempt,
                _ => ScoreStatus::NotGraded,
            };
            let text = |k: usize| row.some(k).map(Box::from);
            results.put(
                key,
                ResultRow {
                    student: ids.intern(row.get(3)),
                    line_item: ids.intern(row.get(2)),
                    class: row.some(9).map(|c| ids.intern(c)),
                    status,
                    score: text(5),
                    text_score: text(8),
                    date: row.get(6).into(),
                    comment: text(7),
                    place: row.place,
                },
            );
        })?;
        problems.append(&mut found);
        Ok(())
    }

    fn add_objective_results(&mut self, bundle: &mut Bundle, problems: &mut Vec<Diagnostic>) -> io::Result<()> {
        let mode = bundle.mode("resultLearningObjectiveIds");
        if mode == Mode::Absent {
            return Ok(());
        }
        if mode == Mode::Bulk {
            self.result_objectives.clear();
        }
        let required = ["sourcedId", "resultSourcedId", "learningObjectiveId"];
        let (ids, table) = (&mut self.ids, &mut self.result_objectives);
        read_rows(bundle, "resultLearningObjectiveIds", &columns::RESULT_OBJECTIVES, &required, problems, |row| {
            let key = ids.intern(row.get(0));
            if deleted(mode, row.get(1)) {
                table.remove(key);
                return;
            }
            table.put(
                key,
                ObjectiveResult {
                    result: ids.intern(row.get(2)),
                    objective: ids.intern(row.get(4)),
                    score: row.some(5).map(Box::from),
                    text_score: row.some(6).map(Box::from),
                    place: row.place,
                },
            );
        })
    }
}

/// Reads a small table of `bundle` into `table` by its mode.
fn small(
    bundle: &mut Bundle,
    name: &str,
    columns: &[&str],
    required: &[&str],
    ids: &mut Ids,
    table: &mut Keyed<Cells>,
    problems: &mut Vec<Diagnostic>,
) -> io::Result<()> {
    let mode = bundle.mode(name);
    if mode == Mode::Absent {
        return Ok(());
    }
    if mode == Mode::Bulk {
        table.clear();
    }
    read_rows(bundle, name, columns, required, problems, |row| {
        let key = ids.intern(row.get(0));
        if deleted(mode, row.get(1)) {
            table.remove(key);
            return;
        }
        let cells = (0..columns.len()).map(|k| Box::from(row.get(k))).collect();
        table.put(key, Cells { place: row.place, cells });
    })
}
