-- Rollout tracking (auyl-track): the settlements a plan connects, the works that deliver them,
-- their dependencies and blockers, and the append-only, hash-chained audit log of every change.
-- Dates are ISO `YYYY-MM-DD` text (they sort as dates); times RFC 3339 text. Portable SQL: the
-- same file runs on SQLite and PostgreSQL.

-- One row per planned settlement being tracked (auyl_track::TrackedSettlement).
CREATE TABLE "tracked_settlements" (
    "settlement_id" TEXT NOT NULL PRIMARY KEY,
    "scenario" TEXT NOT NULL,
    "region_code" TEXT NOT NULL,
    "operator_id" TEXT NOT NULL,
    "akimat_id" TEXT,
    "people" BIGINT NOT NULL,
    "technology" TEXT NOT NULL,
    "target_date" TEXT NOT NULL
);
CREATE INDEX "tracked_settlements_region" ON "tracked_settlements" ("region_code");
CREATE INDEX "tracked_settlements_operator" ON "tracked_settlements" ("operator_id");

-- One row per work (auyl_track::Work). The current blocker is kept on the work (blocked exactly
-- when blocker_reason is set); its history is in "blockers". "version" is the optimistic version:
-- every change is written with WHERE version = the version it was made from.
CREATE TABLE "works" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "responsible_id" TEXT NOT NULL,
    "planned_start" TEXT NOT NULL,
    "planned_finish" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "blocker_reason" TEXT,
    "blocker_who" TEXT,
    "blocker_since" TEXT,
    "blocker_note" TEXT,
    "actual_start" TEXT,
    "actual_finish" TEXT,
    "comment" TEXT NOT NULL,
    "version" BIGINT NOT NULL,
    "updated_at" TEXT NOT NULL,
    "updated_by" TEXT NOT NULL
);
CREATE INDEX "works_responsible" ON "works" ("responsible_id");
CREATE INDEX "works_blocker_who" ON "works" ("blocker_who");

-- The settlements each work serves (a shared mast serves several), in order.
CREATE TABLE "work_settlements" (
    "work_id" TEXT NOT NULL REFERENCES "works" ("id") ON DELETE CASCADE,
    "settlement_id" TEXT NOT NULL,
    "position" BIGINT NOT NULL,
    PRIMARY KEY ("work_id", "settlement_id")
);
CREATE INDEX "work_settlements_settlement" ON "work_settlements" ("settlement_id");

-- Works that must be finished before a work starts (a mast waits for land and power).
CREATE TABLE "work_dependencies" (
    "work_id" TEXT NOT NULL REFERENCES "works" ("id") ON DELETE CASCADE,
    "depends_on" TEXT NOT NULL REFERENCES "works" ("id"),
    "position" BIGINT NOT NULL,
    PRIMARY KEY ("work_id", "depends_on")
);

-- Every blocker a work has had: open while resolved_on is NULL.
CREATE TABLE "blockers" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "work_id" TEXT NOT NULL REFERENCES "works" ("id") ON DELETE CASCADE,
    "reason" TEXT NOT NULL,
    "who_must_act" TEXT NOT NULL,
    "since" TEXT NOT NULL,
    "note" TEXT NOT NULL,
    "resolved_on" TEXT
);
CREATE INDEX "blockers_who" ON "blockers" ("who_must_act", "resolved_on");
CREATE INDEX "blockers_work" ON "blockers" ("work_id");

-- Append-only audit log, hash-chained (auyl_track::AuditEntry): hash = SHA-256 over prev_hash
-- and every other column. Nothing in auyl updates or deletes these rows.
CREATE TABLE "audit_log" (
    "seq" BIGINT NOT NULL PRIMARY KEY,
    "at" TEXT NOT NULL,
    "who" TEXT NOT NULL,
    "entity" TEXT NOT NULL,
    "field" TEXT NOT NULL,
    "old_value" TEXT NOT NULL,
    "new_value" TEXT NOT NULL,
    "prev_hash" TEXT NOT NULL,
    "hash" TEXT NOT NULL
);
CREATE INDEX "audit_log_entity" ON "audit_log" ("entity");

-- The end of the chain, one row. Every tracking write updates it first, which serialises
-- writers on both backends (a row lock on PostgreSQL, the write lock on SQLite).
CREATE TABLE "audit_head" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL
);
INSERT INTO "audit_head" ("id", "seq", "hash")
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
