//! `mastery pack SCHOOL --for DESTINATION --issued DIR --out DIR --key KEY_FILE`: the issued
//! transcripts as a service takes them, each student sent recorded in the ledger.

use std::process::ExitCode;

use anyhow::Result;
use mastery::delivery::{self, Destination, PackError, PackOptions};
use mastery::intake;
use mastery::issue;
use mastery::validate::Schemas;

use super::args::{DestinationArg, PackArgs};
use super::{DATA_ERROR, school_signer, valid_school};

pub fn run(args: &PackArgs) -> Result<ExitCode> {
    let open = intake::open(&args.school, &Schemas::new())?;
    let school = match valid_school(&open, "nothing packed") {
        Ok(school) => school,
        Err(code) => return Ok(code),
    };
    let signer = match school_signer(&open, school, &args.key, "nothing packed")? {
        Ok(signer) => signer,
        Err(code) => return Ok(code),
    };
    let known = if args.students.is_empty() { intake::student_ids(&open)? } else { Vec::new() };
    let options = PackOptions {
        destination: destination(args.destination),
        issued: args.issued.clone(),
        out: args.out.clone(),
        students: args.students.clone(),
        profile: args.profile.clone(),
        recipient: args.recipient.clone(),
        unsigned: args.unsigned,
        by: args.by.clone().unwrap_or_else(issue::default_actor),
        requests: Default::default(),
    };
    let pack = match delivery::pack(open.dir(), school, &signer, &options, &known) {
        Ok(pack) => pack,
        Err(PackError::Io(error)) => return Err(error.into()),
        Err(error) => {
            eprintln!("nothing packed: {error}");
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    println!(
        "packed {} transcript{} for {} in {} ({} profile), to {}:",
        pack.packed.len(),
        if pack.packed.len() == 1 { "" } else { "s" },
        pack.destination.name(),
        pack.folder.display(),
        pack.profile,
        pack.recipient
    );
    for (name, bytes) in &pack.files {
        println!("  {name}  ({bytes} bytes)");
    }
    println!("{} disclosure(s) recorded in the ledger: `mastery log` lists them", pack.packed.len());
    if pack.not_packed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!("not packed ({}):", pack.not_packed.len());
    for n in &pack.not_packed {
        eprintln!("  {}: {}", n.student, n.why.replace('\n', "\n    "));
    }
    Ok(ExitCode::from(DATA_ERROR))
}

fn destination(arg: DestinationArg) -> Destination {
    match arg {
        DestinationArg::Commonapp => Destination::CommonApp,
        DestinationArg::Naviance => Destination::Naviance,
        DestinationArg::Scoir => Destination::Scoir,
        DestinationArg::Cialfo => Destination::Cialfo,
        DestinationArg::Slate => Destination::Slate,
        DestinationArg::Parchment => Destination::Parchment,
    }
}
