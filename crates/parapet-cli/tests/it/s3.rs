//! Ingest from S3 (moto) with the Control Tower key layout, including keys that need
//! URL-encoding, exactly once across runs.

use crate::support::{event_ids, ok, python, query, simulate, Moto};

const UPLOAD: &str = r#"
import sys, os, boto3
endpoint, bucket, root = sys.argv[1], sys.argv[2], sys.argv[3]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
s3.create_bucket(Bucket=bucket)
n = 0
for dirpath, _, files in os.walk(root):
    for f in sorted(files):
        path = os.path.join(dirpath, f)
        key = "log archive/" + os.path.relpath(path, root)
        # Keys that need URL-encoding: spaces, '=', '+', non-ASCII.
        if n % 3 == 1 and "/CloudTrail/" in key:
            key = key.replace(".json.gz", " copy=1+ü.json.gz")
        s3.upload_file(path, bucket, key)
        n += 1
s3.put_object(Bucket=bucket, Key="log archive/README.txt", Body=b"not a log")
print(n)
"#;

#[test]
fn ingest_from_s3_with_control_tower_keys() {
    let tmp = tempfile::tempdir().expect("tmp");
    let logs = simulate(&tmp.path().join("bucket"), 4, 1, 200);
    let expected = event_ids(&logs).len() as u64;
    let moto = Moto::start();
    let uploaded: u64 = python(
        UPLOAD,
        &[&moto.endpoint, "log-archive", logs.to_str().expect("utf8")],
    )
    .trim()
    .parse()
    .expect("count");
    assert!(uploaded > 10);

    let data = tmp.path().join("data");
    let ingest = |extra: &[&str]| {
        let mut cmd = moto.parapet();
        cmd.arg("--data-dir")
            .arg(&data)
            .args(["ingest", "--json"])
            .args(extra)
            .arg("s3://log-archive/log archive/");
        let out = ok(&mut cmd);
        serde_json::from_str::<serde_json::Value>(&out).expect("json")
    };
    let first = ingest(&[]);
    assert_eq!(first[0]["records"].as_u64(), Some(expected), "{first}");
    assert_eq!(first[0]["objects_quarantined"].as_u64(), Some(0));
    assert!(
        first[0]["skipped"]
            .to_string()
            .contains("not a log file (expected"),
        "README.txt is skipped: {first}"
    );
    let rows = query(&data, "SELECT count(*) AS n, count(DISTINCT eventid) AS d, count(DISTINCT source_object) AS o FROM cloudtrail");
    assert_eq!(rows[0]["n"].as_u64(), Some(expected));
    assert_eq!(rows[0]["d"].as_u64(), Some(expected));
    let odd = query(
        &data,
        "SELECT count(*) AS n FROM cloudtrail WHERE source_object LIKE '% copy=1+ü.json.gz'",
    );
    assert!(
        odd[0]["n"].as_u64().unwrap_or(0) > 0,
        "keys needing URL-encoding were read"
    );

    let second = ingest(&[]);
    assert_eq!(second[0]["records"].as_u64(), Some(0));
    assert_eq!(second[0]["objects_already_done"], first[0]["objects_ingested"]);
    let rows = query(&data, "SELECT count(*) AS n FROM cloudtrail");
    assert_eq!(rows[0]["n"].as_u64(), Some(expected));
}
