//! PAdES signing and checking of issued PDFs, per PDF, for `bench/pades.sh`.
//!
//!   cargo bench --bench pades -- KEY.pem CERT.pem PDF...
//!
//! Each PDF (issued without a signature) is signed as `mastery issue` signs it and the signed
//! file checked as `mastery verify` checks it, after one pass that warms the caches. Prints one
//! JSON object: the count, the mean size, and the milliseconds of CPU per PDF for each.

#![allow(
    clippy::disallowed_macros,
    clippy::disallowed_types,
    reason = "a benchmark reports its timings to the terminal"
)]

use mastery::pades::{self, Claims, DocumentSigner};

#[path = "cpu.rs"]
mod cpu;
use cpu::cpu;

fn per_pdf_ms(pdfs: &[Vec<u8>], rounds: usize, work: impl Fn(&[u8])) -> f64 {
    pdfs.iter().for_each(|pdf| work(pdf));
    let start = cpu();
    for _ in 0..rounds {
        pdfs.iter().for_each(|pdf| work(pdf));
    }
    (cpu() - start).as_secs_f64() * 1000.0 / (rounds * pdfs.len()) as f64
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let [key, certificate, files @ ..] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench pades -- KEY.pem CERT.pem PDF...");
        std::process::exit(2);
    };
    let date = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
    let key = std::fs::read_to_string(key).expect("a key file");
    let chain = std::fs::read(certificate).expect("a certificate file");
    let signer = DocumentSigner::new(&key, &chain, date).expect("the certificate signs on the date");
    let claims = Claims { date, reason: "Official transcript issued by Harbor View Academy", timestamp: None };
    // The issued PDFs as they were before their signature: what `issue` signs.
    let pdfs: Vec<Vec<u8>> = files
        .iter()
        .map(|f| {
            let issued = std::fs::read(f).expect("a PDF");
            mastery::pades::unsigned(&issued).expect("an issued, signed PDF").to_vec()
        })
        .collect();
    let signed: Vec<Vec<u8>> = pdfs.iter().map(|pdf| pades::sign(pdf, &signer, &claims).expect("signs")).collect();
    let rounds = (200 / pdfs.len().max(1)).max(1);
    let sign = per_pdf_ms(&pdfs, rounds, |pdf| {
        pades::sign(pdf, &signer, &claims).expect("signs");
    });
    let anchors = mastery::pades::certificate::read_chain(&chain).expect("a certificate");
    let verify = per_pdf_ms(&signed, rounds, |pdf| {
        assert!(pades::verify::verify(pdf, &anchors).expect("verifies").is_some_and(|c| c.anchor.is_some()));
    });
    let size = pdfs.iter().map(Vec::len).sum::<usize>() / pdfs.len().max(1);
    println!(
        "{{\"pdfs\": {}, \"mean_bytes\": {size}, \"sign_ms\": {sign:.2}, \"verify_ms\": {verify:.2}}}",
        pdfs.len()
    );
}
