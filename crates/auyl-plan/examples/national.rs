//! Plans the whole demo registry of Kazakhstan (`data/demo`: 9,571 settlements, the republican
//! roads, power plants, organisations, the national 30″ DEM and Almaty SRTM3 tiles) and prints
//! time, cost, gap and the greedy baseline. Measure peak memory with
//! `/usr/bin/time -v cargo run --release -p auyl-plan --example national`.
//!
//! Arguments: `[min_cost|max_people] [--no-dem] [--time-limit S] [--scenario FILE]`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test/benchmark driver: a panic is the report

use auyl_model::{
    Id, LonLat, Names, OrgKind, Organisation, Population, PowerKind, PowerSource, Road, Settlement,
    SettlementKind, estimate_missing_population,
};
use auyl_plan::{Mode, PlanInputs, Progress, Scenario, SolveOptions, plan};
use geo_types::LineString;
use std::time::Instant;

fn demo(name: &str) -> String {
    let p = format!("{}/../../data/demo/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("needs {p}: {e}"))
}

fn settlements() -> Vec<Settlement> {
    let text = demo("settlements.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (ci, cn, cx, cy, ck, cp, cr, cd) = (
        col("id"),
        col("name_en"),
        col("lon"),
        col("lat"),
        col("kind"),
        col("population"),
        col("region_code"),
        col("district_code"),
    );
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            Settlement {
                id: Id::new(&r[ci]),
                official_code: None,
                names: Names {
                    en: opt(&r[cn]),
                    ..Names::default()
                },
                location: LonLat::new(r[cx].parse().unwrap(), r[cy].parse().unwrap()).unwrap(),
                kind: SettlementKind::parse(&r[ck]).unwrap_or(SettlementKind::Unknown),
                population: r[cp].parse::<u32>().ok().map(|people| Population {
                    people,
                    year: None,
                    source: "osm".into(),
                    estimated: false,
                }),
                region_code: opt(&r[cr]),
                district_code: opt(&r[cd]),
            }
        })
        .collect()
}

fn roads() -> Vec<Road> {
    let gj: geojson::GeoJson = demo("roads.geojson").parse().unwrap();
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        panic!("roads.geojson is not a FeatureCollection")
    };
    fc.features
        .into_iter()
        .map(|f| {
            let ls: LineString<f64> = LineString::try_from(f.geometry.unwrap().value).unwrap();
            let p = f.properties.unwrap_or_default();
            let s = |k: &str| p.get(k).and_then(|v| v.as_str()).map(String::from);
            Road {
                id: Id::new(s("id").unwrap()),
                road_ref: s("ref"),
                name: s("name"),
                class: s("class"),
                surface: None,
                length_m: geo::Length::length(&geo::Geodesic, &ls),
                geometry: ls,
            }
        })
        .collect()
}

fn power() -> Vec<PowerSource> {
    let text = demo("power.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            PowerSource {
                id: Id::new(&r[0]),
                name: Some(r[1].to_string()),
                kind: PowerKind::Plant,
                fuel: Some(r[3].to_string()),
                capacity_mw: r[4].parse().ok(),
                voltage_kv: None,
                location: LonLat::new(r[5].parse().unwrap(), r[6].parse().unwrap()).unwrap(),
            }
        })
        .collect()
}

fn organisations() -> Vec<Organisation> {
    let text = demo("organisations.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            Organisation {
                id: Id::new(&r[0]),
                kind: OrgKind::parse(&r[1]).unwrap(),
                names: Names {
                    en: Some(r[2].to_string()),
                    ..Names::default()
                },
                region_code: (!r[5].is_empty()).then(|| r[5].to_string()),
            }
        })
        .collect()
}

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
        let dir = format!("{}/../../data/demo/terrain", env!("CARGO_MANIFEST_DIR"));
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
