//! Bills loaded: which version of each report's billing period the lake holds; the
//! dashboard's saved searches; the accounts' daily diagrams.

use rusqlite::{params, OptionalExtension};

use crate::ledger::insert_batch;
use crate::{BatchCommit, Result, Store};

/// One report period as loaded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CostLoad {
    pub report: String,
    /// `YYYY-MM`.
    pub billing_period: String,
    /// The manifest's assembly / execution id, or a standalone file's size and etag.
    pub version: String,
    /// `cur1`, `cur2`, `focus`.
    pub format: String,
    /// The data files read (keys of the store they came from).
    pub files: Vec<String>,
    /// The lake file holding its lines (none when the period had no lines).
    pub lake_path: Option<String>,
    pub lines: u64,
    pub rejected: u64,
    /// The unblended total, exact (`Money`'s text).
    pub unblended: String,
    pub loaded_ms: i64,
}

impl Store {
    pub fn cost_load(&self, report: &str, billing_period: &str) -> Result<Option<CostLoad>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{SELECT} WHERE report = ?1 AND billing_period = ?2"))?;
        Ok(stmt.query_row(params![report, billing_period], row).optional()?)
    }

    /// Every report period loaded, by report then period.
    pub fn cost_loads(&self) -> Result<Vec<CostLoad>> {
        let mut stmt = self
            .conn
            .prepare(&format!("{SELECT} ORDER BY report, billing_period"))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Records a report period's new version and the lake batch that holds it (its new file, the
    /// file it replaces) in one transaction. The caller publishes the batch afterwards, as for
    /// any batch ([`Store::mark_published`]).
    pub fn commit_cost_load(&mut self, batch: &BatchCommit, load: &CostLoad) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let id = insert_batch(&tx, batch)?;
        tx.execute(
            "INSERT INTO cost_loads (report, billing_period, version, format, files, lake_path, lines, rejected, unblended, loaded_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (report, billing_period) DO UPDATE SET
                version = excluded.version, format = excluded.format, files = excluded.files,
                lake_path = excluded.lake_path, lines = excluded.lines, rejected = excluded.rejected,
                unblended = excluded.unblended, loaded_ms = excluded.loaded_ms",
            params![
                load.report,
                load.billing_period,
                load.version,
                load.format,
                serde_json::to_string(&load.files).unwrap_or_else(|_| "[]".into()),
                load.lake_path,
                load.lines as i64,
                load.rejected as i64,
                load.unblended,
                load.loaded_ms
            ],
        )?;
        tx.commit()?;
        Ok(id)
    }
}

const SELECT: &str = "SELECT report, billing_period, version, format, files, lake_path, lines, rejected, unblended, loaded_ms FROM cost_loads";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CostLoad> {
    let files: String = r.get(4)?;
    Ok(CostLoad {
        report: r.get(0)?,
        billing_period: r.get(1)?,
        version: r.get(2)?,
        format: r.get(3)?,
        files: serde_json::from_str(&files).unwrap_or_default(),
        lake_path: r.get(5)?,
        lines: r.get::<_, i64>(6)? as u64,
        rejected: r.get::<_, i64>(7)? as u64,
        unblended: r.get(8)?,
        loaded_ms: r.get(9)?,
    })
}

/// A search saved from the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SavedQuery {
    pub id: i64,
    pub name: String,
    pub sql: String,
    pub created_ms: i64,
}

impl Store {
    /// Saves a search under `name` (replacing one of the same name). Returns its id.
    pub fn save_query(&mut self, name: &str, sql: &str, now_ms: i64) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO saved_queries (name, sql, created_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET sql = excluded.sql, created_ms = excluded.created_ms",
            params![name, sql, now_ms],
        )?;
        Ok(self.conn.query_row(
            "SELECT id FROM saved_queries WHERE name = ?1",
            params![name],
            |r| r.get(0),
        )?)
    }

    pub fn saved_queries(&self) -> Result<Vec<SavedQuery>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, sql, created_ms FROM saved_queries ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(SavedQuery {
                id: r.get(0)?,
                name: r.get(1)?,
                sql: r.get(2)?,
                created_ms: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Deletes a saved search; false when there was none.
    pub fn delete_query(&mut self, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM saved_queries WHERE id = ?1", params![id])?
            == 1)
    }
}

/// One account's diagram of one day.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DiagramRow {
    pub account_id: String,
    /// Days since 1970-01-01.
    pub day: i64,
    /// The diagram's model (JSON).
    pub model: String,
    pub svg: String,
    /// What changed since the diagram before (JSON).
    pub changes: String,
    pub drawn_ms: i64,
}

/// One stored diagram in an account's history, without its drawing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DiagramDay {
    pub day: i64,
    /// What changed since the diagram before (JSON).
    pub changes: String,
    pub drawn_ms: i64,
}

impl Store {
    /// Stores (or replaces) an account's diagram of a day.
    pub fn record_diagram(&mut self, d: &DiagramRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO diagrams (account_id, day, model, svg, changes, drawn_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (account_id, day) DO UPDATE SET model = excluded.model, svg = excluded.svg,
                changes = excluded.changes, drawn_ms = excluded.drawn_ms",
            params![d.account_id, d.day, d.model, d.svg, d.changes, d.drawn_ms],
        )?;
        Ok(())
    }

    /// The account's stored diagrams, newest first (at most `limit`): their days and changes.
    pub fn diagram_days(&self, account_id: &str, limit: usize) -> Result<Vec<DiagramDay>> {
        let mut stmt = self.conn.prepare(
            "SELECT day, changes, drawn_ms FROM diagrams WHERE account_id = ?1 ORDER BY day DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![account_id, limit as i64], |r| {
            Ok(DiagramDay {
                day: r.get(0)?,
                changes: r.get(1)?,
                drawn_ms: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The account's newest diagram on or before `day` (`i64::MAX`: the newest).
    pub fn diagram(&self, account_id: &str, day: i64) -> Result<Option<DiagramRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT account_id, day, model, svg, changes, drawn_ms FROM diagrams
                 WHERE account_id = ?1 AND day <= ?2 ORDER BY day DESC LIMIT 1",
                params![account_id, day],
                |r| {
                    Ok(DiagramRow {
                        account_id: r.get(0)?,
                        day: r.get(1)?,
                        model: r.get(2)?,
                        svg: r.get(3)?,
                        changes: r.get(4)?,
                        drawn_ms: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(day: i64, changes: &str) -> DiagramRow {
        DiagramRow {
            account_id: "111122223333".into(),
            day,
            model: "{}".into(),
            svg: format!("<svg>{day}</svg>"),
            changes: changes.into(),
            drawn_ms: day * 86_400_000,
        }
    }

    #[test]
    fn diagrams_are_one_per_day_found_on_or_before_a_day_and_listed_newest_first() {
        let mut store = Store::open_in_memory().expect("store");
        store.record_diagram(&drawn(10, "a")).expect("10");
        store.record_diagram(&drawn(12, "b")).expect("12");
        store.record_diagram(&drawn(12, "c")).expect("12 again replaces");
        store.record_diagram(&drawn(15, "d")).expect("15");
        assert_eq!(
            store.diagram("111122223333", 11).expect("q").map(|d| d.day),
            Some(10)
        );
        assert_eq!(
            store.diagram("111122223333", 12).expect("q").map(|d| d.changes),
            Some("c".into())
        );
        assert_eq!(
            store.diagram("111122223333", i64::MAX).expect("q").map(|d| d.day),
            Some(15)
        );
        assert_eq!(store.diagram("111122223333", 9).expect("q"), None);
        assert_eq!(store.diagram("999999999999", i64::MAX).expect("q"), None);
        let days: Vec<(i64, String)> = store
            .diagram_days("111122223333", 2)
            .expect("days")
            .into_iter()
            .map(|d| (d.day, d.changes))
            .collect();
        assert_eq!(days, vec![(15, "d".to_string()), (12, "c".to_string())]);
    }
}
