-- Accounts and sessions of the web application (issue 8). Portable SQL: SQLite and PostgreSQL.
-- Passwords are stored only as argon2 PHC strings; session tokens only as their SHA-256.
-- Times are Unix seconds given by the caller (the server), never taken from the database clock.

CREATE TABLE "users" (
    "name" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" TEXT NOT NULL CHECK ("role" IN ('administrator', 'ministry_analyst', 'operator_engineer', 'akimat_officer', 'viewer')),
    -- The operator an operator engineer works for (organisations.id).
    "organisation_id" TEXT,
    -- The region an akimat officer answers for (regions.code).
    "region_code" TEXT,
    "created_at" BIGINT NOT NULL,
    PRIMARY KEY ("name")
);

CREATE TABLE "sessions" (
    "token_sha256" TEXT NOT NULL,
    "user_name" TEXT NOT NULL REFERENCES "users" ("name") ON DELETE CASCADE,
    "csrf_token" TEXT NOT NULL,
    "created_at" BIGINT NOT NULL,
    "expires_at" BIGINT NOT NULL,
    PRIMARY KEY ("token_sha256")
);
CREATE INDEX "sessions_user_name" ON "sessions" ("user_name");
