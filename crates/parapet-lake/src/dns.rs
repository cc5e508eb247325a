//! The `route53_resolver` table: Route 53 Resolver query log records as OCSF DNS Activity
//! (class 4003, activity 1 "Query"), one row per query.

use parapet_model::dns::{rcode_id, DNS_ACTIVITY_CLASS_UID};
use parapet_model::flow::NETWORK_CATEGORY_UID;
use parapet_model::DnsQuery;

use crate::table::{col, Columns, Head, Kind, LakeRecord, RowContext, TableDef};

/// The table.
pub static ROUTE53_RESOLVER: TableDef = TableDef {
    name: "route53_resolver",
    class_uid: DNS_ACTIVITY_CLASS_UID,
    category_uid: NETWORK_CATEGORY_UID,
    description: "Route 53 Resolver query logs: DNS queries from VPCs (OCSF DNS Activity)",
    columns: &[
        col("query_hostname", Kind::Utf8),
        col("query_type", Kind::Utf8),
        col("query_class", Kind::Utf8),
        col("rcode", Kind::Utf8),
        col("rcode_id", Kind::Int32),
        col("answers", Kind::Utf8).bulky(),
        col("src_endpoint_ip", Kind::Utf8),
        col("src_endpoint_port", Kind::Int32),
        col("src_endpoint_vpc_uid", Kind::Utf8),
        col("src_endpoint_instance_uid", Kind::Utf8),
        col("src_endpoint_resolver_endpoint_uid", Kind::Utf8),
        col("srcids", Kind::Utf8).bulky(),
        col("connection_info_protocol_name", Kind::Utf8),
        col("firewall_rule_action", Kind::Utf8),
        col("firewall_rule_group_id", Kind::Utf8),
        col("firewall_domain_list_id", Kind::Utf8),
        col("log_version", Kind::Utf8),
    ],
    aliases: &[
        ("query_name", "query_hostname"),
        ("query_timestamp", "time_dt"),
        ("srcaddr", "src_endpoint_ip"),
        ("srcport", "src_endpoint_port"),
        ("vpc_id", "src_endpoint_vpc_uid"),
        ("transport", "connection_info_protocol_name"),
        ("account_id", "cloud_account_uid"),
    ],
    views: &[],
};

const ACTIVITY_QUERY: (i32, &str) = (1, "Query");

impl LakeRecord for DnsQuery {
    fn table(&self) -> &'static TableDef {
        &ROUTE53_RESOLVER
    }

    fn time_ms(&self) -> i64 {
        self.time_ms
    }

    fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    fn append(&self, cols: &mut Columns, at: &RowContext<'_>) {
        let head = Head {
            time_ms: self.time_ms,
            uid: None,
            product_name: "Route 53",
            vendor_name: "AWS",
            activity_id: ACTIVITY_QUERY.0,
            activity_name: ACTIVITY_QUERY.1,
            severity_id: 1,
            region: at.region,
            account_id: at.account_id,
        };
        let mut row = cols.row(&head);
        row.str(self.query_name.as_deref())
            .str(self.query_type.as_deref())
            .str(self.query_class.as_deref())
            .str(self.rcode.as_deref())
            .i32(self.rcode.as_deref().and_then(rcode_id))
            .str(self.answers.as_deref())
            .str(self.srcaddr.as_deref())
            .i32(self.srcport)
            .str(self.vpc_id.as_deref())
            .str(self.src_instance.as_deref())
            .str(self.src_resolver_endpoint.as_deref())
            .str(self.srcids.as_deref())
            .str(self.transport.as_deref())
            .str(self.firewall_rule_action.as_deref())
            .str(self.firewall_rule_group_id.as_deref())
            .str(self.firewall_domain_list_id.as_deref())
            .str(self.version.as_deref());
        row.tail(at.account, at.source_object, &self.raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrow::array::{Array, AsArray};
    use crate::arrow::datatypes::{Int32Type, Int64Type};

    #[test]
    fn rows_carry_the_query_fields() {
        let q = DnsQuery {
            time_ms: 1_612_461_115_000,
            version: Some("1.100000".into()),
            account_id: Some("111122223333".into()),
            region: Some("us-east-1".into()),
            vpc_id: Some("vpc-7example".into()),
            query_name: Some("15.3.4.32.in-addr.arpa.".into()),
            query_type: Some("PTR".into()),
            query_class: Some("IN".into()),
            rcode: Some("NXDOMAIN".into()),
            answers: Some("[]".into()),
            srcaddr: Some("4.5.64.102".into()),
            srcport: Some(56067),
            transport: Some("UDP".into()),
            src_instance: Some("i-0d15".into()),
            firewall_rule_action: Some("BLOCK".into()),
            raw: "{…}".into(),
            ..DnsQuery::default()
        };
        let mut cols = Columns::new(&ROUTE53_RESOLVER, 1);
        let at = RowContext {
            account_id: Some("111122223333"),
            region: Some("us-east-1"),
            account: None,
            source_object: "k",
        };
        q.append(&mut cols, &at);
        let b = cols.finish();
        let text = |c: &str| {
            let a = b.column_by_name(c).unwrap().as_string::<i32>();
            (!a.is_null(0)).then(|| a.value(0).to_string())
        };
        let int = |c: &str| b.column_by_name(c).unwrap().as_primitive::<Int32Type>().value(0);
        assert_eq!(text("query_hostname").as_deref(), Some("15.3.4.32.in-addr.arpa."));
        assert_eq!(text("rcode").as_deref(), Some("NXDOMAIN"));
        assert_eq!(int("rcode_id"), 3);
        assert_eq!(int("src_endpoint_port"), 56067);
        assert_eq!(int("class_uid"), 4003);
        assert_eq!(int("activity_id"), 1);
        assert_eq!(int("type_uid"), 400_301);
        assert_eq!(text("src_endpoint_instance_uid").as_deref(), Some("i-0d15"));
        assert_eq!(text("src_endpoint_resolver_endpoint_uid"), None);
        assert_eq!(text("connection_info_protocol_name").as_deref(), Some("UDP"));
        assert_eq!(text("firewall_rule_action").as_deref(), Some("BLOCK"));
        assert_eq!(text("cloud_region").as_deref(), Some("us-east-1"));
        assert_eq!(text("account_name"), None);
        assert_eq!(
            b.column_by_name("time")
                .unwrap()
                .as_primitive::<Int64Type>()
                .value(0),
            1_612_461_115_000
        );
    }
}
