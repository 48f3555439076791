//! Data availability: a batch's bytes as EIP-4844 blobs, with KZG commitments, blob and point
//! proofs, versioned hashes, single and batch verification, and EIP-7594 cells with cell proofs.
//!
//! Everything goes through `c-kzg` with the mainnet trusted setup it embeds. c-kzg is
//! single-threaded; spreading blobs over threads is the executor's job (it owns the pool).

pub mod commitments;
pub mod encoding;
pub mod kzg;

pub use c_kzg::{BYTES_PER_BLOB, Blob, CELLS_PER_EXT_BLOB, Cell};
pub use commitments::CommitmentsFile;
pub use encoding::{
    BLOB_CAPACITY, MAX_BLOBS_PER_FILE, MAX_DATA_BYTES, blobs_from_bytes, blobs_to_bytes, decode,
    encode,
};
pub use kzg::{BlobCommitment, Cells, Commitment, Kzg, Proof, versioned_hash};

/// What can go wrong with blobs and their proofs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaError {
    /// A blob file's size is not a whole number of blobs.
    #[error("{len} bytes is not a whole number of 131072-byte blobs")]
    BlobSize {
        /// The size given.
        len: usize,
    },
    /// No blobs were given.
    #[error("no blobs")]
    NoBlobs,
    /// A field element is not below the BLS12-381 scalar modulus.
    #[error(
        "blob {blob}: field element {element} is not canonical (not below the BLS12-381 scalar modulus)"
    )]
    NonCanonical {
        /// The blob.
        blob: usize,
        /// The field element within it.
        element: usize,
    },
    /// The blobs were not made by this crate's encoder.
    #[error("blob {blob} is not in l2x's encoding: {reason}")]
    NotOurEncoding {
        /// The blob.
        blob: usize,
        /// What is wrong.
        reason: String,
    },
    /// A commitments file is malformed.
    #[error("commitments file: {0}")]
    CommitmentsFile(String),
    /// A blob's cell proofs are not one per cell.
    #[error("blob {blob} has {found} cell proofs, not one per cell (128)")]
    CellProofCount {
        /// The blob.
        blob: usize,
        /// Cell proofs present.
        found: usize,
    },
    /// Cells are to be checked but the commitments file has no cell proofs for a blob.
    #[error(
        "blob {blob} has no cell proofs in the commitments file (make it with `l2x da commit --cells`)"
    )]
    MissingCellProofs {
        /// The blob.
        blob: usize,
    },
    /// Commitments and proofs do not pair up with the blobs.
    #[error("{blobs} blobs (or cells) but {commitments} commitments")]
    Count {
        /// Blobs or cells given.
        blobs: usize,
        /// Commitments given.
        commitments: usize,
    },
    /// c-kzg refused an input as malformed (a point not on the curve, say).
    #[error("entry {index}: malformed for KZG: {message}")]
    Malformed {
        /// The entry.
        index: usize,
        /// c-kzg's words.
        message: String,
    },
    /// A proof does not verify.
    #[error("entry {index}: the KZG proof does not verify")]
    Rejected {
        /// The first entry that fails.
        index: usize,
    },
}

impl DaError {
    fn kzg(index: usize, error: c_kzg::Error) -> Self {
        let message = match error {
            c_kzg::Error::CError(c_kzg::CkzgError::C_KZG_BADARGS) => {
                "a commitment or proof is not a valid compressed BLS12-381 G1 point, or a \
                 value is not a canonical field element"
                    .to_string()
            }
            other => other.to_string(),
        };
        Self::Malformed { index, message }
    }
}
