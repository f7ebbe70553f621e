//! Feeds arbitrary bytes to the loaders and the validator, as one student file of each kind
//! and as `school.json`: nothing may panic, and every refusal must say where.
#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use mastery::load::{self, Source, SourceKind};
use mastery::model::{CsvSettings, School};
use mastery::validate::{self, Schemas, StudentChecker};

static SCHEMAS: LazyLock<Schemas> = LazyLock::new(Schemas::new);
static SCHOOL: LazyLock<School> = LazyLock::new(|| {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/small-school");
    mastery::pipeline::open(&dir, &SCHEMAS).expect("the small school loads").school.expect("the small school is valid")
});

fuzz_target!(|data: &[u8]| {
    // As one JSON document: a student and a school.
    if let Ok(document) = load::parse_json(Path::new("s.json"), data.to_vec(), 1) {
        let mut checker = StudentChecker::new(&SCHOOL, &SCHEMAS, &Default::default());
        let checked = checker.check(&document);
        assert!(checked.diagnostics.iter().all(|d| d.position.is_some()));
        let _ = validate::school(&document, &SCHEMAS);
    }
    // As JSON Lines and as CSV, through the same reader the command uses.
    let dir = std::env::temp_dir().join(format!("mastery-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, kind) in [("s.jsonl", SourceKind::JsonLines), ("s.csv", SourceKind::Csv)] {
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        let mut checker = StudentChecker::new(&SCHOOL, &SCHEMAS, &Default::default());
        load::read_source(&Source { path, kind }, &CsvSettings::default(), |record| {
            if let Ok(document) = record {
                let _ = checker.check(&document);
            }
        })
        .unwrap();
    }
});
