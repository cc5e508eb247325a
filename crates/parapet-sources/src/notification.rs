//! What an SQS message body says: S3 objects were created (S3 event notifications sent directly,
//! wrapped in SNS, or as EventBridge "Object Created" events), or an EventBridge event that is
//! itself the data (GuardDuty, Security Hub, Health). Keys in S3 notifications are URL-encoded
//! (`+` for a space); they are decoded here.

use percent_encoding::percent_decode_str;
use serde_json::Value;

/// One thing a message announces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// An object to ingest.
    Object {
        bucket: String,
        key: String,
        size: Option<u64>,
        etag: Option<String>,
    },
    /// An event that is data itself; `id` is its EventBridge id, `body` the event JSON.
    Event { id: String, body: String },
    /// Nothing to ingest: S3's `s3:TestEvent` (sent when notifications are configured), object
    /// removals and other S3 events.
    Ignored,
}

/// The notices of one message body, or why it is not one parapet understands.
pub fn parse_notification(body: &str) -> Result<Vec<Notice>, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("message body is not JSON: {e}"))?;
    // SNS wraps the original message as a string.
    if v.get("Type").and_then(Value::as_str) == Some("Notification") {
        let inner = v
            .get("Message")
            .and_then(Value::as_str)
            .ok_or("an SNS notification without a `Message` string")?;
        return parse_notification(inner);
    }
    if v.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(vec![Notice::Ignored]);
    }
    if let Some(records) = v.get("Records").and_then(Value::as_array) {
        return records.iter().enumerate().map(|(i, r)| s3_record(i, r)).collect();
    }
    if let Some(detail_type) = v.get("detail-type").and_then(Value::as_str) {
        if v.get("source").and_then(Value::as_str) == Some("aws.s3") {
            if detail_type != "Object Created" {
                return Ok(Vec::new());
            }
            let d = v
                .get("detail")
                .ok_or("an S3 EventBridge event without `detail`")?;
            let bucket = d
                .pointer("/bucket/name")
                .and_then(Value::as_str)
                .ok_or("an Object Created event without `detail.bucket.name`")?;
            let key = d
                .pointer("/object/key")
                .and_then(Value::as_str)
                .ok_or("an Object Created event without `detail.object.key`")?;
            return Ok(vec![Notice::Object {
                bucket: bucket.to_string(),
                // EventBridge keys are URL-encoded too.
                key: decode_key(key)?,
                size: d.pointer("/object/size").and_then(Value::as_u64),
                etag: d
                    .pointer("/object/etag")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }]);
        }
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .ok_or("an EventBridge event without `id`")?;
        return Ok(vec![Notice::Event {
            id: id.to_string(),
            body: body.to_string(),
        }]);
    }
    Err("not an S3 event notification, an SNS notification or an EventBridge event".into())
}

fn s3_record(i: usize, r: &Value) -> Result<Notice, String> {
    let name = r.get("eventName").and_then(Value::as_str).unwrap_or("");
    if !name.starts_with("ObjectCreated:") {
        // Removals and other events: nothing to ingest (the lake keeps what it read).
        return Ok(Notice::Ignored);
    }
    let bucket = r
        .pointer("/s3/bucket/name")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("Records[{i}]: no `s3.bucket.name`"))?;
    let key = r
        .pointer("/s3/object/key")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("Records[{i}]: no `s3.object.key`"))?;
    Ok(Notice::Object {
        bucket: bucket.to_string(),
        key: decode_key(key)?,
        size: r.pointer("/s3/object/size").and_then(Value::as_u64),
        etag: r
            .pointer("/s3/object/eTag")
            .and_then(Value::as_str)
            .map(|e| e.trim_matches('"').to_string()),
    })
}

/// S3 notifications encode keys as in a URL form: `+` is a space, `%XX` a byte.
fn decode_key(key: &str) -> Result<String, String> {
    let spaced = key.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| format!("object key {key:?} does not decode to UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(bucket: &str, key: &str) -> Notice {
        Notice::Object {
            bucket: bucket.into(),
            key: key.into(),
            size: Some(42),
            etag: Some("abc".into()),
        }
    }

    const S3: &str = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-1",
      "eventTime":"2024-03-01T10:00:00.000Z","eventName":"ObjectCreated:Put",
      "s3":{"s3SchemaVersion":"1.0","bucket":{"name":"log-archive","arn":"arn:aws:s3:::log-archive"},
      "object":{"key":"AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/01/a+copy%3D1.json.gz","size":42,"eTag":"abc"}}}]}"#;

    #[test]
    fn direct_and_sns_wrapped_s3_notifications() {
        let want = vec![object(
            "log-archive",
            "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/01/a copy=1.json.gz",
        )];
        assert_eq!(parse_notification(S3).unwrap(), want);
        let sns = serde_json::json!({"Type": "Notification", "MessageId": "m", "Message": S3}).to_string();
        assert_eq!(parse_notification(&sns).unwrap(), want);
    }

    #[test]
    fn eventbridge_object_created_and_data_events() {
        let created = r#"{"version":"0","id":"e1","detail-type":"Object Created","source":"aws.s3",
          "detail":{"bucket":{"name":"b"},"object":{"key":"x%2By.json","size":42,"etag":"abc"}}}"#;
        assert_eq!(
            parse_notification(created).unwrap(),
            vec![object("b", "x+y.json")]
        );
        let deleted = r#"{"id":"e2","detail-type":"Object Deleted","source":"aws.s3","detail":{}}"#;
        assert_eq!(parse_notification(deleted).unwrap(), vec![]);
        let gd = r#"{"version":"0","id":"e3","detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{}}"#;
        assert_eq!(
            parse_notification(gd).unwrap(),
            vec![Notice::Event {
                id: "e3".into(),
                body: gd.into()
            }]
        );
    }

    #[test]
    fn tests_removals_and_garbage() {
        assert_eq!(
            parse_notification(r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}"#).unwrap(),
            vec![Notice::Ignored]
        );
        let removed = S3.replace("ObjectCreated:Put", "ObjectRemoved:Delete");
        assert_eq!(parse_notification(&removed).unwrap(), vec![Notice::Ignored]);
        assert!(parse_notification("hello").unwrap_err().contains("not JSON"));
        assert!(parse_notification(r#"{"a":1}"#)
            .unwrap_err()
            .starts_with("not an S3 event"));
    }
}
