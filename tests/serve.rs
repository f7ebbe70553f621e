//! `mastery serve`: the console started as a registrar starts it, its first line read for the
//! address, and every page and rule exercised over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};

use crate::common::*;

/// A running console; stopped when dropped.
struct Served {
    child: Child,
    /// `127.0.0.1:PORT`.
    host: String,
    token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer: status, headers (names in lowercase) and body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn serve(school: &Path) -> Served {
    let mut child = mastery()
        .args(["serve", school.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().strip_prefix("http://").unwrap_or_else(|| panic!("first line: {line:?}")).to_string();
    let (host, token) = address.split_once("/?token=").unwrap();
    assert!(host.starts_with("127.0.0.1:"), "{line}");
    assert!(token.len() >= 32 && token.chars().all(|c| c.is_ascii_hexdigit()), "{line}");
    Served { child, host: host.to_string(), token: token.to_string() }
}

impl Served {
    /// Sends one request (HTTP/1.1, then the connection closes) and reads the whole answer.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        let mut stream = TcpStream::connect(&self.host).unwrap();
        let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            request.push_str(&format!("Host: {}\r\n", self.host));
        }
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if method == "POST" {
            request.push_str("Content-Length: 0\r\n");
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let mut lines = head.lines();
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect::<Vec<_>>();
        let mut body = bytes[end + 4..].to_vec();
        if headers.iter().any(|(n, v)| n == "transfer-encoding" && v == "chunked") {
            body = unchunk(&body);
        }
        Answer { status, headers, body }
    }

    /// A GET with the session cookie.
    fn get(&self, path: &str) -> Answer {
        let cookie = format!("mastery_session={}", self.token);
        self.request("GET", path, &[("Cookie", &cookie)])
    }
}

fn unchunk(mut bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = bytes.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(String::from_utf8_lossy(&bytes[..line_end]).trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&bytes[line_end + 2..line_end + 2 + size]);
        bytes = &bytes[line_end + 4 + size..];
    }
}

/// The example school with HV-2026-001's record made invalid (a property the schema does not
/// know): the folder, that record's file and its valid text.
fn school_with_an_invalid_record() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let record = school.path().join("students/hv-2026-001.json");
    let good = std::fs::read_to_string(&record).unwrap();
    std::fs::write(&record, good.replace("\"HV-2026-001\"", "\"HV-2026-001\", \"nickname\": 3")).unwrap();
    (school, record, good)
}

#[test]
fn the_token_opens_a_session_and_nothing_else_does() {
    let console = serve(&root().join("fixtures/example-school"));
    let without = console.request("GET", "/", &[]);
    assert_eq!(without.status, 401);
    assert!(without.text().contains("open the address"), "{}", without.text());
    let wrong = console.request("GET", "/?token=0123", &[]);
    assert_eq!(wrong.status, 401);
    let opened = console.request("GET", &format!("/students?token={}", console.token), &[]);
    assert_eq!(opened.status, 303);
    assert_eq!(opened.header("location"), Some("/students"));
    let cookie = opened.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.starts_with(&format!("mastery_session={}", console.token)));
    let page = console.get("/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Harbor View Academy"));
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("default-src 'none'") && !policy.contains("script-src"), "{policy}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn another_host_or_origin_is_refused() {
    let console = serve(&root().join("fixtures/example-school"));
    let cookie = format!("mastery_session={}", console.token);
    // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1.
    let port = console.host.split(':').nth(1).unwrap().to_string();
    let rebound = console.request("GET", "/", &[("Host", &format!("evil.example:{port}")), ("Cookie", &cookie)]);
    assert_eq!(rebound.status, 421);
    let localhost = console.request("GET", "/", &[("Host", &format!("localhost:{port}")), ("Cookie", &cookie)]);
    assert_eq!(localhost.status, 200);
    let foreign = console.request("POST", "/", &[("Cookie", &cookie), ("Origin", "http://evil.example")]);
    assert_eq!(foreign.status, 403);
    let no_origin = console.request("POST", "/", &[("Cookie", &cookie)]);
    assert_eq!(no_origin.status, 403);
    let own_origin = format!("http://{}", console.host);
    let own = console.request("POST", "/", &[("Cookie", &cookie), ("Origin", &own_origin)]);
    assert_eq!(own.status, 405, "no change is asked for on this page");
}

#[test]
fn the_overview_problems_and_students_show_the_folder_and_follow_a_fix_on_disk() {
    let (school, record, good) = school_with_an_invalid_record();
    let console = serve(school.path());

    let overview = console.get("/").text();
    assert!(overview.contains("<dt>Students</dt><dd>12</dd>"), "{overview}");
    assert!(overview.contains("With errors"));
    let problems = console.get("/problems?severity=error").text();
    assert!(problems.contains("hv-2026-001.json") && problems.contains("nickname"), "{problems}");
    assert!(problems.contains("<mark>"), "the place in the source line is marked");
    let warnings = console.get("/problems?severity=warning").text();
    assert!(!warnings.contains("nickname"));
    let students = console.get("/students?q=fern").text();
    assert!(students.contains("HV-2026-006") && !students.contains("HV-2026-002"), "{students}");
    let invalid = console.get("/students?standing=errors").text();
    assert!(invalid.contains("1 of 12 students"), "{invalid}");

    // The registrar fixes the file: the next page shows it.
    std::fs::write(&record, good).unwrap();
    let problems = console.get("/problems?severity=error").text();
    assert!(!problems.contains("nickname"), "{problems}");
    assert!(console.get("/students?standing=errors").text().contains("0 of 12 students"));
}

#[test]
fn a_students_page_shows_the_preview_and_the_working() {
    let console = serve(&root().join("fixtures/example-school"));
    let page = console.get("/students/HV-2026-006");
    assert_eq!(page.status, 200);
    let text = page.text();
    assert!(text.contains("How each credit was worked out") && text.contains("preview.pdf"), "{text}");
    let pdf = console.get("/students/HV-2026-006/preview.pdf");
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &pdf.body).unwrap();
    assert!(pdf_text(file.path()).contains("UNOFFICIAL COPY"), "a preview is marked as one");
    let html = console.get("/students/HV-2026-006/preview.html");
    assert_eq!(html.status, 200);
    assert!(html.text().contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(html.header("content-security-policy").unwrap().contains("frame-ancestors 'self'"));
}

#[test]
fn unknown_ids_and_paths_outside_the_folder_are_not_found() {
    let console = serve(&root().join("fixtures/example-school"));
    for path in [
        "/students/NOBODY",
        "/students/..%2F..%2Fschool.json",
        "/students/..%2F..%2F..%2Fetc%2Fpasswd/preview.pdf",
        "/../../etc/passwd",
        "/students/HV-2026-006/../../../etc/passwd",
        "/school.json",
        "/students/%00/preview.html",
    ] {
        let answer = console.get(path);
        assert!(answer.status == 404 || answer.status == 400, "{path}: {}", answer.status);
        assert!(!answer.text().contains("root:x:0:0") && !answer.text().contains("\"profile\""), "{path}");
    }
    // An invalid student has no preview, with a page that says why.
    let (school, _, _) = school_with_an_invalid_record();
    let console = serve(school.path());
    let answer = console.get("/students/HV-2026-001/preview.pdf");
    assert_eq!(answer.status, 404);
    assert!(answer.text().contains("no valid student"));
}

#[test]
fn the_console_refuses_a_network_address_without_being_told() {
    let output = run(&["serve", "fixtures/example-school", "--host", "0.0.0.0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("add --allow-network"), "{}", stderr(&output));
    let output = run(&["serve", "fixtures"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("has no school.json"), "{}", stderr(&output));
}

#[test]
fn every_console_page_passes_axe_in_chromium() {
    let (school, _, _) = school_with_an_invalid_record();
    let console = serve(school.path());
    let shots = tempfile::tempdir().unwrap();
    for (i, page) in
        ["/", "/problems", "/students?sort=problems", "/students/HV-2026-006", "/students/NOBODY"].iter().enumerate()
    {
        // Each page opened as a new browser would: with the token, which sets the cookie.
        let separator = if page.contains('?') { '&' } else { '?' };
        let address = format!("http://{}{page}{separator}token={}", console.host, console.token);
        let report = crate::html::axe(&address, &shots.path().join(format!("{i}.png")));
        assert_eq!(report["violations"], serde_json::json!([]), "{page}: {report:#}");
        assert_eq!(report["requests"], serde_json::json!([]), "{page} asked for something elsewhere");
        assert_eq!(report["keyboard"]["firstFocus"], "skip", "{page}: the first Tab should reach the skip link");
    }
}

#[test]
fn a_students_page_shows_what_the_ledger_records_of_them() {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let console = serve(school.path());
    assert!(console.get("/students/HV-2026-006").text().contains("Nothing issued to this student yet."));
    let issued = tempfile::tempdir().unwrap();
    let output = run(&[
        "issue",
        school.path().to_str().unwrap(),
        "--out",
        issued.path().to_str().unwrap(),
        "--key",
        "fixtures/keys/example-school.key.json",
        "--student",
        "HV-2026-006",
        "--by",
        "A. Registrar",
        "--to",
        "Admissions, Colby College",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = console.get("/students/HV-2026-006").text();
    assert!(
        page.contains(
            "<td>issued</td><td>1</td><td>internal</td><td>Admissions, Colby College</td><td>A. Registrar</td>"
        ),
        "{page}"
    );
    assert!(page.contains("urn:uuid:"));
    assert!(console.get("/students/HV-2026-001").text().contains("Nothing issued to this student yet."));
    // A ledger whose chain is broken is said to be so, not shown as if it were true.
    let ledger = school.path().join("ledger.jsonl");
    let text = std::fs::read_to_string(&ledger).unwrap().replace("A. Registrar", "B. Registrar");
    std::fs::write(&ledger, text).unwrap();
    assert!(console.get("/students/HV-2026-006").text().contains("The ledger cannot be read"));
}
