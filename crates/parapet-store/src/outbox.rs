//! The notification outbox: findings with something to tell (created open, reopened, more
//! severe), and the rendered messages waiting for their channel. A message is queued in the
//! same transaction that marks its finding told, and leaves the queue only when its channel took
//! it (or it is dead after its tries), so a crash anywhere loses nothing: at least once, with an
//! idempotency key the receiver can deduplicate on.

use rusqlite::{params, OptionalExtension};

use crate::{FindingFilter, Result, Store, StoredFinding};

/// A rendered message for one channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Unique per finding, alert and channel; sent along so the receiver can deduplicate.
    pub idempotency_key: String,
    pub finding_id: Option<i64>,
    /// The channel's name in the config (its URL or secret are never stored).
    pub channel: String,
    /// The body as the channel takes it (JSON for Slack and webhooks).
    pub payload: String,
    /// Not to be sent before this (quiet hours).
    pub not_before_ms: Option<i64>,
}

/// A finding with something new to tell.
#[derive(Clone, Debug, PartialEq)]
pub struct DueAlert {
    pub finding: StoredFinding,
    /// The alert's sequence number (1 when new, more when reopened or more severe).
    pub seq: i64,
    /// When it was last told, and how severe it was then.
    pub last_told: Option<(i64, String)>,
}

/// What became of a due alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertMark {
    pub finding_id: i64,
    pub seq: i64,
    /// The severity told, when messages or digest items were queued for it; `None` when it was
    /// passed over (closed, throttled, routed nowhere).
    pub told_severity: Option<String>,
}

/// A finding waiting for a channel's digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestItem {
    pub channel: String,
    /// When the digest goes out.
    pub due_ms: i64,
    /// `hourly` or `daily`.
    pub period: String,
    pub finding_id: i64,
    pub seq: i64,
}

/// One channel's digest: the findings it holds, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueDigest {
    pub channel: String,
    pub due_ms: i64,
    pub period: String,
    /// (finding id, alert sequence)
    pub items: Vec<(i64, i64)>,
}

/// A message in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OutboxRow {
    pub id: i64,
    pub idempotency_key: String,
    pub finding_id: Option<i64>,
    pub channel: String,
    pub payload: String,
    /// `pending`, `sent` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub sent_ms: Option<i64>,
}

const ROW: &str = "id, idempotency_key, finding_id, channel, payload, status, attempts, next_attempt_ms,
                   last_error, created_ms, sent_ms";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        idempotency_key: r.get(1)?,
        finding_id: r.get(2)?,
        channel: r.get(3)?,
        payload: r.get(4)?,
        status: r.get(5)?,
        attempts: r.get(6)?,
        next_attempt_ms: r.get(7)?,
        last_error: r.get(8)?,
        created_ms: r.get(9)?,
        sent_ms: r.get(10)?,
    })
}

/// Inserts messages as pending (due at their `not_before_ms`, else now), skipping keys already
/// queued; returns how many were new.
fn insert_messages(tx: &rusqlite::Transaction<'_>, messages: &[OutboxMessage], now_ms: i64) -> Result<u64> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO outbox (idempotency_key, finding_id, channel, payload, status, next_attempt_ms, created_ms)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6) ON CONFLICT (idempotency_key) DO NOTHING",
    )?;
    let mut queued = 0;
    for m in messages {
        let due = m.not_before_ms.map_or(now_ms, |t| t.max(now_ms));
        queued += insert.execute(params![
            m.idempotency_key,
            m.finding_id,
            m.channel,
            m.payload,
            due,
            now_ms
        ])? as u64;
    }
    Ok(queued)
}

impl Store {
    /// Queues messages that belong to no finding (reports); a key already queued is skipped.
    /// Returns how many were new.
    pub fn enqueue_messages(&mut self, messages: &[OutboxMessage], now_ms: i64) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let queued = insert_messages(&tx, messages, now_ms)?;
        tx.commit()?;
        Ok(queued)
    }

    /// Whether any message whose idempotency key starts with `prefix` was ever queued.
    pub fn outbox_has_key_prefix(&self, prefix: &str) -> Result<bool> {
        let like = format!(
            "{}%",
            prefix
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM outbox WHERE idempotency_key LIKE ?1 ESCAPE '\\' LIMIT 1",
                params![like],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Findings with something new to tell, oldest first. Findings that are no longer open
    /// (resolved, suppressed) come too, to be marked told.
    pub fn findings_to_alert(&self, limit: usize) -> Result<Vec<DueAlert>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, alert_seq, told_ms, told_severity FROM findings WHERE alert_seq > alerted_seq
             ORDER BY updated_ms, id LIMIT ?1",
        )?;
        type Row = (i64, i64, Option<i64>, Option<String>);
        let due: Vec<Row> = stmt
            .query_map(params![limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(due.len());
        for (id, seq, told_ms, told_severity) in due {
            if let Some(finding) = self.finding_by_id(id)? {
                out.push(DueAlert {
                    finding,
                    seq,
                    last_told: told_ms.zip(told_severity),
                });
            }
        }
        Ok(out)
    }

    /// In one transaction: queues `messages` and `digest` items, and marks each finding of
    /// `marks` told up to its sequence (and, when it was told, when and how severe). A message
    /// whose key is already queued is not queued again. Returns how many messages were queued.
    pub fn enqueue_alerts(
        &mut self,
        marks: &[AlertMark],
        messages: &[OutboxMessage],
        digest: &[DigestItem],
        now_ms: i64,
    ) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let queued = insert_messages(&tx, messages, now_ms)?;
        {
            let mut item = tx.prepare_cached(
                "INSERT INTO digest_items (channel, due_ms, period, finding_id, alert_seq, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )?;
            for d in digest {
                item.execute(params![
                    d.channel,
                    d.due_ms,
                    d.period,
                    d.finding_id,
                    d.seq,
                    now_ms
                ])?;
            }
            let mut mark = tx.prepare_cached(
                "UPDATE findings SET alerted_seq = MAX(alerted_seq, ?2),
                    told_ms = CASE WHEN ?3 IS NULL THEN told_ms ELSE ?4 END,
                    told_severity = COALESCE(?3, told_severity)
                 WHERE id = ?1",
            )?;
            for m in marks {
                mark.execute(params![m.finding_id, m.seq, m.told_severity, now_ms])?;
            }
        }
        tx.commit()?;
        Ok(queued)
    }

    /// Digests due by `now_ms` (all of them with `i64::MAX`), oldest first.
    pub fn digests_due(&self, now_ms: i64) -> Result<Vec<DueDigest>> {
        let mut stmt = self.conn.prepare(
            "SELECT channel, due_ms, period, finding_id, alert_seq FROM digest_items WHERE due_ms <= ?1
             ORDER BY due_ms, channel, created_ms, finding_id",
        )?;
        let rows: Vec<(String, i64, String, i64, i64)> = stmt
            .query_map(params![now_ms], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut out: Vec<DueDigest> = Vec::new();
        for (channel, due_ms, period, id, seq) in rows {
            match out.last_mut() {
                Some(d) if d.channel == channel && d.due_ms == due_ms => d.items.push((id, seq)),
                _ => out.push(DueDigest {
                    channel,
                    due_ms,
                    period,
                    items: vec![(id, seq)],
                }),
            }
        }
        Ok(out)
    }

    /// The digest's message (if any) queued and its items gone, in one transaction. Returns
    /// whether a message was new.
    pub fn enqueue_digest(
        &mut self,
        digest: &DueDigest,
        message: Option<&OutboxMessage>,
        now_ms: i64,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let queued = match message {
            Some(m) => insert_messages(&tx, std::slice::from_ref(m), now_ms)?,
            None => 0,
        };
        tx.execute(
            "DELETE FROM digest_items WHERE channel = ?1 AND due_ms = ?2",
            params![digest.channel, digest.due_ms],
        )?;
        tx.commit()?;
        Ok(queued == 1)
    }

    /// Findings waiting for digests: (channel, period, due, how many), soonest first.
    pub fn digest_waiting(&self) -> Result<Vec<(String, String, i64, i64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT channel, period, due_ms, COUNT(*) FROM digest_items GROUP BY channel, period, due_ms
             ORDER BY due_ms, channel",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// One finding.
    pub fn finding_by_id(&self, id: i64) -> Result<Option<StoredFinding>> {
        let filter = FindingFilter {
            id: Some(id),
            ..FindingFilter::default()
        };
        Ok(self.findings(&filter)?.into_iter().next())
    }

    /// Pending messages whose next attempt is due, oldest first.
    pub fn outbox_due(&self, now_ms: i64, limit: usize) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW} FROM outbox WHERE status = 'pending' AND next_attempt_ms <= ?1 ORDER BY next_attempt_ms, id LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(params![now_ms, limit as i64], row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// When the next pending message is due, if any is.
    pub fn outbox_next_due(&self) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT MIN(next_attempt_ms) FROM outbox WHERE status = 'pending'",
                [],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()?
            .flatten())
    }

    /// The channel took message `id`.
    pub fn outbox_sent(&mut self, id: i64, now_ms: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_ms = ?2, last_error = NULL WHERE id = ?1",
            params![id, now_ms],
        )?;
        Ok(())
    }

    /// An attempt at message `id` failed: try again at `retry_at_ms`, or (`None`) give it up as
    /// dead.
    pub fn outbox_failed(&mut self, id: i64, error: &str, retry_at_ms: Option<i64>) -> Result<()> {
        match retry_at_ms {
            Some(at) => self.conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_ms = ?3 WHERE id = ?1",
                params![id, error, at],
            )?,
            None => self.conn.execute(
                "UPDATE outbox SET status = 'dead', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )?,
        };
        Ok(())
    }

    /// Messages, newest first; `status` limits them to one state.
    pub fn outbox(&self, status: Option<&str>, limit: usize) -> Result<Vec<OutboxRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ROW} FROM outbox WHERE (?1 IS NULL OR status = ?1) ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = stmt
            .query_map(params![status, limit as i64], row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Puts dead messages (one, or all) back in the queue with their tries reset; returns how
    /// many.
    pub fn outbox_retry(&mut self, id: Option<i64>, now_ms: i64) -> Result<u64> {
        let n = self.conn.execute(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_ms = ?2
             WHERE status = 'dead' AND (?1 IS NULL OR id = ?1)",
            params![id, now_ms],
        )?;
        Ok(n as u64)
    }

    /// Pending messages, and of them how many are held (never tried, due after `now_ms`: quiet
    /// hours).
    pub fn outbox_pending(&self, now_ms: i64) -> Result<(u64, u64)> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(attempts = 0 AND next_attempt_ms > ?1), 0) FROM outbox WHERE status = 'pending'",
            params![now_ms],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }

    /// How many messages are in each state.
    pub fn outbox_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use parapet_model::{AccountId, Detection, EventRef, FindingEvent, Severity};

    use super::*;

    fn event(key: &str, uid: &str, time_ms: i64, severity: Severity) -> FindingEvent {
        FindingEvent {
            detection: Detection {
                rule_id: "r".into(),
                dedup_key: key.into(),
                severity,
                title: "t".into(),
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

    #[test]
    fn new_reopened_and_more_severe_findings_each_deserve_one_alert() {
        let mut s = Store::open_in_memory().expect("store");
        let seq = |s: &Store| s.findings_to_alert(10).expect("due").first().map(|d| d.seq);
        let tell = |s: &mut Store| {
            let due: Vec<AlertMark> = s
                .findings_to_alert(10)
                .expect("due")
                .iter()
                .map(|d| AlertMark {
                    finding_id: d.finding.id,
                    seq: d.seq,
                    told_severity: Some(d.finding.severity.clone()),
                })
                .collect();
            s.enqueue_alerts(&due, &[], &[], 5).expect("told");
        };
        s.record_detections(|w| w.add_finding_events(&[event("a", "e1", 10, Severity::Medium)], 10))
            .expect("new");
        assert_eq!(seq(&s), Some(1));
        tell(&mut s);
        // Another event of the same severity: nothing to tell.
        s.record_detections(|w| w.add_finding_events(&[event("a", "e2", 20, Severity::Medium)], 20))
            .expect("more");
        assert_eq!(seq(&s), None);
        // More severe: tell again.
        s.record_detections(|w| w.add_finding_events(&[event("a", "e3", 30, Severity::High)], 30))
            .expect("worse");
        assert_eq!(seq(&s), Some(2));
        // The last time it was told, and how severe it was then, come along.
        assert_eq!(
            s.findings_to_alert(10).expect("due")[0].last_told,
            Some((5, "medium".to_string()))
        );
        tell(&mut s);
        // Resolved, then seen again: reopened, tell again.
        let id = s.findings(&FindingFilter::default()).expect("list")[0].id;
        let change = crate::StatusChange {
            status: "resolved".into(),
            by: "me".into(),
            reason: "fixed".into(),
            until_ms: None,
        };
        s.set_finding_status(id, &change, 40).expect("resolve");
        assert_eq!(seq(&s), None);
        s.record_detections(|w| w.add_finding_events(&[event("a", "e4", 50, Severity::High)], 50))
            .expect("again");
        assert_eq!(seq(&s), Some(3));
    }

    #[test]
    fn findings_are_told_once_per_alert_and_messages_leave_only_when_taken() {
        let mut s = Store::open_in_memory().expect("store");
        s.record_detections(|w| w.add_finding_events(&[event("a", "e1", 1, Severity::High)], 10))
            .expect("record");
        let due = s.findings_to_alert(10).expect("due");
        assert_eq!(due.len(), 1);
        let (f, seq) = (&due[0].finding, due[0].seq);
        let msg = |k: &str| OutboxMessage {
            idempotency_key: k.into(),
            finding_id: Some(f.id),
            channel: "c".into(),
            payload: "{}".into(),
            not_before_ms: None,
        };
        let mark = AlertMark {
            finding_id: f.id,
            seq,
            told_severity: Some("high".into()),
        };
        assert_eq!(
            s.enqueue_alerts(&[mark], &[msg("k1")], &[], 100).expect("queue"),
            1
        );
        // Told: nothing more to tell, and the same key is not queued twice.
        assert!(s.findings_to_alert(10).expect("due").is_empty());
        assert_eq!(s.enqueue_alerts(&[], &[msg("k1")], &[], 100).expect("again"), 0);
        let m = &s.outbox_due(100, 10).expect("due")[0];
        s.outbox_failed(m.id, "HTTP 500", Some(200)).expect("fail");
        assert!(s.outbox_due(150, 10).expect("not yet").is_empty());
        assert_eq!(s.outbox_next_due().expect("next"), Some(200));
        s.outbox_failed(m.id, "HTTP 500", None).expect("dead");
        assert_eq!(s.outbox_counts().expect("counts"), [("dead".to_string(), 1)]);
        assert_eq!(s.outbox_retry(None, 300).expect("retry"), 1);
        let m = &s.outbox_due(300, 10).expect("due")[0];
        assert_eq!(m.attempts, 0);
        s.outbox_sent(m.id, 310).expect("sent");
        assert_eq!(s.outbox(Some("sent"), 10).expect("sent")[0].sent_ms, Some(310));
        // Held for quiet hours: due at its time, not before.
        let held = OutboxMessage {
            not_before_ms: Some(1_000),
            ..msg("k2")
        };
        s.enqueue_alerts(&[], &[held], &[], 400).expect("held");
        assert!(s.outbox_due(999, 10).expect("not yet").is_empty());
        assert_eq!(s.outbox_due(1_000, 10).expect("due").len(), 1);
    }

    #[test]
    fn digest_items_wait_for_their_time_and_leave_in_one_message() {
        let mut s = Store::open_in_memory().expect("store");
        s.record_detections(|w| {
            w.add_finding_events(
                &[
                    event("a", "e1", 1, Severity::Low),
                    event("b", "e2", 2, Severity::Low),
                ],
                10,
            )
        })
        .expect("record");
        let due = s.findings_to_alert(10).expect("due");
        let item = |d: &DueAlert, channel: &str, due_ms| DigestItem {
            channel: channel.into(),
            due_ms,
            period: "hourly".into(),
            finding_id: d.finding.id,
            seq: d.seq,
        };
        let items = [
            item(&due[0], "info", 3_600_000),
            item(&due[1], "info", 3_600_000),
            item(&due[1], "other", 7_200_000),
        ];
        s.enqueue_alerts(&[], &[], &items, 10).expect("queue");
        // The same items again change nothing.
        s.enqueue_alerts(&[], &[], &items, 11).expect("again");
        assert!(s.digests_due(3_599_999).expect("none").is_empty());
        let ready = s.digests_due(3_600_000).expect("due");
        assert_eq!(ready.len(), 1);
        assert_eq!(ready[0].items.len(), 2);
        assert_eq!(
            s.digest_waiting().expect("waiting"),
            [
                ("info".to_string(), "hourly".to_string(), 3_600_000, 2),
                ("other".to_string(), "hourly".to_string(), 7_200_000, 1)
            ]
        );
        let message = OutboxMessage {
            idempotency_key: "digest.info.3600000".into(),
            finding_id: None,
            channel: "info".into(),
            payload: "{}".into(),
            not_before_ms: None,
        };
        assert!(s
            .enqueue_digest(&ready[0], Some(&message), 3_600_001)
            .expect("queued"));
        assert!(s.digests_due(3_600_001).expect("gone").is_empty());
        // Flushing early takes the later ones too.
        assert_eq!(s.digests_due(i64::MAX).expect("all").len(), 1);
        assert_eq!(s.outbox_due(3_600_001, 10).expect("message").len(), 1);
    }
}
