//! The registrar's queue: requests for a student's transcript, from the moment one is taken
//! at the counter, read from a CSV or received as a PESC TranscriptRequest, to the moment the
//! transcript is delivered.
//!
//! A request says who asked (the student, a parent, an alumnus, a college, a school official),
//! for whom it is, where it goes and how (a pack for a portal, a download, a printed copy, a
//! PESC response), under which disclosure profile, by when, and what allows the disclosure:
//! the written consent of 34 CFR 99.30, or the exception that applies without one (99.31).
//! Its states and the steps between them are [`rules`]; [`queue::Queue`] keeps them in the
//! office's store ([`crate::store`]), every step with who took it and when; [`send`] sends
//! approved requests through `issue` and `pack`, each disclosure in the ledger with the
//! request's id, the party and its interest (99.32). The store holds what was asked and
//! decided; the ledger stays the record of what was issued and sent.
//!
//! [`csv`] and [`pesc`] read requests from files, each problem located.

pub mod csv;
pub mod pesc;
pub mod queue;
pub mod rules;
pub mod send;

use chrono::NaiveDate;
use serde::Serialize;

use crate::delivery::Destination;

pub use self::queue::{Queue, QueueError};

/// Names and parses the words of an enum the queue stores as text.
macro_rules! words {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Its word, as the store, the CSV and `--json` write it.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value of a word, if it is one.
            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == text)
            }

            /// The words allowed, for a message ("a, b or c").
            pub fn choices() -> String {
                let all: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                crate::hint::quoted(&all)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

words!(
    /// Where a request is.
    State {
        /// Taken, not yet decided.
        Received => "received",
        /// Approved for sending.
        Approved => "approved",
        /// Waiting, for a reason.
        OnHold => "on-hold",
        /// A send has it.
        Sending => "sending",
        /// Issued or disclosed, recorded in the ledger.
        Sent => "sent",
        /// Downloaded, or acknowledged by the recipient.
        Delivered => "delivered",
        /// Withdrawn by the one who asked.
        Cancelled => "cancelled",
        /// Refused by the school.
        Rejected => "rejected",
    }
);

impl State {
    /// How a sentence says it.
    pub fn words(self) -> &'static str {
        match self {
            State::OnHold => "on hold",
            State::Sending => "being sent",
            other => other.as_str(),
        }
    }

    /// Whether nothing more happens to it.
    pub fn is_closed(self) -> bool {
        matches!(self, State::Delivered | State::Cancelled | State::Rejected)
    }

    /// The states of requests still to be dealt with.
    pub const OPEN: [State; 4] = [State::Received, State::Approved, State::OnHold, State::Sending];
}

words!(
    /// Who asked for the transcript.
    PartyKind {
        /// The student.
        Student => "student",
        /// A parent of the student.
        Parent => "parent",
        /// A former student.
        Alumnus => "alumnus",
        /// A college or another school.
        College => "college",
        /// An official of the school.
        Official => "official",
    }
);

words!(
    /// What allows the school to disclose the record to the recipient.
    Basis {
        /// The signed and dated written consent of the parent or eligible student (34 CFR
        /// 99.30).
        Consent => "consent",
        /// The recipient is a school where the student seeks or intends to enroll (34 CFR
        /// 99.31(a)(2)).
        Enrollment => "enrollment",
        /// The record goes to the student or the parent themselves (34 CFR 99.31(a)(12)).
        OwnRecord => "own-record",
        /// A school official with a legitimate educational interest (34 CFR 99.31(a)(1)).
        Official => "official",
    }
);

impl Basis {
    /// The regulation it rests on.
    pub fn citation(self) -> &'static str {
        match self {
            Basis::Consent => "34 CFR 99.30",
            Basis::Enrollment => "34 CFR 99.31(a)(2)",
            Basis::OwnRecord => "34 CFR 99.31(a)(12)",
            Basis::Official => "34 CFR 99.31(a)(1)",
        }
    }
}

words!(
    /// Why a request waits.
    HoldReason {
        /// A transcript fee is unpaid.
        Fee => "fee",
        /// The disclosure needs a consent not yet given.
        Consent => "consent",
        /// The record is being corrected.
        Correction => "correction",
        /// The final grades are not in yet.
        Grades => "grades",
        /// The student's record has errors, or nothing can be issued (set by a send).
        Record => "record",
        /// No record of the school matches the student a request names (set when it comes).
        Match => "match",
        /// Another reason, in the note.
        Other => "other",
    }
);

impl HoldReason {
    /// How a sentence says it.
    pub fn words(self) -> &'static str {
        match self {
            HoldReason::Fee => "unpaid fee",
            HoldReason::Consent => "missing consent",
            HoldReason::Correction => "record under correction",
            HoldReason::Grades => "awaiting final grades",
            HoldReason::Record => "the record cannot be issued",
            HoldReason::Match => "no record matches the student named",
            HoldReason::Other => "other",
        }
    }
}

words!(
    /// Who signed a consent.
    Signer {
        /// The eligible student (18, or in postsecondary education).
        Student => "student",
        /// A parent, for a student who is not yet eligible.
        Parent => "parent",
    }
);

words!(
    /// How a consent was signed.
    ConsentForm {
        /// Signed electronically, the words signed kept.
        Electronic => "electronic",
        /// A signed form, uploaded and kept.
        SignedForm => "signed-form",
    }
);

/// How a transcript reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Delivery {
    /// In a pack for a service colleges receive transcripts through.
    Pack(Destination),
    /// Downloaded from the office (by the student, or sent on by hand).
    Download,
    /// A printed copy, mailed or handed over.
    Print,
    /// A PESC TranscriptResponse with the PESC XML transcript, to the requesting institution.
    Pesc,
}

impl Delivery {
    /// Its word.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Pack(destination) => destination.key(),
            Delivery::Download => "download",
            Delivery::Print => "print",
            Delivery::Pesc => "pesc",
        }
    }

    /// The delivery of a word.
    pub fn parse(text: &str) -> Option<Delivery> {
        match text {
            "download" => Some(Delivery::Download),
            "print" => Some(Delivery::Print),
            "pesc" => Some(Delivery::Pesc),
            other => Destination::from_key(other).map(Delivery::Pack),
        }
    }

    /// The words allowed.
    pub fn choices() -> String {
        let mut all: Vec<&str> = Destination::ALL.iter().map(|d| d.key()).collect();
        all.extend(["download", "print", "pesc"]);
        crate::hint::quoted(&all)
    }

    /// The disclosure profile used when the request names none.
    pub fn default_profile(self) -> &'static str {
        match self {
            Delivery::Pack(destination) => destination.default_profile(),
            _ => "college",
        }
    }
}

impl Serialize for Delivery {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Who asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    /// What they are to the student.
    pub kind: PartyKind,
    /// Their name (a person's, or an institution's).
    pub name: String,
    /// How to reach them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A consent to disclose (34 CFR 99.30): which records, the purpose, the recipient, signed
/// and dated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consent {
    /// Who signed it.
    pub signed_by: String,
    /// As whom.
    pub signer: Signer,
    /// When.
    #[serde(serialize_with = "day")]
    pub signed_on: NaiveDate,
    /// Which records may be disclosed.
    pub records: String,
    /// For what.
    pub purpose: String,
    /// To whom.
    pub recipient: String,
    /// Signed electronically or on a form.
    pub form: ConsentForm,
    /// The words signed.
    pub text: String,
    /// The signed form's file name, when one was uploaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// The SHA-256 of the form, or of the words when there is no form.
    pub sha256: String,
    /// When the office recorded it, and who.
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
}

/// A consent as it is given to the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    /// Who signed it.
    pub signed_by: String,
    /// As whom.
    pub signer: Signer,
    /// When.
    pub signed_on: NaiveDate,
    /// Which records (the request's transcript when `None`).
    pub records: Option<String>,
    /// For what (the request's purpose when `None`).
    pub purpose: Option<String>,
    /// The words signed.
    pub text: String,
    /// The signed form, when one was uploaded: its file name and bytes.
    pub file: Option<(String, Vec<u8>)>,
}

/// Why a request waits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hold {
    /// The reason.
    pub reason: HoldReason,
    /// In the words of who set it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who set it.
    pub by: String,
    /// When.
    pub at: String,
}

/// A request as it is taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    /// The student, by id.
    pub student: String,
    /// Who asked.
    pub party: Party,
    /// To whom it goes.
    pub recipient: String,
    /// How.
    pub delivery: Delivery,
    /// Where a printed copy goes, or the PESC destination's id.
    pub address: Option<String>,
    /// The disclosure profile, when not the delivery's own.
    pub profile: Option<String>,
    /// When it must be sent by.
    pub due: Option<NaiveDate>,
    /// What allows the disclosure.
    pub basis: Basis,
    /// Why they ask (an application for admission, a job).
    pub purpose: String,
    /// The consent, when one comes with the request.
    pub consent: Option<NewConsent>,
    /// Where it came from: "counter", "requests.csv:4", "request.xml".
    pub source: String,
    /// The sender's own id for it, so the same request read twice is refused.
    pub reference: Option<String>,
    /// A PESC TranscriptRequest's XML, kept to answer it.
    pub pesc: Option<Vec<u8>>,
}

/// A request in the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// Its id: `R-000042`.
    pub id: String,
    /// Its number in the store.
    #[serde(skip)]
    pub number: i64,
    /// The student, by id.
    pub student: String,
    /// Who asked.
    pub party: Party,
    /// To whom it goes.
    pub recipient: String,
    /// How.
    pub delivery: Delivery,
    /// Where a printed copy goes, or the PESC destination's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The disclosure profile.
    pub profile: String,
    /// When it must be sent by.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "some_day")]
    pub due: Option<NaiveDate>,
    /// What allows the disclosure.
    pub basis: Basis,
    /// Why they ask.
    pub purpose: String,
    /// Where it is.
    pub state: State,
    /// Why it waits, when it is on hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold: Option<Hold>,
    /// The state a release returns to.
    #[serde(skip)]
    pub held_from: Option<State>,
    /// The consent recorded for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// When it was taken, and by whom.
    pub received_at: String,
    /// Who took it.
    pub received_by: String,
    /// Where it came from.
    pub source: String,
    /// The sender's own id for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// When it was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    /// The ledger entry that records the send.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_entry: Option<u64>,
    /// When it last changed.
    pub updated_at: String,
}

impl Request {
    /// Who asked, as the ledger records the party (34 CFR 99.32(a)(3)(i)).
    pub fn party_words(&self) -> String {
        format!("{}: {}", self.party.kind.as_str(), self.party.name)
    }

    /// What allows the disclosure, as the ledger records the party's interest (34 CFR
    /// 99.32(a)(3)(ii)).
    pub fn interest_words(&self) -> String {
        let purpose = &self.purpose;
        match (self.basis, &self.consent) {
            (Basis::Consent, Some(c)) => format!(
                "{purpose}; consent signed by {} ({}) on {} ({})",
                c.signed_by,
                c.signer.as_str(),
                c.signed_on,
                Basis::Consent.citation()
            ),
            (Basis::Consent, None) => format!("{purpose}; consent ({})", Basis::Consent.citation()),
            (Basis::Enrollment, _) => {
                format!("{purpose}; the student seeks to enroll there ({})", Basis::Enrollment.citation())
            }
            (Basis::OwnRecord, _) => {
                format!("{purpose}; the student's or parent's own record ({})", Basis::OwnRecord.citation())
            }
            (Basis::Official, _) => {
                format!("{purpose}; legitimate educational interest ({})", Basis::Official.citation())
            }
        }
    }

    /// What the ledger records with the send.
    pub fn requested(&self) -> crate::issue::ledger::Requested {
        crate::issue::ledger::Requested {
            request: self.id.clone(),
            party: self.party_words(),
            interest: self.interest_words(),
        }
    }

    /// Whether the disclosure needs a consent that is not recorded.
    pub fn lacks_consent(&self) -> bool {
        self.basis == Basis::Consent && self.consent.is_none()
    }
}

/// One step in a request's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When.
    pub at: String,
    /// Who.
    pub by: String,
    /// What: receive, approve, hold, release, consent, send, sent, send-undone, deliver,
    /// cancel, reject.
    pub step: String,
    /// The state before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<State>,
    /// The state after.
    pub to: State,
    /// Why, or what.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A request's id from its number.
pub fn id_of(number: i64) -> String {
    format!("R-{number:06}")
}

/// A request's number from its id as someone writes it: `R-000042`, `R-42` or `42`.
pub fn number_of(id: &str) -> Option<i64> {
    let digits = id.trim().strip_prefix("R-").or_else(|| id.trim().strip_prefix("r-")).unwrap_or(id.trim());
    digits.parse::<i64>().ok().filter(|n| *n > 0)
}

/// A date as JSON writes it: `"2026-12-07"`.
fn day<S: serde::Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(date)
}

fn some_day<S: serde::Serializer>(date: &Option<NaiveDate>, serializer: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(date) => serializer.collect_str(date),
        None => serializer.serialize_none(),
    }
}
