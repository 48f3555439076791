-- API keys and the tenants they make. A key is stored as the SHA-256 of its secret only; its
-- quotas are NULL when unlimited. Jobs gain their tenant (the key that submitted them; 0 for a
-- service without keys), and idempotency keys become unique per tenant: SQLite cannot drop the
-- column's UNIQUE, so the table is rebuilt (same ids, same rows).
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    hash BLOB NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('prove', 'scrape')),
    max_queued INTEGER,
    per_minute INTEGER,
    max_job_memory INTEGER,
    created_ms INTEGER NOT NULL,
    revoked_ms INTEGER
);

CREATE TABLE jobs_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT,
    program TEXT NOT NULL,
    backend TEXT NOT NULL,
    input BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_token INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    lease_deadline_ms INTEGER,
    phase TEXT,
    estimate_ms INTEGER,
    submitted_ms INTEGER NOT NULL,
    started_ms INTEGER,
    finished_ms INTEGER,
    proving_ms INTEGER,
    error TEXT,
    receipt BLOB,
    UNIQUE (tenant, idempotency_key)
);
INSERT INTO jobs_v2 (id, idempotency_key, program, backend, input, state, attempts,
        lease_token, worker, lease_deadline_ms, phase, estimate_ms, submitted_ms, started_ms,
        finished_ms, proving_ms, error, receipt)
    SELECT id, idempotency_key, program, backend, input, state, attempts, lease_token, worker,
        lease_deadline_ms, phase, estimate_ms, submitted_ms, started_ms, finished_ms,
        proving_ms, error, receipt
    FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v2 RENAME TO jobs;
CREATE INDEX jobs_queued ON jobs (id) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_deadline_ms) WHERE state = 'running';
CREATE INDEX jobs_state ON jobs (state);
-- A tenant's unfinished jobs, counted against its quota at each submit.
CREATE INDEX jobs_tenant_open ON jobs (tenant) WHERE state IN ('queued', 'running');
