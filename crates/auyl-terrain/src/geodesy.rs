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
        let (lat, dlon) = self.lat_dlon((sd, cd));
        self.lon_lat_deg(dlon, lat)
    }

    /// Latitude and longitude from the origin's meridian, radians, of the point at arc
    /// `(sd, cd)`.
    #[inline]
    fn lat_dlon(&self, (sd, cd): (f64, f64)) -> (f64, f64) {
        let sin_lat = (self.sin_lat0 * cd + self.cos_lat0 * sd * self.cos_az).clamp(-1.0, 1.0);
        let dlon = (self.sin_az * sd * self.cos_lat0).atan2(cd - self.sin_lat0 * sin_lat);
        (sin_lat.asin(), dlon)
    }
}

/// One exact point of a radial for [`Radial::points_into`]: latitude and longitude from the
/// origin's meridian (radians) and their derivatives in the arc angle.
#[derive(Clone, Copy)]
struct Knot {
    lat: f64,
    dlon: f64,
    lat_d: f64,
    dlon_d: f64,
    /// Whether the point is beyond 84.3° of latitude, where the longitude turns fast.
    polar: bool,
}

impl Radial {
    /// Most samples between the exact points of [`Radial::points_into`].
    pub const KNOT_SPACING: usize = 16;
    /// Longest arc between them, m: the interpolation error grows with its fourth power.
    pub const KNOT_SPACING_M: f64 = 2_000.0;

    fn knot(&self, (sd, cd): (f64, f64)) -> Knot {
        // The point is cos δ·A + sin δ·T, A the origin and T the unit tangent along the
        // azimuth, in the frame whose x–z plane is the origin's meridian.
        let x = cd * self.cos_lat0 - sd * self.sin_lat0 * self.cos_az;
        let y = sd * self.sin_az;
        let z_d = -sd * self.sin_lat0 + cd * self.cos_lat0 * self.cos_az;
        let x_d = -sd * self.cos_lat0 - cd * self.sin_lat0 * self.cos_az;
        let y_d = cd * self.sin_az;
        let r2 = x * x + y * y;
        let (lat, dlon) = self.lat_dlon((sd, cd));
        Knot {
            lat,
            dlon,
            lat_d: z_d / r2.sqrt(),
            dlon_d: (x * y_d - y * x_d) / r2,
            polar: r2.is_nan() || r2 <= 0.01,
        }
    }

    #[inline]
    fn lon_lat_deg(&self, dlon: f64, lat: f64) -> (f64, f64) {
        let mut lon = (self.lon0_rad + dlon).to_degrees();
        if lon > 180.0 {
            lon -= 360.0;
        } else if lon < -180.0 {
            lon += 360.0;
        }
        (lon, lat.to_degrees())
    }

    /// The points of samples `0..out.len()` of the radial from `origin` (its
    /// [`Radial::new`] origin, returned exactly as sample 0), `step_m` apart, `arc(i)` being
    /// [`Radial::arc`] of sample `i`'s distance (callers tabulate it for all radials).
    ///
    /// [`Radial::point_at_arc`] costs an arcsine and an arctangent per point, most of a
    /// coverage sweep's terrain sampling: it is computed exactly every
    /// [`Radial::KNOT_SPACING`] samples (at most [`Radial::KNOT_SPACING_M`] apart) and at the
    /// last, and the points between are cubic Hermite interpolation in the arc angle of the
    /// latitude and longitude, whose derivatives are algebraic. The error is of the order of
    /// h⁴/384 times the fourth derivative: under 10⁻¹¹ degree (1 µm) at any latitude up to
    /// 84.3° (beyond, where the longitude turns fast, every point is exact).
    pub fn points_into(
        &self,
        origin: (f64, f64),
        step_m: f64,
        arc: impl Fn(usize) -> (f64, f64),
        out: &mut [(f64, f64)],
    ) {
        let n = out.len();
        if n == 0 {
            return;
        }
        out[0] = origin;
        let spacing = ((Self::KNOT_SPACING_M / step_m) as usize).clamp(1, Self::KNOT_SPACING);
        let step_rad = step_m / EARTH_RADIUS_M;
        let mut a = 0;
        let mut ka = self.knot(arc(0));
        while a + 1 < n {
            let b = (a + spacing).min(n - 1);
            let kb = self.knot(arc(b));
            out[b] = self.lon_lat_deg(kb.dlon, kb.lat);
            let m = b - a;
            if ka.polar
                || kb.polar
                || (kb.dlon - ka.dlon).abs() > 0.5
                || step_rad.is_nan()
                || step_rad <= 0.0
            {
                for (i, o) in out.iter_mut().enumerate().take(b).skip(a + 1) {
                    *o = self.point_at_arc(arc(i));
                }
            } else {
                let h = m as f64 * step_rad;
                let inv_m = 1.0 / m as f64;
                for (j, o) in out[a + 1..b].iter_mut().enumerate() {
                    let t = (j + 1) as f64 * inv_m;
                    let t2 = t * t;
                    let t3 = t2 * t;
                    let h00 = 2.0 * t3 - 3.0 * t2 + 1.0;
                    let h10 = (t3 - 2.0 * t2 + t) * h;
                    let h01 = 3.0 * t2 - 2.0 * t3;
                    let h11 = (t3 - t2) * h;
                    let lat = h00 * ka.lat + h10 * ka.lat_d + h01 * kb.lat + h11 * kb.lat_d;
                    let dlon = h00 * ka.dlon + h10 * ka.dlon_d + h01 * kb.dlon + h11 * kb.dlon_d;
                    *o = self.lon_lat_deg(dlon, lat);
                }
            }
            a = b;
            ka = kb;
        }
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

    /// The interpolated points stay within 10⁻¹⁰ degree (10 µm) of the exact ones, at
    /// any latitude, azimuth and step, near the poles and across the antimeridian.
    #[test]
    fn interpolated_radial_points_match_exact_ones() {
        let mut worst: f64 = 0.0;
        for &(lon, lat) in &[
            (76.95, 43.35),
            (179.99, 10.0),
            (-70.0, -55.0),
            (20.0, 80.0),
            (0.0, 89.99),
            (10.0, -89.5),
            (0.0, 0.0),
        ] {
            for k in 0..24 {
                let az = k as f64 * 15.0 + 0.37;
                for &step in &[30.0, 92.6, 250.0, 1000.0] {
                    let r = Radial::new((lon, lat), az);
                    let n = (500_000.0 / step) as usize;
                    let mut out = vec![(0.0, 0.0); n];
                    r.points_into((lon, lat), step, |i| Radial::arc(i as f64 * step), &mut out);
                    assert_eq!(out[0], (lon, lat));
                    for (i, &(plon, plat)) in out.iter().enumerate().skip(1) {
                        let (elon, elat) = r.point_at(i as f64 * step);
                        let mut dlon = (plon - elon).abs();
                        if dlon > 180.0 {
                            dlon = 360.0 - dlon;
                        }
                        // Longitude differences shrink with the parallel's length.
                        let e = (dlon * elat.to_radians().cos()).max((plat - elat).abs());
                        worst = worst.max(e);
                        assert!(
                            e < 1e-10,
                            "({lon}, {lat}) az {az} step {step} i {i}: {e:e}°"
                        );
                    }
                }
            }
        }
        // The interpolation is not exact: the test would see a broken one.
        assert!(worst > 0.0);
    }
}
