//! Failure scenarios: several elements down over time windows; who is cut off, and for how long.
//!
//! A scenario is a list of [`Outage`]s (element, from hour, until hour). A power supply's outage
//! takes each node it feeds down from `from_h + battery_h` until the supply returns (nothing when
//! the battery outlasts it). Between consecutive start and end times the set of failed elements is
//! constant, so one search from the working core nodes per interval gives the exact timeline.
//!
//! Builders for the usual emergencies: [`power_outage`] (a region's grid is down for some hours:
//! grid-fed nodes in the area and supplies in the area), [`hazard`] (a flood or fire polygon: every
//! element whose geometry meets it is down until repaired), [`monte_carlo`] (k random failures,
//! seeded, with a confidence interval of the people cut off).

use crate::error::{ResilienceError, Result};
use crate::model::{ElementKind, NetworkModel, Role, reach};
use geo::{Contains, Intersects};
use geo_types::{Geometry, MultiPolygon};
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// One element down over a time window (hours from the start of the scenario).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Outage {
    /// The element (index in the model).
    pub element: usize,
    /// When it goes down, hours.
    pub from_h: f64,
    /// When it is back, hours (`f64::INFINITY`: not within the scenario).
    pub until_h: f64,
}

/// One settlement cut off in a scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettlementLoss {
    /// Access node (element index).
    pub element: usize,
    /// Settlement id.
    pub settlement_id: String,
    /// Its people.
    pub people: u64,
    /// First hour it is cut off.
    pub from_h: f64,
    /// Last hour it is cut off (when service returns).
    pub until_h: f64,
    /// Hours cut off in total.
    pub hours: f64,
}

/// One interval of a scenario's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Start, hours.
    pub from_h: f64,
    /// End, hours.
    pub until_h: f64,
    /// Elements down.
    pub elements_down: u64,
    /// Settlements cut off.
    pub settlements: u64,
    /// People cut off.
    pub people: u64,
}

/// What a scenario does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Elements that go down at some point (after power propagation).
    pub elements_down: u64,
    /// Settlements cut off at some point.
    pub settlements_cut_off: u64,
    /// People in them.
    pub people_cut_off: u64,
    /// Most people cut off at the same time.
    pub peak_people: u64,
    /// Sum over settlements of people × hours cut off.
    pub people_hours: f64,
    /// The longest any settlement is cut off, hours.
    pub longest_h: f64,
    /// Settlements cut off, most people-hours first.
    pub settlements: Vec<SettlementLoss>,
    /// The timeline (intervals with anything down).
    pub timeline: Vec<Step>,
}

fn check_outage(model: &NetworkModel, o: &Outage) -> Result<()> {
    model.element(o.element)?;
    if !(o.from_h.is_finite() && o.from_h >= 0.0) || o.until_h.is_nan() || o.until_h < o.from_h {
        return Err(ResilienceError::BadParameter {
            name: "outage",
            message: format!(
                "element {}: window {}..{} h is not a finite start before its end",
                o.element, o.from_h, o.until_h
            ),
        });
    }
    Ok(())
}

/// Expands supplies into the nodes they feed (after their batteries) and drops empty windows.
fn expand(model: &NetworkModel, outages: &[Outage]) -> Result<Vec<Outage>> {
    let mut out = Vec::new();
    let els = model.elements();
    let mut fed: Vec<Vec<usize>> = vec![Vec::new(); els.len()];
    for (i, e) in els.iter().enumerate() {
        if let Some(p) = e.power {
            fed[p].push(i);
        }
    }
    for o in outages {
        check_outage(model, o)?;
        if els[o.element].kind.role() == Role::Power {
            for &v in &fed[o.element] {
                let from_h = o.from_h + els[v].battery_h;
                if from_h < o.until_h {
                    out.push(Outage {
                        element: v,
                        from_h,
                        until_h: o.until_h,
                    });
                }
            }
        } else if o.until_h > o.from_h {
            out.push(*o);
        }
    }
    Ok(out)
}

/// Runs a scenario (see the module docs).
pub fn evaluate(model: &NetworkModel, outages: &[Outage]) -> Result<ScenarioResult> {
    evaluate_where(model, outages, &|_| true)
}

/// [`evaluate`], counting only the settlements (access node indices) `keep` accepts: every
/// figure (totals, timeline, settlements) is about them.
pub fn evaluate_where(
    model: &NetworkModel,
    outages: &[Outage],
    keep: &dyn Fn(usize) -> bool,
) -> Result<ScenarioResult> {
    let outs = expand(model, outages)?;
    let adj = model.adjacency();
    let n = model.len();
    let mut times: Vec<f64> = outs.iter().flat_map(|o| [o.from_h, o.until_h]).collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    let mut seen = vec![false; n];
    let mut queue = Vec::new();
    let mut failed = vec![false; n];
    reach(&adj, &failed, &mut seen, &mut queue);
    let base = seen.clone();
    let demand: Vec<usize> = (0..n)
        .filter(|&v| base[v] && model.elements()[v].demand.is_some() && keep(v))
        .collect();
    // Per settlement: (from, until, hours).
    let mut loss: Vec<Option<(f64, f64, f64)>> = vec![None; n];
    let mut ever_down = vec![false; n];
    let mut timeline = Vec::new();
    for w in times.windows(2) {
        let (t0, t1) = (w[0], w[1]);
        failed.fill(false);
        let mut down = 0u64;
        for o in &outs {
            if o.from_h <= t0 && o.until_h >= t1 && !failed[o.element] {
                failed[o.element] = true;
                ever_down[o.element] = true;
                down += 1;
            }
        }
        if down == 0 {
            continue;
        }
        reach(&adj, &failed, &mut seen, &mut queue);
        let (mut s, mut p) = (0u64, 0u64);
        for &v in &demand {
            if !seen[v] {
                s += 1;
                p += model.elements()[v].people();
                let dt = t1 - t0;
                let slot = loss[v].get_or_insert((t0, t1, 0.0));
                slot.1 = t1;
                slot.2 += dt;
            }
        }
        timeline.push(Step {
            from_h: t0,
            until_h: t1,
            elements_down: down,
            settlements: s,
            people: p,
        });
    }
    let mut settlements: Vec<SettlementLoss> = demand
        .iter()
        .filter_map(|&v| {
            loss[v].map(|(from_h, until_h, hours)| {
                let e = &model.elements()[v];
                SettlementLoss {
                    element: v,
                    settlement_id: e.id.clone(),
                    people: e.people(),
                    from_h,
                    until_h,
                    hours,
                }
            })
        })
        .collect();
    let ph = |s: &SettlementLoss| s.people as f64 * s.hours;
    settlements.sort_by(|a, b| {
        ph(b)
            .total_cmp(&ph(a))
            .then(b.people.cmp(&a.people))
            .then(a.settlement_id.cmp(&b.settlement_id))
    });
    Ok(ScenarioResult {
        elements_down: ever_down.iter().filter(|&&d| d).count() as u64,
        settlements_cut_off: settlements.len() as u64,
        people_cut_off: settlements.iter().map(|s| s.people).sum(),
        peak_people: timeline.iter().map(|s| s.people).max().unwrap_or(0),
        people_hours: settlements.iter().map(ph).sum(),
        longest_h: settlements.iter().map(|s| s.hours).fold(0.0, f64::max),
        settlements,
        timeline,
    })
}

/// A power cut over `area` lasting `duration_h`: every grid supply located in the area fails
/// (taking its nodes down when their batteries run out, wherever they are), and so does the
/// supply of every node located in the area that is not on its own solar panels (nodes without a
/// known supply included: they go down after their battery).
pub fn power_outage(
    model: &NetworkModel,
    area: &MultiPolygon<f64>,
    duration_h: f64,
) -> Result<ScenarioResult> {
    evaluate(model, &power_outages(model, area, duration_h)?)
}

/// The outages of [`power_outage`], for combining with others.
pub fn power_outages(
    model: &NetworkModel,
    area: &MultiPolygon<f64>,
    duration_h: f64,
) -> Result<Vec<Outage>> {
    check_hours("duration_h", duration_h)?;
    let els = model.elements();
    let mut out = Vec::new();
    for (i, e) in els.iter().enumerate() {
        let inside = matches!(&e.geometry, Geometry::Point(p) if area.contains(p));
        if !inside {
            continue;
        }
        match e.kind {
            ElementKind::PowerGrid => out.push(Outage {
                element: i,
                from_h: 0.0,
                until_h: duration_h,
            }),
            _ if e.kind.role() == Role::Node => {
                let solar = e
                    .power
                    .is_some_and(|p| els[p].kind == ElementKind::PowerSolar);
                let passive = matches!(e.kind, ElementKind::Junction | ElementKind::SatelliteHub);
                if !solar && !passive && e.battery_h < duration_h {
                    out.push(Outage {
                        element: i,
                        from_h: e.battery_h,
                        until_h: duration_h,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

fn check_hours(name: &'static str, h: f64) -> Result<()> {
    if h.is_nan() || h < 0.0 {
        return Err(ResilienceError::BadParameter {
            name,
            message: format!("{h} is not a non-negative number of hours"),
        });
    }
    Ok(())
}

/// A flood or fire over `area`: every element whose geometry meets it (nodes and supplies inside,
/// links crossing it) is down from hour 0 until `repair_h`.
pub fn hazard(
    model: &NetworkModel,
    area: &MultiPolygon<f64>,
    repair_h: f64,
) -> Result<ScenarioResult> {
    evaluate(model, &hazard_outages(model, area, repair_h)?)
}

/// The outages of [`hazard`], for combining with others.
pub fn hazard_outages(
    model: &NetworkModel,
    area: &MultiPolygon<f64>,
    repair_h: f64,
) -> Result<Vec<Outage>> {
    check_hours("repair_h", repair_h)?;
    Ok(model
        .elements()
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            !matches!(
                e.kind,
                ElementKind::SatelliteHub | ElementKind::SatelliteLink
            )
        })
        .filter(|(_, e)| e.geometry.intersects(area))
        .map(|(i, _)| Outage {
            element: i,
            from_h: 0.0,
            until_h: repair_h,
        })
        .collect())
}

/// Hours to repair an element of each kind (mean time to repair), for Monte Carlo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairTimes {
    /// Nodes (core, PoP, junction, mast, relay, access node), hours.
    pub node_h: f64,
    /// Fibre segments (a cut cable: locate, dig, splice), hours.
    pub fibre_h: f64,
    /// Microwave, access and satellite links, hours.
    pub radio_h: f64,
    /// Power supplies, hours.
    pub power_h: f64,
}

impl Default for RepairTimes {
    fn default() -> Self {
        RepairTimes {
            node_h: 8.0,
            fibre_h: 12.0,
            radio_h: 6.0,
            power_h: 6.0,
        }
    }
}

impl RepairTimes {
    /// Hours to repair an element of `kind`.
    pub fn for_kind(&self, kind: ElementKind) -> f64 {
        match kind.role() {
            Role::Power => self.power_h,
            Role::Node => self.node_h,
            Role::Link if kind == ElementKind::FibreSegment => self.fibre_h,
            Role::Link => self.radio_h,
        }
    }
}

/// Options of [`monte_carlo`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonteCarloOptions {
    /// Elements failing together in each trial.
    pub k: usize,
    /// Trials.
    pub trials: usize,
    /// Seed of the ChaCha8 generator (same seed, same result).
    pub seed: u64,
    /// Kinds that may fail (empty: every kind but core nodes and the satellite hub).
    pub kinds: Vec<ElementKind>,
    /// Repair times.
    pub repair: RepairTimes,
}

/// A mean with its 95 % confidence interval (normal approximation, `mean ± 1.96·s/√n`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Sample mean.
    pub mean: f64,
    /// Lower end of the 95 % interval.
    pub ci95_low: f64,
    /// Upper end of the 95 % interval.
    pub ci95_high: f64,
    /// Sample standard deviation.
    pub std_dev: f64,
}

impl Estimate {
    fn of(xs: &[f64]) -> Estimate {
        let n = xs.len() as f64;
        if xs.is_empty() {
            return Estimate {
                mean: 0.0,
                ci95_low: 0.0,
                ci95_high: 0.0,
                std_dev: 0.0,
            };
        }
        let mean = xs.iter().sum::<f64>() / n;
        let var = if xs.len() > 1 {
            xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        let sd = var.sqrt();
        let half = 1.96 * sd / n.sqrt();
        Estimate {
            mean,
            ci95_low: mean - half,
            ci95_high: mean + half,
            std_dev: sd,
        }
    }
}

/// What k random failures do, over many trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonteCarloResult {
    /// Elements failing together.
    pub k: usize,
    /// Trials run.
    pub trials: usize,
    /// Seed used.
    pub seed: u64,
    /// Elements that could be drawn.
    pub candidates: usize,
    /// Peak people cut off at the same time (a drawn supply takes its nodes down only when
    /// their batteries run out within its repair time).
    pub people: Estimate,
    /// Peak settlements cut off at the same time.
    pub settlements: Estimate,
    /// People × hours cut off until repair.
    pub people_hours: Estimate,
    /// Median of the peak people cut off.
    pub people_p50: u64,
    /// 95th percentile of people cut off.
    pub people_p95: u64,
    /// Most people cut off in any trial.
    pub people_max: u64,
    /// Share of trials cutting anybody off.
    pub share_with_loss: f64,
}

/// `k` distinct random elements fail at hour 0, each repaired after its kind's repair time;
/// `trials` times, from `seed` (see the module docs).
pub fn monte_carlo(model: &NetworkModel, opts: &MonteCarloOptions) -> Result<MonteCarloResult> {
    monte_carlo_where(model, opts, &|_| true)
}

/// [`monte_carlo`], counting only the settlements (access node indices) `keep` accepts; the
/// failures are drawn from the whole network as before, so the same seed draws the same ones.
pub fn monte_carlo_where(
    model: &NetworkModel,
    opts: &MonteCarloOptions,
    keep: &dyn Fn(usize) -> bool,
) -> Result<MonteCarloResult> {
    let cand: Vec<usize> = model
        .elements()
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            if opts.kinds.is_empty() {
                !e.core && e.kind != ElementKind::SatelliteHub
            } else {
                opts.kinds.contains(&e.kind)
            }
        })
        .map(|(i, _)| i)
        .collect();
    if opts.k == 0 || opts.k > cand.len() || opts.trials == 0 {
        return Err(ResilienceError::BadParameter {
            name: "k",
            message: format!(
                "need 1 ≤ k ≤ {} candidate elements and at least one trial (k = {}, trials = {})",
                cand.len(),
                opts.k,
                opts.trials
            ),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let (mut people, mut settl, mut ph) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..opts.trials {
        let outs: Vec<Outage> = sample(&mut rng, cand.len(), opts.k)
            .into_iter()
            .map(|i| {
                let e = cand[i];
                Outage {
                    element: e,
                    from_h: 0.0,
                    until_h: opts.repair.for_kind(model.elements()[e].kind),
                }
            })
            .collect();
        let r = evaluate_where(model, &outs, keep)?;
        people.push(r.peak_people as f64);
        settl.push(r.timeline.iter().map(|s| s.settlements).max().unwrap_or(0) as f64);
        ph.push(r.people_hours);
    }
    let mut sorted = people.clone();
    sorted.sort_by(f64::total_cmp);
    let q = |f: f64| sorted[((sorted.len() - 1) as f64 * f).round() as usize] as u64;
    Ok(MonteCarloResult {
        k: opts.k,
        trials: opts.trials,
        seed: opts.seed,
        candidates: cand.len(),
        people: Estimate::of(&people),
        settlements: Estimate::of(&settl),
        people_hours: Estimate::of(&ph),
        people_p50: q(0.5),
        people_p95: q(0.95),
        people_max: q(1.0),
        share_with_loss: people.iter().filter(|&&p| p > 0.0).count() as f64 / people.len() as f64,
    })
}

/// An area of a scenario (WGS84 lon/lat polygons).
pub type Area = MultiPolygon<f64>;

/// A lon/lat box as an [`Area`] (`None` unless west < east and south < north).
pub fn bbox_area(west_deg: f64, south_deg: f64, east_deg: f64, north_deg: f64) -> Option<Area> {
    if !(west_deg < east_deg && south_deg < north_deg) {
        return None;
    }
    let ring = geo_types::LineString::from(vec![
        (west_deg, south_deg),
        (east_deg, south_deg),
        (east_deg, north_deg),
        (west_deg, north_deg),
        (west_deg, south_deg),
    ]);
    Some(MultiPolygon(vec![geo_types::Polygon::new(ring, vec![])]))
}

/// A circle of `radius_m` around a point as a 64-gon [`Area`] (local flat approximation, good
/// to well under 1 % for radii of tens of km); `None` for a non-positive radius.
pub fn circle_area(centre: auyl_model::LonLat, radius_m: f64) -> Option<Area> {
    if !(radius_m.is_finite() && radius_m > 0.0) {
        return None;
    }
    let r_lat = radius_m / 111_195.0;
    let r_lon = r_lat / centre.lat_deg.to_radians().cos().max(1e-6);
    let ring: Vec<geo_types::Coord<f64>> = (0..=64)
        .map(|k| {
            let a = f64::from(k % 64) / 64.0 * std::f64::consts::TAU;
            geo_types::Coord {
                x: centre.lon_deg + r_lon * a.cos(),
                y: centre.lat_deg + r_lat * a.sin(),
            }
        })
        .collect();
    Some(MultiPolygon(vec![geo_types::Polygon::new(
        geo_types::LineString(ring),
        vec![],
    )]))
}
