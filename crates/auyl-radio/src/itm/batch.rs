//! Batch evaluation of ITM point-to-point cases on all cores. The serde types map 1:1 to the
//! columns of the reference CSV (`itm_p2p_vectors.csv`) and profile JSON lines
//! (`itm_profiles.jsonl`), so a CSV reader/writer and a JSON-lines reader at the edge are all
//! that `auyl radio itm-batch` needs.

#![allow(non_snake_case)]

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{ItmError, ItmParams, Profile, Variability, p2p};

/// Which percentages a case gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VariabilityKind {
    /// Time, location and situation (`time`, `location`, `situation` columns).
    #[serde(rename = "TLS")]
    Tls,
    /// Confidence and reliability (`confidence`, `reliability` columns).
    #[serde(rename = "CR")]
    Cr,
}

/// One point-to-point case: the input columns of `itm_p2p_vectors.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItmCase {
    /// Case identifier, copied to the result.
    pub case_id: String,
    /// Terrain profile identifier (`profile_id` of the profiles file).
    pub profile_id: String,
    /// Where the case comes from (free text, optional).
    #[serde(default)]
    pub source: Option<String>,
    /// TLS or CR.
    pub variability: VariabilityKind,
    /// TX structural height, m.
    pub h_tx__meter: f64,
    /// RX structural height, m.
    pub h_rx__meter: f64,
    /// Radio climate 1–7.
    pub climate: i32,
    /// Sea-level refractivity, N-units.
    pub N_0: f64,
    /// Frequency, MHz.
    pub f__mhz: f64,
    /// Polarisation, 0 H / 1 V.
    pub pol: i32,
    /// Relative permittivity.
    pub epsilon: f64,
    /// Conductivity, S/m.
    pub sigma: f64,
    /// Mode of variability.
    pub mdvar: i32,
    /// Time percentage (TLS).
    #[serde(default)]
    pub time: Option<f64>,
    /// Location percentage (TLS).
    #[serde(default)]
    pub location: Option<f64>,
    /// Situation percentage (TLS).
    #[serde(default)]
    pub situation: Option<f64>,
    /// Confidence percentage (CR).
    #[serde(default)]
    pub confidence: Option<f64>,
    /// Reliability percentage (CR).
    #[serde(default)]
    pub reliability: Option<f64>,
}

impl ItmCase {
    /// The radio parameters of the case.
    #[must_use]
    pub fn params(&self) -> ItmParams {
        ItmParams {
            climate: self.climate,
            n_0: self.N_0,
            freq_mhz: self.f__mhz,
            pol: self.pol,
            epsilon: self.epsilon,
            sigma: self.sigma,
            mdvar: self.mdvar,
        }
    }

    /// The requested percentages.
    ///
    /// # Errors
    /// [`ItmError::MissingPercentage`] when a column needed by the variability kind is empty.
    pub fn variability(&self) -> Result<Variability, ItmError> {
        let need = |v: Option<f64>, column| v.ok_or(ItmError::MissingPercentage { column });
        Ok(match self.variability {
            VariabilityKind::Tls => Variability::Tls {
                time_pct: need(self.time, "time")?,
                location_pct: need(self.location, "location")?,
                situation_pct: need(self.situation, "situation")?,
            },
            VariabilityKind::Cr => Variability::Cr {
                confidence_pct: need(self.confidence, "confidence")?,
                reliability_pct: need(self.reliability, "reliability")?,
            },
        })
    }
}

/// A terrain profile: the keys of `itm_profiles.jsonl` that ITM needs (others are ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItmProfile {
    /// Identifier that cases refer to.
    pub profile_id: String,
    /// Spacing between points, m.
    pub resolution_m: f64,
    /// Elevations, m, TX first.
    pub elevations_m: Vec<f64>,
}

impl ItmProfile {
    /// Borrowed view for the model.
    #[must_use]
    pub fn as_profile(&self) -> Profile<'_> {
        Profile {
            resolution_m: self.resolution_m,
            elevations_m: &self.elevations_m,
        }
    }
}

/// One result row: the output columns of `itm_p2p_vectors.csv`. Outputs are empty (`None`)
/// when `rc` ≥ 1000.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItmResult {
    /// Case identifier.
    pub case_id: String,
    /// Profile identifier.
    pub profile_id: String,
    /// 0 success, 1 success with warnings, ≥ 1000 error (NTIA codes; ≥ 2000 auyl's).
    pub rc: i32,
    /// Warning bit flags (decimal).
    pub warnings: u32,
    /// Warning bit flags as `0x%04X`.
    pub warnings_hex: String,
    /// Basic transmission loss, dB.
    pub A__db: Option<f64>,
    /// Propagation mode: 1 line of sight, 2 diffraction, 3 troposcatter.
    pub prop_mode: Option<u8>,
    /// Free-space loss, dB.
    pub A_fs__db: Option<f64>,
    /// Reference attenuation, dB.
    pub A_ref__db: Option<f64>,
    /// Path distance, km.
    pub d__km: Option<f64>,
    /// TX horizon angle, rad.
    pub theta_hzn_tx: Option<f64>,
    /// RX horizon angle, rad.
    pub theta_hzn_rx: Option<f64>,
    /// TX horizon distance, m.
    pub d_hzn_tx__meter: Option<f64>,
    /// RX horizon distance, m.
    pub d_hzn_rx__meter: Option<f64>,
    /// TX effective height, m.
    pub h_e_tx__meter: Option<f64>,
    /// RX effective height, m.
    pub h_e_rx__meter: Option<f64>,
    /// Surface refractivity, N-units.
    pub N_s: Option<f64>,
    /// Terrain irregularity parameter, m.
    pub delta_h__meter: Option<f64>,
}

impl ItmResult {
    /// A row for a case with no outputs yet: rc 0, no warnings, every value empty.
    pub fn empty(case_id: &str, profile_id: &str) -> ItmResult {
        ItmResult {
            case_id: case_id.to_owned(),
            profile_id: profile_id.to_owned(),
            rc: 0,
            warnings: 0,
            warnings_hex: String::new(),
            A__db: None,
            prop_mode: None,
            A_fs__db: None,
            A_ref__db: None,
            d__km: None,
            theta_hzn_tx: None,
            theta_hzn_rx: None,
            d_hzn_tx__meter: None,
            d_hzn_rx__meter: None,
            h_e_tx__meter: None,
            h_e_rx__meter: None,
            N_s: None,
            delta_h__meter: None,
        }
    }
}

/// Evaluates one case on its profile (`None` when the profile was not found).
#[must_use]
pub fn itm_case(case: &ItmCase, profile: Option<&ItmProfile>) -> ItmResult {
    let outcome = match profile {
        None => Err(ItmError::UnknownProfile {
            profile_id: case.profile_id.clone(),
        }),
        Some(p) => case.variability().and_then(|var| {
            p2p(
                p.as_profile(),
                case.h_tx__meter,
                case.h_rx__meter,
                &case.params(),
                var,
            )
        }),
    };
    let mut row = ItmResult::empty(&case.case_id, &case.profile_id);
    let warnings = match outcome {
        Ok(out) => {
            let i = out.intermediate;
            row.rc = out.rc();
            row.A__db = Some(out.a_db);
            row.prop_mode = Some(out.prop_mode.code());
            row.A_fs__db = Some(i.a_fs_db);
            row.A_ref__db = Some(i.a_ref_db);
            row.d__km = Some(i.d_km);
            row.theta_hzn_tx = Some(i.theta_hzn_rad[0]);
            row.theta_hzn_rx = Some(i.theta_hzn_rad[1]);
            row.d_hzn_tx__meter = Some(i.d_hzn_m[0]);
            row.d_hzn_rx__meter = Some(i.d_hzn_m[1]);
            row.h_e_tx__meter = Some(i.h_e_m[0]);
            row.h_e_rx__meter = Some(i.h_e_m[1]);
            row.N_s = Some(i.n_s);
            row.delta_h__meter = Some(i.delta_h_m);
            out.warnings
        }
        Err(e) => {
            row.rc = e.code().rc();
            e.warnings()
        }
    };
    row.warnings = warnings.0;
    row.warnings_hex = format!("0x{:04X}", warnings.0);
    row
}

/// Evaluates all cases in parallel (rayon, all cores), one result per case in input order.
/// A case whose profile is missing gets rc 2001 rather than failing the batch.
#[must_use]
pub fn itm_batch<S: std::hash::BuildHasher + Sync>(
    cases: &[ItmCase],
    profiles: &HashMap<String, ItmProfile, S>,
) -> Vec<ItmResult> {
    cases
        .par_iter()
        .map(|c| itm_case(c, profiles.get(&c.profile_id)))
        .collect()
}
