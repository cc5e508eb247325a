//! The account registry's rules, with no I/O: how an Organizations snapshot becomes accounts
//! with names, OU paths and owners ([`resolve`]), what changed between two syncs and which
//! changes are findings ([`changes`]), and whether each account × region has the baseline on
//! ([`baseline`]).
//!
//! The CLI reads Organizations (`parapet-aws`) or a snapshot file, calls these functions, and
//! stores the result (`parapet-store`); nothing here knows where the data came from.

pub mod baseline;
pub mod changes;
pub mod resolve;

pub use baseline::{evaluate, gaps, Observation, State};
pub use changes::{detections, diff, AccountChange, ChangeKind};
pub use resolve::{accounts_from_snapshot, apply_overrides};
