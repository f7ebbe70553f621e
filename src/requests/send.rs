//! Sending approved requests: each through `issue` (a new version when the record changed,
//! else the current one disclosed) and, for a portal, `pack`, the ledger recording the send
//! with the request's id, the party and its interest.
//!
//! One send at a time holds the school's `office.send.lock` (a second waits for it). Under
//! it, a send first settles what a killed send left `sending`: a request the ledger records
//! is sent, one it does not is approved again (so the next send sends it, once). Then it
//! takes the requests (`approved` to `sending`, one transaction), sends them group by group
//! (one delivery, recipient and profile; each student once per round), and settles each
//! from the ledger: sent with the entry that records it, or held with the reason it could
//! not be (a record with errors, a revoked transcript).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::queue::Settle;
use super::{Delivery, HoldReason, Queue, QueueError, Request};
use crate::batch::{self, BuildError, BuildOptions, Cancel, Event, Plan, Status};
use crate::delivery::{self, PackError, PackOptions};
use crate::issue::ledger::Entry;
use crate::issue::{self, KeyRefusal};
use crate::model::School;
use crate::validate::Schemas;
use crate::{intake, output};

/// The lock one send holds.
pub const LOCK: &str = "office.send.lock";

/// What a send is asked to do.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// How to issue: the school, the output folder of issued versions, the keys, the
    /// renderer (its students, profile, recipient and requests are set per group).
    pub issue: BuildOptions,
    /// Where packs and PESC responses are written, one folder per group.
    pub packs: PathBuf,
    /// The requests to send, by id; every approved request when empty.
    pub ids: Vec<String>,
    /// Who sends, for the ledger and the requests' history.
    pub by: String,
}

/// A request sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The request.
    pub request: String,
    /// Its student.
    pub student: String,
    /// Its recipient.
    pub recipient: String,
    /// The ledger entry that records it.
    pub entry: u64,
    /// What was sent, and where it is.
    pub what: String,
}

/// What a send did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    /// The requests sent.
    pub sent: Vec<Sent>,
    /// The requests put on hold, with why.
    pub held: Vec<(String, String)>,
    /// The requests asked for that were not approved, with their state.
    pub passed: Vec<(String, String)>,
    /// What a killed send had left, settled now: each request and what became of it.
    pub settled: Vec<(String, String)>,
}

/// Why a send stopped.
#[derive(Debug)]
pub enum SendError {
    /// The queue cannot be used.
    Queue(QueueError),
    /// The school or its ledger refuses an issue (every request taken is approved again).
    Refused(String),
    /// A file cannot be read or written.
    Io(std::io::Error),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Queue(error) => write!(f, "{error}"),
            SendError::Refused(why) => write!(f, "nothing sent: {why}"),
            SendError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for SendError {}

impl From<QueueError> for SendError {
    fn from(error: QueueError) -> Self {
        SendError::Queue(error)
    }
}

impl From<std::io::Error> for SendError {
    fn from(error: std::io::Error) -> Self {
        SendError::Io(error)
    }
}

/// Sends the approved requests asked for.
pub fn send(options: &SendOptions) -> Result<SendReport, SendError> {
    let school_dir = options.issue.school.as_path();
    let lock_path = school_dir.join(LOCK);
    let lock = output::lock_file(&lock_path)?;
    let open = intake::open(school_dir, &Schemas::new())?;
    let school = open
        .school
        .clone()
        .ok_or_else(|| SendError::Refused("school.json has errors: `mastery validate` shows them".to_string()))?;
    let mut queue = Queue::open(school_dir)?;
    let mut report = SendReport::default();
    let entries = read_ledger(school_dir, &school)?;
    for request in queue.unsettled()? {
        let (settle, words) = match recorded(&entries, &request.id) {
            Some(entry) => (
                Settle::Sent {
                    entry: entry.seq,
                    note: "recorded by a send that stopped before it was done".to_string(),
                },
                format!("sent (ledger entry {})", entry.seq),
            ),
            None => (
                Settle::Undone("a send stopped before the ledger recorded it".to_string()),
                "approved again: the send that took it stopped before the ledger recorded it".to_string(),
            ),
        };
        queue.settle(&request, settle, &options.by)?;
        report.settled.push((request.id.clone(), words));
    }
    let ids = if options.ids.is_empty() { queue.approved()? } else { options.ids.clone() };
    let (claimed, passed) = queue.claim(&ids, &options.by)?;
    report.passed = passed;
    let mut pending: Vec<Request> = claimed;
    let mut groups: BTreeMap<(Delivery, String, String), Vec<Request>> = BTreeMap::new();
    for request in pending.drain(..) {
        groups.entry((request.delivery, request.recipient.clone(), request.profile.clone())).or_default().push(request);
    }
    let mut groups: Vec<Vec<Request>> = groups.into_values().flat_map(rounds).collect();
    let mut result = Ok(());
    while let Some(group) = groups.first().cloned() {
        groups.remove(0);
        if result.is_err() {
            undo(&mut queue, &group, "the send stopped before it", &options.by)?;
            continue;
        }
        result = send_group(&mut queue, &open, &school, options, &group, &mut report);
        if result.is_err() {
            // What the group recorded before it stopped is sent; the rest approved again.
            let entries = read_ledger(school_dir, &school)?;
            for request in &group {
                if queue.get(&request.id)?.state == super::State::Sending {
                    match recorded(&entries, &request.id) {
                        Some(entry) => queue.settle(
                            request,
                            Settle::Sent { entry: entry.seq, note: "recorded before the send stopped".to_string() },
                            &options.by,
                        )?,
                        None => undo(&mut queue, std::slice::from_ref(request), "the send stopped", &options.by)?,
                    }
                }
            }
        }
    }
    drop(lock);
    result.map(|()| report)
}

/// Returns requests a send took to `approved`.
fn undo(queue: &mut Queue, requests: &[Request], why: &str, by: &str) -> Result<(), SendError> {
    for request in requests {
        queue.settle(request, Settle::Undone(why.to_string()), by)?;
    }
    Ok(())
}

/// A group split so that each round has each student once.
fn rounds(group: Vec<Request>) -> Vec<Vec<Request>> {
    let mut rounds: Vec<(BTreeSet<String>, Vec<Request>)> = Vec::new();
    for request in group {
        match rounds.iter_mut().find(|(students, _)| !students.contains(&request.student)) {
            Some((students, round)) => {
                students.insert(request.student.clone());
                round.push(request);
            }
            None => rounds.push((BTreeSet::from([request.student.clone()]), vec![request])),
        }
    }
    rounds.into_iter().map(|(_, round)| round).collect()
}

fn read_ledger(school_dir: &Path, school: &School) -> Result<Vec<Entry>, SendError> {
    issue::read_ledger(school_dir, school).map_err(|e| SendError::Refused(e.to_string()))
}

/// The last ledger entry that answers a request.
fn recorded<'a>(entries: &'a [Entry], id: &str) -> Option<&'a Entry> {
    entries.iter().rev().find(|e| e.request.as_deref() == Some(id))
}

/// Sends one group: one delivery, recipient and profile, each student once.
fn send_group(
    queue: &mut Queue,
    open: &intake::OpenSchool,
    school: &School,
    options: &SendOptions,
    group: &[Request],
    report: &mut SendReport,
) -> Result<(), SendError> {
    let first = &group[0];
    let (delivery, recipient, profile) = (first.delivery, first.recipient.clone(), first.profile.clone());
    let requested: BTreeMap<String, issue::ledger::Requested> =
        group.iter().map(|r| (r.student.clone(), r.requested())).collect();
    let mut build = options.issue.clone();
    build.only = group.iter().map(|r| r.student.clone()).collect();
    build.profile = Some(profile.clone());
    build.by = Some(options.by.clone());
    build.reissue = None;
    // A pack records the disclosure; the issue before it only makes sure the version is there.
    let packs = matches!(delivery, Delivery::Pack(_));
    build.recipient = (!packs).then(|| recipient.clone());
    build.requests = if packs { BTreeMap::new() } else { requested.clone() };
    let statuses = issue_students(build)?;
    let mut ready = Vec::new();
    for request in group {
        match statuses.get(&request.student) {
            Some(Ok(())) => ready.push(request),
            Some(Err(why)) => hold(queue, request, why.clone(), options, report)?,
            None => hold(
                queue,
                request,
                format!("the school folder has no record of {}", request.student),
                options,
                report,
            )?,
        }
    }
    if ready.is_empty() {
        return Ok(());
    }
    let mut folder = None;
    if let Delivery::Pack(destination) = delivery {
        let signer =
            issue::school_signer(open, school, options.issue.key.as_deref()).map_err(|refusal| match refusal {
                KeyRefusal::Usage(message) => SendError::Refused(message),
                KeyRefusal::Invalid(diagnostic) => SendError::Refused(diagnostic.message),
                KeyRefusal::Io(error) => SendError::Io(error),
            })?;
        let out = options.packs.join(format!("{}-{}", destination.key(), ready[0].id));
        let pack_options = PackOptions {
            destination,
            issued: options.issue.out.clone(),
            out: out.clone(),
            students: ready.iter().map(|r| r.student.clone()).collect(),
            profile: Some(profile.clone()),
            recipient: Some(recipient.clone()),
            unsigned: false,
            by: options.by.clone(),
            requests: requested,
        };
        match delivery::pack(open.dir(), school, &signer, &pack_options, &[]) {
            Ok(pack) => {
                for not in &pack.not_packed {
                    if let Some(request) = ready.iter().find(|r| r.student == not.student) {
                        hold(queue, request, not.why.clone(), options, report)?;
                    }
                }
                ready.retain(|r| !pack.not_packed.iter().any(|n| n.student == r.student));
            }
            Err(PackError::Nothing(not_packed)) => {
                for not in &not_packed {
                    if let Some(request) = ready.iter().find(|r| r.student == not.student) {
                        hold(queue, request, not.why.clone(), options, report)?;
                    }
                }
                return Ok(());
            }
            Err(PackError::Io(error)) => return Err(SendError::Io(error)),
            Err(error) => return Err(SendError::Refused(error.to_string())),
        }
        folder = Some(out);
    }
    let entries = read_ledger(open.dir(), school)?;
    for request in ready {
        let Some(entry) = recorded(&entries, &request.id) else {
            queue.settle(request, Settle::Undone("the ledger recorded nothing for it".to_string()), &options.by)?;
            report
                .held
                .push((request.id.clone(), "the ledger recorded nothing for it; it is approved again".to_string()));
            continue;
        };
        let what = match (&folder, delivery) {
            (Some(folder), _) => format!("packed for {} in {}", delivery.as_str(), folder.display()),
            (None, Delivery::Pesc) => {
                let written = super::pesc::respond(queue, request, entry, &entries, options)?;
                format!("version {} with a TranscriptResponse in {}", entry.version, written.display())
            }
            (None, _) => {
                let action = if entry.action == issue::ledger::Action::Issue { "issued" } else { "disclosed" };
                format!("version {} {action}, in {}", entry.version, options.issue.out.join(&request.student).display())
            }
        };
        queue.settle(request, Settle::Sent { entry: entry.seq, note: what.clone() }, &options.by)?;
        report.sent.push(Sent {
            request: request.id.clone(),
            student: request.student.clone(),
            recipient: request.recipient.clone(),
            entry: entry.seq,
            what,
        });
    }
    Ok(())
}

fn hold(
    queue: &mut Queue,
    request: &Request,
    why: String,
    options: &SendOptions,
    report: &mut SendReport,
) -> Result<(), SendError> {
    let why = why.lines().next().unwrap_or_default().to_string();
    queue.settle(request, Settle::Held(HoldReason::Record, why.clone()), &options.by)?;
    report.held.push((request.id.clone(), why));
    Ok(())
}

/// Issues the students a group names; what became of each: in place (issued, unchanged or
/// disclosed), or why not.
fn issue_students(build: BuildOptions) -> Result<BTreeMap<String, Result<(), String>>, SendError> {
    let plan = Plan::new(build).map_err(|error| match error {
        BuildError::Io(error) => SendError::Io(error),
        BuildError::Invalid { reason, .. } => SendError::Refused(reason),
        error => SendError::Refused(error.to_string()),
    })?;
    let mut statuses = BTreeMap::new();
    let outcome = batch::run(
        &plan,
        |event| {
            if let Event::Student { student: Some(student), status, .. } = event {
                let status = match status {
                    Status::Built { .. } | Status::Unchanged => Ok(()),
                    Status::NotSelected => return,
                    Status::Stopped => Err("the issue stopped before it".to_string()),
                    Status::Invalid(p) => {
                        Err(format!("the record has errors: {}", p.messages.first().cloned().unwrap_or_default()))
                    }
                    Status::Failed(p) | Status::Skipped(p) | Status::Withheld(p) => {
                        Err(p.messages.first().cloned().unwrap_or_else(|| p.kind.to_string()))
                    }
                };
                statuses.insert(student, status);
            }
        },
        &Cancel::new(),
    )
    .map_err(|error| match error {
        BuildError::Io(error) => SendError::Io(error),
        error => SendError::Refused(error.to_string()),
    })?;
    for student in outcome.missing {
        statuses.insert(student.clone(), Err(format!("the school folder has no valid record of {student}")));
    }
    Ok(statuses)
}
