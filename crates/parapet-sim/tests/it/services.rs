//! AWS Config, Security Hub and Health files: keys in their layouts, JSON that parapet's own key
//! rules and decoders accept, record counts equal to the summary's, and truth lines that name
//! records showing the scenario's state, which Config's latest item keeps.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use parapet_model::time::parse_rfc3339_ms;
use parapet_sim::SimSummary;
use parapet_sources::{classify_key, decode_config, decode_health, decode_securityhub, ObjectKind};
use serde_json::Value;

use crate::support::{files, gunzip, run, small};

/// `YYYYMMDD` of epoch ms.
fn day_of(ms: i64) -> String {
    let (y, m, d) = parapet_model::time::civil_from_days(ms.div_euclid(86_400_000));
    format!("{y:04}{m:02}{d:02}")
}

fn ms(v: &Value) -> i64 {
    parse_rfc3339_ms(v.as_str().unwrap_or_default()).unwrap_or_else(|| panic!("not a time: {v}"))
}

/// `YYYYMMDDTHHMMSSZ` → epoch seconds.
fn compact_secs(s: &str) -> Option<i64> {
    if s.len() != 16 || &s[8..9] != "T" || !s.ends_with('Z') {
        return None;
    }
    let day = parapet_model::time::parse_day(&s[..8])? / 1000;
    let n = |a: usize| s[a..a + 2].parse::<i64>().ok();
    Some(day + n(9)? * 3600 + n(11)? * 60 + n(13)?)
}

fn unpadded(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit())
}

fn padded(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// One Config item as written, with where it was found.
struct Item {
    account: String,
    region: String,
    snapshot: bool,
    v: Value,
}

impl Item {
    fn capture_ms(&self) -> i64 {
        ms(&self.v["configurationItemCaptureTime"])
    }

    fn state_id(&self) -> i64 {
        self.v["configurationStateId"].as_i64().unwrap_or_default()
    }
}

#[derive(Default)]
struct Seen {
    items: Vec<Item>,
    /// Finding id → every update of it (the finding).
    findings: BTreeMap<String, Vec<Value>>,
    health: Vec<Value>,
    /// Per table: (records, files).
    counts: BTreeMap<&'static str, (u64, u64)>,
}

impl Seen {
    fn count(&mut self, table: &'static str, records: usize) {
        let c = self.counts.entry(table).or_default();
        c.0 += records as u64;
        c.1 += 1;
    }
}

fn read_config(seen: &mut Seen, key: &str, p: &[&str], raw: &[u8]) {
    let (acct, region) = (p[2], p[4]);
    assert!(unpadded(p[6]) && unpadded(p[7]) && p[5].len() == 4, "{key}");
    let folder_day = format!("{}{:0>2}{:0>2}", p[5], p[6], p[7]);
    let name = p[9];
    let doc: Value = serde_json::from_slice(raw).unwrap();
    assert_eq!(doc["fileVersion"], "1.0", "{key}");
    let items = doc["configurationItems"].as_array().unwrap();
    assert!(!items.is_empty(), "{key}");
    let snapshot = match p[8] {
        "ConfigHistory" => {
            let rest = name
                .strip_prefix(&format!("{acct}_Config_{region}_ConfigHistory_"))
                .and_then(|r| r.strip_suffix("_1.json.gz"))
                .unwrap_or_else(|| panic!("history name: {key}"));
            // <type>_<first>_<last>; the type has no `_`.
            let parts: Vec<&str> = rest.split('_').collect();
            assert_eq!(parts.len(), 3, "{key}");
            assert!(parts[0].starts_with("AWS::"), "{key}");
            let (first, last) = (compact_secs(parts[1]).unwrap(), compact_secs(parts[2]).unwrap());
            assert!(first <= last && parts[1].starts_with(&folder_day), "{key}");
            for i in items {
                assert_eq!(i["resourceType"], parts[0], "{key}");
                let t = ms(&i["configurationItemCaptureTime"]) / 1000;
                assert!(first <= t && t <= last, "{key}: {t} outside the file's span");
            }
            false
        }
        "ConfigSnapshot" => {
            let rest = name
                .strip_prefix(&format!("{acct}_Config_{region}_ConfigSnapshot_"))
                .and_then(|r| r.strip_suffix(".json.gz"))
                .unwrap_or_else(|| panic!("snapshot name: {key}"));
            let (stamp, id) = rest.split_once('_').unwrap();
            assert!(
                stamp.starts_with(&folder_day) && compact_secs(stamp).is_some(),
                "{key}"
            );
            assert_eq!(doc["configSnapshotId"], id, "{key}");
            assert_eq!(id.len(), 36, "{key}");
            true
        }
        other => panic!("unexpected Config folder {other}: {key}"),
    };
    for i in items {
        assert_eq!(i["configurationItemVersion"], "1.3");
        assert_eq!(i["awsAccountId"], acct);
        assert_eq!(i["awsRegion"], region);
        assert!(
            i["configurationItemStatus"] == "OK" || i["configurationItemStatus"] == "ResourceDiscovered",
            "{i}"
        );
        for field in ["resourceId", "ARN", "availabilityZone", "resourceCreationTime"] {
            assert!(i[field].is_string(), "{field} in {i}");
        }
        for field in ["configuration", "supplementaryConfiguration", "tags"] {
            assert!(i[field].is_object(), "{field} in {i}");
        }
        assert!(i["relationships"].is_array() && i["relatedEvents"].is_array());
        seen.items.push(Item {
            account: acct.to_string(),
            region: region.to_string(),
            snapshot,
            v: i.clone(),
        });
    }
    let decoded = decode_config(raw).unwrap();
    assert!(decoded.rejects.is_empty(), "{key}: {:?}", decoded.rejects);
    assert_eq!(decoded.records.len(), items.len());
    seen.count("config_history", items.len());
}

fn read_events(seen: &mut Seen, key: &str, p: &[&str], raw: &[u8], audit: &str) {
    assert_eq!(p[2], audit, "{key}");
    assert_eq!(p[4], "us-east-1", "{key}");
    assert!(padded(p[5], 4) && padded(p[6], 2) && padded(p[7], 2), "{key}");
    assert!(p[8].ends_with(".jsonl.gz"), "{key}");
    let folder_day = format!("{}{}{}", p[5], p[6], p[7]);
    let text = String::from_utf8(raw.to_vec()).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!lines.is_empty(), "{key}");
    for e in &lines {
        assert_eq!(e["version"], "0");
        assert_eq!(day_of(ms(&e["time"])), folder_day, "{key}");
        assert!(e["id"].as_str().is_some_and(|s| s.len() == 36));
    }
    if p[3] == "SecurityHub" {
        let mut n = 0;
        for e in &lines {
            assert_eq!(e["detail-type"], "Security Hub Findings - Imported");
            assert_eq!(e["source"], "aws.securityhub");
            let findings = e["detail"]["findings"].as_array().unwrap();
            for f in findings {
                let id = f["Id"].as_str().unwrap();
                let control = f["Compliance"]["SecurityControlId"].as_str().unwrap();
                assert_eq!(f["GeneratorId"], format!("security-control/{control}"));
                assert!(id.starts_with(&format!(
                    "arn:aws:securityhub:{}:{}:security-control/{control}/finding/",
                    f["Region"].as_str().unwrap(),
                    f["AwsAccountId"].as_str().unwrap()
                )));
                assert_eq!(f["SchemaVersion"], "2018-10-08");
                assert_eq!(
                    f["ProductArn"],
                    format!(
                        "arn:aws:securityhub:{}::product/aws/securityhub",
                        f["Region"].as_str().unwrap()
                    )
                );
                assert_eq!(e["resources"][0], id);
                assert_eq!(e["account"], f["AwsAccountId"]);
                let status = f["Compliance"]["Status"].as_str().unwrap();
                assert!(status == "PASSED" || status == "FAILED", "{f}");
                assert!(ms(&f["CreatedAt"]) <= ms(&f["UpdatedAt"]));
                assert_eq!(day_of(ms(&f["UpdatedAt"])), folder_day, "{key}");
                for field in [
                    "Title",
                    "Description",
                    "Types",
                    "Severity",
                    "Remediation",
                    "Resources",
                    "Workflow",
                ] {
                    assert!(!f[field].is_null(), "{field} in {f}");
                }
                seen.findings.entry(id.to_string()).or_default().push(f.clone());
                n += 1;
            }
        }
        let decoded = decode_securityhub(raw).unwrap();
        assert!(decoded.rejects.is_empty(), "{key}: {:?}", decoded.rejects);
        assert_eq!(decoded.records.len(), n);
        seen.count("securityhub", n);
    } else {
        for e in &lines {
            assert_eq!(e["detail-type"], "AWS Health Event");
            assert_eq!(e["source"], "aws.health");
            let d = &e["detail"];
            let region = d["eventRegion"].as_str().unwrap();
            assert!(d["eventArn"]
                .as_str()
                .unwrap()
                .starts_with(&format!("arn:aws:health:{region}::event/")));
            assert_eq!(d["affectedAccount"], e["account"]);
            seen.health.push(e.clone());
        }
        let decoded = decode_health(raw).unwrap();
        assert!(decoded.rejects.is_empty(), "{key}: {:?}", decoded.rejects);
        assert_eq!(decoded.records.len(), lines.len());
        seen.count("health", lines.len());
    }
}

fn read_all(out: &Path, audit: &str) -> Seen {
    let root = out.join("logs");
    let mut seen = Seen::default();
    for key in files(&root) {
        let p: Vec<&str> = key.split('/').collect();
        let service = p.get(3).copied().unwrap_or_default();
        let kind = match service {
            "Config" => ObjectKind::Config,
            "SecurityHub" => ObjectKind::SecurityHub,
            "Health" => ObjectKind::Health,
            _ => continue,
        };
        let k = classify_key(&key);
        assert_eq!((k.kind, k.skip_reason), (kind, None), "{key}");
        assert_eq!(
            k.account_id.map(|a| a.to_string()).as_deref(),
            Some(p[2]),
            "{key}"
        );
        assert_eq!(k.region, Some(p[4]), "{key}");
        assert_eq!(p[1], "AWSLogs", "{key}");
        let raw = gunzip(&root.join(&key));
        if kind == ObjectKind::Config {
            assert_eq!(p.len(), 10, "{key}");
            read_config(&mut seen, &key, &p, &raw);
        } else {
            assert_eq!(p.len(), 9, "{key}");
            read_events(&mut seen, &key, &p, &raw, audit);
        }
    }
    seen
}

fn truth(out: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(out.join("truth.jsonl")).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The security group item allows SSH or RDP from anywhere.
fn open_to_world(item: &Value) -> bool {
    item["configuration"]["ipPermissions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| {
            let port = p["fromPort"].as_u64().unwrap_or_default();
            let v4 = p["ipRanges"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c == "0.0.0.0/0")
                && p["ipv4Ranges"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["cidrIp"] == "0.0.0.0/0");
            let v6 = p["ipv6Ranges"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["cidrIpv6"] == "::/0");
            (port == 22 || port == 3389) && (v4 || v6)
        })
}

/// The bucket item is public: a policy granting `*`, an ACL granting AllUsers, or no public
/// access block.
fn public_bucket(item: &Value) -> bool {
    let s = &item["supplementaryConfiguration"];
    let policy: Value = s["BucketPolicy"]["policyText"]
        .as_str()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    let by_policy = policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|st| st["Effect"] == "Allow" && st["Principal"] == "*");
    let by_acl = s["AccessControlList"]
        .as_str()
        .unwrap_or_default()
        .contains("AllUsers");
    by_policy || by_acl || s.get("PublicAccessBlockConfiguration").is_none()
}

fn check_counts(seen: &Seen, summary: &SimSummary) {
    for table in ["config_history", "securityhub", "health"] {
        let (records, files) = seen.counts.get(table).copied().unwrap_or_default();
        let c = summary.sources.get(table).copied().unwrap_or_default();
        assert!(records > 0, "no {table} records");
        assert_eq!((records, files), (c.records, c.files), "{table}");
    }
}

fn check_config(seen: &Seen, lines: &[Value]) {
    // Per resource: the first item is the discovery, state ids grow with capture times.
    let mut history: BTreeMap<(String, String, String), Vec<&Item>> = BTreeMap::new();
    for i in seen.items.iter().filter(|i| !i.snapshot) {
        let id = i.v["resourceId"].as_str().unwrap().to_string();
        history
            .entry((i.account.clone(), i.region.clone(), id))
            .or_default()
            .push(i);
    }
    for (resource, items) in &mut history {
        items.sort_by_key(|i| i.capture_ms());
        assert_eq!(
            items[0].v["configurationItemStatus"], "ResourceDiscovered",
            "{resource:?}"
        );
        assert!(
            items[1..].iter().all(|i| i.v["configurationItemStatus"] == "OK"),
            "{resource:?}"
        );
        assert!(
            items.windows(2).all(|w| w[0].state_id() < w[1].state_id()),
            "{resource:?}"
        );
        assert!(
            items.iter().all(|i| i.state_id() == i.capture_ms()),
            "{resource:?}"
        );
    }
    // A snapshot item is the resource's latest history item at the time.
    for s in seen.items.iter().filter(|i| i.snapshot) {
        let id = s.v["resourceId"].as_str().unwrap().to_string();
        let h = &history[&(s.account.clone(), s.region.clone(), id)];
        assert!(
            h.iter().any(|i| i.v == s.v),
            "snapshot item not in history: {}",
            s.v
        );
    }
    // What config_inventory shows: the latest item of each resource.
    let latest = |account: &str, region: &str, id: &str| -> &Value {
        &seen
            .items
            .iter()
            .filter(|i| i.account == account && i.region == region && i.v["resourceId"] == id)
            .max_by_key(|i| (i.capture_ms(), i.state_id()))
            .unwrap_or_else(|| panic!("no item of {id}"))
            .v
    };

    let mut shown = BTreeSet::new();
    for l in lines.iter().filter(|l| l["table"] == "config_history") {
        let (account, region) = (l["account_id"].as_str().unwrap(), l["region"].as_str().unwrap());
        let ids = l["event_ids"].as_array().unwrap();
        assert_eq!(ids.len(), 1, "{l}");
        let id = ids[0].as_str().unwrap();
        let t = ms(&l["time"]) / 1000;
        let item = seen
            .items
            .iter()
            .find(|i| {
                !i.snapshot
                    && i.account == account
                    && i.region == region
                    && i.v["resourceId"] == id
                    && i.capture_ms() / 1000 == t
            })
            .unwrap_or_else(|| panic!("truth names no Config item: {l}"));
        let bad: fn(&Value) -> bool = match l["scenario"].as_str().unwrap() {
            "sg_open_world" => open_to_world,
            "s3_bucket_public" => public_bucket,
            other => panic!("unexpected Config scenario {other}"),
        };
        assert!(bad(&item.v), "{l}: {}", item.v);
        assert!(
            bad(latest(account, region, id)),
            "the latest item of {id} lost the state of {l}"
        );
        shown.insert(l["scenario"].as_str().unwrap().to_string());
    }
    assert!(
        shown.contains("sg_open_world"),
        "no opened security group in Config"
    );
    assert!(shown.contains("s3_bucket_public"), "no public bucket in Config");

    // Background never opens SSH or RDP to the world, nor makes a bucket public.
    let named: BTreeSet<&str> = lines
        .iter()
        .filter(|l| l["table"] == "config_history")
        .filter_map(|l| l["event_ids"][0].as_str())
        .collect();
    for i in &seen.items {
        let id = i.v["resourceId"].as_str().unwrap();
        if named.contains(id) {
            continue;
        }
        match i.v["resourceType"].as_str().unwrap() {
            "AWS::EC2::SecurityGroup" => assert!(!open_to_world(&i.v), "{}", i.v),
            "AWS::S3::Bucket" => assert!(!public_bucket(&i.v), "{}", i.v),
            _ => {}
        }
    }

    // A stopped recorder records nothing more in its region.
    for l in lines
        .iter()
        .filter(|l| l["table"] == "cloudtrail" && l["scenario"] == "config_recorder_stopped")
    {
        let stopped = ms(&l["time"]);
        let later = seen
            .items
            .iter()
            .find(|i| i.account == l["account_id"] && i.region == l["region"] && i.capture_ms() >= stopped);
        assert!(later.is_none(), "recorded after {l}: {:?}", later.map(|i| &i.v));
    }
}

fn check_securityhub(seen: &Seen, lines: &[Value]) {
    for (id, updates) in &seen.findings {
        let created: BTreeSet<String> = updates.iter().map(|f| f["CreatedAt"].to_string()).collect();
        assert_eq!(created.len(), 1, "{id} changes CreatedAt");
    }
    assert!(
        seen.findings.values().any(|u| u.len() > 1),
        "no finding is re-evaluated"
    );
    let mut shown = BTreeSet::new();
    for l in lines.iter().filter(|l| l["table"] == "securityhub") {
        let id = l["event_ids"][0].as_str().unwrap();
        let updates = seen
            .findings
            .get(id)
            .unwrap_or_else(|| panic!("truth names a missing finding: {l}"));
        let t = ms(&l["time"]) / 1000;
        let at = updates
            .iter()
            .find(|f| ms(&f["UpdatedAt"]) / 1000 == t)
            .unwrap_or_else(|| panic!("no update of {id} at the truth's time"));
        assert_eq!(at["Compliance"]["Status"], "FAILED", "{l}");
        assert_eq!(at["AwsAccountId"], l["account_id"]);
        assert_eq!(at["Region"], l["region"]);
        // Failed from then on.
        for f in updates.iter().filter(|f| ms(&f["UpdatedAt"]) / 1000 >= t) {
            assert_eq!(f["Compliance"]["Status"], "FAILED", "{id} passes again");
        }
        let control = at["Compliance"]["SecurityControlId"].as_str().unwrap();
        let expected: &[&str] = match l["scenario"].as_str().unwrap() {
            "sg_open_world" => &["EC2.13", "EC2.14"],
            "s3_bucket_public" => &["S3.2", "S3.8"],
            "guardduty_disabled" => &["GuardDuty.1"],
            "config_recorder_stopped" => &["Config.1"],
            other => panic!("unexpected Security Hub scenario {other}"),
        };
        assert!(expected.contains(&control), "{l}: {control}");
        shown.insert(l["scenario"].as_str().unwrap().to_string());
    }
    for s in [
        "sg_open_world",
        "s3_bucket_public",
        "guardduty_disabled",
        "config_recorder_stopped",
    ] {
        assert!(shown.contains(s), "no {s} in Security Hub");
    }
    // Background: some controls fail all run long, most pass.
    let latest_status = |u: &Vec<Value>| u.last().map(|f| f["Compliance"]["Status"].clone());
    let failed = seen
        .findings
        .values()
        .filter(|u| latest_status(u) == Some(Value::from("FAILED")))
        .count();
    assert!(
        failed > 0 && failed * 3 < seen.findings.len(),
        "{failed} of {}",
        seen.findings.len()
    );
}

#[test]
fn config_securityhub_and_health_files() {
    // A seed whose scenarios all show (a bucket made public after its region's recorder was
    // stopped shows in neither Config nor Security Hub, rightly).
    let cfg = small(8, 3, 150, 7);
    let (dir, summary) = run(&cfg);
    let org: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("organization.json")).unwrap())
            .unwrap();
    let audit = org["auditAccountId"].as_str().unwrap();
    let seen = read_all(dir.path(), audit);
    let lines = truth(dir.path());
    check_counts(&seen, &summary);
    check_config(&seen, &lines);
    check_securityhub(&seen, &lines);
    // Health: account events and public ones; nothing in truth.
    let codes: BTreeSet<&str> = seen
        .health
        .iter()
        .filter_map(|e| e["detail"]["eventTypeCode"].as_str())
        .collect();
    assert!(
        codes.iter().any(|c| c.ends_with("_OPERATIONAL_ISSUE")),
        "{codes:?}"
    );
    assert!(codes.iter().any(|c| c.ends_with("_SCHEDULED")), "{codes:?}");
    // A public issue reaches every account running in its region, opened then closed.
    let mut issues: BTreeMap<(&str, &str), BTreeSet<(&str, &str)>> = BTreeMap::new();
    for e in seen
        .health
        .iter()
        .filter(|e| e["detail"]["eventScopeCode"] == "PUBLIC")
    {
        let d = &e["detail"];
        issues
            .entry((
                d["eventArn"].as_str().unwrap(),
                d["eventRegion"].as_str().unwrap(),
            ))
            .or_default()
            .insert((e["account"].as_str().unwrap(), d["statusCode"].as_str().unwrap()));
    }
    assert!(!issues.is_empty());
    for ((arn, region), reached) in &issues {
        for (id, regions) in org["accountRegions"].as_object().unwrap() {
            if regions.as_array().unwrap().iter().any(|r| r == region) {
                let id = id.as_str();
                for status in ["open", "closed"] {
                    assert!(reached.contains(&(id, status)), "{arn} not {status} for {id}");
                }
            }
        }
    }
    assert!(lines.iter().all(|l| l["table"] != "health"));
}

#[test]
fn sources_can_be_left_out() {
    let cfg = parapet_sim::SimConfig {
        sources: vec![parapet_sim::SimSource::Health],
        ..small(5, 2, 50, 3)
    };
    let (dir, summary) = run(&cfg);
    let keys = files(&dir.path().join("logs"));
    assert!(!keys
        .iter()
        .any(|k| k.contains("/Config/") || k.contains("/SecurityHub/")));
    assert!(!summary.sources.contains_key("config_history"));
    assert!(!summary.sources.contains_key("securityhub"));
    assert!(truth(dir.path())
        .iter()
        .all(|l| l["table"] != "config_history" && l["table"] != "securityhub"));
}
