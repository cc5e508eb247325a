//! One Route 53 Resolver query log record (a DNS query from a VPC), as the lake stores it.
//!
//! Fields keep AWS's names and text; `answers` and `srcids` stay JSON text because their shape is
//! AWS's to extend. The OCSF mapping (DNS Activity 4003) lives with the table in `parapet-lake`.

/// OCSF class of DNS Activity.
pub const DNS_ACTIVITY_CLASS_UID: i32 = 4003;

/// One query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DnsQuery {
    /// `query_timestamp`, epoch ms.
    pub time_ms: i64,
    /// The log format version (`1.100000`).
    pub version: Option<String>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub vpc_id: Option<String>,
    pub query_name: Option<String>,
    pub query_type: Option<String>,
    pub query_class: Option<String>,
    /// The DNS response code as AWS writes it (`NOERROR`, `NXDOMAIN`, …).
    pub rcode: Option<String>,
    /// JSON text of `answers` (`[{"Rdata":…,"Type":…,"Class":…}]`).
    pub answers: Option<String>,
    pub srcaddr: Option<String>,
    pub srcport: Option<i32>,
    /// `UDP` or `TCP`.
    pub transport: Option<String>,
    /// `srcids.instance`: the EC2 instance that asked.
    pub src_instance: Option<String>,
    /// `srcids.resolver_endpoint`: the inbound Resolver endpoint the query came through.
    pub src_resolver_endpoint: Option<String>,
    /// JSON text of the whole `srcids` object.
    pub srcids: Option<String>,
    /// `ALLOW`, `BLOCK` or `ALERT` when a DNS Firewall rule matched.
    pub firewall_rule_action: Option<String>,
    pub firewall_rule_group_id: Option<String>,
    pub firewall_domain_list_id: Option<String>,
    /// The original line.
    pub raw: String,
}

/// The numeric DNS RCODE (RFC 1035, RFC 6895) of a response code name, for OCSF `rcode_id`.
pub fn rcode_id(name: &str) -> Option<i32> {
    Some(match name.to_ascii_uppercase().as_str() {
        "NOERROR" => 0,
        "FORMERR" => 1,
        "SERVFAIL" => 2,
        "NXDOMAIN" => 3,
        "NOTIMP" => 4,
        "REFUSED" => 5,
        "YXDOMAIN" => 6,
        "YXRRSET" => 7,
        "NXRRSET" => 8,
        "NOTAUTH" => 9,
        "NOTZONE" => 10,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rcode_names() {
        assert_eq!(rcode_id("NOERROR"), Some(0));
        assert_eq!(rcode_id("NXDOMAIN"), Some(3));
        assert_eq!(rcode_id("weird"), None);
    }
}
