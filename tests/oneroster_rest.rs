//! `mastery pull oneroster` against a OneRoster 1.2 REST server that the test starts on
//! 127.0.0.1: the JSON binding's shapes (collections under their names, GUID references,
//! `learningObjectiveSet`s), `limit`/`offset` paging with `X-Total-Count`, and OAuth 2.0 client
//! credentials with HTTP Basic. The server misbehaves on request: a wrong secret, a token that
//! expires part way, a page that fails once, a 429 with `Retry-After`, a page that always fails.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};

use crate::common::*;
use crate::oneroster::{empty_school, generate, transcripts, transcripts_of};

const CLIENT_ID: &str = "mastery-test-client";
const CLIENT_SECRET: &str = "s3cret with spaces:and/colons";

/// How the server behaves, and what it saw.
#[derive(Default)]
struct Server {
    /// Collection name to its records.
    data: BTreeMap<String, Vec<Value>>,
    /// The most records a page holds, whatever `limit` asks.
    max_page: u64,
    /// Requests a token serves before the server stops taking it.
    token_lifetime: Option<usize>,
    /// Pages (collection, offset) answered 503 the first time.
    fail_once: BTreeSet<(String, u64)>,
    /// Pages answered 429 with `Retry-After: 1` the first time.
    throttle_once: BTreeSet<(String, u64)>,
    /// Pages that always fail.
    fail_always: BTreeSet<(String, u64)>,
    /// Tokens issued, with the requests each has left.
    tokens: HashMap<String, usize>,
    /// Every request: "token 200", "results 0 503".
    log: Vec<String>,
}

type Shared = Arc<Mutex<Server>>;

/// A JSON answer with its status and headers.
fn json_response(status: StatusCode, headers: &[(&'static str, String)], body: Value) -> Response {
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response();
    for (name, value) in headers {
        response.headers_mut().insert(*name, value.parse().unwrap());
    }
    response
}

async fn token(
    State(server): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut server = server.lock().unwrap();
    let expected = base64::engine::general_purpose::STANDARD
        .encode(format!("{CLIENT_ID}:{}", CLIENT_SECRET.replace(' ', "+").replace(':', "%3A").replace('/', "%2F")));
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if given != format!("Basic {expected}") {
        server.log.push("token 401".to_string());
        return json_response(StatusCode::UNAUTHORIZED, &[], json!({"error": "invalid_client"}));
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || !form.get("scope").is_some_and(|s| s.contains("gradebook.readonly"))
    {
        server.log.push("token 400".to_string());
        return json_response(StatusCode::BAD_REQUEST, &[], json!({"error": "invalid_request"}));
    }
    let value = format!("token-{}", server.tokens.len() + 1);
    let lifetime = server.token_lifetime.unwrap_or(usize::MAX);
    server.tokens.insert(value.clone(), lifetime);
    server.log.push("token 200".to_string());
    json_response(StatusCode::OK, &[], json!({"access_token": value, "token_type": "bearer", "expires_in": 3600}))
}

async fn collection(
    State(server): State<Shared>,
    UrlPath((service, name)): UrlPath<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut server = server.lock().unwrap();
    let offset: u64 = query.get("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
    let limit: u64 = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let answer = |server: &mut Server, status: StatusCode| {
        server.log.push(format!("{name} {offset} {}", status.as_u16()));
    };
    let alive = match server.tokens.get_mut(&bearer) {
        Some(left) if *left > 0 => {
            *left -= 1;
            true
        }
        _ => false,
    };
    if !alive {
        answer(&mut server, StatusCode::UNAUTHORIZED);
        return json_response(StatusCode::UNAUTHORIZED, &[], json!({"imsx_codeMajor": "failure"}));
    }
    let page = (name.clone(), offset);
    if server.fail_always.contains(&page) || server.fail_once.remove(&page) {
        answer(&mut server, StatusCode::SERVICE_UNAVAILABLE);
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if server.throttle_once.remove(&page) {
        answer(&mut server, StatusCode::TOO_MANY_REQUESTS);
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response();
    }
    let expected =
        if ["lineItems", "results", "scoreScales"].contains(&name.as_str()) { "gradebook" } else { "rostering" };
    let Some(records) = server.data.get(&name).filter(|_| service == expected) else {
        answer(&mut server, StatusCode::NOT_FOUND);
        return StatusCode::NOT_FOUND.into_response();
    };
    let total = records.len() as u64;
    let take = limit.min(server.max_page) as usize;
    let page: Vec<Value> = records.iter().skip(offset as usize).take(take).cloned().collect();
    answer(&mut server, StatusCode::OK);
    json_response(StatusCode::OK, &[("X-Total-Count", total.to_string())], json!({ name: page }))
}

/// The server, running until dropped.
struct Running {
    url: String,
    state: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn start(server: Server) -> Running {
        let state: Shared = Arc::new(Mutex::new(server));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .route("/oauth/token", post(token))
            .route("/ims/oneroster/{service}/v1p2/{name}", get(collection))
            .with_state(state.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
        });
        Running { url, state, stop: Some(stop), thread: Some(thread) }
    }

    fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The rows of a CSV table, as maps from column to cell.
fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    if !path.exists() {
        return Vec::new();
    }
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_string)).collect()).collect()
}

/// A GUID reference, as the JSON binding writes one.
fn reference(kind: &str, id: &str) -> Value {
    json!({"href": format!("/ims/oneroster/{kind}s/{id}"), "sourcedId": id, "type": kind})
}

/// A number as JSON gives it (the CSV binding's scores are text).
fn number(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The records a OneRoster 1.2 REST server would give for a CSV bundle: the inverse of the
/// pull's conversion, written from the JSON binding's tables.
fn rest_records(bundle: &Path) -> BTreeMap<String, Vec<Value>> {
    let table = |name: &str| rows(&bundle.join(format!("{name}.csv")));
    let mut roles: HashMap<String, String> = HashMap::new();
    let enrollments: Vec<Value> = table("enrollments")
        .iter()
        .map(|e| {
            roles.insert(e["userSourcedId"].clone(), e["role"].clone());
            json!({
                "sourcedId": e["sourcedId"], "status": "active", "dateLastModified": "2026-09-01T00:00:00Z",
                "class": reference("class", &e["classSourcedId"]), "school": reference("org", &e["schoolSourcedId"]),
                "user": reference("user", &e["userSourcedId"]), "role": e["role"], "primary": e["primary"]
            })
        })
        .collect();
    let users = table("users")
        .iter()
        .map(|u| {
            let metadata: serde_json::Map<String, Value> =
                u.iter().filter_map(|(k, v)| k.strip_prefix("metadata.").map(|k| (k.to_string(), json!(v)))).collect();
            json!({
                "sourcedId": u["sourcedId"], "status": "active", "dateLastModified": "2026-09-01T00:00:00Z",
                "enabledUser": true, "username": u["username"], "givenName": u["givenName"],
                "familyName": u["familyName"], "middleName": u["middleName"], "identifier": u["identifier"],
                "email": format!("{}@example.org", u["username"]), "password": "hunter2",
                "grades": u["grades"].split(',').filter(|g| !g.is_empty()).collect::<Vec<_>>(),
                "roles": [{"roleType": "primary", "role": roles.get(&u["sourcedId"]).cloned().unwrap_or_default(),
                           "org": reference("org", &u["primaryOrgSourcedId"])}],
                "primaryOrg": reference("org", &u["primaryOrgSourcedId"]),
                "metadata": metadata
            })
        })
        .collect();
    let objectives: HashMap<String, Vec<(String, String)>> =
        table("lineItemLearningObjectiveIds").iter().fold(HashMap::new(), |mut map, o| {
            map.entry(o["lineItemSourcedId"].clone())
                .or_default()
                .push((o["source"].clone(), o["learningObjectiveId"].clone()));
            map
        });
    let line_items = table("lineItems")
        .iter()
        .map(|l| {
            let ids = objectives.get(&l["sourcedId"]).cloned().unwrap_or_default();
            let sets: Vec<Value> =
                ids.iter().map(|(source, id)| json!({"source": source, "learningObjectiveIds": [id]})).collect();
            json!({
                "sourcedId": l["sourcedId"], "status": "active", "dateLastModified": "2026-09-01T00:00:00Z",
                "title": l["title"], "assignDate": l["assignDate"], "dueDate": l["dueDate"],
                "class": reference("class", &l["classSourcedId"]), "school": reference("org", &l["schoolSourcedId"]),
                "category": reference("category", &l["categorySourcedId"]),
                "academicSession": reference("academicSession", &l["academicSessionSourcedId"]),
                "resultValueMin": number(&l["resultValueMin"]), "resultValueMax": number(&l["resultValueMax"]),
                "learningObjectiveSet": sets
            })
        })
        .collect();
    let results = table("results")
        .iter()
        .map(|r| {
            json!({
                "sourcedId": r["sourcedId"], "status": "active", "dateLastModified": "2026-09-01T00:00:00Z",
                "lineItem": reference("lineItem", &r["lineItemSourcedId"]),
                "student": reference("user", &r["studentSourcedId"]),
                "class": reference("class", &r["classSourcedId"]),
                "scoreStatus": r["scoreStatus"], "score": number(&r["score"]), "scoreDate": r["scoreDate"],
                "comment": r["comment"], "inProgress": "false", "incomplete": "false", "late": "false", "missing": "false"
            })
        })
        .collect();
    let simple = |name: &str| -> Vec<Value> {
        table(name)
            .iter()
            .map(|row| json!(row.iter().filter(|(_, v)| !v.is_empty()).collect::<BTreeMap<_, _>>()))
            .collect()
    };
    let demographics = table("demographics")
        .iter()
        .map(|d| json!({"sourcedId": d["sourcedId"], "status": "active", "birthDate": d["birthDate"], "sex": "female"}))
        .collect();
    BTreeMap::from([
        ("academicSessions".to_string(), simple("academicSessions")),
        ("classes".to_string(), simple("classes")),
        ("users".to_string(), users),
        ("enrollments".to_string(), enrollments),
        ("demographics".to_string(), demographics),
        ("scoreScales".to_string(), Vec::new()),
        ("lineItems".to_string(), line_items),
        ("results".to_string(), results),
    ])
}

/// A secret file readable by its owner alone.
fn secret_file(dir: &Path, secret: &str) -> std::path::PathBuf {
    let path = dir.join("client-secret");
    std::fs::write(&path, format!("{secret}\n")).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    path
}

fn pull(server: &Running, secret: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    mastery()
        .args(["pull", "oneroster", "--url", &format!("{}/ims/oneroster/", server.url)])
        .args(["--client-id", CLIENT_ID, "--client-secret-file", secret.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap()
}

/// A server holding `count` generated students, as gen-fixtures writes them in a bundle.
fn generated_server(count: usize) -> Server {
    let source = empty_school();
    generate(source.path(), "oneroster", "bundle", count);
    Server { data: rest_records(&source.path().join("bundle")), max_page: 1000, ..Server::default() }
}

#[test]
fn a_pulled_snapshot_gives_the_json_lines_transcripts() {
    let count = 120;
    let lines = empty_school();
    generate(lines.path(), "gradebook-jsonl", "students/gradebook.jsonl", count);
    let expected = transcripts(lines.path());

    // Small pages, a token that lasts 12 requests, a results page that fails once and a users
    // page that is throttled once: the pull goes through all of it.
    let mut server = generated_server(count);
    server.max_page = 50;
    server.token_lifetime = Some(12);
    server.fail_once.insert(("results".to_string(), 100));
    server.throttle_once.insert(("users".to_string(), 50));
    let results = server.data["results"].len();
    let server = Running::start(server);

    let school = empty_school();
    let secret = secret_file(school.path(), CLIENT_SECRET);
    let out = school.path().join("students/district");
    let output = pull(&server, &secret, &out, &["--page-size", "200"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains(&format!("{results} results")), "{}", stderr(&output));

    let log = server.log();
    let tokens = log.iter().filter(|l| *l == "token 200").count();
    assert!(tokens >= 3, "a token lasting 12 requests was renewed: {log:?}");
    assert!(log.contains(&"results 100 503".to_string()) && log.contains(&"results 100 200".to_string()), "{log:?}");
    assert!(log.contains(&"users 50 429".to_string()) && log.contains(&"users 50 200".to_string()), "{log:?}");
    assert!(log.iter().any(|l| l.ends_with(" 401")), "an expired token was refused and renewed: {log:?}");

    let users = std::fs::read_to_string(out.join("users.csv")).unwrap();
    assert!(!users.contains("@example.org") && !users.contains("hunter2"), "no e-mail or password is kept");
    let found = transcripts(school.path());
    assert_eq!(found.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (name, bytes) in &expected {
        assert!(found[name] == *bytes, "{} differs from the JSON Lines student's", name.display());
    }
}

#[test]
fn a_wrong_secret_or_a_failing_server_leaves_the_previous_snapshot() {
    let server = Running::start(generated_server(5));
    let school = empty_school();
    let out = school.path().join("students/district");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("manifest.csv"), "propertyName,value\r\n").unwrap();
    let before = files_under(&school.path().join("students"));

    let wrong = secret_file(school.path(), "not the secret");
    let output = pull(&server, &wrong, &out, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("refused the client id and secret (invalid_client)"), "{}", stderr(&output));
    assert!(stderr(&output).contains("nothing was written"), "{}", stderr(&output));
    assert_eq!(files_under(&school.path().join("students")), before);

    // A page that fails every time: the pull gives up after its retries, and nothing is half written.
    server.state.lock().unwrap().fail_always.insert(("results".to_string(), 0));
    let right = secret_file(school.path(), CLIENT_SECRET);
    let output = pull(&server, &right, &out, &["--retries", "1"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("failed 2 times, the last with HTTP 503"), "{}", stderr(&output));
    assert_eq!(files_under(&school.path().join("students")), before);
    let hidden: Vec<_> = std::fs::read_dir(school.path().join("students"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");

    // A secret file others can read is refused before anything is asked of the server.
    #[cfg(unix)]
    {
        std::fs::set_permissions(&right, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        let output = pull(&server, &right, &out, &[]);
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr(&output).contains("can be read by others"), "{}", stderr(&output));
    }

    // The server back to health: the snapshot replaces the old one whole.
    server.state.lock().unwrap().fail_always.clear();
    std::fs::set_permissions(&right, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let output = pull(&server, &right, &out, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(out.join("results.csv").is_file());
    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn a_class_of_ten_thousand_results_is_read_page_by_page() {
    // One class, one teacher, 400 students with 25 results each, every result aligned to one
    // of the school's credits by the credit's id.
    let credits = ["WRI-1", "WRI-2", "MAT-1", "MAT-2"];
    let class = reference("class", "class-big");
    let mut data: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let users = data.entry("users".to_string()).or_default();
    users.push(json!({"sourcedId": "t1", "givenName": "Rosa", "familyName": "Vance", "identifier": "T1",
                      "roles": [{"roleType": "primary", "role": "teacher"}]}));
    for s in 0..400 {
        users.push(json!({
            "sourcedId": format!("BIG-{s:03}"), "givenName": format!("Student{s}"), "familyName": "Big",
            "identifier": format!("BIG-{s:03}"), "grades": ["12"],
            "roles": [{"roleType": "primary", "role": "student"}],
            "metadata": {"expectedGraduation": "2027-06-11"}
        }));
    }
    data.insert(
        "demographics".to_string(),
        (0..400).map(|s| json!({"sourcedId": format!("BIG-{s:03}"), "birthDate": "2009-01-02"})).collect(),
    );
    let mut enrollments = vec![json!({"sourcedId": "e-t1", "class": class, "user": reference("user", "t1"),
                                      "role": "teacher", "primary": "true"})];
    enrollments.extend((0..400).map(|s| {
        json!({"sourcedId": format!("e{s}"), "class": class, "user": reference("user", &format!("BIG-{s:03}")), "role": "student"})
    }));
    data.insert("enrollments".to_string(), enrollments);
    data.insert(
        "classes".to_string(),
        vec![json!({"sourcedId": "class-big", "title": "Seminar", "classType": "scheduled"})],
    );
    data.insert("academicSessions".to_string(), Vec::new());
    data.insert("scoreScales".to_string(), Vec::new());
    data.insert(
        "lineItems".to_string(),
        (0..25)
            .map(|i| {
                json!({"sourcedId": format!("li{i}"), "title": format!("Task {i}"), "class": class,
                       "learningObjectiveSet": [{"source": "local", "learningObjectiveIds": [credits[i % 4]]}]})
            })
            .collect(),
    );
    let mut results = Vec::new();
    for s in 0..400 {
        for i in 0..25 {
            results.push(json!({
                "sourcedId": format!("r{s}-{i}"), "lineItem": reference("lineItem", &format!("li{i}")),
                "student": reference("user", &format!("BIG-{s:03}")), "class": class, "scoreStatus": "fully graded",
                "score": 1 + (s + i) % 4, "scoreDate": format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i)
            }));
        }
    }
    data.insert("results".to_string(), results);
    let server = Running::start(Server { data, max_page: 1000, ..Server::default() });

    let school = empty_school();
    let secret = secret_file(school.path(), CLIENT_SECRET);
    let out = school.path().join("students/big-class.zip");
    let output = pull(&server, &secret, &out, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let pages: Vec<String> = server.log().into_iter().filter(|l| l.starts_with("results ")).collect();
    let expected: Vec<String> = (0..10).map(|p| format!("results {} 200", p * 1000)).collect();
    assert_eq!(pages, expected, "ten full pages, and no request past the total");

    let output = run(&["validate", school.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let built = transcripts_of(school.path(), "BIG-");
    assert_eq!(built.len(), 400);
    let student: Value = serde_json::from_slice(&built[Path::new("BIG-007.json")]).unwrap();
    let pieces: usize = student["areas"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["credits"].as_array().unwrap())
        .map(|c| c["calculation"]["evidence"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(pieces, 25, "every one of the student's results is evidence");
    assert!(String::from_utf8_lossy(&built[Path::new("BIG-007.json")]).contains("Rosa Vance"));
}
