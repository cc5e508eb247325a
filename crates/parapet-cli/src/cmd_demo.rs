//! `parapet demo`: the whole product on a simulated organisation, no AWS account needed:
//! simulate (every source and the bills) → ingest → lake stats → sample queries → the daily cost
//! report; then (unless `--once`) the service of `parapet run` on it: the dashboard on
//! http://127.0.0.1:8080, a new simulated day of logs arriving every `--every` seconds,
//! ingested with detection, and notifications written to `<dir>/notifications.jsonl`.

use std::process::ExitCode;

use anyhow::Result;
use parapet_config::Config;
use parapet_ingest::DataDir;
use parapet_lake::OutputFormat;

use crate::args::{Cli, DemoArgs};
use crate::cmd_ingest::{options, run_ingest};
use crate::cmd_lake::{print_stats, stats};
use crate::cmd_query::run_sql;
use crate::cmd_simulate::{run_simulation, sim_config};
use crate::context::account_directory;
use crate::EXIT_PARTIAL;
use parapet_sim::SimSource;

const QUERIES: &[(&str, &str)] = &[
    (
        "Accounts per OU and team (the registry, synced from the organisation)",
        "SELECT ou, team, count(*) AS accounts FROM accounts WHERE NOT removed \
         GROUP BY ou, team ORDER BY ou, team LIMIT 12",
    ),
    (
        "Events per account, with the account's name and team",
        "SELECT account_name, account_team, accountid, count(*) AS events FROM cloudtrail \
         GROUP BY account_name, account_team, accountid ORDER BY events DESC LIMIT 8",
    ),
    (
        "Most frequent API calls",
        "SELECT eventsource, eventname, count(*) AS events FROM cloudtrail \
         GROUP BY eventsource, eventname ORDER BY events DESC LIMIT 8",
    ),
    (
        "Root console sign-ins",
        "SELECT eventtime, account_name, sourceipaddress FROM cloudtrail \
         WHERE eventname = 'ConsoleLogin' AND actor_user_type = 'Root' ORDER BY eventtime",
    ),
    (
        "Security groups opened to the whole internet",
        "SELECT eventtime, account_name, actor_user_name, api_request_data FROM cloudtrail \
         WHERE eventname = 'AuthorizeSecurityGroupIngress' \
         AND (api_request_data LIKE '%0.0.0.0/0%' OR api_request_data LIKE '%::/0%') ORDER BY eventtime LIMIT 10",
    ),
    (
        "CloudTrail tampering",
        "SELECT eventtime, account_name, eventname, actor_user_name FROM cloudtrail \
         WHERE eventsource = 'cloudtrail.amazonaws.com' \
         AND eventname IN ('StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors') ORDER BY eventtime",
    ),
    (
        "GuardDuty findings, latest state, by the account they are about",
        "SELECT updatedat, account_name, type, severity, count FROM guardduty_latest \
         WHERE type NOT LIKE 'Recon:%' ORDER BY updatedat LIMIT 10",
    ),
    (
        "Addresses with the most connections to SSH (flow logs)",
        "SELECT srcaddr, account_name, count(*) AS flows, sum(CASE WHEN action = 'ACCEPT' THEN 1 ELSE 0 END) AS accepted \
         FROM vpc_flow WHERE dstport = 22 GROUP BY srcaddr, account_name ORDER BY flows DESC LIMIT 5",
    ),
    (
        "Domains queried most from inside the VPCs, outside AWS (Route 53 Resolver)",
        "SELECT regexp_replace(query_name, '^.*\\.([^.]+\\.[^.]+\\.)$', '\\1') AS domain, count(*) AS queries, \
         count(DISTINCT account_name) AS accounts FROM route53_resolver \
         WHERE query_name NOT LIKE '%.amazonaws.com.' AND query_name NOT LIKE '%.internal.' \
         GROUP BY 1 ORDER BY queries DESC LIMIT 6",
    ),
];

pub fn run(cli: &Cli, args: &DemoArgs) -> Result<ExitCode> {
    let bucket = args.dir.join("bucket");
    let sim = sim_config(
        args.accounts,
        args.days,
        args.seed,
        "20261101",
        args.events_per_account_day,
        SimSource::ALL.to_vec(),
    );
    if !bucket.join("accounts.csv").exists() {
        run_simulation(cli, &sim, &bucket)?;
    } else if !cli.quiet {
        eprintln!("using the simulated bucket already in {}", bucket.display());
    }
    let config = Config::default();
    let data = DataDir::new(cli.data_dir.clone().unwrap_or_else(|| args.dir.join("data")));
    // The registry from the simulated organisation, as `accounts sync` would read it from AWS.
    let synced = crate::cmd_accounts::sync(&config, &data, Some(&bucket.join("organization.json")))?;
    if !cli.quiet {
        eprintln!(
            "account registry: {} accounts in {} OUs of {}",
            synced.accounts, synced.organizational_units, synced.organization_id
        );
    }
    let accounts = account_directory(&data, None)?;
    let logs = bucket.join("logs").display().to_string();
    let mut ingest_options = options(&config, None, false);
    ingest_options.detector = crate::cmd_detect::ingest_detector(cli, &config, &accounts)?;
    let reports = run_ingest(cli, &data, &config, &[logs], &accounts, &ingest_options)?;
    // The organisation's bills (legacy CUR, as a payer's bucket holds it).
    let billing = bucket.join("billing").join("cur");
    let (bills, anomalies) = if billing.exists() {
        crate::cmd_cost::load(cli, &config, &data, &billing.display().to_string(), false, true)?
    } else {
        Default::default()
    };
    println!();
    print_stats(&stats(&data)?);
    let stdout = std::io::stdout();
    for (title, sql) in QUERIES {
        println!("\n{title}:\n  {sql}");
        run_sql(&data, sql, OutputFormat::Table, &mut stdout.lock())?;
    }
    if let Some(text) = crate::cmd_cost::latest_report_text(&config, &data)? {
        println!(
            "\nThe daily cost report ({} bill periods loaded, {} spend spikes found in the last week):",
            bills.loaded(),
            anomalies.unwrap_or(0)
        );
        print!("{text}");
    }
    println!(
        "\nThe lake is in {}; try: parapet --data-dir {} query \"SELECT eventname, count(*) FROM cloudtrail GROUP BY 1 ORDER BY 2 DESC\"",
        data.lake_root().display(),
        data.root().display()
    );
    println!(
        "Ground truth of the injected attacks: {}",
        bucket.join("truth.jsonl").display()
    );
    let clean = reports.iter().all(|r| r.is_clean()) && bills.is_clean();
    if !args.once {
        live(cli, args, &sim, &bucket, &data)?;
    }
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

/// The demo as a service: `parapet run` over the simulated bucket, with a new simulated day
/// moved into the bucket before each round that is due one.
fn live(
    cli: &Cli,
    args: &DemoArgs,
    sim: &parapet_sim::SimConfig,
    bucket: &std::path::Path,
    data: &DataDir,
) -> Result<()> {
    let mut config = Config::default();
    let notifications = args.dir.join("notifications.jsonl");
    config.notify.channels.push(parapet_model::notify::Channel {
        name: "demo".into(),
        kind: parapet_model::notify::ChannelKind::File,
        path: Some(notifications.clone()),
        ..Default::default()
    });
    config.notify.routes.push(parapet_model::notify::Route {
        min_severity: Some(parapet_model::Severity::Low),
        to: vec!["demo".into()],
        ..Default::default()
    });
    config.run.sync_minutes = 0;
    config.run.cost_minutes = 0;
    // Findings so far are told too (they were queued before the channel existed).
    crate::cmd_notify::queue(data, &config, &account_directory(data, None)?)?;
    if !cli.quiet {
        eprintln!(
            "\nThe service: dashboard on http://{}/, a new simulated day every {} s, notifications in {} (Ctrl-C to stop)",
            args.bind,
            args.every,
            notifications.display()
        );
    }
    let logs = bucket.join("logs");
    let first = parapet_model::time::parse_day(&sim.start_day).unwrap_or(0) / 86_400_000;
    let mut next_day = first + i64::from(sim.days);
    let mut last_tick = std::time::Instant::now();
    let every = std::time::Duration::from_secs(args.every.max(1));
    let mut tick = || -> Result<()> {
        if last_tick.elapsed() < every {
            return Ok(());
        }
        last_tick = std::time::Instant::now();
        let (y, m, d) = parapet_model::time::civil_from_days(next_day);
        let day = format!("{y:04}{m:02}{d:02}");
        next_day += 1;
        // A day of the same organisation (same seed), fewer events, into a folder of its own,
        // then moved into the bucket: the service sees new objects, as from a real trail.
        let staging = args.dir.join("arriving").join(&day);
        let day_sim = sim_config(
            sim.accounts,
            1,
            sim.seed,
            &day,
            (sim.events_per_account_day / 4).max(50),
            vec![SimSource::GuardDuty, SimSource::SecurityHub],
        );
        parapet_sim::simulate(&day_sim, &staging, &|_| {})
            .map_err(|e| anyhow::anyhow!("simulating {day}: {e}"))?;
        move_tree(&staging.join("logs"), &logs)?;
        let _ = std::fs::remove_dir_all(&staging);
        if !cli.quiet {
            eprintln!("a new day of logs arrived: {day}");
        }
        Ok(())
    };
    let sources = vec![logs.display().to_string()];
    crate::cmd_run::service(
        cli,
        &config,
        data,
        &sources,
        std::time::Duration::from_secs(5),
        Some((Some(args.bind.as_str()), None)),
        &mut tick,
    )
}

/// Moves every file under `from` to the same relative path under `to`.
fn move_tree(from: &std::path::Path, to: &std::path::Path) -> Result<()> {
    use anyhow::Context as _;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            move_tree(&entry.path(), &target)?;
        } else {
            std::fs::rename(entry.path(), &target)
                .with_context(|| format!("moving {} to {}", entry.path().display(), target.display()))?;
        }
    }
    Ok(())
}
