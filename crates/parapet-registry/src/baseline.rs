//! Judging the baseline: from the facts read in every account × region to one [`Observation`]
//! per required control, and from the gaps to findings.
//!
//! Organisation-wide resources count for every member: an organisation trail that is logging
//! covers every account (in every region if it is multi-region), and an active `ORGANIZATION`
//! Access Analyzer covers every account of its region, wherever it was read.

use std::collections::BTreeMap;

use parapet_model::baseline::{Control, Probe, RegionFacts};
use parapet_model::{AccountDirectory, AccountId, Detection, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    On,
    Off,
    /// Could not be read (the detail says why).
    Unknown,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::On => "on",
            State::Off => "off",
            State::Unknown => "unknown",
        }
    }
}

/// One control in one account and region (`region` is empty for account-wide controls).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Observation {
    pub account_id: AccountId,
    pub region: String,
    pub control: Control,
    pub state: State,
    pub detail: String,
}

fn read<T>(probe: &Probe<T>) -> Result<&T, String> {
    match probe {
        Probe::Read(v) => Ok(v),
        Probe::Failed(e) => Err(e.clone()),
        Probe::NotChecked => Err("not checked".to_string()),
    }
}

/// One observation per fact row and required control, sorted by account, region, control.
pub fn evaluate(facts: &[RegionFacts], required: &[Control]) -> Vec<Observation> {
    // Organisation-wide coverage, from whichever account it was read in.
    let mut org_trails: Vec<(String, bool, String)> = Vec::new(); // (home region, multi-region, name)
    let mut org_analyzers: BTreeMap<&str, String> = BTreeMap::new(); // region → analyzer name
    for f in facts {
        if let Probe::Read(trails) = &f.trails {
            for t in trails.iter().filter(|t| t.organization && t.logging) {
                if !org_trails.iter().any(|o| o.2 == t.name && o.0 == t.home_region) {
                    org_trails.push((t.home_region.clone(), t.multi_region, t.name.clone()));
                }
            }
        }
        if let Probe::Read(analyzers) = &f.access_analyzers {
            if let Some(a) = analyzers.iter().find(|a| a.active && a.kind == "ORGANIZATION") {
                org_analyzers.insert(f.region.as_str(), a.name.clone());
            }
        }
    }
    let mut out = Vec::new();
    let mut account_wide_done: Vec<(AccountId, Control)> = Vec::new();
    for f in facts {
        for &control in required {
            let (region, source) = if control.account_wide() {
                if account_wide_done.contains(&(f.account_id, control)) {
                    continue;
                }
                account_wide_done.push((f.account_id, control));
                // Read in one region only: take the row that has it.
                let source = facts
                    .iter()
                    .filter(|g| g.account_id == f.account_id)
                    .find(|g| !matches!(g.s3_block_public_access, Probe::NotChecked))
                    .unwrap_or(f);
                (String::new(), source)
            } else {
                (f.region.clone(), f)
            };
            let (state, detail) = judge(source, control, &org_trails, &org_analyzers);
            out.push(Observation {
                account_id: f.account_id,
                region,
                control,
                state,
                detail,
            });
        }
    }
    out.sort_by(|a, b| (a.account_id, &a.region, a.control).cmp(&(b.account_id, &b.region, b.control)));
    out
}

fn judge(
    f: &RegionFacts,
    control: Control,
    org_trails: &[(String, bool, String)],
    org_analyzers: &BTreeMap<&str, String>,
) -> (State, String) {
    let on = |d: String| (State::On, d);
    let off = |d: &str| (State::Off, d.to_string());
    let unknown = |e: String| (State::Unknown, e);
    match control {
        Control::Cloudtrail => {
            if let Some(t) = org_trails.iter().find(|t| t.1 || t.0 == f.region) {
                return on(format!("organization trail {}", t.2));
            }
            match read(&f.trails) {
                Err(e) => unknown(e),
                Ok(trails) => {
                    let covering: Vec<_> =
                        trails.iter().filter(|t| t.multi_region || t.home_region == f.region).collect();
                    match covering.iter().find(|t| t.logging) {
                        Some(t) => on(format!("trail {}", t.name)),
                        None if covering.is_empty() => off("no trail logs this region"),
                        None => (State::Off, format!("trail {} is not logging", covering[0].name)),
                    }
                }
            }
        }
        Control::ConfigRecorder => match read(&f.config_recorders) {
            Err(e) => unknown(e),
            Ok(r) => match (r.iter().find(|r| r.recording), r.first()) {
                (Some(r), _) => on(format!("recorder {} is recording", r.name)),
                (None, Some(r)) => (State::Off, format!("recorder {} is stopped", r.name)),
                (None, None) => off("no configuration recorder"),
            },
        },
        Control::ConfigDeliveryChannel => match read(&f.delivery_channels) {
            Err(e) => unknown(e),
            Ok(c) => match c.first() {
                Some(name) => on(format!("delivery channel {name}")),
                None => off("no delivery channel"),
            },
        },
        Control::Guardduty => match read(&f.guardduty_detectors) {
            Err(e) => unknown(e),
            Ok(d) => match (d.iter().find(|d| d.enabled), d.first()) {
                (Some(d), _) => on(format!("detector {}", d.id)),
                (None, Some(d)) => (State::Off, format!("detector {} is suspended", d.id)),
                (None, None) => off("no detector"),
            },
        },
        Control::Securityhub => match read(&f.securityhub) {
            Err(e) => unknown(e),
            Ok(Some(arn)) => on(arn.clone()),
            Ok(None) => off("Security Hub is not enabled"),
        },
        Control::SecurityhubStandards => match (read(&f.securityhub), read(&f.securityhub_standards)) {
            (Ok(None), _) => off("Security Hub is not enabled"),
            (_, Err(e)) => unknown(e),
            (_, Ok(s)) if s.is_empty() => off("no standard enabled"),
            (_, Ok(s)) => {
                let names: Vec<&str> = s.iter().map(|arn| arn.split_once('/').map_or(arn.as_str(), |x| x.1)).collect();
                on(names.join(", "))
            }
        },
        Control::AccessAnalyzer => {
            let local = read(&f.access_analyzers);
            if let Ok(a) = &local {
                if let Some(a) = a.iter().find(|a| a.active && (a.kind == "ACCOUNT" || a.kind == "ORGANIZATION")) {
                    return on(format!("analyzer {} ({})", a.name, a.kind));
                }
            }
            if let Some(name) = org_analyzers.get(f.region.as_str()) {
                return on(format!("organization analyzer {name}"));
            }
            match local {
                Err(e) => unknown(e),
                Ok(_) => off("no active analyzer"),
            }
        }
        Control::EbsEncryption => match read(&f.ebs_encryption) {
            Err(e) => unknown(e),
            Ok(true) => on("encryption by default is on".into()),
            Ok(false) => off("encryption by default is off"),
        },
        Control::S3BlockPublicAccess => match read(&f.s3_block_public_access) {
            Err(e) => unknown(e),
            Ok(None) => off("no account-level Block Public Access"),
            Ok(Some(b)) if b.all_on() => on("all four settings on".into()),
            Ok(Some(b)) => (
                State::Off,
                format!(
                    "partly on: BlockPublicAcls={} IgnorePublicAcls={} BlockPublicPolicy={} RestrictPublicBuckets={}",
                    b.block_public_acls, b.ignore_public_acls, b.block_public_policy, b.restrict_public_buckets
                ),
            ),
        },
    }
}

fn severity(control: Control) -> Severity {
    match control {
        Control::Cloudtrail | Control::Guardduty => Severity::High,
        Control::ConfigRecorder | Control::Securityhub | Control::S3BlockPublicAccess => Severity::Medium,
        Control::ConfigDeliveryChannel
        | Control::SecurityhubStandards
        | Control::AccessAnalyzer
        | Control::EbsEncryption => Severity::Low,
    }
}

fn next_step(control: Control) -> &'static str {
    match control {
        Control::Cloudtrail => "Turn the organisation trail back on (or create one): without it, nothing in this region is recorded.",
        Control::ConfigRecorder => "Start the AWS Config recorder (aws configservice start-configuration-recorder) or redeploy the baseline StackSet.",
        Control::ConfigDeliveryChannel => "Create a delivery channel to the Log Archive bucket (aws configservice put-delivery-channel).",
        Control::Guardduty => "Enable GuardDuty from the delegated administrator (auto-enable for the organisation).",
        Control::Securityhub => "Enable Security Hub from the delegated administrator (central configuration).",
        Control::SecurityhubStandards => "Enable the organisation's standards (e.g. AWS Foundational Security Best Practices).",
        Control::AccessAnalyzer => "Create an organisation analyzer in the delegated administrator, or an account analyzer here.",
        Control::EbsEncryption => "aws ec2 enable-ebs-encryption-by-default --region <region>",
        Control::S3BlockPublicAccess => "aws s3control put-public-access-block --account-id <id> with all four settings true.",
    }
}

/// The rule id of the finding for an account parapet could not read.
pub const UNREADABLE_RULE: &str = "baseline.unreadable";

/// A finding per control that is off (`baseline.<control>`), and one per account where some
/// control could not be read (`baseline.unreadable`, with the first reason).
pub fn gaps(observations: &[Observation], accounts: &AccountDirectory, time_ms: i64) -> Vec<Detection> {
    let label = |id: AccountId| match accounts.get(&id) {
        Some(a) if !a.name.is_empty() => format!("{} ({id})", a.name),
        _ => id.to_string(),
    };
    let mut out = Vec::new();
    let mut unreadable: BTreeMap<AccountId, &Observation> = BTreeMap::new();
    for o in observations {
        match o.state {
            State::On => {}
            State::Unknown => {
                unreadable.entry(o.account_id).or_insert(o);
            }
            State::Off => {
                let rule_id = format!("baseline.{}", o.control);
                let where_ = if o.region.is_empty() {
                    String::new()
                } else {
                    format!(" in {}", o.region)
                };
                out.push(Detection {
                    dedup_key: format!("{rule_id}:{}:{}", o.account_id, o.region),
                    rule_id,
                    severity: severity(o.control),
                    title: format!("Baseline gap: {}", o.control),
                    account_id: Some(o.account_id),
                    region: (!o.region.is_empty()).then(|| o.region.clone()),
                    time_ms,
                    summary: format!("{}{where_}: {}.", label(o.account_id), o.detail),
                    next_step: next_step(o.control).to_string(),
                    evidence: serde_json::json!({"control": o.control, "detail": o.detail}).to_string(),
                });
            }
        }
    }
    for (id, o) in unreadable {
        out.push(Detection {
            rule_id: UNREADABLE_RULE.to_string(),
            dedup_key: format!("{UNREADABLE_RULE}:{id}"),
            severity: Severity::Medium,
            title: "Baseline could not be read".to_string(),
            account_id: Some(id),
            region: None,
            time_ms,
            summary: format!("{}: {} could not be checked: {}", label(id), o.control, o.detail),
            next_step: "Check that the audit role exists in this account and trusts parapet's principal (accounts.role_name).".to_string(),
            evidence: serde_json::json!({"control": o.control, "region": o.region, "error": o.detail}).to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use parapet_model::baseline::{Analyzer, BlockPublicAccess, Detector, Recorder, Trail};

    use super::*;

    fn id(s: &str) -> AccountId {
        AccountId::parse(s).expect("id")
    }

    fn facts(account: &str, region: &str) -> RegionFacts {
        RegionFacts {
            account_id: id(account),
            region: region.into(),
            trails: Probe::Read(vec![]),
            config_recorders: Probe::Read(vec![Recorder {
                name: "default".into(),
                recording: true,
            }]),
            delivery_channels: Probe::Read(vec!["default".into()]),
            guardduty_detectors: Probe::Read(vec![Detector {
                id: "d1".into(),
                enabled: true,
            }]),
            securityhub: Probe::Read(Some("arn:aws:securityhub:r:a:hub/default".into())),
            securityhub_standards: Probe::Read(vec![
                "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"
                    .into(),
            ]),
            access_analyzers: Probe::Read(vec![]),
            ebs_encryption: Probe::Read(true),
            s3_block_public_access: Probe::Read(Some(BlockPublicAccess {
                block_public_acls: true,
                ignore_public_acls: true,
                block_public_policy: true,
                restrict_public_buckets: true,
            })),
        }
    }

    fn states(obs: &[Observation], control: Control) -> Vec<(String, String, &'static str)> {
        obs.iter()
            .filter(|o| o.control == control)
            .map(|o| (o.account_id.to_string(), o.region.clone(), o.state.as_str()))
            .collect()
    }

    #[test]
    fn organisation_resources_cover_members() {
        let mut mgmt = facts("111111111111", "us-east-1");
        mgmt.trails = Probe::Read(vec![Trail {
            name: "org".into(),
            arn: None,
            home_region: "us-east-1".into(),
            multi_region: true,
            organization: true,
            logging: true,
            log_file_validation: true,
            kms_key_id: None,
            bucket: None,
        }]);
        let mut audit = facts("222222222222", "eu-west-1");
        audit.access_analyzers = Probe::Read(vec![Analyzer {
            name: "org-analyzer".into(),
            kind: "ORGANIZATION".into(),
            active: true,
        }]);
        let member_eu = facts("333333333333", "eu-west-1");
        let member_us = facts("333333333333", "us-east-1");
        let all = [mgmt, audit, member_eu, member_us];
        let obs = evaluate(&all, &[Control::Cloudtrail, Control::AccessAnalyzer]);
        assert!(
            states(&obs, Control::Cloudtrail).iter().all(|s| s.2 == "on"),
            "{obs:#?}"
        );
        assert_eq!(
            states(&obs, Control::AccessAnalyzer),
            [
                ("111111111111".into(), "us-east-1".into(), "off"),
                ("222222222222".into(), "eu-west-1".into(), "on"),
                ("333333333333".into(), "eu-west-1".into(), "on"),
                ("333333333333".into(), "us-east-1".into(), "off"),
            ]
        );
    }

    #[test]
    fn gaps_become_findings_and_failures_one_per_account() {
        let mut a = facts("111111111111", "us-east-1");
        a.trails = Probe::Read(vec![Trail {
            name: "local".into(),
            arn: None,
            home_region: "eu-west-1".into(),
            multi_region: false,
            organization: false,
            logging: true,
            log_file_validation: true,
            kms_key_id: None,
            bucket: None,
        }]);
        a.guardduty_detectors = Probe::Read(vec![Detector {
            id: "d9".into(),
            enabled: false,
        }]);
        a.securityhub = Probe::Read(None);
        let mut a2 = facts("111111111111", "eu-west-1");
        a2.trails = a.trails.clone(); // DescribeTrails lists shadow trails in every region
        a2.s3_block_public_access = Probe::NotChecked; // account-wide: read with the other region
        let b = RegionFacts::unreadable(id("222222222222"), "us-east-1", "sts:AssumeRole: AccessDenied");
        let obs = evaluate(&[a2, a, b], &Control::ALL);
        assert_eq!(
            states(&obs, Control::S3BlockPublicAccess),
            [
                ("111111111111".into(), "".into(), "on"),
                ("222222222222".into(), "".into(), "unknown")
            ]
        );
        let dir = AccountDirectory::from_csv("id,name\n111111111111,payments-prod\n").expect("csv");
        let found = gaps(&obs, &dir, 1);
        let keys: Vec<&str> = found.iter().map(|d| d.dedup_key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "baseline.access_analyzer:111111111111:eu-west-1",
                "baseline.cloudtrail:111111111111:us-east-1",
                "baseline.guardduty:111111111111:us-east-1",
                "baseline.securityhub:111111111111:us-east-1",
                "baseline.securityhub_standards:111111111111:us-east-1",
                "baseline.access_analyzer:111111111111:us-east-1",
                "baseline.unreadable:222222222222",
            ]
        );
        assert_eq!(
            found[2].summary,
            "payments-prod (111111111111) in us-east-1: detector d9 is suspended."
        );
        assert_eq!(found[2].severity, Severity::High);
        assert!(
            found[6].summary.contains("sts:AssumeRole: AccessDenied"),
            "{}",
            found[6].summary
        );
    }
}
