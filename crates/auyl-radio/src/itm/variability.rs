//! ITM variability (Hufford's `avar`): turns the reference attenuation into the loss not
//! exceeded for the requested time, location and situation percentages, with the climate
//! curves of TN101 and the four modes of variability.

use super::{ItmWarnings, PreparedPath, mdvar};

/// Inverse complementary normal CDF, Abramowitz & Stegun 26.2.23 (|ε| < 4.5e-4).
fn inverse_ccdf(q: f64) -> f64 {
    const C_0: f64 = 2.515516;
    const C_1: f64 = 0.802853;
    const C_2: f64 = 0.010328;
    const D_1: f64 = 1.432788;
    const D_2: f64 = 0.189269;
    const D_3: f64 = 0.001308;
    let x = if q > 0.5 { 1.0 - q } else { q };
    let t = (-2.0 * x.ln()).sqrt();
    let zeta = ((C_2 * t + C_1) * t + C_0) / (((D_3 * t + D_2) * t + D_1) * t + 1.0);
    let z = t - zeta;
    if q > 0.5 { -z } else { z }
}

/// TN101 curve shape used for the climate statistics.
#[inline]
fn curve(c1: f64, c2: f64, x1: f64, x2: f64, x3: f64, d_e: f64) -> f64 {
    let r = (d_e - x2) / x3;
    let s = d_e / x1;
    let s2 = s * s;
    (c1 + c2 / (1.0 + r * r)) * s2 / (1.0 + s2)
}

/// Per-climate constants (index = climate − 1).
const ALL_YEAR: [[f64; 7]; 5] = [
    [-9.67, -0.62, 1.26, -9.21, -0.62, -0.39, 3.15],
    [12.7, 9.19, 15.5, 9.05, 9.19, 2.86, 857.9],
    [
        144.9e3, 228.9e3, 262.6e3, 84.1e3, 228.9e3, 141.7e3, 2222.0e3,
    ],
    [
        190.3e3, 205.2e3, 185.2e3, 101.1e3, 205.2e3, 315.9e3, 164.8e3,
    ],
    [133.8e3, 143.6e3, 99.8e3, 98.6e3, 143.6e3, 167.4e3, 116.3e3],
];
const BSM1: [f64; 7] = [2.13, 2.66, 6.11, 1.98, 2.68, 6.86, 8.51];
const BSM2: [f64; 7] = [159.5, 7.67, 6.65, 13.11, 7.16, 10.38, 169.8];
const XSM1: [f64; 7] = [762.2e3, 100.4e3, 138.2e3, 139.1e3, 93.7e3, 187.8e3, 609.8e3];
const XSM2: [f64; 7] = [
    123.6e3, 172.5e3, 242.2e3, 132.7e3, 186.8e3, 169.6e3, 119.9e3,
];
const XSM3: [f64; 7] = [94.5e3, 136.4e3, 178.6e3, 193.5e3, 133.5e3, 108.9e3, 106.6e3];
const BSP1: [f64; 7] = [2.11, 6.87, 10.08, 3.68, 4.75, 8.58, 8.43];
const BSP2: [f64; 7] = [102.3, 15.53, 9.60, 159.3, 8.12, 13.97, 8.19];
const XSP1: [f64; 7] = [636.9e3, 138.7e3, 165.3e3, 464.4e3, 93.2e3, 216.0e3, 136.2e3];
const XSP2: [f64; 7] = [134.8e3, 143.7e3, 225.7e3, 93.1e3, 135.9e3, 152.0e3, 188.5e3];
const XSP3: [f64; 7] = [95.6e3, 98.6e3, 129.7e3, 94.2e3, 113.4e3, 122.7e3, 122.9e3];
const C_D: [f64; 7] = [1.224, 0.801, 1.380, 1.000, 1.224, 1.518, 1.518];
const Z_D: [f64; 7] = [1.282, 2.161, 1.282, 20.0, 1.282, 1.282, 1.282];
const BFM1: [f64; 7] = [1.0, 1.0, 1.0, 1.0, 0.92, 1.0, 1.0];
const BFM2: [f64; 7] = [0.0, 0.0, 0.0, 0.0, 0.25, 0.0, 0.0];
const BFM3: [f64; 7] = [0.0, 0.0, 0.0, 0.0, 1.77, 0.0, 0.0];
const BFP1: [f64; 7] = [1.0, 0.93, 1.0, 0.93, 0.93, 1.0, 1.0];
const BFP2: [f64; 7] = [0.0, 0.31, 0.0, 0.19, 0.31, 0.0, 0.0];
const BFP3: [f64; 7] = [0.0, 2.00, 0.0, 1.79, 2.00, 0.0, 0.0];

/// Effective earth radius for the effective distance, m.
const A_9000_M: f64 = 9000e3;

/// Terms of the variability that depend only on frequency, climate, mode of variability and
/// the requested percentages; computed once per radio setup.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct VariabilityTerms {
    wn: f64,
    /// Frequency part of the effective distance, m.
    d_ex_f: f64,
    c: usize,
    /// Mode of variability without the +10/+20 flags.
    m: i32,
    plus10: bool,
    plus20: bool,
    z_t: f64,
    z_l: f64,
    z_s: f64,
    g_minus: f64,
    g_plus: f64,
    extreme: bool,
}

impl VariabilityTerms {
    /// `climate` must be 1–7 and `mode` a valid mdvar (both checked by the caller).
    pub(super) fn new(
        (time, location, situation): (f64, f64, f64),
        f_mhz: f64,
        climate: i32,
        mode: i32,
    ) -> Self {
        let c = (climate.clamp(1, 7) - 1) as usize;
        let wn = f_mhz / 47.7;
        let mut m = mode;
        let plus20 = m >= 20;
        if plus20 {
            m -= 20;
        }
        let plus10 = m >= 10;
        if plus10 {
            m -= 10;
        }
        // The modes that tie the time or location deviate to another take that one's value;
        // the deviates a mode replaces are not computed.
        let z_s = inverse_ccdf(situation / 100.0);
        let (z_t, z_l) = if m == mdvar::SINGLE_MESSAGE {
            (z_s, z_s)
        } else if m == mdvar::ACCIDENTAL {
            (inverse_ccdf(time / 100.0), z_s)
        } else if m == mdvar::MOBILE {
            let z_t = inverse_ccdf(time / 100.0);
            (z_t, z_t)
        } else {
            (inverse_ccdf(time / 100.0), inverse_ccdf(location / 100.0))
        };
        let q = (0.133 * wn).ln();
        Self {
            wn,
            d_ex_f: (575.7e12 / wn).powf(1.0 / 3.0),
            c,
            m,
            plus10,
            plus20,
            z_t,
            z_l,
            z_s,
            g_minus: BFM1[c] + BFM2[c] / ((BFM3[c] * q) * (BFM3[c] * q) + 1.0),
            g_plus: BFP1[c] + BFP2[c] / ((BFP3[c] * q) * (BFP3[c] * q) + 1.0),
            extreme: z_t.abs() > 3.10 || z_l.abs() > 3.10 || z_s.abs() > 3.10,
        }
    }
}

/// Loss relative to free space (dB) not exceeded for the percentages of `t`.
pub(super) fn variability(
    t: &VariabilityTerms,
    path: &PreparedPath,
    a_ref_db: f64,
    warnings: &mut ItmWarnings,
) -> f64 {
    let c = t.c;
    let wn = t.wn;
    let h_e = path.h_e_m;
    let d = path.d_m;
    let (z_t, z_l, z_s) = (t.z_t, t.z_l, t.z_s);

    let d_ex = (2.0 * A_9000_M * h_e[0]).sqrt() + (2.0 * A_9000_M * h_e[1]).sqrt() + t.d_ex_f;
    let d_e = if d < d_ex {
        130e3 * d / d_ex
    } else {
        130e3 + d - d_ex
    };
    let sigma_s = if t.plus20 {
        0.0
    } else {
        5.0 + 3.0 * (-d_e / 100e3).exp()
    };
    let v_med = curve(
        ALL_YEAR[0][c],
        ALL_YEAR[1][c],
        ALL_YEAR[2][c],
        ALL_YEAR[3][c],
        ALL_YEAR[4][c],
        d_e,
    );
    if t.extreme {
        warnings.set(ItmWarnings::EXTREME_VARIABILITIES);
    }

    let sigma_l = if t.plus10 {
        0.0
    } else {
        let dh_d = path.delta_h_m * (1.0 - 0.8 * (-d / 50e3).exp());
        10.0 * wn * dh_d / (wn * dh_d + 13.0)
    };
    let y_l = sigma_l * z_l;

    let sigma_t_minus = curve(BSM1[c], BSM2[c], XSM1[c], XSM2[c], XSM3[c], d_e) * t.g_minus;
    let sigma_t_plus = curve(BSP1[c], BSP2[c], XSP1[c], XSP2[c], XSP3[c], d_e) * t.g_plus;
    let sigma_td = C_D[c] * sigma_t_plus;
    let tgtd = (sigma_t_plus - sigma_td) * Z_D[c];
    let sigma_t = if z_t < 0.0 {
        sigma_t_minus
    } else if z_t <= Z_D[c] {
        sigma_t_plus
    } else {
        sigma_td + tgtd / z_t
    };
    let y_t = sigma_t * z_t;

    let zs2 = z_s * z_s;
    let y_s_temp = sigma_s * sigma_s + y_t * y_t / (7.8 + zs2) + y_l * y_l / (24.0 + zs2);
    let m = t.m;
    let (y_r, y_s) = if m == mdvar::SINGLE_MESSAGE {
        (
            0.0,
            (sigma_t * sigma_t + sigma_l * sigma_l + y_s_temp).sqrt() * z_s,
        )
    } else if m == mdvar::ACCIDENTAL {
        (y_t, (sigma_l * sigma_l + y_s_temp).sqrt() * z_s)
    } else if m == mdvar::MOBILE {
        (
            (sigma_t * sigma_t + sigma_l * sigma_l).sqrt() * z_t,
            y_s_temp.sqrt() * z_s,
        )
    } else {
        (y_t + y_l, y_s_temp.sqrt() * z_s)
    };

    let mut result = a_ref_db - v_med - y_r - y_s;
    if result < 0.0 {
        result = result * (29.0 - result) / (29.0 - 10.0 * result);
    }
    result
}
