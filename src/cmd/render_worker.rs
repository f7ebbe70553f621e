//! `mastery render-worker` (hidden): renders the documents `mastery build` sends on standard
//! input, within the limits the build watches from outside.

use std::process::ExitCode;

use anyhow::{Context, Result};

pub fn run() -> Result<ExitCode> {
    // One document at a time, on one thread, and that thread the pool's own: typst's parallel
    // work would only compete with the other workers (the build runs one process per job),
    // and handing it to another thread costs more than it saves.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    pool.install(|| mastery::render::worker::serve(std::io::stdin().lock(), std::io::stdout().lock()))
        .context("the render worker's connection broke")?;
    Ok(ExitCode::SUCCESS)
}
