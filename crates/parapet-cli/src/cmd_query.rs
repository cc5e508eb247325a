//! `parapet query`: read-only SQL over the lake.

use std::process::ExitCode;

use anyhow::Result;
use parapet_ingest::{recover, DataDir};
use parapet_lake::query::write_results;
use parapet_lake::OutputFormat;

use crate::args::{Cli, Format, QueryArgs};
use crate::context::{data_dir, load_config, runtime};

/// Finishes an interrupted publication when no writer is running, so queries see every
/// committed row. When a writer holds the lock it will do that itself.
pub fn settle(data: &DataDir) -> Result<()> {
    if let Ok(lock) = data.lock() {
        let lake = data.open_lake()?;
        let mut store = data.open_store()?;
        recover(&lake, &mut store, &lock)?;
    }
    Ok(())
}

pub fn run_sql(data: &DataDir, sql: &str, format: OutputFormat, out: &mut dyn std::io::Write) -> Result<()> {
    settle(data)?;
    let rt = runtime()?;
    let batches = rt.block_on(async {
        let session = data.lake_session().await?;
        session.sql(sql).await
    })?;
    write_results(out, &batches, format)?;
    Ok(())
}

pub fn run(cli: &Cli, args: &QueryArgs) -> Result<ExitCode> {
    let config = load_config(cli)?;
    let data = data_dir(cli, &config);
    let format = match args.format {
        Format::Table => OutputFormat::Table,
        Format::Csv => OutputFormat::Csv,
        Format::Json => OutputFormat::Json,
    };
    let stdout = std::io::stdout();
    run_sql(&data, &args.sql, format, &mut stdout.lock())?;
    Ok(ExitCode::SUCCESS)
}
