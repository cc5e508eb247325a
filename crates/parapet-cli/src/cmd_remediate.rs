//! `parapet remediate`: scan, plan the playbooks' changes, apply the allowed ones, log and tell;
//! `undo`; `log`.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use parapet_config::Config;
use parapet_ingest::now_ms;
use parapet_model::account::account_label;
use parapet_model::remediation::{Action, Mode, PLAYBOOKS};
use parapet_model::{AccountDirectory, Detection, Severity};
use parapet_posture::remediation::{plan, ExposedKey, Planned};
use parapet_posture::Check;
use parapet_store::{RemediationEntry, RemediationRow};

use crate::args::{Cli, RemediateArgs, RemediateCommand, RemediateRun};
use crate::cmd_accounts::print_table;
use crate::context::{account_directory, aws_settings, data_dir, load_config};
use crate::EXIT_PARTIAL;

pub fn run(cli: &Cli, args: &RemediateArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    match &args.command {
        None => remediate(cli, &config, &args.run),
        Some(RemediateCommand::Undo { id, json }) => undo(cli, &config, *id, *json),
        Some(RemediateCommand::Log { limit, json }) => {
            let data = data_dir(cli, &config);
            let rows = data.open_store()?.remediations(*limit)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                let directory = account_directory(&data, config.accounts.csv.as_deref())?;
                print_log(&rows, &directory);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Who is making the change: the user running parapet.
fn person() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// A finding telling the account's team what parapet did (or failed to do), naming the undo.
fn told(
    a: &Action,
    id: i64,
    undo_of: Option<i64>,
    error: Option<&str>,
    directory: &AccountDirectory,
    time_ms: i64,
) -> Detection {
    let account = account_label(
        a.account_id.as_str(),
        directory.get(&a.account_id).map(|x| x.name.as_str()),
    );
    let what = a.change.describe();
    let check = Check::get(&a.check).map(|c| c.title).unwrap_or(a.check.as_str());
    let (rule, severity, title, summary, next_step) = match (undo_of, error) {
        (None, None) => (
            format!("remediation.{}", a.playbook),
            Severity::Medium,
            format!("parapet remediated: {check}"),
            format!("parapet did {what} in {account} ({}): {check}", a.check),
            format!(
                "Check with the owner that nothing needed it; `parapet remediate undo {id}` puts it back."
            ),
        ),
        (Some(of), None) => (
            "remediation.undone".to_string(),
            Severity::Low,
            format!("parapet undid remediation {of}"),
            format!("parapet reversed \"{what}\" in {account} (remediation {of})"),
            "The resource is as it was before the remediation; its posture check will fail again."
                .to_string(),
        ),
        (_, Some(e)) => (
            "remediation.failed".to_string(),
            Severity::High,
            format!("parapet could not remediate: {check}"),
            format!("parapet tried {what} in {account} and failed: {e}"),
            "Fix it by hand, or give the role what it lacks (the error names the call).".to_string(),
        ),
    };
    Detection {
        rule_id: rule,
        dedup_key: format!("remediation:{id}"),
        severity,
        title,
        account_id: Some(a.account_id),
        region: a.region.clone(),
        time_ms,
        summary,
        next_step,
        evidence: serde_json::json!({"remediation": id, "playbook": a.playbook, "resource": a.resource, "change": a.change})
            .to_string(),
    }
}

/// Access keys that open AWS Health findings say are exposed (their affected entities).
fn exposed_keys(data: &parapet_ingest::DataDir) -> Result<Vec<ExposedKey>> {
    let store = data.open_store().context("opening the state database")?;
    let filter = parapet_store::FindingFilter {
        rule_prefix: Some("health.AWS_RISK_CREDENTIALS_EXPOSED".into()),
        statuses: vec!["new".into(), "acknowledged".into()],
        ..parapet_store::FindingFilter::default()
    };
    let mut out = Vec::new();
    for f in store.findings(&filter)? {
        let Some(account_id) = f.account_id.as_deref().and_then(parapet_model::AccountId::parse) else {
            continue;
        };
        for key in f.evidence["affected"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
        {
            out.push(ExposedKey {
                account_id,
                key_id: key.to_string(),
                rule: f.rule_id.clone(),
            });
        }
    }
    Ok(out)
}

fn remediate(cli: &Cli, config: &Config, args: &RemediateRun) -> Result<ExitCode> {
    for p in &args.playbooks {
        if !PLAYBOOKS.contains(&p.as_str()) {
            bail!("--playbook {p}: expected one of {}", PLAYBOOKS.join(", "));
        }
    }
    let data = data_dir(cli, config);
    let read = crate::cmd_posture::read_live(cli, config, &data, &args.filter, &args.regions)?;
    let directory = account_directory(&data, config.accounts.csv.as_deref())?;
    let recorded = crate::cmd_posture::record(config, &data, &read.inventories, &directory)?;
    let exposed = exposed_keys(&data)?;
    let planned: Vec<Planned> = plan(
        &read.inventories,
        &recorded.verdicts,
        &exposed,
        &config.posture,
        &config.remediate,
        &directory,
    )
    .into_iter()
    .filter(|p| args.playbooks.is_empty() || args.playbooks.contains(&p.action.playbook))
    .collect();
    let applies = |p: &Planned| args.apply || p.mode == Mode::Auto;
    let to_apply: Vec<Action> = planned
        .iter()
        .filter(|p| applies(p))
        .map(|p| p.action.clone())
        .collect();
    let mut results = if to_apply.is_empty() {
        Vec::new()
    } else {
        parapet_aws::apply_actions(
            &aws_settings(config),
            &crate::context::access_settings(config),
            &to_apply,
            false,
        )
        .context("applying the remediations")?
    }
    .into_iter();
    let who = person();
    let entries: Vec<RemediationEntry> = planned
        .iter()
        .map(|p| {
            let (mode, result, error) = if applies(p) {
                match results.next() {
                    Some(Ok(())) => ("apply", "done", None),
                    Some(Err(e)) => ("apply", "failed", Some(e)),
                    None => ("apply", "failed", Some("not attempted".to_string())),
                }
            } else {
                ("dry-run", "planned", None)
            };
            RemediationEntry {
                action: p.action.clone(),
                who: if applies(p) && !args.apply {
                    format!("parapet (auto, run by {who})")
                } else {
                    who.clone()
                },
                mode: mode.into(),
                result: result.into(),
                error,
                undo_of: None,
            }
        })
        .collect();
    let time_ms = now_ms();
    let mut store = data.open_store().context("opening the state database")?;
    let ids = store.record_remediations(
        &entries,
        |ids| {
            entries
                .iter()
                .zip(ids)
                .filter(|(e, _)| e.result != "planned")
                .map(|(e, id)| told(&e.action, *id, None, e.error.as_deref(), &directory, time_ms))
                .collect()
        },
        time_ms,
    )?;
    drop(store);
    crate::cmd_notify::queue(&data, config, &directory)?;

    let failed = entries.iter().filter(|e| e.result == "failed").count();
    if args.json {
        let rows: Vec<serde_json::Value> = entries
            .iter()
            .zip(&ids)
            .map(|(e, id)| {
                serde_json::json!({
                    "id": id, "playbook": e.action.playbook, "check": e.action.check,
                    "account_id": e.action.account_id, "region": e.action.region, "resource": e.action.resource,
                    "change": e.action.change, "what": e.action.change.describe(),
                    "mode": e.mode, "result": e.result, "error": e.error,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "scan": recorded.run,
            "actions": rows,
            "done": entries.iter().filter(|e| e.result == "done").count(),
            "planned": entries.iter().filter(|e| e.result == "planned").count(),
            "failed": failed,
            "access_errors": read.access_errors,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        let store = data.open_store()?;
        let rows: Vec<RemediationRow> = ids
            .iter()
            .filter_map(|id| store.remediation(*id).ok().flatten())
            .collect();
        print_log(&rows, &directory);
        if !cli.quiet {
            eprintln!(
                "{} action(s): {} done, {} planned (dry run: --apply, or `auto` in [remediate.playbooks], makes them), {} failed",
                entries.len(),
                entries.iter().filter(|e| e.result == "done").count(),
                entries.iter().filter(|e| e.result == "planned").count(),
                failed
            );
        }
    }
    Ok(if failed == 0 && read.access_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

fn undo(cli: &Cli, config: &Config, id: i64, json: bool) -> Result<ExitCode> {
    let data = data_dir(cli, config);
    let store = data.open_store().context("opening the state database")?;
    let Some(row) = store.remediation(id)? else {
        bail!("no remediation {id} in the log (`parapet remediate log` lists them)");
    };
    if row.result != "done" || row.undo_of.is_some() {
        bail!(
            "remediation {id} cannot be undone: it is {} {}",
            row.result,
            if row.undo_of.is_some() {
                "(an undo itself)"
            } else {
                "(only a done change can be)"
            }
        );
    }
    if let Some(by) = row.undone_by {
        bail!("remediation {id} was already undone (by {by})");
    }
    let action = Action {
        playbook: row.playbook.clone(),
        check: row.check.clone(),
        account_id: row.account_id,
        region: row.region.clone(),
        resource: row.resource.clone(),
        change: row.change.clone(),
    };
    drop(store);
    let result = parapet_aws::apply_actions(
        &aws_settings(config),
        &crate::context::access_settings(config),
        std::slice::from_ref(&action),
        true,
    )
    .context("undoing the remediation")?
    .pop()
    .unwrap_or_else(|| Err("not attempted".into()));
    let directory = account_directory(&data, config.accounts.csv.as_deref())?;
    let error = result.err();
    let entry = RemediationEntry {
        action: action.clone(),
        who: person(),
        mode: "apply".into(),
        result: if error.is_none() { "done" } else { "failed" }.into(),
        error: error.clone(),
        undo_of: Some(id),
    };
    let time_ms = now_ms();
    let mut store = data.open_store()?;
    let ids = store.record_remediations(
        std::slice::from_ref(&entry),
        |ids| {
            ids.iter()
                .map(|new| told(&action, *new, Some(id), error.as_deref(), &directory, time_ms))
                .collect()
        },
        time_ms,
    )?;
    drop(store);
    crate::cmd_notify::queue(&data, config, &directory)?;
    if json {
        println!(
            "{}",
            serde_json::json!({"id": ids.first(), "undo_of": id, "result": entry.result, "error": error})
        );
    } else if !cli.quiet {
        match &error {
            None => eprintln!("undid remediation {id}: {}", action.change.describe()),
            Some(e) => eprintln!("could not undo remediation {id}: {e}"),
        }
    }
    Ok(if error.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

fn print_log(rows: &[RemediationRow], directory: &AccountDirectory) {
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let state = match (r.undone_by, r.undo_of) {
                (Some(by), _) => format!("{} (undone by {by})", r.result),
                (_, Some(of)) => format!("{} (undo of {of})", r.result),
                _ => r.result.clone(),
            };
            vec![
                r.id.to_string(),
                parapet_model::time::format_rfc3339_secs(r.time_ms),
                r.who.clone(),
                account_label(
                    r.account_id.as_str(),
                    directory.get(&r.account_id).map(|a| a.name.as_str()),
                ),
                r.playbook.clone(),
                state,
                r.change.describe(),
                r.error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_table(
        &[
            "ID", "TIME", "WHO", "ACCOUNT", "PLAYBOOK", "RESULT", "WHAT", "ERROR",
        ],
        &table,
    );
}
