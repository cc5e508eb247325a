//! Domain types shared by every parapet crate: accounts, time, and the rows the lake stores.
//!
//! This crate does no I/O. Parsers here take strings and return values; reading files and
//! talking to AWS happen in the crates at the edges.

pub mod account;
pub mod activity;
pub mod finding;
pub mod health;
pub mod time;

pub use account::{Account, AccountDirectory, AccountId, AccountsCsvError};
pub use activity::{ApiActivity, PartitionKey};
pub use finding::{Finding, FindingSource};
pub use health::{AffectedEntity, HealthEvent};
