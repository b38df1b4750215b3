//! Free-space and Okumura-Hata / COST-231-Hata against the reference tables in `fixtures/radio/`,
//! and property tests: free-space loss grows with distance and frequency; ITM never panics nor
//! returns a non-finite loss on finite inputs (invalid inputs give an error code instead).
#![allow(non_snake_case, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use auyl_radio::free_space::{free_space_loss_db, free_space_loss_p525_db, itm_free_space_loss_db};
use auyl_radio::hata::{
    Cost231Environment, HataEnvironment, cost231_hata_loss_db, cost231_in_validity_range,
    hata_in_validity_range, hata_loss_db,
};
use auyl_radio::itm::{
    AreaPath, ItmParams, PathKind, PreparedPath, Profile, Variability, area, evaluate, p2p,
};
use proptest::prelude::*;
use serde::Deserialize;

fn read_csv<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/radio")
        .join(name);
    let mut rdr = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    rdr.deserialize().map(|r| r.unwrap()).collect()
}

#[derive(Deserialize)]
struct FreeSpaceRow {
    f__mhz: f64,
    d__km: f64,
    L_bf_exact__db: f64,
    L_bf_p525_32p4__db: f64,
    L_bf_itm_32p45__db: f64,
}

#[test]
fn free_space_matches_reference_table() {
    let rows: Vec<FreeSpaceRow> = read_csv("free_space_reference.csv");
    assert_eq!(rows.len(), 130);
    let mut max_diff: f64 = 0.0;
    for r in &rows {
        let d_m = r.d__km * 1000.0;
        for (got, want) in [
            (free_space_loss_db(d_m, r.f__mhz), r.L_bf_exact__db),
            (free_space_loss_p525_db(d_m, r.f__mhz), r.L_bf_p525_32p4__db),
            (itm_free_space_loss_db(d_m, r.f__mhz), r.L_bf_itm_32p45__db),
        ] {
            let d = (got - want).abs();
            max_diff = max_diff.max(d);
            assert!(
                d < 1e-6,
                "f {} MHz d {} km: {got} vs {want}",
                r.f__mhz,
                r.d__km
            );
        }
    }
    println!("free space: 130 rows × 3 forms, max |Δ| = {max_diff:.2e} dB");
}

#[derive(Deserialize)]
struct HataRow {
    model: String,
    environment: String,
    f__mhz: f64,
    h_b__meter: f64,
    h_m__meter: f64,
    d__km: f64,
    L_b__db: f64,
    in_validity_range: u8,
}

#[test]
fn hata_and_cost231_match_reference_table() {
    let rows: Vec<HataRow> = read_csv("hata_cost231_reference.csv");
    assert_eq!(rows.len(), 1384);
    let mut max_diff: f64 = 0.0;
    for r in &rows {
        let d_m = r.d__km * 1000.0;
        let (got, valid) = match r.model.as_str() {
            "hata" => {
                let env = match r.environment.as_str() {
                    "urban_small_medium_city" => HataEnvironment::UrbanSmallMediumCity,
                    "urban_large_city" => HataEnvironment::UrbanLargeCity,
                    "suburban" => HataEnvironment::Suburban,
                    "open" => HataEnvironment::Open,
                    other => panic!("unknown Hata environment {other}"),
                };
                (
                    hata_loss_db(env, r.f__mhz, r.h_b__meter, r.h_m__meter, d_m),
                    hata_in_validity_range(r.f__mhz, r.h_b__meter, r.h_m__meter, d_m),
                )
            }
            "cost231_hata" => {
                let env = match r.environment.as_str() {
                    "medium_city_suburban" => Cost231Environment::MediumCitySuburban,
                    "metropolitan_centre" => Cost231Environment::MetropolitanCentre,
                    other => panic!("unknown COST-231 environment {other}"),
                };
                (
                    cost231_hata_loss_db(env, r.f__mhz, r.h_b__meter, r.h_m__meter, d_m),
                    cost231_in_validity_range(r.f__mhz, r.h_b__meter, r.h_m__meter, d_m),
                )
            }
            other => panic!("unknown model {other}"),
        };
        let d = (got - r.L_b__db).abs();
        max_diff = max_diff.max(d);
        assert!(
            d < 1e-6,
            "{} {} f {} hb {} hm {} d {}: {got} vs {}",
            r.model,
            r.environment,
            r.f__mhz,
            r.h_b__meter,
            r.h_m__meter,
            r.d__km,
            r.L_b__db
        );
        assert_eq!(
            valid,
            r.in_validity_range == 1,
            "validity of {} {} f {} d {}",
            r.model,
            r.environment,
            r.f__mhz,
            r.d__km
        );
    }
    println!("Hata/COST-231: 1384 rows, max |Δ| = {max_diff:.2e} dB");
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn free_space_grows_with_distance(
        d_m in 1.0f64..1e7, k in 1.0001f64..100.0, f in 1.0f64..1e5,
    ) {
        prop_assert!(free_space_loss_db(d_m * k, f) > free_space_loss_db(d_m, f));
        prop_assert!(itm_free_space_loss_db(d_m * k, f) > itm_free_space_loss_db(d_m, f));
    }

    #[test]
    fn free_space_grows_with_frequency(
        d_m in 1.0f64..1e7, k in 1.0001f64..100.0, f in 1.0f64..1e5,
    ) {
        prop_assert!(free_space_loss_db(d_m, f * k) > free_space_loss_db(d_m, f));
        prop_assert!(free_space_loss_p525_db(d_m, f * k) > free_space_loss_p525_db(d_m, f));
    }

    #[test]
    fn itm_p2p_is_finite_or_an_error(
        elevations in prop::collection::vec(-500.0f64..9000.0, 0..300),
        resolution_m in prop_oneof![Just(0.0), 1e-3f64..5000.0, Just(-30.0)],
        h_tx in -10.0f64..4000.0,
        h_rx in -10.0f64..4000.0,
        climate in -1i32..9,
        n_0 in 200.0f64..450.0,
        f in 1.0f64..30000.0,
        pol in -1i32..3,
        epsilon in 0.0f64..100.0,
        sigma in -1.0f64..10.0,
        mdvar in -1i32..35,
        p in prop::array::uniform3(-10.0f64..110.0),
        cr in any::<bool>(),
    ) {
        let params = ItmParams { climate, n_0, freq_mhz: f, pol, epsilon, sigma, mdvar };
        let var = if cr {
            Variability::Cr { confidence_pct: p[0], reliability_pct: p[1] }
        } else {
            Variability::Tls { time_pct: p[0], location_pct: p[1], situation_pct: p[2] }
        };
        let profile = Profile { resolution_m, elevations_m: &elevations };
        match p2p(profile, h_tx, h_rx, &params, var) {
            Ok(out) => {
                prop_assert!(out.a_db.is_finite());
                prop_assert!(out.intermediate.a_ref_db.is_finite());
                prop_assert!(out.rc() == 0 || out.rc() == 1);
            }
            Err(e) => prop_assert!(e.code().rc() >= 1000),
        }
    }

    /// Inputs inside ITM's input domain, so that the model itself (not the validation) runs.
    #[test]
    fn itm_p2p_in_domain_is_finite(
        elevations in prop::collection::vec(-400.0f64..8000.0, 2..400),
        resolution_m in 1.0f64..3000.0,
        h in prop::array::uniform2(0.5f64..3000.0),
        climate in 1i32..=7,
        n_0 in 250.0f64..=400.0,
        f in 20.0f64..=20000.0,
        pol in 0i32..=1,
        epsilon in 1.0f64..100.0,
        sigma in 1e-5f64..10.0,
        mdvar in prop::sample::select(vec![0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33]),
        p in prop::array::uniform3(0.01f64..99.99),
    ) {
        let params = ItmParams { climate, n_0, freq_mhz: f, pol, epsilon, sigma, mdvar };
        let var = Variability::Tls { time_pct: p[0], location_pct: p[1], situation_pct: p[2] };
        let profile = Profile { resolution_m, elevations_m: &elevations };
        match p2p(profile, h[0], h[1], &params, var) {
            Ok(out) => prop_assert!(out.a_db.is_finite()),
            // Only the model's own checks (N_s, earth radius, ground) or the non-finite guard.
            Err(e) => prop_assert!(e.code().rc() >= 1013, "{e}"),
        }
    }

    /// `PreparedPath` has public fields: any finite geometry must give a finite loss or an
    /// error, never a panic.
    #[test]
    fn itm_evaluate_on_arbitrary_geometry_never_panics(
        d_m in -1e3f64..3e6,
        theta in prop::array::uniform2(-1.0f64..1.0),
        d_hzn in prop::array::uniform2(-1e3f64..1e6),
        h_e in prop::array::uniform2(-10.0f64..5000.0),
        delta_h in -10.0f64..2000.0,
        n_s in 100.0f64..450.0,
        gamma_e in 1e-8f64..3e-7,
        area_mode in any::<bool>(),
        f in 20.0f64..20000.0,
    ) {
        let path = PreparedPath {
            kind: if area_mode { PathKind::Area } else { PathKind::PointToPoint },
            h_m: [30.0, 10.0],
            d_m,
            theta_hzn_rad: theta,
            d_hzn_m: d_hzn,
            h_e_m: h_e,
            delta_h_m: delta_h,
            n_0: 301.0,
            n_s,
            gamma_e,
        };
        let params = ItmParams { climate: 5, n_0: 301.0, freq_mhz: f, pol: 1, epsilon: 15.0, sigma: 0.005, mdvar: 1 };
        let var = Variability::Tls { time_pct: 50.0, location_pct: 50.0, situation_pct: 50.0 };
        match evaluate(&path, &params, var) {
            Ok(out) => prop_assert!(out.a_db.is_finite()),
            Err(e) => prop_assert!(e.code().rc() >= 1000),
        }
    }

    #[test]
    fn itm_area_is_finite_or_an_error(
        d_km in -1.0f64..3000.0,
        delta_h in -10.0f64..2000.0,
        siting in prop::array::uniform2(-1i32..4),
        h in prop::array::uniform2(-1.0f64..4000.0),
        n_0 in 200.0f64..450.0,
        f in 1.0f64..30000.0,
        climate in 0i32..9,
        p in prop::array::uniform2(-10.0f64..110.0),
    ) {
        let params = ItmParams { climate, n_0, freq_mhz: f, pol: 1, epsilon: 15.0, sigma: 0.005, mdvar: 1 };
        let path = AreaPath { d_km, delta_h_m: delta_h, tx_siting: siting[0], rx_siting: siting[1] };
        let var = Variability::Cr { confidence_pct: p[0], reliability_pct: p[1] };
        match area(&path, h[0], h[1], &params, var) {
            Ok(out) => prop_assert!(out.a_db.is_finite()),
            Err(e) => prop_assert!(e.code().rc() >= 1000),
        }
    }
}
