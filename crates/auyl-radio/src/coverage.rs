//! Coverage maps: received power of one site over a radius, from ITM point-to-point over the
//! DEM, and a line-of-sight viewshed on the same grid.
//!
//! The raster is a lon/lat grid (EPSG:4326) whose pixel centres sit on the posts of the finest
//! DEM source at the site (or a grid of a requested size in metres). Instead of one terrain
//! profile per pixel, the sweep samples radials from the site once each (`Sampler::
//! sample_radial`, one sampler per rayon thread) with as many radials as needed for the arc
//! between neighbouring radials at the edge of the radius to be at most one pixel, and a radial
//! step of one pixel. Every pixel takes the value of its nearest radial sample (nearest
//! azimuth, nearest distance). ITM is then evaluated only at the samples some pixel uses, each
//! on the prefix `z[..=k]` of its radial: [`itm::RadialAnalysis`] analyses the radial once
//! (prefix sums, horizon candidates, block maxima) and then prepares each prefix without
//! rescanning it, bit for bit as `prepare_p2p` on that prefix, and the model runs with one
//! [`itm::RadioSetup`]. The terrain is read once per radial. With [`Roughness::Exact`] each
//! pixel's value is exactly the ITM point-to-point loss over the profile from the site to that
//! sample (the tests check it). By default ([`Roughness::Interpolated`]) the terrain
//! irregularity Δh, half the cost of an exact preparation, is computed exactly every 16 radial
//! points and interpolated between ([`itm::RadialRoughness`]), and the radials run in three
//! rounds (every fourth, those halfway between, the rest) so that each takes the nodes on which
//! its two neighbours of the earlier rounds agree instead of computing them; horizons, fits and
//! the model stay exact per pixel, and the loss moves by a few hundredths of a dB (tests and
//! `bench/coverage` bound it).
//!
//! The viewshed uses the same grid but no radials: it reads the ground at every cell centre
//! inside the radius and runs the horizon-carrying scan of gdal_viewshed's default mode (Wang,
//! Robinson and White, "Generating viewsheds without using sightlines", 2000) on it: rows
//! outward from the observer's, each cell's horizon height interpolated from its two nearer,
//! already visited neighbours, heights relative to the antenna with the earth bulge of an
//! effective radius `k · R` (k = 4/3 by default). A cell is visible when a receiver
//! `rx_height_m` above its ground reaches that horizon. O(1) per cell; it differs from exact
//! line of sight over the grid only on grazing rays (the tests bound it).
//!
//! Everything is pure: the DEM comes in as a [`DemSet`], the result is in memory; the CLI
//! writes the GeoTIFF/PNG.

use crate::itm::{self, ItmError, ItmParams, Variability};
use auyl_model::LonLat;
use auyl_terrain::geodesy::EARTH_RADIUS_M;
use auyl_terrain::{DemSet, TerrainError};
use rayon::prelude::*;
use serde::Serialize;

/// Errors of a coverage or viewshed computation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoverageError {
    /// A parameter is outside its domain.
    #[error("invalid coverage parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: f64,
        /// What is expected.
        reason: &'static str,
    },
    /// The DEM could not answer (a missing tile names the tile).
    #[error("terrain: {0}")]
    Terrain(#[from] TerrainError),
    /// The ITM parameters are invalid (checked once before the sweep).
    #[error("ITM: {0}")]
    Itm(#[from] ItmError),
    /// The grid would be too large.
    #[error("the raster would have {pixels} pixels (limit {limit}); use a coarser resolution")]
    TooLarge {
        /// Pixels requested.
        pixels: usize,
        /// The limit.
        limit: usize,
    },
}

/// Largest raster the sweep accepts, pixels (about 400 MB of intermediate data).
pub const MAX_PIXELS: usize = 50_000_000;

/// ITM settings of a coverage map. The defaults suit Kazakhstan's steppe and foothills:
/// continental temperate climate, N_0 = 301 N-units, average ground (ε 15, σ 0.005 S/m),
/// vertical polarisation, accidental mode of variability, 50 % time, location and situation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ItmSettings {
    /// Radio climate code (see [`itm::climate`]).
    pub climate: i32,
    /// Sea-level surface refractivity, N-units.
    pub n_0: f64,
    /// Polarisation code (see [`itm::polarization`]).
    pub pol: i32,
    /// Relative permittivity of the ground.
    pub epsilon: f64,
    /// Ground conductivity, S/m.
    pub sigma: f64,
    /// Mode of variability (see [`itm::mdvar`]).
    pub mdvar: i32,
    /// Time percentage.
    pub time_pct: f64,
    /// Location percentage.
    pub location_pct: f64,
    /// Situation percentage.
    pub situation_pct: f64,
}

impl Default for ItmSettings {
    fn default() -> Self {
        ItmSettings {
            climate: itm::climate::CONTINENTAL_TEMPERATE,
            n_0: 301.0,
            pol: itm::polarization::VERTICAL,
            epsilon: 15.0,
            sigma: 0.005,
            mdvar: itm::mdvar::ACCIDENTAL,
            time_pct: 50.0,
            location_pct: 50.0,
            situation_pct: 50.0,
        }
    }
}

impl ItmSettings {
    /// The ITM parameters at a frequency.
    #[must_use]
    pub fn params(&self, freq_mhz: f64) -> ItmParams {
        ItmParams {
            climate: self.climate,
            n_0: self.n_0,
            freq_mhz,
            pol: self.pol,
            epsilon: self.epsilon,
            sigma: self.sigma,
            mdvar: self.mdvar,
        }
    }

    /// The variability percentages.
    #[must_use]
    pub fn variability(&self) -> Variability {
        Variability::Tls {
            time_pct: self.time_pct,
            location_pct: self.location_pct,
            situation_pct: self.situation_pct,
        }
    }
}

/// Horizontal antenna pattern.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AntennaPattern {
    /// Same gain in every direction.
    Omni,
    /// A sector antenna, 3GPP TR 36.814 horizontal pattern:
    /// attenuation `min(12 (θ/θ₃dB)², front_to_back_db)` off boresight.
    Sector {
        /// Boresight, degrees clockwise from north.
        azimuth_deg: f64,
        /// Half-power (3 dB) beamwidth, degrees.
        beamwidth_deg: f64,
        /// Front-to-back ratio (maximum attenuation), dB.
        front_to_back_db: f64,
    },
}

impl AntennaPattern {
    /// Attenuation relative to boresight towards `azimuth_deg`, dB (≥ 0).
    #[must_use]
    pub fn attenuation_db(&self, azimuth_deg: f64) -> f64 {
        match *self {
            AntennaPattern::Omni => 0.0,
            AntennaPattern::Sector {
                azimuth_deg: boresight,
                beamwidth_deg,
                front_to_back_db,
            } => {
                let off = (azimuth_deg - boresight).rem_euclid(360.0);
                let off = if off > 180.0 { 360.0 - off } else { off };
                (12.0 * (off / beamwidth_deg).powi(2)).min(front_to_back_db)
            }
        }
    }
}

/// Pixel size of the raster.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Resolution {
    /// The posts of the finest DEM source at the site (3″ for SRTM3).
    Native,
    /// Pixels of about this size in metres (at the site's latitude).
    Metres(f64),
}

/// A coverage request: one site, one frequency.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CoverageParams {
    /// The site.
    pub site: LonLat,
    /// Antenna height above ground at the site, m.
    pub tx_height_m: f64,
    /// Receiver height above ground, m.
    pub rx_height_m: f64,
    /// Frequency, MHz.
    pub freq_mhz: f64,
    /// EIRP at boresight (transmitter power + antenna gain − feeder losses), dBm.
    pub eirp_dbm: f64,
    /// Receiver antenna gain, dBi.
    pub rx_gain_dbi: f64,
    /// Horizontal pattern of the site antenna.
    pub pattern: AntennaPattern,
    /// Radius of the map, m.
    pub radius_m: f64,
    /// Pixel size.
    pub resolution: Resolution,
    /// ITM settings.
    pub itm: ItmSettings,
    /// How each pixel's terrain irregularity Δh is found.
    pub roughness: Roughness,
}

/// How the coverage sweep finds ITM's terrain irregularity Δh for each pixel's path.
///
/// Δh (the interdecile range of the terrain about its least-squares line, on 245 samples of
/// the path) is about half of an exact evaluation's cost. Along a radial it changes slowly
/// where the terrain does not, so [`Roughness::Interpolated`] computes it exactly for windows
/// ending every few profile points and interpolates between them, and neighbouring radials
/// share those nodes where they agree (see [`itm::RadialRoughness`]); everything else of ITM
/// stays exact for every pixel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Roughness {
    /// Δh of each pixel's own path, as a point-to-point ITM call computes it.
    Exact,
    /// Δh interpolated between exact nodes that differ by at most
    /// `tolerance_m + tolerance_rel · Δh`; nodes are refined where they differ more.
    Interpolated {
        /// Absolute part of the tolerance, m.
        tolerance_m: f64,
        /// Relative part of the tolerance.
        tolerance_rel: f64,
    },
}

impl Default for Roughness {
    /// Interpolated within 5 m + 10 %: on the bench site (Almaty foothills, 50 km, 3″) the loss
    /// differs from [`Roughness::Exact`] by under 0.26 dB for 99 % of pixels and under 0.6 dB
    /// for 99.9 % (see `bench/coverage`).
    fn default() -> Self {
        Roughness::Interpolated {
            tolerance_m: itm::RadialRoughness::TOLERANCE_M,
            tolerance_rel: itm::RadialRoughness::TOLERANCE_REL,
        }
    }
}

pub use auyl_model::GeoGrid;

/// A terrain source the sweep read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TerrainSourceUsed {
    /// Source name (tile or grid file).
    pub name: String,
    /// Resolution, arc-seconds.
    pub resolution_arcsec: f64,
    /// Resolution, metres.
    pub resolution_m: f64,
}

/// Where a pixel's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RadialSample {
    /// Radial index.
    pub radial: usize,
    /// Azimuth of the radial, degrees clockwise from north.
    pub azimuth_deg: f64,
    /// Sample index along the radial (0 is the site).
    pub sample: usize,
    /// Distance of the sample from the site, m.
    pub distance_m: f64,
}

/// How the sweep was laid out; shared by coverage and viewshed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sweep {
    /// The grid.
    pub grid: GeoGrid,
    /// Number of radials (evenly spaced in azimuth, the first due north).
    pub radials: usize,
    /// Distance between successive radial samples, m.
    pub radial_step_m: f64,
    /// Samples per radial, the site included.
    pub samples_per_radial: usize,
    /// Pixel size at the site, metres (east-west, north-south).
    pub pixel_size_m: [f64; 2],
    /// Radius, m.
    pub radius_m: f64,
}

impl Sweep {
    /// Lays out the grid and radials for a site and radius.
    ///
    /// # Errors
    /// [`CoverageError::InvalidParameter`] for a non-positive radius or resolution,
    /// [`CoverageError::Terrain`] when no DEM source covers the site, [`CoverageError::TooLarge`].
    pub fn new(
        dem: &DemSet,
        site: LonLat,
        radius_m: f64,
        resolution: Resolution,
    ) -> Result<Sweep, CoverageError> {
        if !(radius_m.is_finite() && radius_m > 0.0 && radius_m <= 500_000.0) {
            return Err(CoverageError::InvalidParameter {
                name: "radius_m",
                value: radius_m,
                reason: "must be in (0, 500 km]",
            });
        }
        let m_per_deg = EARTH_RADIUS_M.to_radians_factor();
        let coslat = site.lat_deg.to_radians().cos().max(1e-6);
        let (dx_deg, dy_deg, centre) = match resolution {
            Resolution::Native => {
                let at = dem.elevation(site)?;
                let info = dem
                    .source(at.source_index)
                    .ok_or(CoverageError::InvalidParameter {
                        name: "site",
                        value: site.lon_deg,
                        reason: "no DEM source at the site",
                    })?;
                // Pixel centres on the source's sample positions.
                let geo = &info.geometry;
                let dx = 1.0 / geo.per_deg_lon;
                let dy = 1.0 / geo.per_deg_lat;
                let cx = geo.lon0_deg + ((site.lon_deg - geo.lon0_deg) / dx).round() * dx;
                let cy = geo.lat0_deg + ((site.lat_deg - geo.lat0_deg) / dy).round() * dy;
                (dx, dy, (cx, cy))
            }
            Resolution::Metres(m) => {
                if !(m.is_finite() && m > 0.0) {
                    return Err(CoverageError::InvalidParameter {
                        name: "resolution_m",
                        value: m,
                        reason: "must be positive",
                    });
                }
                (
                    m / (m_per_deg * coslat),
                    m / m_per_deg,
                    (site.lon_deg, site.lat_deg),
                )
            }
        };
        let px_m = [dx_deg * m_per_deg * coslat, dy_deg * m_per_deg];
        let half_w = (radius_m / px_m[0]).ceil() as usize + 1;
        let half_h = (radius_m / px_m[1]).ceil() as usize + 1;
        let width = 2 * half_w + 1;
        let height = 2 * half_h + 1;
        let pixels = width.saturating_mul(height);
        if pixels > MAX_PIXELS {
            return Err(CoverageError::TooLarge {
                pixels,
                limit: MAX_PIXELS,
            });
        }
        let grid = GeoGrid {
            west_deg: centre.0 - (half_w as f64 + 0.5) * dx_deg,
            north_deg: centre.1 + (half_h as f64 + 0.5) * dy_deg,
            pixel_width_deg: dx_deg,
            pixel_height_deg: dy_deg,
            width,
            height,
        };
        let px = px_m[0].min(px_m[1]);
        let radials = ((2.0 * std::f64::consts::PI * radius_m / px).ceil() as usize).max(8);
        let samples_per_radial = (radius_m / px).ceil() as usize + 2;
        Ok(Sweep {
            grid,
            radials,
            radial_step_m: px,
            samples_per_radial,
            pixel_size_m: px_m,
            radius_m,
        })
    }

    /// Azimuth of radial `r`, degrees.
    #[must_use]
    pub fn azimuth_deg(&self, r: usize) -> f64 {
        r as f64 * 360.0 / self.radials as f64
    }

    /// The radial sample a pixel takes its value from; `None` outside the radius.
    #[must_use]
    pub fn pixel_sample(&self, site: LonLat, col: usize, row: usize) -> Option<RadialSample> {
        let (lon, lat) = self.grid.pixel_center(col, row);
        let (radial, sample) = self.nearest_sample(distance_azimuth(site, lon, lat))?;
        Some(RadialSample {
            radial,
            azimuth_deg: self.azimuth_deg(radial),
            sample,
            distance_m: sample as f64 * self.radial_step_m,
        })
    }

    /// (radial, sample) nearest to a point at distance `d` (m) and azimuth `az` (degrees)
    /// from the site; `None` beyond the radius.
    #[inline]
    fn nearest_sample(&self, (d, az): (f64, f64)) -> Option<(usize, usize)> {
        if d > self.radius_m {
            return None;
        }
        let step_az = 360.0 / self.radials as f64;
        let radial = round_non_negative(az / step_az) % self.radials;
        let sample =
            round_non_negative(d / self.radial_step_m).clamp(1, self.samples_per_radial - 1);
        Some((radial, sample))
    }

    /// [`Sweep::nearest_sample`] of [`Bearings::to`] without its arcsine and arctangent: a
    /// series and a polynomial approximate them, and a pixel whose distance or azimuth falls
    /// within their error of a rounding boundary (or of the radius) takes the exact path, so
    /// the result is the same, for a third of the cost.
    #[inline]
    fn nearest_sample_fast(
        &self,
        from: &Bearings,
        lat: &LatTerms,
        lon: &LonTerms,
    ) -> Option<(usize, usize)> {
        // Bounds of the approximations, ten times and more their errors (at most 1.4e-9 m over
        // 500 km, and 2e-9 rad = 1.15e-7° by `approximate_arctangent_is_within_its_bound`).
        const DISTANCE_ERR_M: f64 = 1e-6;
        const AZIMUTH_ERR_DEG: f64 = 2e-6;
        let exact = || self.nearest_sample(from.to(lat, lon));
        let s = from.haversine(lat, lon).sqrt().min(1.0);
        if s.is_nan() || s >= 0.05 {
            return exact();
        }
        // asin(s) = s + s³/6 + 3s⁵/40 + 15s⁷/336 + 105s⁹/3456 + …: the rest is below 2e-15 s.
        let s2 = s * s;
        let d = 2.0
            * EARTH_RADIUS_M
            * s
            * (1.0
                + s2 * (1.0 / 6.0
                    + s2 * (3.0 / 40.0 + s2 * (15.0 / 336.0 + s2 * (105.0 / 3456.0)))));
        if d > self.radius_m + DISTANCE_ERR_M {
            return None;
        }
        let x = d / self.radial_step_m;
        let (y_az, x_az) = from.azimuth_terms(lat, lon);
        let az = atan2_approx(y_az, x_az).to_degrees();
        let az = if az < 0.0 { az + 360.0 } else { az };
        let step_az = 360.0 / self.radials as f64;
        let q = az / step_az;
        let near_half = |v: f64, err: f64| (v - (v as u64) as f64 - 0.5).abs() <= err;
        if d > self.radius_m - DISTANCE_ERR_M
            || near_half(x, DISTANCE_ERR_M / self.radial_step_m + 1e-12)
            || near_half(q, AZIMUTH_ERR_DEG / step_az + 1e-12)
            || !q.is_finite()
        {
            return exact();
        }
        let radial = round_non_negative(q) % self.radials;
        let sample = round_non_negative(x).clamp(1, self.samples_per_radial - 1);
        Some((radial, sample))
    }

    /// Fills `out` (one value per pixel, row-major) row by row in parallel with
    /// `f(row, from the site, the row's latitude terms, every column's longitude terms, the
    /// row's values)`: the trigonometry of [`distance_azimuth`] once per row and column.
    fn fill_rows<T: Send>(
        &self,
        site: LonLat,
        out: &mut [T],
        f: impl Fn(usize, &Bearings, &LatTerms, &[LonTerms], &mut [T]) + Sync,
    ) {
        let g = &self.grid;
        let from = Bearings::new(site);
        let lons: Vec<LonTerms> = (0..g.width)
            .map(|col| from.longitude(g.pixel_center(col, 0).0))
            .collect();
        out.par_chunks_mut(g.width.max(1))
            .enumerate()
            .for_each(|(row, values)| {
                let lat = from.latitude(g.pixel_center(0, row).1);
                f(row, &from, &lat, &lons, values);
            });
    }

    /// Pixel → (radial, sample) for every pixel (`u32::MAX` radial outside the radius), and the
    /// per-radial flags of the samples some pixel uses.
    fn assign(&self, site: LonLat) -> (Vec<(u32, u32)>, Vec<bool>) {
        let n = self.samples_per_radial;
        let g = &self.grid;
        let mut assign = vec![(u32::MAX, 0u32); g.width * g.height];
        self.fill_rows(site, &mut assign, |_, from, lat, lons, out| {
            for (o, lon) in out.iter_mut().zip(lons) {
                if let Some((r, k)) = self.nearest_sample_fast(from, lat, lon) {
                    *o = (r as u32, k as u32);
                }
            }
        });
        let mut needed = vec![false; self.radials * n];
        for &(r, k) in &assign {
            if r != u32::MAX {
                needed[r as usize * n + k as usize] = true;
            }
        }
        (assign, needed)
    }
}

/// Metres per degree of arc on the sphere.
trait RadiansFactor {
    fn to_radians_factor(self) -> f64;
}

impl RadiansFactor for f64 {
    fn to_radians_factor(self) -> f64 {
        self * std::f64::consts::PI / 180.0
    }
}

/// Great-circle distance (m, on [`EARTH_RADIUS_M`]) and initial azimuth (degrees 0–360) from
/// `a` to (lon, lat).
#[must_use]
pub fn distance_azimuth(a: LonLat, lon_deg: f64, lat_deg: f64) -> (f64, f64) {
    let from = Bearings::new(a);
    from.to(&from.latitude(lat_deg), &from.longitude(lon_deg))
}

/// [`distance_azimuth`] from one point, split into the terms that depend on the target's
/// latitude or longitude alone, so that a grid computes each once per row or column (the
/// same arithmetic, so the same results as the direct call).
struct Bearings {
    site: LonLat,
    sin_lat: f64,
    cos_lat: f64,
}

/// The latitude terms of [`Bearings::to`].
struct LatTerms {
    sin: f64,
    cos: f64,
    half_diff_sin2: f64,
}

/// The longitude terms of [`Bearings::to`].
struct LonTerms {
    sin: f64,
    cos: f64,
    half_sin2: f64,
}

impl Bearings {
    fn new(site: LonLat) -> Self {
        let p1 = site.lat_deg.to_radians();
        Self {
            site,
            sin_lat: p1.sin(),
            cos_lat: p1.cos(),
        }
    }

    fn latitude(&self, lat_deg: f64) -> LatTerms {
        let (p1, p2) = (self.site.lat_deg.to_radians(), lat_deg.to_radians());
        LatTerms {
            sin: p2.sin(),
            cos: p2.cos(),
            half_diff_sin2: ((p2 - p1) / 2.0).sin().powi(2),
        }
    }

    fn longitude(&self, lon_deg: f64) -> LonTerms {
        let dl = (lon_deg - self.site.lon_deg).to_radians();
        LonTerms {
            sin: dl.sin(),
            cos: dl.cos(),
            half_sin2: (dl / 2.0).sin().powi(2),
        }
    }

    /// The haversine of the central angle.
    #[inline]
    fn haversine(&self, lat: &LatTerms, lon: &LonTerms) -> f64 {
        lat.half_diff_sin2 + self.cos_lat * lat.cos * lon.half_sin2
    }

    /// (y, x) of the initial azimuth's arctangent.
    #[inline]
    fn azimuth_terms(&self, lat: &LatTerms, lon: &LonTerms) -> (f64, f64) {
        (
            lon.sin * lat.cos,
            self.cos_lat * lat.sin - self.sin_lat * lat.cos * lon.cos,
        )
    }

    /// Haversine distance, m, and initial azimuth, degrees 0–360.
    #[inline]
    fn to(&self, lat: &LatTerms, lon: &LonTerms) -> (f64, f64) {
        let d = 2.0 * EARTH_RADIUS_M * self.haversine(lat, lon).sqrt().min(1.0).asin();
        let (y, x) = self.azimuth_terms(lat, lon);
        let az = y.atan2(x).to_degrees().rem_euclid(360.0);
        (d, az)
    }
}

/// `x.round() as usize` for x ≥ 0 (and NaN → 0), without the library call `round` is on
/// baseline x86-64: the fraction x − ⌊x⌋ is exact.
#[inline]
fn round_non_negative(x: f64) -> usize {
    let k = x as usize;
    if x - k as f64 >= 0.5 { k + 1 } else { k }
}

/// atan2(y, x) within 2e-9 rad (a least-squares polynomial in t² of atan(t)/t on [0, 1],
/// degree 9, fitted on Chebyshev nodes; its error measured on 4·10⁵ points is 1.8e-9); NaN
/// when both are zero.
#[inline]
fn atan2_approx(y: f64, x: f64) -> f64 {
    const C: [f64; 10] = [
        0.999_999_997_546_019_1,
        -0.333_332_822_955_117_1,
        0.199_982_306_403_746_67,
        -0.142_615_736_802_696_54,
        0.109_401_989_650_656_28,
        -0.083_720_639_478_716_89,
        0.057_463_557_846_458_89,
        -0.030_717_508_903_292_983,
        0.010_680_719_445_998_774,
        -0.001_743_701_143_875_627,
    ];
    let (ay, ax) = (y.abs(), x.abs());
    let (num, den) = if ay > ax { (ax, ay) } else { (ay, ax) };
    let t = num / den;
    let u = t * t;
    let p = C.iter().rev().fold(0.0, |acc, &c| acc * u + c);
    let mut r = t * p;
    if ay > ax {
        r = std::f64::consts::FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = std::f64::consts::PI - r;
    }
    if y < 0.0 { -r } else { r }
}

/// A received-power map.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageMap {
    /// The request.
    pub params: CoverageParams,
    /// Grid and radials.
    pub sweep: Sweep,
    /// Received power per pixel, row-major from the north-west corner, dBm; NaN outside the
    /// radius or where ITM refused the path.
    #[serde(skip)]
    pub rx_power_dbm: Vec<f32>,
    /// ITM basic transmission loss per pixel, dB (NaN as above).
    #[serde(skip)]
    pub loss_db: Vec<f32>,
    /// ITM evaluations made (distinct radial samples used by some pixel).
    pub evaluations: usize,
    /// Samples where ITM returned an error (their pixels are NaN).
    pub failed_evaluations: usize,
    /// Terrain samples interpolated over voids.
    pub filled_voids: usize,
    /// Radials on which the terrain ended before the radius (no DEM tile beyond: a site near
    /// the edge of the terrain); their pixels beyond have no value.
    pub radials_cut: usize,
    /// Evaluations whose Δh was interpolated between exact nodes ([`Roughness::Interpolated`];
    /// 0 with [`Roughness::Exact`]).
    pub delta_h_interpolated: usize,
    /// Exact Δh computations (nodes and pixels) with [`Roughness::Interpolated`].
    pub delta_h_computed: usize,
    /// Δh nodes taken from the two neighbouring radials rather than computed
    /// ([`itm::RadialRoughness::adopt`]) with [`Roughness::Interpolated`].
    pub delta_h_shared: usize,
    /// The DEM sources read, finest first.
    pub terrain: Vec<TerrainSourceUsed>,
}

/// Per-radial outcome of a sweep.
struct RadialOut {
    /// Δh computed exactly (nodes and pixels), pixels given an interpolated Δh, and nodes
    /// adopted from the neighbouring radials, with [`Roughness::Interpolated`].
    delta_h_computed: usize,
    delta_h_interpolated: usize,
    delta_h_shared: usize,
    /// The radial's regular Δh nodes, for its neighbours.
    nodes: Option<itm::RoughnessNodes>,
    values: Vec<f32>,
    failed: usize,
    filled: usize,
    /// Finest and coarsest source read (None: no terrain on the radial).
    sources: Option<(usize, usize)>,
    /// Samples the terrain held, when it ended before the radius.
    cut_at: Option<usize>,
    /// Why a radial has no terrain at all.
    missing: Option<TerrainError>,
}

/// Loads the tiles under the grid (every source covering a lattice of points, a few per
/// degree: the finest, and the coarser ones that fill their voids) on all threads at once,
/// the coarsest (usually the largest to decode) first, rather than one thread at a time when
/// the radials first reach them. Tiles the lattice misses, and errors, are left to the sweep.
fn prefetch_tiles(dem: &DemSet, sweep: &Sweep) {
    const PER_DEGREE: f64 = 4.0;
    let g = &sweep.grid;
    let (w, e, n, s) = (g.west_deg, g.east_deg(), g.north_deg, g.south_deg());
    let steps = |span: f64| ((span * PER_DEGREE).ceil() as usize).max(1);
    let (nx, ny) = (steps(e - w), steps(n - s));
    let mut sources: Vec<usize> = (0..=nx)
        .flat_map(|i| (0..=ny).map(move |j| (i, j)))
        .filter_map(|(i, j)| {
            let lon = w + (e - w) * i as f64 / nx as f64;
            let lat = s + (n - s) * j as f64 / ny as f64;
            LonLat::new(lon, lat).ok()
        })
        .flat_map(|p| dem.sources_at(p))
        .collect();
    sources.sort_unstable();
    sources.dedup();
    sources.sort_by(|&a, &b| {
        let res = |i| dem.source(i).map_or(0.0, |s| s.resolution_arcsec());
        res(b).total_cmp(&res(a))
    });
    sources.par_iter().with_max_len(1).for_each(|&i| {
        let _ = dem.tile(i);
    });
}

/// The finest source at points of the grid (every 8th pixel inside the radius), so that every
/// tile the sweep read is named, not only the finest and coarsest of each radial.
fn grid_sources(dem: &DemSet, site: LonLat, sweep: &Sweep) -> Vec<usize> {
    let g = &sweep.grid;
    let mut out = Vec::new();
    for row in (0..g.height).step_by(8) {
        for col in (0..g.width).step_by(8) {
            let (lon, lat) = g.pixel_center(col, row);
            if distance_azimuth(site, lon, lat).0 > sweep.radius_m {
                continue;
            }
            if let Ok(p) = LonLat::new(lon, lat)
                && let Some(&first) = dem.sources_at(p).first()
                && !out.contains(&first)
            {
                out.push(first);
            }
        }
    }
    out
}

fn terrain_used(dem: &DemSet, mut idx: Vec<usize>) -> Vec<TerrainSourceUsed> {
    idx.sort_unstable();
    idx.dedup();
    let mut v: Vec<TerrainSourceUsed> = idx
        .into_iter()
        .filter_map(|i| dem.source(i))
        .map(|s| TerrainSourceUsed {
            name: s.name.clone(),
            resolution_arcsec: s.resolution_arcsec(),
            resolution_m: s.resolution_m(),
        })
        .collect();
    v.sort_by(|a, b| a.resolution_arcsec.total_cmp(&b.resolution_arcsec));
    v
}

/// Computes a received-power map (see the module docs). Uses all rayon threads.
///
/// # Errors
/// [`CoverageError::InvalidParameter`] for bad heights, power or pattern;
/// [`CoverageError::Itm`] when ITM rejects the parameters; [`CoverageError::Terrain`] when a
/// radial leaves the DEM (the error names the missing tile).
pub fn coverage(dem: &DemSet, params: &CoverageParams) -> Result<CoverageMap, CoverageError> {
    for (name, v) in [
        ("eirp_dbm", params.eirp_dbm),
        ("rx_gain_dbi", params.rx_gain_dbi),
    ] {
        if !v.is_finite() {
            return Err(CoverageError::InvalidParameter {
                name,
                value: v,
                reason: "must be finite",
            });
        }
    }
    if let AntennaPattern::Sector {
        beamwidth_deg,
        front_to_back_db,
        azimuth_deg,
    } = params.pattern
    {
        if !(beamwidth_deg > 0.0 && beamwidth_deg <= 360.0) {
            return Err(CoverageError::InvalidParameter {
                name: "beamwidth_deg",
                value: beamwidth_deg,
                reason: "must be in (0, 360]",
            });
        }
        if !(front_to_back_db >= 0.0 && front_to_back_db.is_finite() && azimuth_deg.is_finite()) {
            return Err(CoverageError::InvalidParameter {
                name: "front_to_back_db",
                value: front_to_back_db,
                reason: "must be finite and ≥ 0 (and the azimuth finite)",
            });
        }
    }
    let itm_params = params.itm.params(params.freq_mhz);
    let var = params.itm.variability();
    // Check the ITM parameters once, on a flat 1 km path, so a bad input is one clear error.
    itm::p2p(
        itm::Profile {
            resolution_m: 500.0,
            elevations_m: &[0.0, 0.0, 0.0],
        },
        params.tx_height_m,
        params.rx_height_m,
        &itm_params,
        var,
    )?;
    let sweep = Sweep::new(dem, params.site, params.radius_m, params.resolution)?;
    let ((), (assign, needed)) =
        rayon::join(|| prefetch_tiles(dem, &sweep), || sweep.assign(params.site));
    let n = sweep.samples_per_radial;
    let step = sweep.radial_step_m;
    let setup = itm::RadioSetup::new(&itm_params, var)?;
    let interpolated = matches!(params.roughness, Roughness::Interpolated { .. });
    let init = || {
        let rough = match params.roughness {
            Roughness::Exact => None,
            Roughness::Interpolated {
                tolerance_m,
                tolerance_rel,
            } => Some(itm::RadialRoughness::new(tolerance_m, tolerance_rel)),
        };
        (
            dem.sampler(),
            vec![0.0f64; n],
            itm::RadialAnalysis::new(),
            rough,
        )
    };
    let radial_job = |(sampler, z, radial, rough): &mut (
        auyl_terrain::Sampler<'_>,
        Vec<f64>,
        itm::RadialAnalysis,
        Option<itm::RadialRoughness>,
    ),
                      r: usize,
                      neighbours: Option<(&itm::RoughnessNodes, &itm::RoughnessNodes)>,
                      keep_nodes: bool|
     -> Result<RadialOut, CoverageError> {
        let need = &needed[r * n..(r + 1) * n];
        let mut values = vec![f32::NAN; n];
        let az = sweep.azimuth_deg(r);
        let mut out = RadialOut {
            values: Vec::new(),
            failed: 0,
            delta_h_computed: 0,
            delta_h_interpolated: 0,
            delta_h_shared: 0,
            nodes: None,
            filled: 0,
            sources: None,
            cut_at: None,
            missing: None,
        };
        let (summary, len) = match sampler.sample_radial(params.site, az, step, z) {
            Ok(s) => (s, n),
            // The terrain ends before the radius (a mast near the edge of the DEM, a
            // border): the radial is kept as far as the terrain goes, and its pixels
            // beyond stay without a value.
            Err(e @ TerrainError::MissingTile { .. }) => {
                let len = covered_prefix(sampler, params.site, az, step, z);
                if len < 2 {
                    out.values = values;
                    out.cut_at = Some(0);
                    out.missing = Some(e);
                    return Ok(out);
                }
                let s = sampler.sample_radial(params.site, az, step, &mut z[..len])?;
                (s, len)
            }
            Err(e) => return Err(e.into()),
        };
        radial.reset(
            itm::Profile {
                resolution_m: step,
                elevations_m: &z[..len],
            },
            params.tx_height_m,
            params.rx_height_m,
            itm_params.n_0,
        )?;
        if let (Some(rough), Some((a, b))) = (rough.as_mut(), neighbours) {
            rough.adopt(radial, a, b);
        }
        let counts_before = rough
            .as_ref()
            .map_or((0, 0, 0), |r| (r.counts().0, r.counts().1, r.shared()));
        for (k, _) in need[..len].iter().enumerate().filter(|(_, u)| **u) {
            // Exactly prepare_p2p on the prefix z[..=k] (see RadialAnalysis).
            let prepared = match rough.as_mut() {
                None => radial.prepare(k),
                Some(rough) => radial.prepare_interpolated(k, rough),
            };
            let loss = prepared.and_then(|p| itm::evaluate_with(&p, &setup));
            match loss {
                Ok(o) => values[k] = o.a_db as f32,
                Err(_) => out.failed += 1,
            }
        }
        if let Some(rough) = rough.as_ref() {
            out.delta_h_computed = rough.counts().0 - counts_before.0;
            out.delta_h_interpolated = rough.counts().1 - counts_before.1;
            out.delta_h_shared = rough.shared() - counts_before.2;
            if keep_nodes {
                out.nodes = Some(rough.nodes(radial));
            }
        }
        out.values = values;
        out.filled = summary.filled_voids;
        out.sources = Some((summary.finest_source, summary.coarsest_source));
        out.cut_at = (len < n).then_some(len);
        Ok(out)
    };
    // With interpolated Δh the radials run in three rounds: every fourth, then those halfway
    // between, then the rest, each offering its regular nodes to the radials between it and
    // its neighbour of the same round (see `RadialRoughness::adopt`). A radial whose
    // neighbour is missing (where the count does not divide) computes its own.
    let mut slots: Vec<Option<RadialOut>> = (0..sweep.radials).map(|_| None).collect();
    let strides: &[usize] = if interpolated { &[4, 2, 1] } else { &[1] };
    for (round, &stride) in strides.iter().enumerate() {
        let batch: Vec<usize> = (0..sweep.radials)
            .filter(|&r| r % stride == 0 && slots[r].is_none())
            .collect();
        let keep_nodes = stride > 1;
        let nodes_of = |r: usize| slots[r].as_ref().and_then(|o| o.nodes.as_ref());
        let done: Vec<RadialOut> = batch
            .par_iter()
            .map_init(init, |state, &r| {
                let next = match r + stride {
                    x if x < sweep.radials => Some(x),
                    x if x == sweep.radials => Some(0),
                    _ => None,
                };
                let neighbours = match (round, next) {
                    (0, _) | (_, None) => None,
                    (_, Some(next)) => nodes_of(r - stride).zip(nodes_of(next)),
                };
                radial_job(state, r, neighbours, keep_nodes)
            })
            .collect::<Result<_, _>>()?;
        for (r, o) in batch.into_iter().zip(done) {
            slots[r] = Some(o);
        }
    }
    let mut outs: Vec<RadialOut> = slots.into_iter().flatten().collect();
    // No terrain at the site itself: nothing to compute.
    if outs.iter().all(|o| o.cut_at == Some(0))
        && let Some(e) = outs.iter_mut().find_map(|o| o.missing.take())
    {
        return Err(e.into());
    }
    let radials_cut = outs.iter().filter(|o| o.cut_at.is_some()).count();
    let evaluations = outs
        .iter()
        .enumerate()
        .map(|(r, o)| {
            let len = o.cut_at.unwrap_or(n);
            needed[r * n..r * n + len].iter().filter(|u| **u).count()
        })
        .sum();
    let gains_db = params.eirp_dbm + params.rx_gain_dbi;
    let loss_at = |&(r, k): &(u32, u32)| {
        if r == u32::MAX {
            f32::NAN
        } else {
            outs[r as usize].values[k as usize]
        }
    };
    let (loss_db, rx_power_dbm): (Vec<f32>, Vec<f32>) = if params.pattern == AntennaPattern::Omni {
        assign
            .par_iter()
            .map(|a| {
                let loss = loss_at(a);
                (loss, (gains_db - f64::from(loss)) as f32)
            })
            .unzip()
    } else {
        let loss_db: Vec<f32> = assign.par_iter().map(loss_at).collect();
        let w = sweep.grid.width;
        let mut rx = vec![f32::NAN; loss_db.len()];
        sweep.fill_rows(params.site, &mut rx, |row, from, lat, lons, out| {
            for ((o, lon), &loss) in out.iter_mut().zip(lons).zip(&loss_db[row * w..]) {
                let (_, az) = from.to(lat, lon);
                *o = (gains_db - params.pattern.attenuation_db(az) - f64::from(loss)) as f32;
            }
        });
        (loss_db, rx)
    };
    let mut used: Vec<usize> = outs
        .iter()
        .filter_map(|o| o.sources)
        .flat_map(|(f, c)| [f, c])
        .collect();
    used.extend(grid_sources(dem, params.site, &sweep));
    let terrain = terrain_used(dem, used);
    Ok(CoverageMap {
        params: *params,
        sweep,
        rx_power_dbm,
        loss_db,
        evaluations,
        failed_evaluations: outs.iter().map(|o| o.failed).sum(),
        filled_voids: outs.iter().map(|o| o.filled).sum(),
        radials_cut,
        delta_h_interpolated: outs.iter().map(|o| o.delta_h_interpolated).sum(),
        delta_h_computed: outs.iter().map(|o| o.delta_h_computed).sum(),
        delta_h_shared: outs.iter().map(|o| o.delta_h_shared).sum(),
        terrain,
    })
}

/// How many leading samples of a radial the terrain holds (the first missing one ends it): a
/// bisection over prefix lengths, as a radial's prefix samples the same points.
fn covered_prefix(
    sampler: &mut auyl_terrain::Sampler<'_>,
    site: LonLat,
    azimuth_deg: f64,
    step_m: f64,
    z: &mut [f64],
) -> usize {
    let (mut ok, mut missing) = (0, z.len());
    while missing - ok > 1 {
        let mid = ok + (missing - ok) / 2;
        if sampler
            .sample_radial(site, azimuth_deg, step_m, &mut z[..mid])
            .is_ok()
        {
            ok = mid;
        } else {
            missing = mid;
        }
    }
    ok
}

/// A settlement to count: id, position, population.
#[derive(Debug, Clone, PartialEq)]
pub struct SettlementPoint {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Position.
    pub position: LonLat,
    /// Population (0 when unknown).
    pub population: u64,
}

impl From<&auyl_model::Settlement> for SettlementPoint {
    /// A registry settlement by its Kazakh name (or whichever it has).
    fn from(s: &auyl_model::Settlement) -> SettlementPoint {
        SettlementPoint {
            id: s.id.to_string(),
            name: s.names.display("kk").unwrap_or("").to_string(),
            position: s.location,
            population: s.population.as_ref().map_or(0, |p| u64::from(p.people)),
        }
    }
}

/// A settlement inside the map and its received power.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SettlementCoverage {
    /// Identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Distance from the site, m.
    pub distance_m: f64,
    /// Received power at its pixel, dBm.
    pub rx_power_dbm: f64,
    /// Population.
    pub population: u64,
    /// Whether the power reaches the threshold.
    pub covered: bool,
}

/// What a map covers above a threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageSummary {
    /// The threshold, dBm.
    pub threshold_dbm: f64,
    /// Area with power ≥ threshold, km².
    pub covered_area_km2: f64,
    /// Area evaluated (inside the radius), km².
    pub evaluated_area_km2: f64,
    /// Settlements within the radius, with their power, nearest first.
    pub settlements: Vec<SettlementCoverage>,
    /// Settlements covered.
    pub settlements_covered: usize,
    /// Population of the settlements covered.
    pub population_covered: u64,
    /// Population of the settlements within the radius.
    pub population_in_radius: u64,
}

/// Settlements and population covered by `map` at `threshold_dbm` (an RSRP-like level or a
/// receiver sensitivity).
#[must_use]
pub fn summarize(
    map: &CoverageMap,
    settlements: &[SettlementPoint],
    threshold_dbm: f64,
) -> CoverageSummary {
    let g = &map.sweep.grid;
    // Pixels counted per row (one area per row): no float sum along 10⁶ pixels.
    let (covered_area_km2, evaluated_area_km2) = map
        .rx_power_dbm
        .par_chunks(g.width.max(1))
        .enumerate()
        .map(|(row, values)| {
            let a = g.pixel_area_km2(g.pixel_center(0, row).1);
            let (mut evaluated, mut covered) = (0u32, 0u32);
            for &v in values {
                evaluated += u32::from(!v.is_nan());
                covered += u32::from(f64::from(v) >= threshold_dbm);
            }
            (a * f64::from(covered), a * f64::from(evaluated))
        })
        .reduce(|| (0.0, 0.0), |x, y| (x.0 + y.0, x.1 + y.1));
    let mut out: Vec<SettlementCoverage> = settlements
        .iter()
        .filter_map(|s| {
            let (col, row) = g.pixel_of(s.position)?;
            let v = f64::from(map.rx_power_dbm[row * g.width + col]);
            if v.is_nan() {
                return None;
            }
            let d = map.params.site.haversine_distance_m(s.position);
            Some(SettlementCoverage {
                id: s.id.clone(),
                name: s.name.clone(),
                distance_m: d,
                rx_power_dbm: v,
                population: s.population,
                covered: v >= threshold_dbm,
            })
        })
        .collect();
    out.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    CoverageSummary {
        threshold_dbm,
        covered_area_km2,
        evaluated_area_km2,
        settlements_covered: out.iter().filter(|s| s.covered).count(),
        population_covered: out.iter().filter(|s| s.covered).map(|s| s.population).sum(),
        population_in_radius: out.iter().map(|s| s.population).sum(),
        settlements: out,
    }
}

/// A line-of-sight viewshed request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ViewshedParams {
    /// Observer (antenna) position.
    pub site: LonLat,
    /// Observer height above ground, m.
    pub tx_height_m: f64,
    /// Target height above ground, m.
    pub rx_height_m: f64,
    /// Radius, m.
    pub radius_m: f64,
    /// Pixel size.
    pub resolution: Resolution,
    /// Effective earth-radius factor (4/3 standard).
    pub k_factor: f64,
}

/// Value of a viewshed pixel outside the radius.
pub const VIEWSHED_NODATA: u8 = 255;

/// A boolean viewshed: 1 visible, 0 hidden, [`VIEWSHED_NODATA`] outside the radius.
#[derive(Debug, Clone, Serialize)]
pub struct Viewshed {
    /// The request.
    pub params: ViewshedParams,
    /// The grid (its radial layout is that of a coverage map on the same grid; the viewshed
    /// scan does not use radials).
    pub sweep: Sweep,
    /// Per pixel, row-major from the north-west corner.
    #[serde(skip)]
    pub visible: Vec<u8>,
    /// Visible area, km².
    pub visible_area_km2: f64,
    /// Area inside the radius, km².
    pub evaluated_area_km2: f64,
    /// The DEM sources read, finest first.
    pub terrain: Vec<TerrainSourceUsed>,
}

/// Visibility of every sample of a radial `z` (step `step_m`) from an antenna `tx_height_m`
/// above `z[0]`, for targets `rx_height_m` above ground, earth radius `k · R`.
/// `out[0]` is true.
pub fn radial_visibility(
    z: &[f64],
    step_m: f64,
    tx_height_m: f64,
    rx_height_m: f64,
    k_factor: f64,
    out: &mut [bool],
) {
    let Some(&z0) = z.first() else { return };
    let h0 = z0 + tx_height_m;
    let curv = 1.0 / (2.0 * k_factor * crate::los::EARTH_RADIUS_M);
    let mut max_slope = f64::NEG_INFINITY;
    for (i, (zi, o)) in z.iter().zip(out.iter_mut()).enumerate() {
        if i == 0 {
            *o = true;
            continue;
        }
        let d = i as f64 * step_m;
        let drop = d * d * curv;
        let target = (zi + rx_height_m - drop - h0) / d;
        // Visible when the target clears every earlier sample (ties count as clear).
        *o = target >= max_slope;
        let ground = (zi - drop - h0) / d;
        if ground > max_slope {
            max_slope = ground;
        }
    }
}

/// Computes a line-of-sight viewshed on the coverage grid (see the module docs). The antenna
/// stands `tx_height_m` above the ground of the grid cell containing the site (as
/// gdal_viewshed places its observer); cells farther than the radius (local equirectangular
/// distance) are [`VIEWSHED_NODATA`].
///
/// # Errors
/// As [`coverage`] for the grid and terrain; [`CoverageError::InvalidParameter`] for negative
/// heights or a non-positive k.
pub fn viewshed(dem: &DemSet, params: &ViewshedParams) -> Result<Viewshed, CoverageError> {
    for (name, v) in [
        ("tx_height_m", params.tx_height_m),
        ("rx_height_m", params.rx_height_m),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(CoverageError::InvalidParameter {
                name,
                value: v,
                reason: "must be finite and ≥ 0",
            });
        }
    }
    if !(params.k_factor.is_finite() && params.k_factor > 0.0) {
        return Err(CoverageError::InvalidParameter {
            name: "k_factor",
            value: params.k_factor,
            reason: "must be positive",
        });
    }
    let sweep = Sweep::new(dem, params.site, params.radius_m, params.resolution)?;
    let g = sweep.grid;
    let Some((cx, cy)) = g.pixel_of(params.site) else {
        return Err(CoverageError::InvalidParameter {
            name: "site",
            value: params.site.lon_deg,
            reason: "outside its own grid",
        });
    };
    let disc = DiscGeometry::new(&g, params.site, sweep.radius_m);

    // Ground heights at the cell centres inside the radius (rows in parallel), then relative to
    // the observer with the earth bulge r²/2kR.
    let rows: Vec<(Vec<f64>, PathSummaryLite)> = (0..g.height)
        .into_par_iter()
        .map_init(
            || dem.sampler(),
            |sampler, row| -> Result<_, CoverageError> {
                let mut z = vec![f64::NAN; g.width];
                let Some((c0, c1)) = disc.span(row) else {
                    return Ok((z, PathSummaryLite::default()));
                };
                let (lon, lat) = g.pixel_center(c0, row);
                let s = sampler.sample_row(lat, lon, g.pixel_width_deg, &mut z[c0..=c1])?;
                Ok((
                    z,
                    PathSummaryLite {
                        finest: Some(s.finest_source),
                        coarsest: Some(s.coarsest_source),
                    },
                ))
            },
        )
        .collect::<Result<_, _>>()?;
    let z_obs = rows[cy].0[cx] + params.tx_height_m;
    let curv = 1.0 / (2.0 * params.k_factor * EARTH_RADIUS_M);
    let (mut heights, summaries): (Vec<Vec<f64>>, Vec<PathSummaryLite>) = rows.into_iter().unzip();
    heights.par_iter_mut().enumerate().for_each(|(row, z)| {
        if let Some((c0, c1)) = disc.span(row) {
            for (col, zc) in z.iter_mut().enumerate().take(c1 + 1).skip(c0) {
                *zc -= z_obs + curv * disc.r2(col, row);
            }
        }
    });

    // The horizon-carrying scan outward from the observer's row, north and south halves on
    // two threads.
    let target = params.rx_height_m;
    let mut visible = vec![VIEWSHED_NODATA; g.width * g.height];
    let (north, south) = visible.split_at_mut(cy * g.width);
    let (h_north, h_south) = heights.split_at_mut(cy);
    let scan = HorizonScan {
        disc: &disc,
        cx,
        cy,
        target,
    };
    // The observer's row first: both halves start from it.
    let (first_out, south_rest) = south.split_at_mut(g.width);
    scan.first_row(&mut h_south[0], first_out);
    let first = h_south[0].clone();
    let (h_first, h_south_rest) = h_south.split_at_mut(1);
    rayon::join(
        || {
            let mut last = first.clone();
            for (i, (z, out)) in h_north
                .iter_mut()
                .rev()
                .zip(north.chunks_exact_mut(g.width).rev())
                .enumerate()
            {
                scan.row(cy - 1 - i, i + 1, z, &last, out);
                std::mem::swap(&mut last, z);
            }
        },
        || {
            let mut last = h_first[0].clone();
            for (i, (z, out)) in h_south_rest
                .iter_mut()
                .zip(south_rest.chunks_exact_mut(g.width))
                .enumerate()
            {
                scan.row(cy + 1 + i, i + 1, z, &last, out);
                std::mem::swap(&mut last, z);
            }
        },
    );

    let mut visible_area_km2 = 0.0;
    let mut evaluated_area_km2 = 0.0;
    for (row, r) in visible.chunks_exact(g.width).enumerate() {
        let a = g.pixel_area_km2(g.pixel_center(0, row).1);
        let evaluated = r.iter().filter(|&&v| v != VIEWSHED_NODATA).count();
        let seen = r.iter().filter(|&&v| v == 1).count();
        evaluated_area_km2 += a * evaluated as f64;
        visible_area_km2 += a * seen as f64;
    }
    let used: Vec<usize> = summaries
        .iter()
        .flat_map(|s| [s.finest, s.coarsest])
        .flatten()
        .collect();
    let terrain = terrain_used(dem, used);
    Ok(Viewshed {
        params: *params,
        sweep,
        visible,
        visible_area_km2,
        evaluated_area_km2,
        terrain,
    })
}

/// The sources a row of the viewshed read.
#[derive(Debug, Clone, Copy, Default)]
struct PathSummaryLite {
    finest: Option<usize>,
    coarsest: Option<usize>,
}

/// Distances on a grid around a site: the local equirectangular metric (x = R·cos φ·Δλ with the
/// row's own latitude, y = R·Δφ; within 0.01 % of the great circle at 50 km), and the cells of
/// each row inside the radius.
struct DiscGeometry {
    site: (f64, f64),
    grid: GeoGrid,
    radius2_m2: f64,
    /// Metres per degree of latitude.
    m_per_deg: f64,
    /// Per row: metres per degree of longitude.
    m_per_deg_lon: Vec<f64>,
}

impl DiscGeometry {
    fn new(g: &GeoGrid, site: LonLat, radius_m: f64) -> Self {
        let m_per_deg = EARTH_RADIUS_M.to_radians_factor();
        let m_per_deg_lon = (0..g.height)
            .map(|row| m_per_deg * g.pixel_center(0, row).1.to_radians().cos())
            .collect();
        Self {
            site: (site.lon_deg, site.lat_deg),
            grid: *g,
            radius2_m2: radius_m * radius_m,
            m_per_deg,
            m_per_deg_lon,
        }
    }

    /// Squared distance of a cell centre from the site, m².
    #[inline]
    fn r2(&self, col: usize, row: usize) -> f64 {
        let (lon, lat) = self.grid.pixel_center(col, row);
        let x = (lon - self.site.0) * self.m_per_deg_lon[row];
        let y = (lat - self.site.1) * self.m_per_deg;
        x * x + y * y
    }

    /// The first and last columns of a row inside the radius (a contiguous run), if any.
    fn span(&self, row: usize) -> Option<(usize, usize)> {
        let (_, lat) = self.grid.pixel_center(0, row);
        let y = (lat - self.site.1) * self.m_per_deg;
        let half = (self.radius2_m2 - y * y).sqrt();
        if half.is_nan() {
            return None;
        }
        let k = self.m_per_deg_lon[row] * self.grid.pixel_width_deg;
        let c = (self.site.0 - self.grid.west_deg) / self.grid.pixel_width_deg - 0.5;
        let lo = (c - half / k).ceil().max(0.0) as usize;
        let hi = ((c + half / k).floor() as usize).min(self.grid.width - 1);
        // Rounding at the rim: keep only cells the exact test accepts.
        let lo = (lo..=hi).find(|&col| self.r2(col, row) <= self.radius2_m2)?;
        let hi = (lo..=hi)
            .rev()
            .find(|&col| self.r2(col, row) <= self.radius2_m2)?;
        Some((lo, hi))
    }
}

/// The viewshed scan of "Generating viewsheds without using sightlines" (Wang, Robinson and
/// White, 2000) as gdal_viewshed runs it by default (edge mode): rows are visited outward from
/// the observer's, each cell outward from the observer's column, and a cell's horizon height
/// is interpolated on the plane through the observer and the two already visited neighbours
/// nearer to it (the line through the observer on the axes and diagonals). A cell is visible
/// when its ground plus the target height reaches that horizon; the horizon it passes on is
/// the higher of the two. Heights are relative to the observer, earth bulge included; rows
/// are walked in index space, which keeps straight lines and ratios along them on the
/// lon/lat grid.
struct HorizonScan<'a> {
    disc: &'a DiscGeometry,
    cx: usize,
    cy: usize,
    target: f64,
}

/// Height at index distance `n` ≥ 2 on the line through the observer and a cell of height `za`
/// one step nearer.
#[inline]
fn line_height(n: usize, za: f64) -> f64 {
    za * n as f64 / (n - 1) as f64
}

/// Height at (i, j), j > i ≥ 1 index steps, on the plane through the observer and the cells
/// (i − 1, j − 1) of height `za` and (i − 1, j) or (i, j − 1) of height `zb`.
#[inline]
fn edge_height(i: usize, j: usize, za: f64, zb: f64) -> f64 {
    (za * i as f64 + zb * (j - i) as f64) / (j - 1) as f64
}

impl HorizonScan<'_> {
    /// Visibility of a cell against the horizon height `horizon`; the cell then carries the
    /// higher of the two.
    #[inline]
    fn settle(&self, z: &mut f64, horizon: f64, out: &mut u8) {
        *out = u8::from(*z + self.target >= horizon);
        *z = z.max(horizon);
    }

    fn first_row(&self, z: &mut [f64], out: &mut [u8]) {
        let Some((c0, c1)) = self.disc.span(self.cy) else {
            return;
        };
        let cx = self.cx;
        let (a, b) = (cx.saturating_sub(1).max(c0), (cx + 1).min(c1));
        if a <= b {
            out[a..=b].fill(1);
        }
        for c in (c0..cx.saturating_sub(1)).rev() {
            let h = line_height(cx - c, z[c + 1]);
            self.settle(&mut z[c], h, &mut out[c]);
        }
        for c in cx + 2..=c1 {
            let h = line_height(c - cx, z[c - 1]);
            self.settle(&mut z[c], h, &mut out[c]);
        }
    }

    /// Row `row`, `dy` ≥ 1 rows from the observer's; `last` is the row nearer to it. Only the
    /// cells inside the radius whose nearer neighbours are too are visited (at the rim a row
    /// can reach one column beyond the nearer one: longitude degrees shrink northwards).
    fn row(&self, row: usize, dy: usize, z: &mut [f64], last: &[f64], out: &mut [u8]) {
        let nearer = if row < self.cy { row + 1 } else { row - 1 };
        let (Some((c0, c1)), Some((l0, l1))) = (self.disc.span(row), self.disc.span(nearer)) else {
            return;
        };
        let (c0, c1) = (c0.max(l0), c1.min(l1));
        let cx = self.cx;
        if !(c0..=c1).contains(&cx) {
            return;
        }
        let h = if dy == 1 {
            z[cx]
        } else {
            line_height(dy, last[cx])
        };
        self.settle(&mut z[cx], h, &mut out[cx]);
        // Towards the west, then the east: `prev` is the neighbour one step nearer the
        // observer's column.
        let cell = |dx: usize, here: f64, this_prev: f64, last_here: f64, last_prev: f64| {
            if dx == dy {
                if dx == 1 {
                    here
                } else {
                    line_height(dx, last_prev)
                }
            } else if dx > dy {
                edge_height(dy, dx, last_prev, this_prev)
            } else {
                edge_height(dx, dy, last_prev, last_here)
            }
        };
        for c in (c0..cx).rev() {
            let h = cell(cx - c, z[c], z[c + 1], last[c], last[c + 1]);
            self.settle(&mut z[c], h, &mut out[c]);
        }
        for c in cx + 1..=c1 {
            let h = cell(c - cx, z[c], z[c - 1], last[c], last[c - 1]);
            self.settle(&mut z[c], h, &mut out[c]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approximate_arctangent_is_within_its_bound() {
        let mut worst: f64 = 0.0;
        for i in 0..=200_000 {
            let a = -std::f64::consts::PI + i as f64 * std::f64::consts::TAU / 200_000.0;
            for r in [1e-9, 1.0, 7e6] {
                let (y, x) = (r * a.sin(), r * a.cos());
                worst = worst.max((atan2_approx(y, x) - y.atan2(x)).abs());
            }
        }
        assert!(worst < 2e-9, "{worst:e}");
        assert!(atan2_approx(0.0, 0.0).is_nan());
        for x in [
            0.0,
            0.4,
            0.5,
            0.5 + 1e-12,
            1.5,
            2.5 - 1e-12,
            1e15 + 0.5,
            f64::NAN,
        ] {
            assert_eq!(round_non_negative(x), x.round() as usize, "{x}");
        }
    }

    /// The fast pixel-to-sample assignment is the exact one for every pixel, over sweeps at
    /// several latitudes and radii (near the radius and the rounding boundaries too).
    #[test]
    fn fast_assignment_equals_the_exact_one() {
        let dem = DemSet::new(0);
        for (lon, lat, radius_m, px_m) in [
            (76.95, 43.35, 50_000.0, 90.0),
            (71.45, 51.17, 20_000.0, 30.0),
            (10.0, -70.0, 150_000.0, 400.0),
            (-60.0, 0.0, 5_000.0, 7.0),
            (179.9, 80.0, 60_000.0, 250.0),
        ] {
            let site = LonLat::new(lon, lat).unwrap();
            let sweep = Sweep::new(&dem, site, radius_m, Resolution::Metres(px_m)).unwrap();
            let (assign, needed) = sweep.assign(site);
            let g = sweep.grid;
            let mut inside = 0;
            for row in 0..g.height {
                for col in 0..g.width {
                    let exact = sweep
                        .pixel_sample(site, col, row)
                        .map(|s| (s.radial as u32, s.sample as u32));
                    let got = assign[row * g.width + col];
                    assert_eq!(
                        exact.unwrap_or((u32::MAX, 0)),
                        got,
                        "site ({lon}, {lat}) pixel ({col}, {row})"
                    );
                    inside += usize::from(exact.is_some());
                }
            }
            assert!(inside > g.width * g.height / 2);
            assert_eq!(
                needed.iter().filter(|n| **n).count(),
                assign
                    .iter()
                    .filter(|a| a.0 != u32::MAX)
                    .collect::<std::collections::HashSet<_>>()
                    .len()
            );
        }
    }

    #[test]
    fn sector_pattern_is_symmetric_and_capped() {
        let p = AntennaPattern::Sector {
            azimuth_deg: 350.0,
            beamwidth_deg: 65.0,
            front_to_back_db: 25.0,
        };
        assert_eq!(p.attenuation_db(350.0), 0.0);
        assert!((p.attenuation_db(10.0) - p.attenuation_db(330.0)).abs() < 1e-9);
        assert!((p.attenuation_db(350.0 + 32.5) - 3.0).abs() < 1e-9);
        assert_eq!(p.attenuation_db(170.0), 25.0);
    }

    #[test]
    fn flat_earth_visibility_ends_at_the_radio_horizon() {
        // Smooth earth at 0 m, antenna 40 m, target on the ground: visible up to the
        // 4/3-earth radio horizon sqrt(2 k R h), hidden beyond it.
        let z = vec![0.0; 2000];
        let mut vis = vec![false; 2000];
        radial_visibility(&z, 50.0, 40.0, 0.0, 4.0 / 3.0, &mut vis);
        let horizon_m = (2.0 * 4.0 / 3.0 * crate::los::EARTH_RADIUS_M * 40.0).sqrt();
        let i_h = (horizon_m / 50.0) as usize;
        assert!(vis[..i_h - 5].iter().all(|v| *v));
        assert!(vis[i_h + 5..].iter().all(|v| !*v));
        // A 100 m ridge at 5 km hides low ground just behind it.
        let mut z = vec![0.0; 400];
        z[100] = 100.0;
        radial_visibility(&z, 50.0, 10.0, 2.0, 4.0 / 3.0, &mut vis[..400]);
        assert!(vis[100]);
        assert!(!vis[110]);
    }
}
