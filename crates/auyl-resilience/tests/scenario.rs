//! Scenarios: power cuts outlasting batteries, hazard polygons, seeded Monte Carlo.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use auyl_model::{Id, LonLat};
use auyl_resilience::scenario::{
    MonteCarloOptions, Outage, RepairTimes, evaluate, hazard, monte_carlo, power_outage,
};
use auyl_resilience::spof::dominator_cuts;
use auyl_resilience::{ElementKind, NetworkModel};
use geo_types::{MultiPolygon, Polygon, polygon};

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

fn square(w: f64, s: f64, e: f64, n: f64) -> MultiPolygon<f64> {
    let p: Polygon<f64> =
        polygon![(x: w, y: s), (x: e, y: s), (x: e, y: n), (x: w, y: n), (x: w, y: s)];
    MultiPolygon(vec![p])
}

/// core (61,45) ─f─ pop (62,45, grid, 4 h) ─a1─ s1 (62.5,45, grid, 2 h, 100 people)
///                                 └─mw─ mast (63,45, solar, 10 h) ─a2─ s2 (63.5,45, same solar, 30 people)
fn net() -> NetworkModel {
    let mut m = NetworkModel::new();
    let core = m
        .add_node("core", ElementKind::Core, ll(61.0, 45.0))
        .unwrap();
    let pop = m.add_node("pop", ElementKind::Pop, ll(62.0, 45.0)).unwrap();
    let s1 = m
        .add_settlement(&Id::new("s1"), 100, ll(62.5, 45.0))
        .unwrap();
    let mast = m
        .add_node("mast", ElementKind::Mast, ll(63.0, 45.0))
        .unwrap();
    let s2 = m
        .add_settlement(&Id::new("s2"), 30, ll(63.5, 45.0))
        .unwrap();
    m.add_link("f", ElementKind::FibreSegment, core, pop, None)
        .unwrap();
    m.add_link("a1", ElementKind::AccessLink, pop, s1, None)
        .unwrap();
    m.add_link("mw", ElementKind::MicrowaveLink, pop, mast, None)
        .unwrap();
    m.add_link("a2", ElementKind::AccessLink, mast, s2, None)
        .unwrap();
    let g = m
        .add_power("grid", ElementKind::PowerGrid, ll(62.2, 45.1))
        .unwrap();
    let sun = m
        .add_power("mast:solar", ElementKind::PowerSolar, ll(63.0, 45.0))
        .unwrap();
    m.set_power(pop, Some(g), 4.0).unwrap();
    m.set_power(s1, Some(g), 2.0).unwrap();
    m.set_power(mast, Some(sun), 10.0).unwrap();
    m.set_power(s2, Some(sun), 10.0).unwrap();
    m
}

#[test]
fn power_cut_outlasting_batteries() {
    let m = net();
    // 6 h over everything east of 61.5°: the grid supply and the pop, s1 inside; the mast is solar.
    let r = power_outage(&m, &square(61.5, 44.0, 64.0, 46.0), 6.0).unwrap();
    let s1 = r
        .settlements
        .iter()
        .find(|s| s.settlement_id == "s1")
        .unwrap();
    let s2 = r
        .settlements
        .iter()
        .find(|s| s.settlement_id == "s2")
        .unwrap();
    // s1's own battery lasts 2 h: down 2..6; s2 depends on the pop (4 h): down 4..6.
    assert_eq!((s1.from_h, s1.until_h, s1.hours), (2.0, 6.0, 4.0));
    assert_eq!((s2.from_h, s2.until_h, s2.hours), (4.0, 6.0, 2.0));
    assert_eq!(r.people_cut_off, 130);
    assert_eq!(r.peak_people, 130);
    assert_eq!(r.people_hours, 100.0 * 4.0 + 30.0 * 2.0);
    assert_eq!(r.longest_h, 4.0);
    assert_eq!(r.timeline.len(), 2);
    // Batteries longer than the cut: nobody is cut off.
    let r = power_outage(&m, &square(61.5, 44.0, 64.0, 46.0), 1.5).unwrap();
    assert_eq!(r.settlements_cut_off, 0);
    // A cut over the mast only: solar, so nothing happens.
    let r = power_outage(&m, &square(62.8, 44.0, 64.0, 46.0), 48.0).unwrap();
    assert_eq!(r.people_cut_off, 0);
}

#[test]
fn outages_of_a_supply_follow_the_batteries() {
    let m = net();
    let sun = m.find("mast:solar").unwrap();
    // The solar supply fails for 30 h (a long cloudy spell): the mast goes down at 10 h.
    let r = evaluate(
        &m,
        &[Outage {
            element: sun,
            from_h: 0.0,
            until_h: 30.0,
        }],
    )
    .unwrap();
    assert_eq!(r.settlements.len(), 1);
    assert_eq!(r.settlements[0].hours, 20.0);
    assert_eq!(
        r.elements_down, 2,
        "the mast and the village node on the same panels"
    );
    assert!(
        evaluate(
            &m,
            &[Outage {
                element: sun,
                from_h: 5.0,
                until_h: 1.0
            }]
        )
        .is_err()
    );
}

#[test]
fn hazard_polygon_cuts_what_it_crosses() {
    let m = net();
    // A flood around 61.5° crosses the fibre core–pop (a line) but holds no node.
    let r = hazard(&m, &square(61.4, 44.9, 61.6, 45.1), 12.0).unwrap();
    assert_eq!(r.elements_down, 1);
    assert_eq!(r.people_cut_off, 130);
    assert!(r.settlements.iter().all(|s| s.hours == 12.0));
    // A fire over the mast only.
    let r = hazard(&m, &square(62.9, 44.9, 63.1, 45.1), 24.0).unwrap();
    assert_eq!(r.people_cut_off, 30);
    assert_eq!(r.people_hours, 30.0 * 24.0);
}

#[test]
fn monte_carlo_is_seeded_and_k1_matches_single_failures() {
    let m = net();
    let opts = MonteCarloOptions {
        k: 1,
        trials: 4000,
        seed: 7,
        kinds: vec![
            ElementKind::Pop,
            ElementKind::Mast,
            ElementKind::FibreSegment,
            ElementKind::MicrowaveLink,
            ElementKind::AccessLink,
        ],
        repair: RepairTimes::default(),
    };
    let a = monte_carlo(&m, &opts).unwrap();
    let b = monte_carlo(&m, &opts).unwrap();
    assert_eq!(a, b, "same seed, same result");
    // k = 1: the mean of people cut off estimates the mean single-failure impact of the kinds.
    let cuts = dominator_cuts(&m);
    let cand: Vec<usize> = (0..m.len())
        .filter(|&i| opts.kinds.contains(&m.elements()[i].kind))
        .collect();
    let exact = cand.iter().map(|&i| cuts[i].1 as f64).sum::<f64>() / cand.len() as f64;
    assert_eq!(a.candidates, cand.len());
    assert!(
        a.people.ci95_low <= exact && exact <= a.people.ci95_high,
        "exact mean {exact} outside the interval {:?}",
        a.people
    );
    assert!(a.people.ci95_high - a.people.ci95_low < 10.0);
    let two = monte_carlo(
        &m,
        &MonteCarloOptions {
            k: 2,
            ..opts.clone()
        },
    )
    .unwrap();
    assert!(two.people.mean >= a.people.mean);
    assert!(monte_carlo(&m, &MonteCarloOptions { k: 99, ..opts }).is_err());
}
