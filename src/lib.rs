//! `mastery` turns a school's competency records into mastery transcripts.
//!
//! # Stages
//!
//! A run goes through four stages, each a module with one entry function, handing plain data
//! from one to the next:
//!
//! 1. [`load::load`] reads a school folder (`school.json`, `students/*.json`, the logo) and
//!    parses the JSON. It is the only stage that touches the file system.
//! 2. [`validate::validate`] checks each document against the JSON Schemas in `schemas/`,
//!    then checks meaning (references, unique ids, scores on the scale, dates), and
//!    deserializes what passed into the types of [`model`].
//! 3. [`aggregate::aggregate`] turns one student's evidence into levels, credits, area totals
//!    and a graduation status, keeping every intermediate value: a [`transcript::Transcript`].
//! 4. [`render::pdf`] typesets a transcript through an embedded Typst template into PDF bytes.
//!
//! Problems in the data are [`diag::Diagnostic`]s, collected rather than thrown, so one run
//! reports all of them. The library never prints and never writes files: the `mastery` binary
//! does both.

pub mod aggregate;
#[cfg(feature = "render")]
pub mod build;
pub mod case;
pub mod credential;
pub mod decimal;
pub mod diag;
pub mod document;
pub mod explain;
pub mod hint;
#[cfg(feature = "render")]
pub mod html;
pub mod load;
pub mod model;
pub mod output;
pub mod pipeline;
#[cfg(feature = "render")]
pub mod render;
pub mod synth;
pub mod transcript;
pub mod validate;
