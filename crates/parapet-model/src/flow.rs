//! One VPC or Transit Gateway flow log record, by AWS field name, and the mapping from a field's
//! name and text value to the record (shared by the text and the Parquet decoders).
//!
//! Field names are AWS's (`account-id`, `pkt-srcaddr`, `tgw-src-vpc-id`, …, versions 2–8 and
//! the Transit Gateway fields). `-` means "no value" and leaves the field `None`. Names parapet
//! does not know are kept, with their values, in [`FlowRecord::unmapped`].

use std::borrow::Cow;
use std::fmt;

/// OCSF class of Network Activity.
pub const NETWORK_ACTIVITY_CLASS_UID: i32 = 4001;
/// OCSF category "Network Activity".
pub const NETWORK_CATEGORY_UID: i32 = 4;

/// The fields of the version 2 default format, in order (files without a header line).
pub const DEFAULT_V2_FIELDS: &[&str] = &[
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
];

/// Every field name AWS documents for VPC (v2–v8) and Transit Gateway flow logs.
pub const KNOWN_FIELDS: &[&str] = &[
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    "reject-reason",
    "resource-type",
    "tgw-id",
    "tgw-attachment-id",
    "tgw-src-vpc-account-id",
    "tgw-dst-vpc-account-id",
    "tgw-src-vpc-id",
    "tgw-dst-vpc-id",
    "tgw-src-subnet-id",
    "tgw-dst-subnet-id",
    "tgw-src-eni",
    "tgw-dst-eni",
    "tgw-src-az-id",
    "tgw-dst-az-id",
    "tgw-pair-attachment-id",
    "packets-lost-no-route",
    "packets-lost-blackhole",
    "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired",
];

/// The ECS fields (version 7), in [`FlowRecord::ecs`] order.
pub const ECS_FIELDS: [&str; 10] = [
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
];

/// The Transit Gateway id fields, in [`FlowRecord::tgw`] order.
pub const TGW_FIELDS: [&str; 13] = [
    "tgw-id",
    "tgw-attachment-id",
    "tgw-src-vpc-account-id",
    "tgw-dst-vpc-account-id",
    "tgw-src-vpc-id",
    "tgw-dst-vpc-id",
    "tgw-src-subnet-id",
    "tgw-dst-subnet-id",
    "tgw-src-eni",
    "tgw-dst-eni",
    "tgw-src-az-id",
    "tgw-dst-az-id",
    "tgw-pair-attachment-id",
];

/// The Transit Gateway packet-loss counters, in [`FlowRecord::packets_lost`] order.
pub const PACKETS_LOST_FIELDS: [&str; 4] = [
    "packets-lost-no-route",
    "packets-lost-blackhole",
    "packets-lost-mtu-exceeded",
    "packets-lost-ttl-expired",
];

type Text<'a> = Option<Cow<'a, str>>;

/// One flow log record. Every field is optional: custom formats choose their fields, and AWS
/// writes `-` where a field does not apply (NODATA / SKIPDATA rows have no flow at all).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowRecord<'a> {
    pub version: Option<i32>,
    pub account_id: Text<'a>,
    pub interface_id: Text<'a>,
    pub srcaddr: Text<'a>,
    pub dstaddr: Text<'a>,
    pub srcport: Option<i32>,
    pub dstport: Option<i32>,
    /// IANA protocol number.
    pub protocol: Option<i32>,
    pub packets: Option<i64>,
    pub bytes: Option<i64>,
    /// Start of the capture window, Unix seconds.
    pub start: Option<i64>,
    /// End of the capture window, Unix seconds.
    pub end: Option<i64>,
    /// `ACCEPT` or `REJECT`.
    pub action: Text<'a>,
    /// `OK`, `NODATA` or `SKIPDATA`.
    pub log_status: Text<'a>,
    pub vpc_id: Text<'a>,
    pub subnet_id: Text<'a>,
    pub instance_id: Text<'a>,
    pub tcp_flags: Option<i32>,
    /// `IPv4`, `IPv6` or `EFA` (the `type` field).
    pub traffic_type: Text<'a>,
    pub pkt_srcaddr: Text<'a>,
    pub pkt_dstaddr: Text<'a>,
    pub region: Text<'a>,
    pub az_id: Text<'a>,
    pub sublocation_type: Text<'a>,
    pub sublocation_id: Text<'a>,
    pub pkt_src_aws_service: Text<'a>,
    pub pkt_dst_aws_service: Text<'a>,
    /// `ingress` or `egress`.
    pub flow_direction: Text<'a>,
    /// 1–8: the path egress traffic takes.
    pub traffic_path: Option<i32>,
    /// The ECS fields, in [`ECS_FIELDS`] order.
    pub ecs: [Text<'a>; 10],
    pub reject_reason: Text<'a>,
    /// `TransitGateway` on Transit Gateway flow logs.
    pub resource_type: Text<'a>,
    /// The Transit Gateway ids, in [`TGW_FIELDS`] order.
    pub tgw: [Text<'a>; 13],
    /// The packet-loss counters, in [`PACKETS_LOST_FIELDS`] order.
    pub packets_lost: [Option<i64>; 4],
    /// Fields parapet does not know: `(name, value)`, in the record's order.
    pub unmapped: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The original record (a text line, or a JSON rendering of a Parquet row).
    pub raw: Cow<'a, str>,
}

/// A field whose value is not what its name requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub expected: &'static str,
    pub found: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "field `{}`: expected {}, found {:?}",
            self.field, self.expected, self.found
        )
    }
}

impl std::error::Error for FieldError {}

fn int<T: std::str::FromStr + PartialOrd>(
    name: &str,
    v: &str,
    range: (T, T),
    expected: &'static str,
) -> Result<Option<T>, FieldError> {
    match v.parse::<T>() {
        Ok(n) if n >= range.0 && n <= range.1 => Ok(Some(n)),
        _ => Err(FieldError {
            field: name.to_string(),
            expected,
            found: v.chars().take(64).collect(),
        }),
    }
}

impl<'a> FlowRecord<'a> {
    /// Sets the field called `name` (AWS's hyphenated name) from its text. `-` leaves it unset;
    /// a name parapet does not know goes to [`FlowRecord::unmapped`].
    pub fn set_field(&mut self, name: &str, value: Cow<'a, str>) -> Result<(), FieldError> {
        if value == "-" {
            return Ok(());
        }
        let port = |v: &str| int::<i32>(name, v, (0, 65_535), "a port number from 0 to 65535");
        let count = |v: &str| int::<i64>(name, v, (0, i64::MAX), "a non-negative whole number");
        let secs = |v: &str| int::<i64>(name, v, (0, 253_402_300_799), "Unix seconds");
        let v = value.as_ref();
        match name {
            "version" => self.version = int(name, v, (1, 1_000), "a version number")?,
            "account-id" => self.account_id = Some(value),
            "interface-id" => self.interface_id = Some(value),
            "srcaddr" => self.srcaddr = Some(value),
            "dstaddr" => self.dstaddr = Some(value),
            "srcport" => self.srcport = port(v)?,
            "dstport" => self.dstport = port(v)?,
            "protocol" => self.protocol = int(name, v, (0, 255), "an IANA protocol number (0-255)")?,
            "packets" => self.packets = count(v)?,
            "bytes" => self.bytes = count(v)?,
            "start" => self.start = secs(v)?,
            "end" => self.end = secs(v)?,
            "action" => self.action = Some(value),
            "log-status" => self.log_status = Some(value),
            "vpc-id" => self.vpc_id = Some(value),
            "subnet-id" => self.subnet_id = Some(value),
            "instance-id" => self.instance_id = Some(value),
            "tcp-flags" => self.tcp_flags = int(name, v, (0, 65_535), "TCP flags as a number")?,
            "type" => self.traffic_type = Some(value),
            "pkt-srcaddr" => self.pkt_srcaddr = Some(value),
            "pkt-dstaddr" => self.pkt_dstaddr = Some(value),
            "region" => self.region = Some(value),
            "az-id" => self.az_id = Some(value),
            "sublocation-type" => self.sublocation_type = Some(value),
            "sublocation-id" => self.sublocation_id = Some(value),
            "pkt-src-aws-service" => self.pkt_src_aws_service = Some(value),
            "pkt-dst-aws-service" => self.pkt_dst_aws_service = Some(value),
            "flow-direction" => self.flow_direction = Some(value),
            "traffic-path" => self.traffic_path = int(name, v, (0, 255), "a traffic path number")?,
            "reject-reason" => self.reject_reason = Some(value),
            "resource-type" => self.resource_type = Some(value),
            _ => {
                if let Some(i) = ECS_FIELDS.iter().position(|f| *f == name) {
                    self.ecs[i] = Some(value);
                } else if let Some(i) = TGW_FIELDS.iter().position(|f| *f == name) {
                    self.tgw[i] = Some(value);
                } else if let Some(i) = PACKETS_LOST_FIELDS.iter().position(|f| *f == name) {
                    self.packets_lost[i] = count(v)?;
                } else {
                    self.unmapped.push((Cow::Owned(name.to_string()), value));
                }
            }
        }
        Ok(())
    }

    /// The record's time, epoch ms: the start of its capture window, else its end.
    pub fn time_ms(&self) -> Option<i64> {
        self.start.or(self.end).map(|s| s * 1000)
    }

    /// Whether the record is a Transit Gateway flow log record.
    pub fn is_transit_gateway(&self) -> bool {
        self.resource_type.as_deref() == Some("TransitGateway") || self.tgw.iter().any(Option::is_some)
    }

    /// Whether the record carries a flow (not a NODATA / SKIPDATA status row).
    pub fn has_flow(&self) -> bool {
        !matches!(self.log_status.as_deref(), Some("NODATA") | Some("SKIPDATA"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_by_name() {
        let mut r = FlowRecord::default();
        r.set_field("srcport", "443".into()).unwrap();
        r.set_field("dstaddr", "-".into()).unwrap();
        r.set_field("tgw-src-vpc-id", "vpc-1".into()).unwrap();
        r.set_field("packets-lost-mtu-exceeded", "15".into()).unwrap();
        r.set_field("ecs-task-id", "t1".into()).unwrap();
        r.set_field("something-new", "x".into()).unwrap();
        assert_eq!(r.srcport, Some(443));
        assert_eq!(r.dstaddr, None);
        assert_eq!(r.tgw[4].as_deref(), Some("vpc-1"));
        assert_eq!(r.packets_lost[2], Some(15));
        assert_eq!(r.ecs[9].as_deref(), Some("t1"));
        assert_eq!(r.unmapped, vec![("something-new".into(), "x".into())]);
        assert!(r.is_transit_gateway());
    }

    #[test]
    fn bad_values_name_the_field() {
        let mut r = FlowRecord::default();
        let e = r.set_field("dstport", "http".into()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `dstport`: expected a port number from 0 to 65535, found \"http\""
        );
        assert!(r.set_field("srcport", "70000".into()).is_err());
        assert!(r.set_field("bytes", "-5".into()).is_err());
    }

    #[test]
    fn time_is_start_else_end() {
        let r = FlowRecord {
            start: Some(10),
            end: Some(20),
            ..FlowRecord::default()
        };
        assert_eq!(r.time_ms(), Some(10_000));
        let r = FlowRecord {
            end: Some(20),
            ..FlowRecord::default()
        };
        assert_eq!(r.time_ms(), Some(20_000));
        assert_eq!(FlowRecord::default().time_ms(), None);
    }
}
