//! The resilience domain: for the network of a stored plan (or of the registry alone), every
//! element's single-failure impact ranked and paged, the elements as GeoJSON for the map, what
//! one element's failure cuts off, which failures cut a settlement off, who is at risk (the heat
//! map), failure scenarios (a power cut over an area for some hours, a flood or fire polygon, k
//! random failures) and the redundancy proposal with its cost versus people-protected curve.
//!
//! `{plan}` is `latest`, an id, a scenario or `scenario@version` as in the plans domain, or
//! `existing` for the registry's network alone (settlements within 30 km of a backbone node
//! attached to it, as `auyl resilience` does without `--plan`).
//!
//! **Cache.** Building the model of a national plan and its dominator tree takes seconds, so each
//! network is analysed once per plan and registry version ([`auyl_store::Store::registry_version`]:
//! every registry import moves it; stored plans never change) and kept ([`MAX_CACHED`] networks).
//! One build runs at a time; a request arriving meanwhile waits for it and shares the result.
//!
//! **Scope.** An akimat officer's figures count the settlements of its region, an operator
//! engineer's the settlements its operator serves in the plan; they see the elements whose failure
//! cuts off at least one of those settlements, and scenario results about them only.
//! Administrators, analysts and viewers see the whole network. The redundancy proposal is one
//! national optimisation (its cost and curve do not split by region), so it is for
//! administrators, analysts and viewers. Everything here reads; nothing is written.

use crate::AppState;
use crate::api::{Access, Routes};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, ErrorBody, Json, Path, Query};
use crate::tracking::REPORT_READERS;
use auyl_model::{Layer, Names, Plan, RiskSummary};
use auyl_resilience::redundancy::{RedundancyOptions, propose, road_graph};
use auyl_resilience::scenario::{
    MonteCarloOptions, Outage, RepairTimes, bbox_area, circle_area, evaluate_where, hazard_outages,
    monte_carlo_where, power_outages,
};
use auyl_resilience::spof::Cut;
use auyl_resilience::{Analysis, Element, ElementKind, ModelOptions, ResilienceError, Role};
use auyl_store::{Role as UserRole, User};
use axum::extract::State;
use axum::http::StatusCode;
use geo::Simplify;
use geo_types::{Geometry, LineString};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

/// Networks kept analysed (a national one holds some tens of MB).
pub const MAX_CACHED: usize = 3;
/// Rows of the ranked list per page, at most.
const MAX_PAGE: usize = 1000;
/// Settlements listed under one element or one scenario, at most (counts cover all).
const MAX_LISTED: usize = 2000;
/// Single points of failure in the weekly report.
pub const REPORT_WORST: usize = 20;
/// Line vertices closer than this to the simplified line are dropped from map geometries
/// (degrees, about 20 m): the map shows the route, the analysis keeps every vertex.
const SIMPLIFY_DEG: f64 = 2e-4;
/// Kinds the map does not draw: settlements are drawn already; the hub and the satellite links
/// have no place on the ground.
const OFF_THE_MAP: [ElementKind; 3] = [
    ElementKind::Settlement,
    ElementKind::SatelliteHub,
    ElementKind::SatelliteLink,
];
/// The selector of the registry's network alone.
pub const EXISTING: &str = "existing";

/// Which network: a stored plan (its id) or the registry alone, at a registry version.
type Key = (Option<i64>, i64);

/// Analysed networks, newest last, and the lock that lets one build run at a time.
#[derive(Default)]
pub(crate) struct Cache {
    entries: Mutex<Vec<(Key, Arc<Net>)>>,
    building: tokio::sync::Mutex<()>,
    /// Builds so far: each network carries its number, so a client sees whether it was rebuilt.
    builds: std::sync::atomic::AtomicU64,
}

/// One analysed network with what the handlers need beside it.
pub(crate) struct Net {
    /// `central@2`, or `existing`.
    label: String,
    /// Registry version it was built at.
    registry_version: i64,
    analysis: Analysis,
    /// Per element (settlement access nodes only): where the settlement is and who serves it.
    places: Vec<Option<Place>>,
    /// Settlement id → access node.
    by_settlement: HashMap<String, usize>,
    /// Every registry settlement's region (those the network leaves out too).
    registry_region: HashMap<String, Option<String>>,
    /// Impacts over a scope's settlements, by scope key.
    scoped: Mutex<HashMap<String, Arc<Vec<Cut>>>>,
    /// Redundancy proposals by options.
    redundancy: Mutex<HashMap<String, Arc<Value>>>,
    /// Seconds the build took.
    built_s: f64,
    /// Which build of this server it is (1, 2, …).
    build: u64,
}

/// A settlement of the network as the API shows it.
#[derive(Debug, Clone)]
struct Place {
    region: Option<String>,
    operator: Option<String>,
    names: Names,
}

fn resilience_err(e: ResilienceError) -> ApiError {
    match e {
        ResilienceError::NothingToAnalyse => {
            ApiError::new(StatusCode::NOT_FOUND, "no_network", e.to_string())
        }
        ResilienceError::BadParameter { .. } => ApiError::invalid(e.to_string()),
        e => ApiError::internal(e),
    }
}

fn store_err(e: auyl_store::Error) -> ApiError {
    match e {
        auyl_store::Error::NotFound { .. } => ApiError::not_found(e.to_string()),
        e => ApiError::internal(e),
    }
}

/// The analysed network of `selector` at the current registry version: from the cache, or built
/// (one build at a time).
pub(crate) async fn network(state: &AppState, selector: &str) -> ApiResult<Arc<Net>> {
    let plan_ref = if selector == EXISTING {
        None
    } else {
        Some(state.store.find_plan(selector).await.map_err(store_err)?)
    };
    let version = state.store.registry_version().await?;
    let key: Key = (plan_ref.as_ref().map(|r| r.id), version);
    let cache = &state.resilience_cache;
    let cached = |cache: &Cache| {
        cache
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, n)| n.clone())
    };
    if let Some(n) = cached(cache) {
        return Ok(n);
    }
    let _building = cache.building.lock().await;
    if let Some(n) = cached(cache) {
        return Ok(n);
    }
    let started = std::time::Instant::now();
    let build = cache
        .builds
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        + 1;
    let plan: Option<Plan> = match &plan_ref {
        Some(r) => Some(state.store.load_plan(r).await.map_err(store_err)?),
        None => None,
    };
    let layers = state.store.load_layers(&auyl_resilience::LAYERS).await?;
    let label = plan_ref
        .as_ref()
        .map_or_else(|| EXISTING.to_string(), |r| r.label());
    let net = tokio::task::spawn_blocking(move || -> Result<Net, ResilienceError> {
        let model = auyl_resilience::network(
            plan.as_ref(),
            &layers,
            None,
            ModelOptions::default().default_battery_h,
        )?;
        let operator_of: HashMap<&str, &str> = plan
            .iter()
            .flat_map(|p| &p.settlements)
            .filter_map(|s| Some((s.settlement_id.as_str(), s.operator_id.as_ref()?.as_str())))
            .collect();
        let registry: HashMap<&str, &auyl_model::Settlement> = layers
            .settlements
            .iter()
            .map(|s| (s.id.as_str(), s))
            .collect();
        let mut places = vec![None; model.len()];
        let mut by_settlement = HashMap::new();
        for (i, e) in model.elements().iter().enumerate() {
            let Some(d) = &e.demand else { continue };
            let id = d.settlement_id.as_str();
            let s = registry.get(id);
            places[i] = Some(Place {
                region: s.and_then(|s| s.region_code.clone()),
                operator: operator_of.get(id).map(|o| o.to_string()),
                names: s.map(|s| s.names.clone()).unwrap_or_default(),
            });
            by_settlement.insert(id.to_string(), i);
        }
        let registry_region = layers
            .settlements
            .iter()
            .map(|s| (s.id.0.clone(), s.region_code.clone()))
            .collect();
        Ok(Net {
            label,
            registry_version: version,
            registry_region,
            analysis: Analysis::new(model),
            places,
            by_settlement,
            scoped: Mutex::default(),
            redundancy: Mutex::default(),
            built_s: started.elapsed().as_secs_f64(),
            build,
        })
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(resilience_err)?;
    let net = Arc::new(net);
    tracing::info!(
        "resilience: analysed {} ({} elements, registry version {version}) in {:.1} s",
        net.label,
        net.analysis.model().len(),
        net.built_s
    );
    let mut entries = cache.entries.lock().unwrap_or_else(|p| p.into_inner());
    entries.push((key, net.clone()));
    if entries.len() > MAX_CACHED {
        entries.remove(0);
    }
    Ok(net)
}

/// Whose settlements a caller's figures count.
#[derive(Debug, Clone, PartialEq)]
enum Scope {
    All,
    Region(String),
    Operator(String),
}

impl Scope {
    fn of(user: &User) -> Scope {
        match user.role {
            UserRole::AkimatOfficer => Scope::Region(user.region_code.clone().unwrap_or_default()),
            UserRole::OperatorEngineer => {
                Scope::Operator(user.organisation_id.clone().unwrap_or_default())
            }
            _ => Scope::All,
        }
    }

    fn key(&self) -> Option<String> {
        match self {
            Scope::All => None,
            Scope::Region(r) => Some(format!("region:{r}")),
            Scope::Operator(o) => Some(format!("operator:{o}")),
        }
    }

    fn json(&self) -> Value {
        match self {
            Scope::All => json!({"kind": "all"}),
            Scope::Region(r) => json!({"kind": "region", "region_code": r}),
            Scope::Operator(o) => json!({"kind": "operator", "organisation_id": o}),
        }
    }

    /// Whether the settlement at access node `e` is the caller's.
    fn keeps(&self, net: &Net, e: usize) -> bool {
        let place = net.places.get(e).and_then(Option::as_ref);
        match self {
            Scope::All => place.is_some(),
            Scope::Region(r) => place.and_then(|p| p.region.as_deref()) == Some(r.as_str()),
            Scope::Operator(o) => place.and_then(|p| p.operator.as_deref()) == Some(o.as_str()),
        }
    }
}

impl Net {
    /// Every element's impact over the caller's settlements (cached per scope).
    fn cuts(&self, scope: &Scope) -> Arc<Vec<Cut>> {
        let Some(key) = scope.key() else {
            let n = self.analysis.model().len();
            return Arc::new((0..n).map(|e| self.analysis.cut(e)).collect());
        };
        if let Some(c) = self
            .scoped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
        {
            return c.clone();
        }
        let c = Arc::new(self.analysis.impacts_where(&|e| scope.keeps(self, e)));
        self.scoped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, c.clone());
        c
    }

    fn element(&self, e: usize) -> &Element {
        &self.analysis.model().elements()[e]
    }

    /// True when element `e` fails alone with nothing but itself (a settlement's own access node).
    fn own_only(&self, e: usize, c: Cut) -> bool {
        c.0 == 1 && self.element(e).demand.is_some()
    }

    fn settlement_json(&self, s: usize) -> Value {
        let e = self.element(s);
        let p = self.places[s].as_ref();
        let c = e.anchor();
        json!({
            "settlement_id": e.id,
            "names": p.map(|p| names_json(&p.names)),
            "region_code": p.and_then(|p| p.region.clone()),
            "people": e.people(),
            "lon_deg": r5(c.x), "lat_deg": r5(c.y),
        })
    }

    fn network_json(&self) -> Value {
        let m = self.analysis.model();
        let by_kind: serde_json::Map<String, Value> = m
            .kind_counts()
            .into_iter()
            .map(|(k, n)| (k.as_str().to_string(), json!(n)))
            .collect();
        json!({
            "plan": self.label,
            "registry_version": self.registry_version,
            "elements": m.len(),
            "by_kind": by_kind,
            "assumptions": m.assumptions,
            "built_s": (self.built_s * 100.0).round() / 100.0,
            "build": self.build,
        })
    }
}

fn names_json(n: &Names) -> Value {
    json!({ "kk": n.kk, "ru": n.ru, "en": n.en, "local": n.local })
}

/// Rounds degrees to 1e-5 (about a metre).
fn r5(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

fn geometry_json(g: &Geometry<f64>) -> Value {
    match g {
        Geometry::Point(p) => json!({"type": "Point", "coordinates": [r5(p.x()), r5(p.y())]}),
        Geometry::LineString(l) => {
            let l: LineString<f64> = if l.0.len() > 2 {
                l.simplify(SIMPLIFY_DEG)
            } else {
                l.clone()
            };
            let coords: Vec<[f64; 2]> = l.0.iter().map(|c| [r5(c.x), r5(c.y)]).collect();
            json!({"type": "LineString", "coordinates": coords})
        }
        _ => Value::Null,
    }
}

fn role_str(k: ElementKind) -> &'static str {
    match k.role() {
        Role::Node => "node",
        Role::Link => "link",
        Role::Power => "power",
    }
}

/// One element's row: what it is and what its failure cuts off (over the caller's settlements).
fn impact_json(net: &Net, e: usize, c: Cut) -> Value {
    let el = net.element(e);
    let a = el.anchor();
    let after_h = net.analysis.after_h(e);
    json!({
        "id": el.id,
        "kind": el.kind.as_str(),
        "role": role_str(el.kind),
        "core": el.core,
        "assumed": el.assumed,
        "settlements": c.0,
        "people": c.1,
        "after_h": after_h,
        "battery_h": (el.kind.role() == Role::Node).then_some(el.battery_h),
        "lon_deg": r5(a.x), "lat_deg": r5(a.y),
    })
}

/// The caller's totals: settlements, people, unreached, single points, at risk.
fn totals_json(net: &Net, scope: &Scope, cuts: &[Cut]) -> Value {
    let m = net.analysis.model();
    let (mut s, mut p, mut us, mut up, mut rs, mut rp, mut ns, mut np) =
        (0u64, 0, 0, 0, 0, 0, 0, 0);
    for (e, el) in m.elements().iter().enumerate() {
        if el.demand.is_none() || !scope.keeps(net, e) {
            continue;
        }
        s += 1;
        p += el.people();
        match net.analysis.settlement_risk(e) {
            None => {
                us += 1;
                up += el.people();
            }
            Some(r) => {
                if r.at_risk {
                    rs += 1;
                    rp += el.people();
                }
                if r.shared {
                    ns += 1;
                    np += el.people();
                }
            }
        }
    }
    let single_points = cuts
        .iter()
        .enumerate()
        .filter(|&(e, c)| c.0 > 0 && !net.own_only(e, *c))
        .count();
    json!({
        "settlements": s, "people": p,
        "unreachable_settlements": us, "unreachable_people": up,
        "single_points": single_points,
        "settlements_at_risk": rs, "people_at_risk": rp,
        "settlements_at_risk_shared": ns, "people_at_risk_shared": np,
    })
}

/// A plan's network: its size, assumptions and the caller's totals (settlements and people,
/// not reached, single points of failure, at risk of one failure).
#[utoipa::path(get, path = "/api/resilience/{plan}", tag = "resilience",
    params(("plan" = String, Path, description = "latest, id, scenario, scenario@version or existing")),
    responses((status = 200, description = "{network, scope, totals}", body = Object),
              (status = 404, body = ErrorBody)))]
async fn summary(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(selector): Path<String>,
) -> ApiResult<Json<Value>> {
    let net = network(&state, &selector).await?;
    let scope = Scope::of(&user);
    let cuts = net.cuts(&scope);
    Ok(Json(json!({
        "network": net.network_json(),
        "scope": scope.json(),
        "totals": totals_json(&net, &scope, &cuts),
    })))
}

/// Which rows of the ranked list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SpofQuery {
    /// Rows skipped (default 0).
    pub offset: Option<usize>,
    /// Rows returned (default 50, at most 1000).
    pub limit: Option<usize>,
    /// Only this kind (`pop`, `fibre_segment`, `mast`, `power_grid`, …).
    pub kind: Option<String>,
    /// Only elements cutting off at least this many people.
    pub min_people: Option<u64>,
    /// Also the elements whose failure cuts nobody off (default false: the single points of
    /// failure only).
    pub all: Option<bool>,
}

fn kind_param(kind: Option<&str>) -> ApiResult<Option<ElementKind>> {
    kind.map(|k| {
        ElementKind::parse(k).ok_or_else(|| {
            ApiError::invalid(format!(
                "kind: `{k}` is not one of {}",
                ElementKind::ALL.map(ElementKind::as_str).join(", ")
            ))
        })
    })
    .transpose()
}

/// Every element's single-failure impact over the caller's settlements, ranked (most people,
/// then most settlements, then id) and paged. A settlement's own access node, which cuts off only
/// itself, is not listed.
#[utoipa::path(get, path = "/api/resilience/{plan}/spof", tag = "resilience",
    params(("plan" = String, Path, description = "latest, id, scenario, scenario@version or existing"), SpofQuery),
    responses((status = 200, description = "{plan, matched, offset, limit, impacts}", body = Object),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn spof(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(selector): Path<String>,
    Query(q): Query<SpofQuery>,
) -> ApiResult<Json<Value>> {
    let kind = kind_param(q.kind.as_deref())?;
    let limit = q.limit.unwrap_or(50).min(MAX_PAGE);
    let offset = q.offset.unwrap_or(0);
    let min_people = q.min_people.unwrap_or(0);
    let all = q.all.unwrap_or(false);
    let net = network(&state, &selector).await?;
    let scope = Scope::of(&user);
    let cuts = net.cuts(&scope);
    let mut rows: Vec<usize> = (0..cuts.len())
        .filter(|&e| cuts[e].1 >= min_people && !net.own_only(e, cuts[e]))
        .filter(|&e| kind.is_none_or(|k| net.element(e).kind == k))
        // A scoped caller sees only elements cutting off some of its settlements.
        .filter(|&e| cuts[e].0 > 0 || (all && scope == Scope::All))
        .collect();
    rows.sort_by(|&a, &b| {
        cuts[b]
            .1
            .cmp(&cuts[a].1)
            .then(cuts[b].0.cmp(&cuts[a].0))
            .then(net.element(a).id.cmp(&net.element(b).id))
    });
    let matched = rows.len();
    let impacts: Vec<Value> = rows
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|e| impact_json(&net, e, cuts[e]))
        .collect();
    Ok(Json(json!({
        "plan": net.label,
        "matched": matched,
        "offset": offset,
        "limit": limit,
        "impacts": impacts,
    })))
}

/// Which elements for the map.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ElementsQuery {
    /// Only elements cutting off at least this many people (default 0: every element the
    /// caller sees).
    pub min_people: Option<u64>,
}

/// The network's elements as GeoJSON for the map: nodes and power supplies as points, links as
/// lines (simplified to about 20 m), each with its id, kind, role and what its failure cuts off
/// over the caller's settlements. Settlement access nodes (the map draws the settlements), the
/// satellite hub and satellite links (they have no place on the ground) are left out. A scoped
/// caller gets the elements cutting off at least one of its settlements.
#[utoipa::path(get, path = "/api/resilience/{plan}/elements", tag = "resilience",
    params(("plan" = String, Path, description = "latest, id, scenario, scenario@version or existing"), ElementsQuery),
    responses((status = 200, description = "GeoJSON FeatureCollection", body = Object),
              (status = 404, body = ErrorBody)))]
async fn elements(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(selector): Path<String>,
    Query(q): Query<ElementsQuery>,
) -> ApiResult<Json<Value>> {
    let net = network(&state, &selector).await?;
    let scope = Scope::of(&user);
    let cuts = net.cuts(&scope);
    let min_people = q.min_people.unwrap_or(0);
    let features: Vec<Value> = net
        .analysis
        .model()
        .elements()
        .iter()
        .enumerate()
        .filter(|(_, el)| !OFF_THE_MAP.contains(&el.kind))
        .filter(|&(e, _)| cuts[e].1 >= min_people)
        .filter(|&(e, _)| scope == Scope::All || cuts[e].0 > 0)
        .map(|(e, el)| {
            // What the map colours and picks by; the rest comes with the element when clicked.
            let props = json!({"id": el.id, "kind": el.kind.as_str(), "role": role_str(el.kind),
                "settlements": cuts[e].0, "people": cuts[e].1});
            json!({"type": "Feature", "geometry": geometry_json(&el.geometry), "properties": props})
        })
        .collect();
    Ok(Json(json!({
        "type": "FeatureCollection",
        "plan": net.label,
        "features": features,
    })))
}

/// One element, by id.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ElementQuery {
    /// Element id (`pop:karaganda`, `r:kar-pav#0`, `abay-1:drop`…).
    pub id: String,
}

/// What one element's failure cuts off: its figures and the settlements (the caller's), most
/// people first, with their locations for the map.
#[utoipa::path(get, path = "/api/resilience/{plan}/element", tag = "resilience",
    params(("plan" = String, Path, description = "latest, id, scenario, scenario@version or existing"), ElementQuery),
    responses((status = 200, description = "{plan, element, settlements_cut_off, geometry}", body = Object),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn element(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(selector): Path<String>,
    Query(q): Query<ElementQuery>,
) -> ApiResult<Json<Value>> {
    let net = network(&state, &selector).await?;
    let scope = Scope::of(&user);
    let Some(e) = net.analysis.model().find(&q.id) else {
        return Err(ApiError::not_found(format!(
            "no element `{}` in the network of {}",
            q.id, net.label
        )));
    };
    let cuts = net.cuts(&scope);
    if scope != Scope::All && cuts[e].0 == 0 && !scope.keeps(&net, e) {
        return Err(ApiError::out_of_scope(format!(
            "the failure of `{}` cuts off none of your settlements",
            q.id
        )));
    }
    let mut cut: Vec<usize> = net
        .analysis
        .cut_off_by(e)
        .into_iter()
        .filter(|&s| scope.keeps(&net, s))
        .collect();
    cut.sort_by(|&a, &b| {
        net.element(b)
            .people()
            .cmp(&net.element(a).people())
            .then(net.element(a).id.cmp(&net.element(b).id))
    });
    let listed: Vec<Value> = cut
        .iter()
        .take(MAX_LISTED)
        .map(|&s| net.settlement_json(s))
        .collect();
    let el = net.element(e);
    let ends = el
        .ends
        .map(|(a, b)| [net.element(a).id.clone(), net.element(b).id.clone()]);
    let fed: Vec<&str> = if el.kind.role() == Role::Power {
        net.analysis
            .model()
            .elements()
            .iter()
            .filter(|x| x.power == Some(e))
            .map(|x| x.id.as_str())
            .take(MAX_LISTED)
            .collect()
    } else {
        Vec::new()
    };
    let power = el.power.map(|p| net.element(p).id.clone());
    Ok(Json(json!({
        "plan": net.label,
        "element": impact_json(&net, e, cuts[e]),
        "ends": ends,
        "power": power,
        "feeds": fed,
        "geometry": geometry_json(&el.geometry),
        "settlements_cut_off": listed,
        "listed": listed.len(),
    })))
}

/// Every settlement of the caller's scope for the heat map of people at risk: a point with its
/// people, whether some single failure other than its own access node cuts it off (`at_risk`),
/// whether a failure shared with other settlements does (`at_risk_shared`: a PoP, a fibre, a
/// mast, a supply feeding several nodes, not just its own last mile), and the worst such failure
/// with the people it cuts off (`worst_id`, `worst_people`). Settlements the intact network does
/// not reach have `reached: false`.
#[utoipa::path(get, path = "/api/resilience/{plan}/settlements", tag = "resilience",
    params(("plan" = String, Path, description = "latest, id, scenario, scenario@version or existing")),
    responses((status = 200, description = "GeoJSON FeatureCollection of points", body = Object),
              (status = 404, body = ErrorBody)))]
async fn settlements(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(selector): Path<String>,
) -> ApiResult<Json<Value>> {
    let net = network(&state, &selector).await?;
    let scope = Scope::of(&user);
    let features: Vec<Value> = net
        .analysis
        .model()
        .elements()
        .iter()
        .enumerate()
        .filter(|&(e, el)| el.demand.is_some() && scope.keeps(&net, e))
        .map(|(e, el)| {
            let risk = net.analysis.settlement_risk(e);
            let a = el.anchor();
            let worst = risk.and_then(|r| r.worst);
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r5(a.x), r5(a.y)]},
                "properties": {
                    "id": el.id,
                    "people": el.people(),
                    "reached": risk.is_some(),
                    "at_risk": risk.is_some_and(|r| r.at_risk),
                    "at_risk_shared": risk.is_some_and(|r| r.shared),
                    "worst_id": worst.map(|w| net.element(w.0).id.clone()),
                    "worst_people": worst.map(|w| w.1),
                },
            })
        })
        .collect();
    Ok(Json(json!({
        "type": "FeatureCollection",
        "plan": net.label,
        "features": features,
    })))
}

/// One settlement: whether it is in the network (`in_network: false` for a registry settlement
/// the network leaves out), whether the intact network reaches it, and every single failure that
/// cuts it off, most people cut off first (each with its network-wide figures).
#[utoipa::path(get, path = "/api/resilience/{plan}/settlements/{id}", tag = "resilience",
    params(("plan" = String, Path, description = "latest, id, scenario, scenario@version or existing"),
           ("id" = String, Path, description = "settlement id")),
    responses((status = 200, description = "{plan, settlement_id, in_network, settlement, reached, at_risk, at_risk_shared, failures}", body = Object),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn settlement(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path((selector, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let net = network(&state, &selector).await?;
    let scope = Scope::of(&user);
    let Some(&s) = net.by_settlement.get(&id) else {
        // A registry settlement the network leaves out (not planned, too far to attach).
        let Some(region) = net.registry_region.get(&id) else {
            return Err(ApiError::not_found(format!(
                "no settlement `{id}` in the registry"
            )));
        };
        if let Scope::Region(r) = &scope
            && region.as_deref() != Some(r.as_str())
        {
            return Err(ApiError::out_of_scope(format!(
                "settlement `{id}` is outside the akimat's region"
            )));
        }
        return Ok(Json(json!({
            "plan": net.label,
            "settlement_id": id,
            "in_network": false,
        })));
    };
    if !scope.keeps(&net, s) {
        return Err(ApiError::out_of_scope(format!(
            "settlement `{id}` is not one of yours"
        )));
    }
    let risk = net.analysis.settlement_risk(s);
    let failures: Vec<Value> = net
        .analysis
        .failures_cutting(s)
        .into_iter()
        .take(200)
        .map(|e| impact_json(&net, e, net.analysis.cut(e)))
        .collect();
    Ok(Json(json!({
        "plan": net.label,
        "settlement_id": id,
        "in_network": true,
        "settlement": net.settlement_json(s),
        "reached": risk.is_some(),
        "at_risk": risk.is_some_and(|r| r.at_risk),
        "at_risk_shared": risk.is_some_and(|r| r.shared),
        "failures": failures,
    })))
}

/// A circle, as a scenario area.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CircleArea {
    /// Centre longitude, degrees.
    pub lon_deg: f64,
    /// Centre latitude, degrees.
    pub lat_deg: f64,
    /// Radius, km.
    pub radius_km: f64,
}

/// Where a power cut or a hazard strikes: exactly one of a region or district code of the
/// registry, a GeoJSON polygon (geometry, feature or feature collection), a box or a circle.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaSpec {
    /// Region or district code (KATO).
    pub code: Option<String>,
    /// GeoJSON Polygon or MultiPolygon (bare, in a Feature or a FeatureCollection).
    #[schema(value_type = Option<Object>)]
    pub geojson: Option<Value>,
    /// `[west, south, east, north]`, degrees.
    pub bbox: Option<Vec<f64>>,
    /// A circle.
    pub circle: Option<CircleArea>,
}

/// A failure scenario.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRequest {
    /// `power` (the grid is down over the area for `hours`; batteries bridge what they can),
    /// `hazard` (a flood or fire: everything in the area is down until `repair_hours`) or
    /// `random` (`k` random elements fail together, `trials` times from `seed`).
    pub kind: String,
    /// The area (power, hazard).
    pub area: Option<AreaSpec>,
    /// Length of the power cut, hours (power).
    pub hours: Option<f64>,
    /// Hours until what the hazard damaged is repaired (hazard; default 24).
    pub repair_hours: Option<f64>,
    /// Elements failing together (random; default 2).
    pub k: Option<usize>,
    /// Trials (random; default 1000, at most 20000).
    pub trials: Option<usize>,
    /// Seed (random; default 1): the same seed gives the same answer.
    pub seed: Option<u64>,
}

async fn scenario_area(
    state: &AppState,
    a: &AreaSpec,
) -> ApiResult<(geo_types::MultiPolygon<f64>, String)> {
    let given = [
        a.code.is_some(),
        a.geojson.is_some(),
        a.bbox.is_some(),
        a.circle.is_some(),
    ]
    .iter()
    .filter(|&&x| x)
    .count();
    if given != 1 {
        return Err(ApiError::invalid(
            "area: give exactly one of code, geojson, bbox or circle",
        ));
    }
    if let Some(code) = &a.code {
        let area = state.store.area(code).await?.ok_or_else(|| {
            ApiError::invalid(format!(
                "area.code: no region or district `{code}` in the registry"
            ))
        })?;
        let name = area.names.display("en").unwrap_or(code).to_string();
        return Ok((area.boundary, format!("{code} ({name})")));
    }
    if let Some(g) = &a.geojson {
        let area = auyl_io::area_from_geojson(g)
            .map_err(|e| ApiError::invalid(format!("area.geojson: {e}")))?;
        return Ok((area, "the polygon given".into()));
    }
    if let Some(b) = &a.bbox {
        let &[w, s, e, n] = b.as_slice() else {
            return Err(ApiError::invalid(
                "area.bbox: four numbers, [west, south, east, north]",
            ));
        };
        let area = bbox_area(w, s, e, n)
            .ok_or_else(|| ApiError::invalid("area.bbox: need west < east and south < north"))?;
        return Ok((area, format!("box {w},{s},{e},{n}")));
    }
    if let Some(c) = &a.circle {
        let centre = auyl_model::LonLat::new(c.lon_deg, c.lat_deg)
            .map_err(|e| ApiError::invalid(format!("area.circle: {e}")))?;
        let area = circle_area(centre, c.radius_km * 1000.0)
            .ok_or_else(|| ApiError::invalid("area.circle: the radius must be positive"))?;
        return Ok((
            area,
            format!("{} km around {},{}", c.radius_km, c.lon_deg, c.lat_deg),
        ));
    }
    Err(ApiError::invalid("area: missing"))
}

/// Runs a failure scenario on a plan's network: a power cut over an area for some hours
/// (batteries bridge what they can), a flood or fire over an area (everything in it down until
/// repaired), or k random failures (Monte Carlo, seeded, with a 95 % confidence interval). Power
/// and hazard answer who is cut off, from when, for how long, and the timeline; figures count the
/// caller's settlements. Nothing is stored.
#[utoipa::path(post, path = "/api/resilience/{plan}/scenario", tag = "resilience",
    params(("plan" = String, Path, description = "latest, id, scenario, scenario@version or existing")),
    request_body = ScenarioRequest,
    responses((status = 200, description = "{plan, scenario, area, result, settlements_cut_off, elements_down}", body = Object),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn scenario(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(selector): Path<String>,
    Json(req): Json<ScenarioRequest>,
) -> ApiResult<Json<Value>> {
    let scope = Scope::of(&user);
    let hours = |name: &str, v: Option<f64>, default: Option<f64>| -> ApiResult<f64> {
        let h = v.or(default).ok_or_else(|| {
            ApiError::invalid(format!("{name}: needed for a {} scenario", req.kind))
        })?;
        if !(h.is_finite() && (0.0..=24.0 * 365.0).contains(&h)) {
            return Err(ApiError::invalid(format!(
                "{name}: {h} is not a number of hours between 0 and a year"
            )));
        }
        Ok(h)
    };
    match req.kind.as_str() {
        "power" | "hazard" => {
            let spec = req
                .area
                .as_ref()
                .ok_or_else(|| ApiError::invalid("area: needed for a power or hazard scenario"))?;
            let h = if req.kind == "power" {
                hours("hours", req.hours, None)?
            } else {
                hours("repair_hours", req.repair_hours, Some(24.0))?
            };
            let (area, area_name) = scenario_area(&state, spec).await?;
            let net = network(&state, &selector).await?;
            let power = req.kind == "power";
            let n2 = net.clone();
            let scope2 = scope.clone();
            let (result, down) = tokio::task::spawn_blocking(move || {
                let m = n2.analysis.model();
                let outs: Vec<Outage> = if power {
                    power_outages(m, &area, h)?
                } else {
                    hazard_outages(m, &area, h)?
                };
                let r = evaluate_where(m, &outs, &|e| scope2.keeps(&n2, e))?;
                Ok::<_, ResilienceError>((r, outs))
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(resilience_err)?;
            let listed: Vec<Value> = result
                .settlements
                .iter()
                .take(MAX_LISTED)
                .map(|l| {
                    let mut v = net.settlement_json(l.element);
                    if let Some(o) = v.as_object_mut() {
                        o.insert("from_h".into(), json!(l.from_h));
                        o.insert("until_h".into(), json!(l.until_h));
                        o.insert("hours".into(), json!(l.hours));
                    }
                    v
                })
                .collect();
            let mut down_ids: Vec<&str> = down
                .iter()
                .map(|o| net.element(o.element).id.as_str())
                .collect();
            down_ids.sort_unstable();
            down_ids.dedup();
            Ok(Json(json!({
                "plan": net.label,
                "scenario": req.kind,
                "area": area_name,
                "hours": h,
                "result": {
                    "elements_down": result.elements_down,
                    "settlements_cut_off": result.settlements_cut_off,
                    "people_cut_off": result.people_cut_off,
                    "peak_people": result.peak_people,
                    "people_hours": result.people_hours,
                    "longest_h": result.longest_h,
                    "timeline": result.timeline,
                },
                "settlements_cut_off": listed,
                "elements_failing": down_ids.len(),
                "elements_failing_ids": down_ids.into_iter().take(MAX_LISTED).collect::<Vec<_>>(),
            })))
        }
        "random" => {
            let k = req.k.unwrap_or(2);
            let trials = req.trials.unwrap_or(1000);
            if trials > 20_000 {
                return Err(ApiError::invalid("trials: at most 20000"));
            }
            let net = network(&state, &selector).await?;
            let opts = MonteCarloOptions {
                k,
                trials,
                seed: req.seed.unwrap_or(1),
                kinds: Vec::new(),
                repair: RepairTimes::default(),
            };
            let n2 = net.clone();
            let result = tokio::task::spawn_blocking(move || {
                monte_carlo_where(n2.analysis.model(), &opts, &|e| scope.keeps(&n2, e))
            })
            .await
            .map_err(ApiError::internal)?
            .map_err(resilience_err)?;
            Ok(Json(json!({
                "plan": net.label,
                "scenario": "random",
                "repair_h": RepairTimes::default(),
                "result": result,
            })))
        }
        other => Err(ApiError::invalid(format!(
            "kind: `{other}` is not power, hazard or random"
        ))),
    }
}

/// Options of a redundancy proposal.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RedundancyQuery {
    /// Settlements with at least this many people must survive any single failure (default 1000).
    pub min_people: Option<u64>,
    /// Power cuts up to this long must not cut them off, hours of battery (default 8).
    pub design_outage_h: Option<f64>,
    /// Fibre per km, US dollars (default 12,000).
    pub fibre_usd_per_km: Option<f64>,
    /// A backup microwave hop, US dollars (default 60,000).
    pub hop_usd: Option<f64>,
    /// Follow the registry's roads for ring closures (default true).
    pub roads: Option<bool>,
}

/// The cheapest additions (fibre ring closures along roads, backup microwave hops, batteries)
/// keeping every settlement above a population connected after any single failure, with the
/// cost versus people-protected curve, a lower bound and the gap; additions also as GeoJSON for
/// the map. Computed once per network and options. Backup hops pass the Fresnel check over the
/// server's terrain (`auyl serve --dem`); without terrain they are proposed unchecked and say so.
#[utoipa::path(get, path = "/api/resilience/{plan}/redundancy", tag = "resilience",
    params(("plan" = String, Path, description = "latest, id, scenario, scenario@version or existing"), RedundancyQuery),
    responses((status = 200, description = "{plan, options, roads, redundancy, additions}", body = Object),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn redundancy(
    State(state): State<AppState>,
    Path(selector): Path<String>,
    Query(q): Query<RedundancyQuery>,
) -> ApiResult<Json<Value>> {
    let d = RedundancyOptions::default();
    let opts = RedundancyOptions {
        min_people: q.min_people.unwrap_or(d.min_people),
        design_outage_h: q.design_outage_h.unwrap_or(d.design_outage_h),
        fibre_usd_per_km: q.fibre_usd_per_km.unwrap_or(d.fibre_usd_per_km),
        microwave_hop_usd: q.hop_usd.unwrap_or(d.microwave_hop_usd),
        ..d
    };
    let use_roads = q.roads.unwrap_or(true);
    let key = format!(
        "{}|{}|{}|{}|{use_roads}",
        opts.min_people, opts.design_outage_h, opts.fibre_usd_per_km, opts.microwave_hop_usd
    );
    let net = network(&state, &selector).await?;
    if let Some(v) = net
        .redundancy
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
    {
        return Ok(Json((**v).clone()));
    }
    let roads = if use_roads {
        state.store.load_layers(&[Layer::Roads]).await?.roads
    } else {
        Vec::new()
    };
    let n2 = net.clone();
    let terrain = state.config.terrain.clone();
    let with_dem = terrain.is_some();
    let (plan, with_roads) = tokio::task::spawn_blocking(move || {
        let g = road_graph(&roads)?;
        let p = propose(n2.analysis.model(), g.as_ref(), terrain.as_deref(), &opts)?;
        Ok::<_, ResilienceError>((p, g.is_some()))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(resilience_err)?;
    let additions: Vec<Value> = plan
        .additions
        .iter()
        .filter_map(|a| {
            use auyl_resilience::redundancy::AdditionKind as K;
            let m = net.analysis.model();
            let at = |id: &str| m.find(id).map(|e| net.element(e).anchor());
            let (geometry, kind) = match &a.addition {
                K::FibreRing { geometry, .. } => {
                    (geometry_json(&Geometry::LineString(geometry.clone())), "fibre_ring")
                }
                K::MicrowaveHop { from, to, .. } => {
                    let (f, t) = (at(from)?, at(to)?);
                    (
                        json!({"type": "LineString", "coordinates": [[r5(f.x), r5(f.y)], [r5(t.x), r5(t.y)]]}),
                        "microwave_hop",
                    )
                }
                K::Battery { element, .. } => {
                    let p = at(element)?;
                    (json!({"type": "Point", "coordinates": [r5(p.x), r5(p.y)]}), "battery")
                }
            };
            Some(json!({"type": "Feature", "geometry": geometry,
                "properties": {"addition": kind, "cost_usd": a.cost_usd, "reason": a.reason}}))
        })
        .collect();
    let v = Arc::new(json!({
        "plan": net.label,
        "options": opts,
        "roads": with_roads,
        "dem": with_dem,
        "redundancy": plan,
        "additions": {"type": "FeatureCollection", "features": additions},
    }));
    net.redundancy
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, v.clone());
    Ok(Json((*v).clone()))
}

/// The weekly report's resilience section: the latest plan's worst single points of failure and
/// people at risk by region (`None`: no plan stored).
pub(crate) async fn latest_risk_summary(state: &AppState) -> ApiResult<Option<RiskSummary>> {
    if state.store.plans().await.map_err(store_err)?.is_empty() {
        return Ok(None);
    }
    let net = network(state, "latest").await?;
    let region: HashMap<String, String> = net
        .places
        .iter()
        .enumerate()
        .filter_map(|(e, p)| Some((net.element(e).id.clone(), p.as_ref()?.region.clone()?)))
        .collect();
    tokio::task::spawn_blocking(move || {
        Some(
            net.analysis
                .risk_summary(&net.label, &|id| region.get(id).cloned(), REPORT_WORST),
        )
    })
    .await
    .map_err(ApiError::internal)
}

/// The resilience domain's endpoints.
pub(crate) fn routes(r: Routes) -> Routes {
    r.add(Access::SIGNED_IN, routes!(summary))
        .add(Access::SIGNED_IN, routes!(spof))
        .add(Access::SIGNED_IN, routes!(elements))
        .add(Access::SIGNED_IN, routes!(element))
        .add(Access::SIGNED_IN, routes!(settlements))
        .add(Access::SIGNED_IN, routes!(settlement))
        .add(Access::SIGNED_IN, routes!(scenario))
        .add(REPORT_READERS, routes!(redundancy))
}
