//! WGS84 positions and great-circle distances.

use serde::{Deserialize, Serialize};

/// Mean Earth radius used for great-circle distances (IUGG), in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A WGS84 position in degrees, longitude first (the GeoJSON order).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LonLat {
    /// Longitude in degrees east, −180..=180.
    pub lon_deg: f64,
    /// Latitude in degrees north, −90..=90.
    pub lat_deg: f64,
}

/// Why a pair of numbers is not a valid WGS84 position.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LonLatError {
    /// A coordinate is NaN or infinite.
    #[error("coordinate is not a finite number")]
    NotFinite,
    /// Longitude outside −180..=180.
    #[error("longitude {0} is outside -180..180")]
    LonOutOfRange(f64),
    /// Latitude outside −90..=90; when the longitude would be a valid latitude the pair was probably swapped.
    #[error("latitude {lat} is outside -90..90{}", if *.swapped { " (longitude and latitude look swapped)" } else { "" })]
    LatOutOfRange {
        /// The offending latitude.
        lat: f64,
        /// True when swapping the pair would make it valid.
        swapped: bool,
    },
}

impl LonLat {
    /// A checked position: finite, longitude within ±180°, latitude within ±90°.
    pub fn new(lon_deg: f64, lat_deg: f64) -> Result<Self, LonLatError> {
        if !lon_deg.is_finite() || !lat_deg.is_finite() {
            return Err(LonLatError::NotFinite);
        }
        if !(-90.0..=90.0).contains(&lat_deg) {
            return Err(LonLatError::LatOutOfRange {
                lat: lat_deg,
                swapped: (-90.0..=90.0).contains(&lon_deg) && (-180.0..=180.0).contains(&lat_deg),
            });
        }
        if !(-180.0..=180.0).contains(&lon_deg) {
            return Err(LonLatError::LonOutOfRange(lon_deg));
        }
        Ok(LonLat { lon_deg, lat_deg })
    }

    /// Great-circle distance on a sphere of radius [`EARTH_RADIUS_M`], in metres (haversine).
    pub fn haversine_distance_m(self, other: LonLat) -> f64 {
        let (p1, p2) = (self.lat_deg.to_radians(), other.lat_deg.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon_deg - self.lon_deg).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }

    /// As a `geo` point (x = longitude, y = latitude).
    pub fn to_point(self) -> geo_types::Point<f64> {
        geo_types::Point::new(self.lon_deg, self.lat_deg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn swapped_pair_is_named() {
        // Almaty written lat, lon: 43.25, 76.93 → latitude 76.93 is valid, so try a clear swap.
        let e = LonLat::new(51.18, 171.44).unwrap_err();
        assert!(
            matches!(e, LonLatError::LatOutOfRange { swapped: true, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("swapped"));
        assert_eq!(
            LonLat::new(200.0, 10.0),
            Err(LonLatError::LonOutOfRange(200.0))
        );
        assert_eq!(LonLat::new(f64::NAN, 10.0), Err(LonLatError::NotFinite));
    }

    proptest! {
        #[test]
        fn distance_is_symmetric_and_bounded(a in -180.0..180.0f64, b in -90.0..90.0f64, c in -180.0..180.0f64, d in -90.0..90.0f64) {
            let p = LonLat::new(a, b).unwrap();
            let q = LonLat::new(c, d).unwrap();
            let d1 = p.haversine_distance_m(q);
            prop_assert!((d1 - q.haversine_distance_m(p)).abs() < 1e-6);
            prop_assert!((0.0..=std::f64::consts::PI * EARTH_RADIUS_M + 1e-6).contains(&d1));
        }
    }
}
