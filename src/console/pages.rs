//! The console's pages, as HTML: every value from the folder goes through maud, which escapes
//! it. Filters and searches are forms (GET), so every page works from the keyboard and with the
//! back button; the one script ([`SCRIPT`]) only keeps live pages up to date (the folder's
//! counts and tables, a job's progress) and lets a file be dropped onto the import form.

use maud::{DOCTYPE, Markup, html};

use super::snapshot::{Snapshot, Standing, StudentRow};
use crate::diag::{Diagnostic, Severity};
use crate::issue::ledger::{Action, Entry};
use crate::transcript::GraduationStatus;

/// What keeps a page up to date without a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    /// Nothing: the page is as it was made.
    No,
    /// Its `#live` part is made again when a file of the folder changes.
    Folder,
    /// It follows this job's progress.
    Job(u64),
}

/// A whole page: the navigation, a heading and the content.
pub fn page(title: &str, current: &str, body: Markup) -> Markup {
    page_with(title, current, Live::No, body)
}

/// The console's places, as the navigation lists them.
const PLACES: [(&str, &str); 7] = [
    ("/", "Overview"),
    ("/problems", "Problems"),
    ("/students", "Students"),
    ("/build", "Build"),
    ("/issue", "Issue"),
    ("/import", "Import"),
    ("/requests", "Requests"),
];

/// A whole page that keeps itself up to date as `live` says.
pub fn page_with(title: &str, current: &str, live: Live, body: Markup) -> Markup {
    let (live_kind, job) = match live {
        Live::No => (None, None),
        Live::Folder => (Some("folder"), None),
        Live::Job(id) => (Some("job"), Some(id)),
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · mastery" }
                link rel="stylesheet" href="/style.css";
                // No icon to ask for.
                link rel="icon" href="data:,";
                script src="/console.js" defer {}
            }
            body data-live=[live_kind] data-job=[job] {
                a.skip href="#main" { "Skip to the content" }
                header {
                    p.brand { "mastery console" }
                    nav aria-label="Console" {
                        ul {
                            @for (href, label) in PLACES {
                                li { a href=(href) aria-current=[(href == current).then_some("page")] { (label) } }
                            }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    @if live == Live::Folder { p.hint #live-status role="status" { "This page follows the folder: a file saved there shows here within two seconds." } }
                    (body)
                }
            }
        }
    }
}

/// An error page: what went wrong and what to do.
pub fn error(status: u16, reason: &str) -> Markup {
    page(
        &format!("{status}: {}", status_text(status)),
        "",
        html! { p { (reason) } p { a href="/" { "Back to the overview" } } },
    )
}

fn status_text(status: u16) -> &'static str {
    match status {
        400 => "bad request",
        401 => "not signed in",
        403 => "refused",
        404 => "not found",
        409 => "busy",
        413 => "too large",
        421 => "wrong address",
        503 => "busy",
        _ => "error",
    }
}

fn graduation(status: GraduationStatus) -> &'static str {
    match status {
        GraduationStatus::Met => "met",
        GraduationStatus::OnTrack => "on track",
        GraduationStatus::NotMet => "not met",
    }
}

fn standing(standing: Standing) -> &'static str {
    match standing {
        Standing::Errors => "errors",
        Standing::Warnings => "warnings",
        Standing::Valid => "valid",
    }
}

/// When the last build or issue wrote its outputs, and which files of the folder changed
/// after it.
pub struct SinceLast {
    /// When, as a date and time (UTC).
    pub at: String,
    /// The files changed since, by their paths in the folder.
    pub changed: Vec<String>,
}

/// The overview: the school, its counts, and what changed since the last build or issue.
pub fn overview(snapshot: &Snapshot, since: Option<&SinceLast>) -> Markup {
    let students = &snapshot.students;
    let count = |s: Standing| students.iter().filter(|r| r.standing == s).count();
    let met = |g: GraduationStatus| students.iter().filter(|r| r.result.is_some_and(|(_, s)| s == g)).count();
    let credits: rust_decimal::Decimal = students.iter().filter_map(|r| r.result.map(|(c, _)| c.value())).sum();
    let errors = snapshot.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = snapshot.diagnostics.len() - errors;
    page_with(
        &snapshot.school_name,
        "/",
        Live::Folder,
        html! { div #live {
            @if !snapshot.school_valid {
                p.alert role="alert" { "school.json has errors: no student can be built until they are fixed. " a href="/problems?file=school.json" { "See them" } }
            }
            h2 { "Students" }
            dl.counts {
                div { dt { "Students" } dd { (students.len()) } }
                div { dt { "Valid" } dd { (count(Standing::Valid) + count(Standing::Warnings)) } }
                div { dt { "With errors" } dd { a href="/students?standing=errors" { (count(Standing::Errors)) } } }
                div { dt { "With warnings" } dd { a href="/students?standing=warnings" { (count(Standing::Warnings)) } } }
            }
            h2 { "Graduation" }
            dl.counts {
                div { dt { "Requirements met" } dd { (met(GraduationStatus::Met)) } }
                div { dt { "On track" } dd { (met(GraduationStatus::OnTrack)) } }
                div { dt { "Not met" } dd { (met(GraduationStatus::NotMet)) } }
                div { dt { "Credits earned" } dd { (credits.normalize()) } }
            }
            h2 { "Problems" }
            p { a href="/problems?severity=error" { (crate::hint::plural(errors, "error")) } ", " a href="/problems?severity=warning" { (crate::hint::plural(warnings, "warning")) } " in the folder." }
            h2 { "Since the last build or issue" }
            @match since {
                None => p { "Nothing built or issued from this console's output folder yet. " a href="/build" { "Build" } },
                Some(since) if since.changed.is_empty() => p { "Nothing in the folder changed since the last build or issue (" (since.at) ")." },
                Some(since) => {
                    p { (crate::hint::plural(since.changed.len(), "file")) " changed since the last build or issue (" (since.at) "):" }
                    ul { @for file in &since.changed { li { code { (file) } } } }
                },
            }
        } },
    )
}

/// The filters of the problems page, from its query.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ProblemFilter {
    /// Only this student's (by id).
    pub student: Option<String>,
    /// Only in files whose name contains this.
    pub file: Option<String>,
    /// Only errors or only warnings.
    pub severity: Option<String>,
}

impl ProblemFilter {
    fn keeps(&self, d: &Diagnostic, snapshot: &Snapshot) -> bool {
        let file = d.file.display().to_string();
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        self.file.as_deref().filter(|f| !f.is_empty()).is_none_or(|f| file.contains(f))
            && self.severity.as_deref().filter(|s| !s.is_empty()).is_none_or(|s| s == severity)
            && self
                .student
                .as_deref()
                .filter(|s| !s.is_empty())
                .is_none_or(|id| snapshot.student(id).is_some_and(|row| row.source == d.file))
    }
}

/// Every problem, as a table, with its filters.
pub fn problems(snapshot: &Snapshot, filter: &ProblemFilter) -> Markup {
    let shown: Vec<&Diagnostic> = snapshot.diagnostics.iter().filter(|d| filter.keeps(d, snapshot)).collect();
    page_with(
        "Problems",
        "/problems",
        Live::Folder,
        html! {
            form.filters method="get" action="/problems" {
                label { "Student id " input name="student" value=[filter.student.as_deref()]; }
                label { "File " input name="file" value=[filter.file.as_deref()]; }
                label { "Severity "
                    select name="severity" {
                        option value="" { "all" }
                        @for s in ["error", "warning"] { option value=(s) selected[filter.severity.as_deref() == Some(s)] { (s) } }
                    }
                }
                button type="submit" { "Filter" }
            }
            div #live {
                p { (shown.len()) " of " (snapshot.diagnostics.len()) " problems" }
                (diagnostics_table(&shown))
            }
        },
    )
}

/// Problems as a table: severity, file, place, pointer, message with its hint and the source
/// line marked.
pub fn diagnostics_table(shown: &[&Diagnostic]) -> Markup {
    html! {
        table {
            thead { tr { th scope="col" { "Severity" } th scope="col" { "File" } th scope="col" { "Place" } th scope="col" { "Pointer" } th scope="col" { "Problem" } } }
            tbody {
                @for d in shown {
                    tr {
                        td { @if d.is_error() { "error" } @else { "warning" } }
                        td { (file_name(&d.file)) }
                        td {
                            @if let Some(p) = &d.position {
                                "line " (p.line) @if p.column > 0 { ":" (p.column) }
                            }
                            @if let Some(column) = &d.column_name { " (column " code { (column) } ")" }
                        }
                        td { @if let Some(pointer) = &d.pointer { code { (pointer) } } }
                        td {
                            (d.message)
                            @if let Some(hint) = &d.hint { br; span.hint { "Fix: " (hint) } }
                            @if let (Some(line), Some(p)) = (&d.source_line, &d.position) { (source_line(line, p.column)) }
                        }
                    }
                }
            }
        }
    }
}

/// A file's name without its folder, as the tables show it.
pub fn file_name(path: &std::path::Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The line of the file at fault, with the place marked.
fn source_line(line: &str, column: usize) -> Markup {
    let at = line.char_indices().nth(column.saturating_sub(1)).map_or(line.len(), |(i, _)| i);
    let (before, after) = if column == 0 { ("", line) } else { line.split_at(at) };
    html! { pre.source { code { (before) mark { (after.chars().next().map(String::from).unwrap_or_default()) } (after.chars().skip(1).collect::<String>()) } } }
}

/// The query of the students page.
#[derive(Debug, Default, serde::Deserialize)]
pub struct StudentQuery {
    /// Words that the id or the name contains.
    pub q: Option<String>,
    /// errors, warnings or valid.
    pub standing: Option<String>,
    /// id, name, credits or problems.
    pub sort: Option<String>,
}

/// Every student, searchable and sortable.
pub fn students(snapshot: &Snapshot, query: &StudentQuery) -> Markup {
    let needle = query.q.as_deref().unwrap_or("").to_lowercase();
    let mut shown: Vec<&StudentRow> = snapshot
        .students
        .iter()
        .filter(|s| {
            needle.is_empty()
                || s.name.to_lowercase().contains(&needle)
                || s.id.as_deref().is_some_and(|id| id.to_lowercase().contains(&needle))
        })
        .filter(|s| query.standing.as_deref().filter(|w| !w.is_empty()).is_none_or(|w| standing(s.standing) == w))
        .collect();
    match query.sort.as_deref() {
        Some("name") => shown.sort_by(|a, b| a.name.cmp(&b.name)),
        Some("credits") => shown.sort_by_key(|s| std::cmp::Reverse(s.result.map(|r| r.0))),
        Some("problems") => shown.sort_by_key(|s| std::cmp::Reverse(s.problems)),
        Some("id") => shown.sort_by(|a, b| a.id.cmp(&b.id)),
        _ => {}
    }
    let sort_link = |key: &str| {
        format!(
            "/students?q={}&standing={}&sort={key}",
            encode(&needle),
            encode(query.standing.as_deref().unwrap_or(""))
        )
    };
    page_with(
        "Students",
        "/students",
        Live::Folder,
        html! {
            form.filters method="get" action="/students" role="search" {
                label { "Search " input type="search" name="q" value=(needle); }
                input type="hidden" name="standing" value=[query.standing.as_deref()];
                button type="submit" { "Search" }
            }
            div #live {
            p { (shown.len()) " of " (snapshot.students.len()) " students" }
            table {
                thead { tr {
                    th scope="col" { a href=(sort_link("id")) { "Id" } }
                    th scope="col" { a href=(sort_link("name")) { "Name" } }
                    th scope="col" { "Record" }
                    th scope="col" { a href=(sort_link("credits")) { "Credits" } }
                    th scope="col" { "Graduation" }
                    th scope="col" { a href=(sort_link("problems")) { "Problems" } }
                } }
                tbody {
                    @for s in &shown {
                        tr {
                            td { @if let Some(id) = &s.id { a href=(format!("/students/{}", encode(id))) { (id) } } @else { "—" } }
                            td { bdi { (s.name) } }
                            td { (standing(s.standing)) }
                            td { @if let Some((credits, _)) = s.result { (credits) } }
                            td { @if let Some((_, g)) = s.result { (graduation(g)) } }
                            td { @if s.problems > 0 { @if let Some(id) = &s.id { a href=(format!("/problems?student={}", encode(id))) { (s.problems) } } @else { (s.problems) } } @else { "0" } }
                        }
                    }
                }
            }
            }
        },
    )
}

/// One student: their standing, the preview of their transcript, what the school's ledger
/// records of their transcripts (or why it cannot be read) and how each credit was worked out.
pub fn student(
    row: &StudentRow,
    snapshot: &Snapshot,
    history: &Result<Vec<Entry>, String>,
    revocable: &[String],
) -> Markup {
    let id = row.id.as_deref().unwrap_or("");
    let own: Vec<&Diagnostic> = snapshot.diagnostics.iter().filter(|d| d.file == row.source).collect();
    page(
        &row.name,
        "/students",
        html! {
            dl.counts {
                div { dt { "Id" } dd { (id) } }
                div { dt { "Record" } dd { (standing(row.standing)) } }
                @if let Some((credits, g)) = row.result {
                    div { dt { "Credits" } dd { (credits) } }
                    div { dt { "Graduation" } dd { (graduation(g)) } }
                }
                div { dt { "File" } dd { (file_name(&row.source)) } }
            }
            @if !own.is_empty() {
                p { a href=(format!("/problems?student={}", encode(id))) { (own.len()) " problems in this student's file" } }
            }
            @if row.result.is_some() {
                h2 { "Preview" }
                p {
                    a href=(format!("/students/{}/preview.pdf", encode(id))) { "The PDF preview" } " · "
                    a href=(format!("/students/{}/preview.html", encode(id))) { "The HTML preview" }
                }
                iframe.preview src=(format!("/students/{}/preview.html", encode(id))) title=(format!("Transcript preview of {}", row.name)) {}
            }
            h2 { "Issued transcripts" }
            @match history {
                Err(why) => p.alert role="alert" { "The ledger cannot be read: " (why) },
                Ok(entries) if entries.is_empty() => p { "Nothing issued to this student yet." },
                Ok(entries) => table {
                    thead { tr { th scope="col" { "When" } th scope="col" { "What" } th scope="col" { "Version" } th scope="col" { "Profile" } th scope="col" { "To" } th scope="col" { "By" } th scope="col" { "Credential" } } }
                    tbody {
                        @for e in entries {
                            tr {
                                td { (e.at) }
                                td {
                                    (match e.action { Action::Issue => "issued", Action::Revoke => "revoked", Action::Disclose => "disclosed" })
                                    @if let Some(reason) = &e.reason { " (" (reason) ")" }
                                }
                                td { (e.version) }
                                td { (e.profile.as_deref().unwrap_or("internal")) }
                                td {
                                    (e.recipient.as_deref().unwrap_or(""))
                                    @if let Some(via) = e.via.as_ref().filter(|via| e.recipient.as_ref() != Some(via)) { " (via " (via) ")" }
                                }
                                td { (e.by) }
                                td {
                                    code { (e.credential_id) }
                                    @if e.action == Action::Issue && revocable.contains(&e.credential_id) {
                                        br; a href=(format!("/revoke?credential={}", encode(&e.credential_id))) { "Revoke version " (e.version) "…" }
                                    }
                                }
                            }
                        }
                    }
                },
            }
            @if let Some(working) = &row.working {
                h2 { "How each credit was worked out" }
                pre.working { (working) }
            }
        },
    )
}

/// Percent-encodes a query or path value.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The console's styles.
pub const STYLE: &str = r#"
:root { --ink: #1c1c1c; --muted: #545454; --accent: #1d3f66; --rule: #b5b5b5; --alert: #7a1d12; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, "Noto Sans", sans-serif; color: var(--ink); background: #fff; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus { outline: 3px solid #b35900; outline-offset: 2px; }
.skip { position: absolute; inset-inline-start: -999px; }
.skip:focus { inset-inline-start: 1rem; top: 1rem; background: #fff; padding: .5rem; z-index: 1; }
header { display: flex; gap: 2rem; align-items: center; padding: .6rem 1.5rem; border-bottom: 3px solid var(--accent); }
.brand { font-weight: bold; margin: 0; }
nav ul { display: flex; gap: 1.2rem; list-style: none; margin: 0; padding: 0; }
nav a[aria-current] { font-weight: bold; text-decoration: none; border-bottom: 2px solid var(--accent); }
main { padding: 1rem 1.5rem 3rem; max-width: 80rem; }
h1 { color: var(--accent); margin: .5rem 0 1rem; }
h2 { color: var(--accent); font-size: 1.15rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem; }
dl.counts { display: flex; flex-wrap: wrap; gap: .75rem 2.5rem; }
dl.counts dt { font-size: .8rem; text-transform: uppercase; color: var(--muted); }
dl.counts dd { margin: 0; font-size: 1.4rem; }
.alert { border: 2px solid var(--alert); color: var(--alert); padding: .5rem .75rem; }
form.filters { display: flex; flex-wrap: wrap; gap: .75rem 1.25rem; align-items: end; margin: .5rem 0 1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: start; padding: .35rem .5rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { font-size: .85rem; color: var(--muted); }
.hint { color: var(--muted); }
pre.source { margin: .3rem 0 0; padding: .3rem .5rem; background: #f4f4f4; overflow-x: auto; }
pre.source mark { background: #ffd8a8; }
pre.working { background: #f7f7f7; padding: .75rem; overflow-x: auto; font-size: .85rem; }
iframe.preview { width: 100%; height: 40rem; border: 1px solid var(--rule); }
form.stack { display: grid; gap: .75rem; justify-items: start; margin: .5rem 0 1.5rem; }
fieldset { border: 1px solid var(--rule); display: grid; gap: .4rem; }
form.drop { border: 2px dashed var(--rule); padding: 1.5rem; min-width: 24rem; }
form.drop.over { border-color: var(--accent); background: #eef3f9; }
button { font: inherit; padding: .3rem .9rem; }
progress { width: 24rem; height: 1.2rem; }
"#;

/// The console's script.
pub const SCRIPT: &str = include_str!("console.js");
