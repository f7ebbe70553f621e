//! OneRoster 1.2 CSV bundles: the roster and gradebook a student information system exports,
//! read in place from `students/` (a `.zip`, or a folder holding `manifest.csv`).
//!
//! The tables are relational; this module joins them into one record per student:
//! - who: `users.csv` (names; the id is `sourcedId` or `identifier`, as `school.json` says),
//!   `demographics.csv` (birth date), and the graduation rule of `school.json`;
//! - evidence: each `fully graded` row of `results.csv`, for the credit its learning objective
//!   maps to (`resultLearningObjectiveIds.csv`, else the line item's objectives in
//!   `lineItemLearningObjectiveIds.csv`, else `sources.oneroster.line_items`), scored on the
//!   school's scale ([`Mapping::level`]), dated by `scoreDate`, assessed by the class's
//!   primary teacher (`enrollments.csv`).
//!
//! Several bundles in `students/` are one data set, applied in name order: a file the
//! manifest marks `bulk` replaces its table, one marked `delta` changes it by `sourcedId`
//! ([`data`]). Every value keeps the file, line and column it came from, so validation places
//! its problems in the bundle's own files.

pub mod bundle;
pub mod data;

use std::collections::BTreeMap;

use foldhash::{HashMap, HashMapExt, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use self::bundle::{Bundle, Place};
use self::data::{Cells, Dataset, at, columns};
use super::credits::{Credits, Survey, Target, number};
use super::{Record, Rejected};
use crate::diag::{Diagnostic, Position};
use crate::document::{Cell, Document, ItemCells, RowCells};
use crate::hint::plural;
use crate::model::{ExemptResults, GraduationRule, OneRosterId, OneRosterSettings, Scale, School};

/// What `school.json` says about reading OneRoster, with the credits and scale it maps onto.
pub struct Mapping<'a> {
    settings: &'a OneRosterSettings,
    scale: &'a Scale,
    credits: Credits<'a>,
}

impl<'a> Mapping<'a> {
    /// The mapping `school` gives.
    pub fn new(school: &'a School) -> Mapping<'a> {
        Mapping { settings: &school.sources.oneroster, scale: &school.scale, credits: Credits::new(school) }
    }

    /// The credit of a learning objective: by `school.json`'s map, by CASE GUID (a UUID, or
    /// a `urn:uuid:` URN, that ends a credit's `uri`), or the credit whose id it is.
    fn target(&self, objective: &str) -> Target<'a> {
        self.credits.resolve(&self.settings.objectives, objective)
    }

    /// The credit of a line item that names no objective, from `sources.oneroster.line_items`.
    fn line_item_target(&self, line_item: &str) -> Option<Target<'a>> {
        let credit = self.settings.line_items.get(line_item)?;
        Some(credit.as_deref().map_or(Target::Ignored, |c| self.credits.named(c)))
    }

    /// The level of a score on the school's scale. A text score is read through
    /// `sources.oneroster.scores`, then the score scales of the result and its line item, then
    /// the labels of the school's levels; a number through `scores`, else as it is. Either way
    /// the level must be on the scale.
    pub fn level(&self, score: Option<&str>, text: Option<&str>, scales: &[&str]) -> Result<Decimal, String> {
        let table = &self.settings.scores;
        let level = if let Some(text) = text {
            let from_scale = || scales.iter().find_map(|scale| scale_value(scale, text));
            let from_label = || self.scale.levels.iter().find(|l| l.label.eq_ignore_ascii_case(text)).map(|l| l.value);
            table.get(text).copied().or_else(from_scale).or_else(from_label).ok_or_else(|| {
                let labels: Vec<&str> = self.scale.levels.iter().map(|l| l.label.as_str()).collect();
                format!(
                    "the text score \"{text}\" is not in sources.oneroster.scores, the result's score scale, or the school's levels ({})",
                    labels.join(", ")
                )
            })?
        } else if let Some(score) = score {
            match table.get(score) {
                Some(level) => *level,
                None => score.parse::<Decimal>().map_err(|_| format!("the score \"{score}\" is not a number"))?,
            }
        } else {
            return Err("the result is fully graded but has neither a score nor a text score".to_string());
        };
        if self.scale.contains(level) {
            Ok(level)
        } else {
            let shown = text.or(score).unwrap_or_default();
            Err(format!(
                "the score \"{shown}\" gives the level {level}, which is not on the school's scale ({} to {}, in steps of {})",
                self.scale.min(),
                self.scale.max(),
                self.scale.step.normalize()
            ))
        }
    }
}

/// The number a score scale pairs with `text`: `scoreScaleValue` lists pairs such as
/// `{Proficient:3},{Meets:3}`, a label on one side and a number on the other.
fn scale_value(value: &str, text: &str) -> Option<Decimal> {
    value.split('}').find_map(|pair| {
        let (left, right) = pair.trim_start_matches([',', ' ', '{']).split_once(':')?;
        let (left, right) = (left.trim(), right.trim());
        if left == text {
            right.parse().ok()
        } else if right == text {
            left.parse().ok()
        } else {
            None
        }
    })
}

/// Where an objective or line item that maps to no credit first appears, and how many results
/// it carries.
struct Unplaced {
    place: Place,
    column: &'static str,
    results: usize,
}

/// The objectives and line items that map to no credit, each once.
#[derive(Default)]
struct Unmapped<'d> {
    objectives: BTreeMap<&'d str, Unplaced>,
    line_items: BTreeMap<&'d str, Unplaced>,
}

impl<'d> Unmapped<'d> {
    fn objective(&mut self, id: &'d str, place: &Place) {
        let found = Unplaced { place: place.clone(), column: "learningObjectiveId", results: 0 };
        self.objectives.entry(id).or_insert(found).results += 1;
    }

    fn line_item(&mut self, id: &'d str, place: &Place) {
        let found = Unplaced { place: place.clone(), column: "lineItemSourcedId", results: 0 };
        self.line_items.entry(id).or_insert(found).results += 1;
    }
}

/// A credit a result counts towards, with the score for it and the cells each came from.
#[derive(Clone)]
struct Aim<'d> {
    credit: &'d str,
    score: Option<&'d str>,
    text: Option<&'d str>,
    credit_cell: Cell,
    score_cell: Cell,
}

/// What the tables say, indexed for the join (by `sourcedId`), with each objective's credit
/// and each class's teacher worked out once.
struct Join<'d> {
    data: &'d Dataset,
    results_of: HashMap<&'d str, Vec<&'d Cells>>,
    objectives_of_result: HashMap<&'d str, Vec<(&'d Cells, Target<'d>)>>,
    objectives_of_line_item: HashMap<&'d str, Vec<(&'d Cells, Target<'d>)>>,
    teachers: HashMap<&'d str, Result<Teacher<'d>, String>>,
    scales_of_line_item: HashMap<&'d str, Vec<&'d str>>,
    scales_of_result: HashMap<&'d str, Vec<&'d str>>,
}

/// The primary teacher of a class: the enrollment that says so, and the teacher's name.
struct Teacher<'d> {
    enrollment: &'d Cells,
    name: String,
}

/// What a result's `scoreStatus` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScoreStatus {
    /// `fully graded`: evidence.
    Graded,
    /// `exempt`.
    Exempt,
    /// `not submitted`, `submitted`, `partially graded`, or an extension: not (yet) evidence.
    NotGraded,
}

fn score_status(result: &Cells) -> ScoreStatus {
    match result.get(at::RESULT_STATUS) {
        "fully graded" => ScoreStatus::Graded,
        "exempt" => ScoreStatus::Exempt,
        _ => ScoreStatus::NotGraded,
    }
}

impl<'d> Join<'d> {
    fn new(data: &'d Dataset, mapping: &Mapping<'d>) -> Join<'d> {
        let mut results_of: HashMap<&str, Vec<&Cells>> = HashMap::new();
        for result in data.results.iter() {
            results_of.entry(result.get(at::RESULT_STUDENT)).or_default().push(result);
        }
        let mut targets: HashMap<&str, Target> = HashMap::new();
        let mut objectives_of_result: HashMap<&str, Vec<(&Cells, Target)>> = HashMap::new();
        for row in data.result_objectives.iter() {
            let objective = row.get(at::OBJECTIVE_ID);
            let target = *targets.entry(objective).or_insert_with(|| mapping.target(objective));
            objectives_of_result.entry(row.get(at::OBJECTIVE_RESULT)).or_default().push((row, target));
        }
        let mut objectives_of_line_item: HashMap<&str, Vec<(&Cells, Target)>> = HashMap::new();
        for row in data.line_item_objectives.iter() {
            let objective = row.get(at::OBJECTIVE_ID);
            let target = *targets.entry(objective).or_insert_with(|| mapping.target(objective));
            objectives_of_line_item.entry(row.get(at::OBJECTIVE_LINE_ITEM)).or_default().push((row, target));
        }
        let mut teachers_of_class: HashMap<&str, Vec<&Cells>> = HashMap::new();
        for row in data.enrollments.iter() {
            if row.get(at::ENROLLMENT_ROLE) == "teacher" {
                teachers_of_class.entry(row.get(at::ENROLLMENT_CLASS)).or_default().push(row);
            }
        }
        let mut teachers = HashMap::new();
        let classes = data.results.iter().filter_map(|r| r.some(at::RESULT_CLASS));
        let of_line_items = data.line_items.iter().filter_map(|l| l.some(at::LINE_ITEM_CLASS));
        for class in classes.chain(of_line_items) {
            teachers.entry(class).or_insert_with(|| teacher(data, class, &teachers_of_class));
        }
        let scale = |key: &str| data.score_scales.get(key).map(|s| s.get(at::SCALE_VALUE));
        let scales_of = |links: &'d data::Keyed| {
            let mut found: HashMap<&str, Vec<&str>> = HashMap::new();
            for row in links.iter() {
                if let Some(value) = scale(row.get(at::LINK_SCALE)) {
                    found.entry(row.get(at::LINK_FROM)).or_default().push(value);
                }
            }
            found
        };
        let scales_of_line_item = scales_of(&data.line_item_scales);
        let scales_of_result = scales_of(&data.result_scales);
        Join {
            data,
            results_of,
            objectives_of_result,
            objectives_of_line_item,
            teachers,
            scales_of_line_item,
            scales_of_result,
        }
    }

    /// The users who are students: those with results, and those enrolled or given the role
    /// of a student.
    fn students(&self) -> HashSet<&'d str> {
        let data = self.data;
        let mut students: HashSet<&str> = self.results_of.keys().copied().collect();
        for row in data.enrollments.iter() {
            if row.get(at::ENROLLMENT_ROLE) == "student" {
                students.insert(row.get(at::ENROLLMENT_USER));
            }
        }
        for row in data.roles.iter() {
            if row.get(at::ROLE_ROLE) == "student" {
                students.insert(row.get(at::ROLE_USER));
            }
        }
        for row in data.users.iter() {
            if row.get(at::USER_ROLE) == "student" {
                students.insert(row.get(0));
            }
        }
        students
    }
}

/// The primary teacher of `class`: the one enrollment of a teacher marked primary, or the only
/// teacher.
fn teacher<'d>(
    data: &'d Dataset,
    class: &str,
    teachers_of_class: &HashMap<&str, Vec<&'d Cells>>,
) -> Result<Teacher<'d>, String> {
    let class_name = class;
    let teachers = teachers_of_class.get(class).map_or(&[][..], Vec::as_slice);
    let primary: Vec<&Cells> = teachers.iter().filter(|t| t.get(5).eq_ignore_ascii_case("true")).copied().collect();
    let enrollment = match (primary.as_slice(), teachers) {
        ([one], _) | ([], [one]) => *one,
        ([], []) => return Err(format!("class {class_name} has no teacher in enrollments.csv")),
        _ => {
            return Err(format!(
                "class {class_name} has {} and {} marked primary, so mastery cannot tell who assessed the result",
                plural(teachers.len(), "teacher"),
                primary.len()
            ));
        }
    };
    let user = enrollment.get(at::ENROLLMENT_USER);
    match data.users.get(user) {
        Some(user) => Ok(Teacher { enrollment, name: user_name(user) }),
        None => Err(format!("the teacher {user} of class {class_name} is not in users.csv")),
    }
}

/// The name of a user, as "given family".
fn user_name(user: &Cells) -> String {
    format!("{} {}", user.get(at::USER_GIVEN), user.get(at::USER_FAMILY))
}

/// Reads the OneRoster bundles at `paths` (in name order, as one data set) and hands each
/// student's record to `each`, in the order of `users.csv`.
pub fn read_oneroster(paths: &[PathBuf], mapping: &Mapping, each: &mut impl FnMut(Record)) -> io::Result<()> {
    let first = paths.first().map(PathBuf::as_path).unwrap_or(Path::new("students"));
    let mut bundles = Vec::new();
    for path in paths {
        bundles.push(Bundle::open(path)?);
    }
    read_bundles(first, bundles, mapping, each)
}

/// Reads opened bundles (each, or why it could not be opened) as one data set, and hands each
/// student's record to `each`. `first` names the data set in messages about all of it.
pub fn read_bundles(
    first: &Path,
    bundles: Vec<Result<Bundle, Vec<Diagnostic>>>,
    mapping: &Mapping,
    each: &mut impl FnMut(Record),
) -> io::Result<()> {
    let extra: Vec<String> = match &mapping.settings.expected_graduation {
        Some(GraduationRule::Column { column }) => vec![column.clone()],
        Some(GraduationRule::Grade { .. }) => Vec::new(),
        None => {
            each(Err(Rejected::of(
                Diagnostic::error(first, "school.json does not say where a OneRoster student's expected graduation date comes from")
                    .at(Position { line: 1, column: 1, start: 0, end: 0 })
                    .hint("set sources.oneroster.expected_graduation in school.json: {\"column\": \"metadata.expectedGraduation\"} for a users.csv column, or {\"final_grade\": \"12\", \"graduation_date\": \"2027-06-11\"} to work it out from each student's grade"),
            )));
            return Ok(());
        }
    };
    let data = match merge(bundles, &extra)? {
        Ok(data) => data,
        Err(problems) => {
            each(Err(Rejected::unknown(problems)));
            return Ok(());
        }
    };
    let join = Join::new(&data, mapping);
    let students = join.students();
    let mut unmapped = Unmapped::default();
    // A student id that two users share would put one's results on the other's transcript.
    let mut owners: HashMap<&str, Vec<&Cells>> = HashMap::new();
    if mapping.settings.student_id == OneRosterId::Identifier {
        for user in data.users.iter() {
            if students.contains(user.get(0)) && !user.get(at::USER_IDENTIFIER).is_empty() {
                owners.entry(user.get(at::USER_IDENTIFIER)).or_default().push(user);
            }
        }
    }
    for user in data.users.iter() {
        if !students.contains(user.get(0)) {
            continue;
        }
        let mut student = Student::new(&join, mapping, user);
        for other in owners.get(student.id.as_str()).into_iter().flatten().filter(|o| !std::ptr::eq(**o, user)) {
            student.problems.push(
                user.place
                    .error(Some("identifier"), format!(
                        "the student id {} is also the identifier of {} ({}, line {}), another user",
                        student.id,
                        user_name(other),
                        other.get(0),
                        other.place.line
                    ))
                    .hint("two users with one student number would put one's results on the other's transcript: correct the identifier in the system; both are left out until then"),
            );
        }
        student.evidence(&mut unmapped);
        each(student.finish());
    }

    // Results of users the bundle does not have, once per user.
    let mut unknown: BTreeMap<&str, (&Place, usize)> = BTreeMap::new();
    for result in data.results.iter() {
        let user = result.get(at::RESULT_STUDENT);
        if data.users.get(user).is_none() {
            unknown.entry(user).or_insert((&result.place, 0)).1 += 1;
        }
    }
    let mut source = Vec::new();
    for (user, (place, count)) in unknown {
        source.push(
            place
                .error(Some("studentSourcedId"), format!("{} for the user \"{user}\", who is not in users.csv", plural(count, "result")))
                .hint("export users.csv with results.csv from the same system and date; the results are left out until the user is there"),
        );
    }
    for (kind, found) in [("learning objective", unmapped.objectives), ("line item", unmapped.line_items)] {
        for (id, found) in found {
            let setting = if kind == "line item" { "line_items" } else { "objectives" };
            let near = mapping.credits.near(id);
            source.push(
                found
                    .place
                    .error(Some(found.column), format!("the {kind} \"{id}\" maps to no credit, so {} left out", left_out(found.results)))
                    .hint(format!("map it in school.json: sources.oneroster.{setting}: {{\"{id}\": \"CREDIT-ID\"}}{near}, or to null to leave its results out on purpose")),
            );
        }
    }
    if !source.is_empty() {
        each(Err(Rejected::unknown(source)));
    }
    Ok(())
}

/// The bundles' tables merged into one data set, or the problems that stop it.
fn merge(
    bundles: Vec<Result<Bundle, Vec<Diagnostic>>>,
    extra: &[String],
) -> io::Result<Result<Dataset, Vec<Diagnostic>>> {
    let mut data = Dataset::default();
    let mut problems = Vec::new();
    for bundle in bundles {
        match bundle {
            Ok(mut bundle) => data.add(&mut bundle, extra, &mut problems)?,
            Err(found) => problems.extend(found),
        }
    }
    if problems.iter().any(Diagnostic::is_error) {
        return Ok(Err(problems));
    }
    data.seal();
    Ok(Ok(data))
}

/// What the bundles at `paths` hold that `school.json` does not map yet: the learning
/// objectives and line items of fully graded results that count towards no credit, and the
/// text scores that give no level, each with its count and the titles of its line items.
pub fn survey(paths: &[PathBuf], mapping: &Mapping) -> io::Result<Result<Survey, Vec<Diagnostic>>> {
    let mut bundles = Vec::new();
    for path in paths {
        bundles.push(Bundle::open(path)?);
    }
    let data = match merge(bundles, &[])? {
        Ok(data) => data,
        Err(problems) => return Ok(Err(problems)),
    };
    let join = Join::new(&data, mapping);
    let mut survey = Survey::default();
    for result in data.results.iter() {
        if score_status(result) != ScoreStatus::Graded {
            continue;
        }
        let key = result.get(0);
        let line_item = result.get(at::RESULT_LINE_ITEM);
        let title = data.line_items.get(line_item).map(|l| l.get(at::LINE_ITEM_TITLE)).unwrap_or_default();
        let scales: Vec<&str> = [join.scales_of_result.get(key), join.scales_of_line_item.get(line_item)]
            .into_iter()
            .flatten()
            .flatten()
            .copied()
            .collect();
        let mut texts = vec![result.some(at::RESULT_TEXT_SCORE)];
        if let Some(objectives) = join.objectives_of_result.get(key) {
            for (row, target) in objectives {
                if *target == Target::Unknown {
                    survey.id("oneroster/objectives", row.get(at::OBJECTIVE_ID), title);
                }
                texts.push(row.some(at::OBJECTIVE_TEXT_SCORE));
            }
        } else if let Some(objectives) = join.objectives_of_line_item.get(line_item) {
            for (row, target) in objectives {
                if *target == Target::Unknown {
                    survey.id("oneroster/objectives", row.get(at::OBJECTIVE_ID), title);
                }
            }
        } else if !matches!(mapping.line_item_target(line_item), Some(Target::Credit(_) | Target::Ignored)) {
            survey.id("oneroster/line_items", line_item, title);
        }
        for text in texts.into_iter().flatten() {
            if mapping.level(None, Some(text), &scales).is_err() {
                survey.score("oneroster/scores", text);
            }
        }
    }
    Ok(Ok(survey))
}

/// One student's record, as it is joined.
struct Student<'d> {
    join: &'d Join<'d>,
    mapping: &'d Mapping<'d>,
    key: &'d str,
    id: String,
    value: Map<String, Value>,
    cells: RowCells,
    evidence_cells: Vec<ItemCells>,
    exemption_cells: Vec<ItemCells>,
    evidence: Vec<Value>,
    exemptions: Vec<Value>,
    problems: Vec<Diagnostic>,
    notes: Vec<Diagnostic>,
    bundle: PathBuf,
}

impl<'d> Student<'d> {
    fn new(join: &'d Join<'d>, mapping: &'d Mapping<'d>, user: &'d Cells) -> Student<'d> {
        let data = join.data;
        let (key, place) = (user.get(0), &user.place);
        let id_column = match mapping.settings.student_id {
            OneRosterId::SourcedId => 0,
            OneRosterId::Identifier => at::USER_IDENTIFIER,
        };
        let mut cells = RowCells::default();
        let mut problems = Vec::new();
        cells.fields.push(("", place.cell(None)));
        cells.fields.push(("/id", place.cell(Some(columns::USERS[id_column]))));
        let id = user.get(id_column).to_string();
        if id.is_empty() {
            problems.push(place.error(Some("identifier"), format!("the student {key} has no identifier")).hint(
                "fill in the student number in the system, or read ids from sourcedId: sources.oneroster.student_id",
            ));
        }
        let mut value = Map::from_iter([("id".to_string(), json!(id))]);

        // Names: legal from given, middle and family; preferred when the user has one.
        let (given, middle, family) = (user.get(at::USER_GIVEN), user.get(at::USER_MIDDLE), user.get(at::USER_FAMILY));
        let legal = [given, middle, family].iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(" ");
        let mut name = Map::from_iter([("legal".to_string(), json!(legal))]);
        cells.fields.push(("/name/legal", place.cell(Some("givenName"))));
        let (preferred_given, preferred_family) =
            (user.some(at::USER_PREFERRED_GIVEN), user.some(at::USER_PREFERRED_FAMILY));
        if preferred_given.is_some() || preferred_family.is_some() {
            let preferred = format!("{} {}", preferred_given.unwrap_or(given), preferred_family.unwrap_or(family));
            if preferred != legal {
                name.insert("preferred".to_string(), json!(preferred));
                let column = if preferred_given.is_some() { "preferredGivenName" } else { "preferredFamilyName" };
                cells.fields.push(("/name/preferred", place.cell(Some(column))));
            }
        }
        value.insert("name".to_string(), Value::Object(name));

        match data.demographics.get(key).and_then(|d| d.some(at::DEMOGRAPHICS_BIRTH).map(|b| (d, b))) {
            Some((row, birth)) => {
                value.insert("birth_date".to_string(), json!(birth));
                cells.fields.push(("/birth_date", row.place.cell(Some("birthDate"))));
            }
            None => problems.push(
                place
                    .error(None, format!("the student {key} has no birth date in demographics.csv"))
                    .hint("a transcript states the student's birth date: export demographics.csv with the bundle, with birthDate filled in"),
            ),
        }
        match graduation(mapping.settings.expected_graduation.as_ref(), user, &data.user_columns) {
            Ok((date, column)) => {
                value.insert("expected_graduation".to_string(), json!(date));
                cells.fields.push(("/expected_graduation", place.cell_named(&column)));
            }
            Err(message) => problems.push(
                place
                    .error(None, message)
                    .hint("fill in the column, or change sources.oneroster.expected_graduation in school.json"),
            ),
        }
        let bundle = place.file.parent().unwrap_or(Path::new("")).to_path_buf();
        Student {
            join,
            mapping,
            key,
            id,
            value,
            cells,
            evidence_cells: Vec::new(),
            exemption_cells: Vec::new(),
            evidence: Vec::new(),
            exemptions: Vec::new(),
            problems,
            notes: Vec::new(),
            bundle,
        }
    }

    /// The student's results, each as evidence for the credits it maps to.
    fn evidence(&mut self, unmapped: &mut Unmapped<'d>) {
        let join = self.join;
        let data = join.data;
        // Each (line item, credit, date) scored, for repeats.
        let mut seen: HashMap<(&str, &str, &str), (Decimal, u32)> = HashMap::new();
        for &result in join.results_of.get(self.key).map_or(&[][..], Vec::as_slice) {
            let status = score_status(result);
            if status == ScoreStatus::NotGraded
                || (status == ScoreStatus::Exempt && self.mapping.settings.exempt == ExemptResults::Skip)
            {
                continue;
            }
            let (key, place) = (result.get(0), &result.place);
            let line_item_id = result.get(at::RESULT_LINE_ITEM);
            let Some(line_item) = data.line_items.get(line_item_id) else {
                self.problems.push(
                    place
                        .error(
                            Some("lineItemSourcedId"),
                            format!(
                                "the result {} names the line item \"{}\", which is not in lineItems.csv",
                                key, line_item_id
                            ),
                        )
                        .hint("export lineItems.csv with results.csv from the same system and date"),
                );
                continue;
            };
            let targets = self.aims(result, unmapped);
            if targets.is_empty() {
                continue;
            }
            let Some(teacher) = self.assessor(result, line_item) else { continue };
            let date = result.get(at::RESULT_DATE).split('T').next().unwrap_or_default();
            for Aim { credit, score, text, credit_cell, score_cell } in targets {
                // Score scales say what a text score is worth; a number needs none.
                let scales: Vec<&str> = match text {
                    Some(_) => [join.scales_of_result.get(key), join.scales_of_line_item.get(line_item_id)]
                        .into_iter()
                        .flatten()
                        .flatten()
                        .copied()
                        .collect(),
                    None => Vec::new(),
                };
                if status == ScoreStatus::Exempt {
                    self.exemption_cells.push(ItemCells { row: place.cell(Some("scoreStatus")), fields: Vec::new() });
                    self.exemptions.push(json!({
                        "credit": credit,
                        "status": "exempt",
                        "approved_by": teacher.name,
                        "date": date,
                    }));
                    continue;
                }
                let level = match self.mapping.level(score, text, &scales) {
                    Ok(level) => level,
                    Err(message) => {
                        let column = score_cell.column.as_deref().unwrap_or_default().to_string();
                        let mut problem = Place {
                            file: score_cell.file.clone().expect("a bundle cell names its file"),
                            line: score_cell.line as u32,
                        }
                        .error(Some(&column), format!("result {key}: {message}"));
                        problem.set_hint("map the score in school.json: sources.oneroster.scores, such as {\"Proficient\": 3}; the student is left out until every score has a level");
                        self.problems.push(problem);
                        continue;
                    }
                };
                match seen.get(&(line_item_id, credit, date)) {
                    Some((earlier, line)) if *earlier != level => {
                        self.problems.push(
                            place
                                .error(None, format!("the result {key} scores {credit} on line item {line_item_id} at {level} on {date}, but line {line} scores it at {earlier} the same day"))
                                .hint("two scores for one assignment on one day cannot both be right: correct or delete one in the gradebook; the student is left out until then"),
                        );
                        continue;
                    }
                    Some((_, line)) => {
                        self.notes.push(
                            place
                                .warning(format!(
                                    "this result repeats line {line}: the same score for the same assignment and day"
                                ))
                                .hint("the same evidence exported twice counts twice: delete one of the two results"),
                        );
                    }
                    None => {
                        seen.insert((line_item_id, credit, date), (level, place.line));
                    }
                }
                self.push_evidence(result, credit, level, date, teacher, [credit_cell, score_cell]);
            }
        }
    }

    /// The class's primary teacher, who assessed `result`: the class is the result's own, or
    /// its line item's. `None`, with the problem noted, when there is none to tell.
    fn assessor(&mut self, result: &Cells, line_item: &Cells) -> Option<&'d Teacher<'d>> {
        let class = result.some(at::RESULT_CLASS).or_else(|| line_item.some(at::LINE_ITEM_CLASS));
        let problem = match class.and_then(|c| self.join.teachers.get(c)) {
            Some(Ok(teacher)) => return Some(teacher),
            Some(Err(message)) => result.place.error(Some("classSourcedId"), message.clone()).hint(
                "mark one teacher of the class primary in enrollments.csv: the primary teacher is the assessor of its results",
            ),
            None => result
                .place
                .error(Some("classSourcedId"), format!("the result {} names no class, nor does its line item", result.get(0)))
                .hint("export results with classSourcedId, or line items with their class: the class's primary teacher is the assessor"),
        };
        self.problems.push(problem);
        None
    }

    /// Adds a piece of evidence from `result` for `credit`, with where each of its values came
    /// from (`cells`: the credit's and the score's).
    fn push_evidence(
        &mut self,
        result: &Cells,
        credit: &str,
        level: Decimal,
        date: &str,
        teacher: &Teacher,
        [credit_cell, score_cell]: [Cell; 2],
    ) {
        let place = &result.place;
        let mut piece = Map::with_capacity(5);
        piece.insert("credit".to_string(), json!(credit));
        piece.insert("score".to_string(), number(level));
        piece.insert("date".to_string(), json!(date));
        piece.insert("assessor".to_string(), json!(teacher.name));
        let mut fields = Vec::with_capacity(5);
        fields.extend([
            ("credit", credit_cell),
            ("score", score_cell),
            ("date", place.cell(Some("scoreDate"))),
            ("assessor", teacher.enrollment.place.cell(Some("userSourcedId"))),
        ]);
        if let Some(comment) = result.some(at::RESULT_COMMENT) {
            piece.insert("note".to_string(), json!(comment));
            fields.push(("note", place.cell(Some("comment"))));
        }
        self.evidence_cells.push(ItemCells { row: place.cell(None), fields });
        self.evidence.push(Value::Object(piece));
    }

    /// The credits `result` counts towards: its own objectives
    /// (`resultLearningObjectiveIds.csv`, each perhaps with its own score), else its line item's,
    /// else the line item's credit in `school.json`. Objectives and line items that map to no
    /// credit are counted in `unmapped`.
    fn aims(&self, result: &'d Cells, unmapped: &mut Unmapped<'d>) -> Vec<Aim<'d>> {
        let join = self.join;
        let score_column = |text: Option<&str>| if text.is_some() { "textScore" } else { "score" };
        let whole = Aim {
            credit: "",
            score: result.some(at::RESULT_SCORE),
            text: result.some(at::RESULT_TEXT_SCORE),
            credit_cell: result.place.cell(Some("lineItemSourcedId")),
            score_cell: result.place.cell(Some(score_column(result.some(at::RESULT_TEXT_SCORE)))),
        };
        let mut aims = Vec::new();
        let objective_cell = |place: &Place| place.cell(Some("learningObjectiveId"));
        if let Some(objectives) = join.objectives_of_result.get(result.get(0)) {
            for &(row, target) in objectives {
                let objective = row.get(at::OBJECTIVE_ID);
                let (score, text) = (row.some(at::OBJECTIVE_SCORE), row.some(at::OBJECTIVE_TEXT_SCORE));
                match target {
                    Target::Credit(credit) if score.is_some() || text.is_some() => aims.push(Aim {
                        credit,
                        score,
                        text,
                        credit_cell: objective_cell(&row.place),
                        score_cell: row.place.cell(Some(score_column(text))),
                    }),
                    Target::Credit(credit) => {
                        aims.push(Aim { credit, credit_cell: objective_cell(&row.place), ..whole.clone() })
                    }
                    Target::Ignored => {}
                    Target::Unknown => unmapped.objective(objective, &row.place),
                }
            }
        } else if let Some(objectives) = join.objectives_of_line_item.get(result.get(at::RESULT_LINE_ITEM)) {
            for &(row, target) in objectives {
                let objective = row.get(at::OBJECTIVE_ID);
                match target {
                    Target::Credit(credit) => {
                        aims.push(Aim { credit, credit_cell: objective_cell(&row.place), ..whole.clone() })
                    }
                    Target::Ignored => {}
                    Target::Unknown => unmapped.objective(objective, &row.place),
                }
            }
        } else {
            let name = result.get(at::RESULT_LINE_ITEM);
            match self.mapping.line_item_target(name) {
                Some(Target::Credit(credit)) => aims.push(Aim { credit, ..whole }),
                Some(Target::Ignored) => {}
                Some(Target::Unknown) | None => unmapped.line_item(name, &result.place),
            }
        }
        aims
    }

    fn finish(mut self) -> Record {
        if !self.problems.is_empty() {
            let student = Some(self.id).filter(|id| !id.is_empty());
            return Err(Rejected { student, diagnostics: self.problems });
        }
        self.value.insert("evidence".to_string(), Value::Array(self.evidence));
        self.cells.lists.push(("/evidence", self.evidence_cells));
        if !self.exemptions.is_empty() {
            self.value.insert("attestations".to_string(), Value::Array(self.exemptions));
            self.cells.lists.push(("/attestations", self.exemption_cells));
        }
        Ok(Document::from_rows(self.bundle, Value::Object(self.value), self.cells, self.notes))
    }
}

/// "its result is" or "its N results are".
fn left_out(results: usize) -> String {
    if results == 1 { "its one result is".to_string() } else { format!("its {results} results are") }
}

/// The expected graduation date of `user` by `rule`, with the column it came from.
fn graduation(rule: Option<&GraduationRule>, user: &Cells, extra: &[String]) -> Result<(String, String), String> {
    match rule {
        Some(GraduationRule::Column { column }) => {
            let k = columns::USERS.len() + extra.iter().position(|c| c == column).unwrap_or(0);
            match user.some(k) {
                Some(date) => Ok((date.to_string(), column.clone())),
                None => Err(format!("the student has no expected graduation date in the column \"{column}\"")),
            }
        }
        Some(GraduationRule::Grade { final_grade, graduation_date }) => {
            let grades = user.get(at::USER_GRADES);
            let grade = grades.rsplit(',').next().unwrap_or_default().trim();
            let (Ok(grade), Ok(last)) = (grade.parse::<i32>(), final_grade.parse::<i32>()) else {
                return Err(format!(
                    "the student's grade \"{grades}\" is not a number, so the graduation date cannot be worked out from it"
                ));
            };
            let Some(date) = crate::model::parse_date(graduation_date) else {
                return Err(format!(
                    "sources.oneroster.expected_graduation.graduation_date \"{graduation_date}\" is not a date"
                ));
            };
            let year = date.year() + (last - grade);
            let moved = date
                .with_year(year)
                .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), date.day() - 1))
                .ok_or_else(|| format!("no graduation date can be worked out from grade {grade}"))?;
            Ok((moved.to_string(), "grades".to_string()))
        }
        None => Err("school.json does not say where the expected graduation date comes from".to_string()),
    }
}
