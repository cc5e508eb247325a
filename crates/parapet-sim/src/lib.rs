//! parapet-sim: a deterministic simulator of an AWS Organization's Control Tower Log Archive
//! bucket: the organisation trail's CloudTrail logs and the other sources security teams
//! collect there.
//!
//! [`simulate`] writes, under an output folder:
//! - `accounts.csv` (parapet's account override format) and `organization.json` (the
//!   organisation as a `parapet_model::OrgSnapshot`, which `parapet accounts sync --from` reads,
//!   plus what only the simulator knows: Log Archive and audit accounts, each account's regions);
//! - `logs/<org>/AWSLogs/<org>/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`, one gzip'd
//!   `{"Records":[…]}` per account, region and 5-minute window, plus hourly
//!   `CloudTrail-Digest/` files;
//! - the sources of [`SimConfig::sources`] (all by default), in their own layouts under
//!   `logs/<org>/AWSLogs/…` (see the `services` module): VPC flow logs, Route 53 Resolver query
//!   logs, GuardDuty findings, Security Hub control findings, AWS Config history and snapshot
//!   files, AWS Health events;
//! - with [`SimSource::Cost`], the organisation's bills for the 60 days ending on the last
//!   simulated day (whatever `days` is), in `billing/` (the folder `parapet cost ingest --from`
//!   reads; see the `services::cost` module), one billing period per calendar month:
//!   - the legacy CUR 1.0 report `parapet-cur`:
//!     `billing/cur/parapet-cur/<YYYYMMDD>-<YYYYMMDD>/<assemblyId>/parapet-cur-1.csv.gz` and
//!     `billing/cur/parapet-cur/<YYYYMMDD>-<YYYYMMDD>/parapet-cur-Manifest.json`;
//!   - the FOCUS 1.0 Data Export `parapet-focus` of the same line items:
//!     `billing/focus/parapet-focus/data/BILLING_PERIOD=<YYYY-MM>/parapet-focus-00001.csv.gz`
//!     and `billing/focus/parapet-focus/metadata/BILLING_PERIOD=<YYYY-MM>/parapet-focus-Manifest.json`;
//! - `truth.jsonl`: one line per injected security scenario and lake table it shows in, naming
//!   its records (CloudTrail event ids, finding ids, Config resource ids, or the address or
//!   domain that flow and DNS records carry), and the two planted spend spikes of the bills
//!   (table `cost`, scenarios `cost_spike` and `cost_new_service`, `indicator` the day).
//!
//! The same [`SimConfig`] always gives byte-identical output. Each account is generated from its
//! own random stream, one day at a time, on a pool of worker threads; memory stays bounded by
//! one account-day of compact event specs per worker.
//!
//! Where the output knowingly differs from AWS:
//! - a log file is stamped with its 5-minute window's end, except the day's last window, which
//!   is stamped `T2359Z` so that every file sits in the folder of its events' day;
//! - digest `hashValue`s are SHA-256 of the *uncompressed* log file (as AWS computes them) but
//!   the digest signature is a deterministic stand-in, not a verifiable RSA signature;
//! - trail, Config recorder and GuardDuty names are Control Tower's defaults; resources (buckets,
//!   keys, instances, VPCs, security groups) are invented per account and shared by all its
//!   regions (the same security group id is recorded by Config in each region);
//! - Config starts recording on the first day (every resource `ResourceDiscovered` just after
//!   00:00) and its items have no `relatedEvents`; Security Hub and Health files hold one member
//!   account's day each, where a real Firehose would mix accounts in time-sized batches;
//! - the bills' prices are list prices of us-east-1 for every region, and the CUR's
//!   `bill/InvoiceId` is set for closed months only (as AWS does), but the whole 60 days are one
//!   report version, as if written on the last day.

mod account;
mod background;
mod calls;
mod catalog;
mod digest;
mod error;
mod gzip;
mod incidents;
mod inventory;
mod layout;
mod org;
mod principals;
mod record;
mod rng;
mod scenarios;
mod services;
mod signin;
mod sink;
mod writer;

use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

pub use error::SimError;
pub use org::{OrgUnit, Organization, Person, SimAccount, HOME_REGION, TRAIL_NAME};
pub use scenarios::{ScenarioKind, Truth};
pub use services::SourceCount;

/// Days of bills [`SimSource::Cost`] writes, ending on the last simulated day.
pub const COST_HISTORY_DAYS: u32 = 60;
/// The folder of the simulation's output holding the bills (the billing bucket).
pub const BILLING_DIR: &str = "billing";

/// What to simulate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// Total accounts including management, log-archive and audit; at least 4.
    pub accounts: usize,
    /// Days to simulate; at least 1.
    pub days: u32,
    pub seed: u64,
    /// First day, `YYYYMMDD`.
    pub start_day: String,
    /// Background events per account per day (on average; weekdays busier than weekends).
    /// Scenarios and console sign-ins come on top. The other sources scale with it (flow
    /// records: half as many, DNS queries: a quarter).
    pub events_per_account_day: u32,
    /// The sources written besides CloudTrail (which is always written).
    pub sources: Vec<SimSource>,
}

/// A source the simulator can write besides CloudTrail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimSource {
    VpcFlow,
    Route53Resolver,
    GuardDuty,
    SecurityHub,
    Config,
    Health,
    /// The organisation's bills (legacy CUR and FOCUS), not in the Log Archive bucket.
    Cost,
}

impl SimSource {
    pub const ALL: [SimSource; 7] = [
        SimSource::VpcFlow,
        SimSource::Route53Resolver,
        SimSource::GuardDuty,
        SimSource::SecurityHub,
        SimSource::Config,
        SimSource::Health,
        SimSource::Cost,
    ];

    /// The lake table its records land in (also its name on the command line).
    pub fn table(self) -> &'static str {
        match self {
            SimSource::VpcFlow => "vpc_flow",
            SimSource::Route53Resolver => "route53_resolver",
            SimSource::GuardDuty => "guardduty",
            SimSource::SecurityHub => "securityhub",
            SimSource::Config => "config_history",
            SimSource::Health => "health",
            SimSource::Cost => "cost",
        }
    }

    /// The source a table name names.
    pub fn from_table(name: &str) -> Option<SimSource> {
        SimSource::ALL.into_iter().find(|s| s.table() == name)
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            accounts: 60,
            days: 7,
            seed: 42,
            start_day: "20261101".to_string(),
            events_per_account_day: 2000,
            sources: SimSource::ALL.to_vec(),
        }
    }
}

/// What a run wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimSummary {
    pub org_id: String,
    pub accounts: usize,
    pub events: u64,
    pub log_files: u64,
    pub digest_files: u64,
    /// Lines of `truth.jsonl` (an instance leaves one per table it shows in).
    pub scenarios: u64,
    pub bytes_written: u64,
    /// Records and files per lake table, `cloudtrail` included (its digests not).
    pub sources: std::collections::BTreeMap<String, SourceCount>,
}

/// Reported after each account is finished.
#[derive(Debug)]
pub struct SimProgress {
    pub accounts_done: usize,
    pub accounts_total: usize,
    /// Events written so far.
    pub events: u64,
}

/// The organisation a config simulates, without writing anything.
pub fn organization(cfg: &SimConfig) -> Organization {
    Organization::generate(cfg)
}

fn validate(cfg: &SimConfig) -> Result<i64, SimError> {
    if cfg.accounts < 4 {
        return Err(SimError::Config {
            field: "accounts",
            message: format!(
                "must be at least 4 (management, log-archive, audit and one workload), got {}",
                cfg.accounts
            ),
        });
    }
    if cfg.days == 0 {
        return Err(SimError::Config {
            field: "days",
            message: "must be at least 1".to_string(),
        });
    }
    parapet_model::time::parse_day(&cfg.start_day)
        .map(|ms| ms.div_euclid(1000))
        .ok_or_else(|| SimError::Config {
            field: "start_day",
            message: format!("must be a date as YYYYMMDD, got {:?}", cfg.start_day),
        })
}

fn write_small(path: &Path, data: &[u8]) -> Result<u64, SimError> {
    std::fs::write(path, data).map_err(|e| SimError::io(path, e))?;
    Ok(data.len() as u64)
}

/// Simulates the organisation's CloudTrail into `out` (created if missing) and reports progress
/// after each account.
pub fn simulate(
    cfg: &SimConfig,
    out: &Path,
    progress: &(dyn Fn(SimProgress) + Sync),
) -> Result<SimSummary, SimError> {
    let first_day = validate(cfg)?;
    let org = Organization::generate(cfg);
    std::fs::create_dir_all(out).map_err(|e| SimError::io(out, e))?;
    let mut bytes = write_small(&out.join("accounts.csv"), org.directory().to_csv().as_bytes())?;
    let mut org_json = org
        .to_json()
        .map_err(|e| SimError::io(out.join("organization.json"), std::io::Error::other(e)))?;
    org_json.push('\n');
    bytes += write_small(&out.join("organization.json"), org_json.as_bytes())?;

    let plan = scenarios::plan(cfg, &org, first_day);
    let logs_root = out.join("logs");
    let total = org.accounts.len();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, total);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let events = AtomicU64::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<(usize, writer::AccountStats)>> = Mutex::new(Vec::with_capacity(total));
    let first_error: Mutex<Option<SimError>> = Mutex::new(None);

    let panicked = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| loop {
                    if failed.load(Ordering::Relaxed) {
                        return;
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= total {
                        return;
                    }
                    let start = plan.partition_point(|i| i.account < index);
                    let end = plan.partition_point(|i| i.account <= index);
                    match writer::run_account(cfg, &org, index, first_day, &plan[start..end], &logs_root) {
                        Ok(stats) => {
                            let so_far = events.fetch_add(stats.events, Ordering::Relaxed) + stats.events;
                            if let Ok(mut r) = results.lock() {
                                r.push((index, stats));
                            }
                            progress(SimProgress {
                                accounts_done: done.fetch_add(1, Ordering::Relaxed) + 1,
                                accounts_total: total,
                                events: so_far,
                            });
                        }
                        Err(e) => {
                            failed.store(true, Ordering::Relaxed);
                            if let Ok(mut slot) = first_error.lock() {
                                slot.get_or_insert(e);
                            }
                            return;
                        }
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).any(|r| r.is_err())
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    if panicked {
        return Err(SimError::Worker);
    }
    let mut results = results.into_inner().map_err(|_| SimError::Worker)?;
    results.sort_by_key(|r| r.0);

    let mut summary = SimSummary {
        org_id: org.id.clone(),
        accounts: total,
        events: 0,
        log_files: 0,
        digest_files: 0,
        scenarios: 0,
        bytes_written: bytes,
        sources: std::collections::BTreeMap::new(),
    };
    let mut truth = Vec::new();
    if cfg.sources.contains(&SimSource::Cost) {
        let last_day = first_day + (i64::from(cfg.days) - 1) * 86_400;
        let bills = services::cost::write(cfg, &org, last_day, out)?;
        summary.bytes_written += bills.bytes;
        summary
            .sources
            .insert(services::cost::TABLE.to_string(), bills.count);
        truth.extend(bills.truth);
    }
    for (_, s) in results {
        summary.events += s.events;
        summary.log_files += s.log_files;
        summary.digest_files += s.digest_files;
        summary.bytes_written += s.bytes;
        truth.extend(s.truth);
        for (table, c) in s.sources {
            let sum = summary.sources.entry(table.to_string()).or_default();
            sum.records += c.records;
            sum.files += c.files;
        }
    }
    truth.sort_by(|a, b| {
        (
            &a.time,
            &a.account_id,
            a.scenario,
            a.table,
            &a.event_ids,
            &a.indicator,
        )
            .cmp(&(
                &b.time,
                &b.account_id,
                b.scenario,
                b.table,
                &b.event_ids,
                &b.indicator,
            ))
    });
    summary.sources.insert(
        "cloudtrail".to_string(),
        SourceCount {
            records: summary.events,
            files: summary.log_files,
        },
    );
    summary.scenarios = truth.len() as u64;
    let truth_path = out.join("truth.jsonl");
    let mut text = Vec::new();
    for t in &truth {
        serde_json::to_writer(&mut text, t)
            .map_err(|e| SimError::io(&truth_path, std::io::Error::other(e)))?;
        text.write_all(b"\n").map_err(|e| SimError::io(&truth_path, e))?;
    }
    summary.bytes_written += write_small(&truth_path, &text)?;
    Ok(summary)
}
