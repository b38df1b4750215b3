//! Link budgets: EIRP, received power and fade margin, and for microwave hops the rain outage
//! and availability (ITU-R P.838-3 / P.530-17, see [`crate::rain`]).
//!
//! Everything is in decibels: powers in dBm, gains in dBi, losses in dB (positive numbers).
//! The path loss comes from any model (free space, Hata, ITM): the budget takes it as a number.
//!
//! ```text
//! EIRP      = P_tx + G_tx − L_tx_cable − L_tx_other
//! P_rx      = EIRP − L_path − L_extra + G_rx − L_rx_cable − L_rx_other
//! margin    = P_rx − sensitivity
//! ```

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::rain::{
    self, MultipathFade, MultipathInput, Polarization, RainError, RainFade, RainOutage,
};

/// Largest accepted |value| of any decibel input: keeps every output finite.
const MAX_ABS_DB: f64 = 1000.0;

/// Why a budget was refused.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum BudgetError {
    /// A decibel input is not finite or beyond ±1000 dB.
    #[error("invalid {field}: {value} (finite, within ±1000 dB expected)")]
    InvalidDb {
        /// Input field name.
        field: &'static str,
        /// Value given.
        value: f64,
    },
    /// A loss was negative: losses are positive numbers (use a gain field for gains).
    #[error("negative loss {field}: {value} dB")]
    NegativeLoss {
        /// Input field name.
        field: &'static str,
        /// Value given.
        value: f64,
    },
    /// A power in watts must be finite and positive to have a dBm value.
    #[error("power {watts} W has no dBm value (positive, finite expected)")]
    InvalidWatts {
        /// Value given.
        watts: f64,
    },
    /// The rain or multipath part was refused.
    #[error(transparent)]
    Rain(#[from] RainError),
}

/// Power in dBm → watts.
#[must_use]
pub fn dbm_to_watts(dbm: f64) -> f64 {
    10f64.powf((dbm - 30.0) / 10.0)
}

/// Power in dBm → milliwatts.
#[must_use]
pub fn dbm_to_milliwatts(dbm: f64) -> f64 {
    10f64.powf(dbm / 10.0)
}

/// Power in watts → dBm.
///
/// # Errors
/// [`BudgetError::InvalidWatts`] for zero, negative or non-finite power.
pub fn watts_to_dbm(watts: f64) -> Result<f64, BudgetError> {
    if watts.is_finite() && watts > 0.0 {
        Ok(10.0 * watts.log10() + 30.0)
    } else {
        Err(BudgetError::InvalidWatts { watts })
    }
}

/// Power in dBW → dBm.
#[must_use]
pub fn dbw_to_dbm(dbw: f64) -> f64 {
    dbw + 30.0
}

/// Inputs of a one-way link budget.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinkBudgetInput {
    /// Transmitter output power (dBm).
    pub tx_power_dbm: f64,
    /// Transmit antenna gain (dBi).
    pub tx_antenna_gain_dbi: f64,
    /// Transmit feeder/cable and connector loss (dB).
    pub tx_cable_loss_db: f64,
    /// Other transmit-side losses: radome, branching, combiner (dB).
    pub tx_other_losses_db: f64,
    /// Path loss from a propagation model (dB).
    pub path_loss_db: f64,
    /// Further losses on the path not in the model: gases, foliage, body, building entry (dB).
    pub extra_path_losses_db: f64,
    /// Receive antenna gain (dBi).
    pub rx_antenna_gain_dbi: f64,
    /// Receive feeder/cable and connector loss (dB).
    pub rx_cable_loss_db: f64,
    /// Other receive-side losses (dB).
    pub rx_other_losses_db: f64,
    /// Receiver sensitivity at the wanted rate/BER (dBm).
    pub rx_sensitivity_dbm: f64,
}

/// Result of [`link_budget`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinkBudget {
    /// Effective isotropic radiated power (dBm).
    pub eirp_dbm: f64,
    /// EIRP (W).
    pub eirp_w: f64,
    /// Power an isotropic antenna would receive (dBm): EIRP − path and extra losses.
    pub isotropic_rx_power_dbm: f64,
    /// Power at the receiver input (dBm).
    pub rx_power_dbm: f64,
    /// Power at the receiver input (W).
    pub rx_power_w: f64,
    /// Received power − sensitivity (dB): the clear-sky fade margin.
    pub fade_margin_db: f64,
    /// True when the fade margin is non-negative.
    pub link_closes: bool,
}

fn check_db(field: &'static str, value: f64) -> Result<(), BudgetError> {
    if value.is_finite() && value.abs() <= MAX_ABS_DB {
        Ok(())
    } else {
        Err(BudgetError::InvalidDb { field, value })
    }
}

fn check_loss(field: &'static str, value: f64) -> Result<(), BudgetError> {
    check_db(field, value)?;
    if value < 0.0 {
        return Err(BudgetError::NegativeLoss { field, value });
    }
    Ok(())
}

impl LinkBudgetInput {
    fn validate(&self) -> Result<(), BudgetError> {
        check_db("tx_power_dbm", self.tx_power_dbm)?;
        check_db("tx_antenna_gain_dbi", self.tx_antenna_gain_dbi)?;
        check_loss("tx_cable_loss_db", self.tx_cable_loss_db)?;
        check_loss("tx_other_losses_db", self.tx_other_losses_db)?;
        check_loss("path_loss_db", self.path_loss_db)?;
        check_loss("extra_path_losses_db", self.extra_path_losses_db)?;
        check_db("rx_antenna_gain_dbi", self.rx_antenna_gain_dbi)?;
        check_loss("rx_cable_loss_db", self.rx_cable_loss_db)?;
        check_loss("rx_other_losses_db", self.rx_other_losses_db)?;
        check_db("rx_sensitivity_dbm", self.rx_sensitivity_dbm)
    }
}

/// EIRP, received power and fade margin of a link.
///
/// # Errors
/// [`BudgetError::InvalidDb`] / [`BudgetError::NegativeLoss`] for unusable inputs.
pub fn link_budget(input: &LinkBudgetInput) -> Result<LinkBudget, BudgetError> {
    input.validate()?;
    let eirp_dbm = input.tx_power_dbm + input.tx_antenna_gain_dbi
        - input.tx_cable_loss_db
        - input.tx_other_losses_db;
    let isotropic_rx_power_dbm = eirp_dbm - input.path_loss_db - input.extra_path_losses_db;
    let rx_power_dbm = isotropic_rx_power_dbm + input.rx_antenna_gain_dbi
        - input.rx_cable_loss_db
        - input.rx_other_losses_db;
    let fade_margin_db = rx_power_dbm - input.rx_sensitivity_dbm;
    Ok(LinkBudget {
        eirp_dbm,
        eirp_w: dbm_to_watts(eirp_dbm),
        isotropic_rx_power_dbm,
        rx_power_dbm,
        rx_power_w: dbm_to_watts(rx_power_dbm),
        fade_margin_db,
        link_closes: fade_margin_db >= 0.0,
    })
}

/// A microwave hop: the budget plus what rain (and optionally multipath) needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MicrowaveHopInput {
    /// The clear-sky budget.
    pub budget: LinkBudgetInput,
    /// Carrier frequency (GHz).
    pub freq_ghz: f64,
    /// Hop length (km).
    pub path_km: f64,
    /// Rain rate exceeded 0.01 % of an average year (mm/h); see
    /// [`rain::R001_KAZAKHSTAN_DEFAULT_MM_H`] for the planning default.
    pub r001_mm_h: f64,
    /// Polarisation.
    pub polarization: Polarization,
    /// Multipath inputs (`None` to skip the multipath estimate). Path length and frequency
    /// are taken from this struct's own fields.
    pub multipath: Option<MultipathSite>,
}

/// Site data for the P.530 multipath estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MultipathSite {
    /// Transmitting antenna altitude above sea level (m).
    pub tx_antenna_amsl_m: f64,
    /// Receiving antenna altitude above sea level (m).
    pub rx_antenna_amsl_m: f64,
    /// P.453 refractivity gradient `dN1` (N-units/km).
    pub dn1_n_per_km: f64,
    /// Area terrain roughness `s_a` (m).
    pub terrain_roughness_m: f64,
}

/// Budget, rain fade and availability of a microwave hop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MicrowaveHopReport {
    /// Clear-sky budget.
    pub budget: LinkBudget,
    /// Rain attenuation for 0.01 % of the year.
    pub rain: RainFade,
    /// Rain attenuation for 0.1 % of the year (dB).
    pub rain_attenuation_01_db: f64,
    /// Rain attenuation for 0.001 % of the year (dB).
    pub rain_attenuation_0001_db: f64,
    /// How often rain exceeds the fade margin (average year).
    pub rain_outage: RainOutage,
    /// Multipath fading beyond the fade margin in the average worst month, if asked for.
    pub multipath: Option<MultipathFade>,
}

/// Link budget of a microwave hop with its rain outage (P.838-3 / P.530-17) and optional
/// multipath estimate (P.530-17 §2.3, average worst month).
///
/// # Errors
/// [`BudgetError`] for unusable budget inputs, [`BudgetError::Rain`] for rain/multipath ones.
pub fn microwave_hop(input: &MicrowaveHopInput) -> Result<MicrowaveHopReport, BudgetError> {
    let budget = link_budget(&input.budget)?;
    let rain = rain::rain_fade(&rain::RainFadeInput {
        freq_ghz: input.freq_ghz,
        path_km: input.path_km,
        r001_mm_h: input.r001_mm_h,
        polarization: input.polarization,
    })?;
    let a001 = rain.attenuation_001_db;
    let rain_attenuation_01_db = rain::attenuation_exceeded_db(a001, input.freq_ghz, 0.1)?;
    let rain_attenuation_0001_db = rain::attenuation_exceeded_db(a001, input.freq_ghz, 0.001)?;
    let rain_outage = rain::percent_time_exceeded(a001, input.freq_ghz, budget.fade_margin_db)?;
    let multipath = match input.multipath {
        None => None,
        Some(site) => Some(rain::multipath_fade(
            &MultipathInput {
                path_km: input.path_km,
                freq_ghz: input.freq_ghz,
                tx_antenna_amsl_m: site.tx_antenna_amsl_m,
                rx_antenna_amsl_m: site.rx_antenna_amsl_m,
                dn1_n_per_km: site.dn1_n_per_km,
                terrain_roughness_m: site.terrain_roughness_m,
            },
            budget.fade_margin_db.max(0.0),
        )?),
    };
    Ok(MicrowaveHopReport {
        budget,
        rain,
        rain_attenuation_01_db,
        rain_attenuation_0001_db,
        rain_outage,
        multipath,
    })
}
