//! Times KPI recomputation in memory: generates the works of a plan JSON file, simulates a year of
//! progress (seeded), then times `compute_kpis`, `outlooks` (2,000 Monte Carlo runs per region)
//! and `burn_up` over all of them. Used by `bench/tracking/run.sh`.
//!
//! Usage: `cargo run --release -p auyl-track --example kpis -- plan.json`

use auyl_track::{
    Durations, ForecastParams, SimParams, burn_up, compute_kpis, generate, outlooks, simulate,
};
use std::time::Instant;
use time::{Date, Month};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: kpis PLAN.json")?;
    let plan: auyl_model::Plan = serde_json::from_slice(&std::fs::read(path)?)?;
    let g = generate(&plan, &Durations::default(), &|_| None)?;
    let start = Date::from_calendar_date(2026, Month::March, 2)?;
    let t = Instant::now();
    let sim = simulate(&g.works, &SimParams::year_from(start, 1))?;
    let sim_s = t.elapsed().as_secs_f64();
    let as_of = Date::from_calendar_date(2026, Month::November, 30)?;
    let t = Instant::now();
    let k = compute_kpis(&g.settlements, &sim.works, as_of);
    let kpi_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let o = outlooks(
        &g.settlements,
        &sim.works,
        as_of,
        &ForecastParams::default(),
    );
    let forecast_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let b = burn_up(&g.settlements, &sim.works, start, as_of);
    let burn_s = t.elapsed().as_secs_f64();
    println!(
        "{} settlements, {} works, {} simulated edits ({sim_s:.2} s): KPIs {kpi_s:.3} s, forecasts ({} regions) {forecast_s:.3} s, burn-up ({} weeks) {burn_s:.3} s; total {:.3} s",
        g.settlements.len(),
        sim.works.len(),
        sim.edits.len(),
        o.len(),
        b.len(),
        kpi_s + forecast_s + burn_s
    );
    println!(
        "connected {} of {} due, {} overdue works, {} organisations with blocked works",
        k.total.settlements_connected,
        k.total.settlements_due,
        k.overdue.len(),
        k.waiting.len()
    );
    Ok(())
}
