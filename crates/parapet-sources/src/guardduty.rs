//! GuardDuty findings → [`Finding`] rows.
//!
//! GuardDuty exports findings to S3 one per line (`<uuid>.jsonl.gz`); exports and API dumps may
//! also be arrays, `{"findings":[…]}` / `{"Findings":[…]}`, or one object. Each record is a bare
//! finding (camelCase, as `GetFindings` returns it) or an EventBridge "GuardDuty Finding" event
//! whose `detail` is the finding. [`guardduty_from_json`] reads one record, independent of files,
//! so an EventBridge stream (SQS) can reuse it.

use parapet_model::finding::guardduty_severity;
use parapet_model::{Finding, FindingSource};
use serde_json::Value;

use crate::eventbridge::{unwrap_event, Envelope};
use crate::fields::{boolean, get, number, object, required_string, required_time, string, time};
use crate::json::{DecodeError, Decoded};
use crate::per_record::decode_records;

/// The EventBridge `detail-type` of GuardDuty findings.
pub const GUARDDUTY_DETAIL_TYPE: &str = "GuardDuty Finding";

/// Decodes one GuardDuty object's bytes (already decompressed).
pub fn decode_guardduty(bytes: &[u8]) -> Result<Decoded<Finding>, DecodeError> {
    decode_records(bytes, &["findings", "Findings"], guardduty_from_json)
}

/// One record: a bare GuardDuty finding or a "GuardDuty Finding" EventBridge event. Always one
/// finding; the error says which field is missing or wrong.
pub fn guardduty_from_json(raw: &str) -> Result<Vec<Finding>, String> {
    let envelope = unwrap_event(raw)?;
    let body = match &envelope {
        Some(e) => {
            e.expect_detail_type(&[GUARDDUTY_DETAIL_TYPE])?;
            e.detail
        }
        None => raw,
    };
    let v = object(body)?;
    Ok(vec![finding(body, &v, envelope.as_ref())?])
}

fn finding(raw: &str, v: &Value, envelope: Option<&Envelope<'_>>) -> Result<Finding, String> {
    let uid = required_string(v, &["id"], "the GuardDuty finding id")?;
    let updated_ms = required_time(v, &["updatedAt"])?;
    let score = number(v, &["severity"]);
    let (severity_id, label) = score.map_or((0, None), guardduty_severity);
    let archived = boolean(v, &["service", "archived"]);
    Ok(Finding {
        source: FindingSource::GuardDuty,
        product: "GuardDuty".into(),
        vendor: "AWS".into(),
        uid,
        arn: string(v, &["arn"]),
        product_uid: None,
        generator: None,
        title: string(v, &["title"]),
        description: string(v, &["description"]),
        types: string(v, &["type"]).into_iter().collect(),
        severity_id,
        severity_label: label.map(str::to_string),
        severity_score: score,
        confidence: None,
        created_ms: time(v, &["createdAt"]),
        updated_ms,
        first_seen_ms: time(v, &["service", "eventFirstSeen"]),
        last_seen_ms: time(v, &["service", "eventLastSeen"]),
        account_id: string(v, &["accountId"]).or_else(|| envelope.and_then(|e| e.account.clone())),
        region: string(v, &["region"]).or_else(|| envelope.and_then(|e| e.region.clone())),
        resource_type: string(v, &["resource", "resourceType"]),
        resource_uids: resource_uids(v),
        resources_json: get(v, &["resource"]).map(Value::to_string),
        compliance_status: None,
        compliance_control: None,
        workflow_status: None,
        record_state: None,
        count: number(v, &["service", "count"]).map(|c| c as i64),
        archived,
        sample: boolean(v, &["service", "additionalInfo", "sample"]),
        remediation_desc: None,
        remediation_url: None,
        raw: raw.to_string(),
    })
}

/// The ids of the resource the finding is about, from the details its `resourceType` names.
fn resource_uids(v: &Value) -> Vec<String> {
    let r = |path: &[&str]| {
        let mut full = vec!["resource"];
        full.extend_from_slice(path);
        string(v, &full)
    };
    let one = |x: Option<String>| x.into_iter().collect::<Vec<_>>();
    match string(v, &["resource", "resourceType"]).as_deref() {
        Some("Instance") => one(r(&["instanceDetails", "instanceId"])),
        Some("AccessKey") => one(r(&["accessKeyDetails", "accessKeyId"])),
        Some("S3Bucket") => match get(v, &["resource", "s3BucketDetails"]) {
            Some(Value::Array(buckets)) => buckets
                .iter()
                .filter_map(|b| string(b, &["arn"]).or_else(|| string(b, &["name"])))
                .collect(),
            _ => Vec::new(),
        },
        Some("EKSCluster") => one(r(&["eksClusterDetails", "arn"])),
        Some("ECSCluster") => one(r(&["ecsClusterDetails", "arn"])),
        Some("RDSDBInstance") => one(r(&["rdsDbInstanceDetails", "dbInstanceArn"])),
        Some("Lambda") => one(r(&["lambdaDetails", "functionArn"])),
        Some("Container") => one(r(&["containerDetails", "id"])),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parapet_model::finding::severity;

    const BARE: &str = r#"{"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","id":"abc","arn":"arn:aws:guardduty:us-east-1:123456789012:detector/d/finding/abc","type":"Recon:EC2/PortProbeUnprotectedPort","resource":{"resourceType":"Instance","instanceDetails":{"instanceId":"i-1"}},"service":{"count":3,"archived":false,"eventFirstSeen":"2024-01-02T03:04:05Z","eventLastSeen":"2024-01-03T03:04:05Z"},"severity":SEV,"createdAt":"2024-01-02T03:04:05.123Z","updatedAt":"2024-01-03T03:04:05.456Z","title":"t","description":"d"}"#;

    fn with_severity(s: &str) -> Finding {
        let raw = BARE.replace("SEV", s);
        let mut f = guardduty_from_json(&raw).unwrap();
        assert_eq!(f.len(), 1);
        f.remove(0)
    }

    #[test]
    fn fields_of_a_bare_finding() {
        let f = with_severity("5");
        assert_eq!(f.uid, "abc");
        assert_eq!(f.types, ["Recon:EC2/PortProbeUnprotectedPort"]);
        assert_eq!(f.count, Some(3));
        assert_eq!(f.archived, Some(false));
        assert_eq!(f.resource_uids, ["i-1"]);
        assert_eq!(f.resource_type.as_deref(), Some("Instance"));
        assert_eq!(f.updated_ms, 1_704_251_045_456);
        assert_eq!(f.created_ms, Some(1_704_164_645_123));
        assert_eq!(f.first_seen_ms, Some(1_704_164_645_000));
        assert_eq!(
            (f.severity_id, f.severity_label.as_deref()),
            (severity::MEDIUM, Some("Medium"))
        );
        assert_eq!(f.raw, BARE.replace("SEV", "5"));
    }

    #[test]
    fn severity_band_edges() {
        for (s, id) in [
            ("3.9", severity::LOW),
            ("4.0", severity::MEDIUM),
            ("6.9", severity::MEDIUM),
            ("7.0", severity::HIGH),
            ("8.9", severity::HIGH),
            ("9.0", severity::CRITICAL),
        ] {
            assert_eq!(with_severity(s).severity_id, id, "severity {s}");
        }
    }

    #[test]
    fn wrapped_and_bare_give_the_same_finding() {
        let bare = BARE.replace("SEV", "8");
        let wrapped = format!(
            r#"{{"version":"0","id":"ev-1","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"123456789012","time":"2024-01-03T03:04:06Z","region":"us-east-1","resources":[],"detail":{bare}}}"#
        );
        assert_eq!(
            guardduty_from_json(&wrapped).unwrap(),
            guardduty_from_json(&bare).unwrap()
        );
        let other = wrapped.replace("GuardDuty Finding", "AWS API Call via CloudTrail");
        assert!(guardduty_from_json(&other).unwrap_err().contains("`detail-type`"));
    }

    #[test]
    fn broken_records_are_rejected_naming_the_field() {
        let no_id = BARE.replace("SEV", "5").replace(r#""id":"abc","#, "");
        assert!(guardduty_from_json(&no_id).unwrap_err().starts_with("no `id`"));
        let bad_time = BARE
            .replace("SEV", "5")
            .replace("2024-01-03T03:04:05.456Z", "yesterday");
        let err = guardduty_from_json(&bad_time).unwrap_err();
        assert!(err.starts_with("`updatedAt` is \"yesterday\""), "{err}");
        // In a file, the bad line is one reject and its neighbours are kept.
        let file = format!(
            "{}\n{no_id}\n{}\n",
            BARE.replace("SEV", "2"),
            BARE.replace("SEV", "9")
        );
        let d = decode_guardduty(file.as_bytes()).unwrap();
        assert_eq!(d.records.len(), 2);
        assert_eq!(d.rejects.len(), 1);
        assert_eq!(d.rejects[0].index, 1);
        assert!(d.rejects[0].reason.contains("no `id`"), "{}", d.rejects[0].reason);
        assert!(matches!(
            decode_guardduty(b"not json"),
            Err(DecodeError::Shape(_))
        ));
    }
}
