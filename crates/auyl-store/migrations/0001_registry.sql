-- The registry: one table per layer, one column per canonical field (auyl_model::Layer::fields),
-- plus the geometry as WKB, a hash of the content for change detection, and where it came from.
-- Portable SQL: the same file runs on SQLite and PostgreSQL.

CREATE TABLE "settlements" (
    "id" TEXT NOT NULL,
    "official_code" TEXT,
    "name" TEXT,
    "name_kk" TEXT,
    "name_ru" TEXT,
    "name_en" TEXT,
    "lon" DOUBLE PRECISION,
    "lat" DOUBLE PRECISION,
    "kind" TEXT,
    "population" BIGINT,
    "population_year" BIGINT,
    "population_source" TEXT,
    "population_estimated" BOOLEAN,
    "region_code" TEXT,
    "district_code" TEXT,
    "geom" BYTEA,
    "content_hash" TEXT NOT NULL,
    "source" TEXT,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id")
);
CREATE TABLE "regions" (
    "code" TEXT NOT NULL,
    "parent_code" TEXT,
    "name" TEXT,
    "name_kk" TEXT,
    "name_ru" TEXT,
    "name_en" TEXT,
    "alt_code" TEXT,
    "geom" BYTEA,
    "content_hash" TEXT NOT NULL,
    "source" TEXT,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("code")
);
CREATE TABLE "districts" (
    "code" TEXT NOT NULL,
    "parent_code" TEXT,
    "name" TEXT,
    "name_kk" TEXT,
    "name_ru" TEXT,
    "name_en" TEXT,
    "alt_code" TEXT,
    "geom" BYTEA,
    "content_hash" TEXT NOT NULL,
    "source" TEXT,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("code")
);
CREATE TABLE "roads" (
    "id" TEXT NOT NULL,
    "ref" TEXT,
    "name" TEXT,
    "class" TEXT,
    "surface" TEXT,
    "length_m" DOUBLE PRECISION,
    "geom" BYTEA,
    "content_hash" TEXT NOT NULL,
    "source" TEXT,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id")
);
CREATE TABLE "power" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "kind" TEXT,
    "fuel" TEXT,
    "capacity_mw" DOUBLE PRECISION,
    "voltage_kv" DOUBLE PRECISION,
    "lon" DOUBLE PRECISION,
    "lat" DOUBLE PRECISION,
    "geom" BYTEA,
    "content_hash" TEXT NOT NULL,
    "source" TEXT,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id")
);
CREATE TABLE "masts" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "lon" DOUBLE PRECISION,
    "lat" DOUBLE PRECISION,
    "height_m" DOUBLE PRECISION,
    "technologies" TEXT,
    "operator_id" TEXT,
    "assumed" BOOLEAN,
    "geom" BYTEA,
    "content_hash" TEXT NOT NULL,
    "source" TEXT,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id")
);
CREATE TABLE "backbone_nodes" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "name_kk" TEXT,
    "name_ru" TEXT,
    "name_en" TEXT,
    "kind" TEXT,
    "lon" DOUBLE PRECISION,
    "lat" DOUBLE PRECISION,
    "operator_id" TEXT,
    "assumed" BOOLEAN,
    "geom" BYTEA,
    "content_hash" TEXT NOT NULL,
    "source" TEXT,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id")
);
CREATE TABLE "fibre_routes" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "operator_id" TEXT,
    "length_m" DOUBLE PRECISION,
    "assumed" BOOLEAN,
    "geom" BYTEA,
    "content_hash" TEXT NOT NULL,
    "source" TEXT,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id")
);
CREATE TABLE "organisations" (
    "id" TEXT NOT NULL,
    "kind" TEXT,
    "name" TEXT,
    "name_kk" TEXT,
    "name_ru" TEXT,
    "name_en" TEXT,
    "region_code" TEXT,
    "geom" BYTEA,
    "content_hash" TEXT NOT NULL,
    "source" TEXT,
    "updated_at" TEXT NOT NULL,
    PRIMARY KEY ("id")
);
CREATE INDEX "settlements_region" ON "settlements" ("region_code");
CREATE INDEX "settlements_district" ON "settlements" ("district_code");

-- One row per import run (dry runs are not recorded).
CREATE TABLE "imports" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "layer" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "added" BIGINT NOT NULL,
    "changed" BIGINT NOT NULL,
    "unchanged" BIGINT NOT NULL,
    "at" TEXT NOT NULL
);
