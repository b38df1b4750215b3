//! The HTTP API and web application of auyl: axum over [`auyl_store::Store`].
//!
//! One module per domain (`auth`, `registry`, `tracking`, `plans`, `resilience`), each
//! with a `routes(Routes) -> Routes` function that registers its endpoints with an access rule
//! ([`api::Access`]); [`DOMAINS`] lists them. The OpenAPI 3.1 document (`/api/openapi.json`,
//! browsable at `/api/docs`) is generated from the same registration, and so is the route table
//! the role × endpoint test walks. Errors are JSON (`{"code", "message"}`), see [`error`].
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! let store = auyl_store::Store::open("sqlite://auyl.db").await?;
//! let app = auyl_server::app(store, auyl_server::Config::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! auyl_server::serve(listener, app.router, std::future::pending()).await?;
//! # Ok(()) }
//! ```

pub mod api;
pub mod auth;
mod cache;
pub mod coverage;
pub mod error;
mod files;
pub mod plan_jobs;
pub mod plans;
pub mod registry;
pub mod resilience;
pub mod tracking;
pub mod web;

pub use api::{Access, RouteInfo, Routes};
pub use auth::{CreateUser, RoleName, create_user};
pub use error::{ApiError, ErrorBody};

use auth::LoginLimiter;
use auyl_store::Store;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use utoipa::OpenApi;

/// Settings of a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mark cookies `Secure` (browsers then send them only over HTTPS, and to `localhost`).
    pub secure_cookies: bool,
    /// How long a session lasts, seconds.
    pub session_ttl_s: i64,
    /// Largest request body accepted by JSON endpoints, bytes (imports have their own limit).
    pub max_body_bytes: usize,
    /// Window of the login rate limit.
    pub login_window: Duration,
    /// Failed logins allowed per account in the window.
    pub login_failures_per_account: usize,
    /// Failed logins allowed per client address in the window.
    pub login_failures_per_address: usize,
    /// Terrain for coverage overlays and the Fresnel check of backup microwave hops in
    /// redundancy proposals (None: coverage answers `no_terrain`; hops are proposed unchecked
    /// and say so).
    pub terrain: Option<Arc<auyl_terrain::DemSet>>,
    /// An online base map under the shipped boundaries (None: the map works offline).
    pub base_map: Option<BaseMap>,
}

/// An online raster base map the web map draws under its own layers.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct BaseMap {
    /// XYZ tile URL with `{z}`, `{x}` and `{y}` (`https://tile.openstreetmap.org/{z}/{x}/{y}.png`).
    pub tiles_url: String,
    /// Attribution the map shows (the tile provider's terms usually require one).
    pub attribution: String,
    /// Largest zoom level the provider serves.
    pub max_zoom: u8,
}

impl BaseMap {
    /// A base map from a tile URL, checked: http(s), with `{z}`, `{x}` and `{y}`.
    ///
    /// # Errors
    /// A message saying what is wrong with the URL.
    pub fn new(tiles_url: &str, attribution: &str, max_zoom: u8) -> Result<BaseMap, String> {
        let origin = origin_of(tiles_url)
            .ok_or_else(|| format!("base map URL `{tiles_url}`: expected http:// or https://"))?;
        for part in ["{z}", "{x}", "{y}"] {
            if !tiles_url.contains(part) {
                return Err(format!("base map URL `{tiles_url}` has no {part}"));
            }
        }
        if origin.contains(['\'', ';', ' ', '"']) {
            return Err(format!(
                "base map URL `{tiles_url}`: unexpected characters in the host"
            ));
        }
        Ok(BaseMap {
            tiles_url: tiles_url.to_string(),
            attribution: attribution.to_string(),
            max_zoom,
        })
    }

    /// `scheme://host[:port]` of the tiles (what the page's security policy must allow).
    pub fn origin(&self) -> String {
        origin_of(&self.tiles_url).unwrap_or_default()
    }
}

/// `scheme://host[:port]` of an http(s) URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest
        .split(['/', '?', '#'])
        .next()
        .filter(|h| !h.is_empty())?;
    Some(format!("{scheme}://{host}"))
}

impl Default for Config {
    fn default() -> Config {
        Config {
            secure_cookies: true,
            session_ttl_s: 12 * 3600,
            max_body_bytes: 1024 * 1024,
            login_window: Duration::from_secs(15 * 60),
            login_failures_per_account: 5,
            login_failures_per_address: 50,
            terrain: None,
            base_map: None,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Settings.
    pub config: Arc<Config>,
    /// Failed-login memory.
    pub limiter: Arc<LoginLimiter>,
    /// The works and tracked settlements last read, with the audit head they were read at
    /// (every tracking write moves the head, so an unchanged head means unchanged works).
    pub(crate) tracking_cache: Arc<tracking::Cache>,
    /// Networks analysed for resilience, by plan and registry version.
    pub(crate) resilience_cache: Arc<resilience::Cache>,
    /// Read responses kept per version of their data (see `cache`).
    pub(crate) responses: Arc<cache::ResponseCache>,
    /// Data versions recently read (see `cache::Versions`).
    pub(crate) versions: Arc<cache::Versions>,
    /// Sessions recently read (see `auth::SessionCache`).
    pub(crate) sessions: Arc<auth::SessionCache>,
    /// Planning runs started through the API.
    pub(crate) plan_jobs: Arc<std::sync::Mutex<plan_jobs::Jobs>>,
}

/// The domains of the API, in the order their routes are registered. A new domain module adds
/// its `routes` function here.
pub const DOMAINS: &[fn(Routes) -> Routes] = &[
    web::routes,
    auth::routes,
    registry::routes,
    tracking::routes,
    plans::routes,
    plan_jobs::routes,
    resilience::routes,
    coverage::routes,
];

/// Every request that may write forgets the data versions read before it, once it is answered.
async fn note_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let writes = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let resp = next.run(req).await;
    if writes {
        state.versions.wrote();
    }
    resp
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "auyl",
        description = "Plan, track and harden the rollout of broadband to rural settlements. \
                       Sign in with POST /api/auth/login; send the token as `Authorization: Bearer`, \
                       or use the session cookie and echo the CSRF token in `X-CSRF-Token` on writes. \
                       Errors are JSON objects with a stable `code` and a `message`."
    ),
    tags(
        (name = "service", description = "Health"),
        (name = "auth", description = "Sign in, sessions, accounts"),
        (name = "registry", description = "Settlements, regions, organisations, imports and exports"),
        (name = "plans", description = "Planning runs, stored plans and their exports, one plan's settlements, scenario comparison, site coverage"),
        (name = "tracking", description = "Works, blockers, KPIs, what waits on whom, operator workbooks, weekly report"),
        (name = "resilience", description = "Single points of failure, who is at risk, failure scenarios and redundancy proposals of a plan's network"),
    )
)]
struct ApiDoc;

/// A built application: the router, its OpenAPI document and its route table.
pub struct App {
    /// Serve this.
    pub router: Router,
    /// The OpenAPI 3.1 document (also at `/api/openapi.json`).
    pub openapi: utoipa::openapi::OpenApi,
    /// Every endpoint with its access rule.
    pub routes: Vec<RouteInfo>,
}

/// Builds the application over a store.
pub fn app(store: Store, config: Config) -> App {
    let limiter = Arc::new(LoginLimiter::new(
        config.login_window,
        config.login_failures_per_account,
        config.login_failures_per_address,
    ));
    let state = AppState {
        store,
        config: Arc::new(config),
        limiter,
        tracking_cache: Arc::default(),
        resilience_cache: Arc::default(),
        responses: Arc::default(),
        plan_jobs: Arc::default(),
        sessions: Arc::default(),
        versions: Arc::default(),
    };
    let routes = DOMAINS
        .iter()
        .fold(Routes::new(ApiDoc::openapi()), |r, add| add(r))
        .record(
            Access::Public,
            &["/api/openapi.json", "/api/docs", "/api/docs/{*rest}"],
        );
    let (router, openapi, table) = routes.finish();
    let swagger =
        utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi.clone());
    let max_body = state.config.max_body_bytes;
    let router = router
        .merge(swagger)
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            note_writes,
        ))
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state);
    App {
        router,
        openapi,
        routes: table,
    }
}

async fn security_headers(mut resp: axum::response::Response) -> axum::response::Response {
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    resp
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
