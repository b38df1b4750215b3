//! Planning runs started from the browser: the planner over the stored registry and the server's
//! terrain, with a scenario (a preset with a few choices, or a whole scenario file), stored as
//! the next version of that scenario when it finishes; and a stored plan's exports (workbook,
//! GeoPackage, GeoJSON, HTML report).
//!
//! A run takes both cores for a minute on a national registry, so one runs at a time; its
//! progress (stage, done of total) is polled. A run the server is stopped in the middle of
//! stores nothing: the plan is saved in one transaction at the end.

use crate::AppState;
use crate::api::{Access, Routes};
use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, ErrorBody, Json, Path, Query};
use auyl_model::Layer;
use auyl_plan::{Mode, PlanInputs, Progress, Scenario, SolveOptions};
use auyl_store::PlanMeta;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Instant;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

/// Runs remembered (the newest).
const KEPT_JOBS: usize = 20;
/// Largest scenario file accepted, bytes.
const MAX_SCENARIO_BYTES: usize = 256 * 1024;

/// A planning run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanJob {
    /// Number of the run (since the server started).
    pub id: u64,
    /// `running`, `done` or `failed`.
    pub state: String,
    /// The planner's stage (`targets`, `fibre routes`, `village options`, `coverage`, `greedy`,
    /// `mip`, `phasing`, `output`, then `storing`).
    pub stage: String,
    /// Units of the stage done.
    pub done: usize,
    /// Units in the stage.
    pub total: usize,
    /// Scenario name.
    pub scenario: String,
    /// `min_cost` or `max_people`.
    pub mode: String,
    /// Who started it.
    pub started_by: String,
    /// Seconds since it started (until it ended).
    pub elapsed_s: f64,
    /// The stored plan (`central@3`), when done.
    pub plan: Option<String>,
    /// Settlements served and unserved, people connected, net present cost (USD), when done.
    #[schema(value_type = Option<Object>)]
    pub totals: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<String>,
}

/// The runs of this server and when each started.
#[derive(Default)]
pub(crate) struct Jobs {
    next_id: u64,
    runs: Vec<(PlanJob, Instant)>,
}

fn with_job(jobs: &Mutex<Jobs>, id: u64, f: impl FnOnce(&mut PlanJob, Instant)) {
    let mut g = jobs.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((j, started)) = g.runs.iter_mut().find(|(j, _)| j.id == id) {
        let started = *started;
        f(j, started);
        j.elapsed_s = started.elapsed().as_secs_f64();
    }
}

/// A planning run to start: a preset with a few choices, or a whole scenario file.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunPlan {
    /// A whole scenario (TOML, as `auyl plan scenario` writes it); the fields below override it.
    pub scenario_toml: Option<String>,
    /// Preset when no scenario is given: `low`, `central` (default) or `high`.
    pub preset: Option<String>,
    /// `min_cost` or `max_people`.
    pub mode: Option<String>,
    /// Scenario name (the plan is stored as its next version).
    pub name: Option<String>,
    /// Smallest population of a target settlement, people.
    pub min_population: Option<u32>,
    /// Time limit of the solver, seconds (default 50).
    pub time_limit_s: Option<f64>,
}

/// The scenario of a request, validated; its text is what gets stored with the plan.
fn scenario_of(req: &RunPlan) -> ApiResult<(Scenario, String)> {
    let mut sc = match &req.scenario_toml {
        Some(text) if text.len() > MAX_SCENARIO_BYTES => {
            return Err(ApiError::invalid(format!(
                "scenario_toml: larger than {MAX_SCENARIO_BYTES} bytes"
            )));
        }
        Some(text) => Scenario::from_toml_str(text, "scenario_toml")
            .map_err(|e| ApiError::invalid(e.to_string()))?,
        None => Scenario::preset(req.preset.as_deref().unwrap_or("central"))
            .map_err(|e| ApiError::invalid(format!("preset: {e}")))?,
    };
    if let Some(m) = &req.mode {
        sc.mode = match m.as_str() {
            "min_cost" => Mode::MinCost,
            "max_people" => Mode::MaxPeople,
            other => {
                return Err(ApiError::invalid(format!(
                    "mode: `{other}` (expected min_cost or max_people)"
                )));
            }
        };
    }
    if let Some(n) = &req.name {
        let n = n.trim();
        if n.is_empty() || n.len() > 64 || n.contains('@') {
            return Err(ApiError::invalid(
                "name: 1 to 64 characters, without `@` (it names versions: central@2)",
            ));
        }
        sc.name = n.to_string();
    }
    if let Some(p) = req.min_population {
        sc.targets.min_population = p;
    }
    let text = sc
        .to_toml_string()
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    Ok((sc, text))
}

/// Starts a planning run over the stored registry; answers at once with the run to poll. One
/// run at a time (409 `busy` while another runs).
#[utoipa::path(post, path = "/api/plans/runs", tag = "plans", request_body = RunPlan,
    responses((status = 202, body = PlanJob), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn start_run(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Json(req): Json<RunPlan>,
) -> ApiResult<Response> {
    let (sc, text) = scenario_of(&req)?;
    let time_limit_s = req.time_limit_s.unwrap_or(50.0);
    if !(1.0..=3600.0).contains(&time_limit_s) {
        return Err(ApiError::invalid("time_limit_s: 1 to 3600 seconds"));
    }
    if state.store.count(Layer::Settlements).await? == 0 {
        return Err(ApiError::invalid(
            "the registry has no settlements: import some first",
        ));
    }
    let job = {
        let mut g = state.plan_jobs.lock().unwrap_or_else(|p| p.into_inner());
        if g.runs.iter().any(|(j, _)| j.state == "running") {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "busy",
                "a planning run is in progress: wait for it to finish",
            ));
        }
        g.next_id += 1;
        let job = PlanJob {
            id: g.next_id,
            state: "running".into(),
            stage: "loading".into(),
            done: 0,
            total: 0,
            scenario: sc.name.clone(),
            mode: sc.mode.as_str().to_string(),
            started_by: user.name.clone(),
            elapsed_s: 0.0,
            plan: None,
            totals: None,
            error: None,
        };
        g.runs.push((job.clone(), Instant::now()));
        let excess = g.runs.len().saturating_sub(KEPT_JOBS);
        g.runs.drain(..excess);
        job
    };
    let id = job.id;
    let st = state.clone();
    tokio::spawn(async move {
        let outcome = run(&st, id, sc, text, &user.name, time_limit_s).await;
        with_job(&st.plan_jobs, id, |j, _| match outcome {
            Ok((label, totals)) => {
                j.state = "done".into();
                j.plan = Some(label);
                j.totals = Some(totals);
            }
            Err(e) => {
                tracing::warn!("planning run {id}: {}", e.message);
                j.state = "failed".into();
                j.error = Some(e.message);
            }
        });
    });
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

async fn run(
    state: &AppState,
    id: u64,
    sc: Scenario,
    text: String,
    user: &str,
    time_limit_s: f64,
) -> ApiResult<(String, serde_json::Value)> {
    let reg = state.store.load_layers(&Layer::ALL).await?;
    let terrain = state.config.terrain.clone();
    let jobs = state.plan_jobs.clone();
    let plan = tokio::task::spawn_blocking(move || {
        let inputs = PlanInputs::from_registry(&reg, terrain.as_deref());
        let started = Instant::now();
        let clock = move || started.elapsed().as_secs_f64();
        let opts = SolveOptions {
            time_limit_s,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
            clock: Some(&clock),
            ..SolveOptions::default()
        };
        let progress = |p: Progress| {
            with_job(&jobs, id, |j, _| {
                j.stage = p.stage.to_string();
                j.done = p.done;
                j.total = p.total;
            });
        };
        auyl_plan::plan(&inputs, &sc, &opts, &progress)
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::invalid(format!("planning: {e}")))?;
    with_job(&state.plan_jobs, id, |j, _| {
        j.stage = "storing".into();
        j.done = 0;
        j.total = 1;
    });
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(ApiError::internal)?;
    let saved = state
        .store
        .save_plan(
            &plan,
            &PlanMeta {
                created_at: &now,
                created_by: Some(user),
                scenario_text: Some(&text),
            },
        )
        .await?;
    let totals = serde_json::json!({
        "settlements_served": plan.settlements.len(),
        "settlements_unserved": plan.unserved.len(),
        "people_connected": plan.settlements.iter().map(|s| s.people).sum::<u64>(),
        "npc_usd": plan.totals.npc_usd,
        "capex_usd": plan.totals.capex_usd,
    });
    Ok((saved.label(), totals))
}

/// The planning runs of this server, newest first.
#[utoipa::path(get, path = "/api/plans/runs", tag = "plans",
    responses((status = 200, body = Vec<PlanJob>)))]
async fn list_runs(State(state): State<AppState>) -> Json<Vec<PlanJob>> {
    let g = state.plan_jobs.lock().unwrap_or_else(|p| p.into_inner());
    Json(
        g.runs
            .iter()
            .rev()
            .map(|(j, started)| {
                let mut j = j.clone();
                if j.state == "running" {
                    j.elapsed_s = started.elapsed().as_secs_f64();
                }
                j
            })
            .collect(),
    )
}

/// One planning run.
#[utoipa::path(get, path = "/api/plans/runs/{id}", tag = "plans",
    params(("id" = u64, Path, description = "number of the run")),
    responses((status = 200, body = PlanJob), (status = 404, body = ErrorBody)))]
async fn get_run(State(state): State<AppState>, Path(id): Path<u64>) -> ApiResult<Json<PlanJob>> {
    let g = state.plan_jobs.lock().unwrap_or_else(|p| p.into_inner());
    g.runs
        .iter()
        .find(|(j, _)| j.id == id)
        .map(|(j, started)| {
            let mut j = j.clone();
            if j.state == "running" {
                j.elapsed_s = started.elapsed().as_secs_f64();
            }
            Json(j)
        })
        .ok_or_else(|| ApiError::not_found(format!("no planning run {id}")))
}

/// Format of a plan export.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `xlsx` (summary by region and operator, a sheet per operator), `gpkg` or `geojson`
    /// (layers for QGIS), `html` (the report with maps and charts).
    pub format: String,
}

/// A stored plan as a file: the workbook, GeoPackage or GeoJSON layers, or the HTML report.
#[utoipa::path(get, path = "/api/plans/{plan}/export", tag = "plans", params(
        ("plan" = String, Path, description = "latest, id, scenario or scenario@version"),
        ExportQuery),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    Path(selector): Path<String>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let content_type = match q.format.as_str() {
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "gpkg" => "application/geopackage+sqlite3",
        "geojson" => "application/geo+json",
        "html" => "text/html; charset=utf-8",
        other => {
            return Err(ApiError::invalid(format!(
                "format: `{other}` (expected xlsx, gpkg, geojson or html)"
            )));
        }
    };
    let (r, plan) = crate::plans::find(&state, &selector).await?;
    let reg = state
        .store
        .load_layers(&[Layer::Settlements, Layer::Regions, Layer::Organisations])
        .await?;
    let made_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(ApiError::internal)?;
    let file = format!("plan-{}.{}", r.label().replace('@', "-"), q.format);
    crate::files::made_file(file, content_type, move |path| {
        let ctx = auyl_io::PlanContext::from_registry(&reg, &made_at);
        auyl_io::export_plan(path, &plan, &ctx).map_err(|e| e.to_string())
    })
    .await
}

/// The planning-run and export endpoints.
pub(crate) fn routes(r: Routes) -> Routes {
    r.add(Access::MINISTRY, routes!(list_runs, start_run))
        .add(Access::MINISTRY, routes!(get_run))
        .add(
            Access::Roles(&[
                auyl_store::Role::Administrator,
                auyl_store::Role::MinistryAnalyst,
                auyl_store::Role::Viewer,
            ]),
            routes!(export),
        )
}
