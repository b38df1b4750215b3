-- Plans: each run of the planner is a versioned scenario (`central` v1, v2, …). The queryable
-- columns serve lists, comparisons and the works generator; `data` keeps the full record as JSON
-- (auyl_model::SettlementPlan, PlannedSite, …) so nothing the planner explained is lost.
CREATE TABLE "plans" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "scenario" TEXT NOT NULL,
    "version" BIGINT NOT NULL,
    "mode" TEXT NOT NULL,
    "base_year" BIGINT NOT NULL,
    "created_at" TEXT NOT NULL,
    "created_by" TEXT,
    "scenario_text" TEXT,
    "totals" TEXT NOT NULL,
    "assumptions" TEXT NOT NULL,
    UNIQUE ("scenario", "version")
);
CREATE TABLE "plan_settlements" (
    "plan_id" BIGINT NOT NULL REFERENCES "plans" ("id") ON DELETE CASCADE,
    "settlement_id" TEXT NOT NULL,
    "technology" TEXT NOT NULL,
    "year" BIGINT NOT NULL,
    "operator_id" TEXT,
    "akimat_id" TEXT,
    "people" BIGINT NOT NULL,
    "capex_usd" DOUBLE PRECISION NOT NULL,
    "data" TEXT NOT NULL,
    PRIMARY KEY ("plan_id", "settlement_id")
);
CREATE TABLE "plan_unserved" (
    "plan_id" BIGINT NOT NULL REFERENCES "plans" ("id") ON DELETE CASCADE,
    "settlement_id" TEXT NOT NULL,
    "people" BIGINT NOT NULL,
    "reason" TEXT NOT NULL,
    PRIMARY KEY ("plan_id", "settlement_id")
);
CREATE TABLE "plan_elements" (
    "plan_id" BIGINT NOT NULL REFERENCES "plans" ("id") ON DELETE CASCADE,
    "kind" TEXT NOT NULL,
    "element_id" TEXT NOT NULL,
    "operator_id" TEXT,
    "year" BIGINT NOT NULL,
    "capex_usd" DOUBLE PRECISION NOT NULL,
    "data" TEXT NOT NULL,
    PRIMARY KEY ("plan_id", "kind", "element_id")
);
CREATE INDEX "plan_settlements_settlement" ON "plan_settlements" ("settlement_id");
