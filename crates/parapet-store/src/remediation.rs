//! The remediation audit log: one row per action planned, done, failed or undone, written in the
//! transaction that records the findings telling people about it.

use parapet_model::remediation::{Action, Change};
use parapet_model::{AccountId, Detection};
use rusqlite::{params, OptionalExtension};

use crate::{Result, Store, StoreError};

/// An action to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemediationEntry {
    pub action: Action,
    /// The person (or `parapet (auto)`).
    pub who: String,
    /// `dry-run` or `apply`.
    pub mode: String,
    /// `planned`, `done`, `failed` or `undone`.
    pub result: String,
    pub error: Option<String>,
    /// The logged action this one undoes.
    pub undo_of: Option<i64>,
}

/// A logged action.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RemediationRow {
    pub id: i64,
    pub time_ms: i64,
    pub who: String,
    pub playbook: String,
    pub check: String,
    pub account_id: AccountId,
    pub region: Option<String>,
    pub resource: String,
    pub change: Change,
    pub mode: String,
    pub result: String,
    pub error: Option<String>,
    pub undo_of: Option<i64>,
    pub undone_by: Option<i64>,
}

const COLUMNS: &str =
    "id, time_ms, who, playbook, check_id, account_id, region, resource, change, mode, result, error, undo_of, undone_by";

/// Reads a row; the account id and the change are checked after (`decode`).
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok(Raw {
        id: r.get(0)?,
        time_ms: r.get(1)?,
        who: r.get(2)?,
        playbook: r.get(3)?,
        check: r.get(4)?,
        account: r.get(5)?,
        region: r.get(6)?,
        resource: r.get(7)?,
        change: r.get(8)?,
        mode: r.get(9)?,
        result: r.get(10)?,
        error: r.get(11)?,
        undo_of: r.get(12)?,
        undone_by: r.get(13)?,
    })
}

struct Raw {
    id: i64,
    time_ms: i64,
    who: String,
    playbook: String,
    check: String,
    account: String,
    region: Option<String>,
    resource: String,
    change: String,
    mode: String,
    result: String,
    error: Option<String>,
    undo_of: Option<i64>,
    undone_by: Option<i64>,
}

fn decode(r: Raw) -> Result<RemediationRow> {
    let account_id = AccountId::parse(&r.account)
        .ok_or_else(|| StoreError::Data(format!("remediation {} has account id {:?}", r.id, r.account)))?;
    let change = serde_json::from_str(&r.change)
        .map_err(|e| StoreError::Data(format!("remediation {}: its change does not parse: {e}", r.id)))?;
    Ok(RemediationRow {
        id: r.id,
        time_ms: r.time_ms,
        who: r.who,
        playbook: r.playbook,
        check: r.check,
        account_id,
        region: r.region,
        resource: r.resource,
        change,
        mode: r.mode,
        result: r.result,
        error: r.error,
        undo_of: r.undo_of,
        undone_by: r.undone_by,
    })
}

impl Store {
    /// Logs `entries` and records `detections` (what was done, to be told), in one
    /// transaction; an entry undoing another marks it undone. Returns the new ids, in order.
    pub fn record_remediations(
        &mut self,
        entries: &[RemediationEntry],
        detections: impl Fn(&[i64]) -> Vec<Detection>,
        time_ms: i64,
    ) -> Result<Vec<i64>> {
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(entries.len());
        {
            let mut insert = tx.prepare(
                "INSERT INTO remediations (time_ms, who, playbook, check_id, account_id, region, resource, change,
                                           mode, result, error, undo_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            let mut undone =
                tx.prepare("UPDATE remediations SET undone_by = ?2 WHERE id = ?1 AND undone_by IS NULL")?;
            for e in entries {
                let a = &e.action;
                let change =
                    serde_json::to_string(&a.change).map_err(|err| StoreError::Data(err.to_string()))?;
                insert.execute(params![
                    time_ms,
                    e.who,
                    a.playbook,
                    a.check,
                    a.account_id.as_str(),
                    a.region,
                    a.resource,
                    change,
                    e.mode,
                    e.result,
                    e.error,
                    e.undo_of
                ])?;
                let id = tx.last_insert_rowid();
                if let (Some(of), "done") = (e.undo_of, e.result.as_str()) {
                    undone.execute(params![of, id])?;
                }
                ids.push(id);
            }
        }
        crate::findings::upsert_all(&tx, &detections(&ids), time_ms)?;
        tx.commit()?;
        Ok(ids)
    }

    /// One logged action.
    pub fn remediation(&self, id: i64) -> Result<Option<RemediationRow>> {
        let parts = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM remediations WHERE id = ?1"),
                params![id],
                row,
            )
            .optional()?;
        parts.map(decode).transpose()
    }

    /// The log, newest first.
    pub fn remediations(&self, limit: usize) -> Result<Vec<RemediationRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM remediations ORDER BY id DESC LIMIT ?1"
        ))?;
        let parts: Vec<Raw> = stmt
            .query_map(params![limit as i64], row)?
            .collect::<rusqlite::Result<_>>()?;
        parts.into_iter().map(decode).collect()
    }
}
