//! `poseidon2`: a Poseidon2 hash of the input, chaining the permutation in compression mode.
//!
//! **Permutation.** Poseidon2 over KoalaBear, width 16, S-box x^3, 4 + 20 + 4 rounds, with
//! Plonky3's round constants (`p3-koala-bear`, the permutation its Merkle trees use).
//!
//! **Hash (compression mode).** The input bytes are followed by one `0x01` byte and zeros up to
//! a multiple of 24 bytes, then read as field elements of 3 bytes each (little-endian, below
//! 2^24) and grouped into blocks m_0 … m_{n−1} of 8 elements. With h_0 = 0 (eight zeros),
//! h_{i+1} = Poseidon2(h_i ‖ m_i)[0..8] — Plonky3's `TruncatedPermutation` compression, chained —
//! and the digest is h_n. One permutation per block.
//!
//! **Input.** Any bytes, at most [`MAX_LEN`].
//!
//! **Public values.** 36 bytes: the digest's eight elements as u32 little-endian, then n as u32
//! little-endian. The proof shows a chain of n blocks ending in the digest; the bytes stay
//! private.
//!
//! **Steps.** n, one permutation per block.
//!
//! **STARK.** One table ([`air`]) of [`columns::LANES`] permutations a row, each with
//! `p3-poseidon2-air`'s columns (every round's state, so each is checked against the round
//! constants); within a row each lane chains the one before, and from row to row the chain is a
//! local LogUp argument (each row receives its index and first chaining value and sends the
//! next ones), so that no constraint reads the next row and the prover opens the table at one
//! point, as Plonky3's own Poseidon2 AIR. The row and lane of the last block come from the
//! claim; that row is flagged and its lane's output is the digest. Blocks after n − 1 continue
//! the chain with zero blocks and are not part of the digest.

pub mod air;
pub mod bus;
pub mod columns;
pub mod pad;
pub mod trace;

use l2x_air::{AirProgram, ProgramAir, Table, Val, Witness, log_height_for};
use l2x_core::{ClaimError, Execution, InputError, Program, ProgramId, PublicField, PublicOutput};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_koala_bear::{
    GenericPoseidon2LinearLayersKoalaBear, KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS,
    KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16, KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL, KOALABEAR_POSEIDON2_RC_16_INTERNAL,
    KOALABEAR_S_BOX_DEGREE, Poseidon2KoalaBear, default_koalabear_poseidon2_16,
};
use p3_poseidon2_air::{Poseidon2Air, RoundConstants};
use p3_symmetric::Permutation as _;

pub use air::Poseidon2ChainAir;
pub use pad::Poseidon2PadAir;

use crate::range::RangeAir;
use columns::{DIGEST, LANES, STATE};

/// The S-box degree of KoalaBear's Poseidon2.
pub(crate) const SBOX_DEGREE: u64 = KOALABEAR_S_BOX_DEGREE;
/// Extra S-box columns per round (none: x^3 is a degree-3 constraint).
pub(crate) const SBOX_REGISTERS: usize = 0;

/// `p3-poseidon2-air`'s table for Plonky3's width-16 KoalaBear Poseidon2.
pub type Permutation = Poseidon2Air<
    Val,
    GenericPoseidon2LinearLayersKoalaBear,
    STATE,
    SBOX_DEGREE,
    SBOX_REGISTERS,
    KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS,
    KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16,
>;

type Constants = RoundConstants<
    Val,
    STATE,
    KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS,
    KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16,
>;

/// Plonky3's round constants for width 16.
pub(crate) fn constants() -> Constants {
    RoundConstants::new(
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL,
        KOALABEAR_POSEIDON2_RC_16_INTERNAL,
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    )
}

/// The permutation's AIR with Plonky3's constants.
pub fn permutation_air() -> Permutation {
    Permutation::new(constants())
}

/// The program's name.
pub const NAME: &str = "poseidon2";
/// The program's id.
pub const ID: ProgramId = ProgramId::from_static(NAME);
/// The longest input accepted, in bytes (174,763 blocks: a 2^16-row table).
pub const MAX_LEN: usize = 4 << 20;
/// Bytes per field element of a block.
pub const BYTES_PER_ELEMENT: usize = 3;
/// Bytes per block.
pub const BLOCK_BYTES: usize = DIGEST * BYTES_PER_ELEMENT;
/// Length of the public values in bytes.
pub const PUBLIC_VALUES_LEN: usize = 4 * DIGEST + 4;
/// log2 of the fewest rows of the table.
const MIN_LOG_ROWS: usize = 4;

/// log2 of the rows of the table for `n` blocks.
fn log_rows(n: usize, min_log_rows: usize) -> usize {
    log_height_for(n.div_ceil(LANES) as u64, min_log_rows.max(MIN_LOG_ROWS))
}

/// The Poseidon2 hash program. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct Poseidon2;

/// A digest: eight field elements.
pub type Digest = [Val; DIGEST];

/// Blocks of a message of `len` bytes.
pub const fn block_count(len: usize) -> usize {
    (len + 1).div_ceil(BLOCK_BYTES)
}

/// The padded message as blocks of field elements.
pub fn blocks(message: &[u8]) -> Vec<Digest> {
    let mut padded = message.to_vec();
    padded.push(1);
    padded.resize(block_count(message.len()) * BLOCK_BYTES, 0);
    padded
        .chunks_exact(BLOCK_BYTES)
        .map(|block| {
            std::array::from_fn(|j| {
                let b = &block[j * BYTES_PER_ELEMENT..(j + 1) * BYTES_PER_ELEMENT];
                Val::from_u32(u32::from_le_bytes([b[0], b[1], b[2], 0]))
            })
        })
        .collect()
}

/// The compression: Poseidon2(left ‖ right)[0..8].
pub fn compress(perm: &Poseidon2KoalaBear<16>, left: &Digest, right: &Digest) -> Digest {
    let mut state = [Val::ZERO; STATE];
    state[..DIGEST].copy_from_slice(left);
    state[DIGEST..].copy_from_slice(right);
    perm.permute_mut(&mut state);
    std::array::from_fn(|j| state[j])
}

/// The digest of `message`. See the [module docs](self).
pub fn digest(message: &[u8]) -> Digest {
    let perm = default_koalabear_poseidon2_16();
    blocks(message)
        .iter()
        .fold([Val::ZERO; DIGEST], |h, m| compress(&perm, &h, m))
}

/// A digest as bytes: each element as u32 little-endian (32 bytes).
pub fn digest_to_bytes(digest: &Digest) -> impl Iterator<Item = u8> + '_ {
    digest
        .iter()
        .flat_map(|v| v.as_canonical_u32().to_le_bytes())
}

/// A digest from 32 bytes of u32 little-endian elements, or `None` if an element is not below
/// the field's modulus.
pub fn digest_from_bytes(bytes: &[u8]) -> Option<Digest> {
    let mut digest = [Val::ZERO; DIGEST];
    for (d, w) in digest.iter_mut().zip(bytes.chunks_exact(4)) {
        let w = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        if w >= Val::ORDER_U32 {
            return None;
        }
        *d = Val::from_u32(w);
    }
    Some(digest)
}

/// The public values of a claim: the digest, then the number of blocks.
pub fn public_values(digest: &Digest, blocks: u32) -> Vec<u8> {
    digest_to_bytes(digest)
        .chain(blocks.to_le_bytes())
        .collect()
}

fn malformed(reason: impl Into<String>) -> ClaimError {
    ClaimError {
        program: ID,
        reason: reason.into(),
    }
}

/// Decodes public values into the digest and the number of blocks, refusing any other layout.
pub fn decode_public_values(bytes: &[u8]) -> Result<(Digest, u32), ClaimError> {
    if bytes.len() != PUBLIC_VALUES_LEN {
        return Err(malformed(format!(
            "{} bytes, expected {PUBLIC_VALUES_LEN}",
            bytes.len()
        )));
    }
    let (digest, n) = bytes.split_at(4 * DIGEST);
    let digest = digest_from_bytes(digest)
        .ok_or_else(|| malformed("a digest element is not below the field's modulus"))?;
    let n = u32::from_le_bytes([n[0], n[1], n[2], n[3]]);
    if n == 0 || n as usize > block_count(MAX_LEN) {
        return Err(malformed(format!(
            "{n} blocks, expected 1 to {}",
            block_count(MAX_LEN)
        )));
    }
    Ok((digest, n))
}

fn check_len(input: &[u8]) -> Result<(), InputError> {
    if input.len() > MAX_LEN {
        return Err(InputError::TooLarge {
            program: ID,
            what: "the message length in bytes",
            value: input.len() as u64,
            limit: MAX_LEN as u64,
        });
    }
    Ok(())
}

/// The digest as hex: each element as u32 little-endian.
pub fn digest_hex(digest: &Digest) -> String {
    hex::encode(digest_to_bytes(digest).collect::<Vec<u8>>())
}

impl Program for Poseidon2 {
    fn id(&self) -> ProgramId {
        ID
    }

    fn summary(&self) -> &'static str {
        "Poseidon2 (KoalaBear, width 16) hash of the message, chained compression"
    }

    fn input_doc(&self) -> &'static str {
        "message bytes, at most 4 MiB"
    }

    fn public_values_doc(&self) -> &'static str {
        "digest (8 elements, u32 LE each) || blocks (u32 LE)"
    }

    fn estimate_steps(&self, input: &[u8]) -> Result<u64, InputError> {
        check_len(input)?;
        Ok(block_count(input.len()) as u64)
    }

    fn execute(&self, input: &[u8]) -> Result<Execution, InputError> {
        check_len(input)?;
        let n = block_count(input.len());
        Ok(Execution {
            public_values: public_values(&digest(input), n as u32),
            steps: n as u64,
        })
    }

    fn steps_for(&self, public_values: &[u8]) -> Result<u64, ClaimError> {
        Ok(decode_public_values(public_values)?.1.into())
    }

    fn describe(&self, public_values: &[u8]) -> Result<PublicOutput, ClaimError> {
        let (digest, n) = decode_public_values(public_values)?;
        let hex = digest_hex(&digest);
        Ok(PublicOutput {
            headline: hex.clone(),
            fields: vec![
                PublicField {
                    name: "digest",
                    value: hex,
                },
                PublicField {
                    name: "blocks",
                    value: n.to_string(),
                },
            ],
        })
    }
}

/// The table's public inputs for a claim of `n` blocks: the digest, the row of block n − 1,
/// and a one-hot selector of its lane.
pub fn table_public_values(digest: &Digest, n: u32) -> Vec<Val> {
    let last = n.saturating_sub(1) as usize;
    let lane = last % LANES;
    digest
        .iter()
        .copied()
        .chain(std::iter::once(Val::from_usize(last / LANES)))
        .chain((0..LANES).map(|l| Val::from_bool(l == lane)))
        .collect()
}

impl AirProgram for Poseidon2 {
    fn tables(&self, public_values: &[u8], min_log_rows: usize) -> Result<Vec<Table>, ClaimError> {
        let (digest, n) = decode_public_values(public_values)?;
        Ok(vec![
            Table {
                air: ProgramAir::new(Poseidon2ChainAir::new()),
                log_height: log_rows(n as usize, min_log_rows),
                public_values: table_public_values(&digest, n),
            },
            Table {
                air: ProgramAir::new(RangeAir::TWELVE),
                log_height: RangeAir::TWELVE.bits(),
                public_values: vec![],
            },
            Table {
                air: ProgramAir::new(Poseidon2PadAir),
                log_height: log_rows(1, min_log_rows),
                public_values: vec![],
            },
        ])
    }

    fn placeholder_public_values(&self, input: &[u8]) -> Result<Vec<u8>, InputError> {
        check_len(input)?;
        Ok(public_values(
            &[Val::ZERO; DIGEST],
            block_count(input.len()) as u32,
        ))
    }

    fn stark_extremes(&self) -> [Vec<u8>; 2] {
        let zero = [Val::ZERO; DIGEST];
        [
            public_values(&zero, 1),
            public_values(&zero, block_count(MAX_LEN) as u32),
        ]
    }

    fn witness(&self, input: &[u8], min_log_rows: usize) -> Result<Witness, InputError> {
        check_len(input)?;
        let blocks = blocks(input);
        let n = blocks.len();
        let rows = 1 << log_rows(n, min_log_rows);
        let (inputs, digest) = trace::chain(&blocks, rows * LANES);
        let chain = trace::generate(inputs, n);
        let range = trace::range(&chain);
        let pad = pad::generate(&blocks[n - 1], 1 << log_rows(1, min_log_rows));
        Ok(Witness {
            execution: Execution {
                public_values: public_values(&digest, n as u32),
                steps: n as u64,
            },
            traces: vec![chain, range, pad],
        })
    }
}
