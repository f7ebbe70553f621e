//! Links the `mastery` binary as a position-dependent executable.
//!
//! A position-independent executable has its ~100,000 pointers into typst's and our static
//! tables fixed up at every start, touching (and copying) some 500 pages before `main`: 4 ms of
//! a short command such as `mastery verify` (measured: `mastery --version` 6.1 ms of CPU as
//! PIE, 2.6 ms without). Linked at a fixed address, those tables are read straight from the
//! file. The library and its tests are unaffected.
#![allow(clippy::disallowed_macros, reason = "a build script speaks to cargo through its standard output")]

fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
