//! The web application's files (embedded in the binary: the page, its scripts, the three
//! dictionaries, MapLibre GL) and the service endpoints (health).

use crate::AppState;
use crate::api::{Access, Routes};
use crate::error::Json;
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
/// starts its worker from a `blob:` URL and sets inline styles).
const CSP: &str = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; \
                   child-src 'self' blob:; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn serve_asset(path: &str) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => {
            let mut resp = a.bytes.into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(a.content_type),
            );
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
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

async fn index() -> Response {
    serve_asset("index.html")
}

async fn asset(axum::extract::Path(path): axum::extract::Path<String>) -> Response {
    serve_asset(&path)
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
async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
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
        .add_plain(Access::Public, "/", axum::routing::get(index))
        .add_plain(Access::Public, "/assets/{*path}", axum::routing::get(asset))
}
