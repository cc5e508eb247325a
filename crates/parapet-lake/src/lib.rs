//! The lake: Parquet files laid out as Amazon Security Lake does
//! (`<table>/region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/*.parquet`), their Arrow schemas, the
//! writer, and the DataFusion session that queries them.
//!
//! This crate never calls AWS and never touches the state database: it writes files to a
//! staging area and moves them into place when told. The ingest crate decides when (after the
//! ledger commit), which is what makes ingest exactly-once.

pub mod cloudtrail;
pub mod layout;
pub mod query;
pub mod writer;

pub use layout::{Lake, StagedFile};
pub use query::{LakeSession, OutputFormat, QueryError};
pub use writer::{read_parquet, WriteOptions};

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

/// The tables parapet writes, by name.
pub const TABLES: &[&str] = &[cloudtrail::TABLE];
