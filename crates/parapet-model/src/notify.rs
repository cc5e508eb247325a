//! Where findings are told (`[notify]`): the channels, and the routes that pick channels for a
//! finding.

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

    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.name == name)
    }

    /// The routes in force: the configured ones, else the default.
    pub fn effective_routes(&self) -> Vec<Route> {
        if self.routes.is_empty() {
            vec![Route {
                min_severity: Some(Severity::Medium),
                to: vec![TEAM.into()],
                ..Route::default()
            }]
        } else {
            self.routes.clone()
        }
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
}

/// Which findings go where. Empty lists match anything.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Route {
    /// Only findings this severe or more.
    pub min_severity: Option<Severity>,
    /// Only findings from these sources: `detection`, `guardduty`, `securityhub`, `health`,
    /// `registry`.
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
}

/// Where a finding comes from, by its rule id.
pub fn finding_source(rule_id: &str) -> &'static str {
    match rule_id.split('.').next().unwrap_or_default() {
        "guardduty" => "guardduty",
        "securityhub" => "securityhub",
        "health" => "health",
        "account" | "baseline" => "registry",
        _ => "detection",
    }
}
