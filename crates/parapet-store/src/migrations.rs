//! Schema versions. Each step runs once, in order, inside a transaction; `user_version` records
//! how far a database has come. Never edit a released step: add a new one.

use rusqlite::Connection;

use crate::{Result, StoreError};

const STEPS: &[&str] = &[
    // 1: the ingest ledger.
    "CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        published INTEGER NOT NULL DEFAULT 0
     );
     CREATE TABLE objects (
        source TEXT NOT NULL,
        key TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        records INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        reason TEXT,
        quarantine_path TEXT,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        PRIMARY KEY (source, key)
     );
     CREATE TABLE lake_files (
        path TEXT PRIMARY KEY,
        table_name TEXT NOT NULL,
        partition TEXT NOT NULL,
        rows INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        min_time_ms INTEGER,
        max_time_ms INTEGER,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        staged_path TEXT,
        state TEXT NOT NULL
     );
     CREATE INDEX lake_files_by_partition ON lake_files (table_name, partition);
     CREATE INDEX objects_by_status ON objects (status);",
];

pub(crate) fn migrate(conn: &Connection, path: &str) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = STEPS.len() as i64;
    if current > known {
        return Err(StoreError::TooNew {
            path: path.to_string(),
            found: current,
            known,
        });
    }
    for (i, step) in STEPS.iter().enumerate().skip(current as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
