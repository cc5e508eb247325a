//! What detection writes: the events of rule findings (idempotent: an event already recorded for
//! a finding changes nothing, so detection may run again over the same data), the matches
//! correlations decide their windows over, and the status workflow (acknowledge, resolve,
//! suppress — who, why, until — each kept in `finding_actions`).

use parapet_model::{CorrelationEvent, EventRef, FindingEvent, Severity};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::{Result, Store, StoreError};

/// Detection's writes inside one transaction (an ingest checkpoint's, or a `detect` run's).
pub struct DetectionWriter<'t> {
    tx: &'t Transaction<'t>,
    pub written: Written,
}

/// What a write changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Written {
    /// Findings that did not exist before.
    pub new_findings: u64,
    /// Events not yet recorded for their finding.
    pub new_events: u64,
    /// Resolved (or expired-suppression) findings seen again.
    pub reopened: u64,
    /// Findings resolved because the service that owns them closed them.
    pub closed: u64,
}

impl<'t> DetectionWriter<'t> {
    pub(crate) fn new(tx: &'t Transaction<'t>) -> DetectionWriter<'t> {
        DetectionWriter {
            tx,
            written: Written::default(),
        }
    }

    /// Stores correlation matches; ones already stored are left as they are.
    pub fn add_correlation_events(&mut self, events: &[CorrelationEvent]) -> Result<()> {
        let mut ins = self.tx.prepare_cached(
            "INSERT INTO correlation_events (correlation, grp, rule_id, event_uid, time_ms, value, event)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
        )?;
        for e in events {
            let event = serde_json::to_string(&e.event).map_err(|err| StoreError::Data(err.to_string()))?;
            ins.execute(params![
                e.correlation,
                e.group,
                e.rule,
                e.event.uid,
                e.event.time_ms,
                e.value,
                event
            ])?;
        }
        Ok(())
    }

    /// The stored matches of one correlation group with a time in `from..=to`.
    pub fn correlation_events(
        &mut self,
        correlation: &str,
        group: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<CorrelationEvent>> {
        let mut q = self.tx.prepare_cached(
            "SELECT rule_id, value, event FROM correlation_events
             WHERE correlation = ?1 AND grp = ?2 AND time_ms BETWEEN ?3 AND ?4
             ORDER BY time_ms, event_uid, rule_id",
        )?;
        let rows = q.query_map(params![correlation, group, from, to], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (rule, value, event) = row?;
            let event: EventRef = serde_json::from_str(&event)
                .map_err(|e| StoreError::Data(format!("correlation_events.event: {e}")))?;
            out.push(CorrelationEvent {
                correlation: correlation.to_string(),
                rule,
                group: group.to_string(),
                value,
                event,
            });
        }
        Ok(out)
    }

    /// Records each event under its finding (creating the finding on its first event). A new
    /// event grows the count and widens first/last seen, takes the texts if it is the latest,
    /// and reopens a resolved finding (or one whose suppression has expired).
    pub fn add_finding_events(&mut self, events: &[FindingEvent], now_ms: i64) -> Result<()> {
        let mut find = self.tx.prepare_cached(
            "SELECT id, status, status_until_ms, last_seen_ms, severity FROM findings WHERE dedup_key = ?1",
        )?;
        let mut create = self.tx.prepare_cached(
            "INSERT INTO findings (dedup_key, rule_id, severity, title, account_id, region, summary, next_step,
                                   evidence, first_seen_ms, last_seen_ms, count, status, status_reason, status_by,
                                   status_until_ms, updated_ms, alert_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, 0, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?;
        let mut add_event = self.tx.prepare_cached(
            "INSERT INTO finding_events (finding_id, event_uid, time_ms, actor, excerpt)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )?;
        let mut grow = self.tx.prepare_cached(
            "UPDATE findings SET
                count = count + 1,
                first_seen_ms = MIN(first_seen_ms, ?2),
                severity = CASE WHEN ?2 >= last_seen_ms THEN ?3 ELSE severity END,
                title = CASE WHEN ?2 >= last_seen_ms THEN ?4 ELSE title END,
                region = CASE WHEN ?2 >= last_seen_ms THEN ?5 ELSE region END,
                summary = CASE WHEN ?2 >= last_seen_ms THEN ?6 ELSE summary END,
                next_step = CASE WHEN ?2 >= last_seen_ms THEN ?7 ELSE next_step END,
                evidence = CASE WHEN ?2 >= last_seen_ms THEN ?8 ELSE evidence END,
                last_seen_ms = MAX(last_seen_ms, ?2),
                updated_ms = ?9
             WHERE id = ?1",
        )?;
        let mut reopen = self.tx.prepare_cached(
            "UPDATE findings SET status = 'new', status_reason = ?2, status_by = NULL, status_until_ms = NULL, updated_ms = ?3,
                                 alert_seq = alert_seq + 1
             WHERE id = ?1",
        )?;
        let mut escalate = self
            .tx
            .prepare_cached("UPDATE findings SET alert_seq = alert_seq + 1 WHERE id = ?1 AND status IN ('new', 'acknowledged')")?;
        let mut close = self.tx.prepare_cached(
            "UPDATE findings SET status = 'resolved', status_reason = ?2, status_by = ?3, status_until_ms = NULL, updated_ms = ?4
             WHERE id = ?1",
        )?;
        for fe in events {
            let d = &fe.detection;
            let existing: Option<(i64, String, Option<i64>, i64, String)> = find
                .query_row(params![d.dedup_key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()?;
            let (id, status, until, last_seen, was) = match existing {
                Some(x) => x,
                None => {
                    let (status, reason, by, until) = match &fe.suppression {
                        Some(s) => (
                            "suppressed",
                            Some(s.reason.clone()),
                            Some(s.by.clone()),
                            s.until_ms,
                        ),
                        None => ("new", None, None, None),
                    };
                    create.execute(params![
                        d.dedup_key,
                        d.rule_id,
                        d.severity.as_str(),
                        d.title,
                        d.account_id.as_ref().map(|a| a.as_str()),
                        d.region,
                        d.summary,
                        d.next_step,
                        d.evidence,
                        d.time_ms,
                        status,
                        reason,
                        by,
                        until,
                        now_ms,
                        // A suppressed finding is not told; an open one is, once.
                        i64::from(status == "new")
                    ])?;
                    self.written.new_findings += 1;
                    (
                        self.tx.last_insert_rowid(),
                        status.to_string(),
                        until,
                        i64::MIN,
                        d.severity.as_str().to_string(),
                    )
                }
            };
            let added = add_event.execute(params![
                id,
                fe.event.uid,
                fe.event.time_ms,
                fe.event.actor,
                fe.event.excerpt
            ])?;
            if added == 0 {
                continue;
            }
            self.written.new_events += 1;
            // A newer event that makes an open finding more severe is worth telling again.
            if d.time_ms >= last_seen && Severity::parse(&was).is_some_and(|w| d.severity > w) {
                escalate.execute(params![id])?;
            }
            grow.execute(params![
                id,
                d.time_ms,
                d.severity.as_str(),
                d.title,
                d.region,
                d.summary,
                d.next_step,
                d.evidence,
                now_ms
            ])?;
            if let Some(at) = &fe.at_source {
                // Another service owns the finding: its newest update decides open or closed
                // (an older update arriving late only adds to the count).
                if d.time_ms >= last_seen {
                    if at.closed && status != "resolved" {
                        let reason = format!("closed in {}", at.source);
                        close.execute(params![id, reason, at.source, now_ms])?;
                        self.written.closed += 1;
                    } else if !at.closed && status == "resolved" {
                        let reason = format!("open again in {}", at.source);
                        reopen.execute(params![id, reason, now_ms])?;
                        self.written.reopened += 1;
                    }
                }
                continue;
            }
            let expired = status == "suppressed" && until.is_some_and(|u| now_ms >= u);
            if status == "resolved" || expired {
                let reason = if expired {
                    "suppression expired; seen again"
                } else {
                    "seen again"
                };
                reopen.execute(params![id, reason, now_ms])?;
                self.written.reopened += 1;
            }
        }
        Ok(())
    }
}

/// A status change asked for by a person (or a tool).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// `acknowledged`, `resolved`, `suppressed` or `new` (reopen).
    pub status: String,
    pub by: String,
    pub reason: String,
    /// For `suppressed`: until when (ms); `None` = until lifted.
    pub until_ms: Option<i64>,
}

/// One entry of a finding's status history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FindingAction {
    pub time_ms: i64,
    pub status: String,
    pub by: String,
    pub reason: String,
    pub until_ms: Option<i64>,
}

/// One event of a finding, as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FindingEventRow {
    pub event_uid: String,
    pub time_ms: i64,
    pub actor: Option<String>,
    /// JSON object.
    pub excerpt: serde_json::Value,
}

impl Store {
    /// Runs `f` with a detection writer in one transaction, committed when `f` succeeds.
    pub fn record_detections<T>(
        &mut self,
        f: impl FnOnce(&mut DetectionWriter<'_>) -> Result<T>,
    ) -> Result<(T, Written)> {
        let tx = self.conn.transaction()?;
        let (out, written) = {
            let mut w = DetectionWriter::new(&tx);
            let out = f(&mut w)?;
            (out, w.written)
        };
        tx.commit()?;
        Ok((out, written))
    }

    /// Changes a finding's status (by id) and records who and why. `None` if there is no such
    /// finding. Allowed: anything to `acknowledged`, `resolved`, `suppressed`, and back to `new`.
    pub fn set_finding_status(&mut self, id: i64, change: &StatusChange, now_ms: i64) -> Result<Option<()>> {
        if !matches!(
            change.status.as_str(),
            "new" | "acknowledged" | "resolved" | "suppressed"
        ) {
            return Err(StoreError::Data(format!(
                "'{}' is not a finding status",
                change.status
            )));
        }
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE findings SET status = ?2, status_reason = ?3, status_by = ?4, status_until_ms = ?5, updated_ms = ?6
             WHERE id = ?1",
            params![
                id,
                change.status,
                change.reason,
                change.by,
                if change.status == "suppressed" { change.until_ms } else { None },
                now_ms
            ],
        )?;
        if n == 0 {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO finding_actions (finding_id, time_ms, status, by_whom, reason, until_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, now_ms, change.status, change.by, change.reason, change.until_ms],
        )?;
        tx.commit()?;
        Ok(Some(()))
    }

    /// The latest `limit` events of a finding, newest first, and how many there are in all.
    pub fn finding_events(&self, id: i64, limit: usize) -> Result<(Vec<FindingEventRow>, u64)> {
        let total: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM finding_events WHERE finding_id = ?1",
            params![id],
            |r| r.get(0),
        )?;
        let mut q = self.conn.prepare(
            "SELECT event_uid, time_ms, actor, excerpt FROM finding_events WHERE finding_id = ?1
             ORDER BY time_ms DESC, event_uid LIMIT ?2",
        )?;
        let rows = q.query_map(params![id, limit as i64], |r| {
            let excerpt: String = r.get(3)?;
            Ok(FindingEventRow {
                event_uid: r.get(0)?,
                time_ms: r.get(1)?,
                actor: r.get(2)?,
                excerpt: serde_json::from_str(&excerpt).unwrap_or(serde_json::Value::String(excerpt)),
            })
        })?;
        Ok((rows.collect::<rusqlite::Result<Vec<_>>>()?, total as u64))
    }

    /// A finding's status history, oldest first.
    pub fn finding_actions(&self, id: i64) -> Result<Vec<FindingAction>> {
        let mut q = self.conn.prepare(
            "SELECT time_ms, status, by_whom, reason, until_ms FROM finding_actions WHERE finding_id = ?1 ORDER BY id",
        )?;
        let rows = q.query_map(params![id], |r| {
            Ok(FindingAction {
                time_ms: r.get(0)?,
                status: r.get(1)?,
                by: r.get(2)?,
                reason: r.get(3)?,
                until_ms: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use parapet_model::{AccountId, Detection, SourceStatus, Suppression};

    use super::*;
    use crate::FindingFilter;

    fn fe(key: &str, uid: &str, t: i64, suppression: Option<Suppression>) -> FindingEvent {
        FindingEvent {
            detection: Detection {
                rule_id: "r".into(),
                dedup_key: key.into(),
                severity: Severity::High,
                title: "t".into(),
                account_id: AccountId::parse("111111111111"),
                region: Some("eu-west-1".into()),
                time_ms: t,
                summary: format!("at {t}"),
                next_step: "n".into(),
                evidence: "{}".into(),
            },
            event: EventRef {
                uid: uid.into(),
                time_ms: t,
                account_id: Some("111111111111".into()),
                region: None,
                actor: Some("arn:x".into()),
                action: Some("X".into()),
                excerpt: "{\"eventName\":\"X\"}".into(),
            },
            suppression,
            at_source: None,
        }
    }

    #[test]
    fn findings_owned_elsewhere_follow_their_newest_update() {
        let mut s = Store::open_in_memory().expect("store");
        let update = |t: i64, closed: bool| {
            let mut e = fe("gd:1", &format!("gd-1@{t}"), t, None);
            e.at_source = Some(SourceStatus {
                source: "guardduty".into(),
                closed,
            });
            e
        };
        let status = |s: &Store| {
            let f = s.findings(&FindingFilter::default()).expect("list");
            (f[0].status.clone(), f[0].count, f[0].status_reason.clone())
        };
        s.record_detections(|w| w.add_finding_events(&[update(10, false)], 100))
            .expect("open");
        assert_eq!(status(&s), ("new".into(), 1, None));
        // Archived at the source: resolved here, by the source.
        let (_, w) = s
            .record_detections(|w| w.add_finding_events(&[update(20, true)], 200))
            .expect("closed");
        assert_eq!(w.closed, 1);
        assert_eq!(
            status(&s),
            ("resolved".into(), 2, Some("closed in guardduty".into()))
        );
        // An older open update arriving late counts, and changes nothing else.
        s.record_detections(|w| w.add_finding_events(&[update(15, false)], 300))
            .expect("late");
        assert_eq!(status(&s).0, "resolved");
        assert_eq!(status(&s).1, 3);
        // A newer open update reopens it.
        s.record_detections(|w| w.add_finding_events(&[update(30, false)], 400))
            .expect("again");
        assert_eq!(
            status(&s),
            ("new".into(), 4, Some("open again in guardduty".into()))
        );
    }

    #[test]
    fn events_count_once_and_resolved_findings_reopen_on_new_events_only() {
        let mut store = Store::open_in_memory().expect("store");
        let batch = [
            fe("k", "e1", 10, None),
            fe("k", "e2", 5, None),
            fe("k", "e1", 10, None),
        ];
        let (_, w) = store
            .record_detections(|w| w.add_finding_events(&batch, 100))
            .expect("write");
        assert_eq!((w.new_findings, w.new_events), (1, 2));
        // The same events again (a second detect run): nothing changes.
        let (_, w) = store
            .record_detections(|w| w.add_finding_events(&batch, 200))
            .expect("again");
        assert_eq!(w, Written::default());
        let f = &store.findings(&FindingFilter::default()).expect("list")[0];
        assert_eq!(
            (f.count, f.first_seen_ms, f.last_seen_ms, f.summary.as_str()),
            (2, 5, 10, "at 10")
        );
        let change = StatusChange {
            status: "resolved".into(),
            by: "alice".into(),
            reason: "fixed".into(),
            until_ms: None,
        };
        store
            .set_finding_status(f.id, &change, 300)
            .expect("resolve")
            .expect("exists");
        store
            .record_detections(|w| w.add_finding_events(&batch, 400))
            .expect("old events");
        assert_eq!(
            store.findings(&FindingFilter::default()).expect("list")[0].status,
            "resolved"
        );
        let (_, w) = store
            .record_detections(|w| w.add_finding_events(&[fe("k", "e3", 50, None)], 500))
            .expect("new");
        assert_eq!(w.reopened, 1);
        let f = &store.findings(&FindingFilter::default()).expect("list")[0];
        assert_eq!(
            (f.status.as_str(), f.count, f.status_reason.as_deref()),
            ("new", 3, Some("seen again"))
        );
        assert_eq!(store.finding_actions(f.id).expect("actions").len(), 1);
        let (events, total) = store.finding_events(f.id, 2).expect("events");
        assert_eq!((events.len(), total, events[0].event_uid.as_str()), (2, 3, "e3"));
        assert!(store
            .set_finding_status(999, &change, 1)
            .expect("missing")
            .is_none());
    }

    #[test]
    fn configured_suppressions_apply_until_they_expire() {
        let mut store = Store::open_in_memory().expect("store");
        let s = Suppression {
            by: "config".into(),
            reason: "scanner".into(),
            until_ms: Some(1000),
        };
        store
            .record_detections(|w| w.add_finding_events(&[fe("k", "e1", 1, Some(s.clone()))], 10))
            .expect("write");
        let f = &store.findings(&FindingFilter::default()).expect("list")[0];
        assert_eq!(
            (f.status.as_str(), f.status_by.as_deref(), f.status_until_ms),
            ("suppressed", Some("config"), Some(1000))
        );
        store
            .record_detections(|w| w.add_finding_events(&[fe("k", "e2", 2, None)], 20))
            .expect("still");
        assert_eq!(
            store.findings(&FindingFilter::default()).expect("list")[0].status,
            "suppressed"
        );
        store
            .record_detections(|w| w.add_finding_events(&[fe("k", "e3", 3, None)], 2000))
            .expect("expired");
        let f = &store.findings(&FindingFilter::default()).expect("list")[0];
        assert_eq!((f.status.as_str(), f.count), ("new", 3));
    }

    #[test]
    fn correlation_events_are_kept_once_and_read_by_window() {
        let mut store = Store::open_in_memory().expect("store");
        let ce = |uid: &str, t: i64| CorrelationEvent {
            correlation: "c".into(),
            rule: "r".into(),
            group: "[\"a\"]".into(),
            value: None,
            event: fe("k", uid, t, None).event,
        };
        let evs = [ce("1", 10), ce("2", 20), ce("1", 10), ce("3", 30)];
        let (got, _) = store
            .record_detections(|w| {
                w.add_correlation_events(&evs)?;
                w.correlation_events("c", "[\"a\"]", 15, 30)
            })
            .expect("write");
        let uids: Vec<&str> = got.iter().map(|e| e.event.uid.as_str()).collect();
        assert_eq!(uids, ["2", "3"]);
    }
}
