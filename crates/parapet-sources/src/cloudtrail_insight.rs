//! CloudTrail Insights files (`CloudTrail-Insight/…json.gz`) → [`InsightEvent`] rows. Their
//! records share CloudTrail's envelope but carry `insightDetails` instead of an API call.

use parapet_model::time::parse_rfc3339_ms;
use parapet_model::InsightEvent;
use serde_json::Value;

use crate::json::{DecodeError, Decoded};
use crate::per_record::decode_records;

/// Decodes an Insights object (already decompressed).
pub fn decode_insights(bytes: &[u8]) -> Result<Decoded<InsightEvent>, DecodeError> {
    decode_records(bytes, &["Records"], |raw| insight_from_json(raw).map(|e| vec![e]))
}

/// One Insights record.
pub fn insight_from_json(raw: &str) -> Result<InsightEvent, String> {
    let v: Value = serde_json::from_str(raw).map_err(|e| format!("invalid JSON: {e}"))?;
    let s = |v: &Value, path: &[&str]| -> Option<String> {
        let mut cur = v;
        for p in path {
            cur = cur.get(p)?;
        }
        cur.as_str().filter(|s| !s.is_empty()).map(str::to_string)
    };
    let time = s(&v, &["eventTime"]).ok_or("no `eventTime`")?;
    let time_ms =
        parse_rfc3339_ms(&time).ok_or_else(|| format!("`eventTime` is not an RFC 3339 time: {time:?}"))?;
    let event_id = s(&v, &["eventID"]).ok_or("no `eventID`")?;
    let details = v
        .get("insightDetails")
        .ok_or("no `insightDetails` (expected a CloudTrail Insights event)")?;
    let stats = details.get("insightContext").and_then(|c| c.get("statistics"));
    let num = |path: &[&str]| -> Option<f64> {
        let mut cur = stats?;
        for p in path {
            cur = cur.get(p)?;
        }
        cur.as_f64()
    };
    Ok(InsightEvent {
        time_ms,
        event_id,
        event_version: s(&v, &["eventVersion"]),
        account_id: s(&v, &["recipientAccountId"]),
        region: s(&v, &["awsRegion"]),
        shared_event_id: s(&v, &["sharedEventID"]),
        state: s(details, &["state"]),
        insight_type: s(details, &["insightType"]),
        event_source: s(details, &["eventSource"]),
        event_name: s(details, &["eventName"]),
        error_code: s(details, &["errorCode"]),
        baseline_average: num(&["baseline", "average"]),
        insight_average: num(&["insight", "average"]),
        baseline_duration: num(&["baselineDuration"]).map(|d| d as i64),
        insight_duration: num(&["insightDuration"]).map(|d| d as i64),
        attributions: details
            .get("insightContext")
            .and_then(|c| c.get("attributions"))
            .map(Value::to_string),
        raw: raw.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shape of AWS's documented example of an Insights file (values changed).
    const FILE: &str = r#"{"Records":[
      {"eventVersion":"1.08","eventTime":"2024-03-01T10:05:00Z","awsRegion":"us-east-1",
       "eventID":"aaaaaaaa-0000-4000-8000-000000000001","eventType":"AwsCloudTrailInsight",
       "recipientAccountId":"111122223333","sharedEventID":"bbbbbbbb-0000-4000-8000-000000000001",
       "insightDetails":{"state":"Start","eventSource":"iam.amazonaws.com","eventName":"ListUsers",
         "insightType":"ApiErrorRateInsight","errorCode":"AccessDenied",
         "insightContext":{"statistics":{"baseline":{"average":0.02},"insight":{"average":41.0},
           "insightDuration":3,"baselineDuration":10080},
           "attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:iam::111122223333:user/x","average":41.0}],"baseline":[]}]}},
       "eventCategory":"Insight"},
      {"eventVersion":"1.08","eventTime":"2024-03-01T10:09:00Z","eventType":"AwsCloudTrailInsight","eventID":"x2"}
    ]}"#;

    #[test]
    fn insights_and_a_reject() {
        let d = decode_insights(FILE.as_bytes()).unwrap();
        assert_eq!(d.records.len(), 1);
        let e = &d.records[0];
        assert_eq!(e.state.as_deref(), Some("Start"));
        assert_eq!(e.insight_type.as_deref(), Some("ApiErrorRateInsight"));
        assert_eq!(e.error_code.as_deref(), Some("AccessDenied"));
        assert_eq!((e.baseline_average, e.insight_average), (Some(0.02), Some(41.0)));
        assert_eq!((e.insight_duration, e.baseline_duration), (Some(3), Some(10080)));
        assert!(e.attributions.as_deref().unwrap().contains("userIdentityArn"));
        assert_eq!(d.rejects.len(), 1);
        assert!(d.rejects[0].reason.contains("no `insightDetails`"));
    }
}
