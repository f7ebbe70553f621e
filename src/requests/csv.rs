//! Requests from a CSV file (`mastery requests import`): one request per row, under a header
//! that names its columns (any order; the names below, any case). Every cell is checked
//! before any request is taken, each problem located by line and column, so a file is taken
//! whole or not at all.
//!
//! | column | needed | what |
//! |---|---|---|
//! | `student` | yes | the student's id |
//! | `party` | yes | who asked: student, parent, alumnus, college, official |
//! | `party_name` | yes | their name |
//! | `party_email` | no | how to reach them |
//! | `recipient` | yes | to whom the transcript goes |
//! | `delivery` | yes | commonapp, naviance, scoir, cialfo, slate, parchment, download, print, pesc |
//! | `address` | no | where a printed copy goes |
//! | `profile` | no | the disclosure profile (the delivery's own when empty) |
//! | `due` | no | YYYY-MM-DD |
//! | `basis` | yes | consent, enrollment, own-record, official |
//! | `purpose` | yes | why they ask |
//! | `reference` | no | the sender's own id for the request (a second import of it is refused) |
//! | `consent_signed_by`, `consent_signer`, `consent_signed_on`, `consent_text` | with a consent | the consent, signed electronically: who (and as student or parent), when, the words signed |

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{Basis, Delivery, NewConsent, NewRequest, Party, PartyKind, Signer};
use crate::diag::{Diagnostic, Position};
use crate::model::parse_date;

const REQUIRED: [&str; 7] = ["student", "party", "party_name", "recipient", "delivery", "basis", "purpose"];
const OPTIONAL: [&str; 9] = [
    "party_email",
    "address",
    "profile",
    "due",
    "reference",
    "consent_signed_by",
    "consent_signer",
    "consent_signed_on",
    "consent_text",
];
const CONSENT: [&str; 4] = ["consent_signed_by", "consent_signer", "consent_signed_on", "consent_text"];

/// The requests of a CSV file, or every problem in it. `known` says whether a student id is
/// one of the school's.
pub fn read(path: &Path, bytes: &[u8], known: &dyn Fn(&str) -> bool) -> Result<Vec<NewRequest>, Vec<Diagnostic>> {
    let source = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let at = |line: u64, column: &str, message: String| {
        let diagnostic =
            Diagnostic::error(path, message).at(Position { line: line as usize, column: 0, start: 0, end: 0 });
        if column.is_empty() { diagnostic } else { diagnostic.with_column(column) }
    };
    let header = match reader.headers() {
        Ok(header) => header.clone(),
        Err(error) => return Err(vec![at(1, "", format!("the header cannot be read: {error}"))]),
    };
    let mut columns: BTreeMap<String, usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for (index, name) in header.iter().enumerate() {
        let name = name.trim().to_lowercase();
        if !REQUIRED.contains(&name.as_str()) && !OPTIONAL.contains(&name.as_str()) {
            let all: Vec<&str> = REQUIRED.iter().chain(&OPTIONAL).copied().collect();
            let hint = match crate::hint::closest(&name, all.iter().copied()) {
                Some(near) => format!("did you mean \"{near}\"?"),
                None => format!("the columns are {}", crate::hint::quoted(&all)),
            };
            problems.push(at(1, &name, format!("the column \"{name}\" is not one a request has")).hint(hint));
        } else if columns.insert(name.clone(), index).is_some() {
            problems.push(at(1, &name, format!("the column \"{name}\" is named twice")));
        }
    }
    for name in REQUIRED {
        if !columns.contains_key(name) {
            problems.push(at(1, "", format!("the header has no \"{name}\" column, which every request needs")));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut requests = Vec::new();
    let mut references: BTreeMap<String, u64> = BTreeMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                problems.push(at(line, "", format!("this row cannot be read: {error}")));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let cell = |name: &str| {
            columns.get(name).and_then(|&i| record.get(i)).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
        };
        let mut wrong = |name: &str, message: String, hint: String| {
            let diagnostic = at(line, name, message);
            problems.push(if hint.is_empty() { diagnostic } else { diagnostic.hint(hint) });
        };
        for name in REQUIRED {
            if cell(name).is_none() {
                wrong(name, format!("the {name} is empty"), String::new());
            }
        }
        let word = |name: &str| cell(name).unwrap_or_default();
        let (party, p) = choice(cell("party"), PartyKind::parse, "who may ask", PartyKind::choices);
        let (delivery, d) = choice(cell("delivery"), Delivery::parse, "a way to send a transcript", Delivery::choices);
        let (basis, b) = choice(cell("basis"), Basis::parse, "a basis for a disclosure", Basis::choices);
        for (name, problem) in [("party", p), ("delivery", d), ("basis", b)] {
            if let Some((message, hint)) = problem {
                wrong(name, message, hint);
            }
        }
        let due = cell("due").and_then(|d| match parse_date(&d) {
            Some(date) => Some(date),
            None => {
                wrong("due", format!("\"{d}\" is not a date"), "write it as YYYY-MM-DD".to_string());
                None
            }
        });
        if let Some(student) = cell("student")
            && !known(&student)
        {
            wrong(
                "student",
                format!("\"{student}\" is not a student of the school"),
                "check the id against the school's records (`mastery validate` lists them)".to_string(),
            );
        }
        if let Some(reference) = cell("reference")
            && let Some(first) = references.insert(reference.clone(), line)
        {
            wrong(
                "reference",
                format!("the request {reference} is in the file twice (line {first} too)"),
                String::new(),
            );
        }
        let given: BTreeSet<&str> = CONSENT.into_iter().filter(|c| cell(c).is_some()).collect();
        let consent = if given.is_empty() {
            None
        } else if given.len() < CONSENT.len() {
            let missing: Vec<&str> = CONSENT.into_iter().filter(|c| !given.contains(c)).collect();
            wrong(
                missing[0],
                format!("the consent is missing {}", crate::hint::quoted(&missing)),
                "a consent names who signed it, as whom (student or parent), when, and the words signed".to_string(),
            );
            None
        } else {
            let (signer, problem) =
                choice(cell("consent_signer"), Signer::parse, "who signs a consent", Signer::choices);
            if let Some((message, hint)) = problem {
                wrong("consent_signer", message, hint);
            }
            let signed_on = match parse_date(&word("consent_signed_on")) {
                Some(date) => Some(date),
                None => {
                    wrong(
                        "consent_signed_on",
                        format!("\"{}\" is not a date", word("consent_signed_on")),
                        "write it as YYYY-MM-DD".to_string(),
                    );
                    None
                }
            };
            signer.zip(signed_on).map(|(signer, signed_on)| NewConsent {
                signed_by: word("consent_signed_by"),
                signer,
                signed_on,
                records: None,
                purpose: None,
                text: word("consent_text"),
                file: None,
            })
        };
        for name in header.iter().map(|h| h.trim().to_lowercase()) {
            if let Some(value) = cell(&name)
                && value.chars().any(char::is_control)
            {
                wrong(&name, format!("the {name} holds a line break or a tab"), "write it on one line".to_string());
            }
        }
        let (Some(kind), Some(delivery), Some(basis)) = (party, delivery, basis) else { continue };
        requests.push(NewRequest {
            student: word("student"),
            party: Party { kind, name: word("party_name"), email: cell("party_email") },
            recipient: word("recipient"),
            delivery,
            address: cell("address"),
            profile: cell("profile"),
            due,
            basis,
            purpose: word("purpose"),
            consent,
            source: format!("{source}:{line}"),
            reference: cell("reference"),
            pesc: None,
        });
    }
    if problems.is_empty() { Ok(requests) } else { Err(problems) }
}

/// A cell of words from a list: its value, or the problem with the list.
fn choice<T>(
    value: Option<String>,
    parse: fn(&str) -> Option<T>,
    what: &str,
    choices: fn() -> String,
) -> (Option<T>, Option<(String, String)>) {
    let Some(value) = value else { return (None, None) };
    match parse(&value.to_lowercase()) {
        Some(parsed) => (Some(parsed), None),
        None => (None, Some((format!("\"{value}\" is not {what}"), format!("write one of {}", choices())))),
    }
}
