//! LZ4 blocks (codec 3): one block per blob, no frame, no size prefix (the
//! blob record holds the raw length).

use std::io;

use crate::error::BundleError;
use crate::format::MAX_LZ4_EXPANSION;

/// The content of an LZ4 block that must decompress to exactly `raw_len`
/// bytes; `offset` names the blob in errors. Malformed input is an error,
/// never a read or write out of bounds (`LZ4_decompress_safe`).
pub(crate) fn decompress_lz4(
    stored: &[u8],
    raw_len: u32,
    offset: u64,
) -> Result<Vec<u8>, BundleError> {
    super::frames::decompress_checked_as(
        stored,
        raw_len,
        offset,
        ("LZ4", MAX_LZ4_EXPANSION),
        |out| {
            let size = i32::try_from(raw_len)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "too large for LZ4"))?;
            out.resize(raw_len as usize, 0);
            lz4::block::decompress_to_buffer(stored, Some(size), out)
        },
    )
}

/// LZ4's high-compression level: its densest (12) stores start-up code in
/// 2% less than 9 and unpacks as fast (bench/RESULTS.md).
pub(crate) const LZ4_HC_LEVEL: i32 = 12;

/// `raw` as one LZ4 block at [`LZ4_HC_LEVEL`].
pub(crate) fn compress_lz4(raw: &[u8]) -> io::Result<Vec<u8>> {
    lz4::block::compress(
        raw,
        Some(lz4::block::CompressionMode::HIGHCOMPRESSION(LZ4_HC_LEVEL)),
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_malformed_blocks() {
        let raw: Vec<u8> = (0..20_000u32).map(|i| (i % 97) as u8).collect();
        let stored = compress_lz4(&raw).unwrap();
        assert!(stored.len() < raw.len() / 10);
        assert_eq!(decompress_lz4(&stored, raw.len() as u32, 0).unwrap(), raw);
        // The wrong raw length, either way.
        assert!(decompress_lz4(&stored, raw.len() as u32 - 1, 0).is_err());
        assert!(decompress_lz4(&stored, raw.len() as u32 + 1, 0).is_err());
        // A length no block of this size can produce: refused before allocating.
        let error = decompress_lz4(&stored[..4], u32::MAX, 0).unwrap_err();
        assert!(error.to_string().contains("cannot come from"), "{error}");
        // Truncated, and every single-byte corruption: an error or (where
        // the damage stays within literals) other bytes, never a crash.
        assert!(decompress_lz4(&stored[..stored.len() - 1], raw.len() as u32, 0).is_err());
        for i in 0..stored.len() {
            let mut bad = stored.clone();
            bad[i] ^= 0xA5;
            let _ = decompress_lz4(&bad, raw.len() as u32, 0);
        }
        assert!(decompress_lz4(&[], 1, 0).is_err());
    }
}
