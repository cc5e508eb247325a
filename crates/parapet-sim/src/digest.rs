//! CloudTrail digest files: one per account, region and hour that delivered log files, chained
//! to the previous digest of the same account and region.
//!
//! Hashes are real SHA-256 values, computed the way AWS's validation guide does it: over the
//! *uncompressed* log file content, and over the uncompressed previous digest. The signature is
//! NOT verifiable: real digests are signed with a per-region RSA key held by AWS; the simulator
//! writes a deterministic 512-hex-digit stand-in derived from the data-to-sign string.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::record::time_string;

/// A log file as its digest lists it.
#[derive(Clone, Debug)]
pub(crate) struct LogFileRef {
    pub key: String,
    /// Hex SHA-256 of the uncompressed file.
    pub hash: String,
    pub oldest: i64,
    pub newest: i64,
}

/// What the next digest needs from the previous one.
#[derive(Clone, Debug)]
pub(crate) struct PrevDigest {
    key: String,
    hash: String,
    signature: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DigestJson<'a> {
    aws_account_id: &'a str,
    digest_start_time: String,
    digest_end_time: String,
    digest_s3_bucket: &'a str,
    digest_s3_object: &'a str,
    digest_public_key_fingerprint: String,
    digest_signature_algorithm: &'static str,
    newest_event_time: Option<String>,
    oldest_event_time: Option<String>,
    previous_digest_s3_bucket: Option<&'a str>,
    previous_digest_s3_object: Option<&'a str>,
    previous_digest_hash_value: Option<&'a str>,
    previous_digest_hash_algorithm: Option<&'static str>,
    previous_digest_signature: Option<&'a str>,
    log_files: Vec<LogFileJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogFileJson<'a> {
    s3_bucket: &'a str,
    s3_object: &'a str,
    hash_value: &'a str,
    hash_algorithm: &'static str,
    newest_event_time: String,
    oldest_event_time: String,
}

/// Hex SHA-256.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The stand-in signature: 256 bytes (the size of an RSA-2048 signature) from SHA-256 of the
/// string AWS signs, `digestEndTime \n bucket/key \n hex(sha256(digest)) \n previousSignature`.
fn fake_signature(end: &str, bucket: &str, key: &str, hash: &str, prev: &str) -> String {
    let to_sign = format!("{end}\n{bucket}/{key}\n{hash}\n{prev}");
    (0u8..8)
        .map(|i| {
            let mut h = Sha256::new();
            h.update(to_sign.as_bytes());
            h.update([i]);
            hex::encode(h.finalize())
        })
        .collect()
}

/// Builds the (uncompressed) digest JSON covering `[start, end)` and returns it with the link
/// for the next digest in the chain.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_digest(
    account: &str,
    region: &str,
    bucket: &str,
    key: &str,
    start: i64,
    end: i64,
    files: &[LogFileRef],
    prev: Option<&PrevDigest>,
) -> Result<(Vec<u8>, PrevDigest), serde_json::Error> {
    let fingerprint = sha256_hex(format!("parapet-sim digest key {region}").as_bytes())[..32].to_string();
    let end_time = time_string(end);
    let doc = DigestJson {
        aws_account_id: account,
        digest_start_time: time_string(start),
        digest_end_time: end_time.clone(),
        digest_s3_bucket: bucket,
        digest_s3_object: key,
        digest_public_key_fingerprint: fingerprint,
        digest_signature_algorithm: "SHA256withRSA",
        newest_event_time: files.iter().map(|f| f.newest).max().map(time_string),
        oldest_event_time: files.iter().map(|f| f.oldest).min().map(time_string),
        previous_digest_s3_bucket: prev.map(|_| bucket),
        previous_digest_s3_object: prev.map(|p| p.key.as_str()),
        previous_digest_hash_value: prev.map(|p| p.hash.as_str()),
        previous_digest_hash_algorithm: prev.map(|_| "SHA-256"),
        previous_digest_signature: prev.map(|p| p.signature.as_str()),
        log_files: files
            .iter()
            .map(|f| LogFileJson {
                s3_bucket: bucket,
                s3_object: &f.key,
                hash_value: &f.hash,
                hash_algorithm: "SHA-256",
                newest_event_time: time_string(f.newest),
                oldest_event_time: time_string(f.oldest),
            })
            .collect(),
    };
    let json = serde_json::to_vec(&doc)?;
    let hash = sha256_hex(&json);
    let prev_sig = prev.map(|p| p.signature.as_str()).unwrap_or("null");
    let signature = fake_signature(&end_time, bucket, key, &hash, prev_sig);
    Ok((
        json,
        PrevDigest {
            key: key.to_string(),
            hash,
            signature,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_chain() {
        let files = vec![LogFileRef {
            key: "k1".into(),
            hash: sha256_hex(b"x"),
            oldest: 100,
            newest: 200,
        }];
        let (first, link) =
            build_digest("111122223333", "us-east-1", "b", "d1", 0, 3600, &files, None).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&first).unwrap();
        assert_eq!(v["previousDigestSignature"], serde_json::Value::Null);
        assert_eq!(v["logFiles"][0]["hashValue"], sha256_hex(b"x"));
        assert_eq!(v["digestPublicKeyFingerprint"].as_str().unwrap().len(), 32);
        let (second, _) = build_digest(
            "111122223333",
            "us-east-1",
            "b",
            "d2",
            3600,
            7200,
            &files,
            Some(&link),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&second).unwrap();
        assert_eq!(v["previousDigestS3Object"], "d1");
        assert_eq!(v["previousDigestHashValue"], sha256_hex(&first));
        assert_eq!(v["previousDigestSignature"].as_str().unwrap().len(), 512);
    }
}
