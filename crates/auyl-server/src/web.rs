//! The web application's files (embedded in the binary: the page, its scripts, the three
//! dictionaries, MapLibre GL) and the service endpoints (health, the client's settings).

use crate::AppState;
use crate::api::{Access, Routes};
use crate::error::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::routes;

/// One embedded file: URL path under `/assets/`, media type, bytes.
pub struct Asset {
    /// Path below `/assets/`.
    pub path: &'static str,
    /// Media type.
    pub content_type: &'static str,
    /// Content.
    pub bytes: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $ct:literal) => {
        Asset {
            path: $path,
            content_type: $ct,
            bytes: include_bytes!(concat!("../assets/", $path)),
        }
    };
}

/// Every file of the web application. A panel added for a new domain is listed here.
pub static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("i18n.js", "text/javascript; charset=utf-8"),
    asset!("panels/map.js", "text/javascript; charset=utf-8"),
    asset!("panels/summary.js", "text/javascript; charset=utf-8"),
    asset!("panels/settlement.js", "text/javascript; charset=utf-8"),
    asset!("panels/users.js", "text/javascript; charset=utf-8"),
    asset!("panels/works.js", "text/javascript; charset=utf-8"),
    asset!("panels/dashboard.js", "text/javascript; charset=utf-8"),
    asset!("panels/plans.js", "text/javascript; charset=utf-8"),
    asset!("panels/resilience.js", "text/javascript; charset=utf-8"),
    asset!("i18n/kk.json", "application/json"),
    asset!("i18n/ru.json", "application/json"),
    asset!("i18n/en.json", "application/json"),
    asset!(
        "vendor/maplibre-gl/maplibre-gl.mjs",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "vendor/maplibre-gl/maplibre-gl-worker.mjs",
        "text/javascript; charset=utf-8"
    ),
    asset!(
        "vendor/maplibre-gl/maplibre-gl.css",
        "text/css; charset=utf-8"
    ),
    asset!(
        "vendor/maplibre-gl/LICENSE.txt",
        "text/plain; charset=utf-8"
    ),
];

/// The page's security policy: everything from this server, nothing from elsewhere (MapLibre
/// starts its worker from a `blob:` URL, sets inline styles and fetches a coverage overlay from
/// its `data:` URL); a configured online base map
/// adds its tile server to the images and connections allowed.
fn csp(base_map: Option<&crate::BaseMap>) -> String {
    let tiles = base_map
        .map(|b| format!(" {}", b.origin()))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; worker-src 'self' blob:; \
         child-src 'self' blob:; img-src 'self' data: blob:{tiles}; style-src 'self' 'unsafe-inline'; \
         connect-src 'self' data:{tiles}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )
}

fn serve_asset(state: &AppState, path: &str) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => {
            let mut resp = a.bytes.into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(a.content_type),
            );
            if let Ok(v) = HeaderValue::from_str(&csp(state.config.base_map.as_ref())) {
                h.insert(header::CONTENT_SECURITY_POLICY, v);
            }
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(if path == "index.html" {
                    "no-cache"
                } else {
                    "public, max-age=300"
                }),
            );
            resp
        }
        None => crate::error::ApiError::not_found(format!("no file `{path}`")).into_response(),
    }
}

async fn index(State(state): State<AppState>) -> Response {
    serve_asset(&state, "index.html")
}

async fn asset(
    State(state): State<AppState>,
    axum::extract::Path(path): axum::extract::Path<String>,
) -> Response {
    serve_asset(&state, &path)
}

/// What the web application needs to know of this server.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientConfig {
    /// The online base map, if one is configured (else the map draws the shipped boundaries only).
    pub base_map: Option<crate::BaseMap>,
    /// Whether coverage overlays can be computed (the server has terrain).
    pub coverage: bool,
    /// Version of the server.
    pub version: String,
}

/// The web application's settings: base map, available features.
#[utoipa::path(get, path = "/api/config", tag = "service",
    responses((status = 200, body = ClientConfig)))]
async fn client_config(State(state): State<AppState>) -> Json<ClientConfig> {
    Json(ClientConfig {
        base_map: state.config.base_map.clone(),
        coverage: state.config.terrain.is_some(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Service status.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    /// Version of the server.
    pub version: String,
}

/// Whether the service and its database answer.
#[utoipa::path(get, path = "/api/health", tag = "service",
    responses((status = 200, body = Health), (status = 503, body = crate::error::ErrorBody)))]
async fn health(State(state): State<AppState>) -> Response {
    match state.store.user_count().await {
        Ok(_) => Json(Health {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        })
        .into_response(),
        Err(e) => {
            tracing::error!("health: {e}");
            crate::error::ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database does not answer",
            )
            .into_response()
        }
    }
}

/// The service endpoints.
pub(crate) fn routes(r: Routes) -> Routes {
    r.add(Access::Public, routes!(health))
        .add(Access::Public, routes!(client_config))
        .add_plain(Access::Public, "/", axum::routing::get(index))
        .add_plain(Access::Public, "/assets/{*path}", axum::routing::get(asset))
}
