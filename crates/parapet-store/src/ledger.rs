//! The ingest ledger: which objects are done, and which lake files hold their rows.
//!
//! Protocol (see ARCHITECTURE.md, "Exactly once"): the writer stages Parquet files, then one
//! transaction records the objects, the staged files and the files they replace
//! ([`Store::commit_batch`]); only then are files moved into place ([`Store::pending_files`] lists
//! what a crash left half-published, [`Store::mark_published`] closes a batch). An object is in
//! the lake exactly when its row is in `objects`.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, OptionalExtension};

use crate::{Result, Store};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectStatus {
    /// Its rows are in the lake (rejected records, if any, are in quarantine).
    Ingested,
    /// It could not be read at all; a copy and the reason are in quarantine.
    Quarantined,
}

impl ObjectStatus {
    fn as_str(self) -> &'static str {
        match self {
            ObjectStatus::Ingested => "ingested",
            ObjectStatus::Quarantined => "quarantined",
        }
    }

    fn parse(s: &str) -> ObjectStatus {
        if s == "quarantined" {
            ObjectStatus::Quarantined
        } else {
            ObjectStatus::Ingested
        }
    }
}

/// An object to record as done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRecord {
    pub source: String,
    pub key: String,
    pub size: u64,
    pub etag: Option<String>,
    pub kind: String,
    pub status: ObjectStatus,
    pub records: u64,
    pub rejected: u64,
    pub reason: Option<String>,
    pub quarantine_path: Option<String>,
}

/// What the ledger knows of a done object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerObject {
    pub size: u64,
    pub etag: Option<String>,
    pub status: ObjectStatus,
}

/// A lake file written by a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRecord {
    pub table: String,
    /// `region=…/accountId=…/eventDay=…`
    pub partition: String,
    /// Final path, relative to the lake root.
    pub path: String,
    /// Where it was staged, relative to the lake root.
    pub staged_path: String,
    pub rows: u64,
    pub bytes: u64,
    pub min_time_ms: Option<i64>,
    pub max_time_ms: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    Staged,
    Live,
    Retiring,
}

impl FileState {
    fn parse(s: &str) -> FileState {
        match s {
            "staged" => FileState::Staged,
            "retiring" => FileState::Retiring,
            _ => FileState::Live,
        }
    }
}

/// One atomic step of the lake: objects done, files added, files replaced.
#[derive(Clone, Debug, Default)]
pub struct BatchCommit {
    pub kind: String,
    pub objects: Vec<ObjectRecord>,
    pub files: Vec<FileRecord>,
    /// Paths (relative to the lake root) of live files the new files replace (compaction).
    pub replaces: Vec<String>,
}

/// A file a committed batch has not finished publishing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingFile {
    pub batch_id: i64,
    pub path: String,
    pub staged_path: Option<String>,
    pub state: FileState,
}

/// A quarantined object or an object with rejected records.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct QuarantineEntry {
    pub source: String,
    pub key: String,
    pub status: ObjectStatus,
    pub records: u64,
    pub rejected: u64,
    pub reason: Option<String>,
    pub quarantine_path: Option<String>,
}

/// A live lake file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LiveFile {
    pub table: String,
    pub partition: String,
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    pub min_time_ms: Option<i64>,
    pub max_time_ms: Option<i64>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Store {
    /// The ledger entry of an object, if it is done.
    pub fn object(&self, source: &str, key: &str) -> Result<Option<LedgerObject>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT size, etag, status FROM objects WHERE source = ?1 AND key = ?2")?;
        Ok(stmt
            .query_row(params![source, key], |r| {
                Ok(LedgerObject {
                    size: r.get::<_, i64>(0)? as u64,
                    etag: r.get(1)?,
                    status: ObjectStatus::parse(&r.get::<_, String>(2)?),
                })
            })
            .optional()?)
    }

    /// Records a batch in one transaction and returns its id. After this returns, the batch's
    /// objects count as done and its staged files must be published (or recovered) before the
    /// lake is read.
    pub fn commit_batch(&mut self, batch: &BatchCommit) -> Result<i64> {
        self.commit_batch_with(batch, &mut |_| Ok(()))
    }

    /// [`Store::commit_batch`], with detection's writes for the batch's records in the same
    /// transaction: the objects, their lake files and their findings are recorded together or
    /// not at all.
    pub fn commit_batch_with(
        &mut self,
        batch: &BatchCommit,
        detect: &mut dyn FnMut(&mut crate::DetectionWriter<'_>) -> Result<()>,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let id = insert_batch(&tx, batch)?;
        detect(&mut crate::DetectionWriter::new(&tx))?;
        tx.commit()?;
        Ok(id)
    }

    /// Files of committed batches that are not yet in their final state.
    pub fn pending_files(&self) -> Result<Vec<PendingFile>> {
        let mut stmt = self.conn.prepare(
            "SELECT f.batch_id, f.path, f.staged_path, f.state FROM lake_files f
             JOIN batches b ON b.id = f.batch_id
             WHERE b.published = 0 AND f.state IN ('staged', 'retiring')
             ORDER BY f.batch_id, f.path",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(PendingFile {
                batch_id: r.get(0)?,
                path: r.get(1)?,
                staged_path: r.get(2)?,
                state: FileState::parse(&r.get::<_, String>(3)?),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Ids of committed batches not yet published.
    pub fn unpublished_batches(&self) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM batches WHERE published = 0 ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Closes a batch once its staged files are in place and the files it replaced are gone.
    pub fn mark_published(&mut self, batch_id: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE lake_files SET state = 'live', staged_path = NULL WHERE batch_id = ?1 AND state = 'staged'",
            params![batch_id],
        )?;
        tx.execute(
            "DELETE FROM lake_files WHERE batch_id = ?1 AND state = 'retiring'",
            params![batch_id],
        )?;
        tx.execute(
            "UPDATE batches SET published = 1 WHERE id = ?1",
            params![batch_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Staged paths of every file the ledger knows as staged (anything else in the staging area
    /// is debris from a batch that never committed).
    pub fn staged_paths(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT staged_path FROM lake_files WHERE state = 'staged' AND staged_path IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Live files of a table (all tables when `table` is `None`), by partition then path.
    pub fn live_files(&self, table: Option<&str>) -> Result<Vec<LiveFile>> {
        let mut stmt = self.conn.prepare(
            "SELECT table_name, partition, path, rows, bytes, min_time_ms, max_time_ms FROM lake_files
             WHERE state = 'live' AND (?1 IS NULL OR table_name = ?1)
             ORDER BY table_name, partition, path",
        )?;
        let rows = stmt.query_map(params![table], |r| {
            Ok(LiveFile {
                table: r.get(0)?,
                partition: r.get(1)?,
                path: r.get(2)?,
                rows: r.get::<_, i64>(3)? as u64,
                bytes: r.get::<_, i64>(4)? as u64,
                min_time_ms: r.get(5)?,
                max_time_ms: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The lake files a reader may read now (paths relative to the lake root): the live ones,
    /// and those a batch not yet closed is retiring (its new files stay hidden until it is), so
    /// a reader never sees a file and the one replacing it.
    pub fn readable_lake_files(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT path FROM lake_files WHERE state IN ('live', 'retiring')")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Objects that were quarantined or had records rejected.
    pub fn quarantine(&self) -> Result<Vec<QuarantineEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT source, key, status, records, rejected, reason, quarantine_path FROM objects
             WHERE status = 'quarantined' OR rejected > 0 ORDER BY source, key",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(QuarantineEntry {
                source: r.get(0)?,
                key: r.get(1)?,
                status: ObjectStatus::parse(&r.get::<_, String>(2)?),
                records: r.get::<_, i64>(3)? as u64,
                rejected: r.get::<_, i64>(4)? as u64,
                reason: r.get(5)?,
                quarantine_path: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Totals over the ledger: (objects ingested, objects quarantined, records, rejected records).
    pub fn object_totals(&self) -> Result<(u64, u64, u64, u64)> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(SUM(status = 'ingested'), 0), COALESCE(SUM(status = 'quarantined'), 0),
                    COALESCE(SUM(records), 0), COALESCE(SUM(rejected), 0) FROM objects",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)? as u64,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                    r.get::<_, i64>(3)? as u64,
                ))
            },
        )?)
    }

    /// Forgets quarantined objects of a source so that the next ingest tries them again.
    pub fn forget_quarantined(&mut self, source: Option<&str>) -> Result<usize> {
        Ok(self.conn.execute(
            "DELETE FROM objects WHERE status = 'quarantined' AND (?1 IS NULL OR source = ?1)",
            params![source],
        )?)
    }
}

/// Records a batch in an open transaction: its row, its objects, its staged files and the
/// files it retires. Returns its id.
pub(crate) fn insert_batch(tx: &rusqlite::Transaction<'_>, batch: &BatchCommit) -> Result<i64> {
    tx.execute(
        "INSERT INTO batches (kind, created_ms, published) VALUES (?1, ?2, 0)",
        params![batch.kind, now_ms()],
    )?;
    let id = tx.last_insert_rowid();
    {
        let mut ins = tx.prepare_cached(
            "INSERT INTO objects (source, key, size, etag, kind, status, records, rejected, reason, quarantine_path, batch_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for o in &batch.objects {
            ins.execute(params![
                o.source,
                o.key,
                o.size as i64,
                o.etag,
                o.kind,
                o.status.as_str(),
                o.records as i64,
                o.rejected as i64,
                o.reason,
                o.quarantine_path,
                id
            ])?;
        }
        let mut file = tx.prepare_cached(
            "INSERT INTO lake_files (path, table_name, partition, rows, bytes, min_time_ms, max_time_ms, batch_id, staged_path, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'staged')",
        )?;
        for f in &batch.files {
            file.execute(params![
                f.path,
                f.table,
                f.partition,
                f.rows as i64,
                f.bytes as i64,
                f.min_time_ms,
                f.max_time_ms,
                id,
                f.staged_path
            ])?;
        }
        let mut retire = tx.prepare_cached(
            "UPDATE lake_files SET state = 'retiring', batch_id = ?2 WHERE path = ?1 AND state = 'live'",
        )?;
        for path in &batch.replaces {
            retire.execute(params![path, id])?;
        }
    }
    Ok(id)
}
