//! Transparent decompression of tile files by name: `.gz` (gzip) and `.xz`, pure on bytes.
//! The demo data ships tiles this way (`N43E076.hgt.xz`, `kz_dem30s_merged.i16le.xz`).

use std::io::Read;

use crate::TerrainError;

/// How a file's bytes are wrapped, from the end of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// A gzip member (`.gz`).
    Gzip,
    /// An xz stream (`.xz`).
    Xz,
}

impl Compression {
    /// The wrapping a file name implies (case-insensitive).
    pub fn from_name(name: &str) -> Compression {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".gz") {
            Compression::Gzip
        } else if lower.ends_with(".xz") {
            Compression::Xz
        } else {
            Compression::None
        }
    }

    /// The name without the compression suffix.
    pub fn strip(self, name: &str) -> &str {
        match self {
            Compression::None => name,
            Compression::Gzip | Compression::Xz => &name[..name.len() - 3],
        }
    }
}

/// Decompress `bytes` according to the suffix of `name`; plain files are copied.
pub fn decompress(name: &str, bytes: &[u8]) -> Result<Vec<u8>, TerrainError> {
    match Compression::from_name(name) {
        Compression::None => Ok(bytes.to_vec()),
        Compression::Gzip => {
            let hint = gzip_uncompressed_len(bytes).unwrap_or(0);
            let mut out = Vec::with_capacity(hint);
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut out)
                .map_err(|e| TerrainError::format(name, format!("gzip: {e}")))?;
            Ok(out)
        }
        Compression::Xz => {
            let hint = xz_uncompressed_len(bytes).unwrap_or(0);
            let mut out = Vec::with_capacity(hint);
            lzma_rs::xz_decompress(&mut std::io::BufReader::new(bytes), &mut out)
                .map_err(|e| TerrainError::format(name, format!("xz: {e}")))?;
            Ok(out)
        }
    }
}

/// The uncompressed size a gzip member records in its last 4 bytes (ISIZE, modulo 2³²).
pub fn gzip_uncompressed_len(tail: &[u8]) -> Option<usize> {
    let n = tail.len();
    (n >= 4)
        .then(|| u32::from_le_bytes([tail[n - 4], tail[n - 3], tail[n - 2], tail[n - 1]]) as usize)
}

fn read_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..63).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The uncompressed size of a single-stream xz file, from its index, given the file's last bytes
/// (the footer and the index; a few hundred bytes suffice for a file of a few blocks).
pub fn xz_uncompressed_len(tail: &[u8]) -> Option<usize> {
    let n = tail.len();
    if n < 12 || &tail[n - 2..] != b"YZ" {
        return None;
    }
    let backward =
        u32::from_le_bytes([tail[n - 8], tail[n - 7], tail[n - 6], tail[n - 5]]) as usize;
    let index_len = (backward + 1) * 4;
    let start = (n - 12).checked_sub(index_len)?;
    let index = &tail[start..n - 12];
    if index.first() != Some(&0) {
        return None;
    }
    let mut pos = 1;
    let records = read_varint(index, &mut pos)?;
    let mut total = 0u64;
    for _ in 0..records {
        read_varint(index, &mut pos)?;
        total = total.checked_add(read_varint(index, &mut pos)?)?;
    }
    usize::try_from(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_round_trip_and_size() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&data).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(gzip_uncompressed_len(&gz), Some(10_000));
        assert_eq!(decompress("x.bin.gz", &gz).unwrap(), data);
        assert!(
            decompress("x.bin.gz", &gz[..20])
                .unwrap_err()
                .to_string()
                .contains("x.bin.gz")
        );
    }

    #[test]
    fn xz_round_trip_and_size() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 13) as u8).collect();
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut std::io::Cursor::new(&data), &mut xz).unwrap();
        assert_eq!(xz_uncompressed_len(&xz), Some(10_000));
        assert_eq!(decompress("x.XZ", &xz).unwrap(), data);
        assert_eq!(Compression::Xz.strip("a.hgt.xz"), "a.hgt");
    }
}
