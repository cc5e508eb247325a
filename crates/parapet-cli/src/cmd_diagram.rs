//! `parapet diagram`: an account's architecture, drawn from AWS Config's items in the lake or
//! from a live read through the account's role (`parapet_aws::read_network`), as SVG, PNG or
//! the model in JSON; `--save` stores each day's diagram with what changed.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use parapet_diagram::{build, render_svg, Item};

use crate::args::{Cli, DiagramArgs};
use crate::context::{account_directory, data_dir, load_config, show_progress};

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

/// Where a diagram's items come from.
pub(crate) struct Gathered {
    /// Account id → its items; with `--live`, every account read (an empty list draws an
    /// account without a network).
    pub by: BTreeMap<String, Vec<Item>>,
    /// What could not be read (accounts not entered, lists that failed).
    pub problems: Vec<String>,
    /// Accounts read only in part (a list failed): drawn, but not stored as the day's diagram,
    /// which would report what was not read as removed.
    pub incomplete: std::collections::BTreeSet<String>,
}

/// The items of `account` (id or name; every account when `None`), from the lake or live.
fn gather(
    cli: &Cli,
    config: &parapet_config::Config,
    data: &parapet_ingest::DataDir,
    args: &DiagramArgs,
) -> Result<Gathered> {
    if !args.live {
        let mut by = items_by_account(data, args.region.as_deref())?;
        if let Some(want) = &args.account {
            let directory = account_directory(data, config.accounts.csv.as_deref())?;
            let id = directory
                .accounts()
                .into_iter()
                .find(|a| a.name == *want || a.id.as_str() == want)
                .map(|a| a.id.as_str().to_string())
                .unwrap_or_else(|| want.clone());
            let Some(items) = by.remove(&id) else {
                bail!(
                    "account {want}: no AWS Config items in the lake for it{} (accounts with items: {}; --live reads it through its role)",
                    args.region
                        .as_deref()
                        .map(|r| format!(" in {r}"))
                        .unwrap_or_default(),
                    by.keys().cloned().collect::<Vec<_>>().join(", ")
                );
            };
            by = BTreeMap::from([(id, items)]);
        }
        return Ok(Gathered {
            by,
            problems: Vec::new(),
            incomplete: Default::default(),
        });
    }
    let registry = data.open_store()?.registry()?;
    if registry.is_empty() {
        bail!("--live reads the registry's accounts: run `parapet accounts sync` first");
    }
    let filter = crate::args::AccountFilterArgs {
        accounts: args.account.iter().cloned().collect(),
        ..crate::args::AccountFilterArgs::default()
    };
    let accounts = crate::cmd_accounts::active_accounts(&registry, &filter)?;
    if accounts.is_empty() {
        bail!("no active account to read");
    }
    let regions: Vec<String> = match &args.region {
        Some(r) => vec![r.clone()],
        None => config.accounts.regions.clone(),
    };
    if regions.is_empty() {
        bail!("--live needs a region: --region R, or `accounts.regions` in the config");
    }
    let bar = crate::progress::spinner(show_progress(cli), "accounts read");
    bar.set_length(accounts.len() as u64);
    let progress_bar = bar.clone();
    let read = parapet_aws::read_network(
        &crate::context::aws_settings(config),
        &crate::context::access_settings(config),
        &accounts,
        &regions,
        parapet_ingest::now_ms(),
        std::sync::Arc::new(move |done, _| progress_bar.set_position(done as u64)),
    )
    .context("reading the accounts' networks")?;
    bar.finish_and_clear();
    let mut problems: Vec<String> = read.access_errors.iter().map(|e| e.to_string()).collect();
    let mut by = BTreeMap::new();
    let mut incomplete = std::collections::BTreeSet::new();
    for account in read.accounts {
        let id = account.account_id.as_str().to_string();
        problems.extend(account.unread.iter().map(|u| format!("account {id} {u}")));
        if !account.unread.is_empty() {
            incomplete.insert(id.clone());
        }
        by.insert(
            id,
            account.items.iter().filter_map(Item::from_config_item).collect(),
        );
    }
    Ok(Gathered {
        by,
        problems,
        incomplete,
    })
}

/// "name (id)", or the id alone.
fn label(directory: &parapet_model::AccountDirectory, id: &str) -> String {
    directory
        .get_str(id)
        .filter(|a| !a.name.is_empty())
        .map(|a| format!("{} ({id})", a.name))
        .unwrap_or_else(|| id.to_string())
}

/// Every account with Config items in the lake, as `parapet run` draws them daily.
pub(crate) fn lake_items(data: &parapet_ingest::DataDir) -> Result<BTreeMap<String, Vec<Item>>> {
    items_by_account(data, None)
}

/// Draws every account of `by`, stores the diagrams under `day` (default today) with what
/// changed since each account's previous one, and returns (account, changes).
pub(crate) fn save_all(
    config: &parapet_config::Config,
    data: &parapet_ingest::DataDir,
    by: &BTreeMap<String, Vec<Item>>,
    day: Option<i64>,
) -> Result<Vec<(String, parapet_diagram::Changes)>> {
    let directory = account_directory(data, config.accounts.csv.as_deref())?;
    let now = parapet_ingest::now_ms();
    let today = day.unwrap_or_else(|| config.notify.timezone.local_day(now));
    let mut store = data.open_store().context("opening the state database")?;
    let mut out = Vec::new();
    for (id, items) in by {
        let d = build(&label(&directory, id), items);
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

/// The exit code once `problems` are reported: partial when something could not be read.
fn finish(cli: &Cli, problems: &[String]) -> ExitCode {
    if problems.is_empty() {
        return ExitCode::SUCCESS;
    }
    if !cli.quiet {
        for p in problems {
            eprintln!("not read: {p}");
        }
    }
    ExitCode::from(crate::EXIT_PARTIAL)
}

pub fn run(cli: &Cli, args: &DiagramArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    let mut gathered = gather(cli, &config, &data, args)?;
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
        gathered.by.retain(|id, _| !gathered.incomplete.contains(id));
        let saved = save_all(&config, &data, &gathered.by, day)?;
        if !cli.quiet {
            for id in &gathered.incomplete {
                eprintln!("account {id}: read in part, today's diagram not stored");
            }
        }
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
        return Ok(finish(cli, &gathered.problems));
    }
    let directory = account_directory(&data, config.accounts.csv.as_deref())?;
    let png = args.png
        || args
            .out
            .as_ref()
            .and_then(|p| p.extension())
            .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if png && args.json {
        bail!("--json writes the model, not a picture: drop --json or the .png name");
    }
    let renderer = png.then(parapet_diagram::PngRenderer::new);
    if let Some(r) = &renderer {
        if r.fonts() == 0 && !cli.quiet {
            eprintln!(
                "warning: no fonts found on this machine: the PNG has boxes but no labels (the SVG has both)"
            );
        }
    }
    let draw = |id: &str, items: &[Item]| -> Result<Vec<u8>> {
        let d = build(&label(&directory, id), items);
        Ok(match &renderer {
            _ if args.json => serde_json::to_string_pretty(&d)?.into_bytes(),
            Some(r) => r
                .render(&render_svg(&d), 2.0)
                .with_context(|| format!("drawing account {id} as PNG"))?,
            None => render_svg(&d).into_bytes(),
        })
    };
    match (&args.out_dir, args.account.is_some()) {
        (Some(dir), _) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let ext = match (args.json, png) {
                (true, _) => "json",
                (_, true) => "png",
                _ => "svg",
            };
            for (id, items) in &gathered.by {
                let path = dir.join(format!("{id}.{ext}"));
                std::fs::write(&path, draw(id, items)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if !cli.quiet {
                eprintln!("{} diagram(s) in {}", gathered.by.len(), dir.display());
            }
        }
        (None, true) => {
            let Some((id, items)) = gathered.by.iter().next() else {
                bail!(
                    "account {}: nothing was read",
                    args.account.as_deref().unwrap_or_default()
                );
            };
            let out = draw(id, items)?;
            match &args.out {
                Some(path) => {
                    std::fs::write(path, out).with_context(|| format!("writing {}", path.display()))?
                }
                None => {
                    use std::io::Write as _;
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(&out)?;
                    if !png {
                        stdout.write_all(b"\n")?;
                    }
                }
            }
        }
        (None, false) => {
            bail!("name an account (--account ID|NAME) or a folder for all of them (--out-dir DIR)")
        }
    }
    Ok(finish(cli, &gathered.problems))
}
