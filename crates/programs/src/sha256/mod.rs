//! `sha256`: the FIPS 180-4 SHA-256 digest of a message.
//!
//! **Semantics.** SHA-256 exactly as FIPS 180-4 defines it: padding to whole 64-byte blocks, then
//! per block a message schedule and 64 compression rounds, chained from the standard initial
//! hash value.
//!
//! **Input.** The message: any bytes, at most [`MAX_MESSAGE_BYTES`] (4 MiB).
//!
//! **Public values.** 40 bytes: the 32-byte digest, then the message length in bytes as u64
//! little-endian. The message itself is not public.
//!
//! **Steps.** 64 per padded block: `64 × ⌈(len + 9) / 64⌉`, the compression rounds the STARK
//! proves.
//!
//! **STARK.** One table ([`air`]), 65 rows per block (64 rounds and a feed-forward row) plus a
//! digest row, with bit columns for the working variables and the schedule words. Public
//! inputs: the digest, the length, the block count and the bit length; the constraints pin the
//! initial hash value, the schedule, every round, the chaining between blocks, the padding
//! (data, then 0x80, zeros and the bit length, with exactly `len` data bytes) and the digest.
//! The STARK proves messages of up to [`STARK_MAX_MESSAGE_BYTES`].

pub mod air;
pub mod columns;
pub mod native;
pub mod trace;

use l2x_core::{
    ClaimError, Execution, InputError, Program, ProgramId, PublicField, PublicOutput, PublicValues,
};
use p3_field::PrimeCharacteristicRing;

pub use air::Sha256Air;
use l2x_air::{AirProgram, ProgramAir, Table, Val, Witness, log_height_for};
pub use native::{block_count, digest, digest_by_rounds};

/// log2 of the largest SHA-256 table the STARK backend proves.
pub const STARK_MAX_LOG_ROWS: usize = 18;

/// The longest message the STARK backend proves: the most blocks that fit 2^18 rows.
pub const STARK_MAX_MESSAGE_BYTES: u64 =
    (((1u64 << STARK_MAX_LOG_ROWS) - 1) / columns::ROWS_PER_BLOCK as u64) * 64 - 9;

/// The largest message accepted, in bytes.
pub const MAX_MESSAGE_BYTES: u64 = 4 << 20;

/// The program's id.
pub const ID: ProgramId = ProgramId::from_static(NAME);

/// The program's name, as [`ID`] holds it.
pub const NAME: &str = "sha256";

/// Length of the public values in bytes.
pub const PUBLIC_VALUES_LEN: usize = 40;

/// The SHA-256 program. See the [module docs](self) for its exact semantics.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sha256;

/// Steps of hashing a `len`-byte message: 64 rounds per padded block.
pub const fn steps(len: u64) -> u64 {
    block_count(len) * native::ROUNDS as u64
}

/// Encodes the public values of a message of `len` bytes with this digest.
pub fn public_values(digest: &[u8; 32], len: u64) -> [u8; PUBLIC_VALUES_LEN] {
    let mut out = [0u8; PUBLIC_VALUES_LEN];
    out[..32].copy_from_slice(digest);
    out[32..].copy_from_slice(&len.to_le_bytes());
    out
}

/// Decodes public values into `(digest, message length)`.
pub fn decode_public_values(bytes: &[u8]) -> Result<([u8; 32], u64), ClaimError> {
    let invalid = |reason: String| ClaimError {
        program: ID,
        reason,
    };
    let Ok(pv) = <&[u8; PUBLIC_VALUES_LEN]>::try_from(bytes) else {
        return Err(invalid(format!(
            "expected {PUBLIC_VALUES_LEN} bytes, got {}",
            bytes.len()
        )));
    };
    let digest: [u8; 32] = std::array::from_fn(|i| pv[i]);
    let len = u64::from_le_bytes(std::array::from_fn(|i| pv[32 + i]));
    if len > MAX_MESSAGE_BYTES {
        return Err(invalid(format!(
            "message length {len} is above the limit {MAX_MESSAGE_BYTES}"
        )));
    }
    Ok((digest, len))
}

/// The typed public values of a SHA-256 receipt:
/// `receipt.public_values::<sha256::Output>()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Output {
    /// The FIPS 180-4 digest of the message.
    pub digest: [u8; 32],
    /// The message length in bytes.
    pub len: u64,
}

impl PublicValues for Output {
    const PROGRAM: &'static str = NAME;

    fn decode(bytes: &[u8]) -> Result<Self, ClaimError> {
        let (digest, len) = decode_public_values(bytes)?;
        Ok(Self { digest, len })
    }
}

fn check_len(input: &[u8]) -> Result<u64, InputError> {
    let len = input.len() as u64;
    if len > MAX_MESSAGE_BYTES {
        return Err(InputError::TooLarge {
            program: ID,
            what: "the message length in bytes",
            value: len,
            limit: MAX_MESSAGE_BYTES,
        });
    }
    Ok(len)
}

impl Program for Sha256 {
    fn id(&self) -> ProgramId {
        ID
    }

    fn summary(&self) -> &'static str {
        "FIPS 180-4 SHA-256 of a message, 64 steps per padded block"
    }

    fn input_doc(&self) -> &'static str {
        "the message bytes, at most 4 MiB"
    }

    fn public_values_doc(&self) -> &'static str {
        "digest (32 bytes) || message length in bytes (u64 LE)"
    }

    fn estimate_steps(&self, input: &[u8]) -> Result<u64, InputError> {
        Ok(steps(check_len(input)?))
    }

    fn execute(&self, input: &[u8]) -> Result<Execution, InputError> {
        let len = check_len(input)?;
        Ok(Execution {
            public_values: public_values(&digest(input), len).to_vec(),
            steps: steps(len),
        })
    }

    fn steps_for(&self, public_values: &[u8]) -> Result<u64, ClaimError> {
        let (_, len) = decode_public_values(public_values)?;
        Ok(steps(len))
    }

    fn describe(&self, public_values: &[u8]) -> Result<PublicOutput, ClaimError> {
        let (digest, len) = decode_public_values(public_values)?;
        let digest = hex::encode(digest);
        Ok(PublicOutput {
            headline: digest.clone(),
            fields: vec![
                PublicField {
                    name: "digest",
                    value: digest,
                },
                PublicField {
                    name: "length",
                    value: len.to_string(),
                },
            ],
        })
    }
}

fn stark_log_rows(len: u64, min_log_rows: usize) -> Option<usize> {
    let rows = trace::rows_needed(block_count(len) as usize) as u64;
    let log = log_height_for(rows, min_log_rows);
    (log <= STARK_MAX_LOG_ROWS).then_some(log)
}

/// The public inputs of the table for a message of `len` bytes with this digest.
pub fn table_public_values(digest: &[u8; 32], len: u64) -> Vec<Val> {
    let mut public = Vec::with_capacity(columns::NUM_PUBLIC_VALUES);
    for word in digest.chunks_exact(4) {
        let word = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        public.extend([Val::from_u32(word & 0xffff), Val::from_u32(word >> 16)]);
    }
    let bit_len = len * 8;
    public.push(Val::from_u64(len));
    public.push(Val::from_u64(block_count(len)));
    public.extend([
        Val::from_u64(bit_len & 0xffff),
        Val::from_u64(bit_len >> 16),
    ]);
    public
}

impl AirProgram for Sha256 {
    fn tables(&self, public_values: &[u8], min_log_rows: usize) -> Result<Vec<Table>, ClaimError> {
        let (digest, len) = decode_public_values(public_values)?;
        let Some(log_height) = stark_log_rows(len, min_log_rows) else {
            let reason = format!(
                "a {len}-byte message is above what the STARK proves ({STARK_MAX_MESSAGE_BYTES} bytes)"
            );
            return Err(ClaimError {
                program: ID,
                reason,
            });
        };
        Ok(vec![Table {
            air: ProgramAir::new(Sha256Air),
            log_height,
            public_values: table_public_values(&digest, len),
        }])
    }

    fn placeholder_public_values(&self, input: &[u8]) -> Result<Vec<u8>, InputError> {
        Ok(public_values(&[0; 32], check_len(input)?).to_vec())
    }

    fn stark_extremes(&self) -> [Vec<u8>; 2] {
        [
            public_values(&[0; 32], 0).to_vec(),
            public_values(&[0; 32], STARK_MAX_MESSAGE_BYTES).to_vec(),
        ]
    }

    fn witness(&self, input: &[u8], min_log_rows: usize) -> Result<Witness, InputError> {
        let len = check_len(input)?;
        let Some(log_height) = stark_log_rows(len, min_log_rows) else {
            return Err(InputError::TooLarge {
                program: ID,
                what: "the message length in bytes (for the STARK backend)",
                value: len,
                limit: STARK_MAX_MESSAGE_BYTES,
            });
        };
        let execution = self.execute(input)?;
        let padded = native::pad(input);
        let runs = trace::run(&padded, native::H0, 1 << log_height);
        let shape = trace::Shape {
            message_blocks: padded.len(),
            len,
        };
        Ok(Witness {
            execution,
            traces: vec![trace::fill(&runs, shape, log_height)],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_64_per_padded_block() {
        for (len, blocks) in [
            (0, 1),
            (55, 1),
            (56, 2),
            (63, 2),
            (64, 2),
            (119, 2),
            (120, 3),
        ] {
            assert_eq!(steps(len), 64 * blocks, "len {len}");
            assert_eq!(native::pad(&vec![0; len as usize]).len() as u64, blocks);
        }
    }

    #[test]
    fn caps_the_message_size_with_a_clear_error() {
        let big = vec![0u8; MAX_MESSAGE_BYTES as usize + 1];
        let err = Sha256.execute(&big).unwrap_err().to_string();
        assert!(
            err.contains("too large") && err.contains("4194304"),
            "{err}"
        );
        assert!(
            Sha256.execute(&vec![7u8; 1 << 20]).is_ok(),
            "1 MiB must be accepted"
        );
    }

    #[test]
    fn public_values_round_trip_and_imply_steps() {
        let exec = Sha256.execute(b"abc").unwrap();
        let (d, len) = decode_public_values(&exec.public_values).unwrap();
        assert_eq!((d, len), (digest(b"abc"), 3));
        assert_eq!(Sha256.steps_for(&exec.public_values).unwrap(), exec.steps);
        assert!(Sha256.steps_for(&exec.public_values[1..]).is_err());
    }
}
