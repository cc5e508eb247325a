//! Loading bills into the lake's `cost` table.
//!
//! A store (the billing bucket, a prefix of it, or a folder) is listed once. Each report
//! period's current manifest ([`parapet_cost::manifest`]) names its files; a period whose
//! version the ledger already holds is skipped. A new version is read whole, written to one
//! staged file, and committed with the file it replaces and the new `cost_loads` row in one
//! transaction, then published: a period is never half-loaded or counted twice.
//!
//! Files no manifest covers (a CSV or Parquet export someone downloaded, the FOCUS sample) are
//! reports of their own, versioned by size and etag, one per billing period they hold.
//!
//! A file that cannot be read at all (not gzip, not a bill, a manifest naming a missing file)
//! leaves its period as it was and is reported with the reason; rows that cannot be read are
//! rejected with their line and reason while their neighbours load.

use std::collections::{BTreeMap, BTreeSet};

use parapet_cost::{
    manifest_kind, parse_manifest, report_slug, ManifestKind, ReadReport, RowReject, RowSink,
};
use parapet_lake::{Lake, WriteOptions};
use parapet_model::cost::{CostLine, Money};
use parapet_sources::{is_gzip, ObjectStore};
use parapet_store::{BatchCommit, CostLoad};

use crate::recover::recover;
use crate::{DataDir, IngestError, Result};

#[derive(Clone, Debug)]
pub struct CostIngestOptions {
    /// Reload periods whose version is already loaded.
    pub force: bool,
    /// Largest object read (compressed and decompressed).
    pub max_object_bytes: u64,
}

impl Default for CostIngestOptions {
    fn default() -> Self {
        CostIngestOptions {
            force: false,
            max_object_bytes: 2 << 30,
        }
    }
}

/// One report period's outcome.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PeriodOutcome {
    pub report: String,
    pub billing_period: String,
    pub version: String,
    /// `loaded`, `unchanged` or `failed`.
    pub status: &'static str,
    pub format: Option<String>,
    pub files: usize,
    pub lines: u64,
    pub rejected: u64,
    /// The unblended total of the lines loaded, exact.
    pub unblended: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The first rejected rows: (file, line, reason).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejects: Vec<FileReject>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileReject {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CostIngestReport {
    pub source: String,
    pub periods: Vec<PeriodOutcome>,
    /// Files that are neither bills nor manifests, or manifests that could not be read.
    pub problems: Vec<String>,
}

impl CostIngestReport {
    pub fn loaded(&self) -> usize {
        self.periods.iter().filter(|p| p.status == "loaded").count()
    }

    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
            && self
                .periods
                .iter()
                .all(|p| p.status != "failed" && p.rejected == 0)
    }
}

/// A unit of loading: one report's files for one billing period (`None`: a standalone file
/// whose periods come from its rows).
struct Unit {
    report: String,
    period: Option<String>,
    version: String,
    files: Vec<String>,
}

const BATCH_LINES: usize = 65_536;

/// Loads every new report period from `store` into the lake.
pub fn ingest_cost(
    data: &DataDir,
    store: &dyn ObjectStore,
    options: &CostIngestOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<CostIngestReport> {
    let lock = data.lock()?;
    let lake = data.open_lake()?;
    let mut ledger = data.open_store()?;
    recover(&lake, &mut ledger, &lock)?;
    let mut report = CostIngestReport {
        source: store.uri().to_string(),
        ..CostIngestReport::default()
    };
    let mut listed = Vec::new();
    store
        .list(&mut |m| listed.push(m))
        .map_err(|source| IngestError::List {
            uri: store.uri().to_string(),
            source,
        })?;
    let keys: Vec<String> = listed.iter().map(|m| m.key.clone()).collect();

    // Manifests first: the newest per report and period.
    let mut units: BTreeMap<(String, String), Unit> = BTreeMap::new();
    let mut report_prefixes: BTreeSet<String> = BTreeSet::new();
    for key in &keys {
        let kind = manifest_kind(key);
        if kind == ManifestKind::Other {
            continue;
        }
        let bytes = match store.get(key, 16 << 20) {
            Ok(b) => b,
            Err(e) => {
                report.problems.push(format!("{key}: {e}"));
                continue;
            }
        };
        match parse_manifest(key, &bytes, &keys) {
            Ok(m) => {
                report_prefixes.insert(m.folder.clone());
                // Keys are listed in order; with "create new" exports the later one wins.
                units.insert(
                    (m.report.clone(), m.billing_period.clone()),
                    Unit {
                        report: m.report,
                        period: Some(m.billing_period),
                        version: m.version,
                        files: m.files,
                    },
                );
            }
            Err(e) => {
                // The report's other keys are still its own, not standalone files.
                if let Some(prefix) = report_prefix_of(key, kind) {
                    report_prefixes.insert(prefix);
                }
                report.problems.push(e.to_string());
            }
        }
    }
    let mut work: Vec<Unit> = units.into_values().collect();
    for m in &listed {
        let key = &m.key;
        if manifest_kind(key) != ManifestKind::Other
            || key.ends_with("Manifest.json")
            || report_prefixes.iter().any(|p| key.starts_with(p.as_str()))
        {
            continue;
        }
        let lower = key.to_ascii_lowercase();
        let is_bill = [".csv", ".csv.gz", ".parquet", ".snappy.parquet", ".gz"]
            .iter()
            .any(|ext| lower.ends_with(ext));
        if !is_bill {
            if !lower.ends_with(".json") && !lower.ends_with(".yml") && !lower.ends_with(".sql") {
                report
                    .problems
                    .push(format!("{key}: skipped: not a CSV, gzip or Parquet file"));
            }
            continue;
        }
        // S3 gives an ETag; a folder does not, so its files are known by a digest of their
        // content (a same-size rewrite is a new version too).
        let version = match &m.etag {
            Some(etag) => format!("{}:{etag}", m.size),
            None => match store.get(key, options.max_object_bytes) {
                Ok(bytes) => {
                    use sha2::Digest;
                    let digest = sha2::Sha256::digest(&bytes);
                    format!("{}:sha256:{}", m.size, hex::encode(&digest[..12]))
                }
                Err(e) => {
                    report.problems.push(format!("{key}: {e}"));
                    continue;
                }
            },
        };
        work.push(Unit {
            report: key.clone(),
            period: None,
            version,
            files: vec![key.clone()],
        });
    }

    let total = work.len();
    for (done, unit) in work.into_iter().enumerate() {
        progress(done, total);
        if let Some(period) = &unit.period {
            if !options.force {
                if let Some(prev) = ledger.cost_load(&unit.report, period)? {
                    if prev.version == unit.version {
                        report.periods.push(PeriodOutcome {
                            report: unit.report.clone(),
                            billing_period: period.clone(),
                            version: unit.version.clone(),
                            status: "unchanged",
                            format: Some(prev.format),
                            files: unit.files.len(),
                            lines: prev.lines,
                            rejected: prev.rejected,
                            unblended: Some(prev.unblended),
                            error: None,
                            rejects: Vec::new(),
                        });
                        continue;
                    }
                }
            }
        } else if !options.force {
            // A standalone file: unchanged when every period it loaded has its version.
            let loads: Vec<CostLoad> = ledger
                .cost_loads()?
                .into_iter()
                .filter(|l| l.report == unit.report)
                .collect();
            if !loads.is_empty() && loads.iter().all(|l| l.version == unit.version) {
                for l in loads {
                    report.periods.push(PeriodOutcome {
                        report: l.report,
                        billing_period: l.billing_period,
                        version: l.version,
                        status: "unchanged",
                        format: Some(l.format),
                        files: 1,
                        lines: l.lines,
                        rejected: l.rejected,
                        unblended: Some(l.unblended),
                        error: None,
                        rejects: Vec::new(),
                    });
                }
                continue;
            }
        }
        let outcomes = load_unit(&unit, store, &lake, &mut ledger, options)?;
        report.periods.extend(outcomes);
    }
    progress(total, total);
    Ok(report)
}

fn report_prefix_of(key: &str, kind: ManifestKind) -> Option<String> {
    let parts: Vec<&str> = key.split('/').collect();
    let end = match kind {
        ManifestKind::Cur => parts.len().checked_sub(2)?,
        ManifestKind::Export => parts.iter().position(|p| *p == "metadata")?,
        ManifestKind::Other => return None,
    };
    let folder = parts[..end].join("/");
    Some(if folder.is_empty() {
        folder
    } else {
        format!("{folder}/")
    })
}

/// Lines of one period being gathered into record batches.
#[derive(Default)]
struct PeriodLines {
    batches: Vec<parapet_lake::arrow::array::RecordBatch>,
    pending: Vec<CostLine>,
    lines: u64,
    unblended: Money,
    format: Option<String>,
}

fn load_unit(
    unit: &Unit,
    store: &dyn ObjectStore,
    lake: &Lake,
    ledger: &mut parapet_store::Store,
    options: &CostIngestOptions,
) -> Result<Vec<PeriodOutcome>> {
    let mut periods: BTreeMap<String, PeriodLines> = BTreeMap::new();
    let mut rejected = 0u64;
    let mut rejects: Vec<FileReject> = Vec::new();
    let mut failure: Option<String> = None;
    let mut format: Option<String> = None;
    for file in &unit.files {
        let mut batch_error: Option<String> = None;
        let mut visit = |line: CostLine| {
            let p = periods.entry(line.billing_period.clone()).or_default();
            p.unblended += line.costs.unblended;
            p.lines += 1;
            p.pending.push(line);
            if p.pending.len() >= BATCH_LINES {
                match parapet_lake::cost::batch(&p.pending, file) {
                    Ok(b) => p.batches.push(b),
                    Err(e) => batch_error = Some(e.to_string()),
                }
                p.pending.clear();
            }
        };
        match read_bill(file, store, options, &mut visit) {
            Ok(r) => {
                if let Some(e) = batch_error {
                    failure = Some(format!("{file}: {e}"));
                    break;
                }
                format = r.format.map(|f| f.as_str().to_string()).or(format);
                rejected += r.rejected;
                rejects.extend(
                    r.rejects
                        .into_iter()
                        .map(|RowReject { line, reason }| FileReject {
                            file: file.clone(),
                            line,
                            reason,
                        }),
                );
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    rejects.truncate(parapet_cost::read::KEPT_REJECTS);
    let version = unit.version.clone();
    let outcome =
        |period: &str, status: &'static str, lines: u64, unblended: Option<String>, error: Option<String>| {
            PeriodOutcome {
                report: unit.report.clone(),
                billing_period: period.to_string(),
                version: version.clone(),
                status,
                format: format.clone(),
                files: unit.files.len(),
                lines,
                rejected,
                unblended,
                error,
                rejects: rejects.clone(),
            }
        };
    if let Some(error) = failure {
        let period = unit.period.clone().unwrap_or_else(|| "(all)".into());
        return Ok(vec![outcome(&period, "failed", 0, None, Some(error))]);
    }
    // A manifest's period is loaded even when empty (it replaces what was there).
    if let Some(p) = &unit.period {
        periods.entry(p.clone()).or_default();
    }
    let mut out = Vec::new();
    for (period, mut lines) in periods {
        if !lines.pending.is_empty() {
            let source = unit.files.first().map(String::as_str).unwrap_or("");
            lines
                .batches
                .push(parapet_lake::cost::batch(&lines.pending, source)?);
            lines.pending.clear();
        }
        lines.format = format.clone();
        let previous = ledger.cost_load(&unit.report, &period)?;
        let mut files = Vec::new();
        let mut lake_path = None;
        let mut staged_paths = None;
        if !lines.batches.is_empty() {
            let compact_period: String = period.chars().filter(char::is_ascii_digit).collect();
            let partition = format!(
                "billingPeriod={compact_period}/report={}",
                report_slug(&unit.report)
            );
            let staged = lake.stage_at(
                parapet_lake::cost::TABLE,
                &partition,
                &lines.batches,
                &WriteOptions::default(),
            )?;
            lake.sync_staging()?;
            lake_path = Some(staged.path.clone());
            staged_paths = Some((staged.staged_path.clone(), staged.path.clone()));
            files.push(crate::file_record(staged));
        }
        let replaces: Vec<String> = previous
            .as_ref()
            .and_then(|p| p.lake_path.clone())
            .into_iter()
            .collect();
        let load = CostLoad {
            report: unit.report.clone(),
            billing_period: period.clone(),
            version: version.clone(),
            format: lines.format.clone().unwrap_or_else(|| "unknown".into()),
            files: unit.files.clone(),
            lake_path,
            lines: lines.lines,
            rejected,
            unblended: lines.unblended.to_string(),
            loaded_ms: crate::now_ms(),
        };
        let commit = BatchCommit {
            kind: "cost".into(),
            objects: Vec::new(),
            files,
            replaces: replaces.clone(),
        };
        let id = ledger.commit_cost_load(&commit, &load)?;
        if let Some((staged, path)) = staged_paths {
            lake.publish(&staged, &path)?;
        }
        for old in &replaces {
            lake.remove(old)?;
        }
        ledger.mark_published(id)?;
        out.push(outcome(
            &period,
            "loaded",
            lines.lines,
            Some(lines.unblended.to_string()),
            None,
        ));
    }
    Ok(out)
}

/// Reads one bill file (CSV, gzip'd CSV or Parquet), every line to `visit`.
fn read_bill(
    key: &str,
    store: &dyn ObjectStore,
    options: &CostIngestOptions,
    visit: &mut dyn FnMut(CostLine),
) -> Result<ReadReport, String> {
    let bytes = store
        .get(key, options.max_object_bytes)
        .map_err(|e| e.to_string())?;
    if bytes.starts_with(b"PAR1") {
        let sink: std::cell::RefCell<Option<RowSink<'_>>> = std::cell::RefCell::new(None);
        let mut visit = Some(visit);
        parapet_lake::cost::parquet_rows(
            key,
            bytes.into(),
            &mut |names| {
                let v = visit.take().ok_or("a second header")?;
                let s = RowSink::new(key, names, v).map_err(|e| match e {
                    parapet_cost::ReadError::Header { source, .. } => source.to_string(),
                    other => other.to_string(),
                })?;
                *sink.borrow_mut() = Some(s);
                Ok(())
            },
            &mut |n, row| {
                if let Some(s) = sink.borrow_mut().as_mut() {
                    s.row(n, row);
                }
            },
        )
        .map_err(|e| e.to_string())?;
        return sink
            .into_inner()
            .map(RowSink::finish)
            .ok_or_else(|| format!("{key}: no header"));
    }
    if is_gzip(&bytes) {
        // Decompressed as it is read: a bill can be gigabytes of CSV.
        let limit = options.max_object_bytes;
        let mut reader = Limited {
            inner: flate2::read::MultiGzDecoder::new(bytes.as_slice()),
            left: limit,
        };
        let report = parapet_cost::read_csv(key, &mut reader, visit).map_err(|e| e.to_string());
        if reader.left == 0 {
            return Err(format!("{key}: more than {limit} bytes once decompressed"));
        }
        report
    } else {
        parapet_cost::read_csv(key, bytes.as_slice(), visit).map_err(|e| e.to_string())
    }
}

/// A reader that stops (with an error) after `left` bytes.
struct Limited<R> {
    inner: R,
    left: u64,
}

impl<R: std::io::Read> std::io::Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("decompressed size limit reached"));
        }
        let max = buf.len().min(self.left as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}
