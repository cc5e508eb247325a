//! Crash points between the ledger commit and publication, replayed by hand (the SIGKILL test
//! of the binary covers the same protocol end to end).

use parapet_ingest::{ingest, recover, DataDir, IngestOptions};
use parapet_lake::cloudtrail::{CloudTrailBuilder, TABLE};
use parapet_lake::WriteOptions;
use parapet_model::{AccountDirectory, ApiActivity, PartitionKey};
use parapet_sources::LocalDir;
use parapet_store::{BatchCommit, FileRecord, ObjectRecord, ObjectStatus};

use crate::support::{lake_rows, parquet_files_on_disk, testdata};

fn one_row_batch() -> parapet_lake::arrow::array::RecordBatch {
    let mut b = CloudTrailBuilder::new();
    let a = ApiActivity {
        time_ms: 1_700_000_000_000,
        operation: Some("GetObject".into()),
        raw: "{}",
        ..ApiActivity::default()
    };
    b.append(&a, "111122223333", None, "k");
    b.finish()
}

#[test]
fn committed_but_unpublished_batches_are_rolled_forward_and_debris_removed() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = DataDir::new(tmp.path().join("data"));
    let lake = data.open_lake().expect("lake");
    let mut store = data.open_store().expect("state");
    let pk = PartitionKey {
        region: "us-east-1".into(),
        account_id: "111122223333".into(),
        event_day: 20231114,
    };

    // Crash after the commit, before the rename.
    let staged = lake
        .stage(TABLE, &pk, &[one_row_batch()], &WriteOptions::default())
        .expect("stages");
    store
        .commit_batch(&BatchCommit {
            kind: "ingest".into(),
            objects: vec![ObjectRecord {
                source: "file:///x".into(),
                key: "k".into(),
                size: 1,
                etag: None,
                kind: "cloudtrail".into(),
                status: ObjectStatus::Ingested,
                records: 1,
                rejected: 0,
                reason: None,
                quarantine_path: None,
            }],
            files: vec![FileRecord {
                table: staged.table.clone(),
                partition: staged.partition.clone(),
                path: staged.path.clone(),
                staged_path: staged.staged_path.clone(),
                rows: 1,
                bytes: staged.bytes,
                min_time_ms: staged.min_time_ms,
                max_time_ms: staged.max_time_ms,
            }],
            replaces: vec![],
        })
        .expect("commits");
    // Crash before a commit: a staged file nobody will claim.
    let debris = lake
        .stage(TABLE, &pk, &[one_row_batch()], &WriteOptions::default())
        .expect("stages");
    assert!(
        parquet_files_on_disk(&data).is_empty(),
        "staged files are invisible to readers"
    );

    let lock = data.lock().expect("lock");
    let report = recover(&lake, &mut store, &lock).expect("recovers");
    assert_eq!(
        (
            report.batches_finished,
            report.files_published,
            report.debris_removed
        ),
        (1, 1, 1)
    );
    assert!(lake.abs(&staged.path).exists());
    assert!(!lake.abs(&debris.staged_path).exists());
    assert_eq!(lake_rows(&data).len(), 1);
    // Recovery is idempotent.
    let again = recover(&lake, &mut store, &lock).expect("recovers");
    assert_eq!(again, Default::default());
}

#[test]
fn a_second_writer_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = DataDir::new(tmp.path().join("data"));
    let _held = data.lock().expect("first lock");
    let store = LocalDir::open(&testdata().join("otrf")).expect("opens");
    let err = ingest(
        &store,
        &data,
        &AccountDirectory::default(),
        &IngestOptions::default(),
        &(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("another parapet process holds the lake lock"),
        "{err}"
    );
}

/// An object announced without its size (some notifications omit it) is recorded with the size
/// read, so a later listing of the bucket does not report it as changed.
#[test]
fn an_object_announced_without_size_is_not_changed_for_a_later_listing() {
    use parapet_sources::{ListedObjects, ObjectMeta};
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("bucket");
    let key = "AWSLogs/111122223333/GuardDuty/us-east-1/2024/01/02/f.jsonl";
    let finding = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/guardduty/panther_findings.jsonl"),
    )
    .unwrap();
    crate::support::put(&root, key, finding.as_bytes());
    let data = DataDir::new(tmp.path().join("data"));
    let accounts = AccountDirectory::default();
    let options = IngestOptions::default();
    let store = LocalDir::open(&root).unwrap();
    let announced = ListedObjects {
        inner: &store,
        objects: vec![ObjectMeta {
            key: key.to_string(),
            size: 0,
            etag: None,
        }],
    };
    let first = ingest(&announced, &data, &accounts, &options, &()).unwrap();
    assert_eq!(first.objects_ingested, 1);
    let listing = ingest(&store, &data, &accounts, &options, &()).unwrap();
    assert_eq!(listing.objects_already_done, 1);
    assert!(listing.changed.is_empty(), "{:?}", listing.changed);
}
