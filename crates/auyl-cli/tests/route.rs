//! `auyl route steiner` on SteinLib instances, against their proven optima (fixtures/steiner/optimal.csv).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use serde_json::Value;
use std::process::Command;

fn optimum(instance: &str) -> f64 {
    let text = std::fs::read_to_string(auyl_testkit::fixture("steiner/optimal.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let (ni, oi) = (
        header.iter().position(|h| *h == "instance").unwrap(),
        header.iter().position(|h| *h == "optimal_cost").unwrap(),
    );
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|c| c[ni] == instance)
        .map(|c| c[oi].parse().unwrap())
        .unwrap_or_else(|| panic!("{instance} not in optimal.csv"))
}

#[test]
fn steiner_prints_a_checked_tree_within_the_gap_of_the_optimum() {
    for name in ["b01", "c05", "pace2018_track1_instance018"] {
        let file = auyl_testkit::fixture(&format!("steiner/{name}.stp"));
        let out = Command::new(env!("CARGO_BIN_EXE_auyl"))
            .args(["route", "steiner"])
            .arg(&file)
            .args(["--time-limit-s", "5", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let opt = optimum(name);
        let cost = v["cost"].as_f64().unwrap();
        let lb = v["lower_bound"].as_f64().unwrap();
        assert!(
            cost >= opt - 1e-9 && cost <= opt * 1.03,
            "{name}: cost {cost}, optimum {opt}"
        );
        assert!(
            lb <= opt + 1e-9,
            "{name}: lower bound {lb} above the optimum {opt}"
        );
        let sum: f64 = v["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["cost"].as_f64().unwrap())
            .sum();
        assert!(
            (sum - cost).abs() < 1e-6,
            "{name}: edges sum to {sum}, cost {cost}"
        );
        assert!(v["baseline_cost"].as_f64().unwrap() >= cost - 1e-9);
    }
}

#[test]
fn a_broken_instance_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.stp");
    std::fs::write(&f, "33D32945 STP File, STP Format Version 1.0\nSECTION Graph\nNodes 3\nEdges 1\nE 1 9 5\nEND\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_auyl"))
        .args(["route", "steiner"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.stp"), "{err}");
}
