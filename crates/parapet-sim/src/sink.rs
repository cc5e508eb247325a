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
    /// Compressed bytes written so far.
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

    /// Writes `data` gzip'd to `key` (the key names the `.gz` file).
    pub(crate) fn write_gz(&mut self, key: &str, data: &[u8]) -> Result<(), SimError> {
        let path = self.root.join(key);
        if let Some(dir) = path.parent() {
            if !self.dirs.contains(dir) {
                std::fs::create_dir_all(dir).map_err(|e| SimError::io(dir, e))?;
                self.dirs.insert(dir.to_path_buf());
            }
        }
        self.gzip
            .compress(data, &mut self.gz)
            .map_err(|e| SimError::io(&path, e))?;
        std::fs::write(&path, &self.gz).map_err(|e| SimError::io(&path, e))?;
        self.bytes += self.gz.len() as u64;
        Ok(())
    }
}
