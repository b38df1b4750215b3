//! Times one coverage sweep and one viewshed over the demo DEM (the bench/coverage site:
//! 43.35 N 76.95 E, 40 m mast, 900 MHz, RX 1.5 m, native 3″), without the CLI's file output.
//! Usage: `cargo run --release -p auyl-radio --example coverage_sweep [radius_km] [threads]
//! [viewshed|exact]` (`viewshed`: the viewshed alone; `exact`: each pixel's own Δh). With
//! `AUYL_SWEEP_DUMP=FILE` the loss raster is written to FILE as little-endian f32.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use auyl_model::LonLat;
use auyl_radio::coverage::{
    self, AntennaPattern, CoverageParams, ItmSettings, Resolution, ViewshedParams,
};
use auyl_terrain::DemSet;

/// CPU time of the whole process (user + system), s, from `/proc/self/stat` (clock ticks of
/// 10 ms): meaningful when other jobs share the machine, unlike wall time.
fn cpu_s() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let radius_km: f64 = args.get(1).map_or(50.0, |a| a.parse().unwrap());
    if let Some(t) = args.get(2) {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t.parse().unwrap())
            .build_global()
            .unwrap();
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/demo/terrain");
    let dem = DemSet::open_folders(&[dir], 256 << 20).expect("demo terrain");
    let site = LonLat::new(76.95, 43.35).unwrap();
    let p = CoverageParams {
        site,
        tx_height_m: 40.0,
        rx_height_m: 1.5,
        freq_mhz: 900.0,
        eirp_dbm: 0.0,
        rx_gain_dbi: 0.0,
        pattern: AntennaPattern::Omni,
        radius_m: radius_km * 1000.0,
        resolution: Resolution::Native,
        itm: ItmSettings::default(),
        roughness: if args.get(3).is_some_and(|a| a == "exact") {
            coverage::Roughness::Exact
        } else {
            coverage::Roughness::default()
        },
    };
    // First sweep loads and decodes the tiles; the second one is the steady state.
    // A third argument `viewshed` runs the viewshed alone, cold then warm.
    let viewshed_only = args.get(3).is_some_and(|a| a == "viewshed");
    for run in ["cold", "warm"].into_iter().filter(|_| !viewshed_only) {
        let (t, c) = (Instant::now(), cpu_s());
        let map = coverage::coverage(&dem, &p).unwrap();
        if let Ok(path) = std::env::var("AUYL_SWEEP_DUMP") {
            let bytes: Vec<u8> = map.loss_db.iter().flat_map(|v| v.to_le_bytes()).collect();
            std::fs::write(path, bytes).unwrap();
        }
        let (s, cpu) = (t.elapsed().as_secs_f64(), cpu_s() - c);
        println!(
            "coverage {run}: {s:.3} s wall, {cpu:.2} s CPU, {} ITM evaluations ({:.2} µs CPU each), {} radials, Δh interpolated for {}, computed {}",
            map.evaluations,
            cpu / map.evaluations as f64 * 1e6,
            map.sweep.radials,
            map.delta_h_interpolated,
            map.delta_h_computed
        );
    }
    let v = ViewshedParams {
        site,
        tx_height_m: 40.0,
        rx_height_m: 1.5,
        radius_m: radius_km * 1000.0,
        resolution: Resolution::Native,
        k_factor: 4.0 / 3.0,
    };
    for run in ["cold", "warm"] {
        let (t, c) = (Instant::now(), cpu_s());
        let vs = coverage::viewshed(&dem, &v).unwrap();
        println!(
            "viewshed {run}: {:.3} s wall, {:.2} s CPU, visible {:.1} km² of {:.1}",
            t.elapsed().as_secs_f64(),
            cpu_s() - c,
            vs.visible_area_km2,
            vs.evaluated_area_km2
        );
    }
}
