//! Detection end to end: streaming at ingest and batch `detect` reach the same findings (files
//! arriving out of order, over several runs and checkpoints); every CloudTrail scenario of the
//! simulator is found; `hunt` agrees with pySigma; `rules validate`; the findings workflow.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::{files_under, ok, parapet, run, venv_bin};

fn findings(data: &Path) -> Vec<serde_json::Value> {
    let out = ok(parapet()
        .arg("--data-dir")
        .arg(data)
        .args(["findings", "list", "--json", "--limit", "1000000"]));
    serde_json::from_str(&out).expect("findings json")
}

fn finding_events(data: &Path, id: i64) -> Vec<String> {
    let out = ok(parapet().arg("--data-dir").arg(data).args([
        "findings",
        "show",
        &id.to_string(),
        "--json",
        "--events",
        "100000",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).expect("show json");
    v["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["event_uid"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// What must agree between two runs: per dedup key, the counts, times, status and the events.
fn comparable(data: &Path) -> BTreeMap<String, (i64, i64, i64, String, BTreeSet<String>)> {
    findings(data)
        .iter()
        .map(|f| {
            let id = f["id"].as_i64().expect("id");
            (
                f["dedup_key"].as_str().expect("key").to_string(),
                (
                    f["count"].as_i64().expect("count"),
                    f["first_seen_ms"].as_i64().expect("first"),
                    f["last_seen_ms"].as_i64().expect("last"),
                    f["status"].as_str().expect("status").to_string(),
                    finding_events(data, id).into_iter().collect(),
                ),
            )
        })
        .collect()
}

/// Which built-in rules stand for each simulated scenario.
fn scenario_rules(scenario: &str) -> &'static [&'static str] {
    match scenario {
        "root_console_login" => &["aws.root_console_login"],
        "console_login_failures" => &["aws.console_login_failures_burst"],
        "console_login_without_mfa" => &["aws.console_login_without_mfa"],
        "iam_change" => &[
            "aws.iam_identity_changes",
            "aws.iam_policy_changes",
            "aws.access_key_created",
        ],
        "sg_open_world" => &["aws.security_group_changes"],
        "network_change" => &[
            "aws.nacl_changes",
            "aws.route_table_changes",
            "aws.network_gateway_changes",
            "aws.vpc_changes",
        ],
        "cloudtrail_tampering" => &["aws.cloudtrail_tampering"],
        "config_recorder_stopped" => &["aws.config_disabled"],
        "kms_key_disabled" => &["aws.kms_key_disabled_or_deleted"],
        "s3_bucket_public" => &[
            "aws.s3_bucket_policy_changes",
            "aws.s3_public_access_block_removed",
        ],
        "access_denied_burst" => &["aws.access_denied_burst"],
        "guardduty_disabled" => &["aws.guardduty_disabled"],
        other => panic!("no rule is mapped to scenario {other}"),
    }
}

#[test]
fn streaming_and_batch_detection_agree_and_find_every_cloudtrail_scenario() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bucket = tmp.path().join("bucket");
    let logs = crate::support::simulate(&bucket, 14, 3, 500);
    // Small checkpoints, so one run commits (and detects) in many transactions.
    let config = tmp.path().join("parapet.toml");
    std::fs::write(&config, "version = 1\n[ingest]\nbuffer_mb = 1\n").expect("config");
    let no_detect = tmp.path().join("nodetect.toml");
    std::fs::write(&no_detect, "version = 1\n[detect]\non_ingest = false\n").expect("config");

    // Streaming: the files arrive in two runs, interleaved in time (every other file first, so
    // the second run brings events older than the first run's).
    let live = tmp.path().join("live");
    let files = files_under(&logs);
    for (round, keep) in [0usize, 1].into_iter().enumerate() {
        for (i, f) in files.iter().enumerate() {
            if i % 2 == keep {
                let to = live.join(f.strip_prefix(&logs).expect("under logs"));
                std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
                std::fs::copy(f, &to).expect("copy");
            }
        }
        let out = ok(parapet()
            .arg("-c")
            .arg(&config)
            .arg("--data-dir")
            .arg(tmp.path().join("stream"))
            .args(["ingest", "--json"])
            .arg(&live));
        let r: serde_json::Value = serde_json::from_str(&out).expect("report");
        assert!(
            r[0]["checkpoints"].as_u64().unwrap_or(0) > 1,
            "round {round}: {}",
            r[0]
        );
        assert!(
            r[0]["detection"]["events"].as_u64().unwrap_or(0) > 0,
            "round {round}: {}",
            r[0]
        );
    }
    // Batch: the same files ingested without detection, then `detect` over the lake.
    ok(parapet()
        .arg("-c")
        .arg(&no_detect)
        .arg("--data-dir")
        .arg(tmp.path().join("batch"))
        .args(["--quiet", "ingest"])
        .arg(&logs));
    let out = ok(parapet()
        .arg("--data-dir")
        .arg(tmp.path().join("batch"))
        .args(["detect", "--json"]));
    let report: serde_json::Value = serde_json::from_str(&out).expect("detect json");
    assert!(report["new_findings"].as_u64().unwrap_or(0) > 0, "{report}");

    let stream = comparable(&tmp.path().join("stream"));
    let batch = comparable(&tmp.path().join("batch"));
    assert_eq!(
        stream.keys().collect::<Vec<_>>(),
        batch.keys().collect::<Vec<_>>()
    );
    for (k, v) in &stream {
        assert_eq!(
            Some(v),
            batch.get(k),
            "finding {k} differs between streaming and batch"
        );
    }
    // A second `detect` over the same data changes nothing.
    let again: serde_json::Value = serde_json::from_str(&ok(parapet()
        .arg("--data-dir")
        .arg(tmp.path().join("batch"))
        .args(["detect", "--json"])))
    .expect("json");
    assert_eq!(
        (again["new_findings"].as_u64(), again["new_events"].as_u64()),
        (Some(0), Some(0))
    );

    // Every CloudTrail scenario is found by its rule, with its own events.
    let truth: Vec<serde_json::Value> = std::fs::read_to_string(bucket.join("truth.jsonl"))
        .expect("truth")
        .lines()
        .map(|l| serde_json::from_str(l).expect("truth line"))
        .filter(|t: &serde_json::Value| t["table"] == "cloudtrail")
        .collect();
    assert!(truth.len() >= 12, "{} CloudTrail scenarios", truth.len());
    let data = tmp.path().join("batch");
    let all = findings(&data);
    let mut events_of: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for f in &all {
        let rule = f["rule_id"].as_str().unwrap_or_default();
        if rule != "aws.unauthorized_api_calls" && rule != "aws.console_auth_failures" {
            let id = f["id"].as_i64().expect("id");
            events_of.insert(id, finding_events(&data, id).into_iter().collect());
        }
    }
    let truth_events: BTreeSet<String> = truth
        .iter()
        .flat_map(|t| {
            t["event_ids"]
                .as_array()
                .expect("ids")
                .iter()
                .map(|e| e.as_str().unwrap_or_default().to_string())
        })
        .collect();
    for t in &truth {
        let scenario = t["scenario"].as_str().expect("scenario");
        let ids: BTreeSet<String> = t["event_ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|e| e.as_str().unwrap_or_default().to_string())
            .collect();
        let found = all.iter().any(|f| {
            scenario_rules(scenario).contains(&f["rule_id"].as_str().unwrap_or_default())
                && f["account_id"] == t["account_id"]
                && events_of
                    .get(&f["id"].as_i64().unwrap_or(-1))
                    .is_some_and(|ev| !ev.is_disjoint(&ids))
        });
        assert!(
            found,
            "scenario {scenario} in {} at {} was not found",
            t["account_id"], t["time"]
        );
    }
    // Precision of the scenario rules: every finding of theirs holds a scenario's event.
    let false_positives: Vec<String> = all
        .iter()
        .filter(|f| {
            events_of
                .get(&f["id"].as_i64().unwrap_or(-1))
                .is_some_and(|ev| ev.is_disjoint(&truth_events))
        })
        .map(|f| format!("{} {}", f["rule_id"], f["summary"]))
        .collect();
    eprintln!(
        "scenarios: {} found of {}; scenario-rule findings: {}, false positives: {}",
        truth.len(),
        truth.len(),
        events_of.len(),
        false_positives.len()
    );
    assert!(
        false_positives.is_empty(),
        "findings without a scenario event: {false_positives:#?}"
    );
}

/// A failed console sign-in by `user` at `secs` past 2026-11-10T10:00:00Z, as CloudTrail writes it.
fn failed_login(user: &str, secs: u32, id: &str) -> serde_json::Value {
    serde_json::json!({
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "accountId": "111122223333", "accessKeyId": "", "userName": user},
        "eventTime": format!("2026-11-10T10:{:02}:{:02}Z", secs / 60, secs % 60),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "Mozilla/5.0",
        "errorMessage": "Failed authentication",
        "requestParameters": null,
        "responseElements": {"ConsoleLogin": "Failure"},
        "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No", "MFAUsed": "No"},
        "eventID": id,
        "eventType": "AwsConsoleSignIn",
        "recipientAccountId": "111122223333"
    })
}

#[test]
fn a_burst_window_spanning_files_and_runs_fires_at_its_boundary_and_not_past_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    let write = |name: &str, records: Vec<serde_json::Value>| {
        std::fs::write(
            src.join(name),
            serde_json::json!({ "Records": records }).to_string(),
        )
        .expect("write");
    };
    let data = tmp.path().join("data");
    let ingest = || {
        ok(parapet()
            .arg("--data-dir")
            .arg(&data)
            .args(["--quiet", "ingest"])
            .arg(&src));
    };
    let burst = |data: &Path| -> Vec<serde_json::Value> {
        findings(data)
            .into_iter()
            .filter(|f| f["rule_id"] == "aws.console_login_failures_burst")
            .collect()
    };
    // alice: 0 s and 150 s in one file, run 1; 300 s (exactly 5 minutes after the first) in
    // another file, run 2: the window holds its end, so the third failure fires the burst.
    // bob: 0 s, 150 s, then 301 s: no 5-minute window holds three.
    write(
        "111122223333_CloudTrail_us-east-1_20261110T1000Z_a.json",
        vec![
            failed_login("alice", 0, "a1"),
            failed_login("alice", 150, "a2"),
            failed_login("bob", 0, "b1"),
            failed_login("bob", 150, "b2"),
        ],
    );
    ingest();
    assert!(burst(&data).is_empty());
    write(
        "111122223333_CloudTrail_us-east-1_20261110T1005Z_b.json",
        vec![failed_login("alice", 300, "a3"), failed_login("bob", 301, "b3")],
    );
    ingest();
    let b = burst(&data);
    assert_eq!(b.len(), 1, "{b:#?}");
    assert_eq!(
        b[0]["dedup_key"],
        "aws.console_login_failures_burst:111122223333|alice"
    );
    assert_eq!(b[0]["count"], 3);
    let events: BTreeSet<String> = finding_events(&data, b[0]["id"].as_i64().expect("id"))
        .into_iter()
        .collect();
    assert_eq!(events, ["a1", "a2", "a3"].into_iter().map(String::from).collect());
    // A late failure of bob at 200 s arrives: now 0..300 holds three of his (0, 150, 200), and
    // so does 150..450 (150, 200, 301).
    write(
        "111122223333_CloudTrail_us-east-1_20261110T1003Z_c.json",
        vec![failed_login("bob", 200, "b4")],
    );
    ingest();
    let keys: BTreeSet<String> = burst(&data)
        .iter()
        .map(|f| f["dedup_key"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        keys.contains("aws.console_login_failures_burst:111122223333|bob"),
        "{keys:?}"
    );
    let bob = burst(&data)
        .into_iter()
        .find(|f| f["dedup_key"].as_str().is_some_and(|k| k.ends_with("|bob")))
        .expect("bob");
    let events: BTreeSet<String> = finding_events(&data, bob["id"].as_i64().expect("id"))
        .into_iter()
        .collect();
    assert_eq!(
        events,
        ["b1", "b2", "b3", "b4"].into_iter().map(String::from).collect()
    );
}

#[test]
fn hunt_matches_what_pysigma_matches_on_the_attack_dataset() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "ingest"])
        .arg(testdata.join("cloudtrail/invictus")));
    let rules = testdata.join("sigma/rules/cloud/aws/cloudtrail");
    let mut checked = 0;
    for name in [
        "aws_sts_assumerole_misuse.yml",
        "aws_cloudtrail_disable_logging.yml",
        "aws_iam_backdoor_users_keys.yml",
        "aws_cloudtrail_console_login_success_without_mfa.yml",
    ] {
        let rule = rules.join(name);
        assert!(rule.exists(), "{}", rule.display());
        let out = ok(parapet()
            .arg("--data-dir")
            .arg(&data)
            .args(["hunt", "--json"])
            .arg(&rule));
        let v: serde_json::Value = serde_json::from_str(&out).expect("hunt json");
        let ours: BTreeSet<String> = v["matches"]
            .as_array()
            .expect("matches")
            .iter()
            .map(|m| m["event_id"].as_str().unwrap_or_default().to_string())
            .collect();
        // The independent evaluation, run now.
        let oracle = std::process::Command::new(venv_bin().join("python"))
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sigma_oracle.py"))
            .args(["match", "--rules"])
            .arg(&rule)
            .arg("--events")
            .arg(testdata.join("cloudtrail/invictus"))
            .arg("--status")
            .arg(tmp.path().join("status.json"))
            .output()
            .expect("oracle runs");
        assert!(
            oracle.status.success(),
            "{}",
            String::from_utf8_lossy(&oracle.stderr)
        );
        let theirs: BTreeSet<String> = String::from_utf8_lossy(&oracle.stdout)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).expect("oracle line")["event_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        assert_eq!(ours, theirs, "{name}");
        checked += ours.len();
    }
    assert!(checked >= 80, "{checked} matches compared");
}

#[test]
fn rules_validate_reports_refused_rules_and_fails() {
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sigma");
    let out = run(parapet()
        .args(["rules", "validate", "--json"])
        .arg(testdata.join("rules"))
        .arg(testdata.join("rules-placeholder")));
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["files"], 58);
    assert_eq!(v["loaded"].as_array().map(Vec::len), Some(57));
    assert_eq!(v["refused"][0]["placeholder"], "Legitimate_Countries");
    let good = ok(parapet().args(["rules", "validate"]).arg(testdata.join("rules")));
    assert!(good.contains("57 rule(s) load, 0 refused"), "{good}");
    // A broken rule names its file, rule and construct.
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(
        tmp.path().join("bad.yml"),
        "title: Bad\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|wide: x\n  condition: sel\n",
    )
    .expect("write");
    let out = run(parapet().args(["rules", "validate"]).arg(tmp.path()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("bad.yml: rule 'Bad': detection.sel.eventName|wide: modifier 'wide' is not supported"),
        "{text}"
    );
    // The built-in pack lists its rules, with the inactive ones and why.
    let list: serde_json::Value =
        serde_json::from_str(&ok(parapet().args(["rules", "list", "--json"]))).expect("json");
    let list = list.as_array().expect("array");
    assert!(list
        .iter()
        .any(|r| r["id"] == "aws.root_account_usage" && r["controls"][0] == "CloudWatch.1"));
    assert!(list.iter().any(|r| r["status"] == "inactive"
        && r["reason"]
            .as_str()
            .is_some_and(|s| s.contains("allowed_console_cidrs"))));
}

#[test]
fn findings_can_be_acknowledged_suppressed_and_resolved_with_a_reason() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    ok(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "ingest"])
        .arg(testdata.join("cloudtrail/stratus")));
    let all = findings(&data);
    assert!(
        all.iter().any(|f| f["rule_id"] == "aws.cloudtrail_tampering"),
        "{all:#?}"
    );
    let id = all
        .iter()
        .find(|f| f["rule_id"] == "aws.cloudtrail_tampering")
        .and_then(|f| f["id"].as_i64())
        .expect("id");
    let status = |args: &[&str]| -> serde_json::Value {
        serde_json::from_str(&ok(parapet()
            .arg("--data-dir")
            .arg(&data)
            .args(["findings"])
            .args(args)
            .args(["--json", "--by", "alice"])))
        .expect("json")
    };
    assert_eq!(
        status(&["ack", &id.to_string(), "-m", "looking"])["status"],
        "acknowledged"
    );
    let s = status(&[
        "suppress",
        &id.to_string(),
        "-m",
        "red team exercise",
        "--until",
        "7d",
    ]);
    assert_eq!(
        (s["status"].as_str(), s["status_by"].as_str()),
        (Some("suppressed"), Some("alice"))
    );
    assert!(s["status_until_ms"].as_i64().is_some());
    assert_eq!(
        status(&["resolve", &id.to_string(), "-m", "logging restored"])["status"],
        "resolved"
    );
    let shown: serde_json::Value = serde_json::from_str(&ok(parapet().arg("--data-dir").arg(&data).args([
        "findings",
        "show",
        &id.to_string(),
        "--json",
    ])))
    .expect("json");
    let actions: Vec<&str> = shown["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(|a| a["status"].as_str())
        .collect();
    assert_eq!(actions, ["acknowledged", "suppressed", "resolved"]);
    assert!(!shown["events"].as_array().expect("events").is_empty());
    // Filters.
    let open: Vec<serde_json::Value> =
        serde_json::from_str(&ok(parapet().arg("--data-dir").arg(&data).args([
            "findings",
            "list",
            "--status",
            "open",
            "--severity",
            "critical",
            "--json",
        ])))
        .expect("json");
    assert!(open
        .iter()
        .all(|f| f["status"] != "resolved" && f["severity"] == "critical"));
    let missing = run(parapet()
        .arg("--data-dir")
        .arg(&data)
        .args(["findings", "ack", "99999", "-m", "x"]));
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no finding 99999"));
}
