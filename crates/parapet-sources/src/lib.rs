//! Reading logs: where objects are (a folder, S3), what they are (from the key layout), and
//! how each log type decodes into the domain rows of `parapet-model`.
//!
//! This crate knows nothing of the lake, detection or the UI. It defines the [`ObjectStore`]
//! port; `parapet-aws` implements it for S3, [`LocalDir`] for a folder.

pub mod cloudtrail;
pub mod cloudtrail_insight;
pub mod config;
pub mod decompress;
pub mod detect;
pub mod eventbridge;
mod fields;
pub mod flow;
pub mod guardduty;
pub mod health;
pub mod json;
pub mod key;
pub mod notification;
mod per_record;
pub mod queue;
pub mod resolver;
pub mod securityhub;
pub mod store;

pub use cloudtrail::{decode_cloudtrail, CloudTrailFile};
pub use cloudtrail_insight::{decode_insights, insight_from_json};
pub use config::{config_items_from_json, decode_config};
pub use decompress::{gunzip_limited, is_gzip, DecompressError};
pub use detect::sniff;
pub use eventbridge::{unwrap_event, Envelope};
pub use flow::decode_flow_log;
pub use guardduty::{decode_guardduty, guardduty_from_json};
pub use health::{decode_health, health_from_json};
pub use json::{json_records, DecodeError, Decoded, JsonRecords, RecordReject};
pub use key::{classify_key, LogKey, ObjectKind};
pub use notification::{parse_notification, Notice};
pub use queue::{ListedObjects, MemoryObjects, MessageQueue, QueueMessage};
pub use resolver::decode_resolver_query_log;
pub use securityhub::{decode_securityhub, securityhub_from_json};
pub use store::{LocalDir, ObjectMeta, ObjectStore, StoreError};
