//! Steiner benchmark: every `.stp` instance in a folder with an `optimal.csv`, solved with a
//! time limit, beside the classic shortest-path 2-approximation.
//!
//! `cargo run --release -p auyl-network --example steiner_bench -- [DIR] [TIME_LIMIT_S]`
//! (DIR defaults to the vendored `fixtures/steiner`). Prints one row per instance and a summary.
//! With `--gen-grid N` instead, builds an N×N grid instance (≈ 2N² edges), solves it and
//! prints its size, so `/usr/bin/time -v` can measure peak memory.
//! With `--roads DATA_DIR [TIME_LIMIT_S]`, the demo road graph: Kazakhstan's republican road
//! graph, the 21 regional capitals as fibre nodes, every rural settlement of ≥ 1,000 people
//! attached by the last-mile approximation; prints time, cost, lower bound, gap and the
//! shortest-path baseline.

use auyl_network::steiner::{
    SteinerEdge, SteinerInstance, shortest_path_heuristic, solve_with_time_limit, tree_cost,
    validate_tree,
};
use auyl_network::stp::parse_stp;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn grid(n: usize) -> SteinerInstance {
    // Deterministic costs 1..=100 from a linear congruential sequence; every 97th node a terminal.
    let mut x: u64 = 12345;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((x >> 33) % 100 + 1) as f64
    };
    let mut edges = Vec::new();
    for r in 0..n {
        for c in 0..n {
            let v = r * n + c;
            if c + 1 < n {
                edges.push(SteinerEdge {
                    u: v,
                    v: v + 1,
                    cost: next(),
                });
            }
            if r + 1 < n {
                edges.push(SteinerEdge {
                    u: v,
                    v: v + n,
                    cost: next(),
                });
            }
        }
    }
    SteinerInstance {
        node_count: n * n,
        edges,
        terminals: (0..n * n).step_by(97).collect(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--gen-grid") {
        let n: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(224);
        let limit: f64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(10.0);
        let inst = grid(n);
        let sol = solve_with_time_limit(&inst, Duration::from_secs_f64(limit))?;
        validate_tree(&inst, &sol.edges)?;
        println!(
            "grid {n}x{n}: nodes {} edges {} terminals {} cost {} lower_bound {:.1} gap {:.2}% time {:.2}s",
            inst.node_count,
            inst.edges.len(),
            inst.terminals.len(),
            sol.cost,
            sol.lower_bound,
            100.0 * sol.gap(),
            sol.time_s
        );
        return Ok(());
    }
    if args.first().map(String::as_str) == Some("--roads") {
        let dir = PathBuf::from(args.get(1).ok_or("--roads needs the shared data folder")?);
        let limit: f64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(10.0);
        return road_demo(&dir, limit);
    }
    let dir = args.first().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/steiner")
    });
    let limit: f64 = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(10.0);
    let table = std::fs::read_to_string(dir.join("optimal.csv"))?;
    println!(
        "{:<32} {:>6} {:>6} {:>5} {:>12} {:>12} {:>12} {:>8} {:>8} {:>8} {:>7}",
        "instance",
        "nodes",
        "edges",
        "terms",
        "optimum",
        "found",
        "lower_bd",
        "gap_opt%",
        "gap_lb%",
        "sph/opt",
        "time_s"
    );
    let (mut gaps, mut sph_ratios, mut worst, mut total_t, mut max_t) =
        (Vec::new(), Vec::new(), 0.0f64, 0.0, 0.0f64);
    for row in table.lines().skip(1) {
        let cols: Vec<&str> = row.split(',').collect();
        if cols.len() < 5 {
            continue;
        }
        let opt: f64 = cols[4].parse()?;
        let text = std::fs::read_to_string(dir.join(format!("{}.stp", cols[0])))?;
        let inst = parse_stp(&text)?.instance;
        let t0 = Instant::now();
        let sol = solve_with_time_limit(&inst, Duration::from_secs_f64(limit))?;
        let secs = t0.elapsed().as_secs_f64();
        validate_tree(&inst, &sol.edges)?;
        let sph = shortest_path_heuristic(&inst)?;
        let sph_cost = tree_cost(&inst, &sph);
        let gap = (sol.cost - opt) / opt;
        gaps.push(gap);
        sph_ratios.push(sph_cost / opt);
        worst = worst.max(gap);
        total_t += secs;
        max_t = max_t.max(secs);
        println!(
            "{:<32} {:>6} {:>6} {:>5} {:>12} {:>12} {:>12.1} {:>8.3} {:>8.3} {:>8.4} {:>7.2}{}",
            cols[0],
            inst.node_count,
            inst.edges.len(),
            inst.distinct_terminals().len(),
            opt,
            sol.cost,
            sol.lower_bound,
            100.0 * gap,
            100.0 * sol.gap(),
            sph_cost / opt,
            secs,
            if sol.budget_exhausted {
                " (time limit)"
            } else {
                ""
            }
        );
    }
    let n = gaps.len().max(1) as f64;
    println!(
        "summary: {} instances, mean gap to optimum {:.3}%, worst {:.3}%, optimal {}, SPH baseline mean ratio {:.4} (worst {:.4}), total {:.1}s, slowest {:.2}s",
        gaps.len(),
        100.0 * gaps.iter().sum::<f64>() / n,
        100.0 * worst,
        gaps.iter().filter(|&&g| g <= 1e-9).count(),
        sph_ratios.iter().sum::<f64>() / n,
        sph_ratios.iter().copied().fold(0.0, f64::max),
        total_t,
        max_t
    );
    Ok(())
}

/// The demo road graph (see the module docs).
fn road_demo(dir: &std::path::Path, limit: f64) -> Result<(), Box<dyn std::error::Error>> {
    use auyl_network::road::{
        BuildOptions, CostModel, LastMileOptions, RoadAttributes, RoadClass, RoadGraph, RoadInput,
        Surface,
    };
    use geo_types::{LineString, Point};
    let t0 = Instant::now();
    let text = std::fs::read_to_string(dir.join("kz_roads_republican_graph.geojson"))?;
    let geojson::GeoJson::FeatureCollection(fc) = text.parse::<geojson::GeoJson>()? else {
        return Err("not a FeatureCollection".into());
    };
    let mut roads = Vec::new();
    for f in fc.features {
        let Some(g) = f.geometry else { continue };
        let geometry = LineString::<f64>::try_from(g.value)?;
        let class = f
            .properties
            .as_ref()
            .and_then(|p| p.get("road_class"))
            .and_then(|v| v.as_str())
            .map(RoadClass::from_osm)
            .unwrap_or(RoadClass::Other);
        roads.push(RoadInput {
            geometry,
            attributes: RoadAttributes {
                class,
                surface: Surface::Unknown,
                aerial_allowed: false,
            },
        });
    }
    let costs = CostModel {
        trench_paved_per_km: 12_000.0,
        trench_unpaved_per_km: 7_000.0,
        aerial_per_km: 4_000.0,
        approximate_per_km: 9_000.0,
    };
    let mut graph = RoadGraph::build(&roads, &costs, &BuildOptions::default())?;
    let mut rdr = csv::Reader::from_path(dir.join("settlements_kz.csv"))?;
    let h = rdr.headers()?.clone();
    let col = |n: &str| {
        h.iter()
            .position(|x| x == n)
            .ok_or(format!("no column {n}"))
    };
    let (cx, cy, cf, cc, cp) = (
        col("lon")?,
        col("lat")?,
        col("geonames_fcode")?,
        col("settlement_class")?,
        col("population")?,
    );
    let (mut hubs, mut villages) = (Vec::new(), Vec::new());
    for r in rdr.records() {
        let r = r?;
        let p = Point::new(r[cx].parse()?, r[cy].parse()?);
        let pop: f64 = r[cp].parse().unwrap_or(0.0);
        if matches!(&r[cf], "PPLA" | "PPLC") {
            hubs.push(p);
        } else if &r[cc] == "rural" && pop >= 1000.0 {
            villages.push(p);
        }
    }
    let points: Vec<Point<f64>> = hubs.iter().chain(&villages).copied().collect();
    let nodes = graph.attach_points(&points, &LastMileOptions::default())?;
    let build_s = t0.elapsed().as_secs_f64();
    let (fibre, targets) = nodes.split_at(hubs.len());
    let deadline = auyl_network::WallClockDeadline::after(Duration::from_secs_f64(limit));
    let t1 = Instant::now();
    let plan = graph.route_fibre(fibre, targets, &deadline)?;
    let solve_s = t1.elapsed().as_secs_f64();
    // Baseline: the classic shortest-path heuristic on the same multi-root instance.
    let reach: Vec<usize> = targets
        .iter()
        .copied()
        .filter(|t| !plan.unreachable.contains(t))
        .collect();
    let (inst, _) = graph.steiner_instance(&reach).with_super_root(fibre)?;
    let sph_cost = tree_cost(&inst, &shortest_path_heuristic(&inst)?);
    println!(
        "road demo: {} nodes, {} edges ({} approximate), {} fibre nodes, {} settlements ({} unreachable); build {:.2}s",
        graph.nodes.len(),
        graph.edges.len(),
        graph.edges.iter().filter(|e| e.approximate).count(),
        fibre.len(),
        targets.len(),
        plan.unreachable.len(),
        build_s
    );
    println!(
        "  solve {:.2}s{}: cost {:.0}, lower bound {:.0}, gap to bound {:.3}%, SPH baseline {:.0} (ratio {:.4}), {} branches",
        solve_s,
        if plan.budget_exhausted {
            " (time limit)"
        } else {
            ""
        },
        plan.cost,
        plan.lower_bound,
        100.0 * (plan.cost - plan.lower_bound) / plan.cost.max(1e-9),
        sph_cost,
        sph_cost / plan.cost.max(1e-9),
        plan.branches.len()
    );
    for (c, m) in &plan.length_m_by_class {
        println!("  {:<15} {:>10.1} km", c.as_str(), m / 1000.0);
    }
    Ok(())
}
