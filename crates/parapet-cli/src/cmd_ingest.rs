//! `parapet ingest`: folders and S3 prefixes into the lake.

use std::process::ExitCode;

use anyhow::{Context, Result};
use parapet_aws::{S3Store, SqsQueue};
use parapet_config::Config;
use parapet_ingest::{follow_queue, ingest, DataDir, IngestOptions, IngestReport, LiveBatch, LiveOptions};
use parapet_lake::WriteOptions;
use parapet_model::AccountDirectory;
use parapet_sources::{LocalDir, ObjectStore, StoreError};

use crate::args::{Cli, IngestArgs};
use crate::context::{account_directory, aws_settings, data_dir, human_bytes, load_config, show_progress};
use crate::progress::IngestBar;
use crate::EXIT_PARTIAL;

pub fn options(config: &Config, workers: Option<usize>, retry_quarantined: bool) -> IngestOptions {
    IngestOptions {
        workers: workers.unwrap_or(config.ingest.workers),
        buffer_bytes: (config.ingest.buffer_mb << 20) as usize,
        flush_interval: std::time::Duration::from_secs(config.ingest.flush_secs),
        max_object_bytes: config.ingest.max_object_mb << 20,
        retry_quarantined,
        write: WriteOptions {
            zstd_level: config.ingest.zstd_level,
            ..WriteOptions::default()
        },
        ..IngestOptions::default()
    }
}

pub fn open_store(config: &Config, source: &str) -> Result<Box<dyn ObjectStore>> {
    if source.starts_with("s3://") {
        Ok(Box::new(S3Store::connect(source, &aws_settings(config))?))
    } else {
        Ok(Box::new(
            LocalDir::open(std::path::Path::new(source)).with_context(|| format!("opening {source}"))?,
        ))
    }
}

pub fn run_ingest(
    cli: &Cli,
    data: &DataDir,
    config: &Config,
    sources: &[String],
    accounts: &AccountDirectory,
    options: &IngestOptions,
) -> Result<Vec<IngestReport>> {
    let mut reports = Vec::new();
    for source in sources {
        let store = open_store(config, source)?;
        let bar = IngestBar::new(show_progress(cli));
        let report = ingest(store.as_ref(), data, accounts, options, &bar);
        bar.finish();
        let report = report.with_context(|| format!("ingesting {source}"))?;
        if !cli.quiet {
            print_summary(&report);
        }
        reports.push(report);
    }
    crate::cmd_notify::queue(data, config, accounts)?;
    Ok(reports)
}

pub fn run(cli: &Cli, args: &IngestArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let mut options = options(&config, args.workers, args.retry_quarantined);
    let data = data_dir(cli, &config);
    let accounts = account_directory(&data, args.accounts.as_deref().or(config.accounts.csv.as_deref()))?;
    options.detector = crate::cmd_detect::ingest_detector(cli, &config, &accounts)?;
    if let Some(url) = &args.sqs {
        return follow_sqs(cli, args, url, &data, &config, &accounts, &options);
    }
    if args.follow {
        return follow(cli, args, &data, &config, &accounts, &options);
    }
    let reports = run_ingest(cli, &data, &config, &args.sources, &accounts, &options)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(if reports.iter().all(IngestReport::is_clean) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

/// `--follow`: ingest, wait, list again. Each round is an ordinary exactly-once run, so the
/// process can be stopped at any moment (the next start recovers and goes on).
fn follow(
    cli: &Cli,
    args: &IngestArgs,
    data: &DataDir,
    config: &Config,
    accounts: &AccountDirectory,
    options: &IngestOptions,
) -> Result<ExitCode> {
    let mut clean = true;
    let mut round = 0u64;
    loop {
        round += 1;
        let reports = run_ingest(cli, data, config, &args.sources, accounts, options)?;
        for r in &reports {
            clean &= r.is_clean();
            if args.json {
                println!("{}", serde_json::to_string(r)?);
            }
        }
        if args.rounds.is_some_and(|n| round >= n) {
            break;
        }
        tracing::info!(round, seconds = args.interval, "waiting for new objects");
        std::thread::sleep(std::time::Duration::from_secs(args.interval));
    }
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

/// `--follow --sqs URL`: live ingest from queue notifications.
fn follow_sqs(
    cli: &Cli,
    args: &IngestArgs,
    url: &str,
    data: &DataDir,
    config: &Config,
    accounts: &AccountDirectory,
    options: &IngestOptions,
) -> Result<ExitCode> {
    let settings = aws_settings(config);
    let queue = SqsQueue::connect(url, &settings)?;
    let open_bucket = |bucket: &str| -> std::result::Result<Box<dyn ObjectStore>, StoreError> {
        let store = S3Store::connect(&format!("s3://{bucket}/"), &settings).map_err(|e| StoreError::Io {
            location: format!("s3://{bucket}/"),
            message: e.to_string(),
        })?;
        Ok(Box::new(store))
    };
    let live = LiveOptions {
        wait_secs: args.wait.min(20),
        visibility_secs: args.visibility.max(10),
        stop_after_idle: args.rounds,
        ..LiveOptions::default()
    };
    let mut clean = true;
    let mut on_batch = |b: &LiveBatch| {
        clean &= b.unreadable == 0 && b.kept == 0 && b.reports.iter().all(IngestReport::is_clean);
        if args.json {
            match serde_json::to_string(b) {
                Ok(line) => println!("{line}"),
                Err(e) => tracing::error!(error = %e, "writing the batch report"),
            }
        } else if !cli.quiet {
            eprintln!(
                "{url}: {} messages, {} deleted, {} kept for redelivery, {} unreadable",
                b.messages, b.deleted, b.kept, b.unreadable
            );
            b.reports.iter().for_each(print_summary);
        }
        // Tell what the batch found (the queue is in the state database: a failure here is
        // caught up by the next batch or `notify send`).
        if let Err(e) = crate::cmd_notify::queue(data, config, accounts) {
            tracing::error!(error = %format!("{e:#}"), "queueing notifications");
        }
    };
    follow_queue(
        &queue,
        &open_bucket,
        data,
        accounts,
        options,
        &live,
        &(),
        &mut on_batch,
    )
    .with_context(|| format!("reading {url}"))?;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

fn print_summary(r: &IngestReport) {
    let secs = (r.elapsed_ms as f64 / 1000.0).max(1e-3);
    eprintln!(
        "{}: ingested {} objects, {} records ({} read, {} decoded) in {:.1} s ({:.0} records/s); {} files in {} checkpoints",
        r.source,
        r.objects_ingested,
        r.records,
        human_bytes(r.bytes_read),
        human_bytes(r.bytes_decoded),
        secs,
        r.records as f64 / secs,
        r.files_written,
        r.checkpoints,
    );
    let d = &r.detection;
    if d.events > 0 {
        eprintln!(
            "  detection: {} events checked, {} rule matches; {} new findings, {} new events on findings, {} reopened",
            d.events,
            d.matches + d.correlation_matches,
            d.new_findings,
            d.new_events,
            d.reopened
        );
    }
    if r.objects_already_done > 0 {
        eprintln!(
            "  {} objects were already in the lake (skipped)",
            r.objects_already_done
        );
    }
    for s in &r.skipped {
        eprintln!("  skipped {} {} objects: {}", s.objects, s.kind, s.reason);
    }
    if !r.changed.is_empty() {
        eprintln!(
            "  warning: {} objects changed size since they were ingested and were not read again, e.g. {}",
            r.changed.len(),
            r.changed[0]
        );
    }
    let show = |title: &str, list: &[parapet_ingest::ProblemObject]| {
        if list.is_empty() {
            return;
        }
        eprintln!("  {title} ({}):", list.len());
        for p in list.iter().take(20) {
            eprintln!("    {}: {}", p.key, p.reason);
        }
        if list.len() > 20 {
            eprintln!("    … and {} more (parapet quarantine)", list.len() - 20);
        }
    };
    show("quarantined objects", &r.quarantined);
    show("objects with rejected records", &r.rejected);
    show("objects that could not be fetched (retried next run)", &r.failed);
    let rec = &r.recovery;
    if rec.batches_finished + rec.debris_removed > 0 {
        eprintln!(
            "  recovered an interrupted run: {} batches finished, {} staged files removed",
            rec.batches_finished, rec.debris_removed
        );
    }
}
