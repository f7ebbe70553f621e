//! The quick way to a [`Tape`]: a reader made for the records as they come, that either builds
//! the very tape serde_json's reader would build from the same text or declines.
//!
//! It reads the text's structure itself and leaves to serde_json every part whose exact value
//! takes its rules to decide: a string with an escape (decoded by serde_json, which also refuses
//! what it refuses) and every number but a plain integer (fractions, exponents, integers too
//! long for 18 digits, and `-0`, which serde_json reads as a float). It declines (gives `None`)
//! wherever it is not sure the text is JSON that serde_json reads without an error: a syntax
//! error, a repeated name, nesting deeper than it allows. [`Tape::parse`] then reads the text
//! again with serde_json, whose verdict and message stand. So the quick reader can only ever
//! save time: when it gives a tape, the tape is serde_json's.

use serde_json::Number;

use super::{Builder, Item, Member, Tape, Text};

/// Deeper than this, the quick reader leaves the text to serde_json, which refuses nesting
/// deeper than 127 (and whose stack use is then its own).
const MAX_DEPTH: u32 = 100;

/// The digits of an integer that always fits in an `i64` and a `u64`: 10^18 is under 2^63.
const MAX_PLAIN_DIGITS: usize = 18;

/// The tape serde_json's reader builds from `text` (less than 4 GiB long), or `None` where the
/// text is not plain enough to be sure of that.
pub(super) fn read(text: &str) -> Option<Tape> {
    let mut scanner = Scanner { at: 0, depth: 0, builder: Builder::new(text) };
    let root = scanner.value()?;
    scanner.skip_space();
    if scanner.at != text.len() {
        return None;
    }
    let mut tape = scanner.builder.tape;
    tape.root = root;
    Some(tape)
}

struct Scanner<'t> {
    at: usize,
    depth: u32,
    builder: Builder<'t>,
}

/// The bytes that end a run of a string's plain characters: its closing quote, an escape, or a
/// control character, which JSON does not allow unescaped.
static STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        stops[byte] = true;
        byte += 1;
    }
    stops[b'"' as usize] = true;
    stops[b'\\' as usize] = true;
    stops
};

/// Where the run of a string's plain bytes that starts at `at` ends: at the first stop (see
/// `STOPS`), or at the end of the text. Eight bytes at a time: a byte of a word is flagged when it
/// equals a quote or a backslash (its XOR with them is zero) or is below 0x20, by the usual
/// bit tricks; a flag can be wrong only above a right one, so the lowest flag is the first stop.
fn plain_end(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let below = |word: u64, limit: u8| word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGHS;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("a slice of eight bytes"));
        let stops =
            below(word ^ (ONES * u64::from(b'"')), 1) | below(word ^ (ONES * u64::from(b'\\')), 1) | below(word, 0x20);
        if stops != 0 {
            return at + (stops.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while bytes.get(at).is_some_and(|byte| !STOPS[*byte as usize]) {
        at += 1;
    }
    at
}

impl<'t> Scanner<'t> {
    /// The record's text, which the builder holds.
    fn bytes(&self) -> &'t [u8] {
        self.builder.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    /// Skips what JSON counts as white space (serde_json's four characters).
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Skips white space, then the byte `expected`, if it is the next one.
    fn eat(&mut self, expected: u8) -> bool {
        self.skip_space();
        let found = self.peek() == Some(expected);
        if found {
            self.at += 1;
        }
        found
    }

    /// One value (after white space); its item's index.
    fn value(&mut self) -> Option<u32> {
        self.skip_space();
        let item = match self.peek()? {
            b'{' => return self.object(),
            b'[' => return self.array(),
            b'"' => Item::String(self.string()?),
            b'n' => self.word(b"null", Item::Null)?,
            b't' => self.word(b"true", Item::Bool(true))?,
            b'f' => self.word(b"false", Item::Bool(false))?,
            b'-' | b'0'..=b'9' => return self.number(),
            _ => return None,
        };
        Some(self.builder.push(item))
    }

    fn word(&mut self, word: &[u8], item: Item) -> Option<Item> {
        let found = self.bytes()[self.at..].starts_with(word);
        self.at += word.len();
        found.then_some(item)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        self.at += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn array(&mut self) -> Option<u32> {
        self.enter()?;
        let start = self.builder.pending.len();
        if !self.eat(b']') {
            loop {
                let item = self.value()?;
                self.builder.pending.push(Member { name: Text::Range(0, 0), item });
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
        self.depth -= 1;
        let (first, len) = self.builder.close(start);
        Some(self.builder.push(Item::Array { first, len }))
    }

    fn object(&mut self) -> Option<u32> {
        self.enter()?;
        let start = self.builder.pending.len();
        if !self.eat(b'}') {
            loop {
                self.skip_space();
                if self.peek() != Some(b'"') {
                    return None;
                }
                let name = self.string()?;
                if !self.eat(b':') {
                    return None;
                }
                let item = self.value()?;
                self.builder.pending.push(Member { name, item });
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
            }
        }
        if self.builder.repeats_a_name(start) {
            return None;
        }
        self.depth -= 1;
        let (first, len) = self.builder.close(start);
        Some(self.builder.push(Item::Object { first, len }))
    }

    /// The string whose opening quote is the next byte. Without escapes it is its range of the
    /// text, as serde_json lends it; with one, serde_json decodes it.
    fn string(&mut self) -> Option<Text> {
        let open = self.at;
        let at = plain_end(self.bytes(), open + 1);
        match *self.bytes().get(at)? {
            b'"' => {
                self.at = at + 1;
                // Under 4 GiB, as the whole text is.
                Some(Text::Range(open as u32 + 1, at as u32))
            }
            b'\\' => self.escaped(open, at),
            _ => None,
        }
    }

    /// The string opened at `open` that has an escape at `at`: found to its closing quote, and
    /// decoded by serde_json.
    fn escaped(&mut self, open: usize, mut at: usize) -> Option<Text> {
        loop {
            match *self.bytes().get(at)? {
                b'\\' => at += 2,
                b'"' => break,
                _ => at += 1,
            }
        }
        self.at = at + 1;
        // Both ends are quotes, so the slice falls on character boundaries.
        let decoded: String = serde_json::from_str(&self.builder.text[open..self.at]).ok()?;
        Some(self.builder.keep(decoded))
    }

    /// A number: a plain integer read here, any other by serde_json.
    fn number(&mut self) -> Option<u32> {
        let start = self.at;
        let bytes = self.bytes();
        let negative = bytes[start] == b'-';
        let digits = start + usize::from(negative);
        let mut at = digits;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let plain = at > digits
            && at - digits <= MAX_PLAIN_DIGITS
            && (at - digits == 1 || bytes[digits] != b'0')
            && !matches!(bytes.get(at), Some(b'.' | b'e' | b'E'));
        let integer = if plain {
            bytes[digits..at].iter().fold(0u64, |sum, digit| sum * 10 + u64::from(digit - b'0'))
        } else {
            0
        };
        let number = if plain && !negative {
            Number::from(integer)
        } else if plain && integer != 0 {
            // At most 18 digits: the negation fits.
            Number::from(-(integer as i64))
        } else {
            while let Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            // Every byte of it is ASCII, so the slice falls on character boundaries.
            serde_json::from_str(&self.builder.text[start..at]).ok()?
        };
        self.at = at;
        Some(self.builder.push_number(number))
    }
}

#[allow(clippy::disallowed_types, reason = "generated JSON numbers for the property test")]
#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What serde_json's reader makes of `text`, when it reads it.
    fn slow(text: &str) -> Option<Tape> {
        Tape::parse_with_serde_json(text).ok()
    }

    /// The quick reader either declines or gives serde_json's tape, whole.
    fn agrees(text: &str) -> Result<(), TestCaseError> {
        if let Some(quick) = read(text) {
            prop_assert_eq!(Some(quick), slow(text), "{}", text);
        }
        Ok(())
    }

    #[test]
    fn it_reads_what_serde_json_reads_into_the_same_tape() {
        let names = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/names.tsv")).unwrap();
        let mut texts: Vec<String> =
            names.lines().map(|line| serde_json::json!({ "name": line, "n": [line, 1] }).to_string()).collect();
        texts.extend(
            [
                r#"{"a": "tab\tquote\" slash\/ \u00e9 \ud83d\ude00", "\u0062": [1, -2, 3.5, 1e3, -0, 0, 0.1, 1E-2]}"#,
                r#"[18446744073709551615, 18446744073709551616, -9223372036854775808, 123456789012345678]"#,
                r#"[999999999999999999, 1000000000000000000, -999999999999999999, -1000000000000000000]"#,
                r#"[[], {}, [[{}]], null, true, false, "", {"": ""}, "\\", "a\\\"b"]"#,
                " \r\n\t\"a string alone\"\t\r\n ",
                "12",
                "-7",
            ]
            .map(str::to_string),
        );
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/example-school/students");
        for entry in std::fs::read_dir(example).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            texts.extend(text.lines().map(str::to_string));
            texts.push(text);
        }
        for text in texts {
            if serde_json::from_str::<serde_json::Value>(&text).is_ok() {
                let quick = read(&text).unwrap_or_else(|| panic!("declined {text}"));
                assert_eq!(Some(quick), slow(&text), "{text}");
            }
        }
    }

    #[test]
    fn it_declines_what_serde_json_refuses() {
        let deep = format!("{}{}", "[".repeat(127), "]".repeat(127));
        let texts = [
            "",
            " ",
            "{",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\": 1,}",
            "{,}",
            "[,1]",
            "{\"a\": 1 \"b\": 2}",
            "{1: 2}",
            "nul",
            "truex",
            "[fals]",
            "01",
            "-",
            "-01",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "0x10",
            "1e400",
            "[1.5.3]",
            "[1e5-2]",
            "\"a",
            "\"a\\\"",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\u{1}\"",
            "\"tab\tin\"",
            "{} x",
            "1 2",
            "\u{feff}1",
            "{\"a\": 1, \"a\": 2}",
            "{\"a\": 1, \"\\u0061\": 2}",
            "NaN",
            "[Infinity]",
            &deep,
        ];
        for text in texts {
            assert!(read(text).is_none(), "{text:?}");
        }
        // Within the depth it reads nesting serde_json reads.
        let nested = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(read(&nested), slow(&nested));
    }

    fn json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::String),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec(("[a-c\\\\\"é]{0,3}", inner), 0..8)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn a_strings_plain_run_ends_at_its_first_stop(
            bytes in prop::collection::vec(prop_oneof![1 => Just(b'"'), 1 => Just(b'\\'), 1 => 0u8..0x20, 12 => 0x20u8..=0xff], 0..40),
            start in any::<prop::sample::Index>(),
        ) {
            let at = start.index(bytes.len() + 1);
            let first = (at..bytes.len()).find(|i| STOPS[bytes[*i] as usize]).unwrap_or(bytes.len());
            prop_assert_eq!(plain_end(&bytes, at), first, "{:?} from {}", bytes, at);
        }

        #[test]
        fn it_gives_serde_jsons_tape_for_any_json(value in json(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) };
            let text = text.unwrap();
            let quick = read(&text);
            prop_assert!(quick.is_some(), "declined {}", text);
            prop_assert_eq!(quick, slow(&text));
        }

        #[test]
        fn it_declines_or_agrees_on_mutilated_json(
            value in json(),
            cuts in prop::collection::vec((any::<prop::sample::Index>(), "[\\[\\]{}\",:\\\\0-9eE.+\\- a\\x00-\\x1f]{0,2}"), 1..4),
        ) {
            let mut text = serde_json::to_string(&value).unwrap();
            for (place, insert) in cuts {
                let mut at = place.index(text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let end = (at + 1..=text.len()).find(|end| text.is_char_boundary(*end)).unwrap_or(at);
                text.replace_range(at..end, &insert);
            }
            agrees(&text)?;
        }

        #[test]
        fn it_declines_or_agrees_on_any_text(text in "[\\[\\]{}\",:\\\\0-9eE.+\\-tnrulfase \\x00-\\x1f\\PC]{0,40}") {
            agrees(&text)?;
        }
    }
}
