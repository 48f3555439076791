//! The padding table of `poseidon2`: every entry it provides is a block that ends a padded
//! message — 24 bytes, some message bytes, then one `0x01` byte, then zeros — as the 8 field
//! elements of three little-endian bytes each. The chain table looks its last block up here,
//! so the digest a proof states is the digest of a byte string: block n − 1 holds the padding
//! byte (a message of 24(n − 1) to 24n − 1 bytes puts it there), and no all-zero or
//! out-of-range last block can be claimed.
//!
//! Columns: each byte as 8 bits, a one-hot position of the `0x01` byte, and the multiplicity.
//! Constraints on every row: the bits are bits, exactly one position is set, the byte there is
//! 1 and every byte after it is 0. The multiplicity is free: every row's entry is a padded
//! block (see `l2x_air::count`). The table has a few rows; the first holds the real block.

use l2x_air::Val;
use l2x_air::count::provide;
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_lookup::{InteractionBuilder, LookupBus};
use p3_matrix::dense::RowMajorMatrix;

use super::columns::DIGEST;
use super::{BLOCK_BYTES, BYTES_PER_ELEMENT, Digest};

/// The bus of last blocks: 8 elements, provided here, looked up by the chain table's output row.
pub const PAD_BUS: LookupBus<'static> = LookupBus::new("poseidon2-last-block");

/// Bit `b` of byte `j` of the block.
pub const fn bit(j: usize, b: usize) -> usize {
    8 * j + b
}
/// 1 at the position of the `0x01` byte, 0 elsewhere (one column per byte).
pub const POSITION: usize = 8 * BLOCK_BYTES;
/// How many times the row's block is looked up.
pub const MULT: usize = POSITION + BLOCK_BYTES;
/// Columns of the table.
pub const WIDTH: usize = MULT + 1;

/// The padding table. See the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct Poseidon2PadAir;

impl BaseAir<Val> for Poseidon2PadAir {
    fn width(&self) -> usize {
        WIDTH
    }

    fn main_next_row_columns(&self) -> Vec<usize> {
        vec![]
    }
}

impl<AB: InteractionBuilder<F = Val>> Air<AB> for Poseidon2PadAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let local = main.current_slice();
        let col = |c: usize| -> AB::Expr { local[c].into() };
        let byte = |j: usize| -> AB::Expr {
            (0..8)
                .rev()
                .fold(AB::Expr::ZERO, |acc, b| acc.double() + col(bit(j, b)))
        };
        for c in 0..POSITION + BLOCK_BYTES {
            builder.assert_bool(col(c));
        }
        let positions = (0..BLOCK_BYTES).map(|j| col(POSITION + j));
        builder.assert_one(positions.sum::<AB::Expr>());
        let mut before = AB::Expr::ZERO;
        for j in 0..BLOCK_BYTES {
            // `before` is 1 iff the padding byte sits before byte j: then byte j is 0.
            builder.assert_zero(before.clone() * byte(j));
            builder
                .when(col(POSITION + j))
                .assert_eq(byte(j), AB::Expr::ONE);
            before += col(POSITION + j);
        }
        let element = |k: usize| -> AB::Expr {
            (0..BYTES_PER_ELEMENT).rev().fold(AB::Expr::ZERO, |acc, i| {
                acc * AB::Expr::from_u32(256) + byte(BYTES_PER_ELEMENT * k + i)
            })
        };
        provide(builder, &PAD_BUS, (0..DIGEST).map(element), col(MULT));
    }
}

/// The bytes of a block of elements (each taken below 2^24: a forged element wraps).
pub fn block_bytes(block: &Digest) -> [u8; BLOCK_BYTES] {
    let mut bytes = [0; BLOCK_BYTES];
    for (k, e) in block.iter().enumerate() {
        let le = e.as_canonical_u32().to_le_bytes();
        bytes[BYTES_PER_ELEMENT * k..][..BYTES_PER_ELEMENT].copy_from_slice(&le[..3]);
    }
    bytes
}

/// The table for the last block `last` (looked up once, on the first row), padded to `rows`
/// with the block of the empty message, looked up never. A `last` that is not a padded block
/// gives a row that breaks the constraints (tests pass such blocks on purpose): for a padded
/// block the position is its padding byte; for another, what a forger would try.
pub fn generate(last: &Digest, rows: usize) -> RowMajorMatrix<Val> {
    let mut empty = [0u8; BLOCK_BYTES];
    empty[0] = 1;
    let mut values = Vec::with_capacity(rows * WIDTH);
    for r in 0..rows {
        let bytes = if r == 0 { block_bytes(last) } else { empty };
        for byte in bytes {
            values.extend((0..8).map(|b| Val::from_bool(byte >> b & 1 == 1)));
        }
        // A padded block's last non-zero byte is its padding byte. For any other block, the
        // position a forger would pick: the last byte 1, else the last non-zero byte, else none.
        let position =
            (bytes.iter().rposition(|&b| b == 1)).or_else(|| bytes.iter().rposition(|&b| b != 0));
        values.extend((0..BLOCK_BYTES).map(|j| Val::from_bool(Some(j) == position)));
        values.push(Val::from_bool(r == 0));
    }
    RowMajorMatrix::new(values, WIDTH)
}
