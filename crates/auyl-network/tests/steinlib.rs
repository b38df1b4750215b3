//! All vendored SteinLib B/C and PACE 2018 instances: every tree is validated, and the gap to
//! the published optimum (read from `fixtures/steiner/optimal.csv`) meets the targets.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap (project rule)

use auyl_network::steiner::{solve, solve_with_time_limit, validate_tree};
use auyl_network::stp::parse_stp;
use auyl_network::{Budget, Unlimited};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::Duration;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/steiner")
}

fn read(name: &str) -> String {
    let p = dir().join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("need {}: {e}", p.display()))
}

/// Rows of a simple CSV with a header (no quoted commas, as the README promises).
fn rows(name: &str) -> Vec<Vec<String>> {
    read(name)
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn vendored_files_match_the_manifest_checksums() {
    let manifest = rows("manifest.csv");
    assert_eq!(manifest.len(), 48);
    for r in manifest {
        let bytes = std::fs::read(dir().join(&r[1])).unwrap();
        let got = format!("{:x}", Sha256::digest(&bytes));
        assert_eq!(got, r[2], "{} differs from the shared copy", r[1]);
    }
}

#[test]
fn every_instance_within_gap_targets() {
    let table = rows("optimal.csv");
    assert_eq!(table.len(), 48, "optimal.csv should list 48 instances");
    let mut gaps = Vec::new();
    for r in &table {
        let optimum: f64 = r[4].parse().unwrap();
        let inst = parse_stp(&read(&format!("{}.stp", r[0]))).unwrap().instance;
        assert_eq!(inst.node_count, r[1].parse::<usize>().unwrap(), "{}", r[0]);
        assert_eq!(inst.edges.len(), r[2].parse::<usize>().unwrap(), "{}", r[0]);
        assert_eq!(
            inst.terminals.len(),
            r[3].parse::<usize>().unwrap(),
            "{}",
            r[0]
        );
        // Dev profile is slower than release; the limit keeps the whole suite to a few minutes.
        let sol = solve_with_time_limit(&inst, Duration::from_secs(4)).unwrap();
        let cost = validate_tree(&inst, &sol.edges).unwrap();
        assert_eq!(
            cost, sol.cost,
            "{}: reported cost is not the sum of its edges",
            r[0]
        );
        assert!(
            sol.cost >= optimum - 1e-6,
            "{}: {} beats the proven optimum {optimum}",
            r[0],
            sol.cost
        );
        assert!(
            sol.lower_bound <= optimum + 1e-6,
            "{}: lower bound {} above optimum {optimum}",
            r[0],
            sol.lower_bound
        );
        let gap = (sol.cost - optimum) / optimum;
        eprintln!(
            "{:<30} cost {:>12} opt {:>12} lb {:>14.1} gap {:>6.3}% {:.2}s",
            r[0],
            sol.cost,
            optimum,
            sol.lower_bound,
            100.0 * gap,
            sol.time_s
        );
        gaps.push((gap, r[0].clone()));
    }
    let mean = gaps.iter().map(|g| g.0).sum::<f64>() / gaps.len() as f64;
    let worst = gaps
        .iter()
        .cloned()
        .fold((0.0, String::new()), |a, b| if b.0 > a.0 { b } else { a });
    eprintln!(
        "mean gap {:.3}%, worst {:.3}% ({})",
        100.0 * mean,
        100.0 * worst.0,
        worst.1
    );
    assert!(mean <= 0.01, "mean gap {:.3}% above 1%", 100.0 * mean);
    assert!(
        worst.0 <= 0.03,
        "worst gap {:.3}% ({}) above 3%",
        100.0 * worst.0,
        worst.1
    );
}

/// A budget that is already spent: the solver must still return a valid tree.
struct Spent;
impl Budget for Spent {
    fn exhausted(&self) -> bool {
        true
    }
}

#[test]
fn spent_budget_still_gives_a_valid_tree() {
    for name in ["c20", "pace2018_track3_instance121"] {
        let inst = parse_stp(&read(&format!("{name}.stp"))).unwrap().instance;
        let sol = solve(&inst, &Spent).unwrap();
        assert!(sol.budget_exhausted, "{name}");
        assert_eq!(validate_tree(&inst, &sol.edges).unwrap(), sol.cost);
        assert!(sol.lower_bound <= sol.cost);
    }
}

#[test]
fn unlimited_budget_is_deterministic() {
    for name in ["b13", "c07"] {
        let inst = parse_stp(&read(&format!("{name}.stp"))).unwrap().instance;
        let a = solve(&inst, &Unlimited).unwrap();
        let b = solve(&inst, &Unlimited).unwrap();
        assert_eq!(
            (a.edges, a.cost, a.lower_bound),
            (b.edges, b.cost, b.lower_bound),
            "{name}"
        );
    }
}
