//! `max_people`: the most people-years (people connected summed over the plan years) under each
//! year's budget and the operators' build capacities, then the least NPC.
//!
//! 1. **The bound.** The LP relaxation of the national model (`solve`'s formulation over every
//!    settlement with people; each year's budget and every build capacity are rows) is solved
//!    once by HiGHS to a vertex. People-years are whole numbers and the NPC tie-break of the
//!    objective weighs less than half of one, so ⌊LP + ½⌋ (plus HiGHS's tolerance) bounds the
//!    people-years of every plan of the model. Settlements without people get no column: they add
//!    nothing and only cost.
//! 2. **Small models** (at most [`SolveOptions::max_exact_columns`] columns): the national MIP
//!    solved whole, lexicographically (most people-years, then least NPC at those people-years);
//!    its dual bound tightens the LP's.
//! 3. **Larger models: LP rounding.** The LP is close to a multi-period knapsack with many small
//!    items, so it splits few settlements. Those it connects whole keep its choice and year (in
//!    year order, each while it still fits); a HiGHS MIP then repairs the rest with those fixed,
//!    over the settlements the LP splits and those it nearly connects (least reduced cost per
//!    people-year); what is left of each year's budget is spent greedily. Least NPC is a
//!    tie-break only.
//! 4. **Fallback**, for a model above [`SolveOptions::max_national_columns`] or an LP that does
//!    not finish in the time limit: region by region, each with the budget and build capacity
//!    the greedy baseline uses there, and a Lagrangian bound (budgets priced out, region LPs).
//!
//! The method string of the plan says which was used, how the bound was computed, and the
//! people-years of the plan, the greedy baseline and the bound. The plan never has fewer
//! people-years than the greedy baseline, nor the same people-years at a higher NPC.

use crate::candidates::Candidates;
use crate::output::{Chosen, SolveLog, copy_regions, people_years, prune, region_dnpc};
use crate::scenario::Scenario;
use crate::solve::{self, Choice, Limits, Objective, Relax, Selection};
use crate::{PlanError, PlanInputs, Progress, SolveOptions};
use std::collections::BTreeMap;

/// Most settlements free in the repair MIP: keeps it small enough to solve within seconds.
const REPAIR_MAX_FREE: usize = 300;

/// People-years of a selection over every target.
fn people_years_all(c: &Candidates, sc: &Scenario, sel: &Selection) -> f64 {
    let all: Vec<usize> = (0..c.targets.len()).collect();
    people_years(c, sc, sel, &all)
}

/// `a` is better than `b`: more people-years, or as many at a lower discounted NPC.
fn better(c: &Candidates, sc: &Scenario, a: &Selection, b: &Selection) -> bool {
    let (pa, pb) = (people_years_all(c, sc, a), people_years_all(c, sc, b));
    pa > pb + 1e-9 || (pa >= pb - 1e-9 && a.npc(c) < b.npc(c))
}

/// `max_people` (see the module docs); never fewer people-years than the greedy baseline.
#[allow(clippy::too_many_arguments)]
pub(crate) fn max_people(
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
    let national = Limits::national(sc);
    let greedy =
        solve::greedy_max_people(c, inputs, sc, &all_targets, &national, Selection::empty(c));
    progress(Progress::stage("greedy", 1, 1));
    let greedy_npc = greedy.npc(c);
    if !optimise {
        return Ok((
            greedy,
            greedy_npc,
            None,
            "greedy baseline (no solver)".to_string(),
            0,
        ));
    }
    let basis = format!(
        "budget basis {}",
        match sc.finance.budget_basis {
            crate::BudgetBasis::WholeLife =>
                "whole_life (capex + opex and replacements over the horizon, charged in the build year)",
            crate::BudgetBasis::Capex => "capex (opex paid from elsewhere)",
        }
    );
    let ny = sc.years().len();
    let live_cols = solve::column_count(c, regions, ny, true);
    let whole = if live_cols <= opts.max_national_columns {
        national_model(c, inputs, sc, opts, progress, regions, &national, log)?
    } else {
        None
    };
    let (sel, bound, mut method) = match whole {
        Some(x) => x,
        None => {
            let why = if live_cols > opts.max_national_columns {
                format!(
                    "the national model has {live_cols} columns, above max_national_columns {}",
                    opts.max_national_columns
                )
            } else {
                "the national LP relaxation did not finish within the time limit".to_string()
            };
            by_region(c, inputs, sc, opts, progress, regions, &greedy, &why, log)?
        }
    };
    method.push_str(&format!("; {basis}"));
    let score = people_years_all(c, sc, &sel);
    let g_score = people_years_all(c, sc, &greedy);
    let mip_better =
        score > g_score + 1e-9 || (score >= g_score - 1e-9 && sel.npc(c) <= greedy_npc);
    let (sel, score) = if mip_better {
        (sel, score)
    } else {
        method.push_str("; the greedy baseline was better and is kept");
        (greedy, g_score)
    };
    let gap = if bound.is_finite() && score > 0.0 {
        Some(((bound - score) / score).max(0.0))
    } else if score <= 0.0 && bound.is_finite() && bound <= 0.0 {
        Some(0.0)
    } else {
        None
    };
    method.push_str(&format!(
        "; {score:.0} people-years (greedy baseline {g_score:.0}, {:+.2} %), upper bound {}",
        if g_score > 0.0 {
            100.0 * (score / g_score - 1.0)
        } else {
            0.0
        },
        if bound.is_finite() {
            format!("{bound:.0}")
        } else {
            "unknown".to_string()
        }
    ));
    let mut sel = sel;
    prune(c, &mut sel);
    Ok((sel, greedy_npc, gap, method, 0))
}

/// The national model: its LP relaxation for the bound, then the MIP solved whole (small
/// models) or the LP rounded and repaired. `None` when the LP does not finish in time.
#[allow(clippy::too_many_arguments)]
fn national_model(
    c: &Candidates,
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    opts: &SolveOptions<'_>,
    progress: &dyn Fn(Progress),
    regions: &[usize],
    national: &Limits,
    log: &mut SolveLog,
) -> Result<Option<(Selection, f64, String)>, PlanError> {
    let started = opts.clock.map(|f| f());
    let time_left = || match (started, opts.clock) {
        (Some(t0), Some(f)) => (opts.time_limit_s - (f() - t0)).max(0.0),
        _ => opts.time_limit_s,
    };
    let live: Vec<usize> = (0..c.targets.len())
        .filter(|&t| c.targets[t].people > 0)
        .collect();
    let fill = |sel: Selection| solve::greedy_max_people(c, inputs, sc, &live, national, sel);
    progress(Progress::stage("mip", 0, 3));
    let lp = solve::solve_mip(
        c,
        inputs,
        sc,
        regions,
        Some(national),
        Objective::MaxPeople,
        Relax::Vertex,
        None,
        None,
        opts.time_limit_s.max(1.0),
        opts,
    )?;
    log.record(&lp);
    let Some(sol) = &lp.lp else {
        return Ok(None);
    };
    // People-years are whole numbers, the NPC tie-break weighs less than half of one, and
    // HiGHS's LP optimum holds within its tolerances (1e-7).
    let lp_bound = (lp.objective + 0.5 + 1e-6 * lp.objective.abs()).floor();
    let size = format!("{} columns × {} rows", lp.columns, lp.rows);
    progress(Progress::stage("mip", 1, 3));
    if lp.columns <= opts.max_exact_columns {
        let (sel, mip_bound) = lexicographic(
            c,
            inputs,
            sc,
            opts,
            regions,
            national,
            None,
            time_left().max(0.5),
            log,
        )?;
        progress(Progress::stage("mip", 3, 3));
        let sel = fill(sel.unwrap_or_else(|| Selection::empty(c)));
        let bound = if mip_bound.is_finite() {
            lp_bound.min(mip_bound)
        } else {
            lp_bound
        };
        return Ok(Some((
            sel,
            bound,
            format!(
                "highs MIP of the national model solved whole ({size}, at most \
                 max_exact_columns {}; phased by year; most people-years, then least NPC at \
                 those people-years); upper bound: the least of its dual bound and the LP \
                 relaxation's value",
                opts.max_exact_columns
            ),
        )));
    }
    // The settlements the LP connects whole, in its year (earlier years first, so that what
    // they share is built in the first year that needs it).
    let mut picks: Vec<(usize, Choice, usize)> = sol
        .support
        .iter()
        .filter_map(|(&t, v)| match v.as_slice() {
            [(ch, yi, x)] if *x >= 1.0 - 1e-6 => Some((t, *ch, *yi)),
            _ => None,
        })
        .collect();
    picks.sort_by_key(|&(t, _, yi)| (yi, t));
    let (rounded, kept) = solve::add_picks(c, inputs, sc, national, Selection::empty(c), &picks);
    let mut best = fill(rounded.clone());
    // The repair: those fixed, the rest of the repair set free.
    let years = sc.years();
    let free = repair_set(sol, &rounded, c.targets.len());
    let n_free = free.iter().filter(|&&x| x).count();
    let mut core = free;
    let mut fixed: Vec<Option<(Choice, usize)>> = vec![None; c.targets.len()];
    for (t, ch) in rounded.choice.iter().enumerate() {
        if let Some((ch, y)) = *ch
            && let Some(yi) = years.iter().position(|&x| x == y)
        {
            fixed[t] = Some((ch, yi));
            core[t] = true;
        }
    }
    let repair = solve::solve_mip(
        c,
        inputs,
        sc,
        regions,
        Some(national),
        Objective::MaxPeople,
        Relax::No,
        Some(&core),
        Some(&fixed),
        time_left().min(0.25 * opts.time_limit_s).max(0.5),
        &SolveOptions {
            mip_rel_gap: opts.mip_rel_gap.min(1e-4),
            ..*opts
        },
    )?;
    log.record(&repair);
    let repaired = match repair.selection {
        Some(mut s) => {
            prune(c, &mut s);
            let s = fill(s);
            let gain = people_years_all(c, sc, &s) - people_years_all(c, sc, &best);
            if better(c, sc, &s, &best) {
                best = s;
            }
            format!("{gain:+.0} people-years ({})", repair.status)
        }
        None => format!("no solution ({})", repair.status),
    };
    progress(Progress::stage("mip", 3, 3));
    let prices: Vec<String> = years
        .iter()
        .zip(&sol.budget_price)
        .map(|(y, p)| format!("{y} {:.0}", p * 1e6))
        .collect();
    Ok(Some((
        best,
        lp_bound,
        format!(
            "national LP rounding ({size}, above max_exact_columns {}): the LP relaxation of \
             the whole model, solved once by HiGHS to a vertex, bounds the people-years of every \
             plan (⌊LP + ½⌋: the NPC tie-break weighs less than half a person-year); the {kept} \
             settlements it connects whole (of {} picks) keep its choice and year; a HiGHS MIP \
             over the {n_free} settlements it splits or nearly connects (least reduced cost per \
             people-year), those fixed, repairs the rest: {repaired} over the rounding; \
             what is left of each year's budget is spent greedily; least NPC is a tie-break \
             only; the LP's price of each year's budget, people-years per US$ 1 M: {}",
            opts.max_exact_columns,
            picks.len(),
            prices.join(", ")
        ),
    )))
}

/// The settlements free in the repair MIP: those the LP uses but the rounding left out, then
/// the others not rounded in by how little of their people-years their best column lacks to
/// enter the LP solution (the reduced costs of the column and of the trench and site it needs
/// that the LP does not build), up to [`REPAIR_MAX_FREE`] in all.
fn repair_set(sol: &solve::LpSolution, rounded: &Selection, n_targets: usize) -> Vec<bool> {
    let mut free = vec![false; n_targets];
    let mut order: Vec<(bool, f64, usize)> = sol
        .shortfall
        .iter()
        .filter(|&(&t, _)| rounded.choice[t].is_none())
        .map(|(&t, &lack)| (!sol.support.contains_key(&t), lack, t))
        .collect();
    order.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
    for &(_, _, t) in order.iter().take(REPAIR_MAX_FREE) {
        free[t] = true;
    }
    free
}

/// The fallback: region by region (see the module docs); `why` says why the national model was
/// not solved.
#[allow(clippy::too_many_arguments)]
fn by_region(
    c: &Candidates,
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    opts: &SolveOptions<'_>,
    progress: &dyn Fn(Progress),
    regions: &[usize],
    greedy: &Selection,
    why: &str,
    log: &mut SolveLog,
) -> Result<(Selection, f64, String), PlanError> {
    let all_targets: Vec<usize> = (0..c.targets.len()).collect();
    let national = Limits::national(sc);
    let ny = sc.years().len();
    let total_cols = solve::column_count(c, regions, ny, false).max(1);
    let time = opts.time_limit_s;
    progress(Progress::stage("mip", 0, regions.len() + 1));
    let (bound, iterations) =
        lagrangian_bound(c, inputs, sc, opts, regions, greedy, 0.35 * time, log)?;
    // Columns only for the settlements the greedy connects and as many again of the best
    // others by people per stand-alone charge (plus 50 per region).
    let core = solve::core_targets(c, sc, greedy, 50 * regions.len());
    // Each region gets what the greedy baseline spends and builds there, so its MIP starts
    // from a share it can at least match; what it saves goes back to the national pot.
    let usage = solve::usage(c, inputs, sc, greedy);
    let shares = lp_shares(c, sc, &national, &usage, regions);
    let rest = (time - 0.35 * time).max(0.0);
    // With a clock, the time a region leaves unused passes on to the regions after it.
    let region_start = opts.clock.map(|f| f());
    let mut cols_done = 0usize;
    let mut out = Selection::empty(c);
    let mut kept_greedy = 0usize;
    for (i, &r) in regions.iter().enumerate() {
        progress(Progress::stage("mip", i + 1, regions.len() + 1));
        let cols = solve::column_count(c, &[r], ny, false);
        let limit = match (region_start, opts.clock) {
            (Some(t0), Some(f)) => {
                let left = (rest - (f() - t0)).max(0.0);
                left * cols as f64 / (total_cols - cols_done).max(1) as f64
            }
            _ => rest * cols as f64 / total_cols as f64,
        };
        cols_done += cols;
        let Some(lim) = shares.get(&r) else { continue };
        let targets = &c.regions[r].targets;
        let g_score = people_years(c, sc, greedy, targets);
        let best = match lexicographic(
            c,
            inputs,
            sc,
            opts,
            &[r],
            lim,
            Some(&core),
            limit.max(0.5),
            log,
        )? {
            (Some(s), _)
                if people_years(c, sc, &s, targets) > g_score + 1e-9
                    || (people_years(c, sc, &s, targets) >= g_score - 1e-9
                        && region_dnpc(c, &s, &[r]) <= region_dnpc(c, greedy, &[r])) =>
            {
                s
            }
            _ => {
                kept_greedy += 1;
                greedy.clone()
            }
        };
        copy_regions(c, &best, &mut out, &[r]);
    }
    let how = format!(
        "each region gets the budget and build capacity of each year that the greedy \
         baseline uses there; the greedy region is kept in {kept_greedy} of {} regions where \
         the solver's incumbent was not better; each region's model has columns only for \
         the {} settlements the greedy connects or that come next by people per stand-alone \
         charge; the bound is Lagrangian (budgets priced out, capacities dropped, region LPs \
         over every settlement; best of {iterations} prices{})",
        regions.len(),
        core.iter().filter(|&&x| x).count(),
        if bound.is_finite() {
            ""
        } else {
            ": no LP finished in its time, gap unknown"
        }
    );
    // What the regions left of each year's budget and capacity, spent greedily.
    let out = solve::greedy_max_people(c, inputs, sc, &all_targets, &national, out);
    progress(Progress::stage("mip", regions.len() + 1, regions.len() + 1));
    Ok((
        out,
        bound,
        format!(
            "highs MIP by region ({} regions, because {why}: {how}; what the regions leave of a \
             year's budget is spent greedily; most people-years, then least NPC at those \
             people-years)",
            regions.len(),
        ),
    ))
}

/// Lexicographic `max_people` over `regions`: most people-years, then least discounted NPC at
/// those people-years. Returns the selection (if any) and the upper bound on people-years.
#[allow(clippy::too_many_arguments)]
fn lexicographic(
    c: &Candidates,
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    opts: &SolveOptions<'_>,
    regions: &[usize],
    limits: &Limits,
    core: Option<&[bool]>,
    time_s: f64,
    log: &mut SolveLog,
) -> Result<(Option<Selection>, f64), PlanError> {
    let targets: Vec<usize> = regions
        .iter()
        .flat_map(|&r| c.regions[r].targets.iter().copied())
        .collect();
    let first = solve::solve_mip(
        c,
        inputs,
        sc,
        regions,
        Some(limits),
        Objective::MaxPeople,
        solve::Relax::No,
        core,
        None,
        (0.6 * time_s).max(0.3),
        opts,
    )?;
    log.record(&first);
    // The objective is people-years minus a tie-break worth less than half of one, and
    // people-years are whole numbers.
    let bound = if first.bound.is_finite() {
        (first.bound + 0.5).floor()
    } else {
        f64::NAN
    };
    let Some(mut s1) = first.selection else {
        return Ok((None, bound));
    };
    prune(c, &mut s1);
    let p1 = people_years(c, sc, &s1, &targets);
    if p1 <= 0.0 {
        return Ok((Some(s1), bound));
    }
    let second = solve::solve_mip(
        c,
        inputs,
        sc,
        regions,
        Some(limits),
        Objective::MinCostAtPeople(p1),
        solve::Relax::No,
        core,
        None,
        (0.4 * time_s).max(0.2),
        opts,
    )?;
    log.record(&second);
    if let Some(mut s2) = second.selection {
        prune(c, &mut s2);
        if people_years(c, sc, &s2, &targets) >= p1 - 1e-9 && s2.npc(c) <= s1.npc(c) {
            return Ok((Some(s2), bound));
        }
    }
    Ok((Some(s1), bound))
}

/// An upper bound on the people-years of any plan: with each year's budget priced (people-years
/// per USD) and the build capacities dropped, the regions separate; the sum of their LP values
/// plus the prices times the budgets bounds the MIP (weak duality). Each year's price starts at
/// the people-years per budget dollar the greedy baseline gets in that year and moves
/// multiplicatively on its subgradient (budget the LPs use against the budget); the least bound
/// is kept. Returns the bound (NaN when no step finished) and the steps taken.
#[allow(clippy::too_many_arguments)]
fn lagrangian_bound(
    c: &Candidates,
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    opts: &SolveOptions<'_>,
    regions: &[usize],
    greedy: &Selection,
    time_s: f64,
    log: &mut SolveLog,
) -> Result<(f64, usize), PlanError> {
    // A fixed number of steps, whatever the clock says, so that the same inputs give the same
    // bound (the LPs solve well inside their limits).
    const STEPS: usize = 5;
    let years = sc.years();
    let ny = years.len().min(solve::MAX_PLAN_YEARS);
    let budgets: Vec<f64> = years.iter().map(|&y| sc.budget_usd(y)).collect();
    let total_cols = solve::column_count(c, regions, ny, false).max(1);
    let mut price = [0.0f64; solve::MAX_PLAN_YEARS];
    for (yi, &y) in years.iter().enumerate().take(ny) {
        let py: f64 = greedy
            .choice
            .iter()
            .enumerate()
            .filter_map(|(t, ch)| {
                ch.filter(|&(_, yy)| yy == y)
                    .map(|_| c.targets[t].people as f64 * (ny - yi) as f64)
            })
            .sum();
        price[yi] = py.max(1.0) / budgets[yi].max(1.0);
    }
    let mut best = f64::INFINITY;
    let mut steps = 0;
    for step in 0..STEPS {
        let mut total = 0.0;
        let mut used = vec![0.0; ny];
        let mut ok = true;
        for &r in regions {
            let cols = solve::column_count(c, &[r], ny, false);
            // At least 5 s each: a region LP is small, but the machine may be shared.
            let limit = (time_s / STEPS as f64 * cols as f64 / total_cols as f64).max(5.0);
            let res = solve::solve_mip(
                c,
                inputs,
                sc,
                &[r],
                None,
                Objective::Lagrangian(price),
                solve::Relax::Interior,
                None,
                None,
                limit,
                opts,
            )?;
            log.record(&res);
            match &res.lp_use {
                Some(u) => {
                    total += res.objective;
                    for (&(_, yi), v) in &u.budget {
                        if yi < ny {
                            used[yi] += v;
                        }
                    }
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            break;
        }
        steps += 1;
        let value = total + (0..ny).map(|yi| price[yi] * budgets[yi]).sum::<f64>();
        best = best.min(value);
        // Smaller steps as it goes.
        let alpha = 0.8 / (1.0 + step as f64 * 0.5);
        for yi in 0..ny {
            let ratio = if budgets[yi] <= 0.0 {
                4.0
            } else if used[yi] <= 0.0 {
                0.25
            } else {
                (used[yi] / budgets[yi]).clamp(0.25, 4.0)
            };
            price[yi] *= ratio.powf(alpha);
        }
    }
    Ok((
        if best.is_finite() {
            best.floor()
        } else {
            f64::NAN
        },
        steps,
    ))
}

/// A region's share of the shared limits, from how a solution (the greedy baseline) uses them.
/// Finite build capacities are shared by whole settlements (largest remainder).
fn lp_shares(
    c: &Candidates,
    sc: &Scenario,
    national: &Limits,
    lp: &solve::LpUse,
    regions: &[usize],
) -> BTreeMap<usize, Limits> {
    let ny = national.budget_usd.len();
    let mut out: BTreeMap<usize, Limits> = regions
        .iter()
        .map(|&r| {
            let budget_usd = (0..ny)
                .map(|yi| lp.budget.get(&(r, yi)).copied().unwrap_or(0.0) * (1.0 + 1e-9))
                .collect();
            (
                r,
                Limits {
                    budget_usd,
                    pool_cap: BTreeMap::new(),
                    regional: true,
                },
            )
        })
        .collect();
    let pools: std::collections::BTreeSet<&String> = lp.pools.keys().map(|k| &k.0).collect();
    for pool in pools {
        if solve::capacity_of(sc, pool).is_infinite() {
            continue;
        }
        for yi in 0..ny {
            let cap = national.operator_cap(sc, pool, yi);
            let used: Vec<(usize, f64)> = regions
                .iter()
                .map(|&r| {
                    (
                        r,
                        lp.pools.get(&(pool.clone(), r, yi)).copied().unwrap_or(0.0),
                    )
                })
                .collect();
            let total: f64 = used.iter().map(|x| x.1).sum();
            let mut whole: Vec<(usize, f64, f64)> = used
                .iter()
                .map(|&(r, u)| (r, (u + 1e-6).floor(), u - (u + 1e-6).floor()))
                .collect();
            let mut left =
                ((total.min(cap) + 1e-6).floor() - whole.iter().map(|x| x.1).sum::<f64>()).max(0.0);
            whole.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
            for w in &mut whole {
                if left >= 1.0 && w.2 > 1e-6 {
                    w.1 += 1.0;
                    left -= 1.0;
                }
            }
            for (r, n, _) in whole {
                if let Some(l) = out.get_mut(&r) {
                    l.pool_cap
                        .entry(pool.clone())
                        .or_insert_with(|| vec![0.0; ny])[yi] = n;
                }
            }
        }
    }
    let _ = c;
    out
}
