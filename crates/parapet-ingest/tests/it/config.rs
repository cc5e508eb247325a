//! AWS Config: real configuration items in history and snapshot files land in `config_history`
//! once each, and `config_inventory` holds the latest state of each resource.

use std::collections::BTreeSet;
use std::path::Path;

use parapet_ingest::{ingest, DataDir, IngestOptions};
use parapet_model::AccountDirectory;
use parapet_sources::LocalDir;
use serde_json::{json, Value};

use crate::support::{gzip, put, sql_column, sql_count};

const ACCOUNT: &str = "111122223333";
const REGION: &str = "eu-west-1";

fn rdk_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/config/rdk")
}

/// The configuration items of a sample file, read with serde_json alone; `None` for the files
/// that are not valid JSON upstream.
fn items_of(text: &str) -> Option<Vec<Value>> {
    match serde_json::from_str::<Value>(text).ok()? {
        Value::Array(items) => Some(items),
        Value::Object(o) if o.contains_key("configurationItem") => Some(vec![o["configurationItem"].clone()]),
        v => Some(vec![v]),
    }
}

#[test]
fn history_and_snapshot_files_and_the_inventory() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bucket = tmp.path().join("bucket");
    let prefix = format!("AWSLogs/{ACCOUNT}/Config/{REGION}/2024/3/1");
    let (mut items, mut invalid, mut files) = (Vec::new(), 0u64, 0u64);
    let mut names: Vec<_> = std::fs::read_dir(rdk_dir())
        .expect("testdata")
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for path in names {
        let text = std::fs::read_to_string(&path).expect("read");
        let name = path.file_stem().expect("name").to_string_lossy().to_string();
        files += 1;
        match items_of(&text) {
            // A notification is delivered as it is; items go into a history file envelope.
            Some(found) if text.contains("ConfigurationItemChangeNotification") => {
                put(
                    &bucket,
                    &format!("{prefix}/ConfigHistory/{name}.json.gz"),
                    &gzip(text.as_bytes()),
                );
                items.extend(found);
            }
            Some(found) => {
                let file = json!({"fileVersion": "1.0", "configurationItems": found});
                put(
                    &bucket,
                    &format!("{prefix}/ConfigHistory/{name}.json.gz"),
                    &gzip(file.to_string().as_bytes()),
                );
                items.extend(found);
            }
            None => {
                put(
                    &bucket,
                    &format!("{prefix}/ConfigHistory/{name}.json.gz"),
                    &gzip(text.as_bytes()),
                );
                invalid += 1;
            }
        }
    }
    assert_eq!((files, items.len(), invalid), (80, 78, 2));
    // One upstream item has a Python repr as its capture time; AWS never writes that, and
    // parapet rejects the record (not the file) with the reason.
    let python_time = |i: &Value| {
        i["configurationItemCaptureTime"]
            .as_str()
            .is_some_and(|t| t.starts_with("datetime.datetime("))
    };
    assert_eq!(items.iter().filter(|i| python_time(i)).count(), 1);
    let good = 78 - 1;
    // One snapshot of every item, and the delivery check file Config writes.
    let snapshot = json!({"fileVersion": "1.0", "configSnapshotId": "snap-1", "configurationItems": items});
    put(
        &bucket,
        &format!("{prefix}/ConfigSnapshot/snapshot.json.gz"),
        &gzip(snapshot.to_string().as_bytes()),
    );
    put(
        &bucket,
        &format!("AWSLogs/{ACCOUNT}/Config/ConfigWritabilityCheckFile"),
        b"",
    );

    let data = DataDir::new(tmp.path().join("data"));
    let accounts = AccountDirectory::from_csv(&format!(
        "id,name,team,env,owner,ou\n{ACCOUNT},log-archive,platform,prod,ops@example.com,Root/Security\n"
    ))
    .expect("csv");
    let store = LocalDir::open(&bucket).expect("opens");
    let report = ingest(&store, &data, &accounts, &IngestOptions::default(), &()).expect("ingest runs");
    assert_eq!(report.objects_ingested, 78 + 1, "{report:#?}");
    assert_eq!(report.objects_quarantined, 2, "{:#?}", report.quarantined);
    assert_eq!(report.records_rejected, 2, "{:#?}", report.rejected);
    assert!(report.rejected.iter().all(|r| r
        .reason
        .contains("`configurationItemCaptureTime` is not an RFC 3339 time")));
    assert_eq!(report.records, 2 * good);
    assert!(report
        .quarantined
        .iter()
        .all(|q| q.reason.starts_with("invalid JSON at line")));
    assert!(report
        .skipped
        .iter()
        .any(|s| s.kind == "config" && s.reason.contains("delivery check file")));

    // Every item once per file that carries it, with its fields.
    assert_eq!(sql_count(&data, "SELECT count(*) FROM config_history"), 2 * good);
    assert_eq!(
        sql_count(
            &data,
            "SELECT count(*) FROM config_history WHERE delivery = 'snapshot' AND snapshot_id = 'snap-1'"
        ),
        good
    );
    let types: BTreeSet<String> = items
        .iter()
        .filter(|i| !python_time(i))
        .map(|i| i["resourceType"].as_str().expect("type").to_string())
        .collect();
    let lake_types: BTreeSet<String> = sql_column(&data, "SELECT DISTINCT resourcetype FROM config_history")
        .into_iter()
        .collect();
    assert_eq!(lake_types, types);
    // The open security group of the sample keeps its configuration as JSON text.
    let open = sql_column(
        &data,
        "SELECT configuration FROM config_history WHERE resourceid = 'sg-1d56fc66' AND delivery = 'history'",
    );
    assert_eq!(open.len(), 1);
    assert!(open[0].contains("0.0.0.0/0"), "{}", open[0]);

    // The inventory: one row per resource (account, region, type, id), deletions left out.
    let key_of = |i: &Value| {
        let s = |k: &str| i.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
        let account = s("awsAccountId")
            .or(s("accountId"))
            .filter(|a| a.len() == 12 && a.bytes().all(|c| c.is_ascii_digit()))
            .unwrap_or(ACCOUNT);
        let region = s("awsRegion").unwrap_or(REGION);
        (
            account.to_string(),
            region.to_string(),
            s("resourceType").unwrap_or("").to_string(),
            s("resourceId").unwrap_or("").to_string(),
        )
    };
    let deleted = |i: &Value| {
        matches!(
            i.get("configurationItemStatus").and_then(Value::as_str),
            Some("ResourceDeleted") | Some("ResourceDeletedNotRecorded")
        )
    };
    let live: BTreeSet<_> = items
        .iter()
        .filter(|i| !deleted(i) && !python_time(i))
        .map(key_of)
        .collect();
    assert_eq!(
        sql_count(&data, "SELECT count(*) FROM config_inventory"),
        live.len() as u64
    );
    // Names from the account directory, for the key's account.
    assert_eq!(
        sql_column(
            &data,
            &format!("SELECT DISTINCT account_name FROM config_history WHERE accountid = '{ACCOUNT}'")
        ),
        ["log-archive"]
    );

    // A second run finds nothing new.
    let again = ingest(&store, &data, &accounts, &IngestOptions::default(), &()).expect("ingest runs");
    assert_eq!((again.objects_ingested, again.records), (0, 0));
    assert_eq!(sql_count(&data, "SELECT count(*) FROM config_history"), 2 * good);
}

#[test]
fn the_inventory_keeps_the_latest_state_whatever_the_delivery_order() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bucket = tmp.path().join("bucket");
    let item = |id: &str, time: &str, status: &str, port: u16| {
        json!({"configurationItemCaptureTime": time, "configurationItemStatus": status,
               "awsAccountId": ACCOUNT, "awsRegion": REGION, "resourceType": "AWS::EC2::SecurityGroup",
               "resourceId": id, "configuration": {"ipPermissions": [{"fromPort": port}]}})
    };
    let file = |items: Vec<Value>| {
        gzip(
            json!({"fileVersion": "1.0", "configurationItems": items})
                .to_string()
                .as_bytes(),
        )
    };
    let dir = format!("AWSLogs/{ACCOUNT}/Config/{REGION}/2024/3");
    // The later file sorts first: the lister meets the newest state before the oldest.
    put(
        &bucket,
        &format!("{dir}/1/ConfigHistory/b.json.gz"),
        &file(vec![
            item("sg-a", "2024-03-02T00:00:00Z", "OK", 443),
            item("sg-b", "2024-03-02T00:00:00Z", "ResourceDeleted", 22),
        ]),
    );
    put(
        &bucket,
        &format!("{dir}/2/ConfigHistory/a.json.gz"),
        &file(vec![
            item("sg-a", "2024-03-01T00:00:00Z", "ResourceDiscovered", 22),
            item("sg-b", "2024-03-01T00:00:00Z", "ResourceDiscovered", 22),
            item("sg-c", "2024-03-01T00:00:00Z", "ResourceDiscovered", 3389),
        ]),
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
    assert!(report.is_clean(), "{report:#?}");
    assert_eq!(
        sql_column(
            &data,
            "SELECT resourceid || ':' || configuration FROM config_inventory ORDER BY 1"
        ),
        [
            r#"sg-a:{"ipPermissions":[{"fromPort":443}]}"#,
            r#"sg-c:{"ipPermissions":[{"fromPort":3389}]}"#
        ]
    );
}
