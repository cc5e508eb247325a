//! SQL over the lake with DataFusion: each table registered by name with its explicit schema
//! and partition columns (never inferred), read-only.
//!
//! Two names per table: `<table>_ocsf` is the files as written; `<table>` is a view over it
//! that adds lower-case partition columns (`region`, `accountid`, `eventday`) and the native
//! CloudTrail names people already know (`eventname`, `sourceipaddress`, …). DataFusion folds
//! unquoted identifiers to lower case, so `SELECT eventName FROM cloudtrail` works as typed.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};
use datafusion::execution::object_store::ObjectStoreUrl;

use crate::snapshot::{Snapshot, SnapshotStore};

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
    root: std::path::PathBuf,
    snapshot: Option<Snapshot>,
    /// Replaced by a fresh one when a query lost a race with a writer.
    ctx: Mutex<SessionContext>,
}

/// How many times a query that lost a race with a writer (a file it was to read is gone) is
/// run again on a fresh view of the lake.
const RETRIES: u32 = 5;

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

/// A file listed for the query was deleted before it was read (compaction or a restated bill
/// replaced it).
fn lost_race(e: &QueryError) -> bool {
    matches!(e, QueryError::Sql(m) if m.contains("not found") && (m.contains("Object at location") || m.contains("No such file")))
}

fn read_only() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

impl LakeSession {
    /// Registers every table of the lake rooted at `root`, reading whatever files are there.
    /// Tools that write the lake themselves use [`LakeSession::open_with`] and their ledger.
    pub async fn open(root: &Path) -> Result<LakeSession, QueryError> {
        LakeSession::open_with(root, None).await
    }

    /// Registers every table of the lake rooted at `root`; with a `snapshot`, queries read the
    /// ledger's files only (never a file and the one replacing it), and a query that loses a
    /// race with a writer runs again on a fresh snapshot.
    pub async fn open_with(root: &Path, snapshot: Option<Snapshot>) -> Result<LakeSession, QueryError> {
        let ctx = context(root, snapshot.as_ref()).await?;
        Ok(LakeSession {
            root: root.to_path_buf(),
            snapshot,
            ctx: Mutex::new(ctx),
        })
    }

    fn current(&self) -> SessionContext {
        match self.ctx.lock() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// After a lost race: a new context on a new snapshot, after a pause that grows.
    async fn refresh(&self, attempt: u32) -> Result<(), QueryError> {
        // On the blocking pool: the caller's runtime may have no timer.
        let pause = std::time::Duration::from_millis(20 << attempt);
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(pause)).await;
        let fresh = context(&self.root, self.snapshot.as_ref()).await?;
        match self.ctx.lock() {
            Ok(mut c) => *c = fresh,
            Err(poisoned) => *poisoned.into_inner() = fresh,
        }
        tracing::debug!(
            attempt,
            "a query lost a race with a lake writer: running it again"
        );
        Ok(())
    }

    /// Runs one read-only statement and collects its result.
    pub async fn sql(&self, query: &str) -> Result<Vec<RecordBatch>, QueryError> {
        self.collect(query, None).await
    }

    /// Plans and collects `query` (at most `limit` rows), again on a fresh context when it lost
    /// a race with a writer.
    async fn collect(&self, query: &str, limit: Option<usize>) -> Result<Vec<RecordBatch>, QueryError> {
        let mut attempt = 0;
        loop {
            let ctx = self.current();
            let result = async {
                let mut df = ctx.sql_with_options(query, read_only()).await.map_err(df_err)?;
                if let Some(n) = limit {
                    df = df.limit(0, Some(n)).map_err(df_err)?;
                }
                df.collect().await.map_err(df_err)
            }
            .await;
            match result {
                Err(e) if attempt < RETRIES && lost_race(&e) => {
                    attempt += 1;
                    self.refresh(attempt).await?;
                }
                other => return other,
            }
        }
    }

    /// [`LakeSession::sql`] with at most `max_rows` rows; the flag says rows were left out.
    pub async fn sql_limited(
        &self,
        query: &str,
        max_rows: usize,
    ) -> Result<(Vec<RecordBatch>, bool), QueryError> {
        let mut batches = self.collect(query, Some(max_rows + 1)).await?;
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

    /// The session's DataFusion context (the current one: a lost race replaces it).
    pub fn context(&self) -> SessionContext {
        self.current()
    }
}

/// A context with every table registered, reading through `snapshot`'s view when there is one.
async fn context(root: &Path, snapshot: Option<&Snapshot>) -> Result<SessionContext, QueryError> {
    let config = SessionConfig::new()
        .with_information_schema(true)
        .with_target_partitions(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let ctx = SessionContext::new_with_config(config);
    let setup = |message: String| QueryError::Setup {
        path: root.display().to_string(),
        message,
    };
    if let Some(take) = snapshot {
        let files = take
            .take()
            .map_err(|e| setup(format!("reading the ledger's files: {e}")))?;
        std::fs::create_dir_all(root).map_err(|e| setup(e.to_string()))?;
        let root_url =
            ListingTableUrl::parse(format!("{}/", root.display())).map_err(|e| setup(e.to_string()))?;
        let local = ObjectStoreUrl::local_filesystem();
        let inner = ctx
            .runtime_env()
            .object_store(&local)
            .map_err(|e| setup(e.to_string()))?;
        ctx.register_object_store(
            local.as_ref(),
            Arc::new(SnapshotStore::new(inner, root_url.prefix().clone(), files)),
        );
    }
    register_accounts(&ctx, root).await.map_err(setup)?;
    register_cost(&ctx, root).await.map_err(setup)?;
    for table in crate::catalog() {
        register(&ctx, root, &table).await.map_err(setup)?;
    }
    Ok(ctx)
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
