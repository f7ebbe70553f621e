//! PESC TranscriptRequest 1.4.0 in, TranscriptResponse 1.4.0 out.
//!
//! A college's student system (or a clearinghouse) sends a TranscriptRequest: who sends it
//! (`TransmissionData/Source`), the student as they know them (`RequestedStudent/Person`:
//! the school's id for them, a name, a birth date), whether the release is authorized and
//! how (`ReleaseAuthorizedIndicator`, `ReleaseAuthorizedMethod`), and one or more recipients.
//! Each request and recipient becomes a request of the queue, delivered as `pesc`: when it
//! is sent, the school answers with a TranscriptResponse (`TranscriptSent`) beside the PESC
//! XML transcript of the version sent.
//!
//! The reader is a stream over the elements it needs (quick-xml, namespaces by local name);
//! what it refuses it locates by line: not a TranscriptRequest 1.4.0, no `Request`, a
//! requested student without a `Name` (the schema requires one, and the school matches by
//! it), a `DocumentInfo` that names no document. A student it cannot match to one record of
//! the school (by the school's id, else by name and birth date) is taken all the same and
//! held until someone matches it (`mastery requests match`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::Event;

use super::{Basis, NewConsent, NewRequest, Party, PartyKind, Request, Signer};
use crate::diag::{Diagnostic, Position};
use crate::issue::ledger::{Action, Entry};
use crate::pesc::{ACADEMIC_RECORD_NAMESPACE, CORE_NAMESPACE, Xml};
use crate::{digest, load, output};

/// The namespace of a TranscriptRequest 1.4.0.
pub const REQUEST_NAMESPACE: &str = "urn:org:pesc:message:TranscriptRequest:v1.4.0";
/// The namespace of a TranscriptResponse 1.4.0.
pub const RESPONSE_NAMESPACE: &str = "urn:org:pesc:message:TranscriptResponse:v1.4.0";
/// The response's file name in its folder.
pub const RESPONSE_FILE: &str = "TranscriptResponse.xml";

/// A student of the school, as a request is matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// The student's id.
    pub id: String,
    /// The legal name, whole.
    pub legal: String,
    /// Its given part, when the record has it.
    pub given: Option<String>,
    /// Its family part, when the record has it.
    pub family: Option<String>,
    /// The birth date.
    pub birth: Option<NaiveDate>,
}

/// What a TranscriptRequest says, as far as the queue needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    /// `TransmissionData/DocumentID`.
    pub document_id: String,
    /// `TransmissionData/RequestTrackingID`, when given.
    pub tracking: Option<String>,
    /// When it was made (`TransmissionData/CreatedDateTime`).
    pub created: String,
    /// The sending institution's name and CEEB/ACT code.
    pub source_name: Option<String>,
    /// Its CEEB/ACT code.
    pub source_ceeb: Option<String>,
    /// The student requests, each with its recipients.
    pub requests: Vec<Asked>,
}

/// One `Request` of a TranscriptRequest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    /// Its line in the file.
    pub line: usize,
    /// The school's id for the student (`SchoolAssignedPersonID`).
    pub school_id: Option<String>,
    /// The student's first name.
    pub first: Option<String>,
    /// Middle name.
    pub middle: Option<String>,
    /// Last name.
    pub last: Option<String>,
    /// Birth date.
    pub birth: Option<String>,
    /// The student's e-mail address.
    pub email: Option<String>,
    /// Whether the person has a `Name`.
    pub named: bool,
    /// `ReleaseAuthorizedIndicator`.
    pub release: bool,
    /// `ReleaseAuthorizedMethod`.
    pub method: Option<String>,
    /// The recipients: tracking id, name, purpose.
    pub recipients: Vec<Recipient>,
    /// A person who asked (`Requestor/Person`), by name.
    pub requestor: Option<String>,
    /// The attended school's name as they wrote it.
    pub school_name: Option<String>,
}

/// One `Recipient` of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipient {
    /// `RequestTrackingID`.
    pub tracking: Option<String>,
    /// The receiving organization's or person's name.
    pub name: Option<String>,
    /// `TranscriptPurpose`.
    pub purpose: Option<String>,
}

/// Reads a TranscriptRequest's elements, or says where it is not one.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Message, Vec<Diagnostic>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        vec![Diagnostic::error(path, format!("the file is not UTF-8 text ({e})")).hint("save it as UTF-8")]
    })?;
    let at = |offset: usize, message: String| {
        let offset = offset.min(text.len());
        let offset = offset + (text[offset..].len() - text[offset..].trim_start().len());
        let line = text[..offset.min(text.len())].matches('\n').count() + 1;
        Diagnostic::error(path, message).at(Position::of_line_column(text, line, 1))
    };
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut message = Message::default();
    let mut problems = Vec::new();
    let mut document_info: Option<(usize, bool)> = None;
    let mut person_line = 0;
    loop {
        let offset = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(error) => {
                problems.push(at(offset, format!("this is not well-formed XML: {error}")));
                return Err(problems);
            }
        };
        match event {
            Event::Start(start) | Event::Empty(start) if stack.is_empty() => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let prefix = start.name().prefix().map(|p| p.as_ref().to_vec());
                let namespace = start
                    .attributes()
                    .flatten()
                    .find(|a| match &prefix {
                        Some(prefix) => a.key.as_ref().strip_prefix(b"xmlns:") == Some(prefix.as_slice()),
                        None => a.key.as_ref() == b"xmlns",
                    })
                    .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                if name != "TranscriptRequest" || namespace.as_deref() != Some(REQUEST_NAMESPACE) {
                    problems.push(
                        at(
                            offset,
                            format!("this is a {name}, not a PESC TranscriptRequest 1.4.0 ({REQUEST_NAMESPACE})"),
                        )
                        .hint(
                            "a college's student system sends TranscriptRequest documents; export one in version 1.4.0",
                        ),
                    );
                    return Err(problems);
                }
                stack.push(name);
            }
            Event::Start(start) => {
                stack.push(String::from_utf8_lossy(start.local_name().as_ref()).into_owned());
                opened(&stack, offset, &mut message, &mut document_info, &mut person_line);
            }
            Event::Empty(start) => {
                stack.push(String::from_utf8_lossy(start.local_name().as_ref()).into_owned());
                opened(&stack, offset, &mut message, &mut document_info, &mut person_line);
                stack.pop();
            }
            Event::End(_) => {
                if ends(&stack, &["RequestedStudent", "Person"])
                    && let Some(asked) = message.requests.last()
                    && !asked.named
                {
                    problems.push(
                        at(person_line, "the requested student has no Name: PESC's PersonType requires one, and the school finds the student by it".to_string())
                            .hint("ask the sender for a request with the student's Name (FirstName, LastName)"),
                    );
                }
                stack.pop();
            }
            Event::Text(raw) => {
                let value = raw.xml_content().map(|v| v.trim().to_string()).unwrap_or_default();
                if !value.is_empty() {
                    take(&stack, value, &mut message);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some((offset, false)) = document_info {
        problems.push(
            at(
                offset,
                "the DocumentInfo names no document: the request does not say which document it wants".to_string(),
            )
            .hint(
                "ask the sender for a request whose DocumentInfo has a document (its DocumentType and DocumentFormat)",
            ),
        );
    }
    if message.requests.is_empty() && problems.is_empty() {
        problems.push(at(0, "the TranscriptRequest holds no Request".to_string()));
    }
    if problems.is_empty() { Ok(message) } else { Err(problems) }
}

/// Whether the element path ends with these names.
fn ends(stack: &[String], tail: &[&str]) -> bool {
    stack.len() >= tail.len() && stack[stack.len() - tail.len()..].iter().zip(tail).all(|(a, b)| a == b)
}

/// An element opened: the ones that start a record of their own.
fn opened(
    stack: &[String],
    offset: usize,
    message: &mut Message,
    document_info: &mut Option<(usize, bool)>,
    person_line: &mut usize,
) {
    if stack.len() == 2 && stack[1] == "Request" {
        message.requests.push(Asked { line: offset, ..Asked::default() });
    } else if ends(stack, &["TransmissionData", "UserDefinedExtensions", "DocumentInfo"]) {
        *document_info = Some((offset, false));
    } else if ends(stack, &["DocumentInfo", "document"]) || ends(stack, &["DocumentInfo", "FileName"]) {
        if let Some((_, named)) = document_info {
            *named = true;
        }
    } else if ends(stack, &["RequestedStudent", "Person"]) {
        *person_line = offset;
    } else if ends(stack, &["RequestedStudent", "Person", "Name"]) {
        if let Some(asked) = message.requests.last_mut() {
            asked.named = true;
        }
    } else if ends(stack, &["Request", "Recipient"])
        && let Some(asked) = message.requests.last_mut()
    {
        asked.recipients.push(Recipient::default());
    }
}

/// A text value at the end of the element path.
fn take(stack: &[String], value: String, message: &mut Message) {
    let transmission = stack.len() >= 2 && stack[1] == "TransmissionData";
    if transmission {
        if ends(stack, &["TransmissionData", "DocumentID"]) {
            message.document_id = value;
        } else if ends(stack, &["TransmissionData", "CreatedDateTime"]) {
            message.created = value;
        } else if ends(stack, &["TransmissionData", "RequestTrackingID"]) {
            message.tracking = Some(value);
        } else if ends(stack, &["Source", "Organization", "OrganizationName"]) {
            message.source_name = Some(value);
        } else if ends(stack, &["Source", "Organization", "CEEBACT"]) {
            message.source_ceeb = Some(value);
        }
        return;
    }
    let Some(asked) = message.requests.last_mut() else { return };
    let person = |tail: &[&str]| {
        let mut path = vec!["RequestedStudent", "Person"];
        path.extend_from_slice(tail);
        ends(stack, &path)
    };
    if person(&["SchoolAssignedPersonID"]) {
        asked.school_id = Some(value);
    } else if person(&["Name", "FirstName"]) {
        asked.first = Some(value);
    } else if person(&["Name", "MiddleName"]) {
        asked.middle = Some(value);
    } else if person(&["Name", "LastName"]) {
        asked.last = Some(value);
    } else if person(&["Birth", "BirthDate"]) {
        asked.birth = Some(value);
    } else if person(&["Contacts", "Email", "EmailAddress"]) {
        asked.email = Some(value);
    } else if ends(stack, &["RequestedStudent", "Attendance", "School", "OrganizationName"]) {
        asked.school_name.get_or_insert(value);
    } else if ends(stack, &["RequestedStudent", "ReleaseAuthorizedIndicator"]) {
        asked.release = value == "true" || value == "1";
    } else if ends(stack, &["RequestedStudent", "ReleaseAuthorizedMethod"]) {
        asked.method = Some(value);
    } else if ends(stack, &["Requestor", "Person", "Name", "FirstName"])
        || ends(stack, &["Requestor", "Person", "Name", "LastName"])
    {
        let name = asked.requestor.get_or_insert_with(String::new);
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(&value);
    } else if let Some(recipient) = asked.recipients.last_mut()
        && stack.iter().any(|s| s == "Recipient")
    {
        if ends(stack, &["Recipient", "RequestTrackingID"]) {
            recipient.tracking = Some(value);
        } else if ends(stack, &["Receiver", "RequestorReceiverOrganization", "OrganizationName"]) {
            recipient.name = Some(value);
        } else if ends(stack, &["Receiver", "Person", "Name", "FirstName"])
            || ends(stack, &["Receiver", "Person", "Name", "LastName"])
        {
            let name = recipient.name.get_or_insert_with(String::new);
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(&value);
        } else if ends(stack, &["Recipient", "TranscriptPurpose"]) {
            recipient.purpose = Some(value);
        }
    }
}

/// The student a request names: by the school's id, else by name (and birth date, when both
/// have one); `None` when no record, or more than one, matches.
pub fn matching<'a>(asked: &Asked, roster: &'a [Known]) -> Option<&'a Known> {
    if let Some(id) = &asked.school_id
        && let Some(known) = roster.iter().find(|k| &k.id == id)
    {
        return Some(known);
    }
    let (first, last) = (asked.first.as_deref()?, asked.last.as_deref()?);
    let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
    let birth: Option<NaiveDate> = asked.birth.as_deref().and_then(|b| b.parse().ok());
    let mut found = roster.iter().filter(|k| {
        let by_parts =
            k.given.as_deref().is_some_and(|g| same(g, first)) && k.family.as_deref().is_some_and(|f| same(f, last));
        let by_whole = same(&k.legal, &format!("{first} {last}"))
            || asked.middle.as_deref().is_some_and(|m| same(&k.legal, &format!("{first} {m} {last}")));
        let born = match (birth, k.birth) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        (by_parts || by_whole) && born
    });
    let first_found = found.next()?;
    found.next().is_none().then_some(first_found)
}

/// The requests a TranscriptRequest asks for, one per request and recipient.
pub fn requests(path: &Path, bytes: &[u8], roster: &[Known]) -> Result<Vec<NewRequest>, Vec<Diagnostic>> {
    let message = parse(path, bytes)?;
    let source = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let sender = message.source_name.clone().unwrap_or_else(|| match &message.source_ceeb {
        Some(code) => format!("the institution of CEEB code {code}"),
        None => "the institution that sent the request".to_string(),
    });
    let mut out = Vec::new();
    for (n, asked) in message.requests.iter().enumerate() {
        let recipients =
            if asked.recipients.is_empty() { vec![Recipient::default()] } else { asked.recipients.clone() };
        let student = matching(asked, roster).map(|k| k.id.clone()).unwrap_or_default();
        let name = [asked.first.as_deref(), asked.middle.as_deref(), asked.last.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        for (m, recipient) in recipients.iter().enumerate() {
            let tracking = recipient.tracking.clone().or(message.tracking.clone());
            let mut reference = format!("pesc:{}", tracking.clone().unwrap_or_else(|| message.document_id.clone()));
            if tracking.is_none() && (message.requests.len() > 1 || recipients.len() > 1) {
                reference.push_str(&format!("#{}.{}", n + 1, m + 1));
            }
            let (basis, consent) = release(asked, &message, &name);
            let party = match &asked.requestor {
                Some(person) => Party { kind: PartyKind::Student, name: person.clone(), email: asked.email.clone() },
                None => Party { kind: PartyKind::College, name: sender.clone(), email: None },
            };
            out.push(NewRequest {
                student: student.clone(),
                party,
                recipient: recipient.name.clone().unwrap_or_else(|| sender.clone()),
                delivery: super::Delivery::Pesc,
                address: message.source_ceeb.as_ref().map(|c| format!("CEEB {c}")),
                profile: None,
                due: None,
                basis,
                purpose: recipient.purpose.clone().unwrap_or_else(|| "transcript requested through PESC".to_string()),
                consent,
                source: format!("{source}:{}", line_of(bytes, asked.line)),
                reference: Some(reference),
                pesc: Some(bytes.to_vec()),
            });
        }
    }
    Ok(out)
}

/// The line of the element that starts at `offset` (after the white space before it).
fn line_of(bytes: &[u8], offset: usize) -> usize {
    let offset = offset.min(bytes.len());
    let start = offset + bytes[offset..].iter().take_while(|b| b.is_ascii_whitespace()).count();
    bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1
}

/// What allows the release: a signature the sender holds is a consent recorded with the
/// request; the legitimate interest of an institution where the student seeks to enroll
/// needs none (99.31(a)(2)); no authorization, or another method, waits for a consent.
fn release(asked: &Asked, message: &Message, name: &str) -> (Basis, Option<NewConsent>) {
    match (asked.release, asked.method.as_deref()) {
        (true, Some("LegitimateEducationalInterest")) => (Basis::Enrollment, None),
        (true, Some(method @ ("Signature" | "ElectronicSignature"))) => {
            let signed_on = message.created.get(..10).and_then(|d| d.parse().ok()).unwrap_or_default();
            let consent = NewConsent {
                signed_by: if name.is_empty() { "the student".to_string() } else { name.to_string() },
                signer: Signer::Student,
                signed_on,
                records: None,
                purpose: None,
                text: format!(
                    "Release authorized in PESC TranscriptRequest {} (ReleaseAuthorizedMethod {method}); the signed authorization is kept by the sender.",
                    message.document_id
                ),
                file: None,
            };
            (Basis::Consent, Some(consent))
        }
        _ => (Basis::Consent, None),
    }
}

/// Writes the TranscriptResponse of a request sent through PESC (`received` is the
/// TranscriptRequest it came as), beside the PESC XML transcript of the version sent (taken
/// from `issued`, checked against the ledger's digest): `PACKS/pesc-R-000042/`.
pub(crate) fn respond(
    request: &Request,
    entry: &Entry,
    entries: &[Entry],
    received: &[u8],
    school_name: &str,
    issued: &Path,
    packs: &Path,
) -> std::io::Result<PathBuf> {
    let refused = |why: String| std::io::Error::other(format!("{}: {why}", request.id));
    let message = parse(Path::new(&request.source), received).unwrap_or_default();
    // The request's own student, by the line its `Request` starts on (a message may ask for
    // several students: never answer one with another's name).
    let line: Option<usize> = request.source.rsplit(':').next().and_then(|l| l.parse().ok());
    let asked = message
        .requests
        .iter()
        .find(|a| Some(line_of(received, a.line)) == line)
        .cloned()
        .ok_or_else(|| refused("its TranscriptRequest is not the one it came as".to_string()))?;
    let version = entries
        .iter()
        .find(|e| e.action == Action::Issue && e.credential_id == entry.credential_id)
        .ok_or_else(|| refused(format!("the ledger has no issue of {}", entry.credential_id)))?;
    let mut files = BTreeMap::new();
    if let Some((path, sha256)) = version.files.iter().find(|(path, _)| path.ends_with(crate::pesc::FILE_NAME)) {
        let transcript = load::file_beneath(issued, Path::new(path))?;
        if digest::sha256_hex(&transcript) != *sha256 {
            return Err(refused(format!(
                "{} is not the file the ledger recorded: it changed after it was issued",
                issued.join(path).display()
            )));
        }
        files.insert(crate::pesc::FILE_NAME.to_string(), transcript);
    }
    files.insert(RESPONSE_FILE.to_string(), response(request, entry, &message, &asked, school_name));
    let folder = packs.join(format!("pesc-{}", request.id));
    output::write_bundle(&folder, &files)?;
    Ok(folder)
}

/// A TranscriptResponse saying the transcript was sent.
fn response(request: &Request, entry: &Entry, message: &Message, asked: &Asked, school: &str) -> Vec<u8> {
    let mut xml = Xml::new();
    xml.start_with(
        "TrnResp:TranscriptResponse",
        &[
            ("xmlns:TrnResp", RESPONSE_NAMESPACE),
            ("xmlns:AcRec", ACADEMIC_RECORD_NAMESPACE),
            ("xmlns:core", CORE_NAMESPACE),
        ],
    );
    let created = entry.at.clone();
    let tracking = request
        .reference
        .as_deref()
        .and_then(|r| r.strip_prefix("pesc:"))
        .map(|r| r.split('#').next().unwrap_or(r).to_string())
        .unwrap_or_else(|| request.id.clone());
    xml.start("TrnResp:TransmissionData");
    xml.leaf("DocumentID", &format!("{}-response", request.id));
    xml.leaf("CreatedDateTime", &created);
    xml.leaf("DocumentTypeCode", "Response");
    xml.leaf("TransmissionType", "Original");
    xml.start("Source");
    xml.start("Organization");
    xml.leaf("OrganizationName", school);
    xml.end("Organization");
    xml.end("Source");
    xml.start("Destination");
    xml.start("Organization");
    if let Some(ceeb) = &message.source_ceeb {
        xml.leaf("CEEBACT", ceeb);
    }
    xml.leaf("OrganizationName", message.source_name.as_deref().unwrap_or(&request.recipient));
    xml.end("Organization");
    xml.end("Destination");
    xml.leaf("RequestTrackingID", &tracking);
    xml.end("TrnResp:TransmissionData");
    xml.start("TrnResp:Response");
    xml.leaf("CreatedDateTime", &created);
    xml.leaf("RequestTrackingID", &tracking);
    xml.leaf("ResponseStatus", "TranscriptSent");
    xml.start("RequestedStudent");
    xml.start("Person");
    xml.leaf("SchoolAssignedPersonID", &request.student);
    if let Some(birth) = &asked.birth {
        xml.start("Birth");
        xml.leaf("BirthDate", birth);
        xml.end("Birth");
    }
    xml.start("Name");
    if let Some(first) = &asked.first {
        xml.leaf("FirstName", first);
    }
    if let Some(middle) = &asked.middle {
        xml.leaf("MiddleName", middle);
    }
    if let Some(last) = &asked.last {
        xml.leaf("LastName", last);
    }
    xml.end("Name");
    xml.end("Person");
    xml.start("Attendance");
    xml.start("School");
    xml.leaf("OrganizationName", school);
    xml.end("School");
    xml.end("Attendance");
    xml.leaf("ReleaseAuthorizedIndicator", if asked.release { "true" } else { "false" });
    xml.end("RequestedStudent");
    xml.end("TrnResp:Response");
    xml.end("TrnResp:TranscriptResponse");
    xml.finish().unwrap_or_default()
}
