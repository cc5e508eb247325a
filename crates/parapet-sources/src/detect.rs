//! What an object holds, from its first bytes: for files outside the Log Archive layout (a
//! folder of exports, an SQS dump), where the key says nothing.

use crate::key::ObjectKind;

/// How many bytes of the (decompressed) object the detector looks at.
pub const SNIFF_BYTES: usize = 64 << 10;

/// The kind of log `bytes` (already decompressed) holds, if parapet recognises it.
pub fn sniff(bytes: &[u8]) -> Option<ObjectKind> {
    if bytes.starts_with(b"PAR1") {
        // Parquet: VPC Flow Logs is the one AWS source delivered as Parquet.
        return Some(ObjectKind::VpcFlowLogs);
    }
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    // A cut in the middle of a character is fine: only ASCII markers are looked for.
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    match text.as_bytes().first()? {
        b'{' | b'[' => sniff_json(text),
        _ => sniff_text(text),
    }
}

fn has(text: &str, key: &str) -> bool {
    text.contains(&format!("\"{key}\""))
}

fn sniff_json(text: &str) -> Option<ObjectKind> {
    if has(text, "detail-type") {
        // An EventBridge event: its source says whose.
        for (source, kind) in [
            ("aws.guardduty", ObjectKind::GuardDuty),
            ("aws.securityhub", ObjectKind::SecurityHub),
            ("aws.health", ObjectKind::Health),
        ] {
            if text.contains(&format!("\"{source}\"")) {
                return Some(kind);
            }
        }
        return None;
    }
    if has(text, "insightDetails") {
        return Some(ObjectKind::CloudTrailInsight);
    }
    if has(text, "configurationItems")
        || has(text, "configurationItem")
        || has(text, "configurationItemSummary")
        || has(text, "configurationItemCaptureTime")
    {
        return Some(ObjectKind::Config);
    }
    // `Records` wraps CloudTrail delivery files (Insights were caught above).
    if has(text, "eventVersion")
        || has(text, "Records")
        || (has(text, "eventSource") && has(text, "eventName"))
    {
        return Some(ObjectKind::CloudTrail);
    }
    if has(text, "query_name") && has(text, "query_timestamp") {
        return Some(ObjectKind::ResolverQueryLogs);
    }
    if has(text, "SchemaVersion") && has(text, "ProductArn") {
        return Some(ObjectKind::SecurityHub);
    }
    // A finding's `service.serviceName` is "guardduty" (trimmed events may lack the ARN).
    if has(text, "service") && (text.contains(":guardduty:") || text.contains("\"guardduty\"")) {
        return Some(ObjectKind::GuardDuty);
    }
    if has(text, "eventTypeCode") && has(text, "eventArn") {
        return Some(ObjectKind::Health);
    }
    None
}

/// VPC Flow Logs text: a header naming the fields, or the default v2 format without one.
fn sniff_text(text: &str) -> Option<ObjectKind> {
    let first = text.lines().next()?;
    let fields: Vec<&str> = first.split_ascii_whitespace().collect();
    let named = |f: &str| fields.contains(&f);
    if (named("srcaddr") && named("dstaddr")) || named("tgw-id") {
        return Some(ObjectKind::VpcFlowLogs);
    }
    let is_account = |s: &str| s.len() == 12 && s.bytes().all(|c| c.is_ascii_digit());
    if fields.len() == 14 && fields[0] == "2" && (is_account(fields[1]) || fields[1] == "-") {
        return Some(ObjectKind::VpcFlowLogs);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_source_by_its_content() {
        let cases: &[(&str, Option<ObjectKind>)] = &[
            (
                r#"{"Records":[{"eventVersion":"1.08","eventSource":"iam.amazonaws.com"}]}"#,
                Some(ObjectKind::CloudTrail),
            ),
            (
                r#"{"@timestamp":"x","eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#,
                Some(ObjectKind::CloudTrail),
            ),
            (
                r#"{"Records":[{"eventVersion":"1.08","insightDetails":{}}]}"#,
                Some(ObjectKind::CloudTrailInsight),
            ),
            (
                r#"{"fileVersion":"1.0","configurationItems":[]}"#,
                Some(ObjectKind::Config),
            ),
            (
                r#"{"version":"1.100000","account_id":"1","query_timestamp":"t","query_name":"a."}"#,
                Some(ObjectKind::ResolverQueryLogs),
            ),
            (
                r#"{"version":"0","detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{}}"#,
                Some(ObjectKind::GuardDuty),
            ),
            (
                r#"{"detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub"}"#,
                Some(ObjectKind::SecurityHub),
            ),
            (
                r#"{"detail-type":"AWS Health Event","source":"aws.health"}"#,
                Some(ObjectKind::Health),
            ),
            (r#"{"detail-type":"Object Created","source":"aws.s3"}"#, None),
            (
                r#"[{"SchemaVersion":"2018-10-08","ProductArn":"arn:aws:securityhub:::product/x"}]"#,
                Some(ObjectKind::SecurityHub),
            ),
            (
                r#"{"schemaVersion":"2.0","service":{},"arn":"arn:aws:guardduty:us-east-1:1:detector/d/finding/f"}"#,
                Some(ObjectKind::GuardDuty),
            ),
            (
                "version account-id interface-id srcaddr dstaddr srcport\n",
                Some(ObjectKind::VpcFlowLogs),
            ),
            (
                "2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n",
                Some(ObjectKind::VpcFlowLogs),
            ),
            (
                "version resource-type account-id tgw-id tgw-attachment-id\n",
                Some(ObjectKind::VpcFlowLogs),
            ),
            ("# a readme\n", None),
            (r#"{"hello":"world"}"#, None),
            (r#"{"Records": ["#, Some(ObjectKind::CloudTrail)),
            ("", None),
        ];
        for (text, kind) in cases {
            assert_eq!(sniff(text.as_bytes()), *kind, "{text}");
        }
        assert_eq!(sniff(b"PAR1\x00\x00"), Some(ObjectKind::VpcFlowLogs));
    }
}
