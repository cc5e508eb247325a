//! Schema versions. Each step runs once, in order, inside a transaction; `user_version` records
//! how far a database has come. Never edit a released step: add a new one.

use rusqlite::Connection;

use crate::{Result, StoreError};

const STEPS: &[&str] = &[
    // 1: the ingest ledger.
    "CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        published INTEGER NOT NULL DEFAULT 0
     );
     CREATE TABLE objects (
        source TEXT NOT NULL,
        key TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        records INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        reason TEXT,
        quarantine_path TEXT,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        PRIMARY KEY (source, key)
     );
     CREATE TABLE lake_files (
        path TEXT PRIMARY KEY,
        table_name TEXT NOT NULL,
        partition TEXT NOT NULL,
        rows INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        min_time_ms INTEGER,
        max_time_ms INTEGER,
        batch_id INTEGER NOT NULL REFERENCES batches(id),
        staged_path TEXT,
        state TEXT NOT NULL
     );
     CREATE INDEX lake_files_by_partition ON lake_files (table_name, partition);
     CREATE INDEX objects_by_status ON objects (status);",
    // 2: the account registry with its history, baseline coverage, and the findings store.
    "CREATE TABLE registry_syncs (
        id INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        source TEXT NOT NULL,
        organization_id TEXT NOT NULL,
        accounts INTEGER NOT NULL,
        changes INTEGER NOT NULL
     );
     CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        status TEXT NOT NULL,
        ou_id TEXT NOT NULL,
        ou TEXT NOT NULL,
        team TEXT NOT NULL,
        env TEXT NOT NULL,
        owner TEXT NOT NULL,
        channel TEXT NOT NULL,
        tags TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        removed_ms INTEGER
     );
     CREATE TABLE account_history (
        id INTEGER PRIMARY KEY,
        sync_id INTEGER NOT NULL REFERENCES registry_syncs(id),
        time_ms INTEGER NOT NULL,
        account_id TEXT NOT NULL,
        change TEXT NOT NULL,
        from_value TEXT NOT NULL,
        to_value TEXT NOT NULL
     );
     CREATE INDEX account_history_by_account ON account_history (account_id, id);
     CREATE TABLE baseline (
        account_id TEXT NOT NULL,
        region TEXT NOT NULL,
        control TEXT NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL,
        checked_ms INTEGER NOT NULL,
        PRIMARY KEY (account_id, region, control)
     );
     CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        dedup_key TEXT NOT NULL UNIQUE,
        rule_id TEXT NOT NULL,
        severity TEXT NOT NULL,
        title TEXT NOT NULL,
        account_id TEXT,
        region TEXT,
        summary TEXT NOT NULL,
        next_step TEXT NOT NULL,
        evidence TEXT NOT NULL,
        first_seen_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        count INTEGER NOT NULL,
        status TEXT NOT NULL,
        status_reason TEXT,
        updated_ms INTEGER NOT NULL
     );
     CREATE INDEX findings_by_rule ON findings (rule_id, status);
     CREATE INDEX findings_by_account ON findings (account_id, status);",
    // 3: detection: the events behind each finding (so a finding counts distinct events and
    // detection can run again over the same data), who changed a finding's status and why, and
    // the stored matches correlations decide their windows over.
    "ALTER TABLE findings ADD COLUMN status_by TEXT;
     ALTER TABLE findings ADD COLUMN status_until_ms INTEGER;
     CREATE TABLE finding_events (
        finding_id INTEGER NOT NULL REFERENCES findings (id),
        event_uid TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        actor TEXT,
        excerpt TEXT NOT NULL,
        PRIMARY KEY (finding_id, event_uid)
     );
     CREATE TABLE finding_actions (
        id INTEGER PRIMARY KEY,
        finding_id INTEGER NOT NULL REFERENCES findings (id),
        time_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        by_whom TEXT NOT NULL,
        reason TEXT NOT NULL,
        until_ms INTEGER
     );
     CREATE TABLE correlation_events (
        correlation TEXT NOT NULL,
        grp TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        event_uid TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        value TEXT,
        event TEXT NOT NULL,
        PRIMARY KEY (correlation, rule_id, event_uid)
     );
     CREATE INDEX correlation_events_window ON correlation_events (correlation, grp, time_ms);",
    // 4: notifications. `alert_seq` grows each time a finding deserves telling (created open,
    // reopened, more severe); `alerted_seq` is how far the router has gone. The outbox holds
    // each rendered message until its channel took it (or it is dead), keyed for idempotency.
    "ALTER TABLE findings ADD COLUMN alert_seq INTEGER NOT NULL DEFAULT 0;
     ALTER TABLE findings ADD COLUMN alerted_seq INTEGER NOT NULL DEFAULT 0;
     CREATE INDEX findings_to_alert ON findings (alerted_seq, alert_seq);
     CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        idempotency_key TEXT NOT NULL UNIQUE,
        finding_id INTEGER REFERENCES findings (id),
        channel TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        last_error TEXT,
        created_ms INTEGER NOT NULL,
        sent_ms INTEGER
     );
     CREATE INDEX outbox_due ON outbox (status, next_attempt_ms);",
    // 5: quieter notifications. `told_ms` / `told_severity`: when a finding was last told and
    // how severe it was then (a reopening within the throttle window is not told again unless
    // more severe). `digest_items`: findings waiting for their channel's hourly or daily
    // digest, which leaves them in one outbox message.
    "ALTER TABLE findings ADD COLUMN told_ms INTEGER;
     ALTER TABLE findings ADD COLUMN told_severity TEXT;
     CREATE TABLE digest_items (
        channel TEXT NOT NULL,
        due_ms INTEGER NOT NULL,
        period TEXT NOT NULL,
        finding_id INTEGER NOT NULL REFERENCES findings (id),
        alert_seq INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (channel, finding_id, alert_seq)
     );
     CREATE INDEX digest_items_due ON digest_items (due_ms);",
    // 6: posture. Each scan is a run with every verdict it gave; scores are kept per day and
    // scope (`organization`, `ou:<path>`, `account:<id>`), the day's last scan winning.
    "CREATE TABLE posture_runs (
        id INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        day INTEGER NOT NULL,
        accounts INTEGER NOT NULL,
        verdicts INTEGER NOT NULL
     );
     CREATE TABLE posture_verdicts (
        run_id INTEGER NOT NULL REFERENCES posture_runs (id),
        check_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        region TEXT,
        resource TEXT NOT NULL,
        status TEXT NOT NULL,
        exempt INTEGER NOT NULL,
        reason TEXT NOT NULL
     );
     CREATE INDEX posture_verdicts_run ON posture_verdicts (run_id, account_id);
     CREATE TABLE posture_scores (
        day INTEGER NOT NULL,
        scope TEXT NOT NULL,
        passed INTEGER NOT NULL,
        with_data INTEGER NOT NULL,
        percent REAL NOT NULL,
        run_id INTEGER NOT NULL REFERENCES posture_runs (id),
        PRIMARY KEY (day, scope)
     );",
    // 7: the remediation audit log: who did what to which resource, the change with what undoing
    // it needs, whether it was only planned (dry run), done or failed, and its undo.
    "CREATE TABLE remediations (
        id INTEGER PRIMARY KEY,
        time_ms INTEGER NOT NULL,
        who TEXT NOT NULL,
        playbook TEXT NOT NULL,
        check_id TEXT NOT NULL,
        account_id TEXT NOT NULL,
        region TEXT,
        resource TEXT NOT NULL,
        change TEXT NOT NULL,
        mode TEXT NOT NULL,
        result TEXT NOT NULL,
        error TEXT,
        undo_of INTEGER REFERENCES remediations (id),
        undone_by INTEGER REFERENCES remediations (id)
     );
     CREATE INDEX remediations_resource ON remediations (account_id, resource);",
    // 8: bills. One row per report and billing period: the version loaded (the manifest's
    // assembly or execution id, or a standalone file's size and etag), the lake file holding
    // its lines and what they add up to. A new version replaces the period's file whole.
    "CREATE TABLE cost_loads (
        report TEXT NOT NULL,
        billing_period TEXT NOT NULL,
        version TEXT NOT NULL,
        format TEXT NOT NULL,
        files TEXT NOT NULL,
        lake_path TEXT,
        lines INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        unblended TEXT NOT NULL,
        loaded_ms INTEGER NOT NULL,
        PRIMARY KEY (report, billing_period)
     );",
    // 9: the dashboard's saved searches.
    "CREATE TABLE saved_queries (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        sql TEXT NOT NULL,
        created_ms INTEGER NOT NULL
     );",
    // 10: each account's architecture diagram per day, with what changed since the one before.
    "CREATE TABLE diagrams (
        account_id TEXT NOT NULL,
        day INTEGER NOT NULL,
        model TEXT NOT NULL,
        svg TEXT NOT NULL,
        changes TEXT NOT NULL,
        drawn_ms INTEGER NOT NULL,
        PRIMARY KEY (account_id, day)
     );",
];

pub(crate) fn migrate(conn: &Connection, path: &str) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = STEPS.len() as i64;
    if current > known {
        return Err(StoreError::TooNew {
            path: path.to_string(),
            found: current,
            known,
        });
    }
    for (i, step) in STEPS.iter().enumerate().skip(current as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
