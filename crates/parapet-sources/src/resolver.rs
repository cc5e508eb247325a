//! The Route 53 Resolver query log decoder: one JSON object per line (gzip in S3), one
//! [`DnsQuery`] each.
//!
//! A record that is not an object, or has no parseable `query_timestamp`, is a
//! [`RecordReject`]; the lines around it are kept.

use parapet_model::time::parse_rfc3339_ms;
use parapet_model::DnsQuery;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::{json_records, strip_position};
use crate::{DecodeError, Decoded, RecordReject};

/// A text field that AWS writes as a string but other producers sometimes as a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Int(n) => n.to_string(),
            Scalar::Float(f) => f.to_string(),
        }
    }
}

#[derive(Deserialize)]
struct SrcIds {
    instance: Option<String>,
    resolver_endpoint: Option<String>,
}

#[derive(Deserialize)]
struct Line<'a> {
    version: Option<Scalar>,
    account_id: Option<Scalar>,
    region: Option<String>,
    vpc_id: Option<String>,
    query_timestamp: Option<String>,
    query_name: Option<String>,
    query_type: Option<String>,
    query_class: Option<String>,
    rcode: Option<String>,
    #[serde(borrow)]
    answers: Option<&'a RawValue>,
    srcaddr: Option<String>,
    srcport: Option<Scalar>,
    transport: Option<String>,
    #[serde(borrow)]
    srcids: Option<&'a RawValue>,
    firewall_rule_action: Option<String>,
    firewall_rule_group_id: Option<String>,
    firewall_domain_list_id: Option<String>,
}

fn non_null(v: Option<&RawValue>) -> Option<&RawValue> {
    v.filter(|v| v.get() != "null")
}

fn query(raw: &RawValue) -> Result<DnsQuery, String> {
    let line: Line<'_> = serde_json::from_str(raw.get()).map_err(|e| {
        format!(
            "not a resolver query log record: {}",
            strip_position(&e.to_string())
        )
    })?;
    let ts = line
        .query_timestamp
        .ok_or("no `query_timestamp` (expected an ISO 8601 time such as 2021-02-04T17:51:55Z)")?;
    let time_ms = parse_rfc3339_ms(&ts).ok_or_else(|| {
        format!(
            "field `query_timestamp`: expected an ISO 8601 time such as 2021-02-04T17:51:55Z, found {ts:?}"
        )
    })?;
    let srcport =
        match line.srcport.map(Scalar::text) {
            None => None,
            Some(p) if p == "-" || p.is_empty() => None,
            Some(p) => Some(p.parse::<u16>().map(i32::from).map_err(|_| {
                format!("field `srcport`: expected a port number from 0 to 65535, found {p:?}")
            })?),
        };
    let srcids = non_null(line.srcids);
    let ids: Option<SrcIds> = match srcids {
        Some(v) => Some(serde_json::from_str(v.get()).map_err(|e| {
            format!(
                "field `srcids`: expected an object of ids, {}",
                strip_position(&e.to_string())
            )
        })?),
        None => None,
    };
    let (src_instance, src_resolver_endpoint) =
        ids.map_or((None, None), |i| (i.instance, i.resolver_endpoint));
    Ok(DnsQuery {
        time_ms,
        version: line.version.map(Scalar::text),
        account_id: line.account_id.map(Scalar::text),
        region: line.region,
        vpc_id: line.vpc_id,
        query_name: line.query_name,
        query_type: line.query_type,
        query_class: line.query_class,
        rcode: line.rcode,
        answers: non_null(line.answers).map(|v| v.get().to_string()),
        srcaddr: line.srcaddr.filter(|s| s != "-"),
        srcport,
        transport: line.transport,
        src_instance,
        src_resolver_endpoint,
        srcids: srcids.map(|v| v.get().to_string()),
        firewall_rule_action: line.firewall_rule_action,
        firewall_rule_group_id: line.firewall_rule_group_id,
        firewall_domain_list_id: line.firewall_domain_list_id,
        raw: raw.get().to_string(),
    })
}

/// Decodes a Route 53 Resolver query log object (already gunzipped).
pub fn decode_resolver_query_log(bytes: &[u8]) -> Result<Decoded<DnsQuery>, DecodeError> {
    let split = json_records(bytes, &[])?;
    let mut out = Decoded {
        records: Vec::with_capacity(split.records.len()),
        rejects: split.rejects,
    };
    for (index, raw) in split.records {
        match query(raw) {
            Ok(q) => out.records.push(q),
            Err(reason) => out.rejects.push(RecordReject {
                index,
                reason: format!("line {}: {reason}", index + 1),
                raw: crate::json::truncate(raw.get(), 4096).to_string(),
            }),
        }
    }
    if out.records.is_empty()
        && !out.rejects.is_empty()
        && out
            .rejects
            .iter()
            .all(|r| r.reason.contains("not a resolver query log record"))
    {
        return Err(DecodeError::Shape(
            "not a Route 53 Resolver query log: no line is a query record".into(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let path = format!(
            "{}/../../testdata/route53_resolver/panther_resolver_query.log",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn the_sample_parses_whole() {
        let bytes = sample();
        let text = std::str::from_utf8(&bytes).unwrap();
        let d = decode_resolver_query_log(&bytes).unwrap();
        assert!(d.rejects.is_empty(), "{:?}", d.rejects);
        assert_eq!(
            d.records.len(),
            text.lines().filter(|l| !l.trim().is_empty()).count()
        );
        assert_eq!(d.records.len(), 8);
        let q = &d.records[2];
        assert_eq!(q.query_name.as_deref(), Some("moneropool.ru"));
        assert_eq!(q.time_ms, parse_rfc3339_ms("2022-06-25T00:27:53Z").unwrap());
        assert_eq!(q.srcport, Some(8888));
        assert_eq!(q.src_instance.as_deref(), Some("i-0abc234"));
        assert_eq!(
            q.answers.as_deref(),
            Some(r#"[{"Class":"IN","Rdata":"1.2.3.4","Type":"A"}]"#)
        );
        assert_eq!(q.region.as_deref(), Some("us-west-2"));
        assert_eq!(q.vpc_id.as_deref(), Some("vpc-abc123"));
        assert_eq!(q.raw, text.lines().nth(2).unwrap());
    }

    #[test]
    fn the_aws_documented_shape() {
        // The field set of AWS's documented example, with a resolver endpoint as the source.
        let line = r#"{"srcaddr":"4.5.64.102","vpc_id":"vpc-7example","answers":[{"Rdata":"203.0.113.9","Type":"PTR","Class":"IN"}],"firewall_rule_group_id":"rslvr-frg-01","firewall_rule_action":"BLOCK","query_name":"15.3.4.32.in-addr.arpa.","firewall_domain_list_id":"rslvr-fdl-01","query_class":"IN","srcids":{"resolver_endpoint":"rslvr-in-01","resolver_network_interface":"rni-01"},"rcode":"NOERROR","query_type":"PTR","transport":"UDP","version":"1.100000","account_id":"111122223333","srcport":"56067","query_timestamp":"2021-02-04T17:51:55Z","region":"us-east-1"}"#;
        let d = decode_resolver_query_log(line.as_bytes()).unwrap();
        let q = &d.records[0];
        assert_eq!(q.firewall_rule_action.as_deref(), Some("BLOCK"));
        assert_eq!(q.firewall_rule_group_id.as_deref(), Some("rslvr-frg-01"));
        assert_eq!(q.src_resolver_endpoint.as_deref(), Some("rslvr-in-01"));
        assert_eq!(q.src_instance, None);
        assert!(q.srcids.as_deref().unwrap().contains("rni-01"));
        assert_eq!(q.account_id.as_deref(), Some("111122223333"));
        assert_eq!(q.time_ms, 1_612_461_115_000);
    }

    #[test]
    fn bad_lines_are_rejects_with_their_line() {
        let text = concat!(
            r#"{"query_timestamp":"2021-02-04T17:51:55Z","query_name":"a."}"#,
            "\n",
            r#"{"query_timestamp":"yesterday","query_name":"b."}"#,
            "\n",
            r#"{"query_name":"c."}"#,
            "\n",
            r#"{"query_timestamp":"2021-02-04T17:51:55Z","srcport":"99999"}"#,
            "\n{oops\n",
            r#"{"query_timestamp":"2021-02-04T17:51:56Z","query_name":"d."}"#,
            "\n"
        );
        let d = decode_resolver_query_log(text.as_bytes()).unwrap();
        assert_eq!(d.records.len(), 2);
        let mut reasons: Vec<(usize, String)> =
            d.rejects.iter().map(|r| (r.index, r.reason.clone())).collect();
        reasons.sort();
        assert_eq!(reasons.len(), 4);
        assert!(reasons[0]
            .1
            .starts_with("line 2: field `query_timestamp`: expected an ISO 8601 time"));
        assert!(reasons[1].1.starts_with("line 3: no `query_timestamp`"));
        assert!(reasons[2].1.starts_with("line 4: field `srcport`"));
        assert!(reasons[3].1.starts_with("line 5: invalid JSON"));
    }

    #[test]
    fn not_a_resolver_log() {
        assert!(decode_resolver_query_log(b"").is_err());
        assert!(decode_resolver_query_log(b"2 1234 eni-1").is_err());
        assert!(decode_resolver_query_log(b"[1,2]").is_err());
    }
}
