//! `parapet cost`: ingest (bills into the lake, then anomalies), show (rollups, movers),
//! report (the daily report, printed or queued for the channels), anomalies, loads.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use parapet_config::Config;
use parapet_cost::{
    daily_report, find_anomalies, main_currency, render_text, report_start, rollup, top_movers, DailyReport,
    DailySpend, Dim, Names, Period, ScopeReport,
};
use parapet_ingest::{ingest_cost, now_ms, CostIngestOptions, DataDir};
use parapet_lake::cost::{daily_spend, spend_span, SpendQuery};
use parapet_model::cost::{CostMeasure, Day};
use parapet_model::AccountDirectory;
use parapet_notify::{render_notice, Notice};
use parapet_store::{OutboxMessage, Store};

use crate::args::{CostArgs, CostCommand, DayRange, Format};
use crate::cmd_accounts::print_table;
use crate::context::{account_directory, data_dir, load_config, runtime, show_progress};
use crate::progress::CountBar;
use crate::EXIT_PARTIAL;

pub fn run(cli: &crate::args::Cli, args: &CostArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    match &args.command {
        CostCommand::Ingest {
            from,
            force,
            no_anomalies,
            json,
        } => ingest(
            cli,
            &config,
            &data,
            from.as_deref(),
            *force,
            !*no_anomalies,
            *json,
        ),
        CostCommand::Show {
            by,
            period,
            range,
            measure,
            movers,
            format,
        } => show(
            &config,
            &data,
            by,
            period,
            range,
            measure.as_deref(),
            *movers,
            *format,
        ),
        CostCommand::Report {
            date,
            team,
            send,
            measure,
            format,
            json,
        } => report(
            cli,
            &config,
            &data,
            date.as_deref(),
            team.as_deref(),
            *send,
            measure.as_deref(),
            if *json { Format::Json } else { *format },
        ),
        CostCommand::Anomalies { range, save, json } => anomalies(cli, &config, &data, range, *save, *json),
        CostCommand::Loads { json } => loads(&data, *json),
    }
}

fn measure_of(config: &Config, arg: Option<&str>) -> Result<CostMeasure> {
    match arg {
        None => Ok(config.cost.measure),
        Some(m) => CostMeasure::parse(m).with_context(|| {
            format!("--measure {m}: expected unblended, amortized, net-unblended or net-amortized")
        }),
    }
}

fn day_arg(flag: &str, v: &str) -> Result<Day> {
    Day::parse(v).with_context(|| format!("{flag} {v}: expected a day YYYY-MM-DD"))
}

/// The first and last day the lake has bills for.
fn span(data: &DataDir) -> Result<Option<(Day, Day)>> {
    crate::cmd_query::settle(data)?;
    let rt = runtime()?;
    let span = rt.block_on(async {
        let session = data.lake_session().await?;
        spend_span(&session).await
    })?;
    Ok(span.map(|(a, z)| (Day(a), Day(z))))
}

/// Daily spend from the lake, summed per day, account, service and category (and region and
/// tags when asked).
fn spend(
    data: &DataDir,
    measure: CostMeasure,
    from: Day,
    to: Day,
    by_region: bool,
    by_tags: bool,
) -> Result<Vec<DailySpend>> {
    crate::cmd_query::settle(data)?;
    let rt = runtime()?;
    let query = SpendQuery {
        column: measure.column(),
        from_day: from.0,
        to_day: to.0,
        by_region,
        by_tags,
    };
    let rows = rt
        .block_on(async {
            let session = data.lake_session().await?;
            daily_spend(&session, &query).await
        })
        .context("summing the lake's cost table")?;
    Ok(rows)
}

/// The days of `range`: `--until` else the last day billed, `--since` else `default_from(to)`.
fn days(data: &DataDir, range: &DayRange, default_from: impl Fn(Day) -> Day) -> Result<(Day, Day)> {
    let (_, last) = span(data)?.ok_or_else(no_bills)?;
    let to = match &range.until {
        Some(u) => day_arg("--until", u)?,
        None => last,
    };
    let from = match &range.since {
        Some(s) => day_arg("--since", s)?,
        None => default_from(to),
    };
    if from > to {
        bail!("--since {from} is after --until {to}");
    }
    Ok((from, to))
}

fn no_bills() -> anyhow::Error {
    anyhow::anyhow!(
        "the lake has no bills yet: load some with `parapet cost ingest --from FOLDER|s3://bucket/prefix`"
    )
}

fn ingest(
    cli: &crate::args::Cli,
    config: &Config,
    data: &DataDir,
    from: Option<&str>,
    force: bool,
    look_for_anomalies: bool,
    json: bool,
) -> Result<ExitCode> {
    let source = from
        .map(str::to_string)
        .or_else(|| config.cost.source.clone())
        .context("where are the bills? pass --from FOLDER|s3://bucket/prefix or set `cost.source`")?;
    let (report, found) = load(cli, config, data, &source, force, look_for_anomalies)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"ingest": report, "anomalies": found}))?
        );
    } else {
        let rows: Vec<Vec<String>> = report
            .periods
            .iter()
            .map(|p| {
                vec![
                    p.report.clone(),
                    p.billing_period.clone(),
                    p.status.to_string(),
                    p.format.clone().unwrap_or_default(),
                    p.lines.to_string(),
                    p.rejected.to_string(),
                    p.unblended
                        .as_deref()
                        .and_then(|u| parapet_model::cost::Money::parse(u).ok())
                        .map(|m| m.display())
                        .unwrap_or_default(),
                ]
            })
            .collect();
        print_table(
            &[
                "REPORT",
                "PERIOD",
                "STATUS",
                "FORMAT",
                "LINES",
                "REJECTED",
                "UNBLENDED",
            ],
            &rows,
        );
        for p in &report.periods {
            if let Some(e) = &p.error {
                eprintln!("error: {e}");
            }
            for r in &p.rejects {
                eprintln!("rejected: {}: line {}: {}", r.file, r.line, r.reason);
            }
        }
        for problem in &report.problems {
            eprintln!("warning: {problem}");
        }
        if !cli.quiet {
            eprintln!(
                "{} period(s) loaded, {} unchanged, {} failed; {} anomal{} found in the last 7 days of bills",
                report.loaded(),
                report.periods.iter().filter(|p| p.status == "unchanged").count(),
                report.periods.iter().filter(|p| p.status == "failed").count(),
                found.map_or(0, |f| f),
                if found == Some(1) { "y" } else { "ies" }
            );
        }
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

/// Loads the bills of `source`, then (when a period was loaded and `look_for_anomalies`)
/// records the anomalies of the last 7 days of bills as findings. Returns the load's report
/// and how many anomalies were found.
pub(crate) fn load(
    cli: &crate::args::Cli,
    config: &Config,
    data: &DataDir,
    source: &str,
    force: bool,
    look_for_anomalies: bool,
) -> Result<(parapet_ingest::CostIngestReport, Option<usize>)> {
    let store = crate::cmd_ingest::open_store(config, source)?;
    let bar = CountBar::new(show_progress(cli), "report periods");
    let options = CostIngestOptions {
        force,
        max_object_bytes: (config.ingest.max_object_mb << 20).max(2 << 30),
    };
    let report = ingest_cost(data, store.as_ref(), &options, &|done, total| {
        bar.set(done as u64, total as u64)
    })
    .with_context(|| format!("loading bills from {source}"))?;
    bar.finish();
    let mut found = None;
    if look_for_anomalies && report.loaded() > 0 {
        if let Some((_, last)) = span(data)? {
            let directory = account_directory(data, config.accounts.csv.as_deref())?;
            found = Some(
                judge(config, data, &directory, last.plus(-6), last, true)?
                    .0
                    .len(),
            );
        }
    }
    Ok((report, found))
}

/// The organisation's daily report of the last day billed, as text (for the demo).
pub(crate) fn latest_report_text(config: &Config, data: &DataDir) -> Result<Option<String>> {
    Ok(build_report(config, data, None, config.cost.measure)?.map(|r| render_text(&r, &r.organization)))
}

/// Judges `[from, to]` against the baseline window before it; with `save`, records the
/// anomalies as findings and queues their notifications.
fn judge(
    config: &Config,
    data: &DataDir,
    directory: &AccountDirectory,
    from: Day,
    to: Day,
    save: bool,
) -> Result<(Vec<parapet_cost::Anomaly>, Names)> {
    let a = &config.cost.anomaly;
    let window_start = from.plus(-i64::from(a.window_days));
    let rows = spend(data, config.cost.measure, window_start, to, false, false)?;
    let found = find_anomalies(&rows, from, to, a);
    let names = Names::new(directory, &rows);
    if save {
        let events = parapet_cost::findings::anomaly_findings(&found, &names);
        let mut store = data.open_store().context("opening the state database")?;
        store.record_detections(|w| w.add_finding_events(&events, now_ms()))?;
        drop(store);
        crate::cmd_notify::queue(data, config, directory)?;
    }
    Ok((found, names))
}

#[allow(clippy::too_many_arguments)]
fn show(
    config: &Config,
    data: &DataDir,
    by: &[String],
    period: &str,
    range: &DayRange,
    measure: Option<&str>,
    movers: Option<usize>,
    format: Format,
) -> Result<ExitCode> {
    let measure = measure_of(config, measure)?;
    let period = Period::parse(period)
        .with_context(|| format!("--period {period}: expected daily, weekly or monthly"))?;
    let dims: Vec<Dim> = by
        .iter()
        .map(|d| {
            Dim::parse(d).with_context(|| {
                format!("--by {d}: expected account, service, team, ou, category, region or tag:KEY")
            })
        })
        .collect::<Result<_>>()?;
    let (from, to) = days(data, range, |to| match period {
        Period::Daily => to.plus(-13),
        Period::Weekly => to.plus(-7 * 7).week_start(),
        Period::Monthly => to.month_start().plus(-1).month_start().plus(-1).month_start(),
    })?;
    let by_region = dims.contains(&Dim::Region);
    let by_tags = dims.iter().any(|d| matches!(d, Dim::Tag(_)));
    // One period more, for the first period's change.
    let rows = spend(
        data,
        measure,
        period.previous(period.start(from)),
        to,
        by_region,
        by_tags,
    )?;
    let directory = account_directory(data, config.accounts.csv.as_deref())?;
    let names = Names::new(&directory, &rows);
    let mut out = rollup(&rows, &dims, period, &names, from, to);
    if let Some(n) = movers {
        out = top_movers(&out, n);
    }
    let key_names: Vec<String> = out
        .first()
        .map(|r| r.keys.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    match format {
        Format::Json => {
            let list: Vec<serde_json::Value> = out
                .iter()
                .map(|r| {
                    let mut o = serde_json::json!({
                        "period": r.period,
                        "currency": r.currency,
                        "amount": r.amount.to_string(),
                        "share_pct": (r.share_pct * 100.0).round() / 100.0,
                        "previous": r.previous.to_string(),
                        "change": r.change.to_string(),
                        "change_pct": r.change_pct.map(|p| (p * 100.0).round() / 100.0),
                        "measure": measure.as_str(),
                    });
                    for (k, v) in &r.keys {
                        o[k] = serde_json::Value::String(v.clone());
                    }
                    o
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        Format::Csv => {
            let mut w: Vec<Vec<String>> = Vec::new();
            let mut header: Vec<String> = vec!["period".into()];
            header.extend(key_names.iter().cloned());
            header.extend(
                [
                    "currency",
                    "amount",
                    "share_pct",
                    "previous",
                    "change",
                    "change_pct",
                ]
                .iter()
                .map(|s| s.to_string()),
            );
            w.push(header);
            for r in &out {
                let mut row = vec![r.period.clone()];
                row.extend(r.keys.iter().map(|(_, v)| v.clone()));
                row.extend([
                    r.currency.clone(),
                    r.amount.to_string(),
                    format!("{:.2}", r.share_pct),
                    r.previous.to_string(),
                    r.change.to_string(),
                    r.change_pct.map(|p| format!("{p:.2}")).unwrap_or_default(),
                ]);
                w.push(row);
            }
            print!("{}", csv_text(&w));
        }
        Format::Table => {
            let mut header: Vec<String> = vec!["PERIOD".into()];
            header.extend(key_names.iter().map(|k| k.to_uppercase()));
            header.extend(
                ["AMOUNT", "SHARE", "CHANGE", "CHANGE%"]
                    .iter()
                    .map(|s| s.to_string()),
            );
            let rows: Vec<Vec<String>> = out
                .iter()
                .map(|r| {
                    let mut row = vec![r.period.clone()];
                    row.extend(r.keys.iter().map(|(_, v)| v.clone()));
                    row.extend([
                        format!("{} {}", r.amount.display(), r.currency),
                        format!("{:.1}%", r.share_pct),
                        r.change.display(),
                        r.change_pct
                            .map(|p| format!("{p:+.1}%"))
                            .unwrap_or_else(|| "new".into()),
                    ]);
                    row
                })
                .collect();
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            print_table(&header, &rows);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// RFC 4180 text of rows.
fn csv_text(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// The report of `date` (default: the last day billed, at most yesterday in `notify.timezone`).
fn build_report(
    config: &Config,
    data: &DataDir,
    date: Option<Day>,
    measure: CostMeasure,
) -> Result<Option<DailyReport>> {
    let Some((_, last)) = span(data)? else {
        return Ok(None);
    };
    let date = match date {
        Some(d) => d,
        None => {
            let yesterday = Day(config.notify.timezone.local_day(now_ms()) - 1);
            last.min(yesterday)
        }
    };
    let rows = spend(data, measure, report_start(date), date, false, false)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let directory = account_directory(data, config.accounts.csv.as_deref())?;
    let names = Names::new(&directory, &rows);
    let currency = main_currency(&rows);
    Ok(Some(daily_report(&rows, date, &names, measure, &currency)))
}

#[allow(clippy::too_many_arguments)]
fn report(
    cli: &crate::args::Cli,
    config: &Config,
    data: &DataDir,
    date: Option<&str>,
    team: Option<&str>,
    send: bool,
    measure: Option<&str>,
    format: Format,
) -> Result<ExitCode> {
    let measure = measure_of(config, measure)?;
    let date = date.map(|d| day_arg("--date", d)).transpose()?;
    let report = build_report(config, data, date, measure)?.ok_or_else(no_bills)?;
    let scope = match team {
        Some(t) => report
            .teams
            .iter()
            .find(|s| s.id == t)
            .with_context(|| {
                let known: Vec<&str> = report.teams.iter().map(|s| s.id.as_str()).collect();
                format!(
                    "--team {t}: no such team in the bills of {}; teams: {}",
                    report.date,
                    known.join(", ")
                )
            })?
            .clone(),
        None => report.organization.clone(),
    };
    let mut queued = None;
    if send {
        let mut store = data.open_store().context("opening the state database")?;
        let q = queue_report(&mut store, config, &report, now_ms())?;
        let rt = runtime()?;
        let client = rt.block_on(async { crate::cmd_notify::http(config) })?;
        let d = rt
            .block_on(parapet_notify::deliver_due(
                &mut store,
                &config.notify,
                &client,
                &now_ms,
            ))
            .context("sending the reports")?;
        queued = Some((q, d));
    }
    if format == Format::Json {
        let mut v = serde_json::to_value(&report)?;
        if let Some((q, d)) = &queued {
            v["queued"] = serde_json::json!(q);
            v["delivery"] = serde_json::json!(d);
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else if format == Format::Csv {
        let mut rows = vec![[
            "date",
            "scope",
            "id",
            "name",
            "team",
            "ou",
            "currency",
            "day",
            "day_before",
            "change_pct",
            "month_to_date",
            "last_month_same_period",
            "forecast_month_end",
        ]
        .map(String::from)
        .to_vec()];
        let in_scope = |s: &&ScopeReport| team.is_none() || s.id == scope.id || s.team == scope.id;
        let scopes = std::iter::once(&report.organization)
            .filter(|_| team.is_none())
            .chain(report.teams.iter().filter(in_scope))
            .chain(report.accounts.iter().filter(in_scope));
        for s in scopes {
            let f = &s.figures;
            rows.push(vec![
                report.date.to_string(),
                s.scope.to_string(),
                s.id.clone(),
                s.name.clone(),
                s.team.clone(),
                s.ou.clone(),
                report.currency.clone(),
                f.day.to_string(),
                f.day_before.to_string(),
                f.change_pct.map(|p| format!("{p:.2}")).unwrap_or_default(),
                f.month_to_date.to_string(),
                f.last_month_same_period.to_string(),
                f.forecast_month_end.to_string(),
            ]);
        }
        print!("{}", csv_text(&rows));
    } else {
        print!("{}", render_text(&report, &scope));
        if team.is_none() && !report.teams.is_empty() {
            println!();
            let rows: Vec<Vec<String>> = report
                .teams
                .iter()
                .map(|t| {
                    vec![
                        t.name.clone(),
                        t.accounts.unwrap_or(0).to_string(),
                        t.figures.day.display(),
                        t.figures.month_to_date.display(),
                        t.figures.forecast_month_end.display(),
                    ]
                })
                .collect();
            print_table(&["TEAM", "ACCOUNTS", "DAY", "MONTH TO DATE", "FORECAST"], &rows);
        }
        for (c, m) in &report.other_currencies {
            eprintln!("note: {m} {c} in other currencies is not in these figures");
        }
        if let Some((q, d)) = &queued {
            if !cli.quiet {
                eprintln!(
                    "queued {} report message(s) ({} team(s) without a configured channel); sent {}, retrying {}, dead {}",
                    q.queued, q.teams_without_channel, d.sent, d.retrying, d.dead
                );
            }
        }
    }
    Ok(match &queued {
        Some((_, d)) if d.dead > 0 => ExitCode::from(EXIT_PARTIAL),
        _ => ExitCode::SUCCESS,
    })
}

#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ReportQueued {
    pub queued: u64,
    pub already: u64,
    pub teams_without_channel: u64,
}

fn scope_title(report: &DailyReport, s: &ScopeReport) -> String {
    let f = &s.figures;
    let change = f.change_pct.map(|p| format!(" ({p:+.1}%)")).unwrap_or_default();
    format!(
        "Cost of {} on {}: {} {}{change}; month to date {}, forecast {}",
        s.name,
        report.date,
        f.day.display(),
        report.currency,
        f.month_to_date.display(),
        f.forecast_month_end.display()
    )
}

/// Queues the organisation's report for `cost.report.channels` and each team's report for
/// the team's channel, keyed by day, scope and channel (so a report goes out once).
pub(crate) fn queue_report(
    store: &mut Store,
    config: &Config,
    report: &DailyReport,
    now: i64,
) -> Result<ReportQueued> {
    let mut out = ReportQueued::default();
    let mut messages = Vec::new();
    let mut add = |scope: &ScopeReport, channel_name: &str, key: String| {
        let Some(channel) = config.notify.channel(channel_name) else {
            return false;
        };
        let title = scope_title(report, scope);
        let text = render_text(report, scope);
        let accounts: Vec<&ScopeReport> = report
            .accounts
            .iter()
            .filter(|a| scope.scope == "organization" || a.team == scope.id)
            .collect();
        let data = serde_json::json!({
            "date": report.date,
            "measure": report.measure,
            "currency": report.currency,
            "scope": scope,
            "accounts": accounts,
        });
        let payload = render_notice(
            channel,
            &Notice {
                kind: "cost_report",
                title: &title,
                text: &text,
                data: &data,
                idempotency_key: &key,
            },
        );
        messages.push(OutboxMessage {
            idempotency_key: key,
            finding_id: None,
            channel: channel_name.to_string(),
            payload,
            not_before_ms: None,
        });
        true
    };
    for c in &config.cost.report.channels {
        add(&report.organization, c, format!("cost.{}.org.{c}", report.date));
    }
    if config.cost.report.teams {
        for t in &report.teams {
            if t.channel.is_empty()
                || !add(
                    t,
                    &t.channel,
                    format!("cost.{}.team.{}.{}", report.date, t.id, t.channel),
                )
            {
                out.teams_without_channel += 1;
            }
        }
    }
    let total = messages.len() as u64;
    out.queued = store.enqueue_messages(&messages, now)?;
    out.already = total - out.queued;
    Ok(out)
}

/// For `notify send`: once the local time has passed `cost.report.at`, queue yesterday's
/// report if it has not been queued and yesterday's bill is in the lake. Returns the messages
/// queued.
pub(crate) fn queue_due_report(config: &Config, data: &DataDir, store: &mut Store, now: i64) -> Result<u64> {
    let Some(at) = config.cost.report.at else {
        return Ok(0);
    };
    if config.cost.report.channels.is_empty() && !config.cost.report.teams {
        return Ok(0);
    }
    let zone = &config.notify.timezone;
    // The last time the clock read `at` (today's, or yesterday's when not yet reached today).
    let fired = zone.next_at(now - 24 * 3_600_000, at);
    let fired = if fired > now {
        zone.next_at(now - 48 * 3_600_000, at)
    } else {
        fired
    };
    let date = Day(zone.local_day(fired) - 1);
    if store.outbox_has_key_prefix(&format!("cost.{date}."))? {
        return Ok(0);
    }
    let Some((_, last)) = span(data)? else {
        return Ok(0);
    };
    if last < date {
        tracing::info!(%date, last = %last, "the daily cost report waits for the day's bill");
        return Ok(0);
    }
    let Some(report) = build_report(config, data, Some(date), config.cost.measure)? else {
        return Ok(0);
    };
    Ok(queue_report(store, config, &report, now)?.queued)
}

fn anomalies(
    cli: &crate::args::Cli,
    config: &Config,
    data: &DataDir,
    range: &DayRange,
    save: bool,
    json: bool,
) -> Result<ExitCode> {
    let (from, to) = days(data, range, |to| to.plus(-6))?;
    let directory = account_directory(data, config.accounts.csv.as_deref())?;
    let (found, names) = judge(config, data, &directory, from, to, save)?;
    if json {
        let list: Vec<serde_json::Value> = found
            .iter()
            .map(|x| {
                let label = names.get(&x.account_id);
                let mut v = serde_json::to_value(x).unwrap_or_default();
                v["account_name"] = serde_json::Value::String(label.name);
                v["team"] = serde_json::Value::String(label.team);
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        let rows: Vec<Vec<String>> = found
            .iter()
            .map(|x| {
                let label = names.get(&x.account_id);
                vec![
                    x.day.to_string(),
                    format!("{} ({})", label.name, x.account_id),
                    label.team,
                    x.service.clone(),
                    x.amount.display(),
                    x.median.display(),
                    format!("+{}", x.increase.display()),
                    x.severity.as_str().to_string(),
                ]
            })
            .collect();
        print_table(
            &[
                "DAY", "ACCOUNT", "TEAM", "SERVICE", "SPEND", "USUAL", "INCREASE", "SEVERITY",
            ],
            &rows,
        );
        if !cli.quiet {
            eprintln!(
                "{} anomal{} from {from} to {to} ({}){}",
                found.len(),
                if found.len() == 1 { "y" } else { "ies" },
                config.cost.measure.as_str(),
                if save { "; recorded as findings" } else { "" }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn loads(data: &DataDir, json: bool) -> Result<ExitCode> {
    let store = data.open_store().context("opening the state database")?;
    let loads = store.cost_loads()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&loads)?);
    } else {
        let rows: Vec<Vec<String>> = loads
            .iter()
            .map(|l| {
                vec![
                    l.report.clone(),
                    l.billing_period.clone(),
                    l.format.clone(),
                    l.version.clone(),
                    l.lines.to_string(),
                    l.rejected.to_string(),
                    parapet_model::cost::Money::parse(&l.unblended)
                        .map(|m| m.display())
                        .unwrap_or_else(|_| l.unblended.clone()),
                ]
            })
            .collect();
        print_table(
            &[
                "REPORT",
                "PERIOD",
                "FORMAT",
                "VERSION",
                "LINES",
                "REJECTED",
                "UNBLENDED",
            ],
            &rows,
        );
    }
    Ok(ExitCode::SUCCESS)
}
