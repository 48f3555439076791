//! The receipt envelope: how a [`Receipt`] is written to bytes.
//!
//! ```text
//! offset  size  field
//! 0       4     magic "L2XR"
//! 4       2     format version, little-endian (currently 1)
//! 6       1     backend id (0 = trace, 1 = stark, 2 = stark-zk)
//! 7       ..    body, postcard: program id (str), public values (bytes), steps (varint u64),
//!               seal (bytes); strings and byte strings are varint-length-prefixed
//! ```
//!
//! Decoding checks each field in order and names the first one that is wrong. The encoding is
//! canonical: bytes that decode to a receipt are exactly the bytes that receipt encodes to, so a
//! changed byte can never yield the same receipt.

use serde::{Deserialize, Serialize};

use crate::backend::BackendId;
use crate::claim::{Claim, Receipt};
use crate::id::{InvalidProgramId, ProgramId};

/// The first four bytes of every encoded receipt.
pub const MAGIC: [u8; 4] = *b"L2XR";

/// The envelope format this build writes and the newest it reads.
pub const FORMAT_VERSION: u16 = 1;

const HEADER_LEN: usize = MAGIC.len() + 2 + 1;

/// Why bytes are not a receipt this build can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Fewer bytes than the fixed header.
    #[error("receipt is truncated: {len} bytes, shorter than the {HEADER_LEN}-byte header")]
    TooShort {
        /// Bytes present.
        len: usize,
    },
    /// The bytes do not start with [`MAGIC`].
    #[error("not an l2x receipt: it starts with {found:02x?}, not \"L2XR\"")]
    BadMagic {
        /// The first four bytes found.
        found: [u8; 4],
    },
    /// Written by a newer l2x than this one.
    #[error(
        "receipt format version {found} is newer than this build reads (up to {FORMAT_VERSION}); upgrade l2x"
    )]
    NewerVersion {
        /// The version in the envelope.
        found: u16,
    },
    /// A version that no l2x ever wrote.
    #[error("receipt format version {found} is not a valid version")]
    InvalidVersion {
        /// The version in the envelope.
        found: u16,
    },
    /// A backend byte this build does not know.
    #[error("receipt names unknown backend id {0:#04x}")]
    UnknownBackend(u8),
    /// The body does not decode.
    #[error("receipt body is malformed or truncated: {0}")]
    Body(String),
    /// Bytes follow a complete body.
    #[error("receipt has {0} unexpected bytes after its body")]
    TrailingBytes(usize),
    /// The program id in the body is not a valid id.
    #[error("receipt body names an {0}")]
    ProgramId(InvalidProgramId),
    /// The body decodes, but not from its canonical encoding.
    #[error("receipt body is not canonically encoded")]
    NonCanonical,
}

#[derive(Serialize)]
struct BodyRef<'a> {
    program: &'a str,
    public_values: &'a [u8],
    steps: u64,
    seal: &'a [u8],
}

/// The body as read, borrowing from the input (the seal is copied once, into the receipt): the
/// program id is checked after decoding, because postcard's errors do not carry serde's custom
/// messages.
#[derive(Deserialize)]
struct Body<'a> {
    program: &'a str,
    public_values: &'a [u8],
    steps: u64,
    seal: &'a [u8],
}

impl Receipt {
    /// Encodes the receipt in the current envelope format.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + 64 + self.seal.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.push(self.backend.to_byte());
        let body = BodyRef {
            program: self.claim.program.as_str(),
            public_values: &self.claim.public_values,
            steps: self.claim.steps,
            seal: &self.seal,
        };
        match postcard::to_extend(&body, out) {
            Ok(out) => out,
            // Serializing strings, byte vectors and integers into a Vec has no failure mode.
            Err(e) => unreachable!("postcard cannot fail on an in-memory receipt: {e}"),
        }
    }

    /// Decodes a receipt, checking magic, version, backend and body in that order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let Some((header, body)) = bytes.split_first_chunk::<HEADER_LEN>() else {
            return Err(DecodeError::TooShort { len: bytes.len() });
        };
        let [m0, m1, m2, m3, v0, v1, backend] = *header;
        if [m0, m1, m2, m3] != MAGIC {
            return Err(DecodeError::BadMagic {
                found: [m0, m1, m2, m3],
            });
        }
        let version = u16::from_le_bytes([v0, v1]);
        if version > FORMAT_VERSION {
            return Err(DecodeError::NewerVersion { found: version });
        }
        if version == 0 {
            return Err(DecodeError::InvalidVersion { found: version });
        }
        let backend = BackendId::from_byte(backend).ok_or(DecodeError::UnknownBackend(backend))?;
        let (decoded, rest) = postcard::take_from_bytes::<Body>(body)
            .map_err(|e| DecodeError::Body(e.to_string()))?;
        if !rest.is_empty() {
            return Err(DecodeError::TrailingBytes(rest.len()));
        }
        // The fields are the input's own bytes, so the body is canonical exactly when every
        // length and integer took its shortest varint: when re-encoding takes as many bytes.
        let canonical = BodyRef {
            program: decoded.program,
            public_values: decoded.public_values,
            steps: decoded.steps,
            seal: decoded.seal,
        };
        if postcard::experimental::serialized_size(&canonical).ok() != Some(body.len()) {
            return Err(DecodeError::NonCanonical);
        }
        let program = ProgramId::parse(decoded.program).map_err(DecodeError::ProgramId)?;
        Ok(Receipt {
            backend,
            claim: Claim {
                program,
                public_values: decoded.public_values.to_vec(),
                steps: decoded.steps,
            },
            seal: decoded.seal.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Receipt {
        Receipt {
            backend: BackendId::Trace,
            claim: Claim {
                program: ProgramId::from_static("fibonacci"),
                public_values: (0u8..16).collect(),
                steps: 51,
            },
            seal: vec![0xab; 32],
        }
    }

    #[test]
    fn round_trips() {
        let r = sample();
        let bytes = r.to_bytes();
        assert_eq!(&bytes[..4], b"L2XR");
        assert_eq!(Receipt::from_bytes(&bytes).unwrap(), r);
    }

    #[test]
    fn every_truncation_fails() {
        let bytes = sample().to_bytes();
        for len in 0..bytes.len() {
            assert!(
                Receipt::from_bytes(&bytes[..len]).is_err(),
                "truncated to {len} decoded"
            );
        }
    }

    #[test]
    fn no_single_byte_change_decodes_to_the_same_receipt() {
        let r = sample();
        let bytes = r.to_bytes();
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                if let Ok(decoded) = Receipt::from_bytes(&b) {
                    assert_ne!(
                        decoded, r,
                        "flip at byte {i} bit {bit} gave the same receipt"
                    );
                }
            }
        }
    }

    #[test]
    fn names_the_problem() {
        let bytes = sample().to_bytes();
        let with = |i: usize, v: u8| {
            let mut b = bytes.clone();
            b[i] = v;
            Receipt::from_bytes(&b).unwrap_err()
        };
        assert!(matches!(with(0, b'X'), DecodeError::BadMagic { .. }));
        assert_eq!(with(4, 2), DecodeError::NewerVersion { found: 2 });
        assert_eq!(with(4, 0), DecodeError::InvalidVersion { found: 0 });
        assert_eq!(with(6, 9), DecodeError::UnknownBackend(9));
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            Receipt::from_bytes(&long).unwrap_err(),
            DecodeError::TrailingBytes(1)
        );
        assert!(matches!(
            Receipt::from_bytes(b"L2X"),
            Err(DecodeError::TooShort { len: 3 })
        ));
        let msg = with(4, 7).to_string();
        assert!(msg.contains("newer") && msg.contains('7'), "{msg}");
    }

    #[test]
    fn overlong_varints_are_rejected() {
        let mut bytes = sample().to_bytes();
        // The program id's length prefix (9) sits right after the header; re-encode it as the
        // two-byte varint 0x89 0x00, which decodes to the same value.
        assert_eq!(bytes[HEADER_LEN], 9);
        bytes[HEADER_LEN] = 0x89;
        bytes.insert(HEADER_LEN + 1, 0x00);
        assert!(Receipt::from_bytes(&bytes).is_err());
    }

    #[test]
    fn invalid_program_ids_in_a_body_are_rejected() {
        let mut r = sample().to_bytes();
        r[HEADER_LEN + 1] = b'F';
        let err = Receipt::from_bytes(&r).unwrap_err().to_string();
        assert!(err.contains("program id"), "{err}");
    }
}
