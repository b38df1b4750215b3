//! The options of every target settlement, with their costs, capacities and shared elements.
//!
//! * **Fibre** follows the Steiner forest of each region over the region's road graph (the roads
//!   within 0.5° of its targets and PoPs, with the last-mile approximation;
//!   [`auyl_network::road::RoadGraph::route_fibre`]) from the region's PoPs to all its targets.
//!   The forest is cut into *segments* (paths between PoPs, targets and branch points); choosing
//!   fibre for a settlement requires every segment on its path to the PoP, and a segment is paid
//!   once however many settlements (or mast backhauls) share its trench. Routes are therefore
//!   restricted to the forest of all targets: a subset is served along the subtrees of that
//!   forest, which may be slightly longer than the subset's own Steiner tree.
//! * **LTE** from candidate sites: existing masts, a new mast at each target's centre, and one on
//!   the highest ground within `lte.high_ground_search_m` (from the DEM, when at least
//!   `lte.high_ground_min_gain_m` higher). A site covers a settlement when the median path loss
//!   is at most `lte.max_path_loss_db`: ITM point-to-point over the DEM profile when a DEM is
//!   given, Okumura-Hata open area otherwise (flagged). A new site is backhauled by fibre (the
//!   segment of its host settlement plus a spur) or by a chain of microwave hops to the nearest
//!   PoP that each clear `microwave.min_clearance_f1` of the first Fresnel zone over the DEM
//!   (without a DEM, only the earth bulge is checked: flagged); power is the cheaper (net present
//!   cost) of a grid connection and solar with batteries.
//! * **Point-to-point microwave** to the village: the same chain from the nearest PoP, a mast at
//!   the village and an in-village network.
//! * **Satellite**: enough terminals for the busy-hour demand; the monthly cost is the larger of
//!   the terminals' fees and the traffic at `satellite.data_usd_per_tb`.
//!
//! Everything is kept per region: trees and sites do not cross a region border, which makes the
//! regions independent problems for the optimiser (see `solve`).

use crate::scenario::Scenario;
use crate::{PlanError, PlanInputs, Progress};
use auyl_model::{BackboneNode, Id, LonLat, PowerSupply, Technology};
use auyl_network::Budget;
use auyl_network::road::{
    BuildOptions, CostModel, LastMileOptions, RoadAttributes, RoadClass, RoadGraph, RoadInput,
    Surface,
};
use auyl_radio::hata::{HataEnvironment, hata_loss_db};
use rayon::prelude::*;
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};
use std::collections::{BTreeMap, HashMap};

const M_PER_DEG: f64 = 111_195.0;
/// Terrain profile step for coverage and Fresnel checks, metres.
const PROFILE_STEP_M: f64 = 250.0;

/// A settlement the plan must connect.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// Index in the input settlements.
    pub s: usize,
    pub people: u64,
    pub demand_mbps: f64,
    pub households: f64,
    pub region: usize,
    pub loc: LonLat,
    /// Fibre: `None` no route (unreachable); `Some(None)` at a PoP; `Some(Some(g))` segment `g`.
    pub fibre_seg: Option<Option<usize>>,
}

/// A piece of a fibre tree between two key nodes.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub parent: Option<usize>,
    /// Graph edges from the upper end down to the lower end.
    pub edges: Vec<usize>,
    /// Node at the upper end (towards the PoP).
    pub upper: usize,
    pub capex_usd: f64,
    pub opex_usd_per_year: f64,
    /// Present value of replacements within the horizon, at the build year.
    pub replace_pv_usd: f64,
    pub length_m: f64,
    pub approx_m: f64,
    /// Index of the PoP of its tree.
    pub pop: usize,
    /// Index of the (regional) road graph its edges belong to.
    pub graph: usize,
}

/// One microwave hop of a chain.
#[derive(Debug, Clone)]
pub(crate) struct Hop {
    pub a: LonLat,
    pub b: LonLat,
    pub distance_m: f64,
    /// Worst clearance as a fraction of F1 (infinite when not computed).
    pub clearance_f1: f64,
    pub height_m: f64,
    pub capex_usd: f64,
}

/// A chain of hops from a point to a PoP.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    pub hops: Vec<Hop>,
    pub relays: usize,
    pub capex_usd: f64,
    pub opex_usd_per_year: f64,
    /// Present value of replacements (radios, relay masts and their solar) in the horizon.
    pub replace_pv_usd: f64,
    pub pop: usize,
}

/// An option that belongs to one settlement alone.
#[derive(Debug, Clone)]
pub(crate) struct OwnOption {
    pub tech: Technology,
    pub capex_usd: f64,
    pub opex_usd_per_year: f64,
    pub npc_usd: f64,
    pub capacity_mbps: f64,
    pub chain: Option<Chain>,
    pub power: Option<PowerSupply>,
    pub needs_land: bool,
    pub needs_power: bool,
}

/// How a site reaches the backbone.
#[derive(Debug, Clone)]
pub(crate) enum SiteBackhaul {
    /// Existing mast: its backhaul is assumed to exist.
    Existing,
    /// Fibre from the host settlement's tree (segment, or none at a PoP) plus a spur.
    Fibre {
        seg: Option<usize>,
        spur_m: f64,
    },
    Microwave(Chain),
}

#[derive(Debug, Clone)]
pub(crate) struct SiteVariant {
    pub backhaul: SiteBackhaul,
    pub capex_usd: f64,
    pub opex_usd_per_year: f64,
    pub npc_usd: f64,
}

/// A candidate (or existing) LTE site.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub region: usize,
    pub loc: LonLat,
    pub ground_m: f64,
    pub height_m: f64,
    /// Registry mast, for existing sites.
    pub existing: Option<usize>,
    /// Target it stands in or near (new sites).
    pub host: Option<usize>,
    pub power: PowerSupply,
    pub capacity_mbps: f64,
    pub variants: Vec<SiteVariant>,
    /// Targets covered, with the path loss (dB), best first.
    pub covers: Vec<(usize, f64)>,
    pub high_ground: bool,
}

/// One region's share of the problem.
#[derive(Debug, Clone, Default)]
pub(crate) struct Region {
    pub code: String,
    pub targets: Vec<usize>,
    pub segments: Vec<usize>,
    pub sites: Vec<usize>,
}

/// Everything the optimiser chooses from.
#[derive(Debug)]
pub(crate) struct Candidates {
    pub targets: Vec<Target>,
    pub segments: Vec<Segment>,
    pub sites: Vec<Site>,
    pub regions: Vec<Region>,
    /// Own options of each target (fibre's own part first when fibre is possible).
    pub own: Vec<Vec<OwnOption>>,
    pub pops: Vec<BackboneNode>,
    /// Road graphs, one per region with fibre routes.
    pub graphs: Vec<RoadGraph>,
    /// Settlements left out because they are already connected (within reach of a PoP).
    pub already_connected: usize,
    /// Plan-wide notes (fallbacks used, counts).
    pub notes: Vec<String>,
    pub annuity: f64,
    /// Real discount rate, fraction per year.
    pub discount_rate: f64,
    /// Base year: costs are discounted to it from their build year.
    pub base_year: i32,
    pub terrain_used: bool,
}

fn haversine_m(a: LonLat, b: LonLat) -> f64 {
    a.haversine_distance_m(b)
}

fn offset(p: LonLat, dx_m: f64, dy_m: f64) -> LonLat {
    let lat = (p.lat_deg + dy_m / M_PER_DEG).clamp(-89.9, 89.9);
    let lon = p.lon_deg + dx_m / (M_PER_DEG * p.lat_deg.to_radians().cos().max(0.01));
    LonLat::new(lon, lat).unwrap_or(p)
}

fn lerp(a: LonLat, b: LonLat, t: f64) -> LonLat {
    LonLat::new(
        a.lon_deg + (b.lon_deg - a.lon_deg) * t,
        a.lat_deg + (b.lat_deg - a.lat_deg) * t,
    )
    .unwrap_or(a)
}

type PointIndex = RTree<GeomWithData<[f64; 2], usize>>;

fn index_points(points: impl Iterator<Item = (usize, LonLat)>) -> PointIndex {
    RTree::bulk_load(
        points
            .map(|(i, p)| GeomWithData::new([p.lon_deg, p.lat_deg], i))
            .collect(),
    )
}

fn within(index: &PointIndex, p: LonLat, radius_m: f64) -> Vec<usize> {
    let dlat = radius_m / M_PER_DEG;
    let dlon = radius_m / (M_PER_DEG * (p.lat_deg.abs() + dlat).min(89.0).to_radians().cos());
    let env = AABB::from_corners(
        [p.lon_deg - dlon, p.lat_deg - dlat],
        [p.lon_deg + dlon, p.lat_deg + dlat],
    );
    let mut v: Vec<usize> = index.locate_in_envelope(&env).map(|g| g.data).collect();
    v.sort_unstable();
    v
}

fn nearest(index: &PointIndex, p: LonLat) -> Option<usize> {
    index
        .nearest_neighbor(&[p.lon_deg, p.lat_deg])
        .map(|g| g.data)
}

/// Elevation at a point from the DEM (None without a DEM or outside it).
fn ground(terrain: Option<&auyl_terrain::DemSet>, p: LonLat) -> Option<f64> {
    terrain.and_then(|d| d.elevation_m(p).ok())
}

fn profile(
    terrain: &auyl_terrain::DemSet,
    a: LonLat,
    b: LonLat,
    length_m: f64,
) -> Option<(f64, Vec<f64>)> {
    let n = ((length_m / PROFILE_STEP_M).ceil() as usize + 1).clamp(3, 2_000);
    let mut buf = vec![0.0; n];
    terrain.profile_into(a, b, &mut buf).ok()?;
    Some((length_m / (n - 1) as f64, buf))
}

/// Median path loss from a site to a settlement, dB, and whether the DEM was used.
fn path_loss_db(
    terrain: Option<&auyl_terrain::DemSet>,
    sc: &Scenario,
    site: LonLat,
    h_m: f64,
    to: LonLat,
) -> (f64, bool) {
    let d = haversine_m(site, to);
    if let Some(dem) = terrain
        && d > 100.0
        && let Some((res, elev)) = profile(dem, site, to, d)
    {
        let settings = auyl_radio::coverage::ItmSettings::default();
        let out = auyl_radio::itm::p2p(
            auyl_radio::itm::Profile {
                resolution_m: res,
                elevations_m: &elev,
            },
            h_m,
            sc.lte.rx_height_m,
            &settings.params(sc.lte.freq_mhz),
            settings.variability(),
        );
        if let Ok(o) = out {
            return (o.a_db, true);
        }
    }
    let d = d.max(1_000.0);
    (
        hata_loss_db(
            HataEnvironment::Open,
            sc.lte.freq_mhz,
            h_m,
            sc.lte.rx_height_m,
            d,
        ),
        false,
    )
}

/// A chain of microwave hops from `from` to the nearest PoP (of `pops`), or `None` when too
/// long or a hop fails the Fresnel check.
fn chain_to_pop(
    terrain: Option<&auyl_terrain::DemSet>,
    sc: &Scenario,
    from: LonLat,
    pops: &[BackboneNode],
    pop_index: &PointIndex,
    region_pops: &[usize],
) -> Option<Chain> {
    // Nearest PoP of the region (or any when the region has none).
    let pop = if region_pops.is_empty() {
        nearest(pop_index, from)?
    } else {
        *region_pops.iter().min_by(|&&a, &&b| {
            haversine_m(from, pops[a].location).total_cmp(&haversine_m(from, pops[b].location))
        })?
    };
    let to = pops[pop].location;
    let d = haversine_m(from, to);
    let n = ((d / sc.microwave.max_hop_m).ceil() as usize).max(1);
    if n > sc.microwave.max_hops as usize {
        return None;
    }
    let h = sc.microwave.mast_height_m;
    let mut hops = Vec::with_capacity(n);
    let mut capex = 0.0;
    for i in 0..n {
        let a = lerp(from, to, i as f64 / n as f64);
        let b = lerp(from, to, (i + 1) as f64 / n as f64);
        let len = haversine_m(a, b);
        let cost = sc.hop_usd(len)?;
        let clearance = match terrain.and_then(|dem| profile(dem, a, b, len)) {
            Some((res, elev)) => {
                let prof = auyl_radio::los::Profile::new(res, elev).ok()?;
                let mut params = auyl_radio::los::LosParams::new(h, h, sc.microwave.freq_mhz);
                params.k_factor = sc.microwave.k_factor;
                let an = auyl_radio::los::analyze(&prof, &params).ok()?;
                an.worst.map_or(f64::INFINITY, |w| w.clearance_f1_fraction)
            }
            None => {
                // Flat ground: earth bulge at mid-path against the F1 radius there.
                let bulge =
                    auyl_radio::los::earth_bulge_m(len / 2.0, len / 2.0, sc.microwave.k_factor);
                let f1 =
                    auyl_radio::los::fresnel_radius_m(len / 2.0, len / 2.0, sc.microwave.freq_mhz);
                (h - bulge) / f1.max(1e-9)
            }
        };
        if clearance < sc.microwave.min_clearance_f1 {
            return None;
        }
        capex += cost;
        hops.push(Hop {
            a,
            b,
            distance_m: len,
            clearance_f1: clearance,
            height_m: h,
            capex_usd: cost,
        });
    }
    let relays = n - 1;
    let lt = &sc.lifetimes;
    let relay_mast = sc.mast_usd(h).unwrap_or(0.0);
    let replace_pv_usd = sc.replacement_pv_usd(capex, lt.microwave_radio_years)
        + relays as f64
            * (sc.replacement_pv_usd(relay_mast, lt.mast_years)
                + sc.replacement_pv_usd(sc.power.solar_battery_usd, lt.solar_battery_years));
    capex += relays as f64 * (relay_mast + sc.power.solar_battery_usd);
    Some(Chain {
        hops,
        relays,
        capex_usd: capex,
        opex_usd_per_year: capex * sc.lte.opex_fraction_of_capex_per_year,
        replace_pv_usd,
        pop,
    })
}

/// Cheaper power for a new site: grid from the village (or the nearest power source) or solar.
/// Returns (supply, capex, opex per year, present value of replacements in the horizon).
fn power_for(
    sc: &Scenario,
    annuity: f64,
    site: LonLat,
    host: Option<LonLat>,
    power_index: &PointIndex,
    power_locs: &[LonLat],
) -> (PowerSupply, f64, f64, f64) {
    let energy_opex = sc.power.site_load_kw * 8_760.0 * sc.power.electricity_usd_per_kwh;
    let grid_dist = match (sc.power.settlements_have_grid, host) {
        (true, Some(h)) => Some(haversine_m(site, h) * sc.power.grid_detour_factor),
        _ => nearest(power_index, site)
            .map(|i| haversine_m(site, power_locs[i]) * sc.power.grid_detour_factor),
    };
    let solar = (
        PowerSupply::SolarBattery {
            battery_h: sc.power.solar_battery_autonomy_h,
        },
        sc.power.solar_battery_usd,
        0.0,
        sc.replacement_pv_usd(sc.power.solar_battery_usd, sc.lifetimes.solar_battery_years),
    );
    match grid_dist {
        Some(d) if d <= sc.power.grid_max_m => {
            let capex = sc.power.grid_connection_usd + d / 1_000.0 * sc.power.grid_usd_per_km;
            let grid = (
                PowerSupply::Grid {
                    extension_m: d,
                    battery_h: sc.power.grid_battery_backup_h,
                },
                capex,
                energy_opex,
                sc.replacement_pv_usd(capex, sc.lifetimes.grid_line_years),
            );
            if grid.1 + grid.2 * annuity + grid.3 <= solar.1 + solar.2 * annuity + solar.3 {
                grid
            } else {
                solar
            }
        }
        _ => solar,
    }
}

/// [`build_with`] routing fibre to every target settlement (the tests' entry point).
#[cfg(test)]
pub(crate) fn build(
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    pops: Vec<BackboneNode>,
    routing_budget: &(dyn Budget + Sync),
    max_sites_per_settlement: usize,
    progress: &dyn Fn(Progress),
) -> Result<Candidates, PlanError> {
    build_with(
        inputs,
        sc,
        pops,
        routing_budget,
        max_sites_per_settlement,
        None,
        progress,
    )
}

/// Builds every option. `pops` are the backbone nodes to route from (registry or assumed). With
/// `fibre_terminals` (by settlement index), the fibre forests are routed to those settlements
/// only (others get fibre only where a route passes their attachment); `None` routes to every
/// target.
pub(crate) fn build_with(
    inputs: &PlanInputs<'_>,
    sc: &Scenario,
    pops: Vec<BackboneNode>,
    routing_budget: &(dyn Budget + Sync),
    max_sites_per_settlement: usize,
    fibre_terminals: Option<&[bool]>,
    progress: &dyn Fn(Progress),
) -> Result<Candidates, PlanError> {
    let annuity = sc.annuity_factor();
    let terrain = inputs.terrain;
    let mut notes = Vec::new();
    // --- targets -------------------------------------------------------------------------
    let kinds: Vec<auyl_model::SettlementKind> = sc
        .targets
        .kinds
        .iter()
        .filter_map(|k| auyl_model::SettlementKind::parse(k))
        .collect();
    let pop_index = index_points(pops.iter().enumerate().map(|(i, p)| (i, p.location)));
    let mut region_codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut targets = Vec::new();
    let mut already_connected = 0;
    for (i, s) in inputs.settlements.iter().enumerate() {
        let people = u64::from(s.population.as_ref().map_or(0, |p| p.people));
        if !kinds.contains(&s.kind)
            || people < u64::from(sc.targets.min_population)
            || sc.targets.exclude_ids.iter().any(|x| x == s.id.as_str())
        {
            continue;
        }
        if let Some(p) = nearest(&pop_index, s.location)
            && haversine_m(s.location, pops[p].location) <= sc.targets.connected_within_m
        {
            already_connected += 1;
            continue;
        }
        let code = s.region_code.clone().unwrap_or_else(|| "-".to_string());
        let n = region_codes.len();
        let region = *region_codes.entry(code).or_insert(n);
        targets.push(Target {
            s: i,
            people,
            demand_mbps: sc.demand_mbps(people),
            households: (people as f64 / sc.household_size(s.region_code.as_deref())).ceil(),
            region,
            loc: s.location,
            fibre_seg: None,
        });
    }
    // Regions in code order.
    let mut regions: Vec<Region> = vec![Region::default(); region_codes.len()];
    for (code, &i) in &region_codes {
        regions[i].code = code.clone();
    }
    for (t, tg) in targets.iter().enumerate() {
        regions[tg.region].targets.push(t);
    }
    // Region of each PoP: the region of the nearest settlement.
    let settlement_index = index_points(
        inputs
            .settlements
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.location)),
    );
    let mut region_pops: Vec<Vec<usize>> = vec![Vec::new(); regions.len()];
    for (p, node) in pops.iter().enumerate() {
        let code = nearest(&settlement_index, node.location)
            .and_then(|i| inputs.settlements[i].region_code.clone())
            .unwrap_or_else(|| "-".to_string());
        if let Some(&r) = region_codes.get(&code) {
            region_pops[r].push(p);
        }
    }
    progress(Progress::stage("targets", targets.len(), targets.len()));

    // --- fibre forests --------------------------------------------------------------------
    let costs = CostModel {
        trench_paved_per_km: sc.fibre.trench_paved_usd_per_km,
        trench_unpaved_per_km: sc.fibre.trench_unpaved_usd_per_km,
        aerial_per_km: sc.fibre.aerial_usd_per_km,
        approximate_per_km: sc.fibre.approximate_usd_per_km,
    };
    let road_inputs: Vec<RoadInput> = inputs
        .roads
        .iter()
        .filter(|r| r.geometry.0.len() >= 2)
        .map(|r| RoadInput {
            geometry: r.geometry.clone(),
            attributes: RoadAttributes {
                class: RoadClass::from_osm(r.class.as_deref().unwrap_or("")),
                surface: Surface::from_osm(r.surface.as_deref()),
                aerial_allowed: false,
            },
        })
        .collect();
    let mut segments: Vec<Segment> = Vec::new();
    let mut graphs: Vec<RoadGraph> = Vec::new();
    let mut unreachable = 0usize;
    // The routing of each region (the expensive part) runs in parallel; the trees are then cut
    // into segments in region order.
    progress(Progress::stage("fibre routes", 0, region_codes.len()));
    type Routed = (
        RoadGraph,
        auyl_network::road::FibrePlan,
        Vec<usize>,
        Vec<(usize, usize)>,
    );
    let routed: Vec<Option<Routed>> = regions
        .par_iter()
        .enumerate()
        .map(|(r, region)| -> Result<Option<Routed>, PlanError> {
            let pop_list: Vec<usize> = if region_pops[r].is_empty() {
                (0..pops.len()).collect()
            } else {
                region_pops[r].clone()
            };
            if pop_list.is_empty() || region.targets.is_empty() {
                return Ok(None);
            }
            let mut bb = (
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            );
            for p in region
                .targets
                .iter()
                .map(|&t| targets[t].loc)
                .chain(pop_list.iter().map(|&p| pops[p].location))
            {
                bb = (
                    bb.0.min(p.lon_deg),
                    bb.1.min(p.lat_deg),
                    bb.2.max(p.lon_deg),
                    bb.3.max(p.lat_deg),
                );
            }
            // The region's own road graph: roads near its targets and PoPs (0.5° ≈ 50 km).
            let margin = 0.5;
            let local: Vec<RoadInput> = road_inputs
                .iter()
                .filter(|ri| {
                    ri.geometry.0.iter().any(|c| {
                        c.x >= bb.0 - margin
                            && c.x <= bb.2 + margin
                            && c.y >= bb.1 - margin
                            && c.y <= bb.3 + margin
                    })
                })
                .cloned()
                .collect();
            let mut graph = RoadGraph::build(&local, &costs, &BuildOptions::default())?;
            let mut points: Vec<geo::Point<f64>> = region
                .targets
                .iter()
                .map(|&t| targets[t].loc.to_point())
                .collect();
            points.extend(pop_list.iter().map(|&p| pops[p].location.to_point()));
            let nodes = graph.attach_points(&points, &LastMileOptions::default())?;
            let (tnodes, pnodes) = nodes.split_at(region.targets.len());
            let root_pop: Vec<(usize, usize)> = pnodes
                .iter()
                .zip(&pop_list)
                .map(|(&n, &p)| (n, p))
                .collect();
            let terminals: Vec<usize> = tnodes
                .iter()
                .zip(&region.targets)
                .filter(|&(_, &t)| fibre_terminals.is_none_or(|m| m[targets[t].s]))
                .map(|(&n, _)| n)
                .collect();
            if terminals.is_empty() {
                return Ok(None);
            }
            let plan = graph.route_fibre(pnodes, &terminals, routing_budget)?;
            Ok(Some((graph, plan, tnodes.to_vec(), root_pop)))
        })
        .collect::<Result<Vec<_>, PlanError>>()?;
    for ((r, region), routed) in regions.iter_mut().enumerate().zip(routed) {
        progress(Progress::stage("fibre routes", r, region_codes.len()));
        let Some((graph, plan, tnodes, root_pop)) = routed else {
            continue;
        };
        unreachable += plan.unreachable.len();
        let graph_index = graphs.len();
        // Rooted forest: BFS from the roots over the chosen edges.
        let mut adj: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
        for &e in &plan.edges {
            let ed = &graph.edges[e];
            adj.entry(ed.from).or_default().push((ed.to, e));
            adj.entry(ed.to).or_default().push((ed.from, e));
        }
        let mut parent: HashMap<usize, (usize, usize)> = HashMap::new(); // node -> (parent node, edge)
        let mut root_of: HashMap<usize, usize> = HashMap::new(); // node -> pop index
        let mut children: HashMap<usize, usize> = HashMap::new();
        let mut queue = std::collections::VecDeque::new();
        for &(n, p) in &root_pop {
            if let std::collections::hash_map::Entry::Vacant(v) = root_of.entry(n) {
                v.insert(p);
                queue.push_back(n);
            }
        }
        while let Some(u) = queue.pop_front() {
            let rp = root_of[&u];
            for &(v, e) in adj.get(&u).map(Vec::as_slice).unwrap_or(&[]) {
                if let std::collections::hash_map::Entry::Vacant(slot) = root_of.entry(v) {
                    slot.insert(rp);
                    parent.insert(v, (u, e));
                    *children.entry(u).or_default() += 1;
                    queue.push_back(v);
                }
            }
        }
        let is_root = |n: usize| root_pop.iter().any(|&(rn, _)| rn == n);
        let target_node_set: std::collections::HashSet<usize> = tnodes.iter().copied().collect();
        let is_key = |n: usize| {
            is_root(n)
                || target_node_set.contains(&n)
                || children.get(&n).copied().unwrap_or(0) >= 2
        };
        // Segment ending at each non-root key node, built lazily top-down via memo.
        let mut seg_of_node: HashMap<usize, usize> = HashMap::new();
        let mut key_nodes: Vec<usize> = root_of
            .keys()
            .copied()
            .filter(|&n| is_key(n) && !is_root(n))
            .collect();
        key_nodes.sort_unstable();
        // Depth so parents are made before children.
        let depth = |mut n: usize| {
            let mut d = 0usize;
            while let Some(&(p, _)) = parent.get(&n) {
                n = p;
                d += 1;
            }
            d
        };
        key_nodes.sort_by_key(|&n| (depth(n), n));
        for &k in &key_nodes {
            let mut edges = Vec::new();
            let mut n = k;
            while let Some(&(p, e)) = parent.get(&n) {
                edges.push(e);
                n = p;
                if is_key(n) {
                    break;
                }
            }
            edges.reverse();
            let parent_seg = if is_root(n) {
                None
            } else {
                seg_of_node.get(&n).copied()
            };
            let (mut capex, mut len, mut approx) = (0.0, 0.0, 0.0);
            for &e in &edges {
                let ed = &graph.edges[e];
                capex += ed.cost;
                len += ed.length_m;
                if ed.approximate {
                    approx += ed.length_m;
                }
            }
            let g = segments.len();
            segments.push(Segment {
                parent: parent_seg,
                edges,
                upper: n,
                capex_usd: capex,
                opex_usd_per_year: len / 1_000.0 * sc.fibre.opex_usd_per_km_per_year,
                replace_pv_usd: sc.replacement_pv_usd(capex, sc.lifetimes.fibre_cable_years),
                length_m: len,
                approx_m: approx,
                pop: root_of[&k],
                graph: graph_index,
            });
            region.segments.push(g);
            seg_of_node.insert(k, g);
        }
        for (i, &t) in region.targets.iter().enumerate() {
            let n = tnodes[i];
            if is_root(n) {
                targets[t].fibre_seg = Some(None);
            } else if let Some(&g) = seg_of_node.get(&n) {
                targets[t].fibre_seg = Some(Some(g));
            }
        }
        graphs.push(graph);
    }
    if unreachable > 0 {
        notes.push(format!(
            "{unreachable} target settlements cannot be reached by fibre from any PoP of their \
             region over the road graph (another component): fibre is not offered there"
        ));
    }

    // --- own options ------------------------------------------------------------------------
    let power_locs: Vec<LonLat> = inputs.power.iter().map(|p| p.location).collect();
    let power_index = index_points(power_locs.iter().copied().enumerate());
    progress(Progress::stage("village options", 0, targets.len()));
    let own: Vec<Vec<OwnOption>> = targets
        .par_iter()
        .map(|t| {
            let mut v = Vec::new();
            if t.fibre_seg.is_some() {
                let access = t.households * sc.fibre.access_usd_per_household;
                let capex = access + sc.fibre.olt_usd_per_settlement;
                let replace = sc.replacement_pv_usd(access, sc.lifetimes.fibre_cable_years)
                    + sc.replacement_pv_usd(
                        sc.fibre.olt_usd_per_settlement,
                        sc.lifetimes.olt_ont_years,
                    );
                v.push(OwnOption {
                    tech: Technology::Fibre,
                    capex_usd: capex,
                    opex_usd_per_year: 0.0,
                    npc_usd: capex + replace,
                    capacity_mbps: sc.fibre.capacity_mbps,
                    chain: None,
                    power: None,
                    needs_land: false,
                    needs_power: false,
                });
            }
            if t.demand_mbps <= sc.microwave.capacity_mbps
                && let Some(chain) = chain_to_pop(
                    terrain,
                    sc,
                    t.loc,
                    &pops,
                    &pop_index,
                    &region_pops[t.region],
                )
            {
                let (power, p_capex, p_opex, p_replace) =
                    power_for(sc, annuity, t.loc, Some(t.loc), &power_index, &power_locs);
                let mast = sc.mast_usd(sc.microwave.mast_height_m).unwrap_or(0.0);
                let access = t.households * sc.fibre.access_usd_per_household;
                let capex = chain.capex_usd + mast + p_capex + access;
                let replace = chain.replace_pv_usd
                    + sc.replacement_pv_usd(mast, sc.lifetimes.mast_years)
                    + p_replace
                    + sc.replacement_pv_usd(access, sc.lifetimes.fibre_cable_years);
                let opex = chain.opex_usd_per_year
                    + mast * sc.lte.opex_fraction_of_capex_per_year
                    + p_opex;
                v.push(OwnOption {
                    tech: Technology::Microwave,
                    capex_usd: capex,
                    opex_usd_per_year: opex,
                    npc_usd: capex + opex * annuity + replace,
                    capacity_mbps: sc.microwave.capacity_mbps,
                    chain: Some(chain),
                    power: Some(power),
                    needs_land: true,
                    needs_power: true,
                });
            }
            let terminals = (t.demand_mbps / sc.satellite.capacity_mbps).ceil().max(1.0);
            let traffic_tb_per_month =
                t.people as f64 * sc.demand.adoption * sc.demand.data_gb_per_user_per_month
                    / 1_000.0;
            let monthly = (terminals * sc.satellite.service_usd_per_month)
                .max(traffic_tb_per_month * sc.satellite.data_usd_per_tb);
            let capex = terminals * sc.satellite.terminal_usd;
            v.push(OwnOption {
                tech: Technology::Satellite,
                capex_usd: capex,
                opex_usd_per_year: monthly * 12.0,
                npc_usd: capex
                    + monthly * 12.0 * annuity
                    + sc.replacement_pv_usd(capex, sc.lifetimes.satellite_terminal_years),
                capacity_mbps: terminals * sc.satellite.capacity_mbps,
                chain: None,
                power: None,
                needs_land: false,
                needs_power: false,
            });
            v
        })
        .collect();

    // --- LTE sites ----------------------------------------------------------------------------
    let site_capacity = sc.lte.sector_capacity_mbps * f64::from(sc.lte.sectors_per_site);
    struct Proto {
        region: usize,
        loc: LonLat,
        height_m: f64,
        existing: Option<usize>,
        host: Option<usize>,
        high_ground: bool,
    }
    let mut protos: Vec<Proto> = Vec::new();
    let target_index = index_points(targets.iter().enumerate().map(|(i, t)| (i, t.loc)));
    for (m, mast) in inputs.masts.iter().enumerate() {
        let Some(t) = nearest(&target_index, mast.location) else {
            continue;
        };
        protos.push(Proto {
            region: targets[t].region,
            loc: mast.location,
            height_m: mast.height_m.unwrap_or(sc.lte.existing_mast_height_m),
            existing: Some(m),
            host: None,
            high_ground: false,
        });
    }
    let high: Vec<Option<LonLat>> = targets
        .par_iter()
        .map(|t| {
            let dem = terrain?;
            if sc.lte.high_ground_search_m <= 0.0 {
                return None;
            }
            let base = dem.elevation_m(t.loc).ok()?;
            let mut best: Option<(f64, LonLat)> = None;
            for ring in 1..=3 {
                let r = sc.lte.high_ground_search_m * f64::from(ring) / 3.0;
                for k in 0..8 {
                    let a = f64::from(k) * std::f64::consts::FRAC_PI_4;
                    let p = offset(t.loc, r * a.sin(), r * a.cos());
                    if let Ok(z) = dem.elevation_m(p)
                        && best.is_none_or(|b| z > b.0)
                    {
                        best = Some((z, p));
                    }
                }
            }
            best.filter(|b| b.0 - base >= sc.lte.high_ground_min_gain_m)
                .map(|b| b.1)
        })
        .collect();
    for (t, tg) in targets.iter().enumerate() {
        for &h in &sc.lte.new_mast_heights_m {
            protos.push(Proto {
                region: tg.region,
                loc: tg.loc,
                height_m: h,
                existing: None,
                host: Some(t),
                high_ground: false,
            });
            if let Some(p) = high[t] {
                protos.push(Proto {
                    region: tg.region,
                    loc: p,
                    height_m: h,
                    existing: None,
                    host: Some(t),
                    high_ground: true,
                });
            }
        }
    }
    progress(Progress::stage("coverage", 0, protos.len()));
    let dem_pairs = std::sync::atomic::AtomicUsize::new(0);
    let hata_pairs = std::sync::atomic::AtomicUsize::new(0);
    let sites: Vec<Site> = protos
        .par_iter()
        .filter_map(|p| {
            let mut covers: Vec<(usize, f64)> = Vec::new();
            for t in within(&target_index, p.loc, sc.lte.max_range_m) {
                let tg = &targets[t];
                if tg.region != p.region
                    || tg.demand_mbps > site_capacity
                    || haversine_m(p.loc, tg.loc) > sc.lte.max_range_m
                {
                    continue;
                }
                let (loss, dem) = path_loss_db(terrain, sc, p.loc, p.height_m, tg.loc);
                if dem {
                    dem_pairs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                } else {
                    hata_pairs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                if loss <= sc.lte.max_path_loss_db {
                    covers.push((t, loss));
                }
            }
            if covers.is_empty() {
                return None;
            }
            covers.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let ground_m = ground(terrain, p.loc).unwrap_or(0.0);
            if let Some(m) = p.existing {
                let has_lte = inputs.masts[m].technologies.contains(&Technology::Lte);
                let capex = if has_lte {
                    0.0
                } else {
                    sc.lte.ran_usd + sc.lte.install_usd
                };
                let opex = capex * sc.lte.opex_fraction_of_capex_per_year;
                let replace = sc.replacement_pv_usd(capex, sc.lifetimes.ran_electronics_years);
                return Some(Site {
                    region: p.region,
                    loc: p.loc,
                    ground_m,
                    height_m: p.height_m,
                    existing: Some(m),
                    host: None,
                    power: PowerSupply::Grid {
                        extension_m: 0.0,
                        battery_h: sc.power.grid_battery_backup_h,
                    },
                    capacity_mbps: site_capacity,
                    variants: vec![SiteVariant {
                        backhaul: SiteBackhaul::Existing,
                        capex_usd: capex,
                        opex_usd_per_year: opex,
                        npc_usd: capex + opex * annuity + replace,
                    }],
                    covers,
                    high_ground: false,
                });
            }
            let host = p.host?;
            let host_loc = targets[host].loc;
            let (power, p_capex, p_opex, p_replace) = power_for(
                sc,
                annuity,
                p.loc,
                Some(host_loc),
                &power_index,
                &power_locs,
            );
            let mast = sc.mast_usd(p.height_m)?;
            let base_capex = mast + sc.lte.ran_usd + sc.lte.install_usd;
            let base_opex = base_capex * sc.lte.opex_fraction_of_capex_per_year
                + sc.lte.site_rental_usd_per_year
                + p_opex;
            let base_capex = base_capex + p_capex;
            let base_replace = sc.replacement_pv_usd(mast, sc.lifetimes.mast_years)
                + sc.replacement_pv_usd(
                    sc.lte.ran_usd + sc.lte.install_usd,
                    sc.lifetimes.ran_electronics_years,
                )
                + p_replace;
            let mut variants = Vec::new();
            if let Some(seg) = targets[host].fibre_seg {
                let spur_m = haversine_m(p.loc, host_loc) * 1.3;
                let spur_capex = spur_m / 1_000.0 * sc.fibre.approximate_usd_per_km;
                let spur_opex = spur_m / 1_000.0 * sc.fibre.opex_usd_per_km_per_year;
                let capex = base_capex + spur_capex + sc.fibre.olt_usd_per_settlement;
                let opex = base_opex + spur_opex;
                let replace = base_replace
                    + sc.replacement_pv_usd(spur_capex, sc.lifetimes.fibre_cable_years)
                    + sc.replacement_pv_usd(
                        sc.fibre.olt_usd_per_settlement,
                        sc.lifetimes.olt_ont_years,
                    );
                variants.push(SiteVariant {
                    backhaul: SiteBackhaul::Fibre { seg, spur_m },
                    capex_usd: capex,
                    opex_usd_per_year: opex,
                    npc_usd: capex + opex * annuity + replace,
                });
            }
            if let Some(chain) = chain_to_pop(
                terrain,
                sc,
                p.loc,
                &pops,
                &pop_index,
                &region_pops[p.region],
            ) {
                let capex = base_capex + chain.capex_usd;
                let opex = base_opex + chain.opex_usd_per_year;
                let replace = base_replace + chain.replace_pv_usd;
                variants.push(SiteVariant {
                    backhaul: SiteBackhaul::Microwave(chain),
                    capex_usd: capex,
                    opex_usd_per_year: opex,
                    npc_usd: capex + opex * annuity + replace,
                });
            }
            if variants.is_empty() {
                return None;
            }
            Some(Site {
                region: p.region,
                loc: p.loc,
                ground_m,
                height_m: p.height_m,
                existing: None,
                host: Some(host),
                power,
                capacity_mbps: site_capacity,
                variants,
                covers,
                high_ground: p.high_ground,
            })
        })
        .collect();
    // Keep for each target only its best-covering sites (lowest loss), to bound the model.
    let mut per_target: Vec<Vec<(f64, usize)>> = vec![Vec::new(); targets.len()];
    for (k, s) in sites.iter().enumerate() {
        for &(t, loss) in &s.covers {
            per_target[t].push((loss, k));
        }
    }
    let mut keep: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
    for (t, v) in per_target.iter_mut().enumerate() {
        v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        // A settlement's own centre site is always kept.
        for &(_, k) in v.iter().take(max_sites_per_settlement) {
            keep.insert((t, k));
        }
        for &(_, k) in v.iter() {
            if sites[k].host == Some(t) && !sites[k].high_ground {
                keep.insert((t, k));
            }
        }
    }
    let mut sites = sites;
    for (k, s) in sites.iter_mut().enumerate() {
        s.covers.retain(|&(t, _)| keep.contains(&(t, k)));
    }
    sites.retain(|s| !s.covers.is_empty());
    for (k, s) in sites.iter().enumerate() {
        regions[s.region].sites.push(k);
    }
    let dem_n = dem_pairs.into_inner();
    let hata_n = hata_pairs.into_inner();
    if hata_n > 0 {
        notes.push(format!(
            "LTE coverage of {hata_n} site–settlement pairs by Okumura-Hata (open area, flat \
             earth){}: no DEM profile was available there",
            if dem_n > 0 {
                format!("; {dem_n} pairs by ITM over the DEM")
            } else {
                String::new()
            }
        ));
    } else if dem_n > 0 {
        notes.push(format!(
            "LTE coverage of {dem_n} site–settlement pairs by ITM point-to-point over the DEM"
        ));
    }
    if terrain.is_none() {
        notes.push(
            "no DEM given: microwave hops checked for earth bulge only (flat ground), no high-ground \
             mast candidates"
                .to_string(),
        );
    }
    progress(Progress::stage("coverage", sites.len(), sites.len()));
    Ok(Candidates {
        targets,
        segments,
        sites,
        regions,
        own,
        pops,
        graphs,
        already_connected,
        notes,
        annuity,
        discount_rate: sc.finance.discount_rate,
        base_year: sc.base_year,
        terrain_used: terrain.is_some(),
    })
}

impl Candidates {
    /// Net present cost of a segment.
    pub(crate) fn seg_npc(&self, g: usize) -> f64 {
        let s = &self.segments[g];
        s.capex_usd + s.opex_usd_per_year * self.annuity + s.replace_pv_usd
    }

    /// Discount factor of a cost incurred in `year`, to the base year.
    pub(crate) fn df(&self, year: i32) -> f64 {
        (1.0 + self.discount_rate).powi(-(year - self.base_year))
    }

    /// Segments on the path of a segment up to its PoP (itself first).
    pub(crate) fn path(&self, g: Option<usize>) -> Vec<usize> {
        let mut v = Vec::new();
        let mut cur = g;
        while let Some(x) = cur {
            v.push(x);
            cur = self.segments[x].parent;
        }
        v
    }

    /// Id of a target's settlement.
    pub(crate) fn target_id<'a>(&self, inputs: &'a PlanInputs<'_>, t: usize) -> &'a Id {
        &inputs.settlements[self.targets[t].s].id
    }
}
