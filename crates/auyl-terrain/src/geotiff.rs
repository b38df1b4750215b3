//! GeoTIFF DEM tiles (Copernicus GLO-30/90 style and anything GDAL writes): one band, tiled or
//! striped, any common sample type, georeferenced by `ModelPixelScale` + `ModelTiepoint` (or a
//! non-rotating `ModelTransformation`), pixel-is-area or pixel-is-point from the GeoKey
//! `GTRasterTypeGeoKey`, nodata from the `GDAL_NODATA` tag. Decoding is done by the `tiff` crate.

use std::io::{Read, Seek};

use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

use crate::TerrainError;
use crate::tile::{GridGeometry, Registration, Tile, TileData, snap_per_deg};

/// What the header of a GeoTIFF says, read without decoding the samples.
#[derive(Debug, Clone, PartialEq)]
pub struct GeoTiffHeader {
    /// Grid size and georeferencing of the samples.
    pub geometry: GridGeometry,
    /// The `GDAL_NODATA` value, if any (NaN when it says `nan`).
    pub nodata: Option<f64>,
}

const GT_RASTER_TYPE_KEY: u16 = 1025;
const RASTER_PIXEL_IS_POINT: u16 = 2;

fn tiff_err(name: &str) -> impl Fn(tiff::TiffError) -> TerrainError + '_ {
    move |source| TerrainError::Tiff {
        name: name.to_owned(),
        source,
    }
}

fn read_header<R: Read + Seek>(
    name: &str,
    dec: &mut Decoder<R>,
) -> Result<GeoTiffHeader, TerrainError> {
    let e = tiff_err(name);
    let (width, height) = dec.dimensions().map_err(&e)?;
    let spp = dec
        .find_tag_unsigned::<u16>(Tag::SamplesPerPixel)
        .map_err(&e)?
        .unwrap_or(1);
    if spp != 1 {
        return Err(TerrainError::format(
            name,
            format!("{spp} samples per pixel; a DEM has one band"),
        ));
    }
    let raster_type = match dec.find_tag(Tag::GeoKeyDirectoryTag).map_err(&e)? {
        Some(v) => {
            let keys = v.into_u16_vec().map_err(&e)?;
            keys.get(4..)
                .unwrap_or(&[])
                .chunks_exact(4)
                .find(|k| k[0] == GT_RASTER_TYPE_KEY && k[1] == 0)
                .map(|k| k[3])
        }
        None => None,
    };
    let registration = if raster_type == Some(RASTER_PIXEL_IS_POINT) {
        Registration::Point
    } else {
        Registration::Area
    };
    let scale = dec
        .find_tag(Tag::ModelPixelScaleTag)
        .map_err(&e)?
        .map(|v| v.into_f64_vec())
        .transpose()
        .map_err(&e)?;
    let tie = dec
        .find_tag(Tag::ModelTiepointTag)
        .map_err(&e)?
        .map(|v| v.into_f64_vec())
        .transpose()
        .map_err(&e)?;
    let transform = dec
        .find_tag(Tag::ModelTransformationTag)
        .map_err(&e)?
        .map(|v| v.into_f64_vec())
        .transpose()
        .map_err(&e)?;
    // (raster I, raster J) -> (X, Y) for the raster origin, and the pixel size.
    let (i, j, x, y, sx, sy) = match (scale, tie, transform) {
        (Some(s), Some(t), _) if s.len() >= 2 && t.len() >= 6 => {
            (t[0], t[1], t[3], t[4], s[0], s[1])
        }
        (_, _, Some(m)) if m.len() >= 16 => {
            if m[1] != 0.0 || m[4] != 0.0 {
                return Err(TerrainError::format(
                    name,
                    "rotated ModelTransformation is not supported",
                ));
            }
            (0.0, 0.0, m[3], m[7], m[0], -m[5])
        }
        _ => {
            return Err(TerrainError::format(
                name,
                "no georeferencing (ModelPixelScale + ModelTiepoint or ModelTransformation)",
            ));
        }
    };
    if !(sx > 0.0 && sy > 0.0) {
        return Err(TerrainError::format(
            name,
            format!("pixel scale {sx} x {sy} must be positive"),
        ));
    }
    // Raster space: pixel-is-area puts (0, 0) at the outer corner of pixel (0, 0), so its centre is
    // at (0.5, 0.5); pixel-is-point puts (0, 0) on the sample itself.
    let c = if registration == Registration::Area {
        0.5
    } else {
        0.0
    };
    let geometry = GridGeometry {
        rows: height as usize,
        cols: width as usize,
        lon0_deg: x + (c - i) * sx,
        lat0_deg: y - (c - j) * sy,
        per_deg_lat: snap_per_deg(1.0 / sy),
        per_deg_lon: snap_per_deg(1.0 / sx),
        registration,
    };
    geometry.validate(name)?;
    let nodata = match dec.find_tag(Tag::GdalNodata).map_err(&e)? {
        Some(v) => {
            let s = v.into_string().map_err(&e)?;
            let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            Some(if s.eq_ignore_ascii_case("nan") {
                f64::NAN
            } else {
                s.parse::<f64>().map_err(|_| {
                    TerrainError::format(name, format!("GDAL_NODATA {s:?} is not a number"))
                })?
            })
        }
        None => None,
    };
    Ok(GeoTiffHeader { geometry, nodata })
}

impl GeoTiffHeader {
    /// Read only the header (IFD and tags) of a GeoTIFF, for scanning a folder without decoding.
    pub fn read<R: Read + Seek>(name: &str, reader: R) -> Result<GeoTiffHeader, TerrainError> {
        let mut dec = Decoder::new(reader).map_err(tiff_err(name))?;
        read_header(name, &mut dec)
    }
}

fn to_f32<T: Copy>(values: Vec<T>, nodata: Option<f64>, conv: impl Fn(T) -> f64) -> TileData {
    TileData::F32(
        values
            .into_iter()
            .map(|v| {
                let x = conv(v);
                if Some(x) == nodata {
                    f32::NAN
                } else {
                    x as f32
                }
            })
            .collect(),
    )
}

impl Tile {
    /// Decode a single-band GeoTIFF DEM from its bytes.
    ///
    /// Integer samples that fit 16 bits are kept as `i16` (nodata as the void sentinel); others
    /// become `f32` with nodata (and NaN) as voids.
    pub fn from_geotiff_bytes(name: &str, bytes: &[u8]) -> Result<Tile, TerrainError> {
        Tile::from_geotiff_reader(name, std::io::Cursor::new(bytes))
    }

    /// As [`Tile::from_geotiff_bytes`], from any seekable reader.
    pub fn from_geotiff_reader<R: Read + Seek>(
        name: &str,
        reader: R,
    ) -> Result<Tile, TerrainError> {
        let e = tiff_err(name);
        let mut dec = Decoder::new(reader)
            .map_err(&e)?
            .with_limits(Limits::unlimited());
        let header = read_header(name, &mut dec)?;
        let nodata = header.nodata;
        let i16_void = nodata
            .filter(|v| v.fract() == 0.0 && (-32768.0..=32767.0).contains(v))
            .map(|v| v as i16);
        let data = match dec.read_image().map_err(&e)? {
            DecodingResult::I16(values) => TileData::I16 {
                values,
                void: i16_void,
            },
            DecodingResult::U8(v) => TileData::I16 {
                values: v.into_iter().map(i16::from).collect(),
                void: i16_void,
            },
            DecodingResult::I8(v) => TileData::I16 {
                values: v.into_iter().map(i16::from).collect(),
                void: i16_void,
            },
            DecodingResult::U16(v) => to_f32(v, nodata, f64::from),
            DecodingResult::I32(v) => to_f32(v, nodata, f64::from),
            DecodingResult::U32(v) => to_f32(v, nodata, f64::from),
            DecodingResult::F32(v) => to_f32(v, nodata, f64::from),
            DecodingResult::F64(v) => to_f32(v, nodata, |x| x),
            DecodingResult::I64(v) => to_f32(v, nodata, |x| x as f64),
            DecodingResult::U64(v) => to_f32(v, nodata, |x| x as f64),
            DecodingResult::F16(_) => {
                return Err(TerrainError::format(
                    name,
                    "16-bit float samples are not supported",
                ));
            }
        };
        Tile::new(name.to_owned(), header.geometry, data)
    }
}
