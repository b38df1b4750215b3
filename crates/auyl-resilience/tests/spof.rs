//! Single-failure analysis: hand-checked networks and the dominator method against brute force.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

mod common;
use auyl_model::Id;
use auyl_resilience::spof::{DominatorTree, brute_force, cut_off_by, dominator_cuts};
use auyl_resilience::{ElementKind, NetworkModel, single_failures};
use common::{Spec, at, build};
use proptest::prelude::*;

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

fn spec() -> impl Strategy<Value = Spec> {
    common::spec(common::Bounds {
        nodes: 2..40,
        cores: 1..4,
        settlement_weight: 0.5,
        people: 0..1000,
        supplies: 0..4,
    })
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
