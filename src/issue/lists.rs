//! Which bits of the school's status lists are used and which are set, as the ledger says.
//!
//! Every issued credential names one bit: an index in a list of [`LIST_SIZE`] bits, chosen at
//! random among the free ones, so that the index says nothing about the student or the order
//! of issue (herd privacy). The bits are the ledger's revocations, so a list can always be
//! signed again from the ledger.

use std::collections::{BTreeMap, BTreeSet};

use super::ledger::{Action, Entry, StatusRef};
use crate::credential::status::LIST_SIZE;

/// A list takes new credentials until this many of its bits are used; then the next list
/// starts, so a random free index is always easy to find and the herd stays large.
const LIST_FILL: u64 = LIST_SIZE / 2;

/// The bits of the ledger's status lists: which are used and which are set (revoked).
#[derive(Debug, Default, Clone)]
pub struct Lists {
    used: BTreeMap<u32, BTreeSet<u64>>,
    revoked: BTreeMap<u32, BTreeSet<u64>>,
}

impl Lists {
    /// The lists as the ledger leaves them.
    pub fn of(entries: &[Entry]) -> Lists {
        let mut lists = Lists::default();
        let mut status_of = BTreeMap::new();
        for entry in entries {
            match (entry.action, &entry.status) {
                (Action::Issue, Some(status)) => {
                    lists.used.entry(status.list).or_default().insert(status.index);
                    status_of.insert(entry.credential_id.clone(), status.clone());
                }
                (Action::Revoke, _) => {
                    if let Some(status) = entry.status.as_ref().or(status_of.get(&entry.credential_id)) {
                        lists.revoked.entry(status.list).or_default().insert(status.index);
                    }
                }
                _ => {}
            }
        }
        lists
    }

    /// A free bit, at random, in the first list with room; marked used.
    pub fn allocate(&mut self) -> StatusRef {
        let mut list = 1;
        while self.used.get(&list).is_some_and(|used| used.len() as u64 >= LIST_FILL) {
            list += 1;
        }
        let used = self.used.entry(list).or_default();
        loop {
            // LIST_SIZE is a power of two, so the remainder is uniform.
            let index = random_u64() % LIST_SIZE;
            if used.insert(index) {
                return StatusRef { list, index };
            }
        }
    }

    /// Sets a bit.
    pub fn revoke(&mut self, status: &StatusRef) {
        self.revoked.entry(status.list).or_default().insert(status.index);
    }

    /// The numbers of every list in use.
    pub fn numbers(&self) -> Vec<u32> {
        self.used.keys().copied().collect()
    }

    /// Whether a signed status list credential shows exactly the set bits of list `list`.
    pub fn shown_by(&self, list: u32, signed: &serde_json::Value) -> bool {
        signed["credentialSubject"]["encodedList"] == crate::credential::status::encode(&self.revoked(list)).as_str()
    }

    /// The set bits of a list.
    pub fn revoked(&self, list: u32) -> BTreeSet<u64> {
        self.revoked.get(&list).cloned().unwrap_or_default()
    }
}

/// A random 64-bit number from the system's generator.
pub fn random_u64() -> u64 {
    getrandom::u64().expect("the system's random number generator works")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_are_spread_and_never_reused() {
        let mut lists = Lists::default();
        let indexes: BTreeSet<u64> = (0..2_000).map(|_| lists.allocate().index).collect();
        assert_eq!(indexes.len(), 2_000);
        assert!(indexes.iter().any(|&i| i > LIST_SIZE / 2) && indexes.iter().any(|&i| i < LIST_SIZE / 2));
    }
}
