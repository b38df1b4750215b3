//! The registry domain: settlements and regions as GeoJSON for the map, one settlement, the
//! summary, organisations, layer counts, and import/export of registry files.
//!
//! Scope: an akimat officer sees its own region only (settlements, summary); everyone else
//! signed in sees the whole registry. Imports and exports are for the ministry.

use crate::AppState;
use crate::api::{Access, Routes};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, ErrorBody, Json, Path, Query};
use auyl_io::ImportOptions;
use auyl_model::{
    AdminArea, Layer, LayerCounts, Names, Record, Settlement, SettlementKind, assign_areas,
    summarise,
};
use auyl_store::{ImportRun, Role, User, WriteMode};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

/// Settlements farther than this from every boundary keep no area when placed by location (m).
const AREA_TOLERANCE_M: f64 = 5_000.0;
/// Largest registry file accepted by the import endpoint (bytes).
pub const MAX_IMPORT_BYTES: usize = 256 * 1024 * 1024;
/// Row errors listed in a rejected import's details.
const MAX_ROW_ERRORS: usize = 100;

/// The region an akimat officer is confined to; None for roles that see the whole country.
fn region_scope(user: &User) -> Option<&str> {
    match user.role {
        Role::AkimatOfficer => Some(user.region_code.as_deref().unwrap_or("")),
        _ => None,
    }
}

fn names_json(n: &Names) -> Value {
    json!({ "kk": n.kk, "ru": n.ru, "en": n.en, "local": n.local })
}

/// Rounds degrees to 1e-5 (about a metre): shorter JSON, no visible change.
fn r5(x: f64) -> f64 {
    (x * 1e5).round() / 1e5
}

fn multipolygon_json(mp: &MultiPolygon<f64>) -> Value {
    let polys: Vec<Value> =
        mp.0.iter()
            .map(|p| {
                let rings: Vec<Value> = std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|ring| {
                        Value::Array(ring.coords().map(|c| json!([r5(c.x), r5(c.y)])).collect())
                    })
                    .collect();
                Value::Array(rings)
            })
            .collect();
    json!({ "type": "MultiPolygon", "coordinates": polys })
}

async fn settlements(state: &AppState) -> ApiResult<Vec<Settlement>> {
    Ok(state
        .store
        .load(Layer::Settlements)
        .await?
        .into_iter()
        .filter_map(Record::into_settlement)
        .collect())
}

async fn areas(state: &AppState, layer: Layer) -> ApiResult<Vec<AdminArea>> {
    Ok(state
        .store
        .load(layer)
        .await?
        .into_iter()
        .filter_map(Record::into_area)
        .collect())
}

/// Filters of the settlements layer.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SettlementFilter {
    /// Region code (an akimat officer may only give its own).
    pub region: Option<String>,
    /// District code.
    pub district: Option<String>,
    /// Kinds, comma-separated (`village,hamlet`).
    pub kind: Option<String>,
    /// Text to find in any name, the id or the official code (case-insensitive).
    pub q: Option<String>,
    /// Smallest population (people; settlements without a figure are left out).
    pub min_population: Option<u32>,
    /// Largest number of features returned.
    pub limit: Option<usize>,
}

fn matches(s: &Settlement, f: &SettlementFilter, kinds: &Option<Vec<SettlementKind>>) -> bool {
    if let Some(r) = &f.region
        && s.region_code.as_deref() != Some(r.as_str())
    {
        return false;
    }
    if let Some(d) = &f.district
        && s.district_code.as_deref() != Some(d.as_str())
    {
        return false;
    }
    if let Some(k) = kinds
        && !k.contains(&s.kind)
    {
        return false;
    }
    if let Some(min) = f.min_population
        && s.population.as_ref().is_none_or(|p| p.people < min)
    {
        return false;
    }
    if let Some(q) = &f.q {
        let q = q.trim().to_lowercase();
        if !q.is_empty() {
            let n = &s.names;
            let hit = [&n.local, &n.kk, &n.ru, &n.en, &s.official_code]
                .into_iter()
                .flatten()
                .chain(std::iter::once(&s.id.0))
                .any(|t| t.to_lowercase().contains(&q));
            if !hit {
                return false;
            }
        }
    }
    true
}

fn settlement_properties(s: &Settlement) -> Value {
    json!({
        "id": s.id.0,
        "name": s.names.display("en"),
        "name_kk": s.names.kk.as_deref().or(s.names.local.as_deref()),
        "name_ru": s.names.ru.as_deref().or(s.names.local.as_deref()),
        "name_en": s.names.en.as_deref().or(s.names.local.as_deref()),
        "kind": s.kind.as_str(),
        "population": s.population.as_ref().map(|p| p.people),
        "population_estimated": s.population.as_ref().map(|p| p.estimated),
        "region_code": s.region_code,
        "district_code": s.district_code,
    })
}

/// Settlements as a GeoJSON FeatureCollection of points (WGS84), filtered.
#[utoipa::path(get, path = "/api/settlements", tag = "registry", params(SettlementFilter),
    responses((status = 200, description = "GeoJSON FeatureCollection", body = Object),
              (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_settlements(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(mut filter): Query<SettlementFilter>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(own) = region_scope(&user) {
        match &filter.region {
            Some(r) if r != own => {
                return Err(ApiError::out_of_scope(format!(
                    "an akimat officer sees only its region ({own})"
                )));
            }
            _ => filter.region = Some(own.to_string()),
        }
    }
    let kinds = match &filter.kind {
        Some(k) => Some(
            k.split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    SettlementKind::parse(s.trim())
                        .ok_or_else(|| ApiError::invalid(format!("kind: unknown kind `{s}`")))
                })
                .collect::<ApiResult<Vec<_>>>()?,
        ),
        None => None,
    };
    let key = format!(
        "settlements?{}",
        json!([
            filter.region,
            filter.district,
            filter.kind,
            filter.q,
            filter.min_population,
            filter.limit
        ])
    );
    let version = registry_version(&state).await?;
    let st = state.clone();
    state
        .responses
        .json(key, version, &headers, || async move {
            let limit = filter.limit.unwrap_or(usize::MAX);
            let all = settlements(&st).await?;
            let total = all.len();
            let features: Vec<Value> = all
                .iter()
                .filter(|s| matches(s, &filter, &kinds))
                .take(limit)
                .map(|s| {
                    json!({
                        "type": "Feature",
                        "id": s.id.0,
                        "geometry": { "type": "Point",
                                      "coordinates": [r5(s.location.lon_deg), r5(s.location.lat_deg)] },
                        "properties": settlement_properties(s),
                    })
                })
                .collect();
            Ok(json!({
                "type": "FeatureCollection",
                "features": features,
                "total_in_registry": total,
            }))
        })
        .await
}

/// The registry's version as a cache key part (see `cache`).
pub(crate) async fn registry_version(state: &AppState) -> ApiResult<String> {
    state
        .versions
        .get("registry", || async {
            Ok(format!(
                "registry:{}",
                state.store.registry_version().await?
            ))
        })
        .await
}

/// One settlement, with the names of its region and district.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettlementDetail {
    /// Id (the registry key).
    pub id: String,
    /// Official code (KATO) when known.
    pub official_code: Option<String>,
    /// Names: `local`, `kk`, `ru`, `en`.
    #[schema(value_type = Object)]
    pub names: Value,
    /// Kind (`village`, `hamlet`, …).
    pub kind: String,
    /// Longitude, degrees east (WGS84).
    pub lon_deg: f64,
    /// Latitude, degrees north (WGS84).
    pub lat_deg: f64,
    /// Population (people) when reported or estimated.
    pub population: Option<u32>,
    /// Year of the population figure.
    pub population_year: Option<u16>,
    /// Source of the population figure.
    pub population_source: Option<String>,
    /// Whether the population was estimated by auyl.
    pub population_estimated: Option<bool>,
    /// Region code.
    pub region_code: Option<String>,
    /// Region names.
    #[schema(value_type = Object)]
    pub region_names: Option<Value>,
    /// District code.
    pub district_code: Option<String>,
    /// District names.
    #[schema(value_type = Object)]
    pub district_names: Option<Value>,
}

/// One settlement.
#[utoipa::path(get, path = "/api/settlements/{id}", tag = "registry",
    params(("id" = String, Path, description = "settlement id")),
    responses((status = 200, body = SettlementDetail), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
async fn get_settlement(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<SettlementDetail>> {
    let s = settlements(&state)
        .await?
        .into_iter()
        .find(|s| s.id.0 == id)
        .ok_or_else(|| ApiError::not_found(format!("no settlement `{id}`")))?;
    if let Some(own) = region_scope(&user)
        && s.region_code.as_deref() != Some(own)
    {
        return Err(ApiError::out_of_scope(format!(
            "settlement `{id}` is outside the akimat's region ({own})"
        )));
    }
    let find = |areas: Vec<AdminArea>, code: &Option<String>| {
        code.as_ref().and_then(|c| {
            areas
                .into_iter()
                .find(|a| a.code.0 == *c)
                .map(|a| names_json(&a.names))
        })
    };
    let region_names = find(areas(&state, Layer::Regions).await?, &s.region_code);
    let district_names = find(areas(&state, Layer::Districts).await?, &s.district_code);
    Ok(Json(SettlementDetail {
        id: s.id.0.clone(),
        official_code: s.official_code.clone(),
        names: names_json(&s.names),
        kind: s.kind.as_str().to_string(),
        lon_deg: s.location.lon_deg,
        lat_deg: s.location.lat_deg,
        population: s.population.as_ref().map(|p| p.people),
        population_year: s.population.as_ref().and_then(|p| p.year),
        population_source: s.population.as_ref().map(|p| p.source.clone()),
        population_estimated: s.population.as_ref().map(|p| p.estimated),
        region_code: s.region_code.clone(),
        region_names,
        district_code: s.district_code.clone(),
        district_names,
    }))
}

/// Region boundaries as a GeoJSON FeatureCollection of multipolygons (WGS84).
#[utoipa::path(get, path = "/api/regions", tag = "registry",
    responses((status = 200, description = "GeoJSON FeatureCollection", body = Object)))]
async fn list_regions(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let version = registry_version(&state).await?;
    let st = state.clone();
    state
        .responses
        .json("regions".into(), version, &headers, || async move {
            regions_geojson(&st).await
        })
        .await
}

async fn regions_geojson(state: &AppState) -> ApiResult<Value> {
    let features: Vec<Value> = areas(state, Layer::Regions)
        .await?
        .iter()
        .map(|a| {
            json!({
                "type": "Feature",
                "id": a.code.0,
                "geometry": multipolygon_json(&a.boundary),
                "properties": {
                    "code": a.code.0,
                    "name_kk": a.names.display("kk"),
                    "name_ru": a.names.display("ru"),
                    "name_en": a.names.display("en"),
                },
            })
        })
        .collect();
    Ok(json!({ "type": "FeatureCollection", "features": features }))
}

/// An organisation of the programme.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganisationView {
    /// Id (`kazakhtelecom`, `akimat:110000000`).
    pub id: String,
    /// `operator`, `akimat`, `ministry` or `other`.
    pub kind: String,
    /// Names.
    #[schema(value_type = Object)]
    pub names: Value,
    /// Region code, for akimats.
    pub region_code: Option<String>,
}

/// The organisations of the programme (operators, akimats, the ministry).
#[utoipa::path(get, path = "/api/organisations", tag = "registry",
    responses((status = 200, body = Vec<OrganisationView>)))]
async fn list_organisations(
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<OrganisationView>>> {
    let out = state
        .store
        .load(Layer::Organisations)
        .await?
        .into_iter()
        .filter_map(|r| match r {
            Record::Org(o) => Some(OrganisationView {
                id: o.id.0.clone(),
                kind: o.kind.as_str().to_string(),
                names: names_json(&o.names),
                region_code: o.region_code.clone(),
            }),
            _ => None,
        })
        .collect();
    Ok(Json(out))
}

/// A registry layer and how many records it holds.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LayerInfo {
    /// Layer name (`settlements`, `regions`, …).
    pub layer: String,
    /// Records stored.
    pub count: u64,
    /// Canonical fields (the columns an import recognises).
    pub fields: Vec<String>,
}

/// The registry layers, their record counts and fields.
#[utoipa::path(get, path = "/api/registry/layers", tag = "registry",
    responses((status = 200, body = Vec<LayerInfo>)))]
async fn list_layers(State(state): State<AppState>) -> ApiResult<Json<Vec<LayerInfo>>> {
    let mut out = Vec::new();
    for layer in Layer::ALL {
        out.push(LayerInfo {
            layer: layer.as_str().to_string(),
            count: state.store.count(layer).await?,
            fields: layer.fields().iter().map(|f| f.name.to_string()).collect(),
        });
    }
    Ok(Json(out))
}

async fn layer_counts(state: &AppState) -> ApiResult<LayerCounts> {
    let s = &state.store;
    Ok(LayerCounts {
        regions: s.count(Layer::Regions).await?,
        districts: s.count(Layer::Districts).await?,
        roads: s.count(Layer::Roads).await?,
        power: s.count(Layer::Power).await?,
        masts: s.count(Layer::Masts).await?,
        backbone_nodes: s.count(Layer::BackboneNodes).await?,
        fibre_routes: s.count(Layer::FibreRoutes).await?,
        organisations: s.count(Layer::Organisations).await?,
    })
}

/// Settlements and people by region and what the data lacks (an akimat officer: its region).
#[utoipa::path(get, path = "/api/registry/summary", tag = "registry",
    responses((status = 200, description = "auyl_model::RegistrySummary", body = Object)))]
async fn summary(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> ApiResult<Json<Value>> {
    let mut settlements = settlements(&state).await?;
    let mut regions = areas(&state, Layer::Regions).await?;
    if let Some(own) = region_scope(&user) {
        settlements.retain(|s| s.region_code.as_deref() == Some(own));
        regions.retain(|r| r.code.0 == own);
    }
    let counts = layer_counts(&state).await?;
    let s = summarise(&settlements, &regions, counts, None);
    Ok(Json(serde_json::to_value(&s).map_err(ApiError::internal)?))
}

fn parse_layer(name: &str) -> ApiResult<Layer> {
    Layer::parse(name).ok_or_else(|| {
        ApiError::not_found(format!(
            "no registry layer `{name}` ({})",
            Layer::ALL.map(|l| l.as_str()).join(", ")
        ))
    })
}

/// Export format.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv`, `geojson`, `xlsx` or `gpkg`.
    pub format: String,
}

/// Download a registry layer as CSV, GeoJSON, XLSX or GeoPackage.
#[utoipa::path(get, path = "/api/registry/{layer}/export", tag = "registry",
    params(("layer" = String, Path, description = "layer name"), ExportQuery),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn export_layer(
    State(state): State<AppState>,
    Path(layer): Path<String>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let layer = parse_layer(&layer)?;
    let (ext, mime) = match q.format.as_str() {
        "csv" => ("csv", "text/csv; charset=utf-8"),
        "geojson" => ("geojson", "application/geo+json"),
        "xlsx" => (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "gpkg" => ("gpkg", "application/geopackage+sqlite3"),
        other => {
            return Err(ApiError::invalid(format!(
                "format: `{other}` is not one of csv, geojson, xlsx, gpkg"
            )));
        }
    };
    let records = state.store.load(layer).await?;
    let name = format!("{}.{ext}", layer.as_str());
    crate::files::made_file(name, mime, move |path| {
        auyl_io::export_file(path, layer, &records).map_err(|e| e.to_string())
    })
    .await
}

/// How to import an uploaded file.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name; its extension gives the format (`.csv`, `.xlsx`, `.geojson`, `.gpkg`).
    pub filename: String,
    /// Import the good rows and report the bad ones instead of rejecting the file.
    #[serde(default)]
    pub skip_invalid: bool,
    /// Compute the difference only; write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A row that could not be imported.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RowErrorView {
    /// Row as a spreadsheet shows it (header = 1), or feature number from 1.
    pub row: usize,
    /// Field or column.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportResult {
    /// Layer.
    pub layer: String,
    /// Format detected.
    pub format: String,
    /// Good rows read.
    pub read: u64,
    /// Rows skipped (with `skip_invalid`).
    pub rejected: Vec<RowErrorView>,
    /// Records added.
    pub added: u64,
    /// Records changed.
    pub changed: u64,
    /// Records unchanged.
    pub unchanged: u64,
    /// Whether nothing was written.
    pub dry_run: bool,
}

fn row_errors(rejects: &[auyl_io::RowError]) -> Vec<RowErrorView> {
    rejects
        .iter()
        .take(MAX_ROW_ERRORS)
        .map(|e| RowErrorView {
            row: e.row,
            field: e.field.clone(),
            message: e.message.clone(),
        })
        .collect()
}

/// Upload a registry file (the request body) into a layer: an upsert on the layer's key in one
/// transaction. A file with bad rows is rejected whole (422 `invalid_rows`, the rows in
/// `details`) unless `skip_invalid`.
#[utoipa::path(post, path = "/api/registry/{layer}/import", tag = "registry",
    params(("layer" = String, Path, description = "layer name"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = ImportResult), (status = 404, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn import_layer(
    State(state): State<AppState>,
    Path(layer): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportResult>> {
    let layer = parse_layer(&layer)?;
    let file = std::path::Path::new(&q.filename)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| {
            n.rsplit_once('.').is_some_and(|(stem, _)| !stem.is_empty())
                && n.chars().all(|c| c.is_alphanumeric() || "._- ".contains(c))
        })
        .ok_or_else(|| ApiError::invalid("filename: a plain file name with an extension"))?;
    let skip_invalid = q.skip_invalid;
    let src = file.clone();
    let import = tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().map_err(|e| ApiError::internal(e.to_string()))?;
        let path = dir.path().join(&src);
        std::fs::write(&path, &body).map_err(|e| ApiError::internal(e.to_string()))?;
        // Bad rows are always collected, so that a refusal can list them.
        let opts = ImportOptions {
            skip_invalid: true,
            ..ImportOptions::default()
        };
        auyl_io::import_file(&path, layer, &opts).map_err(|e| {
            ApiError::invalid(e.to_string().replace(&*dir.path().to_string_lossy(), ""))
        })
    })
    .await
    .map_err(ApiError::internal)??;
    if !import.rejects.is_empty() && !skip_invalid {
        let mut e = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rows",
            format!(
                "{} rows are not valid; nothing was imported",
                import.rejects.len()
            ),
        );
        e.details = Some(json!({ "rows": row_errors(&import.rejects) }));
        return Err(e);
    }
    let mut records: Vec<Record> = import.records.into_iter().map(|(_, r)| r).collect();
    if layer == Layer::Settlements {
        let mut all = areas(&state, Layer::Regions).await?;
        all.extend(areas(&state, Layer::Districts).await?);
        let mut s: Vec<Settlement> = records
            .into_iter()
            .filter_map(Record::into_settlement)
            .collect();
        if !all.is_empty() {
            assign_areas(&mut s, &all, AREA_TOLERANCE_M);
        }
        records = s.into_iter().map(Record::Settlement).collect();
    }
    let at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(ApiError::internal)?;
    let mode = if q.dry_run {
        WriteMode::DryRun
    } else {
        WriteMode::Write
    };
    let diff = state
        .store
        .import(
            layer,
            &records,
            &ImportRun {
                source: &file,
                at: &at,
                mode,
                progress: &|_| {},
            },
        )
        .await?;
    Ok(Json(ImportResult {
        layer: layer.as_str().to_string(),
        format: import.format,
        read: records.len() as u64,
        rejected: row_errors(&import.rejects),
        added: diff.added,
        changed: diff.changed,
        unchanged: diff.unchanged,
        dry_run: q.dry_run,
    }))
}

/// The registry domain's endpoints.
pub(crate) fn routes(r: Routes) -> Routes {
    let (schemas, paths, import) = routes!(import_layer);
    let import = import.layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES));
    r.add(Access::SIGNED_IN, routes!(list_settlements))
        .add(Access::SIGNED_IN, routes!(get_settlement))
        .add(Access::SIGNED_IN, routes!(list_regions))
        .add(Access::SIGNED_IN, routes!(list_organisations))
        .add(Access::SIGNED_IN, routes!(list_layers))
        .add(Access::SIGNED_IN, routes!(summary))
        .add(Access::MINISTRY, routes!(export_layer))
        .add(Access::MINISTRY, (schemas, paths, import))
}
