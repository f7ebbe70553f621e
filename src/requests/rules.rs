//! The rules of a request's life: which step may follow which state, and where it leads.
//!
//! ```text
//! received ──approve──▶ approved ──send──▶ sending ──▶ sent ──deliver──▶ delivered
//!    │  ▲                 │  ▲               │
//!    │  └─────release─────┼──┼─ on hold ◀─hold┘ (from received or approved)
//!    └──cancel / reject───┴──┴──▶ cancelled · rejected
//! ```
//!
//! `sending` is the queue's own state while a send is under way: a send that was killed
//! leaves it, and the next send completes it (the ledger recorded it) or returns it to
//! `approved` (the ledger did not). Nothing else leaves `sent` but delivery, and nothing
//! leaves `delivered`, `cancelled` or `rejected`: a new request instead.

use super::State;

/// What someone (or a send) does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// The registrar approves it for sending.
    Approve,
    /// It waits, for a reason.
    Hold,
    /// The reason is gone: back to where it was.
    Release,
    /// A send takes it.
    Claim,
    /// The send recorded it in the ledger.
    Complete,
    /// A send was killed before the ledger recorded it: it goes back to approved.
    Abandon,
    /// It was downloaded, or the recipient acknowledged it.
    Deliver,
    /// The one who asked withdrew it.
    Cancel,
    /// The school refuses it, with a reason.
    Reject,
}

impl Step {
    /// Every step, for the tables of the tests.
    pub const ALL: [Step; 9] = [
        Step::Approve,
        Step::Hold,
        Step::Release,
        Step::Claim,
        Step::Complete,
        Step::Abandon,
        Step::Deliver,
        Step::Cancel,
        Step::Reject,
    ];

    /// Its name in the request's history.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Approve => "approve",
            Step::Hold => "hold",
            Step::Release => "release",
            Step::Claim => "send",
            Step::Complete => "sent",
            Step::Abandon => "send-undone",
            Step::Deliver => "deliver",
            Step::Cancel => "cancel",
            Step::Reject => "reject",
        }
    }

    /// What the step is called in a sentence ("cannot be approved").
    fn past(self) -> &'static str {
        match self {
            Step::Approve => "approved",
            Step::Hold => "put on hold",
            Step::Release => "released",
            Step::Claim => "sent",
            Step::Complete => "recorded as sent",
            Step::Abandon => "returned to approved",
            Step::Deliver => "marked delivered",
            Step::Cancel => "cancelled",
            Step::Reject => "rejected",
        }
    }
}

/// A step the request's state does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Illegal {
    /// Where the request is.
    pub state: State,
    /// What was asked.
    pub step: Step,
}

impl std::fmt::Display for Illegal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Illegal { state, step } = *self;
        write!(f, "it is {}, so it cannot be {}", state.words(), step.past())?;
        let hint = match (state, step) {
            (State::OnHold, Step::Approve | Step::Claim) => "release it first (`mastery requests release`)",
            (State::Received, Step::Claim) => "approve it first (`mastery requests approve`)",
            (State::OnHold, Step::Hold) => "release it, then hold it for the other reason",
            (State::Sending, _) => "a send is under way; if none is, the next `mastery requests send` settles it",
            (State::Sent, Step::Cancel | Step::Reject) => {
                "the ledger records it as sent; revoke the transcript if it must not stand"
            }
            (State::Delivered | State::Cancelled | State::Rejected, _) => "take a new request",
            _ => "",
        };
        if !hint.is_empty() {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Illegal {}

/// The state a request in `state` is in after `step`. A release returns to `held_from`, the
/// state the hold interrupted.
pub fn after(state: State, step: Step, held_from: Option<State>) -> Result<State, Illegal> {
    use State::*;
    let next = match (step, state) {
        (Step::Approve, Received) => Approved,
        (Step::Hold, Received | Approved) => OnHold,
        (Step::Release, OnHold) => match held_from {
            Some(Approved) => Approved,
            _ => Received,
        },
        (Step::Claim, Approved) => Sending,
        (Step::Complete, Sending) => Sent,
        (Step::Abandon, Sending) => Approved,
        (Step::Deliver, Sent) => Delivered,
        (Step::Cancel | Step::Reject, Received | Approved | OnHold) => {
            if step == Step::Cancel {
                Cancelled
            } else {
                Rejected
            }
        }
        _ => return Err(Illegal { state, step }),
    };
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use State::*;

    /// Every state and every step: where it leads, or `None` when it is refused. A new state
    /// or step fails this test until its row is written.
    #[test]
    fn every_step_from_every_state() {
        #[rustfmt::skip]
        let table: [(State, [Option<State>; 9]); 8] = [
            //            approve         hold          release         claim          complete    abandon         deliver          cancel           reject
            (Received,  [Some(Approved), Some(OnHold), None,           None,          None,       None,           None,            Some(Cancelled), Some(Rejected)]),
            (Approved,  [None,           Some(OnHold), None,           Some(Sending), None,       None,           None,            Some(Cancelled), Some(Rejected)]),
            (OnHold,    [None,           None,         Some(Approved), None,          None,       None,           None,            Some(Cancelled), Some(Rejected)]),
            (Sending,   [None,           None,         None,           None,          Some(Sent), Some(Approved), None,            None,            None]),
            (Sent,      [None,           None,         None,           None,          None,       None,           Some(Delivered), None,            None]),
            (Delivered, [None; 9]),
            (Cancelled, [None; 9]),
            (Rejected,  [None; 9]),
        ];
        assert_eq!(table.len(), State::ALL.len(), "a state without its row");
        for (state, row) in table {
            for (step, expected) in Step::ALL.into_iter().zip(row) {
                let got = after(state, step, Some(Approved)).ok();
                assert_eq!(got, expected, "{} then {}", state.as_str(), step.as_str());
            }
        }
    }

    #[test]
    fn a_release_returns_to_where_the_hold_found_it() {
        assert_eq!(after(OnHold, Step::Release, Some(Approved)), Ok(Approved));
        assert_eq!(after(OnHold, Step::Release, Some(Received)), Ok(Received));
        assert_eq!(after(OnHold, Step::Release, None), Ok(Received));
    }

    #[test]
    fn a_refusal_says_what_to_do() {
        let held = after(OnHold, Step::Approve, None).unwrap_err().to_string();
        assert_eq!(
            held,
            "it is on hold, so it cannot be approved\n  hint: release it first (`mastery requests release`)"
        );
        let received = after(Received, Step::Claim, None).unwrap_err().to_string();
        assert!(received.contains("approve it first"), "{received}");
        let sent = after(Sent, Step::Cancel, None).unwrap_err().to_string();
        assert!(sent.contains("revoke the transcript"), "{sent}");
        let done = after(Delivered, Step::Hold, None).unwrap_err().to_string();
        assert!(done.ends_with("take a new request"), "{done}");
    }
}
