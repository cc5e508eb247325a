//! The VPC / Transit Gateway flow log text decoder: space-separated records, driven by the
//! file's header line (custom formats, and every S3 text delivery) or by the version 2 default
//! field list (no header).
//!
//! A line that does not fit (wrong field count, a value of the wrong type, no time) is a
//! [`RecordReject`] naming the line and field; its neighbours are kept. A file that is empty or
//! is not a flow log at all is a [`DecodeError::Shape`]. The Parquet delivery format is read in
//! `parapet-lake` (the only crate that links Parquet) into the same [`FlowRecord`].

use std::borrow::Cow;

use parapet_model::flow::{DEFAULT_V2_FIELDS, KNOWN_FIELDS};
use parapet_model::FlowRecord;

use crate::json::{truncate, utf8};
use crate::{DecodeError, Decoded, RecordReject};

fn field_shaped(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'_')
        && token.bytes().any(|c| c.is_ascii_lowercase())
}

/// The field names a first line declares, if it is a header line.
fn header(line: &str) -> Option<Vec<&str>> {
    let tokens: Vec<&str> = line.split_ascii_whitespace().collect();
    let is_header = !tokens.is_empty()
        && tokens.iter().all(|t| field_shaped(t))
        && tokens.iter().any(|t| KNOWN_FIELDS.contains(t));
    is_header.then_some(tokens)
}

fn not_flow(what: impl std::fmt::Display) -> DecodeError {
    DecodeError::Shape(format!("not a VPC flow log: {what}"))
}

/// Decodes a flow log text object (already gunzipped).
pub fn decode_flow_log(bytes: &[u8]) -> Result<Decoded<FlowRecord<'_>>, DecodeError> {
    let text = utf8(bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((first_index, first)) = lines.next() else {
        return Err(not_flow("the object is empty"));
    };
    let mut out = Decoded::default();
    let (fields, first_record): (Vec<&str>, Option<(usize, &str)>) = match header(first) {
        Some(fields) => (fields, None),
        None => {
            let tokens: Vec<&str> = first.split_ascii_whitespace().collect();
            if tokens.first() == Some(&"2") && tokens.len() == DEFAULT_V2_FIELDS.len() {
                (DEFAULT_V2_FIELDS.to_vec(), Some((first_index, first)))
            } else {
                return Err(not_flow(format_args!(
                    "line {} is neither a header naming flow log fields (`version account-id …`) \
                     nor a version 2 default-format record (14 fields starting with 2): {:?}",
                    first_index + 1,
                    truncate(first, 80)
                )));
            }
        }
    };
    for (index, line) in first_record.into_iter().chain(lines) {
        match record(&fields, line) {
            Ok(r) => out.records.push(r),
            Err(reason) => out.rejects.push(RecordReject {
                index,
                reason: format!("line {}: {reason}", index + 1),
                raw: truncate(line, 4096).to_string(),
            }),
        }
    }
    Ok(out)
}

/// One data line, against the header's field names.
fn record<'a>(fields: &[&str], line: &'a str) -> Result<FlowRecord<'a>, String> {
    let line = line.trim_end_matches('\r');
    let values: Vec<&'a str> = line.split_ascii_whitespace().collect();
    if values.len() != fields.len() {
        return Err(format!(
            "expected {} space-separated fields as the header names, found {}",
            fields.len(),
            values.len()
        ));
    }
    let mut r = FlowRecord {
        raw: Cow::Borrowed(line),
        ..FlowRecord::default()
    };
    for (name, value) in fields.iter().zip(values) {
        r.set_field(name, Cow::Borrowed(value))
            .map_err(|e| e.to_string())?;
    }
    if r.time_ms().is_none() {
        return Err("no `start` or `end` value: a flow record needs a time".into());
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Vec<u8> {
        let path = format!("{}/../../testdata/vpc_flow/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// The independent count: non-empty lines, minus the header when the first line is not a
    /// version-2 record.
    fn data_lines(text: &str) -> usize {
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        match lines.first() {
            Some(l) if l.starts_with("2 ") => lines.len(),
            Some(_) => lines.len() - 1,
            None => 0,
        }
    }

    #[test]
    fn v2_default_format_without_header() {
        let bytes = sample("v2_default_format_records.log");
        let d = decode_flow_log(&bytes).unwrap();
        assert!(d.rejects.is_empty(), "{:?}", d.rejects);
        assert_eq!(d.records.len(), data_lines(std::str::from_utf8(&bytes).unwrap()));
        assert_eq!(d.records.len(), 5);
        let r = &d.records[0];
        assert_eq!(r.version, Some(2));
        assert_eq!(r.account_id.as_deref(), Some("123456789010"));
        assert_eq!(r.interface_id.as_deref(), Some("eni-102010ab"));
        assert_eq!(r.srcaddr.as_deref(), Some("198.51.100.1"));
        assert_eq!(
            (r.srcport, r.dstport, r.protocol),
            (Some(443), Some(49152), Some(6))
        );
        assert_eq!((r.packets, r.bytes), (Some(10), Some(840)));
        assert_eq!((r.start, r.end), (Some(1_439_387_263), Some(1_439_387_264)));
        assert_eq!(r.action.as_deref(), Some("ACCEPT"));
        assert_eq!(r.raw, "2 123456789010 eni-102010ab 198.51.100.1 192.0.2.1 443 49152 6 10 840 1439387263 1439387264 ACCEPT OK");
        assert_eq!(d.records[2].action.as_deref(), Some("REJECT"));
        // NODATA / SKIPDATA: kept, with their status and window, and no flow.
        for (r, status) in d.records[3..].iter().zip(["NODATA", "SKIPDATA"]) {
            assert_eq!(r.log_status.as_deref(), Some(status));
            assert!(!r.has_flow());
            assert_eq!(
                (r.srcaddr.as_deref(), r.srcport, r.packets, r.action.as_deref()),
                (None, None, None, None)
            );
            assert_eq!(r.time_ms(), Some(1_431_280_876_000));
        }
    }

    #[test]
    fn v3_and_v4_headers_drive_the_fields() {
        for (name, version) in [("v3_file_with_header.log", 3), ("v4_file_with_header.log", 4)] {
            let bytes = sample(name);
            let d = decode_flow_log(&bytes).unwrap();
            assert!(d.rejects.is_empty(), "{name}: {:?}", d.rejects);
            assert_eq!(d.records.len(), data_lines(std::str::from_utf8(&bytes).unwrap()));
            let r = &d.records[0];
            assert_eq!(r.version, Some(version));
            assert_eq!(r.account_id.as_deref(), Some("000000000000"));
            assert_eq!(r.dstport, Some(47460));
            assert_eq!(r.srcport, Some(443));
            assert_eq!(r.pkt_srcaddr.as_deref(), Some("192.168.0.1"));
            assert_eq!(r.pkt_dstaddr.as_deref(), Some("172.18.160.93"));
            assert_eq!(r.instance_id.as_deref(), Some("i-06f9249b"));
            assert_eq!(r.subnet_id.as_deref(), Some("subnet-089e7569"));
            assert_eq!(r.vpc_id.as_deref(), Some("vpc-0461a061"));
            assert_eq!(r.tcp_flags, Some(19));
            assert_eq!(r.traffic_type.as_deref(), Some("IPv4"));
            assert_eq!(r.start, Some(1_568_300_367));
            // Fields the header does not name stay empty.
            assert_eq!(r.action, None);
        }
        let v4_bytes = sample("v4_file_with_header.log");
        let v4 = decode_flow_log(&v4_bytes).unwrap();
        let r = &v4.records[1];
        assert_eq!(r.region.as_deref(), Some("us-east-1"));
        assert_eq!(r.az_id.as_deref(), Some("use1-az4"));
        assert_eq!(r.sublocation_type.as_deref(), Some("outpost"));
        assert_eq!(r.sublocation_id.as_deref(), Some("outpostid04"));
    }

    #[test]
    fn v5_dashes_are_null_and_the_bogus_line_is_rejected_by_number() {
        // The upstream sample ends with the line `bogus line` (flowlogs-reader tests that
        // readers skip it): two records and one reject naming line 4.
        let bytes = sample("v5_file_with_header.log");
        let d = decode_flow_log(&bytes).unwrap();
        assert_eq!(
            d.records.len(),
            data_lines(std::str::from_utf8(&bytes).unwrap()) - 1
        );
        assert_eq!(d.records.len(), 2);
        assert_eq!(d.rejects.len(), 1);
        assert_eq!(d.rejects[0].index, 3);
        assert_eq!(
            d.rejects[0].reason,
            "line 4: expected 29 space-separated fields as the header names, found 2"
        );
        assert_eq!(d.rejects[0].raw, "bogus line");
        let (ingress, egress) = (&d.records[0], &d.records[1]);
        assert_eq!(ingress.flow_direction.as_deref(), Some("ingress"));
        assert_eq!(ingress.pkt_dst_aws_service, None);
        assert_eq!(ingress.pkt_src_aws_service.as_deref(), Some("S3"));
        assert_eq!(ingress.traffic_path, None);
        assert_eq!(ingress.sublocation_id, None);
        assert_eq!(egress.flow_direction.as_deref(), Some("egress"));
        assert_eq!(egress.traffic_path, Some(7));
        assert_eq!(egress.interface_id.as_deref(), Some("eni-00123456789abcdef"));
        assert_eq!(egress.log_status.as_deref(), Some("OK"));
        assert_eq!(egress.region.as_deref(), Some("us-east-2"));
    }

    #[test]
    fn the_transit_gateway_sample_has_no_time_and_is_rejected() {
        // flowlogs-reader's "v6" sample names only Transit Gateway fields: no `start`/`end`
        // (a real TGW flow log always has them), so it cannot be placed in time.
        let bytes = sample("v6_file_with_header.log");
        let d = decode_flow_log(&bytes).unwrap();
        assert!(d.records.is_empty());
        assert_eq!(d.rejects.len(), 1);
        assert_eq!(
            d.rejects[0].reason,
            "line 2: no `start` or `end` value: a flow record needs a time"
        );
    }

    #[test]
    fn transit_gateway_records() {
        // The Transit Gateway default format as AWS documents it (field order), made-up values.
        let text = "version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service\n\
6 TransitGateway 123456789012 tgw-0a1b tgw-attach-01 123456789012 210987654321 vpc-src vpc-dst subnet-src subnet-dst eni-src eni-dst use1-az1 use1-az2 tgw-attach-02 10.0.0.1 10.1.0.1 41000 443 6 12 3400 1700000000 1700000060 OK IPv4 0 0 1 0 19 us-east-1 egress - -\n";
        let d = decode_flow_log(text.as_bytes()).unwrap();
        assert!(d.rejects.is_empty(), "{:?}", d.rejects);
        let r = &d.records[0];
        assert!(r.is_transit_gateway());
        assert_eq!(r.resource_type.as_deref(), Some("TransitGateway"));
        assert_eq!(r.tgw[0].as_deref(), Some("tgw-0a1b"));
        assert_eq!(r.tgw[3].as_deref(), Some("210987654321"));
        assert_eq!(r.tgw[12].as_deref(), Some("tgw-attach-02"));
        assert_eq!(r.packets_lost, [Some(0), Some(0), Some(1), Some(0)]);
        assert_eq!(r.interface_id, None);
        assert_eq!(r.pkt_src_aws_service, None);
        assert_eq!(r.time_ms(), Some(1_700_000_000_000));
    }

    #[test]
    fn v7_v8_fields_unknown_fields_and_a_bad_port() {
        let text = "version account-id srcaddr srcport start end action ecs-cluster-name ecs-task-id reject-reason future-field\n\
8 111122223333 10.0.0.1 8080 1700000000 1700000060 REJECT prod abc123 BPA shiny\n\
8 111122223333 10.0.0.1 http 1700000000 1700000060 ACCEPT - - - -\n\
8 111122223333 10.0.0.2 22 1700000000 1700000060 ACCEPT - - - -\n";
        let d = decode_flow_log(text.as_bytes()).unwrap();
        assert_eq!(d.records.len(), 2);
        let r = &d.records[0];
        assert_eq!(r.ecs[1].as_deref(), Some("prod"));
        assert_eq!(r.ecs[9].as_deref(), Some("abc123"));
        assert_eq!(r.reject_reason.as_deref(), Some("BPA"));
        assert_eq!(r.unmapped, vec![("future-field".into(), "shiny".into())]);
        // `-` in an unknown field is no value.
        assert!(d.records[1].unmapped.is_empty());
        assert_eq!(d.rejects.len(), 1);
        assert_eq!(d.rejects[0].index, 2);
        assert_eq!(
            d.rejects[0].reason,
            "line 3: field `srcport`: expected a port number from 0 to 65535, found \"http\""
        );
    }

    #[test]
    fn crlf_and_blank_lines() {
        let text = "version start\r\n\r\n3 1700000000\r\n";
        let d = decode_flow_log(text.as_bytes()).unwrap();
        assert_eq!(d.records.len(), 1);
        assert_eq!(d.records[0].raw, "3 1700000000");
    }

    #[test]
    fn not_a_flow_log() {
        let err = |t: &str| decode_flow_log(t.as_bytes()).unwrap_err().to_string();
        assert_eq!(err(""), "not a VPC flow log: the object is empty");
        assert_eq!(err("\n  \n"), "not a VPC flow log: the object is empty");
        assert!(err(r#"{"Records":[]}"#).starts_with("not a VPC flow log: line 1 is neither a header"));
        assert!(err("hello world\n").starts_with("not a VPC flow log: line 1"));
        assert!(err("2 123 eni-1\n").starts_with("not a VPC flow log: line 1"));
        assert_eq!(
            decode_flow_log(b"ab\xffcd").unwrap_err(),
            DecodeError::NotUtf8 { offset: 2 }
        );
    }
}
