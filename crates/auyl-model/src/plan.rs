//! A plan: how each target settlement gets broadband, what is built where, by whom, when, at what
//! cost. `auyl-plan` produces it, `auyl-store` keeps it as a versioned scenario, `auyl-track`
//! turns it into works and `auyl-resilience` into a network to stress.
//!
//! These are plain data: the planner's reasoning stays in `auyl-plan`, but everything a reader of
//! the plan needs to trust it (the option chosen, its cost split, why, what was assumed) is here.

use crate::{Id, LonLat, Technology};
use geo_types::LineString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a planned element gets electricity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PowerSupply {
    /// Connected to the grid at an existing substation or line.
    Grid {
        /// New power line to build, metres (0 when the site is already powered).
        extension_m: f64,
        /// Battery autonomy when the grid fails, hours (0 = none).
        battery_h: f64,
    },
    /// Off-grid solar panels and batteries.
    SolarBattery {
        /// Battery autonomy without sun, hours.
        battery_h: f64,
    },
}

impl PowerSupply {
    /// Hours the element keeps running when its primary supply (grid or sun) is gone.
    pub fn battery_h(&self) -> f64 {
        match *self {
            PowerSupply::Grid { battery_h, .. } | PowerSupply::SolarBattery { battery_h } => {
                battery_h
            }
        }
    }
}

/// How a mast reaches the backbone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Backhaul {
    /// A fibre branch of the plan (or an existing fibre node on site).
    Fibre {
        /// The planned route, if one is built for it.
        route_id: Option<Id>,
    },
    /// A chain of microwave hops (ids of [`PlannedHop`]s, from the site towards the backbone).
    Microwave {
        /// Hops in order from the site to the fibre point.
        hop_ids: Vec<Id>,
    },
    /// A satellite terminal at the site.
    Satellite,
}

/// Whether a site exists or is to be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteStatus {
    /// An existing mast in the registry (may need new equipment only).
    Existing,
    /// A new mast to build (land allotment, power, construction).
    New,
}

/// A radio site of the plan: an existing mast reused or a new mast built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedSite {
    /// Stable id within the plan (`site:…`), or the registry id of the existing mast.
    pub id: Id,
    /// Where.
    pub location: LonLat,
    /// Antenna height above ground, metres.
    pub height_m: f64,
    /// Ground elevation, metres above sea level (from the DEM).
    pub ground_m: f64,
    /// Existing or new.
    pub status: SiteStatus,
    /// Access technology it radiates (normally LTE).
    pub technology: Technology,
    /// Power.
    pub power: PowerSupply,
    /// Backhaul.
    pub backhaul: Backhaul,
    /// Settlements it serves.
    pub serves: Vec<Id>,
    /// Organisation that builds and runs it.
    pub operator_id: Option<Id>,
    /// Capital cost, US dollars.
    pub capex_usd: f64,
    /// Yearly operating cost, US dollars per year.
    pub opex_usd_per_year: f64,
    /// Year it is built (phasing).
    pub year: i32,
}

/// A microwave hop of the plan (backhaul or point-to-point access).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedHop {
    /// Stable id within the plan.
    pub id: Id,
    /// End A (towards the settlement or site).
    pub a: LonLat,
    /// End B (towards the backbone).
    pub b: LonLat,
    /// Antenna heights above ground at A and B, metres.
    pub heights_m: (f64, f64),
    /// Path length, metres.
    pub distance_m: f64,
    /// Worst first-Fresnel-zone clearance along the path, percent of F1 (≥ 60 passes).
    pub clearance_pct_f1: f64,
    /// Frequency, MHz.
    pub freq_mhz: f64,
    /// Capital cost, US dollars.
    pub capex_usd: f64,
    /// Year built.
    pub year: i32,
}

/// A fibre route (one branch of a Steiner tree from a backbone node) of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedRoute {
    /// Stable id within the plan.
    pub id: Id,
    /// Backbone node (point of presence) it starts from.
    pub from_node_id: Id,
    /// Geometry (WGS84).
    pub geometry: LineString<f64>,
    /// Length by cost class (`trench_paved`, `trench_unpaved`, `aerial`, `last_mile_approx`…), metres.
    pub length_m_by_class: BTreeMap<String, f64>,
    /// Metres that follow the documented last-mile approximation rather than a real road.
    pub approximated_m: f64,
    /// Settlements it serves (fibre to the village, or backhaul of a site).
    pub serves: Vec<Id>,
    /// Organisation that builds it.
    pub operator_id: Option<Id>,
    /// Capital cost, US dollars.
    pub capex_usd: f64,
    /// Year built.
    pub year: i32,
}

/// What the plan decides for one target settlement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettlementPlan {
    /// The settlement (registry id).
    pub settlement_id: Id,
    /// Access technology chosen (fibre, LTE, microwave, satellite).
    pub technology: Technology,
    /// People it connects (population, or the estimate, at the plan's base year).
    pub people: u64,
    /// Demand at the busy hour, Mbps.
    pub demand_mbps: f64,
    /// Capacity the chosen option provides, Mbps.
    pub capacity_mbps: f64,
    /// The radio site serving it (LTE), if any.
    pub site_id: Option<Id>,
    /// The fibre route serving it (fibre, or the backhaul of its site), if any.
    pub route_id: Option<Id>,
    /// Microwave hops serving it (point-to-point access), if any.
    pub hop_ids: Vec<Id>,
    /// Responsible operator.
    pub operator_id: Option<Id>,
    /// Akimat responsible for land and electricity, if new land or power is needed.
    pub akimat_id: Option<Id>,
    /// Land must be allotted (new mast or line).
    pub needs_land: bool,
    /// Electricity must be brought (grid extension or a new supply).
    pub needs_power: bool,
    /// Year connected (phasing).
    pub year: i32,
    /// Capital cost attributed to this settlement (shared elements split by people), US dollars.
    pub capex_usd: f64,
    /// Yearly operating cost attributed to it, US dollars per year.
    pub opex_usd_per_year: f64,
    /// Why this option: the runner-up and its cost, or the constraint that decided.
    pub reason: String,
    /// Inputs that were assumed rather than known (e.g. `assumed PoP at district centre`).
    pub assumptions: Vec<String>,
}

/// A target settlement the plan cannot serve, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unserved {
    /// The settlement.
    pub settlement_id: Id,
    /// People left without service.
    pub people: u64,
    /// Why (no option within the budget, no feasible option, …).
    pub reason: String,
}

/// Totals a plan reports, for comparison and for the published programme figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanTotals {
    /// Settlements served, by technology (`fibre`, `lte`, …).
    pub settlements_by_technology: BTreeMap<String, u64>,
    /// People connected, by technology.
    pub people_by_technology: BTreeMap<String, u64>,
    /// Capital cost, by technology, US dollars.
    pub capex_usd_by_technology: BTreeMap<String, f64>,
    /// People newly connected in each year.
    pub people_by_year: BTreeMap<i32, u64>,
    /// Capital spent in each year, US dollars.
    pub capex_usd_by_year: BTreeMap<i32, f64>,
    /// Total capital cost, US dollars.
    pub capex_usd: f64,
    /// Net present cost over the horizon (capex + discounted opex), US dollars.
    pub npc_usd: f64,
    /// Fibre to build, metres.
    pub fibre_m: f64,
    /// New masts.
    pub new_masts: u64,
    /// Microwave hops.
    pub microwave_hops: u64,
    /// The optimality gap of the solution, fraction (0.01 = 1 %), when an optimiser ran.
    pub gap: Option<f64>,
    /// Cost of the greedy baseline computed in the same run, US dollars (same objective).
    pub greedy_npc_usd: Option<f64>,
    /// Solver wall time, seconds.
    pub solve_s: Option<f64>,
    /// How it was solved (`highs MIP`, `highs MIP by region`, `heuristic: …`).
    pub method: String,
}

/// A complete plan: one scenario's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Scenario name (`central`, `low-cost`, …).
    pub scenario: String,
    /// Planning mode (`min_cost` or `max_people`).
    pub mode: String,
    /// Base year (first year of the plan).
    pub base_year: i32,
    /// Decision per served settlement.
    pub settlements: Vec<SettlementPlan>,
    /// Target settlements left unserved, with the reason.
    pub unserved: Vec<Unserved>,
    /// Radio sites (existing reused and new).
    pub sites: Vec<PlannedSite>,
    /// Fibre routes.
    pub routes: Vec<PlannedRoute>,
    /// Microwave hops.
    pub hops: Vec<PlannedHop>,
    /// Totals.
    pub totals: PlanTotals,
    /// Assumptions that apply to the whole plan (e.g. `backbone PoPs assumed at district centres`).
    pub assumptions: Vec<String>,
}

impl Plan {
    /// The totals two plans are compared by, by name: `capex_usd`, `npc_usd`, `fibre_km`,
    /// `new_masts`, `microwave_hops`, `settlements_served`, `people_connected` and
    /// `settlements_{technology}` for each technology used.
    pub fn comparable_totals(&self) -> BTreeMap<String, f64> {
        let mut m = BTreeMap::new();
        m.insert("capex_usd".to_string(), self.totals.capex_usd);
        m.insert("npc_usd".to_string(), self.totals.npc_usd);
        m.insert("fibre_km".to_string(), self.totals.fibre_m / 1000.0);
        m.insert("new_masts".to_string(), self.totals.new_masts as f64);
        m.insert(
            "microwave_hops".to_string(),
            self.totals.microwave_hops as f64,
        );
        m.insert(
            "settlements_served".to_string(),
            self.settlements.len() as f64,
        );
        m.insert(
            "people_connected".to_string(),
            self.settlements.iter().map(|s| s.people as f64).sum(),
        );
        for (k, v) in &self.totals.settlements_by_technology {
            m.insert(format!("settlements_{k}"), *v as f64);
        }
        m
    }
}
