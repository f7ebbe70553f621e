//! Criterion benchmarks of the pipeline's stages, per transcript, on the example school:
//! validating one student record, aggregating it, rendering and exporting its PDF.
//!
//! `cargo bench` runs them; `bench/run.sh` measures whole batch builds.

#![allow(
    clippy::disallowed_macros,
    clippy::disallowed_types,
    reason = "a benchmark reports its timings to the terminal"
)]

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use mastery::aggregate::{AggregateOptions, aggregate};
use mastery::intake;
use mastery::load::{self, Source, SourceKind};
use mastery::render::{self, Attachment, Template};
use mastery::transcript::Layout;
use mastery::validate::{Schemas, StudentChecker};

fn stages(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example-school");
    let schemas = Schemas::new();
    let open = intake::open(&root, &schemas).expect("the example school loads");
    let school = open.school.clone().expect("the example school is valid");
    let source = Source { path: root.join("students/hv-2026-005.json"), kind: SourceKind::Json, bundles: Vec::new() };
    let mut document = None;
    load::read_source(&source, None, |record| document = record.ok()).unwrap();
    let document = document.expect("the record parses");
    let bytes = std::fs::read(&source.path).unwrap();

    c.bench_function("validate one student (parse, schema, meaning)", |b| {
        b.iter(|| {
            let document = load::parse_json(&source.path, bytes.clone(), 1).unwrap();
            let mut checker = StudentChecker::new(&school, &schemas, &Default::default());
            checker.check(&document)
        })
    });

    let mut checker = StudentChecker::new(&school, &schemas, &Default::default());
    let student = checker.check(&document).value.expect("the student is valid");
    let logo = open
        .folder
        .logo
        .as_ref()
        .map(|asset| Attachment { path: render::logo_path("svg"), bytes: asset.bytes.clone() });
    let options = AggregateOptions {
        issue_date: school.transcript.issue_date.unwrap(),
        logo: logo.as_ref().map(|l| l.path.clone()),
        layout: Layout::default(),
        disclosure: mastery::model::DisclosureProfile::everything(),
    };
    c.bench_function("aggregate one student", |b| b.iter(|| aggregate(&school, &student, &options)));

    // Rendering the same transcript again and again would measure typst's memo cache, not
    // rendering: go round all the example students (more than the cache keeps between
    // documents), as a batch does.
    let template = Template::embedded();
    let mut transcripts = Vec::new();
    intake::students(&open, &schemas, &Default::default(), |outcome| {
        if let Some(record) = outcome.record {
            transcripts.push(aggregate(&school, &record.student, &options));
        }
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    let mut next = 0;
    let mut group = c.benchmark_group("render");
    group.sample_size(20);
    group.bench_function("render one transcript to PDF/A-3b + PDF/UA-1", |b| {
        b.iter(|| {
            next = (next + 1) % transcripts.len();
            render::pdf(&template, &transcripts[next], logo.as_slice()).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
