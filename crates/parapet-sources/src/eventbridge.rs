//! The EventBridge envelope (`{"version","id","detail-type","source","account","time","region",
//! "resources","detail":{…}}`) around findings and Health events: telling a wrapped record
//! from a bare one, and reading the envelope's own fields.

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Fields<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(rename = "detail-type", borrow)]
    detail_type: Option<&'a RawValue>,
    #[serde(borrow)]
    source: Option<&'a RawValue>,
    #[serde(borrow)]
    account: Option<&'a RawValue>,
    #[serde(borrow)]
    region: Option<&'a RawValue>,
    #[serde(borrow)]
    detail: Option<&'a RawValue>,
}

/// An EventBridge event: its envelope fields and the text of its `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub id: Option<String>,
    pub detail_type: Option<String>,
    pub source: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// The `detail` object, byte for byte.
    pub detail: &'a str,
}

impl Envelope<'_> {
    /// An error unless `detail-type` is absent (trimmed test events) or one of `expected`.
    pub fn expect_detail_type(&self, expected: &[&str]) -> Result<(), String> {
        match &self.detail_type {
            Some(dt) if !expected.contains(&dt.as_str()) => Err(format!(
                "`detail-type` is {dt:?}: expected {}",
                expected
                    .iter()
                    .map(|e| format!("{e:?}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
            _ => Ok(()),
        }
    }
}

fn text(v: Option<&RawValue>) -> Option<String> {
    v.and_then(|r| serde_json::from_str::<String>(r.get()).ok())
        .filter(|s| !s.is_empty())
}

/// The envelope of `raw` if it is an EventBridge event (a JSON object with a `detail` object),
/// `None` if it is a bare record, or why it is not a JSON object.
pub fn unwrap_event(raw: &str) -> Result<Option<Envelope<'_>>, String> {
    if !raw.trim_start().starts_with('{') {
        return Err(format!(
            "expected a JSON object, found {:?}",
            crate::json::truncate(raw.trim_start(), 20)
        ));
    }
    let fields: Fields = serde_json::from_str(raw)
        .map_err(|e| format!("invalid JSON: {}", crate::json::strip_position(&e.to_string())))?;
    let Some(detail) = fields.detail else {
        return Ok(None);
    };
    if !detail.get().starts_with('{') {
        return Err("`detail` is not an object: expected the event's detail".into());
    }
    Ok(Some(Envelope {
        id: text(fields.id),
        detail_type: text(fields.detail_type),
        source: text(fields.source),
        account: text(fields.account),
        region: text(fields.region),
        detail: detail.get(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_and_bare() {
        let e = unwrap_event(
            r#"{"version":"0","id":"e1","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"111122223333","region":"eu-west-1","detail":{"id":"x"}}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(e.detail, r#"{"id":"x"}"#);
        assert_eq!(e.account.as_deref(), Some("111122223333"));
        assert!(e.expect_detail_type(&["GuardDuty Finding"]).is_ok());
        assert_eq!(
            e.expect_detail_type(&["AWS Health Event"]).unwrap_err(),
            "`detail-type` is \"GuardDuty Finding\": expected \"AWS Health Event\""
        );
        assert_eq!(unwrap_event(r#"{"id":"x","region":"eu-west-1"}"#).unwrap(), None);
        assert!(unwrap_event("[1]")
            .unwrap_err()
            .starts_with("expected a JSON object"));
        assert!(unwrap_event(r#"{"detail":5}"#)
            .unwrap_err()
            .contains("`detail` is not an object"));
    }
}
