//! parapet-server: the dashboard (server-rendered pages, charts as inline SVG) and the JSON API
//! under it, over the state database and the lake.
//!
//! Safety:
//! - it binds 127.0.0.1 unless told otherwise, and refuses to start on any other address
//!   without a token; with a token, every page and API call needs it (`Authorization: Bearer`,
//!   or the cookie a browser gets by opening any page once with `?token=`);
//! - actions (acknowledge, resolve, suppress) are POSTs that need the page's CSRF token (or a
//!   bearer token, which browsers do not send on their own), and a cross-site `Origin` is refused;
//! - every string from logs is escaped (`html::esc`) and pages forbid scripts outright
//!   (`Content-Security-Policy: default-src 'none'`);
//! - SQL is read-only (no DDL, DML, COPY or statements; the lake session has no file-reading
//!   functions), with a row limit and a time limit.

pub mod html;
mod pages;
mod sql;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub bind: SocketAddr,
    /// Required for every request when set; required to be set off loopback.
    pub token: Option<String>,
    /// The state database.
    pub state_path: PathBuf,
    /// The lake's root folder.
    pub lake_root: PathBuf,
    /// The ledger's view of the lake that queries read (the composition root provides it, as
    /// it provides the hunter).
    pub lake_snapshot: parapet_lake::Snapshot,
    pub query_timeout: Duration,
    pub query_max_rows: usize,
    /// `accounts.csv` read at start: merged over the registry for names and teams.
    pub account_overrides: parapet_model::AccountDirectory,
    /// Runs one Sigma rule (its YAML) over the lake since a time (ms), read-only: the hunt page.
    pub hunter: Option<Hunter>,
}

/// The Sigma hunt, as the composition root provides it (the dashboard does not link the
/// detection engine): rule text and since (ms) to `{"events_scanned", "matches", "total",
/// "correlations"}`, or an error to show.
#[derive(Clone)]
pub struct Hunter(pub Arc<HuntFn>);

/// Rule text and since (ms) to the hunt's result, or why it could not run.
pub type HuntFn = dyn Fn(&str, Option<i64>) -> Result<serde_json::Value, String> + Send + Sync;

impl std::fmt::Debug for Hunter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hunter")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("refusing to listen on {bind} without a token: set `server.token` (or PARAPET_SERVER_TOKEN), at least 16 characters, or bind 127.0.0.1")]
    NeedsToken { bind: SocketAddr },
    #[error("the server token must be at least 16 characters")]
    WeakToken,
    #[error("listening on {bind}: {source}")]
    Bind {
        bind: SocketAddr,
        source: std::io::Error,
    },
    #[error("serving: {0}")]
    Serve(std::io::Error),
}

impl ServerOptions {
    /// Refuses what must not run: a non-loopback address without a token, a short token.
    pub fn check(&self) -> Result<(), ServerError> {
        match &self.token {
            Some(t) if t.len() < 16 => Err(ServerError::WeakToken),
            None if !self.bind.ip().is_loopback() => Err(ServerError::NeedsToken { bind: self.bind }),
            _ => Ok(()),
        }
    }
}

/// Counters the process running the server updates (ingest, notifications) and `/metrics`
/// shows, as Prometheus series `name{labels} value`.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String), f64>>,
}

impl Metrics {
    /// Adds `v` to the series `name{labels}` (labels as `k="v",…`, already escaped).
    pub fn add(&self, name: &str, labels: &str, v: f64) {
        if let Ok(mut s) = self.series.lock() {
            *s.entry((name.to_string(), labels.to_string())).or_default() += v;
        }
    }

    /// Sets the series `name{labels}`.
    pub fn set(&self, name: &str, labels: &str, v: f64) {
        if let Ok(mut s) = self.series.lock() {
            s.insert((name.to_string(), labels.to_string()), v);
        }
    }

    fn render(&self, out: &mut String) {
        if let Ok(s) = self.series.lock() {
            for ((name, labels), v) in s.iter() {
                if labels.is_empty() {
                    out.push_str(&format!("{name} {v}\n"));
                } else {
                    out.push_str(&format!("{name}{{{labels}}} {v}\n"));
                }
            }
        }
    }
}

/// The server's shared state.
pub struct App {
    pub options: ServerOptions,
    /// The CSRF token of this process (random; pages carry it, actions must send it back).
    pub csrf: String,
    pub metrics: Arc<Metrics>,
}

impl App {
    pub fn new(options: ServerOptions, metrics: Arc<Metrics>) -> Arc<App> {
        let mut bytes = [0u8; 24];
        // Without randomness the token would be guessable: fail closed (no action passes).
        let csrf = match getrandom::fill(&mut bytes) {
            Ok(()) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
            Err(_) => String::new(),
        };
        Arc::new(App {
            options,
            csrf,
            metrics,
        })
    }

    /// The registry with `accounts.csv` on top (as every command sees the accounts).
    pub(crate) fn directory(
        &self,
        store: &parapet_store::Store,
    ) -> Result<parapet_model::AccountDirectory, AppError> {
        let registry = store
            .registry_directory()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if registry.is_empty() {
            return Ok(self.options.account_overrides.clone());
        }
        let merged = parapet_registry::apply_overrides(
            registry.accounts().into_iter().cloned().collect(),
            &self.options.account_overrides,
        );
        Ok(parapet_model::AccountDirectory::new(merged))
    }

    pub(crate) fn store(&self) -> Result<parapet_store::Store, AppError> {
        parapet_store::Store::open(&self.options.state_path).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// A query session reading what the ledger has published (never a file and the one
    /// replacing it while `parapet run` compacts or restates a bill).
    pub(crate) async fn lake_session(&self) -> Result<parapet_lake::LakeSession, AppError> {
        let snapshot = self.options.lake_snapshot.clone();
        parapet_lake::LakeSession::open_with(&self.options.lake_root, Some(snapshot))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
    }
}

/// An error a handler answers with.
#[derive(Debug)]
pub(crate) enum AppError {
    NotFound(String),
    BadRequest(String),
    Forbidden(String),
    Internal(String),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            AppError::Internal(m) => {
                tracing::warn!(error = %m, "dashboard request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, m)
            }
        };
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
    }
}

/// Runs blocking work (SQLite) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

/// Every route.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(pages::overview))
        .route("/findings", get(pages::findings))
        .route("/findings/{id}", get(pages::finding))
        .route("/findings/{id}/status", post(pages::finding_status_form))
        .route("/accounts", get(pages::accounts))
        .route("/accounts/{id}", get(pages::account))
        .route("/accounts/{id}/diagram.svg", get(pages::account_diagram_svg))
        .route("/posture", get(pages::posture))
        .route("/cost", get(pages::cost))
        .route("/search", get(sql::search_page))
        .route("/search/save", post(sql::save_query))
        .route("/search/delete", post(sql::delete_query))
        .route("/hunt", get(sql::hunt_page).post(sql::hunt_run))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/overview", get(pages::api_overview))
        .route("/api/findings", get(pages::api_findings))
        .route("/api/findings/{id}", get(pages::api_finding))
        .route("/api/findings/{id}/status", post(pages::api_finding_status))
        .route("/api/accounts", get(pages::api_accounts))
        .route("/api/accounts/{id}/diagrams", get(pages::api_account_diagrams))
        .route("/api/cost", get(pages::api_cost))
        .route("/api/query", post(sql::api_query))
        .route("/api/query.csv", get(sql::api_query_csv))
        .route("/api/queries", get(sql::api_queries))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// Serves until `shutdown` completes; requests in flight finish first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServerError::Serve)
}

/// Binds the configured address (after [`ServerOptions::check`]).
pub async fn bind(options: &ServerOptions) -> Result<tokio::net::TcpListener, ServerError> {
    options.check()?;
    tokio::net::TcpListener::bind(options.bind)
        .await
        .map_err(|source| ServerError::Bind {
            bind: options.bind,
            source,
        })
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().strip_prefix("parapet_token="))
        .map(str::to_string)
        .next()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Authentication (token), CSRF on actions, and the security headers of every answer.
async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let by_bearer = match (&app.options.token, bearer(&headers)) {
        (Some(t), Some(b)) => same(t, b),
        _ => false,
    };
    if let Some(token) = &app.options.token {
        let by_cookie = cookie_token(&headers).is_some_and(|c| same(token, &c));
        if !by_bearer && !by_cookie {
            // A browser's first visit: `?token=…` sets the cookie and drops it from the address.
            let given = query_param(req.uri().query(), "token");
            if req.method() == Method::GET && given.as_deref().is_some_and(|g| same(token, g)) {
                let path = req.uri().path().to_string();
                let mut resp = (StatusCode::SEE_OTHER, [(header::LOCATION, path)]).into_response();
                if let Ok(v) = HeaderValue::from_str(&format!(
                    "parapet_token={token}; HttpOnly; SameSite=Strict; Path=/"
                )) {
                    resp.headers_mut().insert(header::SET_COOKIE, v);
                }
                return secure(resp);
            }
            let resp = (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                axum::Json(serde_json::json!({"error": "a token is required: Authorization: Bearer <token>, or open the page once with ?token=<token>"})),
            )
                .into_response();
            return secure(resp);
        }
    }
    if req.method() == Method::POST {
        // A page from another site may post here, but cannot read the CSRF token.
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let cross_site = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|o| o.split("://").nth(1) != Some(host));
        let header_token = headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| !app.csrf.is_empty() && same(&app.csrf, t));
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, 1 << 20).await {
            Ok(b) => b,
            Err(_) => return secure(AppError::BadRequest("request body too large".into()).into_response()),
        };
        let form_token = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|b| query_param(Some(b), "csrf"))
            .is_some_and(|t| !app.csrf.is_empty() && same(&app.csrf, &t));
        if cross_site || !(by_bearer || header_token || form_token) {
            return secure(
                AppError::Forbidden(
                    "missing or wrong CSRF token (send the page's token as the csrf field or X-CSRF-Token)"
                        .into(),
                )
                .into_response(),
            );
        }
        let req = Request::from_parts(parts, Body::from(bytes));
        return secure(next.run(req).await);
    }
    secure(next.run(req).await)
}

fn secure(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // `same-origin`: with `no-referrer` browsers send `Origin: null` on their own form posts.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

async fn healthz(State(app): State<Arc<App>>) -> Result<axum::Json<serde_json::Value>, AppError> {
    let a = app.clone();
    let (pending, dead) = blocking(move || {
        let store = a.store()?;
        let counts = store
            .outbox_counts()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let get = |s: &str| counts.iter().find(|(k, _)| k == s).map(|c| c.1).unwrap_or(0);
        Ok((get("pending"), get("dead")))
    })
    .await?;
    Ok(axum::Json(serde_json::json!({
        "status": "ok",
        "outbox_pending": pending,
        "outbox_dead": dead,
    })))
}

async fn metrics(State(app): State<Arc<App>>) -> Result<Response, AppError> {
    let a = app.clone();
    let body = blocking(move || {
        let store = a.store()?;
        let err = |e: parapet_store::StoreError| AppError::Internal(e.to_string());
        let mut out = String::new();
        out.push_str("# TYPE parapet_findings_open gauge\n");
        let open = store
            .findings(&parapet_store::FindingFilter {
                statuses: vec!["new".into(), "acknowledged".into()],
                ..Default::default()
            })
            .map_err(err)?;
        let mut by: BTreeMap<String, u64> = BTreeMap::new();
        for f in &open {
            *by.entry(f.severity.clone()).or_default() += 1;
        }
        for (s, n) in by {
            out.push_str(&format!("parapet_findings_open{{severity=\"{s}\"}} {n}\n"));
        }
        out.push_str("# TYPE parapet_outbox_messages gauge\n");
        for (status, n) in store.outbox_counts().map_err(err)? {
            out.push_str(&format!("parapet_outbox_messages{{status=\"{status}\"}} {n}\n"));
        }
        let mut tables: BTreeMap<String, (u64, u64, Option<i64>)> = BTreeMap::new();
        for f in store.live_files(None).map_err(err)? {
            let e = tables.entry(f.table).or_default();
            e.0 += f.rows;
            e.1 += 1;
            e.2 = e.2.max(f.max_time_ms);
        }
        // Lag: how far behind now the newest record of each table is.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        out.push_str("# TYPE parapet_lake_lag_seconds gauge\n");
        for (t, (_, _, newest)) in &tables {
            if let Some(n) = newest {
                out.push_str(&format!(
                    "parapet_lake_lag_seconds{{table=\"{t}\"}} {}\n",
                    (now - n).max(0) / 1000
                ));
            }
        }
        out.push_str("# TYPE parapet_lake_rows gauge\n");
        for (t, (rows, _, _)) in &tables {
            out.push_str(&format!("parapet_lake_rows{{table=\"{t}\"}} {rows}\n"));
        }
        out.push_str("# TYPE parapet_lake_files gauge\n");
        for (t, (_, files, _)) in &tables {
            out.push_str(&format!("parapet_lake_files{{table=\"{t}\"}} {files}\n"));
        }
        let quarantined = store.quarantine().map_err(err)?.len();
        out.push_str(&format!(
            "# TYPE parapet_quarantined_objects gauge\nparapet_quarantined_objects {quarantined}\n"
        ));
        a.metrics.render(&mut out);
        Ok(out)
    })
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response())
}
