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
//!    types. [`pipeline`] runs the first two stages together over a folder.
//! 3. **Aggregate** ([`aggregate`]): [`aggregate::aggregate`] turns one student's evidence into
//!    levels, credits, area totals and a graduation status, keeping every intermediate value:
//!    a [`transcript::Transcript`], which [`explain::explain`] can tell step by step.
//! 4. **Render** (`render`, `html`): `render::render_pdf` typesets a transcript through an
//!    embedded Typst template into PDF/A-3b + PDF/UA-1 bytes; `html::html` writes the
//!    accessible HTML page; `render::data_json` the data templates read.
//! 5. **Credentials** ([`credential`]): [`credential::clr::clr`] and
//!    [`credential::badge::badges`] sign CLR 2.0 and Open Badges 3.0 credentials;
//!    [`credential::verify::verify`] checks one.
//!
//! # Building a school
//!
//! `build` (with the `render` feature, on by default) runs the stages over every student of a
//! folder, in parallel: `build::Plan::new` resolves a `build::BuildOptions` once, reading
//! every input a single time, and `build::run` writes the outputs and `manifest.json`, telling
//! a sink what happens as `build::Event`s and stopping when asked (`build::Cancel`).
//!
//! # Issuing
//!
//! An official issue is a build of `build::Format::Issue`: each student's next version,
//! recorded in the school's hash-chained ledger ([`issue::ledger`]) once its files are in
//! place. [`issue`] also holds what the other commands share: [`issue::revoke`], the status
//! lists ([`issue::lists`], in the W3C Bitstring Status List format of
//! [`credential::status`]), and the verification site ([`issue::site`]).
//!
//! Problems in the data are [`diag::Diagnostic`]s, collected rather than thrown, so one run
//! reports all of them. The library never prints; it writes files only through [`output`]
//! (the build engine's outputs and what the commands ask for).

#![deny(missing_docs)]

pub mod aggregate;
#[cfg(feature = "render")]
pub mod build;
pub mod case;
#[cfg(feature = "render")]
pub mod console;
pub mod credential;
pub mod decimal;
pub mod diag;
pub mod digest;
pub mod document;
pub mod explain;
pub mod hint;
#[cfg(feature = "render")]
pub mod html;
pub mod issue;
pub mod load;
pub mod model;
pub mod output;
pub mod pipeline;
#[cfg(feature = "render")]
pub mod render;
pub mod synth;
pub mod transcript;
pub mod validate;
