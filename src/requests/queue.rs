//! The queue in the office's store: requests taken, found, listed, and moved from state to
//! state. Every change is one immediate transaction (the write lock taken at its start), so
//! two people, or the console and a command, never both move the same request, and a step
//! is acknowledged only once it is on the disk. Each step writes a row of the request's
//! history, which triggers keep from being changed or removed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, Transaction, TransactionBehavior, params};

use super::rules::{self, Illegal, Step};
use super::{
    Basis, Consent, ConsentForm, Delivery, Event, Hold, HoldReason, NewConsent, NewRequest, Party, PartyKind, Request,
    Signer, State, id_of, number_of,
};
use crate::digest::sha256_hex;
use crate::issue::ledger::now;
use crate::store::{Store, StoreError};

/// The queue of a school's requests.
pub struct Queue {
    store: Store,
}

/// Why the queue did not do what was asked.
#[derive(Debug)]
pub enum QueueError {
    /// The store cannot be used.
    Store(StoreError),
    /// No request has this id.
    Unknown(String),
    /// The request's state does not allow the step.
    Illegal {
        /// The request.
        id: String,
        /// What its state allows not.
        illegal: Illegal,
    },
    /// A rule of the queue refuses it: a value missing or malformed, a consent needed.
    Refused {
        /// The request, when it has an id yet.
        id: Option<String>,
        /// What is wrong, and what to do.
        why: String,
    },
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueError::Store(error) => write!(f, "{error}"),
            QueueError::Unknown(id) => {
                write!(f, "there is no request {id}\n  hint: `mastery requests list` shows the queue")
            }
            QueueError::Illegal { id, illegal } => write!(f, "{id}: {illegal}"),
            QueueError::Refused { id: Some(id), why } => write!(f, "{id}: {why}"),
            QueueError::Refused { id: None, why } => f.write_str(why),
        }
    }
}

impl std::error::Error for QueueError {}

impl From<StoreError> for QueueError {
    fn from(error: StoreError) -> Self {
        QueueError::Store(error)
    }
}

/// What someone does to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Approve it for sending.
    Approve,
    /// Hold it, for a reason.
    Hold {
        /// Why.
        reason: HoldReason,
        /// In their words (needed for [`HoldReason::Other`]).
        note: Option<String>,
    },
    /// Release its hold.
    Release,
    /// Record it delivered: downloaded, or acknowledged by the recipient.
    Deliver {
        /// How they know.
        note: Option<String>,
    },
    /// Withdraw it, as the one who asked wishes.
    Cancel {
        /// Why.
        note: Option<String>,
    },
    /// Refuse it.
    Reject {
        /// Why (the one who asked is told).
        note: String,
    },
}

impl Action {
    fn step(&self) -> Step {
        match self {
            Action::Approve => Step::Approve,
            Action::Hold { .. } => Step::Hold,
            Action::Release => Step::Release,
            Action::Deliver { .. } => Step::Deliver,
            Action::Cancel { .. } => Step::Cancel,
            Action::Reject { .. } => Step::Reject,
        }
    }
}

/// Which requests to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// In these states (any when empty).
    pub states: Vec<State>,
    /// Of this student.
    pub student: Option<String>,
    /// Whose recipient holds these words (any case).
    pub recipient: Option<String>,
    /// Due on or before this day.
    pub due_by: Option<NaiveDate>,
    /// At most this many (all when 0).
    pub limit: u32,
    /// After skipping this many.
    pub offset: u64,
}

/// A request a send was asked for and did not take: its id, and why.
pub type Passed = (String, String);

/// How a send leaves a request it took ([`Queue::settle`]; [`super::send::send`] is the way
/// to send, these are its bookkeeping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    /// The ledger recorded it: this entry.
    Sent {
        /// The entry's number.
        entry: u64,
        /// What was sent, for the history.
        note: String,
    },
    /// Nothing was recorded: back to approved.
    Undone(String),
    /// Nothing was recorded, and it cannot be until someone acts: on hold.
    Held(HoldReason, String),
}

const COLUMNS: &str = "r.number, r.student, r.party_kind, r.party_name, r.party_email, r.recipient, r.delivery, \
     r.address, r.profile, r.due, r.basis, r.purpose, r.state, r.held_from, r.hold_reason, r.hold_note, r.hold_by, \
     r.hold_at, r.received_at, r.received_by, r.source, r.reference, r.sent_at, r.sent_entry, r.updated_at, \
     c.signed_by, c.signer, c.signed_on, c.records, c.purpose, c.recipient, c.form, c.text, c.file_name, c.sha256, \
     c.recorded_at, c.recorded_by";

const FROM: &str = "requests r LEFT JOIN consents c ON c.request = r.number";

/// A word of the store read back as its enum, or the row refused.
fn word<T>(row: &Row, column: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = row.get(column)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            format!("{text:?} is not a word mastery writes here").into(),
        )
    })
}

fn date(row: &Row, column: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let text: Option<String> = row.get(column)?;
    text.map(|t| {
        t.parse()
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e)))
    })
    .transpose()
}

fn request_of(row: &Row) -> rusqlite::Result<Request> {
    let number: i64 = row.get(0)?;
    let delivery = word(row, 6, Delivery::parse)?;
    let profile: Option<String> = row.get(8)?;
    let hold = match row.get::<_, Option<String>>(14)? {
        Some(_) => Some(Hold {
            reason: word(row, 14, HoldReason::parse)?,
            note: row.get(15)?,
            by: row.get(16)?,
            at: row.get(17)?,
        }),
        None => None,
    };
    let consent = match row.get::<_, Option<String>>(25)? {
        Some(signed_by) => Some(Consent {
            signed_by,
            signer: word(row, 26, Signer::parse)?,
            signed_on: date(row, 27)?.unwrap_or_default(),
            records: row.get(28)?,
            purpose: row.get(29)?,
            recipient: row.get(30)?,
            form: word(row, 31, ConsentForm::parse)?,
            text: row.get(32)?,
            file_name: row.get(33)?,
            sha256: row.get(34)?,
            recorded_at: row.get(35)?,
            recorded_by: row.get(36)?,
        }),
        None => None,
    };
    let held_from: Option<String> = row.get(13)?;
    Ok(Request {
        id: id_of(number),
        number,
        student: row.get(1)?,
        party: Party { kind: word(row, 2, PartyKind::parse)?, name: row.get(3)?, email: row.get(4)? },
        recipient: row.get(5)?,
        delivery,
        address: row.get(7)?,
        profile: profile.unwrap_or_else(|| delivery.default_profile().to_string()),
        due: date(row, 9)?,
        basis: word(row, 10, Basis::parse)?,
        purpose: row.get(11)?,
        state: word(row, 12, State::parse)?,
        hold,
        held_from: held_from.as_deref().and_then(State::parse),
        consent,
        received_at: row.get(18)?,
        received_by: row.get(19)?,
        source: row.get(20)?,
        reference: row.get(21)?,
        sent_at: row.get(22)?,
        ledger_entry: row.get::<_, Option<i64>>(23)?.map(|n| n as u64),
        updated_at: row.get(24)?,
    })
}

/// A value the registrar wrote, checked as the ledger checks words (one line, not blank).
fn text(what: &str, value: &str) -> Result<String, QueueError> {
    crate::issue::words(what, value).map_err(|why| QueueError::Refused { id: None, why })
}

impl Queue {
    /// Opens the school's queue, making the store when there is none.
    pub fn open(school: &Path) -> Result<Queue, QueueError> {
        Ok(Queue { store: Store::open(school)? })
    }

    /// Opens the school's queue only if the school has a store.
    pub fn open_existing(school: &Path) -> Result<Option<Queue>, QueueError> {
        Ok(Store::open_existing(school)?.map(|store| Queue { store }))
    }

    fn sqlite(&self, error: rusqlite::Error) -> QueueError {
        match error {
            rusqlite::Error::SqliteFailure(_, Some(message)) if message.contains("cannot change") => {
                QueueError::Refused { id: None, why: message }
            }
            error => QueueError::Store(self.store.error(error)),
        }
    }

    fn begin(&mut self) -> Result<Transaction<'_>, QueueError> {
        let path = self.store.path().to_path_buf();
        self.store
            .connection()
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| QueueError::Store(StoreError::Sqlite { path, error }))
    }

    /// Takes requests into the queue, all or none, each `received` (or on hold for its
    /// consent, when its basis needs one it does not bring), by `by`.
    pub fn receive(&mut self, requests: Vec<NewRequest>, by: &str) -> Result<Vec<Request>, QueueError> {
        let by = text("who takes the request (--by)", by)?;
        let mut numbers = Vec::with_capacity(requests.len());
        let tx = self.begin()?;
        for new in &requests {
            let number = insert(&tx, new, &by)?;
            numbers.push(number);
        }
        tx.commit().map_err(|e| self.sqlite(e))?;
        numbers.into_iter().map(|n| self.by_number(n)).collect()
    }

    /// The request of an id.
    pub fn get(&mut self, id: &str) -> Result<Request, QueueError> {
        let number = number_of(id).ok_or_else(|| QueueError::Unknown(id.to_string()))?;
        self.by_number(number)
    }

    fn by_number(&mut self, number: i64) -> Result<Request, QueueError> {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE r.number = ?1");
        let found = self.store.connection().query_row(&sql, [number], request_of).optional();
        found.map_err(|e| self.sqlite(e))?.ok_or_else(|| QueueError::Unknown(id_of(number)))
    }

    /// The requests a filter picks, the soonest due first (those without a due day last),
    /// then in the order they came.
    pub fn list(&mut self, filter: &Filter) -> Result<Vec<Request>, QueueError> {
        let (condition, values) = condition(filter);
        let mut sql =
            format!("SELECT {COLUMNS} FROM {FROM}{condition} ORDER BY coalesce(r.due, '9999-12-31'), r.number");
        if filter.limit > 0 {
            sql.push_str(&format!(" LIMIT {} OFFSET {}", filter.limit, filter.offset));
        }
        let connection = self.store.connection();
        let result = connection
            .prepare_cached(&sql)
            .and_then(|mut statement| statement.query_map(rusqlite::params_from_iter(values), request_of)?.collect());
        result.map_err(|e| self.sqlite(e))
    }

    /// How many requests a filter picks (its limit aside).
    pub fn count(&mut self, filter: &Filter) -> Result<u64, QueueError> {
        let (condition, values) = condition(filter);
        let sql = format!("SELECT count(*) FROM requests r{condition}");
        let connection = self.store.connection();
        let result = connection
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row(rusqlite::params_from_iter(values), |r| r.get(0)));
        result.map(|n: i64| n as u64).map_err(|e| self.sqlite(e))
    }

    /// How many requests are in each state.
    pub fn counts(&mut self) -> Result<BTreeMap<State, u64>, QueueError> {
        let connection = self.store.connection();
        let result: rusqlite::Result<Vec<(String, i64)>> = connection
            .prepare_cached("SELECT state, count(*) FROM requests GROUP BY state")
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect());
        let rows = result.map_err(|e| self.sqlite(e))?;
        Ok(rows.into_iter().filter_map(|(state, n)| Some((State::parse(&state)?, n as u64))).collect())
    }

    /// A request's history, oldest first.
    pub fn history(&mut self, id: &str) -> Result<Vec<Event>, QueueError> {
        let request = self.get(id)?;
        let connection = self.store.connection();
        let result: rusqlite::Result<Vec<Event>> = connection
            .prepare_cached(
                "SELECT at, by, step, from_state, to_state, note FROM events WHERE request = ?1 ORDER BY seq",
            )
            .and_then(|mut s| {
                s.query_map([request.number], |row| {
                    let from: Option<String> = row.get(3)?;
                    Ok(Event {
                        at: row.get(0)?,
                        by: row.get(1)?,
                        step: row.get(2)?,
                        from: from.as_deref().and_then(State::parse),
                        to: word(row, 4, State::parse)?,
                        note: row.get(5)?,
                    })
                })?
                .collect()
            });
        result.map_err(|e| self.sqlite(e))
    }

    /// The signed form kept with a request's consent: its file name and bytes.
    pub fn consent_form(&mut self, id: &str) -> Result<Option<(String, Vec<u8>)>, QueueError> {
        let request = self.get(id)?;
        let connection = self.store.connection();
        let result = connection
            .query_row("SELECT file_name, file FROM consents WHERE request = ?1", [request.number], |row| {
                Ok(row.get::<_, Option<String>>(0)?.zip(row.get::<_, Option<Vec<u8>>>(1)?))
            })
            .optional();
        result.map(Option::flatten).map_err(|e| self.sqlite(e))
    }

    /// The TranscriptRequest a request came as, kept to answer it.
    pub fn pesc_request(&mut self, id: &str) -> Result<Option<Vec<u8>>, QueueError> {
        let request = self.get(id)?;
        let connection = self.store.connection();
        let result =
            connection.query_row("SELECT pesc FROM requests WHERE number = ?1", [request.number], |r| r.get(0));
        result.map_err(|e| self.sqlite(e))
    }

    /// Takes a step on a request, by `by`.
    pub fn apply(&mut self, id: &str, action: &Action, by: &str) -> Result<Request, QueueError> {
        let by = text("who acts (--by)", by)?;
        let number = number_of(id).ok_or_else(|| QueueError::Unknown(id.to_string()))?;
        let tx = self.begin()?;
        let request = current(&tx, number)?;
        let refused = |why: String| QueueError::Refused { id: Some(request.id.clone()), why };
        let note = match action {
            Action::Approve if request.lacks_consent() => {
                return Err(refused(format!(
                    "its disclosure rests on the written consent of {} and none is recorded\n  hint: record it with `mastery requests consent {}`",
                    Basis::Consent.citation(),
                    request.id
                )));
            }
            Action::Hold { reason: HoldReason::Other, note: None } => {
                return Err(refused("a hold for another reason needs the reason in its note (--note)".to_string()));
            }
            Action::Hold { note, .. } | Action::Deliver { note } | Action::Cancel { note } => {
                note.as_deref().map(|n| text("the note", n)).transpose()?
            }
            Action::Reject { note } => Some(text("the reason to reject it", note)?),
            Action::Release if request.student.is_empty() => {
                return Err(refused(format!(
                    "no record of the school is matched to it yet\n  hint: match it with `mastery requests match {} --student ID`",
                    request.id
                )));
            }
            Action::Approve | Action::Release => None,
        };
        step(&tx, &request, action.step(), &by, note.as_deref())?;
        if let Action::Hold { reason, .. } = action {
            hold(&tx, &request, *reason, note.as_deref(), &by)?;
        }
        tx.commit().map_err(|e| self.sqlite(e))?;
        self.by_number(number)
    }

    /// Records the consent a request rests on (34 CFR 99.30), by `by`. A request held only
    /// for its consent is released in the same step.
    pub fn record_consent(&mut self, id: &str, consent: NewConsent, by: &str) -> Result<Request, QueueError> {
        let by = text("who records the consent (--by)", by)?;
        let number = number_of(id).ok_or_else(|| QueueError::Unknown(id.to_string()))?;
        let tx = self.begin()?;
        let request = current(&tx, number)?;
        if request.consent.is_some() {
            return Err(QueueError::Refused {
                id: Some(request.id),
                why: "a consent is already recorded for it, and a consent is kept as it was signed\n  hint: for another consent, take a new request".to_string(),
            });
        }
        if request.state.is_closed() || matches!(request.state, State::Sent | State::Sending) {
            return Err(QueueError::Refused {
                id: Some(request.id),
                why: format!("it is {}: a consent must be given before the disclosure", request.state.words()),
            });
        }
        insert_consent(&tx, number, &request.purpose, &request.recipient, consent, &by)?;
        event(&tx, number, &by, "consent", Some(request.state), request.state, None)?;
        if request.state == State::OnHold && request.hold.as_ref().is_some_and(|h| h.reason == HoldReason::Consent) {
            step(&tx, &request, Step::Release, &by, Some("the consent is recorded"))?;
        }
        tx.commit().map_err(|e| self.sqlite(e))?;
        self.by_number(number)
    }

    /// Sets the student of a request no record matched when it came, by `by`: the hold for
    /// the match is released (and the request held for its consent, if it needs one).
    pub fn match_student(&mut self, id: &str, student: &str, by: &str) -> Result<Request, QueueError> {
        let by = text("who matches the request (--by)", by)?;
        let student = text("the student's id", student)?;
        let number = number_of(id).ok_or_else(|| QueueError::Unknown(id.to_string()))?;
        let tx = self.begin()?;
        let request = current(&tx, number)?;
        if !request.student.is_empty() {
            return Err(QueueError::Refused {
                id: Some(request.id),
                why: format!("it is the request of {} already: a new request instead", request.student),
            });
        }
        tx.execute(
            "UPDATE requests SET student = ?2, updated_at = ?3 WHERE number = ?1",
            params![number, student, now()],
        )
        .map_err(|e| QueueError::Refused { id: Some(request.id.clone()), why: e.to_string() })?;
        event(&tx, number, &by, "match", Some(request.state), request.state, Some(&student))?;
        if request.state == State::OnHold && request.hold.as_ref().is_some_and(|h| h.reason == HoldReason::Match) {
            step(&tx, &request, Step::Release, &by, Some("matched"))?;
            if request.lacks_consent() {
                hold_for_consent(&tx, number, &by)?;
            }
        }
        tx.commit().map_err(|e| self.sqlite(e))?;
        self.by_number(number)
    }

    /// Takes the approved requests of `ids` for a send, in one transaction: each becomes
    /// `sending`. The others are returned with why they are not sent.
    pub fn claim(&mut self, ids: &[String], by: &str) -> Result<(Vec<Request>, Vec<Passed>), QueueError> {
        let tx = self.begin()?;
        let (mut claimed, mut passed) = (Vec::new(), Vec::new());
        for id in ids {
            let Some(number) = number_of(id) else {
                passed.push((id.clone(), format!("there is no request {id}")));
                continue;
            };
            let request = match current(&tx, number) {
                Ok(request) => request,
                Err(error) => {
                    passed.push((id.clone(), error.to_string()));
                    continue;
                }
            };
            if request.lacks_consent() {
                passed.push((request.id.clone(), "no consent is recorded for it".to_string()));
                continue;
            }
            match step(&tx, &request, Step::Claim, by, None) {
                Ok(_) => claimed.push(Request { state: State::Sending, ..request }),
                Err(QueueError::Illegal { illegal, .. }) => passed.push((request.id.clone(), illegal.to_string())),
                Err(error) => return Err(error),
            }
        }
        tx.commit().map_err(|e| self.sqlite(e))?;
        Ok((claimed, passed))
    }

    /// The ids of the approved requests, the soonest due first.
    pub(crate) fn approved(&mut self) -> Result<Vec<String>, QueueError> {
        let filter = Filter { states: vec![State::Approved], ..Filter::default() };
        Ok(self.list(&filter)?.into_iter().map(|r| r.id).collect())
    }

    /// The requests a send took and did not settle (it was killed).
    pub(crate) fn unsettled(&mut self) -> Result<Vec<Request>, QueueError> {
        self.list(&Filter { states: vec![State::Sending], ..Filter::default() })
    }

    /// Ends a send's hold on requests, all in one transaction.
    pub fn settle(&mut self, settles: &[(&Request, Settle)], by: &str) -> Result<(), QueueError> {
        let tx = self.begin()?;
        for (request, settle) in settles {
            let current = current(&tx, request.number)?;
            match settle {
                Settle::Sent { entry, note } => {
                    step(&tx, &current, Step::Complete, by, Some(note))?;
                    tx.execute(
                        "UPDATE requests SET sent_at = ?2, sent_entry = ?3 WHERE number = ?1",
                        params![current.number, now(), *entry as i64],
                    )
                    .map_err(|e| QueueError::Refused { id: Some(current.id.clone()), why: e.to_string() })?;
                }
                Settle::Undone(why) => {
                    step(&tx, &current, Step::Abandon, by, Some(why))?;
                }
                Settle::Held(reason, why) => {
                    step(&tx, &current, Step::Abandon, by, Some(why))?;
                    let approved = Request { state: State::Approved, ..current };
                    step(&tx, &approved, Step::Hold, by, Some(why))?;
                    hold(&tx, &approved, *reason, Some(why), by)?;
                }
            }
        }
        tx.commit().map_err(|e| self.sqlite(e))
    }
}

/// The WHERE clause of a filter, and its values.
fn condition(filter: &Filter) -> (String, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    if !filter.states.is_empty() {
        let marks = vec!["?"; filter.states.len()].join(", ");
        clauses.push(format!("r.state IN ({marks})"));
        values.extend(filter.states.iter().map(|s| Value::Text(s.as_str().to_string())));
    }
    if let Some(student) = &filter.student {
        clauses.push("r.student = ?".to_string());
        values.push(Value::Text(student.clone()));
    }
    if let Some(recipient) = &filter.recipient {
        clauses.push("r.recipient LIKE ? ESCAPE '\\'".to_string());
        let escaped = recipient.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        values.push(Value::Text(format!("%{escaped}%")));
    }
    if let Some(due) = filter.due_by {
        // As the indexes have it: a request without a due day is never due.
        clauses.push("coalesce(r.due, '9999-12-31') <= ?".to_string());
        values.push(Value::Text(due.to_string()));
    }
    let condition = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
    (condition, values)
}

/// The request as the transaction sees it.
fn current(tx: &Transaction, number: i64) -> Result<Request, QueueError> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE r.number = ?1");
    tx.query_row(&sql, [number], request_of)
        .optional()
        .map_err(|e| QueueError::Refused { id: Some(id_of(number)), why: e.to_string() })?
        .ok_or_else(|| QueueError::Unknown(id_of(number)))
}

/// Moves a request one step, writing the step to its history.
fn step(tx: &Transaction, request: &Request, step: Step, by: &str, note: Option<&str>) -> Result<State, QueueError> {
    let next = rules::after(request.state, step, request.held_from)
        .map_err(|illegal| QueueError::Illegal { id: request.id.clone(), illegal })?;
    let failed = |e: rusqlite::Error| QueueError::Refused { id: Some(request.id.clone()), why: e.to_string() };
    let at = now();
    if step == Step::Release {
        tx.execute(
            "UPDATE requests SET state = ?2, held_from = NULL, hold_reason = NULL, hold_note = NULL, hold_by = NULL, \
             hold_at = NULL, updated_at = ?3 WHERE number = ?1",
            params![request.number, next.as_str(), at],
        )
        .map_err(failed)?;
    } else {
        tx.execute(
            "UPDATE requests SET state = ?2, updated_at = ?3 WHERE number = ?1",
            params![request.number, next.as_str(), at],
        )
        .map_err(failed)?;
    }
    event(tx, request.number, by, step.as_str(), Some(request.state), next, note)?;
    Ok(next)
}

/// Records why a request (just put on hold) waits.
fn hold(
    tx: &Transaction,
    request: &Request,
    reason: HoldReason,
    note: Option<&str>,
    by: &str,
) -> Result<(), QueueError> {
    tx.execute(
        "UPDATE requests SET held_from = ?2, hold_reason = ?3, hold_note = ?4, hold_by = ?5, hold_at = ?6 WHERE number = ?1",
        params![request.number, request.state.as_str(), reason.as_str(), note, by, now()],
    )
    .map(|_| ())
    .map_err(|e| QueueError::Refused { id: Some(request.id.clone()), why: e.to_string() })
}

fn event(
    tx: &Transaction,
    number: i64,
    by: &str,
    step: &str,
    from: Option<State>,
    to: State,
    note: Option<&str>,
) -> Result<(), QueueError> {
    tx.execute(
        "INSERT INTO events (request, at, by, step, from_state, to_state, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![number, now(), by, step, from.map(State::as_str), to.as_str(), note],
    )
    .map(|_| ())
    .map_err(|e| QueueError::Refused { id: Some(id_of(number)), why: e.to_string() })
}

/// The note of a hold on a request whose student no record matched.
const UNMATCHED: &str = "no record of the school matches the student the request names";

fn hold_for_consent(tx: &Transaction, number: i64, by: &str) -> Result<(), QueueError> {
    let request = current(tx, number)?;
    step(tx, &request, Step::Hold, by, Some("the disclosure needs a written consent"))?;
    hold(tx, &request, HoldReason::Consent, None, by)
}

/// Inserts a new request, its consent and its first steps; its number.
fn insert(tx: &Transaction, new: &NewRequest, by: &str) -> Result<i64, QueueError> {
    // A request no record matched (PESC) is taken with no student, and held until matched.
    let student = if new.student.trim().is_empty() { String::new() } else { text("the student's id", &new.student)? };
    let name = text("the name of who asks", &new.party.name)?;
    let recipient = text("the recipient", &new.recipient)?;
    let purpose = text("the purpose", &new.purpose)?;
    let email = new.party.email.as_deref().map(|e| text("the e-mail address", e)).transpose()?;
    let address = new.address.as_deref().map(|a| text("the address", a)).transpose()?;
    let profile = new.profile.as_deref().map(|p| text("the profile", p)).transpose()?;
    let reference = new.reference.as_deref().map(|r| text("the request's own id", r)).transpose()?;
    if new.basis == Basis::Official && new.party.kind != PartyKind::Official {
        return Err(QueueError::Refused {
            id: None,
            why: format!(
                "the legitimate interest of a school official ({}) is the basis of a request from a school official only",
                Basis::Official.citation()
            ),
        });
    }
    if let Some(reference) = &reference {
        let taken: Option<i64> = tx
            .query_row("SELECT number FROM requests WHERE reference = ?1", [reference], |r| r.get(0))
            .optional()
            .map_err(|e| QueueError::Refused { id: None, why: e.to_string() })?;
        if let Some(number) = taken {
            return Err(QueueError::Refused {
                id: None,
                why: format!("the request {reference} is in the queue already, as {}", id_of(number)),
            });
        }
    }
    let at = now();
    tx.execute(
        "INSERT INTO requests (student, party_kind, party_name, party_email, recipient, delivery, address, profile, due, \
         basis, purpose, state, received_at, received_by, source, reference, pesc, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'received', ?12, ?13, ?14, ?15, ?16, ?12)",
        params![
            student,
            new.party.kind.as_str(),
            name,
            email,
            recipient,
            new.delivery.as_str(),
            address,
            profile,
            new.due.map(|d| d.to_string()),
            new.basis.as_str(),
            purpose,
            at,
            by,
            new.source,
            reference,
            new.pesc,
        ],
    )
    .map_err(|e| QueueError::Refused { id: None, why: e.to_string() })?;
    let number = tx.last_insert_rowid();
    event(tx, number, by, "receive", None, State::Received, Some(&new.source))?;
    if let Some(consent) = &new.consent {
        insert_consent(tx, number, &purpose, &recipient, consent.clone(), by)?;
        event(tx, number, by, "consent", Some(State::Received), State::Received, None)?;
    }
    if student.is_empty() {
        let received = current(tx, number)?;
        let why = format!("{UNMATCHED}: match it with `mastery requests match {} --student ID`", id_of(number));
        step(tx, &received, Step::Hold, by, Some(&why))?;
        hold(tx, &received, HoldReason::Match, None, by)?;
    } else if new.consent.is_none() && new.basis == Basis::Consent {
        hold_for_consent(tx, number, by)?;
    }
    Ok(number)
}

fn insert_consent(
    tx: &Transaction,
    number: i64,
    purpose: &str,
    recipient: &str,
    consent: NewConsent,
    by: &str,
) -> Result<(), QueueError> {
    let signed_by = text("who signed the consent", &consent.signed_by)?;
    let records = consent.records.as_deref().map(|r| text("the records consented to", r)).transpose()?;
    let records = records.unwrap_or_else(|| "the student's transcript".to_string());
    let purpose = match consent.purpose.as_deref() {
        Some(p) => text("the consent's purpose", p)?,
        None => purpose.to_string(),
    };
    let words = consent.text.trim();
    if words.is_empty() {
        return Err(QueueError::Refused {
            id: Some(id_of(number)),
            why: "the consent's words are blank: keep what the person signed".to_string(),
        });
    }
    let (form, sha256) = match &consent.file {
        Some((_, bytes)) => (ConsentForm::SignedForm, sha256_hex(bytes)),
        None => (ConsentForm::Electronic, sha256_hex(words.as_bytes())),
    };
    tx.execute(
        "INSERT INTO consents (request, signed_by, signer, signed_on, records, purpose, recipient, form, text, file_name, \
         file, sha256, recorded_at, recorded_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        params![
            number,
            signed_by,
            consent.signer.as_str(),
            consent.signed_on.to_string(),
            records,
            purpose,
            recipient,
            form.as_str(),
            words,
            consent.file.as_ref().map(|(name, _)| name.as_str()),
            consent.file.as_ref().map(|(_, bytes)| bytes.as_slice()),
            sha256,
            now(),
            by,
        ],
    )
    .map(|_| ())
    .map_err(|e| QueueError::Refused { id: Some(id_of(number)), why: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::{Delivery, NewRequest, Party, PartyKind};

    fn request(student: &str) -> NewRequest {
        NewRequest {
            student: student.to_string(),
            party: Party { kind: PartyKind::College, name: "Reed College".to_string(), email: None },
            recipient: "Reed College".to_string(),
            delivery: Delivery::Download,
            address: None,
            profile: None,
            due: None,
            basis: Basis::Enrollment,
            purpose: "admission".to_string(),
            consent: None,
            source: "counter".to_string(),
            reference: None,
            pesc: None,
        }
    }

    #[test]
    fn the_recipient_and_the_history_cannot_be_rewritten_even_in_sql() {
        let dir = tempfile::tempdir().unwrap();
        let mut queue = Queue::open(dir.path()).unwrap();
        queue.receive(vec![request("HV-2026-001")], "Registrar").unwrap();
        let connection = queue.store.connection();
        let changed = connection.execute("UPDATE requests SET recipient = 'Elsewhere' WHERE number = 1", []);
        let error = changed.unwrap_err().to_string();
        assert!(error.contains("the party and the recipient of a request cannot change"), "{error}");
        assert!(connection.execute("UPDATE requests SET student = 'HV-2026-002' WHERE number = 1", []).is_err());
        assert!(connection.execute("UPDATE events SET by = 'someone else'", []).is_err());
        assert!(connection.execute("DELETE FROM events", []).is_err());
        assert_eq!(queue.history("R-000001").unwrap().len(), 1);
    }

    #[test]
    fn a_blank_name_is_refused_and_nothing_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let mut queue = Queue::open(dir.path()).unwrap();
        let mut blank = request("HV-2026-002");
        blank.recipient = "  ".to_string();
        let error = queue.receive(vec![request("HV-2026-001"), blank], "Registrar").unwrap_err().to_string();
        assert!(error.contains("the recipient is blank"), "{error}");
        assert_eq!(queue.count(&Filter::default()).unwrap(), 0, "all or none");
    }
}
