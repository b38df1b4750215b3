//! Terrain analysis of ITM point-to-point mode: mean path height, radio horizons, the terrain
//! irregularity Δh and the effective antenna heights (Hufford's `qlrpfl`, `hzns`, `dlthx`,
//! `zlsq1`). Works on the elevation slice directly (`pfl[k + 2]` of the NTIA layout is
//! `z[k]` here) and never allocates.

use super::{ItmError, ItmErrorCode, ItmWarnings, PathKind, PreparedPath, Profile, refractivity};

/// Positive difference, as C's `fdim`.
#[inline]
fn fdim(a: f64, b: f64) -> f64 {
    if a > b { a - b } else { 0.0 }
}

/// Checks the antenna heights, N_0 and the profile spacing as NTIA ITM does.
fn check_inputs(h_tx_m: f64, h_rx_m: f64, n_0: f64, xi: f64, len: usize) -> Result<(), ItmError> {
    let w = ItmWarnings::NONE;
    let err = |code, value| ItmError::InvalidInput {
        code,
        value,
        warnings: w,
    };
    if !(0.5..=3000.0).contains(&h_tx_m) {
        return Err(err(ItmErrorCode::TxTerminalHeight, h_tx_m));
    }
    if !(0.5..=3000.0).contains(&h_rx_m) {
        return Err(err(ItmErrorCode::RxTerminalHeight, h_rx_m));
    }
    if !(250.0..=400.0).contains(&n_0) {
        return Err(err(ItmErrorCode::Refractivity, n_0));
    }
    if len < 2 {
        return Err(ItmError::InvalidProfile {
            reason: "fewer than 2 points",
        });
    }
    if !(xi > 0.0 && xi.is_finite()) {
        return Err(ItmError::InvalidProfile {
            reason: "resolution must be positive and finite",
        });
    }
    Ok(())
}

/// Checks and analyses a profile (see [`super::prepare_p2p`]).
pub(super) fn prepare(
    profile: Profile<'_>,
    h_tx_m: f64,
    h_rx_m: f64,
    n_0: f64,
) -> Result<PreparedPath, ItmError> {
    let z = profile.elevations_m;
    let xi = profile.resolution_m;
    check_inputs(h_tx_m, h_rx_m, n_0, xi, z.len())?;
    let np = z.len() - 1;
    let (p10, count) = mean_window(np);
    let s = prefix_sums0(z, &[p10, np - p10 + 1, np + 1]);
    let gamma_e = mean_height_curvature(n_0, s[1] - s[0], count, s[2])?;
    let g = analyse(
        z,
        xi,
        gamma_e.1,
        [h_tx_m, h_rx_m],
        |d, two_a| horizons(z, xi, d, two_a, [h_tx_m, h_rx_m]),
        |ms, out| prefix_sums(z, ms, out),
        |d_start, d_end| delta_h(z, xi, d_start, d_end),
    );
    Ok(path(g, [h_tx_m, h_rx_m], n_0, gamma_e))
}

/// The middle 80 % of a profile of `np + 1` points: its first index and its number of points.
fn mean_window(np: usize) -> (usize, usize) {
    let p10 = (0.1 * np as f64) as usize;
    (p10, np - 2 * p10 + 1)
}

/// N_s and the effective earth curvature from the sum of the middle 80 % of the path; `total`
/// (the sum of all points) is non-finite when any elevation is.
fn mean_height_curvature(
    n_0: f64,
    middle_sum: f64,
    count: usize,
    total: f64,
) -> Result<(f64, f64), ItmError> {
    if !total.is_finite() {
        return Err(ItmError::InvalidProfile {
            reason: "non-finite elevation",
        });
    }
    Ok(refractivity(n_0, middle_sum / count as f64))
}

fn path(g: Geometry, h_m: [f64; 2], n_0: f64, (n_s, gamma_e): (f64, f64)) -> PreparedPath {
    PreparedPath {
        kind: PathKind::PointToPoint,
        h_m,
        d_m: g.d_m,
        theta_hzn_rad: g.theta_hzn,
        d_hzn_m: g.d_hzn_m,
        h_e_m: g.h_e_m,
        delta_h_m: g.delta_h_m,
        n_0,
        n_s,
        gamma_e,
    }
}

/// Prefix sums `Σ_{i<m} z_i` and `Σ_{i<m} i·z_i` kept in four interleaved lanes (point `i` adds
/// to lane `i mod 4`), which breaks the add latency chain and is reproducible: the sums up to
/// any `m` are the lanes after `⌊m/4⌋` whole chunks plus the few remaining points, so a sweep
/// that stores the lanes at every chunk ([`RadialAnalysis`]) gets bit for bit the values of a
/// direct pass ([`prefix_sums`]).
#[derive(Debug, Clone, Copy, Default)]
struct Lanes {
    s0: [f64; 4],
    s1: [f64; 4],
}

impl Lanes {
    #[inline]
    fn add(&mut self, z: &[f64], base: usize) {
        for (j, &zi) in z.iter().enumerate().take(4) {
            self.s0[j] += zi;
            self.s1[j] += (base + j) as f64 * zi;
        }
    }

    /// The sums up to `base + rest.len()`, `rest` being the points after the lanes' chunks.
    #[inline]
    fn total(mut self, rest: &[f64], base: usize) -> (f64, f64) {
        self.add(rest, base);
        let [a, b, c, d] = self.s0;
        let [e, f, g, h] = self.s1;
        ((a + b) + (c + d), (e + f) + (g + h))
    }
}

/// Advances the lanes over the whole chunks `q0..q1` of `z` (the same sums as [`Lanes::add`]
/// chunk by chunk: the point index is an exact integer either way).
#[inline]
fn advance(lanes: &mut Lanes, z: &[f64], q0: usize, q1: usize) {
    let b = (4 * q0) as f64;
    let mut w = [b, b + 1.0, b + 2.0, b + 3.0];
    for c in z[4 * q0..4 * q1].chunks_exact(4) {
        for j in 0..4 {
            lanes.s0[j] += c[j];
            lanes.s1[j] += w[j] * c[j];
            w[j] += 4.0;
        }
    }
}

/// The lane prefix sums (see [`Lanes`]) at each `ms[j] ≤ z.len()` (at most 4), in one pass.
fn prefix_sums(z: &[f64], ms: &[usize], out: &mut [(f64, f64)]) {
    let mut order = [0usize, 1, 2, 3];
    let order = &mut order[..ms.len().min(4)];
    order.sort_unstable_by_key(|&j| ms[j]);
    let mut lanes = Lanes::default();
    let mut q = 0;
    for &j in order.iter() {
        let m = ms[j];
        advance(&mut lanes, z, q, m / 4);
        q = m / 4;
        out[j] = lanes.total(&z[4 * q..m], 4 * q);
    }
}

/// [`prefix_sums`] of the heights alone (`Σ z_i`; the lanes of `Σ i·z_i` are not needed).
fn prefix_sums0(z: &[f64], ms: &[usize; 3]) -> [f64; 3] {
    let mut out = [0.0; 3];
    let mut s0 = [0.0f64; 4];
    let mut q = 0;
    // `ms` ascending.
    for (o, &m) in out.iter_mut().zip(ms) {
        for c in z[4 * q..4 * (m / 4)].chunks_exact(4) {
            for j in 0..4 {
                s0[j] += c[j];
            }
        }
        q = m / 4;
        let mut lanes = s0;
        for (j, &zi) in z[4 * q..m].iter().enumerate() {
            lanes[j] += zi;
        }
        *o = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    }
    out
}

/// Profile-derived geometry.
struct Geometry {
    d_m: f64,
    theta_hzn: [f64; 2],
    d_hzn_m: [f64; 2],
    h_e_m: [f64; 2],
    delta_h_m: f64,
}

/// Horizon angles (rad) and distances (m) of both terminals.
struct Horizons {
    theta: [f64; 2],
    d_hzn_m: [f64; 2],
}

/// Horizon angle of point at `dz` m above the terminal's antenna and `d` m from it, over an
/// earth of radius `two_a / 2` — the one expression both the direct search and the sweep use.
#[inline]
fn angle(dz: f64, d: f64, two_a: f64) -> f64 {
    dz / d - d / two_a
}

/// Horizons, Δh and effective heights of a profile (`z.len() >= 2`, finite values), given how to
/// find the horizons (from the path length and twice the earth radius) and the lane prefix sums.
fn analyse(
    z: &[f64],
    xi: f64,
    gamma_e: f64,
    h: [f64; 2],
    find_horizons: impl FnOnce(f64, f64) -> Horizons,
    sums: impl FnOnce(&[usize], &mut [(f64, f64)]),
    roughness: impl FnOnce(f64, f64) -> f64,
) -> Geometry {
    let np = z.len() - 1;
    let d = np as f64 * xi;
    let a_e = 1.0 / gamma_e;
    let Horizons {
        mut theta,
        d_hzn_m: mut d_hzn,
    } = find_horizons(d, 2.0 * a_e);

    // Terrain is considered from about 15 tower heights (or 1/10 of the horizon) off each end.
    let d_start = (15.0 * h[0]).min(0.1 * d_hzn[0]);
    let d_end = d - (15.0 * h[1]).min(0.1 * d_hzn[1]);
    let delta_h = roughness(d_start, d_end);

    let los = d_hzn[0] + d_hzn[1] > 1.5 * d;
    // Well within line of sight: one fit over the whole path; else one per horizon.
    let windows = if los {
        [
            fit_window(np, xi, d_start, d_end),
            fit_window(np, xi, d_start, d_end),
        ]
    } else {
        [
            fit_window(np, xi, d_start, 0.9 * d_hzn[0]),
            fit_window(np, xi, d - 0.9 * d_hzn[1], d_end),
        ]
    };
    let ms = [
        windows[0].0 + 1,
        windows[0].1,
        windows[1].0 + 1,
        windows[1].1,
    ];
    let mut s = [(0.0, 0.0); 4];
    sums(&ms, &mut s);
    let fit_tx = least_squares_fit(z, windows[0], s[0], s[1]).0;
    let fit_rx = least_squares_fit(z, windows[1], s[2], s[3]).1;

    let mut h_e = [h[0] + fdim(z[0], fit_tx), h[1] + fdim(z[np], fit_rx)];
    if los {
        let horizon =
            |h_e: f64| (2.0 * h_e * a_e).sqrt() * (-0.07 * (delta_h / h_e.max(5.0)).sqrt()).exp();
        for i in 0..2 {
            d_hzn[i] = horizon(h_e[i]);
        }
        let combined = d_hzn[0] + d_hzn[1];
        if combined <= d {
            let q = (d / combined) * (d / combined);
            for i in 0..2 {
                h_e[i] *= q;
                d_hzn[i] = horizon(h_e[i]);
            }
        }
        for i in 0..2 {
            let q = (2.0 * h_e[i] * a_e).sqrt();
            theta[i] = (0.65 * delta_h * (q / d_hzn[i] - 1.0) - 2.0 * h_e[i]) / q;
        }
    }
    Geometry {
        d_m: d,
        theta_hzn: theta,
        d_hzn_m: d_hzn,
        h_e_m: h_e,
        delta_h_m: delta_h,
    }
}

/// Radio horizons of both terminals: the highest elevation angle of the terrain seen from each
/// antenna over an earth of radius `two_a / 2`; the first point (from the TX) reaching the
/// maximum wins, and the far terminal itself wins ties (its angle is the starting value).
/// Distances are `i · xi` exactly.
///
/// The TX horizon is searched forwards and the RX horizon backwards from the RX, so that each
/// finds its (usually near) maximum early; blocks whose highest point at their least distance
/// could not reach the best angle are skipped, and a point is skipped when it clearly cannot
/// (the test multiplied through by the distance, with a relative margin of 1e-9 for its
/// rounding). The angle, computed as [`angle`] where the test passes, decides.
fn horizons(z: &[f64], xi: f64, d: f64, two_a: f64, h: [f64; 2]) -> Horizons {
    const MAX_BLOCKS: usize = 64;
    let np = z.len() - 1;
    let z_tx = z[0] + h[0];
    let z_rx = z[np] + h[1];
    let dz = z_rx - z_tx;
    let mut theta = [angle(dz, d, two_a), angle(-dz, d, two_a)];
    let mut d_hzn = [d, d];
    let inv_two_a = 1.0 / two_a;
    let may_reach = |dz: f64, d: f64, theta: f64| {
        let c = d * d * inv_two_a;
        dz - c >= theta * d - 1e-9 * (dz.abs() + c)
    };
    // Interior points 1..np in blocks of `bs` (a multiple of 4, at most MAX_BLOCKS blocks).
    let interior = &z[1..np];
    let bs = 16 * interior.len().div_ceil(16 * MAX_BLOCKS).max(1);
    let mut block_max = [0.0f64; MAX_BLOCKS];
    for (m, block) in block_max.iter_mut().zip(interior.chunks(bs)) {
        let mut lanes = [f64::NEG_INFINITY; 4];
        let chunks = block.chunks_exact(4);
        let rest = chunks.remainder();
        for c in chunks {
            for j in 0..4 {
                lanes[j] = if c[j] > lanes[j] { c[j] } else { lanes[j] };
            }
        }
        for (j, &x) in rest.iter().enumerate() {
            lanes[j] = if x > lanes[j] { x } else { lanes[j] };
        }
        *m = lanes[0].max(lanes[1]).max(lanes[2].max(lanes[3]));
    }
    let blocks = interior.len().div_ceil(bs);
    let npf = np as f64;

    // TX, forwards: a strictly higher angle wins, so the first point reaching the maximum does.
    for (b, &top) in block_max[..blocks].iter().enumerate() {
        let lo = 1 + b * bs;
        let hi = (lo + bs).min(np);
        let mut fi = lo as f64;
        if !may_reach((top - z_tx).max(0.0), fi * xi, theta[0]) {
            continue;
        }
        for &zi in &z[lo..hi] {
            let d_i = fi * xi;
            let dz_i = zi - z_tx;
            if may_reach(dz_i, d_i, theta[0]) {
                let t = angle(dz_i, d_i, two_a);
                if t > theta[0] {
                    theta[0] = t;
                    d_hzn[0] = d_i;
                }
            }
            fi += 1.0;
        }
    }

    // RX, backwards: among interior points a tie goes to the one nearer the TX (visited
    // later), and the TX end (the starting value) wins ties.
    let mut interior_best = false;
    for b in (0..blocks).rev() {
        let lo = 1 + b * bs;
        let hi = (lo + bs).min(np);
        let mut fi = (hi - 1) as f64;
        if !may_reach((block_max[b] - z_rx).max(0.0), (npf - fi) * xi, theta[1]) {
            continue;
        }
        for &zi in z[lo..hi].iter().rev() {
            let d_i = (npf - fi) * xi;
            let dz_i = zi - z_rx;
            if may_reach(dz_i, d_i, theta[1]) {
                let t = angle(dz_i, d_i, two_a);
                if t > theta[1] || (t == theta[1] && interior_best) {
                    theta[1] = t;
                    d_hzn[1] = d_i;
                    interior_best = true;
                }
            }
            fi -= 1.0;
        }
    }
    Horizons {
        theta,
        d_hzn_m: d_hzn,
    }
}

/// Point indices of the least-squares window between two distances (m), as ITM's `zlsq1`.
fn fit_window(np: usize, xi: f64, d_start: f64, d_end: f64) -> (usize, usize) {
    let np = np as i64;
    let npf = np as f64;
    let mut i_start = fdim(d_start / xi, 0.0) as i64;
    let mut i_end = np - fdim(npf, d_end / xi) as i64;
    if i_end <= i_start {
        i_start = fdim(i_start as f64, 1.0) as i64;
        i_end = np - fdim(npf, i_end as f64 + 1.0) as i64;
    }
    // Out-of-range indices only arise from inputs outside ITM's domain; clamp instead of panic.
    (i_start.clamp(0, np) as usize, i_end.clamp(0, np) as usize)
}

/// Least-squares line through `z` over the window `(i_start, i_end)` (end points weighted ½),
/// from the lane prefix sums at `i_start + 1` and `i_end`; returns its heights at the two ends
/// of the whole profile.
fn least_squares_fit(
    z: &[f64],
    (i_start, i_end): (usize, usize),
    lo: (f64, f64),
    hi: (f64, f64),
) -> (f64, f64) {
    let npf = (z.len() - 1) as f64;
    let x_length = (i_end as f64) - (i_start as f64);
    let mid = -0.5 * x_length;
    let mid_end = i_end as f64 + mid;
    let (za, zb) = (z[i_start], z[i_end]);
    // Interior points i_start+1 ..= i_end−1 with weights i − (i_start + i_end)/2.
    let (s0, s1) = if i_end > i_start + 1 {
        (hi.0 - lo.0, hi.1 - lo.1)
    } else {
        (0.0, 0.0)
    };
    let centre = i_start as f64 - mid;
    let mut sum_y = 0.5 * (za + zb) + s0;
    let mut scaled = 0.5 * (za - zb) * mid + (s1 - centre * s0);
    sum_y /= x_length;
    scaled = scaled * 12.0 / ((x_length * x_length + 2.0) * x_length);
    (sum_y - scaled * mid_end, sum_y + scaled * (npf - mid_end))
}

/// Terrain analysis of every prefix of one profile — a radial from a coverage site — at O(1)
/// amortised cost per prefix besides Δh's fixed-size sample: `prepare(k)` gives exactly
/// (bit for bit) what [`super::prepare_p2p`] gives on `elevations[..=k]`.
///
/// How: the mean height and the least-squares fits read lane prefix sums stored once per
/// radial (the same sums a direct call computes); the TX horizon is searched among the few
/// points that can be the highest for some earth curvature the radial's prefixes can have (a
/// point lower in angle than an earlier one by more than 1e-9 rad at both extreme curvatures is
/// never the horizon); the RX horizon is searched backwards from the RX, skipping blocks of 16
/// points none of whose upper-hull vertices could beat the best angle known (the running one,
/// or the angle of the previous prefix's horizon point, kept as a hint), and stopping where
/// no earlier point could. The hint makes the analysis `Send` but not `Sync`: one per thread.
#[derive(Debug, Clone, Default)]
pub struct RadialAnalysis {
    xi: f64,
    h: [f64; 2],
    n_0: f64,
    z: Vec<f64>,
    lanes: Vec<Lanes>,
    prefix_max: Vec<f64>,
    block_max: Vec<f64>,
    /// Lowest point of each block.
    block_min: Vec<f64>,
    /// Vertices of each block's upper convex hull (indices into `z`), the block's at
    /// `hull[hull_start[b]..hull_start[b + 1]]`: the steepest elevation from a point beyond
    /// the block is towards one of them.
    hull: Vec<u32>,
    hull_start: Vec<u32>,
    /// TX horizon candidates: index, (z_i − z_tx)/d_i, d_i.
    tx_candidates: Vec<(usize, f64, f64)>,
    /// Running maximum over the candidates so far of an upper bound of their angle at any
    /// curvature of the radial's prefixes.
    tx_bound: Vec<f64>,
    /// Which profile is loaded (unique over all analyses of the process; 0: none), so that a
    /// [`RadialRoughness`] knows when its nodes belong to another profile.
    profile: u64,
    /// The RX horizon point of the last prefix prepared (0: none). The next pixel's horizon is
    /// usually the same ridge: its angle, a lower bound of the maximum, prunes the search
    /// from the start.
    rx_guess: std::cell::Cell<usize>,
}

/// The last profile number handed out by [`RadialAnalysis::reset`].
static PROFILES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

const BLOCK: usize = 16;

impl RadialAnalysis {
    /// An empty analysis; [`RadialAnalysis::reset`] loads a profile (buffers are reused).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Analyses a whole profile for later [`RadialAnalysis::prepare`] calls: O(n).
    ///
    /// # Errors
    /// As [`super::prepare_p2p`] for the heights, N_0, spacing and a profile of fewer than 2
    /// points (non-finite elevations are reported by `prepare` for the prefixes they reach).
    pub fn reset(
        &mut self,
        profile: Profile<'_>,
        h_tx_m: f64,
        h_rx_m: f64,
        n_0: f64,
    ) -> Result<(), ItmError> {
        let z_in = profile.elevations_m;
        let xi = profile.resolution_m;
        check_inputs(h_tx_m, h_rx_m, n_0, xi, z_in.len())?;
        self.profile = PROFILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        self.rx_guess.set(0);
        self.xi = xi;
        self.h = [h_tx_m, h_rx_m];
        self.n_0 = n_0;
        self.z.clear();
        self.z.extend_from_slice(z_in);
        let z = &self.z;
        let n = z.len();

        self.lanes.clear();
        let mut lanes = Lanes::default();
        self.lanes.push(lanes);
        for (q, c) in z.chunks_exact(4).enumerate() {
            lanes.add(c, 4 * q);
            self.lanes.push(lanes);
        }
        self.prefix_max.clear();
        let mut m = f64::NEG_INFINITY;
        for &zi in z {
            m = m.max(zi);
            self.prefix_max.push(m);
        }
        self.block_max.clear();
        self.block_max.extend(
            z.chunks(BLOCK)
                .map(|c| c.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        );
        self.block_min.clear();
        self.block_min.extend(
            z.chunks(BLOCK)
                .map(|c| c.iter().copied().fold(f64::INFINITY, f64::min)),
        );
        self.hull.clear();
        self.hull_start.clear();
        for (b, c) in z.chunks(BLOCK).enumerate() {
            self.hull_start.push(self.hull.len() as u32);
            upper_hull(c, b * BLOCK, &mut self.hull);
        }
        self.hull_start.push(self.hull.len() as u32);

        // The range of mean path heights over all prefixes bounds their earth curvatures
        // (the curvature grows with the height).
        let (mut h_lo, mut h_hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for np in 1..n {
            let (p10, count) = mean_window(np);
            let h_sys = (self.sums(np - p10 + 1).0 - self.sums(p10).0) / count as f64;
            if h_sys.is_finite() {
                h_lo = h_lo.min(h_sys);
                h_hi = h_hi.max(h_sys);
            }
        }
        self.tx_candidates.clear();
        self.tx_bound.clear();
        if h_lo > h_hi {
            return Ok(());
        }
        let two_a = |h_sys: f64| 2.0 * (1.0 / refractivity(n_0, h_sys).1);
        let (two_a_lo, two_a_hi) = (two_a(h_lo), two_a(h_hi));
        const MARGIN_RAD: f64 = 1e-9;
        let z = &self.z;
        let z_tx = z[0] + h_tx_m;
        // Running best angle at each extreme curvature: (angle there, angle at the other).
        let mut best_lo = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        let mut best_hi = (f64::NEG_INFINITY, f64::NEG_INFINITY);
        for (i, &zi) in z.iter().enumerate().take(n.saturating_sub(1)).skip(1) {
            let d = i as f64 * xi;
            let s = (zi - z_tx) / d;
            let f = (s - d / two_a_lo, s - d / two_a_hi);
            if !(f.0.is_finite() && f.1.is_finite()) {
                continue;
            }
            let dominated = |b: (f64, f64)| b.0 >= f.0 + MARGIN_RAD && b.1 >= f.1 + MARGIN_RAD;
            if !(dominated(best_lo) || dominated(best_hi)) {
                self.tx_candidates.push((i, s, d));
                // The angle decreases with the curvature: the least curvature bounds it.
                let top = self.tx_bound.last().copied().unwrap_or(f64::NEG_INFINITY);
                self.tx_bound.push(top.max(f.0 + MARGIN_RAD));
            }
            if f.0 > best_lo.0 {
                best_lo = f;
            }
            if f.1 > best_hi.1 {
                best_hi = f;
            }
        }
        Ok(())
    }

    /// Number of points of the loaded profile.
    #[must_use]
    pub fn len(&self) -> usize {
        self.z.len()
    }

    /// Whether no profile is loaded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.z.is_empty()
    }

    /// The lane prefix sums up to `m` (see [`Lanes`]).
    #[inline]
    fn sums(&self, m: usize) -> (f64, f64) {
        let q = m / 4;
        self.lanes[q].total(&self.z[4 * q..m], 4 * q)
    }

    /// The prepared path of the prefix `elevations[..=k]`: equal to
    /// `prepare_p2p(Profile { elevations_m: &elevations[..=k], .. }, ..)`.
    ///
    /// # Errors
    /// [`ItmError::InvalidProfile`] for `k == 0`, `k` beyond the profile or a non-finite
    /// elevation in the prefix.
    pub fn prepare(&self, k: usize) -> Result<PreparedPath, ItmError> {
        self.prepare_with(k, |d_start, d_end| {
            delta_h(&self.z[..=k], self.xi, d_start, d_end)
        })
    }

    /// [`RadialAnalysis::prepare`] with Δh interpolated along the radial (see
    /// [`RadialRoughness`]): the same prepared path but for Δh and what follows from it (the
    /// effective heights and horizons of line-of-sight paths).
    ///
    /// # Errors
    /// As [`RadialAnalysis::prepare`].
    pub fn prepare_interpolated(
        &self,
        k: usize,
        roughness: &mut RadialRoughness,
    ) -> Result<PreparedPath, ItmError> {
        roughness.start_if_new(self);
        self.prepare_with(k, |d_start, d_end| {
            roughness.delta_h(&self.z, k, d_start, d_end)
        })
    }

    fn prepare_with(
        &self,
        k: usize,
        roughness: impl FnOnce(f64, f64) -> f64,
    ) -> Result<PreparedPath, ItmError> {
        if k == 0 || k >= self.z.len() {
            return Err(ItmError::InvalidProfile {
                reason: "fewer than 2 points",
            });
        }
        let z = &self.z[..=k];
        let (p10, count) = mean_window(k);
        let middle = self.sums(k - p10 + 1).0 - self.sums(p10).0;
        let curvature = mean_height_curvature(self.n_0, middle, count, self.sums(k + 1).0)?;
        let g = analyse(
            z,
            self.xi,
            curvature.1,
            self.h,
            |d, two_a| self.horizons(k, d, two_a),
            |ms, out| {
                for (o, &m) in out.iter_mut().zip(ms) {
                    *o = self.sums(m);
                }
            },
            roughness,
        );
        Ok(path(g, self.h, self.n_0, curvature))
    }

    /// [`horizons`] of the prefix `..=k`, from the candidates and blocks.
    fn horizons(&self, k: usize, d: f64, two_a: f64) -> Horizons {
        let z = &self.z;
        let xi = self.xi;
        let z_tx = z[0] + self.h[0];
        let z_rx = z[k] + self.h[1];
        let dz = z_rx - z_tx;
        let mut theta = [angle(dz, d, two_a), angle(-dz, d, two_a)];
        let mut d_hzn = [d, d];
        // Backwards from the last candidate before the RX, stopping where no earlier candidate
        // can reach the best angle; ties go to the point nearer the TX, and the RX end (the
        // starting value) wins ties, as in the forward search.
        let end = self.tx_candidates.partition_point(|c| c.0 < k);
        let mut interior = false;
        for (&(_, s, d_i), &bound) in self.tx_candidates[..end]
            .iter()
            .zip(&self.tx_bound[..end])
            .rev()
        {
            if bound < theta[0] {
                break;
            }
            let t = s - d_i / two_a;
            if t > theta[0] || (t == theta[0] && interior) {
                theta[0] = t;
                d_hzn[0] = d_i;
                interior = true;
            }
        }
        // Backwards from the RX: a tie goes to the point nearer the TX, and the TX end (the
        // starting value) wins ties. A block is skipped when its highest point at its least
        // distance could not reach the best angle, a point when it clearly cannot (the test
        // multiplied through by the distance, with a relative margin of 1e-9 for its rounding).
        let inv_two_a = 1.0 / two_a;
        let may_reach = |dz: f64, d: f64, theta: f64| {
            let c = d * d * inv_two_a;
            let r = theta * d;
            dz - c >= r - 1e-9 * (dz.abs() + c)
        };
        // Whether a point of the whole block `b` (all before the RX, the nearest at `d_min`)
        // may reach `theta`: the steepest elevation towards the block is towards a vertex of
        // its upper hull, less the earth's drop at the least distance, with a margin no smaller
        // than `may_reach`'s for any of its points.
        let block_may_reach = |b: usize, d_min: f64, theta: f64| {
            let d_max = d_min + (BLOCK - 1) as f64 * xi;
            let height = (self.block_max[b] - z_rx)
                .abs()
                .max((self.block_min[b] - z_rx).abs());
            let margin = 1e-9 * (height / d_min + d_max * inv_two_a) + 1e-12;
            let hull = &self.hull[self.hull_start[b] as usize..self.hull_start[b + 1] as usize];
            let steepest = hull
                .iter()
                .map(|&v| (z[v as usize] - z_rx) / ((k - v as usize) as f64 * xi))
                .fold(f64::NEG_INFINITY, f64::max);
            steepest - d_min * inv_two_a >= theta - margin
        };
        // Blocks and points are pruned against the larger of the running angle and the angle
        // of the last prefix's horizon point seen from this RX: both are reached by some point,
        // so a point that cannot reach either is not the horizon, and points that may tie the
        // maximum are never pruned (the tie rules stay those of the full scan).
        let guess = self.rx_guess.get();
        let mut prune = theta[1];
        if (1..k).contains(&guess) {
            prune = prune.max(angle(z[guess] - z_rx, (k - guess) as f64 * xi, two_a));
        }
        let mut interior = false;
        let mut horizon = 0;
        let mut i = k - 1;
        while i >= 1 {
            let lo = (i / BLOCK * BLOCK).max(1);
            let top = (self.block_max[i / BLOCK] - z_rx).max(0.0);
            let whole = i % BLOCK == BLOCK - 1;
            let d_min = (k - i) as f64 * xi;
            if may_reach(top, d_min, prune) && (!whole || block_may_reach(i / BLOCK, d_min, prune))
            {
                for j in (lo..=i).rev() {
                    let d_j = (k - j) as f64 * xi;
                    let dz_j = z[j] - z_rx;
                    if !may_reach(dz_j, d_j, prune) {
                        continue;
                    }
                    let t = angle(dz_j, d_j, two_a);
                    if t > theta[1] || (t == theta[1] && interior) {
                        theta[1] = t;
                        d_hzn[1] = d_j;
                        interior = true;
                        horizon = j;
                        prune = prune.max(t);
                    }
                }
            }
            let top = (self.prefix_max[lo - 1] - z_rx).max(0.0);
            if lo <= 1 || !may_reach(top, (k - lo + 1) as f64 * xi, prune) {
                break;
            }
            i = lo - 1;
        }
        self.rx_guess.set(horizon);
        Horizons {
            theta,
            d_hzn_m: d_hzn,
        }
    }
}

/// Appends the indices (`base` + position) of the vertices of the upper convex hull of the
/// points (position, `z`) to `out`, left to right (collinear points dropped: the steepest
/// elevation from outside is reached at a vertex too).
fn upper_hull(z: &[f64], base: usize, out: &mut Vec<u32>) {
    let start = out.len();
    for (j, &zj) in z.iter().enumerate() {
        while out.len() >= start + 2 {
            let a = out[out.len() - 2] as usize - base;
            let b = out[out.len() - 1] as usize - base;
            // b is not above the chord from a to j: drop it.
            let cross = (z[b] - z[a]) * (j - a) as f64 - (zj - z[a]) * (b - a) as f64;
            if cross > 0.0 {
                break;
            }
            out.pop();
        }
        out.push((base + j) as u32);
    }
}

/// Δh along one radial of a coverage sweep, where consecutive pixels have nearly the same
/// window: computed exactly (as [`RadialAnalysis::prepare`] does) for windows ending on whole
/// profile points ("nodes": every [`RadialRoughness::NODE_SPACING`] points at first, and the
/// radial's last point), and linearly interpolated in the window's end between the two nodes
/// around it when those differ by no more than the tolerance; otherwise the interval is
/// halved, down to adjacent points, below which the pixel's own Δh is computed exactly.
/// Windows under [`RadialRoughness::SHORT_WINDOW`] points are computed exactly too. Nodes are
/// kept for the last few window starts (the start moves with a near TX horizon) until
/// [`RadialAnalysis::prepare_interpolated`] sees another profile. A sweep's neighbouring radials
/// share their regular nodes ([`RadialRoughness::adopt`]).
///
/// This is the one approximation of the coverage sweep: ITM defines Δh per path; along a
/// radial, and from one radial to the next, it changes slowly except where the terrain does,
/// and there the bisection computes it.
#[derive(Debug, Clone)]
pub struct RadialRoughness {
    tolerance_m: f64,
    tolerance_rel: f64,
    /// The [`RadialAnalysis`] profile the nodes belong to.
    profile: u64,
    len: usize,
    xi: f64,
    /// Node sets of the last few window starts (bits of d_start; Δh of the window ending at
    /// each whole point, NaN: not computed yet), most recent first: pixels in and out of
    /// line of sight of the TX alternate between a few starts.
    nodes: Vec<(u64, Vec<f64>)>,
    /// Regular nodes of the current profile offered by the neighbouring radials
    /// ([`RadialRoughness::adopt`]): per window start, the slots of [`RoughnessNodes`], NaN
    /// where the two neighbours lack the node or disagree.
    adopted: RoughnessNodes,
    /// For the statistics: Δh computed exactly (nodes and pixels), pixels served with an
    /// interpolated Δh, and nodes taken from the neighbouring radials.
    computed: usize,
    interpolated: usize,
    shared: usize,
}

/// The regular nodes of one radial's [`RadialRoughness`] (every
/// [`RadialRoughness::NODE_SPACING`] points, and the last point), per window start: what a
/// neighbouring radial may adopt. Slot `m / NODE_SPACING` holds point `m`'s node, the last slot
/// the last point's; NaN where no pixel needed it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoughnessNodes {
    /// Points of the radial.
    len: usize,
    /// Window start (bits of d_start) and slots.
    sets: Vec<(u64, Vec<f64>)>,
}

impl RoughnessNodes {
    fn slot(len: usize, m: usize) -> Option<usize> {
        let g = RadialRoughness::NODE_SPACING;
        if m + 1 == len {
            Some((len - 1) / g + 1)
        } else if m.is_multiple_of(g) {
            Some(m / g)
        } else {
            None
        }
    }

    fn slots(len: usize) -> usize {
        (len.max(1) - 1) / RadialRoughness::NODE_SPACING + 2
    }

    fn get(&self, bits: u64, m: usize) -> f64 {
        match (
            Self::slot(self.len, m),
            self.sets.iter().find(|(b, _)| *b == bits),
        ) {
            (Some(i), Some((_, v))) => v[i],
            _ => f64::NAN,
        }
    }
}

impl Default for RadialRoughness {
    /// Within [`RadialRoughness::TOLERANCE_M`] + [`RadialRoughness::TOLERANCE_REL`] · Δh.
    fn default() -> Self {
        Self::new(Self::TOLERANCE_M, Self::TOLERANCE_REL)
    }
}

impl RadialRoughness {
    /// Spacing of the first nodes, in profile points.
    pub const NODE_SPACING: usize = 16;
    /// Default absolute tolerance between two nodes, m.
    pub const TOLERANCE_M: f64 = 5.0;
    /// Default relative tolerance between two nodes.
    pub const TOLERANCE_REL: f64 = 0.1;
    /// Windows shorter than this many profile points get their own Δh. ITM samples windows
    /// under 242 points with fewer points the shorter they are, so Δh jumps a little every 10
    /// points; from 120 points on the jumps are small enough for the tolerance (on the bench
    /// site, computing 120–242-point windows exactly took 9 % more instructions and brought
    /// the 99.9th percentile of the error from 0.60 to 0.50 dB).
    pub const SHORT_WINDOW: f64 = 120.0;

    /// Interpolates between nodes that differ by at most `tolerance_m + tolerance_rel · Δh`
    /// (the larger of the two nodes' Δh).
    #[must_use]
    pub fn new(tolerance_m: f64, tolerance_rel: f64) -> Self {
        Self {
            tolerance_m,
            tolerance_rel,
            profile: 0,
            len: 0,
            xi: 0.0,
            nodes: Vec::new(),
            adopted: RoughnessNodes::default(),
            computed: 0,
            interpolated: 0,
            shared: 0,
        }
    }

    /// (Δh computed exactly, for nodes and pixels; pixels given an interpolated Δh) so far.
    #[must_use]
    pub fn counts(&self) -> (usize, usize) {
        (self.computed, self.interpolated)
    }

    /// Nodes taken from neighbouring radials ([`RadialRoughness::adopt`]) so far.
    #[must_use]
    pub fn shared(&self) -> usize {
        self.shared
    }

    /// The regular nodes of the profile `radial` holds, for its neighbouring radials (none if
    /// no prefix of it was prepared with this roughness).
    #[must_use]
    pub fn nodes(&self, radial: &RadialAnalysis) -> RoughnessNodes {
        if self.profile != radial.profile {
            return RoughnessNodes::default();
        }
        let slots = RoughnessNodes::slots(self.len);
        let sets = self
            .nodes
            .iter()
            .filter(|(bits, _)| !f64::from_bits(*bits).is_nan())
            .map(|(bits, v)| {
                let mut out = vec![f64::NAN; slots];
                for (m, &x) in v.iter().enumerate() {
                    if let Some(i) = RoughnessNodes::slot(self.len, m) {
                        out[i] = x;
                    }
                }
                (*bits, out)
            })
            .collect();
        RoughnessNodes {
            len: self.len,
            sets,
        }
    }

    /// Gives the profile `radial` holds the regular nodes of the radials on either side of it
    /// (a sweep's radials are tens of metres apart): a node both computed, for the same window
    /// start and within the tolerance of each other, is taken as their mean instead of being
    /// computed. The same tolerance then decides, as between the nodes of one radial, whether
    /// pixels interpolate. Nodes of radials of another length are ignored; the next profile
    /// starts without any.
    pub fn adopt(&mut self, radial: &RadialAnalysis, a: &RoughnessNodes, b: &RoughnessNodes) {
        self.start_if_new(radial);
        if a.len != self.len || b.len != self.len {
            return;
        }
        let sets = a
            .sets
            .iter()
            .filter_map(|(bits, va)| {
                let (_, vb) = b.sets.iter().find(|(x, _)| x == bits)?;
                let merged = va
                    .iter()
                    .zip(vb)
                    .map(|(&x, &y)| {
                        if (x - y).abs() <= self.tolerance(x, y) {
                            0.5 * (x + y)
                        } else {
                            f64::NAN
                        }
                    })
                    .collect();
                Some((*bits, merged))
            })
            .collect();
        self.adopted = RoughnessNodes {
            len: self.len,
            sets,
        };
    }

    fn tolerance(&self, a: f64, b: f64) -> f64 {
        self.tolerance_m + self.tolerance_rel * a.abs().max(b.abs())
    }

    fn start(&mut self, profile: u64, len: usize, xi: f64) {
        self.profile = profile;
        self.len = len;
        self.xi = xi;
        for (bits, _) in &mut self.nodes {
            *bits = f64::NAN.to_bits();
        }
        self.adopted = RoughnessNodes::default();
    }

    /// Starts the profile `radial` holds unless it is the current one.
    fn start_if_new(&mut self, radial: &RadialAnalysis) {
        if self.profile != radial.profile {
            self.start(radial.profile, radial.z.len(), radial.xi);
        }
    }

    /// Makes the node set of `d_start` the first, reusing the least recent set's buffer.
    fn select_start(&mut self, d_start: f64) {
        const SETS: usize = 4;
        let bits = d_start.to_bits();
        if let Some(i) = self.nodes.iter().position(|(b, _)| *b == bits) {
            self.nodes[..=i].rotate_right(1);
            return;
        }
        if self.nodes.len() < SETS {
            self.nodes.push((bits, Vec::new()));
        }
        self.nodes.rotate_right(1);
        let (b, v) = &mut self.nodes[0];
        *b = bits;
        v.clear();
        v.resize(self.len, f64::NAN);
    }

    /// Δh of the window `[d_start, d_end]` of the prefix `..=k` of the radial `z`.
    fn delta_h(&mut self, z: &[f64], k: usize, d_start: f64, d_end: f64) -> f64 {
        let xi = self.xi;
        let (x_start, x_end) = (d_start / xi, d_end / xi);
        let exact = |this: &mut Self| {
            this.computed += 1;
            delta_h(&z[..=k], xi, d_start, d_end)
        };
        let g = Self::NODE_SPACING;
        if !(x_start.is_finite() && x_end.is_finite()) || x_end < 0.0 || x_start < 0.0 {
            return exact(self);
        }
        let mut a = (x_end as usize) / g * g;
        // The last node of a radial is its last point.
        let mut b = (a + g).min(z.len() - 1);
        if b <= a || x_end > b as f64 || (a as f64) - x_start < Self::SHORT_WINDOW {
            return exact(self);
        }
        self.select_start(d_start);
        loop {
            let (ha, hb) = (self.node(z, d_start, a), self.node(z, d_start, b));
            if (ha - hb).abs() <= self.tolerance(ha, hb) {
                let t = (x_end - a as f64) / (b - a) as f64;
                self.interpolated += 1;
                return ha + (hb - ha) * t;
            }
            if b - a == 1 {
                return exact(self);
            }
            let mid = (a + b) / 2;
            if x_end < mid as f64 {
                b = mid;
            } else {
                a = mid;
            }
        }
    }

    /// Δh of the window from `d_start` to point `m`, computed (or adopted) once per window
    /// start.
    fn node(&mut self, z: &[f64], d_start: f64, m: usize) -> f64 {
        let v = self.nodes[0].1[m];
        if !v.is_nan() {
            return v;
        }
        let v = self.adopted.get(d_start.to_bits(), m);
        let v = if v.is_nan() {
            self.computed += 1;
            delta_h(&z[..=m], self.xi, d_start, m as f64 * self.xi)
        } else {
            self.shared += 1;
            v
        };
        self.nodes[0].1[m] = v;
        v
    }
}

/// Samples the profile between `d_start` and `d_end` (m) on a fixed grid (at most 245 points),
/// removes the least-squares line, and returns the interdecile range of the residuals scaled to
/// the asymptotic terrain irregularity Δh (m).
fn delta_h(z: &[f64], xi: f64, d_start: f64, d_end: f64) -> f64 {
    let np = z.len() - 1;
    let x_start = d_start / xi;
    let x_end = d_end / xi;
    // (Non-finite ends cannot come from a checked profile; they give 0 like a short window.)
    if !(x_start.is_finite() && x_end.is_finite()) || x_end - x_start < 2.0 {
        return 0.0;
    }
    let p10 = ((0.1 * (x_end - x_start + 8.0)) as i64).clamp(4, 25) as usize;
    let n = 10 * p10 - 5;
    let np_s = (n - 1) as f64;
    let step = (x_end - x_start) / np_s;
    let i_first = (x_start as i64).clamp(0, np as i64 - 1) as usize;
    // Sample j sits at position p = x_start + j·step, between points i1 − 1 and i1 = ⌈p⌉ (never
    // before the scan's first point nor beyond the last), as the published scan that advances
    // one point at a time finds it. Computing p directly instead of accumulating the step
    // changes the samples only in the last bits (the interpolation is continuous where i1
    // changes) and leaves no dependency between samples.
    //
    // ⌈p⌉ without a saturating float-to-integer conversion: adding 1.5·2⁵² rounds p to the
    // nearest integer (|p| < 2⁵¹ here), one more when that is below p; it is clamped to the
    // scan's points as a float (p is finite: both ends are) and the index read from the
    // float's low mantissa bits. The selects are written so that they compile to single
    // min/max/and instructions.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let (lo, hi) = ((i_first + 1) as f64, np as f64);
    // `fj` is the sample index as an (exact) float: integer conversions cost more.
    let sample = |fj: f64| {
        let p = x_start + fj * step;
        let nearest = (p + ROUND) - ROUND;
        let c = nearest + if nearest < p { 1.0 } else { 0.0 };
        let c = if c < lo { lo } else { c };
        let c = if c > hi { hi } else { c };
        let i1 = ((c + ROUND).to_bits() - ROUND.to_bits()) as usize;
        let (a, b) = (z[i1 - 1], z[i1]);
        b + (b - a) * (p - c)
    };

    // The least-squares line through the samples (ITM's `zlsq1` over the whole sample, end
    // points weighted ½) is accumulated while sampling: the interior samples 1..n−1 go to four
    // lanes in turn with weights j − (n − 1)/2 (exact half-integers).
    let mut s = [0.0f64; 245];
    let s = &mut s[..n];
    s[0] = sample(0.0);
    let x_length = np_s;
    let mid = -0.5 * x_length;
    let mut s0 = [0.0f64; 4];
    let mut s1 = [0.0f64; 4];
    let mut w = mid + 1.0;
    let interior = n - 2;
    let whole = interior / 4 * 4;
    let mut fb = 1.0;
    for chunk in s[1..=whole].chunks_exact_mut(4) {
        for (lane, sj) in chunk.iter_mut().enumerate() {
            let v = sample(fb + lane as f64);
            *sj = v;
            s0[lane] += v;
            s1[lane] += v * (w + lane as f64);
        }
        fb += 4.0;
        w += 4.0;
    }
    for (lane, sj) in s[whole + 1..n - 1].iter_mut().enumerate() {
        let v = sample(fb + lane as f64);
        *sj = v;
        s0[lane] += v;
        s1[lane] += v * (w + lane as f64);
    }
    s[n - 1] = sample(np_s);
    let (za, zb) = (s[0], s[n - 1]);
    let mid_end = x_length + mid;
    let mut sum_y = 0.5 * (za + zb) + ((s0[0] + s0[1]) + (s0[2] + s0[3]));
    let mut scaled = 0.5 * (za - zb) * mid + ((s1[0] + s1[1]) + (s1[2] + s1[3]));
    sum_y /= x_length;
    scaled = scaled * 12.0 / ((x_length * x_length + 2.0) * x_length);
    let fit_y1 = sum_y - scaled * mid_end;
    let fit_y2 = sum_y + scaled * (x_length - mid_end);
    let slope = (fit_y2 - fit_y1) / np_s;

    let (q10, q90) = residual_quantiles(s, fit_y1, slope, p10);
    (q10 - q90) / (1.0 - 0.8 * (-(d_end - d_start) / 50e3).exp())
}

/// The `rank`-th largest and smallest (0-based, `rank` < 32 and below the number of values)
/// of a few values, by insertion into two short sorted buffers. Plain float comparisons: the
/// result only serves as a threshold, which any value may be without changing the quantiles.
fn rank_th_largest_and_smallest(values: impl Iterator<Item = f64>, rank: usize) -> (f64, f64) {
    let len = rank + 1;
    let mut top = [f64::NEG_INFINITY; 32];
    let mut bottom = [f64::INFINITY; 32];
    let (top, bottom) = (&mut top[..len], &mut bottom[..len]);
    for x in values {
        // top: descending; bottom: ascending.
        if x > top[rank] {
            let mut i = rank;
            while i > 0 && x > top[i - 1] {
                top[i] = top[i - 1];
                i -= 1;
            }
            top[i] = x;
        }
        if x < bottom[rank] {
            let mut i = rank;
            while i > 0 && x < bottom[i - 1] {
                bottom[i] = bottom[i - 1];
                i -= 1;
            }
            bottom[i] = x;
        }
    }
    (top[rank], bottom[rank])
}

/// A float as an integer of the same order as [`f64::total_cmp`] (an involution).
#[inline]
fn total_key(x: f64) -> i64 {
    let b = x.to_bits() as i64;
    b ^ (((b >> 63) as u64) >> 1) as i64
}

/// The value at 0-based ascending position `nth` of `v` in [`f64::total_cmp`] order, selected
/// on integer keys (cheaper comparisons than `total_cmp`).
fn select_ascending(v: &[f64], nth: usize) -> f64 {
    fn select(keys: &mut [i64], v: &[f64], nth: usize) -> f64 {
        for (k, &x) in keys.iter_mut().zip(v) {
            *k = total_key(x);
        }
        f64::from_bits(total_key_inverse(*keys.select_nth_unstable(nth).1))
    }
    // The small buffer for the usual few candidates; the large one only when needed.
    if v.len() <= 64 {
        select(&mut [0i64; 64][..v.len()], v, nth)
    } else if v.len() <= 256 {
        select(&mut [0i64; 256][..v.len()], v, nth)
    } else {
        select(&mut vec![0i64; v.len()], v, nth)
    }
}

#[inline]
fn total_key_inverse(k: i64) -> u64 {
    (k ^ (((k >> 63) as u64) >> 1) as i64) as u64
}

/// The k-th largest and k-th smallest residual `s_j − (y1 + j·slope)` of the samples `s`
/// (1 ≤ k ≤ 25, 2k < `s.len()` ≤ 245), counting duplicates: ITM's 10 % and 90 % quantiles.
///
/// Exact, but cheaper than selecting over the whole sample: a strided subsample gives a
/// threshold a little beyond each quantile, one branch-free pass computes the residuals and
/// keeps only those past the thresholds, and the selection runs on those few. If fewer than k
/// residuals pass, or more than the buffers hold (the subsample was unrepresentative), the
/// whole sample is used instead.
fn residual_quantiles(s: &[f64], y1: f64, slope: f64, k: usize) -> (f64, f64) {
    const STEP: usize = 8;
    const KEEP: usize = 64;
    let n = s.len();
    // `fj` is the sample index as an (exact) float.
    let residual = |fj: f64, v: f64| v - (y1 + fj * slope);
    // Every 8th residual; the (rank+1) largest and smallest of those by insertion (rank < 8).
    let m = n.div_ceil(STEP);
    // Rank in the subsample expected to lie beyond the k-th value of the sample, with margin.
    let rank = ((k * m).div_ceil(n) + 2).min(m) - 1;
    let (t_hi, t_lo) = rank_th_largest_and_smallest(
        s.iter()
            .enumerate()
            .step_by(STEP)
            .map(|(j, &v)| residual(j as f64, v)),
        rank,
    );

    // Masked indices: the stores need no bounds checks. Every value is stored at the slot after
    // the candidates so far, so a count that reaches KEEP wraps onto the first candidate: such
    // counts fall back.
    let mut hi = [0.0f64; KEEP];
    let mut lo = [0.0f64; KEEP];
    let (mut n_hi, mut n_lo) = (0usize, 0usize);
    let mut fj = 0.0;
    for &v in s {
        let x = residual(fj, v);
        fj += 1.0;
        hi[n_hi & (KEEP - 1)] = x;
        n_hi += usize::from(x >= t_hi);
        lo[n_lo & (KEEP - 1)] = x;
        n_lo += usize::from(x <= t_lo);
    }
    // If at least k values are ≥ t_hi, the k-th largest is among them (and is their k-th
    // largest); likewise for the smallest.
    let whole = |nth: usize| {
        let mut all = [0.0f64; 245];
        for (j, (a, &v)) in all.iter_mut().zip(s).enumerate() {
            *a = residual(j as f64, v);
        }
        select_ascending(&all[..n], nth)
    };
    let largest = if (k..KEEP).contains(&n_hi) {
        select_ascending(&hi[..n_hi], n_hi - k)
    } else {
        whole(n - k)
    };
    let smallest = if (k..KEEP).contains(&n_lo) {
        select_ascending(&lo[..n_lo], k - 1)
    } else {
        whole(k - 1)
    };
    (largest, smallest)
}

#[cfg(test)]
mod tests {
    use super::{
        Profile, RadialAnalysis, RadialRoughness, RoughnessNodes, delta_h, prepare,
        residual_quantiles,
    };
    use proptest::prelude::*;

    /// Every prefix of `z`, prepared by the sweep and directly, bit for bit.
    fn check_all_prefixes(z: &[f64], xi: f64, h: [f64; 2]) -> Result<(), TestCaseError> {
        let mut radial = RadialAnalysis::new();
        radial
            .reset(
                Profile {
                    resolution_m: xi,
                    elevations_m: z,
                },
                h[0],
                h[1],
                301.0,
            )
            .unwrap();
        for k in 1..z.len() {
            let direct = prepare(
                Profile {
                    resolution_m: xi,
                    elevations_m: &z[..=k],
                },
                h[0],
                h[1],
                301.0,
            )
            .unwrap();
            let swept = radial.prepare(k).unwrap();
            prop_assert_eq!(format!("{swept:?}"), format!("{direct:?}"), "prefix {}", k);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn radial_prefixes_equal_direct_preparation(
            start in 0.0f64..3000.0,
            steps in prop::collection::vec(prop_oneof![-30.0f64..30.0, Just(0.0), Just(5.0)], 2..700),
            xi in prop_oneof![Just(30.0), Just(67.4), 10.0f64..500.0],
            h_tx in 1.0f64..100.0,
            h_rx in prop_oneof![Just(1.5), 1.0f64..30.0],
            quantised in any::<bool>(),
        ) {
            // Quantised heights (whole metres) and flat runs make ties in the horizon search.
            let z: Vec<f64> = steps
                .iter()
                .scan(start, |acc, s| {
                    *acc += s;
                    Some(if quantised { acc.round() } else { *acc })
                })
                .collect();
            check_all_prefixes(&z, xi, [h_tx, h_rx])?;
        }
    }

    fn profile_of(start: f64, steps: &[f64]) -> Vec<f64> {
        steps
            .iter()
            .scan(start, |acc, s| {
                *acc += s;
                Some(*acc)
            })
            .collect()
    }

    fn load(radial: &mut RadialAnalysis, z: &[f64], xi: f64) {
        let profile = Profile {
            resolution_m: xi,
            elevations_m: z,
        };
        radial.reset(profile, 40.0, 1.5, 301.0).unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// With no tolerance nothing is interpolated between nodes that differ, so every
        /// prefix gets its own exact Δh.
        #[test]
        fn interpolated_roughness_without_tolerance_is_exact(
            start in 0.0f64..3000.0,
            steps in prop::collection::vec(-30.0f64..30.0, 2..700),
            xi in prop_oneof![Just(67.4), 10.0f64..200.0],
        ) {
            let z = profile_of(start, &steps);
            let mut radial = RadialAnalysis::new();
            load(&mut radial, &z, xi);
            let mut rough = RadialRoughness::new(0.0, 0.0);
            for k in 1..z.len() {
                let exact = radial.prepare(k).unwrap();
                let interpolated = radial.prepare_interpolated(k, &mut rough).unwrap();
                prop_assert_eq!(format!("{interpolated:?}"), format!("{exact:?}"), "prefix {}", k);
            }
        }

        /// Nodes belong to one profile: a roughness used on another radial before gives the
        /// same Δh as a fresh one.
        #[test]
        fn interpolated_roughness_forgets_the_previous_radial(
            a in prop::collection::vec(-30.0f64..30.0, 300..700),
            b in prop::collection::vec(-30.0f64..30.0, 300..700),
        ) {
            let (za, zb) = (profile_of(1000.0, &a), profile_of(1000.0, &b));
            let mut radial = RadialAnalysis::new();
            let mut used = RadialRoughness::default();
            load(&mut radial, &za, 67.4);
            for k in 1..za.len() {
                radial.prepare_interpolated(k, &mut used).unwrap();
            }
            load(&mut radial, &zb, 67.4);
            let mut fresh = RadialRoughness::default();
            for k in 1..zb.len() {
                let x = radial.prepare_interpolated(k, &mut used).unwrap().delta_h_m;
                let y = radial.prepare_interpolated(k, &mut fresh).unwrap().delta_h_m;
                prop_assert_eq!(x.to_bits(), y.to_bits(), "prefix {}", k);
            }
            prop_assert!(fresh.counts().1 > 0);
        }

        /// Nodes adopted from two neighbours that agree are their mean: adopting a radial's
        /// own nodes on both sides gives that radial's Δh bit for bit without computing them,
        /// and nodes of a radial of another length are ignored.
        #[test]
        fn adopted_nodes_are_the_neighbours_mean(
            steps in prop::collection::vec(-30.0f64..30.0, 300..700),
        ) {
            let z = profile_of(1000.0, &steps);
            let mut radial = RadialAnalysis::new();
            load(&mut radial, &z, 67.4);
            let mut own = RadialRoughness::default();
            let mine: Vec<f64> = (1..z.len())
                .map(|k| radial.prepare_interpolated(k, &mut own).unwrap().delta_h_m)
                .collect();
            let nodes = own.nodes(&radial);
            let shorter = {
                load(&mut radial, &z[..z.len() - 1], 67.4);
                let mut r = RadialRoughness::default();
                for k in 1..z.len() - 1 {
                    radial.prepare_interpolated(k, &mut r).unwrap();
                }
                r.nodes(&radial)
            };
            for (other, adopts) in [(&nodes, true), (&shorter, false)] {
                load(&mut radial, &z, 67.4);
                let mut next = RadialRoughness::default();
                next.adopt(&radial, &nodes, other);
                for k in 1..z.len() {
                    let d = radial.prepare_interpolated(k, &mut next).unwrap().delta_h_m;
                    prop_assert_eq!(d.to_bits(), mine[k - 1].to_bits(), "prefix {}", k);
                }
                prop_assert_eq!(next.shared() > 0, adopts);
                prop_assert_eq!(next.counts().0 < own.counts().0, adopts);
            }
            // Nodes adopted for one profile reach no other, and a roughness that prepared
            // nothing of the loaded profile offers no nodes (not the last profile's).
            load(&mut radial, &z, 67.4);
            let mut next = RadialRoughness::default();
            next.adopt(&radial, &nodes, &nodes);
            load(&mut radial, &z, 67.4);
            prop_assert_eq!(next.nodes(&radial), RoughnessNodes::default());
            for k in 1..z.len() {
                radial.prepare_interpolated(k, &mut next).unwrap();
            }
            prop_assert_eq!(next.shared(), 0);
        }
    }

    #[test]
    fn radial_prefixes_of_flat_and_stepped_ground_equal_direct_preparation() {
        let flat = vec![250.0; 600];
        check_all_prefixes(&flat, 90.0, [40.0, 1.5]).unwrap();
        let stairs: Vec<f64> = (0..600).map(|i| f64::from(i / 37 * 20)).collect();
        check_all_prefixes(&stairs, 67.0, [40.0, 1.5]).unwrap();
        let valley: Vec<f64> = (0..600).map(|i| (f64::from(i) - 300.0).abs()).collect();
        check_all_prefixes(&valley, 30.0, [10.0, 2.0]).unwrap();
    }

    /// Found by `quantiles_match_a_full_sort`: exactly 64 values (the candidate buffer's size)
    /// at or below the subsample's threshold (0.0: many zeros), the smallest stored first.
    #[test]
    fn quantiles_when_the_candidates_fill_the_buffer() {
        let sparse = [
            (0, 1.0),
            (1, -9485.990815471772),
            (5, 8109.5810361258045),
            (6, 334.8501218217392),
            (7, 4991.778540951486),
            (15, 7076.5421067514135),
            (50, 4683.581651491787),
            (51, 1305.674608258611),
            (55, 3339.8224778885346),
            (66, 2342.6792364185994),
            (72, 2396.740259159036),
            (80, -7359.303803448057),
            (84, -5631.887219101226),
            (88, -4161.764584913089),
            (89, -8126.688589082809),
            (93, -4449.345397554565),
            (94, 8620.145637074447),
            (99, -4872.186369000611),
            (100, -5318.155621389252),
            (105, -3970.2690206012085),
        ];
        // The other values are 0 and 1, as the proptest drew them.
        let ones = [
            4, 10, 11, 14, 17, 20, 21, 26, 30, 31, 32, 33, 34, 35, 40, 49, 54, 56, 57, 60, 62, 68,
            71, 90, 91, 95, 97, 98, 101, 102, 103, 106,
        ];
        let mut v = vec![0.0; 107];
        for i in ones {
            v[i] = 1.0;
        }
        for (i, x) in sparse {
            v[i] = x;
        }
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        let (hi, lo) = residual_quantiles(&v, 0.0, 0.0, 1);
        assert_eq!(lo.to_bits(), sorted[0].to_bits());
        assert_eq!(hi.to_bits(), sorted[v.len() - 1].to_bits());
    }

    proptest! {
        #[test]
        fn quantiles_match_a_full_sort(
            v in prop::collection::vec(prop_oneof![-1e4f64..1e4, Just(0.0), Just(1.0)], 35..=245),
            k in 1usize..=25,
        ) {
            prop_assume!(2 * k < v.len());
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let (hi, lo) = residual_quantiles(&v, 0.0, 0.0, k);
            prop_assert_eq!(hi.to_bits(), sorted[v.len() - k].to_bits());
            prop_assert_eq!(lo.to_bits(), sorted[k - 1].to_bits());
        }

        #[test]
        fn quantiles_of_smooth_runs_match_a_full_sort(
            start in -100.0f64..100.0,
            steps in prop::collection::vec(-1.0f64..1.0, 35..=245),
            k in 4usize..=25,
        ) {
            prop_assume!(2 * k < steps.len());
            let v: Vec<f64> = steps.iter().scan(start, |acc, s| { *acc += s; Some(*acc) }).collect();
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let (hi, lo) = residual_quantiles(&v, 0.0, 0.0, k);
            prop_assert_eq!(hi.to_bits(), sorted[v.len() - k].to_bits());
            prop_assert_eq!(lo.to_bits(), sorted[k - 1].to_bits());
        }
    }

    /// ITM's `dlthx` as published: the scan that advances one point at a time, `zlsq1` with
    /// serial sums, the quantiles from a full sort.
    fn published_delta_h(z: &[f64], xi: f64, d_start: f64, d_end: f64) -> f64 {
        let np = z.len() - 1;
        let (mut xa, mut xb) = (d_start / xi, d_end / xi);
        if xb - xa < 2.0 {
            return 0.0;
        }
        let ka = ((0.1 * (xb - xa + 8.0)) as usize).clamp(4, 25);
        let n = 10 * ka - 5;
        let kb = n - ka + 1;
        let sn = (n - 1) as f64;
        xb = (xb - xa) / sn;
        let mut k = (xa + 1.0) as usize;
        xa -= k as f64;
        let mut s = vec![0.0; n];
        for sj in &mut s {
            while xa > 0.0 && k < np {
                xa -= 1.0;
                k += 1;
            }
            *sj = z[k] + (z[k] - z[k - 1]) * xa;
            xa += xb;
        }
        let xl = sn;
        let mut x = -0.5 * xl;
        let xb_fit = sn + x;
        let mut a = 0.5 * (s[0] + s[n - 1]);
        let mut b = 0.5 * (s[0] - s[n - 1]) * x;
        for &v in &s[1..n - 1] {
            x += 1.0;
            a += v;
            b += v * x;
        }
        a /= xl;
        b = b * 12.0 / ((xl * xl + 2.0) * xl);
        let (z0, zn) = (a - b * xb_fit, a + b * (sn - xb_fit));
        let slope = (zn - z0) / sn;
        let mut r: Vec<f64> = s
            .iter()
            .enumerate()
            .map(|(j, &v)| v - (z0 + j as f64 * slope))
            .collect();
        r.sort_by(|a, b| b.total_cmp(a));
        (r[ka - 1] - r[kb - 1]) / (1.0 - 0.8 * (-(d_end - d_start) / 50e3).exp())
    }

    proptest! {
        #[test]
        fn delta_h_matches_the_published_scan(
            start in 0.0f64..3000.0,
            steps in prop::collection::vec(prop_oneof![-40.0f64..40.0, Just(0.0)], 3..900),
            xi in prop_oneof![Just(30.0), Just(90.0), 5.0f64..800.0],
            from in 0.0f64..0.3,
            to in 0.0f64..0.3,
        ) {
            let z: Vec<f64> = steps.iter().scan(start, |acc, s| { *acc += s; Some(*acc) }).collect();
            let d = (z.len() - 1) as f64 * xi;
            let (d_start, d_end) = (from * d, d - to * d);
            let got = delta_h(&z, xi, d_start, d_end);
            let want = published_delta_h(&z, xi, d_start, d_end);
            prop_assert!((got - want).abs() <= 1e-9 * want.abs().max(1.0), "{} vs {}", got, want);
        }
    }
}
