//! The registrar's console (`mastery serve`): a local web app over one school folder, for the
//! people who make transcripts. It shows what `validate` finds and what `build` would make, as
//! pages: an overview with the counts, every problem in a filterable table, every student in a
//! searchable one, and a student's page with the preview of their transcript (PDF and HTML,
//! rendered by the build engine on demand), the ledger's record of what was issued to them, and
//! how each credit was worked out.
//!
//! It answers only on the address it was started on, only to a browser holding its session
//! ([`guard`]), serves nothing but pages made from the folder (a student is looked up by id,
//! never by path), and renders at most [`PREVIEWS_AT_ONCE`] previews at a time, each in a
//! folder of its own. The library part is [`router`]; the command binds the address, prints
//! it and runs the server.

pub mod guard;
mod pages;
mod snapshot;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use tokio::sync::Semaphore;

use crate::build::{self, BuildOptions, Cancel, Event, Format, Plan, Status};
use crate::render::worker::WorkerCommand;

pub use self::guard::Guard;
use self::snapshot::Snapshot;

/// How many previews are rendered at once; more requests wait their turn.
pub const PREVIEWS_AT_ONCE: usize = 2;

/// A console over one school folder.
pub struct Console {
    school: PathBuf,
    guard: Guard,
    worker: WorkerCommand,
    /// Where previews are rendered, each request in a folder of its own.
    scratch: tempfile::TempDir,
    snapshot: Mutex<Option<Arc<Snapshot>>>,
    previews: Semaphore,
}

impl Console {
    /// A console over `school`, guarded by `guard`, rendering with `worker` processes.
    pub fn new(school: PathBuf, guard: Guard, worker: WorkerCommand) -> std::io::Result<Console> {
        Ok(Console {
            school,
            guard,
            worker,
            scratch: tempfile::tempdir()?,
            snapshot: Mutex::new(None),
            previews: Semaphore::new(PREVIEWS_AT_ONCE),
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

    /// Renders one student's preview with the build engine, in a folder of its own.
    fn preview(&self, id: &str, format: Format) -> Result<Vec<u8>, String> {
        let out = tempfile::tempdir_in(self.scratch.path()).map_err(|e| e.to_string())?;
        let mut options = BuildOptions::new(self.school.clone(), out.path().to_path_buf(), format, self.worker.clone());
        options.only = vec![id.to_string()];
        options.jobs = 1;
        let plan = Plan::new(options).map_err(|e| e.to_string())?;
        let mut failure = None;
        build::run(
            &plan,
            |event| {
                if let Event::Student { status: Status::Failed(p) | Status::Invalid(p), .. } = event {
                    failure = Some(p.messages.join("\n"));
                }
            },
            &Cancel::new(),
        )
        .map_err(|e| e.to_string())?;
        let extension = if format == Format::Pdf { "pdf" } else { "html" };
        crate::load::files::file(&out.path().join(format!("{id}.{extension}")))
            .map_err(|_| failure.unwrap_or_else(|| format!("no preview was made for {id}")))
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
        .route("/style.css", get(style))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&console), guarded))
        .with_state(console)
}

/// Every request passes the guard first; every answer gets the console's headers.
async fn guarded(State(console): State<Arc<Console>>, request: Request, next: Next) -> Response {
    let verdict = console.guard.check(request.method(), request.uri(), request.headers());
    let mut response = match verdict {
        guard::Verdict::Pass => next.run(request).await,
        guard::Verdict::SetCookie { location } => {
            let mut response = StatusCode::SEE_OTHER.into_response();
            response.headers_mut().insert(header::SET_COOKIE, console.guard.cookie());
            let location = HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/"));
            response.headers_mut().insert(header::LOCATION, location);
            response
        }
        guard::Verdict::Refuse { status, reason } => error_page(status, reason),
    };
    let headers = response.headers_mut();
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(guard::CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
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
        Ok(s) => Html(pages::overview(&s).into_string()).into_response(),
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
    let school = console.school.clone();
    let history = match blocking(move || crate::issue::ledger::read(&school)).await {
        Ok(read) => {
            read.map(|entries| entries.into_iter().filter(|e| e.student == id).collect()).map_err(|e| e.to_string())
        }
        Err(response) => return response,
    };
    Html(pages::student(row, &s, &history).into_string()).into_response()
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
    let made = match blocking(move || worker.preview(&id, format)).await {
        Ok(made) => made,
        Err(response) => return response,
    };
    match made {
        Ok(bytes) if format == Format::Pdf => ([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response(),
        Ok(bytes) => {
            // The transcript page keeps its own policy: its inline styles and script.
            let policy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; frame-ancestors 'self'";
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, policy)], bytes)
                .into_response()
        }
        Err(message) => error_page(500, &format!("the preview could not be made: {message}")),
    }
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], pages::STYLE).into_response()
}

async fn not_found() -> Response {
    error_page(404, "there is no such page in the console")
}
