//! Building the network from registry records and a plan.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_model::{
    BackboneNode, Backhaul, Id, LonLat, Names, NodeKind, Plan, PlanTotals, PlannedHop,
    PlannedRoute, PlannedSite, Population, PowerKind, PowerSource, PowerSupply, Settlement,
    SettlementKind, SettlementPlan, SiteStatus, Technology,
};
use auyl_resilience::spof::brute_force;
use auyl_resilience::spof::dominator_cuts;
use auyl_resilience::{ElementKind, ModelOptions, Registry, from_plan, single_failures};
use geo_types::LineString;

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

fn settlement(id: &str, lon: f64, lat: f64, people: u32) -> Settlement {
    Settlement {
        id: Id::new(id),
        official_code: None,
        names: Names::default(),
        location: ll(lon, lat),
        kind: SettlementKind::Village,
        population: Some(Population {
            people,
            year: None,
            source: "test".into(),
            estimated: false,
        }),
        region_code: None,
        district_code: None,
    }
}

fn sp(
    id: &str,
    tech: Technology,
    people: u64,
    site: Option<&str>,
    route: Option<&str>,
    hops: &[&str],
) -> SettlementPlan {
    SettlementPlan {
        settlement_id: Id::new(id),
        technology: tech,
        people,
        demand_mbps: 10.0,
        capacity_mbps: 100.0,
        site_id: site.map(Id::new),
        route_id: route.map(Id::new),
        hop_ids: hops.iter().copied().map(Id::new).collect(),
        operator_id: None,
        akimat_id: None,
        needs_land: false,
        needs_power: false,
        year: 2026,
        capex_usd: 0.0,
        opex_usd_per_year: 0.0,
        reason: String::new(),
        assumptions: Vec::new(),
    }
}

fn site(id: &str, lon: f64, lat: f64, power: PowerSupply, backhaul: Backhaul) -> PlannedSite {
    PlannedSite {
        id: Id::new(id),
        location: ll(lon, lat),
        height_m: 40.0,
        ground_m: 300.0,
        status: SiteStatus::New,
        technology: Technology::Lte,
        power,
        backhaul,
        serves: Vec::new(),
        operator_id: None,
        capex_usd: 0.0,
        opex_usd_per_year: 0.0,
        year: 2026,
    }
}

fn hop(id: &str, a: LonLat, b: LonLat) -> PlannedHop {
    PlannedHop {
        id: Id::new(id),
        a,
        b,
        heights_m: (40.0, 40.0),
        distance_m: a.haversine_distance_m(b),
        clearance_pct_f1: 80.0,
        freq_mhz: 7500.0,
        capex_usd: 0.0,
        year: 2026,
    }
}

/// A PoP at (70, 50); a fibre route east through villages A (70.2) and a site S (70.4) serving
/// village B; a site M far north with a two-hop microwave chain back to the PoP (relay R),
/// serving village C; village D by satellite.
fn plan_and_registry() -> (Plan, Vec<Settlement>, Vec<BackboneNode>, Vec<PowerSource>) {
    let settlements = vec![
        settlement("A", 70.2, 50.0, 500),
        settlement("B", 70.4, 50.05, 300),
        settlement("C", 70.0, 50.5, 200),
        settlement("D", 71.0, 51.0, 50),
    ];
    let backbone = vec![BackboneNode {
        id: Id::new("pop1"),
        names: Names::default(),
        kind: NodeKind::Pop,
        location: ll(70.0, 50.0),
        operator_id: None,
        assumed: true,
    }];
    let power = vec![PowerSource {
        id: Id::new("plant"),
        name: None,
        kind: PowerKind::Plant,
        fuel: None,
        capacity_mw: Some(100.0),
        voltage_kv: None,
        location: ll(70.1, 50.1),
    }];
    let route = PlannedRoute {
        id: Id::new("r1"),
        from_node_id: Id::new("pop1"),
        geometry: LineString::from(vec![
            (70.0, 50.0),
            (70.1, 50.0),
            (70.2, 50.0),
            (70.3, 50.0),
            (70.4, 50.0),
        ]),
        length_m_by_class: Default::default(),
        approximated_m: 0.0,
        serves: vec![Id::new("A"), Id::new("B")],
        operator_id: None,
        capex_usd: 0.0,
        year: 2026,
    };
    let plan = Plan {
        scenario: "test".into(),
        mode: "min_cost".into(),
        base_year: 2026,
        settlements: vec![
            sp("A", Technology::Fibre, 500, None, Some("r1"), &[]),
            sp("B", Technology::Lte, 300, Some("S"), None, &[]),
            sp("C", Technology::Lte, 200, Some("M"), None, &[]),
            sp("D", Technology::Satellite, 50, None, None, &[]),
        ],
        unserved: Vec::new(),
        sites: vec![
            site(
                "S",
                70.4,
                50.0,
                PowerSupply::Grid {
                    extension_m: 0.0,
                    battery_h: 4.0,
                },
                Backhaul::Fibre {
                    route_id: Some(Id::new("r1")),
                },
            ),
            site(
                "M",
                70.0,
                50.5,
                PowerSupply::SolarBattery { battery_h: 24.0 },
                Backhaul::Microwave {
                    hop_ids: vec![Id::new("h1"), Id::new("h2")],
                },
            ),
        ],
        routes: vec![route],
        hops: vec![
            hop("h1", ll(70.0, 50.5), ll(70.0, 50.25)),
            hop("h2", ll(70.0, 50.25), ll(70.0, 50.0)),
        ],
        totals: PlanTotals::default(),
        assumptions: Vec::new(),
    };
    (plan, settlements, backbone, power)
}

#[test]
fn plan_becomes_a_network() {
    let (plan, settlements, backbone, power) = plan_and_registry();
    let reg = Registry {
        settlements: &settlements,
        backbone: &backbone,
        power: &power,
        ..Default::default()
    };
    let m = from_plan(Some(&plan), &reg, &ModelOptions::default()).unwrap();
    assert!(
        m.assumptions.iter().any(|a| a.contains("stand in as core")),
        "{:?}",
        m.assumptions
    );
    let kinds = |k| m.elements().iter().filter(|e| e.kind == k).count();
    assert_eq!(kinds(ElementKind::Settlement), 4);
    assert_eq!(kinds(ElementKind::Mast), 2);
    assert_eq!(
        kinds(ElementKind::Relay),
        1,
        "h1 ends where no node is: a relay"
    );
    assert_eq!(kinds(ElementKind::MicrowaveLink), 2);
    assert_eq!(kinds(ElementKind::SatelliteHub), 1);
    assert_eq!(kinds(ElementKind::PowerSolar), 1);
    let r = single_failures(&m);
    assert_eq!(
        r.unreachable_settlements, 0,
        "every planned settlement reaches the core"
    );
    let by = |id: &str| r.impacts.iter().find(|i| i.id == id).unwrap().clone();
    // The pop carries everything terrestrial.
    assert_eq!(by("pop1").people, 1000);
    assert_eq!(by("S").people, 300);
    assert_eq!(by("M").people, 200);
    assert_eq!(by("h1").people, 200);
    assert_eq!(by("h2").people, 200);
    assert_eq!(by("D").people, 50);
    assert_eq!(by("M:solar").people, 200);
    assert_eq!(by("plant").people, 1000, "the plant feeds the pop");
    // The first segment of the route carries A and B.
    let first = r.impacts.iter().find(|i| i.id.starts_with("r1#0")).unwrap();
    assert_eq!(first.people, 800);
    assert_eq!(dominator_cuts(&m), brute_force(&m));
}

#[test]
fn registry_alone_with_unplanned_settlements() {
    let (_, settlements, backbone, power) = plan_and_registry();
    let reg = Registry {
        settlements: &settlements,
        backbone: &backbone,
        power: &power,
        ..Default::default()
    };
    let opts = ModelOptions {
        attach_unplanned_m: Some(40_000.0),
        ..Default::default()
    };
    let m = from_plan(None, &reg, &opts).unwrap();
    // A (14 km), B (29 km), C (56 km: too far), D (far).
    let r = single_failures(&m);
    assert_eq!(r.total_settlements, 2);
    assert_eq!(r.impacts[0].people, 800);
    let pop = r.impacts.iter().find(|i| i.id == "pop1").unwrap();
    assert_eq!(pop.people, 800);
    assert_eq!(pop.settlements, 2);
}
