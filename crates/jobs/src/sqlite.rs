//! The embedded store: one SQLite database in a data directory, in WAL mode.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::keys::{KeyHash, KeyRow, key_columns, stored};
use crate::{
    ApiKey, Claimed, Counts, JobId, JobState, JobStatus, JobStore, Lease, MAX_ATTEMPTS, NewJob,
    NewKey, Outcome, Owner, Scope, StoreError, Submitted, lost_message, millis,
};

refinery::embed_migrations!("migrations/sqlite");

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "jobs.sqlite3";

/// Jobs in a SQLite database owned by one process. Every change is a transaction committed with
/// `synchronous = FULL`: a job reported submitted or done survives a crash of the process or of
/// the machine.
#[derive(Debug)]
pub struct SqliteStore {
    connection: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (or creates) the store in `dir`, migrates it, and re-queues the jobs a previous
    /// process left running: this process owns the store, so their workers are gone.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let store = Self::open_beside(dir)?;
        store.lock().execute(
            "UPDATE jobs SET state = 'queued', lease_deadline_ms = NULL, phase = NULL \
             WHERE state = 'running'",
            [],
        )?;
        Ok(store)
    }

    /// Whether `dir` holds a store already (a directory without one has no jobs and no keys).
    pub fn exists(dir: &Path) -> bool {
        dir.join(DATABASE_FILE).exists()
    }

    /// Opens (or creates) the store in `dir` and migrates it, leaving its jobs as they are: for
    /// a process beside the one that owns it (managing its keys while it serves). SQLite's
    /// locks keep the two processes' transactions apart.
    pub fn open_beside(dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
        let mut connection = Connection::open(dir.join(DATABASE_FILE))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.busy_timeout(Duration::from_secs(5))?;
        migrations::runner().run(&mut connection)?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    /// Opens the store in `dir` for reading only: statuses, receipts and counts are served, and
    /// every write fails ("attempt to write a readonly database"). For a service whose disk is
    /// full, which cannot migrate or re-queue but can still hand out the receipts it finished.
    /// Nothing is migrated: the schema must be one this version reads.
    pub fn open_read_only(dir: &Path) -> Result<Self, StoreError> {
        let path = dir.join(DATABASE_FILE);
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&path, flags)?;
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.query_row(crate::COUNTS, [], |_| Ok(()))?;
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-done transaction (rusqlite rolls back
        // on drop), so the connection stays usable.
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

impl JobStore for SqliteStore {
    fn submit_as(&self, owner: &Owner, jobs: &[NewJob]) -> Result<Vec<Submitted>, StoreError> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let now = now_ms();
        let mut out = Vec::with_capacity(jobs.len());
        // Statements compiled once per connection (with the triggers they fire), not per submit.
        let mut insert = tx.prepare_cached(
            "INSERT INTO jobs (tenant, idempotency_key, program, backend, input, submitted_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (tenant, idempotency_key) DO NOTHING RETURNING id",
        )?;
        for job in jobs {
            let inserted: Option<JobId> = insert
                .query_row(
                    params![
                        owner.tenant,
                        job.idempotency_key,
                        job.program,
                        job.backend,
                        job.input,
                        now
                    ],
                    |row| row.get(0),
                )
                .optional()?;
            let submitted = match (inserted, &job.idempotency_key) {
                (Some(id), _) => Submitted { id, created: true },
                (None, Some(key)) => {
                    let (id, program, backend, input): (JobId, String, String, Vec<u8>) = tx
                        .query_row(
                            "SELECT id, program, backend, input FROM jobs \
                             WHERE tenant = ?1 AND idempotency_key = ?2",
                            params![owner.tenant, key],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                        )?;
                    if (program, backend, input)
                        != (job.program.clone(), job.backend.clone(), job.input.clone())
                    {
                        return Err(StoreError::KeyReused(key.clone()));
                    }
                    Submitted { id, created: false }
                }
                (None, None) => {
                    return Err(StoreError::Corrupt("an insert returned no id".into()));
                }
            };
            out.push(submitted);
        }
        drop(insert);
        if let Some(limit) = owner.max_queued.filter(|_| out.iter().any(|s| s.created)) {
            let open: i64 = tx
                .prepare_cached(OPEN_JOBS)?
                .query_row([owner.tenant], |r| r.get(0))?;
            let open = open.unsigned_abs();
            if open > limit {
                return Err(StoreError::OverQuota { open, limit }); // rolled back on drop
            }
        }
        tx.commit()?;
        Ok(out)
    }

    fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Claimed>, StoreError> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let now = now_ms();
        tx.execute(
            "UPDATE jobs SET state = 'failed', error = ?1, finished_ms = ?2, phase = NULL \
             WHERE state = 'running' AND lease_deadline_ms < ?2 AND attempts >= ?3",
            params![lost_message(), now, MAX_ATTEMPTS],
        )?;
        // Expired leases first (their jobs are the oldest), then the queue; each lookup uses
        // its partial index (an OR of the two would scan the table).
        let next: Option<JobId> = tx
            .query_row(
                "SELECT id FROM jobs WHERE state = 'running' AND lease_deadline_ms < ?1 \
                 ORDER BY lease_deadline_ms LIMIT 1",
                [now],
                |r| r.get(0),
            )
            .optional()?;
        let next = match next {
            Some(id) => Some(id),
            None => tx
                .query_row(
                    "SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?,
        };
        let Some(id) = next else {
            tx.commit()?; // keeps the jobs failed above
            return Ok(None);
        };
        let claimed = tx.query_row(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, \
                 lease_token = lease_token + 1, worker = ?1, lease_deadline_ms = ?2, \
                 started_ms = ?3, phase = 'proving', estimate_ms = NULL \
             WHERE id = ?4 \
             RETURNING id, lease_token, program, backend, input, attempts",
            params![worker, now + millis(lease), now, id],
            |r| {
                Ok(Claimed {
                    lease: Lease {
                        job: r.get(0)?,
                        token: r.get(1)?,
                    },
                    program: r.get(2)?,
                    backend: r.get(3)?,
                    input: r.get(4)?,
                    attempts: r.get(5)?,
                })
            },
        )?;
        tx.commit()?;
        Ok(Some(claimed))
    }

    fn heartbeat(
        &self,
        lease: Lease,
        duration: Duration,
        phase: Option<&str>,
        estimate: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let rows = self.lock().execute(
            "UPDATE jobs SET lease_deadline_ms = ?3, phase = COALESCE(?4, phase), \
                 estimate_ms = COALESCE(?5, estimate_ms) \
             WHERE id = ?1 AND lease_token = ?2 AND state = 'running'",
            params![
                lease.job,
                lease.token,
                now_ms() + millis(duration),
                phase,
                estimate.map(millis)
            ],
        )?;
        Ok(rows == 1)
    }

    fn finish_all(&self, results: &[(Lease, &Outcome)]) -> Result<Vec<bool>, StoreError> {
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let now = now_ms();
        let mut finished = Vec::with_capacity(results.len());
        {
            let mut update = tx.prepare_cached(
                "UPDATE jobs SET state = ?3, receipt = ?4, proving_ms = ?5, error = ?6, \
                     finished_ms = ?7, phase = NULL, lease_deadline_ms = NULL \
                 WHERE id = ?1 AND lease_token = ?2 AND state = 'running'",
            )?;
            for (lease, outcome) in results {
                let (state, receipt, proving, error) = outcome.columns();
                let rows = update.execute(params![
                    lease.job,
                    lease.token,
                    state,
                    receipt,
                    proving,
                    error,
                    now
                ])?;
                finished.push(rows == 1);
            }
        }
        tx.commit()?;
        Ok(finished)
    }

    fn release(&self, lease: Lease) -> Result<bool, StoreError> {
        let rows = self.lock().execute(
            "UPDATE jobs SET state = 'queued', phase = NULL, lease_deadline_ms = NULL \
             WHERE id = ?1 AND lease_token = ?2 AND state = 'running'",
            params![lease.job, lease.token],
        )?;
        Ok(rows == 1)
    }

    fn status_in(&self, scope: Scope, id: JobId) -> Result<Option<JobStatus>, StoreError> {
        let now = now_ms();
        let row = self
            .lock()
            .query_row(
                "SELECT id, program, backend, state, attempts, worker, phase, estimate_ms, \
                     submitted_ms, started_ms, finished_ms, proving_ms, error, length(receipt), \
                     tenant \
                 FROM jobs WHERE id = ?1 AND (?2 IS NULL OR tenant = ?2)",
                params![id, scope.sql()],
                |r| {
                    Ok((
                        r.get::<_, String>(3)?,
                        JobStatus {
                            id: r.get(0)?,
                            tenant: r.get(14)?,
                            program: r.get(1)?,
                            backend: r.get(2)?,
                            state: JobState::Queued,
                            attempts: r.get(4)?,
                            worker: r.get(5)?,
                            phase: r.get(6)?,
                            estimate_ms: r.get(7)?,
                            submitted_ms: r.get(8)?,
                            started_ms: r.get(9)?,
                            finished_ms: r.get(10)?,
                            proving_ms: r.get(11)?,
                            error: r.get(12)?,
                            receipt_bytes: r.get(13)?,
                            now_ms: now,
                        },
                    ))
                },
            )
            .optional()?;
        row.map(|(state, status)| {
            Ok(JobStatus {
                state: JobState::parse(&state)?,
                ..status
            })
        })
        .transpose()
    }

    fn receipt_in(&self, scope: Scope, id: JobId) -> Result<Option<Option<Vec<u8>>>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT receipt FROM jobs WHERE id = ?1 AND (?2 IS NULL OR tenant = ?2)",
                params![id, scope.sql()],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn input_in(&self, scope: Scope, id: JobId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT input FROM jobs WHERE id = ?1 AND (?2 IS NULL OR tenant = ?2)",
                params![id, scope.sql()],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn counts(&self) -> Result<Counts, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(crate::COUNTS)?;
        let mut counts = Counts::default();
        statement.query_row([], |r| {
            for (i, state) in JobState::ALL.into_iter().enumerate() {
                counts.add(state, r.get::<_, i64>(i)?.unsigned_abs());
            }
            Ok(())
        })?;
        Ok(counts)
    }

    fn create_key(&self, key: &NewKey) -> Result<ApiKey, StoreError> {
        let q = &key.quotas;
        let mut connection = self.lock();
        let tx = connection.transaction()?;
        let row = tx.query_row(
            concat!(
                "INSERT INTO api_keys \
                     (name, hash, role, max_queued, per_minute, max_job_memory, created_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING ",
                key_columns!()
            ),
            params![
                key.name,
                key.hash.as_slice(),
                key.role.as_str(),
                stored(q.max_queued),
                stored(q.per_minute),
                stored(q.max_job_memory),
                now_ms()
            ],
            key_row,
        );
        match row {
            Err(rusqlite::Error::SqliteFailure(e, Some(message)))
                if e.code == rusqlite::ErrorCode::ConstraintViolation
                    && message.contains("api_keys.name") =>
            {
                Err(StoreError::NameTaken(key.name.clone()))
            }
            row => {
                let made = row?.into_key()?;
                if q.max_queued.is_some() {
                    tx.execute(
                        "INSERT INTO tenant_open (tenant, open) VALUES (?1, 0)",
                        [made.id],
                    )?;
                }
                tx.commit()?;
                Ok(made)
            }
        }
    }

    fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys ORDER BY id"
        ))?;
        let rows = statement.query_map([], key_row)?;
        rows.map(|row| row?.into_key()).collect()
    }

    fn key_by_hash(&self, hash: &KeyHash) -> Result<Option<ApiKey>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys WHERE hash = ?1"
        ))?;
        statement
            .query_row([hash.as_slice()], key_row)
            .optional()?
            .map(KeyRow::into_key)
            .transpose()
    }

    fn revoke_key(&self, name: &str) -> Result<bool, StoreError> {
        let rows = self.lock().execute(
            "UPDATE api_keys SET revoked_ms = ?2 WHERE name = ?1 AND revoked_ms IS NULL",
            params![name, now_ms()],
        )?;
        Ok(rows == 1)
    }

    fn has_keys(&self) -> Result<bool, StoreError> {
        Ok(self
            .lock()
            .query_row("SELECT EXISTS (SELECT 1 FROM api_keys)", [], |r| r.get(0))?)
    }
}

/// A tenant's unfinished jobs: the count its quota's triggers keep (`V3__tenant_open.sql`), or
/// counted when it has none.
const OPEN_JOBS: &str = "SELECT COALESCE( \
    (SELECT open FROM tenant_open WHERE tenant = ?1), \
    (SELECT count(*) FROM jobs WHERE tenant = ?1 AND state IN ('queued', 'running')))";

/// A key's columns, as [`key_columns`] selects them.
fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRow> {
    Ok(KeyRow {
        id: r.get(0)?,
        name: r.get(1)?,
        role: r.get(2)?,
        max_queued: r.get(3)?,
        per_minute: r.get(4)?,
        max_job_memory: r.get(5)?,
        created_ms: r.get(6)?,
        revoked_ms: r.get(7)?,
    })
}

#[cfg(test)]
mod upgrade {
    use super::*;

    #[test]
    fn a_store_made_before_keys_keeps_its_jobs_as_the_open_tenants() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut old = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
            migrations::runner()
                .set_target(refinery::Target::Version(1))
                .run(&mut old)
                .unwrap();
            old.execute(
                "INSERT INTO jobs (idempotency_key, program, backend, input, submitted_ms, \
                     state, receipt) VALUES ('k', 'fibonacci', 'trace', x'31', 1, 'done', x'52')",
                [],
            )
            .unwrap();
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        let status = store.status(1).unwrap().unwrap();
        assert_eq!(
            (status.tenant, status.state),
            (crate::OPEN_TENANT, JobState::Done)
        );
        assert_eq!(store.receipt(1).unwrap(), Some(Some(b"R".to_vec())));
        let job = NewJob {
            program: "fibonacci".into(),
            backend: "trace".into(),
            input: b"1".to_vec(),
            idempotency_key: Some("k".into()),
        };
        let again = store.submit(&[job]).unwrap()[0];
        assert_eq!(
            (again.id, again.created),
            (1, false),
            "its idempotency key still holds"
        );
        let next = store.submit(&[crate::tests::job(2, None)]).unwrap()[0];
        assert!(next.id > 1, "ids go on after the old ones");
    }
}
