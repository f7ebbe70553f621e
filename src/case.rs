//! Importing a framework from a 1EdTech CASE package (CFPackage, CASE 1.0 or 1.1).
//!
//! A CASE package is a tree: each CFItem `isChildOf` another item or the CFDocument, and
//! siblings are ordered by `sequenceNumber`. `mastery` reads it as a framework: the items at a
//! chosen depth below the document become credit areas, and the leaves under each area become
//! its credits. Every area and credit keeps its CFItem's `uri`, for alignment in exported
//! credentials. A CFRubric, when there is one, becomes the proficiency scale.
//!
//! Real packages are untidy, so the importer is lenient where they are: CASE 1.0 packages carry
//! `CFDocumentURI` and `CFPackageURI` keys that the 1.1 schema forbids (they are dropped before
//! the package is checked against that schema), and `CFItemType`, `abbreviatedStatement` or
//! `sequenceNumber` may be missing.

use std::collections::{BTreeMap, HashMap, HashSet};

use jsonschema::Validator;
use serde_json::{Map, Value, json};

use crate::diag::{Checked, Severity};
use crate::load::Document;

const PACKAGE_SCHEMA: &str = include_str!("../schemas/case/case_v1p1_cfpackage-jsonschema1.json");

/// The compiled CASE 1.1 package schema.
pub struct CaseSchema(Validator);

impl Default for CaseSchema {
    fn default() -> Self {
        CaseSchema::new()
    }
}

impl CaseSchema {
    /// The embedded CASE 1.1 package schema, compiled.
    pub fn new() -> CaseSchema {
        let schema: Value = serde_json::from_str(PACKAGE_SCHEMA).expect("embedded schema is JSON");
        let validator = jsonschema::draft201909::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("embedded CASE schema compiles");
        CaseSchema(validator)
    }
}

/// How a CASE package maps onto a framework.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// How far below the document the credit areas sit: 1 makes the document's direct children
    /// the areas.
    pub area_depth: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions { area_depth: 1 }
    }
}

/// What an import produced: parts of `school.json`.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The `framework` object.
    pub framework: Value,
    /// The `scale` object, when the package has a rubric.
    pub scale: Option<Value>,
    /// How many areas and credits.
    pub areas: usize,
    /// How many credits (see `areas`).
    pub credits: usize,
}

/// Reads a framework out of a CASE package. Problems are diagnostics; `None` when the package
/// cannot be used at all.
pub fn import(document: &Document, schema: &CaseSchema, options: &ImportOptions) -> Checked<Option<Imported>> {
    let mut diagnostics = Vec::new();
    let mut package = document.value().clone();
    drop_case_1_0_keys(&mut package);
    for error in schema.0.iter_errors(&package) {
        let pointer = error.instance_path().as_str().to_string();
        diagnostics.push(
            document
                .error(&pointer, format!("not a valid CASE package here ({error})"))
                .hint("the package must follow CASE 1.0 or 1.1; export it again from the CASE server"),
        );
    }
    if !diagnostics.is_empty() {
        return Checked::new(None, diagnostics);
    }

    let empty = Vec::new();
    let items: Vec<&Value> = package["CFItems"].as_array().unwrap_or(&empty).iter().collect();
    let by_id: HashMap<&str, (usize, &Value)> =
        items.iter().enumerate().filter_map(|(i, item)| Some((item["identifier"].as_str()?, (i, *item)))).collect();
    let root = package["CFDocument"]["identifier"].as_str().unwrap_or_default().to_string();

    // The isChildOf tree: parent id -> children (ordered below).
    // parent id -> (sequenceNumber, humanCodingScheme, child id)
    type Children<'a> = Vec<(Option<i64>, &'a str, &'a str)>;
    let mut children: HashMap<&str, Children> = HashMap::new();
    for association in package["CFAssociations"].as_array().unwrap_or(&empty) {
        if association["associationType"].as_str() != Some("isChildOf") {
            continue;
        }
        let (Some(child), Some(parent)) = (
            association["originNodeURI"]["identifier"].as_str(),
            association["destinationNodeURI"]["identifier"].as_str(),
        ) else {
            continue;
        };
        if !by_id.contains_key(child) {
            continue;
        }
        let code = by_id[child].1["humanCodingScheme"].as_str().unwrap_or("");
        children.entry(parent).or_default().push((association["sequenceNumber"].as_i64(), code, child));
    }
    for list in children.values_mut() {
        // By sequenceNumber; without one, by coding scheme in natural order (L1.2 before
        // L1.10); then as listed.
        list.sort_by(|a, b| {
            let sequence = |s: Option<i64>| (s.is_none(), s.unwrap_or(0));
            sequence(a.0).cmp(&sequence(b.0)).then_with(|| natural(a.1).cmp(&natural(b.1)))
        });
    }
    let kids =
        |id: &str| -> Vec<&str> { children.get(id).map(|l| l.iter().map(|c| c.2).collect()).unwrap_or_default() };

    // The nodes at the area depth.
    let mut level = vec![root.as_str()];
    for _ in 0..options.area_depth {
        let next: Vec<&str> = level.iter().flat_map(|id| kids(id)).collect();
        if next.is_empty() {
            break;
        }
        level = next;
    }
    if level == [root.as_str()] {
        diagnostics.push(
            document
                .error("/CFAssociations", "the package has no isChildOf associations from its items to its document")
                .hint("a CASE framework is a tree of items under its CFDocument; check the export"),
        );
        return Checked::new(None, diagnostics);
    }

    let mut used_ids = HashSet::new();
    let mut areas = Vec::new();
    let mut credits = Vec::new();
    let mut reached = HashSet::new();
    let document_title = package["CFDocument"]["title"].as_str().unwrap_or("Framework").to_string();
    for (n, area_id) in level.iter().enumerate() {
        let (_, area_item) = by_id[area_id];
        reached.insert(*area_id);
        // Leaves under the area, in tree order, with the titles of the items between.
        let mut leaves = Vec::new();
        let mut stack: Vec<(&str, Vec<String>)> = kids(area_id).into_iter().rev().map(|k| (k, Vec::new())).collect();
        while let Some((id, path)) = stack.pop() {
            reached.insert(id);
            let below = kids(id);
            if below.is_empty() {
                leaves.push((id, path));
            } else {
                let mut inner = path.clone();
                inner.push(short_title(by_id[id].1));
                stack.extend(below.into_iter().rev().map(|k| (k, inner.clone())));
            }
        }
        // An area with nothing below it is a credit of its own.
        if leaves.is_empty() {
            leaves.push((area_id, Vec::new()));
        }
        let area_key = unique_id(area_item, &format!("AREA-{}", n + 1), &mut used_ids);
        areas.push(json!({
            "id": area_key,
            "title": short_title(area_item),
            "description": text(area_item["fullStatement"].as_str().unwrap_or(&document_title)),
            "uri": area_item["uri"],
        }));
        for (leaf, path) in leaves {
            let (index, item) = by_id[leaf];
            let mut description = text(item["fullStatement"].as_str().unwrap_or_default());
            if !path.is_empty() {
                description.push_str(&format!(" (part of: {})", path.join(" › ")));
            }
            credits.push(json!({
                "id": unique_id(item, &format!("CREDIT-{}", index + 1), &mut used_ids),
                "area": area_key,
                "title": short_title(item),
                "description": description,
                "level": "foundational",
                "value": 1,
                "uri": item["uri"],
            }));
        }
    }
    for item in &items {
        let id = item["identifier"].as_str().unwrap_or_default();
        if !reached.contains(id) && !children.contains_key(id) {
            let position = items.iter().position(|i| i["identifier"] == item["identifier"]).unwrap_or(0);
            diagnostics.push(
                document
                    .diagnostic(
                        Severity::Warning,
                        &format!("/CFItems/{position}"),
                        false,
                        "item is not in the tree below the document; left out",
                    )
                    .hint("give it an isChildOf association, or ignore this if it is not a competency"),
            );
        }
    }

    let mut framework = Map::new();
    let mut source = Map::new();
    for (key, field) in [("title", "title"), ("uri", "uri"), ("creator", "creator"), ("version", "version")] {
        if let Some(value) = package["CFDocument"][field].as_str().filter(|v| !v.trim().is_empty()) {
            source.insert(key.to_string(), json!(value));
        }
    }
    source.insert("format".to_string(), json!("CASE"));
    framework.insert("source".to_string(), Value::Object(source));
    let (area_count, credit_count) = (areas.len(), credits.len());
    framework.insert("areas".to_string(), Value::Array(areas));
    framework.insert("credits".to_string(), Value::Array(credits));
    let scale = rubric_scale(&package);
    Checked::new(
        Some(Imported { framework: Value::Object(framework), scale, areas: area_count, credits: credit_count }),
        diagnostics,
    )
}

/// CASE 1.0 servers put `CFDocumentURI` on every item and association and `CFPackageURI` on
/// the document; CASE 1.1 forbids both. They say nothing the rest of the package does not.
fn drop_case_1_0_keys(package: &mut Value) {
    if let Some(document) = package.get_mut("CFDocument").and_then(Value::as_object_mut) {
        document.remove("CFPackageURI");
    }
    for list in ["CFItems", "CFAssociations", "CFRubrics"] {
        for entry in package.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
            if let Some(entry) = entry.as_object_mut() {
                entry.remove("CFDocumentURI");
            }
        }
    }
}

/// One line of text: a package's statements sometimes hold line breaks and stray spaces.
fn text(statement: &str) -> String {
    statement.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An item's short name: its abbreviated statement, else its full statement.
fn short_title(item: &Value) -> String {
    let abbreviated = item["abbreviatedStatement"].as_str().filter(|s| !s.trim().is_empty());
    text(abbreviated.or(item["fullStatement"].as_str()).unwrap_or("Untitled"))
}

/// The item's coding scheme when it is a usable id, else `fallback`; never one already used.
fn unique_id(item: &Value, fallback: &str, used: &mut HashSet<String>) -> String {
    let usable = |s: &str| {
        let mut chars = s.chars();
        s.len() <= 64
            && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    let base = item["humanCodingScheme"].as_str().filter(|s| usable(s)).unwrap_or(fallback).to_string();
    let mut id = base.clone();
    let mut n = 2;
    while !used.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// A sort key that orders the numbers inside a string by value.
fn natural(code: &str) -> Vec<(String, u64)> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut number = String::new();
    for c in code.chars() {
        if c.is_ascii_digit() {
            number.push(c);
        } else {
            if !number.is_empty() {
                parts.push((std::mem::take(&mut text), number.parse().unwrap_or(u64::MAX)));
                number.clear();
            }
            text.push(c);
        }
    }
    parts.push((text, number.parse().unwrap_or(0)));
    parts
}

/// The scale of the package's first rubric criterion with two or more levels: each level's
/// score is its value. CASE has no mastery threshold; the importer puts it at the
/// second-highest level, for the school to confirm.
fn rubric_scale(package: &Value) -> Option<Value> {
    let criteria =
        package["CFRubrics"].as_array()?.iter().flat_map(|r| r["CFRubricCriteria"].as_array().into_iter().flatten());
    for criterion in criteria {
        let mut levels: Vec<&Value> = criterion["CFRubricCriterionLevels"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|l| l["score"].is_number())
            .collect();
        if levels.len() < 2 {
            continue;
        }
        levels.sort_by(|a, b| a["score"].as_f64().unwrap_or(0.0).total_cmp(&b["score"].as_f64().unwrap_or(0.0)));
        let mut labels = BTreeMap::new();
        let scale_levels: Vec<Value> = levels
            .iter()
            .enumerate()
            .map(|(i, level)| {
                let label = level["quality"]
                    .as_str()
                    .filter(|s| !s.trim().is_empty())
                    .map_or_else(|| format!("Level {}", i + 1), text);
                let label = match labels.insert(label.clone(), ()) {
                    None => label,
                    Some(()) => format!("{label} ({})", i + 1),
                };
                let description = ["description", "feedback"]
                    .iter()
                    .find_map(|k| level[*k].as_str().filter(|s| !s.trim().is_empty()))
                    .map_or_else(|| label.clone(), text);
                json!({"value": level["score"], "label": label, "description": description})
            })
            .collect();
        let threshold = scale_levels[scale_levels.len() - 2]["value"].clone();
        return Some(json!({"levels": scale_levels, "mastery_threshold": threshold}));
    }
    None
}

/// A line for the user after an import.
pub fn summary(imported: &Imported) -> String {
    let scale = if imported.scale.is_some() { "; the scale comes from the package's rubric" } else { "" };
    format!(
        "imported {} and {}{scale}",
        crate::hint::plural(imported.areas, "area"),
        crate::hint::plural(imported.credits, "credit")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_reads_numbers_as_numbers() {
        let mut codes = vec!["L1.10", "L1.2", "L1.1", "L2"];
        codes.sort_by_key(|c| natural(c));
        assert_eq!(codes, ["L1.1", "L1.2", "L1.10", "L2"]);
    }
}
