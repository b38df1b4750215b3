//! Storage errors.

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database URL is not understood.
    #[error("database `{0}`: not a SQLite path/URL or a postgres:// URL")]
    BadUrl(String),
    /// The database could not be reached or opened.
    #[error("cannot open database `{url}`: {source}")]
    Connect {
        /// The URL, without a password.
        url: String,
        /// The cause.
        source: sqlx::Error,
    },
    /// The schema could not be brought up to date.
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// Something asked for by name or id is not stored.
    #[error("{what} not found; {known}")]
    NotFound {
        /// What was asked for.
        what: String,
        /// What is there instead (or how to create it).
        known: String,
    },
    /// Stored data could not be turned back into records (a bug or a hand-edited database).
    #[error("stored {layer} `{key}`: {message}")]
    Corrupt {
        /// The layer.
        layer: String,
        /// The record's key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// The store's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn connect(url: &str, source: sqlx::Error) -> Error {
        Error::Connect {
            url: redact(url),
            source,
        }
    }
}

/// Hides the password of a URL for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
