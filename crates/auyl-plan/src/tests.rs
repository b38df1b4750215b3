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
use std::collections::{BTreeMap, BTreeSet};

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

/// Least discounted NPC of building what `pick` needs (a (choice, year index) or nothing per
/// target), over every site variant and every build year of each site and segment no later
/// than its first user (a segment not before its parent), within the yearly budgets, the build
/// capacities and the sites' capacities; `None` when no schedule fits.
fn cheapest_schedule(
    c: &Candidates,
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    pick: &[Option<(Choice, usize)>],
) -> Option<f64> {
    let years = sc.years();
    let ny = years.len();
    let basis = sc.finance.budget_basis;
    let mut pools: BTreeMap<(String, usize), f64> = BTreeMap::new();
    let mut load = vec![0.0; c.sites.len()];
    let mut site_deadline: BTreeMap<usize, usize> = BTreeMap::new();
    let mut seg_deadline: BTreeMap<usize, usize> = BTreeMap::new();
    let mut charge = vec![0.0; ny];
    let mut npc = 0.0;
    for (t, p) in pick.iter().enumerate() {
        let Some((ch, yi)) = *p else { continue };
        *pools
            .entry((solve::capacity_key(c, inputs, sc, t, ch), yi))
            .or_default() += 1.0;
        match ch {
            Choice::Own(o) => {
                let opt = &c.own[t][o];
                charge[yi] += solve::charge(basis, opt.capex_usd, opt.npc_usd);
                npc += opt.npc_usd * c.df(years[yi]);
                if opt.tech == auyl_model::Technology::Fibre {
                    for g in c.path(c.targets[t].fibre_seg.flatten()) {
                        let d = seg_deadline.entry(g).or_insert(yi);
                        *d = (*d).min(yi);
                    }
                }
            }
            Choice::Site(k) => {
                load[k] += c.targets[t].demand_mbps;
                let d = site_deadline.entry(k).or_insert(yi);
                *d = (*d).min(yi);
            }
        }
    }
    if pools
        .iter()
        .any(|((key, _), n)| *n > solve::capacity_of(sc, key) + 1e-9)
    {
        return None;
    }
    let fits = |ch: &[f64]| {
        ch.iter()
            .zip(&years)
            .all(|(x, &y)| *x <= sc.budget_usd(y) * (1.0 + 1e-9) + 1e-6)
    };
    if !fits(&charge) {
        return None;
    }
    if site_deadline
        .keys()
        .any(|&k| load[k] > c.sites[k].capacity_mbps + 1e-9)
    {
        return None;
    }
    // Every (variant, year) of every site used, then every year of every segment needed.
    let sites: Vec<(usize, usize)> = site_deadline.into_iter().collect();
    let site_opts: Vec<Vec<(usize, usize)>> = sites
        .iter()
        .map(|&(k, d)| {
            (0..c.sites[k].variants.len())
                .flat_map(|v| (0..=d).map(move |y| (v, y)))
                .collect()
        })
        .collect();
    let mut best: Option<f64> = None;
    for_each_combination(&site_opts, |sv| {
        let mut seg_d = seg_deadline.clone();
        let mut ch2 = charge.clone();
        let mut npc2 = npc;
        for (&(k, _), &(v, y)) in sites.iter().zip(sv) {
            let var = &c.sites[k].variants[v];
            ch2[y] += solve::charge(basis, var.capex_usd, var.npc_usd);
            npc2 += var.npc_usd * c.df(years[y]);
            if let SiteBackhaul::Fibre { seg, .. } = var.backhaul {
                for g in c.path(seg) {
                    let d = seg_d.entry(g).or_insert(y);
                    *d = (*d).min(y);
                }
            }
        }
        let segs: Vec<(usize, usize)> = seg_d.into_iter().collect();
        let seg_opts: Vec<Vec<usize>> = segs.iter().map(|&(_, d)| (0..=d).collect()).collect();
        for_each_combination(&seg_opts, |years_of| {
            let year_of: BTreeMap<usize, usize> = segs
                .iter()
                .zip(years_of)
                .map(|(&(g, _), &y)| (g, y))
                .collect();
            let after_parent = year_of.iter().all(|(&g, &y)| {
                c.segments[g]
                    .parent
                    .is_none_or(|p| year_of.get(&p).is_some_and(|&py| py <= y))
            });
            if !after_parent {
                return;
            }
            let mut ch3 = ch2.clone();
            let mut npc3 = npc2;
            for (&g, &y) in &year_of {
                ch3[y] += solve::charge(basis, c.segments[g].capex_usd, c.seg_npc(g));
                npc3 += c.seg_npc(g) * c.df(years[y]);
            }
            if fits(&ch3) && best.is_none_or(|b| npc3 < b) {
                best = Some(npc3);
            }
        });
    });
    best
}

/// Calls `f` with every combination of one element of each list.
fn for_each_combination<T: Copy>(lists: &[Vec<T>], mut f: impl FnMut(&[T])) {
    if lists.iter().any(Vec::is_empty) {
        return;
    }
    let mut idx = vec![0usize; lists.len()];
    let mut cur: Vec<T> = lists.iter().map(|l| l[0]).collect();
    loop {
        f(&cur);
        let mut i = 0;
        while i < lists.len() {
            idx[i] += 1;
            if idx[i] < lists[i].len() {
                cur[i] = lists[i][idx[i]];
                break;
            }
            idx[i] = 0;
            cur[i] = lists[i][0];
            i += 1;
        }
        if i == lists.len() {
            return;
        }
    }
}

/// Budget charge of the cheapest way to connect `t` alone (nothing else built), if any.
fn standalone_charge(
    c: &Candidates,
    sc: &Scenario,
    site_of: &[Vec<usize>],
    t: usize,
) -> Option<f64> {
    let basis = sc.finance.budget_basis;
    let path = |g: Option<usize>| -> f64 {
        c.path(g)
            .iter()
            .map(|&x| solve::charge(basis, c.segments[x].capex_usd, c.seg_npc(x)))
            .sum()
    };
    let own = c.own[t].iter().map(|o| {
        solve::charge(basis, o.capex_usd, o.npc_usd)
            + if o.tech == auyl_model::Technology::Fibre {
                path(c.targets[t].fibre_seg.flatten())
            } else {
                0.0
            }
    });
    let sites = site_of[t].iter().flat_map(|&k| {
        c.sites[k].variants.iter().map(move |var| {
            solve::charge(basis, var.capex_usd, var.npc_usd)
                + match var.backhaul {
                    SiteBackhaul::Fibre { seg, .. } => path(seg),
                    _ => 0.0,
                }
        })
    });
    own.chain(sites).min_by(f64::total_cmp)
}

/// The best `max_people` plan by enumerating nothing or a (choice, year) for every target
/// (depth first, cutting branches whose own charges already exceed a budget or that cannot
/// reach the best people-years found): (most people-years, least discounted NPC at those
/// people-years).
fn brute_force_max_people(c: &Candidates, inputs: &PlanInputs<'_>, sc: &Scenario) -> (f64, f64) {
    struct Search<'a> {
        c: &'a Candidates,
        inputs: &'a PlanInputs<'a>,
        sc: &'a Scenario,
        options: Vec<Vec<Option<(Choice, usize)>>>,
        /// Build-capacity pool of each (target, choice).
        keys: BTreeMap<(usize, Choice), String>,
        /// Targets in the order decided.
        order: Vec<usize>,
        /// People-years still reachable from depth `d` on (all in the first year).
        reachable: Vec<f64>,
        pick: Vec<Option<(Choice, usize)>>,
        best: (f64, f64),
    }
    impl Search<'_> {
        /// Whether what the picks need could fit: everything a pick of year `y` needs is built
        /// by `y`, so the charges needed by each year (a site at its cheapest variant) are
        /// within the budgets up to that year.
        fn may_fit(&self) -> bool {
            let (c, sc) = (self.c, self.sc);
            let basis = sc.finance.budget_basis;
            let years = sc.years();
            let mut need = vec![0.0; years.len()];
            let mut seg_d: BTreeMap<usize, usize> = BTreeMap::new();
            let mut site_d: BTreeMap<usize, usize> = BTreeMap::new();
            let mut pools: BTreeMap<(&str, usize), f64> = BTreeMap::new();
            for (t, p) in self.pick.iter().enumerate() {
                let Some((ch, yi)) = *p else { continue };
                let key = self.keys[&(t, ch)].as_str();
                let n = pools.entry((key, yi)).or_default();
                *n += 1.0;
                if *n > solve::capacity_of(sc, key) + 1e-9 {
                    return false;
                }
                match ch {
                    Choice::Own(o) => {
                        let o = &c.own[t][o];
                        need[yi] += solve::charge(basis, o.capex_usd, o.npc_usd);
                        if o.tech == auyl_model::Technology::Fibre {
                            for g in c.path(c.targets[t].fibre_seg.flatten()) {
                                let d = seg_d.entry(g).or_insert(yi);
                                *d = (*d).min(yi);
                            }
                        }
                    }
                    Choice::Site(k) => {
                        let d = site_d.entry(k).or_insert(yi);
                        *d = (*d).min(yi);
                    }
                }
            }
            for (g, d) in seg_d {
                need[d] += solve::charge(basis, c.segments[g].capex_usd, c.seg_npc(g));
            }
            for (k, d) in site_d {
                need[d] += c.sites[k]
                    .variants
                    .iter()
                    .map(|v| solve::charge(basis, v.capex_usd, v.npc_usd))
                    .fold(f64::INFINITY, f64::min);
            }
            let (mut needed, mut budget) = (0.0, 0.0);
            years.iter().zip(&need).all(|(&y, n)| {
                needed += n;
                budget += sc.budget_usd(y);
                needed <= budget * (1.0 + 1e-9) + 1e-6
            })
        }

        /// Decides the target `order[depth]` on.
        fn go(&mut self, depth: usize, py: f64) {
            if py + self.reachable[depth] < self.best.0 - 1e-9 || !self.may_fit() {
                return;
            }
            let Some(&t) = self.order.get(depth) else {
                if py > 0.0
                    && let Some(npc) = cheapest_schedule(self.c, self.inputs, self.sc, &self.pick)
                    && (py > self.best.0 + 1e-9 || npc < self.best.1)
                {
                    self.best = (py, npc);
                }
                return;
            };
            let ny = self.sc.years().len();
            for i in 0..self.options[t].len() {
                let opt = self.options[t][i];
                let gain = opt.map_or(0.0, |(_, yi)| {
                    self.c.targets[t].people as f64 * (ny - yi) as f64
                });
                self.pick[t] = opt;
                self.go(depth + 1, py + gain);
            }
            self.pick[t] = None;
        }
    }
    let ny = sc.years().len();
    let site_of = solve::sites_of(c);
    let n = c.targets.len();
    // Earlier years first and nothing last: good plans come early and cut the rest.
    let options: Vec<Vec<Option<(Choice, usize)>>> = (0..n)
        .map(|t| {
            let chs = solve::choices(c, &site_of, t);
            let mut v: Vec<Option<(Choice, usize)>> = (0..ny)
                .flat_map(|yi| chs.iter().map(move |&ch| Some((ch, yi))))
                .collect();
            v.push(None);
            v
        })
        .collect();
    // The most populous first: what is left to decide weighs little, and the bound cuts.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&t| std::cmp::Reverse(c.targets[t].people));
    let mut reachable = vec![0.0; n + 1];
    for d in (0..n).rev() {
        reachable[d] = reachable[d + 1] + c.targets[order[d]].people as f64 * ny as f64;
    }
    let keys = options
        .iter()
        .enumerate()
        .flat_map(|(t, v)| v.iter().flatten().map(move |&(ch, _)| (t, ch)))
        .map(|(t, ch)| ((t, ch), solve::capacity_key(c, inputs, sc, t, ch)))
        .collect();
    let mut s = Search {
        c,
        inputs,
        sc,
        options,
        keys,
        order,
        reachable,
        pick: vec![None; n],
        best: (0.0, 0.0),
    };
    s.go(0, 0.0);
    s.best
}

fn people_years_of(c: &Candidates, sc: &Scenario, sel: &solve::Selection) -> f64 {
    sel.choice
        .iter()
        .enumerate()
        .filter_map(|(t, ch)| {
            ch.map(|(_, y)| c.targets[t].people as f64 * f64::from(sc.target_year - y + 1))
        })
        .sum()
}

/// `max_people` on `count` Almaty villages against enumeration: the national LP-rounding path
/// finds the optimum (most people-years, then least NPC), the region path never does worse
/// than greedy, and both report a bound at or above the optimum; budgets and capacities hold.
fn check_max_people_against_brute_force(
    count: usize,
    sc: &Scenario,
    budget_share: f64,
) -> (f64, String) {
    let f = almaty_fixture(count);
    let inp = inputs(&f, None);
    let opts = exact();
    let mut sc = sc.clone();
    sc.mode = Mode::MaxPeople;
    let c = candidates::build(&inp, &sc, f.nodes.clone(), &Unlimited, 3, &|_| {}).unwrap();
    // Everyone on the cheapest stand-alone option costs this much.
    let site_of = solve::sites_of(&c);
    let everyone: f64 = (0..c.targets.len())
        .filter_map(|t| standalone_charge(&c, &sc, &site_of, t))
        .sum();
    sc.finance.budget_usd_per_year = budget_share * everyone;
    let (best_py, best_npc) = brute_force_max_people(&c, &inp, &sc);
    assert!(best_py > 0.0, "the budget connects nobody");
    let all: Vec<usize> = (0..c.targets.len()).collect();
    let greedy = solve::greedy_max_people(
        &c,
        &inp,
        &sc,
        &all,
        &solve::Limits::national(&sc),
        solve::Selection::empty(&c),
    );
    // The whole national MIP, the LP rounding, the regions apart.
    for (exact_cols, national_cols) in [(60_000, 60_000), (0, 60_000), (0, 0)] {
        let o = SolveOptions {
            max_exact_columns: exact_cols,
            max_national_columns: national_cols,
            ..opts
        };
        let solved = output::choose(&c, &inp, &sc, &o, &|_| {}, true).unwrap();
        let py = people_years_of(&c, &sc, &solved.sel);
        assert!(py >= people_years_of(&c, &sc, &greedy), "{}", solved.method);
        assert!(py <= best_py + 1e-6, "{py} > brute force {best_py}");
        for (y, used) in solved.sel.charge_by_year(&c, sc.finance.budget_basis) {
            assert!(
                used <= sc.budget_usd(y) * (1.0 + 1e-9) + 1e-6,
                "{y}: {used}"
            );
        }
        let gap = solved.gap.expect(&solved.method);
        assert!(
            py * (1.0 + gap) >= best_py - 1e-6,
            "bound {} < optimum {best_py} ({})",
            py * (1.0 + gap),
            solved.method
        );
        if exact_cols > 0 {
            assert!(solved.method.contains("solved whole"), "{}", solved.method);
            assert_eq!(py, best_py, "{}", solved.method);
            let npc = solved.sel.npc(&c);
            assert!(
                npc <= best_npc * (1.0 + 1e-6) + 1e-6,
                "NPC {npc} > brute force {best_npc} at {best_py} people-years ({})",
                solved.method
            );
            assert!(gap <= 1e-6, "gap {gap} ({})", solved.method);
        } else if national_cols > 0 {
            assert!(solved.method.contains("LP rounding"), "{}", solved.method);
            // The repair MIP frees every settlement the rounding leaves out here.
            assert_eq!(py, best_py, "{}", solved.method);
        } else {
            assert!(solved.method.contains("by region"), "{}", solved.method);
        }
    }
    (best_py, format!("{best_npc}"))
}

#[test]
fn max_people_matches_brute_force_on_eight_villages() {
    for share in [0.1, 0.2, 0.3, 0.45, 0.6] {
        check_max_people_against_brute_force(8, &test_scenario(), share);
    }
}

#[test]
fn max_people_matches_brute_force_when_build_capacity_binds() {
    let mut sc = test_scenario();
    sc.operators.settlements_per_year = BTreeMap::new();
    sc.operators.default_settlements_per_year = 2;
    sc.operators.satellite_settlements_per_year = 1;
    check_max_people_against_brute_force(8, &sc, 0.5);
}
