//! The build engine through the library, as the console will use it: the events a run tells
//! its sink, in order; the outcome it returns; a run cancelled in the middle.

use std::collections::BTreeMap;
use std::path::Path;

use mastery::batch::{self, BuildOptions, Cancel, Event, Format, Isolation, Outcome, Plan, Status};
use mastery::render::worker::WorkerCommand;
use serde_json::json;

use crate::common::*;

fn options(school: &Path, out: &Path, format: Format) -> BuildOptions {
    let worker = WorkerCommand { program: env!("CARGO_BIN_EXE_mastery").into(), args: vec!["render-worker".into()] };
    let mut options = BuildOptions::new(school.to_path_buf(), out.to_path_buf(), format, worker);
    options.jobs = 2;
    options
}

/// Runs a plan, keeping every event; the sink may cancel.
fn record(plan: &Plan, cancel: &Cancel, mut on: impl FnMut(&Event, &Cancel)) -> (Vec<Event>, Outcome) {
    let mut events = Vec::new();
    let outcome = batch::run(
        plan,
        |event| {
            on(&event, cancel);
            events.push(event);
        },
        cancel,
    )
    .expect("the build runs");
    (events, outcome)
}

/// What became of each record, by student id, from the events; checking on the way that each
/// record is checked once, then given one status, between the start and the end.
fn each_status(events: &[Event], outcome: &Outcome) -> BTreeMap<String, Status> {
    assert!(matches!(events.first(), Some(Event::Started { .. })), "first: {:?}", events.first());
    assert_eq!(events.last(), Some(&Event::Finished(outcome.clone())), "the last event is the outcome");
    let mut checked = Vec::new();
    let mut statuses = BTreeMap::new();
    for event in &events[1..events.len() - 1] {
        match event {
            Event::Checked { student, source, .. } => checked.push((student.clone(), source.clone())),
            Event::Student { student, source, status } => {
                let record = (student.clone(), source.clone());
                assert!(checked.contains(&record), "{record:?} has a status before it was checked");
                let id = student.clone().expect("every record here has an id");
                assert!(statuses.insert(id, status.clone()).is_none(), "{record:?} twice");
            }
            other => panic!("unexpected in the middle of a run: {other:?}"),
        }
    }
    assert_eq!(checked.len(), statuses.len(), "every record checked gets a status");
    assert_eq!(outcome.counts.records, checked.len());
    statuses
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap()
}

#[test]
fn a_run_reports_each_record_in_order_and_returns_what_it_did() {
    let school = small_school();
    let students = school.path().join("students");
    let mut other = read_json(&students.join("s1.json"));
    other["id"] = json!("S2");
    write_json(&students.join("s2.json"), &other);
    other["id"] = json!("S3");
    other["evidence"][0]["score"] = json!("not a score");
    write_json(&students.join("s3.json"), &other);
    let out = tempfile::tempdir().unwrap();

    let plan = Plan::new(options(school.path(), out.path(), Format::Data)).unwrap();
    let (events, outcome) = record(&plan, &Cancel::new(), |_, _| {});
    let Event::Started { records, diagnostics } = &events[0] else { unreachable!() };
    assert_eq!((*records, diagnostics.len()), (Some(3), 0));
    let by_id = each_status(&events, &outcome);
    assert_eq!(by_id["S1"], Status::Built { files: vec!["S1.json".to_string()] });
    assert_eq!(by_id["S2"], Status::Built { files: vec!["S2.json".to_string()] });
    let Status::Invalid(problem) = &by_id["S3"] else { panic!("s3 is invalid: {:?}", by_id["S3"]) };
    assert_eq!((problem.student.as_deref(), problem.kind), (Some("S3"), "invalid"));
    assert!(problem.messages.iter().any(|m| m.contains("/evidence/0/score")), "{:?}", problem.messages);
    // Its diagnostics came with its Checked event, with the place.
    let s3_checked = events.iter().find_map(|event| match event {
        Event::Checked { source, diagnostics, .. } if file_name(source) == "s3.json" => Some(diagnostics),
        _ => None,
    });
    assert!(
        s3_checked.is_some_and(|d| d.iter().any(|d| d.is_error() && d.pointer.as_deref() == Some("/evidence/0/score")))
    );
    let counts = outcome.counts;
    assert_eq!((counts.built, counts.invalid, counts.unchanged, counts.failed), (2, 1, 0, 0));
    assert!(!outcome.cancelled && outcome.missing.is_empty());
    // What the events say was written is there, and in the manifest.
    let manifest = read_json(&out.path().join("manifest.json"));
    for name in ["S1.json", "S2.json"] {
        let bytes = std::fs::read(out.path().join(name)).unwrap();
        assert_eq!(manifest["outputs"][name]["sha256"], mastery::batch::manifest::sha256_hex(&bytes));
    }

    // The same plan again: nothing changed, so nothing is written.
    let (events, outcome) = record(&plan, &Cancel::new(), |_, _| {});
    let statuses = each_status(&events, &outcome);
    assert_eq!(statuses.values().filter(|s| **s == Status::Unchanged).count(), 2);
    assert_eq!((outcome.counts.built, outcome.counts.unchanged), (0, 2));

    // Asking for students by id: the others are not selected, and an unknown id is missing.
    let mut only = options(school.path(), out.path(), Format::Data);
    only.only = vec!["S2".to_string(), "S9".to_string()];
    only.force = true;
    let (events, outcome) = record(&Plan::new(only).unwrap(), &Cancel::new(), |_, _| {});
    let by_id = each_status(&events, &outcome);
    assert_eq!(by_id["S1"], Status::NotSelected);
    assert!(matches!(by_id["S2"], Status::Built { .. }));
    assert_eq!(outcome.missing, vec!["S9".to_string()]);
}

#[test]
fn a_plan_refuses_before_writing_anything() {
    let school = small_school();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("never");
    // A signed format without a key is a usage error; a school.json with errors is invalid.
    let error = Plan::new(options(school.path(), &target, Format::Clr)).err().expect("refused");
    assert!(matches!(error, batch::BuildError::Usage(_)), "{error:?}");
    let mut broken = read_json(&school.path().join("school.json"));
    broken["scale"] = json!("three levels");
    write_json(&school.path().join("school.json"), &broken);
    let Err(batch::BuildError::Invalid { diagnostics, .. }) = Plan::new(options(school.path(), &target, Format::Pdf))
    else {
        panic!("a broken school.json is refused")
    };
    assert!(diagnostics.iter().any(|d| d.is_error() && d.pointer.as_deref() == Some("/scale")), "{diagnostics:?}");
    assert!(!target.exists(), "nothing is written before the plan holds");
}

#[test]
fn a_cancelled_run_finishes_what_is_in_flight_and_keeps_a_true_manifest() {
    let school = generated_school(40);
    let out = tempfile::tempdir().unwrap();
    let options = options(school.path(), out.path(), Format::Pdf);
    assert!(matches!(options.isolation, Isolation::Processes { .. }));
    let plan = Plan::new(options).unwrap();
    let (events, outcome) = record(&plan, &Cancel::new(), |event, cancel| {
        if let Event::Student { status: Status::Built { .. }, .. } = event {
            cancel.cancel();
        }
    });
    let statuses = each_status(&events, &outcome);
    assert!(outcome.cancelled);
    let built = outcome.counts.built;
    // The first PDF cancels; the one the other worker was rendering still finishes.
    assert!((1..=4).contains(&built), "built {built} of 40 after cancelling at the first");
    assert!(statuses.len() < 40, "the reader stops: {} of 40 records read", statuses.len());
    let stopped = statuses.values().filter(|s| **s == Status::Stopped).count();
    assert_eq!(built + stopped, statuses.len(), "every record read was built or stopped");

    // The manifest lists exactly the files in the folder, with their digests; nothing is
    // left half-written.
    let manifest = read_json(&out.path().join("manifest.json"));
    let listed: Vec<&String> = manifest["outputs"].as_object().unwrap().keys().collect();
    let mut present: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "manifest.json")
        .collect();
    present.sort();
    assert_eq!(listed, present.iter().collect::<Vec<_>>());
    for name in &present {
        let bytes = std::fs::read(out.path().join(name)).unwrap();
        assert_eq!(manifest["outputs"][name]["sha256"], mastery::batch::manifest::sha256_hex(&bytes), "{name}");
    }

    // Run to the end: what was built is left alone, the rest is built.
    let (_, outcome) = record(&plan, &Cancel::new(), |_, _| {});
    assert_eq!((outcome.counts.unchanged, outcome.counts.built), (built, 40 - built));
}
