//! `mastery pull oneroster`: a OneRoster 1.2 REST server's roster and gradebook, written into
//! students/ as a CSV bulk bundle.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use mastery::hint::plural;
use mastery::output;
use mastery::pull::http::RetryPolicy;
use mastery::pull::oneroster::{PullOptions, pull};
use mastery::pull::{Event, PullError};

use super::FAILURE;
use super::args::{PullCommand, PullOneRosterArgs};

pub fn run(command: &PullCommand) -> Result<ExitCode> {
    match command {
        PullCommand::Oneroster(args) => oneroster(args),
    }
}

fn oneroster(args: &PullOneRosterArgs) -> Result<ExitCode> {
    let client_secret = read_secret(&args.client_secret_file)?;
    let options = PullOptions {
        base: args.url.clone(),
        token_url: args.token_url.clone(),
        client_id: args.client_id.clone(),
        client_secret,
        page_size: args.page_size,
        retry: RetryPolicy { retries: args.retries, ..RetryPolicy::default() },
    };
    let live = std::io::stderr().is_terminal();
    let show = |event: Event| match event {
        Event::Token => {}
        Event::Page { collection, read, total } if live => match total {
            Some(total) => eprint!("\r{collection}: {read} of {total}   "),
            None => eprint!("\r{collection}: {read}   "),
        },
        Event::Page { .. } => {}
        Event::Retry { url, reason, wait } => {
            eprintln!("{url}: {reason}; trying again in {} s", wait.as_secs_f32());
        }
    };
    let snapshot = match pull(&options, show) {
        Ok(snapshot) => snapshot,
        Err(PullError { message, hint }) => {
            if live {
                eprintln!();
            }
            eprintln!("error: {message}\n  help: {hint}\nnothing was written; {} is as it was", args.out.display());
            return Ok(ExitCode::from(FAILURE));
        }
    };
    if live {
        eprintln!();
    }
    output::write_bundle(&args.out, &snapshot.files)
        .with_context(|| format!("the snapshot could not be written to {}", args.out.display()))?;
    let counts: Vec<String> = snapshot.counts.iter().map(|(collection, n)| format!("{n} {collection}")).collect();
    eprintln!("pulled {} into {} ({})", counts.join(", "), args.out.display(), plural(snapshot.files.len(), "file"));
    Ok(ExitCode::SUCCESS)
}

/// The secret on the file's first line. A file others can read is refused: the secret opens
/// every student's record.
fn read_secret(path: &Path) -> Result<String> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the client secret file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            bail!(
                "{} can be read by others (mode {:o}); the client secret opens every student's record: chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            );
        }
    }
    let text = String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    let secret = text.lines().next().unwrap_or_default().trim();
    if secret.is_empty() {
        bail!("{} is empty; put the client secret on its first line", path.display());
    }
    Ok(secret.to_string())
}
