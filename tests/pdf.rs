//! The PDF transcript against outside checkers: PDF/A and PDF/UA (pdfua and a pikepdf script),
//! margins on the rendered page, a student with far more than usual, the verification QR code,
//! the Spanish labels, A4 paper, and the stock typst compiler on the same template and data.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::common::*;

fn build(school: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["build", school.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// Runs the PDF/UA checker and the metadata checks; panics with their findings.
fn check_standards(pdf: &Path, lang: &str) {
    let output = tool("pdfua").arg("check").arg(pdf).output().unwrap();
    assert!(
        output.status.success(),
        "pdfua found problems in {}:\n{}{}",
        pdf.display(),
        stdout(&output),
        stderr(&output)
    );
    let script = root().join("tests/tools/check_pdf.py");
    let output = tool("python3").arg(script).arg(pdf).args(["--expect-lang", lang]).output().unwrap();
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    qpdf_check(pdf);
}

/// A page rendered in grey at `dpi`: (width, height, pixels).
fn render_page(pdf: &Path, page: usize, dpi: u32) -> (usize, usize, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("page");
    let output = tool("pdftoppm")
        .args(["-gray", "-r", &dpi.to_string(), "-f", &page.to_string(), "-l", &page.to_string(), "-singlefile"])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let bytes = std::fs::read(prefix.with_extension("pgm")).unwrap();
    // Binary PGM: "P5", width, height, maxval, one whitespace byte, then the pixels.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let (width, height): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (width, height, bytes[at + 1..].to_vec())
}

fn pages(pdf: &Path) -> usize {
    let info = tool("pdfinfo").arg(pdf).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap()
}

/// Asserts that nothing is drawn in the outer bands of a page: left and right 0.6 in, top and
/// bottom 0.3 in (the header, a preview's unofficial-copy banner, sits just below the top band;
/// the footer just above the bottom one).
fn assert_margins_clear(pdf: &Path, page: usize) {
    let dpi = 60;
    let (width, height, pixels) = render_page(pdf, page, dpi);
    let inch = dpi as f64;
    let (side, top, bottom) = ((0.6 * inch) as usize, (0.3 * inch) as usize, (0.3 * inch) as usize);
    for y in 0..height {
        for x in 0..width {
            let in_band = x < side || x >= width - side || y < top || y >= height - bottom;
            if in_band && pixels[y * width + x] < 200 {
                panic!("{} page {page}: ink at ({x}, {y}) px, in the margin", pdf.display());
            }
        }
    }
}

#[test]
fn example_transcripts_pass_the_pdf_checkers() {
    let out = tempfile::tempdir().unwrap();
    build(
        &root().join("fixtures/example-school"),
        out.path(),
        &["--student", "HV-2026-001", "--student", "HV-2027-010"],
    );
    for name in ["HV-2026-001.pdf", "HV-2027-010.pdf"] {
        let pdf = out.path().join(name);
        check_standards(&pdf, "en");
        for page in 1..=pages(&pdf) {
            assert_margins_clear(&pdf, page);
        }
    }
}

/// A school of 60 credits and a student who has them all, one with 20 pieces of evidence, and
/// the longest names and texts a record allows in practice.
fn crowded_school() -> tempfile::TempDir {
    let school = small_school();
    let mut config = read_json(&school.path().join("school.json"));
    let areas: Vec<_> = (1..=6)
        .map(|a| json!({"id": format!("A{a}"), "title": format!("Interdisciplinary Inquiry, Design and Public Communication {a}"), "description": "An area with a long name, as some schools write them."}))
        .collect();
    let credits: Vec<_> = (1..=60)
        .map(|c| json!({
            "id": format!("C{c:02}"), "area": format!("A{}", (c - 1) / 10 + 1),
            "title": format!("Credit {c}: synthesises evidence from several disciplines into a sustained public argument"),
            "description": "Plans, drafts, revises and publishes for an outside audience, documenting each decision and the feedback behind it, and reflects on what the work changed.",
            "level": if c % 3 == 0 { "advanced" } else { "foundational" }, "value": 1
        }))
        .collect();
    config["framework"] = json!({"areas": areas, "credits": credits});
    config["graduation"] = json!({"total_credits": 50, "advanced_credits": 10, "areas": (1..=6).map(|a| (format!("A{a}"), json!({"credits": 8}))).collect::<serde_json::Map<_, _>>()});
    write_json(&school.path().join("school.json"), &config);

    let long_name = "María José de la Santísima Trinidad Fernández-Castellanos y Villalobos";
    let mut evidence = Vec::new();
    let mut samples = Vec::new();
    for c in 1..=60 {
        let count = if c == 7 { 20 } else { 2 };
        for e in 0..count {
            evidence.push(json!({"credit": format!("C{c:02}"), "score": 3 + (e % 2), "date": format!("2025-{:02}-{:02}", 1 + e % 12, 1 + c % 28), "assessor": "Dr. Bartholomew Featherstonehaugh-Worthington"}));
        }
        samples.push(json!({"id": format!("w{c}"), "title": format!("A very long work sample title about project number {c} and everything it involved"), "description": "A description long enough to need more than one line in the table of the area, which must wrap rather than overflow.", "url": format!("https://portfolio.example.org/a-very/long/path/to/work/sample/number/{c}/with/many/segments"), "date": "2025-12-01", "credits": [format!("C{c:02}")], "featured": true}));
    }
    let student = json!({
        "id": "CROWDED-0001", "name": {"legal": long_name, "preferred": long_name},
        "birth_date": "2008-01-01", "expected_graduation": "2026-06-12",
        "evidence": evidence, "work_samples": samples, "attestations": [],
        "highlights": [
            "I led a year-long oral history project with our town's historical society, interviewing forty residents about the mills, transcribing every interview and publishing an annotated archive.",
            "I designed, built and tested a low-cost water-quality sensor network for three local streams and presented the results to the county conservation board in a public meeting.",
            "I mentored six ninth graders through their first exhibitions and wrote a guide for mentors that the school now uses."
        ]
    });
    std::fs::remove_file(school.path().join("students/s1.json")).unwrap();
    write_json(&school.path().join("students/crowded.json"), &student);
    school
}

#[test]
fn a_crowded_record_never_overflows_the_page() {
    let school = crowded_school();
    let out = tempfile::tempdir().unwrap();
    build(school.path(), out.path(), &[]);
    let pdf = out.path().join("CROWDED-0001.pdf");
    check_standards(&pdf, "en");
    let count = pages(&pdf);
    assert!(count >= 4, "60 credits need several pages, got {count}");
    for page in 1..=count {
        assert_margins_clear(&pdf, page);
    }
    let text = squash(&pdf_text(&pdf));
    for c in 1..=60 {
        assert!(text.contains(&squash(&format!("Credit {c}: synthesises"))), "credit {c} is missing");
    }
    // Every page names the student and counts the pages.
    for page in 1..=count {
        let output = tool("pdftotext")
            .args(["-f", &page.to_string(), "-l", &page.to_string()])
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        let text = squash(&String::from_utf8_lossy(&output.stdout));
        assert!(text.contains(&squash(&format!("Page {page} of {count}"))), "page {page} lacks its number");
        assert!(text.contains("CROWDED-0001"), "page {page} lacks the student");
    }
}

#[test]
fn an_issued_transcripts_qr_code_reads_back_as_its_address_on_the_site() {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let (out, site) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (school_dir, out_dir, site_dir) =
        (school.path().to_str().unwrap(), out.path().to_str().unwrap(), site.path().to_str().unwrap());
    let key = "fixtures/keys/example-school.key.json";
    let output =
        run(&["issue", school_dir, "--out", out_dir, "--key", key, "--pdf-key", PDF_KEY, "--student", "HV-2026-002"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let output = run(&["publish", school_dir, "--site", site_dir]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let pdf = out.path().join("HV-2026-002/v1/transcript.pdf");
    let clr = read_json(&out.path().join("HV-2026-002/v1/transcript.clr.json"));
    let uuid = clr["id"].as_str().unwrap().trim_start_matches("urn:uuid:").to_string();
    let url = format!("https://records.harborview.example.org/transcripts/{uuid}.json");
    let record = read_json(&site.path().join(format!("records.harborview.example.org/transcripts/{uuid}.json")));
    assert_eq!(record["status"], "current");
    // The official PDF, with its credential attached, still passes the checkers.
    check_standards(&pdf, "en");

    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("page");
    let output = tool("pdftoppm")
        .args(["-png", "-r", "200", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(&png)
        .output()
        .unwrap();
    assert!(output.status.success());
    let output = tool("zbarimg").args(["--quiet", "--raw"]).arg(png.with_extension("png")).output().unwrap();
    assert_eq!(stdout(&output).trim(), url);
    assert!(squash(&pdf_text(&pdf)).contains(&squash(&url)), "the address is also printed");
}

#[test]
fn labels_come_in_spanish_and_paper_in_a4() {
    let out = tempfile::tempdir().unwrap();
    build(
        &root().join("fixtures/example-school"),
        out.path(),
        &["--student", "HV-2026-006", "--locale", "es", "--paper", "a4"],
    );
    let pdf = out.path().join("HV-2026-006.pdf");
    check_standards(&pdf, "es");
    let text = pdf_text(&pdf);
    for label in [
        "Perfil de créditos",
        "Totales frente a los requisitos de graduación",
        "Cómo leer este expediente",
        "Página 1 de",
    ] {
        assert!(text.contains(label), "no {label:?} in:\n{text}");
    }
    assert!(text.contains("una media decreciente: cada nueva puntuación cuenta un 65 %"), "{text}");
    let info = tool("pdfinfo").arg(&pdf).output().unwrap();
    assert!(String::from_utf8_lossy(&info.stdout).contains("(A4)"));
    for page in 1..=pages(&pdf) {
        assert_margins_clear(&pdf, page);
    }
    let output = run(&["build", "fixtures/example-school", "--out", out.path().to_str().unwrap(), "--locale", "fr"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output), "error: the template has no labels for --locale fr: add locale/fr.json to it\n");
}

#[test]
fn the_stock_typst_compiler_renders_the_same_template_from_the_data() {
    let data = tempfile::tempdir().unwrap();
    build(&root().join("fixtures/example-school"), data.path(), &["--student", "HV-2026-005", "--format", "data"]);
    let work = tempfile::tempdir().unwrap();
    copy_dir(&root().join("templates/default"), work.path());
    std::fs::copy(data.path().join("HV-2026-005.json"), work.path().join("data.json")).unwrap();
    std::fs::copy(data.path().join("school-logo.svg"), work.path().join("school-logo.svg")).unwrap();
    // The typst compiler from PyPI (the typst 0.15 CLI's engine), with system fonts off and
    // the fonts mastery embeds beside typst's own.
    let pdf: PathBuf = work.path().join("out.pdf");
    let script = "import sys, typst; typst.compile(sys.argv[1] + '/transcript.typ', output=sys.argv[2], root=sys.argv[1], font_paths=[sys.argv[3]], ignore_system_fonts=True, pdf_standards=['a-3b', 'ua-1'])";
    let output = tool("python3")
        .args(["-c", script])
        .arg(work.path())
        .arg(&pdf)
        .arg(root().join("fonts/noto"))
        .output()
        .unwrap();
    assert!(output.status.success(), "typst failed:\n{}", stderr(&output));
    let text = squash(&pdf_text(&pdf));
    assert!(text.contains(&squash("Björn Þórsson")) && text.contains(&squash("Habits of Mind")), "{text}");
}

/// Fails when a PDF draws a missing glyph (.notdef) anywhere, or uses a font it does not embed.
fn assert_no_missing_glyph(pdf: &Path) {
    let script = root().join("tests/tools/check_glyphs.py");
    let output = tool("python3").arg(script).arg(pdf).output().unwrap();
    assert!(output.status.success(), "{}: {}{}", pdf.display(), stdout(&output), stderr(&output));
}

/// The example school with one student per name (ids N0, N1, ...), each with the record of
/// HV-2026-001.
fn example_school_with_names(names: &[String]) -> tempfile::TempDir {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let students = school.path().join("students");
    let record = read_json(&students.join("hv-2026-001.json"));
    for file in std::fs::read_dir(&students).unwrap() {
        std::fs::remove_file(file.unwrap().path()).unwrap();
    }
    for (i, name) in names.iter().enumerate() {
        let mut student = record.clone();
        student["id"] = format!("N{i}").into();
        student["name"]["legal"] = name.as_str().into();
        student["name"].as_object_mut().unwrap().remove("preferred");
        write_json(&students.join(format!("n{i}.json")), &student);
    }
    school
}

#[test]
fn names_in_every_script_pass_the_pdf_checkers_with_no_flag() {
    // Every name of names.tsv, Chinese, Japanese and Korean among them.
    let (scripts, names): (Vec<String>, Vec<String>) = test_names().into_iter().unzip();
    for wanted in ["han", "japanese", "hangul", "arabic", "devanagari", "thai", "amharic", "mixed-bidi"] {
        assert!(scripts.iter().any(|s| s == wanted), "names.tsv has no {wanted} name");
    }
    let school = example_school_with_names(&names);
    let out = tempfile::tempdir().unwrap();
    let output = run(&["build", school.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).contains("font"), "no warning about fonts: {}", stderr(&output));
    for i in 0..names.len() {
        let pdf = out.path().join(format!("N{i}.pdf"));
        check_standards(&pdf, "en");
        assert_no_missing_glyph(&pdf);
    }
}

/// A word's box on a page, from pdftotext's bounding boxes: (x min, y min, x max, y max) as
/// fractions of the page's width and height. The word is found by its letters, in any order
/// (poppler may give a right-to-left word's letters back in another order).
fn word_box(pdf: &Path, page: usize, word: &str) -> [f64; 4] {
    let output = tool("pdftotext")
        .args(["-bbox", "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&output.stdout).into_owned();
    let number = |line: &str, key: &str| -> f64 {
        let start = line.find(&format!("{key}=\"")).unwrap() + key.len() + 2;
        line[start..].split('"').next().unwrap().parse().unwrap()
    };
    let sorted = |text: &str| {
        let mut letters: Vec<char> = text.chars().filter(|c| !matches!(c, '\u{202A}'..='\u{202E}')).collect();
        letters.sort();
        letters
    };
    let page_line = html.lines().find(|l| l.contains("<page ")).unwrap();
    let (width, height) = (number(page_line, "width"), number(page_line, "height"));
    let line = html
        .lines()
        .filter(|l| l.contains("<word "))
        .find(|l| {
            let text = l.split('>').nth(1).and_then(|t| t.split('<').next()).unwrap_or("");
            sorted(text) == sorted(word)
        })
        .unwrap_or_else(|| panic!("no word {word:?} on page {page} of {}", pdf.display()));
    [
        number(line, "xMin") / width,
        number(line, "yMin") / height,
        number(line, "xMax") / width,
        number(line, "yMax") / height,
    ]
}

fn word_extent(pdf: &Path, page: usize, word: &str) -> (f64, f64) {
    let [x_min, _, x_max, _] = word_box(pdf, page, word);
    (x_min, x_max)
}

/// Asserts that each word is drawn on the page image: its box, rendered at 100 dpi, holds ink
/// (at least a thirtieth of its box dark; with the check for .notdef glyphs, a word that
/// printed as nothing or as boxes fails).
fn assert_words_drawn(pdf: &Path, page: usize, words: &[&str]) {
    let (width, height, pixels) = render_page(pdf, page, 100);
    for word in words {
        let [x0, y0, x1, y1] = word_box(pdf, page, word);
        let (x0, x1) = ((x0 * width as f64) as usize, ((x1 * width as f64) as usize).min(width - 1));
        let (y0, y1) = ((y0 * height as f64) as usize, ((y1 * height as f64) as usize).min(height - 1));
        let area = (x1 - x0 + 1) * (y1 - y0 + 1);
        let ink = (y0..=y1)
            .flat_map(|y| (x0..=x1).map(move |x| (x, y)))
            .filter(|&(x, y)| pixels[y * width + x] < 128)
            .count();
        assert!(ink * 30 > area, "{word:?} on page {page} of {}: {ink} dark pixels in {area}", pdf.display());
    }
}

#[test]
fn an_arabic_transcript_runs_right_to_left() {
    let names = ["Layla (ليلى) Haddad".to_string(), "محمد عبد الله".to_string(), "李小龙".to_string()];
    let school = example_school_with_names(&names);
    let out = tempfile::tempdir().unwrap();
    let english = tempfile::tempdir().unwrap();
    build(school.path(), out.path(), &["--locale", "ar"]);
    build(school.path(), english.path(), &["--student", "N0"]);
    for i in 0..names.len() {
        let pdf = out.path().join(format!("N{i}.pdf"));
        check_standards(&pdf, "ar");
        assert_no_missing_glyph(&pdf);
        for page in 1..=pages(&pdf) {
            assert_margins_clear(&pdf, page);
        }
    }
    let pdf = out.path().join("N0.pdf");
    let text = pdf_text(&pdf);
    let plain: String = text.chars().filter(|c| !matches!(c, '\u{202A}'..='\u{202E}')).collect();
    // Word by word, as sets of letters without their vowel marks: poppler gives a lam-alef
    // ligature's two letters back swapped ("الإ" as "اإل"), since it reverses a right-to-left
    // run letter by letter, and places the marks over a letter (shadda, damma) by their own
    // boxes, even repeating the letter, so the labels checked here have none.
    let letters = |word: &str| {
        let mut letters: Vec<char> = word.chars().filter(|c| !matches!(c, '\u{64B}'..='\u{65F}' | '\u{670}')).collect();
        letters.sort();
        letters
    };
    let words: Vec<Vec<char>> = plain.split_whitespace().map(letters).collect();
    for label in ["ملخص الوحدات", "حالة التخرج", "تعريف الوحدات", "سجل الإتقان", "عن المدرسة"]
    {
        for word in label.split(' ') {
            assert!(words.contains(&letters(word)), "no {word:?} of {label:?} in:\n{text}");
        }
    }
    // Dates keep their own order on the right-to-left page.
    assert!(plain.contains("2026-06-12"), "{text}");
    // Mirrored: the name heading and the credit areas' column stand at the right on the Arabic
    // page, at the left on the English one; the Latin name still reads left to right.
    let (_, name_end) = word_extent(&pdf, 1, "Haddad");
    let (layla_start, _) = word_extent(&pdf, 1, "Layla");
    assert!(name_end > 0.85 && layla_start < word_extent(&pdf, 1, "Haddad").0, "{name_end} {layla_start}");
    let (area_start, _) = word_extent(&pdf, 1, "Analytical");
    assert!(area_start > 0.5, "the area column is not at the right: {area_start}");
    let english = english.path().join("N0.pdf");
    assert!(word_extent(&english, 1, "Analytical").0 < 0.2);
    assert!(word_extent(&english, 1, "Haddad").1 < 0.6);
    assert!(word_extent(&english, 1, "Layla").0 < word_extent(&english, 1, "Haddad").0);
    // The page images: the names in Arabic and in Chinese, and the Arabic labels, are drawn.
    assert_words_drawn(&pdf, 1, &["Layla", "Haddad", "الوحدات", "التخرج"]);
    assert_words_drawn(&out.path().join("N1.pdf"), 1, &["محمد", "عبد", "الله"]);
    assert_words_drawn(&out.path().join("N2.pdf"), 1, &["李小龙"]);
}
