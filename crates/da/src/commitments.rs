//! The commitments file: what `l2x da commit` writes and `l2x da verify` reads.
//!
//! ```json
//! {"blobs": [{"commitment": "0x…", "proof": "0x…", "versioned_hash": "0x…",
//!             "cell_proofs": ["0x…", …]}]}
//! ```
//!
//! Commitments and proofs are 48-byte compressed G1 points and versioned hashes 32 bytes, all
//! as `0x`-prefixed lowercase hex; `cell_proofs` (128 per blob, EIP-7594) is optional. Reading
//! is strict: no unknown keys, every value of its exact length, the versioned hash the one the
//! commitment implies, at most [`MAX_BLOBS_PER_FILE`] entries. Whatever is accepted writes back
//! ([`CommitmentsFile::to_json`]) to the canonical form of the same content.

use serde::{Deserialize, Serialize};

use crate::encoding::MAX_BLOBS_PER_FILE;
use crate::kzg::{BlobCommitment, Commitment, Proof, versioned_hash};
use crate::{CELLS_PER_EXT_BLOB, DaError};

/// A blob's entry in the commitments file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Commitment, blob proof and versioned hash.
    pub blob: BlobCommitment,
    /// The 128 cell proofs, when the file has them.
    pub cell_proofs: Option<Vec<Proof>>,
}

/// A parsed commitments file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitmentsFile {
    /// One entry per blob, in blob order.
    pub entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    blobs: Vec<RawEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    commitment: String,
    proof: String,
    versioned_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cell_proofs: Option<Vec<String>>,
}

fn malformed(reason: String) -> DaError {
    DaError::CommitmentsFile(reason)
}

/// `0x`-hex of exactly `N` bytes, naming `what` otherwise.
fn hex_bytes<const N: usize>(text: &str, what: &str) -> Result<[u8; N], DaError> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| malformed(format!("{what} does not start with 0x")))?;
    if digits.len() != 2 * N {
        return Err(malformed(format!(
            "{what} has {} hex digits, not {}",
            digits.len(),
            2 * N
        )));
    }
    let mut out = [0u8; N];
    for (i, pair) in digits.as_bytes().chunks(2).enumerate() {
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(hi), Some(lo)) => out[i] = hi << 4 | lo,
            _ => {
                return Err(malformed(format!(
                    "{what} is not lowercase hex at byte {i}"
                )));
            }
        }
    }
    Ok(out)
}

fn hex0x(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 + 2 * bytes.len());
    out.push_str("0x");
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

impl CommitmentsFile {
    /// Parses and checks a commitments file.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DaError> {
        let raw: RawFile = serde_json::from_slice(bytes)
            .map_err(|e| malformed(format!("not a commitments file: {e}")))?;
        if raw.blobs.len() > MAX_BLOBS_PER_FILE {
            return Err(malformed(format!(
                "{} entries, more than the {MAX_BLOBS_PER_FILE} blobs a blob file holds",
                raw.blobs.len()
            )));
        }
        let entries = raw
            .blobs
            .iter()
            .enumerate()
            .map(|(i, e)| entry(i, e))
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }

    /// The canonical JSON (pretty-printed) of the file.
    pub fn to_json(&self) -> String {
        let raw = RawFile {
            blobs: self
                .entries
                .iter()
                .map(|e| RawEntry {
                    commitment: hex0x(&e.blob.commitment.0),
                    proof: hex0x(&e.blob.proof.0),
                    versioned_hash: hex0x(&e.blob.versioned_hash),
                    cell_proofs: e
                        .cell_proofs
                        .as_ref()
                        .map(|p| p.iter().map(|p| hex0x(&p.0)).collect()),
                })
                .collect(),
        };
        match serde_json::to_string_pretty(&raw) {
            Ok(json) => json,
            Err(e) => unreachable!("strings always serialize: {e}"),
        }
    }

    /// The blob commitments, in order.
    pub fn blob_commitments(&self) -> Vec<BlobCommitment> {
        self.entries.iter().map(|e| e.blob).collect()
    }
}

fn entry(i: usize, e: &RawEntry) -> Result<Entry, DaError> {
    let commitment = Commitment(hex_bytes(&e.commitment, &format!("blob {i} commitment"))?);
    let proof = Proof(hex_bytes(&e.proof, &format!("blob {i} proof"))?);
    let stated: [u8; 32] = hex_bytes(&e.versioned_hash, &format!("blob {i} versioned hash"))?;
    let implied = versioned_hash(&commitment);
    if stated != implied {
        return Err(malformed(format!(
            "blob {i}: the versioned hash is not the one its commitment implies"
        )));
    }
    let cell_proofs = match &e.cell_proofs {
        None => None,
        Some(list) if list.len() != CELLS_PER_EXT_BLOB => {
            return Err(DaError::CellProofCount {
                blob: i,
                found: list.len(),
            });
        }
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(c, p)| hex_bytes(p, &format!("blob {i} cell proof {c}")).map(Proof))
                .collect::<Result<_, _>>()?,
        ),
    };
    Ok(Entry {
        blob: BlobCommitment {
            commitment,
            proof,
            versioned_hash: implied,
        },
        cell_proofs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(cells: bool) -> CommitmentsFile {
        let commitment = Commitment([0xc0; 48]);
        CommitmentsFile {
            entries: vec![Entry {
                blob: BlobCommitment {
                    commitment,
                    proof: Proof([0xab; 48]),
                    versioned_hash: versioned_hash(&commitment),
                },
                cell_proofs: cells.then(|| vec![Proof([0x11; 48]); CELLS_PER_EXT_BLOB]),
            }],
        }
    }

    #[test]
    fn round_trips_with_and_without_cells() {
        for cells in [false, true] {
            let file = sample(cells);
            let json = file.to_json();
            assert_eq!(CommitmentsFile::from_json(json.as_bytes()).unwrap(), file);
        }
    }

    #[test]
    fn names_what_is_wrong() {
        let good = sample(true).to_json();
        let cases = [
            (good.replacen("\"proof\"", "\"prooof\"", 1), "unknown field"),
            (good.replacen("0xc0c0", "0xC0C0", 1), "lowercase hex"),
            (good.replacen("0xc0c0", "0xc0", 1), "hex digits"),
            (good.replacen("0x01", "0x02", 1), "versioned hash"),
            (good.replacen("\"0x1111", "\"1111", 1), "0x"),
        ];
        for (json, needle) in cases {
            let err = CommitmentsFile::from_json(json.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{needle}: {err}");
        }
        let mut short = sample(true);
        if let Some(p) = short.entries[0].cell_proofs.as_mut() {
            p.pop();
        }
        let err = CommitmentsFile::from_json(short.to_json().as_bytes()).unwrap_err();
        assert_eq!(
            err,
            DaError::CellProofCount {
                blob: 0,
                found: 127
            }
        );
        assert!(err.to_string().contains("127 cell proofs"), "{err}");
    }

    #[test]
    fn too_many_entries_are_refused() {
        let mut file = sample(false);
        let one = file.entries[0].clone();
        file.entries = vec![one; MAX_BLOBS_PER_FILE + 1];
        assert!(CommitmentsFile::from_json(file.to_json().as_bytes()).is_err());
    }
}
