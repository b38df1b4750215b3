//! Line of sight, Fresnel clearance, link budget and rain fading: reference cases and properties.
//!
//! Reference data live in `fixtures/radio-itu/` (provenance in its README): real SRTM3 profiles
//! near Almaty with verdicts from an independent exact-geometry calculation, and the ITU-R
//! Study Group 3 validation examples for P.838-3.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::PathBuf;

use auyl_radio::budget::{
    self, LinkBudgetInput, MicrowaveHopInput, MultipathSite, dbm_to_milliwatts, dbm_to_watts,
    link_budget, watts_to_dbm,
};
use auyl_radio::los::{
    self, F1_CLEARANCE_TARGET, LosParams, Profile, SolvedEnd, analyze, earth_bulge_m,
    fresnel_radius_m, path_points, required_equal_heights, required_rx_height, required_tx_height,
};
use auyl_radio::rain::{
    self, MultipathInput, P530_PERCENT_RANGE, Polarization, RainFadeInput, attenuation_exceeded_db,
    multipath_fade, p838_coefficients, percent_time_exceeded, rain_fade,
};
use proptest::prelude::*;
use serde::Deserialize;

fn fixture(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/radio-itu")
        .join(name);
    assert!(path.exists(), "missing fixture {}", path.display());
    path
}

// ---------------------------------------------------------------------------------------------
// Textbook numbers
// ---------------------------------------------------------------------------------------------

#[test]
fn textbook_fresnel_radius_10km_6ghz_midpoint() {
    // Classic planning figure: F1 at the middle of a 10 km hop at 6 GHz is about 11.2 m.
    let f1 = fresnel_radius_m(5_000.0, 5_000.0, 6_000.0);
    assert!((f1 - 11.2).abs() < 0.05, "F1 = {f1}");
}

#[test]
fn textbook_earth_bulge_50km_k43_midpoint() {
    // Classic planning figure: the 4/3-earth bulge at the middle of a 50 km hop is about 36.8 m.
    let b = earth_bulge_m(25_000.0, 25_000.0, los::K_STANDARD);
    assert!((b - 36.8).abs() < 0.05, "bulge = {b}");
    // Sub-refractive k = 2/3 doubles it; a flat earth has none.
    let b23 = earth_bulge_m(25_000.0, 25_000.0, 2.0 / 3.0);
    assert!((b23 - 2.0 * b).abs() < 1e-9);
    assert_eq!(earth_bulge_m(25_000.0, 25_000.0, f64::INFINITY), 0.0);
}

#[test]
fn knife_edge_loss_textbook_values() {
    // Grazing incidence costs about 6 dB; an edge well below the ray costs nothing.
    assert!((los::knife_edge_loss_db(0.0) - 6.0).abs() < 0.1);
    assert_eq!(los::knife_edge_loss_db(-1.0), 0.0);
    let mut prev = 0.0;
    for i in -7..=30 {
        let j = los::knife_edge_loss_db(f64::from(i) / 10.0);
        assert!(j >= prev);
        prev = j;
    }
}

#[test]
fn report_bundles_analysis_and_heights() {
    let link = &almaty_links()[2];
    let r = los::report(&link.profile(), &link.params(), true).unwrap();
    assert_eq!(r.points.len(), link.elevations_m.len());
    assert_eq!(r.analysis.line_of_sight, link.expected.line_of_sight);
    let w = r.analysis.worst.unwrap();
    // A blocked worst point: ν > 0 and more than the 6 dB of grazing incidence.
    assert!(w.diffraction_v > 0.0 && w.knife_edge_loss_db > 6.0);
    assert_eq!(r.required_equal_heights_60.solved, SolvedEnd::Both);
    let json = serde_json::to_string(&r).unwrap();
    // serde_json parses floats to within an ulp or so (no `float_roundtrip` feature).
    let back: los::LosReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back.points.len(), r.points.len());
    let bw = back.analysis.worst.unwrap();
    assert_eq!(bw.index, w.index);
    assert!((bw.clearance_m - w.clearance_m).abs() < 1e-9);
    assert!((back.required_rx_height_60.height_m - r.required_rx_height_60.height_m).abs() < 1e-9);
}

#[test]
fn flat_ground_flat_earth_clearance_is_antenna_height() {
    let profile = Profile::new(100.0, vec![500.0; 101]).unwrap();
    let params = LosParams {
        k_factor: f64::INFINITY,
        ..LosParams::new(10.0, 10.0, 6_000.0)
    };
    let a = analyze(&profile, &params).unwrap();
    assert!(a.line_of_sight);
    let worst = a.worst.unwrap();
    // Clearance is 10 m everywhere; the F1 radius is largest at the middle.
    assert_eq!(worst.index, 50);
    assert!((worst.clearance_m - 10.0).abs() < 1e-9);
    assert!((worst.fresnel_radius_m - fresnel_radius_m(5_000.0, 5_000.0, 6_000.0)).abs() < 1e-9);
    for p in path_points(&profile, &params).unwrap() {
        assert!((p.clearance_m - 10.0).abs() < 1e-9);
        assert_eq!(p.earth_bulge_m, 0.0);
    }
}

#[test]
fn curvature_blocks_long_low_hop() {
    // 50 km over a flat 0 m plain, 4/3 earth, 30 m masts: the mid-path bulge (36.8 m) exceeds
    // the ray height (30 m), so the ray is blocked although the ground is flat.
    let profile = Profile::from_length(50_000.0, vec![0.0; 501]).unwrap();
    let a = analyze(&profile, &LosParams::new(30.0, 30.0, 7_000.0)).unwrap();
    assert!(!a.line_of_sight);
    let w = a.lowest_clearance.unwrap();
    assert_eq!(w.index, 250);
    assert!(
        (w.clearance_m - (30.0 - earth_bulge_m(25_000.0, 25_000.0, los::K_STANDARD))).abs() < 1e-9
    );
    // Equal masts of bulge + 0.6·F1 at mid-path are exactly enough.
    let need = required_equal_heights(&profile, &LosParams::new(0.0, 0.0, 7_000.0), 0.6).unwrap();
    assert_eq!(need.controlling_index, Some(250));
    let expect = earth_bulge_m(25_000.0, 25_000.0, los::K_STANDARD)
        + 0.6 * fresnel_radius_m(25_000.0, 25_000.0, 7_000.0);
    assert!(
        (need.height_m - expect).abs() < 1e-9,
        "{} vs {expect}",
        need.height_m
    );
}

#[test]
fn clutter_is_added_to_interior_points_only() {
    let profile = Profile::new(50.0, vec![100.0; 21]).unwrap();
    let params = LosParams {
        clutter_height_m: 15.0,
        k_factor: f64::INFINITY,
        ..LosParams::new(10.0, 10.0, 2_400.0)
    };
    let pts = path_points(&profile, &params).unwrap();
    assert_eq!(pts[0].clutter_m, 0.0);
    assert_eq!(pts[20].clutter_m, 0.0);
    assert!(
        pts[1..20]
            .iter()
            .all(|p| p.clutter_m == 15.0 && p.clearance_m == -5.0)
    );
    assert!(!analyze(&profile, &params).unwrap().line_of_sight);
}

#[test]
fn invalid_inputs_are_typed_errors() {
    assert!(matches!(
        Profile::new(10.0, vec![1.0]),
        Err(los::LosError::TooFewPoints { n: 1 })
    ));
    assert!(matches!(
        Profile::new(0.0, vec![1.0, 2.0]),
        Err(los::LosError::InvalidSpacing { .. })
    ));
    assert!(matches!(
        Profile::new(10.0, vec![1.0, f64::NAN]),
        Err(los::LosError::InvalidElevation { index: 1, .. })
    ));
    let p = Profile::new(10.0, vec![0.0; 5]).unwrap();
    let bad_k = LosParams {
        k_factor: 0.0,
        ..LosParams::new(1.0, 1.0, 100.0)
    };
    assert!(matches!(
        analyze(&p, &bad_k),
        Err(los::LosError::InvalidKFactor { .. })
    ));
    assert!(matches!(
        analyze(&p, &LosParams::new(-1.0, 1.0, 100.0)),
        Err(los::LosError::InvalidAntennaHeight { end: "tx", .. })
    ));
    assert!(matches!(
        analyze(&p, &LosParams::new(1.0, 1.0, 0.0)),
        Err(los::LosError::InvalidFrequency { .. })
    ));
    assert!(matches!(
        link_budget(&LinkBudgetInput {
            path_loss_db: -3.0,
            ..sample_budget()
        }),
        Err(budget::BudgetError::NegativeLoss {
            field: "path_loss_db",
            ..
        })
    ));
    assert!(
        rain_fade(&RainFadeInput {
            freq_ghz: 0.5,
            path_km: 10.0,
            r001_mm_h: 25.0,
            polarization: Polarization::Horizontal
        })
        .is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// Real SRTM3 profiles near Almaty against an independent exact-geometry calculation
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct AlmatyLinks {
    links: Vec<AlmatyLink>,
}

#[derive(Deserialize)]
struct AlmatyLink {
    link_id: String,
    tx_height_m: f64,
    rx_height_m: f64,
    freq_mhz: f64,
    k_factor: f64,
    clutter_height_m: f64,
    spacing_m: f64,
    elevations_m: Vec<f64>,
    expected: Expected,
}

#[derive(Deserialize)]
struct Expected {
    line_of_sight: bool,
    fresnel_60_clear: bool,
    worst_index: usize,
    worst_clearance_m: f64,
    worst_f1_radius_m: f64,
    worst_f1_fraction: f64,
    lowest_index: usize,
    lowest_clearance_m: f64,
    blocked_points: usize,
    required_rx_height_m_60: f64,
    required_tx_height_m_60: f64,
    required_equal_heights_m_60: f64,
}

fn almaty_links() -> Vec<AlmatyLink> {
    let text = std::fs::read_to_string(fixture("almaty_los_profiles.json")).unwrap();
    let links: AlmatyLinks = serde_json::from_str(&text).unwrap();
    assert!(links.links.len() >= 4);
    links.links
}

impl AlmatyLink {
    fn profile(&self) -> Profile {
        Profile::new(self.spacing_m, self.elevations_m.clone()).unwrap()
    }

    fn params(&self) -> LosParams {
        LosParams {
            k_factor: self.k_factor,
            clutter_height_m: self.clutter_height_m,
            ..LosParams::new(self.tx_height_m, self.rx_height_m, self.freq_mhz)
        }
    }
}

/// The bulge method is the small-angle form of the exact chord geometry: on these hops
/// (≤ 58 km, ≤ 1 km height difference) the two agree to a few centimetres in clearance.
const CLEARANCE_TOL_M: f64 = 0.05;
/// Required heights scale the clearance error by up to d/d1 (far end solved from a point
/// near the other end): allow 1 % of the height or 0.2 m.
fn height_tol(h: f64) -> f64 {
    (0.01 * h).max(0.2)
}

#[test]
fn almaty_srtm_profiles_match_independent_geometry() {
    for link in almaty_links() {
        let id = &link.link_id;
        let e = &link.expected;
        let profile = link.profile();
        let params = link.params();
        let a = analyze(&profile, &params).unwrap();
        assert_eq!(a.line_of_sight, e.line_of_sight, "{id}: LoS verdict");
        assert_eq!(
            a.fresnel_60_clear, e.fresnel_60_clear,
            "{id}: 60 % F1 verdict"
        );
        assert_eq!(a.blocked_points, e.blocked_points, "{id}: blocked samples");
        let w = a.worst.unwrap();
        println!(
            "{id}: LoS {} F1-60 {} worst #{} clearance {:.4} m (independent {:.4}, diff {:+.4}) \
             F1 {:.1} %",
            a.line_of_sight,
            a.fresnel_60_clear,
            w.index,
            w.clearance_m,
            e.worst_clearance_m,
            w.clearance_m - e.worst_clearance_m,
            w.f1_clearance_percent
        );
        assert_eq!(w.index, e.worst_index, "{id}: worst point");
        assert!((w.distance_m - e.worst_index as f64 * link.spacing_m).abs() < 1e-6);
        assert!(
            (w.clearance_m - e.worst_clearance_m).abs() < CLEARANCE_TOL_M,
            "{id}: worst clearance {} vs {}",
            w.clearance_m,
            e.worst_clearance_m
        );
        assert!(
            (w.fresnel_radius_m - e.worst_f1_radius_m).abs() < 0.01,
            "{id}: F1 {} vs {}",
            w.fresnel_radius_m,
            e.worst_f1_radius_m
        );
        assert!(
            (w.clearance_f1_fraction - e.worst_f1_fraction).abs() < 0.01,
            "{id}: F1 fraction {} vs {}",
            w.clearance_f1_fraction,
            e.worst_f1_fraction
        );
        assert!((w.f1_clearance_percent - 100.0 * w.clearance_f1_fraction).abs() < 1e-9);
        let l = a.lowest_clearance.unwrap();
        assert_eq!(l.index, e.lowest_index, "{id}: lowest point");
        assert!(
            (l.clearance_m - e.lowest_clearance_m).abs() < CLEARANCE_TOL_M,
            "{id}"
        );

        let rx = required_rx_height(&profile, &params, F1_CLEARANCE_TARGET).unwrap();
        let tx = required_tx_height(&profile, &params, F1_CLEARANCE_TARGET).unwrap();
        let eq = required_equal_heights(&profile, &params, F1_CLEARANCE_TARGET).unwrap();
        for (got, want, what) in [
            (rx.height_m, e.required_rx_height_m_60, "rx"),
            (tx.height_m, e.required_tx_height_m_60, "tx"),
            (eq.height_m, e.required_equal_heights_m_60, "equal"),
        ] {
            println!("{id}: required {what} height {got:.4} m (independent {want:.4})");
            assert!(
                (got - want).abs() < height_tol(want),
                "{id}: required {what} height {got} vs independent {want}"
            );
        }
    }
}

#[test]
fn required_heights_are_exact_on_real_profiles() {
    for link in almaty_links() {
        let profile = link.profile();
        let params = link.params();
        for q in [0.0, 0.6, 1.0] {
            let rx = required_rx_height(&profile, &params, q).unwrap();
            assert_eq!(rx.solved, SolvedEnd::Rx);
            let with = LosParams {
                rx_height_m: rx.height_m,
                ..params
            };
            let worst = analyze(&profile, &with).unwrap().worst.unwrap();
            assert!(
                worst.clearance_f1_fraction >= q - 1e-9,
                "{}: q={q}",
                link.link_id
            );
            if rx.unclamped_height_m > 0.01 {
                // One centimetre lower fails: the bound is tight.
                let lower = LosParams {
                    rx_height_m: rx.height_m - 0.01,
                    ..params
                };
                let worst = analyze(&profile, &lower).unwrap().worst.unwrap();
                assert!(worst.clearance_f1_fraction < q, "{}: q={q}", link.link_id);
                assert_eq!(rx.controlling_index, Some(worst.index));
            }
            let eq = required_equal_heights(&profile, &params, q).unwrap();
            let both = LosParams {
                tx_height_m: eq.height_m,
                rx_height_m: eq.height_m,
                ..params
            };
            let worst = analyze(&profile, &both).unwrap().worst.unwrap();
            assert!(
                worst.clearance_f1_fraction >= q - 1e-9,
                "{}: q={q}",
                link.link_id
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ITU-R P.838-3 against the ITU-R SG3 validation examples
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct P838Row {
    elevation_deg: f64,
    freq_ghz: f64,
    rain_rate_mm_h: f64,
    tilt_deg: f64,
    k: f64,
    alpha: f64,
    gamma_db_per_km: f64,
}

#[test]
fn p838_matches_itu_validation_examples() {
    let mut reader = csv::Reader::from_path(fixture("p838_3_itu_validation.csv")).unwrap();
    let mut n = 0;
    for row in reader.deserialize::<P838Row>() {
        let row = row.unwrap();
        let c = p838_coefficients(row.freq_ghz, row.elevation_deg, row.tilt_deg).unwrap();
        let rel = |a: f64, b: f64| ((a - b) / b).abs();
        assert!(
            rel(c.k, row.k) < 1e-6,
            "k {} vs {} at {} GHz",
            c.k,
            row.k,
            row.freq_ghz
        );
        assert!(
            rel(c.alpha, row.alpha) < 1e-6,
            "alpha {} vs {}",
            c.alpha,
            row.alpha
        );
        let gamma = c.specific_attenuation_db_per_km(row.rain_rate_mm_h);
        assert!(
            rel(gamma, row.gamma_db_per_km) < 1e-6,
            "gamma {gamma} vs {}",
            row.gamma_db_per_km
        );
        n += 1;
    }
    assert_eq!(n, 16);
}

#[test]
fn p838_polarisation_ordering() {
    // Oblate raindrops attenuate horizontal polarisation more than vertical above a few GHz;
    // circular lies between.
    for f in [6.0, 11.0, 18.0, 23.0, 38.0, 80.0] {
        let r = 25.0;
        let h = rain::specific_attenuation_db_per_km(f, r, Polarization::Horizontal).unwrap();
        let v = rain::specific_attenuation_db_per_km(f, r, Polarization::Vertical).unwrap();
        let c = rain::specific_attenuation_db_per_km(f, r, Polarization::Circular).unwrap();
        assert!(h > v && c < h && c > v, "{f} GHz: H {h} V {v} C {c}");
    }
}

// ---------------------------------------------------------------------------------------------
// ITU-R P.530-17 rain and multipath
// ---------------------------------------------------------------------------------------------

#[test]
fn p530_power_law_is_one_at_001_percent_and_inverts_exactly() {
    for f in [2.0, 7.0, 10.0, 15.0, 23.0, 38.0, 60.0, 80.0] {
        // The law is normalised so that A(0.01 %) ≈ A0.01 (its coefficients are rounded).
        let a = attenuation_exceeded_db(10.0, f, 0.01).unwrap();
        assert!((a - 10.0).abs() < 0.1, "{f} GHz: A(0.01 %) = {a}");
        for p in [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0] {
            let ap = attenuation_exceeded_db(10.0, f, p).unwrap();
            let back = percent_time_exceeded(10.0, f, ap).unwrap();
            assert!(
                ((back.percent_time - p) / p).abs() < 1e-9,
                "{f} GHz, {p} %: {back:?}"
            );
            assert!(back.within_p530_range);
        }
        // Larger margins are exceeded less often.
        let p1 = percent_time_exceeded(10.0, f, 5.0).unwrap().percent_time;
        let p2 = percent_time_exceeded(10.0, f, 15.0).unwrap().percent_time;
        assert!(p1 > p2);
    }
    assert_eq!(
        percent_time_exceeded(10.0, 23.0, 0.0).unwrap().percent_time,
        100.0
    );
    // 99.99 % availability needs the 0.01 % attenuation as margin.
    let m = rain::required_fade_margin_db(10.0, 23.0, 99.99).unwrap();
    assert!((m - attenuation_exceeded_db(10.0, 23.0, 0.01).unwrap()).abs() < 1e-9);
    assert!(rain::required_fade_margin_db(10.0, 23.0, 100.0).is_err());
    let far = percent_time_exceeded(10.0, 23.0, 500.0).unwrap();
    assert!(far.percent_time < P530_PERCENT_RANGE.0 && !far.within_p530_range);
}

#[test]
fn p530_distance_factor_follows_the_recommendation() {
    let fade = rain_fade(&RainFadeInput {
        freq_ghz: 23.0,
        path_km: 10.0,
        r001_mm_h: 25.0,
        polarization: Polarization::Horizontal,
    })
    .unwrap();
    // Recompute P.530-17 eq. (32)–(33) by hand from the P.838 coefficients.
    let c = p838_coefficients(23.0, 0.0, 0.0).unwrap();
    let denom = 0.477 * 10f64.powf(0.633) * 25f64.powf(0.073 * c.alpha) * 23f64.powf(0.123)
        - 10.579 * (1.0 - (-0.024f64 * 10.0).exp());
    assert!((fade.distance_factor - 1.0 / denom).abs() < 1e-12);
    assert!(!fade.distance_factor_capped);
    let a001 = c.k * 25f64.powf(c.alpha) * 10.0 / denom;
    assert!((fade.attenuation_001_db - a001).abs() < 1e-9);
    // Long low-frequency hops hit the r <= 2.5 cap.
    let long = rain_fade(&RainFadeInput {
        freq_ghz: 2.0,
        path_km: 80.0,
        r001_mm_h: 5.0,
        polarization: Polarization::Vertical,
    })
    .unwrap();
    assert!(long.distance_factor_capped && long.distance_factor == 2.5);
}

fn sample_multipath() -> MultipathInput {
    MultipathInput {
        path_km: 30.0,
        freq_ghz: 8.0,
        tx_antenna_amsl_m: 700.0,
        rx_antenna_amsl_m: 650.0,
        dn1_n_per_km: -200.0,
        terrain_roughness_m: 50.0,
    }
}

#[test]
fn multipath_deep_fade_law_and_interpolation() {
    let m = sample_multipath();
    let p0 = multipath_fade(&m, 0.0).unwrap().occurrence_factor_percent;
    // P.530-17 eq. (4), (5), (7) by hand.
    let k = 10f64.powf(-4.4 - 0.0027 * -200.0) * 60f64.powf(-0.46);
    let eps: f64 = 50.0 / 30.0;
    let p0_hand = k
        * 30f64.powf(3.4)
        * (1.0 + eps).powf(-1.03)
        * 8f64.powf(0.8)
        * 10f64.powf(-0.00076 * 650.0);
    assert!(((p0 - p0_hand) / p0_hand).abs() < 1e-12);
    let a_t = 25.0 + 1.2 * p0.log10();
    // Deep fades follow p0·10^(−A/10).
    let deep = multipath_fade(&m, a_t + 10.0).unwrap().worst_month_percent;
    assert!((deep - p0 * 10f64.powf(-(a_t + 10.0) / 10.0)).abs() < 1e-12);
    // The shallow-fade interpolation joins the deep law continuously at A_t.
    let below = multipath_fade(&m, a_t - 1e-7).unwrap().worst_month_percent;
    let above = multipath_fade(&m, a_t + 1e-7).unwrap().worst_month_percent;
    assert!(((below - above) / above).abs() < 1e-3, "{below} vs {above}");
    // Monotone decreasing in fade depth (§2.3.2 gives 100·(1 − 1/e) % at 0 dB).
    let mut prev = multipath_fade(&m, 0.0).unwrap().worst_month_percent;
    assert!((prev - 100.0 * (1.0 - (-1f64).exp())).abs() < 1e-9);
    for i in 1..=60 {
        let p = multipath_fade(&m, f64::from(i))
            .unwrap()
            .worst_month_percent;
        assert!(p < prev, "not decreasing at {i} dB");
        prev = p;
    }
}

// ---------------------------------------------------------------------------------------------
// Link budget
// ---------------------------------------------------------------------------------------------

fn sample_budget() -> LinkBudgetInput {
    LinkBudgetInput {
        tx_power_dbm: 18.0,
        tx_antenna_gain_dbi: 38.0,
        tx_cable_loss_db: 1.5,
        tx_other_losses_db: 0.5,
        path_loss_db: 139.7,
        extra_path_losses_db: 1.0,
        rx_antenna_gain_dbi: 38.0,
        rx_cable_loss_db: 1.5,
        rx_other_losses_db: 0.5,
        rx_sensitivity_dbm: -72.0,
    }
}

#[test]
fn budget_arithmetic_and_units() {
    let b = link_budget(&sample_budget()).unwrap();
    assert!((b.eirp_dbm - 54.0).abs() < 1e-12);
    assert!((b.eirp_w - 251.188_643_150_958).abs() < 1e-9);
    assert!((b.rx_power_dbm - (54.0 - 139.7 - 1.0 + 38.0 - 2.0)).abs() < 1e-12);
    assert!((b.fade_margin_db - (b.rx_power_dbm + 72.0)).abs() < 1e-12);
    assert!(b.link_closes);
    assert!((dbm_to_watts(30.0) - 1.0).abs() < 1e-15);
    assert!((dbm_to_milliwatts(0.0) - 1.0).abs() < 1e-15);
    assert!((watts_to_dbm(0.001).unwrap() - 0.0).abs() < 1e-12);
    assert!((watts_to_dbm(dbm_to_watts(-97.3)).unwrap() + 97.3).abs() < 1e-9);
    assert!(watts_to_dbm(0.0).is_err());
}

#[test]
fn microwave_hop_availability_is_consistent() {
    let input = MicrowaveHopInput {
        budget: sample_budget(),
        freq_ghz: 23.0,
        path_km: 10.0,
        r001_mm_h: rain::R001_KAZAKHSTAN_DEFAULT_MM_H,
        polarization: Polarization::Vertical,
        multipath: Some(MultipathSite {
            tx_antenna_amsl_m: 700.0,
            rx_antenna_amsl_m: 650.0,
            dn1_n_per_km: -200.0,
            terrain_roughness_m: 50.0,
        }),
    };
    let r = budget::microwave_hop(&input).unwrap();
    let margin = r.budget.fade_margin_db;
    // The attenuation at the outage percentage equals the margin.
    let at = attenuation_exceeded_db(r.rain.attenuation_001_db, 23.0, r.rain_outage.percent_time)
        .unwrap();
    assert!((at - margin).abs() < 1e-9, "{at} vs {margin}");
    assert!(
        (r.rain_outage.availability_percent + r.rain_outage.percent_time - 100.0).abs() < 1e-12
    );
    assert!(r.rain_attenuation_0001_db > r.rain.attenuation_001_db);
    assert!(r.rain.attenuation_001_db > r.rain_attenuation_01_db);
    let mp = r.multipath.unwrap();
    assert_eq!(mp.fade_depth_db, margin);
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn any_k() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(4.0 / 3.0),
        Just(2.0 / 3.0),
        Just(1.0),
        Just(f64::INFINITY),
        0.3f64..5.0,
        -5.0f64..-0.3,
    ]
}

prop_compose! {
    fn any_link()(
        elevations in prop::collection::vec(-50.0f64..3000.0, 2..80),
        spacing in 1.0f64..2000.0,
        tx in 0.0f64..300.0,
        rx in 0.0f64..300.0,
        freq in 30.0f64..90_000.0,
        k in any_k(),
        clutter in 0.0f64..40.0,
    ) -> (Profile, LosParams) {
        (
            Profile::new(spacing, elevations).unwrap(),
            LosParams { k_factor: k, clutter_height_m: clutter, ..LosParams::new(tx, rx, freq) },
        )
    }
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO
}

/// Any finite value, but often a plausible one so that valid paths are exercised too.
fn wide_f64() -> impl Strategy<Value = f64> {
    prop_oneof![finite_f64(), -1.0e5f64..1.0e5, 0.0f64..100.0, Just(0.0)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn los_is_symmetric_in_its_ends((profile, params) in any_link()) {
        let fwd = analyze(&profile, &params).unwrap();
        let rev = analyze(&profile.reversed(), &params.swapped()).unwrap();
        let n = profile.elevations_m.len();
        prop_assert_eq!(fwd.line_of_sight, rev.line_of_sight);
        prop_assert_eq!(fwd.fresnel_60_clear, rev.fresnel_60_clear);
        prop_assert_eq!(fwd.blocked_points, rev.blocked_points);
        match (fwd.worst, rev.worst) {
            (None, None) => prop_assert!(n == 2),
            (Some(a), Some(b)) => {
                prop_assert_eq!(a.clearance_f1_fraction, b.clearance_f1_fraction);
                prop_assert_eq!(a.clearance_m, b.clearance_m);
                prop_assert_eq!(a.fresnel_radius_m, b.fresnel_radius_m);
                // Ties may pick another sample; the mirrored sample is equally bad.
                let mirrored = path_points(&profile.reversed(), &params.swapped()).unwrap()[n - 1 - a.index];
                prop_assert_eq!(mirrored.clearance_f1_fraction, Some(a.clearance_f1_fraction));
            }
            _ => prop_assert!(false, "worst point on one side only"),
        }
        match (fwd.lowest_clearance, rev.lowest_clearance) {
            (Some(a), Some(b)) => prop_assert_eq!(a.clearance_m, b.clearance_m),
            (None, None) => {}
            _ => prop_assert!(false),
        }
        // Required heights mirror too.
        let rx = required_rx_height(&profile, &params, 0.6).unwrap();
        let tx_rev = required_tx_height(&profile.reversed(), &params.swapped(), 0.6).unwrap();
        prop_assert_eq!(rx.height_m, tx_rev.height_m);
        let eq = required_equal_heights(&profile, &params, 0.6).unwrap();
        let eq_rev = required_equal_heights(&profile.reversed(), &params.swapped(), 0.6).unwrap();
        prop_assert_eq!(eq.height_m, eq_rev.height_m);
    }

    #[test]
    fn required_heights_reach_the_target((profile, params) in any_link(), q in 0.0f64..1.5) {
        let rx = required_rx_height(&profile, &params, q).unwrap();
        let tx = required_tx_height(&profile, &params, q).unwrap();
        let eq = required_equal_heights(&profile, &params, q).unwrap();
        prop_assume!(rx.height_m <= 1.0e5 && tx.height_m <= 1.0e5);
        for p in [
            LosParams { rx_height_m: rx.height_m, ..params },
            LosParams { tx_height_m: tx.height_m, ..params },
            LosParams { tx_height_m: eq.height_m, rx_height_m: eq.height_m, ..params },
        ] {
            if let Some(w) = analyze(&profile, &p).unwrap().worst {
                // Relative rounding of the ray height (up to ~1e5 m) bounds the error.
                let tol = 1e-9 * (1.0 + p.tx_height_m + p.rx_height_m + 3000.0) / w.fresnel_radius_m.max(1e-3);
                prop_assert!(w.clearance_f1_fraction >= q - tol, "{} < {q}", w.clearance_f1_fraction);
            }
        }
    }

    #[test]
    fn los_never_nan_or_panics(
        elevations in prop::collection::vec(wide_f64(), 0..20),
        spacing in wide_f64(),
        tx in wide_f64(), rx in wide_f64(), freq in wide_f64(),
        k in wide_f64(), clutter in wide_f64(), q in wide_f64(),
    ) {
        let params = LosParams { k_factor: k, clutter_height_m: clutter, ..LosParams::new(tx, rx, freq) };
        let profile = Profile { spacing_m: spacing, elevations_m: elevations };
        if let Ok(a) = analyze(&profile, &params) {
            let json = serde_json::to_string(&a).unwrap();
            prop_assert!(!json.contains("null") || a.worst.is_none(), "{json}");
            if let Some(w) = a.worst {
                for v in [w.clearance_m, w.fresnel_radius_m, w.clearance_f1_fraction, w.obstacle_m, w.ray_m] {
                    prop_assert!(v.is_finite(), "{json}");
                }
            }
        }
        if let Ok(points) = path_points(&profile, &params) {
            for p in points {
                prop_assert!(p.clearance_m.is_finite() && p.fresnel_radius_m.is_finite());
            }
        }
        for r in [
            required_rx_height(&profile, &params, q),
            required_tx_height(&profile, &params, q),
            required_equal_heights(&profile, &params, q),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(r.height_m.is_finite() && r.height_m >= 0.0);
        }
    }

    #[test]
    fn received_power_decreases_with_path_loss(l1 in 0.0f64..400.0, extra in 1e-6f64..100.0) {
        let a = link_budget(&LinkBudgetInput { path_loss_db: l1, ..sample_budget() }).unwrap();
        let b = link_budget(&LinkBudgetInput { path_loss_db: l1 + extra, ..sample_budget() }).unwrap();
        prop_assert!(b.rx_power_dbm < a.rx_power_dbm);
        prop_assert!(b.rx_power_w < a.rx_power_w);
        prop_assert!(b.fade_margin_db < a.fade_margin_db);
    }

    #[test]
    fn budget_never_nan(
        p in wide_f64(), g1 in wide_f64(), l1 in wide_f64(), pl in wide_f64(),
        g2 in wide_f64(), l2 in wide_f64(), s in wide_f64(),
    ) {
        let input = LinkBudgetInput {
            tx_power_dbm: p, tx_antenna_gain_dbi: g1, tx_cable_loss_db: l1, tx_other_losses_db: 0.0,
            path_loss_db: pl, extra_path_losses_db: 0.0, rx_antenna_gain_dbi: g2,
            rx_cable_loss_db: l2, rx_other_losses_db: 0.0, rx_sensitivity_dbm: s,
        };
        if let Ok(b) = link_budget(&input) {
            for v in [b.eirp_dbm, b.eirp_w, b.rx_power_dbm, b.rx_power_w, b.fade_margin_db] {
                prop_assert!(v.is_finite());
            }
        }
    }

    // P.530-17's distance factor makes A0.01 non-monotone on long hops (see rain.rs); on hops
    // up to 25 km it increases with rain rate for every frequency and rain rate.
    #[test]
    fn rain_attenuation_increases_with_rain_rate(
        f in 1.0f64..100.0, d in 0.1f64..25.0, r in 1.0f64..200.0, dr in 0.01f64..50.0,
        pol in prop_oneof![Just(Polarization::Horizontal), Just(Polarization::Vertical), Just(Polarization::Circular)],
    ) {
        let a = |rate: f64| rain_fade(&RainFadeInput { freq_ghz: f, path_km: d, r001_mm_h: rate, polarization: pol })
            .unwrap().attenuation_001_db;
        prop_assert!(a(r + dr) > a(r), "f {f} d {d} r {r}");
    }

    #[test]
    fn rain_attenuation_increases_with_path_length(
        f in 1.0f64..100.0, d in 0.1f64..35.0, dd in 0.01f64..5.0, r in 1.0f64..200.0,
    ) {
        let a = |km: f64| rain_fade(&RainFadeInput { freq_ghz: f, path_km: km, r001_mm_h: r, polarization: Polarization::Horizontal })
            .unwrap().attenuation_001_db;
        prop_assert!(a(d + dd) > a(d), "f {f} d {d} r {r}");
    }

    #[test]
    fn rain_never_nan(
        f in wide_f64(), d in wide_f64(), r in wide_f64(), margin in wide_f64(),
        p in wide_f64(), tilt in wide_f64(), dn1 in wide_f64(), sa in wide_f64(),
        he in wide_f64(), hr in wide_f64(),
    ) {
        let pol = Polarization::Tilted { tilt_deg: tilt };
        if let Ok(fade) = rain_fade(&RainFadeInput { freq_ghz: f, path_km: d, r001_mm_h: r, polarization: pol }) {
            prop_assert!(fade.attenuation_001_db.is_finite() && fade.attenuation_001_db >= 0.0);
            if let Ok(o) = percent_time_exceeded(fade.attenuation_001_db, f, margin) {
                prop_assert!(o.percent_time.is_finite() && (0.0..=100.0).contains(&o.percent_time));
            }
            if let Ok(a) = attenuation_exceeded_db(fade.attenuation_001_db, f, p) {
                prop_assert!(a.is_finite());
            }
        }
        let m = MultipathInput { path_km: d, freq_ghz: f, tx_antenna_amsl_m: he, rx_antenna_amsl_m: hr,
            dn1_n_per_km: dn1, terrain_roughness_m: sa };
        if let Ok(mp) = multipath_fade(&m, margin) {
            prop_assert!(mp.worst_month_percent.is_finite() && (0.0..=100.0).contains(&mp.worst_month_percent));
        }
    }

    #[test]
    fn multipath_never_nan_on_plausible_inputs(
        d in 0.5f64..300.0, f in 1.0f64..100.0, he in 0.0f64..5000.0, hr in 0.0f64..5000.0,
        dn1 in -1000.0f64..0.0, sa in 0.0f64..1000.0, a in 0.0f64..100.0,
    ) {
        let m = MultipathInput { path_km: d, freq_ghz: f, tx_antenna_amsl_m: he, rx_antenna_amsl_m: hr,
            dn1_n_per_km: dn1, terrain_roughness_m: sa };
        let mp = multipath_fade(&m, a).unwrap();
        prop_assert!(mp.worst_month_percent.is_finite() && (0.0..=100.0).contains(&mp.worst_month_percent));
    }
}
