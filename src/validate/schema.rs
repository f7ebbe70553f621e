//! Schema errors in a registrar's words: what is wrong at the value, and how to fix it, rather
//! than which keyword of which schema failed.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::Schema;
use crate::diag::{Diagnostic, Severity};
use crate::document::Document;
use crate::hint::{closest, plural, quoted};

fn at(document: &Document, pointer: &str, key: bool, message: String) -> Diagnostic {
    document.diagnostic(Severity::Error, pointer, key, message)
}

/// Turns one schema error into diagnostics a registrar can act on.
pub(super) fn schema_diagnostics(
    document: &Document,
    schema: &Schema,
    error: &jsonschema::ValidationError,
) -> Vec<Diagnostic> {
    let pointer = error.instance_path().as_str().to_string();
    let instance = error.instance();
    let schema_path = error.schema_path().as_str();
    let one = |message: String, hint: Option<String>| {
        let diagnostic = at(document, &pointer, false, message);
        vec![match hint {
            Some(hint) => diagnostic.hint(hint),
            None => diagnostic,
        }]
    };
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let child = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
            vec![document
                .error(&pointer, format!("missing required field \"{name}\""))
                .pointer(child)
                .hint(format!("add \"{name}\" to this object"))]
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_properties(&schema.json, schema_path);
            unexpected
                .iter()
                .map(|name| {
                    let child = format!("{pointer}/{}", name.replace('~', "~0").replace('/', "~1"));
                    let hint = match closest(name, allowed.iter().map(String::as_str)) {
                        Some(guess) => format!("did you mean \"{guess}\"?"),
                        None if allowed.is_empty() => "remove it".to_string(),
                        None => format!("remove it; the fields allowed here are {}", quoted(&allowed)),
                    };
                    at(document, &child, true, format!("unknown field \"{name}\"")).hint(hint)
                })
                .collect()
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(kind) => article(&kind.to_string()),
                TypeKind::Multiple(kinds) => kinds.iter().map(|k| article(&k.to_string())).collect::<Vec<_>>().join(" or "),
            };
            one(format!("expected {expected}, found {}", describe(instance)), None)
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options.as_array().into_iter().flatten().map(Value::to_string).collect();
            one(format!("{} is not allowed here", describe(instance)), Some(format!("use one of {}", options.join(", "))))
        }
        ValidationErrorKind::Constant { expected_value } => {
            one(format!("{} is not allowed here", describe(instance)), Some(format!("use {expected_value}")))
        }
        ValidationErrorKind::Pattern { pattern } => {
            let (message, hint) = match pattern.as_str() {
                "\\S" => ("must not be blank".to_string(), "write some text here".to_string()),
                p if p.starts_with("^[A-Za-z0-9]") => (
                    format!("{} is not a valid id", describe(instance)),
                    "ids use letters, digits, '.', '_' and '-', start with a letter or digit, and have at most 64 characters".to_string(),
                ),
                "^https?://" => (format!("{} is not a web address", describe(instance)), "start it with https://".to_string()),
                "^[0-9]{6}$" => (format!("{} is not a CEEB code", describe(instance)), "a CEEB code has six digits".to_string()),
                _ => (format!("{} does not match the pattern {pattern}", describe(instance)), String::new()),
            };
            let diagnostic = at(document, &pointer, false, message);
            vec![if hint.is_empty() { diagnostic } else { diagnostic.hint(hint) }]
        }
        ValidationErrorKind::Format { format } => {
            let hint = match format.as_str() {
                "date" => "write dates as YYYY-MM-DD, for example 2026-06-12",
                "email" => "write an e-mail address such as registrar@school.org",
                "uri" => "write a full address such as https://school.org/work/1",
                _ => "",
            };
            let message = format!("{} is not a valid {}", describe(instance), format);
            let diagnostic = at(document, &pointer, false, message);
            vec![if hint.is_empty() { diagnostic } else { diagnostic.hint(hint) }]
        }
        ValidationErrorKind::MinLength { limit: 1 } => one("must not be empty".to_string(), Some("write some text here".to_string())),
        ValidationErrorKind::MinLength { limit } => one(format!("must have at least {limit} characters"), None),
        ValidationErrorKind::MaxLength { limit } => one(format!("is longer than {limit} characters"), Some("shorten it".to_string())),
        ValidationErrorKind::MinItems { limit } => one(format!("must have at least {}", plural(*limit, "item")), None),
        ValidationErrorKind::MaxItems { limit } => one(format!("has more than {}", plural(*limit, "item")), None),
        ValidationErrorKind::Minimum { limit } => one(format!("{} is less than the minimum of {limit}", describe(instance)), None),
        ValidationErrorKind::Maximum { limit } => one(format!("{} is more than the maximum of {limit}", describe(instance)), None),
        ValidationErrorKind::ExclusiveMinimum { limit } => one(format!("{} must be more than {limit}", describe(instance)), None),
        ValidationErrorKind::ExclusiveMaximum { limit } => one(format!("{} must be less than {limit}", describe(instance)), None),
        ValidationErrorKind::UniqueItems => one("has the same item twice".to_string(), Some("remove the repeated item".to_string())),
        ValidationErrorKind::OneOfNotValid { .. } if pointer.ends_with("/method") => one(
            format!("{} is not an aggregation method", describe(instance)),
            Some(
                "use one of \"most_recent\", \"highest\", \"mean\", \"median\", \"mode\", \"decaying_average\", \"weighted_recent\", \"power_law\", or an object such as {\"name\": \"n_times\", \"n\": 2}; see the user guide's chapter on levels and credits (docs/src/levels-and-credits.md) for each method's parameters".to_string(),
            ),
        ),
        _ => one(error.to_string(), None),
    }
}

/// The property names the schema allows at the object whose `additionalProperties` failed.
fn allowed_properties(schema: &Value, schema_path: &str) -> Vec<String> {
    let mut node = schema;
    let segments: Vec<&str> = schema_path.trim_start_matches('/').split('/').collect();
    for segment in &segments[..segments.len().saturating_sub(1)] {
        node = match node.get(*segment) {
            Some(Value::String(reference)) if *segment == "$ref" => {
                match reference.strip_prefix('#').and_then(|p| schema.pointer(p)) {
                    Some(target) => target,
                    None => return Vec::new(),
                }
            }
            Some(next) => next,
            None => match segment.parse::<usize>().ok().and_then(|i| node.get(i)) {
                Some(next) => next,
                None => return Vec::new(),
            },
        };
    }
    node.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default()
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => format!("\"{text}\""),
        Value::Null => "null".to_string(),
        Value::Object(_) => "an object".to_string(),
        Value::Array(_) => "a list".to_string(),
        other => other.to_string(),
    }
}

fn article(kind: &str) -> String {
    match kind {
        "object" => "an object".to_string(),
        "array" => "a list".to_string(),
        "integer" => "a whole number".to_string(),
        "null" => "null".to_string(),
        other => format!("a {other}"),
    }
}
