//! Remediation: the changes parapet can make to fix a posture failure, each carrying what is
//! needed to undo it, and `[remediate]`, which says where and how eagerly.

use std::collections::BTreeMap;

use crate::baseline::BlockPublicAccess;
use crate::inventory::IpRule;
use crate::AccountId;

/// How a playbook runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Never.
    Off,
    /// Planned and logged, applied only with `parapet remediate --apply`.
    #[default]
    DryRun,
    /// Applied by every `parapet remediate` run.
    Auto,
}

/// `[remediate]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RemediateConfig {
    /// Only these accounts (ids); empty: every account.
    pub accounts: Vec<String>,
    /// Only accounts under these OU paths (prefixes); empty: every OU.
    pub ous: Vec<String>,
    /// Per playbook (`revoke_open_ingress`, …): `off`, `dry-run` (the default) or `auto`.
    pub playbooks: BTreeMap<String, Mode>,
}

impl RemediateConfig {
    /// A playbook's mode: as configured, else dry-run (and off for the one that takes
    /// permissions away from people, until someone turns it on).
    pub fn mode(&self, playbook: &str) -> Mode {
        match self.playbooks.get(playbook) {
            Some(m) => *m,
            None if playbook == DETACH_TRAIL_TAMPERING_POLICY => Mode::Off,
            None => Mode::DryRun,
        }
    }
}

/// The playbooks, by id.
pub const PLAYBOOKS: [&str; 6] = [
    REVOKE_OPEN_INGRESS,
    CLEAR_DEFAULT_SECURITY_GROUP,
    START_CLOUDTRAIL_LOGGING,
    BLOCK_BUCKET_PUBLIC_ACCESS,
    DEACTIVATE_ACCESS_KEY,
    DETACH_TRAIL_TAMPERING_POLICY,
];
pub const REVOKE_OPEN_INGRESS: &str = "revoke_open_ingress";
pub const CLEAR_DEFAULT_SECURITY_GROUP: &str = "clear_default_security_group";
pub const START_CLOUDTRAIL_LOGGING: &str = "start_cloudtrail_logging";
pub const BLOCK_BUCKET_PUBLIC_ACCESS: &str = "block_bucket_public_access";
pub const DEACTIVATE_ACCESS_KEY: &str = "deactivate_access_key";
/// Off unless configured: detaching a policy takes permissions away from its principals.
pub const DETACH_TRAIL_TAMPERING_POLICY: &str = "detach_trail_tampering_policy";

/// One change, with what undoing it needs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Change {
    /// Revoke these inbound rules (undo: authorize them again).
    RevokeIngress { group_id: String, rules: Vec<IpRule> },
    /// Revoke every rule of a default security group (undo: authorize them again).
    ClearSecurityGroup {
        group_id: String,
        ingress: Vec<IpRule>,
        egress: Vec<IpRule>,
    },
    /// Start a stopped trail (undo: stop it).
    StartLogging { trail: String },
    /// Turn on all four Block Public Access settings of a bucket (undo: put back `before`, or
    /// remove the configuration if there was none).
    BlockBucketPublicAccess {
        bucket: String,
        before: Option<BlockPublicAccess>,
    },
    /// Deactivate an access key (undo: activate it).
    DeactivateAccessKey { user: String, key_id: String },
    /// Detach a managed policy from its principals (`user/NAME`, `group/NAME`, `role/NAME`;
    /// undo: attach it to them again).
    DetachPolicy {
        policy_arn: String,
        principals: Vec<String>,
    },
}

impl Change {
    /// What it does, in a sentence.
    pub fn describe(&self) -> String {
        let rules = |rs: &[IpRule]| {
            rs.iter()
                .map(|r| {
                    let ports = match (r.from_port, r.to_port) {
                        (Some(a), Some(b)) if a == b => format!("{a}"),
                        (Some(a), Some(b)) => format!("{a}-{b}"),
                        _ => "all".into(),
                    };
                    let from: Vec<&str> = r
                        .ipv4_ranges
                        .iter()
                        .chain(&r.ipv6_ranges)
                        .map(String::as_str)
                        .collect();
                    format!("{}/{ports} from {}", r.protocol, from.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        match self {
            Change::RevokeIngress { group_id, rules: rs } => {
                format!("revoke inbound {} on {group_id}", rules(rs))
            }
            Change::ClearSecurityGroup {
                group_id,
                ingress,
                egress,
            } => format!(
                "remove the {} inbound and {} outbound rule(s) of default security group {group_id}",
                ingress.len(),
                egress.len()
            ),
            Change::StartLogging { trail } => format!("start logging on trail {trail}"),
            Change::BlockBucketPublicAccess { bucket, .. } => {
                format!("turn on all four Block Public Access settings of bucket {bucket}")
            }
            Change::DeactivateAccessKey { user, key_id } => {
                format!("deactivate access key {key_id} of {user}")
            }
            Change::DetachPolicy {
                policy_arn,
                principals,
            } => format!("detach {policy_arn} from {}", principals.join(", ")),
        }
    }
}

/// A change planned for one resource.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Action {
    pub playbook: String,
    /// The posture check whose failure it fixes.
    pub check: String,
    pub account_id: AccountId,
    pub region: Option<String>,
    pub resource: String,
    pub change: Change,
}
