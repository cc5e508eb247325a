//! The findings store: one row per dedup key, with first / last seen, a count, and a status
//! (`new`, `acknowledged`, `resolved`, `suppressed`). A detection whose key is known updates
//! its finding (and reopens it if it was resolved); a standing condition that is no longer
//! detected resolves its finding.

use parapet_model::{AccountId, Detection};
use rusqlite::{params, Transaction};

use crate::{Result, Store};

/// A finding as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StoredFinding {
    pub id: i64,
    pub dedup_key: String,
    pub rule_id: String,
    pub severity: String,
    pub title: String,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub summary: String,
    pub next_step: String,
    /// JSON object.
    pub evidence: serde_json::Value,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub count: i64,
    pub status: String,
    pub status_reason: Option<String>,
    /// Who set the status (a person, or `config` for a suppression rule).
    pub status_by: Option<String>,
    /// Until when a suppression holds.
    pub status_until_ms: Option<i64>,
}

/// Which findings to list.
#[derive(Clone, Debug, Default)]
pub struct FindingFilter {
    pub account_id: Option<AccountId>,
    /// Rule ids starting with this (e.g. `account.` or `baseline.`).
    pub rule_prefix: Option<String>,
    /// Only these statuses; empty = any.
    pub statuses: Vec<String>,
    /// Only this severity and above.
    pub min_severity: Option<parapet_model::Severity>,
    /// Only findings seen at or after this time (ms).
    pub seen_since_ms: Option<i64>,
    /// Only this finding.
    pub id: Option<i64>,
}

pub(crate) fn upsert_all(tx: &Transaction<'_>, detections: &[Detection], now_ms: i64) -> Result<()> {
    let mut stmt = tx.prepare(
        "INSERT INTO findings (dedup_key, rule_id, severity, title, account_id, region, summary, next_step,
                               evidence, first_seen_ms, last_seen_ms, count, status, updated_ms, alert_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, 1, 'new', ?11, 1)
         ON CONFLICT (dedup_key) DO UPDATE SET
            alert_seq = CASE WHEN findings.status = 'resolved' THEN findings.alert_seq + 1 ELSE findings.alert_seq END,
            severity = excluded.severity, title = excluded.title, summary = excluded.summary,
            next_step = excluded.next_step, evidence = excluded.evidence,
            last_seen_ms = MAX(findings.last_seen_ms, excluded.last_seen_ms),
            count = findings.count + 1,
            status = CASE WHEN findings.status = 'resolved' THEN 'new' ELSE findings.status END,
            status_reason = CASE WHEN findings.status = 'resolved' THEN 'seen again' ELSE findings.status_reason END,
            updated_ms = excluded.updated_ms",
    )?;
    for d in detections {
        stmt.execute(params![
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
            now_ms
        ])?;
    }
    Ok(())
}

/// Resolves open findings of `rules` (limited to `accounts` when given) whose key is not among
/// `still`.
pub(crate) fn resolve_cleared(
    tx: &Transaction<'_>,
    rules: &[&str],
    accounts: Option<&[AccountId]>,
    still: &[Detection],
    now_ms: i64,
) -> Result<()> {
    let mut select = tx.prepare(
        "SELECT dedup_key, account_id FROM findings WHERE rule_id = ?1 AND status IN ('new', 'acknowledged')",
    )?;
    let mut update = tx.prepare(
        "UPDATE findings SET status = 'resolved', status_reason = 'no longer detected', updated_ms = ?1
         WHERE dedup_key = ?2",
    )?;
    for rule in rules {
        let open: Vec<(String, Option<String>)> = select
            .query_map(params![rule], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (key, account) in open {
            let in_scope = match (accounts, &account) {
                (None, _) => true,
                (Some(ids), Some(a)) => ids.iter().any(|id| id.as_str() == a),
                (Some(_), None) => false,
            };
            if in_scope && !still.iter().any(|d| d.dedup_key == key) {
                update.execute(params![now_ms, key])?;
            }
        }
    }
    Ok(())
}

impl Store {
    /// Findings matching `filter`, most recently seen first.
    pub fn findings(&self, filter: &FindingFilter) -> Result<Vec<StoredFinding>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, dedup_key, rule_id, severity, title, account_id, region, summary, next_step, evidence,
                    first_seen_ms, last_seen_ms, count, status, status_reason, status_by, status_until_ms
             FROM findings
             WHERE (?1 IS NULL OR account_id = ?1) AND (?2 IS NULL OR substr(rule_id, 1, length(?2)) = ?2)
               AND (?3 IS NULL OR last_seen_ms >= ?3) AND (?4 IS NULL OR id = ?4)
             ORDER BY last_seen_ms DESC, id",
        )?;
        let rows = stmt.query_map(
            params![
                filter.account_id.as_ref().map(|a| a.as_str()),
                filter.rule_prefix,
                filter.seen_since_ms,
                filter.id
            ],
            |r| {
                let evidence: String = r.get(9)?;
                Ok(StoredFinding {
                    id: r.get(0)?,
                    dedup_key: r.get(1)?,
                    rule_id: r.get(2)?,
                    severity: r.get(3)?,
                    title: r.get(4)?,
                    account_id: r.get(5)?,
                    region: r.get(6)?,
                    summary: r.get(7)?,
                    next_step: r.get(8)?,
                    evidence: serde_json::from_str(&evidence).unwrap_or(serde_json::Value::String(evidence)),
                    first_seen_ms: r.get(10)?,
                    last_seen_ms: r.get(11)?,
                    count: r.get(12)?,
                    status: r.get(13)?,
                    status_reason: r.get(14)?,
                    status_by: r.get(15)?,
                    status_until_ms: r.get(16)?,
                })
            },
        )?;
        let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        if !filter.statuses.is_empty() {
            out.retain(|f| filter.statuses.contains(&f.status));
        }
        if let Some(min) = filter.min_severity {
            out.retain(|f| parapet_model::Severity::parse(&f.severity).is_some_and(|s| s >= min));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use parapet_model::{Account, Severity};

    use crate::registry::{HistoryEntry, SyncInfo};
    use crate::Store;

    use super::*;

    fn detection(key: &str, rule: &str, account: &str, t: i64) -> Detection {
        Detection {
            rule_id: rule.into(),
            dedup_key: key.into(),
            severity: Severity::Low,
            title: "t".into(),
            account_id: AccountId::parse(account),
            region: None,
            time_ms: t,
            summary: format!("at {t}"),
            next_step: "n".into(),
            evidence: "{}".into(),
        }
    }

    #[test]
    fn a_sync_dedups_resolves_and_reopens() {
        let mut store = Store::open_in_memory().expect("store");
        let a = Account {
            name: "a".into(),
            ..Account::new(AccountId::parse("111111111111").expect("id"))
        };
        let sync = |t| SyncInfo {
            time_ms: t,
            source: "test".into(),
            organization_id: "o-1".into(),
        };
        let missing = |t| {
            detection(
                "account.owner_missing:111111111111",
                "account.owner_missing",
                "111111111111",
                t,
            )
        };
        let history = [HistoryEntry {
            time_ms: 1,
            account_id: a.id,
            change: "discovered".into(),
            from: String::new(),
            to: "Root".into(),
        }];
        store
            .record_sync(
                &sync(1),
                std::slice::from_ref(&a),
                &history,
                &[missing(1)],
                &["account.owner_missing"],
            )
            .expect("sync 1");
        store
            .record_sync(
                &sync(2),
                std::slice::from_ref(&a),
                &[],
                &[missing(2)],
                &["account.owner_missing"],
            )
            .expect("sync 2");
        let f = store.findings(&FindingFilter::default()).expect("list");
        assert_eq!(f.len(), 1);
        assert_eq!(
            (
                f[0].count,
                f[0].first_seen_ms,
                f[0].last_seen_ms,
                f[0].status.as_str()
            ),
            (2, 1, 2, "new")
        );
        // The owner was set: the finding resolves.
        store
            .record_sync(
                &sync(3),
                std::slice::from_ref(&a),
                &[],
                &[],
                &["account.owner_missing"],
            )
            .expect("sync 3");
        let f = store.findings(&FindingFilter::default()).expect("list");
        assert_eq!(
            (f[0].status.as_str(), f[0].status_reason.as_deref()),
            ("resolved", Some("no longer detected"))
        );
        // ...and comes back.
        store
            .record_sync(
                &sync(4),
                std::slice::from_ref(&a),
                &[],
                &[missing(4)],
                &["account.owner_missing"],
            )
            .expect("sync 4");
        let f = store.findings(&FindingFilter::default()).expect("list");
        assert_eq!((f[0].status.as_str(), f[0].count), ("new", 3));
        // An account missing from a sync is marked removed but kept for enrichment.
        store.record_sync(&sync(5), &[], &[], &[], &[]).expect("sync 5");
        let reg = store.registry().expect("registry");
        assert_eq!(reg[0].removed_ms, Some(5));
        assert_eq!(
            store
                .registry_directory()
                .expect("dir")
                .get(&a.id)
                .map(|a| a.name.as_str()),
            Some("a")
        );
        assert_eq!(store.account_history(Some(a.id)).expect("history").len(), 1);
        assert_eq!(store.last_sync().expect("last").map(|s| s.time_ms), Some(5));
    }

    #[test]
    fn baseline_resolution_stays_in_scope() {
        let mut store = Store::open_in_memory().expect("store");
        let one = AccountId::parse("111111111111").expect("id");
        let two = AccountId::parse("222222222222").expect("id");
        let gaps = [
            detection(
                "baseline.guardduty:111111111111:us-east-1",
                "baseline.guardduty",
                "111111111111",
                1,
            ),
            detection(
                "baseline.guardduty:222222222222:us-east-1",
                "baseline.guardduty",
                "222222222222",
                1,
            ),
        ];
        store
            .record_baseline(&[one, two], &[], &gaps, &["baseline.guardduty"], 1)
            .expect("first");
        // Only account one is checked again, and its gap is gone: two's finding stays open.
        store
            .record_baseline(&[one], &[], &[], &["baseline.guardduty"], 2)
            .expect("second");
        let f = store
            .findings(&FindingFilter {
                rule_prefix: Some("baseline.".into()),
                ..FindingFilter::default()
            })
            .expect("list");
        let states: Vec<(Option<&str>, &str)> = f
            .iter()
            .map(|f| (f.account_id.as_deref(), f.status.as_str()))
            .collect();
        assert_eq!(
            states,
            [(Some("111111111111"), "resolved"), (Some("222222222222"), "new")]
        );
    }
}
