//! From findings to outbox messages: every finding with something new to tell (created open,
//! reopened, more severe) is routed and rendered, and its messages are queued in the same
//! transaction that marks it told. Run it again at any time: what is told is not told twice,
//! and what a crash interrupted is told on the next run.

use parapet_model::notify::NotifyConfig;
use parapet_model::{AccountDirectory, AccountId};
use parapet_store::{OutboxMessage, Store};

use crate::message::{render, Alert, Who};
use crate::route::Router;
use crate::Result;

/// What one pass queued.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueReport {
    /// Findings marked told (open ones routed, closed ones skipped).
    pub findings: u64,
    pub messages: u64,
    /// Open findings no route sent anywhere.
    pub unrouted: u64,
}

/// `f{finding}.a{alert}.{channel}`: one per finding, alert and channel.
pub fn idempotency_key(finding_id: i64, seq: i64, channel: &str) -> String {
    format!("f{finding_id}.a{seq}.{channel}")
}

/// Who did it, from where and with what, from a finding's latest event: its actor, its source
/// address (CloudTrail's `sourceIPAddress`, a flow's `srcaddr`) and CloudTrail's `userAgent`.
pub fn who(store: &Store, finding_id: i64) -> Result<Who> {
    let (latest, _) = store.finding_events(finding_id, 1)?;
    let Some(e) = latest.first() else {
        return Ok(Who::default());
    };
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| e.excerpt.get(*k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    Ok(Who {
        actor: e.actor.clone(),
        source_ip: text(&["sourceIPAddress", "srcaddr"]),
        user_agent: text(&["userAgent"]),
    })
}

/// Routes and queues every finding with something new to tell.
pub fn queue_alerts(
    store: &mut Store,
    config: &NotifyConfig,
    accounts: &AccountDirectory,
    now_ms: i64,
) -> Result<QueueReport> {
    let router = Router::new(config);
    let mut report = QueueReport::default();
    loop {
        let due = store.findings_to_alert(500)?;
        if due.is_empty() {
            return Ok(report);
        }
        let mut told = Vec::with_capacity(due.len());
        let mut messages = Vec::new();
        for (f, seq) in &due {
            told.push((f.id, *seq));
            if f.status != "new" && f.status != "acknowledged" {
                continue;
            }
            let account = f
                .account_id
                .as_deref()
                .and_then(AccountId::parse)
                .and_then(|a| accounts.get(&a));
            let channels = router.channels(f, account);
            if channels.is_empty() {
                report.unrouted += 1;
                continue;
            }
            let who = who(store, f.id)?;
            for c in channels {
                let Some(channel) = config.channel(&c) else {
                    continue;
                };
                let key = idempotency_key(f.id, *seq, &c);
                let alert = Alert {
                    finding: f,
                    account,
                    seq: *seq,
                    who: who.clone(),
                    idempotency_key: &key,
                };
                let payload = render(channel.kind, &alert);
                messages.push(OutboxMessage {
                    idempotency_key: key,
                    finding_id: Some(f.id),
                    channel: c,
                    payload,
                });
            }
        }
        report.findings += told.len() as u64;
        report.messages += store.enqueue_alerts(&told, &messages, now_ms)?;
    }
}
