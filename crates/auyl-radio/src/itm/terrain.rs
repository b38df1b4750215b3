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

/// Checks and analyses a profile (see [`super::prepare_p2p`]).
pub(super) fn prepare(
    profile: Profile<'_>,
    h_tx_m: f64,
    h_rx_m: f64,
    n_0: f64,
) -> Result<PreparedPath, ItmError> {
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
    let z = profile.elevations_m;
    let xi = profile.resolution_m;
    if z.len() < 2 {
        return Err(ItmError::InvalidProfile {
            reason: "fewer than 2 points",
        });
    }
    if !(xi > 0.0 && xi.is_finite()) {
        return Err(ItmError::InvalidProfile {
            reason: "resolution must be positive and finite",
        });
    }
    let np = z.len() - 1;

    // Mean height of the middle 80 % of the path sets the surface refractivity. A non-finite
    // elevation anywhere makes the sum of all points non-finite.
    let p10 = (0.1 * np as f64) as usize;
    let sum = sum4(&z[p10..=np - p10]);
    let edges = sum4(&z[..p10]) + sum4(&z[np - p10 + 1..]);
    if !(sum + edges).is_finite() {
        return Err(ItmError::InvalidProfile {
            reason: "non-finite elevation",
        });
    }
    let h_sys_m = sum / (np - 2 * p10 + 1) as f64;
    let (n_s, gamma_e) = refractivity(n_0, h_sys_m);

    let g = analyse(z, xi, gamma_e, [h_tx_m, h_rx_m]);
    Ok(PreparedPath {
        kind: PathKind::PointToPoint,
        h_m: [h_tx_m, h_rx_m],
        d_m: g.d_m,
        theta_hzn_rad: g.theta_hzn,
        d_hzn_m: g.d_hzn_m,
        h_e_m: g.h_e_m,
        delta_h_m: g.delta_h_m,
        n_0,
        n_s,
        gamma_e,
    })
}

/// Sum with four accumulators (breaks the add latency chain).
fn sum4(v: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = v.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..4 {
            acc[j] += c[j];
        }
    }
    for (j, &x) in rest.iter().enumerate() {
        acc[j] += x;
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// Profile-derived geometry.
struct Geometry {
    d_m: f64,
    theta_hzn: [f64; 2],
    d_hzn_m: [f64; 2],
    h_e_m: [f64; 2],
    delta_h_m: f64,
}

/// Horizons, Δh and effective heights of a profile (`z.len() >= 2`, finite values).
fn analyse(z: &[f64], xi: f64, gamma_e: f64, h: [f64; 2]) -> Geometry {
    let np = z.len() - 1;
    let d = np as f64 * xi;
    let a_e = 1.0 / gamma_e;
    let (mut theta_hzn, mut d_hzn) = find_horizons(z, xi, d, a_e, h);

    // Terrain is considered from about 15 tower heights (or 1/10 of the horizon) off each end.
    let d_start = (15.0 * h[0]).min(0.1 * d_hzn[0]);
    let d_end = d - (15.0 * h[1]).min(0.1 * d_hzn[1]);
    let delta_h = delta_h(z, xi, d_start, d_end);

    let mut h_e = [0.0; 2];
    let horizon =
        |h_e: f64| (2.0 * h_e * a_e).sqrt() * (-0.07 * (delta_h / h_e.max(5.0)).sqrt()).exp();
    if d_hzn[0] + d_hzn[1] > 1.5 * d {
        // Well within line of sight: one fit over the whole path; horizons from smooth earth.
        let (fit_tx, fit_rx) = least_squares(z, xi, d_start, d_end);
        h_e[0] = h[0] + fdim(z[0], fit_tx);
        h_e[1] = h[1] + fdim(z[np], fit_rx);
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
            theta_hzn[i] = (0.65 * delta_h * (q / d_hzn[i] - 1.0) - 2.0 * h_e[i]) / q;
        }
    } else {
        let (fit_tx, _) = least_squares(z, xi, d_start, 0.9 * d_hzn[0]);
        h_e[0] = h[0] + fdim(z[0], fit_tx);
        let (_, fit_rx) = least_squares(z, xi, d - 0.9 * d_hzn[1], d_end);
        h_e[1] = h[1] + fdim(z[np], fit_rx);
    }
    Geometry {
        d_m: d,
        theta_hzn,
        d_hzn_m: d_hzn,
        h_e_m: h_e,
        delta_h_m: delta_h,
    }
}

/// Radio horizons of both terminals: the highest elevation angle of the terrain seen from each
/// antenna over an earth of radius `a_e`; returns angles (rad) and distances (m).
fn find_horizons(z: &[f64], xi: f64, d: f64, a_e: f64, h: [f64; 2]) -> ([f64; 2], [f64; 2]) {
    let np = z.len() - 1;
    let z_tx = z[0] + h[0];
    let z_rx = z[np] + h[1];
    let two_a = 2.0 * a_e;
    let mut theta = [
        (z_rx - z_tx) / d - d / two_a,
        -(z_rx - z_tx) / d - d / two_a,
    ];
    let mut d_hzn = [d, d];
    let mut d_tx = 0.0;
    let mut d_rx = d;
    // A point raises the horizon when (z_i − z_end)/d_i − d_i/2a exceeds the current angle;
    // multiplied through by d_i > 0 the test needs no division, which is only done (as the
    // published formula) when the horizon moves. Distances accumulate exactly as in the
    // published search: the least-squares windows truncate them to point indices.
    let inv_two_a = 1.0 / two_a;
    for &zi in &z[1..np] {
        d_tx += xi;
        d_rx -= xi;
        if (zi - z_tx) - d_tx * d_tx * inv_two_a > theta[0] * d_tx {
            let theta_tx = (zi - z_tx) / d_tx - d_tx / two_a;
            if theta_tx > theta[0] {
                theta[0] = theta_tx;
                d_hzn[0] = d_tx;
            }
        }
        if (zi - z_rx) - d_rx * d_rx * inv_two_a > theta[1] * d_rx {
            let theta_rx = -(z_rx - zi) / d_rx - d_rx / two_a;
            if theta_rx > theta[1] {
                theta[1] = theta_rx;
                d_hzn[1] = d_rx;
            }
        }
    }
    (theta, d_hzn)
}

/// Least-squares line through the profile between two distances (m); returns its heights at
/// the two ends of the whole profile.
fn least_squares(z: &[f64], xi: f64, d_start: f64, d_end: f64) -> (f64, f64) {
    let np = (z.len() - 1) as i64;
    let npf = np as f64;
    let mut i_start = fdim(d_start / xi, 0.0) as i64;
    let mut i_end = np - fdim(npf, d_end / xi) as i64;
    if i_end <= i_start {
        i_start = fdim(i_start as f64, 1.0) as i64;
        i_end = np - fdim(npf, i_end as f64 + 1.0) as i64;
    }
    // Out-of-range indices only arise from inputs outside ITM's domain; clamp instead of panic.
    i_start = i_start.clamp(0, np);
    i_end = i_end.clamp(0, np);
    let x_length = (i_end - i_start) as f64;
    let mid = -0.5 * x_length;
    let mid_end = i_end as f64 + mid;
    let (za, zb) = (z[i_start as usize], z[i_end as usize]);
    // Interior points i_start+1 ..= i_end−1 with weights mid+1, mid+2, … (exact half-integers);
    // four accumulators break the add latency chain (sums differ from a serial loop only in
    // the last bits).
    let lo = i_start as usize + 1;
    let hi = (i_end as usize).max(lo);
    let interior = &z[lo..hi];
    let mut s0 = [0.0f64; 4];
    let mut s1 = [0.0f64; 4];
    let chunks = interior.chunks_exact(4);
    let rest = chunks.remainder();
    let mut w = mid + 1.0;
    for c in chunks {
        for j in 0..4 {
            s0[j] += c[j];
            s1[j] += c[j] * (w + j as f64);
        }
        w += 4.0;
    }
    for (j, &zk) in rest.iter().enumerate() {
        s0[j] += zk;
        s1[j] += zk * (w + j as f64);
    }
    let mut sum_y = 0.5 * (za + zb) + ((s0[0] + s0[1]) + (s0[2] + s0[3]));
    let mut scaled = 0.5 * (za - zb) * mid + ((s1[0] + s1[1]) + (s1[2] + s1[3]));
    sum_y /= x_length;
    scaled = scaled * 12.0 / ((x_length * x_length + 2.0) * x_length);
    (sum_y - scaled * mid_end, sum_y + scaled * (npf - mid_end))
}

/// Samples the profile between `d_start` and `d_end` (m) on a fixed grid (at most 245 points),
/// removes the least-squares line, and returns the interdecile range of the residuals scaled to
/// the asymptotic terrain irregularity Δh (m).
fn delta_h(z: &[f64], xi: f64, d_start: f64, d_end: f64) -> f64 {
    let np = z.len() - 1;
    let x_start = d_start / xi;
    let x_end = d_end / xi;
    if (x_end - x_start).is_nan() || x_end - x_start < 2.0 {
        return 0.0;
    }
    let p10 = ((0.1 * (x_end - x_start + 8.0)) as i64).clamp(4, 25) as usize;
    let n = 10 * p10 - 5;
    let np_s = (n - 1) as f64;
    let mut s = [0.0f64; 245];
    let step = (x_end - x_start) / np_s;
    let i_first = (x_start as i64).clamp(0, np as i64 - 1) as usize;
    if step <= 2.0 {
        // Dense sampling: the published scan, advancing one point at a time.
        let mut i = i_first;
        let mut x = x_start - f64::from((i as f64 + 1.0) as f32);
        for sj in s.iter_mut().take(n) {
            while x > 0.0 && i + 1 < np {
                x -= 1.0;
                i += 1;
            }
            *sj = z[i + 1] + (z[i + 1] - z[i]) * x;
            x += step;
        }
    } else {
        // Sparse sampling (long profiles): sample j sits at position p = x_start + j·step,
        // between points i1 − 1 and i1 = ⌈p⌉ (never before the scan's first point nor beyond
        // the last). Computing p directly instead of stepping point by point changes the
        // samples only in the last bits: the interpolation is continuous where i1 changes.
        let i1_first = i_first as i64 + 1;
        let i1_last = np as i64;
        for (j, sj) in s.iter_mut().take(n).enumerate() {
            let p = x_start + j as f64 * step;
            let t = p as i64;
            let ceil = if (t as f64) < p { t + 1 } else { t };
            let i1 = ceil.max(i1_first).min(i1_last) as usize;
            let x = p - i1 as f64;
            *sj = z[i1] + (z[i1] - z[i1 - 1]) * x;
        }
    }
    let samples = &mut s[..n];
    let (fit_y1, fit_y2) = least_squares(samples, 1.0, 0.0, np_s);
    let slope = (fit_y2 - fit_y1) / np_s;
    for (j, v) in samples.iter_mut().enumerate() {
        *v -= fit_y1 + j as f64 * slope;
    }
    let (q10, q90) = kth_largest_and_smallest(samples, p10);
    (q10 - q90) / (1.0 - 0.8 * (-(d_end - d_start) / 50e3).exp())
}

/// The k-th largest and k-th smallest values of `v` (1 ≤ k ≤ 25, 2k < `v.len()` ≤ 245),
/// counting duplicates: ITM's 10 % and 90 % quantiles.
///
/// Exact, but cheaper than selecting over the whole sample: a strided subsample gives a
/// threshold a little beyond each quantile, one pass keeps only the values past the threshold,
/// and the selection runs on those few. If fewer than k values pass (the subsample was
/// unrepresentative), the whole sample is used instead.
fn kth_largest_and_smallest(v: &[f64], k: usize) -> (f64, f64) {
    const STEP: usize = 8;
    let n = v.len();
    let desc = |a: &f64, b: &f64| b.total_cmp(a);
    let asc = |a: &f64, b: &f64| a.total_cmp(b);
    let mut sample = [0.0f64; 245 / STEP + 1];
    let mut m = 0;
    for x in v.iter().step_by(STEP) {
        sample[m] = *x;
        m += 1;
    }
    let sample = &mut sample[..m];
    // Rank in the subsample expected to lie beyond the k-th value of the sample, with margin.
    let rank = ((k * m).div_ceil(n) + 2).min(m) - 1;
    let t_hi = *sample.select_nth_unstable_by(rank, desc).1;
    let t_lo = *sample.select_nth_unstable_by(rank, asc).1;

    let mut hi = [0.0f64; 245];
    let mut lo = [0.0f64; 245];
    let (mut n_hi, mut n_lo) = (0, 0);
    for &x in v {
        hi[n_hi] = x;
        n_hi += usize::from(x >= t_hi);
        lo[n_lo] = x;
        n_lo += usize::from(x <= t_lo);
    }
    // If at least k values are ≥ t_hi, the k-th largest is among them (and is their k-th
    // largest); likewise for the smallest.
    let largest = if n_hi >= k {
        *hi[..n_hi].select_nth_unstable_by(k - 1, desc).1
    } else {
        hi[..n].copy_from_slice(v);
        *hi[..n].select_nth_unstable_by(k - 1, desc).1
    };
    let smallest = if n_lo >= k {
        *lo[..n_lo].select_nth_unstable_by(k - 1, asc).1
    } else {
        lo[..n].copy_from_slice(v);
        *lo[..n].select_nth_unstable_by(k - 1, asc).1
    };
    (largest, smallest)
}

#[cfg(test)]
mod tests {
    use super::kth_largest_and_smallest;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn quantiles_match_a_full_sort(
            v in prop::collection::vec(prop_oneof![-1e4f64..1e4, Just(0.0), Just(1.0)], 35..=245),
            k in 1usize..=25,
        ) {
            prop_assume!(2 * k < v.len());
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let (hi, lo) = kth_largest_and_smallest(&v, k);
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
            let (hi, lo) = kth_largest_and_smallest(&v, k);
            prop_assert_eq!(hi.to_bits(), sorted[v.len() - k].to_bits());
            prop_assert_eq!(lo.to_bits(), sorted[k - 1].to_bits());
        }
    }
}
