//! The HTML transcript: self-contained, escaped, complete, and accessible in a real browser
//! (headless Chromium with axe-core, installed by scripts/test).

use std::path::Path;

use crate::common::*;

fn build_html(school: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["build", school.to_str().unwrap(), "--out", out.to_str().unwrap(), "--format", "html"];
    args.extend_from_slice(extra);
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// Runs tests/browser/axe.mjs on a page (a file, or a console address); returns its JSON
/// report.
pub fn axe(page: impl AsRef<std::ffi::OsStr>, screenshot: &Path) -> serde_json::Value {
    axe_with_session(page, "", screenshot)
}

/// [`axe`] on a console page, in a browser that holds the console's session (its cookie).
pub fn axe_with_session(page: impl AsRef<std::ffi::OsStr>, session: &str, screenshot: &Path) -> serde_json::Value {
    let script = root().join("tests/browser/axe.mjs");
    assert!(
        root().join("tests/browser/node_modules/axe-core").is_dir(),
        "axe-core is not installed: run scripts/test, which installs it (npm ci in tests/browser)"
    );
    assert!(
        Path::new("/usr/bin/chromium").is_file(),
        "Chromium is not installed: run scripts/test (apt-get install chromium)"
    );
    let output = tool("node").arg(script).arg(page).arg(screenshot).env("MASTERY_SESSION", session).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("axe.mjs failed:\n{}{}", stdout(&output), stderr(&output)));
    report
}

#[test]
fn the_html_transcript_passes_axe_in_chromium() {
    let out = tempfile::tempdir().unwrap();
    build_html(
        &root().join("fixtures/example-school"),
        out.path(),
        &["--student", "HV-2026-006", "--student", "HV-2027-009"],
    );
    // And an issued one, with its verification address and QR code instead of the preview's
    // unofficial-copy notes.
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let issued = run(&[
        "issue",
        school.path().to_str().unwrap(),
        "--out",
        out.path().join("issued").to_str().unwrap(),
        "--key",
        "fixtures/keys/example-school.key.json",
        "--pdf-key",
        PDF_KEY,
        "--student",
        "HV-2026-006",
    ]);
    assert_eq!(issued.status.code(), Some(0), "{}", stderr(&issued));
    std::fs::copy(out.path().join("issued/HV-2026-006/v1/transcript.html"), out.path().join("issued.html")).unwrap();
    let preview = std::fs::read_to_string(out.path().join("HV-2026-006.html")).unwrap();
    let official = std::fs::read_to_string(out.path().join("issued.html")).unwrap();
    assert!(preview.contains("UNOFFICIAL COPY") && !preview.contains("records.harborview.example.org"));
    assert!(
        !official.contains("UNOFFICIAL COPY")
            && official.contains("https://records.harborview.example.org/transcripts/")
    );
    for name in ["HV-2026-006", "HV-2027-009", "issued"] {
        let page = out.path().join(format!("{name}.html"));
        let screenshot = out.path().join(format!("{name}.png"));
        let report = axe(&page, &screenshot);
        assert_eq!(report["violations"], serde_json::json!([]), "{name}: {report:#}");
        assert_eq!(report["requests"], serde_json::json!([]), "{name} made network requests");
        assert_eq!(report["keyboard"]["firstFocus"], "skip", "the first Tab should reach the skip link");
        assert_eq!(report["keyboard"]["openedWithEnter"], true, "a section should open with Enter");
        assert!(std::fs::metadata(&screenshot).unwrap().len() > 10_000, "no screenshot");
    }
}

#[test]
fn the_html_transcript_is_self_contained_complete_and_escaped() {
    let names = [
        "<script>alert(1)</script>",
        "#read(\"/etc/passwd\")",
        "Robert'); DROP TABLE students;--",
        "Анастасия Кузнецова",
    ];
    let school = small_school();
    let students = school.path().join("students");
    let template = read_json(&students.join("s1.json"));
    for (i, name) in names.iter().enumerate() {
        let mut record = template.clone();
        record["id"] = format!("H{i}").into();
        record["name"]["legal"] = (*name).into();
        record["highlights"] = serde_json::json!([format!("<b>{name}</b>")]);
        write_json(&students.join(format!("h{i}.json")), &record);
    }
    let out = tempfile::tempdir().unwrap();
    build_html(school.path(), out.path(), &[]);
    let page = std::fs::read_to_string(out.path().join("H0.html")).unwrap();
    assert!(
        !page.contains("<script>alert(1)</script>") && !page.contains("<b><script>"),
        "the name went into the markup"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Nothing is loaded from elsewhere: styles inline, images as data.
    assert!(!page.contains("<link") && !page.contains("src=\"http") && !page.contains("@import"));
    assert!(page.contains("@media print"));
    // The same content as the PDF: the school, the areas, every earned credit.
    for expected in
        ["Small Test School", "Writing", "Mathematics", "Argument", "Modelling", "How to read this transcript"]
    {
        assert!(page.contains(expected), "{expected} is missing");
    }
    let report = axe(out.path().join("H0.html"), &out.path().join("H0.png"));
    assert_eq!(report["violations"], serde_json::json!([]), "{report:#}");
    let page = std::fs::read_to_string(out.path().join("H3.html")).unwrap();
    assert!(page.contains("Анастасия Кузнецова"));
}

#[test]
fn the_html_transcript_speaks_spanish_too() {
    let out = tempfile::tempdir().unwrap();
    build_html(&root().join("fixtures/example-school"), out.path(), &["--student", "HV-2026-006", "--locale", "es"]);
    let page = std::fs::read_to_string(out.path().join("HV-2026-006.html")).unwrap();
    assert!(
        page.contains("<html lang=\"es\" dir=\"ltr\">")
            && page.contains("Perfil de créditos")
            && page.contains("Cómo leer este expediente")
    );
}

#[test]
fn the_html_transcript_runs_right_to_left_in_arabic_and_passes_axe() {
    let school = small_school();
    let students = school.path().join("students");
    let template = read_json(&students.join("s1.json"));
    for (i, name) in ["Layla (ليلى) Haddad", "محمد عبد الله"].iter().enumerate() {
        let mut record = template.clone();
        record["id"] = format!("R{i}").into();
        record["name"]["legal"] = (*name).into();
        write_json(&students.join(format!("r{i}.json")), &record);
    }
    let arabic = tempfile::tempdir().unwrap();
    let english = tempfile::tempdir().unwrap();
    build_html(school.path(), arabic.path(), &["--locale", "ar"]);
    build_html(school.path(), english.path(), &[]);
    let page = std::fs::read_to_string(arabic.path().join("R0.html")).unwrap();
    assert!(page.contains("<html lang=\"ar\" dir=\"rtl\">") && page.contains("ملخص الوحدات"));
    // Each text from the records in its own direction: the Latin name (with its Arabic run)
    // left to right on the Arabic page, dates too; the Arabic name right to left on the
    // English page.
    assert!(page.contains("<h1><bdi dir=\"ltr\">Layla (ليلى) Haddad</bdi></h1>"), "{page}");
    assert!(page.contains("<bdi dir=\"ltr\">2026-06-01</bdi>"), "{page}");
    let english_page = std::fs::read_to_string(english.path().join("R1.html")).unwrap();
    assert!(english_page.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(english_page.contains("<h1><bdi dir=\"rtl\">محمد عبد الله</bdi></h1>"), "{english_page}");
    for (dir, name) in [(arabic.path(), "R0"), (arabic.path(), "R1"), (english.path(), "R1")] {
        let report = axe(dir.join(format!("{name}.html")), &dir.join(format!("{name}.png")));
        assert_eq!(report["violations"], serde_json::json!([]), "{name}: {report:#}");
    }
}
