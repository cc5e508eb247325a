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
