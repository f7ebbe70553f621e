//! The console's pages that change something: build, issue, revoke and import, each a form
//! (and, for what cannot be undone, a confirmation that says what will happen to whom), and a
//! job's page with its progress. Every value from the folder goes through maud, which escapes
//! it.

use maud::{Markup, html};

use super::import::{Checked, Kind};
use super::jobs::{Job, Progress};
use super::pages::{Live, diagnostics_table, encode, file_name, page, page_with};
use super::snapshot::{Snapshot, StudentRow};
use crate::batch::Format;
use crate::issue::state::Issued;

/// The choices a build form offers.
pub struct Choices<'a> {
    /// The formats, with their names in the form.
    pub formats: &'a [(Format, &'a str, &'a str)],
    /// The template's languages.
    pub locales: &'a [String],
    /// Whether the console has the school's signing key.
    pub signing: bool,
}

fn profile_select(snapshot: &Snapshot) -> Markup {
    html! {
        label { "Disclosure profile "
            select name="profile" {
                option value="" { "internal (everything)" }
                @for p in &snapshot.profiles { @if p != "internal" { option value=(p) { (p) } } }
            }
        }
    }
}

/// The build page: the form, and the builds of this session.
pub fn build(snapshot: &Snapshot, choices: &Choices, jobs: &[std::sync::Arc<Job>]) -> Markup {
    page(
        "Build",
        "/build",
        html! {
            p { "Builds every valid student of " bdi { (snapshot.school_name) } " as previews (marked unofficial). Only what changed since the last build of the same kind is made again." }
            form.stack method="post" action="/build" {
                label { "Format "
                    select name="format" {
                        @for (format, name, label) in choices.formats {
                            @if !format.signs() || choices.signing { option value=(name) { (label) } }
                        }
                    }
                }
                @if !choices.signing { p.hint { "Signed credentials (CLR, Open Badges) need the school's key: start the console with --key KEY_FILE." } }
                (profile_select(snapshot))
                label { "Language "
                    select name="locale" { @for l in choices.locales { option value=(l) { (l) } } }
                }
                label { "Paper "
                    select name="paper" { option value="letter" { "US Letter" } option value="a4" { "A4" } }
                }
                button type="submit" { "Build" }
            }
            (job_list(jobs))
        },
    )
}

fn job_list(jobs: &[std::sync::Arc<Job>]) -> Markup {
    html! {
        @if !jobs.is_empty() {
            h2 { "Builds and issues of this session" }
            table {
                thead { tr { th scope="col" { "Job" } th scope="col" { "What" } th scope="col" { "Started" } th scope="col" { "State" } } }
                tbody {
                    @for job in jobs {
                        @let p = job.progress();
                        tr {
                            td { a href=(format!("/jobs/{}", job.id)) { "Job " (job.id) } }
                            td { (job.what) }
                            td { (job.started) }
                            td { (state(&p)) }
                        }
                    }
                }
            }
        }
    }
}

fn state(p: &Progress) -> String {
    match (p.finished, p.cancelled, &p.error) {
        (false, _, _) => "running".to_string(),
        (true, _, Some(_)) => "failed".to_string(),
        (true, true, None) => "cancelled".to_string(),
        (true, false, None) => "finished".to_string(),
    }
}

/// A job's page: what it makes, how far it has come, and once finished its report and the
/// download.
pub fn job(job: &Job, p: &Progress) -> Markup {
    let c = &p.counts;
    page_with(
        &format!("Job {}: {}", job.id, job.what),
        "/build",
        if p.finished { Live::No } else { Live::Job(job.id) },
        html! {
            dl.counts {
                div { dt { "Started" } dd { (job.started) } }
                @if let Some(by) = &job.by { div { dt { "By" } dd { bdi { (by) } } } }
                div { dt { "State" } dd #job-state { (state(p)) } }
            }
            div #job-progress role="status" {
                @if !p.finished {
                    @match p.total {
                        Some(total) => progress max=(total) value=(p.seen) aria-label="Students seen" { (p.seen) " of " (total) },
                        None => progress aria-label="Students seen" { (p.seen) },
                    }
                }
                p #job-counts {
                    (p.seen) " records read: " (c.built) " built, " (c.unchanged) " up to date, "
                    (c.invalid) " with errors, " (c.failed) " failed, " (c.skipped) " with nothing to make, "
                    (c.withheld) " revoked and not issued again"
                    @if let Some(s) = p.seconds { ", in " (format!("{s:.1}")) " s" }
                    "."
                }
            }
            @if !p.finished {
                form method="post" action=(format!("/jobs/{}/cancel", job.id)) {
                    button type="submit" { "Cancel" }
                    " The transcripts being made finish; no other starts."
                }
                p.hint { "This page follows the job as it runs; " a href=(format!("/jobs/{}", job.id)) { "reload it" } " if it does not." }
            }
            @if let Some(error) = &p.error { p.alert role="alert" { (error) } }
            @if p.finished && p.error.is_none() {
                h2 { "Outputs" }
                p {
                    a href=(format!("/jobs/{}/outputs.zip", job.id)) download { "Download the outputs (ZIP)" }
                    " · " (crate::hint::plural(c.built + c.unchanged, "student")) ", also in the folder " code { (job.out.display()) } "."
                }
                @if job.format == Format::Issue { p { "Each issue is in the school's ledger: a student's page lists it." } }
            }
            @if !p.problems.is_empty() {
                h2 { "Students not made" }
                table {
                    thead { tr { th scope="col" { "Student" } th scope="col" { "File" } th scope="col" { "Why" } } }
                    tbody {
                        @for problem in &p.problems {
                            tr {
                                td { @if let Some(id) = &problem.student { a href=(format!("/students/{}", encode(id))) { (id) } } }
                                td { (problem.source) }
                                td { (problem.kind) ": " @for m in &problem.messages { (m) br; } }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// What a second build or issue gets while one runs.
pub fn busy(running: &Job) -> Markup {
    page(
        "Busy: a job is running",
        "",
        html! {
            p { "Only one build or issue runs at a time. " a href=(format!("/jobs/{}", running.id)) { "Job " (running.id) ": " (running.what) } " is running; wait for it to finish or cancel it, then start this one again." }
        },
    )
}

/// The issue page: which students, which profile, to whom.
pub fn issue(snapshot: &Snapshot, signing: bool) -> Markup {
    let valid = snapshot.students.iter().filter(|s| s.result.is_some()).count();
    page(
        "Issue official transcripts",
        "/issue",
        html! {
            @if !signing {
                p.alert role="alert" { "The console was started without the school's signing key, so it cannot issue. Stop it and start it again with " code { "mastery serve SCHOOL --key KEY_FILE" } "." }
            } @else {
                p { "Issuing signs each transcript with the school's key, gives the student their next version and records it in the school's ledger. You will see what will be issued to whom before anything is." }
                form.stack method="get" action="/issue/confirm" {
                    fieldset {
                        legend { "Students" }
                        label { input type="radio" name="scope" value="all" checked; " Every valid student (" (valid) ")" }
                        label { input type="radio" name="scope" value="some"; " Only these ids (separated by spaces or commas):" }
                        label { "Student ids " input name="students" size="40"; }
                    }
                    (profile_select(snapshot))
                    label { "Sent to (a college, an employer, the student; recorded in the ledger) " input name="to" size="40"; }
                    button type="submit" { "Continue" }
                }
            }
        },
    )
}

/// What an issue form asked for, carried through its confirmation.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct IssueChoice {
    /// `all` or `some`.
    #[serde(default)]
    pub scope: String,
    /// The ids, for `some`.
    #[serde(default)]
    pub students: String,
    /// The disclosure profile; empty for everything.
    #[serde(default)]
    pub profile: String,
    /// The recipient; empty for none.
    #[serde(default)]
    pub to: String,
    /// Who issues (the confirmation asks for it).
    #[serde(default)]
    pub by: String,
}

/// The confirmation of an issue: the students, the profile, the recipient, and the name of
/// who issues; or why it cannot go on.
pub fn issue_confirm(choice: &IssueChoice, chosen: &[&StudentRow], refused: &[String]) -> Markup {
    let profile = if choice.profile.is_empty() { "internal (everything)" } else { &choice.profile };
    page(
        "Confirm the issue",
        "/issue",
        html! {
            @if !refused.is_empty() {
                div.alert role="alert" {
                    p { "Nothing can be issued until these are put right:" }
                    ul { @for r in refused { li { (r) } } }
                }
                p { a href="/issue" { "Back to the issue page" } }
            } @else {
                p { strong { "You are about to issue the official transcript of " (crate::hint::plural(chosen.len(), "student")) } ", with the disclosure profile " strong { (profile) } ", "
                    @if choice.to.is_empty() { "to no recipient named." } @else { "sent to " strong { bdi { (choice.to) } } "." } }
                p { "Each is signed with the school's key and recorded in the ledger under your name. An issued transcript can be revoked later, but not taken back." }
                table {
                    thead { tr { th scope="col" { "Id" } th scope="col" { "Name" } th scope="col" { "Credits" } } }
                    tbody { @for s in chosen { tr { td { (s.id.as_deref().unwrap_or("")) } td { bdi { (s.name) } } td { @if let Some((c, _)) = s.result { (c) } } } } }
                }
                form.stack method="post" action="/issue" {
                    input type="hidden" name="scope" value=(choice.scope);
                    input type="hidden" name="students" value=(choice.students);
                    input type="hidden" name="profile" value=(choice.profile);
                    input type="hidden" name="to" value=(choice.to);
                    label { "Your name (the ledger records who issued) " input name="by" required autocomplete="name"; }
                    button type="submit" { "Issue " (crate::hint::plural(chosen.len(), "transcript")) }
                }
                p { a href="/issue" { "Go back without issuing" } }
            }
        },
    )
}

/// The confirmation of a revocation.
pub fn revoke_confirm(credential: &Issued, name: &str) -> Markup {
    let e = &credential.entry;
    page(
        "Revoke a transcript",
        "/students",
        html! {
            @if let Some(reason) = &credential.revoked {
                p { "This transcript was revoked already: " (reason) }
            } @else {
                p { strong { "You are about to revoke version " (e.version) " of the transcript of " bdi { (name) } " (" (e.student) ")" } ", issued " (e.at) " by " bdi { (e.by) }
                    @if let Some(to) = &e.recipient { " to " bdi { (to) } } "." }
                p { "Anyone who verifies it will then be told it is revoked, with your reason. The status list is signed again; publish the site to put it online." }
                form.stack method="post" action="/revoke" {
                    input type="hidden" name="credential" value=(e.credential_id);
                    label { "Reason (shown to whoever verifies it) " input name="reason" required size="50"; }
                    label { "Your name (the ledger records who revoked) " input name="by" required autocomplete="name"; }
                    button type="submit" { "Revoke version " (e.version) }
                }
            }
            p { a href=(format!("/students/{}", encode(&e.student))) { "Back to the student" } }
        },
    )
}

/// The import page: a file to drop or choose.
pub fn import() -> Markup {
    page(
        "Import",
        "/import",
        html! {
            p { "Add a file of student records (an SIS export as .csv, .jsonl, or a student's .json; a OneRoster 1.2 bundle or Ed-Fi files as .zip) to students/, or a CASE package (.json) as the school's framework. It is checked first; nothing in the folder changes until it passes, no file is replaced and school.json is not changed without asking." }
            form #drop .stack.drop method="post" action="/import" enctype="multipart/form-data" {
                label { "File (or drop it here) " input type="file" name="file" accept=".csv,.json,.jsonl,.zip" required; }
                button type="submit" { "Check and add" }
            }
        },
    )
}

/// What became of an upload: its problems, the question whether to replace it (or to write the
/// mapping proposed for it), or that it was added.
pub fn import_result(checked: &Checked, upload: Option<&str>, added: bool) -> Markup {
    let name = file_name(&checked.target);
    let place = match checked.kind {
        Kind::Records => format!("students/{name}"),
        Kind::EdFi => format!("students/{name}/"),
        Kind::Framework => name.clone(),
    };
    let errors = !checked.acceptable();
    let mapped = checked.proposals.iter().filter(|p| p.value.is_some()).count();
    page(
        if added {
            "Added"
        } else if errors {
            "Not added"
        } else if checked.maps() && !checked.replaces {
            "Add and map?"
        } else {
            "Replace a file?"
        },
        "/import",
        html! {
            p { "The file is " (checked.summary) "." }
            @if errors && checked.kind == Kind::Framework {
                p.alert role="alert" { "Nothing was changed: with this framework, school.json would have the errors below (its requirements and overrides must name the package's areas and credits). Fix school.json or the package, and drop it again." }
            } @else if errors {
                p.alert role="alert" { "Nothing was added: the file has errors" @if checked.maps() { ", even with the mapping proposed below" } ". Fix them and drop it again." }
            } @else if added {
                p role="status" { "Written to " code { (place) } @if checked.maps() { ", and the mapping to " code { "school.json" } } "." }
                p { a href="/students" { "See the students" } " · " a href="/problems" { "See the problems" } }
            } @else if let Some(upload) = upload {
                @if checked.replaces {
                    p { strong { code { (place) } " is already in the folder." }
                        @if checked.kind == Kind::Framework { " Importing replaces its framework (and scale) with the package's." } @else { " Adding the file replaces it." } }
                }
                @if checked.maps() {
                    p { "school.json does not map everything the file holds yet. With the " (mapped) " entries proposed below, it passes every check. Nothing is written until you say so." }
                }
                form method="post" action="/import/replace" {
                    input type="hidden" name="upload" value=(upload);
                    button type="submit" {
                        @if checked.replaces { "Replace " } @else { "Add " }
                        (place)
                        @if checked.maps() { " and write the mapping into school.json" }
                    }
                }
                p { a href="/import" { "Keep the folder as it is" } }
            }
            @if !checked.proposals.is_empty() {
                h2 { "Mapping proposed for school.json" }
                table {
                    thead { tr { th scope="col" { "Setting" } th scope="col" { "In the file" } th scope="col" { "Scores" } th scope="col" { "Proposed" } th scope="col" { "Why" } } }
                    tbody {
                        @for p in &checked.proposals {
                            tr {
                                td { code { "sources." (p.setting.replace('/', ".")) } }
                                td { bdi { (p.key) } }
                                td { (p.count) }
                                td { @match &p.value { Some(value) => code { (value.to_string()) }, None => "(map it by hand)" } }
                                td { (p.reason) }
                            }
                        }
                    }
                }
            }
            @if !checked.diagnostics.is_empty() {
                h2 { "Problems in the file" }
                (diagnostics_table(&checked.diagnostics.iter().collect::<Vec<_>>()))
            }
        },
    )
}
