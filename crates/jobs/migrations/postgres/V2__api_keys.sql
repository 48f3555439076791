-- API keys and the tenants they make. A key is stored as the SHA-256 of its secret only; its
-- quotas are NULL when unlimited. Jobs gain their tenant (the key that submitted them; 0 for a
-- service without keys), and idempotency keys become unique per tenant.
CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    hash BYTEA NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('prove', 'scrape')),
    max_queued BIGINT,
    per_minute BIGINT,
    max_job_memory BIGINT,
    created_ms BIGINT NOT NULL,
    revoked_ms BIGINT
);

ALTER TABLE jobs ADD COLUMN tenant BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs DROP CONSTRAINT jobs_idempotency_key_key;
ALTER TABLE jobs ADD CONSTRAINT jobs_tenant_idempotency_key UNIQUE (tenant, idempotency_key);
-- A tenant's unfinished jobs, counted against its quota at each submit.
CREATE INDEX jobs_tenant_open ON jobs (tenant) WHERE state IN ('queued', 'running');
