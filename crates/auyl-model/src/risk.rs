//! The resilience figures a report shows: the worst single points of failure of a network and
//! the people at risk by region. Computed by `auyl-resilience`, written by `auyl-io` (the weekly
//! report), so neither needs the other.

use serde::{Deserialize, Serialize};

/// One single point of failure: an element whose failure alone cuts settlements off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskElement {
    /// Element id (a registry or plan id, or a derived one such as `route#2`).
    pub id: String,
    /// Its kind (`pop`, `fibre_segment`, `mast`, `power_grid`, …).
    pub kind: String,
    /// Settlements it cuts off.
    pub settlements: u64,
    /// People in them.
    pub people: u64,
    /// Region codes of the settlements it cuts off (most people first).
    pub regions: Vec<String>,
    /// For power supplies: hours the batteries of what it feeds bridge (nobody is cut off
    /// before); `None` for nodes and links.
    pub after_h: Option<f64>,
    /// True when the element (or how it is joined) is an assumption.
    pub assumed: bool,
}

/// Settlements and people at risk in one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionRisk {
    /// Region code (empty: settlements without a region).
    pub region_code: String,
    /// Settlements of the region in the network.
    pub settlements: u64,
    /// People in them.
    pub people: u64,
    /// Settlements some single failure other than their own access node cuts off.
    pub settlements_at_risk: u64,
    /// People in them.
    pub people_at_risk: u64,
    /// Of those, settlements a failure shared with other settlements cuts off (a PoP, a fibre,
    /// a mast, a supply feeding several nodes), not only their own last mile.
    pub settlements_at_risk_shared: u64,
    /// People in them.
    pub people_at_risk_shared: u64,
    /// The element cutting off most people of the region, and how many of them.
    pub worst: Option<(String, u64)>,
}

/// What a network risks from single failures: totals, the worst single points of failure and
/// the people at risk by region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskSummary {
    /// The plan analysed (`central@2`), or `existing` for the registry's network alone.
    pub plan: String,
    /// Settlements in the network.
    pub settlements: u64,
    /// People in them.
    pub people: u64,
    /// Settlements the intact network does not reach.
    pub unreachable_settlements: u64,
    /// People in them.
    pub unreachable_people: u64,
    /// Elements whose failure alone cuts someone off.
    pub single_points: u64,
    /// Settlements some single failure other than their own access node cuts off.
    pub settlements_at_risk: u64,
    /// People in them.
    pub people_at_risk: u64,
    /// Of those, settlements a failure shared with other settlements cuts off.
    pub settlements_at_risk_shared: u64,
    /// People in them.
    pub people_at_risk_shared: u64,
    /// The worst single points of failure, most people first.
    pub worst: Vec<RiskElement>,
    /// By region, most people at risk first.
    pub by_region: Vec<RegionRisk>,
    /// Assumptions the network model rests on.
    pub assumptions: Vec<String>,
}
