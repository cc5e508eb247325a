//! What posture checks look at: one account's resources, as read from the live APIs (or, later,
//! from AWS Config's inventory), before anything is judged. Every list is a [`Probe`], so a
//! call that failed (or was not made) leaves its checks without data instead of passing them.
//!
//! Times are epoch milliseconds; policies are kept as the JSON documents AWS returns, so the
//! checks (in `parapet-posture`) decide what "public" or "full admin" means in one place.

use std::collections::BTreeMap;

use crate::baseline::{BlockPublicAccess, Probe, RegionFacts};
use crate::AccountId;

/// Resource tags.
pub type Tags = BTreeMap<String, String>;

/// One account: its global resources (IAM, S3) and one [`RegionInventory`] per region read.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AccountInventory {
    pub account_id: AccountId,
    pub collected_ms: i64,
    pub iam: Probe<Iam>,
    pub buckets: Probe<Vec<Bucket>>,
    pub regions: Vec<RegionInventory>,
}

/// One account in one region.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegionInventory {
    pub region: String,
    /// The services (CloudTrail, Config, GuardDuty, Security Hub, Access Analyzer, EBS
    /// encryption by default, and in one region the account's S3 Block Public Access) as the
    /// baseline reads them.
    pub services: RegionFacts,
    pub security_groups: Probe<Vec<SecurityGroup>>,
    pub instances: Probe<Vec<Instance>>,
    pub volumes: Probe<Vec<Volume>>,
    pub vpcs: Probe<Vec<Vpc>>,
    pub db_instances: Probe<Vec<DbInstance>>,
    pub kms_keys: Probe<Vec<KmsKey>>,
    pub functions: Probe<Vec<LambdaFunction>>,
    pub load_balancers: Probe<Vec<LoadBalancer>>,
}

impl RegionInventory {
    /// A region with nothing read yet.
    pub fn not_checked(account_id: AccountId, region: &str) -> RegionInventory {
        RegionInventory {
            region: region.to_string(),
            services: RegionFacts::not_checked(account_id, region),
            security_groups: Probe::NotChecked,
            instances: Probe::NotChecked,
            volumes: Probe::NotChecked,
            vpcs: Probe::NotChecked,
            db_instances: Probe::NotChecked,
            kms_keys: Probe::NotChecked,
            functions: Probe::NotChecked,
            load_balancers: Probe::NotChecked,
        }
    }
}

/// One inbound (or outbound) permission of a security group.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IpRule {
    /// `tcp`, `udp`, `icmp`, `icmpv6` or `-1` (everything).
    pub protocol: String,
    /// Absent for `-1` (and ICMP types).
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    #[serde(default)]
    pub ipv4_ranges: Vec<String>,
    #[serde(default)]
    pub ipv6_ranges: Vec<String>,
    /// Other security groups or prefix lists this rule admits.
    #[serde(default)]
    pub sources: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecurityGroup {
    pub id: String,
    pub name: String,
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub ingress: Vec<IpRule>,
    #[serde(default)]
    pub egress: Vec<IpRule>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Instance {
    pub id: String,
    pub instance_type: String,
    /// `pending`, `running`, `stopped`, … (terminated ones are not listed).
    pub state: String,
    pub public_ip: Option<String>,
    /// `HttpTokens`: `required` (IMDSv2 only) or `optional`.
    pub http_tokens: String,
    /// `HttpEndpoint`: `enabled` or `disabled`.
    pub http_endpoint: String,
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Volume {
    pub id: String,
    pub encrypted: bool,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Vpc {
    pub id: String,
    pub is_default: bool,
    /// Some flow log captures this VPC's traffic.
    pub flow_logs: bool,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bucket {
    pub name: String,
    pub region: String,
    /// The bucket's own Block Public Access (`None`: not configured).
    pub block_public_access: Option<BlockPublicAccess>,
    /// Default encryption (`AES256`, `aws:kms`, `aws:kms:dsse`), if any.
    pub encryption: Option<String>,
    /// The bucket policy, as JSON.
    pub policy: Option<String>,
    /// The ACL grants something to AllUsers or AuthenticatedUsers (`READ`, `WRITE`, …).
    #[serde(default)]
    pub public_acl_grants: Vec<String>,
    pub versioning: bool,
    pub logging: bool,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DbInstance {
    pub id: String,
    pub arn: String,
    pub engine: String,
    pub publicly_accessible: bool,
    pub storage_encrypted: bool,
    /// Days automated backups are kept (0: none).
    pub backup_retention_days: i32,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KmsKey {
    pub id: String,
    pub arn: String,
    /// `CUSTOMER` or `AWS`.
    pub manager: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, …
    pub state: String,
    /// `SYMMETRIC_DEFAULT`, `RSA_2048`, …: rotation applies to symmetric keys.
    pub spec: String,
    pub rotation: bool,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LambdaFunction {
    pub name: String,
    pub arn: String,
    pub runtime: Option<String>,
    /// The resource-based policy, as JSON.
    pub policy: Option<String>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listener {
    /// `HTTP`, `HTTPS`, `TCP`, `TLS`, …
    pub protocol: String,
    pub port: i32,
    /// An HTTP listener whose default action redirects to HTTPS.
    pub redirects_to_https: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoadBalancer {
    pub name: String,
    pub arn: String,
    /// `application`, `network`, `gateway`.
    pub kind: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    #[serde(default)]
    pub listeners: Vec<Listener>,
    #[serde(default)]
    pub tags: Tags,
}

/// IAM, account-wide.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Iam {
    pub root: Root,
    #[serde(default)]
    pub users: Vec<IamUser>,
    #[serde(default)]
    pub roles: Vec<IamRole>,
    /// Customer managed policies.
    #[serde(default)]
    pub policies: Vec<ManagedPolicy>,
    pub password_policy: Option<PasswordPolicy>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Root {
    pub mfa_enabled: bool,
    pub access_keys_present: bool,
    /// When the root password was last used (credential report).
    pub password_last_used_ms: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub active: bool,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IamUser {
    pub name: String,
    pub arn: String,
    pub created_ms: i64,
    /// Has a console password.
    pub password_enabled: bool,
    pub password_last_used_ms: Option<i64>,
    pub mfa_active: bool,
    #[serde(default)]
    pub access_keys: Vec<AccessKey>,
    /// Managed policies attached to the user directly (ARNs).
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// Names of the user's inline policies.
    #[serde(default)]
    pub inline_policies: Vec<String>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IamRole {
    pub name: String,
    pub arn: String,
    pub path: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    #[serde(default)]
    pub tags: Tags,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub arn: String,
    /// The default version's document, as JSON.
    pub document: String,
    pub attachments: i32,
    /// Who it is attached to: `user/NAME`, `group/NAME`, `role/NAME`.
    #[serde(default)]
    pub attached_to: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordPolicy {
    pub minimum_length: i32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    /// Days before a password expires (`None`: never).
    pub max_age_days: Option<i32>,
    /// Passwords remembered (`None`: no reuse prevention).
    pub reuse_prevention: Option<i32>,
}
