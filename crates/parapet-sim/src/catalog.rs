//! The background API catalogue: real eventSource/eventName pairs, who calls them, and how
//! their `requestParameters` / `responseElements` look.
//!
//! Nothing here may create a scenario pattern: no IAM, security group, network, trail, Config,
//! KMS key state, bucket policy or GuardDuty changes, and no root activity. Those come only from
//! `scenarios.rs`.

use crate::principals::Runtime;

/// How the TLS host header is formed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Host {
    Global(&'static str),
    /// `<prefix>.<region>.amazonaws.com`
    Regional(&'static str),
    /// `<bucket>.s3.<region>.amazonaws.com`
    Bucket,
}

/// Which access-denied error code the service writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Deny {
    AccessDenied,
    AccessDeniedException,
    /// EC2's `Client.UnauthorizedOperation`.
    Unauthorized,
}

/// The shape of `requestParameters` (and of the response for the writes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum P {
    Null,
    Lit(&'static str),
    Ec2Instances,
    Ec2Tags,
    ListBuckets,
    /// A bucket sub-resource GET (`acl`, `policy`, …).
    Bucket(&'static str),
    RoleName,
    PolicyArn,
    Function,
    FunctionArn,
    DbInstance,
    LogStreams,
    KeyId,
    Decrypt,
    GenerateDataKey,
    AssumeRole,
    TrailStatus,
    Detector,
    DetectorFindings,
    Secret,
    Parameter,
    CreateLogStream,
    UpdateInstanceInformation,
    CreateTags,
    RunInstances,
    OuParent,
    AccountTags,
    RotateKey,
}

/// One background API. `w` are weights per actor class (Human, Automation, Workload,
/// Recorder, Service).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Api {
    pub source: &'static str,
    pub name: &'static str,
    /// `prefix:Action` as IAM names it.
    pub action: &'static str,
    pub host: Host,
    /// Logged in us-east-1 whatever the caller's region.
    pub global: bool,
    pub read_only: bool,
    pub p: P,
    pub deny: Deny,
    pub w: [u16; 5],
    /// Only callable by this runtime (e.g. the SSM agent on EC2).
    pub only: Option<Runtime>,
    /// Only in the management account (Organizations).
    pub mgmt: bool,
}

// A table row constructor: one argument per column reads better than a struct literal here.
#[allow(clippy::too_many_arguments)]
const fn api(
    source: &'static str,
    name: &'static str,
    action: &'static str,
    host: Host,
    read_only: bool,
    p: P,
    deny: Deny,
    w: [u16; 5],
) -> Api {
    let global = matches!(host, Host::Global(_));
    Api {
        source,
        name,
        action,
        host,
        global,
        read_only,
        p,
        deny,
        w,
        only: None,
        mgmt: false,
    }
}

const fn only(mut a: Api, r: Runtime) -> Api {
    a.only = Some(r);
    a
}

const fn mgmt(mut a: Api) -> Api {
    a.mgmt = true;
    a
}

use Deny::{AccessDenied as AD, AccessDeniedException as ADE, Unauthorized as UO};
use Host::{Bucket as HB, Global as G, Regional as R};

const EC2: &str = "ec2.amazonaws.com";
const S3: &str = "s3.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";
const KMS: &str = "kms.amazonaws.com";
const STS: &str = "sts.amazonaws.com";

/// Index of `sts:GetCallerIdentity`, the fallback when an actor cannot call what was drawn.
pub(crate) const GET_CALLER_IDENTITY: usize = 0;

#[rustfmt::skip]
pub(crate) static APIS: &[Api] = &[
    api(STS, "GetCallerIdentity", "sts:GetCallerIdentity", G("sts.amazonaws.com"), true, P::Null, AD, [40, 200, 50, 0, 0]),
    api(STS, "AssumeRole", "sts:AssumeRole", G("sts.amazonaws.com"), true, P::AssumeRole, AD, [0, 150, 50, 0, 6000]),
    // EC2
    api(EC2, "DescribeInstances", "ec2:DescribeInstances", R("ec2"), true, P::Ec2Instances, UO, [120, 60, 20, 60, 0]),
    api(EC2, "DescribeSecurityGroups", "ec2:DescribeSecurityGroups", R("ec2"), true, P::Lit(r#"{"securityGroupSet":{},"securityGroupIdSet":{},"filterSet":{}}"#), UO, [60, 40, 0, 80, 0]),
    api(EC2, "DescribeVpcs", "ec2:DescribeVpcs", R("ec2"), true, P::Lit(r#"{"vpcSet":{},"filterSet":{}}"#), UO, [40, 30, 0, 60, 0]),
    api(EC2, "DescribeSubnets", "ec2:DescribeSubnets", R("ec2"), true, P::Lit(r#"{"subnetSet":{},"filterSet":{}}"#), UO, [30, 30, 0, 60, 0]),
    api(EC2, "DescribeVolumes", "ec2:DescribeVolumes", R("ec2"), true, P::Lit(r#"{"volumeSet":{},"filterSet":{}}"#), UO, [20, 10, 0, 50, 0]),
    api(EC2, "DescribeRouteTables", "ec2:DescribeRouteTables", R("ec2"), true, P::Lit(r#"{"routeTableIdSet":{},"filterSet":{}}"#), UO, [10, 20, 0, 50, 0]),
    api(EC2, "DescribeNetworkAcls", "ec2:DescribeNetworkAcls", R("ec2"), true, P::Lit(r#"{"networkAclIdSet":{},"filterSet":{}}"#), UO, [5, 10, 0, 40, 0]),
    api(EC2, "DescribeInternetGateways", "ec2:DescribeInternetGateways", R("ec2"), true, P::Lit(r#"{"internetGatewayIdSet":{},"filterSet":{}}"#), UO, [5, 10, 0, 40, 0]),
    api(EC2, "DescribeRegions", "ec2:DescribeRegions", R("ec2"), true, P::Lit(r#"{"regionSet":{},"allRegions":false}"#), UO, [30, 20, 0, 0, 0]),
    api(EC2, "DescribeInstanceStatus", "ec2:DescribeInstanceStatus", R("ec2"), true, P::Lit(r#"{"instancesSet":{},"filterSet":{},"includeAllInstances":false}"#), UO, [20, 0, 10, 0, 0]),
    api(EC2, "DescribeTags", "ec2:DescribeTags", R("ec2"), true, P::Ec2Tags, UO, [10, 10, 40, 0, 0]),
    api(EC2, "CreateTags", "ec2:CreateTags", R("ec2"), false, P::CreateTags, UO, [8, 30, 0, 0, 0]),
    api(EC2, "RunInstances", "ec2:RunInstances", R("ec2"), false, P::RunInstances, UO, [0, 3, 0, 0, 0]),
    // S3 (bucket-level management events only; object calls are data events)
    api(S3, "ListBuckets", "s3:ListAllMyBuckets", G("s3.amazonaws.com"), true, P::ListBuckets, AD, [80, 20, 20, 0, 0]),
    api(S3, "GetBucketLocation", "s3:GetBucketLocation", HB, true, P::Bucket("location"), AD, [40, 30, 40, 20, 0]),
    api(S3, "GetBucketAcl", "s3:GetBucketAcl", HB, true, P::Bucket("acl"), AD, [20, 10, 0, 50, 0]),
    api(S3, "GetBucketPolicy", "s3:GetBucketPolicy", HB, true, P::Bucket("policy"), AD, [20, 10, 0, 50, 0]),
    api(S3, "GetBucketEncryption", "s3:GetEncryptionConfiguration", HB, true, P::Bucket("encryption"), AD, [10, 10, 0, 40, 0]),
    api(S3, "GetBucketVersioning", "s3:GetBucketVersioning", HB, true, P::Bucket("versioning"), AD, [10, 10, 0, 40, 0]),
    api(S3, "GetBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock", HB, true, P::Bucket("publicAccessBlock"), AD, [10, 10, 0, 40, 0]),
    // IAM (global)
    api(IAM, "ListRoles", "iam:ListRoles", G("iam.amazonaws.com"), true, P::Null, AD, [50, 20, 0, 20, 0]),
    api(IAM, "ListUsers", "iam:ListUsers", G("iam.amazonaws.com"), true, P::Null, AD, [30, 10, 0, 20, 0]),
    api(IAM, "GetRole", "iam:GetRole", G("iam.amazonaws.com"), true, P::RoleName, AD, [40, 60, 0, 60, 0]),
    api(IAM, "ListAttachedRolePolicies", "iam:ListAttachedRolePolicies", G("iam.amazonaws.com"), true, P::RoleName, AD, [20, 40, 0, 50, 0]),
    api(IAM, "ListRolePolicies", "iam:ListRolePolicies", G("iam.amazonaws.com"), true, P::RoleName, AD, [10, 30, 0, 50, 0]),
    api(IAM, "GetPolicy", "iam:GetPolicy", G("iam.amazonaws.com"), true, P::PolicyArn, AD, [20, 20, 0, 40, 0]),
    api(IAM, "GetAccountSummary", "iam:GetAccountSummary", G("iam.amazonaws.com"), true, P::Null, AD, [15, 0, 0, 0, 0]),
    api(IAM, "ListAccountAliases", "iam:ListAccountAliases", G("iam.amazonaws.com"), true, P::Null, AD, [15, 0, 0, 0, 0]),
    // Lambda
    api("lambda.amazonaws.com", "ListFunctions20150331", "lambda:ListFunctions", R("lambda"), true, P::Null, AD, [50, 20, 0, 0, 0]),
    api("lambda.amazonaws.com", "GetFunction20150331v2", "lambda:GetFunction", R("lambda"), true, P::Function, AD, [30, 40, 0, 30, 0]),
    api("lambda.amazonaws.com", "GetFunctionConfiguration20150331v2", "lambda:GetFunctionConfiguration", R("lambda"), true, P::Function, AD, [10, 20, 0, 20, 0]),
    api("lambda.amazonaws.com", "ListTags20170331", "lambda:ListTags", R("lambda"), true, P::FunctionArn, AD, [5, 20, 0, 20, 0]),
    // RDS
    api("rds.amazonaws.com", "DescribeDBInstances", "rds:DescribeDBInstances", R("rds"), true, P::DbInstance, AD, [30, 10, 0, 30, 0]),
    api("rds.amazonaws.com", "DescribeDBClusters", "rds:DescribeDBClusters", R("rds"), true, P::Lit(r#"{"includeShared":false}"#), AD, [15, 5, 0, 20, 0]),
    api("rds.amazonaws.com", "DescribeDBSnapshots", "rds:DescribeDBSnapshots", R("rds"), true, P::DbInstance, AD, [5, 5, 0, 10, 0]),
    // CloudWatch and CloudWatch Logs
    api("monitoring.amazonaws.com", "DescribeAlarms", "cloudwatch:DescribeAlarms", R("monitoring"), true, P::Lit(r#"{"maxRecords":100}"#), AD, [60, 10, 0, 10, 0]),
    api("monitoring.amazonaws.com", "DescribeAlarmHistory", "cloudwatch:DescribeAlarmHistory", R("monitoring"), true, P::Lit(r#"{"historyItemType":"StateUpdate","maxRecords":50}"#), AD, [15, 0, 0, 0, 0]),
    api("monitoring.amazonaws.com", "ListDashboards", "cloudwatch:ListDashboards", R("monitoring"), true, P::Null, AD, [20, 0, 0, 0, 0]),
    api("logs.amazonaws.com", "DescribeLogGroups", "logs:DescribeLogGroups", R("logs"), true, P::Lit(r#"{"limit":50}"#), ADE, [50, 10, 0, 10, 0]),
    api("logs.amazonaws.com", "DescribeLogStreams", "logs:DescribeLogStreams", R("logs"), true, P::LogStreams, ADE, [40, 0, 0, 0, 0]),
    api("logs.amazonaws.com", "CreateLogStream", "logs:CreateLogStream", R("logs"), false, P::CreateLogStream, ADE, [0, 0, 150, 0, 0]),
    // KMS
    api(KMS, "ListAliases", "kms:ListAliases", R("kms"), true, P::Null, ADE, [20, 10, 0, 20, 0]),
    api(KMS, "DescribeKey", "kms:DescribeKey", R("kms"), true, P::KeyId, ADE, [10, 20, 10, 40, 0]),
    api(KMS, "Decrypt", "kms:Decrypt", R("kms"), true, P::Decrypt, ADE, [0, 0, 80, 0, 2300]),
    api(KMS, "GenerateDataKey", "kms:GenerateDataKey", R("kms"), true, P::GenerateDataKey, ADE, [0, 0, 40, 0, 1700]),
    api(KMS, "RotateKey", "kms:RotateKey", R("kms"), false, P::RotateKey, ADE, [0, 0, 0, 0, 1]),
    // Secrets Manager, SSM
    api("secretsmanager.amazonaws.com", "GetSecretValue", "secretsmanager:GetSecretValue", R("secretsmanager"), true, P::Secret, ADE, [3, 5, 100, 0, 0]),
    api("ssm.amazonaws.com", "GetParameter", "ssm:GetParameter", R("ssm"), true, P::Parameter, ADE, [5, 20, 80, 0, 0]),
    only(api("ssm.amazonaws.com", "UpdateInstanceInformation", "ssm:UpdateInstanceInformation", R("ssm"), false, P::UpdateInstanceInformation, ADE, [0, 0, 400, 0, 0]), Runtime::Ec2),
    // CloudTrail, Config, GuardDuty reads
    api("cloudtrail.amazonaws.com", "DescribeTrails", "cloudtrail:DescribeTrails", R("cloudtrail"), true, P::Lit(r#"{"trailNameList":[],"includeShadowTrails":true}"#), ADE, [15, 5, 0, 10, 0]),
    api("cloudtrail.amazonaws.com", "GetTrailStatus", "cloudtrail:GetTrailStatus", R("cloudtrail"), true, P::TrailStatus, ADE, [5, 5, 0, 10, 0]),
    api("cloudtrail.amazonaws.com", "LookupEvents", "cloudtrail:LookupEvents", R("cloudtrail"), true, P::Lit(r#"{"maxResults":50,"lookupAttributes":[{"attributeKey":"ReadOnly","attributeValue":"false"}]}"#), ADE, [20, 0, 0, 0, 0]),
    api("config.amazonaws.com", "DescribeConfigRules", "config:DescribeConfigRules", R("config"), true, P::Null, ADE, [10, 0, 0, 10, 0]),
    api("config.amazonaws.com", "DescribeConfigurationRecorderStatus", "config:DescribeConfigurationRecorderStatus", R("config"), true, P::Null, ADE, [5, 5, 0, 10, 0]),
    api("config.amazonaws.com", "DescribeComplianceByConfigRule", "config:DescribeComplianceByConfigRule", R("config"), true, P::Lit(r#"{"complianceTypes":["NON_COMPLIANT"]}"#), ADE, [10, 0, 0, 0, 0]),
    api("guardduty.amazonaws.com", "ListDetectors", "guardduty:ListDetectors", R("guardduty"), true, P::Null, ADE, [10, 5, 0, 10, 0]),
    api("guardduty.amazonaws.com", "GetDetector", "guardduty:GetDetector", R("guardduty"), true, P::Detector, ADE, [5, 5, 0, 10, 0]),
    api("guardduty.amazonaws.com", "ListFindings", "guardduty:ListFindings", R("guardduty"), true, P::DetectorFindings, ADE, [15, 0, 0, 0, 0]),
    // Organizations (management account only)
    mgmt(api("organizations.amazonaws.com", "ListAccounts", "organizations:ListAccounts", G("organizations.us-east-1.amazonaws.com"), true, P::Null, ADE, [60, 60, 30, 0, 0])),
    mgmt(api("organizations.amazonaws.com", "DescribeOrganization", "organizations:DescribeOrganization", G("organizations.us-east-1.amazonaws.com"), true, P::Null, ADE, [40, 40, 20, 0, 0])),
    mgmt(api("organizations.amazonaws.com", "ListAccountsForParent", "organizations:ListAccountsForParent", G("organizations.us-east-1.amazonaws.com"), true, P::OuParent, ADE, [20, 10, 0, 0, 0])),
    mgmt(api("organizations.amazonaws.com", "ListTagsForResource", "organizations:ListTagsForResource", G("organizations.us-east-1.amazonaws.com"), true, P::AccountTags, ADE, [10, 30, 40, 0, 0])),
];

/// Which error (if any) a background call ends with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fail {
    None,
    Denied,
    Throttled,
    NotFound,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_consistent_and_harmless() {
        assert_eq!(APIS[GET_CALLER_IDENTITY].name, "GetCallerIdentity");
        let forbidden = [
            "AuthorizeSecurityGroupIngress",
            "CreateUser",
            "CreateAccessKey",
            "AttachUserPolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "StopLogging",
            "DeleteTrail",
            "UpdateTrail",
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "DisableKey",
            "ScheduleKeyDeletion",
            "PutBucketPolicy",
            "PutBucketAcl",
            "DeletePublicAccessBlock",
            "DeleteDetector",
            "CreateRoute",
            "ReplaceRoute",
            "CreateVpc",
            "ConsoleLogin",
        ];
        for a in APIS {
            assert!(
                !forbidden.contains(&a.name),
                "{} must not be background noise",
                a.name
            );
            assert!(a.action.contains(':'));
            assert!(a.source.ends_with(".amazonaws.com"));
        }
    }
}
