//! Coverage sweeps over the demo DEM: the radial reuse must give exactly the ITM point-to-point
//! loss of each pixel's own profile, and the viewshed must agree with `los::analyze`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use auyl_model::LonLat;
use auyl_radio::coverage::{
    self, AntennaPattern, CoverageParams, ItmSettings, Resolution, SettlementPoint, ViewshedParams,
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

/// The O(n) viewshed sweep agrees with `los::analyze` on the same radial profiles.
#[test]
fn viewshed_matches_the_earth_bulge_line_of_sight_to_each_pixel_centre() {
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
    let sw = vs.sweep;
    let g = sw.grid;
    let mut z = vec![0.0; sw.samples_per_radial];
    let (mut checked, mut visible, mut mismatched) = (0, 0, 0);
    let r_eff = los::K_STANDARD * los::EARTH_RADIUS_M;
    for i in (0..g.width * g.height).step_by(173) {
        let (col, row) = (i % g.width, i / g.width);
        let Some(s) = sw.pixel_sample(vp.site, col, row) else {
            assert_eq!(vs.visible[i], coverage::VIEWSHED_NODATA);
            continue;
        };
        // The target: 1.5 m above the pixel centre, at its own distance; the obstacles: the
        // nearest radial's samples before it. Checked with the earth-bulge form of `los`
        // (terrain + d1·d2/2kR against the straight ray), not the sweep's angles.
        let (lon, lat) = g.pixel_center(col, row);
        let centre = LonLat::new(lon, lat).unwrap();
        let d = vp.site.haversine_distance_m(centre);
        dem.sample_radial(vp.site, s.azimuth_deg, sw.radial_step_m, &mut z)
            .unwrap();
        let h_tx = z[0] + vp.tx_height_m;
        let h_rx = dem.elevation_m(centre).unwrap() + vp.rx_height_m;
        let clear = (1..z.len())
            .take_while(|&k| (k as f64) * sw.radial_step_m < d)
            .all(|k| {
                let d1 = k as f64 * sw.radial_step_m;
                let ray = h_tx + (h_rx - h_tx) * d1 / d;
                z[k] + d1 * (d - d1) / (2.0 * r_eff) <= ray
            });
        checked += 1;
        visible += usize::from(clear);
        if clear != (vs.visible[i] == 1) {
            mismatched += 1;
        }
    }
    assert!(checked > 200);
    assert!(visible > 10 && visible < checked, "{visible} of {checked}");
    // Only grazing rays (clearance within rounding of zero) may differ.
    assert!(
        mismatched * 200 <= checked,
        "{mismatched} of {checked} differ"
    );
    assert!(vs.visible_area_km2 > 0.0 && vs.visible_area_km2 < vs.evaluated_area_km2);
}
