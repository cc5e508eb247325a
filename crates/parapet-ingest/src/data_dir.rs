//! The data folder: the lake, the state database and the quarantine side by side, and the lock
//! that keeps two writers apart.
//!
//! ```text
//! <data>/lake/          Parquet lake (readable as-is by DuckDB, Athena, Spark…)
//! <data>/state.db       SQLite state (ledger, later findings, registry, outbox)
//! <data>/quarantine/    unreadable objects and rejected records, with reasons
//! <data>/lake.lock      held by the one process that writes the lake
//! ```

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use parapet_lake::Lake;
use parapet_store::Store;

use crate::{IngestError, Result};

#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

/// Held while a process writes the lake; released on drop (or by the OS when the process dies).
pub struct LakeLock {
    _file: File,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn lake_root(&self) -> PathBuf {
        self.root.join("lake")
    }

    pub fn state_path(&self) -> PathBuf {
        self.root.join("state.db")
    }

    pub fn quarantine_root(&self) -> PathBuf {
        self.root.join("quarantine")
    }

    fn create(&self) -> Result<()> {
        std::fs::create_dir_all(&self.root).map_err(|source| IngestError::Io {
            path: self.root.display().to_string(),
            source,
        })
    }

    pub fn open_lake(&self) -> Result<Lake> {
        self.create()?;
        Ok(Lake::open(&self.lake_root())?)
    }

    /// The ledger's view of the lake (see `parapet_lake::LakeFiles`): what a query may read
    /// while ingest or compaction writes.
    pub fn lake_snapshot(&self) -> parapet_lake::Snapshot {
        let state = self.state_path();
        parapet_lake::Snapshot::new(move || {
            Store::open(&state)
                .and_then(|s| s.readable_lake_files())
                .map(parapet_lake::LakeFiles::from_visible)
                .map_err(|e| e.to_string())
        })
    }

    /// A query session over the lake that reads through [`DataDir::lake_snapshot`].
    pub async fn lake_session(
        &self,
    ) -> std::result::Result<parapet_lake::LakeSession, parapet_lake::QueryError> {
        parapet_lake::LakeSession::open_with(&self.lake_root(), Some(self.lake_snapshot())).await
    }

    pub fn open_store(&self) -> Result<Store> {
        self.create()?;
        Ok(Store::open(&self.state_path())?)
    }

    /// Takes the writer lock without waiting.
    pub fn lock(&self) -> Result<LakeLock> {
        self.create()?;
        let path = self.root.join("lake.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| IngestError::Io {
                path: path.display().to_string(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(LakeLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(IngestError::Locked {
                path: path.display().to_string(),
            }),
            Err(std::fs::TryLockError::Error(source)) => Err(IngestError::Io {
                path: path.display().to_string(),
                source,
            }),
        }
    }
}
