//! GuardDuty, Security Hub and Health samples laid out as a Log Archive bucket would hold them
//! (GuardDuty's own export layout; parapet's `SecurityHub`/`Health` folders), ingested, then
//! read back with SQL: every finding and event lands once in its table, enriched.

use std::path::{Path, PathBuf};

use parapet_ingest::{ingest, DataDir, IngestOptions};
use parapet_lake::arrow::array::{Array, AsArray, RecordBatch};
use parapet_lake::arrow::datatypes::{Int32Type, Int64Type};
use parapet_lake::LakeSession;
use parapet_model::AccountDirectory;
use parapet_sources::LocalDir;
use serde_json::Value;

use crate::support::{gzip, put};

fn samples(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(dir)
}

/// A JSON document on one line (as GuardDuty's export writes each finding).
fn one_line(path: &Path) -> String {
    let v: Value = serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json");
    v.to_string()
}

fn non_empty_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
}

/// Lays the samples out under `root`; returns the independent counts (GuardDuty findings,
/// Security Hub findings, Health events) and the number of objects.
fn lay_out(root: &Path) -> (usize, usize, usize, u64) {
    let gd = samples("guardduty");
    let gd_key = "AWSLogs/123456789012/GuardDuty/us-east-1/2024/01/02";
    let panther = gd.join("panther_findings.jsonl");
    put(
        root,
        &format!("{gd_key}/6d3f1c2e-0000-4000-8000-000000000001.jsonl.gz"),
        &gzip(&std::fs::read(&panther).expect("read")),
    );
    let bare: Vec<String> = [
        "guardduty_ec2_event.json",
        "guardduty_iam_event.json",
        "guardduty_s3_event.json",
    ]
    .iter()
    .map(|f| one_line(&gd.join(f)))
    .collect();
    put(
        root,
        &format!("{gd_key}/6d3f1c2e-0000-4000-8000-000000000002.jsonl.gz"),
        &gzip(bare.join("\n").as_bytes()),
    );
    // The trimmed EventBridge event, as it is (no accountId: the key's account is used).
    put(
        root,
        &format!("{gd_key}/6d3f1c2e-0000-4000-8000-000000000003.json"),
        &std::fs::read(gd.join("gd2acl_test_event.json")).expect("read"),
    );
    let guardduty = non_empty_lines(&panther) + bare.len() + 1;

    let sh = samples("securityhub");
    let index = std::fs::read_to_string(sh.join("index.ndjson")).expect("index");
    let mut securityhub = 0;
    let mut objects = 3;
    for line in index.lines() {
        let entry: Value = serde_json::from_str(line).expect("index line");
        let file = entry["file"].as_str().expect("file");
        securityhub += entry["findings"].as_u64().expect("findings") as usize;
        let name = file.replace('/', "_");
        put(
            root,
            &format!("AWSLogs/111111111111/SecurityHub/us-east-1/2024/01/02/{name}"),
            &std::fs::read(sh.join(file)).expect("read"),
        );
        objects += 1;
    }

    let health = samples("health").join("health_events.ndjson");
    put(
        root,
        "AWSLogs/123456789012/Health/us-east-1/2024/01/02/events-1.jsonl.gz",
        &gzip(&std::fs::read(&health).expect("read")),
    );
    (guardduty, securityhub, non_empty_lines(&health), objects + 1)
}

fn query(data: &DataDir, sql: &str) -> Vec<RecordBatch> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let session = LakeSession::open(&data.lake_root()).await.expect("session");
        session.sql(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
    })
}

fn count(data: &DataDir, sql: &str) -> i64 {
    let batches = query(data, sql);
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

fn one_string(data: &DataDir, sql: &str) -> Option<String> {
    let batches = query(data, sql);
    let col = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .expect("a row")
        .column(0)
        .clone();
    (!col.is_null(0)).then(|| col.as_string::<i32>().value(0).to_string())
}

fn one_i32(data: &DataDir, sql: &str) -> i32 {
    let batches = query(data, sql);
    let b = batches.iter().find(|b| b.num_rows() > 0).expect("a row");
    b.column(0).as_primitive::<Int32Type>().value(0)
}

#[test]
fn findings_and_health_events_land_in_their_tables() {
    let tmp = tempfile::tempdir().expect("tmp");
    let logs = tmp.path().join("logs");
    let (guardduty, securityhub, health, objects) = lay_out(&logs);
    assert_eq!((guardduty, securityhub, health, objects), (12, 23, 8, 25));

    let data = DataDir::new(tmp.path().join("data"));
    let accounts = AccountDirectory::from_csv(
        "id,name,team,env,owner,ou\n\
         123456789012,samples,sec,prod,sec@example.com,Root/Security\n\
         111111111111,asr-lab,sec,dev,sec@example.com,Root/Sandbox\n\
         111122223333,asr-other,sec,dev,sec@example.com,Root/Sandbox\n",
    )
    .expect("csv");
    let store = LocalDir::open(&logs).expect("opens");
    let report = ingest(&store, &data, &accounts, &IngestOptions::default(), &()).expect("ingest");
    assert_eq!(
        (report.objects_quarantined, report.records_rejected),
        (0, 0),
        "{:?} {:?}",
        report.quarantined,
        report.rejected
    );
    assert_eq!(report.objects_ingested, objects);
    assert_eq!(report.records, (guardduty + securityhub + health) as u64);

    for (table, expected) in [
        ("guardduty", guardduty),
        ("securityhub", securityhub),
        ("health", health),
    ] {
        assert_eq!(
            count(&data, &format!("SELECT count(*) FROM {table}")),
            expected as i64,
            "{table}"
        );
        assert_eq!(
            count(
                &data,
                &format!("SELECT count(*) FROM {table} WHERE account_name IS NULL")
            ),
            0,
            "{table}: every row's account is in the directory"
        );
    }

    // A known GuardDuty finding (severity 5: Medium), by its native names.
    let id = "16afba5c5c43e07c9e3e5e2e544e95df";
    assert_eq!(
        one_i32(
            &data,
            &format!("SELECT severity_id FROM guardduty WHERE id = '{id}'")
        ),
        3
    );
    assert_eq!(
        one_string(&data, &format!("SELECT type FROM guardduty WHERE id = '{id}'")).as_deref(),
        Some("Canary:EC2/Stateless.IntegTest")
    );
    assert_eq!(
        one_string(
            &data,
            &format!("SELECT account_name FROM guardduty WHERE id = '{id}'")
        )
        .as_deref(),
        Some("samples")
    );
    // Panther's "critical" test findings are severity 9: Critical.
    assert_eq!(
        count(
            &data,
            "SELECT count(*) FROM guardduty WHERE severity_id = 5 AND severity = 'Critical'"
        ),
        2
    );
    // The trimmed event has no account of its own: the key's.
    assert_eq!(
        one_string(
            &data,
            "SELECT accountid FROM guardduty WHERE id = '02be5693b63eea1d67e6f321c6aee4f3'"
        )
        .as_deref(),
        Some("123456789012")
    );

    // Security Hub: the CRITICAL RDS.1 control finding, and the raw column is the finding.
    assert_eq!(
        one_i32(
            &data,
            "SELECT severity_id FROM securityhub WHERE compliance_control = 'RDS.1'"
        ),
        5
    );
    let raw = one_string(
        &data,
        "SELECT raw FROM securityhub WHERE compliance_control = 'RDS.1'",
    )
    .expect("raw");
    let raw: Value = serde_json::from_str(&raw).expect("raw is JSON");
    assert_eq!(raw["Severity"]["Label"], "CRITICAL");
    assert_eq!(
        count(&data, "SELECT count(*) FROM securityhub WHERE class_uid = 2003"),
        securityhub as i64
    );

    // Health: RFC 1123 times, and the ECS event's lastUpdatedTime is its time.
    assert_eq!(
        count(
            &data,
            "SELECT count(*) FROM health WHERE eventtypecode = 'AWS_ECS_TASK_PATCHING_RETIREMENT' \
             AND time = last_updated_time AND event_scope_code = 'ACCOUNT_SPECIFIC'"
        ),
        1
    );
    assert_eq!(
        count(
            &data,
            "SELECT count(*) FROM health WHERE time_dt = TIMESTAMP '2016-06-05T15:10:09Z'"
        ),
        2
    );

    // A second run finds nothing new and the tables hold the same rows.
    let again = ingest(&store, &data, &accounts, &IngestOptions::default(), &()).expect("ingest");
    assert_eq!((again.objects_ingested, again.records), (0, 0));
    assert_eq!(again.objects_already_done, objects);
    for (table, expected) in [
        ("guardduty", guardduty),
        ("securityhub", securityhub),
        ("health", health),
    ] {
        assert_eq!(
            count(&data, &format!("SELECT count(*) FROM {table}")),
            expected as i64,
            "{table}"
        );
    }
}
