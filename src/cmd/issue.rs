//! `mastery issue SCHOOL --out DIR --key KEY_FILE`: official transcripts, through the build
//! engine's issue format, followed on the terminal as a build is.

use std::process::ExitCode;

use anyhow::Result;
use mastery::batch::{BuildOptions, Format};

use super::args::IssueArgs;
use super::build::{execute, render_options, set_limits, worker};

pub fn run(args: &IssueArgs) -> Result<ExitCode> {
    let mut options = BuildOptions::new(args.school.clone(), args.out.clone(), Format::Issue, worker()?);
    render_options(&mut options, &args.render, &args.data)?;
    options.key = Some(args.key.clone());
    options.pdf_key = args.pdf_key.clone();
    options.tsa = args.tsa.clone();
    options.only = args.students.clone();
    options.recipient = args.recipient.clone();
    options.by = args.by.clone();
    options.reissue = args.reissue.clone();
    if let Some(jobs) = args.jobs {
        options.jobs = jobs.max(1);
    }
    set_limits(&mut options, args.doc_timeout, args.doc_memory);
    execute(options, &args.data, "issued")
}
