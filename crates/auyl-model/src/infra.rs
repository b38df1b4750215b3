//! Existing infrastructure: roads, power, masts, backbone nodes and fibre routes.

use crate::{Id, LonLat, Names};
use geo_types::LineString;
use serde::{Deserialize, Serialize};

/// An access or backhaul technology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Technology {
    /// Optical fibre (FTTH/FTTx, backbone).
    Fibre,
    /// 4G/LTE radio access.
    Lte,
    /// 3G radio access.
    Umts,
    /// 2G radio access.
    Gsm,
    /// 5G NR radio access.
    Nr,
    /// Point-to-point microwave.
    Microwave,
    /// Satellite (GEO or LEO).
    Satellite,
    /// Copper DSL.
    Dsl,
}

impl Technology {
    /// The snake-case name used in files and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Technology::Fibre => "fibre",
            Technology::Lte => "lte",
            Technology::Umts => "umts",
            Technology::Gsm => "gsm",
            Technology::Nr => "nr",
            Technology::Microwave => "microwave",
            Technology::Satellite => "satellite",
            Technology::Dsl => "dsl",
        }
    }

    /// Parses the usual spellings (`4G`, `LTE`, `ВОЛС`, `fiber`, `РРЛ`, …).
    pub fn parse(s: &str) -> Option<Technology> {
        Some(match s.trim().to_lowercase().as_str() {
            "fibre" | "fiber" | "ftth" | "волс" | "оптика" | "fttx" => Technology::Fibre,
            "lte" | "4g" => Technology::Lte,
            "umts" | "3g" => Technology::Umts,
            "gsm" | "2g" => Technology::Gsm,
            "nr" | "5g" => Technology::Nr,
            "microwave" | "mw" | "ррл" | "radio relay" => Technology::Microwave,
            "satellite" | "sat" | "спутник" | "vsat" | "leo" | "geo" => {
                Technology::Satellite
            }
            "dsl" | "adsl" | "xdsl" => Technology::Dsl,
            _ => return None,
        })
    }
}

/// A road segment (a line as the source gives it; the network crate builds the routable graph).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Road {
    /// Stable id.
    pub id: Id,
    /// Road number (`KAZ01`, `M-36`).
    pub road_ref: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Class (`republican`, `regional`, `secondary`, `track`, …).
    pub class: Option<String>,
    /// Surface where tagged (`paved`, `unpaved`, …).
    pub surface: Option<String>,
    /// Geometry (WGS84).
    pub geometry: LineString<f64>,
    /// Length along the geometry, geodesic, in metres.
    pub length_m: f64,
}

/// What kind of power infrastructure a [`PowerSource`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PowerKind {
    /// A generating plant.
    Plant,
    /// A substation of the grid.
    Substation,
}

impl PowerKind {
    /// `plant` or `substation`.
    pub fn as_str(self) -> &'static str {
        match self {
            PowerKind::Plant => "plant",
            PowerKind::Substation => "substation",
        }
    }
}

/// A power plant or substation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PowerSource {
    /// Stable id.
    pub id: Id,
    /// Name.
    pub name: Option<String>,
    /// Plant or substation.
    pub kind: PowerKind,
    /// Fuel or type (`Hydro`, `Hard Coal`, `110 kV`).
    pub fuel: Option<String>,
    /// Capacity in megawatts.
    pub capacity_mw: Option<f64>,
    /// Voltage in kilovolts (substations).
    pub voltage_kv: Option<f64>,
    /// Position (WGS84).
    pub location: LonLat,
}

/// A telecom mast or tower.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mast {
    /// Stable id (the operator's site code).
    pub id: Id,
    /// Name.
    pub name: Option<String>,
    /// Position (WGS84).
    pub location: LonLat,
    /// Height above ground in metres.
    pub height_m: Option<f64>,
    /// Technologies on air.
    pub technologies: Vec<Technology>,
    /// Operator id.
    pub operator_id: Option<Id>,
    /// True when the mast is an assumption of the planner, not a record from a source.
    pub assumed: bool,
}

/// What a backbone node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NodeKind {
    /// International gateway or core exchange.
    Core,
    /// A point of presence with fibre (a place new fibre can start from).
    Pop,
}

impl NodeKind {
    /// `core` or `pop`.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Core => "core",
            NodeKind::Pop => "pop",
        }
    }
}

/// A node of the existing backbone (fibre) network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackboneNode {
    /// Stable id.
    pub id: Id,
    /// Names.
    pub names: Names,
    /// Core or point of presence.
    pub kind: NodeKind,
    /// Position (WGS84).
    pub location: LonLat,
    /// Operator id.
    pub operator_id: Option<Id>,
    /// True when the node is an assumption of the planner, not a record from a source.
    pub assumed: bool,
}

/// An existing fibre route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FibreRoute {
    /// Stable id.
    pub id: Id,
    /// Name.
    pub name: Option<String>,
    /// Operator id.
    pub operator_id: Option<Id>,
    /// Geometry (WGS84).
    pub geometry: LineString<f64>,
    /// Length in metres.
    pub length_m: f64,
    /// True when the route is an assumption of the planner, not a record from a source.
    pub assumed: bool,
}
