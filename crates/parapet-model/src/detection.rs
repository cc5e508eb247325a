//! What parapet itself concludes — a rule match, a registry change, a baseline gap — before the
//! findings store deduplicates it. (GuardDuty's and Security Hub's own findings are
//! [`crate::Finding`], rows of the lake.)

use std::fmt;

use crate::AccountId;

/// Severity of a detection, lowest first (so `>=` compares thresholds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.to_ascii_lowercase().as_str() {
            "info" | "informational" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One conclusion, as handed to the findings store.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Detection {
    /// What concluded it, e.g. `account.moved` or `baseline.guardduty`.
    pub rule_id: String,
    /// Detections with the same key are one finding (its count and last-seen grow).
    pub dedup_key: String,
    pub severity: Severity,
    pub title: String,
    pub account_id: Option<AccountId>,
    pub region: Option<String>,
    /// When it happened (ms since the epoch).
    pub time_ms: i64,
    /// What happened, in a sentence that names the account.
    pub summary: String,
    /// What to do about it.
    pub next_step: String,
    /// Supporting facts as a JSON object (text).
    pub evidence: String,
}

/// One event as evidence of a finding: its id, time, where and who, and a short excerpt.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventRef {
    /// CloudTrail `eventID` (else a digest of the record).
    pub uid: String,
    pub time_ms: i64,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub actor: Option<String>,
    /// What was done: CloudTrail's `eventName`.
    pub action: Option<String>,
    /// A compact JSON object with the record's telling fields.
    pub excerpt: String,
}

/// A suppression that applies to a finding as it is written (from `[[detect.suppress]]`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Suppression {
    pub by: String,
    pub reason: String,
    /// Until when (ms since the epoch); `None` = until lifted.
    pub until_ms: Option<i64>,
}

/// One event of a rule's finding: the finding it belongs to (`detection`, whose `dedup_key`
/// names it and whose `time_ms` is the event's) and the event. Writing the same event twice
/// changes nothing, so detection can run again over the same data.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FindingEvent {
    pub detection: Detection,
    pub event: EventRef,
    pub suppression: Option<Suppression>,
    /// For findings another service owns (GuardDuty, Security Hub, AWS Health): what this update
    /// says of the finding there. The store follows the newest update: closed there resolves
    /// the finding here, open again reopens it. `None` for parapet's own rules.
    pub at_source: Option<SourceStatus>,
}

/// The state of a finding in the service that owns it, as of one update.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SourceStatus {
    /// `guardduty`, `securityhub`, `health`.
    pub source: String,
    /// Archived, resolved, suppressed, passed or closed there.
    pub closed: bool,
}

/// Which findings of the managed services become parapet findings (`[detect.managed]`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ManagedFindings {
    /// GuardDuty findings (rows of the `guardduty` table).
    pub guardduty: bool,
    /// The lowest GuardDuty severity taken (GuardDuty's scale: 4.0 and up is medium).
    pub guardduty_min_severity: Severity,
    /// Also the sample findings GuardDuty generates on request.
    pub guardduty_samples: bool,
    /// Security Hub findings (rows of the `securityhub` table). Findings Security Hub imported
    /// from GuardDuty are left to the GuardDuty import when that is on.
    pub securityhub: bool,
    pub securityhub_min_severity: Severity,
    /// Workflow states taken as open (`NEW`, `NOTIFIED`); `RESOLVED` and `SUPPRESSED` close.
    pub securityhub_workflow: Vec<String>,
    /// AWS Health events, account-specific and public, open, upcoming and closed.
    pub health: bool,
}

impl Default for ManagedFindings {
    fn default() -> ManagedFindings {
        ManagedFindings {
            guardduty: true,
            guardduty_min_severity: Severity::Medium,
            guardduty_samples: false,
            securityhub: true,
            securityhub_min_severity: Severity::High,
            securityhub_workflow: vec!["NEW".into()],
            health: true,
        }
    }
}

/// A match of a rule that a correlation reads, kept in the store until the correlation's
/// windows around it are decided.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CorrelationEvent {
    /// The correlation rule's id.
    pub correlation: String,
    /// The id of the rule that matched.
    pub rule: String,
    /// The group-by values as a JSON array (text).
    pub group: String,
    /// `value_count`'s field value.
    pub value: Option<String>,
    pub event: EventRef,
}

/// A standing suppression from `[[detect.suppress]]`: findings it matches are written as
/// suppressed (their events are still counted).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuppressRule {
    /// Rule id; `*` matches any run of characters (`sigma.*`).
    pub rule: String,
    /// Only this account.
    #[serde(default)]
    pub account: Option<String>,
    /// Only this principal (ARN or user name); `*` wildcards allowed.
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// Why (required: a suppression nobody can explain is a hole).
    pub reason: String,
    /// `YYYY-MM-DD` or RFC 3339; after it the suppression no longer applies.
    #[serde(default)]
    pub until: Option<String>,
}

impl SuppressRule {
    /// `until` in ms since the epoch (a date means the start of that day, UTC).
    pub fn until_ms(&self) -> Option<i64> {
        crate::time::parse_date_or_rfc3339_ms(self.until.as_deref()?)
    }

    /// Whether this suppression covers a finding of `rule_id` about this account, actor and
    /// region, at `now_ms`.
    pub fn covers(
        &self,
        rule_id: &str,
        account: Option<&str>,
        actor: Option<&str>,
        region: Option<&str>,
        now_ms: i64,
    ) -> bool {
        if self.until_ms().is_some_and(|u| now_ms >= u) {
            return false;
        }
        let opt = |want: &Option<String>, have: Option<&str>| match want {
            None => true,
            Some(w) => have.is_some_and(|h| wildcard(w, h)),
        };
        wildcard(&self.rule, rule_id)
            && opt(&self.account, account)
            && opt(&self.actor, actor)
            && opt(&self.region, region)
    }
}

/// `*` matches any run of characters; everything else literally.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let Some(mut rest) = text.strip_prefix(parts[0]) else {
        return false;
    };
    let last = parts.len() - 1;
    for part in &parts[1..last] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= parts[last].len() && rest.ends_with(parts[last])
}

/// Thresholds of the built-in correlations (`[detect.thresholds]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub count: u32,
    pub minutes: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Failed console sign-ins of one user (default 3 in 5 minutes).
    pub console_failures: Threshold,
    /// Denied calls by one principal (default 10 in 5 minutes).
    pub access_denied: Threshold,
    /// SSH connections from one internet address to one host (default 20 in 10 minutes).
    pub ssh_attempts: Threshold,
    /// Distinct long-label DNS names queried by one host (default 20 in 10 minutes).
    pub dns_tunnel: Threshold,
}

impl Thresholds {
    /// Every threshold with its name (the key in `[detect.thresholds]`, and `${name.count}` /
    /// `${name.minutes}` in the built-in rules).
    pub fn named(&self) -> [(&'static str, Threshold); 4] {
        [
            ("console_failures", self.console_failures),
            ("access_denied", self.access_denied),
            ("ssh_attempts", self.ssh_attempts),
            ("dns_tunnel", self.dns_tunnel),
        ]
    }
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            console_failures: Threshold { count: 3, minutes: 5 },
            access_denied: Threshold {
                count: 10,
                minutes: 5,
            },
            ssh_attempts: Threshold {
                count: 20,
                minutes: 10,
            },
            dns_tunnel: Threshold {
                count: 20,
                minutes: 10,
            },
        }
    }
}
