//! Reading logs: where objects are (a folder, S3), what they are (from the key layout), and
//! how each log type decodes into the domain rows of `parapet-model`.
//!
//! This crate knows nothing of the lake, detection or the UI. It defines the [`ObjectStore`]
//! port; `parapet-aws` implements it for S3, [`LocalDir`] for a folder.

pub mod cloudtrail;
pub mod decompress;
pub mod eventbridge;
mod fields;
pub mod guardduty;
pub mod health;
pub mod json;
pub mod key;
mod per_record;
pub mod securityhub;
pub mod store;

pub use cloudtrail::{decode_cloudtrail, CloudTrailFile};
pub use decompress::{gunzip_limited, is_gzip, DecompressError};
pub use eventbridge::{unwrap_event, Envelope};
pub use guardduty::{decode_guardduty, guardduty_from_json};
pub use health::{decode_health, health_from_json};
pub use json::{json_records, DecodeError, Decoded, JsonRecords, RecordReject};
pub use key::{classify_key, LogKey, ObjectKind};
pub use securityhub::{decode_securityhub, securityhub_from_json};
pub use store::{LocalDir, ObjectMeta, ObjectStore, StoreError};
