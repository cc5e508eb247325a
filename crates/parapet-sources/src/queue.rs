//! The message-queue port (SQS in production, implemented by `parapet-aws`) and the two small
//! object stores live ingest builds from messages: the objects a batch of notifications names,
//! and events carried in the messages themselves.

use std::collections::BTreeMap;

use crate::store::{ObjectMeta, ObjectStore, StoreError};

/// One received message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueMessage {
    pub id: String,
    /// The handle to extend or delete this delivery with.
    pub receipt: String,
    pub body: String,
}

/// A queue of notifications. Methods block.
pub trait MessageQueue: Send + Sync {
    fn uri(&self) -> &str;
    /// Waits up to `wait_secs` for up to `max` messages, hiding them for `visibility_secs`.
    fn receive(
        &self,
        max: usize,
        wait_secs: u32,
        visibility_secs: u32,
    ) -> Result<Vec<QueueMessage>, StoreError>;
    /// Keeps a message hidden for `visibility_secs` more (work on it is still going on).
    fn extend(&self, receipt: &str, visibility_secs: u32) -> Result<(), StoreError>;
    /// Removes a message for good: only once what it announced is committed.
    fn delete(&self, receipt: &str) -> Result<(), StoreError>;
}

/// The given objects of another store, and only those: what a batch of notifications names.
pub struct ListedObjects<'a> {
    pub inner: &'a dyn ObjectStore,
    pub objects: Vec<ObjectMeta>,
}

impl ObjectStore for ListedObjects<'_> {
    fn uri(&self) -> &str {
        self.inner.uri()
    }

    fn ledger_name(&self) -> &str {
        // The store's own name, so the ledger knows an object however it was found.
        self.inner.ledger_name()
    }

    fn list(&self, visit: &mut dyn FnMut(ObjectMeta)) -> Result<(), StoreError> {
        let mut objects = self.objects.clone();
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        objects.dedup_by(|a, b| a.key == b.key);
        objects.into_iter().for_each(visit);
        Ok(())
    }

    fn get(&self, key: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        self.inner.get(key, limit)
    }
}

/// Objects held in memory: events that arrived in messages, keyed by their event id.
pub struct MemoryObjects {
    uri: String,
    objects: BTreeMap<String, Vec<u8>>,
}

impl MemoryObjects {
    pub fn new(uri: impl Into<String>) -> MemoryObjects {
        MemoryObjects {
            uri: uri.into(),
            objects: BTreeMap::new(),
        }
    }

    pub fn insert(&mut self, key: impl Into<String>, bytes: Vec<u8>) {
        self.objects.insert(key.into(), bytes);
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

impl ObjectStore for MemoryObjects {
    fn uri(&self) -> &str {
        &self.uri
    }

    fn list(&self, visit: &mut dyn FnMut(ObjectMeta)) -> Result<(), StoreError> {
        for (key, bytes) in &self.objects {
            visit(ObjectMeta {
                key: key.clone(),
                size: bytes.len() as u64,
                etag: None,
            });
        }
        Ok(())
    }

    fn get(&self, key: &str, limit: u64) -> Result<Vec<u8>, StoreError> {
        let location = format!("{}/{key}", self.uri);
        match self.objects.get(key) {
            None => Err(StoreError::NotFound { location }),
            Some(b) if b.len() as u64 > limit => Err(StoreError::TooLarge {
                location,
                size: b.len() as u64,
                limit,
            }),
            Some(b) => Ok(b.clone()),
        }
    }
}
