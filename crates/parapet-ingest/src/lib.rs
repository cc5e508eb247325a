//! parapet-ingest
