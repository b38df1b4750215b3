//! SRTM `.hgt` tiles: square grids of big-endian `i16` posts, void −32768, named after their
//! south-west corner (`N43E076.hgt` covers 43–44 N, 76–77 E).

use crate::TerrainError;
use crate::tile::{GridGeometry, Registration, Tile, TileData};

/// The SRTM void value.
pub const HGT_VOID: i16 = -32768;

/// Parse the south-west corner from an SRTM tile name (`N43E076`, `s05w060.hgt`, `N43E076.SRTMGL1.hgt.gz`).
///
/// Returns `(lon_deg, lat_deg)` of the corner, or `None` when the name does not start with one.
pub fn parse_hgt_name(name: &str) -> Option<(i32, i32)> {
    let file = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let b = file.as_bytes();
    if b.len() < 7 {
        return None;
    }
    let lat_sign = match b[0].to_ascii_uppercase() {
        b'N' => 1,
        b'S' => -1,
        _ => return None,
    };
    let lon_sign = match b[3].to_ascii_uppercase() {
        b'E' => 1,
        b'W' => -1,
        _ => return None,
    };
    let lat: i32 = std::str::from_utf8(&b[1..3]).ok()?.parse().ok()?;
    let lon: i32 = std::str::from_utf8(&b[4..7]).ok()?.parse().ok()?;
    if b[1..3].iter().chain(&b[4..7]).any(|c| !c.is_ascii_digit()) || lat > 90 || lon > 180 {
        return None;
    }
    Some((lon_sign * lon, lat_sign * lat))
}

/// The SRTM name of the 1° tile whose south-west corner is ⌊lon⌋, ⌊lat⌋, e.g. `N51E071.hgt`.
pub fn hgt_tile_name(lon_deg: f64, lat_deg: f64) -> String {
    let lat = lat_deg.floor() as i32;
    let lon = lon_deg.floor() as i32;
    format!(
        "{}{:02}{}{:03}.hgt",
        if lat < 0 { 'S' } else { 'N' },
        lat.unsigned_abs(),
        if lon < 0 { 'W' } else { 'E' },
        lon.unsigned_abs()
    )
}

/// Side length in posts of a `.hgt` of `len` bytes (1201 for SRTM3, 3601 for SRTM1).
pub fn hgt_side(len: usize) -> Option<usize> {
    if len & 1 != 0 {
        return None;
    }
    let n = ((len / 2) as f64).sqrt().round() as usize;
    (n >= 2 && n * n * 2 == len && 3600 % (n - 1) == 0).then_some(n)
}

/// The geometry of a `.hgt` tile with corner (lon, lat) and `side` posts.
pub(crate) fn hgt_geometry(lon: i32, lat: i32, side: usize) -> GridGeometry {
    let per_deg = (side - 1) as f64;
    GridGeometry {
        rows: side,
        cols: side,
        lat0_deg: f64::from(lat) + 1.0,
        lon0_deg: f64::from(lon),
        per_deg_lat: per_deg,
        per_deg_lon: per_deg,
        registration: Registration::Point,
    }
}

impl Tile {
    /// Decode an SRTM `.hgt` tile (1201² or 3601² big-endian `i16`, void −32768).
    ///
    /// `name` must start with the tile's corner (`N43E076…`): the format has no header, so the
    /// name is its georeferencing.
    pub fn from_hgt_bytes(name: &str, bytes: &[u8]) -> Result<Tile, TerrainError> {
        let (lon, lat) = parse_hgt_name(name).ok_or_else(|| {
            TerrainError::format(
                name,
                "an .hgt name must start with its south-west corner, e.g. N43E076",
            )
        })?;
        let side = hgt_side(bytes.len()).ok_or_else(|| {
            TerrainError::format(
                name,
                format!("{} bytes is not a square .hgt grid (2 884 802 for SRTM3, 25 934 402 for SRTM1)", bytes.len()),
            )
        })?;
        let values = bytes
            .chunks_exact(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]))
            .collect();
        Tile::new(
            name.to_owned(),
            hgt_geometry(lon, lat, side),
            TileData::I16 {
                values,
                void: Some(HGT_VOID),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(parse_hgt_name("N43E076.hgt"), Some((76, 43)));
        assert_eq!(parse_hgt_name("dir/s05w060.hgt.gz"), Some((-60, -5)));
        assert_eq!(parse_hgt_name("kz_dem30s.hdr"), None);
        assert_eq!(hgt_tile_name(71.45, 51.17), "N51E071.hgt");
        assert_eq!(hgt_tile_name(-59.5, -4.2), "S05W060.hgt");
        assert_eq!(hgt_side(2_884_802), Some(1201));
        assert_eq!(hgt_side(25_934_402), Some(3601));
        assert_eq!(hgt_side(1000), None);
    }

    #[test]
    fn srtm1_tiles_have_one_arc_second_posts() {
        // A 3601² tile whose post (r, c) holds r − c, big-endian.
        let mut bytes = Vec::with_capacity(3601 * 3601 * 2);
        for r in 0..3601i32 {
            for c in 0..3601i32 {
                bytes.extend_from_slice(&((r - c) as i16).to_be_bytes());
            }
        }
        let t = Tile::from_hgt_bytes("S05W060.hgt", &bytes).unwrap();
        let g = t.geometry();
        assert_eq!((g.rows, g.per_deg_lat), (3601, 3600.0));
        assert!((g.resolution_arcsec() - 1.0).abs() < 1e-12);
        assert_eq!(t.bounds().north_deg, -4.0);
        assert_eq!(t.bounds().west_deg, -60.0);
        assert_eq!(t.post(3600, 0), Some(3600.0));
        // Half-way between posts (10, 20) and (10, 21): (−10 + −11) / 2.
        let v = t
            .elevation_m(-60.0 + 20.5 / 3600.0, -4.0 - 10.0 / 3600.0)
            .unwrap()
            .unwrap();
        assert!((v + 10.5).abs() < 1e-9, "{v}");
    }

    #[test]
    fn wrong_size_is_an_error_naming_the_tile() {
        let e = Tile::from_hgt_bytes("N43E076.hgt", &[0u8; 10]).unwrap_err();
        assert!(e.to_string().contains("N43E076.hgt"), "{e}");
        let e = Tile::from_hgt_bytes("tile.hgt", &[0u8; 8]).unwrap_err();
        assert!(e.to_string().contains("south-west corner"), "{e}");
    }
}
