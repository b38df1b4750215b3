//! Building a [`NetworkModel`] from the registry's infrastructure and a plan.
//!
//! - Backbone nodes become core nodes ([`auyl_model::NodeKind::Core`]) and PoPs. When the
//!   registry marks no core node, every PoP stands in as core (the backbone beyond the PoPs is
//!   taken as resilient) and the assumption is recorded.
//! - Existing fibre routes become fibre segments: each route is split where a backbone node lies
//!   within `snap_m` of one of its vertices; an end near no node becomes a junction (junctions
//!   within `snap_m` are one, so routes meeting there connect).
//! - Each planned fibre route is a chain of segments from its PoP, with a junction where each
//!   settlement or site it serves taps in (the route vertex nearest to it); an end within
//!   `snap_m` of a backbone node joins it (a ring closure).
//! - Planned sites are masts: grid power from the nearest power source within `power_radius_m`
//!   (recorded as an assumption), solar power as a supply of their own; backhaul by a drop from
//!   their route, a chain of microwave hops (relays where a hop ends at no known node), or a
//!   satellite link to a satellite hub (a core node: space does not share the ground's failures).
//! - Planned settlements get an access node carrying their people, joined to their site (radio
//!   cell), route (fibre drop), hops or the satellite hub.
//! - Without a plan, [`ModelOptions::attach_unplanned_m`] attaches registry settlements to the
//!   nearest backbone node within that distance (an assumed access link), so the existing
//!   infrastructure can be analysed alone.

use crate::error::Result;
use crate::model::{ElementKind, NetworkModel};
use auyl_model::{
    BackboneNode, Backhaul, FibreRoute, Id, Layer, LonLat, Mast, NodeKind, Plan, PowerSource,
    PowerSupply, RegistryLayers, Settlement, Technology,
};
use geo_types::{Coord, LineString};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The registry's infrastructure a model is built on.
#[derive(Debug, Clone, Copy, Default)]
pub struct Registry<'a> {
    /// Settlements (locations, populations).
    pub settlements: &'a [Settlement],
    /// Backbone nodes (core and PoPs).
    pub backbone: &'a [BackboneNode],
    /// Masts (locations of existing sites the plan reuses).
    pub masts: &'a [Mast],
    /// Existing fibre routes.
    pub fibre: &'a [FibreRoute],
    /// Power plants and substations.
    pub power: &'a [PowerSource],
}

/// The registry layers a model is built from: what to load from the store.
pub const LAYERS: [Layer; 5] = [
    Layer::Settlements,
    Layer::BackboneNodes,
    Layer::Masts,
    Layer::FibreRoutes,
    Layer::Power,
];

impl<'a> Registry<'a> {
    /// The infrastructure of loaded registry layers (at least [`LAYERS`]).
    pub fn of(layers: &'a RegistryLayers) -> Registry<'a> {
        Registry {
            settlements: &layers.settlements,
            backbone: &layers.nodes,
            masts: &layers.masts,
            fibre: &layers.fibre,
            power: &layers.power,
        }
    }
}

/// Without a plan, registry settlements within this distance of a backbone node are attached to
/// it ([`network`]), metres.
pub const DEFAULT_ATTACH_M: f64 = 30_000.0;

/// The network of the registry (`layers`, at least [`LAYERS`]) and a plan, or of the registry
/// alone: what the command line and the server analyse. `attach_unplanned_m` defaults to
/// [`DEFAULT_ATTACH_M`] without a plan and to none with one; batteries nothing states last
/// `default_battery_h`. Without a plan the registry must have backbone nodes.
pub fn network(
    plan: Option<&Plan>,
    layers: &RegistryLayers,
    attach_unplanned_m: Option<f64>,
    default_battery_h: f64,
) -> Result<NetworkModel> {
    if plan.is_none() && layers.nodes.is_empty() {
        return Err(crate::ResilienceError::NothingToAnalyse);
    }
    let opts = ModelOptions {
        attach_unplanned_m: attach_unplanned_m.or(plan.is_none().then_some(DEFAULT_ATTACH_M)),
        default_battery_h,
        ..ModelOptions::default()
    };
    from_plan(plan, &Registry::of(layers), &opts)
}

/// How the registry and plan are turned into a model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelOptions {
    /// Points closer than this are one node (route ends, hop ends), metres.
    pub snap_m: f64,
    /// A grid-powered node is fed by the nearest power source within this distance, metres.
    pub power_radius_m: f64,
    /// Battery of backbone nodes, relays and settlement access nodes when nothing says, hours.
    pub default_battery_h: f64,
    /// Attach registry settlements the plan does not serve to the nearest backbone node within
    /// this distance (metres); `None`: leave them out.
    pub attach_unplanned_m: Option<f64>,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            snap_m: 500.0,
            power_radius_m: 100_000.0,
            default_battery_h: 4.0,
            attach_unplanned_m: None,
        }
    }
}

const M_PER_DEG: f64 = 111_195.0;

/// Nearest-node lookups on a local planar frame (lon scaled by cos 48°, Kazakhstan's middle).
struct Snapper {
    tree: RTree<GeomWithData<[f64; 2], usize>>,
}

fn xy(p: LonLat) -> [f64; 2] {
    [p.lon_deg * 48f64.to_radians().cos(), p.lat_deg]
}

fn lonlat(c: Coord<f64>) -> LonLat {
    LonLat {
        lon_deg: c.x,
        lat_deg: c.y,
    }
}

impl Snapper {
    fn new() -> Snapper {
        Snapper { tree: RTree::new() }
    }
    fn insert(&mut self, p: LonLat, v: usize) {
        self.tree.insert(GeomWithData::new(xy(p), v));
    }
    /// Nearest inserted element within `max_m` metres (great circle), with its distance.
    fn nearest(
        &self,
        p: LonLat,
        max_m: f64,
        locs: &dyn Fn(usize) -> LonLat,
    ) -> Option<(usize, f64)> {
        // Planar degrees understate east-west distances north of 48° by < 30 %: search wider.
        let r = max_m / M_PER_DEG * 1.5;
        let mut best: Option<(usize, f64)> = None;
        for g in self.tree.locate_within_distance(xy(p), r * r) {
            let d = p.haversine_distance_m(locs(g.data));
            if d <= max_m && best.is_none_or(|b| d < b.1 || (d == b.1 && g.data < b.0)) {
                best = Some((g.data, d));
            }
        }
        best
    }
}

struct Builder<'a> {
    m: NetworkModel,
    opts: &'a ModelOptions,
    /// Nodes that links may snap to (backbone, junctions, masts, relays).
    nodes: Snapper,
    backbone: Snapper,
    power: Snapper,
    loc: Vec<LonLat>,
    power_ids: Vec<usize>,
    unpowered: usize,
    sat_hub: Option<usize>,
    serial: usize,
}

impl Builder<'_> {
    fn location(&self, v: usize) -> LonLat {
        self.loc[v]
    }

    fn node(
        &mut self,
        id: String,
        kind: ElementKind,
        at: LonLat,
        snappable: bool,
    ) -> Result<usize> {
        let v = self.m.add_node(id, kind, at)?;
        self.track(v, at);
        if snappable {
            self.nodes.insert(at, v);
        }
        Ok(v)
    }

    fn track(&mut self, v: usize, at: LonLat) {
        if self.loc.len() <= v {
            self.loc.resize(v + 1, at);
        }
        self.loc[v] = at;
    }

    fn link(
        &mut self,
        id: String,
        kind: ElementKind,
        a: usize,
        b: usize,
        g: Option<LineString<f64>>,
    ) -> Result<usize> {
        let id = if self.m.find(&id).is_some() {
            self.serial += 1;
            format!("{id}~{}", self.serial)
        } else {
            id
        };
        let l = self.m.add_link(id, kind, a, b, g)?;
        let at = self.loc[a];
        self.track(l, at);
        Ok(l)
    }

    fn snapped_node(&self, p: LonLat) -> Option<usize> {
        let loc = &self.loc;
        self.nodes
            .nearest(p, self.opts.snap_m, &|v| loc[v])
            .map(|(v, _)| v)
    }

    /// A node at `p`: an existing one within the snap distance, else a new one of `kind`.
    fn node_at(&mut self, p: LonLat, kind: ElementKind, id: String) -> Result<usize> {
        match self.snapped_node(p) {
            Some(v) => Ok(v),
            None => {
                let v = self.node(id, kind, p, true)?;
                if kind == ElementKind::Relay {
                    self.grid(v, self.opts.default_battery_h)?;
                }
                Ok(v)
            }
        }
    }

    /// Feeds `v` from the nearest grid source within the radius, with `battery_h`.
    fn grid(&mut self, v: usize, battery_h: f64) -> Result<()> {
        let p = self.loc[v];
        let loc = &self.loc;
        let near = self
            .power
            .nearest(p, self.opts.power_radius_m, &|i| loc[i])
            .map(|(i, _)| i);
        if near.is_none() {
            self.unpowered += 1;
        }
        self.m.set_power(v, near, battery_h)
    }

    fn sat_hub(&mut self) -> Result<usize> {
        if let Some(h) = self.sat_hub {
            return Ok(h);
        }
        // Placed at the centre of Kazakhstan: the hub's position plays no part in the analysis.
        let at = LonLat {
            lon_deg: 67.0,
            lat_deg: 48.0,
        };
        let h = self.node("satellite-hub".into(), ElementKind::SatelliteHub, at, false)?;
        // One notional hub stands for the satellite service: an assumption, flagged as such.
        self.m.set_assumed(h, true)?;
        self.m.assumptions.push(
            "satellite terminals reach a satellite hub that shares no terrestrial failure".into(),
        );
        self.sat_hub = Some(h);
        Ok(h)
    }
}

/// Index of the vertex of `line` nearest to `p`, with its distance in metres.
fn nearest_vertex(line: &LineString<f64>, p: LonLat) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for (i, c) in line.0.iter().enumerate() {
        let d = p.haversine_distance_m(lonlat(*c));
        if best.is_none_or(|b| d < b.1) {
            best = Some((i, d));
        }
    }
    best
}

/// Splits `line` at the given vertex positions (ascending, deduplicated) into `(from, to, piece)`.
fn pieces(line: &LineString<f64>, cuts: &[usize]) -> Vec<(usize, usize, LineString<f64>)> {
    cuts.windows(2)
        .map(|w| (w[0], w[1], LineString(line.0[w[0]..=w[1]].to_vec())))
        .collect()
}

/// Builds the network of `registry` and `plan` (see the module docs).
pub fn from_plan(
    plan: Option<&Plan>,
    registry: &Registry<'_>,
    opts: &ModelOptions,
) -> Result<NetworkModel> {
    for (name, v) in [
        ("snap_m", opts.snap_m),
        ("power_radius_m", opts.power_radius_m),
        ("default_battery_h", opts.default_battery_h),
    ] {
        if !v.is_finite() || v < 0.0 {
            return Err(crate::ResilienceError::BadParameter {
                name,
                message: format!("{v} must be finite and ≥ 0"),
            });
        }
    }
    let mut b = Builder {
        m: NetworkModel::new(),
        opts,
        nodes: Snapper::new(),
        backbone: Snapper::new(),
        power: Snapper::new(),
        loc: Vec::new(),
        power_ids: Vec::new(),
        unpowered: 0,
        sat_hub: None,
        serial: 0,
    };
    // Power sources.
    for p in registry.power {
        let v =
            b.m.add_power(p.id.as_str(), ElementKind::PowerGrid, p.location)?;
        b.track(v, p.location);
        b.power.insert(p.location, v);
        b.power_ids.push(v);
    }
    // Backbone.
    let any_core = registry.backbone.iter().any(|n| n.kind == NodeKind::Core);
    for n in registry.backbone {
        let kind = if n.kind == NodeKind::Core {
            ElementKind::Core
        } else {
            ElementKind::Pop
        };
        let v = b.node(n.id.as_str().to_string(), kind, n.location, true)?;
        b.backbone.insert(n.location, v);
        if !any_core {
            b.m.set_core(v, true)?;
        }
        if n.assumed {
            b.m.set_assumed(v, true)?;
        }
        b.grid(v, opts.default_battery_h)?;
    }
    if !any_core && !registry.backbone.is_empty() {
        b.m.assumptions.push(format!(
            "no core node in the registry: all {} backbone nodes stand in as core (the backbone beyond them is taken as resilient)",
            registry.backbone.len()
        ));
    }
    // Existing fibre routes.
    for r in registry.fibre {
        let line = &r.geometry;
        if line.0.len() < 2 {
            continue;
        }
        let mut cuts: BTreeMap<usize, usize> = BTreeMap::new();
        for (k, c) in line.0.iter().enumerate() {
            let interior = k > 0 && k + 1 < line.0.len();
            let p = lonlat(*c);
            let loc = &b.loc;
            let hit = if interior {
                b.backbone.nearest(p, opts.snap_m, &|v| loc[v]).map(|x| x.0)
            } else {
                b.snapped_node(p)
            };
            if let Some(v) = hit {
                cuts.entry(k).or_insert(v);
            }
        }
        let last = line.0.len() - 1;
        for k in [0, last] {
            if let std::collections::btree_map::Entry::Vacant(e) = cuts.entry(k) {
                let v = b.node(
                    format!("{}@{k}", r.id),
                    ElementKind::Junction,
                    lonlat(line.0[k]),
                    true,
                )?;
                e.insert(v);
            }
        }
        let ks: Vec<usize> = cuts.keys().copied().collect();
        for (i, (from, to, piece)) in pieces(line, &ks).into_iter().enumerate() {
            let (a, z) = (cuts[&from], cuts[&to]);
            if a != z {
                let l = b.link(
                    format!("{}#{i}", r.id),
                    ElementKind::FibreSegment,
                    a,
                    z,
                    Some(piece),
                )?;
                if r.assumed {
                    b.m.set_assumed(l, true)?;
                }
            }
        }
    }
    let Some(plan) = plan else {
        attach_unplanned(&mut b, registry, &HashMap::new())?;
        return finish(b);
    };
    let settlement_at: HashMap<&Id, &Settlement> =
        registry.settlements.iter().map(|s| (&s.id, s)).collect();
    let mast_at: HashMap<&Id, &Mast> = registry.masts.iter().map(|m| (&m.id, m)).collect();
    let hops: HashMap<&Id, &auyl_model::PlannedHop> =
        plan.hops.iter().map(|h| (&h.id, h)).collect();
    let sites: HashMap<&Id, &auyl_model::PlannedSite> =
        plan.sites.iter().map(|s| (&s.id, s)).collect();
    // Planned routes: taps where served settlements and sites join.
    let mut taps: HashMap<&Id, Vec<(usize, usize)>> = HashMap::new(); // route -> (vertex, node)
    let mut missing = 0usize;
    let mut assumed_pops = 0usize;
    for r in &plan.routes {
        let line = &r.geometry;
        if line.0.len() < 2 {
            continue;
        }
        // The route's PoP: a registry node, or one the planner assumed at a settlement
        // (`assumed-pop:<settlement id>`), which becomes a node of its own, core like every PoP
        // when the registry marks no core.
        let pop = match b.m.find(r.from_node_id.as_str()) {
            Some(v) => Some(v),
            None => match r
                .from_node_id
                .as_str()
                .strip_prefix("assumed-pop:")
                .and_then(|sid| settlement_at.get(&Id::new(sid)))
            {
                Some(s) => {
                    let v = b.node(
                        r.from_node_id.as_str().to_string(),
                        ElementKind::Pop,
                        s.location,
                        true,
                    )?;
                    b.m.set_assumed(v, true)?;
                    if !any_core {
                        b.m.set_core(v, true)?;
                    }
                    b.grid(v, opts.default_battery_h)?;
                    assumed_pops += 1;
                    Some(v)
                }
                None => None,
            },
        };
        // A route is one segment of a tree: it starts at its PoP only when it begins there;
        // otherwise at the end of its parent segment (snapped).
        let first = lonlat(line.0[0]);
        let start = match pop {
            Some(v) if b.loc[v].haversine_distance_m(first) <= opts.snap_m.max(1.0) => v,
            _ => b.node_at(first, ElementKind::Junction, format!("{}@start", r.id))?,
        };
        let mut cut: BTreeMap<usize, usize> = BTreeMap::new();
        cut.insert(0, start);
        let mut want: Vec<usize> = Vec::new();
        let served_sites = plan.sites.iter().filter(
            |s| matches!(&s.backhaul, Backhaul::Fibre { route_id: Some(id) } if *id == r.id),
        );
        for p in r
            .serves
            .iter()
            .filter_map(|id| settlement_at.get(id).map(|s| s.location))
            .chain(served_sites.map(|s| s.location))
        {
            if let Some((k, _)) = nearest_vertex(line, p) {
                want.push(k);
            }
        }
        let last = line.0.len() - 1;
        want.push(last);
        want.sort_unstable();
        want.dedup();
        for k in want {
            if k == 0 {
                continue;
            }
            let p = lonlat(line.0[k]);
            let v = if k == last {
                let loc = &b.loc;
                match b.backbone.nearest(p, opts.snap_m, &|v| loc[v]) {
                    Some((v, _)) if v != start => v,
                    _ => b.node(format!("{}@{k}", r.id), ElementKind::Junction, p, true)?,
                }
            } else {
                b.node(format!("{}@{k}", r.id), ElementKind::Junction, p, true)?
            };
            cut.insert(k, v);
        }
        let ks: Vec<usize> = cut.keys().copied().collect();
        for (i, (from, to, piece)) in pieces(line, &ks).into_iter().enumerate() {
            b.link(
                format!("{}#{i}", r.id),
                ElementKind::FibreSegment,
                cut[&from],
                cut[&to],
                Some(piece),
            )?;
        }
        taps.insert(&r.id, cut.into_iter().collect());
    }
    let tap = |b: &Builder<'_>, route: &Id, p: LonLat| -> Option<usize> {
        taps.get(route).and_then(|t| {
            t.iter()
                .map(|&(_, v)| (v, p.haversine_distance_m(b.location(v))))
                .min_by(|x, y| x.1.total_cmp(&y.1))
                .map(|x| x.0)
        })
    };
    // Microwave chains: from `from` along the hops towards the backbone.
    fn chain(
        b: &mut Builder<'_>,
        from: usize,
        ids: &[Id],
        hops: &HashMap<&Id, &auyl_model::PlannedHop>,
        missing: &mut usize,
    ) -> Result<()> {
        let mut cur = from;
        for id in ids {
            let Some(h) = hops.get(id) else {
                *missing += 1;
                continue;
            };
            let end = b.node_at(h.b, ElementKind::Relay, format!("{}@b", h.id))?;
            if end == cur {
                continue;
            }
            b.link(
                h.id.as_str().to_string(),
                ElementKind::MicrowaveLink,
                cur,
                end,
                None,
            )?;
            cur = end;
        }
        Ok(())
    }
    // Sites.
    for s in &plan.sites {
        let at = mast_at.get(&s.id).map_or(s.location, |m| m.location);
        let v = b.node(s.id.as_str().to_string(), ElementKind::Mast, at, true)?;
        match s.power {
            PowerSupply::Grid { battery_h, .. } => b.grid(v, battery_h)?,
            PowerSupply::SolarBattery { battery_h } => {
                let p =
                    b.m.add_power(format!("{}:solar", s.id), ElementKind::PowerSolar, at)?;
                b.track(p, at);
                b.m.set_power(v, Some(p), battery_h)?;
            }
        }
    }
    for s in &plan.sites {
        let Some(v) = b.m.find(s.id.as_str()) else {
            continue;
        };
        match &s.backhaul {
            Backhaul::Fibre { route_id: Some(r) } => match tap(&b, r, b.location(v)) {
                Some(t) => {
                    b.link(
                        format!("{}:drop", s.id),
                        ElementKind::FibreSegment,
                        t,
                        v,
                        None,
                    )?;
                }
                None => missing += 1,
            },
            Backhaul::Fibre { route_id: None } => {
                let loc = &b.loc;
                match b
                    .backbone
                    .nearest(b.location(v), f64::INFINITY, &|x| loc[x])
                {
                    Some((n, _)) => {
                        let l = b.link(
                            format!("{}:fibre", s.id),
                            ElementKind::FibreSegment,
                            n,
                            v,
                            None,
                        )?;
                        b.m.set_assumed(l, true)?;
                    }
                    None => missing += 1,
                }
            }
            Backhaul::Microwave { hop_ids } => chain(&mut b, v, hop_ids, &hops, &mut missing)?,
            Backhaul::Satellite => {
                let h = b.sat_hub()?;
                b.link(
                    format!("{}:sat", s.id),
                    ElementKind::SatelliteLink,
                    v,
                    h,
                    None,
                )?;
            }
        }
    }
    // Settlements.
    let mut planned: HashMap<&Id, ()> = HashMap::new();
    let mut no_location = 0usize;
    for sp in &plan.settlements {
        let Some(at) = settlement_at
            .get(&sp.settlement_id)
            .map(|s| s.location)
            .or_else(|| {
                sp.site_id
                    .as_ref()
                    .and_then(|id| sites.get(id))
                    .map(|s| s.location)
            })
        else {
            no_location += 1;
            continue;
        };
        planned.insert(&sp.settlement_id, ());
        let v = match b.m.find(sp.settlement_id.as_str()) {
            Some(v) => v,
            None => {
                let v = b.m.add_settlement(&sp.settlement_id, sp.people, at)?;
                b.track(v, at);
                b.grid(v, opts.default_battery_h)?;
                v
            }
        };
        let sid = sp.settlement_id.as_str();
        if let Some(site) = sp.site_id.as_ref().and_then(|id| b.m.find(id.as_str())) {
            b.link(
                format!("{sid}:access"),
                ElementKind::AccessLink,
                site,
                v,
                None,
            )?;
        } else if let Some(t) = sp.route_id.as_ref().and_then(|r| tap(&b, r, at)) {
            b.link(format!("{sid}:drop"), ElementKind::AccessLink, t, v, None)?;
        } else if !sp.hop_ids.is_empty() {
            chain(&mut b, v, &sp.hop_ids, &hops, &mut missing)?;
        } else if sp.technology == Technology::Satellite {
            let h = b.sat_hub()?;
            b.link(format!("{sid}:sat"), ElementKind::SatelliteLink, v, h, None)?;
        } else {
            missing += 1;
        }
    }
    if assumed_pops > 0 {
        b.m.assumptions.push(format!(
            "{assumed_pops} PoPs the plan assumed (no backbone node in the registry) are nodes of their own{}",
            if any_core { "" } else { " and stand in as core" }
        ));
    }
    if missing > 0 {
        b.m.assumptions.push(format!(
            "{missing} plan references (route, site or hop) not found: the elements they join are left unconnected"
        ));
    }
    if no_location > 0 {
        b.m.assumptions.push(format!(
            "{no_location} planned settlements not in the registry (no location): left out"
        ));
    }
    attach_unplanned(&mut b, registry, &planned)?;
    finish(b)
}

fn attach_unplanned(
    b: &mut Builder<'_>,
    registry: &Registry<'_>,
    planned: &HashMap<&Id, ()>,
) -> Result<()> {
    let Some(max_m) = b.opts.attach_unplanned_m else {
        return Ok(());
    };
    let mut n = 0usize;
    let mut far = 0usize;
    for s in registry.settlements {
        if planned.contains_key(&s.id) || b.m.find(s.id.as_str()).is_some() {
            continue;
        }
        let loc = &b.loc;
        let Some((pop, _)) = b.backbone.nearest(s.location, max_m, &|v| loc[v]) else {
            far += 1;
            continue;
        };
        let people = s.population.as_ref().map_or(0, |p| u64::from(p.people));
        let v = b.m.add_settlement(&s.id, people, s.location)?;
        b.track(v, s.location);
        b.grid(v, b.opts.default_battery_h)?;
        let l = b.link(
            format!("{}:access", s.id),
            ElementKind::AccessLink,
            pop,
            v,
            None,
        )?;
        b.m.set_assumed(l, true)?;
        n += 1;
    }
    b.m.assumptions.push(format!(
        "{n} settlements outside the plan attached to the nearest backbone node within {:.0} km by an assumed access link; {far} farther left out",
        max_m / 1000.0
    ));
    Ok(())
}

fn finish(mut b: Builder<'_>) -> Result<NetworkModel> {
    if b.unpowered > 0 {
        b.m.assumptions.push(format!(
            "{} grid-powered nodes have no power source within {:.0} km: their supply is unknown (not a failure element)",
            b.unpowered,
            b.opts.power_radius_m / 1000.0
        ));
    }
    if !b.power_ids.is_empty() {
        b.m.assumptions.push(format!(
            "grid-powered nodes are fed by the nearest of {} registry power sources within {:.0} km",
            b.power_ids.len(),
            b.opts.power_radius_m / 1000.0
        ));
    }
    Ok(b.m)
}
