//! The shared store: PostgreSQL, for a service and workers on many machines.

use std::sync::Mutex;
use std::time::Duration;

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};

use crate::keys::{KeyHash, KeyRow, key_columns, stored};
use crate::{
    ApiKey, Claimed, Counts, JobId, JobState, JobStatus, JobStore, Lease, MAX_ATTEMPTS, NewJob,
    NewKey, Outcome, Owner, Scope, StoreError, Submitted, lost_message, millis,
};

refinery::embed_migrations!("migrations/postgres");

/// Idle connections kept for reuse; more are opened while more threads call at once.
const IDLE_CONNECTIONS: usize = 32;

/// Jobs in PostgreSQL. Any number of processes may share one database: claims skip rows another
/// transaction holds (`FOR UPDATE SKIP LOCKED`), and leases expire on the database's clock.
pub struct PostgresStore {
    url: String,
    /// Connections whose commits wait for the write-ahead log to reach the disk (the server's
    /// default): submits, results, reads.
    durable: Mutex<Vec<Conn>>,
    /// Connections whose commits do not wait (`synchronous_commit` off), for the changes whose
    /// loss in a database crash is harmless: claims and lease renewals (see
    /// [`PostgresStore::unflushed`]).
    unflushed: Mutex<Vec<Conn>>,
}

/// A connection with its prepared statements: each statement is parsed and planned once per
/// connection, and every later call is one round trip.
struct Conn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl Conn {
    fn new(client: Client) -> Self {
        Self {
            client,
            statements: HashMap::new(),
        }
    }

    fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        let statement = self.statement(sql)?;
        Ok(self.client.query_opt(&statement, params)?)
    }

    fn query_one(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, StoreError> {
        let statement = self.statement(sql)?;
        Ok(self.client.query_one(&statement, params)?)
    }

    fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        Ok(self.client.execute(&statement, params)?)
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: show only that this is PostgreSQL.
        f.debug_struct("PostgresStore").finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects and applies the migrations (idempotent; concurrent starts serialize on
    /// refinery's history table).
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let mut client = Client::connect(url, NoTls)?;
        // Two processes starting at once must not both create the schema.
        client.batch_execute("SELECT pg_advisory_lock(7242)")?;
        let migrated = migrations::runner().run(&mut client);
        client.batch_execute("SELECT pg_advisory_unlock(7242)")?;
        migrated?;
        let store = Self {
            url: url.to_owned(),
            durable: Mutex::new(vec![Conn::new(client)]),
            unflushed: Mutex::new(Vec::new()),
        };
        // Connect the claims' pool now rather than in a worker's first claim.
        store.unflushed(|_| Ok(()))?;
        Ok(store)
    }

    /// Runs `f` on a pooled durable connection.
    fn with<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.pooled(&self.durable, None, f)
    }

    /// Runs `f` on a pooled connection whose commits do not wait for the disk, one round trip
    /// per statement. Only for changes whose loss in a database crash is harmless: a lost claim
    /// or lease renewal leaves the job to be claimed again, and the lost claim's late result is
    /// then refused or, if the new claim happened to get the same lease token, stands for that
    /// same job. Durable changes (submits, results) never run here.
    fn unflushed<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.pooled(&self.unflushed, Some("SET synchronous_commit TO OFF"), f)
    }

    /// Runs `f` on a connection from `pool` (a new one set up with `setup`); a connection that
    /// failed is dropped, not reused.
    fn pooled<T>(
        &self,
        pool: &Mutex<Vec<Conn>>,
        setup: Option<&str>,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = || {
            pool.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let pooled = idle().pop();
        let mut conn = match pooled {
            Some(conn) if !conn.client.is_closed() => conn,
            _ => {
                let mut client = Client::connect(&self.url, NoTls)?;
                if let Some(setup) = setup {
                    client.batch_execute(setup)?;
                }
                Conn::new(client)
            }
        };
        let result = f(&mut conn);
        if result.is_ok() && !conn.client.is_closed() {
            let mut idle = idle();
            if idle.len() < IDLE_CONNECTIONS {
                idle.push(conn);
            }
        }
        result
    }
}

fn status_of(r: &Row) -> Result<JobStatus, StoreError> {
    Ok(JobStatus {
        id: r.get(0),
        program: r.get(1),
        backend: r.get(2),
        state: JobState::parse(r.get(3))?,
        attempts: r.get(4),
        worker: r.get(5),
        phase: r.get(6),
        estimate_ms: r.get(7),
        submitted_ms: r.get(8),
        started_ms: r.get(9),
        finished_ms: r.get(10),
        proving_ms: r.get(11),
        error: r.get(12),
        receipt_bytes: r.get::<_, Option<i32>>(13).map(i64::from),
        now_ms: r.get(14),
        tenant: r.get(15),
    })
}

impl JobStore for PostgresStore {
    fn submit_as(&self, owner: &Owner, jobs: &[NewJob]) -> Result<Vec<Submitted>, StoreError> {
        self.with(|conn| {
            let insert = conn.statement(
                "INSERT INTO jobs \
                     (tenant, idempotency_key, program, backend, input, submitted_ms) \
                 VALUES ($1, $2, $3, $4, $5, l2x_now_ms()) \
                 ON CONFLICT (tenant, idempotency_key) DO NOTHING RETURNING id",
            )?;
            let existing = conn.statement(
                "SELECT id, program, backend, input FROM jobs \
                 WHERE tenant = $1 AND idempotency_key = $2",
            )?;
            let open_jobs = conn.statement(
                "SELECT COALESCE( \
                     (SELECT open FROM tenant_open WHERE tenant = $1), \
                     (SELECT count(*) FROM jobs \
                      WHERE tenant = $1 AND state IN ('queued', 'running')))",
            )?;
            let mut tx = conn.client.transaction()?;
            if owner.max_queued.is_some() {
                // One submit of a tenant at a time counts its jobs: two concurrent submits
                // cannot both pass the quota, whether the tenant's count is kept in tenant_open
                // (whose row lock would order them too) or counted (a tenant's id is far below
                // 2^31).
                tx.execute(
                    "SELECT pg_advisory_xact_lock(7243, ($1::BIGINT % 2147483647)::INT)",
                    &[&owner.tenant],
                )?;
            }
            let mut out = Vec::with_capacity(jobs.len());
            for job in jobs {
                let inserted = tx.query_opt(
                    &insert,
                    &[
                        &owner.tenant,
                        &job.idempotency_key,
                        &job.program,
                        &job.backend,
                        &job.input,
                    ],
                )?;
                let submitted = match (inserted, &job.idempotency_key) {
                    (Some(row), _) => Submitted {
                        id: row.get(0),
                        created: true,
                    },
                    (None, Some(key)) => {
                        let row = tx.query_one(&existing, &[&owner.tenant, key])?;
                        let same = row.get::<_, &str>(1) == job.program
                            && row.get::<_, &str>(2) == job.backend
                            && row.get::<_, &[u8]>(3) == job.input.as_slice();
                        if !same {
                            return Err(StoreError::KeyReused(key.clone()));
                        }
                        Submitted {
                            id: row.get(0),
                            created: false,
                        }
                    }
                    (None, None) => {
                        return Err(StoreError::Corrupt("an insert returned no id".into()));
                    }
                };
                out.push(submitted);
            }
            if let Some(limit) = owner.max_queued.filter(|_| out.iter().any(|s| s.created)) {
                let open: i64 = tx.query_one(&open_jobs, &[&owner.tenant])?.get(0);
                let open = open.unsigned_abs();
                if open > limit {
                    return Err(StoreError::OverQuota { open, limit }); // rolled back on drop
                }
            }
            tx.commit()?;
            Ok(out)
        })
    }

    fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Claimed>, StoreError> {
        // One round trip: the CTE fails the jobs whose workers were lost too often while the
        // main statement claims the next job (both on one snapshot; the expired lookup skips
        // the exhausted jobs, so they never meet). `(SELECT l2x_now_ms())` is read once per
        // statement, so the lookups use their indexes (a volatile call in a condition would be
        // evaluated row by row).
        self.unflushed(|conn| {
            let row = conn.query_opt(
                "WITH lost AS ( \
                     UPDATE jobs SET state = 'failed', error = $3, \
                         finished_ms = l2x_now_ms(), phase = NULL \
                     WHERE state = 'running' AND lease_deadline_ms < (SELECT l2x_now_ms()) \
                         AND attempts >= $4) \
                 UPDATE jobs SET state = 'running', attempts = attempts + 1, \
                     lease_token = lease_token + 1, worker = $1, \
                     lease_deadline_ms = l2x_now_ms() + $2, started_ms = l2x_now_ms(), \
                     phase = 'proving', estimate_ms = NULL \
                 WHERE id = COALESCE( \
                     (SELECT id FROM jobs WHERE state = 'running' \
                         AND lease_deadline_ms < (SELECT l2x_now_ms()) AND attempts < $4 \
                         ORDER BY lease_deadline_ms LIMIT 1 FOR UPDATE SKIP LOCKED), \
                     (SELECT id FROM jobs WHERE state = 'queued' \
                         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)) \
                 RETURNING id, lease_token, program, backend, input, attempts",
                &[&worker, &millis(lease), &lost_message(), &MAX_ATTEMPTS],
            )?;
            Ok(row.map(|r| Claimed {
                lease: Lease {
                    job: r.get(0),
                    token: r.get(1),
                },
                program: r.get(2),
                backend: r.get(3),
                input: r.get(4),
                attempts: r.get(5),
            }))
        })
    }

    fn heartbeat(
        &self,
        lease: Lease,
        duration: Duration,
        phase: Option<&str>,
        estimate: Option<Duration>,
    ) -> Result<bool, StoreError> {
        self.unflushed(|conn| {
            let rows = conn.execute(
                "UPDATE jobs SET lease_deadline_ms = l2x_now_ms() + $3, \
                     phase = COALESCE($4, phase), estimate_ms = COALESCE($5, estimate_ms) \
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'",
                &[
                    &lease.job,
                    &lease.token,
                    &millis(duration),
                    &phase,
                    &estimate.map(millis),
                ],
            )?;
            Ok(rows == 1)
        })
    }

    fn finish_all(&self, results: &[(Lease, &Outcome)]) -> Result<Vec<bool>, StoreError> {
        self.with(|conn| {
            let update = conn.statement(
                "UPDATE jobs SET state = $3, receipt = $4, proving_ms = $5, error = $6, \
                     finished_ms = l2x_now_ms(), phase = NULL, lease_deadline_ms = NULL \
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'",
            )?;
            let mut tx = conn.client.transaction()?;
            let mut finished = Vec::with_capacity(results.len());
            for (lease, outcome) in results {
                let (state, receipt, proving, error) = outcome.columns();
                let rows = tx.execute(
                    &update,
                    &[&lease.job, &lease.token, &state, &receipt, &proving, &error],
                )?;
                finished.push(rows == 1);
            }
            tx.commit()?;
            Ok(finished)
        })
    }

    fn release(&self, lease: Lease) -> Result<bool, StoreError> {
        self.with(|conn| {
            let rows = conn.execute(
                "UPDATE jobs SET state = 'queued', phase = NULL, lease_deadline_ms = NULL \
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'",
                &[&lease.job, &lease.token],
            )?;
            Ok(rows == 1)
        })
    }

    fn status_in(&self, scope: Scope, id: JobId) -> Result<Option<JobStatus>, StoreError> {
        self.with(|conn| {
            conn.query_opt(
                "SELECT id, program, backend, state, attempts, worker, phase, estimate_ms, \
                         submitted_ms, started_ms, finished_ms, proving_ms, error, \
                         length(receipt), l2x_now_ms(), tenant \
                     FROM jobs WHERE id = $1 AND ($2::BIGINT IS NULL OR tenant = $2)",
                &[&id, &scope.sql()],
            )?
            .map(|r| status_of(&r))
            .transpose()
        })
    }

    fn receipt_in(&self, scope: Scope, id: JobId) -> Result<Option<Option<Vec<u8>>>, StoreError> {
        self.with(|conn| {
            Ok(conn
                .query_opt(
                    "SELECT receipt FROM jobs \
                     WHERE id = $1 AND ($2::BIGINT IS NULL OR tenant = $2)",
                    &[&id, &scope.sql()],
                )?
                .map(|r| r.get(0)))
        })
    }

    fn input_in(&self, scope: Scope, id: JobId) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|conn| {
            Ok(conn
                .query_opt(
                    "SELECT input FROM jobs WHERE id = $1 AND ($2::BIGINT IS NULL OR tenant = $2)",
                    &[&id, &scope.sql()],
                )?
                .map(|r| r.get(0)))
        })
    }

    fn counts(&self) -> Result<Counts, StoreError> {
        self.with(|conn| {
            let mut counts = Counts::default();
            let row = conn.query_one(crate::COUNTS, &[])?;
            for (i, state) in JobState::ALL.into_iter().enumerate() {
                counts.add(state, row.get::<_, i64>(i).unsigned_abs());
            }
            Ok(counts)
        })
    }

    fn create_key(&self, key: &NewKey) -> Result<ApiKey, StoreError> {
        let q = &key.quotas;
        let made = self.with(|conn| {
            let mut tx = conn.client.transaction()?;
            let row = tx.query_one(
                concat!(
                    "INSERT INTO api_keys \
                         (name, hash, role, max_queued, per_minute, max_job_memory, created_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, l2x_now_ms()) RETURNING ",
                    key_columns!()
                ),
                &[
                    &key.name,
                    &key.hash.as_slice(),
                    &key.role.as_str(),
                    &stored(q.max_queued),
                    &stored(q.per_minute),
                    &stored(q.max_job_memory),
                ],
            )?;
            let made = key_row(&row).into_key()?;
            if q.max_queued.is_some() {
                tx.execute(
                    "INSERT INTO tenant_open (tenant, open) VALUES ($1, 0)",
                    &[&made.id],
                )?;
            }
            tx.commit()?;
            Ok(made)
        });
        match made {
            Err(StoreError::Postgres(e))
                if e.as_db_error()
                    .is_some_and(|db| db.constraint() == Some("api_keys_name_key")) =>
            {
                Err(StoreError::NameTaken(key.name.clone()))
            }
            made => made,
        }
    }

    fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.with(|conn| {
            conn.client
                .query(
                    concat!("SELECT ", key_columns!(), " FROM api_keys ORDER BY id"),
                    &[],
                )?
                .iter()
                .map(|r| key_row(r).into_key())
                .collect()
        })
    }

    fn key_by_hash(&self, hash: &KeyHash) -> Result<Option<ApiKey>, StoreError> {
        self.with(|conn| {
            conn.query_opt(
                concat!("SELECT ", key_columns!(), " FROM api_keys WHERE hash = $1"),
                &[&hash.as_slice()],
            )?
            .map(|r| key_row(&r).into_key())
            .transpose()
        })
    }

    fn revoke_key(&self, name: &str) -> Result<bool, StoreError> {
        self.with(|conn| {
            let rows = conn.execute(
                "UPDATE api_keys SET revoked_ms = l2x_now_ms() \
                 WHERE name = $1 AND revoked_ms IS NULL",
                &[&name],
            )?;
            Ok(rows == 1)
        })
    }

    fn has_keys(&self) -> Result<bool, StoreError> {
        self.with(|conn| {
            Ok(conn
                .query_one("SELECT EXISTS (SELECT 1 FROM api_keys)", &[])?
                .get(0))
        })
    }
}

/// A key's columns, as [`key_columns`] selects them.
fn key_row(r: &Row) -> KeyRow {
    KeyRow {
        id: r.get(0),
        name: r.get(1),
        role: r.get(2),
        max_queued: r.get(3),
        per_minute: r.get(4),
        max_job_memory: r.get(5),
        created_ms: r.get(6),
        revoked_ms: r.get(7),
    }
}
