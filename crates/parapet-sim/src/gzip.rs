//! Reproducible gzip: a fixed header (mtime 0, no name, OS "unknown") around raw deflate.
//!
//! One deflate state is kept per worker and reset between files; allocating a fresh encoder
//! for each of hundreds of thousands of small files would cost more than compressing them.

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// `1f 8b` magic, deflate, no flags, mtime 0, no extra flags, OS 255 (unknown).
const HEADER: [u8; 10] = [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff];

pub(crate) struct Gzip {
    deflate: Compress,
}

impl Gzip {
    pub(crate) fn new() -> Gzip {
        Gzip {
            deflate: Compress::new(Compression::new(6), false),
        }
    }

    /// Replaces `out` with the gzip member of `data`.
    pub(crate) fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) -> std::io::Result<()> {
        out.clear();
        out.extend_from_slice(&HEADER);
        self.deflate.reset();
        let mut consumed = 0usize;
        loop {
            out.reserve((data.len() - consumed) / 4 + 256);
            let before = self.deflate.total_in();
            let status = self
                .deflate
                .compress_vec(&data[consumed..], out, FlushCompress::Finish)
                .map_err(std::io::Error::other)?;
            consumed += (self.deflate.total_in() - before) as usize;
            if status == Status::StreamEnd {
                break;
            }
        }
        let mut crc = Crc::new();
        crc.update(data);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn round_trips_and_is_reproducible() {
        let mut gz = Gzip::new();
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let mut a = Vec::new();
        gz.compress(&data, &mut a).unwrap();
        let mut b = Vec::new();
        gz.compress(&data, &mut b).unwrap();
        assert_eq!(a, b);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&a[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
        gz.compress(b"", &mut a).unwrap();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&a[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back.is_empty());
    }
}
