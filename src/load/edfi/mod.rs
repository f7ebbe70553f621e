//! Ed-Fi data: a folder in `students/` holding the Ed-Fi API's JSON resources
//! (`students.json`, `studentGradebookEntries.json`… as a `GET` returns them) or its XML
//! interchange files (`InterchangeStudent`, `InterchangeStudentGradebook`…), or both. Ed-Fi is
//! what state systems and many districts' data hubs speak.
//!
//! The resources are joined into one record per student:
//! - who: `students` (names, birth date) and `studentSchoolAssociations` (the class-of year,
//!   which `sources.edfi.graduation_day` makes a date);
//! - evidence: each scored `studentGradebookEntry` for the credits its gradebook entry's
//!   learning standards map to; each `studentCompetencyObjective`, for the credit its objective
//!   maps to, dated by its grading period's end; each of a section grade's
//!   `learningStandardGrades`, likewise. A competency level descriptor (or a letter or numeric
//!   grade) becomes a level of the school's scale through `sources.edfi.levels`.
//! - the assessor: the section's teacher of record (`staffSectionAssociations` and `staffs`).
//!
//! Every value keeps the file and line it came from, so validation places its problems in
//! the Ed-Fi files themselves.

pub mod data;
pub mod json;
pub mod xml;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use foldhash::{HashMap, HashMapExt};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use self::data::Data;
use super::credits::{Credits, Survey, Target, number};
use super::{Record, Rejected};
use crate::diag::Diagnostic;
use crate::document::{Document, ItemCells, RowCells};
use crate::hint::plural;
use crate::load::oneroster::bundle::Place;
use crate::model::{EdFiSettings, Scale, School};

/// Whether `dir` is an Ed-Fi folder: it holds `students.json`, or an `.xml` file.
pub fn is_edfi_folder(dir: &Path) -> bool {
    if dir.join("students.json").is_file() {
        return true;
    }
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| e.path().extension().is_some_and(|x| x.eq_ignore_ascii_case("xml")))
    })
}

/// The field a message names: the JSON property, or the XML element, as the file has it.
fn field(place: &Place, json: &'static str, xml: &'static str) -> &'static str {
    if place.file.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml")) { xml } else { json }
}

/// The resource files of the folder at `dir`, with their bytes: the JSON files of
/// [`json::FILES`] that are there, then the XML files in name order.
fn folder_files(dir: &Path) -> io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut files = Vec::new();
    for name in json::FILES {
        let path = dir.join(name);
        if path.is_file() {
            let bytes = super::file(&path)?;
            files.push((path, bytes));
        }
    }
    let mut xml_files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot read {}: {e}", dir.display())))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml")))
        .collect();
    xml_files.sort();
    for path in xml_files {
        let bytes = super::file(&path)?;
        files.push((path, bytes));
    }
    Ok(files)
}

/// Reads files into entities: a `.json` file by its name (one of [`json::FILES`]), an `.xml`
/// file as an interchange.
fn read_entities(files: &[(PathBuf, Vec<u8>)]) -> (Data, Vec<Diagnostic>) {
    let (mut data, mut problems) = (Data::default(), Vec::new());
    for (path, bytes) in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml")) {
            xml::read(path, bytes, &mut data, &mut problems);
        } else {
            json::read(path, name, bytes, &mut data, &mut problems);
        }
    }
    (data, problems)
}

/// What `school.json` says about reading Ed-Fi, with the credits and scale it maps onto.
struct Mapping<'a> {
    settings: &'a EdFiSettings,
    scale: &'a Scale,
    credits: Credits<'a>,
}

impl Mapping<'_> {
    /// The level of a score: a competency level descriptor, else a letter grade, else a
    /// numeric grade. Each is looked up in `sources.edfi.levels` (a descriptor by its whole URI
    /// or its code value), then among the labels of the school's levels; a number is taken as
    /// it is. The level must be on the scale.
    fn level(&self, descriptor: &str, letter: &str, numeric: &str) -> Result<Decimal, String> {
        let table = &self.settings.levels;
        let label = |text: &str| self.scale.levels.iter().find(|l| l.label.eq_ignore_ascii_case(text)).map(|l| l.value);
        let (shown, level) = if !descriptor.is_empty() {
            let code = descriptor.rsplit_once('#').map_or(descriptor, |(_, code)| code);
            let level = table.get(descriptor).or_else(|| table.get(code)).copied().or_else(|| label(code));
            (descriptor, level.ok_or_else(|| {
                format!("the competency level \"{descriptor}\" is not in sources.edfi.levels, nor is \"{code}\" a level of the school's scale")
            })?)
        } else if !letter.is_empty() {
            let level = table.get(letter).copied().or_else(|| label(letter));
            (letter, level.ok_or_else(|| format!("the letter grade \"{letter}\" is not in sources.edfi.levels"))?)
        } else {
            let level = match table.get(numeric) {
                Some(level) => *level,
                None => numeric.parse::<Decimal>().map_err(|_| format!("the grade \"{numeric}\" is not a number"))?,
            };
            (numeric, level)
        };
        if self.scale.contains(level) {
            Ok(level)
        } else {
            Err(format!(
                "\"{shown}\" gives the level {}, which is not on the school's scale ({} to {}, in steps of {})",
                level.normalize(),
                self.scale.min(),
                self.scale.max(),
                self.scale.step.normalize()
            ))
        }
    }
}

/// The teacher of record of each section, by section: the staff member's name, and where the
/// association was read; or why there is none to tell.
fn teachers(data: &Data) -> HashMap<&str, Result<(String, Place), String>> {
    let staff: HashMap<&str, &str> = data.staff.iter().map(|s| (s.id.as_str(), s.name.as_str())).collect();
    let mut by_section: BTreeMap<&str, Vec<&data::Teaching>> = BTreeMap::new();
    for teaching in &data.teaching {
        by_section.entry(teaching.section.as_str()).or_default().push(teaching);
    }
    let mut found = HashMap::new();
    for (section, all) in by_section {
        let of_record: Vec<&data::Teaching> =
            all.iter().copied().filter(|t| t.position.ends_with("Teacher of Record")).collect();
        let chosen = match (of_record.as_slice(), all.as_slice()) {
            ([one], _) | ([], [one]) => Ok(*one),
            ([], _) => {
                Err(format!("the section {section} has {} teachers and none is the teacher of record", all.len()))
            }
            _ => Err(format!("the section {section} has {} teachers of record", of_record.len())),
        };
        let teacher = chosen.and_then(|t| match staff.get(t.staff.as_str()) {
            Some(name) if !name.is_empty() => Ok((name.to_string(), t.place.clone())),
            _ => Err(format!("the section {section}'s teacher {} is not among the staff", t.staff)),
        });
        found.insert(section, teacher);
    }
    found
}

/// Ids that map to no credit, each once, with where it first appears and how many scores it
/// carries.
#[derive(Default)]
struct Unmapped {
    /// (kind, id) to (place, field, scores).
    found: BTreeMap<(&'static str, String), (Place, &'static str, usize)>,
}

impl Unmapped {
    fn add(&mut self, kind: &'static str, id: &str, place: &Place, field: &'static str) {
        self.found.entry((kind, id.to_string())).or_insert((place.clone(), field, 0)).2 += 1;
    }
}

/// Reads the Ed-Fi folder at `dir` and hands each student's record to `each`, in the order the
/// students are first read.
pub fn read_edfi(dir: &Path, school: &School, each: impl FnMut(Record)) -> io::Result<()> {
    let files = folder_files(dir)?;
    read_files(dir, &files, school, each);
    Ok(())
}

/// Reads Ed-Fi files given with their bytes (from the folder `dir`), as [`read_edfi`] does.
pub fn read_files(dir: &Path, files: &[(PathBuf, Vec<u8>)], school: &School, mut each: impl FnMut(Record)) {
    let (data, problems) = read_entities(files);
    if problems.iter().any(Diagnostic::is_error) {
        each(Err(Rejected::unknown(problems)));
        return;
    }
    let settings = &school.sources.edfi;
    if settings.graduation_day.is_none() {
        let problem = Diagnostic::error(dir, "school.json does not say when an Ed-Fi class graduates")
            .hint("set sources.edfi.graduation_day in school.json, such as \"06-11\": a student of the class of 2027 graduates on 11 June 2027");
        each(Err(Rejected::unknown(vec![problem])));
        return;
    }
    let mapping = Mapping { settings, scale: &school.scale, credits: Credits::new(school) };
    let join = Join::new(&data, &mapping);
    let mut unmapped = Unmapped::default();

    let mut seen: HashMap<&str, &data::Student> = HashMap::new();
    // Students whose id comes with two identities, with every clash: each left out, once.
    let mut clashes: BTreeMap<&str, Vec<Diagnostic>> = BTreeMap::new();
    for student in &data.students {
        if let Some(first) = seen.get(student.id.as_str()) {
            let same = (&first.first, &first.middle, &first.last, &first.birth_date)
                == (&student.first, &student.middle, &student.last, &student.birth_date);
            if !same {
                let problem = student
                    .place
                    .error(
                        Some(field(&student.place, "studentUniqueId", "StudentUniqueId")),
                        format!(
                            "the student {} is also at {}:{} with another name or birth date",
                            student.id,
                            first.place.file.display(),
                            first.place.line
                        ),
                    )
                    .hint("one student id with two identities would mix two students' records: correct it in the source system; the student is left out until then");
                clashes.entry(&student.id).or_default().push(problem);
            }
            continue;
        }
        seen.insert(&student.id, student);
    }
    for student in seen_in_order(&data, &seen) {
        if let Some(problems) = clashes.remove(student.id.as_str()) {
            each(Err(Rejected { student: Some(student.id.clone()), diagnostics: problems }));
            continue;
        }
        let mut record = Joined::new(&join, student);
        record.evidence(&mut unmapped);
        each(record.finish());
    }

    // Scores of students the folder does not have, once per student.
    let mut source = Vec::new();
    let mut unknown: BTreeMap<&str, (&Place, usize)> = BTreeMap::new();
    let places = data.scores.iter().map(|s| (s.student.as_str(), &s.place));
    let places = places.chain(data.objectives.iter().map(|o| (o.student.as_str(), &o.place)));
    for (student, place) in places.chain(data.grades.iter().map(|g| (g.student.as_str(), &g.place))) {
        if !seen.contains_key(student) {
            unknown.entry(student).or_insert((place, 0)).1 += 1;
        }
    }
    for (student, (place, count)) in unknown {
        source.push(
            place
                .error(
                    Some(field(place, "studentUniqueId", "StudentUniqueId")),
                    format!("{} for the student \"{student}\", who is not among the students", plural(count, "score")),
                )
                .hint("export the students with their scores, from the same system and date; the scores are left out until the student is there"),
        );
    }
    for ((kind, id), (place, name, count)) in unmapped.found {
        let near = mapping.credits.near(&id);
        let (setting, what) = match kind {
            "objective" => ("objectives", "competency objective"),
            _ => ("learning_standards", "learning standard"),
        };
        let left = if count == 1 { "its one score is".to_string() } else { format!("its {count} scores are") };
        let problem = if kind == "entry" {
            place
                .error(Some(name), format!("the gradebook entry \"{id}\" names no learning standard, so {left} left out"))
                .hint("align the assignment to a learning standard in the gradebook: a score counts towards the credit its standard maps to")
        } else {
            place
                .error(Some(name), format!("the {what} \"{id}\" maps to no credit, so {left} left out"))
                .hint(format!("map it in school.json: sources.edfi.{setting}: {{\"{id}\": \"CREDIT-ID\"}}{near}, or to null to leave its scores out on purpose"))
        };
        source.push(problem);
    }
    if !source.is_empty() {
        each(Err(Rejected::unknown(source)));
    }
}

/// What the Ed-Fi folder at `dir` holds that `school.json` does not map yet: the learning
/// standards and competency objectives of its scores that count towards no credit, and the
/// descriptors and grades that give no level, each with its count (and, for a standard, the
/// titles of its gradebook entries).
pub fn survey(dir: &Path, school: &School) -> io::Result<Result<Survey, Vec<Diagnostic>>> {
    let (data, problems) = read_entities(&folder_files(dir)?);
    if problems.iter().any(Diagnostic::is_error) {
        return Ok(Err(problems));
    }
    let settings = &school.sources.edfi;
    let mapping = Mapping { settings, scale: &school.scale, credits: Credits::new(school) };
    let entries: HashMap<&str, &data::Entry> = data.entries.iter().map(|e| (e.key.as_str(), e)).collect();
    let mut survey = Survey::default();
    let level = |survey: &mut Survey, descriptor: &str, letter: &str, numeric: &str| {
        let written = if descriptor.is_empty() { letter } else { descriptor };
        if !written.is_empty() && mapping.level(descriptor, letter, numeric).is_err() {
            survey.score("edfi/levels", written);
        }
    };
    for score in &data.scores {
        if score.level.is_empty() && score.letter.is_empty() && score.numeric.is_empty() {
            continue;
        }
        if let Some(entry) = entries.get(score.entry.as_str()) {
            for standard in &entry.standards {
                if mapping.credits.resolve(&settings.learning_standards, standard) == Target::Unknown {
                    survey.id("edfi/learning_standards", standard, &entry.title);
                }
            }
        }
        level(&mut survey, &score.level, &score.letter, &score.numeric);
    }
    for objective in &data.objectives {
        if mapping.credits.resolve(&settings.objectives, &objective.objective) == Target::Unknown {
            survey.id("edfi/objectives", &objective.objective, "");
        }
        level(&mut survey, &objective.level, "", "");
    }
    for grade in &data.grades {
        if mapping.credits.resolve(&settings.learning_standards, &grade.standard) == Target::Unknown {
            survey.id("edfi/learning_standards", &grade.standard, "");
        }
        level(&mut survey, "", &grade.letter, &grade.numeric);
    }
    Ok(Ok(survey))
}

/// The students, once each, in the order they were first read.
fn seen_in_order<'d>(data: &'d Data, seen: &HashMap<&str, &'d data::Student>) -> Vec<&'d data::Student> {
    data.students.iter().filter(|s| seen.get(s.id.as_str()).is_some_and(|first| std::ptr::eq(*first, *s))).collect()
}

/// The resources indexed for the join.
struct Join<'d> {
    mapping: &'d Mapping<'d>,
    entries: HashMap<&'d str, &'d data::Entry>,
    periods: HashMap<&'d str, &'d data::Period>,
    teachers: HashMap<&'d str, Result<(String, Place), String>>,
    scores_of: HashMap<&'d str, Vec<Evidence<'d>>>,
    enrolments_of: HashMap<&'d str, Vec<&'d data::Enrolment>>,
}

/// A score of any of the three kinds, in the order read.
#[derive(Clone, Copy)]
enum Evidence<'d> {
    Entry(&'d data::Score),
    Objective(&'d data::ObjectiveLevel),
    Standard(&'d data::StandardGrade),
}

impl<'d> Join<'d> {
    fn new(data: &'d Data, mapping: &'d Mapping<'d>) -> Join<'d> {
        let mut scores_of: HashMap<&str, Vec<Evidence>> = HashMap::new();
        for score in &data.scores {
            scores_of.entry(&score.student).or_default().push(Evidence::Entry(score));
        }
        for objective in &data.objectives {
            scores_of.entry(&objective.student).or_default().push(Evidence::Objective(objective));
        }
        for grade in &data.grades {
            scores_of.entry(&grade.student).or_default().push(Evidence::Standard(grade));
        }
        let mut enrolments_of: HashMap<&str, Vec<&data::Enrolment>> = HashMap::new();
        for enrolment in &data.enrolments {
            enrolments_of.entry(&enrolment.student).or_default().push(enrolment);
        }
        Join {
            mapping,
            entries: data.entries.iter().map(|e| (e.key.as_str(), e)).collect(),
            periods: data.periods.iter().map(|p| (p.key.as_str(), p)).collect(),
            teachers: teachers(data),
            scores_of,
            enrolments_of,
        }
    }
}

/// One student's record, as it is joined.
struct Joined<'d> {
    join: &'d Join<'d>,
    student: &'d data::Student,
    value: Map<String, Value>,
    cells: RowCells,
    evidence: Vec<Value>,
    evidence_cells: Vec<ItemCells>,
    problems: Vec<Diagnostic>,
    notes: Vec<Diagnostic>,
}

/// What one score says, from whichever resource.
struct Scored<'d> {
    place: &'d Place,
    credit: &'d str,
    id_field: &'static str,
    level: Result<Decimal, String>,
    level_field: &'static str,
    date: &'d str,
    date_place: &'d Place,
    date_field: &'static str,
    section: &'d str,
    note: &'d str,
    /// What the score is of (a gradebook entry's key), for repeats.
    of: &'d str,
}

impl<'d> Joined<'d> {
    fn new(join: &'d Join<'d>, student: &'d data::Student) -> Joined<'d> {
        let place = &student.place;
        let mut cells = RowCells::default();
        let mut problems = Vec::new();
        let id_field = field(place, "studentUniqueId", "StudentUniqueId");
        cells.fields.push(("", place.cell(None)));
        cells.fields.push(("/id", place.cell(Some(id_field))));
        if student.id.is_empty() {
            problems.push(
                place
                    .error(Some(id_field), "the student has no studentUniqueId")
                    .hint("export the student with the id the state or district gave them"),
            );
        }
        let legal = [&student.first, &student.middle, &student.last]
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let mut name = Map::from_iter([("legal".to_string(), json!(legal))]);
        cells.fields.push(("/name/legal", place.cell(Some(field(place, "firstName", "FirstName")))));
        if !student.preferred_first.is_empty() || !student.preferred_last.is_empty() {
            let given = if student.preferred_first.is_empty() { &student.first } else { &student.preferred_first };
            let family = if student.preferred_last.is_empty() { &student.last } else { &student.preferred_last };
            let preferred = format!("{given} {family}");
            if preferred != legal {
                name.insert("preferred".to_string(), json!(preferred));
                cells.fields.push((
                    "/name/preferred",
                    place.cell(Some(field(place, "preferredFirstName", "PreferredFirstName"))),
                ));
            }
        }
        let mut value =
            Map::from_iter([("id".to_string(), json!(student.id)), ("name".to_string(), Value::Object(name))]);
        if student.birth_date.is_empty() {
            problems.push(
                place
                    .error(
                        Some(field(place, "birthDate", "BirthDate")),
                        format!("the student {} has no birth date", student.id),
                    )
                    .hint("a transcript states the student's birth date: export the student with birthDate"),
            );
        } else {
            value.insert("birth_date".to_string(), json!(student.birth_date));
            cells.fields.push(("/birth_date", place.cell(Some(field(place, "birthDate", "BirthDate")))));
        }
        let enrolments = join.enrolments_of.get(student.id.as_str()).map_or(&[][..], Vec::as_slice);
        let years: Vec<&&data::Enrolment> = enrolments.iter().filter(|e| !e.class_of.is_empty()).collect();
        let day = join.mapping.settings.graduation_day.as_deref().unwrap_or_default();
        match years.first() {
            None => problems.push(
                place
                    .error(None, format!("the student {} has no studentSchoolAssociation with a classOfSchoolYear", student.id))
                    .hint("the class-of year gives the expected graduation date: export the student's school association with it"),
            ),
            Some(first) if years.iter().any(|e| e.class_of != first.class_of) => {
                let other = years.iter().find(|e| e.class_of != first.class_of).expect("found above");
                problems.push(
                    other
                        .place
                        .error(
                            Some(field(&other.place, "classOfSchoolYearTypeReference", "ClassOfSchoolYear")),
                            format!(
                                "the student {} is in the class of {} here but of {} at {}:{}",
                                student.id,
                                other.class_of,
                                first.class_of,
                                first.place.file.display(),
                                first.place.line
                            ),
                        )
                        .hint("a student graduates once: correct the class-of year in the source system"),
                );
            }
            Some(first) => {
                value.insert("expected_graduation".to_string(), json!(format!("{}-{day}", first.class_of)));
                cells.fields.push((
                    "/expected_graduation",
                    first.place.cell(Some(field(&first.place, "classOfSchoolYearTypeReference", "ClassOfSchoolYear"))),
                ));
            }
        }
        Joined {
            join,
            student,
            value,
            cells,
            evidence: Vec::new(),
            evidence_cells: Vec::new(),
            problems,
            notes: Vec::new(),
        }
    }

    /// The student's scores, each as evidence for the credits it maps to.
    fn evidence(&mut self, unmapped: &mut Unmapped) {
        let join = self.join;
        let mapping = join.mapping;
        let settings = mapping.settings;
        let mut seen: HashMap<(&str, &str, &str), (Decimal, u32)> = HashMap::new();
        for &evidence in join.scores_of.get(self.student.id.as_str()).map_or(&[][..], Vec::as_slice) {
            let mut scored: Vec<Scored> = Vec::new();
            match evidence {
                Evidence::Entry(score) => {
                    if score.level.is_empty() && score.letter.is_empty() && score.numeric.is_empty() {
                        continue;
                    }
                    let Some(entry) = join.entries.get(score.entry.as_str()) else {
                        self.problems.push(
                            score
                                .place
                                .error(
                                    Some(field(&score.place, "gradebookEntryReference", "GradebookEntryReference")),
                                    format!("the score names the gradebook entry \"{}\", which is not among the gradebook entries", score.entry),
                                )
                                .hint("export the gradebook entries with the scores, from the same system and date"),
                        );
                        continue;
                    };
                    if entry.standards.is_empty() {
                        unmapped.add(
                            "entry",
                            &entry.key,
                            &entry.place,
                            field(&entry.place, "learningStandards", "LearningStandardReference"),
                        );
                    }
                    let (level_field, level) =
                        level_of(mapping, &score.place, &score.level, &score.letter, &score.numeric);
                    let (date, date_place, date_field) = if score.date.is_empty() {
                        (entry.date.as_str(), &entry.place, field(&entry.place, "dueDate", "DueDate"))
                    } else {
                        (score.date.as_str(), &score.place, field(&score.place, "dateFulfilled", "DateFulfilled"))
                    };
                    let id_field = field(&entry.place, "learningStandardId", "LearningStandardId");
                    for standard in &entry.standards {
                        let map = &settings.learning_standards;
                        let Some(credit) =
                            credit_of(mapping, map, "standard", standard, &entry.place, id_field, unmapped)
                        else {
                            continue;
                        };
                        scored.push(Scored {
                            place: &score.place,
                            credit,
                            id_field,
                            level: level.clone(),
                            level_field,
                            date,
                            date_place,
                            date_field,
                            section: &entry.section,
                            note: &score.note,
                            of: &entry.key,
                        });
                    }
                }
                Evidence::Objective(objective) => {
                    let id_field = field(&objective.place, "objective", "Objective");
                    let Some(credit) = credit_of(
                        mapping,
                        &settings.objectives,
                        "objective",
                        &objective.objective,
                        &objective.place,
                        id_field,
                        unmapped,
                    ) else {
                        continue;
                    };
                    let Some((date, date_place, date_field)) = self.period_end(&objective.place, &objective.period)
                    else {
                        continue;
                    };
                    let (level_field, level) = level_of(mapping, &objective.place, &objective.level, "", "");
                    scored.push(Scored {
                        place: &objective.place,
                        credit,
                        id_field,
                        level,
                        level_field,
                        date,
                        date_place,
                        date_field,
                        section: &objective.section,
                        note: &objective.note,
                        of: &objective.objective,
                    });
                }
                Evidence::Standard(grade) => {
                    let id_field = field(&grade.place, "learningStandardId", "LearningStandardId");
                    let Some(credit) = credit_of(
                        mapping,
                        &settings.learning_standards,
                        "standard",
                        &grade.standard,
                        &grade.place,
                        id_field,
                        unmapped,
                    ) else {
                        continue;
                    };
                    if grade.letter.is_empty() && grade.numeric.is_empty() {
                        continue;
                    }
                    let Some((date, date_place, date_field)) = self.period_end(&grade.place, &grade.period) else {
                        continue;
                    };
                    let (level_field, level) = level_of(mapping, &grade.place, "", &grade.letter, &grade.numeric);
                    scored.push(Scored {
                        place: &grade.place,
                        credit,
                        id_field,
                        level,
                        level_field,
                        date,
                        date_place,
                        date_field,
                        section: &grade.section,
                        note: &grade.note,
                        of: &grade.period,
                    });
                }
            }
            for s in scored {
                let level = match s.level {
                    Ok(level) => level,
                    Err(message) => {
                        self.problems.push(s.place.error(Some(s.level_field), message).hint(
                            "map it in school.json: sources.edfi.levels, such as {\"Proficient\": 3}; the student is left out until every score has a level",
                        ));
                        continue;
                    }
                };
                let Some((assessor, assessor_place)) = self.assessor(s.place, s.section) else { continue };
                match seen.get(&(s.of, s.credit, s.date)) {
                    Some((earlier, line)) if *earlier != level => {
                        self.problems.push(
                            s.place
                                .error(None, format!("this scores {} at {level} on {}, but line {line} scores the same assignment at {earlier} the same day", s.credit, s.date))
                                .hint("two scores for one assignment on one day cannot both be right: correct or delete one in the source system; the student is left out until then"),
                        );
                        continue;
                    }
                    Some((_, line)) => self.notes.push(
                        s.place
                            .warning(format!(
                                "this score repeats line {line}: the same score for the same assignment and day"
                            ))
                            .hint("the same evidence exported twice counts twice: delete one of the two"),
                    ),
                    None => {
                        seen.insert((s.of, s.credit, s.date), (level, s.place.line));
                    }
                }
                let mut piece = Map::with_capacity(5);
                piece.insert("credit".to_string(), json!(s.credit));
                piece.insert("score".to_string(), number(level));
                piece.insert("date".to_string(), json!(s.date));
                piece.insert("assessor".to_string(), json!(assessor));
                let mut fields = vec![
                    ("credit", s.place.cell(Some(s.id_field))),
                    ("score", s.place.cell(Some(s.level_field))),
                    ("date", s.date_place.cell(Some(s.date_field))),
                ];
                if let Some(place) = &assessor_place {
                    fields.push(("assessor", place.cell(Some(field(place, "staffReference", "StaffReference")))));
                }
                if !s.note.is_empty() {
                    piece.insert("note".to_string(), json!(s.note));
                    fields.push((
                        "note",
                        s.place.cell(Some(field(s.place, "diagnosticStatement", "DiagnosticStatement"))),
                    ));
                }
                self.evidence_cells.push(ItemCells { row: s.place.cell(None), fields });
                self.evidence.push(Value::Object(piece));
            }
        }
    }

    /// The end of a grading period, the date of what is scored for it, with where it was read.
    fn period_end(&mut self, place: &'d Place, period: &str) -> Option<(&'d str, &'d Place, &'static str)> {
        match self.join.periods.get(period) {
            Some(found) if !found.end.is_empty() => {
                Some((found.end.as_str(), &found.place, field(&found.place, "endDate", "EndDate")))
            }
            _ => {
                let name = period.split('|').next().unwrap_or_default();
                self.problems.push(
                    place
                        .error(
                            Some(field(place, "gradingPeriodReference", "GradingPeriodReference")),
                            format!("the grading period \"{name}\" is not among the grading periods, so the score has no date"),
                        )
                        .hint("export gradingPeriods.json (or the calendar interchange) with the scores: a period's end dates what is scored for it"),
                );
                None
            }
        }
    }

    /// The assessor of a score in `section`: its teacher of record, else the school's stated
    /// assessor. `None`, with the problem noted, when there is none to tell.
    fn assessor(&mut self, place: &Place, section: &str) -> Option<(String, Option<Place>)> {
        let stated = self.join.mapping.settings.assessor.as_deref();
        let problem = match self.join.teachers.get(section) {
            Some(Ok((name, at))) => return Some((name.clone(), Some(at.clone()))),
            _ if section.is_empty() && stated.is_some() => return stated.map(|s| (s.to_string(), None)),
            None if stated.is_some() => return stated.map(|s| (s.to_string(), None)),
            Some(Err(message)) => message.clone(),
            None if section.is_empty() => "the score names no section, so no teacher assessed it".to_string(),
            None => format!("the section {section} has no teacher in staffSectionAssociations"),
        };
        self.problems.push(place.error(None, problem).hint(
            "export staffSectionAssociations and staffs with the scores (the teacher of record is the assessor), or name an assessor in school.json: sources.edfi.assessor",
        ));
        None
    }

    fn finish(mut self) -> Record {
        if !self.problems.is_empty() {
            let student = Some(self.student.id.clone()).filter(|id| !id.is_empty());
            return Err(Rejected { student, diagnostics: self.problems });
        }
        self.value.insert("evidence".to_string(), Value::Array(self.evidence));
        self.cells.lists.push(("/evidence", self.evidence_cells));
        let folder = self.student.place.file.parent().unwrap_or(Path::new("")).to_path_buf();
        Ok(Document::from_rows(folder, Value::Object(self.value), self.cells, self.notes))
    }
}

/// The credit `id` counts towards by `map`; `None` when it counts towards none (on purpose, or
/// counted in `unmapped` as a `kind` that maps to no credit).
fn credit_of<'m>(
    mapping: &Mapping<'m>,
    map: &BTreeMap<String, Option<String>>,
    kind: &'static str,
    id: &str,
    place: &Place,
    id_field: &'static str,
    unmapped: &mut Unmapped,
) -> Option<&'m str> {
    match mapping.credits.resolve(map, id) {
        Target::Credit(credit) => Some(credit),
        Target::Ignored => None,
        Target::Unknown => {
            unmapped.add(kind, id, place, id_field);
            None
        }
    }
}

/// The level of a score and the field it came from.
fn level_of(
    mapping: &Mapping,
    place: &Place,
    descriptor: &str,
    letter: &str,
    numeric: &str,
) -> (&'static str, Result<Decimal, String>) {
    let name = if !descriptor.is_empty() {
        field(place, "competencyLevelDescriptor", "CompetencyLevel")
    } else if !letter.is_empty() {
        field(place, "letterGradeEarned", "LetterGradeEarned")
    } else {
        field(place, "numericGradeEarned", "NumericGradeEarned")
    };
    (name, mapping.level(descriptor, letter, numeric))
}
