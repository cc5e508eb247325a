//! One event as the rules see it: a JSON record in its log's own field names (CloudTrail's
//! `eventName`, Resolver's `query_name`, flow logs' `dstport`), its text, and the few facts every
//! finding needs (id, time, account, region, actor), read where each log keeps them.
//!
//! Field names are dotted paths into the record (`userIdentity.type`). A path that reaches an
//! array goes on into each element, so `resources.ARN` yields every resource's ARN. A key that
//! itself contains dots (`additionalEventData.x.y` where `x.y` is one key) is found too: at each
//! level the longest key that prefixes the rest of the path wins.

use serde_json::Value;

/// The log a record comes from; a rule's `logsource` names one, and it runs on that log only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// CloudTrail management and data events (`product: aws, service: cloudtrail`).
    CloudTrail,
    /// VPC and Transit Gateway flow logs (`service: vpcflow`), one record per flow with the
    /// fields AWS names in the log format (`srcaddr`, `dstport`, `action`, …).
    VpcFlow,
    /// Route 53 Resolver query logs (`service: route53resolver`), as AWS writes them.
    Resolver,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::CloudTrail, Source::VpcFlow, Source::Resolver];

    /// Its position in [`Source::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The lake table holding the log.
    pub fn table(self) -> &'static str {
        match self {
            Source::CloudTrail => "cloudtrail",
            Source::VpcFlow => "vpc_flow",
            Source::Resolver => "route53_resolver",
        }
    }

    pub fn from_table(table: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.table() == table)
    }

    /// The source a Sigma `logsource` names (`product: aws` and a service), if parapet reads it.
    pub fn from_logsource(product: &str, service: &str) -> Option<Source> {
        if !product.eq_ignore_ascii_case("aws") {
            return None;
        }
        match service.to_ascii_lowercase().as_str() {
            "" | "cloudtrail" => Some(Source::CloudTrail),
            "vpcflow" | "vpc_flow" | "vpcflowlogs" => Some(Source::VpcFlow),
            "route53resolver" | "route53_resolver" | "route53" => Some(Source::Resolver),
            _ => None,
        }
    }

    /// The `logsource` service a rule writes for this source.
    pub fn service(self) -> &'static str {
        match self {
            Source::CloudTrail => "cloudtrail",
            Source::VpcFlow => "vpcflow",
            Source::Resolver => "route53resolver",
        }
    }

    /// The field holding the account the record belongs to (a finding's default grouping).
    pub fn account_field(self) -> &'static str {
        match self {
            Source::CloudTrail => "recipientAccountId",
            Source::VpcFlow | Source::Resolver => "account_id",
        }
    }
}

/// A parsed record and its original text.
pub struct Event<'a> {
    pub source: Source,
    pub value: Value,
    pub text: &'a str,
}

/// Why a record is not an event.
#[derive(Debug, thiserror::Error)]
#[error("not a JSON object: {0}")]
pub struct EventError(String);

impl<'a> Event<'a> {
    /// A CloudTrail record.
    pub fn parse(text: &'a str) -> Result<Event<'a>, EventError> {
        Event::parse_as(Source::CloudTrail, text)
    }

    /// A record of `source` written as a JSON object.
    pub fn parse_as(source: Source, text: &'a str) -> Result<Event<'a>, EventError> {
        let value: Value = serde_json::from_str(text).map_err(|e| EventError(e.to_string()))?;
        Event::from_value(source, value, text)
    }

    /// A record already in JSON form (flow log lines, read from the lake's columns); `text` is
    /// the original record, which keywords search and the id digests.
    pub fn from_value(source: Source, value: Value, text: &'a str) -> Result<Event<'a>, EventError> {
        if !value.is_object() {
            return Err(EventError("the record is not an object".into()));
        }
        Ok(Event { source, value, text })
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

    /// CloudTrail's `eventID`, else a digest of the text (records without an id still dedup).
    pub fn uid(&self) -> String {
        match self.source {
            Source::CloudTrail => match self.str_at(&["eventID"]) {
                Some(id) if !id.is_empty() => return id.to_string(),
                _ => {}
            },
            Source::VpcFlow | Source::Resolver => {}
        }
        use sha2::Digest;
        let d = sha2::Sha256::digest(self.text.as_bytes());
        format!("sha256:{}", hex::encode(&d[..16]))
    }

    /// When it happened, ms since the epoch: CloudTrail's `eventTime` (else Logstash's
    /// `@timestamp`), Resolver's `query_timestamp`, the start of a flow's capture window.
    pub fn time_ms(&self) -> Option<i64> {
        match self.source {
            Source::CloudTrail => self
                .str_at(&["eventTime"])
                .or_else(|| self.str_at(&["@timestamp"]))
                .and_then(parapet_model::time::parse_rfc3339_ms),
            Source::Resolver => self
                .str_at(&["query_timestamp"])
                .and_then(parapet_model::time::parse_rfc3339_ms),
            Source::VpcFlow => self.value.get("start").and_then(Value::as_i64).map(|s| s * 1000),
        }
    }

    /// The account the event happened in: CloudTrail's `recipientAccountId` (else the caller's
    /// account), the log's `account_id` elsewhere.
    pub fn account(&self) -> Option<&str> {
        match self.source {
            Source::CloudTrail => self
                .str_at(&["recipientAccountId"])
                .or_else(|| self.str_at(&["userIdentity", "accountId"])),
            Source::VpcFlow | Source::Resolver => self.str_at(&["account_id"]),
        }
    }

    pub fn region(&self) -> Option<&str> {
        match self.source {
            Source::CloudTrail => self.str_at(&["awsRegion"]),
            Source::VpcFlow | Source::Resolver => self.str_at(&["region"]),
        }
    }

    /// CloudTrail's `eventName` (the rule index's key); other logs have none.
    pub fn event_name(&self) -> Option<&str> {
        match self.source {
            Source::CloudTrail => self.str_at(&["eventName"]),
            Source::VpcFlow | Source::Resolver => None,
        }
    }

    pub fn event_source(&self) -> Option<&str> {
        match self.source {
            Source::CloudTrail => self.str_at(&["eventSource"]),
            Source::VpcFlow | Source::Resolver => None,
        }
    }

    /// What happened, in a few words: the API call, `ACCEPT tcp/22` for a flow, `TXT name.` for a
    /// DNS query.
    pub fn action(&self) -> Option<String> {
        match self.source {
            Source::CloudTrail => self.event_name().map(str::to_string),
            Source::VpcFlow => {
                let proto = match self.value.get("protocol").and_then(Value::as_i64) {
                    Some(6) => "tcp".to_string(),
                    Some(17) => "udp".to_string(),
                    Some(1) => "icmp".to_string(),
                    Some(n) => format!("proto{n}"),
                    None => "-".to_string(),
                };
                let port = self
                    .value
                    .get("dstport")
                    .and_then(Value::as_i64)
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "-".into());
                let action = self.str_at(&["action"]).unwrap_or("-");
                Some(format!("{action} {proto}/{port}"))
            }
            Source::Resolver => {
                let ty = self.str_at(&["query_type"]).unwrap_or("-");
                let name = self.str_at(&["query_name"]).unwrap_or("-");
                Some(format!("{ty} {name}"))
            }
        }
    }

    /// Who did it. CloudTrail: the principal's ARN, else the user name (failed sign-ins of
    /// unknown users carry only that), else the principal id, else the invoking service. Flow:
    /// the source address. DNS: the querying instance, else its address.
    pub fn actor(&self) -> Option<&str> {
        match self.source {
            Source::CloudTrail => self
                .str_at(&["userIdentity", "arn"])
                .or_else(|| self.str_at(&["userIdentity", "userName"]))
                .or_else(|| self.str_at(&["additionalEventData", "UserName"]))
                .or_else(|| self.str_at(&["userIdentity", "principalId"]))
                .or_else(|| self.str_at(&["userIdentity", "invokedBy"])),
            Source::VpcFlow => self.str_at(&["srcaddr"]),
            Source::Resolver => self
                .str_at(&["srcids", "instance"])
                .or_else(|| self.str_at(&["srcaddr"])),
        }
    }

    pub fn source_ip(&self) -> Option<&str> {
        match self.source {
            Source::CloudTrail => self.str_at(&["sourceIPAddress"]),
            Source::VpcFlow | Source::Resolver => self.str_at(&["srcaddr"]),
        }
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

    #[test]
    fn each_log_keeps_its_facts_in_its_own_fields() {
        let dns = r#"{"version":"1.100000","account_id":"111122223333","region":"eu-west-1","query_timestamp":"2026-11-10T10:00:00Z","query_name":"example.com.","query_type":"A","srcaddr":"10.0.0.5","srcids":{"instance":"i-0abc"}}"#;
        let e = Event::parse_as(Source::Resolver, dns).expect("dns");
        assert_eq!(e.time_ms(), Some(1_794_304_800_000));
        assert_eq!(
            (e.account(), e.region()),
            (Some("111122223333"), Some("eu-west-1"))
        );
        assert_eq!(e.actor(), Some("i-0abc"));
        assert_eq!(e.action().as_deref(), Some("A example.com."));
        assert!(e.uid().starts_with("sha256:"));
        assert_eq!(e.event_name(), None);
        let line =
            "2 111122223333 eni-1 198.51.100.7 10.0.0.5 40000 22 6 5 300 1794304800 1794304860 REJECT OK";
        let v = serde_json::json!({"account_id": "111122223333", "srcaddr": "198.51.100.7", "dstport": 22, "protocol": 6, "action": "REJECT", "start": 1_794_304_800i64});
        let e = Event::from_value(Source::VpcFlow, v, line).expect("flow");
        assert_eq!(e.time_ms(), Some(1_794_304_800_000));
        assert_eq!(e.actor(), Some("198.51.100.7"));
        assert_eq!(e.action().as_deref(), Some("REJECT tcp/22"));
        assert_eq!(Source::from_logsource("AWS", "VpcFlow"), Some(Source::VpcFlow));
        assert_eq!(Source::from_logsource("aws", "s3"), None);
        assert_eq!(Source::from_table("route53_resolver"), Some(Source::Resolver));
    }
}
