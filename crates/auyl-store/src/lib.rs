//! Storage: the registry in SQLite (default, a single file in WAL mode) or PostgreSQL, behind one
//! set of migrations and one API.
//!
//! Every write is one transaction: an import either lands whole or leaves the database as it was,
//! also when the process is killed half-way. Queries are written once in portable SQL and run
//! through sqlx's `Any` driver; `$1`-style placeholders work on both backends.
//!
//! ```no_run
//! # async fn demo() -> Result<(), auyl_store::Error> {
//! let store = auyl_store::Store::open("sqlite://auyl.db").await?;
//! let settlements = store.load(auyl_model::Layer::Settlements).await?;
//! # Ok(()) }
//! ```

mod error;
mod plans;
mod registry;
mod routes;
mod tracking;
mod users;

pub use error::{Error, Result};
pub use plans::{PlanMeta, PlanRef};
pub use registry::{ImportDiff, ImportRun, WriteMode};
pub use routes::{FibreBranchRow, FibreRouteRun, RunId};
pub use tracking::{GenerateSummary, TrackError, TrackResult};
pub use users::{AddUser, NewSession, NewUser, Role, Session, UnknownRole, User};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which database is behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A connection pool to the auyl database, migrated to the current schema.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// Normalises a database argument: a bare path or `sqlite:` URL becomes a SQLite URL that
/// creates the file when missing; `postgres://` URLs pass through.
pub fn normalise_url(url: &str) -> Result<(String, Backend)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((url.to_string(), Backend::Postgres));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.contains("://") {
        return Err(Error::BadUrl(url.to_string()));
    }
    let (file, query) = path.split_once('?').unwrap_or((path, ""));
    if file.is_empty() {
        return Err(Error::BadUrl(url.to_string()));
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".to_string()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok((format!("sqlite://{file}?{query}"), Backend::Sqlite))
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`:
    /// `sqlite://path`, a bare path, or `postgres://user@host/db`.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (url, backend) = normalise_url(url)?;
        // Statements are logged at debug level by the caller's tracing if wanted; sqlx's own
        // per-statement warnings would flood the terminal during bulk imports.
        let opts = AnyConnectOptions::from_str(&url)
            .map_err(|e| Error::connect(&url, e))?
            .disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers never block the writer; NORMAL is durable in WAL mode
                        // except for the last transactions before a power cut, never corrupt.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    } else {
                        // PostgreSQL compiles a query with LLVM once its estimated cost passes
                        // `jit_above_cost`; the estimates of this schema's id lookups (correlated
                        // subqueries per work) pass it, and compiling took 160 ms of a 200 ms
                        // statement: 4 s of a 20,000-row import. Nothing here runs long enough to
                        // win that back.
                        conn.execute("SET jit = off").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(|e| Error::connect(&url, e))?;
        MIGRATOR.run(&pool).await?;
        Ok(Store { pool, backend })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for crates that add their own tables through this crate's migrations.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool, waiting for connections to finish (and SQLite to checkpoint).
    pub async fn close(self) {
        self.pool.close().await;
    }
}
