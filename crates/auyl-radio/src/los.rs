//! Line of sight and first-Fresnel-zone clearance over a terrain profile.
//!
//! Geometry: the classic "flat earth, curved terrain" method used in microwave path planning.
//! The straight ray between the two antennas is drawn over a flat datum, and every profile
//! point is raised by the effective-earth bulge `d1·d2 / (2·k·R)` (R = [`EARTH_RADIUS_M`],
//! `k` the effective-earth factor: 4/3 standard atmosphere, `k < 1` sub-refractive planning,
//! [`f64::INFINITY`] a flat earth). Clearance is measured vertically between the ray and the
//! raised terrain (plus an optional clutter/tree height), and compared with the radius of the
//! first Fresnel zone `F1 = sqrt(λ·d1·d2 / d)`.
//!
//! Profiles are plain data (elevations at a uniform spacing along the great circle, first
//! sample under the transmitter, last under the receiver), so any terrain source can feed them.
//!
//! Required antenna heights are exact: the ray height at every point is linear in both antenna
//! heights and neither the bulge nor `F1` depends on them, so each profile point gives a closed
//! form lower bound on the unknown height, and the maximum over the points is the answer (no
//! iteration, no tolerance).
//!
//! Every formula is written so that it is bit-for-bit symmetric in the two ends (`d1·d2`,
//! `H_tx·d2 + H_rx·d1`): reversing a profile and swapping the antennas gives identical numbers.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Mean Earth radius (m) used for the effective-earth bulge.
pub const EARTH_RADIUS_M: f64 = 6_371_000.0;
/// Speed of light in vacuum (m/s).
pub const SPEED_OF_LIGHT_M_S: f64 = 299_792_458.0;
/// Standard-atmosphere effective-earth factor.
pub const K_STANDARD: f64 = 4.0 / 3.0;
/// The usual planning target: 60 % of the first Fresnel zone clear.
pub const F1_CLEARANCE_TARGET: f64 = 0.6;

/// Largest accepted |elevation| or clutter (m): keeps every intermediate finite.
const MAX_ABS_ELEVATION_M: f64 = 100_000.0;
/// Largest accepted antenna height above ground (m).
const MAX_ANTENNA_HEIGHT_M: f64 = 100_000.0;
/// Accepted sample spacing (m): 1 mm keeps the F1 radius of interior samples above zero.
const SPACING_RANGE_M: (f64, f64) = (1.0e-3, 1.0e6);
/// Longest accepted path (m): half the Earth's circumference.
const MAX_PATH_LENGTH_M: f64 = 2.0e7;
/// Accepted frequency range (MHz).
const FREQ_RANGE_MHZ: (f64, f64) = (1.0e-3, 1.0e7);
/// Smallest accepted |k| (finite k only).
const MIN_ABS_K: f64 = 0.01;
/// Accepted range of a Fresnel-clearance target fraction.
const TARGET_RANGE: (f64, f64) = (-10.0, 10.0);

/// Why a line-of-sight computation was refused.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum LosError {
    /// A profile needs the two end points at least.
    #[error("profile has {n} samples; at least 2 are needed (transmitter and receiver ground)")]
    TooFewPoints {
        /// Number of samples given.
        n: usize,
    },
    /// Spacing must be finite and within 1 mm..1000 km; the whole path at most 20 000 km.
    #[error("invalid profile spacing {spacing_m} m for {n} samples")]
    InvalidSpacing {
        /// Spacing given (m).
        spacing_m: f64,
        /// Number of samples.
        n: usize,
    },
    /// Elevation samples must be finite and within ±100 km.
    #[error("invalid elevation {value_m} m at profile index {index}")]
    InvalidElevation {
        /// Sample index (0 = transmitter).
        index: usize,
        /// Value found.
        value_m: f64,
    },
    /// Antenna heights must be finite, non-negative and at most 100 km.
    #[error("invalid {end} antenna height {value_m} m")]
    InvalidAntennaHeight {
        /// `"tx"` or `"rx"`.
        end: &'static str,
        /// Value given.
        value_m: f64,
    },
    /// Frequency must be finite and within 1 kHz..10 THz.
    #[error("invalid frequency {freq_mhz} MHz")]
    InvalidFrequency {
        /// Value given.
        freq_mhz: f64,
    },
    /// k must be +infinity (flat earth) or finite with |k| >= 0.01.
    #[error("invalid effective-earth factor k = {k}")]
    InvalidKFactor {
        /// Value given.
        k: f64,
    },
    /// Clutter height must be finite and within ±100 km.
    #[error("invalid clutter height {value_m} m")]
    InvalidClutter {
        /// Value given.
        value_m: f64,
    },
    /// Fresnel-clearance target fraction must be finite and within -10..10.
    #[error("invalid Fresnel clearance target fraction {fraction}")]
    InvalidTarget {
        /// Value given.
        fraction: f64,
    },
}

/// A terrain profile: ground elevations (m above the vertical datum) at a uniform spacing along
/// the great circle, index 0 under the transmitter and the last under the receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Distance between consecutive samples (m).
    pub spacing_m: f64,
    /// Ground elevations (m).
    pub elevations_m: Vec<f64>,
}

impl Profile {
    /// Builds and validates a profile.
    ///
    /// # Errors
    /// [`LosError::TooFewPoints`], [`LosError::InvalidSpacing`] or
    /// [`LosError::InvalidElevation`] when the data cannot describe a path.
    pub fn new(spacing_m: f64, elevations_m: Vec<f64>) -> Result<Self, LosError> {
        let profile = Self {
            spacing_m,
            elevations_m,
        };
        profile.validate()?;
        Ok(profile)
    }

    /// Builds a profile from a path length instead of a spacing (`spacing = length / (n - 1)`).
    ///
    /// # Errors
    /// As [`Profile::new`].
    pub fn from_length(length_m: f64, elevations_m: Vec<f64>) -> Result<Self, LosError> {
        let n = elevations_m.len();
        if n < 2 {
            return Err(LosError::TooFewPoints { n });
        }
        Self::new(length_m / (n - 1) as f64, elevations_m)
    }

    /// Path length (m).
    #[must_use]
    pub fn length_m(&self) -> f64 {
        self.elevations_m.len().saturating_sub(1) as f64 * self.spacing_m
    }

    /// Distance of sample `index` from the transmitter (m).
    #[must_use]
    pub fn distance_m(&self, index: usize) -> f64 {
        index as f64 * self.spacing_m
    }

    /// The same path seen from the receiver.
    #[must_use]
    pub fn reversed(&self) -> Self {
        let mut elevations_m = self.elevations_m.clone();
        elevations_m.reverse();
        Self {
            spacing_m: self.spacing_m,
            elevations_m,
        }
    }

    /// Checks the invariants documented on [`Profile::new`].
    ///
    /// # Errors
    /// As [`Profile::new`].
    pub fn validate(&self) -> Result<(), LosError> {
        let n = self.elevations_m.len();
        if n < 2 {
            return Err(LosError::TooFewPoints { n });
        }
        let s = self.spacing_m;
        let spacing_ok = s.is_finite() && (SPACING_RANGE_M.0..=SPACING_RANGE_M.1).contains(&s);
        if !(spacing_ok && self.length_m() <= MAX_PATH_LENGTH_M) {
            return Err(LosError::InvalidSpacing { spacing_m: s, n });
        }
        for (index, &value_m) in self.elevations_m.iter().enumerate() {
            if !(value_m.is_finite() && value_m.abs() <= MAX_ABS_ELEVATION_M) {
                return Err(LosError::InvalidElevation { index, value_m });
            }
        }
        Ok(())
    }
}

/// Link geometry and radio parameters for a line-of-sight analysis.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LosParams {
    /// Transmitter antenna height above ground (m).
    pub tx_height_m: f64,
    /// Receiver antenna height above ground (m).
    pub rx_height_m: f64,
    /// Carrier frequency (MHz).
    pub freq_mhz: f64,
    /// Effective-earth factor (4/3 standard; < 1 sub-refractive; +inf flat earth).
    pub k_factor: f64,
    /// Clutter (trees, buildings) added to every interior sample, not under the antennas (m).
    pub clutter_height_m: f64,
}

impl LosParams {
    /// Parameters with the standard atmosphere (k = 4/3) and no clutter.
    #[must_use]
    pub fn new(tx_height_m: f64, rx_height_m: f64, freq_mhz: f64) -> Self {
        Self {
            tx_height_m,
            rx_height_m,
            freq_mhz,
            k_factor: K_STANDARD,
            clutter_height_m: 0.0,
        }
    }

    /// The same link seen from the receiver (antenna heights swapped).
    #[must_use]
    pub fn swapped(&self) -> Self {
        Self {
            tx_height_m: self.rx_height_m,
            rx_height_m: self.tx_height_m,
            ..*self
        }
    }

    fn validate(&self) -> Result<(), LosError> {
        validate_antenna_height("tx", self.tx_height_m)?;
        validate_antenna_height("rx", self.rx_height_m)?;
        self.validate_common()
    }

    /// Checks everything but the antenna heights (used when solving for a height).
    fn validate_common(&self) -> Result<(), LosError> {
        let f = self.freq_mhz;
        if !(f.is_finite() && f >= FREQ_RANGE_MHZ.0 && f <= FREQ_RANGE_MHZ.1) {
            return Err(LosError::InvalidFrequency { freq_mhz: f });
        }
        let k = self.k_factor;
        let k_ok = k == f64::INFINITY || (k.is_finite() && k.abs() >= MIN_ABS_K);
        if !k_ok {
            return Err(LosError::InvalidKFactor { k });
        }
        let c = self.clutter_height_m;
        if !(c.is_finite() && c.abs() <= MAX_ABS_ELEVATION_M) {
            return Err(LosError::InvalidClutter { value_m: c });
        }
        Ok(())
    }
}

fn validate_antenna_height(end: &'static str, value_m: f64) -> Result<(), LosError> {
    if value_m.is_finite() && (0.0..=MAX_ANTENNA_HEIGHT_M).contains(&value_m) {
        Ok(())
    } else {
        Err(LosError::InvalidAntennaHeight { end, value_m })
    }
}

fn validate_target(fraction: f64) -> Result<(), LosError> {
    if fraction.is_finite() && (TARGET_RANGE.0..=TARGET_RANGE.1).contains(&fraction) {
        Ok(())
    } else {
        Err(LosError::InvalidTarget { fraction })
    }
}

/// Wavelength (m) of a carrier at `freq_mhz`.
#[must_use]
pub fn wavelength_m(freq_mhz: f64) -> f64 {
    SPEED_OF_LIGHT_M_S / (freq_mhz * 1.0e6)
}

/// Effective-earth bulge (m) at a point `d1_m` from one end and `d2_m` from the other:
/// `d1·d2 / (2·k·R)`. Zero for a flat earth (`k` infinite).
#[must_use]
pub fn earth_bulge_m(d1_m: f64, d2_m: f64, k_factor: f64) -> f64 {
    (d1_m * d2_m) / (2.0 * k_factor * EARTH_RADIUS_M)
}

/// Radius (m) of the first Fresnel zone at `d1_m`/`d2_m` from the ends: `sqrt(λ·d1·d2/(d1+d2))`.
#[must_use]
pub fn fresnel_radius_m(d1_m: f64, d2_m: f64, freq_mhz: f64) -> f64 {
    let d = d1_m + d2_m;
    if d <= 0.0 {
        return 0.0;
    }
    (wavelength_m(freq_mhz) * (d1_m * d2_m) / d).sqrt()
}

/// One profile sample seen from the link: the numbers a path-profile plot shows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PathPoint {
    /// Sample index (0 = transmitter).
    pub index: usize,
    /// Distance from the transmitter (m).
    pub distance_m: f64,
    /// Ground elevation (m).
    pub ground_m: f64,
    /// Clutter added at this sample (m); zero under the antennas.
    pub clutter_m: f64,
    /// Effective-earth bulge (m).
    pub earth_bulge_m: f64,
    /// Ground + clutter + bulge: the obstacle height the ray must clear (m).
    pub obstacle_m: f64,
    /// Height of the straight ray between the antennas (m).
    pub ray_m: f64,
    /// Ray minus obstacle (m): negative when the ray is blocked.
    pub clearance_m: f64,
    /// First Fresnel zone radius (m).
    pub fresnel_radius_m: f64,
    /// Clearance as a fraction of the F1 radius (`None` at the end points, where F1 = 0).
    pub clearance_f1_fraction: Option<f64>,
}

/// The worst point of a path: the smallest clearance relative to the F1 radius.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Obstruction {
    /// Sample index (0 = transmitter).
    pub index: usize,
    /// Distance from the transmitter (m).
    pub distance_m: f64,
    /// Distance from the receiver (m).
    pub distance_from_rx_m: f64,
    /// Ground elevation (m).
    pub ground_m: f64,
    /// Ground + clutter + bulge (m).
    pub obstacle_m: f64,
    /// Effective-earth bulge at the point (m).
    pub earth_bulge_m: f64,
    /// Height of the ray (m).
    pub ray_m: f64,
    /// Ray minus obstacle (m): negative when the ray is blocked.
    pub clearance_m: f64,
    /// First Fresnel zone radius (m).
    pub fresnel_radius_m: f64,
    /// Clearance / F1 radius (1.0 = the whole first zone is clear; negative = blocked).
    pub clearance_f1_fraction: f64,
    /// The same in percent.
    pub f1_clearance_percent: f64,
    /// Clearance missing for 60 % of F1 at this point (m); zero when it has it.
    pub shortfall_60_m: f64,
    /// Fresnel-Kirchhoff diffraction parameter `ν = −√2·clearance / F1` of this point taken as
    /// a single knife edge.
    pub diffraction_v: f64,
    /// Single knife-edge diffraction loss `J(ν)` of this point alone (dB, ITU-R P.526): a
    /// first estimate of the obstruction loss, not a multi-edge or ITM result.
    pub knife_edge_loss_db: f64,
}

/// Result of [`analyze`]: the verdicts and the worst points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LosAnalysis {
    /// Path length (m).
    pub path_length_m: f64,
    /// Number of profile samples.
    pub n_points: usize,
    /// Parameters used.
    pub params: LosParams,
    /// Transmitter antenna height above the datum (m).
    pub tx_antenna_m: f64,
    /// Receiver antenna height above the datum (m).
    pub rx_antenna_m: f64,
    /// True when the ray clears every interior sample (clearance >= 0).
    pub line_of_sight: bool,
    /// True when at least 60 % of F1 is clear at every interior sample.
    pub fresnel_60_clear: bool,
    /// True when the whole first zone is clear at every interior sample.
    pub fresnel_100_clear: bool,
    /// Interior sample with the smallest clearance / F1 ratio (`None` for a 2-sample profile).
    pub worst: Option<Obstruction>,
    /// Interior sample with the smallest absolute clearance (m) (`None` for 2 samples).
    pub lowest_clearance: Option<Obstruction>,
    /// Number of interior samples where the ray is blocked.
    pub blocked_points: usize,
}

/// Per-sample geometry (ray, bulge, F1, clearance) along a validated profile.
///
/// # Errors
/// Any [`LosError`] for invalid inputs.
pub fn path_points(profile: &Profile, params: &LosParams) -> Result<Vec<PathPoint>, LosError> {
    profile.validate()?;
    params.validate()?;
    let g = Geometry::new(profile, params);
    Ok((0..profile.elevations_m.len())
        .map(|i| g.point(profile, params, i))
        .collect())
}

/// Line of sight and first-Fresnel-zone clearance of a link over `profile`.
///
/// # Errors
/// Any [`LosError`] for invalid inputs.
pub fn analyze(profile: &Profile, params: &LosParams) -> Result<LosAnalysis, LosError> {
    profile.validate()?;
    params.validate()?;
    let g = Geometry::new(profile, params);
    let n = profile.elevations_m.len();
    let mut worst: Option<PathPoint> = None;
    let mut lowest: Option<PathPoint> = None;
    let mut blocked_points = 0;
    for i in 1..n - 1 {
        let p = g.point(profile, params, i);
        if p.clearance_m < 0.0 {
            blocked_points += 1;
        }
        let ratio = p.clearance_f1_fraction.unwrap_or(f64::INFINITY);
        let worse = worst.is_none_or(|w| ratio < w.clearance_f1_fraction.unwrap_or(f64::INFINITY));
        if worse {
            worst = Some(p);
        }
        if lowest.is_none_or(|w| p.clearance_m < w.clearance_m) {
            lowest = Some(p);
        }
    }
    let worst = worst.map(|p| obstruction(&p, g.length_m));
    let lowest_clearance = lowest.map(|p| obstruction(&p, g.length_m));
    let worst_fraction = worst.map_or(f64::INFINITY, |w| w.clearance_f1_fraction);
    Ok(LosAnalysis {
        path_length_m: g.length_m,
        n_points: n,
        params: *params,
        tx_antenna_m: g.tx_antenna_m,
        rx_antenna_m: g.rx_antenna_m,
        line_of_sight: blocked_points == 0,
        fresnel_60_clear: worst_fraction >= F1_CLEARANCE_TARGET,
        fresnel_100_clear: worst_fraction >= 1.0,
        worst,
        lowest_clearance,
        blocked_points,
    })
}

fn obstruction(p: &PathPoint, length_m: f64) -> Obstruction {
    let fraction = p.clearance_f1_fraction.unwrap_or(f64::INFINITY);
    Obstruction {
        index: p.index,
        distance_m: p.distance_m,
        distance_from_rx_m: length_m - p.distance_m,
        ground_m: p.ground_m,
        obstacle_m: p.obstacle_m,
        earth_bulge_m: p.earth_bulge_m,
        ray_m: p.ray_m,
        clearance_m: p.clearance_m,
        fresnel_radius_m: p.fresnel_radius_m,
        clearance_f1_fraction: fraction,
        f1_clearance_percent: 100.0 * fraction,
        shortfall_60_m: (F1_CLEARANCE_TARGET * p.fresnel_radius_m - p.clearance_m).max(0.0),
        diffraction_v: -std::f64::consts::SQRT_2 * fraction,
        knife_edge_loss_db: knife_edge_loss_db(-std::f64::consts::SQRT_2 * fraction),
    }
}

/// Single knife-edge diffraction loss `J(ν)` (dB), ITU-R P.526 approximation
/// `6.9 + 20·log10(sqrt((ν − 0.1)² + 1) + ν − 0.1)` for `ν > −0.78`, 0 below (the edge is far
/// enough below the ray). About 6 dB at grazing (`ν = 0`).
#[must_use]
pub fn knife_edge_loss_db(v: f64) -> f64 {
    if v <= -0.78 {
        return 0.0;
    }
    let x = v - 0.1;
    6.9 + 20.0 * ((x * x + 1.0).sqrt() + x).log10()
}

/// Shared per-link quantities; formulas kept symmetric in the two ends.
struct Geometry {
    length_m: f64,
    tx_antenna_m: f64,
    rx_antenna_m: f64,
    lambda_m: f64,
}

impl Geometry {
    fn new(profile: &Profile, params: &LosParams) -> Self {
        let (tx_ground, rx_ground) = ends(profile);
        Self {
            length_m: profile.length_m(),
            tx_antenna_m: tx_ground + params.tx_height_m,
            rx_antenna_m: rx_ground + params.rx_height_m,
            lambda_m: wavelength_m(params.freq_mhz),
        }
    }

    fn point(&self, profile: &Profile, params: &LosParams, i: usize) -> PathPoint {
        let n = profile.elevations_m.len();
        let (d1, d2) = split(profile, i);
        let interior = i > 0 && i + 1 < n;
        let ground_m = profile.elevations_m[i];
        let clutter_m = if interior {
            params.clutter_height_m
        } else {
            0.0
        };
        let bulge = earth_bulge_m(d1, d2, params.k_factor);
        let obstacle_m = ground_m + clutter_m + bulge;
        let ray_m = ray_height(self.tx_antenna_m, self.rx_antenna_m, d1, d2, self.length_m);
        let clearance_m = ray_m - obstacle_m;
        let fresnel_radius_m = (self.lambda_m * (d1 * d2) / self.length_m).sqrt();
        let clearance_f1_fraction =
            (fresnel_radius_m > 0.0).then(|| clearance_m / fresnel_radius_m);
        PathPoint {
            index: i,
            distance_m: d1,
            ground_m,
            clutter_m,
            earth_bulge_m: bulge,
            obstacle_m,
            ray_m,
            clearance_m,
            fresnel_radius_m,
            clearance_f1_fraction,
        }
    }
}

fn ends(profile: &Profile) -> (f64, f64) {
    let e = &profile.elevations_m;
    (e[0], e[e.len() - 1])
}

/// Distances of sample `i` from both ends, symmetric under reversal.
fn split(profile: &Profile, i: usize) -> (f64, f64) {
    let n = profile.elevations_m.len();
    (
        i as f64 * profile.spacing_m,
        (n - 1 - i) as f64 * profile.spacing_m,
    )
}

/// Height of the straight ray at `d1` from tx / `d2` from rx: `(H_tx·d2 + H_rx·d1) / d`.
fn ray_height(tx_m: f64, rx_m: f64, d1: f64, d2: f64, d: f64) -> f64 {
    (tx_m * d2 + rx_m * d1) / d
}

/// Which antenna height a requirement solves for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SolvedEnd {
    /// The transmitter height was solved, the receiver height held.
    Tx,
    /// The receiver height was solved, the transmitter height held.
    Rx,
    /// Both heights equal and solved together.
    Both,
}

/// Antenna height needed for a target Fresnel clearance, and the point that decides it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RequiredHeight {
    /// Which end was solved.
    pub solved: SolvedEnd,
    /// Target fraction of F1 to keep clear (0.6 for the usual 60 %).
    pub target_f1_fraction: f64,
    /// Height above ground needed (m), at least 0.
    pub height_m: f64,
    /// The unclamped bound (m): negative when even a ground-level antenna meets the target.
    pub unclamped_height_m: f64,
    /// Index of the sample that decides the height (`None` for a 2-sample profile).
    pub controlling_index: Option<usize>,
    /// Its distance from the transmitter (m).
    pub controlling_distance_m: Option<f64>,
}

/// Minimum receiver height for `target_f1_fraction` of F1 clear everywhere, holding
/// `params.tx_height_m` (`params.rx_height_m` is ignored).
///
/// Exact closed form: at every interior point `(H_tx·d2 + H_rx·d1)/d >= obstacle + q·F1`,
/// so `H_rx >= (d·(obstacle + q·F1) − H_tx·d2) / d1`; the answer is the maximum, clamped at 0.
///
/// # Errors
/// Any [`LosError`] for invalid inputs.
pub fn required_rx_height(
    profile: &Profile,
    params: &LosParams,
    target_f1_fraction: f64,
) -> Result<RequiredHeight, LosError> {
    validate_antenna_height("tx", params.tx_height_m)?;
    solve_one_end(profile, params, target_f1_fraction, SolvedEnd::Rx)
}

/// Minimum transmitter height for `target_f1_fraction` of F1 clear everywhere, holding
/// `params.rx_height_m` (`params.tx_height_m` is ignored). Mirror of [`required_rx_height`].
///
/// # Errors
/// Any [`LosError`] for invalid inputs.
pub fn required_tx_height(
    profile: &Profile,
    params: &LosParams,
    target_f1_fraction: f64,
) -> Result<RequiredHeight, LosError> {
    validate_antenna_height("rx", params.rx_height_m)?;
    solve_one_end(profile, params, target_f1_fraction, SolvedEnd::Tx)
}

/// Minimum equal antenna height at both ends for `target_f1_fraction` of F1 clear everywhere
/// (both heights in `params` are ignored). Exact: raising both antennas by `h` raises the ray by
/// `h` everywhere, so `h = max(obstacle + q·F1 − ground_ray)` over the interior points.
///
/// # Errors
/// Any [`LosError`] for invalid inputs.
pub fn required_equal_heights(
    profile: &Profile,
    params: &LosParams,
    target_f1_fraction: f64,
) -> Result<RequiredHeight, LosError> {
    solve_one_end(profile, params, target_f1_fraction, SolvedEnd::Both)
}

fn solve_one_end(
    profile: &Profile,
    params: &LosParams,
    q: f64,
    solved: SolvedEnd,
) -> Result<RequiredHeight, LosError> {
    profile.validate()?;
    params.validate_common()?;
    validate_target(q)?;
    let n = profile.elevations_m.len();
    let (tx_ground, rx_ground) = ends(profile);
    let d = profile.length_m();
    let lambda = wavelength_m(params.freq_mhz);
    let mut best: Option<(f64, usize)> = None;
    for i in 1..n - 1 {
        let (d1, d2) = split(profile, i);
        let obstacle = profile.elevations_m[i]
            + params.clutter_height_m
            + earth_bulge_m(d1, d2, params.k_factor);
        let need = obstacle + q * (lambda * (d1 * d2) / d).sqrt();
        let bound = match solved {
            SolvedEnd::Rx => {
                let tx = tx_ground + params.tx_height_m;
                (d * need - tx * d2) / d1 - rx_ground
            }
            SolvedEnd::Tx => {
                let rx = rx_ground + params.rx_height_m;
                (d * need - rx * d1) / d2 - tx_ground
            }
            SolvedEnd::Both => need - ray_height(tx_ground, rx_ground, d1, d2, d),
        };
        if best.is_none_or(|(b, _)| bound > b) {
            best = Some((bound, i));
        }
    }
    let unclamped = best.map_or(0.0, |(b, _)| b);
    Ok(RequiredHeight {
        solved,
        target_f1_fraction: q,
        height_m: unclamped.max(0.0),
        unclamped_height_m: unclamped,
        controlling_index: best.map(|(_, i)| i),
        controlling_distance_m: best.map(|(_, i)| profile.distance_m(i)),
    })
}

/// Everything a path-profile check reports: the analysis, the per-sample geometry and the
/// antenna heights needed for 60 % F1 clearance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LosReport {
    /// Verdicts and worst points.
    pub analysis: LosAnalysis,
    /// Receiver height for 60 % F1 holding the transmitter height.
    pub required_rx_height_60: RequiredHeight,
    /// Transmitter height for 60 % F1 holding the receiver height.
    pub required_tx_height_60: RequiredHeight,
    /// Equal heights at both ends for 60 % F1.
    pub required_equal_heights_60: RequiredHeight,
    /// Per-sample geometry (empty unless asked for).
    pub points: Vec<PathPoint>,
}

/// [`analyze`] plus the three 60 % F1 height requirements, and the per-sample geometry when
/// `with_points` is set (for plots).
///
/// # Errors
/// Any [`LosError`] for invalid inputs.
pub fn report(
    profile: &Profile,
    params: &LosParams,
    with_points: bool,
) -> Result<LosReport, LosError> {
    Ok(LosReport {
        analysis: analyze(profile, params)?,
        required_rx_height_60: required_rx_height(profile, params, F1_CLEARANCE_TARGET)?,
        required_tx_height_60: required_tx_height(profile, params, F1_CLEARANCE_TARGET)?,
        required_equal_heights_60: required_equal_heights(profile, params, F1_CLEARANCE_TARGET)?,
        points: if with_points {
            path_points(profile, params)?
        } else {
            Vec::new()
        },
    })
}
