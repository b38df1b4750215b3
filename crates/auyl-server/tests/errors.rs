//! Bad input is answered with a JSON error (stable `code`, a `message`) and a 4xx, never a 500:
//! malformed JSON, wrong types, unknown fields, missing content type, huge bodies, unknown ids,
//! unknown routes and methods, bad queries, bad files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::*;

fn post_json(uri: &str, token: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut b = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    b.body(body.into()).unwrap()
}

#[tokio::test]
async fn bad_requests_are_json_4xx() {
    let env = env().await;
    let admin = env.token('A').to_string();
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            post_json("/api/auth/login", None, "{\"name\": \"user-a\", "),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            post_json("/api/auth/login", None, "not json at all"),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            post_json("/api/auth/login", None, r#"{"name": 5, "password": []}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            post_json("/api/auth/login", None, r#"{"name": "user-a"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            post_json(
                "/api/auth/login",
                None,
                r#"{"name": "user-a", "password": "x", "admin": true}"#,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            Request::post("/api/auth/login")
                .body(Body::from(r#"{"name":"a","password":"b"}"#))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            post_json(
                "/api/auth/login",
                None,
                format!(r#"{{"name": "{}", "password": "x"}}"#, "a".repeat(3 << 20)),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            post_json(
                "/api/users",
                Some(&admin),
                r#"{"name": "x1", "password": "short", "role": "viewer"}"#,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            post_json(
                "/api/users",
                Some(&admin),
                r#"{"name": "x2", "password": "long enough", "role": "emperor"}"#,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            post_json(
                "/api/users",
                Some(&admin),
                r#"{"name": "x3", "password": "long enough", "role": "operator_engineer"}"#,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            post_json(
                "/api/users",
                Some(&admin),
                r#"{"name": "x4", "password": "long enough", "role": "operator_engineer", "organisation_id": "ministry"}"#,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            post_json(
                "/api/users",
                Some(&admin),
                r#"{"name": "x5", "password": "long enough", "role": "akimat_officer", "region_code": "999"}"#,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            post_json(
                "/api/users",
                Some(&admin),
                r#"{"name": "Bad Name!", "password": "long enough", "role": "viewer"}"#,
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            post_json(
                "/api/users",
                Some(&admin),
                format!(r#"{{"name": "user-v", "password": "{PASSWORD}", "role": "viewer"}}"#),
            ),
            StatusCode::CONFLICT,
            "conflict",
        ),
    ];
    for (req, status, code) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let (s, body, _) = env.call(req).await;
        assert_eq!(s, status, "{what}: {body}");
        assert_error(s, &body, status, code);
    }

    let gets: &[(&str, StatusCode, &str)] = &[
        (
            "/api/settlements/no-such-place",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/settlements?limit=abc",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/settlements?limit=-1",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/settlements?colour=red",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/settlements?kind=castle",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "/api/settlements?min_population=1e99",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/registry/castles/export?format=csv",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/registry/settlements/export?format=pdf",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            "/api/registry/settlements/export",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        ("/api/no/such/endpoint", StatusCode::NOT_FOUND, "not_found"),
        (
            "/assets/no-such-file.js",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (uri, status, code) in gets {
        let (s, body) = env.get(uri, Some('A')).await;
        assert_error(s, &body, *status, code);
    }
    // Unknown ids in a delete, a method the route does not have.
    let (s, body, _) = env
        .call(
            Request::delete("/api/users/nobody")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_error(s, &body, StatusCode::NOT_FOUND, "not_found");
    let (s, body, _) = env
        .call(
            Request::put("/api/settlements")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_error(
        s,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    // A token that is not one.
    let (s, body, _) = env
        .call(
            Request::get("/api/auth/me")
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", "z".repeat(5000)),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_error(s, &body, StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test]
async fn bad_registry_files_are_rejected_with_their_rows() {
    let env = env().await;
    let admin = env.token('A').to_string();
    let upload = |uri: &str, body: &'static str| {
        Request::post(uri)
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .body(Body::from(body))
            .unwrap()
    };
    let before = env
        .store
        .count(auyl_model::Layer::Settlements)
        .await
        .unwrap();
    // Row 3 has a latitude that is not a number: the file is refused whole, the row named.
    let bad = "id,name,lon,lat,kind\nt:1,Alpha,70.1,45.2,village\nt:2,Beta,70.2,north,village\n";
    let (s, body, _) = env
        .call(upload(
            "/api/registry/settlements/import?filename=new.csv",
            bad,
        ))
        .await;
    assert_error(s, &body, StatusCode::UNPROCESSABLE_ENTITY, "invalid_rows");
    let rows = body["details"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    assert_eq!(rows[0]["row"], 3);
    assert_eq!(
        env.store
            .count(auyl_model::Layer::Settlements)
            .await
            .unwrap(),
        before
    );
    // With skip_invalid the good row lands and the bad one is reported.
    let (s, body, _) = env
        .call(upload(
            "/api/registry/settlements/import?filename=new.csv&skip_invalid=true",
            bad,
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["added"], 1);
    assert_eq!(body["rejected"].as_array().unwrap().len(), 1);
    assert_eq!(
        env.store
            .count(auyl_model::Layer::Settlements)
            .await
            .unwrap(),
        before + 1
    );
    // Not a file name; an unknown format; garbage bytes.
    for (uri, body) in [
        (
            "/api/registry/settlements/import?filename=..%2F..%2Fetc%2Fpasswd",
            "x",
        ),
        ("/api/registry/settlements/import?filename=data.pdf", "%PDF"),
        (
            "/api/registry/regions/import?filename=r.geojson",
            "{\"type\": \"Feat",
        ),
    ] {
        let (s, json, _) = env.call(upload(uri, body)).await;
        assert!(s.is_client_error(), "{uri}: {s} {json}");
        assert!(
            json["code"].is_string() && json["message"].is_string(),
            "{json}"
        );
    }
}

#[tokio::test]
async fn openapi_document_describes_every_api_route() {
    let env = env().await;
    let (s, doc) = env.get("/api/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for r in &env.app.routes {
        if !r.path.starts_with("/api/")
            || r.path.starts_with("/api/docs")
            || r.path == "/api/openapi.json"
        {
            continue;
        }
        let item = paths
            .get(&r.path)
            .unwrap_or_else(|| panic!("{} is not in the OpenAPI document", r.path));
        assert!(
            item.get(r.method.as_str().to_lowercase()).is_some(),
            "{} {} is not in the OpenAPI document",
            r.method,
            r.path
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    // Swagger UI is served from the binary.
    let resp = tower::ServiceExt::oneshot(
        env.app.router.clone(),
        Request::get("/api/docs/").body(Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}
