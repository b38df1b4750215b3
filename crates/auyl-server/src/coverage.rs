//! Coverage overlays for the map: where a plan's LTE site reaches, as the planner judged it (ITM
//! median path loss over the server's DEM, the plan's own frequency, heights and largest path
//! loss), drawn as a PNG over the map with the settlements and people it covers.
//!
//! Needs terrain: `auyl serve --dem DIR` (the demo uses its shipped tiles). A stored plan never
//! changes, so each site's overlay is computed once and kept (see `cache`).

use crate::AppState;
use crate::api::{Access, Routes};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, ErrorBody, Path};
use auyl_model::{Layer, Record, Technology};
use auyl_plan::Scenario;
use auyl_radio::coverage::{
    self, AntennaPattern, CoverageParams, ItmSettings, Resolution, Roughness, SettlementPoint,
};
use auyl_store::Role;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::json;
use utoipa_axum::routes;

/// dB above the threshold at which the overlay's colour ramp tops out.
const RAMP_SPAN_DB: f64 = 40.0;
/// Settlements listed in a response, at most (nearest first).
const MAX_LISTED: usize = 200;

fn no_terrain() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "no_terrain",
        "coverage needs terrain: start the server with --dem DIR (DEM tiles)",
    )
}

/// The coverage of one LTE site of a plan: `{plan, site, freq_mhz, max_path_loss_db, radius_m,
/// coordinates (MapLibre image corners NW, NE, SE, SW), image (PNG data URL: received level
/// relative to the threshold, transparent where not covered), terrain (sources and
/// resolution used), covered: {settlements, people, list}}`.
#[utoipa::path(get, path = "/api/plans/{plan}/sites/{site}/coverage", tag = "plans",
    params(("plan" = String, Path, description = "latest, id, scenario or scenario@version"),
           ("site" = String, Path, description = "site id of the plan")),
    responses((status = 200, description = "overlay and what it covers", body = Object),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "the server has no terrain", body = ErrorBody),
              (status = 422, description = "the site radiates no LTE", body = ErrorBody)))]
async fn site_coverage(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((selector, site_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let dem = state.config.terrain.clone().ok_or_else(no_terrain)?;
    let (r, plan) = crate::plans::find(&state, &selector).await?;
    let site = plan
        .sites
        .iter()
        .find(|s| s.id.as_str() == site_id)
        .cloned()
        .ok_or_else(|| {
            ApiError::not_found(format!("plan {} has no site `{site_id}`", r.label()))
        })?;
    if user.role == Role::AkimatOfficer {
        let own = crate::plans::region_filter(&state, &user)
            .await?
            .unwrap_or_default();
        if !site
            .serves
            .iter()
            .any(|s| own.iter().any(|x| x == s.as_str()))
        {
            return Err(ApiError::out_of_scope(format!(
                "site `{site_id}` serves no settlement of the akimat's region"
            )));
        }
    }
    if site.technology != Technology::Lte {
        return Err(ApiError::invalid(format!(
            "site `{site_id}` is a {} site: only LTE sites have a coverage area",
            site.technology.as_str()
        )));
    }
    let scenario = match state
        .store
        .plan_scenario_text(&r)
        .await
        .map_err(crate::plans::store_err)?
    {
        Some(text) => Scenario::from_toml_str(&text, &r.label()).map_err(ApiError::internal)?,
        None => Scenario::preset("central").map_err(ApiError::internal)?,
    };
    let key = format!("coverage|{}|{site_id}", r.id);
    let st = state.clone();
    let label = r.label();
    state
        .responses
        .json(key, "plan".into(), &headers, || async move {
            let settlements: Vec<SettlementPoint> = st
                .store
                .load(Layer::Settlements)
                .await?
                .into_iter()
                .filter_map(Record::into_settlement)
                .map(|s| SettlementPoint::from(&s))
                .collect();
            tokio::task::spawn_blocking(move || {
                overlay(&dem, &scenario, &site, &settlements, &label)
            })
            .await
            .map_err(ApiError::internal)?
        })
        .await
}

/// Computes one site's overlay (CPU-bound: ITM along radials over the DEM).
fn overlay(
    dem: &auyl_terrain::DemSet,
    sc: &Scenario,
    site: &auyl_model::PlannedSite,
    settlements: &[SettlementPoint],
    plan_label: &str,
) -> ApiResult<serde_json::Value> {
    let params = CoverageParams {
        site: site.location,
        tx_height_m: site.height_m,
        rx_height_m: sc.lte.rx_height_m,
        freq_mhz: sc.lte.freq_mhz,
        // With 0 dBm EIRP the received level is minus the path loss, so the planner's largest
        // path loss is the threshold.
        eirp_dbm: 0.0,
        rx_gain_dbi: 0.0,
        pattern: AntennaPattern::Omni,
        radius_m: sc.lte.max_range_m,
        resolution: Resolution::Native,
        itm: ItmSettings::default(),
        roughness: Roughness::default(),
    };
    let map = coverage::coverage(dem, &params).map_err(|e| match e {
        coverage::CoverageError::Terrain(t) => ApiError::new(
            StatusCode::CONFLICT,
            "no_terrain",
            format!("no terrain around the site: {t}"),
        ),
        e => ApiError::internal(e),
    })?;
    let threshold_dbm = -sc.lte.max_path_loss_db;
    let summary = coverage::summarize(&map, settlements, threshold_dbm);
    let geo = map.sweep.grid;
    let png = auyl_io::raster::encode_png_overlay(
        std::path::Path::new("coverage.png"),
        &geo,
        &map.rx_power_dbm,
        threshold_dbm,
        threshold_dbm + RAMP_SPAN_DB,
        170,
    )
    .map_err(ApiError::internal)?;
    let (w, s, e, n) = (geo.west_deg, geo.south_deg(), geo.east_deg(), geo.north_deg);
    let covered: Vec<_> = summary
        .settlements
        .iter()
        .filter(|c| c.covered)
        .take(MAX_LISTED)
        .map(|c| {
            json!({"id": c.id, "name": c.name, "people": c.population,
                   "distance_m": c.distance_m.round(), "path_loss_db": -c.rx_power_dbm})
        })
        .collect();
    Ok(json!({
        "plan": plan_label,
        "site": {"id": site.id.0, "lon_deg": site.location.lon_deg, "lat_deg": site.location.lat_deg,
                 "height_m": site.height_m, "status": match site.status {
                     auyl_model::SiteStatus::Existing => "existing",
                     auyl_model::SiteStatus::New => "new",
                 }},
        "freq_mhz": params.freq_mhz,
        "rx_height_m": params.rx_height_m,
        "max_path_loss_db": sc.lte.max_path_loss_db,
        "radius_m": params.radius_m,
        "ramp_db": [sc.lte.max_path_loss_db, sc.lte.max_path_loss_db - RAMP_SPAN_DB],
        "coordinates": [[w, n], [e, n], [e, s], [w, s]],
        "image": format!("data:image/png;base64,{}",
                         base64::engine::general_purpose::STANDARD.encode(&png)),
        "terrain": map.terrain,
        "radials": map.sweep.radials,
        "radials_cut": map.radials_cut,
        "covered_area_km2": summary.covered_area_km2,
        "covered": {
            "settlements": summary.settlements_covered,
            "people": summary.population_covered,
            "list": covered,
        },
    }))
}

/// The coverage endpoints.
pub(crate) fn routes(r: Routes) -> Routes {
    r.add(Access::SIGNED_IN, routes!(site_coverage))
}
