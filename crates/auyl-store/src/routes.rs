//! Fibre route runs (`auyl route fibre`) kept for the planner: a run with its parameters and
//! totals, its branches (geometry, length by cost class, cost) and who each branch serves.
//!
//! A run is written in one transaction: it is stored whole or not at all. Runs are numbered
//! 1, 2, 3… in the order they were saved; [`Store::latest_fibre_route_run`] names the newest.

use crate::{Backend, Error, Result, Store};
use geo_types::{Geometry, MultiLineString};
use geozero::{CoordDimensions, ToGeo, ToWkb};
use sqlx::Row;

/// The number of a stored route run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunId(pub i64);

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// One branch of a fibre forest: the tree fed from one existing fibre node.
#[derive(Debug, Clone, PartialEq)]
pub struct FibreBranchRow {
    /// Number of the branch within its run (from 1).
    pub branch_id: i64,
    /// The fibre node (`backbone_nodes.id`) feeding the branch.
    pub node_id: String,
    /// Every fibre node the branch touches, the feeding one first.
    pub node_ids: Vec<String>,
    /// The cable route (WGS84 lon/lat).
    pub geometry: MultiLineString<f64>,
    /// Trench along paved roads, metres.
    pub length_trench_paved_m: f64,
    /// Trench along unpaved roads and tracks, metres.
    pub length_trench_unpaved_m: f64,
    /// Aerial cable on poles, metres.
    pub length_aerial_m: f64,
    /// Last-mile approximation links (no mapped road), metres.
    pub length_approximate_m: f64,
    /// Cost of the branch, USD.
    pub cost_usd: f64,
    /// The settlements (`settlements.id`) the branch serves.
    pub settlement_ids: Vec<String>,
    /// True when part of the branch follows approximation links (check on the ground).
    pub approximated: bool,
}

/// A route run as stored: when, with what parameters, what it came to, and its branches.
#[derive(Debug, Clone, PartialEq)]
pub struct FibreRouteRun {
    /// When it ran (RFC 3339), given by the caller so the store never reads a clock.
    pub created_at: String,
    /// The parameters (selectors, costs, options) as JSON text; the store keeps it as given.
    pub parameters_json: String,
    /// The totals (length by class, cost, lower bound, unreachable settlements) as JSON text.
    pub totals_json: String,
    /// The branches, in branch order.
    pub branches: Vec<FibreBranchRow>,
}

/// Rows per multi-row INSERT (well under both backends' bind-parameter limits).
const ROWS_PER_STATEMENT: usize = 500;

const MEMBER_SETTLEMENT: &str = "settlement";
const MEMBER_NODE: &str = "node";

impl Store {
    fn ph(&self, n: usize) -> String {
        match self.backend {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${n}"),
        }
    }

    /// `(…), (…)` with `per_row` placeholders per row.
    fn tuples(&self, rows: usize, per_row: usize) -> String {
        let mut n = 0;
        (0..rows)
            .map(|_| {
                let ph: Vec<String> = (0..per_row)
                    .map(|_| {
                        n += 1;
                        self.ph(n)
                    })
                    .collect();
                format!("({})", ph.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Stores a route run and its branches in one transaction and returns its number.
    pub async fn save_fibre_routes(&self, run: &FibreRouteRun) -> Result<RunId> {
        let mut tx = self.pool.begin().await?;
        let id: i64 =
            sqlx::query("SELECT CAST(COALESCE(MAX(\"id\"), 0) + 1 AS BIGINT) FROM \"route_runs\"")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        sqlx::query("INSERT INTO \"route_runs\" (\"id\", \"created_at\", \"parameters\", \"totals\") VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(run.created_at.clone())
            .bind(run.parameters_json.clone())
            .bind(run.totals_json.clone())
            .execute(&mut *tx)
            .await?;
        let mut wkbs = Vec::with_capacity(run.branches.len());
        for b in &run.branches {
            wkbs.push(
                Geometry::MultiLineString(b.geometry.clone())
                    .to_wkb(CoordDimensions::xy())
                    .map_err(|e| Error::Corrupt {
                        layer: "fibre_branches".into(),
                        key: format!("run {id} branch {}", b.branch_id),
                        message: format!("cannot encode geometry: {e}"),
                    })?,
            );
        }
        let branches: Vec<(&FibreBranchRow, Vec<u8>)> = run.branches.iter().zip(wkbs).collect();
        for chunk in branches.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO \"fibre_branches\" (\"run_id\", \"branch_id\", \"node_id\", \"geom\", \
                 \"length_trench_paved_m\", \"length_trench_unpaved_m\", \"length_aerial_m\", \
                 \"length_approximate_m\", \"cost_usd\", \"approximated\") VALUES {}",
                self.tuples(chunk.len(), 10)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (b, wkb) in chunk {
                q = q
                    .bind(id)
                    .bind(b.branch_id)
                    .bind(b.node_id.clone())
                    .bind(wkb.clone())
                    .bind(b.length_trench_paved_m)
                    .bind(b.length_trench_unpaved_m)
                    .bind(b.length_aerial_m)
                    .bind(b.length_approximate_m)
                    .bind(b.cost_usd)
                    .bind(b.approximated);
            }
            q.execute(&mut *tx).await?;
        }
        let members: Vec<(i64, &str, i64, &str)> =
            run.branches
                .iter()
                .flat_map(|b| {
                    let s =
                        b.settlement_ids.iter().enumerate().map(move |(i, m)| {
                            (b.branch_id, MEMBER_SETTLEMENT, i as i64, m.as_str())
                        });
                    let n = b
                        .node_ids
                        .iter()
                        .enumerate()
                        .map(move |(i, m)| (b.branch_id, MEMBER_NODE, i as i64, m.as_str()));
                    s.chain(n)
                })
                .collect();
        for chunk in members.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO \"fibre_branch_members\" (\"run_id\", \"branch_id\", \"role\", \"ordinal\", \"member_id\") VALUES {}",
                self.tuples(chunk.len(), 5)
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (branch, role, ordinal, member) in chunk {
                q = q
                    .bind(id)
                    .bind(*branch)
                    .bind(role.to_string())
                    .bind(*ordinal)
                    .bind(member.to_string());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(RunId(id))
    }

    /// The newest stored route run, if any.
    pub async fn latest_fibre_route_run(&self) -> Result<Option<RunId>> {
        let id: Option<i64> = sqlx::query("SELECT CAST(MAX(\"id\") AS BIGINT) FROM \"route_runs\"")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(id.map(RunId))
    }

    /// Loads a stored route run with its branches, or `None` if there is no such run.
    pub async fn load_fibre_routes(&self, run: RunId) -> Result<Option<FibreRouteRun>> {
        let Some(head) = sqlx::query(
            "SELECT \"created_at\", \"parameters\", \"totals\" FROM \"route_runs\" WHERE \"id\" = $1",
        )
        .bind(run.0)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let corrupt = |branch: i64, message: String| Error::Corrupt {
            layer: "fibre_branches".into(),
            key: format!("run {run} branch {branch}"),
            message,
        };
        let rows = sqlx::query(
            "SELECT \"branch_id\", \"node_id\", \"geom\", \"length_trench_paved_m\", \
             \"length_trench_unpaved_m\", \"length_aerial_m\", \"length_approximate_m\", \
             \"cost_usd\", CAST(CASE WHEN \"approximated\" THEN 1 ELSE 0 END AS BIGINT) \
             FROM \"fibre_branches\" WHERE \"run_id\" = $1 ORDER BY \"branch_id\"",
        )
        .bind(run.0)
        .fetch_all(&self.pool)
        .await?;
        let mut branches = Vec::with_capacity(rows.len());
        for r in rows {
            let branch_id: i64 = r.try_get(0)?;
            let geometry = match geozero::wkb::Wkb(r.try_get::<Vec<u8>, _>(2)?).to_geo() {
                Ok(Geometry::MultiLineString(m)) => m,
                Ok(Geometry::LineString(l)) => MultiLineString(vec![l]),
                Ok(other) => {
                    return Err(corrupt(
                        branch_id,
                        format!("geometry is not a line: {other:?}"),
                    ));
                }
                Err(e) => return Err(corrupt(branch_id, format!("geometry: {e}"))),
            };
            branches.push(FibreBranchRow {
                branch_id,
                node_id: r.try_get(1)?,
                node_ids: Vec::new(),
                geometry,
                length_trench_paved_m: r.try_get(3)?,
                length_trench_unpaved_m: r.try_get(4)?,
                length_aerial_m: r.try_get(5)?,
                length_approximate_m: r.try_get(6)?,
                cost_usd: r.try_get(7)?,
                settlement_ids: Vec::new(),
                approximated: r.try_get::<i64, _>(8)? != 0,
            });
        }
        let members = sqlx::query(
            "SELECT \"branch_id\", \"role\", \"member_id\" FROM \"fibre_branch_members\" \
             WHERE \"run_id\" = $1 ORDER BY \"branch_id\", \"role\", \"ordinal\"",
        )
        .bind(run.0)
        .fetch_all(&self.pool)
        .await?;
        for m in members {
            let branch_id: i64 = m.try_get(0)?;
            let role: String = m.try_get(1)?;
            let member: String = m.try_get(2)?;
            let b = branches
                .binary_search_by_key(&branch_id, |b| b.branch_id)
                .map_err(|_| {
                    corrupt(branch_id, "members of a branch that does not exist".into())
                })?;
            match role.as_str() {
                MEMBER_SETTLEMENT => branches[b].settlement_ids.push(member),
                MEMBER_NODE => branches[b].node_ids.push(member),
                other => return Err(corrupt(branch_id, format!("unknown member role `{other}`"))),
            }
        }
        Ok(Some(FibreRouteRun {
            created_at: head.try_get(0)?,
            parameters_json: head.try_get(1)?,
            totals_json: head.try_get(2)?,
            branches,
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a panic is the report
    use super::*;
    use geo_types::LineString;

    fn branch(id: i64, settlements: &[&str], approx_m: f64) -> FibreBranchRow {
        FibreBranchRow {
            branch_id: id,
            node_id: format!("pop:{id}"),
            node_ids: vec![format!("pop:{id}"), "core:1".into()],
            geometry: MultiLineString(vec![
                LineString::from(vec![(71.0, 51.0), (71.1, 51.05), (71.2, 51.0)]),
                LineString::from(vec![(71.1, 51.05), (71.1, 51.2)]),
            ]),
            length_trench_paved_m: 12_345.678,
            length_trench_unpaved_m: 0.1 + 0.2,
            length_aerial_m: 0.0,
            length_approximate_m: approx_m,
            cost_usd: 98_765.432_1,
            settlement_ids: settlements.iter().map(|s| s.to_string()).collect(),
            approximated: approx_m > 0.0,
        }
    }

    #[tokio::test]
    async fn runs_reload_equal_on_both_backends_and_are_numbered() {
        for db in auyl_testkit::both_backends().await {
            let store = Store::open(&db.url).await.unwrap();
            assert_eq!(store.latest_fibre_route_run().await.unwrap(), None);
            assert_eq!(store.load_fibre_routes(RunId(1)).await.unwrap(), None);
            // More branches and members than one statement carries.
            let many: Vec<String> = (0..1_203).map(|i| format!("osm:n{i}")).collect();
            let refs: Vec<&str> = many.iter().map(String::as_str).collect();
            let mut branches: Vec<FibreBranchRow> = (1..=ROWS_PER_STATEMENT as i64 + 7)
                .map(|i| branch(i, &["a", "b; c", "д"], if i % 2 == 0 { 1.5 } else { 0.0 }))
                .collect();
            branches.push(branch(ROWS_PER_STATEMENT as i64 + 8, &refs, 0.0));
            let run = FibreRouteRun {
                created_at: "2026-11-25T02:00:00Z".into(),
                parameters_json: r#"{"to_settlements":["region=19"]}"#.into(),
                totals_json: r#"{"cost_usd":1.5}"#.into(),
                branches,
            };
            let id = store.save_fibre_routes(&run).await.unwrap();
            assert_eq!(id, RunId(1), "{}", db.backend);
            assert_eq!(
                store.load_fibre_routes(id).await.unwrap().as_ref(),
                Some(&run),
                "{}",
                db.backend
            );
            let second = FibreRouteRun {
                branches: vec![branch(1, &["x"], 0.0)],
                ..run.clone()
            };
            let id2 = store.save_fibre_routes(&second).await.unwrap();
            assert_eq!(id2, RunId(2));
            assert_eq!(store.latest_fibre_route_run().await.unwrap(), Some(id2));
            assert_eq!(store.load_fibre_routes(id2).await.unwrap(), Some(second));
            // The first run is untouched by the second.
            assert_eq!(store.load_fibre_routes(id).await.unwrap(), Some(run));
            store.close().await;
        }
    }

    #[tokio::test]
    async fn a_failing_run_stores_nothing() {
        let db = auyl_testkit::sqlite_db();
        let store = Store::open(&db.url).await.unwrap();
        // Two branches with the same number break the primary key half-way through the write.
        let run = FibreRouteRun {
            created_at: "2026-11-25T02:00:00Z".into(),
            parameters_json: "{}".into(),
            totals_json: "{}".into(),
            branches: vec![branch(1, &["a"], 0.0), branch(1, &["b"], 0.0)],
        };
        assert!(store.save_fibre_routes(&run).await.is_err());
        assert_eq!(store.latest_fibre_route_run().await.unwrap(), None);
        store.close().await;
    }
}
