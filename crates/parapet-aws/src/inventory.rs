//! Reading what posture checks look at, live, through the same assumed roles as the baseline:
//! per account, IAM (the credential report, users, roles, customer managed policies, the
//! password policy) and S3 buckets once, and per region the services, security groups,
//! instances, volumes, VPCs with their flow logs, RDS instances, KMS keys, Lambda functions and
//! load balancers. A list whose call failed is a [`Probe::Failed`] naming the call, and its
//! checks get no data there; an account that cannot be entered is one [`AccessError`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_config::SdkConfig;
use parapet_model::baseline::{BlockPublicAccess, Control, Probe};
use parapet_model::inventory::{
    AccessKey, AccountInventory, Bucket, DbInstance, Iam, IamRole, IamUser, Instance, IpRule, KmsKey,
    LambdaFunction, Listener, LoadBalancer, ManagedPolicy, PasswordPolicy, RegionInventory, Root,
    SecurityGroup, Tags, Volume, Vpc,
};
use parapet_model::time::parse_rfc3339_ms;
use parapet_model::AccountId;

use crate::access::{AccessError, AccessSettings, SessionStats, Sessions};
use crate::baseline::{read_region, Progress};
use crate::{error_code as code, failed};
use crate::{AwsError, AwsSettings};

/// What was read.
#[derive(Clone, Debug, serde::Serialize)]
pub struct InventoryRead {
    /// One per account, sorted; an account that could not be entered has every probe failed.
    pub inventories: Vec<AccountInventory>,
    pub access_errors: Vec<AccessError>,
    pub sessions: SessionStats,
}

fn millis(t: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<i64> {
    t.and_then(|t| t.to_millis().ok())
}

/// Reads the inventory of each of `accounts` in each of `regions` (blocking), `now_ms` being
/// the time it is stamped with.
pub fn read_inventory(
    settings: &AwsSettings,
    access: &AccessSettings,
    accounts: &[AccountId],
    regions: &[String],
    now_ms: i64,
    progress: Progress,
) -> Result<InventoryRead, AwsError> {
    let regions: Arc<[String]> = regions.into();
    let (results, sessions) = crate::through_roles(
        "parapet-inventory",
        settings,
        access,
        accounts,
        progress,
        "inventory",
        move |sessions, account| {
            let regions = regions.clone();
            async move { read_account(&sessions, account, &regions, now_ms).await }
        },
    )?;
    let mut inventories = Vec::new();
    let mut access_errors = Vec::new();
    for (inv, err) in results {
        inventories.push(inv);
        access_errors.extend(err);
    }
    inventories.sort_by_key(|i| i.account_id);
    access_errors.sort_by_key(|e| e.account_id);
    Ok(InventoryRead {
        inventories,
        access_errors,
        sessions,
    })
}

async fn read_account(
    sessions: &Arc<Sessions>,
    account: AccountId,
    regions: &Arc<[String]>,
    now_ms: i64,
) -> (AccountInventory, Option<AccessError>) {
    let unreadable = |why: String| AccountInventory {
        account_id: account,
        collected_ms: now_ms,
        iam: Probe::Failed(why.clone()),
        buckets: Probe::Failed(why),
        regions: Vec::new(),
    };
    let Some(first) = regions.first() else {
        return (unreadable("no region to read".into()), None);
    };
    let home = match sessions.config_for(account, first).await {
        Ok(c) => c,
        Err(e) => return (unreadable(e.to_string()), Some(e)),
    };
    let regional = sessions.each_region(account, regions, move |config, region, i| async move {
        match config {
            Ok(config) => read_region_inventory(&config, account, &region, i == 0).await,
            Err(e) => {
                let mut r = RegionInventory::not_checked(account, &region);
                r.services =
                    parapet_model::baseline::RegionFacts::unreadable(account, &region, &e.to_string());
                r
            }
        }
    });
    let (mut out, iam, buckets) = tokio::join!(regional, iam(&home, now_ms), buckets(&home));
    out.sort_by(|a, b| a.region.cmp(&b.region));
    (
        AccountInventory {
            account_id: account,
            collected_ms: now_ms,
            iam,
            buckets,
            regions: out,
        },
        None,
    )
}

async fn read_region_inventory(
    config: &SdkConfig,
    account: AccountId,
    region: &str,
    account_wide: bool,
) -> RegionInventory {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let (
        services,
        security_groups,
        instances,
        volumes,
        vpcs,
        db_instances,
        kms_keys,
        functions,
        load_balancers,
    ) = tokio::join!(
        read_region(config, account, region, &Control::ALL, account_wide),
        security_groups(&ec2),
        instances(&ec2),
        volumes(&ec2),
        vpcs(&ec2),
        db_instances(config),
        kms_keys(config),
        functions(config),
        load_balancers(config),
    );
    RegionInventory {
        region: region.to_string(),
        services,
        security_groups,
        instances,
        volumes,
        vpcs,
        db_instances,
        kms_keys,
        functions,
        load_balancers,
    }
}

fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> Tags {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
        .collect()
}

fn ip_rule(p: &aws_sdk_ec2::types::IpPermission) -> IpRule {
    IpRule {
        protocol: p.ip_protocol().unwrap_or("-1").to_string(),
        from_port: p.from_port(),
        to_port: p.to_port(),
        ipv4_ranges: p
            .ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip().map(String::from))
            .collect(),
        ipv6_ranges: p
            .ipv6_ranges()
            .iter()
            .filter_map(|r| r.cidr_ipv6().map(String::from))
            .collect(),
        sources: p
            .user_id_group_pairs()
            .iter()
            .filter_map(|g| g.group_id().map(String::from))
            .chain(
                p.prefix_list_ids()
                    .iter()
                    .filter_map(|l| l.prefix_list_id().map(String::from)),
            )
            .collect(),
    }
}

async fn security_groups(ec2: &aws_sdk_ec2::Client) -> Probe<Vec<SecurityGroup>> {
    match ec2
        .describe_security_groups()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(groups) => Probe::Read(
            groups
                .iter()
                .map(|g| SecurityGroup {
                    id: g.group_id().unwrap_or_default().to_string(),
                    name: g.group_name().unwrap_or_default().to_string(),
                    vpc_id: g.vpc_id().map(String::from),
                    ingress: g.ip_permissions().iter().map(ip_rule).collect(),
                    egress: g.ip_permissions_egress().iter().map(ip_rule).collect(),
                    tags: ec2_tags(g.tags()),
                })
                .collect(),
        ),
        Err(e) => Probe::Failed(failed("ec2:DescribeSecurityGroups", e)),
    }
}

async fn instances(ec2: &aws_sdk_ec2::Client) -> Probe<Vec<Instance>> {
    match ec2
        .describe_instances()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(reservations) => Probe::Read(
            reservations
                .iter()
                .flat_map(|r| r.instances())
                .filter(|i| {
                    i.state()
                        .and_then(|s| s.name())
                        .is_none_or(|n| n.as_str() != "terminated")
                })
                .map(|i| {
                    let md = i.metadata_options();
                    Instance {
                        id: i.instance_id().unwrap_or_default().to_string(),
                        instance_type: i
                            .instance_type()
                            .map(|t| t.as_str().to_string())
                            .unwrap_or_default(),
                        state: i
                            .state()
                            .and_then(|s| s.name())
                            .map(|n| n.as_str().to_string())
                            .unwrap_or_default(),
                        public_ip: i.public_ip_address().map(String::from),
                        // Unset metadata options are the EC2 default: IMDSv1 allowed.
                        http_tokens: md
                            .and_then(|m| m.http_tokens())
                            .map(|t| t.as_str().to_string())
                            .unwrap_or_else(|| "optional".into()),
                        http_endpoint: md
                            .and_then(|m| m.http_endpoint())
                            .map(|t| t.as_str().to_string())
                            .unwrap_or_else(|| "enabled".into()),
                        security_groups: i
                            .security_groups()
                            .iter()
                            .filter_map(|g| g.group_id().map(String::from))
                            .collect(),
                        tags: ec2_tags(i.tags()),
                    }
                })
                .collect(),
        ),
        Err(e) => Probe::Failed(failed("ec2:DescribeInstances", e)),
    }
}

async fn volumes(ec2: &aws_sdk_ec2::Client) -> Probe<Vec<Volume>> {
    match ec2
        .describe_volumes()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(v) => Probe::Read(
            v.iter()
                .map(|v| Volume {
                    id: v.volume_id().unwrap_or_default().to_string(),
                    encrypted: v.encrypted().unwrap_or(false),
                    tags: ec2_tags(v.tags()),
                })
                .collect(),
        ),
        Err(e) => Probe::Failed(failed("ec2:DescribeVolumes", e)),
    }
}

async fn vpcs(ec2: &aws_sdk_ec2::Client) -> Probe<Vec<Vpc>> {
    let vpcs = match ec2
        .describe_vpcs()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(v) => v,
        Err(e) => return Probe::Failed(failed("ec2:DescribeVpcs", e)),
    };
    let logged: BTreeSet<String> = match ec2
        .describe_flow_logs()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(logs) => logs
            .iter()
            .filter(|l| l.flow_log_status().is_none_or(|s| s == "ACTIVE"))
            .filter_map(|l| l.resource_id().map(String::from))
            .collect(),
        Err(e) => return Probe::Failed(failed("ec2:DescribeFlowLogs", e)),
    };
    Probe::Read(
        vpcs.iter()
            .map(|v| {
                let id = v.vpc_id().unwrap_or_default().to_string();
                Vpc {
                    flow_logs: logged.contains(&id),
                    id,
                    is_default: v.is_default().unwrap_or(false),
                    tags: ec2_tags(v.tags()),
                }
            })
            .collect(),
    )
}

async fn db_instances(config: &SdkConfig) -> Probe<Vec<DbInstance>> {
    let rds = aws_sdk_rds::Client::new(config);
    match rds
        .describe_db_instances()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(dbs) => Probe::Read(
            dbs.iter()
                .map(|d| DbInstance {
                    id: d.db_instance_identifier().unwrap_or_default().to_string(),
                    arn: d.db_instance_arn().unwrap_or_default().to_string(),
                    engine: d.engine().unwrap_or_default().to_string(),
                    publicly_accessible: d.publicly_accessible().unwrap_or(false),
                    storage_encrypted: d.storage_encrypted().unwrap_or(false),
                    backup_retention_days: d.backup_retention_period().unwrap_or(0),
                    tags: d
                        .tag_list()
                        .iter()
                        .filter_map(|t| {
                            Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))
                        })
                        .collect(),
                })
                .collect(),
        ),
        Err(e) => Probe::Failed(failed("rds:DescribeDBInstances", e)),
    }
}

async fn kms_keys(config: &SdkConfig) -> Probe<Vec<KmsKey>> {
    let kms = aws_sdk_kms::Client::new(config);
    let keys = match kms
        .list_keys()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(k) => k,
        Err(e) => return Probe::Failed(failed("kms:ListKeys", e)),
    };
    let mut out = Vec::new();
    for k in keys {
        let Some(id) = k.key_id() else { continue };
        let meta = match kms.describe_key().key_id(id).send().await {
            Ok(d) => d.key_metadata().cloned(),
            Err(e) => return Probe::Failed(failed("kms:DescribeKey", e)),
        };
        let Some(meta) = meta else { continue };
        let manager = meta
            .key_manager()
            .map(|m| m.as_str().to_string())
            .unwrap_or_default();
        let spec = meta
            .key_spec()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        let state = meta
            .key_state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default();
        let rotation = if manager == "CUSTOMER" && spec == "SYMMETRIC_DEFAULT" && state == "Enabled" {
            match kms.get_key_rotation_status().key_id(id).send().await {
                Ok(r) => r.key_rotation_enabled(),
                Err(e) => return Probe::Failed(failed("kms:GetKeyRotationStatus", e)),
            }
        } else {
            false
        };
        out.push(KmsKey {
            id: id.to_string(),
            arn: meta.arn().unwrap_or_default().to_string(),
            manager,
            state,
            spec,
            rotation,
            tags: Tags::new(),
        });
    }
    Probe::Read(out)
}

async fn functions(config: &SdkConfig) -> Probe<Vec<LambdaFunction>> {
    let lambda = aws_sdk_lambda::Client::new(config);
    let fns = match lambda
        .list_functions()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(f) => f,
        Err(e) => return Probe::Failed(failed("lambda:ListFunctions", e)),
    };
    let mut out = Vec::new();
    for f in fns {
        let name = f.function_name().unwrap_or_default().to_string();
        let policy = match lambda.get_policy().function_name(&name).send().await {
            Ok(p) => p.policy().map(String::from),
            Err(e) if code(&e) == Some("ResourceNotFoundException") => None,
            Err(e) => return Probe::Failed(failed("lambda:GetPolicy", e)),
        };
        out.push(LambdaFunction {
            arn: f.function_arn().unwrap_or_default().to_string(),
            runtime: f.runtime().map(|r| r.as_str().to_string()),
            name,
            policy,
            tags: Tags::new(),
        });
    }
    Probe::Read(out)
}

async fn load_balancers(config: &SdkConfig) -> Probe<Vec<LoadBalancer>> {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let lbs = match elb
        .describe_load_balancers()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
    {
        Ok(l) => l,
        Err(e) => return Probe::Failed(failed("elasticloadbalancing:DescribeLoadBalancers", e)),
    };
    let mut out = Vec::new();
    for lb in lbs {
        let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
        let listeners = match elb.describe_listeners().load_balancer_arn(&arn).send().await {
            Ok(l) => l
                .listeners()
                .iter()
                .map(|l| Listener {
                    protocol: l.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
                    port: l.port().unwrap_or(0),
                    redirects_to_https: l.default_actions().iter().any(|a| {
                        a.redirect_config()
                            .and_then(|r| r.protocol())
                            .is_some_and(|p| p.eq_ignore_ascii_case("HTTPS"))
                    }),
                })
                .collect(),
            Err(e) => return Probe::Failed(failed("elasticloadbalancing:DescribeListeners", e)),
        };
        out.push(LoadBalancer {
            name: lb.load_balancer_name().unwrap_or_default().to_string(),
            arn,
            kind: lb.r#type().map(|t| t.as_str().to_string()).unwrap_or_default(),
            scheme: lb.scheme().map(|s| s.as_str().to_string()).unwrap_or_default(),
            listeners,
            tags: Tags::new(),
        });
    }
    Probe::Read(out)
}

/// One row of the IAM credential report.
#[derive(Debug, Default)]
struct ReportRow {
    password_enabled: bool,
    password_last_used_ms: Option<i64>,
    mfa_active: bool,
    access_key_active: bool,
}

/// The credential report's rows by user name (`<root_account>` for root). Times that are
/// `N/A`, `no_information` or `not_supported` are absent.
fn credential_report(csv: &str) -> BTreeMap<String, ReportRow> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (user, pw, pw_used, mfa, key1, key2) = (
        col("user"),
        col("password_enabled"),
        col("password_last_used"),
        col("mfa_active"),
        col("access_key_1_active"),
        col("access_key_2_active"),
    );
    let mut out = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let get = |i: Option<usize>| i.and_then(|i| f.get(i)).copied().unwrap_or_default();
        let yes = |i: Option<usize>| get(i).eq_ignore_ascii_case("true");
        out.insert(
            get(user).to_string(),
            ReportRow {
                password_enabled: yes(pw),
                password_last_used_ms: parse_rfc3339_ms(get(pw_used)),
                mfa_active: yes(mfa),
                access_key_active: yes(key1) || yes(key2),
            },
        );
    }
    out
}

async fn iam(config: &SdkConfig, _now_ms: i64) -> Probe<Iam> {
    match read_iam(config).await {
        Ok(i) => Probe::Read(i),
        Err(e) => Probe::Failed(e),
    }
}

async fn read_iam(config: &SdkConfig) -> Result<Iam, String> {
    let iam = aws_sdk_iam::Client::new(config);
    // The credential report: generated on request, ready after a few seconds.
    let mut report = None;
    for attempt in 0..10 {
        iam.generate_credential_report()
            .send()
            .await
            .map_err(|e| failed("iam:GenerateCredentialReport", e))?;
        match iam.get_credential_report().send().await {
            Ok(r) => {
                report = r
                    .content()
                    .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned());
                break;
            }
            Err(e) if code(&e) == Some("ReportInProgress") && attempt < 9 => {
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            Err(e) => return Err(failed("iam:GetCredentialReport", e)),
        }
    }
    let report = credential_report(&report.unwrap_or_default());
    let root_row = report.get("<root_account>");
    let summary = iam
        .get_account_summary()
        .send()
        .await
        .map_err(|e| failed("iam:GetAccountSummary", e))?;
    let summary_flag = |k: &str| {
        summary
            .summary_map()
            .and_then(|m| m.iter().find(|(key, _)| key.as_str() == k).map(|(_, v)| *v))
            .unwrap_or(0)
            > 0
    };
    let root = Root {
        mfa_enabled: root_row.map(|r| r.mfa_active).unwrap_or(false) || summary_flag("AccountMFAEnabled"),
        access_keys_present: root_row.is_some_and(|r| r.access_key_active)
            || summary_flag("AccountAccessKeysPresent"),
        password_last_used_ms: root_row.and_then(|r| r.password_last_used_ms),
    };

    let listed = iam
        .list_users()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| failed("iam:ListUsers", e))?;
    let mut users = Vec::new();
    for u in listed {
        let name = u.user_name().to_string();
        let row = report.get(&name);
        let attached = iam
            .list_attached_user_policies()
            .user_name(&name)
            .send()
            .await
            .map_err(|e| failed("iam:ListAttachedUserPolicies", e))?;
        let inline = iam
            .list_user_policies()
            .user_name(&name)
            .send()
            .await
            .map_err(|e| failed("iam:ListUserPolicies", e))?;
        let keys = iam
            .list_access_keys()
            .user_name(&name)
            .send()
            .await
            .map_err(|e| failed("iam:ListAccessKeys", e))?;
        let mut access_keys = Vec::new();
        for k in keys.access_key_metadata() {
            let id = k.access_key_id().unwrap_or_default().to_string();
            let last_used = iam
                .get_access_key_last_used()
                .access_key_id(&id)
                .send()
                .await
                .map_err(|e| failed("iam:GetAccessKeyLastUsed", e))?;
            access_keys.push(AccessKey {
                active: k.status().is_some_and(|s| s.as_str() == "Active"),
                created_ms: millis(k.create_date()).unwrap_or(0),
                last_used_ms: millis(last_used.access_key_last_used().and_then(|l| l.last_used_date())),
                id,
            });
        }
        let tags = iam
            .list_user_tags()
            .user_name(&name)
            .send()
            .await
            .map_err(|e| failed("iam:ListUserTags", e))?;
        users.push(IamUser {
            arn: u.arn().to_string(),
            created_ms: u.create_date().to_millis().unwrap_or(0),
            password_enabled: row.is_some_and(|r| r.password_enabled),
            password_last_used_ms: row
                .and_then(|r| r.password_last_used_ms)
                .or_else(|| millis(u.password_last_used())),
            mfa_active: row.is_some_and(|r| r.mfa_active),
            access_keys,
            attached_policies: attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(String::from))
                .collect(),
            inline_policies: inline.policy_names().to_vec(),
            tags: tags
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
            name,
        });
    }

    let listed = iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| failed("iam:ListRoles", e))?;
    let mut roles = Vec::new();
    for r in listed {
        // ListRoles leaves out when a role was last used and its tags; GetRole has them.
        let got = iam
            .get_role()
            .role_name(r.role_name())
            .send()
            .await
            .map_err(|e| failed("iam:GetRole", e))?;
        let role = got.role().unwrap_or(&r);
        roles.push(IamRole {
            name: role.role_name().to_string(),
            arn: role.arn().to_string(),
            path: role.path().to_string(),
            created_ms: role.create_date().to_millis().unwrap_or(0),
            last_used_ms: millis(role.role_last_used().and_then(|u| u.last_used_date())),
            tags: role
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
        });
    }

    let listed = iam
        .list_policies()
        .scope(aws_sdk_iam::types::PolicyScopeType::Local)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| failed("iam:ListPolicies", e))?;
    let mut policies = Vec::new();
    for p in listed {
        let (Some(arn), Some(version)) = (p.arn(), p.default_version_id()) else {
            continue;
        };
        let v = iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(|e| failed("iam:GetPolicyVersion", e))?;
        // IAM returns documents URL-encoded.
        let raw = v.policy_version().and_then(|v| v.document()).unwrap_or_default();
        let document = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map(|s| s.into_owned())
            .unwrap_or_else(|_| raw.to_string());
        let attachments = p.attachment_count().unwrap_or(0);
        let mut attached_to = Vec::new();
        if attachments > 0 {
            let e = iam
                .list_entities_for_policy()
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| failed("iam:ListEntitiesForPolicy", e))?;
            attached_to.extend(
                e.policy_users()
                    .iter()
                    .filter_map(|u| u.user_name())
                    .map(|n| format!("user/{n}")),
            );
            attached_to.extend(
                e.policy_groups()
                    .iter()
                    .filter_map(|g| g.group_name())
                    .map(|n| format!("group/{n}")),
            );
            attached_to.extend(
                e.policy_roles()
                    .iter()
                    .filter_map(|r| r.role_name())
                    .map(|n| format!("role/{n}")),
            );
        }
        policies.push(ManagedPolicy {
            name: p.policy_name().unwrap_or_default().to_string(),
            arn: arn.to_string(),
            document,
            attachments,
            attached_to,
        });
    }

    let password_policy = match iam.get_account_password_policy().send().await {
        Ok(p) => p.password_policy().map(|p| PasswordPolicy {
            minimum_length: p.minimum_password_length().unwrap_or(0),
            require_symbols: p.require_symbols(),
            require_numbers: p.require_numbers(),
            require_uppercase: p.require_uppercase_characters(),
            require_lowercase: p.require_lowercase_characters(),
            max_age_days: p.max_password_age(),
            reuse_prevention: p.password_reuse_prevention(),
        }),
        Err(e) if code(&e) == Some("NoSuchEntity") => None,
        Err(e) => return Err(failed("iam:GetAccountPasswordPolicy", e)),
    };
    Ok(Iam {
        root,
        users,
        roles,
        policies,
        password_policy,
    })
}

pub(crate) fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let custom_endpoint = config.endpoint_url().is_some();
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(custom_endpoint)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn buckets(config: &SdkConfig) -> Probe<Vec<Bucket>> {
    match read_buckets(config).await {
        Ok(b) => Probe::Read(b),
        Err(e) => Probe::Failed(e),
    }
}

async fn read_buckets(config: &SdkConfig) -> Result<Vec<Bucket>, String> {
    let s3 = s3_client(config);
    let listed = s3
        .list_buckets()
        .send()
        .await
        .map_err(|e| failed("s3:ListBuckets", e))?;
    let mut out = Vec::new();
    for b in listed.buckets() {
        let Some(name) = b.name() else { continue };
        let region = match s3.get_bucket_location().bucket(name).send().await {
            Ok(l) => l
                .location_constraint()
                .map(|c| c.as_str().to_string())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "us-east-1".into()),
            Err(e) => return Err(failed("s3:GetBucketLocation", e)),
        };
        let block_public_access = match s3.get_public_access_block().bucket(name).send().await {
            Ok(p) => p.public_access_block_configuration().map(|c| BlockPublicAccess {
                block_public_acls: c.block_public_acls().unwrap_or(false),
                ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                block_public_policy: c.block_public_policy().unwrap_or(false),
                restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
            }),
            Err(e) if code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => None,
            Err(e) => return Err(failed("s3:GetPublicAccessBlock", e)),
        };
        let encryption = match s3.get_bucket_encryption().bucket(name).send().await {
            Ok(enc) => enc
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default())
                .map(|d| d.sse_algorithm().as_str().to_string()),
            Err(e) if code(&e) == Some("ServerSideEncryptionConfigurationNotFoundError") => None,
            Err(e) => return Err(failed("s3:GetBucketEncryption", e)),
        };
        let policy = match s3.get_bucket_policy().bucket(name).send().await {
            Ok(p) => p.policy().map(String::from),
            Err(e) if code(&e) == Some("NoSuchBucketPolicy") => None,
            Err(e) => return Err(failed("s3:GetBucketPolicy", e)),
        };
        let acl = s3
            .get_bucket_acl()
            .bucket(name)
            .send()
            .await
            .map_err(|e| failed("s3:GetBucketAcl", e))?;
        let public_acl_grants = acl
            .grants()
            .iter()
            .filter(|g| {
                g.grantee().and_then(|g| g.uri()).is_some_and(|u| {
                    u.ends_with("/global/AllUsers") || u.ends_with("/global/AuthenticatedUsers")
                })
            })
            .filter_map(|g| g.permission().map(|p| p.as_str().to_string()))
            .collect();
        let versioning = s3
            .get_bucket_versioning()
            .bucket(name)
            .send()
            .await
            .map_err(|e| failed("s3:GetBucketVersioning", e))?
            .status()
            .is_some_and(|s| s.as_str() == "Enabled");
        let logging = s3
            .get_bucket_logging()
            .bucket(name)
            .send()
            .await
            .map_err(|e| failed("s3:GetBucketLogging", e))?
            .logging_enabled()
            .is_some();
        let tags = match s3.get_bucket_tagging().bucket(name).send().await {
            Ok(t) => t
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect(),
            Err(e) if code(&e) == Some("NoSuchTagSet") => Tags::new(),
            Err(e) => return Err(failed("s3:GetBucketTagging", e)),
        };
        out.push(Bucket {
            name: name.to_string(),
            region,
            block_public_access,
            encryption,
            policy,
            public_acl_grants,
            versioning,
            logging,
            tags,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_report_rows() {
        let csv = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n\
<root_account>,arn:aws:iam::111111111111:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-30T10:00:00+00:00,not_supported,not_supported,false,true,2020-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
alice,arn:aws:iam::111111111111:user/alice,2024-01-01T00:00:00+00:00,true,no_information,N/A,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n";
        let rows = credential_report(csv);
        let root = &rows["<root_account>"];
        assert!(!root.mfa_active && root.access_key_active && !root.password_enabled);
        assert_eq!(
            root.password_last_used_ms,
            parse_rfc3339_ms("2026-11-30T10:00:00Z")
        );
        let alice = &rows["alice"];
        assert!(alice.password_enabled && alice.mfa_active && !alice.access_key_active);
        assert_eq!(alice.password_last_used_ms, None);
    }
}
