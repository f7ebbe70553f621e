//! Stage 5, export: signed credentials a college, a wallet or a portfolio can check.
//!
//! - [`clr`]: a transcript as a 1EdTech Comprehensive Learner Record (CLR 2.0).
//! - [`proof`]: Ed25519 keys and `eddsa-rdfc-2022` Data Integrity proofs, over
//! - [`jsonld`]: JSON-LD read as RDF with the verifiers' safe-mode rules, and
//! - [`rdfc`]: RDFC-1.0 canonical N-Quads.
//! - [`verify`]: what `mastery verify` checks.

pub mod clr;
pub mod jsonld;
pub mod proof;
pub mod rdfc;
pub mod verify;
