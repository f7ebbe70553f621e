//! One JSON record from its bytes: decoded, parsed, and refused when it is ambiguous.
//!
//! Two kinds of JSON that parsers read differently are refused with their places, so that no
//! record means one thing to the registrar's editor and another to `mastery`:
//! - an object with the same key twice (`{"score": 4, "score": 1}`): parsers keep the first,
//!   the last, or both;
//! - a number `mastery` cannot compute with exactly: more than [`MAX_DIGITS`] significant
//!   digits, more than [`MAX_DECIMALS`] after the decimal point, or [`MAX_MAGNITUDE`] and more.
//!   Such a number would be rounded on reading (a weight of `1e-29` becomes 0).

use std::path::Path;

use jsonc_parser::ast;
use jsonc_parser::common::Ranged;

use crate::diag::{Diagnostic, Position};
use crate::document::Document;
use crate::document::tape::{DUPLICATE, Tape};

/// The most significant digits a number may have: all of them survive the reading.
pub const MAX_DIGITS: usize = 15;
/// The most digits after the decimal point.
pub const MAX_DECIMALS: i32 = 10;
/// Numbers must stay below this, in absolute value.
#[allow(clippy::disallowed_types, reason = "a bound checked against the double a JSON reader would make of the number")]
pub const MAX_MAGNITUDE: f64 = 1e12;

pub(super) const LIMITS: &str = "numbers may have at most 15 significant digits, at most 10 after the decimal point, and stay below 1,000,000,000,000";

/// Decodes and parses the bytes of one JSON record that starts on `first_line` of its file. A
/// leading byte-order mark is dropped, and CRLF line ends are fine, as JSON allows any
/// whitespace. A record that cannot be read gives its problems, each with its place.
pub fn parse_json(path: &Path, bytes: Vec<u8>, first_line: usize) -> Result<Document, Vec<Diagnostic>> {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes());
            return Err(vec![
                Diagnostic::error(path, "file is not valid UTF-8 text")
                    .in_text(&text, Position::of_range(&text, valid, valid + 1), first_line)
                    .hint("save the file as UTF-8 (most spreadsheet and editor \"save as\" dialogs offer it)"),
            ]);
        }
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    if text.trim().is_empty() {
        return Err(vec![
            Diagnostic::error(path, "file is empty")
                .at(Position { line: 1, column: 1, start: 0, end: 0 })
                .hint("write a JSON object into it, or delete it"),
        ]);
    }
    match Tape::parse(&text) {
        Ok(tape) => {
            let inexact = inexact_numbers(&text);
            if !inexact.is_empty() {
                let pointers = number_pointers(&text);
                return Err(inexact
                    .into_iter()
                    .map(|(start, end, reason)| {
                        let number = &text[start..end];
                        let diagnostic = Diagnostic::error(
                            path,
                            format!("the number {number} {reason}, so it cannot be read exactly"),
                        )
                        .in_text(&text, Position::of_range(&text, start, end), first_line)
                        .hint(LIMITS);
                        match pointers.iter().find(|(at, _)| *at == start) {
                            Some((_, pointer)) => diagnostic.pointer(pointer.clone()),
                            None => diagnostic,
                        }
                    })
                    .collect());
            }
            Ok(Document::read(path.to_path_buf(), text, first_line, tape))
        }
        Err(error) => {
            let duplicate = error.to_string().starts_with(DUPLICATE);
            if duplicate {
                let found = duplicate_keys(path, &text, first_line);
                // The syntax tree names both places; when it cannot be built (text after the
                // object, say), the parser's own place, the end of the object, still says where.
                if !found.is_empty() {
                    return Err(found);
                }
            }
            // serde_json counts columns in bytes; turn that into a character column.
            let line_start: usize = text.split_inclusive('\n').take(error.line().saturating_sub(1)).map(str::len).sum();
            let offset = line_start + error.column().saturating_sub(1);
            let message = error.to_string();
            let cause = message.split(" at line ").next().unwrap_or(&message);
            let diagnostic = if duplicate {
                Diagnostic::error(path, "a key appears twice in the object that ends here").hint(KEEP_ONE)
            } else {
                Diagnostic::error(path, format!("failed to parse JSON ({cause})"))
                    .hint("fix the JSON syntax here; a JSON linter or editor shows the same spot")
            };
            Err(vec![diagnostic.in_text(&text, Position::of_range(&text, offset, offset + 1), first_line)])
        }
    }
}

/// The fix for a repeated key.
const KEEP_ONE: &str = "keep one of the two: programs disagree on which one counts";

/// Every repeated key of the text, at its second (and later) place, with the first named.
fn duplicate_keys(path: &Path, text: &str, first_line: usize) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if let Ok(parsed) = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default())
        && let Some(value) = parsed.value
    {
        walk_for_duplicates(&value, String::new(), &mut found);
    }
    found
        .into_iter()
        .map(|(pointer, name, first, again)| {
            let first = Position::of_range(text, first, first);
            let again = Position::of_range(text, again, again + name.len() + 2);
            Diagnostic::error(
                path,
                format!(
                    "the key \"{name}\" appears twice in this object (first on line {}, column {})",
                    first.line + first_line - 1,
                    first.column
                ),
            )
            .in_text(text, again, first_line)
            .pointer(pointer)
            .hint(KEEP_ONE)
        })
        .collect()
}

/// (pointer, key, offset of the first, offset of the repeat) for every repeated key.
fn walk_for_duplicates(value: &ast::Value, pointer: String, found: &mut Vec<(String, String, usize, usize)>) {
    match value {
        ast::Value::Object(object) => {
            for (i, property) in object.properties.iter().enumerate() {
                let name = property.name.as_str();
                let escaped = name.replace('~', "~0").replace('/', "~1");
                if let Some(first) = object.properties[..i].iter().find(|p| p.name.as_str() == name) {
                    found.push((
                        format!("{pointer}/{escaped}"),
                        name.to_string(),
                        first.name.range().start,
                        property.name.range().start,
                    ));
                }
                walk_for_duplicates(&property.value, format!("{pointer}/{escaped}"), found);
            }
        }
        ast::Value::Array(array) => {
            for (i, element) in array.elements.iter().enumerate() {
                walk_for_duplicates(element, format!("{pointer}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// The JSON Pointer of every number of a text, by its offset.
fn number_pointers(text: &str) -> Vec<(usize, String)> {
    fn walk(value: &ast::Value, pointer: String, found: &mut Vec<(usize, String)>) {
        match value {
            ast::Value::NumberLit(number) => found.push((number.range().start, pointer)),
            ast::Value::Object(object) => {
                for property in &object.properties {
                    let escaped = property.name.as_str().replace('~', "~0").replace('/', "~1");
                    walk(&property.value, format!("{pointer}/{escaped}"), found);
                }
            }
            ast::Value::Array(array) => {
                for (i, element) in array.elements.iter().enumerate() {
                    walk(element, format!("{pointer}/{i}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    if let Ok(parsed) = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default())
        && let Some(value) = parsed.value
    {
        walk(&value, String::new(), &mut found);
    }
    found
}

/// The numbers of a JSON text that cannot be read exactly: (start, end, why), in order.
fn inexact_numbers(text: &str) -> Vec<(usize, usize, &'static str)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Skip the string: to the next quote that no backslash escapes.
                i += 1;
                while let Some(at) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                    i += at;
                    if bytes[i] == b'\\' {
                        i += 2;
                    } else {
                        break;
                    }
                }
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < bytes.len() && matches!(bytes[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                    i += 1;
                }
                if let Some(reason) = inexact(&text[start..i]) {
                    found.push((start, i, reason));
                }
            }
            _ => i += 1,
        }
    }
    found
}

/// Why a JSON number cannot be read exactly, if it cannot.
pub(super) fn inexact(number: &str) -> Option<&'static str> {
    let unsigned = number.strip_prefix('-').unwrap_or(number);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], unsigned[at + 1..].parse::<i32>().unwrap_or(0)),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = whole.chars().chain(fraction.chars()).collect();
    let significant = digits.trim_start_matches('0');
    if significant.is_empty() {
        return None; // zero
    }
    let significant_digits = significant.trim_end_matches('0');
    if significant_digits.len() > MAX_DIGITS {
        return Some("has more than 15 significant digits");
    }
    // The place of the last significant digit, as a power of ten.
    let trailing_zeros = (significant.len() - significant_digits.len()) as i32;
    let last_place = exponent - fraction.len() as i32 + trailing_zeros;
    if last_place < -MAX_DECIMALS {
        return Some("has more than 10 digits after the decimal point");
    }
    // The place of the first significant digit.
    let first_place = last_place + significant_digits.len() as i32 - 1;
    if first_place >= 12 {
        return Some("is too large");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        parse_json(Path::new("x.json"), text.as_bytes().to_vec(), 1)
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        assert_eq!(
            problems("{\n  \"a\": ,\n}"),
            [
                "x.json:2:8: failed to parse JSON (expected value)\n  hint: fix the JSON syntax here; a JSON linter or editor shows the same spot"
            ]
        );
    }

    #[test]
    fn a_repeated_key_before_trailing_text_is_refused_with_a_place() {
        // The parser stops at the repeated key; the syntax tree, which would name both places,
        // cannot be built over the trailing text, and the parser's own place is used (found by
        // the fuzz target).
        assert_eq!(
            problems("{\"a\": 1, \"a\": 2} x"),
            [
                "x.json:1:16: a key appears twice in the object that ends here\n  hint: keep one of the two: programs disagree on which one counts"
            ]
        );
    }

    #[test]
    fn a_json_lines_record_reports_the_line_of_the_file() {
        let error = parse_json(Path::new("x.jsonl"), b"{\"a\": }".to_vec(), 7).unwrap_err();
        assert_eq!(error[0].position.map(|p| (p.line, p.column)), Some((7, 7)));
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let document = parse_json(Path::new("x.json"), b"\xef\xbb\xbf{\"a\": 1}".to_vec(), 1).unwrap();
        assert_eq!(document.value()["a"], 1);
    }

    #[test]
    fn a_repeated_key_is_refused_at_both_places() {
        let found =
            problems("{\n  \"evidence\": [{\"score\": 4,\n    \"score\": 1}],\n  \"id\": \"a\", \"id\": \"b\"\n}");
        assert_eq!(
            found,
            [
                "x.json:3:5: /evidence/0/score: the key \"score\" appears twice in this object (first on line 2, column 17)\n  hint: keep one of the two: programs disagree on which one counts",
                "x.json:4:14: /id: the key \"id\" appears twice in this object (first on line 4, column 3)\n  hint: keep one of the two: programs disagree on which one counts",
            ]
        );
    }

    #[test]
    fn numbers_that_would_be_rounded_are_refused() {
        for (number, fine) in [
            ("1e-29", false),
            ("0.00000000001", false),
            ("0.0000000001", true),
            ("3.1415926535897932", false),
            ("12345678901.2345", true),
            ("123456789012345", false),
            ("1234567890123456", false),
            ("1000000000000", false),
            ("999999999999", true),
            ("2.50", true),
            ("-0.65", true),
            ("0", true),
            ("1.5E3", true),
            ("0.10000000000000000001", false),
        ] {
            assert_eq!(inexact(number).is_none(), fine, "{number}");
        }
        let found = problems("{\"weight\": 1e-29, \"note\": \"1e-29 in a string is text\"}");
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .starts_with("x.json:1:12: /weight: the number 1e-29 has more than 10 digits after the decimal point"),
            "{}",
            found[0]
        );
    }
}
