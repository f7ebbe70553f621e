//! The shape of `src/`, checked: no module depends on another that depends back on it, directly
//! or round about; no layer of ARCHITECTURE.md's list uses a higher one; nothing that runs names
//! a path outside the repository. Run it alone with `cargo test --release architecture`.
//!
//! Every `crate::`, `super::` and `self::` path in a file (in `use` items, types and
//! expressions) is an edge between modules, taken between the two siblings under their nearest
//! common parent: `batch::plan` naming `crate::load::file` makes `batch` depend on `load`, and
//! `batch::plan` naming `super::produce::Producer` makes `plan` depend on `produce`. A module
//! and the modules inside it may use each other freely. The library (`lib.rs`) and the binary
//! (`main.rs` and `cmd/`) are two crates, checked apart.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

use crate::common::root;

/// A module path, such as `["build", "plan"]`; the crate root is empty.
type ModulePath = Vec<String>;

/// The modules of one crate, by path, each with its file.
fn modules(src: &Path, in_crate: impl Fn(&Path) -> bool) -> BTreeMap<ModulePath, PathBuf> {
    let mut found = BTreeMap::new();
    let mut folders = vec![src.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let relative = path.strip_prefix(src).unwrap();
            if path.extension().is_none_or(|e| e != "rs") || !in_crate(relative) {
                continue;
            }
            let mut module: ModulePath =
                relative.with_extension("").iter().map(|part| part.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                module.pop();
            }
            found.insert(module, path);
        }
    }
    found
}

/// The paths a file names, resolved to absolute module-and-item paths.
struct Paths {
    /// The file's module, then any inline modules (`mod tests { ... }`) being read.
    here: ModulePath,
    named: Vec<ModulePath>,
}

impl Paths {
    /// `segments` resolved from where they are named; `None` for a path not from this crate.
    fn resolve(&self, segments: &[String]) -> Option<ModulePath> {
        let mut base = self.here.clone();
        let mut rest = segments;
        match segments.first().map(String::as_str) {
            Some("crate") => {
                base.clear();
                rest = &segments[1..];
            }
            Some("self") => rest = &segments[1..],
            Some("super") => {
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            _ => return None,
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// Every path a `use` tree names, whole, from `prefix`.
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => self.name(prefix, &name.ident),
            syn::UseTree::Rename(rename) => self.name(prefix, &rename.ident),
            syn::UseTree::Glob(_) => self.push(prefix.clone()),
            syn::UseTree::Group(group) => group.items.iter().for_each(|item| self.use_tree(prefix, item)),
        }
    }

    /// `prefix::ident`, or `prefix` alone for `prefix::{self}`.
    fn name(&mut self, prefix: &[String], ident: &syn::Ident) {
        let mut segments = prefix.to_vec();
        if ident != "self" {
            segments.push(ident.to_string());
        }
        self.push(segments);
    }

    fn push(&mut self, segments: Vec<String>) {
        if let Some(path) = self.resolve(&segments) {
            self.named.push(path);
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.here.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.here.pop();
    }
}

/// The dependencies between sibling modules: from each module, the siblings it names, with
/// the files that name them.
fn dependencies(
    modules: &BTreeMap<ModulePath, PathBuf>,
) -> BTreeMap<ModulePath, BTreeMap<ModulePath, BTreeSet<PathBuf>>> {
    let mut graph: BTreeMap<ModulePath, BTreeMap<ModulePath, BTreeSet<PathBuf>>> = BTreeMap::new();
    for (module, file) in modules {
        let text = std::fs::read_to_string(file).unwrap();
        let syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut paths = Paths { here: module.clone(), named: Vec::new() };
        paths.visit_file(&syntax);
        for named in paths.named {
            // The module the path is in: its longest prefix that is a module.
            let Some(target) = (0..=named.len()).rev().map(|n| &named[..n]).find(|p| modules.contains_key(*p)) else {
                continue;
            };
            let common = module.iter().zip(target).take_while(|(a, b)| a == b).count();
            if common == module.len() || common == target.len() {
                continue; // a module and one inside it
            }
            let (from, to) = (module[..=common].to_vec(), target[..=common].to_vec());
            graph.entry(from).or_default().entry(to).or_default().insert(file.clone());
        }
    }
    graph
}

/// A cycle in the graph, if there is one, as the modules along it and back to the first.
fn cycle(graph: &BTreeMap<ModulePath, BTreeMap<ModulePath, BTreeSet<PathBuf>>>) -> Option<Vec<ModulePath>> {
    fn visit(
        node: &ModulePath,
        graph: &BTreeMap<ModulePath, BTreeMap<ModulePath, BTreeSet<PathBuf>>>,
        done: &mut BTreeSet<ModulePath>,
        stack: &mut Vec<ModulePath>,
    ) -> Option<Vec<ModulePath>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut found = stack[at..].to_vec();
            found.push(node.clone());
            return Some(found);
        }
        if !done.insert(node.clone()) {
            return None;
        }
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if let Some(found) = visit(next, graph, done, stack) {
                return Some(found);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

/// Checks that the modules of a crate form no cycle, and that the graph holds a dependency we
/// know is there (`from` uses `to`), so that a reader that sees nothing cannot pass.
fn assert_acyclic(what: &str, modules: &BTreeMap<ModulePath, PathBuf>, from: &[&str], to: &[&str]) {
    let graph = dependencies(modules);
    let path = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<ModulePath>();
    assert!(graph.get(&path(from)).is_some_and(|uses| uses.contains_key(&path(to))), "{from:?} uses {to:?}: {graph:?}");
    if let Some(cycle) = cycle(&graph) {
        let name = |m: &ModulePath| if m.is_empty() { "crate".to_string() } else { m.join("::") };
        let mut text = format!("the {what}'s modules depend on each other in a circle:\n");
        for pair in cycle.windows(2) {
            let files = &graph[&pair[0]][&pair[1]];
            let files: Vec<String> =
                files.iter().map(|f| f.strip_prefix(root()).unwrap_or(f).display().to_string()).collect();
            text.push_str(&format!("  {} uses {} (in {})\n", name(&pair[0]), name(&pair[1]), files.join(", ")));
        }
        text.push_str("move what both need into a module of its own, below both");
        panic!("{text}");
    }
}

fn is_binary(relative: &Path) -> bool {
    relative == Path::new("main.rs") || relative.starts_with("cmd")
}

#[test]
fn no_two_modules_of_the_library_depend_on_each_other() {
    assert_acyclic("library", &modules(&root().join("src"), |file| !is_binary(file)), &["batch"], &["intake"]);
}

#[test]
fn no_two_commands_of_the_binary_depend_on_each_other() {
    assert_acyclic("binary", &modules(&root().join("src"), is_binary), &["cmd", "build"], &["cmd", "report"]);
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let graph = BTreeMap::from([
        (vec!["a".to_string()], BTreeMap::from([(vec!["b".to_string()], BTreeSet::new())])),
        (vec!["b".to_string()], BTreeMap::from([(vec!["c".to_string()], BTreeSet::new())])),
        (vec!["c".to_string()], BTreeMap::from([(vec!["a".to_string()], BTreeSet::new())])),
    ]);
    assert_eq!(cycle(&graph).map(|c| c.len()), Some(4));
    let mut acyclic = graph.clone();
    acyclic.remove(&vec!["c".to_string()]);
    assert_eq!(cycle(&acyclic), None);
}

/// Every crate and its features as `cargo tree` resolves them over the given kinds of edges.
fn resolved(edges: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = std::process::Command::new(cargo)
        .args(["tree", "--offline", "--locked", "-e", edges, "-f", "{p} {f}", "--prefix", "none"])
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).lines().map(|line| line.trim_end_matches(" (*)").to_string()).collect()
}

#[test]
fn the_tests_reuse_the_release_build_of_the_binary() {
    // A crate whose features differ between `cargo build` and `cargo test` is compiled twice,
    // with everything that depends on it: for typst's graph, 13 more minutes on two cores.
    let build = resolved("normal,build");
    let test = resolved("normal,build,dev");
    let differ: Vec<&String> = build.difference(&test).collect();
    assert!(
        differ.is_empty(),
        "these crates get other features when the tests are built than when the binary is, so `cargo test --release` compiles them and all that depends on them again: {differ:?}\nask for the same features in [dependencies] (see `either` in Cargo.toml)"
    );
}

/// The files of the repository that run or are run (sources, tests, scripts, CI), by their
/// paths in it: not the test data, nor what tools installed.
fn runnable_files() -> Vec<PathBuf> {
    let root = root();
    let mut found = Vec::new();
    let mut folders: Vec<PathBuf> =
        ["src", "tests", "scripts", ".ci", "bench", "fuzz"].iter().map(|f| root.join(f)).collect();
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(name.as_str(), "node_modules" | "data" | "target" | "corpus" | "artifacts" | "snapshots") {
                    folders.push(path);
                }
                continue;
            }
            let runs = ["rs", "sh", "mjs", "js", "py", "toml"].iter().any(|e| name.ends_with(&format!(".{e}")))
                || path.parent().is_some_and(|p| p.ends_with("scripts") || p.file_name().is_some_and(|n| n == ".ci"));
            if runs {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn nothing_that_runs_reads_a_path_outside_the_repository() {
    // The project's shared folder sits beside the repository where it is
    // developed, but a fresh clone has only itself: what the tests read is in tests/data.
    // An absolute path counts where it starts one: `/work/` inside an address such as
    // `https://school.org/work/1` does not. Comments may name the shared folder.
    let starts_path = |line: &str, path: &str| {
        line.match_indices(path).any(|(at, _)| {
            !line[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
        })
    };
    // (Spelled in two halves, so that this test does not find itself.)
    let (shared, work) = (concat!("..", "/shared"), concat!("/wo", "rk/"));
    let mut found = Vec::new();
    for file in runnable_files() {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        for (number, line) in text.lines().enumerate() {
            let comment = ["//", "#"].iter().any(|c| line.trim_start().starts_with(c));
            if !comment && (line.contains(shared) || starts_path(line, work)) {
                found.push(format!("{}:{}: {}", file.strip_prefix(root()).unwrap().display(), number + 1, line.trim()));
            }
        }
    }
    assert!(runnable_files().len() > 50, "the walk found the repository's files");
    assert!(
        found.is_empty(),
        "paths outside the repository (copy what is needed into tests/data, with its source):\n{}",
        found.join("\n")
    );
}

/// The layers of the library as ARCHITECTURE.md's "Layers" section lists them, lowest first:
/// each numbered line names its modules in backticks.
fn layers() -> Vec<BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let section = text.split("\n## Layers\n").nth(1).expect("ARCHITECTURE.md has a section \"## Layers\"");
    let section = section.split("\n## ").next().unwrap();
    let mut found = Vec::new();
    for line in section.lines() {
        let Some((number, rest)) = line.split_once(". ") else { continue };
        if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        // The module names: the backticked words before the colon.
        let names = rest.split(':').next().unwrap();
        found.push(names.split('`').skip(1).step_by(2).map(str::to_string).collect());
    }
    found
}

/// Where a lower layer uses a higher one, as "from uses to (in files)".
fn upward(
    layers: &[BTreeSet<String>],
    graph: &BTreeMap<ModulePath, BTreeMap<ModulePath, BTreeSet<PathBuf>>>,
) -> Vec<String> {
    let layer = |name: &str| layers.iter().position(|l| l.contains(name));
    let mut found = Vec::new();
    for (from, uses) in graph.iter().filter(|(from, _)| from.len() == 1) {
        for (to, files) in uses {
            if let (Some(low), Some(high)) = (layer(&from[0]), layer(&to[0]))
                && high > low
            {
                let files: Vec<String> =
                    files.iter().map(|f| f.strip_prefix(root()).unwrap_or(f).display().to_string()).collect();
                found.push(format!(
                    "{} (layer {}) uses {} (layer {}) in {}",
                    from[0],
                    low + 1,
                    to[0],
                    high + 1,
                    files.join(", ")
                ));
            }
        }
    }
    found
}

#[test]
fn no_layer_of_the_library_uses_a_higher_one() {
    let layers = layers();
    assert!(layers.len() >= 5, "ARCHITECTURE.md's layers were read: {layers:?}");
    let modules = modules(&root().join("src"), |file| !is_binary(file));
    // Every top-level module has one layer, so a new module must be placed before it lands.
    let top: BTreeSet<String> = modules.keys().filter(|m| m.len() == 1).map(|m| m[0].clone()).collect();
    for name in &top {
        let count = layers.iter().filter(|l| l.contains(name)).count();
        assert_eq!(count, 1, "src/{name} is in {count} of ARCHITECTURE.md's layers; list it in exactly one");
    }
    let listed: BTreeSet<String> = layers.iter().flatten().cloned().collect();
    let gone: Vec<&String> = listed.difference(&top).collect();
    assert!(gone.is_empty(), "ARCHITECTURE.md's layers name modules that do not exist: {gone:?}");
    let found = upward(&layers, &dependencies(&modules));
    assert!(
        found.is_empty(),
        "a lower layer uses a higher one (move the shared part down, or the module up):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_layer_check_sees_a_use_upward() {
    let layers = vec![BTreeSet::from(["low".to_string()]), BTreeSet::from(["high".to_string()])];
    let path = |name: &str| vec![name.to_string()];
    let down = BTreeMap::from([(path("high"), BTreeMap::from([(path("low"), BTreeSet::new())]))]);
    assert!(upward(&layers, &down).is_empty());
    let up = BTreeMap::from([(path("low"), BTreeMap::from([(path("high"), BTreeSet::new())]))]);
    assert_eq!(upward(&layers, &up).len(), 1);
}
