//! From findings to outbox messages: every finding with something new to tell (created open,
//! reopened, more severe) is routed and rendered, and its messages are queued in the same
//! transaction that marks it told. Run it again at any time: what is told is not told twice,
//! and what a crash interrupted is told on the next run.
//!
//! Not spammed: a finding reopened within `throttle_minutes` of its last alert is not told
//! again unless it is more severe; digest routes collect findings for an hourly or daily
//! message; quiet hours hold messages below `quiet_min_severity` until they end.

use parapet_model::notify::NotifyConfig;
use parapet_model::{AccountDirectory, AccountId, Severity};
use parapet_store::{AlertMark, DigestItem, OutboxMessage, Store};

use crate::message::{render, render_digest, Alert, DigestEntry, DigestView, Who};
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
    /// Reopened findings not told again inside the throttle window.
    pub throttled: u64,
    /// Findings put in a digest.
    pub digested: u64,
    /// Digest messages queued.
    pub digests: u64,
    /// Messages held back by quiet hours (queued, due when they end).
    pub held: u64,
}

impl QueueReport {
    /// Adds another pass's counts.
    pub fn add(&mut self, o: &QueueReport) {
        self.findings += o.findings;
        self.messages += o.messages;
        self.unrouted += o.unrouted;
        self.throttled += o.throttled;
        self.digested += o.digested;
        self.digests += o.digests;
        self.held += o.held;
    }
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

/// Routes and queues every finding with something new to tell, then the digests due.
pub fn queue_alerts(
    store: &mut Store,
    config: &NotifyConfig,
    accounts: &AccountDirectory,
    now_ms: i64,
) -> Result<QueueReport> {
    let router = Router::new(config);
    let mut report = QueueReport::default();
    let throttle = config.throttle_ms();
    loop {
        let due = store.findings_to_alert(500)?;
        if due.is_empty() {
            break;
        }
        let mut marks = Vec::with_capacity(due.len());
        let mut messages = Vec::new();
        let mut digest = Vec::new();
        for d in &due {
            let (f, seq) = (&d.finding, d.seq);
            let mut mark = AlertMark {
                finding_id: f.id,
                seq,
                told_severity: None,
            };
            report.findings += 1;
            if f.status != "new" && f.status != "acknowledged" {
                marks.push(mark);
                continue;
            }
            let severity = Severity::parse(&f.severity).unwrap_or(Severity::Medium);
            if let Some((at, was)) = &d.last_told {
                let was = Severity::parse(was).unwrap_or(Severity::Critical);
                if now_ms.saturating_sub(*at) < throttle && severity <= was {
                    report.throttled += 1;
                    marks.push(mark);
                    continue;
                }
            }
            let account = f
                .account_id
                .as_deref()
                .and_then(AccountId::parse)
                .and_then(|a| accounts.get(&a));
            let targets = router.targets(f, account);
            if targets.is_empty() {
                report.unrouted += 1;
                marks.push(mark);
                continue;
            }
            let who = who(store, f.id)?;
            for t in targets {
                let Some(channel) = config.channel(&t.channel) else {
                    continue;
                };
                if let Some(period) = t.digest {
                    digest.push(DigestItem {
                        channel: t.channel,
                        due_ms: config.digest_due(period, now_ms),
                        period: period.as_str().into(),
                        finding_id: f.id,
                        seq,
                    });
                    report.digested += 1;
                    continue;
                }
                let key = idempotency_key(f.id, seq, &t.channel);
                let alert = Alert {
                    finding: f,
                    account,
                    seq,
                    who: who.clone(),
                    idempotency_key: &key,
                };
                let not_before_ms = config.quiet_until(channel, severity, now_ms);
                report.held += u64::from(not_before_ms.is_some());
                messages.push(OutboxMessage {
                    payload: render(channel, &alert),
                    idempotency_key: key,
                    finding_id: Some(f.id),
                    channel: t.channel,
                    not_before_ms,
                });
            }
            mark.told_severity = Some(f.severity.clone());
            marks.push(mark);
        }
        report.messages += store.enqueue_alerts(&marks, &messages, &digest, now_ms)?;
    }
    let digests = queue_digests(store, config, accounts, now_ms, false)?;
    report.digests += digests.digests;
    report.held += digests.held;
    Ok(report)
}

/// Turns the digests due into outbox messages, one per channel and period, each in the
/// transaction that removes its items. `now`: every digest, whatever its hour, and not held
/// for quiet hours (someone asked for them).
pub fn queue_digests(
    store: &mut Store,
    config: &NotifyConfig,
    accounts: &AccountDirectory,
    now_ms: i64,
    now: bool,
) -> Result<QueueReport> {
    let mut report = QueueReport::default();
    for d in store.digests_due(if now { i64::MAX } else { now_ms })? {
        let mut findings = Vec::with_capacity(d.items.len());
        for (id, _) in &d.items {
            if let Some(f) = store.finding_by_id(*id)? {
                findings.push(f);
            }
        }
        let key = format!("d.{}.{}.{}", d.period, d.due_ms, d.channel);
        let message = match config.channel(&d.channel) {
            Some(channel) if !findings.is_empty() => {
                let view = DigestView {
                    period: &d.period,
                    due_ms: d.due_ms.min(now_ms),
                    idempotency_key: &key,
                    entries: findings
                        .iter()
                        .map(|f| DigestEntry {
                            finding: f,
                            account: f
                                .account_id
                                .as_deref()
                                .and_then(AccountId::parse)
                                .and_then(|a| accounts.get(&a)),
                        })
                        .collect(),
                };
                let worst = findings
                    .iter()
                    .filter_map(|f| Severity::parse(&f.severity))
                    .max()
                    .unwrap_or(Severity::Info);
                let not_before_ms = if now {
                    None
                } else {
                    config.quiet_until(channel, worst, now_ms)
                };
                report.held += u64::from(not_before_ms.is_some());
                Some(OutboxMessage {
                    payload: render_digest(channel, &view),
                    idempotency_key: key,
                    finding_id: None,
                    channel: d.channel.clone(),
                    not_before_ms,
                })
            }
            // The channel left the config (or its findings are gone): the items go, unsent.
            _ => None,
        };
        match message {
            Some(m) => report.digests += u64::from(store.enqueue_digest(&d, Some(&m), now_ms)?),
            None => {
                tracing::warn!(channel = %d.channel, items = d.items.len(), "dropping a digest for a channel that is not configured");
                store.enqueue_digest(&d, None, now_ms)?;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use parapet_model::clock::ClockWindow;
    use parapet_model::notify::{Channel, ChannelKind, Digest, Route};
    use parapet_model::time::parse_rfc3339_ms;
    use parapet_model::{Detection, EventRef, FindingEvent};
    use parapet_store::StatusChange;

    use super::*;

    fn event(key: &str, uid: &str, time_ms: i64, severity: Severity) -> FindingEvent {
        FindingEvent {
            detection: Detection {
                rule_id: format!("aws.{key}"),
                dedup_key: key.into(),
                severity,
                title: format!("{key} happened"),
                account_id: AccountId::parse("111111111111"),
                region: None,
                time_ms,
                summary: "s".into(),
                next_step: "n".into(),
                evidence: "{}".into(),
            },
            event: EventRef {
                uid: uid.into(),
                time_ms,
                account_id: None,
                region: None,
                actor: None,
                action: None,
                excerpt: "{}".into(),
            },
            suppression: None,
            at_source: None,
        }
    }

    fn record(s: &mut Store, e: FindingEvent) {
        let t = e.event.time_ms;
        s.record_detections(|w| w.add_finding_events(&[e], t))
            .expect("record");
    }

    fn resolve(s: &mut Store, key: &str) {
        let f = s
            .findings(&parapet_store::FindingFilter::default())
            .expect("findings")
            .into_iter()
            .find(|f| f.dedup_key == key)
            .expect("finding");
        let change = StatusChange {
            status: "resolved".into(),
            by: "me".into(),
            reason: "fixed".into(),
            until_ms: None,
        };
        s.set_finding_status(f.id, &change, 0).expect("resolve");
    }

    #[test]
    fn quiet_hours_hold_digests_collect_and_reopenings_are_throttled_unless_worse() {
        let t0 = parse_rfc3339_ms("2026-12-04T05:00:00Z").expect("time");
        let min = 60_000;
        let config = NotifyConfig {
            channels: vec![Channel {
                name: "ops".into(),
                kind: ChannelKind::Webhook,
                url: Some("http://127.0.0.1:1/".into()),
                ..Channel::default()
            }],
            routes: vec![
                Route {
                    min_severity: Some(Severity::Medium),
                    to: vec!["ops".into()],
                    ..Route::default()
                },
                Route {
                    max_severity: Some(Severity::Low),
                    to: vec!["ops".into()],
                    digest: Some(Digest::Hourly),
                    ..Route::default()
                },
            ],
            quiet_hours: Some(ClockWindow::try_from("04:00-06:00".to_string()).expect("window")),
            throttle_minutes: Some(120),
            ..NotifyConfig::default()
        };
        let accounts = AccountDirectory::default();
        let mut s = Store::open_in_memory().expect("store");
        record(&mut s, event("high", "e1", t0, Severity::High));
        record(&mut s, event("crit", "e2", t0, Severity::Critical));
        record(&mut s, event("low1", "e3", t0, Severity::Low));
        record(&mut s, event("low2", "e4", t0, Severity::Low));
        let r = queue_alerts(&mut s, &config, &accounts, t0).expect("queue");
        assert_eq!(
            (r.findings, r.messages, r.held, r.digested, r.digests),
            (4, 2, 1, 2, 0),
            "{r:?}"
        );
        // The critical one goes now; the high one waits for 06:00, when quiet hours end.
        let six = t0 + 60 * min;
        let due: Vec<String> = s
            .outbox_due(t0, 10)
            .expect("due")
            .into_iter()
            .map(|m| m.idempotency_key)
            .collect();
        assert_eq!(due.len(), 1);
        assert!(due[0].ends_with(".ops"), "{due:?}");
        assert_eq!(s.outbox_due(six, 10).expect("due").len(), 2);
        // At 06:00 the hour's digest goes, both low findings in one message.
        let r = queue_alerts(&mut s, &config, &accounts, six - 1).expect("queue");
        assert_eq!(r.digests, 0);
        let r = queue_alerts(&mut s, &config, &accounts, six).expect("queue");
        assert_eq!((r.digests, r.held), (1, 0), "{r:?}");
        let digest = s
            .outbox(Some("pending"), 10)
            .expect("outbox")
            .into_iter()
            .find(|m| m.idempotency_key.starts_with("d.hourly."))
            .expect("digest message");
        let doc: serde_json::Value = serde_json::from_str(&digest.payload).expect("json");
        assert_eq!(doc["count"], 2);
        assert_eq!(doc["findings"][0]["title"], "low1 happened");

        // Resolved and seen again 70 minutes after it was told: throttled...
        resolve(&mut s, "high");
        record(&mut s, event("high", "e5", six + 10 * min, Severity::High));
        let r = queue_alerts(&mut s, &config, &accounts, six + 10 * min).expect("queue");
        assert_eq!((r.throttled, r.messages), (1, 0), "{r:?}");
        // ... unless worse.
        record(&mut s, event("high", "e6", six + 11 * min, Severity::Critical));
        let r = queue_alerts(&mut s, &config, &accounts, six + 11 * min).expect("queue");
        assert_eq!((r.throttled, r.messages), (0, 1), "{r:?}");
        // After the window (two hours after it was last told) a reopening is told again.
        resolve(&mut s, "high");
        record(&mut s, event("high", "e7", six + 200 * min, Severity::Critical));
        let r = queue_alerts(&mut s, &config, &accounts, six + 200 * min).expect("queue");
        assert_eq!((r.throttled, r.messages), (0, 1), "{r:?}");
        // With no throttle, every reopening is told.
        let eager = NotifyConfig {
            throttle_minutes: Some(0),
            ..config.clone()
        };
        resolve(&mut s, "high");
        record(&mut s, event("high", "e8", six + 201 * min, Severity::Critical));
        let r = queue_alerts(&mut s, &eager, &accounts, six + 201 * min).expect("queue");
        assert_eq!((r.throttled, r.messages), (0, 1), "{r:?}");
    }
}
