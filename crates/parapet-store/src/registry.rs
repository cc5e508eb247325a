//! The account registry: the accounts as of the last sync, every change since the first, and
//! the baseline coverage last read. A sync is one transaction: accounts, history and findings
//! move together.

use std::collections::BTreeMap;

use parapet_model::{Account, AccountDirectory, AccountId, AccountStatus, Detection};
use rusqlite::{params, OptionalExtension, Row};

use crate::{Result, Store};

/// One sync, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SyncInfo {
    pub time_ms: i64,
    /// `organizations` or the snapshot file read.
    pub source: String,
    pub organization_id: String,
}

/// One line of an account's history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HistoryEntry {
    pub time_ms: i64,
    pub account_id: AccountId,
    /// `discovered`, `joined`, `left`, `moved`, `renamed`, …
    pub change: String,
    pub from: String,
    pub to: String,
}

/// An account in the registry, with when it was first and last seen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RegisteredAccount {
    #[serde(flatten)]
    pub account: Account,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    /// Set when the account is no longer in the organisation.
    pub removed_ms: Option<i64>,
}

/// One row of baseline coverage.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BaselineRow {
    pub account_id: AccountId,
    pub region: String,
    pub control: String,
    pub state: String,
    pub detail: String,
    pub checked_ms: i64,
}

const ACCOUNT_COLUMNS: &str = "id, name, email, status, ou_id, ou, team, env, owner, channel, tags, \
                               first_seen_ms, last_seen_ms, removed_ms";

fn account_from_row(row: &Row<'_>) -> rusqlite::Result<RegisteredAccount> {
    let id: String = row.get(0)?;
    let bad = |what: &str, value: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("accounts: {what} {value:?} is not valid").into(),
        )
    };
    let account_id = AccountId::parse(&id).ok_or_else(|| bad("id", &id))?;
    let status: String = row.get(3)?;
    let tags: String = row.get(10)?;
    Ok(RegisteredAccount {
        account: Account {
            name: row.get(1)?,
            email: row.get(2)?,
            status: AccountStatus::parse(&status).ok_or_else(|| bad("status", &status))?,
            ou_id: row.get(4)?,
            ou: row.get(5)?,
            team: row.get(6)?,
            env: row.get(7)?,
            owner: row.get(8)?,
            channel: row.get(9)?,
            tags: serde_json::from_str::<BTreeMap<String, String>>(&tags).map_err(|_| bad("tags", &tags))?,
            ..Account::new(account_id)
        },
        first_seen_ms: row.get(11)?,
        last_seen_ms: row.get(12)?,
        removed_ms: row.get(13)?,
    })
}

impl Store {
    /// Every account ever synced (those that left carry `removed_ms`), by id.
    pub fn registry(&self) -> Result<Vec<RegisteredAccount>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id"))?;
        let rows = stmt.query_map([], account_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The accounts for enrichment: every account ever synced, including those that left (old
    /// data still names them).
    pub fn registry_directory(&self) -> Result<AccountDirectory> {
        Ok(AccountDirectory::new(
            self.registry()?.into_iter().map(|r| r.account),
        ))
    }

    /// The last sync, if any.
    pub fn last_sync(&self) -> Result<Option<SyncInfo>> {
        Ok(self
            .conn
            .query_row(
                "SELECT time_ms, source, organization_id FROM registry_syncs ORDER BY id DESC LIMIT 1",
                [],
                |r| {
                    Ok(SyncInfo {
                        time_ms: r.get(0)?,
                        source: r.get(1)?,
                        organization_id: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records a sync in one transaction: `accounts` become the registry (accounts missing from
    /// it are marked removed), `history` is appended, `detections` go to the findings store, and
    /// open findings of `standing_rules` whose key is not among `detections` are resolved.
    pub fn record_sync(
        &mut self,
        sync: &SyncInfo,
        accounts: &[Account],
        history: &[HistoryEntry],
        detections: &[Detection],
        standing_rules: &[&str],
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO registry_syncs (time_ms, source, organization_id, accounts, changes)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                sync.time_ms,
                sync.source,
                sync.organization_id,
                accounts.len() as i64,
                history.len() as i64
            ],
        )?;
        let sync_id = tx.last_insert_rowid();
        {
            let mut upsert = tx.prepare(
                "INSERT INTO accounts (id, name, email, status, ou_id, ou, team, env, owner, channel, tags,
                                       first_seen_ms, last_seen_ms, removed_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, NULL)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email,
                    status = excluded.status, ou_id = excluded.ou_id, ou = excluded.ou,
                    team = excluded.team, env = excluded.env, owner = excluded.owner,
                    channel = excluded.channel, tags = excluded.tags,
                    last_seen_ms = excluded.last_seen_ms, removed_ms = NULL",
            )?;
            for a in accounts {
                let tags = serde_json::to_string(&a.tags).unwrap_or_else(|_| "{}".into());
                upsert.execute(params![
                    a.id.as_str(),
                    a.name,
                    a.email,
                    a.status.as_str(),
                    a.ou_id,
                    a.ou,
                    a.team,
                    a.env,
                    a.owner,
                    a.channel,
                    tags,
                    sync.time_ms
                ])?;
            }
            let present: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
            let mut ids = tx.prepare("SELECT id FROM accounts WHERE removed_ms IS NULL")?;
            let gone: Vec<String> = ids
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .filter(|id| !present.contains(&id.as_str()))
                .collect();
            for id in gone {
                tx.execute(
                    "UPDATE accounts SET removed_ms = ?1 WHERE id = ?2",
                    params![sync.time_ms, id],
                )?;
            }
            let mut hist = tx.prepare(
                "INSERT INTO account_history (sync_id, time_ms, account_id, change, from_value, to_value)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for h in history {
                hist.execute(params![
                    sync_id,
                    h.time_ms,
                    h.account_id.as_str(),
                    h.change,
                    h.from,
                    h.to
                ])?;
            }
        }
        crate::findings::upsert_all(&tx, detections, sync.time_ms)?;
        crate::findings::resolve_cleared(&tx, standing_rules, None, detections, sync.time_ms)?;
        tx.commit()?;
        Ok(sync_id)
    }

    /// The history of one account (or of all), oldest first.
    pub fn account_history(&self, account: Option<AccountId>) -> Result<Vec<HistoryEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT time_ms, account_id, change, from_value, to_value FROM account_history
             WHERE ?1 IS NULL OR account_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![account.as_ref().map(|a| a.as_str())], |r| {
            let id: String = r.get(1)?;
            Ok((r.get(0)?, id, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (time_ms, id, change, from, to): (i64, String, String, String, String) = row?;
            if let Some(account_id) = AccountId::parse(&id) {
                out.push(HistoryEntry {
                    time_ms,
                    account_id,
                    change,
                    from,
                    to,
                });
            }
        }
        Ok(out)
    }

    /// Replaces the baseline rows of the accounts in `checked` and records the gap findings in
    /// one transaction; open findings of `standing_rules` for those accounts that were not
    /// detected again are resolved.
    pub fn record_baseline(
        &mut self,
        checked: &[AccountId],
        rows: &[BaselineRow],
        detections: &[Detection],
        standing_rules: &[&str],
        time_ms: i64,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        for id in checked {
            tx.execute("DELETE FROM baseline WHERE account_id = ?1", params![id.as_str()])?;
        }
        {
            let mut insert = tx.prepare(
                "INSERT INTO baseline (account_id, region, control, state, detail, checked_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account_id, region, control) DO UPDATE SET state = excluded.state,
                    detail = excluded.detail, checked_ms = excluded.checked_ms",
            )?;
            for r in rows {
                insert.execute(params![
                    r.account_id.as_str(),
                    r.region,
                    r.control,
                    r.state,
                    r.detail,
                    r.checked_ms
                ])?;
            }
        }
        crate::findings::upsert_all(&tx, detections, time_ms)?;
        crate::findings::resolve_cleared(&tx, standing_rules, Some(checked), detections, time_ms)?;
        tx.commit()?;
        Ok(())
    }

    /// The baseline coverage last read, by account, region, control.
    pub fn baseline(&self) -> Result<Vec<BaselineRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT account_id, region, control, state, detail, checked_ms FROM baseline
             ORDER BY account_id, region, control",
        )?;
        let rows = stmt.query_map([], |r| {
            let id: String = r.get(0)?;
            Ok((id, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, region, control, state, detail, checked_ms): (
                String,
                String,
                String,
                String,
                String,
                i64,
            ) = row?;
            if let Some(account_id) = AccountId::parse(&id) {
                out.push(BaselineRow {
                    account_id,
                    region,
                    control,
                    state,
                    detail,
                    checked_ms,
                });
            }
        }
        Ok(out)
    }
}
