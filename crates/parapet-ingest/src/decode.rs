//! From an object's bytes to rows: pick the decoder for the object's kind, then append each
//! record to the builder of its table and partition.
//!
//! Adding a source is one arm in [`decode_object`]: a decoder in `parapet-sources` that yields
//! `parapet-model` records, and a [`LakeRecord`] impl in `parapet-lake` that writes them.

use parapet_lake::cloudtrail::{CloudTrailBuilder, TABLE as CLOUDTRAIL};
use parapet_lake::flow_parquet::{decode_flow_parquet, is_parquet};
use parapet_lake::{Columns, LakeRecord, RowContext};
use parapet_model::activity::is_safe_partition_value;
use parapet_model::time::event_day;
use parapet_model::{AccountDirectory, AccountId, ApiActivity, PartitionKey};
use parapet_sources::{
    decode_cloudtrail, decode_config, decode_flow_log, decode_guardduty, decode_health, decode_insights,
    decode_resolver_query_log, decode_securityhub, DecodeError, Decoded, ObjectKind, RecordReject,
};

/// Rows of one table and partition, being built.
pub(crate) enum Rows {
    CloudTrail(Box<CloudTrailBuilder>),
    Generic(Columns),
}

impl Rows {
    pub(crate) fn len(&self) -> usize {
        match self {
            Rows::CloudTrail(b) => b.len(),
            Rows::Generic(c) => c.len(),
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        match self {
            Rows::CloudTrail(b) => b.bytes(),
            Rows::Generic(c) => c.bytes(),
        }
    }

    pub(crate) fn finish(&mut self) -> parapet_lake::arrow::array::RecordBatch {
        match self {
            Rows::CloudTrail(b) => b.finish(),
            Rows::Generic(c) => c.finish(),
        }
    }
}

/// One table's rows for one partition.
pub(crate) struct Part {
    pub table: &'static str,
    pub key: PartitionKey,
    pub rows: Rows,
}

/// Where one object's records go: the worker's open parts, with what the key says.
pub(crate) struct Sink<'a> {
    pub parts: &'a mut Vec<Part>,
    pub accounts: &'a AccountDirectory,
    /// The account and region the object key names, used when a record does not say.
    pub key_account: Option<String>,
    pub key_region: Option<&'a str>,
    pub source_object: &'a str,
    /// Rows to size a new builder for.
    pub capacity: usize,
}

/// What one object yielded.
#[derive(Debug, Default)]
pub(crate) struct Yield {
    pub records: u64,
    pub rejects: Vec<RecordReject>,
}

/// A partition value, unless it is the `unknown` placeholder.
fn known(v: &str) -> Option<&str> {
    (v != "unknown").then_some(v)
}

fn valid_account(a: &str) -> bool {
    AccountId::parse(a).is_some()
}

impl Sink<'_> {
    fn slot(&mut self, table: &'static str, key: PartitionKey, new: impl FnOnce(usize) -> Rows) -> &mut Rows {
        let i = match self.parts.iter().position(|p| p.table == table && p.key == key) {
            Some(i) => i,
            None => {
                self.parts.push(Part {
                    table,
                    key,
                    rows: new(self.capacity),
                });
                self.parts.len() - 1
            }
        };
        &mut self.parts[i].rows
    }

    fn partition(&self, account: Option<&str>, region: Option<&str>, time_ms: i64) -> PartitionKey {
        let account = account
            .filter(|a| valid_account(a))
            .or(self.key_account.as_deref())
            .unwrap_or("unknown");
        let region = region
            .filter(|r| is_safe_partition_value(r))
            .or(self.key_region)
            .unwrap_or("unknown");
        PartitionKey {
            region: region.to_string(),
            account_id: account.to_string(),
            event_day: event_day(time_ms),
        }
    }

    pub(crate) fn cloudtrail(&mut self, events: &[ApiActivity<'_>]) {
        for event in events {
            // The log's owner first: the recipient, else the key, else the caller's account.
            let account = event
                .recipient_account
                .as_deref()
                .filter(|a| valid_account(a))
                .or(self.key_account.as_deref())
                .or(event.actor_account.as_deref());
            let pk = self.partition(account, event.region.as_deref(), event.time_ms);
            let directory = self.accounts.get_str(&pk.account_id);
            let source = self.source_object;
            let account_id = pk.account_id.clone();
            let Rows::CloudTrail(b) = self.slot(CLOUDTRAIL, pk, |n| {
                Rows::CloudTrail(Box::new(CloudTrailBuilder::with_capacity(n)))
            }) else {
                unreachable!("the cloudtrail table is always built by CloudTrailBuilder")
            };
            b.append(event, &account_id, directory, source);
        }
    }

    pub(crate) fn records<R: LakeRecord>(&mut self, records: &[R]) {
        for r in records {
            let def = r.table();
            let pk = self.partition(r.account_id(), r.region(), r.time_ms());
            let accounts = self.accounts;
            let source_object = self.source_object;
            let rows = self.slot(def.name, pk.clone(), |n| Rows::Generic(Columns::new(def, n)));
            let Rows::Generic(cols) = rows else {
                unreachable!("generic tables are built by Columns")
            };
            let at = RowContext {
                account_id: known(&pk.account_id),
                region: known(&pk.region),
                account: accounts.get_str(&pk.account_id),
                source_object,
            };
            r.append(cols, &at);
        }
    }

    fn take<R: LakeRecord>(&mut self, decoded: Decoded<R>) -> Yield {
        self.records(&decoded.records);
        Yield {
            records: decoded.records.len() as u64,
            rejects: decoded.rejects,
        }
    }
}

/// Decodes one object of `kind` into the sink. An error means the whole object is unreadable
/// (it is quarantined with the error as its reason).
pub(crate) fn decode_object(
    kind: ObjectKind,
    bytes: &[u8],
    sink: &mut Sink<'_>,
) -> Result<Yield, DecodeError> {
    match kind {
        ObjectKind::CloudTrail => {
            let file = decode_cloudtrail(bytes)?;
            sink.cloudtrail(&file.events);
            Ok(Yield {
                records: file.events.len() as u64,
                rejects: file.rejects,
            })
        }
        ObjectKind::CloudTrailInsight => Ok(sink.take(decode_insights(bytes)?)),
        ObjectKind::Config => Ok(sink.take(decode_config(bytes)?)),
        ObjectKind::VpcFlowLogs if is_parquet(bytes) => Ok(sink.take(decode_flow_parquet(bytes)?)),
        ObjectKind::VpcFlowLogs => Ok(sink.take(decode_flow_log(bytes)?)),
        ObjectKind::ResolverQueryLogs => Ok(sink.take(decode_resolver_query_log(bytes)?)),
        ObjectKind::GuardDuty => Ok(sink.take(decode_guardduty(bytes)?)),
        ObjectKind::SecurityHub => Ok(sink.take(decode_securityhub(bytes)?)),
        ObjectKind::Health => Ok(sink.take(decode_health(bytes)?)),
        other => Err(DecodeError::Shape(format!(
            "parapet cannot read {} objects",
            other.as_str()
        ))),
    }
}
