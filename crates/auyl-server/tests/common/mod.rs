//! Shared test support: a store loaded with the demo's organisations, regions and settlements,
//! the tracking fixture plan (crates/auyl-track/tests/fixtures/plan_small.json: six demo
//! settlements in Abai and Akmola) stored with its works, one account per role, and requests
//! through the real router (no network).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use auyl_io::ImportOptions;
use auyl_model::Layer;
use auyl_server::{App, Config, CreateUser, RoleName};
use auyl_store::{ImportRun, Store, WriteMode};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";
/// The region of the test akimat officer (Abai region) and a settlement in it and outside it.
pub const AKIMAT_REGION: &str = "100000000";

pub struct Env {
    pub app: App,
    pub store: Store,
    pub db: auyl_testkit::TestDb,
    /// (role letter, account name, bearer token)
    pub tokens: Vec<(char, String, String)>,
}

pub const ROLES: [(char, RoleName); 5] = [
    ('A', RoleName::Administrator),
    ('M', RoleName::MinistryAnalyst),
    ('O', RoleName::OperatorEngineer),
    ('K', RoleName::AkimatOfficer),
    ('V', RoleName::Viewer),
];

pub fn demo_file(name: &str) -> std::path::PathBuf {
    auyl_testkit::repo_root().join("data/demo").join(name)
}

pub async fn load_demo(store: &Store) {
    for (layer, file) in [
        (Layer::Organisations, "organisations.csv"),
        (Layer::Regions, "regions.geojson"),
        (Layer::Settlements, "settlements.csv"),
    ] {
        let import = auyl_io::import_file(&demo_file(file), layer, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let records: Vec<_> = import.records.into_iter().map(|(_, r)| r).collect();
        store
            .import(
                layer,
                &records,
                &ImportRun {
                    source: file,
                    at: "2026-01-01T00:00:00Z",
                    mode: WriteMode::Write,
                    progress: &|_| {},
                },
            )
            .await
            .unwrap();
    }
}

pub async fn add_user(store: &Store, name: &str, role: RoleName) {
    auyl_server::create_user(
        store,
        &CreateUser {
            name: name.into(),
            password: PASSWORD.into(),
            role,
            organisation_id: (role == RoleName::OperatorEngineer).then(|| "kazakhtelecom".into()),
            region_code: (role == RoleName::AkimatOfficer).then(|| AKIMAT_REGION.into()),
        },
        1_700_000_000,
    )
    .await
    .unwrap();
}

/// The tracking fixture plan (six real demo settlements, every kind of work).
pub fn fixture_plan() -> auyl_model::Plan {
    let p = auyl_testkit::repo_root().join("crates/auyl-track/tests/fixtures/plan_small.json");
    serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
}

/// Stores the fixture plan and the works generated from it.
pub async fn load_tracking(store: &Store) {
    let plan = fixture_plan();
    store
        .save_plan(
            &plan,
            &auyl_store::PlanMeta {
                created_at: "2026-01-02T00:00:00Z",
                created_by: Some("test"),
                scenario_text: None,
            },
        )
        .await
        .unwrap();
    let regions: std::collections::HashMap<String, Option<String>> = store
        .load(Layer::Settlements)
        .await
        .unwrap()
        .into_iter()
        .filter_map(auyl_model::Record::into_settlement)
        .map(|s| (s.id.0, s.region_code))
        .collect();
    let g = auyl_track::generate(&plan, &auyl_track::Durations::default(), &|id| {
        regions.get(id.as_str()).cloned().flatten()
    })
    .unwrap();
    let on = auyl_track::parse_date("2026-01-02").unwrap();
    store
        .insert_generated(
            &g,
            &auyl_track::EditContext {
                who: "test".into(),
                at: "2026-01-02T00:00:00Z".into(),
                on,
            },
        )
        .await
        .unwrap();
}

pub async fn env_on(db: auyl_testkit::TestDb, config: Config) -> Env {
    let store = Store::open(&db.url).await.unwrap();
    load_demo(&store).await;
    load_tracking(&store).await;
    for (letter, role) in ROLES {
        add_user(
            &store,
            &format!("user-{}", letter.to_ascii_lowercase()),
            role,
        )
        .await;
    }
    let app = auyl_server::app(store.clone(), config);
    let mut env = Env {
        app,
        store,
        db,
        tokens: vec![],
    };
    for (letter, _) in ROLES {
        let name = format!("user-{}", letter.to_ascii_lowercase());
        let token = login(&env, &name).await;
        env.tokens.push((letter, name, token));
    }
    env
}

/// Signs in and returns the bearer token.
pub async fn login(env: &Env, name: &str) -> String {
    let (status, body, _) = env
        .call(
            Request::post("/api/auth/login")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    serde_json::json!({"name": name, "password": PASSWORD}).to_string(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_string()
}

pub async fn env() -> Env {
    env_on(
        auyl_testkit::sqlite_db(),
        Config {
            terrain: Some(demo_terrain()),
            ..Config::default()
        },
    )
    .await
}

/// The demo terrain (the national 30″ grid and four SRTM3 tiles around Almaty).
pub fn demo_terrain() -> std::sync::Arc<auyl_terrain::DemSet> {
    let dir = auyl_testkit::repo_root().join("data/demo/terrain");
    std::sync::Arc::new(auyl_terrain::DemSet::open_folders(&[dir], 64 << 20).unwrap())
}

impl Env {
    pub fn token(&self, letter: char) -> &str {
        &self.tokens.iter().find(|t| t.0 == letter).unwrap().2
    }

    /// Sends a request; returns the status, the body as JSON (Null when not JSON) and headers.
    pub async fn call(&self, req: Request<Body>) -> (StatusCode, Value, axum::http::HeaderMap) {
        let resp = self.app.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, json, headers)
    }

    /// A request with a JSON body and a bearer token.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        letter: Option<char>,
        body: Value,
    ) -> (StatusCode, Value) {
        let mut b = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(l) = letter {
            b = b.header(header::AUTHORIZATION, format!("Bearer {}", self.token(l)));
        }
        let (s, v, _) = self
            .call(b.body(Body::from(body.to_string())).unwrap())
            .await;
        (s, v)
    }

    /// GET of a file with a bearer token: status and bytes.
    pub async fn get_bytes(&self, path: &str, letter: char) -> (StatusCode, Vec<u8>) {
        let req = Request::get(path)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.token(letter)),
            )
            .body(Body::empty())
            .unwrap();
        let resp = self.app.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, bytes.to_vec())
    }

    /// GET with a bearer token (None: anonymous).
    pub async fn get(&self, path: &str, letter: Option<char>) -> (StatusCode, Value) {
        let mut b = Request::get(path);
        if let Some(l) = letter {
            b = b.header(header::AUTHORIZATION, format!("Bearer {}", self.token(l)));
        }
        let (s, v, _) = self.call(b.body(Body::empty()).unwrap()).await;
        (s, v)
    }
}

/// Asserts an error response has the JSON shape and the code.
pub fn assert_error(status: StatusCode, body: &Value, want_status: StatusCode, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["code"], want_code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}
