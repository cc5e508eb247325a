//! `parapet accounts …`: sync the registry from Organizations (or a snapshot file), list and
//! show accounts, their history, and the baseline coverage read through assumed roles.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use parapet_config::Config;
use parapet_ingest::DataDir;
use parapet_model::baseline::Control;
use parapet_model::{AccountDirectory, AccountId, AccountStatus, OrgSnapshot};
use parapet_registry::{AccountChange, Observation, State};
use parapet_store::{BaselineRow, FindingFilter, HistoryEntry, RegisteredAccount, SyncInfo};

use crate::args::{AccountFilterArgs, AccountsArgs, AccountsCommand, Cli};
use crate::context::{aws_settings, data_dir, load_accounts, load_config, show_progress};
use crate::EXIT_PARTIAL;

pub fn run(cli: &Cli, args: &AccountsArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    match &args.command {
        AccountsCommand::Sync { from, json } => {
            let report = sync(&config, &data, from.as_deref())?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else if !cli.quiet {
                print_sync(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
        AccountsCommand::List { filter, json } => {
            let store = data.open_store()?;
            let accounts = select(&store.registry()?, filter)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&accounts)?);
            } else {
                print_accounts(&accounts);
            }
            Ok(ExitCode::SUCCESS)
        }
        AccountsCommand::Show { account, json } => show(&data, account, *json),
        AccountsCommand::History { account, json } => {
            let store = data.open_store()?;
            let id = match account {
                Some(a) => Some(find(&store.registry()?, a)?.account.id),
                None => None,
            };
            let history = store.account_history(id)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&history)?);
            } else {
                print_history(&history, &store.registry_directory()?);
            }
            Ok(ExitCode::SUCCESS)
        }
        AccountsCommand::Baseline {
            filter,
            regions,
            last,
            gaps,
            json,
        } => baseline(cli, &config, &data, filter, regions, *last, *gaps, *json),
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What a sync did.
#[derive(Debug, serde::Serialize)]
pub struct SyncReport {
    pub source: String,
    pub organization_id: String,
    pub management_account_id: String,
    pub accounts: usize,
    pub organizational_units: usize,
    pub delegated_administrators: Vec<parapet_model::DelegatedAdmin>,
    pub first_sync: bool,
    pub changes: Vec<AccountChange>,
    pub findings: Vec<parapet_model::Detection>,
}

/// Reads the organisation (AWS, or the snapshot file `from`), merges `accounts.csv`, records
/// the registry with its history and findings, and rewrites the lake's `accounts` table.
pub fn sync(config: &Config, data: &DataDir, from: Option<&Path>) -> Result<SyncReport> {
    let (snapshot, source) = match from {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let snapshot: OrgSnapshot = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{}: not an organisation snapshot (expected the JSON `parapet simulate` writes in organization.json)",
                    path.display()
                )
            })?;
            (snapshot, path.display().to_string())
        }
        None => (
            parapet_aws::read_organization(&aws_settings(config)).context("reading AWS Organizations")?,
            "organizations".to_string(),
        ),
    };
    let overrides = load_accounts(config.accounts.csv.as_deref())?;
    let accounts = parapet_registry::apply_overrides(
        parapet_registry::accounts_from_snapshot(&snapshot, &config.accounts.tag_keys),
        &overrides,
    );
    let mut store = data.open_store()?;
    let first_sync = store.last_sync()?.is_none();
    let prev: Vec<_> = store
        .registry()?
        .into_iter()
        .filter(|r| r.removed_ms.is_none())
        .map(|r| r.account)
        .collect();
    let changes = parapet_registry::diff(&prev, &accounts, first_sync);
    let time_ms = now_ms();
    let findings = parapet_registry::detections(&changes, &accounts, &prev, time_ms);
    let history: Vec<HistoryEntry> = changes
        .iter()
        .map(|c| HistoryEntry {
            time_ms,
            account_id: c.account_id,
            change: c.kind.as_str().to_string(),
            from: c.from.clone(),
            to: c.to.clone(),
        })
        .collect();
    let info = SyncInfo {
        time_ms,
        source: source.clone(),
        organization_id: snapshot.organization.id.clone(),
    };
    store.record_sync(
        &info,
        &accounts,
        &history,
        &findings,
        &[parapet_registry::changes::OWNER_MISSING_RULE],
    )?;
    let lake_rows: Vec<_> = store
        .registry()?
        .into_iter()
        .map(|r| (r.account, r.removed_ms.is_some()))
        .collect();
    parapet_lake::accounts::write_snapshot(&data.lake_root(), &lake_rows)?;
    Ok(SyncReport {
        source,
        organization_id: snapshot.organization.id.clone(),
        management_account_id: snapshot.organization.management_account_id.to_string(),
        accounts: accounts.len(),
        organizational_units: snapshot.organizational_units.len(),
        delegated_administrators: snapshot.delegated_administrators.clone(),
        first_sync,
        changes,
        findings,
    })
}

fn print_sync(r: &SyncReport) {
    eprintln!(
        "synced {} accounts in {} OUs of {} from {}",
        r.accounts, r.organizational_units, r.organization_id, r.source
    );
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for c in &r.changes {
        *counts.entry(c.kind.as_str()).or_default() += 1;
    }
    if !counts.is_empty() {
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!("changes: {}", parts.join(", "));
    }
    for f in &r.findings {
        eprintln!("  [{}] {}: {}", f.severity, f.title, f.summary);
    }
}

/// The registered account named by `key` (an id, or a name without regard to case).
fn find<'a>(registry: &'a [RegisteredAccount], key: &str) -> Result<&'a RegisteredAccount> {
    if registry.is_empty() {
        bail!("the account registry is empty: run `parapet accounts sync` first");
    }
    registry
        .iter()
        .find(|r| r.account.id.as_str() == key)
        .or_else(|| registry.iter().find(|r| r.account.name.eq_ignore_ascii_case(key)))
        .with_context(|| format!("no account with id or name {key:?} in the registry"))
}

/// The ids of the registry's active accounts (still in the organisation) that `f` selects: the
/// accounts worth entering.
pub(crate) fn active_accounts(
    registry: &[RegisteredAccount],
    f: &AccountFilterArgs,
) -> Result<Vec<AccountId>> {
    Ok(select(registry, f)?
        .into_iter()
        .filter(|r| r.removed_ms.is_none() && r.account.status == AccountStatus::Active)
        .map(|r| r.account.id)
        .collect())
}

fn select(registry: &[RegisteredAccount], f: &AccountFilterArgs) -> Result<Vec<RegisteredAccount>> {
    let mut tags = Vec::new();
    for t in &f.tags {
        let (k, v) = t
            .split_once('=')
            .with_context(|| format!("--tag {t:?}: expected KEY=VALUE"))?;
        tags.push((k.to_string(), v.to_string()));
    }
    let status = match &f.status {
        Some(s) => Some(AccountStatus::parse(s).with_context(|| {
            format!("--status {s:?}: expected ACTIVE, SUSPENDED, PENDING_CLOSURE or CLOSED")
        })?),
        None => None,
    };
    let wanted: Vec<&RegisteredAccount> = f
        .accounts
        .iter()
        .map(|a| find(registry, a))
        .collect::<Result<_>>()?;
    let eq = |a: &str, b: &Option<String>| b.as_ref().is_none_or(|b| a.eq_ignore_ascii_case(b));
    Ok(registry
        .iter()
        .filter(|r| f.all || r.removed_ms.is_none())
        .filter(|r| wanted.is_empty() || wanted.iter().any(|w| w.account.id == r.account.id))
        .filter(|r| {
            f.ou.as_ref().is_none_or(|ou| {
                let ou = ou.trim_end_matches('/');
                r.account.ou == ou || r.account.ou.starts_with(&format!("{ou}/"))
            })
        })
        .filter(|r| eq(&r.account.team, &f.team) && eq(&r.account.env, &f.env))
        .filter(|r| status.is_none_or(|s| r.account.status == s))
        .filter(|r| {
            tags.iter().all(|(k, v)| {
                r.account
                    .tags
                    .iter()
                    .any(|(tk, tv)| tk.eq_ignore_ascii_case(k) && tv == v)
            })
        })
        .cloned()
        .collect())
}

/// Prints rows as aligned columns.
pub(crate) fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let mut line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        writeln!(out, "{}", padded.join("  ").trim_end())
    };
    // A reader that went away (`| head`) ends the table, quietly.
    if line(header.to_vec()).is_err() {
        return;
    }
    for r in rows {
        if line(r.iter().map(String::as_str).collect()).is_err() {
            return;
        }
    }
}

fn print_accounts(accounts: &[RegisteredAccount]) {
    let rows: Vec<Vec<String>> = accounts
        .iter()
        .map(|r| {
            let a = &r.account;
            let status = if r.removed_ms.is_some() {
                "LEFT".to_string()
            } else {
                a.status.to_string()
            };
            vec![
                a.id.to_string(),
                a.name.clone(),
                a.ou.clone(),
                a.team.clone(),
                a.env.clone(),
                a.owner.clone(),
                a.channel.clone(),
                status,
            ]
        })
        .collect();
    print_table(
        &["ID", "NAME", "OU", "TEAM", "ENV", "OWNER", "CHANNEL", "STATUS"],
        &rows,
    );
}

fn show(data: &DataDir, key: &str, json: bool) -> Result<ExitCode> {
    let store = data.open_store()?;
    let registry = store.registry()?;
    let r = find(&registry, key)?;
    let history = store.account_history(Some(r.account.id))?;
    let findings = store.findings(&FindingFilter {
        account_id: Some(r.account.id),
        statuses: vec!["new".into(), "acknowledged".into()],
        ..FindingFilter::default()
    })?;
    if json {
        let doc = serde_json::json!({"account": r, "history": history, "open_findings": findings});
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(ExitCode::SUCCESS);
    }
    let a = &r.account;
    let fields = [
        ("id", a.id.to_string()),
        ("name", a.name.clone()),
        (
            "status",
            if r.removed_ms.is_some() {
                "LEFT the organisation".into()
            } else {
                a.status.to_string()
            },
        ),
        ("ou", format!("{} ({})", a.ou, a.ou_id)),
        ("team", a.team.clone()),
        ("env", a.env.clone()),
        ("owner", a.owner.clone()),
        ("channel", a.channel.clone()),
        ("email", a.email.clone()),
    ];
    for (k, v) in fields {
        println!("{k:<8} {v}");
    }
    if !a.tags.is_empty() {
        let tags: Vec<String> = a.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("{:<8} {}", "tags", tags.join(", "));
    }
    if !history.is_empty() {
        println!("\nhistory:");
        print_history(&history, &AccountDirectory::default());
    }
    if !findings.is_empty() {
        println!("\nopen findings:");
        for f in &findings {
            println!("  [{}] {} ({}×): {}", f.severity, f.title, f.count, f.summary);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_history(history: &[HistoryEntry], names: &AccountDirectory) {
    let rows: Vec<Vec<String>> = history
        .iter()
        .map(|h| {
            let name = names
                .get(&h.account_id)
                .map(|a| a.name.clone())
                .unwrap_or_default();
            vec![
                parapet_model::time::format_rfc3339_secs(h.time_ms),
                h.account_id.to_string(),
                name,
                h.change.clone(),
                h.from.clone(),
                h.to.clone(),
            ]
        })
        .collect();
    print_table(&["TIME", "ACCOUNT", "NAME", "CHANGE", "FROM", "TO"], &rows);
}

#[allow(clippy::too_many_arguments)]
fn baseline(
    cli: &Cli,
    config: &Config,
    data: &DataDir,
    filter: &AccountFilterArgs,
    regions: &[String],
    last: bool,
    only_gaps: bool,
    json: bool,
) -> Result<ExitCode> {
    let mut store = data.open_store()?;
    let registry = store.registry()?;
    if registry.is_empty() {
        bail!("the account registry is empty: run `parapet accounts sync` first");
    }
    let directory = store.registry_directory()?;
    if last {
        let rows: Vec<BaselineRow> = store
            .baseline()?
            .into_iter()
            .filter(|r| !only_gaps || r.state != "on")
            .collect();
        if json {
            println!("{}", serde_json::to_string_pretty(&rows)?);
        } else {
            print_baseline_rows(&rows, &directory);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let accounts = active_accounts(&registry, filter)?;
    if accounts.is_empty() {
        bail!("no active account matches the filter");
    }
    let regions: Vec<String> = if regions.is_empty() {
        config.accounts.regions.clone()
    } else {
        regions.to_vec()
    };
    let required: Vec<Control> = config
        .accounts
        .baseline
        .required
        .iter()
        .filter_map(|c| Control::parse(c))
        .collect();
    let access = crate::context::access_settings(config);
    let bar = crate::progress::spinner(show_progress(cli), "accounts read");
    bar.set_length(accounts.len() as u64);
    let progress_bar = bar.clone();
    let read = parapet_aws::read_baseline(
        &aws_settings(config),
        &access,
        &accounts,
        &regions,
        &required,
        Arc::new(move |done, _| progress_bar.set_position(done as u64)),
    )
    .context("reading the baseline")?;
    bar.finish_and_clear();
    let observations = parapet_registry::evaluate(&read.facts, &required);
    let time_ms = now_ms();
    let findings = parapet_registry::gaps(&observations, &directory, time_ms);
    let row = |o: &Observation| BaselineRow {
        account_id: o.account_id,
        region: o.region.clone(),
        control: o.control.to_string(),
        state: o.state.as_str().to_string(),
        detail: o.detail.clone(),
        checked_ms: time_ms,
    };
    let rows: Vec<BaselineRow> = observations.iter().map(row).collect();
    let mut standing: Vec<String> = Control::ALL.iter().map(|c| format!("baseline.{c}")).collect();
    standing.push(parapet_registry::baseline::UNREADABLE_RULE.to_string());
    let standing: Vec<&str> = standing.iter().map(String::as_str).collect();
    store.record_baseline(&accounts, &rows, &findings, &standing, time_ms)?;

    let shown: Vec<&Observation> = observations
        .iter()
        .filter(|o| !only_gaps || o.state != State::On)
        .collect();
    if json {
        let doc = serde_json::json!({
            "accounts": accounts.len(),
            "regions": regions,
            "required": required,
            "sessions": read.sessions,
            "access_errors": read.access_errors,
            "observations": shown,
            "findings": findings,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        let rows: Vec<BaselineRow> = shown.iter().map(|o| row(o)).collect();
        print_baseline_rows(&rows, &directory);
        if !cli.quiet {
            let off = observations.iter().filter(|o| o.state == State::Off).count();
            eprintln!(
                "{} accounts × {} regions: {} of {} checks off, {} accounts could not be entered",
                accounts.len(),
                regions.len(),
                off,
                observations.len(),
                read.access_errors.len()
            );
            for e in &read.access_errors {
                eprintln!("  {e}");
            }
        }
    }
    Ok(
        if read.access_errors.is_empty() && observations.iter().all(|o| o.state != State::Unknown) {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(EXIT_PARTIAL)
        },
    )
}

fn print_baseline_rows(rows: &[BaselineRow], names: &AccountDirectory) {
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.account_id.to_string(),
                names
                    .get(&r.account_id)
                    .map(|a| a.name.clone())
                    .unwrap_or_default(),
                if r.region.is_empty() {
                    "(account)".into()
                } else {
                    r.region.clone()
                },
                r.control.clone(),
                r.state.clone(),
                r.detail.clone(),
            ]
        })
        .collect();
    print_table(
        &["ACCOUNT", "NAME", "REGION", "CONTROL", "STATE", "DETAIL"],
        &table,
    );
}
