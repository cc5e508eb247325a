//! The CloudTrail records of each scenario kind, written the way AWS writes them.

mod access;
mod builder;
mod changes;

use crate::account::AccountCtx;
use crate::record::time_string;
use crate::rng::Rng;
use crate::scenarios::{Effect, Instance, ScenarioKind, Truth};

use builder::Builder;

/// The records of one instance (time, region index, JSON), its truth line and what it changed.
pub(crate) struct Injected {
    pub events: Vec<(i64, u8, String)>,
    pub truth: Truth,
    pub effects: Vec<Effect>,
}

/// Renders one instance; `None` for kinds that are not [`ScenarioKind::in_cloudtrail`].
pub(crate) fn render(inst: &Instance, ctx: &AccountCtx<'_>) -> Option<Injected> {
    let mut b = Builder {
        ctx,
        rng: Rng::new(inst.seed),
        events: Vec::new(),
        ids: Vec::new(),
        effects: Vec::new(),
    };
    let t = inst.t;
    let (region, actor, description) = match inst.kind {
        ScenarioKind::RootConsoleLogin => access::root_console_login(&mut b, t),
        ScenarioKind::ConsoleLoginFailures => access::console_login_failures(&mut b, t),
        ScenarioKind::ConsoleLoginWithoutMfa => access::console_login_without_mfa(&mut b, t),
        ScenarioKind::AccessDeniedBurst => access::access_denied_burst(&mut b, t),
        ScenarioKind::IamChange => changes::iam_change(&mut b, t),
        ScenarioKind::SgOpenWorld => changes::sg_open_world(&mut b, t),
        ScenarioKind::NetworkChange => changes::network_change(&mut b, t),
        ScenarioKind::CloudtrailTampering => changes::cloudtrail_tampering(&mut b, t),
        ScenarioKind::ConfigRecorderStopped => changes::config_recorder_stopped(&mut b, t),
        ScenarioKind::KmsKeyDisabled => changes::kms_key_disabled(&mut b, t),
        ScenarioKind::S3BucketPublic => changes::s3_public(&mut b, t),
        ScenarioKind::GuarddutyDisabled => changes::guardduty_disabled(&mut b, t),
        ScenarioKind::SshBruteForce | ScenarioKind::DnsExfiltration | ScenarioKind::CryptoMining => {
            return None
        }
    };
    let truth = Truth {
        scenario: inst.kind.id(),
        table: "cloudtrail",
        account_id: ctx.id.to_string(),
        region: ctx.regions[usize::from(region)].to_string(),
        time: time_string(b.events.iter().map(|e| e.0).min().unwrap_or(t)),
        actor,
        event_ids: b.ids,
        indicator: None,
        records: None,
        description,
    };
    Some(Injected {
        events: b.events,
        truth,
        effects: b.effects,
    })
}
