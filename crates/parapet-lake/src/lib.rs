//! The lake: Parquet files laid out as Amazon Security Lake does
//! (`<table>/region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/*.parquet`), their Arrow schemas, the
//! writer, and the DataFusion session that queries them.
//!
//! This crate never calls AWS and never touches the state database: it writes files to a
//! staging area and moves them into place when told. The ingest crate decides when (after the
//! ledger commit), which is what makes ingest exactly-once.

pub mod accounts;
pub mod cloudtrail;
pub mod cloudtrail_insight;
pub mod config_history;
pub mod cost;
pub mod dns;
pub mod finding;
pub mod flow;
pub mod flow_parquet;
pub mod health;
pub mod layout;
pub mod query;
mod snapshot;
pub mod table;
pub mod writer;

pub use flow_parquet::decode_flow_parquet;
pub use layout::{Lake, StagedFile};
pub use query::{LakeSession, OutputFormat, QueryError};
pub use snapshot::{LakeFiles, Snapshot};
pub use table::{Columns, Head, LakeRecord, RowContext, TableDef};
pub use writer::{for_each_batch, read_parquet, WriteOptions};

/// Arrow and Parquet, as DataFusion links them (one version in the whole build).
pub use datafusion::arrow;
pub use datafusion::parquet;

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("writing {path}: {message}")]
    Parquet { path: String, message: String },
    #[error("arrow: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
}

pub type Result<T, E = LakeError> = std::result::Result<T, E>;

/// The tables built from a [`TableDef`] (every table but `cloudtrail`).
pub static GENERIC_TABLES: &[&TableDef] = &[
    &cloudtrail_insight::CLOUDTRAIL_INSIGHTS,
    &config_history::CONFIG_HISTORY,
    &flow::VPC_FLOW,
    &dns::ROUTE53_RESOLVER,
    &finding::GUARDDUTY,
    &finding::SECURITYHUB,
    &health::HEALTH,
];

/// A table of the lake as the query layer sees it.
pub struct TableInfo {
    pub name: &'static str,
    pub class_uid: i32,
    pub description: &'static str,
    pub schema: arrow::datatypes::SchemaRef,
    pub aliases: &'static [(&'static str, &'static str)],
    pub views: &'static [(&'static str, &'static str)],
}

/// Every table parapet writes.
pub fn catalog() -> Vec<TableInfo> {
    let mut tables = vec![TableInfo {
        name: cloudtrail::TABLE,
        class_uid: parapet_model::activity::API_ACTIVITY_CLASS_UID,
        description: "CloudTrail management, data and network activity events (OCSF API Activity)",
        schema: cloudtrail::schema(),
        aliases: cloudtrail::NATIVE_ALIASES,
        views: &[],
    }];
    tables.extend(GENERIC_TABLES.iter().map(|t| TableInfo {
        name: t.name,
        class_uid: t.class_uid,
        description: t.description,
        schema: t.schema(),
        aliases: t.aliases,
        views: t.views,
    }));
    tables
}

/// The table called `name`.
pub fn table_def(name: &str) -> Option<&'static TableDef> {
    GENERIC_TABLES.iter().copied().find(|t| t.name == name)
}
