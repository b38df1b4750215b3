//! Okumura-Hata (Hata 1980, ITU-R P.529) and COST-231-Hata (COST 231 Final Report §4.4)
//! empirical median path loss for land-mobile links: quick estimates for macro cells where no
//! terrain profile is at hand. Outside their validity ranges they extrapolate; use
//! [`hata_in_validity_range`] / [`cost231_in_validity_range`] to tell.

use serde::{Deserialize, Serialize};

/// Environment of the Okumura-Hata formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HataEnvironment {
    /// Urban, small or medium city.
    UrbanSmallMediumCity,
    /// Urban, large city (different mobile-antenna correction).
    UrbanLargeCity,
    /// Suburban.
    Suburban,
    /// Open (rural) area.
    Open,
}

/// Environment of the COST-231-Hata formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cost231Environment {
    /// Medium city and suburban centres (C_m = 0 dB).
    MediumCitySuburban,
    /// Metropolitan centres (C_m = 3 dB).
    MetropolitanCentre,
}

/// Mobile-antenna height correction a(h_m) for small and medium cities, dB.
fn a_hm_small_medium(freq_mhz: f64, h_mobile_m: f64) -> f64 {
    let lf = freq_mhz.log10();
    (1.1 * lf - 0.7) * h_mobile_m - (1.56 * lf - 0.8)
}

/// Mobile-antenna height correction a(h_m) for large cities, dB.
fn a_hm_large(freq_mhz: f64, h_mobile_m: f64) -> f64 {
    if freq_mhz <= 200.0 {
        let l = (1.54 * h_mobile_m).log10();
        8.29 * l * l - 1.1
    } else {
        let l = (11.75 * h_mobile_m).log10();
        3.2 * l * l - 4.97
    }
}

/// Okumura-Hata median basic transmission loss, dB. Frequency in MHz, base and mobile antenna
/// heights in m, distance in m (the formula itself works in km).
#[must_use]
pub fn hata_loss_db(
    env: HataEnvironment,
    freq_mhz: f64,
    h_base_m: f64,
    h_mobile_m: f64,
    distance_m: f64,
) -> f64 {
    let lf = freq_mhz.log10();
    let lhb = h_base_m.log10();
    let ld = (distance_m / 1000.0).log10();
    let urban = |a_hm: f64| 69.55 + 26.16 * lf - 13.82 * lhb - a_hm + (44.9 - 6.55 * lhb) * ld;
    let small = urban(a_hm_small_medium(freq_mhz, h_mobile_m));
    match env {
        HataEnvironment::UrbanSmallMediumCity => small,
        HataEnvironment::UrbanLargeCity => urban(a_hm_large(freq_mhz, h_mobile_m)),
        HataEnvironment::Suburban => {
            let l = (freq_mhz / 28.0).log10();
            small - 2.0 * l * l - 5.4
        }
        HataEnvironment::Open => small - 4.78 * lf * lf + 18.33 * lf - 40.94,
    }
}

/// COST-231-Hata median basic transmission loss, dB (units as [`hata_loss_db`]).
#[must_use]
pub fn cost231_hata_loss_db(
    env: Cost231Environment,
    freq_mhz: f64,
    h_base_m: f64,
    h_mobile_m: f64,
    distance_m: f64,
) -> f64 {
    let lf = freq_mhz.log10();
    let lhb = h_base_m.log10();
    let ld = (distance_m / 1000.0).log10();
    let c_m = match env {
        Cost231Environment::MediumCitySuburban => 0.0,
        Cost231Environment::MetropolitanCentre => 3.0,
    };
    46.3 + 33.9 * lf - 13.82 * lhb - a_hm_small_medium(freq_mhz, h_mobile_m)
        + (44.9 - 6.55 * lhb) * ld
        + c_m
}

/// Whether the inputs lie in Hata's published range: 150–1500 MHz, base 30–200 m, mobile
/// 1–10 m, 1–20 km.
#[must_use]
pub fn hata_in_validity_range(
    freq_mhz: f64,
    h_base_m: f64,
    h_mobile_m: f64,
    distance_m: f64,
) -> bool {
    (150.0..=1500.0).contains(&freq_mhz) && common_range(h_base_m, h_mobile_m, distance_m)
}

/// Whether the inputs lie in COST-231-Hata's published range: 1500–2000 MHz, other ranges as
/// Hata.
#[must_use]
pub fn cost231_in_validity_range(
    freq_mhz: f64,
    h_base_m: f64,
    h_mobile_m: f64,
    distance_m: f64,
) -> bool {
    (1500.0..=2000.0).contains(&freq_mhz) && common_range(h_base_m, h_mobile_m, distance_m)
}

fn common_range(h_base_m: f64, h_mobile_m: f64, distance_m: f64) -> bool {
    (30.0..=200.0).contains(&h_base_m)
        && (1.0..=10.0).contains(&h_mobile_m)
        && (1000.0..=20_000.0).contains(&distance_m)
}
