//! Search: read-only SQL over the lake, with a row limit and a time limit; results as a
//! table, JSON or CSV.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use parapet_lake::arrow::array::RecordBatch;
use parapet_lake::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::html::{esc, page, table, url_component};
use crate::{App, AppError};

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
        let session = parapet_lake::LakeSession::open(&app.options.lake_root)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
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
    body.push_str("<p>Saved queries: ");
    for (title, sql) in SAMPLES {
        body.push_str(&format!(
            "<a href=\"/search?sql={}\">{}</a> · ",
            url_component(sql),
            esc(title)
        ));
    }
    body.push_str("</p>");
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
