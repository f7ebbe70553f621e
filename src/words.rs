//! The words a reader sees, from the default template's locale files, which the Typst
//! template, the HTML page and the transcript's English descriptions all read: a sentence is
//! written once, in `templates/default/locale/<code>.json`, and nowhere in the code.
//!
//! The template picks and fills the same words in Typst (`method-text` in `transcript.typ`,
//! which a template author may change); [`method`] is the same rule in Rust, and the tests
//! check that the PDF and the HTML page say the same thing.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::Value;

/// The English locale of the default template: the words of the transcript's own English
/// descriptions (`description`, `rule`) and of `mastery explain`.
pub static ENGLISH: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../templates/default/locale/en.json")).expect("the English locale is JSON")
});

/// Fills `{name}` placeholders in one pass, so text from the data is never read as a
/// placeholder itself; a placeholder with no value is left as it is.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let key = &after[..close];
                match values.iter().find(|(k, _)| *k == key) {
                    Some((_, value)) => out.push_str(value),
                    None => {
                        out.push('{');
                        out.push_str(key);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// An aggregation method in words, from a locale's `methods` group: the entry named after the
/// method (`mode` with its tie's words as `{tie}`, `recent_window` by what it takes of the
/// window), filled with the parameters the transcript records for it.
pub fn method(methods: &Value, name: &str, parameters: &BTreeMap<String, String>) -> String {
    let words = |key: &str| methods.get(key).and_then(Value::as_str).unwrap_or(key).to_string();
    let parameter = |key: &str| parameters.get(key).cloned().unwrap_or_default();
    match name {
        "mode" => fill(&words("mode"), &[("tie", words(&format!("mode_tie_{}", parameter("tie"))))]),
        "recent_window" => fill(&words(&format!("recent_window_{}", parameter("of"))), &[("k", parameter("k"))]),
        "decaying_average" | "weighted_recent" => {
            fill(&words(name), &[("weight", parameter("weight_percent")), ("rest", parameter("rest_percent"))])
        }
        _ => fill(&words(name), &[("min_scores", parameter("min_scores")), ("n", parameter("n"))]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_placeholder_in_a_value_is_not_filled_again() {
        assert_eq!(fill("{a} and {b}", &[("a", "{b}".into()), ("b", "x".into())]), "{b} and x");
        assert_eq!(fill("{missing} {", &[]), "{missing} {");
    }

    #[test]
    fn every_method_has_its_english_words() {
        let methods = &ENGLISH["methods"];
        let parameters = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(
            method(methods, "mode", &parameters(&[("tie", "more_recent")])),
            "the most frequent score; a tie goes to the more recent score"
        );
        assert_eq!(
            method(methods, "recent_window", &parameters(&[("k", "3"), ("of", "highest")])),
            "the highest of the 3 most recent scores"
        );
        assert_eq!(
            method(methods, "decaying_average", &parameters(&[("weight_percent", "65"), ("rest_percent", "35")])),
            "a decaying average: each new score counts 65% and the running average before it 35%"
        );
        assert_eq!(method(methods, "median", &BTreeMap::new()), "the median of the scores");
    }
}
