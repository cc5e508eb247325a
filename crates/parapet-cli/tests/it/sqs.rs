//! Live ingest from SQS on moto: objects put in S3 notify the queue, parapet ingests them and
//! deletes the messages; messages a dead consumer held come back and duplicates change nothing.

use crate::support::{event_ids, files_under, ok, python, query, simulate, Moto};

/// Creates the queue and the bucket that notifies it, uploads every file under `root` and
/// prints the queue URL (the tests append their own steps).
const BUCKET: &str = r#"
import sys, os, json, boto3
endpoint, root = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
s3, sqs = boto3.client("s3", **kw), boto3.client("sqs", **kw)
url = sqs.create_queue(QueueName="log-archive-events")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
s3.create_bucket(Bucket="log-archive")
s3.put_bucket_notification_configuration(Bucket="log-archive", NotificationConfiguration={
    "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
n = 0
for dirpath, _, files in os.walk(root):
    for f in sorted(files):
        path = os.path.join(dirpath, f)
        key = os.path.relpath(path, root)
        if n % 4 == 1 and "/CloudTrail/" in key:
            key = key.replace(".json.gz", " copy=1.json.gz")
        s3.upload_file(path, "log-archive", key)
        n += 1
"#;

const SETUP: &str = r#"
finding = sys.argv[3]
# A consumer receives a batch and dies without deleting it: the messages come back in 3 s.
held = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=3)["Messages"]
# The same notification delivered twice.
sqs.send_message(QueueUrl=url, MessageBody=held[0]["Body"])
# A GuardDuty finding through EventBridge, delivered twice.
event = {"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "GuardDuty Finding",
         "source": "aws.guardduty", "account": "123456789012", "time": "2024-03-01T10:00:00Z",
         "region": "us-east-1", "resources": [], "detail": json.load(open(finding))}
for _ in range(2):
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
"#;

const LEFT: &str = r#"
import sys, boto3
endpoint, url = sys.argv[1], sys.argv[2]
sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
print(int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"]))
"#;

#[test]
fn live_ingest_from_s3_notifications_and_eventbridge_events() {
    let tmp = tempfile::tempdir().expect("tmp");
    let logs = simulate(&tmp.path().join("bucket"), 4, 1, 100);
    let expected = event_ids(&logs).len() as u64;
    let moto = Moto::start();
    let finding = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/guardduty/guardduty_ec2_event.json");
    let url = python(
        &format!("{BUCKET}{SETUP}print(url)\n"),
        &[
            &moto.endpoint,
            logs.to_str().expect("utf8"),
            finding.to_str().expect("utf8"),
        ],
    )
    .trim()
    .to_string();

    let data = tmp.path().join("data");
    let parapet_on_moto = || {
        let mut cmd = moto.parapet();
        cmd.arg("--data-dir").arg(&data);
        cmd
    };
    // One account's prefix was already read by a batch run: its notifications must not add
    // those objects again.
    let account_prefix = first_account_prefix(&logs);
    let batch =
        ok(parapet_on_moto().args(["ingest", "--json", &format!("s3://log-archive/{account_prefix}")]));
    let batch: serde_json::Value = serde_json::from_str(&batch).expect("json");
    let batch_objects = batch[0]["objects_ingested"].as_u64().expect("count");
    assert!(batch_objects > 0, "{batch}");
    let out = ok(parapet_on_moto().args([
        "ingest",
        "--follow",
        "--sqs",
        &url,
        "--wait",
        "5",
        "--visibility",
        "30",
        "--rounds",
        "2",
        "--json",
    ]));
    let batches: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON batch per line"))
        .collect();
    let sum = |field: &str| {
        batches
            .iter()
            .map(|b| b[field].as_u64().expect("count"))
            .sum::<u64>()
    };
    assert!(sum("messages") > 10, "{out}");
    assert_eq!(
        sum("messages"),
        sum("deleted"),
        "every message deleted once done: {out}"
    );
    assert_eq!((sum("kept"), sum("unreadable")), (0, 0), "{out}");
    let already: u64 = batches
        .iter()
        .flat_map(|b| b["reports"].as_array().expect("reports").iter())
        .map(|r| r["objects_already_done"].as_u64().expect("count"))
        .sum();
    assert!(
        already >= batch_objects,
        "the batch run's objects were already done: {out}"
    );

    // No gap, no duplicate: every simulated event once, the finding once.
    let rows = query(
        &data,
        "SELECT count(*) AS n, count(DISTINCT eventid) AS d FROM cloudtrail",
    );
    assert_eq!(
        (rows[0]["n"].as_u64(), rows[0]["d"].as_u64()),
        (Some(expected), Some(expected))
    );
    let rows = query(&data, "SELECT count(*) AS n FROM guardduty");
    assert_eq!(rows[0]["n"].as_u64(), Some(1));
    // The queue is empty.
    assert_eq!(python(LEFT, &[&moto.endpoint, &url]).trim(), "0");
}

/// `<org>/AWSLogs/<org>/<account>/` of the first CloudTrail file of the simulated bucket.
fn first_account_prefix(root: &std::path::Path) -> String {
    let files = files_under(root);
    let key = files
        .iter()
        .map(|f| {
            f.strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .to_string()
        })
        .find(|k| k.contains("/CloudTrail/"))
        .expect("a CloudTrail file");
    let parts: Vec<&str> = key.split('/').collect();
    let at = parts.iter().position(|p| *p == "AWSLogs").expect("layout");
    format!("{}/", parts[..at + 3].join("/"))
}

/// SIGKILL of `parapet ingest --follow --sqs` mid-batch, many times: the messages it held come
/// back after their visibility timeout, and the lake ends with every record once.
#[test]
fn live_ingest_killed_mid_batch_redelivers_without_duplicates_or_gaps() {
    let tmp = tempfile::tempdir().expect("tmp");
    let logs = simulate(&tmp.path().join("bucket"), 4, 1, 300);
    let expected = event_ids(&logs).len() as u64;
    let moto = Moto::start();
    let url = python(
        &format!("{BUCKET}print(url)\n"),
        &[&moto.endpoint, logs.to_str().expect("utf8")],
    )
    .trim()
    .to_string();
    let data = tmp.path().join("data");
    // Small write buffers: many commits, so kills land before, inside and after them.
    let config = tmp.path().join("parapet.toml");
    std::fs::write(&config, "version = 1\n[ingest]\nbuffer_mb = 1\nworkers = 2\n").expect("config");
    let live = || {
        let mut cmd = moto.parapet();
        cmd.arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .args([
                "--quiet",
                "ingest",
                "--follow",
                "--sqs",
                &url,
                "--visibility",
                "10",
            ]);
        cmd
    };
    let rows = || {
        let r = query(
            &data,
            "SELECT count(*) AS n, count(DISTINCT eventid) AS d FROM cloudtrail",
        );
        (r[0]["n"].as_u64().unwrap_or(0), r[0]["d"].as_u64().unwrap_or(0))
    };
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..6 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = live().args(["--wait", "1"]).spawn().expect("spawns");
        std::thread::sleep(std::time::Duration::from_millis(300 + seed % 1200));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }
    let (n, d) = if data.join("lake").exists() {
        rows()
    } else {
        (0, 0)
    };
    let left: u64 = python(LEFT, &[&moto.endpoint, &url])
        .trim()
        .parse()
        .expect("count");
    assert_eq!(n, d, "duplicates after the kills");
    assert!(
        n < expected && left > 0,
        "the kills must land mid-work for the test to prove anything: {n} of {expected} rows, {left} messages left"
    );

    // A consumer that runs to the end. It stops after three empty receives in a row of 5 s
    // each, longer than the killed consumers' messages stay hidden (10 s at least, from their
    // last extension).
    ok(live().args(["--wait", "5", "--rounds", "3"]));
    assert_eq!(rows(), (expected, expected), "no duplicate, no gap");
    assert_eq!(python(LEFT, &[&moto.endpoint, &url]).trim(), "0");
}
