//! Compaction keeps every row, once, in fewer files.

use std::collections::BTreeMap;

use parapet_ingest::{compact, ingest, CompactOptions, DataDir, IngestOptions};
use parapet_model::AccountDirectory;
use parapet_sources::LocalDir;

use crate::support::{lake_rows, parquet_files_on_disk, testdata};

#[test]
fn compaction_merges_small_files_and_keeps_rows() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = DataDir::new(tmp.path().join("data"));
    let store = LocalDir::open(&testdata().join("invictus")).expect("opens");
    // A tiny buffer: one checkpoint (and one file per partition) every few objects.
    let options = IngestOptions {
        buffer_bytes: 64 << 10,
        workers: 1,
        ..IngestOptions::default()
    };
    ingest(&store, &data, &AccountDirectory::default(), &options, &()).expect("ingests");
    let before = lake_rows(&data);
    let files_before = parquet_files_on_disk(&data).len();
    assert!(files_before > 10, "expected many small files, got {files_before}");

    let report = compact(&data, &CompactOptions::default(), &|_, _| {}).expect("compacts");
    assert_eq!(report.files_before as usize, files_before);
    let files_after = parquet_files_on_disk(&data);
    assert_eq!(files_after.len() as u64, report.files_after);
    // One file per partition now.
    let partitions: std::collections::BTreeSet<_> = files_after
        .iter()
        .map(|p| p.parent().expect("partition").to_path_buf())
        .collect();
    assert_eq!(partitions.len(), files_after.len());

    let after = lake_rows(&data);
    let key = |rows: &[crate::support::Row]| {
        let mut m: BTreeMap<(String, Option<String>), usize> = BTreeMap::new();
        for r in rows {
            *m.entry((r.source_object.clone(), r.event_id.clone()))
                .or_default() += 1;
        }
        m
    };
    assert_eq!(before.len(), 2900);
    assert_eq!(key(&before), key(&after));
    assert!(after.iter().all(|r| r.path.ends_with(".parquet")));

    // Nothing left to do the second time.
    let again = compact(&data, &CompactOptions::default(), &|_, _| {}).expect("compacts");
    assert_eq!(again.partitions_compacted, 0);
}

#[test]
fn a_flush_interval_commits_without_waiting_for_a_full_buffer() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = LocalDir::open(&testdata().join("invictus")).expect("opens");
    // A buffer that never fills, and small groups: only the interval can cause checkpoints.
    let options = |interval| IngestOptions {
        buffer_bytes: 1 << 30,
        flush_interval: interval,
        workers: 1,
        ..IngestOptions::default()
    };
    let never = ingest(
        &store,
        &DataDir::new(tmp.path().join("a")),
        &AccountDirectory::default(),
        &options(std::time::Duration::from_secs(3600)),
        &(),
    )
    .expect("ingests");
    assert_eq!(never.checkpoints, 1);
    let always = ingest(
        &store,
        &DataDir::new(tmp.path().join("b")),
        &AccountDirectory::default(),
        &options(std::time::Duration::ZERO),
        &(),
    )
    .expect("ingests");
    assert!(always.checkpoints > 1, "{} checkpoints", always.checkpoints);
    assert_eq!(always.records, never.records);
}
