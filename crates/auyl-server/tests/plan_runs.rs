//! Planning runs through the API (one at a time, progress polled, the plan stored as the next
//! version of its scenario) and a stored plan's exports (workbook, GeoJSON, HTML report).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use calamine::Reader;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

/// Polls a run until it ends; its last state.
async fn wait(env: &Env, id: u64) -> Value {
    for _ in 0..1200 {
        let (s, run) = env.get(&format!("/api/plans/runs/{id}"), Some('M')).await;
        assert_eq!(s, axum::http::StatusCode::OK, "{run}");
        if run["state"] != "running" {
            return run;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("planning run {id} still running after 2 minutes");
}

#[tokio::test]
async fn a_planning_run_is_stored_as_the_next_version_and_exports_open() {
    let env = env().await;
    // Bad requests say which field is wrong, before anything runs.
    let (s, e) = env
        .send(
            "POST",
            "/api/plans/runs",
            Some('M'),
            json!({"mode": "cheapest"}),
        )
        .await;
    assert_error(
        s,
        &e,
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert!(e["message"].as_str().unwrap().contains("mode"), "{e}");
    let (s, e) = env
        .send(
            "POST",
            "/api/plans/runs",
            Some('M'),
            json!({"scenario_toml": "[costs]\nfibre_per_km_usd = \"cheap\"\n"}),
        )
        .await;
    assert_error(
        s,
        &e,
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert!(
        e["message"].as_str().unwrap().contains("scenario_toml"),
        "{e}"
    );

    // A run over the towns of the demo registry.
    let body = json!({"name": "towns", "min_population": 30000, "time_limit_s": 20});
    let (s, job) = env
        .send("POST", "/api/plans/runs", Some('M'), body.clone())
        .await;
    assert_eq!(s, axum::http::StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_u64().unwrap();
    assert_eq!(job["state"], "running");
    assert_eq!(job["started_by"], "user-m");
    // Another run while it runs is refused (unless the first has already ended).
    let (s2, again) = env
        .send("POST", "/api/plans/runs", Some('A'), body.clone())
        .await;
    let first = wait(&env, id).await;
    if s2 == axum::http::StatusCode::ACCEPTED {
        wait(&env, again["id"].as_u64().unwrap()).await;
    } else {
        assert_error(s2, &again, axum::http::StatusCode::CONFLICT, "busy");
    }
    assert_eq!(first["state"], "done", "{first}");
    let label = first["plan"].as_str().unwrap().to_string();
    assert_eq!(label, "towns@1");
    let (s, runs) = env.get("/api/plans/runs", Some('A')).await;
    assert_eq!(s, axum::http::StatusCode::OK);
    assert!(runs.as_array().unwrap().iter().any(|r| r["id"] == id));

    // The stored plan is the run's: same count of settlements served, all towns.
    let (s, stored) = env
        .get(&format!("/api/plans/{label}?limit=100000"), Some('M'))
        .await;
    assert_eq!(s, axum::http::StatusCode::OK, "{stored}");
    let rows = stored["settlements"].as_array().unwrap();
    assert_eq!(
        rows.len() as u64,
        first["totals"]["settlements_served"].as_u64().unwrap()
    );
    assert!(!rows.is_empty());
    assert_eq!(
        stored["totals"]["npc_usd"].as_f64(),
        first["totals"]["npc_usd"].as_f64()
    );

    // Exports: a workbook calamine opens, GeoJSON with the plan's settlements, the HTML report.
    let (s, xlsx) = env
        .get_bytes(&format!("/api/plans/{label}/export?format=xlsx"), 'V')
        .await;
    assert_eq!(s, axum::http::StatusCode::OK);
    let wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    assert!(wb.sheet_names().len() >= 2, "{:?}", wb.sheet_names());
    let (s, gj) = env
        .get_bytes(&format!("/api/plans/{label}/export?format=geojson"), 'M')
        .await;
    assert_eq!(s, axum::http::StatusCode::OK);
    let gj: Value = serde_json::from_slice(&gj).unwrap();
    assert!(
        gj["features"].as_array().unwrap().len() >= rows.len(),
        "{}",
        gj["features"].as_array().unwrap().len()
    );
    let (s, html) = env
        .get_bytes(&format!("/api/plans/{label}/export?format=html"), 'A')
        .await;
    assert_eq!(s, axum::http::StatusCode::OK);
    assert!(String::from_utf8(html).unwrap().contains("<html"));
    let (s, e) = env
        .get(&format!("/api/plans/{label}/export?format=pdf"), Some('M'))
        .await;
    assert_error(
        s,
        &e,
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    let (s, e) = env
        .get("/api/plans/nothing@9/export?format=xlsx", Some('M'))
        .await;
    assert_error(s, &e, axum::http::StatusCode::NOT_FOUND, "not_found");
}
