//! Prove and verify for each concrete configuration.
//!
//! `p3-batch-stark`'s functions carry many bounds on the configuration type; writing them
//! against the two concrete configurations (through one macro) keeps them out of our code.

use l2x_air::{ProgramAir, Table, Val};
use p3_batch_stark::error::BatchVerificationError;
use p3_batch_stark::{
    BatchProof, ProverData, StarkGenericConfig, StarkInstance, prove_batch, verify_batch,
};
use p3_matrix::dense::RowMajorMatrix;
use p3_uni_stark::{OpeningShape, VerificationError};

use crate::config::{Config, LOG_BLOWUP, ZK_LOG_BLOWUP, ZK_RANDOM_CODEWORDS, ZkConfig};
use crate::packing::lookup_budgets;
use crate::security::TableShape;

/// Proves and verifies batches of tables under one configuration.
pub(crate) trait ProofSystem {
    /// Proves `traces` against `tables` and encodes the proof.
    fn prove(&self, tables: &[Table], traces: &[RowMajorMatrix<Val>]) -> Result<Vec<u8>, String>;

    /// Decodes and checks a proof against `tables`: decoding, shape, then Plonky3's verifier.
    /// Errors say whether the proof is malformed (`Err(Malformed)`) or rejected.
    fn verify(&self, tables: &[Table], seal: &[u8]) -> Result<(), Rejection>;

    /// The shape of each table as the soundness bound sees it, with the lookups packed as the
    /// prover packs them.
    fn shapes(&self, tables: &[Table]) -> Result<Vec<TableShape>, String>;
}

/// Why a proof does not verify.
pub(crate) enum Rejection {
    /// It does not decode, or its shape does not fit the claim.
    Malformed(String),
    /// Plonky3's verifier rejects it.
    Rejected(String),
}

/// Plonky3's rejection as a sentence: its own message, with the opening argument's error shown
/// by its message too (Plonky3 formats that one with `Debug`).
fn sentence<P: std::fmt::Debug + std::fmt::Display>(error: &BatchVerificationError<P>) -> String {
    match error {
        BatchVerificationError::Verification(VerificationError::InvalidOpeningArgument(pcs)) => {
            format!("the opening argument does not verify: {pcs}")
        }
        other => other.to_string(),
    }
}

/// Decodes a proof, saying where and why decoding stopped (postcard's own message for a value
/// its type refuses is only "Serde Deserialization Error").
fn decode<'a, T: serde::Deserialize<'a>>(seal: &'a [u8]) -> Result<(T, &'a [u8]), String> {
    let mut de = postcard::Deserializer::from_bytes(seal);
    match T::deserialize(&mut de) {
        Ok(value) => Ok((value, de.finalize().unwrap_or_default())),
        Err(error) => {
            let at = seal.len() - de.finalize().map_or(0, <[u8]>::len);
            let why = match error {
                postcard::Error::SerdeDeCustom => {
                    "a value its type refuses (such as a field element not below the modulus)"
                        .to_owned()
                }
                other => other.to_string(),
            };
            Err(format!(
                "the seal does not decode: {why}, at byte {at} of {}",
                seal.len()
            ))
        }
    }
}

/// The configuration's preprocessed data for `airs` at `heights` (log2, the hiding mode's
/// doubling included), each table's lookups packed as [`lookup_budgets`] decides: what the
/// prover, the verifier and the security estimate must agree on.
trait Preprocess: StarkGenericConfig + Sized {
    fn prover_data(
        &self,
        airs: &[ProgramAir],
        heights: &[usize],
    ) -> Result<ProverData<Self>, String>;
}

macro_rules! proof_system {
    ($config:ty, $log_blowup:expr) => {
        impl Preprocess for $config {
            fn prover_data(
                &self,
                airs: &[ProgramAir],
                heights: &[usize],
            ) -> Result<ProverData<Self>, String> {
                let budgets = lookup_budgets(airs, self.is_zk());
                ProverData::from_airs_and_degrees_with_lookup_budgets(
                    self,
                    airs,
                    heights,
                    &budgets,
                    $log_blowup,
                )
                .map_err(|e| format!("{e:?}"))
            }
        }

        impl ProofSystem for $config {
            fn prove(
                &self,
                tables: &[Table],
                traces: &[RowMajorMatrix<Val>],
            ) -> Result<Vec<u8>, String> {
                let instances: Vec<StarkInstance<'_, $config, _>> = tables
                    .iter()
                    .zip(traces)
                    .map(|(table, trace)| StarkInstance {
                        air: &table.air,
                        trace,
                        public_values: table.public_values.clone(),
                    })
                    .collect();
                let data = tracing::info_span!("preprocess").in_scope(|| {
                    let airs: Vec<_> = tables.iter().map(|t| t.air.clone()).collect();
                    let heights: Vec<usize> =
                        tables.iter().map(|t| t.log_height + self.is_zk()).collect();
                    self.prover_data(&airs, &heights)
                })?;
                let proof = prove_batch(self, &instances, &data).map_err(|e| format!("{e:?}"))?;
                tracing::info_span!("encode").in_scope(|| {
                    postcard::to_allocvec(&proof).map_err(|e| format!("encoding the proof: {e}"))
                })
            }

            fn verify(&self, tables: &[Table], seal: &[u8]) -> Result<(), Rejection> {
                let malformed = Rejection::Malformed;
                let (proof, rest) = decode::<BatchProof<$config>>(seal).map_err(malformed)?;
                if !rest.is_empty() {
                    return Err(malformed(format!("{} bytes after the proof", rest.len())));
                }
                if postcard::to_allocvec(&proof).ok().as_deref() != Some(seal) {
                    return Err(malformed("the proof is not canonically encoded".into()));
                }
                let zk = self.is_zk();
                let heights: Vec<usize> = tables.iter().map(|t| t.log_height + zk).collect();
                if proof.degree_bits != heights {
                    return Err(malformed(format!(
                        "trace heights 2^{:?} differ from the 2^{heights:?} the claim implies",
                        proof.degree_bits
                    )));
                }
                let airs: Vec<_> = tables.iter().map(|t| t.air.clone()).collect();
                let public: Vec<_> = tables.iter().map(|t| t.public_values.clone()).collect();
                let common = self.prover_data(&airs, &heights).map_err(malformed)?.common;
                verify_batch(self, &airs, &proof, &public, &common)
                    .map_err(|e| Rejection::Rejected(sentence(&e)))
            }

            fn shapes(&self, tables: &[Table]) -> Result<Vec<TableShape>, String> {
                let zk = self.is_zk();
                let heights: Vec<usize> = tables.iter().map(|t| t.log_height + zk).collect();
                let airs: Vec<_> = tables.iter().map(|t| t.air.clone()).collect();
                let common = self.prover_data(&airs, &heights)?.common;
                let openings = if zk == 1 {
                    OpeningShape::hiding(ZK_RANDOM_CODEWORDS)
                } else {
                    OpeningShape::new()
                };
                Ok(tables
                    .iter()
                    .zip(&heights)
                    .zip(&common.lookups)
                    .map(|((t, &h), lookups)| TableShape::of(&t.air, h, zk, lookups, openings))
                    .collect())
            }
        }
    };
}

proof_system!(Config, LOG_BLOWUP);
proof_system!(ZkConfig, ZK_LOG_BLOWUP);
