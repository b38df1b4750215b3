//! Planning: the least-cost way to bring broadband to each target settlement, what to build
//! where and when, and how many people each year's budget reaches.
//!
//! The entry point is [`plan`]: registry layers ([`PlanInputs`]), a [`Scenario`] of sourced
//! assumptions, and [`SolveOptions`] (solver time limit, gap, clock and progress as arguments, so
//! the same inputs give the same plan) in; an [`auyl_model::Plan`] out. In order:
//!
//! 1. the backbone: the registry's nodes, or PoPs assumed at district and regional centres
//!    ([`infra::assume_pops`], flagged);
//! 2. the options of every target (details in the private `candidates` module): fibre along per-region
//!    Steiner forests over the road graph, LTE from existing or new masts (ITM over the DEM, or
//!    Hata without one), point-to-point microwave chains that pass the Fresnel check, satellite;
//! 3. the choice: a greedy baseline, then a mixed-integer programme solved by HiGHS, region by
//!    region in `min_cost` (regions are independent by construction); in `max_people` (most
//!    people-years, then least NPC) the LP relaxation of the national model bounds the
//!    people-years, and the national MIP is solved whole when small
//!    ([`SolveOptions::max_exact_columns`]), else the LP is rounded and repaired by a small MIP
//!    (details in the private `max_people` module); only a model above
//!    [`SolveOptions::max_national_columns`] is solved region by region;
//! 4. phasing (`min_cost`: by people per dollar within the build capacities and budgets), cost
//!    attribution (shared trenches and masts split by people), reasons and assumptions.

mod candidates;
pub mod infra;
mod max_people;
mod output;
pub mod scenario;
mod solve;

pub use infra::assume_pops;
pub use scenario::{BudgetBasis, Lifetimes, Mode, Scenario, ScenarioError};

use auyl_model::{
    AdminArea, BackboneNode, Mast, Organisation, Plan, PowerSource, Road, Settlement,
};
use auyl_network::{Budget, NetworkError, Unlimited};
use thiserror::Error;

/// The registry layers a plan reads. Slices may be empty (no masts, no power sources…).
#[derive(Clone, Copy)]
pub struct PlanInputs<'a> {
    /// Settlements (populations should already be estimated where missing:
    /// `auyl_model::estimate_missing_population`; a missing one counts as 0 people).
    pub settlements: &'a [Settlement],
    /// Administrative areas (for reports; regions come from the settlements' codes).
    pub areas: &'a [AdminArea],
    /// Existing backbone nodes; empty → PoPs assumed at district and regional centres.
    pub nodes: &'a [BackboneNode],
    /// Existing masts (reused when they cover a target).
    pub masts: &'a [Mast],
    /// Power plants and substations (grid extension for sites off the village grid).
    pub power: &'a [PowerSource],
    /// Roads (the fibre routes follow them).
    pub roads: &'a [Road],
    /// Operators and akimats (names the responsible akimat of each settlement).
    pub organisations: &'a [Organisation],
    /// The DEM, if any: without it coverage uses Hata over flat earth (flagged).
    pub terrain: Option<&'a auyl_terrain::DemSet>,
}

impl<'a> PlanInputs<'a> {
    /// The inputs from registry layers loaded whole (`auyl_store::Store::load_layers`).
    pub fn from_registry(
        reg: &'a auyl_model::RegistryLayers,
        terrain: Option<&'a auyl_terrain::DemSet>,
    ) -> PlanInputs<'a> {
        PlanInputs {
            settlements: &reg.settlements,
            areas: &reg.areas,
            nodes: &reg.nodes,
            masts: &reg.masts,
            power: &reg.power,
            roads: &reg.roads,
            organisations: &reg.organisations,
            terrain,
        }
    }
}

/// How hard to try, and the outside world the planner must not read by itself.
#[derive(Clone, Copy)]
pub struct SolveOptions<'a> {
    /// Time limit of all HiGHS runs together, seconds (shared out by model size).
    pub time_limit_s: f64,
    /// Relative optimality gap at which HiGHS stops (0.005 = 0.5 %).
    pub mip_rel_gap: f64,
    /// Solver threads.
    pub threads: u32,
    /// `max_people`: largest national model (columns over the plan years, settlements with
    /// people only) whose LP relaxation is solved for the bound and rounded; above it the
    /// regions are solved apart (a fallback, said so in the plan's method).
    pub max_national_columns: usize,
    /// `max_people`: largest national model solved whole as a MIP (most people-years, then
    /// least NPC); above it the LP relaxation is rounded and repaired by a smaller MIP.
    pub max_exact_columns: usize,
    /// Keep at most this many covering sites per settlement (best path loss first; its own
    /// centre site is always kept).
    pub max_sites_per_settlement: usize,
    /// Time budget of the Steiner routing (per region).
    pub routing_budget: &'a (dyn Budget + Sync),
    /// `min_cost`: route the fibre again to the settlements the plan puts on fibre, plan again
    /// and keep the cheaper (the forests are first routed to every target).
    pub reroute_fibre: bool,
    /// Seconds since any fixed instant; only used to report solver time.
    pub clock: Option<&'a dyn Fn() -> f64>,
}

impl Default for SolveOptions<'static> {
    fn default() -> Self {
        SolveOptions {
            time_limit_s: 50.0,
            mip_rel_gap: 0.005,
            threads: 1,
            max_national_columns: 1_000_000,
            max_exact_columns: 5_000,
            max_sites_per_settlement: 6,
            routing_budget: &Unlimited,
            reroute_fibre: true,
            clock: None,
        }
    }
}

/// The stages a plan reports progress in, in their order.
pub const STAGES: [&str; 8] = [
    "targets",
    "fibre routes",
    "village options",
    "coverage",
    "greedy",
    "mip",
    "phasing",
    "output",
];

/// Progress of a plan: a stage name and how far it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// One of [`STAGES`].
    pub stage: &'static str,
    /// Units done.
    pub done: usize,
    /// Units in the stage.
    pub total: usize,
}

impl Progress {
    pub(crate) fn stage(stage: &'static str, done: usize, total: usize) -> Progress {
        debug_assert!(STAGES.contains(&stage), "undeclared stage {stage}");
        Progress { stage, done, total }
    }
}

/// Why no plan could be made.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The scenario is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Building the road graph or routing failed.
    #[error("fibre routing: {0}")]
    Network(#[from] NetworkError),
    /// The solver failed (not: stopped at its time limit, which still gives a plan).
    #[error("solver: {0}")]
    Solver(String),
    /// The inputs cannot be planned.
    #[error("invalid input: {0}")]
    Input(String),
}

/// Plans with the greedy baseline and the MIP (see the crate docs) and returns the better.
///
/// # Errors
/// [`PlanError`] for an invalid scenario, a road graph that cannot be built, or a solver
/// failure. An unaffordable budget is not an error: the settlements it cannot reach are
/// listed in [`Plan::unserved`] with the reason.
pub fn plan(
    inputs: &PlanInputs<'_>,
    scenario: &Scenario,
    opts: &SolveOptions<'_>,
    progress: &dyn Fn(Progress),
) -> Result<Plan, PlanError> {
    run(inputs, scenario, opts, progress, true)
}

/// The greedy baseline alone (no solver), as a plan.
///
/// # Errors
/// As [`plan`], without solver errors.
pub fn greedy(
    inputs: &PlanInputs<'_>,
    scenario: &Scenario,
    opts: &SolveOptions<'_>,
    progress: &dyn Fn(Progress),
) -> Result<Plan, PlanError> {
    run(inputs, scenario, opts, progress, false)
}

/// The forests were routed to every target; once the plan knows which settlements end on fibre
/// (their own fibre, or a site's fibre backhaul at its host), route again to those alone and
/// plan again over the new forests; keep the cheaper plan. The greedy baseline stays the one
/// over every target.
fn reroute(
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    opts: &SolveOptions<'_>,
    progress: &dyn Fn(Progress),
    pops: Vec<BackboneNode>,
    cands: candidates::Candidates,
    solved: output::Solved,
) -> Result<(candidates::Candidates, output::Solved), PlanError> {
    let mut mask = vec![false; inputs.settlements.len()];
    let mut any = false;
    for (t, ch) in solved.sel.choice.iter().enumerate() {
        let on_fibre = match ch {
            Some((solve::Choice::Own(o), _)) => {
                cands.own[t][*o].tech == auyl_model::Technology::Fibre
            }
            _ => false,
        };
        if on_fibre {
            mask[cands.targets[t].s] = true;
            any = true;
        }
    }
    for (k, site) in solved.sel.site.iter().enumerate() {
        if let Some((v, _)) = site
            && matches!(
                cands.sites[k].variants[*v].backhaul,
                candidates::SiteBackhaul::Fibre { .. }
            )
            && let Some(h) = cands.sites[k].host
        {
            mask[cands.targets[h].s] = true;
            any = true;
        }
    }
    if !any {
        return Ok((cands, solved));
    }
    let second = candidates::build_with(
        inputs,
        sc,
        pops,
        opts.routing_budget,
        opts.max_sites_per_settlement.max(1),
        Some(&mask),
        progress,
    )?;
    let mut again = output::choose(&second, inputs, sc, opts, progress, true)?;
    let before = solved.sel.npc(&cands);
    let after = again.sel.npc(&second);
    // The targets are the same in both (they are chosen before routing).
    let served = |s: &output::Solved| s.sel.choice.iter().filter(|x| x.is_some()).count();
    if after < before && served(&again) == served(&solved) {
        again.greedy_npc = solved.greedy_npc;
        // Solver time of both plannings.
        again.solve_s = match (solved.solve_s, again.solve_s) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        again.method = format!(
            "{}; fibre re-routed to the {} settlements on fibre and planned again: NPC {:.0} → {:.0} USD",
            again.method,
            mask.iter().filter(|&&m| m).count(),
            before,
            after
        );
        Ok((second, again))
    } else {
        let mut solved = solved;
        solved.method = format!(
            "{}; fibre re-routed to the settlements on fibre was not cheaper ({:.0} vs {:.0} USD) and is not used",
            solved.method, after, before
        );
        Ok((cands, solved))
    }
}

fn run(
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    opts: &SolveOptions<'_>,
    progress: &dyn Fn(Progress),
    optimise: bool,
) -> Result<Plan, PlanError> {
    sc.validate("scenario")?;
    if !(opts.time_limit_s.is_finite() && opts.time_limit_s >= 0.0) {
        return Err(PlanError::Input(format!(
            "time limit {} s must be finite and ≥ 0",
            opts.time_limit_s
        )));
    }
    if !(opts.mip_rel_gap.is_finite() && opts.mip_rel_gap >= 0.0) {
        return Err(PlanError::Input(format!(
            "MIP gap {} must be finite and ≥ 0",
            opts.mip_rel_gap
        )));
    }
    let mut notes = Vec::new();
    let pops: Vec<BackboneNode> = if inputs.nodes.is_empty() {
        let (nodes, note) = assume_pops(inputs.settlements, &sc.operators.fibre);
        notes.push(note);
        nodes
    } else {
        inputs.nodes.to_vec()
    };
    // A budget-limited plan gains nothing by connecting a settlement without people: the fibre
    // forests of `max_people` are routed to the settlements with people only (the others get
    // fibre only where a route passes them), which also spares most of the routing.
    let with_people: Option<Vec<bool>> = (sc.mode == Mode::MaxPeople)
        .then(|| {
            inputs
                .settlements
                .iter()
                .map(|s| s.population.as_ref().is_some_and(|p| p.people > 0))
                .collect::<Vec<bool>>()
        })
        .filter(|m| m.iter().any(|&x| x) && !m.iter().all(|&x| x));
    if let Some(m) = &with_people {
        notes.push(format!(
            "max_people: fibre routed to the {} settlements with people only; the {} with no \
             people recorded (no count, or 0) count 0 people and get fibre only where a route \
             passes them",
            m.iter().filter(|&&x| x).count(),
            m.iter().filter(|&&x| !x).count()
        ));
    }
    let cands = candidates::build_with(
        inputs,
        sc,
        pops.clone(),
        opts.routing_budget,
        opts.max_sites_per_settlement.max(1),
        with_people.as_deref(),
        progress,
    )?;
    let solved = output::choose(&cands, inputs, sc, opts, progress, optimise)?;
    // The notes of the first build: they speak of every target.
    notes.extend(cands.notes.iter().cloned());
    let (cands, solved) = if optimise && opts.reroute_fibre && sc.mode == Mode::MinCost {
        reroute(inputs, sc, opts, progress, pops, cands, solved)?
    } else {
        (cands, solved)
    };
    progress(Progress::stage("output", 0, 1));
    let plan = output::assemble(&cands, inputs, sc, solved, notes);
    progress(Progress::stage("output", 1, 1));
    Ok(plan)
}

#[cfg(test)]
mod testutil;

#[cfg(test)]
mod tests;
