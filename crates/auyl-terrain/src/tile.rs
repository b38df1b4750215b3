//! A decoded DEM tile: a regular lon/lat grid of heights with its georeferencing, and bilinear
//! sampling on it. Pure: tiles are built from bytes by the format modules.

use crate::TerrainError;

/// How grid values relate to the ground: at points (posts) or as means over cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Values are at posts; the grid's extent runs from the first to the last post (SRTM `.hgt`,
    /// GeoTIFF `RasterPixelIsPoint`).
    Point,
    /// Values are cell means; the extent runs half a cell beyond the outer cell centres (ESRI
    /// `.hdr` grids, GeoTIFF `RasterPixelIsArea`).
    Area,
}

/// The georeferencing of a grid: where sample (0, 0) is and how far apart samples are.
///
/// Row 0 is the northern edge, column 0 the western edge; for [`Registration::Area`] grids the
/// sample positions are the cell centres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridGeometry {
    /// Number of rows (north to south).
    pub rows: usize,
    /// Number of columns (west to east).
    pub cols: usize,
    /// Latitude of the samples of row 0, degrees.
    pub lat0_deg: f64,
    /// Longitude of the samples of column 0, degrees.
    pub lon0_deg: f64,
    /// Samples per degree of latitude (1200 for SRTM3); the inverse of the row spacing.
    pub per_deg_lat: f64,
    /// Samples per degree of longitude.
    pub per_deg_lon: f64,
    /// Points or cells.
    pub registration: Registration,
}

/// A lon/lat rectangle, degrees, edges included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Western edge.
    pub west_deg: f64,
    /// Southern edge.
    pub south_deg: f64,
    /// Eastern edge.
    pub east_deg: f64,
    /// Northern edge.
    pub north_deg: f64,
}

impl Bounds {
    /// Whether the point lies inside or on the edge.
    #[inline]
    pub fn contains(&self, lon_deg: f64, lat_deg: f64) -> bool {
        lon_deg >= self.west_deg
            && lon_deg <= self.east_deg
            && lat_deg >= self.south_deg
            && lat_deg <= self.north_deg
    }
}

/// Snap a samples-per-degree figure computed from a truncated decimal spacing (e.g.
/// `0.008333333333333` → 120.000000000005) to the whole number it stands for.
pub(crate) fn snap_per_deg(per_deg: f64) -> f64 {
    let r = per_deg.round();
    if r >= 1.0 && (per_deg - r).abs() < 1e-6 * r {
        r
    } else {
        per_deg
    }
}

impl GridGeometry {
    /// Row spacing in degrees.
    pub fn step_lat_deg(&self) -> f64 {
        1.0 / self.per_deg_lat
    }

    /// Column spacing in degrees.
    pub fn step_lon_deg(&self) -> f64 {
        1.0 / self.per_deg_lon
    }

    /// Row spacing in arc-seconds (3 for SRTM3, 30 for the national grid).
    pub fn resolution_arcsec(&self) -> f64 {
        3600.0 / self.per_deg_lat
    }

    /// The area the grid answers for: outer posts, or outer cell edges.
    pub fn bounds(&self) -> Bounds {
        let half = match self.registration {
            Registration::Point => 0.0,
            Registration::Area => 0.5,
        };
        Bounds {
            west_deg: self.lon0_deg - half / self.per_deg_lon,
            east_deg: self.lon0_deg + (self.cols as f64 - 1.0 + half) / self.per_deg_lon,
            north_deg: self.lat0_deg + half / self.per_deg_lat,
            south_deg: self.lat0_deg - (self.rows as f64 - 1.0 + half) / self.per_deg_lat,
        }
    }

    /// Latitude and longitude of sample (row, col), degrees.
    pub fn sample_lat_lon_deg(&self, row: usize, col: usize) -> (f64, f64) {
        (
            self.lat0_deg - row as f64 / self.per_deg_lat,
            self.lon0_deg + col as f64 / self.per_deg_lon,
        )
    }

    pub(crate) fn validate(&self, name: &str) -> Result<(), TerrainError> {
        let finite = [
            self.lat0_deg,
            self.lon0_deg,
            self.per_deg_lat,
            self.per_deg_lon,
        ]
        .iter()
        .all(|v| v.is_finite());
        if !finite || self.per_deg_lat <= 0.0 || self.per_deg_lon <= 0.0 {
            return Err(TerrainError::format(
                name,
                format!("invalid georeferencing {self:?}"),
            ));
        }
        if self.rows < 2 || self.cols < 2 {
            return Err(TerrainError::format(
                name,
                format!(
                    "grid of {}x{} samples is too small (need 2x2)",
                    self.rows, self.cols
                ),
            ));
        }
        Ok(())
    }
}

/// Σ wₖ·v(idxₖ) over the samples with non-zero weight (a void with zero weight does not
/// matter, so exact posts next to voids stay valid); NaN if a weighted sample is a void.
#[inline(always)]
fn weighted(weights: &[f64; 4], idx: &[usize; 4], value: impl Fn(usize) -> f64) -> f64 {
    let mut sum = 0.0;
    for k in 0..4 {
        if weights[k] != 0.0 {
            sum += value(idx[k]) * weights[k];
        }
    }
    sum
}

/// The stored samples; voids are kept explicit (a sentinel for integers, NaN for floats).
#[derive(Debug, Clone)]
pub(crate) enum TileData {
    /// 16-bit integers with an optional void sentinel (SRTM: −32768).
    I16 { values: Vec<i16>, void: Option<i16> },
    /// Floats; NaN marks a void (a declared nodata value is turned into NaN on decoding).
    F32(Vec<f32>),
}

/// A decoded DEM tile. Cheap to share behind an `Arc`; immutable once built.
#[derive(Debug, Clone)]
pub struct Tile {
    name: String,
    geometry: GridGeometry,
    bounds: Bounds,
    data: TileData,
}

impl Tile {
    pub(crate) fn new(
        name: String,
        geometry: GridGeometry,
        data: TileData,
    ) -> Result<Tile, TerrainError> {
        geometry.validate(&name)?;
        let len = match &data {
            TileData::I16 { values, .. } => values.len(),
            TileData::F32(v) => v.len(),
        };
        if len != geometry.rows * geometry.cols {
            return Err(TerrainError::format(
                &name,
                format!(
                    "{len} samples for a {}x{} grid",
                    geometry.rows, geometry.cols
                ),
            ));
        }
        let bounds = geometry.bounds();
        Ok(Tile {
            name,
            geometry,
            bounds,
            data,
        })
    }

    /// Build a tile from 16-bit samples in row-major order (row 0 north); `void` marks no data.
    pub fn from_i16(
        name: &str,
        geometry: GridGeometry,
        values: Vec<i16>,
        void: Option<i16>,
    ) -> Result<Tile, TerrainError> {
        Tile::new(name.to_owned(), geometry, TileData::I16 { values, void })
    }

    /// Build a tile from float samples in row-major order (row 0 north); NaN marks no data.
    pub fn from_f32(
        name: &str,
        geometry: GridGeometry,
        values: Vec<f32>,
    ) -> Result<Tile, TerrainError> {
        Tile::new(name.to_owned(), geometry, TileData::F32(values))
    }

    /// The tile's name (file name without folder, e.g. `N43E076.hgt`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its georeferencing.
    pub fn geometry(&self) -> &GridGeometry {
        &self.geometry
    }

    /// The area it answers for.
    pub fn bounds(&self) -> Bounds {
        self.bounds
    }

    /// Memory held by the samples, bytes (what the cache budget counts).
    pub fn byte_size(&self) -> usize {
        match &self.data {
            TileData::I16 { values, .. } => values.len() * 2,
            TileData::F32(v) => v.len() * 4,
        }
    }

    /// Number of void samples.
    pub fn void_count(&self) -> usize {
        match &self.data {
            TileData::I16 {
                values,
                void: Some(v),
            } => values.iter().filter(|x| *x == v).count(),
            TileData::I16 { void: None, .. } => 0,
            TileData::F32(v) => v.iter().filter(|x| x.is_nan()).count(),
        }
    }

    /// The stored height of sample (row, col) in metres; `None` for a void or outside the grid.
    pub fn post(&self, row: usize, col: usize) -> Option<f64> {
        if row >= self.geometry.rows || col >= self.geometry.cols {
            return None;
        }
        let v = self.value(row * self.geometry.cols + col);
        if v.is_nan() { None } else { Some(v) }
    }

    /// Sample `idx` as f64; NaN for a void.
    #[inline]
    fn value(&self, idx: usize) -> f64 {
        match &self.data {
            TileData::I16 { values, void } => {
                let v = values[idx];
                if Some(v) == *void {
                    f64::NAN
                } else {
                    f64::from(v)
                }
            }
            TileData::F32(values) => f64::from(values[idx]),
        }
    }

    /// Bilinear height at a point, metres: `Ok(None)` when a sample with non-zero weight is a void.
    ///
    /// The rule is the shared reference's: with `y = (lat0 − lat)·per_deg_lat`,
    /// `x = (lon − lon0)·per_deg_lon`, `i0 = ⌊y⌋`, `j0 = ⌊x⌋`, `fy = y − i0`, `fx = x − j0`,
    /// `v = q00(1−fx)(1−fy) + q01·fx(1−fy) + q10(1−fx)fy + q11·fx·fy`. Between the outer cell
    /// centre and the edge of an area-registered grid the outer samples are held constant.
    pub fn elevation_m(&self, lon_deg: f64, lat_deg: f64) -> Result<Option<f64>, TerrainError> {
        if !self.bounds.contains(lon_deg, lat_deg) {
            return Err(TerrainError::OutsideTile {
                name: self.name.clone(),
                lon_deg,
                lat_deg,
            });
        }
        let v = self.bilinear(lon_deg, lat_deg);
        Ok(if v.is_nan() { None } else { Some(v) })
    }

    /// Bilinear height for a point known to be inside; NaN for a void.
    #[inline]
    pub(crate) fn bilinear(&self, lon_deg: f64, lat_deg: f64) -> f64 {
        let g = &self.geometry;
        let max_y = (g.rows - 1) as f64;
        let max_x = (g.cols - 1) as f64;
        let y = ((g.lat0_deg - lat_deg) * g.per_deg_lat).clamp(0.0, max_y);
        let x = ((lon_deg - g.lon0_deg) * g.per_deg_lon).clamp(0.0, max_x);
        // y, x ≥ 0, so truncation is floor (and avoids a libm call). The last row/column has no
        // successor: use the cell before it with a fraction of 1.
        let i0 = (y as usize).min(g.rows - 2);
        let j0 = (x as usize).min(g.cols - 2);
        let fy = y - i0 as f64;
        let fx = x - j0 as f64;
        let base = i0 * g.cols + j0;
        let weights = [
            (1.0 - fx) * (1.0 - fy),
            fx * (1.0 - fy),
            (1.0 - fx) * fy,
            fx * fy,
        ];
        let idx = [base, base + 1, base + g.cols, base + g.cols + 1];
        match &self.data {
            TileData::I16 { values, void } => weighted(&weights, &idx, |i| {
                let v = values[i];
                if Some(v) == *void {
                    f64::NAN
                } else {
                    f64::from(v)
                }
            }),
            TileData::F32(values) => weighted(&weights, &idx, |i| f64::from(values[i])),
        }
    }

    /// The four samples (row, col) bracketing a point inside the tile, as used by the bilinear rule.
    pub fn bracketing_posts(&self, lon_deg: f64, lat_deg: f64) -> [(usize, usize); 4] {
        let g = &self.geometry;
        let y = ((g.lat0_deg - lat_deg) * g.per_deg_lat).clamp(0.0, (g.rows - 1) as f64);
        let x = ((lon_deg - g.lon0_deg) * g.per_deg_lon).clamp(0.0, (g.cols - 1) as f64);
        let i0 = (y.floor() as usize).min(g.rows - 2);
        let j0 = (x.floor() as usize).min(g.cols - 2);
        [(i0, j0), (i0, j0 + 1), (i0 + 1, j0), (i0 + 1, j0 + 1)]
    }
}
