//! Steiner benchmark: every `.stp` instance in a folder with an `optimal.csv`, solved with a
//! time limit, beside the classic shortest-path 2-approximation.
//!
//! `cargo run --release -p auyl-network --example steiner_bench -- [DIR] [TIME_LIMIT_S]`
//! (DIR defaults to the vendored `fixtures/steiner`). Prints one row per instance and a summary.
//! With `--gen-grid N` instead, builds an N×N grid instance (≈ 2N² edges), solves it and
//! prints its size, so `/usr/bin/time -v` can measure peak memory.

use auyl_network::steiner::{
    SteinerEdge, SteinerInstance, shortest_path_heuristic, solve_with_time_limit, tree_cost,
    validate_tree,
};
use auyl_network::stp::parse_stp;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn grid(n: usize) -> SteinerInstance {
    // Deterministic costs 1..=100 from a linear congruential sequence; every 97th node a terminal.
    let mut x: u64 = 12345;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) % 100 + 1) as f64
    };
    let mut edges = Vec::new();
    for r in 0..n {
        for c in 0..n {
            let v = r * n + c;
            if c + 1 < n {
                edges.push(SteinerEdge {
                    u: v,
                    v: v + 1,
                    cost: next(),
                });
            }
            if r + 1 < n {
                edges.push(SteinerEdge {
                    u: v,
                    v: v + n,
                    cost: next(),
                });
            }
        }
    }
    SteinerInstance {
        node_count: n * n,
        edges,
        terminals: (0..n * n).step_by(97).collect(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--gen-grid") {
        let n: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(224);
        let limit: f64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(10.0);
        let inst = grid(n);
        let sol = solve_with_time_limit(&inst, Duration::from_secs_f64(limit))?;
        validate_tree(&inst, &sol.edges)?;
        println!(
            "grid {n}x{n}: nodes {} edges {} terminals {} cost {} lower_bound {:.1} gap {:.2}% time {:.2}s",
            inst.node_count,
            inst.edges.len(),
            inst.terminals.len(),
            sol.cost,
            sol.lower_bound,
            100.0 * sol.gap(),
            sol.time_s
        );
        return Ok(());
    }
    let dir = args.first().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/steiner")
    });
    let limit: f64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(10.0);
    let table = std::fs::read_to_string(dir.join("optimal.csv"))?;
    println!(
        "{:<32} {:>6} {:>6} {:>5} {:>12} {:>12} {:>12} {:>8} {:>8} {:>8} {:>7}",
        "instance",
        "nodes",
        "edges",
        "terms",
        "optimum",
        "found",
        "lower_bd",
        "gap_opt%",
        "gap_lb%",
        "sph/opt",
        "time_s"
    );
    let (mut gaps, mut sph_ratios, mut worst, mut total_t, mut max_t) =
        (Vec::new(), Vec::new(), 0.0f64, 0.0, 0.0f64);
    for row in table.lines().skip(1) {
        let cols: Vec<&str> = row.split(',').collect();
        if cols.len() < 5 {
            continue;
        }
        let opt: f64 = cols[4].parse()?;
        let text = std::fs::read_to_string(dir.join(format!("{}.stp", cols[0])))?;
        let inst = parse_stp(&text)?.instance;
        let t0 = Instant::now();
        let sol = solve_with_time_limit(&inst, Duration::from_secs_f64(limit))?;
        let secs = t0.elapsed().as_secs_f64();
        validate_tree(&inst, &sol.edges)?;
        let sph = shortest_path_heuristic(&inst)?;
        let sph_cost = tree_cost(&inst, &sph);
        let gap = (sol.cost - opt) / opt;
        gaps.push(gap);
        sph_ratios.push(sph_cost / opt);
        worst = worst.max(gap);
        total_t += secs;
        max_t = max_t.max(secs);
        println!(
            "{:<32} {:>6} {:>6} {:>5} {:>12} {:>12} {:>12.1} {:>8.3} {:>8.3} {:>8.4} {:>7.2}{}",
            cols[0],
            inst.node_count,
            inst.edges.len(),
            inst.distinct_terminals().len(),
            opt,
            sol.cost,
            sol.lower_bound,
            100.0 * gap,
            100.0 * sol.gap(),
            sph_cost / opt,
            secs,
            if sol.budget_exhausted {
                " (time limit)"
            } else {
                ""
            }
        );
    }
    let n = gaps.len().max(1) as f64;
    println!(
        "summary: {} instances, mean gap to optimum {:.3}%, worst {:.3}%, optimal {}, SPH baseline mean ratio {:.4} (worst {:.4}), total {:.1}s, slowest {:.2}s",
        gaps.len(),
        100.0 * gaps.iter().sum::<f64>() / n,
        100.0 * worst,
        gaps.iter().filter(|&&g| g <= 1e-9).count(),
        sph_ratios.iter().sum::<f64>() / n,
        sph_ratios.iter().copied().fold(0.0, f64::max),
        total_t,
        max_t
    );
    Ok(())
}
