//! Digest files list exactly their hour's log files, with the SHA-256 of each, and chain.

use std::collections::{BTreeMap, BTreeSet};

use parapet_model::time::parse_rfc3339_ms;
use sha2::{Digest, Sha256};

use crate::support::{gunzip, read_logs, run, small, window_start};

/// One digest of a chain: stamp, key, parsed document, uncompressed bytes.
type Link = (i64, String, serde_json::Value, Vec<u8>);

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[test]
fn digests_cover_their_hour_and_chain() {
    let cfg = small(6, 2, 150, 21);
    let (dir, _) = run(&cfg);
    let org = parapet_sim::organization(&cfg);
    let bucket = format!("aws-controltower-logs-{}-us-east-1", org.log_archive_account_id);
    let logs = read_logs(dir.path());
    let root = dir.path().join("logs");

    let mut expected: BTreeMap<(String, String, i64), BTreeSet<String>> = BTreeMap::new();
    for (key, _) in &logs.files {
        let hour = window_start(key.stamp).div_euclid(3600) * 3600;
        expected
            .entry((key.account.clone(), key.region.clone(), hour))
            .or_default()
            .insert(key.key.clone());
    }
    let mut seen_logs = BTreeSet::new();
    let mut chains: BTreeMap<(String, String), Vec<Link>> = BTreeMap::new();
    for (key, doc, raw) in &logs.digests {
        assert_eq!(doc["awsAccountId"], key.account.as_str());
        assert_eq!(doc["digestS3Bucket"], bucket.as_str());
        assert_eq!(doc["digestS3Object"], key.key.as_str());
        assert_eq!(doc["digestSignatureAlgorithm"], "SHA256withRSA");
        let start = parse_rfc3339_ms(doc["digestStartTime"].as_str().unwrap()).unwrap() / 1000;
        let end = parse_rfc3339_ms(doc["digestEndTime"].as_str().unwrap()).unwrap() / 1000;
        assert_eq!(end, key.stamp);
        assert_eq!(end - start, 3600);
        let listed: BTreeSet<String> = doc["logFiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                assert_eq!(f["s3Bucket"], bucket.as_str());
                assert_eq!(f["hashAlgorithm"], "SHA-256");
                let object = f["s3Object"].as_str().unwrap();
                // AWS hashes the uncompressed log file content.
                assert_eq!(
                    f["hashValue"],
                    sha(&gunzip(&root.join(object))).as_str(),
                    "{object}"
                );
                object.to_string()
            })
            .collect();
        let want = expected
            .get(&(key.account.clone(), key.region.clone(), start))
            .unwrap_or_else(|| panic!("digest {} covers an hour without logs", key.key));
        assert_eq!(&listed, want, "{}", key.key);
        for l in listed {
            assert!(seen_logs.insert(l.clone()), "{l} listed twice");
        }
        chains
            .entry((key.account.clone(), key.region.clone()))
            .or_default()
            .push((key.stamp, key.key.clone(), doc.clone(), raw.clone()));
    }
    let all_logs: BTreeSet<String> = logs.files.iter().map(|(k, _)| k.key.clone()).collect();
    assert_eq!(seen_logs, all_logs, "every log file is in exactly one digest");

    for (_, mut chain) in chains {
        chain.sort_by_key(|c| c.0);
        assert!(chain[0].2["previousDigestS3Object"].is_null());
        for pair in chain.windows(2) {
            let (prev, next) = (&pair[0], &pair[1]);
            assert_eq!(next.2["previousDigestS3Object"], prev.1.as_str());
            assert_eq!(next.2["previousDigestHashValue"], sha(&prev.3).as_str());
            assert_eq!(next.2["previousDigestHashAlgorithm"], "SHA-256");
            assert_eq!(next.2["previousDigestSignature"].as_str().unwrap().len(), 512);
        }
    }
}
