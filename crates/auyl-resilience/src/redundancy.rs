//! Redundancy proposals: the cheapest additions that keep every settlement above a population
//! connected after any single failure, with a cost versus people-protected curve and a lower bound.
//!
//! **Requirement.** A *target* (a settlement with at least `min_people`) is protected when no
//! single element other than its own access node cuts it off: in the dominator tree its immediate
//! dominator is the virtual root, and no power supply failing for `design_outage_h` hours cuts it
//! off (batteries bridge the outage).
//!
//! **Candidates.** For each target, links to its `candidates_per_settlement` nearest nodes:
//! a fibre ring closure whose length is the shortest road path (the road graph of
//! `auyl_network`, ends joined by straight lines × detour factor) or the straight line × detour
//! where that is shorter (flagged approximate); and, within `max_hop_m` of a mast, relay or PoP, a
//! backup microwave hop, kept only if it clears 60 % of the first Fresnel zone over the DEM
//! (`auyl_radio::los`) when a DEM is given (without one the hop is flagged unchecked). Batteries
//! raise a node's autonomy to `design_outage_h`.
//!
//! **Heuristic.** (1) Forced batteries: a target's own access node on a battery shorter than the
//! design outage (no link can help it). (2) Greedy links: each candidate link `(u, w)` protects
//! the pairs (failure `d`, target `t`) with `t` dominated by `u` and `d` a strict dominator of `u`
//! that does not dominate `w` (and symmetrically); every such pair is truly fixed (on a simple
//! path from the root, dominators appear in tree order). Take the candidate with the most
//! people-weighted pairs per dollar (lazy greedy), add it, rebuild the dominator tree, repeat.
//! (3) Shared power: for each supply, the nodes it feeds whose battery is shorter than the design
//! outage fail together; where that still cuts a target off, batteries go to the failing nodes
//! bordering the target's remaining part of the network, until none is cut off.
//!
//! **Lower bound** (on the cost of protecting the targets the heuristic protected, with these
//! candidates): the forced batteries plus half the sum, over disjoint regions, of the cheapest
//! candidate touching each region. For a target `t` with immediate dominator `d`, any path that
//! avoids `d` must enter `t`'s part of `subtree(d) \ {d}` through a new link, so some added link has
//! an end in it; a link has two ends, so it serves at most two disjoint regions.

use crate::error::{ResilienceError, Result};
use crate::model::{ElementKind, NetworkModel, Role, reach};
use crate::spof::DominatorTree;
use auyl_model::{LonLat, Road};
use auyl_network::road::{
    BuildOptions, CostModel, RoadAttributes, RoadClass, RoadGraph, RoadInput, Surface,
};
use auyl_radio::los;
use auyl_terrain::{DemSet, ProfileSpacing};
use geo_types::{Coord, LineString};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

/// Costs and limits of the proposals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RedundancyOptions {
    /// Settlements with at least this many people must survive any single failure.
    pub min_people: u64,
    /// Fibre, per km (trench and cable), US dollars.
    pub fibre_usd_per_km: f64,
    /// Straight-line lengths are multiplied by this (roads and trenches are not straight).
    pub detour_factor: f64,
    /// No ring closure longer than this, metres.
    pub max_fibre_m: f64,
    /// Candidate links per target (to its nearest nodes).
    pub candidates_per_settlement: usize,
    /// A backup microwave hop (two radios, antennas, installation), US dollars.
    pub microwave_hop_usd: f64,
    /// No hop longer than this, metres.
    pub max_hop_m: f64,
    /// Antenna height at both ends of a backup hop, metres.
    pub mast_height_m: f64,
    /// Backup hop frequency, MHz.
    pub hop_freq_mhz: f64,
    /// Battery autonomy, per node per hour, US dollars.
    pub battery_usd_per_h: f64,
    /// Power outages up to this long must not cut a target off, hours.
    pub design_outage_h: f64,
}

impl Default for RedundancyOptions {
    fn default() -> Self {
        RedundancyOptions {
            min_people: 1000,
            fibre_usd_per_km: 12_000.0,
            detour_factor: 1.3,
            max_fibre_m: 60_000.0,
            candidates_per_settlement: 8,
            microwave_hop_usd: 60_000.0,
            max_hop_m: 40_000.0,
            mast_height_m: 40.0,
            hop_freq_mhz: 7_500.0,
            battery_usd_per_h: 300.0,
            design_outage_h: 8.0,
        }
    }
}

impl RedundancyOptions {
    fn check(&self) -> Result<()> {
        for (name, v) in [
            ("fibre_usd_per_km", self.fibre_usd_per_km),
            ("max_fibre_m", self.max_fibre_m),
            ("microwave_hop_usd", self.microwave_hop_usd),
            ("max_hop_m", self.max_hop_m),
            ("mast_height_m", self.mast_height_m),
            ("battery_usd_per_h", self.battery_usd_per_h),
            ("design_outage_h", self.design_outage_h),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(ResilienceError::BadParameter {
                    name,
                    message: format!("{v} must be finite and ≥ 0"),
                });
            }
        }
        if !(self.detour_factor.is_finite() && self.detour_factor >= 1.0) {
            return Err(ResilienceError::BadParameter {
                name: "detour_factor",
                message: format!("{} must be ≥ 1", self.detour_factor),
            });
        }
        if !(self.hop_freq_mhz.is_finite() && self.hop_freq_mhz > 0.0) {
            return Err(ResilienceError::BadParameter {
                name: "hop_freq_mhz",
                message: format!("{} must be positive", self.hop_freq_mhz),
            });
        }
        Ok(())
    }
}

/// What is added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum AdditionKind {
    /// A fibre link closing a ring.
    FibreRing {
        /// One end (element id).
        from: String,
        /// Other end (element id).
        to: String,
        /// Length, metres.
        length_m: f64,
        /// Metres not along a mapped road (straight line × detour).
        approximate_m: f64,
        /// Route (WGS84).
        geometry: LineString<f64>,
    },
    /// A backup microwave hop.
    MicrowaveHop {
        /// One end (element id).
        from: String,
        /// Other end (element id).
        to: String,
        /// Path length, metres.
        distance_m: f64,
        /// Worst first-Fresnel clearance, % of F1 (`None`: no DEM, unchecked).
        clearance_pct_f1: Option<f64>,
    },
    /// Battery autonomy raised at a node.
    Battery {
        /// The node (element id).
        element: String,
        /// Autonomy before, hours.
        from_h: f64,
        /// Autonomy after, hours.
        to_h: f64,
    },
}

/// One proposed addition, in the order taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Addition {
    /// What.
    pub addition: AdditionKind,
    /// Its cost, US dollars.
    pub cost_usd: f64,
    /// Why (which failure it guards against).
    pub reason: String,
}

/// A point of the cost versus people-protected curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Additions so far.
    pub additions: usize,
    /// Cumulative cost, US dollars.
    pub cost_usd: f64,
    /// Targets protected (see the module docs). Exact at the first and last points; in between,
    /// supplies not yet fixed count as cutting what they cut before the links were added, so the
    /// figure may understate.
    pub settlements_protected: u64,
    /// People in them.
    pub people_protected: u64,
}

/// A target left unprotected, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unprotected {
    /// Settlement (element id).
    pub settlement_id: String,
    /// Its people.
    pub people: u64,
    /// An element whose failure still cuts it off (the nearest dominator), if topological.
    pub still_cut_by: Option<String>,
}

/// The proposals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedundancyPlan {
    /// Targets (settlements with at least `min_people` people, reachable from the core).
    pub targets: u64,
    /// People in them.
    pub target_people: u64,
    /// Targets protected before anything is added.
    pub protected_before: u64,
    /// People in them.
    pub people_protected_before: u64,
    /// Targets protected after the additions.
    pub protected_after: u64,
    /// People in them.
    pub people_protected_after: u64,
    /// Additions, in the order taken.
    pub additions: Vec<Addition>,
    /// Total cost, US dollars.
    pub cost_usd: f64,
    /// Lower bound on the cost of protecting the same targets with these candidates, US dollars.
    pub lower_bound_usd: f64,
    /// `(cost − bound) / cost` (0 when nothing is added).
    pub gap: f64,
    /// Cost versus people protected, one point per addition (first point: nothing added).
    pub curve: Vec<CurvePoint>,
    /// Targets still unprotected.
    pub unprotected: Vec<Unprotected>,
    /// Candidate links considered (fibre, microwave) and microwave candidates rejected by the
    /// Fresnel check.
    pub candidates: (usize, usize, usize),
    /// How it was solved.
    pub method: String,
}

#[derive(Debug, Clone)]
struct Candidate {
    u: usize,
    w: usize,
    cost: f64,
    kind: AdditionKind,
}

#[derive(Debug, PartialEq)]
struct Keyed(f64, usize);
impl Eq for Keyed {}
impl PartialOrd for Keyed {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Keyed {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
    }
}

fn lonlat(c: Coord<f64>) -> LonLat {
    LonLat {
        lon_deg: c.x,
        lat_deg: c.y,
    }
}

fn xy(c: Coord<f64>) -> [f64; 2] {
    [c.x * 48f64.to_radians().cos(), c.y]
}

/// Shortest road paths: a CSR of the road graph and a bounded Dijkstra.
struct Roads<'a> {
    g: &'a RoadGraph,
    start: Vec<usize>,
    adj: Vec<(usize, usize)>, // (edge, other node)
    tree: RTree<GeomWithData<[f64; 2], usize>>,
}

impl<'a> Roads<'a> {
    fn new(g: &'a RoadGraph) -> Roads<'a> {
        let n = g.nodes.len();
        // Mapped roads only: last-mile approximations are re-made here as straight lines × detour.
        let mut deg = vec![0usize; n + 1];
        for e in g.edges.iter().filter(|e| !e.approximate) {
            deg[e.from] += 1;
            deg[e.to] += 1;
        }
        let mut start = vec![0usize; n + 1];
        for v in 0..n {
            start[v + 1] = start[v] + deg[v];
        }
        let mut fill = start.clone();
        let mut adj = vec![(0, 0); start[n]];
        for (i, e) in g.edges.iter().enumerate().filter(|(_, e)| !e.approximate) {
            adj[fill[e.from]] = (i, e.to);
            fill[e.from] += 1;
            adj[fill[e.to]] = (i, e.from);
            fill[e.to] += 1;
        }
        let tree = RTree::bulk_load(
            g.nodes
                .iter()
                .enumerate()
                .map(|(i, nd)| GeomWithData::new(xy(nd.position.0), i))
                .collect(),
        );
        Roads {
            g,
            start,
            adj,
            tree,
        }
    }

    fn nearest(&self, c: Coord<f64>) -> Option<(usize, f64)> {
        self.tree.nearest_neighbor(&xy(c)).map(|n| {
            (
                n.data,
                lonlat(c).haversine_distance_m(lonlat(self.g.nodes[n.data].position.0)),
            )
        })
    }

    /// Distances (m) and predecessor edges from `s`, up to `max_m`.
    fn dijkstra(&self, s: usize, max_m: f64) -> HashMap<usize, (f64, Option<usize>)> {
        let mut dist: HashMap<usize, (f64, Option<usize>)> = HashMap::new();
        let mut heap = BinaryHeap::new();
        dist.insert(s, (0.0, None));
        heap.push(std::cmp::Reverse(Keyed(0.0, s)));
        while let Some(std::cmp::Reverse(Keyed(d, v))) = heap.pop() {
            if dist.get(&v).is_some_and(|x| x.0 < d) {
                continue;
            }
            for &(e, w) in &self.adj[self.start[v]..self.start[v + 1]] {
                let nd = d + self.g.edges[e].length_m;
                if nd <= max_m && dist.get(&w).is_none_or(|x| nd < x.0) {
                    dist.insert(w, (nd, Some(e)));
                    heap.push(std::cmp::Reverse(Keyed(nd, w)));
                }
            }
        }
        dist
    }

    fn path(&self, dist: &HashMap<usize, (f64, Option<usize>)>, mut v: usize) -> Vec<Coord<f64>> {
        let mut out = vec![self.g.nodes[v].position.0];
        while let Some((_, Some(e))) = dist.get(&v) {
            let ed = &self.g.edges[*e];
            let mut pts = ed.geometry.0.clone();
            let other = if ed.from == v { ed.to } else { ed.from };
            if ed.from == v {
                pts.reverse();
            }
            // pts now runs from `other` to `v`; we walk backwards, so append reversed.
            out.extend(pts.into_iter().rev().skip(1));
            v = other;
        }
        out.reverse();
        out
    }
}

/// The road graph ring closures follow, from the registry's roads (`None` without roads).
/// Only lengths matter here, so every road class costs the same.
pub fn road_graph(roads: &[Road]) -> Result<Option<RoadGraph>> {
    if roads.is_empty() {
        return Ok(None);
    }
    let inputs: Vec<RoadInput> = roads
        .iter()
        .map(|road| RoadInput {
            geometry: road.geometry.clone(),
            attributes: RoadAttributes {
                class: road
                    .class
                    .as_deref()
                    .map_or(RoadClass::Other, RoadClass::from_osm),
                surface: Surface::from_osm(road.surface.as_deref()),
                aerial_allowed: false,
            },
        })
        .collect();
    let costs = CostModel {
        trench_paved_per_km: 1.0,
        trench_unpaved_per_km: 1.0,
        aerial_per_km: 1.0,
        approximate_per_km: 1.0,
    };
    Ok(Some(RoadGraph::build(
        &inputs,
        &costs,
        &BuildOptions::default(),
    )?))
}

fn battery_cost(opts: &RedundancyOptions, from_h: f64) -> f64 {
    (opts.design_outage_h - from_h).max(0.0) * opts.battery_usd_per_h
}

/// Targets cut off when each supply fails for the design outage (nodes with short batteries
/// down), as a list per supply.
fn power_cuts(
    model: &NetworkModel,
    opts: &RedundancyOptions,
    targets: &[usize],
) -> Vec<(usize, Vec<usize>)> {
    let adj = model.adjacency();
    let n = model.len();
    let mut failed = vec![false; n];
    let mut seen = vec![false; n];
    let mut q = Vec::new();
    let mut out = Vec::new();
    for (p, e) in model.elements().iter().enumerate() {
        if e.kind.role() != Role::Power {
            continue;
        }
        let f: Vec<u32> = adj.fed[p]
            .iter()
            .copied()
            .filter(|&v| model.elements()[v as usize].battery_h < opts.design_outage_h)
            .collect();
        if f.is_empty() {
            continue;
        }
        for &v in &f {
            failed[v as usize] = true;
        }
        reach(&adj, &failed, &mut seen, &mut q);
        for &v in &f {
            failed[v as usize] = false;
        }
        let cut: Vec<usize> = targets.iter().copied().filter(|&t| !seen[t]).collect();
        if !cut.is_empty() {
            out.push((p, cut));
        }
    }
    out
}

/// Proposes additions (see the module docs). `roads` lets ring closures follow roads; `dem`
/// enables the Fresnel check of backup hops.
pub fn propose(
    model: &NetworkModel,
    roads: Option<&RoadGraph>,
    dem: Option<&DemSet>,
    opts: &RedundancyOptions,
) -> Result<RedundancyPlan> {
    opts.check()?;
    let mut m = model.clone();
    m.reindex()?;
    let tree0 = DominatorTree::new(&m);
    let root = tree0.root();
    let targets: Vec<usize> = m
        .settlement_nodes()
        .into_iter()
        .filter(|&t| tree0.reachable(t) && m.elements()[t].people() >= opts.min_people)
        .collect();
    let people = |m: &NetworkModel, v: usize| m.elements()[v].people();
    let target_people: u64 = targets.iter().map(|&t| people(&m, t)).sum();
    let mut is_target = vec![false; m.len()];
    for &t in &targets {
        is_target[t] = true;
    }
    // Protection status (topological and power).
    let status = |m: &NetworkModel, tree: &DominatorTree, pcut: &[bool]| -> (u64, u64) {
        let mut s = (0, 0);
        for &t in &targets {
            if tree.immediate_dominator(t) == Some(tree.root()) && !pcut[t] {
                s.0 += 1;
                s.1 += people(m, t);
            }
        }
        s
    };
    let pcut_of = |m: &NetworkModel| -> Vec<bool> {
        let mut c = vec![false; m.len()];
        for (_, ts) in power_cuts(m, opts, &targets) {
            for t in ts {
                c[t] = true;
            }
        }
        c
    };
    let before = status(&m, &tree0, &pcut_of(&m));
    let mut additions: Vec<Addition> = Vec::new();
    let mut cost = 0.0;
    let mut curve = vec![CurvePoint {
        additions: 0,
        cost_usd: 0.0,
        settlements_protected: before.0,
        people_protected: before.1,
    }];
    // (1) Forced batteries on the targets' own access nodes.
    let mut forced = 0.0;
    for &t in &targets {
        let e = &m.elements()[t];
        if e.power.is_some() && e.battery_h < opts.design_outage_h {
            let c = battery_cost(opts, e.battery_h);
            additions.push(Addition {
                addition: AdditionKind::Battery {
                    element: e.id.clone(),
                    from_h: e.battery_h,
                    to_h: opts.design_outage_h,
                },
                cost_usd: c,
                reason:
                    "the settlement's own access node: only a battery keeps it up in a power cut"
                        .into(),
            });
            forced += c;
            cost += c;
            let p = e.power;
            m.set_power(t, p, opts.design_outage_h)?;
        }
    }
    if forced > 0.0 {
        let s = status(&m, &tree0, &pcut_of(&m));
        curve.push(CurvePoint {
            additions: additions.len(),
            cost_usd: cost,
            settlements_protected: s.0,
            people_protected: s.1,
        });
    }
    // (2) Candidate links.
    let node_ids: Vec<usize> = (0..m.len())
        .filter(|&v| {
            let e = &m.elements()[v];
            e.kind.role() == Role::Node && e.kind != ElementKind::SatelliteHub && tree0.reachable(v)
        })
        .collect();
    let ntree = RTree::bulk_load(
        node_ids
            .iter()
            .map(|&v| GeomWithData::new(xy(m.elements()[v].anchor()), v))
            .collect(),
    );
    let road = roads.map(Roads::new);
    let mut cands: Vec<Candidate> = Vec::new();
    let (mut n_fibre, mut n_mw, mut n_rejected) = (0, 0, 0);
    for &u in &targets {
        if tree0.immediate_dominator(u) == Some(root) {
            continue;
        }
        let cu = m.elements()[u].anchor();
        let near: Vec<(usize, f64)> = ntree
            .nearest_neighbor_iter(&xy(cu))
            .filter(|g| g.data != u && !tree0.dominates(g.data, u) && !tree0.dominates(u, g.data))
            .take(opts.candidates_per_settlement)
            .map(|g| {
                (
                    g.data,
                    lonlat(cu).haversine_distance_m(lonlat(m.elements()[g.data].anchor())),
                )
            })
            .collect();
        let (ru, dist) = match &road {
            Some(r) => match r.nearest(cu) {
                Some((rn, snap)) => {
                    let budget = (opts.max_fibre_m - snap * opts.detour_factor).max(0.0);
                    (Some((rn, snap)), r.dijkstra(rn, budget))
                }
                None => (None, HashMap::new()),
            },
            None => (None, HashMap::new()),
        };
        for (w, straight) in near {
            let cw = m.elements()[w].anchor();
            let (from, to) = (m.elements()[u].id.clone(), m.elements()[w].id.clone());
            // Fibre: road path or straight line, whichever is shorter.
            let mut best = (
                straight * opts.detour_factor,
                straight * opts.detour_factor,
                vec![cu, cw],
            );
            if let (Some(r), Some((_, su))) = (&road, ru)
                && let Some((rw, sw)) = r.nearest(cw)
                && let Some(&(d, _)) = dist.get(&rw)
            {
                let approx = (su + sw) * opts.detour_factor;
                if d + approx < best.0 {
                    let mut g = vec![cu];
                    g.extend(r.path(&dist, rw));
                    g.push(cw);
                    best = (d + approx, approx, g);
                }
            }
            if best.0 <= opts.max_fibre_m {
                n_fibre += 1;
                cands.push(Candidate {
                    u,
                    w,
                    cost: best.0 / 1000.0 * opts.fibre_usd_per_km,
                    kind: AdditionKind::FibreRing {
                        from: from.clone(),
                        to: to.clone(),
                        length_m: best.0,
                        approximate_m: best.1,
                        geometry: LineString(best.2),
                    },
                });
            }
            let tower = matches!(
                m.elements()[w].kind,
                ElementKind::Mast | ElementKind::Relay | ElementKind::Pop | ElementKind::Core
            );
            if tower && straight <= opts.max_hop_m {
                let clearance = match dem {
                    Some(d) => match fresnel(d, lonlat(cu), lonlat(cw), opts) {
                        Some(c) if c >= 100.0 * los::F1_CLEARANCE_TARGET => Some(c),
                        _ => {
                            n_rejected += 1;
                            continue;
                        }
                    },
                    None => None,
                };
                n_mw += 1;
                cands.push(Candidate {
                    u,
                    w,
                    cost: opts.microwave_hop_usd,
                    kind: AdditionKind::MicrowaveHop {
                        from,
                        to,
                        distance_m: straight,
                        clearance_pct_f1: clearance,
                    },
                });
            }
        }
    }
    // Lower bound regions from the tree before any link (targets protected are filtered later).
    let mut tree = tree0.clone();
    let mut sub_people = vec![0u64; m.len() + 1];
    let gain = |tree: &DominatorTree, sub_people: &[u64], c: &Candidate| -> u64 {
        let side = |x: usize, y: usize| -> u64 {
            let anc = tree
                .strict_dominators(x)
                .into_iter()
                .filter(|&d| !tree.dominates(d, y))
                .count() as u64;
            anc * sub_people[x]
        };
        side(c.u, c.w) + side(c.w, c.u)
    };
    let fill_sub = |tree: &DominatorTree, sub: &mut Vec<u64>, m: &NetworkModel| {
        sub.clear();
        sub.resize(m.len() + 1, 0);
        for &t in &targets {
            if tree.immediate_dominator(t) != Some(tree.root()) {
                sub[t] += m.elements()[t].people();
            }
        }
        // Accumulate bottom-up: deeper first.
        let mut order: Vec<usize> = (0..m.len()).filter(|&v| tree.reachable(v)).collect();
        order.sort_by_key(|&v| std::cmp::Reverse(tree.depth(v)));
        for v in order {
            if let Some(p) = tree.immediate_dominator(v) {
                sub[p] += sub[v];
            }
        }
    };
    fill_sub(&tree, &mut sub_people, &m);
    let mut heap: BinaryHeap<Keyed> = BinaryHeap::new();
    for (i, c) in cands.iter().enumerate() {
        let g = gain(&tree, &sub_people, c);
        if g > 0 {
            heap.push(Keyed(g as f64 / c.cost.max(1e-9), i));
        }
    }
    let mut taken: Vec<usize> = Vec::new();
    let pcut_links = pcut_of(&m);
    while let Some(Keyed(stale, i)) = heap.pop() {
        let g = gain(&tree, &sub_people, &cands[i]);
        if g == 0 {
            continue;
        }
        let ratio = g as f64 / cands[i].cost.max(1e-9);
        if ratio < stale && heap.peek().is_some_and(|top| top.0 > ratio) {
            heap.push(Keyed(ratio, i));
            continue;
        }
        let c = &cands[i];
        let (kind, what) = match c.kind {
            AdditionKind::MicrowaveHop { .. } => (ElementKind::MicrowaveLink, "backup hop"),
            _ => (ElementKind::FibreSegment, "ring closure"),
        };
        let cut = tree
            .immediate_dominator(c.u)
            .filter(|&d| d != tree.root())
            .map_or_else(String::new, |d| m.elements()[d].id.clone());
        let id = format!(
            "new:{}:{}-{}",
            taken.len(),
            m.elements()[c.u].id,
            m.elements()[c.w].id
        );
        let geometry = match &c.kind {
            AdditionKind::FibreRing { geometry, .. } => Some(geometry.clone()),
            _ => None,
        };
        m.add_link(id, kind, c.u, c.w, geometry)?;
        cost += c.cost;
        additions.push(Addition {
            addition: c.kind.clone(),
            cost_usd: c.cost,
            reason: format!("{what}: {} people-weighted failures fixed, e.g. {cut}", g),
        });
        taken.push(i);
        tree = DominatorTree::new(&m);
        fill_sub(&tree, &mut sub_people, &m);
        // Power cuts as before the links (links only remove cuts): may understate, see CurvePoint.
        let s = status(&m, &tree, &pcut_links);
        curve.push(CurvePoint {
            additions: additions.len(),
            cost_usd: cost,
            settlements_protected: s.0,
            people_protected: s.1,
        });
    }
    // (3) Shared power supplies.
    let mut stale_cuts = power_cuts(&m, opts, &targets);
    for k in 0..stale_cuts.len() {
        let p = stale_cuts[k].0;
        loop {
            let adj = m.adjacency();
            let n = m.len();
            let f: Vec<usize> = adj.fed[p]
                .iter()
                .map(|&v| v as usize)
                .filter(|&v| m.elements()[v].battery_h < opts.design_outage_h)
                .collect();
            let mut failed = vec![false; n];
            for &v in &f {
                failed[v] = true;
            }
            let mut seen = vec![false; n];
            reach(&adj, &failed, &mut seen, &mut Vec::new());
            let Some(&t) = targets.iter().find(|&&t| !seen[t]) else {
                break;
            };
            // The failing nodes bordering t's part of the network.
            let mut part = vec![false; n];
            let mut q = vec![t];
            part[t] = true;
            let mut border: Vec<usize> = Vec::new();
            if failed[t] {
                border.push(t);
            }
            while let Some(v) = q.pop() {
                if failed[v] {
                    continue;
                }
                for &(l, w) in adj.neighbours(v) {
                    let (l, w) = (l as usize, w as usize);
                    if failed[l] || part[w] {
                        continue;
                    }
                    part[w] = true;
                    if failed[w] {
                        border.push(w);
                    } else {
                        q.push(w);
                    }
                }
            }
            if border.is_empty() {
                break;
            }
            for v in border {
                let e = &m.elements()[v];
                let c = battery_cost(opts, e.battery_h);
                additions.push(Addition {
                    addition: AdditionKind::Battery {
                        element: e.id.clone(),
                        from_h: e.battery_h,
                        to_h: opts.design_outage_h,
                    },
                    cost_usd: c,
                    reason: format!(
                        "supply {} feeds nodes on every path of {}",
                        m.elements()[p].id,
                        m.elements()[t].id
                    ),
                });
                cost += c;
                let pw = e.power;
                m.set_power(v, pw, opts.design_outage_h)?;
            }
        }
        stale_cuts[k].1.clear();
        let mut pc = vec![false; m.len()];
        for (_, ts) in &stale_cuts {
            for &t in ts {
                pc[t] = true;
            }
        }
        let s = status(&m, &tree, &pc);
        if curve.last().is_none_or(|c| c.cost_usd < cost) {
            curve.push(CurvePoint {
                additions: additions.len(),
                cost_usd: cost,
                settlements_protected: s.0,
                people_protected: s.1,
            });
        }
    }
    // Final, exact status.
    let pc = pcut_of(&m);
    let after = status(&m, &tree, &pc);
    if let Some(last) = curve.last_mut() {
        last.settlements_protected = after.0;
        last.people_protected = after.1;
    }
    let unprotected: Vec<Unprotected> = targets
        .iter()
        .filter(|&&t| tree.immediate_dominator(t) != Some(tree.root()) || pc[t])
        .map(|&t| Unprotected {
            settlement_id: m.elements()[t].id.clone(),
            people: people(&m, t),
            still_cut_by: tree
                .immediate_dominator(t)
                .filter(|&d| d != tree.root())
                .map(|d| m.elements()[d].id.clone()),
        })
        .collect();
    // Lower bound: forced batteries + half the cheapest candidate touching each disjoint region.
    let protected_now: Vec<usize> = targets
        .iter()
        .copied()
        .filter(|&t| tree.immediate_dominator(t) == Some(tree.root()))
        .collect();
    let mut ds: Vec<usize> = protected_now
        .iter()
        .filter_map(|&t| tree0.immediate_dominator(t).filter(|&d| d != root))
        .collect();
    ds.sort_unstable();
    ds.dedup();
    ds.sort_by_key(|&d| std::cmp::Reverse(tree0.depth(d)));
    let mut picked: Vec<usize> = Vec::new();
    for d in ds {
        if !picked.iter().any(|&q| tree0.dominates(d, q)) {
            picked.push(d);
        }
    }
    picked.sort_by_key(|&d| tree0.interval(d).0);
    let starts: Vec<u32> = picked.iter().map(|&d| tree0.interval(d).0).collect();
    let region = |x: usize| -> Option<usize> {
        if !tree0.reachable(x) {
            return None;
        }
        let tx = tree0.interval(x).0;
        let k = starts.partition_point(|&s| s < tx);
        // Region of picked[k-1] is (tin, tout): strictly inside its subtree.
        k.checked_sub(1).filter(|&k| {
            let (a, b) = tree0.interval(picked[k]);
            a < tx && tx < b
        })
    };
    let mut cheapest = vec![f64::INFINITY; picked.len()];
    for c in &cands {
        for x in [c.u, c.w] {
            if let Some(r) = region(x) {
                cheapest[r] = cheapest[r].min(c.cost);
            }
        }
    }
    let links_bound: f64 = cheapest.iter().filter(|c| c.is_finite()).sum::<f64>() / 2.0;
    let lower_bound_usd = forced + links_bound;
    Ok(RedundancyPlan {
        targets: targets.len() as u64,
        target_people,
        protected_before: before.0,
        people_protected_before: before.1,
        protected_after: after.0,
        people_protected_after: after.1,
        additions,
        cost_usd: cost,
        lower_bound_usd,
        gap: if cost > 0.0 { (cost - lower_bound_usd) / cost } else { 0.0 },
        curve,
        unprotected,
        candidates: (n_fibre, n_mw, n_rejected),
        method: "heuristic: forced batteries, lazy greedy on dominator-tree gains per dollar, battery repair of shared supplies; bound: forced batteries + half the cheapest candidate per disjoint dominator region".into(),
    })
}

/// Worst first-Fresnel clearance (% of F1) of a hop over the DEM, `None` if the terrain is missing.
fn fresnel(dem: &DemSet, a: LonLat, b: LonLat, opts: &RedundancyOptions) -> Option<f64> {
    let p = dem.profile(a, b, ProfileSpacing::MaxStepM(100.0)).ok()?;
    let prof = los::Profile::new(p.step_m, p.elevations_m).ok()?;
    let params = los::LosParams::new(opts.mast_height_m, opts.mast_height_m, opts.hop_freq_mhz);
    let r = los::analyze(&prof, &params).ok()?;
    Some(r.worst.map_or(f64::INFINITY, |w| w.f1_clearance_percent))
}

/// The model with a plan's additions built: links added between the named elements (ids
/// `new:<k>`), batteries raised. Run [`crate::single_failures`] on it to check the plan.
pub fn apply(model: &NetworkModel, plan: &RedundancyPlan) -> Result<NetworkModel> {
    let mut m = model.clone();
    m.reindex()?;
    let find = |m: &NetworkModel, id: &str| {
        m.find(id).ok_or_else(|| ResilienceError::BadParameter {
            name: "plan",
            message: format!("element {id:?} of the plan is not in the model"),
        })
    };
    for (k, a) in plan.additions.iter().enumerate() {
        match &a.addition {
            AdditionKind::FibreRing {
                from, to, geometry, ..
            } => {
                let (u, w) = (find(&m, from)?, find(&m, to)?);
                m.add_link(
                    format!("new:{k}"),
                    ElementKind::FibreSegment,
                    u,
                    w,
                    Some(geometry.clone()),
                )?;
            }
            AdditionKind::MicrowaveHop { from, to, .. } => {
                let (u, w) = (find(&m, from)?, find(&m, to)?);
                m.add_link(format!("new:{k}"), ElementKind::MicrowaveLink, u, w, None)?;
            }
            AdditionKind::Battery { element, to_h, .. } => {
                let v = find(&m, element)?;
                let p = m.elements()[v].power;
                let h = m.elements()[v].battery_h.max(*to_h);
                m.set_power(v, p, h)?;
            }
        }
    }
    Ok(m)
}
