//! The tables of one or more bundles, merged: each bundle in name order, a bulk file replacing
//! its table, a delta file changing it row by row by `sourcedId`.
//!
//! A row is kept as its cells' text in one allocation, and rows are found by `sourcedId` only
//! in the tables that are looked up (users, line items...): a bulk `results.csv` is read
//! straight into a list, and indexed only if a delta comes to change it.

use std::io;

use foldhash::{HashMap, HashMapExt};

use super::bundle::{Bundle, Mode, Place, read_rows};
use crate::diag::Diagnostic;

/// A table's rows, in the order they were first given; by `sourcedId` once indexed.
#[derive(Default)]
pub struct Keyed {
    rows: Vec<Option<Cells>>,
    index: Option<HashMap<Box<str>, usize>>,
}

impl Keyed {
    fn clear(&mut self) {
        self.rows.clear();
        self.index = None;
    }

    /// Indexes the rows by `sourcedId`, if they are not yet: a later row with the same
    /// `sourcedId` replaces an earlier one.
    fn seal(&mut self) {
        if self.index.is_some() {
            return;
        }
        let mut index = HashMap::with_capacity(self.rows.len());
        for at in 0..self.rows.len() {
            let Some(row) = &self.rows[at] else { continue };
            if let Some(earlier) = index.insert(Box::from(row.get(0)), at) {
                self.rows[earlier] = None;
            }
        }
        self.index = Some(index);
    }

    /// A row of a bulk file. A bulk file starts from a cleared table, so nothing is indexed
    /// yet; [`Keyed::seal`] lets a later row of one `sourcedId` replace an earlier one.
    fn push(&mut self, row: Cells) {
        debug_assert!(self.index.is_none(), "a bulk file fills a cleared table");
        self.rows.push(Some(row));
    }

    /// A row of a delta file: added, replacing the row of its `sourcedId`, or removing it.
    fn apply(&mut self, row: Cells, remove: bool) {
        self.seal();
        let index = self.index.as_mut().expect("sealed");
        match (index.get(row.get(0)).copied(), remove) {
            (Some(at), true) => {
                index.remove(row.get(0));
                self.rows[at] = None;
            }
            (Some(at), false) => self.rows[at] = Some(row),
            (None, true) => {}
            (None, false) => {
                index.insert(Box::from(row.get(0)), self.rows.len());
                self.rows.push(Some(row));
            }
        }
    }

    /// The row of `key`, in a sealed table.
    pub fn get(&self, key: &str) -> Option<&Cells> {
        let at = *self.index.as_ref()?.get(key)?;
        self.rows[at].as_ref()
    }

    /// Every row, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Cells> {
        self.rows.iter().flatten()
    }
}

/// Texts kept in one allocation: each is the run of the buffer up to its end.
pub struct Texts {
    text: Box<str>,
    ends: Box<[u32]>,
}

impl Texts {
    /// The texts, each in turn (`parts` is walked twice: once to size the buffer).
    fn of<'a, I: Iterator<Item = &'a str> + Clone>(parts: I) -> Texts {
        let mut text = String::with_capacity(parts.clone().map(str::len).sum());
        let mut ends = Vec::with_capacity(parts.size_hint().0);
        for part in parts {
            text.push_str(part);
            ends.push(text.len() as u32);
        }
        Texts { text: text.into_boxed_str(), ends: ends.into_boxed_slice() }
    }

    /// The `k`th text, empty when not given.
    pub fn get(&self, k: usize) -> &str {
        let start = if k == 0 { 0 } else { self.ends[k - 1] as usize };
        &self.text[start..self.ends[k] as usize]
    }

    /// The `k`th text, or `None` when it is empty.
    pub fn some(&self, k: usize) -> Option<&str> {
        Some(self.get(k)).filter(|t| !t.is_empty())
    }
}

/// A row of a small table: its place and its cells, in the order of its table's columns.
pub struct Cells {
    /// Where it stands.
    pub place: Place,
    cells: Texts,
}

impl Cells {
    /// The `k`th cell, empty when not given.
    pub fn get(&self, k: usize) -> &str {
        self.cells.get(k)
    }

    /// The `k`th cell, or `None` when it is empty.
    pub fn some(&self, k: usize) -> Option<&str> {
        self.cells.some(k)
    }
}

/// The columns read of each table, the first being `sourcedId` and the second `status`.
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

/// The positions of the columns read, in the lists of [`columns`].
pub mod at {
    /// `users.csv`.
    pub const USER_IDENTIFIER: usize = 2;
    /// `users.csv`.
    pub const USER_GIVEN: usize = 3;
    /// `users.csv`.
    pub const USER_MIDDLE: usize = 4;
    /// `users.csv`.
    pub const USER_FAMILY: usize = 5;
    /// `users.csv`.
    pub const USER_PREFERRED_GIVEN: usize = 6;
    /// `users.csv`.
    pub const USER_PREFERRED_FAMILY: usize = 7;
    /// `users.csv`.
    pub const USER_GRADES: usize = 8;
    /// `users.csv` (a OneRoster 1.1 column).
    pub const USER_ROLE: usize = 9;
    /// `demographics.csv`.
    pub const DEMOGRAPHICS_BIRTH: usize = 2;
    /// `enrollments.csv`.
    pub const ENROLLMENT_CLASS: usize = 2;
    /// `enrollments.csv`.
    pub const ENROLLMENT_USER: usize = 3;
    /// `enrollments.csv`.
    pub const ENROLLMENT_ROLE: usize = 4;
    /// `enrollments.csv`.
    pub const ENROLLMENT_PRIMARY: usize = 5;
    /// `roles.csv`.
    pub const ROLE_USER: usize = 2;
    /// `roles.csv`.
    pub const ROLE_ROLE: usize = 3;
    /// `lineItems.csv`.
    pub const LINE_ITEM_TITLE: usize = 2;
    /// `lineItems.csv`.
    pub const LINE_ITEM_CLASS: usize = 3;
    /// `lineItemLearningObjectiveIds.csv`.
    pub const OBJECTIVE_LINE_ITEM: usize = 2;
    /// `resultLearningObjectiveIds.csv`.
    pub const OBJECTIVE_RESULT: usize = 2;
    /// Both objective files.
    pub const OBJECTIVE_ID: usize = 4;
    /// `resultLearningObjectiveIds.csv`.
    pub const OBJECTIVE_SCORE: usize = 5;
    /// `resultLearningObjectiveIds.csv`.
    pub const OBJECTIVE_TEXT_SCORE: usize = 6;
    /// `scoreScales.csv`.
    pub const SCALE_VALUE: usize = 3;
    /// `lineItemScoreScales.csv` and `resultScoreScales.csv`: the line item or result.
    pub const LINK_FROM: usize = 2;
    /// `lineItemScoreScales.csv` and `resultScoreScales.csv`: the score scale.
    pub const LINK_SCALE: usize = 3;
    /// `results.csv`.
    pub const RESULT_LINE_ITEM: usize = 2;
    /// `results.csv`.
    pub const RESULT_STUDENT: usize = 3;
    /// `results.csv`.
    pub const RESULT_STATUS: usize = 4;
    /// `results.csv`.
    pub const RESULT_SCORE: usize = 5;
    /// `results.csv`.
    pub const RESULT_DATE: usize = 6;
    /// `results.csv`.
    pub const RESULT_COMMENT: usize = 7;
    /// `results.csv`.
    pub const RESULT_TEXT_SCORE: usize = 8;
    /// `results.csv`.
    pub const RESULT_CLASS: usize = 9;
}

/// The merged tables.
#[derive(Default)]
pub struct Dataset {
    /// `users.csv`.
    pub users: Keyed,
    /// The headers of the extra `users.csv` columns read (the graduation rule's).
    pub user_columns: Vec<String>,
    /// `demographics.csv`, by the user's `sourcedId`.
    pub demographics: Keyed,
    /// `enrollments.csv`.
    pub enrollments: Keyed,
    /// `roles.csv`.
    pub roles: Keyed,
    /// `lineItems.csv`.
    pub line_items: Keyed,
    /// `lineItemLearningObjectiveIds.csv`.
    pub line_item_objectives: Keyed,
    /// `scoreScales.csv`.
    pub score_scales: Keyed,
    /// `lineItemScoreScales.csv`.
    pub line_item_scales: Keyed,
    /// `resultScoreScales.csv`.
    pub result_scales: Keyed,
    /// `results.csv`.
    pub results: Keyed,
    /// `resultLearningObjectiveIds.csv`.
    pub result_objectives: Keyed,
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
        let tables: [(&str, &[&str], &[&str], &mut Keyed); 11] = [
            ("users", &users, &["sourcedId", "givenName", "familyName"], &mut self.users),
            ("demographics", &columns::DEMOGRAPHICS, &["sourcedId"], &mut self.demographics),
            (
                "enrollments",
                &columns::ENROLLMENTS,
                &["sourcedId", "classSourcedId", "userSourcedId", "role"],
                &mut self.enrollments,
            ),
            ("roles", &columns::ROLES, &["sourcedId", "userSourcedId", "role"], &mut self.roles),
            ("lineItems", &columns::LINE_ITEMS, &["sourcedId"], &mut self.line_items),
            (
                "lineItemLearningObjectiveIds",
                &columns::LINE_ITEM_OBJECTIVES,
                &["sourcedId", "lineItemSourcedId", "learningObjectiveId"],
                &mut self.line_item_objectives,
            ),
            ("scoreScales", &columns::SCORE_SCALES, &["sourcedId", "scoreScaleValue"], &mut self.score_scales),
            (
                "lineItemScoreScales",
                &columns::LINE_ITEM_SCALES,
                &["sourcedId", "lineItemSourcedId", "scoreScaleSourcedId"],
                &mut self.line_item_scales,
            ),
            (
                "resultScoreScales",
                &columns::RESULT_SCALES,
                &["sourcedId", "resultSourcedId", "scoreScaleSourcedId"],
                &mut self.result_scales,
            ),
            (
                "results",
                &columns::RESULTS,
                &["sourcedId", "lineItemSourcedId", "studentSourcedId", "scoreStatus", "scoreDate"],
                &mut self.results,
            ),
            (
                "resultLearningObjectiveIds",
                &columns::RESULT_OBJECTIVES,
                &["sourcedId", "resultSourcedId", "learningObjectiveId"],
                &mut self.result_objectives,
            ),
        ];
        for (name, columns, required, table) in tables {
            read_table(bundle, name, columns, required, table, problems)?;
        }
        Ok(())
    }

    /// Indexes the tables that are looked up by `sourcedId`, once every bundle is added.
    pub fn seal(&mut self) {
        for table in [&mut self.users, &mut self.demographics, &mut self.line_items, &mut self.score_scales] {
            table.seal();
        }
    }
}

/// Reads `name` of `bundle` into `table` by its mode: a bulk file replaces the table, a delta
/// file changes it by `sourcedId` (`status` `tobedeleted` removes).
fn read_table(
    bundle: &mut Bundle,
    name: &str,
    columns: &[&str],
    required: &[&str],
    table: &mut Keyed,
    problems: &mut Vec<Diagnostic>,
) -> io::Result<()> {
    assert!(columns.len() <= 16, "a table reads at most 16 columns (the row buffer below)");
    let mode = bundle.mode(name);
    if mode == Mode::Absent {
        return Ok(());
    }
    if mode == Mode::Bulk {
        table.clear();
    }
    let mut found = Vec::new();
    read_rows(bundle, name, columns, required, problems, |row| {
        if row.some(0).is_none() {
            found.push(
                row.place
                    .error(Some("sourcedId"), format!("this row of {name}.csv has no sourcedId"))
                    .hint("every OneRoster row needs its sourcedId: export the bundle again"),
            );
            return;
        }
        let remove = mode == Mode::Delta && row.get(1).eq_ignore_ascii_case("tobedeleted");
        // The cells, trimmed once, on the stack (a table reads at most a dozen columns).
        let mut cells = [""; 16];
        let n = columns.len();
        for (k, cell) in cells[..n].iter_mut().enumerate() {
            *cell = row.get(k);
        }
        let cells = Cells { cells: Texts::of(cells[..n].iter().copied()), place: row.place };
        match mode {
            Mode::Delta => table.apply(cells, remove),
            _ => table.push(cells),
        }
    })?;
    problems.append(&mut found);
    Ok(())
}
