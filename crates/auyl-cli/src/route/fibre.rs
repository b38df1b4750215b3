//! `auyl route fibre`: fibre routes from existing fibre nodes to settlements over the stored
//! road graph, written as one feature per branch and stored for the planner.
//!
//! Costs default to the central values of `../shared/reference/costs.md` (section 1, USD/km):
//! trench 8,500 (Kazakhtelecom PPP No. 1, all-in), trench along unpaved roads and tracks 5,000
//! (the low value: steppe soils plough cheaply), aerial 5,600 (ESCAP co-deployment), and
//! last-mile approximation links priced as a trench (8,500) on their detour-inflated length.
//! Aerial cable is only chosen where poles are known, and the registry has no pole data yet, so
//! no road allows it.

use crate::registry::{now_rfc3339, open};
use anyhow::{Context, Result, anyhow, bail};
use auyl_io::FeatureTable;
use auyl_model::{
    BackboneNode, FieldType, GeometryKind, Layer, NodeKind, Record, Settlement, SettlementKind,
    Value,
};
use auyl_network::road::{
    BuildOptions, CostClass, CostModel, FibrePlan, LastMileOptions, RoadAttributes, RoadClass,
    RoadGraph, RoadInput, Surface,
};
use auyl_store::{FibreBranchRow, FibreRouteRun};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct FibreArgs {
    /// The database (the global --database flag).
    #[arg(from_global)]
    database: Option<String>,
    /// Fibre nodes to start from (see above); repeat to narrow.
    #[arg(long = "from-nodes", value_name = "SELECTOR", required = true)]
    from_nodes: Vec<String>,
    /// Settlements to reach (see above); repeat to narrow.
    #[arg(long = "to-settlements", value_name = "SELECTOR", required = true)]
    to_settlements: Vec<String>,
    /// Write the branches here: .geojson or .gpkg.
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Stop improving after this many seconds and keep the best forest found.
    #[arg(long, default_value_t = 30.0)]
    time_limit_s: f64,
    /// Trench along paved roads, USD per km.
    #[arg(long, default_value_t = 8_500.0)]
    trench_paved_usd_per_km: f64,
    /// Trench along unpaved roads and tracks, USD per km.
    #[arg(long, default_value_t = 5_000.0)]
    trench_unpaved_usd_per_km: f64,
    /// Aerial cable on existing poles, USD per km.
    #[arg(long, default_value_t = 5_600.0)]
    aerial_usd_per_km: f64,
    /// Last-mile approximation links (no mapped road), USD per km of inflated length.
    #[arg(long, default_value_t = 8_500.0)]
    approximate_usd_per_km: f64,
    /// Road end points closer than this are one junction (metres).
    #[arg(long, default_value_t = 10.0)]
    snap_m: f64,
    /// Approximation links are the straight line times this factor.
    #[arg(long, default_value_t = 1.3)]
    detour_factor: f64,
    /// No approximation link to a road longer than this (km, straight line).
    #[arg(long, default_value_t = 50.0)]
    max_road_link_km: f64,
    /// Approximation links to this many nearest neighbouring settlements or nodes.
    #[arg(long, default_value_t = 3)]
    neighbours: usize,
    /// No approximation link between neighbours longer than this (km, straight line).
    #[arg(long, default_value_t = 30.0)]
    max_neighbour_link_km: f64,
    /// For `--to-settlements unconnected`: a settlement with a fibre node this close is connected.
    #[arg(long, default_value_t = 2_000.0)]
    connected_within_m: f64,
}

/// One term of a selector.
#[derive(Debug, Clone, PartialEq)]
enum Term {
    All,
    Ids(Vec<String>),
    Region(Vec<String>),
    District(Vec<String>),
    Kind(Vec<String>),
    Operator(Vec<String>),
    MinPopulation(u32),
    Unconnected,
}

const SETTLEMENT_KEYS: &str =
    "all, region=, district=, kind=, min-population=, unconnected, ids= (or a bare list of ids)";
const NODE_KEYS: &str = "all, kind=, operator=, ids= (or a bare list of ids)";

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// Parses one selector term; `for_nodes` picks which keys are allowed.
fn parse_term(flag: &str, s: &str, for_nodes: bool) -> Result<Term> {
    let s = s.trim();
    let keys = if for_nodes {
        NODE_KEYS
    } else {
        SETTLEMENT_KEYS
    };
    let bad = |why: String| anyhow!("{flag} {s}: {why}");
    let nonempty = |v: Vec<String>, what: &str| {
        if v.is_empty() {
            Err(bad(format!("give at least one {what}")))
        } else {
            Ok(v)
        }
    };
    let Some((key, value)) = s.split_once('=') else {
        return match s {
            "all" => Ok(Term::All),
            "unconnected" if !for_nodes => Ok(Term::Unconnected),
            "" => Err(bad(format!("empty selector; selectors are: {keys}"))),
            _ => Ok(Term::Ids(nonempty(list(s), "id")?)),
        };
    };
    let key = key.trim().to_ascii_lowercase().replace('_', "-");
    Ok(match (key.as_str(), for_nodes) {
        ("ids" | "id", _) => Term::Ids(nonempty(list(value), "id")?),
        ("kind", _) => Term::Kind(nonempty(list(value), "kind")?),
        ("region", false) => Term::Region(nonempty(list(value), "region code")?),
        ("district", false) => Term::District(nonempty(list(value), "district code")?),
        ("min-population", false) => Term::MinPopulation(
            value
                .trim()
                .parse()
                .map_err(|_| bad(format!("`{value}` is not a head count")))?,
        ),
        ("operator", true) => Term::Operator(nonempty(list(value), "operator id")?),
        _ => {
            return Err(bad(format!(
                "unknown selector `{key}`; selectors are: {keys}"
            )));
        }
    })
}

/// Indices of the settlements every term selects. Names of regions, districts and ids that
/// match nothing are errors, so a typo never silently narrows the plan.
fn select_settlements(
    flag_terms: &[String],
    settlements: &[Settlement],
    nodes: &[BackboneNode],
    connected_within_m: f64,
) -> Result<Vec<usize>> {
    let flag = "--to-settlements";
    let mut keep = vec![true; settlements.len()];
    for raw in flag_terms {
        let term = parse_term(flag, raw, false)?;
        let known = |f: fn(&Settlement) -> Option<&String>, what: &str, codes: &[String]| {
            let have: BTreeSet<&str> = settlements
                .iter()
                .filter_map(|s| f(s).map(String::as_str))
                .collect();
            for c in codes {
                if !have.contains(c.as_str()) {
                    let some: Vec<&str> = have.iter().take(30).copied().collect();
                    bail!(
                        "{flag} {raw}: no stored settlement has {what} `{c}` (codes in the registry: {}{})",
                        some.join(", "),
                        if have.len() > 30 { ", …" } else { "" }
                    );
                }
            }
            Ok(())
        };
        let pass: Box<dyn Fn(&Settlement) -> bool> = match term {
            Term::All => Box::new(|_: &Settlement| true),
            Term::Ids(ids) => {
                let have: BTreeSet<&str> = settlements.iter().map(|s| s.id.as_str()).collect();
                if let Some(missing) = ids.iter().find(|i| !have.contains(i.as_str())) {
                    bail!("{flag} {raw}: no stored settlement has id `{missing}`");
                }
                let set: BTreeSet<String> = ids.into_iter().collect();
                Box::new(move |s: &Settlement| set.contains(s.id.as_str()))
            }
            Term::Region(codes) => {
                known(|s| s.region_code.as_ref(), "region_code", &codes)?;
                let set: BTreeSet<String> = codes.into_iter().collect();
                Box::new(move |s: &Settlement| {
                    s.region_code.as_ref().is_some_and(|c| set.contains(c))
                })
            }
            Term::District(codes) => {
                known(|s| s.district_code.as_ref(), "district_code", &codes)?;
                let set: BTreeSet<String> = codes.into_iter().collect();
                Box::new(move |s: &Settlement| {
                    s.district_code.as_ref().is_some_and(|c| set.contains(c))
                })
            }
            Term::Kind(kinds) => {
                let set = kinds
                    .iter()
                    .map(|k| {
                        SettlementKind::parse(k).ok_or_else(|| {
                            anyhow!("{flag} {raw}: unknown settlement kind `{k}` (city, town, village, hamlet, isolated_dwelling)")
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Box::new(move |s: &Settlement| set.contains(&s.kind))
            }
            Term::MinPopulation(n) => {
                Box::new(move |s: &Settlement| s.population.as_ref().is_some_and(|p| p.people >= n))
            }
            Term::Unconnected => {
                if !(connected_within_m.is_finite() && connected_within_m >= 0.0) {
                    bail!("--connected-within-m must be a distance ≥ 0, got {connected_within_m}");
                }
                let pts: Vec<auyl_model::LonLat> = nodes.iter().map(|n| n.location).collect();
                Box::new(move |s: &Settlement| {
                    !pts.iter()
                        .any(|q| s.location.haversine_distance_m(*q) <= connected_within_m)
                })
            }
            Term::Operator(_) => bail!("{flag} {raw}: not a selector of this flag"),
        };
        for (k, s) in keep.iter_mut().zip(settlements) {
            *k = *k && pass(s);
        }
    }
    let out: Vec<usize> = (0..settlements.len()).filter(|&i| keep[i]).collect();
    if out.is_empty() {
        bail!(
            "{flag} {}: selects no settlement (of {} stored)",
            flag_terms.join(" "),
            settlements.len()
        );
    }
    Ok(out)
}

/// Indices of the backbone nodes every term selects.
fn select_nodes(flag_terms: &[String], nodes: &[BackboneNode]) -> Result<Vec<usize>> {
    let flag = "--from-nodes";
    let mut keep = vec![true; nodes.len()];
    for raw in flag_terms {
        let pass: Box<dyn Fn(&BackboneNode) -> bool> = match parse_term(flag, raw, true)? {
            Term::All => Box::new(|_: &BackboneNode| true),
            Term::Ids(ids) => {
                let have: BTreeSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
                if let Some(missing) = ids.iter().find(|i| !have.contains(i.as_str())) {
                    bail!("{flag} {raw}: no stored backbone node has id `{missing}`");
                }
                let set: BTreeSet<String> = ids.into_iter().collect();
                Box::new(move |n: &BackboneNode| set.contains(n.id.as_str()))
            }
            Term::Kind(kinds) => {
                let set = kinds
                    .iter()
                    .map(|k| match k.to_ascii_lowercase().as_str() {
                        "pop" => Ok(NodeKind::Pop),
                        "core" | "gateway" => Ok(NodeKind::Core),
                        _ => Err(anyhow!("{flag} {raw}: unknown node kind `{k}` (core, pop)")),
                    })
                    .collect::<Result<Vec<_>>>()?;
                Box::new(move |n: &BackboneNode| set.contains(&n.kind))
            }
            Term::Operator(ops) => {
                let set: BTreeSet<String> = ops.into_iter().collect();
                Box::new(move |n: &BackboneNode| {
                    n.operator_id
                        .as_ref()
                        .is_some_and(|o| set.contains(o.as_str()))
                })
            }
            _ => bail!("{flag} {raw}: not a selector of this flag; selectors are: {NODE_KEYS}"),
        };
        for (k, n) in keep.iter_mut().zip(nodes) {
            *k = *k && pass(n);
        }
    }
    let out: Vec<usize> = (0..nodes.len()).filter(|&i| keep[i]).collect();
    if out.is_empty() {
        bail!(
            "{flag} {}: selects no backbone node (of {} stored)",
            flag_terms.join(" "),
            nodes.len()
        );
    }
    Ok(out)
}

fn road_input(r: &auyl_model::Road) -> RoadInput {
    RoadInput {
        geometry: r.geometry.clone(),
        attributes: RoadAttributes {
            class: r
                .class
                .as_deref()
                .map_or(RoadClass::Other, RoadClass::from_osm),
            surface: Surface::from_osm(r.surface.as_deref()),
            // No pole data in the registry yet: no road allows aerial cable.
            aerial_allowed: false,
        },
    }
}

fn settlement_name(s: &Settlement) -> String {
    s.names
        .display("ru")
        .map_or_else(|| s.id.to_string(), String::from)
}

fn node_name(n: &BackboneNode) -> String {
    n.names
        .display("ru")
        .map_or_else(|| n.id.to_string(), String::from)
}

/// Length per cost class in km, and the total.
#[derive(Serialize, Default, Clone, Copy)]
struct LengthKm {
    trench_paved: f64,
    trench_unpaved: f64,
    aerial: f64,
    approximate: f64,
    total: f64,
}

impl LengthKm {
    fn from_m(by_class: &[(CostClass, f64)]) -> LengthKm {
        let mut l = LengthKm::default();
        for &(c, m) in by_class {
            let km = m / 1000.0;
            match c {
                CostClass::TrenchPaved => l.trench_paved += km,
                CostClass::TrenchUnpaved => l.trench_unpaved += km,
                CostClass::Aerial => l.aerial += km,
                CostClass::Approximate => l.approximate += km,
            }
            l.total += km;
        }
        l
    }
}

#[derive(Serialize)]
struct Unreachable {
    id: String,
    name: String,
    reason: String,
}

#[derive(Serialize)]
struct GraphStats {
    roads: usize,
    nodes: usize,
    road_edges: usize,
    approximate_edges: usize,
    components: usize,
    road_km: f64,
}

/// The totals of a run: printed, stored with the run, and `--json` output.
#[derive(Serialize)]
struct Totals {
    run_id: Option<i64>,
    output: Option<String>,
    fibre_nodes: usize,
    settlements_selected: usize,
    settlements_served: usize,
    branches: usize,
    length_km: LengthKm,
    cost_usd: f64,
    lower_bound_usd: f64,
    gap: f64,
    approximated_km: f64,
    time_limit_hit: bool,
    time_s: f64,
    graph: GraphStats,
    unreachable: Vec<Unreachable>,
}

#[derive(Serialize)]
struct Parameters<'a> {
    from_nodes: &'a [String],
    to_settlements: &'a [String],
    time_limit_s: f64,
    costs_usd_per_km: CostModel,
    build: BuildOptions,
    last_mile: LastMileOptions,
    connected_within_m: f64,
}

/// What the graph work returns to the async side.
struct Routed {
    graph: RoadGraph,
    plan: FibrePlan,
    node_vertex: Vec<usize>,
    settlement_vertex: Vec<usize>,
    time_s: f64,
}

fn positive(name: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        bail!("{name} must be a positive number, got {v}")
    }
}

pub async fn run(args: FibreArgs, json: bool) -> Result<()> {
    positive("--time-limit-s", args.time_limit_s)?;
    let costs = CostModel {
        trench_paved_per_km: args.trench_paved_usd_per_km,
        trench_unpaved_per_km: args.trench_unpaved_usd_per_km,
        aerial_per_km: args.aerial_usd_per_km,
        approximate_per_km: args.approximate_usd_per_km,
    };
    let build = BuildOptions {
        snap_tolerance_m: args.snap_m,
        ..BuildOptions::default()
    };
    let last_mile = LastMileOptions {
        detour_factor: args.detour_factor,
        max_road_link_m: args.max_road_link_km * 1000.0,
        neighbours_k: args.neighbours,
        max_neighbour_link_m: args.max_neighbour_link_km * 1000.0,
        snap_tolerance_m: args.snap_m,
    };
    let db = args
        .database
        .clone()
        .unwrap_or_else(|| crate::DEFAULT_DATABASE.to_string());
    let store = open(&db).await?;
    let settlements: Vec<Settlement> = store
        .load(Layer::Settlements)
        .await?
        .into_iter()
        .filter_map(Record::into_settlement)
        .collect();
    let nodes: Vec<BackboneNode> = store
        .load(Layer::BackboneNodes)
        .await?
        .into_iter()
        .filter_map(|r| match r {
            Record::Node(n) => Some(n),
            _ => None,
        })
        .collect();
    if nodes.is_empty() {
        bail!(
            "no backbone nodes stored: import the existing fibre nodes first (auyl import backbone_nodes FILE)"
        );
    }
    if settlements.is_empty() {
        bail!("no settlements stored: import them first (auyl import settlements FILE)");
    }
    let node_sel = select_nodes(&args.from_nodes, &nodes)?;
    let settlement_sel = select_settlements(
        &args.to_settlements,
        &settlements,
        &nodes,
        args.connected_within_m,
    )?;
    let roads: Vec<RoadInput> = store
        .load(Layer::Roads)
        .await?
        .iter()
        .filter_map(|r| match r {
            Record::Road(r) => Some(road_input(r)),
            _ => None,
        })
        .collect();
    if roads.is_empty() {
        tracing::warn!(
            "no roads stored: every link is a last-mile approximation (import roads for real routes)"
        );
    }
    let road_count = roads.len();
    let points: Vec<_> = node_sel
        .iter()
        .map(|&i| nodes[i].location.to_point())
        .chain(
            settlement_sel
                .iter()
                .map(|&i| settlements[i].location.to_point()),
        )
        .collect();
    let n_nodes = node_sel.len();
    let limit = Duration::from_secs_f64(args.time_limit_s);
    let routed = tokio::task::spawn_blocking(move || -> Result<Routed> {
        let t0 = Instant::now();
        let mut graph =
            RoadGraph::build(&roads, &costs, &build).context("building the road graph")?;
        let attached = graph
            .attach_points(&points, &last_mile)
            .context("joining settlements and nodes to the road graph")?;
        let (nv, sv) = attached.split_at(n_nodes);
        let deadline = auyl_network::WallClockDeadline::after(limit);
        let plan = graph
            .route_fibre(nv, sv, &deadline)
            .context("routing the fibre")?;
        Ok(Routed {
            plan,
            node_vertex: nv.to_vec(),
            settlement_vertex: sv.to_vec(),
            time_s: t0.elapsed().as_secs_f64(),
            graph,
        })
    })
    .await
    .context("the routing thread failed")??;
    let Routed {
        graph,
        plan,
        node_vertex,
        settlement_vertex,
        time_s,
    } = routed;

    // Vertex -> selected settlement / node.
    let settlement_of: HashMap<usize, usize> = settlement_vertex
        .iter()
        .zip(&settlement_sel)
        .map(|(&v, &i)| (v, i))
        .collect();
    let node_of: HashMap<usize, usize> = node_vertex
        .iter()
        .zip(&node_sel)
        .map(|(&v, &i)| (v, i))
        .collect();

    // Never report a forest that is not one: every reachable settlement in exactly one branch,
    // branch costs adding up to the plan's.
    let mut seen = vec![0u32; settlements.len()];
    for b in &plan.branches {
        for v in &b.settlements {
            let i = settlement_of
                .get(v)
                .ok_or_else(|| anyhow!("a branch serves vertex {v}, not a settlement (a bug)"))?;
            seen[*i] += 1;
        }
        if b.fibre_nodes.is_empty() {
            bail!("a branch has no fibre node (a bug)");
        }
    }
    let unreachable_set: BTreeSet<usize> = plan
        .unreachable
        .iter()
        .filter_map(|v| settlement_of.get(v).copied())
        .collect();
    for &i in &settlement_sel {
        let expect = u32::from(!unreachable_set.contains(&i));
        if seen[i] != expect {
            bail!(
                "settlement {} is in {} branches, expected {expect} (a bug)",
                settlements[i].id,
                seen[i]
            );
        }
    }
    let branch_cost: f64 = plan.branches.iter().map(|b| b.cost).sum();
    if (branch_cost - plan.cost).abs() > 1e-6 * plan.cost.max(1.0) {
        bail!(
            "branches cost {branch_cost}, the forest {} (a bug)",
            plan.cost
        );
    }

    // Why each unreachable settlement is.
    let comps = graph.components();
    let mut degree = vec![0usize; graph.nodes.len()];
    for e in &graph.edges {
        degree[e.from] += 1;
        degree[e.to] += 1;
    }
    let unreachable: Vec<Unreachable> = plan
        .unreachable
        .iter()
        .filter_map(|v| settlement_of.get(v).map(|&i| (v, i)))
        .map(|(&v, i)| {
            let s = &settlements[i];
            let reason = if degree[v] == 0 {
                format!(
                    "isolated: no road within {} km and no settlement or node within {} km",
                    args.max_road_link_km, args.max_neighbour_link_km
                )
            } else {
                format!(
                    "its part of the network ({} junctions and places) holds none of the selected fibre nodes",
                    comps.sizes[comps.node_component[v]]
                )
            };
            Unreachable {
                id: s.id.to_string(),
                name: settlement_name(s),
                reason,
            }
        })
        .collect();

    // Branches as stored rows (and file features).
    let mut rows = Vec::with_capacity(plan.branches.len());
    for (k, b) in plan.branches.iter().enumerate() {
        let len = |c: CostClass| {
            b.length_m_by_class
                .iter()
                .filter(|(x, _)| *x == c)
                .map(|(_, m)| m)
                .sum::<f64>()
        };
        let node_ids: Vec<String> = b
            .fibre_nodes
            .iter()
            .filter_map(|v| node_of.get(v))
            .map(|&i| nodes[i].id.to_string())
            .collect();
        let settlement_ids: Vec<String> = b
            .settlements
            .iter()
            .filter_map(|v| settlement_of.get(v))
            .map(|&i| settlements[i].id.to_string())
            .collect();
        let approx = len(CostClass::Approximate);
        rows.push(FibreBranchRow {
            branch_id: k as i64 + 1,
            node_id: node_ids.first().cloned().unwrap_or_default(),
            node_ids,
            geometry: graph
                .edge_lines(&b.edges)
                .context("the geometry of a branch")?,
            length_trench_paved_m: len(CostClass::TrenchPaved),
            length_trench_unpaved_m: len(CostClass::TrenchUnpaved),
            length_aerial_m: len(CostClass::Aerial),
            length_approximate_m: approx,
            cost_usd: b.cost,
            settlement_ids,
            approximated: approx > 0.0,
        });
    }

    let (road_m, _) = graph.total_length_m();
    let mut totals = Totals {
        run_id: None,
        output: args.output.as_ref().map(|p| p.display().to_string()),
        fibre_nodes: node_sel.len(),
        settlements_selected: settlement_sel.len(),
        settlements_served: settlement_sel.len() - unreachable.len(),
        branches: rows.len(),
        length_km: LengthKm::from_m(&plan.length_m_by_class),
        cost_usd: plan.cost,
        lower_bound_usd: plan.lower_bound,
        gap: if plan.cost > 0.0 {
            (plan.cost - plan.lower_bound) / plan.cost
        } else {
            0.0
        },
        approximated_km: plan.approximate_length_m / 1000.0,
        time_limit_hit: plan.budget_exhausted,
        time_s,
        graph: GraphStats {
            roads: road_count,
            nodes: graph.nodes.len(),
            road_edges: graph.edges.iter().filter(|e| !e.approximate).count(),
            approximate_edges: graph.edges.iter().filter(|e| e.approximate).count(),
            components: comps.count(),
            road_km: road_m / 1000.0,
        },
        unreachable,
    };
    let parameters = Parameters {
        from_nodes: &args.from_nodes,
        to_settlements: &args.to_settlements,
        time_limit_s: args.time_limit_s,
        costs_usd_per_km: costs,
        build,
        last_mile,
        connected_within_m: args.connected_within_m,
    };
    let run = FibreRouteRun {
        created_at: now_rfc3339(),
        parameters_json: serde_json::to_string(&parameters)?,
        totals_json: serde_json::to_string(&totals)?,
        branches: rows,
    };
    let run_id = store
        .save_fibre_routes(&run)
        .await
        .context("storing the routes (nothing was stored)")?;
    store.close().await;
    totals.run_id = Some(run_id.0);

    if let Some(path) = &args.output {
        let table = branch_table(&run.branches, &settlements, &nodes, run_id.0);
        let p = path.clone();
        tokio::task::spawn_blocking(move || auyl_io::export_tables(&p, &[table]))
            .await
            .context("the writer thread failed")?
            .with_context(|| {
                format!(
                    "writing {} (the run is stored as run {run_id})",
                    path.display()
                )
            })?;
    }
    print(&totals, json)
}

/// One feature per branch, with the ids and names of what it serves (JSON arrays as text).
fn branch_table(
    rows: &[FibreBranchRow],
    settlements: &[Settlement],
    nodes: &[BackboneNode],
    run_id: i64,
) -> FeatureTable {
    let s_by_id: HashMap<&str, &Settlement> =
        settlements.iter().map(|s| (s.id.as_str(), s)).collect();
    let n_by_id: HashMap<&str, &BackboneNode> = nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut t = FeatureTable::new(
        "fibre_branches",
        GeometryKind::Line,
        &[
            ("run_id", FieldType::Integer),
            ("branch_id", FieldType::Integer),
            ("node_id", FieldType::Text),
            ("node_name", FieldType::Text),
            ("node_ids", FieldType::Text),
            ("settlement_count", FieldType::Integer),
            ("settlement_ids", FieldType::Text),
            ("settlement_names", FieldType::Text),
            ("length_m", FieldType::Real),
            ("length_trench_paved_m", FieldType::Real),
            ("length_trench_unpaved_m", FieldType::Real),
            ("length_aerial_m", FieldType::Real),
            ("approximated_m", FieldType::Real),
            ("cost_usd", FieldType::Real),
            ("approximated", FieldType::Bool),
            ("flags", FieldType::Text),
        ],
    );
    let json_text = |v: &[String]| Value::Text(serde_json::Value::from(v.to_vec()).to_string());
    for b in rows {
        let names: Vec<String> = b
            .settlement_ids
            .iter()
            .map(|id| {
                s_by_id
                    .get(id.as_str())
                    .map_or_else(|| id.clone(), |s| settlement_name(s))
            })
            .collect();
        let length_m = b.length_trench_paved_m
            + b.length_trench_unpaved_m
            + b.length_aerial_m
            + b.length_approximate_m;
        t.push(
            Some(b.geometry.clone().into()),
            vec![
                Value::Integer(run_id),
                Value::Integer(b.branch_id),
                Value::Text(b.node_id.clone()),
                n_by_id
                    .get(b.node_id.as_str())
                    .map_or(Value::Null, |n| Value::Text(node_name(n))),
                json_text(&b.node_ids),
                Value::Integer(b.settlement_ids.len() as i64),
                json_text(&b.settlement_ids),
                json_text(&names),
                Value::Real(length_m),
                Value::Real(b.length_trench_paved_m),
                Value::Real(b.length_trench_unpaved_m),
                Value::Real(b.length_aerial_m),
                Value::Real(b.length_approximate_m),
                Value::Real(b.cost_usd),
                Value::Bool(b.approximated),
                Value::Text(if b.approximated {
                    "last_mile_approximation".into()
                } else {
                    String::new()
                }),
            ],
        );
    }
    t
}

fn print(t: &Totals, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(t)?);
        return Ok(());
    }
    let n = |x: f64| auyl_model::thousands(x.round().max(0.0) as u64);
    println!(
        "fibre routes: {} settlements from {} fibre nodes ({} served, {} unreachable), {} branches",
        t.settlements_selected,
        t.fibre_nodes,
        t.settlements_served,
        t.unreachable.len(),
        t.branches
    );
    println!(
        "  road graph: {} roads, {} km, {} junctions and places, {} components; {} approximation links",
        t.graph.roads,
        n(t.graph.road_km),
        t.graph.nodes,
        t.graph.components,
        t.graph.approximate_edges
    );
    let l = &t.length_km;
    println!("  length        km");
    for (name, km) in [
        ("trench, paved", l.trench_paved),
        ("trench, unpaved", l.trench_unpaved),
        ("aerial", l.aerial),
        ("approximated", l.approximate),
        ("total", l.total),
    ] {
        println!("    {name:<16} {km:>10.1}");
    }
    println!(
        "  cost {} USD, lower bound {} USD, gap {:.2} %, {:.1} s{}",
        n(t.cost_usd),
        n(t.lower_bound_usd),
        100.0 * t.gap,
        t.time_s,
        if t.time_limit_hit {
            " (time limit hit: best forest so far)"
        } else {
            ""
        }
    );
    if t.approximated_km > 0.0 {
        println!(
            "  {:.1} km follow last-mile approximation links (no mapped road: straight line × detour factor); import local roads to replace them",
            t.approximated_km
        );
    }
    for u in t.unreachable.iter().take(20) {
        println!("  unreachable: {} ({}): {}", u.name, u.id, u.reason);
    }
    if t.unreachable.len() > 20 {
        println!(
            "  … and {} more unreachable (see --json)",
            t.unreachable.len() - 20
        );
    }
    if let Some(id) = t.run_id {
        println!("  stored as route run {id}");
    }
    if let Some(o) = &t.output {
        println!("  wrote {o}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse_and_reject_unknown_keys() {
        assert_eq!(parse_term("f", "all", false).unwrap(), Term::All);
        assert_eq!(
            parse_term("f", "region=11, 15", false).unwrap(),
            Term::Region(vec!["11".into(), "15".into()])
        );
        assert_eq!(
            parse_term("f", "a,b", true).unwrap(),
            Term::Ids(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            parse_term("f", "min_population=500", false).unwrap(),
            Term::MinPopulation(500)
        );
        let e = parse_term("--to-settlements", "oblast=11", false).unwrap_err();
        assert!(e.to_string().contains("unknown selector `oblast`"), "{e}");
        assert!(parse_term("f", "region=11", true).is_err());
        assert!(parse_term("f", "unconnected", true).is_ok()); // a node id, by that name
        assert!(parse_term("f", "min-population=many", false).is_err());
        assert!(parse_term("f", "region=", false).is_err());
    }
}
