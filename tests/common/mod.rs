//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `mastery` binary built for these tests.
/// The key of the example school's document-signing certificate, which signs issued PDFs.
pub const PDF_KEY: &str = "fixtures/keys/document-signing.key.pem";

pub fn mastery() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mastery"))
}

/// Runs `mastery` with `args`.
pub fn run(args: &[&str]) -> Output {
    mastery().args(args).output().expect("mastery runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The project's root folder (tests run from it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An outside checker the tests need. Missing, it fails the test loudly with the fix, never
/// skips: `scripts/test` installs every one of them.
pub fn tool(name: &str) -> Command {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{name} is not installed: run scripts/test, which installs the outside checkers (or apt-get install qpdf poppler-utils)"
    );
    Command::new(name)
}

/// The text of a PDF, as poppler's pdftotext reads it.
pub fn pdf_text(pdf: &Path) -> String {
    let output = tool("pdftotext").arg("-enc").arg("UTF-8").arg(pdf).arg("-").output().expect("pdftotext runs");
    assert!(output.status.success(), "pdftotext failed on {}: {}", pdf.display(), stderr(&output));
    String::from_utf8(output.stdout).expect("pdftotext writes UTF-8")
}

/// Asserts that qpdf finds no structural errors in a PDF.
pub fn qpdf_check(pdf: &Path) {
    let output = tool("qpdf").arg("--check").arg(pdf).output().expect("qpdf runs");
    assert!(
        output.status.success(),
        "qpdf --check failed on {}:\n{}{}",
        pdf.display(),
        stdout(&output),
        stderr(&output)
    );
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of `fixtures/small-school` in a temporary folder, to change in a test.
pub fn small_school() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/small-school"), dir.path());
    dir
}

/// A school folder with `count` generated students in one JSON Lines file.
pub fn generated_school(count: usize) -> tempfile::TempDir {
    let school = small_school();
    std::fs::remove_file(school.path().join("students/s1.json")).unwrap();
    let out = school.path().join("students/generated.jsonl");
    let output = run(&[
        "gen-fixtures",
        school.path().to_str().unwrap(),
        "--students",
        &count.to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    school
}

/// Every file under a folder, by its path in it, with its bytes.
pub fn files_under(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap().path();
            if entry.is_dir() {
                stack.push(entry);
            } else {
                files.insert(entry.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&entry).unwrap());
            }
        }
    }
    files
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Writes a JSON file.
pub fn write_json(path: &Path, value: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// Removes all whitespace, so text that a PDF wrapped over lines still compares equal.
pub fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The names in `tests/data/names.tsv`: (script, name).
pub fn test_names() -> Vec<(String, String)> {
    let path = root().join("tests/data/names.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {} ({e}): the tests read their data from tests/data", path.display()));
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let mut fields = line.split('\t');
            (fields.next().unwrap().to_string(), fields.next().unwrap().to_string())
        })
        .collect()
}
