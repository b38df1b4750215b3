//! ITM point-to-point speed: calls per second on one core, on the standard 200-point profile
//! `kz_bench_200pts_59km` and on the longest shared profiles, with the inputs of the NTIA C++
//! baseline in `../shared/radio/README.md` (30 m / 10 m, climate 5, N_0 301, 900–907 MHz,
//! vertical, ε 15, σ 0.005, mdvar 1, 50/50/50). Three variants:
//! * `p2p_full`: the whole call (terrain analysis + model), as the C++ `ITM_P2P_TLS`;
//! * `evaluate_prepared`: the model only, on a path prepared once (frequency sweeps, reuse);
//! * `evaluate_with_setup`: the model on a prepared path with a precomputed `RadioSetup`
//!   (coverage: one setup, many pixels);
//! * `prepare_only`: the terrain analysis alone.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;

use auyl_radio::itm::{
    ItmParams, ItmProfile, Profile, RadioSetup, Variability, evaluate, evaluate_with, p2p,
    prepare_p2p,
};
use criterion::{Criterion, Throughput, criterion_group};

fn profiles() -> HashMap<String, ItmProfile> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/radio/itm_profiles.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let p: ItmProfile = serde_json::from_str(l).unwrap();
            (p.profile_id.clone(), p)
        })
        .collect()
}

const PROFILES: [&str; 4] = [
    "kz_bench_200pts_59km",
    "kz_almaty_cholponata_68km",
    "kz_ili_to_issykkul_217km",
    "dem_rand09_long",
];

fn params(f: f64) -> ItmParams {
    ItmParams {
        climate: 5,
        n_0: 301.0,
        freq_mhz: f,
        pol: 1,
        epsilon: 15.0,
        sigma: 0.005,
        mdvar: 1,
    }
}

const VAR: Variability = Variability::Tls {
    time_pct: 50.0,
    location_pct: 50.0,
    situation_pct: 50.0,
};

fn bench(c: &mut Criterion) {
    let all = profiles();
    let mut group = c.benchmark_group("itm");
    group.throughput(Throughput::Elements(1));
    for id in PROFILES {
        let p = all
            .get(id)
            .unwrap_or_else(|| panic!("profile {id} missing"));
        let profile = p.as_profile();
        let n = p.elevations_m.len();
        let mut k = 0u32;
        group.bench_function(format!("p2p_full/{id}/{n}pts"), |b| {
            b.iter(|| {
                k = (k + 1) & 7;
                let f = 900.0 + f64::from(k);
                black_box(p2p(black_box(profile), 30.0, 10.0, &params(f), VAR).unwrap())
            })
        });
        let prepared = prepare_p2p(profile, 30.0, 10.0, 301.0).unwrap();
        group.bench_function(format!("evaluate_prepared/{id}/{n}pts"), |b| {
            b.iter(|| {
                k = (k + 1) & 7;
                let f = 900.0 + f64::from(k);
                black_box(evaluate(black_box(&prepared), &params(f), VAR).unwrap())
            })
        });
        group.bench_function(format!("prepare_only/{id}/{n}pts"), |b| {
            b.iter(|| black_box(prepare_p2p(black_box(profile), 30.0, 10.0, 301.0).unwrap()))
        });
    }
    group.finish();
}

/// On-CPU time of the current thread (ns) from `/proc/thread-self/schedstat`: unlike wall
/// time it does not grow when other processes share the core, so the rate below is stable on
/// a busy machine. `None` where the file does not exist.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Calls per second of on-CPU time for `f`, over at least 0.5 s of CPU time (median of 5).
fn cpu_rate(mut f: impl FnMut(u32)) -> Option<f64> {
    let mut rates = Vec::new();
    for _ in 0..5 {
        let start = thread_cpu_ns()?;
        let mut calls = 0u64;
        loop {
            for k in 0..1000u32 {
                f(k);
            }
            calls += 1000;
            let spent = thread_cpu_ns()? - start;
            if spent >= 500_000_000 {
                rates.push(calls as f64 / (spent as f64 * 1e-9));
                break;
            }
        }
    }
    rates.sort_by(f64::total_cmp);
    rates.get(2).copied()
}

/// Prints `cpu-rate <variant> <profile> <points> <calls/s> <A_db at 900 MHz>` lines for
/// `bench/itm/run.sh`.
fn cpu_summary() {
    let all = profiles();
    for id in PROFILES {
        let p = all
            .get(id)
            .unwrap_or_else(|| panic!("profile {id} missing"));
        let profile: Profile<'_> = p.as_profile();
        let n = p.elevations_m.len();
        let full = cpu_rate(|k| {
            let f = 900.0 + f64::from(k & 7);
            black_box(p2p(black_box(profile), 30.0, 10.0, &params(f), VAR).unwrap());
        });
        let prepared = prepare_p2p(profile, 30.0, 10.0, 301.0).unwrap();
        let eval = cpu_rate(|k| {
            let f = 900.0 + f64::from(k & 7);
            black_box(evaluate(black_box(&prepared), &params(f), VAR).unwrap());
        });
        let setups: Vec<RadioSetup> = (0..8)
            .map(|k| RadioSetup::new(&params(900.0 + f64::from(k)), VAR).unwrap())
            .collect();
        let with_setup = cpu_rate(|k| {
            black_box(evaluate_with(black_box(&prepared), &setups[(k & 7) as usize]).unwrap());
        });
        let prep = cpu_rate(|_| {
            black_box(prepare_p2p(black_box(profile), 30.0, 10.0, 301.0).unwrap());
        });
        let a_db = p2p(profile, 30.0, 10.0, &params(900.0), VAR).unwrap().a_db;
        for (variant, rate) in [
            ("p2p_full", full),
            ("evaluate_prepared", eval),
            ("evaluate_with_setup", with_setup),
            ("prepare_only", prep),
        ] {
            match rate {
                Some(r) => println!("cpu-rate {variant} {id} {n} {r:.0} {a_db:.4}"),
                None => println!("cpu-rate {variant} {id} {n} unavailable {a_db:.4}"),
            }
        }
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    // `--profile-time` runs are for profilers: keep them to the selected benchmark.
    if !std::env::args().any(|a| a == "--profile-time") {
        cpu_summary();
    }
    Criterion::default().configure_from_args().final_summary();
}
