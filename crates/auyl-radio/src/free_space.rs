//! Free-space basic transmission loss (ITU-R P.525), in its exact form and in the two rounded
//! forms found in practice: P.525's 32.4 dB constant and the 32.45 dB constant of NTIA ITM.

/// Speed of light in vacuum, m/s.
pub const SPEED_OF_LIGHT_M_PER_S: f64 = 299_792_458.0;

/// Exact free-space basic transmission loss 20·log10(4π·d·f/c), dB, for a distance in metres
/// and a frequency in MHz. Increases with both; −∞ at zero distance.
#[must_use]
pub fn free_space_loss_db(distance_m: f64, freq_mhz: f64) -> f64 {
    let wavelength_m = SPEED_OF_LIGHT_M_PER_S / (freq_mhz * 1e6);
    20.0 * (4.0 * std::f64::consts::PI * distance_m / wavelength_m).log10()
}

/// ITU-R P.525 rounded form 32.4 + 20·log10(f_MHz) + 20·log10(d_km), dB.
#[must_use]
pub fn free_space_loss_p525_db(distance_m: f64, freq_mhz: f64) -> f64 {
    32.4 + 20.0 * freq_mhz.log10() + 20.0 * (distance_m / 1000.0).log10()
}

/// NTIA ITM's form 32.45 + 20·log10(f_MHz) + 20·log10(d_km), dB: the `A_fs__db` that ITM adds
/// to its reference attenuation.
#[must_use]
pub fn itm_free_space_loss_db(distance_m: f64, freq_mhz: f64) -> f64 {
    32.45 + 20.0 * freq_mhz.log10() + 20.0 * (distance_m / 1000.0).log10()
}
