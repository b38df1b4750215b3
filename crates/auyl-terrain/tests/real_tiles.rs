//! The readers and the DEM set on the real SRTM3 tiles and national grids, checked against the
//! reference sample points of `shared/terrain` (vendored in `fixtures/terrain`).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use auyl_model::LonLat;
use auyl_terrain::folder::{inspect_file, read_tile};
use auyl_terrain::geodesy::Radial;
use auyl_terrain::hgt::HGT_VOID;
use auyl_terrain::{DemSet, ProfileSpacing, TerrainError, Tile, TileFormat, VoidPolicy};
use common::{demo, fixture, sample_points, shared};
use rayon::prelude::*;

const TILES: [&str; 4] = ["N42E076", "N42E077", "N43E076", "N43E077"];

fn shared_hgt(tile: &str) -> Tile {
    let path = shared(&format!("srtm3/{tile}.hgt"));
    Tile::from_hgt_bytes(&format!("{tile}.hgt"), &std::fs::read(path).unwrap()).unwrap()
}

fn srtm_set(policy: VoidPolicy) -> DemSet {
    let mut set = DemSet::new(64 << 20).with_void_policy(policy);
    set.add_folder(&shared("srtm3")).unwrap();
    set
}

#[test]
fn srtm_posts_match_the_reference_including_voids() {
    let points = sample_points("srtm3_sample_points.csv");
    let posts: Vec<_> = points.iter().filter(|p| p.kind == "post").collect();
    assert!(posts.len() >= 20, "reference has {} post rows", posts.len());
    for tile_name in TILES {
        let tile = shared_hgt(tile_name);
        assert_eq!(tile.geometry().rows, 1201);
        for p in posts.iter().filter(|p| p.file == tile_name) {
            let (r, c) = (p.row.unwrap(), p.col.unwrap());
            let expected = (p.value_m != f64::from(HGT_VOID)).then_some(p.value_m);
            assert_eq!(tile.post(r, c), expected, "{tile_name} post ({r}, {c})");
            // The georeferencing puts the post where the reference says.
            let (lat, lon) = tile.geometry().sample_lat_lon_deg(r, c);
            assert!(
                (lat - p.lat).abs() < 1e-9 && (lon - p.lon).abs() < 1e-9,
                "{tile_name} ({r}, {c}) at {lat} {lon}"
            );
            if let Some(v) = expected {
                // The CSV's coordinates are rounded to 1e-10°, so bilinear there is the post to ~1e-4 m.
                let b = tile.elevation_m(p.lon, p.lat).unwrap().unwrap();
                assert!((b - v).abs() < 1e-3, "bilinear at post ({r}, {c}): {b}");
            }
        }
    }
}

#[test]
fn srtm_tiles_have_the_documented_void_counts_and_shared_edges() {
    // README: 45, 3391, 1734 and 6483 voids.
    let tiles: Vec<Tile> = TILES.iter().map(|t| shared_hgt(t)).collect();
    let voids: Vec<usize> = tiles.iter().map(Tile::void_count).collect();
    assert_eq!(voids, vec![1734, 6483, 45, 3391]);
    // N43E076's southern row is N42E076's northern row.
    for c in 0..1201 {
        assert_eq!(
            tiles[2].post(1200, c),
            tiles[0].post(0, c),
            "shared edge col {c}"
        );
    }
}

#[test]
fn bilinear_reference_points_on_the_srtm_mosaic() {
    let set = srtm_set(VoidPolicy::Strict);
    let points: Vec<_> = sample_points("srtm3_sample_points.csv")
        .into_iter()
        .filter(|p| p.kind == "bilinear")
        .collect();
    assert!(points.len() >= 30);
    for p in &points {
        let e = set.elevation(LonLat::new(p.lon, p.lat).unwrap()).unwrap();
        let v = e.elevation_m.unwrap_or_else(|| panic!("void at {p:?}"));
        assert!(
            (v - p.value_m).abs() < 1e-4,
            "{} {}: {v} vs {}",
            p.lat,
            p.lon,
            p.value_m
        );
        assert_eq!(set.source(e.source_index).unwrap().format, TileFormat::Hgt);
    }
}

#[test]
fn demo_gz_tiles_equal_the_shared_tiles() {
    for tile_name in TILES {
        let shared_tile = shared_hgt(tile_name);
        let demo_tile = read_tile(&demo(&format!("srtm3/{tile_name}.hgt.gz"))).unwrap();
        assert_eq!(demo_tile.geometry(), shared_tile.geometry());
        for r in 0..1201 {
            for c in 0..1201 {
                assert_eq!(
                    demo_tile.post(r, c),
                    shared_tile.post(r, c),
                    "{tile_name} ({r}, {c})"
                );
            }
        }
    }
}

#[test]
fn folder_reads_xz_and_plain_tiles_transparently() {
    let raw = std::fs::read(shared("srtm3/N43E077.hgt")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut xz = Vec::new();
    lzma_rs::xz_compress(&mut std::io::Cursor::new(&raw), &mut xz).unwrap();
    std::fs::write(dir.path().join("N43E077.hgt.xz"), &xz).unwrap();
    std::fs::write(
        dir.path().join("N43E076.hgt"),
        std::fs::read(shared("srtm3/N43E076.hgt")).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"not a tile").unwrap();
    let set = DemSet::open_folders(&[dir.path()], 64 << 20).unwrap();
    let names: Vec<&str> = set.sources().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["N43E076.hgt", "N43E077.hgt.xz"]);
    // The scan learnt the size from the xz index, without decoding.
    assert_eq!(set.cache_stats().loads, 0);
    assert_eq!(set.source(1).unwrap().geometry.rows, 1201);
    let reference = shared_hgt("N43E077");
    let from_xz = set.tile(1).unwrap();
    for r in (0..1201).step_by(7) {
        for c in 0..1201 {
            assert_eq!(from_xz.post(r, c), reference.post(r, c));
        }
    }
    // An empty folder is an error naming it.
    let empty = tempfile::tempdir().unwrap();
    let e = DemSet::open_folders(&[empty.path()], 1 << 20).unwrap_err();
    assert!(matches!(e, TerrainError::NoTiles(_)), "{e}");
}

fn check_grid_cells(grid: &Tile, file: &str) -> usize {
    let mut n = 0;
    for p in sample_points("kz_dem30s_sample_points.csv")
        .iter()
        .filter(|p| p.kind == "cell" && p.file == file)
    {
        let (r, c) = (p.row.unwrap(), p.col.unwrap());
        assert_eq!(grid.post(r, c), Some(p.value_m), "{file} cell ({r}, {c})");
        let (lat, lon) = grid.geometry().sample_lat_lon_deg(r, c);
        assert!(
            (lat - p.lat).abs() < 1e-8 && (lon - p.lon).abs() < 1e-8,
            "{file} ({r}, {c}) centre {lat} {lon} vs {} {}",
            p.lat,
            p.lon
        );
        // Coordinates rounded to 1e-9° (1e-7 of a cell): bilinear there is the cell value to ~1e-4 m.
        let b = grid.elevation_m(p.lon, p.lat).unwrap().unwrap();
        assert!(
            (b - p.value_m).abs() < 1e-3,
            "{file} bilinear at cell centre ({r}, {c}): {b}"
        );
        n += 1;
    }
    n
}

#[test]
fn national_grids_match_their_reference_cells() {
    let mut checked = 0;
    for stem in [
        "kz_dem30s_merged",
        "kz_globe_g10g_30s",
        "kz_gmted2010_90s",
        "kz_gebco2023_15s",
    ] {
        let hdr = shared(&format!("coarse/{stem}.hdr"));
        let (info, _) = inspect_file(&hdr).unwrap().unwrap();
        assert_eq!(info.format, TileFormat::EsriHdr);
        assert_eq!(info.name, format!("{stem}.i16le.gz"));
        let grid = read_tile(&hdr).unwrap();
        assert_eq!(
            grid.void_count(),
            0,
            "{stem}: README says no cell holds nodata"
        );
        checked += check_grid_cells(&grid, &format!("{stem}.i16le.gz"));
    }
    assert_eq!(checked, 16);
    // The source mask is 8-bit: not a height grid, so not a DEM source.
    assert!(
        inspect_file(&shared("coarse/kz_dem30s_merged_source.hdr"))
            .unwrap()
            .is_none()
    );
}

fn merged_only(hdr: &Path) -> DemSet {
    let (info, file) = inspect_file(hdr).unwrap().unwrap();
    let mut set = DemSet::new(64 << 20);
    set.add_lazy(info, Box::new(file));
    set
}

#[test]
fn national_grid_bilinear_reference_points_shared_and_demo() {
    let points: Vec<_> = sample_points("kz_dem30s_sample_points.csv")
        .into_iter()
        .filter(|p| p.kind == "bilinear")
        .collect();
    assert_eq!(points.len(), 16);
    for hdr in [
        shared("coarse/kz_dem30s_merged.hdr"),
        demo("kz_dem30s_merged.hdr"),
    ] {
        let set = merged_only(&hdr);
        for p in &points {
            let v = set.elevation_m(LonLat::new(p.lon, p.lat).unwrap()).unwrap();
            assert!(
                (v - p.value_m).abs() < 1e-4,
                "{}: {} {}: {v} vs {}",
                hdr.display(),
                p.lat,
                p.lon,
                p.value_m
            );
        }
    }
    // The demo's recompressed grid decodes to the same cells.
    let demo_grid = read_tile(&demo("kz_dem30s_merged.hdr")).unwrap();
    assert_eq!(
        check_grid_cells(&demo_grid, "kz_dem30s_merged.i16le.gz"),
        10
    );
}

#[test]
fn finest_source_wins_and_voids_fall_back_to_the_coarser_one() {
    let set = DemSet::open_folders(&[demo("")], 128 << 20).unwrap();
    assert_eq!(set.len(), 5, "4 SRTM tiles + the national grid");
    // Almaty: SRTM3 answers.
    let almaty = set.elevation(LonLat::new(76.945, 43.238).unwrap()).unwrap();
    let src = set.source(almaty.source_index).unwrap();
    assert_eq!(src.format, TileFormat::Hgt);
    assert!((src.resolution_arcsec() - 3.0).abs() < 1e-12);
    assert!((almaty.elevation_m.unwrap() - 874.0).abs() < 1e-9);
    // Astana: only the national grid covers it.
    let astana = set
        .elevation(LonLat::new(71.4491, 51.1694).unwrap())
        .unwrap();
    let src = set.source(astana.source_index).unwrap();
    assert_eq!(src.format, TileFormat::EsriHdr);
    assert!((src.resolution_arcsec() - 30.0).abs() < 1e-9);
    // A void post of N42E077: the national grid fills it, and says so.
    let void_pt = sample_points("srtm3_sample_points.csv")
        .into_iter()
        .find(|p| p.kind == "post" && p.value_m == f64::from(HGT_VOID) && p.row != Some(0))
        .unwrap();
    let p = LonLat::new(void_pt.lon, void_pt.lat).unwrap();
    let filled = set.elevation(p).unwrap();
    assert_eq!(
        set.source(filled.source_index).unwrap().format,
        TileFormat::EsriHdr
    );
    let coarse = merged_only(&demo("kz_dem30s_merged.hdr"))
        .elevation_m(p)
        .unwrap();
    assert_eq!(filled.elevation_m, Some(coarse));
    // With the SRTM tiles alone the void is explicit.
    let strict = srtm_set(VoidPolicy::FillFromCoarser);
    assert_eq!(strict.elevation(p).unwrap().elevation_m, None);
    assert!(matches!(
        strict.elevation_m(p),
        Err(TerrainError::Void { .. })
    ));
}

#[test]
fn missing_tile_is_an_error_naming_it() {
    let set = srtm_set(VoidPolicy::FillFromCoarser);
    let astana = LonLat::new(71.4491, 51.1694).unwrap();
    let e = set.elevation(astana).unwrap_err();
    assert!(
        matches!(&e, TerrainError::MissingTile { tile, .. } if tile == "N51E071.hgt"),
        "{e}"
    );
    assert!(e.to_string().contains("N51E071.hgt"));
    // A profile leaving the tiles fails the same way, naming the first missing tile.
    let e = set
        .profile(
            LonLat::new(76.5, 43.5).unwrap(),
            LonLat::new(75.5, 43.5).unwrap(),
            ProfileSpacing::MaxStepM(500.0),
        )
        .unwrap_err();
    assert!(e.to_string().contains("N43E075.hgt"), "{e}");
}

#[test]
fn profile_along_the_great_circle() {
    let set = srtm_set(VoidPolicy::FillFromCoarser);
    // Almaty to the Kapchagay shore, about 50 km, crossing two tiles.
    let a = LonLat::new(76.945, 43.238).unwrap();
    let b = LonLat::new(77.25, 43.65).unwrap();
    let p = set.profile(a, b, ProfileSpacing::MaxStepM(90.0)).unwrap();
    let length = a.haversine_distance_m(b);
    assert!((p.length_m() - length).abs() < 1e-6);
    assert!(p.step_m <= 90.0 && p.step_m > 89.0, "step {}", p.step_m);
    assert_eq!(p.distances_m.len(), p.elevations_m.len());
    assert_eq!(p.elevations_m[0], set.elevation_m(a).unwrap());
    assert_eq!(*p.elevations_m.last().unwrap(), set.elevation_m(b).unwrap());
    assert_eq!(p.filled_voids, 0);
    let names: Vec<&str> = p.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["N43E076.hgt", "N43E077.hgt"]);
    assert_eq!(
        p.sources.iter().map(|s| s.points).sum::<usize>(),
        p.elevations_m.len()
    );
    assert!(
        p.sources
            .iter()
            .all(|s| (s.resolution_arcsec - 3.0).abs() < 1e-12
                && (s.resolution_m - 92.66).abs() < 0.1)
    );
    // Every sample is the point elevation at its great-circle position.
    let gc =
        auyl_terrain::geodesy::GreatCircle::new((a.lon_deg, a.lat_deg), (b.lon_deg, b.lat_deg))
            .unwrap();
    let n = p.elevations_m.len();
    for i in (0..n).step_by(37) {
        let (lon, lat) = gc.point_at(i as f64 / (n - 1) as f64);
        assert_eq!(
            p.elevations_m[i],
            set.elevation_m(LonLat::new(lon, lat).unwrap()).unwrap()
        );
    }
    // Same path by number of points, into a caller buffer.
    let mut buf = vec![0.0; n];
    let s = set.profile_into(a, b, &mut buf).unwrap();
    assert_eq!(buf, p.elevations_m);
    assert_eq!(s.points, n);
}

#[test]
fn profile_through_voids_interpolates_and_counts_them() {
    let strict = srtm_set(VoidPolicy::Strict);
    // Find a void post away from the tile edges and run a profile across it.
    let tile = shared_hgt("N42E077");
    let (r, c) = (1..1200)
        .flat_map(|r| (1..1200).map(move |c| (r, c)))
        .find(|&(r, c)| tile.post(r, c).is_none())
        .unwrap();
    let (lat, lon) = tile.geometry().sample_lat_lon_deg(r, c);
    let a = LonLat::new(lon - 0.01, lat).unwrap();
    let b = LonLat::new(lon + 0.01, lat).unwrap();
    let p = strict.profile(a, b, ProfileSpacing::Points(41)).unwrap();
    assert!(p.filled_voids > 0);
    assert!(
        p.elevations_m.iter().all(|v| v.is_finite() && *v > 1000.0),
        "{:?}",
        p.elevations_m
    );
}

#[test]
fn radial_samples_are_point_elevations() {
    let set = srtm_set(VoidPolicy::FillFromCoarser);
    let origin = LonLat::new(76.95, 43.35).unwrap();
    let mut out = vec![0.0; 600];
    for az in [0.0, 45.0, 137.5, 270.0] {
        let s = set.sample_radial(origin, az, 83.0, &mut out).unwrap();
        assert_eq!(s.points, 600);
        assert_eq!(out[0], set.elevation_m(origin).unwrap());
        let r = Radial::new((origin.lon_deg, origin.lat_deg), az);
        for i in [1, 10, 16, 299, 592, 599] {
            let (lon, lat) = r.point_at(i as f64 * 83.0);
            let e = set.elevation(LonLat::new(lon, lat).unwrap()).unwrap();
            if let Some(v) = e.elevation_m {
                // Every 16th point and the last are exact; those between are interpolated
                // along the great circle to within a micrometre.
                if i % Radial::KNOT_SPACING == 0 || i == 599 {
                    assert_eq!(out[i], v, "az {az} i {i}");
                } else {
                    assert!((out[i] - v).abs() < 1e-6, "az {az} i {i}: {} {v}", out[i]);
                }
            }
        }
    }
}

#[test]
fn cache_stays_within_budget_and_is_thread_safe() {
    // Budget for two SRTM3 tiles; sample all four from many threads.
    let mut set = DemSet::new(2 * 1201 * 1201 * 2 + 10);
    set.add_folder(&demo("srtm3")).unwrap();
    let pts: Vec<LonLat> = (0..4000)
        .map(|i| {
            let f = i as f64 / 4000.0;
            LonLat::new(
                76.0 + 1.999 * ((f * 7.3) % 1.0),
                42.0 + 1.999 * ((f * 3.1) % 1.0),
            )
            .unwrap()
        })
        .collect();
    let serial: Vec<Option<f64>> = pts
        .iter()
        .map(|p| set.elevation(*p).unwrap().elevation_m)
        .collect();
    let parallel: Vec<Option<f64>> = pts
        .par_iter()
        .map(|p| set.elevation(*p).unwrap().elevation_m)
        .collect();
    assert_eq!(serial, parallel);
    let st = set.cache_stats();
    assert!(st.resident_bytes <= st.budget_bytes, "{st:?}");
    assert!(
        st.resident_tiles <= 2 && st.evictions > 0 && st.loads > 4,
        "{st:?}"
    );
    // And the same values as the shared, uncompressed tiles.
    let shared_set = srtm_set(VoidPolicy::FillFromCoarser);
    let reference: Vec<Option<f64>> = pts
        .iter()
        .map(|p| shared_set.elevation(*p).unwrap().elevation_m)
        .collect();
    assert_eq!(serial, reference);
    assert!(fixture("README.md").exists());
}

#[test]
fn reproduces_the_itm_reference_profiles_sampled_from_these_tiles() {
    // fixtures/radio/itm_profiles.jsonl (vendored from shared/radio): 54 profiles sampled from
    // the SRTM3 mosaic by straight lat/lon interpolation and the bilinear rule, rounded to 0.01 m.
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/radio/itm_profiles.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("this test needs {}: {e}", path.display()));
    let set = DemSet::open_folders(&[demo("srtm3")], 64 << 20)
        .unwrap()
        .with_void_policy(VoidPolicy::Strict);
    let mut sampler = set.sampler();
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let Some(tx_lat) = v["tx_lat"].as_f64() else {
            continue;
        };
        let (tx_lon, rx_lat, rx_lon) = (
            v["tx_lon"].as_f64().unwrap(),
            v["rx_lat"].as_f64().unwrap(),
            v["rx_lon"].as_f64().unwrap(),
        );
        let expected: Vec<f64> = v["elevations_m"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let n = expected.len();
        let pts: Vec<LonLat> = (0..n)
            .map(|k| {
                let t = k as f64 / (n - 1) as f64;
                LonLat::new(
                    tx_lon + t * (rx_lon - tx_lon),
                    tx_lat + t * (rx_lat - tx_lat),
                )
                .unwrap()
            })
            .collect();
        let mut out = vec![0.0; n];
        let s = sampler.sample_points_into(&pts, &mut out).unwrap();
        assert_eq!(s.filled_voids, 0, "{}", v["profile_id"]);
        for (k, (got, want)) in out.iter().zip(&expected).enumerate() {
            assert!(
                (got - want).abs() <= 0.005 + 1e-9,
                "{} point {k}: {got} vs {want}",
                v["profile_id"]
            );
        }
        let length = pts[0].haversine_distance_m(pts[n - 1]);
        assert!(
            (length - v["length_m"].as_f64().unwrap()).abs() < 1e-3 + 1e-9,
            "{}",
            v["profile_id"]
        );
        checked += 1;
    }
    assert_eq!(checked, 54);
}

#[test]
fn sampler_per_thread_equals_the_set() {
    let set = DemSet::open_folders(&[demo("")], 256 << 20).unwrap();
    let origin = LonLat::new(76.95, 43.35).unwrap();
    let radials: Vec<Vec<f64>> = (0..72)
        .into_par_iter()
        .map_init(
            || set.sampler(),
            |s, k| {
                let mut out = vec![0.0; 300];
                s.sample_radial(origin, k as f64 * 5.0, 180.0, &mut out)
                    .unwrap();
                out
            },
        )
        .collect();
    for (k, r) in radials.iter().enumerate() {
        let mut out = vec![0.0; 300];
        set.sample_radial(origin, k as f64 * 5.0, 180.0, &mut out)
            .unwrap();
        assert_eq!(&out, r);
    }
    // 300 × 180 m = 54 km: the southern radials reach the N42 tiles.
    let south = &radials[36];
    assert!(
        south.iter().all(|v| v.is_finite()) && south.iter().copied().fold(0.0, f64::max) > 3000.0
    );
}

/// A grid row read along its parallel gives the heights of the same points read one by one
/// (the posts exactly on a 3″ row, bilinear between them), voids filled the same way.
#[test]
fn sampler_row_equals_the_points_of_the_row() {
    let set = DemSet::open_folders(&[demo("")], 256 << 20).unwrap();
    let mut sampler = set.sampler();
    for (lat, west, step, n) in [
        (43.35, 76.5, 1.0 / 1200.0, 1000),
        (42.987_654, 76.123_4, 0.000_7, 1500),
        (43.9, 77.95, 1.0 / 1200.0, 60),
    ] {
        let pts: Vec<LonLat> = (0..n)
            .map(|i| LonLat::new(west + i as f64 * step, lat).unwrap())
            .collect();
        let mut by_points = vec![0.0; n];
        let a = sampler.sample_points_into(&pts, &mut by_points).unwrap();
        let mut by_row = vec![0.0; n];
        let b = sampler.sample_row(lat, west, step, &mut by_row).unwrap();
        assert_eq!(by_row, by_points, "row at {lat}");
        assert_eq!(a.finest_source, b.finest_source);
        assert_eq!(a.filled_voids, b.filled_voids);
    }
    let mut out = vec![0.0; 10];
    assert!(sampler.sample_row(43.0, 179.9999, 0.001, &mut out).is_err());
    assert!(sampler.sample_row(f64::NAN, 76.0, 0.001, &mut out).is_err());
}
