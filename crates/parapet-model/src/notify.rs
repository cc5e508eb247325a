//! Where findings are told (`[notify]`): the channels, and the routes that pick channels for a
//! finding.

use crate::clock::{ClockTime, ClockWindow, Zone};
use crate::detection::Severity;

/// `[notify]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    pub channels: Vec<Channel>,
    /// Routes, all of which apply (a finding goes to every channel any matching route names).
    /// None: findings of medium and above go to their account's team channel.
    pub routes: Vec<Route>,
    /// The channel for findings routed to `team` whose account names no channel (or one that
    /// is not configured).
    pub fallback: Option<String>,
    /// Tries before a message is dead (default 8).
    pub max_attempts: Option<u32>,
    /// Seconds to wait for a channel's answer (default 10).
    pub timeout_secs: Option<u64>,
    /// The first retry's wait in ms, doubled per try (default 2000).
    pub retry_base_ms: Option<i64>,
    /// The local time zone of quiet hours and daily digests (default UTC).
    pub timezone: Zone,
    /// While the local clock is in this window (`22:00-07:00`), messages less severe than
    /// `quiet_min_severity` wait for its end. A channel can have its own.
    pub quiet_hours: Option<ClockWindow>,
    /// What goes out even in quiet hours (default critical).
    pub quiet_min_severity: Option<Severity>,
    /// A finding told once is not told again within this many minutes (reopened after a
    /// resolve), unless it became more severe than it was then (default 60; 0: always).
    pub throttle_minutes: Option<u64>,
    /// When daily digests go out, local time (default 09:00).
    pub digest_at: Option<ClockTime>,
}

impl NotifyConfig {
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts.unwrap_or(8)
    }

    pub fn timeout_secs(&self) -> u64 {
        self.timeout_secs.unwrap_or(10)
    }

    pub fn retry_base_ms(&self) -> i64 {
        self.retry_base_ms.unwrap_or(2000).max(0)
    }

    pub fn throttle_ms(&self) -> i64 {
        (self.throttle_minutes.unwrap_or(60) as i64).saturating_mul(60_000)
    }

    pub fn quiet_min_severity(&self) -> Severity {
        self.quiet_min_severity.unwrap_or(Severity::Critical)
    }

    pub fn digest_at(&self) -> ClockTime {
        self.digest_at.unwrap_or(ClockTime::new(9, 0).unwrap_or_default())
    }

    /// When a message for `channel` of `severity` may go, if quiet hours hold it back at `now_ms`.
    pub fn quiet_until(&self, channel: &Channel, severity: Severity, now_ms: i64) -> Option<i64> {
        if severity >= self.quiet_min_severity() {
            return None;
        }
        channel
            .quiet_hours
            .or(self.quiet_hours)
            .and_then(|w| w.end_after(self.timezone, now_ms))
    }

    /// When a digest of `period` collecting at `now_ms` goes out.
    pub fn digest_due(&self, period: Digest, now_ms: i64) -> i64 {
        match period {
            Digest::Hourly => self.timezone.next_hour(now_ms),
            Digest::Daily => self.timezone.next_at(now_ms, self.digest_at()),
        }
    }

    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }

    /// The routes in force: the configured ones, else the default: medium and above to the
    /// account's team channel, and, as BLEA's severity channels do, critical to a channel named
    /// `critical`, high to `error` and the rest to `info`, each where such a channel exists.
    pub fn effective_routes(&self) -> Vec<Route> {
        if !self.routes.is_empty() {
            return self.routes.clone();
        }
        let mut routes = vec![Route {
            min_severity: Some(Severity::Medium),
            to: vec![TEAM.into()],
            ..Route::default()
        }];
        let blea = [
            ("critical", Severity::Critical, Severity::Critical),
            ("error", Severity::High, Severity::High),
            ("info", Severity::Info, Severity::Medium),
        ];
        for (name, min, max) in blea {
            if self.channel(name).is_some() {
                routes.push(Route {
                    min_severity: Some(min),
                    max_severity: Some(max),
                    to: vec![name.into()],
                    ..Route::default()
                });
            }
        }
        routes
    }
}

/// The route target meaning "the channel named by the finding's account".
pub const TEAM: &str = "team";

/// One channel.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// What routes and accounts' `channel` tags call it.
    pub name: String,
    pub kind: ChannelKind,
    /// Slack incoming webhook, webhook or SMTP URL (`${ENV}` expansion keeps it out of the file).
    #[serde(default)]
    pub url: Option<String>,
    /// Webhooks: the HMAC-SHA256 key the body is signed with.
    #[serde(default)]
    pub secret: Option<String>,
    /// Files: where JSON lines are appended.
    #[serde(default)]
    pub path: Option<std::path::PathBuf>,
    /// E-mail: the sender address.
    #[serde(default)]
    pub from: Option<String>,
    /// E-mail: the recipients.
    #[serde(default)]
    pub to: Vec<String>,
    /// This channel's quiet hours, instead of `notify.quiet_hours`.
    #[serde(default)]
    pub quiet_hours: Option<ClockWindow>,
    /// Webhooks and files: the largest body in bytes (default 256 KiB); a larger alert drops
    /// its evidence and cuts its texts to fit.
    #[serde(default)]
    pub max_bytes: Option<usize>,
}

impl Channel {
    /// The largest body this channel takes, in bytes.
    pub fn max_bytes(&self) -> usize {
        match self.kind {
            // Teams workflow webhooks refuse more than 28 KB.
            ChannelKind::Teams => 28_000,
            _ => self.max_bytes.unwrap_or(256 * 1024),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// A Slack incoming webhook: Block Kit messages.
    #[default]
    Slack,
    /// Any HTTP endpoint: the finding as JSON, signed.
    Webhook,
    /// A local file of JSON lines.
    File,
    /// E-mail over SMTP (`url = "smtp://host:25"`, `"smtps://user:pass@host:465"`, or
    /// `"smtp://host:587?tls=required"` for STARTTLS): text and HTML.
    Email,
    /// A Microsoft Teams workflow webhook ("Post to a channel when a webhook request is
    /// received"): an Adaptive Card.
    Teams,
}

/// How often a digest route's findings go out together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Digest {
    /// At the start of each local hour.
    Hourly,
    /// Once a day at `notify.digest_at`.
    Daily,
}

impl Digest {
    pub fn as_str(self) -> &'static str {
        match self {
            Digest::Hourly => "hourly",
            Digest::Daily => "daily",
        }
    }
}

/// Which findings go where. Empty lists match anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Route {
    /// Only findings this severe or more.
    pub min_severity: Option<Severity>,
    /// Only findings this severe or less (with `digest`: the low ones, batched).
    pub max_severity: Option<Severity>,
    /// Only findings from these sources: `detection`, `guardduty`, `securityhub`, `health`,
    /// `registry`, `posture`.
    pub sources: Vec<String>,
    /// Only these rule ids (`*` wildcards: `aws.cloudtrail_*`).
    pub rules: Vec<String>,
    /// Only accounts of these teams.
    pub teams: Vec<String>,
    /// Only accounts under these OU paths (prefixes: `Root/Workloads`).
    pub ous: Vec<String>,
    /// Only these accounts (ids).
    pub accounts: Vec<String>,
    /// Channel names; `team` is the account's own channel.
    pub to: Vec<String>,
    /// Collect the findings and send them together, hourly or daily, instead of one by one.
    pub digest: Option<Digest>,
}

/// Where a finding comes from, by its rule id.
pub fn finding_source(rule_id: &str) -> &'static str {
    match rule_id.split('.').next().unwrap_or_default() {
        "guardduty" => "guardduty",
        "securityhub" => "securityhub",
        "health" => "health",
        "account" | "baseline" => "registry",
        "posture" => "posture",
        "cost" => "cost",
        _ => "detection",
    }
}
