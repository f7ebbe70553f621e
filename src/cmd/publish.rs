//! `mastery publish SCHOOL --site DIR`: the documents verifiers fetch to find the school's key,
//! in a folder per web host.

use std::process::ExitCode;

use anyhow::{Context, Result};
use mastery::credential::issuer;
use mastery::output;
use mastery::pipeline;
use mastery::validate::Schemas;

use super::args::PublishArgs;
use super::{pretty_json, valid_school};

pub fn run(args: &PublishArgs) -> Result<ExitCode> {
    let open = pipeline::open(&args.school, &Schemas::new())?;
    let school = match valid_school(&open, "nothing published") {
        Ok(school) => school,
        Err(code) => return Ok(code),
    };
    let settings = school.credentials.as_ref().context(
        "school.json has no \"credentials\": {\"issuer_id\": ..., \"verification_method\": ...}; there is no key to publish",
    )?;
    let documents = issuer::key_documents(settings).map_err(|problem| anyhow::anyhow!("{}", problem.message))?;
    if documents.is_empty() {
        eprintln!("nothing to publish: a did:key is its own key document");
    }
    for (url, document) in documents {
        let path = args.site.join(issuer::site_path(&url).context("not an https address")?);
        output::write_in_folder(&path, &pretty_json(&document)?)?;
        println!("wrote {} (serve it at {url})", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
