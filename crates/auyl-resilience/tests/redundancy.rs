//! Redundancy proposals: every target ends up protected, checked independently; bound ≤ cost.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_model::{Id, LonLat};
use auyl_network::road::{
    BuildOptions, CostModel, RoadAttributes, RoadClass, RoadGraph, RoadInput, Surface,
};
use auyl_resilience::redundancy::{AdditionKind, RedundancyOptions, apply, propose};
use auyl_resilience::scenario::{Outage, evaluate};
use auyl_resilience::{DominatorTree, ElementKind, NetworkModel, Role};
use auyl_terrain::{DemSet, GridGeometry, Registration, Tile};
use geo_types::LineString;

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

/// Two cores, each with a PoP and a tree of villages; one grid supply feeds both PoPs.
fn net() -> NetworkModel {
    let mut m = NetworkModel::new();
    let c1 = m.add_node("c1", ElementKind::Core, ll(70.0, 50.0)).unwrap();
    let c2 = m.add_node("c2", ElementKind::Core, ll(70.6, 50.4)).unwrap();
    let p1 = m.add_node("p1", ElementKind::Pop, ll(70.3, 50.0)).unwrap();
    let p2 = m.add_node("p2", ElementKind::Pop, ll(70.3, 50.3)).unwrap();
    m.add_link("f1", ElementKind::FibreSegment, c1, p1, None)
        .unwrap();
    m.add_link("f2", ElementKind::FibreSegment, c2, p2, None)
        .unwrap();
    let grid = m
        .add_power("grid", ElementKind::PowerGrid, ll(70.3, 50.15))
        .unwrap();
    m.set_power(p1, Some(grid), 2.0).unwrap();
    m.set_power(p2, Some(grid), 2.0).unwrap();
    let villages = [
        ("v1", 70.35, 50.05, 2000, p1),
        ("v2", 70.40, 50.02, 1500, p1),
        ("v3", 70.32, 50.25, 1200, p2),
        ("v4", 70.45, 50.28, 100, p2),
    ];
    for (id, lon, lat, people, pop) in villages {
        let v = m
            .add_settlement(&Id::new(id), people, ll(lon, lat))
            .unwrap();
        m.add_link(
            format!("{id}:access"),
            ElementKind::AccessLink,
            pop,
            v,
            None,
        )
        .unwrap();
        m.set_power(v, Some(grid), 0.0).unwrap();
    }
    m
}

/// Independent check: no single element but a target's own node cuts it off, and no supply
/// failing for the design outage does.
fn check_protected(m: &NetworkModel, targets: &[usize], design_h: f64) {
    let tree = DominatorTree::new(m);
    for &t in targets {
        assert_eq!(
            tree.immediate_dominator(t),
            Some(tree.root()),
            "{} still has a single point of failure",
            m.elements()[t].id
        );
    }
    for (p, e) in m.elements().iter().enumerate() {
        if e.kind.role() == Role::Power {
            let r = evaluate(
                m,
                &[Outage {
                    element: p,
                    from_h: 0.0,
                    until_h: design_h,
                }],
            )
            .unwrap();
            for s in &r.settlements {
                assert!(
                    !targets.contains(&s.element),
                    "supply {} cuts {} off",
                    e.id,
                    s.settlement_id
                );
            }
        }
    }
}

#[test]
fn every_target_is_protected_and_the_bound_holds() {
    let m = net();
    let opts = RedundancyOptions {
        min_people: 1000,
        ..Default::default()
    };
    let plan = propose(&m, None, None, &opts).unwrap();
    assert_eq!(plan.targets, 3);
    assert_eq!(plan.protected_before, 0);
    assert_eq!(plan.protected_after, 3, "{:#?}", plan.unprotected);
    assert_eq!(plan.people_protected_after, 4700);
    assert!(plan.unprotected.is_empty());
    assert!(plan.lower_bound_usd > 0.0);
    assert!(
        plan.lower_bound_usd <= plan.cost_usd + 1e-6,
        "bound {} > cost {}",
        plan.lower_bound_usd,
        plan.cost_usd
    );
    let total: f64 = plan.additions.iter().map(|a| a.cost_usd).sum();
    assert!((total - plan.cost_usd).abs() < 1e-6);
    // Curve: cost grows, ends at the final figures.
    for w in plan.curve.windows(2) {
        assert!(w[1].cost_usd >= w[0].cost_usd);
    }
    let last = plan.curve.last().unwrap();
    assert_eq!(last.people_protected, 4700);
    assert!((last.cost_usd - plan.cost_usd).abs() < 1e-6);
    // Forced batteries on the three targets' own nodes (0 → 8 h).
    let batteries = plan
        .additions
        .iter()
        .filter(|a| matches!(a.addition, AdditionKind::Battery { .. }))
        .count();
    assert!(batteries >= 3);
    let applied = apply(&m, &plan).unwrap();
    let targets: Vec<usize> = ["v1", "v2", "v3"]
        .iter()
        .map(|id| applied.find(id).unwrap())
        .collect();
    check_protected(&applied, &targets, opts.design_outage_h);
    // The small village is not a target: the plan need not protect it.
    assert!(plan.unprotected.iter().all(|u| u.settlement_id != "v4"));
}

#[test]
fn ring_closures_follow_roads() {
    let m = net();
    // A road from v2 east, north, then west to v3: longer than the straight line but mapped.
    let road = RoadInput {
        geometry: LineString::from(vec![
            (70.40, 50.02),
            (70.50, 50.02),
            (70.50, 50.25),
            (70.32, 50.25),
        ]),
        attributes: RoadAttributes {
            class: RoadClass::Trunk,
            surface: Surface::Paved,
            aerial_allowed: false,
        },
    };
    let costs = CostModel {
        trench_paved_per_km: 1.0,
        trench_unpaved_per_km: 1.0,
        aerial_per_km: 1.0,
        approximate_per_km: 1.0,
    };
    let g = RoadGraph::build(&[road], &costs, &BuildOptions::default()).unwrap();
    let opts = RedundancyOptions {
        min_people: 1000,
        detour_factor: 3.0,
        max_hop_m: 0.0,
        ..Default::default()
    };
    let plan = propose(&m, Some(&g), None, &opts).unwrap();
    assert_eq!(plan.protected_after, 3);
    let on_road = plan.additions.iter().any(|a| match &a.addition {
        AdditionKind::FibreRing {
            geometry,
            approximate_m,
            length_m,
            ..
        } => geometry.0.len() > 3 && *approximate_m < *length_m,
        _ => false,
    });
    assert!(
        on_road,
        "some ring closure follows the road: {:#?}",
        plan.additions
    );
}

#[test]
fn backup_hops_must_clear_the_fresnel_zone() {
    let m = net();
    // Terrain 70..71°E, 50..51°N: flat at 300 m with a 3 km high wall along 50.15°N between
    // 70.0° and 70.5°E, so hops between the p1 villages (≈50.0°N) and p2/c2 (≥ 50.25°N) are blocked.
    let n = 121;
    let mut values = vec![300f32; n * n];
    for row in 0..n {
        let lat = 51.0 - row as f64 / 120.0;
        if (lat - 50.15).abs() < 0.02 {
            for col in 0..61 {
                values[row * n + col] = 3000.0;
            }
        }
    }
    let geometry = GridGeometry {
        rows: n,
        cols: n,
        lat0_deg: 51.0,
        lon0_deg: 70.0,
        per_deg_lat: 120.0,
        per_deg_lon: 120.0,
        registration: Registration::Point,
    };
    let mut dem = DemSet::new(1 << 24);
    dem.add_tile(Tile::from_f32("wall", geometry, values).unwrap());
    let opts = RedundancyOptions {
        min_people: 1000,
        fibre_usd_per_km: 1e9, // fibre priced out: only hops
        ..Default::default()
    };
    let plan = propose(&m, None, Some(&dem), &opts).unwrap();
    assert!(plan.candidates.2 > 0, "some hops are rejected by the wall");
    for a in &plan.additions {
        if let AdditionKind::MicrowaveHop {
            clearance_pct_f1, ..
        } = &a.addition
        {
            assert!(clearance_pct_f1.unwrap() >= 60.0);
        }
    }
    // The same without terrain: hops are unchecked and more are available.
    let flat = propose(&m, None, None, &opts).unwrap();
    assert_eq!(flat.candidates.2, 0);
    assert!(flat.candidates.1 > plan.candidates.1);
}
