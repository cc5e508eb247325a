//! Helpers shared by the integration tests: run a small simulation, walk and read its output.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use parapet_sim::{simulate, SimConfig, SimSummary};

pub fn small(accounts: usize, days: u32, events: u32, seed: u64) -> SimConfig {
    SimConfig {
        accounts,
        days,
        seed,
        events_per_account_day: events,
        ..SimConfig::default()
    }
}

pub fn run(cfg: &SimConfig) -> (tempfile::TempDir, SimSummary) {
    let dir = tempfile::tempdir().unwrap();
    let summary = simulate(cfg, dir.path(), &|_| {}).unwrap();
    (dir, summary)
}

/// Every file under `dir`, relative to it, with `/` separators, sorted.
pub fn files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel: PathBuf = path.strip_prefix(base).unwrap().to_path_buf();
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

pub fn gunzip(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A parsed log-file key `<org>/AWSLogs/<org>/<acct>/CloudTrail/<region>/YYYY/MM/DD/<name>`.
#[derive(Debug, Clone)]
pub struct LogKey {
    pub key: String,
    pub account: String,
    pub region: String,
    /// Folder day, `YYYYMMDD`.
    pub day: String,
    /// File stamp, epoch seconds.
    pub stamp: i64,
    pub digest: bool,
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks the Control Tower key form strictly; `None` when the key does not match.
pub fn parse_key(key: &str) -> Option<LogKey> {
    let p: Vec<&str> = key.split('/').collect();
    if p.len() != 10 || p[1] != "AWSLogs" || p[0] != p[2] {
        return None;
    }
    let org = p[0];
    if !(org.len() == 12
        && org.starts_with("o-")
        && org[2..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
    {
        return None;
    }
    let (acct, kind, region) = (p[3], p[4], p[5]);
    if !digits(acct, 12) || acct.starts_with('0') {
        return None;
    }
    if !(digits(p[6], 4) && digits(p[7], 2) && digits(p[8], 2)) {
        return None;
    }
    let day = format!("{}{}{}", p[6], p[7], p[8]);
    let name = p[9].strip_suffix(".json.gz")?;
    let (digest, stamp_text) = match kind {
        "CloudTrail" => {
            let rest = name.strip_prefix(&format!("{acct}_CloudTrail_{region}_"))?;
            let (stamp, suffix) = rest.split_once('_')?;
            if suffix.len() != 16 || !suffix.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            // YYYYMMDDTHHmmZ
            if stamp.len() != 14 || &stamp[8..9] != "T" || !stamp.ends_with('Z') {
                return None;
            }
            (false, format!("{}00", &stamp[..13]))
        }
        "CloudTrail-Digest" => {
            let rest = name.strip_prefix(&format!(
                "{acct}_CloudTrail-Digest_{region}_aws-controltower-BaselineCloudTrail_{region}_"
            ))?;
            if rest.len() != 16 || &rest[8..9] != "T" || !rest.ends_with('Z') {
                return None;
            }
            (true, rest[..15].to_string())
        }
        _ => return None,
    };
    if !stamp_text.starts_with(&day) {
        return None;
    }
    let ms = parapet_model::time::parse_day(&stamp_text[..8])?;
    let hh: i64 = stamp_text[9..11].parse().ok()?;
    let mm: i64 = stamp_text[11..13].parse().ok()?;
    let ss: i64 = stamp_text[13..15].parse().ok()?;
    Some(LogKey {
        key: key.to_string(),
        account: acct.to_string(),
        region: region.to_string(),
        day,
        stamp: ms / 1000 + hh * 3600 + mm * 60 + ss,
        digest,
    })
}

/// Window start of a log file: the 5-minute window ending at its stamp (the day's last window
/// is stamped 23:59).
pub fn window_start(stamp: i64) -> i64 {
    (stamp - 60).div_euclid(300) * 300
}

/// Every record of the run by log key, parsed.
pub struct Logs {
    pub files: Vec<(LogKey, Vec<serde_json::Value>)>,
    pub digests: Vec<(LogKey, serde_json::Value, Vec<u8>)>,
    /// eventID → (account, record).
    pub by_id: BTreeMap<String, serde_json::Value>,
}

/// Every CloudTrail file and digest of the run (the other services' files are skipped).
pub fn read_logs(out: &Path) -> Logs {
    let root = out.join("logs");
    let mut files = Vec::new();
    let mut digests = Vec::new();
    let mut by_id = BTreeMap::new();
    for key in self::files(&root) {
        let service = key.split('/').nth(4).unwrap_or_default();
        if service != "CloudTrail" && service != "CloudTrail-Digest" {
            continue;
        }
        let parsed = parse_key(&key).unwrap_or_else(|| panic!("key does not follow the layout: {key}"));
        let raw = gunzip(&root.join(&key));
        let doc: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        if parsed.digest {
            digests.push((parsed, doc, raw));
            continue;
        }
        let records = doc["Records"].as_array().expect("{\"Records\":[…]}").clone();
        assert!(!records.is_empty(), "{key} is empty");
        for r in &records {
            let id = r["eventID"].as_str().unwrap().to_string();
            assert!(
                by_id.insert(id.clone(), r.clone()).is_none(),
                "eventID {id} repeats"
            );
        }
        files.push((parsed, records));
    }
    Logs {
        files,
        digests,
        by_id,
    }
}
