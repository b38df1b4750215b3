//! Rain fading of terrestrial microwave links (ITU-R P.838-3, ITU-R P.530-17) and the
//! multipath fade occurrence of P.530-17 §2.3.
//!
//! * Specific attenuation `γ = k·R^α` (dB/km) with `k`, `α` from the P.838-3 regression
//!   (equations (2)–(5), coefficient Tables 1–4, valid 1–1000 GHz), for any polarisation tilt
//!   and path elevation. Checked against the ITU-R Study Group 3 validation examples (see
//!   `fixtures/radio-itu/`).
//! * Path attenuation exceeded for 0.01 % of an average year per P.530-17 §2.4.1 steps 3–4:
//!   distance factor `r = 1 / (0.477·d^0.633·R^(0.073α)·f^0.123 − 10.579·(1 − e^(−0.024 d)))`,
//!   with the P.530-17 cap `r <= 2.5` (a denominator below 0.4 uses 2.5), `A0.01 = γ·r·d`.
//!   P.530-18 keeps the same equations for this step.
//! * Other percentages `p` (0.001–1 %): `Ap = A0.01·C1·p^−(C2 + C3·log10 p)` with
//!   `C0 = 0.12 + 0.4·log10((f/10)^0.8)` above 10 GHz (0.12 below), `C1 = 0.07^C0·0.12^(1−C0)`,
//!   `C2 = 0.855·C0 + 0.546·(1−C0)`, `C3 = 0.139·C0 + 0.043·(1−C0)` (§2.4.1 step 5).
//!   [`percent_time_exceeded`] inverts it exactly (a quadratic in `log10 p`).
//! * Multipath (P.530-17 §2.3.1 steps 1–3 for detailed link design, and the all-fade-depth
//!   interpolation of §2.3.2): average-worst-month percentage of time a fade depth is exceeded.
//!   `K = 10^(−4.4 − 0.0027·dN1)·(10 + s_a)^−0.46`, `|ε_p| = |h_r − h_e| / d`,
//!   `p_w = K·d^3.4·(1 + |ε_p|)^−1.03·f^0.8·10^(−0.00076·h_L − A/10)`.
//!
//! Model note (found by this crate's property tests): with the P.530-17 distance factor, `A0.01`
//! is not monotone in path length beyond about 38 km, nor in rain rate beyond about 28 km, for
//! some frequency/rain combinations; it is monotone on shorter hops.
//!
//! Rain rate `R0.01` (mm/h, 1-min integration, exceeded 0.01 % of an average year) is an input.
//! [`R001_KAZAKHSTAN_DEFAULT_MM_H`] is an assumption for planning when no local value is known.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Default `R0.01` (mm/h) for Kazakhstan when no local statistic is known. **Assumption**: the
/// ITU-R P.837 maps give roughly 20–30 mm/h over most of the country (arid steppe and desert;
/// more in the southern and eastern foothills), and the project's cost reference classes most of
/// Kazakhstan as a low-rain region (`../shared/reference/costs.md`, e3nb "low rain" hop lengths).
/// The value was not read from the P.837 digital map; replace it with the P.837 value at the hop.
pub const R001_KAZAKHSTAN_DEFAULT_MM_H: f64 = 25.0;

/// Valid frequency range of the P.838-3 regression (GHz).
pub const P838_FREQ_RANGE_GHZ: (f64, f64) = (1.0, 1000.0);
/// Percentage range in which the P.530 power law is specified (%).
pub const P530_PERCENT_RANGE: (f64, f64) = (0.001, 1.0);
/// Largest distance factor recommended by P.530-17 §2.4.1 step 3.
pub const P530_MAX_DISTANCE_FACTOR: f64 = 2.5;

/// Largest accepted rain rate (mm/h); the heaviest 1-min rates on record are below 2000.
const MAX_RAIN_RATE_MM_H: f64 = 2000.0;
/// Longest accepted hop (km).
const MAX_PATH_KM: f64 = 1000.0;
/// Largest accepted attenuation or fade depth (dB).
const MAX_DB: f64 = 1.0e4;

/// Why a rain or multipath computation was refused.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum RainError {
    /// Frequency outside 1–1000 GHz (P.838-3 validity) or not finite.
    #[error("frequency {freq_ghz} GHz outside 1..1000 GHz")]
    InvalidFrequency {
        /// Value given.
        freq_ghz: f64,
    },
    /// Rain rate must be finite and within 0..2000 mm/h.
    #[error("invalid rain rate {rain_rate_mm_h} mm/h")]
    InvalidRainRate {
        /// Value given.
        rain_rate_mm_h: f64,
    },
    /// Path length must be finite, positive and at most 1000 km.
    #[error("invalid path length {path_km} km")]
    InvalidPathLength {
        /// Value given.
        path_km: f64,
    },
    /// Percentage of time must be finite and within (0, 100] %.
    #[error("invalid percentage of time {percent} %")]
    InvalidPercent {
        /// Value given.
        percent: f64,
    },
    /// Attenuation, fade depth or margin must be finite and within ±10 000 dB.
    #[error("invalid {what} {value_db} dB")]
    InvalidDb {
        /// Which quantity.
        what: &'static str,
        /// Value given.
        value_db: f64,
    },
    /// An angle (elevation within ±90°, tilt) must be finite.
    #[error("invalid {what} angle {value_deg}°")]
    InvalidAngle {
        /// Which angle.
        what: &'static str,
        /// Value given.
        value_deg: f64,
    },
    /// A multipath input (refractivity gradient, roughness, antenna altitude) is out of range.
    #[error("invalid multipath input {what} = {value}")]
    InvalidMultipathInput {
        /// Which input.
        what: &'static str,
        /// Value given.
        value: f64,
    },
}

/// Antenna polarisation, as the P.838 tilt angle τ relative to the horizontal.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarization {
    /// Horizontal (τ = 0°): the worse case for rain.
    Horizontal,
    /// Vertical (τ = 90°).
    Vertical,
    /// Circular (τ = 45°).
    Circular,
    /// Linear at `tilt_deg` from the horizontal.
    Tilted {
        /// Tilt angle τ (degrees).
        tilt_deg: f64,
    },
}

impl Polarization {
    /// Tilt angle τ (degrees) used by P.838-3 equations (4) and (5).
    #[must_use]
    pub fn tilt_deg(self) -> f64 {
        match self {
            Self::Horizontal => 0.0,
            Self::Vertical => 90.0,
            Self::Circular => 45.0,
            Self::Tilted { tilt_deg } => tilt_deg,
        }
    }
}

/// P.838-3 coefficients for horizontal and vertical polarisation at one frequency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct P838HvCoefficients {
    /// Frequency (GHz).
    pub freq_ghz: f64,
    /// `k_H`.
    pub k_h: f64,
    /// `α_H`.
    pub alpha_h: f64,
    /// `k_V`.
    pub k_v: f64,
    /// `α_V`.
    pub alpha_v: f64,
}

/// P.838-3 coefficients for a given polarisation and path elevation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RainCoefficients {
    /// `k` of `γ = k·R^α`.
    pub k: f64,
    /// `α` of `γ = k·R^α`.
    pub alpha: f64,
}

impl RainCoefficients {
    /// Specific attenuation `γ = k·R^α` (dB/km) at `rain_rate_mm_h`.
    #[must_use]
    pub fn specific_attenuation_db_per_km(&self, rain_rate_mm_h: f64) -> f64 {
        self.k * rain_rate_mm_h.powf(self.alpha)
    }
}

/// One Gaussian-sum regression of P.838-3: `Σ a_j·exp(−((log f − b_j)/c_j)²) + m·log f + c`.
struct Regression<const N: usize> {
    a: [f64; N],
    b: [f64; N],
    c: [f64; N],
    m: f64,
    c0: f64,
}

impl<const N: usize> Regression<N> {
    fn eval(&self, log_f: f64) -> f64 {
        let mut sum = self.m * log_f + self.c0;
        for j in 0..N {
            let x = (log_f - self.b[j]) / self.c[j];
            sum += self.a[j] * (-x * x).exp();
        }
        sum
    }
}

/// P.838-3 Table 1: coefficients for `log10 k_H`.
const K_H: Regression<4> = Regression {
    a: [-5.339_80, -0.353_51, -0.237_89, -0.941_58],
    b: [-0.100_08, 1.269_70, 0.860_36, 0.645_52],
    c: [1.130_98, 0.454_00, 0.153_54, 0.168_17],
    m: -0.189_61,
    c0: 0.711_47,
};

/// P.838-3 Table 2: coefficients for `log10 k_V`.
const K_V: Regression<4> = Regression {
    a: [-3.805_95, -3.449_65, -0.399_02, 0.501_67],
    b: [0.569_34, -0.229_11, 0.730_42, 1.073_19],
    c: [0.810_61, 0.510_59, 0.118_99, 0.271_95],
    m: -0.163_98,
    c0: 0.632_97,
};

/// P.838-3 Table 3: coefficients for `α_H`.
const ALPHA_H: Regression<5> = Regression {
    a: [-0.143_18, 0.295_91, 0.321_77, -5.376_10, 16.172_1],
    b: [1.824_42, 0.775_64, 0.637_73, -0.962_30, -3.299_80],
    c: [-0.551_87, 0.198_22, 0.131_64, 1.478_28, 3.439_90],
    m: 0.678_49,
    c0: -1.955_37,
};

/// P.838-3 Table 4: coefficients for `α_V`.
const ALPHA_V: Regression<5> = Regression {
    a: [-0.077_71, 0.567_27, -0.202_38, -48.299_1, 48.583_3],
    b: [2.338_40, 0.955_45, 1.145_20, 0.791_669, 0.791_459],
    c: [-0.762_84, 0.540_39, 0.268_09, 0.116_226, 0.116_479],
    m: -0.053_739,
    c0: 0.834_33,
};

fn validate_freq(freq_ghz: f64) -> Result<(), RainError> {
    if freq_ghz.is_finite() && (P838_FREQ_RANGE_GHZ.0..=P838_FREQ_RANGE_GHZ.1).contains(&freq_ghz) {
        Ok(())
    } else {
        Err(RainError::InvalidFrequency { freq_ghz })
    }
}

fn validate_rain(rain_rate_mm_h: f64) -> Result<(), RainError> {
    if rain_rate_mm_h.is_finite() && (0.0..=MAX_RAIN_RATE_MM_H).contains(&rain_rate_mm_h) {
        Ok(())
    } else {
        Err(RainError::InvalidRainRate { rain_rate_mm_h })
    }
}

fn validate_path(path_km: f64) -> Result<(), RainError> {
    if path_km.is_finite() && path_km > 0.0 && path_km <= MAX_PATH_KM {
        Ok(())
    } else {
        Err(RainError::InvalidPathLength { path_km })
    }
}

fn validate_db(what: &'static str, value_db: f64) -> Result<(), RainError> {
    if value_db.is_finite() && value_db.abs() <= MAX_DB {
        Ok(())
    } else {
        Err(RainError::InvalidDb { what, value_db })
    }
}

fn validate_angle(what: &'static str, value_deg: f64, limit_deg: f64) -> Result<(), RainError> {
    if value_deg.is_finite() && value_deg.abs() <= limit_deg {
        Ok(())
    } else {
        Err(RainError::InvalidAngle { what, value_deg })
    }
}

/// P.838-3 `k_H`, `α_H`, `k_V`, `α_V` at `freq_ghz` (equations (2) and (3), Tables 1–4).
///
/// # Errors
/// [`RainError::InvalidFrequency`] outside 1–1000 GHz.
pub fn p838_hv_coefficients(freq_ghz: f64) -> Result<P838HvCoefficients, RainError> {
    validate_freq(freq_ghz)?;
    let log_f = freq_ghz.log10();
    Ok(P838HvCoefficients {
        freq_ghz,
        k_h: 10f64.powf(K_H.eval(log_f)),
        alpha_h: ALPHA_H.eval(log_f),
        k_v: 10f64.powf(K_V.eval(log_f)),
        alpha_v: ALPHA_V.eval(log_f),
    })
}

/// P.838-3 `k` and `α` for a path at `elevation_deg` and polarisation tilt `tilt_deg`
/// (equations (4) and (5)); 0° elevation for terrestrial hops.
///
/// # Errors
/// [`RainError::InvalidFrequency`] or [`RainError::InvalidAngle`].
pub fn p838_coefficients(
    freq_ghz: f64,
    elevation_deg: f64,
    tilt_deg: f64,
) -> Result<RainCoefficients, RainError> {
    validate_angle("elevation", elevation_deg, 90.0)?;
    validate_angle("polarisation tilt", tilt_deg, 360.0)?;
    let hv = p838_hv_coefficients(freq_ghz)?;
    let cos_el = elevation_deg.to_radians().cos();
    let weight = cos_el * cos_el * (2.0 * tilt_deg.to_radians()).cos();
    let k = (hv.k_h + hv.k_v + (hv.k_h - hv.k_v) * weight) / 2.0;
    let kah = hv.k_h * hv.alpha_h;
    let kav = hv.k_v * hv.alpha_v;
    let alpha = (kah + kav + (kah - kav) * weight) / (2.0 * k);
    Ok(RainCoefficients { k, alpha })
}

/// Specific rain attenuation (dB/km) per P.838-3 on a terrestrial (0° elevation) path.
///
/// # Errors
/// Invalid frequency, rain rate or tilt.
pub fn specific_attenuation_db_per_km(
    freq_ghz: f64,
    rain_rate_mm_h: f64,
    polarization: Polarization,
) -> Result<f64, RainError> {
    validate_rain(rain_rate_mm_h)?;
    let c = p838_coefficients(freq_ghz, 0.0, polarization.tilt_deg())?;
    Ok(c.specific_attenuation_db_per_km(rain_rate_mm_h))
}

/// P.530-17 §2.4.1 step 3 distance factor `r` (capped at 2.5).
#[must_use]
pub fn p530_distance_factor(path_km: f64, freq_ghz: f64, r001_mm_h: f64, alpha: f64) -> f64 {
    let denominator =
        0.477 * path_km.powf(0.633) * r001_mm_h.powf(0.073 * alpha) * freq_ghz.powf(0.123)
            - 10.579 * (1.0 - (-0.024 * path_km).exp());
    if denominator < 1.0 / P530_MAX_DISTANCE_FACTOR {
        P530_MAX_DISTANCE_FACTOR
    } else {
        1.0 / denominator
    }
}

/// Inputs of a rain-fade prediction for one hop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RainFadeInput {
    /// Carrier frequency (GHz).
    pub freq_ghz: f64,
    /// Hop length (km).
    pub path_km: f64,
    /// Rain rate exceeded 0.01 % of an average year, 1-min integration (mm/h).
    pub r001_mm_h: f64,
    /// Polarisation.
    pub polarization: Polarization,
}

/// P.530-17 rain attenuation of a hop for 0.01 % of an average year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RainFade {
    /// Inputs used.
    pub input: RainFadeInput,
    /// P.838-3 `k`.
    pub k: f64,
    /// P.838-3 `α`.
    pub alpha: f64,
    /// Specific attenuation at `R0.01` (dB/km).
    pub specific_attenuation_db_per_km: f64,
    /// Distance factor `r` (P.530-17 §2.4.1 step 3, capped at 2.5).
    pub distance_factor: f64,
    /// True when the 2.5 cap applied.
    pub distance_factor_capped: bool,
    /// Effective path length `r·d` (km).
    pub effective_path_km: f64,
    /// Attenuation exceeded 0.01 % of an average year (dB).
    pub attenuation_001_db: f64,
}

/// Rain attenuation exceeded for 0.01 % of an average year on a terrestrial hop (P.530-17
/// §2.4.1 steps 2–4).
///
/// # Errors
/// Invalid frequency, path length, rain rate or polarisation tilt.
pub fn rain_fade(input: &RainFadeInput) -> Result<RainFade, RainError> {
    validate_path(input.path_km)?;
    validate_rain(input.r001_mm_h)?;
    let c = p838_coefficients(input.freq_ghz, 0.0, input.polarization.tilt_deg())?;
    let gamma = c.specific_attenuation_db_per_km(input.r001_mm_h);
    let r = p530_distance_factor(input.path_km, input.freq_ghz, input.r001_mm_h, c.alpha);
    let effective_path_km = r * input.path_km;
    Ok(RainFade {
        input: *input,
        k: c.k,
        alpha: c.alpha,
        specific_attenuation_db_per_km: gamma,
        distance_factor: r,
        distance_factor_capped: r >= P530_MAX_DISTANCE_FACTOR,
        effective_path_km,
        attenuation_001_db: gamma * effective_path_km,
    })
}

/// The P.530-17 §2.4.1 step 5 coefficients `C1`, `C2`, `C3` at `freq_ghz`.
#[must_use]
pub fn p530_percentage_coefficients(freq_ghz: f64) -> (f64, f64, f64) {
    let c0 = if freq_ghz >= 10.0 {
        0.12 + 0.4 * (freq_ghz / 10.0).powf(0.8).log10()
    } else {
        0.12
    };
    let c1 = 0.07f64.powf(c0) * 0.12f64.powf(1.0 - c0);
    let c2 = 0.855 * c0 + 0.546 * (1.0 - c0);
    let c3 = 0.139 * c0 + 0.043 * (1.0 - c0);
    (c1, c2, c3)
}

/// Attenuation (dB) exceeded for `percent` % of an average year, scaled from `A0.01` with the
/// P.530-17 power law. Specified for 0.001–1 %; values outside are extrapolated.
///
/// # Errors
/// Invalid frequency, attenuation or percentage.
pub fn attenuation_exceeded_db(
    attenuation_001_db: f64,
    freq_ghz: f64,
    percent: f64,
) -> Result<f64, RainError> {
    validate_freq(freq_ghz)?;
    validate_db("A0.01", attenuation_001_db)?;
    if !(percent.is_finite() && percent > 0.0 && percent <= 100.0) {
        return Err(RainError::InvalidPercent { percent });
    }
    let (c1, c2, c3) = p530_percentage_coefficients(freq_ghz);
    let lp = percent.log10();
    Ok(attenuation_001_db * c1 * 10f64.powf(-(c2 + c3 * lp) * lp))
}

/// Fade margin (dB) needed against rain for `availability_percent` of an average year
/// (e.g. 99.99 → the attenuation exceeded 0.01 % of the time), from the hop's `A0.01`.
///
/// # Errors
/// Invalid frequency or attenuation, or an availability outside [0, 100) %.
pub fn required_fade_margin_db(
    attenuation_001_db: f64,
    freq_ghz: f64,
    availability_percent: f64,
) -> Result<f64, RainError> {
    if !(availability_percent.is_finite() && (0.0..100.0).contains(&availability_percent)) {
        return Err(RainError::InvalidPercent {
            percent: availability_percent,
        });
    }
    attenuation_exceeded_db(attenuation_001_db, freq_ghz, 100.0 - availability_percent)
}

/// How often rain exceeds a fade margin, from inverting the P.530 power law.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RainOutage {
    /// Percentage of an average year the attenuation exceeds the margin (%).
    pub percent_time: f64,
    /// `100 − percent_time` (%).
    pub availability_percent: f64,
    /// Outage per average year (minutes).
    pub outage_minutes_per_year: f64,
    /// True when `percent_time` lies in 0.001–1 %, where P.530 specifies the power law; outside
    /// it the figure is an extrapolation of the same law.
    pub within_p530_range: bool,
}

impl RainOutage {
    fn from_percent(percent_time: f64) -> Self {
        Self {
            percent_time,
            availability_percent: 100.0 - percent_time,
            outage_minutes_per_year: percent_time / 100.0 * 365.25 * 24.0 * 60.0,
            // Relative slack of 1e-9 so that the range ends survive a round trip.
            within_p530_range: (P530_PERCENT_RANGE.0 * (1.0 - 1e-9)
                ..=P530_PERCENT_RANGE.1 * (1.0 + 1e-9))
                .contains(&percent_time),
        }
    }
}

/// Percentage of an average year the rain attenuation exceeds `attenuation_db` (the fade
/// margin), given the hop's `A0.01`.
///
/// Exact inverse of [`attenuation_exceeded_db`]: with `x = log10 p`,
/// `C3·x² + C2·x + log10(A / (C1·A0.01)) = 0`, taking the root on the decreasing branch. A
/// margin at or below 0 dB gives 100 %; a margin above the law's maximum (or `A0.01 = 0`)
/// gives the vertex of the law, which is far below 0.001 %; results are clamped to
/// `[0, 100]` %.
///
/// # Errors
/// Invalid frequency, attenuation or margin.
pub fn percent_time_exceeded(
    attenuation_001_db: f64,
    freq_ghz: f64,
    attenuation_db: f64,
) -> Result<RainOutage, RainError> {
    validate_freq(freq_ghz)?;
    validate_db("A0.01", attenuation_001_db)?;
    validate_db("fade margin", attenuation_db)?;
    if attenuation_001_db < 0.0 {
        return Err(RainError::InvalidDb {
            what: "A0.01",
            value_db: attenuation_001_db,
        });
    }
    if attenuation_db <= 0.0 {
        return Ok(RainOutage::from_percent(100.0));
    }
    let (c1, c2, c3) = p530_percentage_coefficients(freq_ghz);
    let vertex = -c2 / (2.0 * c3);
    let x = if attenuation_001_db <= 0.0 {
        vertex
    } else {
        let c = (attenuation_db / (c1 * attenuation_001_db)).log10();
        let disc = c2 * c2 - 4.0 * c3 * c;
        if disc < 0.0 {
            vertex
        } else {
            (-c2 + disc.sqrt()) / (2.0 * c3)
        }
    };
    let percent = 10f64.powf(x).clamp(0.0, 100.0);
    Ok(RainOutage::from_percent(percent))
}

/// Inputs of the P.530-17 §2.3.1 (detailed) multipath fading prediction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MultipathInput {
    /// Hop length (km).
    pub path_km: f64,
    /// Carrier frequency (GHz).
    pub freq_ghz: f64,
    /// Transmitting antenna altitude above sea level (m) (`h_e`).
    pub tx_antenna_amsl_m: f64,
    /// Receiving antenna altitude above sea level (m) (`h_r`).
    pub rx_antenna_amsl_m: f64,
    /// Point refractivity gradient in the lowest 65 m not exceeded for 1 % of an average year
    /// (N-units/km, negative), from the ITU-R P.453 map at the hop (`dN1`).
    pub dn1_n_per_km: f64,
    /// Area terrain roughness (m): standard deviation of terrain heights in a 110 km × 110 km
    /// area at 30″ resolution (`s_a`).
    pub terrain_roughness_m: f64,
}

/// Multipath fade prediction for the average worst month.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MultipathFade {
    /// Geoclimatic factor `K` (§2.3.1 step 1).
    pub geoclimatic_factor: f64,
    /// Path inclination |ε_p| (mrad) (§2.3.1 step 2).
    pub path_inclination_mrad: f64,
    /// Multipath occurrence factor `p0` (%): the deep-fade law at 0 dB.
    pub occurrence_factor_percent: f64,
    /// Fade depth asked about (dB).
    pub fade_depth_db: f64,
    /// Percentage of the average worst month the fade depth is exceeded (%), §2.3.2.
    pub worst_month_percent: f64,
}

/// Percentage of the average worst month that multipath fading exceeds `fade_depth_db`
/// (P.530-17 §2.3.1 steps 1–3 for `p0`, and the §2.3.2 method for all fade depths:
/// the deep-fade law above the transition depth `A_t = 25 + 1.2·log10 p0`, the interpolation
/// below it). P.530 states the method for hops of about 7.5–185 km and 2–37 GHz; it is applied
/// as given outside. P.530 notes that multipath fading can be neglected on hops shorter than
/// 5 km.
///
/// # Errors
/// [`RainError`] variants for out-of-range inputs.
pub fn multipath_fade(
    input: &MultipathInput,
    fade_depth_db: f64,
) -> Result<MultipathFade, RainError> {
    validate_path(input.path_km)?;
    validate_freq(input.freq_ghz)?;
    validate_db("fade depth", fade_depth_db)?;
    if fade_depth_db < 0.0 {
        return Err(RainError::InvalidDb {
            what: "fade depth",
            value_db: fade_depth_db,
        });
    }
    let check = |what: &'static str, value: f64, lo: f64, hi: f64| {
        if value.is_finite() && (lo..=hi).contains(&value) {
            Ok(())
        } else {
            Err(RainError::InvalidMultipathInput { what, value })
        }
    };
    check(
        "tx_antenna_amsl_m",
        input.tx_antenna_amsl_m,
        -1000.0,
        10_000.0,
    )?;
    check(
        "rx_antenna_amsl_m",
        input.rx_antenna_amsl_m,
        -1000.0,
        10_000.0,
    )?;
    check("dn1_n_per_km", input.dn1_n_per_km, -3000.0, 1000.0)?;
    check(
        "terrain_roughness_m",
        input.terrain_roughness_m,
        0.0,
        5000.0,
    )?;

    let d = input.path_km;
    let f = input.freq_ghz;
    let k = 10f64.powf(-4.4 - 0.0027 * input.dn1_n_per_km)
        * (10.0 + input.terrain_roughness_m).powf(-0.46);
    let eps = (input.rx_antenna_amsl_m - input.tx_antenna_amsl_m).abs() / d;
    let h_l = input.tx_antenna_amsl_m.min(input.rx_antenna_amsl_m);
    let deep = |a: f64| {
        k * d.powf(3.4)
            * (1.0 + eps).powf(-1.03)
            * f.powf(0.8)
            * 10f64.powf(-0.00076 * h_l - a / 10.0)
    };
    let p0 = deep(0.0);
    let a = fade_depth_db;
    let a_t = 25.0 + 1.2 * p0.log10();
    let pw = if a >= a_t {
        deep(a)
    } else {
        // §2.3.2 step 3b: interpolation between 0 dB and the transition depth.
        let p_t = p0 * 10f64.powf(-a_t / 10.0);
        if p_t >= 100.0 {
            // Fading so frequent that the interpolation has no room: always faded.
            return Ok(MultipathFade {
                geoclimatic_factor: k,
                path_inclination_mrad: eps,
                occurrence_factor_percent: p0,
                fade_depth_db,
                worst_month_percent: 100.0,
            });
        }
        let q_a_t = -20.0 * (-(-p_t / 100.0).ln_1p()).log10() / a_t;
        let q_t = (q_a_t - 2.0)
            / ((1.0 + 0.3 * 10f64.powf(-a_t / 20.0)) * 10f64.powf(-0.016 * a_t))
            - 4.3 * (10f64.powf(-a_t / 20.0) + a_t / 800.0);
        let q_a = 2.0
            + (1.0 + 0.3 * 10f64.powf(-a / 20.0))
                * 10f64.powf(-0.016 * a)
                * (q_t + 4.3 * (10f64.powf(-a / 20.0) + a / 800.0));
        100.0 * (1.0 - (-(10f64.powf(-q_a * a / 20.0))).exp())
    };
    Ok(MultipathFade {
        geoclimatic_factor: k,
        path_inclination_mrad: eps,
        occurrence_factor_percent: p0,
        fade_depth_db,
        worst_month_percent: pw.clamp(0.0, 100.0),
    })
}
