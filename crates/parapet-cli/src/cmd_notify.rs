//! `parapet notify`: the outbox's commands, and the queueing step ingest and detect run.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use parapet_config::Config;
use parapet_ingest::{now_ms, DataDir};
use parapet_model::time::format_rfc3339_secs;
use parapet_model::{AccountDirectory, AccountId};
use parapet_notify::message::{render, Alert};
use parapet_notify::queue::queue_digests;
use parapet_notify::queue::{idempotency_key, QueueReport};
use parapet_notify::{deliver_due, queue_alerts, Http, Router};
use parapet_store::{OutboxRow, Store};

use crate::args::{Cli, NotifyArgs, NotifyCommand};
use crate::context::{account_directory, data_dir, load_config, runtime};

/// Queues what findings have to tell, when any channel is configured (ingest and detect call
/// this after writing findings).
pub fn queue(data: &DataDir, config: &Config, accounts: &AccountDirectory) -> Result<Option<QueueReport>> {
    if config.notify.channels.is_empty() {
        return Ok(None);
    }
    let mut store = data.open_store().context("opening the state database")?;
    queue_in(&mut store, config, accounts)
}

/// `queue` on an open state database.
pub(crate) fn queue_in(
    store: &mut Store,
    config: &Config,
    accounts: &AccountDirectory,
) -> Result<Option<QueueReport>> {
    if config.notify.channels.is_empty() {
        return Ok(None);
    }
    let r = queue_alerts(store, &config.notify, accounts, now_ms()).context("queueing notifications")?;
    Ok(Some(r))
}

pub(crate) fn http(config: &Config) -> Result<Http> {
    Http::new(Duration::from_secs(config.notify.timeout_secs())).context("setting up the HTTP client")
}

pub fn run(cli: &Cli, args: &NotifyArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    match &args.command {
        NotifyCommand::Send {
            until_empty,
            digests_now,
            follow,
            interval_ms,
            json,
        } => {
            let accounts = account_directory(&data, config.accounts.csv.as_deref())?;
            let mut store = data.open_store().context("opening the state database")?;
            let rt = runtime()?;
            let client = rt.block_on(async { http(&config) })?;
            let mut queued = QueueReport::default();
            let mut total = parapet_notify::DeliveryReport::default();
            let mut first = true;
            // The daily cost report is looked for at most every ten minutes.
            let mut report_checked: Option<std::time::Instant> = None;
            loop {
                if let Some(q) = queue_in(&mut store, &config, &accounts)? {
                    queued.add(&q);
                }
                if report_checked.is_none_or(|t| t.elapsed() >= Duration::from_secs(600)) {
                    report_checked = Some(std::time::Instant::now());
                    queued.messages +=
                        crate::cmd_cost::queue_due_report(&config, &data, &mut store, now_ms())
                            .context("queueing the daily cost report")?;
                }
                if first && *digests_now {
                    let q = queue_digests(&mut store, &config.notify, &accounts, now_ms(), true)
                        .context("queueing the digests")?;
                    queued.add(&q);
                }
                first = false;
                let r = rt
                    .block_on(deliver_due(&mut store, &config.notify, &client, &now_ms))
                    .context("sending notifications")?;
                total.sent += r.sent;
                total.retrying += r.retrying;
                total.dead += r.dead;
                total.pending = r.pending;
                total.held = r.held;
                if *follow && *json && (r.sent + r.retrying + r.dead) > 0 {
                    println!("{}", serde_json::json!({"delivery": r}));
                }
                if !*follow && (!*until_empty || r.pending == r.held) {
                    break;
                }
                let next = store.outbox_next_due()?.unwrap_or(i64::MAX);
                let mut wait = (next.saturating_sub(now_ms())).clamp(0, 60_000) as u64;
                if *follow {
                    wait = wait.min(*interval_ms);
                }
                std::thread::sleep(Duration::from_millis(wait.max(10)));
            }
            if *json {
                println!("{}", serde_json::json!({"queued": queued, "delivery": total}));
            } else if !cli.quiet {
                eprintln!(
                    "queued {} message(s) for {} finding(s) ({} throttled, {} into digests, {} digest(s)); sent {}, retrying {}, dead {}, pending {} ({} held for quiet hours)",
                    queued.messages,
                    queued.findings,
                    queued.throttled,
                    queued.digested,
                    queued.digests,
                    total.sent,
                    total.retrying,
                    total.dead,
                    total.pending,
                    total.held
                );
            }
            Ok(if total.dead > 0 {
                ExitCode::from(crate::EXIT_PARTIAL)
            } else {
                ExitCode::SUCCESS
            })
        }
        NotifyCommand::List { status, limit, json } => {
            if let Some(s) = status {
                if !["pending", "sent", "dead"].contains(&s.as_str()) {
                    bail!("--status {s}: expected pending, sent or dead");
                }
            }
            let store = data.open_store().context("opening the state database")?;
            let rows = store.outbox(status.as_deref(), *limit)?;
            if *json {
                let out: Vec<serde_json::Value> = rows.iter().map(row_json).collect();
                println!("{}", serde_json::to_string_pretty(&out)?);
                return Ok(ExitCode::SUCCESS);
            }
            for r in &rows {
                println!(
                    "{:>6}  {:<8} {:<20} tries {:<2} next {}  {}{}",
                    r.id,
                    r.status,
                    r.channel,
                    r.attempts,
                    format_rfc3339_secs(r.next_attempt_ms),
                    r.idempotency_key,
                    r.last_error
                        .as_deref()
                        .map(|e| format!("  ({e})"))
                        .unwrap_or_default()
                );
            }
            let counts = store.outbox_counts()?;
            eprintln!(
                "{}",
                counts
                    .iter()
                    .map(|(s, n)| format!("{n} {s}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for (channel, period, due, n) in store.digest_waiting()? {
                eprintln!(
                    "{n} finding(s) waiting for the {period} digest to {channel} at {}",
                    format_rfc3339_secs(due)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        NotifyCommand::Retry { id, all } => {
            if id.is_none() && !*all {
                bail!("name a message id, or --all for every dead message");
            }
            let mut store = data.open_store().context("opening the state database")?;
            let n = store.outbox_retry(*id, now_ms())?;
            if !cli.quiet {
                eprintln!("{n} dead message(s) queued again; `parapet notify send` sends them");
            }
            Ok(ExitCode::SUCCESS)
        }
        NotifyCommand::Test { channel } => {
            let Some(c) = config.notify.channel(channel) else {
                bail!("no channel is named {channel:?} in [notify]");
            };
            let text = "parapet test message: if you can read this, the channel works.";
            let payload = parapet_notify::message::test_message(c.kind, text);
            let now = now_ms();
            let row = OutboxRow {
                id: 0,
                idempotency_key: format!("test.{now}.{channel}"),
                finding_id: None,
                channel: channel.clone(),
                payload,
                status: "pending".into(),
                attempts: 0,
                next_attempt_ms: now,
                last_error: None,
                created_ms: now,
                sent_ms: None,
            };
            let rt = runtime()?;
            let outcome = rt.block_on(async {
                let client = http(&config)?;
                Ok::<_, anyhow::Error>(parapet_notify::deliver::send(&client, c, &row, now).await)
            })?;
            match outcome {
                parapet_notify::deliver::Outcome::Sent => {
                    eprintln!("channel {channel}: delivered");
                    Ok(ExitCode::SUCCESS)
                }
                parapet_notify::deliver::Outcome::Retry { error, .. }
                | parapet_notify::deliver::Outcome::Dead { error } => {
                    eprintln!("channel {channel}: not delivered: {error}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        NotifyCommand::Preview { finding, channel } => {
            let store = data.open_store().context("opening the state database")?;
            let Some(f) = store.finding_by_id(*finding)? else {
                bail!("no finding {finding}");
            };
            let accounts = account_directory(&data, config.accounts.csv.as_deref())?;
            let account = f
                .account_id
                .as_deref()
                .and_then(AccountId::parse)
                .and_then(|a| accounts.get(&a));
            let targets = match channel {
                Some(c) => vec![parapet_notify::route::Target {
                    channel: c.clone(),
                    digest: None,
                }],
                None => Router::new(&config.notify).targets(&f, account),
            };
            if targets.is_empty() {
                eprintln!("no route sends finding {finding} anywhere");
            }
            let who = parapet_notify::queue::who(&store, f.id)?;
            for t in targets {
                let name = t.channel;
                let Some(c) = config.notify.channel(&name) else {
                    bail!("no channel is named {name:?} in [notify]");
                };
                if let Some(d) = t.digest {
                    println!("# {name} ({:?}): in the {} digest", c.kind, d.as_str());
                    continue;
                }
                let key = idempotency_key(f.id, 1, &name);
                let alert = Alert {
                    finding: &f,
                    account,
                    seq: 1,
                    who: who.clone(),
                    idempotency_key: &key,
                };
                println!("# {name} ({:?})", c.kind);
                let body = render(c, &alert);
                let pretty = serde_json::from_str::<serde_json::Value>(&body)
                    .and_then(|v| serde_json::to_string_pretty(&v))
                    .unwrap_or(body);
                println!("{pretty}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn row_json(r: &OutboxRow) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "next_attempt".into(),
            format_rfc3339_secs(r.next_attempt_ms).into(),
        );
        // The payload is what was sent; show it as JSON when it is.
        if let Ok(p) = serde_json::from_str::<serde_json::Value>(&r.payload) {
            o.insert("payload".into(), p);
        }
    }
    v
}
