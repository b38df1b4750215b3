//! The registry's layers.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A layer of the registry: one kind of record that can be imported, stored and exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// [`crate::Settlement`] points.
    Settlements,
    /// First-level [`crate::AdminArea`] polygons.
    Regions,
    /// Second-level [`crate::AdminArea`] polygons.
    Districts,
    /// [`crate::Road`] lines.
    Roads,
    /// [`crate::PowerSource`] points.
    Power,
    /// [`crate::Mast`] points.
    Masts,
    /// [`crate::BackboneNode`] points.
    BackboneNodes,
    /// [`crate::FibreRoute`] lines.
    FibreRoutes,
    /// [`crate::Organisation`] records (no geometry).
    Organisations,
}

impl Layer {
    /// Every layer, in import order (areas before what is located in them).
    pub const ALL: [Layer; 9] = [
        Layer::Organisations,
        Layer::Regions,
        Layer::Districts,
        Layer::Settlements,
        Layer::Roads,
        Layer::Power,
        Layer::Masts,
        Layer::BackboneNodes,
        Layer::FibreRoutes,
    ];

    /// The name used on the command line, in file names and as the table name.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Settlements => "settlements",
            Layer::Regions => "regions",
            Layer::Districts => "districts",
            Layer::Roads => "roads",
            Layer::Power => "power",
            Layer::Masts => "masts",
            Layer::BackboneNodes => "backbone_nodes",
            Layer::FibreRoutes => "fibre_routes",
            Layer::Organisations => "organisations",
        }
    }

    /// Parses a layer name (also accepts `-` for `_` and a few synonyms).
    pub fn parse(s: &str) -> Option<Layer> {
        let s = s.trim().to_lowercase().replace('-', "_");
        Layer::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .or(match s.as_str() {
                "settlement" | "villages" => Some(Layer::Settlements),
                "power_plants" | "substations" => Some(Layer::Power),
                "nodes" | "pops" => Some(Layer::BackboneNodes),
                "fibre" | "fiber" | "fiber_routes" => Some(Layer::FibreRoutes),
                "orgs" => Some(Layer::Organisations),
                _ => None,
            })
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
