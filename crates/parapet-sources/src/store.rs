//! The object-store port: list and read log objects, wherever they are.

use std::path::{Path, PathBuf};

/// One object as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Key relative to the store's root, `/`-separated.
    pub key: String,
    pub size: u64,
    /// S3's ETag where the store has one.
    pub etag: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{location}: {message}")]
    Io { location: String, message: String },
    #[error("{location}: access denied: {message}")]
    AccessDenied { location: String, message: String },
    #[error("{location}: not found")]
    NotFound { location: String },
    #[error("{location}: object is {size} bytes, over the limit of {limit} (raise ingest.max_object_mb)")]
    TooLarge { location: String, size: u64, limit: u64 },
}

/// Lists and reads objects. Implementations are blocking; callers run them on worker threads.
pub trait ObjectStore: Send + Sync {
    /// A stable name for the store (`file:///abs/dir`, `s3://bucket/prefix`): the ingest ledger
    /// keys objects by it, so the same object read through two stores is two objects.
    fn uri(&self) -> &str;
    /// The name the ingest ledger knows this store's objects by. Stores whose keys are
    /// absolute (S3: the full key, whatever prefix is listed) return the root they are relative
    /// to, so a listing of a prefix and a notification naming the same key agree.
    fn ledger_name(&self) -> &str {
        self.uri()
    }
    /// Calls `visit` for every object under the root, in lexicographic key order.
    fn list(&self, visit: &mut dyn FnMut(ObjectMeta)) -> Result<(), StoreError>;
    /// Reads a whole object, refusing ones larger than `limit` bytes.
    fn get(&self, key: &str, limit: u64) -> Result<Vec<u8>, StoreError>;
}

/// A folder on the local disk (or a single file).
pub struct LocalDir {
    root: PathBuf,
    uri: String,
    single_file: bool,
}

impl LocalDir {
    pub fn open(path: &Path) -> Result<LocalDir, StoreError> {
        let root = std::fs::canonicalize(path).map_err(|e| io_error(path, e))?;
        let single_file = root.is_file();
        let uri = format!("file://{}", root.display());
        Ok(LocalDir {
            root,
            uri,
            single_file,
        })
    }

    fn path_of(&self, key: &str) -> Result<PathBuf, StoreError> {
        if self.single_file {
            return Ok(self.root.clone());
        }
        if key.split('/').any(|s| s == ".." || s.is_empty()) {
            return Err(StoreError::NotFound {
                location: key.to_string(),
            });
        }
        Ok(self.root.join(key))
    }
}

fn io_error(path: &Path, e: std::io::Error) -> StoreError {
    let location = path.display().to_string();
    match e.kind() {
        std::io::ErrorKind::NotFound => StoreError::NotFound { location },
        std::io::ErrorKind::PermissionDenied => StoreError::AccessDenied {
            location,
            message: e.to_string(),
        },
        _ => StoreError::Io {
            location,
            message: e.to_string(),
        },
    }
}

impl ObjectStore for LocalDir {
    fn uri(&self) -> &str {
        &self.uri
    }

    fn list(&self, visit: &mut dyn FnMut(ObjectMeta)) -> Result<(), StoreError> {
        if self.single_file {
            let md = std::fs::metadata(&self.root).map_err(|e| io_error(&self.root, e))?;
            let key = self
                .root
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            visit(ObjectMeta {
                key,
                size: md.len(),
                etag: None,
            });
            return Ok(());
        }
        let mut found = Vec::new();
        let mut stack = vec![(self.root.clone(), String::new())];
        while let Some((dir, prefix)) = stack.pop() {
            for entry in std::fs::read_dir(&dir).map_err(|e| io_error(&dir, e))? {
                let entry = entry.map_err(|e| io_error(&dir, e))?;
                let path = entry.path();
                let key = format!("{prefix}{}", entry.file_name().to_string_lossy());
                let ft = entry.file_type().map_err(|e| io_error(&path, e))?;
                if ft.is_dir() {
                    stack.push((path, format!("{key}/")));
                } else if ft.is_file() {
                    let md = entry.metadata().map_err(|e| io_error(&path, e))?;
                    found.push(ObjectMeta {
                        key,
                        size: md.len(),
                        etag: None,
                    });
                }
            }
        }
        found.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        for meta in found {
            visit(meta);
        }
        Ok(())
    }

    fn get(&self, key: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        let path = self.path_of(key)?;
        let md = std::fs::metadata(&path).map_err(|e| io_error(&path, e))?;
        if md.len() > limit {
            return Err(StoreError::TooLarge {
                location: path.display().to_string(),
                size: md.len(),
                limit,
            });
        }
        std::fs::read(&path).map_err(|e| io_error(&path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_file_once_and_reads_them() {
        let dir = std::env::temp_dir().join(format!("parapet-localdir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for f in ["b/2.json", "a/x/1.json", "a/0.json", "c.json"] {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
            std::fs::write(&p, f).expect("write");
        }
        let store = LocalDir::open(&dir).expect("opens");
        let mut keys = Vec::new();
        store.list(&mut |m| keys.push(m.key)).expect("lists");
        assert_eq!(keys, ["a/0.json", "a/x/1.json", "b/2.json", "c.json"]);
        assert_eq!(store.get("a/x/1.json", 100).expect("reads"), b"a/x/1.json");
        assert!(matches!(
            store.get("a/x/1.json", 3),
            Err(StoreError::TooLarge { .. })
        ));
        assert!(matches!(
            store.get("../etc/passwd", 100),
            Err(StoreError::NotFound { .. })
        ));
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
