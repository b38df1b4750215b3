-- Fibre routes from `auyl route fibre`, kept for the planner: one row per run (its parameters and
-- totals as JSON text, written and read by the caller), one row per branch (a tree of the forest
-- fed from one existing fibre node), and the settlements and fibre nodes each branch holds.
-- Portable SQL: the same file runs on SQLite and PostgreSQL.

CREATE TABLE "route_runs" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "created_at" TEXT NOT NULL,
    "parameters" TEXT NOT NULL,
    "totals" TEXT NOT NULL
);

CREATE TABLE "fibre_branches" (
    "run_id" BIGINT NOT NULL REFERENCES "route_runs" ("id") ON DELETE CASCADE,
    "branch_id" BIGINT NOT NULL,
    -- The fibre node (backbone_nodes.id) that feeds the branch.
    "node_id" TEXT NOT NULL,
    -- The cable route, WGS84 MultiLineString as WKB.
    "geom" BYTEA NOT NULL,
    "length_trench_paved_m" DOUBLE PRECISION NOT NULL,
    "length_trench_unpaved_m" DOUBLE PRECISION NOT NULL,
    "length_aerial_m" DOUBLE PRECISION NOT NULL,
    -- Length on last-mile approximation links (no mapped road): check these on the ground.
    "length_approximate_m" DOUBLE PRECISION NOT NULL,
    "cost_usd" DOUBLE PRECISION NOT NULL,
    "approximated" BOOLEAN NOT NULL,
    PRIMARY KEY ("run_id", "branch_id")
);

-- Who is in each branch: the settlements it serves (role 'settlement') and every existing fibre
-- node it touches (role 'node'), in the branch's order.
CREATE TABLE "fibre_branch_members" (
    "run_id" BIGINT NOT NULL,
    "branch_id" BIGINT NOT NULL,
    "role" TEXT NOT NULL,
    "ordinal" BIGINT NOT NULL,
    "member_id" TEXT NOT NULL,
    PRIMARY KEY ("run_id", "branch_id", "role", "ordinal"),
    FOREIGN KEY ("run_id", "branch_id") REFERENCES "fibre_branches" ("run_id", "branch_id") ON DELETE CASCADE
);
CREATE INDEX "fibre_branch_members_member" ON "fibre_branch_members" ("member_id");
