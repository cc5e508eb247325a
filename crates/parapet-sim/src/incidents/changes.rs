//! Configuration-change scenarios: IAM, security groups, network, CloudTrail, Config, KMS,
//! S3 public access and GuardDuty.

use std::fmt::Write as _;

use super::builder::{Builder, Call};
use crate::record::push_aws_date;
use crate::scenarios::Effect;

const POLICY_ADMIN: &str = r#"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"*\",\n      \"Resource\": \"*\"\n    }\n  ]\n}"#;

/// SSH or RDP opened to the whole internet.
pub(super) fn sg_open_world(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let ctx = b.ctx;
    let id = ctx.id;
    let region = ctx.pick_region(&mut b.rng);
    let c = b.insider(true);
    let sg = ctx.inv.security_groups[b.rng.index(ctx.inv.security_groups.len())].clone();
    let port = *b.rng.pick(&[22u16, 3389]);
    let v6 = b.rng.chance(0.25);
    let (ranges, ranges6, rule_cidr) = if v6 {
        (
            "{}".to_string(),
            r#"{"items":[{"cidrIpv6":"::/0"}]}"#.to_string(),
            r#""cidrIpv6":"::/0""#,
        )
    } else {
        (
            r#"{"items":[{"cidrIp":"0.0.0.0/0"}]}"#.to_string(),
            "{}".to_string(),
            r#""cidrIpv4":"0.0.0.0/0""#,
        )
    };
    let request = format!(
        r#"{{"groupId":"{sg}","ipPermissions":{{"items":[{{"ipProtocol":"tcp","fromPort":{port},"toPort":{port},"groups":{{}},"ipRanges":{ranges},"ipv6Ranges":{ranges6},"prefixListIds":{{}}}}]}}}}"#
    );
    let response = format!(
        r#"{{"requestId":"{}","_return":true,"securityGroupRuleSet":{{"items":[{{"groupOwnerId":"{id}","groupId":"{sg}","securityGroupRuleId":"sgr-0{}","isEgress":false,"ipProtocol":"tcp","fromPort":{port},"toPort":{port},{rule_cidr}}}]}}}}"#,
        b.rng.uuid(),
        b.rng.hex(16)
    );
    let host = b.regional_host("ec2", region);
    b.call(
        t,
        region,
        &c,
        Call {
            source: "ec2.amazonaws.com",
            name: "AuthorizeSecurityGroupIngress",
            request: Some(request),
            response: Some(response),
            host,
            ..Call::default()
        },
    );
    let cidr = if v6 { "::/0" } else { "0.0.0.0/0" };
    b.effects.push(Effect::SgOpened {
        t,
        region,
        sg: sg.clone(),
        port,
        cidr,
        actor: c.arn.clone(),
    });
    (
        region,
        c.arn,
        format!("security group {sg} opened tcp/{port} to {cidr}"),
    )
}

/// A trail stopped, deleted or made to log less.
pub(super) fn cloudtrail_tampering(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let ctx = b.ctx;
    let id = ctx.id;
    let g = ctx.global_region;
    let region = if b.rng.chance(0.5) { g } else { 0 };
    let c = if b.rng.chance(0.5) {
        b.outsider()
    } else {
        b.insider(true)
    };
    let r = ctx.regions[usize::from(region)];
    let trail_arn = format!("arn:aws:cloudtrail:{r}:{id}:trail/management-events");
    let name = *b
        .rng
        .pick(&["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"]);
    let (request, response) = match name {
        "StopLogging" | "DeleteTrail" => (format!(r#"{{"name":"{trail_arn}"}}"#), None),
        "UpdateTrail" => (
            format!(
                r#"{{"name":"{trail_arn}","includeGlobalServiceEvents":false,"isMultiRegionTrail":false}}"#
            ),
            Some(format!(
                r#"{{"name":"management-events","s3BucketName":"{}-logs-{id}","includeGlobalServiceEvents":false,"isMultiRegionTrail":false,"trailARN":"{trail_arn}","logFileValidationEnabled":false,"isOrganizationTrail":false}}"#,
                ctx.acct.account.name
            )),
        ),
        _ => {
            let selectors = r#"[{"readWriteType":"ReadOnly","includeManagementEvents":false,"dataResources":[],"excludeManagementEventSources":[]}]"#;
            (
                format!(r#"{{"trailName":"{trail_arn}","eventSelectors":{selectors}}}"#),
                Some(format!(
                    r#"{{"trailARN":"{trail_arn}","eventSelectors":{selectors}}}"#
                )),
            )
        }
    };
    let host = b.regional_host("cloudtrail", region);
    b.call(
        t,
        region,
        &c,
        Call {
            source: "cloudtrail.amazonaws.com",
            name,
            request: Some(request),
            response,
            resources: None,
            host,
            ..Call::default()
        },
    );
    (region, c.arn, format!("{name} on trail management-events"))
}

/// The Config recorder stopped or its delivery channel deleted.
pub(super) fn config_recorder_stopped(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let ctx = b.ctx;
    let region = ctx.pick_region(&mut b.rng);
    let c = if b.rng.chance(0.4) {
        b.outsider()
    } else {
        b.insider(true)
    };
    let (name, request) = if b.rng.chance(0.6) {
        (
            "StopConfigurationRecorder",
            r#"{"configurationRecorderName":"aws-controltower-BaselineConfigRecorder"}"#,
        )
    } else {
        (
            "DeleteDeliveryChannel",
            r#"{"deliveryChannelName":"aws-controltower-BaselineConfigDeliveryChannel"}"#,
        )
    };
    let host = b.regional_host("config", region);
    b.call(
        t,
        region,
        &c,
        Call {
            source: "config.amazonaws.com",
            name,
            request: Some(request.to_string()),
            host,
            ..Call::default()
        },
    );
    b.effects.push(Effect::RecorderStopped {
        t,
        region,
        actor: c.arn.clone(),
    });
    (region, c.arn, format!("AWS Config {name}"))
}

/// A KMS key disabled or scheduled for deletion.
pub(super) fn kms_key_disabled(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let ctx = b.ctx;
    let id = ctx.id;
    let region = ctx.pick_region(&mut b.rng);
    let c = b.insider(true);
    let r = ctx.regions[usize::from(region)];
    let key = ctx.inv.kms_keys[b.rng.index(ctx.inv.kms_keys.len())].clone();
    let key_arn = format!("arn:aws:kms:{r}:{id}:key/{key}");
    let resources = Some(format!(
        r#"[{{"accountId":"{id}","type":"AWS::KMS::Key","ARN":"{key_arn}"}}]"#
    ));
    let host = b.regional_host("kms", region);
    let name = if b.rng.chance(0.5) {
        "DisableKey"
    } else {
        "ScheduleKeyDeletion"
    };
    let (request, response) = if name == "DisableKey" {
        (format!(r#"{{"keyId":"{key}"}}"#), None)
    } else {
        let mut date = String::new();
        push_aws_date(&mut date, (t / 86_400 + 8) * 86_400);
        (
            format!(r#"{{"keyId":"{key}","pendingWindowInDays":7}}"#),
            Some(format!(
                r#"{{"keyId":"{key_arn}","deletionDate":"{date}","keyState":"PendingDeletion","pendingWindowInDays":7}}"#
            )),
        )
    };
    b.call(
        t,
        region,
        &c,
        Call {
            source: "kms.amazonaws.com",
            name,
            request: Some(request),
            response,
            resources,
            host,
            ..Call::default()
        },
    );
    (
        region,
        c.arn,
        format!(
            "KMS key {key} {}",
            if name == "DisableKey" {
                "disabled"
            } else {
                "scheduled for deletion"
            }
        ),
    )
}

/// The GuardDuty detector deleted.
pub(super) fn guardduty_disabled(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let ctx = b.ctx;
    let region = ctx.pick_region(&mut b.rng);
    let c = if b.rng.chance(0.5) {
        b.outsider()
    } else {
        b.insider(true)
    };
    let detector = ctx.inv.detector_id.clone();
    let host = b.regional_host("guardduty", region);
    b.call(
        t,
        region,
        &c,
        Call {
            source: "guardduty.amazonaws.com",
            name: "DeleteDetector",
            request: Some(format!(r#"{{"detectorId":"{detector}"}}"#)),
            host,
            ..Call::default()
        },
    );
    b.effects.push(Effect::DetectorDeleted {
        t,
        region,
        actor: c.arn.clone(),
    });
    (region, c.arn, format!("GuardDuty detector {detector} deleted"))
}

/// IAM users, keys, groups or policies changed.
pub(super) fn iam_change(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let id = b.ctx.id;
    let g = b.ctx.global_region;
    let c = b.insider(true);
    let mut date = String::new();
    push_aws_date(&mut date, t);
    let user = format!(
        "{}-{}",
        b.rng.pick(&["svc", "tmp", "contractor", "ops"]),
        b.rng.lower_alnum(5)
    );
    let iam =
        |b: &mut Builder<'_, '_>, dt: i64, name: &'static str, request: String, response: Option<String>| {
            b.call(
                t + dt,
                g,
                &c,
                Call {
                    source: "iam.amazonaws.com",
                    name,
                    request: Some(request),
                    response,
                    host: "iam.amazonaws.com".into(),
                    ..Call::default()
                },
            );
        };
    let description = match b.rng.below(5) {
        0 => {
            let key = format!("AKIA{}", b.rng.upper_alnum(16));
            let uid = format!("AIDA{}", b.rng.upper_alnum(17));
            iam(
                b,
                0,
                "CreateUser",
                format!(r#"{{"userName":"{user}"}}"#),
                Some(format!(
                    r#"{{"user":{{"path":"/","userName":"{user}","userId":"{uid}","arn":"arn:aws:iam::{id}:user/{user}","createDate":"{date}"}}}}"#
                )),
            );
            iam(
                b,
                25,
                "CreateAccessKey",
                format!(r#"{{"userName":"{user}"}}"#),
                Some(format!(
                    r#"{{"accessKey":{{"userName":"{user}","accessKeyId":"{key}","status":"Active","createDate":"{date}"}}}}"#
                )),
            );
            iam(
                b,
                50,
                "AttachUserPolicy",
                format!(
                    r#"{{"userName":"{user}","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}}"#
                ),
                None,
            );
            format!("IAM user {user} created with an access key and AdministratorAccess")
        }
        1 => {
            let group = format!("{}-admins", b.ctx.acct.app);
            let gid = format!("AGPA{}", b.rng.upper_alnum(17));
            iam(
                b,
                0,
                "CreateGroup",
                format!(r#"{{"groupName":"{group}"}}"#),
                Some(format!(
                    r#"{{"group":{{"path":"/","groupName":"{group}","groupId":"{gid}","arn":"arn:aws:iam::{id}:group/{group}","createDate":"{date}"}}}}"#
                )),
            );
            iam(
                b,
                40,
                "AddUserToGroup",
                format!(r#"{{"groupName":"{group}","userName":"{user}"}}"#),
                None,
            );
            format!("IAM group {group} created and user {user} added")
        }
        2 => {
            let policy = format!(
                "{}-{}",
                b.ctx.acct.app,
                b.rng.pick(&["deploy", "ops", "break-glass"])
            );
            let pid = format!("ANPA{}", b.rng.upper_alnum(17));
            let arn = format!("arn:aws:iam::{id}:policy/{policy}");
            iam(
                b,
                0,
                "CreatePolicy",
                format!(r#"{{"policyName":"{policy}","policyDocument":"{POLICY_ADMIN}"}}"#),
                Some(format!(
                    r#"{{"policy":{{"policyName":"{policy}","policyId":"{pid}","arn":"{arn}","path":"/","defaultVersionId":"v1","attachmentCount":0,"permissionsBoundaryUsageCount":0,"isAttachable":true,"createDate":"{date}","updateDate":"{date}"}}}}"#
                )),
            );
            iam(
                b,
                90,
                "CreatePolicyVersion",
                format!(r#"{{"policyArn":"{arn}","policyDocument":"{POLICY_ADMIN}","setAsDefault":true}}"#),
                Some(format!(
                    r#"{{"policyVersion":{{"versionId":"v2","isDefaultVersion":true,"createDate":"{date}"}}}}"#
                )),
            );
            format!("customer managed policy {policy} created and given a new default version allowing *:*")
        }
        3 => {
            iam(
                b,
                0,
                "PutUserPolicy",
                format!(
                    r#"{{"userName":"{user}","policyName":"inline-admin","policyDocument":"{POLICY_ADMIN}"}}"#
                ),
                None,
            );
            format!("inline policy allowing *:* put on IAM user {user}")
        }
        _ => {
            let key = format!("AKIA{}", b.rng.upper_alnum(16));
            iam(
                b,
                0,
                "DeleteAccessKey",
                format!(r#"{{"userName":"{user}","accessKeyId":"{key}"}}"#),
                None,
            );
            format!("access key {key} of IAM user {user} deleted")
        }
    };
    (g, c.arn, description)
}

/// Routes, NACLs, gateways or VPCs changed.
pub(super) fn network_change(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let ctx = b.ctx;
    let id = ctx.id;
    let region = ctx.pick_region(&mut b.rng);
    let c = b.insider(false);
    let host = b.regional_host("ec2", region);
    let inv = &ctx.inv;
    let vpc = inv.vpcs[0].clone();
    let ec2 = |b: &mut Builder<'_, '_>, dt: i64, name: &'static str, request: String, response: String| {
        b.call(
            t + dt,
            region,
            &c,
            Call {
                source: "ec2.amazonaws.com",
                name,
                request: Some(request),
                response: Some(response),
                host: host.clone(),
                ..Call::default()
            },
        );
    };
    let description = match b.rng.below(6) {
        0 => {
            let acl = inv.network_acls[0].clone();
            let ok = b.ec2_ok();
            ec2(
                b,
                0,
                "CreateNetworkAclEntry",
                format!(
                    r#"{{"networkAclId":"{acl}","ruleNumber":90,"egress":false,"ruleAction":"allow","icmpTypeCode":{{}},"portRange":{{"from":0,"to":65535}},"aclProtocol":"6","cidrBlock":"0.0.0.0/0"}}"#
                ),
                ok,
            );
            format!("network ACL {acl} entry 90 allows all TCP from 0.0.0.0/0")
        }
        k @ (1 | 2) => {
            let name = if k == 1 { "ReplaceRoute" } else { "CreateRoute" };
            let rtb = inv.route_tables[b.rng.index(inv.route_tables.len())].clone();
            let igw = inv.internet_gateways[0].clone();
            let ok = b.ec2_ok();
            ec2(
                b,
                0,
                name,
                format!(
                    r#"{{"routeTableId":"{rtb}","destinationCidrBlock":"0.0.0.0/0","gatewayId":"{igw}"}}"#
                ),
                ok,
            );
            format!("{name} in {rtb}: 0.0.0.0/0 via {igw}")
        }
        3 => {
            let igw = format!("igw-0{}", b.rng.hex(16));
            let rid = b.rng.uuid();
            ec2(
                b,
                0,
                "CreateInternetGateway",
                "{}".to_string(),
                format!(
                    r#"{{"requestId":"{rid}","internetGateway":{{"internetGatewayId":"{igw}","ownerId":"{id}","attachmentSet":{{}},"tagSet":{{}}}}}}"#
                ),
            );
            let ok = b.ec2_ok();
            ec2(
                b,
                20,
                "AttachInternetGateway",
                format!(r#"{{"internetGatewayId":"{igw}","vpcId":"{vpc}"}}"#),
                ok,
            );
            format!("internet gateway {igw} created and attached to {vpc}")
        }
        4 => {
            let new_vpc = format!("vpc-0{}", b.rng.hex(16));
            let cidr = format!("10.{}.0.0/16", b.rng.range(20, 250));
            let (rid, assoc, dopt) = (b.rng.uuid(), b.rng.hex(16), b.rng.hex(16));
            ec2(
                b,
                0,
                "CreateVpc",
                format!(
                    r#"{{"cidrBlock":"{cidr}","instanceTenancy":"default","amazonProvidedIpv6CidrBlock":false}}"#
                ),
                format!(
                    r#"{{"requestId":"{rid}","vpc":{{"vpcId":"{new_vpc}","state":"pending","ownerId":"{id}","cidrBlock":"{cidr}","cidrBlockAssociationSet":{{"items":[{{"cidrBlock":"{cidr}","associationId":"vpc-cidr-assoc-0{assoc}","cidrBlockState":{{"state":"associated"}}}}]}},"ipv6CidrBlockAssociationSet":{{}},"dhcpOptionsId":"dopt-0{dopt}","instanceTenancy":"default","tagSet":{{}},"isDefault":false}}}}"#
                ),
            );
            format!("VPC {new_vpc} ({cidr}) created")
        }
        _ => {
            let old = inv.vpcs[inv.vpcs.len() - 1].clone();
            let ok = b.ec2_ok();
            ec2(b, 0, "DeleteVpc", format!(r#"{{"vpcId":"{old}"}}"#), ok);
            format!("VPC {old} deleted")
        }
    };
    (region, c.arn, description)
}

/// A bucket made public by policy or ACL, or its public access block removed. The account's
/// buckets live in its home region, where S3 logs their calls.
pub(super) fn s3_public(b: &mut Builder<'_, '_>, t: i64) -> (u8, String, String) {
    let ctx = b.ctx;
    let id = ctx.id;
    let region = 0;
    let r = ctx.regions[usize::from(region)];
    let c = b.insider(true);
    let bucket = ctx.inv.buckets[b.rng.index(ctx.inv.buckets.len())].clone();
    let host = format!("{bucket}.s3.{r}.amazonaws.com");
    let mut additional = String::from(
        r#"{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":"#,
    );
    let owner = b.rng.hex(64);
    let (name, request, description) = match b.rng.below(3) {
        0 => (
            "PutBucketPolicy",
            format!(
                r#"{{"bucketPolicy":{{"Version":"2012-10-17","Statement":[{{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}},"bucketName":"{bucket}","Host":"{host}","policy":""}}"#
            ),
            format!("bucket policy on {bucket} grants s3:GetObject to Principal \"*\""),
        ),
        1 => (
            "PutBucketAcl",
            format!(
                r#"{{"bucketName":"{bucket}","Host":"{host}","acl":"","AccessControlPolicy":{{"AccessControlList":{{"Grant":[{{"Grantee":{{"xsi:type":"CanonicalUser","xmlns:xsi":"http://www.w3.org/2001/XMLSchema-instance","ID":"{owner}"}},"Permission":"FULL_CONTROL"}},{{"Grantee":{{"xsi:type":"Group","xmlns:xsi":"http://www.w3.org/2001/XMLSchema-instance","URI":"http://acs.amazonaws.com/groups/global/AllUsers"}},"Permission":"READ"}}]}},"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","Owner":{{"ID":"{owner}"}}}}}}"#
            ),
            format!("bucket ACL on {bucket} grants READ to AllUsers"),
        ),
        _ => (
            "DeletePublicAccessBlock",
            format!(r#"{{"publicAccessBlock":"","bucketName":"{bucket}","Host":"{host}"}}"#),
            format!("public access block removed from {bucket}"),
        ),
    };
    let _ = write!(
        additional,
        r#"{},"AuthenticationMethod":"AuthHeader","x-amz-id-2":"{}","bytesTransferredOut":0}}"#,
        request.len(),
        b.rng.alnum(76)
    );
    let resources =
        format!(r#"[{{"accountId":"{id}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::{bucket}"}}]"#);
    b.effects.push(Effect::BucketPublic {
        t,
        region,
        bucket: bucket.clone(),
        control: if name == "DeletePublicAccessBlock" {
            "S3.8"
        } else {
            "S3.2"
        },
        via: name,
        actor: c.arn.clone(),
    });
    b.call(
        t,
        region,
        &c,
        Call {
            source: "s3.amazonaws.com",
            name,
            request: Some(request),
            resources: Some(resources),
            additional: Some(additional),
            host,
            ..Call::default()
        },
    );
    (region, c.arn, description)
}
