//! Live ingest from a queue: receive notifications, ingest what they name through the ordinary
//! exactly-once run, and delete a message only once everything it announced is committed.
//!
//! A message is hidden while its objects are read (its visibility is extended in the
//! background); if the process dies, it reappears and is delivered again, and the ledger turns
//! the second delivery into "already done". Duplicate and out-of-order deliveries therefore
//! still give exactly-once, and nothing announced is lost.

use std::collections::{BTreeMap, HashSet};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::Duration;

use parapet_model::AccountDirectory;
use parapet_sources::{
    parse_notification, ListedObjects, MemoryObjects, MessageQueue, Notice, ObjectMeta, ObjectStore,
    StoreError,
};

use crate::pipeline::{ingest, IngestOptions, IngestReport, Progress};
use crate::quarantine::quarantine_object;
use crate::{DataDir, IngestError, Result};

/// How the queue is read.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Messages per receive (SQS allows up to 10).
    pub batch: usize,
    /// Long-poll wait, seconds (SQS allows up to 20).
    pub wait_secs: u32,
    /// How long a received message stays hidden; extended every third of it while work goes on.
    pub visibility_secs: u32,
    /// Stop after this many receives that returned nothing (default: never).
    pub stop_after_idle: Option<u64>,
    /// Receives that fail with a transient error (network, throttling, service errors) are
    /// retried this many times in a row before the loop gives up; a denied or missing queue
    /// fails at once.
    pub receive_retries: u32,
    /// The first retry's wait; each next one doubles it, up to a minute.
    pub retry_base: Duration,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            batch: 10,
            wait_secs: 20,
            visibility_secs: 300,
            stop_after_idle: None,
            receive_retries: 10,
            retry_base: Duration::from_secs(1),
        }
    }
}

/// Receives a batch, retrying transient errors with exponential backoff.
fn receive(queue: &dyn MessageQueue, live: &LiveOptions) -> Result<Vec<parapet_sources::QueueMessage>> {
    let mut failures = 0u32;
    loop {
        match queue.receive(live.batch, live.wait_secs, live.visibility_secs) {
            Ok(messages) => return Ok(messages),
            Err(e @ StoreError::Io { .. }) if failures < live.receive_retries => {
                let delay = live
                    .retry_base
                    .saturating_mul(1 << failures.min(16))
                    .min(Duration::from_secs(60));
                failures += 1;
                tracing::warn!(error = %e, attempt = failures, ?delay, "receiving from the queue failed; retrying");
                std::thread::sleep(delay);
            }
            Err(source) => {
                return Err(IngestError::List {
                    uri: queue.uri().to_string(),
                    source,
                })
            }
        }
    }
}

/// What one batch of messages did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LiveBatch {
    pub messages: u64,
    pub deleted: u64,
    /// Messages left on the queue for redelivery (an object could not be fetched).
    pub kept: u64,
    /// Messages parapet does not understand: quarantined and deleted.
    pub unreadable: u64,
    /// Messages done whose deletion failed: they come back, find their objects done and go.
    pub delete_failed: u64,
    pub reports: Vec<IngestReport>,
}

/// Opens the store of a bucket named in a notification (`s3://bucket/`).
pub type OpenBucket<'a> = dyn Fn(&str) -> std::result::Result<Box<dyn ObjectStore>, StoreError> + 'a;

/// Reads `queue` until `live.stop_after_idle` empty receives in a row (or forever), calling
/// `on_batch` after each batch.
#[allow(clippy::too_many_arguments)]
pub fn follow_queue(
    queue: &dyn MessageQueue,
    open_bucket: &OpenBucket<'_>,
    data: &DataDir,
    accounts: &AccountDirectory,
    options: &IngestOptions,
    live: &LiveOptions,
    progress: &dyn Progress,
    on_batch: &mut dyn FnMut(&LiveBatch),
) -> Result<()> {
    let mut buckets: BTreeMap<String, Box<dyn ObjectStore>> = BTreeMap::new();
    let mut idle = 0u64;
    loop {
        let messages = receive(queue, live)?;
        if messages.is_empty() {
            idle += 1;
            if live.stop_after_idle.is_some_and(|n| idle >= n) {
                return Ok(());
            }
            continue;
        }
        idle = 0;
        let receipts: Vec<String> = messages.iter().map(|m| m.receipt.clone()).collect();
        let batch = std::thread::scope(|s| -> Result<LiveBatch> {
            // Keep the batch hidden while it is worked on.
            let (done_tx, done_rx) = channel::<()>();
            let period = Duration::from_secs(u64::from(live.visibility_secs / 3).max(1));
            let receipts = &receipts;
            s.spawn(move || loop {
                match done_rx.recv_timeout(period) {
                    Err(RecvTimeoutError::Timeout) => {
                        for r in receipts {
                            if let Err(e) = queue.extend(r, live.visibility_secs) {
                                tracing::warn!(error = %e, "extending a message's visibility");
                            }
                        }
                    }
                    _ => return,
                }
            });
            let result = work(
                queue,
                open_bucket,
                &mut buckets,
                data,
                accounts,
                options,
                progress,
                &messages,
            );
            drop(done_tx);
            result
        })?;
        on_batch(&batch);
    }
}

/// Ingests what one batch of messages names, then deletes the messages that are done.
#[allow(clippy::too_many_arguments)]
fn work(
    queue: &dyn MessageQueue,
    open_bucket: &OpenBucket<'_>,
    buckets: &mut BTreeMap<String, Box<dyn ObjectStore>>,
    data: &DataDir,
    accounts: &AccountDirectory,
    options: &IngestOptions,
    progress: &dyn Progress,
    messages: &[parapet_sources::QueueMessage],
) -> Result<LiveBatch> {
    let mut batch = LiveBatch {
        messages: messages.len() as u64,
        ..LiveBatch::default()
    };
    let mut objects: BTreeMap<String, Vec<ObjectMeta>> = BTreeMap::new();
    let mut events = MemoryObjects::new(queue.uri());
    // What each message needs done before it may go: (bucket, key) pairs.
    let mut needs: Vec<Vec<(String, String)>> = Vec::new();
    for m in messages {
        let mut need = Vec::new();
        match parse_notification(&m.body) {
            Ok(notices) => {
                for n in notices {
                    match n {
                        Notice::Object {
                            bucket,
                            key,
                            size,
                            etag,
                        } => {
                            need.push((bucket.clone(), key.clone()));
                            objects.entry(bucket).or_default().push(ObjectMeta {
                                key,
                                size: size.unwrap_or(0),
                                etag,
                            });
                        }
                        Notice::Event { id, body } => {
                            let key = format!("events/{id}.json");
                            need.push((String::new(), key.clone()));
                            events.insert(key, body.into_bytes());
                        }
                        Notice::Ignored => {}
                    }
                }
            }
            Err(reason) => {
                let key = format!("messages/{}", m.id);
                quarantine_object(
                    &data.quarantine_root(),
                    queue.uri(),
                    &key,
                    Some(m.body.as_bytes()),
                    &reason,
                )?;
                tracing::warn!(message = %m.id, %reason, "unreadable message quarantined");
                batch.unreadable += 1;
            }
        }
        needs.push(need);
    }
    // Ingest, bucket by bucket; then the events.
    let mut failed: HashSet<(String, String)> = HashSet::new();
    for (bucket, metas) in objects {
        if !buckets.contains_key(&bucket) {
            match open_bucket(&bucket) {
                Ok(store) => {
                    buckets.insert(bucket.clone(), store);
                }
                Err(e) => {
                    // Leave its messages for later; the next delivery tries again.
                    tracing::warn!(%bucket, error = %e, "cannot open the bucket of a notification");
                    for m in &metas {
                        failed.insert((bucket.clone(), m.key.clone()));
                    }
                    continue;
                }
            }
        }
        let store = &buckets[&bucket];
        let listed = ListedObjects {
            inner: store.as_ref(),
            objects: metas,
        };
        let report = ingest(&listed, data, accounts, options, progress)?;
        failed.extend(report.failed.iter().map(|f| (bucket.clone(), f.key.clone())));
        batch.reports.push(report);
    }
    if !events.is_empty() {
        let report = ingest(&events, data, accounts, options, progress)?;
        failed.extend(report.failed.iter().map(|f| (String::new(), f.key.clone())));
        batch.reports.push(report);
    }
    // Everything committed: delete the messages whose every object is done.
    for (m, need) in messages.iter().zip(&needs) {
        if !need.iter().any(|n| failed.contains(n)) {
            match queue.delete(&m.receipt) {
                Ok(()) => batch.deleted += 1,
                Err(e) => {
                    tracing::warn!(message = %m.id, error = %e, "deleting a done message failed; it will come back");
                    batch.delete_failed += 1;
                }
            }
        } else {
            batch.kept += 1;
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    use parapet_sources::QueueMessage;

    use super::*;

    const FINDING: &str = include_str!("../../../testdata/guardduty/guardduty_ec2_event.json");

    /// A queue whose first `fail` receives fail with `error`, then hands out `messages` once.
    struct FlakyQueue {
        fail: u32,
        error: fn() -> StoreError,
        fail_delete: bool,
        receives: AtomicU32,
        messages: Mutex<Vec<QueueMessage>>,
        deleted: Mutex<Vec<String>>,
    }

    impl FlakyQueue {
        fn new(fail: u32, error: fn() -> StoreError) -> FlakyQueue {
            let event = format!(
                r#"{{"version":"0","id":"e1","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"123456789012","time":"2024-03-01T10:00:00Z","region":"us-east-1","resources":[],"detail":{FINDING}}}"#
            );
            FlakyQueue {
                fail,
                error,
                fail_delete: false,
                receives: AtomicU32::new(0),
                messages: Mutex::new(vec![QueueMessage {
                    id: "m1".into(),
                    receipt: "r1".into(),
                    body: event,
                }]),
                deleted: Mutex::new(Vec::new()),
            }
        }
    }

    impl MessageQueue for FlakyQueue {
        fn uri(&self) -> &str {
            "sqs://flaky"
        }

        fn receive(&self, _: usize, _: u32, _: u32) -> std::result::Result<Vec<QueueMessage>, StoreError> {
            if self.receives.fetch_add(1, Ordering::SeqCst) < self.fail {
                return Err((self.error)());
            }
            Ok(std::mem::take(&mut *self.messages.lock().unwrap()))
        }

        fn extend(&self, _: &str, _: u32) -> std::result::Result<(), StoreError> {
            Ok(())
        }

        fn delete(&self, receipt: &str) -> std::result::Result<(), StoreError> {
            if self.fail_delete {
                return Err(io());
            }
            self.deleted.lock().unwrap().push(receipt.to_string());
            Ok(())
        }
    }

    fn io() -> StoreError {
        StoreError::Io {
            location: "sqs://flaky".into(),
            message: "connection reset".into(),
        }
    }

    fn denied() -> StoreError {
        StoreError::AccessDenied {
            location: "sqs://flaky".into(),
            message: "not authorized to receive".into(),
        }
    }

    fn run(queue: &FlakyQueue) -> (Result<()>, Vec<LiveBatch>) {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path());
        let live = LiveOptions {
            stop_after_idle: Some(1),
            receive_retries: 3,
            retry_base: Duration::from_millis(1),
            ..LiveOptions::default()
        };
        let no_bucket = |b: &str| -> std::result::Result<Box<dyn ObjectStore>, StoreError> {
            Err(StoreError::NotFound {
                location: b.to_string(),
            })
        };
        let mut batches = Vec::new();
        let result = follow_queue(
            queue,
            &no_bucket,
            &data,
            &AccountDirectory::default(),
            &IngestOptions::default(),
            &live,
            &(),
            &mut |b| batches.push(b.clone()),
        );
        (result, batches)
    }

    #[test]
    fn transient_receive_errors_are_retried() {
        let q = FlakyQueue::new(3, io);
        let (result, batches) = run(&q);
        result.unwrap();
        // Three failures, the batch, one empty receive.
        assert_eq!(q.receives.load(Ordering::SeqCst), 5);
        assert_eq!(batches.len(), 1);
        assert_eq!((batches[0].messages, batches[0].deleted), (1, 1));
        assert_eq!(batches[0].reports[0].records, 1);
        assert_eq!(*q.deleted.lock().unwrap(), ["r1"]);
    }

    #[test]
    fn receive_gives_up_after_the_retries() {
        let q = FlakyQueue::new(100, io);
        let err = run(&q).0.unwrap_err();
        assert_eq!(q.receives.load(Ordering::SeqCst), 4);
        assert!(err.to_string().contains("connection reset"), "{err}");
    }

    #[test]
    fn a_denied_queue_fails_at_once() {
        let q = FlakyQueue::new(100, denied);
        let err = run(&q).0.unwrap_err();
        assert_eq!(q.receives.load(Ordering::SeqCst), 1);
        assert!(err.to_string().contains("access denied"), "{err}");
    }

    #[test]
    fn a_failed_delete_leaves_the_message_for_redelivery_and_goes_on() {
        let mut q = FlakyQueue::new(0, io);
        q.fail_delete = true;
        let (result, batches) = run(&q);
        result.unwrap();
        assert_eq!((batches[0].deleted, batches[0].delete_failed), (0, 1));
        assert_eq!(
            batches[0].reports[0].records, 1,
            "the data is committed all the same"
        );
    }
}
