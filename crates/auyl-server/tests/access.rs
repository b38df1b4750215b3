//! The role × endpoint matrix: every route of the router (from its own route table) must have a
//! row here, and every row is proved by a real request as each role and as an anonymous caller.
//! Then the scope rules (an akimat officer's region) and the CSRF rule of cookie sessions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use http_body_util::BodyExt;
use std::collections::BTreeSet;
use tower::ServiceExt;

/// Who may call each endpoint: `*` anyone (signed in or not), else the role letters:
/// A administrator, M ministry analyst, O operator engineer, K akimat officer, V viewer.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("GET", "/", "*"),
    ("GET", "/assets/{*path}", "*"),
    ("GET", "/api/health", "*"),
    ("GET", "/api/config", "*"),
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
    ("GET", "/api/works", "AMOKV"),
    ("PATCH", "/api/works", "AMOK"),
    ("GET", "/api/works/history", "AMOKV"),
    ("GET", "/api/tracking/kpis", "AMOKV"),
    ("GET", "/api/tracking/waiting", "AMOKV"),
    ("GET", "/api/tracking/settlements", "AMOKV"),
    ("GET", "/api/tracking/template", "AMOK"),
    ("POST", "/api/tracking/upload", "AMOK"),
    ("GET", "/api/tracking/report", "AMV"),
    ("GET", "/api/plans", "AMOKV"),
    ("GET", "/api/plans/compare", "AMOKV"),
    ("GET", "/api/plans/{plan}", "AMOKV"),
    ("GET", "/api/plans/{plan}/technologies", "AMOKV"),
    ("GET", "/api/plans/{plan}/elements", "AMOKV"),
    ("GET", "/api/plans/{plan}/settlements/{id}", "AMOKV"),
    ("GET", "/api/plans/{plan}/export", "AMV"),
    ("GET", "/api/plans/{plan}/sites/{site}/coverage", "AMOKV"),
    ("GET", "/api/resilience/{plan}", "AMOKV"),
    ("GET", "/api/resilience/{plan}/spof", "AMOKV"),
    ("GET", "/api/resilience/{plan}/elements", "AMOKV"),
    ("GET", "/api/resilience/{plan}/element", "AMOKV"),
    ("GET", "/api/resilience/{plan}/settlements", "AMOKV"),
    ("GET", "/api/resilience/{plan}/settlements/{id}", "AMOKV"),
    ("POST", "/api/resilience/{plan}/scenario", "AMOKV"),
    ("GET", "/api/resilience/{plan}/redundancy", "AMV"),
    // Last: a run stores a new plan, which becomes `latest` for the rows above.
    ("POST", "/api/plans/runs", "AM"),
    ("GET", "/api/plans/runs", "AM"),
    ("GET", "/api/plans/runs/{id}", "AM"),
];

/// Works of the fixture plan: one of the test operator (kazakhtelecom) in the akimat's region,
/// a land allotment of the test akimat (Abai), one of another operator (kcell) in Abai, and a
/// land allotment of another akimat (Akmola).
const OPERATOR_WORK: &str = "settlement:osm:n534085218/commissioning";
const AKIMAT_WORK: &str = "site:abay-1/land_allotment";
const OTHER_OPERATOR_WORK: &str = "site:abay-1/mast_construction";
const OTHER_AKIMAT_WORK: &str = "settlement:osm:n2599328505/land_allotment";

/// The work a caller may change in the matrix (a no-op edit at its current version).
fn editable_work(caller: Option<char>) -> &'static str {
    match caller {
        Some('K') => AKIMAT_WORK,
        _ => OPERATOR_WORK,
    }
}

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
                .replace(
                    "{id}",
                    if path.starts_with("/api/plans") || path.starts_with("/api/resilience") {
                        "osm:n534085218"
                    } else {
                        IN_REGION
                    },
                )
                .replace("{layer}", "organisations")
                .replace("{site}", "abay-1")
                .replace("{plan}", "latest");
            let uri = match *path {
                "/api/registry/{layer}/export" => format!("{uri}?format=csv"),
                "/api/plans/{plan}/export" => format!("{uri}?format=geojson"),
                // The first planning run (the POST rows before started it).
                "/api/plans/runs/{id}" => "/api/plans/runs/1".to_string(),
                "/api/registry/{layer}/import" => format!("{uri}?filename=organisations.csv"),
                "/api/works/history" => format!("{uri}?id={OPERATOR_WORK}"),
                "/api/plans/compare" => format!("{uri}?a=fixture-small@1&b=latest"),
                // A settlement of the operator's and in the akimat's region: every caller's.
                "/api/resilience/{plan}/element" => format!("{uri}?id=osm:n534085218"),
                "/api/tracking/template" if matches!(caller, Some('A' | 'M')) => {
                    format!("{uri}?org=kazakhtelecom")
                }
                _ => uri,
            };
            // An unchanged workbook of the caller's own organisation (the ministry: any).
            let workbook = if *path == "/api/tracking/upload" {
                let getter = match caller {
                    Some('K') => 'K',
                    _ => 'O',
                };
                let req = Request::get("/api/tracking/template")
                    .header(header::AUTHORIZATION, format!("Bearer {}", tokens[&getter]))
                    .body(Body::empty())
                    .unwrap();
                let resp = env.app.router.clone().oneshot(req).await.unwrap();
                assert_eq!(resp.status(), StatusCode::OK);
                resp.into_body()
                    .collect()
                    .await
                    .unwrap()
                    .to_bytes()
                    .to_vec()
            } else {
                vec![]
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
                ("PATCH", "/api/works") => {
                    b = b.header(header::CONTENT_TYPE, "application/json");
                    Body::from(
                        serde_json::json!({"work_id": editable_work(caller), "version": 1})
                            .to_string(),
                    )
                }
                ("POST", "/api/tracking/upload") => Body::from(workbook),
                ("POST", "/api/plans/runs") => {
                    b = b.header(header::CONTENT_TYPE, "application/json");
                    Body::from(r#"{"name":"access","min_population":30000,"time_limit_s":20}"#)
                }
                ("POST", "/api/resilience/{plan}/scenario") => {
                    b = b.header(header::CONTENT_TYPE, "application/json");
                    Body::from(r#"{"kind":"random","k":1,"trials":10}"#)
                }
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
            // One planning run at a time: let this one finish before the next caller starts one.
            if *path == "/api/plans/runs" && *method == "POST" && status.is_success() {
                let id = json["id"].as_u64().unwrap();
                let mut waited = 0;
                loop {
                    let req = Request::get(format!("/api/plans/runs/{id}"))
                        .header(header::AUTHORIZATION, format!("Bearer {}", tokens[&'M']))
                        .body(Body::empty())
                        .unwrap();
                    let (s, run, _) = env.call(req).await;
                    assert_eq!(s, StatusCode::OK);
                    if run["state"] != "running" {
                        assert_eq!(run["state"], "done", "{run}");
                        break;
                    }
                    waited += 1;
                    assert!(
                        waited < 600,
                        "planning run {id} still running after 2 minutes"
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
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

/// The works a caller's list holds, by id.
async fn work_ids(env: &Env, letter: char, query: &str) -> Vec<serde_json::Value> {
    let (s, body) = env.get(&format!("/api/works{query}"), Some(letter)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["works"].as_array().unwrap().clone()
}

async fn work(env: &Env, id: &str) -> serde_json::Value {
    work_ids(env, 'A', "?limit=1000")
        .await
        .into_iter()
        .find(|w| w["id"] == id)
        .unwrap_or_else(|| panic!("no work {id}"))
}

#[tokio::test]
async fn an_operator_engineer_sees_and_edits_only_its_operators_works() {
    let env = env().await;
    let all = work_ids(&env, 'A', "?limit=1000").await;
    let own = work_ids(&env, 'O', "?limit=1000").await;
    assert!(
        !own.is_empty() && own.len() < all.len(),
        "{} of {}",
        own.len(),
        all.len()
    );
    assert!(own.iter().all(|w| w["responsible_id"] == "kazakhtelecom"));
    assert_eq!(
        own.len(),
        all.iter()
            .filter(|w| w["responsible_id"] == "kazakhtelecom")
            .count()
    );
    assert!(own.iter().all(|w| w["editable"] == true));
    let open = work_ids(&env, 'O', "?open=true&limit=1000").await;
    assert!(!open.is_empty());
    assert!(
        open.iter()
            .all(|w| ["planned", "in_progress", "blocked"].contains(&w["status"].as_str().unwrap()))
    );
    // Another operator's work: refused, nothing written.
    let other = work(&env, OTHER_OPERATOR_WORK).await;
    let (s, body) = env
        .send("PATCH", "/api/works", Some('O'),
            serde_json::json!({"work_id": OTHER_OPERATOR_WORK, "version": other["version"], "comment": "mine now"}))
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
    assert_eq!(
        work(&env, OTHER_OPERATOR_WORK).await["comment"],
        other["comment"]
    );
    // Its own work: blocked waiting on equipment.
    let mine = work(&env, OPERATOR_WORK).await;
    let v = mine["version"].as_i64().unwrap();
    let (s, body) = env
        .send(
            "PATCH",
            "/api/works",
            Some('O'),
            serde_json::json!({
            "work_id": OPERATOR_WORK, "version": v, "status": "blocked",
            "blocker": {"reason": "equipment", "note": "modems late"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["work"]["status"], "blocked");
    assert_eq!(body["work"]["version"], v + 1);
    assert_eq!(body["work"]["blocker"]["who_must_act"], "kazakhtelecom");
    assert!(
        body["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "status")
    );
    // The same edit again from the old version: 409 with the stored work.
    let (s, body) = env
        .send(
            "PATCH",
            "/api/works",
            Some('O'),
            serde_json::json!({
            "work_id": OPERATOR_WORK, "version": v, "comment": "stale"}),
        )
        .await;
    assert_error(s, &body, StatusCode::CONFLICT, "conflict");
    assert_eq!(body["details"]["current"]["version"], v + 1);
    assert_eq!(body["details"]["current"]["status"], "blocked");
    // Accepting is the ministry's.
    let (s, body) = env
        .send(
            "PATCH",
            "/api/works",
            Some('O'),
            serde_json::json!({
            "work_id": OPERATOR_WORK, "version": v + 1, "status": "accepted"}),
        )
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "forbidden");
    // A transition the workflow refuses.
    let (s, body) = env
        .send(
            "PATCH",
            "/api/works",
            Some('O'),
            serde_json::json!({
            "work_id": OPERATOR_WORK, "version": v + 1, "status": "done"}),
        )
        .await;
    assert_error(
        s,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_transition",
    );
    // The history shows the edit, by whom.
    let (s, hist) = env
        .get(&format!("/api/works/history?id={OPERATOR_WORK}"), Some('M'))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        hist.as_array()
            .unwrap()
            .iter()
            .any(|e| e["who"] == "user-o" && e["field"] == "status" && e["new"] == "blocked"),
        "{hist}"
    );
    let (s, body) = env
        .get(
            &format!("/api/works/history?id={OTHER_OPERATOR_WORK}"),
            Some('O'),
        )
        .await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");
    // Its waiting list and its workbook only.
    let (s, w) = env.get("/api/tracking/waiting", Some('O')).await;
    assert_eq!(s, StatusCode::OK);
    let groups = w["waiting"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{w}");
    assert_eq!(groups[0]["who_must_act"], "kazakhtelecom");
    let (s, body) = env.get("/api/tracking/template?org=kcell", Some('O')).await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
    // KPIs cover its operator's settlements only.
    let (_, k) = env.get("/api/tracking/kpis", Some('O')).await;
    let ops: Vec<_> = k["kpis"]["by_operator"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(ops, ["kazakhtelecom"]);
    let (_, k) = env.get("/api/tracking/kpis", Some('M')).await;
    assert!(k["kpis"]["by_operator"].as_object().unwrap().len() > 1);
    assert_eq!(k["kpis"]["works_by_status"]["blocked"], 1, "{}", k["kpis"]);
}

#[tokio::test]
async fn an_akimat_officer_sees_its_region_and_edits_only_its_land_and_power_works() {
    let env = env().await;
    let (_, settlements) = env.get("/api/settlements", Some('K')).await;
    let in_region: BTreeSet<String> = settlements["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
        .collect();
    let all = work_ids(&env, 'A', "?limit=1000").await;
    let seen = work_ids(&env, 'K', "?limit=1000").await;
    assert!(!seen.is_empty() && seen.len() < all.len());
    let touches = |w: &serde_json::Value| {
        w["settlement_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| in_region.contains(s.as_str().unwrap()))
    };
    assert!(seen.iter().all(touches));
    assert_eq!(seen.len(), all.iter().filter(|w| touches(w)).count());
    // It sees the operator's mast in its region but may not change it.
    let mast = seen
        .iter()
        .find(|w| w["id"] == OTHER_OPERATOR_WORK)
        .unwrap();
    assert_eq!(mast["editable"], false);
    let editable: Vec<_> = seen.iter().filter(|w| w["editable"] == true).collect();
    assert!(!editable.is_empty());
    assert!(
        editable
            .iter()
            .all(|w| w["responsible_id"] == format!("akimat:{AKIMAT_REGION}")
                && ["land_allotment", "power_connection"].contains(&w["kind"].as_str().unwrap()))
    );
    let (s, body) = env
        .send(
            "PATCH",
            "/api/works",
            Some('K'),
            serde_json::json!({
            "work_id": OTHER_OPERATOR_WORK, "version": mast["version"], "comment": "x"}),
        )
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
    // Another region's land allotment: not even visible.
    assert!(seen.iter().all(|w| w["id"] != OTHER_AKIMAT_WORK));
    let other = work(&env, OTHER_AKIMAT_WORK).await;
    let (s, body) = env
        .send(
            "PATCH",
            "/api/works",
            Some('K'),
            serde_json::json!({
            "work_id": OTHER_AKIMAT_WORK, "version": other["version"], "status": "in_progress"}),
        )
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
    // Its own land allotment: started.
    let land = work(&env, AKIMAT_WORK).await;
    let (s, body) = env
        .send(
            "PATCH",
            "/api/works",
            Some('K'),
            serde_json::json!({
            "work_id": AKIMAT_WORK, "version": land["version"], "status": "in_progress",
            "comment": "plot surveyed"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(work(&env, AKIMAT_WORK).await["status"], "in_progress");
    // What waits on it: only its own akimat; asking for another's is refused.
    let (s, body) = env
        .get("/api/tracking/waiting?who=akimat:110000000", Some('K'))
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
    // The operator blocks its mast's power on the akimat: the akimat sees it waiting.
    let power = work(&env, "site:abay-1/power_connection").await;
    let (s, body) = env
        .send(
            "PATCH",
            "/api/works",
            Some('A'),
            serde_json::json!({
            "work_id": "site:abay-1/power_connection", "version": power["version"],
            "status": "blocked", "blocker": {"reason": "electricity", "note": "no line"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        body["work"]["blocker"]["who_must_act"],
        format!("akimat:{AKIMAT_REGION}")
    );
    let (_, w) = env.get("/api/tracking/waiting", Some('K')).await;
    let groups = w["waiting"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{w}");
    assert_eq!(groups[0]["who_must_act"], format!("akimat:{AKIMAT_REGION}"));
    assert_eq!(
        groups[0]["works"][0]["work_id"],
        "site:abay-1/power_connection"
    );
    // KPIs and map statuses of its region only.
    let (_, k) = env.get("/api/tracking/kpis", Some('K')).await;
    let regions: Vec<_> = k["kpis"]["by_region"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(regions, [AKIMAT_REGION]);
    let (_, st) = env.get("/api/tracking/settlements", Some('K')).await;
    let st = st.as_array().unwrap();
    assert!(!st.is_empty() && st.iter().all(|s| s["region_code"] == AKIMAT_REGION));
    assert!(st.iter().any(|s| s["status"] == "blocked"));
    // Its workbook holds its akimat's works only; another's workbook is refused.
    let (s, body) = env
        .get("/api/tracking/template?org=kazakhtelecom", Some('K'))
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
    let (s, bytes) = env.get_bytes("/api/tracking/template", 'K').await;
    assert_eq!(s, StatusCode::OK);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let wb = auyl_io::tracking_xlsx::read_operator_workbook(
        &path,
        auyl_track::parse_date("2026-06-01").unwrap(),
    )
    .unwrap();
    assert_eq!(wb.organisation_id, format!("akimat:{AKIMAT_REGION}"));
    assert!(!wb.rows.is_empty());
    let editable_ids: BTreeSet<String> = work_ids(&env, 'K', "?editable=true&limit=1000")
        .await
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect();
    let rows: BTreeSet<String> = wb.rows.iter().map(|r| r.update.work_id.0.clone()).collect();
    assert_eq!(rows, editable_ids);
}

/// Saves a copy of workbook `bytes` with cells of the Works sheet replaced (row as shown, header).
fn refill(bytes: &[u8], edits: &[(u32, &str, &str)]) -> Vec<u8> {
    use calamine::{Data, Reader};
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in.xlsx");
    std::fs::write(&src, bytes).unwrap();
    let mut wb = calamine::open_workbook_auto(&src).unwrap();
    let mut out = rust_xlsxwriter::Workbook::new();
    for sheet in ["Works", "Instructions"] {
        let range = wb.worksheet_range(sheet).unwrap();
        let header: Vec<String> = range
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let ws = out.add_worksheet();
        ws.set_name(sheet).unwrap();
        for (r, row) in range.rows().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let e = edits.iter().find(|(er, h, _)| {
                    sheet == "Works" && *er as usize == r + 1 && r > 0 && header[c] == *h
                });
                match (e, v) {
                    (Some((_, _, nv)), _) => ws.write_string(r as u32, c as u16, *nv).unwrap(),
                    (None, Data::Float(x)) => ws.write_number(r as u32, c as u16, *x).unwrap(),
                    (None, Data::Empty) => ws,
                    (None, v) => ws.write_string(r as u32, c as u16, v.to_string()).unwrap(),
                };
            }
        }
    }
    out.save_to_buffer().unwrap()
}

async fn upload(env: &Env, letter: char, bytes: Vec<u8>) -> (StatusCode, serde_json::Value) {
    let (s, v, _) = env
        .call(
            Request::post("/api/tracking/upload")
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", env.token(letter)),
                )
                .body(Body::from(bytes))
                .unwrap(),
        )
        .await;
    (s, v)
}

#[tokio::test]
async fn workbooks_round_trip_and_bad_rows_are_listed() {
    let env = env().await;
    let (s, template) = env.get_bytes("/api/tracking/template", 'O').await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = upload(&env, 'O', b"not a workbook".to_vec()).await;
    assert_error(
        s,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_workbook",
    );
    // A bad status in row 2: refused with the row named, nothing applied.
    let bad = refill(&template, &[(2, "status", "almost")]);
    let before = work_ids(&env, 'O', "?limit=1000").await;
    let (s, body) = upload(&env, 'O', bad).await;
    assert_error(s, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_rows");
    let rows = body["details"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0]["row"], 2);
    assert!(
        rows[0]["column"].as_str().unwrap().contains("status"),
        "{body}"
    );
    assert_eq!(work_ids(&env, 'O', "?limit=1000").await, before);
    // Another operator's workbook (downloaded by the ministry) is refused to this operator.
    let (_, kcell) = env.get_bytes("/api/tracking/template?org=kcell", 'M').await;
    let (s, body) = upload(&env, 'O', kcell).await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
    // A good edit: the first row's work is blocked on permits.
    let good = refill(
        &template,
        &[
            (2, "status", "blocked"),
            (2, "blocker_reason", "permits"),
            (2, "blocker_who", "akimat:100000000"),
        ],
    );
    let (s, body) = upload(&env, 'O', good.clone()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["rows_changed"], 1);
    let changed = body["changes"][0]["work_id"].as_str().unwrap().to_string();
    assert_eq!(work(&env, &changed).await["status"], "blocked");
    // The same workbook again is stale: 409 naming the row.
    let (s, body) = upload(&env, 'O', good).await;
    assert_error(s, &body, StatusCode::CONFLICT, "conflict");
    assert_eq!(body["details"]["rows"][0]["row"], 2);
    // The weekly report.
    let (s, x) = env
        .get_bytes("/api/tracking/report?date=2026-06-01", 'M')
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(&x[..2], b"PK");
    let (s, h) = env
        .get_bytes("/api/tracking/report?date=2026-06-01&format=html", 'V')
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8(h).unwrap().contains("<svg"));
}

#[tokio::test]
async fn plans_are_listed_shown_compared_and_scoped() {
    let env = env().await;
    // A second version of the fixture scenario: one village moves from satellite to LTE.
    let mut plan = fixture_plan();
    let moved = plan
        .settlements
        .iter_mut()
        .find(|s| s.technology == auyl_model::Technology::Satellite)
        .unwrap();
    moved.technology = auyl_model::Technology::Lte;
    let moved_id = moved.settlement_id.0.clone();
    env.store
        .save_plan(
            &plan,
            &auyl_store::PlanMeta {
                created_at: "2026-02-01T00:00:00Z",
                created_by: Some("test"),
                scenario_text: None,
            },
        )
        .await
        .unwrap();
    let (s, list) = env.get("/api/plans", Some('V')).await;
    assert_eq!(s, StatusCode::OK);
    let labels: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["label"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(labels, ["fixture-small@2", "fixture-small@1"]);
    // The latest plan whole for the ministry, its region's settlements for the akimat.
    let (_, all) = env.get("/api/plans/latest", Some('M')).await;
    assert_eq!(all["plan"]["label"], "fixture-small@2");
    assert_eq!(all["matched"], plan.settlements.len());
    let (_, own) = env.get("/api/plans/latest", Some('K')).await;
    let ids: Vec<_> = own["settlements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["settlement_id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !ids.is_empty() && ids.len() < plan.settlements.len(),
        "{ids:?}"
    );
    let (_, techs) = env.get("/api/plans/latest/technologies", Some('K')).await;
    assert_eq!(techs.as_object().unwrap().len(), ids.len());
    assert_eq!(techs[&moved_id], "lte");
    let (s, body) = env
        .get("/api/plans/latest/settlements/osm:n2599328505", Some('K'))
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
    let (s, d) = env
        .get(
            &format!("/api/plans/fixture-small@1/settlements/{moved_id}"),
            Some('K'),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["decision"]["technology"], "satellite");
    // The plan's network for the map: the shared mast of the Abai villages, its fibre route.
    let (s, net) = env.get("/api/plans/latest/elements", Some('M')).await;
    assert_eq!(s, StatusCode::OK);
    let feats = net["features"].as_array().unwrap();
    let count = |e: &str| {
        feats
            .iter()
            .filter(|f| f["properties"]["element"] == e)
            .count()
    };
    assert_eq!(count("site"), plan.sites.len());
    assert_eq!(count("route"), plan.routes.len());
    assert_eq!(count("hop"), plan.hops.len());
    let (_, own_net) = env.get("/api/plans/latest/elements", Some('K')).await;
    let own_sites: Vec<_> = own_net["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["element"] == "site")
        .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
        .collect();
    assert!(own_sites.contains(&"abay-1".to_string()), "{own_sites:?}");
    assert!(own_sites.len() < plan.sites.len(), "{own_sites:?}");
    let (s, body) = env.get("/api/plans/nope@9", Some('M')).await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");
    // The comparison names the one change and the totals by technology.
    let (s, c) = env
        .get(
            "/api/plans/compare?a=fixture-small@1&b=fixture-small@2",
            Some('M'),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["changed_count"], 1);
    assert_eq!(c["changed"][0]["settlement_id"], moved_id.as_str());
    assert_eq!(c["changed"][0]["a"], "satellite");
    assert_eq!(c["changed"][0]["b"], "lte");
    assert_eq!(
        c["totals"]["settlements_served"][0],
        c["totals"]["settlements_served"][1]
    );
}

#[tokio::test]
async fn works_changed_outside_the_server_are_seen_at_once() {
    let env = env().await;
    // Read once (the server now holds the works), then change one through the store, as
    // `auyl tracking import` in another process would.
    let before = work(&env, AKIMAT_WORK).await;
    assert_eq!(before["status"], "planned");
    env.store
        .apply_edit(
            &auyl_track::WorkUpdate::status(
                auyl_model::Id::new(AKIMAT_WORK),
                before["version"].as_i64().unwrap(),
                auyl_track::Status::InProgress,
            ),
            &auyl_track::EditContext {
                who: "cli".into(),
                at: "2026-03-01T00:00:00Z".into(),
                on: auyl_track::parse_date("2026-03-01").unwrap(),
            },
        )
        .await
        .unwrap();
    let after = work(&env, AKIMAT_WORK).await;
    assert_eq!(after["status"], "in_progress");
    assert_eq!(after["version"], before["version"].as_i64().unwrap() + 1);
}

/// Sessions are read from memory for a few seconds after their first use; deleting the account
/// or logging out through the server still ends them at the next request.
#[tokio::test]
async fn a_deleted_account_or_ended_session_is_refused_at_once() {
    let env = env().await;
    let me = |token: &str| {
        Request::get("/api/auth/me")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    add_user(&env.store, "short-lived", auyl_server::RoleName::Viewer).await;
    let token = login(&env, "short-lived").await;
    for _ in 0..2 {
        let (s, body, _) = env.call(me(&token)).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (s, body) = env
        .send(
            "DELETE",
            "/api/users/short-lived",
            Some('A'),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (s, body, _) = env.call(me(&token)).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthenticated");

    add_user(&env.store, "leaving", auyl_server::RoleName::Viewer).await;
    let token = login(&env, "leaving").await;
    let (s, _, _) = env.call(me(&token)).await;
    assert_eq!(s, StatusCode::OK);
    let logout = Request::post("/api/auth/logout")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (s, _, _) = env.call(logout).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, body, _) = env.call(me(&token)).await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
}
