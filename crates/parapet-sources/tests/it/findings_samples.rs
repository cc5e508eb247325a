//! The GuardDuty, Security Hub and Health samples: every record decodes, none is rejected, and
//! counts and key fields match an oracle that reads the same files with serde_json alone (or
//! the upstream test metadata).

use std::path::{Path, PathBuf};

use parapet_model::finding::severity;
use parapet_sources::{decode_guardduty, decode_health, decode_securityhub, health_from_json};
use serde_json::Value;

fn testdata(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(dir)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The JSON values of a file: one per line for `.jsonl`/`.ndjson`, else the one document.
fn oracle_values(path: &Path) -> Vec<Value> {
    let text = String::from_utf8(read(path)).expect("utf-8");
    let name = path.to_string_lossy();
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("line"))
            .collect()
    } else {
        vec![serde_json::from_str(&text).expect("json")]
    }
}

#[test]
fn guardduty_samples_decode_whole() {
    let dir = testdata("guardduty");
    let mut files = 0;
    for name in [
        "guardduty_ec2_event.json",
        "guardduty_iam_event.json",
        "guardduty_s3_event.json",
        "gd2acl_test_event.json",
        "panther_findings.jsonl",
    ] {
        let path = dir.join(name);
        let decoded = decode_guardduty(&read(&path)).expect("decodes");
        assert!(decoded.rejects.is_empty(), "{name}: {:?}", decoded.rejects);
        let oracle = oracle_values(&path);
        assert_eq!(decoded.records.len(), oracle.len(), "{name}");
        for (f, v) in decoded.records.iter().zip(&oracle) {
            let finding = v.get("detail").unwrap_or(v);
            assert_eq!(Some(f.uid.as_str()), finding["id"].as_str(), "{name}");
            assert_eq!(f.types, [finding["type"].as_str().expect("type")], "{name}");
            assert_eq!(f.count, finding["service"]["count"].as_i64(), "{name}");
            let raw: Value = serde_json::from_str(&f.raw).expect("raw");
            assert_eq!(&raw, finding, "{name}: raw is the finding itself");
        }
        files += 1;
    }
    assert_eq!(files, 5);
    // Panther's own test cases name the band each finding belongs to.
    let panther = decode_guardduty(&read(&dir.join("panther_findings.jsonl"))).expect("decodes");
    let bands: Vec<_> = panther
        .records
        .iter()
        .map(|f| f.severity_label.as_deref().unwrap_or("-"))
        .collect();
    assert_eq!(
        bands,
        ["Critical", "Critical", "High", "High", "Low", "Low", "Medium", "Medium"]
    );
    // "2025-02-25 20:40:06.721" (Panther's rewrite) is still read.
    assert_eq!(panther.records[0].updated_ms, 1_740_516_006_721);
    // The trimmed event has no account; its region comes from the envelope.
    let waf = decode_guardduty(&read(&dir.join("gd2acl_test_event.json"))).expect("decodes");
    assert_eq!(waf.records[0].account_id, None);
    assert_eq!(waf.records[0].region.as_deref(), Some("us-east-1"));
    assert_eq!(waf.records[0].severity_id, severity::LOW);
    let ec2 = decode_guardduty(&read(&dir.join("guardduty_ec2_event.json"))).expect("decodes");
    assert_eq!(ec2.records[0].resource_uids, ["i-05746eb48123455e0"]);
    assert_eq!(ec2.records[0].severity_id, severity::MEDIUM);
}

#[test]
fn securityhub_samples_match_their_index() {
    let dir = testdata("securityhub");
    let index = oracle_values(&dir.join("index.ndjson"));
    assert_eq!(index.len(), 21);
    let mut total = 0;
    let mut multi = 0;
    for entry in &index {
        let file = entry["file"].as_str().expect("file");
        let decoded = decode_securityhub(&read(&dir.join(file))).expect("decodes");
        assert!(decoded.rejects.is_empty(), "{file}: {:?}", decoded.rejects);
        let expected = entry["findings"].as_u64().expect("findings") as usize;
        assert_eq!(decoded.records.len(), expected, "{file}");
        let first = &decoded.records[0];
        assert_eq!(
            first.severity_label.as_deref(),
            entry["severity"].as_str(),
            "{file}"
        );
        assert_ne!(first.severity_id, severity::UNKNOWN, "{file}");
        assert_eq!(
            first.compliance_status.as_deref(),
            entry["compliance"].as_str(),
            "{file}"
        );
        assert_eq!(
            first.workflow_status.as_deref(),
            entry["workflow"].as_str(),
            "{file}"
        );
        assert_eq!(
            first.compliance_control.as_deref(),
            entry["control_id"].as_str(),
            "{file}"
        );
        assert!(first.account_id.is_some(), "{file}");
        assert!(first.region.is_some(), "{file}");
        // Independently: the findings of the file, read with serde_json alone.
        let doc = &oracle_values(&dir.join(file))[0];
        let findings: Vec<&Value> = match doc.get("detail") {
            Some(d) => d["findings"].as_array().expect("findings").iter().collect(),
            None => vec![doc],
        };
        assert_eq!(findings.len(), expected, "{file}");
        for (f, v) in decoded.records.iter().zip(findings) {
            assert_eq!(Some(f.uid.as_str()), v["Id"].as_str(), "{file}");
            let raw: Value = serde_json::from_str(&f.raw).expect("raw");
            assert_eq!(&raw, v, "{file}");
        }
        if expected > 1 {
            multi += 1;
        }
        total += expected;
    }
    assert_eq!((total, multi), (23, 2));
}

#[test]
fn health_samples_decode_whole() {
    let dir = testdata("health");
    let path = dir.join("health_events.ndjson");
    let decoded = decode_health(&read(&path)).expect("decodes");
    assert!(decoded.rejects.is_empty(), "{:?}", decoded.rejects);
    let oracle = oracle_values(&path);
    assert_eq!(decoded.records.len(), oracle.len());
    assert_eq!(decoded.records.len(), 8);
    for (e, v) in decoded.records.iter().zip(&oracle) {
        assert_eq!(Some(e.arn.as_str()), v["detail"]["eventArn"].as_str());
        assert_eq!(e.account_id.as_deref(), Some("123456789012"));
        assert_eq!(e.type_code.as_deref(), v["detail"]["eventTypeCode"].as_str());
        let entities = v["detail"]["affectedEntities"].as_array().map_or(0, Vec::len);
        assert_eq!(e.affected_entities.len(), entities);
    }
    // "Sat, 05 Jun 2016 15:10:09 GMT" (a wrong weekday) and "Tue, 7 Feb 2017 00:55:52 GMT".
    assert_eq!(decoded.records[0].time_ms, 1_465_139_409_000);
    assert_eq!(decoded.records[4].time_ms, 1_486_428_952_000);
    // lastUpdatedTime wins over startTime where there is one.
    let ecs = &decoded.records[7];
    assert_eq!(ecs.last_updated_ms, Some(ecs.time_ms));
    assert_ne!(ecs.start_ms, Some(ecs.time_ms));
    assert_eq!(ecs.scope_code.as_deref(), Some("ACCOUNT_SPECIFIC"));
    // The single-event files decode to the same events as their lines.
    let mut matched = 0;
    for entry in std::fs::read_dir(dir.join("events")).expect("events") {
        let path = entry.expect("entry").path();
        let text = String::from_utf8(read(&path)).expect("utf-8");
        let one = health_from_json(&text).expect("decodes").remove(0);
        let same = decoded
            .records
            .iter()
            .find(|e| e.arn == one.arn && e.event_id == one.event_id)
            .unwrap_or_else(|| panic!("{} is not in the ndjson", path.display()));
        assert_eq!((same.time_ms, &same.description), (one.time_ms, &one.description));
        matched += 1;
    }
    assert_eq!(matched, 3);
}
