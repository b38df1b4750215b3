//! From a selection to an [`auyl_model::Plan`]: the choice between greedy and MIP per region,
//! cost attribution, routes, sites, hops, reasons and totals.

use crate::candidates::{Candidates, Chain, SiteBackhaul};
use crate::scenario::{Mode, Scenario};
use crate::solve::{self, Choice, Objective, Selection};
use crate::{PlanError, PlanInputs, Progress, SolveOptions};
use auyl_model::{
    Backhaul, Id, OrgKind, Plan, PlanTotals, PlannedHop, PlannedRoute, PlannedSite, PowerSupply,
    SettlementPlan, SiteStatus, Technology, Unserved,
};
use geo_types::{Coord, LineString};
use std::collections::{BTreeMap, HashMap};

/// The chosen selection and how it was found.
pub(crate) struct Solved {
    pub sel: Selection,
    pub greedy_npc: f64,
    pub gap: Option<f64>,
    pub solve_s: Option<f64>,
    pub method: String,
    /// Settlements the min-cost phasing had to put after the target year.
    pub late: usize,
}

/// Score of `max_people`: people connected summed over the plan years.
pub(crate) fn people_years(
    c: &Candidates,
    sc: &Scenario,
    sel: &Selection,
    targets: &[usize],
) -> f64 {
    let end = sc.target_year;
    targets
        .iter()
        .filter_map(|&t| {
            sel.choice[t].map(|(_, y)| c.targets[t].people as f64 * f64::from(end - y + 1))
        })
        .sum()
}

/// Discounted NPC (each element from its build year) of the elements of some regions.
pub(crate) fn region_dnpc(c: &Candidates, sel: &Selection, regions: &[usize]) -> f64 {
    let mut total = 0.0;
    for &r in regions {
        let reg = &c.regions[r];
        for &t in &reg.targets {
            if let Some((Choice::Own(o), y)) = sel.choice[t] {
                total += c.own[t][o].npc_usd * c.df(y);
            }
        }
        for &g in &reg.segments {
            if let Some(y) = sel.seg_year[g] {
                total += c.seg_npc(g) * c.df(y);
            }
        }
        for &k in &reg.sites {
            if let Some((v, y)) = sel.site[k] {
                total += c.sites[k].variants[v].npc_usd * c.df(y);
            }
        }
    }
    total
}

/// NPC of the elements of some regions.
fn region_npc(c: &Candidates, sel: &Selection, regions: &[usize]) -> f64 {
    let mut total = 0.0;
    for &r in regions {
        let reg = &c.regions[r];
        for &t in &reg.targets {
            if let Some((Choice::Own(o), _)) = sel.choice[t] {
                total += c.own[t][o].npc_usd;
            }
        }
        for &g in &reg.segments {
            if sel.seg_year[g].is_some() {
                total += c.seg_npc(g);
            }
        }
        for &k in &reg.sites {
            if let Some((v, _)) = sel.site[k] {
                total += c.sites[k].variants[v].npc_usd;
            }
        }
    }
    total
}

pub(crate) fn copy_regions(
    c: &Candidates,
    from: &Selection,
    to: &mut Selection,
    regions: &[usize],
) {
    for &r in regions {
        let reg = &c.regions[r];
        for &t in &reg.targets {
            to.choice[t] = from.choice[t];
        }
        for &g in &reg.segments {
            to.seg_year[g] = from.seg_year[g];
        }
        for &k in &reg.sites {
            to.site[k] = from.site[k];
        }
    }
}

/// Drops built elements nobody uses (a solver stopped early may leave some).
pub(crate) fn prune(c: &Candidates, sel: &mut Selection) {
    let mut seg_used = vec![false; c.segments.len()];
    let mut site_used = vec![false; c.sites.len()];
    for (t, ch) in sel.choice.iter().enumerate() {
        match ch {
            Some((Choice::Own(o), _)) if c.own[t][*o].tech == Technology::Fibre => {
                for g in c.path(c.targets[t].fibre_seg.flatten()) {
                    seg_used[g] = true;
                }
            }
            Some((Choice::Site(k), _)) => site_used[*k] = true,
            _ => {}
        }
    }
    for (k, s) in sel.site.iter_mut().enumerate() {
        if !site_used[k] {
            *s = None;
        } else if let Some((v, _)) = s
            && let SiteBackhaul::Fibre { seg, .. } = c.sites[k].variants[*v].backhaul
        {
            for g in c.path(seg) {
                seg_used[g] = true;
            }
        }
    }
    for (g, y) in sel.seg_year.iter_mut().enumerate() {
        if !seg_used[g] {
            *y = None;
        }
    }
}

/// Greedy and (when `optimise`) MIP; the better per region.
pub(crate) fn choose(
    c: &Candidates,
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    opts: &SolveOptions<'_>,
    progress: &dyn Fn(Progress),
    optimise: bool,
) -> Result<Solved, PlanError> {
    let regions: Vec<usize> = (0..c.regions.len())
        .filter(|&r| !c.regions[r].targets.is_empty())
        .collect();
    let now = || opts.clock.map(|f| f());
    let started = now();
    let mut log = SolveLog::default();
    progress(Progress::stage("greedy", 0, 1));
    let (sel, greedy_npc, gap, method, late) = match sc.mode {
        Mode::MinCost => min_cost(c, inputs, sc, opts, progress, optimise, &regions, &mut log)?,
        Mode::MaxPeople => crate::max_people::max_people(
            c, inputs, sc, opts, progress, optimise, &regions, &mut log,
        )?,
    };
    let solve_s = match (started, now()) {
        (Some(a), Some(b)) if optimise => Some(b - a),
        _ => None,
    };
    let method = if log.statuses.is_empty() {
        method
    } else {
        let s: Vec<String> = log
            .statuses
            .iter()
            .map(|(k, v)| format!("{k} ×{v}"))
            .collect();
        format!(
            "{method}; largest model {} columns × {} rows; HiGHS status: {}",
            log.largest.0,
            log.largest.1,
            s.join(", ")
        )
    };
    Ok(Solved {
        sel,
        greedy_npc,
        gap,
        solve_s,
        method,
        late,
    })
}

/// What the HiGHS runs of a plan reported.
#[derive(Default)]
pub(crate) struct SolveLog {
    statuses: BTreeMap<String, usize>,
    largest: (usize, usize),
}

impl SolveLog {
    pub(crate) fn record(&mut self, res: &solve::MipOutcome) {
        *self.statuses.entry(res.status.clone()).or_default() += 1;
        self.largest = self.largest.max((res.columns, res.rows));
    }
}

pub(crate) type Chosen = (Selection, f64, Option<f64>, String, usize);

/// `min_cost`: the MIP region by region (exact: nothing crosses a region border), then phasing;
/// the plan is never dearer than the phased greedy baseline.
#[allow(clippy::too_many_arguments)]
fn min_cost(
    c: &Candidates,
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    opts: &SolveOptions<'_>,
    progress: &dyn Fn(Progress),
    optimise: bool,
    regions: &[usize],
    log: &mut SolveLog,
) -> Result<Chosen, PlanError> {
    let all_targets: Vec<usize> = (0..c.targets.len()).collect();
    let greedy = solve::greedy_min_cost(c, sc, &all_targets);
    progress(Progress::stage("greedy", 1, 1));
    let late_of = |sel: &Selection| {
        sel.choice
            .iter()
            .filter(|ch| ch.is_some_and(|(_, y)| y > sc.target_year))
            .count()
    };
    let mut phased_greedy = greedy.clone();
    solve::phase_min_cost(c, inputs, sc, &mut phased_greedy, progress);
    let greedy_npc = phased_greedy.npc(c);
    if !optimise {
        let late = late_of(&phased_greedy);
        return Ok((
            phased_greedy,
            greedy_npc,
            None,
            "greedy baseline (no solver)".to_string(),
            late,
        ));
    }
    let total_cols = solve::column_count(c, regions, 1, false).max(1);
    let mut out = Selection::empty(c);
    let (mut sum_obj, mut sum_bound) = (0.0, 0.0);
    let mut kept_greedy = 0;
    for (i, &r) in regions.iter().enumerate() {
        progress(Progress::stage("mip", i, regions.len()));
        let cols = solve::column_count(c, &[r], 1, false);
        let limit = opts.time_limit_s * cols as f64 / total_cols as f64;
        let res = solve::solve_mip(
            c,
            inputs,
            sc,
            &[r],
            None,
            Objective::MinCost,
            solve::Relax::No,
            None,
            None,
            limit.max(0.5),
            opts,
        )?;
        log.record(&res);
        let g_npc = region_npc(c, &greedy, &[r]);
        let mip = res.selection.map(|mut s| {
            prune(c, &mut s);
            s
        });
        let complete = |s: &Selection| c.regions[r].targets.iter().all(|&t| s.choice[t].is_some());
        let (best, npc) = match &mip {
            Some(s) if complete(s) && region_npc(c, s, &[r]) <= g_npc => {
                (s, region_npc(c, s, &[r]))
            }
            _ => {
                kept_greedy += 1;
                (&greedy, g_npc)
            }
        };
        copy_regions(c, best, &mut out, &[r]);
        sum_obj += npc;
        sum_bound += if res.bound.is_finite() {
            res.bound.min(npc)
        } else {
            0.0
        };
    }
    progress(Progress::stage("mip", regions.len(), regions.len()));
    let gap = if sum_obj > 0.0 {
        Some(((sum_obj - sum_bound) / sum_obj).max(0.0))
    } else {
        Some(0.0)
    };
    let mut method = format!(
        "highs MIP by region ({} regions solved separately: fibre trees and sites do not cross \
         region borders, so the decomposition is exact for this model; the gap is that of the \
         technology choice, costed as if all were built in the base year, before phasing)",
        regions.len()
    );
    if kept_greedy > 0 {
        method.push_str(&format!(
            "; greedy kept in {kept_greedy} regions where the solver's incumbent was not better"
        ));
    }
    prune(c, &mut out);
    solve::phase_min_cost(c, inputs, sc, &mut out, progress);
    if out.npc(c) > greedy_npc {
        // Phasing discounts late builds; a plan cheaper at the base year could in principle be
        // dearer once phased. Never return more than the baseline.
        method.push_str("; the phased greedy baseline was cheaper after discounting and is kept");
        out = phased_greedy;
    }
    let late = late_of(&out);
    Ok((out, greedy_npc, gap, method, late))
}

fn money(v: f64) -> String {
    let v = v.round() as i64;
    let s = v.abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{}US${out}", if v < 0 { "-" } else { "" })
}

/// Standalone NPC of each technology for a target (no sharing), for the reason.
fn standalone(c: &Candidates, site_of: &[Vec<usize>], t: usize) -> Vec<(Technology, f64)> {
    let mut v: Vec<(Technology, f64)> = Vec::new();
    for opt in &c.own[t] {
        let mut npc = opt.npc_usd;
        if opt.tech == Technology::Fibre {
            npc += c
                .path(c.targets[t].fibre_seg.flatten())
                .iter()
                .map(|&g| c.seg_npc(g))
                .sum::<f64>();
        }
        v.push((opt.tech, npc));
    }
    let lte = site_of[t]
        .iter()
        .flat_map(|&k| {
            c.sites[k].variants.iter().map(move |var| {
                var.npc_usd
                    + match var.backhaul {
                        SiteBackhaul::Fibre { seg, .. } => {
                            c.path(seg).iter().map(|&g| c.seg_npc(g)).sum::<f64>()
                        }
                        _ => 0.0,
                    }
            })
        })
        .min_by(f64::total_cmp);
    if let Some(x) = lte {
        v.push((Technology::Lte, x));
    }
    v
}

fn route_geometry(c: &Candidates, g: usize) -> LineString<f64> {
    let seg = &c.segments[g];
    let mut cur = seg.upper;
    let mut coords: Vec<Coord<f64>> = Vec::new();
    for &e in &seg.edges {
        let ed = &c.graphs[seg.graph].edges[e];
        let mut pts: Vec<Coord<f64>> = ed.geometry.0.clone();
        if ed.from == cur {
            cur = ed.to;
        } else {
            pts.reverse();
            cur = ed.from;
        }
        if !coords.is_empty() && !pts.is_empty() {
            pts.remove(0);
        }
        coords.extend(pts);
    }
    LineString::new(coords)
}

/// Builds the plan from a chosen selection.
pub(crate) fn assemble(
    c: &Candidates,
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    solved: Solved,
    mut notes: Vec<String>,
) -> Plan {
    let sel = &solved.sel;
    let site_of = solve::sites_of(c);
    let annuity = c.annuity;
    let weight = |t: usize| (c.targets[t].people as f64).max(1.0);
    // Users of each segment and site (for sharing).
    let mut seg_users: Vec<Vec<usize>> = vec![Vec::new(); c.segments.len()];
    let mut site_users: Vec<Vec<usize>> = vec![Vec::new(); c.sites.len()];
    let mut fibre_path_of: Vec<Vec<usize>> = vec![Vec::new(); c.targets.len()];
    for (t, ch) in sel.choice.iter().enumerate() {
        let path = match ch {
            Some((Choice::Own(o), _)) if c.own[t][*o].tech == Technology::Fibre => {
                c.path(c.targets[t].fibre_seg.flatten())
            }
            Some((Choice::Site(k), _)) => {
                site_users[*k].push(t);
                match sel.site[*k].map(|(v, _)| &c.sites[*k].variants[v].backhaul) {
                    Some(SiteBackhaul::Fibre { seg, .. }) => c.path(*seg),
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        for &g in &path {
            seg_users[g].push(t);
        }
        fibre_path_of[t] = path;
    }
    let seg_weight: Vec<f64> = seg_users
        .iter()
        .map(|u| u.iter().map(|&t| weight(t)).sum())
        .collect();
    let site_weight: Vec<f64> = site_users
        .iter()
        .map(|u| u.iter().map(|&t| weight(t)).sum())
        .collect();
    // Routes.
    let mut route_id: Vec<Option<Id>> = vec![None; c.segments.len()];
    let mut routes = Vec::new();
    for (g, y) in sel.seg_year.iter().enumerate() {
        let Some(year) = *y else { continue };
        let seg = &c.segments[g];
        let id = Id::new(format!("route:{}:{}", c.regions_code_of_seg(g), g));
        let mut by_class: BTreeMap<String, f64> = BTreeMap::new();
        for &e in &seg.edges {
            let ed = &c.graphs[seg.graph].edges[e];
            *by_class
                .entry(ed.cost_class.as_str().to_string())
                .or_default() += ed.length_m;
        }
        let mut serves: Vec<Id> = seg_users[g]
            .iter()
            .map(|&t| c.target_id(inputs, t).clone())
            .collect();
        serves.sort();
        routes.push(PlannedRoute {
            id: id.clone(),
            from_node_id: c.pops[seg.pop].id.clone(),
            geometry: route_geometry(c, g),
            length_m_by_class: by_class,
            approximated_m: seg.approx_m,
            serves,
            operator_id: Some(Id::new(&sc.operators.fibre)),
            capex_usd: seg.capex_usd,
            year,
        });
        route_id[g] = Some(id);
    }
    // Hops.
    let mut hops: Vec<PlannedHop> = Vec::new();
    let add_chain =
        |prefix: &str, chain: &Chain, year: i32, hops: &mut Vec<PlannedHop>| -> Vec<Id> {
            chain
                .hops
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let id = Id::new(format!("hop:{prefix}:{i}"));
                    hops.push(PlannedHop {
                        id: id.clone(),
                        a: h.a,
                        b: h.b,
                        heights_m: (h.height_m, h.height_m),
                        distance_m: h.distance_m,
                        clearance_pct_f1: if h.clearance_f1.is_finite() {
                            100.0 * h.clearance_f1
                        } else {
                            1.0e6
                        },
                        freq_mhz: sc.microwave.freq_mhz,
                        capex_usd: h.capex_usd,
                        year,
                    });
                    id
                })
                .collect()
        };
    // Sites.
    let mut site_id: Vec<Option<Id>> = vec![None; c.sites.len()];
    let mut sites = Vec::new();
    let mut new_masts = 0u64;
    for (k, s) in sel.site.iter().enumerate() {
        let Some((v, year)) = *s else { continue };
        let site = &c.sites[k];
        let var = &site.variants[v];
        let id = match site.existing {
            Some(m) => inputs.masts[m].id.clone(),
            None => Id::new(format!("site:{}:{}", c.regions[site.region].code, k)),
        };
        let backhaul = match &var.backhaul {
            SiteBackhaul::Existing => Backhaul::Fibre { route_id: None },
            SiteBackhaul::Fibre { seg, .. } => Backhaul::Fibre {
                route_id: seg.and_then(|g| route_id[g].clone()),
            },
            SiteBackhaul::Microwave(chain) => {
                new_masts += chain.relays as u64;
                Backhaul::Microwave {
                    hop_ids: add_chain(id.as_str(), chain, year, &mut hops),
                }
            }
        };
        if site.existing.is_none() {
            new_masts += 1;
        }
        let mut serves: Vec<Id> = site_users[k]
            .iter()
            .map(|&t| c.target_id(inputs, t).clone())
            .collect();
        serves.sort();
        sites.push(PlannedSite {
            id: id.clone(),
            location: site.loc,
            height_m: site.height_m,
            ground_m: site.ground_m,
            status: if site.existing.is_some() {
                SiteStatus::Existing
            } else {
                SiteStatus::New
            },
            technology: Technology::Lte,
            power: site.power,
            backhaul,
            serves,
            operator_id: Some(Id::new(solve::site_operator(c, inputs, sc, k))),
            capex_usd: var.capex_usd,
            opex_usd_per_year: var.opex_usd_per_year,
            year,
        });
        site_id[k] = Some(id);
    }
    // Settlements.
    let akimat_of: HashMap<&str, &Id> = inputs
        .organisations
        .iter()
        .filter(|o| o.kind == OrgKind::Akimat)
        .filter_map(|o| o.region_code.as_deref().map(|r| (r, &o.id)))
        .collect();
    let mut settlements = Vec::new();
    let mut unserved = Vec::new();
    let mut totals = PlanTotals::default();
    for (t, tg) in c.targets.iter().enumerate() {
        let s = &inputs.settlements[tg.s];
        let alts = standalone(c, &site_of, t);
        let Some((ch, year)) = sel.choice[t] else {
            let cheapest = c.own[t]
                .iter()
                .map(|o| o.capex_usd)
                .min_by(f64::total_cmp)
                .unwrap_or(0.0);
            let max_budget = sc
                .years()
                .iter()
                .map(|&y| sc.budget_usd(y))
                .fold(0.0, f64::max);
            let reason = if tg.people == 0 && sc.mode == Mode::MaxPeople {
                "no people recorded: a plan that maximises people connected gains nothing by \
                 connecting it"
                    .to_string()
            } else if cheapest > max_budget {
                format!(
                    "unaffordable: its cheapest option needs {} of capital, above every year's budget (at most {})",
                    money(cheapest),
                    money(max_budget)
                )
            } else {
                format!(
                    "not reached by {}: the yearly budgets ({} in {}) and operators' build capacities went to settlements with more people per dollar; cheapest option {} of capital",
                    sc.target_year,
                    money(sc.budget_usd(sc.base_year)),
                    sc.base_year,
                    money(cheapest)
                )
            };
            unserved.push(Unserved {
                settlement_id: s.id.clone(),
                people: tg.people,
                reason,
            });
            continue;
        };
        let mut assumptions: Vec<String> = Vec::new();
        match s.population.as_ref() {
            Some(p) if p.estimated => {
                assumptions.push(format!("population estimated ({})", p.source))
            }
            None => assumptions.push("population unknown: planned for 0 people".into()),
            _ => {}
        }
        // Attributed costs: own + shares.
        let (mut capex, mut opex) = (0.0, 0.0);
        for &g in &fibre_path_of[t] {
            let share = weight(t) / seg_weight[g].max(1.0);
            capex += c.segments[g].capex_usd * share;
            opex += c.segments[g].opex_usd_per_year * share;
        }
        let approx_km: f64 = fibre_path_of[t]
            .iter()
            .map(|&g| c.segments[g].approx_m)
            .sum::<f64>()
            / 1_000.0;
        let fibre_pop = fibre_path_of[t]
            .last()
            .map(|&g| c.segments[g].pop)
            .or(match ch {
                Choice::Own(o) if c.own[t][o].tech == Technology::Fibre => {
                    // At a PoP: the nearest.
                    c.pops
                        .iter()
                        .enumerate()
                        .min_by(|a, b| {
                            tg.loc
                                .haversine_distance_m(a.1.location)
                                .total_cmp(&tg.loc.haversine_distance_m(b.1.location))
                        })
                        .map(|x| x.0)
                }
                _ => None,
            });
        let mut sp = SettlementPlan {
            settlement_id: s.id.clone(),
            technology: Technology::Satellite,
            people: tg.people,
            demand_mbps: tg.demand_mbps,
            capacity_mbps: 0.0,
            site_id: None,
            route_id: None,
            hop_ids: Vec::new(),
            operator_id: Some(Id::new(solve::operator_of(c, inputs, sc, t, ch))),
            akimat_id: s
                .region_code
                .as_deref()
                .and_then(|r| akimat_of.get(r))
                .map(|&i| i.clone()),
            needs_land: false,
            needs_power: false,
            year,
            capex_usd: 0.0,
            opex_usd_per_year: 0.0,
            reason: String::new(),
            assumptions: Vec::new(),
        };
        let mut chain_pop = None;
        match ch {
            Choice::Own(o) => {
                let opt = &c.own[t][o];
                capex += opt.capex_usd;
                opex += opt.opex_usd_per_year;
                sp.technology = opt.tech;
                sp.capacity_mbps = opt.capacity_mbps;
                sp.needs_land = opt.needs_land;
                sp.needs_power = opt.needs_power;
                if opt.tech == Technology::Fibre {
                    sp.route_id = c.targets[t]
                        .fibre_seg
                        .flatten()
                        .and_then(|g| route_id[g].clone());
                }
                if let Some(chain) = &opt.chain {
                    sp.hop_ids = add_chain(s.id.as_str(), chain, year, &mut hops);
                    new_masts += 1 + chain.relays as u64;
                    chain_pop = Some(chain.pop);
                }
                if let Some(PowerSupply::Grid { .. }) = opt.power
                    && sc.power.settlements_have_grid
                {
                    assumptions.push("village grid assumed for the microwave mast's power".into());
                }
            }
            Choice::Site(k) => {
                let site = &c.sites[k];
                let (v, _) = sel.site[k].unwrap_or((0, year));
                let var = &site.variants[v];
                let share = weight(t) / site_weight[k].max(1.0);
                capex += var.capex_usd * share;
                opex += var.opex_usd_per_year * share;
                sp.technology = Technology::Lte;
                sp.capacity_mbps = site.capacity_mbps;
                sp.site_id = site_id[k].clone();
                sp.needs_land = site.existing.is_none();
                sp.needs_power = site.existing.is_none();
                match &var.backhaul {
                    SiteBackhaul::Fibre { seg, .. } => {
                        sp.route_id = seg.and_then(|g| route_id[g].clone());
                    }
                    SiteBackhaul::Microwave(chain) => chain_pop = Some(chain.pop),
                    SiteBackhaul::Existing => assumptions
                        .push("existing mast: backhaul, power and spare capacity assumed".into()),
                }
                if !c.terrain_used {
                    assumptions.push("coverage by Okumura-Hata over flat earth (no DEM)".into());
                }
                if site.existing.is_none()
                    && let PowerSupply::Grid { .. } = site.power
                    && sc.power.settlements_have_grid
                {
                    assumptions.push("village grid assumed for the mast's power".into());
                }
            }
        }
        for p in fibre_pop.into_iter().chain(chain_pop) {
            if c.pops[p].assumed {
                assumptions.push(format!("assumed PoP at {}", c.pops[p].id.as_str()));
            }
        }
        if approx_km > 0.0 {
            assumptions.push(format!(
                "fibre path includes {approx_km:.1} km of last-mile approximation (no mapped road)"
            ));
        }
        if year > sc.target_year {
            assumptions.push(format!(
                "connected in {year}, after the target year {}: build capacity or budget",
                sc.target_year
            ));
        }
        sp.capex_usd = capex;
        sp.opex_usd_per_year = opex;
        let npc = capex + opex * annuity;
        let runner = alts
            .iter()
            .filter(|a| a.0 != sp.technology)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        sp.reason = match runner {
            Some((tech, cost)) => format!(
                "{}: {} net present cost as planned (shared elements split by people); runner-up {} at {} standalone",
                sp.technology.as_str(),
                money(npc),
                tech.as_str(),
                money(*cost)
            ),
            None => format!(
                "{}: the only option ({} net present cost)",
                sp.technology.as_str(),
                money(npc)
            ),
        };
        sp.assumptions = assumptions;
        let tech = sp.technology.as_str().to_string();
        *totals
            .settlements_by_technology
            .entry(tech.clone())
            .or_default() += 1;
        *totals.people_by_technology.entry(tech.clone()).or_default() += tg.people;
        *totals.people_by_year.entry(year).or_default() += tg.people;
        settlements.push(sp);
    }
    // Totals from the built elements (not the attributed shares, which add up to the same).
    let mut capex_by_tech: BTreeMap<String, f64> = BTreeMap::new();
    for (t, ch) in sel.choice.iter().enumerate() {
        if let Some((Choice::Own(o), _)) = ch {
            *capex_by_tech
                .entry(c.own[t][*o].tech.as_str().to_string())
                .or_default() += c.own[t][*o].capex_usd;
        }
    }
    for (g, y) in sel.seg_year.iter().enumerate() {
        if y.is_some() {
            // Trenches serving only LTE backhaul count as LTE.
            let tech = if seg_users[g]
                .iter()
                .all(|&t| matches!(sel.choice[t], Some((Choice::Site(_), _))))
            {
                "lte"
            } else {
                "fibre"
            };
            *capex_by_tech.entry(tech.to_string()).or_default() += c.segments[g].capex_usd;
            totals.fibre_m += c.segments[g].length_m;
        }
    }
    for (k, s) in sel.site.iter().enumerate() {
        if let Some((v, _)) = s {
            let var = &c.sites[k].variants[*v];
            *capex_by_tech.entry("lte".to_string()).or_default() += var.capex_usd;
            if let SiteBackhaul::Fibre { spur_m, .. } = var.backhaul {
                totals.fibre_m += spur_m;
            }
        }
    }
    totals.capex_usd_by_technology = capex_by_tech;
    totals.capex_usd_by_year = sel.capex_by_year(c);
    totals.capex_usd = totals.capex_usd_by_year.values().sum();
    totals.npc_usd = sel.npc(c);
    totals.new_masts = new_masts;
    totals.microwave_hops = hops.len() as u64;
    totals.gap = solved.gap;
    totals.greedy_npc_usd = Some(solved.greedy_npc);
    totals.solve_s = solved.solve_s;
    totals.method = solved.method;
    notes.push(format!(
        "money in US dollars ({} scenario); net present cost = capex + opex over {} years at {:.1} % real (annuity factor {:.3}) + equipment replaced at the end of its life within those years (lifetimes: RAN {} y, microwave radios {} y, masts {} y, OLT {} y, satellite terminals {} y, solar and batteries {} y, fibre {} y; no residual value), each counted from the year it is built and discounted to {}",
        sc.name,
        sc.finance.horizon_years,
        100.0 * sc.finance.discount_rate,
        annuity,
        sc.lifetimes.ran_electronics_years,
        sc.lifetimes.microwave_radio_years,
        sc.lifetimes.mast_years,
        sc.lifetimes.olt_ont_years,
        sc.lifetimes.satellite_terminal_years,
        sc.lifetimes.solar_battery_years,
        sc.lifetimes.fibre_cable_years,
        sc.base_year
    ));
    if sc.mode == Mode::MaxPeople {
        let charged = sel.charge_by_year(c, sc.finance.budget_basis);
        let parts: Vec<String> = sc
            .years()
            .iter()
            .map(|&y| {
                format!(
                    "{y}: {} of {}",
                    money(charged.get(&y).copied().unwrap_or(0.0)),
                    money(sc.budget_usd(y))
                )
            })
            .collect();
        notes.push(format!(
            "budget used ({}, finance.budget_basis): {}",
            sc.finance.budget_basis.as_str(),
            parts.join(", ")
        ));
    }
    if c.already_connected > 0 {
        notes.push(format!(
            "{} settlements of the target kinds lie within {} m of a backbone node and count as already connected",
            c.already_connected, sc.targets.connected_within_m
        ));
    }
    if solved.late > 0 {
        notes.push(format!(
            "{} settlements are scheduled after the target year {}: the least-cost plan needs more than the yearly build capacities or budgets allow",
            solved.late, sc.target_year
        ));
    }
    if sc.mode == Mode::MinCost {
        let total_budget: f64 = sc.years().iter().map(|&y| sc.budget_usd(y)).sum();
        if totals.capex_usd > total_budget {
            notes.push(format!(
                "the least-cost plan needs {} of capital, more than the {} budgeted for {}–{}",
                money(totals.capex_usd),
                money(total_budget),
                sc.base_year,
                sc.target_year
            ));
        }
    }
    Plan {
        scenario: sc.name.clone(),
        mode: sc.mode.as_str().to_string(),
        base_year: sc.base_year,
        settlements,
        unserved,
        sites,
        routes,
        hops,
        totals,
        assumptions: notes,
    }
}

impl Candidates {
    fn regions_code_of_seg(&self, g: usize) -> &str {
        self.regions
            .iter()
            .find(|r| r.segments.binary_search(&g).is_ok())
            .map_or("-", |r| r.code.as_str())
    }
}
