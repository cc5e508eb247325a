//! Loading what every command needs: the config, the data folder, the account directory.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use parapet_config::Config;
use parapet_ingest::DataDir;
use parapet_model::AccountDirectory;

use crate::args::Cli;

pub fn load_config(cli: &Cli) -> Result<Config> {
    let path = match &cli.config {
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from("parapet.toml")).filter(|p| p.exists()),
    };
    match path {
        Some(p) => Ok(Config::load(&p)?),
        None => Ok(Config::default()),
    }
}

pub fn data_dir(cli: &Cli, config: &Config) -> DataDir {
    DataDir::new(cli.data_dir.clone().unwrap_or_else(|| config.data.dir.clone()))
}

pub fn aws_settings(config: &Config) -> parapet_aws::AwsSettings {
    let a = &config.aws;
    parapet_aws::AwsSettings {
        region: a.region.clone(),
        endpoint_url: a.endpoint_url.clone(),
        profile: a.profile.clone(),
        force_path_style: a.force_path_style,
    }
}

/// How to enter member accounts (`[accounts]` role, external ID, session, concurrency).
pub fn access_settings(config: &Config) -> parapet_aws::AccessSettings {
    let a = &config.accounts;
    parapet_aws::AccessSettings {
        role_name: a.role_name.clone(),
        external_id: a.external_id.clone(),
        session_name: a.session_name.clone(),
        duration_secs: a.session_secs as i32,
        concurrency: a.concurrency,
    }
}

/// The accounts for enrichment: the registry (every account ever synced), with `csv` merged
/// on top (a non-empty field wins; accounts only in the file are added).
pub fn account_directory(data: &DataDir, csv: Option<&Path>) -> Result<AccountDirectory> {
    let overrides = load_accounts(csv)?;
    let registry = if data.state_path().exists() {
        data.open_store()?.registry_directory()?
    } else {
        AccountDirectory::default()
    };
    if registry.is_empty() {
        return Ok(overrides);
    }
    let merged =
        parapet_registry::apply_overrides(registry.accounts().into_iter().cloned().collect(), &overrides);
    Ok(AccountDirectory::new(merged))
}

pub fn load_accounts(path: Option<&Path>) -> Result<AccountDirectory> {
    let Some(path) = path else {
        return Ok(AccountDirectory::default());
    };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    AccountDirectory::from_csv(&text).with_context(|| format!("{}", path.display()))
}

/// Whether to draw progress bars: on a terminal, unless --quiet.
pub fn show_progress(cli: &Cli) -> bool {
    use std::io::IsTerminal;
    !cli.quiet && std::io::stderr().is_terminal()
}

/// A tokio runtime for the async parts (DataFusion).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
