//! `parapet run`: the service. The dashboard runs on the async runtime; one worker thread
//! loops: an ingest round over every source (exactly once per object, detection in the same
//! transactions), the notification outbox (and the daily cost report), then the jobs that are
//! due (registry sync, bills, compaction), then waits for the next round.
//!
//! Stopping (SIGTERM, Ctrl-C): the dashboard stops taking requests and finishes those in
//! flight; the worker finishes the step it is in (an ingest round commits what it read; a crash
//! instead would leave uncommitted objects for the next start, which recovers and redoes them),
//! sends what is due once more, and the process exits 0. Nothing is lost or doubled either way:
//! objects are done exactly when the ledger says so, findings are keyed, and messages carry
//! idempotency keys.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use parapet_config::Config;
use parapet_ingest::{compact, now_ms, CompactOptions, DataDir};
use parapet_server::{App, Metrics};

use crate::args::{Cli, RunArgs};
use crate::context::{account_directory, data_dir, load_config, runtime};

/// When each scheduled job last ran.
#[derive(Default)]
struct Schedule {
    sync: Option<Instant>,
    cost: Option<Instant>,
    /// The local day compaction last ran.
    compacted_day: Option<i64>,
    /// The local day posture was last scanned.
    posture_day: Option<i64>,
    /// The local day the diagrams were last drawn.
    diagram_day: Option<i64>,
    report_checked: Option<Instant>,
}

fn due(last: Option<Instant>, minutes: u64) -> bool {
    minutes > 0 && last.is_none_or(|t| t.elapsed() >= Duration::from_secs(minutes * 60))
}

pub fn run(cli: &Cli, args: &RunArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    let mut sources = config.run.sources.clone();
    sources.extend(args.sources.iter().cloned());
    let poll = Duration::from_secs(args.poll_secs.unwrap_or(config.run.poll_secs).max(1));
    let server = (!args.no_server).then_some((args.serve.bind.as_deref(), args.serve.token.as_deref()));
    service(cli, &config, &data, &sources, poll, server, &mut || Ok(()))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the service until SIGTERM / Ctrl-C: the dashboard (when `server` gives its bind and
/// token overrides) and the work loop, which calls `before_round` first in every round (the
/// demo's new events).
pub(crate) fn service(
    cli: &Cli,
    config: &Config,
    data: &DataDir,
    sources: &[String],
    poll: Duration,
    server: Option<(Option<&str>, Option<&str>)>,
    before_round: &mut dyn FnMut() -> Result<()>,
) -> Result<()> {
    crate::cmd_query::settle(data)?;
    drop(data.open_store().context("opening the state database")?);
    let metrics = Arc::new(Metrics::default());
    let stop = Arc::new(AtomicBool::new(false));
    let rt = runtime()?;

    // The dashboard, and the signal that stops everything.
    let (stopped_tx, stopped_rx) = tokio::sync::watch::channel(false);
    let server = match server {
        None => {
            println!("running");
            None
        }
        Some((bind, token)) => {
            let options = crate::cmd_serve::options(config, data, bind, token)?;
            let listener = rt.block_on(parapet_server::bind(&options))?;
            let addr = listener.local_addr().context("the listening address")?;
            println!("listening on http://{addr}/");
            if !cli.quiet {
                eprintln!(
                    "parapet run: dashboard on http://{addr}/, {} source(s) every {} s (SIGTERM or Ctrl-C to stop)",
                    sources.len(),
                    poll.as_secs()
                );
            }
            let app = App::new(options, metrics.clone());
            let mut rx = stopped_rx.clone();
            Some(rt.spawn(async move {
                let shutdown = async move {
                    let _ = rx.wait_for(|s| *s).await;
                };
                parapet_server::serve(listener, app, shutdown).await
            }))
        }
    };
    {
        let stop = stop.clone();
        let tx = stopped_tx.clone();
        rt.spawn(async move {
            crate::cmd_serve::stop_signal().await;
            tracing::info!("stopping: finishing the work in hand");
            stop.store(true, Ordering::SeqCst);
            let _ = tx.send(true);
        });
    }

    // The worker loop runs here; the dashboard and the signal on the runtime's threads.
    let result = work(
        cli,
        &rt,
        config,
        data,
        sources,
        poll,
        &metrics,
        &stop,
        before_round,
    );
    // The loop ends only when told to stop, or on an error: stop the dashboard either way.
    let _ = stopped_tx.send(true);
    if let Some(s) = server {
        rt.block_on(s).context("the dashboard task")??;
    }
    result?;
    if !cli.quiet {
        eprintln!("parapet run: stopped");
    }
    Ok(())
}

/// Sleeps up to `d`, waking early when stopped.
fn nap(d: Duration, stop: &AtomicBool) {
    let end = Instant::now() + d;
    while Instant::now() < end && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100).min(end.saturating_duration_since(Instant::now())));
    }
}

#[allow(clippy::too_many_arguments)]
fn work(
    cli: &Cli,
    rt: &tokio::runtime::Runtime,
    config: &Config,
    data: &DataDir,
    sources: &[String],
    poll: Duration,
    metrics: &Metrics,
    stop: &Arc<AtomicBool>,
    before_round: &mut dyn FnMut() -> Result<()>,
) -> Result<()> {
    let client = rt.block_on(async { crate::cmd_notify::http(config) })?;
    let mut schedule = Schedule::default();
    loop {
        let round_started = Instant::now();
        if let Err(e) = before_round() {
            tracing::warn!(error = %format!("{e:#}"), "preparing the round failed");
        }
        // 1. The registry, when due (before ingest, so new accounts get their names).
        if due(schedule.sync, config.run.sync_minutes) {
            schedule.sync = Some(Instant::now());
            match crate::cmd_accounts::sync(config, data, config.run.sync_from.as_deref()) {
                Ok(r) => metrics.set("parapet_registry_accounts", "", r.accounts as f64),
                Err(e) => {
                    metrics.add("parapet_errors_total", "job=\"sync\"", 1.0);
                    tracing::warn!(error = %format!("{e:#}"), "registry sync failed; the last registry stays");
                }
            }
        }
        let accounts = account_directory(data, config.accounts.csv.as_deref())?;
        // 2. Ingest (with detection).
        if !sources.is_empty() && !stop.load(Ordering::SeqCst) {
            let mut options = crate::cmd_ingest::options(config, None, false);
            options.detector = crate::cmd_detect::ingest_detector(cli, config, &accounts)?;
            // A stop ends the round at the next object: what was read commits, the rest waits.
            options.cancel = Some(stop.clone());
            match crate::cmd_ingest::run_ingest(cli, data, config, sources, &accounts, &options) {
                Ok(reports) => {
                    for r in &reports {
                        let source = r.source.replace('"', "'");
                        metrics.add(
                            "parapet_ingested_records_total",
                            &format!("source=\"{source}\""),
                            r.records as f64,
                        );
                        metrics.add(
                            "parapet_ingested_objects_total",
                            &format!("source=\"{source}\""),
                            r.objects_ingested as f64,
                        );
                        metrics.add(
                            "parapet_quarantined_objects_total",
                            &format!("source=\"{source}\""),
                            r.objects_quarantined as f64,
                        );
                        metrics.add("parapet_new_findings_total", "", r.detection.new_findings as f64);
                        if !cli.quiet && r.objects_ingested > 0 {
                            eprintln!(
                                "ingested {} object(s), {} record(s) from {}",
                                r.objects_ingested, r.records, r.source
                            );
                        }
                    }
                    metrics.set("parapet_last_ingest_round_ms", "", now_ms() as f64);
                }
                Err(e) => {
                    metrics.add("parapet_errors_total", "job=\"ingest\"", 1.0);
                    tracing::warn!(error = %format!("{e:#}"), "ingest round failed; retrying next round");
                }
            }
        }
        // 3. Bills, when due.
        if config.cost.source.is_some()
            && due(schedule.cost, config.run.cost_minutes)
            && !stop.load(Ordering::SeqCst)
        {
            schedule.cost = Some(Instant::now());
            let source = config.cost.source.clone().unwrap_or_default();
            if let Err(e) = crate::cmd_cost::load(cli, config, data, &source, false, true) {
                metrics.add("parapet_errors_total", "job=\"cost\"", 1.0);
                tracing::warn!(error = %format!("{e:#}"), "loading bills failed");
            }
        }
        // 4. Daily jobs after their local hour: posture (before notifications, so its findings
        // are told this round), then compaction.
        let zone = &config.notify.timezone;
        let passed_today = |at: parapet_model::clock::ClockTime| -> Option<i64> {
            let now = now_ms();
            let fired = zone.next_at(now - 24 * 3_600_000, at);
            (fired <= now && zone.local_day(fired) == zone.local_day(now)).then(|| zone.local_day(now))
        };
        if let Some(today) = config.run.posture_at.and_then(passed_today) {
            if schedule.posture_day != Some(today) && !stop.load(Ordering::SeqCst) {
                schedule.posture_day = Some(today);
                match crate::cmd_posture::scan_lake(config, data) {
                    Ok(n) => metrics.set("parapet_posture_accounts_scanned", "", n as f64),
                    Err(e) => {
                        metrics.add("parapet_errors_total", "job=\"posture\"", 1.0);
                        tracing::warn!(error = %format!("{e:#}"), "the daily posture scan failed");
                    }
                }
            }
        }
        if let Some(today) = config.run.diagram_at.and_then(passed_today) {
            if schedule.diagram_day != Some(today) && !stop.load(Ordering::SeqCst) {
                schedule.diagram_day = Some(today);
                match crate::cmd_diagram::lake_items(data)
                    .and_then(|by| crate::cmd_diagram::save_all(config, data, &by, None))
                {
                    Ok(saved) => metrics.set("parapet_diagrams_drawn", "", saved.len() as f64),
                    Err(e) => {
                        metrics.add("parapet_errors_total", "job=\"diagram\"", 1.0);
                        tracing::warn!(error = %format!("{e:#}"), "drawing the diagrams failed");
                    }
                }
            }
        }
        if let Some(today) = config.run.compact_at.and_then(passed_today) {
            if schedule.compacted_day != Some(today) && !stop.load(Ordering::SeqCst) {
                schedule.compacted_day = Some(today);
                match compact(data, &CompactOptions::default(), &|_, _| {}) {
                    Ok(r) => metrics.add(
                        "parapet_compacted_partitions_total",
                        "",
                        r.partitions_compacted as f64,
                    ),
                    Err(e) => {
                        metrics.add("parapet_errors_total", "job=\"compact\"", 1.0);
                        tracing::warn!(error = %e, "compaction failed");
                    }
                }
            }
        }
        // 5. Notifications: queue, the daily report, send.
        notify(config, data, &accounts, rt, &client, metrics, &mut schedule)?;
        metrics.set("parapet_round_seconds", "", round_started.elapsed().as_secs_f64());
        if stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        // Between rounds the outbox keeps moving (retries fall due) while waiting.
        let next_round = Instant::now() + poll;
        while Instant::now() < next_round && !stop.load(Ordering::SeqCst) {
            nap(
                Duration::from_secs(1).min(next_round.saturating_duration_since(Instant::now())),
                stop,
            );
            notify(config, data, &accounts, rt, &client, metrics, &mut schedule)?;
        }
        if stop.load(Ordering::SeqCst) {
            // One last send of what is due.
            notify(config, data, &accounts, rt, &client, metrics, &mut schedule)?;
            return Ok(());
        }
    }
}

fn notify(
    config: &Config,
    data: &DataDir,
    accounts: &parapet_model::AccountDirectory,
    rt: &tokio::runtime::Runtime,
    client: &parapet_notify::Http,
    metrics: &Metrics,
    schedule: &mut Schedule,
) -> Result<()> {
    if config.notify.channels.is_empty() {
        return Ok(());
    }
    let mut store = data.open_store().context("opening the state database")?;
    crate::cmd_notify::queue_in(&mut store, config, accounts)?;
    if schedule
        .report_checked
        .is_none_or(|t| t.elapsed() >= Duration::from_secs(600))
    {
        schedule.report_checked = Some(Instant::now());
        if let Err(e) = crate::cmd_cost::queue_due_report(config, data, &mut store, now_ms()) {
            metrics.add("parapet_errors_total", "job=\"cost_report\"", 1.0);
            tracing::warn!(error = %format!("{e:#}"), "queueing the daily cost report failed");
        }
    }
    let r = rt
        .block_on(parapet_notify::deliver_due(
            &mut store,
            &config.notify,
            client,
            &now_ms,
        ))
        .context("sending notifications")?;
    metrics.add("parapet_notifications_sent_total", "", r.sent as f64);
    metrics.add("parapet_notifications_dead_total", "", r.dead as f64);
    metrics.set("parapet_outbox_pending", "", r.pending as f64);
    Ok(())
}
