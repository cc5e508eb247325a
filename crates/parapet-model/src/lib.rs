//! Domain types shared by every parapet crate: accounts, time, and the rows the lake stores.
//!
//! This crate does no I/O. Parsers here take strings and return values; reading files and
//! talking to AWS happen in the crates at the edges.

pub mod account;
pub mod activity;
pub mod dns;
pub mod flow;
pub mod time;

pub use account::{Account, AccountDirectory, AccountId, AccountsCsvError};
pub use activity::{ApiActivity, PartitionKey};
pub use dns::DnsQuery;
pub use flow::FlowRecord;
