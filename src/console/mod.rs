//! The registrar's console (`mastery serve`): a local web app over one school folder, for the
//! people who make transcripts. It shows what `validate` finds and what `build` would make, as
//! pages: an overview with the counts, every problem in a filterable table, every student in a
//! searchable one, and a student's page with the preview of their transcript (PDF and HTML,
//! rendered by the build engine on demand), the ledger's record of what was issued to them, and
//! how each credit was worked out. From it the registrar builds and issues (a job at a time,
//! followed live, its outputs downloaded as one ZIP), revokes, and imports files into the
//! folder (`actions`). The folder is watched, and the pages that show it follow it.
//!
//! It answers only on the address it was started on, only to a browser holding its session
//! ([`guard`]), serves nothing but pages made from the folder and files its own builds wrote (a
//! student, a job and an upload are looked up by id, never by path), and renders at most
//! [`PREVIEWS_AT_ONCE`] previews at a time. The library part is [`router`] and
//! [`Console::watch`]; the command binds the address, prints it and runs the server.

mod actions;
mod forms;
pub mod guard;
mod import;
mod jobs;
mod pages;
mod queue;
mod snapshot;

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{Semaphore, watch};

use crate::batch::{self, BuildOptions, Format};
use crate::render::worker::WorkerCommand;

pub use self::guard::Guard;
use self::snapshot::Snapshot;

/// How many previews are rendered at once; more requests wait their turn.
pub const PREVIEWS_AT_ONCE: usize = 2;

/// How often the folder is looked at for saved files.
const WATCH_EVERY: Duration = Duration::from_millis(500);

/// What a console is started with.
pub struct Settings {
    /// The school folder.
    pub school: PathBuf,
    /// Where builds and issues write: a folder per kind of build, and `issued/`.
    pub out: PathBuf,
    /// The school's signing key, for issuing, revoking and the signed formats.
    pub key: Option<PathBuf>,
    /// The key of the school's document-signing certificate, which signs issued PDFs.
    pub pdf_key: Option<PathBuf>,
    /// The rules every request is checked against.
    pub guard: Guard,
    /// How to start a render worker process.
    pub worker: WorkerCommand,
}

/// A console over one school folder.
pub struct Console {
    school: PathBuf,
    out: PathBuf,
    key: Option<PathBuf>,
    pdf_key: Option<PathBuf>,
    guard: Guard,
    worker: WorkerCommand,
    /// Where previews are rendered and uploads staged, each in a folder of its own.
    scratch: tempfile::TempDir,
    snapshot: Mutex<Option<Arc<Snapshot>>>,
    previews: Semaphore,
    /// Counts the changes of the folder, for the live pages.
    folder: watch::Sender<u64>,
    /// Set once the console is stopping: live pages' streams end.
    stopping: watch::Sender<bool>,
    jobs: jobs::Jobs,
    /// Uploads checked and waiting for the registrar's yes to replace a file, by their id.
    staged: Mutex<Vec<(String, import::Checked)>>,
    /// Previewers not in use, warm for the next preview (at most [`PREVIEWS_AT_ONCE`] of a
    /// format, since no more run at once).
    previewers: Mutex<Vec<Previewer>>,
}

/// A build of one student at a time for previews, made for one snapshot of the folder.
struct Previewer {
    snapshot: Arc<Snapshot>,
    format: Format,
    single: batch::Single,
    /// Where it writes (removed with it).
    _out: tempfile::TempDir,
}

impl Console {
    /// A console as `settings` say. The temporary files an import stopped by a crash left in
    /// the school folder or its `students/` are removed.
    pub fn new(settings: Settings) -> std::io::Result<Console> {
        crate::output::remove_temporary_files_here(&settings.school)?;
        crate::output::remove_temporary_files_here(&settings.school.join("students"))?;
        Ok(Console {
            school: settings.school,
            out: settings.out,
            key: settings.key,
            pdf_key: settings.pdf_key,
            guard: settings.guard,
            worker: settings.worker,
            scratch: tempfile::tempdir()?,
            snapshot: Mutex::new(None),
            previews: Semaphore::new(PREVIEWS_AT_ONCE),
            folder: watch::channel(0).0,
            stopping: watch::channel(false).0,
            jobs: jobs::Jobs::default(),
            staged: Mutex::new(Vec::new()),
            previewers: Mutex::new(Vec::new()),
        })
    }

    /// The folder as it is now: the last snapshot, or a new one when a file changed.
    fn snapshot(&self) -> std::io::Result<Arc<Snapshot>> {
        let mut slot = self.snapshot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(snapshot) = slot.as_ref().filter(|s| !s.is_stale(&self.school)) {
            return Ok(Arc::clone(snapshot));
        }
        let snapshot = Arc::new(Snapshot::read(&self.school)?);
        *slot = Some(Arc::clone(&snapshot));
        Ok(snapshot)
    }

    /// Looks at the folder every half second until the console stops, reads it again when
    /// a file was saved, added or removed, and tells the live pages.
    pub async fn watch(self: Arc<Self>) {
        let mut stopping = self.stopping.subscribe();
        let mut last: Option<Arc<Snapshot>> = None;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(WATCH_EVERY) => {}
                _ = stopping.wait_for(|s| *s) => return,
            }
            let console = Arc::clone(&self);
            let Ok(Ok(now)) = tokio::task::spawn_blocking(move || console.snapshot()).await else { continue };
            if last.as_ref().is_some_and(|l| !Arc::ptr_eq(l, &now)) {
                self.folder.send_modify(|n| *n += 1);
            }
            last = Some(now);
        }
    }

    /// Stops the console's work: live pages' streams end, a running build or issue is
    /// cancelled (the documents in flight finish); [`Console::wait_for_jobs`] then waits for it.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
        for job in self.jobs.all() {
            job.cancel();
        }
    }

    /// Waits until no build or issue is running, so that what it writes is finished.
    pub fn wait_for_jobs(&self) {
        while self.jobs.all().iter().any(|j| j.running()) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Renders one student's preview of `snapshot` with a warm previewer of the format (one
    /// made for this snapshot, its render process kept), or a new one.
    fn preview(&self, snapshot: &Arc<Snapshot>, id: &str, format: Format) -> Result<Vec<u8>, String> {
        let record = snapshot.student(id).and_then(|row| row.record.clone()).ok_or("the record is not valid")?;
        let free = {
            let mut pool = self.previewers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            // Those of an older snapshot read another folder: their processes end here.
            pool.retain(|p| Arc::ptr_eq(&p.snapshot, snapshot));
            pool.iter().position(|p| p.format == format).map(|at| pool.swap_remove(at))
        };
        let mut previewer = match free {
            Some(previewer) => previewer,
            None => {
                let out = tempfile::tempdir_in(self.scratch.path()).map_err(|e| e.to_string())?;
                let mut options =
                    BuildOptions::new(self.school.clone(), out.path().to_path_buf(), format, self.worker.clone());
                options.jobs = 1;
                let single = batch::Single::new(options).map_err(|e| e.to_string())?;
                Previewer { snapshot: Arc::clone(snapshot), format, single, _out: out }
            }
        };
        let made = previewer.single.build(record).map_err(|problem| problem.messages.join("\n"));
        self.previewers.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(previewer);
        made
    }

    /// When the last build or issue wrote into the output folder (its newest manifest), and
    /// which files of the school folder were saved after it.
    fn since_last(&self, snapshot: &Snapshot) -> Option<pages::SinceLast> {
        let last = std::fs::read_dir(&self.out)
            .ok()?
            .filter_map(|entry| entry.ok()?.path().join("manifest.json").metadata().ok()?.modified().ok())
            .max()?;
        let at = chrono::DateTime::<chrono::Utc>::from(last).format("%Y-%m-%d %H:%M:%S UTC").to_string();
        Some(pages::SinceLast { at, changed: snapshot.changed_since(&self.school, last) })
    }
}

/// The console's routes, behind its guard.
pub fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(overview))
        .route("/problems", get(problems))
        .route("/students", get(students))
        .route("/students/{id}", get(student))
        .route("/students/{id}/preview.pdf", get(preview_pdf))
        .route("/students/{id}/preview.html", get(preview_html))
        .route("/events", get(folder_events))
        .route("/build", get(actions::build_page).post(actions::build))
        .route("/jobs/{id}", get(actions::job_page))
        .route("/jobs/{id}/events", get(actions::job_events))
        .route("/jobs/{id}/cancel", post(actions::cancel))
        .route("/jobs/{id}/outputs.zip", get(actions::outputs))
        .route("/issue", get(actions::issue_page).post(actions::issue))
        .route("/issue/confirm", get(actions::issue_confirm))
        .route("/revoke", get(actions::revoke_page).post(actions::revoke))
        .route(
            "/import",
            get(actions::import_page)
                .post(actions::import)
                .layer(DefaultBodyLimit::max(import::MAX_UPLOAD + actions::MULTIPART_OVERHEAD)),
        )
        .route("/import/replace", post(actions::replace))
        .route("/requests", get(queue::queue_page).post(queue::create))
        .route("/requests/new", get(queue::new_page))
        .route("/requests/bulk", post(queue::bulk))
        .route("/requests/{id}", get(queue::request_page).post(queue::step))
        .route("/requests/{id}/download", post(queue::download))
        .route("/style.css", get(style))
        .route("/console.js", get(script))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&console), guarded))
        .with_state(console)
}

/// Every request passes the guard first; every answer gets the console's headers.
async fn guarded(State(console): State<Arc<Console>>, request: Request, next: Next) -> Response {
    let verdict = console.guard.check(request.method(), request.uri(), request.headers());
    let mut response = match verdict {
        guard::Verdict::Pass => next.run(request).await,
        guard::Verdict::SetCookie { location, cookie } => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            let location = HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/"));
            response.headers_mut().insert(header::LOCATION, location);
            response
        }
        guard::Verdict::Refuse { status, reason } => error_page(status, reason),
    };
    let headers = response.headers_mut();
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(guard::CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Nothing of the console's addresses goes to another site; its own forms keep their
    // `Origin` (under "no-referrer" a browser sends "null", and every change would be refused).
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn error_page(status: u16, reason: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, Html(pages::error(status, reason).into_string())).into_response()
}

/// Runs blocking work (reading the folder, rendering) off the server's threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Response> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| error_page(500, "mastery failed while making this page; please report it"))
}

async fn snapshot(console: &Arc<Console>) -> Result<Arc<Snapshot>, Response> {
    let console = Arc::clone(console);
    blocking(move || console.snapshot())
        .await?
        .map_err(|e| error_page(500, &format!("the school folder cannot be read ({e}); check that it is still there")))
}

async fn overview(State(console): State<Arc<Console>>) -> Response {
    match snapshot(&console).await {
        Ok(s) => {
            let since = console.since_last(&s);
            Html(pages::overview(&s, since.as_ref()).into_string()).into_response()
        }
        Err(response) => response,
    }
}

async fn problems(State(console): State<Arc<Console>>, Query(filter): Query<pages::ProblemFilter>) -> Response {
    match snapshot(&console).await {
        Ok(s) => Html(pages::problems(&s, &filter).into_string()).into_response(),
        Err(response) => response,
    }
}

async fn students(State(console): State<Arc<Console>>, Query(query): Query<pages::StudentQuery>) -> Response {
    match snapshot(&console).await {
        Ok(s) => Html(pages::students(&s, &query).into_string()).into_response(),
        Err(response) => response,
    }
}

async fn student(State(console): State<Arc<Console>>, UrlPath(id): UrlPath<String>) -> Response {
    let s = match snapshot(&console).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let Some(row) = s.student(&id) else {
        return error_page(404, "there is no student with this id in the folder");
    };
    let (school, settings) = (console.school.clone(), s.school.clone());
    let read = move || match &settings {
        Some(settings) => crate::issue::read_ledger(&school, settings).map_err(|e| e.to_string()),
        None => Err("school.json has errors: see the problems page".to_string()),
    };
    let entries = match blocking(read).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    // What can still be revoked: the student's issued credentials not revoked yet.
    let revocable: Vec<String> = match (&entries, &console.key) {
        (Ok(entries), Some(_)) => crate::issue::state::Versions::of(entries)
            .issued()
            .iter()
            .filter(|(_, issued)| issued.entry.student == id && issued.revoked.is_none())
            .map(|(credential, _)| credential.clone())
            .collect(),
        _ => Vec::new(),
    };
    let history = entries.map(|entries| entries.into_iter().filter(|e| e.student == id).collect());
    Html(pages::student(row, &s, &history, &revocable).into_string()).into_response()
}

async fn preview_pdf(state: State<Arc<Console>>, id: UrlPath<String>) -> Response {
    preview(state, id, Format::Pdf).await
}

async fn preview_html(state: State<Arc<Console>>, id: UrlPath<String>) -> Response {
    preview(state, id, Format::Html).await
}

async fn preview(State(console): State<Arc<Console>>, UrlPath(id): UrlPath<String>, format: Format) -> Response {
    let s = match snapshot(&console).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    // Only a valid student of the folder, found by id: the id never becomes a path unchecked.
    if s.student(&id).and_then(|row| row.result).is_none() {
        return error_page(404, "there is no valid student with this id in the folder");
    }
    let Ok(_permit) = console.previews.acquire().await else {
        return error_page(503, "the console is shutting down");
    };
    let worker = Arc::clone(&console);
    let made = match blocking(move || worker.preview(&s, &id, format)).await {
        Ok(made) => made,
        Err(response) => return response,
    };
    match made {
        Ok(bytes) if format == Format::Pdf => ([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response(),
        Ok(bytes) => {
            // The transcript page keeps its inline styles but runs no script here, nor sends a
            // form: nothing in it can act with the console's session. (Its one script, which
            // opens every section for printing, is left out rather than refused.)
            let policy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'";
            let page = crate::render::html::without_script(&bytes);
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, policy)], page)
                .into_response()
        }
        Err(message) => error_page(500, &format!("the preview could not be made: {message}")),
    }
}

/// The live pages' stream: an event each time the folder changed, until the console stops.
async fn folder_events(State(console): State<Arc<Console>>) -> Response {
    let changes = console.folder.subscribe();
    let stopping = console.stopping.subscribe();
    let stream = futures_util::stream::unfold((changes, stopping), |(mut changes, mut stopping)| async move {
        tokio::select! {
            changed = changes.changed() => changed.ok()?,
            _ = stopping.wait_for(|s| *s) => return None,
        }
        let count = *changes.borrow_and_update();
        let event = SseEvent::default().event("folder").data(count.to_string());
        Some((Ok::<_, Infallible>(event), (changes, stopping)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], pages::STYLE).into_response()
}

async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], pages::SCRIPT).into_response()
}

async fn not_found() -> Response {
    error_page(404, "there is no such page in the console")
}
