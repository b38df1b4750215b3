//! `auyl plan`: run the planner on the stored registry, keep each run as a versioned scenario,
//! export it (GeoPackage/GeoJSON, XLSX, HTML) and compare two runs.

use crate::output;
use crate::radio::{DemArgs, open_dem};
use crate::registry::{Registry, load_registry};
use anyhow::{Context, Result, bail};
use auyl_io::{PlanContext, export_plan};
use auyl_model::{Id, Layer, Plan};
use auyl_plan::{PlanInputs, Progress, Scenario, SolveOptions};
use auyl_store::{PlanMeta, PlanRef};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    #[command(subcommand)]
    command: PlanCommand,
}

#[derive(clap::Subcommand, Debug)]
enum PlanCommand {
    /// Plan the stored registry under a scenario and store the result as its next version.
    Run(RunArgs),
    /// List stored plans (newest first).
    List,
    /// Totals of a stored plan.
    Show {
        /// `latest` (default), an id, a scenario name (its latest version) or `name@version`.
        #[arg(default_value = "latest")]
        plan: String,
    },
    /// Export a stored plan: .gpkg/.geojson (layers), .xlsx (by region and operator, a sheet
    /// per operator) or .html (report with a map and charts). Repeat -o for several files.
    Export {
        /// Which plan (see `show`).
        #[arg(default_value = "latest")]
        plan: String,
        /// Output files.
        #[arg(short, long = "output", required = true)]
        output: Vec<PathBuf>,
    },
    /// What differs between two stored plans: totals, and settlements whose technology, year
    /// or cost changed.
    Compare {
        /// The first plan.
        a: String,
        /// The second plan.
        b: String,
        /// Settlements listed per kind of change.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Write a scenario file to start from (every assumption with its unit and source).
    Scenario {
        /// `low`, `central` or `high` column of the cost references.
        #[arg(long, default_value = "central")]
        preset: String,
        /// Output TOML file.
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Scenario TOML file (see `auyl plan scenario`); default: the built-in preset.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Built-in preset when no file is given: low, central or high.
    #[arg(long, default_value = "central")]
    preset: String,
    /// Override the scenario's mode: min_cost or max_people.
    #[arg(long)]
    mode: Option<String>,
    /// Store under this scenario name instead of the scenario's own.
    #[arg(long)]
    name: Option<String>,
    /// Solver time limit, seconds (all regions together).
    #[arg(long, default_value_t = 50.0)]
    time_limit_s: f64,
    /// Relative optimality gap at which the solver stops.
    #[arg(long, default_value_t = 0.005)]
    gap: f64,
    /// Plan without terrain (coverage by Hata over flat earth; flagged in the plan).
    #[arg(long)]
    no_terrain: bool,
    #[command(flatten)]
    dem: DemArgs,
    /// Also export the plan to these files (.gpkg, .geojson, .xlsx, .html).
    #[arg(short, long = "output")]
    output: Vec<PathBuf>,
    /// Who runs the planner (kept with the plan).
    #[arg(long, env = "USER")]
    user: Option<String>,
}

pub async fn run(args: PlanArgs, database: &str, json: bool) -> Result<()> {
    match args.command {
        PlanCommand::Run(a) => run_plan(a, database, json).await,
        PlanCommand::List => list(database, json).await,
        PlanCommand::Show { plan } => show(database, &plan, json).await,
        PlanCommand::Export { plan, output } => export(database, &plan, &output, json).await,
        PlanCommand::Compare { a, b, limit } => compare(database, &a, &b, limit, json).await,
        PlanCommand::Scenario { preset, output } => write_scenario(&preset, &output, json),
    }
}

fn load_scenario(a: &RunArgs) -> Result<(Scenario, Option<String>)> {
    let (mut sc, text) = match &a.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the scenario {}", path.display()))?;
            let name = path.display().to_string();
            (Scenario::from_toml_str(&text, &name)?, Some(text))
        }
        None => (Scenario::preset(&a.preset)?, None),
    };
    if let Some(m) = &a.mode {
        sc.mode = match m.as_str() {
            "min_cost" | "min-cost" => auyl_plan::Mode::MinCost,
            "max_people" | "max-people" => auyl_plan::Mode::MaxPeople,
            other => bail!("--mode {other}: expected min_cost or max_people"),
        };
    }
    if let Some(n) = &a.name {
        sc.name = n.clone();
    }
    let text = match text {
        Some(t) if a.mode.is_none() && a.name.is_none() => t,
        _ => sc.to_toml_string()?,
    };
    Ok((sc, Some(text)))
}

/// Runs the planner over `reg` with a progress bar on stderr (hidden with `--json`).
pub fn plan_registry(
    reg: &Registry,
    sc: &Scenario,
    terrain: Option<&auyl_terrain::DemSet>,
    time_limit_s: f64,
    gap: f64,
    quiet: bool,
) -> Result<Plan> {
    let inputs = PlanInputs::from_registry(reg, terrain);
    let started = Instant::now();
    let clock = move || started.elapsed().as_secs_f64();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let opts = SolveOptions {
        time_limit_s,
        mip_rel_gap: gap,
        threads,
        clock: Some(&clock),
        ..SolveOptions::default()
    };
    let pb = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{spinner} {msg:<16} [{bar:30}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        )
    };
    let progress = |p: Progress| {
        pb.set_message(p.stage);
        pb.set_length(p.total as u64);
        pb.set_position(p.done as u64);
    };
    let plan = auyl_plan::plan(&inputs, sc, &opts, &progress).context("planning")?;
    pb.finish_and_clear();
    Ok(plan)
}

async fn run_plan(a: RunArgs, database: &str, json: bool) -> Result<()> {
    let (sc, text) = load_scenario(&a)?;
    let store = crate::registry::open(database).await?;
    let reg = load_registry(&store, &Layer::ALL).await?;
    if reg.settlements.is_empty() {
        bail!(
            "the registry has no settlements: import some first (`auyl import settlements FILE`) or run `auyl demo`"
        );
    }
    let dem = if a.no_terrain {
        None
    } else {
        Some(open_dem(&a.dem)?.0)
    };
    let started = Instant::now();
    let plan = tokio::task::block_in_place(|| {
        plan_registry(&reg, &sc, dem.as_ref(), a.time_limit_s, a.gap, json)
    })?;
    let elapsed_s = started.elapsed().as_secs_f64();
    let now = now_rfc3339();
    let saved = store
        .save_plan(
            &plan,
            &PlanMeta {
                created_at: &now,
                created_by: a.user.as_deref(),
                scenario_text: text.as_deref(),
            },
        )
        .await
        .context("storing the plan")?;
    let ctx = plan_context(&reg);
    for path in &a.output {
        export_plan(path, &plan, &ctx).with_context(|| format!("exporting {}", path.display()))?;
    }
    print_totals(&saved, &plan, Some(elapsed_s), &a.output, json)
}

pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "unknown".into())
}

/// Names, regions and organisations for exports.
pub fn plan_context(reg: &Registry) -> PlanContext {
    PlanContext::from_registry(reg, &now_rfc3339())
}

#[derive(Serialize)]
struct TotalsOut<'a> {
    plan: String,
    id: i64,
    scenario: &'a str,
    version: i64,
    mode: &'a str,
    settlements_served: usize,
    settlements_unserved: usize,
    people_connected: u64,
    people_unserved: u64,
    totals: &'a auyl_model::PlanTotals,
    elapsed_s: Option<f64>,
    exported: Vec<String>,
}

pub fn print_totals(
    r: &PlanRef,
    plan: &Plan,
    elapsed_s: Option<f64>,
    exported: &[PathBuf],
    json: bool,
) -> Result<()> {
    let t = &plan.totals;
    let out = TotalsOut {
        plan: r.label(),
        id: r.id,
        scenario: &r.scenario,
        version: r.version,
        mode: &plan.mode,
        settlements_served: plan.settlements.len(),
        settlements_unserved: plan.unserved.len(),
        people_connected: plan.settlements.iter().map(|s| s.people).sum(),
        people_unserved: plan.unserved.iter().map(|u| u.people).sum(),
        totals: t,
        elapsed_s,
        exported: exported.iter().map(|p| p.display().to_string()).collect(),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "plan {} (id {}), mode {}: {} settlements served, {} people; {} unserved ({} people)",
        out.plan,
        r.id,
        plan.mode,
        output::n(out.settlements_served as u64),
        output::n(out.people_connected),
        output::n(out.settlements_unserved as u64),
        output::n(out.people_unserved)
    );
    println!(
        "  capex {}   net present cost {}   per person {}",
        usd(t.capex_usd),
        usd(t.npc_usd),
        usd(if out.people_connected > 0 {
            t.capex_usd / out.people_connected as f64
        } else {
            0.0
        })
    );
    if let Some(g) = t.greedy_npc_usd {
        println!(
            "  greedy baseline (same run) {}: {:.3}× the plan",
            usd(g),
            if t.npc_usd > 0.0 { g / t.npc_usd } else { 0.0 }
        );
    }
    println!(
        "  method: {}{}{}",
        t.method,
        t.gap
            .map(|g| format!(", gap {:.2} %", g * 100.0))
            .unwrap_or_default(),
        t.solve_s
            .map(|s| format!(", solver {s:.1} s"))
            .unwrap_or_default()
    );
    println!(
        "  fibre {} km, {} new masts, {} microwave hops",
        output::n((t.fibre_m / 1000.0).round() as u64),
        t.new_masts,
        t.microwave_hops
    );
    println!("  by technology:");
    for (tech, n) in &t.settlements_by_technology {
        println!(
            "    {:<10} {:>6} settlements {:>10} people  {}",
            tech,
            output::n(*n),
            output::n(t.people_by_technology.get(tech).copied().unwrap_or(0)),
            usd(t.capex_usd_by_technology.get(tech).copied().unwrap_or(0.0))
        );
    }
    println!("  by year:");
    for (year, p) in &t.people_by_year {
        println!(
            "    {year} {:>10} people  {}",
            output::n(*p),
            usd(t.capex_usd_by_year.get(year).copied().unwrap_or(0.0))
        );
    }
    if let Some(s) = elapsed_s {
        println!("  planned in {s:.1} s");
    }
    for a in &plan.assumptions {
        println!("  assumed: {a}");
    }
    for p in exported {
        println!("  wrote {}", p.display());
    }
    Ok(())
}

pub fn usd(x: f64) -> String {
    if x.abs() >= 1e9 {
        format!("${:.2} bn", x / 1e9)
    } else if x.abs() >= 1e6 {
        format!("${:.1} M", x / 1e6)
    } else {
        format!("${}", output::n(x.max(0.0).round() as u64))
    }
}

async fn list(database: &str, json: bool) -> Result<()> {
    let store = crate::registry::open(database).await?;
    let plans = store.plans().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&plans)?);
        return Ok(());
    }
    if plans.is_empty() {
        println!("no plans stored yet: run `auyl plan run`");
    }
    for p in plans {
        let served: u64 = p.totals.settlements_by_technology.values().sum();
        println!(
            "{:>4}  {:<20} {:<10} {}  {:>6} settlements  {}  {}",
            p.id,
            p.label(),
            p.mode,
            p.created_at,
            output::n(served),
            usd(p.totals.capex_usd),
            p.totals.method
        );
    }
    Ok(())
}

async fn show(database: &str, sel: &str, json: bool) -> Result<()> {
    let store = crate::registry::open(database).await?;
    let r = store.find_plan(sel).await?;
    let plan = store.load_plan(&r).await?;
    print_totals(&r, &plan, None, &[], json)
}

async fn export(database: &str, sel: &str, outputs: &[PathBuf], json: bool) -> Result<()> {
    let store = crate::registry::open(database).await?;
    let r = store.find_plan(sel).await?;
    let plan = store.load_plan(&r).await?;
    let reg = load_registry(&store, &Layer::ALL).await?;
    let mut ctx = plan_context(&reg);
    ctx.title = format!("Plan {}", r.label());
    for path in outputs {
        export_plan(path, &plan, &ctx).with_context(|| format!("exporting {}", path.display()))?;
    }
    if json {
        println!(
            "{}",
            serde_json::json!({"plan": r.label(), "written": outputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>()})
        );
    } else {
        for p in outputs {
            println!("wrote {} (plan {})", p.display(), r.label());
        }
    }
    Ok(())
}

/// One settlement whose decision differs between two plans.
#[derive(Debug, Serialize, PartialEq)]
pub struct Change {
    settlement_id: String,
    a: Option<String>,
    b: Option<String>,
    year_a: Option<i32>,
    year_b: Option<i32>,
    capex_usd_a: f64,
    capex_usd_b: f64,
}

/// What differs between plans `a` and `b`.
#[derive(Debug, Serialize)]
pub struct Comparison {
    a: String,
    b: String,
    /// Per total: (a, b).
    totals: BTreeMap<String, (f64, f64)>,
    technology_changed: Vec<Change>,
    only_in_a: Vec<Change>,
    only_in_b: Vec<Change>,
    year_changed: Vec<Change>,
    cost_changed: usize,
}

pub fn compare_plans(a_label: &str, a: &Plan, b_label: &str, b: &Plan) -> Comparison {
    let ma: HashMap<&Id, &auyl_model::SettlementPlan> = a
        .settlements
        .iter()
        .map(|s| (&s.settlement_id, s))
        .collect();
    let mb: HashMap<&Id, &auyl_model::SettlementPlan> = b
        .settlements
        .iter()
        .map(|s| (&s.settlement_id, s))
        .collect();
    let mut c = Comparison {
        a: a_label.into(),
        b: b_label.into(),
        totals: BTreeMap::new(),
        technology_changed: vec![],
        only_in_a: vec![],
        only_in_b: vec![],
        year_changed: vec![],
        cost_changed: 0,
    };
    let (ta, tb) = (a.comparable_totals(), b.comparable_totals());
    for k in ta.keys().chain(tb.keys()) {
        c.totals.insert(
            k.clone(),
            (
                ta.get(k).copied().unwrap_or(0.0),
                tb.get(k).copied().unwrap_or(0.0),
            ),
        );
    }
    let change = |id: &Id,
                  x: Option<&&auyl_model::SettlementPlan>,
                  y: Option<&&auyl_model::SettlementPlan>| Change {
        settlement_id: id.to_string(),
        a: x.map(|s| s.technology.as_str().to_string()),
        b: y.map(|s| s.technology.as_str().to_string()),
        year_a: x.map(|s| s.year),
        year_b: y.map(|s| s.year),
        capex_usd_a: x.map_or(0.0, |s| s.capex_usd),
        capex_usd_b: y.map_or(0.0, |s| s.capex_usd),
    };
    let mut ids: Vec<&Id> = ma.keys().chain(mb.keys()).copied().collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let (x, y) = (ma.get(id), mb.get(id));
        match (x, y) {
            (Some(_), None) => c.only_in_a.push(change(id, x, y)),
            (None, Some(_)) => c.only_in_b.push(change(id, x, y)),
            (Some(p), Some(q)) => {
                if p.technology != q.technology {
                    c.technology_changed.push(change(id, x, y));
                } else if p.year != q.year {
                    c.year_changed.push(change(id, x, y));
                }
                if (p.capex_usd - q.capex_usd).abs() > 0.5 {
                    c.cost_changed += 1;
                }
            }
            (None, None) => {}
        }
    }
    c
}

async fn compare(database: &str, a: &str, b: &str, limit: usize, json: bool) -> Result<()> {
    let store = crate::registry::open(database).await?;
    let ra = store.find_plan(a).await?;
    let rb = store.find_plan(b).await?;
    let pa = store.load_plan(&ra).await?;
    let pb = store.load_plan(&rb).await?;
    let c = compare_plans(&ra.label(), &pa, &rb.label(), &pb);
    if json {
        println!("{}", serde_json::to_string_pretty(&c)?);
        return Ok(());
    }
    println!("{:<28} {:>16} {:>16} {:>12}", "", c.a, c.b, "difference");
    for (k, (x, y)) in &c.totals {
        if (x - y).abs() > 1e-9 || !k.starts_with("settlements_") {
            println!("{k:<28} {x:>16.0} {y:>16.0} {:>+12.0}", y - x);
        }
    }
    let list = |title: &str, v: &[Change]| {
        if v.is_empty() {
            return;
        }
        println!("\n{title}: {}", output::n(v.len() as u64));
        for ch in v.iter().take(limit) {
            println!(
                "  {:<20} {:>10} → {:<10} year {} → {}  cost {} → {}",
                ch.settlement_id,
                ch.a.as_deref().unwrap_or("—"),
                ch.b.as_deref().unwrap_or("—"),
                ch.year_a.map_or("—".into(), |y| y.to_string()),
                ch.year_b.map_or("—".into(), |y| y.to_string()),
                usd(ch.capex_usd_a),
                usd(ch.capex_usd_b)
            );
        }
        if v.len() > limit {
            println!(
                "  … and {} more (--limit, or --json for all)",
                v.len() - limit
            );
        }
    };
    list("technology changed", &c.technology_changed);
    list("served only in the first", &c.only_in_a);
    list("served only in the second", &c.only_in_b);
    list("same technology, another year", &c.year_changed);
    println!(
        "\n{} settlements keep their technology at another cost",
        output::n(c.cost_changed as u64)
    );
    Ok(())
}

fn write_scenario(preset: &str, output: &Path, json: bool) -> Result<()> {
    let sc = Scenario::preset(preset)?;
    let text = sc.to_toml_string()?;
    let tmp = output.with_extension("toml.partial");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, output).with_context(|| format!("writing {}", output.display()))?;
    if json {
        println!(
            "{}",
            serde_json::json!({"written": output.display().to_string(), "preset": preset})
        );
    } else {
        println!(
            "wrote {} (preset {preset}); data/scenarios/central.toml documents every key",
            output.display()
        );
    }
    Ok(())
}
