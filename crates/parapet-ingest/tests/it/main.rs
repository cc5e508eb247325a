//! Integration tests of ingest: real CloudTrail data, corrupt inputs, recovery, compaction.

mod compaction;
mod corrupt;
mod real_data;
mod recovery;
mod support;
