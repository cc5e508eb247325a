//! Ingest: from an object store to the lake, exactly once per object, across crashes.
//!
//! The protocol (also in ARCHITECTURE.md):
//! 1. objects are decoded on worker threads into per-partition Arrow batches;
//! 2. at a checkpoint, every buffered partition is written to a *staged* file (`.tmp`, invisible
//!    to readers) and fsynced;
//! 3. one SQLite transaction records the checkpoint's objects, staged files and quarantine;
//! 4. staged files are renamed into place and the batch is marked published.
//!
//! A crash before 3 leaves only staged debris (deleted at the next start, the objects redone); a
//! crash after 3 is rolled forward by [`recover`] before anything else reads or writes the lake.

mod compact;
mod cost;
mod data_dir;
mod decode;
mod detect;
mod geoip;
mod live;
mod managed;
mod pipeline;
mod quarantine;
mod recover;

pub use compact::{compact, CompactOptions, CompactReport};
pub use cost::{ingest_cost, CostIngestOptions, CostIngestReport, FileReject, PeriodOutcome};
pub use data_dir::{DataDir, LakeLock};
pub use detect::{
    detect_lake, hunt_lake, now_ms, read_rule_files, DetectReport, Detector, DetectorSettings, HuntResult,
    Pending,
};
pub use geoip::GeoIp;
pub use live::{follow_queue, LiveBatch, LiveOptions, OpenBucket};
pub use pipeline::{ingest, IngestOptions, IngestReport, ProblemObject, Progress, SkipCount};
pub use recover::{recover, RecoveryReport};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Lake(#[from] parapet_lake::LakeError),
    #[error(transparent)]
    State(#[from] parapet_store::StoreError),
    #[error("listing {uri}: {source}")]
    List {
        uri: String,
        source: parapet_sources::StoreError,
    },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("another parapet process holds the lake lock {path}; wait for it to finish")]
    Locked { path: String },
    #[error("the ledger says {path} was committed, but neither its staged nor its final file exists; the lake has lost data (restore the file or re-ingest after `parapet lake forget`)")]
    LostFile { path: String },
    #[error("a worker thread panicked: {0}")]
    Worker(String),
    #[error("{path}: not a readable MaxMind GeoIP database (a GeoLite2 / GeoIP2 .mmdb file was expected): {message}")]
    GeoIp { path: String, message: String },
}

pub type Result<T, E = IngestError> = std::result::Result<T, E>;

/// The ledger's record of a file the lake staged.
pub(crate) fn file_record(staged: parapet_lake::StagedFile) -> parapet_store::FileRecord {
    parapet_store::FileRecord {
        table: staged.table,
        partition: staged.partition,
        path: staged.path,
        staged_path: staged.staged_path,
        rows: staged.rows,
        bytes: staged.bytes,
        min_time_ms: staged.min_time_ms,
        max_time_ms: staged.max_time_ms,
    }
}
