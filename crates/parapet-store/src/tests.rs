//! Ledger behaviour.

use super::*;

fn object(key: &str, status: ObjectStatus) -> ObjectRecord {
    ObjectRecord {
        source: "file:///logs".into(),
        key: key.into(),
        size: 10,
        etag: None,
        kind: "cloudtrail".into(),
        status,
        records: 3,
        rejected: u64::from(status == ObjectStatus::Quarantined),
        reason: (status == ObjectStatus::Quarantined).then(|| "bad gzip".to_string()),
        quarantine_path: None,
    }
}

fn file(path: &str) -> FileRecord {
    FileRecord {
        table: "cloudtrail".into(),
        partition: "region=r/accountId=a/eventDay=20240101".into(),
        path: path.into(),
        staged_path: format!("_staging/{path}.tmp"),
        rows: 3,
        bytes: 100,
        min_time_ms: Some(1),
        max_time_ms: Some(2),
    }
}

#[test]
fn a_batch_is_all_or_nothing_and_publishes() {
    let mut s = Store::open_in_memory().expect("opens");
    let id = s
        .commit_batch(&BatchCommit {
            kind: "ingest".into(),
            objects: vec![
                object("a", ObjectStatus::Ingested),
                object("b", ObjectStatus::Quarantined),
            ],
            files: vec![file("f1.parquet")],
            replaces: vec![],
        })
        .expect("commits");
    assert!(s.object("file:///logs", "a").expect("reads").is_some());
    assert_eq!(s.pending_files().expect("reads").len(), 1);
    assert_eq!(s.staged_paths().expect("reads"), ["_staging/f1.parquet.tmp"]);
    assert!(s.live_files(None).expect("reads").is_empty());
    s.mark_published(id).expect("publishes");
    assert!(s.pending_files().expect("reads").is_empty());
    assert_eq!(s.live_files(Some("cloudtrail")).expect("reads").len(), 1);
    assert_eq!(s.object_totals().expect("reads"), (1, 1, 6, 1));
    assert_eq!(s.quarantine().expect("reads").len(), 1);

    // A duplicate object makes the whole batch fail and leaves nothing behind.
    let err = s.commit_batch(&BatchCommit {
        kind: "ingest".into(),
        objects: vec![
            object("c", ObjectStatus::Ingested),
            object("a", ObjectStatus::Ingested),
        ],
        files: vec![file("f2.parquet")],
        replaces: vec![],
    });
    assert!(err.is_err());
    assert!(s.object("file:///logs", "c").expect("reads").is_none());
    assert_eq!(s.live_files(None).expect("reads").len(), 1);
    assert!(s.pending_files().expect("reads").is_empty());
}

#[test]
fn compaction_replaces_files() {
    let mut s = Store::open_in_memory().expect("opens");
    let id = s
        .commit_batch(&BatchCommit {
            kind: "ingest".into(),
            objects: vec![],
            files: vec![file("f1.parquet"), file("f2.parquet")],
            replaces: vec![],
        })
        .expect("commits");
    s.mark_published(id).expect("publishes");
    let id = s
        .commit_batch(&BatchCommit {
            kind: "compact".into(),
            objects: vec![],
            files: vec![file("f3.parquet")],
            replaces: vec!["f1.parquet".into(), "f2.parquet".into()],
        })
        .expect("commits");
    let pending = s.pending_files().expect("reads");
    let states: Vec<(&str, FileState)> = pending.iter().map(|p| (p.path.as_str(), p.state)).collect();
    assert_eq!(
        states,
        [
            ("f1.parquet", FileState::Retiring),
            ("f2.parquet", FileState::Retiring),
            ("f3.parquet", FileState::Staged)
        ]
    );
    assert_eq!(s.unpublished_batches().expect("reads"), [id]);
    s.mark_published(id).expect("publishes");
    let live: Vec<String> = s
        .live_files(None)
        .expect("reads")
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(live, ["f3.parquet"]);
}

#[test]
fn reopening_keeps_state_and_schema() {
    let dir = std::env::temp_dir().join(format!("parapet-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("state.db");
    {
        let mut s = Store::open(&path).expect("opens");
        s.commit_batch(&BatchCommit {
            kind: "ingest".into(),
            objects: vec![object("a", ObjectStatus::Ingested)],
            ..BatchCommit::default()
        })
        .expect("commits");
    }
    let s = Store::open(&path).expect("reopens");
    assert!(s.object("file:///logs", "a").expect("reads").is_some());
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
