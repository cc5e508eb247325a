//! The lake read as-is by DuckDB (the way a user outgrows parapet) gives the same answers.

use crate::support::{event_ids, ok, parapet, python, query, simulate};

const SCRIPT: &str = r#"
import sys, duckdb, json
lake = sys.argv[1]
con = duckdb.connect()
rel = f"read_parquet('{lake}/cloudtrail/*/*/*/*.parquet', hive_partitioning = true)"
total, distinct = con.execute(f"SELECT count(*), count(DISTINCT metadata_uid) FROM {rel}").fetchone()
by_account = dict(con.execute(f"SELECT accountId, count(*) FROM {rel} GROUP BY 1").fetchall())
by_name = dict(con.execute(f"SELECT api_operation, count(*) FROM {rel} GROUP BY 1").fetchall())
types = dict((r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT time, time_dt, raw FROM {rel}").fetchall())
print(json.dumps({"total": total, "distinct": distinct, "by_account": {str(k): v for k, v in by_account.items()}, "by_name": by_name, "types": types}))
"#;

#[test]
fn duckdb_reads_the_lake_and_agrees() {
    let tmp = tempfile::tempdir().expect("tmp");
    let logs = simulate(&tmp.path().join("bucket"), 5, 1, 500);
    let data = tmp.path().join("data");
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "ingest"])
        .arg(&logs));
    let expected = event_ids(&logs).len() as u64;

    let lake = data.join("lake");
    let out = python(SCRIPT, &[lake.to_str().expect("utf8 path")]);
    let duck: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(duck["total"].as_u64(), Some(expected));
    assert_eq!(duck["distinct"].as_u64(), Some(expected));
    // `time` is epoch milliseconds as an integer, `time_dt` a real timestamp.
    assert_eq!(duck["types"]["time"].as_str(), Some("BIGINT"));
    assert!(
        duck["types"]["time_dt"]
            .as_str()
            .is_some_and(|t| t.starts_with("TIMESTAMP")),
        "{}",
        duck["types"]
    );

    for row in query(
        &data,
        "SELECT accountid, count(*) AS n FROM cloudtrail GROUP BY accountid",
    ) {
        let id = row["accountid"].as_str().expect("id");
        assert_eq!(duck["by_account"][id].as_u64(), row["n"].as_u64(), "account {id}");
    }
    for row in query(
        &data,
        "SELECT eventname, count(*) AS n FROM cloudtrail GROUP BY eventname",
    ) {
        let name = row["eventname"].as_str().expect("name");
        assert_eq!(
            duck["by_name"][name].as_u64(),
            row["n"].as_u64(),
            "eventName {name}"
        );
    }
}

/// DuckDB parses the raw flow log and Resolver query log files itself.
const RAW: &str = r#"
import sys, duckdb, json
logs = sys.argv[1]
con = duckdb.connect()
flow = f"read_csv('{logs}/*/AWSLogs/*/vpcflowlogs/*/*/*/*/*.log.gz', delim=' ', header=true, all_varchar=true)"
flows = con.execute(f'SELECT "account-id", "action", "log-status", count(*), sum(CASE WHEN bytes = \'-\' THEN 0 ELSE bytes::BIGINT END) FROM {flow} GROUP BY ALL').fetchall()
dns = f"read_json('{logs}/*/AWSLogs/*/vpcdnsquerylogs/*/*/*/*/*.log.gz', format='newline_delimited')"
queries = con.execute(f"SELECT account_id, rcode, count(*) FROM {dns} GROUP BY ALL").fetchall()
print(json.dumps({
    "flows": {f"{a}/{act}/{st}": [n, int(b)] for a, act, st, n, b in flows},
    "dns": {f"{a}/{r}": n for a, r, n in queries},
}))
"#;

#[test]
fn duckdb_reading_the_raw_flow_and_dns_logs_agrees_with_the_lake() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bucket = tmp.path().join("bucket");
    crate::support::simulate_sources(&bucket, 4, 1, 600, "vpc_flow,route53_resolver");
    let logs = bucket.join("logs");
    let data = tmp.path().join("data");
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "ingest"])
        .arg(&logs));
    let out = python(RAW, &[logs.to_str().expect("utf8 path")]);
    let duck: serde_json::Value = serde_json::from_str(out.trim()).expect("json");

    let mut ours = serde_json::Map::new();
    for row in query(
        &data,
        "SELECT account_id, coalesce(action, '-') AS action, log_status, count(*) AS n, \
         coalesce(sum(bytes), 0) AS b FROM vpc_flow GROUP BY 1, 2, 3",
    ) {
        let key = format!(
            "{}/{}/{}",
            row["account_id"].as_str().expect("account"),
            row["action"].as_str().expect("action"),
            row["log_status"].as_str().expect("status")
        );
        ours.insert(key, serde_json::json!([row["n"], row["b"]]));
    }
    assert!(ours.len() > 4, "{ours:?}");
    assert_eq!(serde_json::Value::Object(ours), duck["flows"]);

    let mut ours = serde_json::Map::new();
    for row in query(
        &data,
        "SELECT account_id, rcode, count(*) AS n FROM route53_resolver GROUP BY 1, 2",
    ) {
        let key = format!(
            "{}/{}",
            row["account_id"].as_str().expect("account"),
            row["rcode"].as_str().expect("rcode")
        );
        ours.insert(key, row["n"].clone());
    }
    assert!(ours.len() >= 4, "{ours:?}");
    assert_eq!(serde_json::Value::Object(ours), duck["dns"]);
}
