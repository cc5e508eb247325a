//! `parapet rules`, `detect`, `hunt` and `findings`: the detection engine's commands.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use parapet_config::Config;
use parapet_detect::{Body, RuleError};
use parapet_ingest::{detect_lake, hunt_lake, now_ms, DataDir, Detector, DetectorSettings};
use parapet_model::time::format_rfc3339_secs;
use parapet_model::{AccountDirectory, AccountId, Severity};
use parapet_store::{FindingFilter, StatusChange, StoredFinding};

use crate::args::{
    Cli, DetectArgs, FindingsArgs, FindingsCommand, HuntArgs, RulesArgs, RulesCommand, StatusArgs,
};
use crate::context::{account_directory, data_dir, load_config, show_progress};

/// A time bound: a duration back from now (`7d`, `12h`, `30m`, `90s`, `2w`), a date, or an
/// RFC 3339 time.
pub fn parse_when(s: &str, now: i64) -> Result<i64> {
    let t = s.trim();
    if let Some(ms) = parapet_detect::sigma::parse_timespan(t) {
        return Ok(now - ms);
    }
    parapet_model::time::parse_date_or_rfc3339_ms(t).with_context(|| {
        format!("'{s}' is not a duration (7d, 12h, 30m) or a date (2026-11-01) or an RFC 3339 time")
    })
}

/// The detector of the config: built-in pack, `detect.rules`, thresholds, placeholders,
/// suppressions; account names from the registry.
pub fn detector(config: &Config, accounts: AccountDirectory) -> Result<(Detector, Vec<RuleError>)> {
    let d = &config.detect;
    let settings = DetectorSettings {
        builtin: d.builtin,
        rule_paths: &d.rules,
        disabled: &d.disabled,
        placeholders: &d.placeholders,
        thresholds: &d.thresholds,
        suppress: &d.suppress,
        geoip: d.geoip.as_deref(),
        managed: &d.managed,
    };
    Detector::load(&settings, accounts).context("loading detection rules")
}

/// The detector for ingest, when `detect.on_ingest` is on. Refused rules are reported once.
pub fn ingest_detector(
    cli: &Cli,
    config: &Config,
    accounts: &AccountDirectory,
) -> Result<Option<Arc<Detector>>> {
    if !config.detect.on_ingest {
        return Ok(None);
    }
    let (d, errors) = detector(config, accounts.clone())?;
    if !cli.quiet {
        report_rule_errors(&errors);
    }
    Ok(Some(Arc::new(d)))
}

fn report_rule_errors(errors: &[RuleError]) {
    for e in errors {
        if e.placeholder.is_some() {
            tracing::info!("inactive rule: {e}");
        } else {
            eprintln!("warning: rule not loaded: {e}");
        }
    }
}

pub fn run_rules(cli: &Cli, args: &RulesArgs) -> Result<ExitCode> {
    match &args.command {
        RulesCommand::List { json } => {
            let config = load_config(cli)?;
            let (d, errors) = detector(&config, AccountDirectory::default())?;
            let rules: Vec<serde_json::Value> = d
                .rules
                .rules
                .iter()
                .map(|r| {
                    let (kind, detail) = match &r.body {
                        Body::Events(_) => ("events", String::new()),
                        Body::Correlation(c) => (
                            "correlation",
                            format!("{} of {} within {} s, at least {}", c.kind.as_str(), c.rules.join(", "), c.timespan_ms / 1000, c.at_least),
                        ),
                    };
                    serde_json::json!({
                        "id": r.id, "title": r.title, "severity": r.severity.as_str(), "kind": kind,
                        "source": r.origin.to_string(), "controls": r.controls, "tags": r.tags, "correlation": detail,
                        "status": "active",
                    })
                })
                .chain(errors.iter().map(|e| {
                    serde_json::json!({
                        "id": null, "title": e.rule, "source": e.origin,
                        "status": if e.placeholder.is_some() { "inactive" } else { "refused" },
                        "reason": format!("{}: {}", e.construct, e.message),
                    })
                }))
                .collect();
            if *json {
                println!("{}", serde_json::to_string_pretty(&rules)?);
                return Ok(ExitCode::SUCCESS);
            }
            for r in &rules {
                let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
                match r["status"].as_str() {
                    Some("active") => println!(
                        "{:<44} {:<8} {:<11} {}{}",
                        s("id"),
                        s("severity"),
                        s("kind"),
                        s("title"),
                        r["controls"]
                            .as_array()
                            .filter(|c| !c.is_empty())
                            .map(|c| format!(
                                " [{}]",
                                c.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", ")
                            ))
                            .unwrap_or_default()
                    ),
                    _ => println!(
                        "{:<44} {:<8} {} — {}",
                        s("title"),
                        s("status"),
                        s("source"),
                        s("reason")
                    ),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Validate { paths, json } => {
            let mut files = Vec::new();
            for p in paths {
                files.extend(
                    parapet_ingest::read_rule_files(p).with_context(|| format!("reading {}", p.display()))?,
                );
            }
            if files.is_empty() {
                bail!(
                    "no .yml or .yaml files under {}",
                    paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let (set, errors) =
                parapet_detect::compile(false, &files, &Default::default(), &Default::default());
            if *json {
                let out = serde_json::json!({
                    "files": files.len(),
                    "loaded": set.rules.iter().map(|r| serde_json::json!({"id": r.id, "title": r.title, "source": r.origin.to_string()})).collect::<Vec<_>>(),
                    "refused": errors.iter().map(|e| serde_json::json!({
                        "source": e.origin, "rule": e.rule, "construct": e.construct, "reason": e.message, "placeholder": e.placeholder,
                    })).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                for e in &errors {
                    println!("{e}");
                }
                println!(
                    "{} file(s): {} rule(s) load, {} refused ({} only need placeholder values)",
                    files.len(),
                    set.rules.len(),
                    errors.len(),
                    errors.iter().filter(|e| e.placeholder.is_some()).count()
                );
            }
            Ok(if errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

pub fn run_detect(cli: &Cli, args: &DetectArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    let accounts = account_directory(&data, config.accounts.csv.as_deref())?;
    let (d, errors) = detector(&config, accounts.clone())?;
    if !cli.quiet {
        report_rule_errors(&errors);
    }
    let now = now_ms();
    let since = args.since.as_deref().map(|s| parse_when(s, now)).transpose()?;
    let until = args.until.as_deref().map(|s| parse_when(s, now)).transpose()?;
    let bar = crate::progress::CountBar::new(show_progress(cli), "files");
    let report = detect_lake(&data, &d, since, until, now, &|done, total| bar.set(done, total));
    bar.finish();
    let report = report.context("running detection over the lake")?;
    crate::cmd_notify::queue(&data, &config, &accounts)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if !cli.quiet {
        eprintln!(
            "scanned {} events with {} rules: {} matches, {} correlation matches; {} new findings, {} new events on findings, {} reopened",
            report.events,
            d.rules.rules.len(),
            report.matches,
            report.correlation_matches,
            report.new_findings,
            report.new_events,
            report.reopened
        );
    }
    Ok(if report.unreadable > 0 {
        ExitCode::from(crate::EXIT_PARTIAL)
    } else {
        ExitCode::SUCCESS
    })
}

/// One match of `hunt --json`.
#[derive(serde::Serialize)]
struct HuntMatch<'a> {
    rule_id: &'a str,
    title: &'a str,
    time: String,
    event_id: &'a str,
    account_id: Option<&'a str>,
    region: Option<&'a str>,
    actor: Option<&'a str>,
    action: Option<&'a str>,
    excerpt: Option<&'a serde_json::value::RawValue>,
}

impl<'a> HuntMatch<'a> {
    fn of(set: &'a parapet_detect::RuleSet, h: &'a parapet_detect::Hit) -> HuntMatch<'a> {
        let rule = &set.rules[h.rule];
        HuntMatch {
            rule_id: &rule.id,
            title: &rule.title,
            time: format_rfc3339_secs(h.event.time_ms),
            event_id: &h.event.uid,
            account_id: h.event.account_id.as_deref(),
            region: h.event.region.as_deref(),
            actor: h.event.actor.as_deref(),
            action: h.event.action.as_deref(),
            excerpt: serde_json::from_str(&h.event.excerpt).ok(),
        }
    }
}

/// One fired correlation of `hunt --json`.
#[derive(serde::Serialize)]
struct HuntCorrelation<'a> {
    rule_id: &'a str,
    title: &'a str,
    group: &'a [String],
    first: String,
    last: String,
    event_ids: Vec<&'a str>,
}

/// `{"events_scanned": N, "matches": [...], "correlations": [...]}`, written as it goes.
fn print_hunt_json(
    set: &parapet_detect::RuleSet,
    events: u64,
    hits: &[parapet_detect::Hit],
    fired: &[parapet_detect::Fired],
) -> Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    write!(out, "{{\"events_scanned\": {events},\n\"matches\": [")?;
    for (i, h) in hits.iter().enumerate() {
        let m = HuntMatch::of(set, h);
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut out, &m)?;
    }
    write!(out, "\n],\n\"correlations\": [")?;
    for (i, f) in fired.iter().enumerate() {
        let rule = &set.rules[f.rule];
        let c = HuntCorrelation {
            rule_id: &rule.id,
            title: &rule.title,
            group: &f.group,
            first: format_rfc3339_secs(f.events.first().map(|e| e.time_ms).unwrap_or(0)),
            last: format_rfc3339_secs(f.events.last().map(|e| e.time_ms).unwrap_or(0)),
            event_ids: f.events.iter().map(|e| e.uid.as_str()).collect(),
        };
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut out, &c)?;
    }
    writeln!(out, "\n]}}")?;
    out.flush()?;
    Ok(())
}

/// One Sigma rule's matches over the lake since `since_ms`, as the dashboard's hunt page shows
/// them: `{"events_scanned", "total", "matches": [the first 1,000], "correlations"}`.
pub(crate) fn hunt_value(
    config: &Config,
    data: &DataDir,
    rule: &str,
    since_ms: Option<i64>,
) -> Result<serde_json::Value> {
    let files = [("hunt.yml".to_string(), rule.to_string())];
    let (set, errors) = parapet_detect::compile(
        false,
        &files,
        &config.detect.placeholders,
        &config.detect.thresholds,
    );
    if set.rules.is_empty() {
        let why: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        bail!("no rule could be loaded: {}", why.join("; "));
    }
    let geoip = config
        .detect
        .geoip
        .as_deref()
        .map(parapet_ingest::GeoIp::open)
        .transpose()?;
    let found = hunt_lake(data, &set, geoip.as_ref(), since_ms, None).context("hunting over the lake")?;
    let mut hits = found.scan.hits;
    hits.sort_by(|a, b| (a.event.time_ms, &a.event.uid).cmp(&(b.event.time_ms, &b.event.uid)));
    let matches: Vec<serde_json::Value> = hits
        .iter()
        .take(1000)
        .map(|h| serde_json::to_value(HuntMatch::of(&set, h)).unwrap_or_default())
        .collect();
    let correlations: Vec<serde_json::Value> = found
        .fired
        .iter()
        .map(|f| {
            let rule = &set.rules[f.rule];
            serde_json::json!({"rule_id": rule.id, "title": rule.title, "group": f.group, "events": f.events.len()})
        })
        .collect();
    Ok(serde_json::json!({
        "events_scanned": found.report.events,
        "total": hits.len(),
        "matches": matches,
        "correlations": correlations,
    }))
}

pub fn run_hunt(cli: &Cli, args: &HuntArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    let text =
        std::fs::read_to_string(&args.rule).with_context(|| format!("reading {}", args.rule.display()))?;
    let files = [(args.rule.display().to_string(), text)];
    let (set, errors) = parapet_detect::compile(
        false,
        &files,
        &config.detect.placeholders,
        &config.detect.thresholds,
    );
    for e in &errors {
        eprintln!("warning: rule not loaded: {e}");
    }
    if set.rules.is_empty() {
        bail!("{}: no rule could be loaded", args.rule.display());
    }
    let now = now_ms();
    let since = args.since.as_deref().map(|s| parse_when(s, now)).transpose()?;
    let until = args.until.as_deref().map(|s| parse_when(s, now)).transpose()?;
    let geoip = config
        .detect
        .geoip
        .as_deref()
        .map(parapet_ingest::GeoIp::open)
        .transpose()?;
    let found = hunt_lake(&data, &set, geoip.as_ref(), since, until).context("hunting over the lake")?;
    let mut hits = found.scan.hits;
    hits.sort_by(|a, b| (a.event.time_ms, &a.event.uid).cmp(&(b.event.time_ms, &b.event.uid)));
    if args.json {
        // Streamed, one match per line: a hunt can match hundreds of thousands of events.
        print_hunt_json(&set, found.report.events, &hits, &found.fired)?;
        return Ok(ExitCode::SUCCESS);
    }
    for h in hits.iter().take(args.limit) {
        println!(
            "{}  {:<12} {:<14} {:<32} {:<28} {}",
            format_rfc3339_secs(h.event.time_ms),
            h.event.account_id.as_deref().unwrap_or("-"),
            h.event.region.as_deref().unwrap_or("-"),
            h.event.action.as_deref().unwrap_or("-"),
            set.rules[h.rule].id,
            h.event.actor.as_deref().unwrap_or("-"),
        );
    }
    for f in &found.fired {
        println!(
            "{} fired for [{}]: {} events from {} to {}",
            set.rules[f.rule].id,
            f.group.join(", "),
            f.events.len(),
            format_rfc3339_secs(f.events.first().map(|e| e.time_ms).unwrap_or(0)),
            format_rfc3339_secs(f.events.last().map(|e| e.time_ms).unwrap_or(0)),
        );
    }
    if !cli.quiet {
        eprintln!(
            "{} events scanned: {} matches{}, {} correlation group(s) fired",
            found.report.events,
            hits.len(),
            if hits.len() > args.limit {
                format!(" ({} shown)", args.limit)
            } else {
                String::new()
            },
            found.fired.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn open_store(cli: &Cli) -> Result<(Config, DataDir, parapet_store::Store)> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    let store = data.open_store().context("opening the state database")?;
    Ok((config, data, store))
}

fn finding_json(f: &StoredFinding) -> serde_json::Value {
    let mut v = serde_json::to_value(f).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("first_seen".into(), format_rfc3339_secs(f.first_seen_ms).into());
        o.insert("last_seen".into(), format_rfc3339_secs(f.last_seen_ms).into());
        if let Some(u) = f.status_until_ms {
            o.insert("status_until".into(), format_rfc3339_secs(u).into());
        }
    }
    v
}

pub fn run_findings(cli: &Cli, args: &FindingsArgs) -> Result<ExitCode> {
    let (_, _, mut store) = open_store(cli)?;
    let now = now_ms();
    match &args.command {
        FindingsCommand::List {
            status,
            account,
            rule,
            severity,
            since,
            limit,
            json,
        } => {
            let mut statuses = Vec::new();
            for s in status {
                match s.as_str() {
                    "open" => statuses.extend(["new".to_string(), "acknowledged".to_string()]),
                    "new" | "acknowledged" | "resolved" | "suppressed" => statuses.push(s.clone()),
                    other => {
                        bail!("--status {other}: expected new, acknowledged, resolved, suppressed or open")
                    }
                }
            }
            let filter = FindingFilter {
                account_id: account
                    .as_deref()
                    .map(|a| {
                        AccountId::parse(a)
                            .with_context(|| format!("--account {a}: expected a 12-digit account id"))
                    })
                    .transpose()?,
                rule_prefix: rule.clone(),
                statuses,
                min_severity: severity
                    .as_deref()
                    .map(|s| {
                        Severity::parse(s).with_context(|| {
                            format!("--severity {s}: expected info, low, medium, high or critical")
                        })
                    })
                    .transpose()?,
                seen_since_ms: since.as_deref().map(|s| parse_when(s, now)).transpose()?,
                id: None,
            };
            let mut list = store.findings(&filter)?;
            let total = list.len();
            list.truncate(*limit);
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list.iter().map(finding_json).collect::<Vec<_>>())?
                );
                return Ok(ExitCode::SUCCESS);
            }
            for f in &list {
                println!(
                    "{:>6}  {:<12} {:<8} {:<12} {}  {:>5}  {:<38} {}",
                    f.id,
                    f.status,
                    f.severity,
                    f.account_id.as_deref().unwrap_or("-"),
                    format_rfc3339_secs(f.last_seen_ms),
                    f.count,
                    f.rule_id,
                    f.title
                );
            }
            if !cli.quiet {
                eprintln!(
                    "{total} finding(s){}",
                    if total > list.len() {
                        format!(", {} shown (--limit)", list.len())
                    } else {
                        String::new()
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        FindingsCommand::Show { id, events, json } => {
            let filter = FindingFilter {
                id: Some(*id),
                ..FindingFilter::default()
            };
            let Some(f) = store.findings(&filter)?.into_iter().next() else {
                bail!("no finding {id}");
            };
            let (evs, total) = store.finding_events(*id, *events)?;
            let actions = store.finding_actions(*id)?;
            if *json {
                let mut v = finding_json(&f);
                if let Some(o) = v.as_object_mut() {
                    o.insert("events".into(), serde_json::to_value(&evs)?);
                    o.insert("events_total".into(), total.into());
                    o.insert("actions".into(), serde_json::to_value(&actions)?);
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("finding {}: {} [{}]", f.id, f.title, f.severity);
            println!("  rule:       {}", f.rule_id);
            println!(
                "  status:     {}{}",
                f.status,
                f.status_reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            );
            println!(
                "  account:    {}  region: {}",
                f.account_id.as_deref().unwrap_or("-"),
                f.region.as_deref().unwrap_or("-")
            );
            println!(
                "  seen:       {} .. {} ({} events)",
                format_rfc3339_secs(f.first_seen_ms),
                format_rfc3339_secs(f.last_seen_ms),
                f.count
            );
            println!("  summary:    {}", f.summary);
            println!("  next step:  {}", f.next_step);
            println!("  evidence:   {}", f.evidence);
            if total > 0 {
                println!("  latest events ({} of {total}):", evs.len());
                for e in &evs {
                    println!(
                        "    {}  {}  {}  {}",
                        format_rfc3339_secs(e.time_ms),
                        e.event_uid,
                        e.actor.as_deref().unwrap_or("-"),
                        e.excerpt
                    );
                }
            }
            for a in &actions {
                println!(
                    "  {} {} by {}: {}{}",
                    format_rfc3339_secs(a.time_ms),
                    a.status,
                    a.by,
                    a.reason,
                    a.until_ms
                        .map(|u| format!(" (until {})", format_rfc3339_secs(u)))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        FindingsCommand::Ack(s) => set_status(&mut store, s, "acknowledged", None, now),
        FindingsCommand::Resolve(s) => set_status(&mut store, s, "resolved", None, now),
        FindingsCommand::Reopen(s) => set_status(&mut store, s, "new", None, now),
        FindingsCommand::Suppress { status, until } => {
            let until = until.as_deref().map(|u| parse_until(u, now)).transpose()?;
            set_status(&mut store, status, "suppressed", until, now)
        }
    }
}

/// `--until`: a duration forward from now, or a date / time.
fn parse_until(s: &str, now: i64) -> Result<i64> {
    if let Some(ms) = parapet_detect::sigma::parse_timespan(s.trim()) {
        return Ok(now + ms);
    }
    let t = parse_when(s, now)?;
    if t <= now {
        bail!("--until {s} is in the past");
    }
    Ok(t)
}

fn set_status(
    store: &mut parapet_store::Store,
    s: &StatusArgs,
    status: &str,
    until: Option<i64>,
    now: i64,
) -> Result<ExitCode> {
    if s.reason.trim().is_empty() {
        bail!("--reason must say why");
    }
    let by =
        s.by.clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".into());
    let change = StatusChange {
        status: status.into(),
        by,
        reason: s.reason.clone(),
        until_ms: until,
    };
    if store.set_finding_status(s.id, &change, now)?.is_none() {
        bail!("no finding {}", s.id);
    }
    let f = store
        .findings(&FindingFilter {
            id: Some(s.id),
            ..FindingFilter::default()
        })?
        .into_iter()
        .next()
        .context("the finding vanished")?;
    if s.json {
        println!("{}", serde_json::to_string_pretty(&finding_json(&f))?);
    } else {
        println!("finding {} is now {}", f.id, f.status);
    }
    Ok(ExitCode::SUCCESS)
}
