//! The receipt cache: concurrent (sharded, no global lock), content-addressed, bounded by entries
//! and by bytes, with hit, miss and eviction counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use l2x_core::{BackendId, FORMAT_VERSION, Receipt};
use quick_cache::sync::Cache;
use quick_cache::{Lifecycle, OptionsBuilder, Weighter};
use sha2::{Digest, Sha256};

/// A cache key: SHA-256 of a domain tag, the backend id, the receipt format version, the
/// length-prefixed program id and the input, so that receipts of another backend, format or
/// program can never be returned.
pub type CacheKey = [u8; 32];

/// Separates cache keys from every other SHA-256 this project computes.
const KEY_TAG: &[u8; 16] = b"l2x receipt key1";

/// The key of a job. SHA-256, not BLAKE3: with SHA-NI a small job's key is one compression of
/// one block, about a third of BLAKE3's time at these sizes, and the key's cost is paid on every
/// cache miss.
pub fn cache_key(backend: BackendId, program: &str, input: &[u8]) -> CacheKey {
    let id = program.as_bytes();
    let mut header = [0u8; KEY_TAG.len() + 3 + 8];
    header[..KEY_TAG.len()].copy_from_slice(KEY_TAG);
    header[16] = backend.to_byte();
    header[17..19].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    header[19..].copy_from_slice(&(id.len() as u64).to_le_bytes());
    let mut hasher = Sha256::new();
    hasher.update(header);
    hasher.update(id);
    hasher.update(input);
    hasher.finalize().into()
}

/// Hashes a cache key for the map by taking its first eight bytes: keys are already uniform
/// BLAKE3 outputs, so hashing them again would only cost time on every lookup and insert.
#[derive(Clone, Copy, Default)]
struct PrefixHash;

/// The hasher [`PrefixHash`] builds.
#[derive(Default)]
struct PrefixHasher(u64);

impl std::hash::BuildHasher for PrefixHash {
    type Hasher = PrefixHasher;

    fn build_hasher(&self) -> PrefixHasher {
        PrefixHasher::default()
    }
}

impl std::hash::Hasher for PrefixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for (i, b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*b) << (8 * i);
        }
    }

    fn write_usize(&mut self, _: usize) {}
}

/// Counters of a cache since it was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found a receipt.
    pub hits: u64,
    /// Lookups that found nothing.
    pub misses: u64,
    /// Receipts dropped to stay within the bounds.
    pub evictions: u64,
    /// Receipts held now.
    pub entries: usize,
    /// Weight held now (encoded bytes, see [`ReceiptCache::new`]).
    pub bytes: u64,
}

#[derive(Clone)]
struct ByteWeight {
    floor: u64,
}

impl Weighter<CacheKey, Arc<Receipt>> for ByteWeight {
    fn weight(&self, _: &CacheKey, receipt: &Arc<Receipt>) -> u64 {
        let bytes = (receipt.seal.len() + receipt.claim.public_values.len() + 64) as u64;
        bytes.max(self.floor)
    }
}

#[derive(Clone, Default)]
struct CountEvictions(Arc<AtomicU64>);

impl Lifecycle<CacheKey, Arc<Receipt>> for CountEvictions {
    type RequestState = ();

    fn on_evict(&self, _: &mut (), _: CacheKey, _: Arc<Receipt>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Receipts by job, shared between threads.
pub struct ReceiptCache {
    inner: Cache<CacheKey, Arc<Receipt>, ByteWeight, PrefixHash, CountEvictions>,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: Arc<AtomicU64>,
}

impl std::fmt::Debug for ReceiptCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptCache")
            .field("stats", &self.stats())
            .finish()
    }
}

impl ReceiptCache {
    /// A cache of at most `entries` receipts and `bytes` bytes. Each receipt weighs its size, but
    /// at least `bytes / entries`, so the byte bound also enforces the entry bound.
    pub fn new(entries: usize, bytes: u64) -> Option<Self> {
        let entries = entries.max(1);
        let lifecycle = CountEvictions::default();
        let evictions = Arc::clone(&lifecycle.0);
        let options = OptionsBuilder::new()
            .estimated_items_capacity(entries)
            .weight_capacity(bytes)
            .build()
            .ok()?;
        let weighter = ByteWeight {
            floor: (bytes / entries as u64).max(1),
        };
        let inner = Cache::with_options(options, weighter, PrefixHash, lifecycle);
        Some(Self {
            inner,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions,
        })
    }

    /// The receipt of this job, if cached.
    pub fn get(&self, key: &CacheKey) -> Option<Arc<Receipt>> {
        let found = self.inner.get(key);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps a receipt.
    pub fn insert(&self, key: CacheKey, receipt: Arc<Receipt>) {
        self.inner.insert(key, receipt);
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            entries: self.inner.len(),
            bytes: self.inner.weight(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Executor;

    #[test]
    fn keys_separate_backend_program_and_input() {
        let k = cache_key(BackendId::Trace, "fibonacci", b"5");
        assert_ne!(k, cache_key(BackendId::Stark, "fibonacci", b"5"));
        assert_ne!(k, cache_key(BackendId::Trace, "sha256", b"5"));
        assert_ne!(k, cache_key(BackendId::Trace, "fibonacci", b"6"));
        assert_ne!(
            cache_key(BackendId::Trace, "ab", b"c"),
            cache_key(BackendId::Trace, "a", b"bc")
        );
        let long_a = "a".repeat(40);
        let long_b = format!("{}b", "a".repeat(39));
        assert_ne!(
            cache_key(BackendId::Trace, &long_a, b""),
            cache_key(BackendId::Trace, &long_b, b"")
        );
    }

    #[test]
    fn counts_hits_misses_and_evictions_within_the_entry_bound() {
        let cache = ReceiptCache::new(4, 1 << 20).unwrap();
        let executor = Executor::new().unwrap();
        for n in 0..20u32 {
            let input = n.to_string();
            let key = cache_key(BackendId::Trace, "fibonacci", input.as_bytes());
            assert!(cache.get(&key).is_none());
            cache.insert(
                key,
                Arc::new(executor.prove("fibonacci", input.as_bytes()).unwrap()),
            );
            assert!(cache.get(&key).is_some());
        }
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses), (20, 20));
        assert!(stats.entries <= 4, "{stats:?}");
        assert!(stats.evictions >= 16, "{stats:?}");
    }
}
