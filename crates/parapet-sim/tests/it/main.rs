//! Integration tests of parapet-sim: one binary, one module per concern.

// Tests and their helpers may unwrap: a failure is a test failure.
#![allow(clippy::unwrap_used)]

mod support;

mod accounts;
mod config;
mod cost;
mod determinism;
mod digests;
mod logs;
mod services;
mod truth;
