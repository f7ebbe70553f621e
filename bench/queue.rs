//! The queue's own costs at a district's size, in process, for `bench/requests.sh`:
//!
//!   cargo bench --bench queue -- [REQUESTS] [SEND]      (default 100000 and 300)
//!
//! A store in a temporary folder receives REQUESTS requests (in batches of 10,000, as an
//! import takes them), SEND of them approved; then, each the median of 20 rounds: what the
//! queue page asks of the store for its first screen (the open requests, soonest due, 50;
//! their count; the count of each state) and for one state (the largest, and one of 6,000); and the bookkeeping of a send of
//! SEND requests (taking them, then settling them sent: one transaction each, every step in
//! the requests' history), per request. Prints one JSON object.

#![allow(
    clippy::disallowed_macros,
    clippy::disallowed_types,
    reason = "a benchmark reports its timings to the terminal"
)]

use std::time::Instant;

use mastery::requests::queue::{Action, Filter, Settle};
use mastery::requests::{Basis, Delivery, NewRequest, Party, PartyKind, Queue, State};

#[path = "cpu.rs"]
mod cpu;
use cpu::cpu;

fn request(i: usize) -> NewRequest {
    let college = format!("College {:02}", i % 40);
    NewRequest {
        student: format!("HV-{:06}", i % 5000),
        party: Party { kind: PartyKind::College, name: college.clone(), email: None },
        recipient: college,
        delivery: if i.is_multiple_of(10) {
            Delivery::Download
        } else {
            Delivery::Pack(mastery::delivery::Destination::CommonApp)
        },
        address: None,
        profile: None,
        due: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).map(|d| d + chrono::Days::new((i % 60) as u64)),
        basis: Basis::Enrollment,
        purpose: "admission".to_string(),
        consent: None,
        source: "bench".to_string(),
        reference: None,
        pesc: None,
    }
}

/// The median wall time of `rounds` runs of `work`, in milliseconds.
fn median_ms(rounds: usize, mut work: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (total, send) = (args.first().copied().unwrap_or(100_000), args.get(1).copied().unwrap_or(300));
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut queue = Queue::open(dir.path()).expect("a store");
    let start = Instant::now();
    for batch in (0..total).collect::<Vec<_>>().chunks(10_000) {
        queue.receive(batch.iter().map(|&i| request(i)).collect(), "bench").expect("taken");
    }
    let receive_ms = start.elapsed().as_secs_f64() * 1000.0;
    let first_screen = Filter { states: State::OPEN.to_vec(), limit: 50, ..Filter::default() };
    // After the sends: the largest state (received) and one of a few thousand (sent).
    let received = Filter { states: vec![State::Received], limit: 50, ..Filter::default() };
    let sent = Filter { states: vec![State::Sent], limit: 50, ..Filter::default() };
    let screen_ms = median_ms(20, || {
        queue.list(&first_screen).expect("listed");
        queue.count(&first_screen).expect("counted");
        queue.counts().expect("counted");
    });
    let mut rounds = Vec::new();
    for round in 0..20 {
        let ids: Vec<String> = (1..=send).map(|n| format!("R-{:06}", round * send + n)).collect();
        for id in &ids {
            queue.apply(id, &Action::Approve, "bench").expect("approved");
        }
        let (start, wall) = (cpu(), Instant::now());
        let (claimed, _) = queue.claim(&ids, "bench").expect("taken");
        let settles: Vec<_> = claimed
            .iter()
            .enumerate()
            .map(|(n, r)| (r, Settle::Sent { entry: n as u64 + 1, note: "packed for commonapp".to_string() }))
            .collect();
        queue.settle(&settles, "bench").expect("settled");
        rounds.push(((cpu() - start).as_secs_f64(), wall.elapsed().as_secs_f64()));
    }
    let mut state_ms = [0.0; 2];
    for (filter, ms) in [&received, &sent].into_iter().zip(&mut state_ms) {
        *ms = median_ms(20, || {
            queue.list(filter).expect("listed");
            queue.count(filter).expect("counted");
        });
    }
    rounds.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (cpu_s, wall_s) = rounds[rounds.len() / 2];
    println!(
        "{{\"requests\": {total}, \"receive_ms\": {receive_ms:.0}, \"first_screen_ms\": {screen_ms:.2}, \"received_ms\": {:.2}, \"sent_ms\": {:.2}, \"send\": {send}, \"bookkeeping_cpu_ms_per_request\": {:.4}, \"bookkeeping_wall_ms_per_request\": {:.4}}}",
        state_ms[0],
        state_ms[1],
        cpu_s * 1000.0 / send as f64,
        wall_s * 1000.0 / send as f64
    );
}
