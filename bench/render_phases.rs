//! Where a PDF's time goes. Renders the data files of a build (`mastery build --format data`)
//! in this process, the way a render worker does, with typst's own timing scopes switched on,
//! and prints the wall time of each phase per transcript (evaluation, each layout pass, PDF
//! export, and what is left: trimming the memo cache, our own work), then the largest scopes
//! inside them.
//!
//!   cargo run --release --example render_phases -- DATA_DIR [ROUNDS] [TEMPLATE_DIR]
//!
//! With TEMPLATE_DIR, that template folder instead of the built-in one (to compare two
//! versions of a template on the same data).
//!
//! Every transcript is rendered once per round, in order, so that typst's memo cache holds
//! what a batch's cache would; the first round warms it and is not counted.

#![allow(
    clippy::disallowed_macros,
    clippy::disallowed_types,
    reason = "a benchmark reports its timings to the terminal"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mastery::render::{self, Attachment, PdfJob, Template};

// As the mastery binary, whose render processes these figures stand for: mimalloc, and no
// transparent huge pages (render::worker::small_pages_only says why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: render_phases DATA_DIR [ROUNDS] [TEMPLATE_DIR]"));
    let rounds: usize = args.next().map_or(3, |n| n.parse().expect("ROUNDS is a number"));
    // The first round only warms the memo cache.
    let timed_rounds = rounds.max(2) - 1;
    let folder = args.next().map(PathBuf::from);
    let jobs = jobs(&dir);
    assert!(!jobs.is_empty(), "{} holds no transcript data files", dir.display());
    render::worker::small_pages_only();
    let template = match folder {
        Some(folder) => {
            let files = mastery::load::template_dir(&folder).expect("a readable template folder");
            Template::new(files, Vec::new()).expect("a complete template")
        }
        None => Template::embedded(),
    };

    for job in &jobs {
        render::render_pdf(&template, job).expect("the transcript renders");
    }
    // RENDER_PHASES_PLAIN=1 leaves the timing off (its bookkeeping costs a little), for a
    // profiler such as `valgrind --tool=callgrind` to see the rendering alone.
    let plain = std::env::var_os("RENDER_PHASES_PLAIN").is_some();
    if !plain {
        typst_timing::enable();
    }
    let mut phases: BTreeMap<String, Duration> = BTreeMap::new();
    let mut total = Duration::ZERO;
    for _ in 0..timed_rounds {
        for job in &jobs {
            typst_timing::clear();
            let start = Instant::now();
            render::render_pdf(&template, job).expect("the transcript renders");
            total += start.elapsed();
            for (name, time) in if plain { Vec::new() } else { outermost(&events()) } {
                *phases.entry(name).or_default() += time;
            }
        }
    }
    let documents = (jobs.len() * timed_rounds) as f64;
    let per = |d: Duration| d.as_secs_f64() * 1000.0 / documents;
    println!("{} transcripts x {timed_rounds} rounds, wall time per transcript", jobs.len());
    println!("| phase | ms | share |");
    println!("|---|---:|---:|");
    let share = |d: Duration| 100.0 * d.as_secs_f64() / total.as_secs_f64();
    let mut counted = Duration::ZERO;
    for name in TOP {
        if let Some(time) = phases.get(*name) {
            counted += *time;
            println!("| {name} | {:.2} | {:.0} % |", per(*time), share(*time));
        }
    }
    println!("| the rest (memo cache trimming, data in, bytes out) | {:.2} | |", per(total.saturating_sub(counted)));
    println!("| total | {:.2} | 100 % |", per(total));
    println!();
    println!("The largest scopes inside those (each counted once where it nests in itself):");
    println!("| scope | ms | share |");
    println!("|---|---:|---:|");
    let mut inner: Vec<_> = phases.iter().filter(|(name, _)| !TOP.contains(&name.as_str())).collect();
    inner.sort_by(|a, b| b.1.cmp(a.1));
    for (name, time) in inner.into_iter().take(25) {
        println!("| {name} | {:.2} | {:.0} % |", per(*time), share(*time));
    }
}

/// The phases that do not nest in one another: their sum is typst's part of the time.
const TOP: &[&str] = &["eval", "iter (1)", "iter (2)", "iter (3)", "iter (4)", "iter (5)", "pdf"];

struct Event {
    name: String,
    start: bool,
    micros: f64,
}

/// The events typst recorded since the last clear, in order.
fn events() -> Vec<Event> {
    let mut json = Vec::new();
    typst_timing::export_json(&mut json, |_| (String::new(), 0)).expect("timing events serialize");
    let list: Vec<serde_json::Value> = serde_json::from_slice(&json).expect("typst writes JSON");
    list.iter()
        .filter_map(|event| {
            let name = event["name"].as_str()?.to_string();
            Some(Event { name, start: event["ph"] == "B", micros: event["ts"].as_f64()? })
        })
        .collect()
}

/// The time inside each named scope, counting a scope nested in one of the same name once.
fn outermost(events: &[Event]) -> Vec<(String, Duration)> {
    let mut open: BTreeMap<&str, (usize, f64)> = BTreeMap::new();
    let mut out = Vec::new();
    for event in events {
        let entry = open.entry(&event.name).or_insert((0, 0.0));
        if event.start {
            if entry.0 == 0 {
                entry.1 = event.micros;
            }
            entry.0 += 1;
        } else if entry.0 > 0 {
            entry.0 -= 1;
            if entry.0 == 0 {
                out.push((event.name.clone(), Duration::from_secs_f64((event.micros - entry.1).max(0.0) / 1e6)));
            }
        }
    }
    out
}

/// A render job for each `*.json` transcript data file in `dir`, with the school's logo.
fn jobs(dir: &Path) -> Vec<PdfJob> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a readable folder")
        .map(|entry| entry.expect("a folder entry").path())
        .filter(|path| {
            path.extension().is_some_and(|e| e == "json")
                && !path.ends_with("report.json")
                && !path.ends_with("manifest.json")
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            let data = std::fs::read(&path).expect("a readable file");
            let value: serde_json::Value = serde_json::from_slice(&data).ok()?;
            let ident = value["verification"]["credential_id"].as_str()?.to_string();
            let date = value["issue_date"].as_str()?.to_string();
            let attachments = value["school"]["logo"]
                .as_str()
                .map(|logo| Attachment {
                    path: logo.to_string(),
                    bytes: std::fs::read(dir.join(logo.trim_start_matches('/'))).expect("the logo beside the data"),
                })
                .into_iter()
                .collect();
            Some(PdfJob { data, ident, date, attachments })
        })
        .collect()
}
