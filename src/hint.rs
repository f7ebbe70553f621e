//! The wording every stage's messages share: a count with its noun, a quoted list, and the
//! "did you mean" guess for a name that is almost right.

/// `n` and the noun, plural unless `n` is 1: "1 student", "3 students".
pub fn plural<N: std::fmt::Display + PartialEq + From<u8>>(n: N, word: &str) -> String {
    let suffix = if n == N::from(1) { "" } else { "s" };
    format!("{n} {word}{suffix}")
}

/// Each item in double quotes, separated by commas: `"a", "b"`.
pub fn quoted<S: AsRef<str>>(items: &[S]) -> String {
    items.iter().map(|s| format!("\"{}\"", s.as_ref())).collect::<Vec<_>>().join(", ")
}

/// The candidate most like `wanted`, if any is close enough to be a likely typo.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| {
            (strsim::normalized_damerau_levenshtein(&wanted.to_lowercase(), &candidate.to_lowercase()), candidate)
        })
        .filter(|(score, _)| *score >= 0.6)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_and_ignores_strangers() {
        let candidates = ["how_to_read", "name", "address"];
        assert_eq!(closest("how_to_raed", candidates), Some("how_to_read"));
        assert_eq!(closest("adress", candidates), Some("address"));
        assert_eq!(closest("zzz", candidates), None);
    }

    #[test]
    fn counts_and_lists_read_as_english() {
        assert_eq!(plural(1u32, "student"), "1 student");
        assert_eq!(plural(0u32, "error"), "0 errors");
        assert_eq!(quoted(&["a", "b"]), "\"a\", \"b\"");
    }
}
