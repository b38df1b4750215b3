//! Great-circle geometry on the sphere of radius [`EARTH_RADIUS_M`] (the radius ITM profiles and
//! `auyl_model::LonLat::haversine_distance_m` use): points along a path, points along a radial.

/// Mean Earth radius (IUGG), metres: the same sphere as `auyl_model::LonLat::haversine_distance_m`.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

fn to_vec(lon_deg: f64, lat_deg: f64) -> [f64; 3] {
    let (sl, cl) = lat_deg.to_radians().sin_cos();
    let (so, co) = lon_deg.to_radians().sin_cos();
    [cl * co, cl * so, sl]
}

fn to_lon_lat(v: [f64; 3]) -> (f64, f64) {
    let lat = v[2].atan2((v[0] * v[0] + v[1] * v[1]).sqrt()).to_degrees();
    let lon = v[1].atan2(v[0]).to_degrees();
    (lon, lat)
}

/// A great-circle arc between two points, for evaluating points at fractions of its length.
#[derive(Debug, Clone, Copy)]
pub struct GreatCircle {
    a: [f64; 3],
    b: [f64; 3],
    a_lonlat: (f64, f64),
    b_lonlat: (f64, f64),
    angle_rad: f64,
    sin_angle: f64,
}

impl GreatCircle {
    /// The arc from `a` to `b` (lon, lat in degrees). `None` for (nearly) antipodal points, whose
    /// great circle is not unique.
    pub fn new(a: (f64, f64), b: (f64, f64)) -> Option<GreatCircle> {
        let va = to_vec(a.0, a.1);
        let vb = to_vec(b.0, b.1);
        let cross = [
            va[1] * vb[2] - va[2] * vb[1],
            va[2] * vb[0] - va[0] * vb[2],
            va[0] * vb[1] - va[1] * vb[0],
        ];
        let sin = (cross[0] * cross[0] + cross[1] * cross[1] + cross[2] * cross[2]).sqrt();
        let cos = va[0] * vb[0] + va[1] * vb[1] + va[2] * vb[2];
        let angle = sin.atan2(cos);
        if angle > std::f64::consts::PI - 1e-9 {
            return None;
        }
        Some(GreatCircle {
            a: va,
            b: vb,
            a_lonlat: a,
            b_lonlat: b,
            angle_rad: angle,
            sin_angle: sin,
        })
    }

    /// Length of the arc, metres.
    pub fn length_m(&self) -> f64 {
        self.angle_rad * EARTH_RADIUS_M
    }

    /// The point at fraction `f` (0 → a, 1 → b) of the arc, (lon, lat) degrees. The ends are
    /// returned exactly as given.
    pub fn point_at(&self, f: f64) -> (f64, f64) {
        if f <= 0.0 {
            return self.a_lonlat;
        }
        if f >= 1.0 {
            return self.b_lonlat;
        }
        if self.sin_angle < 1e-15 {
            return self.a_lonlat;
        }
        let wa = ((1.0 - f) * self.angle_rad).sin() / self.sin_angle;
        let wb = (f * self.angle_rad).sin() / self.sin_angle;
        to_lon_lat([
            wa * self.a[0] + wb * self.b[0],
            wa * self.a[1] + wb * self.b[1],
            wa * self.a[2] + wb * self.b[2],
        ])
    }
}

/// A radial from an origin along an initial azimuth, for evaluating points at distances.
#[derive(Debug, Clone, Copy)]
pub struct Radial {
    lon0_rad: f64,
    sin_lat0: f64,
    cos_lat0: f64,
    sin_az: f64,
    cos_az: f64,
}

impl Radial {
    /// From `origin` (lon, lat degrees) at `azimuth_deg` clockwise from north.
    pub fn new(origin: (f64, f64), azimuth_deg: f64) -> Radial {
        let (sin_lat0, cos_lat0) = origin.1.to_radians().sin_cos();
        let (sin_az, cos_az) = azimuth_deg.to_radians().sin_cos();
        Radial {
            lon0_rad: origin.0.to_radians(),
            sin_lat0,
            cos_lat0,
            sin_az,
            cos_az,
        }
    }

    /// The point `distance_m` along the radial, (lon, lat) degrees, longitude in −180..180.
    #[inline]
    pub fn point_at(&self, distance_m: f64) -> (f64, f64) {
        self.point_at_arc(Self::arc(distance_m))
    }

    /// (sin, cos) of the angle `distance_m` subtends at the earth's centre: the part of
    /// [`Radial::point_at`] that is the same on every radial, for callers that tabulate it.
    #[inline]
    #[must_use]
    pub fn arc(distance_m: f64) -> (f64, f64) {
        (distance_m / EARTH_RADIUS_M).sin_cos()
    }

    /// [`Radial::point_at`] the distance whose [`Radial::arc`] is `(sd, cd)`.
    #[inline]
    #[must_use]
    pub fn point_at_arc(&self, (sd, cd): (f64, f64)) -> (f64, f64) {
        let sin_lat = (self.sin_lat0 * cd + self.cos_lat0 * sd * self.cos_az).clamp(-1.0, 1.0);
        let lat = sin_lat.asin();
        let dlon = (self.sin_az * sd * self.cos_lat0).atan2(cd - self.sin_lat0 * sin_lat);
        let mut lon = (self.lon0_rad + dlon).to_degrees();
        if lon > 180.0 {
            lon -= 360.0;
        } else if lon < -180.0 {
            lon += 360.0;
        }
        (lon, lat.to_degrees())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auyl_model::LonLat;

    #[test]
    fn arc_length_matches_haversine_and_midpoint_is_equidistant() {
        let a = (76.9286, 43.2567);
        let b = (77.5, 43.8);
        let gc = GreatCircle::new(a, b).unwrap();
        let la = LonLat::new(a.0, a.1).unwrap();
        let lb = LonLat::new(b.0, b.1).unwrap();
        assert!((gc.length_m() - la.haversine_distance_m(lb)).abs() < 1e-6);
        let m = gc.point_at(0.5);
        let lm = LonLat::new(m.0, m.1).unwrap();
        assert!((la.haversine_distance_m(lm) - lb.haversine_distance_m(lm)).abs() < 1e-6);
    }

    #[test]
    fn radial_point_is_at_its_distance_and_bearing() {
        let r = Radial::new((76.95, 43.35), 90.0);
        let (lon, lat) = r.point_at(10_000.0);
        let d = LonLat::new(76.95, 43.35)
            .unwrap()
            .haversine_distance_m(LonLat::new(lon, lat).unwrap());
        assert!((d - 10_000.0).abs() < 1e-6);
        assert!(lon > 76.95 && (lat - 43.35).abs() < 0.01);
    }
}
