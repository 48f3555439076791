//! Publishing batch data: blobs committed, proven, verified and extended into cells on the
//! executor's pool, with commitments cached by blob hash; what a batch publishes is laid out by
//! [`batch_data`] (each receipt with the data its program publishes beside it).
//!
//! c-kzg is single-threaded, so a batch of blobs is spread over the pool one blob per task
//! (commitments, proofs, cells) or in one verification batch per worker. The choice follows the
//! executor's policy; `Auto` goes parallel when there are at least two blobs and two workers and
//! the measured time per blob (tens of milliseconds) dwarfs the pool's dispatch cost.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use l2x_da::{Blob, BlobCommitment, Cells, DaError, Kzg};
use quick_cache::sync::Cache;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::batch::Tracker;
use crate::{Executor, Policy, Progress};

mod batch_data;

pub use batch_data::{
    BATCH_DATA_MAGIC, BATCH_DATA_VERSION, BatchEntry, PublishedMismatch, batch_data,
    batch_from_data,
};

/// Separates blob-cache keys from every other SHA-256 of this project.
const BLOB_KEY_TAG: &[u8] = b"l2x blob key v1";

/// Shared state of the executor's DA work: the commitment cache and the measured time per blob.
pub(crate) struct BlobState {
    cache: Option<Cache<[u8; 32], BlobCommitment>>,
    ns_per_blob: AtomicU64,
    hits: AtomicU64,
}

impl BlobState {
    pub(crate) fn new(cache_entries: usize) -> Arc<Self> {
        Arc::new(Self {
            cache: (cache_entries > 0).then(|| Cache::new(cache_entries)),
            ns_per_blob: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        })
    }
}

/// Blobs committed and proven, with how the work ran.
#[derive(Debug, Clone)]
pub struct Publication {
    /// One entry per blob, in order: commitment, blob proof, versioned hash.
    pub blobs: Vec<BlobCommitment>,
    /// [`Policy::Sequential`] or [`Policy::Parallel`].
    pub ran: Policy,
    /// Why.
    pub reason: String,
    /// Blobs whose commitment came from the cache.
    pub cache_hits: usize,
    /// Wall time.
    pub wall: Duration,
}

fn blob_key(blob: &Blob) -> [u8; 32] {
    Sha256::new()
        .chain_update(BLOB_KEY_TAG)
        .chain_update(blob.as_slice())
        .finalize()
        .into()
}

impl Executor {
    /// The KZG setup (Ethereum mainnet), loaded on first use, about 2 s once per process; the
    /// other DA methods load it before they start their clocks.
    pub fn kzg(&self) -> Kzg {
        Kzg::mainnet()
    }

    /// Whether `count` blobs (or verification batches) go on the pool, and why.
    fn blob_plan(&self, count: usize) -> (Policy, String) {
        let threads = self.threads();
        match self.policy {
            Policy::Sequential => (Policy::Sequential, "policy: sequential".into()),
            Policy::Parallel => (Policy::Parallel, "policy: parallel".into()),
            Policy::Auto if count < 2 || threads < 2 => (
                Policy::Sequential,
                format!("{count} blob(s) on {threads} worker(s): nothing to spread"),
            ),
            Policy::Auto => {
                let per_blob = Duration::from_nanos(self.blobs.ns_per_blob.load(Ordering::Relaxed));
                if per_blob.is_zero() {
                    (
                        Policy::Parallel,
                        format!(
                            "{count} blobs over {threads} workers (KZG takes milliseconds per blob; dispatch costs {} µs)",
                            self.dispatch_cost().as_micros()
                        ),
                    )
                } else if per_blob > self.dispatch_cost() * 20 {
                    (
                        Policy::Parallel,
                        format!(
                            "{count} blobs of ~{} ms each over {threads} workers; dispatch costs {} µs",
                            per_blob.as_millis().max(1),
                            self.dispatch_cost().as_micros()
                        ),
                    )
                } else {
                    (
                        Policy::Sequential,
                        "blobs cheaper than dispatching them".into(),
                    )
                }
            }
        }
    }

    /// Runs `work` over `0..count`, on the pool or here, collecting results in order.
    fn over_blobs<T: Send>(
        &self,
        ran: Policy,
        count: usize,
        work: impl Fn(usize) -> T + Sync,
    ) -> Vec<T> {
        if ran == Policy::Parallel {
            self.pool()
                .install(|| (0..count).into_par_iter().map(&work).collect())
        } else {
            (0..count).map(work).collect()
        }
    }

    /// Commits to each blob and proves it (EIP-4844 sidecar entries), spread over the pool,
    /// with cached blobs taken from the cache.
    pub fn commit_blobs(&self, blobs: &[Blob]) -> Result<Publication, DaError> {
        self.commit(blobs, None)
    }

    /// [`Executor::commit_blobs`], calling `progress` after every blob (from any worker thread):
    /// a blob takes about 0.1 s, so a few hundred take long enough to want a progress bar.
    pub fn commit_blobs_with_progress(
        &self,
        blobs: &[Blob],
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<Publication, DaError> {
        self.commit(blobs, Some(progress))
    }

    fn commit(
        &self,
        blobs: &[Blob],
        progress: Option<&(dyn Fn(Progress) + Sync)>,
    ) -> Result<Publication, DaError> {
        let kzg = self.kzg();
        let start = Instant::now();
        let (ran, reason) = self.blob_plan(blobs.len());
        let hits = AtomicU64::new(0);
        let tracker = Tracker::new(blobs.len(), progress);
        let entries = self.over_blobs(ran, blobs.len(), |i| {
            let entry = self.commit_one(&kzg, &blobs[i], i, &hits);
            tracker.job_done();
            entry
        });
        let cache_hits = hits.load(Ordering::Relaxed) as usize;
        self.blobs
            .hits
            .fetch_add(cache_hits as u64, Ordering::Relaxed);
        Ok(Publication {
            blobs: entries.into_iter().collect::<Result<_, _>>()?,
            ran,
            reason,
            cache_hits,
            wall: start.elapsed(),
        })
    }

    /// One blob's entry, from the cache or computed (and then cached).
    fn commit_one(
        &self,
        kzg: &Kzg,
        blob: &Blob,
        index: usize,
        hits: &AtomicU64,
    ) -> Result<BlobCommitment, DaError> {
        let key = self.blobs.cache.as_ref().map(|_| blob_key(blob));
        if let (Some(cache), Some(key)) = (&self.blobs.cache, key)
            && let Some(hit) = cache.get(&key)
        {
            hits.fetch_add(1, Ordering::Relaxed);
            return Ok(hit);
        }
        let t = Instant::now();
        let entry = kzg.commit_and_prove(blob, index)?;
        self.blobs
            .ns_per_blob
            .store(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
        if let (Some(cache), Some(key)) = (&self.blobs.cache, key) {
            cache.insert(key, entry);
        }
        Ok(entry)
    }

    /// Verifies blobs against their commitments and proofs: one batch verification per worker
    /// (each cheaper per blob than single checks), failing as a whole and naming the first bad
    /// blob.
    pub fn verify_blobs(&self, blobs: &[Blob], entries: &[BlobCommitment]) -> Result<(), DaError> {
        if blobs.len() != entries.len() {
            return Err(DaError::Count {
                blobs: blobs.len(),
                commitments: entries.len(),
            });
        }
        let (ran, _) = self.blob_plan(blobs.len());
        let parts = if ran == Policy::Parallel {
            self.threads().min(blobs.len()).max(1)
        } else {
            1
        };
        let size = blobs.len().div_ceil(parts).max(1);
        let kzg = self.kzg();
        let results = self.over_blobs(ran, blobs.len().div_ceil(size), |part| {
            let range = part * size..((part + 1) * size).min(blobs.len());
            kzg.verify_blob_batch(&blobs[range.clone()], &entries[range.clone()], range.start)
        });
        results.into_iter().collect()
    }

    /// Each blob's EIP-7594 cells and cell proofs, spread over the pool.
    pub fn compute_cells(&self, blobs: &[Blob]) -> Result<Vec<Cells>, DaError> {
        let kzg = Kzg::mainnet_for_cells();
        let (ran, _) = self.blob_plan(blobs.len());
        self.over_blobs(ran, blobs.len(), |i| kzg.cells(&blobs[i], i))
            .into_iter()
            .collect()
    }

    /// Blobs served from the commitment cache since the executor was built.
    pub fn blob_cache_hits(&self) -> u64 {
        self.blobs.hits.load(Ordering::Relaxed)
    }
}
