//! `parapet diagram`: an account's architecture, drawn from AWS Config's items in the lake.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use parapet_diagram::{build, render_svg, Item};

use crate::args::{Cli, DiagramArgs};
use crate::context::{account_directory, data_dir, load_config};

/// The Config resource types a diagram draws.
const TYPES: &[&str] = &[
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::NatGateway",
    "AWS::EC2::TransitGatewayAttachment",
    "AWS::EC2::VPCPeeringConnection",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::Instance",
    "AWS::RDS::DBInstance",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::Lambda::Function",
];

/// Every account's items (latest state per resource), by account id.
fn items_by_account(
    data: &parapet_ingest::DataDir,
    region: Option<&str>,
) -> Result<BTreeMap<String, Vec<Item>>> {
    let types: Vec<String> = TYPES.iter().map(|t| format!("'{t}'")).collect();
    let mut sql = format!(
        "SELECT cloud_account_uid, cloud_region, resource_type, resource_uid, resource_arn, resource_tags, \
                configuration, supplementary_configuration \
         FROM config_inventory WHERE resource_type IN ({})",
        types.join(", ")
    );
    if let Some(r) = region {
        sql.push_str(&format!(" AND cloud_region = '{}'", r.replace('\'', "''")));
    }
    let mut out = Vec::new();
    crate::cmd_query::run_sql(data, &sql, parapet_lake::OutputFormat::Json, &mut out)
        .context("reading AWS Config's inventory from the lake (ingest Config snapshots or history first)")?;
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out).context("the lake's answer")?;
    let mut by: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for r in rows.iter().filter_map(parapet_posture::config_items::from_row) {
        by.entry(r.account_id.clone()).or_default().push(Item {
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            region: r.region,
            name: r.tags.get("Name").cloned(),
            configuration: r.configuration,
        });
    }
    Ok(by)
}

/// Draws every account with Config items, stores today's diagrams with what changed since each
/// account's previous one, and returns (account, changes) for those that changed or are new.
pub(crate) fn save_all(
    config: &parapet_config::Config,
    data: &parapet_ingest::DataDir,
    day: Option<i64>,
) -> Result<Vec<(String, parapet_diagram::Changes)>> {
    let directory = account_directory(data, config.accounts.csv.as_deref())?;
    let by = items_by_account(data, None)?;
    let now = parapet_ingest::now_ms();
    let today = day.unwrap_or_else(|| config.notify.timezone.local_day(now));
    let mut store = data.open_store().context("opening the state database")?;
    let mut out = Vec::new();
    for (id, items) in &by {
        let label = directory
            .get_str(id)
            .filter(|a| !a.name.is_empty())
            .map(|a| format!("{} ({id})", a.name))
            .unwrap_or_else(|| id.clone());
        let d = build(&label, items);
        let before = store
            .diagram(id, today - 1)?
            .and_then(|row| serde_json::from_str::<parapet_diagram::Diagram>(&row.model).ok());
        let changes = match &before {
            Some(b) => parapet_diagram::changes(b, &d),
            None => parapet_diagram::changes(&parapet_diagram::Diagram::default(), &d),
        };
        store.record_diagram(&parapet_store::DiagramRow {
            account_id: id.clone(),
            day: today,
            model: serde_json::to_string(&d)?,
            svg: render_svg(&d),
            changes: serde_json::to_string(&changes)?,
            drawn_ms: now,
        })?;
        out.push((id.clone(), changes));
    }
    Ok(out)
}

pub fn run(cli: &Cli, args: &DiagramArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    if args.save {
        let day = args
            .day
            .as_deref()
            .map(|d| {
                parapet_model::cost::Day::parse(d)
                    .map(|d| d.0)
                    .with_context(|| format!("--day {d}: expected YYYY-MM-DD"))
            })
            .transpose()?;
        let saved = save_all(&config, &data, day)?;
        if args.json {
            let v: Vec<serde_json::Value> = saved
                .iter()
                .map(|(id, c)| serde_json::json!({"account_id": id, "changes": c}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            for (id, c) in &saved {
                println!("{id}: {}", c.summary());
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let directory = account_directory(&data, config.accounts.csv.as_deref())?;
    let by = items_by_account(&data, args.region.as_deref())?;
    let label = |id: &str| {
        directory
            .get_str(id)
            .filter(|a| !a.name.is_empty())
            .map(|a| format!("{} ({id})", a.name))
            .unwrap_or_else(|| id.to_string())
    };
    let draw = |id: &str, items: &[Item]| -> Result<String> {
        let d = build(&label(id), items);
        Ok(if args.json {
            serde_json::to_string_pretty(&d)?
        } else {
            render_svg(&d)
        })
    };
    match (&args.account, &args.out_dir) {
        (Some(want), _) => {
            let id = directory
                .accounts()
                .into_iter()
                .find(|a| a.name == *want || a.id.as_str() == want)
                .map(|a| a.id.as_str().to_string())
                .unwrap_or_else(|| want.clone());
            let Some(items) = by.get(&id) else {
                bail!(
                    "account {want}: no AWS Config items in the lake for it{} (accounts with items: {})",
                    args.region
                        .as_deref()
                        .map(|r| format!(" in {r}"))
                        .unwrap_or_default(),
                    by.keys().cloned().collect::<Vec<_>>().join(", ")
                );
            };
            let out = draw(&id, items)?;
            match &args.out {
                Some(path) => {
                    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))?
                }
                None => println!("{out}"),
            }
        }
        (None, Some(dir)) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for (id, items) in &by {
                let ext = if args.json { "json" } else { "svg" };
                let path = dir.join(format!("{id}.{ext}"));
                std::fs::write(&path, draw(id, items)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if !cli.quiet {
                eprintln!("{} diagram(s) in {}", by.len(), dir.display());
            }
        }
        (None, None) => {
            bail!("name an account (--account ID|NAME) or a folder for all of them (--out-dir DIR)")
        }
    }
    Ok(ExitCode::SUCCESS)
}
