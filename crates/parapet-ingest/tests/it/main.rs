//! Integration tests of ingest: real data of each source, corrupt inputs, recovery, compaction.

mod cloudtrail_kinds;
mod compaction;
mod config;
mod corrupt;
mod findings;
mod network;
mod real_data;
mod recovery;
mod support;
