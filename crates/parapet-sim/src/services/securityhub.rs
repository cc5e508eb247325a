//! Security Hub control findings (consolidated: one finding per control and resource,
//! `security-control/<id>`) as the delegated administrator (the audit account) receives them
//! in its aggregation region and a Firehose writes the EventBridge events to S3: JSON lines of
//! "Security Hub Findings - Imported", one file per member account and day.
//!
//! Background: a stable set of checks per account (CloudTrail.1, Config.1, GuardDuty.1, EC2.2,
//! EC2.6, EC2.7, EC2.13, EC2.14, KMS.4 per region; S3.2, S3.5, S3.8 per bucket; IAM.4 and IAM.6
//! once), evaluated on the first day and re-evaluated about every other day (same finding
//! `Id`, new `UpdatedAt`). Most pass; those the account's [`Posture`] fails (a default security
//! group that allows traffic, a bucket without an SSL-only policy, a key without rotation, …)
//! fail all run long. Scenarios fail a control: a security group opened to the world (EC2.13
//! for SSH, EC2.14 for RDP), a public bucket (S3.2 or S3.8), a deleted GuardDuty detector
//! (GuardDuty.1) and a stopped Config recorder (Config.1). Controls backed by Config rules are
//! no longer evaluated in a region whose recorder is stopped.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::network::Network;
use super::posture::Posture;
use super::{ms_time, Day, Out};
use crate::account::AccountCtx;
use crate::error::SimError;
use crate::layout::stamp_parts;
use crate::record::time_string;
use crate::rng::Rng;
use crate::scenarios::{Effect, ScenarioKind, Truth};

pub(crate) const TABLE: &str = "securityhub";
/// Where the delegated administrator aggregates findings (and its Firehose runs).
pub(crate) const AGGREGATION_REGION: &str = "us-east-1";

const AFSBP: &str = "standards/aws-foundational-security-best-practices/v/1.0.0";
const CIS: &str = "standards/cis-aws-foundations-benchmark/v/1.4.0";

struct Control {
    id: &'static str,
    title: &'static str,
    description: &'static str,
    severity: &'static str,
    /// The Config rule Security Hub evaluates it with (`None`: Security Hub checks it itself).
    rule: Option<&'static str>,
    cis: bool,
}

const CONTROLS: &[Control] = &[
    Control {
        id: "CloudTrail.1",
        title: "CloudTrail should be enabled and configured with at least one multi-Region trail that includes read and write management events",
        description: "This control checks if there is at least one multi-Region AWS CloudTrail trail that captures read and write management events. The control fails if CloudTrail is disabled or if there isn't at least one CloudTrail trail that captures read and write management events.",
        severity: "HIGH",
        rule: Some("multi-region-cloud-trail-enabled"),
        cis: true,
    },
    Control {
        id: "Config.1",
        title: "AWS Config should be enabled and use the service-linked role for resource recording",
        description: "This control checks whether AWS Config is enabled in your account in the current AWS Region, records all resources that correspond to controls that are enabled in the current Region, and uses the service-linked AWS Config role. The control fails if AWS Config isn't enabled or isn't recording the resources.",
        severity: "MEDIUM",
        rule: None,
        cis: true,
    },
    Control {
        id: "GuardDuty.1",
        title: "GuardDuty should be enabled",
        description: "This control checks whether Amazon GuardDuty is enabled in your AWS account and Region. The control fails if GuardDuty is not enabled in the current Region.",
        severity: "HIGH",
        rule: Some("guardduty-enabled-centralized"),
        cis: false,
    },
    Control {
        id: "IAM.4",
        title: "IAM root user access key should not exist",
        description: "This control checks whether the root user access key is present. The control fails if the root user access key exists.",
        severity: "CRITICAL",
        rule: Some("iam-root-access-key-check"),
        cis: true,
    },
    Control {
        id: "IAM.6",
        title: "Hardware MFA should be enabled for the root user",
        description: "This control checks whether your AWS account is enabled to use a hardware multi-factor authentication (MFA) device to sign in with root user credentials. The control fails if hardware MFA is not enabled.",
        severity: "CRITICAL",
        rule: Some("root-account-hardware-mfa-enabled"),
        cis: true,
    },
    Control {
        id: "EC2.2",
        title: "VPC default security groups should not allow inbound or outbound traffic",
        description: "This control checks whether the default security group of a VPC allows inbound or outbound traffic. The control fails if the security group allows inbound or outbound traffic.",
        severity: "HIGH",
        rule: Some("vpc-default-security-group-closed"),
        cis: true,
    },
    Control {
        id: "EC2.6",
        title: "VPC flow logging should be enabled in all VPCs",
        description: "This control checks whether Amazon VPC flow logs are found and enabled for VPCs. The control fails if flow logs aren't enabled for the VPC.",
        severity: "MEDIUM",
        rule: Some("vpc-flow-logs-enabled"),
        cis: true,
    },
    Control {
        id: "EC2.7",
        title: "EBS default encryption should be enabled",
        description: "This control checks whether account-level encryption is enabled by default for Amazon Elastic Block Store (Amazon EBS). The control fails if the account-level encryption isn't enabled.",
        severity: "MEDIUM",
        rule: Some("ec2-ebs-encryption-by-default"),
        cis: true,
    },
    Control {
        id: "EC2.13",
        title: "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 22",
        description: "This control checks whether an Amazon EC2 security group allows ingress from 0.0.0.0/0 or ::/0 to port 22. The control fails if the security group allows ingress from 0.0.0.0/0 or ::/0 to port 22.",
        severity: "HIGH",
        rule: Some("restricted-ssh"),
        cis: false,
    },
    Control {
        id: "EC2.14",
        title: "Security groups should not allow ingress from 0.0.0.0/0 or ::/0 to port 3389",
        description: "This control checks whether an Amazon EC2 security group allows ingress from 0.0.0.0/0 or ::/0 to port 3389. The control fails if the security group allows ingress from 0.0.0.0/0 or ::/0 to port 3389.",
        severity: "HIGH",
        rule: Some("restricted-rdp"),
        cis: false,
    },
    Control {
        id: "KMS.4",
        title: "AWS KMS key rotation should be enabled",
        description: "This control checks whether automatic key rotation is enabled for each customer managed AWS KMS key. The control fails if automatic key rotation isn't enabled for the KMS key.",
        severity: "MEDIUM",
        rule: Some("cmk-backing-key-rotation-enabled"),
        cis: true,
    },
    Control {
        id: "S3.2",
        title: "S3 general purpose buckets should block public read access",
        description: "This control checks whether an Amazon S3 general purpose bucket permits public read access. It evaluates the Block Public Access settings, the bucket policy, and the bucket access control list (ACL). The control fails if the bucket permits public read access.",
        severity: "CRITICAL",
        rule: Some("s3-bucket-public-read-prohibited"),
        cis: false,
    },
    Control {
        id: "S3.5",
        title: "S3 general purpose buckets should require requests to use SSL",
        description: "This control checks whether an Amazon S3 general purpose bucket has a policy that requires requests to use SSL. The control fails if the bucket policy doesn't require requests to use SSL.",
        severity: "MEDIUM",
        rule: Some("s3-bucket-ssl-requests-only"),
        cis: true,
    },
    Control {
        id: "S3.8",
        title: "S3 general purpose buckets should block public access",
        description: "This control checks whether an Amazon S3 general purpose bucket blocks public access at the bucket level. The control fails if any of the following settings are set to false: ignorePublicAcls, blockPublicPolicy, blockPublicAcls, restrictPublicBuckets.",
        severity: "HIGH",
        rule: Some("s3-bucket-level-public-access-prohibited"),
        cis: true,
    },
];

/// The control of an id (every id used here is in [`CONTROLS`]).
fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.id == id)
}

fn normalized(label: &str) -> u32 {
    match label {
        "CRITICAL" => 90,
        "HIGH" => 70,
        "MEDIUM" => 40,
        "LOW" => 1,
        _ => 0,
    }
}

/// One control evaluated on one resource: one finding, updated at each evaluation.
struct Check {
    control: &'static Control,
    /// Index into [`AccountCtx::regions`].
    region: u8,
    /// ASFF resource type (`AwsEc2SecurityGroup`).
    rtype: &'static str,
    /// ASFF resource id (an ARN, or `AWS::::Account:<id>`).
    resource: String,
    id: String,
    /// The Config rule's name (with Security Hub's suffix).
    rule: Option<String>,
    failed: bool,
    /// First evaluation: `CreatedAt` and `FirstObservedAt`.
    created: Option<i64>,
}

/// What Security Hub remembers across days for one account.
#[derive(Default)]
pub(crate) struct State {
    checks: Vec<Check>,
    /// Region index → when its Config recorder stopped.
    config_stopped: BTreeMap<u8, i64>,
}

fn build(ctx: &AccountCtx<'_>, net: &Network, posture: &Posture, rng: &mut Rng) -> Vec<Check> {
    let acct = ctx.id;
    let inv = &ctx.inv;
    let mut checks = Vec::new();
    let account_resource = format!("AWS::::Account:{acct}");
    // Security Hub names a rule `securityhub-<rule>-<8 hex>`, once per region.
    let mut suffixes: BTreeMap<(u8, &'static str), String> = BTreeMap::new();
    let mut add =
        |rng: &mut Rng, id: &str, region: u8, rtype: &'static str, resource: String, failed: bool| {
            let Some(c) = control(id) else { return };
            let r = ctx.regions[usize::from(region)];
            let rule = c.rule.map(|name| {
                let suffix = suffixes
                    .entry((region, c.id))
                    .or_insert_with(|| rng.hex(8))
                    .clone();
                format!("securityhub-{name}-{suffix}")
            });
            checks.push(Check {
                control: c,
                region,
                rtype,
                id: format!(
                    "arn:aws:securityhub:{r}:{acct}:security-control/{}/finding/{}",
                    c.id,
                    rng.uuid()
                ),
                resource,
                rule,
                failed,
                created: None,
            });
        };
    for r in 0..ctx.acct.regions.len() {
        let region = ctx.regions[r];
        let ri = r as u8;
        for id in ["CloudTrail.1", "Config.1", "GuardDuty.1"] {
            add(rng, id, ri, "AwsAccount", account_resource.clone(), false);
        }
        let ebs = posture.ebs_default_encryption.get(r).copied().unwrap_or(true);
        add(rng, "EC2.7", ri, "AwsAccount", account_resource.clone(), !ebs);
        let sg_arn = |sg: &str| format!("arn:aws:ec2:{region}:{acct}:security-group/{sg}");
        if let Some(default) = inv.security_groups.first() {
            add(
                rng,
                "EC2.2",
                ri,
                "AwsEc2SecurityGroup",
                sg_arn(default),
                !posture.default_sg_closed,
            );
        }
        for vpc in &inv.vpcs {
            // Only the region's own VPC has a flow log (the default VPC has none).
            let logged = net.regions.get(r).is_some_and(|n| n.vpc == *vpc);
            add(
                rng,
                "EC2.6",
                ri,
                "AwsEc2Vpc",
                format!("arn:aws:ec2:{region}:{acct}:vpc/{vpc}"),
                !logged,
            );
        }
        for sg in &inv.security_groups {
            for id in ["EC2.13", "EC2.14"] {
                add(rng, id, ri, "AwsEc2SecurityGroup", sg_arn(sg), false);
            }
        }
        for (i, key) in inv.kms_keys.iter().enumerate() {
            let rotated = posture.key_rotation.get(i).copied().unwrap_or(true);
            add(
                rng,
                "KMS.4",
                ri,
                "AwsKmsKey",
                format!("arn:aws:kms:{region}:{acct}:key/{key}"),
                !rotated,
            );
        }
        if r == 0 {
            for (i, bucket) in inv.buckets.iter().enumerate() {
                let arn = format!("arn:aws:s3:::{bucket}");
                let ssl = posture.bucket_ssl_only.get(i).copied().unwrap_or(true);
                add(rng, "S3.2", ri, "AwsS3Bucket", arn.clone(), false);
                add(rng, "S3.5", ri, "AwsS3Bucket", arn.clone(), !ssl);
                add(rng, "S3.8", ri, "AwsS3Bucket", arn, false);
            }
        }
    }
    // IAM is global: Security Hub evaluates it in one region.
    let g = ctx.global_region;
    add(
        rng,
        "IAM.4",
        g,
        "AwsAccount",
        account_resource.clone(),
        posture.root_access_key,
    );
    add(
        rng,
        "IAM.6",
        g,
        "AwsAccount",
        account_resource,
        !posture.root_hardware_mfa,
    );
    checks
}

/// The finding of a check evaluated at `t` (epoch ms).
fn finding(ctx: &AccountCtx<'_>, c: &Check, t_ms: i64) -> Value {
    let region = ctx.regions[usize::from(c.region)];
    let ctl = c.control;
    let at = |ms: i64| ms_time(ms.div_euclid(1000), ms.rem_euclid(1000) as u64);
    let created = c.created.unwrap_or(t_ms);
    let (status, label, workflow) = if c.failed {
        ("FAILED", ctl.severity, "NEW")
    } else {
        ("PASSED", "INFORMATIONAL", "RESOLVED")
    };
    let mut standards = vec![json!({"StandardsId": AFSBP, "StandardsStatus": "ENABLED"})];
    if ctl.cis {
        standards.push(json!({"StandardsId": CIS, "StandardsStatus": "ENABLED"}));
    }
    let types = ["Software and Configuration Checks/Industry and Regulatory Standards"];
    let mut fields = json!({
        "aws/securityhub/ProductName": "Security Hub",
        "aws/securityhub/CompanyName": "AWS",
        "Resources:0/Id": c.resource,
        "aws/securityhub/FindingId": format!("arn:aws:securityhub:{region}::product/aws/securityhub/{}", c.id),
    });
    if let (Some(rule), Some(o)) = (&c.rule, fields.as_object_mut()) {
        o.insert("RelatedAWSResources:0/name".into(), json!(rule));
        o.insert(
            "RelatedAWSResources:0/type".into(),
            json!("AWS::Config::ConfigRule"),
        );
    }
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": c.id,
        "ProductArn": format!("arn:aws:securityhub:{region}::product/aws/securityhub"),
        "ProductName": "Security Hub",
        "CompanyName": "AWS",
        "Region": region,
        "GeneratorId": format!("security-control/{}", ctl.id),
        "AwsAccountId": ctx.id,
        "Types": types,
        "FirstObservedAt": at(created),
        "LastObservedAt": at(t_ms),
        "CreatedAt": at(created),
        "UpdatedAt": at(t_ms),
        "ProcessedAt": at(t_ms + 1500),
        "Severity": {"Label": label, "Normalized": normalized(label), "Original": ctl.severity},
        "Title": ctl.title,
        "Description": ctl.description,
        "Remediation": {"Recommendation": {
            "Text": "For information on how to correct this issue, consult the AWS Security Hub controls documentation.",
            "Url": format!("https://docs.aws.amazon.com/console/securityhub/{}/remediation", ctl.id),
        }},
        "ProductFields": fields,
        "Resources": [{"Type": c.rtype, "Id": c.resource, "Partition": "aws", "Region": region}],
        "Compliance": {"Status": status, "SecurityControlId": ctl.id, "AssociatedStandards": standards},
        "WorkflowState": "NEW",
        "Workflow": {"Status": workflow},
        "RecordState": "ACTIVE",
        "FindingProviderFields": {"Severity": {"Label": label, "Original": ctl.severity}, "Types": types},
    })
}

fn key(ctx: &AccountCtx<'_>, stamp: i64, rng: &mut Rng) -> String {
    let (y, m, d, hh, mm, ss) = stamp_parts(stamp);
    format!(
        "{org}/AWSLogs/{audit}/SecurityHub/{AGGREGATION_REGION}/{y:04}/{m:02}/{d:02}/securityhub-findings-1-{y:04}-{m:02}-{d:02}-{hh:02}-{mm:02}-{ss:02}-{uuid}.jsonl.gz",
        org = ctx.org.id,
        audit = ctx.org.audit_account_id.as_str(),
        uuid = rng.uuid()
    )
}

/// An evaluation of one check.
struct Eval {
    t: i64,
    seq: u32,
    check: usize,
    /// A scenario's: fails the check, and leaves this truth line (time and id filled in).
    fail: Option<(ScenarioKind, String, String)>,
}

impl State {
    /// The check of `control` on `resource` in region `region`.
    fn find(&self, control: &str, region: u8, resource: &str) -> Option<usize> {
        self.checks
            .iter()
            .position(|c| c.control.id == control && c.region == region && c.resource == resource)
    }

    /// Whether the check can be evaluated at `t`: controls backed by Config rules stop with the
    /// region's recorder.
    fn live(&self, c: &Check, t: i64) -> bool {
        c.control.rule.is_none() || self.config_stopped.get(&c.region).is_none_or(|&s| t < s)
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
    if state.checks.is_empty() {
        let mut build_rng = Rng::derive(day.seed, &[0x5EC1, day.account as u64]);
        state.checks = build(ctx, net, posture, &mut build_rng);
    }
    let acct = ctx.id;
    let day_end = day.start + 86_400;
    let mut evals = Vec::new();
    let mut seq = 0u32;
    let mut next = || {
        seq += 1;
        seq
    };
    // Evaluated on enabling (the first day, within hours), then about every other day.
    for i in 0..state.checks.len() {
        let (chance, lo, hi) = if day.index == 0 {
            (1.0, 600, 6 * 3600)
        } else {
            (0.5, 0, 86_000)
        };
        if rng.chance(chance) {
            let t = day.start + rng.range(lo, hi) as i64;
            evals.push(Eval {
                t,
                seq: next(),
                check: i,
                fail: None,
            });
        }
    }
    // Change-triggered controls follow the change within minutes (after Config has recorded
    // it, which takes up to five), periodic ones within hours.
    let soon = |rng: &mut Rng, t: i64| (t + rng.range(330, 1200) as i64).min(day_end - 1);
    let later = |rng: &mut Rng, t: i64| (t + rng.range(900, 4 * 3600) as i64).min(day_end - 1);
    for e in day.effects {
        let (t, check, kind, actor, what) = match e {
            Effect::SgOpened {
                t,
                region,
                sg,
                port,
                cidr,
                actor,
            } => {
                let control = match port {
                    22 => "EC2.13",
                    3389 => "EC2.14",
                    _ => continue,
                };
                let r = ctx.regions[usize::from(*region)];
                let arn = format!("arn:aws:ec2:{r}:{acct}:security-group/{sg}");
                (
                    soon(rng, *t),
                    state.find(control, *region, &arn),
                    ScenarioKind::SgOpenWorld,
                    actor,
                    format!("{control} FAILED: {sg} allows tcp/{port} from {cidr}"),
                )
            }
            Effect::BucketPublic {
                t,
                region,
                bucket,
                control,
                actor,
                ..
            } => (
                soon(rng, *t),
                state.find(control, *region, &format!("arn:aws:s3:::{bucket}")),
                ScenarioKind::S3BucketPublic,
                actor,
                format!("{control} FAILED for bucket {bucket}"),
            ),
            Effect::DetectorDeleted { t, region, actor } => (
                later(rng, *t),
                state.find("GuardDuty.1", *region, &format!("AWS::::Account:{acct}")),
                ScenarioKind::GuarddutyDisabled,
                actor,
                format!("GuardDuty.1 FAILED in {}", ctx.regions[usize::from(*region)]),
            ),
            Effect::RecorderStopped { t, region, actor } => {
                state
                    .config_stopped
                    .entry(*region)
                    .and_modify(|s| *s = (*s).min(*t))
                    .or_insert(*t);
                (
                    later(rng, *t),
                    state.find("Config.1", *region, &format!("AWS::::Account:{acct}")),
                    ScenarioKind::ConfigRecorderStopped,
                    actor,
                    format!("Config.1 FAILED in {}", ctx.regions[usize::from(*region)]),
                )
            }
            Effect::RootSignIn { .. } => continue,
        };
        let Some(check) = check else { continue };
        evals.push(Eval {
            t,
            seq: next(),
            check,
            fail: Some((kind, actor.clone(), what)),
        });
    }
    evals.sort_by_key(|e| (e.t, e.seq));

    let mut text = String::new();
    let mut n = 0u64;
    let mut last = day.start;
    for e in evals {
        if !state.live(&state.checks[e.check], e.t) {
            continue;
        }
        let t_ms = e.t * 1000 + rng.below(1000) as i64;
        let c = &mut state.checks[e.check];
        if e.fail.is_some() {
            c.failed = true;
        }
        c.created.get_or_insert(t_ms);
        let c = &state.checks[e.check];
        let f = finding(ctx, c, t_ms);
        let event = json!({
            "version": "0",
            "id": rng.uuid(),
            "detail-type": "Security Hub Findings - Imported",
            "source": "aws.securityhub",
            "account": acct,
            "time": time_string(e.t),
            "region": AGGREGATION_REGION,
            "resources": [c.id],
            "detail": {"findings": [f]},
        });
        text.push_str(&event.to_string());
        text.push('\n');
        n += 1;
        last = e.t;
        if let Some((kind, actor, what)) = e.fail {
            out.truth.push(Truth {
                scenario: kind.id(),
                table: TABLE,
                account_id: acct.to_string(),
                region: ctx.regions[usize::from(c.region)].to_string(),
                time: time_string(e.t),
                actor,
                event_ids: vec![c.id.clone()],
                indicator: None,
                records: None,
                description: format!("Security Hub: {what}"),
            });
        }
    }
    if n > 0 {
        // Firehose names the object after its delivery, at the end of its buffer.
        let stamp = (last + 60).min(day_end - 1);
        let k = key(ctx, stamp, rng);
        out.file(TABLE, &k, text.as_bytes(), n)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::Organization;
    use crate::SimConfig;

    #[test]
    fn checks_and_their_findings() {
        let cfg = SimConfig {
            accounts: 6,
            ..SimConfig::default()
        };
        let org = Organization::generate(&cfg);
        let ctx = AccountCtx::new(&org, 4, cfg.seed);
        let net = Network::build(&ctx, 4, cfg.seed);
        let posture = Posture::build(&ctx, 4, cfg.seed);
        let mut checks = build(&ctx, &net, &posture, &mut Rng::new(2));
        let n = |id: &str| checks.iter().filter(|c| c.control.id == id).count();
        let regions = ctx.acct.regions.len();
        assert_eq!(n("EC2.13"), regions * ctx.inv.security_groups.len());
        assert_eq!(n("S3.8"), ctx.inv.buckets.len());
        assert_eq!((n("IAM.4"), n("Config.1")), (1, regions));
        // The default VPC has no flow log: EC2.6 fails for it and passes for the region's VPC.
        assert_eq!(
            checks
                .iter()
                .filter(|c| c.control.id == "EC2.6" && c.failed)
                .count(),
            regions
        );
        assert!(checks.iter().all(|c| c.id.starts_with(&format!(
            "arn:aws:securityhub:{}:{}:security-control/{}/finding/",
            ctx.regions[usize::from(c.region)],
            ctx.id,
            c.control.id
        ))));

        let Some(c) = checks.iter_mut().find(|c| c.control.id == "EC2.13") else {
            panic!("no EC2.13");
        };
        let passed = finding(&ctx, c, 1_793_491_200_123);
        assert_eq!(passed["Compliance"]["Status"], "PASSED");
        assert_eq!(passed["Severity"]["Label"], "INFORMATIONAL");
        assert_eq!(passed["Workflow"]["Status"], "RESOLVED");
        assert_eq!(passed["UpdatedAt"], "2026-11-01T00:00:00.123Z");
        c.created = Some(1_793_491_200_123);
        c.failed = true;
        let failed = finding(&ctx, c, 1_793_577_600_000);
        assert_eq!(failed["Compliance"]["Status"], "FAILED");
        assert_eq!(failed["Compliance"]["SecurityControlId"], "EC2.13");
        assert_eq!(failed["GeneratorId"], "security-control/EC2.13");
        assert_eq!(
            failed["Severity"],
            json!({"Label": "HIGH", "Normalized": 70, "Original": "HIGH"})
        );
        assert_eq!(failed["Workflow"]["Status"], "NEW");
        assert_eq!(failed["CreatedAt"], passed["UpdatedAt"]);
        assert_eq!(failed["Id"], passed["Id"]);
        assert_eq!(failed["Resources"][0]["Type"], "AwsEc2SecurityGroup");
    }

    #[test]
    fn every_control_named_is_defined_once() {
        for id in [
            "CloudTrail.1",
            "Config.1",
            "GuardDuty.1",
            "IAM.4",
            "IAM.6",
            "EC2.2",
            "EC2.6",
            "EC2.7",
            "EC2.13",
            "EC2.14",
            "KMS.4",
            "S3.2",
            "S3.5",
            "S3.8",
        ] {
            assert_eq!(CONTROLS.iter().filter(|c| c.id == id).count(), 1, "{id}");
        }
        for c in CONTROLS {
            assert!(normalized(c.severity) > 0, "{}", c.id);
        }
    }
}
