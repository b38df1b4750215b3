//! The network model: every element that can fail, and what depends on what.
//!
//! Three roles of element:
//!
//! - **nodes** carry traffic: core nodes (international gateways and the backbone, marked
//!   [`Element::core`]), points of presence, fibre junctions, masts, microwave relays, and the access
//!   node of each settlement (the equipment in the village: it carries the settlement's people);
//! - **links** join two nodes: fibre segments, microwave links, access links (a radio cell or a
//!   fibre drop);
//! - **power supplies** are not on any path: a node depends on at most one supply (a grid
//!   substation or plant, or its own solar panels) and keeps running on its battery for
//!   [`Element::battery_h`] hours after the supply fails.
//!
//! A settlement is *connected* while some path of working nodes and links joins its access node
//! to a working core node. Power is modelled as a **failure group**: a supply that fails takes
//! down every node it feeds once that node's battery is empty (at once for the single-failure
//! analysis, which assumes the outage outlasts the batteries; after `battery_h` hours in the
//! scenarios).

use crate::error::{ResilienceError, Result};
use auyl_model::{Id, LonLat};
use geo_types::{Coord, Geometry, LineString};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What an element is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ElementKind {
    /// International gateway or core exchange (node).
    Core,
    /// Backbone point of presence (node).
    Pop,
    /// A fibre splice or branching point (node, passive).
    Junction,
    /// A mast with radio access equipment (node).
    Mast,
    /// A microwave relay station (node).
    Relay,
    /// A satellite hub, reached through space: independent of the terrestrial network (node, core).
    SatelliteHub,
    /// The access node of a settlement (node; carries the settlement's people).
    Settlement,
    /// A fibre segment between two nodes (link).
    FibreSegment,
    /// A microwave hop (link).
    MicrowaveLink,
    /// A settlement's access: a radio cell or fibre drop (link).
    AccessLink,
    /// A satellite link to the hub (link).
    SatelliteLink,
    /// A grid substation or plant feeding nodes (power supply).
    PowerGrid,
    /// Solar panels of one site (power supply).
    PowerSolar,
}

/// The role of an element in the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Carries traffic, joined by links.
    Node,
    /// Joins two nodes.
    Link,
    /// Feeds nodes with electricity.
    Power,
}

impl ElementKind {
    /// Every kind, in report order.
    pub const ALL: [ElementKind; 13] = [
        ElementKind::Core,
        ElementKind::Pop,
        ElementKind::Junction,
        ElementKind::Mast,
        ElementKind::Relay,
        ElementKind::SatelliteHub,
        ElementKind::Settlement,
        ElementKind::FibreSegment,
        ElementKind::MicrowaveLink,
        ElementKind::AccessLink,
        ElementKind::SatelliteLink,
        ElementKind::PowerGrid,
        ElementKind::PowerSolar,
    ];

    /// Node, link or power supply.
    pub fn role(self) -> Role {
        match self {
            ElementKind::Core
            | ElementKind::Pop
            | ElementKind::Junction
            | ElementKind::Mast
            | ElementKind::Relay
            | ElementKind::SatelliteHub
            | ElementKind::Settlement => Role::Node,
            ElementKind::FibreSegment
            | ElementKind::MicrowaveLink
            | ElementKind::AccessLink
            | ElementKind::SatelliteLink => Role::Link,
            ElementKind::PowerGrid | ElementKind::PowerSolar => Role::Power,
        }
    }

    /// The snake-case name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            ElementKind::Core => "core",
            ElementKind::Pop => "pop",
            ElementKind::Junction => "junction",
            ElementKind::Mast => "mast",
            ElementKind::Relay => "relay",
            ElementKind::SatelliteHub => "satellite_hub",
            ElementKind::Settlement => "settlement",
            ElementKind::FibreSegment => "fibre_segment",
            ElementKind::MicrowaveLink => "microwave_link",
            ElementKind::AccessLink => "access_link",
            ElementKind::SatelliteLink => "satellite_link",
            ElementKind::PowerGrid => "power_grid",
            ElementKind::PowerSolar => "power_solar",
        }
    }

    /// Parses [`ElementKind::as_str`].
    pub fn parse(s: &str) -> Option<ElementKind> {
        ElementKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
    }
}

/// The people a settlement's access node carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Demand {
    /// The settlement (registry id).
    pub settlement_id: Id,
    /// People who lose service when it is cut off.
    pub people: u64,
}

/// One element that can fail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Element {
    /// Stable id (registry or plan id; derived ids for segments: `route#2`).
    pub id: String,
    /// What it is.
    pub kind: ElementKind,
    /// True for core nodes: the destinations every settlement must reach.
    pub core: bool,
    /// Where it is (WGS84 lon/lat): a point for nodes and supplies, a line for links.
    pub geometry: Geometry<f64>,
    /// For links: the two node elements it joins.
    pub ends: Option<(usize, usize)>,
    /// For nodes: the power supply element feeding it, if known.
    pub power: Option<usize>,
    /// For nodes: hours it keeps running after its supply fails.
    pub battery_h: f64,
    /// For settlement access nodes: the settlement and its people.
    pub demand: Option<Demand>,
    /// True when the element (or how it is joined) is an assumption, not a record or a plan item.
    pub assumed: bool,
}

impl Element {
    /// A representative point (the node itself, a link's midpoint vertex).
    pub fn anchor(&self) -> Coord<f64> {
        match &self.geometry {
            Geometry::Point(p) => p.0,
            Geometry::LineString(l) if !l.0.is_empty() => l.0[l.0.len() / 2],
            _ => Coord { x: 0.0, y: 0.0 },
        }
    }

    /// The people it carries (0 unless a settlement access node).
    pub fn people(&self) -> u64 {
        self.demand.as_ref().map_or(0, |d| d.people)
    }
}

/// The network: elements and the adjacency of nodes through links.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkModel {
    elements: Vec<Element>,
    #[serde(skip)]
    index: HashMap<String, usize>,
    /// Assumptions made while building the model (shown with every result).
    pub assumptions: Vec<String>,
}

/// Compressed adjacency of the nodes: for each element, the (link, other node) pairs.
#[derive(Debug, Clone)]
pub(crate) struct Adjacency {
    pub start: Vec<u32>,
    pub adj: Vec<(u32, u32)>,
    /// Nodes fed by each power supply.
    pub fed: Vec<Vec<u32>>,
    /// Core nodes.
    pub cores: Vec<u32>,
}

impl Adjacency {
    pub fn neighbours(&self, v: usize) -> &[(u32, u32)] {
        &self.adj[self.start[v] as usize..self.start[v + 1] as usize]
    }
}

impl NetworkModel {
    /// An empty model.
    pub fn new() -> NetworkModel {
        NetworkModel::default()
    }

    /// Every element, by index.
    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// One element.
    pub fn element(&self, index: usize) -> Result<&Element> {
        self.elements
            .get(index)
            .ok_or(ResilienceError::NoSuchElement {
                index,
                count: self.elements.len(),
            })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// True when the model has no element.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// The element with this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        if self.index.len() == self.elements.len() {
            self.index.get(id).copied()
        } else {
            self.elements.iter().position(|e| e.id == id)
        }
    }

    /// Rebuilds the id index (after deserialising a model).
    pub fn reindex(&mut self) -> Result<()> {
        self.index.clear();
        for (i, e) in self.elements.iter().enumerate() {
            if self.index.insert(e.id.clone(), i).is_some() {
                return Err(ResilienceError::DuplicateId { id: e.id.clone() });
            }
        }
        Ok(())
    }

    fn push(&mut self, e: Element) -> Result<usize> {
        if self.index.contains_key(&e.id) {
            return Err(ResilienceError::DuplicateId { id: e.id });
        }
        let i = self.elements.len();
        self.index.insert(e.id.clone(), i);
        self.elements.push(e);
        Ok(i)
    }

    fn check_role(&self, index: usize, role: Role, what: &'static str) -> Result<()> {
        let e = self.element(index)?;
        if e.kind.role() == role {
            Ok(())
        } else {
            Err(ResilienceError::WrongKind {
                id: e.id.clone(),
                kind: e.kind.as_str(),
                role: what,
            })
        }
    }

    /// Adds a node (core nodes, [`ElementKind::Core`] and [`ElementKind::SatelliteHub`], are
    /// marked core). Returns its index.
    pub fn add_node(
        &mut self,
        id: impl Into<String>,
        kind: ElementKind,
        at: LonLat,
    ) -> Result<usize> {
        let id = id.into();
        if kind.role() != Role::Node {
            return Err(ResilienceError::WrongKind {
                id,
                kind: kind.as_str(),
                role: "a node",
            });
        }
        self.push(Element {
            id,
            kind,
            core: matches!(kind, ElementKind::Core | ElementKind::SatelliteHub),
            geometry: Geometry::Point(at.to_point()),
            ends: None,
            power: None,
            battery_h: 0.0,
            demand: None,
            assumed: false,
        })
    }

    /// Adds a settlement's access node carrying `people`. Returns its index.
    pub fn add_settlement(&mut self, settlement_id: &Id, people: u64, at: LonLat) -> Result<usize> {
        let i = self.add_node(settlement_id.as_str(), ElementKind::Settlement, at)?;
        self.elements[i].demand = Some(Demand {
            settlement_id: settlement_id.clone(),
            people,
        });
        Ok(i)
    }

    /// Adds a link between nodes `a` and `b`; without a geometry it is the straight line. Returns
    /// its index.
    pub fn add_link(
        &mut self,
        id: impl Into<String>,
        kind: ElementKind,
        a: usize,
        b: usize,
        geometry: Option<LineString<f64>>,
    ) -> Result<usize> {
        let id = id.into();
        if kind.role() != Role::Link {
            return Err(ResilienceError::WrongKind {
                id,
                kind: kind.as_str(),
                role: "a link",
            });
        }
        self.check_role(a, Role::Node, "a link end")?;
        self.check_role(b, Role::Node, "a link end")?;
        let line = geometry.filter(|l| l.0.len() >= 2).unwrap_or_else(|| {
            LineString(vec![self.elements[a].anchor(), self.elements[b].anchor()])
        });
        self.push(Element {
            id,
            kind,
            core: false,
            geometry: Geometry::LineString(line),
            ends: Some((a, b)),
            power: None,
            battery_h: 0.0,
            demand: None,
            assumed: false,
        })
    }

    /// Adds a power supply ([`ElementKind::PowerGrid`] or [`ElementKind::PowerSolar`]). Returns its
    /// index.
    pub fn add_power(
        &mut self,
        id: impl Into<String>,
        kind: ElementKind,
        at: LonLat,
    ) -> Result<usize> {
        let id = id.into();
        if kind.role() != Role::Power {
            return Err(ResilienceError::WrongKind {
                id,
                kind: kind.as_str(),
                role: "a power supply",
            });
        }
        self.push(Element {
            id,
            kind,
            core: false,
            geometry: Geometry::Point(at.to_point()),
            ends: None,
            power: None,
            battery_h: 0.0,
            demand: None,
            assumed: false,
        })
    }

    /// Feeds `node` from `power` (or from nothing known: `None`) with `battery_h` hours of battery.
    pub fn set_power(&mut self, node: usize, power: Option<usize>, battery_h: f64) -> Result<()> {
        self.check_role(node, Role::Node, "powered")?;
        if let Some(p) = power {
            self.check_role(p, Role::Power, "a power supply")?;
        }
        if !battery_h.is_finite() || battery_h < 0.0 {
            return Err(ResilienceError::BadParameter {
                name: "battery_h",
                message: format!("{battery_h} is not a finite non-negative number of hours"),
            });
        }
        let e = &mut self.elements[node];
        e.power = power;
        e.battery_h = battery_h;
        Ok(())
    }

    /// Marks a node as core (or not).
    pub fn set_core(&mut self, node: usize, core: bool) -> Result<()> {
        self.check_role(node, Role::Node, "a core node")?;
        self.elements[node].core = core;
        Ok(())
    }

    /// Flags an element as an assumption.
    pub fn set_assumed(&mut self, index: usize, assumed: bool) -> Result<()> {
        self.element(index)?;
        self.elements[index].assumed = assumed;
        Ok(())
    }

    /// How many elements of each kind the model has (kinds it lacks left out), in report order.
    pub fn kind_counts(&self) -> Vec<(ElementKind, usize)> {
        ElementKind::ALL
            .into_iter()
            .map(|k| (k, self.elements.iter().filter(|e| e.kind == k).count()))
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Total people over all settlement access nodes.
    pub fn total_people(&self) -> u64 {
        self.elements.iter().map(Element::people).sum()
    }

    /// Settlement access nodes, by index.
    pub fn settlement_nodes(&self) -> Vec<usize> {
        (0..self.elements.len())
            .filter(|&i| self.elements[i].demand.is_some())
            .collect()
    }

    pub(crate) fn adjacency(&self) -> Adjacency {
        let n = self.elements.len();
        let mut deg = vec![0u32; n + 1];
        let mut fed = vec![Vec::new(); n];
        let mut cores = Vec::new();
        for (i, e) in self.elements.iter().enumerate() {
            if let Some((a, b)) = e.ends {
                deg[a] += 1;
                deg[b] += 1;
            }
            if let Some(p) = e.power {
                fed[p].push(i as u32);
            }
            if e.core && e.kind.role() == Role::Node {
                cores.push(i as u32);
            }
        }
        let mut start = vec![0u32; n + 1];
        for v in 0..n {
            start[v + 1] = start[v] + deg[v];
        }
        let mut fill = start.clone();
        let mut adj = vec![(0u32, 0u32); start[n] as usize];
        for (i, e) in self.elements.iter().enumerate() {
            if let Some((a, b)) = e.ends {
                adj[fill[a] as usize] = (i as u32, b as u32);
                fill[a] += 1;
                adj[fill[b] as usize] = (i as u32, a as u32);
                fill[b] += 1;
            }
        }
        Adjacency {
            start,
            adj,
            fed,
            cores,
        }
    }
}

/// Breadth-first reachability from the working core nodes with `failed` elements removed.
/// `seen` (length = elements) is overwritten: true for every node reached.
pub(crate) fn reach(adj: &Adjacency, failed: &[bool], seen: &mut [bool], queue: &mut Vec<u32>) {
    seen.fill(false);
    queue.clear();
    for &c in &adj.cores {
        if !failed[c as usize] && !seen[c as usize] {
            seen[c as usize] = true;
            queue.push(c);
        }
    }
    let mut head = 0;
    while head < queue.len() {
        let v = queue[head] as usize;
        head += 1;
        for &(l, w) in adj.neighbours(v) {
            if !failed[l as usize] && !failed[w as usize] && !seen[w as usize] {
                seen[w as usize] = true;
                queue.push(w);
            }
        }
    }
}
