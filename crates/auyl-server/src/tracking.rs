//! The tracking domain: works of a settlement or of the caller's organisation, status edits with
//! optimistic versions (a stale edit is a 409 with the current work), blockers, KPIs by region,
//! what waits on an akimat, the organisations' Excel workbooks (download and upload) and the
//! ministry's weekly report.
//!
//! Scope, on top of the role check of each route: an operator engineer sees and edits only the
//! works its operator is responsible for; an akimat officer sees the works of its region and edits
//! only the land and electricity works assigned to its akimat; accepting a work is the ministry's
//! (administrators and analysts); viewers read.

use crate::AppState;
use crate::api::{Access, Routes};
use crate::auth::{CurrentUser, now_s};
use crate::error::{ApiError, ApiResult, ErrorBody, Json, Query};
use crate::files::attachment;
use auyl_io::tracking_xlsx::{
    TemplateMeta, TemplateRow, WeeklyReport, WorkbookError, read_operator_workbook,
    write_operator_template, write_weekly_report,
};
use auyl_model::{Id, Layer, Record};
use auyl_store::{Role, TrackError, User};
use auyl_track::{
    Blocker, BlockerReason, EditContext, ForecastParams, SIMULATED_USER, Status, TrackedSettlement,
    Work, WorkKind, WorkUpdate, compute_kpis, dashboard, format_date, parse_date,
};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use time::Date;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

/// Roles that may change works (each within its scope).
pub const EDITORS: Access = Access::Roles(&[
    Role::Administrator,
    Role::MinistryAnalyst,
    Role::OperatorEngineer,
    Role::AkimatOfficer,
]);
/// Roles that read the national weekly report.
pub const REPORT_READERS: Access =
    Access::Roles(&[Role::Administrator, Role::MinistryAnalyst, Role::Viewer]);
/// Largest workbook accepted by the upload endpoint (bytes).
pub const MAX_WORKBOOK_BYTES: usize = 32 * 1024 * 1024;
/// Rows listed in a refused upload's details.
const MAX_ROW_ERRORS: usize = 100;
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What part of tracking a caller sees and may change.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    /// Administrators, analysts, viewers: everything (viewers change nothing: their role has no
    /// write route).
    All,
    /// An operator engineer: the works of this organisation.
    Operator(String),
    /// An akimat officer: the works of this region; edits the akimat works of these akimats.
    Akimat {
        /// Region code.
        region: String,
        /// The organisation ids of the region's akimat(s) in the registry.
        akimats: Vec<String>,
    },
}

/// The akimats of a region: the registry's akimat organisations of that region, else the
/// conventional id `akimat:<region>`.
pub(crate) async fn akimats_of(state: &AppState, region: &str) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = state
        .store
        .load(Layer::Organisations)
        .await?
        .into_iter()
        .filter_map(|r| match r {
            Record::Org(o)
                if o.kind == auyl_model::OrgKind::Akimat
                    && o.region_code.as_deref() == Some(region) =>
            {
                Some(o.id.0)
            }
            _ => None,
        })
        .collect();
    if out.is_empty() {
        out.push(format!("akimat:{region}"));
    }
    Ok(out)
}

pub(crate) async fn scope_of(state: &AppState, user: &User) -> ApiResult<Scope> {
    Ok(match user.role {
        Role::OperatorEngineer => Scope::Operator(user.organisation_id.clone().unwrap_or_default()),
        Role::AkimatOfficer => {
            let region = user.region_code.clone().unwrap_or_default();
            let akimats = akimats_of(state, &region).await?;
            Scope::Akimat { region, akimats }
        }
        _ => Scope::All,
    })
}

/// Tracked settlements and works, and the region of each settlement.
pub(crate) struct Tracking {
    pub settlements: Vec<TrackedSettlement>,
    pub works: Vec<Work>,
    region_of: HashMap<String, String>,
}

fn track_err(e: TrackError) -> ApiError {
    ApiError::internal(e)
}

/// The last [`Tracking`] read and the audit head (seq, hash) it was read at.
pub(crate) type Cache = std::sync::Mutex<Option<((i64, String), Arc<Tracking>)>>;

/// The works and tracked settlements, from the cache while the audit head has not moved. The
/// head is read before the works, so a write in between only makes the next call read again.
pub(crate) async fn load(state: &AppState) -> ApiResult<Arc<Tracking>> {
    let head = state.store.audit_head().await.map_err(track_err)?;
    let key = (head.seq, head.hash);
    {
        let cached = state
            .tracking_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some((k, t)) = cached.as_ref()
            && *k == key
        {
            return Ok(t.clone());
        }
    }
    let t = Arc::new(read(state).await?);
    *state
        .tracking_cache
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some((key, t.clone()));
    Ok(t)
}

async fn read(state: &AppState) -> ApiResult<Tracking> {
    let settlements = state
        .store
        .load_tracked_settlements()
        .await
        .map_err(track_err)?;
    let works = state.store.load_works().await.map_err(track_err)?;
    let region_of = settlements
        .iter()
        .map(|s| (s.settlement_id.0.clone(), s.region_code.clone()))
        .collect();
    Ok(Tracking {
        settlements,
        works,
        region_of,
    })
}

impl Scope {
    /// Whether the caller sees this work.
    pub(crate) fn sees(&self, t: &Tracking, w: &Work) -> bool {
        match self {
            Scope::All => true,
            Scope::Operator(org) => w.responsible_id.as_str() == org,
            Scope::Akimat { region, .. } => w
                .settlement_ids
                .iter()
                .any(|s| t.region_of.get(s.as_str()) == Some(region)),
        }
    }

    /// Whether the caller may change this work.
    pub(crate) fn edits(&self, w: &Work) -> bool {
        match self {
            Scope::All => true,
            Scope::Operator(org) => w.responsible_id.as_str() == org,
            Scope::Akimat { akimats, .. } => {
                w.kind.is_akimat_work() && akimats.iter().any(|a| a == w.responsible_id.as_str())
            }
        }
    }

    /// Whether the caller sees this tracked settlement (KPIs, map status).
    pub(crate) fn sees_settlement(&self, s: &TrackedSettlement) -> bool {
        match self {
            Scope::All => true,
            Scope::Operator(org) => s.operator_id.as_str() == org,
            Scope::Akimat { region, .. } => &s.region_code == region,
        }
    }

    /// The organisations whose workbook the caller may download and upload (None: any).
    fn organisations(&self) -> Option<Vec<String>> {
        match self {
            Scope::All => None,
            Scope::Operator(org) => Some(vec![org.clone()]),
            Scope::Akimat { akimats, .. } => Some(akimats.clone()),
        }
    }
}

/// Today, UTC (the server is the edge that owns the clock), or the day asked for.
fn day(s: Option<&str>) -> ApiResult<Date> {
    match s {
        None => Ok(time::OffsetDateTime::now_utc().date()),
        Some(s) => {
            parse_date(s).ok_or_else(|| ApiError::invalid(format!("date: `{s}` is not YYYY-MM-DD")))
        }
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::from_unix_timestamp(now_s())
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// What blocks a work.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BlockerView {
    /// `land`, `electricity`, `permits`, `equipment`, `weather` or `financing`.
    pub reason: String,
    /// The organisation that must act.
    pub who_must_act: String,
    /// Blocked since (YYYY-MM-DD).
    pub since: String,
    /// Remark.
    pub note: String,
}

/// A work as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkView {
    /// Id (`site:abay-1/mast_construction`).
    pub id: String,
    /// Kind (`land_allotment`, `power_connection`, `mast_construction`, `fibre_line`,
    /// `equipment_installation`, `commissioning`, `acceptance`).
    pub kind: String,
    /// Settlements it serves.
    pub settlement_ids: Vec<String>,
    /// Responsible organisation.
    pub responsible_id: String,
    /// Planned start (YYYY-MM-DD).
    pub planned_start: String,
    /// Planned finish (YYYY-MM-DD).
    pub planned_finish: String,
    /// `planned`, `in_progress`, `blocked`, `done` or `accepted`.
    pub status: String,
    /// Works that must be finished first.
    pub depends_on: Vec<String>,
    /// What blocks it.
    pub blocker: Option<BlockerView>,
    /// Actual start.
    pub actual_start: Option<String>,
    /// Actual finish.
    pub actual_finish: Option<String>,
    /// Last remark.
    pub comment: String,
    /// Version to send back with an edit.
    pub version: i64,
    /// Past its planned finish and not finished, today.
    pub overdue: bool,
    /// Whether the caller may change it.
    pub editable: bool,
    /// Statuses the caller may set next (empty when not editable).
    pub next_statuses: Vec<String>,
}

fn may_accept(user: &User) -> bool {
    matches!(user.role, Role::Administrator | Role::MinistryAnalyst)
}

fn view(w: &Work, scope: &Scope, user: &User, today: Date) -> WorkView {
    let editable = user.role != Role::Viewer && scope.edits(w);
    WorkView {
        id: w.id.0.clone(),
        kind: w.kind.as_str().into(),
        settlement_ids: w.settlement_ids.iter().map(|s| s.0.clone()).collect(),
        responsible_id: w.responsible_id.0.clone(),
        planned_start: format_date(w.planned_start),
        planned_finish: format_date(w.planned_finish),
        status: w.status.as_str().into(),
        depends_on: w.depends_on.iter().map(|s| s.0.clone()).collect(),
        blocker: w.blocker.as_ref().map(|b| BlockerView {
            reason: b.reason.as_str().into(),
            who_must_act: b.who_must_act.0.clone(),
            since: format_date(b.since),
            note: b.note.clone(),
        }),
        actual_start: w.actual_start.map(format_date),
        actual_finish: w.actual_finish.map(format_date),
        comment: w.comment.clone(),
        version: w.version,
        overdue: w.is_overdue(today),
        editable,
        next_statuses: if editable {
            w.status
                .next()
                .iter()
                .filter(|s| **s != Status::Accepted || may_accept(user))
                .map(|s| s.as_str().to_string())
                .collect()
        } else {
            vec![]
        },
    }
}

/// Filters of the works list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkFilter {
    /// Only the works of this settlement.
    pub settlement: Option<String>,
    /// Only works with this status.
    pub status: Option<String>,
    /// Only works of this kind.
    pub kind: Option<String>,
    /// Only works the caller may change.
    #[serde(default)]
    pub editable: bool,
    /// Only works not finished (planned, in progress, blocked).
    #[serde(default)]
    pub open: bool,
    /// Largest number of works returned (default 500).
    pub limit: Option<usize>,
}

/// Works the caller sees.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkList {
    /// Works matching the filter (at most `limit`), by planned finish.
    pub works: Vec<WorkView>,
    /// How many matched before the limit.
    pub matched: usize,
}

/// Works the caller sees: of a settlement, of its organisation (operators), of its region
/// (akimats), filtered by status and kind.
#[utoipa::path(get, path = "/api/works", tag = "tracking", params(WorkFilter),
    responses((status = 200, body = WorkList), (status = 422, body = ErrorBody)))]
async fn list_works(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(f): Query<WorkFilter>,
) -> ApiResult<Json<WorkList>> {
    let status = match &f.status {
        Some(s) => Some(
            Status::parse(s).ok_or_else(|| ApiError::invalid(format!("status: unknown `{s}`")))?,
        ),
        None => None,
    };
    let kind = match &f.kind {
        Some(k) => Some(
            WorkKind::parse(k).ok_or_else(|| ApiError::invalid(format!("kind: unknown `{k}`")))?,
        ),
        None => None,
    };
    let scope = scope_of(&state, &user).await?;
    let t = load(&state).await?;
    let today = day(None)?;
    let mut works: Vec<&Work> = t
        .works
        .iter()
        .filter(|w| scope.sees(&t, w))
        .filter(|w| {
            f.settlement
                .as_ref()
                .is_none_or(|s| w.settlement_ids.iter().any(|x| x.as_str() == s))
        })
        .filter(|w| status.is_none_or(|s| w.status == s))
        .filter(|w| !f.open || !w.status.is_finished())
        .filter(|w| kind.is_none_or(|k| w.kind == k))
        .filter(|w| !f.editable || (user.role != Role::Viewer && scope.edits(w)))
        .collect();
    works.sort_by(|a, b| (a.planned_finish, &a.id).cmp(&(b.planned_finish, &b.id)));
    let matched = works.len();
    Ok(Json(WorkList {
        works: works
            .into_iter()
            .take(f.limit.unwrap_or(500))
            .map(|w| view(w, &scope, &user, today))
            .collect(),
        matched,
    }))
}

/// A blocker as an editor reports it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockerInput {
    /// `land`, `electricity`, `permits`, `equipment`, `weather` or `financing`.
    pub reason: String,
    /// The organisation that must act; default: the settlement's akimat for land and
    /// electricity, else the work's responsible organisation.
    #[serde(default)]
    pub who_must_act: Option<String>,
    /// Blocked since (YYYY-MM-DD); default today.
    #[serde(default)]
    pub since: Option<String>,
    /// Remark.
    #[serde(default)]
    pub note: String,
}

/// A change to one work.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkEdit {
    /// The work.
    pub work_id: String,
    /// The version the editor saw (from the works list).
    pub version: i64,
    /// New status.
    #[serde(default)]
    pub status: Option<String>,
    /// What blocks it (required when the status becomes blocked).
    #[serde(default)]
    pub blocker: Option<BlockerInput>,
    /// Actual start (YYYY-MM-DD).
    #[serde(default)]
    pub actual_start: Option<String>,
    /// Actual finish (YYYY-MM-DD).
    #[serde(default)]
    pub actual_finish: Option<String>,
    /// New remark.
    #[serde(default)]
    pub comment: Option<String>,
}

/// What an edit changed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FieldChangeView {
    /// The work.
    pub work_id: String,
    /// Field.
    pub field: String,
    /// Before.
    pub old: String,
    /// After.
    pub new: String,
}

/// The work after an edit and what changed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EditResult {
    /// The work now.
    pub work: WorkView,
    /// Fields changed (empty when the edit changed nothing).
    pub changes: Vec<FieldChangeView>,
}

fn opt_day(field: &str, s: &Option<String>) -> ApiResult<Option<Date>> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => parse_date(v)
            .map(Some)
            .ok_or_else(|| ApiError::invalid(format!("{field}: `{v}` is not YYYY-MM-DD"))),
    }
}

/// A refusal of the workflow rules as an API error; a conflict carries the stored work.
fn rule_error(e: auyl_track::Error, current: Option<WorkView>) -> ApiError {
    use auyl_track::Error as E;
    let message = e.to_string();
    match e {
        E::Conflict {
            work_id,
            expected,
            actual,
        } => {
            let mut err = ApiError::conflict(message);
            err.details = Some(json!({
                "work_id": work_id.0, "expected_version": expected, "actual_version": actual,
                "current": current,
            }));
            err
        }
        E::UnknownWork { .. } => ApiError::not_found(message),
        E::Transition { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_transition",
            message,
        ),
        E::DependencyNotFinished { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "dependency_not_finished",
            message,
        ),
        E::Blocker { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_blocker", message)
        }
        E::Dates { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_dates", message)
        }
        _ => ApiError::invalid(message),
    }
}

/// Change a work: status, blocker, actual dates, remark. The edit names the version it was made
/// from; if someone changed the work since, nothing is written and the answer is 409 `conflict`
/// with the current work in `details.current`.
#[utoipa::path(patch, path = "/api/works", tag = "tracking", request_body = WorkEdit,
    responses((status = 200, body = EditResult), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn edit_work(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Json(req): Json<WorkEdit>,
) -> ApiResult<Json<EditResult>> {
    let scope = scope_of(&state, &user).await?;
    let t = load(&state).await?;
    let today = day(None)?;
    let work = t
        .works
        .iter()
        .find(|w| w.id.as_str() == req.work_id)
        .ok_or_else(|| ApiError::not_found(format!("no work `{}`", req.work_id)))?;
    if !scope.sees(&t, work) || !scope.edits(work) {
        return Err(ApiError::out_of_scope(format!(
            "`{}` is {}'s work: {} may not change it",
            work.id, work.responsible_id, user.name
        )));
    }
    let status = match &req.status {
        Some(s) => Some(
            Status::parse(s).ok_or_else(|| ApiError::invalid(format!("status: unknown `{s}`")))?,
        ),
        None => None,
    };
    if status == Some(Status::Accepted) && work.status != Status::Accepted && !may_accept(&user) {
        return Err(ApiError::forbidden(
            "only the ministry (administrators, analysts) accepts works",
        ));
    }
    let blocker = match &req.blocker {
        None => None,
        Some(b) => {
            let reason = BlockerReason::parse(&b.reason).ok_or_else(|| {
                ApiError::invalid(format!("blocker.reason: unknown `{}`", b.reason))
            })?;
            let who = match b.who_must_act.as_deref().map(str::trim) {
                Some(w) if !w.is_empty() => w.to_string(),
                _ => default_who(&t, work, reason),
            };
            Some(Blocker {
                reason,
                who_must_act: Id::new(&who),
                since: opt_day("blocker.since", &b.since)?.unwrap_or(today),
                note: b.note.trim().to_string(),
            })
        }
    };
    let update = WorkUpdate {
        work_id: work.id.clone(),
        expected_version: req.version,
        status,
        blocker,
        actual_start: opt_day("actual_start", &req.actual_start)?,
        actual_finish: opt_day("actual_finish", &req.actual_finish)?,
        comment: req.comment.clone(),
    };
    let ctx = EditContext {
        who: user.name.clone(),
        at: now_rfc3339(),
        on: today,
    };
    match state.store.apply_edit(&update, &ctx).await {
        Ok(a) => Ok(Json(EditResult {
            work: view(&a.work, &scope, &user, today),
            changes: a
                .changes
                .iter()
                .map(|c| FieldChangeView {
                    work_id: c.entity.clone(),
                    field: c.field.clone(),
                    old: c.old.clone(),
                    new: c.new.clone(),
                })
                .collect(),
        })),
        Err(TrackError::Rule(e)) => {
            let current = if matches!(e, auyl_track::Error::Conflict { .. }) {
                state
                    .store
                    .load_works()
                    .await
                    .map_err(track_err)?
                    .iter()
                    .find(|w| w.id == update.work_id)
                    .map(|w| view(w, &scope, &user, today))
            } else {
                None
            };
            Err(rule_error(e, current))
        }
        Err(e) => Err(track_err(e)),
    }
}

/// Who must act on a blocker when the editor does not say: the settlement's akimat for land and
/// electricity, else the work's responsible organisation.
fn default_who(t: &Tracking, w: &Work, reason: BlockerReason) -> String {
    if matches!(reason, BlockerReason::Land | BlockerReason::Electricity) {
        let akimat = w.settlement_ids.iter().find_map(|s| {
            t.settlements
                .iter()
                .find(|x| x.settlement_id == *s)
                .and_then(|x| x.akimat_id.clone())
        });
        if let Some(a) = akimat {
            return a.0;
        }
    }
    w.responsible_id.0.clone()
}

/// One work.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkQuery {
    /// The work id.
    pub id: String,
}

/// A line of a work's history (the audit log).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// Position in the audit chain.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub who: String,
    /// Field.
    pub field: String,
    /// Before.
    pub old: String,
    /// After.
    pub new: String,
}

/// The history of one work, oldest first (from the hash-chained audit log).
#[utoipa::path(get, path = "/api/works/history", tag = "tracking", params(WorkQuery),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 404, body = ErrorBody)))]
async fn work_history(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<WorkQuery>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    let scope = scope_of(&state, &user).await?;
    let t = load(&state).await?;
    if !t
        .works
        .iter()
        .any(|w| w.id.as_str() == q.id && scope.sees(&t, w))
    {
        return Err(ApiError::not_found(format!("no work `{}`", q.id)));
    }
    let log = state.store.audit_log().await.map_err(track_err)?;
    Ok(Json(
        log.into_iter()
            .filter(|e| e.entity == q.id)
            .map(|e| HistoryEntry {
                seq: e.seq,
                at: e.at,
                who: e.who,
                field: e.field,
                old: e.old,
                new: e.new,
            })
            .collect(),
    ))
}

/// The day of a dashboard.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// The day (YYYY-MM-DD); default today (UTC).
    pub date: Option<String>,
}

fn scoped(scope: &Scope, t: &Tracking) -> (Vec<TrackedSettlement>, Vec<Work>) {
    let settlements: Vec<TrackedSettlement> = t
        .settlements
        .iter()
        .filter(|s| scope.sees_settlement(s))
        .cloned()
        .collect();
    let ids: HashSet<&str> = settlements
        .iter()
        .map(|s| s.settlement_id.as_str())
        .collect();
    let works = t
        .works
        .iter()
        .filter(|w| {
            scope.sees(t, w)
                || (matches!(scope, Scope::Operator(_))
                    && w.kind == WorkKind::Commissioning
                    && w.settlement_ids.iter().any(|s| ids.contains(s.as_str())))
        })
        .cloned()
        .collect();
    (settlements, works)
}

async fn is_simulated(state: &AppState) -> ApiResult<bool> {
    state
        .store
        .audit_has_user(SIMULATED_USER)
        .await
        .map_err(track_err)
}

/// KPIs of the caller's scope as of a day: settlements and people connected against the target,
/// by region and operator, works by status, overdue works, what waits on whom, the weekly
/// burn-up and the forecast per region. `simulated` says the progress is the demo's simulation.
#[utoipa::path(get, path = "/api/tracking/kpis", tag = "tracking", params(DayQuery),
    responses((status = 200, description = "{as_of, simulated, kpis, burn_up, outlooks}", body = Object),
              (status = 422, body = ErrorBody)))]
async fn kpis(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<DayQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let as_of = day(q.date.as_deref())?;
    let scope = scope_of(&state, &user).await?;
    let key = format!("kpis|{scope:?}|{}", format_date(as_of));
    let version = tracking_version(&state).await?;
    let st = state.clone();
    state
        .responses
        .json(key, version, &headers, || async move {
            kpis_value(&st, &scope, as_of).await
        })
        .await
}

/// The version of the tracking data as a cache key part: the audit head (every tracking write
/// moves it).
async fn tracking_version(state: &AppState) -> ApiResult<String> {
    state
        .versions
        .get("tracking", || async {
            let head = state.store.audit_head().await.map_err(track_err)?;
            Ok(format!("audit:{}:{}", head.seq, head.hash))
        })
        .await
}

async fn kpis_value(state: &AppState, scope: &Scope, as_of: time::Date) -> ApiResult<Value> {
    let t = load(state).await?;
    let simulated = is_simulated(state).await?;
    let (settlements, works) = scoped(scope, &t);
    tokio::task::spawn_blocking(move || {
        let d = dashboard(&settlements, &works, as_of, &ForecastParams::default());
        json!({
            "as_of": format_date(as_of),
            "simulated": simulated,
            "kpis": d.kpis,
            "burn_up": d.burn_up,
            "outlooks": d.outlooks,
        })
    })
    .await
    .map_err(ApiError::internal)
}

/// Whose waiting list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WaitingQuery {
    /// The organisation that must act (`akimat:100000000`); an akimat officer always gets its
    /// own akimat's list, an operator engineer its operator's.
    pub who: Option<String>,
    /// The day (YYYY-MM-DD); default today.
    pub date: Option<String>,
}

/// "Waiting on you": blocked works by the organisation that must act, oldest blocker first.
#[utoipa::path(get, path = "/api/tracking/waiting", tag = "tracking", params(WaitingQuery),
    responses((status = 200, description = "{as_of, waiting: [auyl_track::WaitingOn]}", body = Object),
              (status = 403, body = ErrorBody)))]
async fn waiting(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<WaitingQuery>,
) -> ApiResult<Json<Value>> {
    let as_of = day(q.date.as_deref())?;
    let scope = scope_of(&state, &user).await?;
    let own = scope.organisations();
    if let (Some(own), Some(who)) = (&own, &q.who)
        && !own.contains(who)
    {
        return Err(ApiError::out_of_scope(format!(
            "{} sees only what waits on {}",
            user.name,
            own.join(", ")
        )));
    }
    let t = load(&state).await?;
    let k = compute_kpis(&t.settlements, &t.works, as_of);
    let list: Vec<_> = k
        .waiting
        .into_iter()
        .filter(|w| match (&q.who, &own) {
            (Some(who), _) => w.who_must_act.as_str() == who,
            (None, Some(own)) => own.iter().any(|o| o == w.who_must_act.as_str()),
            (None, None) => true,
        })
        .collect();
    Ok(Json(
        json!({ "as_of": format_date(as_of), "waiting": list }),
    ))
}

/// Which organisation's workbook.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// Organisation id; operator engineers and akimat officers get their own by default, the
    /// ministry must say.
    pub org: Option<String>,
}

/// Download an organisation's workbook: its works with locked keys, drop-down statuses and the
/// hidden versions, to fill in and upload.
#[utoipa::path(get, path = "/api/tracking/template", tag = "tracking", params(TemplateQuery),
    responses((status = 200, description = "the workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn template(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(q): Query<TemplateQuery>,
) -> ApiResult<Response> {
    let scope = scope_of(&state, &user).await?;
    let org = match (scope.organisations(), q.org) {
        (Some(own), Some(o)) if !own.contains(&o) => {
            return Err(ApiError::out_of_scope(format!(
                "{} may download only the workbook of {}",
                user.name,
                own.join(", ")
            )));
        }
        (_, Some(o)) => o,
        (Some(own), None) => own.into_iter().next().unwrap_or_default(),
        (None, None) => return Err(ApiError::invalid("org: which organisation's workbook")),
    };
    let t = load(&state).await?;
    let mut settlement_names: HashMap<String, String> = HashMap::new();
    for r in state.store.load(Layer::Settlements).await? {
        if let Some(s) = r.into_settlement() {
            let name = s.names.display("kk").unwrap_or(s.id.as_str()).to_string();
            settlement_names.insert(s.id.0, name);
        }
    }
    let mut region_names: HashMap<String, String> = HashMap::new();
    for r in state.store.load(Layer::Regions).await? {
        if let Some(a) = r.into_area() {
            let name = a.names.display("kk").unwrap_or(a.code.as_str()).to_string();
            region_names.insert(a.code.0, name);
        }
    }
    let mut org_name = String::new();
    for r in state.store.load(Layer::Organisations).await? {
        if let Record::Org(o) = r
            && o.id.0 == org
        {
            org_name = o.names.display("kk").unwrap_or(o.id.as_str()).to_string();
        }
    }
    let rows: Vec<TemplateRow> = t
        .works
        .iter()
        .filter(|w| w.responsible_id.as_str() == org && scope.edits(w))
        .map(|w| TemplateRow {
            work: w.clone(),
            settlement_names: w
                .settlement_ids
                .iter()
                .map(|s| {
                    settlement_names
                        .get(s.as_str())
                        .cloned()
                        .unwrap_or_else(|| s.0.clone())
                })
                .collect::<Vec<_>>()
                .join("; "),
            region: w
                .settlement_ids
                .first()
                .and_then(|s| t.region_of.get(s.as_str()))
                .map(|c| region_names.get(c).cloned().unwrap_or_else(|| c.clone()))
                .unwrap_or_default(),
        })
        .collect();
    if rows.is_empty() {
        return Err(ApiError::not_found(format!(
            "`{org}` is responsible for no stored work"
        )));
    }
    let meta = TemplateMeta {
        organisation_id: org.clone(),
        organisation_name: org_name,
        made_at: now_rfc3339(),
    };
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = dir.path().join("works.xlsx");
        write_operator_template(&path, &meta, &rows).map_err(|e| e.to_string())?;
        std::fs::read(&path).map_err(|e| e.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let safe: String = org
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    Ok(attachment(bytes, XLSX, &format!("works-{safe}.xlsx")))
}

/// A cell or row of an uploaded workbook that was refused.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CellErrorView {
    /// Sheet.
    pub sheet: String,
    /// Row as the spreadsheet shows it (header = 1).
    pub row: u32,
    /// Column letter and header, empty for the whole row.
    pub column: String,
    /// What is wrong.
    pub message: String,
}

/// What an upload applied.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadResult {
    /// The organisation of the workbook.
    pub organisation: String,
    /// Rows read.
    pub rows: usize,
    /// Rows the organisation changed.
    pub rows_changed: usize,
    /// Fields written (one transaction).
    pub changes: Vec<FieldChangeView>,
}

fn rows_refused(errors: Vec<CellErrorView>, status: StatusCode, code: &'static str) -> ApiError {
    let mut e = ApiError::new(
        status,
        code,
        format!("{} row(s) refused; nothing was applied", errors.len()),
    );
    let rows: Vec<CellErrorView> = errors.into_iter().take(MAX_ROW_ERRORS).collect();
    e.details = Some(json!({ "rows": rows }));
    e
}

/// Upload a filled workbook (the request body): every row is checked, every refused row listed
/// (422 `invalid_rows`, or 409 `conflict` for rows changed by someone else since the download);
/// all rows are applied in one transaction or none.
#[utoipa::path(post, path = "/api/tracking/upload", tag = "tracking",
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = UploadResult), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: Bytes,
) -> ApiResult<Json<UploadResult>> {
    let today = day(None)?;
    let scope = scope_of(&state, &user).await?;
    let wb = tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().map_err(|e| ApiError::internal(e.to_string()))?;
        let path = dir.path().join("upload.xlsx");
        std::fs::write(&path, &body).map_err(|e| ApiError::internal(e.to_string()))?;
        read_operator_workbook(&path, today).map_err(|e| match e {
            WorkbookError::Invalid { errors, .. } => rows_refused(
                errors
                    .into_iter()
                    .map(|c| CellErrorView {
                        sheet: c.sheet,
                        row: c.row,
                        column: c.column,
                        message: c.reason,
                    })
                    .collect(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_rows",
            ),
            e => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_workbook",
                e.to_string()
                    .replace(&*dir.path().to_string_lossy(), "")
                    .trim_start_matches('/')
                    .to_string(),
            ),
        })
    })
    .await
    .map_err(ApiError::internal)??;
    if let Some(own) = scope.organisations()
        && !own.contains(&wb.organisation_id)
    {
        return Err(ApiError::out_of_scope(format!(
            "the workbook is {}'s; {} may upload only {}'s",
            wb.organisation_id,
            user.name,
            own.join(", ")
        )));
    }
    let t = load(&state).await?;
    let by_id: HashMap<&str, &Work> = t.works.iter().map(|w| (w.id.as_str(), w)).collect();
    let changed: Vec<_> = wb.changed().collect();
    let mut problems = Vec::new();
    for r in &changed {
        let id = r.update.work_id.as_str();
        let why = match by_id.get(id) {
            None => Some(format!("no work `{id}`")),
            Some(w) if w.responsible_id.as_str() != wb.organisation_id => Some(format!(
                "`{id}` is {}'s work, not {}'s",
                w.responsible_id, wb.organisation_id
            )),
            Some(w) if !scope.edits(w) => Some(format!("{} may not change `{id}`", user.name)),
            Some(w)
                if r.update.status == Some(Status::Accepted)
                    && w.status != Status::Accepted
                    && !may_accept(&user) =>
            {
                Some("only the ministry accepts works".to_string())
            }
            _ => None,
        };
        if let Some(message) = why {
            problems.push(CellErrorView {
                sheet: "Works".into(),
                row: r.row,
                column: "A (work_id)".into(),
                message,
            });
        }
    }
    if !problems.is_empty() {
        return Err(rows_refused(
            problems,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rows",
        ));
    }
    let updates: Vec<WorkUpdate> = changed.iter().map(|r| r.update.clone()).collect();
    let ctx = EditContext {
        who: user.name.clone(),
        at: now_rfc3339(),
        on: today,
    };
    let applied = match state.store.apply_batch(&updates, &ctx).await {
        Ok(a) => a,
        Err(TrackError::Rule(e)) => {
            // A batch of one reports its own error rather than "edit 0 of the batch".
            let (index, e) = match e {
                auyl_track::Error::Batch { index, source } => (index, *source),
                e => (0, e),
            };
            let row = changed.get(index).map_or(0, |r| r.row);
            let (status, code, message) = match e {
                auyl_track::Error::Conflict {
                    expected, actual, ..
                } => (
                    StatusCode::CONFLICT,
                    "conflict",
                    format!(
                        "stale row: the work was changed by someone else since the workbook was downloaded (version {expected}, now {actual}); download a new one"
                    ),
                ),
                e => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_rows",
                    e.to_string(),
                ),
            };
            return Err(rows_refused(
                vec![CellErrorView {
                    sheet: "Works".into(),
                    row,
                    column: String::new(),
                    message,
                }],
                status,
                code,
            ));
        }
        Err(e) => return Err(track_err(e)),
    };
    Ok(Json(UploadResult {
        organisation: wb.organisation_id.clone(),
        rows: wb.rows.len(),
        rows_changed: changed.len(),
        changes: applied
            .iter()
            .flat_map(|a| a.changes.iter())
            .map(|c| FieldChangeView {
                work_id: c.entity.clone(),
                field: c.field.clone(),
                old: c.old.clone(),
                new: c.new.clone(),
            })
            .collect(),
    }))
}

/// The weekly report's day and format.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The report's day (YYYY-MM-DD); default today.
    pub date: Option<String>,
    /// `xlsx` (default) or `html`.
    pub format: Option<String>,
}

/// The ministry's weekly report (XLSX, or HTML with the burn-up and by-region charts, and the
/// resilience of the latest plan: its worst single points of failure, people at risk by region).
#[utoipa::path(get, path = "/api/tracking/report", tag = "tracking", params(ReportQuery),
    responses((status = 200, description = "the report", content_type = "application/octet-stream"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn report(
    State(state): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    let as_of = day(q.date.as_deref())?;
    let html = match q.format.as_deref() {
        None | Some("xlsx") => false,
        Some("html") => true,
        Some(f) => {
            return Err(ApiError::invalid(format!(
                "format: `{f}` is not xlsx or html"
            )));
        }
    };
    let t = load(&state).await?;
    if t.works.is_empty() {
        return Err(ApiError::not_found("no works are tracked yet"));
    }
    let mut region_names = HashMap::new();
    for r in state.store.load(Layer::Regions).await? {
        if let Some(a) = r.into_area() {
            let name = a.names.display("en").unwrap_or(a.code.as_str()).to_string();
            region_names.insert(a.code.0, name);
        }
    }
    let mut org_names = HashMap::new();
    for r in state.store.load(Layer::Organisations).await? {
        if let Record::Org(o) = r {
            let name = o.names.display("en").unwrap_or(o.id.as_str()).to_string();
            org_names.insert(o.id.0, name);
        }
    }
    let head = state.store.audit_head().await.map_err(track_err)?;
    let simulated = is_simulated(&state).await?;
    let resilience = crate::resilience::latest_risk_summary(&state).await?;
    let made_at = now_rfc3339();
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let d = dashboard(&t.settlements, &t.works, as_of, &ForecastParams::default());
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (x, h) = write_weekly_report(
            dir.path(),
            &WeeklyReport {
                kpis: &d.kpis,
                burn_up: &d.burn_up,
                outlooks: &d.outlooks,
                region_names: &region_names,
                org_names: &org_names,
                simulated,
                audit_head: &head,
                made_at: &made_at,
                resilience: resilience.as_ref(),
            },
        )
        .map_err(|e| e.to_string())?;
        std::fs::read(if html { h } else { x }).map_err(|e| e.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let day = format_date(as_of);
    Ok(if html {
        attachment(
            bytes,
            "text/html; charset=utf-8",
            &format!("weekly-{day}.html"),
        )
    } else {
        attachment(bytes, XLSX, &format!("weekly-{day}.xlsx"))
    })
}

/// Where a tracked settlement stands, for the map.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettlementStatus {
    /// Settlement id.
    pub settlement_id: String,
    /// Region code.
    pub region_code: String,
    /// Operator.
    pub operator_id: String,
    /// Technology of the plan.
    pub technology: String,
    /// Target day (YYYY-MM-DD).
    pub target_date: String,
    /// `connected` (commissioned), `blocked` (a work of it is blocked), `overdue` (a work is
    /// late), `in_progress` (a work started) or `planned`.
    pub status: String,
}

/// Where each tracked settlement of the caller's scope stands (connected, blocked, overdue, in
/// progress, planned): the map's colouring by status.
#[utoipa::path(get, path = "/api/tracking/settlements", tag = "tracking",
    responses((status = 200, body = Vec<SettlementStatus>)))]
async fn settlement_statuses(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let scope = scope_of(&state, &user).await?;
    let today = day(None)?;
    let key = format!("statuses|{scope:?}|{}", format_date(today));
    let version = tracking_version(&state).await?;
    let st = state.clone();
    state
        .responses
        .json(key, version, &headers, || async move {
            statuses(&st, &scope, today).await
        })
        .await
}

async fn statuses(
    state: &AppState,
    scope: &Scope,
    today: time::Date,
) -> ApiResult<Vec<SettlementStatus>> {
    let t = load(state).await?;
    let mut works_of: HashMap<&str, Vec<&Work>> = HashMap::new();
    for w in &t.works {
        for s in &w.settlement_ids {
            works_of.entry(s.as_str()).or_default().push(w);
        }
    }
    let out = t
        .settlements
        .iter()
        .filter(|s| scope.sees_settlement(s))
        .map(|s| {
            let ws = works_of
                .get(s.settlement_id.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let status = if ws
                .iter()
                .any(|w| w.kind == WorkKind::Commissioning && w.status.is_finished())
            {
                "connected"
            } else if ws.iter().any(|w| w.status == Status::Blocked) {
                "blocked"
            } else if ws.iter().any(|w| w.is_overdue(today)) {
                "overdue"
            } else if ws.iter().any(|w| w.status != Status::Planned) {
                "in_progress"
            } else {
                "planned"
            };
            SettlementStatus {
                settlement_id: s.settlement_id.0.clone(),
                region_code: s.region_code.clone(),
                operator_id: s.operator_id.0.clone(),
                technology: s.technology.clone(),
                target_date: format_date(s.target_date),
                status: status.into(),
            }
        })
        .collect();
    Ok(out)
}

/// The tracking domain's endpoints.
pub(crate) fn routes(r: Routes) -> Routes {
    let (schemas, paths, up) = routes!(upload);
    let up = up.layer(DefaultBodyLimit::max(MAX_WORKBOOK_BYTES));
    r.add(Access::SIGNED_IN, routes!(list_works))
        .add(EDITORS, routes!(edit_work))
        .add(Access::SIGNED_IN, routes!(work_history))
        .add(Access::SIGNED_IN, routes!(kpis))
        .add(Access::SIGNED_IN, routes!(waiting))
        .add(Access::SIGNED_IN, routes!(settlement_statuses))
        .add(EDITORS, routes!(template))
        .add(EDITORS, (schemas, paths, up))
        .add(REPORT_READERS, routes!(report))
}
