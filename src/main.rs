//! The `mastery` command: parses the arguments and runs the command asked for (`cmd/`), over
//! the library. Exit codes: 0 ok, 1 invalid data, 2 a usage or I/O failure.

#![allow(clippy::disallowed_macros, reason = "the binary is where the library's results are shown")]

mod cmd;

use std::process::ExitCode;

use clap::Parser;

// typst allocates and frees many small objects per document; mimalloc does that faster than
// the system allocator (measured: see bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    mastery::render::worker::small_pages_only();
    // A fault in one student's work is caught and reported with that student; say so plainly
    // rather than with a Rust panic message in the middle of the output.
    std::panic::set_hook(Box::new(|info| eprintln!("mastery: internal error: {info}")));
    match cmd::run(cmd::Cli::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(cmd::FAILURE)
        }
    }
}
