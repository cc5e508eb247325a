//! Domain types shared by every parapet crate: accounts, time, and the rows the lake stores.
//!
//! This crate does no I/O. Parsers here take strings and return values; reading files and
//! talking to AWS happen in the crates at the edges.

pub mod account;
pub mod activity;
pub mod baseline;
pub mod clock;
pub mod config_item;
pub mod cost;
pub mod detection;
pub mod dns;
pub mod finding;
pub mod flow;
pub mod health;
pub mod insight;
pub mod inventory;
pub mod notify;
pub mod org;
pub mod posture;
pub mod remediation;
pub mod time;

pub use account::{Account, AccountDirectory, AccountId, AccountStatus, AccountsCsvError};
pub use activity::{ApiActivity, PartitionKey};
pub use config_item::{ConfigDelivery, ConfigItem};
pub use detection::{
    CorrelationEvent, Detection, EventRef, FindingEvent, ManagedFindings, Severity, SourceStatus,
    SuppressRule, Suppression,
};
pub use dns::DnsQuery;
pub use finding::{Finding, FindingSource};
pub use flow::FlowRecord;
pub use health::{AffectedEntity, HealthEvent};
pub use insight::InsightEvent;
pub use org::{DelegatedAdmin, OrgAccount, OrgInfo, OrgSnapshot, OrgUnit, TagKeys};
