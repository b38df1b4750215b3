//! Plans as versioned scenarios. Saving a plan under a scenario name that exists adds the next
//! version; nothing is overwritten, so `auyl plan compare central@1 central@2` always works.

use crate::registry::{MAX_PARAMS, MAX_ROWS_PER_STATEMENT, trusted};
use crate::{Error, Result, Store};
use auyl_model::{
    Plan, PlanTotals, PlannedHop, PlannedRoute, PlannedSite, SettlementPlan, Unserved,
};
use sqlx::Row;

/// Who saved a plan, when, and with which scenario file.
#[derive(Debug, Clone, Copy)]
pub struct PlanMeta<'a> {
    /// When it was saved (RFC 3339), given by the caller: the store has no clock.
    pub created_at: &'a str,
    /// Who ran the planner.
    pub created_by: Option<&'a str>,
    /// The scenario file's text, kept so the plan can be reproduced.
    pub scenario_text: Option<&'a str>,
}

/// A stored plan's identity and totals, without its rows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlanRef {
    /// Database id.
    pub id: i64,
    /// Scenario name.
    pub scenario: String,
    /// Version within the scenario, from 1.
    pub version: i64,
    /// Planning mode.
    pub mode: String,
    /// First year of the plan.
    pub base_year: i32,
    /// When it was saved.
    pub created_at: String,
    /// Who saved it.
    pub created_by: Option<String>,
    /// Its totals.
    pub totals: PlanTotals,
}

impl PlanRef {
    /// `scenario@version`, the name users type.
    pub fn label(&self) -> String {
        format!("{}@{}", self.scenario, self.version)
    }
}

/// A value bound into a multi-row insert.
enum Arg {
    Text(Option<String>),
    Int(i64),
    Real(f64),
}

fn json<T: serde::Serialize>(what: &str, v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Corrupt {
        layer: "plan".into(),
        key: what.into(),
        message: format!("cannot encode as JSON: {e}"),
    })
}

fn unjson<T: serde::de::DeserializeOwned>(what: &str, key: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Corrupt {
        layer: what.into(),
        key: key.into(),
        message: format!("stored JSON does not decode: {e}"),
    })
}

impl Store {
    async fn insert_many(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
        table: &str,
        cols: &[&str],
        rows: Vec<Vec<Arg>>,
    ) -> Result<()> {
        let per_row = cols.len();
        let chunk_rows = (MAX_PARAMS / per_row).min(MAX_ROWS_PER_STATEMENT);
        let col_list = cols
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Arg>> = rows.by_ref().take(chunk_rows).collect();
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
            let sql = format!("INSERT INTO \"{table}\" ({col_list}) VALUES {tuples}");
            let mut q = sqlx::query(trusted(sql));
            for row in chunk {
                for a in row {
                    q = match a {
                        Arg::Text(t) => q.bind(t),
                        Arg::Int(i) => q.bind(i),
                        Arg::Real(x) => q.bind(x),
                    };
                }
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Saves `plan` as the next version of its scenario, in one transaction.
    pub async fn save_plan(&self, plan: &Plan, meta: &PlanMeta<'_>) -> Result<PlanRef> {
        let mut tx = self.pool.begin().await?;
        let id: i64 =
            sqlx::query("SELECT CAST(COALESCE(MAX(\"id\"), 0) + 1 AS BIGINT) FROM \"plans\"")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        let version: i64 = sqlx::query(
            "SELECT CAST(COALESCE(MAX(\"version\"), 0) + 1 AS BIGINT) FROM \"plans\" WHERE \"scenario\" = $1",
        )
        .bind(plan.scenario.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        sqlx::query(
            "INSERT INTO \"plans\" (\"id\", \"scenario\", \"version\", \"mode\", \"base_year\", \"created_at\", \"created_by\", \"scenario_text\", \"totals\", \"assumptions\") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id)
        .bind(plan.scenario.clone())
        .bind(version)
        .bind(plan.mode.clone())
        .bind(i64::from(plan.base_year))
        .bind(meta.created_at.to_string())
        .bind(meta.created_by.map(str::to_string))
        .bind(meta.scenario_text.map(str::to_string))
        .bind(json("totals", &plan.totals)?)
        .bind(json("assumptions", &plan.assumptions)?)
        .execute(&mut *tx)
        .await?;

        let mut rows = Vec::with_capacity(plan.settlements.len());
        for s in &plan.settlements {
            rows.push(vec![
                Arg::Int(id),
                Arg::Text(Some(s.settlement_id.to_string())),
                Arg::Text(Some(s.technology.as_str().to_string())),
                Arg::Int(i64::from(s.year)),
                Arg::Text(s.operator_id.as_ref().map(ToString::to_string)),
                Arg::Text(s.akimat_id.as_ref().map(ToString::to_string)),
                Arg::Int(i64::try_from(s.people).unwrap_or(i64::MAX)),
                Arg::Real(s.capex_usd),
                Arg::Text(Some(json(s.settlement_id.as_str(), s)?)),
            ]);
        }
        self.insert_many(
            &mut tx,
            "plan_settlements",
            &[
                "plan_id",
                "settlement_id",
                "technology",
                "year",
                "operator_id",
                "akimat_id",
                "people",
                "capex_usd",
                "data",
            ],
            rows,
        )
        .await?;

        let rows = plan
            .unserved
            .iter()
            .map(|u| {
                vec![
                    Arg::Int(id),
                    Arg::Text(Some(u.settlement_id.to_string())),
                    Arg::Int(i64::try_from(u.people).unwrap_or(i64::MAX)),
                    Arg::Text(Some(u.reason.clone())),
                ]
            })
            .collect();
        self.insert_many(
            &mut tx,
            "plan_unserved",
            &["plan_id", "settlement_id", "people", "reason"],
            rows,
        )
        .await?;

        let mut rows = Vec::new();
        let mut element =
            |kind: &str, eid: String, op: Option<String>, year: i32, capex: f64, data: String| {
                rows.push(vec![
                    Arg::Int(id),
                    Arg::Text(Some(kind.to_string())),
                    Arg::Text(Some(eid)),
                    Arg::Text(op),
                    Arg::Int(i64::from(year)),
                    Arg::Real(capex),
                    Arg::Text(Some(data)),
                ]);
            };
        for s in &plan.sites {
            let op = s.operator_id.as_ref().map(ToString::to_string);
            element(
                "site",
                s.id.to_string(),
                op,
                s.year,
                s.capex_usd,
                json(s.id.as_str(), s)?,
            );
        }
        for r in &plan.routes {
            let op = r.operator_id.as_ref().map(ToString::to_string);
            element(
                "route",
                r.id.to_string(),
                op,
                r.year,
                r.capex_usd,
                json(r.id.as_str(), r)?,
            );
        }
        for h in &plan.hops {
            element(
                "hop",
                h.id.to_string(),
                None,
                h.year,
                h.capex_usd,
                json(h.id.as_str(), h)?,
            );
        }
        self.insert_many(
            &mut tx,
            "plan_elements",
            &[
                "plan_id",
                "kind",
                "element_id",
                "operator_id",
                "year",
                "capex_usd",
                "data",
            ],
            rows,
        )
        .await?;
        tx.commit().await?;
        Ok(PlanRef {
            id,
            scenario: plan.scenario.clone(),
            version,
            mode: plan.mode.clone(),
            base_year: plan.base_year,
            created_at: meta.created_at.to_string(),
            created_by: meta.created_by.map(str::to_string),
            totals: plan.totals.clone(),
        })
    }

    /// Every stored plan, newest first.
    pub async fn plans(&self) -> Result<Vec<PlanRef>> {
        let rows = sqlx::query(
            "SELECT \"id\", \"scenario\", \"version\", \"mode\", \"base_year\", \"created_at\", \"created_by\", \"totals\" FROM \"plans\" ORDER BY \"id\" DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get(0)?;
                let totals: String = r.try_get(7)?;
                let base_year: i64 = r.try_get(4)?;
                Ok(PlanRef {
                    id,
                    scenario: r.try_get(1)?,
                    version: r.try_get(2)?,
                    mode: r.try_get(3)?,
                    base_year: i32::try_from(base_year).unwrap_or_default(),
                    created_at: r.try_get(5)?,
                    created_by: r.try_get(6)?,
                    totals: unjson("plan", &id.to_string(), &totals)?,
                })
            })
            .collect()
    }

    /// Finds a plan by `latest`, a database id, a scenario name (its latest version) or
    /// `scenario@version`.
    pub async fn find_plan(&self, selector: &str) -> Result<PlanRef> {
        let all = self.plans().await?;
        let not_found = |what: String| {
            let known = all.iter().take(10).map(PlanRef::label).collect::<Vec<_>>();
            Error::NotFound {
                what,
                known: if known.is_empty() {
                    "no plan is stored yet: run `auyl plan run`".into()
                } else {
                    format!("stored plans: {}", known.join(", "))
                },
            }
        };
        let sel = selector.trim();
        let found = if sel == "latest" {
            all.first()
        } else if let Ok(id) = sel.parse::<i64>() {
            all.iter().find(|p| p.id == id)
        } else if let Some((name, v)) = sel.rsplit_once('@') {
            let v: i64 = v
                .parse()
                .map_err(|_| not_found(format!("plan `{sel}` (version is not a number)")))?;
            all.iter().find(|p| p.scenario == name && p.version == v)
        } else {
            all.iter().find(|p| p.scenario == sel)
        };
        found
            .cloned()
            .ok_or_else(|| not_found(format!("plan `{sel}`")))
    }

    /// Loads a stored plan whole.
    pub async fn load_plan(&self, r: &PlanRef) -> Result<Plan> {
        let head = sqlx::query("SELECT \"assumptions\" FROM \"plans\" WHERE \"id\" = $1")
            .bind(r.id)
            .fetch_one(&self.pool)
            .await?;
        let key = r.label();
        let assumptions: Vec<String> = unjson("plan", &key, &head.try_get::<String, _>(0)?)?;
        let settlements: Vec<SettlementPlan> = sqlx::query(
            "SELECT \"data\" FROM \"plan_settlements\" WHERE \"plan_id\" = $1 ORDER BY \"settlement_id\"",
        )
        .bind(r.id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| unjson("plan_settlements", &key, &row.try_get::<String, _>(0)?))
        .collect::<Result<_>>()?;
        let unserved = sqlx::query(
            "SELECT \"settlement_id\", \"people\", \"reason\" FROM \"plan_unserved\" WHERE \"plan_id\" = $1 ORDER BY \"settlement_id\"",
        )
        .bind(r.id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(Unserved {
                settlement_id: auyl_model::Id::new(row.try_get::<String, _>(0)?),
                people: u64::try_from(row.try_get::<i64, _>(1)?).unwrap_or_default(),
                reason: row.try_get(2)?,
            })
        })
        .collect::<Result<_>>()?;
        let elements = sqlx::query(
            "SELECT \"kind\", \"data\" FROM \"plan_elements\" WHERE \"plan_id\" = $1 ORDER BY \"kind\", \"element_id\"",
        )
        .bind(r.id)
        .fetch_all(&self.pool)
        .await?;
        let (mut sites, mut routes, mut hops) = (Vec::new(), Vec::new(), Vec::new());
        for row in &elements {
            let kind: String = row.try_get(0)?;
            let data: String = row.try_get(1)?;
            match kind.as_str() {
                "site" => sites.push(unjson::<PlannedSite>("plan_elements", &key, &data)?),
                "route" => routes.push(unjson::<PlannedRoute>("plan_elements", &key, &data)?),
                "hop" => hops.push(unjson::<PlannedHop>("plan_elements", &key, &data)?),
                other => {
                    return Err(Error::Corrupt {
                        layer: "plan_elements".into(),
                        key,
                        message: format!("unknown element kind `{other}`"),
                    });
                }
            }
        }
        Ok(Plan {
            scenario: r.scenario.clone(),
            mode: r.mode.clone(),
            base_year: r.base_year,
            settlements,
            unserved,
            sites,
            routes,
            hops,
            totals: r.totals.clone(),
            assumptions,
        })
    }

    /// The scenario text a plan was made with, if it was kept.
    pub async fn plan_scenario_text(&self, r: &PlanRef) -> Result<Option<String>> {
        Ok(
            sqlx::query("SELECT \"scenario_text\" FROM \"plans\" WHERE \"id\" = $1")
                .bind(r.id)
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?,
        )
    }
}
