//! SQL over the lake with DataFusion: each table registered by name with its explicit schema
//! and partition columns (never inferred), read-only.
//!
//! Two names per table: `<table>_ocsf` is the files as written; `<table>` is a view over it
//! that adds lower-case partition columns (`region`, `accountid`, `eventday`) and the native
//! CloudTrail names people already know (`eventname`, `sourceipaddress`, …). DataFusion folds
//! unquoted identifiers to lower case, so `SELECT eventName FROM cloudtrail` works as typed.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};

use crate::TableInfo;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Sql(String),
    #[error("only reading queries are allowed here (SELECT, WITH, EXPLAIN, SHOW, DESCRIBE): {0}")]
    NotReadOnly(String),
    #[error("lake at {path}: {message}")]
    Setup { path: String, message: String },
    #[error("writing output: {0}")]
    Output(String),
}

/// Output formats of query results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

/// A DataFusion session with the lake's tables registered.
pub struct LakeSession {
    ctx: SessionContext,
}

fn df_err(e: DataFusionError) -> QueryError {
    let msg = e.to_string();
    if msg.contains("DDL not supported")
        || msg.contains("DML not supported")
        || msg.contains("Statement not supported")
    {
        QueryError::NotReadOnly(msg)
    } else {
        QueryError::Sql(msg)
    }
}

impl LakeSession {
    /// Registers every table of the lake rooted at `root`.
    pub async fn open(root: &Path) -> Result<LakeSession, QueryError> {
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_target_partitions(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
        let ctx = SessionContext::new_with_config(config);
        let setup = |message: String| QueryError::Setup {
            path: root.display().to_string(),
            message,
        };
        register_accounts(&ctx, root).await.map_err(setup)?;
        register_cost(&ctx, root).await.map_err(setup)?;
        for table in crate::catalog() {
            register(&ctx, root, &table).await.map_err(setup)?;
        }
        Ok(LakeSession { ctx })
    }

    /// Runs one read-only statement and collects its result.
    pub async fn sql(&self, query: &str) -> Result<Vec<RecordBatch>, QueryError> {
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let df = self.ctx.sql_with_options(query, options).await.map_err(df_err)?;
        df.collect().await.map_err(df_err)
    }

    /// [`LakeSession::sql`] with at most `max_rows` rows; the flag says rows were left out.
    pub async fn sql_limited(
        &self,
        query: &str,
        max_rows: usize,
    ) -> Result<(Vec<RecordBatch>, bool), QueryError> {
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        let df = self.ctx.sql_with_options(query, options).await.map_err(df_err)?;
        let df = df.limit(0, Some(max_rows + 1)).map_err(df_err)?;
        let mut batches = df.collect().await.map_err(df_err)?;
        let mut left = max_rows;
        let mut truncated = false;
        for b in batches.iter_mut() {
            if b.num_rows() > left {
                *b = b.slice(0, left);
                truncated = true;
            }
            left -= b.num_rows();
        }
        batches.retain(|b| b.num_rows() > 0 || !truncated);
        Ok((batches, truncated))
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }
}

/// Registers `<name>_ocsf` (the files) and the view `<name>` over it, then the table's extra
/// views.
async fn register(ctx: &SessionContext, root: &Path, table: &TableInfo) -> Result<(), String> {
    let name = table.name;
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let url = ListingTableUrl::parse(format!("{}/", dir.display())).map_err(|e| e.to_string())?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(vec![
            ("region".to_string(), DataType::Utf8),
            ("accountId".to_string(), DataType::Utf8),
            ("eventDay".to_string(), DataType::Utf8),
        ]);
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(table.schema.clone());
    let listing = ListingTable::try_new(config).map_err(|e| e.to_string())?;
    let physical = format!("{name}_ocsf");
    ctx.register_table(physical.as_str(), Arc::new(listing))
        .map_err(|e| e.to_string())?;
    // The enrichment columns show the registry's current value, else the one frozen at ingest.
    let mut columns: Vec<String> = table
        .schema
        .fields()
        .iter()
        .map(|f| match f.name().strip_prefix("account_") {
            Some(field) if crate::accounts::FIELDS.contains(&field) => {
                format!(
                    "coalesce(account_field(\"accountId\", '{field}'), \"{0}\") AS \"{0}\"",
                    f.name()
                )
            }
            _ => format!("\"{}\"", f.name()),
        })
        .collect();
    columns.push("account_field(\"accountId\", 'channel') AS account_channel".into());
    columns.push("region".into());
    columns.push("\"accountId\" AS accountid".into());
    columns.push("\"eventDay\" AS eventday".into());
    for (alias, expr) in table.aliases {
        columns.push(format!("{expr} AS {alias}"));
    }
    let view = format!(
        "CREATE VIEW {name} AS SELECT {} FROM {physical}",
        columns.join(", ")
    );
    ctx.sql(&view).await.map_err(|e| format!("view {name}: {e}"))?;
    for (view_name, select) in table.views {
        let view = format!("CREATE VIEW {view_name} AS {select}");
        ctx.sql(&view)
            .await
            .map_err(|e| format!("view {view_name}: {e}"))?;
    }
    Ok(())
}

/// The registry snapshot as the table `accounts`, and `account_field(id, field)` over it.
async fn register_accounts(ctx: &SessionContext, root: &Path) -> Result<(), String> {
    let dir = root.join(crate::accounts::TABLE);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let url = ListingTableUrl::parse(format!("{}/", dir.display())).map_err(|e| e.to_string())?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(crate::accounts::schema());
    let listing = ListingTable::try_new(config).map_err(|e| e.to_string())?;
    ctx.register_table(crate::accounts::TABLE, Arc::new(listing))
        .map_err(|e| e.to_string())?;
    let known = crate::accounts::read_snapshot(root).map_err(|e| e.to_string())?;
    ctx.register_udf(datafusion::logical_expr::ScalarUDF::new_from_impl(
        crate::accounts::AccountField::new(known),
    ));
    Ok(())
}

/// Registers the bills' lines (`cost_lines`, partitioned by billing period and report) and the
/// view `cost` with the registry's names.
async fn register_cost(ctx: &SessionContext, root: &Path) -> Result<(), String> {
    let dir = root.join(crate::cost::TABLE);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let url = ListingTableUrl::parse(format!("{}/", dir.display())).map_err(|e| e.to_string())?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(vec![
            ("billingPeriod".to_string(), DataType::Utf8),
            ("report".to_string(), DataType::Utf8),
        ]);
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(crate::cost::schema());
    let listing = ListingTable::try_new(config).map_err(|e| e.to_string())?;
    ctx.register_table(crate::cost::PHYSICAL, Arc::new(listing))
        .map_err(|e| e.to_string())?;
    ctx.sql(&crate::cost::view_sql())
        .await
        .map_err(|e| format!("view cost: {e}"))?;
    Ok(())
}

/// Writes query results in the chosen format.
pub fn write_results(
    out: &mut dyn Write,
    batches: &[RecordBatch],
    format: OutputFormat,
) -> Result<(), QueryError> {
    let oerr = |e: &dyn std::fmt::Display| QueryError::Output(e.to_string());
    match format {
        OutputFormat::Table => {
            let table =
                datafusion::arrow::util::pretty::pretty_format_batches(batches).map_err(|e| oerr(&e))?;
            writeln!(out, "{table}").map_err(|e| oerr(&e))?;
        }
        OutputFormat::Csv => {
            let mut w = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            for b in batches {
                w.write(b).map_err(|e| oerr(&e))?;
            }
        }
        OutputFormat::Json => {
            let mut w = datafusion::arrow::json::ArrayWriter::new(&mut *out);
            let refs: Vec<&RecordBatch> = batches.iter().collect();
            w.write_batches(&refs).map_err(|e| oerr(&e))?;
            w.finish().map_err(|e| oerr(&e))?;
            if batches.iter().all(|b| b.num_rows() == 0) {
                // ArrayWriter writes nothing at all for zero rows; an empty array is still JSON.
                write!(out, "[]").map_err(|e| oerr(&e))?;
            }
            writeln!(out).map_err(|e| oerr(&e))?;
        }
    }
    Ok(())
}
