//! `parapet simulate`: write a simulated organisation's Log Archive bucket to a folder.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use parapet_sim::{simulate, SimConfig, SimSource, SimSummary};

use crate::args::{Cli, SimulateArgs};
use crate::context::{human_bytes, show_progress};
use crate::progress::spinner;

pub fn sim_config(
    accounts: usize,
    days: u32,
    seed: u64,
    start_day: &str,
    events: u32,
    sources: Vec<SimSource>,
) -> SimConfig {
    SimConfig {
        accounts,
        days,
        seed,
        start_day: start_day.to_string(),
        events_per_account_day: events,
        sources,
    }
}

/// The sources `--sources` names: `all`, or table names (`cloudtrail` is always written).
pub fn parse_sources(names: &[String]) -> Result<Vec<SimSource>> {
    let mut out = Vec::new();
    for name in names.iter().map(|n| n.trim()) {
        match name {
            "all" => out.extend(SimSource::ALL),
            "cloudtrail" | "" => {}
            _ => out.push(SimSource::from_table(name).with_context(|| {
                let known: Vec<&str> = SimSource::ALL.iter().map(|s| s.table()).collect();
                format!(
                    "--sources: unknown source {name:?}; expected all, cloudtrail or any of {}",
                    known.join(", ")
                )
            })?),
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

pub fn run_simulation(cli: &Cli, config: &SimConfig, out: &std::path::Path) -> Result<SimSummary> {
    let bar = spinner(show_progress(cli), "simulating accounts");
    bar.set_length(config.accounts as u64);
    let started = Instant::now();
    let summary = simulate(config, out, &|p| bar.set_position(p.accounts_done as u64))
        .with_context(|| format!("simulating into {}", out.display()))?;
    bar.finish_and_clear();
    if !cli.quiet {
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        eprintln!(
            "simulated {} accounts of {}: {} events in {} log files (+{} digests), {} truth lines, {} in {:.1} s",
            summary.accounts,
            summary.org_id,
            summary.events,
            summary.log_files,
            summary.digest_files,
            summary.scenarios,
            human_bytes(summary.bytes_written),
            secs
        );
        for (table, c) in summary.sources.iter().filter(|(t, _)| *t != "cloudtrail") {
            eprintln!("  {table:<18} {:>10} records in {:>7} files", c.records, c.files);
        }
    }
    Ok(summary)
}

pub fn run(cli: &Cli, args: &SimulateArgs) -> Result<ExitCode> {
    let config = sim_config(
        args.accounts,
        args.days,
        args.seed,
        &args.start_day,
        args.events_per_account_day,
        parse_sources(&args.sources)?,
    );
    let summary = run_simulation(cli, &config, &args.out)?;
    if args.json {
        let json = serde_json::json!({
            "org_id": summary.org_id,
            "accounts": summary.accounts,
            "events": summary.events,
            "log_files": summary.log_files,
            "digest_files": summary.digest_files,
            "scenarios": summary.scenarios,
            "bytes_written": summary.bytes_written,
            "sources": summary.sources,
            "out": args.out,
        });
        println!("{json}");
    }
    Ok(ExitCode::SUCCESS)
}
