//! Random networks for the property tests: nodes (settlements with people, or junctions), cores,
//! fibre links (parallel links and self-loops included: both are legal and must not confuse the
//! methods) and power supplies feeding some nodes.
#![allow(dead_code)] // each test file uses its own subset

use auyl_model::{Id, LonLat};
use auyl_resilience::{ElementKind, NetworkModel};
use proptest::prelude::*;
use std::ops::Range;

/// A position for node `i` on a small grid.
pub fn at(i: usize) -> LonLat {
    LonLat::new(60.0 + (i % 20) as f64 * 0.1, 45.0 + (i / 20) as f64 * 0.1).unwrap()
}

/// A random network before it is built.
#[derive(Debug, Clone)]
pub struct Spec {
    pub n: usize,
    pub cores: Vec<usize>,
    pub edges: Vec<(usize, usize)>,
    pub people: Vec<Option<u64>>,
    pub supplies: Vec<Vec<usize>>,
}

/// The bounds of [`spec`].
pub struct Bounds {
    /// Nodes.
    pub nodes: Range<usize>,
    /// Cores (at least one).
    pub cores: Range<usize>,
    /// Chance that a node is a settlement, and its people.
    pub settlement_weight: f64,
    pub people: Range<u64>,
    /// Power supplies.
    pub supplies: Range<usize>,
}

/// Random networks within `b`; up to twice as many links as nodes.
pub fn spec(b: Bounds) -> impl Strategy<Value = Spec> {
    b.nodes.prop_flat_map(move |n| {
        (
            Just(n),
            prop::collection::vec(0..n, b.cores.clone()),
            prop::collection::vec((0..n, 0..n), 0..(n * 2)),
            prop::collection::vec(
                prop::option::weighted(b.settlement_weight, b.people.clone()),
                n,
            ),
            prop::collection::vec(prop::collection::vec(0..n, 1..5), b.supplies.clone()),
        )
            .prop_map(|(n, cores, edges, people, supplies)| Spec {
                n,
                cores,
                edges,
                people,
                supplies,
            })
    })
}

/// The network of `s`.
pub fn build(s: &Spec) -> NetworkModel {
    let mut m = NetworkModel::new();
    for i in 0..s.n {
        match s.people[i] {
            Some(p) => {
                m.add_settlement(&Id::new(format!("n{i}")), p, at(i))
                    .unwrap();
            }
            None => {
                m.add_node(format!("n{i}"), ElementKind::Junction, at(i))
                    .unwrap();
            }
        }
    }
    for &c in &s.cores {
        m.set_core(c, true).unwrap();
    }
    for (k, &(a, b)) in s.edges.iter().enumerate() {
        m.add_link(format!("l{k}"), ElementKind::FibreSegment, a, b, None)
            .unwrap();
    }
    for (k, fed) in s.supplies.iter().enumerate() {
        let p = m
            .add_power(format!("p{k}"), ElementKind::PowerGrid, at(k))
            .unwrap();
        for &v in fed {
            m.set_power(v, Some(p), 1.0).unwrap();
        }
    }
    m
}
