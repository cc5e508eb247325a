//! `parapet lake tables|stats|compact|recover` and `parapet quarantine`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use anyhow::Result;
use parapet_ingest::{compact, recover, CompactOptions, DataDir};
use parapet_model::time::format_rfc3339_secs;

use crate::args::{Cli, LakeArgs, LakeCommand, QuarantineArgs};
use crate::context::{data_dir, human_bytes, load_config, show_progress};
use crate::progress::spinner;

#[derive(Debug, Default, serde::Serialize)]
pub struct TableStats {
    pub table: String,
    pub partitions: u64,
    pub files: u64,
    pub rows: u64,
    pub bytes: u64,
    pub accounts: u64,
    pub regions: u64,
    pub days: u64,
    pub first_event: Option<String>,
    pub last_event: Option<String>,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct LakeStats {
    pub lake: String,
    pub tables: Vec<TableStats>,
    pub objects_ingested: u64,
    pub objects_quarantined: u64,
    pub records_ingested: u64,
    pub records_rejected: u64,
}

/// One table's numbers while the files are counted.
#[derive(Default)]
struct Tally {
    stats: TableStats,
    partitions: BTreeSet<String>,
    accounts: BTreeSet<String>,
    regions: BTreeSet<String>,
    days: BTreeSet<u32>,
    min_time: Option<i64>,
    max_time: Option<i64>,
}

pub fn stats(data: &DataDir) -> Result<LakeStats> {
    crate::cmd_query::settle(data)?;
    let store = data.open_store()?;
    let mut tables: BTreeMap<String, Tally> = BTreeMap::new();
    for f in store.live_files(None)? {
        let t = tables.entry(f.table.clone()).or_default();
        t.stats.table = f.table.clone();
        t.stats.files += 1;
        t.stats.rows += f.rows;
        t.stats.bytes += f.bytes;
        if let Some(pk) = parapet_model::PartitionKey::from_path(&f.partition) {
            t.accounts.insert(pk.account_id);
            t.regions.insert(pk.region);
            t.days.insert(pk.event_day);
        }
        t.partitions.insert(f.partition);
        t.min_time = t.min_time.into_iter().chain(f.min_time_ms).min();
        t.max_time = t.max_time.into_iter().chain(f.max_time_ms).max();
    }
    let (ingested, quarantined, records, rejected) = store.object_totals()?;
    Ok(LakeStats {
        lake: data.lake_root().display().to_string(),
        tables: tables
            .into_values()
            .map(|t| TableStats {
                partitions: t.partitions.len() as u64,
                accounts: t.accounts.len() as u64,
                regions: t.regions.len() as u64,
                days: t.days.len() as u64,
                first_event: t.min_time.map(format_rfc3339_secs),
                last_event: t.max_time.map(format_rfc3339_secs),
                ..t.stats
            })
            .collect(),
        objects_ingested: ingested,
        objects_quarantined: quarantined,
        records_ingested: records,
        records_rejected: rejected,
    })
}

pub fn print_stats(s: &LakeStats) {
    println!("lake {}", s.lake);
    println!(
        "{:<20} {:>10} {:>7} {:>7} {:>8} {:>8} {:>6} {:>12}  events",
        "table", "rows", "files", "parts", "accounts", "regions", "days", "size"
    );
    for t in &s.tables {
        println!(
            "{:<20} {:>10} {:>7} {:>7} {:>8} {:>8} {:>6} {:>12}  {} .. {}",
            t.table,
            t.rows,
            t.files,
            t.partitions,
            t.accounts,
            t.regions,
            t.days,
            human_bytes(t.bytes),
            t.first_event.as_deref().unwrap_or("-"),
            t.last_event.as_deref().unwrap_or("-")
        );
    }
    if s.tables.is_empty() {
        println!("(empty: run `parapet ingest <folder|s3://bucket/prefix>`)");
    }
    println!(
        "objects: {} ingested, {} quarantined; records: {} ingested, {} rejected",
        s.objects_ingested, s.objects_quarantined, s.records_ingested, s.records_rejected
    );
}

/// The tables (and derived views) SQL can read, whether or not they hold data yet.
#[derive(Debug, serde::Serialize)]
pub struct TableDoc {
    pub name: &'static str,
    pub ocsf_class_uid: i32,
    pub description: &'static str,
    pub columns: usize,
    pub views: Vec<&'static str>,
}

pub fn tables() -> Vec<TableDoc> {
    let mut docs: Vec<TableDoc> = parapet_lake::catalog()
        .into_iter()
        .map(|t| TableDoc {
            name: t.name,
            ocsf_class_uid: t.class_uid,
            description: t.description,
            columns: t.schema.fields().len(),
            views: t.views.iter().map(|(name, _)| *name).collect(),
        })
        .collect();
    // The bills: not OCSF (class 0), files `cost_lines` under the view `cost`.
    docs.push(TableDoc {
        name: parapet_lake::cost::TABLE,
        ocsf_class_uid: 0,
        description: "Bill lines (legacy CUR, CUR 2.0, FOCUS) with exact unblended, amortized and net costs; the view adds the registry's account names",
        columns: parapet_lake::cost::schema().fields().len(),
        views: Vec::new(),
    });
    docs
}

pub fn run(cli: &Cli, args: &LakeArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    match &args.command {
        LakeCommand::Tables { json } => {
            let t = tables();
            if *json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else {
                for t in &t {
                    println!("{:<20} class {:<5} {}", t.name, t.ocsf_class_uid, t.description);
                    for v in &t.views {
                        println!("{:<20} view of {}", v, t.name);
                    }
                }
            }
        }
        LakeCommand::Stats { json } => {
            let s = stats(&data)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                print_stats(&s);
            }
        }
        LakeCommand::Compact { small_mb, json } => {
            let bar = spinner(show_progress(cli), "compacting partitions");
            let options = CompactOptions {
                small_file_bytes: small_mb << 20,
                ..CompactOptions::default()
            };
            let report = compact(&data, &options, &|done, total| {
                bar.set_length(total);
                bar.set_position(done);
            });
            bar.finish_and_clear();
            let report = report?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else if !cli.quiet {
                eprintln!(
                    "compacted {} partitions: {} files → {}, {} rows, {} → {}",
                    report.partitions_compacted,
                    report.files_before,
                    report.files_after,
                    report.rows,
                    human_bytes(report.bytes_before),
                    human_bytes(report.bytes_after)
                );
            }
        }
        LakeCommand::Recover { json } => {
            let lock = data.lock()?;
            let lake = data.open_lake()?;
            let mut store = data.open_store()?;
            let report = recover(&lake, &mut store, &lock)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else if !cli.quiet {
                eprintln!(
                    "recovered: {} batches finished, {} files published, {} retired, {} staged files removed",
                    report.batches_finished,
                    report.files_published,
                    report.files_retired,
                    report.debris_removed
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_quarantine(cli: &Cli, args: &QuarantineArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    let store = data.open_store()?;
    let entries = store.quarantine()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        println!("nothing in quarantine");
    }
    let root = data.quarantine_root();
    for e in &entries {
        let what = match e.status {
            parapet_store::ObjectStatus::Quarantined => "unreadable".to_string(),
            parapet_store::ObjectStatus::Ingested => {
                format!("{} of {} records rejected", e.rejected, e.rejected + e.records)
            }
        };
        println!("{} {} ({what})", e.source, e.key);
        println!("    reason: {}", e.reason.as_deref().unwrap_or("-"));
        if let Some(p) = &e.quarantine_path {
            println!("    copy:   {}", root.join(p).display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
