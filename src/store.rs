//! The office's store: what the registrar's office asked for and decided, as opposed to what
//! it issued (the ledger). One SQLite database, `office.db` in the school folder, opened in
//! WAL mode so that the console and a command read and write it at once, each change a
//! transaction that is on the disk before it is acknowledged (`synchronous=FULL`).
//!
//! Its tables are made and brought up to date here, once per opening, by the numbered
//! migrations below (SQLite's `user_version` says how many have run); a database written by
//! a newer mastery is refused rather than guessed at. The queue of transcript requests
//! (`crate::requests`) is the only reader of its tables.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

/// The store's file in the school folder.
pub const FILE: &str = "office.db";

/// How long a writer waits for another's transaction to end before it gives up.
const BUSY_WAIT: Duration = Duration::from_secs(30);

/// The schema, one step per version: a database at version N has run the first N.
const MIGRATIONS: &[&str] = &[include_str!("store/1-requests.sql")];

/// The school's store, open.
pub struct Store {
    connection: Connection,
    path: PathBuf,
}

/// Why the store cannot be used.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite refused: the file is not a database, is damaged, or cannot be written.
    Sqlite {
        /// The database.
        path: PathBuf,
        /// What SQLite said.
        error: rusqlite::Error,
    },
    /// A newer mastery made it: its tables may mean what this one cannot read.
    Newer {
        /// The database.
        path: PathBuf,
        /// Its schema version.
        version: i64,
    },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sqlite { path, error } => write!(
                f,
                "{}: the office's store cannot be used: {error}\n  hint: check that the school folder can be written; restore office.db from a backup if it is damaged",
                path.display()
            ),
            StoreError::Newer { path, version } => write!(
                f,
                "{}: a newer mastery wrote this store (schema version {version}, this one knows {})\n  hint: use that version of mastery, or a newer one",
                path.display(),
                MIGRATIONS.len()
            ),
        }
    }
}

impl std::error::Error for StoreError {}

impl Store {
    /// Opens the school's store, making it when there is none, and brings its tables up to
    /// date.
    pub fn open(school: &Path) -> Result<Store, StoreError> {
        let path = school.join(FILE);
        let failed = |error| StoreError::Sqlite { path: path.clone(), error };
        let connection = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(failed)?;
        connection.busy_timeout(BUSY_WAIT).map_err(failed)?;
        // WAL: readers never wait for the writer; FULL: a committed transaction survives a
        // power cut, not only a crash of the process.
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .and_then(|()| connection.pragma_update(None, "synchronous", "FULL"))
            .and_then(|()| connection.pragma_update(None, "foreign_keys", "ON"))
            .map_err(failed)?;
        let mut store = Store { connection, path };
        store.migrate()?;
        Ok(store)
    }

    /// Opens the school's store only if there is one (for readers that have nothing to say
    /// about a school without requests).
    pub fn open_existing(school: &Path) -> Result<Option<Store>, StoreError> {
        if school.join(FILE).is_file() { Store::open(school).map(Some) } else { Ok(None) }
    }

    /// Runs the migrations the database has not run yet, each in its own transaction.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        let failed = |error| StoreError::Sqlite { path: path.clone(), error };
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate).map_err(failed)?;
        let version: i64 = transaction.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(failed)?;
        if version > MIGRATIONS.len() as i64 {
            return Err(StoreError::Newer { path: path.clone(), version });
        }
        for (done, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            transaction.execute_batch(migration).map_err(failed)?;
            transaction.pragma_update(None, "user_version", done as i64 + 1).map_err(failed)?;
        }
        transaction.commit().map_err(failed)
    }

    /// The database, for the modules whose tables these are.
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.connection
    }

    /// The database's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The error of an SQLite call on this store.
    pub fn error(&self, error: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_is_made_and_opened_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mode: String = store.connection().pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        drop(store);
        let mut again = Store::open(dir.path()).unwrap();
        let version: i64 = again.connection().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_store_from_a_newer_mastery_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store.connection().pragma_update(None, "user_version", 99).unwrap();
        drop(store);
        let error = Store::open(dir.path()).err().unwrap();
        assert!(error.to_string().contains("a newer mastery wrote this store (schema version 99"), "{error}");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE), b"not a database, a note someone saved here").unwrap();
        let error = Store::open(dir.path()).err().unwrap().to_string();
        assert!(error.contains("office.db: the office's store cannot be used"), "{error}");
    }
}
