//! Search: read-only SQL over the lake, with a row limit and a time limit; results as a
//! table, JSON or CSV.

use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use parapet_lake::arrow::array::RecordBatch;
use parapet_lake::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::html::{esc, page, table, url_component};
use crate::{blocking, App, AppError};

#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct SqlQuery {
    #[serde(default)]
    pub sql: String,
}

/// Rows as text cells, with the column names.
fn cells(batches: &[RecordBatch]) -> (Vec<String>, Vec<Vec<String>>) {
    let Some(first) = batches.first() else {
        return (Vec::new(), Vec::new());
    };
    let names = first.schema().fields().iter().map(|f| f.name().clone()).collect();
    let options = FormatOptions::default().with_null("");
    let mut rows = Vec::new();
    for b in batches {
        let formatters: Vec<_> = b
            .columns()
            .iter()
            .filter_map(|c| ArrayFormatter::try_new(c.as_ref(), &options).ok())
            .collect();
        for r in 0..b.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    (names, rows)
}

/// Runs `sql` read-only, limited in rows and time.
async fn run(app: &App, sql: &str) -> Result<(Vec<RecordBatch>, bool), AppError> {
    if sql.trim().is_empty() {
        return Err(AppError::BadRequest("no SQL given".into()));
    }
    let work = async {
        let session = app.lake_session().await?;
        session
            .sql_limited(sql, app.options.query_max_rows)
            .await
            .map_err(|e| AppError::BadRequest(e.to_string()))
    };
    match tokio::time::timeout(app.options.query_timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(AppError::BadRequest(format!(
            "the query took longer than {} s and was stopped",
            app.options.query_timeout.as_secs()
        ))),
    }
}

const SAMPLES: &[(&str, &str)] = &[
    (
        "Denied API calls by account",
        "SELECT account_name, eventname, count(*) AS calls FROM cloudtrail WHERE errorcode = 'AccessDenied' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20",
    ),
    (
        "Console sign-ins",
        "SELECT time_dt, account_name, actor_user_name, src_endpoint_ip, useragent FROM cloudtrail WHERE eventname = 'ConsoleLogin' ORDER BY time DESC LIMIT 50",
    ),
    (
        "Spend per account this month",
        "SELECT account_name, sum(unblended_cost) AS cost FROM cost WHERE usage_date >= date_trunc('month', current_date) GROUP BY 1 ORDER BY 2 DESC",
    ),
];

pub(crate) async fn search_page(State(app): State<Arc<App>>, Query(q): Query<SqlQuery>) -> Html<String> {
    let mut body = format!(
        "<form id=\"search\" method=\"get\" action=\"/search\"><textarea name=\"sql\" rows=\"6\">{}</textarea>\
         <p><button type=\"submit\" id=\"run\">Run</button> <span class=\"muted\">read-only; at most {} rows, {} s</span></p></form>",
        esc(&q.sql),
        app.options.query_max_rows,
        app.options.query_timeout.as_secs()
    );
    body.push_str("<p>Examples: ");
    for (title, sql) in SAMPLES {
        body.push_str(&format!(
            "<a href=\"/search?sql={}\">{}</a> · ",
            url_component(sql),
            esc(title)
        ));
    }
    body.push_str("</p>");
    let a = app.clone();
    let saved = blocking(move || {
        a.store()?
            .saved_queries()
            .map_err(|e| AppError::Internal(e.to_string()))
    })
    .await
    .unwrap_or_default();
    body.push_str("<h2>Saved searches</h2>");
    let rows: Vec<Vec<String>> = saved
        .iter()
        .map(|q| {
            vec![
                format!("<a href=\"/search?sql={}\">{}</a>", url_component(&q.sql), esc(&q.name)),
                format!("<code>{}</code>", esc(&q.sql)),
                format!(
                    "<form class=\"inline\" method=\"post\" action=\"/search/delete\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"id\" value=\"{}\"><button type=\"submit\">Delete</button></form>",
                    esc(&app.csrf),
                    q.id
                ),
            ]
        })
        .collect();
    body.push_str(&table("saved", &["name", "SQL", ""], &rows));
    if !q.sql.trim().is_empty() {
        body.push_str(&format!(
            "<form id=\"save\" method=\"post\" action=\"/search/save\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"sql\" value=\"{}\"><input name=\"name\" placeholder=\"name this search\" required> <button type=\"submit\">Save</button></form>",
            esc(&app.csrf),
            esc(&q.sql)
        ));
    }
    if !q.sql.trim().is_empty() {
        match run(&app, &q.sql).await {
            Ok((batches, truncated)) => {
                let (names, rows) = cells(&batches);
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let rows: Vec<Vec<String>> =
                    rows.iter().map(|r| r.iter().map(|c| esc(c)).collect()).collect();
                body.push_str(&format!(
                    "<p class=\"muted\"><span id=\"row-count\">{}</span> row(s){} · <a id=\"csv\" href=\"/api/query.csv?sql={}\">CSV</a></p>",
                    rows.len(),
                    if truncated { " (more were left out)" } else { "" },
                    url_component(&q.sql)
                ));
                body.push_str(&table("results", &names, &rows));
            }
            Err(
                AppError::BadRequest(m)
                | AppError::Internal(m)
                | AppError::NotFound(m)
                | AppError::Forbidden(m),
            ) => {
                body.push_str(&format!("<p class=\"error\" id=\"error\">{}</p>", esc(&m)));
            }
        }
    }
    Html(page("Search", "/search", &app.csrf, &body))
}

pub(crate) async fn api_query(
    State(app): State<Arc<App>>,
    Json(q): Json<SqlQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let (batches, truncated) = run(&app, &q.sql).await?;
    let (names, rows) = cells(&batches);
    Ok(Json(
        serde_json::json!({"columns": names, "rows": rows, "truncated": truncated}),
    ))
}

pub(crate) async fn api_query_csv(
    State(app): State<Arc<App>>,
    Query(q): Query<SqlQuery>,
) -> Result<Response, AppError> {
    let (batches, _) = run(&app, &q.sql).await?;
    let mut out = Vec::new();
    parapet_lake::query::write_results(&mut out, &batches, parapet_lake::OutputFormat::Csv)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"parapet-query.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct SaveForm {
    name: String,
    sql: String,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(crate) async fn save_query(
    State(app): State<Arc<App>>,
    Form(f): Form<SaveForm>,
) -> Result<Response, AppError> {
    if f.name.trim().is_empty() || f.sql.trim().is_empty() {
        return Err(AppError::BadRequest("a saved search needs a name and SQL".into()));
    }
    let sql = f.sql.clone();
    let a = app.clone();
    blocking(move || {
        a.store()?
            .save_query(f.name.trim(), f.sql.trim(), now_ms())
            .map_err(|e| AppError::Internal(e.to_string()))
    })
    .await?;
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/search?sql={}", url_component(&sql)))],
    )
        .into_response())
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct DeleteForm {
    id: i64,
}

pub(crate) async fn delete_query(
    State(app): State<Arc<App>>,
    Form(f): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let a = app.clone();
    blocking(move || {
        a.store()?
            .delete_query(f.id)
            .map_err(|e| AppError::Internal(e.to_string()))
    })
    .await?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/search".to_string())]).into_response())
}

pub(crate) async fn api_queries(
    State(app): State<Arc<App>>,
) -> Result<Json<Vec<parapet_store::SavedQuery>>, AppError> {
    let a = app.clone();
    Ok(Json(
        blocking(move || {
            a.store()?
                .saved_queries()
                .map_err(|e| AppError::Internal(e.to_string()))
        })
        .await?,
    ))
}

const HUNT_EXAMPLE: &str = "title: Console sign-ins without MFA\nid: hunt.console_no_mfa\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n    selection:\n        eventName: ConsoleLogin\n        additionalEventData.MFAUsed: 'No'\n    condition: selection\nlevel: medium\n";

fn hunt_form(app: &App, rule: &str, days: u32) -> String {
    format!(
        "<form id=\"hunt\" method=\"post\" action=\"/hunt\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <textarea name=\"rule\" rows=\"14\">{}</textarea><p><label>over the last <input name=\"days\" value=\"{days}\" size=\"4\"> days</label> \
         <button type=\"submit\" id=\"hunt-run\">Hunt</button> <span class=\"muted\">one Sigma rule (with its correlation, if any) over the lake; nothing is written</span></p></form>",
        esc(&app.csrf),
        esc(rule)
    )
}

pub(crate) async fn hunt_page(State(app): State<Arc<App>>) -> Html<String> {
    let body = hunt_form(&app, HUNT_EXAMPLE, 30);
    Html(page("Hunt", "/hunt", &app.csrf, &body))
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct HuntForm {
    rule: String,
    #[serde(default)]
    days: Option<String>,
}

pub(crate) async fn hunt_run(
    State(app): State<Arc<App>>,
    Form(f): Form<HuntForm>,
) -> Result<Html<String>, AppError> {
    let days: u32 = f
        .days
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map(|d| {
            d.trim()
                .parse()
                .map_err(|_| AppError::BadRequest(format!("days {d:?}: expected a whole number")))
        })
        .transpose()?
        .unwrap_or(30);
    let mut body = hunt_form(&app, &f.rule, days);
    let Some(hunter) = app.options.hunter.clone() else {
        body.push_str("<p class=\"error\">Hunting is not available in this process.</p>");
        return Ok(Html(page("Hunt", "/hunt", &app.csrf, &body)));
    };
    let since = now_ms() - i64::from(days) * 86_400_000;
    let rule = f.rule.clone();
    let found = tokio::task::spawn_blocking(move || (hunter.0)(&rule, Some(since)))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    match found {
        Err(e) => body.push_str(&format!("<p class=\"error\" id=\"error\">{}</p>", esc(&e))),
        Ok(v) => {
            let matches = v["matches"].as_array().cloned().unwrap_or_default();
            body.push_str(&format!(
                "<p class=\"muted\"><span id=\"match-count\">{}</span> match(es) in {} events scanned{}</p>",
                v["total"].as_u64().unwrap_or(matches.len() as u64),
                v["events_scanned"].as_u64().unwrap_or(0),
                if v["total"].as_u64().unwrap_or(0) > matches.len() as u64 {
                    " (the first shown)"
                } else {
                    ""
                }
            ));
            let text = |m: &serde_json::Value, k: &str| esc(m[k].as_str().unwrap_or(""));
            let rows: Vec<Vec<String>> = matches
                .iter()
                .map(|m| {
                    vec![
                        text(m, "time"),
                        text(m, "account_id"),
                        text(m, "region"),
                        text(m, "action"),
                        text(m, "actor"),
                        text(m, "rule_id"),
                        format!("<code>{}</code>", esc(&m["excerpt"].to_string())),
                    ]
                })
                .collect();
            body.push_str(&table(
                "matches",
                &["time", "account", "region", "action", "actor", "rule", "excerpt"],
                &rows,
            ));
        }
    }
    Ok(Html(page("Hunt", "/hunt", &app.csrf, &body)))
}
