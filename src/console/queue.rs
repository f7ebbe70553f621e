//! The console's queue of transcript requests: the queue page (counts by state, filters by
//! state, due date, student and recipient, a page of 50 at a time, and bulk approve and send),
//! the counter's form, and a request's page with its history and the steps it allows. Every
//! change goes through [`crate::requests::Queue`], as `mastery requests` does, under the name
//! the person gives; a send runs `requests::send` with the console's keys and output folder.

use std::sync::Arc;

use axum::Form;
use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::pages::{encode, page};
use super::{Console, blocking, error_page};
use crate::batch::{BuildOptions, Format};
use crate::issue;
use crate::requests::queue::{Action, Filter};
use crate::requests::send::{self, SendOptions, SendReport};
use crate::requests::{
    Basis, Delivery, Event, HoldReason, NewConsent, NewRequest, Party, PartyKind, Queue, QueueError, Request, Signer,
    State as RequestState,
};

/// Requests on one page of the queue.
pub const PAGE: u32 = 50;

fn html_page(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// Runs `work` on the school's queue, off the server's threads.
async fn with_queue<T: Send + 'static>(
    console: &Arc<Console>,
    work: impl FnOnce(&mut Queue) -> Result<T, QueueError> + Send + 'static,
) -> Result<Result<T, QueueError>, Response> {
    let school = console.school.clone();
    blocking(move || Queue::open(&school).and_then(|mut queue| work(&mut queue))).await
}

fn store_error(error: QueueError) -> Response {
    error_page(500, &error.to_string())
}

/// The filters of the queue page, from its query.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct QueueQuery {
    /// A state, "open" (the default) or "all".
    pub state: Option<String>,
    /// A student's id.
    pub student: Option<String>,
    /// Words of the recipient.
    pub to: Option<String>,
    /// Due on or before (YYYY-MM-DD).
    pub due_by: Option<String>,
    /// The page, from 1.
    pub page: Option<u64>,
}

impl QueueQuery {
    fn filter(&self) -> Result<Filter, String> {
        let nonempty = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let states = match nonempty(&self.state).as_deref() {
            None | Some("open") => RequestState::OPEN.to_vec(),
            Some("all") => Vec::new(),
            Some(word) => vec![RequestState::parse(word).ok_or("there is no such state")?],
        };
        let due_by = match nonempty(&self.due_by) {
            Some(text) => Some(crate::model::parse_date(&text).ok_or("the due date is YYYY-MM-DD")?),
            None => None,
        };
        let page = self.page.unwrap_or(1).max(1);
        Ok(Filter {
            states,
            student: nonempty(&self.student),
            recipient: nonempty(&self.to),
            due_by,
            limit: PAGE,
            offset: (page - 1) * u64::from(PAGE),
        })
    }

    fn link(&self, page: u64) -> String {
        let get = |v: &Option<String>| encode(v.as_deref().unwrap_or(""));
        format!(
            "/requests?state={}&student={}&to={}&due_by={}&page={page}",
            get(&self.state),
            get(&self.student),
            get(&self.to),
            get(&self.due_by)
        )
    }
}

/// What the queue page shows.
struct Shown {
    requests: Vec<Request>,
    total: u64,
    counts: std::collections::BTreeMap<RequestState, u64>,
}

pub async fn queue_page(State(console): State<Arc<Console>>, Query(query): Query<QueueQuery>) -> Response {
    let filter = match query.filter() {
        Ok(filter) => filter,
        Err(why) => return error_page(400, why.as_str()),
    };
    let shown = with_queue(&console, move |queue| {
        Ok(Shown { requests: queue.list(&filter)?, total: queue.count(&filter)?, counts: queue.counts()? })
    })
    .await;
    match shown {
        Ok(Ok(shown)) => html_page(StatusCode::OK, queue_markup(&query, &shown, console.key.is_some())),
        Ok(Err(error)) => store_error(error),
        Err(response) => response,
    }
}

fn queue_markup(query: &QueueQuery, shown: &Shown, can_send: bool) -> Markup {
    let current = query.state.as_deref().unwrap_or("open");
    let page_number = query.page.unwrap_or(1).max(1);
    let last = shown.total.div_ceil(u64::from(PAGE)).max(1);
    page(
        "Requests",
        "/requests",
        html! {
            p { a href="/requests/new" { "Take a request at the counter" } }
            h2 { "By state" }
            dl.counts {
                @for state in RequestState::ALL {
                    div { dt { (state.words()) } dd { a href=(format!("/requests?state={}", state.as_str())) aria-label=(format!("{} {}", shown.counts.get(state).copied().unwrap_or(0), state.words())) { (shown.counts.get(state).copied().unwrap_or(0)) } } }
                }
            }
            form.filters method="get" action="/requests" role="search" {
                label { "State "
                    select name="state" {
                        @for (value, label) in [("open", "open"), ("all", "all")] {
                            option value=(value) selected[current == value] { (label) }
                        }
                        @for state in RequestState::ALL {
                            option value=(state.as_str()) selected[current == state.as_str()] { (state.words()) }
                        }
                    }
                }
                label { "Due by " input type="date" name="due_by" value=[query.due_by.as_deref()]; }
                label { "Student id " input name="student" value=[query.student.as_deref()]; }
                label { "Recipient " input name="to" value=[query.to.as_deref()]; }
                button type="submit" { "Filter" }
            }
            p #queue-count { (shown.requests.len()) " of " (shown.total) " requests shown (page " (page_number) " of " (last) ")" }
            form method="post" action="/requests/bulk" {
                table {
                    thead { tr {
                        th scope="col" { "Choose" }
                        th scope="col" { "Request" }
                        th scope="col" { "State" }
                        th scope="col" { "Due" }
                        th scope="col" { "Student" }
                        th scope="col" { "Recipient" }
                        th scope="col" { "Via" }
                        th scope="col" { "Asked by" }
                    } }
                    tbody {
                        @for r in &shown.requests {
                            tr {
                                td { input type="checkbox" name="id" value=(r.id) aria-label=(format!("Choose {}", r.id)); }
                                td { a href=(format!("/requests/{}", r.id)) { (r.id) } }
                                td {
                                    (r.state.words())
                                    @if let Some(hold) = &r.hold { br; span.hint { (hold.reason.words()) } }
                                }
                                td { (r.due.map(|d| d.to_string()).unwrap_or_default()) }
                                td { @if r.student.is_empty() { "(not matched)" } @else { (r.student) } }
                                td { bdi { (r.recipient) } }
                                td { (r.delivery.as_str()) }
                                td { bdi { (r.party_words()) } }
                            }
                        }
                    }
                }
                @let received = shown.counts.get(&RequestState::Received).copied().unwrap_or(0);
                @let approved = shown.counts.get(&RequestState::Approved).copied().unwrap_or(0);
                @if !shown.requests.is_empty() || approved > 0 {
                    fieldset {
                        legend { "Approve and send" }
                        label { "Your name (the requests' history and the ledger record it) " input name="by" required autocomplete="name"; }
                        // The filter, for "every received request it shows".
                        @for (name, value) in [("student", &query.student), ("to", &query.to), ("due_by", &query.due_by)] {
                            input type="hidden" name=(name) value=[value.as_deref()];
                        }
                        div {
                            button type="submit" name="action" value="approve" { "Approve the chosen" }
                            " "
                            @if received > 0 { button type="submit" name="action" value="approve-all" { "Approve every received request the filter shows" } " " }
                            @if can_send {
                                button type="submit" name="action" value="send" { "Send the chosen approved" }
                                " "
                                @if approved > 0 { button type="submit" name="action" value="send-all" { "Send every approved request (" (approved) ")" } }
                            } @else {
                                span.hint { "Sending needs the school's key: start the console with --key KEY_FILE." }
                            }
                        }
                    }
                }
            }
            nav aria-label="Pages of the queue" {
                @if page_number > 1 { a href=(query.link(page_number - 1)) { "Previous " (PAGE) } " " }
                @if page_number < last { a href=(query.link(page_number + 1)) { "Next " (PAGE) } }
            }
        },
    )
}

/// The counter's form.
pub async fn new_page(State(console): State<Arc<Console>>) -> Response {
    let profiles = match super::snapshot(&console).await {
        Ok(s) => s.profiles.clone(),
        Err(response) => return response,
    };
    html_page(StatusCode::OK, new_markup(&profiles, None))
}

fn select<'a>(name: &str, label: &str, options: impl IntoIterator<Item = (&'a str, &'a str)>) -> Markup {
    html! {
        label { (label) " "
            select name=(name) required { @for (value, words) in options { option value=(value) { (words) } } }
        }
    }
}

fn new_markup(profiles: &[String], refused: Option<&str>) -> Markup {
    let parties = PartyKind::ALL.iter().map(|p| (p.as_str(), p.as_str()));
    let deliveries: Vec<(String, String)> = crate::delivery::Destination::ALL
        .iter()
        .map(|d| (d.key().to_string(), format!("{} (pack)", d.name())))
        .chain([
            ("download".to_string(), "download".to_string()),
            ("print".to_string(), "printed copy".to_string()),
            ("pesc".to_string(), "PESC XML".to_string()),
        ])
        .collect();
    let bases = [
        ("enrollment", "the student seeks to enroll there (99.31(a)(2))"),
        ("consent", "written consent (99.30)"),
        ("own-record", "the student's or parent's own record (99.31(a)(12))"),
        ("official", "a school official's legitimate interest (99.31(a)(1))"),
    ];
    page(
        "Take a request",
        "/requests",
        html! {
            @if let Some(why) = refused { p.alert role="alert" { (why) } }
            form.stack method="post" action="/requests" {
                label { "Student id " input name="student" required; }
                (select("party", "Asked by", parties))
                label { "Their name " input name="party_name" required; }
                label { "Their e-mail " input type="email" name="party_email"; }
                label { "Recipient " input name="to" required; }
                (select("via", "Delivery", deliveries.iter().map(|(v, w)| (v.as_str(), w.as_str()))))
                label { "Mailing address (a printed copy) " input name="address"; }
                label { "Disclosure profile "
                    select name="profile" {
                        option value="" { "the delivery's own" }
                        @for p in profiles { option value=(p) { (p) } }
                    }
                }
                label { "Due " input type="date" name="due"; }
                (select("basis", "What allows the disclosure", bases))
                label { "Purpose " input name="purpose" required; }
                fieldset {
                    legend { "Consent, when the disclosure rests on one (34 CFR 99.30)" }
                    label { "Signed by " input name="consent_signed_by"; }
                    (select("consent_signer", "As", Signer::ALL.iter().map(|s| (s.as_str(), s.as_str()))))
                    label { "Signed on " input type="date" name="consent_signed_on"; }
                    label { "The words signed " textarea name="consent_text" rows="3" cols="60" {} }
                }
                label { "Your name " input name="by" required autocomplete="name"; }
                button type="submit" { "Take the request" }
            }
        },
    )
}

#[derive(Debug, serde::Deserialize)]
pub struct NewForm {
    student: String,
    party: String,
    party_name: String,
    #[serde(default)]
    party_email: String,
    to: String,
    via: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    profile: String,
    #[serde(default)]
    due: String,
    basis: String,
    purpose: String,
    #[serde(default)]
    consent_signed_by: String,
    #[serde(default)]
    consent_signer: String,
    #[serde(default)]
    consent_signed_on: String,
    #[serde(default)]
    consent_text: String,
    by: String,
}

fn some(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// A day a form gives, if any.
fn date(text: &str, what: &str) -> Result<Option<chrono::NaiveDate>, String> {
    match some(text) {
        Some(t) => crate::model::parse_date(&t).map(Some).ok_or(format!("{what} is YYYY-MM-DD")),
        None => Ok(None),
    }
}

/// The consent a form's fields give: none when no one is named as its signer.
fn consent(signed_by: &str, signer: &str, signed_on: &str, text: &str) -> Result<Option<NewConsent>, String> {
    let Some(signed_by) = some(signed_by) else { return Ok(None) };
    Ok(Some(NewConsent {
        signed_by,
        signer: Signer::parse(signer).ok_or("the consent's signer is student or parent")?,
        signed_on: date(signed_on, "the consent's date")?.ok_or("a consent is dated")?,
        records: None,
        purpose: None,
        text: some(text).ok_or("a consent keeps the words signed")?,
        file: None,
    }))
}

impl NewForm {
    fn request(&self) -> Result<NewRequest, String> {
        let consent =
            consent(&self.consent_signed_by, &self.consent_signer, &self.consent_signed_on, &self.consent_text)?;
        Ok(NewRequest {
            student: self.student.trim().to_string(),
            party: Party {
                kind: PartyKind::parse(&self.party).ok_or("choose who asked")?,
                name: self.party_name.clone(),
                email: some(&self.party_email),
            },
            recipient: self.to.clone(),
            delivery: Delivery::parse(&self.via).ok_or("choose a delivery")?,
            address: some(&self.address),
            profile: some(&self.profile),
            due: date(&self.due, "the due date")?,
            basis: Basis::parse(&self.basis).ok_or("choose what allows the disclosure")?,
            purpose: self.purpose.clone(),
            consent,
            source: "counter (console)".to_string(),
            reference: None,
            pesc: None,
        })
    }
}

pub async fn create(State(console): State<Arc<Console>>, form: Result<Form<NewForm>, FormRejection>) -> Response {
    let Ok(Form(form)) = form else { return error_page(400, "the request form was not filled in") };
    let snapshot = match super::snapshot(&console).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let refuse = |why: &str| html_page(StatusCode::BAD_REQUEST, new_markup(&snapshot.profiles, Some(why)));
    let new = match form.request() {
        Ok(new) => new,
        Err(why) => return refuse(&why),
    };
    if snapshot.student(&new.student).is_none() {
        return refuse(&format!("{} is not a student of the school", new.student));
    }
    let by = form.by.clone();
    match with_queue(&console, move |queue| queue.receive(vec![new], &by)).await {
        Ok(Ok(taken)) => Redirect::to(&format!("/requests/{}", taken[0].id)).into_response(),
        Ok(Err(QueueError::Store(error))) => store_error(QueueError::Store(error)),
        Ok(Err(error)) => refuse(&error.to_string()),
        Err(response) => response,
    }
}

/// A request's page.
pub async fn request_page(State(console): State<Arc<Console>>, UrlPath(id): UrlPath<String>) -> Response {
    show(&console, &id, StatusCode::OK, None).await
}

async fn show(console: &Arc<Console>, id: &str, status: StatusCode, refused: Option<String>) -> Response {
    let wanted = id.to_string();
    let found = with_queue(console, move |queue| {
        let request = queue.get(&wanted)?;
        let history = queue.history(&request.id)?;
        Ok((request, history))
    })
    .await;
    match found {
        Ok(Ok((request, history))) => html_page(status, request_markup(&request, &history, refused.as_deref())),
        Ok(Err(QueueError::Unknown(_))) => error_page(404, "there is no such request"),
        Ok(Err(error)) => store_error(error),
        Err(response) => response,
    }
}

fn name_field() -> Markup {
    html! { label { "Your name " input name="by" required autocomplete="name"; } }
}

fn step_form(step: &str, button: &str, extra: Markup) -> Markup {
    html! {
        form.stack method="post" action="" {
            input type="hidden" name="step" value=(step);
            (extra)
            (name_field())
            button type="submit" { (button) }
        }
    }
}

fn request_markup(r: &Request, history: &[Event], refused: Option<&str>) -> Markup {
    let allows = |step| crate::requests::rules::after(r.state, step, r.held_from).is_ok();
    use crate::requests::rules::Step;
    page(
        &format!("Request {}", r.id),
        "/requests",
        html! {
            @if let Some(why) = refused { p.alert role="alert" { (why) } }
            p #request-state { "This request is " strong { (r.state.words()) } "." }
            dl {
                dt { "Student" } dd { @if r.student.is_empty() { "not matched to a record yet" } @else { a href=(format!("/students/{}", encode(&r.student))) { (r.student) } } }
                dt { "Asked by" } dd { bdi { (r.party_words()) } @if let Some(e) = &r.party.email { " (" (e) ")" } }
                dt { "Recipient" } dd { bdi { (r.recipient) } " via " (r.delivery.as_str()) @if let Some(a) = &r.address { " (" (a) ")" } }
                dt { "Profile" } dd { (r.profile) }
                @if let Some(due) = r.due { dt { "Due" } dd { (due.to_string()) } }
                dt { "Purpose" } dd { (r.purpose) }
                dt { "Allowed by" } dd { (r.basis.as_str()) " (" (r.basis.citation()) ")" }
                dt { "Consent" } dd {
                    @match &r.consent {
                        Some(c) => { "signed by " (c.signed_by) " (" (c.signer.as_str()) ") on " (c.signed_on.to_string()) ", " (c.form.as_str()) "; SHA-256 " code { (c.sha256) } }
                        None if r.basis == Basis::Consent => { "none recorded yet" }
                        None => { "not needed" }
                    }
                }
                @if let Some(hold) = &r.hold {
                    dt { "On hold" } dd { (hold.reason.words()) @if let Some(n) = &hold.note { ": " (n) } " (by " (hold.by) ", " (hold.at) ")" }
                }
                @if let Some(entry) = r.ledger_entry { dt { "Sent" } dd { (r.sent_at.as_deref().unwrap_or_default()) ", ledger entry " (entry) } }
                dt { "Came from" } dd { (r.source) @if let Some(x) = &r.reference { " (" (x) ")" } }
            }
            h2 { "History" }
            table #history {
                thead { tr { th scope="col" { "When" } th scope="col" { "Step" } th scope="col" { "State" } th scope="col" { "By" } th scope="col" { "Note" } } }
                tbody { @for e in history { tr {
                    td { (e.at) } td { (e.step) } td { (e.to.words()) } td { bdi { (e.by) } } td { (e.note.as_deref().unwrap_or_default()) }
                } } }
            }
            h2 { "What can be done" }
            @if allows(Step::Approve) && !r.lacks_consent() { (step_form("approve", "Approve", html! {})) }
            @if r.lacks_consent() && !r.state.is_closed() {
                (step_form("consent", "Record the consent", html! {
                    label { "Signed by " input name="consent_signed_by" required; }
                    label { "As " select name="consent_signer" { option value="student" { "student" } option value="parent" { "parent" } } }
                    label { "Signed on " input type="date" name="consent_signed_on" required; }
                    label { "The words signed " textarea name="consent_text" rows="3" cols="60" required {} }
                }))
            }
            @if allows(Step::Hold) {
                (step_form("hold", "Put on hold", html! {
                    label { "Reason "
                        select name="reason" {
                            @for reason in HoldReason::ALL.iter().filter(|r| !matches!(r, HoldReason::Record | HoldReason::Match)) {
                                option value=(reason.as_str()) { (reason.words()) }
                            }
                        }
                    }
                    label { "Note " input name="note"; }
                }))
            }
            @if allows(Step::Release) { (step_form("release", "Release the hold", html! {})) }
            @if r.state == RequestState::Sent && r.delivery == Delivery::Download {
                form.stack method="post" action=(format!("/requests/{}/download", r.id)) {
                    (name_field())
                    button type="submit" { "Download the transcript and record it delivered" }
                }
            }
            @if allows(Step::Deliver) { (step_form("deliver", "Record it delivered", html! { label { "How you know " input name="note"; } })) }
            @if allows(Step::Cancel) { (step_form("cancel", "Cancel it", html! { label { "Why " input name="note"; } })) }
            @if allows(Step::Reject) { (step_form("reject", "Reject it", html! { label { "Why (the one who asked is told) " input name="note" required; } })) }
            @if r.state.is_closed() { p.hint { "Nothing more happens to this request; take a new one." } }
            p { a href="/requests" { "Back to the queue" } }
        },
    )
}

#[derive(Debug, serde::Deserialize)]
pub struct StepForm {
    step: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    by: String,
    #[serde(default)]
    consent_signed_by: String,
    #[serde(default)]
    consent_signer: String,
    #[serde(default)]
    consent_signed_on: String,
    #[serde(default)]
    consent_text: String,
}

pub async fn step(
    State(console): State<Arc<Console>>,
    UrlPath(id): UrlPath<String>,
    form: Result<Form<StepForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else { return error_page(400, "the form was not filled in") };
    let action = match form.step.as_str() {
        "approve" => Action::Approve,
        "release" => Action::Release,
        "hold" => match HoldReason::parse(&form.reason) {
            Some(reason) => Action::Hold { reason, note: some(&form.note) },
            None => return show(&console, &id, StatusCode::BAD_REQUEST, Some("choose the reason".to_string())).await,
        },
        "deliver" => Action::Deliver { note: some(&form.note) },
        "cancel" => Action::Cancel { note: some(&form.note) },
        "reject" => Action::Reject { note: form.note.clone() },
        "consent" => {
            let given =
                consent(&form.consent_signed_by, &form.consent_signer, &form.consent_signed_on, &form.consent_text);
            let consent = match given {
                Ok(Some(consent)) => consent,
                Ok(None) => {
                    let why = "say who signed the consent".to_string();
                    return show(&console, &id, StatusCode::BAD_REQUEST, Some(why)).await;
                }
                Err(why) => return show(&console, &id, StatusCode::BAD_REQUEST, Some(why)).await,
            };
            let (wanted, by) = (id.clone(), form.by.clone());
            let done = with_queue(&console, move |queue| queue.record_consent(&wanted, consent, &by)).await;
            return after_step(&console, &id, done).await;
        }
        _ => return error_page(400, "there is no such step"),
    };
    let (wanted, by) = (id.clone(), form.by.clone());
    let done = with_queue(&console, move |queue| queue.apply(&wanted, &action, &by)).await;
    after_step(&console, &id, done).await
}

async fn after_step(console: &Arc<Console>, id: &str, done: Result<Result<Request, QueueError>, Response>) -> Response {
    match done {
        Ok(Ok(request)) => Redirect::to(&format!("/requests/{}", request.id)).into_response(),
        Ok(Err(QueueError::Unknown(_))) => error_page(404, "there is no such request"),
        Ok(Err(QueueError::Store(error))) => store_error(QueueError::Store(error)),
        Ok(Err(error)) => show(console, id, StatusCode::CONFLICT, Some(error.to_string())).await,
        Err(response) => response,
    }
}

/// The queue's bulk form: approve the requests chosen, or send the approved ones among them.
pub async fn bulk(State(console): State<Arc<Console>>, body: Bytes) -> Response {
    let (mut ids, mut action, mut by, mut filter) = (Vec::new(), String::new(), String::new(), QueueQuery::default());
    for (key, value) in form_urlencoded::parse(&body) {
        let value = value.into_owned();
        match key.as_ref() {
            "id" => ids.push(value),
            "action" => action = value,
            "by" => by = value,
            "student" => filter.student = Some(value),
            "to" => filter.to = Some(value),
            "due_by" => filter.due_by = Some(value),
            _ => {}
        }
    }
    if issue::words("", &by).is_err() {
        return error_page(400, "give your name: the requests' history and the ledger record it");
    }
    // Every received request the filter shows, or every approved one: the same steps as
    // the requests chosen one by one.
    let every = match action.as_str() {
        "approve-all" => Some(("approve", RequestState::Received)),
        "send-all" => Some(("send", RequestState::Approved)),
        _ => None,
    };
    if let Some((step, state)) = every {
        filter.state = Some(state.as_str().to_string());
        let mut all = match filter.filter() {
            Ok(all) => all,
            Err(why) => return error_page(400, why.as_str()),
        };
        (all.limit, all.offset) = (0, 0);
        ids = match with_queue(&console, move |queue| queue.list(&all)).await {
            Ok(Ok(requests)) => requests.into_iter().map(|r| r.id).collect(),
            Ok(Err(error)) => return store_error(error),
            Err(response) => return response,
        };
        action = step.to_string();
    }
    if ids.is_empty() {
        return error_page(400, "choose the requests first (the boxes of the queue's first column)");
    }
    match action.as_str() {
        "approve" => {
            let done = with_queue(&console, move |queue| {
                Ok(ids
                    .iter()
                    .map(|id| (id.clone(), queue.apply(id, &Action::Approve, &by).map(|_| ())))
                    .collect::<Vec<_>>())
            })
            .await;
            match done {
                Ok(Ok(results)) => html_page(StatusCode::OK, approved_markup(&results)),
                Ok(Err(error)) => store_error(error),
                Err(response) => response,
            }
        }
        "send" => {
            let Some(key) = console.key.clone() else {
                return error_page(
                    400,
                    "the console was started without the school's key: start it with --key KEY_FILE to send",
                );
            };
            let mut build = BuildOptions::new(
                console.school.clone(),
                console.out.join("issued"),
                Format::Issue,
                console.worker.clone(),
            );
            build.key = Some(key);
            build.pdf_key = console.pdf_key.clone();
            let options = SendOptions { issue: build, packs: console.out.join("packs"), ids, by };
            match blocking(move || send::send(&options)).await {
                Ok(Ok(report)) => html_page(StatusCode::OK, sent_markup(&report)),
                Ok(Err(error)) => error_page(409, &error.to_string()),
                Err(response) => response,
            }
        }
        _ => error_page(400, "choose Approve or Send"),
    }
}

fn approved_markup(results: &[(String, Result<(), QueueError>)]) -> Markup {
    let done = results.iter().filter(|(_, r)| r.is_ok()).count();
    page(
        "Approved",
        "/requests",
        html! {
            p #bulk-result { (crate::hint::plural(done, "request")) " approved." }
            @let refused: Vec<_> = results.iter().filter_map(|(id, r)| r.as_ref().err().map(|e| (id, e))).collect();
            @if !refused.is_empty() {
                h2 { "Not approved" }
                ul { @for (id, why) in refused { li { a href=(format!("/requests/{}", encode(id))) { (id) } ": " (why.to_string()) } } }
            }
            p { a href="/requests?state=approved" { "The approved requests" } }
        },
    )
}

fn sent_markup(report: &SendReport) -> Markup {
    page(
        "Sent",
        "/requests",
        html! {
            p #bulk-result { (crate::hint::plural(report.sent.len(), "request")) " sent, " (report.held.len()) " put on hold, " (report.passed.len()) " not sent." }
            @if !report.sent.is_empty() {
                table {
                    thead { tr { th scope="col" { "Request" } th scope="col" { "Student" } th scope="col" { "Recipient" } th scope="col" { "Ledger entry" } } }
                    tbody { @for s in &report.sent { tr {
                        td { a href=(format!("/requests/{}", s.request)) { (s.request) } }
                        td { (s.student) } td { bdi { (s.recipient) } } td { (s.entry) }
                    } } }
                }
            }
            @for (title, list) in [("Put on hold", &report.held), ("Not sent", &report.passed)] {
                @if !list.is_empty() {
                    h2 { (title) }
                    ul { @for (id, why) in list { li { a href=(format!("/requests/{}", encode(id))) { (id) } ": " (why) } } }
                }
            }
            p { a href="/requests" { "Back to the queue" } }
        },
    )
}

/// Who acts, alone.
#[derive(Debug, serde::Deserialize)]
pub struct NameForm {
    by: String,
}

/// The PDF of the version a sent download request got, handed over and the request marked
/// delivered in the same step (by the name given).
pub async fn download(
    State(console): State<Arc<Console>>,
    UrlPath(id): UrlPath<String>,
    form: Result<Form<NameForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else { return error_page(400, "give your name") };
    let snapshot = match super::snapshot(&console).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let Some(settings) = snapshot.school.clone() else {
        return error_page(400, "school.json has errors: see the problems page");
    };
    let (school, issued, wanted, by) =
        (console.school.clone(), console.out.join("issued"), id.clone(), form.by.clone());
    let handed = blocking(move || -> Result<(String, Vec<u8>), String> {
        let mut queue = Queue::open(&school).map_err(|e| e.to_string())?;
        let request = queue.get(&wanted).map_err(|e| e.to_string())?;
        if request.delivery != Delivery::Download || request.state != RequestState::Sent {
            return Err(format!(
                "{} is not a download waiting to be handed over ({}, {})",
                request.id,
                request.delivery.as_str(),
                request.state.words()
            ));
        }
        let entries = issue::read_ledger(&school, &settings).map_err(|e| e.to_string())?;
        let sent = entries
            .iter()
            .find(|e| Some(e.seq) == request.ledger_entry)
            .ok_or("the ledger has no entry for its send")?;
        let version = entries
            .iter()
            .find(|e| e.action == issue::ledger::Action::Issue && e.credential_id == sent.credential_id)
            .ok_or("the ledger has no issue of the version sent")?;
        let (file, sha256) = version.files.iter().find(|(f, _)| f.ends_with(".pdf")).ok_or("the version has no PDF")?;
        let bytes = crate::load::file_beneath(&issued, std::path::Path::new(file))
            .map_err(|e| format!("{e}: the console hands over what it issued into its own output folder"))?;
        if crate::digest::sha256_hex(&bytes) != *sha256 {
            return Err(format!("{file} is not the file the ledger recorded: it changed after it was issued"));
        }
        let note = Some(format!("downloaded from the console ({file})"));
        queue.apply(&request.id, &Action::Deliver { note }, &by).map_err(|e| e.to_string())?;
        Ok((format!("{}-v{}.pdf", request.student, version.version), bytes))
    })
    .await;
    match handed {
        Ok(Ok((name, bytes))) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", super::pages::encode(&name))),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(why)) => show(&console, &id, StatusCode::CONFLICT, Some(why)).await,
        Err(response) => response,
    }
}
