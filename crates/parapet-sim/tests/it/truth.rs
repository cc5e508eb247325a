//! `truth.jsonl` names real events; every scenario kind appears; background noise never forms
//! a scenario pattern on its own.

use std::collections::{BTreeMap, BTreeSet};

use parapet_model::time::parse_rfc3339_ms;
use parapet_sim::ScenarioKind;

use crate::support::{read_logs, run, small};

/// Event names only scenarios may produce.
const SCENARIO_EVENTS: &[&str] = &[
    "CreateUser",
    "CreateAccessKey",
    "AttachUserPolicy",
    "PutUserPolicy",
    "CreateGroup",
    "AddUserToGroup",
    "CreatePolicy",
    "CreatePolicyVersion",
    "DeleteAccessKey",
    "AuthorizeSecurityGroupIngress",
    "CreateNetworkAclEntry",
    "ReplaceRoute",
    "CreateRoute",
    "AttachInternetGateway",
    "CreateVpc",
    "DeleteVpc",
    "CreateInternetGateway",
    "StopLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",
    "StopConfigurationRecorder",
    "DeleteDeliveryChannel",
    "DisableKey",
    "ScheduleKeyDeletion",
    "PutBucketPolicy",
    "PutBucketAcl",
    "DeletePublicAccessBlock",
    "DeleteDetector",
];

fn secs(r: &serde_json::Value) -> i64 {
    parse_rfc3339_ms(r["eventTime"].as_str().unwrap()).unwrap() / 1000
}

/// Largest number of times within any 300-second span, per key.
fn max_in_5_minutes(events: &BTreeMap<String, Vec<i64>>) -> usize {
    let mut best = 0;
    for times in events.values() {
        let mut t = times.clone();
        t.sort_unstable();
        let mut lo = 0;
        for hi in 0..t.len() {
            while t[hi] - t[lo] >= 300 {
                lo += 1;
            }
            best = best.max(hi - lo + 1);
        }
    }
    best
}

fn failures(records: &[&serde_json::Value]) -> BTreeMap<String, Vec<i64>> {
    let mut m: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in records {
        if r["eventName"] == "ConsoleLogin" && r["responseElements"]["ConsoleLogin"] == "Failure" {
            let key = format!("{}/{}", r["recipientAccountId"], r["userIdentity"]["userName"]);
            m.entry(key).or_default().push(secs(r));
        }
    }
    m
}

fn denied(records: &[&serde_json::Value]) -> BTreeMap<String, Vec<i64>> {
    let mut m: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in records {
        if r["errorCode"]
            .as_str()
            .is_some_and(|c| c.starts_with("AccessDenied"))
        {
            m.entry(r["userIdentity"]["arn"].to_string())
                .or_default()
                .push(secs(r));
        }
    }
    m
}

#[test]
fn truth_names_real_events_and_background_stays_clean() {
    let cfg = small(8, 2, 600, 99);
    let (dir, summary) = run(&cfg);
    let logs = read_logs(dir.path());
    let text = std::fs::read_to_string(dir.path().join("truth.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len() as u64, summary.scenarios);

    let kinds: BTreeSet<&str> = lines.iter().map(|l| l["scenario"].as_str().unwrap()).collect();
    for k in ScenarioKind::ALL {
        assert!(kinds.contains(k.id()), "no {} instance", k.id());
    }
    let order: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["time"].as_str().unwrap().to_string(),
                l["account_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] <= w[1]),
        "truth is sorted by time then account"
    );

    let mut injected = BTreeSet::new();
    for l in lines.iter().filter(|l| l["table"] == "cloudtrail") {
        let ids: Vec<&str> = l["event_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(!ids.is_empty());
        let events: Vec<&serde_json::Value> = ids
            .iter()
            .map(|id| {
                logs.by_id
                    .get(*id)
                    .unwrap_or_else(|| panic!("truth names a missing event {id}"))
            })
            .collect();
        for e in &events {
            assert_eq!(e["recipientAccountId"], l["account_id"]);
        }
        assert_eq!(
            events.iter().map(|e| secs(e)).min(),
            Some(parse_rfc3339_ms(l["time"].as_str().unwrap()).unwrap() / 1000)
        );
        check_scenario(l["scenario"].as_str().unwrap(), &events, l);
        injected.extend(ids.iter().map(|s| s.to_string()));
    }

    let background: Vec<&serde_json::Value> = logs
        .by_id
        .iter()
        .filter(|(id, _)| !injected.contains(*id))
        .map(|(_, r)| r)
        .collect();
    for r in &background {
        assert_ne!(r["userIdentity"]["type"], "Root", "background root activity: {r}");
        let name = r["eventName"].as_str().unwrap();
        assert!(!SCENARIO_EVENTS.contains(&name), "background {name}: {r}");
        if name == "ConsoleLogin"
            && r["userIdentity"]["type"] == "IAMUser"
            && r["responseElements"]["ConsoleLogin"] == "Success"
        {
            assert_eq!(r["additionalEventData"]["MFAUsed"], "Yes", "{r}");
        }
    }
    assert!(max_in_5_minutes(&failures(&background)) < 3);
    assert!(max_in_5_minutes(&denied(&background)) < 10);
}

fn check_scenario(kind: &str, events: &[&serde_json::Value], line: &serde_json::Value) {
    let names: BTreeSet<&str> = events.iter().map(|e| e["eventName"].as_str().unwrap()).collect();
    let first = events[0];
    match kind {
        "root_console_login" => {
            assert!(events.iter().any(|e| e["eventName"] == "ConsoleLogin"
                && e["userIdentity"]["type"] == "Root"
                && e["userIdentity"]["arn"].as_str().unwrap().ends_with(":root")));
        }
        "console_login_failures" => {
            assert!(max_in_5_minutes(&failures(events)) >= 3, "{line}");
            assert!(events
                .iter()
                .all(|e| e["errorMessage"] == "Failed authentication"));
        }
        "console_login_without_mfa" => {
            assert_eq!(first["userIdentity"]["type"], "IAMUser");
            assert_eq!(first["additionalEventData"]["MFAUsed"], "No");
            assert_eq!(first["responseElements"]["ConsoleLogin"], "Success");
        }
        "iam_change" => {
            assert!(events
                .iter()
                .all(|e| e["eventSource"] == "iam.amazonaws.com" && e["awsRegion"] == "us-east-1"));
        }
        "sg_open_world" => {
            assert_eq!(first["eventName"], "AuthorizeSecurityGroupIngress");
            let p = &first["requestParameters"]["ipPermissions"]["items"][0];
            assert!(p["fromPort"] == 22 || p["fromPort"] == 3389);
            let v4 = &p["ipRanges"]["items"][0]["cidrIp"];
            let v6 = &p["ipv6Ranges"]["items"][0]["cidrIpv6"];
            assert!(v4 == "0.0.0.0/0" || v6 == "::/0", "{first}");
        }
        "network_change" => assert!(events.iter().all(|e| e["eventSource"] == "ec2.amazonaws.com")),
        "cloudtrail_tampering" => assert_eq!(first["eventSource"], "cloudtrail.amazonaws.com"),
        "config_recorder_stopped" => {
            assert!(names.contains("StopConfigurationRecorder") || names.contains("DeleteDeliveryChannel"))
        }
        "kms_key_disabled" => assert!(names.contains("DisableKey") || names.contains("ScheduleKeyDeletion")),
        "s3_bucket_public" => {
            assert_eq!(first["eventSource"], "s3.amazonaws.com");
            if first["eventName"] == "PutBucketPolicy" {
                assert_eq!(
                    first["requestParameters"]["bucketPolicy"]["Statement"][0]["Principal"],
                    "*"
                );
            }
        }
        "access_denied_burst" => {
            assert!(max_in_5_minutes(&denied(events)) >= 10, "{line}");
            assert!(names.len() >= 3, "several APIs: {names:?}");
        }
        "guardduty_disabled" => {
            assert_eq!(first["eventSource"], "guardduty.amazonaws.com");
            assert_eq!(first["eventName"], "DeleteDetector");
        }
        other => panic!("unknown scenario {other}"),
    }
}
