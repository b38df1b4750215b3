//! ITM against the NTIA reference vectors in `fixtures/radio/` (vendored from `../shared/radio`):
//! every point-to-point and area case must give the same return code, warning flags and
//! propagation mode, and the loss within 0.05 dB. Intermediate values are checked too.
#![allow(non_snake_case, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::PathBuf;

use auyl_radio::itm::{
    AreaPath, ItmCase, ItmParams, ItmProfile, ItmResult, Variability, area, itm_batch,
};
use serde::Deserialize;

const TOL_DB: f64 = 0.05;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/radio")
}

fn profiles() -> HashMap<String, ItmProfile> {
    let path = fixtures().join("itm_profiles.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let p: ItmProfile = serde_json::from_str(l).unwrap();
            assert_eq!(
                p.elevations_m.len(),
                serde_json::from_str::<serde_json::Value>(l).unwrap()["n_points"]
                    .as_u64()
                    .unwrap() as usize
            );
            (p.profile_id.clone(), p)
        })
        .collect()
}

fn read_csv<T: for<'de> Deserialize<'de>>(name: &str) -> Vec<T> {
    let path = fixtures().join(name);
    let mut rdr = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    rdr.deserialize().map(|r| r.unwrap()).collect()
}

/// Relative-or-absolute closeness for intermediate values.
fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1.0)
}

struct Tally {
    failures: Vec<String>,
    max_diff_db: f64,
    within_1e6: usize,
    total: usize,
}

impl Tally {
    fn new() -> Self {
        Self {
            failures: Vec::new(),
            max_diff_db: 0.0,
            within_1e6: 0,
            total: 0,
        }
    }

    /// Compares the common output columns; `got` and `want` use the p2p result layout.
    fn check(&mut self, got: &ItmResult, want: &ItmResult) {
        self.total += 1;
        let id = &want.case_id;
        let mut bad = Vec::new();
        if got.rc != want.rc {
            bad.push(format!("rc {} != {}", got.rc, want.rc));
        }
        if got.warnings != want.warnings {
            bad.push(format!(
                "warnings {} != {}",
                got.warnings_hex, want.warnings_hex
            ));
        }
        if got.prop_mode != want.prop_mode {
            bad.push(format!(
                "prop_mode {:?} != {:?}",
                got.prop_mode, want.prop_mode
            ));
        }
        match (got.A__db, want.A__db) {
            (Some(g), Some(w)) => {
                let d = (g - w).abs();
                self.max_diff_db = self.max_diff_db.max(d);
                if d <= 1e-6 {
                    self.within_1e6 += 1;
                }
                if d.is_nan() || d > TOL_DB {
                    bad.push(format!("A__db {g} != {w} (diff {d:.4})"));
                }
            }
            (None, None) => self.within_1e6 += 1,
            (g, w) => bad.push(format!("A__db {g:?} != {w:?}")),
        }
        let pairs = [
            ("A_fs__db", got.A_fs__db, want.A_fs__db),
            ("A_ref__db", got.A_ref__db, want.A_ref__db),
            ("d__km", got.d__km, want.d__km),
            ("theta_hzn_tx", got.theta_hzn_tx, want.theta_hzn_tx),
            ("theta_hzn_rx", got.theta_hzn_rx, want.theta_hzn_rx),
            ("d_hzn_tx__meter", got.d_hzn_tx__meter, want.d_hzn_tx__meter),
            ("d_hzn_rx__meter", got.d_hzn_rx__meter, want.d_hzn_rx__meter),
            ("h_e_tx__meter", got.h_e_tx__meter, want.h_e_tx__meter),
            ("h_e_rx__meter", got.h_e_rx__meter, want.h_e_rx__meter),
            ("N_s", got.N_s, want.N_s),
            ("delta_h__meter", got.delta_h__meter, want.delta_h__meter),
        ];
        for (name, g, w) in pairs {
            match (g, w) {
                (Some(g), Some(w)) if !close(g, w, 1e-6) => {
                    bad.push(format!("{name} {g} != {w}"));
                }
                (Some(_), None) | (None, Some(_)) => bad.push(format!("{name} {g:?} != {w:?}")),
                _ => {}
            }
        }
        if !bad.is_empty() {
            self.failures.push(format!("{id}: {}", bad.join("; ")));
        }
    }

    fn finish(self, what: &str) {
        let passed = self.total - self.failures.len();
        println!(
            "{what}: {passed}/{} cases pass (rc, warnings, mode, loss within {TOL_DB} dB, \
             intermediates within 1e-6); {} within 1e-6 dB; max |ΔA| = {:.3e} dB",
            self.total, self.within_1e6, self.max_diff_db
        );
        for f in &self.failures {
            println!("  FAIL {f}");
        }
        assert!(
            self.failures.is_empty(),
            "{what}: {} of {} cases fail",
            self.failures.len(),
            self.total
        );
    }
}

#[test]
fn point_to_point_vectors_match_ntia() {
    let profiles = profiles();
    assert_eq!(
        profiles.len(),
        61,
        "itm_profiles.jsonl should hold 61 profiles"
    );
    let cases: Vec<ItmCase> = read_csv("itm_p2p_vectors.csv");
    let expected: Vec<ItmResult> = read_csv("itm_p2p_vectors.csv");
    assert_eq!(cases.len(), 493);
    let results = itm_batch(&cases, &profiles);
    let mut tally = Tally::new();
    for (got, want) in results.iter().zip(&expected) {
        assert_eq!(got.case_id, want.case_id);
        tally.check(got, want);
    }
    tally.finish("ITM point-to-point");
}

#[derive(Debug, Deserialize)]
struct AreaCase {
    case_id: String,
    variability: String,
    h_tx__meter: f64,
    h_rx__meter: f64,
    tx_siting_criteria: i32,
    rx_siting_criteria: i32,
    d__km: f64,
    delta_h__meter: f64,
    climate: i32,
    N_0: f64,
    f__mhz: f64,
    pol: i32,
    epsilon: f64,
    sigma: f64,
    mdvar: i32,
    time: Option<f64>,
    location: Option<f64>,
    situation: Option<f64>,
    confidence: Option<f64>,
    reliability: Option<f64>,
    rc: i32,
    warnings: u32,
    warnings_hex: String,
    A__db: Option<f64>,
    prop_mode: Option<u8>,
    A_fs__db: Option<f64>,
    A_ref__db: Option<f64>,
    theta_hzn_tx: Option<f64>,
    theta_hzn_rx: Option<f64>,
    d_hzn_tx__meter: Option<f64>,
    d_hzn_rx__meter: Option<f64>,
    h_e_tx__meter: Option<f64>,
    h_e_rx__meter: Option<f64>,
    N_s: Option<f64>,
}

fn empty_row(case_id: &str) -> ItmResult {
    ItmResult::empty(case_id, "")
}

#[test]
fn area_vectors_match_ntia() {
    let rows: Vec<AreaCase> = read_csv("itm_area_vectors.csv");
    assert_eq!(rows.len(), 224);
    let mut tally = Tally::new();
    for r in &rows {
        let var = match r.variability.as_str() {
            "TLS" => Variability::Tls {
                time_pct: r.time.unwrap(),
                location_pct: r.location.unwrap(),
                situation_pct: r.situation.unwrap(),
            },
            "CR" => Variability::Cr {
                confidence_pct: r.confidence.unwrap(),
                reliability_pct: r.reliability.unwrap(),
            },
            other => panic!("unknown variability {other}"),
        };
        let params = ItmParams {
            climate: r.climate,
            n_0: r.N_0,
            freq_mhz: r.f__mhz,
            pol: r.pol,
            epsilon: r.epsilon,
            sigma: r.sigma,
            mdvar: r.mdvar,
        };
        let path = AreaPath {
            d_km: r.d__km,
            delta_h_m: r.delta_h__meter,
            tx_siting: r.tx_siting_criteria,
            rx_siting: r.rx_siting_criteria,
        };
        let mut got = empty_row(&r.case_id);
        match area(&path, r.h_tx__meter, r.h_rx__meter, &params, var) {
            Ok(out) => {
                let i = out.intermediate;
                got.rc = out.rc();
                got.warnings = out.warnings.0;
                got.A__db = Some(out.a_db);
                got.prop_mode = Some(out.prop_mode.code());
                got.A_fs__db = Some(i.a_fs_db);
                got.A_ref__db = Some(i.a_ref_db);
                got.theta_hzn_tx = Some(i.theta_hzn_rad[0]);
                got.theta_hzn_rx = Some(i.theta_hzn_rad[1]);
                got.d_hzn_tx__meter = Some(i.d_hzn_m[0]);
                got.d_hzn_rx__meter = Some(i.d_hzn_m[1]);
                got.h_e_tx__meter = Some(i.h_e_m[0]);
                got.h_e_rx__meter = Some(i.h_e_m[1]);
                got.N_s = Some(i.n_s);
            }
            Err(e) => {
                got.rc = e.code().rc();
                got.warnings = e.warnings().0;
            }
        }
        got.warnings_hex = format!("0x{:04X}", got.warnings);
        let mut want = empty_row(&r.case_id);
        want.rc = r.rc;
        want.warnings = r.warnings;
        want.warnings_hex = r.warnings_hex.clone();
        want.A__db = r.A__db;
        want.prop_mode = r.prop_mode;
        want.A_fs__db = r.A_fs__db;
        want.A_ref__db = r.A_ref__db;
        want.theta_hzn_tx = r.theta_hzn_tx;
        want.theta_hzn_rx = r.theta_hzn_rx;
        want.d_hzn_tx__meter = r.d_hzn_tx__meter;
        want.d_hzn_rx__meter = r.d_hzn_rx__meter;
        want.h_e_tx__meter = r.h_e_tx__meter;
        want.h_e_rx__meter = r.h_e_rx__meter;
        want.N_s = r.N_s;
        tally.check(&got, &want);
    }
    tally.finish("ITM area");
}

#[test]
fn published_values_are_reproduced() {
    // Rows with a published value (NTIA examples, QKPFL) must match it within 0.05 dB too.
    #[derive(Deserialize)]
    struct Published {
        case_id: String,
        published_A__db: Option<f64>,
    }
    let profiles = profiles();
    let cases: Vec<ItmCase> = read_csv("itm_p2p_vectors.csv");
    let published: Vec<Published> = read_csv("itm_p2p_vectors.csv");
    let results = itm_batch(&cases, &profiles);
    let mut n = 0;
    for (got, p) in results.iter().zip(&published) {
        if let Some(w) = p.published_A__db {
            n += 1;
            let g = got.A__db.unwrap();
            assert!(
                (g - w).abs() <= TOL_DB,
                "{}: {g} vs published {w}",
                p.case_id
            );
        }
    }
    assert_eq!(n, 46, "46 published point-to-point cases expected");
}

#[test]
fn batch_results_write_the_reference_output_columns() {
    // The CLI writes `ItmResult` rows with a CSV writer: its header must be the reference
    // output columns and the rows must read back unchanged.
    let profiles = profiles();
    let cases: Vec<ItmCase> = read_csv("itm_p2p_vectors.csv");
    let results = itm_batch(&cases, &profiles);
    let mut wtr = csv::Writer::from_writer(Vec::new());
    for r in &results {
        wtr.serialize(r).unwrap();
    }
    let bytes = wtr.into_inner().unwrap();
    let mut rdr = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let reference = csv::Reader::from_path(fixtures().join("itm_p2p_vectors.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .clone();
    for column in &header {
        assert!(
            reference.iter().any(|c| c == column),
            "output column {column} is not a reference column"
        );
    }
    for column in [
        "rc",
        "warnings",
        "A__db",
        "prop_mode",
        "A_ref__db",
        "N_s",
        "delta_h__meter",
    ] {
        assert!(header.iter().any(|c| c == column), "missing {column}");
    }
    let back: Vec<ItmResult> = rdr.deserialize().map(|r| r.unwrap()).collect();
    assert_eq!(back, results);
    // An unknown profile is reported per case, not as a batch failure.
    let mut orphan = cases[0].clone();
    orphan.profile_id = "no_such_profile".to_owned();
    let r = itm_batch(&[orphan], &profiles);
    assert_eq!(r[0].rc, 2001);
    assert_eq!(r[0].A__db, None);
}

#[test]
fn prepared_path_and_radio_setup_give_the_one_shot_results() {
    // prepare_p2p + RadioSetup + evaluate_with (the coverage path) must equal p2p exactly,
    // including return codes and warnings, on every reference case.
    use auyl_radio::itm::{RadioSetup, evaluate_with, p2p, prepare_p2p};
    let profiles = profiles();
    let cases: Vec<ItmCase> = read_csv("itm_p2p_vectors.csv");
    let mut compared = 0;
    for case in &cases {
        let profile = profiles[&case.profile_id].as_profile();
        let var = case.variability().unwrap();
        let params = case.params();
        let one_shot = p2p(profile, case.h_tx__meter, case.h_rx__meter, &params, var);
        let split = RadioSetup::new(&params, var).and_then(|setup| {
            let path = prepare_p2p(profile, case.h_tx__meter, case.h_rx__meter, params.n_0)?;
            evaluate_with(&path, &setup)
        });
        match (&one_shot, &split) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "{}", case.case_id);
                compared += 1;
            }
            (Err(a), Err(_)) => assert!(a.code().rc() >= 1000, "{}", case.case_id),
            _ => panic!("{}: {one_shot:?} vs {split:?}", case.case_id),
        }
    }
    assert_eq!(compared, 479);
}
