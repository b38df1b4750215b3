//! Road graphs from the shared Kazakhstan road files, the last-mile approximation and fibre
//! routes over them. The road files are read from `../shared/data` (they are not vendored).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap (project rule)

use auyl_network::Unlimited;
use auyl_network::road::{
    BuildOptions, CostClass, CostModel, EdgeSource, LastMileOptions, RoadAttributes, RoadClass,
    RoadGraph, RoadInput, Surface,
};
use auyl_network::steiner::validate_tree;
use geo_types::{LineString, Point};
use std::path::PathBuf;

fn shared(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name)
}

fn read_shared(name: &str) -> String {
    let p = shared(name);
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("this test needs {} (from ../shared/data): {e}", p.display()))
}

/// Roads of a GeoJSON file (LineStrings), with `fclass`/`road_class` and `surface` if present.
fn roads(name: &str) -> (Vec<RoadInput>, Vec<geojson::JsonObject>) {
    let gj: geojson::GeoJson = read_shared(name).parse().unwrap();
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        panic!("{name}: not a FeatureCollection")
    };
    let mut out = Vec::new();
    let mut props = Vec::new();
    for f in fc.features {
        let g = f.geometry.unwrap();
        let ls: LineString<f64> = LineString::try_from(g.value).unwrap();
        let p = f.properties.unwrap_or_default();
        let class = p
            .get("fclass")
            .or_else(|| p.get("road_class"))
            .and_then(|v| v.as_str())
            .map(RoadClass::from_osm)
            .unwrap_or(RoadClass::Other);
        let surface = Surface::from_osm(p.get("surface").and_then(|v| v.as_str()));
        out.push(RoadInput {
            geometry: ls,
            attributes: RoadAttributes {
                class,
                surface,
                aerial_allowed: false,
            },
        });
        props.push(p);
    }
    (out, props)
}

fn costs() -> CostModel {
    CostModel {
        trench_paved_per_km: 12_000.0,
        trench_unpaved_per_km: 7_000.0,
        aerial_per_km: 4_000.0,
        approximate_per_km: 9_000.0,
    }
}

#[test]
fn republican_graph_is_one_component_with_the_files_nodes() {
    let (input, props) = roads("kz_roads_republican_graph.geojson");
    let opts = BuildOptions {
        split_at_t_junctions: false,
        join_shared_vertices: false,
        ..BuildOptions::default()
    };
    let g = RoadGraph::build(&input, &costs(), &opts).unwrap();
    // The file names its own nodes (u, v): snapping its end points at 10 m finds the same, up to
    // a few pairs right at 10 m (the file measured in a Lambert projection, we on the sphere).
    let mut ids: Vec<i64> = props
        .iter()
        .flat_map(|p| [p["u"].as_i64().unwrap(), p["v"].as_i64().unwrap()])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert!(
        g.nodes.len().abs_diff(ids.len()) <= 3,
        "{} vs {}",
        g.nodes.len(),
        ids.len()
    );
    assert_eq!(g.components().count(), 1);
    // Same length as the file's own geodesic lengths, within rounding (0.1 m per edge); its
    // closed loops (u == v) are left out of a routable graph and reported separately.
    let is_loop = |p: &geojson::JsonObject| p["u"] == p["v"];
    let file_m: f64 = props
        .iter()
        .filter(|p| !is_loop(p))
        .map(|p| p["length_m"].as_f64().unwrap())
        .sum();
    let loops_m: f64 = props
        .iter()
        .filter(|p| is_loop(p))
        .map(|p| p["length_m"].as_f64().unwrap())
        .sum();
    let (ours_m, approx_m) = g.total_length_m();
    assert_eq!(approx_m, 0.0);
    assert!(
        (ours_m - file_m).abs() < 0.1 * props.len() as f64,
        "{ours_m} vs {file_m}"
    );
    assert!(
        (g.dropped_loop_length_m - loops_m).abs() < 0.1 * props.len() as f64,
        "{} vs {loops_m}",
        g.dropped_loop_length_m
    );
    let non_loops = props.iter().filter(|p| !is_loop(p)).count();
    assert!(
        g.edges.len().abs_diff(non_loops) <= 3,
        "{} vs {non_loops}",
        g.edges.len()
    );
    assert!(g.skipped_roads.is_empty());
    // Every edge comes from a road and has the trench-paved class (republican = trunk, paved).
    assert!(
        g.edges
            .iter()
            .all(|e| matches!(e.source, EdgeSource::Road(_)) && !e.approximate)
    );
    let trunk = g
        .edges
        .iter()
        .filter(|e| e.cost_class == CostClass::TrenchPaved)
        .count();
    assert!(trunk > 3000, "{trunk}");
    // With junction detection on too, still one component.
    let g2 = RoadGraph::build(&input, &costs(), &BuildOptions::default()).unwrap();
    assert_eq!(g2.components().count(), 1);
    assert!(g2.edges.len() >= g.edges.len());
}

#[test]
fn aral_components_match_the_shared_readme() {
    // ../shared/data/README.md, section 4: 500 components with a 10 m end-point snap, 33 when an
    // end point within 10 m of another line's interior also counts.
    let (input, _) = roads("kz_roads_aral.geojson");
    let ends_only = BuildOptions {
        split_at_t_junctions: false,
        join_shared_vertices: false,
        ..BuildOptions::default()
    };
    let g = RoadGraph::build(&input, &costs(), &ends_only).unwrap();
    assert_eq!(g.components().count(), 500);
    let with_t = BuildOptions {
        join_shared_vertices: false,
        ..BuildOptions::default()
    };
    let g = RoadGraph::build(&input, &costs(), &with_t).unwrap();
    assert_eq!(g.components().count(), 33);
    // Splitting keeps the total length: pieces plus dropped loops add up to the lines (snapping
    // moves piece ends by at most the tolerance).
    let (len_m, _) = g.total_length_m();
    let orig: f64 = input
        .iter()
        .map(|r| geo::Length::length(&geo::Geodesic, &r.geometry))
        .sum();
    let slack = 2.0 * 10.0 * g.edges.len() as f64;
    assert!(
        (len_m + g.dropped_loop_length_m - orig).abs() < slack,
        "{len_m} vs {orig}"
    );
}

/// Settlements of the shared CSV inside a lon/lat box.
fn settlements_in(lon: (f64, f64), lat: (f64, f64)) -> Vec<(String, Point<f64>, i64)> {
    let text = read_shared("settlements_kz.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (ci, cx, cy, cp) = (col("id"), col("lon"), col("lat"), col("population"));
    let mut out = Vec::new();
    for r in rdr.records() {
        let r = r.unwrap();
        let (x, y): (f64, f64) = (r[cx].parse().unwrap(), r[cy].parse().unwrap());
        if x >= lon.0 && x <= lon.1 && y >= lat.0 && y <= lat.1 {
            out.push((
                r[ci].to_string(),
                Point::new(x, y),
                r[cp].parse().unwrap_or(0),
            ));
        }
    }
    out
}

#[test]
fn aral_fibre_routes_reach_settlements_with_flagged_last_mile() {
    let (input, _) = roads("kz_roads_aral.geojson");
    let mut g = RoadGraph::build(&input, &costs(), &BuildOptions::default()).unwrap();
    let road_edges = g.edges.len();
    let places = settlements_in((60.5, 62.5), (45.8, 47.2));
    assert!(
        places.len() >= 10,
        "only {} settlements in the box",
        places.len()
    );
    let points: Vec<Point<f64>> = places.iter().map(|p| p.1).collect();
    let nodes = g
        .attach_points(&points, &LastMileOptions::default())
        .unwrap();
    assert_eq!(nodes.len(), points.len());
    // Every new link is flagged approximate and at least the straight line × 1.3.
    for e in &g.edges[road_edges..] {
        if e.approximate {
            let straight = geo::Distance::distance(
                &geo::Geodesic,
                e.geometry.0[0].into(),
                e.geometry.0[1].into(),
            );
            assert!((e.length_m - 1.3 * straight).abs() < 1e-6 * e.length_m + 1e-9);
            assert_eq!(e.cost_class, CostClass::Approximate);
        }
    }
    // Fibre arrives at the most populous place; all others are routed to it.
    let hub = (0..places.len())
        .max_by_key(|&i| (places[i].2, std::cmp::Reverse(i)))
        .unwrap();
    let targets: Vec<usize> = (0..places.len())
        .filter(|&i| i != hub)
        .map(|i| nodes[i])
        .collect();
    let plan = g.route_fibre(&[nodes[hub]], &targets, &Unlimited).unwrap();
    assert!(
        plan.unreachable.is_empty(),
        "neighbour links keep every place reachable"
    );
    let inst = g.steiner_instance(&[&[nodes[hub]][..], &targets].concat());
    let cost = validate_tree(&inst, &plan.edges).unwrap();
    assert!((cost - plan.cost).abs() < 1e-6 * cost);
    assert!(plan.lower_bound <= plan.cost + 1e-6 && plan.lower_bound > 0.0);
    let total_m: f64 = plan.edges.iter().map(|&e| g.edges[e].length_m).sum();
    let by_class: f64 = plan.length_m_by_class.iter().map(|c| c.1).sum();
    assert!((total_m - by_class).abs() < 1e-6 * total_m);
    let approx: f64 = plan
        .edges
        .iter()
        .filter(|&&e| g.edges[e].approximate)
        .map(|&e| g.edges[e].length_m)
        .sum();
    assert!((approx - plan.approximate_length_m).abs() < 1e-6 * total_m.max(1.0));
    assert!(
        approx > 0.0,
        "settlements off the mapped roads need approximate links"
    );
    assert_eq!(plan.branches.len(), 1);
    assert_eq!(plan.branches[0].settlements.len(), targets.len());
    let branch_m: f64 = plan.branches[0].length_m_by_class.iter().map(|c| c.1).sum();
    assert!((branch_m - total_m).abs() < 1e-6 * total_m);
    assert_eq!(plan.branches[0].fibre_nodes, vec![nodes[hub]]);
    // Sharing trenches beats a separate route to each place from the hub (the star of
    // shortest paths is a feasible but non-shared design).
    let solo = auyl_network::steiner::shortest_path_heuristic(&inst).unwrap();
    assert!(plan.cost <= validate_tree(&inst, &solo).unwrap() + 1e-6);
}

#[test]
fn t_junction_and_tolerance_on_a_tiny_network() {
    let attrs = RoadAttributes {
        class: RoadClass::Track,
        surface: Surface::Unknown,
        aerial_allowed: true,
    };
    // A west-east road and a road from the north ending 3 m above its middle.
    let dlat_3m = 3.0 / 111_195.0;
    let main = LineString::from(vec![(60.0, 46.0), (60.02, 46.0)]);
    let side = LineString::from(vec![(60.01, 46.05), (60.01, 46.0 + dlat_3m)]);
    let input = vec![
        RoadInput {
            geometry: main,
            attributes: attrs,
        },
        RoadInput {
            geometry: side,
            attributes: attrs,
        },
    ];
    let g = RoadGraph::build(&input, &costs(), &BuildOptions::default()).unwrap();
    assert_eq!(
        (g.nodes.len(), g.edges.len(), g.components().count()),
        (4, 3, 1)
    );
    // Aerial is allowed and cheaper than an unpaved trench.
    assert!(g.edges.iter().all(|e| e.cost_class == CostClass::Aerial));
    let tight = BuildOptions {
        snap_tolerance_m: 1.0,
        ..BuildOptions::default()
    };
    let g = RoadGraph::build(&input, &costs(), &tight).unwrap();
    assert_eq!(
        (g.nodes.len(), g.edges.len(), g.components().count()),
        (4, 2, 2)
    );
    // Two fibre nodes: each settlement hangs from the nearer one (a forest, not one tree).
    let mut g = RoadGraph::build(&input, &costs(), &BuildOptions::default()).unwrap();
    let pts = [
        Point::new(60.0, 46.001),
        Point::new(60.02, 46.001),
        Point::new(60.01, 46.049),
    ];
    let at = g
        .attach_points(
            &pts,
            &LastMileOptions {
                neighbours_k: 0,
                ..LastMileOptions::default()
            },
        )
        .unwrap();
    let plan = g
        .route_fibre(&[at[0], at[1]], &[at[2]], &Unlimited)
        .unwrap();
    assert_eq!(plan.branches.len(), 1);
    assert_eq!(plan.branches[0].settlements, vec![at[2]]);
}

#[test]
fn last_mile_splits_the_nearest_edge_and_flags_links() {
    let attrs = RoadAttributes {
        class: RoadClass::Primary,
        surface: Surface::Paved,
        aerial_allowed: false,
    };
    // Two parallel roads 0.1° apart in latitude; the point is 1 km south of the northern one.
    let north = LineString::from(vec![(70.0, 50.1), (70.2, 50.1)]);
    let south = LineString::from(vec![(70.0, 50.0), (70.2, 50.0)]);
    let input = vec![
        RoadInput {
            geometry: north,
            attributes: attrs,
        },
        RoadInput {
            geometry: south,
            attributes: attrs,
        },
    ];
    let mut g = RoadGraph::build(&input, &costs(), &BuildOptions::default()).unwrap();
    assert_eq!(
        (g.nodes.len(), g.edges.len(), g.components().count()),
        (4, 2, 2)
    );
    let p = Point::new(70.1, 50.1 - 1000.0 / 111_195.0);
    // A second point right on the western end of the southern road reuses that node.
    let q = Point::new(70.0, 50.0);
    let opts = LastMileOptions {
        neighbours_k: 0,
        ..LastMileOptions::default()
    };
    let at = g.attach_points(&[p, q], &opts).unwrap();
    assert_eq!(g.nodes[at[0]].attached, Some(0));
    // The northern road was split in two at the foot of the link; the southern one was not.
    let pieces_north = g
        .edges
        .iter()
        .filter(|e| e.source == EdgeSource::Road(0))
        .count();
    let pieces_south = g
        .edges
        .iter()
        .filter(|e| e.source == EdgeSource::Road(1))
        .count();
    assert_eq!((pieces_north, pieces_south), (2, 1));
    let link = g
        .edges
        .iter()
        .find(|e| e.source == EdgeSource::PointToRoad(0))
        .unwrap();
    assert!(link.approximate && link.cost_class == CostClass::Approximate);
    assert!(
        (link.length_m - 1.3 * 1000.0).abs() < 1.3 * 5.0,
        "{}",
        link.length_m
    );
    assert!((link.cost - link.length_m / 1000.0 * costs().approximate_per_km).abs() < 1e-6);
    // Road pieces keep their class and their lengths add up to the road.
    let north_m: f64 = g
        .edges
        .iter()
        .filter(|e| e.source == EdgeSource::Road(0))
        .map(|e| e.length_m)
        .sum();
    let full = geo::Length::length(&geo::Geodesic, &input[0].geometry);
    assert!((north_m - full).abs() < 0.01, "{north_m} vs {full}");
    let link_q = g
        .edges
        .iter()
        .find(|e| e.source == EdgeSource::PointToRoad(1))
        .unwrap();
    assert!(link_q.length_m < 1e-6);
    assert!(
        g.attach_points(
            &[p],
            &LastMileOptions {
                detour_factor: 0.9,
                ..opts
            }
        )
        .is_err()
    );
}
