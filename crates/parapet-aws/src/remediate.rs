//! Applying remediation actions (or undoing them) through the assumed roles. Each action is
//! tried on its own; one that fails says why and the others go on. Re-applying an action whose
//! effect is already there (a rule already revoked, a key already inactive) succeeds: the
//! calls are chosen or their "already so" errors read so that applying twice is harmless.

use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use parapet_model::inventory::IpRule;
use parapet_model::remediation::{Action, Change};

use crate::access::{AccessSettings, Sessions};
use crate::{error_code as code, failed};
use crate::{runtime, sdk_config, AwsError, AwsSettings};

fn permission(r: &IpRule) -> IpPermission {
    let mut b = IpPermission::builder().ip_protocol(&r.protocol);
    if let Some(p) = r.from_port {
        b = b.from_port(p);
    }
    if let Some(p) = r.to_port {
        b = b.to_port(p);
    }
    for c in &r.ipv4_ranges {
        b = b.ip_ranges(IpRange::builder().cidr_ip(c).build());
    }
    for c in &r.ipv6_ranges {
        b = b.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).build());
    }
    for s in &r.sources {
        b = if s.starts_with("pl-") {
            b.prefix_list_ids(PrefixListId::builder().prefix_list_id(s).build())
        } else {
            b.user_id_group_pairs(UserIdGroupPair::builder().group_id(s).build())
        };
    }
    b.build()
}

/// Applies `actions` (or, with `undo`, reverses them) one by one; a result per action.
pub fn apply_actions(
    settings: &AwsSettings,
    access: &AccessSettings,
    actions: &[Action],
    undo: bool,
) -> Result<Vec<Result<(), String>>, AwsError> {
    let rt = runtime("parapet-remediate")?;
    rt.block_on(async {
        let base = sdk_config(settings).await;
        let home = base
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| "us-east-1".into());
        let sessions = Arc::new(Sessions::new(base, access.clone()).await);
        let mut out = Vec::with_capacity(actions.len());
        for a in actions {
            let region = a.region.clone().unwrap_or_else(|| home.clone());
            let result = match sessions.config_for(a.account_id, &region).await {
                Ok(config) => apply(&config, &a.change, undo).await,
                Err(e) => Err(e.to_string()),
            };
            out.push(result);
        }
        Ok(out)
    })
}

async fn apply(config: &SdkConfig, change: &Change, undo: bool) -> Result<(), String> {
    match change {
        Change::RevokeIngress { group_id, rules } => {
            let ec2 = aws_sdk_ec2::Client::new(config);
            rules_on(&ec2, group_id, rules, Side::Ingress, !undo).await
        }
        Change::ClearSecurityGroup {
            group_id,
            ingress: inbound,
            egress: outbound,
        } => {
            let ec2 = aws_sdk_ec2::Client::new(config);
            rules_on(&ec2, group_id, inbound, Side::Ingress, !undo).await?;
            rules_on(&ec2, group_id, outbound, Side::Egress, !undo).await
        }
        Change::StartLogging { trail } => {
            let ct = aws_sdk_cloudtrail::Client::new(config);
            if undo {
                ct.stop_logging()
                    .name(trail)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| failed("cloudtrail:StopLogging", e))
            } else {
                ct.start_logging()
                    .name(trail)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| failed("cloudtrail:StartLogging", e))
            }
        }
        Change::BlockBucketPublicAccess { bucket, before } => {
            let s3 = crate::inventory::s3_client(config);
            let put = |c: aws_sdk_s3::types::PublicAccessBlockConfiguration| {
                s3.put_public_access_block()
                    .bucket(bucket)
                    .public_access_block_configuration(c)
                    .send()
            };
            let config_of = |acls: bool, ignore: bool, policy: bool, restrict: bool| {
                aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                    .block_public_acls(acls)
                    .ignore_public_acls(ignore)
                    .block_public_policy(policy)
                    .restrict_public_buckets(restrict)
                    .build()
            };
            match (undo, before) {
                (false, _) => put(config_of(true, true, true, true))
                    .await
                    .map(|_| ())
                    .map_err(|e| failed("s3:PutPublicAccessBlock", e)),
                (true, Some(b)) => put(config_of(
                    b.block_public_acls,
                    b.ignore_public_acls,
                    b.block_public_policy,
                    b.restrict_public_buckets,
                ))
                .await
                .map(|_| ())
                .map_err(|e| failed("s3:PutPublicAccessBlock", e)),
                (true, None) => s3
                    .delete_public_access_block()
                    .bucket(bucket)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| failed("s3:DeletePublicAccessBlock", e)),
            }
        }
        Change::DetachPolicy {
            policy_arn,
            principals,
        } => {
            let iam = aws_sdk_iam::Client::new(config);
            for p in principals {
                let result = match (p.split_once('/'), undo) {
                    (Some(("user", n)), false) => iam
                        .detach_user_policy()
                        .user_name(n)
                        .policy_arn(policy_arn)
                        .send()
                        .await
                        .map(|_| ())
                        .or_else(|e| already(e, "NoSuchEntity", "iam:DetachUserPolicy")),
                    (Some(("group", n)), false) => iam
                        .detach_group_policy()
                        .group_name(n)
                        .policy_arn(policy_arn)
                        .send()
                        .await
                        .map(|_| ())
                        .or_else(|e| already(e, "NoSuchEntity", "iam:DetachGroupPolicy")),
                    (Some(("role", n)), false) => iam
                        .detach_role_policy()
                        .role_name(n)
                        .policy_arn(policy_arn)
                        .send()
                        .await
                        .map(|_| ())
                        .or_else(|e| already(e, "NoSuchEntity", "iam:DetachRolePolicy")),
                    (Some(("user", n)), true) => iam
                        .attach_user_policy()
                        .user_name(n)
                        .policy_arn(policy_arn)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| failed("iam:AttachUserPolicy", e)),
                    (Some(("group", n)), true) => iam
                        .attach_group_policy()
                        .group_name(n)
                        .policy_arn(policy_arn)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| failed("iam:AttachGroupPolicy", e)),
                    (Some(("role", n)), true) => iam
                        .attach_role_policy()
                        .role_name(n)
                        .policy_arn(policy_arn)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| failed("iam:AttachRolePolicy", e)),
                    _ => Err(format!("{p:?} is not user/NAME, group/NAME or role/NAME")),
                };
                result?;
            }
            Ok(())
        }
        Change::DeactivateAccessKey { user, key_id } => {
            let iam = aws_sdk_iam::Client::new(config);
            let status = if undo {
                aws_sdk_iam::types::StatusType::Active
            } else {
                aws_sdk_iam::types::StatusType::Inactive
            };
            iam.update_access_key()
                .user_name(user)
                .access_key_id(key_id)
                .status(status)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| failed("iam:UpdateAccessKey", e))
        }
    }
}

/// Which side of a security group.
#[derive(Clone, Copy)]
enum Side {
    Ingress,
    Egress,
}

/// Revokes (or, `revoke` false, authorizes) rules on one side of a group; a rule already gone
/// (or already there) is not an error.
async fn rules_on(
    ec2: &aws_sdk_ec2::Client,
    group: &str,
    rules: &[IpRule],
    side: Side,
    revoke: bool,
) -> Result<(), String> {
    for r in rules {
        let p = permission(r);
        const GONE: &str = "InvalidPermission.NotFound";
        const THERE: &str = "InvalidPermission.Duplicate";
        match (side, revoke) {
            (Side::Ingress, true) => ec2
                .revoke_security_group_ingress()
                .group_id(group)
                .ip_permissions(p)
                .send()
                .await
                .map(|_| ())
                .or_else(|e| already(e, GONE, "ec2:RevokeSecurityGroupIngress")),
            (Side::Ingress, false) => ec2
                .authorize_security_group_ingress()
                .group_id(group)
                .ip_permissions(p)
                .send()
                .await
                .map(|_| ())
                .or_else(|e| already(e, THERE, "ec2:AuthorizeSecurityGroupIngress")),
            (Side::Egress, true) => ec2
                .revoke_security_group_egress()
                .group_id(group)
                .ip_permissions(p)
                .send()
                .await
                .map(|_| ())
                .or_else(|e| already(e, GONE, "ec2:RevokeSecurityGroupEgress")),
            (Side::Egress, false) => ec2
                .authorize_security_group_egress()
                .group_id(group)
                .ip_permissions(p)
                .send()
                .await
                .map(|_| ())
                .or_else(|e| already(e, THERE, "ec2:AuthorizeSecurityGroupEgress")),
        }?;
    }
    Ok(())
}

/// Ok when the error says the change is already in place.
fn already<E>(e: SdkError<E>, already_code: &str, call: &str) -> Result<(), String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if code(&e) == Some(already_code) {
        Ok(())
    } else {
        Err(failed(call, e))
    }
}
