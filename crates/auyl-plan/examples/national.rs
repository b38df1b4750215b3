//! Plans the whole demo registry of Kazakhstan (`data/demo`: 9,571 settlements, the republican
//! roads, power plants, organisations, the national 30″ DEM and Almaty SRTM3 tiles) and prints
//! time, cost, gap and the greedy baseline. Measure peak memory with
//! `/usr/bin/time -v cargo run --release -p auyl-plan --example national`.
//!
//! Arguments: `[min_cost|max_people] [--no-dem] [--time-limit S] [--scenario FILE]`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test/benchmark driver: a panic is the report

use auyl_model::estimate_missing_population;
use auyl_plan::{Mode, PlanInputs, Progress, Scenario, SolveOptions, plan};
use std::time::Instant;

// The demo registry readers of the crate's tests (real Kazakhstan data, see data/demo).
#[path = "../src/testutil.rs"]
#[allow(dead_code)]
mod testutil;
use testutil::{organisations, power, roads, settlements};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let t0 = Instant::now();
    let mut sc = Scenario::default();
    if let Some(i) = args.iter().position(|a| a == "--scenario") {
        let f = &args[i + 1];
        let text = std::fs::read_to_string(f).unwrap();
        sc = Scenario::from_toml_str(&text, f).unwrap_or_else(|e| panic!("{e}"));
    }
    if args.iter().any(|a| a == "max_people") {
        sc.mode = Mode::MaxPeople;
    }
    let time_limit = args
        .iter()
        .position(|a| a == "--time-limit")
        .map(|i| args[i + 1].parse().unwrap())
        .unwrap_or(40.0);
    let mut settlements = settlements();
    let estimates = estimate_missing_population(&mut settlements, 5);
    let roads = roads();
    let power = power();
    let orgs = organisations();
    let dem = if args.iter().any(|a| a == "--no-dem") {
        None
    } else {
        let dir = testutil::demo_path("terrain");
        Some(auyl_terrain::DemSet::open_folders(&[dir.as_str()], 512 << 20).unwrap())
    };
    let load_s = t0.elapsed().as_secs_f64();
    let inputs = PlanInputs {
        settlements: &settlements,
        areas: &[],
        nodes: &[],
        masts: &[],
        power: &power,
        roads: &roads,
        organisations: &orgs,
        terrain: dem.as_ref(),
    };
    let clock_start = Instant::now();
    let clock = move || clock_start.elapsed().as_secs_f64();
    let opts = SolveOptions {
        time_limit_s: time_limit,
        threads: 2,
        clock: Some(&clock),
        ..SolveOptions::default()
    };
    let last = std::cell::Cell::new("");
    let progress = |p: Progress| {
        if p.stage != last.get() {
            eprintln!(
                "[{:7.2} s] {} ({} / {})",
                t0.elapsed().as_secs_f64(),
                p.stage,
                p.done,
                p.total
            );
            last.set(p.stage);
        }
    };
    let t1 = Instant::now();
    let p = plan(&inputs, &sc, &opts, &progress).unwrap_or_else(|e| panic!("{e}"));
    let plan_s = t1.elapsed().as_secs_f64();
    let t = &p.totals;
    println!("scenario            {} ({})", p.scenario, p.mode);
    println!(
        "settlements         {} ({} populations estimated)",
        settlements.len(),
        estimates.len()
    );
    println!("load s              {load_s:.2}");
    println!(
        "plan s              {plan_s:.2} (solver {:.2})",
        t.solve_s.unwrap_or(f64::NAN)
    );
    println!(
        "served / unserved   {} / {}",
        p.settlements.len(),
        p.unserved.len()
    );
    println!("by technology       {:?}", t.settlements_by_technology);
    println!("people by tech      {:?}", t.people_by_technology);
    println!("capex USD           {:.0}", t.capex_usd);
    println!("capex by year       {:?}", t.capex_usd_by_year);
    println!("people by year      {:?}", t.people_by_year);
    println!("npc USD             {:.0}", t.npc_usd);
    println!(
        "greedy npc USD      {:.0} (ratio {:.4})",
        t.greedy_npc_usd.unwrap_or(f64::NAN),
        t.greedy_npc_usd.unwrap_or(f64::NAN) / t.npc_usd
    );
    println!(
        "gap                 {:.4} %",
        100.0 * t.gap.unwrap_or(f64::NAN)
    );
    println!("fibre km            {:.0}", t.fibre_m / 1000.0);
    println!("new masts / hops    {} / {}", t.new_masts, t.microwave_hops);
    println!("routes / sites      {} / {}", p.routes.len(), p.sites.len());
    println!("method              {}", t.method);
    for a in &p.assumptions {
        println!("assumption          {a}");
    }
}
