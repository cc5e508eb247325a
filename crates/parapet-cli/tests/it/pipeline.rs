//! simulate → ingest → query / lake stats / compact, with counts computed independently.

use std::collections::BTreeMap;

use crate::support::{event_ids, ok, parapet, query, simulate};

#[test]
fn simulated_org_is_ingested_and_queryable_with_account_names() {
    let tmp = tempfile::tempdir().expect("tmp");
    let logs = simulate(&tmp.path().join("bucket"), 6, 2, 400);
    let data = tmp.path().join("data");
    let ids = event_ids(&logs);
    assert!(ids.len() > 6 * 2 * 400 / 2, "{} events", ids.len());

    let out = ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["ingest", "--json", "--accounts"])
        .arg(tmp.path().join("bucket/accounts.csv"))
        .arg(&logs));
    let reports: serde_json::Value = serde_json::from_str(&out).expect("json report");
    let r = &reports[0];
    assert_eq!(r["records"].as_u64(), Some(ids.len() as u64));
    assert_eq!(r["objects_quarantined"].as_u64(), Some(0));
    let skipped: u64 = r["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| s["objects"].as_u64().unwrap_or(0))
        .sum();
    assert!(skipped > 0, "digest files are recognised and skipped: {r}");
    assert!(r["skipped"].to_string().contains("cloudtrail_digest"));

    // Counts from SQL equal counts from the files.
    let rows = query(
        &data,
        "SELECT count(*) AS n, count(DISTINCT eventid) AS d FROM cloudtrail",
    );
    assert_eq!(rows[0]["n"].as_u64(), Some(ids.len() as u64));
    assert_eq!(rows[0]["d"].as_u64(), Some(ids.len() as u64));

    // Per eventName, against an independent count of the JSON.
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for v in raw_records(&logs) {
        *expected
            .entry(v["eventName"].as_str().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    let got: BTreeMap<String, u64> = query(
        &data,
        "SELECT eventName, count(*) AS n FROM cloudtrail GROUP BY eventName",
    )
    .into_iter()
    .map(|r| {
        (
            r["eventname"].as_str().unwrap_or_default().to_string(),
            r["n"].as_u64().unwrap_or(0),
        )
    })
    .collect();
    assert_eq!(got, expected);

    // Every row carries its account's name from accounts.csv.
    let unnamed = query(
        &data,
        "SELECT count(*) AS n FROM cloudtrail WHERE account_name IS NULL",
    );
    assert_eq!(unnamed[0]["n"].as_u64(), Some(0));
    let csv = std::fs::read_to_string(tmp.path().join("bucket/accounts.csv")).expect("csv");
    let directory = parapet_model::AccountDirectory::from_csv(&csv).expect("csv parses");
    for row in query(
        &data,
        "SELECT DISTINCT accountid, account_name, account_team FROM cloudtrail",
    ) {
        let account = directory
            .get_str(row["accountid"].as_str().expect("id"))
            .expect("known account");
        assert_eq!(row["account_name"].as_str(), Some(account.name.as_str()));
        assert_eq!(row["account_team"].as_str(), Some(account.team.as_str()));
    }

    // Partition pruning filters still answer correctly.
    let one_day = query(
        &data,
        "SELECT count(*) AS n FROM cloudtrail WHERE eventday = '20261101'",
    );
    let expected_day = raw_records(&logs)
        .iter()
        .filter(|v| {
            v["eventTime"]
                .as_str()
                .is_some_and(|t| t.starts_with("2026-11-01"))
        })
        .count() as u64;
    assert_eq!(one_day[0]["n"].as_u64(), Some(expected_day));

    // Stats agree; a second ingest adds nothing.
    let stats: serde_json::Value = serde_json::from_str(&ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["lake", "stats", "--json"])))
    .expect("json");
    assert_eq!(stats["tables"][0]["rows"].as_u64(), Some(ids.len() as u64));
    assert_eq!(stats["tables"][0]["accounts"].as_u64(), Some(6));
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "ingest"])
        .arg(&logs));
    let rows = query(&data, "SELECT count(*) AS n FROM cloudtrail");
    assert_eq!(rows[0]["n"].as_u64(), Some(ids.len() as u64));

    // Compaction keeps every row.
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "lake", "compact"]));
    let rows = query(
        &data,
        "SELECT count(*) AS n, count(DISTINCT eventid) AS d FROM cloudtrail",
    );
    assert_eq!(rows[0]["d"].as_u64(), Some(ids.len() as u64));
    assert_eq!(rows[0]["n"].as_u64(), Some(ids.len() as u64));
}

fn raw_records(logs: &std::path::Path) -> Vec<serde_json::Value> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut stack = vec![logs.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().contains("/CloudTrail/") {
                let mut text = String::new();
                flate2::read::MultiGzDecoder::new(std::fs::File::open(&p).expect("open"))
                    .read_to_string(&mut text)
                    .expect("gunzip");
                let v: serde_json::Value = serde_json::from_str(&text).expect("json");
                out.extend(v["Records"].as_array().expect("records").iter().cloned());
            }
        }
    }
    out
}
