//! Properties of every plan: never dearer than the greedy baseline (min_cost) nor fewer
//! people-years (max_people); every target served or listed unserved with a reason; yearly
//! budgets and operators' build capacities never exceeded.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_model::{
    BackboneNode, Id, LonLat, Names, NodeKind, Plan, Population, Road, Settlement, SettlementKind,
};
use auyl_plan::{Mode, PlanInputs, Scenario, SolveOptions, greedy, plan};
use geo_types::LineString;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn village(i: usize, lon: f64, lat: f64, people: u32) -> Settlement {
    Settlement {
        id: Id::new(format!("v{i}")),
        official_code: None,
        names: Names::default(),
        location: LonLat::new(lon, lat).unwrap(),
        kind: SettlementKind::Village,
        population: Some(Population {
            people,
            year: None,
            source: "test".into(),
            estimated: false,
        }),
        region_code: Some(if i % 3 == 2 { "R2" } else { "R1" }.into()),
        district_code: None,
    }
}

fn road() -> Road {
    let ls = LineString::from(vec![(70.0, 50.0), (70.25, 50.0), (70.5, 50.0)]);
    Road {
        id: Id::new("r1"),
        road_ref: None,
        name: None,
        class: Some("trunk".into()),
        surface: None,
        length_m: geo::Length::length(&geo::Geodesic, &ls),
        geometry: ls,
    }
}

fn pop(id: &str, lon: f64) -> BackboneNode {
    BackboneNode {
        id: Id::new(id),
        names: Names::default(),
        kind: NodeKind::Pop,
        location: LonLat::new(lon, 50.0).unwrap(),
        operator_id: None,
        assumed: false,
    }
}

fn people_years(p: &Plan, target_year: i32) -> u64 {
    p.settlements
        .iter()
        .map(|s| s.people * (target_year - s.year + 1).max(0) as u64)
        .sum()
}

fn check_common(p: &Plan, settlements: &[Settlement]) {
    assert_eq!(p.settlements.len() + p.unserved.len(), settlements.len());
    for s in settlements {
        let served = p
            .settlements
            .iter()
            .filter(|x| x.settlement_id == s.id)
            .count();
        let unserved = p
            .unserved
            .iter()
            .filter(|x| x.settlement_id == s.id)
            .count();
        assert_eq!(served + unserved, 1, "{}", s.id.as_str());
    }
    for u in &p.unserved {
        assert!(!u.reason.is_empty());
    }
    for s in &p.settlements {
        assert!(s.capacity_mbps + 1e-9 >= s.demand_mbps, "{s:?}");
        assert!(!s.reason.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn plans_respect_greedy_budgets_and_capacities(
        places in prop::collection::vec((0.0f64..0.5, -0.08f64..0.08, 20u32..3000), 2..8),
        max_people in any::<bool>(),
        budget in 0.0f64..3.0e6,
        cap in 1u32..4,
        demand in 0.01f64..0.3,
        path in 0usize..3,
    ) {
        let settlements: Vec<Settlement> = places
            .iter()
            .enumerate()
            .map(|(i, &(dx, dy, p))| village(i, 70.0 + dx, 50.0 + dy, p))
            .collect();
        let roads = vec![road()];
        let nodes = vec![pop("pop:west", 70.0), pop("pop:east", 70.5)];
        let inputs = PlanInputs {
            settlements: &settlements,
            areas: &[],
            nodes: &nodes,
            masts: &[],
            power: &[],
            roads: &roads,
            organisations: &[],
            terrain: None,
        };
        let mut sc = Scenario {
            mode: if max_people { Mode::MaxPeople } else { Mode::MinCost },
            ..Scenario::default()
        };
        sc.targets.connected_within_m = 0.0;
        sc.demand.busy_hour_mbps_per_user = demand;
        sc.finance.budget_usd_per_year = budget;
        sc.operators.settlements_per_year = BTreeMap::new();
        sc.operators.default_settlements_per_year = cap;
        // `max_people` by `path`: 0 the national MIP whole, 1 the national LP rounded and
        // repaired, 2 the regions apart (shares, Lagrangian bound, fill).
        let opts = SolveOptions {
            mip_rel_gap: 0.0,
            max_exact_columns: if path == 0 { 60_000 } else { 0 },
            max_national_columns: if path == 2 { 0 } else { 60_000 },
            ..SolveOptions::default()
        };
        let p = plan(&inputs, &sc, &opts, &|_| {}).unwrap();
        let g = greedy(&inputs, &sc, &opts, &|_| {}).unwrap();
        check_common(&p, &settlements);
        check_common(&g, &settlements);
        // Build capacity per operator and year.
        let mut count: BTreeMap<(String, i32), u32> = BTreeMap::new();
        for s in p.settlements.iter().filter(|s| s.technology != auyl_model::Technology::Satellite) {
            let op = s.operator_id.as_ref().map(|o| o.as_str().to_string()).unwrap_or_default();
            *count.entry((op, s.year)).or_default() += 1;
        }
        for (k, n) in &count {
            prop_assert!(*n <= cap, "{k:?}: {n} > {cap}");
        }
        if max_people {
            let how = ["solved whole", "LP rounding", "by region"][path];
            prop_assert!(p.totals.method.contains(how), "{}", p.totals.method);
            for (y, c) in &p.totals.capex_usd_by_year {
                prop_assert!(*c <= budget + 1e-6, "year {y}: {c} > {budget}");
                prop_assert!(*y >= sc.base_year && *y <= sc.target_year);
            }
            prop_assert!(people_years(&p, sc.target_year) >= people_years(&g, sc.target_year));
            // The gap is measured against a valid bound: never negative, and it bounds the
            // greedy baseline too.
            if let Some(gap) = p.totals.gap {
                prop_assert!(gap >= 0.0);
                let py = people_years(&p, sc.target_year) as f64;
                prop_assert!(people_years(&g, sc.target_year) as f64 <= py * (1.0 + gap) + 1e-6);
            }
        } else {
            prop_assert!(p.unserved.is_empty());
            prop_assert!(p.totals.npc_usd <= g.totals.npc_usd * (1.0 + 1e-9) + 1e-6,
                "plan {} > greedy {}", p.totals.npc_usd, g.totals.npc_usd);
            prop_assert_eq!(p.totals.greedy_npc_usd, Some(g.totals.npc_usd));
        }
    }
}

#[test]
fn zero_budget_leaves_everyone_unserved_with_the_reason() {
    let settlements: Vec<Settlement> = (0..4)
        .map(|i| village(i, 70.05 + 0.1 * i as f64, 50.02, 400))
        .collect();
    let roads = vec![road()];
    let nodes = vec![pop("pop:west", 70.0)];
    let inputs = PlanInputs {
        settlements: &settlements,
        areas: &[],
        nodes: &nodes,
        masts: &[],
        power: &[],
        roads: &roads,
        organisations: &[],
        terrain: None,
    };
    let mut sc = Scenario {
        mode: Mode::MaxPeople,
        ..Scenario::default()
    };
    sc.finance.budget_usd_per_year = 0.0;
    let p = plan(&inputs, &sc, &SolveOptions::default(), &|_| {}).unwrap();
    assert!(p.settlements.is_empty());
    assert_eq!(p.unserved.len(), 4);
    for u in &p.unserved {
        assert!(u.reason.contains("unaffordable"), "{}", u.reason);
    }
}

#[test]
fn max_people_leaves_settlements_without_people_unserved_with_the_reason() {
    // Three villages on the road, the middle one with no people recorded; the budget is ample.
    let mut settlements: Vec<Settlement> = (0..3)
        .map(|i| village(i, 70.1 + 0.15 * i as f64, 50.01, 800))
        .collect();
    settlements[1].population = None;
    let roads = vec![road()];
    let nodes = vec![pop("pop:west", 70.0)];
    let inputs = PlanInputs {
        settlements: &settlements,
        areas: &[],
        nodes: &nodes,
        masts: &[],
        power: &[],
        roads: &roads,
        organisations: &[],
        terrain: None,
    };
    let mut sc = Scenario {
        mode: Mode::MaxPeople,
        ..Scenario::default()
    };
    sc.targets.connected_within_m = 0.0;
    sc.finance.budget_usd_per_year = 1.0e9;
    let p = plan(&inputs, &sc, &SolveOptions::default(), &|_| {}).unwrap();
    check_common(&p, &settlements);
    assert_eq!(p.settlements.len(), 2, "{:?}", p.unserved);
    assert_eq!(p.unserved.len(), 1);
    assert_eq!(p.unserved[0].settlement_id.as_str(), "v1");
    assert!(
        p.unserved[0].reason.contains("no people recorded"),
        "{}",
        p.unserved[0].reason
    );
    assert!(
        p.assumptions
            .iter()
            .any(|a| a.contains("fibre routed to the 2 settlements with people only")),
        "{:?}",
        p.assumptions
    );
}
