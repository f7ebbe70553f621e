//! `mastery serve SCHOOL`: the registrar's console on a local address, until Ctrl-C.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use mastery::console::{self, Console, Guard, Settings};

use super::args::ServeArgs;
use super::build::worker;

pub fn run(args: &ServeArgs) -> Result<ExitCode> {
    if !args.school.join("school.json").is_file() {
        bail!("{} is not a school folder: it has no school.json", args.school.display());
    }
    if !args.host.is_loopback() && !args.allow_network {
        bail!(
            "--host {} lets other machines reach the console and the student records: add --allow-network if that is meant",
            args.host
        );
    }
    let listener = std::net::TcpListener::bind(SocketAddr::new(args.host, args.port))
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let bound = listener.local_addr()?;
    let guard = Guard::new(bound)?;
    let address = guard.address();
    let out = args.out.clone().unwrap_or_else(|| args.school.join("output"));
    if let Some(key) = &args.key
        && !key.is_file()
    {
        bail!("the signing key {} is not there: give the file `mastery keygen` wrote", key.display());
    }
    let settings = Settings {
        school: args.school.clone(),
        out,
        key: args.key.clone(),
        pdf_key: args.pdf_key.clone(),
        guard,
        worker: worker()?,
    };
    let console = Arc::new(Console::new(settings)?);
    // The first line is the address, for people and for scripts that start the console.
    println!("{address}");
    if !args.host.is_loopback() {
        eprintln!("warning: the console is reachable from the network at {bound}");
    }
    eprintln!("the console of {} is open at the address above; Ctrl-C stops it", args.school.display());
    if args.open {
        open_browser(&address);
    }
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let serving = Arc::clone(&console);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        tokio::spawn(Arc::clone(&serving).watch());
        // Ctrl-C stops taking requests and ends the live pages' streams; the requests in
        // flight finish first.
        axum::serve(listener, console::router(Arc::clone(&serving)))
            .with_graceful_shutdown(async move {
                let _ = tokio::signal::ctrl_c().await;
                serving.stop();
            })
            .await
    })?;
    // A build or issue that was running was cancelled: what it is writing is finished.
    console.wait_for_jobs();
    Ok(ExitCode::SUCCESS)
}

/// Opens the address in the desktop's browser; a failure only says so.
fn open_browser(address: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    if std::process::Command::new(opener).arg(address).spawn().is_err() {
        eprintln!("warning: could not start a browser ({opener}); open the address above");
    }
}
