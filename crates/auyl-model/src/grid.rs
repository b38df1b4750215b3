//! A north-up lon/lat raster grid, shared by what computes rasters (coverage, viewsheds) and
//! what writes them (GeoTIFF, PNG overlays).

use crate::LonLat;
use crate::lonlat::EARTH_RADIUS_M;
use serde::Serialize;

/// A north-up lon/lat grid (EPSG:4326, pixel-is-area): pixel (col, row) covers
/// `[west + col·dx, west + (col+1)·dx] × [north − (row+1)·dy, north − row·dy]` and has its
/// centre at `(west + (col + ½)·dx, north − (row + ½)·dy)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoGrid {
    /// Western edge, degrees.
    pub west_deg: f64,
    /// Northern edge, degrees.
    pub north_deg: f64,
    /// Pixel width, degrees of longitude.
    pub pixel_width_deg: f64,
    /// Pixel height, degrees of latitude.
    pub pixel_height_deg: f64,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

impl GeoGrid {
    /// Centre of a pixel, (lon, lat) degrees.
    #[must_use]
    pub fn pixel_center(&self, col: usize, row: usize) -> (f64, f64) {
        (
            self.west_deg + (col as f64 + 0.5) * self.pixel_width_deg,
            self.north_deg - (row as f64 + 0.5) * self.pixel_height_deg,
        )
    }

    /// The pixel containing a point, if inside the grid.
    #[must_use]
    pub fn pixel_of(&self, p: LonLat) -> Option<(usize, usize)> {
        let c = ((p.lon_deg - self.west_deg) / self.pixel_width_deg).floor();
        let r = ((self.north_deg - p.lat_deg) / self.pixel_height_deg).floor();
        (c >= 0.0 && r >= 0.0 && c < self.width as f64 && r < self.height as f64)
            .then_some((c as usize, r as usize))
    }

    /// Southern edge, degrees.
    #[must_use]
    pub fn south_deg(&self) -> f64 {
        self.north_deg - self.height as f64 * self.pixel_height_deg
    }

    /// Eastern edge, degrees.
    #[must_use]
    pub fn east_deg(&self) -> f64 {
        self.west_deg + self.width as f64 * self.pixel_width_deg
    }

    /// Ground area of a pixel at latitude `lat_deg`, km² (on the haversine sphere, 6371.0088 km).
    #[must_use]
    pub fn pixel_area_km2(&self, lat_deg: f64) -> f64 {
        let r_km = EARTH_RADIUS_M / 1000.0;
        (self.pixel_height_deg.to_radians() * r_km)
            * (self.pixel_width_deg.to_radians() * r_km * lat_deg.to_radians().cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_and_edges_agree() {
        let g = GeoGrid {
            west_deg: 76.0,
            north_deg: 44.0,
            pixel_width_deg: 0.5,
            pixel_height_deg: 0.25,
            width: 4,
            height: 8,
        };
        assert_eq!((g.east_deg(), g.south_deg()), (78.0, 42.0));
        let (lon, lat) = g.pixel_center(3, 7);
        assert_eq!(g.pixel_of(LonLat::new(lon, lat).unwrap()), Some((3, 7)));
        assert_eq!(g.pixel_of(LonLat::new(78.01, 43.0).unwrap()), None);
        // A quarter degree by half a degree at 43° N: ≈ 27.8 km × 40.6 km.
        assert!((g.pixel_area_km2(43.0) - 27.80 * 40.66).abs() < 5.0);
    }
}
