//! Prometheus metrics: what the service and its in-process workers did, and the queue.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// The service's metrics, registered in their own registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Jobs in each state (set from the store at every scrape).
    pub jobs: IntGaugeVec,
    /// Jobs waiting for a worker (set at every scrape).
    pub queue_depth: IntGauge,
    /// Proving time of the jobs this process's workers finished, by program and backend.
    pub proving_seconds: HistogramVec,
    /// Jobs this process's workers finished, by outcome (done, failed, discarded: a late result
    /// of a lost lease).
    pub finished: IntCounterVec,
    /// Time to answer a submit.
    pub submit_seconds: Histogram,
    /// Receipts served from the executor's cache (set at every scrape).
    pub cache_hits: IntGauge,
    /// Cache lookups that missed (set at every scrape).
    pub cache_misses: IntGauge,
    /// The memory budget, in bytes.
    pub memory_budget: IntGauge,
    /// The memory running jobs hold (their estimates), in bytes.
    pub memory_in_use: IntGauge,
    /// Jobs stored by each tenant's submits (by key name; "open" without keys).
    pub tenant_jobs: IntCounterVec,
    /// Submits refused, by tenant and reason: invalid, max_job_memory, per_minute, max_queued.
    pub tenant_refused: IntCounterVec,
}

/// Buckets of proving time: 1 ms to about 2 minutes, doubling.
fn proving_buckets() -> Vec<f64> {
    (0..18).map(|i| 0.001 * f64::from(1u32 << i)).collect()
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let jobs = IntGaugeVec::new(
            Opts::new("l2x_jobs", "Jobs in the store, by state"),
            &["state"],
        )?;
        let queue_depth = IntGauge::new("l2x_queue_depth", "Jobs waiting for a worker")?;
        let proving_seconds = HistogramVec::new(
            HistogramOpts::new(
                "l2x_proving_seconds",
                "Proving time of jobs finished by this process's workers",
            )
            .buckets(proving_buckets()),
            &["program", "backend"],
        )?;
        let finished = IntCounterVec::new(
            Opts::new(
                "l2x_jobs_finished_total",
                "Jobs finished by this process's workers, by outcome",
            ),
            &["outcome"],
        )?;
        let submit_seconds = Histogram::with_opts(
            HistogramOpts::new("l2x_submit_seconds", "Time to answer a job submission")
                .buckets(prometheus::exponential_buckets(0.0001, 2.0, 16)?),
        )?;
        let cache_hits = IntGauge::new("l2x_cache_hits", "Receipts served from the cache")?;
        let cache_misses = IntGauge::new("l2x_cache_misses", "Cache lookups that missed")?;
        let memory_budget = IntGauge::new("l2x_memory_budget_bytes", "The memory budget")?;
        let memory_in_use = IntGauge::new(
            "l2x_memory_in_use_bytes",
            "Memory held by running jobs (their estimates)",
        )?;
        let tenant_jobs = IntCounterVec::new(
            Opts::new(
                "l2x_tenant_jobs_submitted_total",
                "Jobs stored by submits, by tenant (API key name)",
            ),
            &["tenant"],
        )?;
        let tenant_refused = IntCounterVec::new(
            Opts::new(
                "l2x_tenant_submits_refused_total",
                "Submits refused, by tenant and reason (invalid, max_job_memory, per_minute, max_queued)",
            ),
            &["tenant", "reason"],
        )?;
        registry.register(Box::new(tenant_jobs.clone()))?;
        registry.register(Box::new(tenant_refused.clone()))?;
        registry.register(Box::new(jobs.clone()))?;
        registry.register(Box::new(queue_depth.clone()))?;
        registry.register(Box::new(proving_seconds.clone()))?;
        registry.register(Box::new(finished.clone()))?;
        registry.register(Box::new(submit_seconds.clone()))?;
        registry.register(Box::new(cache_hits.clone()))?;
        registry.register(Box::new(cache_misses.clone()))?;
        registry.register(Box::new(memory_budget.clone()))?;
        registry.register(Box::new(memory_in_use.clone()))?;
        Ok(Self {
            registry,
            jobs,
            queue_depth,
            proving_seconds,
            finished,
            submit_seconds,
            cache_hits,
            cache_misses,
            memory_budget,
            memory_in_use,
            tenant_jobs,
            tenant_refused,
        })
    }

    /// Counts `jobs` stored by a submit of `tenant`.
    pub fn submitted(&self, tenant: &str, jobs: usize) {
        self.tenant_jobs
            .with_label_values(&[tenant])
            .inc_by(u64::try_from(jobs).unwrap_or(u64::MAX));
    }

    /// Counts a submit of `tenant` refused for `reason`.
    pub fn refused(&self, tenant: &str, reason: &str) {
        self.tenant_refused
            .with_label_values(&[tenant, reason])
            .inc();
    }

    /// Every metric in Prometheus's text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding into a Vec fails only on invalid metric names, which are fixed above.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}
