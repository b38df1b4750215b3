//! The planning domain: stored plans (versioned scenarios), one plan's settlements and totals,
//! one settlement's decision, the technology of each settlement for the map, and the comparison
//! of two scenarios.
//!
//! Scope: an akimat officer sees the settlements of its region only (totals stay the plan's);
//! everyone else signed in sees whole plans.

use crate::AppState;
use crate::api::{Access, Routes};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, ErrorBody, Json, Path, Query};
use auyl_model::{Layer, Plan, Record, SettlementPlan};
use auyl_store::{PlanRef, Role, User};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

/// Changed settlements listed in a comparison, at most.
const MAX_CHANGES: usize = 500;

pub(crate) fn store_err(e: auyl_store::Error) -> ApiError {
    match e {
        auyl_store::Error::NotFound { .. } => ApiError::not_found(e.to_string()),
        e => ApiError::internal(e),
    }
}

/// A stored plan by selector (`latest`, an id, a scenario or `scenario@version`).
pub(crate) async fn find(state: &AppState, selector: &str) -> ApiResult<(PlanRef, Plan)> {
    let r = state.store.find_plan(selector).await.map_err(store_err)?;
    let p = state.store.load_plan(&r).await.map_err(store_err)?;
    Ok((r, p))
}

/// The settlement ids of an akimat officer's region; None for roles that see the country.
pub(crate) async fn region_filter(state: &AppState, user: &User) -> ApiResult<Option<Vec<String>>> {
    if user.role != Role::AkimatOfficer {
        return Ok(None);
    }
    let own = user.region_code.clone().unwrap_or_default();
    Ok(Some(
        state
            .store
            .load(Layer::Settlements)
            .await?
            .into_iter()
            .filter_map(Record::into_settlement)
            .filter(|s| s.region_code.as_deref() == Some(own.as_str()))
            .map(|s| s.id.0)
            .collect(),
    ))
}

fn plan_ref_json(r: &PlanRef) -> ApiResult<Value> {
    let mut v = serde_json::to_value(r).map_err(ApiError::internal)?;
    v["label"] = Value::String(r.label());
    Ok(v)
}

/// Stored plans, newest first: scenario, version, when, by whom, totals.
#[utoipa::path(get, path = "/api/plans", tag = "plans",
    responses((status = 200, description = "[auyl_store::PlanRef] with `label`", body = Object)))]
async fn list_plans(State(state): State<AppState>) -> ApiResult<Json<Vec<Value>>> {
    let plans = state.store.plans().await.map_err(store_err)?;
    Ok(Json(
        plans.iter().map(plan_ref_json).collect::<ApiResult<_>>()?,
    ))
}

/// A settlement's decision in a plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettlementDecision {
    /// Settlement id.
    pub settlement_id: String,
    /// `fibre`, `lte`, `microwave` or `satellite`.
    pub technology: String,
    /// People connected.
    pub people: u64,
    /// Responsible operator.
    pub operator_id: Option<String>,
    /// Akimat for land and electricity.
    pub akimat_id: Option<String>,
    /// Year of connection.
    pub year: i32,
    /// Capital cost, US dollars.
    pub capex_usd: f64,
    /// Operating cost per year, US dollars.
    pub opex_usd_per_year: f64,
    /// Mast site serving it.
    pub site_id: Option<String>,
    /// Whether land must be allotted.
    pub needs_land: bool,
    /// Whether electricity must be brought.
    pub needs_power: bool,
    /// Why this option.
    pub reason: String,
    /// Assumptions the decision rests on.
    pub assumptions: Vec<String>,
}

fn decision(s: &SettlementPlan) -> SettlementDecision {
    SettlementDecision {
        settlement_id: s.settlement_id.0.clone(),
        technology: s.technology.as_str().to_string(),
        people: s.people,
        operator_id: s.operator_id.as_ref().map(|x| x.0.clone()),
        akimat_id: s.akimat_id.as_ref().map(|x| x.0.clone()),
        year: s.year,
        capex_usd: s.capex_usd,
        opex_usd_per_year: s.opex_usd_per_year,
        site_id: s.site_id.as_ref().map(|x| x.0.clone()),
        needs_land: s.needs_land,
        needs_power: s.needs_power,
        reason: s.reason.clone(),
        assumptions: s.assumptions.clone(),
    }
}

/// Which settlements of a plan.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlanQuery {
    /// Only this technology.
    pub technology: Option<String>,
    /// Largest number of settlements listed (default 200; totals cover the whole plan).
    pub limit: Option<usize>,
}

/// One plan: its identity, totals, and its settlements (largest first), each with technology,
/// operator, year, cost and reason. `plan` is `latest`, an id, a scenario or `scenario@version`.
#[utoipa::path(get, path = "/api/plans/{plan}", tag = "plans",
    params(("plan" = String, Path, description = "latest, id, scenario or scenario@version"), PlanQuery),
    responses((status = 200, description = "{plan, totals, settlements, listed, matched, unserved}", body = Object),
              (status = 404, body = ErrorBody)))]
async fn get_plan(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(selector): Path<String>,
    Query(q): Query<PlanQuery>,
) -> ApiResult<Json<Value>> {
    let (r, p) = find(&state, &selector).await?;
    let region = region_filter(&state, &user).await?;
    let inside = |id: &str| {
        region
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|x| x == id))
    };
    let mut rows: Vec<&SettlementPlan> = p
        .settlements
        .iter()
        .filter(|s| inside(s.settlement_id.as_str()))
        .filter(|s| {
            q.technology
                .as_deref()
                .is_none_or(|t| s.technology.as_str() == t)
        })
        .collect();
    rows.sort_by(|a, b| {
        b.people
            .cmp(&a.people)
            .then(a.settlement_id.cmp(&b.settlement_id))
    });
    let matched = rows.len();
    let listed: Vec<SettlementDecision> = rows
        .into_iter()
        .take(q.limit.unwrap_or(200))
        .map(decision)
        .collect();
    let unserved: Vec<Value> = p
        .unserved
        .iter()
        .filter(|u| inside(u.settlement_id.as_str()))
        .map(
            |u| json!({"settlement_id": u.settlement_id.0, "people": u.people, "reason": u.reason}),
        )
        .collect();
    Ok(Json(json!({
        "plan": plan_ref_json(&r)?,
        "totals": p.totals,
        "matched": matched,
        "settlements": listed,
        "unserved_count": unserved.len(),
        "unserved": unserved.into_iter().take(200).collect::<Vec<_>>(),
    })))
}

/// The technology of every settlement of a plan, for colouring the map: `{settlement id:
/// technology}` (an akimat officer: its region).
#[utoipa::path(get, path = "/api/plans/{plan}/technologies", tag = "plans",
    params(("plan" = String, Path, description = "latest, id, scenario or scenario@version")),
    responses((status = 200, description = "{settlement id: technology}", body = Object),
              (status = 404, body = ErrorBody)))]
async fn technologies(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(selector): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    cached(
        &state,
        "technologies",
        &selector,
        user,
        &headers,
        |p, region| {
            p.settlements
                .iter()
                .filter(|s| {
                    region
                        .as_ref()
                        .is_none_or(|ids| ids.iter().any(|x| x == s.settlement_id.as_str()))
                })
                .map(|s| (s.settlement_id.0.clone(), s.technology.as_str().to_string()))
                .collect::<BTreeMap<String, String>>()
        },
    )
    .await
}

/// A read of one stored plan for the caller's scope, kept per plan and registry version (a stored
/// plan never changes; the registry decides an akimat officer's region).
async fn cached<T, F>(
    state: &AppState,
    what: &str,
    selector: &str,
    user: User,
    headers: &HeaderMap,
    make: F,
) -> ApiResult<Response>
where
    T: Serialize + Send + 'static,
    F: FnOnce(Plan, Option<Vec<String>>) -> T + Send + 'static,
{
    let r = state.store.find_plan(selector).await.map_err(store_err)?;
    let scope = match user.role {
        Role::AkimatOfficer => user.region_code.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let key = format!("plan-{what}|{}|{scope}", r.id);
    let version = crate::registry::registry_version(state).await?;
    let st = state.clone();
    state
        .responses
        .json(key, version, headers, || async move {
            let p = st.store.load_plan(&r).await.map_err(store_err)?;
            let region = region_filter(&st, &user).await?;
            Ok(make(p, region))
        })
        .await
}

/// One settlement in a plan: its decision, or why it is not served.
#[utoipa::path(get, path = "/api/plans/{plan}/settlements/{id}", tag = "plans",
    params(("plan" = String, Path, description = "latest, id, scenario or scenario@version"),
           ("id" = String, Path, description = "settlement id")),
    responses((status = 200, description = "{plan, decision} or {plan, unserved}", body = Object),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn plan_settlement(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((selector, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    if let Some(ids) = region_filter(&state, &user).await?
        && !ids.contains(&id)
    {
        return Err(ApiError::out_of_scope(format!(
            "settlement `{id}` is outside the akimat's region"
        )));
    }
    let (r, p) = find(&state, &selector).await?;
    if let Some(s) = p
        .settlements
        .iter()
        .find(|s| s.settlement_id.as_str() == id)
    {
        return Ok(Json(
            json!({"plan": plan_ref_json(&r)?, "decision": decision(s)}),
        ));
    }
    if let Some(u) = p.unserved.iter().find(|u| u.settlement_id.as_str() == id) {
        return Ok(Json(json!({"plan": plan_ref_json(&r)?,
            "unserved": {"settlement_id": u.settlement_id.0, "people": u.people, "reason": u.reason}})));
    }
    Err(ApiError::not_found(format!(
        "settlement `{id}` is not in plan {}",
        r.label()
    )))
}

/// Rounds degrees to 1e-5 (about a metre).
fn r5(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

/// The network of a plan as GeoJSON for the map: mast sites (points; `status` existing or
/// new), fibre routes and microwave hops (lines), each with operator, year and cost. An akimat
/// officer gets the sites and routes serving its region's settlements (hops name no settlement
/// and are left out).
#[utoipa::path(get, path = "/api/plans/{plan}/elements", tag = "plans",
    params(("plan" = String, Path, description = "latest, id, scenario or scenario@version")),
    responses((status = 200, description = "GeoJSON FeatureCollection", body = Object),
              (status = 404, body = ErrorBody)))]
async fn elements(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(selector): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    cached(
        &state,
        "elements",
        &selector,
        user,
        &headers,
        elements_geojson,
    )
    .await
}

fn elements_geojson(p: Plan, region: Option<Vec<String>>) -> Value {
    let serves_region = |serves: &[auyl_model::Id]| {
        region
            .as_ref()
            .is_none_or(|ids| serves.iter().any(|s| ids.iter().any(|x| x == s.as_str())))
    };
    let mut features = Vec::new();
    for r in p.routes.iter().filter(|r| serves_region(&r.serves)) {
        let coords: Vec<[f64; 2]> = r.geometry.coords().map(|c| [r5(c.x), r5(c.y)]).collect();
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {"element": "route", "id": r.id.0, "year": r.year,
                "operator_id": r.operator_id.as_ref().map(|o| o.0.clone()),
                "length_m": r.length_m_by_class.values().sum::<f64>(),
                "approximated_m": r.approximated_m, "capex_usd": r.capex_usd,
                "serves": r.serves.len()},
        }));
    }
    if region.is_none() {
        for h in &p.hops {
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates":
                    [[r5(h.a.lon_deg), r5(h.a.lat_deg)], [r5(h.b.lon_deg), r5(h.b.lat_deg)]]},
                "properties": {"element": "hop", "id": h.id.0, "year": h.year,
                    "distance_m": h.distance_m, "freq_mhz": h.freq_mhz,
                    "clearance_pct_f1": h.clearance_pct_f1, "capex_usd": h.capex_usd},
            }));
        }
    }
    for st in p.sites.iter().filter(|x| serves_region(&x.serves)) {
        let status = match st.status {
            auyl_model::SiteStatus::Existing => "existing",
            auyl_model::SiteStatus::New => "new",
        };
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "Point",
                "coordinates": [r5(st.location.lon_deg), r5(st.location.lat_deg)]},
            "properties": {"element": "site", "id": st.id.0, "status": status,
                "technology": st.technology.as_str(), "height_m": st.height_m,
                "operator_id": st.operator_id.as_ref().map(|o| o.0.clone()),
                "capex_usd": st.capex_usd, "serves": st.serves.len()},
        }));
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// Two plans to compare.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// First plan (`central@1`).
    pub a: String,
    /// Second plan (`central@2`, `latest`).
    pub b: String,
}

/// A settlement whose decision differs between two plans.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DecisionChange {
    /// Settlement id.
    pub settlement_id: String,
    /// Technology in the first plan (None: not served).
    pub a: Option<String>,
    /// Technology in the second plan.
    pub b: Option<String>,
    /// Year in the first plan.
    pub year_a: Option<i32>,
    /// Year in the second plan.
    pub year_b: Option<i32>,
    /// People.
    pub people: u64,
}

/// Compare two plans: totals side by side (cost, NPC, fibre, masts, settlements and people by
/// technology) and the settlements whose technology or year changed, most people first.
#[utoipa::path(get, path = "/api/plans/compare", tag = "plans", params(CompareQuery),
    responses((status = 200, description = "{a, b, totals: {name: [a, b]}, changed, changed_count}", body = Object),
              (status = 404, body = ErrorBody)))]
async fn compare(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<CompareQuery>,
) -> ApiResult<Json<Value>> {
    let (ra, pa) = find(&state, &q.a).await?;
    let (rb, pb) = find(&state, &q.b).await?;
    let region = region_filter(&state, &user).await?;
    let (ta, tb) = (pa.comparable_totals(), pb.comparable_totals());
    let totals: BTreeMap<&String, [f64; 2]> = ta
        .keys()
        .chain(tb.keys())
        .map(|k| {
            (
                k,
                [
                    ta.get(k).copied().unwrap_or(0.0),
                    tb.get(k).copied().unwrap_or(0.0),
                ],
            )
        })
        .collect();
    let ma: HashMap<&str, &SettlementPlan> = pa
        .settlements
        .iter()
        .map(|s| (s.settlement_id.as_str(), s))
        .collect();
    let mb: HashMap<&str, &SettlementPlan> = pb
        .settlements
        .iter()
        .map(|s| (s.settlement_id.as_str(), s))
        .collect();
    let mut ids: Vec<&str> = ma.keys().chain(mb.keys()).copied().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut changed: Vec<DecisionChange> = ids
        .into_iter()
        .filter(|id| region.as_ref().is_none_or(|r| r.iter().any(|x| x == id)))
        .filter_map(|id| {
            let (x, y) = (ma.get(id), mb.get(id));
            let tech = |s: Option<&&SettlementPlan>| s.map(|s| s.technology.as_str().to_string());
            let same = tech(x) == tech(y) && x.map(|s| s.year) == y.map(|s| s.year);
            (!same).then(|| DecisionChange {
                settlement_id: id.to_string(),
                a: tech(x),
                b: tech(y),
                year_a: x.map(|s| s.year),
                year_b: y.map(|s| s.year),
                people: x.or(y).map_or(0, |s| s.people),
            })
        })
        .collect();
    changed.sort_by(|a, b| {
        b.people
            .cmp(&a.people)
            .then(a.settlement_id.cmp(&b.settlement_id))
    });
    let count = changed.len();
    changed.truncate(MAX_CHANGES);
    Ok(Json(json!({
        "a": plan_ref_json(&ra)?,
        "b": plan_ref_json(&rb)?,
        "totals": totals,
        "changed_count": count,
        "changed": changed,
    })))
}

/// The planning domain's endpoints.
pub(crate) fn routes(r: Routes) -> Routes {
    r.add(Access::SIGNED_IN, routes!(list_plans))
        .add(Access::SIGNED_IN, routes!(compare))
        .add(Access::SIGNED_IN, routes!(get_plan))
        .add(Access::SIGNED_IN, routes!(technologies))
        .add(Access::SIGNED_IN, routes!(elements))
        .add(Access::SIGNED_IN, routes!(plan_settlement))
}
