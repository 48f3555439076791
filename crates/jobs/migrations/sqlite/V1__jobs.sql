-- Jobs of the embedded store. Times are milliseconds since the Unix epoch.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT UNIQUE,
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
    receipt BLOB
);
CREATE INDEX jobs_queued ON jobs (id) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_deadline_ms) WHERE state = 'running';
CREATE INDEX jobs_state ON jobs (state);
