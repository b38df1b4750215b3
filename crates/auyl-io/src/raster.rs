//! Raster output for coverage maps: GeoTIFF (EPSG:4326, float32 uncompressed or byte
//! deflate-compressed, with GeoKeys and `GDAL_NODATA`) that GDAL and QGIS open, and a PNG overlay with a colour
//! ramp plus a bounds JSON sidecar for a web map (Leaflet's `imageOverlay`, MapLibre's image
//! source). Every file is written atomically (temporary file, then rename).

use crate::error::{Error, Result, io_err};
use crate::write::atomic_write;
use std::io::BufWriter;
use std::path::Path;
use tiff::encoder::{Compression, DeflateLevel, TiffEncoder, colortype};
use tiff::tags::Tag;

/// The grid of a raster: where its pixels are (EPSG:4326, pixel-is-area).
pub use auyl_model::GeoGrid;

/// Checks a grid against its values and the TIFF limits: (width, height).
fn check(geo: &GeoGrid, path: &Path, len: usize) -> Result<(u32, u32)> {
    let bad = |message: String| Error::Malformed {
        path: path.to_path_buf(),
        message,
    };
    if geo.width == 0 || geo.height == 0 {
        return Err(bad("empty raster".into()));
    }
    if geo.width.checked_mul(geo.height) != Some(len) {
        return Err(bad(format!(
            "{} values for a {}×{} raster",
            len, geo.width, geo.height
        )));
    }
    if !(geo.pixel_width_deg > 0.0
        && geo.pixel_height_deg > 0.0
        && geo.west_deg.is_finite()
        && geo.north_deg.is_finite())
    {
        return Err(bad("pixel size must be positive, edges finite".into()));
    }
    let w = u32::try_from(geo.width).map_err(|_| bad("too wide".into()))?;
    let h = u32::try_from(geo.height).map_err(|_| bad("too tall".into()))?;
    Ok((w, h))
}

fn tiff_err(path: &Path) -> impl Fn(tiff::TiffError) -> Error + '_ {
    move |e| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// GeoKey directory for geographic WGS84 (EPSG:4326), pixel-is-area, degrees.
const GEO_KEYS: [u16; 20] = [
    1, 1, 0, 4, // version 1.1.0, 4 keys
    1024, 0, 1, 2, // GTModelTypeGeoKey = ModelTypeGeographic
    1025, 0, 1, 1, // GTRasterTypeGeoKey = RasterPixelIsArea
    2048, 0, 1, 4326, // GeographicTypeGeoKey = WGS 84
    2054, 0, 1, 9102, // GeogAngularUnitsGeoKey = degree
];

macro_rules! write_geotiff {
    ($path:expr, $geo:expr, $data:expr, $nodata:expr, $color:ty, $compression:expr) => {{
        let path: &Path = $path;
        let geo: &GeoGrid = $geo;
        let (w, h) = check(geo, path, $data.len())?;
        atomic_write(path, |tmp| {
            let file = std::fs::File::create(tmp).map_err(io_err(path))?;
            let mut enc = TiffEncoder::new(BufWriter::new(file))
                .map_err(tiff_err(path))?
                .with_compression($compression);
            let mut image = enc.new_image::<$color>(w, h).map_err(tiff_err(path))?;
            let d = image.encoder();
            d.write_tag(
                Tag::ModelPixelScaleTag,
                &[geo.pixel_width_deg, geo.pixel_height_deg, 0.0][..],
            )
            .map_err(tiff_err(path))?;
            d.write_tag(
                Tag::ModelTiepointTag,
                &[0.0, 0.0, 0.0, geo.west_deg, geo.north_deg, 0.0][..],
            )
            .map_err(tiff_err(path))?;
            d.write_tag(Tag::GeoKeyDirectoryTag, &GEO_KEYS[..])
                .map_err(tiff_err(path))?;
            if let Some(nd) = $nodata {
                d.write_tag(Tag::GdalNodata, nd.as_str())
                    .map_err(tiff_err(path))?;
            }
            image.write_data($data).map_err(tiff_err(path))?;
            Ok(())
        })
    }};
}

/// Writes a float32 GeoTIFF; NaN values are written as `nodata` (declared in `GDAL_NODATA`).
///
/// # Errors
/// [`Error::Malformed`] when `data` does not match the grid, [`Error::Io`] on write failure.
pub fn write_geotiff_f32(path: &Path, geo: &GeoGrid, data: &[f32], nodata: f32) -> Result<()> {
    let values: Vec<f32> = data
        .iter()
        .map(|v| if v.is_nan() { nodata } else { *v })
        .collect();
    let nd = Some(format!("{nodata}"));
    // Uncompressed, as GDAL writes by default: deflate saves under a fifth of a float raster
    // of received power (its low bits are noise) and took longer than the rest of writing it.
    write_geotiff!(
        path,
        geo,
        &values[..],
        nd,
        colortype::Gray32Float,
        Compression::Uncompressed
    )
}

/// Writes a byte GeoTIFF (e.g. a viewshed: 1 visible, 0 hidden) with `nodata` declared.
///
/// # Errors
/// As [`write_geotiff_f32`].
pub fn write_geotiff_u8(path: &Path, geo: &GeoGrid, data: &[u8], nodata: u8) -> Result<()> {
    let nd = Some(format!("{nodata}"));
    write_geotiff!(
        path,
        geo,
        data,
        nd,
        colortype::Gray8,
        Compression::Deflate(DeflateLevel::Balanced)
    )
}

/// Colour of a value in the overlay ramp, `t` in 0 (weakest) … 1 (strongest): blue → cyan →
/// green → yellow → red, as radio planners' signal maps read.
#[must_use]
pub fn ramp_rgb(t: f64) -> [u8; 3] {
    const STOPS: [[f64; 3]; 5] = [
        [0.0, 0.0, 255.0],
        [0.0, 200.0, 255.0],
        [0.0, 200.0, 0.0],
        [255.0, 230.0, 0.0],
        [220.0, 0.0, 0.0],
    ];
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let mut out = [0u8; 3];
    for (c, o) in out.iter_mut().enumerate() {
        *o = (STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * f).round() as u8;
    }
    out
}

/// Writes a PNG overlay of `data` (row-major from the north-west corner): values below `min`
/// (e.g. the coverage threshold) and NaN are transparent; `min..=max` runs along
/// [`ramp_rgb`], values above `max` take the top colour. `alpha` is the opacity of covered
/// pixels (0–255).
///
/// # Errors
/// As [`write_geotiff_f32`]; also `min ≥ max`.
pub fn write_png_overlay(
    path: &Path,
    geo: &GeoGrid,
    data: &[f32],
    min: f64,
    max: f64,
    alpha: u8,
) -> Result<()> {
    let bytes = encode_png_overlay(path, geo, data, min, max, alpha)?;
    atomic_write(path, |tmp| {
        std::fs::write(tmp, &bytes).map_err(io_err(path))
    })
}

/// The PNG of [`write_png_overlay`] as bytes (for a response rather than a file); `name` names
/// the image in errors.
///
/// # Errors
/// As [`write_png_overlay`].
pub fn encode_png_overlay(
    name: &Path,
    geo: &GeoGrid,
    data: &[f32],
    min: f64,
    max: f64,
    alpha: u8,
) -> Result<Vec<u8>> {
    let (w, h) = check(geo, name, data.len())?;
    if min.partial_cmp(&max) != Some(std::cmp::Ordering::Less) {
        return Err(Error::Malformed {
            path: name.to_path_buf(),
            message: format!("colour ramp needs min < max, got {min} and {max}"),
        });
    }
    let mut rgba = Vec::with_capacity(data.len() * 4);
    for v in data {
        let v = f64::from(*v);
        if v.is_nan() || v < min {
            rgba.extend_from_slice(&[0, 0, 0, 0]);
        } else {
            let [r, g, b] = ramp_rgb((v - min) / (max - min));
            rgba.extend_from_slice(&[r, g, b, alpha]);
        }
    }
    let png_err = |e: png::EncodingError| Error::Io {
        path: name.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(png_err)?;
    writer.write_image_data(&rgba).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(out)
}

/// The bounds sidecar of an overlay, as JSON: edges, size, CRS, Leaflet's
/// `[[south, west], [north, east]]` and MapLibre's corner list (NW, NE, SE, SW as
/// `[lon, lat]`), plus the caller's `extra` object (legend, site, units) under `"meta"`.
#[must_use]
pub fn bounds_json(geo: &GeoGrid, image: &str, extra: serde_json::Value) -> serde_json::Value {
    let (w, s, e, n) = (geo.west_deg, geo.south_deg(), geo.east_deg(), geo.north_deg);
    serde_json::json!({
        "image": image,
        "crs": "EPSG:4326",
        "west": w, "south": s, "east": e, "north": n,
        "width": geo.width, "height": geo.height,
        "leaflet_bounds": [[s, w], [n, e]],
        "maplibre_coordinates": [[w, n], [e, n], [e, s], [w, s]],
        "meta": extra,
    })
}

/// Writes [`bounds_json`] to `path` (pretty-printed).
///
/// # Errors
/// [`Error::Io`] on write failure.
pub fn write_bounds_json(path: &Path, json: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(json).map_err(|e| Error::Malformed {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    atomic_write(path, |tmp| {
        std::fs::write(tmp, text.as_bytes()).map_err(io_err(path))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn geo() -> GeoGrid {
        GeoGrid {
            west_deg: 76.5,
            north_deg: 43.5,
            pixel_width_deg: 0.01,
            pixel_height_deg: 0.005,
            width: 30,
            height: 20,
        }
    }

    fn gdalinfo_json(path: &Path) -> serde_json::Value {
        let out = Command::new("gdalinfo")
            .arg("-json")
            .arg("-stats")
            .arg(path)
            .output()
            .unwrap_or_else(|e| panic!("gdalinfo (Debian gdal-bin) must be installed: {e}"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    #[test]
    fn float_geotiff_opens_in_gdal_with_size_bounds_crs_and_nodata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cov.tif");
        let g = geo();
        let mut data: Vec<f32> = (0..600).map(|i| -120.0 + i as f32 * 0.1).collect();
        data[0] = f32::NAN;
        write_geotiff_f32(&path, &g, &data, -9999.0).unwrap();
        let info = gdalinfo_json(&path);
        assert_eq!(info["size"], serde_json::json!([30, 20]));
        let gt = info["geoTransform"].as_array().unwrap();
        let gt: Vec<f64> = gt.iter().map(|v| v.as_f64().unwrap()).collect();
        assert!((gt[0] - 76.5).abs() < 1e-12 && (gt[3] - 43.5).abs() < 1e-12);
        assert!((gt[1] - 0.01).abs() < 1e-15 && (gt[5] + 0.005).abs() < 1e-15);
        let wkt = info["coordinateSystem"]["wkt"].as_str().unwrap();
        assert!(wkt.contains("4326"), "{wkt}");
        let band = &info["bands"][0];
        assert_eq!(band["type"], "Float32");
        assert_eq!(band["noDataValue"].as_f64(), Some(-9999.0));
        // The NaN pixel is nodata: the minimum is the second value.
        let min = band["minimum"].as_f64().unwrap();
        assert!((min - f64::from(data[1])).abs() < 1e-4, "{min}");
        let partial = dir
            .path()
            .read_dir()
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".partial")
            })
            .count();
        assert_eq!(partial, 0, "no temp file left");
    }

    #[test]
    fn byte_geotiff_opens_in_gdal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vs.tif");
        let data: Vec<u8> = (0..600).map(|i| (i % 3) as u8).collect();
        write_geotiff_u8(&path, &geo(), &data, 255).unwrap();
        let info = gdalinfo_json(&path);
        assert_eq!(info["bands"][0]["type"], "Byte");
        assert_eq!(info["bands"][0]["noDataValue"].as_f64(), Some(255.0));
        assert_eq!(info["bands"][0]["maximum"].as_f64(), Some(2.0));
    }

    #[test]
    fn size_mismatch_is_an_error_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.tif");
        assert!(write_geotiff_f32(&path, &geo(), &[0.0; 10], -9999.0).is_err());
        assert!(!path.exists());
    }

    #[test]
    fn png_overlay_is_transparent_below_threshold() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cov.png");
        let g = geo();
        let data: Vec<f32> = (0..600).map(|i| -130.0 + i as f32 * 0.1).collect();
        write_png_overlay(&path, &g, &data, -100.0, -70.0, 200).unwrap();
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (30, 20));
        // -130 dBm: transparent; the last value (-70.1 dBm) is opaque and red-ish.
        assert_eq!(buf[3], 0);
        let last = &buf[buf.len() - 4..];
        assert_eq!(last[3], 200);
        assert!(last[0] > 200 && last[2] < 10, "{last:?}");
        let j = bounds_json(&g, "cov.png", serde_json::json!({"unit": "dBm"}));
        assert!((j["leaflet_bounds"][0][0].as_f64().unwrap() - 43.4).abs() < 1e-9);
        let side = dir.path().join("cov.json");
        write_bounds_json(&side, &j).unwrap();
        let back: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&side).unwrap()).unwrap();
        assert!((back["east"].as_f64().unwrap() - 76.8).abs() < 1e-9);
    }
}
