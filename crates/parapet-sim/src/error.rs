//! The simulator's error type.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A configuration value is out of range; `field` names the `SimConfig` field.
    #[error("invalid simulator config: `{field}` {message}")]
    Config { field: &'static str, message: String },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("a simulator worker thread panicked")]
    Worker,
}

impl SimError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> SimError {
        SimError::Io {
            path: path.into(),
            source,
        }
    }
}
