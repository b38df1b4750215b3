//! The role × endpoint matrix: every route of the router (from its own route table) must have a
//! row here, and every row is proved by a real request as each role and as an anonymous caller.
//! Then the scope rules (an akimat officer's region) and the CSRF rule of cookie sessions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use std::collections::BTreeSet;

/// Who may call each endpoint: `*` anyone (signed in or not), else the role letters:
/// A administrator, M ministry analyst, O operator engineer, K akimat officer, V viewer.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("GET", "/", "*"),
    ("GET", "/assets/{*path}", "*"),
    ("GET", "/api/health", "*"),
    ("GET", "/api/openapi.json", "*"),
    ("GET", "/api/docs", "*"),
    ("GET", "/api/docs/{*rest}", "*"),
    ("POST", "/api/auth/login", "*"),
    ("POST", "/api/auth/logout", "AMOKV"),
    ("GET", "/api/auth/me", "AMOKV"),
    ("GET", "/api/users", "A"),
    ("POST", "/api/users", "A"),
    ("DELETE", "/api/users/{name}", "A"),
    ("GET", "/api/settlements", "AMOKV"),
    ("GET", "/api/settlements/{id}", "AMOKV"),
    ("GET", "/api/regions", "AMOKV"),
    ("GET", "/api/organisations", "AMOKV"),
    ("GET", "/api/registry/layers", "AMOKV"),
    ("GET", "/api/registry/summary", "AMOKV"),
    ("GET", "/api/registry/{layer}/export", "AM"),
    ("POST", "/api/registry/{layer}/import", "AM"),
];

/// A settlement inside the akimat officer's region (Abai) and one outside it.
const IN_REGION: &str = "osm:n27524816"; // Semey, Abai region
fn outside_region(env_settlements: &serde_json::Value) -> String {
    env_settlements["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["region_code"] != AKIMAT_REGION)
        .unwrap()["properties"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn every_route_has_a_rule_and_every_rule_holds() {
    let env = env().await;
    let actual: BTreeSet<(String, String)> = env
        .app
        .routes
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    let expected: BTreeSet<(String, String)> = EXPECTED
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let missing: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in EXPECTED (add who may call them): {missing:?}"
    );
    let stale: Vec<_> = expected.difference(&actual).collect();
    assert!(
        stale.is_empty(),
        "rows for routes that do not exist: {stale:?}"
    );

    let csv = std::fs::read(demo_file("organisations.csv")).unwrap();
    let mut tokens: std::collections::HashMap<char, String> =
        env.tokens.iter().map(|(l, _, t)| (*l, t.clone())).collect();
    let mut checked = 0;
    let mut victim = 0;
    for (method, path, allowed) in EXPECTED {
        for caller in [None, Some('A'), Some('M'), Some('O'), Some('K'), Some('V')] {
            // Fresh objects for the writes, so each call has something to act on.
            victim += 1;
            let victim_name = format!("victim-{victim}");
            if *path == "/api/users/{name}" {
                add_user(&env.store, &victim_name, auyl_server::RoleName::Viewer).await;
            }
            let uri = path
                .replace("{*path}", "app.js")
                .replace("{*rest}", "index.html")
                .replace("{name}", &victim_name)
                .replace("{id}", IN_REGION)
                .replace("{layer}", "organisations");
            let uri = match *path {
                "/api/registry/{layer}/export" => format!("{uri}?format=csv"),
                "/api/registry/{layer}/import" => format!("{uri}?filename=organisations.csv"),
                _ => uri,
            };
            let mut b = Request::builder()
                .method(Method::from_bytes(method.as_bytes()).unwrap())
                .uri(&uri);
            if let Some(l) = caller {
                b = b.header(header::AUTHORIZATION, format!("Bearer {}", tokens[&l]));
            }
            let body = match (*method, *path) {
                ("POST", "/api/auth/login") => {
                    b = b.header(header::CONTENT_TYPE, "application/json");
                    Body::from(format!(r#"{{"name":"user-v","password":"{PASSWORD}"}}"#))
                }
                ("POST", "/api/users") => {
                    b = b.header(header::CONTENT_TYPE, "application/json");
                    Body::from(format!(
                        r#"{{"name":"new-{victim}","password":"{PASSWORD}","role":"viewer"}}"#
                    ))
                }
                ("POST", "/api/registry/{layer}/import") => Body::from(csv.clone()),
                _ => Body::empty(),
            };
            let (status, json, _) = env.call(b.body(body).unwrap()).await;
            let who = caller.map_or("anonymous".to_string(), |c| c.to_string());
            let may = *allowed == "*" || caller.is_some_and(|c| allowed.contains(c));
            assert!(
                !status.is_server_error(),
                "{method} {uri} as {who}: {status} {json}"
            );
            if may {
                assert!(
                    status.is_success() || status.is_redirection(),
                    "{method} {uri} as {who} should be allowed: {status} {json}"
                );
            } else if caller.is_none() {
                assert_error(status, &json, StatusCode::UNAUTHORIZED, "unauthenticated");
            } else {
                assert_error(status, &json, StatusCode::FORBIDDEN, "forbidden");
            }
            checked += 1;
            // Logging out ended the caller's session: prove it, then sign in again.
            if *path == "/api/auth/logout"
                && let Some(l) = caller
            {
                let (s, _) = env.get("/api/auth/me", caller).await;
                assert_eq!(s, StatusCode::UNAUTHORIZED, "the session of {l} ended");
                tokens.insert(
                    l,
                    login(&env, &format!("user-{}", l.to_ascii_lowercase())).await,
                );
            }
        }
    }
    assert_eq!(checked, EXPECTED.len() * 6);
}

#[tokio::test]
async fn akimat_officer_sees_only_its_region() {
    let env = env().await;
    let (s, all) = env.get("/api/settlements", Some('A')).await;
    assert_eq!(s, StatusCode::OK);
    let outside = outside_region(&all);
    let total = all["features"].as_array().unwrap().len();

    let (s, own) = env.get("/api/settlements", Some('K')).await;
    assert_eq!(s, StatusCode::OK);
    let own = own["features"].as_array().unwrap();
    assert!(
        !own.is_empty() && own.len() < total,
        "{} of {total}",
        own.len()
    );
    assert!(
        own.iter()
            .all(|f| f["properties"]["region_code"] == AKIMAT_REGION)
    );

    let (s, body) = env
        .get(&format!("/api/settlements/{IN_REGION}"), Some('K'))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = env
        .get(&format!("/api/settlements/{outside}"), Some('K'))
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
    let (s, body) = env
        .get("/api/settlements?region=750000000", Some('K'))
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
    // Others see the settlement outside the region.
    for l in ['A', 'M', 'O', 'V'] {
        let (s, _) = env
            .get(&format!("/api/settlements/{outside}"), Some(l))
            .await;
        assert_eq!(s, StatusCode::OK, "{l}");
    }
    // The summary of an akimat officer covers its region only.
    let (_, sum) = env.get("/api/registry/summary", Some('K')).await;
    let regions = sum["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 1, "{regions:?}");
    assert_eq!(regions[0]["code"], AKIMAT_REGION);
    assert_eq!(
        sum["total"]["settlements"].as_u64().unwrap() as usize,
        own.len()
    );
    let (_, sum) = env.get("/api/registry/summary", Some('V')).await;
    assert_eq!(
        sum["total"]["settlements"].as_u64().unwrap() as usize,
        total
    );
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_on_writes() {
    let env = env().await;
    let (status, body, headers) = env
        .call(
            Request::post("/api/auth/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(format!(
                    r#"{{"name":"user-a","password":"{PASSWORD}"}}"#
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let cookies: Vec<String> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("auyl_session="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(session.contains(attr), "{session} lacks {attr}");
    }
    let csrf_cookie = cookies
        .iter()
        .find(|c| c.starts_with("auyl_csrf="))
        .unwrap();
    assert!(!csrf_cookie.contains("HttpOnly"));
    let token = body["token"].as_str().unwrap();
    let csrf = body["csrf_token"].as_str().unwrap();
    let cookie = format!("auyl_session={token}");
    let new_user = |n: &str| {
        Body::from(format!(
            r#"{{"name":"{n}","password":"{PASSWORD}","role":"viewer"}}"#
        ))
    };

    // Reads with the cookie need no token.
    let (s, _, _) = env
        .call(
            Request::get("/api/users")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // A write with the cookie and no token, or a wrong one, is refused.
    for sent in [None, Some("0".repeat(64))] {
        let mut b = Request::post("/api/users")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = &sent {
            b = b.header("x-csrf-token", t);
        }
        let (s, body, _) = env.call(b.body(new_user("csrf-1")).unwrap()).await;
        assert_error(s, &body, StatusCode::FORBIDDEN, "csrf_failed");
    }
    assert!(env.store.user("csrf-1").await.unwrap().is_none());
    // With the token it passes.
    let (s, body, _) = env
        .call(
            Request::post("/api/users")
                .header(header::COOKIE, &cookie)
                .header("x-csrf-token", csrf)
                .header(header::CONTENT_TYPE, "application/json")
                .body(new_user("csrf-1"))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // A bearer token is not sent by browsers on their own: no CSRF token needed.
    let (s, body, _) = env
        .call(
            Request::post("/api/users")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(new_user("csrf-2"))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    // Logout ends the session for good.
    let (s, _, _) = env
        .call(
            Request::post("/api/auth/logout")
                .header(header::COOKIE, &cookie)
                .header("x-csrf-token", csrf)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = env
        .call(
            Request::get("/api/auth/me")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
