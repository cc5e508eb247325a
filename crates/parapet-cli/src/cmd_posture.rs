//! `parapet posture`: scan (read, judge, score, record, raise findings), show, checks.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use parapet_config::Config;
use parapet_ingest::{now_ms, DataDir};
use parapet_model::account::account_label;
use parapet_model::inventory::AccountInventory;
use parapet_model::posture::Verdict;
use parapet_model::{AccountDirectory, AccountId};
use parapet_posture::{Check, Score, Scores, CHECKS};
use parapet_store::{PostureScan, ScoreRow};

use crate::args::{Cli, PostureArgs, PostureCommand};
use crate::cmd_accounts::{active_accounts, print_table};
use crate::context::{account_directory, aws_settings, data_dir, load_config, show_progress};
use crate::EXIT_PARTIAL;

pub fn run(cli: &Cli, args: &PostureArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    match &args.command {
        PostureCommand::Scan {
            filter,
            regions,
            from,
            from_lake,
            save,
            json,
        } => {
            for d in &config.posture.disabled {
                if Check::get(d).is_none() {
                    bail!("key `posture.disabled`: no check is named {d:?} (`parapet posture checks` lists them)");
                }
            }
            let (inventories, access_errors, sessions) = match from {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    let inv: Vec<AccountInventory> = serde_json::from_str(&text).with_context(|| {
                        format!("{}: expected a JSON array of account inventories (as `posture scan --save` writes)", path.display())
                    })?;
                    (inv, Vec::new(), None)
                }
                None if *from_lake => from_config(cli, &config, &data, filter, regions)?,
                None => {
                    let read = read_live(cli, &config, &data, filter, regions)?;
                    (read.inventories, read.access_errors, Some(read.sessions))
                }
            };
            if let Some(path) = save {
                std::fs::write(path, serde_json::to_string_pretty(&inventories)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            scan(cli, &config, &data, &inventories, &access_errors, sessions, *json)
        }
        PostureCommand::Show { account, all, json } => show(&config, &data, account.as_deref(), *all, *json),
        PostureCommand::Checks { json } => {
            if *json {
                let list: Vec<serde_json::Value> = CHECKS
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "id": c.id, "title": c.title, "severity": c.severity, "resource_type": c.resource_type,
                            "controls": c.controls, "next_step": c.next_step,
                            "enabled": !config.posture.disabled.iter().any(|d| d == c.id),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                let rows: Vec<Vec<String>> = CHECKS
                    .iter()
                    .map(|c| {
                        vec![
                            c.id.to_string(),
                            c.severity.as_str().to_string(),
                            c.controls.join(" "),
                            c.title.to_string(),
                        ]
                    })
                    .collect();
                print_table(&["CHECK", "SEVERITY", "CONTROLS", "TITLE"], &rows);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

type Inventories = (
    Vec<AccountInventory>,
    Vec<parapet_aws::AccessError>,
    Option<parapet_aws::SessionStats>,
);

/// Every account's inventory as AWS Config's items in the lake describe it (only the accounts
/// with items).
fn lake_inventories(data: &DataDir) -> Result<Vec<AccountInventory>> {
    use parapet_posture::config_items::{from_row, inventories, MAPPED_TYPES};
    let types: Vec<String> = MAPPED_TYPES.iter().map(|t| format!("'{t}'")).collect();
    let sql = format!(
        "SELECT cloud_account_uid, cloud_region, resource_type, resource_uid, resource_arn, resource_tags, \
                configuration, supplementary_configuration \
         FROM config_inventory WHERE resource_type IN ({})",
        types.join(", ")
    );
    let mut out = Vec::new();
    crate::cmd_query::run_sql(data, &sql, parapet_lake::OutputFormat::Json, &mut out)
        .context("reading AWS Config's inventory from the lake (ingest Config snapshots or history first)")?;
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out).context("the lake's answer")?;
    let resources: Vec<_> = rows.iter().filter_map(from_row).collect();
    let recorded: std::collections::BTreeSet<&str> =
        resources.iter().map(|r| r.resource_type.as_str()).collect();
    let recorded: Vec<&str> = recorded.into_iter().collect();
    Ok(inventories(&resources, &recorded, now_ms()))
}

/// The scheduled scan of `parapet run`: the accounts AWS Config describes in the lake, judged,
/// scored and recorded (no live reads). Returns how many accounts were scanned.
pub(crate) fn scan_lake(config: &Config, data: &DataDir) -> Result<usize> {
    let inventories = lake_inventories(data)?;
    if inventories.is_empty() {
        return Ok(0);
    }
    let directory = crate::context::account_directory(data, config.accounts.csv.as_deref())?;
    record(config, data, &inventories, &directory)?;
    Ok(inventories.len())
}

/// Inventories from AWS Config's items in the lake; the selected registry accounts that have
/// none are read live.
fn from_config(
    cli: &Cli,
    config: &Config,
    data: &DataDir,
    filter: &crate::args::AccountFilterArgs,
    regions: &[String],
) -> Result<Inventories> {
    let mut lake = lake_inventories(data)?;
    let wanted: Vec<AccountId> = {
        let store = data.open_store()?;
        let registry = store.registry()?;
        if registry.is_empty() {
            Vec::new()
        } else {
            active_accounts(&registry, filter)?
        }
    };
    if !wanted.is_empty() {
        lake.retain(|i| wanted.contains(&i.account_id));
    }
    let missing: Vec<String> = wanted
        .iter()
        .filter(|a| !lake.iter().any(|i| i.account_id == **a))
        .map(|a| a.to_string())
        .collect();
    if missing.is_empty() {
        return Ok((lake, Vec::new(), None));
    }
    if !cli.quiet {
        eprintln!(
            "{} account(s) have no AWS Config items in the lake: reading them live",
            missing.len()
        );
    }
    let only = crate::args::AccountFilterArgs {
        accounts: missing,
        ..crate::args::AccountFilterArgs::default()
    };
    let read = read_live(cli, config, data, &only, regions)?;
    lake.extend(read.inventories);
    lake.sort_by_key(|i| i.account_id);
    Ok((lake, read.access_errors, Some(read.sessions)))
}

pub(crate) fn read_live(
    cli: &Cli,
    config: &Config,
    data: &DataDir,
    filter: &crate::args::AccountFilterArgs,
    regions: &[String],
) -> Result<parapet_aws::InventoryRead> {
    let store = data.open_store()?;
    let registry = store.registry()?;
    if registry.is_empty() {
        bail!("the account registry is empty: run `parapet accounts sync` first (or scan saved inventories with --from)");
    }
    let accounts = active_accounts(&registry, filter)?;
    if accounts.is_empty() {
        bail!("no active account matches the filter");
    }
    let regions: Vec<String> = if !regions.is_empty() {
        regions.to_vec()
    } else if !config.posture.regions.is_empty() {
        config.posture.regions.clone()
    } else {
        config.accounts.regions.clone()
    };
    let access = crate::context::access_settings(config);
    let bar = crate::progress::spinner(show_progress(cli), "accounts read");
    bar.set_length(accounts.len() as u64);
    let progress_bar = bar.clone();
    let read = parapet_aws::read_inventory(
        &aws_settings(config),
        &access,
        &accounts,
        &regions,
        now_ms(),
        Arc::new(move |done, _| progress_bar.set_position(done as u64)),
    )
    .context("reading the accounts' resources")?;
    bar.finish_and_clear();
    Ok(read)
}

/// Score rows for the store: the organisation, each OU, each account.
fn score_rows(scores: &Scores) -> Vec<ScoreRow> {
    let row = |scope: String, s: &Score| ScoreRow {
        day: 0,
        scope,
        passed: s.passed as i64,
        with_data: s.with_data as i64,
        percent: s.percent,
    };
    let mut rows = vec![row("organization".into(), &scores.organization)];
    rows.extend(scores.ous.iter().map(|(ou, s)| row(format!("ou:{ou}"), s)));
    rows.extend(
        scores
            .accounts
            .iter()
            .map(|(a, s)| row(format!("account:{a}"), s)),
    );
    rows
}

/// Lists that could not be read, as `account region: call: error` (the account's services are
/// reported by the baseline's own observations).
pub(crate) fn unread(inventories: &[AccountInventory]) -> Vec<String> {
    let mut out = Vec::new();
    for inv in inventories {
        let mut note = |region: &str, why: Option<&str>| {
            if let Some(why) = why {
                out.push(format!("{} {region}: {why}", inv.account_id));
            }
        };
        note("global", probe_error(&inv.iam));
        if probe_error(&inv.buckets) != probe_error(&inv.iam) {
            note("global", probe_error(&inv.buckets));
        }
        for r in &inv.regions {
            for why in [
                probe_error(&r.security_groups),
                probe_error(&r.instances),
                probe_error(&r.volumes),
                probe_error(&r.vpcs),
                probe_error(&r.db_instances),
                probe_error(&r.kms_keys),
                probe_error(&r.functions),
                probe_error(&r.load_balancers),
            ] {
                note(&r.region, why);
            }
        }
    }
    out
}

fn probe_error<T>(p: &parapet_model::baseline::Probe<T>) -> Option<&str> {
    match p {
        parapet_model::baseline::Probe::Failed(e) => Some(e),
        _ => None,
    }
}

fn name(directory: &AccountDirectory, id: AccountId) -> String {
    account_label(id.as_str(), directory.get(&id).map(|a| a.name.as_str()))
}

/// A scan's verdicts, scores, run and what changed, recorded with its findings.
pub(crate) struct Recorded {
    pub verdicts: Vec<Verdict>,
    pub scores: Scores,
    pub detections: usize,
    pub changes: parapet_posture::Diff,
    pub run: i64,
}

/// Judges `inventories`, records the scan (verdicts, the day's scores, findings) and queues
/// what the findings have to tell.
pub(crate) fn record(
    config: &Config,
    data: &DataDir,
    inventories: &[AccountInventory],
    directory: &AccountDirectory,
) -> Result<Recorded> {
    let time_ms = now_ms();
    let verdicts = parapet_posture::evaluate(inventories, &config.posture, time_ms);
    let scores = parapet_posture::scores(&verdicts, directory);
    let detections = parapet_posture::findings(&verdicts, directory, time_ms);
    let rules: Vec<String> = CHECKS.iter().map(|c| format!("posture.{}", c.id)).collect();
    let rules: Vec<&str> = rules.iter().map(String::as_str).collect();
    let accounts: Vec<AccountId> = inventories.iter().map(|i| i.account_id).collect();
    let rows = score_rows(&scores);
    let mut store = data.open_store().context("opening the state database")?;
    let run = store.record_posture(&PostureScan {
        time_ms,
        accounts: &accounts,
        verdicts: &verdicts,
        scores: &rows,
        detections: &detections,
        rules: &rules,
    })?;
    let (_, before) = store.posture_latest_runs()?;
    let before = match before {
        Some(b) => store.posture_verdicts(b.id)?,
        None => Vec::new(),
    };
    drop(store);
    let changes = parapet_posture::diff(&before, &verdicts);
    crate::cmd_notify::queue(data, config, directory)?;
    Ok(Recorded {
        verdicts,
        scores,
        detections: detections.len(),
        changes,
        run,
    })
}

fn scan(
    cli: &Cli,
    config: &Config,
    data: &DataDir,
    inventories: &[AccountInventory],
    access_errors: &[parapet_aws::AccessError],
    sessions: Option<parapet_aws::SessionStats>,
    json: bool,
) -> Result<ExitCode> {
    let directory = account_directory(data, config.accounts.csv.as_deref())?;
    let Recorded {
        verdicts,
        scores,
        detections,
        changes,
        run,
    } = record(config, data, inventories, &directory)?;
    let accounts: Vec<AccountId> = inventories.iter().map(|i| i.account_id).collect();
    let unread = unread(inventories);

    if json {
        let failures: Vec<&Verdict> = verdicts.iter().filter(|v| v.counts_as_failed()).collect();
        let exempt: Vec<&Verdict> = verdicts.iter().filter(|v| v.exempt).collect();
        let mut per_check: std::collections::BTreeMap<&str, [usize; 3]> = Default::default();
        for v in &verdicts {
            let slot = if v.exempt {
                2
            } else {
                usize::from(v.counts_as_failed())
            };
            per_check.entry(v.check.as_str()).or_default()[slot] += 1;
        }
        let per_check: serde_json::Map<String, serde_json::Value> = per_check
            .into_iter()
            .map(|(c, [p, f, e])| {
                (
                    c.to_string(),
                    serde_json::json!({"passed": p, "failed": f, "exempt": e}),
                )
            })
            .collect();
        let doc = serde_json::json!({
            "run": run,
            "accounts": accounts.len(),
            "checks": CHECKS.iter().filter(|c| !config.posture.disabled.iter().any(|d| d == c.id)).count(),
            "verdicts": verdicts.len(),
            "scores": scores,
            "failures": failures,
            "exempt": exempt,
            "per_check": per_check,
            "since_yesterday": changes,
            "findings": detections,
            "access_errors": access_errors,
            "unread": unread,
            "sessions": sessions,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print_scores(&scores, &directory);
        if !cli.quiet {
            eprintln!(
                "organisation score {}% ({} of {} checks with data pass everywhere); {} failures in {} accounts",
                scores.organization.percent,
                scores.organization.passed,
                scores.organization.with_data,
                verdicts.iter().filter(|v| v.counts_as_failed()).count(),
                accounts.len()
            );
            print_changes(&changes, &directory);
            for e in access_errors {
                eprintln!("  {e}");
            }
            for u in &unread {
                eprintln!("  not read: {u}");
            }
        }
    }
    Ok(if access_errors.is_empty() && unread.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

fn print_scores(scores: &Scores, directory: &AccountDirectory) {
    let mut rows = Vec::new();
    for (id, s) in &scores.accounts {
        let a = directory.get(id);
        rows.push(vec![
            id.to_string(),
            a.map(|a| a.name.clone()).unwrap_or_default(),
            a.map(|a| a.ou.clone()).unwrap_or_default(),
            format!("{}%", s.percent),
            format!("{}/{}", s.passed, s.with_data),
            s.failed_checks.join(" "),
        ]);
    }
    print_table(
        &["ACCOUNT", "NAME", "OU", "SCORE", "PASSED", "FAILING CHECKS"],
        &rows,
    );
}

/// "3 new failures in payments-prod (111…)", one line per account, then what was fixed.
fn print_changes(changes: &parapet_posture::Diff, directory: &AccountDirectory) {
    let per_account = |vs: &[Verdict]| {
        let mut m: std::collections::BTreeMap<AccountId, usize> = Default::default();
        for v in vs {
            *m.entry(v.account_id).or_default() += 1;
        }
        m
    };
    for (a, n) in per_account(&changes.new_failures) {
        eprintln!("  {n} new failure(s) in {}", name(directory, a));
    }
    for (a, n) in per_account(&changes.fixed) {
        eprintln!("  {n} fixed in {}", name(directory, a));
    }
}

fn show(config: &Config, data: &DataDir, account: Option<&str>, all: bool, json: bool) -> Result<ExitCode> {
    let directory = account_directory(data, config.accounts.csv.as_deref())?;
    let store = data.open_store().context("opening the state database")?;
    let (Some(latest), before) = store.posture_latest_runs()? else {
        bail!("no posture scan yet: run `parapet posture scan`");
    };
    let wanted = match account {
        Some(key) => Some(
            AccountId::parse(key)
                .or_else(|| {
                    directory
                        .accounts()
                        .into_iter()
                        .find(|a| a.name.eq_ignore_ascii_case(key))
                        .map(|a| a.id)
                })
                .with_context(|| format!("no account with id or name {key:?}"))?,
        ),
        None => None,
    };
    let verdicts: Vec<Verdict> = store
        .posture_verdicts(latest.id)?
        .into_iter()
        .filter(|v| wanted.is_none_or(|w| v.account_id == w))
        .collect();
    let before = match before {
        Some(b) => store.posture_verdicts(b.id)?,
        None => Vec::new(),
    };
    let changes = parapet_posture::diff(&before, &verdicts);
    let scores = parapet_posture::scores(&verdicts, &directory);
    let history = store.posture_scores("organization", 30)?;
    let shown: Vec<&Verdict> = verdicts.iter().filter(|v| all || v.counts_as_failed()).collect();
    if json {
        let doc = serde_json::json!({
            "run": latest,
            "scores": scores,
            "verdicts": shown,
            "since_yesterday": changes,
            "organization_history": history,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|v| {
            vec![
                name(&directory, v.account_id),
                v.region.clone().unwrap_or_else(|| "global".into()),
                v.check.clone(),
                if v.exempt {
                    "exempt".into()
                } else {
                    format!("{:?}", v.status).to_lowercase()
                },
                v.resource.clone(),
                v.reason.clone(),
            ]
        })
        .collect();
    print_table(
        &["ACCOUNT", "REGION", "CHECK", "STATUS", "RESOURCE", "WHY"],
        &rows,
    );
    eprintln!(
        "scan {} at {}: organisation score {}%",
        latest.id,
        parapet_model::time::format_rfc3339_secs(latest.time_ms),
        scores.organization.percent
    );
    print_changes(&changes, &directory);
    Ok(ExitCode::SUCCESS)
}
