//! A fixed number of ITM point-to-point calls on one shared profile, with the inputs of
//! `benches/itm.rs`, for instruction counts and A/B timings that a time-boxed benchmark cannot
//! give: `valgrind --tool=callgrind target/release/examples/itm_calls kz_bench_200pts_59km
//! 20000 full`, or `/usr/bin/time -f %U taskset -c 0 … 1000000 full` alternating two builds.
//! Usage: `itm_calls [profile_id] [calls] [full|prepare]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use auyl_radio::itm::{ItmParams, ItmProfile, Variability, p2p, prepare_p2p};
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let id = args.get(1).map_or("kz_bench_200pts_59km", String::as_str);
    let calls: u32 = args.get(2).map_or(20_000, |a| a.parse().expect("calls"));
    let full = args.get(3).is_none_or(|a| a == "full");
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/radio/itm_profiles.jsonl"
    ))
    .expect("fixtures/radio/itm_profiles.jsonl");
    let p: ItmProfile = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<ItmProfile>(l).unwrap())
        .find(|p| p.profile_id == id)
        .unwrap_or_else(|| panic!("no profile {id}"));
    let profile = p.as_profile();
    let var = Variability::Tls {
        time_pct: 50.0,
        location_pct: 50.0,
        situation_pct: 50.0,
    };
    for k in 0..calls {
        let params = ItmParams {
            climate: 5,
            n_0: 301.0,
            freq_mhz: 900.0 + f64::from(k & 7),
            pol: 1,
            epsilon: 15.0,
            sigma: 0.005,
            mdvar: 1,
        };
        if full {
            black_box(p2p(black_box(profile), 30.0, 10.0, &params, var).unwrap());
        } else {
            black_box(prepare_p2p(black_box(profile), 30.0, 10.0, 301.0).unwrap());
        }
    }
}
