//! Security Hub findings (AWS Security Finding Format, ASFF) → [`Finding`] rows.
//!
//! A record is a bare ASFF finding, or an EventBridge event "Security Hub Findings - Imported" /
//! "Security Hub Findings - Custom Action" carrying several findings in `detail.findings[]`.
//! Files may be arrays, `{"Findings":[…]}` (the `GetFindings` output), NDJSON or one object.
//! [`securityhub_from_json`] reads one record, independent of files, for EventBridge streams.

use parapet_model::finding::{asff_label_severity, asff_normalized_severity};
use parapet_model::{Finding, FindingSource};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::eventbridge::{unwrap_event, Envelope};
use crate::fields::{get, number, object, required_string, required_time, string, strings, time};
use crate::json::{DecodeError, Decoded};
use crate::per_record::decode_records;

/// The EventBridge `detail-type`s that carry findings.
pub const SECURITYHUB_DETAIL_TYPES: &[&str] = &[
    "Security Hub Findings - Imported",
    "Security Hub Findings - Custom Action",
];

/// Decodes one Security Hub object's bytes (already decompressed).
pub fn decode_securityhub(bytes: &[u8]) -> Result<Decoded<Finding>, DecodeError> {
    decode_records(bytes, &["Findings", "findings"], securityhub_from_json)
}

#[derive(Deserialize)]
struct Detail<'a> {
    #[serde(borrow)]
    findings: Option<Vec<&'a RawValue>>,
}

/// One record: a bare ASFF finding (one finding) or a Security Hub EventBridge event (every
/// finding of `detail.findings`). An error names the field, and for an event the finding.
pub fn securityhub_from_json(raw: &str) -> Result<Vec<Finding>, String> {
    match unwrap_event(raw)? {
        None => Ok(vec![finding(raw, &object(raw)?, None)?]),
        Some(envelope) => {
            envelope.expect_detail_type(SECURITYHUB_DETAIL_TYPES)?;
            let detail: Detail = serde_json::from_str(envelope.detail).map_err(|e| {
                format!(
                    "`detail.findings` must be an array of ASFF findings ({})",
                    crate::json::strip_position(&e.to_string())
                )
            })?;
            let Some(findings) = detail.findings else {
                return Err("no `detail.findings`: expected the array of ASFF findings".into());
            };
            findings
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    object(f.get())
                        .and_then(|v| finding(f.get(), &v, Some(&envelope)))
                        .map_err(|e| format!("detail.findings[{i}]: {e}"))
                })
                .collect()
        }
    }
}

/// The region segment of an ARN (`arn:aws:securityhub:<region>:…`).
fn arn_region(arn: &str) -> Option<String> {
    let region = arn.strip_prefix("arn:")?.split(':').nth(2)?;
    (!region.is_empty()).then(|| region.to_string())
}

fn finding(raw: &str, v: &Value, envelope: Option<&Envelope<'_>>) -> Result<Finding, String> {
    let uid = required_string(v, &["Id"], "the ASFF finding id")?;
    let updated_ms = required_time(v, &["UpdatedAt"])?;
    let product_uid = string(v, &["ProductArn"]);
    let normalized = number(v, &["Severity", "Normalized"]);
    let label = string(v, &["Severity", "Label"]);
    let (severity_id, severity_label) = match label.as_deref().and_then(asff_label_severity) {
        Some(id) => (id, label),
        None => match normalized.map(asff_normalized_severity) {
            Some((id, derived)) if id != 0 => (id, derived.map(str::to_string)),
            _ => (0, label),
        },
    };
    let product = string(v, &["ProductName"])
        .or_else(|| string(v, &["ProductFields", "aws/securityhub/ProductName"]))
        .or_else(|| {
            product_uid
                .as_deref()
                .and_then(|a| a.rsplit('/').next())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "Security Hub".into());
    let vendor = string(v, &["CompanyName"])
        .or_else(|| string(v, &["ProductFields", "aws/securityhub/CompanyName"]))
        .unwrap_or_else(|| "AWS".into());
    let region = string(v, &["Region"])
        .or_else(|| match get(v, &["Resources"]) {
            Some(Value::Array(r)) => r.first().and_then(|r| string(r, &["Region"])),
            _ => None,
        })
        .or_else(|| envelope.and_then(|e| e.region.clone()))
        .or_else(|| product_uid.as_deref().and_then(arn_region));
    let resource_uids = match get(v, &["Resources"]) {
        Some(Value::Array(r)) => r.iter().filter_map(|r| string(r, &["Id"])).collect(),
        _ => Vec::new(),
    };
    let resource_type = match get(v, &["Resources"]) {
        Some(Value::Array(r)) => r.first().and_then(|r| string(r, &["Type"])),
        _ => None,
    };
    let record_state = string(v, &["RecordState"]);
    Ok(Finding {
        source: FindingSource::SecurityHub,
        product,
        vendor,
        uid,
        arn: None,
        product_uid,
        generator: string(v, &["GeneratorId"]),
        title: string(v, &["Title"]),
        description: string(v, &["Description"]),
        types: strings(v, &["Types"]),
        severity_id,
        severity_label,
        severity_score: normalized,
        confidence: number(v, &["Confidence"]).map(|c| c as i32),
        created_ms: time(v, &["CreatedAt"]),
        updated_ms,
        first_seen_ms: time(v, &["FirstObservedAt"]),
        last_seen_ms: time(v, &["LastObservedAt"]),
        account_id: string(v, &["AwsAccountId"]).or_else(|| envelope.and_then(|e| e.account.clone())),
        region,
        resource_type,
        resource_uids,
        resources_json: get(v, &["Resources"]).map(Value::to_string),
        compliance_status: string(v, &["Compliance", "Status"]),
        compliance_control: string(v, &["Compliance", "SecurityControlId"])
            .or_else(|| string(v, &["ProductFields", "ControlId"]))
            .or_else(|| string(v, &["ProductFields", "RuleId"])),
        workflow_status: string(v, &["Workflow", "Status"]).or_else(|| string(v, &["WorkflowState"])),
        archived: record_state.as_deref().map(|s| s == "ARCHIVED"),
        record_state,
        count: None,
        sample: None,
        remediation_desc: string(v, &["Remediation", "Recommendation", "Text"]),
        remediation_url: string(v, &["Remediation", "Recommendation", "Url"]),
        raw: raw.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use parapet_model::finding::severity;

    fn asff(id: &str, label: &str) -> String {
        format!(
            r#"{{"SchemaVersion":"2018-10-08","Id":"{id}","ProductArn":"arn:aws:securityhub:eu-west-1::product/aws/securityhub","GeneratorId":"g","AwsAccountId":"111122223333","Types":["Software and Configuration Checks/Industry and Regulatory Standards"],"CreatedAt":"2024-01-02T03:04:05Z","UpdatedAt":"2024-01-03T03:04:05Z","Severity":{{"Label":"{label}","Normalized":40}},"Title":"t","Description":"d","Remediation":{{"Recommendation":{{"Text":"fix it","Url":"https://example.com/fix"}}}},"Resources":[{{"Type":"AwsS3Bucket","Id":"arn:aws:s3:::b","Region":"eu-west-1"}}],"Compliance":{{"Status":"FAILED","SecurityControlId":"S3.1"}},"Workflow":{{"Status":"NEW"}},"RecordState":"ACTIVE"}}"#
        )
    }

    fn event(detail_type: &str, findings: &[String]) -> String {
        format!(
            r#"{{"version":"0","id":"ev","detail-type":"{detail_type}","source":"aws.securityhub","account":"111122223333","time":"2024-01-03T03:04:06Z","region":"eu-west-1","resources":[],"detail":{{"findings":[{}]}}}}"#,
            findings.join(",")
        )
    }

    #[test]
    fn fields_of_a_finding() {
        let f = securityhub_from_json(&asff("f1", "HIGH")).unwrap().remove(0);
        assert_eq!(f.uid, "f1");
        assert_eq!(
            (f.severity_id, f.severity_label.as_deref()),
            (severity::HIGH, Some("HIGH"))
        );
        assert_eq!(f.compliance_status.as_deref(), Some("FAILED"));
        assert_eq!(f.compliance_control.as_deref(), Some("S3.1"));
        assert_eq!(f.workflow_status.as_deref(), Some("NEW"));
        assert_eq!(f.record_state.as_deref(), Some("ACTIVE"));
        assert_eq!(f.archived, Some(false));
        assert_eq!(f.resource_uids, ["arn:aws:s3:::b"]);
        assert_eq!(f.region.as_deref(), Some("eu-west-1"));
        assert_eq!(f.remediation_url.as_deref(), Some("https://example.com/fix"));
        assert_eq!(f.product, "securityhub");
    }

    #[test]
    fn normalized_is_the_fallback_for_a_missing_label() {
        let raw = asff("f1", "HIGH").replace(r#""Label":"HIGH","#, "");
        let f = securityhub_from_json(&raw).unwrap().remove(0);
        assert_eq!(
            (f.severity_id, f.severity_label.as_deref()),
            (severity::MEDIUM, Some("MEDIUM"))
        );
    }

    #[test]
    fn an_imported_event_with_two_findings_gives_two() {
        let (a, b) = (asff("a", "LOW"), asff("b", "CRITICAL"));
        let found =
            securityhub_from_json(&event("Security Hub Findings - Imported", &[a.clone(), b])).unwrap();
        assert_eq!(
            found.iter().map(|f| f.uid.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(found[1].severity_id, severity::CRITICAL);
        // The wrapped finding is the bare one.
        assert_eq!(found[0], securityhub_from_json(&a).unwrap().remove(0));
        let custom = securityhub_from_json(&event(
            "Security Hub Findings - Custom Action",
            &[asff("c", "LOW")],
        ));
        assert_eq!(custom.unwrap().len(), 1);
        let err = securityhub_from_json(&event("Security Hub Insight Results", &[])).unwrap_err();
        assert!(err.starts_with("`detail-type`"), "{err}");
    }

    #[test]
    fn broken_records_are_rejected_naming_the_field() {
        let no_id = asff("x", "LOW").replace(r#""Id":"x","#, "");
        assert!(securityhub_from_json(&no_id).unwrap_err().starts_with("no `Id`"));
        let err = securityhub_from_json(&event(
            "Security Hub Findings - Imported",
            &[asff("a", "LOW"), no_id],
        ))
        .unwrap_err();
        assert!(err.starts_with("detail.findings[1]: no `Id`"), "{err}");
        let no_time = asff("x", "LOW").replace(r#""UpdatedAt":"2024-01-03T03:04:05Z","#, "");
        assert!(securityhub_from_json(&no_time)
            .unwrap_err()
            .starts_with("no `UpdatedAt`"));
        let no_findings = r#"{"detail-type":"Security Hub Findings - Imported","detail":{"x":1}}"#;
        assert!(securityhub_from_json(no_findings)
            .unwrap_err()
            .starts_with("no `detail.findings`"));
        let d =
            decode_securityhub(format!("[{},{}]", asff("a", "LOW"), r#"{"Finding":{}}"#).as_bytes()).unwrap();
        assert_eq!((d.records.len(), d.rejects.len()), (1, 1));
        assert!(
            d.rejects[0].reason.starts_with("record 1: no `Id`"),
            "{}",
            d.rejects[0].reason
        );
    }
}
