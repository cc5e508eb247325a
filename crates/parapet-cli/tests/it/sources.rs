//! Every simulated source → ingest → one table each: row counts equal what the simulator wrote,
//! every row is named after its account, and every truth line is found by SQL in its table.

use std::collections::BTreeSet;

use crate::support::{ok, parapet, query, simulate_sources};

/// Every source of the Log Archive bucket (the bills, `cost`, have their own test).
const LOG_SOURCES: &str = "cloudtrail,vpc_flow,route53_resolver,guardduty,securityhub,config_history,health";

fn count(data: &std::path::Path, sql: &str) -> u64 {
    query(data, sql)[0]["n"].as_u64().unwrap_or(u64::MAX)
}

fn quoted(ids: &[serde_json::Value]) -> String {
    ids.iter()
        .map(|v| format!("'{}'", v.as_str().expect("id").replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn every_simulated_source_lands_in_its_table_with_truth_found_by_sql() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bucket = tmp.path().join("bucket");
    let summary = simulate_sources(&bucket, 6, 3, 400, LOG_SOURCES);
    let sources = summary["sources"].as_object().expect("sources per table");
    for table in ["cloudtrail", "vpc_flow", "route53_resolver", "guardduty"] {
        assert!(
            sources
                .get(table)
                .and_then(|c| c["records"].as_u64())
                .unwrap_or(0)
                > 0,
            "the simulator wrote no {table}: {summary}"
        );
    }
    let data = tmp.path().join("data");
    let out = ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["ingest", "--json", "--accounts"])
        .arg(bucket.join("accounts.csv"))
        .arg(bucket.join("logs")));
    let reports: serde_json::Value = serde_json::from_str(&out).expect("json report");
    let r = &reports[0];
    assert_eq!(r["objects_quarantined"].as_u64(), Some(0), "{r}");
    assert_eq!(r["records_rejected"].as_u64(), Some(0), "{r}");
    let written: u64 = sources.values().map(|c| c["records"].as_u64().unwrap_or(0)).sum();
    assert_eq!(r["records"].as_u64(), Some(written), "{r}");

    let csv = std::fs::read_to_string(bucket.join("accounts.csv")).expect("csv");
    let directory = parapet_model::AccountDirectory::from_csv(&csv).expect("csv parses");
    for (table, c) in sources {
        let n = c["records"].as_u64().expect("records");
        assert_eq!(
            count(&data, &format!("SELECT count(*) AS n FROM {table}")),
            n,
            "{table}"
        );
        // Named after the account the record is about (findings are exported by the audit
        // account, but each names its member account).
        assert_eq!(
            count(
                &data,
                &format!("SELECT count(*) AS n FROM {table} WHERE account_name IS NULL")
            ),
            0,
            "{table}"
        );
        for row in query(
            &data,
            &format!("SELECT DISTINCT cloud_account_uid AS id, account_name AS name FROM {table}"),
        ) {
            let account = directory
                .get_str(row["id"].as_str().expect("id"))
                .expect("known account");
            assert_eq!(row["name"].as_str(), Some(account.name.as_str()), "{table}");
        }
    }

    // The `_latest` views hold one row per finding (or Health event): its last update.
    for (table, id) in [
        ("guardduty", "finding_info_uid"),
        ("securityhub", "finding_info_uid"),
        ("health", "event_arn"),
    ] {
        if !sources.contains_key(table) {
            continue;
        }
        let distinct = count(
            &data,
            &format!("SELECT count(*) AS n FROM (SELECT DISTINCT cloud_account_uid, {id} FROM {table})"),
        );
        assert_eq!(
            count(&data, &format!("SELECT count(*) AS n FROM {table}_latest")),
            distinct,
            "{table}"
        );
        let stale = count(
            &data,
            &format!(
                "SELECT count(*) AS n FROM {table}_latest l JOIN {table} t \
                 ON t.cloud_account_uid = l.cloud_account_uid AND t.{id} = l.{id} AND t.time > l.time"
            ),
        );
        assert_eq!(stale, 0, "{table}_latest holds an update that is not the latest");
    }

    let truth = std::fs::read_to_string(bucket.join("truth.jsonl")).expect("truth");
    let lines: Vec<serde_json::Value> = truth
        .lines()
        .map(|l| serde_json::from_str(l).expect("line"))
        .collect();
    let mut seen = BTreeSet::new();
    for l in &lines {
        let table = l["table"].as_str().expect("table");
        let scenario = l["scenario"].as_str().expect("scenario");
        let account = l["account_id"].as_str().expect("account");
        seen.insert((scenario.to_string(), table.to_string()));
        let ids = l["event_ids"].as_array().expect("event_ids");
        let found = match table {
            "cloudtrail" => {
                count(
                    &data,
                    &format!(
                        "SELECT count(DISTINCT eventid) AS n FROM cloudtrail WHERE eventid IN ({})",
                        quoted(ids)
                    ),
                ) == ids.len() as u64
            }
            "guardduty" | "securityhub" => {
                count(
                    &data,
                    &format!(
                        "SELECT count(DISTINCT finding_info_uid) AS n FROM {table} \
                     WHERE finding_info_uid IN ({}) AND cloud_account_uid = '{account}'",
                        quoted(ids)
                    ),
                ) == ids.len() as u64
            }
            "config_history" => {
                count(
                    &data,
                    &format!(
                        "SELECT count(DISTINCT resource_uid) AS n FROM config_history \
                     WHERE resource_uid IN ({}) AND cloud_account_uid = '{account}'",
                        quoted(ids)
                    ),
                ) == ids.len() as u64
            }
            "vpc_flow" => {
                let ip = l["indicator"].as_str().expect("indicator");
                count(
                    &data,
                    &format!(
                        "SELECT count(*) AS n FROM vpc_flow WHERE cloud_account_uid = '{account}' \
                         AND (src_endpoint_ip = '{ip}' OR dst_endpoint_ip = '{ip}')"
                    ),
                ) == l["records"].as_u64().expect("records")
            }
            "route53_resolver" => {
                let domain = l["indicator"].as_str().expect("indicator");
                count(
                    &data,
                    &format!(
                        "SELECT count(*) AS n FROM route53_resolver WHERE cloud_account_uid = '{account}' \
                         AND (query_hostname = '{domain}.' OR query_hostname LIKE '%.{domain}.')"
                    ),
                ) == l["records"].as_u64().expect("records")
            }
            other => panic!("truth names an unknown table {other}: {l}"),
        };
        assert!(found, "truth line not found in the lake: {l}");
    }
    // The inventory (latest Config item of each resource) shows the opened security groups.
    for l in lines
        .iter()
        .filter(|l| l["scenario"] == "sg_open_world" && l["table"] == "config_history")
    {
        let sg = l["event_ids"][0].as_str().expect("resource id");
        let rows = query(
            &data,
            &format!("SELECT configuration FROM config_inventory WHERE resource_uid = '{sg}' AND cloud_region = '{}'", l["region"].as_str().expect("region")),
        );
        let configuration = rows[0]["configuration"].as_str().expect("configuration");
        assert!(
            configuration.contains("0.0.0.0/0") || configuration.contains("::/0"),
            "{sg} is not open in the inventory: {configuration}"
        );
    }
    // GuardDuty reports each network scenario, unless that account's detector in that region
    // was deleted (the guardduty_disabled scenario) before it happened.
    let deleted = |l: &serde_json::Value| {
        lines.iter().any(|d| {
            d["scenario"] == "guardduty_disabled"
                && d["table"] == "cloudtrail"
                && d["account_id"] == l["account_id"]
                && d["region"] == l["region"]
                && d["time"].as_str() < l["time"].as_str()
        })
    };
    for l in lines
        .iter()
        .filter(|l| l["table"] == "vpc_flow" || l["table"] == "route53_resolver")
    {
        let reported = lines.iter().any(|g| {
            g["table"] == "guardduty" && g["scenario"] == l["scenario"] && g["account_id"] == l["account_id"]
        });
        assert_eq!(
            reported,
            !deleted(l),
            "GuardDuty and the network logs disagree on {l}"
        );
    }
    for (scenario, table) in [
        ("ssh_brute_force", "vpc_flow"),
        ("dns_exfiltration", "route53_resolver"),
        ("crypto_mining", "vpc_flow"),
        ("crypto_mining", "route53_resolver"),
        ("root_console_login", "guardduty"),
        ("sg_open_world", "config_history"),
        ("sg_open_world", "securityhub"),
        ("s3_bucket_public", "config_history"),
        ("s3_bucket_public", "securityhub"),
        ("guardduty_disabled", "securityhub"),
        ("config_recorder_stopped", "securityhub"),
    ] {
        assert!(
            seen.contains(&(scenario.to_string(), table.to_string())),
            "no {scenario} evidence in {table}"
        );
    }
}
