//! What an object is, from its key: the AWS Log Archive layouts.
//!
//! Keys look like `[prefix/]AWSLogs/[o-xxxxxxxxxx/]<account>/<Service>/<region>/YYYY/MM/DD/<file>`,
//! with Control Tower adding the organisation id once more in front of `AWSLogs/`. The account id
//! is the 12-digit segment after `AWSLogs/` and the optional organisation id, never "the first
//! segment after AWSLogs". Objects outside that layout (a folder of exported files) are
//! recognised by their file name alone.
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
    /// CloudTrail Insights events: their own shape, not read yet.
    CloudTrailInsight,
    Config,
    VpcFlowLogs,
    ResolverQueryLogs,
    GuardDuty,
    /// Security Hub findings (ASFF), bare or in EventBridge events.
    SecurityHub,
    /// AWS Health events (EventBridge).
    Health,
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
        let account_id = rest.first().and_then(|s| AccountId::parse(s));
        if let Some(account_id) = account_id {
            let service = rest.get(1).copied().unwrap_or("");
            let region = rest.get(2).copied().filter(|r| !r.is_empty() && *r != file_name);
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
                "CloudTrail-Insight" => (
                    ObjectKind::CloudTrailInsight,
                    Some("CloudTrail Insights events are not read yet"),
                ),
                "Config" => (ObjectKind::Config, Some("AWS Config files are not read yet")),
                "vpcflowlogs" => (ObjectKind::VpcFlowLogs, Some("VPC Flow Logs are not read yet")),
                "vpcdnsquerylogs" => (
                    ObjectKind::ResolverQueryLogs,
                    Some("Route 53 Resolver query logs are not read yet"),
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
        let (account_id, region) = match (account_id, parts.next(), parts.next()) {
            (Some(a), Some("CloudTrail"), Some(r)) => (Some(a), Some(r)),
            _ => (None, None),
        };
        return LogKey {
            kind: ObjectKind::CloudTrail,
            org_id: None,
            account_id,
            region,
            file_name,
            skip_reason: None,
        };
    }
    unsupported("not a JSON log file (expected .json, .json.gz, .jsonl or .ndjson)")
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
                "AWSLogs/111122223333/Config/us-east-1/2024/1/2/ConfigHistory/x.json.gz",
                ObjectKind::Config,
            ),
            (
                "AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/01/02/x.log.gz",
                ObjectKind::VpcFlowLogs,
            ),
            (
                "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/01/02/x.json.gz",
                ObjectKind::CloudTrailInsight,
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
        let k = classify_key("export/events.ndjson");
        assert_eq!((k.kind, k.account_id), (ObjectKind::CloudTrail, None));
    }
}
