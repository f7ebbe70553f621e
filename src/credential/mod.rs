//! Stage 5, export: signed credentials a college, a wallet or a portfolio can check.
//!
//! - [`achievement`]: what every credential about a student's achievements holds;
//! - [`badge`]: every award as an Open Badges 3.0 credential, baked into PNG and SVG images;
//! - [`clr`]: a transcript as a 1EdTech Comprehensive Learner Record (CLR 2.0);
//! - [`issuer`]: who signs, and the one way to a [`issuer::Signer`]: key, method and issuer
//!   agreeing;
//! - [`proof`]: Ed25519 keys and `eddsa-rdfc-2022` Data Integrity proofs, over
//! - [`jsonld`]: JSON-LD read as [`rdf`] with the verifiers' safe-mode rules, and
//! - [`rdfc`]: RDFC-1.0 canonical N-Quads.
//! - [`verify`]: what `mastery verify` checks.

pub mod achievement;
pub mod badge;
pub mod clr;
pub mod issuer;
pub mod jsonld;
pub mod proof;
pub mod rdf;
pub mod rdfc;
pub mod status;
pub mod verify;
