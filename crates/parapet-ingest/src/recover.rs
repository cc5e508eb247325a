//! Roll-forward after a crash: finish publishing committed batches, delete uncommitted debris.

use parapet_lake::layout::PublishOutcome;
use parapet_lake::Lake;
use parapet_store::{FileState, Store};

use crate::{IngestError, LakeLock, Result};

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecoveryReport {
    /// Committed batches whose publication a crash interrupted, now finished.
    pub batches_finished: usize,
    pub files_published: usize,
    pub files_retired: usize,
    /// Staged files of batches that never committed, deleted.
    pub debris_removed: usize,
}

/// Brings the lake in line with the ledger. Needs the writer lock (hence the argument).
pub fn recover(lake: &Lake, store: &mut Store, _lock: &LakeLock) -> Result<RecoveryReport> {
    let mut report = RecoveryReport::default();
    for file in store.pending_files()? {
        match file.state {
            FileState::Staged => {
                let staged = file.staged_path.as_deref().unwrap_or("");
                match lake.publish(staged, &file.path)? {
                    PublishOutcome::Moved => report.files_published += 1,
                    PublishOutcome::AlreadyDone => {}
                    PublishOutcome::Missing => return Err(IngestError::LostFile { path: file.path }),
                }
            }
            FileState::Retiring => {
                lake.remove(&file.path)?;
                report.files_retired += 1;
            }
            FileState::Live => {}
        }
    }
    for batch in store.unpublished_batches()? {
        store.mark_published(batch)?;
        report.batches_finished += 1;
    }
    let keep: std::collections::HashSet<String> = store.staged_paths()?.into_iter().collect();
    for path in lake.staging_files()? {
        if !keep.contains(&path) {
            lake.remove(&path)?;
            report.debris_removed += 1;
        }
    }
    if report != RecoveryReport::default() {
        tracing::info!(?report, "recovered the lake after an interrupted run");
    }
    Ok(report)
}
