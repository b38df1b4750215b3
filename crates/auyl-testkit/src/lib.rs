//! Test support (dev-only): a fresh database on each backend, and paths to fixtures.
//!
//! PostgreSQL comes from `AUYL_TEST_POSTGRES_URL` (an admin URL such as
//! `postgres://postgres@127.0.0.1:5432/postgres`); the test script (`scripts/test`) installs and
//! starts a server and sets it. Without it, PostgreSQL tests fail with a message saying so:
//! nothing is skipped silently.

// Test support: a panic with a clear message is how it reports a broken test environment.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("fixtures").join(rel)
}

/// A file of the shared data beside the repository (`../shared`). Panics with what is needed
/// when it is missing.
pub fn shared(rel: &str) -> PathBuf {
    let p = repo_root().join("../shared").join(rel);
    assert!(
        p.exists(),
        "this test needs {} (the shared data folder beside the repository, see README.md)",
        p.display()
    );
    p
}

/// A database for one test.
pub struct TestDb {
    /// The URL to open.
    pub url: String,
    /// Which backend.
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh SQLite file in a temporary folder.
pub fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    TestDb {
        url,
        backend: "sqlite",
        _dir: Some(dir),
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty PostgreSQL database on the server named by `AUYL_TEST_POSTGRES_URL`.
pub async fn postgres_db() -> TestDb {
    let admin = std::env::var("AUYL_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "AUYL_TEST_POSTGRES_URL is not set: PostgreSQL tests need a server. Run the tests with \
             scripts/test (it installs and starts PostgreSQL), or set it to an admin URL like \
             postgres://postgres@127.0.0.1:5432/postgres"
        )
    });
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to AUYL_TEST_POSTGRES_URL={admin}: {e}"));
    let name = format!(
        "auyl_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name}"
    )))
    .execute(&mut conn)
    .await
    .expect("drop test database");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    TestDb {
        url: format!("{base}/{name}"),
        backend: "postgres",
        _dir: None,
    }
}

/// Both backends, for tests that must pass on each.
pub async fn both_backends() -> Vec<TestDb> {
    vec![sqlite_db(), postgres_db().await]
}
