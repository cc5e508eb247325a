//! The ingest run: list, decode on worker threads, buffer per partition, checkpoint.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parapet_lake::arrow::array::RecordBatch;
use parapet_lake::{Lake, WriteOptions};
use parapet_model::activity::is_safe_partition_value;
use parapet_model::{AccountDirectory, PartitionKey};
use parapet_sources::{
    classify_key, gunzip_limited, is_gzip, sniff, ObjectKind, ObjectMeta, ObjectStore, StoreError,
};
use parapet_store::{BatchCommit, ObjectRecord, ObjectStatus, Store};

use crate::decode::{decode_object, Part, Sink};
use crate::quarantine::{quarantine_object, quarantine_rejects};
use crate::recover::{recover, RecoveryReport};
use crate::{DataDir, IngestError, Result};

/// How an ingest run behaves.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Decoding threads; 0 means one per core.
    pub workers: usize,
    /// Checkpoint when the buffered rows hold this many bytes.
    pub buffer_bytes: usize,
    /// Checkpoint when this long has passed since the last one (and something is buffered).
    pub flush_interval: Duration,
    /// Objects larger than this (compressed or not) are quarantined.
    pub max_object_bytes: u64,
    /// Checkpoint at least every this many objects (bounds a ledger transaction).
    pub max_objects_per_checkpoint: usize,
    /// Try objects quarantined by an earlier run again.
    pub retry_quarantined: bool,
    pub write: WriteOptions,
    /// Rules to run on every checkpoint's CloudTrail rows; their findings commit with the rows.
    pub detector: Option<Arc<crate::Detector>>,
    /// When set, no new object is started: what was read is committed and the run ends (the
    /// rest is left for the next run).
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            workers: 0,
            buffer_bytes: 32 << 20,
            flush_interval: Duration::from_secs(60),
            max_object_bytes: 256 << 20,
            max_objects_per_checkpoint: 20_000,
            retry_quarantined: false,
            write: WriteOptions::default(),
            detector: None,
            cancel: None,
        }
    }
}

/// Progress callbacks (the CLI draws a bar with them). All have empty defaults.
pub trait Progress: Sync {
    fn listed(&self, _objects: u64, _bytes: u64) {}
    fn object_done(&self, _bytes: u64, _records: u64) {}
    fn checkpoint(&self, _objects: u64, _files: u64) {}
}

impl Progress for () {}

/// Objects not read, by kind and reason.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SkipCount {
    pub kind: &'static str,
    pub reason: String,
    pub objects: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProblemObject {
    pub key: String,
    pub reason: String,
}

/// What a run did. `is_clean()` is false when anything was quarantined, rejected or failed.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct IngestReport {
    pub source: String,
    pub objects_listed: u64,
    pub objects_already_done: u64,
    pub objects_ingested: u64,
    pub objects_quarantined: u64,
    pub objects_skipped: u64,
    /// Objects that could not be fetched this time (left for the next run).
    pub objects_failed: u64,
    pub records: u64,
    pub records_rejected: u64,
    pub bytes_read: u64,
    pub bytes_decoded: u64,
    pub files_written: u64,
    pub checkpoints: u64,
    pub skipped: Vec<SkipCount>,
    pub quarantined: Vec<ProblemObject>,
    pub rejected: Vec<ProblemObject>,
    pub failed: Vec<ProblemObject>,
    /// Keys already ingested whose size has changed since; not read again.
    pub changed: Vec<String>,
    pub recovery: RecoveryReport,
    /// What the rules found on the way (all zero when no detector ran).
    pub detection: crate::DetectReport,
    pub elapsed_ms: u64,
}

impl IngestReport {
    pub fn is_clean(&self) -> bool {
        self.objects_quarantined == 0 && self.records_rejected == 0 && self.objects_failed == 0
    }
}

enum Outcome {
    Decoded {
        kind: &'static str,
        records: u64,
        rejected: u64,
        rejects_path: Option<String>,
        first_reject: Option<String>,
        decoded_bytes: u64,
    },
    Quarantined {
        kind: &'static str,
        reason: String,
        path: String,
    },
    Vanished,
    Failed {
        reason: String,
    },
}

/// A group of objects decoded by one worker, with their rows already built into batches per
/// partition. A group is accepted whole into one checkpoint, so exactly-once stays per object
/// while the per-object cost of building and writing Arrow arrays is shared by many objects.
struct Done {
    objects: Vec<(ObjectMeta, Outcome)>,
    partitions: Vec<(TablePartition, RecordBatch)>,
    error: Option<IngestError>,
}

/// Rows a worker gathers before it hands a group over.
const GROUP_ROWS: usize = 16 * 1024;
/// Bytes a worker gathers before it hands a group over, at most (see `Job::group_bytes`).
const GROUP_BYTES: usize = 8 << 20;

/// A table and one of its partitions.
type TablePartition = (&'static str, PartitionKey);

#[derive(Default)]
struct Group {
    objects: Vec<(ObjectMeta, Outcome)>,
    parts: Vec<Part>,
}

impl Group {
    fn rows(&self) -> usize {
        self.parts.iter().map(|p| p.rows.len()).sum()
    }

    fn bytes(&self) -> usize {
        self.parts.iter().map(|p| p.rows.bytes()).sum()
    }

    fn finish(&mut self, error: Option<IngestError>) -> Done {
        Done {
            objects: std::mem::take(&mut self.objects),
            partitions: std::mem::take(&mut self.parts)
                .into_iter()
                .map(|mut p| ((p.table, p.key), p.rows.finish()))
                .collect(),
            error,
        }
    }
}

struct Job<'a> {
    store: &'a dyn ObjectStore,
    uri: &'a str,
    accounts: &'a AccountDirectory,
    quarantine_root: &'a Path,
    max_object_bytes: u64,
    /// A quarter of the checkpoint buffer, so that groups never hide the memory bound.
    group_bytes: usize,
    flush_interval: Duration,
    cancel: Option<&'a AtomicBool>,
}

impl Job<'_> {
    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// Ingests every new object of `store` into the lake of `data`.
pub fn ingest(
    store: &dyn ObjectStore,
    data: &DataDir,
    accounts: &AccountDirectory,
    options: &IngestOptions,
    progress: &dyn Progress,
) -> Result<IngestReport> {
    let started = Instant::now();
    let lock = data.lock()?;
    let lake = data.open_lake()?;
    let mut ledger = data.open_store()?;
    let mut report = IngestReport {
        source: store.uri().to_string(),
        recovery: recover(&lake, &mut ledger, &lock)?,
        ..IngestReport::default()
    };
    // Objects are known to the ledger by the store's ledger name (an S3 bucket's, whatever the
    // prefix listed), so one object is one object however it was found.
    let uri = store.ledger_name().to_string();
    if options.retry_quarantined {
        let n = ledger.forget_quarantined(Some(&uri))?;
        tracing::info!(objects = n, "retrying quarantined objects");
    }

    let workers = match options.workers {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        n => n,
    };
    let quarantine_root = data.quarantine_root();
    let job = Job {
        store,
        uri: &uri,
        accounts,
        quarantine_root: &quarantine_root,
        max_object_bytes: options.max_object_bytes,
        group_bytes: (options.buffer_bytes / 4).clamp(4 << 10, GROUP_BYTES),
        flush_interval: options.flush_interval,
        cancel: options.cancel.as_deref(),
    };
    let stop = AtomicBool::new(false);
    let result: Result<(CommitStats, Listing)> = std::thread::scope(|s| {
        // 1. The lister streams new objects to the workers (memory stays flat however many
        // objects the store holds); 2. workers decode; 3. the collector buffers; 4. the
        // committer writes.
        let (list_tx, list_rx) = sync_channel::<ObjectMeta>(1024);
        let (uri, stop_ref) = (&uri, &stop);
        let cancel = job.cancel;
        let lister = s.spawn(move || list_new_objects(store, data, uri, progress, stop_ref, cancel, list_tx));
        // Shared by the workers; the last one to stop closes it, which stops the lister.
        let list_rx = Arc::new(Mutex::new(list_rx));
        let (tx, rx) = sync_channel::<Done>(workers * 2);
        let mut handles = Vec::new();
        for _ in 0..workers {
            let tx = tx.clone();
            let (job, list_rx, stop) = (&job, Arc::clone(&list_rx), &stop);
            handles.push(s.spawn(move || worker(job, &list_rx, stop, tx)));
        }
        drop(tx);
        drop(list_rx);
        // Rendezvous: at most one checkpoint being written and one being filled.
        let (commit_tx, commit_rx) = sync_channel::<Checkpoint>(0);
        let (lake, write) = (&lake, &options.write);
        let ledger = &mut ledger;
        let detector = options.detector.as_deref();
        let committer = s.spawn(move || committer(lake, ledger, write, detector, progress, commit_rx));
        let mut collector = Collector {
            commits: commit_tx,
            options,
            uri,
            report: &mut report,
            progress,
            buffers: BTreeMap::new(),
            buffered_bytes: 0,
            pending: Vec::new(),
        };
        let collected = collector.run(rx);
        drop(collector);
        stop.store(true, Ordering::Relaxed);
        let panic_message = |panic: Box<dyn std::any::Any + Send>| {
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        };
        for h in handles {
            h.join().map_err(|p| IngestError::Worker(panic_message(p)))?;
        }
        // Workers are gone, so a lister still sending finds the channel closed and stops.
        let listing = lister.join().map_err(|p| IngestError::Worker(panic_message(p)))?;
        // The committer's own error explains a failed hand-off better than the hand-off does.
        let stats = committer
            .join()
            .map_err(|p| IngestError::Worker(panic_message(p)))??;
        collected?;
        Ok((stats, listing?))
    });
    let (stats, listing) = result?;
    report.objects_listed = listing.listed;
    report.objects_already_done = listing.already_done;
    report.changed = listing.changed;
    report.skipped = listing
        .skipped
        .into_iter()
        .map(|((kind, reason), objects)| SkipCount {
            kind,
            reason: reason.to_string(),
            objects,
        })
        .collect();
    report.objects_skipped += report.skipped.iter().map(|s| s.objects).sum::<u64>();
    report.objects_ingested = stats.objects_ingested;
    report.objects_quarantined = stats.objects_quarantined;
    report.bytes_read = stats.bytes_read;
    report.files_written = stats.files_written;
    report.checkpoints = stats.checkpoints;
    report.detection = stats.detection;
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    drop(lock);
    Ok(report)
}

/// What the lister saw.
#[derive(Default)]
struct Listing {
    listed: u64,
    already_done: u64,
    skipped: BTreeMap<(&'static str, &'static str), u64>,
    changed: Vec<String>,
}

/// Lists the store and sends every object the ledger does not hold to the workers. Reads the
/// ledger through its own connection (SQLite in WAL mode lets it read beside the committer).
fn list_new_objects(
    store: &dyn ObjectStore,
    data: &DataDir,
    uri: &str,
    progress: &dyn Progress,
    stop: &AtomicBool,
    cancel: Option<&AtomicBool>,
    tx: SyncSender<ObjectMeta>,
) -> Result<Listing> {
    let ledger = data.open_store()?;
    let mut listing = Listing::default();
    let (mut new_objects, mut new_bytes) = (0u64, 0u64);
    let mut failure: Option<IngestError> = None;
    let listed = store.list(&mut |meta| {
        if failure.is_some()
            || stop.load(Ordering::Relaxed)
            || cancel.is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return;
        }
        listing.listed += 1;
        let key = classify_key(&meta.key);
        if let Some(reason) = key.skip_reason {
            *listing.skipped.entry((key.kind.as_str(), reason)).or_default() += 1;
            return;
        }
        match ledger.object(uri, &meta.key) {
            Ok(Some(done)) => {
                listing.already_done += 1;
                if done.size != meta.size || (done.etag.is_some() && done.etag != meta.etag) {
                    listing.changed.push(meta.key);
                }
            }
            Ok(None) => {
                new_objects += 1;
                new_bytes += meta.size;
                if new_objects % 1024 == 0 {
                    progress.listed(new_objects, new_bytes);
                }
                if tx.send(meta).is_err() {
                    // The workers stopped (an error elsewhere ends the run).
                    stop.store(true, Ordering::Relaxed);
                }
            }
            Err(e) => failure = Some(e.into()),
        }
    });
    progress.listed(new_objects, new_bytes);
    listed.map_err(|source| IngestError::List {
        uri: uri.to_string(),
        source,
    })?;
    match failure {
        Some(e) => Err(e),
        None => Ok(listing),
    }
}

fn worker(job: &Job<'_>, objects: &Mutex<Receiver<ObjectMeta>>, stop: &AtomicBool, tx: SyncSender<Done>) {
    let mut group = Group::default();
    let mut started = Instant::now();
    while !stop.load(Ordering::Relaxed) && !job.cancelled() {
        // Taking the next object holds the lock only while waiting for it.
        let next = match objects.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => break,
        };
        let Ok(mut meta) = next else { break };
        if group.objects.is_empty() {
            started = Instant::now();
        }
        match process(job, &mut meta, &mut group.parts) {
            Ok(outcome) => group.objects.push((meta, outcome)),
            Err(e) => {
                let _ = tx.send(group.finish(Some(e)));
                return;
            }
        }
        let full = group.rows() >= GROUP_ROWS || group.bytes() >= job.group_bytes;
        if (full || started.elapsed() >= job.flush_interval) && tx.send(group.finish(None)).is_err() {
            return;
        }
    }
    if !group.objects.is_empty() {
        let _ = tx.send(group.finish(None));
    }
}

/// Reads, decodes and buffers one object. A `meta.size` of 0 (a notification that did not say)
/// becomes the size read, so the ledger holds the real size and a later listing agrees.
fn process(job: &Job<'_>, meta: &mut ObjectMeta, parts: &mut Vec<Part>) -> Result<Outcome> {
    let key = classify_key(&meta.key);
    let kind = key.kind.as_str();
    let quarantine = |bytes: Option<&[u8]>, reason: String| -> Result<Outcome> {
        let path = quarantine_object(job.quarantine_root, job.uri, &meta.key, bytes, &reason)?;
        Ok(Outcome::Quarantined { kind, reason, path })
    };
    let bytes = match job.store.get(&meta.key, job.max_object_bytes) {
        Ok(b) => {
            if meta.size == 0 {
                meta.size = b.len() as u64;
            }
            b
        }
        Err(StoreError::NotFound { .. }) => return Ok(Outcome::Vanished),
        Err(e @ StoreError::TooLarge { .. }) => return quarantine(None, e.to_string()),
        Err(e) => {
            return Ok(Outcome::Failed {
                reason: e.to_string(),
            })
        }
    };
    let decoded_buf: Vec<u8>;
    let decoded: &[u8] = if is_gzip(&bytes) {
        match gunzip_limited(&bytes, job.max_object_bytes) {
            Ok(d) => {
                decoded_buf = d;
                &decoded_buf
            }
            Err(e) => return quarantine(Some(&bytes), e.to_string()),
        }
    } else {
        &bytes
    };
    // Outside the Log Archive layout, the content says what the object is.
    let (kind, kind_name) = match key.kind {
        ObjectKind::Detect => {
            match sniff(decoded) {
                Some(k) => (k, k.as_str()),
                None => {
                    // Broken JSON is better explained by the parser than by "not recognised".
                    let reason = match parapet_sources::json_records(decoded, &[]) {
                    Err(e) if decoded.trim_ascii_start().starts_with(b"{") || decoded.trim_ascii_start().starts_with(b"[") => e.to_string(),
                    _ => "not a log parapet recognises (expected CloudTrail, Config, VPC Flow Logs, Route 53 \
                          Resolver, GuardDuty, Security Hub or AWS Health data)"
                        .to_string(),
                };
                    return quarantine(Some(&bytes), reason);
                }
            }
        }
        k => (k, kind),
    };
    let mut sink = Sink {
        parts,
        accounts: job.accounts,
        key_account: key.account_id.map(|a| a.to_string()),
        key_region: key.region.filter(|r| is_safe_partition_value(r)),
        source_object: &meta.key,
        capacity: GROUP_ROWS.min(decoded.len() / 64 + 16),
    };
    let got = match decode_object(kind, decoded, &mut sink) {
        Ok(got) => got,
        Err(e) => return quarantine(Some(&bytes), e.to_string()),
    };
    let first_reject = got.rejects.first().map(|r| r.reason.clone());
    let rejects_path = if got.rejects.is_empty() {
        None
    } else {
        Some(quarantine_rejects(
            job.quarantine_root,
            job.uri,
            &meta.key,
            &got.rejects,
        )?)
    };
    Ok(Outcome::Decoded {
        kind: kind_name,
        records: got.records,
        rejected: got.rejects.len() as u64,
        rejects_path,
        first_reject,
        decoded_bytes: decoded.len() as u64,
    })
}

struct Collector<'a> {
    commits: SyncSender<Checkpoint>,
    options: &'a IngestOptions,
    uri: &'a str,
    report: &'a mut IngestReport,
    progress: &'a dyn Progress,
    buffers: BTreeMap<TablePartition, Vec<RecordBatch>>,
    buffered_bytes: usize,
    pending: Vec<ObjectRecord>,
}

impl Collector<'_> {
    fn run(&mut self, rx: Receiver<Done>) -> Result<()> {
        let mut last = Instant::now();
        for done in rx {
            self.accept(done)?;
            if self.buffered_bytes >= self.options.buffer_bytes
                || self.pending.len() >= self.options.max_objects_per_checkpoint
                || last.elapsed() >= self.options.flush_interval
            {
                self.checkpoint()?;
                last = Instant::now();
            }
        }
        self.checkpoint()
    }

    fn accept(&mut self, done: Done) -> Result<()> {
        if let Some(e) = done.error {
            return Err(e);
        }
        for (pk, batch) in done.partitions {
            self.buffered_bytes += batch.get_array_memory_size();
            self.buffers.entry(pk).or_default().push(batch);
        }
        for (meta, outcome) in done.objects {
            self.accept_object(&meta, outcome);
        }
        Ok(())
    }

    fn accept_object(&mut self, meta: &ObjectMeta, outcome: Outcome) {
        let record = |kind: &str, status, records, rejected, reason: Option<String>, path: Option<String>| {
            ObjectRecord {
                source: self.uri.to_string(),
                key: meta.key.clone(),
                size: meta.size,
                etag: meta.etag.clone(),
                kind: kind.to_string(),
                status,
                records,
                rejected,
                reason,
                quarantine_path: path,
            }
        };
        match outcome {
            Outcome::Decoded {
                kind,
                records,
                rejected,
                rejects_path,
                first_reject,
                decoded_bytes,
            } => {
                self.report.records += records;
                self.report.records_rejected += rejected;
                self.report.bytes_decoded += decoded_bytes;
                if let Some(reason) = &first_reject {
                    self.report.rejected.push(ProblemObject {
                        key: meta.key.clone(),
                        reason: format!("{rejected} record(s) rejected, first: {reason}"),
                    });
                }
                self.pending.push(record(
                    kind,
                    ObjectStatus::Ingested,
                    records,
                    rejected,
                    first_reject,
                    rejects_path,
                ));
                self.progress.object_done(meta.size, records);
            }
            Outcome::Quarantined { kind, reason, path } => {
                self.report.quarantined.push(ProblemObject {
                    key: meta.key.clone(),
                    reason: reason.clone(),
                });
                self.pending.push(record(
                    kind,
                    ObjectStatus::Quarantined,
                    0,
                    0,
                    Some(reason),
                    Some(path),
                ));
                self.progress.object_done(meta.size, 0);
            }
            Outcome::Vanished => {
                self.report.objects_skipped += 1;
                self.progress.object_done(meta.size, 0);
            }
            Outcome::Failed { reason } => {
                self.report.objects_failed += 1;
                self.report.failed.push(ProblemObject {
                    key: meta.key.clone(),
                    reason,
                });
                self.progress.object_done(meta.size, 0);
            }
        }
    }

    /// Hands the buffered rows and their objects to the committer thread.
    fn checkpoint(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let checkpoint = Checkpoint {
            objects: std::mem::take(&mut self.pending),
            buffers: std::mem::take(&mut self.buffers),
        };
        self.buffered_bytes = 0;
        // A closed channel means the committer stopped on an error; `ingest` reports it.
        self.commits
            .send(checkpoint)
            .map_err(|_| IngestError::Worker("the committer stopped".into()))
    }
}

/// A checkpoint on its way to the committer.
struct Checkpoint {
    objects: Vec<ObjectRecord>,
    buffers: BTreeMap<TablePartition, Vec<RecordBatch>>,
}

/// What the committer did, merged into the report at the end.
#[derive(Default)]
struct CommitStats {
    objects_ingested: u64,
    objects_quarantined: u64,
    bytes_read: u64,
    files_written: u64,
    checkpoints: u64,
    detection: crate::DetectReport,
}

/// The committer thread: stage every buffer, commit the ledger, publish, in that order, one
/// checkpoint at a time. It runs beside the decoders so writing Parquet does not stall them.
fn committer(
    lake: &Lake,
    ledger: &mut Store,
    write: &WriteOptions,
    detector: Option<&crate::Detector>,
    progress: &dyn Progress,
    rx: Receiver<Checkpoint>,
) -> Result<CommitStats> {
    let mut stats = CommitStats::default();
    for checkpoint in rx {
        // Detection reads the rows as they will be in the lake, and its findings commit in the
        // same transaction as the objects: a crash loses neither, a re-run doubles neither.
        let mut pending = crate::detect::Pending::default();
        if let Some(d) = detector {
            for ((table, _), batches) in &checkpoint.buffers {
                for b in batches {
                    d.scan_batch(table, b, (None, None), &mut pending, &mut stats.detection);
                }
            }
        }
        let mut files = Vec::with_capacity(checkpoint.buffers.len());
        for ((table, pk), batches) in checkpoint.buffers {
            files.push(crate::file_record(lake.stage(table, &pk, &batches, write)?));
        }
        lake.sync_staging()?;
        let batch = BatchCommit {
            kind: "ingest".into(),
            objects: checkpoint.objects,
            files,
            replaces: Vec::new(),
        };
        let id = match detector {
            Some(d) => {
                let now = crate::detect::now_ms();
                let report = &mut stats.detection;
                ledger.commit_batch_with(&batch, &mut |w| d.write(w, &pending, now, report))?
            }
            None => ledger.commit_batch(&batch)?,
        };
        for f in &batch.files {
            lake.publish(&f.staged_path, &f.path)?;
        }
        ledger.mark_published(id)?;
        for o in &batch.objects {
            match o.status {
                ObjectStatus::Ingested => stats.objects_ingested += 1,
                ObjectStatus::Quarantined => stats.objects_quarantined += 1,
            }
        }
        stats.bytes_read += batch.objects.iter().map(|o| o.size).sum::<u64>();
        stats.files_written += batch.files.len() as u64;
        stats.checkpoints += 1;
        progress.checkpoint(batch.objects.len() as u64, batch.files.len() as u64);
        tracing::debug!(
            batch = id,
            objects = batch.objects.len(),
            files = batch.files.len(),
            "checkpoint committed"
        );
    }
    Ok(stats)
}
