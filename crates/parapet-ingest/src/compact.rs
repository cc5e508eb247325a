//! Compaction: merge a partition's small files into one, through the same commit protocol.

use std::collections::BTreeMap;

use parapet_lake::read_parquet;
use parapet_lake::WriteOptions;
use parapet_model::PartitionKey;
use parapet_store::BatchCommit;

use crate::recover::recover;
use crate::{DataDir, Result};

#[derive(Clone, Debug)]
pub struct CompactOptions {
    /// Files smaller than this are merged.
    pub small_file_bytes: u64,
    /// A partition is compacted when it has at least this many small files.
    pub min_files: usize,
    pub write: WriteOptions,
}

impl Default for CompactOptions {
    fn default() -> Self {
        CompactOptions {
            small_file_bytes: 64 << 20,
            min_files: 2,
            write: WriteOptions::default(),
        }
    }
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CompactReport {
    pub partitions_compacted: u64,
    pub files_before: u64,
    pub files_after: u64,
    pub rows: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// Merges small files partition by partition. Each partition is one committed batch, so a crash
/// leaves every partition either as it was or compacted, never both or neither.
pub fn compact(
    data: &DataDir,
    options: &CompactOptions,
    progress: &dyn Fn(u64, u64),
) -> Result<CompactReport> {
    let lock = data.lock()?;
    let lake = data.open_lake()?;
    let mut ledger = data.open_store()?;
    recover(&lake, &mut ledger, &lock)?;
    let mut groups: BTreeMap<(String, String), Vec<parapet_store::LiveFile>> = BTreeMap::new();
    for f in ledger.live_files(None)? {
        if f.bytes < options.small_file_bytes {
            groups
                .entry((f.table.clone(), f.partition.clone()))
                .or_default()
                .push(f);
        }
    }
    groups.retain(|_, files| files.len() >= options.min_files);
    let total = groups.len() as u64;
    let mut report = CompactReport::default();
    for (done, ((table, partition), files)) in groups.into_iter().enumerate() {
        let Some(pk) = PartitionKey::from_path(&partition) else {
            continue;
        };
        let mut batches = Vec::new();
        for f in &files {
            batches.extend(read_parquet(&lake.abs(&f.path))?);
        }
        if batches.is_empty() {
            continue;
        }
        let staged = lake.stage(&table, &pk, &batches, &options.write)?;
        lake.sync_staging()?;
        let commit = BatchCommit {
            kind: "compact".into(),
            objects: Vec::new(),
            files: vec![crate::file_record(staged.clone())],
            replaces: files.iter().map(|f| f.path.clone()).collect(),
        };
        let id = ledger.commit_batch(&commit)?;
        lake.publish(&staged.staged_path, &staged.path)?;
        for f in &files {
            lake.remove(&f.path)?;
        }
        ledger.mark_published(id)?;
        report.partitions_compacted += 1;
        report.files_before += files.len() as u64;
        report.files_after += 1;
        report.rows += staged.rows;
        report.bytes_before += files.iter().map(|f| f.bytes).sum::<u64>();
        report.bytes_after += staged.bytes;
        progress(done as u64 + 1, total);
    }
    Ok(report)
}
