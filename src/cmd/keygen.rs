//! `mastery keygen --out KEY`: a new Ed25519 signing key, and the settings that name it; with
//! `--x509`, an ECDSA P-256 key that signs the issued PDFs, with a self-signed certificate or
//! a certificate signing request.

use std::process::ExitCode;

use anyhow::{Result, bail};
use mastery::credential::proof::Key;
use mastery::output;
use mastery::pades::certificate;

use super::args::KeygenArgs;
use super::pretty_json;

pub fn run(args: &KeygenArgs) -> Result<ExitCode> {
    let out = &args.out;
    if out.exists() {
        bail!("{} exists already; keygen never overwrites a key", out.display());
    }
    if args.x509 {
        return x509(args);
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

/// `--x509`: the key, and a self-signed certificate or a signing request for it.
fn x509(args: &KeygenArgs) -> Result<ExitCode> {
    let Some(subject) = &args.subject else {
        bail!("--x509 needs --subject, such as --subject \"CN=Harbor View Academy,O=Harbor View Academy,C=US\"");
    };
    let (written, what) = match (&args.self_signed, &args.csr) {
        (Some(path), None) => (path, "a self-signed certificate"),
        (None, Some(path)) => (path, "a certificate signing request"),
        _ => bail!("--x509 needs --self-signed CERT_FILE or --csr CSR_FILE"),
    };
    if written.exists() {
        bail!("{} exists already; keygen never overwrites it", written.display());
    }
    let (key, pem) = certificate::new_key().map_err(anyhow::Error::msg)?;
    let document = match &args.self_signed {
        Some(_) => {
            let from = match &args.valid_from {
                Some(text) => super::date_argument("--valid-from", text)?,
                None => chrono::Utc::now().date_naive(),
            };
            certificate::self_signed(&key, subject, from, args.days)
        }
        None => certificate::signing_request(&key, subject),
    }
    .map_err(anyhow::Error::msg)?;
    output::write_secret(&args.out, pem.as_bytes())?;
    output::write_atomic(written, document.as_bytes())?;
    println!("wrote a new ECDSA P-256 document-signing key to {} (keep it secret)", args.out.display());
    println!("wrote {what} to {}", written.display());
    if args.self_signed.is_some() {
        println!("copy the certificate into the school folder and name it in school.json:");
        println!("  \"document_signing\": {{\"certificate\": \"keys/document-signing.pem\"}}");
        println!("then issue with --pdf-key {}. Acrobat shows a self-signed signature as valid", args.out.display());
        println!(
            "but its signer as unknown: readers must trust the certificate themselves; a certificate from a CA on"
        );
        println!("Adobe's trust list (AATL) gets the blue ribbon (see the user guide, \"Signed PDFs\").");
    } else {
        println!("send the request to the district's or a commercial CA; put the certificate it returns (with the CA");
        println!("certificates above it, in one PEM file) in the school folder and name it in school.json's");
        println!("\"document_signing\": {{\"certificate\": ...}}, then issue with --pdf-key {}", args.out.display());
    }
    Ok(ExitCode::SUCCESS)
}
