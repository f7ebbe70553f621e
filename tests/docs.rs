use crate::common::{root, tool};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The Markdown a reader follows: the README, the guide's chapters and every other guide file.
fn documents() -> Vec<PathBuf> {
    let root = root();
    let mut files: Vec<PathBuf> =
        ["README.md", "ARCHITECTURE.md", "CHANGELOG.md", "tests/README.md", "bench/README.md", "templates/README.md"]
            .iter()
            .map(|f| root.join(f))
            .collect();
    let chapters = std::fs::read_dir(root.join("docs/src")).expect("docs/src is the guide");
    files.extend(chapters.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "md")));
    files.sort();
    files
}

/// The text outside fenced code blocks and inline code, where a link is a link.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Inline code spans: drop what is between backticks.
        let mut inside = false;
        for c in line.chars() {
            if c == '`' {
                inside = !inside;
            } else if !inside {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

/// The anchors of a Markdown file's headings, as GitHub and mdBook make them: lower case,
/// letters, digits, `-` and `_` kept, spaces made hyphens, the rest dropped; a repeated
/// heading gets `-1`, `-2`.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in prose(text).lines() {
        let Some(title) = line.strip_prefix('#').map(|t| t.trim_start_matches('#')) else { continue };
        if !title.starts_with(' ') {
            continue;
        }
        let slug: String = title
            .trim()
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let mut unique = slug.clone();
        let mut n = 1;
        while found.contains(&unique) {
            unique = format!("{slug}-{n}");
            n += 1;
        }
        found.insert(unique);
    }
    found
}

/// Every `[text](target)` and `![alt](target)` of the prose, with its line number.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (number, line) in prose(text).lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            found.push((number + 1, after[..end].to_string()));
            rest = &after[end..];
        }
    }
    found
}

/// What is wrong with one link of `file`, if anything.
fn broken(file: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (target, None),
    };
    let destination = if path.is_empty() { file.to_path_buf() } else { file.parent().unwrap().join(path) };
    let Ok(destination) = destination.canonicalize() else {
        return Some(format!("{path} does not exist"));
    };
    if !destination.starts_with(root().canonicalize().unwrap()) {
        return Some(format!("{path} is outside the repository"));
    }
    if let Some(anchor) = anchor {
        if destination.extension().is_none_or(|e| e != "md") {
            return Some(format!("#{anchor}: only a Markdown file has headings to point at"));
        }
        let text = std::fs::read_to_string(&destination).unwrap();
        if !anchors(&text).contains(anchor) {
            return Some(format!("{} has no heading whose anchor is #{anchor}", destination.display()));
        }
    }
    None
}

#[test]
fn every_link_of_the_readme_and_the_guide_resolves() {
    let mut problems = Vec::new();
    let mut count = 0;
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, target) in links(&text) {
            count += 1;
            if let Some(problem) = broken(&file, &target) {
                problems
                    .push(format!("{}:{line}: ({target}): {problem}", file.strip_prefix(root()).unwrap().display()));
            }
        }
    }
    assert!(count > 60, "the walk found the guide's links ({count})");
    assert!(problems.is_empty(), "broken links:\n{}", problems.join("\n"));
}

#[test]
fn the_link_check_sees_a_missing_file_and_a_missing_heading() {
    let readme = root().join("README.md");
    assert!(broken(&readme, "docs/src/issuing.md#the-states-of-a-transcript").is_none());
    assert!(broken(&readme, "docs/src/issuing.md#no-such-heading").is_some());
    assert!(broken(&readme, "docs/src/no-such-chapter.md").is_some());
    assert!(broken(&readme, "#the-user-guide").is_none());
    assert!(broken(&readme, "../outside").is_some());
    assert!(links("see `[not](a-link)` and\n```\n[nor](this)\n```\n[but](this.md)").len() == 1);
}

#[test]
fn every_chapter_is_in_the_summary_and_the_readme() {
    let root = root();
    let summary = std::fs::read_to_string(root.join("docs/src/SUMMARY.md")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let listed: BTreeSet<String> = links(&summary).into_iter().map(|(_, target)| target).collect();
    for chapter in documents().iter().filter(|p| p.starts_with(root.join("docs/src"))) {
        let name = chapter.file_name().unwrap().to_string_lossy().into_owned();
        if name == "SUMMARY.md" {
            continue;
        }
        assert!(listed.contains(&name), "docs/src/{name} is not in docs/src/SUMMARY.md, so the book leaves it out");
        assert!(
            readme.contains(&format!("(docs/src/{name})")),
            "the README's table of chapters has no link to docs/src/{name}"
        );
    }
    assert!(
        readme.lines().count() <= 250,
        "the README is a newcomer's first page: keep it under 250 lines and put the rest in the guide"
    );
}

#[test]
fn the_guide_builds_as_a_book() {
    let out = tempfile::tempdir().unwrap();
    let built =
        tool("mdbook").arg("build").arg(root().join("docs")).arg("--dest-dir").arg(out.path()).output().unwrap();
    assert!(built.status.success(), "mdbook build docs failed:\n{}", String::from_utf8_lossy(&built.stderr));
    let log = String::from_utf8_lossy(&built.stderr);
    assert!(!log.contains("WARN") && !log.contains("ERROR"), "mdbook warned:\n{log}");
    // The commands table is written once, in the README, and included in the book.
    let commands = std::fs::read_to_string(out.path().join("commands.html")).unwrap();
    assert!(
        commands.contains("<code>mastery validate SCHOOL_DIR"),
        "the book's Commands chapter lacks the README's table"
    );
    assert!(!commands.contains("{{#include"), "an include was left unresolved");
    assert!(out.path().join("console/students.png").is_file(), "the console's pictures are in the book");
}
