//! Accounts, sessions and login: argon2 password hashes, session tokens in an HttpOnly
//! `SameSite=Strict` cookie (with a CSRF token the client echoes in `X-CSRF-Token` on writes) or
//! sent as `Authorization: Bearer`, and a login rate limit per account and per address.

use crate::AppState;
use crate::api::{Access, Routes};
use crate::error::{ApiError, ApiResult, ErrorBody, Json, Path};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use auyl_model::Layer;
use auyl_store::{AddUser, NewSession, NewUser, Role, Session, Store, User};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use utoipa::ToSchema;
use utoipa_axum::routes;

/// Name of the session cookie (HttpOnly).
pub const SESSION_COOKIE: &str = "auyl_session";
/// Name of the CSRF cookie (readable by the page, for double submit).
pub const CSRF_COOKIE: &str = "auyl_csrf";
/// Header carrying the CSRF token on writes made with the session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The caller as the authentication middleware found it.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// The live session, if a valid token came with the request.
    pub session: Option<Arc<Session>>,
    /// True when the token came in the cookie (writes then need the CSRF header).
    pub via_cookie: bool,
}

/// The signed-in caller; extracting it from a request without a session answers 401.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Auth>()
            .and_then(|a| a.session.as_ref())
            .map(|s| CurrentUser(s.user.clone()))
            .ok_or_else(ApiError::unauthenticated)
    }
}

/// The client's address (from the connection; unknown in in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// Unix seconds now (the server is the edge that owns the clock).
pub fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// SHA-256 of a token, hex: what the store keeps instead of the token.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Equality that takes the same time wherever the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Argon2id hash (PHC string) of a password, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// Whether `password` matches the PHC string `hash` (false for a malformed hash).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Reads the session token from `Authorization: Bearer` or the session cookie.
fn token_from(headers: &HeaderMap) -> Option<(String, bool)> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some((t.trim().to_string(), false));
    }
    for v in headers.get_all(header::COOKIE) {
        let Ok(v) = v.to_str() else { continue };
        for part in v.split(';') {
            if let Some((k, val)) = part.trim().split_once('=')
                && k == SESSION_COOKIE
                && !val.is_empty()
            {
                return Some((val.to_string(), true));
            }
        }
    }
    None
}

/// Middleware: finds the caller's session (if any) and puts an [`Auth`] in the request.
pub async fn authenticate(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let mut auth = Auth::default();
    if let Some((token, via_cookie)) = token_from(req.headers())
        && token.len() <= 256
    {
        let digest = token_digest(&token);
        let now = now_s();
        let session = match state.sessions.get(&digest, now) {
            Some(s) => Some(s),
            None => match state.store.session(&digest, now).await? {
                Some(s) => Some(state.sessions.put(digest, s)),
                None => None,
            },
        };
        if let Some(session) = session {
            auth = Auth {
                session: Some(session),
                via_cookie,
            };
        }
    }
    req.extensions_mut().insert(auth);
    Ok(next.run(req).await)
}

/// How long a session read from the database answers for it. Logout and account deletion
/// through this server take effect at once; a change made by another process (`auyl users
/// delete`, a second server on the same PostgreSQL) within this time.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(5);
/// Sessions kept at most (beyond it the cache starts afresh).
const SESSION_CACHE_MAX: usize = 10_000;

/// Sessions recently read, by token digest. Reading the session is the one database round
/// trip every request makes: at 100 concurrent dashboard clients it was the server's ceiling
/// (11,600 requests/s on 2 cores), so it is read once per [`SESSION_CACHE_TTL`]. Unknown
/// tokens are not kept (they would let anyone fill the memory).
#[derive(Debug, Default)]
pub(crate) struct SessionCache {
    map: Mutex<HashMap<String, (Arc<Session>, Instant)>>,
}

impl SessionCache {
    fn get(&self, digest: &str, now_s: i64) -> Option<Arc<Session>> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(digest)
            .filter(|(s, at)| at.elapsed() < SESSION_CACHE_TTL && s.expires_at_s > now_s)
            .map(|(s, _)| s.clone())
    }

    fn put(&self, digest: String, session: Session) -> Arc<Session> {
        let session = Arc::new(session);
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SESSION_CACHE_MAX {
            map.retain(|_, (_, at)| at.elapsed() < SESSION_CACHE_TTL);
            if map.len() >= SESSION_CACHE_MAX {
                map.clear();
            }
        }
        map.insert(digest, (session.clone(), Instant::now()));
        session
    }

    fn forget(&self, digest: &str) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(digest);
    }

    fn forget_user(&self, name: &str) {
        self.map
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|_, (s, _)| s.user.name != name);
    }
}

/// Failed logins remembered per key (account or address) within a sliding window.
#[derive(Debug)]
pub struct LoginLimiter {
    window: Duration,
    per_account: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    /// At most `per_account` failures per account and `per_address` per client address in
    /// `window`; further attempts are refused (429) until the oldest failure leaves the window.
    pub fn new(window: Duration, per_account: usize, per_address: usize) -> LoginLimiter {
        LoginLimiter {
            window,
            per_account,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(name: &str, ip: Option<IpAddr>) -> [(String, bool); 2] {
        [
            (format!("user:{name}"), true),
            (
                format!("ip:{}", ip.map_or("-".into(), |i| i.to_string())),
                false,
            ),
        ]
    }

    /// Seconds until a login for `name` from `ip` may be tried again, or None if it may now.
    pub fn blocked_for_s(&self, name: &str, ip: Option<IpAddr>, now: Instant) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for (key, account) in Self::keys(name, ip) {
            let limit = if account {
                self.per_account
            } else {
                self.per_address
            };
            if let Some(v) = map.get_mut(&key) {
                v.retain(|t| now.duration_since(*t) < self.window);
                if v.len() >= limit
                    && let Some(oldest) = v.first()
                {
                    let left = self.window.saturating_sub(now.duration_since(*oldest));
                    wait = Some(wait.unwrap_or(0).max(left.as_secs().max(1)));
                }
            }
        }
        wait
    }

    /// Records a failed login.
    pub fn failed(&self, name: &str, ip: Option<IpAddr>, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        for (key, _) in Self::keys(name, ip) {
            map.entry(key).or_default().push(now);
        }
    }

    /// Forgets an account's failures after a successful login.
    pub fn succeeded(&self, name: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("user:{name}"));
    }
}

/// A role, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    /// Manages accounts and everything else.
    Administrator,
    /// Reads everything, imports the registry, plans.
    MinistryAnalyst,
    /// Sees the registry; edits only its operator's works.
    OperatorEngineer,
    /// Sees its region; edits only land and electricity works assigned to it.
    AkimatOfficer,
    /// Reads only.
    Viewer,
}

impl From<Role> for RoleName {
    fn from(r: Role) -> RoleName {
        match r {
            Role::Administrator => RoleName::Administrator,
            Role::MinistryAnalyst => RoleName::MinistryAnalyst,
            Role::OperatorEngineer => RoleName::OperatorEngineer,
            Role::AkimatOfficer => RoleName::AkimatOfficer,
            Role::Viewer => RoleName::Viewer,
        }
    }
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Role {
        match r {
            RoleName::Administrator => Role::Administrator,
            RoleName::MinistryAnalyst => Role::MinistryAnalyst,
            RoleName::OperatorEngineer => Role::OperatorEngineer,
            RoleName::AkimatOfficer => Role::AkimatOfficer,
            RoleName::Viewer => Role::Viewer,
        }
    }
}

/// An account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: RoleName,
    /// Operator organisation id, for operator engineers.
    pub organisation_id: Option<String>,
    /// Region code, for akimat officers.
    pub region_code: Option<String>,
    /// Creation time, Unix seconds.
    pub created_at_s: i64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> UserView {
        UserView {
            name: u.name.clone(),
            role: u.role.into(),
            organisation_id: u.organisation_id.clone(),
            region_code: u.region_code.clone(),
            created_at_s: u.created_at_s,
        }
    }
}

/// Credentials.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name.
    pub name: String,
    /// Password.
    pub password: String,
}

/// A new session. The token also comes as an HttpOnly cookie; API clients send it as
/// `Authorization: Bearer`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// The account.
    pub user: UserView,
    /// Session token (bearer).
    pub token: String,
    /// CSRF token to send in `X-CSRF-Token` on writes made with the cookie.
    pub csrf_token: String,
    /// End of validity, Unix seconds.
    pub expires_at_s: i64,
}

/// The signed-in caller.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// The account.
    pub user: UserView,
    /// CSRF token of the session.
    pub csrf_token: String,
    /// End of validity, Unix seconds.
    pub expires_at_s: i64,
}

/// An account to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Login name: 1–64 characters of `a-z 0-9 . _ - @`.
    pub name: String,
    /// Password, at least 8 characters.
    pub password: String,
    /// Role.
    pub role: RoleName,
    /// Operator organisation id (required for, and only for, operator engineers).
    #[serde(default)]
    pub organisation_id: Option<String>,
    /// Region code (required for, and only for, akimat officers).
    #[serde(default)]
    pub region_code: Option<String>,
}

/// Checks a new account (name, password length, scope matching the role and existing in the
/// registry), hashes the password and stores it. The CLI's `auyl users add` calls this too.
pub async fn create_user(store: &Store, req: &CreateUser, now_s: i64) -> ApiResult<User> {
    let name_ok = !req.name.is_empty()
        && req.name.len() <= 64
        && req
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(c));
    if !name_ok {
        return Err(ApiError::invalid(
            "name: 1–64 characters of a-z, 0-9, '.', '_', '-', '@'",
        ));
    }
    if req.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiError::invalid(format!(
            "password: at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let role: Role = req.role.into();
    match (role, &req.organisation_id) {
        (Role::OperatorEngineer, None) => {
            return Err(ApiError::invalid(
                "organisation_id: an operator engineer needs its operator's organisation id",
            ));
        }
        (Role::OperatorEngineer, Some(org)) => {
            let known = store.load(Layer::Organisations).await?.iter().any(|r| {
                matches!(r, auyl_model::Record::Org(o) if o.id.0 == *org
                    && o.kind == auyl_model::OrgKind::Operator)
            });
            if !known {
                return Err(ApiError::invalid(format!(
                    "organisation_id: `{org}` is not an operator in the registry"
                )));
            }
        }
        (_, Some(_)) => {
            return Err(ApiError::invalid(
                "organisation_id: only operator engineers belong to an operator",
            ));
        }
        _ => {}
    }
    match (role, &req.region_code) {
        (Role::AkimatOfficer, None) => {
            return Err(ApiError::invalid(
                "region_code: an akimat officer needs its region's code",
            ));
        }
        (Role::AkimatOfficer, Some(code)) => {
            let known = store
                .load(Layer::Regions)
                .await?
                .iter()
                .any(|r| r.key().0 == *code);
            if !known {
                return Err(ApiError::invalid(format!(
                    "region_code: `{code}` is not a region in the registry"
                )));
            }
        }
        (_, Some(_)) => {
            return Err(ApiError::invalid(
                "region_code: only akimat officers are scoped to a region",
            ));
        }
        _ => {}
    }
    let password = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)??;
    match store
        .add_user(&NewUser {
            name: &req.name,
            password_hash: &hash,
            role,
            organisation_id: req.organisation_id.as_deref(),
            region_code: req.region_code.as_deref(),
            created_at_s: now_s,
        })
        .await?
    {
        AddUser::Added(u) => Ok(u),
        AddUser::NameTaken => Err(ApiError::conflict(format!(
            "an account named `{}` exists already",
            req.name
        ))),
    }
}

fn cookie(name: &str, value: &str, max_age_s: i64, http_only: bool, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age_s}; SameSite=Strict{}{}",
        if http_only { "; HttpOnly" } else { "" },
        if secure { "; Secure" } else { "" }
    )
}

/// A fixed valid hash, verified against when the account does not exist, so that unknown and
/// known names take the same time.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sign in; sets the session and CSRF cookies.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody),
              (status = 429, description = "too many failed logins", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    let t0 = Instant::now();
    if let Some(wait) = state.limiter.blocked_for_s(&req.name, ip, t0) {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many failed logins; try again in {wait} s"),
        );
        e.retry_after_s = Some(wait);
        return Err(e);
    }
    let found = if req.name.len() <= 64 {
        state.store.user_with_password_hash(&req.name).await?
    } else {
        None
    };
    let hash = match &found {
        Some((_, h)) => h.clone(),
        None => DUMMY_HASH
            .get_or_init(|| hash_password("not a password").unwrap_or_default())
            .clone(),
    };
    let password = req.password.clone();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(ApiError::internal)?;
    let user = match (found, ok) {
        (Some((user, _)), true) => user,
        _ => {
            state.limiter.failed(&req.name, ip, t0);
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "unknown name or wrong password",
            ));
        }
    };
    state.limiter.succeeded(&req.name);
    let token = random_token();
    let csrf = random_token();
    let now = now_s();
    let ttl = state.config.session_ttl_s;
    state.store.delete_expired_sessions(now).await?;
    state
        .store
        .add_session(&NewSession {
            token_sha256: &token_digest(&token),
            user_name: &user.name,
            csrf_token: &csrf,
            created_at_s: now,
            expires_at_s: now + ttl,
        })
        .await?;
    let secure = state.config.secure_cookies;
    let mut resp = Json(LoginResponse {
        user: UserView::from(&user),
        token: token.clone(),
        csrf_token: csrf.clone(),
        expires_at_s: now + ttl,
    })
    .into_response();
    for c in [
        cookie(SESSION_COOKIE, &token, ttl, true, secure),
        cookie(CSRF_COOKIE, &csrf, ttl, false, secure),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

/// Sign out: ends the session and clears the cookies.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(State(state): State<AppState>, req: Request) -> ApiResult<Response> {
    if let Some((token, _)) = token_from(req.headers()) {
        let digest = token_digest(&token);
        state.store.delete_session(&digest).await?;
        state.sessions.forget(&digest);
    }
    let secure = state.config.secure_cookies;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    for c in [
        cookie(SESSION_COOKIE, "", 0, true, secure),
        cookie(CSRF_COOKIE, "", 0, false, secure),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

/// The signed-in caller and its CSRF token.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(req: Request) -> ApiResult<Json<Me>> {
    let auth = req.extensions().get::<Auth>().cloned().unwrap_or_default();
    let s = auth.session.ok_or_else(ApiError::unauthenticated)?;
    Ok(Json(Me {
        user: UserView::from(&s.user),
        csrf_token: s.csrf_token.clone(),
        expires_at_s: s.expires_at_s,
    }))
}

/// Every account (administrators).
#[utoipa::path(get, path = "/api/users", tag = "auth",
    responses((status = 200, body = Vec<UserView>), (status = 403, body = ErrorBody)))]
async fn list_users(State(state): State<AppState>) -> ApiResult<Json<Vec<UserView>>> {
    Ok(Json(
        state
            .store
            .users()
            .await?
            .iter()
            .map(UserView::from)
            .collect(),
    ))
}

/// Create an account (administrators).
#[utoipa::path(post, path = "/api/users", tag = "auth", request_body = CreateUser,
    responses((status = 201, body = UserView), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn add_user(
    State(state): State<AppState>,
    Json(req): Json<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user = create_user(&state.store, &req, now_s()).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

/// Delete an account and its sessions (administrators; not one's own).
#[utoipa::path(delete, path = "/api/users/{name}", tag = "auth",
    params(("name" = String, Path, description = "login name")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn delete_user(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    if me.name == name {
        return Err(ApiError::conflict(
            "an administrator cannot delete its own account",
        ));
    }
    if state.store.delete_user(&name).await? {
        state.sessions.forget_user(&name);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no account named `{name}`")))
    }
}

/// The auth domain's endpoints.
pub(crate) fn routes(r: Routes) -> Routes {
    r.add(Access::Public, routes!(login))
        .add(Access::SIGNED_IN, routes!(logout))
        .add(Access::SIGNED_IN, routes!(me))
        .add(Access::ADMIN, routes!(list_users, add_user))
        .add(Access::ADMIN, routes!(delete_user))
}

/// A random password of 20 characters from an alphabet without look-alikes (for accounts
/// created from the command line without one).
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    rand::random::<[u8; 20]>()
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}
