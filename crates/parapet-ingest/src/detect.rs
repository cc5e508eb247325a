//! Detection where the data is: on each ingest checkpoint's rows (streaming), and over the
//! lake's files (`parapet detect`, batch), for the logs rules read (CloudTrail, flow logs,
//! Resolver query logs) and the managed services' findings. Both read the same thing — each
//! row's record — through the same [`Detector`], and write through the same transaction-scoped
//! writer, so they reach the same findings: events are recorded once per finding, and
//! correlations are decided over every stored match of a group, whichever run brought it.

use std::path::{Path, PathBuf};

use parapet_detect::{finding_events, settle, Context, Event, RuleError, RuleSet, Scan, Source};
use parapet_lake::arrow::array::{Array, AsArray, RecordBatch};
use parapet_lake::arrow::datatypes::Int64Type;
use parapet_lake::flow::FlowRecords;
use parapet_model::{AccountDirectory, AccountId, FindingEvent, ManagedFindings, SuppressRule};
use parapet_store::{DetectionWriter, StoreError, Written};

use crate::managed::{self, Managed};
use crate::{DataDir, GeoIp, IngestError, Result};

/// Now, in ms since the epoch (the time findings are updated at).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Compiled rules and what findings need besides them.
pub struct Detector {
    pub rules: RuleSet,
    pub suppress: Vec<SuppressRule>,
    /// Names for the findings' texts.
    pub accounts: AccountDirectory,
    /// Countries of source addresses (`detect.geoip`), added to CloudTrail records.
    pub geoip: Option<GeoIp>,
    /// Which GuardDuty, Security Hub and Health findings become findings.
    pub managed: ManagedFindings,
}

/// What a scan found, not yet written: rule matches, and updates of managed findings.
#[derive(Default, Debug)]
pub struct Pending {
    pub scan: Scan,
    pub managed: Vec<FindingEvent>,
}

impl Pending {
    fn len(&self) -> usize {
        self.scan.hits.len() + self.scan.correlation_events.len() + self.managed.len()
    }
}

/// What to load: the `[detect]` settings.
pub struct DetectorSettings<'a> {
    pub builtin: bool,
    pub rule_paths: &'a [PathBuf],
    pub disabled: &'a [String],
    pub placeholders: &'a parapet_detect::Placeholders,
    pub thresholds: &'a parapet_detect::builtin::Thresholds,
    pub suppress: &'a [SuppressRule],
    /// A MaxMind GeoIP database (`detect.geoip`).
    pub geoip: Option<&'a Path>,
    pub managed: &'a ManagedFindings,
}

/// Counts of one detection pass.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DetectReport {
    pub events: u64,
    /// Single-event rule matches.
    pub matches: u64,
    /// Matches of rules that correlations read.
    pub correlation_matches: u64,
    /// Rows whose `raw` is not a JSON object (should not happen: ingest parsed them).
    pub unreadable: u64,
    pub new_findings: u64,
    pub new_events: u64,
    pub reopened: u64,
    /// Updates of GuardDuty, Security Hub and Health findings taken as findings' events.
    pub managed_updates: u64,
    /// Findings resolved because their service closed them.
    pub closed_at_source: u64,
}

impl DetectReport {
    fn add_written(&mut self, w: Written) {
        self.new_findings += w.new_findings;
        self.new_events += w.new_events;
        self.reopened += w.reopened;
        self.closed_at_source += w.closed;
    }
}

/// Every `.yml`/`.yaml` file under `path` (or `path` itself), as (path, text), sorted by path.
pub fn read_rule_files(path: &Path) -> Result<Vec<(String, String)>> {
    let io = |p: &Path, source| IngestError::Io {
        path: p.display().to_string(),
        source,
    };
    let mut out = Vec::new();
    if path.is_file() {
        out.push((
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|e| io(path, e))?,
        ));
        return Ok(out);
    }
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| io(&dir, e))? {
            let p = entry.map_err(|e| io(&dir, e))?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                let text = std::fs::read_to_string(&p).map_err(|e| io(&p, e))?;
                out.push((p.display().to_string(), text));
            }
        }
    }
    out.sort();
    Ok(out)
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("rules", &self.rules.rules.len())
            .finish_non_exhaustive()
    }
}

impl Detector {
    /// Loads and compiles the rules; refused rules come back with their reasons (the rest run).
    pub fn load(s: &DetectorSettings<'_>, accounts: AccountDirectory) -> Result<(Detector, Vec<RuleError>)> {
        let mut files = Vec::new();
        for p in s.rule_paths {
            files.extend(read_rule_files(p)?);
        }
        let (rules, errors) =
            parapet_detect::compile_except(s.builtin, &files, s.placeholders, s.thresholds, s.disabled);
        let geoip = s.geoip.map(GeoIp::open).transpose()?;
        Ok((
            Detector {
                rules,
                suppress: s.suppress.to_vec(),
                accounts,
                geoip,
                managed: s.managed.clone(),
            },
            errors,
        ))
    }

    /// Scans the rows of one lake table: the records of the logs rules read, the updates of
    /// the managed findings `[detect.managed]` takes; nothing for other tables. Rows outside
    /// `window` (by their `time` column, when given) are skipped.
    pub fn scan_batch(
        &self,
        table: &str,
        batch: &RecordBatch,
        window: (Option<i64>, Option<i64>),
        pending: &mut Pending,
        report: &mut DetectReport,
    ) {
        if let Some(source) = Source::from_table(table) {
            scan_rows(
                &self.rules,
                self.geoip.as_ref(),
                source,
                batch,
                window,
                &mut pending.scan,
                report,
            );
        } else if managed::reads(&self.managed, table) {
            let names = |id: &str| self.account_name(id);
            let m = Managed {
                settings: &self.managed,
                account_name: &names,
                suppress: &self.suppress,
                now_ms: now_ms(),
            };
            let before = pending.managed.len();
            managed::finding_events(table, batch, window, &m, &mut pending.managed);
            report.managed_updates += (pending.managed.len() - before) as u64;
        }
    }

    /// Whether `scan_batch` does anything with `table`.
    pub fn reads_table(&self, table: &str) -> bool {
        Source::from_table(table).is_some_and(|s| self.rules.reads(s)) || managed::reads(&self.managed, table)
    }

    fn account_name(&self, id: &str) -> Option<String> {
        AccountId::parse(id)
            .and_then(|a| self.accounts.get(&a))
            .map(|a| a.name.clone())
    }

    /// Writes what a scan found: correlation matches, the correlations they decide, and every
    /// finding event. Runs inside the caller's transaction.
    pub fn write(
        &self,
        w: &mut DetectionWriter<'_>,
        pending: &Pending,
        now_ms: i64,
        report: &mut DetectReport,
    ) -> Result<(), StoreError> {
        let scan = &pending.scan;
        report.matches += scan.hits.len() as u64;
        report.correlation_matches += scan.correlation_events.len() as u64;
        w.add_correlation_events(&scan.correlation_events)?;
        let fired = settle(&self.rules, &scan.correlation_events, &mut |c, g, from, to| {
            w.correlation_events(c, g, from, to)
        })?;
        let names = |id: &str| self.account_name(id);
        let ctx = Context {
            account_name: &names,
            suppress: &self.suppress,
            now_ms,
        };
        let events = finding_events(&self.rules, &scan.hits, &fired, &ctx);
        let before = w.written;
        w.add_finding_events(&events, now_ms)?;
        w.add_finding_events(&pending.managed, now_ms)?;
        let after = w.written;
        report.add_written(Written {
            new_findings: after.new_findings - before.new_findings,
            new_events: after.new_events - before.new_events,
            reopened: after.reopened - before.reopened,
            closed: after.closed - before.closed,
        });
        Ok(())
    }
}

/// Runs the rules over the lake's files (of the logs they read, and the managed findings'
/// tables) with an event time in `since..until`, and writes the findings. Holds the lake lock
/// (no file may be compacted away while it reads).
pub fn detect_lake(
    data: &DataDir,
    detector: &Detector,
    since_ms: Option<i64>,
    until_ms: Option<i64>,
    now_ms: i64,
    on_file: &dyn Fn(u64, u64),
) -> Result<DetectReport> {
    let lock = data.lock()?;
    let lake = data.open_lake()?;
    let mut store = data.open_store()?;
    crate::recover(&lake, &mut store, &lock)?;
    let mut files = Vec::new();
    let tables = Source::ALL
        .iter()
        .map(|s| s.table())
        .chain(managed::TABLES)
        .filter(|t| detector.reads_table(t));
    for table in tables {
        for f in store.live_files(Some(table))? {
            if overlaps(&f, since_ms, until_ms) {
                files.push((table, f));
            }
        }
    }
    let mut report = DetectReport::default();
    let mut pending = Pending::default();
    // Write every ~64 Ki matches so memory stays bounded on long histories.
    let flush =
        |pending: &mut Pending, report: &mut DetectReport, store: &mut parapet_store::Store| -> Result<()> {
            let taken = std::mem::take(pending);
            store.record_detections(|w| detector.write(w, &taken, now_ms, report))?;
            Ok(())
        };
    let total = files.len() as u64;
    for (n, (table, f)) in files.iter().enumerate() {
        let cols = match Source::from_table(table) {
            Some(source) => columns(source),
            None => managed::COLUMNS.to_vec(),
        };
        parapet_lake::for_each_batch(&lake.abs(&f.path), &cols, &mut |b| {
            detector.scan_batch(table, b, (since_ms, until_ms), &mut pending, &mut report)
        })?;
        if pending.len() > 65_536 {
            flush(&mut pending, &mut report, &mut store)?;
        }
        on_file(n as u64 + 1, total);
    }
    flush(&mut pending, &mut report, &mut store)?;
    Ok(report)
}

/// Whether a lake file may hold events with a time in `since..until`.
fn overlaps(f: &parapet_store::LiveFile, since_ms: Option<i64>, until_ms: Option<i64>) -> bool {
    since_ms.is_none_or(|s| f.max_time_ms.is_none_or(|m| m >= s))
        && until_ms.is_none_or(|u| f.min_time_ms.is_none_or(|m| m < u))
}

/// What a hunt found: the single-event matches and the correlations that fired.
pub struct HuntResult {
    pub scan: Scan,
    pub fired: Vec<parapet_detect::Fired>,
    pub report: DetectReport,
}

/// Runs `rules` over the lake's files (of the logs they read) with an event time in
/// `since..until` and keeps what matched in memory; nothing is written. Correlations are decided over the matches of
/// this run only.
pub fn hunt_lake(
    data: &DataDir,
    rules: &RuleSet,
    geoip: Option<&GeoIp>,
    since_ms: Option<i64>,
    until_ms: Option<i64>,
) -> Result<HuntResult> {
    let lock = data.lock()?;
    let lake = data.open_lake()?;
    let mut store = data.open_store()?;
    crate::recover(&lake, &mut store, &lock)?;
    let mut report = DetectReport::default();
    let mut scan = Scan::default();
    for source in Source::ALL.into_iter().filter(|s| rules.reads(*s)) {
        for f in store.live_files(Some(source.table()))? {
            if !overlaps(&f, since_ms, until_ms) {
                continue;
            }
            parapet_lake::for_each_batch(&lake.abs(&f.path), &columns(source), &mut |b| {
                scan_rows(
                    rules,
                    geoip,
                    source,
                    b,
                    (since_ms, until_ms),
                    &mut scan,
                    &mut report,
                )
            })?;
        }
    }
    drop(lock);
    let all = &scan.correlation_events;
    let fired = settle(rules, all, &mut |c,
                                         g,
                                         from,
                                         to|
     -> std::result::Result<
        _,
        std::convert::Infallible,
    > {
        Ok(all
            .iter()
            .filter(|e| {
                e.correlation == c && e.group == g && e.event.time_ms >= from && e.event.time_ms <= to
            })
            .cloned()
            .collect())
    })
    .unwrap_or_else(|never| match never {});
    report.matches = scan.hits.len() as u64;
    report.correlation_matches = scan.correlation_events.len() as u64;
    Ok(HuntResult { scan, fired, report })
}

/// The lake columns a scan of `source` reads.
fn columns(source: Source) -> Vec<&'static str> {
    let mut c = vec!["time", "raw"];
    if source == Source::VpcFlow {
        c.extend(FlowRecords::columns());
    }
    c
}

/// Scans the rows of one table: the `raw` record of CloudTrail and Resolver rows (JSON as AWS
/// wrote it), the flow fields of flow rows (their `raw` is a text line, searched by keywords);
/// rows whose `time` is outside `window` are skipped.
fn scan_rows(
    rules: &RuleSet,
    geoip: Option<&GeoIp>,
    source: Source,
    batch: &RecordBatch,
    window: (Option<i64>, Option<i64>),
    scan: &mut Scan,
    report: &mut DetectReport,
) {
    if !rules.reads(source) {
        return;
    }
    let Some(raw) = batch.column_by_name("raw").and_then(|c| c.as_string_opt::<i32>()) else {
        return;
    };
    let time = batch
        .column_by_name("time")
        .and_then(|c| c.as_primitive_opt::<Int64Type>());
    let flows = (source == Source::VpcFlow).then(|| FlowRecords::new(batch));
    for i in 0..raw.len() {
        if raw.is_null(i) {
            continue;
        }
        if let Some(t) = time.filter(|t| !t.is_null(i)).map(|t| t.value(i)) {
            if window.0.is_some_and(|s| t < s) || window.1.is_some_and(|u| t >= u) {
                continue;
            }
        }
        report.events += 1;
        let event = match &flows {
            Some(f) => Event::from_value(source, f.record(i), raw.value(i)),
            None => Event::parse_as(source, raw.value(i)),
        };
        match event {
            Ok(mut e) => {
                if let Some(g) = geoip {
                    g.enrich(&mut e);
                }
                rules.scan(&e, scan)
            }
            Err(_) => report.unreadable += 1,
        }
    }
}
