//! The domain model of auyl: what the registry holds and the vocabulary every other crate speaks.
//!
//! This crate is the bottom of the dependency graph. It has no I/O, no clock, no database and no
//! async: only types, their validation, and small pure algorithms over them (point-in-polygon
//! assignment of settlements to administrative areas, transparent population estimates).
//!
//! # Glossary
//! - **Settlement** (*auyl*, *село*): a populated place, the unit the programme connects.
//! - **Akimat**: the regional or district administration; allots land for masts and lines and
//!   brings electricity. Modelled as an [`Organisation`] of kind [`OrgKind::Akimat`].
//! - **KATO**: Kazakhstan's classifier of administrative-territorial objects; the official code of
//!   regions, districts and settlements, kept in `official_code`.
//! - **Region** (*oblast*) and **district** (*rayon*, *audan*): the two levels of [`AdminArea`].
//! - **PoP**: a point of presence of a backbone (fibre) network, a [`BackboneNode`].
//! - **LoS**: line of sight; **SPOF**: single point of failure (see the radio and resilience crates).
//!
//! # Conventions
//! WGS84 longitude/latitude in degrees at the edges ([`LonLat`]); SI units inside; every quantity
//! carries its unit in its name (`height_m`, `capacity_mw`, `cost_usd`).
//!
//! ```
//! use auyl_model::LonLat;
//! let almaty = LonLat::new(76.9286, 43.2567).unwrap();
//! let astana = LonLat::new(71.4460, 51.1801).unwrap();
//! let d_km = almaty.haversine_distance_m(astana) / 1000.0;
//! assert!((d_km - 970.0).abs() < 10.0);
//! ```

mod admin;
mod grid;
mod ids;
mod infra;
mod layer;
mod lonlat;
mod org;
pub mod plan;
mod population;
pub mod record;
pub mod risk;
mod settlement;
mod summary;

pub use admin::{AdminArea, AreaAssignment, AreaIndex, AreaLevel, assign_areas};
pub use grid::GeoGrid;
pub use ids::Id;
pub use infra::{
    BackboneNode, FibreRoute, Mast, NodeKind, PowerKind, PowerSource, Road, Technology,
};
pub use layer::Layer;
pub use lonlat::{LonLat, LonLatError};
pub use org::{OrgKind, Organisation};
pub use plan::{
    Backhaul, Plan, PlanTotals, PlannedHop, PlannedRoute, PlannedSite, PowerSupply, SettlementPlan,
    SiteStatus, Unserved,
};
pub use population::{PopulationEstimate, estimate_missing_population};
pub use record::{FieldError, FieldSpec, FieldType, GeometryKind, Record, RegistryLayers, Value};
pub use risk::{RegionRisk, RiskElement, RiskSummary};
pub use settlement::{Names, Population, Settlement, SettlementKind};
pub use summary::{
    LayerCounts, ProgrammeTargets, RegionSummary, RegistrySummary, summarise, thousands,
};
