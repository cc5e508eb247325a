//! Real CloudTrail files: every record lands exactly once, with its fields intact.

use std::collections::HashMap;

use parapet_ingest::{ingest, DataDir, IngestOptions};
use parapet_model::time::parse_rfc3339_ms;
use parapet_model::AccountDirectory;
use parapet_sources::LocalDir;
use serde_json::Value;

use crate::support::{lake_rows, original_records, parquet_files_on_disk, testdata};

fn s(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    match cur {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[test]
fn every_record_exactly_once_with_its_fields() {
    let root = testdata();
    // The oracle: (file key, eventID) -> original record, read with serde_json only.
    let mut expected: HashMap<(String, String), Value> = HashMap::new();
    let mut total = 0usize;
    for dir in ["invictus", "otrf", "stratus"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("dir") {
            let path = entry.expect("entry").path();
            let key = format!("{dir}/{}", path.file_name().expect("name").to_string_lossy());
            for rec in original_records(&path) {
                let id = s(&rec, &["eventID"]).expect("every test record has an eventID");
                total += 1;
                assert!(
                    expected.insert((key.clone(), id), rec).is_none(),
                    "duplicate id within {key}"
                );
            }
        }
    }
    assert_eq!(total, 2900 + 103 + 191);

    let tmp = tempfile::tempdir().expect("tmp");
    let data = DataDir::new(tmp.path().join("data"));
    let accounts = AccountDirectory::from_csv(
        "id,name,team,env,owner,ou\n123837392027,attack-lab,red,dev,lab@example.com,Root/Sandbox\n",
    )
    .expect("csv");
    let store = LocalDir::open(&root).expect("opens");
    let options = IngestOptions {
        buffer_bytes: 1 << 20,
        ..IngestOptions::default()
    };
    let report = ingest(&store, &data, &accounts, &options, &()).expect("ingest runs");
    assert_eq!(report.objects_ingested, 55 + 1 + 24);
    assert_eq!(report.records, total as u64);
    assert_eq!(
        (report.objects_quarantined, report.records_rejected),
        (0, 0),
        "{:?}",
        report.quarantined
    );
    assert!(
        report.checkpoints > 1,
        "a 1 MiB buffer must force several checkpoints"
    );
    // The LICENSE / SOURCE files beside the data are skipped with a reason, not failed.
    assert_eq!(report.objects_skipped, 6, "{:?}", report.skipped);
    assert!(report.is_clean());

    let rows = lake_rows(&data);
    assert_eq!(rows.len(), total);
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for row in &rows {
        let id = row.event_id.clone().expect("eventID kept");
        *seen.entry((row.source_object.clone(), id.clone())).or_default() += 1;
        let original = &expected[&(row.source_object.clone(), id)];
        // The original record is kept byte for byte (compared as JSON values).
        let raw: Value = serde_json::from_str(&row.raw).expect("raw is JSON");
        assert_eq!(&raw, original);
        let get = |c: &str| row.values[c].clone();
        let time = s(original, &["eventTime"])
            .or_else(|| s(original, &["@timestamp"]))
            .expect("a time");
        assert_eq!(Some(row.time), parse_rfc3339_ms(&time));
        assert_eq!(get("api_operation"), s(original, &["eventName"]));
        assert_eq!(get("api_service_name"), s(original, &["eventSource"]));
        assert_eq!(get("cloud_region"), s(original, &["awsRegion"]));
        assert_eq!(get("actor_user_type"), s(original, &["userIdentity", "type"]));
        assert_eq!(get("actor_user_uid"), s(original, &["userIdentity", "arn"]));
        assert_eq!(
            get("actor_user_credential_uid"),
            s(original, &["userIdentity", "accessKeyId"])
        );
        assert_eq!(get("status_code"), s(original, &["errorCode"]));
        assert_eq!(get("http_request_user_agent"), s(original, &["userAgent"]));
        let ip = s(original, &["sourceIPAddress"]);
        assert_eq!(get("src_endpoint_ip").or(get("src_endpoint_domain")), ip);
        assert_eq!(
            get("status").as_deref(),
            Some(if original.get("errorCode").is_some() {
                "Failure"
            } else {
                "Success"
            })
        );
        assert_eq!(get("class_uid").as_deref(), Some("6003"));
        // Partition: region / account / day of the event.
        let day = parapet_model::time::event_day(row.time);
        let account = s(original, &["recipientAccountId"]).expect("recipient account");
        let region = s(original, &["awsRegion"]).expect("region");
        assert!(
            row.path.starts_with(&format!(
                "cloudtrail/region={region}/accountId={account}/eventDay={day}/"
            )),
            "{} for {region} {account} {day}",
            row.path
        );
        assert_eq!(get("cloud_account_uid"), Some(account.clone()));
        if account == "123837392027" {
            assert_eq!(get("account_name").as_deref(), Some("attack-lab"));
            assert_eq!(get("account_ou").as_deref(), Some("Root/Sandbox"));
        } else {
            assert_eq!(get("account_name"), None);
        }
    }
    assert_eq!(seen.len(), total);
    assert!(seen.values().all(|n| *n == 1));
    // Within each file, rows are sorted by time.
    let mut by_file: HashMap<&str, Vec<i64>> = HashMap::new();
    for row in &rows {
        by_file.entry(row.path.as_str()).or_default().push(row.time);
    }
    assert!(by_file.values().all(|t| t.windows(2).all(|w| w[0] <= w[1])));
    // The ledger and the disk agree.
    assert_eq!(parquet_files_on_disk(&data).len(), by_file.len());

    // A second run reads nothing and changes nothing.
    let again = ingest(&store, &data, &accounts, &options, &()).expect("ingest runs");
    assert_eq!(
        (again.objects_ingested, again.objects_already_done, again.records),
        (0, 80, 0)
    );
    assert_eq!(lake_rows(&data).len(), total);
}
