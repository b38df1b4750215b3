//! Single-failure analysis: hand-checked networks and the dominator method against brute force.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_model::{Id, LonLat};
use auyl_resilience::spof::{DominatorTree, brute_force, cut_off_by, dominator_cuts};
use auyl_resilience::{ElementKind, NetworkModel, single_failures};
use proptest::prelude::*;

fn at(i: usize) -> LonLat {
    LonLat::new(60.0 + (i % 20) as f64 * 0.1, 45.0 + (i / 20) as f64 * 0.1).unwrap()
}

/// core ─f1─ pop ─f2─ j ─a1─ s1 (100)
///                     └─a2─ s2 (50) ─a3─ s3 (7)
/// plus a second fibre pop ─f3─ core2 closing a ring core ─ pop.
#[test]
fn chain_and_ring() {
    let mut m = NetworkModel::new();
    let core = m.add_node("core", ElementKind::Core, at(0)).unwrap();
    let pop = m.add_node("pop", ElementKind::Pop, at(1)).unwrap();
    let j = m.add_node("j", ElementKind::Junction, at(2)).unwrap();
    let s1 = m.add_settlement(&Id::new("s1"), 100, at(3)).unwrap();
    let s2 = m.add_settlement(&Id::new("s2"), 50, at(4)).unwrap();
    let s3 = m.add_settlement(&Id::new("s3"), 7, at(5)).unwrap();
    let f1 = m
        .add_link("f1", ElementKind::FibreSegment, core, pop, None)
        .unwrap();
    let f2 = m
        .add_link("f2", ElementKind::FibreSegment, pop, j, None)
        .unwrap();
    let a1 = m
        .add_link("a1", ElementKind::AccessLink, j, s1, None)
        .unwrap();
    m.add_link("a2", ElementKind::AccessLink, j, s2, None)
        .unwrap();
    m.add_link("a3", ElementKind::AccessLink, s2, s3, None)
        .unwrap();
    let grid = m.add_power("grid", ElementKind::PowerGrid, at(6)).unwrap();
    m.set_power(j, Some(grid), 2.0).unwrap();
    m.set_power(s1, Some(grid), 2.0).unwrap();
    let r = single_failures(&m);
    let by = |id: &str| r.impacts.iter().find(|i| i.id == id).unwrap().clone();
    assert_eq!(by("f1").people, 157);
    assert_eq!(by("pop").people, 157);
    assert_eq!(by("j").settlements, 3);
    assert_eq!(by("a1").people, 100);
    assert_eq!(
        by("s2").people,
        57,
        "a settlement relaying another cuts both off"
    );
    assert_eq!(by("s3").people, 7);
    assert_eq!(by("grid").people, 157, "the supply takes the junction down");
    assert_eq!(by("grid").min_battery_h, Some(2.0));
    assert_eq!(r.impacts[0].people, 157, "ranked: most people first");
    assert_eq!(r.total_people, 157);
    // A second core joined to the pop: f1 and core are no longer single points of failure.
    let core2 = m.add_node("core2", ElementKind::Core, at(7)).unwrap();
    m.add_link("f3", ElementKind::FibreSegment, pop, core2, None)
        .unwrap();
    let r = single_failures(&m);
    let by = |id: &str| r.impacts.iter().find(|i| i.id == id).unwrap().clone();
    assert_eq!(by("f1").people, 0);
    assert_eq!(by("core").people, 0);
    assert_eq!(by("pop").people, 157);
    assert_eq!(by("f2").people, 157);
    let tree = DominatorTree::new(&m);
    assert_eq!(cut_off_by(&m, &tree, a1), vec![s1]);
    assert!(tree.dominates(f2, s3));
    assert!(!tree.dominates(f1, s3));
    assert_eq!(dominator_cuts(&m), brute_force(&m));
}

#[test]
fn unreachable_settlements_are_not_counted_as_cut() {
    let mut m = NetworkModel::new();
    let core = m.add_node("core", ElementKind::Core, at(0)).unwrap();
    let s = m.add_settlement(&Id::new("s"), 10, at(1)).unwrap();
    let lone = m.add_settlement(&Id::new("lone"), 99, at(2)).unwrap();
    m.add_link("a", ElementKind::AccessLink, core, s, None)
        .unwrap();
    let _ = lone;
    let r = single_failures(&m);
    assert_eq!(r.unreachable_people, 99);
    assert_eq!(r.unreachable_settlements, 1);
    assert_eq!(r.impacts.iter().find(|i| i.id == "lone").unwrap().people, 0);
    assert_eq!(dominator_cuts(&m), brute_force(&m));
}

#[derive(Debug, Clone)]
struct Spec {
    n: usize,
    cores: Vec<usize>,
    edges: Vec<(usize, usize)>,
    people: Vec<Option<u64>>,
    supplies: Vec<Vec<usize>>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (2usize..40).prop_flat_map(|n| {
        (
            Just(n),
            prop::collection::vec(0..n, 1..4),
            prop::collection::vec((0..n, 0..n), 0..(n * 2)),
            prop::collection::vec(prop::option::weighted(0.5, 0u64..1000), n),
            prop::collection::vec(prop::collection::vec(0..n, 1..5), 0..4),
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

fn build(s: &Spec) -> NetworkModel {
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
        // Parallel links and self-loops included: both are legal and must not confuse the method.
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn dominators_equal_brute_force(s in spec()) {
        let m = build(&s);
        prop_assert_eq!(dominator_cuts(&m), brute_force(&m));
    }

    #[test]
    fn cut_lists_match_counts(s in spec()) {
        let m = build(&s);
        let tree = DominatorTree::new(&m);
        let cuts = dominator_cuts(&m);
        for (x, &(count, people)) in cuts.iter().enumerate() {
            let list = cut_off_by(&m, &tree, x);
            prop_assert_eq!(list.len() as u64, count);
            prop_assert_eq!(list.iter().map(|&v| m.elements()[v].people()).sum::<u64>(), people);
        }
    }
}
