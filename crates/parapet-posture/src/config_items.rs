//! Inventories from AWS Config: the latest configuration item of each resource (the lake's
//! `config_inventory` view) as the same [`AccountInventory`] the live reader makes, so the
//! checks judge both alike. Config records security groups, instances, volumes, VPCs with
//! their flow logs, RDS instances, S3 buckets (with their supplementary configuration: Block
//! Public Access, encryption, policy, ACL, versioning, logging) and trails; what Config does not
//! record (IAM credentials, KMS rotation, Lambda policies, listeners, the services) stays
//! `NotChecked`, and those checks get no data from Config.
//!
//! Field names follow Config's item JSON, which differs by schema version (`ipRanges` as
//! strings or objects, `ARN` or `arn`); both spellings are read.

use std::collections::{BTreeMap, BTreeSet};

use parapet_model::baseline::{BlockPublicAccess, Probe, Trail};
use parapet_model::inventory::{
    AccountInventory, Bucket, DbInstance, Instance, IpRule, RegionInventory, SecurityGroup, Tags, Volume, Vpc,
};
use parapet_model::AccountId;
use serde_json::Value;

/// One resource's latest configuration item.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigResource {
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    pub arn: Option<String>,
    pub tags: Tags,
    pub configuration: Value,
    pub supplementary: Value,
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn flag(v: &Value, key: &str) -> bool {
    match v.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A JSON object, or a string holding one (Config writes some supplementary items as text).
fn object(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        Some(v) => v.clone(),
        None => Value::Null,
    }
}

/// CIDRs from a list of strings or of objects with `key`.
fn cidrs(v: Option<&Value>, key: &str) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().or_else(|| text(x, key)).map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// A security group's `ipPermissions` (or `ipPermissionsEgress`) as rules; either key spelling
/// of the ranges, ranges as strings or objects.
pub fn ip_rules(v: Option<&Value>) -> Vec<IpRule> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|p| IpRule {
                    protocol: text(p, "ipProtocol").unwrap_or("-1").to_string(),
                    from_port: p.get("fromPort").and_then(Value::as_i64).map(|n| n as i32),
                    to_port: p.get("toPort").and_then(Value::as_i64).map(|n| n as i32),
                    ipv4_ranges: cidrs(p.get("ipv4Ranges").or(p.get("ipRanges")), "cidrIp"),
                    ipv6_ranges: cidrs(p.get("ipv6Ranges"), "cidrIpv6"),
                    sources: p
                        .get("userIdGroupPairs")
                        .and_then(Value::as_array)
                        .map(|g| {
                            g.iter()
                                .filter_map(|x| text(x, "groupId").map(String::from))
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Adds an item's value to a region's list, making the list `Read` (Config recorded the type).
fn push<T>(probe: &mut Probe<Vec<T>>, item: T) {
    match probe {
        Probe::Read(v) => v.push(item),
        _ => *probe = Probe::Read(vec![item]),
    }
}

/// Groups resources into one inventory per account (a region per region seen); `recorded`
/// lists the resource types the accounts' recorders cover, so a type recorded but with no
/// resource is an empty list (data: none of them), not "not checked".
pub fn inventories(resources: &[ConfigResource], recorded: &[&str], now_ms: i64) -> Vec<AccountInventory> {
    let mut accounts: BTreeMap<AccountId, AccountInventory> = BTreeMap::new();
    let mut flow_logged: BTreeSet<(String, String)> = BTreeSet::new();
    for r in resources
        .iter()
        .filter(|r| r.resource_type == "AWS::EC2::FlowLog")
    {
        let status = text(&r.configuration, "flowLogStatus").unwrap_or("ACTIVE");
        if let (Some(target), "ACTIVE") = (text(&r.configuration, "resourceId"), status) {
            flow_logged.insert((r.account_id.clone(), target.to_string()));
        }
    }
    for r in resources {
        let Some(account) = AccountId::parse(&r.account_id) else {
            continue;
        };
        let inv = accounts.entry(account).or_insert_with(|| AccountInventory {
            account_id: account,
            collected_ms: now_ms,
            iam: Probe::NotChecked,
            buckets: if recorded.contains(&"AWS::S3::Bucket") {
                Probe::Read(Vec::new())
            } else {
                Probe::NotChecked
            },
            regions: Vec::new(),
        });
        if !inv.regions.iter().any(|x| x.region == r.region) {
            let mut region = RegionInventory::not_checked(account, &r.region);
            let empty = |t: &str| recorded.contains(&t);
            if empty("AWS::EC2::SecurityGroup") {
                region.security_groups = Probe::Read(Vec::new());
            }
            if empty("AWS::EC2::Instance") {
                region.instances = Probe::Read(Vec::new());
            }
            if empty("AWS::EC2::Volume") {
                region.volumes = Probe::Read(Vec::new());
            }
            if empty("AWS::EC2::VPC") {
                region.vpcs = Probe::Read(Vec::new());
            }
            if empty("AWS::RDS::DBInstance") {
                region.db_instances = Probe::Read(Vec::new());
            }
            if empty("AWS::CloudTrail::Trail") {
                region.services.trails = Probe::Read(Vec::new());
            }
            inv.regions.push(region);
        }
        let Some(region) = inv.regions.iter_mut().find(|x| x.region == r.region) else {
            continue;
        };
        let c = &r.configuration;
        match r.resource_type.as_str() {
            "AWS::EC2::SecurityGroup" => push(
                &mut region.security_groups,
                SecurityGroup {
                    id: text(c, "groupId").unwrap_or(&r.resource_id).to_string(),
                    name: text(c, "groupName").unwrap_or_default().to_string(),
                    vpc_id: text(c, "vpcId").map(String::from),
                    ingress: ip_rules(c.get("ipPermissions")),
                    egress: ip_rules(c.get("ipPermissionsEgress")),
                    tags: r.tags.clone(),
                },
            ),
            "AWS::EC2::Instance" => {
                let state = c.get("state").and_then(|s| text(s, "name")).unwrap_or_default();
                if state == "terminated" {
                    continue;
                }
                let md = c.get("metadataOptions").cloned().unwrap_or(Value::Null);
                push(
                    &mut region.instances,
                    Instance {
                        id: text(c, "instanceId").unwrap_or(&r.resource_id).to_string(),
                        instance_type: text(c, "instanceType").unwrap_or_default().to_string(),
                        state: state.to_string(),
                        public_ip: text(c, "publicIpAddress")
                            .filter(|s| !s.is_empty())
                            .map(String::from),
                        http_tokens: text(&md, "httpTokens").unwrap_or("optional").to_string(),
                        http_endpoint: text(&md, "httpEndpoint").unwrap_or("enabled").to_string(),
                        security_groups: c
                            .get("securityGroups")
                            .and_then(Value::as_array)
                            .map(|g| {
                                g.iter()
                                    .filter_map(|x| text(x, "groupId").map(String::from))
                                    .collect()
                            })
                            .unwrap_or_default(),
                        tags: r.tags.clone(),
                    },
                );
            }
            "AWS::EC2::Volume" => push(
                &mut region.volumes,
                Volume {
                    id: text(c, "volumeId").unwrap_or(&r.resource_id).to_string(),
                    encrypted: flag(c, "encrypted"),
                    tags: r.tags.clone(),
                },
            ),
            "AWS::EC2::VPC" => {
                let id = text(c, "vpcId").unwrap_or(&r.resource_id).to_string();
                push(
                    &mut region.vpcs,
                    Vpc {
                        flow_logs: flow_logged.contains(&(r.account_id.clone(), id.clone())),
                        id,
                        is_default: flag(c, "isDefault"),
                        tags: r.tags.clone(),
                    },
                );
            }
            "AWS::RDS::DBInstance" => push(
                &mut region.db_instances,
                DbInstance {
                    id: text(c, "dBInstanceIdentifier")
                        .unwrap_or(&r.resource_id)
                        .to_string(),
                    arn: text(c, "dBInstanceArn")
                        .map(String::from)
                        .or_else(|| r.arn.clone())
                        .unwrap_or_default(),
                    engine: text(c, "engine").unwrap_or_default().to_string(),
                    publicly_accessible: flag(c, "publiclyAccessible"),
                    storage_encrypted: flag(c, "storageEncrypted"),
                    backup_retention_days: c
                        .get("backupRetentionPeriod")
                        .and_then(Value::as_i64)
                        .unwrap_or(0) as i32,
                    tags: r.tags.clone(),
                },
            ),
            "AWS::CloudTrail::Trail" => {
                // Config has no "is logging"; a recorded trail is taken as logging, so only its
                // settings (multi-region, validation, KMS) are judged from Config.
                let trail = Trail {
                    name: text(c, "name").unwrap_or(&r.resource_id).to_string(),
                    arn: text(c, "trailARN").map(String::from).or_else(|| r.arn.clone()),
                    home_region: text(c, "homeRegion").unwrap_or(&r.region).to_string(),
                    multi_region: flag(c, "isMultiRegionTrail"),
                    organization: flag(c, "isOrganizationTrail"),
                    logging: true,
                    log_file_validation: flag(c, "logFileValidationEnabled"),
                    kms_key_id: text(c, "kmsKeyId").map(String::from),
                    bucket: text(c, "s3BucketName").map(String::from),
                };
                push(&mut region.services.trails, trail);
            }
            "AWS::S3::Bucket" => {
                let s = &r.supplementary;
                let bpa = object(s.get("PublicAccessBlockConfiguration"));
                let enc = object(s.get("ServerSideEncryptionConfiguration"));
                let policy = object(s.get("BucketPolicy"));
                let acl = object(s.get("AccessControlList"));
                let versioning = object(s.get("BucketVersioningConfiguration"));
                let logging = object(s.get("BucketLoggingConfiguration"));
                let public_acl_grants = acl
                    .get("grantList")
                    .and_then(Value::as_array)
                    .map(|g| {
                        g.iter()
                            .filter(|x| {
                                let grantee = x.get("grantee");
                                let id = grantee
                                    .and_then(|g| g.as_str().or_else(|| text(g, "id")))
                                    .unwrap_or_default();
                                id == "AllUsers"
                                    || id == "AuthenticatedUsers"
                                    || id.ends_with("/global/AllUsers")
                            })
                            .filter_map(|x| text(x, "permission").map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let bucket = Bucket {
                    name: text(c, "name").unwrap_or(&r.resource_id).to_string(),
                    region: r.region.clone(),
                    block_public_access: bpa.is_object().then(|| BlockPublicAccess {
                        block_public_acls: flag(&bpa, "blockPublicAcls"),
                        ignore_public_acls: flag(&bpa, "ignorePublicAcls"),
                        block_public_policy: flag(&bpa, "blockPublicPolicy"),
                        restrict_public_buckets: flag(&bpa, "restrictPublicBuckets"),
                    }),
                    encryption: enc
                        .get("rules")
                        .and_then(Value::as_array)
                        .and_then(|rs| rs.first())
                        .and_then(|r| r.get("applyServerSideEncryptionByDefault"))
                        .and_then(|d| text(d, "sseAlgorithm"))
                        .map(String::from),
                    policy: text(&policy, "policyText").map(String::from),
                    public_acl_grants,
                    versioning: text(&versioning, "status") == Some("Enabled"),
                    logging: text(&logging, "destinationBucketName").is_some(),
                    tags: r.tags.clone(),
                };
                if let Probe::Read(list) = &mut inv.buckets {
                    list.push(bucket);
                } else {
                    inv.buckets = Probe::Read(vec![bucket]);
                }
            }
            _ => {}
        }
    }
    accounts.into_values().collect()
}

/// Config's types parapet reads (flow logs only to mark their VPCs).
pub const MAPPED_TYPES: [&str; 8] = [
    "AWS::EC2::FlowLog",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::Instance",
    "AWS::EC2::Volume",
    "AWS::EC2::VPC",
    "AWS::RDS::DBInstance",
    "AWS::S3::Bucket",
    "AWS::CloudTrail::Trail",
];

/// A `config_inventory` row (`parapet query --format json` shape) as a resource; `None` when
/// it lacks the account, region or type.
pub fn from_row(row: &Value) -> Option<ConfigResource> {
    let field = |k: &str| text(row, k).map(String::from);
    let json = |k: &str| object(row.get(k));
    let tags: Tags = match json("resource_tags") {
        Value::Object(m) => m
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map(String::from).unwrap_or_else(|| v.to_string())))
            .collect(),
        _ => Tags::new(),
    };
    Some(ConfigResource {
        account_id: field("cloud_account_uid")?,
        region: field("cloud_region")?,
        resource_type: field("resource_type")?,
        resource_id: field("resource_uid").unwrap_or_default(),
        arn: field("resource_arn"),
        tags,
        configuration: json("configuration"),
        supplementary: json("supplementary_configuration"),
    })
}
