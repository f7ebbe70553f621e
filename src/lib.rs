//! `mastery` turns a school's competency records into mastery transcripts: PDF, HTML, and
//! signed credentials a college can check.
//!
//! # Stages
//!
//! A record goes through five stages, each a module with its entry points, handing plain data
//! from one to the next:
//!
//! 1. **Load** ([`load`]): [`load::load`] reads a school folder (`school.json`, the logo, the
//!    sources in `students/`); [`load::read_source`] streams the records of one JSON, JSON
//!    Lines or CSV file as [`document::Document`]s, each value with its place in the file.
//!    The parsers work over bytes (`load::json`, `load::jsonl`, `load::csv`).
//! 2. **Validate** ([`validate`]): [`validate::school`] and [`validate::StudentChecker`] check
//!    each document against the JSON Schemas in `schemas/`, then check meaning (references,
//!    unique ids, scores on the scale, dates), and deserialize what passed into [`model`]
//!    types. [`intake`] runs the first two stages together over a folder.
//! 3. **Aggregate** ([`aggregate`]): [`aggregate::aggregate`] turns one student's evidence into
//!    levels, credits, area totals and a graduation status, keeping every intermediate value:
//!    a [`transcript::Transcript`], which [`explain::explain`] can tell step by step.
//! 4. **Render** (`render`): `render::render_pdf` typesets a transcript through an embedded
//!    Typst template into PDF/A-3b + PDF/UA-1 bytes; `render::html::html` writes the
//!    accessible HTML page; `render::data_json` the data templates read.
//! 5. **Credentials** ([`credential`]): [`credential::clr::clr`] and
//!    [`credential::badge::badges`] sign CLR 2.0 and Open Badges 3.0 credentials;
//!    [`credential::verify::verify`] checks one.
//!
//! # Building a school
//!
//! `batch` (with the `render` feature, on by default) runs the stages over every student of a
//! folder, in parallel: `batch::Plan::new` resolves a `batch::BuildOptions` once, reading
//! every input a single time, and `batch::run` writes the outputs and `manifest.json`, telling
//! a sink what happens as `batch::Event`s and stopping when asked (`batch::Cancel`).
//!
//! # Issuing
//!
//! An official issue is a batch run of `batch::Format::Issue`: each student's next version,
//! recorded in the school's hash-chained ledger ([`issue::ledger`]) once its files are in
//! place. [`issue`] also holds what the other commands share: [`issue::revoke`], the status
//! lists ([`issue::lists`], in the W3C Bitstring Status List format of
//! [`credential::status`]), and the verification site ([`issue::site`]).
//!
//! Problems in the data are [`diag::Diagnostic`]s, collected rather than thrown, so one run
//! reports all of them. The library never prints; it writes files only through [`output`]
//! (the batch engine's outputs and what the commands ask for).

#![deny(missing_docs)]

pub mod aggregate;
#[cfg(feature = "render")]
pub mod batch;
pub mod case;
#[cfg(feature = "office")]
pub mod console;
pub mod credential;
pub mod decimal;
pub mod delivery;
pub mod diag;
pub mod digest;
pub mod document;
pub mod explain;
pub mod hint;
pub mod intake;
pub mod issue;
pub mod load;
pub mod map;
pub mod model;
pub mod output;
pub mod pades;
pub mod pesc;
#[cfg(feature = "pull")]
pub mod pull;
#[cfg(feature = "render")]
pub mod render;
#[cfg(feature = "office")]
pub mod requests;
#[cfg(feature = "office")]
pub mod store;
pub mod synth;
pub mod transcript;
pub mod validate;
pub mod words;
