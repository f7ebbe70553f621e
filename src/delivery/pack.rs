//! `mastery pack`: a destination's files made from the school's issued, current transcripts,
//! and the disclosures recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Destination, Form, Packed, files, merge};
use crate::credential::issuer::Signer;
use crate::digest::sha256_hex;
use crate::issue::ledger::{Action, Entry, LedgerError};
use crate::issue::state::{Latest, Versions};
use crate::issue::{self, words};
use crate::model::School;
use crate::{load, output, pades};

/// The report a pack leaves in its folder, beside the files to upload.
pub const REPORT: &str = "pack-report.txt";

/// What to pack, and for whom.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// Where it goes.
    pub destination: Destination,
    /// The folder `mastery issue --out` wrote the issued versions into.
    pub issued: PathBuf,
    /// The folder to write the pack into: new, or a pack written before (replaced whole).
    pub out: PathBuf,
    /// The students, by id; empty for every student the ledger or the school folder knows.
    pub students: Vec<String>,
    /// The disclosure profile whose versions are packed ([`Destination::default_profile`]
    /// when `None`).
    pub profile: Option<String>,
    /// To whom the transcripts go, for the ledger (the destination's name when `None`).
    pub recipient: Option<String>,
    /// Send the PDFs without their PAdES signature, for a portal that refuses signed PDFs.
    pub unsigned: bool,
    /// Who packs, for the ledger.
    pub by: String,
    /// The request of the registrar's queue each student's transcript answers, by student
    /// id, which the ledger records with the disclosure.
    pub requests: std::collections::BTreeMap<String, crate::issue::ledger::Requested>,
}

/// A student asked for whose transcript is not in the pack, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotPacked {
    /// The student's id.
    pub student: String,
    /// Why, with what to do.
    pub why: String,
}

/// A pack written.
#[derive(Debug, Clone)]
pub struct Pack {
    /// Where it went.
    pub destination: Destination,
    /// The folder written.
    pub folder: PathBuf,
    /// The files in it, by name, with their sizes (the report included).
    pub files: Vec<(String, u64)>,
    /// Each student packed, in the pack's order (by name, then id).
    pub packed: Vec<Packed>,
    /// Each student asked for and not packed.
    pub not_packed: Vec<NotPacked>,
    /// The disclosure profile packed.
    pub profile: String,
    /// The recipient the ledger records.
    pub recipient: String,
}

/// Why nothing was packed.
#[derive(Debug)]
pub enum PackError {
    /// The ledger cannot be used.
    Ledger(LedgerError),
    /// Asked for wrongly (a blank name, a folder that is not a pack).
    Refused(String),
    /// Not one student could be packed: each, with why.
    Nothing(Vec<NotPacked>),
    /// The one file of all students is over the destination's budget.
    OverBudget {
        /// The file's size.
        bytes: u64,
        /// The budget.
        budget: u64,
        /// How many students it holds.
        students: usize,
    },
    /// A file could not be read or written.
    Io(io::Error),
}

impl std::fmt::Display for PackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackError::Ledger(error) => write!(f, "{error}"),
            PackError::Refused(why) => f.write_str(why),
            PackError::Nothing(not_packed) => {
                write!(f, "no transcript could be packed:")?;
                for n in not_packed {
                    write!(f, "\n  {}: {}", n.student, n.why)?;
                }
                Ok(())
            }
            PackError::OverBudget { bytes, budget, students } => write!(
                f,
                "the one PDF of {students} students is {}, over the {} a file may be: it is not cut or recompressed\n  hint: pack fewer students at once (--student), in as many packs as it takes",
                megabytes(*bytes),
                megabytes(*budget)
            ),
            PackError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for PackError {}

impl From<LedgerError> for PackError {
    fn from(error: LedgerError) -> Self {
        PackError::Ledger(error)
    }
}

impl From<io::Error> for PackError {
    fn from(error: io::Error) -> Self {
        PackError::Io(error)
    }
}

/// What a pack reads of the data an issued PDF carries (`transcript.json`).
#[derive(Deserialize)]
struct Carried {
    student: CarriedStudent,
    issue_date: String,
}

#[derive(Deserialize)]
struct CarriedStudent {
    legal_name: String,
    birth_date: Option<String>,
    expected_graduation: String,
}

/// A student's transcript read for the pack: what the index says of it and its bytes.
struct Found {
    packed: Packed,
    pdf: Vec<u8>,
}

/// Packs the school's issued, current transcripts for `options.destination`: reads each from
/// the issued folder (checked against the ledger's digest), writes the pack folder whole, and
/// appends one `disclose` entry per student packed, signed with `signer`, before the folder
/// takes its place. `known` are the students of the school folder, packed with those of the
/// ledger when `options.students` is empty.
pub fn pack(
    school_dir: &Path,
    school: &School,
    signer: &Signer,
    options: &PackOptions,
    known: &[String],
) -> Result<Pack, PackError> {
    let destination = options.destination;
    let by = words("who packs", &options.by).map_err(PackError::Refused)?;
    let recipient = match &options.recipient {
        Some(recipient) => words("the recipient", recipient).map_err(PackError::Refused)?,
        None => destination.name().to_string(),
    };
    let profile = options.profile.clone().unwrap_or_else(|| destination.default_profile().to_string());
    if school.disclosure_profile(&profile).is_none() {
        return Err(PackError::Refused(format!(
            "there is no disclosure profile \"{profile}\"\n  hint: the profiles are {}",
            school.disclosure_profile_names().join(", ")
        )));
    }
    let base = issue::verification_base(school).map_err(PackError::Refused)?.to_string();
    let mut ledger = issue::open_ledger(school_dir, school)?;
    let versions = Versions::of(ledger.entries());

    let students: Vec<String> = if options.students.is_empty() {
        let issued = versions.issued().values().map(|i| i.entry.student.clone());
        issued.chain(known.iter().cloned()).collect::<BTreeSet<_>>().into_iter().collect()
    } else {
        let mut seen = BTreeSet::new();
        options.students.iter().filter(|s| seen.insert(s.as_str())).cloned().collect()
    };

    let mut found = Vec::new();
    let mut not_packed = Vec::new();
    for student in &students {
        match find(&versions, student, &profile, options, school_dir) {
            Ok(f) => found.push(f),
            Err(why) => not_packed.push(NotPacked { student: student.clone(), why }),
        }
    }
    // By name as people sort names (the Unicode collation's root order: "Łukasz" among the
    // L's, Latin before Greek before Cyrillic), then by id.
    let collator = icu_collator::Collator::try_new(Default::default(), Default::default())
        .map_err(|e| PackError::Refused(format!("names cannot be sorted ({e})")))?;
    found.sort_by(|a, b| {
        collator.compare(&a.packed.name, &b.packed.name).then_with(|| a.packed.student.cmp(&b.packed.student))
    });
    let mut kept = Vec::new();
    for f in found {
        match fits(destination, &profile, &f) {
            Ok(()) => kept.push(f),
            Err(why) => not_packed.push(NotPacked { student: f.packed.student.clone(), why }),
        }
    }
    if kept.is_empty() {
        return Err(PackError::Nothing(not_packed));
    }
    name_files(&mut kept);

    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    match destination.form() {
        // Each PDF moves into the pack rather than being copied: a pack holds each student's
        // bytes once.
        Form::OneEach => {
            for f in &mut kept {
                files.insert(f.packed.file.clone(), std::mem::take(&mut f.pdf));
            }
        }
        Form::Learners => {
            for f in &mut kept {
                files.insert(f.packed.file.clone(), std::mem::take(&mut f.pdf));
            }
            let packed: Vec<Packed> = kept.iter().map(|f| f.packed.clone()).collect();
            files.insert("learners.csv".to_string(), files::learners_csv(&packed));
        }
        Form::ImportZip => {
            let mut inside: BTreeMap<String, Vec<u8>> = BTreeMap::new();
            for f in &mut kept {
                inside.insert(f.packed.file.clone(), std::mem::take(&mut f.pdf));
            }
            let packed: Vec<Packed> = kept.iter().map(|f| f.packed.clone()).collect();
            inside.insert("index.txt".to_string(), files::slate_index(&packed));
            files.insert("transcripts.zip".to_string(), output::zip_files_at(&inside, 1)?);
            for f in &mut kept {
                f.packed.file = format!("transcripts.zip/{}", f.packed.file);
            }
        }
        Form::OneForAll => {
            let pdfs: Vec<(&str, &[u8])> = kept.iter().map(|f| (f.packed.name.as_str(), f.pdf.as_slice())).collect();
            let merged = merge::merge(&pdfs, &format!("Transcripts for {recipient}"))
                .map_err(|why| PackError::Refused(format!("the transcripts could not be put into one PDF: {why}")))?;
            let budget = destination.budget().unwrap_or(u64::MAX);
            if merged.len() as u64 > budget {
                return Err(PackError::OverBudget { bytes: merged.len() as u64, budget, students: kept.len() });
            }
            let sha256 = sha256_hex(&merged);
            for f in &mut kept {
                f.packed.file = "transcripts.pdf".to_string();
                f.packed.bytes = merged.len() as u64;
                f.packed.sha256 = sha256.clone();
            }
            files.insert("transcripts.pdf".to_string(), merged);
        }
    }
    let packed: Vec<Packed> = kept.into_iter().map(|f| f.packed).collect();
    let now = issue::ledger::now();
    let report = report(destination, &recipient, &profile, &now, &packed, &not_packed, &files);
    files.insert(REPORT.to_string(), report.into_bytes());

    let disclosures: Vec<Entry> = packed
        .iter()
        .map(|p| {
            let mut entry = Entry::new(Action::Disclose, &p.student, p.version, &p.credential_id, now.clone(), &by);
            entry.recipient = Some(recipient.clone());
            entry.via = Some(destination.name().to_string());
            entry.profile = Some(profile.clone());
            entry.files = BTreeMap::from([(p.file.clone(), p.sha256.clone())]);
            entry.answering(options.requests.get(&p.student))
        })
        .collect();
    let not_a_pack = |dir: &Path| dir.join(REPORT).is_file();
    output::replace_folder_after(&options.out, &files, "a pack (it has no pack-report.txt)", not_a_pack, || {
        ledger.append_all(disclosures, signer)?;
        issue::sign_state(school_dir, &base, signer, ledger.entries()).map(|_| ())
    })?;
    Ok(Pack {
        destination,
        folder: options.out.clone(),
        files: files.iter().map(|(name, bytes)| (name.clone(), bytes.len() as u64)).collect(),
        packed,
        not_packed,
        profile,
        recipient,
    })
}

/// The current version of a student under the profile, read from the issued folder and
/// checked, or why it cannot be sent.
fn find(
    versions: &Versions,
    student: &str,
    profile: &str,
    options: &PackOptions,
    school_dir: &Path,
) -> Result<Found, String> {
    let issue_again = format!(
        "run `mastery issue {} --out {} --profile {profile} --student {student}` with the options it was issued with: it writes the issued files again, unchanged",
        school_dir.display(),
        options.issued.display()
    );
    let entry = match versions.latest(student, profile) {
        Latest::Current(entry) => entry,
        Latest::Revoked(entry, reason) => {
            return Err(format!(
                "version {} (the latest under the {profile} profile) was revoked ({reason}): a revoked transcript is never sent\n  hint: issue a corrected version first",
                entry.version
            ));
        }
        Latest::None => {
            return Err(format!(
                "no transcript was issued under the {profile} profile\n  hint: `mastery issue {} --out {} --profile {profile} --student {student}` issues one, or says what in the record stops it",
                school_dir.display(),
                options.issued.display()
            ));
        }
    };
    let Some((path, sha256)) = entry.files.iter().find(|(path, _)| path.ends_with(".pdf")) else {
        return Err(format!("the ledger names no PDF for version {}", entry.version));
    };
    let full = options.issued.join(path);
    let bytes = match load::optional_file(&full) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(format!("{} is missing\n  hint: {issue_again}", full.display())),
        Err(error) => return Err(format!("{} cannot be read ({error})", full.display())),
    };
    if &sha256_hex(&bytes) != sha256 {
        return Err(format!(
            "{} is not the file issued as version {} (its SHA-256 is not the one the ledger holds)\n  hint: {issue_again}",
            full.display(),
            entry.version
        ));
    }
    let (data, encrypted) = load::pdf::attachment(&bytes, "transcript.json")
        .map_err(|why| format!("{} cannot be read as a PDF: {why}", full.display()))?;
    if encrypted {
        return Err(format!("{} is encrypted, and portals refuse encrypted PDFs", full.display()));
    }
    let carried: Carried = data
        .and_then(|data| serde_json::from_slice(&data).ok())
        .ok_or_else(|| format!("{} carries no transcript data (transcript.json) to name the student by: was it made with a template that attaches none?", full.display()))?;
    let pdf = if options.unsigned { pades::unsigned(&bytes).map(<[u8]>::to_vec).unwrap_or(bytes) } else { bytes };
    let packed = Packed {
        student: student.to_string(),
        name: carried.student.legal_name,
        birth_date: carried.student.birth_date,
        expected_graduation: carried.student.expected_graduation,
        issue_date: carried.issue_date,
        version: entry.version,
        credential_id: entry.credential_id.clone(),
        file: String::new(),
        bytes: pdf.len() as u64,
        sha256: sha256_hex(&pdf),
    };
    Ok(Found { packed, pdf })
}

/// Whether a transcript meets the destination's rules for one file.
fn fits(destination: Destination, profile: &str, found: &Found) -> Result<(), String> {
    if let (Form::OneEach, Some(budget)) = (destination.form(), destination.budget())
        && found.packed.bytes > budget
    {
        return Err(format!(
            "its PDF is {}, over the {} {} takes in one file: it is sent as issued, never cut or recompressed\n  hint: images make most of a transcript's size (the school's logo, featured work samples): a smaller logo or fewer featured samples, issued as a new version (--reissue), fits",
            megabytes(found.packed.bytes),
            megabytes(budget),
            destination.name()
        ));
    }
    if destination.form() == Form::Learners && found.packed.birth_date.is_none() {
        return Err(format!(
            "Parchment's learners file needs a birth date, and the {profile} profile leaves it out\n  hint: pack with --profile internal (or a profile of school.json that shows the birth date)"
        ));
    }
    Ok(())
}

/// Gives each transcript its file name; two students whose names and ids make the same name
/// get a number after the second.
fn name_files(found: &mut [Found]) {
    let mut taken = BTreeSet::new();
    for f in found {
        let name = files::safe_file_name(&f.packed.name, &f.packed.student);
        let mut candidate = name.clone();
        let mut n = 2;
        while !taken.insert(candidate.to_lowercase()) {
            candidate = name.replace("_Transcript.pdf", &format!("_{n}_Transcript.pdf"));
            n += 1;
        }
        f.packed.file = candidate;
    }
}

/// The pack's report: what went where, in the pack's order, and who was left out and why.
fn report(
    destination: Destination,
    recipient: &str,
    profile: &str,
    at: &str,
    packed: &[Packed],
    not_packed: &[NotPacked],
    files: &BTreeMap<String, Vec<u8>>,
) -> String {
    let mut text = format!(
        "Pack for {} ({}), to {recipient}, made {at}\nDisclosure profile: {profile}\nOrder: by legal name (Unicode collation), then student id\n\n",
        destination.name(),
        destination.key()
    );
    text.push_str(&format!("Files to upload ({}):\n", files.len()));
    for (name, bytes) in files {
        text.push_str(&format!("  {name}  {}\n", megabytes(bytes.len() as u64)));
    }
    text.push_str(&format!("\nPacked ({}):\n", packed.len()));
    for p in packed {
        text.push_str(&format!(
            "  {}  {}  version {}  {}  {}\n",
            p.student, p.name, p.version, p.credential_id, p.file
        ));
    }
    if !not_packed.is_empty() {
        text.push_str(&format!("\nNot packed ({}):\n", not_packed.len()));
        for n in not_packed {
            text.push_str(&format!("  {}: {}\n", n.student, n.why.replace('\n', "\n    ")));
        }
    }
    text
}

/// A size for people: `1.53 MB` (10^6 bytes), or `812 KB`.
fn megabytes(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{}.{:02} MB", bytes / 1_000_000, (bytes % 1_000_000) / 10_000)
    } else {
        format!("{} KB", bytes.div_ceil(1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(bytes: u64, birth_date: Option<&str>) -> Found {
        let packed = Packed {
            student: "S1".into(),
            name: "Ana Lima".into(),
            birth_date: birth_date.map(str::to_string),
            expected_graduation: "2027-06-12".into(),
            issue_date: "2026-06-12".into(),
            version: 1,
            credential_id: "urn:uuid:1".into(),
            file: String::new(),
            bytes,
            sha256: String::new(),
        };
        Found { packed, pdf: Vec::new() }
    }

    #[test]
    fn a_transcript_over_the_budget_is_refused_with_its_size() {
        assert!(fits(Destination::CommonApp, "college", &found(2_000_000, None)).is_ok());
        let why = fits(Destination::Naviance, "college", &found(2_468_001, None)).unwrap_err();
        assert!(why.starts_with("its PDF is 2.46 MB, over the 2.00 MB Naviance takes in one file"), "{why}");
        assert!(why.contains("never cut or recompressed"), "{why}");
        // Slate and Parchment state no limit.
        assert!(fits(Destination::Slate, "college", &found(9_000_000, None)).is_ok());
    }

    #[test]
    fn parchment_needs_the_birth_date() {
        assert!(fits(Destination::Parchment, "internal", &found(1000, Some("2008-01-02"))).is_ok());
        let why = fits(Destination::Parchment, "college", &found(1000, None)).unwrap_err();
        assert!(why.contains("the college profile leaves it out"), "{why}");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(megabytes(10_000_000), "10.00 MB");
        assert_eq!(megabytes(151_234), "152 KB");
    }
}
