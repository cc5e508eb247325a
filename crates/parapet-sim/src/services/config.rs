//! AWS Config as the Control Tower baseline recorder delivers it to the Log Archive bucket:
//! configuration history files (every six hours, one per resource type that changed) and a
//! daily configuration snapshot, per account and region it runs resources in.
//!
//! Recorded resources: the region's VPCs (its own and the default one), subnets, security
//! groups and KMS keys, and the account's S3 buckets in its home region. Items are
//! ConfigurationItem 1.3 as delivered to S3 (`awsAccountId`, `ARN`, `configurationStateId` =
//! the capture time in milliseconds, `configurationStateMd5Hash` empty as AWS leaves it).
//!
//! Background: every resource is discovered on the first day (`ResourceDiscovered`), then a
//! few ordinary changes per account-day (`OK`): tags edited, a security group rule from a
//! private range added or removed, bucket versioning or default encryption changed. Scenarios:
//! a security group opened to the world and a bucket made public show as the item with the new
//! state; after the recorder is stopped or its delivery channel deleted, that region records
//! and delivers nothing more.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::network::Network;
use super::posture::{sg_name, Posture};
use super::{compact_stamp, ms_time, Day, Out};
use crate::account::AccountCtx;
use crate::error::SimError;
use crate::layout::stamp_parts;
use crate::record::time_string;
use crate::rng::Rng;
use crate::scenarios::{Effect, ScenarioKind, Truth};

pub(crate) const TABLE: &str = "config_history";

const SG: &str = "AWS::EC2::SecurityGroup";
const BUCKET: &str = "AWS::S3::Bucket";
const VPC: &str = "AWS::EC2::VPC";
const SUBNET: &str = "AWS::EC2::Subnet";
const KEY: &str = "AWS::KMS::Key";

/// One permission of a security group.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    /// `tcp` or `-1` (all traffic).
    proto: &'static str,
    ports: Option<(u16, u16)>,
    v4: Vec<String>,
    v6: Vec<String>,
    /// Security groups allowed (`userIdGroupPairs`).
    groups: Vec<String>,
    /// Added by a background change, which may remove it again.
    extra: bool,
}

impl Rule {
    fn tcp(port: u16) -> Rule {
        Rule {
            proto: "tcp",
            ports: Some((port, port)),
            v4: Vec::new(),
            v6: Vec::new(),
            groups: Vec::new(),
            extra: false,
        }
    }

    fn all() -> Rule {
        Rule {
            proto: "-1",
            ports: None,
            ..Rule::tcp(0)
        }
    }

    fn json(&self, acct: &str) -> Value {
        let mut v = json!({
            "ipProtocol": self.proto,
            "userIdGroupPairs": self.groups.iter().map(|g| json!({"groupId": g, "userId": acct})).collect::<Vec<_>>(),
            "ipv4Ranges": self.v4.iter().map(|c| json!({"cidrIp": c})).collect::<Vec<_>>(),
            "ipv6Ranges": self.v6.iter().map(|c| json!({"cidrIpv6": c})).collect::<Vec<_>>(),
            "prefixListIds": [],
            "ipRanges": self.v4,
        });
        if let (Some((from, to)), Some(o)) = (self.ports, v.as_object_mut()) {
            o.insert("fromPort".into(), json!(from));
            o.insert("toPort".into(), json!(to));
        }
        v
    }
}

enum Detail {
    Sg {
        name: String,
        description: String,
        vpc: String,
        ingress: Vec<Rule>,
        egress: Vec<Rule>,
    },
    Bucket {
        owner: String,
        ssl_only: bool,
        public_policy: bool,
        public_acl: bool,
        /// The bucket's public access block is in place.
        blocked: bool,
        versioned: bool,
        /// Default encryption with this KMS key (else SSE-S3).
        kms_key: Option<String>,
    },
    Vpc {
        cidr: String,
        default: bool,
        dhcp: String,
    },
    Subnet {
        vpc: String,
        cidr: String,
        az: String,
        public_ip: bool,
    },
    Key {
        description: String,
    },
}

struct Resource {
    rtype: &'static str,
    id: String,
    name: Option<String>,
    arn: String,
    zone: String,
    created: i64,
    tags: BTreeMap<String, String>,
    detail: Detail,
    /// Capture time of the latest item, ms; 0 before it is discovered.
    captured_ms: i64,
    status: &'static str,
}

/// One region's recorder.
struct Recorder {
    /// Index into [`AccountCtx::regions`].
    region: u8,
    resources: Vec<Resource>,
    /// When the recorder was stopped (nothing is recorded from then on).
    stopped: Option<i64>,
    /// Seconds after 00:00 UTC the daily snapshot is delivered.
    snapshot_at: i64,
}

/// What Config remembers across days for one account: every region's resources as last
/// recorded.
#[derive(Default)]
pub(crate) struct State {
    recorders: Vec<Recorder>,
}

fn tag_list(tags: &BTreeMap<String, String>) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
}

fn relation(rtype: &str, id: &str, name: &str) -> Value {
    json!({"resourceType": rtype, "resourceId": id, "relationshipName": name})
}

/// The account's resources in one region, as first seen.
fn build_region(
    ctx: &AccountCtx<'_>,
    net: &Network,
    posture: &Posture,
    r: usize,
    first_day: i64,
    rng: &mut Rng,
) -> Recorder {
    let inv = &ctx.inv;
    let acct = ctx.id;
    let region = ctx.regions[r];
    let rn = &net.regions[r];
    let app = ctx.acct.app.as_str();
    let env = ctx.acct.account.env.as_str();
    let base_tags = |name: Option<&str>| {
        let mut t = BTreeMap::new();
        if let Some(n) = name {
            t.insert("Name".to_string(), n.to_string());
        }
        t.insert("app".to_string(), app.to_string());
        t.insert("env".to_string(), env.to_string());
        t
    };
    let created = |rng: &mut Rng| first_day - rng.range(20, 900) as i64 * 86_400 - rng.below(86_400) as i64;
    let mut res = Vec::new();
    let mut push =
        |rtype, id: &str, name: Option<String>, arn: String, zone: String, created_at, tags, detail| {
            res.push(Resource {
                rtype,
                id: id.to_string(),
                name,
                arn,
                zone,
                created: created_at,
                tags,
                detail,
                captured_ms: 0,
                status: "ResourceDiscovered",
            });
        };
    for vpc in &inv.vpcs {
        let own = *vpc == rn.vpc;
        let (cidr, name) = if own {
            (format!("{}.0/24", rn.prefix), Some(format!("{app}-{env}")))
        } else {
            ("172.31.0.0/16".to_string(), None)
        };
        let t = created(rng);
        push(
            VPC,
            vpc,
            None,
            format!("arn:aws:ec2:{region}:{acct}:vpc/{vpc}"),
            "Multiple Availability Zones".to_string(),
            t,
            if own {
                base_tags(name.as_deref())
            } else {
                BTreeMap::new()
            },
            Detail::Vpc {
                cidr,
                default: !own,
                dhcp: format!("dopt-0{}", rng.hex(16)),
            },
        );
    }
    for (i, subnet) in inv.subnets.iter().enumerate() {
        let public = i < 2;
        let az = format!("{region}{}", ['a', 'b'][i % 2]);
        let name = format!(
            "{app}-{}-{}",
            if public { "public" } else { "private" },
            &az[az.len() - 1..]
        );
        let t = created(rng);
        push(
            SUBNET,
            subnet,
            None,
            format!("arn:aws:ec2:{region}:{acct}:subnet/{subnet}"),
            az.clone(),
            t,
            base_tags(Some(&name)),
            Detail::Subnet {
                vpc: rn.vpc.clone(),
                cidr: format!("{}.{}/26", rn.prefix, 64 * (i % 4)),
                az,
                public_ip: public,
            },
        );
    }
    let sgs = &inv.security_groups;
    for (i, sg) in sgs.iter().enumerate() {
        let name = sg_name(app, i);
        let everyone = |port| Rule {
            v4: vec!["0.0.0.0/0".to_string()],
            ..Rule::tcp(port)
        };
        let from_group = |port, g: Option<&String>| Rule {
            groups: g.into_iter().cloned().collect(),
            ..Rule::tcp(port)
        };
        let egress_all = Rule {
            v4: vec!["0.0.0.0/0".to_string()],
            ..Rule::all()
        };
        let (description, ingress, egress) = match i {
            0 if posture.default_sg_closed => ("default VPC security group".to_string(), vec![], vec![]),
            0 => (
                "default VPC security group".to_string(),
                vec![Rule {
                    groups: vec![sg.clone()],
                    ..Rule::all()
                }],
                vec![egress_all],
            ),
            1 => (
                format!("Load balancer of {app}"),
                vec![everyone(443), everyone(80)],
                vec![egress_all],
            ),
            2 => (
                format!("{app} application"),
                vec![from_group(8080, sgs.get(1))],
                vec![egress_all],
            ),
            _ => (
                format!("{app} database"),
                vec![from_group(5432, sgs.get(2))],
                vec![egress_all],
            ),
        };
        let t = created(rng);
        let tags = if i == 0 {
            BTreeMap::new()
        } else {
            base_tags(Some(&name))
        };
        push(
            SG,
            sg,
            Some(name.clone()),
            format!("arn:aws:ec2:{region}:{acct}:security-group/{sg}"),
            "Not Applicable".to_string(),
            t,
            tags,
            Detail::Sg {
                name,
                description,
                vpc: rn.vpc.clone(),
                ingress,
                egress,
            },
        );
    }
    for key in &inv.kms_keys {
        let description = rng
            .pick(&["application data", "backups", "secrets", "log encryption"])
            .to_string();
        let t = created(rng);
        push(
            KEY,
            key,
            None,
            format!("arn:aws:kms:{region}:{acct}:key/{key}"),
            "Not Applicable".to_string(),
            t,
            base_tags(None),
            Detail::Key {
                description: format!("{app} {description}"),
            },
        );
    }
    if r == 0 {
        let owner = rng.hex(64);
        for (i, bucket) in inv.buckets.iter().enumerate() {
            let kms_key = if rng.chance(0.4) {
                inv.kms_keys
                    .first()
                    .map(|k| format!("arn:aws:kms:{region}:{acct}:key/{k}"))
            } else {
                None
            };
            let t = created(rng);
            let mut tags = base_tags(None);
            tags.insert("team".to_string(), ctx.acct.account.team.clone());
            push(
                BUCKET,
                bucket,
                Some(bucket.clone()),
                format!("arn:aws:s3:::{bucket}"),
                "Regional".to_string(),
                t,
                tags,
                Detail::Bucket {
                    owner: owner.clone(),
                    ssl_only: posture.bucket_ssl_only.get(i).copied().unwrap_or(true),
                    public_policy: false,
                    public_acl: false,
                    blocked: true,
                    versioned: posture.bucket_versioned.get(i).copied().unwrap_or(false),
                    kms_key,
                },
            );
        }
    }
    Recorder {
        region: r as u8,
        resources: res,
        stopped: None,
        snapshot_at: rng.range(3600, 22 * 3600) as i64,
    }
}

fn bucket_policy(bucket: &str, ssl_only: bool, public: bool) -> Value {
    let mut statements = Vec::new();
    if ssl_only {
        statements.push(json!({
            "Sid": "AllowSSLRequestsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }));
    }
    if public {
        statements.push(json!({
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/*"),
        }));
    }
    if statements.is_empty() {
        Value::Null
    } else {
        Value::String(json!({"Version": "2012-10-17", "Statement": statements}).to_string())
    }
}

/// The configuration item of a resource in its current state.
fn item(ctx: &AccountCtx<'_>, net: &Network, rec: &Recorder, res: &Resource) -> Value {
    let acct = ctx.id;
    let region = ctx.regions[usize::from(rec.region)];
    let rn = &net.regions[usize::from(rec.region)];
    let inv = &ctx.inv;
    let mut relationships = Vec::new();
    let mut supplementary = json!({});
    let configuration = match &res.detail {
        Detail::Sg {
            name,
            description,
            vpc,
            ingress,
            egress,
        } => {
            relationships.push(relation(VPC, vpc, "Is contained in Vpc"));
            for iface in rn.ifaces.iter().filter(|i| i.sg == res.id) {
                relationships.push(relation(
                    "AWS::EC2::NetworkInterface",
                    &iface.eni,
                    "Is associated with NetworkInterface",
                ));
                if let Some(i) = &iface.instance {
                    relationships.push(relation("AWS::EC2::Instance", i, "Is associated with Instance"));
                }
            }
            json!({
                "description": description,
                "groupName": name,
                "ipPermissions": ingress.iter().map(|r| r.json(acct)).collect::<Vec<_>>(),
                "ownerId": acct,
                "groupId": res.id,
                "ipPermissionsEgress": egress.iter().map(|r| r.json(acct)).collect::<Vec<_>>(),
                "tags": tag_list(&res.tags),
                "vpcId": vpc,
            })
        }
        Detail::Bucket {
            owner,
            ssl_only,
            public_policy,
            public_acl,
            blocked,
            versioned,
            kms_key,
        } => {
            let mut grants =
                vec![json!({"grantee": {"id": owner, "displayName": null}, "permission": "FullControl"})];
            if *public_acl {
                grants.push(json!({"grantee": "AllUsers", "permission": "Read"}));
            }
            let acl = json!({
                "grantSet": null,
                "grantList": grants,
                "owner": {"displayName": null, "id": owner},
                "isRequesterCharged": false,
            });
            let sse = match kms_key {
                Some(k) => json!({"sseAlgorithm": "aws:kms", "kmsMasterKeyID": k}),
                None => json!({"sseAlgorithm": "AES256", "kmsMasterKeyID": null}),
            };
            let mut s = json!({
                "AccessControlList": acl.to_string(),
                "BucketAccelerateConfiguration": {"status": null},
                "BucketLoggingConfiguration": {"destinationBucketName": null, "logFilePrefix": null},
                "BucketNotificationConfiguration": {"configurations": {}},
                "BucketPolicy": {"policyText": bucket_policy(&res.id, *ssl_only, *public_policy)},
                "BucketVersioningConfiguration": {"status": if *versioned { "Enabled" } else { "Off" }, "isMfaDeleteEnabled": null},
                "IsRequesterPaysEnabled": false,
                "ServerSideEncryptionConfiguration": {"rules": [{
                    "applyServerSideEncryptionByDefault": sse,
                    "bucketKeyEnabled": kms_key.is_some(),
                }]},
            });
            if let (true, Some(o)) = (*blocked, s.as_object_mut()) {
                o.insert(
                    "PublicAccessBlockConfiguration".into(),
                    json!({"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true}),
                );
            }
            supplementary = s;
            json!({
                "name": res.id,
                "owner": {"displayName": null, "id": owner},
                "creationDate": ms_time(res.created, 0),
            })
        }
        Detail::Vpc { cidr, default, dhcp } => {
            if *default {
                if let Some(acl) = inv.network_acls.get(1) {
                    relationships.push(relation("AWS::EC2::NetworkAcl", acl, "Contains NetworkAcl"));
                }
            } else {
                if let Some(acl) = inv.network_acls.first() {
                    relationships.push(relation("AWS::EC2::NetworkAcl", acl, "Contains NetworkAcl"));
                }
                for rtb in &inv.route_tables {
                    relationships.push(relation("AWS::EC2::RouteTable", rtb, "Contains RouteTable"));
                }
                for sg in &inv.security_groups {
                    relationships.push(relation(SG, sg, "Contains SecurityGroup"));
                }
                for subnet in &inv.subnets {
                    relationships.push(relation(SUBNET, subnet, "Contains Subnet"));
                }
                for igw in &inv.internet_gateways {
                    relationships.push(relation(
                        "AWS::EC2::InternetGateway",
                        igw,
                        "Is attached to InternetGateway",
                    ));
                }
            }
            json!({
                "cidrBlock": cidr,
                "dhcpOptionsId": dhcp,
                "state": "available",
                "vpcId": res.id,
                "ownerId": acct,
                "instanceTenancy": "default",
                "ipv6CidrBlockAssociationSet": [],
                "isDefault": default,
                "tags": tag_list(&res.tags),
            })
        }
        Detail::Subnet {
            vpc,
            cidr,
            az,
            public_ip,
        } => {
            relationships.push(relation(VPC, vpc, "Is contained in Vpc"));
            if let Some(acl) = inv.network_acls.first() {
                relationships.push(relation("AWS::EC2::NetworkAcl", acl, "Is attached to NetworkAcl"));
            }
            for iface in rn.ifaces.iter().filter(|i| i.subnet == res.id) {
                relationships.push(relation(
                    "AWS::EC2::NetworkInterface",
                    &iface.eni,
                    "Contains NetworkInterface",
                ));
            }
            json!({
                "availabilityZone": az,
                "availableIpAddressCount": 59,
                "cidrBlock": cidr,
                "defaultForAz": false,
                "mapPublicIpOnLaunch": public_ip,
                "state": "available",
                "subnetId": res.id,
                "vpcId": vpc,
                "ownerId": acct,
                "assignIpv6AddressOnCreation": false,
                "ipv6CidrBlockAssociationSet": [],
                "tags": tag_list(&res.tags),
                "subnetArn": res.arn,
            })
        }
        Detail::Key { description } => {
            let policy = json!({
                "Version": "2012-10-17",
                "Id": "key-default-1",
                "Statement": [{
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": format!("arn:aws:iam::{acct}:root")},
                    "Action": "kms:*",
                    "Resource": "*",
                }],
            });
            supplementary = json!({"Policy": policy.to_string()});
            json!({
                "keyId": res.id,
                "arn": res.arn,
                "creationDate": res.created * 1000,
                "enabled": true,
                "description": description,
                "keyUsage": "ENCRYPT_DECRYPT",
                "keyState": "Enabled",
                "origin": "AWS_KMS",
                "keyManager": "CUSTOMER",
                "customerMasterKeySpec": "SYMMETRIC_DEFAULT",
                "keySpec": "SYMMETRIC_DEFAULT",
                "encryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
                "signingAlgorithms": [],
                "multiRegion": false,
                "awsaccountId": acct,
            })
        }
    };
    let captured = res.captured_ms.div_euclid(1000);
    let mut v = json!({
        "relatedEvents": [],
        "relationships": relationships,
        "configuration": configuration,
        "supplementaryConfiguration": supplementary,
        "tags": res.tags,
        "configurationItemVersion": "1.3",
        "configurationItemCaptureTime": ms_time(captured, res.captured_ms.rem_euclid(1000) as u64),
        "configurationStateId": res.captured_ms,
        "awsAccountId": acct,
        "configurationItemStatus": res.status,
        "resourceType": res.rtype,
        "resourceId": res.id,
        "ARN": res.arn,
        "awsRegion": region,
        "availabilityZone": res.zone,
        "configurationStateMd5Hash": "",
        "resourceCreationTime": ms_time(res.created, 0),
    });
    if let (Some(name), Some(o)) = (&res.name, v.as_object_mut()) {
        o.insert("resourceName".into(), json!(name));
    }
    v
}

/// A change to one resource.
enum Change {
    Discover,
    Tag(&'static str, String),
    /// Adds a rule from a private range, or removes it if an added one is there.
    PrivateRule(u16, &'static str),
    Versioning,
    /// Default encryption switched to the KMS key of this ARN.
    KmsEncryption(String),
    /// A scenario: the security group opened to `cidr` on `port`.
    Open(u16, &'static str),
    /// A scenario: the bucket made public by the call named.
    Public(&'static str),
}

/// What a scenario's change leaves in `truth.jsonl`.
struct Shown {
    kind: ScenarioKind,
    actor: String,
    description: String,
}

struct Planned {
    t: i64,
    seq: u32,
    res: usize,
    change: Change,
    shown: Option<Shown>,
}

fn apply(res: &mut Resource, change: &Change) {
    match (change, &mut res.detail) {
        (Change::Discover, _) => {}
        (Change::Tag(k, v), _) => {
            res.tags.insert((*k).to_string(), v.clone());
        }
        (Change::PrivateRule(port, cidr), Detail::Sg { ingress, .. }) => {
            let added = |r: &Rule| r.extra && r.ports == Some((*port, *port)) && r.v4 == [*cidr];
            if let Some(i) = ingress.iter().position(added) {
                ingress.remove(i);
            } else {
                ingress.push(Rule {
                    v4: vec![(*cidr).to_string()],
                    extra: true,
                    ..Rule::tcp(*port)
                });
            }
        }
        (Change::Open(port, cidr), Detail::Sg { ingress, .. }) => {
            let v6 = cidr.contains(':');
            let same = ingress
                .iter_mut()
                .find(|r| r.proto == "tcp" && r.ports == Some((*port, *port)) && !r.extra);
            let rule = match same {
                Some(r) => r,
                None => {
                    ingress.push(Rule::tcp(*port));
                    let last = ingress.len() - 1;
                    &mut ingress[last]
                }
            };
            let list = if v6 { &mut rule.v6 } else { &mut rule.v4 };
            if !list.iter().any(|c| c == cidr) {
                list.push((*cidr).to_string());
            }
        }
        (
            Change::Public(via),
            Detail::Bucket {
                public_policy,
                public_acl,
                blocked,
                ..
            },
        ) => match *via {
            "PutBucketPolicy" => *public_policy = true,
            "PutBucketAcl" => *public_acl = true,
            _ => *blocked = false,
        },
        (Change::Versioning, Detail::Bucket { versioned, .. }) => *versioned = true,
        (Change::KmsEncryption(arn), Detail::Bucket { kms_key, .. }) => *kms_key = Some(arn.clone()),
        _ => {}
    }
}

const TAG_KEYS: &[&str] = &["Owner", "CostCenter", "backup", "data-classification", "Project"];
const PRIVATE_CIDRS: &[&str] = &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "10.100.0.0/16"];
const PRIVATE_PORTS: &[u16] = &[443, 22, 5432, 6379, 8080, 9090];

fn tag_value(ctx: &AccountCtx<'_>, key: &str, rng: &mut Rng) -> String {
    match key {
        "Owner" => ctx
            .org
            .people
            .get(rng.index(ctx.org.people.len().max(1)))
            .map(|p| p.email.clone())
            .unwrap_or_else(|| ctx.acct.account.owner.clone()),
        "CostCenter" => format!("CC-{}", rng.range(1000, 9999)),
        "backup" => rng.pick(&["daily", "weekly", "none"]).to_string(),
        "data-classification" => rng.pick(&["internal", "confidential", "public"]).to_string(),
        _ => format!(
            "{}-{}",
            ctx.acct.app,
            rng.pick(&["q1", "q2", "migration", "platform"])
        ),
    }
}

/// A background change to a random resource of `rec`.
fn background_change(ctx: &AccountCtx<'_>, rec: &Recorder, rng: &mut Rng) -> (usize, Change) {
    let i = rng.index(rec.resources.len());
    let res = &rec.resources[i];
    let roll = rng.unit();
    let change = match &res.detail {
        Detail::Sg { .. } if roll < 0.5 => {
            let port = *rng.pick(PRIVATE_PORTS);
            let cidr = PRIVATE_CIDRS[rng.index(PRIVATE_CIDRS.len())];
            Change::PrivateRule(port, cidr)
        }
        Detail::Bucket { .. } if roll < 0.2 => Change::Versioning,
        Detail::Bucket { .. } if roll < 0.35 && !ctx.inv.kms_keys.is_empty() => {
            Change::KmsEncryption(format!(
                "arn:aws:kms:{}:{}:key/{}",
                ctx.regions[usize::from(rec.region)],
                ctx.id,
                ctx.inv.kms_keys[0]
            ))
        }
        _ => {
            let key = *rng.pick(TAG_KEYS);
            Change::Tag(key, tag_value(ctx, key, rng))
        }
    };
    (i, change)
}

fn history_key(ctx: &AccountCtx<'_>, region: &str, rtype: &str, first: i64, last: i64) -> String {
    let (y, m, d, _, _, _) = stamp_parts(first);
    let acct = ctx.id;
    format!(
        "{org}/AWSLogs/{acct}/Config/{region}/{y}/{m}/{d}/ConfigHistory/{acct}_Config_{region}_ConfigHistory_{rtype}_{}_{}_1.json.gz",
        compact_stamp(first),
        compact_stamp(last),
        org = ctx.org.id,
    )
}

fn snapshot_key(ctx: &AccountCtx<'_>, region: &str, t: i64, id: &str) -> String {
    let (y, m, d, _, _, _) = stamp_parts(t);
    let acct = ctx.id;
    format!(
        "{org}/AWSLogs/{acct}/Config/{region}/{y}/{m}/{d}/ConfigSnapshot/{acct}_Config_{region}_ConfigSnapshot_{}_{id}.json.gz",
        compact_stamp(t),
        org = ctx.org.id,
    )
}

fn write_snapshot(
    ctx: &AccountCtx<'_>,
    net: &Network,
    rec: &Recorder,
    t: i64,
    rng: &mut Rng,
    out: &mut Out<'_, '_>,
) -> Result<(), SimError> {
    let items: Vec<Value> = rec
        .resources
        .iter()
        .filter(|r| r.captured_ms > 0)
        .map(|r| item(ctx, net, rec, r))
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    let id = rng.uuid();
    let n = items.len() as u64;
    let body = json!({"fileVersion": "1.0", "configSnapshotId": id, "configurationItems": items});
    let key = snapshot_key(ctx, ctx.regions[usize::from(rec.region)], t, &id);
    out.file(TABLE, &key, body.to_string().as_bytes(), n)
}

impl State {
    fn ensure_built(&mut self, ctx: &AccountCtx<'_>, net: &Network, posture: &Posture, day: &Day<'_>) {
        if !self.recorders.is_empty() {
            return;
        }
        let mut rng = Rng::derive(day.seed, &[0xC0F1, day.account as u64]);
        self.recorders = (0..ctx.acct.regions.len())
            .map(|r| build_region(ctx, net, posture, r, day.start, &mut rng))
            .collect();
    }
}

pub(crate) fn write_day(
    ctx: &AccountCtx<'_>,
    net: &Network,
    posture: &Posture,
    state: &mut State,
    day: &Day<'_>,
    rng: &mut Rng,
    out: &mut Out<'_, '_>,
) -> Result<(), SimError> {
    state.ensure_built(ctx, net, posture, day);
    let day_end = day.start + 86_400;
    let mut plans: Vec<Vec<Planned>> = state.recorders.iter().map(|_| Vec::new()).collect();
    let mut seq = 0u32;
    let mut next = || {
        seq += 1;
        seq
    };
    if day.index == 0 {
        // As if the recorder had just been turned on: everything is found at once, before any
        // scenario's change (which Config records 20 s or more after the call).
        for (r, rec) in state.recorders.iter().enumerate() {
            for i in 0..rec.resources.len() {
                plans[r].push(Planned {
                    t: day.start + rng.range(1, 19) as i64,
                    seq: next(),
                    res: i,
                    change: Change::Discover,
                    shown: None,
                });
            }
        }
    }
    // Config records a change a few minutes after the call.
    let delay = |rng: &mut Rng, t: i64| (t + rng.range(20, 300) as i64).min(day_end - 1);
    for e in day.effects {
        match e {
            Effect::RecorderStopped { t, region, .. } => {
                if let Some(rec) = state.recorders.get_mut(usize::from(*region)) {
                    rec.stopped = Some(rec.stopped.map_or(*t, |s| s.min(*t)));
                }
            }
            Effect::SgOpened {
                t,
                region,
                sg,
                port,
                cidr,
                actor,
            } => {
                let r = usize::from(*region);
                let Some(i) = state
                    .recorders
                    .get(r)
                    .and_then(|rec| rec.resources.iter().position(|x| x.rtype == SG && x.id == *sg))
                else {
                    continue;
                };
                plans[r].push(Planned {
                    t: delay(rng, *t),
                    seq: next(),
                    res: i,
                    change: Change::Open(*port, cidr),
                    shown: Some(Shown {
                        kind: ScenarioKind::SgOpenWorld,
                        actor: actor.clone(),
                        description: format!("Config: security group {sg} allows tcp/{port} from {cidr}"),
                    }),
                });
            }
            Effect::BucketPublic {
                t,
                region,
                bucket,
                via,
                actor,
                ..
            } => {
                // Recorded in the bucket's region (the home region, where buckets live).
                let r = usize::from(*region);
                let Some(i) = state.recorders.get(r).and_then(|rec| {
                    rec.resources
                        .iter()
                        .position(|x| x.rtype == BUCKET && x.id == *bucket)
                }) else {
                    continue;
                };
                let what = match *via {
                    "PutBucketPolicy" => "bucket policy grants s3:GetObject to everyone",
                    "PutBucketAcl" => "ACL grants READ to AllUsers",
                    _ => "public access block removed",
                };
                plans[r].push(Planned {
                    t: delay(rng, *t),
                    seq: next(),
                    res: i,
                    change: Change::Public(via),
                    shown: Some(Shown {
                        kind: ScenarioKind::S3BucketPublic,
                        actor: actor.clone(),
                        description: format!("Config: bucket {bucket}: {what}"),
                    }),
                });
            }
            Effect::RootSignIn { .. } | Effect::DetectorDeleted { .. } => {}
        }
    }
    // A few ordinary changes per account-day, in working hours mostly.
    for _ in 0..rng.range(1, 4) {
        let r = usize::from(ctx.pick_region(rng)).min(state.recorders.len().saturating_sub(1));
        let Some(rec) = state.recorders.get(r) else {
            continue;
        };
        let local = rng.range(8 * 3600, 19 * 3600) as i64 - i64::from(ctx.utc_offset) * 3600;
        let t = day.start + local.rem_euclid(86_400);
        let (i, change) = background_change(ctx, rec, rng);
        plans[r].push(Planned {
            t,
            seq: next(),
            res: i,
            change,
            shown: None,
        });
    }

    for (rec, mut plan) in state.recorders.iter_mut().zip(plans) {
        let end = rec.stopped.map_or(day_end, |s| s.min(day_end));
        if end <= day.start {
            continue;
        }
        let region = ctx.regions[usize::from(rec.region)];
        plan.sort_by_key(|p| (p.t, p.seq));
        let snap_t = day.start + rec.snapshot_at;
        let mut snapped = false;
        // (six-hour window, resource type) → items, first and last capture.
        let mut history: BTreeMap<(i64, &'static str), (Vec<Value>, i64, i64)> = BTreeMap::new();
        for p in plan.into_iter().filter(|p| p.t < end) {
            if !snapped && p.t > snap_t {
                write_snapshot(ctx, net, rec, snap_t, rng, out)?;
                snapped = true;
            }
            let ms = (p.t * 1000 + rng.below(1000) as i64).max(rec.resources[p.res].captured_ms + 1);
            let res = &mut rec.resources[p.res];
            if !matches!(p.change, Change::Discover) && res.captured_ms == 0 {
                // Not yet discovered (changed before the first recording): recorded as found.
                continue;
            }
            apply(res, &p.change);
            res.captured_ms = ms;
            res.status = if matches!(p.change, Change::Discover) {
                "ResourceDiscovered"
            } else {
                "OK"
            };
            let res = &rec.resources[p.res];
            let secs = ms.div_euclid(1000);
            let v = item(ctx, net, rec, res);
            let entry = history
                .entry(((secs - day.start) / 21_600, res.rtype))
                .or_insert_with(|| (Vec::new(), secs, secs));
            entry.0.push(v);
            entry.2 = secs;
            if let Some(shown) = p.shown {
                out.truth.push(Truth {
                    scenario: shown.kind.id(),
                    table: TABLE,
                    account_id: ctx.id.to_string(),
                    region: region.to_string(),
                    time: time_string(secs),
                    actor: shown.actor,
                    event_ids: vec![res.id.clone()],
                    indicator: None,
                    records: None,
                    description: shown.description,
                });
            }
        }
        if !snapped && snap_t < end {
            write_snapshot(ctx, net, rec, snap_t, rng, out)?;
        }
        for ((_, rtype), (items, first, last)) in history {
            let n = items.len() as u64;
            let body = json!({"fileVersion": "1.0", "configurationItems": items});
            let key = history_key(ctx, region, rtype, first, last);
            out.file(TABLE, &key, body.to_string().as_bytes(), n)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::Organization;
    use crate::SimConfig;

    fn with_home_recorder(f: impl FnOnce(&AccountCtx<'_>, &Network, &mut Recorder)) {
        let cfg = SimConfig {
            accounts: 6,
            ..SimConfig::default()
        };
        let org = Organization::generate(&cfg);
        let ctx = AccountCtx::new(&org, 4, cfg.seed);
        let net = Network::build(&ctx, 4, cfg.seed);
        let posture = Posture::build(&ctx, 4, cfg.seed);
        let mut rng = Rng::new(1);
        let mut rec = build_region(&ctx, &net, &posture, 0, 1_793_491_200, &mut rng);
        f(&ctx, &net, &mut rec);
    }

    fn find(rec: &Recorder, rtype: &str, skip: usize) -> usize {
        (0..rec.resources.len())
            .filter(|&i| rec.resources[i].rtype == rtype)
            .nth(skip)
            .unwrap_or_else(|| panic!("no {rtype}"))
    }

    fn port_rule(v: &Value, port: u16) -> Option<Value> {
        v["configuration"]["ipPermissions"]
            .as_array()?
            .iter()
            .find(|p| p["fromPort"] == port)
            .cloned()
    }

    #[test]
    fn a_security_group_opened_shows_the_world_rule_and_private_rules_come_and_go() {
        with_home_recorder(|ctx, net, rec| {
            // The load balancer's group already allows 443 from everywhere.
            let i = find(rec, SG, 1);
            let before = item(ctx, net, rec, &rec.resources[i]);
            assert!(port_rule(&before, 22).is_none());
            assert_eq!(
                port_rule(&before, 443).and_then(|r| r["ipRanges"].get(0).cloned()),
                Some(json!("0.0.0.0/0"))
            );
            apply(&mut rec.resources[i], &Change::Open(22, "0.0.0.0/0"));
            apply(&mut rec.resources[i], &Change::Open(22, "::/0"));
            let after = item(ctx, net, rec, &rec.resources[i]);
            let rule = port_rule(&after, 22).unwrap_or_default();
            assert_eq!(rule["ipRanges"], json!(["0.0.0.0/0"]));
            assert_eq!(rule["ipv4Ranges"], json!([{"cidrIp": "0.0.0.0/0"}]));
            assert_eq!(rule["ipv6Ranges"], json!([{"cidrIpv6": "::/0"}]));
            assert_eq!(rule["toPort"], 22);

            let opened = rec.resources[i].captured_ms;
            apply(&mut rec.resources[i], &Change::PrivateRule(5432, "10.0.0.0/8"));
            let with_private = item(ctx, net, rec, &rec.resources[i]);
            assert_eq!(
                port_rule(&with_private, 5432).map(|r| r["ipRanges"].clone()),
                Some(json!(["10.0.0.0/8"]))
            );
            apply(&mut rec.resources[i], &Change::PrivateRule(5432, "10.0.0.0/8"));
            assert_eq!(
                item(ctx, net, rec, &rec.resources[i])["configuration"],
                after["configuration"]
            );
            assert_eq!(rec.resources[i].captured_ms, opened, "apply does not capture");
        });
    }

    #[test]
    fn a_bucket_made_public_each_way() {
        with_home_recorder(|ctx, net, rec| {
            let i = find(rec, BUCKET, 0);
            let supp =
                |rec: &Recorder| item(ctx, net, rec, &rec.resources[i])["supplementaryConfiguration"].clone();
            let before = supp(rec);
            assert_eq!(
                before["PublicAccessBlockConfiguration"]["blockPublicPolicy"],
                true
            );
            assert!(!before["AccessControlList"]
                .as_str()
                .unwrap_or_default()
                .contains("AllUsers"));

            apply(&mut rec.resources[i], &Change::Public("PutBucketPolicy"));
            let policy = supp(rec)["BucketPolicy"]["policyText"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_default();
            let policy: Value = serde_json::from_str(&policy).unwrap_or_default();
            assert!(policy["Statement"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["Effect"] == "Allow" && s["Principal"] == "*")));

            apply(&mut rec.resources[i], &Change::Public("PutBucketAcl"));
            assert!(supp(rec)["AccessControlList"]
                .as_str()
                .unwrap_or_default()
                .contains(r#""grantee":"AllUsers","permission":"Read""#));

            apply(&mut rec.resources[i], &Change::Public("DeletePublicAccessBlock"));
            assert!(supp(rec).get("PublicAccessBlockConfiguration").is_none());
        });
    }

    #[test]
    fn resources_of_a_region() {
        with_home_recorder(|ctx, _, rec| {
            let count = |t| rec.resources.iter().filter(|r| r.rtype == t).count();
            assert_eq!(count(SG), ctx.inv.security_groups.len());
            assert_eq!(count(BUCKET), ctx.inv.buckets.len());
            assert_eq!(count(VPC), ctx.inv.vpcs.len());
            assert_eq!(count(SUBNET), ctx.inv.subnets.len());
            assert_eq!(count(KEY), ctx.inv.kms_keys.len());
            assert!(rec.resources.iter().all(|r| r.created < 1_793_491_200));
        });
    }

    #[test]
    fn file_keys() {
        with_home_recorder(|ctx, _, _| {
            let t = 1_793_491_200 + 3 * 3600 + 5;
            let k = history_key(ctx, "eu-west-1", SG, t, t + 60);
            let acct = ctx.id;
            assert!(
                k.ends_with(&format!(
                    "/AWSLogs/{acct}/Config/eu-west-1/2026/11/1/ConfigHistory/{acct}_Config_eu-west-1_ConfigHistory_AWS::EC2::SecurityGroup_20261101T030005Z_20261101T030105Z_1.json.gz"
                )),
                "{k}"
            );
            let k = snapshot_key(ctx, "eu-west-1", t, "abc");
            assert!(
                k.ends_with(&format!(
                    "/Config/eu-west-1/2026/11/1/ConfigSnapshot/{acct}_Config_eu-west-1_ConfigSnapshot_20261101T030005Z_abc.json.gz"
                )),
                "{k}"
            );
        });
    }
}
