//! The checks, in the order they are reported. Each maps to the Security Hub Foundational
//! Security Best Practices (FSBP) control and the CIS AWS Foundations Benchmark v3.0
//! recommendation it stands for; `PARAPET.*` ids are parapet's own.

use parapet_model::baseline::{Control, Probe};
use parapet_model::detection::wildcard;
use parapet_model::inventory::{IpRule, RegionInventory};
use parapet_model::Severity;
use parapet_registry::baseline::State;

use crate::policy;
use crate::{Check, Ctx, Out};

const DAY_MS: i64 = 86_400_000;

fn read<T>(p: &Probe<T>) -> Option<&T> {
    match p {
        Probe::Read(v) => Some(v),
        _ => None,
    }
}

/// Each region with its list of `what`, where it was read.
fn each<'a, T: 'a>(
    ctx: &'a Ctx<'_>,
    what: impl Fn(&'a RegionInventory) -> &'a Probe<Vec<T>>,
) -> impl Iterator<Item = (&'a str, &'a T)> {
    ctx.inv.regions.iter().flat_map(move |r| {
        read(what(r))
            .into_iter()
            .flatten()
            .map(move |x| (r.region.as_str(), x))
    })
}

/// The world range a rule admits, if any.
pub fn open_to_world(rule: &IpRule) -> Option<&'static str> {
    if rule.ipv4_ranges.iter().any(|c| c == "0.0.0.0/0") {
        Some("0.0.0.0/0")
    } else if rule.ipv6_ranges.iter().any(|c| c == "::/0") {
        Some("::/0")
    } else {
        None
    }
}

/// Whether a TCP or UDP rule (or an all-protocols one) admits `port`.
fn admits(rule: &IpRule, port: i32) -> bool {
    match rule.protocol.as_str() {
        "-1" | "all" => true,
        "tcp" | "udp" | "6" | "17" => match (rule.from_port, rule.to_port) {
            (Some(from), Some(to)) => from <= port && port <= to,
            _ => true,
        },
        _ => false,
    }
}

fn all_ports(rule: &IpRule) -> bool {
    matches!(rule.protocol.as_str(), "-1" | "all")
        || (matches!(rule.protocol.as_str(), "tcp" | "udp" | "6" | "17")
            && rule.from_port.unwrap_or(0) <= 0
            && rule.to_port.unwrap_or(65535) >= 65535)
}

/// Security groups: fails each group with a rule open to the world that `bad` finds wrong.
fn security_groups(ctx: &Ctx<'_>, out: &mut Out, bad: impl Fn(&IpRule) -> Option<String>) {
    for (region, g) in each(ctx, |r| &r.security_groups) {
        let failure = g.ingress.iter().find_map(|rule| {
            let world = open_to_world(rule)?;
            bad(rule).map(|what| format!("{what} open to {world}"))
        });
        out.judge(
            Some(region),
            &g.id,
            Some(&g.tags),
            failure,
            "not open to the internet",
        );
    }
}

fn port_check(ports: &'static [i32]) -> impl Fn(&IpRule) -> Option<String> {
    move |rule| {
        ports
            .iter()
            .find(|p| admits(rule, **p))
            .map(|p| format!("port {p} ({})", rule.protocol))
    }
}

/// Whether a rule opens to the world something one of the security group checks fails: SSH,
/// RDP, every port, or a high-risk port.
pub(crate) fn risky_world_rule(rule: &IpRule, high_risk_ports: &[i32]) -> bool {
    open_to_world(rule).is_some()
        && (all_ports(rule) || [22, 3389].iter().chain(high_risk_ports).any(|p| admits(rule, *p)))
}

fn sg_open_ssh(ctx: &Ctx<'_>, out: &mut Out) {
    security_groups(ctx, out, port_check(&[22]));
}

fn sg_open_rdp(ctx: &Ctx<'_>, out: &mut Out) {
    security_groups(ctx, out, port_check(&[3389]));
}

fn sg_open_all_ports(ctx: &Ctx<'_>, out: &mut Out) {
    security_groups(ctx, out, |rule| all_ports(rule).then(|| "every port".to_string()));
}

fn sg_open_high_risk_port(ctx: &Ctx<'_>, out: &mut Out) {
    let ports = &ctx.config.high_risk_ports;
    security_groups(ctx, out, |rule| {
        // A rule open on every port is its own check.
        if all_ports(rule) {
            return None;
        }
        ports
            .iter()
            .find(|p| admits(rule, **p))
            .map(|p| format!("high-risk port {p} ({})", rule.protocol))
    });
}

fn default_sg_closed(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, g) in each(ctx, |r| &r.security_groups).filter(|(_, g)| g.name == "default") {
        let n = g.ingress.len() + g.egress.len();
        let failure = (n > 0).then(|| format!("the default security group has {n} rule(s)"));
        out.judge(Some(region), &g.id, Some(&g.tags), failure, "no rules");
    }
}

/// A baseline control, as `parapet-registry` judges it (organisation trails and analyzers
/// count for every member).
fn service(ctx: &Ctx<'_>, out: &mut Out, control: Control) {
    for o in ctx.observations.iter().filter(|o| o.control == control) {
        let region = (!o.region.is_empty()).then_some(o.region.as_str());
        let resource = format!(
            "{}:{}",
            control.as_str(),
            if o.region.is_empty() { "account" } else { &o.region }
        );
        match o.state {
            State::On => out.pass(region, &resource, None, o.detail.clone()),
            State::Off => out.fail(region, &resource, None, o.detail.clone()),
            State::Unknown => {}
        }
    }
}

fn ebs_default_encryption(ctx: &Ctx<'_>, out: &mut Out) {
    service(ctx, out, Control::EbsEncryption);
}

fn ebs_volume_encrypted(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, v) in each(ctx, |r| &r.volumes) {
        out.judge(
            Some(region),
            &v.id,
            Some(&v.tags),
            (!v.encrypted).then(|| "the volume is not encrypted".to_string()),
            "encrypted",
        );
    }
}

fn imdsv2_required(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, i) in each(ctx, |r| &r.instances) {
        let failure = (i.http_endpoint != "disabled" && i.http_tokens != "required")
            .then(|| format!("instance metadata allows IMDSv1 (HttpTokens={})", i.http_tokens));
        out.judge(Some(region), &i.id, Some(&i.tags), failure, "IMDSv2 required");
    }
}

fn instance_no_public_ip(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, i) in each(ctx, |r| &r.instances) {
        let failure = i.public_ip.as_ref().map(|ip| format!("public IP address {ip}"));
        out.judge(
            Some(region),
            &i.id,
            Some(&i.tags),
            failure,
            "no public IP address",
        );
    }
}

fn instance_type_allowed(ctx: &Ctx<'_>, out: &mut Out) {
    let allowed = &ctx.config.allowed_instance_types;
    if allowed.is_empty() {
        return;
    }
    for (region, i) in each(ctx, |r| &r.instances) {
        let ok = allowed.iter().any(|p| wildcard(p, &i.instance_type));
        let failure = (!ok).then(|| {
            format!(
                "instance type {} is not in posture.allowed_instance_types",
                i.instance_type
            )
        });
        out.judge(Some(region), &i.id, Some(&i.tags), failure, "allowed type");
    }
}

fn vpc_flow_logs(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, v) in each(ctx, |r| &r.vpcs) {
        out.judge(
            Some(region),
            &v.id,
            Some(&v.tags),
            (!v.flow_logs).then(|| "no flow log captures this VPC".to_string()),
            "flow logs on",
        );
    }
}

fn s3_account_block_public_access(ctx: &Ctx<'_>, out: &mut Out) {
    service(ctx, out, Control::S3BlockPublicAccess);
}

fn buckets<'a>(ctx: &Ctx<'a>) -> impl Iterator<Item = &'a parapet_model::inventory::Bucket> {
    read(&ctx.inv.buckets).into_iter().flatten()
}

fn bucket_arn(name: &str) -> String {
    format!("arn:aws:s3:::{name}")
}

fn s3_bucket_block_public_access(ctx: &Ctx<'_>, out: &mut Out) {
    for b in buckets(ctx) {
        let failure = match &b.block_public_access {
            None => Some("no Block Public Access configuration".to_string()),
            Some(bpa) if !bpa.all_on() => Some("Block Public Access is only partly on".to_string()),
            Some(_) => None,
        };
        out.judge(
            Some(&b.region),
            &bucket_arn(&b.name),
            Some(&b.tags),
            failure,
            "all four settings on",
        );
    }
}

fn s3_bucket_not_public(ctx: &Ctx<'_>, out: &mut Out) {
    let account = ctx
        .inv
        .regions
        .iter()
        .find_map(|r| read(&r.services.s3_block_public_access).copied().flatten());
    for b in buckets(ctx) {
        let blocks = |f: fn(&parapet_model::baseline::BlockPublicAccess) -> bool| {
            b.block_public_access.as_ref().is_some_and(f) || account.as_ref().is_some_and(f)
        };
        let mut why = Vec::new();
        if let Some(doc) = b.policy.as_deref().and_then(policy::parse) {
            let actions = policy::public_actions(&doc);
            if !actions.is_empty() && !blocks(|x| x.restrict_public_buckets) {
                why.push(format!("its policy allows {} to anyone", actions.join(", ")));
            }
        }
        if !b.public_acl_grants.is_empty() && !blocks(|x| x.ignore_public_acls) {
            why.push(format!(
                "its ACL grants {} to everyone",
                b.public_acl_grants.join(", ")
            ));
        }
        let failure = (!why.is_empty()).then(|| why.join("; "));
        out.judge(
            Some(&b.region),
            &bucket_arn(&b.name),
            Some(&b.tags),
            failure,
            "not public",
        );
    }
}

fn s3_bucket_encryption(ctx: &Ctx<'_>, out: &mut Out) {
    for b in buckets(ctx) {
        out.judge(
            Some(&b.region),
            &bucket_arn(&b.name),
            Some(&b.tags),
            b.encryption
                .is_none()
                .then(|| "no default encryption".to_string()),
            "encrypted by default",
        );
    }
}

fn s3_bucket_tls_only(ctx: &Ctx<'_>, out: &mut Out) {
    for b in buckets(ctx) {
        let tls = b
            .policy
            .as_deref()
            .and_then(policy::parse)
            .is_some_and(|d| policy::denies_insecure_transport(&d));
        out.judge(
            Some(&b.region),
            &bucket_arn(&b.name),
            Some(&b.tags),
            (!tls).then(|| "the policy does not deny requests without TLS (aws:SecureTransport)".to_string()),
            "TLS only",
        );
    }
}

fn s3_bucket_logging(ctx: &Ctx<'_>, out: &mut Out) {
    for b in buckets(ctx) {
        out.judge(
            Some(&b.region),
            &bucket_arn(&b.name),
            Some(&b.tags),
            (!b.logging).then(|| "server access logging is off".to_string()),
            "access logging on",
        );
    }
}

fn s3_bucket_versioning(ctx: &Ctx<'_>, out: &mut Out) {
    for b in buckets(ctx) {
        out.judge(
            Some(&b.region),
            &bucket_arn(&b.name),
            Some(&b.tags),
            (!b.versioning).then(|| "versioning is off".to_string()),
            "versioning on",
        );
    }
}

fn rds_not_public(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, d) in each(ctx, |r| &r.db_instances) {
        out.judge(
            Some(region),
            &d.arn,
            Some(&d.tags),
            d.publicly_accessible.then(|| "publicly accessible".to_string()),
            "not publicly accessible",
        );
    }
}

fn rds_encrypted(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, d) in each(ctx, |r| &r.db_instances) {
        out.judge(
            Some(region),
            &d.arn,
            Some(&d.tags),
            (!d.storage_encrypted).then(|| "storage is not encrypted".to_string()),
            "encrypted",
        );
    }
}

fn rds_backups(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, d) in each(ctx, |r| &r.db_instances) {
        out.judge(
            Some(region),
            &d.arn,
            Some(&d.tags),
            (d.backup_retention_days < 1).then(|| "automated backups are off".to_string()),
            "backed up",
        );
    }
}

fn iam<'a>(ctx: &Ctx<'a>) -> Option<&'a parapet_model::inventory::Iam> {
    read(&ctx.inv.iam)
}

fn account_resource(ctx: &Ctx<'_>) -> String {
    format!("arn:aws:iam::{}:root", ctx.inv.account_id)
}

fn iam_policy_no_full_admin(ctx: &Ctx<'_>, out: &mut Out) {
    for p in iam(ctx).map(|i| i.policies.as_slice()).unwrap_or_default() {
        let failure = match policy::parse(&p.document) {
            Some(d) if policy::grants_full_admin(&d) && p.attachments > 0 => Some(format!(
                "allows \"*\" on \"*\" and is attached {} time(s)",
                p.attachments
            )),
            _ => None,
        };
        out.judge(None, &p.arn, None, failure, "no full administrative access");
    }
}

fn iam_user_no_direct_policies(ctx: &Ctx<'_>, out: &mut Out) {
    for u in iam(ctx).map(|i| i.users.as_slice()).unwrap_or_default() {
        let n = u.attached_policies.len() + u.inline_policies.len();
        out.judge(
            None,
            &u.arn,
            Some(&u.tags),
            (n > 0).then(|| format!("{n} policy(ies) attached to the user directly, not through a group")),
            "policies through groups",
        );
    }
}

fn iam_access_key_rotated(ctx: &Ctx<'_>, out: &mut Out) {
    let max = ctx.config.access_key_max_age_days;
    for u in iam(ctx).map(|i| i.users.as_slice()).unwrap_or_default() {
        for k in u.access_keys.iter().filter(|k| k.active) {
            let age = (ctx.now_ms - k.created_ms) / DAY_MS;
            out.judge(
                None,
                &format!("{}/access-key/{}", u.arn, k.id),
                Some(&u.tags),
                (age > max).then(|| {
                    format!(
                        "access key {} of {} is {age} days old (more than {max})",
                        k.id, u.name
                    )
                }),
                "rotated",
            );
        }
    }
}

fn iam_root_no_access_keys(ctx: &Ctx<'_>, out: &mut Out) {
    if let Some(i) = iam(ctx) {
        out.judge(
            None,
            &account_resource(ctx),
            None,
            i.root
                .access_keys_present
                .then(|| "the root user has access keys".to_string()),
            "no root access keys",
        );
    }
}

fn iam_root_mfa(ctx: &Ctx<'_>, out: &mut Out) {
    if let Some(i) = iam(ctx) {
        out.judge(
            None,
            &account_resource(ctx),
            None,
            (!i.root.mfa_enabled).then(|| "the root user has no MFA device".to_string()),
            "root MFA on",
        );
    }
}

fn iam_user_console_mfa(ctx: &Ctx<'_>, out: &mut Out) {
    for u in iam(ctx)
        .map(|i| i.users.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|u| u.password_enabled)
    {
        out.judge(
            None,
            &u.arn,
            Some(&u.tags),
            (!u.mfa_active).then(|| format!("{} signs in to the console without MFA", u.name)),
            "MFA on",
        );
    }
}

fn iam_password_policy(ctx: &Ctx<'_>, out: &mut Out) {
    let Some(i) = iam(ctx) else { return };
    let failure = match &i.password_policy {
        None => Some("no account password policy".to_string()),
        Some(p) => {
            let mut why = Vec::new();
            if p.minimum_length < 14 {
                why.push(format!("minimum length {} (< 14)", p.minimum_length));
            }
            if p.reuse_prevention.unwrap_or(0) < 24 {
                why.push(format!(
                    "remembers {} password(s) (< 24)",
                    p.reuse_prevention.unwrap_or(0)
                ));
            }
            (!why.is_empty()).then(|| why.join(", "))
        }
    };
    out.judge(
        None,
        &account_resource(ctx),
        None,
        failure,
        "strong password policy",
    );
}

fn iam_credentials_unused(ctx: &Ctx<'_>, out: &mut Out) {
    let days = ctx.config.unused_days;
    let stale = |last: Option<i64>, created: i64| {
        let since = last.unwrap_or(created);
        (ctx.now_ms - since) / DAY_MS > days
    };
    for u in iam(ctx).map(|i| i.users.as_slice()).unwrap_or_default() {
        let mut why = Vec::new();
        if u.password_enabled && stale(u.password_last_used_ms, u.created_ms) {
            why.push("console password".to_string());
        }
        for k in u.access_keys.iter().filter(|k| k.active) {
            if stale(k.last_used_ms, k.created_ms) {
                why.push(format!("access key {}", k.id));
            }
        }
        if !u.password_enabled && u.access_keys.iter().all(|k| !k.active) {
            continue;
        }
        let failure =
            (!why.is_empty()).then(|| format!("{} unused for more than {days} days", why.join(", ")));
        out.judge(None, &u.arn, Some(&u.tags), failure, "credentials in use");
    }
}

fn iam_role_unused(ctx: &Ctx<'_>, out: &mut Out) {
    let days = ctx.config.unused_days;
    for r in iam(ctx).map(|i| i.roles.as_slice()).unwrap_or_default() {
        if r.path.starts_with("/aws-service-role/") || r.path.starts_with("/aws-reserved/") {
            continue;
        }
        let since = r.last_used_ms.unwrap_or(r.created_ms);
        let failure = ((ctx.now_ms - since) / DAY_MS > days).then(|| match r.last_used_ms {
            Some(_) => format!("not used for more than {days} days"),
            None => format!("never used, created more than {days} days ago"),
        });
        out.judge(None, &r.arn, Some(&r.tags), failure, "in use");
    }
}

fn cloudtrail_region_logged(ctx: &Ctx<'_>, out: &mut Out) {
    service(ctx, out, Control::Cloudtrail);
}

/// Trails that this account owns (read in their home region, so each is judged once; an
/// organisation trail listed in a member belongs to the management account).
fn trails<'a>(ctx: &'a Ctx<'_>) -> impl Iterator<Item = (&'a str, &'a parapet_model::baseline::Trail)> {
    let account = ctx.inv.account_id.as_str();
    ctx.inv.regions.iter().flat_map(move |r| {
        read(&r.services.trails)
            .into_iter()
            .flatten()
            .filter(move |t| t.home_region == r.region)
            .filter(move |t| {
                t.arn
                    .as_deref()
                    .is_none_or(|arn| arn.split(':').nth(4) == Some(account))
            })
            .map(move |t| (r.region.as_str(), t))
    })
}

fn cloudtrail_multi_region(ctx: &Ctx<'_>, out: &mut Out) {
    // Account-wide: some multi-region trail that logs (this account's, or the organisation's).
    let org = ctx.org_multi_region_trail.as_deref();
    let own = trails(ctx)
        .find(|(_, t)| t.multi_region && t.logging)
        .map(|(_, t)| t.name.as_str());
    // Judged only where the account's own trails could be read (an account nothing could be
    // read from gets no verdicts at all).
    if !ctx.inv.regions.iter().any(|r| read(&r.services.trails).is_some()) {
        return;
    }
    let failure = own
        .or(org)
        .is_none()
        .then(|| "no multi-region trail is logging".to_string());
    let ok = format!("trail {}", own.or(org).unwrap_or_default());
    out.judge(None, &account_resource(ctx), None, failure, &ok);
}

/// Trail buckets seen anywhere in the account (its own trails and shadows of organisation trails).
fn trail_buckets(ctx: &Ctx<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &ctx.inv.regions {
        for t in read(&r.services.trails).into_iter().flatten() {
            if let Some(b) = &t.bucket {
                if !out.contains(b) {
                    out.push(b.clone());
                }
            }
        }
    }
    out
}

fn cloudtrail_tamper_permissions(ctx: &Ctx<'_>, out: &mut Out) {
    let buckets = trail_buckets(ctx);
    let allowed = |arn: &str, name: &str| {
        ctx.config
            .cloudtrail_admin_policies
            .iter()
            .any(|p| wildcard(p, arn) || wildcard(p, name))
    };
    for p in iam(ctx).map(|i| i.policies.as_slice()).unwrap_or_default() {
        if p.attachments == 0 {
            continue;
        }
        let grants = policy::parse(&p.document)
            .map(|d| policy::trail_tampering(&d, &buckets))
            .unwrap_or_default();
        let failure = (!grants.is_empty() && !allowed(&p.arn, &p.name)).then(|| {
            format!(
                "grants {} to its {} principal(s), and is not in posture.cloudtrail_admin_policies",
                grants.join(", "),
                p.attachments
            )
        });
        let ok = if grants.is_empty() {
            "cannot stop or change trails or their buckets"
        } else {
            "an allowed CloudTrail administrator policy"
        };
        out.judge(None, &p.arn, None, failure, ok);
    }
}

fn cloudtrail_trail_logging(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, t) in trails(ctx) {
        out.judge(
            Some(region),
            &t.name,
            None,
            (!t.logging).then(|| "the trail is not logging (StopLogging, or never started)".to_string()),
            "logging",
        );
    }
}

fn cloudtrail_log_validation(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, t) in trails(ctx) {
        out.judge(
            Some(region),
            &t.name,
            None,
            (!t.log_file_validation).then(|| "log file validation is off".to_string()),
            "validated",
        );
    }
}

fn cloudtrail_encrypted(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, t) in trails(ctx) {
        out.judge(
            Some(region),
            &t.name,
            None,
            t.kms_key_id
                .is_none()
                .then(|| "logs are not encrypted with a KMS key".to_string()),
            "SSE-KMS",
        );
    }
}

fn config_recorder_on(ctx: &Ctx<'_>, out: &mut Out) {
    service(ctx, out, Control::ConfigRecorder);
}

fn guardduty_enabled(ctx: &Ctx<'_>, out: &mut Out) {
    service(ctx, out, Control::Guardduty);
}

fn securityhub_enabled(ctx: &Ctx<'_>, out: &mut Out) {
    service(ctx, out, Control::Securityhub);
}

fn access_analyzer_enabled(ctx: &Ctx<'_>, out: &mut Out) {
    service(ctx, out, Control::AccessAnalyzer);
}

fn kms_rotation(ctx: &Ctx<'_>, out: &mut Out) {
    let rotatable = |k: &&parapet_model::inventory::KmsKey| {
        k.manager == "CUSTOMER" && k.state == "Enabled" && k.spec == "SYMMETRIC_DEFAULT"
    };
    for (region, k) in each(ctx, |r| &r.kms_keys).filter(|(_, k)| rotatable(k)) {
        out.judge(
            Some(region),
            &k.arn,
            Some(&k.tags),
            (!k.rotation).then(|| "automatic key rotation is off".to_string()),
            "rotated yearly",
        );
    }
}

fn lambda_not_public(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, f) in each(ctx, |r| &r.functions) {
        let actions = f
            .policy
            .as_deref()
            .and_then(policy::parse)
            .map(|d| policy::public_actions(&d))
            .unwrap_or_default();
        out.judge(
            Some(region),
            &f.arn,
            Some(&f.tags),
            (!actions.is_empty()).then(|| format!("its policy allows {} to anyone", actions.join(", "))),
            "not public",
        );
    }
}

fn elb_tls(ctx: &Ctx<'_>, out: &mut Out) {
    for (region, lb) in each(ctx, |r| &r.load_balancers).filter(|(_, lb)| lb.kind == "application") {
        let plain: Vec<String> = lb
            .listeners
            .iter()
            .filter(|l| l.protocol == "HTTP" && !l.redirects_to_https)
            .map(|l| format!("HTTP:{}", l.port))
            .collect();
        out.judge(
            Some(region),
            &lb.arn,
            Some(&lb.tags),
            (!plain.is_empty()).then(|| {
                format!(
                    "listener(s) {} serve plain HTTP without redirecting to HTTPS",
                    plain.join(", ")
                )
            }),
            "TLS or redirect",
        );
    }
}

macro_rules! check {
    ($id:literal, $f:ident, $sev:ident, $rt:literal, [$($c:literal),*], $title:literal, $next:literal) => {
        Check {
            id: $id,
            title: $title,
            severity: Severity::$sev,
            resource_type: $rt,
            controls: &[$($c),*],
            next_step: $next,
            eval: $f,
        }
    };
}

/// Every check.
pub static CHECKS: &[Check] = &[
    check!("ec2.sg_open_ssh", sg_open_ssh, High, "AWS::EC2::SecurityGroup", ["EC2.13", "CIS 5.2", "CIS 5.3"],
        "Security group allows SSH from the internet",
        "Remove the 0.0.0.0/0 and ::/0 sources from port 22; reach instances through Session Manager or a bastion with a narrow source (remediation playbook: revoke the rule)."),
    check!("ec2.sg_open_rdp", sg_open_rdp, High, "AWS::EC2::SecurityGroup", ["EC2.14", "CIS 5.2", "CIS 5.3"],
        "Security group allows RDP from the internet",
        "Remove the 0.0.0.0/0 and ::/0 sources from port 3389; use Fleet Manager or a VPN."),
    check!("ec2.sg_open_all_ports", sg_open_all_ports, Critical, "AWS::EC2::SecurityGroup", ["EC2.18"],
        "Security group allows every port from the internet",
        "Replace the rule with the ports the workload serves, from the sources that need them."),
    check!("ec2.sg_open_high_risk_port", sg_open_high_risk_port, Critical, "AWS::EC2::SecurityGroup", ["EC2.19"],
        "Security group opens a high-risk port to the internet",
        "Databases, file shares and admin consoles should not face the internet: remove the world source, or put the service behind a load balancer or VPN."),
    check!("ec2.default_sg_closed", default_sg_closed, Medium, "AWS::EC2::SecurityGroup", ["EC2.2", "CIS 5.4"],
        "Default security group has rules",
        "Remove every inbound and outbound rule of the default security group and give workloads their own groups."),
    check!("ec2.ebs_default_encryption", ebs_default_encryption, Medium, "AWS::::Account", ["EC2.7", "CIS 2.2.1"],
        "EBS encryption by default is off",
        "aws ec2 enable-ebs-encryption-by-default --region <region>"),
    check!("ec2.ebs_volume_encrypted", ebs_volume_encrypted, Medium, "AWS::EC2::Volume", ["EC2.3"],
        "EBS volume is not encrypted",
        "Snapshot the volume, copy the snapshot with encryption, and replace the volume from it."),
    check!("ec2.imdsv2_required", imdsv2_required, High, "AWS::EC2::Instance", ["EC2.8", "CIS 5.6"],
        "Instance allows IMDSv1",
        "aws ec2 modify-instance-metadata-options --instance-id <id> --http-tokens required (check the SDKs on the instance are recent)."),
    check!("ec2.instance_no_public_ip", instance_no_public_ip, High, "AWS::EC2::Instance", ["EC2.9"],
        "Instance has a public IP address",
        "Move the instance to a private subnet behind a load balancer or NAT; turn off auto-assign public IP on its subnet."),
    check!("ec2.instance_type_allowed", instance_type_allowed, Low, "AWS::EC2::Instance", ["PARAPET.COST.1"],
        "Instance type is not on the allowed list",
        "Stop or resize the instance to an allowed type, or add the type to posture.allowed_instance_types if it is intended."),
    check!("ec2.vpc_flow_logs", vpc_flow_logs, Medium, "AWS::EC2::VPC", ["EC2.6", "CIS 3.7"],
        "VPC has no flow logs",
        "Create a flow log for the VPC to the Log Archive bucket (aws ec2 create-flow-logs --resource-type VPC --traffic-type ALL …)."),
    check!("s3.account_block_public_access", s3_account_block_public_access, Medium, "AWS::::Account", ["S3.1", "CIS 2.1.4"],
        "S3 Block Public Access is not on for the account",
        "aws s3control put-public-access-block --account-id <id> with all four settings true."),
    check!("s3.bucket_block_public_access", s3_bucket_block_public_access, High, "AWS::S3::Bucket", ["S3.8"],
        "S3 bucket does not block public access",
        "aws s3api put-public-access-block --bucket <name> with all four settings true (remediation playbook: block public access)."),
    check!("s3.bucket_not_public", s3_bucket_not_public, Critical, "AWS::S3::Bucket", ["S3.2", "S3.3"],
        "S3 bucket is public",
        "Remove the public statements from the bucket policy and the AllUsers / AuthenticatedUsers grants, or turn on Block Public Access; serve public content through CloudFront with origin access control."),
    check!("s3.bucket_encryption", s3_bucket_encryption, Medium, "AWS::S3::Bucket", ["S3.4"],
        "S3 bucket has no default encryption",
        "aws s3api put-bucket-encryption --bucket <name> with SSE-S3 or SSE-KMS."),
    check!("s3.bucket_tls_only", s3_bucket_tls_only, Medium, "AWS::S3::Bucket", ["S3.5", "CIS 2.1.1"],
        "S3 bucket accepts requests without TLS",
        "Add a Deny statement for every principal with the condition aws:SecureTransport = false."),
    check!("s3.bucket_logging", s3_bucket_logging, Low, "AWS::S3::Bucket", ["S3.9"],
        "S3 bucket has no access logging",
        "Turn on server access logging to the log bucket, or CloudTrail data events for the bucket."),
    check!("s3.bucket_versioning", s3_bucket_versioning, Low, "AWS::S3::Bucket", ["S3.14"],
        "S3 bucket has no versioning",
        "aws s3api put-bucket-versioning --bucket <name> --versioning-configuration Status=Enabled"),
    check!("rds.instance_not_public", rds_not_public, Critical, "AWS::RDS::DBInstance", ["RDS.2"],
        "RDS instance is publicly accessible",
        "aws rds modify-db-instance --db-instance-identifier <id> --no-publicly-accessible, and keep it in private subnets."),
    check!("rds.instance_encrypted", rds_encrypted, Medium, "AWS::RDS::DBInstance", ["RDS.3", "CIS 2.3.1"],
        "RDS instance is not encrypted",
        "Snapshot the instance, copy the snapshot with encryption, and restore from it."),
    check!("rds.instance_backups", rds_backups, Medium, "AWS::RDS::DBInstance", ["RDS.11"],
        "RDS instance has no automated backups",
        "Set a backup retention period of at least 7 days."),
    check!("iam.policy_no_full_admin", iam_policy_no_full_admin, High, "AWS::IAM::Policy", ["IAM.1", "CIS 1.16"],
        "IAM policy grants full administrative access",
        "Replace \"*\" on \"*\" with the actions and resources the principals need; keep administrators on a role with MFA."),
    check!("iam.user_no_direct_policies", iam_user_no_direct_policies, Low, "AWS::IAM::User", ["IAM.2", "CIS 1.15"],
        "IAM user has policies attached directly",
        "Put the user in a group that carries the policies, or move the user to IAM Identity Center."),
    check!("iam.access_key_rotated", iam_access_key_rotated, Medium, "AWS::IAM::User", ["IAM.3", "CIS 1.14"],
        "Access key is older than allowed",
        "Create a new key, move the users of the old one to it, then deactivate and delete the old one (remediation playbook: deactivate)."),
    check!("iam.root_no_access_keys", iam_root_no_access_keys, Critical, "AWS::::Account", ["IAM.4", "CIS 1.4"],
        "Root user has access keys",
        "Delete the root user's access keys; use IAM roles for automation."),
    check!("iam.user_console_mfa", iam_user_console_mfa, Medium, "AWS::IAM::User", ["IAM.5", "CIS 1.10"],
        "Console user without MFA",
        "Have the user register an MFA device, or remove the console password."),
    check!("iam.root_mfa", iam_root_mfa, Critical, "AWS::::Account", ["IAM.9", "CIS 1.5"],
        "Root user without MFA",
        "Register an MFA device (hardware where possible) for the root user, or centralise root access in the organisation."),
    check!("iam.password_policy", iam_password_policy, Medium, "AWS::::Account", ["IAM.7", "CIS 1.8", "CIS 1.9"],
        "Password policy is weak or missing",
        "aws iam update-account-password-policy --minimum-password-length 14 --password-reuse-prevention 24 …"),
    check!("iam.credentials_unused", iam_credentials_unused, Medium, "AWS::IAM::User", ["IAM.8", "CIS 1.12"],
        "IAM user credentials are unused",
        "Remove the console password and deactivate the access keys nobody uses (remediation playbook: deactivate)."),
    check!("iam.role_unused", iam_role_unused, Low, "AWS::IAM::Role", ["PARAPET.IAM.1"],
        "IAM role is unused",
        "Delete roles nobody assumes, after checking with the owner; unused roles widen what a stolen credential can reach."),
    check!("cloudtrail.region_logged", cloudtrail_region_logged, High, "AWS::::Account", ["CloudTrail.1", "CIS 3.1"],
        "No trail logs the region",
        "Turn the organisation trail back on (or create one): without it nothing in this region is recorded (remediation playbook: StartLogging)."),
    check!("cloudtrail.multi_region", cloudtrail_multi_region, High, "AWS::::Account", ["CloudTrail.1", "CIS 3.1"],
        "No multi-region trail is logging",
        "Create or restart a multi-region trail (the organisation trail covers every member)."),
    check!("cloudtrail.trail_logging", cloudtrail_trail_logging, High, "AWS::CloudTrail::Trail", ["CloudTrail.1", "CIS 3.1"],
        "Trail is not logging",
        "aws cloudtrail start-logging --name <trail>, then find out who stopped it (remediation playbook: StartLogging)."),
    check!("cloudtrail.tamper_permissions", cloudtrail_tamper_permissions, High, "AWS::IAM::Policy", ["PARAPET.CT.1", "CIS 3.3"],
        "IAM policy can stop or change CloudTrail",
        "Remove cloudtrail:StopLogging / DeleteTrail / UpdateTrail / PutEventSelectors and writes to the trail bucket from the policy, or add it to posture.cloudtrail_admin_policies if its principals administer CloudTrail; protect the trail with an SCP."),
    check!("cloudtrail.log_validation", cloudtrail_log_validation, Low, "AWS::CloudTrail::Trail", ["CloudTrail.4", "CIS 3.2"],
        "Trail log file validation is off",
        "aws cloudtrail update-trail --name <trail> --enable-log-file-validation"),
    check!("cloudtrail.encrypted", cloudtrail_encrypted, Medium, "AWS::CloudTrail::Trail", ["CloudTrail.2", "CIS 3.5"],
        "Trail logs are not encrypted with KMS",
        "aws cloudtrail update-trail --name <trail> --kms-key-id <key> (the key policy must let CloudTrail use it)."),
    check!("config.recorder_on", config_recorder_on, Medium, "AWS::::Account", ["Config.1", "CIS 3.3"],
        "AWS Config is not recording",
        "Start the configuration recorder or redeploy the baseline StackSet."),
    check!("guardduty.enabled", guardduty_enabled, High, "AWS::::Account", ["GuardDuty.1"],
        "GuardDuty is not enabled",
        "Enable GuardDuty from the delegated administrator (auto-enable for the organisation)."),
    check!("securityhub.enabled", securityhub_enabled, Medium, "AWS::::Account", ["PARAPET.SH.1"],
        "Security Hub is not enabled",
        "Enable Security Hub from the delegated administrator (central configuration)."),
    check!("accessanalyzer.enabled", access_analyzer_enabled, Low, "AWS::::Account", ["IAM.28", "CIS 1.20"],
        "No IAM Access Analyzer",
        "Create an organisation analyzer in the delegated administrator, or an account analyzer here."),
    check!("kms.key_rotation", kms_rotation, Medium, "AWS::KMS::Key", ["KMS.4", "CIS 3.6"],
        "KMS key rotation is off",
        "aws kms enable-key-rotation --key-id <id>"),
    check!("lambda.function_not_public", lambda_not_public, Critical, "AWS::Lambda::Function", ["Lambda.1"],
        "Lambda function can be invoked by anyone",
        "Remove the statement with Principal \"*\" (aws lambda remove-permission), or add aws:SourceAccount / aws:SourceArn conditions."),
    check!("elb.listener_tls", elb_tls, Medium, "AWS::ElasticLoadBalancingV2::LoadBalancer", ["ELB.1"],
        "Load balancer serves plain HTTP",
        "Add an HTTPS listener with an ACM certificate and make the HTTP listener redirect to it."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_check_names_a_control() {
        let mut ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len());
        assert!(CHECKS.len() >= 40, "{}", CHECKS.len());
        assert!(CHECKS
            .iter()
            .all(|c| !c.controls.is_empty() && !c.next_step.is_empty()));
    }

    #[test]
    fn ports_and_ranges() {
        let rule = |protocol: &str, from, to| IpRule {
            protocol: protocol.into(),
            from_port: from,
            to_port: to,
            ipv4_ranges: vec!["0.0.0.0/0".into()],
            ..IpRule::default()
        };
        assert!(admits(&rule("tcp", Some(22), Some(22)), 22));
        assert!(admits(&rule("tcp", Some(0), Some(1024)), 22));
        assert!(!admits(&rule("tcp", Some(80), Some(443)), 22));
        assert!(admits(&rule("-1", None, None), 3389));
        assert!(!admits(&rule("icmp", Some(-1), Some(-1)), 22));
        assert!(all_ports(&rule("-1", None, None)));
        assert!(all_ports(&rule("tcp", Some(0), Some(65535))));
        assert!(!all_ports(&rule("tcp", Some(1), Some(1024))));
        assert_eq!(open_to_world(&rule("tcp", None, None)), Some("0.0.0.0/0"));
        let v6 = IpRule {
            ipv6_ranges: vec!["::/0".into()],
            ..IpRule::default()
        };
        assert_eq!(open_to_world(&v6), Some("::/0"));
        let narrow = IpRule {
            ipv4_ranges: vec!["10.0.0.0/8".into()],
            ..IpRule::default()
        };
        assert_eq!(open_to_world(&narrow), None);
    }
}
