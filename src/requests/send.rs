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
    let lock = output::lock_file(&school_dir.join(LOCK))?;
    let open = intake::open(school_dir, &Schemas::new())?;
    let school = open
        .school
        .clone()
        .ok_or_else(|| SendError::Refused("school.json has errors: `mastery validate` shows them".to_string()))?;
    let mut queue = Queue::open(school_dir)?;
    let mut report = SendReport::default();
    // What a killed send left: sent if the ledger recorded it, else approved again.
    let unsettled = queue.unsettled()?;
    if !unsettled.is_empty() {
        let entries = read_ledger(school_dir, &school)?;
        let mut settles = Vec::new();
        for request in &unsettled {
            let words = match recorded(&entries, &request.id) {
                Some(entry) => format!("sent (ledger entry {})", entry.seq),
                None => "approved again: the send that took it stopped before the ledger recorded it".to_string(),
            };
            let (settle, _) = settle_from(
                &mut queue,
                &entries,
                request,
                None,
                options,
                &school.profile.name,
                "a send stopped before it was done",
            )?;
            settles.push((request, settle));
            report.settled.push((request.id.clone(), words));
        }
        queue.settle(&settles, &options.by)?;
    }
    let ids = if options.ids.is_empty() { queue.approved()? } else { options.ids.clone() };
    let (claimed, passed) = queue.claim(&ids, &options.by)?;
    report.passed = passed;
    let mut sending =
        Sending { queue: &mut queue, open: &open, school: &school, options, report: &mut report, done: Vec::new() };
    let result = sending.all(claimed.clone());
    // Settled from the ledger, read once: sent when it records the request, else approved
    // again (a request held on the way is settled already).
    let entries = read_ledger(school_dir, &school)?;
    let done = std::mem::take(&mut sending.done);
    let held: BTreeSet<String> = report.held.iter().map(|(id, _)| id.clone()).collect();
    let mut settles = Vec::new();
    for request in claimed.iter().filter(|r| !held.contains(&r.id)) {
        let folder = done.iter().find(|(r, _)| r.id == request.id).and_then(|(_, folder)| folder.clone());
        let why = if result.is_ok() { "the ledger recorded nothing for it" } else { "the send stopped before it" };
        let (settle, sent) = settle_from(&mut queue, &entries, request, folder, options, &school.profile.name, why)?;
        match sent {
            Some(sent) => report.sent.push(sent),
            None if result.is_ok() => report.held.push((request.id.clone(), format!("{why}; it is approved again"))),
            None => {}
        }
        settles.push((request, settle));
    }
    queue.settle(&settles, &options.by)?;
    drop(lock);
    result.map(|()| report)
}

/// How a request a send took is settled, from the ledger: sent (what, and where; a PESC
/// request's response written), or approved again.
fn settle_from(
    queue: &mut Queue,
    entries: &[Entry],
    request: &Request,
    folder: Option<PathBuf>,
    options: &SendOptions,
    school_name: &str,
    why: &str,
) -> Result<(Settle, Option<Sent>), SendError> {
    let Some(entry) = recorded(entries, &request.id) else {
        return Ok((Settle::Undone(why.to_string()), None));
    };
    let what = match (&folder, request.delivery) {
        (Some(folder), delivery) => format!("packed for {} in {}", delivery.as_str(), folder.display()),
        (None, Delivery::Pesc) => {
            let received = queue.pesc_request(&request.id)?.unwrap_or_default();
            let written = super::pesc::respond(
                request,
                entry,
                entries,
                &received,
                school_name,
                &options.issue.out,
                &options.packs,
            )?;
            format!("version {} with a TranscriptResponse in {}", entry.version, written.display())
        }
        (None, Delivery::Pack(destination)) => format!("packed for {} before a send stopped", destination.key()),
        (None, _) => {
            let action = if entry.action == issue::ledger::Action::Issue { "issued" } else { "disclosed" };
            format!("version {} {action}, in {}", entry.version, options.issue.out.join(&request.student).display())
        }
    };
    let sent = Sent {
        request: request.id.clone(),
        student: request.student.clone(),
        recipient: request.recipient.clone(),
        entry: entry.seq,
        what: what.clone(),
    };
    Ok((Settle::Sent { entry: entry.seq, note: what }, Some(sent)))
}

/// A send under way: what it has done, and for whom.
struct Sending<'a> {
    queue: &'a mut Queue,
    open: &'a intake::OpenSchool,
    school: &'a School,
    options: &'a SendOptions,
    report: &'a mut SendReport,
    /// The requests handed to issue or pack, with the pack's folder.
    done: Vec<(Request, Option<PathBuf>)>,
}

impl Sending<'_> {
    /// Sends every request taken. A pack's versions are issued first, once per profile for
    /// all of its students (the pack records the disclosure); each other group is one issue
    /// to its recipient, which records it.
    fn all(&mut self, claimed: Vec<Request>) -> Result<(), SendError> {
        let (packs, others): (Vec<Request>, Vec<Request>) =
            claimed.into_iter().partition(|r| matches!(r.delivery, Delivery::Pack(_)));
        let mut by_profile: BTreeMap<String, Vec<Request>> = BTreeMap::new();
        for request in packs {
            by_profile.entry(request.profile.clone()).or_default().push(request);
        }
        for (profile, requests) in by_profile {
            let ready = self.issue(&requests, &profile, None)?;
            let mut groups: BTreeMap<(Delivery, String), Vec<Request>> = BTreeMap::new();
            for request in ready {
                groups.entry((request.delivery, request.recipient.clone())).or_default().push(request);
            }
            for round in groups.into_values().flat_map(rounds) {
                self.pack(&round, &profile)?;
            }
        }
        let mut groups: BTreeMap<(Delivery, String, String), Vec<Request>> = BTreeMap::new();
        for request in others {
            groups
                .entry((request.delivery, request.recipient.clone(), request.profile.clone()))
                .or_default()
                .push(request);
        }
        for round in groups.into_values().flat_map(rounds) {
            let (recipient, profile) = (round[0].recipient.clone(), round[0].profile.clone());
            let ready = self.issue(&round, &profile, Some(&recipient))?;
            self.done.extend(ready.into_iter().map(|r| (r, None)));
        }
        Ok(())
    }

    /// Issues the students of `requests` under `profile` (to `recipient`, recording each
    /// request, when given); the requests whose student is in place, the others held.
    fn issue(
        &mut self,
        requests: &[Request],
        profile: &str,
        recipient: Option<&str>,
    ) -> Result<Vec<Request>, SendError> {
        let mut build = self.options.issue.clone();
        build.only = requests.iter().map(|r| r.student.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        build.profile = Some(profile.to_string());
        build.by = Some(self.options.by.clone());
        build.reissue = None;
        build.recipient = recipient.map(str::to_string);
        build.requests = match recipient {
            Some(_) => requests.iter().map(|r| (r.student.clone(), r.requested())).collect(),
            None => BTreeMap::new(),
        };
        let statuses = issue_students(build)?;
        let mut ready = Vec::new();
        for request in requests {
            match statuses.get(&request.student) {
                Some(Ok(())) => ready.push(request.clone()),
                Some(Err(why)) => self.hold(request, why)?,
                None => self.hold(request, &format!("the school folder has no record of {}", request.student))?,
            }
        }
        Ok(ready)
    }

    /// Packs one round (one destination and recipient, each student once).
    fn pack(&mut self, round: &[Request], profile: &str) -> Result<(), SendError> {
        let Delivery::Pack(destination) = round[0].delivery else { return Ok(()) };
        let signer =
            issue::school_signer(self.open, self.school, self.options.issue.key.as_deref()).map_err(|refusal| {
                match refusal {
                    KeyRefusal::Usage(message) => SendError::Refused(message),
                    KeyRefusal::Invalid(diagnostic) => SendError::Refused(diagnostic.message),
                    KeyRefusal::Io(error) => SendError::Io(error),
                }
            })?;
        let out = self.options.packs.join(format!("{}-{}", destination.key(), round[0].id));
        let pack_options = PackOptions {
            destination,
            issued: self.options.issue.out.clone(),
            out: out.clone(),
            students: round.iter().map(|r| r.student.clone()).collect(),
            profile: Some(profile.to_string()),
            recipient: Some(round[0].recipient.clone()),
            unsigned: false,
            by: self.options.by.clone(),
            requests: round.iter().map(|r| (r.student.clone(), r.requested())).collect(),
        };
        let not_packed = match delivery::pack(self.open.dir(), self.school, &signer, &pack_options, &[]) {
            Ok(pack) => pack.not_packed,
            Err(PackError::Nothing(not_packed)) => not_packed,
            Err(PackError::Io(error)) => return Err(SendError::Io(error)),
            Err(error) => return Err(SendError::Refused(error.to_string())),
        };
        for request in round {
            match not_packed.iter().find(|n| n.student == request.student) {
                Some(not) => self.hold(request, &not.why)?,
                None => self.done.push((request.clone(), Some(out.clone()))),
            }
        }
        Ok(())
    }

    /// Holds a request the send could not send, with why (its first line).
    fn hold(&mut self, request: &Request, why: &str) -> Result<(), SendError> {
        let why = why.lines().next().unwrap_or_default().to_string();
        self.queue.settle(&[(request, Settle::Held(HoldReason::Record, why.clone()))], &self.options.by)?;
        self.report.held.push((request.id.clone(), why));
        Ok(())
    }
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
