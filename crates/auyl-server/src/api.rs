//! The route table: every endpoint is registered with its access rule, so no endpoint can exist
//! without one. Domain modules (registry, auth, later plan, tracking, resilience) each add their
//! routes through [`Routes::add`]; the OpenAPI document and the route list come from the same
//! registration.

use crate::AppState;
use crate::auth::{Auth, CSRF_HEADER};
use crate::error::ApiError;
use auyl_store::Role;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// Who may call an endpoint. Scope (an operator's works, an akimat's region) is applied by the
/// handler on top of this, from the caller's [`auyl_store::User`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (health, login, the OpenAPI document, the UI's files).
    Public,
    /// Signed-in callers with one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    /// Every signed-in caller.
    pub const SIGNED_IN: Access = Access::Roles(&Role::ALL);
    /// Administrators only.
    pub const ADMIN: Access = Access::Roles(&[Role::Administrator]);
    /// Administrators and ministry analysts (registry imports and exports, planning).
    pub const MINISTRY: Access = Access::Roles(&[Role::Administrator, Role::MinistryAnalyst]);

    /// Whether a caller with `role` (None: not signed in) passes the role check.
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (Access::Roles(roles), Some(r)) => roles.contains(&r),
            (Access::Roles(_), None) => false,
        }
    }
}

/// One registered endpoint: method, path (OpenAPI template, `{id}`), rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// HTTP method.
    pub method: Method,
    /// Path template as in the OpenAPI document.
    pub path: String,
    /// Who may call it.
    pub access: Access,
}

/// The route table under construction: the router, its OpenAPI paths and the access rules.
pub struct Routes {
    router: OpenApiRouter<AppState>,
    table: Vec<RouteInfo>,
}

impl Routes {
    /// An empty table over the base OpenAPI document.
    pub fn new(doc: OpenApi) -> Routes {
        Routes {
            router: OpenApiRouter::with_openapi(doc),
            table: Vec::new(),
        }
    }

    /// Adds the endpoints of one `utoipa_axum::routes!(…)` (one path, one or more methods), all
    /// under the same access rule, enforced before the handler runs.
    pub fn add(mut self, access: Access, route: UtoipaMethodRouter<AppState>) -> Routes {
        let (schemas, paths, method_router) = route;
        for (path, item) in &paths.paths {
            let ops = [
                (Method::GET, item.get.is_some()),
                (Method::POST, item.post.is_some()),
                (Method::PUT, item.put.is_some()),
                (Method::PATCH, item.patch.is_some()),
                (Method::DELETE, item.delete.is_some()),
            ];
            for (method, present) in ops {
                if present {
                    self.table.push(RouteInfo {
                        method,
                        path: path.clone(),
                        access,
                    });
                }
            }
        }
        let method_router = method_router.route_layer(axum::middleware::from_fn(
            move |req: Request, next: Next| enforce(access, req, next),
        ));
        self.router = self.router.routes((schemas, paths, method_router));
        self
    }

    /// Adds a GET endpoint that is not part of the JSON API (the page, its files), so it is in
    /// the route table (and the access test) but not in the OpenAPI document.
    pub fn add_plain(
        mut self,
        access: Access,
        path: &str,
        get: axum::routing::MethodRouter<AppState>,
    ) -> Routes {
        self.table.push(RouteInfo {
            method: Method::GET,
            path: path.to_string(),
            access,
        });
        let get = get.route_layer(axum::middleware::from_fn(
            move |req: Request, next: Next| enforce(access, req, next),
        ));
        self.router = self.router.route(path, get);
        self
    }

    /// Records routes added by a ready-made router (Swagger UI) in the table.
    pub fn record(mut self, access: Access, paths: &[&str]) -> Routes {
        for p in paths {
            self.table.push(RouteInfo {
                method: Method::GET,
                path: p.to_string(),
                access,
            });
        }
        self
    }

    /// The router, the OpenAPI document and the route table.
    pub fn finish(self) -> (axum::Router<AppState>, OpenApi, Vec<RouteInfo>) {
        let (router, doc) = self.router.split_for_parts();
        (router, doc, self.table)
    }
}

/// Checks the caller against the rule: 401 when a signed-in caller is needed, 403 `csrf_failed`
/// for a cookie session writing without its CSRF token, 403 `forbidden` for a role not allowed.
async fn enforce(access: Access, req: Request, next: Next) -> Result<Response, ApiError> {
    if access == Access::Public {
        return Ok(next.run(req).await);
    }
    let auth = req.extensions().get::<Auth>().cloned().unwrap_or_default();
    let Some(session) = auth.session.as_ref() else {
        return Err(ApiError::unauthenticated());
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if auth.via_cookie && !safe {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !crate::auth::constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
            return Err(ApiError::new(
                axum::http::StatusCode::FORBIDDEN,
                "csrf_failed",
                format!("a cookie session must send its CSRF token in the {CSRF_HEADER} header"),
            ));
        }
    }
    if !access.allows(Some(session.user.role)) {
        return Err(ApiError::forbidden(format!(
            "the role {} may not do this",
            session.user.role
        )));
    }
    Ok(next.run(req).await)
}
