//! `mastery pack`: each destination's files, sizes, names and index read back and held to its
//! rules, by our own reading and by outside tools (pdfsig, qpdf, pdftotext, pdfua); only
//! current versions packed; every student sent recorded once in the ledger.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::common::*;

const KEY: &str = "fixtures/keys/example-school.key.json";

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A copy of the example school with its students issued under `profile` into `out`.
struct Issued {
    school: tempfile::TempDir,
    out: tempfile::TempDir,
    students: Vec<String>,
}

fn issue(profile: &str) -> Issued {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let out = tempfile::tempdir().unwrap();
    let args = ["issue", path(school.path()), "--out", path(out.path()), "--key", KEY, "--pdf-key", PDF_KEY];
    let output = run(&[&args[..], &["--profile", profile, "--by", "Registrar"]].concat());
    // Students with errors in their records are not issued (exit 1); the others are.
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}{}", stdout(&output), stderr(&output));
    let students = ledger(school.path())
        .iter()
        .filter(|e| e["action"] == "issue")
        .map(|e| e["student"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(students.len() >= 8, "the example school issues most of its students: {students:?}");
    Issued { school, out, students }
}

fn ledger(school: &Path) -> Vec<serde_json::Value> {
    let output = run(&["log", path(school), "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    stdout(&output).lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

/// Packs for `destination` into a new folder; gives the folder and what mastery said.
fn pack(issued: &Issued, destination: &str, extra: &[&str]) -> (tempfile::TempDir, Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pack");
    let mut args = vec![
        "pack",
        path(issued.school.path()),
        "--for",
        destination,
        "--issued",
        path(issued.out.path()),
        "--out",
        path(&out),
        "--key",
        KEY,
        "--by",
        "Registrar",
    ];
    args.extend_from_slice(extra);
    let output = run(&args);
    (dir, output.status.code(), format!("{}{}", stdout(&output), stderr(&output)))
}

fn pdfs_in(dir: &Path) -> BTreeMap<String, PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect()
}

fn pdfsig(pdf: &Path) -> String {
    let output = tool("pdfsig").arg(pdf).output().unwrap();
    format!("{}{}", stdout(&output), stderr(&output))
}

fn not_encrypted(pdf: &Path) {
    let output = tool("qpdf").arg("--show-encryption").arg(pdf).output().unwrap();
    assert!(stdout(&output).contains("File is not encrypted"), "{}: {}", pdf.display(), stdout(&output));
}

fn safe_name(name: &str) -> bool {
    name.ends_with("_Transcript.pdf")
        && name.len() <= 140
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The disclosures the ledger holds for a pack through `via`.
fn disclosures(school: &Path, via: &str) -> Vec<serde_json::Value> {
    ledger(school).into_iter().filter(|e| e["action"] == "disclose" && e["via"] == via).collect()
}

#[test]
fn one_pdf_per_student_packs_are_signed_small_unencrypted_and_safely_named() {
    let issued = issue("college");
    for (destination, via) in [("commonapp", "Common App"), ("naviance", "Naviance"), ("scoir", "Scoir")] {
        let (dir, code, said) = pack(&issued, destination, &["--to", "Bowdoin College"]);
        assert_eq!(code, Some(1), "the students with errors are named, so the exit says so:\n{said}");
        let folder = dir.path().join("pack");
        let pdfs = pdfs_in(&folder);
        assert_eq!(pdfs.len(), issued.students.len(), "{said}");
        for (name, pdf) in &pdfs {
            assert!(safe_name(name), "{name}");
            let size = std::fs::metadata(pdf).unwrap().len();
            assert!(size <= 2_000_000, "{name} is {size} bytes");
            not_encrypted(pdf);
            let sig = pdfsig(pdf);
            assert!(sig.contains("Signature is Valid") && sig.contains("Total document signed"), "{sig}");
        }
        let report = std::fs::read_to_string(folder.join("pack-report.txt")).unwrap();
        assert!(report.contains(&format!("Packed ({})", pdfs.len())), "{report}");
        // One disclosure per student, to the recipient, through the service, naming the file.
        let entries = disclosures(issued.school.path(), via);
        assert_eq!(entries.len(), issued.students.len());
        for entry in &entries {
            assert_eq!(entry["recipient"], "Bowdoin College");
            assert_eq!(entry["profile"], "college");
            assert_eq!(entry["by"], "Registrar");
            let (file, sha256) = entry["files"].as_object().unwrap().iter().next().unwrap();
            let bytes = std::fs::read(folder.join(file)).unwrap();
            assert_eq!(sha256.as_str().unwrap(), sha256_hex(&bytes), "the ledger names the bytes sent");
        }
    }
    let log = run(&["log", path(issued.school.path())]);
    assert!(stdout(&log).contains("to Bowdoin College via Common App  (college profile)"), "{}", stdout(&log));
    let check = run(&["log", path(issued.school.path()), "--verify"]);
    assert_eq!(check.status.code(), Some(0), "{}{}", stdout(&check), stderr(&check));
}

#[test]
fn unsigned_packs_drop_only_the_pades_signature() {
    let issued = issue("college");
    let student = &issued.students[0];
    let (dir, code, said) = pack(&issued, "scoir", &["--student", student, "--unsigned"]);
    assert_eq!(code, Some(0), "{said}");
    let pdfs = pdfs_in(&dir.path().join("pack"));
    let (_, pdf) = pdfs.iter().next().unwrap();
    assert!(pdfsig(pdf).contains("does not contain any signatures"), "{}", pdfsig(pdf));
    qpdf_check(pdf);
    // The pages and the signed credential inside are the issued ones: it still verifies.
    let output = run(&["verify", path(pdf)]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    let signed = issued.out.path().join(student).join("college-v1/transcript.pdf");
    let signed = std::fs::read(signed).unwrap();
    let unsigned = std::fs::read(pdf).unwrap();
    assert!(signed.starts_with(&unsigned) && unsigned.len() < signed.len());
    // Exactly the file `issue` signed: signing it again gives the issued bytes.
    let key = std::fs::read_to_string(root().join(PDF_KEY)).unwrap();
    let chain = std::fs::read(root().join("fixtures/example-school/keys/document-signing.pem")).unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let signer = mastery::pades::DocumentSigner::new(&key, &chain, date).unwrap();
    let claims =
        mastery::pades::Claims { date, reason: "Official transcript issued by Harbor View Academy", timestamp: None };
    assert!(mastery::pades::sign(&unsigned, &signer, &claims).unwrap() == signed);
}

#[test]
fn cialfo_gets_one_tagged_pdf_of_every_student_in_name_order() {
    let issued = issue("college");
    let (dir, _code, said) = pack(&issued, "cialfo", &[]);
    let folder = dir.path().join("pack");
    let pdf = folder.join("transcripts.pdf");
    assert!(pdf.is_file(), "{said}");
    assert!(std::fs::metadata(&pdf).unwrap().len() <= 10_000_000);
    qpdf_check(&pdf);
    let report = std::fs::read_to_string(folder.join("pack-report.txt")).unwrap();
    assert!(report.contains("Order: by legal name (Unicode collation), then student id"), "{report}");

    // Every student's pages, together and in the report's order (by name): the merged file's
    // text is each transcript's text in turn.
    let order: Vec<String> = report
        .lines()
        .skip_while(|l| !l.starts_with("Packed"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(order.len(), issued.students.len());
    let own = |id: &str| issued.out.path().join(id).join("college-v1/transcript.pdf");
    let expected: String = order.iter().map(|id| pdf_text(&own(id))).collect();
    assert_eq!(pdf_text(&pdf), expected);
    let names: Vec<String> = order
        .iter()
        .map(|id| {
            let data = run(&["verify", path(&own(id))]);
            assert_eq!(data.status.code(), Some(0));
            let line = report.lines().find(|l| l.starts_with(&format!("  {id}  "))).unwrap();
            line.split("  ").nth(2).unwrap().to_string()
        })
        .collect();
    let collator = icu_collator::Collator::try_new(Default::default(), Default::default()).unwrap();
    let mut sorted = names.clone();
    sorted.sort_by(|a, b| collator.compare(a, b));
    assert_eq!(names, sorted, "by legal name");
    let at = |name: &str| names.iter().position(|n| n.starts_with(name)).unwrap();
    assert!(at("Łukasz") < at("Teresa") && at("Teresa") < at("Αλέξανδρος"), "{names:?}");
    // Tagged, as each transcript is: the PDF/UA checker finds nothing.
    let output = tool("pdfua").arg("check").arg(&pdf).output().unwrap();
    assert!(output.status.success(), "pdfua:\n{}{}", stdout(&output), stderr(&output));
    assert_eq!(disclosures(issued.school.path(), "Cialfo").len(), issued.students.len());
}

#[test]
fn slate_gets_a_zip_of_pdfs_with_a_quoted_tab_delimited_index() {
    let issued = issue("college");
    let (dir, _code, said) = pack(&issued, "slate", &["--to", "Reed College"]);
    let zip_path = dir.path().join("pack/transcripts.zip");
    assert!(zip_path.is_file(), "{said}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    let mut index = String::new();
    zip.by_name("index.txt").unwrap().read_to_string(&mut index).unwrap();
    let rows: Vec<Vec<String>> = index
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split('\t')
                .map(|v| {
                    assert!(v.starts_with('"') && v.ends_with('"'), "every value is quoted: {v}");
                    v[1..v.len() - 1].replace("\"\"", "\"")
                })
                .collect()
        })
        .collect();
    assert_eq!(rows[0][0], "Student ID");
    let filename = rows[0].iter().position(|c| c == "Filename").unwrap();
    assert_eq!(rows.len() - 1, issued.students.len());
    for row in &rows[1..] {
        assert!(issued.students.contains(&row[0]), "{row:?}");
        assert!(names.contains(&row[filename]), "{} is in the ZIP", row[filename]);
        let mut pdf = Vec::new();
        zip.by_name(&row[filename]).unwrap().read_to_end(&mut pdf).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // The college profile leaves the birth date out, and so does the index.
        assert_eq!(row[2], "", "{row:?}");
    }
    assert_eq!(names.len(), issued.students.len() + 1);
    let entries = disclosures(issued.school.path(), "Slate");
    assert!(entries.iter().all(|e| e["recipient"] == "Reed College"));
    assert_eq!(entries.len(), issued.students.len());
}

#[test]
fn parchment_gets_its_learners_file_with_every_field_filled() {
    let issued = issue("internal");
    let (dir, _code, said) = pack(&issued, "parchment", &[]);
    let folder = dir.path().join("pack");
    let mut reader = csv::Reader::from_path(folder.join("learners.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "Student ID");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), issued.students.len(), "{said}");
    for row in &rows {
        assert!(row.iter().all(|v| !v.is_empty()), "no blank field: {row:?}");
        assert!(folder.join(&row[4]).is_file(), "{row:?}");
        assert!(chrono::NaiveDate::parse_from_str(&row[2], "%Y-%m-%d").is_ok(), "{row:?}");
    }
    // The college profile leaves birth dates out, which Parchment's file needs.
    let college = issue("college");
    let (_dir, code, said) = pack(&college, "parchment", &["--profile", "college"]);
    assert_eq!(code, Some(1));
    assert!(said.contains("needs a birth date"), "{said}");
}

#[test]
fn only_current_versions_are_packed_and_the_rest_are_named() {
    let issued = issue("college");
    let (revoked, kept) = (&issued.students[0], &issued.students[1]);
    let credential =
        ledger(issued.school.path()).into_iter().find(|e| e["action"] == "issue" && &e["student"] == revoked).unwrap()
            ["credential_id"]
            .as_str()
            .unwrap()
            .to_string();
    let output = run(&[
        "revoke",
        &credential,
        "--reason",
        "record under correction",
        "--key",
        KEY,
        "--school",
        path(issued.school.path()),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // A changed file in the issued folder is not what was issued: it is not sent.
    let third = &issued.students[2];
    let tampered = issued.out.path().join(third).join("college-v1/transcript.pdf");
    let mut bytes = std::fs::read(&tampered).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::write(&tampered, bytes).unwrap();

    let (dir, code, said) = pack(
        &issued,
        "commonapp",
        &["--student", revoked, "--student", kept, "--student", third, "--student", "NO-SUCH-ID"],
    );
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains(&format!(
            "{revoked}: version 1 (the latest under the college profile) was revoked (record under correction)"
        )),
        "{said}"
    );
    assert!(said.contains(&format!("{third}: ")) && said.contains("is not the file issued"), "{said}");
    assert!(said.contains("NO-SUCH-ID: no transcript was issued under the college profile"), "{said}");
    assert_eq!(pdfs_in(&dir.path().join("pack")).len(), 1);
    let entries = disclosures(issued.school.path(), "Common App");
    assert_eq!(entries.len(), 1);
    assert_eq!(&entries[0]["student"], kept);

    // Nothing to pack: nothing written, nothing recorded.
    let (dir, code, said) = pack(&issued, "commonapp", &["--student", revoked]);
    assert_eq!(code, Some(1));
    assert!(said.contains("nothing packed"), "{said}");
    assert!(!dir.path().join("pack").exists());
    assert_eq!(disclosures(issued.school.path(), "Common App").len(), 1);
}

#[test]
fn a_pack_never_replaces_a_folder_that_is_not_a_pack() {
    let issued = issue("college");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let output = run(&[
        "pack",
        path(issued.school.path()),
        "--for",
        "commonapp",
        "--issued",
        path(issued.out.path()),
        "--out",
        path(dir.path()),
        "--key",
        KEY,
        "--student",
        &issued.students[0],
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("is not a pack"), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(), "mine");
    assert!(disclosures(issued.school.path(), "Common App").is_empty(), "no pack, no disclosure");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs the PDF/UA checker and the metadata checks of a school profile.
fn check_profile_standards(pdf: &Path, lang: &str) {
    let output = tool("pdfua").arg("check").arg(pdf).output().unwrap();
    assert!(output.status.success(), "pdfua:\n{}{}", stdout(&output), stderr(&output));
    let script = root().join("tests/tools/check_pdf.py");
    let output =
        tool("python3").arg(script).arg(pdf).args(["--expect-lang", lang, "--school-profile"]).output().unwrap();
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    qpdf_check(pdf);
}

#[test]
fn the_school_profile_is_a_document_of_its_own_that_portals_take() {
    let school = read_json(&root().join("fixtures/example-school/school.json"));
    let dir = tempfile::tempdir().unwrap();
    for (locale, title) in [("en", "School Profile"), ("ar", "ملف المدرسة")] {
        let pdf = dir.path().join(format!("profile-{locale}.pdf"));
        let output = run(&["profile", "fixtures/example-school", "--out", path(&pdf), "--locale", locale]);
        assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
        assert!(std::fs::metadata(&pdf).unwrap().len() <= 2_000_000);
        check_profile_standards(&pdf, locale);
        let text = squash(&pdf_text(&pdf));
        assert!(text.contains(&squash(title)), "{text}");
        assert!(!text.contains("UNOFFICIAL") && !text.contains("NOTAVERIFIED"), "no preview banner: {text}");
        if locale == "en" {
            for heading in ["How to read this transcript", "The proficiency scale", "About the school"] {
                assert!(text.contains(&squash(heading)), "{heading}: {text}");
            }
            for level in school["scale"]["levels"].as_array().unwrap() {
                assert!(text.contains(level["label"].as_str().unwrap()), "{level}");
            }
            // Every credit the school offers, by its title.
            for credit in school["framework"]["credits"].as_array().unwrap() {
                let title = squash(credit["title"].as_str().unwrap());
                assert!(text.contains(&title), "{title} is in the profile");
            }
            // No student: none of the example students' names.
            for student in ["Zoë", "Łukasz", "Teresa"] {
                assert!(!text.contains(student), "{student}");
            }
        }
    }
}

#[test]
fn transcripts_sent_with_the_profile_leave_the_school_pages_out_and_say_where_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let student = "HV-2026-001";
    let build = |mode: &str| {
        let out = dir.path().join(mode);
        let output = run(&[
            "build",
            "fixtures/example-school",
            "--out",
            path(&out),
            "--student",
            student,
            "--school-pages",
            mode,
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        out.join(format!("{student}.pdf"))
    };
    let (inline, separate) = (build("inline"), build("separate"));
    let (inline_text, separate_text) = (squash(&pdf_text(&inline)), squash(&pdf_text(&separate)));
    for heading in ["The proficiency scale", "Graduation requirements", "About the school"] {
        assert!(inline_text.contains(&squash(heading)), "{heading}");
        assert!(!separate_text.contains(&squash(heading)), "{heading} is left out");
    }
    let pointer = squash("set out in its school profile, sent with this transcript");
    assert!(separate_text.contains(&pointer), "{separate_text}");
    // The student's own pages are the same: page 1 reads the same up to its footer (which
    // counts the pages).
    let cut = separate_text.find(&squash("Page 1 of")).unwrap();
    assert_eq!(inline_text[..cut], separate_text[..cut]);
    let output = tool("pdfua").arg("check").arg(&separate).output().unwrap();
    assert!(output.status.success(), "pdfua:\n{}{}", stdout(&output), stderr(&output));

    // A template that does not know where the school pages go cannot leave them out.
    let template = dir.path().join("template");
    std::fs::create_dir(&template).unwrap();
    std::fs::write(template.join("transcript.typ"), "#let d = json(\"/data.json\")\n= #d.student.display_name\n")
        .unwrap();
    for args in [
        vec!["build", "fixtures/example-school", "--out", path(&dir.path().join("t")), "--school-pages", "separate"],
        vec!["profile", "fixtures/example-school", "--out", path(&dir.path().join("t.pdf"))],
    ] {
        let output = run(&[&args[..], &["--template", path(&template)]].concat());
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(stderr(&output).contains("does not read layout.school_pages"), "{}", stderr(&output));
    }
    assert!(!dir.path().join("t.pdf").exists());
}
