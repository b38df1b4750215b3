//! The national benchmark (bench/resilience): all single-failure impacts on a Kazakhstan-wide
//! network built from the demo data, by the dominator tree and by brute force in the same run.
//!
//! The network (no telecom infrastructure is published for Kazakhstan, so it is assumed):
//! - core: the two largest cities (international gateways);
//! - PoPs: the most populous settlement of each district (the district centre, assumed);
//! - backbone: the multi-root Steiner forest along the republican roads (`data/demo/roads.geojson`,
//!   `auyl_network::road::RoadGraph::route_fibre`) from the cores to every PoP, its road edges as
//!   fibre segments;
//! - access: every settlement joins the nearest settlement of its district that is closer to the
//!   district's PoP (within 30 km), else the PoP itself: a distribution tree, as plans build;
//! - power: every node fed by the nearest of the 144 power plants of `data/demo/power.csv`
//!   within 300 km, 4 h of battery.
//!
//! Usage: `cargo run --release -p auyl-resilience --example national -- [repo root]`; prints JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark driver: a panic is the report

use auyl_model::{Id, LonLat, Population, Settlement, SettlementKind, estimate_missing_population};
use auyl_network::WallClockDeadline;
use auyl_network::road::{
    BuildOptions, CostModel, LastMileOptions, RoadAttributes, RoadClass, RoadGraph, RoadInput,
    Surface,
};
use auyl_resilience::spof::{brute_force, dominator_cuts};
use auyl_resilience::{ElementKind, NetworkModel, single_failures};
use geo_types::LineString;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn read_settlements(root: &Path) -> Vec<Settlement> {
    let mut r = csv::Reader::from_path(root.join("data/demo/settlements.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (id, lon, lat, kind, pop, reg, dis) = (
        col("id"),
        col("lon"),
        col("lat"),
        col("kind"),
        col("population"),
        col("region_code"),
        col("district_code"),
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let text = |i: usize| Some(rec[i].trim().to_string()).filter(|s| !s.is_empty());
            Settlement {
                id: Id::new(&rec[id]),
                official_code: None,
                names: Default::default(),
                location: LonLat::new(rec[lon].parse().unwrap(), rec[lat].parse().unwrap())
                    .unwrap(),
                kind: SettlementKind::parse(&rec[kind]).unwrap_or(SettlementKind::Unknown),
                population: text(pop).map(|p| Population {
                    people: p.parse::<f64>().unwrap() as u32,
                    year: None,
                    source: "demo".into(),
                    estimated: false,
                }),
                region_code: text(reg),
                district_code: text(dis),
            }
        })
        .collect()
}

fn read_roads(root: &Path) -> Vec<RoadInput> {
    let text = std::fs::read_to_string(root.join("data/demo/roads.geojson")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| {
            let cs = f["geometry"]["coordinates"].as_array()?;
            let line: Vec<(f64, f64)> = cs
                .iter()
                .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
                .collect();
            Some(RoadInput {
                geometry: LineString::from(line),
                attributes: RoadAttributes {
                    class: RoadClass::Trunk,
                    surface: Surface::Paved,
                    aerial_allowed: false,
                },
            })
        })
        .collect()
}

fn read_power(root: &Path) -> Vec<(String, LonLat)> {
    let mut r = csv::Reader::from_path(root.join("data/demo/power.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (id, lon, lat) = (col("id"), col("lon"), col("lat"));
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[id].to_string(),
                LonLat::new(rec[lon].parse().unwrap(), rec[lat].parse().unwrap()).unwrap(),
            )
        })
        .collect()
}

fn main() {
    let root = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."));
    let t_build = Instant::now();
    let mut settlements = read_settlements(&root);
    estimate_missing_population(&mut settlements, 5);
    let people = |s: &Settlement| s.population.as_ref().map_or(0, |p| u64::from(p.people));
    // Cores: the two largest cities. PoPs: the largest settlement of each district.
    let mut by_size: Vec<usize> = (0..settlements.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(people(&settlements[i])));
    let cores: Vec<usize> = by_size[..2].to_vec();
    let mut pop_of: BTreeMap<String, usize> = BTreeMap::new();
    for &i in &by_size {
        if let Some(d) = &settlements[i].district_code {
            pop_of.entry(d.clone()).or_insert(i);
        }
    }
    let mut backbone: Vec<usize> = cores.clone();
    backbone.extend(pop_of.values().copied().filter(|i| !cores.contains(i)));
    backbone.sort_unstable();
    backbone.dedup();
    // Backbone fibre along the roads.
    let costs = CostModel {
        trench_paved_per_km: 10_000.0,
        trench_unpaved_per_km: 14_000.0,
        aerial_per_km: 6_000.0,
        approximate_per_km: 16_000.0,
    };
    let mut g = RoadGraph::build(&read_roads(&root), &costs, &BuildOptions::default()).unwrap();
    let pts: Vec<_> = backbone
        .iter()
        .map(|&i| settlements[i].location.to_point())
        .collect();
    let lm = LastMileOptions {
        max_road_link_m: 300_000.0,
        ..Default::default()
    };
    let attached = g.attach_points(&pts, &lm).unwrap();
    let core_nodes: Vec<usize> = (0..2)
        .map(|k| attached[backbone.iter().position(|&b| b == cores[k]).unwrap()])
        .collect();
    let pop_nodes: Vec<usize> = attached.clone();
    let forest = g
        .route_fibre(
            &core_nodes,
            &pop_nodes,
            &WallClockDeadline::after(Duration::from_secs(20)),
        )
        .unwrap();
    let mut m = NetworkModel::new();
    let mut road_el: HashMap<usize, usize> = HashMap::new();
    let mut el_of_settlement: HashMap<usize, usize> = HashMap::new();
    for (k, &b) in backbone.iter().enumerate() {
        let s = &settlements[b];
        let kind = if cores.contains(&b) {
            ElementKind::Core
        } else {
            ElementKind::Pop
        };
        let v = m
            .add_node(format!("pop:{}", s.id), kind, s.location)
            .unwrap();
        road_el.insert(attached[k], v);
        // The settlement itself hangs off its PoP.
        let sv = m.add_settlement(&s.id, people(s), s.location).unwrap();
        m.add_link(
            format!("{}:access", s.id),
            ElementKind::AccessLink,
            v,
            sv,
            None,
        )
        .unwrap();
        el_of_settlement.insert(b, sv);
    }
    for &e in &forest.edges {
        let ed = &g.edges[e];
        let mut node = |r: usize, m: &mut NetworkModel| -> usize {
            *road_el.entry(r).or_insert_with(|| {
                let p = g.nodes[r].position;
                m.add_node(
                    format!("j{r}"),
                    ElementKind::Junction,
                    LonLat::new(p.x(), p.y()).unwrap(),
                )
                .unwrap()
            })
        };
        let (a, b) = (node(ed.from, &mut m), node(ed.to, &mut m));
        m.add_link(
            format!("fibre{e}"),
            ElementKind::FibreSegment,
            a,
            b,
            Some(ed.geometry.clone()),
        )
        .unwrap();
    }
    // Access tree per district.
    let mut by_district: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in settlements.iter().enumerate() {
        if !el_of_settlement.contains_key(&i)
            && let Some(d) = &s.district_code
        {
            by_district.entry(d.clone()).or_default().push(i);
        }
    }
    let mut unattached = 0;
    for (d, members) in &by_district {
        let Some(&pop) = pop_of.get(d) else {
            unattached += members.len();
            continue;
        };
        let pl = settlements[pop].location;
        let mut order = members.clone();
        order.sort_by(|&a, &b| {
            pl.haversine_distance_m(settlements[a].location)
                .total_cmp(&pl.haversine_distance_m(settlements[b].location))
        });
        let mut placed: Vec<usize> = vec![pop];
        for &i in &order {
            let p = settlements[i].location;
            let dp = pl.haversine_distance_m(p);
            let parent = placed
                .iter()
                .copied()
                .filter(|&q| pl.haversine_distance_m(settlements[q].location) < dp)
                .map(|q| (q, p.haversine_distance_m(settlements[q].location)))
                .filter(|&(_, d)| d <= 30_000.0)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map_or(pop, |x| x.0);
            let pv = el_of_settlement[&parent];
            let v = m
                .add_settlement(&settlements[i].id, people(&settlements[i]), p)
                .unwrap();
            m.add_link(
                format!("{}:access", settlements[i].id),
                ElementKind::AccessLink,
                pv,
                v,
                None,
            )
            .unwrap();
            el_of_settlement.insert(i, v);
            placed.push(i);
        }
    }
    // Power.
    let plants = read_power(&root);
    let pv: Vec<usize> = plants
        .iter()
        .map(|(id, at)| {
            m.add_power(format!("power:{id}"), ElementKind::PowerGrid, *at)
                .unwrap()
        })
        .collect();
    let nodes: Vec<usize> = (0..m.len())
        .filter(|&i| {
            matches!(
                m.elements()[i].kind,
                ElementKind::Core | ElementKind::Pop | ElementKind::Settlement
            )
        })
        .collect();
    for v in nodes {
        let c = m.elements()[v].anchor();
        let at = LonLat::new(c.x, c.y).unwrap();
        let best = plants
            .iter()
            .enumerate()
            .map(|(k, (_, p))| (k, at.haversine_distance_m(*p)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|x| x.1 <= 300_000.0);
        m.set_power(v, best.map(|x| pv[x.0]), 4.0).unwrap();
    }
    let build_s = t_build.elapsed().as_secs_f64();
    let count = |k: ElementKind| m.elements().iter().filter(|e| e.kind == k).count();
    // The measurement: all single-failure impacts, both ways, in the same run.
    let t = Instant::now();
    let report = single_failures(&m);
    let fast_report_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let fast = dominator_cuts(&m);
    let fast_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let slow = brute_force(&m);
    let brute_s = t.elapsed().as_secs_f64();
    // What the server computes once per plan and keeps: the tree, the cut sets of supplies
    // feeding several nodes, every settlement's risk.
    let copy = m.clone();
    let t = Instant::now();
    let analysis = auyl_resilience::Analysis::new(copy);
    let analysis_s = t.elapsed().as_secs_f64();
    let analysed_equal = (0..m.len()).all(|e| analysis.cut(e) == fast[e]);
    let equal = fast == slow && analysed_equal;
    let spofs = report.single_points().count();
    let top: Vec<serde_json::Value> = report
        .single_points()
        .take(5)
        .map(|i| serde_json::json!({"id": i.id, "kind": i.kind.as_str(), "settlements": i.settlements, "people": i.people}))
        .collect();
    let out = serde_json::json!({
        "network": {
            "elements": m.len(),
            "settlements": count(ElementKind::Settlement),
            "cores": count(ElementKind::Core),
            "pops": count(ElementKind::Pop),
            "junctions": count(ElementKind::Junction),
            "fibre_segments": count(ElementKind::FibreSegment),
            "access_links": count(ElementKind::AccessLink),
            "power_supplies": count(ElementKind::PowerGrid),
            "settlements_without_district": unattached,
            "people": report.total_people,
            "unreachable_settlements": report.unreachable_settlements,
            "backbone_forest_gap": if forest.cost > 0.0 { (forest.cost - forest.lower_bound) / forest.cost } else { 0.0 },
            "build_s": build_s,
        },
        "dominator_s": fast_s,
        "dominator_ranked_report_s": fast_report_s,
        "server_analysis_s": analysis_s,
        "brute_force_s": brute_s,
        "ratio": brute_s / fast_s,
        "identical": equal,
        "single_points_of_failure": spofs,
        "top5": top,
    });
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
    assert!(equal, "the dominator method and brute force disagree");
    // Redundancy proposals for settlements of at least 5,000 people, rings along the roads.
    let opts = auyl_resilience::RedundancyOptions {
        min_people: 5_000,
        ..Default::default()
    };
    let t = Instant::now();
    let plan = auyl_resilience::propose(&m, Some(&g), None, &opts).unwrap();
    let red_s = t.elapsed().as_secs_f64();
    let kinds = |name: &str| {
        plan.additions
            .iter()
            .filter(|a| serde_json::to_value(&a.addition).unwrap()["kind"] == name)
            .count()
    };
    let red = serde_json::json!({
        "redundancy": {
            "min_people": opts.min_people,
            "targets": plan.targets,
            "target_people": plan.target_people,
            "protected_before": plan.protected_before,
            "protected_after": plan.protected_after,
            "people_protected_after": plan.people_protected_after,
            "additions": plan.additions.len(),
            "fibre_rings": kinds("fibre_ring"),
            "microwave_hops": kinds("microwave_hop"),
            "batteries": kinds("battery"),
            "cost_usd": plan.cost_usd,
            "lower_bound_usd": plan.lower_bound_usd,
            "gap": plan.gap,
            "candidates": plan.candidates,
            "unprotected": plan.unprotected.len(),
            "curve_points": plan.curve.len(),
            "seconds": red_s,
        }
    });
    println!("{}", serde_json::to_string_pretty(&red).unwrap());
}
