//! `parapet accounts`: the registry from a snapshot file and from AWS Organizations on moto,
//! history and findings between syncs, names learned after ingest, assume-role and baseline.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{ok, parapet, query, run, simulate};

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// Data ingested before the registry knew any account shows the names once a sync has run:
/// the views read the registry; the `_ocsf` tables keep what was written.
#[test]
fn names_learned_after_ingest_show_in_queries() {
    let tmp = tempfile::tempdir().expect("tmp");
    let logs = simulate(&tmp.path().join("bucket"), 6, 1, 40);
    let data = tmp.path().join("data");
    ok(parapet().arg("--data-dir").arg(&data).arg("--quiet").arg("ingest").arg(&logs));
    let before = query(&data, "SELECT count(*) AS n FROM cloudtrail WHERE account_name IS NOT NULL");
    assert_eq!(before[0]["n"], 0, "nothing is known before the sync");

    let snapshot = tmp.path().join("bucket/organization.json");
    let report = json(&ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["accounts", "sync", "--json", "--from"])
        .arg(&snapshot)));
    assert_eq!(report["accounts"], 6);
    assert_eq!(report["first_sync"], true);
    let org: Value = json(&std::fs::read_to_string(&snapshot).expect("snapshot"));
    let mut expected = BTreeMap::new();
    for a in org["accounts"].as_array().expect("accounts") {
        expected.insert(
            a["id"].as_str().expect("id").to_string(),
            (a["name"].as_str().expect("name").to_string(), a["tags"]["team"].as_str().unwrap_or("").to_string()),
        );
    }
    let rows = query(
        &data,
        "SELECT DISTINCT accountid, account_name, account_team, account_channel FROM cloudtrail ORDER BY accountid",
    );
    assert_eq!(rows.len(), 6);
    for r in &rows {
        let (name, team) = &expected[r["accountid"].as_str().expect("id")];
        assert_eq!(r["account_name"].as_str(), Some(name.as_str()));
        assert_eq!(r["account_team"].as_str(), Some(team.as_str()));
        assert!(r["account_channel"].as_str().is_some_and(|c| c.starts_with('#')), "{r}");
    }
    let frozen = query(&data, "SELECT count(*) AS n FROM cloudtrail_ocsf WHERE account_name IS NOT NULL");
    assert_eq!(frozen[0]["n"], 0, "the files are not rewritten");
    // The registry table, for joins (also from DuckDB: lake/accounts/accounts.parquet).
    let n = query(&data, "SELECT count(*) AS n FROM accounts WHERE NOT removed");
    assert_eq!(n[0]["n"], 6);

    // list filters and show.
    let list = json(&ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["accounts", "list", "--json", "--ou", "Root/Security"])));
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names.len(), 2, "{list}");
    assert!(names.contains(&"log-archive") && names.contains(&"audit"), "{names:?}");
    let shown = json(&ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["accounts", "show", "AUDIT", "--json"])));
    assert_eq!(shown["account"]["ou"], "Root/Security");
    assert_eq!(shown["history"][0]["change"], "discovered");
    let missing = run(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["accounts", "show", "nope"]));
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no account with id or name \"nope\""),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
}

#[test]
fn a_bad_snapshot_is_named() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = tmp.path().join("org.json");
    std::fs::write(&bad, r#"{"organization": {"id": "o-1", "managementAccountId": "12"}, "organizationalUnits": [], "accounts": []}"#)
        .expect("write");
    let out = run(parapet()
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .args(["accounts", "sync", "--from"])
        .arg(&bad));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("org.json: not an organisation snapshot"), "{err}");
    assert!(err.contains("expected a 12-digit account id, found \"12\""), "{err}");
}
