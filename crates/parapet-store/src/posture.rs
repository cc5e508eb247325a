//! Posture scans: each run's verdicts, the daily scores, and the failures as findings (resolved
//! when a later scan of the account no longer finds them), all in one transaction.

use parapet_model::posture::{Status, Verdict};
use parapet_model::{AccountId, Detection};
use rusqlite::{params, OptionalExtension};

use crate::{Result, Store, StoreError};

/// A scope's score on a day.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScoreRow {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    /// `organization`, `ou:<path>` or `account:<id>`.
    pub scope: String,
    pub passed: i64,
    pub with_data: i64,
    pub percent: f64,
}

/// One scan.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PostureRun {
    pub id: i64,
    pub time_ms: i64,
    pub day: i64,
    pub accounts: i64,
    pub verdicts: i64,
}

/// What one scan wrote.
pub struct PostureScan<'a> {
    pub time_ms: i64,
    /// The accounts scanned (their open posture findings not failing any more are resolved).
    pub accounts: &'a [AccountId],
    pub verdicts: &'a [Verdict],
    pub scores: &'a [ScoreRow],
    /// The failures, as findings.
    pub detections: &'a [Detection],
    /// Every posture rule id (`posture.<check>`).
    pub rules: &'a [&'a str],
}

const DAY_MS: i64 = 86_400_000;

impl Store {
    /// Records a scan; returns its run id.
    pub fn record_posture(&mut self, scan: &PostureScan<'_>) -> Result<i64> {
        let day = scan.time_ms.div_euclid(DAY_MS);
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO posture_runs (time_ms, day, accounts, verdicts) VALUES (?1, ?2, ?3, ?4)",
            params![
                scan.time_ms,
                day,
                scan.accounts.len() as i64,
                scan.verdicts.len() as i64
            ],
        )?;
        let run = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT INTO posture_verdicts (run_id, check_id, account_id, region, resource, status, exempt, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for v in scan.verdicts {
                let status = match v.status {
                    Status::Passed => "passed",
                    Status::Failed => "failed",
                };
                insert.execute(params![
                    run,
                    v.check,
                    v.account_id.as_str(),
                    v.region,
                    v.resource,
                    status,
                    v.exempt,
                    v.reason
                ])?;
            }
            let mut score = tx.prepare(
                "INSERT INTO posture_scores (day, scope, passed, with_data, percent, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (day, scope) DO UPDATE SET passed = excluded.passed, with_data = excluded.with_data,
                    percent = excluded.percent, run_id = excluded.run_id",
            )?;
            for s in scan.scores {
                score.execute(params![day, s.scope, s.passed, s.with_data, s.percent, run])?;
            }
        }
        crate::findings::upsert_all(&tx, scan.detections, scan.time_ms)?;
        crate::findings::resolve_cleared(
            &tx,
            scan.rules,
            Some(scan.accounts),
            scan.detections,
            scan.time_ms,
        )?;
        tx.commit()?;
        Ok(run)
    }

    /// The latest scan, and the latest one of an earlier day (for "since yesterday").
    pub fn posture_latest_runs(&self) -> Result<(Option<PostureRun>, Option<PostureRun>)> {
        let run = |r: &rusqlite::Row<'_>| {
            Ok(PostureRun {
                id: r.get(0)?,
                time_ms: r.get(1)?,
                day: r.get(2)?,
                accounts: r.get(3)?,
                verdicts: r.get(4)?,
            })
        };
        let latest = self
            .conn
            .query_row(
                "SELECT id, time_ms, day, accounts, verdicts FROM posture_runs ORDER BY id DESC LIMIT 1",
                [],
                run,
            )
            .optional()?;
        let Some(l) = &latest else {
            return Ok((None, None));
        };
        let before = self
            .conn
            .query_row(
                "SELECT id, time_ms, day, accounts, verdicts FROM posture_runs WHERE day < ?1 ORDER BY id DESC LIMIT 1",
                params![l.day],
                run,
            )
            .optional()?;
        Ok((latest, before))
    }

    /// A run's verdicts, by account then check.
    pub fn posture_verdicts(&self, run: i64) -> Result<Vec<Verdict>> {
        let mut stmt = self.conn.prepare(
            "SELECT check_id, account_id, region, resource, status, exempt, reason FROM posture_verdicts
             WHERE run_id = ?1 ORDER BY rowid",
        )?;
        let rows = stmt.query_map(params![run], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (check, account, region, resource, status, exempt, reason) = row?;
            let account_id = AccountId::parse(&account)
                .ok_or_else(|| StoreError::Data(format!("posture verdict with account id {account:?}")))?;
            out.push(Verdict {
                check,
                account_id,
                region,
                resource,
                status: if status == "failed" {
                    Status::Failed
                } else {
                    Status::Passed
                },
                reason,
                exempt,
            });
        }
        Ok(out)
    }

    /// Daily scores of one scope, oldest first (the last `days`).
    pub fn posture_scores(&self, scope: &str, days: i64) -> Result<Vec<ScoreRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT day, scope, passed, with_data, percent FROM posture_scores WHERE scope = ?1
             ORDER BY day DESC LIMIT ?2",
        )?;
        let mut rows: Vec<ScoreRow> = stmt
            .query_map(params![scope, days], |r| {
                Ok(ScoreRow {
                    day: r.get(0)?,
                    scope: r.get(1)?,
                    passed: r.get(2)?,
                    with_data: r.get(3)?,
                    percent: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.reverse();
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use parapet_model::Severity;

    use super::*;

    fn verdict(check: &str, status: Status) -> Verdict {
        Verdict {
            check: check.into(),
            account_id: AccountId::parse("111111111111").expect("id"),
            region: Some("us-east-1".into()),
            resource: "sg-1".into(),
            status,
            reason: "r".into(),
            exempt: false,
        }
    }

    fn detection(check: &str) -> Detection {
        Detection {
            rule_id: format!("posture.{check}"),
            dedup_key: format!("posture:{check}:111111111111:us-east-1:sg-1"),
            severity: Severity::High,
            title: "t".into(),
            account_id: AccountId::parse("111111111111"),
            region: Some("us-east-1".into()),
            time_ms: 0,
            summary: "s".into(),
            next_step: "n".into(),
            evidence: "{}".into(),
        }
    }

    #[test]
    fn scans_keep_verdicts_daily_scores_and_resolve_fixed_failures() {
        let mut s = Store::open_in_memory().expect("store");
        let accounts = [AccountId::parse("111111111111").expect("id")];
        let rules = ["posture.ec2.sg_open_ssh"];
        let day1 = 20_000 * DAY_MS;
        let failing = [verdict("ec2.sg_open_ssh", Status::Failed)];
        let fixed = [verdict("ec2.sg_open_ssh", Status::Passed)];
        let found = [detection("ec2.sg_open_ssh")];
        let score = |percent| {
            [ScoreRow {
                day: 0,
                scope: "organization".into(),
                passed: 0,
                with_data: 1,
                percent,
            }]
        };
        let (zero, ten, hundred) = (score(0.0), score(10.0), score(100.0));
        let mut scan = PostureScan {
            time_ms: day1,
            accounts: &accounts,
            verdicts: &failing,
            scores: &zero,
            detections: &found,
            rules: &rules,
        };
        s.record_posture(&scan).expect("scan 1");
        // The same day again: the day's score is replaced.
        scan.time_ms += 60_000;
        scan.scores = &ten;
        s.record_posture(&scan).expect("scan 2");
        let open = s.findings(&crate::FindingFilter::default()).expect("findings");
        assert_eq!((open.len(), open[0].status.as_str()), (1, "new"));
        // The next day it is fixed: the finding is resolved, and yesterday's run is at hand.
        scan.time_ms = day1 + DAY_MS;
        scan.verdicts = &fixed;
        scan.detections = &[];
        scan.scores = &hundred;
        s.record_posture(&scan).expect("scan 3");
        let f = s.findings(&crate::FindingFilter::default()).expect("findings");
        assert_eq!(f[0].status, "resolved");
        let (latest, before) = s.posture_latest_runs().expect("runs");
        let (latest, before) = (latest.expect("latest"), before.expect("before"));
        assert_eq!((latest.id, before.id), (3, 2));
        assert_eq!(s.posture_verdicts(before.id).expect("verdicts"), failing);
        let history = s.posture_scores("organization", 30).expect("scores");
        assert_eq!(
            history.iter().map(|r| r.percent).collect::<Vec<_>>(),
            [10.0, 100.0]
        );
    }
}
