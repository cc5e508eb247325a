//! Where every generator's files go: gzip'd into the simulated bucket folder, creating folders
//! once, counting the bytes written.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::error::SimError;
use crate::gzip::Gzip;

pub(crate) struct FileSink<'a> {
    root: &'a Path,
    gzip: Gzip,
    gz: Vec<u8>,
    dirs: BTreeSet<PathBuf>,
    /// Bytes written so far (compressed where gzip'd).
    pub bytes: u64,
}

impl<'a> FileSink<'a> {
    /// A sink writing keys under `root` (the `logs/` folder, the bucket's root).
    pub(crate) fn new(root: &'a Path) -> FileSink<'a> {
        FileSink {
            root,
            gzip: Gzip::new(),
            gz: Vec::with_capacity(1 << 18),
            dirs: BTreeSet::new(),
            bytes: 0,
        }
    }

    /// The file a key is written to (for error messages).
    pub(crate) fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    fn make_parent(&mut self, path: &Path) -> Result<(), SimError> {
        if let Some(dir) = path.parent() {
            if !self.dirs.contains(dir) {
                std::fs::create_dir_all(dir).map_err(|e| SimError::io(dir, e))?;
                self.dirs.insert(dir.to_path_buf());
            }
        }
        Ok(())
    }

    /// Writes `data` as it is to `key` (manifests).
    pub(crate) fn write(&mut self, key: &str, data: &[u8]) -> Result<(), SimError> {
        let path = self.root.join(key);
        self.make_parent(&path)?;
        std::fs::write(&path, data).map_err(|e| SimError::io(&path, e))?;
        self.bytes += data.len() as u64;
        Ok(())
    }

    /// Writes `data` gzip'd to `key` (the key names the `.gz` file).
    pub(crate) fn write_gz(&mut self, key: &str, data: &[u8]) -> Result<(), SimError> {
        let path = self.root.join(key);
        self.make_parent(&path)?;
        self.gzip
            .compress(data, &mut self.gz)
            .map_err(|e| SimError::io(&path, e))?;
        std::fs::write(&path, &self.gz).map_err(|e| SimError::io(&path, e))?;
        self.bytes += self.gz.len() as u64;
        Ok(())
    }
}
