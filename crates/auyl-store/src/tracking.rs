//! Tracking in the database: works generated from a plan, edits checked against the stored
//! version and written together with their audit entries in one transaction, all-or-nothing
//! batches, and the audit chain read back for verification.
//!
//! Every write first moves the single `audit_head` row, which serialises tracking writers on
//! both backends; each work is then written with `WHERE version = <the version it was read at>`,
//! so an edit made from a stale version fails as [`auyl_track::Error::Conflict`] instead of
//! overwriting someone else's change.

use crate::{Backend, Store};
use auyl_model::Id;
use auyl_track::{
    Applied, AuditEntry, Blocker, BlockerReason, ChainHead, EditContext, Generated, Ledger, Status,
    TrackedSettlement, Work, WorkKind, WorkUpdate, format_date, parse_date,
};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Errors of tracking storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrackError {
    /// The database failed.
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    /// A tracking rule refused the change (conflict, transition, dependency, blocker, dates).
    #[error(transparent)]
    Rule(#[from] auyl_track::Error),
    /// A stored value cannot be read back (a hand-edited database).
    #[error("stored {table} `{key}`: {message}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The row's key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// Tracking storage's result.
pub type TrackResult<T> = std::result::Result<T, TrackError>;

/// What storing generated works did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Works not stored before.
    pub works_added: u64,
    /// Works already stored (kept as they are, with their progress).
    pub works_kept: u64,
    /// Tracked settlements written (added or refreshed).
    pub settlements: u64,
}

/// Rows per JSON-parameter statement ([`json_rows_select`], [`json_list_select`]): a handful of
/// statements for a national import, while the JSON text, its parsed copy in the database and
/// the results stay a few megabytes each.
const JSON_CHUNK: usize = 5_000;

fn sql(s: String) -> sqlx::AssertSqlSafe<String> {
    // Assembled only from static table and column names; values always go through binds.
    sqlx::AssertSqlSafe(s)
}

/// `SELECT <columns> FROM <the rows of a JSON array>`: the array is the statement's one bind
/// parameter, each of its rows a JSON array whose element `i` is column `i`, cast to `types[i]`.
///
/// Bulk writes go through this rather than multi-row `VALUES` lists: one statement with one
/// parameter, whatever the number of rows, instead of a statement of 30,000 binds per 2,000 rows
/// that PostgreSQL parses and plans anew, and the driver converts bind by bind.
fn json_rows_select(backend: Backend, types: &[&str]) -> String {
    let (elem, from) = match backend {
        Backend::Sqlite => ("\"value\"", "json_each(?)"),
        Backend::Postgres => ("r.e", "jsonb_array_elements(CAST($1 AS jsonb)) AS r(e)"),
    };
    let cols = types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("CAST({elem} ->> {i} AS {t})"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("SELECT {cols} FROM {from}")
}

/// `"a", "b", …`: a column list.
fn quoted_cols(cols: &[&str]) -> String {
    cols.iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SELECT` of the strings of a JSON array bound as the statement's one parameter: an id list
/// of any length in one statement (`WHERE "id" IN (<this>)`).
fn json_list_select(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SELECT \"value\" FROM json_each(?)",
        Backend::Postgres => "SELECT jsonb_array_elements_text(CAST($1 AS jsonb))",
    }
}

/// A JSON array of these strings (what [`json_list_select`] reads).
fn json_list(ids: &[String]) -> String {
    serde_json::Value::from(ids).to_string()
}

/// The JSON array of `rows` (each serialised as a JSON array: a tuple) that
/// [`json_rows_select`] reads, written straight into one string.
fn json_rows<T: serde::Serialize>(table: &'static str, rows: &[T]) -> TrackResult<String> {
    // Tuples of strings, numbers and options always serialise; an error would be a bug here.
    serde_json::to_string(rows).map_err(|e| TrackError::Corrupt {
        table,
        key: String::new(),
        message: format!("rows could not be written as JSON: {e}"),
    })
}

const WORK_COLS: [&str; 16] = [
    "id",
    "kind",
    "responsible_id",
    "planned_start",
    "planned_finish",
    "status",
    "blocker_reason",
    "blocker_who",
    "blocker_since",
    "blocker_note",
    "actual_start",
    "actual_finish",
    "comment",
    "version",
    "updated_at",
    "updated_by",
];

/// The SQL types of [`WORK_COLS`], for [`json_rows_select`].
const WORK_TYPES: [&str; 16] = [
    "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT",
    "TEXT", "BIGINT", "TEXT", "TEXT",
];

/// A tracked settlement as a row of `insert_generated`'s columns for [`json_rows`].
type TrackedJson<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    i64,
    &'a str,
    String,
);

/// A work as a row of [`WORK_COLS`] for [`json_rows`].
type WorkJson<'a> = (
    &'a str,
    &'a str,
    &'a str,
    String,
    String,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<String>,
    Option<&'a str>,
    Option<String>,
    Option<String>,
    &'a str,
    i64,
    &'a str,
    &'a str,
);

/// A work as a row of [`WORK_COLS`] for [`json_rows`].
fn work_json<'a>(w: &'a Work, ctx: &'a EditContext) -> WorkJson<'a> {
    let b = w.blocker.as_ref();
    (
        w.id.as_str(),
        w.kind.as_str(),
        w.responsible_id.as_str(),
        format_date(w.planned_start),
        format_date(w.planned_finish),
        w.status.as_str(),
        b.map(|b| b.reason.as_str()),
        b.map(|b| b.who_must_act.as_str()),
        b.map(|b| format_date(b.since)),
        b.map(|b| b.note.as_str()),
        w.actual_start.map(format_date),
        w.actual_finish.map(format_date),
        &w.comment,
        w.version,
        &ctx.at,
        &ctx.who,
    )
}

const AUDIT_COLS: [&str; 9] = [
    "seq",
    "at",
    "who",
    "entity",
    "field",
    "old_value",
    "new_value",
    "prev_hash",
    "hash",
];

impl Store {
    /// Locks the audit head (the first write of every tracking transaction) and returns it.
    async fn lock_head(conn: &mut AnyConnection) -> TrackResult<ChainHead> {
        sqlx::query("UPDATE \"audit_head\" SET \"seq\" = \"seq\" WHERE \"id\" = 1")
            .execute(&mut *conn)
            .await?;
        let row = sqlx::query("SELECT \"seq\", \"hash\" FROM \"audit_head\" WHERE \"id\" = 1")
            .fetch_one(&mut *conn)
            .await?;
        Ok(ChainHead {
            seq: row.try_get(0)?,
            hash: row.try_get(1)?,
        })
    }

    async fn append_audit(
        &self,
        conn: &mut AnyConnection,
        entries: &[AuditEntry],
        head: &ChainHead,
    ) -> TrackResult<()> {
        let cols = quoted_cols(&AUDIT_COLS);
        let mut types = ["TEXT"; AUDIT_COLS.len()];
        types[0] = "BIGINT";
        let rows: Vec<_> = entries
            .iter()
            .map(|e| {
                (
                    e.seq,
                    &e.at,
                    &e.who,
                    &e.entity,
                    &e.field,
                    &e.old,
                    &e.new,
                    &e.prev_hash,
                    &e.hash,
                )
            })
            .collect();
        let insert = format!(
            "INSERT INTO \"audit_log\" ({cols}) {}",
            json_rows_select(self.backend, &types)
        );
        let mut n = 0;
        for chunk in rows.chunks(JSON_CHUNK) {
            n += sqlx::query(sql(insert.clone()))
                .bind(json_rows("audit_log", chunk)?)
                .execute(&mut *conn)
                .await?
                .rows_affected();
        }
        if n != entries.len() as u64 {
            return Err(TrackError::Corrupt {
                table: "audit_log",
                key: String::new(),
                message: format!("{n} of {} audit entries were written", entries.len()),
            });
        }
        let ph = |n| self.track_ph(n);
        sqlx::query(sql(format!(
            "UPDATE \"audit_head\" SET \"seq\" = {}, \"hash\" = {} WHERE \"id\" = 1",
            ph(1),
            ph(2)
        )))
        .bind(head.seq)
        .bind(head.hash.clone())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    fn track_ph(&self, n: usize) -> String {
        match self.backend {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${n}"),
        }
    }

    /// Stores generated works and tracked settlements in one transaction. Works already stored
    /// keep their status and history (generating again from a newer plan adds only new works);
    /// tracked settlements are refreshed. One audit entry records the generation.
    pub async fn insert_generated(
        &self,
        g: &Generated,
        ctx: &EditContext,
    ) -> TrackResult<GenerateSummary> {
        let mut tx = self.pool.begin().await?;
        let mut head = Self::lock_head(&mut tx).await?;
        let existing: HashSet<String> = sqlx::query("SELECT \"id\" FROM \"works\"")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|r| r.try_get::<String, _>(0))
            .collect::<Result<_, _>>()?;
        let new: Vec<&Work> = g
            .works
            .iter()
            .filter(|w| !existing.contains(w.id.as_str()))
            .collect();
        const TS_COLS: [&str; 8] = [
            "settlement_id",
            "scenario",
            "region_code",
            "operator_id",
            "akimat_id",
            "people",
            "technology",
            "target_date",
        ];
        let tail = "ON CONFLICT (\"settlement_id\") DO UPDATE SET \"scenario\" = excluded.\"scenario\", \"region_code\" = excluded.\"region_code\", \"operator_id\" = excluded.\"operator_id\", \"akimat_id\" = excluded.\"akimat_id\", \"people\" = excluded.\"people\", \"technology\" = excluded.\"technology\", \"target_date\" = excluded.\"target_date\"";
        let settlements: Vec<TrackedJson> = g
            .settlements
            .iter()
            .map(|s| {
                (
                    s.settlement_id.as_str(),
                    g.scenario.as_str(),
                    s.region_code.as_str(),
                    s.operator_id.as_str(),
                    s.akimat_id.as_ref().map(Id::as_str),
                    s.people as i64,
                    s.technology.as_str(),
                    format_date(s.target_date),
                )
            })
            .collect();
        // `WHERE true`: SQLite would read `ON` as a join constraint of the SELECT.
        let upsert = format!(
            "INSERT INTO \"tracked_settlements\" ({}) {} WHERE true {tail}",
            quoted_cols(&TS_COLS),
            json_rows_select(
                self.backend,
                &[
                    "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "TEXT", "TEXT"
                ]
            )
        );
        for chunk in settlements.chunks(JSON_CHUNK) {
            sqlx::query(sql(upsert.clone()))
                .bind(json_rows("tracked_settlements", chunk)?)
                .execute(&mut *tx)
                .await?;
        }
        if !new.is_empty() {
            let rows: Vec<WorkJson> = new.iter().map(|w| work_json(w, ctx)).collect();
            let insert = format!(
                "INSERT INTO \"works\" ({}) {}",
                quoted_cols(&WORK_COLS),
                json_rows_select(self.backend, &WORK_TYPES)
            );
            for chunk in rows.chunks(JSON_CHUNK) {
                sqlx::query(sql(insert.clone()))
                    .bind(json_rows("works", chunk)?)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // Settlements and dependencies of new works, and settlements newly served by kept works.
        let mut links: Vec<(&Id, &Id, i64)> = Vec::new();
        let mut deps: Vec<(&Id, &Id, i64)> = Vec::new();
        for w in &g.works {
            for (i, s) in w.settlement_ids.iter().enumerate() {
                links.push((&w.id, s, i as i64));
            }
            if !existing.contains(w.id.as_str()) {
                for (i, d) in w.depends_on.iter().enumerate() {
                    deps.push((&w.id, d, i as i64));
                }
            }
        }
        for (table, cols, rows) in [
            (
                "work_settlements",
                ["work_id", "settlement_id", "position"],
                &links,
            ),
            (
                "work_dependencies",
                ["work_id", "depends_on", "position"],
                &deps,
            ),
        ] {
            // `WHERE true`: SQLite would read `ON` as a join constraint of the SELECT.
            let insert = format!(
                "INSERT INTO \"{table}\" ({}) {} WHERE true ON CONFLICT DO NOTHING",
                quoted_cols(&cols),
                json_rows_select(self.backend, &["TEXT", "TEXT", "BIGINT"])
            );
            for chunk in rows.chunks(JSON_CHUNK) {
                sqlx::query(sql(insert.clone()))
                    .bind(json_rows(table, chunk)?)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let summary = GenerateSummary {
            works_added: new.len() as u64,
            works_kept: (g.works.len() - new.len()) as u64,
            settlements: g.settlements.len() as u64,
        };
        let entry = head.append(
            &ctx.at,
            &ctx.who,
            &format!("plan:{}", g.scenario),
            "works",
            "",
            &format!(
                "{} works generated for {} settlements ({} already tracked)",
                summary.works_added, summary.settlements, summary.works_kept
            ),
        );
        self.append_audit(&mut tx, &[entry], &head).await?;
        tx.commit().await?;
        Ok(summary)
    }

    /// Applies one edit: checks it against the stored work (version, workflow, dependencies)
    /// and writes the work, its blocker history and the audit entries in one transaction.
    pub async fn apply_edit(&self, update: &WorkUpdate, ctx: &EditContext) -> TrackResult<Applied> {
        let mut out = self.apply_batch(std::slice::from_ref(update), ctx).await?;
        out.pop().ok_or_else(|| TrackError::Corrupt {
            table: "works",
            key: update.work_id.to_string(),
            message: "the edit produced no result".into(),
        })
    }

    /// Applies every edit or none, in one transaction: any refused edit (stale version, bad
    /// transition, …) rolls the whole batch back and is reported with its position. Later edits
    /// see earlier ones. Edits that change nothing are accepted and write nothing.
    pub async fn apply_batch(
        &self,
        updates: &[WorkUpdate],
        ctx: &EditContext,
    ) -> TrackResult<Vec<Applied>> {
        let mut tx = self.pool.begin().await?;
        let mut head = Self::lock_head(&mut tx).await?;
        let works = load_works_for(&mut tx, self.backend, updates).await?;
        let mut ledger = Ledger::new(works);
        let applied = ledger.apply_batch(updates, ctx).map_err(|e| match e {
            // A single edit reports its own error, not "edit 0 of the batch".
            auyl_track::Error::Batch { source, .. } if updates.len() == 1 => {
                TrackError::Rule(*source)
            }
            e => TrackError::Rule(e),
        })?;
        // The final state of each changed work, written with the version it was read at.
        let mut finals: BTreeMap<&Id, (&Work, i64)> = BTreeMap::new();
        let mut entries = Vec::new();
        for (a, u) in applied.iter().zip(updates) {
            if a.changes.is_empty() {
                continue;
            }
            let read_at = finals
                .get(&a.work.id)
                .map_or(u.expected_version, |(_, v)| *v);
            finals.insert(&a.work.id, (&a.work, read_at));
            entries.extend(head.append_changes(ctx, &a.changes));
        }
        let rows: Vec<(&Work, i64)> = finals.into_values().collect();
        // Works changed once in the batch: one version-checked upsert of all of them (every id
        // exists: the ledger refused unknown works).
        let simple: Vec<WorkJson> = rows
            .iter()
            .filter(|(w, v)| w.version == v + 1)
            .map(|(w, _)| work_json(w, ctx))
            .collect();
        if !simple.is_empty() {
            let cols = quoted_cols(&WORK_COLS);
            let sets = WORK_COLS[1..]
                .iter()
                .map(|c| format!("\"{c}\" = excluded.\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ");
            // `WHERE true`: SQLite would read `ON` as a join constraint of the SELECT.
            let s = format!(
                "INSERT INTO \"works\" ({cols}) {} WHERE true ON CONFLICT (\"id\") DO UPDATE SET {sets} \
                 WHERE \"works\".\"version\" = excluded.\"version\" - 1",
                json_rows_select(self.backend, &WORK_TYPES)
            );
            let mut n = 0;
            for chunk in simple.chunks(JSON_CHUNK) {
                n += sqlx::query(sql(s.clone()))
                    .bind(json_rows("works", chunk)?)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            if n != simple.len() as u64 {
                return Err(self.conflict_in(&mut tx, &rows).await);
            }
        }
        // Works changed several times in the batch jump more than one version: written one
        // by one (rare: an operator edits each work on one row).
        for (w, v) in rows.iter().filter(|(w, v)| w.version != v + 1) {
            let sets = WORK_COLS[1..]
                .iter()
                .enumerate()
                .map(|(i, c)| format!("\"{c}\" = {}", self.track_ph(i + 1)))
                .collect::<Vec<_>>()
                .join(", ");
            let s = format!(
                "UPDATE \"works\" SET {sets} WHERE \"id\" = {} AND \"version\" = {}",
                self.track_ph(WORK_COLS.len()),
                self.track_ph(WORK_COLS.len() + 1)
            );
            let b = w.blocker.as_ref();
            let n = sqlx::query(sql(s))
                .bind(w.kind.as_str().to_string())
                .bind(w.responsible_id.to_string())
                .bind(format_date(w.planned_start))
                .bind(format_date(w.planned_finish))
                .bind(w.status.as_str().to_string())
                .bind(b.map(|b| b.reason.as_str().to_string()))
                .bind(b.map(|b| b.who_must_act.to_string()))
                .bind(b.map(|b| format_date(b.since)))
                .bind(b.map(|b| b.note.clone()))
                .bind(w.actual_start.map(format_date))
                .bind(w.actual_finish.map(format_date))
                .bind(w.comment.clone())
                .bind(w.version)
                .bind(ctx.at.clone())
                .bind(ctx.who.clone())
                .bind(w.id.to_string())
                .bind(*v)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n != 1 {
                return Err(self.conflict_in(&mut tx, &rows).await);
            }
        }
        self.record_blockers(&mut tx, &applied, ctx).await?;
        if !entries.is_empty() {
            self.append_audit(&mut tx, &entries, &head).await?;
        }
        tx.commit().await?;
        Ok(applied)
    }

    /// The conflict that made a version-checked write affect fewer rows than expected: a
    /// concurrent writer changed one of these works after this transaction read it.
    async fn conflict_in(&self, conn: &mut AnyConnection, rows: &[(&Work, i64)]) -> TrackError {
        let ids: Vec<String> = rows.iter().map(|(w, _)| w.id.to_string()).collect();
        let stored = match fetch_by_ids(
            conn,
            self.backend,
            "SELECT \"id\", \"version\" FROM \"works\"",
            "id",
            "\"id\"",
            Some(&ids),
        )
        .await
        {
            Ok(r) => r,
            Err(e) => return e,
        };
        let versions: HashMap<String, i64> = stored
            .iter()
            .filter_map(|r| Some((r.try_get(0).ok()?, r.try_get(1).ok()?)))
            .collect();
        for (w, v) in rows {
            match versions.get(w.id.as_str()) {
                Some(actual) if actual != v => {
                    return TrackError::Rule(auyl_track::Error::Conflict {
                        work_id: w.id.clone(),
                        expected: *v,
                        actual: *actual,
                    });
                }
                Some(_) => {}
                None => {
                    return TrackError::Rule(auyl_track::Error::UnknownWork {
                        work_id: w.id.clone(),
                    });
                }
            }
        }
        TrackError::Corrupt {
            table: "works",
            key: String::new(),
            message: "a version-checked write changed fewer rows than expected".into(),
        }
    }

    /// Closes blockers that were lifted and opens the new ones (the blocker history).
    async fn record_blockers(
        &self,
        conn: &mut AnyConnection,
        applied: &[Applied],
        ctx: &EditContext,
    ) -> TrackResult<()> {
        let changed: Vec<&Applied> = applied
            .iter()
            .filter(|a| a.changes.iter().any(|c| c.field == "blocker"))
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        let next: i64 =
            sqlx::query("SELECT CAST(COALESCE(MAX(\"id\"), 0) + 1 AS BIGINT) FROM \"blockers\"")
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
        // Two statements per 5,000 works (a JSON parameter each), not two per work: closing
        // the open blockers of every changed work, then opening the new ones.
        let close = match self.backend {
            Backend::Sqlite => {
                "UPDATE \"blockers\" SET \"resolved_on\" = ?2 WHERE \"resolved_on\" IS NULL \
                 AND \"work_id\" IN (SELECT \"value\" FROM json_each(?1))"
                    .to_string()
            }
            Backend::Postgres => format!(
                "UPDATE \"blockers\" SET \"resolved_on\" = $2 WHERE \"resolved_on\" IS NULL \
                 AND \"work_id\" IN ({})",
                json_list_select(Backend::Postgres)
            ),
        };
        let ids: Vec<String> = changed.iter().map(|a| a.work.id.to_string()).collect();
        for chunk in ids.chunks(JSON_CHUNK) {
            sqlx::query(sql(close.clone()))
                .bind(json_list(chunk))
                .bind(format_date(ctx.on))
                .execute(&mut *conn)
                .await?;
        }
        let opened: Vec<(i64, String, &str, String, String, &str)> = changed
            .iter()
            .filter_map(|a| a.work.blocker.as_ref().map(|b| (a, b)))
            .zip(next..)
            .map(|((a, b), id)| {
                (
                    id,
                    a.work.id.to_string(),
                    b.reason.as_str(),
                    b.who_must_act.to_string(),
                    format_date(b.since),
                    b.note.as_str(),
                )
            })
            .collect();
        let cols = ["id", "work_id", "reason", "who_must_act", "since", "note"];
        let insert = format!(
            "INSERT INTO \"blockers\" ({}) {} WHERE true",
            quoted_cols(&cols),
            json_rows_select(
                self.backend,
                &["BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT"]
            )
        );
        for chunk in opened.chunks(JSON_CHUNK) {
            sqlx::query(sql(insert.clone()))
                .bind(json_rows("blockers", chunk)?)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// Every work, by id, with its settlements and dependencies.
    pub async fn load_works(&self) -> TrackResult<Vec<Work>> {
        let mut conn = self.pool.acquire().await?;
        load_all_works(&mut conn, self.backend).await
    }

    /// The organisation responsible for each of these works (ids not stored are left out): what
    /// a workbook import checks before it applies anything, without loading whole works.
    pub async fn work_responsibles(&self, ids: &[Id]) -> TrackResult<HashMap<Id, Id>> {
        let mut conn = self.pool.acquire().await?;
        let ids: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        let rows = fetch_by_ids(
            &mut conn,
            self.backend,
            "SELECT \"id\", \"responsible_id\" FROM \"works\"",
            "id",
            "\"id\"",
            Some(&ids),
        )
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok((
                    Id::new(r.try_get::<String, _>(0)?),
                    Id::new(r.try_get::<String, _>(1)?),
                ))
            })
            .collect()
    }

    /// Every tracked settlement, by id.
    pub async fn load_tracked_settlements(&self) -> TrackResult<Vec<TrackedSettlement>> {
        let rows = sqlx::query(
            "SELECT \"settlement_id\", \"region_code\", \"operator_id\", \"akimat_id\", \"people\", \"technology\", \"target_date\" FROM \"tracked_settlements\" ORDER BY \"settlement_id\"",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                let id: String = r.try_get(0)?;
                let target: String = r.try_get(6)?;
                let target_date = parse_date(&target).ok_or_else(|| TrackError::Corrupt {
                    table: "tracked_settlements",
                    key: id.clone(),
                    message: format!("target_date `{target}` is not a date"),
                })?;
                Ok(TrackedSettlement {
                    settlement_id: Id::new(&id),
                    region_code: r.try_get(1)?,
                    operator_id: Id::new(r.try_get::<String, _>(2)?),
                    akimat_id: r.try_get::<Option<String>, _>(3)?.map(Id::new),
                    people: r.try_get::<i64, _>(4)?.max(0) as u64,
                    technology: r.try_get(5)?,
                    target_date,
                })
            })
            .collect()
    }

    /// The whole audit log in sequence order.
    pub async fn audit_log(&self) -> TrackResult<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT \"seq\", \"at\", \"who\", \"entity\", \"field\", \"old_value\", \"new_value\", \"prev_hash\", \"hash\" FROM \"audit_log\" ORDER BY \"seq\"",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: r.try_get(0)?,
                    at: r.try_get(1)?,
                    who: r.try_get(2)?,
                    entity: r.try_get(3)?,
                    field: r.try_get(4)?,
                    old: r.try_get(5)?,
                    new: r.try_get(6)?,
                    prev_hash: r.try_get(7)?,
                    hash: r.try_get(8)?,
                })
            })
            .collect()
    }

    /// Whether anyone named `who` ever changed anything (e.g. whether the history is partly
    /// simulated: `auyl_track::SIMULATED_USER`).
    pub async fn audit_has_user(&self, who: &str) -> TrackResult<bool> {
        let s = format!(
            "SELECT \"seq\" FROM \"audit_log\" WHERE \"who\" = {} LIMIT 1",
            self.track_ph(1)
        );
        Ok(sqlx::query(sql(s))
            .bind(who.to_string())
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }

    /// The stored head of the audit chain (what the next entry links to).
    pub async fn audit_head(&self) -> TrackResult<ChainHead> {
        let row = sqlx::query("SELECT \"seq\", \"hash\" FROM \"audit_head\" WHERE \"id\" = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(ChainHead {
            seq: row.try_get(0)?,
            hash: row.try_get(1)?,
        })
    }
}

fn corrupt(key: &str, message: String) -> TrackError {
    TrackError::Corrupt {
        table: "works",
        key: key.to_string(),
        message,
    }
}

fn date_col(key: &str, col: &str, v: Option<String>) -> TrackResult<Option<time::Date>> {
    v.map(|s| parse_date(&s).ok_or_else(|| corrupt(key, format!("{col} `{s}` is not a date"))))
        .transpose()
}

/// The works an edit batch needs: the works it edits and the works they depend on (the rules
/// read only their statuses), so a week's few hundred edits do not load the whole programme.
async fn load_works_for(
    conn: &mut AnyConnection,
    backend: Backend,
    updates: &[WorkUpdate],
) -> TrackResult<Vec<Work>> {
    let mut wanted: Vec<String> = updates.iter().map(|u| u.work_id.to_string()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut works = load_works_where(conn, backend, &wanted).await?;
    let have: HashSet<&str> = works.iter().map(|w| w.id.as_str()).collect();
    let mut deps: Vec<String> = works
        .iter()
        .flat_map(|w| w.depends_on.iter())
        .filter(|d| !have.contains(d.as_str()))
        .map(|d| d.to_string())
        .collect();
    deps.sort_unstable();
    deps.dedup();
    if !deps.is_empty() {
        let more = load_works_where(conn, backend, &deps).await?;
        works.extend(more);
    }
    Ok(works)
}

/// Rows of `select` (restricted to the rows whose `key_col` is one of `ids` when they are
/// given), in one statement.
async fn fetch_by_ids(
    conn: &mut AnyConnection,
    backend: Backend,
    select: &str,
    key_col: &str,
    order: &str,
    ids: Option<&[String]>,
) -> TrackResult<Vec<sqlx::any::AnyRow>> {
    let Some(ids) = ids else {
        return Ok(sqlx::query(sql(format!("{select} ORDER BY {order}")))
            .fetch_all(&mut *conn)
            .await?);
    };
    Ok(sqlx::query(sql(format!(
        "{select} WHERE \"{key_col}\" IN ({}) ORDER BY {order}",
        json_list_select(backend)
    )))
    .bind(json_list(ids))
    .fetch_all(&mut *conn)
    .await?)
}

/// Separates the ids of a work's settlements and dependencies in their aggregated column (the
/// ASCII unit separator; ids never contain it).
const LIST_SEPARATOR: char = '\u{1f}';

/// One stored work as it comes out of [`load_works_where`]'s JSON: the first 14 columns of
/// [`WORK_COLS`], then the settlements and the dependencies, each joined by [`LIST_SEPARATOR`].
type WorkRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<String>,
    Option<String>,
);

/// `(json_array, json_agg, cast to text)` of the backend: a query's rows as one JSON array.
fn json_agg_of(backend: Backend) -> (&'static str, &'static str, &'static str) {
    match backend {
        Backend::Sqlite => ("json_array", "json_group_array", ""),
        Backend::Postgres => ("json_build_array", "json_agg", "::text"),
    }
}

/// The one text column of the one row of `select`, with `bind` as its parameter if given
/// (NULL: the aggregate of no rows).
async fn json_of(
    conn: &mut AnyConnection,
    select: String,
    bind: Option<String>,
) -> TrackResult<Option<String>> {
    let mut q = sqlx::query(sql(select));
    if let Some(b) = bind {
        q = q.bind(b);
    }
    Ok(q.fetch_one(&mut *conn)
        .await?
        .try_get::<Option<String>, _>(0)?)
}

/// The rows of a JSON array [`json_of`] loaded from `table` (none for NULL).
fn rows_of<T: serde::de::DeserializeOwned>(
    table: &'static str,
    json: Option<String>,
) -> TrackResult<Vec<T>> {
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    serde_json::from_str(&json).map_err(|e| TrackError::Corrupt {
        table,
        key: String::new(),
        message: format!("did not load as JSON: {e}"),
    })
}

/// The works with these ids, by id, with their settlements and dependencies.
///
/// The database hands them over as one JSON array per query (each work a JSON array, its
/// settlements and dependencies aggregated in two of its columns, in their order): a result
/// row costs the driver a message and a copy per column, which made loading the 70,000 works
/// of a national programme take a second; one row of JSON takes a fifth of that. Loading is
/// what imports wait on; all works load by [`load_all_works`].
async fn load_works_where(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[String],
) -> TrackResult<Vec<Work>> {
    let list = |table: &str, col: &str| match backend {
        Backend::Sqlite => format!(
            "(SELECT group_concat(\"{col}\", char(31) ORDER BY \"position\") FROM \"{table}\" x \
             WHERE x.\"work_id\" = \"works\".\"id\")"
        ),
        Backend::Postgres => format!(
            "(SELECT string_agg(\"{col}\", chr(31) ORDER BY \"position\") FROM \"{table}\" x \
             WHERE x.\"work_id\" = \"works\".\"id\")"
        ),
    };
    let cols: Vec<String> = WORK_COLS[..14].iter().map(|c| format!("\"{c}\"")).collect();
    let (array, agg, text) = json_agg_of(backend);
    let select = format!(
        "SELECT {agg}({array}({}, {}, {})){text} FROM \"works\" WHERE \"id\" IN ({})",
        cols.join(", "),
        list("work_settlements", "settlement_id"),
        list("work_dependencies", "depends_on"),
        json_list_select(backend),
    );
    let mut out = Vec::new();
    for chunk in ids.chunks(JSON_CHUNK) {
        let json = json_of(conn, select.clone(), Some(json_list(chunk))).await?;
        for row in rows_of::<WorkRow>("works", json)? {
            out.push(work_from_row(row)?);
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// Every work, with its settlements and dependencies: three scans, each one JSON array (the
/// works, then every settlement link and every dependency with its position), joined here.
/// Two correlated subqueries per work cost PostgreSQL 0.69 s for the 70,000 works of the
/// tracking bench, against 0.27 s for the three scans.
async fn load_all_works(conn: &mut AnyConnection, backend: Backend) -> TrackResult<Vec<Work>> {
    let (array, agg, text) = json_agg_of(backend);
    let cols: Vec<String> = WORK_COLS[..14].iter().map(|c| format!("\"{c}\"")).collect();
    let select = format!(
        "SELECT {agg}({array}({}, NULL, NULL)){text} FROM \"works\"",
        cols.join(", ")
    );
    let mut out = rows_of::<WorkRow>("works", json_of(conn, select, None).await?)?
        .into_iter()
        .map(work_from_row)
        .collect::<TrackResult<Vec<Work>>>()?;
    out.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    // (work id, linked id, position) of every link, attached in position order.
    for (table, col) in [
        ("work_settlements", "settlement_id"),
        ("work_dependencies", "depends_on"),
    ] {
        let select = format!(
            "SELECT {agg}({array}(\"work_id\", \"{col}\", \"position\")){text} FROM \"{table}\""
        );
        let mut links: Vec<(String, String, i64)> =
            rows_of(table, json_of(conn, select, None).await?)?;
        links.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
        let mut at = 0;
        for (work_id, linked, _) in links {
            while at < out.len() && out[at].id.as_str() < work_id.as_str() {
                at += 1;
            }
            let Some(work) = out.get_mut(at).filter(|w| w.id.as_str() == work_id) else {
                return Err(corrupt(
                    &work_id,
                    format!("a {table} row of an unknown work"),
                ));
            };
            let list = if col == "settlement_id" {
                &mut work.settlement_ids
            } else {
                &mut work.depends_on
            };
            list.push(Id::new(linked));
        }
    }
    Ok(out)
}

/// A work from its row of [`load_works_where`].
fn work_from_row(row: WorkRow) -> TrackResult<Work> {
    let (id, kind, responsible, start, finish, status, reason, who, since, note) = (
        row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9,
    );
    let req = |col: &str, v: String| {
        parse_date(&v).ok_or_else(|| corrupt(&id, format!("{col} `{v}` is not a date")))
    };
    let split = |v: Option<String>| -> Vec<Id> {
        v.map(|v| {
            v.split(LIST_SEPARATOR)
                .filter(|x| !x.is_empty())
                .map(Id::new)
                .collect()
        })
        .unwrap_or_default()
    };
    let blocker = match reason {
        Some(reason) => Some(Blocker {
            reason: BlockerReason::parse(&reason)
                .ok_or_else(|| corrupt(&id, format!("blocker reason `{reason}`")))?,
            who_must_act: Id::new(who.unwrap_or_default()),
            since: req("blocker_since", since.unwrap_or_default())?,
            note: note.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Work {
        kind: WorkKind::parse(&kind).ok_or_else(|| corrupt(&id, format!("kind `{kind}`")))?,
        responsible_id: Id::new(responsible),
        planned_start: req("planned_start", start)?,
        planned_finish: req("planned_finish", finish)?,
        status: Status::parse(&status).ok_or_else(|| corrupt(&id, format!("status `{status}`")))?,
        blocker,
        actual_start: date_col(&id, "actual_start", row.10)?,
        actual_finish: date_col(&id, "actual_finish", row.11)?,
        comment: row.12,
        version: row.13,
        settlement_ids: split(row.14),
        depends_on: split(row.15),
        id: Id::new(id),
    })
}
