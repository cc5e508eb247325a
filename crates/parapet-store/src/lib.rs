//! parapet's state: an embedded SQLite database holding the ingest ledger (which objects are
//! done, which lake files exist), the account registry with its history and baseline coverage,
//! the findings store, the notification outbox, posture scans with their daily scores, and the
//! remediation audit log.
//!
//! Every write that must be atomic with another is one SQL transaction here. The SQL is plain
//! (no SQLite-only types or upserts beyond `ON CONFLICT`) so that a PostgreSQL implementation of
//! the same API can follow.

mod cost;
mod detections;
mod findings;
mod ledger;
mod migrations;
mod outbox;
mod posture;
mod registry;
mod remediation;

pub use cost::{CostLoad, DiagramDay, DiagramRow, SavedQuery};
pub use detections::{DetectionWriter, FindingAction, FindingEventRow, StatusChange, Written};
pub use findings::{FindingFilter, StoredFinding};
pub use ledger::{
    BatchCommit, FileRecord, FileState, LedgerObject, LiveFile, ObjectRecord, ObjectStatus, PendingFile,
    QuarantineEntry,
};
pub use outbox::{AlertMark, DigestItem, DueAlert, DueDigest, OutboxMessage, OutboxRow};
pub use posture::{PostureRun, PostureScan, ScoreRow};
pub use registry::{BaselineRow, HistoryEntry, RegisteredAccount, SyncInfo};
pub use remediation::{RemediationEntry, RemediationRow};

use std::path::Path;

use rusqlite::Connection;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("state database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("state database: {0}")]
    Data(String),
    #[error("state database {path} was written by a newer parapet (schema version {found}, this build knows {known})")]
    TooNew { path: String, found: i64, known: i64 },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A handle on the state database. Not `Sync`: open one per thread.
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let conn = Connection::open(path).map_err(open_err)?;
        Self::init(conn, &path.display().to_string())
    }

    /// An in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store> {
        Self::init(Connection::open_in_memory()?, ":memory:")
    }

    fn init(conn: Connection, path: &str) -> Result<Store> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // WAL lets readers (queries, the dashboard) run beside the single writer; FULL sync makes
        // a committed batch survive power loss, not only a killed process.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations::migrate(&conn, path)?;
        Ok(Store { conn })
    }
}

#[cfg(test)]
mod tests;
