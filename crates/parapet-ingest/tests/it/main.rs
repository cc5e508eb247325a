//! Integration tests of ingest: real CloudTrail data, findings and Health events, corrupt
//! inputs, recovery, compaction.

mod compaction;
mod corrupt;
mod findings;
mod real_data;
mod recovery;
mod support;
