//! Forecast of the completion date from the observed pace: a Monte Carlo over the weekly
//! throughput seen so far (settlements connected per week, resampled with replacement), giving
//! the 10th, 50th and 90th percentile finish dates; on-track / at-risk per region against the
//! region's last target date.

use crate::kpi::{BurnUpPoint, Kpis, burn_up, compute_kpis, connection_days};
use crate::work::{TrackedSettlement, Work, iso_date};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, Duration};

time::serde::format_description!(opt_date, Date, "[year]-[month]-[day]");

/// Settings of the Monte Carlo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForecastParams {
    /// Simulated futures.
    pub runs: u32,
    /// Weeks of history resampled (the most recent ones).
    pub window_weeks: u32,
    /// Horizon: futures not finished after this many weeks count as "not within the horizon".
    pub max_weeks: u32,
    /// Seed of the random generator (same seed, same forecast).
    pub seed: u64,
}

impl Default for ForecastParams {
    fn default() -> Self {
        ForecastParams {
            runs: 2000,
            // A whole year: building is seasonal (frozen ground until April), so a shorter window
            // sees only the season's peak or its winter standstill and forecasts too early or never.
            window_weeks: 52,
            max_weeks: 520,
            seed: 7,
        }
    }
}

/// A forecast finish date with its uncertainty band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// Settlements still to connect.
    pub remaining: u64,
    /// Weekly throughputs resampled (oldest first).
    pub history: Vec<u32>,
    /// Mean of the history, settlements per week.
    pub mean_per_week: f64,
    /// 10 % of futures finish by this day (optimistic end of the band).
    #[serde(with = "opt_date::option")]
    pub p10: Option<Date>,
    /// Median finish.
    #[serde(with = "opt_date::option")]
    pub p50: Option<Date>,
    /// 90 % of futures finish by this day (pessimistic end of the band).
    #[serde(with = "opt_date::option")]
    pub p90: Option<Date>,
}

/// Settlements connected in each of the `weeks` weeks ending on `as_of` (oldest first); the
/// last week is the seven days up to and including `as_of`.
pub fn weekly_throughput(
    settlements: &[TrackedSettlement],
    works: &[Work],
    as_of: Date,
    weeks: u32,
) -> Vec<u32> {
    let days: Vec<Date> = connection_days(settlements, works)
        .into_iter()
        .flatten()
        .collect();
    bucket_weeks(&days, as_of, weeks)
}

/// Counts days into the `weeks` weeks ending on `as_of` (oldest first); later days are ignored.
fn bucket_weeks(days: &[Date], as_of: Date, weeks: u32) -> Vec<u32> {
    let mut out = vec![0u32; weeks as usize];
    for d in days {
        if *d > as_of {
            continue;
        }
        let back = ((as_of - *d).whole_days() / 7) as usize;
        if back < out.len() {
            let i = out.len() - 1 - back;
            out[i] += 1;
        }
    }
    out
}

/// Forecasts when `remaining` settlements will be connected if future weeks look like the
/// `history` weeks. Percentiles beyond the horizon, or any forecast from a history without a
/// single connection, are `None`.
pub fn forecast(history: &[u32], remaining: u64, as_of: Date, p: &ForecastParams) -> Forecast {
    let mean = if history.is_empty() {
        0.0
    } else {
        history.iter().map(|&x| f64::from(x)).sum::<f64>() / history.len() as f64
    };
    let mut f = Forecast {
        remaining,
        history: history.to_vec(),
        mean_per_week: mean,
        p10: None,
        p50: None,
        p90: None,
    };
    if remaining == 0 {
        f.p10 = Some(as_of);
        f.p50 = Some(as_of);
        f.p90 = Some(as_of);
        return f;
    }
    if history.iter().all(|&x| x == 0) || p.runs == 0 {
        return f;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let mut weeks_needed: Vec<u32> = (0..p.runs)
        .map(|_| {
            let mut left = remaining;
            let mut w = 0u32;
            while left > 0 && w <= p.max_weeks {
                let x = history[rng.random_range(0..history.len())];
                left = left.saturating_sub(u64::from(x));
                w += 1;
            }
            w
        })
        .collect();
    weeks_needed.sort_unstable();
    let pick = |q: f64| {
        let i = ((q * f64::from(p.runs)).ceil() as usize).clamp(1, weeks_needed.len()) - 1;
        let w = weeks_needed[i];
        (w <= p.max_weeks).then(|| as_of.saturating_add(Duration::weeks(i64::from(w))))
    };
    f.p10 = pick(0.1);
    f.p50 = pick(0.5);
    f.p90 = pick(0.9);
    f
}

/// How a region stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outlook {
    /// Every settlement connected.
    Complete,
    /// Even the pessimistic (P90) date meets the deadline.
    OnTrack,
    /// The median meets the deadline, the pessimistic date does not.
    AtRisk,
    /// The median misses the deadline.
    OffTrack,
    /// No connection observed in the window: no pace to forecast from.
    NoPace,
}

impl Outlook {
    /// The snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outlook::Complete => "complete",
            Outlook::OnTrack => "on_track",
            Outlook::AtRisk => "at_risk",
            Outlook::OffTrack => "off_track",
            Outlook::NoPace => "no_pace",
        }
    }

    fn of(f: &Forecast, deadline: Date) -> Outlook {
        if f.remaining == 0 {
            return Outlook::Complete;
        }
        match (f.p50, f.p90) {
            (Some(_), Some(p90)) if p90 <= deadline => Outlook::OnTrack,
            (Some(p50), _) if p50 <= deadline => Outlook::AtRisk,
            (Some(_), _) => Outlook::OffTrack,
            (None, _) if f.history.iter().all(|&x| x == 0) => Outlook::NoPace,
            (None, _) => Outlook::OffTrack,
        }
    }
}

/// A region's forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionOutlook {
    /// Region code (`*` for the whole programme).
    pub region_code: String,
    /// The last target date of its settlements.
    #[serde(with = "iso_date")]
    pub deadline: Date,
    /// The forecast.
    pub forecast: Forecast,
    /// On track or not.
    pub outlook: Outlook,
}

/// Forecasts the whole programme (region `*`, first) and each region (by code). Each uses its own
/// history and a seed derived from `params.seed` and its position, so results are reproducible.
pub fn outlooks(
    settlements: &[TrackedSettlement],
    works: &[Work],
    as_of: Date,
    params: &ForecastParams,
) -> Vec<RegionOutlook> {
    let days = connection_days(settlements, works);
    let mut groups: BTreeMap<&str, (Vec<Date>, u64, Date)> = BTreeMap::new();
    let mut all = (Vec::new(), 0u64, Date::MIN);
    for (s, d) in settlements.iter().zip(&days) {
        let g = groups
            .entry(s.region_code.as_str())
            .or_insert_with(|| (Vec::new(), 0, Date::MIN));
        for g in [g, &mut all] {
            g.2 = g.2.max(s.target_date);
            match d {
                Some(d) if *d <= as_of => g.0.push(*d),
                _ => g.1 += 1,
            }
        }
    }
    let hist = |days: &[Date]| bucket_weeks(days, as_of, params.window_weeks);
    let mut out = Vec::with_capacity(groups.len() + 1);
    let one = |code: &str, (days, remaining, deadline): &(Vec<Date>, u64, Date), i: u64| {
        let p = ForecastParams {
            seed: params.seed.wrapping_add(i),
            ..*params
        };
        let f = forecast(&hist(days), *remaining, as_of, &p);
        RegionOutlook {
            region_code: code.to_string(),
            deadline: *deadline,
            outlook: Outlook::of(&f, *deadline),
            forecast: f,
        }
    };
    out.push(one("*", &all, 0));
    for (i, (code, g)) in groups.iter().enumerate() {
        out.push(one(code, g, i as u64 + 1));
    }
    out
}

/// What the programme office reads each week: the KPIs as of a day, the burn-up from the first
/// planned start (or the day, if earlier) to the day, and the outlook of each region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// KPIs as of the day.
    pub kpis: Kpis,
    /// Weekly burn-up against the target.
    pub burn_up: Vec<BurnUpPoint>,
    /// Forecast and outlook per region.
    pub outlooks: Vec<RegionOutlook>,
}

/// The [`Dashboard`] of these settlements and works as of `as_of`.
#[must_use]
pub fn dashboard(
    settlements: &[TrackedSettlement],
    works: &[Work],
    as_of: Date,
    params: &ForecastParams,
) -> Dashboard {
    let from = works
        .iter()
        .map(|w| w.planned_start)
        .min()
        .unwrap_or(as_of)
        .min(as_of);
    Dashboard {
        kpis: compute_kpis(settlements, works, as_of),
        burn_up: burn_up(settlements, works, from, as_of),
        outlooks: outlooks(settlements, works, as_of, params),
    }
}
