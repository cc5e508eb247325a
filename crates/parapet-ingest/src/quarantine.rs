//! Quarantine: a copy of every object parapet could not read, and of every rejected record,
//! each with its reason, so nothing is lost and everything can be replayed after a fix.
//!
//! `<quarantine>/<source-id>/<key>`             the object's bytes, as read
//! `<quarantine>/<source-id>/<key>.reason.json` why, and where it came from
//! `<quarantine>/<source-id>/<key>.rejects.jsonl` rejected records of an otherwise good object

use std::path::{Path, PathBuf};

use parapet_sources::RecordReject;
use sha2::{Digest, Sha256};

use crate::{IngestError, Result};

/// Short, stable folder name for a source URI.
pub(crate) fn source_id(uri: &str) -> String {
    let digest = Sha256::digest(uri.as_bytes());
    hex::encode(&digest[..6])
}

/// A relative path for a key that cannot escape the quarantine folder.
fn safe_rel(key: &str) -> PathBuf {
    let mut p = PathBuf::new();
    for seg in key.split('/') {
        match seg {
            "" | "." => {}
            ".." => p.push("_up_"),
            s => p.push(s),
        }
    }
    if p.as_os_str().is_empty() {
        p.push("_object_");
    }
    p
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| IngestError::Io {
            path: dir.display().to_string(),
            source,
        })?;
    }
    std::fs::write(path, bytes).map_err(|source| IngestError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Saves an unreadable object and its reason; returns the path of the copy, relative to `root`.
pub(crate) fn quarantine_object(
    root: &Path,
    uri: &str,
    key: &str,
    bytes: Option<&[u8]>,
    reason: &str,
) -> Result<String> {
    let rel = Path::new(&source_id(uri)).join(safe_rel(key));
    let abs = root.join(&rel);
    if let Some(bytes) = bytes {
        write(&abs, bytes)?;
    }
    let note = serde_json::json!({ "source": uri, "key": key, "reason": reason });
    write(&with_suffix(&abs, ".reason.json"), note.to_string().as_bytes())?;
    Ok(rel.display().to_string())
}

/// Saves the rejected records of an object; returns the path, relative to `root`.
pub(crate) fn quarantine_rejects(
    root: &Path,
    uri: &str,
    key: &str,
    rejects: &[RecordReject],
) -> Result<String> {
    let rel = with_suffix(&Path::new(&source_id(uri)).join(safe_rel(key)), ".rejects.jsonl");
    let mut text = String::new();
    for r in rejects {
        let line = serde_json::json!({ "source": uri, "key": key, "index": r.index, "reason": r.reason, "raw": r.raw });
        text.push_str(&line.to_string());
        text.push('\n');
    }
    write(&root.join(&rel), text.as_bytes())?;
    Ok(rel.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape() {
        assert_eq!(
            safe_rel("../../etc/passwd"),
            PathBuf::from("_up_/_up_/etc/passwd")
        );
        assert_eq!(safe_rel("/a//b/"), PathBuf::from("a/b"));
        assert_eq!(safe_rel(""), PathBuf::from("_object_"));
    }
}
