//! KZG commitments and proofs over blobs (EIP-4844) and cells (EIP-7594), through c-kzg with
//! Ethereum's mainnet trusted setup.

use c_kzg::{Blob, Bytes32, Bytes48, CELLS_PER_EXT_BLOB, Cell, KzgSettings};
use sha2::{Digest, Sha256};

use crate::DaError;
use crate::encoding::check_canonical;

/// The version byte of a KZG versioned hash (EIP-4844 `VERSIONED_HASH_VERSION_KZG`).
pub const VERSIONED_HASH_VERSION_KZG: u8 = 0x01;

/// Precomputation for cell proofs: 8 trades ~1 s more set-up for ~35% faster cells (measured,
/// `../shared/notes`). Blob commitments and proofs do not use it.
pub const CELL_PRECOMPUTE: u64 = 8;

/// A KZG commitment to a blob: a compressed G1 point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Commitment(pub [u8; 48]);

/// A KZG proof: a compressed G1 point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Proof(pub [u8; 48]);

/// A blob's commitment, its blob proof and its versioned hash: what a blob transaction carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobCommitment {
    /// The commitment.
    pub commitment: Commitment,
    /// The proof that the blob matches it (EIP-4844 `compute_blob_kzg_proof`).
    pub proof: Proof,
    /// `0x01 ‖ SHA-256(commitment)[1..]`.
    pub versioned_hash: [u8; 32],
}

/// A blob's EIP-7594 extension: 128 cells and one proof per cell.
#[derive(Debug, Clone)]
pub struct Cells {
    /// The cells, in column order.
    pub cells: Box<[Cell; CELLS_PER_EXT_BLOB]>,
    /// Their proofs.
    pub proofs: Vec<Proof>,
}

/// The versioned hash of a commitment (EIP-4844).
pub fn versioned_hash(commitment: &Commitment) -> [u8; 32] {
    let mut hash: [u8; 32] = Sha256::digest(commitment.0).into();
    hash[0] = VERSIONED_HASH_VERSION_KZG;
    hash
}

/// The mainnet trusted setup, loaded once per process (about 2 s; 3 s with cell precompute).
#[derive(Debug, Clone, Copy)]
pub struct Kzg {
    settings: &'static KzgSettings,
}

impl Kzg {
    /// The setup for blob commitments and proofs.
    pub fn mainnet() -> Self {
        Self {
            settings: c_kzg::ethereum_kzg_settings(0),
        }
    }

    /// The setup with the precomputation that speeds up cell proofs.
    pub fn mainnet_for_cells() -> Self {
        Self {
            settings: c_kzg::ethereum_kzg_settings(CELL_PRECOMPUTE),
        }
    }

    /// The underlying c-kzg settings, for comparisons with direct calls.
    pub fn settings(&self) -> &'static KzgSettings {
        self.settings
    }

    /// Commits to a blob. `index` names the blob in errors.
    pub fn commit(&self, blob: &Blob, index: usize) -> Result<Commitment, DaError> {
        check_canonical(blob, index)?;
        let c = self
            .settings
            .blob_to_kzg_commitment(blob)
            .map_err(|e| DaError::kzg(index, e))?;
        Ok(Commitment(c.to_bytes().into_inner()))
    }

    /// Commits to a blob and proves it matches: a blob transaction's sidecar entry.
    pub fn commit_and_prove(&self, blob: &Blob, index: usize) -> Result<BlobCommitment, DaError> {
        let commitment = self.commit(blob, index)?;
        let proof = self.blob_proof(blob, &commitment, index)?;
        Ok(BlobCommitment {
            commitment,
            proof,
            versioned_hash: versioned_hash(&commitment),
        })
    }

    /// The blob proof of `blob` against `commitment`.
    pub fn blob_proof(
        &self,
        blob: &Blob,
        commitment: &Commitment,
        index: usize,
    ) -> Result<Proof, DaError> {
        let p = self
            .settings
            .compute_blob_kzg_proof(blob, &Bytes48::new(commitment.0))
            .map_err(|e| DaError::kzg(index, e))?;
        Ok(Proof(p.to_bytes().into_inner()))
    }

    /// Checks one blob against its commitment and proof.
    pub fn verify_blob(
        &self,
        blob: &Blob,
        commitment: &Commitment,
        proof: &Proof,
        index: usize,
    ) -> Result<(), DaError> {
        check_canonical(blob, index)?;
        let ok = self
            .settings
            .verify_blob_kzg_proof(blob, &Bytes48::new(commitment.0), &Bytes48::new(proof.0))
            .map_err(|e| DaError::kzg(index, e))?;
        if ok {
            Ok(())
        } else {
            Err(DaError::Rejected { index })
        }
    }

    /// Checks many blobs at once (one random linear combination: cheaper per blob than one by
    /// one). `first` is the index of `blobs[0]` in the caller's numbering. When the batch fails,
    /// the blobs are checked one by one to name the first bad entry.
    pub fn verify_blob_batch(
        &self,
        blobs: &[Blob],
        entries: &[BlobCommitment],
        first: usize,
    ) -> Result<(), DaError> {
        if blobs.len() != entries.len() {
            return Err(DaError::Count {
                blobs: blobs.len(),
                commitments: entries.len(),
            });
        }
        // No canonical pre-check: c-kzg refuses a non-canonical blob itself, and the one-by-one
        // pass below names it.
        let commitments: Vec<Bytes48> = entries
            .iter()
            .map(|e| Bytes48::new(e.commitment.0))
            .collect();
        let proofs: Vec<Bytes48> = entries.iter().map(|e| Bytes48::new(e.proof.0)).collect();
        let ok = self
            .settings
            .verify_blob_kzg_proof_batch(blobs, &commitments, &proofs)
            .unwrap_or(false);
        if ok {
            return Ok(());
        }
        for (i, (blob, entry)) in blobs.iter().zip(entries).enumerate() {
            self.verify_blob(blob, &entry.commitment, &entry.proof, first + i)?;
        }
        Err(DaError::Rejected { index: first })
    }

    /// The KZG proof that the blob's polynomial takes value `y` at `z` (returned with `y`).
    pub fn point_proof(
        &self,
        blob: &Blob,
        z: [u8; 32],
        index: usize,
    ) -> Result<(Proof, [u8; 32]), DaError> {
        check_canonical(blob, index)?;
        let (proof, y) = self
            .settings
            .compute_kzg_proof(blob, &Bytes32::new(z))
            .map_err(|e| DaError::kzg(index, e))?;
        let mut value = [0u8; 32];
        value.copy_from_slice(y.as_slice());
        Ok((Proof(proof.to_bytes().into_inner()), value))
    }

    /// Checks a point proof: the committed polynomial takes value `y` at `z`.
    pub fn verify_point(
        &self,
        commitment: &Commitment,
        z: [u8; 32],
        y: [u8; 32],
        proof: &Proof,
    ) -> Result<(), DaError> {
        let ok = self
            .settings
            .verify_kzg_proof(
                &Bytes48::new(commitment.0),
                &Bytes32::new(z),
                &Bytes32::new(y),
                &Bytes48::new(proof.0),
            )
            .map_err(|e| DaError::kzg(0, e))?;
        if ok {
            Ok(())
        } else {
            Err(DaError::Rejected { index: 0 })
        }
    }

    /// The blob's 128 cells and their proofs (EIP-7594).
    pub fn cells(&self, blob: &Blob, index: usize) -> Result<Cells, DaError> {
        check_canonical(blob, index)?;
        let (cells, proofs) = self
            .settings
            .compute_cells_and_kzg_proofs(blob)
            .map_err(|e| DaError::kzg(index, e))?;
        Ok(Cells {
            cells,
            proofs: proofs
                .iter()
                .map(|p| Proof(p.to_bytes().into_inner()))
                .collect(),
        })
    }

    /// Checks cells against their blobs' commitments in one batch: entry i is cell
    /// `cells[i]` at column `columns[i]` of the blob committed to by `commitments[i]`. When the
    /// batch fails, the first bad entry is named.
    pub fn verify_cells(
        &self,
        commitments: &[Commitment],
        columns: &[u64],
        cells: &[Cell],
        proofs: &[Proof],
    ) -> Result<(), DaError> {
        let n = cells.len();
        if commitments.len() != n || columns.len() != n || proofs.len() != n {
            return Err(DaError::Count {
                blobs: n,
                commitments: commitments.len(),
            });
        }
        let c: Vec<Bytes48> = commitments.iter().map(|c| Bytes48::new(c.0)).collect();
        let p: Vec<Bytes48> = proofs.iter().map(|p| Bytes48::new(p.0)).collect();
        if self
            .settings
            .verify_cell_kzg_proof_batch(&c, columns, cells, &p)
            .unwrap_or(false)
        {
            return Ok(());
        }
        for i in 0..n {
            let ok = self
                .settings
                .verify_cell_kzg_proof_batch(&c[i..=i], &columns[i..=i], &cells[i..=i], &p[i..=i])
                .unwrap_or(false);
            if !ok {
                return Err(DaError::Rejected { index: i });
            }
        }
        Err(DaError::Rejected { index: 0 })
    }
}
