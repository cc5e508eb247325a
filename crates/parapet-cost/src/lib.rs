//! parapet-cost: the organisation's bills.
//!
//! - [`normalize`]: legacy CUR (CSV, Parquet), CUR 2.0 and FOCUS 1.x rows → one
//!   [`CostLine`](parapet_model::cost::CostLine), with unblended, amortised and net costs as AWS
//!   defines them per line item type;
//! - [`read`]: CSV bills row by row, bad rows rejected with their line and reason;
//! - [`manifest`]: which files are the current version of a report's billing period;
//! - [`spend`], [`rollup`], [`report`], [`anomaly`]: daily spend (summed by the lake) into
//!   rollups, the daily report and spend anomalies, with account names and teams;
//! - [`findings`]: anomalies as findings.
//!
//! No I/O: readers take bytes, analyses take rows.

pub mod anomaly;
pub mod findings;
pub mod manifest;
pub mod normalize;
pub mod read;
pub mod report;
pub mod rollup;
pub mod spend;

pub use anomaly::{find_anomalies, Anomaly};
pub use manifest::{manifest_kind, parse_manifest, report_slug, Manifest, ManifestKind};
pub use normalize::{Cells, Columns, HeaderError};
pub use read::{read_csv, ReadError, ReadReport, RowReject, RowSink};
pub use report::{daily_report, render_text, report_start, DailyReport, ScopeReport};
pub use rollup::{rollup, top_movers, Dim, Period, RollupRow};
pub use spend::{main_currency, AccountLabel, DailySpend, Names};
