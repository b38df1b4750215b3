//! Coverage sweeps over the demo DEM: the radial reuse must give exactly the ITM point-to-point
//! loss of each pixel's own profile, and the viewshed must agree with `los::analyze`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use auyl_model::LonLat;
use auyl_radio::coverage::{
    self, AntennaPattern, CoverageParams, ItmSettings, Resolution, Roughness, SettlementPoint,
    ViewshedParams,
};
use auyl_radio::{itm, los};
use auyl_terrain::DemSet;

fn demo_dem() -> DemSet {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/demo/terrain");
    DemSet::open_folders(&[dir], 256 << 20).expect("demo terrain in data/demo/terrain")
}

fn site() -> LonLat {
    LonLat::new(76.95, 43.35).unwrap()
}

fn params(radius_m: f64) -> CoverageParams {
    CoverageParams {
        site: site(),
        tx_height_m: 40.0,
        rx_height_m: 1.5,
        freq_mhz: 900.0,
        eirp_dbm: 60.0,
        rx_gain_dbi: 0.0,
        pattern: AntennaPattern::Omni,
        radius_m,
        resolution: Resolution::Native,
        itm: ItmSettings::default(),
        // Each pixel's own Δh, so that pixels equal direct ITM calls bit for bit.
        roughness: Roughness::Exact,
    }
}

/// Every checked pixel is a valid sample and its value is the ITM p2p loss of the radial
/// profile from the site to that sample, computed independently.
#[test]
fn pixels_equal_direct_itm_on_their_radial_profile() {
    let dem = demo_dem();
    let p = params(6_000.0);
    let map = coverage::coverage(&dem, &p).unwrap();
    let sw = map.sweep;
    // Native SRTM3 resolution at the site.
    assert!((sw.grid.pixel_height_deg * 3600.0 - 3.0).abs() < 1e-9);
    assert!(map.terrain.iter().any(|t| t.name.starts_with("N43E076")));
    // The outer ring's arc spacing is at most a pixel.
    let arc = 2.0 * std::f64::consts::PI * p.radius_m / sw.radials as f64;
    assert!(arc <= sw.pixel_size_m[0].min(sw.pixel_size_m[1]) + 1e-9);
    let g = sw.grid;
    let mut z = vec![0.0; sw.samples_per_radial];
    let (mut checked, mut valid) = (0, 0);
    for i in (0..g.width * g.height).step_by(131) {
        let (col, row) = (i % g.width, i / g.width);
        let Some(s) = sw.pixel_sample(p.site, col, row) else {
            assert!(map.loss_db[i].is_nan());
            continue;
        };
        dem.sample_radial(p.site, s.azimuth_deg, sw.radial_step_m, &mut z)
            .unwrap();
        let direct = itm::p2p(
            itm::Profile {
                resolution_m: sw.radial_step_m,
                elevations_m: &z[..=s.sample],
            },
            p.tx_height_m,
            p.rx_height_m,
            &p.itm.params(p.freq_mhz),
            p.itm.variability(),
        );
        checked += 1;
        match direct {
            Ok(o) => {
                valid += 1;
                let got = f64::from(map.loss_db[i]);
                // The sweep prepares each prefix bit for bit as prepare_p2p does.
                assert_eq!(
                    map.loss_db[i], o.a_db as f32,
                    "pixel ({col},{row}): sweep {got} dB, direct {} dB",
                    o.a_db
                );
                let rx = p.eirp_dbm - o.a_db;
                assert!((f64::from(map.rx_power_dbm[i]) - rx).abs() < 1e-3);
            }
            Err(_) => assert!(map.loss_db[i].is_nan()),
        }
    }
    assert!(
        checked > 100 && valid > 100,
        "{checked} checked, {valid} valid"
    );
    assert_eq!(map.failed_evaluations, 0);
}

/// The default interpolated Δh (the radials' shared roughness work) against each pixel's own,
/// over the real foothills south of the site: the loss moves by a few hundredths of a dB for
/// most pixels, and Δh is computed exactly for a part of them only.
#[test]
fn interpolated_roughness_stays_close_to_each_pixels_own() {
    let dem = demo_dem();
    let exact = coverage::coverage(&dem, &params(30_000.0)).unwrap();
    let fast = CoverageParams {
        roughness: Roughness::default(),
        ..params(30_000.0)
    };
    let fast = coverage::coverage(&dem, &fast).unwrap();
    assert_eq!(exact.delta_h_interpolated, 0);
    assert_eq!(exact.delta_h_shared, 0);
    // Neighbouring radials share nodes.
    assert!(fast.delta_h_shared > fast.delta_h_computed / 10);
    assert!(
        fast.delta_h_interpolated > fast.evaluations / 3,
        "{} of {} interpolated",
        fast.delta_h_interpolated,
        fast.evaluations
    );
    let mut d: Vec<f64> = exact
        .loss_db
        .iter()
        .zip(&fast.loss_db)
        .filter(|(a, b)| {
            assert_eq!(a.is_nan(), b.is_nan());
            !a.is_nan()
        })
        .map(|(a, b)| f64::from((a - b).abs()))
        .collect();
    d.sort_by(f64::total_cmp);
    let at = |q: f64| d[((d.len() - 1) as f64 * q) as usize];
    assert!(d.len() > 100_000, "{} pixels", d.len());
    assert!(at(0.5) < 0.02, "median {} dB", at(0.5));
    assert!(at(0.99) < 0.5, "P99 {} dB", at(0.99));
    assert!(at(1.0) < 6.0, "max {} dB", at(1.0));
}

#[test]
fn sector_pattern_attenuates_behind_the_antenna() {
    let dem = demo_dem();
    let omni = coverage::coverage(&dem, &params(2_000.0)).unwrap();
    let mut p = params(2_000.0);
    p.pattern = AntennaPattern::Sector {
        azimuth_deg: 90.0,
        beamwidth_deg: 65.0,
        front_to_back_db: 25.0,
    };
    let sector = coverage::coverage(&dem, &p).unwrap();
    let g = omni.sweep.grid;
    let row = g.height / 2;
    let (east, west) = (row * g.width + g.width - 3, row * g.width + 2);
    assert!((omni.rx_power_dbm[east] - sector.rx_power_dbm[east]).abs() < 0.01);
    assert!((omni.rx_power_dbm[west] - sector.rx_power_dbm[west] - 25.0).abs() < 0.01);
}

#[test]
fn summary_counts_settlements_and_population_above_threshold() {
    let dem = demo_dem();
    let map = coverage::coverage(&dem, &params(3_000.0)).unwrap();
    let near = LonLat::new(76.96, 43.355).unwrap();
    let far = LonLat::new(78.0, 44.0).unwrap();
    let settlements = vec![
        SettlementPoint {
            id: "near".into(),
            name: "Near".into(),
            position: near,
            population: 1200,
        },
        SettlementPoint {
            id: "far".into(),
            name: "Far".into(),
            position: far,
            population: 500,
        },
    ];
    let (col, row) = map.sweep.grid.pixel_of(near).unwrap();
    let level = f64::from(map.rx_power_dbm[row * map.sweep.grid.width + col]);
    let s = coverage::summarize(&map, &settlements, level - 1.0);
    assert_eq!(s.settlements.len(), 1);
    assert_eq!(s.settlements_covered, 1);
    assert_eq!(s.population_covered, 1200);
    let s = coverage::summarize(&map, &settlements, level + 1.0);
    assert_eq!(s.settlements_covered, 0);
    assert_eq!(s.population_in_radius, 1200);
    assert!(s.evaluated_area_km2 > 0.9 * std::f64::consts::PI * 9.0);
    assert!(s.evaluated_area_km2 < 1.1 * std::f64::consts::PI * 9.0);
}

/// Line of sight from the observer cell to a target cell, exactly: the straight segment between
/// them on the grid (straight in lon/lat), the ground read bilinearly every ¼ cell, each point
/// lowered by the earth bulge d²/2kR against the ray from the antenna to the target.
fn exact_grid_los(
    dem: &DemSet,
    g: &coverage::GeoGrid,
    (cx, cy): (usize, usize),
    (col, row): (usize, usize),
    h_obs_m: f64,
    target_m: f64,
    k: f64,
) -> bool {
    let (lon0, lat0) = g.pixel_center(cx, cy);
    let (lon1, lat1) = g.pixel_center(col, row);
    let m_per_deg = los::EARTH_RADIUS_M.to_radians();
    let dist = |lon: f64, lat: f64| {
        let x = (lon - lon0) * m_per_deg * lat.to_radians().cos();
        let y = (lat - lat0) * m_per_deg;
        x.hypot(y)
    };
    let bulge = |d: f64| d * d / (2.0 * k * los::EARTH_RADIUS_M);
    let z_obs = dem.elevation_m(LonLat::new(lon0, lat0).unwrap()).unwrap() + h_obs_m;
    let d_t = dist(lon1, lat1);
    let z_t = dem.elevation_m(LonLat::new(lon1, lat1).unwrap()).unwrap() + target_m - bulge(d_t);
    let cells = (col.abs_diff(cx)).max(row.abs_diff(cy));
    let steps = 4 * cells;
    (1..steps).all(|i| {
        let t = i as f64 / steps as f64;
        let (lon, lat) = (lon0 + t * (lon1 - lon0), lat0 + t * (lat1 - lat0));
        let d = dist(lon, lat);
        let ground = dem.elevation_m(LonLat::new(lon, lat).unwrap()).unwrap() - bulge(d);
        ground <= z_obs + (z_t - z_obs) * d / d_t
    })
}

/// The grid viewshed (gdal_viewshed's horizon-carrying scan) agrees with exact line of sight
/// over the grid on real terrain for nearly every cell; the differences are grazing rays where
/// the interpolated horizon and the exact one fall on either side of the target.
#[test]
fn viewshed_agrees_with_exact_line_of_sight_on_the_grid() {
    let dem = demo_dem();
    let vp = ViewshedParams {
        site: site(),
        tx_height_m: 40.0,
        rx_height_m: 1.5,
        radius_m: 10_000.0,
        resolution: Resolution::Native,
        k_factor: los::K_STANDARD,
    };
    let vs = coverage::viewshed(&dem, &vp).unwrap();
    let g = vs.sweep.grid;
    let observer = g.pixel_of(vp.site).unwrap();
    let (mut checked, mut visible, mut mismatched) = (0, 0, 0);
    for i in (0..g.width * g.height).step_by(37) {
        let (col, row) = (i % g.width, i / g.width);
        let (lon, lat) = g.pixel_center(col, row);
        if vp.site.haversine_distance_m(LonLat::new(lon, lat).unwrap()) > 9_900.0 {
            continue;
        }
        assert_ne!(vs.visible[i], coverage::VIEWSHED_NODATA);
        if (col, row) == observer {
            continue;
        }
        let clear = exact_grid_los(
            &dem,
            &g,
            observer,
            (col, row),
            vp.tx_height_m,
            vp.rx_height_m,
            vp.k_factor,
        );
        checked += 1;
        visible += usize::from(clear);
        mismatched += usize::from(clear != (vs.visible[i] == 1));
    }
    println!("{mismatched} of {checked} cells differ from exact line of sight ({visible} visible)");
    assert!(checked > 1000);
    assert!(visible > 100 && visible < checked, "{visible} of {checked}");
    assert!(
        mismatched * 100 <= 3 * checked,
        "{mismatched} of {checked} differ"
    );
    // Outside the radius: no data.
    assert_eq!(vs.visible[0], coverage::VIEWSHED_NODATA);
    assert!(vs.visible_area_km2 > 0.0 && vs.visible_area_km2 < vs.evaluated_area_km2);
}

/// A synthetic 1° tile of 3″ posts at the given heights (row 0 north).
fn synthetic_dem(height: impl Fn(usize, usize) -> f32) -> DemSet {
    let n = 1201;
    let values = (0..n * n).map(|i| height(i / n, i % n)).collect();
    let geometry = auyl_terrain::GridGeometry {
        rows: n,
        cols: n,
        lat0_deg: 44.0,
        lon0_deg: 76.0,
        per_deg_lat: 1200.0,
        per_deg_lon: 1200.0,
        registration: auyl_terrain::Registration::Point,
    };
    let mut dem = DemSet::new(64 << 20);
    dem.add_tile(auyl_terrain::Tile::from_f32("synthetic", geometry, values).unwrap());
    dem
}

/// Over smooth ground at sea level, a 40 m antenna sees ground-level targets out to the
/// 4/3-earth radio horizon √(2kRh) ≈ 26.1 km and no further; a 100 m wall hides the ground
/// just behind it but not the ground in front.
#[test]
fn viewshed_ends_at_the_radio_horizon_and_behind_a_wall() {
    let site = LonLat::new(76.5, 43.5).unwrap();
    let vp = ViewshedParams {
        site,
        tx_height_m: 40.0,
        rx_height_m: 0.0,
        radius_m: 35_000.0,
        resolution: Resolution::Native,
        k_factor: los::K_STANDARD,
    };
    let horizon_m = (2.0 * los::K_STANDARD * los::EARTH_RADIUS_M * 40.0).sqrt();
    let vs = coverage::viewshed(&synthetic_dem(|_, _| 0.0), &vp).unwrap();
    let g = vs.sweep.grid;
    let (mut near, mut far) = (0, 0);
    for (i, &v) in vs.visible.iter().enumerate() {
        let (lon, lat) = g.pixel_center(i % g.width, i / g.width);
        let d = site.haversine_distance_m(LonLat::new(lon, lat).unwrap());
        if v == coverage::VIEWSHED_NODATA {
            assert!(d > 34_900.0, "no data at {d} m");
        } else if d < horizon_m - 300.0 {
            assert_eq!(v, 1, "hidden at {d} m");
            near += 1;
        } else if d > horizon_m + 300.0 {
            assert_eq!(v, 0, "visible at {d} m");
            far += 1;
        }
    }
    assert!(near > 100_000 && far > 100_000, "{near} {far}");

    // A wall 100 m high along the row 5 km north of the site (row 600 is 43.5 N).
    let wall_row = 600 - 60;
    let walled = synthetic_dem(|row, _| if row == wall_row { 100.0 } else { 0.0 });
    let vs = coverage::viewshed(&walled, &vp).unwrap();
    let g = vs.sweep.grid;
    let at = |lon: f64, lat: f64| {
        let (col, row) = g.pixel_of(LonLat::new(lon, lat).unwrap()).unwrap();
        vs.visible[row * g.width + col]
    };
    let row_lat = |r: usize| 44.0 - r as f64 / 1200.0;
    assert_eq!(at(76.5, row_lat(wall_row + 5)), 1, "in front of the wall");
    assert_eq!(at(76.5, row_lat(wall_row)), 1, "the wall's top");
    // Behind it the shadow of a 100 m wall 5 km away seen from 40 m: ground hidden.
    for r in [wall_row - 3, wall_row - 30, wall_row - 200] {
        assert_eq!(at(76.5, row_lat(r)), 0, "behind the wall, row {r}");
        assert_eq!(at(76.52, row_lat(r)), 0, "behind the wall, row {r}, east");
    }
    assert_eq!(at(76.5, 43.45), 1, "south, open ground");
}

/// A site 4 km from the east edge of its only tile: the radials leaving the tile end there (no
/// error), their pixels beyond have no value, and every pixel with a value equals the pixel of
/// the same sweep over terrain that goes on (a radial's prefix is its own profile).
#[test]
fn a_site_near_the_edge_of_the_terrain_is_covered_as_far_as_the_terrain_goes() {
    let hills = |lat_deg: f64, lon_deg: f64| {
        (300.0 + 80.0 * (lat_deg * 40.0).sin() * (lon_deg * 55.0).cos()) as f32
    };
    let tile = |lon0: f64| {
        let n = 1201;
        let geometry = auyl_terrain::GridGeometry {
            rows: n,
            cols: n,
            lat0_deg: 44.0,
            lon0_deg: lon0,
            per_deg_lat: 1200.0,
            per_deg_lon: 1200.0,
            registration: auyl_terrain::Registration::Point,
        };
        let values = (0..n * n)
            .map(|i| {
                let (row, col) = (i / n, i % n);
                hills(44.0 - row as f64 / 1200.0, lon0 + col as f64 / 1200.0)
            })
            .collect();
        auyl_terrain::Tile::from_f32(&format!("E{lon0}"), geometry, values).unwrap()
    };
    let mut edge = DemSet::new(64 << 20);
    edge.add_tile(tile(76.0));
    let mut whole = DemSet::new(64 << 20);
    whole.add_tile(tile(76.0));
    whole.add_tile(tile(77.0));
    let p = CoverageParams {
        site: LonLat::new(76.95, 43.5).unwrap(),
        radius_m: 12_000.0,
        resolution: Resolution::Metres(250.0),
        ..params(12_000.0)
    };
    let cut = coverage::coverage(&edge, &p).expect("a site near the edge is covered");
    let full = coverage::coverage(&whole, &p).unwrap();
    assert_eq!(full.radials_cut, 0);
    assert!(
        cut.radials_cut > 0 && cut.radials_cut < cut.sweep.radials / 2,
        "{} of {}",
        cut.radials_cut,
        cut.sweep.radials
    );
    let g = &cut.sweep.grid;
    let (mut inside, mut beyond) = (0, 0);
    for (i, (&a, &b)) in cut.loss_db.iter().zip(&full.loss_db).enumerate() {
        let (lon, _) = g.pixel_center(i % g.width, i / g.width);
        if a.is_nan() {
            continue;
        }
        assert_eq!(a, b, "pixel {i}");
        if lon < 77.0 {
            inside += 1;
        } else {
            beyond += 1;
        }
    }
    assert!(inside > 1000, "{inside} pixels with a value");
    assert_eq!(beyond, 0, "no value beyond the terrain");
    // Terrain that holds nothing around the site is still an error naming the missing tile.
    let nowhere = CoverageParams {
        site: LonLat::new(78.5, 43.5).unwrap(),
        ..p
    };
    let e = coverage::coverage(&edge, &nowhere).unwrap_err().to_string();
    assert!(e.contains("N43E078"), "{e}");
}
