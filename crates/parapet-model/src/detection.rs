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
