//! Integration tests: one test binary, each module a part of the tool seen from outside.

#![allow(
    clippy::disallowed_macros,
    clippy::disallowed_types,
    reason = "tests print what they saw, and measure pages and times in floats"
)]

/// The aggregation methods through the library: worked examples, statuses and properties.
mod aggregate;
/// The shape of src/: no cycles between modules, no layer using a higher one, no outside paths.
mod architecture;
/// Batch builds: resume, SIGKILL, shards, fault isolation, generated students.
mod batch;
/// `mastery build`: PDFs that checkers accept, reproducibility, hostile data, the sandbox.
mod build;
/// Canvas's Outcome Results report: the round trip against JSON Lines, the example, mapping.
mod canvas;
/// `mastery import-case`: frameworks from 1EdTech CASE packages.
mod case;
/// Helpers: running the binary, temporary school folders, outside tools.
mod common;
/// Crash safety: every write boundary of issue, revoke, publish and the console, crashed at.
mod crash;
/// Signed credentials: 1EdTech's test vectors, signing and verification.
mod credentials;
/// `mastery pack`: each destination's files against its rules, and the disclosures recorded.
mod delivery;
/// The README and the user guide: every link resolves, the book builds.
mod docs;
/// Ed-Fi folders: the round trip against JSON Lines, the interchanges against the Ed-Fi schemas.
mod edfi;
/// The build engine through the library: its events in order, its outcome, cancelling.
mod engine;
/// `mastery explain`: the working, as snapshots.
mod explain;
/// The hostile corpus: every careless or malicious input refused or contained, output pinned.
mod hostile;
/// The HTML transcript: self-contained, escaped, accessible in Chromium with axe-core.
mod html;
/// Our credentials in the verifiers colleges and wallets use (Digital Bazaar's, the DCC's).
mod interop;
/// Issuing: versions, the ledger, revocation, the site, self-verifying PDFs, faults.
mod issuing;
/// `mastery map`: proposals for a new source's mapping, written only when asked.
mod map;
/// OneRoster 1.2 bundles: the round trip against JSON Lines, the example bundle, deltas.
mod oneroster;
/// `mastery pull oneroster` against a OneRoster 1.2 REST server started on 127.0.0.1.
mod oneroster_rest;
/// PAdES signatures on issued PDFs: pdfsig, pyHanko, tampering, refused certificates, keygen.
mod pades;
/// The PDF against outside checkers: PDF/A, PDF/UA, margins, QR code, locales, stock typst.
mod pdf;
/// PESC High School Transcript XML: the official schemas, the mapping, located refusals.
mod pesc;
/// `mastery requests`: the queue, consent, CSV and PESC requests, sends, concurrency, crashes.
mod requests;
/// Validation never panics on arbitrary JSON or bytes.
mod robustness;
/// `mastery serve`: the console's pages and its security rules, over HTTP.
mod serve;
/// JSON Lines and CSV sources, warnings, oversized and odd files.
mod sources;
/// `mastery validate`: the example school and every fixture in fixtures/invalid.
mod validate;
/// The W3C's conformance suite for RDF Dataset Canonicalization (RDFC-1.0), in full.
mod w3c;
