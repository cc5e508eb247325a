//! Detection end to end: streaming at ingest and batch `detect` reach the same findings (files
//! arriving out of order, over several runs and checkpoints); every scenario the simulator plants
//! in CloudTrail, flow logs and DNS logs is found, with no false positive; `hunt` agrees with
//! pySigma; `rules validate`; GeoIP countries; the findings workflow.

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
    finding_evidence(data, id)
        .into_iter()
        .map(|(uid, _)| uid)
        .collect()
}

/// A finding's events: (event uid, excerpt).
fn finding_evidence(data: &Path, id: i64) -> Vec<(String, String)> {
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
        .map(|e| {
            (
                e["event_uid"].as_str().unwrap_or_default().to_string(),
                e["excerpt"].to_string(),
            )
        })
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

/// Which built-in rules stand for each simulated scenario (`testdata/scenario_rules.json`).
fn scenario_rules() -> BTreeMap<String, Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/scenario_rules.json");
    let text = std::fs::read_to_string(path).expect("scenario_rules.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("scenario rules json");
    v.as_object()
        .expect("object")
        .iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .map(|(k, rules)| {
            let rules = rules
                .as_array()
                .expect("list")
                .iter()
                .map(|r| r.as_str().expect("rule id").to_string())
                .collect();
            (k.clone(), rules)
        })
        .collect()
}

#[test]
fn streaming_and_batch_detection_agree_and_find_every_scenario() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bucket = tmp.path().join("bucket");
    crate::support::simulate_sources(&bucket, 14, 3, 500, "cloudtrail,vpc_flow,route53_resolver");
    let logs = bucket.join("logs");
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

    // Every scenario is found by its rule, with its own evidence: CloudTrail scenarios by their
    // events' ids, network ones (flow and DNS records have no id) by the address or domain every
    // record of theirs carries, in the finding's key or its events.
    let truth: Vec<serde_json::Value> = std::fs::read_to_string(bucket.join("truth.jsonl"))
        .expect("truth")
        .lines()
        .map(|l| serde_json::from_str(l).expect("truth line"))
        .filter(|t: &serde_json::Value| {
            ["cloudtrail", "vpc_flow", "route53_resolver"].contains(&t["table"].as_str().unwrap_or_default())
        })
        .collect();
    let network = |t: &serde_json::Value| t["table"] != "cloudtrail";
    assert!(
        truth.iter().filter(|t| !network(t)).count() >= 12,
        "CloudTrail scenarios: {truth:?}"
    );
    for (scenario, table) in [
        ("ssh_brute_force", "vpc_flow"),
        ("dns_exfiltration", "route53_resolver"),
        ("crypto_mining", "vpc_flow"),
        ("crypto_mining", "route53_resolver"),
    ] {
        assert!(
            truth
                .iter()
                .any(|t| t["scenario"] == scenario && t["table"] == table),
            "the simulation has no {scenario} in {table}"
        );
    }
    let data = tmp.path().join("batch");
    let all = findings(&data);
    // Evidence of the findings of scenario rules (the CIS alarms that fire on background noise
    // by design are left out): event ids, and the text of the key and the excerpts.
    let mut evidence: BTreeMap<i64, (BTreeSet<String>, String)> = BTreeMap::new();
    for f in &all {
        let rule = f["rule_id"].as_str().unwrap_or_default();
        if rule != "aws.unauthorized_api_calls" && rule != "aws.console_auth_failures" {
            let id = f["id"].as_i64().expect("id");
            let ev = finding_evidence(&data, id);
            let mut text = f["dedup_key"].as_str().unwrap_or_default().to_string();
            for (_, excerpt) in &ev {
                text.push_str(excerpt);
            }
            evidence.insert(id, (ev.into_iter().map(|(uid, _)| uid).collect(), text));
        }
    }
    let ids_of = |t: &serde_json::Value| -> BTreeSet<String> {
        t["event_ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|e| e.as_str().unwrap_or_default().to_string())
            .collect()
    };
    // Whether finding `f` holds the evidence of truth line `t`.
    let shows = |f: &serde_json::Value, t: &serde_json::Value| -> bool {
        let Some((uids, text)) = evidence.get(&f["id"].as_i64().unwrap_or(-1)) else {
            return false;
        };
        f["account_id"] == t["account_id"]
            && if network(t) {
                t["indicator"].as_str().is_some_and(|i| text.contains(i))
            } else {
                !uids.is_disjoint(&ids_of(t))
            }
    };
    let rules_of = scenario_rules();
    let mut found_per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for t in &truth {
        let scenario = t["scenario"].as_str().expect("scenario");
        let rules = rules_of
            .get(scenario)
            .unwrap_or_else(|| panic!("no rule is mapped to scenario {scenario} in scenario_rules.json"));
        let found = all
            .iter()
            .any(|f| rules.iter().any(|r| f["rule_id"] == r.as_str()) && shows(f, t));
        let e = found_per.entry(scenario).or_default();
        e.0 += usize::from(found);
        e.1 += 1;
        assert!(
            found,
            "scenario {scenario} ({}) in {} at {} was not found",
            t["table"], t["account_id"], t["time"]
        );
    }
    // Precision of the scenario rules: every finding of theirs holds a scenario's evidence.
    let false_positives: Vec<String> = all
        .iter()
        .filter(|f| evidence.contains_key(&f["id"].as_i64().unwrap_or(-1)))
        .filter(|f| !truth.iter().any(|t| shows(f, t)))
        .map(|f| format!("{} {}", f["rule_id"], f["summary"]))
        .collect();
    eprintln!(
        "recall per scenario (found/injected): {found_per:?}; scenario-rule findings: {}, false positives: {}",
        evidence.len(),
        false_positives.len()
    );
    assert!(
        false_positives.is_empty(),
        "findings without a scenario's evidence: {false_positives:#?}"
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

#[test]
fn sign_ins_from_countries_outside_the_allow_list_are_found_with_a_geoip_database() {
    let tmp = tempfile::tempdir().expect("tmp");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).expect("mkdir");
    let mmdb = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/geoip/test-country.mmdb");
    let success = |user: &str, secs: u32, ip: &str, id: &str| {
        let mut r = failed_login(user, secs, id);
        r["sourceIPAddress"] = ip.into();
        r["responseElements"]["ConsoleLogin"] = "Success".into();
        r["userIdentity"]["arn"] = format!("arn:aws:iam::111122223333:user/{user}").into();
        r.as_object_mut().expect("object").remove("errorMessage");
        r
    };
    // 203.0.113.0/24 is Japan in the test database, 192.0.2.0/24 Russia; 8.8.8.8 is unknown.
    let records = vec![
        success("alice", 0, "203.0.113.5", "geo-1"),
        success("bob", 10, "192.0.2.7", "geo-2"),
        success("carol", 20, "8.8.8.8", "geo-3"),
        failed_login("dave", 30, "geo-4"),
    ];
    let mut failed_ru = failed_login("erin", 40, "geo-5");
    failed_ru["sourceIPAddress"] = "192.0.2.9".into();
    let mut all = records;
    all.push(failed_ru);
    std::fs::write(
        src.join("111122223333_CloudTrail_us-east-1_20261110T1000Z_geo.json"),
        serde_json::json!({ "Records": all }).to_string(),
    )
    .expect("write");
    // Without a database the allow-list cannot be judged: the config is refused, by name.
    let no_db = tmp.path().join("nodb.toml");
    std::fs::write(
        &no_db,
        "version = 1\n[detect.placeholders]\nallowed_console_countries = [\"JP\"]\n",
    )
    .expect("config");
    let out = run(parapet().arg("-c").arg(&no_db).args(["rules", "list"]));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("allowed_console_countries") && err.contains("detect.geoip"),
        "{err}"
    );

    let config = tmp.path().join("parapet.toml");
    std::fs::write(
        &config,
        format!(
            "version = 1\n[detect]\ngeoip = {:?}\n[detect.placeholders]\nallowed_console_countries = [\"JP\"]\n",
            mmdb.display().to_string()
        ),
    )
    .expect("config");
    let data = tmp.path().join("data");
    ok(parapet()
        .arg("-c")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .args(["--quiet", "ingest"])
        .arg(&src));
    let geo: Vec<serde_json::Value> = findings(&data)
        .into_iter()
        .filter(|f| f["rule_id"] == "aws.console_login_outside_allowed_countries")
        .collect();
    assert_eq!(geo.len(), 1, "{geo:#?}");
    let id = geo[0]["id"].as_i64().expect("id");
    let evidence = finding_evidence(&data, id);
    assert_eq!(
        evidence.iter().map(|(uid, _)| uid.as_str()).collect::<Vec<_>>(),
        ["geo-2"]
    );
    assert!(evidence[0].1.contains("\"RU\""), "{}", evidence[0].1);
    // The batch run over the lake gives the same (nothing new).
    let again: serde_json::Value = serde_json::from_str(&ok(parapet()
        .arg("-c")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .args(["detect", "--json"])))
    .expect("json");
    assert_eq!(again["new_findings"], 0, "{again}");
}
