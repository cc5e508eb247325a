//! One event as the rules see it: a JSON record (CloudTrail's own field names), its text, and
//! the few facts every finding needs (id, time, account, region, actor).
//!
//! Field names are dotted paths into the record (`userIdentity.type`). A path that reaches an
//! array goes on into each element, so `resources.ARN` yields every resource's ARN. A key that
//! itself contains dots (`additionalEventData.x.y` where `x.y` is one key) is found too: at each
//! level the longest key that prefixes the rest of the path wins.

use serde_json::Value;

/// A parsed record and its original text.
pub struct Event<'a> {
    pub value: Value,
    pub text: &'a str,
}

/// Why a record is not an event.
#[derive(Debug, thiserror::Error)]
#[error("not a JSON object: {0}")]
pub struct EventError(String);

impl<'a> Event<'a> {
    pub fn parse(text: &'a str) -> Result<Event<'a>, EventError> {
        let value: Value = serde_json::from_str(text).map_err(|e| EventError(e.to_string()))?;
        if !value.is_object() {
            return Err(EventError("the record is not an object".into()));
        }
        Ok(Event { value, text })
    }

    /// The values at `path` (split on dots), flattening arrays on the way.
    pub fn values<'v>(&'v self, path: &[String], out: &mut Vec<&'v Value>) {
        collect(&self.value, path, out);
    }

    fn str_at(&self, path: &[&str]) -> Option<&str> {
        let mut v = &self.value;
        for p in path {
            v = v.get(p)?;
        }
        v.as_str()
    }

    /// `eventID`, else a digest of the text (records without an id still dedup).
    pub fn uid(&self) -> String {
        match self.str_at(&["eventID"]) {
            Some(id) if !id.is_empty() => id.to_string(),
            _ => {
                use sha2::Digest;
                let d = sha2::Sha256::digest(self.text.as_bytes());
                format!("sha256:{}", hex::encode(&d[..16]))
            }
        }
    }

    /// `eventTime` (else Logstash's `@timestamp`) in ms since the epoch.
    pub fn time_ms(&self) -> Option<i64> {
        self.str_at(&["eventTime"])
            .or_else(|| self.str_at(&["@timestamp"]))
            .and_then(parapet_model::time::parse_rfc3339_ms)
    }

    /// The account the event happened in: `recipientAccountId`, else the caller's account.
    pub fn account(&self) -> Option<&str> {
        self.str_at(&["recipientAccountId"])
            .or_else(|| self.str_at(&["userIdentity", "accountId"]))
    }

    pub fn region(&self) -> Option<&str> {
        self.str_at(&["awsRegion"])
    }

    pub fn event_name(&self) -> Option<&str> {
        self.str_at(&["eventName"])
    }

    pub fn event_source(&self) -> Option<&str> {
        self.str_at(&["eventSource"])
    }

    /// Who did it: the principal's ARN, else the user name (failed sign-ins of unknown users
    /// carry only that), else the principal id, else the invoking service.
    pub fn actor(&self) -> Option<&str> {
        self.str_at(&["userIdentity", "arn"])
            .or_else(|| self.str_at(&["userIdentity", "userName"]))
            .or_else(|| self.str_at(&["additionalEventData", "UserName"]))
            .or_else(|| self.str_at(&["userIdentity", "principalId"]))
            .or_else(|| self.str_at(&["userIdentity", "invokedBy"]))
    }

    pub fn source_ip(&self) -> Option<&str> {
        self.str_at(&["sourceIPAddress"])
    }
}

fn collect<'v>(v: &'v Value, path: &[String], out: &mut Vec<&'v Value>) {
    if path.is_empty() {
        match v {
            // A list value stands for each of its elements (Sigma matches any).
            Value::Array(items) if !items.is_empty() => out.extend(items.iter()),
            _ => out.push(v),
        }
        return;
    }
    match v {
        Value::Object(map) => {
            // Longest key first: `a.b` as one key beats `a` then `b`.
            for take in (1..=path.len()).rev() {
                let found = if take == 1 {
                    map.get(path[0].as_str())
                } else {
                    map.get(path[..take].join(".").as_str())
                };
                if let Some(next) = found {
                    collect(next, &path[take..], out);
                    return;
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, path, out);
            }
        }
        _ => {}
    }
}

/// The text a value is matched as: strings as they are, numbers and booleans as JSON writes
/// them, objects and arrays as compact JSON. `None` for null.
pub fn value_text(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match v {
        Value::Null => None,
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_string).collect()
    }

    #[test]
    fn paths_reach_nested_values_arrays_and_dotted_keys() {
        let text = r#"{"eventID":"e1","eventTime":"2024-01-02T03:04:05Z","a":{"b":[{"c":1},{"c":"x"}],"d.e":true},"l":["p","q"]}"#;
        let e = Event::parse(text).expect("event");
        let mut out = Vec::new();
        e.values(&path("a.b.c"), &mut out);
        let texts: Vec<_> = out.iter().filter_map(|v| value_text(v)).collect();
        assert_eq!(texts, ["1", "x"]);
        out.clear();
        e.values(&path("a.d.e"), &mut out);
        assert_eq!(out, [&Value::Bool(true)]);
        out.clear();
        e.values(&path("l"), &mut out);
        assert_eq!(out.len(), 2);
        out.clear();
        e.values(&path("missing.x"), &mut out);
        assert!(out.is_empty());
        assert_eq!(e.uid(), "e1");
        assert_eq!(e.time_ms(), Some(1_704_164_645_000));
    }

    #[test]
    fn records_without_an_id_get_a_stable_digest() {
        let a = Event::parse(r#"{"x":1}"#).expect("a");
        let b = Event::parse(r#"{"x":1}"#).expect("b");
        assert_eq!(a.uid(), b.uid());
        assert!(a.uid().starts_with("sha256:"));
        assert!(Event::parse("[1]").is_err());
    }
}
