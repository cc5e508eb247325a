//! Where files live in the lake, and the two moves that change it: stage and publish.
//!
//! ```text
//! <lake>/<table>/region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/<unique>.parquet   live files
//! <lake>/_staging/<unique>.parquet.tmp                                            staged files
//! ```
//! Staged files end in `.tmp`, so no reader (DataFusion, DuckDB, Athena globbing `*.parquet`)
//! ever sees a half-written or uncommitted file.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use datafusion::arrow::array::RecordBatch;
use parapet_model::PartitionKey;

use crate::writer::{write_sorted, WriteOptions};
use crate::{LakeError, Result};

pub const STAGING_DIR: &str = "_staging";

/// A lake rooted at a local folder.
#[derive(Clone, Debug)]
pub struct Lake {
    root: PathBuf,
}

/// A file written to staging, not yet visible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StagedFile {
    pub table: String,
    pub partition: String,
    /// Final path relative to the lake root.
    pub path: String,
    /// Staged path relative to the lake root.
    pub staged_path: String,
    pub rows: u64,
    pub bytes: u64,
    pub min_time_ms: Option<i64>,
    pub max_time_ms: Option<i64>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> LakeError + '_ {
    move |source| LakeError::Io {
        path: path.display().to_string(),
        source,
    }
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A file name no other writer will choose: time, process and a counter.
fn unique_name() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    format!(
        "{ms:013}-{:08x}-{:06}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

impl Lake {
    /// Opens (creating) a lake at `root`.
    pub fn open(root: &Path) -> Result<Lake> {
        std::fs::create_dir_all(root.join(STAGING_DIR)).map_err(io(root))?;
        Ok(Lake {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn table_dir(&self, table: &str) -> PathBuf {
        self.root.join(table)
    }

    pub fn abs(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Writes `batches` (in any order) to one staged file, rows sorted by `time`.
    pub fn stage(
        &self,
        table: &str,
        partition: &PartitionKey,
        batches: &[RecordBatch],
        options: &WriteOptions,
    ) -> Result<StagedFile> {
        self.stage_at(table, &partition.path(), batches, options)
    }

    /// [`Lake::stage`] for a table with its own partition layout (`cost`:
    /// `billingPeriod=…/report=…`); `partition_path` must be made of safe partition values.
    pub fn stage_at(
        &self,
        table: &str,
        partition_path: &str,
        batches: &[RecordBatch],
        options: &WriteOptions,
    ) -> Result<StagedFile> {
        let name = unique_name();
        let staged_path = format!("{STAGING_DIR}/{name}.parquet.tmp");
        let partition_path = partition_path.to_string();
        let path = format!("{table}/{partition_path}/{name}.parquet");
        let abs = self.abs(&staged_path);
        let staging = self.root.join(STAGING_DIR);
        std::fs::create_dir_all(&staging).map_err(io(&staging))?;
        let file = File::create(&abs).map_err(io(&abs))?;
        let stats = write_sorted(file, batches, options).map_err(|e| match e {
            LakeError::Parquet { message, .. } => LakeError::Parquet {
                path: abs.display().to_string(),
                message,
            },
            other => other,
        })?;
        Ok(StagedFile {
            table: table.to_string(),
            partition: partition_path,
            path,
            staged_path,
            rows: stats.rows,
            bytes: stats.bytes,
            min_time_ms: stats.min_time_ms,
            max_time_ms: stats.max_time_ms,
        })
    }

    /// Moves a staged file to its final place. Idempotent: if the staged file is gone and the
    /// final one exists, a previous attempt already did it.
    pub fn publish(&self, staged_path: &str, path: &str) -> Result<PublishOutcome> {
        let from = self.abs(staged_path);
        let to = self.abs(path);
        if !from.exists() {
            return Ok(if to.exists() {
                PublishOutcome::AlreadyDone
            } else {
                PublishOutcome::Missing
            });
        }
        let dir = to.parent().unwrap_or(&self.root).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        std::fs::rename(&from, &to).map_err(io(&to))?;
        sync_dir(&dir)?;
        Ok(PublishOutcome::Moved)
    }

    /// Removes a live file (after compaction replaced it). Missing is fine.
    pub fn remove(&self, path: &str) -> Result<()> {
        let abs = self.abs(path);
        match std::fs::remove_file(&abs) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&abs)(e)),
        }
        // Drop the partition folders that became empty; a non-empty one stops the climb.
        let mut dir = abs.parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            let is_table_or_above = d.parent().is_none_or(|p| p == self.root) || d == self.root;
            if is_table_or_above || std::fs::remove_dir(&d).is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
        Ok(())
    }

    /// Files in the staging area, relative to the lake root.
    pub fn staging_files(&self) -> Result<Vec<String>> {
        let dir = self.root.join(STAGING_DIR);
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            out.push(format!("{STAGING_DIR}/{}", entry.file_name().to_string_lossy()));
        }
        out.sort();
        Ok(out)
    }

    /// Makes everything staged so far durable (fsync of the staging folder).
    pub fn sync_staging(&self) -> Result<()> {
        sync_dir(&self.root.join(STAGING_DIR))
    }
}

/// What [`Lake::publish`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublishOutcome {
    Moved,
    AlreadyDone,
    /// Neither the staged nor the final file exists: data the ledger promised is gone.
    Missing,
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|f| f.sync_all()).map_err(io(dir))
}
