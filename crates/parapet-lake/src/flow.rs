//! The `vpc_flow` table: VPC and Transit Gateway flow log records as OCSF Network Activity
//! (class 4001), one row per record, NODATA / SKIPDATA status rows included.

use std::borrow::Cow;

use parapet_model::flow::{ECS_FIELDS, NETWORK_ACTIVITY_CLASS_UID, NETWORK_CATEGORY_UID};
use parapet_model::FlowRecord;

use crate::arrow::array::{Array, Int32Array, Int64Array, RecordBatch, StringArray};
use crate::table::{col, Columns, Head, Kind, LakeRecord, RowContext, TableDef};

/// The table.
pub static VPC_FLOW: TableDef = TableDef {
    name: "vpc_flow",
    class_uid: NETWORK_ACTIVITY_CLASS_UID,
    category_uid: NETWORK_CATEGORY_UID,
    description: "VPC and Transit Gateway flow logs (OCSF Network Activity), NODATA/SKIPDATA rows included",
    columns: &[
        col("src_endpoint_ip", Kind::Utf8),
        col("src_endpoint_port", Kind::Int32),
        col("dst_endpoint_ip", Kind::Utf8),
        col("dst_endpoint_port", Kind::Int32),
        col("src_endpoint_intermediate_ip", Kind::Utf8),
        col("dst_endpoint_intermediate_ip", Kind::Utf8),
        col("src_endpoint_svc_name", Kind::Utf8),
        col("dst_endpoint_svc_name", Kind::Utf8),
        col("src_endpoint_interface_uid", Kind::Utf8),
        col("src_endpoint_vpc_uid", Kind::Utf8),
        col("src_endpoint_subnet_uid", Kind::Utf8),
        col("src_endpoint_instance_uid", Kind::Utf8),
        col("connection_info_protocol_num", Kind::Int32),
        col("connection_info_protocol_ver", Kind::Utf8),
        col("connection_info_direction", Kind::Utf8),
        col("connection_info_direction_id", Kind::Int32),
        col("connection_info_tcp_flags", Kind::Int32),
        col("traffic_packets", Kind::Int64),
        col("traffic_bytes", Kind::Int64),
        col("start_time", Kind::Int64),
        col("end_time", Kind::Int64),
        col("disposition", Kind::Utf8),
        col("disposition_id", Kind::Int32),
        col("log_status", Kind::Utf8),
        col("flow_version", Kind::Int32),
        col("cloud_zone", Kind::Utf8),
        col("sublocation_type", Kind::Utf8),
        col("sublocation_id", Kind::Utf8),
        col("traffic_path", Kind::Int32),
        col("reject_reason", Kind::Utf8),
        col("ecs_cluster_arn", Kind::Utf8),
        col("ecs_cluster_name", Kind::Utf8),
        col("ecs_container_instance_arn", Kind::Utf8),
        col("ecs_container_instance_id", Kind::Utf8),
        col("ecs_container_id", Kind::Utf8),
        col("ecs_second_container_id", Kind::Utf8),
        col("ecs_service_name", Kind::Utf8),
        col("ecs_task_definition_arn", Kind::Utf8),
        col("ecs_task_arn", Kind::Utf8),
        col("ecs_task_id", Kind::Utf8),
        col("resource_type", Kind::Utf8),
        col("tgw_id", Kind::Utf8),
        col("tgw_attachment_id", Kind::Utf8),
        col("tgw_src_vpc_account_id", Kind::Utf8),
        col("tgw_dst_vpc_account_id", Kind::Utf8),
        col("tgw_src_vpc_id", Kind::Utf8),
        col("tgw_dst_vpc_id", Kind::Utf8),
        col("tgw_src_subnet_id", Kind::Utf8),
        col("tgw_dst_subnet_id", Kind::Utf8),
        col("tgw_src_eni", Kind::Utf8),
        col("tgw_dst_eni", Kind::Utf8),
        col("tgw_src_az_id", Kind::Utf8),
        col("tgw_dst_az_id", Kind::Utf8),
        col("tgw_pair_attachment_id", Kind::Utf8),
        col("packets_lost_no_route", Kind::Int64),
        col("packets_lost_blackhole", Kind::Int64),
        col("packets_lost_mtu_exceeded", Kind::Int64),
        col("packets_lost_ttl_expired", Kind::Int64),
        col("unmapped", Kind::Utf8).bulky(),
    ],
    aliases: &[
        ("srcaddr", "src_endpoint_ip"),
        ("dstaddr", "dst_endpoint_ip"),
        ("srcport", "src_endpoint_port"),
        ("dstport", "dst_endpoint_port"),
        ("pkt_srcaddr", "src_endpoint_intermediate_ip"),
        ("pkt_dstaddr", "dst_endpoint_intermediate_ip"),
        ("protocol", "connection_info_protocol_num"),
        ("packets", "traffic_packets"),
        ("bytes", "traffic_bytes"),
        (
            "action",
            "CASE disposition WHEN 'Allowed' THEN 'ACCEPT' WHEN 'Blocked' THEN 'REJECT' END",
        ),
        ("interface_id", "src_endpoint_interface_uid"),
        ("vpc_id", "src_endpoint_vpc_uid"),
        ("subnet_id", "src_endpoint_subnet_uid"),
        ("instance_id", "src_endpoint_instance_uid"),
        ("account_id", "cloud_account_uid"),
        (
            "flow_direction",
            "CASE connection_info_direction WHEN 'Inbound' THEN 'ingress' WHEN 'Outbound' THEN 'egress' END",
        ),
        ("tcp_flags", "connection_info_tcp_flags"),
        ("az_id", "cloud_zone"),
    ],
    views: &[],
};

const ACTIVITY_TRAFFIC: (i32, &str) = (6, "Traffic");
const ACTIVITY_UNKNOWN: (i32, &str) = (0, "Unknown");

/// OCSF disposition of `action`: (`disposition`, `disposition_id`).
fn disposition(action: Option<&str>) -> (Option<&'static str>, Option<i32>) {
    match action {
        Some("ACCEPT") => (Some("Allowed"), Some(1)),
        Some("REJECT") => (Some("Blocked"), Some(2)),
        Some(_) => (Some("Other"), Some(99)),
        None => (None, None),
    }
}

/// OCSF connection direction of `flow-direction`: (`direction`, `direction_id`).
fn direction(flow_direction: Option<&str>) -> (Option<&'static str>, Option<i32>) {
    match flow_direction {
        Some("ingress") => (Some("Inbound"), Some(1)),
        Some("egress") => (Some("Outbound"), Some(2)),
        Some(_) => (Some("Other"), Some(99)),
        None => (None, None),
    }
}

/// The unknown fields as a JSON object, or `None` when there are none.
fn unmapped_json(r: &FlowRecord<'_>) -> Option<String> {
    if r.unmapped.is_empty() {
        return None;
    }
    let map: serde_json::Map<String, serde_json::Value> = r
        .unmapped
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
        .collect();
    Some(serde_json::Value::Object(map).to_string())
}

fn s<'a>(v: &'a Option<Cow<'_, str>>) -> Option<&'a str> {
    v.as_deref()
}

impl LakeRecord for FlowRecord<'_> {
    fn table(&self) -> &'static TableDef {
        &VPC_FLOW
    }

    fn time_ms(&self) -> i64 {
        // Decoders reject records without a time; 0 is never reached through them.
        FlowRecord::time_ms(self).unwrap_or(0)
    }

    fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    fn append(&self, cols: &mut Columns, at: &RowContext<'_>) {
        let (activity_id, activity_name) = if self.has_flow() {
            ACTIVITY_TRAFFIC
        } else {
            ACTIVITY_UNKNOWN
        };
        let head = Head {
            time_ms: LakeRecord::time_ms(self),
            uid: None,
            product_name: if self.is_transit_gateway() {
                "AWS Transit Gateway"
            } else {
                "Amazon VPC"
            },
            vendor_name: "AWS",
            activity_id,
            activity_name,
            severity_id: 1,
            region: at.region,
            account_id: at.account_id,
        };
        let (disp, disp_id) = disposition(s(&self.action));
        let (dir, dir_id) = direction(s(&self.flow_direction));
        let unmapped = unmapped_json(self);
        let mut row = cols.row(&head);
        row.str(s(&self.srcaddr))
            .i32(self.srcport)
            .str(s(&self.dstaddr))
            .i32(self.dstport)
            .str(s(&self.pkt_srcaddr))
            .str(s(&self.pkt_dstaddr))
            .str(s(&self.pkt_src_aws_service))
            .str(s(&self.pkt_dst_aws_service))
            .str(s(&self.interface_id))
            .str(s(&self.vpc_id))
            .str(s(&self.subnet_id))
            .str(s(&self.instance_id))
            .i32(self.protocol)
            .str(s(&self.traffic_type))
            .str(dir)
            .i32(dir_id)
            .i32(self.tcp_flags)
            .i64(self.packets)
            .i64(self.bytes)
            .i64(self.start.map(|t| t * 1000))
            .i64(self.end.map(|t| t * 1000))
            .str(disp)
            .i32(disp_id)
            .str(s(&self.log_status))
            .i32(self.version)
            .str(s(&self.az_id))
            .str(s(&self.sublocation_type))
            .str(s(&self.sublocation_id))
            .i32(self.traffic_path)
            .str(s(&self.reject_reason));
        debug_assert_eq!(ECS_FIELDS.len(), self.ecs.len());
        for v in &self.ecs {
            row.str(s(v));
        }
        row.str(s(&self.resource_type));
        for v in &self.tgw {
            row.str(s(v));
        }
        for v in self.packets_lost {
            row.i64(v);
        }
        row.str(unmapped.as_deref());
        row.tail(at.account, at.source_object, &self.raw);
    }
}

/// A flow row as the flow log wrote it: the fields under AWS's names (`srcaddr`, `dstport`,
/// `action`, `start` in Unix seconds), for rules written against the log format. Fields without
/// a value are left out.
pub struct FlowRecords<'b> {
    text: Vec<(&'static str, &'b StringArray)>,
    int32: Vec<(&'static str, &'b Int32Array)>,
    int64: Vec<(&'static str, &'b Int64Array)>,
    seconds: Vec<(&'static str, &'b Int64Array)>,
    disposition: Option<&'b StringArray>,
    direction: Option<&'b StringArray>,
}

/// Text fields: (name in the log, lake column).
const NATIVE_TEXT: &[(&str, &str)] = &[
    ("account_id", "cloud_account_uid"),
    ("interface_id", "src_endpoint_interface_uid"),
    ("srcaddr", "src_endpoint_ip"),
    ("dstaddr", "dst_endpoint_ip"),
    ("log_status", "log_status"),
    ("vpc_id", "src_endpoint_vpc_uid"),
    ("subnet_id", "src_endpoint_subnet_uid"),
    ("instance_id", "src_endpoint_instance_uid"),
    ("type", "connection_info_protocol_ver"),
    ("pkt_srcaddr", "src_endpoint_intermediate_ip"),
    ("pkt_dstaddr", "dst_endpoint_intermediate_ip"),
    ("region", "cloud_region"),
    ("az_id", "cloud_zone"),
    ("sublocation_type", "sublocation_type"),
    ("sublocation_id", "sublocation_id"),
    ("pkt_src_aws_service", "src_endpoint_svc_name"),
    ("pkt_dst_aws_service", "dst_endpoint_svc_name"),
    ("reject_reason", "reject_reason"),
    ("resource_type", "resource_type"),
];
const NATIVE_INT32: &[(&str, &str)] = &[
    ("version", "flow_version"),
    ("srcport", "src_endpoint_port"),
    ("dstport", "dst_endpoint_port"),
    ("protocol", "connection_info_protocol_num"),
    ("tcp_flags", "connection_info_tcp_flags"),
    ("traffic_path", "traffic_path"),
];
const NATIVE_INT64: &[(&str, &str)] = &[("packets", "traffic_packets"), ("bytes", "traffic_bytes")];
const NATIVE_SECONDS: &[(&str, &str)] = &[("start", "start_time"), ("end", "end_time")];

impl<'b> FlowRecords<'b> {
    /// The lake columns a record is made from.
    pub fn columns() -> Vec<&'static str> {
        let mut c: Vec<&'static str> = NATIVE_TEXT
            .iter()
            .chain(NATIVE_INT32)
            .chain(NATIVE_INT64)
            .chain(NATIVE_SECONDS)
            .map(|(_, col)| *col)
            .collect();
        c.extend(["disposition", "connection_info_direction"]);
        c
    }

    /// Binds the columns of `batch` (those missing from it are left out of the records).
    pub fn new(batch: &'b RecordBatch) -> FlowRecords<'b> {
        fn bind<'b, T: 'static>(
            batch: &'b RecordBatch,
            cols: &[(&'static str, &str)],
        ) -> Vec<(&'static str, &'b T)> {
            cols.iter()
                .filter_map(|(name, col)| {
                    batch
                        .column_by_name(col)
                        .and_then(|c| c.as_any().downcast_ref::<T>())
                        .map(|a| (*name, a))
                })
                .collect()
        }
        let text_col = |col: &str| {
            batch
                .column_by_name(col)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        };
        FlowRecords {
            text: bind(batch, NATIVE_TEXT),
            int32: bind(batch, NATIVE_INT32),
            int64: bind(batch, NATIVE_INT64),
            seconds: bind(batch, NATIVE_SECONDS),
            disposition: text_col("disposition"),
            direction: text_col("connection_info_direction"),
        }
    }

    /// Row `i` as a JSON object.
    pub fn record(&self, i: usize) -> serde_json::Value {
        use serde_json::Value;
        let mut m = serde_json::Map::new();
        for (name, a) in &self.text {
            if a.is_valid(i) {
                m.insert((*name).into(), Value::String(a.value(i).to_string()));
            }
        }
        for (name, a) in &self.int32 {
            if a.is_valid(i) {
                m.insert((*name).into(), a.value(i).into());
            }
        }
        for (name, a) in &self.int64 {
            if a.is_valid(i) {
                m.insert((*name).into(), a.value(i).into());
            }
        }
        for (name, a) in &self.seconds {
            if a.is_valid(i) {
                m.insert((*name).into(), a.value(i).div_euclid(1000).into());
            }
        }
        let native = |a: Option<&StringArray>, map: fn(&str) -> &str| {
            a.filter(|a| a.is_valid(i)).map(|a| map(a.value(i)).to_string())
        };
        if let Some(v) = native(self.disposition, |d| match d {
            "Allowed" => "ACCEPT",
            "Blocked" => "REJECT",
            other => other,
        }) {
            m.insert("action".into(), Value::String(v));
        }
        if let Some(v) = native(self.direction, |d| match d {
            "Inbound" => "ingress",
            "Outbound" => "egress",
            other => other,
        }) {
            m.insert("flow_direction".into(), Value::String(v));
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrow::array::{Array, AsArray};
    use crate::arrow::datatypes::{Int32Type, Int64Type};

    #[test]
    fn rows_carry_the_flow_fields() {
        let flow = FlowRecord {
            version: Some(5),
            account_id: Some("111122223333".into()),
            srcaddr: Some("10.0.0.1".into()),
            dstaddr: Some("10.0.0.2".into()),
            srcport: Some(41000),
            dstport: Some(22),
            protocol: Some(6),
            packets: Some(3),
            bytes: Some(180),
            start: Some(1_700_000_000),
            end: Some(1_700_000_060),
            action: Some("REJECT".into()),
            log_status: Some("OK".into()),
            flow_direction: Some("ingress".into()),
            unmapped: vec![(Cow::Borrowed("new-field"), Cow::Borrowed("v"))],
            raw: "5 111122223333 …".into(),
            ..FlowRecord::default()
        };
        let nodata = FlowRecord {
            version: Some(2),
            interface_id: Some("eni-1".into()),
            start: Some(1_700_000_000),
            end: Some(1_700_000_060),
            log_status: Some("NODATA".into()),
            raw: "2 - eni-1 …".into(),
            ..FlowRecord::default()
        };
        let tgw = FlowRecord {
            resource_type: Some("TransitGateway".into()),
            tgw: std::array::from_fn(|i| Some(Cow::Owned(format!("t{i}")))),
            packets_lost: [Some(1), None, Some(3), None],
            end: Some(1_700_000_060),
            raw: "tgw".into(),
            ..FlowRecord::default()
        };
        let account = crate::table::test_account();
        let mut cols = Columns::new(&VPC_FLOW, 3);
        for r in [&flow, &nodata, &tgw] {
            let at = RowContext {
                account_id: Some("111122223333"),
                region: Some("eu-west-1"),
                account: Some(&account),
                source_object: "k",
            };
            r.append(&mut cols, &at);
        }
        let b = cols.finish();
        assert_eq!(b.num_rows(), 3);
        let text = |c: &str, i: usize| {
            let a = b.column_by_name(c).unwrap().as_string::<i32>();
            (!a.is_null(i)).then(|| a.value(i).to_string())
        };
        let i32_at = |c: &str, i: usize| {
            let a = b.column_by_name(c).unwrap().as_primitive::<Int32Type>();
            (!a.is_null(i)).then(|| a.value(i))
        };
        let i64_at = |c: &str, i: usize| {
            let a = b.column_by_name(c).unwrap().as_primitive::<Int64Type>();
            (!a.is_null(i)).then(|| a.value(i))
        };
        assert_eq!(text("src_endpoint_ip", 0).as_deref(), Some("10.0.0.1"));
        assert_eq!(i32_at("dst_endpoint_port", 0), Some(22));
        assert_eq!(text("disposition", 0).as_deref(), Some("Blocked"));
        assert_eq!(i32_at("disposition_id", 0), Some(2));
        assert_eq!(text("connection_info_direction", 0).as_deref(), Some("Inbound"));
        assert_eq!(i64_at("traffic_bytes", 0), Some(180));
        assert_eq!(i64_at("start_time", 0), Some(1_700_000_000_000));
        assert_eq!(i64_at("time", 0), Some(1_700_000_000_000));
        assert_eq!(i32_at("class_uid", 0), Some(4001));
        assert_eq!(i32_at("type_uid", 0), Some(400_106));
        assert_eq!(text("unmapped", 0).as_deref(), Some(r#"{"new-field":"v"}"#));
        assert_eq!(text("account_name", 0).as_deref(), Some("prod"));
        // Read back under the log's own names, for detection rules.
        let native = FlowRecords::new(&b).record(0);
        assert_eq!(
            native,
            serde_json::json!({
                "version": 5, "account_id": "111122223333", "region": "eu-west-1",
                "srcaddr": "10.0.0.1", "dstaddr": "10.0.0.2", "srcport": 41000, "dstport": 22,
                "protocol": 6, "packets": 3, "bytes": 180, "start": 1_700_000_000i64,
                "end": 1_700_000_060i64, "action": "REJECT", "log_status": "OK",
                "flow_direction": "ingress"
            })
        );
        assert_eq!(FlowRecords::new(&b).record(1)["log_status"], "NODATA");
        assert_eq!(text("raw", 0).as_deref(), Some("5 111122223333 …"));
        // NODATA: a status row, activity Unknown, no flow.
        assert_eq!(text("log_status", 1).as_deref(), Some("NODATA"));
        assert_eq!(i32_at("activity_id", 1), Some(0));
        assert_eq!(text("src_endpoint_ip", 1), None);
        assert_eq!(text("disposition", 1), None);
        assert_eq!(text("src_endpoint_interface_uid", 1).as_deref(), Some("eni-1"));
        // Transit Gateway: its own columns, time from `end`.
        assert_eq!(
            text("metadata_product_name", 2).as_deref(),
            Some("AWS Transit Gateway")
        );
        assert_eq!(text("tgw_id", 2).as_deref(), Some("t0"));
        assert_eq!(text("tgw_pair_attachment_id", 2).as_deref(), Some("t12"));
        assert_eq!(i64_at("packets_lost_mtu_exceeded", 2), Some(3));
        assert_eq!(i64_at("packets_lost_blackhole", 2), None);
        assert_eq!(i64_at("time", 2), Some(1_700_000_060_000));
    }
}
