//! Report manifests: which files make up the current version of one report's billing period.
//!
//! AWS rewrites a billing period's files several times a day until the month is closed (and
//! again when it restates it), so a period is never appended to: the files its newest manifest
//! lists replace whatever was loaded for that report and period before.
//!
//! - Legacy CUR: `<prefix>/<report>/<YYYYMMDD>-<YYYYMMDD>/<report>-Manifest.json` with
//!   `assemblyId`, `billingPeriod.start` (`20240901T000000.000Z`), `reportKeys` (bucket keys).
//!   The copies inside each `<assemblyId>/` folder are history and are not read.
//! - Data Exports (CUR 2.0, FOCUS): `<prefix>/<export>/metadata/BILLING_PERIOD=YYYY-MM/…-Manifest.json`
//!   with `executionId` and `dataFiles` (`s3://bucket/key` URIs).

use crate::normalize::parse_time;

/// One report period's current files.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Manifest {
    /// The report: the key prefix before the period folder (`cur/parapet-cur`), stable across
    /// periods and versions.
    pub report: String,
    /// The folder holding the report's files (manifests, data, older versions), `/`-terminated;
    /// empty when the store starts at the report's own folder.
    pub folder: String,
    /// `YYYY-MM`.
    pub billing_period: String,
    /// The version: `assemblyId` or `executionId`.
    pub version: String,
    /// The data files, as keys of the bucket (or folder) the manifest came from.
    pub files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ManifestError {
    pub key: String,
    pub message: String,
}

/// What a manifest key is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestKind {
    /// A legacy CUR period manifest.
    Cur,
    /// A Data Exports (CUR 2.0 / FOCUS) manifest.
    Export,
    /// A legacy CUR assembly's own copy (history), or not a manifest at all.
    Other,
}

fn is_period_folder(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 17 && b[8] == b'-' && b.iter().enumerate().all(|(i, c)| i == 8 || c.is_ascii_digit())
}

/// Classifies a key by its place in the report layouts.
pub fn manifest_kind(key: &str) -> ManifestKind {
    if !key.ends_with("Manifest.json") {
        return ManifestKind::Other;
    }
    let parts: Vec<&str> = key.split('/').collect();
    let parent = parts.len().checked_sub(2).map(|i| parts[i]).unwrap_or("");
    if is_period_folder(parent) {
        return ManifestKind::Cur;
    }
    let in_metadata = parts.contains(&"metadata");
    if in_metadata && parts.iter().any(|p| p.starts_with("BILLING_PERIOD=")) {
        return ManifestKind::Export;
    }
    ManifestKind::Other
}

/// Reads a manifest. `listed` holds every key of the store, so that the bucket keys and URIs a
/// manifest names can be matched to the store's own keys (a folder or a prefix holds them
/// relative to where it starts).
pub fn parse_manifest(key: &str, bytes: &[u8], listed: &[String]) -> Result<Manifest, ManifestError> {
    let err = |message: String| ManifestError {
        key: key.to_string(),
        message,
    };
    let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| err(format!("not JSON ({e})")))?;
    let parts: Vec<&str> = key.split('/').collect();
    let text = |name: &str| v.get(name).and_then(|x| x.as_str()).map(str::to_string);
    let (report, period, version, names) = match manifest_kind(key) {
        ManifestKind::Cur => {
            let folder = parts.len() - 2;
            let report = parts[..folder].join("/");
            let start = v
                .pointer("/billingPeriod/start")
                .and_then(|x| x.as_str())
                .ok_or_else(|| err("no billingPeriod.start".into()))?;
            let ms = parse_time(start)
                .ok_or_else(|| err(format!("billingPeriod.start: `{start}` is not a time")))?;
            let version = text("assemblyId").ok_or_else(|| err("no assemblyId".into()))?;
            let keys = v
                .get("reportKeys")
                .and_then(|x| x.as_array())
                .ok_or_else(|| err("no reportKeys list".into()))?;
            let names: Vec<String> = keys
                .iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect();
            (
                report,
                parapet_model::cost::Day::from_ms(ms).month_label(),
                version,
                names,
            )
        }
        ManifestKind::Export => {
            let meta = parts
                .iter()
                .position(|p| *p == "metadata")
                .ok_or_else(|| err("not under metadata/".into()))?;
            let report = parts[..meta].join("/");
            let period = parts
                .iter()
                .find_map(|p| p.strip_prefix("BILLING_PERIOD="))
                .unwrap_or_default()
                .to_string();
            if period.len() != 7 {
                return Err(err(format!("BILLING_PERIOD=`{period}` is not YYYY-MM")));
            }
            let version = text("executionId").ok_or_else(|| err("no executionId".into()))?;
            let files = v
                .get("dataFiles")
                .and_then(|x| x.as_array())
                .ok_or_else(|| err("no dataFiles list".into()))?;
            let names: Vec<String> = files
                .iter()
                .filter_map(|k| k.as_str())
                .map(|uri| match uri.strip_prefix("s3://") {
                    Some(rest) => rest.split_once('/').map(|(_, k)| k).unwrap_or(rest).to_string(),
                    None => uri.to_string(),
                })
                .collect();
            (report, period, version, names)
        }
        ManifestKind::Other => return Err(err("not a report period's manifest".into())),
    };
    let folder = if report.is_empty() {
        String::new()
    } else {
        format!("{report}/")
    };
    // A store rooted at the report's own folder: the manifest's name is the report's.
    let report = if report.is_empty() {
        parts
            .last()
            .map(|n| {
                n.trim_end_matches(".json")
                    .trim_end_matches("Manifest")
                    .trim_end_matches('-')
            })
            .unwrap_or("report")
            .to_string()
    } else {
        report
    };
    let mut files = Vec::with_capacity(names.len());
    for name in names {
        files.push(
            resolve(&name, listed)
                .ok_or_else(|| err(format!("lists `{name}`, which is not in the bucket or folder")))?,
        );
    }
    Ok(Manifest {
        report,
        folder,
        billing_period: period,
        version,
        files,
    })
}

/// The listed key a bucket key names: the same, or one that ends it at a `/` (the store starts
/// below the bucket's root), or one it ends (the store is above it).
fn resolve(name: &str, listed: &[String]) -> Option<String> {
    if listed.iter().any(|k| k == name) {
        return Some(name.to_string());
    }
    listed
        .iter()
        .filter(|k| {
            (name.ends_with(k.as_str()) && name[..name.len() - k.len()].ends_with('/'))
                || (k.ends_with(name) && k[..k.len() - name.len()].ends_with('/'))
        })
        .max_by_key(|k| k.len())
        .cloned()
}

/// A report name safe as one lake partition value: its characters kept where they are letters,
/// digits, `-` or `_`, cut to 40, and a hash of the whole so two reports never share one.
pub fn report_slug(report: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in report.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let clean: String = report
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let clean = clean.trim_matches('-');
    let clean: String = clean
        .chars()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{}-{:08x}", clean.trim_matches('-'), hash as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_and_export_manifests() {
        assert_eq!(
            manifest_kind("cur/parapet-cur/20240901-20241001/parapet-cur-Manifest.json"),
            ManifestKind::Cur
        );
        assert_eq!(
            manifest_kind("cur/parapet-cur/20240901-20241001/abc-123/parapet-cur-Manifest.json"),
            ManifestKind::Other
        );
        assert_eq!(
            manifest_kind("x/focus/metadata/BILLING_PERIOD=2024-09/focus-Manifest.json"),
            ManifestKind::Export
        );
        let listed = vec![
            "cur/r/20240901-20241001/a1/r-1.csv.gz".to_string(),
            "focus/e/data/BILLING_PERIOD=2024-09/e-00001.parquet".to_string(),
        ];
        let legacy = br#"{"assemblyId":"a1","billingPeriod":{"start":"20240901T000000.000Z","end":"20241001T000000.000Z"},
            "reportKeys":["billing/cur/r/20240901-20241001/a1/r-1.csv.gz"]}"#;
        let m = parse_manifest("cur/r/20240901-20241001/r-Manifest.json", legacy, &listed).unwrap();
        assert_eq!((m.report.as_str(), m.folder.as_str()), ("cur/r", "cur/r/"));
        assert_eq!(m.billing_period, "2024-09");
        assert_eq!(m.files, vec![listed[0].clone()]);
        let export = br#"{"executionId":"e9","dataFiles":["s3://bkt/focus/e/data/BILLING_PERIOD=2024-09/e-00001.parquet"]}"#;
        let m = parse_manifest(
            "focus/e/metadata/BILLING_PERIOD=2024-09/e-Manifest.json",
            export,
            &listed,
        )
        .unwrap();
        assert_eq!((m.report.as_str(), m.version.as_str()), ("focus/e", "e9"));
        assert_eq!(m.files, vec![listed[1].clone()]);
        // A store rooted at the export's folder.
        let here = vec!["data/BILLING_PERIOD=2024-09/e-00001.parquet".to_string()];
        let m = parse_manifest("metadata/BILLING_PERIOD=2024-09/e-Manifest.json", export, &here).unwrap();
        assert_eq!((m.report.as_str(), m.folder.as_str()), ("e", ""));
        assert_eq!(m.files, here);
        let missing = br#"{"executionId":"e9","dataFiles":["s3://bkt/focus/e/data/BILLING_PERIOD=2024-09/gone.parquet"]}"#;
        let e = parse_manifest(
            "focus/e/metadata/BILLING_PERIOD=2024-09/e-Manifest.json",
            missing,
            &listed,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("gone.parquet`, which is not in the bucket"),
            "{e}"
        );
        assert_eq!(report_slug("cur/parapet-cur").len(), "cur-parapet-cur".len() + 9);
        assert_ne!(report_slug("a/b"), report_slug("a-b"));
    }
}
