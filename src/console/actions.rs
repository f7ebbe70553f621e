//! The console's requests that change something: builds and issues (run as jobs, one at a
//! time), their progress and outputs, revocations and imports. Each checks what it is asked
//! against the folder as it is now; what cannot be undone goes through a confirmation first.

use std::convert::Infallible;
use std::io::{Seek, SeekFrom};
use std::sync::Arc;
use std::time::Duration;

use axum::Form;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Multipart, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::Markup;
use tokio::io::AsyncReadExt;

use super::forms::{self, Choices, IssueChoice};
use super::import::{self, Refused};
use super::jobs::{Busy, Job, Request};
use super::snapshot::{Snapshot, StudentRow};
use super::{Console, blocking, error_page, snapshot};
use crate::batch::{BuildOptions, Format};
use crate::issue::{self, ledger};
use crate::transcript::Paper;

/// The formats a build may make: the value in the form and the words for it.
const FORMATS: [(Format, &str, &str); 6] = [
    (Format::Pdf, "pdf", "PDF transcripts"),
    (Format::Html, "html", "HTML transcripts"),
    (Format::Data, "data", "Transcript data (JSON)"),
    (Format::Clr, "clr", "Signed CLR 2.0 credentials"),
    (Format::Ob, "ob", "Signed Open Badges"),
    (Format::Pesc, "pesc", "PESC XML transcripts"),
];

/// The template's languages: its `locale/<name>.json` files.
fn locales() -> Vec<String> {
    crate::render::embedded_template()
        .iter()
        .filter_map(|f| f.path.strip_prefix("locale/")?.strip_suffix(".json").map(str::to_string))
        .collect()
}

fn html(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

fn bad_request(why: &str) -> Response {
    error_page(400, why)
}

/// What asking to `what` (issue, revoke) gets from a console started without the key.
fn no_key(what: &str) -> Response {
    bad_request(&format!("the console was started without the school's key: start it with --key KEY_FILE to {what}"))
}

fn busy(Busy(running): Busy) -> Response {
    html(StatusCode::CONFLICT, forms::busy(&running))
}

/// A name as the ledger records it: given, on one line, not too long.
fn person(name: &str) -> Option<String> {
    issue::words("", name).ok()
}

pub async fn build_page(State(console): State<Arc<Console>>) -> Response {
    let s = match snapshot(&console).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let choices = Choices { formats: &FORMATS, locales: &locales(), signing: console.key.is_some() };
    html(StatusCode::OK, forms::build(&s, &choices, &console.jobs.all()))
}

#[derive(Debug, serde::Deserialize)]
pub struct BuildForm {
    format: String,
    #[serde(default)]
    profile: String,
    locale: String,
    paper: String,
}

/// A folder name made of a choice: its letters and digits kept, anything else an underscore.
fn folder_part(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

pub async fn build(State(console): State<Arc<Console>>, form: Result<Form<BuildForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else {
        return bad_request("the build form was not filled in: choose a format, a language and a paper");
    };
    let s = match snapshot(&console).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let Some(&(format, name, label)) = FORMATS.iter().find(|(_, name, _)| *name == form.format) else {
        return bad_request("there is no such format");
    };
    if format.signs() && console.key.is_none() {
        return bad_request("signed formats need the school's key: start the console with --key KEY_FILE");
    }
    if !locales().contains(&form.locale) {
        return bad_request("the template has no labels in this language");
    }
    let paper = match form.paper.as_str() {
        "letter" => Paper::Letter,
        "a4" => Paper::A4,
        _ => return bad_request("the paper is US Letter (letter) or A4 (a4)"),
    };
    if !form.profile.is_empty() && !s.profiles.contains(&form.profile) {
        return bad_request("the school has no disclosure profile of this name");
    }
    let mut folder = format!("{name}-{}-{}", folder_part(&form.locale), form.paper);
    if !form.profile.is_empty() {
        folder = format!("{folder}-{}", folder_part(&form.profile));
    }
    let mut options =
        BuildOptions::new(console.school.clone(), console.out.join(folder), format, console.worker.clone());
    options.locale = form.locale.clone();
    options.paper = paper;
    options.profile = (!form.profile.is_empty()).then(|| form.profile.clone());
    options.key = console.key.clone().filter(|_| format.signs());
    let profile = if form.profile.is_empty() { "internal" } else { &form.profile };
    let what = format!("{label}, {}, {}, profile {profile}", form.locale, form.paper);
    match console.jobs.start(options, Request { what, by: None }) {
        Ok(job) => Redirect::to(&format!("/jobs/{}", job.id)).into_response(),
        Err(running) => busy(running),
    }
}

fn job_of(console: &Console, id: &str) -> Option<Arc<Job>> {
    id.parse().ok().and_then(|id| console.jobs.get(id))
}

fn no_job() -> Response {
    error_page(404, "there is no such job in this session of the console")
}

pub async fn job_page(State(console): State<Arc<Console>>, UrlPath(id): UrlPath<String>) -> Response {
    match job_of(&console, &id) {
        Some(job) => html(StatusCode::OK, forms::job(&job, &job.progress())),
        None => no_job(),
    }
}

/// A job's progress as a stream of events, at most ten a second, until it ends (or the console
/// stops).
pub async fn job_events(State(console): State<Arc<Console>>, UrlPath(id): UrlPath<String>) -> Response {
    let Some(job) = job_of(&console, &id) else { return no_job() };
    // The last part of the state: whether an event was sent, and whether it told the end.
    let state = (job.subscribe(), console.stopping.subscribe(), job, (false, false));
    let stream = futures_util::stream::unfold(state, |(mut changes, mut stopping, job, (sent, ended))| async move {
        if ended {
            return None;
        }
        if sent {
            tokio::time::sleep(Duration::from_millis(100)).await;
            tokio::select! {
                changed = changes.changed() => changed.ok()?,
                _ = stopping.wait_for(|s| *s) => return None,
            }
        }
        changes.borrow_and_update();
        let p = job.progress();
        let data = serde_json::json!({ "total": p.total, "seen": p.seen, "counts": p.counts, "finished": p.finished });
        let event = SseEvent::default().event("progress").data(data.to_string());
        Some((Ok::<_, Infallible>(event), (changes, stopping, job, (true, p.finished))))
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

pub async fn cancel(State(console): State<Arc<Console>>, UrlPath(id): UrlPath<String>) -> Response {
    match job_of(&console, &id) {
        Some(job) => {
            job.cancel();
            Redirect::to(&format!("/jobs/{}", job.id)).into_response()
        }
        None => no_job(),
    }
}

/// A finished job's outputs as one ZIP, made into a temporary file and streamed from it.
pub async fn outputs(State(console): State<Arc<Console>>, UrlPath(id): UrlPath<String>) -> Response {
    let Some(job) = job_of(&console, &id) else { return no_job() };
    if job.running() {
        return error_page(409, "the job is still running: its outputs can be downloaded once it has finished");
    }
    let scratch = console.scratch.path().to_path_buf();
    let named = format!("job-{}-{}.zip", job.id, job.out.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
    let made = blocking(move || -> std::io::Result<std::fs::File> {
        // Unnamed: the file goes away when the download ends.
        let mut file = tempfile::tempfile_in(&scratch)?;
        job.write_zip(&mut file)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    })
    .await;
    let file = match made {
        Ok(Ok(file)) => tokio::fs::File::from_std(file),
        Ok(Err(error)) => return error_page(500, &format!("the ZIP could not be made: {error}")),
        Err(response) => return response,
    };
    let stream = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buffer = vec![0; 64 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok(Bytes::from(buffer)), Some(file)))
            }
            Err(error) => Some((Err(error), None)),
        }
    });
    let disposition = format!("attachment; filename=\"{}\"", named.replace('"', "_"));
    (
        [(header::CONTENT_TYPE, "application/zip".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream(stream),
    )
        .into_response()
}

pub async fn issue_page(State(console): State<Arc<Console>>) -> Response {
    match snapshot(&console).await {
        Ok(s) => html(StatusCode::OK, forms::issue(&s, console.key.is_some())),
        Err(response) => response,
    }
}

/// The students an issue form names, and what stops it.
fn chosen<'a>(snapshot: &'a Snapshot, choice: &IssueChoice) -> (Vec<&'a StudentRow>, Vec<String>) {
    let mut refused = Vec::new();
    if !snapshot.school_valid {
        refused.push("school.json has errors: see the problems page".to_string());
    }
    if !choice.profile.is_empty() && !snapshot.profiles.contains(&choice.profile) {
        refused.push(format!("the school has no disclosure profile {}", choice.profile));
    }
    let rows: Vec<&StudentRow> = if choice.scope == "some" {
        let ids: Vec<&str> = choice.students.split([' ', ',', '\n', '\r', '\t']).filter(|id| !id.is_empty()).collect();
        if ids.is_empty() {
            refused.push("no student id was given: write the ids, or choose every valid student".to_string());
        }
        ids.iter()
            .filter_map(|id| match snapshot.student(id) {
                Some(row) if row.result.is_some() => Some(row),
                Some(_) => {
                    refused.push(format!("{id}'s record has errors: fix them first"));
                    None
                }
                None => {
                    refused.push(format!("there is no student {id} in the folder"));
                    None
                }
            })
            .collect()
    } else {
        snapshot.students.iter().filter(|s| s.result.is_some()).collect()
    };
    if rows.is_empty() && refused.is_empty() {
        refused.push("no student has a valid record to issue".to_string());
    }
    (rows, refused)
}

pub async fn issue_confirm(
    State(console): State<Arc<Console>>,
    query: Result<Query<IssueChoice>, QueryRejection>,
) -> Response {
    let Ok(Query(choice)) = query else { return bad_request("the issue form was not filled in") };
    if console.key.is_none() {
        return no_key("issue");
    }
    let s = match snapshot(&console).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let (rows, refused) = chosen(&s, &choice);
    let status = if refused.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    html(status, forms::issue_confirm(&choice, &rows, &refused))
}

pub async fn issue(State(console): State<Arc<Console>>, form: Result<Form<IssueChoice>, FormRejection>) -> Response {
    let Ok(Form(choice)) = form else { return bad_request("the issue form was not filled in") };
    let Some(key) = console.key.clone() else {
        return no_key("issue");
    };
    let Some(by) = person(&choice.by) else {
        return bad_request("give your name: the ledger records who issued each transcript");
    };
    let s = match snapshot(&console).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let (rows, refused) = chosen(&s, &choice);
    if !refused.is_empty() {
        return html(StatusCode::BAD_REQUEST, forms::issue_confirm(&choice, &rows, &refused));
    }
    let mut options =
        BuildOptions::new(console.school.clone(), console.out.join("issued"), Format::Issue, console.worker.clone());
    options.key = Some(key);
    options.pdf_key = console.pdf_key.clone();
    options.only = rows.iter().filter_map(|r| r.id.clone()).collect();
    options.profile = (!choice.profile.is_empty()).then(|| choice.profile.clone());
    options.recipient = person(&choice.to);
    options.by = Some(by.clone());
    let to = options.recipient.as_deref().map(|r| format!(", to {r}")).unwrap_or_default();
    let what = format!("official transcripts of {}{to}", crate::hint::plural(rows.len(), "student"));
    match console.jobs.start(options, Request { what, by: Some(by) }) {
        Ok(job) => Redirect::to(&format!("/jobs/{}", job.id)).into_response(),
        Err(running) => busy(running),
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct RevokeQuery {
    credential: String,
}

pub async fn revoke_page(
    State(console): State<Arc<Console>>,
    query: Result<Query<RevokeQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else { return bad_request("name the credential to revoke") };
    if console.key.is_none() {
        return no_key("revoke");
    }
    let s = match snapshot(&console).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let Some(settings) = s.school.clone() else {
        return error_page(400, "school.json has errors: see the problems page");
    };
    let school = console.school.clone();
    let entries = match blocking(move || issue::read_ledger(&school, &settings)).await {
        Ok(Ok(entries)) => entries,
        Ok(Err(error)) => return error_page(500, &format!("the ledger cannot be read: {error}")),
        Err(response) => return response,
    };
    let Some(credential) = crate::issue::state::Versions::of(&entries).credential(&query.credential).cloned() else {
        return error_page(404, "the ledger records no such credential");
    };
    let name = s.student(&credential.entry.student).map_or(credential.entry.student.clone(), |r| r.name.clone());
    html(StatusCode::OK, forms::revoke_confirm(&credential, &name))
}

#[derive(Debug, serde::Deserialize)]
pub struct RevokeForm {
    credential: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    by: String,
}

pub async fn revoke(State(console): State<Arc<Console>>, form: Result<Form<RevokeForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else { return bad_request("the revocation form was not filled in") };
    let Some(key) = console.key.clone() else {
        return no_key("revoke");
    };
    // The reason and the name are checked as `mastery revoke` checks them (issue::words).
    let (reason, by) = (form.reason.clone(), form.by.clone());
    let worker = Arc::clone(&console);
    let done = blocking(move || {
        worker.jobs.exclusive(|| -> Result<ledger::Entry, String> {
            let schemas = crate::validate::Schemas::new();
            let open = crate::intake::open(&worker.school, &schemas).map_err(|e| e.to_string())?;
            let school = open.school.as_ref().ok_or("school.json has errors: see the problems page")?;
            let signer = issue::school_signer(&open, school, Some(&key)).map_err(|refusal| match refusal {
                issue::KeyRefusal::Usage(message) => message,
                issue::KeyRefusal::Invalid(diagnostic) => diagnostic.message,
                issue::KeyRefusal::Io(error) => error.to_string(),
            })?;
            issue::revoke(open.dir(), school, &signer, &form.credential, &reason, &by).map_err(|e| e.to_string())
        })
    })
    .await;
    match done {
        Ok(Ok(Ok(entry))) => {
            Redirect::to(&format!("/students/{}", super::pages::encode(&entry.student))).into_response()
        }
        Ok(Ok(Err(why))) => error_page(400, &format!("nothing revoked: {why}")),
        Ok(Err(running)) => busy(running),
        Err(response) => response,
    }
}

pub async fn import_page() -> Response {
    html(StatusCode::OK, forms::import())
}

/// What a form adds around the file (its boundaries and headers), at most.
pub const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// How many checked uploads wait for a yes at most; older ones are dropped.
const STAGED_AT_MOST: usize = 8;

pub async fn import(
    State(console): State<Arc<Console>>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    // Refused by its stated length before any of it is read; a body without one is cut at the
    // limit as it comes.
    let length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if length.is_some_and(|n| n > import::MAX_UPLOAD + MULTIPART_OVERHEAD) {
        return too_large();
    }
    let Ok(mut multipart) = multipart else { return bad_request("send the file from the import page's form") };
    let (name, bytes) = loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let name = field.file_name().unwrap_or("").to_string();
                match field.bytes().await {
                    Ok(bytes) => break (name, bytes.to_vec()),
                    Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
                    Err(_) => return bad_request("the upload was cut short: drop the file again"),
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => return bad_request("no file was sent: choose or drop one"),
            Err(error) if error.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
            Err(_) => return bad_request("the upload was cut short: drop the file again"),
        }
    };
    let s = match snapshot(&console).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let worker = Arc::clone(&console);
    let checked = blocking(move || import::check(&worker.school, worker.scratch.path(), &name, bytes, &s)).await;
    let checked = match checked {
        Ok(Ok(checked)) => checked,
        Ok(Err(Refused::Name(why))) => return bad_request(&why),
        Ok(Err(Refused::Io(error))) => return error_page(500, &format!("the file could not be checked: {error}")),
        Err(response) => return response,
    };
    if !checked.acceptable() {
        return html(StatusCode::UNPROCESSABLE_ENTITY, forms::import_result(&checked, None, false));
    }
    if !checked.replaces && !checked.maps() {
        match import::add(&checked, false) {
            Ok(()) => return html(StatusCode::OK, forms::import_result(&checked, None, true)),
            // Another file took the name meanwhile: ask, as for any file that is there.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return error_page(500, &format!("the file could not be written: {error}")),
        }
    }
    let mut id = [0u8; 16];
    if getrandom::fill(&mut id).is_err() {
        return error_page(500, "no random number for the upload");
    }
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let page = forms::import_result(&checked, Some(&id), false);
    let mut staged = console.staged.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if staged.len() >= STAGED_AT_MOST {
        staged.remove(0);
    }
    staged.push((id, checked));
    html(StatusCode::OK, page)
}

fn too_large() -> Response {
    error_page(413, &format!("the file is larger than the console takes ({} MB)", import::MAX_UPLOAD / (1024 * 1024)))
}

#[derive(Debug, serde::Deserialize)]
pub struct ReplaceForm {
    upload: String,
}

pub async fn replace(State(console): State<Arc<Console>>, form: Result<Form<ReplaceForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else { return bad_request("name the upload to add") };
    let checked = {
        let mut staged = console.staged.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = staged.iter().position(|(id, _)| *id == form.upload);
        at.map(|at| staged.remove(at).1)
    };
    let Some(checked) = checked else {
        return error_page(
            404,
            "this upload is no longer waiting (it was added, or the console restarted): drop the file again",
        );
    };
    let written = blocking(move || import::add(&checked, true).map(|()| checked)).await;
    match written {
        Ok(Ok(checked)) => html(StatusCode::OK, forms::import_result(&checked, None, true)),
        Ok(Err(error)) => error_page(500, &format!("the file could not be written: {error}")),
        Err(response) => response,
    }
}
