//! What an object is, from its key: the AWS Log Archive layouts.
//!
//! Keys look like `[prefix/]AWSLogs/[o-xxxxxxxxxx/]<account>/<Service>/<region>/YYYY/MM/DD/<file>`,
//! with Control Tower adding the organisation id once more in front of `AWSLogs/`. The account id
//! is the 12-digit segment after `AWSLogs/` and the optional organisation id, never "the first
//! segment after AWSLogs". Objects outside that layout (a folder of exported files) are
//! recognised by their file name or content. Route 53 Resolver query logs put the VPC id where other
//! services put the region; their region comes from the file name. Flow logs delivered with
//! Hive-compatible prefixes name the parts (`aws-account-id=…/aws-service=…/aws-region=…`).
//!
//! GuardDuty exports to `AWSLogs/<account>/GuardDuty/<region>/YYYY/MM/DD/<uuid>.jsonl.gz`.
//! Security Hub and Health have no S3 layout of their own (they arrive through EventBridge);
//! parapet reads them from the service folders `SecurityHub` and `Health` in the same layout,
//! which is where a Firehose delivering their events should be told to write.

use parapet_model::AccountId;

/// The kind of log object, decided from the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// CloudTrail events (management, data or network activity).
    CloudTrail,
    /// Signed CloudTrail digest files: recognised and skipped.
    CloudTrailDigest,
    /// CloudTrail Insights events: their own shape and table.
    CloudTrailInsight,
    Config,
    VpcFlowLogs,
    ResolverQueryLogs,
    GuardDuty,
    /// Security Hub findings (ASFF), bare or in EventBridge events.
    SecurityHub,
    /// AWS Health events (EventBridge).
    Health,
    /// Outside the Log Archive layout: the content decides (see [`crate::sniff`]).
    Detect,
    /// Something in the bucket parapet does not read, with the reason.
    Unsupported,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::CloudTrail => "cloudtrail",
            ObjectKind::CloudTrailDigest => "cloudtrail_digest",
            ObjectKind::CloudTrailInsight => "cloudtrail_insight",
            ObjectKind::Config => "config",
            ObjectKind::VpcFlowLogs => "vpc_flow_logs",
            ObjectKind::ResolverQueryLogs => "resolver_query_logs",
            ObjectKind::GuardDuty => "guardduty",
            ObjectKind::SecurityHub => "securityhub",
            ObjectKind::Health => "health",
            ObjectKind::Detect => "detect",
            ObjectKind::Unsupported => "unsupported",
        }
    }
}

/// The parts of a Log Archive key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogKey<'a> {
    pub kind: ObjectKind,
    pub org_id: Option<&'a str>,
    pub account_id: Option<AccountId>,
    pub region: Option<&'a str>,
    pub file_name: &'a str,
    /// Why an object of kind `Unsupported` (or a known kind parapet skips) is not read.
    pub skip_reason: Option<&'static str>,
}

impl LogKey<'_> {
    /// Whether ingest reads this object.
    pub fn is_readable(&self) -> bool {
        self.skip_reason.is_none()
    }
}

fn is_org_id(s: &str) -> bool {
    s.len() >= 12
        && s.len() <= 34
        && s.starts_with("o-")
        && s[2..]
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn has_json_suffix(name: &str) -> bool {
    let n = name.strip_suffix(".gz").unwrap_or(name);
    n.ends_with(".json") || n.ends_with(".jsonl") || n.ends_with(".ndjson")
}

/// Names a log may have outside the Log Archive layout (the content then decides its kind).
fn has_log_suffix(name: &str) -> bool {
    let n = name.strip_suffix(".gz").unwrap_or(name);
    n != name || has_json_suffix(name) || [".log", ".parquet"].iter().any(|s| n.ends_with(s))
}

fn has_flow_suffix(name: &str) -> bool {
    name.ends_with(".log.gz") || name.ends_with(".log") || name.ends_with(".parquet")
}

fn has_resolver_suffix(name: &str) -> bool {
    name.ends_with(".log.gz") || name.ends_with(".gz") || name.ends_with(".log")
}

/// Whether `s` looks like an AWS region name (`us-east-1`, `eu-central-2`, `us-gov-west-1`).
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|c| c.is_ascii_digit()))
        && parts[0] != "vpc"
}

/// The region in `<account>_<service>_<region>_…`, when it is one.
fn region_in_file_name<'a>(file_name: &'a str, service: &str) -> Option<&'a str> {
    let mut parts = file_name.split('_');
    let _account = parts.next()?;
    (parts.next()? == service).then_some(())?;
    parts.next().filter(|r| is_region(r))
}

/// Classifies an object key (a path relative to the listing root, `/`-separated).
pub fn classify_key(key: &str) -> LogKey<'_> {
    let segments: Vec<&str> = key.split('/').collect();
    let file_name = segments.last().copied().unwrap_or("");
    let unsupported = |reason: &'static str| LogKey {
        kind: ObjectKind::Unsupported,
        org_id: None,
        account_id: None,
        region: None,
        file_name,
        skip_reason: Some(reason),
    };
    if file_name.is_empty() {
        return unsupported("a folder marker, not an object");
    }
    if let Some(pos) = segments.iter().rposition(|s| *s == "AWSLogs") {
        let mut rest = &segments[pos + 1..];
        let mut org_id = None;
        if let Some(first) = rest.first() {
            if is_org_id(first) {
                org_id = Some(*first);
                rest = &rest[1..];
            }
        }
        // Flow logs with Hive-compatible prefixes name their parts:
        // `aws-account-id=<a>/aws-service=vpcflowlogs/aws-region=<r>/year=…/month=…/day=…/[hour=…/]<file>`.
        let hive: Vec<&str>;
        if rest.first().is_some_and(|s| s.starts_with("aws-account-id=")) {
            hive = rest
                .iter()
                .map(|s| {
                    ["aws-account-id=", "aws-service=", "aws-region="]
                        .iter()
                        .find_map(|p| s.strip_prefix(p))
                        .unwrap_or(s)
                })
                .collect();
            rest = &hive;
        }
        let account_id = rest.first().and_then(|s| AccountId::parse(s));
        if let Some(account_id) = account_id {
            let service = rest.get(1).copied().unwrap_or("");
            let region = match service {
                // `vpcdnsquerylogs/<vpc-id>/…`: the region is only in the file name.
                "vpcdnsquerylogs" => region_in_file_name(file_name, "vpcdnsquerylogs"),
                _ => rest.get(2).copied().filter(|r| !r.is_empty() && *r != file_name),
            };
            let (kind, skip_reason) = match service {
                "CloudTrail" if has_json_suffix(file_name) => (ObjectKind::CloudTrail, None),
                "CloudTrail" => (
                    ObjectKind::Unsupported,
                    Some("not a CloudTrail log file (expected .json.gz)"),
                ),
                "CloudTrail-Digest" => (
                    ObjectKind::CloudTrailDigest,
                    Some("CloudTrail digest file (integrity proof, not events)"),
                ),
                "CloudTrail-Insight" if has_json_suffix(file_name) => (ObjectKind::CloudTrailInsight, None),
                "CloudTrail-Insight" => (
                    ObjectKind::Unsupported,
                    Some("not a CloudTrail Insights file (expected .json.gz)"),
                ),
                "Config" if file_name == "ConfigWritabilityCheckFile" => (
                    ObjectKind::Config,
                    Some("AWS Config's delivery check file (no configuration items)"),
                ),
                "Config" if has_json_suffix(file_name) => (ObjectKind::Config, None),
                "Config" => (
                    ObjectKind::Unsupported,
                    Some("not an AWS Config history or snapshot file (expected .json.gz)"),
                ),
                "vpcflowlogs" if has_flow_suffix(file_name) => (ObjectKind::VpcFlowLogs, None),
                "vpcflowlogs" => (
                    ObjectKind::Unsupported,
                    Some("not a VPC flow log file (expected .log.gz, .log or .parquet)"),
                ),
                "vpcdnsquerylogs" if has_resolver_suffix(file_name) => (ObjectKind::ResolverQueryLogs, None),
                "vpcdnsquerylogs" => (
                    ObjectKind::Unsupported,
                    Some("not a Route 53 Resolver query log file (expected .log.gz or .gz)"),
                ),
                "GuardDuty" if has_json_suffix(file_name) => (ObjectKind::GuardDuty, None),
                "GuardDuty" => (
                    ObjectKind::Unsupported,
                    Some("not a GuardDuty export (expected .jsonl.gz, .json.gz, .jsonl or .json)"),
                ),
                // No AWS service writes these folders: parapet's convention for findings and
                // events exported from EventBridge (e.g. by Firehose).
                "SecurityHub" if has_json_suffix(file_name) => (ObjectKind::SecurityHub, None),
                "Health" if has_json_suffix(file_name) => (ObjectKind::Health, None),
                "SecurityHub" | "Health" => (
                    ObjectKind::Unsupported,
                    Some("not a JSON file (expected .jsonl.gz, .json.gz, .jsonl or .json)"),
                ),
                _ => (
                    ObjectKind::Unsupported,
                    Some("unknown service folder under AWSLogs"),
                ),
            };
            return LogKey {
                kind,
                org_id,
                account_id: Some(account_id),
                region,
                file_name,
                skip_reason,
            };
        }
    }
    // Outside the Log Archive layout: decide by the file name.
    if file_name.starts_with('.') {
        return unsupported("hidden file");
    }
    if file_name.contains("_CloudTrail-Digest_") {
        return LogKey {
            kind: ObjectKind::CloudTrailDigest,
            skip_reason: Some("CloudTrail digest file (integrity proof, not events)"),
            ..unsupported("")
        };
    }
    if has_json_suffix(file_name) {
        // `<account>_CloudTrail_<region>_<time>_<rand>.json[.gz]` names its account and region.
        let mut parts = file_name.split('_');
        let account_id = parts.next().and_then(AccountId::parse);
        if let (Some(a), Some("CloudTrail"), Some(r)) = (account_id, parts.next(), parts.next()) {
            return LogKey {
                kind: ObjectKind::CloudTrail,
                org_id: None,
                account_id: Some(a),
                region: Some(r),
                file_name,
                skip_reason: None,
            };
        }
    }
    if has_log_suffix(file_name) {
        return LogKey {
            kind: ObjectKind::Detect,
            skip_reason: None,
            ..unsupported("")
        };
    }
    unsupported("not a log file (expected .json, .jsonl, .ndjson, .log or .parquet, optionally .gz)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_tower_layout() {
        let k = classify_key("o-abc123def4/AWSLogs/o-abc123def4/111122223333/CloudTrail/eu-west-1/2024/01/02/111122223333_CloudTrail_eu-west-1_20240102T0005Z_abcdefghijklmnop.json.gz");
        assert_eq!(k.kind, ObjectKind::CloudTrail);
        assert_eq!(k.org_id, Some("o-abc123def4"));
        assert_eq!(
            k.account_id.map(|a| a.to_string()).as_deref(),
            Some("111122223333")
        );
        assert_eq!(k.region, Some("eu-west-1"));
        assert!(k.is_readable());
    }

    #[test]
    fn plain_and_prefixed_layouts() {
        let k = classify_key("AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/x.json.gz");
        assert_eq!(
            (k.kind, k.org_id, k.region),
            (ObjectKind::CloudTrail, None, Some("us-east-1"))
        );
        let k = classify_key(
            "logs/prod/AWSLogs/o-abcdefghij/111122223333/CloudTrail/us-east-1/2024/01/02/x.json.gz",
        );
        assert_eq!(k.org_id, Some("o-abcdefghij"));
        assert_eq!(
            k.account_id.map(|a| a.to_string()).as_deref(),
            Some("111122223333")
        );
    }

    #[test]
    fn other_services_are_skipped_with_reasons() {
        let digest = classify_key("AWSLogs/o-abcdefghij/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240102T010000Z.json.gz");
        assert_eq!(digest.kind, ObjectKind::CloudTrailDigest);
        assert!(!digest.is_readable());
        for (key, kind) in [
            (
                "AWSLogs/111122223333/Config/ConfigWritabilityCheckFile",
                ObjectKind::Config,
            ),
            (
                "AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/01/02/x.txt",
                ObjectKind::Unsupported,
            ),
            (
                "AWSLogs/111122223333/vpcdnsquerylogs/vpc-0abc/2024/01/02/x.json",
                ObjectKind::Unsupported,
            ),
            (
                "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/README.txt",
                ObjectKind::Unsupported,
            ),
            ("notes/readme.md", ObjectKind::Unsupported),
            ("AWSLogs/", ObjectKind::Unsupported),
        ] {
            let k = classify_key(key);
            assert_eq!(k.kind, kind, "{key}");
            assert!(k.skip_reason.is_some(), "{key}");
        }
    }

    #[test]
    fn config_files() {
        for key in [
            "AWSLogs/o-abcdefghij/111122223333/Config/eu-west-1/2024/1/2/ConfigHistory/111122223333_Config_eu-west-1_ConfigHistory_AWS::EC2::SecurityGroup_20240102T010000Z_20240102T020000Z_1.json.gz",
            "AWSLogs/111122223333/Config/eu-west-1/2024/1/2/ConfigSnapshot/111122223333_Config_eu-west-1_ConfigSnapshot_20240102T010000Z_abc.json.gz",
        ] {
            let k = classify_key(key);
            assert_eq!((k.kind, k.region, k.skip_reason), (ObjectKind::Config, Some("eu-west-1"), None), "{key}");
        }
    }

    #[test]
    fn findings_and_events_folders() {
        for (key, kind) in [
            (
                "AWSLogs/111122223333/GuardDuty/eu-west-1/2024/01/02/0a1b2c3d-1111-2222-3333-444455556666.jsonl.gz",
                ObjectKind::GuardDuty,
            ),
            (
                "org/AWSLogs/o-abcdefghij/111122223333/GuardDuty/eu-west-1/2024/01/02/f.json",
                ObjectKind::GuardDuty,
            ),
            (
                "AWSLogs/111122223333/SecurityHub/eu-west-1/2024/01/02/findings-1.jsonl.gz",
                ObjectKind::SecurityHub,
            ),
            (
                "AWSLogs/111122223333/Health/us-east-1/2024/01/02/events.json",
                ObjectKind::Health,
            ),
        ] {
            let k = classify_key(key);
            assert_eq!(k.kind, kind, "{key}");
            assert!(k.is_readable(), "{key}");
            assert_eq!(
                k.account_id.map(|a| a.to_string()).as_deref(),
                Some("111122223333")
            );
        }
        let k = classify_key("AWSLogs/111122223333/GuardDuty/eu-west-1/2024/01/02/f.jsonl.gz");
        assert_eq!(k.region, Some("eu-west-1"));
        for key in [
            "AWSLogs/111122223333/GuardDuty/eu-west-1/2024/01/02/f.csv",
            "AWSLogs/111122223333/SecurityHub/eu-west-1/2024/01/02/f.parquet",
            "AWSLogs/111122223333/Health/us-east-1/x.txt",
        ] {
            let k = classify_key(key);
            assert_eq!(k.kind, ObjectKind::Unsupported, "{key}");
            assert!(!k.is_readable(), "{key}");
        }
    }

    #[test]
    fn exported_files_by_name() {
        let k =
            classify_key("CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json");
        assert_eq!(k.kind, ObjectKind::CloudTrail);
        assert_eq!(k.region, Some("us-east-1"));
        for name in [
            "export/events.ndjson",
            "flows.log",
            "x.parquet",
            "dump.gz",
            "findings.jsonl.gz",
        ] {
            let k = classify_key(name);
            assert_eq!(
                (k.kind, k.account_id, k.skip_reason),
                (ObjectKind::Detect, None, None),
                "{name}"
            );
        }
        assert!(classify_key("notes.md").skip_reason.is_some());
    }

    #[test]
    fn flow_logs_are_read() {
        for name in [
            "111122223333_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_20240102T0005Z_1a2b3c4d.log.gz",
            "111122223333_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_20240102T0005Z_1a2b3c4d.log.parquet",
        ] {
            let key = format!("AWSLogs/o-abcdefghij/111122223333/vpcflowlogs/eu-west-1/2024/01/02/{name}");
            let k = classify_key(&key);
            assert_eq!(k.kind, ObjectKind::VpcFlowLogs, "{key}");
            assert!(k.is_readable(), "{key}");
            assert_eq!(k.region, Some("eu-west-1"));
            assert_eq!(
                k.account_id.map(|a| a.to_string()).as_deref(),
                Some("111122223333")
            );
        }
    }

    #[test]
    fn hive_compatible_flow_log_prefixes() {
        let key = "flows/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=01/day=02/hour=00/111122223333_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_20240102T0005Z_1a2b3c4d.log.parquet";
        let k = classify_key(key);
        assert_eq!(k.kind, ObjectKind::VpcFlowLogs);
        assert!(k.is_readable());
        assert_eq!(k.region, Some("eu-west-1"));
        assert_eq!(
            k.account_id.map(|a| a.to_string()).as_deref(),
            Some("111122223333")
        );
    }

    #[test]
    fn resolver_logs_take_the_region_from_the_file_name_not_the_vpc_folder() {
        let k = classify_key("AWSLogs/111122223333/vpcdnsquerylogs/vpc-0abc123def4567890/2024/01/02/111122223333_vpcdnsquerylogs_ap-southeast-2_vpc-0abc123def4567890_20240102T0005Z_9f8e7d6c.log.gz");
        assert_eq!(k.kind, ObjectKind::ResolverQueryLogs);
        assert!(k.is_readable());
        assert_eq!(k.region, Some("ap-southeast-2"));
        assert_eq!(
            k.account_id.map(|a| a.to_string()).as_deref(),
            Some("111122223333")
        );
        // A file name without the region: no region (never the vpc id).
        let k = classify_key("AWSLogs/111122223333/vpcdnsquerylogs/vpc-0abc/2024/01/02/queries.log.gz");
        assert_eq!((k.kind, k.region), (ObjectKind::ResolverQueryLogs, None));
        let k = classify_key("AWSLogs/111122223333/vpcdnsquerylogs/vpc-0abc/2024/01/02/111122223333_vpcdnsquerylogs_vpc-0abc_x.log.gz");
        assert_eq!(k.region, None);
    }

    #[test]
    fn region_names() {
        for r in ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-4"] {
            assert!(is_region(r), "{r}");
        }
        for r in ["vpc-0abc", "vpc-abc-1", "useast1", "us-east-", "US-EAST-1", ""] {
            assert!(!is_region(r), "{r}");
        }
    }
}
