//! `parapet serve`: the dashboard and its JSON API, until SIGINT / SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use parapet_config::Config;
use parapet_ingest::DataDir;
use parapet_server::{App, Metrics, ServerOptions};

use crate::args::{Cli, ServeArgs};
use crate::context::{data_dir, load_config, runtime};

/// The server's options from the config, overridden by the command line.
pub(crate) fn options(
    config: &Config,
    data: &DataDir,
    bind: Option<&str>,
    token: Option<&str>,
) -> Result<ServerOptions> {
    let bind = bind.unwrap_or(&config.server.bind);
    Ok(ServerOptions {
        bind: bind
            .parse()
            .with_context(|| format!("--bind {bind}: expected an address and port like 127.0.0.1:8080"))?,
        token: token.map(str::to_string).or_else(|| config.server.token.clone()),
        state_path: data.state_path(),
        lake_root: data.lake_root(),
        lake_snapshot: data.lake_snapshot(),
        query_timeout: Duration::from_secs(config.server.query_timeout_secs),
        query_max_rows: config.server.query_max_rows,
        account_overrides: crate::context::load_accounts(config.accounts.csv.as_deref())?,
        hunter: Some({
            let (config, data) = (config.clone(), data.clone());
            parapet_server::Hunter(Arc::new(move |rule: &str, since: Option<i64>| {
                crate::cmd_detect::hunt_value(&config, &data, rule, since).map_err(|e| format!("{e:#}"))
            }))
        }),
    })
}

/// Resolves when the process is asked to stop (Ctrl-C, SIGTERM).
pub(crate) async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

pub fn run(cli: &Cli, args: &ServeArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    crate::cmd_query::settle(&data)?;
    // The state database exists (with its schema) before the first request.
    drop(data.open_store().context("opening the state database")?);
    let options = options(&config, &data, args.bind.as_deref(), args.token.as_deref())?;
    let rt = runtime()?;
    rt.block_on(async {
        let listener = parapet_server::bind(&options).await?;
        let addr = listener.local_addr().context("the listening address")?;
        if !cli.quiet {
            eprintln!("dashboard on http://{addr}/ (Ctrl-C to stop)");
        }
        // Scripts waiting for the port read this line.
        println!("listening on http://{addr}/");
        let app = App::new(options, Arc::new(Metrics::default()));
        parapet_server::serve(listener, app, stop_signal()).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
