//! Integration tests of the decoders on the real samples under `testdata/`.

mod findings_samples;
