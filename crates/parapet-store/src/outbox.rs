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

impl Store {
    /// Findings with something new to tell, with the alert's sequence number, oldest first.
    /// Findings that are no longer open (resolved, suppressed) come too, to be marked told.
    pub fn findings_to_alert(&self, limit: usize) -> Result<Vec<(StoredFinding, i64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, alert_seq FROM findings WHERE alert_seq > alerted_seq ORDER BY updated_ms, id LIMIT ?1",
        )?;
        let due: Vec<(i64, i64)> = stmt
            .query_map(params![limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(due.len());
        for (id, seq) in due {
            let filter = FindingFilter {
                id: Some(id),
                ..FindingFilter::default()
            };
            if let Some(f) = self.findings(&filter)?.into_iter().next() {
                out.push((f, seq));
            }
        }
        Ok(out)
    }

    /// Queues `messages` and marks each finding of `told` (id, alert sequence) told up to its
    /// sequence, in one transaction. A message whose key is already queued is not queued again.
    /// Returns how many were queued.
    pub fn enqueue_alerts(
        &mut self,
        told: &[(i64, i64)],
        messages: &[OutboxMessage],
        now_ms: i64,
    ) -> Result<u64> {
        let tx = self.conn.transaction()?;
        let mut queued = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO outbox (idempotency_key, finding_id, channel, payload, status, next_attempt_ms, created_ms)
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5) ON CONFLICT (idempotency_key) DO NOTHING",
            )?;
            for m in messages {
                queued += insert.execute(params![
                    m.idempotency_key,
                    m.finding_id,
                    m.channel,
                    m.payload,
                    now_ms
                ])? as u64;
            }
            let mut mark =
                tx.prepare_cached("UPDATE findings SET alerted_seq = MAX(alerted_seq, ?2) WHERE id = ?1")?;
            for (id, seq) in told {
                mark.execute(params![id, seq])?;
            }
        }
        tx.commit()?;
        Ok(queued)
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
        let seq = |s: &Store| s.findings_to_alert(10).expect("due").first().map(|(_, q)| *q);
        let tell = |s: &mut Store| {
            let due: Vec<(i64, i64)> = s
                .findings_to_alert(10)
                .expect("due")
                .iter()
                .map(|(f, q)| (f.id, *q))
                .collect();
            s.enqueue_alerts(&due, &[], 0).expect("told");
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
        let (f, seq) = (&due[0].0, due[0].1);
        let msg = |k: &str| OutboxMessage {
            idempotency_key: k.into(),
            finding_id: Some(f.id),
            channel: "c".into(),
            payload: "{}".into(),
        };
        assert_eq!(
            s.enqueue_alerts(&[(f.id, seq)], &[msg("k1")], 100)
                .expect("queue"),
            1
        );
        // Told: nothing more to tell, and the same key is not queued twice.
        assert!(s.findings_to_alert(10).expect("due").is_empty());
        assert_eq!(s.enqueue_alerts(&[], &[msg("k1")], 100).expect("again"), 0);
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
    }
}
