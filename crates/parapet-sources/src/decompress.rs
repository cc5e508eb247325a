//! Bounded decompression: a gzip bomb or a mislabelled file must not exhaust memory.

use std::io::Read;

#[derive(Debug, thiserror::Error)]
pub enum DecompressError {
    #[error("gzip stream is corrupt or truncated: {0}")]
    Corrupt(std::io::Error),
    #[error("decompressed size exceeds the limit of {limit} bytes (raise ingest.max_object_mb to read it)")]
    TooLarge { limit: u64 },
}

/// True when the bytes start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Decompresses gzip (concatenated members are read as one stream, as `gunzip` does), refusing
/// to produce more than `limit` bytes.
pub fn gunzip_limited(bytes: &[u8], limit: u64) -> Result<Vec<u8>, DecompressError> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(8).min(limit as usize));
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    decoder
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(DecompressError::Corrupt)?;
    if out.len() as u64 > limit {
        return Err(DecompressError::TooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).expect("in memory");
        e.finish().expect("in memory")
    }

    #[test]
    fn gzip_is_recognised_by_its_magic() {
        assert!(!is_gzip(b"{}"));
        assert!(!is_gzip(b"\x1f"));
        assert!(is_gzip(&gz(b"{}")));
    }

    #[test]
    fn gzip_and_multi_member() {
        let mut two = gz(b"hello ");
        two.extend(gz(b"world"));
        assert_eq!(gunzip_limited(&two, 100).ok(), Some(b"hello world".to_vec()));
    }

    #[test]
    fn truncated_and_oversized() {
        let data = gz(&vec![b'a'; 10_000]);
        let cut = data[..data.len() / 2].to_vec();
        assert!(matches!(
            gunzip_limited(&cut, 1 << 20),
            Err(DecompressError::Corrupt(_))
        ));
        assert!(matches!(
            gunzip_limited(&data, 100),
            Err(DecompressError::TooLarge { limit: 100 })
        ));
    }
}
