//! Raw grids described by an ESRI "EHdr" `.hdr` header (GDAL's EHdr driver): the national 30″
//! grids of `shared/terrain/coarse/`. The header gives the size, sample type, byte order and
//! cell-registered georeferencing; the data file is a bare array (here usually gzip- or
//! xz-compressed, see [`crate::compress`]).

use crate::TerrainError;
use crate::tile::{GridGeometry, Registration, Tile, TileData, snap_per_deg};

/// Sample type of an EHdr grid (`NBITS` + `PIXELTYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EhdrSample {
    /// 8-bit unsigned (masks and class codes, not elevations).
    U8,
    /// 16-bit signed.
    I16,
    /// 16-bit unsigned.
    U16,
    /// 32-bit signed.
    I32,
    /// 32-bit IEEE float.
    F32,
}

impl EhdrSample {
    /// Bytes per sample.
    pub fn bytes(self) -> usize {
        match self {
            EhdrSample::U8 => 1,
            EhdrSample::I16 | EhdrSample::U16 => 2,
            EhdrSample::I32 | EhdrSample::F32 => 4,
        }
    }
}

/// A parsed `.hdr` header.
#[derive(Debug, Clone, PartialEq)]
pub struct EhdrHeader {
    /// Grid size and cell-centre georeferencing.
    pub geometry: GridGeometry,
    /// Sample type.
    pub sample: EhdrSample,
    /// True for little-endian data (`BYTEORDER I` / `LSBFIRST`).
    pub little_endian: bool,
    /// Number of bands (a DEM has one; others are rejected on decoding).
    pub bands: usize,
    /// Bytes to skip at the start of the data.
    pub skip_bytes: usize,
    /// The declared nodata value, if any.
    pub nodata: Option<f64>,
}

impl EhdrHeader {
    /// Parse the text of a `.hdr` file. `#` lines are comments. Keys: `NROWS`, `NCOLS`, `NBANDS`,
    /// `NBITS`, `PIXELTYPE`, `BYTEORDER`, `SKIPBYTES`, `NODATA`/`NODATA_VALUE`, and the
    /// georeferencing as `ULXMAP`/`ULYMAP` (centre of the north-west cell) with `XDIM`/`YDIM`, or
    /// `XLLCORNER`/`YLLCORNER` (or `XLLCENTER`/`YLLCENTER`) with `CELLSIZE`.
    pub fn parse(name: &str, text: &str) -> Result<EhdrHeader, TerrainError> {
        let mut kv = std::collections::HashMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut it = line.split_whitespace();
            if let (Some(k), Some(v)) = (it.next(), it.next()) {
                kv.insert(k.to_ascii_uppercase(), v.to_owned());
            }
        }
        let num = |k: &str| -> Result<Option<f64>, TerrainError> {
            kv.get(k)
                .map(|v| {
                    v.parse::<f64>().map_err(|_| {
                        TerrainError::format(
                            name,
                            format!("header key {k} = {v:?} is not a number"),
                        )
                    })
                })
                .transpose()
        };
        let need = |k: &str| -> Result<f64, TerrainError> {
            num(k)?.ok_or_else(|| TerrainError::format(name, format!("header lacks {k}")))
        };
        let count = |v: f64, k: &str| -> Result<usize, TerrainError> {
            if v >= 1.0 && v.fract() == 0.0 && v < 1e9 {
                Ok(v as usize)
            } else {
                Err(TerrainError::format(
                    name,
                    format!("header key {k} = {v} is not a positive integer"),
                ))
            }
        };
        let rows = count(need("NROWS")?, "NROWS")?;
        let cols = count(need("NCOLS")?, "NCOLS")?;
        let bands = count(num("NBANDS")?.unwrap_or(1.0), "NBANDS")?;
        let nbits = num("NBITS")?.unwrap_or(8.0);
        let pixeltype = kv.get("PIXELTYPE").map(|s| s.to_ascii_uppercase());
        let sample = match (nbits as u32, pixeltype.as_deref()) {
            (8, None | Some("UNSIGNEDINT")) => EhdrSample::U8,
            (16, None | Some("SIGNEDINT")) => EhdrSample::I16,
            (16, Some("UNSIGNEDINT")) => EhdrSample::U16,
            (32, Some("FLOAT")) => EhdrSample::F32,
            (32, None | Some("SIGNEDINT")) => EhdrSample::I32,
            (b, p) => {
                return Err(TerrainError::format(
                    name,
                    format!("unsupported sample type NBITS {b} PIXELTYPE {p:?}"),
                ));
            }
        };
        let little_endian = match kv
            .get("BYTEORDER")
            .map(|s| s.to_ascii_uppercase())
            .as_deref()
        {
            None | Some("I") | Some("LSBFIRST") => true,
            Some("M") | Some("MSBFIRST") => false,
            Some(o) => return Err(TerrainError::format(name, format!("unknown BYTEORDER {o}"))),
        };
        let skip_bytes = count(num("SKIPBYTES")?.unwrap_or(0.0) + 1.0, "SKIPBYTES")? - 1;
        let nodata = match num("NODATA")? {
            Some(v) => Some(v),
            None => num("NODATA_VALUE")?,
        };
        let (xdim, ydim) = match (num("XDIM")?, num("YDIM")?, num("CELLSIZE")?) {
            (Some(x), Some(y), _) => (x, y),
            (_, _, Some(c)) => (c, c),
            _ => {
                return Err(TerrainError::format(
                    name,
                    "header lacks XDIM/YDIM or CELLSIZE",
                ));
            }
        };
        let (lon0, lat0) = if let (Some(x), Some(y)) = (num("ULXMAP")?, num("ULYMAP")?) {
            (x, y)
        } else if let (Some(x), Some(y)) = (num("XLLCORNER")?, num("YLLCORNER")?) {
            (x + 0.5 * xdim, y + (rows as f64 - 0.5) * ydim)
        } else if let (Some(x), Some(y)) = (num("XLLCENTER")?, num("YLLCENTER")?) {
            (x, y + (rows as f64 - 1.0) * ydim)
        } else {
            return Err(TerrainError::format(
                name,
                "header lacks ULXMAP/ULYMAP or XLLCORNER/YLLCORNER",
            ));
        };
        let geometry = GridGeometry {
            rows,
            cols,
            lat0_deg: lat0,
            lon0_deg: lon0,
            per_deg_lat: snap_per_deg(1.0 / ydim),
            per_deg_lon: snap_per_deg(1.0 / xdim),
            registration: Registration::Area,
        };
        geometry.validate(name)?;
        Ok(EhdrHeader {
            geometry,
            sample,
            little_endian,
            bands,
            skip_bytes,
            nodata,
        })
    }

    /// Bytes of data the first band needs (after `SKIPBYTES`).
    pub fn band_bytes(&self) -> usize {
        self.geometry.rows * self.geometry.cols * self.sample.bytes()
    }
}

impl Tile {
    /// Decode the raw (already decompressed) data of an EHdr grid. Only the first band is read
    /// (band-interleaved layouts agree for one band). The declared nodata value becomes a void.
    pub fn from_ehdr_bytes(
        name: &str,
        header: &EhdrHeader,
        raw: &[u8],
    ) -> Result<Tile, TerrainError> {
        let need = header.skip_bytes + header.band_bytes();
        if raw.len() < need {
            return Err(TerrainError::format(
                name,
                format!("{} data bytes, the header needs {need}", raw.len()),
            ));
        }
        let data = &raw[header.skip_bytes..need];
        let le = header.little_endian;
        let n = header.sample.bytes();
        let nodata = header.nodata;
        let tile_data = match header.sample {
            EhdrSample::I16 => {
                let values = data
                    .chunks_exact(2)
                    .map(|c| {
                        if le {
                            i16::from_le_bytes([c[0], c[1]])
                        } else {
                            i16::from_be_bytes([c[0], c[1]])
                        }
                    })
                    .collect();
                let void = nodata
                    .filter(|v| v.fract() == 0.0 && (-32768.0..=32767.0).contains(v))
                    .map(|v| v as i16);
                TileData::I16 { values, void }
            }
            _ => {
                let to_f32 = |c: &[u8]| -> f32 {
                    let v = match header.sample {
                        EhdrSample::U8 => f64::from(c[0]),
                        EhdrSample::U16 => f64::from(if le {
                            u16::from_le_bytes([c[0], c[1]])
                        } else {
                            u16::from_be_bytes([c[0], c[1]])
                        }),
                        EhdrSample::I32 => {
                            let b = [c[0], c[1], c[2], c[3]];
                            f64::from(if le {
                                i32::from_le_bytes(b)
                            } else {
                                i32::from_be_bytes(b)
                            })
                        }
                        EhdrSample::F32 => {
                            let b = [c[0], c[1], c[2], c[3]];
                            f64::from(if le {
                                f32::from_le_bytes(b)
                            } else {
                                f32::from_be_bytes(b)
                            })
                        }
                        EhdrSample::I16 => f64::NAN,
                    };
                    if Some(v) == nodata {
                        f32::NAN
                    } else {
                        v as f32
                    }
                };
                TileData::F32(data.chunks_exact(n).map(to_f32).collect())
            }
        };
        Tile::new(name.to_owned(), header.geometry, tile_data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corner_forms_agree() {
        let a = EhdrHeader::parse("a", "NROWS 2\nNCOLS 3\nNBITS 16\nPIXELTYPE SIGNEDINT\nULXMAP 10.5\nULYMAP 51.5\nXDIM 1\nYDIM 1\n").unwrap();
        let b = EhdrHeader::parse("b", "# c\nnrows 2\nncols 3\nnbits 16\nxllcorner 10\nyllcorner 50\ncellsize 1\nnodata_value -9999\n").unwrap();
        assert_eq!(a.geometry, b.geometry);
        assert_eq!(b.nodata, Some(-9999.0));
        let e = EhdrHeader::parse("c.hdr", "NROWS 2\nNCOLS x\n").unwrap_err();
        assert!(e.to_string().contains("c.hdr"), "{e}");
    }

    #[test]
    fn decodes_big_endian_floats_with_nodata() {
        let h = EhdrHeader::parse("f", "NROWS 2\nNCOLS 2\nNBITS 32\nPIXELTYPE FLOAT\nBYTEORDER M\nULXMAP 0\nULYMAP 1\nXDIM 1\nYDIM 1\nNODATA -9999\n").unwrap();
        let raw: Vec<u8> = [1.5f32, -9999.0, 3.0, 4.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let t = Tile::from_ehdr_bytes("f", &h, &raw).unwrap();
        assert_eq!(t.post(0, 0), Some(1.5));
        assert_eq!(t.post(0, 1), None);
        assert_eq!(t.void_count(), 1);
    }
}
