//! Registry layers: transactional upserts with a diff, and loading records back.

use crate::{Error, Result, Store};
use auyl_model::{FieldType, Layer, Record, RegistryLayers, Value};
use geozero::{CoordDimensions, ToGeo, ToWkb};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use std::collections::HashMap;

/// Whether an import writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Write in one transaction.
    Write,
    /// Compute the diff only; nothing is written.
    DryRun,
}

/// One import run.
pub struct ImportRun<'a> {
    /// Where the records came from (file name), stored with each record.
    pub source: &'a str,
    /// The time of the import (RFC 3339), given by the caller so the store never reads a clock.
    pub at: &'a str,
    /// Write or dry run.
    pub mode: WriteMode,
    /// Called with the number of records written so far.
    pub progress: &'a (dyn Fn(u64) + Sync),
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportDiff {
    /// Records not stored before.
    pub added: u64,
    /// Stored records whose content differs.
    pub changed: u64,
    /// Stored records with the same content.
    pub unchanged: u64,
    /// Stored records of the layer that the source does not mention (kept as they are).
    pub not_in_source: u64,
    /// Up to ten keys of added records.
    pub added_examples: Vec<String>,
    /// Up to ten keys of changed records.
    pub changed_examples: Vec<String>,
}

/// SQL assembled only from the static names of tables and fields (`Layer`), never from input;
/// values always go through bind parameters.
pub(crate) fn trusted(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

fn table(layer: Layer) -> &'static str {
    layer.as_str()
}

fn key_column(layer: Layer) -> &'static str {
    layer.fields().first().map_or("id", |f| f.name)
}

fn wkb(record: &Record) -> Result<Option<Vec<u8>>> {
    record
        .geometry()
        .map(|g| {
            g.to_wkb(CoordDimensions::xy()).map_err(|e| Error::Corrupt {
                layer: record.layer().to_string(),
                key: record.key().to_string(),
                message: format!("cannot encode geometry: {e}"),
            })
        })
        .transpose()
}

fn content_hash(values: &[Value], geom: Option<&[u8]>) -> String {
    let mut h = Sha256::new();
    for v in values {
        match v {
            Value::Null => h.update([0u8]),
            Value::Text(s) => {
                h.update([1u8]);
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            Value::Integer(i) => {
                h.update([2u8]);
                h.update(i.to_le_bytes());
            }
            Value::Real(x) => {
                h.update([3u8]);
                h.update(x.to_bits().to_le_bytes());
            }
            Value::Bool(b) => h.update([4u8, u8::from(*b)]),
        }
    }
    if let Some(g) = geom {
        h.update([5u8]);
        h.update(g);
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The most bind parameters one statement may carry (SQLite's limit is 32,766).
pub(crate) const MAX_PARAMS: usize = 30_000;
pub(crate) const MAX_ROWS_PER_STATEMENT: usize = 1_000;

fn bind_value<'q>(
    q: Query<'q, sqlx::Any, AnyArguments>,
    v: Value,
    ty: FieldType,
) -> Query<'q, sqlx::Any, AnyArguments> {
    match (v, ty) {
        (Value::Text(s), _) => q.bind(Some(s)),
        (Value::Integer(i), FieldType::Real) => q.bind(Some(i as f64)),
        (Value::Integer(i), _) => q.bind(Some(i)),
        (Value::Real(x), _) => q.bind(Some(x)),
        (Value::Bool(b), _) => q.bind(Some(b)),
        (Value::Null, FieldType::Text) => q.bind(None::<String>),
        (Value::Null, FieldType::Integer) => q.bind(None::<i64>),
        (Value::Null, FieldType::Real) => q.bind(None::<f64>),
        (Value::Null, FieldType::Bool) => q.bind(None::<bool>),
    }
}

/// A record to write: its index in the caller's slice and its content hash. Values are derived
/// again when the statement is built, so an import never holds a second copy of every record.
struct Pending {
    index: usize,
    hash: String,
}

impl Store {
    /// The `n`-th (1-based) bind placeholder. SQLite gets plain `?`: sqlx resolves `$n` there by
    /// name, which costs a search per parameter and made large multi-row statements quadratic.
    pub(crate) fn placeholder(&self, n: usize) -> String {
        match self.backend {
            crate::Backend::Sqlite => "?".to_string(),
            crate::Backend::Postgres => format!("${n}"),
        }
    }

    /// Upserts `records` (all of one layer) on their stable key in one transaction and reports
    /// what was added, changed and unchanged. Records the source does not mention are kept.
    pub async fn import(
        &self,
        layer: Layer,
        records: &[Record],
        run: &ImportRun<'_>,
    ) -> Result<ImportDiff> {
        let t = table(layer);
        let key = key_column(layer);
        let mut tx = self.pool.begin().await?;
        let existing: HashMap<String, String> = sqlx::query(trusted(format!(
            "SELECT \"{key}\", \"content_hash\" FROM \"{t}\""
        )))
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;

        let mut diff = ImportDiff::default();
        let mut pending = Vec::new();
        let mut mentioned = 0u64;
        for (index, r) in records.iter().enumerate() {
            let values = r.to_values();
            let geom = wkb(r)?;
            let hash = content_hash(&values, geom.as_deref());
            let k = r.key().as_str();
            match existing.get(k) {
                Some(h) if *h == hash => {
                    diff.unchanged += 1;
                    mentioned += 1;
                    continue;
                }
                Some(_) => {
                    diff.changed += 1;
                    mentioned += 1;
                    if diff.changed_examples.len() < 10 {
                        diff.changed_examples.push(k.to_string());
                    }
                }
                None => {
                    diff.added += 1;
                    if diff.added_examples.len() < 10 {
                        diff.added_examples.push(k.to_string());
                    }
                }
            }
            pending.push(Pending { index, hash });
        }
        diff.not_in_source = existing.len() as u64 - mentioned;
        if run.mode == WriteMode::DryRun {
            tx.rollback().await?;
            return Ok(diff);
        }

        let fields = layer.fields();
        let mut cols: Vec<String> = fields.iter().map(|f| format!("\"{}\"", f.name)).collect();
        cols.extend(
            [
                "\"geom\"",
                "\"content_hash\"",
                "\"source\"",
                "\"updated_at\"",
            ]
            .map(String::from),
        );
        let per_row = cols.len();
        let updates = cols
            .iter()
            .filter(|c| **c != format!("\"{key}\""))
            .map(|c| format!("{c} = excluded.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows_per_stmt = (MAX_PARAMS / per_row).min(MAX_ROWS_PER_STATEMENT);
        let mut written = 0u64;
        for chunk in pending.chunks(rows_per_stmt) {
            let mut n = 0;
            let tuples = chunk
                .iter()
                .map(|_| {
                    let ph = (0..per_row)
                        .map(|_| {
                            n += 1;
                            self.placeholder(n)
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    format!("({ph})")
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO \"{t}\" ({}) VALUES {tuples} ON CONFLICT (\"{key}\") DO UPDATE SET {updates}",
                cols.join(", ")
            );
            let mut q = sqlx::query(trusted(sql));
            for p in chunk {
                let r = &records[p.index];
                for (v, f) in r.to_values().into_iter().zip(fields) {
                    q = bind_value(q, v, f.ty);
                }
                q = q
                    .bind(wkb(r)?)
                    .bind(p.hash.clone())
                    .bind(run.source.to_string())
                    .bind(run.at.to_string());
            }
            q.execute(&mut *tx).await?;
            written += chunk.len() as u64;
            (run.progress)(written);
        }
        let next_id: i64 =
            sqlx::query("SELECT CAST(COALESCE(MAX(\"id\"), 0) + 1 AS BIGINT) FROM \"imports\"")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        sqlx::query("INSERT INTO \"imports\" (\"id\", \"layer\", \"source\", \"added\", \"changed\", \"unchanged\", \"at\") VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(next_id)
            .bind(layer.as_str().to_string())
            .bind(run.source.to_string())
            .bind(diff.added as i64)
            .bind(diff.changed as i64)
            .bind(diff.unchanged as i64)
            .bind(run.at.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(diff)
    }

    /// Loads every record of a layer, ordered by key.
    pub async fn load(&self, layer: Layer) -> Result<Vec<Record>> {
        let fields = layer.fields();
        let cols = fields
            .iter()
            .map(|f| match f.ty {
                // Booleans come back as integers on both backends.
                FieldType::Bool => format!(
                    "CAST(CASE WHEN \"{0}\" IS NULL THEN NULL WHEN \"{0}\" THEN 1 ELSE 0 END AS BIGINT)",
                    f.name
                ),
                _ => format!("\"{}\"", f.name),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let key = key_column(layer);
        let rows = sqlx::query(trusted(format!(
            "SELECT {cols}, \"geom\" FROM \"{}\" ORDER BY \"{key}\"",
            table(layer)
        )))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut values = Vec::with_capacity(fields.len());
            for (i, f) in fields.iter().enumerate() {
                values.push(match f.ty {
                    FieldType::Text => row
                        .try_get::<Option<String>, _>(i)?
                        .map_or(Value::Null, Value::Text),
                    FieldType::Integer => row
                        .try_get::<Option<i64>, _>(i)?
                        .map_or(Value::Null, Value::Integer),
                    FieldType::Real => row
                        .try_get::<Option<f64>, _>(i)?
                        .map_or(Value::Null, Value::Real),
                    FieldType::Bool => row
                        .try_get::<Option<i64>, _>(i)?
                        .map_or(Value::Null, |b| Value::Bool(b != 0)),
                });
            }
            let key_text = match values.first() {
                Some(Value::Text(k)) => k.clone(),
                _ => String::new(),
            };
            let corrupt = |message: String| Error::Corrupt {
                layer: layer.to_string(),
                key: key_text.clone(),
                message,
            };
            let geometry = row
                .try_get::<Option<Vec<u8>>, _>(fields.len())?
                .map(|b| {
                    geozero::wkb::Wkb(b)
                        .to_geo()
                        .map_err(|e| corrupt(format!("geometry: {e}")))
                })
                .transpose()?;
            out.push(
                Record::from_values(layer, &values, geometry)
                    .map_err(|e| corrupt(e.to_string()))?,
            );
        }
        Ok(out)
    }

    /// Loads `layers` as typed records (the others stay empty).
    pub async fn load_layers(&self, layers: &[Layer]) -> Result<RegistryLayers> {
        let mut out = RegistryLayers::default();
        for &layer in layers {
            for record in self.load(layer).await? {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// The region or district with this code, if the registry has one.
    pub async fn area(&self, code: &str) -> Result<Option<auyl_model::AdminArea>> {
        for layer in [Layer::Regions, Layer::Districts] {
            if let Some(a) = self
                .load(layer)
                .await?
                .into_iter()
                .filter_map(Record::into_area)
                .find(|a| a.code.as_str() == code)
            {
                return Ok(Some(a));
            }
        }
        Ok(None)
    }

    /// The registry's version: the number of the last import that wrote (every write of a
    /// registry layer logs its import in the same transaction), 0 for an empty registry. Equal
    /// versions mean the same registry, so results derived from it can be reused.
    pub async fn registry_version(&self) -> Result<i64> {
        Ok(
            sqlx::query("SELECT CAST(COALESCE(MAX(\"id\"), 0) AS BIGINT) FROM \"imports\"")
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?,
        )
    }

    /// Number of records in a layer.
    pub async fn count(&self, layer: Layer) -> Result<u64> {
        let n: i64 = sqlx::query(trusted(format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM \"{}\"",
            table(layer)
        )))
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?;
        Ok(n as u64)
    }
}
