//! `mastery requests ...`: the registrar's queue from the command line, each subcommand a
//! short shell over `mastery::requests`, with `--json` for scripts.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use mastery::batch::{BuildOptions, Format};
use mastery::issue;
use mastery::requests::pesc::Known;
use mastery::requests::queue::{Action, Filter};
use mastery::requests::send::{self, SendOptions};
use mastery::requests::{
    Basis, Delivery, HoldReason, NewConsent, NewRequest, Party, PartyKind, Queue, QueueError, Request, Signer, State,
    csv, pesc,
};
use mastery::validate::{Schemas, ValidateOptions};
use mastery::{intake, load};

use super::args::{ConsentArgs, RequestCommon, RequestsCommand};
use super::{DATA_ERROR, date_argument};

pub fn run(command: &RequestsCommand) -> Result<ExitCode> {
    match command {
        RequestsCommand::Add(args) => {
            let args = args.as_ref();
            let new = NewRequest {
                student: args.student.clone(),
                party: Party {
                    kind: word(PartyKind::parse, &args.party, "--party", PartyKind::choices)?,
                    name: args.party_name.clone(),
                    email: args.party_email.clone(),
                },
                recipient: args.recipient.clone(),
                delivery: word(Delivery::parse, &args.via, "--via", Delivery::choices)?,
                address: args.address.clone(),
                profile: args.profile.clone(),
                due: args.due.as_deref().map(|d| date_argument("--due", d)).transpose()?,
                basis: word(Basis::parse, &args.basis, "--basis", Basis::choices)?,
                purpose: args.purpose.clone(),
                consent: consent(&args.consent)?,
                source: "counter".to_string(),
                reference: None,
                pesc: None,
            };
            let known = known_students(&args.school)?;
            if !known.contains(&new.student) {
                eprintln!(
                    "{} is not a student of the school: its records and its ledger name no such id\n  hint: check the id (`mastery validate` lists the records)",
                    new.student
                );
                return Ok(ExitCode::from(DATA_ERROR));
            }
            let mut queue = Queue::open(&args.school)?;
            taken(queue.receive(vec![new], &by(&args.common)), args.common.json)
        }
        RequestsCommand::Import(args) => import(&args.school, &args.file, &args.common),
        RequestsCommand::List(args) => {
            let mut filter = Filter {
                student: args.student.clone(),
                recipient: args.recipient.clone(),
                due_by: args.due_by.as_deref().map(|d| date_argument("--due-by", d)).transpose()?,
                limit: args.limit,
                ..Filter::default()
            };
            for state in &args.state {
                match state.as_str() {
                    "open" => filter.states.extend(State::OPEN),
                    other => filter.states.push(word(State::parse, other, "--state", State::choices)?),
                }
            }
            if filter.states.is_empty() && !args.all {
                filter.states.extend(State::OPEN);
            }
            let Some(mut queue) = Queue::open_existing(&args.school)? else {
                if args.json {
                    println!("[]");
                } else {
                    println!("no requests yet: `mastery requests add` or `mastery requests import` takes them");
                }
                return Ok(ExitCode::SUCCESS);
            };
            let requests = queue.list(&filter)?;
            let total = queue.count(&filter)?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&requests)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("{:<9}  {:<9}  {:<10}  {:<12}  {:<11}  RECIPIENT", "ID", "STATE", "DUE", "STUDENT", "VIA");
            for r in &requests {
                println!("{}", row(r));
            }
            let counts = queue.counts()?;
            let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {}", s.words())).collect();
            println!("{} of {total} shown; the queue holds {}", requests.len(), summary.join(", "));
            Ok(ExitCode::SUCCESS)
        }
        RequestsCommand::Show(args) => {
            let mut queue = Queue::open(&args.school)?;
            let request = match queue.get(&args.id) {
                Ok(request) => request,
                Err(error) => return refused(error),
            };
            let history = queue.history(&request.id)?;
            if args.json {
                let value = serde_json::json!({ "request": request, "history": history });
                println!("{}", serde_json::to_string_pretty(&value)?);
                return Ok(ExitCode::SUCCESS);
            }
            show(&request, &history);
            Ok(ExitCode::SUCCESS)
        }
        RequestsCommand::Approve(args) => steps(&args.school, &args.ids, &args.common, &Action::Approve),
        RequestsCommand::Release(args) => steps(&args.school, &args.ids, &args.common, &Action::Release),
        RequestsCommand::Hold(args) => {
            let reason = word(HoldReason::parse, &args.reason, "--reason", HoldReason::choices)?;
            let action = Action::Hold { reason, note: args.note.clone() };
            steps(&args.school, &args.ids, &args.common, &action)
        }
        RequestsCommand::Deliver(args) => {
            steps(&args.school, &args.ids, &args.common, &Action::Deliver { note: args.note.clone() })
        }
        RequestsCommand::Cancel(args) => {
            steps(&args.school, &args.ids, &args.common, &Action::Cancel { note: args.note.clone() })
        }
        RequestsCommand::Reject(args) => {
            steps(&args.school, &args.ids, &args.common, &Action::Reject { note: args.reason.clone() })
        }
        RequestsCommand::Consent(args) => {
            let Some(consent) = consent(&args.consent)? else {
                bail!(
                    "give the consent: --consent-signed-by, --consent-signed-on and --consent-text or --consent-form"
                );
            };
            let mut queue = Queue::open(&args.school)?;
            one(queue.record_consent(&args.id, consent, &by(&args.common)), args.common.json)
        }
        RequestsCommand::Match(args) => {
            if !known_students(&args.school)?.contains(&args.student) {
                eprintln!("{} is not a student of the school", args.student);
                return Ok(ExitCode::from(DATA_ERROR));
            }
            let mut queue = Queue::open(&args.school)?;
            one(queue.match_student(&args.id, &args.student, &by(&args.common)), args.common.json)
        }
        RequestsCommand::Send(args) => {
            let mut build =
                BuildOptions::new(args.school.clone(), args.issued.clone(), Format::Issue, super::build::worker()?);
            build.key = Some(args.key.clone());
            build.pdf_key = args.pdf_key.clone();
            build.tsa = args.tsa.clone();
            if let Some(jobs) = args.jobs {
                build.jobs = jobs.max(1);
            }
            let options = SendOptions {
                issue: build,
                packs: args.packs.clone(),
                ids: if args.approved { Vec::new() } else { args.ids.clone() },
                by: by(&args.common),
            };
            let report = match send::send(&options) {
                Ok(report) => report,
                Err(send::SendError::Io(error)) => return Err(error.into()),
                Err(error) => {
                    eprintln!("{error}");
                    return Ok(ExitCode::from(DATA_ERROR));
                }
            };
            if args.common.json {
                let value = serde_json::json!({
                    "sent": report.sent.iter().map(|s| serde_json::json!({
                        "request": s.request, "student": s.student, "recipient": s.recipient,
                        "ledger_entry": s.entry, "what": s.what,
                    })).collect::<Vec<_>>(),
                    "held": report.held.iter().map(|(id, why)| serde_json::json!({"request": id, "why": why})).collect::<Vec<_>>(),
                    "not_sent": report.passed.iter().map(|(id, why)| serde_json::json!({"request": id, "why": why})).collect::<Vec<_>>(),
                    "settled": report.settled.iter().map(|(id, what)| serde_json::json!({"request": id, "what": what})).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                for (id, what) in &report.settled {
                    println!("{id}: left by an interrupted send: {what}");
                }
                for s in &report.sent {
                    println!(
                        "{}: sent to {} ({}): {}; ledger entry {}",
                        s.request, s.recipient, s.student, s.what, s.entry
                    );
                }
                for (id, why) in &report.held {
                    eprintln!("{id}: on hold: {why}");
                }
                for (id, why) in &report.passed {
                    eprintln!("{id}: not sent: {}", why.replace('\n', "\n  "));
                }
                println!("{} sent, {} held, {} not sent", report.sent.len(), report.held.len(), report.passed.len());
            }
            let clean = report.held.is_empty() && report.passed.is_empty();
            Ok(if clean { ExitCode::SUCCESS } else { ExitCode::from(DATA_ERROR) })
        }
    }
}

/// The word of an enum a flag names, or a usage error with the choices.
fn word<T>(parse: fn(&str) -> Option<T>, text: &str, flag: &str, choices: fn() -> String) -> Result<T> {
    parse(&text.trim().to_lowercase()).with_context(|| format!("{flag} {text:?} is not one of {}", choices()))
}

fn by(common: &RequestCommon) -> String {
    common.by.clone().unwrap_or_else(issue::default_actor)
}

/// The consent the flags give, if any.
fn consent(args: &ConsentArgs) -> Result<Option<NewConsent>> {
    let Some(signed_by) = &args.consent_signed_by else {
        if args.consent_text.is_some() || args.consent_form.is_some() || args.consent_signed_on.is_some() {
            bail!("a consent names who signed it: --consent-signed-by NAME");
        }
        return Ok(None);
    };
    let signed_on = args.consent_signed_on.as_deref().context("a consent is dated: --consent-signed-on DATE")?;
    let signed_on = date_argument("--consent-signed-on", signed_on)?;
    let signer = word(Signer::parse, &args.consent_signer, "--consent-signer", Signer::choices)?;
    let file = match &args.consent_form {
        Some(path) => {
            let bytes = load::file(path)?;
            let name = path.file_name().map_or_else(|| "form".to_string(), |n| n.to_string_lossy().into_owned());
            Some((name, bytes))
        }
        None => None,
    };
    let text = match (&args.consent_text, &file) {
        (Some(path), _) => String::from_utf8(load::file(path)?).context("the consent's words are not UTF-8 text")?,
        (None, Some((name, _))) => format!("The signed consent form {name}, kept with this request."),
        (None, None) => bail!(
            "a consent keeps what was signed: --consent-text FILE (the words) or --consent-form FILE (the signed form)"
        ),
    };
    Ok(Some(NewConsent {
        signed_by: signed_by.clone(),
        signer,
        signed_on,
        records: args.consent_records.clone(),
        purpose: None,
        text,
        file,
    }))
}

/// The ids of the school's students: its records' and its ledger's (an alumna's record may
/// be in the ledger only).
fn known_students(school: &Path) -> Result<BTreeSet<String>> {
    let open = intake::open(school, &Schemas::new())?;
    let mut known: BTreeSet<String> = intake::student_ids(&open)?.into_iter().collect();
    if let Some(settings) = &open.school
        && let Ok(entries) = issue::read_ledger(school, settings)
    {
        known.extend(entries.into_iter().map(|e| e.student));
    }
    Ok(known)
}

/// The school's students as a PESC request is matched against them.
fn roster(school: &Path) -> Result<Vec<Known>> {
    let folder = intake::check_folder(school, &ValidateOptions::default())?;
    Ok(folder
        .students
        .iter()
        .map(|record| {
            let student = &record.student;
            Known {
                id: student.id.clone(),
                legal: student.name.legal.clone(),
                given: student.name.given.clone(),
                family: student.name.family.clone(),
                birth: Some(student.birth_date),
            }
        })
        .collect())
}

fn import(school: &Path, file: &Path, common: &RequestCommon) -> Result<ExitCode> {
    let bytes = load::file(file)?;
    let is_xml = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml"))
        || bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
    let read = if is_xml {
        pesc::requests(file, &bytes, &roster(school)?)
    } else {
        let known = known_students(school)?;
        csv::read(file, &bytes, &|id| known.contains(id))
    };
    let requests = match read {
        Ok(requests) => requests,
        Err(diagnostics) => {
            for d in &diagnostics {
                eprintln!("{}", located(d));
            }
            eprintln!(
                "nothing imported: {} in {}",
                mastery::hint::plural(diagnostics.len(), "problem"),
                file.display()
            );
            return Ok(ExitCode::from(DATA_ERROR));
        }
    };
    let mut queue = Queue::open(school)?;
    taken(queue.receive(requests, &by(common)), common.json)
}

/// A diagnostic on one line: file:line (column): message, and its hint.
fn located(d: &mastery::diag::Diagnostic) -> String {
    let mut text = d.file.display().to_string();
    if let Some(p) = &d.position {
        text.push_str(&format!(":{}", p.line));
    }
    if let Some(column) = &d.column_name {
        text.push_str(&format!(" (column {column})"));
    }
    text.push_str(&format!(": {}", d.message));
    if let Some(hint) = &d.hint {
        text.push_str(&format!("\n  hint: {hint}"));
    }
    text
}

/// The requests taken, printed; exit 1 when refused.
fn taken(result: Result<Vec<Request>, QueueError>, json: bool) -> Result<ExitCode> {
    let requests = match result {
        Ok(requests) => requests,
        Err(error) => return refused(error),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&requests)?);
    } else {
        for r in &requests {
            println!("{}", row(r));
        }
        println!("{} taken", mastery::hint::plural(requests.len(), "request"));
    }
    Ok(ExitCode::SUCCESS)
}

fn one(result: Result<Request, QueueError>, json: bool) -> Result<ExitCode> {
    match result {
        Ok(request) if json => println!("{}", serde_json::to_string_pretty(&request)?),
        Ok(request) => println!("{}", row(&request)),
        Err(error) => return refused(error),
    }
    Ok(ExitCode::SUCCESS)
}

fn refused(error: QueueError) -> Result<ExitCode> {
    match error {
        QueueError::Store(error) => Err(error.into()),
        error => {
            eprintln!("{error}");
            Ok(ExitCode::from(DATA_ERROR))
        }
    }
}

/// The same step on each request; each refusal printed, exit 1 if any.
fn steps(school: &Path, ids: &[String], common: &RequestCommon, action: &Action) -> Result<ExitCode> {
    let mut queue = Queue::open(school)?;
    let who = by(common);
    let (mut done, mut failed) = (Vec::new(), 0);
    for id in ids {
        match queue.apply(id, action, &who) {
            Ok(request) => done.push(request),
            Err(QueueError::Store(error)) => return Err(error.into()),
            Err(error) => {
                eprintln!("{error}");
                failed += 1;
            }
        }
    }
    if common.json {
        println!("{}", serde_json::to_string_pretty(&done)?);
    } else {
        for r in &done {
            println!("{}", row(r));
        }
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(DATA_ERROR) })
}

/// A request on one line of the queue.
fn row(r: &Request) -> String {
    let due = r.due.map(|d| d.to_string()).unwrap_or_else(|| "-".to_string());
    let student = if r.student.is_empty() { "(unmatched)" } else { &r.student };
    let mut line = format!(
        "{:<9}  {:<9}  {:<10}  {:<12}  {:<11}  {}",
        r.id,
        r.state.as_str(),
        due,
        student,
        r.delivery.as_str(),
        r.recipient
    );
    if let Some(hold) = &r.hold {
        line.push_str(&format!(
            "  [held: {}{}]",
            hold.reason.words(),
            hold.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
        ));
    }
    line
}

fn show(r: &Request, history: &[mastery::requests::Event]) {
    println!("{}  {}", r.id, r.state.words());
    println!("  student:    {}", if r.student.is_empty() { "(no record matched yet)" } else { &r.student });
    println!(
        "  asked by:   {}{}",
        r.party_words(),
        r.party.email.as_deref().map(|e| format!(" <{e}>")).unwrap_or_default()
    );
    println!(
        "  recipient:  {} via {}{}",
        r.recipient,
        r.delivery.as_str(),
        r.address.as_deref().map(|a| format!(" ({a})")).unwrap_or_default()
    );
    println!("  profile:    {}", r.profile);
    if let Some(due) = r.due {
        println!("  due:        {due}");
    }
    println!("  purpose:    {}", r.purpose);
    println!("  basis:      {} ({})", r.basis.as_str(), r.basis.citation());
    match &r.consent {
        Some(c) => println!(
            "  consent:    signed by {} ({}) on {}, {}, sha256 {}; recorded by {} at {}",
            c.signed_by,
            c.signer.as_str(),
            c.signed_on,
            c.form.as_str(),
            c.sha256,
            c.recorded_by,
            c.recorded_at
        ),
        None if r.basis == Basis::Consent => println!("  consent:    none recorded yet"),
        None => {}
    }
    if let Some(hold) = &r.hold {
        println!(
            "  on hold:    {}{} (by {} at {})",
            hold.reason.words(),
            hold.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default(),
            hold.by,
            hold.at
        );
    }
    if let Some(entry) = r.ledger_entry {
        println!("  sent:       {} (ledger entry {entry})", r.sent_at.as_deref().unwrap_or_default());
    }
    println!("  source:     {}{}", r.source, r.reference.as_deref().map(|x| format!(" ({x})")).unwrap_or_default());
    println!("  history:");
    for e in history {
        let from = e.from.map(|s| format!("{} -> ", s.as_str())).unwrap_or_default();
        let note = e.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
        println!("    {}  {:<11} {from}{}  by {}{note}", e.at, e.step, e.to.as_str(), e.by);
    }
}

/// For `mastery log --student`: the student's requests, what was asked beside what was done.
pub fn print_asked(school: &Path, student: &str) -> Result<()> {
    let Some(mut queue) = Queue::open_existing(school)? else { return Ok(()) };
    let filter = Filter { student: Some(student.to_string()), ..Filter::default() };
    let requests = queue.list(&filter)?;
    if requests.is_empty() {
        return Ok(());
    }
    println!("requests for {student}:");
    for r in &requests {
        let sent = r.ledger_entry.map(|e| format!(", sent (ledger entry {e})")).unwrap_or_default();
        println!(
            "  {}  {} from {}, to {} via {}, received {}{sent}",
            r.id,
            r.state.words(),
            r.party_words(),
            r.recipient,
            r.delivery.as_str(),
            r.received_at
        );
    }
    Ok(())
}
