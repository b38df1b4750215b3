//! `auyl resilience`: single points of failure, failure scenarios and redundancy proposals for the
//! registry's network and a plan (issue 9).
//!
//! The registry (backbone nodes, masts, fibre routes, power, settlements; roads and areas when a
//! command needs them) comes from the store; the plan from `--plan` (a stored plan such as `latest`
//! or `central@2`, or a JSON file of `auyl_model::Plan`). Without a plan the existing
//! infrastructure is analysed alone, with settlements attached to their nearest backbone node
//! within `--attach-km` (an assumption every output states).

use crate::registry::open;
use anyhow::{Context, Result, anyhow, bail};
use auyl_model::{AreaLevel, Layer, LonLat, Plan, RiskSummary};
use auyl_network::road::RoadGraph;
use auyl_resilience::redundancy::{RedundancyOptions, propose, road_graph};
use auyl_resilience::scenario::{
    Area, MonteCarloOptions, RepairTimes, ScenarioResult, bbox_area, circle_area, hazard,
    monte_carlo, power_outage,
};
use auyl_resilience::{Analysis, ModelOptions, NetworkModel};
use auyl_store::Store;
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;

/// Arguments of `auyl resilience`.
#[derive(clap::Args, Debug)]
pub struct ResilienceArgs {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Every element's single-failure impact (settlements and people cut off), ranked.
    Spof {
        #[command(flatten)]
        net: NetArgs,
        /// Rows to print (all with `--json`).
        #[arg(long, default_value_t = 20)]
        top: usize,
    },
    /// Several failures: a power cut, a flood or fire area, or k random failures.
    Scenario {
        #[command(subcommand)]
        kind: ScenarioKind,
    },
    /// The cheapest ring closures, backup hops and batteries protecting every settlement above
    /// a population against any single failure, with a cost versus people-protected curve.
    Redundancy {
        #[command(flatten)]
        net: NetArgs,
        /// Settlements with at least this many people must survive any single failure.
        #[arg(long, default_value_t = 1000)]
        min_people: u64,
        /// Power cuts up to this long must not cut them off (hours of battery).
        #[arg(long, default_value_t = 8.0)]
        design_outage_h: f64,
        /// Fibre cost per km, US dollars.
        #[arg(long, default_value_t = 12_000.0)]
        fibre_usd_per_km: f64,
        /// A backup microwave hop, US dollars.
        #[arg(long, default_value_t = 60_000.0)]
        hop_usd: f64,
        /// DEM folder(s) for the Fresnel check of backup hops (without one, hops are unchecked).
        #[arg(long)]
        dem: Vec<PathBuf>,
        /// Do not follow the registry's roads (straight lines × detour).
        #[arg(long)]
        no_roads: bool,
    },
}

#[derive(clap::Subcommand, Debug)]
enum ScenarioKind {
    /// The grid is down over a region or district for some hours; batteries bridge what they can.
    Power {
        #[command(flatten)]
        net: NetArgs,
        #[command(flatten)]
        area: AreaArgs,
        /// Length of the power cut, hours.
        #[arg(long)]
        hours: f64,
    },
    /// A flood or fire: every element in the area is down until repaired.
    Hazard {
        #[command(flatten)]
        net: NetArgs,
        #[command(flatten)]
        area: AreaArgs,
        /// Hours until the damaged elements are repaired.
        #[arg(long, default_value_t = 24.0)]
        repair_hours: f64,
    },
    /// k random elements fail together, many times (Monte Carlo, seeded).
    Random {
        #[command(flatten)]
        net: NetArgs,
        /// Elements failing together.
        #[arg(long, default_value_t = 2)]
        k: usize,
        /// Trials.
        #[arg(long, default_value_t = 1000)]
        trials: usize,
        /// Seed (same seed, same answer).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Where the network comes from.
#[derive(clap::Args, Debug)]
struct NetArgs {
    /// A stored plan (`latest`, an id, `central`, `central@2`) or a plan JSON file
    /// (`auyl_model::Plan`); without it the existing infrastructure alone.
    #[arg(long)]
    plan: Option<String>,
    /// Attach settlements outside the plan to the nearest backbone node within this many km
    /// (default: 30 without a plan, none with one).
    #[arg(long)]
    attach_km: Option<f64>,
    /// Battery of nodes whose battery is not known, hours.
    #[arg(long, default_value_t = 4.0)]
    default_battery_h: f64,
}

/// The area of a scenario: a region or district of the registry, a box or a circle.
#[derive(clap::Args, Debug)]
struct AreaArgs {
    /// Region or district code (KATO) of the registry.
    #[arg(long)]
    area: Option<String>,
    /// Box `west,south,east,north` in degrees.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    bbox: Option<Vec<f64>>,
    /// Circle `lon,lat,radius_km`.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    circle: Option<Vec<f64>>,
    /// A GeoJSON file with the area's polygon(s) (a flood or fire outline).
    #[arg(long)]
    polygon: Option<PathBuf>,
}

/// Runs the command.
pub async fn run(args: ResilienceArgs, database: &str, json: bool) -> Result<()> {
    let store = open(database).await?;
    let result = match args.command {
        Sub::Spof { net, top } => spof(&store, &net, top, json).await,
        Sub::Scenario { kind } => scenario(&store, kind, json).await,
        Sub::Redundancy {
            net,
            min_people,
            design_outage_h,
            fibre_usd_per_km,
            hop_usd,
            dem,
            no_roads,
        } => {
            let opts = RedundancyOptions {
                min_people,
                design_outage_h,
                fibre_usd_per_km,
                microwave_hop_usd: hop_usd,
                ..Default::default()
            };
            redundancy(&store, &net, opts, &dem, no_roads, json).await
        }
    };
    store.close().await;
    result
}

async fn network(store: &Store, net: &NetArgs) -> Result<NetworkModel> {
    let plan: Option<Plan> = match &net.plan {
        Some(p) if std::path::Path::new(p).is_file() => {
            let text =
                std::fs::read_to_string(p).with_context(|| format!("reading the plan {p}"))?;
            Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("{p} is not a plan (auyl_model::Plan JSON)"))?,
            )
        }
        Some(sel) => {
            let r = store.find_plan(sel).await?;
            Some(
                store
                    .load_plan(&r)
                    .await
                    .with_context(|| format!("loading plan {}", r.label()))?,
            )
        }
        None => None,
    };
    let layers = crate::registry::load_registry(store, &auyl_resilience::LAYERS).await?;
    Ok(auyl_resilience::network(
        plan.as_ref(),
        &layers,
        net.attach_km.map(|k| k * 1000.0),
        net.default_battery_h,
    )?)
}

/// Single points of failure listed in the weekly report.
const REPORT_WORST: usize = 20;

/// The resilience section of the weekly report: the latest stored plan's single points of
/// failure and people at risk by region (`None` when no plan is stored).
pub(crate) async fn latest_risk_summary(store: &Store) -> Result<Option<RiskSummary>> {
    let Some(r) = store.plans().await?.into_iter().next() else {
        return Ok(None);
    };
    let plan = store
        .load_plan(&r)
        .await
        .with_context(|| format!("loading plan {}", r.label()))?;
    let layers = crate::registry::load_registry(store, &auyl_resilience::LAYERS).await?;
    let region: HashMap<&str, &str> = layers
        .settlements
        .iter()
        .filter_map(|s| Some((s.id.as_str(), s.region_code.as_deref()?)))
        .collect();
    let summary = tokio::task::block_in_place(|| -> Result<RiskSummary> {
        let m = auyl_resilience::network(
            Some(&plan),
            &layers,
            None,
            ModelOptions::default().default_battery_h,
        )?;
        Ok(Analysis::new(m).risk_summary(
            &r.label(),
            &|id| region.get(id).map(|c| c.to_string()),
            REPORT_WORST,
        ))
    })
    .with_context(|| format!("resilience of plan {}", r.label()))?;
    Ok(Some(summary))
}

fn network_json(m: &NetworkModel) -> serde_json::Value {
    let by_kind: serde_json::Map<String, serde_json::Value> = m
        .kind_counts()
        .into_iter()
        .map(|(k, n)| (k.as_str().to_string(), json!(n)))
        .collect();
    json!({"elements": m.len(), "by_kind": by_kind, "people": m.total_people(), "assumptions": m.assumptions})
}

fn print_assumptions(m: &NetworkModel) {
    for a in &m.assumptions {
        println!("  assumed: {a}");
    }
}

async fn spof(store: &Store, net: &NetArgs, top: usize, json: bool) -> Result<()> {
    let m = network(store, net).await?;
    let a = tokio::task::block_in_place(|| Analysis::new(m));
    let (m, r) = (a.model(), a.report());
    // A settlement's own access node, cutting off only itself, is not a single point of failure
    // (as the server and the weekly report count them).
    let points: Vec<&auyl_resilience::Impact> = a.single_points().collect();
    let at_risk = m
        .settlement_nodes()
        .into_iter()
        .filter_map(|s| a.settlement_risk(s).map(|k| (s, k)))
        .filter(|(_, k)| k.at_risk);
    let (mut risk_s, mut risk_p) = (0u64, 0u64);
    for (s, _) in at_risk {
        risk_s += 1;
        risk_p += m.elements()[s].people();
    }
    if json {
        let out = json!({"network": network_json(m), "spof": r, "single_points": points.len(),
            "settlements_at_risk": risk_s, "people_at_risk": risk_p});
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "network: {} elements, {} settlements, {} people ({} settlements not reached even intact)",
        m.len(),
        r.total_settlements,
        crate::output::n(r.total_people),
        r.unreachable_settlements
    );
    print_assumptions(m);
    println!(
        "{} people in {risk_s} settlements can be cut off by one failure other than of their own access node",
        crate::output::n(risk_p)
    );
    println!(
        "\n{} single points of failure; the worst {}:",
        points.len(),
        top.min(points.len())
    );
    println!(
        "{:<40} {:<16} {:>12} {:>12}",
        "element", "kind", "settlements", "people"
    );
    for i in points.iter().take(top) {
        println!(
            "{:<40} {:<16} {:>12} {:>12}{}",
            i.id,
            i.kind.as_str(),
            i.settlements,
            crate::output::n(i.people),
            i.min_battery_h
                .filter(|h| h.is_finite())
                .map_or(String::new(), |h| format!("  (after {h} h of battery)"))
        );
    }
    Ok(())
}

async fn area(store: &Store, a: &AreaArgs) -> Result<(Area, String)> {
    if let Some(code) = &a.area {
        let Some(area) = store.area(code).await? else {
            bail!("no region or district with code {code} in the registry");
        };
        let level = if area.level == AreaLevel::Region {
            "region"
        } else {
            "district"
        };
        let name = area.names.display("en").unwrap_or(code).to_string();
        return Ok((area.boundary, format!("{level} {code} ({name})")));
    }
    if let Some(b) = &a.bbox {
        if b.len() != 4 {
            bail!("--bbox takes four numbers: west,south,east,north (degrees)");
        }
        let poly = bbox_area(b[0], b[1], b[2], b[3])
            .ok_or_else(|| anyhow!("--bbox needs west < east and south < north"))?;
        return Ok((poly, format!("box {},{},{},{}", b[0], b[1], b[2], b[3])));
    }
    if let Some(c) = &a.circle {
        if c.len() != 3 {
            bail!("--circle takes three numbers: lon,lat,radius_km");
        }
        let centre = LonLat::new(c[0], c[1]).context("--circle centre")?;
        let poly = circle_area(centre, c[2] * 1000.0)
            .ok_or_else(|| anyhow!("--circle radius must be positive"))?;
        return Ok((poly, format!("{} km around {},{}", c[2], c[0], c[1])));
    }
    if let Some(p) = &a.polygon {
        let poly = auyl_io::read_area_file(p)?;
        return Ok((poly, format!("the area of {}", p.display())));
    }
    Err(anyhow!(
        "give the area: --area CODE, --bbox W,S,E,N, --circle LON,LAT,KM or --polygon FILE.geojson"
    ))
}

fn print_scenario(title: &str, r: &ScenarioResult) {
    println!("{title}");
    println!(
        "  {} elements down; {} settlements, {} people cut off (peak {} at once), {:.0} people-hours, longest {:.1} h",
        r.elements_down,
        r.settlements_cut_off,
        crate::output::n(r.people_cut_off),
        crate::output::n(r.peak_people),
        r.people_hours,
        r.longest_h
    );
    for s in r.settlements.iter().take(15) {
        println!(
            "  {:<30} {:>10} people  cut off {:.1} h (from {:.1} h to {:.1} h)",
            s.settlement_id,
            crate::output::n(s.people),
            s.hours,
            s.from_h,
            s.until_h
        );
    }
}

async fn scenario(store: &Store, kind: ScenarioKind, json: bool) -> Result<()> {
    match kind {
        ScenarioKind::Power {
            net,
            area: a,
            hours,
        } => {
            let m = network(store, &net).await?;
            let (poly, name) = area(store, &a).await?;
            let r = power_outage(&m, &poly, hours)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"scenario": "power", "area": name, "hours": hours, "network": network_json(&m), "result": r})
                    )?
                );
            } else {
                print_assumptions(&m);
                print_scenario(&format!("power cut of {hours} h over {name}"), &r);
            }
        }
        ScenarioKind::Hazard {
            net,
            area: a,
            repair_hours,
        } => {
            let m = network(store, &net).await?;
            let (poly, name) = area(store, &a).await?;
            let r = hazard(&m, &poly, repair_hours)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"scenario": "hazard", "area": name, "repair_hours": repair_hours, "network": network_json(&m), "result": r})
                    )?
                );
            } else {
                print_assumptions(&m);
                print_scenario(
                    &format!("flood or fire over {name}, repaired after {repair_hours} h"),
                    &r,
                );
            }
        }
        ScenarioKind::Random {
            net,
            k,
            trials,
            seed,
        } => {
            let m = network(store, &net).await?;
            let r = monte_carlo(
                &m,
                &MonteCarloOptions {
                    k,
                    trials,
                    seed,
                    kinds: Vec::new(),
                    repair: RepairTimes::default(),
                },
            )?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"scenario": "random", "network": network_json(&m), "result": r})
                    )?
                );
            } else {
                print_assumptions(&m);
                println!(
                    "{k} random failures, {trials} trials (seed {seed}) among {} elements:",
                    r.candidates
                );
                println!(
                    "  people cut off: mean {:.0} (95 % CI {:.0}–{:.0}), median {}, 95th percentile {}, max {}",
                    r.people.mean,
                    r.people.ci95_low,
                    r.people.ci95_high,
                    r.people_p50,
                    r.people_p95,
                    r.people_max
                );
                println!(
                    "  people-hours until repair: mean {:.0} (95 % CI {:.0}–{:.0}); {:.1} % of trials cut someone off",
                    r.people_hours.mean,
                    r.people_hours.ci95_low,
                    r.people_hours.ci95_high,
                    100.0 * r.share_with_loss
                );
            }
        }
    }
    Ok(())
}

async fn roads(store: &Store) -> Result<Option<RoadGraph>> {
    let layers = crate::registry::load_registry(store, &[Layer::Roads]).await?;
    Ok(road_graph(&layers.roads)?)
}

async fn redundancy(
    store: &Store,
    net: &NetArgs,
    opts: RedundancyOptions,
    dem: &[PathBuf],
    no_roads: bool,
    json: bool,
) -> Result<()> {
    let m = network(store, net).await?;
    let g = if no_roads { None } else { roads(store).await? };
    let dem = if dem.is_empty() {
        None
    } else {
        Some(
            auyl_terrain::DemSet::open_folders(dem, 512 << 20)
                .context("opening the DEM folders")?,
        )
    };
    let plan = propose(&m, g.as_ref(), dem.as_ref(), &opts)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"network": network_json(&m), "roads": g.is_some(), "dem": dem.is_some(), "options": opts, "redundancy": plan})
            )?
        );
        return Ok(());
    }
    print_assumptions(&m);
    println!(
        "targets: {} settlements with ≥ {} people ({} people); protected before: {} ({} people)",
        plan.targets,
        opts.min_people,
        crate::output::n(plan.target_people),
        plan.protected_before,
        crate::output::n(plan.people_protected_before)
    );
    println!(
        "proposal: {} additions, {:.0} USD (lower bound {:.0} USD, gap {:.1} %); protected after: {} ({} people)",
        plan.additions.len(),
        plan.cost_usd,
        plan.lower_bound_usd,
        100.0 * plan.gap,
        plan.protected_after,
        crate::output::n(plan.people_protected_after)
    );
    println!("\ncost (USD)    people protected");
    let step = (plan.curve.len() / 15).max(1);
    for (k, c) in plan.curve.iter().enumerate() {
        if k % step == 0 || k + 1 == plan.curve.len() {
            println!(
                "{:>12.0}  {:>12}",
                c.cost_usd,
                crate::output::n(c.people_protected)
            );
        }
    }
    if !plan.unprotected.is_empty() {
        println!(
            "\n{} targets left unprotected (no candidate fixes them), e.g.:",
            plan.unprotected.len()
        );
        for u in plan.unprotected.iter().take(10) {
            println!(
                "  {} ({} people): still cut off by {}",
                u.settlement_id,
                crate::output::n(u.people),
                u.still_cut_by.as_deref().unwrap_or("its power supply")
            );
        }
    }
    println!("\nmethod: {}", plan.method);
    Ok(())
}
