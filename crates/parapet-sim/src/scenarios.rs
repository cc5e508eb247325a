//! The security scenarios injected into the background: which kinds exist, how many of each a
//! run gets, where and when they happen, and the truth line each instance leaves.

use serde::Serialize;

use crate::org::{region_utc_offset, Organization};
use crate::rng::Rng;
use crate::SimConfig;

/// A kind of injected incident; its id is the `scenario` of the truth line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScenarioKind {
    RootConsoleLogin,
    ConsoleLoginFailures,
    ConsoleLoginWithoutMfa,
    IamChange,
    SgOpenWorld,
    NetworkChange,
    CloudtrailTampering,
    ConfigRecorderStopped,
    KmsKeyDisabled,
    S3BucketPublic,
    AccessDeniedBurst,
    GuarddutyDisabled,
    /// Many SSH connection attempts from one address: flow logs and a GuardDuty finding.
    SshBruteForce,
    /// An instance tunnelling data out through DNS: Resolver query logs and a GuardDuty finding.
    DnsExfiltration,
    /// An instance talking to a cryptocurrency mining pool: DNS, flows and a GuardDuty finding.
    CryptoMining,
}

impl ScenarioKind {
    pub const ALL: [ScenarioKind; 15] = [
        ScenarioKind::RootConsoleLogin,
        ScenarioKind::ConsoleLoginFailures,
        ScenarioKind::ConsoleLoginWithoutMfa,
        ScenarioKind::IamChange,
        ScenarioKind::SgOpenWorld,
        ScenarioKind::NetworkChange,
        ScenarioKind::CloudtrailTampering,
        ScenarioKind::ConfigRecorderStopped,
        ScenarioKind::KmsKeyDisabled,
        ScenarioKind::S3BucketPublic,
        ScenarioKind::AccessDeniedBurst,
        ScenarioKind::GuarddutyDisabled,
        ScenarioKind::SshBruteForce,
        ScenarioKind::DnsExfiltration,
        ScenarioKind::CryptoMining,
    ];

    /// The id written to `truth.jsonl`.
    pub fn id(self) -> &'static str {
        match self {
            ScenarioKind::RootConsoleLogin => "root_console_login",
            ScenarioKind::ConsoleLoginFailures => "console_login_failures",
            ScenarioKind::ConsoleLoginWithoutMfa => "console_login_without_mfa",
            ScenarioKind::IamChange => "iam_change",
            ScenarioKind::SgOpenWorld => "sg_open_world",
            ScenarioKind::NetworkChange => "network_change",
            ScenarioKind::CloudtrailTampering => "cloudtrail_tampering",
            ScenarioKind::ConfigRecorderStopped => "config_recorder_stopped",
            ScenarioKind::KmsKeyDisabled => "kms_key_disabled",
            ScenarioKind::S3BucketPublic => "s3_bucket_public",
            ScenarioKind::AccessDeniedBurst => "access_denied_burst",
            ScenarioKind::GuarddutyDisabled => "guardduty_disabled",
            ScenarioKind::SshBruteForce => "ssh_brute_force",
            ScenarioKind::DnsExfiltration => "dns_exfiltration",
            ScenarioKind::CryptoMining => "crypto_mining",
        }
    }

    /// Expected instances per account-day (each kind still appears at least once a run).
    fn rate(self) -> f64 {
        match self {
            ScenarioKind::RootConsoleLogin => 0.006,
            ScenarioKind::ConsoleLoginFailures => 0.015,
            ScenarioKind::ConsoleLoginWithoutMfa => 0.015,
            ScenarioKind::IamChange => 0.04,
            ScenarioKind::SgOpenWorld => 0.015,
            ScenarioKind::NetworkChange => 0.03,
            ScenarioKind::CloudtrailTampering => 0.004,
            ScenarioKind::ConfigRecorderStopped => 0.004,
            ScenarioKind::KmsKeyDisabled => 0.008,
            ScenarioKind::S3BucketPublic => 0.008,
            ScenarioKind::AccessDeniedBurst => 0.015,
            ScenarioKind::GuarddutyDisabled => 0.004,
            ScenarioKind::SshBruteForce => 0.01,
            ScenarioKind::DnsExfiltration => 0.006,
            ScenarioKind::CryptoMining => 0.006,
        }
    }

    /// Whether the instance is made of CloudTrail records (the others live in network logs and
    /// findings only, and happen on an instance of the account).
    pub fn in_cloudtrail(self) -> bool {
        !matches!(
            self,
            ScenarioKind::SshBruteForce | ScenarioKind::DnsExfiltration | ScenarioKind::CryptoMining
        )
    }
}

/// One planned incident.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Instance {
    pub kind: ScenarioKind,
    pub account: usize,
    pub day: u32,
    /// Start, epoch seconds; every event of the instance falls within 15 minutes of it and
    /// inside the same UTC day.
    pub t: i64,
    pub seed: u64,
}

/// One line of `truth.jsonl`: the evidence one instance left in one lake table. An instance
/// leaves one line per table it shows in (a security group opened to the world is a CloudTrail
/// call, a Config item and a failed Security Hub control).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Truth {
    pub scenario: &'static str,
    /// The lake table holding the evidence: `cloudtrail`, `vpc_flow`, `route53_resolver`,
    /// `guardduty`, `securityhub`, `config_history`.
    pub table: &'static str,
    pub account_id: String,
    pub region: String,
    /// RFC 3339 time of the first record.
    pub time: String,
    /// The principal's ARN, the user name for failed sign-ins, the remote address or the
    /// instance for network scenarios.
    pub actor: String,
    /// Ids of the records: CloudTrail `eventID`s, finding `Id`s, Config `resourceId`s. Empty
    /// for flow and DNS records, which have no id: `indicator` and `records` name them.
    pub event_ids: Vec<String>,
    /// The value every evidence record carries: a remote address (flows) or a domain (DNS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indicator: Option<String>,
    /// How many records carry `indicator`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    pub description: String,
}

/// What a CloudTrail scenario changed, for the services that see it too (Config records the
/// new state, Security Hub fails a control, GuardDuty reports root use). `actor` is the ARN of
/// the principal that made the change (the CloudTrail truth line's actor), so the other tables'
/// truth lines of the instance name it too.
#[derive(Clone, Debug)]
pub(crate) enum Effect {
    RootSignIn {
        t: i64,
        ip: String,
    },
    SgOpened {
        t: i64,
        region: u8,
        sg: String,
        port: u16,
        cidr: &'static str,
        actor: String,
    },
    /// `control` is the Security Hub control the change fails (S3.2 or S3.8); `via` the call
    /// that made it (`PutBucketPolicy`, `PutBucketAcl` or `DeletePublicAccessBlock`).
    BucketPublic {
        t: i64,
        region: u8,
        bucket: String,
        control: &'static str,
        via: &'static str,
        actor: String,
    },
    DetectorDeleted {
        t: i64,
        region: u8,
        actor: String,
    },
    RecorderStopped {
        t: i64,
        region: u8,
        actor: String,
    },
}

/// Latest start within a day, so every event of an instance stays in the day.
const LAST_START: i64 = 86_400 - 900;

/// All instances of a run, sorted by account then time.
pub(crate) fn plan(cfg: &SimConfig, org: &Organization, first_day_secs: i64) -> Vec<Instance> {
    let mut rng = Rng::derive(cfg.seed, &[0x5CE]);
    let account_days = (org.accounts.len() as f64) * f64::from(cfg.days);
    let mut out = Vec::new();
    for kind in ScenarioKind::ALL {
        let count = ((kind.rate() * account_days).round() as usize).max(1);
        for _ in 0..count {
            // Network scenarios happen on an instance: only workload accounts run them.
            let account = if kind.in_cloudtrail() {
                rng.index(org.accounts.len())
            } else {
                3 + rng.index(org.accounts.len() - 3)
            };
            let day = rng.below(u64::from(cfg.days)) as u32;
            let offset = region_utc_offset(org.accounts[account].home_region);
            let secs = if rng.chance(0.7) {
                // Working hours, local time.
                let local = rng.range(9 * 3600, 18 * 3600) as i64;
                (local - i64::from(offset) * 3600).rem_euclid(86_400)
            } else {
                rng.below(86_400) as i64
            };
            out.push(Instance {
                kind,
                account,
                day,
                t: first_day_secs + i64::from(day) * 86_400 + secs.min(LAST_START),
                seed: rng.next_u64(),
            });
        }
    }
    out.sort_by_key(|i| (i.account, i.t, i.kind));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_planned_even_for_tiny_runs() {
        let cfg = SimConfig {
            accounts: 4,
            days: 1,
            ..SimConfig::default()
        };
        let org = Organization::generate(&cfg);
        let start = 1_793_491_200;
        let plan = plan(&cfg, &org, start);
        for k in ScenarioKind::ALL {
            assert!(plan.iter().any(|i| i.kind == k), "{k:?}");
        }
        for i in &plan {
            assert!(i.t >= start && i.t + 900 <= start + 86_400);
        }
        let big = SimConfig::default();
        let org = Organization::generate(&big);
        assert!(super::plan(&big, &org, start).len() > 50);
    }
}
