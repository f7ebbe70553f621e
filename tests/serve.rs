//! `mastery serve`: the console started as a registrar starts it, its first line read for the
//! address, and every page and rule exercised over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};

use crate::common::*;

/// A running console; stopped when dropped.
pub(crate) struct Served {
    child: Child,
    /// `127.0.0.1:PORT`.
    host: String,
    /// The one-time token of the printed address (spent when the console is served without
    /// a session, as `serve_with` does).
    token: String,
    /// The session the token was exchanged for: what the cookie carries.
    pub(crate) session: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An answer: status, headers (names in lowercase) and body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn serve(school: &Path) -> Served {
    serve_with(school, &[])
}

/// The console over `school`, started with these options as well, its token exchanged for a
/// session as a browser opening the printed address does.
fn serve_with(school: &Path, options: &[&str]) -> Served {
    serve_in(school, options, &[])
}

/// [`serve_with`], the console's process given these environment variables as well.
pub(crate) fn serve_in(school: &Path, options: &[&str], environment: &[(&str, &str)]) -> Served {
    let mut console = launch(school, options, environment);
    let opened = console.request("GET", &format!("/?token={}", console.token), &[]);
    assert_eq!(opened.status, 303, "{}", opened.text());
    let cookie = opened.header("set-cookie").unwrap();
    console.session = cookie.strip_prefix("mastery_session=").unwrap().split(';').next().unwrap().to_string();
    console
}

/// The console over `school`, its token not yet used.
fn start(school: &Path, options: &[&str]) -> Served {
    launch(school, options, &[])
}

fn launch(school: &Path, options: &[&str], environment: &[(&str, &str)]) -> Served {
    let mut child = mastery()
        .args(["serve", school.to_str().unwrap()])
        .args(options)
        .envs(environment.iter().copied())
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
    Served { child, host: host.to_string(), token: token.to_string(), session: String::new() }
}

impl Served {
    /// Whether the console's process has ended (a crash asked for by a test).
    pub(crate) fn ended(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Sends one request (HTTP/1.1, then the connection closes) and reads the whole answer.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send(method, path, headers, b"")
    }

    /// Sends one request with a body.
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        self.try_send(method, path, headers, body).expect("the console answers")
    }

    /// Sends one request, or `None` when the console does not answer it (it has ended).
    pub(crate) fn try_send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<Answer> {
        let mut stream = TcpStream::connect(&self.host).ok()?;
        let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            request.push_str(&format!("Host: {}\r\n", self.host));
        }
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if method == "POST" && !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-length")) {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).ok()?;
        // A refusal may come before the whole body is read; what matters is the answer.
        let _ = stream.write_all(body);
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).ok()?;
        let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let mut lines = head.lines();
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect::<Vec<_>>();
        let mut body = bytes[end + 4..].to_vec();
        if headers.iter().any(|(n, v)| n == "transfer-encoding" && v == "chunked") {
            body = unchunk(&body);
        }
        Some(Answer { status, headers, body })
    }

    /// A GET with the session cookie.
    pub(crate) fn get(&self, path: &str) -> Answer {
        let cookie = format!("mastery_session={}", self.session);
        self.request("GET", path, &[("Cookie", &cookie)])
    }

    /// A form sent from the console's own page, with the session cookie.
    pub(crate) fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.try_post_form(path, fields).expect("the console answers")
    }

    /// [`Served::post_form`], or `None` when the console does not answer (it has ended).
    pub(crate) fn try_post_form(&self, path: &str, fields: &[(&str, &str)]) -> Option<Answer> {
        let body: Vec<String> = fields.iter().map(|(n, v)| format!("{n}={}", form_encode(v))).collect();
        self.try_post(path, "application/x-www-form-urlencoded", body.join("&").as_bytes())
    }

    /// A file sent from the import page, as a browser sends it.
    pub(crate) fn upload(&self, name: &str, bytes: &[u8]) -> Answer {
        self.try_upload(name, bytes).expect("the console answers")
    }

    /// [`Served::upload`], or `None` when the console does not answer (it has ended).
    pub(crate) fn try_upload(&self, name: &str, bytes: &[u8]) -> Option<Answer> {
        let mut body = format!(
            "--XBOUNDARYX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n--XBOUNDARYX--\r\n");
        self.try_post("/import", "multipart/form-data; boundary=XBOUNDARYX", &body)
    }

    /// A form or file sent from the console's own page, or `None` when the console does not
    /// answer (it has ended).
    pub(crate) fn try_post(&self, path: &str, content_type: &str, body: &[u8]) -> Option<Answer> {
        let cookie = format!("mastery_session={}", self.session);
        let origin = format!("http://{}", self.host);
        self.try_send("POST", path, &[("Cookie", &cookie), ("Origin", &origin), ("Content-Type", content_type)], body)
    }

    /// Waits until the job's page says it has ended; gives that page.
    fn finished(&self, job: &str) -> String {
        for _ in 0..600 {
            let page = self.get(job).text();
            if !page.contains("<dd id=\"job-state\">running</dd>") {
                return page;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("{job} did not finish in a minute");
    }
}

fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
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
fn the_token_opens_one_session_once_and_nothing_else_does() {
    let mut console = start(&root().join("fixtures/example-school"), &[]);
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
    console.session = cookie.strip_prefix("mastery_session=").unwrap().split(';').next().unwrap().to_string();
    assert!(console.session.len() >= 32 && console.session != console.token, "a fresh session id, not the token");
    // The address is spent: opened again (from the history, the scrollback, another
    // browser), it opens nothing, and the token is no session either.
    let again = console.request("GET", &format!("/?token={}", console.token), &[]);
    assert_eq!(again.status, 401);
    assert!(again.text().contains("used already"), "{}", again.text());
    assert!(again.header("set-cookie").is_none());
    let token_cookie = format!("mastery_session={}", console.token);
    assert_eq!(console.request("GET", "/", &[("Cookie", &token_cookie)]).status, 401);
    let page = console.get("/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Harbor View Academy"));
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self';"), "{policy}");
    assert!(!policy.contains("unsafe"), "no inline script or style: {policy}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn another_host_or_origin_is_refused() {
    let console = serve(&root().join("fixtures/example-school"));
    let cookie = format!("mastery_session={}", console.session);
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
    // Two Host headers, the console's first; a target naming another host.
    let own_host = console.host.clone();
    let twice = console.request("GET", "/", &[("Host", &own_host), ("Host", "evil.example"), ("Cookie", &cookie)]);
    assert_eq!(twice.status, 400);
    let absolute = console.request("GET", "http://evil.example/", &[("Cookie", &cookie)]);
    assert_eq!(absolute.status, 421);
    let ours = console.request("GET", &format!("http://{own_host}/"), &[("Cookie", &cookie)]);
    assert_eq!(ours.status, 200);
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
    let policy = html.header("content-security-policy").unwrap();
    assert!(policy.contains("frame-ancestors 'self'"), "{policy}");
    // The transcript's page runs no script and sends no form with the console's session.
    for directive in ["script-src 'none'", "form-action 'none'"] {
        assert!(policy.split(';').any(|d| d.trim() == directive), "{policy}");
    }
    assert!(!html.text().contains("<script"), "the preview carries no script");
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
        // Each page opened in a new browser holding the session's cookie.
        let address = format!("http://{}{page}", console.host);
        let shot = shots.path().join(format!("{i}.png"));
        let report = crate::html::axe_with_session(&address, &console.session, &shot);
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
        "--pdf-key",
        PDF_KEY,
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

const KEY: &str = "fixtures/keys/example-school.key.json";

/// The first line of a page's `<h1>`, for assertions.
fn heading(page: &str) -> &str {
    page.split("<h1>").nth(1).and_then(|rest| rest.split("</h1>").next()).unwrap_or("")
}

#[test]
fn a_build_runs_one_at_a_time_and_its_outputs_download_as_one_zip() {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let out = tempfile::tempdir().unwrap();
    let console = serve_with(school.path(), &["--out", out.path().to_str().unwrap()]);
    let build = [("format", "pdf"), ("profile", ""), ("locale", "en"), ("paper", "letter")];
    let started = console.post_form("/build", &build);
    assert_eq!(started.status, 303, "{}", started.text());
    assert_eq!(started.header("location"), Some("/jobs/1"));
    let second = console.post_form("/build", &build);
    assert_eq!(second.status, 409, "a second build while one runs is refused");
    assert!(second.text().contains("Only one build or issue runs at a time"), "{}", second.text());
    assert!(second.text().contains("href=\"/jobs/1\""));
    // The progress stream sends the counts as they grow, and ends with the run.
    let events = console.get("/jobs/1/events").text();
    assert!(events.contains("event: progress") && events.contains("\"finished\":true"), "{events}");
    let page = console.finished("/jobs/1");
    assert!(page.contains("12 records read: 12 built, 0 up to date"), "{page}");
    let zip = console.get("/jobs/1/outputs.zip");
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    assert!(zip.header("content-disposition").unwrap().contains("job-1-pdf-en-letter.zip"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.body.clone())).unwrap();
    let names: Vec<String> = archive.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert_eq!(names.len(), 13, "twelve PDFs and the report: {names:?}");
    assert!(names.contains(&"report.json".to_string()));
    let folder = out.path().join("pdf-en-letter");
    for name in names.iter().filter(|n| n.ends_with(".pdf")) {
        let mut bytes = Vec::new();
        archive.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes, std::fs::read(folder.join(name)).unwrap(), "{name} in the ZIP is the built file");
    }
    // The same build again makes nothing new; the ZIP still holds every student's PDF.
    assert_eq!(console.post_form("/build", &build).header("location"), Some("/jobs/2"));
    assert!(console.finished("/jobs/2").contains("12 records read: 0 built, 12 up to date"));
    let again = zip::ZipArchive::new(std::io::Cursor::new(console.get("/jobs/2/outputs.zip").body)).unwrap();
    assert_eq!(again.len(), 13);
    // The overview says nothing changed since; a saved file is named.
    assert!(console.get("/").text().contains("Nothing in the folder changed since the last build or issue"));
    std::thread::sleep(std::time::Duration::from_millis(20));
    let record = school.path().join("students/hv-2026-004.json");
    std::fs::write(&record, std::fs::read_to_string(&record).unwrap() + "\n").unwrap();
    let overview = console.get("/").text();
    assert!(overview.contains("1 file changed since") && overview.contains("students/hv-2026-004.json"), "{overview}");
    // Bad choices get a page that says why, not a build.
    let wrong = console.post_form("/build", &[("format", "docx"), ("locale", "en"), ("paper", "letter")]);
    assert_eq!(wrong.status, 400);
    assert!(wrong.text().contains("there is no such format"));
    let signed = console.post_form("/build", &[("format", "clr"), ("locale", "en"), ("paper", "letter")]);
    assert_eq!(signed.status, 400);
    assert!(signed.text().contains("--key KEY_FILE"));
    let missing = console.post_form("/build", &[("format", "pdf")]);
    assert_eq!(missing.status, 400);
    assert!(missing.text().contains("choose a format, a language and a paper"));
    assert_eq!(console.get("/jobs/99").status, 404);
    assert_eq!(console.get("/jobs/..%2F..%2Fetc/outputs.zip").status, 404);
}

#[test]
fn a_link_placed_in_the_output_folder_is_not_followed_into_a_download() {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let out = tempfile::tempdir().unwrap();
    let console = serve_with(school.path(), &["--out", out.path().to_str().unwrap()]);
    let build = [("format", "data"), ("profile", ""), ("locale", "en"), ("paper", "letter")];
    assert_eq!(console.post_form("/build", &build).header("location"), Some("/jobs/1"));
    console.finished("/jobs/1");
    // Someone who can write the output folder swaps a student's file, then the run's report,
    // for a link to another file of the machine, before the job's ZIP is downloaded.
    let folder = out.path().join("data-en-letter");
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "root:x:0:0:secret").unwrap();
    for name in ["HV-2026-002.json", "report.json"] {
        let kept = std::fs::read(folder.join(name)).unwrap();
        std::fs::remove_file(folder.join(name)).unwrap();
        std::os::unix::fs::symlink(secret.path(), folder.join(name)).unwrap();
        let zip = console.get("/jobs/1/outputs.zip");
        assert!(!String::from_utf8_lossy(&zip.body).contains("root:x:0:0"), "the ZIP carries the linked file");
        assert_eq!(zip.status, 500, "the download fails rather than carry another file: {}", zip.text());
        assert!(zip.text().contains("leads out of"), "{}", zip.text());
        std::fs::remove_file(folder.join(name)).unwrap();
        std::fs::write(folder.join(name), kept).unwrap();
    }
    // A link that stays inside the folder is read as the file it names.
    std::fs::rename(folder.join("HV-2026-002.json"), folder.join("kept.json")).unwrap();
    std::os::unix::fs::symlink("kept.json", folder.join("HV-2026-002.json")).unwrap();
    assert_eq!(console.get("/jobs/1/outputs.zip").status, 200);
    // The school's ledger swapped for a link to a file elsewhere: not read, and said so.
    std::os::unix::fs::symlink(secret.path(), school.path().join("ledger.jsonl")).unwrap();
    let page = console.get("/students/HV-2026-006").text();
    assert!(page.contains("leads out of") && !page.contains("root:x:0:0"), "{page}");
}

#[test]
fn issuing_needs_the_key_a_confirmation_and_a_name_and_revoking_a_reason() {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let without = serve(school.path());
    assert!(without.get("/issue").text().contains("started without the school's signing key"));
    let refused = without.post_form("/issue", &[("scope", "all"), ("by", "Ana")]);
    assert_eq!(refused.status, 400);
    drop(without);

    let out = tempfile::tempdir().unwrap();
    let console =
        serve_with(school.path(), &["--key", KEY, "--pdf-key", PDF_KEY, "--out", out.path().to_str().unwrap()]);
    let confirm = console.get("/issue/confirm?scope=some&students=HV-2026-006+NOBODY&profile=&to=");
    assert_eq!(confirm.status, 400);
    assert!(confirm.text().contains("there is no student NOBODY in the folder"), "{}", confirm.text());
    let confirm = console.get("/issue/confirm?scope=some&students=HV-2026-006&profile=&to=Admissions%2C+Colby+College");
    assert_eq!(confirm.status, 200);
    let text = confirm.text();
    assert!(
        text.contains("the official transcript of 1 student") && text.contains("Admissions, Colby College"),
        "{text}"
    );
    assert!(text.contains("name=\"by\" required"), "the confirmation asks who issues");
    // Without a name nothing is issued.
    let choice = [("scope", "some"), ("students", "HV-2026-006"), ("profile", ""), ("to", "Admissions, Colby College")];
    let nameless = console.post_form("/issue", &[choice.as_slice(), &[("by", "  ")]].concat());
    assert_eq!(nameless.status, 400);
    assert!(nameless.text().contains("give your name"));
    assert!(!school.path().join("ledger.jsonl").exists());
    let issued = console.post_form("/issue", &[choice.as_slice(), &[("by", "Ana Registrar")]].concat());
    assert_eq!(issued.status, 303, "{}", issued.text());
    let job = issued.header("location").unwrap().to_string();
    let page = console.finished(&job);
    assert!(page.contains("1 built"), "{page}");
    let ledger = std::fs::read_to_string(school.path().join("ledger.jsonl")).unwrap();
    let entry: serde_json::Value = serde_json::from_str(ledger.lines().next().unwrap()).unwrap();
    assert_eq!(entry["action"], "issue");
    assert_eq!(entry["by"], "Ana Registrar");
    assert_eq!(entry["recipient"], "Admissions, Colby College");
    assert_eq!(entry["student"], "HV-2026-006");
    let credential = entry["credential_id"].as_str().unwrap();
    assert!(out.path().join("issued/HV-2026-006/v1").is_dir());
    // The issue's ZIP holds what it issued: the student's new version and the report.
    let zip = zip::ZipArchive::new(std::io::Cursor::new(console.get(&format!("{job}/outputs.zip")).body)).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    assert!(names.iter().any(|n| n.ends_with(".pdf")) && names.contains(&"report.json".to_string()), "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("HV-2026-006/v1/") || n == "report.json"), "{names:?}");

    let student = console.get("/students/HV-2026-006").text();
    let link = format!("/revoke?credential={}", form_encode(credential));
    assert!(student.contains(&link), "{student}");
    let confirm = console.get(&link).text();
    assert!(confirm.contains("You are about to revoke version 1 of the transcript"), "{confirm}");
    let reasonless =
        console.post_form("/revoke", &[("credential", credential), ("reason", ""), ("by", "Ana Registrar")]);
    assert_eq!(reasonless.status, 400);
    let revoked = console.post_form(
        "/revoke",
        &[("credential", credential), ("reason", "Sent to the wrong college"), ("by", "Ana Registrar")],
    );
    assert_eq!(revoked.status, 303, "{}", revoked.text());
    let ledger = std::fs::read_to_string(school.path().join("ledger.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(ledger.lines().last().unwrap()).unwrap();
    assert_eq!((last["action"].as_str(), last["reason"].as_str()), (Some("revoke"), Some("Sent to the wrong college")));
    assert!(school.path().join("status/1.json").is_file(), "the status list is signed again");
    let again = console.post_form("/revoke", &[("credential", credential), ("reason", "twice"), ("by", "Ana")]);
    assert!(again.text().contains("was revoked already"), "{}", again.text());
    assert!(!console.get("/students/HV-2026-006").text().contains("/revoke?credential="));
}

#[test]
fn an_import_is_checked_first_written_whole_and_never_over_a_file_without_a_yes() {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    let console = serve(school.path());
    let students = school.path().join("students");
    let existing = std::fs::read(students.join("hv-2026-002.json")).unwrap();
    let new = String::from_utf8(existing.clone()).unwrap().replace("HV-2026-002", "HV-2026-099");

    let added = console.upload("hv-2026-099.json", new.as_bytes());
    assert_eq!(added.status, 200, "{}", added.text());
    assert!(added.text().contains("Written to <code>students/hv-2026-099.json</code>"), "{}", added.text());
    assert_eq!(std::fs::read_to_string(students.join("hv-2026-099.json")).unwrap(), new);
    assert!(console.get("/students").text().contains("HV-2026-099"));

    // The same name again: asked, and nothing changes until the yes.
    let changed = new.replace("\"expected_graduation\"", " \"expected_graduation\"");
    let asked = console.upload("hv-2026-099.json", changed.as_bytes());
    assert_eq!(heading(&asked.text()), "Replace a file?");
    assert_eq!(std::fs::read_to_string(students.join("hv-2026-099.json")).unwrap(), new);
    let upload = asked.text().split("name=\"upload\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let replaced = console.post_form("/import/replace", &[("upload", &upload)]);
    assert_eq!(heading(&replaced.text()), "Added");
    assert_eq!(std::fs::read_to_string(students.join("hv-2026-099.json")).unwrap(), changed);
    assert_eq!(console.post_form("/import/replace", &[("upload", &upload)]).status, 404, "a yes counts once");

    // A file with errors, or with a student another file has, is not added.
    let before = std::fs::read_dir(&students).unwrap().count();
    let invalid = console.upload("late.json", br#"{"id": "HV-2030-001"}"#);
    assert_eq!(invalid.status, 422);
    assert!(
        invalid.text().contains("Nothing was added") && invalid.text().contains("birth_date"),
        "{}",
        invalid.text()
    );
    let twice = console.upload("copy.json", &existing);
    assert_eq!(twice.status, 422);
    assert!(twice.text().contains("student HV-2026-002 is already in hv-2026-002.json"), "{}", twice.text());
    let csv = console.upload("export.csv", b"student_id,name\n1,\"unclosed\n");
    assert_eq!(csv.status, 422, "{}", csv.text());
    // Names that are not plain files of the folder, kinds it does not read, and too much.
    let traversal = console.upload("../../escape.json", new.replace("HV-2026-099", "HV-2026-098").as_bytes());
    assert_eq!(traversal.status, 200, "only the file's own name is used: {}", traversal.text());
    assert!(students.join("escape.json").is_file() && !school.path().parent().unwrap().join("escape.json").exists());
    assert_eq!(console.upload(".hidden.json", b"{}").status, 400);
    assert_eq!(console.upload("notes.txt", b"hello").status, 400);
    // Told by its length, before it is sent (as a client that waits for "100 Continue" does).
    let cookie = format!("mastery_session={}", console.session);
    let origin = format!("http://{}", console.host);
    let length = (65 * 1024 * 1024).to_string();
    let headers = [
        ("Cookie", cookie.as_str()),
        ("Origin", origin.as_str()),
        ("Content-Type", "multipart/form-data; boundary=XBOUNDARYX"),
        ("Content-Length", length.as_str()),
        ("Expect", "100-continue"),
    ];
    let too_large = console.send("POST", "/import", &headers, b"");
    assert_eq!(too_large.status, 413);
    assert!(too_large.text().contains("larger than the console takes (64 MB)"));
    assert_eq!(std::fs::read_dir(&students).unwrap().count(), before + 1, "only escape.json was added");
    assert!(
        std::fs::read_dir(&students).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".tmp")),
        "no temporary file is left"
    );

    // A CASE package becomes the framework; here the school's requirements name other areas,
    // so it is refused with the reasons.
    let package = std::fs::read(root().join("tests/data/case/examples/Ordering.json")).unwrap();
    let framework = console.upload("Ordering.json", &package);
    assert_eq!(framework.status, 422);
    assert!(framework.text().contains("imported 1 area and 24 credits"), "{}", framework.text());
    assert!(framework.text().contains("requirement for unknown area"), "{}", framework.text());
}

/// The files of a folder as one ZIP, as a registrar would zip an export.
fn zipped(dir: &Path) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for path in names {
        zip.start_file(path.file_name().unwrap().to_str().unwrap(), zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut zip, &std::fs::read(&path).unwrap()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// The upload id of the confirmation form on a page.
fn upload_id(page: &str) -> String {
    page.split("name=\"upload\" value=\"").nth(1).expect("a confirmation form").split('"').next().unwrap().to_string()
}

#[test]
fn a_oneroster_zip_and_ed_fi_files_show_their_mapping_before_anything_is_written() {
    for (fixture, source, upload) in [
        ("fixtures/oneroster-school", "students/district-2025-09-full", "district.zip"),
        ("fixtures/edfi-school", "students/bay-path-edfi", "bay-path-edfi.zip"),
    ] {
        let school = tempfile::tempdir().unwrap();
        copy_dir(&root().join(fixture), school.path());
        let bytes = zipped(&school.path().join(source));
        std::fs::remove_dir_all(school.path().join("students")).unwrap();
        std::fs::create_dir(school.path().join("students")).unwrap();
        let path = school.path().join("school.json");
        let mut config = read_json(&path);
        if fixture.contains("oneroster") {
            config["sources"]["oneroster"]["objectives"].as_object_mut().unwrap().remove("MATH.MOD");
        } else {
            config["sources"]["edfi"]["levels"] = serde_json::json!({"P": 3});
        }
        write_json(&path, &config);
        let before = std::fs::read(&path).unwrap();
        let console = serve(school.path());

        let asked = console.upload(upload, &bytes);
        let page = asked.text();
        assert_eq!((asked.status, heading(&page)), (200, "Add and map?"), "{fixture}: {page}");
        assert!(page.contains("Mapping proposed for school.json"), "{fixture}: {page}");
        if fixture.contains("oneroster") {
            assert!(page.contains("MATH.MOD") && page.contains("&quot;MAT-1&quot;"), "{page}");
            assert!(page.contains("Add students/district.zip and write the mapping into school.json"), "{page}");
        } else {
            assert!(page.contains("CompetencyLevelDescriptor#Meets Standard"), "{page}");
            assert!(page.contains("Add students/bay-path-edfi/ and write the mapping into school.json"), "{page}");
        }
        assert_eq!(std::fs::read(&path).unwrap(), before, "{fixture}: school.json waits for the yes");
        assert_eq!(
            std::fs::read_dir(school.path().join("students")).unwrap().count(),
            0,
            "{fixture}: so does students/"
        );

        let added = console.post_form("/import/replace", &[("upload", &upload_id(&page))]);
        assert_eq!(heading(&added.text()), "Added", "{fixture}: {}", added.text());
        let config = read_json(&path);
        if fixture.contains("oneroster") {
            assert!(school.path().join("students/district.zip").is_file());
            assert_eq!(config["sources"]["oneroster"]["objectives"]["MATH.MOD"], "MAT-1");
        } else {
            assert_eq!(std::fs::read_dir(school.path().join("students/bay-path-edfi")).unwrap().count(), 6);
            assert_eq!(
                config["sources"]["edfi"]["levels"]["uri://baypath.example/CompetencyLevelDescriptor#Meets Standard"],
                3
            );
            assert_eq!(config["sources"]["edfi"]["levels"]["P"], 3, "kept as it was");
        }
        let output = run(&["validate", school.path().to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(0), "{fixture}: {}", stdout(&output));
    }
}

#[test]
fn the_live_pages_hear_of_a_saved_file_and_ctrl_c_waits_for_the_transcripts_being_written() {
    let school = generated_school(60);
    let out = tempfile::tempdir().unwrap();
    let console = serve_with(school.path(), &["--out", out.path().to_str().unwrap()]);
    // The folder's stream: an event once a file is saved.
    let host = console.host.clone();
    let cookie = format!("mastery_session={}", console.session);
    let listener = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(&host).unwrap();
        write!(stream, "GET /events HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n").unwrap();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buffer[..n]);
            if String::from_utf8_lossy(&seen).contains("event: folder") {
                break;
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    std::thread::sleep(std::time::Duration::from_millis(700));
    let first = std::fs::read_dir(school.path().join("students")).unwrap().next().unwrap().unwrap().path();
    std::fs::write(&first, std::fs::read_to_string(&first).unwrap() + " ").unwrap();
    let seen = listener.join().unwrap();
    assert!(seen.contains("text/event-stream") && seen.contains("event: folder"), "{seen}");

    // Cancel: the job ends early, says so, and the next one may start.
    let build = [("format", "pdf"), ("profile", ""), ("locale", "en"), ("paper", "letter")];
    assert_eq!(console.post_form("/build", &build).header("location"), Some("/jobs/1"));
    let cancelled = console.post_form("/jobs/1/cancel", &[]);
    assert_eq!((cancelled.status, cancelled.header("location")), (303, Some("/jobs/1")));
    let page = console.finished("/jobs/1");
    assert!(page.contains("<dd id=\"job-state\">cancelled</dd>"), "{page}");
    assert_eq!(console.post_form("/jobs/7/cancel", &[]).status, 404);

    // Ctrl-C in the middle of a build: the console stops once the documents in flight are
    // written, and every PDF in the folder is whole.
    assert_eq!(console.post_form("/build", &build).status, 303);
    let folder = out.path().join("pdf-en-letter");
    for _ in 0..600 {
        let pdfs = std::fs::read_dir(&folder)
            .map_or(0, |d| d.filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "pdf")).count());
        if pdfs >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut console = console;
    unsafe { libc::kill(console.child.id() as i32, libc::SIGINT) };
    let status = console.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let pdfs: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pdf"))
        .collect();
    assert!(pdfs.len() < 60, "the build was cancelled, not finished: {}", pdfs.len());
    for pdf in &pdfs {
        qpdf_check(pdf);
    }
    assert!(std::fs::read_dir(&folder).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".tmp")));
}

#[test]
fn a_registrars_session_in_chromium() {
    let (school, _, good) = school_with_an_invalid_record();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("upload.json"), good.replace("HV-2026-001", "HV-2026-099")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let console = start(school.path(), &["--key", KEY, "--pdf-key", PDF_KEY, "--out", out.path().to_str().unwrap()]);
    let address = format!("http://{}/?token={}", console.host, console.token);
    assert!(
        root().join("tests/browser/node_modules/playwright-core").is_dir(),
        "run scripts/test: it installs playwright-core"
    );
    let output = tool("node")
        .arg(root().join("tests/browser/console.mjs"))
        .arg(&address)
        .arg(school.path())
        .arg(work.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let live = report["liveUpdateMs"].as_u64().unwrap();
    assert!(live <= 2000, "a saved fix shows within two seconds, not {live} ms");
    // What the browser downloaded is the build's outputs, byte for byte.
    let zip = std::fs::File::open(work.path().join("outputs.zip")).unwrap();
    let mut archive = zip::ZipArchive::new(zip).unwrap();
    assert_eq!(archive.len(), 13, "the twelve students (one fixed on the way) and the report");
    let mut bytes = Vec::new();
    archive.by_name("HV-2026-002.pdf").unwrap().read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, std::fs::read(out.path().join("pdf-en-letter/HV-2026-002.pdf")).unwrap());
    // The issue and the revocation are in the ledger under the registrar's name.
    let ledger: Vec<serde_json::Value> = std::fs::read_to_string(school.path().join("ledger.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ledger.len(), 2);
    assert_eq!((ledger[0]["action"].as_str(), ledger[0]["by"].as_str()), (Some("issue"), Some("Ana Registrar")));
    assert_eq!(ledger[0]["recipient"], "State University");
    assert_eq!(
        (ledger[1]["action"].as_str(), ledger[1]["reason"].as_str()),
        (Some("revoke"), Some("Sent to the wrong college"))
    );
    // The dropped file is in the folder as it was dropped.
    assert_eq!(
        std::fs::read_to_string(school.path().join("students/hv-2026-099.json")).unwrap(),
        std::fs::read_to_string(work.path().join("upload.json")).unwrap()
    );
    for shot in
        ["overview", "problems", "students", "student", "build", "job", "issue", "issue-confirm", "revoke", "import"]
    {
        assert!(work.path().join(format!("{shot}.png")).is_file(), "{shot}.png");
    }
}

#[test]
fn a_registrars_queue_in_chromium() {
    let school = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/example-school"), school.path());
    // Senior season: nine seniors' requests to two colleges, received from a CSV.
    let seniors = ["HV-2026-001", "HV-2026-002", "HV-2026-004", "HV-2026-005", "HV-2026-006", "HV-2026-012"];
    let mut csv = "student,party,party_name,recipient,delivery,basis,purpose\n".to_string();
    for (n, student) in seniors.iter().enumerate() {
        let (college, via) = if n % 2 == 0 { ("Reed College", "commonapp") } else { ("Carleton College", "slate") };
        csv.push_str(&format!("{student},college,{college},{college},{via},enrollment,admission\n"));
    }
    let file = school.path().join("season.csv");
    std::fs::write(&file, csv).unwrap();
    let imported =
        run(&["requests", "import", school.path().to_str().unwrap(), file.to_str().unwrap(), "--by", "Clerk"]);
    assert_eq!(imported.status.code(), Some(0), "{}", stderr(&imported));
    let work = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let console = start(school.path(), &["--key", KEY, "--pdf-key", PDF_KEY, "--out", out.path().to_str().unwrap()]);
    let address = format!("http://{}/?token={}", console.host, console.token);
    let output =
        tool("node").arg(root().join("tests/browser/requests.mjs")).arg(&address).arg(work.path()).output().unwrap();
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    drop(console);

    // Each request sent once, under the registrar's name, the counter's one delivered.
    let ledger: Vec<serde_json::Value> = std::fs::read_to_string(school.path().join("ledger.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for n in 1..=seniors.len() + 1 {
        let id = format!("R-{n:06}");
        let answering: Vec<_> = ledger.iter().filter(|e| e["request"] == id.as_str()).collect();
        assert_eq!(answering.len(), 1, "{id}: {answering:?}");
        assert_eq!(answering[0]["by"], "Ana Registrar");
    }
    let shown = run(&["requests", "show", school.path().to_str().unwrap(), "R-000007", "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["request"]["state"], "delivered");
    let steps: Vec<&str> = shown["history"].as_array().unwrap().iter().map(|e| e["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["receive", "hold", "release", "approve", "send", "sent", "deliver"]);
    // What the browser downloaded is the version issued, byte for byte.
    let issue = ledger.iter().find(|e| e["student"] == "HV-2026-003" && e["action"] == "issue").unwrap();
    let (pdf, _) = issue["files"].as_object().unwrap().iter().find(|(f, _)| f.ends_with(".pdf")).unwrap();
    assert_eq!(
        std::fs::read(work.path().join("oberlin.pdf")).unwrap(),
        std::fs::read(out.path().join("issued").join(pdf)).unwrap()
    );
    for shot in ["requests-queue", "requests-new", "request", "request-held", "requests-sent", "request-delivered"] {
        assert!(work.path().join(format!("{shot}.png")).is_file(), "{shot}.png");
    }
}
