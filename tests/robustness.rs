//! Validation never panics, whatever JSON or bytes it is given.

use std::path::Path;

use mastery::load::parse_json;
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
    mastery::pipeline::open(&root.join("fixtures/small-school"), &schemas).unwrap().school.unwrap()
}

fn student_template() -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(root.join("fixtures/small-school/students/s1.json")).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_json_as_a_student_or_a_school_is_checked_without_panic(value in json()) {
        let schemas = Schemas::new();
        let school = small_school();
        let text = serde_json::to_vec_pretty(&value).unwrap();
        // A number that cannot be read exactly is refused at its place.
        let document = match parse_json(Path::new("s.json"), text, 1) {
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
        if let Ok(document) = parse_json(Path::new("s.json"), serde_json::to_vec(&record).unwrap(), 1) {
            let mut checker = StudentChecker::new(&school, &schemas, &Default::default());
            let _ = checker.check(&document);
        }
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
