//! The floor under validation: `serde_json` reading every line of a JSON Lines file into a
//! value and nothing else. `bench/stages.sh` runs it beside `mastery validate`.
//!
//!   cargo run --release --example parse_floor -- RECORDS.jsonl

#![allow(
    clippy::disallowed_macros,
    clippy::disallowed_types,
    reason = "a benchmark reports its timings to the terminal"
)]

use std::io::BufRead;

fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_floor RECORDS.jsonl");
    let file = std::io::BufReader::new(std::fs::File::open(&path).expect("a readable file"));
    let mut records = 0usize;
    for line in file.lines() {
        let line = line.expect("UTF-8 lines");
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        std::hint::black_box(&value);
        records += 1;
    }
    println!("{records}");
}
