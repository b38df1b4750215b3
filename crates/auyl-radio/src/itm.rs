//! Longley-Rice Irregular Terrain Model (ITM), point-to-point and area mode.
//!
//! Implemented from the published algorithm (Hufford, "The ITS Irregular Terrain Model, version
//! 1.2.2: The Algorithm", and the NTIA/ITS ITM documentation). The results follow the NTIA C++
//! reference (library 1.4.0): the same return codes (0, 1, 1000–1022), the same warning bits and
//! the same propagation modes; `tests/itm_vectors.rs` checks every shared reference vector.
//!
//! The work is split in two so that coverage sweeps can reuse the terrain analysis:
//!
//! * [`prepare_p2p`] analyses a terrain profile once for a pair of antenna heights and a surface
//!   refractivity (horizons, terrain irregularity Δh, effective heights), giving a
//!   [`PreparedPath`]; [`prepare_area`] does the same from area-mode statistics.
//! * [`evaluate`] runs the propagation model and the variability for a frequency, ground and
//!   percentages on a [`PreparedPath`]; it allocates nothing.
//!
//! [`p2p`] and [`area`] do both in one call, validating inputs in the NTIA order. [`itm_batch`]
//! evaluates many CSV-shaped cases on all cores.
//!
//! For a coverage raster, sample each radial once and call [`prepare_p2p`] on successive
//! prefixes of the same elevation slice (`&z[..=k]`, no copy): each prefix is an exact NTIA
//! point-to-point profile (its own mean height, N_s and horizons), and the [`PreparedPath`]
//! can then be evaluated for several frequencies, grounds or percentages without redoing the
//! terrain work. Both calls are pure and allocation-free, so radials can run on rayon.
//!
//! ```
//! use auyl_radio::itm::{ItmParams, Profile, Variability, evaluate, prepare_p2p};
//! let z = [100.0, 120.0, 180.0, 90.0, 95.0, 110.0];
//! let params = ItmParams { climate: 5, n_0: 301.0, freq_mhz: 900.0, pol: 1,
//!                          epsilon: 15.0, sigma: 0.005, mdvar: 1 };
//! let var = Variability::Tls { time_pct: 50.0, location_pct: 50.0, situation_pct: 50.0 };
//! for k in 1..z.len() {
//!     let prefix = Profile { resolution_m: 500.0, elevations_m: &z[..=k] };
//!     let path = prepare_p2p(prefix, 30.0, 10.0, 301.0)?;
//!     let loss_db = evaluate(&path, &params, var)?.a_db;
//!     assert!(loss_db > 0.0);
//! }
//! # Ok::<(), auyl_radio::itm::ItmError>(())
//! ```

mod batch;
mod model;
mod terrain;
mod variability;

pub use batch::{ItmCase, ItmProfile, ItmResult, VariabilityKind, itm_batch, itm_case};
pub use terrain::{RadialAnalysis, RadialRoughness, RoughnessNodes};

use serde::{Deserialize, Serialize};

/// Radio climate codes of ITM (`climate` input).
pub mod climate {
    /// Equatorial (Congo).
    pub const EQUATORIAL: i32 = 1;
    /// Continental subtropical (Sudan).
    pub const CONTINENTAL_SUBTROPICAL: i32 = 2;
    /// Maritime subtropical (west coast of Africa).
    pub const MARITIME_SUBTROPICAL: i32 = 3;
    /// Desert (Sahara).
    pub const DESERT: i32 = 4;
    /// Continental temperate: most of Kazakhstan.
    pub const CONTINENTAL_TEMPERATE: i32 = 5;
    /// Maritime temperate, over land (United Kingdom).
    pub const MARITIME_TEMPERATE_OVER_LAND: i32 = 6;
    /// Maritime temperate, over sea.
    pub const MARITIME_TEMPERATE_OVER_SEA: i32 = 7;
}

/// Polarisation codes of ITM (`pol` input).
pub mod polarization {
    /// Horizontal polarisation.
    pub const HORIZONTAL: i32 = 0;
    /// Vertical polarisation.
    pub const VERTICAL: i32 = 1;
}

/// Mode-of-variability codes of ITM (`mdvar` input); add 10 to drop location variability and 20
/// to drop direct situation variability.
pub mod mdvar {
    /// Single-message mode.
    pub const SINGLE_MESSAGE: i32 = 0;
    /// Accidental mode.
    pub const ACCIDENTAL: i32 = 1;
    /// Mobile mode.
    pub const MOBILE: i32 = 2;
    /// Broadcast mode.
    pub const BROADCAST: i32 = 3;
}

/// Radio and ground parameters of an ITM call, with the numeric codes of the NTIA interface so
/// that invalid values give the NTIA error code rather than a parse failure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ItmParams {
    /// Radio climate, 1–7 (see [`climate`]).
    pub climate: i32,
    /// Sea-level surface refractivity N_0, N-units (250–400).
    pub n_0: f64,
    /// Frequency, MHz (20–20 000).
    pub freq_mhz: f64,
    /// Polarisation, 0 horizontal or 1 vertical (see [`polarization`]).
    pub pol: i32,
    /// Relative permittivity of the ground.
    pub epsilon: f64,
    /// Ground conductivity, S/m.
    pub sigma: f64,
    /// Mode of variability: 0–3, plus 10 and/or 20 (see [`mdvar`]).
    pub mdvar: i32,
}

/// How the statistics of the result are requested.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Variability {
    /// Time, location and situation percentages (each strictly between 0 and 100).
    Tls {
        /// Time percentage.
        time_pct: f64,
        /// Location percentage.
        location_pct: f64,
        /// Situation percentage.
        situation_pct: f64,
    },
    /// Confidence and reliability percentages; ITM maps them to time = reliability,
    /// location = 50, situation = confidence.
    Cr {
        /// Confidence percentage.
        confidence_pct: f64,
        /// Reliability percentage.
        reliability_pct: f64,
    },
}

impl Variability {
    /// The (time, location, situation) triple that ITM evaluates.
    #[must_use]
    pub fn tls(self) -> (f64, f64, f64) {
        match self {
            Self::Tls {
                time_pct,
                location_pct,
                situation_pct,
            } => (time_pct, location_pct, situation_pct),
            Self::Cr {
                confidence_pct,
                reliability_pct,
            } => (reliability_pct, 50.0, confidence_pct),
        }
    }
}

/// ITM warning flags, bit for bit those of NTIA ITM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItmWarnings(pub u32);

impl ItmWarnings {
    /// No warning.
    pub const NONE: Self = Self(0);
    /// TX structural height outside 1–1000 m.
    pub const TX_TERMINAL_HEIGHT: Self = Self(0x0001);
    /// RX structural height outside 1–1000 m.
    pub const RX_TERMINAL_HEIGHT: Self = Self(0x0002);
    /// Frequency outside 40 MHz – 10 GHz.
    pub const FREQUENCY: Self = Self(0x0004);
    /// Path longer than 1000 km.
    pub const PATH_DISTANCE_TOO_BIG_1: Self = Self(0x0008);
    /// Path longer than 2000 km.
    pub const PATH_DISTANCE_TOO_BIG_2: Self = Self(0x0010);
    /// Path shorter than |h_e,tx − h_e,rx| / 0.2.
    pub const PATH_DISTANCE_TOO_SMALL_1: Self = Self(0x0020);
    /// Path shorter than 1 km.
    pub const PATH_DISTANCE_TOO_SMALL_2: Self = Self(0x0040);
    /// TX horizon angle above 200 mrad.
    pub const TX_HORIZON_ANGLE: Self = Self(0x0080);
    /// RX horizon angle above 200 mrad.
    pub const RX_HORIZON_ANGLE: Self = Self(0x0100);
    /// TX horizon closer than 1/10 of the smooth-earth horizon.
    pub const TX_HORIZON_DISTANCE_1: Self = Self(0x0200);
    /// RX horizon closer than 1/10 of the smooth-earth horizon.
    pub const RX_HORIZON_DISTANCE_1: Self = Self(0x0400);
    /// TX horizon farther than 3 times the smooth-earth horizon.
    pub const TX_HORIZON_DISTANCE_2: Self = Self(0x0800);
    /// RX horizon farther than 3 times the smooth-earth horizon.
    pub const RX_HORIZON_DISTANCE_2: Self = Self(0x1000);
    /// A requested percentage lies far in the tail (|z| > 3.1).
    pub const EXTREME_VARIABILITIES: Self = Self(0x2000);
    /// Surface refractivity N_s below 250 N-units.
    pub const SURFACE_REFRACTIVITY: Self = Self(0x4000);

    /// Whether no flag is set.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether all flags of `other` are set.
    #[must_use]
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    fn set(&mut self, flag: Self) {
        self.0 |= flag.0;
    }
}

/// Dominant propagation mode reported by ITM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum PropMode {
    /// Line of sight (code 1).
    LineOfSight = 1,
    /// Diffraction (code 2).
    Diffraction = 2,
    /// Troposcatter (code 3).
    Troposcatter = 3,
}

impl PropMode {
    /// The NTIA numeric code (1, 2 or 3).
    #[must_use]
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// NTIA ITM input-error return codes (1000–1022), plus auyl's own codes from 2000 for problems
/// that the NTIA interface cannot express (bad profile, unknown profile id, non-finite result).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(i32)]
#[non_exhaustive]
pub enum ItmErrorCode {
    /// TX structural height outside 0.5–3000 m.
    TxTerminalHeight = 1000,
    /// RX structural height outside 0.5–3000 m.
    RxTerminalHeight = 1001,
    /// Climate not in 1–7.
    InvalidRadioClimate = 1002,
    /// Time percentage not in (0, 100).
    InvalidTime = 1003,
    /// Location percentage not in (0, 100).
    InvalidLocation = 1004,
    /// Situation percentage not in (0, 100).
    InvalidSituation = 1005,
    /// Confidence percentage not in (0, 100).
    InvalidConfidence = 1006,
    /// Reliability percentage not in (0, 100).
    InvalidReliability = 1007,
    /// N_0 outside 250–400.
    Refractivity = 1008,
    /// Frequency outside 20–20 000 MHz.
    Frequency = 1009,
    /// Polarisation not 0 or 1.
    Polarization = 1010,
    /// Relative permittivity below 1.
    Epsilon = 1011,
    /// Conductivity not positive.
    Sigma = 1012,
    /// Ground impedance with imaginary part not smaller than its real part.
    GroundImpedance = 1013,
    /// Mode of variability not one of 0–3, 10–13, 20–23, 30–33.
    Mdvar = 1014,
    /// Effective earth radius outside 4000–13 333 km.
    EffectiveEarth = 1016,
    /// Area-mode path distance not positive.
    PathDistance = 1017,
    /// Area-mode Δh negative.
    DeltaH = 1018,
    /// TX siting criteria not 0–2.
    TxSitingCriteria = 1019,
    /// RX siting criteria not 0–2.
    RxSitingCriteria = 1020,
    /// Surface refractivity N_s below 150.
    SurfaceRefractivitySmall = 1021,
    /// Surface refractivity N_s above 400.
    SurfaceRefractivityLarge = 1022,
    /// auyl: profile with fewer than 2 points, a non-positive spacing or non-finite values.
    InvalidProfile = 2000,
    /// auyl: the case names a profile that was not supplied.
    UnknownProfile = 2001,
    /// auyl: the model produced a non-finite value (input far outside ITM's domain).
    NonFinite = 2002,
    /// auyl: a CSV case lacks a percentage its variability kind needs.
    MissingPercentage = 2003,
}

impl ItmErrorCode {
    /// The numeric return code.
    #[must_use]
    pub fn rc(self) -> i32 {
        self as i32
    }
}

impl std::fmt::Display for ItmErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?} ({})", self.rc())
    }
}

/// Why an ITM evaluation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ItmError {
    /// An input is outside ITM's domain; `value` is the offending input, `warnings` the flags
    /// raised before the check failed (as NTIA ITM reports them).
    #[error("ITM rejected its input: {code}, value {value}")]
    InvalidInput {
        /// The NTIA (or auyl) error code.
        code: ItmErrorCode,
        /// The value that failed the check.
        value: f64,
        /// Warning flags set before the failure.
        warnings: ItmWarnings,
    },
    /// The terrain profile cannot be used.
    #[error("invalid terrain profile: {reason}")]
    InvalidProfile {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A batch case names a profile that was not supplied.
    #[error("unknown profile id {profile_id:?}")]
    UnknownProfile {
        /// The missing id.
        profile_id: String,
    },
    /// A batch case lacks a percentage that its variability kind needs.
    #[error("case lacks the {column} percentage")]
    MissingPercentage {
        /// The missing column.
        column: &'static str,
    },
    /// The model produced a non-finite value (inputs far outside the model's domain).
    #[error("ITM produced a non-finite result")]
    NonFinite,
}

impl ItmError {
    /// The return code: NTIA's 1000–1022 or auyl's 2000+.
    #[must_use]
    pub fn code(&self) -> ItmErrorCode {
        match self {
            Self::InvalidInput { code, .. } => *code,
            Self::InvalidProfile { .. } => ItmErrorCode::InvalidProfile,
            Self::UnknownProfile { .. } => ItmErrorCode::UnknownProfile,
            Self::MissingPercentage { .. } => ItmErrorCode::MissingPercentage,
            Self::NonFinite => ItmErrorCode::NonFinite,
        }
    }

    /// Warning flags raised before the failure (empty for non-input errors).
    #[must_use]
    pub fn warnings(&self) -> ItmWarnings {
        match self {
            Self::InvalidInput { warnings, .. } => *warnings,
            _ => ItmWarnings::NONE,
        }
    }
}

fn invalid(code: ItmErrorCode, value: f64, warnings: ItmWarnings) -> ItmError {
    ItmError::InvalidInput {
        code,
        value,
        warnings,
    }
}

/// Values computed on the way, as NTIA ITM's `IntermediateValues`; index 0 is TX, 1 is RX.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Intermediate {
    /// Free-space basic transmission loss, dB.
    pub a_fs_db: f64,
    /// Reference attenuation (median loss relative to free space before variability), dB.
    pub a_ref_db: f64,
    /// Path distance, km.
    pub d_km: f64,
    /// Terminal horizon elevation angles, rad.
    pub theta_hzn_rad: [f64; 2],
    /// Terminal horizon distances, m.
    pub d_hzn_m: [f64; 2],
    /// Effective terminal heights, m.
    pub h_e_m: [f64; 2],
    /// Surface refractivity, N-units.
    pub n_s: f64,
    /// Terrain irregularity parameter Δh, m.
    pub delta_h_m: f64,
}

/// A successful ITM result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItmOutput {
    /// Basic transmission loss, dB.
    pub a_db: f64,
    /// Warning flags (return code 1 when not empty).
    pub warnings: ItmWarnings,
    /// Dominant propagation mode.
    pub prop_mode: PropMode,
    /// Intermediate values.
    pub intermediate: Intermediate,
}

impl ItmOutput {
    /// The NTIA return code: 0 without warnings, 1 with warnings.
    #[must_use]
    pub fn rc(&self) -> i32 {
        i32::from(!self.warnings.is_empty())
    }
}

/// A terrain profile in ITM's sense: equally spaced elevations from TX to RX.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile<'a> {
    /// Spacing between successive points, m.
    pub resolution_m: f64,
    /// Elevations above sea level, m; first is under the TX, last under the RX.
    pub elevations_m: &'a [f64],
}

/// Area-mode terminal siting criteria.
pub mod siting {
    /// Random siting.
    pub const RANDOM: i32 = 0;
    /// Careful siting.
    pub const CAREFUL: i32 = 1;
    /// Very careful siting.
    pub const VERY_CAREFUL: i32 = 2;
}

/// Area-mode path statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AreaPath {
    /// Path distance, km.
    pub d_km: f64,
    /// Terrain irregularity parameter Δh, m.
    pub delta_h_m: f64,
    /// TX siting criteria, 0–2 (see [`siting`]).
    pub tx_siting: i32,
    /// RX siting criteria, 0–2 (see [`siting`]).
    pub rx_siting: i32,
}

/// Whether a path was prepared from a profile or from area statistics (they weight the
/// diffraction clutter differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// Point-to-point, from a terrain profile.
    PointToPoint,
    /// Area mode, from Δh and siting criteria.
    Area,
}

/// The geometry ITM derives from the terrain: everything that depends on the profile, the
/// antenna heights and N_0 but not on frequency, ground or percentages. Compute it once with
/// [`prepare_p2p`] / [`prepare_area`] and [`evaluate`] it many times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PreparedPath {
    /// Point-to-point or area.
    pub kind: PathKind,
    /// Structural antenna heights (TX, RX), m.
    pub h_m: [f64; 2],
    /// Path distance, m.
    pub d_m: f64,
    /// Horizon angles (TX, RX), rad.
    pub theta_hzn_rad: [f64; 2],
    /// Horizon distances (TX, RX), m.
    pub d_hzn_m: [f64; 2],
    /// Effective antenna heights (TX, RX), m.
    pub h_e_m: [f64; 2],
    /// Terrain irregularity parameter, m.
    pub delta_h_m: f64,
    /// N_0 the path was prepared with, N-units.
    pub n_0: f64,
    /// Surface refractivity, N-units.
    pub n_s: f64,
    /// Effective earth curvature, 1/m.
    pub gamma_e: f64,
}

/// Checks the inputs common to both modes in NTIA's order, returning the warnings raised.
fn validate(
    h_m: [f64; 2],
    params: &ItmParams,
    (time, location, situation): (f64, f64, f64),
) -> Result<ItmWarnings, ItmError> {
    use ItmErrorCode as E;
    let mut w = ItmWarnings::NONE;
    let [h_tx, h_rx] = h_m;
    if !(1.0..=1000.0).contains(&h_tx) {
        w.set(ItmWarnings::TX_TERMINAL_HEIGHT);
    }
    if !(0.5..=3000.0).contains(&h_tx) {
        return Err(invalid(E::TxTerminalHeight, h_tx, w));
    }
    if !(1.0..=1000.0).contains(&h_rx) {
        w.set(ItmWarnings::RX_TERMINAL_HEIGHT);
    }
    if !(0.5..=3000.0).contains(&h_rx) {
        return Err(invalid(E::RxTerminalHeight, h_rx, w));
    }
    if !(1..=7).contains(&params.climate) {
        return Err(invalid(
            E::InvalidRadioClimate,
            f64::from(params.climate),
            w,
        ));
    }
    if !(250.0..=400.0).contains(&params.n_0) {
        return Err(invalid(E::Refractivity, params.n_0, w));
    }
    let f = params.freq_mhz;
    if !(40.0..=10_000.0).contains(&f) {
        w.set(ItmWarnings::FREQUENCY);
    }
    if !(20.0..=20_000.0).contains(&f) {
        return Err(invalid(E::Frequency, f, w));
    }
    if params.pol != polarization::HORIZONTAL && params.pol != polarization::VERTICAL {
        return Err(invalid(E::Polarization, f64::from(params.pol), w));
    }
    if params.epsilon.is_nan() || params.epsilon < 1.0 {
        return Err(invalid(E::Epsilon, params.epsilon, w));
    }
    if params.sigma.is_nan() || params.sigma <= 0.0 {
        return Err(invalid(E::Sigma, params.sigma, w));
    }
    let m = params.mdvar;
    if !((0..=3).contains(&m)
        || (10..=13).contains(&m)
        || (20..=23).contains(&m)
        || (30..=33).contains(&m))
    {
        return Err(invalid(E::Mdvar, f64::from(m), w));
    }
    let open = |p: f64| p > 0.0 && p < 100.0;
    if !open(situation) {
        return Err(invalid(E::InvalidSituation, situation, w));
    }
    if !open(time) {
        return Err(invalid(E::InvalidTime, time, w));
    }
    if !open(location) {
        return Err(invalid(E::InvalidLocation, location, w));
    }
    Ok(w)
}

/// Maps the TLS error codes for time and situation to the CR codes, as NTIA's CR entry points do.
fn cr_codes(err: ItmError, var: Variability) -> ItmError {
    match (err, var) {
        (
            ItmError::InvalidInput {
                code,
                value,
                warnings,
            },
            Variability::Cr { .. },
        ) => {
            let code = match code {
                ItmErrorCode::InvalidTime => ItmErrorCode::InvalidReliability,
                ItmErrorCode::InvalidSituation => ItmErrorCode::InvalidConfidence,
                c => c,
            };
            invalid(code, value, warnings)
        }
        (e, _) => e,
    }
}

/// Effective earth curvature (1/m) and surface refractivity from N_0 and the mean path height.
fn refractivity(n_0: f64, h_sys_m: f64) -> (f64, f64) {
    let n_s = if h_sys_m == 0.0 {
        n_0
    } else {
        n_0 * (-h_sys_m / 9460.0).exp()
    };
    let gamma_a = 157e-9;
    let gamma_e = gamma_a * (1.0 - 0.04665 * (n_s / 179.3).exp());
    (n_s, gamma_e)
}

/// Analyses a terrain profile for ITM point-to-point mode: mean path height and N_s, radio
/// horizons, Δh and effective heights. Allocation-free (O(n) in the number of points). Checks
/// the heights and N_0 as NTIA ITM does.
///
/// # Errors
/// [`ItmError::InvalidInput`] for heights or N_0 outside ITM's domain,
/// [`ItmError::InvalidProfile`] for a profile with fewer than 2 points, a non-positive spacing or
/// non-finite values.
pub fn prepare_p2p(
    profile: Profile<'_>,
    h_tx_m: f64,
    h_rx_m: f64,
    n_0: f64,
) -> Result<PreparedPath, ItmError> {
    terrain::prepare(profile, h_tx_m, h_rx_m, n_0)
}

/// Derives the path geometry of ITM area mode from Δh, distance and siting criteria.
///
/// # Errors
/// [`ItmError::InvalidInput`] with codes 1000/1001 (heights), 1008 (N_0), 1017 (distance),
/// 1018 (Δh), 1019/1020 (siting).
pub fn prepare_area(
    path: &AreaPath,
    h_tx_m: f64,
    h_rx_m: f64,
    n_0: f64,
) -> Result<PreparedPath, ItmError> {
    use ItmErrorCode as E;
    let w = ItmWarnings::NONE;
    if !(0.5..=3000.0).contains(&h_tx_m) {
        return Err(invalid(E::TxTerminalHeight, h_tx_m, w));
    }
    if !(0.5..=3000.0).contains(&h_rx_m) {
        return Err(invalid(E::RxTerminalHeight, h_rx_m, w));
    }
    if !(250.0..=400.0).contains(&n_0) {
        return Err(invalid(E::Refractivity, n_0, w));
    }
    check_area(path, w)?;
    let (n_s, gamma_e) = refractivity(n_0, 0.0);
    let h_m = [h_tx_m, h_rx_m];
    let dh = path.delta_h_m;
    let mut h_e_m = [0.0; 2];
    let mut d_hzn_m = [0.0; 2];
    let mut theta_hzn_rad = [0.0; 2];
    for (i, criteria) in [path.tx_siting, path.rx_siting].into_iter().enumerate() {
        let h = h_m[i];
        h_e_m[i] = if criteria == siting::RANDOM {
            h
        } else {
            let mut b = if criteria == siting::CAREFUL {
                4.0
            } else {
                9.0
            };
            if h < 5.0 {
                b *= (0.1 * std::f64::consts::PI * h).sin();
            }
            h + (1.0 + b) * (-(2.0 * h / dh.max(1e-3)).min(20.0)).exp()
        };
        let d_ls = (2.0 * h_e_m[i] / gamma_e).sqrt();
        d_hzn_m[i] = d_ls * (-0.07 * (dh / h_e_m[i].max(5.0)).sqrt()).exp();
        theta_hzn_rad[i] = (0.65 * dh * (d_ls / d_hzn_m[i] - 1.0) - 2.0 * h_e_m[i]) / d_ls;
    }
    Ok(PreparedPath {
        kind: PathKind::Area,
        h_m,
        d_m: path.d_km * 1000.0,
        theta_hzn_rad,
        d_hzn_m,
        h_e_m,
        delta_h_m: dh,
        n_0,
        n_s,
        gamma_e,
    })
}

fn check_area(path: &AreaPath, w: ItmWarnings) -> Result<(), ItmError> {
    use ItmErrorCode as E;
    if path.d_km.is_nan() || path.d_km <= 0.0 {
        return Err(invalid(E::PathDistance, path.d_km, w));
    }
    if path.delta_h_m.is_nan() || path.delta_h_m < 0.0 {
        return Err(invalid(E::DeltaH, path.delta_h_m, w));
    }
    if !(0..=2).contains(&path.tx_siting) {
        return Err(invalid(E::TxSitingCriteria, f64::from(path.tx_siting), w));
    }
    if !(0..=2).contains(&path.rx_siting) {
        return Err(invalid(E::RxSitingCriteria, f64::from(path.rx_siting), w));
    }
    Ok(())
}

/// Runs the Longley-Rice model and the variability on a prepared path. Pure and allocation-free;
/// this is the call to repeat over frequencies, grounds and percentages.
///
/// # Errors
/// [`ItmError::InvalidInput`] with the NTIA code of the first invalid input (checked in NTIA
/// order), or 1013/1016/1021/1022 from the model itself; [`ItmError::NonFinite`] if the inputs
/// drive the model to a non-finite value.
pub fn evaluate(
    path: &PreparedPath,
    params: &ItmParams,
    var: Variability,
) -> Result<ItmOutput, ItmError> {
    evaluate_inner(path, params, var).map_err(|e| cr_codes(e, var))
}

fn evaluate_inner(
    path: &PreparedPath,
    params: &ItmParams,
    var: Variability,
) -> Result<ItmOutput, ItmError> {
    let tls = var.tls();
    let warnings = validate(path.h_m, params, tls)?;
    let setup = RadioSetup::unchecked(*params, var);
    evaluate_core(path, &setup, warnings)
}

/// Everything of an ITM evaluation that depends only on the radio parameters and the requested
/// percentages (ground impedance, frequency powers, quantiles of the normal law, climate
/// factors), checked and computed once. Evaluating many paths with one setup
/// ([`evaluate_with`]) skips that work: the coverage and batch case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadioSetup {
    params: ItmParams,
    var: Variability,
    /// Warnings raised by the radio parameters themselves (frequency).
    warnings: ItmWarnings,
    radio: model::RadioTerms,
    stats: variability::VariabilityTerms,
}

impl RadioSetup {
    /// Checks the radio parameters and percentages (NTIA codes 1002–1014) and precomputes
    /// their terms.
    ///
    /// # Errors
    /// [`ItmError::InvalidInput`] with the code of the first invalid input, in NTIA order.
    pub fn new(params: &ItmParams, var: Variability) -> Result<Self, ItmError> {
        // Heights are checked per path; pass valid ones so only the radio inputs are judged.
        let warnings = validate([10.0, 10.0], params, var.tls()).map_err(|e| cr_codes(e, var))?;
        let mut setup = Self::unchecked(*params, var);
        setup.warnings = warnings;
        Ok(setup)
    }

    fn unchecked(params: ItmParams, var: Variability) -> Self {
        Self {
            params,
            var,
            warnings: ItmWarnings::NONE,
            radio: model::RadioTerms::new(
                params.freq_mhz,
                params.pol,
                params.epsilon,
                params.sigma,
            ),
            stats: variability::VariabilityTerms::new(
                var.tls(),
                params.freq_mhz,
                params.climate,
                params.mdvar,
            ),
        }
    }

    /// The radio parameters.
    #[must_use]
    pub fn params(&self) -> &ItmParams {
        &self.params
    }

    /// The requested percentages.
    #[must_use]
    pub fn variability(&self) -> Variability {
        self.var
    }
}

/// [`evaluate`] with a precomputed [`RadioSetup`]: only the path-dependent work remains. Gives
/// the same results as [`evaluate`] with the setup's parameters.
///
/// # Errors
/// 1000/1001 for antenna heights outside ITM's domain, 1008 if the path was prepared with
/// another N_0, and the model's own 1013/1016/1021/1022; [`ItmError::NonFinite`] as
/// [`evaluate`].
pub fn evaluate_with(path: &PreparedPath, setup: &RadioSetup) -> Result<ItmOutput, ItmError> {
    use ItmErrorCode as E;
    let mut warnings = ItmWarnings::NONE;
    for (i, h) in path.h_m.into_iter().enumerate() {
        let (warn, code) = if i == 0 {
            (ItmWarnings::TX_TERMINAL_HEIGHT, E::TxTerminalHeight)
        } else {
            (ItmWarnings::RX_TERMINAL_HEIGHT, E::RxTerminalHeight)
        };
        if !(1.0..=1000.0).contains(&h) {
            warnings.set(warn);
        }
        if !(0.5..=3000.0).contains(&h) {
            return Err(invalid(code, h, warnings));
        }
    }
    warnings.set(setup.warnings);
    evaluate_core(path, setup, warnings)
}

/// The model and the variability, inputs already checked.
fn evaluate_core(
    path: &PreparedPath,
    setup: &RadioSetup,
    mut warnings: ItmWarnings,
) -> Result<ItmOutput, ItmError> {
    let params = &setup.params;
    if (params.n_0 - path.n_0).abs() > 0.0 {
        // The path was prepared with another N_0: N_s and the earth curvature would be stale.
        return Err(invalid(ItmErrorCode::Refractivity, params.n_0, warnings));
    }
    let f = params.freq_mhz;
    let (a_ref_db, prop_mode) = model::longley_rice(path, &setup.radio, &mut warnings)?;
    let a_fs_db = crate::free_space::itm_free_space_loss_db(path.d_m, f);
    let v = variability::variability(&setup.stats, path, a_ref_db, &mut warnings);
    let a_db = v + a_fs_db;
    if !a_db.is_finite() || !a_ref_db.is_finite() {
        return Err(ItmError::NonFinite);
    }
    Ok(ItmOutput {
        a_db,
        warnings,
        prop_mode,
        intermediate: Intermediate {
            a_fs_db,
            a_ref_db,
            d_km: path.d_m / 1000.0,
            theta_hzn_rad: path.theta_hzn_rad,
            d_hzn_m: path.d_hzn_m,
            h_e_m: path.h_e_m,
            n_s: path.n_s,
            delta_h_m: path.delta_h_m,
        },
    })
}

/// ITM point-to-point mode in one call (NTIA `ITM_P2P_TLS_Ex` / `ITM_P2P_CR_Ex`).
///
/// # Errors
/// As [`evaluate`] and [`prepare_p2p`]; inputs are checked in NTIA order before the profile.
pub fn p2p(
    profile: Profile<'_>,
    h_tx_m: f64,
    h_rx_m: f64,
    params: &ItmParams,
    var: Variability,
) -> Result<ItmOutput, ItmError> {
    let warnings = validate([h_tx_m, h_rx_m], params, var.tls()).map_err(|e| cr_codes(e, var))?;
    let path = terrain::prepare(profile, h_tx_m, h_rx_m, params.n_0)?;
    // As `evaluate`, whose validation would repeat the one above on the same inputs.
    evaluate_core(&path, &RadioSetup::unchecked(*params, var), warnings)
        .map_err(|e| cr_codes(e, var))
}

/// ITM area mode in one call (NTIA `ITM_AREA_TLS_Ex` / `ITM_AREA_CR_Ex`).
///
/// # Errors
/// As [`evaluate`] and [`prepare_area`]; inputs are checked in NTIA order.
pub fn area(
    path: &AreaPath,
    h_tx_m: f64,
    h_rx_m: f64,
    params: &ItmParams,
    var: Variability,
) -> Result<ItmOutput, ItmError> {
    let w = validate([h_tx_m, h_rx_m], params, var.tls()).map_err(|e| cr_codes(e, var))?;
    check_area(path, w)?;
    let prepared = prepare_area(path, h_tx_m, h_rx_m, params.n_0)?;
    evaluate(&prepared, params, var)
}
