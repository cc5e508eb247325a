//! Integration tests of ingest: real CloudTrail data, network logs, corrupt inputs, recovery,
//! compaction.

mod compaction;
mod corrupt;
mod network;
mod real_data;
mod recovery;
mod support;
