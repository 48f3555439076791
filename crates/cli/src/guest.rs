//! `--elf GUEST`: a user's RISC Zero guest, proven and verified by the `risc0` backend.

use std::path::{Path, PathBuf};

use anyhow::Result;
use l2x_executor::ExecutorBuilder;

/// The `--elf` argument shared by `prove` and `verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct ElfArgs {
    /// A RISC Zero guest ELF (target riscv32im-risc0-zkvm-elf) to prove or verify instead of a
    /// named program; its program id is `guest-` and the start of its image ID. Needs a build
    /// with the `risc0` feature.
    #[arg(long, value_name = "GUEST.elf")]
    pub elf: Option<PathBuf>,
}

impl ElfArgs {
    /// Adds the guest to `builder`, and returns the guest's program id (`None` without
    /// `--elf`).
    pub fn apply(&self, builder: ExecutorBuilder) -> Result<(ExecutorBuilder, Option<String>)> {
        match &self.elf {
            None => Ok((builder, None)),
            Some(path) => load(builder, path),
        }
    }
}

#[cfg(feature = "risc0")]
fn load(builder: ExecutorBuilder, path: &Path) -> Result<(ExecutorBuilder, Option<String>)> {
    use anyhow::Context;
    let elf = crate::files::read_limited(path, l2x_executor::MAX_ELF_BYTES as u64, "guest ELF")?;
    let guest = l2x_executor::Guest::from_elf(&elf)
        .with_context(|| format!("cannot load guest {}", path.display()))?;
    let id = guest.id().to_string();
    Ok((builder.guest(guest)?, Some(id)))
}

#[cfg(not(feature = "risc0"))]
fn load(_: ExecutorBuilder, path: &Path) -> Result<(ExecutorBuilder, Option<String>)> {
    Err(anyhow::anyhow!(
        "--elf {}: {}",
        path.display(),
        l2x_core::NotBuilt(l2x_core::BackendId::Risc0)
    ))
}
