-- Jobs shared by the service and its workers. Times are milliseconds since the Unix epoch, read
-- from the database's clock so that the workers' clocks never decide a lease.
CREATE FUNCTION l2x_now_ms() RETURNS BIGINT
    LANGUAGE SQL VOLATILE
    AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT $$;

CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    program TEXT NOT NULL,
    backend TEXT NOT NULL,
    input BYTEA NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_token BIGINT NOT NULL DEFAULT 0,
    worker TEXT,
    lease_deadline_ms BIGINT,
    phase TEXT,
    estimate_ms BIGINT,
    submitted_ms BIGINT NOT NULL,
    started_ms BIGINT,
    finished_ms BIGINT,
    proving_ms BIGINT,
    error TEXT,
    receipt BYTEA
);
CREATE INDEX jobs_queued ON jobs (id) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_deadline_ms) WHERE state = 'running';
CREATE INDEX jobs_state ON jobs (state);
-- Receipts and inputs are proof data, which does not compress: store them out of line without
-- trying.
ALTER TABLE jobs ALTER COLUMN receipt SET STORAGE EXTERNAL;
ALTER TABLE jobs ALTER COLUMN input SET STORAGE EXTERNAL;
