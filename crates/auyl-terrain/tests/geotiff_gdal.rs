//! The GeoTIFF reader against GDAL: a real SRTM3 tile converted by `gdal_translate` (Debian
//! `gdal-bin`) to GeoTIFFs of several layouts and sample types must give the same value at every
//! post as the `.hgt` reader, and the same georeferencing.

mod common;

use std::path::Path;
use std::process::Command;

use auyl_terrain::folder::{inspect_file, read_tile};
use auyl_terrain::{DemSet, Registration, Tile, TileFormat};
use common::shared;

fn gdal_translate(args: &[&str], src: &Path, dst: &Path) {
    let out = Command::new("gdal_translate")
        .args(["-q", "-of", "GTiff"])
        .args(args)
        .arg(src)
        .arg(dst)
        .output()
        .unwrap_or_else(|e| {
            panic!("this test needs gdal_translate (Debian package gdal-bin): {e}")
        });
    assert!(
        out.status.success(),
        "gdal_translate {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn assert_same_posts(hgt: &Tile, tif: &Tile, what: &str) {
    let (g, h) = (hgt.geometry(), tif.geometry());
    assert_eq!((g.rows, g.cols), (h.rows, h.cols), "{what}");
    assert!(
        (g.lat0_deg - h.lat0_deg).abs() < 1e-9 && (g.lon0_deg - h.lon0_deg).abs() < 1e-9,
        "{what}: {g:?} vs {h:?}"
    );
    assert_eq!(
        (g.per_deg_lat, g.per_deg_lon),
        (h.per_deg_lat, h.per_deg_lon),
        "{what}"
    );
    let mut voids = 0;
    for r in 0..g.rows {
        for c in 0..g.cols {
            let (a, b) = (hgt.post(r, c), tif.post(r, c));
            assert_eq!(a, b, "{what}: post ({r}, {c})");
            voids += usize::from(a.is_none());
        }
    }
    assert_eq!(voids, hgt.void_count(), "{what}");
}

#[test]
fn gdal_geotiffs_match_the_hgt_reader_at_every_post() {
    let src = shared("srtm3/N42E077.hgt"); // the tile with the most voids (6483)
    let hgt = Tile::from_hgt_bytes("N42E077.hgt", &std::fs::read(&src).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // GDAL's SRTMHGT driver reports AREA_OR_POINT=Point, so the default output is pixel-is-point;
    // `-mo AREA_OR_POINT=Area` writes pixel-is-area with the tiepoint moved half a pixel.
    const AREA: [&str; 2] = ["-mo", "AREA_OR_POINT=Area"];
    #[rustfmt::skip]
    let variants: Vec<(&str, Vec<&str>, Registration)> = vec![
        ("int16_striped.tif", vec![], Registration::Point),
        ("int16_tiled_deflate_pred2.tif", vec!["-co", "TILED=YES", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=2"], Registration::Point),
        ("int16_area_striped_lzw.tif", [&AREA[..], &["-co", "COMPRESS=LZW", "-co", "BLOCKYSIZE=7"]].concat(), Registration::Area),
        ("float32_area_tiled_lzw.tif", [&AREA[..], &["-ot", "Float32", "-co", "TILED=YES", "-co", "BLOCKXSIZE=256", "-co", "BLOCKYSIZE=256", "-co", "COMPRESS=LZW"]].concat(), Registration::Area),
        ("float32_striped_deflate_pred3.tif", vec!["-ot", "Float32", "-co", "COMPRESS=DEFLATE", "-co", "PREDICTOR=3"], Registration::Point),
        ("int32_area_tiled.tif", [&AREA[..], &["-ot", "Int32", "-co", "TILED=YES"]].concat(), Registration::Area),
        ("uint16_tiled_deflate.tif", vec!["-ot", "UInt16", "-a_nodata", "0", "-co", "TILED=YES", "-co", "COMPRESS=DEFLATE"], Registration::Point),
    ];
    for (file, args, registration) in variants {
        let dst = dir.path().join(file);
        gdal_translate(&args, &src, &dst);
        let tif = Tile::from_geotiff_bytes(file, &std::fs::read(&dst).unwrap()).unwrap();
        assert_eq!(tif.geometry().registration, registration, "{file}");
        assert_same_posts(&hgt, &tif, file);
        // Interior bilinear values agree too (no void involved at this point).
        let (lon, lat) = (77.4321, 42.6543);
        assert_eq!(
            tif.elevation_m(lon, lat).unwrap(),
            hgt.elevation_m(lon, lat).unwrap(),
            "{file}"
        );
        // The folder layer reads the header alone and agrees with the full decode.
        let (info, _) = inspect_file(&dst).unwrap().unwrap();
        assert_eq!(info.format, TileFormat::GeoTiff);
        assert_eq!(&info.geometry, tif.geometry(), "{file}");
    }
    // A set built from the GeoTIFF folder answers like one built from the .hgt.
    let tif_set = DemSet::open_folders(&[dir.path()], 256 << 20).unwrap();
    assert_eq!(tif_set.len(), 7);
    let one = read_tile(&dir.path().join("int16_striped.tif")).unwrap();
    assert_eq!(one.void_count(), 6483);
}
