//! Plans of small real fixtures (demo villages near Almaty) against the optimum found by
//! enumerating every assignment of options.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the report

use crate::candidates::{self, Candidates, SiteBackhaul};
use crate::output;
use crate::solve::{self, Choice};
use crate::testutil::*;
use crate::*;
use auyl_model::LonLat;
use auyl_network::Unlimited;
use std::collections::BTreeSet;

/// Cheapest NPC over every assignment of choices (and site backhaul variants), by enumeration.
fn brute_force(c: &Candidates) -> f64 {
    let site_of = solve::sites_of(c);
    let ch: Vec<Vec<Choice>> = (0..c.targets.len())
        .map(|t| solve::choices(c, &site_of, t))
        .collect();
    let n = ch.len();
    let mut idx = vec![0usize; n];
    let mut best = f64::INFINITY;
    loop {
        // Evaluate.
        let mut load = vec![0.0; c.sites.len()];
        let mut segs: BTreeSet<usize> = BTreeSet::new();
        let mut cost = 0.0;
        let mut used: BTreeSet<usize> = BTreeSet::new();
        let mut ok = true;
        for t in 0..n {
            match ch[t][idx[t]] {
                Choice::Own(o) => {
                    cost += c.own[t][o].npc_usd;
                    if c.own[t][o].tech == auyl_model::Technology::Fibre {
                        segs.extend(c.path(c.targets[t].fibre_seg.flatten()));
                    }
                }
                Choice::Site(k) => {
                    load[k] += c.targets[t].demand_mbps;
                    if load[k] > c.sites[k].capacity_mbps + 1e-9 {
                        ok = false;
                    }
                    used.insert(k);
                }
            }
        }
        if ok {
            let used: Vec<usize> = used.into_iter().collect();
            let mut vi = vec![0usize; used.len()];
            loop {
                let mut s2 = segs.clone();
                let mut c2 = cost;
                for (j, &k) in used.iter().enumerate() {
                    let var = &c.sites[k].variants[vi[j]];
                    c2 += var.npc_usd;
                    if let SiteBackhaul::Fibre { seg, .. } = var.backhaul {
                        s2.extend(c.path(seg));
                    }
                }
                c2 += s2.iter().map(|&g| c.seg_npc(g)).sum::<f64>();
                best = best.min(c2);
                // Next variant combination.
                let mut j = 0;
                while j < used.len() {
                    vi[j] += 1;
                    if vi[j] < c.sites[used[j]].variants.len() {
                        break;
                    }
                    vi[j] = 0;
                    j += 1;
                }
                if j == used.len() {
                    break;
                }
            }
        }
        // Next assignment.
        let mut t = 0;
        while t < n {
            idx[t] += 1;
            if idx[t] < ch[t].len() {
                break;
            }
            idx[t] = 0;
            t += 1;
        }
        if t == n {
            break;
        }
    }
    best
}

struct Fixture {
    settlements: Vec<auyl_model::Settlement>,
    roads: Vec<auyl_model::Road>,
    power: Vec<auyl_model::PowerSource>,
    orgs: Vec<auyl_model::Organisation>,
    nodes: Vec<auyl_model::BackboneNode>,
}

/// Villages with a reported population east of Almaty (Talgar and Enbekshikazakh districts)
/// and a PoP at Talgar, the district centre.
fn almaty_fixture(count: usize) -> Fixture {
    let lon = (77.10, 77.35);
    let lat = (43.30, 43.58);
    let mut settlements: Vec<_> = settlements_in(lon, lat)
        .into_iter()
        .filter(|s| s.kind.is_rural() && s.population.is_some())
        .collect();
    settlements.sort_by(|a, b| a.id.cmp(&b.id));
    settlements.truncate(count);
    assert_eq!(settlements.len(), count, "not enough villages in the box");
    let talgar = LonLat::new(77.239529, 43.302723).unwrap();
    Fixture {
        settlements,
        roads: roads_in((76.9, 77.6), (43.1, 43.8)),
        power: power(),
        orgs: organisations(),
        nodes: vec![node_at("pop:talgar", talgar)],
    }
}

fn inputs<'a>(f: &'a Fixture, dem: Option<&'a auyl_terrain::DemSet>) -> PlanInputs<'a> {
    PlanInputs {
        settlements: &f.settlements,
        areas: &[],
        nodes: &f.nodes,
        masts: &[],
        power: &f.power,
        roads: &f.roads,
        organisations: &f.orgs,
        terrain: dem,
    }
}

/// Demand low enough that LTE can carry villages of a few hundred people, so every technology
/// competes.
fn test_scenario() -> Scenario {
    let mut sc = Scenario::default();
    sc.demand.busy_hour_mbps_per_user = 0.02;
    sc.targets.connected_within_m = 0.0;
    sc
}

fn exact() -> SolveOptions<'static> {
    SolveOptions {
        mip_rel_gap: 0.0,
        max_sites_per_settlement: 3,
        ..SolveOptions::default()
    }
}

fn check_against_brute_force(
    f: &Fixture,
    dem: Option<&auyl_terrain::DemSet>,
    sc: &Scenario,
    expect_lte: bool,
) {
    let inp = inputs(f, dem);
    let opts = exact();
    let c = candidates::build(&inp, sc, f.nodes.clone(), &Unlimited, 3, &|_| {}).unwrap();
    let techs: BTreeSet<_> = c.own.iter().flatten().map(|o| o.tech).collect();
    assert!(techs.contains(&auyl_model::Technology::Fibre), "{techs:?}");
    if expect_lte {
        assert!(!c.sites.is_empty(), "no LTE site covers any village");
    }
    let optimum = brute_force(&c);
    let p = plan(&inp, sc, &opts, &|_| {}).unwrap();
    let g = greedy(&inp, sc, &opts, &|_| {}).unwrap();
    assert_eq!(p.settlements.len(), f.settlements.len());
    assert!(p.unserved.is_empty());
    let npc = p.totals.npc_usd;
    assert!(
        (npc - optimum).abs() <= 1e-6 * optimum,
        "plan {npc} vs brute force {optimum} ({})",
        p.totals.method
    );
    assert!(g.totals.npc_usd >= optimum - 1e-6 * optimum);
    assert_eq!(p.totals.greedy_npc_usd, Some(g.totals.npc_usd));
    assert!(p.totals.gap.unwrap() <= 1e-6);
    // Attributed costs add up to the totals.
    let capex: f64 = p.settlements.iter().map(|s| s.capex_usd).sum();
    assert!((capex - p.totals.capex_usd).abs() <= 1e-6 * p.totals.capex_usd);
}

#[test]
fn six_villages_without_dem_match_brute_force() {
    let f = almaty_fixture(6);
    check_against_brute_force(&f, None, &test_scenario(), true);
}

#[test]
fn six_villages_over_the_dem_match_brute_force() {
    let f = almaty_fixture(6);
    let dem = demo_dem();
    check_against_brute_force(&f, Some(&dem), &test_scenario(), true);
}

#[test]
fn central_scenario_matches_brute_force() {
    let f = almaty_fixture(7);
    check_against_brute_force(&f, None, &Scenario::default(), false);
}

/// People-years of the best satellite-only plan under the same yearly budgets (by enumerating
/// the year, or none, of every settlement).
fn satellite_only_people_years(c: &Candidates, sc: &Scenario) -> f64 {
    let years = sc.years();
    let sat: Vec<Option<f64>> = (0..c.targets.len())
        .map(|t| {
            c.own[t]
                .iter()
                .find(|o| o.tech == auyl_model::Technology::Satellite)
                .map(|o| solve::charge(sc.finance.budget_basis, o.capex_usd, o.npc_usd))
        })
        .collect();
    let n = c.targets.len();
    let choices = years.len() + 1;
    let mut best = 0.0f64;
    for code in 0..choices.pow(n as u32) {
        let mut spent = vec![0.0; years.len()];
        let mut py = 0.0;
        let mut x = code;
        let mut ok = true;
        for (t, cost) in sat.iter().enumerate() {
            let pick = x % choices;
            x /= choices;
            if pick == 0 {
                continue;
            }
            let Some(cost) = *cost else {
                ok = false;
                break;
            };
            spent[pick - 1] += cost;
            py += c.targets[t].people as f64 * (years.len() - (pick - 1)) as f64;
        }
        if ok
            && spent
                .iter()
                .zip(&years)
                .all(|(s, &y)| *s <= sc.budget_usd(y) + 1e-6)
        {
            best = best.max(py);
        }
    }
    best
}

#[test]
fn max_people_under_a_tight_budget_beats_greedy_and_satellite_only() {
    let f = almaty_fixture(7);
    let inp = inputs(&f, None);
    let opts = exact();
    let mut sc = Scenario::default();
    sc.targets.connected_within_m = 0.0;
    let c = candidates::build(&inp, &sc, f.nodes.clone(), &Unlimited, 3, &|_| {}).unwrap();
    let all: Vec<usize> = (0..c.targets.len()).collect();
    // Two plan years of 30 % of the least whole-life cost of connecting everyone (one year,
    // unlimited budget) each cannot connect everyone.
    let least = {
        let mut s = sc.clone();
        s.target_year = s.base_year;
        s.finance.budget_usd_per_year = 1e12;
        s.mode = Mode::MaxPeople;
        let cc = candidates::build(&inp, &s, f.nodes.clone(), &Unlimited, 3, &|_| {}).unwrap();
        let solved = output::choose(&cc, &inp, &s, &opts, &|_| {}, true).unwrap();
        assert!(solved.sel.choice.iter().all(Option::is_some));
        solved.sel.npc(&cc)
    };
    sc.mode = Mode::MaxPeople;
    sc.finance.budget_usd_per_year = 0.3 * least;
    let solved = output::choose(&c, &inp, &sc, &opts, &|_| {}, true).unwrap();
    let sel = &solved.sel;
    // Budgets respected, on the whole-life basis.
    for (y, used) in sel.charge_by_year(&c, sc.finance.budget_basis) {
        assert!(
            used <= sc.budget_usd(y) + 1e-6,
            "{y}: {used} > {}",
            sc.budget_usd(y)
        );
    }
    let people_years = |s: &solve::Selection| -> f64 {
        s.choice
            .iter()
            .enumerate()
            .filter_map(|(t, ch)| {
                ch.map(|(_, y)| c.targets[t].people as f64 * f64::from(sc.target_year - y + 1))
            })
            .sum()
    };
    let ours = people_years(sel);
    let greedy = solve::greedy_max_people(
        &c,
        &inp,
        &sc,
        &all,
        &solve::Limits::national(&sc),
        solve::Selection::empty(&c),
    );
    let sat = satellite_only_people_years(&c, &sc);
    assert!(
        ours >= people_years(&greedy),
        "{ours} < greedy {}",
        people_years(&greedy)
    );
    assert!(
        ours > sat,
        "{ours} ≤ satellite only {sat} ({})",
        solved.method
    );
    // Not everyone fits, and the mix is not satellite alone.
    assert!(sel.choice.iter().any(Option::is_none), "{}", solved.method);
    let techs: BTreeSet<auyl_model::Technology> = sel
        .choice
        .iter()
        .enumerate()
        .filter_map(|(t, ch)| match ch {
            Some((Choice::Own(o), _)) => Some(c.own[t][*o].tech),
            Some((Choice::Site(_), _)) => Some(auyl_model::Technology::Lte),
            None => None,
        })
        .collect();
    assert!(
        techs
            .iter()
            .any(|&t| t != auyl_model::Technology::Satellite),
        "{techs:?}"
    );
    assert!(
        solved.gap.unwrap() <= 1e-6,
        "gap {:?} ({})",
        solved.gap,
        solved.method
    );
    // By region (as the national plan goes): never below greedy, and the Lagrangian bound it
    // reports is valid: at or above the exact optimum found above.
    let split = SolveOptions {
        max_national_columns: 0,
        ..exact()
    };
    let by_region = output::choose(&c, &inp, &sc, &split, &|_| {}, true).unwrap();
    let theirs = people_years(&by_region.sel);
    assert!(theirs >= people_years(&greedy), "{}", by_region.method);
    assert!(theirs <= ours + 1e-6);
    let gap = by_region.gap.expect(&by_region.method);
    let bound = theirs * (1.0 + gap);
    assert!(
        bound >= ours - 1e-6,
        "bound {bound} < optimum {ours} ({})",
        by_region.method
    );
    for (y, used) in by_region.sel.charge_by_year(&c, sc.finance.budget_basis) {
        assert!(used <= sc.budget_usd(y) + 1e-6);
    }
}

#[test]
fn rerouting_fibre_to_the_fibre_villages_never_costs_more() {
    let f = almaty_fixture(7);
    let inp = inputs(&f, None);
    let sc = test_scenario();
    let once = SolveOptions {
        reroute_fibre: false,
        ..exact()
    };
    let a = plan(&inp, &sc, &once, &|_| {}).unwrap();
    let b = plan(&inp, &sc, &exact(), &|_| {}).unwrap();
    assert!(b.totals.npc_usd <= a.totals.npc_usd * (1.0 + 1e-12));
    assert_eq!(b.settlements.len(), a.settlements.len());
    assert_eq!(b.totals.greedy_npc_usd, a.totals.greedy_npc_usd);
    assert!(b.totals.method.contains("re-routed"), "{}", b.totals.method);
}
