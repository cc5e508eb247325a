//! Unreadable objects go to quarantine with a reason; everything around them is kept.

use parapet_ingest::{ingest, DataDir, IngestOptions};
use parapet_model::AccountDirectory;
use parapet_sources::LocalDir;

use crate::support::{gzip, lake_rows, original_records, put, testdata};

#[test]
fn corrupt_objects_are_quarantined_with_reasons() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bucket = tmp.path().join("bucket");
    let prefix = "o-abcdefghij/AWSLogs/o-abcdefghij/123837392027/CloudTrail/us-east-1/2023/07/10";
    let good_src =
        testdata().join("invictus/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json");
    let good = std::fs::read(&good_src).expect("test file");
    let good_records = original_records(&good_src).len();
    let gz = gzip(&good);

    put(&bucket, &format!("{prefix}/a_good.json.gz"), &gz);
    put(
        &bucket,
        &format!("{prefix}/b_truncated.json.gz"),
        &gz[..gz.len() / 2],
    );
    put(
        &bucket,
        &format!("{prefix}/c_invalid.json.gz"),
        &gzip(b"{\"Records\":[{\"eventName\":\"X\",}]}"),
    );
    put(
        &bucket,
        &format!("{prefix}/d_shape.json.gz"),
        &gzip(b"{\"Records\":{\"eventName\":\"X\"}}"),
    );
    put(
        &bucket,
        &format!("{prefix}/e_binary.json.gz"),
        &gzip(&[0xff, 0xfe, 0x00, 0x01]),
    );
    // A good file with two bad records among good ones.
    let text = String::from_utf8(good.clone()).expect("utf8");
    let with_bad = text.replacen(
        "{\"Records\":[",
        "{\"Records\":[17,{\"eventName\":\"NoTime\"},",
        1,
    );
    put(
        &bucket,
        &format!("{prefix}/f_some_bad_records.json.gz"),
        &gzip(with_bad.as_bytes()),
    );
    // Recognised and skipped, never failed on.
    put(
        &bucket,
        "o-abcdefghij/AWSLogs/o-abcdefghij/123837392027/CloudTrail-Digest/us-east-1/2023/07/10/123837392027_CloudTrail-Digest_us-east-1_t_us-east-1_20230710T120000Z.json.gz",
        &gzip(b"{\"digestStartTime\":\"2023-07-10T11:00:00Z\"}"),
    );
    put(
        &bucket,
        "o-abcdefghij/AWSLogs/o-abcdefghij/123837392027/CloudTrail/us-east-1/2023/07/10/notes.txt",
        b"hello",
    );

    let data = DataDir::new(tmp.path().join("data"));
    let store = LocalDir::open(&bucket).expect("opens");
    let report = ingest(
        &store,
        &data,
        &AccountDirectory::default(),
        &IngestOptions::default(),
        &(),
    )
    .expect("runs");
    assert!(!report.is_clean());
    assert_eq!(report.objects_ingested, 2);
    assert_eq!(report.objects_quarantined, 4);
    assert_eq!(report.objects_skipped, 2, "{:?}", report.skipped);
    assert_eq!(report.records, 2 * good_records as u64);
    assert_eq!(report.records_rejected, 2);

    let reason = |name: &str| {
        report
            .quarantined
            .iter()
            .find(|q| q.key.ends_with(name))
            .map(|q| q.reason.clone())
            .unwrap_or_else(|| panic!("{name} not quarantined: {:?}", report.quarantined))
    };
    assert!(
        reason("b_truncated.json.gz").starts_with("gzip stream is corrupt or truncated"),
        "{}",
        reason("b_truncated.json.gz")
    );
    assert!(
        reason("c_invalid.json.gz").starts_with("invalid JSON at line 1 column"),
        "{}",
        reason("c_invalid.json.gz")
    );
    assert!(
        reason("d_shape.json.gz").starts_with("not a CloudTrail file: `Records` must be an array"),
        "{}",
        reason("d_shape.json.gz")
    );
    assert_eq!(
        reason("e_binary.json.gz"),
        "not UTF-8 text (invalid byte at offset 0)"
    );
    let rejected = &report.rejected[0];
    assert!(rejected.key.ends_with("f_some_bad_records.json.gz"));
    assert!(
        rejected
            .reason
            .contains("2 record(s) rejected, first: record 0: expected a JSON object"),
        "{}",
        rejected.reason
    );

    // Every good record is in the lake, once.
    assert_eq!(lake_rows(&data).len(), 2 * good_records);

    // The quarantine holds the object as read, its reason, and the rejected records.
    let ledger = data.open_store().expect("state");
    let entries = ledger.quarantine().expect("reads");
    assert_eq!(entries.len(), 5);
    for e in &entries {
        let copy = data
            .quarantine_root()
            .join(e.quarantine_path.as_deref().expect("a copy"));
        if e.key.ends_with("f_some_bad_records.json.gz") {
            let lines = std::fs::read_to_string(&copy).expect("rejects file");
            assert_eq!(lines.lines().count(), 2);
            assert!(lines.contains("\"raw\":\"17\""), "{lines}");
        } else {
            assert_eq!(
                std::fs::read(&copy).expect("copy"),
                std::fs::read(bucket.join(&e.key)).expect("original")
            );
            let note =
                std::fs::read_to_string(format!("{}.reason.json", copy.display())).expect("reason file");
            assert!(note.contains(e.reason.as_deref().expect("reason")));
        }
    }

    // A re-run does not retry quarantined objects; --retry-quarantined does, and they fail again.
    let again = ingest(
        &store,
        &data,
        &AccountDirectory::default(),
        &IngestOptions::default(),
        &(),
    )
    .expect("runs");
    assert_eq!(
        (
            again.objects_already_done,
            again.objects_quarantined,
            again.records
        ),
        (6, 0, 0)
    );
    let retry = IngestOptions {
        retry_quarantined: true,
        ..IngestOptions::default()
    };
    let again = ingest(&store, &data, &AccountDirectory::default(), &retry, &()).expect("runs");
    assert_eq!((again.objects_already_done, again.objects_quarantined), (2, 4));
    assert_eq!(lake_rows(&data).len(), 2 * good_records);
}

#[test]
fn oversized_objects_are_quarantined_not_loaded() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bucket = tmp.path().join("bucket");
    // 4 MiB of zeros compress to a few KiB: a small gzip bomb against a 1 MiB limit.
    let bomb = gzip(&vec![b' '; 4 << 20]);
    put(
        &bucket,
        "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/bomb.json.gz",
        &bomb,
    );
    let data = DataDir::new(tmp.path().join("data"));
    let options = IngestOptions {
        max_object_bytes: 1 << 20,
        ..IngestOptions::default()
    };
    let store = LocalDir::open(&bucket).expect("opens");
    let report = ingest(&store, &data, &AccountDirectory::default(), &options, &()).expect("runs");
    assert_eq!(report.objects_quarantined, 1);
    assert!(
        report.quarantined[0]
            .reason
            .contains("exceeds the limit of 1048576 bytes"),
        "{:?}",
        report.quarantined
    );
}
