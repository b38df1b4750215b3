//! Scenarios: every planning assumption as data, with its unit in the key's name.
//!
//! A [`Scenario`] is read from TOML ([`Scenario::from_toml_str`]); every section and key is
//! optional (a missing one keeps the built-in `central` value), unknown keys are rejected and
//! every value is checked ([`Scenario::validate`]), so an error names the file, the key and the
//! reason. The defaults and their sources come from `../shared/reference/costs.md` (the
//! low/central/high columns, money in US dollars, `[S#]` its references); the commented default
//! file is `data/scenarios/central.toml`. [`Scenario::preset`] gives the `low`, `central` and
//! `high` columns: `low` takes every cost at its low end, `high` at its high end (demand and
//! adoption follow the same column), so the pair brackets the central plan.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// Why a scenario was refused. Every variant names the file (as the caller called it).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The TOML could not be read into a scenario (syntax, unknown key, wrong type).
    #[error("{file}:{line}: key `{key}`: {reason}")]
    Parse {
        /// File name as given.
        file: String,
        /// Line (1-based; 0 when unknown).
        line: usize,
        /// The key concerned (dotted path as far as known).
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A value is out of its valid range.
    #[error("{file}: key `{key}`: {reason}")]
    Invalid {
        /// File name as given.
        file: String,
        /// Dotted key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// An unknown preset name.
    #[error("unknown scenario preset `{0}` (expected low, central or high)")]
    UnknownPreset(String),
}

/// What the optimiser maximises or minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Connect every target at the demanded capacity at least net present cost.
    MinCost,
    /// Connect as many people as early as possible under the yearly budgets and build capacities.
    MaxPeople,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 2] = [Mode::MinCost, Mode::MaxPeople];

    /// `min_cost` or `max_people`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::MinCost => "min_cost",
            Mode::MaxPeople => "max_people",
        }
    }
}

/// Which settlements the plan must connect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Targets {
    /// Smallest population (people) of a target; 0 takes every settlement of the kinds below.
    pub min_population: u32,
    /// Settlement kinds that are targets (`village`, `hamlet`, `isolated_dwelling`, `town`,
    /// `city`, `unknown`).
    pub kinds: Vec<String>,
    /// Settlements within this distance of a backbone node count as already connected, metres.
    pub connected_within_m: f64,
    /// Settlement ids never planned (already connected by other means).
    pub exclude_ids: Vec<String>,
}

/// Demand and households.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Demand {
    /// Share of people who use the service, fraction 0–1.
    pub adoption: f64,
    /// Busy-hour demand per user, Mbps.
    pub busy_hour_mbps_per_user: f64,
    /// Data per user per month (prices satellite traffic), GB.
    pub data_gb_per_user_per_month: f64,
    /// Persons per household, national default (households passed by fibre).
    pub household_size_persons: f64,
    /// Persons per household by region code (overrides the national default).
    pub household_size_persons_by_region: BTreeMap<String, f64>,
}

/// Fibre costs and capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Fibre {
    /// Trench along a paved road, USD per km.
    pub trench_paved_usd_per_km: f64,
    /// Trench along an unpaved road, USD per km.
    pub trench_unpaved_usd_per_km: f64,
    /// Aerial cable on poles, USD per km.
    pub aerial_usd_per_km: f64,
    /// Last-mile approximation links (no mapped road), USD per km.
    pub approximate_usd_per_km: f64,
    /// Operation and maintenance, USD per km per year.
    pub opex_usd_per_km_per_year: f64,
    /// In-village network per household passed, USD.
    pub access_usd_per_household: f64,
    /// Village OLT/PON node, USD per settlement.
    pub olt_usd_per_settlement: f64,
    /// Capacity delivered to a fibred settlement, Mbps.
    pub capacity_mbps: f64,
}

/// LTE sites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lte {
    /// Carrier frequency, MHz.
    pub freq_mhz: f64,
    /// Largest path loss at which a settlement counts as covered, dB.
    pub max_path_loss_db: f64,
    /// Terminal antenna height, metres.
    pub rx_height_m: f64,
    /// Never look for coverage farther than this, metres.
    pub max_range_m: f64,
    /// Capacity of one sector, Mbps.
    pub sector_capacity_mbps: f64,
    /// Sectors per site.
    pub sectors_per_site: u32,
    /// Heights offered for new masts, metres (each must be in `mast_usd_by_height_m`).
    pub new_mast_heights_m: Vec<f64>,
    /// Mast with civil works by height (metres, as a string key), USD.
    pub mast_usd_by_height_m: BTreeMap<String, f64>,
    /// RAN equipment per site (antennas, RRUs, BBU, router), USD.
    pub ran_usd: f64,
    /// Installation and transport per site, USD.
    pub install_usd: f64,
    /// Yearly opex of active equipment and masts, fraction of their capex.
    pub opex_fraction_of_capex_per_year: f64,
    /// Land lease for a new site, USD per year.
    pub site_rental_usd_per_year: f64,
    /// Look for high ground within this distance of a settlement, metres (0 = centre only).
    pub high_ground_search_m: f64,
    /// High ground must be at least this much above the settlement centre, metres.
    pub high_ground_min_gain_m: f64,
    /// Antenna height assumed for an existing mast whose height is unknown, metres.
    pub existing_mast_height_m: f64,
}

/// Power for new sites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Power {
    /// Medium-voltage line extension, USD per km.
    pub grid_usd_per_km: f64,
    /// Service connection at the line, USD per site.
    pub grid_connection_usd: f64,
    /// Longest grid extension considered, metres (beyond it only solar).
    pub grid_max_m: f64,
    /// Detour factor of a power line over the straight distance.
    pub grid_detour_factor: f64,
    /// A settlement is assumed to have grid power on site (village distribution network).
    pub settlements_have_grid: bool,
    /// Off-grid solar panels and batteries for a site, USD.
    pub solar_battery_usd: f64,
    /// Site load, kW.
    pub site_load_kw: f64,
    /// Electricity price, USD per kWh.
    pub electricity_usd_per_kwh: f64,
    /// Battery backup of grid-powered sites, hours.
    pub grid_battery_backup_h: f64,
    /// Battery autonomy of solar sites, hours.
    pub solar_battery_autonomy_h: f64,
}

/// Microwave hops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Microwave {
    /// A hop of 0–15 km (both ends, no masts), USD.
    pub hop_usd_0_15km: f64,
    /// A hop of 15–30 km, USD.
    pub hop_usd_15_30km: f64,
    /// A hop of 30–50 km, USD.
    pub hop_usd_30_50km: f64,
    /// Longest hop, metres.
    pub max_hop_m: f64,
    /// Frequency for the Fresnel check, MHz.
    pub freq_mhz: f64,
    /// Capacity of a hop, Mbps.
    pub capacity_mbps: f64,
    /// Height of relay and end masts of a microwave chain, metres (priced from the mast table).
    pub mast_height_m: f64,
    /// First-Fresnel-zone clearance a hop must keep, fraction of F1.
    pub min_clearance_f1: f64,
    /// Effective earth-radius factor for the clearance check.
    pub k_factor: f64,
    /// Longest chain of hops considered, hops.
    pub max_hops: u32,
}

/// Satellite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Satellite {
    /// Terminal and installation, USD per terminal.
    pub terminal_usd: f64,
    /// Service fee, USD per terminal per month.
    pub service_usd_per_month: f64,
    /// Busy-hour capacity of one terminal, Mbps.
    pub capacity_mbps: f64,
    /// Data beyond the plan's allowance, USD per TB.
    pub data_usd_per_tb: f64,
}

/// Money over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Finance {
    /// Real discount rate, fraction per year.
    pub discount_rate: f64,
    /// Years of opex counted in the net present cost.
    pub horizon_years: u32,
    /// Tenge per US dollar (to rebase KZT figures).
    pub kzt_per_usd: f64,
    /// Capital budget per year, USD (every plan year; `max_people` only).
    pub budget_usd_per_year: f64,
    /// Budget of particular years, USD (overrides `budget_usd_per_year`).
    pub budget_usd_by_year: BTreeMap<String, f64>,
    /// What a connection costs the budget of the year it is built (`max_people` only).
    pub budget_basis: BudgetBasis,
}

/// What a year's budget pays for when a connection is built in it (`max_people`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetBasis {
    /// Capex plus the present value (at the build year) of its opex and equipment replacements
    /// over `finance.horizon_years`: the whole commitment the year's budget makes. Options
    /// that are cheap to build and dear to run (satellite terminals) are charged what they cost.
    WholeLife,
    /// Capex alone (the running costs are paid from elsewhere): cheap-capex options such as
    /// satellite terminals win almost everywhere.
    Capex,
}

impl BudgetBasis {
    /// `whole_life` or `capex`.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetBasis::WholeLife => "whole_life",
            BudgetBasis::Capex => "capex",
        }
    }
}

/// Equipment lifetimes: equipment whose life ends within the horizon is replaced at its capex
/// (in real terms) and the replacement is discounted into the net present cost. Sources: the
/// rows of `costs.md` §6 (lifetimes); no residual value is credited at the end of the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Lifetimes {
    /// Fibre cable and trench (routes, spurs, in-village network), years.
    pub fibre_cable_years: u32,
    /// RAN electronics of an LTE site (with its installation), years.
    pub ran_electronics_years: u32,
    /// Microwave radios of a hop (both ends), years.
    pub microwave_radio_years: u32,
    /// Masts with civil works, years.
    pub mast_years: u32,
    /// Village OLT/PON node, years.
    pub olt_ont_years: u32,
    /// Satellite terminals, years.
    pub satellite_terminal_years: u32,
    /// Solar panels and batteries of an off-grid site, years.
    pub solar_battery_years: u32,
    /// Grid extension line and connection, years.
    pub grid_line_years: u32,
}

/// Who builds what, and how fast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Operators {
    /// Operator building fibre to villages.
    pub fibre: String,
    /// Operator building LTE sites (national default).
    pub lte: String,
    /// LTE operator by region code.
    pub lte_by_region: BTreeMap<String, String>,
    /// Operator building point-to-point microwave.
    pub microwave: String,
    /// Operator providing satellite.
    pub satellite: String,
    /// Settlements an operator can connect per year (operator id → settlements).
    pub settlements_per_year: BTreeMap<String, u32>,
    /// The same for operators not listed, settlements per year.
    pub default_settlements_per_year: u32,
    /// Satellite terminal installs per year (settlements; 0 = not limited: no civil works).
    pub satellite_settlements_per_year: u32,
}

/// A complete set of planning assumptions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Name (`central`, `low`, …).
    pub name: String,
    /// What to optimise.
    pub mode: Mode,
    /// First year of the plan.
    pub base_year: i32,
    /// Last year of the plan (phasing runs from `base_year` to it).
    pub target_year: i32,
    /// Which settlements to connect.
    pub targets: Targets,
    /// Demand.
    pub demand: Demand,
    /// Fibre.
    pub fibre: Fibre,
    /// LTE.
    pub lte: Lte,
    /// Power.
    pub power: Power,
    /// Microwave.
    pub microwave: Microwave,
    /// Satellite.
    pub satellite: Satellite,
    /// Finance.
    pub finance: Finance,
    /// Operators and build capacity.
    pub operators: Operators,
    /// Equipment lifetimes (replacements within the horizon).
    pub lifetimes: Lifetimes,
}

/// Low, central and high values of one assumption, picked by preset index 0, 1, 2.
fn lch(p: usize, v: [f64; 3]) -> f64 {
    v[p.min(2)]
}

impl Scenario {
    /// The names [`Scenario::preset`] knows, the default first.
    pub const PRESETS: [&'static str; 3] = ["central", "low", "high"];

    /// A preset: `low`, `central` (the default) or `high` column of costs.md.
    ///
    /// # Errors
    /// [`ScenarioError::UnknownPreset`] for any other name.
    pub fn preset(name: &str) -> Result<Scenario, ScenarioError> {
        let p = match name {
            "low" => 0,
            "central" => 1,
            "high" => 2,
            _ => return Err(ScenarioError::UnknownPreset(name.to_string())),
        };
        Ok(Scenario::column(p, name))
    }

    fn column(p: usize, name: &str) -> Scenario {
        let mast: BTreeMap<String, f64> = [
            ("30", [16_600.0, 59_000.0, 101_000.0]),
            ("50", [40_000.0, 90_000.0, 150_000.0]),
            ("70", [60_000.0, 130_000.0, 267_000.0]),
        ]
        .into_iter()
        .map(|(h, v)| (h.to_string(), lch(p, v)))
        .collect();
        Scenario {
            name: name.to_string(),
            mode: Mode::MinCost,
            base_year: 2026,
            target_year: 2027,
            targets: Targets {
                min_population: 0,
                kinds: ["village", "hamlet", "isolated_dwelling", "unknown"]
                    .into_iter()
                    .map(String::from)
                    .collect(),
                connected_within_m: 2_000.0,
                exclude_ids: Vec::new(),
            },
            demand: Demand {
                adoption: lch(p, [0.70, 0.90, 0.94]),
                busy_hour_mbps_per_user: lch(p, [0.1, 0.25, 0.5]),
                data_gb_per_user_per_month: lch(p, [15.0, 25.0, 35.0]),
                household_size_persons: lch(p, [5.17, 4.6, 3.43]),
                household_size_persons_by_region: BTreeMap::new(),
            },
            fibre: Fibre {
                trench_paved_usd_per_km: lch(p, [5_000.0, 8_500.0, 41_000.0]),
                trench_unpaved_usd_per_km: lch(p, [5_000.0, 8_500.0, 41_000.0]),
                aerial_usd_per_km: lch(p, [3_400.0, 5_600.0, 16_400.0]),
                approximate_usd_per_km: lch(p, [5_000.0, 8_500.0, 41_000.0]),
                opex_usd_per_km_per_year: lch(p, [100.0, 100.0, 160.0]),
                access_usd_per_household: lch(p, [180.0, 410.0, 3_656.0]),
                olt_usd_per_settlement: lch(p, [3_000.0, 10_000.0, 20_000.0]),
                capacity_mbps: 2_488.0,
            },
            lte: Lte {
                freq_mhz: 800.0,
                max_path_loss_db: lch(p, [135.0, 135.0, 135.0]),
                rx_height_m: 1.5,
                max_range_m: 25_000.0,
                sector_capacity_mbps: lch(p, [11.0, 20.0, 27.0]),
                sectors_per_site: 3,
                new_mast_heights_m: vec![30.0],
                mast_usd_by_height_m: mast,
                ran_usd: lch(p, [24_200.0, 28_500.0, 40_000.0]),
                install_usd: 10_000.0,
                opex_fraction_of_capex_per_year: lch(p, [0.05, 0.10, 0.20]),
                site_rental_usd_per_year: lch(p, [1_000.0, 2_000.0, 3_000.0]),
                high_ground_search_m: 3_000.0,
                high_ground_min_gain_m: 20.0,
                existing_mast_height_m: 30.0,
            },
            power: Power {
                grid_usd_per_km: lch(p, [9_000.0, 20_000.0, 55_000.0]),
                grid_connection_usd: 5_860.0,
                grid_max_m: 20_000.0,
                grid_detour_factor: 1.3,
                settlements_have_grid: true,
                solar_battery_usd: lch(p, [10_000.0, 30_000.0, 60_000.0]),
                site_load_kw: 1.5,
                electricity_usd_per_kwh: lch(p, [0.087, 0.098, 0.14]),
                grid_battery_backup_h: 4.0,
                solar_battery_autonomy_h: 48.0,
            },
            microwave: Microwave {
                hop_usd_0_15km: lch(p, [10_000.0, 16_000.0, 30_000.0]),
                hop_usd_15_30km: lch(p, [17_000.0, 20_000.0, 40_000.0]),
                hop_usd_30_50km: lch(p, [19_000.0, 45_000.0, 80_000.0]),
                max_hop_m: lch(p, [45_000.0, 30_000.0, 15_000.0]),
                freq_mhz: 8_000.0,
                capacity_mbps: 150.0,
                mast_height_m: 30.0,
                min_clearance_f1: 0.6,
                k_factor: 4.0 / 3.0,
                max_hops: 4,
            },
            satellite: Satellite {
                terminal_usd: lch(p, [349.0, 599.0, 2_600.0]),
                service_usd_per_month: lch(p, [90.0, 200.0, 1_500.0]),
                capacity_mbps: lch(p, [200.0, 100.0, 25.0]),
                data_usd_per_tb: 250.0,
            },
            finance: Finance {
                discount_rate: lch(p, [0.03, 0.05, 0.15]),
                horizon_years: 10,
                kzt_per_usd: lch(p, [456.0, 470.0, 520.0]),
                budget_usd_per_year: 157_000_000.0,
                budget_usd_by_year: BTreeMap::new(),
                budget_basis: BudgetBasis::WholeLife,
            },
            // Long lives are the low-cost end: the low preset takes the high column.
            lifetimes: Lifetimes {
                fibre_cable_years: lch(p, [40.0, 25.0, 20.0]) as u32,
                ran_electronics_years: lch(p, [15.0, 10.0, 5.0]) as u32,
                microwave_radio_years: lch(p, [15.0, 10.0, 5.0]) as u32,
                mast_years: lch(p, [50.0, 30.0, 20.0]) as u32,
                olt_ont_years: lch(p, [10.0, 8.0, 5.0]) as u32,
                satellite_terminal_years: lch(p, [7.0, 5.0, 3.0]) as u32,
                solar_battery_years: lch(p, [8.0, 5.0, 3.0]) as u32,
                grid_line_years: 40,
            },
            operators: Operators {
                fibre: "kazakhtelecom".into(),
                lte: "beeline_kz".into(),
                lte_by_region: BTreeMap::new(),
                microwave: "kazakhtelecom".into(),
                satellite: "kazakhtelecom".into(),
                settlements_per_year: [
                    ("kazakhtelecom".to_string(), 1_900),
                    ("beeline_kz".to_string(), 1_000),
                    ("kcell".to_string(), 1_000),
                    ("tele2_altel".to_string(), 1_000),
                ]
                .into_iter()
                .collect(),
                default_settlements_per_year: 1_000,
                satellite_settlements_per_year: 0,
            },
        }
    }

    /// Reads a scenario from TOML text; `file_name` is only used in error messages.
    ///
    /// # Errors
    /// [`ScenarioError::Parse`] for syntax errors, unknown keys and wrong types;
    /// [`ScenarioError::Invalid`] for values out of range.
    pub fn from_toml_str(text: &str, file_name: &str) -> Result<Scenario, ScenarioError> {
        let s: Scenario = toml::from_str(text).map_err(|e| {
            let (line, key) = match e.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    let line_text = text.lines().nth(line - 1).unwrap_or("");
                    let key = line_text
                        .split('=')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .trim_matches(['[', ']'])
                        .to_string();
                    (line, key)
                }
                None => (0, String::new()),
            };
            ScenarioError::Parse {
                file: file_name.to_string(),
                line,
                key,
                reason: e.message().trim().to_string(),
            }
        })?;
        s.validate(file_name)?;
        Ok(s)
    }

    /// The scenario as TOML (no comments; `data/scenarios/central.toml` is the commented one).
    ///
    /// # Errors
    /// Only if serialisation fails, which the types here do not allow in practice.
    pub fn to_toml_string(&self) -> Result<String, ScenarioError> {
        toml::to_string(self).map_err(|e| ScenarioError::Invalid {
            file: String::new(),
            key: String::new(),
            reason: e.to_string(),
        })
    }

    /// Checks every value; the error names `file_name`, the key and the reason.
    ///
    /// # Errors
    /// [`ScenarioError::Invalid`] for the first value out of range.
    pub fn validate(&self, file_name: &str) -> Result<(), ScenarioError> {
        let bad = |key: &str, reason: String| ScenarioError::Invalid {
            file: file_name.to_string(),
            key: key.to_string(),
            reason,
        };
        let nonneg: Vec<(&str, f64)> = vec![
            (
                "targets.connected_within_m",
                self.targets.connected_within_m,
            ),
            (
                "demand.busy_hour_mbps_per_user",
                self.demand.busy_hour_mbps_per_user,
            ),
            (
                "demand.data_gb_per_user_per_month",
                self.demand.data_gb_per_user_per_month,
            ),
            (
                "fibre.trench_paved_usd_per_km",
                self.fibre.trench_paved_usd_per_km,
            ),
            (
                "fibre.trench_unpaved_usd_per_km",
                self.fibre.trench_unpaved_usd_per_km,
            ),
            ("fibre.aerial_usd_per_km", self.fibre.aerial_usd_per_km),
            (
                "fibre.approximate_usd_per_km",
                self.fibre.approximate_usd_per_km,
            ),
            (
                "fibre.opex_usd_per_km_per_year",
                self.fibre.opex_usd_per_km_per_year,
            ),
            (
                "fibre.access_usd_per_household",
                self.fibre.access_usd_per_household,
            ),
            (
                "fibre.olt_usd_per_settlement",
                self.fibre.olt_usd_per_settlement,
            ),
            ("lte.ran_usd", self.lte.ran_usd),
            ("lte.install_usd", self.lte.install_usd),
            (
                "lte.opex_fraction_of_capex_per_year",
                self.lte.opex_fraction_of_capex_per_year,
            ),
            (
                "lte.site_rental_usd_per_year",
                self.lte.site_rental_usd_per_year,
            ),
            ("lte.high_ground_search_m", self.lte.high_ground_search_m),
            (
                "lte.high_ground_min_gain_m",
                self.lte.high_ground_min_gain_m,
            ),
            ("power.grid_usd_per_km", self.power.grid_usd_per_km),
            ("power.grid_connection_usd", self.power.grid_connection_usd),
            ("power.grid_max_m", self.power.grid_max_m),
            ("power.solar_battery_usd", self.power.solar_battery_usd),
            ("power.site_load_kw", self.power.site_load_kw),
            (
                "power.electricity_usd_per_kwh",
                self.power.electricity_usd_per_kwh,
            ),
            (
                "power.grid_battery_backup_h",
                self.power.grid_battery_backup_h,
            ),
            (
                "power.solar_battery_autonomy_h",
                self.power.solar_battery_autonomy_h,
            ),
            ("microwave.hop_usd_0_15km", self.microwave.hop_usd_0_15km),
            ("microwave.hop_usd_15_30km", self.microwave.hop_usd_15_30km),
            ("microwave.hop_usd_30_50km", self.microwave.hop_usd_30_50km),
            ("satellite.terminal_usd", self.satellite.terminal_usd),
            (
                "satellite.service_usd_per_month",
                self.satellite.service_usd_per_month,
            ),
            ("satellite.data_usd_per_tb", self.satellite.data_usd_per_tb),
            ("finance.discount_rate", self.finance.discount_rate),
            (
                "finance.budget_usd_per_year",
                self.finance.budget_usd_per_year,
            ),
        ];
        for (k, v) in nonneg {
            if !v.is_finite() || v < 0.0 {
                return Err(bad(k, format!("{v} must be a finite number ≥ 0")));
            }
        }
        let positive: Vec<(&str, f64)> = vec![
            (
                "demand.household_size_persons",
                self.demand.household_size_persons,
            ),
            ("fibre.capacity_mbps", self.fibre.capacity_mbps),
            ("lte.freq_mhz", self.lte.freq_mhz),
            ("lte.max_path_loss_db", self.lte.max_path_loss_db),
            ("lte.rx_height_m", self.lte.rx_height_m),
            ("lte.max_range_m", self.lte.max_range_m),
            ("lte.sector_capacity_mbps", self.lte.sector_capacity_mbps),
            (
                "lte.existing_mast_height_m",
                self.lte.existing_mast_height_m,
            ),
            ("power.grid_detour_factor", self.power.grid_detour_factor),
            ("microwave.max_hop_m", self.microwave.max_hop_m),
            ("microwave.freq_mhz", self.microwave.freq_mhz),
            ("microwave.capacity_mbps", self.microwave.capacity_mbps),
            ("microwave.mast_height_m", self.microwave.mast_height_m),
            ("microwave.k_factor", self.microwave.k_factor),
            ("satellite.capacity_mbps", self.satellite.capacity_mbps),
            ("finance.kzt_per_usd", self.finance.kzt_per_usd),
        ];
        for (k, v) in positive {
            if !v.is_finite() || v <= 0.0 {
                return Err(bad(k, format!("{v} must be a finite number > 0")));
            }
        }
        if !(0.0..=1.0).contains(&self.demand.adoption) {
            return Err(bad(
                "demand.adoption",
                format!(
                    "{} is a fraction and must lie in 0..=1",
                    self.demand.adoption
                ),
            ));
        }
        if self.finance.discount_rate >= 1.0 {
            return Err(bad(
                "finance.discount_rate",
                format!(
                    "{} is a fraction per year (0.05 = 5 %); values ≥ 1 are surely percent",
                    self.finance.discount_rate
                ),
            ));
        }
        if !(0.0..=10.0).contains(&self.microwave.min_clearance_f1) {
            return Err(bad(
                "microwave.min_clearance_f1",
                format!("{} must lie in 0..=10", self.microwave.min_clearance_f1),
            ));
        }
        if self.power.grid_detour_factor < 1.0 {
            return Err(bad(
                "power.grid_detour_factor",
                "must be ≥ 1 (a line is never shorter than the straight distance)".into(),
            ));
        }
        if self.finance.horizon_years == 0 || self.finance.horizon_years > 100 {
            return Err(bad(
                "finance.horizon_years",
                format!("{} must lie in 1..=100", self.finance.horizon_years),
            ));
        }
        for (k, v) in [
            (
                "lifetimes.fibre_cable_years",
                self.lifetimes.fibre_cable_years,
            ),
            (
                "lifetimes.ran_electronics_years",
                self.lifetimes.ran_electronics_years,
            ),
            (
                "lifetimes.microwave_radio_years",
                self.lifetimes.microwave_radio_years,
            ),
            ("lifetimes.mast_years", self.lifetimes.mast_years),
            ("lifetimes.olt_ont_years", self.lifetimes.olt_ont_years),
            (
                "lifetimes.satellite_terminal_years",
                self.lifetimes.satellite_terminal_years,
            ),
            (
                "lifetimes.solar_battery_years",
                self.lifetimes.solar_battery_years,
            ),
            ("lifetimes.grid_line_years", self.lifetimes.grid_line_years),
        ] {
            if v == 0 || v > 200 {
                return Err(bad(k, format!("{v} must lie in 1..=200 years")));
            }
        }
        if self.lte.sectors_per_site == 0 {
            return Err(bad("lte.sectors_per_site", "must be ≥ 1".into()));
        }
        if self.microwave.max_hops == 0 || self.microwave.max_hops > 20 {
            return Err(bad("microwave.max_hops", "must lie in 1..=20".into()));
        }
        if self.target_year < self.base_year {
            return Err(bad(
                "target_year",
                format!(
                    "{} is before base_year {}",
                    self.target_year, self.base_year
                ),
            ));
        }
        if self.target_year - self.base_year > 30 {
            return Err(bad(
                "target_year",
                "the plan spans more than 30 years; phasing is yearly".into(),
            ));
        }
        for k in &self.targets.kinds {
            if auyl_model::SettlementKind::parse(k).is_none() {
                return Err(bad(
                    "targets.kinds",
                    format!(
                        "`{k}` is not a settlement kind (village, hamlet, isolated_dwelling, town, city, unknown)"
                    ),
                ));
            }
        }
        for (r, v) in &self.demand.household_size_persons_by_region {
            if !v.is_finite() || *v <= 0.0 {
                return Err(bad(
                    &format!("demand.household_size_persons_by_region.{r}"),
                    format!("{v} must be a finite number > 0"),
                ));
            }
        }
        for (h, v) in &self.lte.mast_usd_by_height_m {
            let ok_h = h.parse::<f64>().is_ok_and(|x| x.is_finite() && x > 0.0);
            if !ok_h {
                return Err(bad(
                    &format!("lte.mast_usd_by_height_m.{h}"),
                    "the key must be a height in metres".into(),
                ));
            }
            if !v.is_finite() || *v < 0.0 {
                return Err(bad(
                    &format!("lte.mast_usd_by_height_m.{h}"),
                    format!("{v} must be a finite number ≥ 0"),
                ));
            }
        }
        for h in self
            .lte
            .new_mast_heights_m
            .iter()
            .chain(std::iter::once(&self.microwave.mast_height_m))
        {
            if self.mast_usd(*h).is_none() {
                return Err(bad(
                    "lte.new_mast_heights_m",
                    format!("no cost for a {h} m mast in lte.mast_usd_by_height_m"),
                ));
            }
        }
        for (y, v) in &self.finance.budget_usd_by_year {
            if y.parse::<i32>().is_err() {
                return Err(bad(
                    &format!("finance.budget_usd_by_year.{y}"),
                    "the key must be a year".into(),
                ));
            }
            if !v.is_finite() || *v < 0.0 {
                return Err(bad(
                    &format!("finance.budget_usd_by_year.{y}"),
                    format!("{v} must be a finite number ≥ 0"),
                ));
            }
        }
        for (k, v) in [
            ("operators.fibre", &self.operators.fibre),
            ("operators.lte", &self.operators.lte),
            ("operators.microwave", &self.operators.microwave),
            ("operators.satellite", &self.operators.satellite),
        ] {
            if v.trim().is_empty() {
                return Err(bad(k, "an operator id is required".into()));
            }
        }
        Ok(())
    }

    /// Cost of a mast of this height, USD: the entry of `lte.mast_usd_by_height_m` whose height
    /// equals it (within 1 cm).
    pub fn mast_usd(&self, height_m: f64) -> Option<f64> {
        self.lte
            .mast_usd_by_height_m
            .iter()
            .find(|(h, _)| h.parse::<f64>().is_ok_and(|x| (x - height_m).abs() < 0.01))
            .map(|(_, v)| *v)
    }

    /// Persons per household in a region (override, else the national default).
    pub fn household_size(&self, region_code: Option<&str>) -> f64 {
        region_code
            .and_then(|r| self.demand.household_size_persons_by_region.get(r))
            .copied()
            .unwrap_or(self.demand.household_size_persons)
    }

    /// Capital budget of a year, USD.
    pub fn budget_usd(&self, year: i32) -> f64 {
        self.finance
            .budget_usd_by_year
            .get(&year.to_string())
            .copied()
            .unwrap_or(self.finance.budget_usd_per_year)
    }

    /// Settlements an operator can connect per year.
    pub fn settlements_per_year(&self, operator: &str) -> u32 {
        self.operators
            .settlements_per_year
            .get(operator)
            .copied()
            .unwrap_or(self.operators.default_settlements_per_year)
    }

    /// LTE operator of a region.
    pub fn lte_operator(&self, region_code: Option<&str>) -> &str {
        region_code
            .and_then(|r| self.operators.lte_by_region.get(r))
            .unwrap_or(&self.operators.lte)
    }

    /// Present value of 1 USD per year over the horizon (annuity factor, end-of-year payments).
    pub fn annuity_factor(&self) -> f64 {
        let r = self.finance.discount_rate;
        let n = f64::from(self.finance.horizon_years);
        if r.abs() < 1e-12 {
            n
        } else {
            (1.0 - (1.0 + r).powf(-n)) / r
        }
    }

    /// Present value, at the year a thing is built, of replacing `capex_usd` of equipment that
    /// lasts `life_years`: at every multiple of its life strictly inside the horizon, at the
    /// same real price, discounted at the scenario's rate. No residual value is credited.
    pub fn replacement_pv_usd(&self, capex_usd: f64, life_years: u32) -> f64 {
        let life = life_years.max(1);
        let r = self.finance.discount_rate;
        (1..)
            .map(|k| k * life)
            .take_while(|&y| y < self.finance.horizon_years)
            .map(|y| capex_usd * (1.0 + r).powi(-(y as i32)))
            .sum()
    }

    /// Discount factor of money spent in `year`, to the base year: `(1 + r)^-(year - base)`.
    /// Every cost of a connection is counted from the year it is built and brought back with it.
    pub fn discount_factor(&self, year: i32) -> f64 {
        (1.0 + self.finance.discount_rate).powi(-(year - self.base_year))
    }

    /// Demand of a settlement of `people` at the busy hour, Mbps.
    pub fn demand_mbps(&self, people: u64) -> f64 {
        people as f64 * self.demand.adoption * self.demand.busy_hour_mbps_per_user
    }

    /// Microwave hop cost by length, USD (`None` beyond 50 km or the max hop).
    pub fn hop_usd(&self, length_m: f64) -> Option<f64> {
        if length_m > self.microwave.max_hop_m + 1e-6 {
            return None;
        }
        Some(if length_m <= 15_000.0 {
            self.microwave.hop_usd_0_15km
        } else if length_m <= 30_000.0 {
            self.microwave.hop_usd_15_30km
        } else if length_m <= 50_000.0 {
            self.microwave.hop_usd_30_50km
        } else {
            return None;
        })
    }

    /// Plan years, base to target inclusive.
    pub fn years(&self) -> Vec<i32> {
        (self.base_year..=self.target_year).collect()
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario::column(1, "central")
    }
}

impl Default for Targets {
    fn default() -> Self {
        Scenario::default().targets
    }
}
impl Default for Demand {
    fn default() -> Self {
        Scenario::default().demand
    }
}
impl Default for Fibre {
    fn default() -> Self {
        Scenario::default().fibre
    }
}
impl Default for Lte {
    fn default() -> Self {
        Scenario::default().lte
    }
}
impl Default for Power {
    fn default() -> Self {
        Scenario::default().power
    }
}
impl Default for Microwave {
    fn default() -> Self {
        Scenario::default().microwave
    }
}
impl Default for Satellite {
    fn default() -> Self {
        Scenario::default().satellite
    }
}
impl Default for Finance {
    fn default() -> Self {
        Scenario::default().finance
    }
}
impl Default for Lifetimes {
    fn default() -> Self {
        Scenario::default().lifetimes
    }
}
impl Default for Operators {
    fn default() -> Self {
        Scenario::default().operators
    }
}
