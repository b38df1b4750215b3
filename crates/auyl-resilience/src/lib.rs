//! Resilience of a broadband network: which elements are single points of failure, who loses
//! service in a failure scenario and for how long, and the cheapest redundancy that protects them.
//!
//! - [`model`]: the [`NetworkModel`] of failure elements (core nodes, PoPs, fibre segments, masts,
//!   microwave relays and links, settlement access, power supplies with battery hours), built
//!   from parts or from the registry and a plan ([`build::from_plan`]).
//! - [`spof`]: every element's single-failure impact at once, from a dominator tree
//!   ([`spof::single_failures`]), and the brute-force reference ([`spof::brute_force`]).
//! - [`scenario`]: several failures over time: a region's power cut outlasting batteries, a flood
//!   or fire polygon, k random failures (Monte Carlo, seeded, 95 % confidence interval).
//! - [`analysis`]: one network analysed once and asked many questions (impacts over a part of
//!   the settlements, what an element cuts off, which failures cut a settlement off, who is at
//!   risk, the summary a report shows): what the server caches.
//! - [`redundancy`]: the cheapest ring closures, backup microwave hops and batteries keeping every
//!   settlement above a population connected after any single failure, with a cost versus
//!   people-protected curve and a lower bound.
//!
//! Algorithms are pure: no clock, no files, randomness only from a caller's seed.
//!
//! Glossary: *cut off* — no path of working nodes and links from the settlement's access node to
//! a working core node; *single point of failure* — an element whose failure alone cuts someone
//! off; *failure group* — the nodes a power supply takes down with it.

pub mod analysis;
pub mod build;
pub mod error;
pub mod model;
pub mod redundancy;
pub mod scenario;
pub mod spof;

pub use analysis::{Analysis, SettlementRisk};
pub use build::{LAYERS, ModelOptions, Registry, from_plan, network};
pub use error::{ResilienceError, Result};
pub use model::{Demand, Element, ElementKind, NetworkModel, Role};
pub use redundancy::{RedundancyOptions, RedundancyPlan, apply, propose};
pub use scenario::{
    MonteCarloOptions, Outage, RepairTimes, ScenarioResult, evaluate, hazard, monte_carlo,
    power_outage,
};
pub use spof::{DominatorTree, Impact, SpofReport, brute_force, single_failures};
