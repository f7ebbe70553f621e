//! The `mastery` command: parses the arguments and runs the command asked for (`cmd/`), over
//! the library. Exit codes: 0 ok, 1 invalid data, 2 a usage or I/O failure.

mod cmd;

use std::process::ExitCode;

use clap::Parser;

// typst allocates and frees many small objects per document; mimalloc does that faster than
// the system allocator (measured: see the README's performance section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    no_huge_pages();
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

/// Turns transparent huge pages off for this process and the render processes it starts.
/// mimalloc asks the kernel for huge pages, and each fresh one is zeroed whole (2 MiB) when
/// first touched; a render worker frees and touches new memory on every document, so on a
/// build of 30 students the kernel spent 0.4 to 0.6 s zeroing pages against 0.16 to 0.27 s
/// with small pages, which cost about 0.1 s more user time (README, "Performance").
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only this process's memory
    // policy; a kernel without it returns an error, which leaves things as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
