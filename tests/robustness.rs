//! Validation never panics, whatever JSON or bytes it is given.

use std::fmt::Debug;
use std::path::Path;

use mastery::diag::Checked;
use mastery::load::{Document, parse_json};
use mastery::validate::{Schemas, StudentChecker};
use proptest::prelude::*;
use serde_json::Value;

/// Arbitrary JSON: scalars of every kind (huge and tiny numbers, odd strings) nested in lists
/// and objects whose keys are sometimes the record's own field names.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("id".to_string()),
        Just("name".to_string()),
        Just("legal".to_string()),
        Just("evidence".to_string()),
        Just("credit".to_string()),
        Just("score".to_string()),
        Just("date".to_string()),
        Just("work_samples".to_string()),
        Just("attestations".to_string()),
        Just("status".to_string()),
        ".{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![Just("WRI-1".to_string()), Just("2025-02-30".to_string()), Just("approved".to_string()), ".{0,12}"]
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn small_school() -> mastery::model::School {
    let schemas = Schemas::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    mastery::intake::open(&root.join("fixtures/small-school"), &schemas).unwrap().school.unwrap()
}

fn student_template() -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(root.join("fixtures/small-school/students/s1.json")).unwrap()).unwrap()
}

/// A problem without its place: error or not, message, pointer, hint.
type Problem = (bool, String, Option<String>, Option<String>);

/// What a check concluded: the model it read and every problem, without the places (a record
/// built as a value has none).
fn verdict<T: Debug>(checked: Checked<Option<T>>) -> (Option<String>, Vec<Problem>) {
    let problems = checked.diagnostics.into_iter().map(|d| (d.is_error(), d.message, d.pointer, d.hint)).collect();
    (checked.value.map(|value| format!("{value:?}")), problems)
}

/// The same record, as a value: what a CSV export builds, checked without the tape.
fn as_value(document: &Document) -> Document {
    Document::from_cells(document.path.clone(), document.value().clone(), Default::default(), Vec::new())
}

/// Checks a record read from `text` (over its tape) and the same record as a value, as a
/// student of `school` and as a school: the verdicts must be the same, and the value built from
/// the tape the one serde_json reads from the text.
fn same_verdicts(text: &[u8], school: &mastery::model::School, schemas: &Schemas) -> Result<(), TestCaseError> {
    let Ok(document) = parse_json(Path::new("s.json"), text.to_vec(), 1) else { return Ok(()) };
    let document = &document;
    let read: Value = serde_json::from_slice(text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text)).unwrap();
    prop_assert_eq!(&read, document.value());
    let built = as_value(document);
    let student = |document: &Document| StudentChecker::new(school, schemas, &Default::default()).check(document);
    prop_assert_eq!(verdict(student(document)), verdict(student(&built)));
    prop_assert_eq!(
        verdict(mastery::validate::school(document, schemas)),
        verdict(mastery::validate::school(&built, schemas))
    );
    Ok(())
}

#[test]
fn every_fixture_and_hostile_folder_gets_the_same_verdict_from_its_tape_as_from_its_value() {
    let schemas = Schemas::new();
    let school = small_school();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut folders: Vec<_> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    folders.extend(std::fs::read_dir(root.join("invalid")).unwrap().map(|e| e.unwrap().path()));
    let hostile = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    folders.extend(std::fs::read_dir(hostile).unwrap().map(|e| e.unwrap().path()));
    let mut records = 0;
    for folder in folders {
        let students = std::fs::read_dir(folder.join("students")).into_iter().flatten().map(|e| e.unwrap().path());
        for file in students.chain([folder.join("school.json")]) {
            let Ok(bytes) = std::fs::read(&file) else { continue };
            let texts: Vec<&[u8]> = match file.extension().and_then(|e| e.to_str()) {
                Some("json") => vec![&bytes],
                Some("jsonl") => bytes.split(|b| *b == b'\n').filter(|line| !line.trim_ascii().is_empty()).collect(),
                _ => continue,
            };
            for text in texts {
                same_verdicts(text, &school, &schemas).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                records += 1;
            }
        }
    }
    assert!(records > 40, "only {records} records were compared");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_json_as_a_student_or_a_school_is_checked_without_panic(value in json()) {
        let schemas = Schemas::new();
        let school = small_school();
        let text = serde_json::to_vec_pretty(&value).unwrap();
        // A number that cannot be read exactly is refused at its place.
        let document = match parse_json(Path::new("s.json"), text.clone(), 1) {
            Ok(document) => document,
            Err(problems) => {
                prop_assert!(problems.iter().all(|d| d.message.contains("cannot be read exactly") && d.position.is_some()));
                return Ok(());
            }
        };
        let mut checker = StudentChecker::new(&school, &schemas, &Default::default());
        let checked = checker.check(&document);
        // Anything that is not a student record is refused, with a place for every problem.
        if checked.value.is_none() {
            prop_assert!(checked.diagnostics.iter().any(|d| d.is_error()));
        }
        prop_assert!(checked.diagnostics.iter().all(|d| d.position.is_some()));
        let _ = mastery::validate::school(&document, &schemas);
        same_verdicts(&text, &school, &schemas)?;
    }

    #[test]
    fn a_real_record_with_any_part_replaced_is_checked_without_panic(replacement in json(), path in prop::collection::vec(0usize..8, 1..4)) {
        let mut record = student_template();
        // Walk into the record along `path`, then replace what is there.
        let mut pointer = String::new();
        let mut here = &record;
        for step in path {
            let (token, next) = match here {
                Value::Object(map) if !map.is_empty() => { let key = map.keys().nth(step % map.len()).unwrap(); (key.clone(), &map[key]) }
                Value::Array(items) if !items.is_empty() => { let i = step % items.len(); (i.to_string(), &items[i]) }
                _ => break,
            };
            pointer.push('/');
            pointer.push_str(&token.replace('~', "~0").replace('/', "~1"));
            here = next;
        }
        *record.pointer_mut(&pointer).unwrap() = replacement;
        let schemas = Schemas::new();
        let school = small_school();
        // Read from its text or built as a value, the record is judged the same.
        same_verdicts(&serde_json::to_vec(&record).unwrap(), &school, &schemas)?;
    }

    #[test]
    fn any_bytes_are_parsed_or_refused_without_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        match parse_json(Path::new("s.json"), bytes, 3) {
            Ok(_) => {}
            Err(problems) => {
                let known = |d: &mastery::diag::Diagnostic| {
                    d.position.is_some()
                        && ["failed to parse JSON", "file is", "the key", "the number"].iter().any(|s| d.message.starts_with(s))
                };
                prop_assert!(problems.iter().all(known));
            }
        }
    }
}
