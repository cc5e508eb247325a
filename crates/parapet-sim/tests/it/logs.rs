//! Log files: valid gzip JSON, records in their file's account, region, window and day, in
//! time order, with unique event ids and a realistic mix.

use std::collections::{BTreeMap, BTreeSet};

use parapet_model::time::{event_day, parse_rfc3339_ms};

use crate::support::{files, read_logs, run, small, window_start};

fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    s.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
        && s.bytes()
            .all(|c| c == b'-' || c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

#[test]
fn every_record_belongs_to_its_file() {
    let cfg = small(6, 2, 300, 11);
    let (dir, summary) = run(&cfg);
    let logs = read_logs(dir.path());
    assert_eq!(summary.log_files, logs.files.len() as u64);
    assert_eq!(summary.digest_files, logs.digests.len() as u64);
    assert_eq!(summary.events, logs.by_id.len() as u64);
    assert!(summary.events >= 6 * 2 * 200, "{summary:?}");
    let total: u64 = files(dir.path())
        .iter()
        .map(|f| std::fs::metadata(dir.path().join(f)).unwrap().len())
        .sum();
    assert_eq!(summary.bytes_written, total);

    for (key, records) in &logs.files {
        let start = window_start(key.stamp);
        let mut previous = String::new();
        for r in records {
            for field in [
                "eventVersion",
                "userIdentity",
                "eventTime",
                "eventSource",
                "eventName",
                "awsRegion",
                "sourceIPAddress",
                "userAgent",
                "eventID",
                "eventType",
                "recipientAccountId",
            ] {
                assert!(!r[field].is_null(), "{field} missing in {}: {r}", key.key);
            }
            assert_eq!(r["recipientAccountId"], key.account.as_str(), "{}", key.key);
            assert_eq!(r["awsRegion"], key.region.as_str(), "{}", key.key);
            assert_eq!(r["managementEvent"], true);
            assert_eq!(r["eventCategory"], "Management");
            assert!(r["readOnly"].is_boolean());
            assert!(is_uuid_v4(r["eventID"].as_str().unwrap()), "{}", r["eventID"]);
            let time = r["eventTime"].as_str().unwrap();
            assert!(time.len() == 20 && time.ends_with('Z'), "{time}");
            let secs = parse_rfc3339_ms(time).unwrap() / 1000;
            assert!(
                (start..start + 300).contains(&secs),
                "{time} outside the window of {}",
                key.key
            );
            assert_eq!(event_day(secs * 1000).to_string(), key.day);
            assert!(previous.as_str() <= time, "records out of order in {}", key.key);
            previous = time.to_string();
            let source = r["eventSource"].as_str().unwrap();
            if [
                "iam.amazonaws.com",
                "sts.amazonaws.com",
                "organizations.amazonaws.com",
                "signin.amazonaws.com",
            ]
            .contains(&source)
            {
                assert_eq!(
                    key.region, "us-east-1",
                    "global service {source} logged in {}",
                    key.region
                );
            }
        }
    }
}

#[test]
fn background_mix_is_realistic() {
    let cfg = small(8, 1, 2000, 5);
    let (dir, _) = run(&cfg);
    let logs = read_logs(dir.path());
    let n = logs.by_id.len() as f64;
    let count = |f: &dyn Fn(&serde_json::Value) -> bool| logs.by_id.values().filter(|r| f(r)).count() as f64;
    let read_only = count(&|r| r["readOnly"] == true) / n;
    let errors = count(&|r| !r["errorCode"].is_null()) / n;
    let assume = count(&|r| r["eventName"] == "AssumeRole") / n;
    let kms = count(&|r| r["eventSource"] == "kms.amazonaws.com") / n;
    assert!((0.6..0.9).contains(&read_only), "read-only {read_only}");
    assert!((0.01..0.06).contains(&errors), "errors {errors}");
    assert!((0.05..0.2).contains(&assume), "AssumeRole {assume}");
    assert!((0.03..0.2).contains(&kms), "KMS {kms}");
    assert!(count(&|r| r["eventName"] == "ConsoleLogin" && r["eventType"] == "AwsConsoleSignIn") >= 3.0);

    let types: BTreeSet<&str> = logs
        .by_id
        .values()
        .filter_map(|r| r["userIdentity"]["type"].as_str())
        .collect();
    for t in ["AssumedRole", "AWSService"] {
        assert!(types.contains(t), "no {t} in {types:?}");
    }
    let codes: BTreeSet<&str> = logs
        .by_id
        .values()
        .filter_map(|r| r["errorCode"].as_str())
        .collect();
    assert!(codes.len() >= 4, "{codes:?}");

    // People work in the daytime of their home region: the busiest 12 UTC hours of
    // Identity Center sessions hold most of them.
    let mut per_account_hour: BTreeMap<(String, i64), usize> = BTreeMap::new();
    for r in logs.by_id.values() {
        let arn = r["userIdentity"]["arn"].as_str().unwrap_or("");
        if arn.contains("AWSReservedSSO_") && r["eventName"] != "ConsoleLogin" {
            let secs = parse_rfc3339_ms(r["eventTime"].as_str().unwrap()).unwrap() / 1000;
            *per_account_hour
                .entry((
                    r["recipientAccountId"].as_str().unwrap().to_string(),
                    secs / 3600 % 24,
                ))
                .or_default() += 1;
        }
    }
    let accounts: BTreeSet<&String> = per_account_hour.keys().map(|k| &k.0).collect();
    for a in accounts {
        let mut hours: Vec<usize> = per_account_hour
            .iter()
            .filter(|(k, _)| &k.0 == a)
            .map(|(_, v)| *v)
            .collect();
        hours.sort_unstable_by(|x, y| y.cmp(x));
        let all: usize = hours.iter().sum();
        let top: usize = hours.iter().take(12).sum();
        assert!(
            top as f64 > 0.85 * all as f64,
            "{a}: {top} of {all} in the busiest 12 hours"
        );
    }
}
