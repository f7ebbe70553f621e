//! A OneRoster 1.2 REST server read into a CSV bulk bundle: the rostering service's
//! `academicSessions`, `classes`, `users`, `enrollments` and `demographics`, and the
//! gradebook service's `scoreScales`, `lineItems` and `results`, each read page by page, and
//! written as the CSV binding's tables (the JSON binding's GUID references become the
//! `…SourcedId` columns; its `learningObjectiveSet`s and score scale references become the
//! link tables). The bundle is what [`crate::load::oneroster`] reads, so a pulled snapshot and
//! an exported one are one format.
//!
//! A snapshot keeps what a transcript uses: names, identifiers, grade, birth date, roles,
//! enrollments and the gradebook. E-mail addresses, telephone numbers, passwords and the rest
//! of the demographics are never written.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::http::{Client, Credentials, RetryPolicy};
use super::{Event, PullError};
use crate::load::oneroster::bundle::{TableWriter, bulk_files, headers};

/// The scopes a pull asks for: rostering, demographics (birth dates) and the gradebook, each
/// read-only.
pub const SCOPES: &str = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly \
https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly \
https://purl.imsglobal.org/spec/or/v1p2/scope/gradebook.readonly";

/// Where and how to pull from.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// The server's address before `/ims/oneroster/`.
    pub base: String,
    /// The token endpoint; `None` for `{base}/oauth/token`.
    pub token_url: Option<String>,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// Records asked for per page (a server may give fewer).
    pub page_size: u64,
    /// How to retry.
    pub retry: RetryPolicy,
}

/// A pulled data set: the files of a bulk bundle, and how many records each collection gave.
#[derive(Debug)]
pub struct Snapshot {
    /// File name to bytes, `manifest.csv` among them.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Records read, by collection, in the order read.
    pub counts: Vec<(&'static str, u64)>,
}

/// The collections read, in order: (service, collection).
const COLLECTIONS: [(&str, &str); 8] = [
    ("rostering", "academicSessions"),
    ("rostering", "classes"),
    ("rostering", "users"),
    ("rostering", "enrollments"),
    ("rostering", "demographics"),
    ("gradebook", "scoreScales"),
    ("gradebook", "lineItems"),
    ("gradebook", "results"),
];

/// The address before `/ims/oneroster/`: what the user gave, less a trailing slash or a path
/// into the API that a provider's documentation may have included.
pub fn base_url(given: &str) -> String {
    let given = given.trim().trim_end_matches('/');
    match given.find("/ims/oneroster") {
        Some(at) => given[..at].to_string(),
        None => given.to_string(),
    }
}

/// Reads every collection from the server and returns the bundle's files. Nothing is written.
pub fn pull(options: &PullOptions, mut each: impl FnMut(Event)) -> Result<Snapshot, PullError> {
    let base = base_url(&options.base);
    let token_url = options.token_url.clone().unwrap_or_else(|| format!("{base}/oauth/token"));
    private_address(&base, "--url")?;
    private_address(&token_url, "--token-url")?;
    let credentials = Credentials {
        token_url,
        client_id: options.client_id.clone(),
        client_secret: options.client_secret.clone(),
        scope: SCOPES.to_string(),
    };
    let mut client = Client::new(credentials, options.retry);
    let mut tables = Tables::new();
    let mut counts = Vec::new();
    for (service, collection) in COLLECTIONS {
        let url = format!("{base}/ims/oneroster/{service}/v1p2/{collection}");
        let mut offset = 0;
        loop {
            let page = client.page(&url, options.page_size.max(1), offset, &mut each)?;
            let records = records(&page.body, collection, &url, offset)?;
            let read = records.len() as u64;
            for record in &records {
                tables.add(collection, record);
            }
            offset += read;
            each(Event::Page { collection, read: offset, total: page.total });
            // The server's total says when to stop; without one, an empty (or short) page does.
            let done = match page.total {
                Some(total) => offset >= total || read == 0,
                None => read < options.page_size.max(1),
            };
            if done {
                if let Some(total) = page.total.filter(|total| offset < *total) {
                    return Err(PullError::new(
                        format!(
                            "{url} said it holds {total} {collection} but gave {offset} before a page came back empty"
                        ),
                        "the server's paging is broken or the data changed during the pull; try again",
                    ));
                }
                break;
            }
        }
        counts.push((collection, offset));
    }
    Ok(Snapshot { files: tables.finish(), counts })
}

/// Refuses an address that would send the secret or student records in the clear: HTTPS, or
/// plain HTTP to this machine alone (a local proxy, a test server).
fn private_address(url: &str, flag: &str) -> Result<(), PullError> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(PullError::new(format!("{url} is not a web address"), format!("give {flag} as https://host/…")));
    };
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let local = host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if local {
        Ok(())
    } else {
        Err(PullError::new(
            format!("{url} is plain HTTP; the client secret and student records would cross the network unencrypted"),
            format!("give {flag} as https://…; plain http:// is accepted only for this machine (localhost)"),
        ))
    }
}

/// The records of one page: the array under the collection's name.
fn records(body: &[u8], collection: &str, url: &str, offset: u64) -> Result<Vec<Value>, PullError> {
    let mut page: Value = serde_json::from_slice(body).map_err(|e| {
        PullError::new(
            format!("{url} (offset {offset}) did not answer with JSON: {e}"),
            "check that --url points at a OneRoster 1.2 server",
        )
    })?;
    match page.get_mut(collection).map(Value::take) {
        Some(Value::Array(records)) => Ok(records),
        _ => Err(PullError::new(
            format!("{url} (offset {offset}) answered without a \"{collection}\" list"),
            "the server does not speak OneRoster 1.2's JSON binding at this address; check --url",
        )),
    }
}

/// A field as CSV text: strings as they are, numbers and booleans as JSON writes them.
fn text(record: &Value, field: &str) -> String {
    match &record[field] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// The `sourcedId` of a GUID reference.
fn reference(record: &Value, field: &str) -> String {
    text(&record[field], "sourcedId")
}

/// A list of strings, or of GUID references, as the CSV binding's comma-separated list.
fn list(record: &Value, field: &str) -> String {
    let items = record[field].as_array().into_iter().flatten();
    let texts: Vec<String> = items
        .map(|item| match item {
            Value::Object(_) => text(item, "sourcedId"),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    texts.join(",")
}

/// The bundle's tables as they fill.
struct Tables {
    sessions: TableWriter,
    classes: TableWriter,
    users: Vec<Value>,
    roles: TableWriter,
    enrollments: TableWriter,
    demographics: TableWriter,
    scales: TableWriter,
    line_items: TableWriter,
    line_item_objectives: TableWriter,
    line_item_scales: TableWriter,
    results: TableWriter,
    result_objectives: TableWriter,
    result_scales: TableWriter,
}

/// `users.csv`'s columns before the `metadata.*` ones.
const USER_COLUMNS: [&str; 14] = [
    "sourcedId",
    "status",
    "dateLastModified",
    "enabledUser",
    "username",
    "givenName",
    "familyName",
    "middleName",
    "identifier",
    "grades",
    "preferredGivenName",
    "preferredMiddleName",
    "preferredFamilyName",
    "primaryOrgSourcedId",
];

impl Tables {
    fn new() -> Tables {
        Tables {
            sessions: TableWriter::new(&headers::ACADEMIC_SESSIONS),
            classes: TableWriter::new(&headers::CLASSES),
            users: Vec::new(),
            roles: TableWriter::new(&[
                "sourcedId",
                "status",
                "dateLastModified",
                "userSourcedId",
                "roleType",
                "role",
                "beginDate",
                "endDate",
                "orgSourcedId",
                "userProfileSourcedId",
            ]),
            enrollments: TableWriter::new(&headers::ENROLLMENTS),
            demographics: TableWriter::new(&["sourcedId", "status", "dateLastModified", "birthDate"]),
            scales: TableWriter::new(&[
                "sourcedId",
                "status",
                "dateLastModified",
                "title",
                "type",
                "courseSourcedId",
                "classSourcedId",
                "scoreScaleValue",
            ]),
            line_items: TableWriter::new(&headers::LINE_ITEMS),
            line_item_objectives: TableWriter::new(&headers::LINE_ITEM_OBJECTIVES),
            line_item_scales: link_table("lineItemSourcedId"),
            results: TableWriter::new(&headers::RESULTS),
            result_objectives: TableWriter::new(&[
                "sourcedId",
                "status",
                "dateLastModified",
                "resultSourcedId",
                "source",
                "learningObjectiveId",
                "score",
                "textScore",
            ]),
            result_scales: link_table("resultSourcedId"),
        }
    }

    /// Adds one record of `collection`. A record marked `tobedeleted` is not part of a bulk
    /// snapshot; `status` and `dateLastModified` stay empty, as the CSV binding asks of bulk files.
    fn add(&mut self, collection: &str, r: &Value) {
        if r["status"].as_str() == Some("tobedeleted") {
            return;
        }
        let id = text(r, "sourcedId");
        let t = |field: &str| text(r, field);
        match collection {
            "academicSessions" => self.sessions.row(&[
                id,
                String::new(),
                String::new(),
                t("title"),
                t("type"),
                t("startDate"),
                t("endDate"),
                reference(r, "parent"),
                t("schoolYear"),
            ]),
            "classes" => self.classes.row(&[
                id,
                String::new(),
                String::new(),
                t("title"),
                list(r, "grades"),
                reference(r, "course"),
                t("classCode"),
                t("classType"),
                t("location"),
                reference(r, "school"),
                list(r, "terms"),
                list(r, "subjects"),
                list(r, "subjectCodes"),
                list(r, "periods"),
            ]),
            "users" => {
                for (n, role) in r["roles"].as_array().into_iter().flatten().enumerate() {
                    self.roles.row(&[
                        format!("{id}#role{}", n + 1),
                        String::new(),
                        String::new(),
                        id.clone(),
                        text(role, "roleType"),
                        text(role, "role"),
                        text(role, "beginDate"),
                        text(role, "endDate"),
                        reference(role, "org"),
                        reference(role, "userProfile"),
                    ]);
                }
                self.users.push(r.clone());
            }
            "enrollments" => self.enrollments.row(&[
                id,
                String::new(),
                String::new(),
                reference(r, "class"),
                reference(r, "school"),
                reference(r, "user"),
                t("role"),
                t("primary"),
                t("beginDate"),
                t("endDate"),
            ]),
            "demographics" => self.demographics.row(&[id, String::new(), String::new(), t("birthDate")]),
            "scoreScales" => {
                let values: Vec<String> = r["scoreScaleValue"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| format!("{{{}:{}}}", text(v, "itemValueLHS"), text(v, "itemValueRHS")))
                    .collect();
                self.scales.row(&[
                    id,
                    String::new(),
                    String::new(),
                    t("title"),
                    t("type"),
                    reference(r, "course"),
                    reference(r, "class"),
                    values.join(","),
                ]);
            }
            "lineItems" => {
                for (n, objective) in objectives(r, "learningObjectiveIds").enumerate() {
                    let (source, objective) = objective;
                    self.line_item_objectives.row(&[
                        format!("{id}#lo{}", n + 1),
                        String::new(),
                        String::new(),
                        id.clone(),
                        source,
                        text_of(objective),
                    ]);
                }
                let scale = reference(r, "scoreScale");
                if !scale.is_empty() {
                    self.line_item_scales.row(&[
                        format!("{id}#scale"),
                        String::new(),
                        String::new(),
                        id.clone(),
                        scale,
                    ]);
                }
                let session = match reference(r, "academicSession") {
                    session if session.is_empty() => reference(r, "gradingPeriod"),
                    session => session,
                };
                self.line_items.row(&[
                    id,
                    String::new(),
                    String::new(),
                    t("title"),
                    t("description"),
                    t("assignDate"),
                    t("dueDate"),
                    reference(r, "class"),
                    reference(r, "category"),
                    session,
                    t("resultValueMin"),
                    t("resultValueMax"),
                    reference(r, "school"),
                ]);
            }
            "results" => {
                for (n, (source, objective)) in objectives(r, "learningObjectiveResults").enumerate() {
                    self.result_objectives.row(&[
                        format!("{id}#lo{}", n + 1),
                        String::new(),
                        String::new(),
                        id.clone(),
                        source,
                        text(objective, "learningObjectiveId"),
                        text(objective, "score"),
                        text(objective, "textScore"),
                    ]);
                }
                let scale = reference(r, "scoreScale");
                if !scale.is_empty() {
                    self.result_scales.row(&[format!("{id}#scale"), String::new(), String::new(), id.clone(), scale]);
                }
                self.results.row(&[
                    id,
                    String::new(),
                    String::new(),
                    reference(r, "lineItem"),
                    reference(r, "student"),
                    t("scoreStatus"),
                    t("score"),
                    t("scoreDate"),
                    t("comment"),
                    t("textScore"),
                    reference(r, "class"),
                    t("inProgress"),
                    t("incomplete"),
                    t("late"),
                    t("missing"),
                ]);
            }
            _ => {}
        }
    }

    /// The bundle's files. `users.csv` gets a `metadata.*` column for every extension field a
    /// user has (a district's expected graduation date, say), in name order.
    fn finish(self) -> BTreeMap<String, Vec<u8>> {
        let extensions: BTreeSet<String> = self
            .users
            .iter()
            .filter_map(|user| user["metadata"].as_object())
            .flat_map(|metadata| metadata.keys().cloned())
            .collect();
        let mut header: Vec<String> = USER_COLUMNS.iter().map(|c| c.to_string()).collect();
        header.extend(extensions.iter().map(|key| format!("metadata.{key}")));
        let mut users = TableWriter::new(&header);
        for user in &self.users {
            let t = |field: &str| text(user, field);
            let mut row = vec![
                t("sourcedId"),
                String::new(),
                String::new(),
                t("enabledUser"),
                t("username"),
                t("givenName"),
                t("familyName"),
                t("middleName"),
                t("identifier"),
                list(user, "grades"),
                t("preferredFirstName"),
                t("preferredMiddleName"),
                t("preferredLastName"),
                reference(user, "primaryOrg"),
            ];
            row.extend(extensions.iter().map(|key| match &user["metadata"][key] {
                Value::Null => String::new(),
                value => text_of(value),
            }));
            users.row(&row);
        }
        bulk_files(
            vec![
                ("academicSessions", self.sessions),
                ("classes", self.classes),
                ("demographics", self.demographics),
                ("enrollments", self.enrollments),
                ("lineItemLearningObjectiveIds", self.line_item_objectives),
                ("lineItemScoreScales", self.line_item_scales),
                ("lineItems", self.line_items),
                ("resultLearningObjectiveIds", self.result_objectives),
                ("resultScoreScales", self.result_scales),
                ("results", self.results),
                ("roles", self.roles),
                ("scoreScales", self.scales),
                ("users", users),
            ],
            "mastery pull oneroster",
        )
    }
}

/// A link table from a line item or result to its score scale.
fn link_table(from: &str) -> TableWriter {
    TableWriter::new(&["sourcedId", "status", "dateLastModified", from, "scoreScaleSourcedId"])
}

/// A JSON value as CSV text: a string as it is, anything else as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The entries of a record's `learningObjectiveSet`s, each with its set's `source`: the ids of
/// a line item (`learningObjectiveIds`) or the per-objective results of a result
/// (`learningObjectiveResults`).
fn objectives<'r>(record: &'r Value, entries: &'r str) -> impl Iterator<Item = (String, &'r Value)> + 'r {
    record["learningObjectiveSet"].as_array().into_iter().flatten().flat_map(move |set| {
        let source = text(set, "source");
        set[entries].as_array().into_iter().flatten().map(move |entry| (source.clone(), entry))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(files: &BTreeMap<String, Vec<u8>>, name: &str) -> Vec<Vec<String>> {
        let mut reader = csv::Reader::from_reader(files[name].as_slice());
        let mut rows = vec![reader.headers().unwrap().iter().map(str::to_string).collect()];
        rows.extend(reader.records().map(|r| r.unwrap().iter().map(str::to_string).collect()));
        rows
    }

    #[test]
    fn the_address_before_the_api_is_kept() {
        assert_eq!(base_url("https://sis.example.org/"), "https://sis.example.org");
        assert_eq!(base_url("https://sis.example.org/api/ims/oneroster/rostering/v1p2"), "https://sis.example.org/api");
    }

    #[test]
    fn records_travel_encrypted_or_stay_on_this_machine() {
        assert!(private_address("https://sis.example.org/api", "--url").is_ok());
        assert!(private_address("http://127.0.0.1:8080/api", "--url").is_ok());
        assert!(private_address("http://localhost/api", "--url").is_ok());
        assert!(private_address("http://[::1]:9000", "--url").is_ok());
        let error = private_address("http://sis.example.org/api", "--url").unwrap_err();
        assert!(error.message.contains("plain HTTP"), "{error}");
        assert!(private_address("http://127.0.0.1.evil.example/", "--url").is_err());
        assert!(private_address("ftp://sis.example.org", "--url").is_err());
    }

    #[test]
    fn json_records_become_the_csv_bindings_rows() {
        let mut tables = Tables::new();
        tables.add(
            "users",
            &json!({
                "sourcedId": "u1", "status": "active", "enabledUser": true, "username": "ada",
                "givenName": "Ada", "familyName": "Okafor", "identifier": "S-1", "grades": ["12"],
                "preferredFirstName": "Addy", "email": "ada@example.org", "password": "secret",
                "roles": [{"roleType": "primary", "role": "student", "org": {"href": "x", "sourcedId": "org-1", "type": "org"}}],
                "metadata": {"expectedGraduation": "2027-06-11"}
            }),
        );
        tables
            .add("users", &json!({"sourcedId": "gone", "status": "tobedeleted", "givenName": "X", "familyName": "Y"}));
        tables.add(
            "lineItems",
            &json!({
                "sourcedId": "li1", "title": "Essay", "class": {"sourcedId": "c1"},
                "scoreScale": {"sourcedId": "sc1"},
                "learningObjectiveSet": [{"source": "case", "learningObjectiveIds": ["urn:uuid:a", "urn:uuid:b"]}]
            }),
        );
        tables.add(
            "results",
            &json!({
                "sourcedId": "r1", "lineItem": {"sourcedId": "li1"}, "student": {"sourcedId": "u1"},
                "scoreStatus": "fully graded", "score": 3, "scoreDate": "2026-03-02",
                "learningObjectiveSet": [{"source": "case", "learningObjectiveResults": [
                    {"learningObjectiveId": "urn:uuid:a", "score": 4, "textScore": "Exceeds"}
                ]}]
            }),
        );
        tables.add(
            "scoreScales",
            &json!({"sourcedId": "sc1", "title": "Proficiency", "scoreScaleValue": [
                {"itemValueLHS": "Meets", "itemValueRHS": "3"}, {"itemValueLHS": "Exceeds", "itemValueRHS": "4"}
            ]}),
        );
        let files = tables.finish();

        let users = table(&files, "users.csv");
        assert_eq!(users.len(), 2, "the user marked tobedeleted is not in a bulk snapshot");
        assert_eq!(users[0].last().unwrap(), "metadata.expectedGraduation");
        assert_eq!(&users[1][..5], ["u1", "", "", "true", "ada"]);
        assert_eq!(users[1][8], "S-1");
        assert_eq!(users[1][10], "Addy");
        assert_eq!(users[1].last().unwrap(), "2027-06-11");
        let all = String::from_utf8(files["users.csv"].clone()).unwrap();
        assert!(!all.contains("ada@example.org") && !all.contains("secret"), "no e-mail or password is kept");
        assert_eq!(table(&files, "roles.csv")[1][3..6], ["u1", "primary", "student"]);
        assert_eq!(
            table(&files, "lineItemLearningObjectiveIds.csv")[1..],
            [
                ["li1#lo1", "", "", "li1", "case", "urn:uuid:a"].map(String::from).to_vec(),
                ["li1#lo2", "", "", "li1", "case", "urn:uuid:b"].map(String::from).to_vec(),
            ]
        );
        assert_eq!(table(&files, "lineItemScoreScales.csv")[1][3..], ["li1", "sc1"]);
        assert_eq!(table(&files, "results.csv")[1][3..8], ["li1", "u1", "fully graded", "3", "2026-03-02"]);
        assert_eq!(
            table(&files, "resultLearningObjectiveIds.csv")[1][3..],
            ["r1", "case", "urn:uuid:a", "4", "Exceeds"]
        );
        assert_eq!(table(&files, "scoreScales.csv")[1][7], "{Meets:3},{Exceeds:4}");
        let manifest = String::from_utf8(files["manifest.csv"].clone()).unwrap();
        assert!(manifest.contains("file.results,bulk\r\n") && manifest.contains("file.orgs,absent\r\n"), "{manifest}");
    }
}
