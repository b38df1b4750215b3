//! A set of DEM sources layered by resolution: elevation at a point, profiles along great
//! circles and radials. Where several sources cover a point the finest wins; a void in it is
//! filled from the next coarser source that has a value (see [`VoidPolicy`]). Tiles are decoded
//! on first use through a [`TileLoader`] and kept in a byte-bounded LRU cache. `DemSet` is
//! `Send + Sync`: share one `&DemSet` across rayon threads.

use std::collections::HashMap;
use std::sync::Arc;

use auyl_model::LonLat;

use crate::cache::{CacheStats, TileCache};
use crate::geodesy::{GreatCircle, Radial};
use crate::hgt::hgt_tile_name;
use crate::tile::{Bounds, GridGeometry};
use crate::{TerrainError, Tile};

/// The most samples one profile may have (80 MB of heights).
pub const MAX_PATH_POINTS: usize = 10_000_000;

/// Default cache budget: 512 MiB (about 170 SRTM3 tiles or 30 national grids).
pub const DEFAULT_CACHE_BUDGET_BYTES: usize = 512 << 20;

/// Decodes one tile when it is first needed. The folder layer implements it for files; callers
/// may implement it for any other store.
pub trait TileLoader: Send + Sync + std::fmt::Debug {
    /// Read and decode the tile.
    fn load(&self) -> Result<Tile, TerrainError>;
}

/// The file format a source came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileFormat {
    /// SRTM `.hgt` (possibly `.gz`/`.xz`).
    Hgt,
    /// GeoTIFF.
    GeoTiff,
    /// Raw grid with an ESRI `.hdr` header.
    EsriHdr,
    /// A tile handed in already decoded.
    Memory,
}

/// What is known of a source before its samples are decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    /// File name (without folder), e.g. `N43E076.hgt.xz`.
    pub name: String,
    /// Format.
    pub format: TileFormat,
    /// Grid and georeferencing.
    pub geometry: GridGeometry,
}

impl SourceInfo {
    /// The area it answers for.
    pub fn bounds(&self) -> Bounds {
        self.geometry.bounds()
    }

    /// Row spacing, arc-seconds (3 for SRTM3, 30 for the national grid).
    pub fn resolution_arcsec(&self) -> f64 {
        self.geometry.resolution_arcsec()
    }

    /// Row spacing on the ground, metres (north–south, so independent of latitude).
    pub fn resolution_m(&self) -> f64 {
        self.geometry.step_lat_deg().to_radians() * crate::geodesy::EARTH_RADIUS_M
    }

    /// A one-line description: `N43E076.hgt.xz (SRTM .hgt, 3.0″ ≈ 93 m)`.
    pub fn describe(&self) -> String {
        let f = match self.format {
            TileFormat::Hgt => "SRTM .hgt",
            TileFormat::GeoTiff => "GeoTIFF",
            TileFormat::EsriHdr => "ESRI .hdr grid",
            TileFormat::Memory => "in-memory grid",
        };
        format!(
            "{} ({f}, {:.1}\u{2033} \u{2248} {:.0} m)",
            self.name,
            self.resolution_arcsec(),
            self.resolution_m()
        )
    }
}

/// What to do where the finest covering source has a void.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VoidPolicy {
    /// Take the value of the next coarser source that covers the point and has one there
    /// (SRTM voids filled from the national grid). The default.
    #[default]
    FillFromCoarser,
    /// Report the void of the finest source.
    Strict,
}

/// The height at one point and where it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointElevation {
    /// Bilinear height, metres; `None` where every covering source has a void (or, with
    /// [`VoidPolicy::Strict`], the finest has).
    pub elevation_m: Option<f64>,
    /// Index in [`DemSet::sources`] of the source that answered (the last tried for a void).
    pub source_index: usize,
}

/// How to space the samples of a profile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ProfileSpacing {
    /// Evenly spaced samples no further apart than this, metres (the spacing used is
    /// `length / ceil(length / step)`), ends included.
    MaxStepM(f64),
    /// Exactly this many evenly spaced samples, ends included (at least 2).
    Points(usize),
}

/// Counts of a sampled path: how many samples, voids filled, and the finest and coarsest source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathSummary {
    /// Samples written.
    pub points: usize,
    /// Samples that were voids in every covering source and were interpolated along the path.
    pub filled_voids: usize,
    /// Index of the finest source used.
    pub finest_source: usize,
    /// Index of the coarsest source used.
    pub coarsest_source: usize,
}

/// How many samples of a profile one source gave.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceUse {
    /// Index in [`DemSet::sources`].
    pub source_index: usize,
    /// Its name.
    pub name: String,
    /// Its resolution, arc-seconds.
    pub resolution_arcsec: f64,
    /// Its resolution, metres.
    pub resolution_m: f64,
    /// Samples it gave.
    pub points: usize,
}

/// A terrain profile along a great circle.
///
/// Voids left after [`VoidPolicy`] are filled by linear interpolation between the nearest valid
/// samples along the path (the end samples copy their nearest valid neighbour); `filled_voids`
/// counts them. A path with no valid sample is an error, never zeros.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Distance of each sample from the start, metres.
    pub distances_m: Vec<f64>,
    /// Height of each sample, metres.
    pub elevations_m: Vec<f64>,
    /// Spacing of the samples, metres.
    pub step_m: f64,
    /// Samples interpolated over voids.
    pub filled_voids: usize,
    /// The sources used, finest first.
    pub sources: Vec<SourceUse>,
}

impl Profile {
    /// Length of the path, metres.
    pub fn length_m(&self) -> f64 {
        self.distances_m.last().copied().unwrap_or(0.0)
    }
}

#[derive(Debug)]
enum Loader {
    Memory(Arc<Tile>),
    Lazy(Box<dyn TileLoader>),
}

#[derive(Debug)]
struct Source {
    info: SourceInfo,
    bounds: Bounds,
    loader: Loader,
}

/// Per-call state of a sampling loop: the last 1° cell's candidate list and a few tiles in hand,
/// so a path touches the shared cache once per tile rather than once per sample.
struct Cursor<'a> {
    cell: Option<(i32, i32)>,
    candidates: &'a [u32],
    held: [Option<(u32, Arc<Tile>)>; 4],
    next: usize,
}

impl Cursor<'_> {
    fn new() -> Self {
        Cursor {
            cell: None,
            candidates: &[],
            held: [None, None, None, None],
            next: 0,
        }
    }
}

/// A layered set of DEM sources. See the module docs.
#[derive(Debug)]
pub struct DemSet {
    sources: Vec<Source>,
    /// 1° cell (⌊lon⌋, ⌊lat⌋) → indices of the sources touching it, finest first.
    index: HashMap<(i32, i32), Vec<u32>>,
    cache: TileCache,
    void_policy: VoidPolicy,
}

impl Default for DemSet {
    fn default() -> Self {
        DemSet::new(DEFAULT_CACHE_BUDGET_BYTES)
    }
}

/// ⌊x⌋ as i32 without a libm call (saturating like `as`).
#[inline]
fn floor_i32(x: f64) -> i32 {
    let t = x as i32;
    if f64::from(t) > x {
        t.saturating_sub(1)
    } else {
        t
    }
}

fn check_finite(p: LonLat) -> Result<(), TerrainError> {
    if p.lon_deg.is_finite() && p.lat_deg.is_finite() && p.lat_deg.abs() <= 90.0 {
        Ok(())
    } else {
        Err(TerrainError::InvalidArgument(format!(
            "position lon {} lat {} is not a valid WGS84 point",
            p.lon_deg, p.lat_deg
        )))
    }
}

/// Fill NaN samples by linear interpolation between their nearest valid neighbours (ends copy the
/// nearest valid sample). Returns how many were filled, or `None` when none is valid.
pub fn fill_voids_linear(values: &mut [f64]) -> Option<usize> {
    let first = values.iter().position(|v| !v.is_nan())?;
    let mut filled = 0;
    for i in 0..first {
        values[i] = values[first];
        filled += 1;
    }
    let mut last_valid = first;
    for i in first + 1..values.len() {
        if values[i].is_nan() {
            continue;
        }
        if i > last_valid + 1 {
            let (a, b) = (values[last_valid], values[i]);
            let span = (i - last_valid) as f64;
            for (k, slot) in values.iter_mut().enumerate().take(i).skip(last_valid + 1) {
                *slot = a + (b - a) * ((k - last_valid) as f64 / span);
                filled += 1;
            }
        }
        last_valid = i;
    }
    for i in last_valid + 1..values.len() {
        values[i] = values[last_valid];
        filled += 1;
    }
    Some(filled)
}

impl DemSet {
    /// An empty set whose cache holds at most `cache_budget_bytes` of decoded tiles (a single
    /// tile larger than the budget is still held while it is the only one).
    pub fn new(cache_budget_bytes: usize) -> DemSet {
        DemSet {
            sources: Vec::new(),
            index: HashMap::new(),
            cache: TileCache::new(cache_budget_bytes),
            void_policy: VoidPolicy::default(),
        }
    }

    /// Set how voids of the finest source are treated.
    pub fn with_void_policy(mut self, policy: VoidPolicy) -> DemSet {
        self.void_policy = policy;
        self
    }

    /// Change the cache budget, bytes.
    pub fn set_cache_budget_bytes(&mut self, budget_bytes: usize) {
        self.cache.set_budget(budget_bytes);
    }

    /// Add a decoded tile (kept in memory, outside the cache budget). Returns its source index.
    pub fn add_tile(&mut self, tile: Tile) -> usize {
        let info = SourceInfo {
            name: tile.name().to_owned(),
            format: TileFormat::Memory,
            geometry: *tile.geometry(),
        };
        self.push(info, Loader::Memory(Arc::new(tile)))
    }

    /// Add a source decoded lazily by `loader` on first use. Returns its source index.
    pub fn add_lazy(&mut self, info: SourceInfo, loader: Box<dyn TileLoader>) -> usize {
        self.push(info, Loader::Lazy(loader))
    }

    fn push(&mut self, info: SourceInfo, loader: Loader) -> usize {
        let idx = self.sources.len();
        let bounds = info.bounds();
        let per_deg = info.geometry.per_deg_lat;
        self.sources.push(Source {
            info,
            bounds,
            loader,
        });
        self.cache.add_source();
        let (w, e) = (
            bounds.west_deg.floor() as i32,
            bounds.east_deg.floor() as i32,
        );
        let (s, n) = (
            bounds.south_deg.floor() as i32,
            bounds.north_deg.floor() as i32,
        );
        for lon in w.max(-181)..=e.min(180) {
            for lat in s.max(-91)..=n.min(90) {
                let list = self.index.entry((lon, lat)).or_default();
                // Finest first; among equals the one added first.
                let pos = list.partition_point(|&o| {
                    self.sources[o as usize].info.geometry.per_deg_lat >= per_deg
                });
                list.insert(pos, idx as u32);
            }
        }
        idx
    }

    /// The sources, in the order added.
    pub fn sources(&self) -> impl ExactSizeIterator<Item = &SourceInfo> {
        self.sources.iter().map(|s| &s.info)
    }

    /// One source by index.
    pub fn source(&self, index: usize) -> Option<&SourceInfo> {
        self.sources.get(index).map(|s| &s.info)
    }

    /// Number of sources.
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether the set has no source.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Cache counters.
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// The decoded tile of a source (through the cache).
    pub fn tile(&self, source_index: usize) -> Result<Arc<Tile>, TerrainError> {
        let s = self.sources.get(source_index).ok_or_else(|| {
            TerrainError::InvalidArgument(format!(
                "no source {source_index} (the set has {})",
                self.sources.len()
            ))
        })?;
        match &s.loader {
            Loader::Memory(t) => Ok(Arc::clone(t)),
            Loader::Lazy(l) => self.cache.get(source_index as u32, || l.load()),
        }
    }

    /// Indices of the sources covering a point, finest first.
    pub fn sources_at(&self, p: LonLat) -> Vec<usize> {
        let key = (p.lon_deg.floor() as i32, p.lat_deg.floor() as i32);
        self.index
            .get(&key)
            .map(|l| {
                l.iter()
                    .filter(|&&s| {
                        self.sources[s as usize]
                            .bounds
                            .contains(p.lon_deg, p.lat_deg)
                    })
                    .map(|&s| s as usize)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn held_tile(&self, cur: &mut Cursor<'_>, s: u32) -> Result<Arc<Tile>, TerrainError> {
        if let Some((_, t)) = cur.held.iter().flatten().find(|(i, _)| *i == s) {
            return Ok(Arc::clone(t));
        }
        let t = self.tile(s as usize)?;
        cur.held[cur.next] = Some((s, Arc::clone(&t)));
        cur.next = (cur.next + 1) % cur.held.len();
        Ok(t)
    }

    /// Height at (lon, lat), NaN for a void, and the source that answered.
    fn sample<'a>(
        &'a self,
        cur: &mut Cursor<'a>,
        lon: f64,
        lat: f64,
    ) -> Result<(f64, u32), TerrainError> {
        let key = (floor_i32(lon), floor_i32(lat));
        if cur.cell != Some(key) {
            cur.cell = Some(key);
            cur.candidates = self.index.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        }
        let mut last = None;
        for &s in cur.candidates {
            if !self.sources[s as usize].bounds.contains(lon, lat) {
                continue;
            }
            let v = {
                // Fast path: the tile is already in hand.
                match cur.held.iter().flatten().find(|(i, _)| *i == s) {
                    Some((_, t)) => t.bilinear(lon, lat),
                    None => self.held_tile(cur, s)?.bilinear(lon, lat),
                }
            };
            last = Some(s);
            if !v.is_nan() || self.void_policy == VoidPolicy::Strict {
                return Ok((v, s));
            }
        }
        match last {
            Some(s) => Ok((f64::NAN, s)),
            None => Err(TerrainError::MissingTile {
                tile: hgt_tile_name(lon, lat),
                lon_deg: lon,
                lat_deg: lat,
            }),
        }
    }

    /// Bilinear height at a point from the finest covering source (voids per [`VoidPolicy`]).
    ///
    /// Errors: [`TerrainError::MissingTile`] naming the 1° tile when no source covers the point;
    /// decoding errors of the tile.
    pub fn elevation(&self, p: LonLat) -> Result<PointElevation, TerrainError> {
        self.elevation_with(&mut Cursor::new(), p)
    }

    fn elevation_with<'a>(
        &'a self,
        cur: &mut Cursor<'a>,
        p: LonLat,
    ) -> Result<PointElevation, TerrainError> {
        check_finite(p)?;
        let (v, s) = self.sample(cur, p.lon_deg, p.lat_deg)?;
        Ok(PointElevation {
            elevation_m: (!v.is_nan()).then_some(v),
            source_index: s as usize,
        })
    }

    /// Height at a point, metres; a void is the error [`TerrainError::Void`].
    pub fn elevation_m(&self, p: LonLat) -> Result<f64, TerrainError> {
        let e = self.elevation(p)?;
        e.elevation_m.ok_or_else(|| TerrainError::Void {
            lon_deg: p.lon_deg,
            lat_deg: p.lat_deg,
            source_name: self.sources[e.source_index].info.name.clone(),
        })
    }

    /// Sample `out.len()` points produced by `point_at(i)`; fill voids; summarise. `per_source`
    /// (if given) counts samples per source.
    fn sample_path<'a>(
        &'a self,
        cur: &mut Cursor<'a>,
        out: &mut [f64],
        point_at: impl Fn(usize) -> (f64, f64),
        mut per_source: Option<&mut HashMap<u32, usize>>,
    ) -> Result<PathSummary, TerrainError> {
        let (mut finest, mut coarsest) = (u32::MAX, u32::MAX);
        let res = |s: u32| self.sources[s as usize].info.geometry.per_deg_lat;
        let n = out.len();
        for (i, slot) in out.iter_mut().enumerate() {
            let (lon, lat) = point_at(i);
            let (v, s) = self.sample(cur, lon, lat)?;
            *slot = v;
            if !v.is_nan() {
                if finest == u32::MAX || res(s) > res(finest) {
                    finest = s;
                }
                if coarsest == u32::MAX || res(s) < res(coarsest) {
                    coarsest = s;
                }
                if let Some(m) = per_source.as_deref_mut() {
                    *m.entry(s).or_default() += 1;
                }
            } else if finest == u32::MAX && i + 1 == n {
                finest = s;
                coarsest = s;
            }
        }
        let filled = match fill_voids_linear(out) {
            Some(f) => f,
            None if out.is_empty() => 0,
            None => {
                return Err(TerrainError::AllVoid {
                    points: out.len(),
                    source_name: self
                        .sources
                        .get(finest as usize)
                        .map(|s| s.info.name.clone())
                        .unwrap_or_default(),
                });
            }
        };
        Ok(PathSummary {
            points: out.len(),
            filled_voids: filled,
            finest_source: finest as usize,
            coarsest_source: coarsest as usize,
        })
    }

    /// Heights of `out.len()` evenly spaced points from `a` to `b` along the great circle (ends
    /// included), without allocating. Voids are filled as described on [`Profile`].
    pub fn profile_into(
        &self,
        a: LonLat,
        b: LonLat,
        out: &mut [f64],
    ) -> Result<PathSummary, TerrainError> {
        self.profile_into_with(&mut Cursor::new(), a, b, out)
    }

    fn profile_into_with<'a>(
        &'a self,
        cur: &mut Cursor<'a>,
        a: LonLat,
        b: LonLat,
        out: &mut [f64],
    ) -> Result<PathSummary, TerrainError> {
        check_finite(a)?;
        check_finite(b)?;
        let gc = GreatCircle::new((a.lon_deg, a.lat_deg), (b.lon_deg, b.lat_deg))
            .ok_or_else(|| TerrainError::InvalidArgument("the path's ends are antipodal".into()))?;
        let last = out.len().saturating_sub(1).max(1) as f64;
        self.sample_path(cur, out, |i| gc.point_at(i as f64 / last), None)
    }

    /// The terrain profile from `a` to `b` along the great circle.
    pub fn profile(
        &self,
        a: LonLat,
        b: LonLat,
        spacing: ProfileSpacing,
    ) -> Result<Profile, TerrainError> {
        check_finite(a)?;
        check_finite(b)?;
        let gc = GreatCircle::new((a.lon_deg, a.lat_deg), (b.lon_deg, b.lat_deg))
            .ok_or_else(|| TerrainError::InvalidArgument("the path's ends are antipodal".into()))?;
        let length = gc.length_m();
        let n = match spacing {
            ProfileSpacing::MaxStepM(step) if step.is_finite() && step > 0.0 => {
                let segments = (length / step).ceil();
                if segments > MAX_PATH_POINTS as f64 {
                    return Err(TerrainError::InvalidArgument(format!(
                        "{segments} samples of {step} m is too many"
                    )));
                }
                (segments as usize).max(1) + 1
            }
            ProfileSpacing::Points(n) if (2..=MAX_PATH_POINTS).contains(&n) => n,
            other => {
                return Err(TerrainError::InvalidArgument(format!(
                    "profile spacing {other:?}: need a positive step or 2.. points"
                )));
            }
        };
        let step = length / (n - 1) as f64;
        let mut elevations_m = vec![0.0; n];
        let mut counts = HashMap::new();
        let summary = self.sample_path(
            &mut Cursor::new(),
            &mut elevations_m,
            |i| gc.point_at(i as f64 / (n - 1) as f64),
            Some(&mut counts),
        )?;
        let mut sources: Vec<SourceUse> = counts
            .into_iter()
            .map(|(s, points)| {
                let info = &self.sources[s as usize].info;
                SourceUse {
                    source_index: s as usize,
                    name: info.name.clone(),
                    resolution_arcsec: info.resolution_arcsec(),
                    resolution_m: info.resolution_m(),
                    points,
                }
            })
            .collect();
        sources.sort_by(|x, y| {
            x.resolution_arcsec
                .total_cmp(&y.resolution_arcsec)
                .then(x.source_index.cmp(&y.source_index))
        });
        Ok(Profile {
            distances_m: (0..n).map(|i| i as f64 * step).collect(),
            elevations_m,
            step_m: step,
            filled_voids: summary.filled_voids,
            sources,
        })
    }

    /// Heights along a radial, for coverage sweeps: `out[i]` is the height at distance
    /// `i · step_m` from `origin` along the great circle leaving it at `azimuth_deg` (clockwise
    /// from north), at the points of [`Radial::points_into`] (within 1 µm of
    /// [`Radial::point_at`]). Voids filled as on [`Profile`]. A [`Sampler`] reuses its buffers
    /// from radial to radial.
    pub fn sample_radial(
        &self,
        origin: LonLat,
        azimuth_deg: f64,
        step_m: f64,
        out: &mut [f64],
    ) -> Result<PathSummary, TerrainError> {
        let arc = |i: usize| Radial::arc(i as f64 * step_m);
        let mut points = Vec::new();
        self.sample_radial_with(
            &mut Cursor::new(),
            origin,
            azimuth_deg,
            step_m,
            arc,
            &mut points,
            out,
        )
    }

    /// Heights at the given points (any path the caller builds), voids filled as on
    /// [`Profile`] in the order given.
    pub fn sample_points_into(
        &self,
        points: &[LonLat],
        out: &mut [f64],
    ) -> Result<PathSummary, TerrainError> {
        self.sample_points_with(&mut Cursor::new(), points, out)
    }

    fn sample_points_with<'a>(
        &'a self,
        cur: &mut Cursor<'a>,
        points: &[LonLat],
        out: &mut [f64],
    ) -> Result<PathSummary, TerrainError> {
        if points.len() != out.len() {
            return Err(TerrainError::InvalidArgument(format!(
                "{} points but an output of {}",
                points.len(),
                out.len()
            )));
        }
        for p in points {
            check_finite(*p)?;
        }
        self.sample_path(cur, out, |i| (points[i].lon_deg, points[i].lat_deg), None)
    }

    /// [`DemSet::sample_radial`], with `arc(i)` giving [`Radial::arc`] of sample `i`'s distance
    /// and `points` a buffer for the samples' positions.
    #[allow(clippy::too_many_arguments)]
    fn sample_radial_with<'a>(
        &'a self,
        cur: &mut Cursor<'a>,
        origin: LonLat,
        azimuth_deg: f64,
        step_m: f64,
        arc: impl Fn(usize) -> (f64, f64),
        points: &mut Vec<(f64, f64)>,
        out: &mut [f64],
    ) -> Result<PathSummary, TerrainError> {
        check_finite(origin)?;
        if !(step_m.is_finite() && step_m > 0.0 && azimuth_deg.is_finite()) {
            return Err(TerrainError::InvalidArgument(format!(
                "radial step {step_m} m, azimuth {azimuth_deg}°"
            )));
        }
        let o = (origin.lon_deg, origin.lat_deg);
        points.clear();
        points.resize(out.len(), o);
        Radial::new(o, azimuth_deg).points_into(o, step_m, arc, points);
        let points = &*points;
        self.sample_path(cur, out, |i| points[i], None)
    }
}

impl DemSet {
    /// A sampler for many queries from one thread: it keeps the tiles it used in hand, so
    /// repeated lookups (a coverage sweep's radials, pixel after pixel) skip the shared cache.
    /// Make one per thread (e.g. rayon's `map_init`).
    pub fn sampler(&self) -> Sampler<'_> {
        Sampler {
            dem: self,
            cur: Cursor::new(),
            arcs: (0, Vec::new()),
            points: Vec::new(),
        }
    }
}

/// Per-thread sampling state over a [`DemSet`]; see [`DemSet::sampler`]. Same results as the
/// `DemSet` methods of the same names.
pub struct Sampler<'a> {
    dem: &'a DemSet,
    cur: Cursor<'a>,
    /// [`Radial::arc`] of the samples of the last radial step (its bits), the same on every
    /// radial of a sweep.
    arcs: (u64, Vec<(f64, f64)>),
    /// The positions of the last radial's samples.
    points: Vec<(f64, f64)>,
}

impl std::fmt::Debug for Sampler<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sampler")
            .field("sources", &self.dem.len())
            .finish()
    }
}

impl<'a> Sampler<'a> {
    /// As [`DemSet::elevation`].
    pub fn elevation(&mut self, p: LonLat) -> Result<PointElevation, TerrainError> {
        self.dem.elevation_with(&mut self.cur, p)
    }

    /// As [`DemSet::profile_into`].
    pub fn profile_into(
        &mut self,
        a: LonLat,
        b: LonLat,
        out: &mut [f64],
    ) -> Result<PathSummary, TerrainError> {
        self.dem.profile_into_with(&mut self.cur, a, b, out)
    }

    /// As [`DemSet::sample_points_into`].
    pub fn sample_points_into(
        &mut self,
        points: &[LonLat],
        out: &mut [f64],
    ) -> Result<PathSummary, TerrainError> {
        self.dem.sample_points_with(&mut self.cur, points, out)
    }

    /// Heights along a parallel, for grid scans: `out[i]` is the height at
    /// (`west_lon_deg + i · step_lon_deg`, `lat_deg`). Same values and void filling as
    /// [`DemSet::sample_points_into`] on those points, without building them.
    ///
    /// # Errors
    /// [`TerrainError::InvalidArgument`] for non-finite inputs or a row leaving −180…180°/±90°,
    /// and the errors of [`DemSet::sample_points_into`].
    pub fn sample_row(
        &mut self,
        lat_deg: f64,
        west_lon_deg: f64,
        step_lon_deg: f64,
        out: &mut [f64],
    ) -> Result<PathSummary, TerrainError> {
        let east = west_lon_deg + out.len().saturating_sub(1) as f64 * step_lon_deg;
        for lon in [west_lon_deg, east] {
            LonLat::new(lon, lat_deg).map_err(|e| {
                TerrainError::InvalidArgument(format!("grid row at {lon}, {lat_deg}: {e}"))
            })?;
        }
        if !step_lon_deg.is_finite() {
            return Err(TerrainError::InvalidArgument(format!(
                "grid row step {step_lon_deg}°"
            )));
        }
        self.dem.sample_path(
            &mut self.cur,
            out,
            |i| (west_lon_deg + i as f64 * step_lon_deg, lat_deg),
            None,
        )
    }

    /// As [`DemSet::sample_radial`].
    pub fn sample_radial(
        &mut self,
        origin: LonLat,
        azimuth_deg: f64,
        step_m: f64,
        out: &mut [f64],
    ) -> Result<PathSummary, TerrainError> {
        let (bits, arcs) = &mut self.arcs;
        if *bits != step_m.to_bits() || arcs.len() < out.len() {
            *bits = step_m.to_bits();
            arcs.clear();
            arcs.extend((0..out.len()).map(|i| Radial::arc(i as f64 * step_m)));
        }
        let arcs = &*arcs;
        self.dem.sample_radial_with(
            &mut self.cur,
            origin,
            azimuth_deg,
            step_m,
            |i| {
                arcs.get(i)
                    .copied()
                    .unwrap_or_else(|| Radial::arc(i as f64 * step_m))
            },
            &mut self.points,
            out,
        )
    }
}

impl Profile {
    /// The profile in ITM's `pfl` layout: `[intervals, step_m, z0, z1, …, zn]`.
    pub fn to_itm_pfl(&self) -> Vec<f64> {
        let mut pfl = Vec::with_capacity(self.elevations_m.len() + 2);
        pfl.push(self.elevations_m.len().saturating_sub(1) as f64);
        pfl.push(self.step_m);
        pfl.extend_from_slice(&self.elevations_m);
        pfl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dem_set_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<DemSet>();
        assert_send_sync::<Tile>();
    }

    #[test]
    fn fill_interpolates_and_extends() {
        let mut v = [f64::NAN, 10.0, f64::NAN, f64::NAN, 40.0, f64::NAN];
        assert_eq!(fill_voids_linear(&mut v), Some(4));
        assert_eq!(v, [10.0, 10.0, 20.0, 30.0, 40.0, 40.0]);
        assert_eq!(fill_voids_linear(&mut [f64::NAN, f64::NAN]), None);
    }
}
