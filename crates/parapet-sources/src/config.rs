//! AWS Config → [`ConfigItem`] rows: configuration history and snapshot files as delivered to
//! the Log Archive bucket, change notifications (including oversized ones), and bare items.
//!
//! Key spelling varies with the item schema and the producer: files delivered to S3 and the
//! API use `awsAccountId`, `ARN`, `configurationItemVersion`, `configurationStateMd5Hash`, while
//! notifications and rule events use `accountId`, `arn`, `version`, `configurationItemMD5Hash`.
//! Both are read. Times are RFC 3339 strings or epoch seconds (API exports).

use parapet_model::time::parse_rfc3339_ms;
use parapet_model::{ConfigDelivery, ConfigItem};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::json::{DecodeError, Decoded};
use crate::per_record::decode_records;

#[derive(Deserialize)]
struct FileTop {
    #[serde(rename = "configSnapshotId")]
    snapshot_id: Option<String>,
    #[serde(rename = "configurationItems")]
    items: Option<IgnoredAny>,
}

/// Decodes a Config object (already decompressed).
pub fn decode_config(bytes: &[u8]) -> Result<Decoded<ConfigItem>, DecodeError> {
    // A history or snapshot file wraps its items; a snapshot names itself.
    let (delivery, snapshot_id) = match serde_json::from_slice::<FileTop>(bytes) {
        Ok(FileTop {
            items: Some(_),
            snapshot_id: Some(id),
        }) => (ConfigDelivery::Snapshot, Some(id)),
        Ok(FileTop { items: Some(_), .. }) => (ConfigDelivery::History, None),
        _ => (ConfigDelivery::Item, None),
    };
    let out = decode_records(bytes, &["configurationItems"], |raw| {
        config_items_from_json(raw, delivery, snapshot_id.as_deref())
    })?;
    if out.records.is_empty() && out.rejects.len() == 1 && delivery == ConfigDelivery::Item {
        // One object that is not a configuration item at all: the object is not a Config file.
        let reject = &out.rejects[0];
        return Err(DecodeError::Shape(format!(
            "not an AWS Config file: {}",
            reject.reason.trim_start_matches("record 0: ")
        )));
    }
    Ok(out)
}

/// The items of one Config record: a configuration item, or a change notification message.
/// `delivery` says how bare items arrived; notifications say it themselves.
pub fn config_items_from_json(
    raw: &str,
    delivery: ConfigDelivery,
    snapshot_id: Option<&str>,
) -> Result<Vec<ConfigItem>, String> {
    let value: Value = serde_json::from_str(raw).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(obj) = value else {
        return Err("expected a JSON object (a configuration item)".into());
    };
    match obj.get("messageType").and_then(Value::as_str) {
        Some("ConfigurationItemChangeNotification") => {
            let Some(Value::Object(item)) = obj.get("configurationItem") else {
                return Err("a ConfigurationItemChangeNotification without a `configurationItem` object".into());
            };
            let change = obj
                .get("configurationItemDiff")
                .and_then(|d| d.get("changeType"))
                .and_then(Value::as_str);
            let mut ci = item_from_map(item, ConfigDelivery::Notification, raw)?;
            ci.change_type = change.map(str::to_string);
            Ok(vec![ci])
        }
        Some("OversizedConfigurationItemChangeNotification") => {
            let Some(Value::Object(summary)) = obj.get("configurationItemSummary") else {
                return Err(
                    "an OversizedConfigurationItemChangeNotification without `configurationItemSummary`".into(),
                );
            };
            let mut ci = item_from_map(summary, ConfigDelivery::Oversized, raw)?;
            ci.change_type = summary.get("changeType").and_then(Value::as_str).map(str::to_string);
            ci.oversized_location = obj
                .get("s3DeliverySummary")
                .and_then(|s| s.get("s3BucketLocation"))
                .and_then(Value::as_str)
                .map(str::to_string);
            Ok(vec![ci])
        }
        Some(other) => Err(format!(
            "a Config `{other}` message, not a configuration item (only ConfigurationItemChangeNotification and OversizedConfigurationItemChangeNotification carry items)"
        )),
        None => {
            let mut ci = item_from_map(&obj, delivery, raw)?;
            ci.snapshot_id = snapshot_id.map(str::to_string);
            Ok(vec![ci])
        }
    }
}

fn text(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match obj.get(*k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// A nested part as JSON text; a part delivered as a JSON string (the API does that for
/// `configuration`) is kept as that string.
fn json_part(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(v) => Some(v.to_string()),
    }
}

fn time_ms(obj: &Map<String, Value>, key: &str) -> Result<Option<i64>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_rfc3339_ms(s)
            .map(Some)
            .ok_or_else(|| format!("`{key}` is not an RFC 3339 time: {s:?}")),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|s| s.is_finite() && *s >= 0.0 && *s < 1e11)
            .map(|s| Some((s * 1000.0).round() as i64))
            .ok_or_else(|| format!("`{key}` is not a time in epoch seconds: {n}")),
        Some(other) => Err(format!("`{key}` must be a time, found {other}")),
    }
}

fn item_from_map(
    obj: &Map<String, Value>,
    delivery: ConfigDelivery,
    raw: &str,
) -> Result<ConfigItem, String> {
    let capture_time_ms = time_ms(obj, "configurationItemCaptureTime")?
        .ok_or("no `configurationItemCaptureTime` (expected the time the item was recorded)")?;
    let resource_type =
        text(obj, &["resourceType"]).ok_or("no `resourceType` (expected e.g. AWS::EC2::SecurityGroup)")?;
    let resource_id = text(obj, &["resourceId"]).ok_or("no `resourceId`")?;
    Ok(ConfigItem {
        capture_time_ms,
        status: text(obj, &["configurationItemStatus"]),
        account_id: text(obj, &["awsAccountId", "accountId"]),
        region: text(obj, &["awsRegion"]),
        resource_type,
        resource_id,
        resource_name: text(obj, &["resourceName"]),
        arn: text(obj, &["ARN", "arn"]),
        availability_zone: text(obj, &["availabilityZone"]).filter(|z| z != "Not Applicable"),
        resource_creation_time_ms: time_ms(obj, "resourceCreationTime").ok().flatten(),
        state_id: text(obj, &["configurationStateId"]),
        state_hash: text(obj, &["configurationStateMd5Hash", "configurationItemMD5Hash"]),
        item_version: text(obj, &["configurationItemVersion", "version"]),
        tags: json_part(obj, "tags"),
        relationships: json_part(obj, "relationships"),
        related_events: json_part(obj, "relatedEvents"),
        configuration: json_part(obj, "configuration"),
        supplementary_configuration: json_part(obj, "supplementaryConfiguration"),
        delivery,
        change_type: None,
        snapshot_id: None,
        oversized_location: None,
        raw: raw.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HISTORY: &str = r#"{"fileVersion":"1.0","configurationItems":[
      {"configurationItemVersion":"1.3","configurationItemCaptureTime":"2024-03-01T10:00:00.500Z",
       "configurationStateId":1709287200500,"awsAccountId":"111122223333","configurationItemStatus":"OK",
       "resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-1","resourceName":"web","ARN":"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1",
       "awsRegion":"eu-west-1","availabilityZone":"Not Applicable","configurationStateMd5Hash":"",
       "tags":{"team":"web"},"relatedEvents":[],"relationships":[],
       "configuration":{"groupId":"sg-1","ipPermissions":[{"ipRanges":["0.0.0.0/0"],"fromPort":22}]},
       "supplementaryConfiguration":{}},
      {"configurationItemCaptureTime":"2024-03-01T11:00:00Z","resourceType":"AWS::S3::Bucket"}
    ]}"#;

    #[test]
    fn history_file_items_and_a_reject() {
        let d = decode_config(HISTORY.as_bytes()).unwrap();
        assert_eq!(d.records.len(), 1);
        let ci = &d.records[0];
        assert_eq!(ci.delivery, ConfigDelivery::History);
        assert_eq!(ci.capture_time_ms, 1_709_287_200_500);
        assert_eq!(ci.account_id.as_deref(), Some("111122223333"));
        assert_eq!(ci.state_id.as_deref(), Some("1709287200500"));
        assert_eq!(ci.availability_zone, None);
        assert_eq!(ci.state_hash, None);
        assert!(ci.configuration.as_deref().unwrap().contains("0.0.0.0/0"));
        assert_eq!(ci.tags.as_deref(), Some(r#"{"team":"web"}"#));
        assert_eq!(d.rejects.len(), 1);
        assert!(
            d.rejects[0].reason.contains("no `resourceId`"),
            "{}",
            d.rejects[0].reason
        );
    }

    #[test]
    fn snapshot_names_itself() {
        let text = r#"{"fileVersion":"1.0","configSnapshotId":"abc-1","configurationItems":[
          {"configurationItemCaptureTime":"2024-03-01T10:00:00Z","resourceType":"AWS::IAM::User","resourceId":"AIDA1","awsRegion":"global"}]}"#;
        let d = decode_config(text.as_bytes()).unwrap();
        assert_eq!(d.records[0].delivery, ConfigDelivery::Snapshot);
        assert_eq!(d.records[0].snapshot_id.as_deref(), Some("abc-1"));
    }

    #[test]
    fn notifications_plain_and_oversized() {
        let n = r#"{"configurationItemDiff":{"changedProperties":{},"changeType":"CREATE"},
          "configurationItem":{"version":"1.3","accountId":"111122223333","configurationItemCaptureTime":"2024-03-01T10:00:00Z",
          "configurationItemStatus":"ResourceDiscovered","resourceType":"AWS::EC2::Instance","resourceId":"i-1","arn":"arn:x"},
          "notificationCreationTime":"2024-03-01T10:00:01Z","messageType":"ConfigurationItemChangeNotification","recordVersion":"1.3"}"#;
        let items = config_items_from_json(n, ConfigDelivery::Item, None).unwrap();
        assert_eq!(items[0].delivery, ConfigDelivery::Notification);
        assert_eq!(items[0].change_type.as_deref(), Some("CREATE"));
        assert_eq!(items[0].arn.as_deref(), Some("arn:x"));
        let o = r#"{"configurationItemSummary":{"changeType":"UPDATE","configurationItemVersion":"1.3",
          "configurationItemCaptureTime":"2024-03-01T10:00:00Z","configurationStateId":5,"awsAccountId":"111122223333",
          "configurationItemStatus":"OK","resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-9","awsRegion":"us-east-1"},
          "s3DeliverySummary":{"s3BucketLocation":"my-bucket/AWSLogs/111122223333/Config/us-east-1/2024/3/1/OversizedChangeNotification/x.json.gz","errorCode":null,"errorMessage":null},
          "notificationCreationTime":"2024-03-01T10:00:02Z","messageType":"OversizedConfigurationItemChangeNotification","recordVersion":"1.0"}"#;
        let items = config_items_from_json(o, ConfigDelivery::Item, None).unwrap();
        assert_eq!(items[0].delivery, ConfigDelivery::Oversized);
        assert_eq!(items[0].change_type.as_deref(), Some("UPDATE"));
        assert!(items[0]
            .oversized_location
            .as_deref()
            .unwrap()
            .starts_with("my-bucket/"));
        assert_eq!(items[0].configuration, None);
        let other = r#"{"messageType":"ConfigRulesEvaluationStarted"}"#;
        assert!(config_items_from_json(other, ConfigDelivery::Item, None)
            .unwrap_err()
            .contains("ConfigRulesEvaluationStarted"));
    }

    #[test]
    fn epoch_second_times_and_bad_times() {
        let t = r#"{"configurationItemCaptureTime":1709287200.25,"resourceType":"AWS::S3::Bucket","resourceId":"b"}"#;
        assert_eq!(
            config_items_from_json(t, ConfigDelivery::Item, None).unwrap()[0].capture_time_ms,
            1_709_287_200_250
        );
        let bad = r#"{"configurationItemCaptureTime":"yesterday","resourceType":"AWS::S3::Bucket","resourceId":"b"}"#;
        assert!(config_items_from_json(bad, ConfigDelivery::Item, None)
            .unwrap_err()
            .contains("not an RFC 3339 time"));
    }

    #[test]
    fn a_lone_object_that_is_not_an_item_is_not_a_config_file() {
        let err = decode_config(br#"{"hello":"world"}"#).unwrap_err().to_string();
        assert!(
            err.starts_with("not an AWS Config file: no `configurationItemCaptureTime`"),
            "{err}"
        );
    }
}
