//! Accounts and sessions of the web application: who may sign in, with which role and scope.
//!
//! The store keeps what it is given: password hashes (argon2 PHC strings made by the server),
//! SHA-256 digests of session tokens (never the tokens) and Unix times from the caller's clock.

use crate::{Result, Store};
use sqlx::Row;
use std::fmt;
use std::str::FromStr;

/// What an account may do. The scope (operator, region) comes with the [`User`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Manages accounts and everything else.
    Administrator,
    /// Ministry analyst: reads everything, imports the registry, plans.
    MinistryAnalyst,
    /// Operator engineer: sees the registry, edits only its operator's works.
    OperatorEngineer,
    /// Akimat officer: sees its region, edits only land and electricity works assigned to it.
    AkimatOfficer,
    /// Reads, never writes.
    Viewer,
}

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 5] = [
        Role::Administrator,
        Role::MinistryAnalyst,
        Role::OperatorEngineer,
        Role::AkimatOfficer,
        Role::Viewer,
    ];

    /// The stored and serialised name (`ministry_analyst`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::MinistryAnalyst => "ministry_analyst",
            Role::OperatorEngineer => "operator_engineer",
            Role::AkimatOfficer => "akimat_officer",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is none of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role `{0}` (administrator, ministry_analyst, operator_engineer, akimat_officer, viewer)"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> std::result::Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// An account as the application sees it (no password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name; the key.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Operator organisation (`organisations.id`) of an operator engineer.
    pub organisation_id: Option<String>,
    /// Region code (`regions.code`) of an akimat officer.
    pub region_code: Option<String>,
    /// Creation time, Unix seconds.
    pub created_at_s: i64,
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login name.
    pub name: &'a str,
    /// Argon2 PHC string of the password.
    pub password_hash: &'a str,
    /// Role.
    pub role: Role,
    /// Operator organisation, for operator engineers.
    pub organisation_id: Option<&'a str>,
    /// Region code, for akimat officers.
    pub region_code: Option<&'a str>,
    /// Creation time, Unix seconds.
    pub created_at_s: i64,
}

/// Outcome of [`Store::add_user`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddUser {
    /// Created.
    Added(User),
    /// An account of that name exists already; nothing changed.
    NameTaken,
}

/// A session to record at login.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// SHA-256 (hex) of the session token handed to the client.
    pub token_sha256: &'a str,
    /// The account.
    pub user_name: &'a str,
    /// The CSRF token the client must echo on writes.
    pub csrf_token: &'a str,
    /// Login time, Unix seconds.
    pub created_at_s: i64,
    /// End of validity, Unix seconds.
    pub expires_at_s: i64,
}

/// A live session: its account and CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The account.
    pub user: User,
    /// The CSRF token of the session.
    pub csrf_token: String,
    /// End of validity, Unix seconds.
    pub expires_at_s: i64,
}

const USER_COLUMNS: &str =
    "\"name\", \"role\", \"organisation_id\", \"region_code\", \"created_at\"";

fn user_from_row(row: &sqlx::any::AnyRow, offset: usize) -> Result<User> {
    let name: String = row.try_get(offset)?;
    let role: String = row.try_get(offset + 1)?;
    let role = role
        .parse()
        .map_err(|e: UnknownRole| crate::Error::Corrupt {
            layer: "users".into(),
            key: name.clone(),
            message: e.to_string(),
        })?;
    Ok(User {
        name,
        role,
        organisation_id: row.try_get(offset + 2)?,
        region_code: row.try_get(offset + 3)?,
        created_at_s: row.try_get(offset + 4)?,
    })
}

impl Store {
    /// Creates an account unless the name is taken (then nothing changes).
    pub async fn add_user(&self, user: &NewUser<'_>) -> Result<AddUser> {
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT \"name\" FROM \"users\" WHERE \"name\" = $1")
            .bind(user.name.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if exists {
            return Ok(AddUser::NameTaken);
        }
        sqlx::query(
            "INSERT INTO \"users\" (\"name\", \"password_hash\", \"role\", \"organisation_id\", \
             \"region_code\", \"created_at\") VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user.name.to_string())
        .bind(user.password_hash.to_string())
        .bind(user.role.as_str().to_string())
        .bind(user.organisation_id.map(str::to_string))
        .bind(user.region_code.map(str::to_string))
        .bind(user.created_at_s)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(AddUser::Added(User {
            name: user.name.to_string(),
            role: user.role,
            organisation_id: user.organisation_id.map(str::to_string),
            region_code: user.region_code.map(str::to_string),
            created_at_s: user.created_at_s,
        }))
    }

    /// The account of that name, if any.
    pub async fn user(&self, name: &str) -> Result<Option<User>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM \"users\" WHERE \"name\" = $1"
        )))
        .bind(name.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| user_from_row(&r, 0)).transpose()
    }

    /// The account and its password hash, for checking a login.
    pub async fn user_with_password_hash(&self, name: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, \"password_hash\" FROM \"users\" WHERE \"name\" = $1"
        )))
        .bind(name.to_string())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some((user_from_row(&r, 0)?, r.try_get(5)?))),
            None => Ok(None),
        }
    }

    /// Every account, ordered by name.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM \"users\" ORDER BY \"name\""
        )))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| user_from_row(r, 0)).collect()
    }

    /// Number of accounts (zero on a fresh database: the first administrator is still to come).
    pub async fn user_count(&self) -> Result<u64> {
        let n: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM \"users\"")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(n as u64)
    }

    /// Replaces an account's password hash and ends its sessions; false if there is no such account.
    pub async fn set_password_hash(&self, name: &str, password_hash: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("UPDATE \"users\" SET \"password_hash\" = $1 WHERE \"name\" = $2")
            .bind(password_hash.to_string())
            .bind(name.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM \"sessions\" WHERE \"user_name\" = $1")
            .bind(name.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Deletes an account and its sessions; false if there was none.
    pub async fn delete_user(&self, name: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM \"sessions\" WHERE \"user_name\" = $1")
            .bind(name.to_string())
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query("DELETE FROM \"users\" WHERE \"name\" = $1")
            .bind(name.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Records a session at login.
    pub async fn add_session(&self, session: &NewSession<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO \"sessions\" (\"token_sha256\", \"user_name\", \"csrf_token\", \
             \"created_at\", \"expires_at\") VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session.token_sha256.to_string())
        .bind(session.user_name.to_string())
        .bind(session.csrf_token.to_string())
        .bind(session.created_at_s)
        .bind(session.expires_at_s)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The live session of a token digest at time `now_s`, if any (expired ones are not returned).
    pub async fn session(&self, token_sha256: &str, now_s: i64) -> Result<Option<Session>> {
        let cols = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {cols}, s.\"csrf_token\", s.\"expires_at\" FROM \"sessions\" s \
             JOIN \"users\" u ON u.\"name\" = s.\"user_name\" \
             WHERE s.\"token_sha256\" = $1 AND s.\"expires_at\" > $2"
        )))
        .bind(token_sha256.to_string())
        .bind(now_s)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some(Session {
                user: user_from_row(&r, 0)?,
                csrf_token: r.try_get(5)?,
                expires_at_s: r.try_get(6)?,
            })),
            None => Ok(None),
        }
    }

    /// Ends a session (logout). Ending an unknown one is not an error.
    pub async fn delete_session(&self, token_sha256: &str) -> Result<()> {
        sqlx::query("DELETE FROM \"sessions\" WHERE \"token_sha256\" = $1")
            .bind(token_sha256.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets sessions that ended before `now_s`; returns how many.
    pub async fn delete_expired_sessions(&self, now_s: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM \"sessions\" WHERE \"expires_at\" <= $1")
                .bind(now_s)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }
}
