//! Telling people about findings. `route` picks the channels of a finding (pure), `message`
//! renders what each channel receives (pure, with every log-derived string escaped for where it
//! lands), `queue` turns findings with something new to tell into outbox messages in one
//! transaction, and `deliver` sends due messages with retries, backoff and `Retry-After`.
//!
//! Invariant: a channel's URL or secret is read from the config when sending; it is never
//! stored in the outbox, logged, or put in an error message.

pub mod deliver;
pub mod message;
pub mod queue;
pub mod route;

pub use deliver::{deliver_due, DeliveryReport, Http};
pub use message::{render, render_notice, Alert, Notice};
pub use queue::queue_alerts;
pub use route::Router;

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Store(#[from] parapet_store::StoreError),
    #[error("channel {channel}: {message}")]
    Channel { channel: String, message: String },
    #[error("HTTP client: {0}")]
    Client(String),
}

pub type Result<T, E = NotifyError> = std::result::Result<T, E>;

/// A finding for the unit tests.
#[cfg(test)]
pub(crate) fn test_finding(
    rule: &str,
    severity: &str,
    account: &str,
    summary: &str,
) -> parapet_store::StoredFinding {
    parapet_store::StoredFinding {
        id: 7,
        dedup_key: "k".into(),
        rule_id: rule.into(),
        severity: severity.into(),
        title: "t".into(),
        account_id: Some(account.into()),
        region: Some("us-east-1".into()),
        summary: summary.into(),
        next_step: "Rotate & review".into(),
        evidence: serde_json::json!({}),
        first_seen_ms: 0,
        last_seen_ms: 0,
        count: 1,
        status: "new".into(),
        status_reason: None,
        status_by: None,
        status_until_ms: None,
    }
}
