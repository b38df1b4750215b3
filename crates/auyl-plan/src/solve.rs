//! The choice of options: a greedy baseline and the mixed-integer programme (HiGHS).
//!
//! **Formulation** (per set of regions, years `y` = the plan years in `max_people`, one period
//! in `min_cost`): binaries `seg[g,y]` (build fibre segment `g` in year `y`), `own[t,o,y]`
//! (settlement `t` takes its own option `o`: fibre village network, point-to-point microwave,
//! satellite), `site[k,v,y]` (build site `k` with backhaul variant `v`) and `assign[t,k,y]`
//! (settlement `t` is served by site `k` from year `y`). Constraints: each target takes at most
//! (in `min_cost` exactly) one option; a segment is built at most once and not before its
//! parent; fibre for a settlement (and a site's fibre backhaul) needs the segment above it built
//! no later; a site serves only once built, at most one variant, and the demand it serves is
//! within its capacity; in `max_people` what is built in each year is within the year's budget
//! and the settlements each operator connects in a year within its build capacity.
//!
//! **Costs.** Every element's net present cost is counted from the year it is built (capex,
//! opex over the horizon, equipment replaced at the end of its life within the horizon) and
//! discounted back to the base year. What a year's budget pays for is set by
//! `finance.budget_basis`: the whole-life cost (default; satellite terminals, cheap to build and
//! dear to run, are charged their fees) or the capex alone.
//!
//! **Objectives.** `min_cost`: least NPC. `max_people`, lexicographically: first the most
//! people-years (people connected summed over the plan years: a settlement connected in the
//! first year counts every year), then, with the people-years held, the least discounted NPC
//! (a second HiGHS run). Own options that a stand-alone option of the same settlement beats on
//! NPC and budget charge, drawing on the same or an unlimited build pool, get no column.
//!
//! Because a segment on a settlement's path is required through the parent chain, `own ≤ seg ≤
//! parent` gives the strong (disaggregated) linking of fixed-charge network design in compact
//! form. The plan keeps the better of the greedy and the MIP solution, so it never costs more
//! (`min_cost`) nor connects fewer people-years (`max_people`) than its greedy baseline. The
//! greedy solution is not passed to HiGHS as a MIP start: with the `highs` crate 2.4, a start
//! given by `set_solution` came back from `get_solution` unchanged while HiGHS reported a better
//! objective, so HiGHS starts cold.

use crate::candidates::{Candidates, SiteBackhaul};
use crate::scenario::{BudgetBasis, Scenario};
use crate::{PlanError, Progress, SolveOptions};
use auyl_model::Technology;
use highs::{Col, HighsModelStatus, RowProblem, Sense};
use std::collections::BTreeMap;

/// What a target gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Choice {
    /// Its own option (index into `Candidates::own[t]`).
    Own(usize),
    /// Served by site `k`.
    Site(usize),
}

/// A complete decision: option and year of each target, year of each built element.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Selection {
    pub choice: Vec<Option<(Choice, i32)>>,
    pub seg_year: Vec<Option<i32>>,
    pub site: Vec<Option<(usize, i32)>>,
}

impl Selection {
    pub(crate) fn empty(c: &Candidates) -> Selection {
        Selection {
            choice: vec![None; c.targets.len()],
            seg_year: vec![None; c.segments.len()],
            site: vec![None; c.sites.len()],
        }
    }

    /// Net present cost of everything selected, USD at the base year: each element's cost over
    /// the horizon from its build year, discounted back from that year.
    pub(crate) fn npc(&self, c: &Candidates) -> f64 {
        let mut total = 0.0;
        for (t, ch) in self.choice.iter().enumerate() {
            if let Some((Choice::Own(o), y)) = ch {
                total += c.own[t][*o].npc_usd * c.df(*y);
            }
        }
        for (g, y) in self.seg_year.iter().enumerate() {
            if let Some(y) = y {
                total += c.seg_npc(g) * c.df(*y);
            }
        }
        for (k, s) in self.site.iter().enumerate() {
            if let Some((v, y)) = s {
                total += c.sites[k].variants[*v].npc_usd * c.df(*y);
            }
        }
        total
    }

    /// Capital spent per year, USD.
    pub(crate) fn capex_by_year(&self, c: &Candidates) -> BTreeMap<i32, f64> {
        self.by_year(c, |capex, _| capex)
    }

    /// What each year's budget pays under `basis`, USD of that year.
    pub(crate) fn charge_by_year(&self, c: &Candidates, basis: BudgetBasis) -> BTreeMap<i32, f64> {
        self.by_year(c, |capex, npc| charge(basis, capex, npc))
    }

    fn by_year(&self, c: &Candidates, f: impl Fn(f64, f64) -> f64) -> BTreeMap<i32, f64> {
        let mut m: BTreeMap<i32, f64> = BTreeMap::new();
        for (t, ch) in self.choice.iter().enumerate() {
            if let Some((Choice::Own(o), y)) = ch {
                let o = &c.own[t][*o];
                *m.entry(*y).or_default() += f(o.capex_usd, o.npc_usd);
            }
        }
        for (g, y) in self.seg_year.iter().enumerate() {
            if let Some(y) = y {
                *m.entry(*y).or_default() += f(c.segments[g].capex_usd, c.seg_npc(g));
            }
        }
        for (k, s) in self.site.iter().enumerate() {
            if let Some((v, y)) = s {
                let var = &c.sites[k].variants[*v];
                *m.entry(*y).or_default() += f(var.capex_usd, var.npc_usd);
            }
        }
        m
    }

    /// Demand served by each site.
    fn site_loads(&self, c: &Candidates) -> Vec<f64> {
        let mut load = vec![0.0; c.sites.len()];
        for (t, ch) in self.choice.iter().enumerate() {
            if let Some((Choice::Site(k), _)) = ch {
                load[*k] += c.targets[t].demand_mbps;
            }
        }
        load
    }
}

/// What building something costs the budget of its year: its capex, or its whole-life cost
/// (capex, opex and replacements over the horizon, valued at the build year).
pub(crate) fn charge(basis: BudgetBasis, capex_usd: f64, npc_at_build_usd: f64) -> f64 {
    match basis {
        BudgetBasis::Capex => capex_usd,
        BudgetBasis::WholeLife => npc_at_build_usd,
    }
}

/// Operator of a target's connection by a choice.
pub(crate) fn operator_of<'a>(
    c: &Candidates,
    inputs: &'a crate::PlanInputs<'_>,
    sc: &'a Scenario,
    t: usize,
    ch: Choice,
) -> &'a str {
    match ch {
        Choice::Own(o) => match c.own[t][o].tech {
            Technology::Fibre => &sc.operators.fibre,
            Technology::Microwave => &sc.operators.microwave,
            _ => &sc.operators.satellite,
        },
        Choice::Site(k) => site_operator(c, inputs, sc, k),
    }
}

/// Operator of a site: the registry mast's operator, else the scenario's LTE operator.
pub(crate) fn site_operator<'a>(
    c: &Candidates,
    inputs: &'a crate::PlanInputs<'_>,
    sc: &'a Scenario,
    k: usize,
) -> &'a str {
    let s = &c.sites[k];
    if let Some(m) = s.existing
        && let Some(op) = inputs.masts[m].operator_id.as_ref()
    {
        return op.as_str();
    }
    let region = &c.regions[s.region].code;
    sc.lte_operator(Some(region.as_str()))
}

/// Marginal cost of a choice given what is built.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Marginal {
    /// Net present cost at the build year, USD.
    pub npc: f64,
    /// Capital cost, USD.
    pub capex: f64,
    /// Site variant to build (new site).
    pub variant: Option<usize>,
}

/// Marginal cost of giving `t` option `ch` in `year` under `sel`, or `None` when not possible:
/// the site is full, or something it needs is only built after `year`.
fn marginal(
    c: &Candidates,
    sel: &Selection,
    load: &[f64],
    t: usize,
    ch: Choice,
    year: i32,
) -> Option<Marginal> {
    let unbuilt = |g: Option<usize>| -> Option<(f64, f64)> {
        let mut acc = (0.0, 0.0);
        for x in c.path(g) {
            match sel.seg_year[x] {
                None => {
                    acc.0 += c.seg_npc(x);
                    acc.1 += c.segments[x].capex_usd;
                }
                Some(y) if y > year => return None,
                Some(_) => {}
            }
        }
        Some(acc)
    };
    match ch {
        Choice::Own(o) => {
            let opt = &c.own[t][o];
            let (mut npc, mut capex) = (opt.npc_usd, opt.capex_usd);
            if opt.tech == Technology::Fibre {
                let seg = c.targets[t].fibre_seg.flatten();
                let (n, k) = unbuilt(seg)?;
                npc += n;
                capex += k;
            }
            Some(Marginal {
                npc,
                capex,
                variant: None,
            })
        }
        Choice::Site(k) => {
            let s = &c.sites[k];
            if load[k] + c.targets[t].demand_mbps > s.capacity_mbps + 1e-9 {
                return None;
            }
            if let Some((_, yk)) = sel.site[k] {
                return (yk <= year).then_some(Marginal {
                    npc: 0.0,
                    capex: 0.0,
                    variant: None,
                });
            }
            let mut best: Option<Marginal> = None;
            for (v, var) in s.variants.iter().enumerate() {
                let (mut npc, mut capex) = (var.npc_usd, var.capex_usd);
                if let SiteBackhaul::Fibre { seg, .. } = var.backhaul {
                    let Some((n, k2)) = unbuilt(seg) else {
                        continue;
                    };
                    npc += n;
                    capex += k2;
                }
                if best.is_none_or(|b| npc < b.npc) {
                    best = Some(Marginal {
                        npc,
                        capex,
                        variant: Some(v),
                    });
                }
            }
            best
        }
    }
}

/// Every choice open to a target.
pub(crate) fn choices(c: &Candidates, site_of: &[Vec<usize>], t: usize) -> Vec<Choice> {
    let mut v: Vec<Choice> = (0..c.own[t].len()).map(Choice::Own).collect();
    v.extend(site_of[t].iter().map(|&k| Choice::Site(k)));
    v
}

/// Sites covering each target.
pub(crate) fn sites_of(c: &Candidates) -> Vec<Vec<usize>> {
    let mut v = vec![Vec::new(); c.targets.len()];
    for (k, s) in c.sites.iter().enumerate() {
        for &(t, _) in &s.covers {
            v[t].push(k);
        }
    }
    v
}

fn apply(
    c: &Candidates,
    sel: &mut Selection,
    load: &mut [f64],
    t: usize,
    ch: Choice,
    variant: Option<usize>,
    year: i32,
) {
    let build_path = |g: Option<usize>, sel: &mut Selection| {
        for x in c.path(g) {
            if sel.seg_year[x].is_none() {
                sel.seg_year[x] = Some(year);
            }
        }
    };
    match ch {
        Choice::Own(o) => {
            if c.own[t][o].tech == Technology::Fibre {
                build_path(c.targets[t].fibre_seg.flatten(), sel);
            }
        }
        Choice::Site(k) => {
            if sel.site[k].is_none() {
                let v = variant.unwrap_or(0);
                if let SiteBackhaul::Fibre { seg, .. } = c.sites[k].variants[v].backhaul {
                    build_path(seg, sel);
                }
                sel.site[k] = Some((v, year));
            }
            load[k] += c.targets[t].demand_mbps;
        }
    }
    sel.choice[t] = Some((ch, year));
}

/// Greedy baseline of `min_cost`: settlements by people (largest first) take their cheapest
/// option given what is already built (shared trenches and sites with room are free).
pub(crate) fn greedy_min_cost(c: &Candidates, sc: &Scenario, subset: &[usize]) -> Selection {
    let site_of = sites_of(c);
    let mut sel = Selection::empty(c);
    let mut load = vec![0.0; c.sites.len()];
    let mut order: Vec<usize> = subset.to_vec();
    order.sort_by(|&a, &b| {
        c.targets[b]
            .people
            .cmp(&c.targets[a].people)
            .then(a.cmp(&b))
    });
    for t in order {
        let mut best: Option<(f64, Choice, Option<usize>)> = None;
        for ch in choices(c, &site_of, t) {
            if let Some(m) = marginal(c, &sel, &load, t, ch, sc.base_year)
                && best.is_none_or(|b| m.npc < b.0)
            {
                best = Some((m.npc, ch, m.variant));
            }
        }
        if let Some((_, ch, v)) = best {
            apply(c, &mut sel, &mut load, t, ch, v, sc.base_year);
        }
    }
    sel
}

/// The build-capacity pool a connection draws on: its operator for works with civil
/// construction (fibre, LTE, microwave); `satellite:<operator>` for terminal installs, which are
/// limited only when `operators.satellite_settlements_per_year` is set.
pub(crate) fn capacity_key(
    c: &Candidates,
    inputs: &crate::PlanInputs<'_>,
    sc: &Scenario,
    t: usize,
    ch: Choice,
) -> String {
    let op = operator_of(c, inputs, sc, t, ch);
    match ch {
        Choice::Own(o) if c.own[t][o].tech == Technology::Satellite => format!("satellite:{op}"),
        _ => op.to_string(),
    }
}

/// Settlements per year of a capacity pool (infinite when unlimited).
pub(crate) fn capacity_of(sc: &Scenario, key: &str) -> f64 {
    match key.strip_prefix("satellite:") {
        Some(_) if sc.operators.satellite_settlements_per_year == 0 => f64::INFINITY,
        Some(_) => f64::from(sc.operators.satellite_settlements_per_year),
        None => f64::from(sc.settlements_per_year(key)),
    }
}

/// Yearly limits of a `max_people` run: the budget and the build capacity of each pool (the
/// nation's, or a region's share).
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// Budget of each plan year, USD (what it pays for: `finance.budget_basis`).
    pub budget_usd: Vec<f64>,
    /// Settlements per plan year of the pools given; other pools have the scenario's capacity
    /// (none of a finite one when `regional`).
    pub pool_cap: BTreeMap<String, Vec<f64>>,
    /// A region's share: finite pools not in `pool_cap` are not available to it.
    pub regional: bool,
}

impl Limits {
    /// The scenario's own limits.
    pub(crate) fn national(sc: &Scenario) -> Limits {
        Limits {
            budget_usd: sc.years().iter().map(|&y| sc.budget_usd(y)).collect(),
            pool_cap: BTreeMap::new(),
            regional: false,
        }
    }

    pub(crate) fn operator_cap(&self, sc: &Scenario, key: &str, yi: usize) -> f64 {
        let cap = capacity_of(sc, key);
        match self.pool_cap.get(key) {
            Some(v) => v[yi],
            None if self.regional && cap.is_finite() => 0.0,
            None => cap,
        }
    }
}

/// Greedy `max_people`, from `start` (empty for the baseline; a solver's plan to spend what it
/// left of each year's budget and capacity): year by year, settlements in order of people per
/// marginal budget charge take the option of least charge (then NPC) while the budget and the
/// operator's capacity last. Only targets in `subset` are added.
pub(crate) fn greedy_max_people(
    c: &Candidates,
    inputs: &crate::PlanInputs<'_>,
    sc: &Scenario,
    subset: &[usize],
    limits: &Limits,
    start: Selection,
) -> Selection {
    let basis = sc.finance.budget_basis;
    let site_of = sites_of(c);
    let mut sel = start;
    let mut load = sel.site_loads(c);
    let years = sc.years();
    let spent = sel.charge_by_year(c, basis);
    let mut used_ops: BTreeMap<(String, i32), f64> = BTreeMap::new();
    for (t, ch) in sel.choice.iter().enumerate() {
        if let Some((ch, y)) = ch {
            *used_ops
                .entry((capacity_key(c, inputs, sc, t, *ch), *y))
                .or_default() += 1.0;
        }
    }
    for (yi, &year) in years.iter().enumerate() {
        let mut budget = limits.budget_usd[yi] - spent.get(&year).copied().unwrap_or(0.0);
        // Priority from the marginal charge at the start of the year.
        let mut order: Vec<(f64, usize)> = subset
            .iter()
            .filter(|&&t| sel.choice[t].is_none())
            .filter_map(|&t| {
                choices(c, &site_of, t)
                    .into_iter()
                    .filter_map(|ch| {
                        marginal(c, &sel, &load, t, ch, year).map(|m| charge(basis, m.capex, m.npc))
                    })
                    .min_by(f64::total_cmp)
                    .map(|ch| (c.targets[t].people as f64 / (ch + 1.0), t))
            })
            .collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, t) in order {
            let mut best: Option<(f64, f64, Choice, Option<usize>)> = None;
            for ch in choices(c, &site_of, t) {
                let key = capacity_key(c, inputs, sc, t, ch);
                let used = used_ops.get(&(key.clone(), year)).copied().unwrap_or(0.0);
                if used + 1.0 > limits.operator_cap(sc, &key, yi) + 1e-9 {
                    continue;
                }
                if let Some(m) = marginal(c, &sel, &load, t, ch, year) {
                    let cost = charge(basis, m.capex, m.npc);
                    if cost <= budget + 1e-6 && best.is_none_or(|b| (cost, m.npc) < (b.0, b.1)) {
                        best = Some((cost, m.npc, ch, m.variant));
                    }
                }
            }
            if let Some((cost, _, ch, v)) = best {
                budget -= cost;
                let key = capacity_key(c, inputs, sc, t, ch);
                *used_ops.entry((key, year)).or_default() += 1.0;
                apply(c, &mut sel, &mut load, t, ch, v, year);
            }
        }
    }
    sel
}

/// Adds `picks` (target, choice, year index), in order, to `sel` where each still fits: the
/// year's budget and the pool's build capacity under `limits` (after what `sel` already
/// spends), the site's capacity, and what it needs built no later (a new site takes its
/// cheapest backhaul). Returns the selection and how many picks were added.
pub(crate) fn add_picks(
    c: &Candidates,
    inputs: &crate::PlanInputs<'_>,
    sc: &Scenario,
    limits: &Limits,
    start: Selection,
    picks: &[(usize, Choice, usize)],
) -> (Selection, usize) {
    let basis = sc.finance.budget_basis;
    let years = sc.years();
    let mut sel = start;
    let mut load = sel.site_loads(c);
    let spent = sel.charge_by_year(c, basis);
    let mut budget: Vec<f64> = years
        .iter()
        .enumerate()
        .map(|(yi, y)| limits.budget_usd[yi] - spent.get(y).copied().unwrap_or(0.0))
        .collect();
    let mut used_ops: BTreeMap<(String, i32), f64> = BTreeMap::new();
    for (t, ch) in sel.choice.iter().enumerate() {
        if let Some((ch, y)) = ch {
            *used_ops
                .entry((capacity_key(c, inputs, sc, t, *ch), *y))
                .or_default() += 1.0;
        }
    }
    let mut added = 0;
    for &(t, ch, yi) in picks {
        let Some(&year) = years.get(yi) else { continue };
        if sel.choice[t].is_some() {
            continue;
        }
        let key = capacity_key(c, inputs, sc, t, ch);
        let used = used_ops.get(&(key.clone(), year)).copied().unwrap_or(0.0);
        if used + 1.0 > limits.operator_cap(sc, &key, yi) + 1e-9 {
            continue;
        }
        let Some(m) = marginal(c, &sel, &load, t, ch, year) else {
            continue;
        };
        let cost = charge(basis, m.capex, m.npc);
        if cost > budget[yi] + 1e-6 {
            continue;
        }
        budget[yi] -= cost;
        *used_ops.entry((key, year)).or_default() += 1.0;
        apply(c, &mut sel, &mut load, t, ch, m.variant, year);
        added += 1;
    }
    (sel, added)
}

/// Most plan years a scenario may span (`target_year − base_year ≤ 30`).
pub(crate) const MAX_PLAN_YEARS: usize = 31;

/// What a MIP optimises.
// Built a few hundred times per plan: a 256-byte copy is cheaper than the indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Objective {
    /// Least net present cost with every target served, one period (`min_cost`).
    MinCost,
    /// Most people-years under the limits, with a cost tie-break too small to trade one.
    MaxPeople,
    /// Least discounted net present cost under the limits among plans of at least these
    /// people-years (the second stage of the lexicographic `max_people`).
    MinCostAtPeople(f64),
    /// People-years minus the price of its year's budget (people-years per USD; index = plan
    /// year − base year, at most 31 plan years) times the budget charge, with no budget or
    /// capacity rows: the Lagrangian relaxation of `MaxPeople`, whose LP value plus the prices
    /// times the budgets bounds the people-years of every plan.
    Lagrangian([f64; MAX_PLAN_YEARS]),
}

/// The targets worth a column in a budget-limited model: those `sel` connects and, of the
/// others, the best by people per stand-alone budget charge (what connecting each alone would
/// cost), as many again as `sel` connects plus `extra`.
pub(crate) fn core_targets(
    c: &Candidates,
    sc: &Scenario,
    sel: &Selection,
    extra: usize,
) -> Vec<bool> {
    let basis = sc.finance.budget_basis;
    let site_of = sites_of(c);
    let empty = Selection::empty(c);
    let load = vec![0.0; c.sites.len()];
    let mut core: Vec<bool> = sel.choice.iter().map(Option::is_some).collect();
    let chosen = core.iter().filter(|&&x| x).count();
    let mut rest: Vec<(f64, usize)> = (0..c.targets.len())
        .filter(|&t| !core[t])
        .filter_map(|t| {
            choices(c, &site_of, t)
                .into_iter()
                .filter_map(|ch| {
                    marginal(c, &empty, &load, t, ch, sc.base_year)
                        .map(|m| charge(basis, m.capex, m.npc))
                })
                .min_by(f64::total_cmp)
                .map(|cost| (c.targets[t].people as f64 / (cost + 1.0), t))
        })
        .collect();
    rest.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, t) in rest.iter().take(chosen + extra) {
        core[t] = true;
    }
    core
}

/// How a selection uses the shared limits, per region (the same shape as an LP's use).
pub(crate) fn usage(
    c: &Candidates,
    inputs: &crate::PlanInputs<'_>,
    sc: &Scenario,
    sel: &Selection,
) -> LpUse {
    let basis = sc.finance.budget_basis;
    let years = sc.years();
    let yi_of = |y: i32| years.iter().position(|&x| x == y);
    let mut u = LpUse::default();
    for (r, reg) in c.regions.iter().enumerate() {
        let mut add = |y: i32, amount: f64| {
            if let Some(yi) = yi_of(y) {
                *u.budget.entry((r, yi)).or_default() += amount;
            }
        };
        for &t in &reg.targets {
            if let Some((Choice::Own(o), y)) = sel.choice[t] {
                let o = &c.own[t][o];
                add(y, charge(basis, o.capex_usd, o.npc_usd));
            }
        }
        for &g in &reg.segments {
            if let Some(y) = sel.seg_year[g] {
                add(y, charge(basis, c.segments[g].capex_usd, c.seg_npc(g)));
            }
        }
        for &k in &reg.sites {
            if let Some((v, y)) = sel.site[k] {
                let var = &c.sites[k].variants[v];
                add(y, charge(basis, var.capex_usd, var.npc_usd));
            }
        }
        for &t in &reg.targets {
            if let Some((ch, y)) = sel.choice[t]
                && let Some(yi) = yi_of(y)
            {
                *u.pools
                    .entry((capacity_key(c, inputs, sc, t, ch), r, yi))
                    .or_default() += 1.0;
            }
        }
    }
    u
}

/// Result of one HiGHS run.
#[derive(Debug, Clone)]
pub(crate) struct MipOutcome {
    /// The incumbent (`None`: no solution found, or an LP relaxation).
    pub selection: Option<Selection>,
    /// Objective of the incumbent (or of the LP), in the model's units.
    pub objective: f64,
    /// The dual bound, in the model's units (NaN when unknown).
    pub bound: f64,
    pub status: String,
    pub columns: usize,
    pub rows: usize,
    /// For an LP relaxation: budget charge per (region, year index) and settlements per
    /// (region, pool, year index) of its solution.
    pub lp_use: Option<LpUse>,
    /// For an LP relaxation solved to a vertex ([`Relax::Vertex`]): its solution per target
    /// and the prices of the budget rows.
    pub lp: Option<LpSolution>,
}

/// Whether a model is solved as a MIP or as its LP relaxation, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relax {
    /// The mixed-integer programme.
    No,
    /// The LP relaxation by the interior point method without crossover: only its value and
    /// how it uses the budgets are read.
    Interior,
    /// The LP relaxation solved to a basic (vertex) solution, whose values and budget prices
    /// guide a rounding.
    Vertex,
}

/// An LP relaxation's solution, per target.
#[derive(Debug, Clone, Default)]
pub(crate) struct LpSolution {
    /// The targets' columns with a positive value: (choice, year index, value).
    pub support: BTreeMap<usize, Vec<(Choice, usize, f64)>>,
    /// Dual price of each year's budget row, objective units per USD (0 without a row).
    pub budget_price: Vec<f64>,
    /// Per target of the model: the least share of its people-years that one of its columns
    /// lacks to enter the solution (|reduced cost| of the column and of the segments and site
    /// it needs that the LP does not build by then, over the people-years of the column; 0 in
    /// the support). Small shares are the settlements the LP nearly connects.
    pub shortfall: BTreeMap<usize, f64>,
}

/// How an LP solution uses the shared limits, per region.
#[derive(Debug, Clone, Default)]
pub(crate) struct LpUse {
    pub budget: BTreeMap<(usize, usize), f64>,
    pub pools: BTreeMap<(String, usize, usize), f64>,
}

/// Column indices of one MIP.
struct Cols {
    seg: BTreeMap<usize, Vec<usize>>,
    own: BTreeMap<(usize, usize), Vec<usize>>,
    site: BTreeMap<(usize, usize), Vec<usize>>,
    assign: BTreeMap<(usize, usize), Vec<usize>>,
}

/// Counts the columns a MIP over `regions` would have (before dominated options are dropped);
/// `with_people` counts only the settlements with people (a budget-limited model gives the
/// others no column) and the segments and sites they can use.
pub(crate) fn column_count(
    c: &Candidates,
    regions: &[usize],
    n_years: usize,
    with_people: bool,
) -> usize {
    let live = |t: usize| !with_people || c.targets[t].people > 0;
    let mut n = 0;
    for &r in regions {
        let reg = &c.regions[r];
        let mut segs = std::collections::BTreeSet::new();
        for &t in reg.targets.iter().filter(|&&t| live(t)) {
            n += c.own[t].len();
            segs.extend(c.path(c.targets[t].fibre_seg.flatten()));
        }
        for &k in &reg.sites {
            let covers = c.sites[k].covers.iter().filter(|&&(t, _)| live(t)).count();
            if covers > 0 {
                n += c.sites[k].variants.len() + covers;
                for var in &c.sites[k].variants {
                    if let SiteBackhaul::Fibre { seg, .. } = var.backhaul {
                        segs.extend(c.path(seg));
                    }
                }
            }
        }
        n += if with_people {
            segs.len()
        } else {
            reg.segments.len()
        };
    }
    n * n_years
}

/// Own options of `t` worth a column: an option is dropped when a stand-alone option (not
/// fibre, which also needs its trench) of the same target costs no more in NPC and budget
/// charge and draws on the same build-capacity pool or on an unlimited one. Fibre is compared
/// by its own part alone, a lower bound of what it costs, so the test is safe.
pub(crate) fn undominated_own(
    c: &Candidates,
    inputs: &crate::PlanInputs<'_>,
    sc: &Scenario,
    t: usize,
    with_pools: bool,
) -> Vec<usize> {
    let basis = sc.finance.budget_basis;
    let opts = &c.own[t];
    let key = |o: usize| capacity_key(c, inputs, sc, t, Choice::Own(o));
    (0..opts.len())
        .filter(|&o| {
            let a = &opts[o];
            let ca = charge(basis, a.capex_usd, a.npc_usd);
            !(0..opts.len()).any(|p| {
                let b = &opts[p];
                if p == o || b.tech == Technology::Fibre {
                    return false;
                }
                let cb = charge(basis, b.capex_usd, b.npc_usd);
                let cheaper = b.npc_usd <= a.npc_usd && cb <= ca;
                let strictly = b.npc_usd < a.npc_usd || cb < ca || p < o;
                let pool_ok = !with_pools || {
                    let kb = key(p);
                    kb == key(o) || capacity_of(sc, &kb).is_infinite()
                };
                cheaper && strictly && pool_ok
            })
        })
        .collect()
}

/// Builds and solves the model of `objective` over `regions` (see the module docs); `relax`
/// solves its LP relaxation instead.
#[allow(clippy::too_many_arguments)]
pub(crate) fn solve_mip(
    c: &Candidates,
    inputs: &crate::PlanInputs<'_>,
    sc: &Scenario,
    regions: &[usize],
    limits: Option<&Limits>,
    objective: Objective,
    relax: Relax,
    core: Option<&[bool]>,
    fixed: Option<&[Option<(Choice, usize)>]>,
    time_limit_s: f64,
    opts: &SolveOptions<'_>,
) -> Result<MipOutcome, PlanError> {
    // Bounds of a target's column: 1 for its fixed choice and year, 0 for its other columns.
    let fix_bounds = |t: usize, ch: Choice, yi: usize| -> (f64, f64) {
        match fixed.and_then(|f| f[t]) {
            Some((fc, fy)) if fc == ch && fy == yi => (1.0, 1.0),
            Some(_) => (0.0, 0.0),
            None => (0.0, 1.0),
        }
    };
    let vertex = relax == Relax::Vertex;
    let relax = relax != Relax::No;
    let phased = objective != Objective::MinCost;
    // A budget-limited plan gains nothing from a settlement without people: no column.
    let in_core = |t: usize| core.is_none_or(|m| m[t]) && (!phased || c.targets[t].people > 0);
    let basis = sc.finance.budget_basis;
    let years: Vec<i32> = if phased {
        sc.years()
    } else {
        vec![sc.base_year]
    };
    let ny = years.len();
    let mut targets: Vec<usize> = Vec::new();
    let mut segs: Vec<usize> = Vec::new();
    let mut sites: Vec<usize> = Vec::new();
    let mut region_of_seg: BTreeMap<usize, usize> = BTreeMap::new();
    for &r in regions {
        targets.extend(c.regions[r].targets.iter().filter(|&&t| in_core(t)));
        sites.extend(
            c.regions[r]
                .sites
                .iter()
                .filter(|&&k| c.sites[k].covers.iter().any(|&(t, _)| in_core(t))),
        );
        for &g in &c.regions[r].segments {
            region_of_seg.insert(g, r);
        }
    }
    if core.is_none() && !phased {
        for &r in regions {
            segs.extend(&c.regions[r].segments);
        }
    } else {
        // Only the segments some kept option needs (whole paths, so parents stay).
        let mut need: std::collections::BTreeSet<usize> = std::collections::BTreeSet::new();
        for &t in &targets {
            need.extend(c.path(c.targets[t].fibre_seg.flatten()));
        }
        for &k in &sites {
            for var in &c.sites[k].variants {
                if let SiteBackhaul::Fibre { seg, .. } = var.backhaul {
                    need.extend(c.path(seg));
                }
            }
        }
        segs.extend(need.into_iter().filter(|g| region_of_seg.contains_key(g)));
    }
    // Objective weights. The tie-break of `MaxPeople` is scaled so that all costs together
    // weigh less than half a person-year.
    let total_npc: f64 = segs.iter().map(|&g| c.seg_npc(g)).sum::<f64>()
        + targets
            .iter()
            .flat_map(|&t| c.own[t].iter().map(|o| o.npc_usd))
            .sum::<f64>()
        + sites
            .iter()
            .flat_map(|&k| c.sites[k].variants.iter().map(|v| v.npc_usd))
            .sum::<f64>();
    let eps = 0.5 / (total_npc + 1.0);
    let cost_w = |npc: f64, charge_usd: f64, yi: usize| match objective {
        Objective::MinCost => npc,
        Objective::MaxPeople => -eps * npc * c.df(years[yi]),
        Objective::MinCostAtPeople(_) => npc * c.df(years[yi]),
        Objective::Lagrangian(price) => -price[yi.min(MAX_PLAN_YEARS - 1)] * charge_usd,
    };
    let people_w = |t: usize, yi: usize| c.targets[t].people as f64 * (ny - yi) as f64;
    let objective_people = |t: usize, yi: usize| {
        if matches!(objective, Objective::MaxPeople | Objective::Lagrangian(_)) {
            people_w(t, yi)
        } else {
            0.0
        }
    };
    let mut pb = RowProblem::default();
    let mut cols = Cols {
        seg: BTreeMap::new(),
        own: BTreeMap::new(),
        site: BTreeMap::new(),
        assign: BTreeMap::new(),
    };
    // Per column: handle, budget charge, region, year index, pool.
    let mut col_handles: Vec<Col> = Vec::new();
    let mut col_charge: Vec<f64> = Vec::new();
    let mut col_region: Vec<usize> = Vec::new();
    let mut col_year: Vec<usize> = Vec::new();
    let mut col_pool: Vec<Option<String>> = Vec::new();
    let mut add = |pb: &mut RowProblem,
                   w: f64,
                   charge_usd: f64,
                   region: usize,
                   yi: usize,
                   pool: Option<String>,
                   (lo, hi): (f64, f64)| {
        let h = if relax {
            pb.add_column(w, lo..=hi)
        } else {
            pb.add_integer_column(w, lo..=hi)
        };
        col_handles.push(h);
        col_charge.push(charge_usd);
        col_region.push(region);
        col_year.push(yi);
        col_pool.push(pool);
        col_handles.len() - 1
    };
    for &g in &segs {
        let seg = &c.segments[g];
        let v: Vec<usize> = (0..ny)
            .map(|yi| {
                add(
                    &mut pb,
                    cost_w(c.seg_npc(g), charge(basis, seg.capex_usd, c.seg_npc(g)), yi),
                    charge(basis, seg.capex_usd, c.seg_npc(g)),
                    region_of_seg[&g],
                    yi,
                    None,
                    (0.0, 1.0),
                )
            })
            .collect();
        cols.seg.insert(g, v);
    }
    for &t in &targets {
        for o in undominated_own(c, inputs, sc, t, phased) {
            let opt = &c.own[t][o];
            let pool = capacity_key(c, inputs, sc, t, Choice::Own(o));
            let v: Vec<usize> = (0..ny)
                .map(|yi| {
                    add(
                        &mut pb,
                        cost_w(opt.npc_usd, charge(basis, opt.capex_usd, opt.npc_usd), yi)
                            + objective_people(t, yi),
                        charge(basis, opt.capex_usd, opt.npc_usd),
                        c.targets[t].region,
                        yi,
                        Some(pool.clone()),
                        fix_bounds(t, Choice::Own(o), yi),
                    )
                })
                .collect();
            cols.own.insert((t, o), v);
        }
    }
    for &k in &sites {
        let region = c.sites[k].region;
        for (vi, var) in c.sites[k].variants.iter().enumerate() {
            let v: Vec<usize> = (0..ny)
                .map(|yi| {
                    add(
                        &mut pb,
                        cost_w(var.npc_usd, charge(basis, var.capex_usd, var.npc_usd), yi),
                        charge(basis, var.capex_usd, var.npc_usd),
                        region,
                        yi,
                        None,
                        (0.0, 1.0),
                    )
                })
                .collect();
            cols.site.insert((k, vi), v);
        }
        for &(t, _) in c.sites[k].covers.iter().filter(|&&(t, _)| in_core(t)) {
            let pool = capacity_key(c, inputs, sc, t, Choice::Site(k));
            let v: Vec<usize> = (0..ny)
                .map(|yi| {
                    add(
                        &mut pb,
                        objective_people(t, yi),
                        0.0,
                        region,
                        yi,
                        Some(pool.clone()),
                        fix_bounds(t, Choice::Site(k), yi),
                    )
                })
                .collect();
            cols.assign.insert((t, k), v);
        }
    }
    let h = |i: usize| col_handles[i];
    let cum = |v: &Vec<usize>, yi: usize, sign: f64| -> Vec<(Col, f64)> {
        v[..=yi].iter().map(|&i| (h(i), sign)).collect()
    };
    let mut rows = 0usize;
    // One option per target.
    let mut assign_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &(t, k) in cols.assign.keys() {
        assign_of.entry(t).or_default().push(k);
    }
    let mut own_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &(t, o) in cols.own.keys() {
        own_of.entry(t).or_default().push(o);
    }
    for &t in &targets {
        let mut r: Vec<(Col, f64)> = Vec::new();
        for &o in own_of.get(&t).map(Vec::as_slice).unwrap_or(&[]) {
            r.extend(cols.own[&(t, o)].iter().map(|&i| (h(i), 1.0)));
        }
        for &k in assign_of.get(&t).map(Vec::as_slice).unwrap_or(&[]) {
            r.extend(cols.assign[&(t, k)].iter().map(|&i| (h(i), 1.0)));
        }
        if phased {
            pb.add_row(..=1.0, r);
        } else {
            pb.add_row(1.0..=1.0, r);
        }
        rows += 1;
    }
    // Segments: once, and not before the parent.
    for &g in &segs {
        let v = &cols.seg[&g];
        if ny > 1 {
            pb.add_row(..=1.0, v.iter().map(|&i| (h(i), 1.0)));
            rows += 1;
        }
        if let Some(p) = c.segments[g].parent
            && let Some(pv) = cols.seg.get(&p)
        {
            for yi in 0..ny {
                let mut r = cum(v, yi, 1.0);
                r.extend(cum(pv, yi, -1.0));
                pb.add_row(..=0.0, r);
                rows += 1;
            }
        }
    }
    // Fibre village network needs its segment.
    for (&(t, o), v) in &cols.own {
        if c.own[t][o].tech != Technology::Fibre {
            continue;
        }
        if let Some(Some(g)) = c.targets[t].fibre_seg
            && let Some(gv) = cols.seg.get(&g)
        {
            for yi in 0..ny {
                let mut r = cum(v, yi, 1.0);
                r.extend(cum(gv, yi, -1.0));
                pb.add_row(..=0.0, r);
                rows += 1;
            }
        }
    }
    // Sites.
    for &k in &sites {
        let s = &c.sites[k];
        let all: Vec<usize> = (0..s.variants.len())
            .flat_map(|vi| cols.site[&(k, vi)].iter().copied())
            .collect();
        pb.add_row(..=1.0, all.iter().map(|&i| (h(i), 1.0)));
        rows += 1;
        for (vi, var) in s.variants.iter().enumerate() {
            if let SiteBackhaul::Fibre { seg: Some(g), .. } = var.backhaul
                && let Some(gv) = cols.seg.get(&g)
            {
                let v = &cols.site[&(k, vi)];
                for yi in 0..ny {
                    let mut r = cum(v, yi, 1.0);
                    r.extend(cum(gv, yi, -1.0));
                    pb.add_row(..=0.0, r);
                    rows += 1;
                }
            }
        }
        let built_by = |yi: usize| -> Vec<(Col, f64)> {
            (0..s.variants.len())
                .flat_map(|vi| cols.site[&(k, vi)][..=yi].iter().map(|&i| (h(i), -1.0)))
                .collect()
        };
        // Capacity.
        let mut cap: Vec<(Col, f64)> = Vec::new();
        for &(t, _) in &s.covers {
            let Some(av) = cols.assign.get(&(t, k)) else {
                continue;
            };
            cap.extend(av.iter().map(|&i| (h(i), c.targets[t].demand_mbps)));
            for yi in 0..ny {
                let mut r = cum(av, yi, 1.0);
                r.extend(built_by(yi));
                pb.add_row(..=0.0, r);
                rows += 1;
            }
        }
        cap.extend(all.iter().map(|&i| (h(i), -s.capacity_mbps)));
        pb.add_row(..=0.0, cap);
        rows += 1;
    }
    // Budgets and build capacities.
    let mut budget_rows: Vec<Option<usize>> = vec![None; ny];
    if let Some(lim) = limits {
        for (yi, budget_row) in budget_rows.iter_mut().enumerate() {
            let r: Vec<(Col, f64)> = (0..col_handles.len())
                .filter(|&i| col_year[i] == yi && col_charge[i] != 0.0)
                .map(|i| (h(i), col_charge[i]))
                .collect();
            pb.add_row(..=lim.budget_usd[yi], r);
            *budget_row = Some(rows);
            rows += 1;
            let mut by_pool: BTreeMap<&str, Vec<(Col, f64)>> = BTreeMap::new();
            for i in (0..col_handles.len()).filter(|&i| col_year[i] == yi) {
                if let Some(p) = &col_pool[i] {
                    by_pool.entry(p.as_str()).or_default().push((h(i), 1.0));
                }
            }
            for (key, r) in by_pool {
                let cap = lim.operator_cap(sc, key, yi);
                if cap.is_finite() {
                    pb.add_row(..=cap, r);
                    rows += 1;
                }
            }
        }
    }
    // The second stage keeps the first stage's people-years.
    if let Objective::MinCostAtPeople(p) = objective {
        let mut r: Vec<(Col, f64)> = Vec::new();
        for (&(t, _), v) in cols.own.iter().chain(cols.assign.iter()) {
            r.extend(v.iter().enumerate().map(|(yi, &i)| (h(i), people_w(t, yi))));
        }
        pb.add_row((p - 0.5).., r);
        rows += 1;
    }
    let ncols = col_handles.len();
    let maximise = matches!(objective, Objective::MaxPeople | Objective::Lagrangian(_));
    let mut model = pb.optimise(if maximise {
        Sense::Maximise
    } else {
        Sense::Minimise
    });
    model.make_quiet();
    for (name, r) in [
        (
            "time_limit",
            model.try_set_option("time_limit", time_limit_s.max(0.1)),
        ),
        (
            "mip_rel_gap",
            model.try_set_option("mip_rel_gap", opts.mip_rel_gap),
        ),
        ("random_seed", model.try_set_option("random_seed", 0)),
    ] {
        r.map_err(|e| PlanError::Solver(format!("HiGHS refused option {name}: {e:?}")))?;
    }
    if relax && !vertex {
        // Only the value and the usage are read: the interior point method without crossover.
        let _ = model.try_set_option("solver", "ipm");
        let _ = model.try_set_option("run_crossover", "off");
    }
    // Threads can only be set before HiGHS's first run in the process; later calls are refused
    // and the first setting stays, which is harmless.
    let _ = model.try_set_option("threads", opts.threads.max(1) as i32);
    let solved = model
        .try_solve()
        .map_err(|e| PlanError::Solver(format!("HiGHS failed: {e:?}")))?;
    let status = solved.status();
    let status_s = format!("{status:?}");
    let ok = matches!(
        status,
        HighsModelStatus::Optimal
            | HighsModelStatus::ReachedTimeLimit
            | HighsModelStatus::ReachedIterationLimit
            | HighsModelStatus::ModelEmpty
            | HighsModelStatus::ReachedInterrupt
            | HighsModelStatus::ReachedSolutionLimit
            | HighsModelStatus::Infeasible
    );
    if !ok {
        return Err(PlanError::Solver(format!(
            "HiGHS ended with status {status_s} on {ncols} columns"
        )));
    }
    let no_solution = |status: String| MipOutcome {
        selection: None,
        objective: f64::NAN,
        bound: f64::NAN,
        status,
        columns: ncols,
        rows,
        lp_use: None,
        lp: None,
    };
    if status == HighsModelStatus::Infeasible {
        // Only the second stage can be infeasible (its people-years row at the rounding edge).
        return Ok(no_solution(status_s));
    }
    let value = solved.objective_value();
    let sol = solved.get_solution();
    let x = sol.columns();
    // HiGHS stopped before its first incumbent: an infinite objective (and columns that are no
    // solution).
    if x.len() != ncols || ncols == 0 || !value.is_finite() {
        return Ok(no_solution(format!("{status_s} (no incumbent)")));
    }
    if relax {
        if status != HighsModelStatus::Optimal {
            return Ok(no_solution(format!("LP {status_s}")));
        }
        let mut lp_use = LpUse::default();
        for i in 0..ncols {
            if x[i] <= 1e-9 {
                continue;
            }
            *lp_use
                .budget
                .entry((col_region[i], col_year[i]))
                .or_default() += col_charge[i] * x[i];
            if let Some(p) = &col_pool[i] {
                *lp_use
                    .pools
                    .entry((p.clone(), col_region[i], col_year[i]))
                    .or_default() += x[i];
            }
        }
        let lp = vertex.then(|| {
            let mut support: BTreeMap<usize, Vec<(Choice, usize, f64)>> = BTreeMap::new();
            let mut shortfall: BTreeMap<usize, f64> = BTreeMap::new();
            let rc = sol.dual_columns();
            let rc_of = |i: usize| rc.get(i).map_or(f64::INFINITY, |r| r.abs());
            // What it takes to have a segment path by year `yi`: for each segment not yet built
            // by then in the LP, the least reduced cost of building it no later.
            let path_rc = |g: Option<usize>, yi: usize| -> f64 {
                c.path(g)
                    .into_iter()
                    .filter_map(|g| cols.seg.get(&g))
                    .filter(|v| v[..=yi].iter().map(|&i| x[i]).sum::<f64>() < 1.0 - 1e-6)
                    .map(|v| {
                        v[..=yi]
                            .iter()
                            .map(|&i| rc_of(i))
                            .fold(f64::INFINITY, f64::min)
                    })
                    .sum()
            };
            // The same for a site (its cheapest variant, with a fibre backhaul's path).
            let site_rc = |k: usize, yi: usize| -> f64 {
                let nv = c.sites[k].variants.len();
                let built: f64 = (0..nv)
                    .filter_map(|vi| cols.site.get(&(k, vi)))
                    .map(|v| v[..=yi].iter().map(|&i| x[i]).sum::<f64>())
                    .sum();
                if built >= 1.0 - 1e-6 {
                    return 0.0;
                }
                (0..nv)
                    .filter_map(|vi| cols.site.get(&(k, vi)).map(|v| (vi, v)))
                    .map(|(vi, v)| {
                        let own = v[..=yi]
                            .iter()
                            .map(|&i| rc_of(i))
                            .fold(f64::INFINITY, f64::min);
                        own + match c.sites[k].variants[vi].backhaul {
                            SiteBackhaul::Fibre { seg, .. } => path_rc(seg, yi),
                            _ => 0.0,
                        }
                    })
                    .fold(f64::INFINITY, f64::min)
            };
            let own = cols.own.iter().map(|(&(t, o), v)| (t, Choice::Own(o), v));
            let assign = cols
                .assign
                .iter()
                .map(|(&(t, k), v)| (t, Choice::Site(k), v));
            for (t, ch, v) in own.chain(assign) {
                for (yi, &i) in v.iter().enumerate() {
                    let lack = if x[i] > 1e-9 {
                        support.entry(t).or_default().push((ch, yi, x[i]));
                        0.0
                    } else {
                        let needs = match ch {
                            Choice::Own(o) if c.own[t][o].tech == Technology::Fibre => {
                                path_rc(c.targets[t].fibre_seg.flatten(), yi)
                            }
                            Choice::Own(_) => 0.0,
                            Choice::Site(k) => site_rc(k, yi),
                        };
                        (rc_of(i) + needs) / people_w(t, yi).max(1.0)
                    };
                    let s = shortfall.entry(t).or_insert(f64::INFINITY);
                    *s = s.min(lack);
                }
            }
            let duals = sol.dual_rows();
            let budget_price = budget_rows
                .iter()
                .map(|r| r.and_then(|r| duals.get(r)).map_or(0.0, |d| d.abs()))
                .collect();
            LpSolution {
                support,
                budget_price,
                shortfall,
            }
        });
        return Ok(MipOutcome {
            selection: None,
            objective: value,
            bound: value,
            status: format!("LP {status_s}"),
            columns: ncols,
            rows,
            lp_use: Some(lp_use),
            lp,
        });
    }
    // The dual bound from HiGHS's relative gap |primal − dual| / |primal|.
    let rel_gap = solved.double_info_value(c"mip_gap").unwrap_or(f64::NAN);
    let bound = if !rel_gap.is_finite() {
        // HiGHS reports no gap when presolve solves the model outright.
        if status == HighsModelStatus::Optimal {
            value
        } else {
            f64::NAN
        }
    } else if maximise {
        value + rel_gap * value.abs()
    } else {
        value - rel_gap * value.abs()
    };
    let mut sel = Selection::empty(c);
    for (&g, v) in &cols.seg {
        for (yi, &i) in v.iter().enumerate() {
            if x[i] > 0.5 {
                sel.seg_year[g] = Some(years[yi]);
            }
        }
    }
    for (&(k, vi), v) in &cols.site {
        for (yi, &i) in v.iter().enumerate() {
            if x[i] > 0.5 {
                sel.site[k] = Some((vi, years[yi]));
            }
        }
    }
    for (&(t, o), v) in &cols.own {
        for (yi, &i) in v.iter().enumerate() {
            if x[i] > 0.5 {
                sel.choice[t] = Some((Choice::Own(o), years[yi]));
            }
        }
    }
    for (&(t, k), v) in &cols.assign {
        for (yi, &i) in v.iter().enumerate() {
            if x[i] > 0.5 {
                sel.choice[t] = Some((Choice::Site(k), years[yi]));
            }
        }
    }
    Ok(MipOutcome {
        selection: Some(sel),
        objective: value,
        bound,
        status: status_s,
        columns: ncols,
        rows,
        lp_use: None,
        lp: None,
    })
}

/// Phasing of a `min_cost` plan: settlements by people per attributed capex take the first
/// year with room in their operator's build capacity and the year's budget, past the target
/// year when needed. Shared elements take the year of their first user.
pub(crate) fn phase_min_cost(
    c: &Candidates,
    inputs: &crate::PlanInputs<'_>,
    sc: &Scenario,
    sel: &mut Selection,
    progress: &dyn Fn(Progress),
) {
    let n_years_max = 200usize;
    let mut budget: Vec<f64> = Vec::new();
    let mut used: Vec<BTreeMap<String, u32>> = Vec::new();
    let year_budget = |yi: usize| sc.budget_usd(sc.base_year + yi as i32);
    let chosen: Vec<(usize, Choice)> = sel
        .choice
        .iter()
        .enumerate()
        .filter_map(|(t, ch)| ch.map(|(c2, _)| (t, c2)))
        .collect();
    let site_var: Vec<Option<usize>> = sel.site.iter().map(|s| s.map(|x| x.0)).collect();
    let mut seg_done = vec![false; c.segments.len()];
    let mut site_done = vec![false; c.sites.len()];
    let marginal_capex = |t: usize, ch: Choice, seg_done: &[bool], site_done: &[bool]| {
        let path_capex = |g: Option<usize>| {
            c.path(g)
                .into_iter()
                .filter(|&x| !seg_done[x])
                .map(|x| c.segments[x].capex_usd)
                .sum::<f64>()
        };
        match ch {
            Choice::Own(o) => {
                let opt = &c.own[t][o];
                opt.capex_usd
                    + if opt.tech == Technology::Fibre {
                        path_capex(c.targets[t].fibre_seg.flatten())
                    } else {
                        0.0
                    }
            }
            Choice::Site(k) => {
                if site_done[k] {
                    0.0
                } else if let Some(v) = site_var[k] {
                    let var = &c.sites[k].variants[v];
                    var.capex_usd
                        + match var.backhaul {
                            SiteBackhaul::Fibre { seg, .. } => path_capex(seg),
                            _ => 0.0,
                        }
                } else {
                    0.0
                }
            }
        }
    };
    let mut order: Vec<(f64, usize, Choice)> = chosen
        .iter()
        .map(|&(t, ch)| {
            let capex = marginal_capex(t, ch, &seg_done, &site_done);
            (c.targets[t].people as f64 / (capex + 1.0), t, ch)
        })
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (i, &(_, t, ch)) in order.iter().enumerate() {
        if i % 1000 == 0 {
            progress(Progress::stage("phasing", i, order.len()));
        }
        let capex = marginal_capex(t, ch, &seg_done, &site_done);
        let op = capacity_key(c, inputs, sc, t, ch);
        let cap = capacity_of(sc, &op);
        let mut yi = 0usize;
        loop {
            while budget.len() <= yi {
                budget.push(year_budget(budget.len()));
                used.push(BTreeMap::new());
            }
            let u = f64::from(used[yi].get(&op).copied().unwrap_or(0));
            let budget_untouched = (budget[yi] - year_budget(yi)).abs() < 1e-9;
            // A settlement dearer than a whole year's budget takes a year to itself.
            let fits_budget = capex <= budget[yi] + 1e-6 || budget_untouched;
            if (u < cap && fits_budget) || yi + 1 >= n_years_max {
                break;
            }
            yi += 1;
        }
        budget[yi] -= capex;
        *used[yi].entry(op).or_default() += 1;
        let year = sc.base_year + yi as i32;
        sel.choice[t] = Some((ch, year));
        let mut mark = |g: Option<usize>, seg_done: &mut Vec<bool>| {
            for x in c.path(g) {
                if !seg_done[x] {
                    seg_done[x] = true;
                    sel.seg_year[x] = Some(year);
                }
            }
        };
        match ch {
            Choice::Own(o) => {
                if c.own[t][o].tech == Technology::Fibre {
                    mark(c.targets[t].fibre_seg.flatten(), &mut seg_done);
                }
            }
            Choice::Site(k) => {
                if !site_done[k]
                    && let Some((v, _)) = sel.site[k]
                {
                    site_done[k] = true;
                    if let SiteBackhaul::Fibre { seg, .. } = c.sites[k].variants[v].backhaul {
                        mark(seg, &mut seg_done);
                    }
                    sel.site[k] = Some((v, year));
                }
            }
        }
    }
}
