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
//! within its capacity; in `max_people` the capital spent in each year is within the year's
//! budget and the settlements each operator connects in a year within its build capacity.
//! The objective is the net present cost (`min_cost`), or the people connected summed over the
//! plan years (a settlement connected in the first year counts every year), minus a tie-break
//! cost too small to trade one person (`max_people`).
//!
//! Because a segment on a settlement's path is required through the parent chain, `own ≤ seg ≤
//! parent` gives the strong (disaggregated) linking of fixed-charge network design in compact
//! form. The plan keeps the better of the greedy and the MIP solution, so it never costs more than
//! its greedy baseline. The greedy solution is not passed to HiGHS as a MIP start: with the
//! `highs` crate 2.4, a start given by `set_solution` came back from `get_solution` unchanged
//! while HiGHS reported a better objective, so HiGHS starts cold.

use crate::candidates::{Candidates, SiteBackhaul};
use crate::scenario::{Mode, Scenario};
use crate::{PlanError, Progress, SolveOptions};
use auyl_model::Technology;
use highs::{Col, HighsModelStatus, RowProblem, Sense};
use std::collections::BTreeMap;

/// What a target gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

    /// Net present cost of everything selected, USD.
    pub(crate) fn npc(&self, c: &Candidates) -> f64 {
        let mut total = 0.0;
        for (t, ch) in self.choice.iter().enumerate() {
            if let Some((Choice::Own(o), _)) = ch {
                total += c.own[t][*o].npc_usd;
            }
        }
        for (g, y) in self.seg_year.iter().enumerate() {
            if y.is_some() {
                total += c.seg_npc(g);
            }
        }
        for (k, s) in self.site.iter().enumerate() {
            if let Some((v, _)) = s {
                total += c.sites[k].variants[*v].npc_usd;
            }
        }
        total
    }

    /// Capital spent per year, USD.
    pub(crate) fn capex_by_year(&self, c: &Candidates) -> BTreeMap<i32, f64> {
        let mut m: BTreeMap<i32, f64> = BTreeMap::new();
        for (t, ch) in self.choice.iter().enumerate() {
            if let Some((Choice::Own(o), y)) = ch {
                *m.entry(*y).or_default() += c.own[t][*o].capex_usd;
            }
        }
        for (g, y) in self.seg_year.iter().enumerate() {
            if let Some(y) = y {
                *m.entry(*y).or_default() += c.segments[g].capex_usd;
            }
        }
        for (k, s) in self.site.iter().enumerate() {
            if let Some((v, y)) = s {
                *m.entry(*y).or_default() += c.sites[k].variants[*v].capex_usd;
            }
        }
        m
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

/// Marginal cost (NPC, capex) of giving `t` option `ch` under `sel`, with the site variant to
/// build (if the site is new), or `None` when not possible (site full).
fn marginal(
    c: &Candidates,
    sel: &Selection,
    load: &[f64],
    t: usize,
    ch: Choice,
) -> Option<(f64, f64, Option<usize>)> {
    let unbuilt = |g: Option<usize>| {
        c.path(g)
            .into_iter()
            .filter(|&x| sel.seg_year[x].is_none())
            .fold((0.0, 0.0), |acc, x| {
                (acc.0 + c.seg_npc(x), acc.1 + c.segments[x].capex_usd)
            })
    };
    match ch {
        Choice::Own(o) => {
            let opt = &c.own[t][o];
            let (mut npc, mut capex) = (opt.npc_usd, opt.capex_usd);
            if opt.tech == Technology::Fibre {
                let seg = c.targets[t].fibre_seg.flatten();
                let (n, k) = unbuilt(seg);
                npc += n;
                capex += k;
            }
            Some((npc, capex, None))
        }
        Choice::Site(k) => {
            let s = &c.sites[k];
            if load[k] + c.targets[t].demand_mbps > s.capacity_mbps + 1e-9 {
                return None;
            }
            if sel.site[k].is_some() {
                return Some((0.0, 0.0, None));
            }
            let mut best: Option<(f64, f64, Option<usize>)> = None;
            for (v, var) in s.variants.iter().enumerate() {
                let (mut npc, mut capex) = (var.npc_usd, var.capex_usd);
                if let SiteBackhaul::Fibre { seg, .. } = var.backhaul {
                    let (n, k2) = unbuilt(seg);
                    npc += n;
                    capex += k2;
                }
                if best.is_none_or(|b| npc < b.0) {
                    best = Some((npc, capex, Some(v)));
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
            if let Some((npc, _, v)) = marginal(c, &sel, &load, t, ch)
                && best.is_none_or(|b| npc < b.0)
            {
                best = Some((npc, ch, v));
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

/// Yearly limits of a `max_people` run (possibly a region's share).
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    pub budget_usd: Vec<f64>,
    pub share: f64,
}

impl Limits {
    pub(crate) fn new(sc: &Scenario, share: f64) -> Limits {
        Limits {
            budget_usd: sc
                .years()
                .iter()
                .map(|&y| sc.budget_usd(y) * share)
                .collect(),
            share,
        }
    }

    fn operator_cap(&self, sc: &Scenario, key: &str) -> f64 {
        let cap = capacity_of(sc, key);
        if cap.is_finite() {
            (cap * self.share).floor()
        } else {
            cap
        }
    }
}

/// Greedy baseline of `max_people`: year by year, settlements in order of people per marginal
/// capital cost take their cheapest option while the budget and the operator's capacity last.
pub(crate) fn greedy_max_people(
    c: &Candidates,
    inputs: &crate::PlanInputs<'_>,
    sc: &Scenario,
    subset: &[usize],
    limits: &Limits,
) -> Selection {
    let site_of = sites_of(c);
    let mut sel = Selection::empty(c);
    let mut load = vec![0.0; c.sites.len()];
    let years = sc.years();
    let mut used_ops: BTreeMap<String, f64> = BTreeMap::new();
    for (yi, &year) in years.iter().enumerate() {
        let mut budget = limits.budget_usd[yi];
        used_ops.clear();
        // Priority from the marginal capex at the start of the year.
        let mut order: Vec<(f64, usize)> = subset
            .iter()
            .filter(|&&t| sel.choice[t].is_none())
            .filter_map(|&t| {
                choices(c, &site_of, t)
                    .into_iter()
                    .filter_map(|ch| marginal(c, &sel, &load, t, ch).map(|m| m.1))
                    .min_by(f64::total_cmp)
                    .map(|capex| (c.targets[t].people as f64 / (capex + 1.0), t))
            })
            .collect();
        order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, t) in order {
            let mut best: Option<(f64, f64, Choice, Option<usize>)> = None;
            for ch in choices(c, &site_of, t) {
                let key = capacity_key(c, inputs, sc, t, ch);
                let used = used_ops.get(&key).copied().unwrap_or(0.0);
                if used + 1.0 > limits.operator_cap(sc, &key) + 1e-9 {
                    continue;
                }
                if let Some((npc, capex, v)) = marginal(c, &sel, &load, t, ch)
                    && capex <= budget + 1e-6
                    && best.is_none_or(|b| (capex, npc) < (b.0, b.1))
                {
                    best = Some((capex, npc, ch, v));
                }
            }
            if let Some((capex, _, ch, v)) = best {
                budget -= capex;
                let key = capacity_key(c, inputs, sc, t, ch);
                *used_ops.entry(key).or_default() += 1.0;
                apply(c, &mut sel, &mut load, t, ch, v, year);
            }
        }
    }
    sel
}

/// Result of one MIP.
#[derive(Debug, Clone)]
pub(crate) struct MipOutcome {
    pub selection: Selection,
    /// The dual bound (in the MIP's own objective units).
    pub bound: f64,
    pub status: String,
    pub columns: usize,
    pub rows: usize,
}

/// Column indices of one MIP.
struct Cols {
    seg: BTreeMap<usize, Vec<usize>>,
    own: BTreeMap<(usize, usize), Vec<usize>>,
    site: BTreeMap<(usize, usize), Vec<usize>>,
    assign: BTreeMap<(usize, usize), Vec<usize>>,
}

/// Counts the columns a MIP over `regions` would have.
pub(crate) fn column_count(c: &Candidates, regions: &[usize], n_years: usize) -> usize {
    let mut n = 0;
    for &r in regions {
        let reg = &c.regions[r];
        n += reg.segments.len();
        for &t in &reg.targets {
            n += c.own[t].len();
        }
        for &k in &reg.sites {
            n += c.sites[k].variants.len() + c.sites[k].covers.len();
        }
    }
    n * n_years
}

/// Builds and solves the MIP over `regions`; `start` is returned when HiGHS finds no solution.
#[allow(clippy::too_many_arguments)]
pub(crate) fn solve_mip(
    c: &Candidates,
    inputs: &crate::PlanInputs<'_>,
    sc: &Scenario,
    regions: &[usize],
    limits: Option<&Limits>,
    start: &Selection,
    time_limit_s: f64,
    opts: &SolveOptions<'_>,
) -> Result<MipOutcome, PlanError> {
    let max_people = sc.mode == Mode::MaxPeople;
    let years: Vec<i32> = if max_people {
        sc.years()
    } else {
        vec![sc.base_year]
    };
    let ny = years.len();
    let mut targets: Vec<usize> = Vec::new();
    let mut segs: Vec<usize> = Vec::new();
    let mut sites: Vec<usize> = Vec::new();
    for &r in regions {
        targets.extend(&c.regions[r].targets);
        segs.extend(&c.regions[r].segments);
        sites.extend(&c.regions[r].sites);
    }
    // Objective weights.
    let total_npc: f64 = segs.iter().map(|&g| c.seg_npc(g)).sum::<f64>()
        + targets
            .iter()
            .flat_map(|&t| c.own[t].iter().map(|o| o.npc_usd))
            .sum::<f64>()
        + sites
            .iter()
            .flat_map(|&k| c.sites[k].variants.iter().map(|v| v.npc_usd))
            .sum::<f64>();
    let eps = if max_people {
        0.5 / (total_npc + 1.0)
    } else {
        1.0
    };
    let cost_w = |npc: f64| if max_people { -eps * npc } else { npc };
    let people_w = |t: usize, yi: usize| {
        if max_people {
            c.targets[t].people as f64 * (ny - yi) as f64
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
    let mut col_handles = Vec::new();
    let mut col_capex: Vec<f64> = Vec::new();
    let mut add = |pb: &mut RowProblem, w: f64, capex: f64, handles: &mut Vec<Col>| {
        let h = pb.add_integer_column(w, 0..=1);
        handles.push(h);
        col_capex.push(capex);
        handles.len() - 1
    };
    for &g in &segs {
        let v: Vec<usize> = (0..ny)
            .map(|_| {
                add(
                    &mut pb,
                    cost_w(c.seg_npc(g)),
                    c.segments[g].capex_usd,
                    &mut col_handles,
                )
            })
            .collect();
        cols.seg.insert(g, v);
    }
    for &t in &targets {
        for (o, opt) in c.own[t].iter().enumerate() {
            let v: Vec<usize> = (0..ny)
                .map(|yi| {
                    add(
                        &mut pb,
                        cost_w(opt.npc_usd) + people_w(t, yi),
                        opt.capex_usd,
                        &mut col_handles,
                    )
                })
                .collect();
            cols.own.insert((t, o), v);
        }
    }
    for &k in &sites {
        for (vi, var) in c.sites[k].variants.iter().enumerate() {
            let v: Vec<usize> = (0..ny)
                .map(|_| {
                    add(
                        &mut pb,
                        cost_w(var.npc_usd),
                        var.capex_usd,
                        &mut col_handles,
                    )
                })
                .collect();
            cols.site.insert((k, vi), v);
        }
        for &(t, _) in &c.sites[k].covers {
            let v: Vec<usize> = (0..ny)
                .map(|yi| add(&mut pb, people_w(t, yi), 0.0, &mut col_handles))
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
    for &t in &targets {
        let mut r: Vec<(Col, f64)> = Vec::new();
        for o in 0..c.own[t].len() {
            r.extend(cols.own[&(t, o)].iter().map(|&i| (h(i), 1.0)));
        }
        for &k in assign_of.get(&t).map(Vec::as_slice).unwrap_or(&[]) {
            r.extend(cols.assign[&(t, k)].iter().map(|&i| (h(i), 1.0)));
        }
        if max_people {
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
    for &t in &targets {
        for (o, opt) in c.own[t].iter().enumerate() {
            if opt.tech != Technology::Fibre {
                continue;
            }
            if let Some(Some(g)) = c.targets[t].fibre_seg
                && let Some(gv) = cols.seg.get(&g)
            {
                let v = &cols.own[&(t, o)];
                for yi in 0..ny {
                    let mut r = cum(v, yi, 1.0);
                    r.extend(cum(gv, yi, -1.0));
                    pb.add_row(..=0.0, r);
                    rows += 1;
                }
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
            let av = &cols.assign[&(t, k)];
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
    if let Some(lim) = limits {
        for yi in 0..ny {
            let mut r: Vec<(Col, f64)> = Vec::new();
            for v in cols
                .seg
                .values()
                .chain(cols.own.values())
                .chain(cols.site.values())
            {
                let i = v[yi];
                if col_capex[i] != 0.0 {
                    r.push((h(i), col_capex[i]));
                }
            }
            pb.add_row(..=lim.budget_usd[yi], r);
            rows += 1;
            let mut by_op: BTreeMap<String, Vec<(Col, f64)>> = BTreeMap::new();
            for (&(t, o), v) in &cols.own {
                by_op
                    .entry(capacity_key(c, inputs, sc, t, Choice::Own(o)))
                    .or_default()
                    .push((h(v[yi]), 1.0));
            }
            for (&(t, k), v) in &cols.assign {
                by_op
                    .entry(capacity_key(c, inputs, sc, t, Choice::Site(k)))
                    .or_default()
                    .push((h(v[yi]), 1.0));
            }
            for (key, r) in by_op {
                let cap = lim.operator_cap(sc, &key);
                if cap.is_finite() {
                    pb.add_row(..=cap, r);
                    rows += 1;
                }
            }
        }
    }
    let ncols = col_handles.len();
    let mut model = pb.optimise(if max_people {
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
    );
    if !ok {
        return Err(PlanError::Solver(format!(
            "HiGHS ended with status {status_s} on {ncols} columns"
        )));
    }
    // The dual bound from HiGHS's relative gap |primal − dual| / |primal|.
    let objective = solved.objective_value();
    let rel_gap = solved.double_info_value(c"mip_gap").unwrap_or(f64::NAN);
    let bound = if !rel_gap.is_finite() {
        // HiGHS reports no gap when presolve solves the model outright.
        if status == HighsModelStatus::Optimal {
            objective - opts.mip_rel_gap * objective.abs() * if max_people { -1.0 } else { 1.0 }
        } else {
            f64::NAN
        }
    } else if max_people {
        objective + rel_gap * objective.abs()
    } else {
        objective - rel_gap * objective.abs()
    };
    let sol = solved.get_solution();
    let x = sol.columns();
    let mut sel = Selection::empty(c);
    if x.len() == ncols && ncols > 0 {
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
    } else {
        // No incumbent (time limit before any solution): keep the start.
        return Ok(MipOutcome {
            selection: start.clone(),
            bound: f64::NAN,
            status: format!("{status_s} (no incumbent)"),
            columns: ncols,
            rows,
        });
    }
    Ok(MipOutcome {
        selection: sel,
        bound,
        status: status_s,
        columns: ncols,
        rows,
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
