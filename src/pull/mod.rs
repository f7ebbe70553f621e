//! Records fetched from a school's systems over their APIs, as snapshots that load like the
//! files those systems export: `mastery pull oneroster` reads a OneRoster 1.2 REST server
//! into a CSV bulk bundle ([`oneroster`]). Fetching is this module's; writing the snapshot is
//! [`crate::output`]'s, so a failed pull leaves the previous snapshot as it was.

pub mod http;
pub mod oneroster;

use std::fmt;
use std::time::Duration;

/// What a pull is doing, for the command to show.
#[derive(Debug, Clone)]
pub enum Event {
    /// A new access token was issued.
    Token,
    /// A page of a collection arrived: how many records so far, of how many.
    Page {
        /// The collection (`results`).
        collection: &'static str,
        /// Records read so far.
        read: u64,
        /// The collection's size, when the server says it.
        total: Option<u64>,
    },
    /// A request failed in a way worth another try, which follows after `wait`.
    Retry {
        /// The request's address.
        url: String,
        /// What went wrong (`HTTP 503`).
        reason: String,
        /// How long until the next try.
        wait: Duration,
    },
}

/// Why a pull stopped: what went wrong and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullError {
    /// What went wrong, with the address.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl PullError {
    /// An error with its hint.
    pub fn new(message: impl Into<String>, hint: impl Into<String>) -> PullError {
        PullError { message: message.into(), hint: hint.into() }
    }
}

impl fmt::Display for PullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n  help: {}", self.message, self.hint)
    }
}

impl std::error::Error for PullError {}
