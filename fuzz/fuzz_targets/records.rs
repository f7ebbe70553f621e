//! Feeds arbitrary bytes to the loaders and the validator, as one student file of each kind,
//! as a Canvas Outcome Results report and its roster, as one table of a OneRoster bundle, as one file of an Ed-Fi folder (an XML interchange, or
//! the API's JSON), and as `school.json`, straight from memory: nothing may panic, every
//! refusal must say where, and a CSV, OneRoster or Ed-Fi student whose rows disagree is
//! refused, never built.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mastery::load::{self, Record};
use mastery::model::{CsvSettings, School};
use mastery::validate::{self, Schemas, StudentChecker};

static SCHEMAS: LazyLock<Schemas> = LazyLock::new(Schemas::new);
static SCHOOL: LazyLock<School> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/small-school");
    mastery::intake::open(&dir, &SCHEMAS).expect("the small school loads").school.expect("the small school is valid")
});

/// The example OneRoster school, and its bulk bundle's files by name.
static ONEROSTER: LazyLock<(School, BTreeMap<String, Vec<u8>>)> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/oneroster-school");
    let school = mastery::intake::open(&dir, &SCHEMAS).expect("the school loads").school.expect("it is valid");
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir.join("students/district-2025-09-full")).unwrap() {
        let path = entry.unwrap().path();
        files.insert(path.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&path).unwrap());
    }
    (school, files)
});

/// The example Ed-Fi school, and its interchanges by path.
static EDFI: LazyLock<(School, Vec<(PathBuf, Vec<u8>)>)> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/edfi-school");
    let school = mastery::intake::open(&dir, &SCHEMAS).expect("the school loads").school.expect("it is valid");
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir.join("students/bay-path-edfi"))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (PathBuf::from("students/edfi").join(path.file_name().unwrap()), bytes)
        })
        .collect();
    files.sort();
    (school, files)
});

/// The example Canvas school, and its roster.
static CANVAS: LazyLock<(School, load::csv::Roster)> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/canvas-school");
    let school = mastery::intake::open(&dir, &SCHEMAS).expect("the school loads").school.expect("it is valid");
    let path = dir.join("roster.csv");
    let roster = load::csv::Roster::read(&path, std::fs::read(&path).unwrap(), &school.sources.csv).expect("a roster");
    (school, roster)
});

/// The tables the fuzzer's bytes stand in for, by the input's first byte.
const TABLES: [&str; 7] = [
    "results.csv",
    "users.csv",
    "manifest.csv",
    "resultLearningObjectiveIds.csv",
    "lineItemLearningObjectiveIds.csv",
    "enrollments.csv",
    "demographics.csv",
];

/// Checks one record: a document goes through validation, a rejection names an error with a
/// place. Returns the student id of either.
fn check(record: Record, checker: &mut StudentChecker) -> (bool, Option<String>) {
    match record {
        Ok(document) => {
            let checked = checker.check(&document);
            assert!(checked.diagnostics.iter().all(|d| d.position.is_some()));
            (true, document.top_str("id").map(str::to_string))
        }
        Err(rejected) => {
            assert!(rejected.diagnostics.iter().any(|d| d.is_error()), "a rejection says why");
            assert!(rejected.diagnostics.iter().all(|d| d.position.is_some()), "and where");
            (false, rejected.student)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // As one JSON document: a student and a school. A repeated key or an inexact number is
    // refused with its place.
    match load::parse_json(Path::new("s.json"), data.to_vec(), 1) {
        Ok(document) => {
            let mut checker = StudentChecker::new(&SCHOOL, &SCHEMAS, &Default::default());
            check(Ok(document.clone()), &mut checker);
            let _ = validate::school(&document, &SCHEMAS);
        }
        Err(problems) => assert!(!problems.is_empty() && problems.iter().all(|d| d.position.is_some())),
    }
    // As JSON Lines, from the bytes.
    let mut checker = StudentChecker::new(&SCHOOL, &SCHEMAS, &Default::default());
    load::jsonl::read_json_lines(Path::new("s.jsonl"), data, &mut |record| {
        check(record, &mut checker);
    })
    .expect("reading from memory cannot fail");
    // As a CSV export: no student is both built and refused.
    let mut checker = StudentChecker::new(&SCHOOL, &SCHEMAS, &Default::default());
    let (mut built, mut refused) = (BTreeSet::new(), BTreeSet::new());
    load::csv::read_csv(Path::new("s.csv"), data.to_vec(), &load::csv::CsvMapping::plain(&CsvSettings::default()), &mut |record| {
        match check(record, &mut checker) {
            (true, Some(id)) => assert!(built.insert(id), "a student is built once"),
            (false, Some(id)) => assert!(refused.insert(id), "a student is refused once"),
            _ => {}
        }
    });
    assert!(built.is_disjoint(&refused), "a refused student is never built");

    // As Canvas's Outcome Results report, read with the example's preset, maps and roster;
    // and as the roster itself.
    let (school, roster) = &*CANVAS;
    let mapping = load::csv::CsvMapping {
        settings: &school.sources.csv,
        credits: Some(load::credits::Credits::new(school)),
        roster: Some(roster),
    };
    let mut checker = StudentChecker::new(school, &SCHEMAS, &Default::default());
    let (mut built, mut refused) = (BTreeSet::new(), BTreeSet::new());
    load::csv::read_csv(Path::new("students/canvas.csv"), data.to_vec(), &mapping, &mut |record| {
        match check(record, &mut checker) {
            (true, Some(id)) => assert!(built.insert(id), "a student is built once"),
            (false, Some(id)) => assert!(refused.insert(id), "a student is refused once"),
            _ => {}
        }
    });
    assert!(built.is_disjoint(&refused), "a refused student is never built");
    if let Err(problems) = load::csv::Roster::read(Path::new("roster.csv"), data.to_vec(), &school.sources.csv) {
        assert!(!problems.is_empty() && problems.iter().all(|d| d.is_error() && d.position.is_some()));
    }

    // As one table of a OneRoster bundle, the others the example's.
    let (school, files) = &*ONEROSTER;
    let mut files = files.clone();
    let table = TABLES[usize::from(data.first().copied().unwrap_or(0)) % TABLES.len()];
    files.insert(table.to_string(), data.get(1..).unwrap_or_default().to_vec());
    let bundle = Path::new("students/district");
    let opened = load::oneroster::bundle::Bundle::in_memory(bundle, files).expect("memory cannot fail");
    let mapping = load::oneroster::Mapping::new(school);
    let mut checker = StudentChecker::new(school, &SCHEMAS, &Default::default());
    let (mut built, mut refused) = (BTreeSet::new(), BTreeSet::new());
    load::oneroster::read_bundles(bundle, vec![opened], &mapping, &mut |record| match check(record, &mut checker) {
        (true, Some(id)) => assert!(built.insert(id), "a student is built once"),
        (false, Some(id)) => assert!(refused.insert(id), "a student is refused once"),
        _ => {}
    })
    .expect("reading from memory cannot fail");
    assert!(built.is_disjoint(&refused), "a refused student is never built");

    // As one file of an Ed-Fi folder: the first byte picks an interchange to replace, or the
    // API's students.json to add, the others the example's.
    let (school, files) = &*EDFI;
    let mut files = files.clone();
    let pick = usize::from(data.first().copied().unwrap_or(0)) % (files.len() + 1);
    let bytes = data.get(1..).unwrap_or_default().to_vec();
    match files.get_mut(pick) {
        Some((_, file)) => *file = bytes,
        None => files.push((PathBuf::from("students/edfi/students.json"), bytes)),
    }
    let mut checker = StudentChecker::new(school, &SCHEMAS, &Default::default());
    let (mut built, mut refused) = (BTreeSet::new(), BTreeSet::new());
    load::edfi::read_files(Path::new("students/edfi"), &files, school, |record| match check(record, &mut checker) {
        (true, Some(id)) => assert!(built.insert(id), "a student is built once"),
        (false, Some(id)) => assert!(refused.insert(id), "a student is refused once"),
        _ => {}
    });
    assert!(built.is_disjoint(&refused), "a refused student is never built");
});
