//! The backends an executor proves and verifies with, found by id. A backend left out of the
//! build (its cargo feature off) is still named: it refuses work with an error that says how to
//! build it in.

use std::sync::Arc;

use l2x_core::{
    Backend, BackendId, Claim, InputError, NotBuilt, Program, ProveError, Receipt, VerifyError,
};
use l2x_programs::Registry;
use l2x_stark::{StarkBackend, StarkZkBackend};
use l2x_trace::TraceBackend;

/// Whether this build has backend `id` (`risc0` needs the cargo feature of that name).
pub fn is_built(id: BackendId) -> bool {
    id != BackendId::Risc0 || cfg!(feature = "risc0")
}

/// The backends this build has, in byte order.
pub fn built_backends() -> impl Iterator<Item = BackendId> {
    BackendId::ALL.iter().copied().filter(|&id| is_built(id))
}

/// What the backends of an executor share beyond the registry: the RISC Zero guests it was
/// given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Backends {
    #[cfg(feature = "risc0")]
    pub(crate) risc0: l2x_risc0::Risc0Backend,
}

impl Backends {
    /// The backend `id` for the programs of `registry`.
    pub(crate) fn get(&self, id: BackendId, registry: &Registry) -> Arc<dyn Backend> {
        match id {
            BackendId::Trace => Arc::new(TraceBackend),
            BackendId::Stark => Arc::new(StarkBackend::new(registry.clone())),
            BackendId::StarkZk => Arc::new(StarkZkBackend::new(registry.clone())),
            #[cfg(feature = "risc0")]
            BackendId::Risc0 => Arc::new(self.risc0.clone()),
            #[cfg(not(feature = "risc0"))]
            BackendId::Risc0 => Arc::new(Missing(id)),
        }
    }
}

/// A backend this build does not have.
#[cfg_attr(feature = "risc0", allow(dead_code))]
struct Missing(BackendId);

impl Backend for Missing {
    fn id(&self) -> BackendId {
        self.0
    }

    fn prove(&self, _: &dyn Program, _: &[u8]) -> Result<Receipt, ProveError> {
        Err(ProveError::NotBuilt(NotBuilt(self.0)))
    }

    /// Nothing to admit: proving fails at once.
    fn estimate_peak_memory(&self, _: &dyn Program, _: &[u8]) -> Result<u64, InputError> {
        Ok(0)
    }

    fn verify<'r>(&self, _: &dyn Program, _: &'r Receipt) -> Result<&'r Claim, VerifyError> {
        Err(VerifyError::NotBuilt(NotBuilt(self.0)))
    }
}
