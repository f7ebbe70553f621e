//! The files of a pack besides the PDFs: names that every portal takes, the index of a Slate
//! import and the learners file of Parchment.

use unicode_normalization::UnicodeNormalization;

use super::Packed;

/// The most characters of a student's name kept in a file name.
const NAME_CHARS: usize = 60;

/// A file name every portal and file system takes: ASCII letters, digits, `-` and `_`, from
/// the student's name (accents dropped: "Zoë Núñez" gives `Zoe_Nunez`; a name in a script
/// without Latin letters gives nothing) and id, ending in `_Transcript.pdf`, such as
/// `Zoe_Nunez_hv-2026-004_Transcript.pdf`.
pub fn safe_file_name(name: &str, id: &str) -> String {
    let name = ascii_words(name, NAME_CHARS);
    let id = ascii_words(id, NAME_CHARS);
    match (name.is_empty(), id.is_empty()) {
        (false, false) => format!("{name}_{id}_Transcript.pdf"),
        (true, false) => format!("{id}_Transcript.pdf"),
        (false, true) => format!("{name}_Transcript.pdf"),
        (true, true) => "Transcript.pdf".to_string(),
    }
}

/// The ASCII letters and digits of `text` (and `-`), accents taken off, every other run of
/// characters one `_`, at most `most` characters.
fn ascii_words(text: &str, most: usize) -> String {
    let mut out = String::new();
    let mut gap = false;
    let spelled = text.chars().map(|c| latin_without_accent(c).map_or_else(|| c.to_string(), str::to_string));
    for c in spelled.collect::<String>().nfkd() {
        if c.is_ascii_alphanumeric() || c == '-' {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c);
        } else if !unicode_normalization::char::is_combining_mark(c) {
            gap = true;
        }
        if out.len() >= most {
            break;
        }
    }
    out.truncate(most);
    out.trim_end_matches(['_', '-']).to_string()
}

/// The ASCII spelling of a Latin letter that is not an ASCII letter with marks (so taking the
/// marks off does not give it): `Ł` is `L`, `Þ` is `Th`, `ß` is `ss`.
fn latin_without_accent(c: char) -> Option<&'static str> {
    Some(match c {
        'Ł' => "L",
        'ł' => "l",
        'Ø' => "O",
        'ø' => "o",
        'Đ' | 'Ð' => "D",
        'đ' | 'ð' => "d",
        'Þ' => "Th",
        'þ' => "th",
        'ß' => "ss",
        'Æ' => "AE",
        'æ' => "ae",
        'Œ' => "OE",
        'œ' => "oe",
        'Ħ' => "H",
        'ħ' => "h",
        'ı' => "i",
        'Ŧ' => "T",
        'ŧ' => "t",
        _ => return None,
    })
}

/// The index of a Slate Document Import Processor batch: tab-delimited, every value in double
/// quotes (a quote inside doubled), a header row, one row per PDF, CRLF line ends.
pub(super) fn slate_index(packed: &[Packed]) -> Vec<u8> {
    let header = ["Student ID", "Name", "Birth Date", "Graduation Date", "Type", "Issued", "Credential", "Filename"];
    let mut text = row(&header);
    for p in packed {
        text.push_str(&row(&[
            &p.student,
            &p.name,
            p.birth_date.as_deref().unwrap_or(""),
            &p.expected_graduation,
            "transcript",
            &p.issue_date,
            &p.credential_id,
            &p.file,
        ]));
    }
    text.into_bytes()
}

fn row(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("\"{}\"", v.replace('"', "\"\""))).collect();
    format!("{}\r\n", quoted.join("\t"))
}

/// Parchment's learners file: a CSV with a header row and one row per learner, naming the
/// PDF that is the learner's transcript. Every value is filled (Parchment refuses a file with
/// a blank field); a name that begins with `=`, `+`, `-` or `@` is written after a `'`, so a
/// spreadsheet that opens the file shows it rather than runs it.
pub(super) fn learners_csv(packed: &[Packed]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let header = ["Student ID", "Full Name", "Date of Birth", "Graduation Date", "Credential File"];
    writer.write_record(header).expect("writing to memory");
    for p in packed {
        let record = [
            cell(&p.student),
            cell(&p.name),
            p.birth_date.clone().unwrap_or_default(),
            p.expected_graduation.clone(),
            p.file.clone(),
        ];
        writer.write_record(&record).expect("writing to memory");
    }
    writer.into_inner().expect("writing to memory")
}

/// A value as a spreadsheet shows it, never as a formula.
fn cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_latin_letters_and_ids_only() {
        assert_eq!(safe_file_name("Zoë Núñez", "hv-2026-004"), "Zoe_Nunez_hv-2026-004_Transcript.pdf");
        assert_eq!(safe_file_name("Mary-Kate O'Brien", "S1"), "Mary-Kate_O_Brien_S1_Transcript.pdf");
        assert_eq!(safe_file_name("ليلى حداد", "hv-2026-011"), "hv-2026-011_Transcript.pdf");
        assert_eq!(safe_file_name("Łukasz Żółkiewski", "4"), "Lukasz_Zolkiewski_4_Transcript.pdf");
        assert_eq!(safe_file_name("Björn Þórsson", "5"), "Bjorn_Thorsson_5_Transcript.pdf");
        assert_eq!(safe_file_name("../../etc/passwd", "a/b"), "etc_passwd_a_b_Transcript.pdf");
        assert_eq!(safe_file_name("", ""), "Transcript.pdf");
        let long = "A".repeat(300);
        assert!(safe_file_name(&long, "1").len() < 80);
    }

    #[test]
    fn index_values_are_quoted_and_tab_separated() {
        assert_eq!(row(&["a\"b", "c"]), "\"a\"\"b\"\t\"c\"\r\n");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
