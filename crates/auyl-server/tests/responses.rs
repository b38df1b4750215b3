//! Read responses kept per version of their data (gzip, entity tags, and a change seen at once),
//! coverage overlays of a plan's sites over the real demo terrain, and the client settings
//! (base map, page security policy).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use auyl_server::{BaseMap, Config};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use common::*;
use http_body_util::BodyExt;
use std::io::Read;
use tower::ServiceExt;

/// A GET as `letter` with extra headers: status, headers, raw body.
async fn raw(
    env: &Env,
    path: &str,
    letter: char,
    extra: &[(header::HeaderName, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut b = Request::get(path).header(
        header::AUTHORIZATION,
        format!("Bearer {}", env.token(letter)),
    );
    for (k, v) in extra {
        b = b.header(k, *v);
    }
    let resp = env
        .app
        .router
        .clone()
        .oneshot(b.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn the_map_layer_is_compressed_revalidated_and_follows_an_import() {
    let env = env().await;
    let path = "/api/settlements?kind=village";
    let (s, h, plain) = raw(&env, path, 'M', &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h.get(header::CONTENT_ENCODING).is_none());
    let etag = h[header::ETAG].to_str().unwrap().to_string();
    assert_eq!(h[header::VARY], "Accept-Encoding");

    let (s, h, packed) = raw(&env, path, 'M', &[(header::ACCEPT_ENCODING, "gzip, br")]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    assert!(
        packed.len() * 3 < plain.len(),
        "{} vs {}",
        packed.len(),
        plain.len()
    );
    assert_eq!(gunzip(&packed), plain);

    let (s, h, body) = raw(&env, path, 'M', &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(h[header::ETAG].to_str().unwrap(), etag);

    // A registry import moves the version: the next read has the new village, another tag.
    let csv = "id,name,lon,lat,kind,population\nt:new,Zhanaauyl,70.1,45.2,village,321\n";
    let (s, body, _) = env
        .call(
            Request::post("/api/registry/settlements/import?filename=new.csv")
                .header(header::AUTHORIZATION, format!("Bearer {}", env.token('A')))
                .body(Body::from(csv))
                .unwrap(),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, h, after) = raw(&env, path, 'M', &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(s, StatusCode::OK, "a stale tag gets the new layer");
    assert_ne!(h[header::ETAG].to_str().unwrap(), etag);
    let fc: serde_json::Value = serde_json::from_slice(&after).unwrap();
    assert!(
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "t:new"),
        "the imported village is on the map"
    );
}

#[tokio::test]
async fn kpis_follow_a_work_edit_and_scopes_do_not_share_answers() {
    let env = env().await;
    let (s, before) = env.get("/api/tracking/kpis", Some('M')).await;
    assert_eq!(s, StatusCode::OK);
    let (s, own) = env.get("/api/tracking/kpis", Some('O')).await;
    assert_eq!(s, StatusCode::OK);
    assert_ne!(
        before["kpis"]["total"], own["kpis"]["total"],
        "the operator sees its own part, not the analyst's cached whole"
    );
    let blocked = |k: &serde_json::Value| {
        k["kpis"]["works_by_status"]["blocked"]
            .as_u64()
            .unwrap_or(0)
    };
    // Block a work: the analyst's next read counts it.
    let (s, works) = env.get("/api/works?limit=1000", Some('O')).await;
    assert_eq!(s, StatusCode::OK);
    let w = works["works"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["status"] == "planned")
        .unwrap()
        .clone();
    let (s, body) = env
        .send(
            "PATCH",
            "/api/works",
            Some('O'),
            serde_json::json!({"work_id": w["id"], "version": w["version"], "status": "blocked",
                "blocker": {"reason": "equipment", "note": "no antennas"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, after) = env.get("/api/tracking/kpis", Some('M')).await;
    assert_eq!(
        blocked(&after),
        blocked(&before) + 1,
        "{}",
        after["kpis"]["works_by_status"]
    );
}

#[tokio::test]
async fn a_site_coverage_overlay_comes_from_the_terrain_and_the_plan() {
    let env = env().await;
    let path = "/api/plans/latest/sites/abay-1/coverage";
    let (s, c) = env.get(path, Some('M')).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    // The fixture plan has no scenario text: the central scenario's LTE settings apply.
    let sc = auyl_plan::Scenario::preset("central").unwrap();
    assert_eq!(c["freq_mhz"], sc.lte.freq_mhz);
    assert_eq!(c["max_path_loss_db"], sc.lte.max_path_loss_db);
    // The image is a real PNG covering the site, on the terrain that exists there (the 30″
    // national grid: the SRTM3 tiles are around Almaty).
    let data = c["image"].as_str().unwrap();
    let png = base64::engine::general_purpose::STANDARD
        .decode(data.strip_prefix("data:image/png;base64,").unwrap())
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let corners = c["coordinates"].as_array().unwrap();
    let (w, n) = (
        corners[0][0].as_f64().unwrap(),
        corners[0][1].as_f64().unwrap(),
    );
    let (e, s_) = (
        corners[2][0].as_f64().unwrap(),
        corners[2][1].as_f64().unwrap(),
    );
    assert!(w < 77.3 && 77.3 < e && s_ < 49.3 && 49.3 < n, "{corners:?}");
    let terrain: Vec<&str> = c["terrain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        terrain.iter().any(|t| t.contains("kz_dem30s")),
        "{terrain:?}"
    );
    // Every settlement counted as covered is within the planner's largest path loss.
    let listed = c["covered"]["list"].as_array().unwrap();
    assert_eq!(
        listed.len() as u64,
        c["covered"]["settlements"].as_u64().unwrap()
    );
    for x in listed {
        assert!(
            x["path_loss_db"].as_f64().unwrap() <= sc.lte.max_path_loss_db + 1e-6,
            "{x}"
        );
        assert!(
            x["distance_m"].as_f64().unwrap() <= sc.lte.max_range_m,
            "{x}"
        );
    }

    // Scope, unknown sites, a server without terrain.
    let (s, body) = env
        .get("/api/plans/latest/sites/mast:akm-77/coverage", Some('K'))
        .await;
    assert_error(s, &body, StatusCode::FORBIDDEN, "out_of_scope");
    let (s, body) = env
        .get("/api/plans/latest/sites/nowhere/coverage", Some('M'))
        .await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");
    let bare = env_on(auyl_testkit::sqlite_db(), Config::default()).await;
    let (s, body) = bare.get(path, Some('M')).await;
    assert_error(s, &body, StatusCode::CONFLICT, "no_terrain");
    let (s, cfg) = bare.get("/api/config", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cfg["coverage"], false);
    assert!(cfg["base_map"].is_null());
}

#[tokio::test]
async fn a_configured_base_map_is_announced_and_allowed_by_the_page_policy() {
    assert!(BaseMap::new("ftp://tiles.example/{z}/{x}/{y}.png", "x", 19).is_err());
    assert!(BaseMap::new("https://tiles.example/{z}/{x}.png", "x", 19).is_err());
    let base = BaseMap::new(
        "https://tile.example.org:8443/osm/{z}/{x}/{y}.png",
        "© OpenStreetMap contributors",
        19,
    )
    .unwrap();
    assert_eq!(base.origin(), "https://tile.example.org:8443");
    let env = env_on(
        auyl_testkit::sqlite_db(),
        Config {
            base_map: Some(base.clone()),
            ..Config::default()
        },
    )
    .await;
    let (s, cfg) = env.get("/api/config", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cfg["base_map"]["tiles_url"], base.tiles_url);
    assert_eq!(cfg["base_map"]["attribution"], base.attribution);
    let (_, _, h) = env
        .call(Request::get("/").body(Body::empty()).unwrap())
        .await;
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("img-src 'self' data: blob: https://tile.example.org:8443")
            && csp.contains("connect-src 'self' data: https://tile.example.org:8443"),
        "{csp}"
    );
    // Without a base map the page talks to this server only.
    let offline = env_on(auyl_testkit::sqlite_db(), Config::default()).await;
    let (_, _, h) = offline
        .call(Request::get("/").body(Body::empty()).unwrap())
        .await;
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("connect-src 'self' data:;"), "{csp}");
}
