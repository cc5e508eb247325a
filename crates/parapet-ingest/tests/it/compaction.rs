//! Compaction keeps every row, once, in fewer files.

use std::collections::BTreeMap;

use parapet_ingest::{compact, ingest, CompactOptions, DataDir, IngestOptions};
use parapet_model::AccountDirectory;
use parapet_sources::LocalDir;

use crate::support::{lake_rows, parquet_files_on_disk, sql_count, testdata};

/// The invictus sample ingested with a tiny buffer: one checkpoint (and one file per partition)
/// every few objects.
fn small_files(dir: &std::path::Path) -> DataDir {
    let data = DataDir::new(dir.join("data"));
    let store = LocalDir::open(&testdata().join("invictus")).expect("opens");
    let options = IngestOptions {
        buffer_bytes: 64 << 10,
        workers: 1,
        ..IngestOptions::default()
    };
    ingest(&store, &data, &AccountDirectory::default(), &options, &()).expect("ingests");
    data
}

#[test]
fn compaction_merges_small_files_and_keeps_rows() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = small_files(tmp.path());
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

/// Compaction's steps for one partition, stopped half-way: a query through the ledger's view
/// sees the small files or the compacted one, never both (a plain listing counts the partition
/// twice), and a query whose files are deleted under it asks again and gets every row once.
#[test]
fn a_query_during_compaction_sees_each_row_once() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = small_files(tmp.path());
    let count = "SELECT count(*) FROM cloudtrail";
    let total = sql_count(&data, count);
    assert_eq!(total, 2900);

    let lake = data.open_lake().expect("lake");
    let mut ledger = data.open_store().expect("ledger");
    let mut by_partition: BTreeMap<String, Vec<parapet_store::LiveFile>> = BTreeMap::new();
    for f in ledger.live_files(Some("cloudtrail")).expect("files") {
        by_partition.entry(f.partition.clone()).or_default().push(f);
    }
    let (partition, files) = by_partition
        .into_iter()
        .max_by_key(|(_, f)| f.len())
        .expect("a partition");
    assert!(files.len() > 1, "{partition}: one file");
    let rows: u64 = files.iter().map(|f| f.rows).sum();
    let mut batches = Vec::new();
    for f in &files {
        batches.extend(parapet_lake::read_parquet(&lake.abs(&f.path)).expect("reads"));
    }
    let pk = parapet_model::PartitionKey::from_path(&partition).expect("partition key");
    let staged = lake
        .stage(
            "cloudtrail",
            &pk,
            &batches,
            &parapet_lake::WriteOptions::default(),
        )
        .expect("stages");
    let id = ledger
        .commit_batch(&parapet_store::BatchCommit {
            kind: "compact".into(),
            objects: Vec::new(),
            files: vec![parapet_store::FileRecord {
                table: staged.table.clone(),
                partition: staged.partition.clone(),
                path: staged.path.clone(),
                staged_path: staged.staged_path.clone(),
                rows: staged.rows,
                bytes: staged.bytes,
                min_time_ms: staged.min_time_ms,
                max_time_ms: staged.max_time_ms,
            }],
            replaces: files.iter().map(|f| f.path.clone()).collect(),
        })
        .expect("commits");
    lake.publish(&staged.staged_path, &staged.path)
        .expect("publishes");

    // Old and new files side by side on disk.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let plain = rt.block_on(async {
        let session = parapet_lake::LakeSession::open(&data.lake_root())
            .await
            .expect("opens");
        let b = session.sql(count).await.expect("runs");
        parapet_lake::arrow::util::display::array_value_to_string(b[0].column(0), 0).expect("text")
    });
    assert_eq!(
        plain,
        (total + rows).to_string(),
        "a plain listing counts the partition twice"
    );
    assert_eq!(sql_count(&data, count), total, "the ledger's view counts it once");

    // The small files are deleted before the batch is closed: a query now finds them gone, and
    // runs again until the batch is closed.
    for f in &files {
        lake.remove(&f.path).expect("removes");
    }
    let closer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(150));
        ledger.mark_published(id).expect("closes");
    });
    assert_eq!(sql_count(&data, count), total);
    closer.join().expect("closer");
    assert_eq!(sql_count(&data, count), total);
}
