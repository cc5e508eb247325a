//! The pages and their JSON twins: overview, findings (list with filters, one finding with its
//! events, status actions), accounts, posture heat map, cost.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use parapet_model::cost::{CostMeasure, Day};
use parapet_model::Severity;
use parapet_store::{FindingFilter, StatusChange, StoredFinding};

use crate::html::{bar_chart, esc, line_chart, page, table, url_component};
use crate::{blocking, App, AppError};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn internal<E: std::fmt::Display>(e: E) -> AppError {
    AppError::Internal(e.to_string())
}

fn time_text(ms: i64) -> String {
    parapet_model::time::format_rfc3339_secs(ms)
}

/// Filters of the findings list (all optional).
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
pub(crate) struct FindingQuery {
    pub severity: Option<String>,
    /// `open` (new and acknowledged, the default), `all`, or one status.
    pub status: Option<String>,
    pub team: Option<String>,
    pub account: Option<String>,
    pub rule: Option<String>,
    pub limit: Option<usize>,
}

/// A finding with the account's name and team.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct FindingRow {
    #[serde(flatten)]
    pub finding: StoredFinding,
    pub account_name: Option<String>,
    pub team: Option<String>,
}

fn list_findings(app: &App, q: &FindingQuery) -> Result<Vec<FindingRow>, AppError> {
    let store = app.store()?;
    let statuses = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None | Some("open") => vec!["new".to_string(), "acknowledged".to_string()],
        Some("all") => Vec::new(),
        Some(s) if ["new", "acknowledged", "resolved", "suppressed"].contains(&s) => vec![s.to_string()],
        Some(s) => {
            return Err(AppError::BadRequest(format!(
                "status {s:?}: expected open, all, new, acknowledged, resolved or suppressed"
            )))
        }
    };
    let min_severity = match q.severity.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Severity::parse(s).ok_or_else(|| {
            AppError::BadRequest(format!(
                "severity {s:?}: expected info, low, medium, high or critical"
            ))
        })?),
    };
    let filter = FindingFilter {
        statuses,
        min_severity,
        rule_prefix: q.rule.clone().filter(|r| !r.is_empty()),
        ..Default::default()
    };
    let dir = app.directory(&store)?;
    let mut rows: Vec<FindingRow> = store
        .findings(&filter)
        .map_err(internal)?
        .into_iter()
        .map(|f| {
            let account = f.account_id.as_deref().and_then(|a| dir.get_str(a));
            FindingRow {
                account_name: account.map(|a| a.name.clone()).filter(|n| !n.is_empty()),
                team: account.map(|a| a.team.clone()).filter(|t| !t.is_empty()),
                finding: f,
            }
        })
        .filter(|r| {
            q.team
                .as_deref()
                .filter(|t| !t.is_empty())
                .is_none_or(|t| r.team.as_deref() == Some(t))
        })
        .filter(|r| {
            q.account.as_deref().filter(|a| !a.is_empty()).is_none_or(|a| {
                r.finding.account_id.as_deref() == Some(a) || r.account_name.as_deref() == Some(a)
            })
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.finding.last_seen_ms));
    rows.truncate(q.limit.unwrap_or(500).min(5000));
    Ok(rows)
}

fn severity_cell(s: &str) -> String {
    format!("<span class=\"sev-{0}\">{0}</span>", esc(s))
}

pub(crate) async fn findings(
    State(app): State<Arc<App>>,
    Query(q): Query<FindingQuery>,
) -> Result<Html<String>, AppError> {
    let a = app.clone();
    let q2 = q.clone();
    let (rows, teams) = blocking(move || {
        let rows = list_findings(&a, &q2)?;
        let teams: BTreeSet<String> = a
            .directory(&a.store()?)?
            .accounts()
            .into_iter()
            .map(|a| a.team.clone())
            .filter(|t| !t.is_empty())
            .collect();
        Ok((rows, teams))
    })
    .await?;
    let sel = |name: &str, options: &[&str], current: Option<&str>| {
        let mut s = format!("<label>{name} <select name=\"{name}\">");
        for o in options {
            let chosen = if Some(*o) == current { " selected" } else { "" };
            s.push_str(&format!("<option value=\"{0}\"{chosen}>{0}</option>", esc(o)));
        }
        s.push_str("</select></label> ");
        s
    };
    let team_options: Vec<&str> = std::iter::once("")
        .chain(teams.iter().map(String::as_str))
        .collect();
    let mut body = String::from("<form id=\"filters\" method=\"get\" action=\"/findings\">");
    body.push_str(&sel(
        "severity",
        &["", "low", "medium", "high", "critical"],
        q.severity.as_deref(),
    ));
    body.push_str(&sel(
        "status",
        &["open", "all", "new", "acknowledged", "resolved", "suppressed"],
        q.status.as_deref(),
    ));
    body.push_str(&sel("team", &team_options, q.team.as_deref()));
    body.push_str(&format!(
        "<label>account <input name=\"account\" value=\"{}\" size=\"14\"></label> <label>rule <input name=\"rule\" value=\"{}\" size=\"18\"></label> <button type=\"submit\">Filter</button></form>",
        esc(q.account.as_deref().unwrap_or("")),
        esc(q.rule.as_deref().unwrap_or(""))
    ));
    body.push_str(&format!("<p class=\"muted\">{} finding(s)</p>", rows.len()));
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let f = &r.finding;
            vec![
                format!("<a href=\"/findings/{0}\">{0}</a>", f.id),
                severity_cell(&f.severity),
                esc(&f.title),
                esc(&account_text(f.account_id.as_deref(), r.account_name.as_deref())),
                esc(r.team.as_deref().unwrap_or("")),
                esc(&f.status),
                esc(&time_text(f.last_seen_ms)),
                f.count.to_string(),
            ]
        })
        .collect();
    body.push_str(&table(
        "findings",
        &[
            "id",
            "severity",
            "title",
            "account",
            "team",
            "status",
            "last seen",
            "events",
        ],
        &cells,
    ));
    Ok(Html(page("Findings", "/findings", &app.csrf, &body)))
}

fn account_text(id: Option<&str>, name: Option<&str>) -> String {
    match (id, name) {
        (Some(id), Some(n)) => format!("{n} ({id})"),
        (Some(id), None) => id.to_string(),
        _ => String::new(),
    }
}

pub(crate) async fn api_findings(
    State(app): State<Arc<App>>,
    Query(q): Query<FindingQuery>,
) -> Result<Json<Vec<FindingRow>>, AppError> {
    let a = app.clone();
    Ok(Json(blocking(move || list_findings(&a, &q)).await?))
}

#[derive(serde::Serialize)]
pub(crate) struct FindingDetail {
    #[serde(flatten)]
    row: FindingRow,
    events: Vec<parapet_store::FindingEventRow>,
    events_total: u64,
    actions: Vec<parapet_store::FindingAction>,
}

fn finding_detail(app: &App, id: i64) -> Result<FindingDetail, AppError> {
    let store = app.store()?;
    let f = store
        .finding_by_id(id)
        .map_err(internal)?
        .ok_or_else(|| AppError::NotFound(format!("no finding {id}")))?;
    let dir = app.directory(&store)?;
    let account = f.account_id.as_deref().and_then(|a| dir.get_str(a));
    let (events, events_total) = store.finding_events(id, 100).map_err(internal)?;
    let actions = store.finding_actions(id).map_err(internal)?;
    Ok(FindingDetail {
        row: FindingRow {
            account_name: account.map(|a| a.name.clone()).filter(|n| !n.is_empty()),
            team: account.map(|a| a.team.clone()).filter(|t| !t.is_empty()),
            finding: f,
        },
        events,
        events_total,
        actions,
    })
}

pub(crate) async fn finding(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let a = app.clone();
    let d = blocking(move || finding_detail(&a, id)).await?;
    let f = &d.row.finding;
    let mut body = format!(
        "<p>{} <b>{}</b></p><p>{}</p><p><b>Account</b> {} · <b>team</b> {} · <b>region</b> {} · <b>rule</b> {}</p>\
         <p><b>Status</b> <span id=\"status\">{}</span>{} · first seen {} · last seen {} · {} event(s)</p>\
         <h2>What to do</h2><p>{}</p><h2>Evidence</h2><pre>{}</pre>",
        severity_cell(&f.severity),
        esc(&f.title),
        esc(&f.summary),
        esc(&account_text(f.account_id.as_deref(), d.row.account_name.as_deref())),
        esc(d.row.team.as_deref().unwrap_or("-")),
        esc(f.region.as_deref().unwrap_or("-")),
        esc(&f.rule_id),
        esc(&f.status),
        f.status_reason
            .as_deref()
            .map(|r| format!(" ({})", esc(r)))
            .unwrap_or_default(),
        esc(&time_text(f.first_seen_ms)),
        esc(&time_text(f.last_seen_ms)),
        f.count,
        esc(&f.next_step),
        esc(&serde_json::to_string_pretty(&f.evidence).unwrap_or_default()),
    );
    body.push_str("<h2>Actions</h2>");
    for (action, label) in [
        ("acknowledge", "Acknowledge"),
        ("resolve", "Resolve"),
        ("suppress", "Suppress"),
    ] {
        body.push_str(&format!(
            "<form class=\"inline\" method=\"post\" action=\"/findings/{}/status\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <input type=\"hidden\" name=\"action\" value=\"{action}\"><input name=\"reason\" placeholder=\"reason\" required size=\"18\"> \
             <button type=\"submit\" id=\"{action}\">{label}</button></form> ",
            f.id,
            esc(&app.csrf)
        ));
    }
    let events: Vec<Vec<String>> = d
        .events
        .iter()
        .map(|e| {
            vec![
                esc(&time_text(e.time_ms)),
                esc(&e.event_uid),
                esc(e.actor.as_deref().unwrap_or("")),
                format!(
                    "<pre>{}</pre>",
                    esc(&serde_json::to_string_pretty(&e.excerpt).unwrap_or_default())
                ),
            ]
        })
        .collect();
    body.push_str(&format!(
        "<h2>Events ({} of {})</h2>",
        d.events.len(),
        d.events_total
    ));
    body.push_str(&table("events", &["time", "event", "actor", "excerpt"], &events));
    let actions: Vec<Vec<String>> = d
        .actions
        .iter()
        .map(|a| {
            let v = serde_json::to_value(a).unwrap_or_default();
            let s = |k: &str| v[k].as_str().map(esc).unwrap_or_default();
            vec![esc(&time_text(a.time_ms)), s("status"), s("by"), s("reason")]
        })
        .collect();
    body.push_str("<h2>History</h2>");
    body.push_str(&table("history", &["time", "status", "by", "reason"], &actions));
    Ok(Html(page(
        &format!("Finding {}", f.id),
        "/findings",
        &app.csrf,
        &body,
    )))
}

pub(crate) async fn api_finding(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Json<FindingDetail>, AppError> {
    let a = app.clone();
    Ok(Json(blocking(move || finding_detail(&a, id)).await?))
}

/// A status action: `acknowledge`, `resolve`, `suppress` (or `reopen`), with a reason.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct StatusAction {
    pub action: String,
    #[serde(default)]
    pub reason: String,
    /// For suppress: days until it lapses (none: until lifted).
    #[serde(default)]
    pub days: Option<u32>,
    #[serde(default)]
    pub by: Option<String>,
}

fn apply_status(app: &App, id: i64, a: &StatusAction, by: &str) -> Result<(), AppError> {
    let status = match a.action.as_str() {
        "acknowledge" | "ack" => "acknowledged",
        "resolve" => "resolved",
        "suppress" => "suppressed",
        "reopen" => "new",
        other => {
            return Err(AppError::BadRequest(format!(
                "action {other:?}: expected acknowledge, resolve, suppress or reopen"
            )))
        }
    };
    if a.reason.trim().is_empty() {
        return Err(AppError::BadRequest("say why (reason)".into()));
    }
    let now = now_ms();
    let change = StatusChange {
        status: status.to_string(),
        by: by.to_string(),
        reason: a.reason.trim().to_string(),
        until_ms: a.days.map(|d| now + i64::from(d) * 86_400_000),
    };
    let mut store = app.store()?;
    store
        .set_finding_status(id, &change, now)
        .map_err(internal)?
        .ok_or_else(|| AppError::NotFound(format!("no finding {id}")))
}

pub(crate) async fn finding_status_form(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Form(a): Form<StatusAction>,
) -> Result<Response, AppError> {
    let app2 = app.clone();
    blocking(move || apply_status(&app2, id, &a, "dashboard")).await?;
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/findings/{id}"))],
    )
        .into_response())
}

pub(crate) async fn api_finding_status(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Json(a): Json<StatusAction>,
) -> Result<Json<serde_json::Value>, AppError> {
    let app2 = app.clone();
    let by = a.by.clone().unwrap_or_else(|| "api".into());
    blocking(move || apply_status(&app2, id, &a, &by)).await?;
    Ok(Json(serde_json::json!({"id": id, "ok": true})))
}

/// What the overview shows.
#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct Overview {
    open_by_severity: BTreeMap<String, u64>,
    open_by_team: BTreeMap<String, u64>,
    open_by_account: BTreeMap<String, u64>,
    /// (day, percent) of the organisation, and per OU.
    posture: BTreeMap<String, Vec<(String, f64)>>,
    /// (day, amount) of the organisation's spend.
    cost_by_day: Vec<(String, f64)>,
    outbox: BTreeMap<String, i64>,
    quarantined: usize,
    /// table → (rows, files, newest data ms)
    lake: BTreeMap<String, (u64, u64, Option<i64>)>,
}

async fn overview_data(app: Arc<App>) -> Result<Overview, AppError> {
    let a = app.clone();
    let mut o = blocking(move || {
        let store = a.store()?;
        let dir = a.directory(&store)?;
        let mut o = Overview::default();
        let open = store
            .findings(&FindingFilter {
                statuses: vec!["new".into(), "acknowledged".into()],
                ..Default::default()
            })
            .map_err(internal)?;
        for f in &open {
            *o.open_by_severity.entry(f.severity.clone()).or_default() += 1;
            let account = f.account_id.as_deref().and_then(|id| dir.get_str(id));
            let team = account
                .map(|a| a.team.clone())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "(no team)".into());
            *o.open_by_team.entry(team).or_default() += 1;
            let name = account_text(
                f.account_id.as_deref(),
                account.map(|a| a.name.as_str()).filter(|n| !n.is_empty()),
            );
            *o.open_by_account
                .entry(if name.is_empty() {
                    "(organisation)".into()
                } else {
                    name
                })
                .or_default() += 1;
        }
        let mut scopes = vec!["organization".to_string()];
        let ous: BTreeSet<String> = dir
            .accounts()
            .iter()
            .map(|a| a.ou.clone())
            .filter(|o| !o.is_empty())
            .collect();
        scopes.extend(ous.into_iter().map(|ou| format!("ou:{ou}")));
        for scope in scopes {
            let rows = store.posture_scores(&scope, 30).map_err(internal)?;
            if !rows.is_empty() {
                o.posture.insert(
                    scope,
                    rows.iter().map(|r| (Day(r.day).to_string(), r.percent)).collect(),
                );
            }
        }
        o.outbox = store.outbox_counts().map_err(internal)?.into_iter().collect();
        o.quarantined = store.quarantine().map_err(internal)?.len();
        for f in store.live_files(None).map_err(internal)? {
            let e = o.lake.entry(f.table).or_default();
            e.0 += f.rows;
            e.1 += 1;
            e.2 = e.2.max(f.max_time_ms);
        }
        Ok(o)
    })
    .await?;
    let spend = cost_rows(&app, 30).await?;
    let mut by_day: BTreeMap<Day, f64> = BTreeMap::new();
    for r in &spend {
        *by_day.entry(r.day).or_default() += r.amount.to_f64();
    }
    o.cost_by_day = by_day.into_iter().map(|(d, v)| (d.to_string(), v)).collect();
    Ok(o)
}

/// The last `days` days of bills (ending on the last day billed).
async fn cost_rows(app: &App, days: i64) -> Result<Vec<parapet_cost::DailySpend>, AppError> {
    let session = app.lake_session().await?;
    let Some((_, last)) = parapet_lake::cost::spend_span(&session).await.map_err(internal)? else {
        return Ok(Vec::new());
    };
    let q = parapet_lake::cost::SpendQuery {
        column: CostMeasure::Unblended.column(),
        from_day: last - days + 1,
        to_day: last,
        by_region: false,
        by_tags: false,
    };
    parapet_lake::cost::daily_spend(&session, &q)
        .await
        .map_err(internal)
}

pub(crate) async fn overview(State(app): State<Arc<App>>) -> Result<Html<String>, AppError> {
    let o = overview_data(app.clone()).await?;
    let order = ["critical", "high", "medium", "low", "info"];
    let by_sev: Vec<(String, f64)> = order
        .iter()
        .filter_map(|s| o.open_by_severity.get(*s).map(|n| (s.to_string(), *n as f64)))
        .collect();
    let total: u64 = o.open_by_severity.values().sum();
    let mut body = format!(
        "<div class=\"cards\"><div class=\"card\"><b id=\"open-total\">{total}</b> open findings</div>\
         <div class=\"card\"><b>{}</b> messages waiting, <b>{}</b> dead</div><div class=\"card\"><b>{}</b> objects quarantined</div></div>",
        o.outbox.get("pending").copied().unwrap_or(0),
        o.outbox.get("dead").copied().unwrap_or(0),
        o.quarantined
    );
    body.push_str("<h2>Open findings</h2><div class=\"cards\">");
    body.push_str(&format!(
        "<div class=\"card\">{}</div>",
        bar_chart("chart-severity", "By severity", &by_sev, "")
    ));
    let mut by_team: Vec<(String, f64)> = o
        .open_by_team
        .iter()
        .map(|(k, v)| (k.clone(), *v as f64))
        .collect();
    by_team.sort_by(|a, b| b.1.total_cmp(&a.1));
    by_team.truncate(12);
    body.push_str(&format!(
        "<div class=\"card\">{}</div>",
        bar_chart("chart-team", "By team", &by_team, "")
    ));
    let mut by_account: Vec<(String, f64)> = o
        .open_by_account
        .iter()
        .map(|(k, v)| (k.clone(), *v as f64))
        .collect();
    by_account.sort_by(|a, b| b.1.total_cmp(&a.1));
    by_account.truncate(12);
    body.push_str(&format!(
        "<div class=\"card\">{}</div></div>",
        bar_chart("chart-account", "By account", &by_account, "")
    ));
    body.push_str("<h2>Posture score</h2>");
    if o.posture.is_empty() {
        body.push_str("<p class=\"muted\">No posture scan yet: <code>parapet posture scan</code>.</p>");
    } else {
        let days: BTreeSet<String> = o
            .posture
            .values()
            .flat_map(|v| v.iter().map(|p| p.0.clone()))
            .collect();
        let x: Vec<String> = days.into_iter().collect();
        let series: Vec<(String, Vec<f64>)> = o
            .posture
            .iter()
            .take(6)
            .map(|(scope, points)| {
                let m: BTreeMap<&str, f64> = points.iter().map(|(d, p)| (d.as_str(), *p)).collect();
                let mut last = 0.0;
                let values = x
                    .iter()
                    .map(|d| {
                        if let Some(v) = m.get(d.as_str()) {
                            last = *v;
                        }
                        last
                    })
                    .collect();
                (scope.trim_start_matches("ou:").to_string(), values)
            })
            .collect();
        body.push_str(&line_chart("chart-posture", "Score (%) per OU", &x, &series, "%"));
    }
    body.push_str("<h2>Cost, last 30 days billed</h2>");
    if o.cost_by_day.is_empty() {
        body.push_str("<p class=\"muted\">No bills yet: <code>parapet cost ingest</code>.</p>");
    } else {
        let x: Vec<String> = o.cost_by_day.iter().map(|p| p.0.clone()).collect();
        let y: Vec<f64> = o.cost_by_day.iter().map(|p| p.1).collect();
        body.push_str(&line_chart(
            "chart-cost",
            "Organisation, per day (unblended)",
            &x,
            &[("organisation".into(), y)],
            "$",
        ));
    }
    body.push_str("<h2>Ingest</h2>");
    let rows: Vec<Vec<String>> = o
        .lake
        .iter()
        .map(|(t, (rows, files, newest))| {
            vec![
                esc(t),
                rows.to_string(),
                files.to_string(),
                esc(&newest.map(time_text).unwrap_or_default()),
            ]
        })
        .collect();
    body.push_str(&table("lake", &["table", "rows", "files", "newest data"], &rows));
    Ok(Html(page("Overview", "/", &app.csrf, &body)))
}

pub(crate) async fn api_overview(State(app): State<Arc<App>>) -> Result<Json<Overview>, AppError> {
    Ok(Json(overview_data(app).await?))
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct AccountRow {
    id: String,
    name: String,
    ou: String,
    team: String,
    env: String,
    owner: String,
    status: String,
    baseline_on: usize,
    baseline_checked: usize,
    score: Option<f64>,
    cost_30_days: Option<String>,
}

async fn accounts_data(app: Arc<App>) -> Result<Vec<AccountRow>, AppError> {
    let a = app.clone();
    let mut rows = blocking(move || {
        let store = a.store()?;
        let baseline = store.baseline().map_err(internal)?;
        let mut rows = Vec::new();
        for r in store.registry().map_err(internal)? {
            if r.removed_ms.is_some() {
                continue;
            }
            let acc = &r.account;
            let id = acc.id.as_str().to_string();
            let mine: Vec<_> = baseline.iter().filter(|b| b.account_id == acc.id).collect();
            let score = store
                .posture_scores(&format!("account:{id}"), 1)
                .map_err(internal)?
                .last()
                .map(|s| s.percent);
            rows.push(AccountRow {
                name: acc.name.clone(),
                ou: acc.ou.clone(),
                team: acc.team.clone(),
                env: acc.env.clone(),
                owner: acc.owner.clone(),
                status: format!("{:?}", acc.status).to_lowercase(),
                baseline_on: mine.iter().filter(|b| b.state == "on").count(),
                baseline_checked: mine.len(),
                score,
                cost_30_days: None,
                id,
            });
        }
        Ok(rows)
    })
    .await?;
    let mut cost: BTreeMap<String, parapet_model::cost::Money> = BTreeMap::new();
    for r in cost_rows(&app, 30).await? {
        *cost.entry(r.account_id).or_default() += r.amount;
    }
    for r in &mut rows {
        r.cost_30_days = cost.get(&r.id).map(|m| m.to_cents_string());
    }
    Ok(rows)
}

pub(crate) async fn accounts(State(app): State<Arc<App>>) -> Result<Html<String>, AppError> {
    let rows = accounts_data(app.clone()).await?;
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                esc(&r.id),
                format!(
                    "<a href=\"/findings?account={}&amp;status=open\">{}</a>",
                    url_component(&r.id),
                    esc(&r.name)
                ),
                esc(&r.ou),
                esc(&r.team),
                esc(&r.env),
                esc(&r.status),
                format!("{}/{}", r.baseline_on, r.baseline_checked),
                r.score.map(|s| format!("{s:.0}%")).unwrap_or_else(|| "-".into()),
                esc(r.cost_30_days.as_deref().unwrap_or("-")),
            ]
        })
        .collect();
    let body = table(
        "accounts",
        &[
            "id",
            "name",
            "OU",
            "team",
            "env",
            "status",
            "baseline on",
            "posture score",
            "cost, 30 days",
        ],
        &cells,
    );
    Ok(Html(page("Accounts", "/accounts", &app.csrf, &body)))
}

pub(crate) async fn api_accounts(State(app): State<Arc<App>>) -> Result<Json<Vec<AccountRow>>, AppError> {
    Ok(Json(accounts_data(app).await?))
}

pub(crate) async fn posture(State(app): State<Arc<App>>) -> Result<Html<String>, AppError> {
    let a = app.clone();
    let (verdicts, dir) = blocking(move || {
        let store = a.store()?;
        let (latest, _) = store.posture_latest_runs().map_err(internal)?;
        let verdicts = match latest {
            Some(run) => store.posture_verdicts(run.id).map_err(internal)?,
            None => Vec::new(),
        };
        Ok((verdicts, a.directory(&store)?))
    })
    .await?;
    if verdicts.is_empty() {
        let body = "<p class=\"muted\">No posture scan yet: <code>parapet posture scan</code>.</p>";
        return Ok(Html(page("Posture", "/posture", &app.csrf, body)));
    }
    // check → account → (passed, failed)
    let mut grid: BTreeMap<String, BTreeMap<String, (u32, u32)>> = BTreeMap::new();
    let mut accounts: BTreeSet<String> = BTreeSet::new();
    for v in &verdicts {
        let id = v.account_id.as_str().to_string();
        accounts.insert(id.clone());
        let cell = grid.entry(v.check.clone()).or_default().entry(id).or_default();
        if v.counts_as_failed() {
            cell.1 += 1;
        } else {
            cell.0 += 1;
        }
    }
    let mut body = String::from("<p>Each cell: the account's resources that fail the check (red) or all pass (green); grey: no data.</p><table id=\"heatmap\"><thead><tr><th>check</th>");
    for id in &accounts {
        let name = dir
            .get_str(id)
            .map(|a| a.name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| id.clone());
        body.push_str(&format!("<th title=\"{}\">{}</th>", esc(id), esc(&name)));
    }
    body.push_str("</tr></thead><tbody>");
    for (check, row) in &grid {
        body.push_str(&format!("<tr><td>{}</td>", esc(check)));
        for id in &accounts {
            match row.get(id) {
                Some((_, failed)) if *failed > 0 => {
                    body.push_str(&format!("<td class=\"fail\">{failed}</td>"))
                }
                Some(_) => body.push_str("<td class=\"pass\">✓</td>"),
                None => body.push_str("<td class=\"none\"></td>"),
            }
        }
        body.push_str("</tr>");
    }
    body.push_str("</tbody></table>");
    Ok(Html(page("Posture", "/posture", &app.csrf, &body)))
}

#[derive(Debug, Default, serde::Serialize)]
pub(crate) struct CostView {
    by_account: Vec<(String, String)>,
    by_service: Vec<(String, String)>,
    by_day: Vec<(String, String)>,
}

async fn cost_data(app: Arc<App>) -> Result<CostView, AppError> {
    let rows = cost_rows(&app, 30).await?;
    let a = app.clone();
    let dir = blocking(move || a.directory(&a.store()?)).await?;
    let names = parapet_cost::Names::new(&dir, &rows);
    let sum = |key: &dyn Fn(&parapet_cost::DailySpend) -> String| {
        let mut m: BTreeMap<String, parapet_model::cost::Money> = BTreeMap::new();
        for r in &rows {
            *m.entry(key(r)).or_default() += r.amount;
        }
        m
    };
    let sorted = |m: BTreeMap<String, parapet_model::cost::Money>| {
        let mut v: Vec<(String, parapet_model::cost::Money)> = m.into_iter().collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.1));
        v.into_iter()
            .map(|(k, m)| (k, m.to_cents_string()))
            .collect::<Vec<_>>()
    };
    let by_day = sum(&|r| r.day.to_string());
    Ok(CostView {
        by_account: sorted(sum(&|r| {
            let l = names.get(&r.account_id);
            format!("{} ({})", l.name, l.id)
        })),
        by_service: sorted(sum(&|r| r.service.clone())),
        by_day: by_day
            .into_iter()
            .map(|(d, m)| (d, m.to_cents_string()))
            .collect(),
    })
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct CostQuery {
    #[serde(default)]
    top: Option<usize>,
}

pub(crate) async fn cost(State(app): State<Arc<App>>) -> Result<Html<String>, AppError> {
    let v = cost_data(app.clone()).await?;
    if v.by_day.is_empty() {
        let body = "<p class=\"muted\">No bills yet: <code>parapet cost ingest</code>.</p>";
        return Ok(Html(page("Cost", "/cost", &app.csrf, body)));
    }
    let bars = |v: &[(String, String)]| -> Vec<(String, f64)> {
        v.iter()
            .take(15)
            .map(|(k, m)| (k.clone(), m.parse().unwrap_or(0.0)))
            .collect()
    };
    let x: Vec<String> = v.by_day.iter().map(|d| d.0.clone()).collect();
    let y: Vec<f64> = v.by_day.iter().map(|d| d.1.parse().unwrap_or(0.0)).collect();
    let mut body =
        String::from("<p class=\"muted\">The last 30 days billed, unblended.</p><div class=\"cards\">");
    body.push_str(&format!(
        "<div class=\"card\">{}</div>",
        line_chart(
            "chart-cost-day",
            "Per day",
            &x,
            &[("organisation".into(), y)],
            "$"
        )
    ));
    body.push_str(&format!(
        "<div class=\"card\">{}</div>",
        bar_chart("chart-cost-account", "By account", &bars(&v.by_account), "$")
    ));
    body.push_str(&format!(
        "<div class=\"card\">{}</div></div>",
        bar_chart("chart-cost-service", "By service", &bars(&v.by_service), "$")
    ));
    let rows: Vec<Vec<String>> = v.by_account.iter().map(|(k, m)| vec![esc(k), esc(m)]).collect();
    body.push_str("<h2>By account</h2>");
    body.push_str(&table("cost-accounts", &["account", "cost"], &rows));
    Ok(Html(page("Cost", "/cost", &app.csrf, &body)))
}

pub(crate) async fn api_cost(
    State(app): State<Arc<App>>,
    Query(q): Query<CostQuery>,
) -> Result<Json<CostView>, AppError> {
    let mut v = cost_data(app).await?;
    if let Some(n) = q.top {
        v.by_account.truncate(n);
        v.by_service.truncate(n);
    }
    Ok(Json(v))
}

/// `?day=YYYY-MM-DD`: the diagram of that day (the newest on or before it).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct DayQuery {
    #[serde(default)]
    day: Option<String>,
}

impl DayQuery {
    /// The day asked for, `i64::MAX` (the newest) when none.
    fn day(&self) -> Result<i64, AppError> {
        match self.day.as_deref().filter(|d| !d.is_empty()) {
            None => Ok(i64::MAX),
            Some(d) => Day::parse(d)
                .map(|d| d.0)
                .ok_or_else(|| AppError::BadRequest(format!("day {d:?}: expected YYYY-MM-DD"))),
        }
    }
}

/// How many past diagrams an account page lists.
const DIAGRAM_HISTORY: usize = 60;

/// One account: its registry entry, open findings, its architecture diagram (the newest, or the
/// one of `?day=`) with what changed since the one before, and the days drawn before.
pub(crate) async fn account(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Html<String>, AppError> {
    let day = q.day()?;
    let a = app.clone();
    let id2 = id.clone();
    let (entry, diagram, history, open) = blocking(move || {
        let store = a.store()?;
        let dir = a.directory(&store)?;
        let entry = dir.get_str(&id2).cloned();
        let diagram = store.diagram(&id2, day).map_err(internal)?;
        let history = store.diagram_days(&id2, DIAGRAM_HISTORY).map_err(internal)?;
        let open = store
            .findings(&FindingFilter {
                statuses: vec!["new".into(), "acknowledged".into()],
                account_id: parapet_model::AccountId::parse(&id2),
                ..Default::default()
            })
            .map_err(internal)?
            .len();
        Ok((entry, diagram, history, open))
    })
    .await?;
    let name = entry
        .as_ref()
        .map(|e| e.name.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| id.clone());
    let mut body = String::new();
    if let Some(e) = &entry {
        body.push_str(&format!(
            "<p><b>{}</b> · OU {} · team {} · env {} · owner {}</p>",
            esc(e.id.as_str()),
            esc(&e.ou),
            esc(&e.team),
            esc(&e.env),
            esc(&e.owner)
        ));
    }
    body.push_str(&format!(
        "<p><a href=\"/findings?account={}&amp;status=open\">{open} open finding(s)</a></p><h2>Architecture</h2>",
        url_component(&id)
    ));
    match &diagram {
        None if day != i64::MAX => body.push_str("<p class=\"muted\">No diagram on or before that day.</p>"),
        None => body.push_str("<p class=\"muted\">No diagram yet: <code>parapet diagram --save</code> (or <code>parapet run</code>, daily).</p>"),
        Some(d) => {
            let changes: parapet_diagram::Changes = serde_json::from_str(&d.changes).unwrap_or_default();
            let date = Day(d.day).to_string();
            body.push_str(&format!(
                "<p id=\"diagram-changes\">Drawn {} · since the diagram before: {} · <a href=\"/accounts/{}/diagram.svg?day={}\" download>SVG</a></p>",
                esc(&date),
                esc(&changes.summary()),
                url_component(&id),
                esc(&date)
            ));
            let mut lines = Vec::new();
            for (what, list) in [("added", &changes.added), ("removed", &changes.removed), ("exposure", &changes.exposure)] {
                for item in list {
                    lines.push(vec![esc(what), esc(item)]);
                }
            }
            if !lines.is_empty() {
                body.push_str(&table("changes", &["change", "resource"], &lines));
            }
            // The SVG is parapet's own drawing, every text in it escaped when it was drawn.
            body.push_str(&format!("<div id=\"diagram\">{}</div>", d.svg));
        }
    }
    if history.len() > 1 || (diagram.is_none() && !history.is_empty()) {
        let shown = diagram.as_ref().map(|d| d.day);
        let rows: Vec<Vec<String>> = history
            .iter()
            .map(|h| {
                let date = Day(h.day).to_string();
                let changes: parapet_diagram::Changes = serde_json::from_str(&h.changes).unwrap_or_default();
                let link = if Some(h.day) == shown {
                    format!("<b>{}</b>", esc(&date))
                } else {
                    format!(
                        "<a href=\"/accounts/{}?day={}\">{}</a>",
                        url_component(&id),
                        esc(&date),
                        esc(&date)
                    )
                };
                vec![link, esc(&changes.summary())]
            })
            .collect();
        body.push_str("<h2>Diagram history</h2>");
        body.push_str(&table(
            "diagram-history",
            &["day", "changes since the one before"],
            &rows,
        ));
    }
    Ok(Html(page(
        &format!("Account {name}"),
        "/accounts",
        &app.csrf,
        &body,
    )))
}

/// The account's diagram (the newest, or the one of `?day=`) as an SVG file.
pub(crate) async fn account_diagram_svg(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Response, AppError> {
    let day = q.day()?;
    let id2 = id.clone();
    let d = blocking(move || app.store()?.diagram(&id2, day).map_err(internal))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("account {id}: no diagram on or before that day")))?;
    let file = format!(
        "attachment; filename=\"{}-{}.svg\"",
        id.chars().filter(char::is_ascii_alphanumeric).collect::<String>(),
        Day(d.day)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml".to_string()),
            (header::CONTENT_DISPOSITION, file),
        ],
        d.svg,
    )
        .into_response())
}

/// One stored diagram in `/api/accounts/{id}/diagrams`.
#[derive(Debug, serde::Serialize)]
pub(crate) struct DiagramDayView {
    day: String,
    drawn: String,
    changes: parapet_diagram::Changes,
}

/// The account's stored diagrams, newest first, with what changed in each.
pub(crate) async fn api_account_diagrams(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> Result<Json<Vec<DiagramDayView>>, AppError> {
    let days = blocking(move || app.store()?.diagram_days(&id, DIAGRAM_HISTORY).map_err(internal)).await?;
    Ok(Json(
        days.into_iter()
            .map(|d| DiagramDayView {
                day: Day(d.day).to_string(),
                drawn: time_text(d.drawn_ms),
                changes: serde_json::from_str(&d.changes).unwrap_or_default(),
            })
            .collect(),
    ))
}
