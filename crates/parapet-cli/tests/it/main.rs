//! End-to-end tests of the `parapet` binary, one module per command or concern.

mod accounts;
mod browser;
mod cli;
mod cost;
mod detect;
mod diagram;
mod duckdb;
mod kill;
mod managed;
mod notify;
mod pipeline;
mod posture;
mod run;
mod s3;
mod serve;
mod sources;
mod sqs;
mod support;
