//! AWS Health events → [`HealthEvent`] rows.
//!
//! A record is an EventBridge event ("AWS Health Event" or "AWS Health Abuse Event", source
//! `aws.health`) or its bare `detail`. Times are RFC 1123 (`Sat, 05 Jun 2016 15:10:09 GMT`) as
//! Health writes them, or RFC 3339. [`health_from_json`] reads one record, independent of files,
//! for EventBridge streams.

use parapet_model::{AffectedEntity, HealthEvent};
use serde_json::Value;

use crate::eventbridge::unwrap_event;
use crate::fields::{get, object, required_string, string, time};
use crate::json::{DecodeError, Decoded};
use crate::per_record::decode_records;

/// The EventBridge `detail-type`s of Health events.
pub const HEALTH_DETAIL_TYPES: &[&str] = &["AWS Health Event", "AWS Health Abuse Event"];

/// Decodes one object of Health events (already decompressed).
pub fn decode_health(bytes: &[u8]) -> Result<Decoded<HealthEvent>, DecodeError> {
    decode_records(bytes, &[], health_from_json)
}

/// The region segment of an event ARN (`arn:aws:health:<region>::event/…`; `global` for
/// global events).
fn arn_region(arn: &str) -> Option<String> {
    let region = arn.strip_prefix("arn:")?.split(':').nth(2)?;
    (!region.is_empty()).then(|| region.to_string())
}

/// One record: a Health EventBridge event or its bare `detail`. Always one event; an error
/// names the missing or wrong field.
pub fn health_from_json(raw: &str) -> Result<Vec<HealthEvent>, String> {
    let envelope = unwrap_event(raw)?;
    if let Some(e) = &envelope {
        e.expect_detail_type(HEALTH_DETAIL_TYPES)?;
    }
    let detail = object(envelope.as_ref().map_or(raw, |e| e.detail))?;
    let d = &detail;
    let arn = required_string(d, &["eventArn"], "the Health event ARN")?;
    let start_ms = time(d, &["startTime"]);
    let last_updated_ms = time(d, &["lastUpdatedTime"]);
    let time_ms = match last_updated_ms.or(start_ms) {
        Some(t) => t,
        None => {
            let shown = string(d, &["lastUpdatedTime"]).or_else(|| string(d, &["startTime"]));
            return Err(match shown {
                Some(s) => {
                    format!("`lastUpdatedTime`/`startTime` is {s:?}: expected an RFC 1123 or RFC 3339 time")
                }
                None => "no `lastUpdatedTime` or `startTime`: expected the time of the event".into(),
            });
        }
    };
    let description = match get(d, &["eventDescription"]) {
        Some(Value::Array(items)) => items
            .iter()
            .find(|i| string(i, &["language"]).is_some_and(|l| l.starts_with("en")))
            .or_else(|| items.first())
            .and_then(|i| string(i, &["latestDescription"])),
        _ => None,
    };
    let affected_entities = match get(d, &["affectedEntities"]) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| {
                let value = string(i, &["entityValue"]).or_else(|| string(i, &["entityArn"]))?;
                let status = string(i, &["status"]).or_else(|| string(i, &["statusCode"]));
                Some(AffectedEntity { value, status })
            })
            .collect(),
        _ => Vec::new(),
    };
    let env = envelope.as_ref();
    Ok(vec![HealthEvent {
        event_id: env.and_then(|e| e.id.clone()),
        service: string(d, &["service"]),
        type_code: string(d, &["eventTypeCode"]),
        type_category: string(d, &["eventTypeCategory"]),
        status_code: string(d, &["statusCode"]),
        scope_code: string(d, &["eventScopeCode"]),
        start_ms,
        end_ms: time(d, &["endTime"]),
        last_updated_ms,
        time_ms,
        region: string(d, &["eventRegion"])
            .or_else(|| env.and_then(|e| e.region.clone()))
            .or_else(|| arn_region(&arn)),
        account_id: string(d, &["affectedAccount"]).or_else(|| env.and_then(|e| e.account.clone())),
        description,
        affected_entities,
        arn,
        raw: raw.to_string(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    const DETAIL: &str = r#"{"eventArn":"arn:aws:health:eu-west-1::event/EC2/AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED/X","service":"EC2","eventTypeCode":"AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED","eventTypeCategory":"scheduledChange","eventScopeCode":"ACCOUNT_SPECIFIC","statusCode":"upcoming","startTime":"Sat, 05 Jun 2016 15:10:09 GMT","endTime":"Sun, 6 Jun 2016 15:10:09 GMT","eventDescription":[{"language":"fr_FR","latestDescription":"non"},{"language":"en_US","latestDescription":"yes"}],"affectedEntities":[{"entityValue":"i-1","status":"IMPAIRED"},{"entityValue":"i-2"}]}"#;

    fn wrap(detail: &str) -> String {
        format!(
            r#"{{"version":"0","id":"ev-9","detail-type":"AWS Health Event","source":"aws.health","account":"111122223333","time":"2016-06-05T15:11:00Z","region":"us-east-1","resources":["i-1","i-2"],"detail":{detail}}}"#
        )
    }

    #[test]
    fn an_event_with_rfc1123_times() {
        let e = health_from_json(&wrap(DETAIL)).unwrap().remove(0);
        assert_eq!(e.start_ms, Some(1_465_139_409_000));
        assert_eq!(e.end_ms, Some(1_465_225_809_000));
        assert_eq!(
            e.time_ms, 1_465_139_409_000,
            "startTime when there is no lastUpdatedTime"
        );
        assert_eq!(e.status_code.as_deref(), Some("upcoming"));
        assert_eq!(e.scope_code.as_deref(), Some("ACCOUNT_SPECIFIC"));
        assert_eq!(e.description.as_deref(), Some("yes"));
        assert_eq!(
            e.region.as_deref(),
            Some("us-east-1"),
            "the envelope's region before the ARN's"
        );
        assert_eq!(e.account_id.as_deref(), Some("111122223333"));
        assert_eq!(e.event_id.as_deref(), Some("ev-9"));
        assert_eq!(
            e.affected_entities,
            [
                AffectedEntity {
                    value: "i-1".into(),
                    status: Some("IMPAIRED".into())
                },
                AffectedEntity {
                    value: "i-2".into(),
                    status: None
                }
            ]
        );
        let updated = DETAIL.replace(
            r#""statusCode""#,
            r#""lastUpdatedTime":"2016-06-07T00:00:00Z","eventRegion":"eu-west-2","statusCode""#,
        );
        let e = health_from_json(&wrap(&updated)).unwrap().remove(0);
        assert_eq!(
            e.time_ms, 1_465_257_600_000,
            "lastUpdatedTime first, RFC 3339 accepted"
        );
        assert_eq!(e.region.as_deref(), Some("eu-west-2"));
    }

    #[test]
    fn bare_detail_and_wrapped_event_agree_on_the_event() {
        let bare = health_from_json(DETAIL).unwrap().remove(0);
        let wrapped = health_from_json(&wrap(DETAIL)).unwrap().remove(0);
        assert_eq!((bare.arn, bare.time_ms), (wrapped.arn, wrapped.time_ms));
        assert_eq!(bare.region.as_deref(), Some("eu-west-1"), "the ARN's region");
        assert_eq!(bare.account_id, None);
    }

    #[test]
    fn broken_records_are_rejected_naming_the_field() {
        let no_arn = DETAIL.replace("\"eventArn\"", "\"arn\"");
        assert!(health_from_json(&no_arn)
            .unwrap_err()
            .starts_with("no `eventArn`"));
        let bad_time = DETAIL.replace("Sat, 05 Jun 2016 15:10:09 GMT", "soon");
        let err = health_from_json(&bad_time).unwrap_err();
        assert!(err.contains("`startTime` is \"soon\""), "{err}");
        let wrong = wrap(DETAIL).replace("AWS Health Event", "GuardDuty Finding");
        assert!(health_from_json(&wrong).unwrap_err().starts_with("`detail-type`"));
        assert!(matches!(decode_health(b"<html>"), Err(DecodeError::Shape(_))));
    }
}
