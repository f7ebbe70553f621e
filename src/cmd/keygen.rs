//! `mastery keygen --out KEY`: a new Ed25519 signing key, and the settings that name it.

use std::process::ExitCode;

use anyhow::{Result, bail};
use mastery::credential::proof::Key;
use mastery::output;

use super::args::KeygenArgs;
use super::pretty_json;

pub fn run(args: &KeygenArgs) -> Result<ExitCode> {
    let out = &args.out;
    if out.exists() {
        bail!("{} exists already; keygen never overwrites a key", out.display());
    }
    let key = Key::generate()?;
    output::write_secret(out, &pretty_json(&key.to_json())?)?;
    let (public, did) = (key.public_multibase(), key.did_key());
    println!("wrote a new Ed25519 key to {} (keep it secret)", out.display());
    println!("public key:  {public}");
    println!("as did:key:  {did}");
    println!(
        "in school.json, \"credentials\" takes one of these (see the user guide, docs/src/credentials.md, \"Keys and issuers\"):"
    );
    println!("  did:key, nothing to publish:");
    println!("    \"issuer_id\": \"{did}\", \"verification_method\": \"{did}#{public}\"");
    println!("  did:web, the DID document published with `mastery publish`:");
    println!("    \"issuer_id\": \"did:web:SCHOOL.ORG\", \"verification_method\": \"did:web:SCHOOL.ORG#{public}\"");
    println!("  https, the issuer's and the key's documents published with `mastery publish`:");
    println!(
        "    \"issuer_id\": \"https://SCHOOL.ORG/issuer\", \"verification_method\": \"https://SCHOOL.ORG/keys/{public}\""
    );
    Ok(ExitCode::SUCCESS)
}
