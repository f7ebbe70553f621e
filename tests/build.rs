//! `mastery build`: transcripts that outside checkers accept, the same bytes every time,
//! hostile data printed literally, and a template that cannot leave its folder.

use std::path::Path;

use unicode_normalization::UnicodeNormalization;

use crate::common::*;

fn build(school: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["build", school.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

fn nfc(text: &str) -> String {
    squash(text).nfc().collect()
}

#[test]
fn the_example_school_builds_one_checked_pdf_per_student() {
    let out = tempfile::tempdir().unwrap();
    let output = build(&root().join("fixtures/example-school"), out.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("built 12 transcripts in {} (", out.path().display())),
        "{}",
        stderr(&output)
    );

    let school = read_json(&root().join("fixtures/example-school/school.json"));
    let areas: Vec<&str> =
        school["framework"]["areas"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap()).collect();
    let mut students: Vec<_> = std::fs::read_dir(root().join("fixtures/example-school/students"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    students.sort();
    for student in students {
        let record = read_json(&student);
        let pdf = out.path().join(format!("{}.pdf", record["id"].as_str().unwrap()));
        assert!(pdf.is_file(), "no PDF for {}", student.display());
        qpdf_check(&pdf);
        let text = nfc(&pdf_text(&pdf));
        let legal = record["name"]["legal"].as_str().unwrap();
        assert!(text.contains(&nfc(legal)), "{} does not show {legal}", pdf.display());
        for area in &areas {
            assert!(text.contains(&squash(area)), "{} does not show the area {area}", pdf.display());
        }
    }
    // The PDFs, the manifest and the report: no temporary file is left behind.
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 12 + 2);
}

#[test]
fn page_one_answers_what_the_student_has_mastered() {
    let out = tempfile::tempdir().unwrap();
    let output = build(&root().join("fixtures/example-school"), out.path(), &["--student", "HV-2026-006"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let pdf = out.path().join("HV-2026-006.pdf");
    let page_one = tool("pdftotext").args(["-f", "1", "-l", "1", "-layout"]).arg(&pdf).arg("-").output().unwrap();
    let page_one = String::from_utf8(page_one.stdout).unwrap();
    let record = read_json(&root().join("fixtures/example-school/students/hv-2026-006.json"));
    for highlight in record["highlights"].as_array().unwrap() {
        assert!(
            squash(&page_one).contains(&squash(highlight.as_str().unwrap())),
            "page 1 lacks the highlight {highlight}"
        );
    }
    for expected in [
        "Harbor View Academy",
        "Majo Fernández",
        "Credit profile",
        "Analytical and Creative Thinking",
        "Habits of Mind",
        "Totals against graduation requirements",
        "On track",
        "Student highlights",
    ] {
        assert!(page_one.contains(expected), "page 1 lacks {expected:?}:\n{page_one}");
    }
}

#[test]
fn building_twice_gives_the_same_bytes() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    let school = root().join("fixtures/example-school");
    assert!(build(&school, first.path(), &["--student", "HV-2026-001", "--student", "HV-2027-009"]).status.success());
    assert!(build(&school, second.path(), &["--student", "HV-2026-001", "--student", "HV-2027-009"]).status.success());
    for name in ["HV-2026-001.pdf", "HV-2027-009.pdf"] {
        let a = std::fs::read(first.path().join(name)).unwrap();
        let b = std::fs::read(second.path().join(name)).unwrap();
        assert!(a == b, "{name} differs between two builds");
    }
    // The creation date is the issue date from the input, not the clock.
    let info = tool("pdfinfo").arg(first.path().join("HV-2026-001.pdf")).output().unwrap();
    let info = String::from_utf8(info.stdout).unwrap();
    assert!(info.contains("CreationDate:    Mon Jun  1 00:00:00 2026"), "{info}");
}

#[test]
fn the_issue_date_can_be_set_on_the_command_line() {
    let out = tempfile::tempdir().unwrap();
    let school = root().join("fixtures/small-school");
    let output = build(&school, out.path(), &["--issue-date", "2026-07-04"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let info = tool("pdfinfo").arg(out.path().join("S1.pdf")).output().unwrap();
    assert!(String::from_utf8(info.stdout).unwrap().contains("CreationDate:    Sat Jul  4 00:00:00 2026"));
    let output = build(&school, out.path(), &["--issue-date", "July 4"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output), "error: --issue-date July 4 is not a date of the form YYYY-MM-DD\n");
}

#[test]
fn hostile_and_international_names_print_literally() {
    // Every name of names.tsv, in every script, with no flag: the built-in fonts cover them all.
    let names: Vec<(String, String)> = test_names();
    assert!(names.iter().any(|(_, n)| n == "#read(\"/etc/passwd\")"));
    assert!(names.iter().any(|(script, _)| script == "han"));
    let school = school_with_names(&names.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>());
    let out = tempfile::tempdir().unwrap();
    let output = build(school.path(), out.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).contains("font"), "no warning about fonts: {}", stderr(&output));
    for (i, (script, name)) in names.iter().enumerate() {
        let pdf = out.path().join(format!("N{i}.pdf"));
        let text = pdf_text(&pdf);
        assert!(!text.contains("root:x:0:0"), "the template read /etc/passwd");
        if script == "mixed-bidi" {
            assert_mixed_runs_come_back(name, &text);
        } else {
            assert!(plain(&text).contains(&plain(name)), "{name:?} is not printed literally:\n{text}");
        }
        let title = tool("pdfinfo").arg(&pdf).output().unwrap();
        let title = String::from_utf8_lossy(&title.stdout).into_owned();
        assert!(plain(&title).contains(&plain(name)), "the PDF title lacks {name:?}: {title}");
    }
}

/// A name mixing directions comes back from pdftotext with each run's letters exactly, but
/// the runs not as typed: poppler turns the page's visual order back into reading order with a
/// rule of its own (a right-to-left run takes the punctuation after it: "Layla (", then
/// " )ليلى", then "Haddad"). The PDF's own text is in reading order (the metadata title,
/// checked above, is exact).
fn assert_mixed_runs_come_back(name: &str, text: &str) {
    let text = plain(text);
    for run in name.split(['(', ')', ' ']).filter(|r| !r.is_empty()) {
        assert!(text.contains(run), "{run:?} of {name:?} is missing:\n{text}");
    }
}

/// The Noto fonts (from Debian's fonts-noto-core and fonts-noto-cjk) for the scripts the
/// built-in fonts lack, copied into a folder for --font-path.
fn noto_fonts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let wanted = [
        "truetype/noto/NotoSansArabic-Regular.ttf",
        "truetype/noto/NotoSansHebrew-Regular.ttf",
        "truetype/noto/NotoSansDevanagari-Regular.ttf",
        "truetype/noto/NotoSansTamil-Regular.ttf",
        "truetype/noto/NotoSansThai-Regular.ttf",
        "truetype/noto/NotoSansEthiopic-Regular.ttf",
        "opentype/noto/NotoSansCJK-Regular.ttc",
    ];
    for font in wanted {
        let from = Path::new("/usr/share/fonts").join(font);
        assert!(
            from.is_file(),
            "{} is missing: run scripts/test, which installs fonts-noto-core and fonts-noto-cjk",
            from.display()
        );
        std::fs::copy(&from, dir.path().join(from.file_name().unwrap())).unwrap();
    }
    dir
}

/// A school whose students bear the given names, one each (ids N0, N1, ...).
fn school_with_names(names: &[String]) -> tempfile::TempDir {
    let school = small_school();
    let students = school.path().join("students");
    let template = read_json(&students.join("s1.json"));
    std::fs::remove_file(students.join("s1.json")).unwrap();
    for (i, name) in names.iter().enumerate() {
        let mut record = template.clone();
        record["id"] = format!("N{i}").into();
        record["name"]["legal"] = name.as_str().into();
        record["highlights"] = serde_json::json!([format!("My name is {name}.")]);
        write_json(&students.join(format!("n{i}.json")), &record);
    }
    school
}

/// Text as pdftotext gives it, without the bidirectional marks it puts around right-to-left runs.
fn plain(text: &str) -> String {
    nfc(&text
        .chars()
        .filter(|c| !matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect::<String>())
}

#[test]
fn every_script_renders_with_fonts_from_font_path() {
    let scripts = test_names();
    let names: Vec<String> = scripts.iter().map(|(_, name)| name.clone()).collect();
    let school = school_with_names(&names);
    let fonts = noto_fonts();
    let out = tempfile::tempdir().unwrap();
    let output = build(school.path(), out.path(), &["--font-path", fonts.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for (i, (script, name)) in scripts.iter().enumerate() {
        let pdf = out.path().join(format!("N{i}.pdf"));
        if script == "mixed-bidi" {
            assert_mixed_runs_come_back(name, &pdf_text(&pdf));
            continue;
        }
        let wanted = plain(name);
        let text = plain(&pdf_text(&pdf));
        assert!(text.contains(&wanted), "{name:?} is not in its transcript as poppler reads it:\n{text}");
    }
}

/// The text of a PDF as MuPDF extracts it.
fn mupdf_text(pdf: &Path) -> String {
    let output = tool("python3").arg(root().join("tests/tools/mupdf_text.py")).arg(pdf).output().unwrap();
    assert!(output.status.success(), "MuPDF failed on {}: {}", pdf.display(), stderr(&output));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn right_to_left_names_copy_back_exactly_in_poppler_and_mupdf() {
    // Ligatures of Arabic (lam with alef maksura, lam with alef, the word Allah) that both
    // extractors gave back with their letters turned around.
    let names = ["ليلى حداد", "علاء الدين", "عبد الله", "لا إله", "יעל כהן", "Layla (ليلى) Haddad"];
    let school = school_with_names(&names.iter().map(|n| n.to_string()).collect::<Vec<_>>());
    let out = tempfile::tempdir().unwrap();
    let only: Vec<String> = (0..names.len()).flat_map(|i| ["--student".to_string(), format!("N{i}")]).collect();
    let output = build(school.path(), out.path(), &only.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for (i, name) in names.iter().enumerate() {
        let pdf = out.path().join(format!("N{i}.pdf"));
        for (extractor, text) in [("poppler", pdf_text(&pdf)), ("MuPDF", mupdf_text(&pdf))] {
            let text = plain(&text);
            // Each word, exactly: an extractor orders the words of a right-to-left line and the
            // runs of a mixed name by a rule of its own (MuPDF gives "حداد ليلى", poppler
            // "Layla (" and " )ليلى"), but the letters of a word must come back as typed.
            for word in name.split(['(', ')', ' ']).filter(|w| !w.is_empty()) {
                assert!(text.contains(&plain(word)), "{extractor} gives {word:?} of {name:?} otherwise:\n{text}");
            }
        }
    }
}

#[test]
fn a_name_no_font_can_show_is_reported_not_printed_as_boxes() {
    // Sinhala: no built-in font has it.
    let school = school_with_names(&["Ada නිමල්".to_string(), "Ada Lovelace".to_string()]);
    let out = tempfile::tempdir().unwrap();
    let output = build(school.path(), out.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("n0.json: cannot build the transcript of N0:\n  warning: the transcript of N0 (Ada නිමල්) is not built: no font can show න (U+0DB1) in /student/legal_name, ි (U+0DD2) in /student/legal_name, ම (U+0DB8) in /student/legal_name, ල (U+0DBD) in /student/legal_name, ් (U+0DCA) in /student/legal_name"),
        "{err}"
    );
    assert!(err.contains("hint: add a font that covers them with --font-path"), "{err}");
    assert!(!out.path().join("N0.pdf").exists());
    assert!(out.path().join("N1.pdf").is_file());
}

/// Runs the build with a template whose transcript.typ is `source`; returns stderr.
fn build_with_template(source: &str, setup: impl FnOnce(&Path)) -> (Option<i32>, String) {
    let template = tempfile::tempdir().unwrap();
    std::fs::write(template.path().join("transcript.typ"), source).unwrap();
    setup(template.path());
    let out = tempfile::tempdir().unwrap();
    let output =
        build(&root().join("fixtures/small-school"), out.path(), &["--template", template.path().to_str().unwrap()]);
    let pdfs = std::fs::read_dir(out.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "pdf"))
        .count();
    assert_eq!(pdfs, 0, "no transcript may be written when rendering fails");
    (output.status.code(), stderr(&output))
}

#[test]
fn a_template_cannot_read_outside_its_folder() {
    let (code, err) = build_with_template("#read(\"/etc/passwd\")", |_| {});
    assert_eq!(code, Some(1));
    assert!(err.contains("template transcript.typ:1:7: failed to load file (/etc/passwd is not in the template folder; a template reads only its own files and the transcript data)"), "{err}");

    let (_, err) = build_with_template("#read(\"../outside.txt\")", |_| {});
    assert!(
        err.contains("template transcript.typ:1:7: path `\"../outside.txt\"` would escape the project root"),
        "{err}"
    );

    #[cfg(unix)]
    {
        let (_, err) = build_with_template("#read(\"link.txt\")", |dir| {
            std::os::unix::fs::symlink("/etc/passwd", dir.join("link.txt")).unwrap()
        });
        assert!(err.contains("/link.txt is not in the template folder"), "{err}");
        assert!(!err.contains("root:"), "{err}");
    }
}

#[test]
fn a_template_fetches_no_packages_and_cannot_run_the_data() {
    let (_, err) = build_with_template("#import \"@preview/cetz:0.4.2\"", |_| {});
    assert!(
        err.contains("failed to load package (packages are disabled in mastery templates (@preview/cetz:0.4.2))"),
        "{err}"
    );
    let (_, err) = build_with_template("#include \"/data.json\"", |_| {});
    assert!(err.contains("template transcript.typ:1:10: not a Typst source file"), "{err}");
}

#[test]
fn a_template_reads_its_own_files_and_the_data() {
    let template = tempfile::tempdir().unwrap();
    std::fs::create_dir(template.path().join("sub")).unwrap();
    std::fs::write(template.path().join("sub/note.txt"), "read from inside the template folder").unwrap();
    let source = "#set document(title: \"A custom transcript\")\n#set text(lang: \"en\")\n= #json(\"/data.json\").student.legal_name\n#read(\"sub/note.txt\")\n";
    std::fs::write(template.path().join("transcript.typ"), source).unwrap();
    let out = tempfile::tempdir().unwrap();
    let output =
        build(&root().join("fixtures/small-school"), out.path(), &["--template", template.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = pdf_text(&out.path().join("S1.pdf"));
    assert!(text.contains("Ada Lovelace") && text.contains("read from inside the template folder"), "{text}");
}

#[test]
fn the_data_format_is_the_templates_input() {
    let out = tempfile::tempdir().unwrap();
    let output =
        build(&root().join("fixtures/example-school"), out.path(), &["--format", "data", "--student", "HV-2026-003"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let data = read_json(&out.path().join("HV-2026-003.json"));
    assert_eq!(data["format"], "mastery-transcript/1");
    assert_eq!(data["student"]["legal_name"], "Анастасия Кузнецова");
    assert_eq!(data["school"]["logo"], "/school-logo.svg");
    assert!(out.path().join("school-logo.svg").is_file());
    // The exempt credit counts, with its note.
    let com04 = data["areas"][1]["credits"].as_array().unwrap().iter().find(|c| c["id"] == "COM-04").unwrap();
    assert_eq!(com04["status"], "exempt");
}

#[test]
fn the_pdf_carries_its_data() {
    let out = tempfile::tempdir().unwrap();
    assert!(build(&root().join("fixtures/small-school"), out.path(), &[]).status.success());
    let pdf = out.path().join("S1.pdf");
    let listing = tool("pdfdetach").arg("-list").arg(&pdf).output().unwrap();
    assert!(String::from_utf8_lossy(&listing.stdout).contains("transcript.json"));
    let saved = out.path().join("attached.json");
    let save = tool("pdfdetach").args(["-save", "1", "-o"]).arg(&saved).arg(&pdf).output().unwrap();
    assert!(save.status.success());
    let data = read_json(&saved);
    assert_eq!(data["student"]["id"], "S1");
    assert_eq!(data["graduation"]["status"], "not_met");
}

#[test]
fn invalid_students_are_skipped_and_the_rest_built() {
    let school = small_school();
    let mut broken = read_json(&school.path().join("students/s1.json"));
    broken["id"] = "S2".into();
    broken["evidence"][0]["credit"] = "NOPE".into();
    write_json(&school.path().join("students/s2.json"), &broken);
    let out = tempfile::tempdir().unwrap();
    let output = build(school.path(), out.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(out.path().join("S1.pdf").is_file());
    assert!(!out.path().join("S2.pdf").exists());
    let err = stderr(&output);
    assert!(err.contains("s2.json:10:17: /evidence/0/credit: evidence names unknown credit \"NOPE\""), "{err}");
    assert!(err.contains("built 1 transcript in"), "{err}");
    assert!(err.contains("skipped 1 student with invalid records"), "{err}");
}

#[test]
fn the_built_in_fonts_are_the_files_their_sources_list() {
    // fonts/noto/SOURCES.md lists every embedded font file with its size and SHA-256, and each
    // has its licence: a font changed, added or dropped without its record fails here.
    let folder = root().join("fonts/noto");
    let sources = std::fs::read_to_string(folder.join("SOURCES.md")).unwrap();
    let mut listed = Vec::new();
    for row in sources.lines().filter(|l| l.starts_with("| Noto")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (file, size, digest) = (cells[1], cells[2], cells[3]);
        let bytes = std::fs::read(folder.join(file)).unwrap_or_else(|_| panic!("{file} is listed but missing"));
        assert_eq!(bytes.len().to_string(), size, "{file}'s size");
        assert_eq!(mastery::digest::sha256_hex(&bytes), digest, "{file}'s SHA-256");
        listed.push(file.to_string());
    }
    for entry in std::fs::read_dir(&folder).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".ttf") || name.ends_with(".otf") {
            assert!(listed.contains(&name), "{name} is not listed in fonts/noto/SOURCES.md");
        }
    }
    assert!(listed.len() >= 15, "{listed:?}");
    assert!(folder.join("OFL.txt").is_file());
    let source = std::fs::read_to_string(root().join("src/render/mod.rs")).unwrap();
    for file in &listed {
        assert!(source.contains(&format!("fonts/noto/{file}")), "{file} is not embedded");
    }
}
