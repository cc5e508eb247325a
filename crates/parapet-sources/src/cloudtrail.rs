//! CloudTrail records → [`ApiActivity`] rows.
//!
//! Accepts the three shapes real CloudTrail data comes in: S3 delivery files
//! (`{"Records":[…]}`), JSON arrays of records, and one record per line (NDJSON, e.g. Logstash
//! exports that use `@timestamp` instead of `eventTime`). A file that cannot be read as a whole
//! is a [`DecodeError`] (the caller quarantines it); a single bad record inside a good file is a
//! [`RecordReject`] and the records around it are kept.

use std::borrow::Cow;
use std::fmt;

use parapet_model::time::parse_rfc3339_ms;
use parapet_model::ApiActivity;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::{is_several_values, json_error, ndjson_records, strip_position, truncate};
pub use crate::json::{DecodeError, RecordReject};

/// The decoded content of one CloudTrail object.
#[derive(Debug, Default)]
pub struct CloudTrailFile<'a> {
    pub events: Vec<ApiActivity<'a>>,
    pub rejects: Vec<RecordReject>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "Records", borrow)]
    records: Option<Vec<&'a RawValue>>,
}

/// Decodes one object's bytes (already decompressed).
pub fn decode_cloudtrail(bytes: &[u8]) -> Result<CloudTrailFile<'_>, DecodeError> {
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let mut out = CloudTrailFile::default();
    match trimmed.as_bytes().first() {
        None => {
            return Err(DecodeError::Shape(
                "not a CloudTrail file: the object is empty".into(),
            ))
        }
        Some(b'[') => {
            let records: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| json_error(&e))?;
            for (i, r) in records.into_iter().enumerate() {
                push_record(&mut out, i, r.get());
            }
        }
        Some(b'{') => match serde_json::from_str::<Envelope>(text) {
            Ok(Envelope {
                records: Some(records),
            }) => {
                for (i, r) in records.into_iter().enumerate() {
                    push_record(&mut out, i, r.get());
                }
            }
            // One object that is not an envelope: a single record.
            Ok(Envelope { records: None }) => push_record(&mut out, 0, text.trim()),
            // Several values one after another: one record per line.
            Err(_) if is_several_values(trimmed) => {
                let lines = ndjson_records(text);
                out.rejects = lines.rejects;
                for (i, r) in lines.records {
                    push_record(&mut out, i, r.get());
                }
                // Line order, as the records were met.
                out.rejects.sort_by_key(|r| r.index);
            }
            Err(e) if e.is_data() => {
                return Err(DecodeError::Shape(format!(
                    "not a CloudTrail file: `Records` must be an array of event objects ({})",
                    strip_position(&e.to_string())
                )))
            }
            Err(e) => return Err(json_error(&e)),
        },
        Some(_) => {
            return Err(DecodeError::Shape(format!(
                "not a CloudTrail file: expected a JSON object or array, found {:?}",
                truncate(trimmed, 20)
            )))
        }
    }
    Ok(out)
}

fn push_record<'a>(out: &mut CloudTrailFile<'a>, index: usize, raw: &'a str) {
    match map_record(raw) {
        Ok(event) => out.events.push(event),
        Err(reason) => out.rejects.push(RecordReject {
            index,
            reason: format!("record {index}: {reason}"),
            raw: truncate(raw, 4096).to_string(),
        }),
    }
}

/// A string that also accepts numbers and booleans (exports differ in what they quote).
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(if v { "true" } else { "false" })))
            }
        }
        d.deserialize_any(V)
    }
}

/// A boolean that also accepts `"true"` / `"false"` strings.
struct Flag(Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a boolean or \"true\"/\"false\"")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(Some(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
                match v.to_ascii_lowercase().as_str() {
                    "true" | "yes" => Ok(Flag(Some(true))),
                    "false" | "no" => Ok(Flag(Some(false))),
                    "" => Ok(Flag(None)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_unit<E>(self) -> Result<Flag, E> {
                Ok(Flag(None))
            }
        }
        d.deserialize_any(V)
    }
}

type T<'a> = Option<Text<'a>>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent<'a> {
    #[serde(borrow)]
    event_version: T<'a>,
    #[serde(borrow)]
    user_identity: Option<UserIdentity<'a>>,
    #[serde(borrow)]
    event_time: T<'a>,
    #[serde(borrow, rename = "@timestamp")]
    at_timestamp: T<'a>,
    #[serde(borrow)]
    event_source: T<'a>,
    #[serde(borrow)]
    event_name: T<'a>,
    #[serde(borrow)]
    aws_region: T<'a>,
    #[serde(borrow, rename = "sourceIPAddress")]
    source_ip_address: T<'a>,
    #[serde(borrow)]
    user_agent: T<'a>,
    #[serde(borrow)]
    error_code: T<'a>,
    #[serde(borrow)]
    error_message: T<'a>,
    #[serde(borrow)]
    request_parameters: Option<&'a RawValue>,
    #[serde(borrow)]
    response_elements: Option<&'a RawValue>,
    #[serde(borrow)]
    additional_event_data: Option<&'a RawValue>,
    #[serde(borrow)]
    service_event_details: Option<&'a RawValue>,
    #[serde(borrow, rename = "requestID")]
    request_id: T<'a>,
    #[serde(borrow, rename = "eventID")]
    event_id: T<'a>,
    read_only: Option<Flag>,
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
    #[serde(borrow)]
    event_type: T<'a>,
    #[serde(borrow)]
    api_version: T<'a>,
    management_event: Option<Flag>,
    #[serde(borrow)]
    recipient_account_id: T<'a>,
    #[serde(borrow, rename = "sharedEventID")]
    shared_event_id: T<'a>,
    #[serde(borrow)]
    vpc_endpoint_id: T<'a>,
    #[serde(borrow)]
    event_category: T<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdentity<'a> {
    #[serde(borrow, rename = "type")]
    kind: T<'a>,
    #[serde(borrow)]
    principal_id: T<'a>,
    #[serde(borrow)]
    arn: T<'a>,
    #[serde(borrow)]
    account_id: T<'a>,
    #[serde(borrow)]
    access_key_id: T<'a>,
    #[serde(borrow)]
    user_name: T<'a>,
    #[serde(borrow)]
    invoked_by: T<'a>,
    #[serde(borrow)]
    session_context: Option<SessionContext<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionContext<'a> {
    #[serde(borrow)]
    session_issuer: Option<SessionIssuer<'a>>,
    attributes: Option<SessionAttributes>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionIssuer<'a> {
    #[serde(borrow)]
    arn: T<'a>,
    #[serde(borrow)]
    user_name: T<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionAttributes {
    mfa_authenticated: Option<Flag>,
}

fn cow(t: T<'_>) -> Option<Cow<'_, str>> {
    t.map(|t| t.0).filter(|s| !s.is_empty())
}

fn raw_json(v: Option<&RawValue>) -> Option<&str> {
    v.map(RawValue::get).filter(|s| *s != "null")
}

/// Maps one record's JSON text to a row, or says why it cannot.
pub fn map_record(raw: &str) -> Result<ApiActivity<'_>, String> {
    let trimmed = raw.trim_start();
    if !trimmed.starts_with('{') {
        return Err(format!(
            "expected a JSON object, found {:?}",
            truncate(trimmed, 40)
        ));
    }
    let e: RawEvent = serde_json::from_str(raw).map_err(|e| strip_position(&e.to_string()))?;
    let time_text = e.event_time.or(e.at_timestamp).map(|t| t.0);
    let time_ms = match &time_text {
        Some(t) => parse_rfc3339_ms(t)
            .ok_or_else(|| format!("field `eventTime`: expected an RFC 3339 time, found {t:?}"))?,
        None => return Err("field `eventTime` is missing (no `@timestamp` either)".to_string()),
    };
    let (ident, session) = match e.user_identity {
        Some(mut u) => {
            let session = u.session_context.take();
            (Some(u), session)
        }
        None => (None, None),
    };
    let (issuer, attributes) = match session {
        Some(s) => (s.session_issuer, s.attributes),
        None => (None, None),
    };
    let (issuer_arn, issuer_name) = match issuer {
        Some(i) => (cow(i.arn), cow(i.user_name)),
        None => (None, None),
    };
    let mfa = attributes.and_then(|a| a.mfa_authenticated).and_then(|f| f.0);
    let mut a = ApiActivity {
        time_ms,
        event_uid: cow(e.event_id),
        event_version: cow(e.event_version),
        event_type: cow(e.event_type),
        event_category: cow(e.event_category),
        operation: cow(e.event_name),
        service: cow(e.event_source),
        request_uid: cow(e.request_id),
        api_version: cow(e.api_version),
        error_code: cow(e.error_code),
        error_message: cow(e.error_message),
        actor_session_issuer: issuer_arn,
        actor_mfa: mfa,
        user_agent: cow(e.user_agent),
        region: cow(e.aws_region),
        recipient_account: cow(e.recipient_account_id),
        read_only: e.read_only.and_then(|f| f.0),
        management_event: e.management_event.and_then(|f| f.0),
        shared_event_id: cow(e.shared_event_id),
        vpc_endpoint_id: cow(e.vpc_endpoint_id),
        request_data: raw_json(e.request_parameters),
        response_data: raw_json(e.response_elements),
        additional_data: raw_json(e.additional_event_data),
        service_event_details: raw_json(e.service_event_details),
        resources: raw_json(e.resources),
        raw,
        ..ApiActivity::default()
    };
    if let Some(u) = ident {
        a.actor_type = cow(u.kind);
        a.actor_uid = cow(u.arn);
        a.actor_uid_alt = cow(u.principal_id);
        a.actor_account = cow(u.account_id);
        a.actor_credential = cow(u.access_key_id);
        a.actor_invoked_by = cow(u.invoked_by);
        a.actor_name = cow(u.user_name).or(issuer_name).or_else(|| {
            a.actor_uid
                .as_deref()
                .and_then(|arn| arn.rsplit(['/', ':']).next())
                .filter(|s| !s.is_empty())
                .map(|s| Cow::Owned(s.to_string()))
        });
    }
    match cow(e.source_ip_address) {
        Some(ip) if ip.parse::<std::net::IpAddr>().is_ok() => a.src_ip = Some(ip),
        other => a.src_domain = other,
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAX:alice","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice","accountId":"111122223333","accessKeyId":"ASIAX","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/Admin","userName":"Admin"},"attributes":{"creationDate":"2024-01-02T00:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"2024-01-02T03:04:05Z","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15","requestParameters":{"groupId":"sg-1"},"responseElements":null,"requestID":"r-1","eventID":"e-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#;

    #[test]
    fn maps_the_fields() {
        let a = map_record(EVENT).expect("maps");
        assert_eq!(a.time_ms, 1_704_164_645_000);
        assert_eq!(a.operation.as_deref(), Some("AuthorizeSecurityGroupIngress"));
        assert_eq!(a.actor_type.as_deref(), Some("AssumedRole"));
        assert_eq!(a.actor_name.as_deref(), Some("Admin"));
        assert_eq!(
            a.actor_session_issuer.as_deref(),
            Some("arn:aws:iam::111122223333:role/Admin")
        );
        assert_eq!(a.actor_mfa, Some(false));
        assert_eq!(a.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(a.src_domain, None);
        assert_eq!(a.request_data, Some(r#"{"groupId":"sg-1"}"#));
        assert_eq!(a.response_data, None);
        assert_eq!(a.read_only, Some(false));
        assert_eq!(a.raw, EVENT);
    }

    #[test]
    fn the_three_shapes() {
        let envelope = format!("{{\"Records\":[{EVENT},{EVENT}]}}");
        assert_eq!(
            decode_cloudtrail(envelope.as_bytes()).map(|f| f.events.len()),
            Ok(2)
        );
        let array = format!("[{EVENT}]");
        assert_eq!(decode_cloudtrail(array.as_bytes()).map(|f| f.events.len()), Ok(1));
        let ndjson = format!("{EVENT}\n\n{EVENT}\n");
        assert_eq!(
            decode_cloudtrail(ndjson.as_bytes()).map(|f| f.events.len()),
            Ok(2)
        );
        let single = EVENT.to_string();
        assert_eq!(
            decode_cloudtrail(single.as_bytes()).map(|f| f.events.len()),
            Ok(1)
        );
    }

    #[test]
    fn logstash_timestamp_and_loose_types() {
        let rec = r#"{"@timestamp":"2020-09-14T01:19:40.123Z","eventName":"GetObject","readOnly":"true","recipientAccountId":123456789012,"sourceIPAddress":"s3.amazonaws.com"}"#;
        let a = map_record(rec).expect("maps");
        assert_eq!(a.time_ms % 1000, 123);
        assert_eq!(a.read_only, Some(true));
        assert_eq!(a.recipient_account.as_deref(), Some("123456789012"));
        assert_eq!(a.src_domain.as_deref(), Some("s3.amazonaws.com"));
    }

    #[test]
    fn bad_records_are_rejected_and_neighbours_kept() {
        let text =
            format!("{{\"Records\":[{EVENT},42,{{\"eventName\":\"X\"}},{{\"eventTime\":\"yesterday\"}}]}}");
        let f = decode_cloudtrail(text.as_bytes()).expect("file decodes");
        assert_eq!(f.events.len(), 1);
        let reasons: Vec<&str> = f.rejects.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "record 1: expected a JSON object, found \"42\"",
                "record 2: field `eventTime` is missing (no `@timestamp` either)",
                "record 3: field `eventTime`: expected an RFC 3339 time, found \"yesterday\"",
            ]
        );
        let ndjson = format!("{EVENT}\n{{broken\n{EVENT}\n");
        let f = decode_cloudtrail(ndjson.as_bytes()).expect("file decodes");
        assert_eq!(f.events.len(), 2);
        assert!(
            f.rejects[0].reason.starts_with("line 2: invalid JSON"),
            "{:?}",
            f.rejects
        );
    }

    #[test]
    fn unreadable_files() {
        assert_eq!(
            decode_cloudtrail(b"{\"Records\":[{\"eventName\":")
                .unwrap_err()
                .to_string(),
            "invalid JSON at line 1 column 25: EOF while parsing a value"
        );
        assert!(matches!(
            decode_cloudtrail(b"{\"Records\":7}"),
            Err(DecodeError::Shape(_))
        ));
        assert!(matches!(decode_cloudtrail(b"hello"), Err(DecodeError::Shape(_))));
        assert!(matches!(decode_cloudtrail(b"  "), Err(DecodeError::Shape(_))));
        assert_eq!(
            decode_cloudtrail(b"{\"a\":\xff}").unwrap_err(),
            DecodeError::NotUtf8 { offset: 5 }
        );
    }
}
