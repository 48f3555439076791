//! `squaring`: a program defined outside l2-executor's crates, y = x^(2^n) in KoalaBear.
//!
//! Repeated squaring is the heart of a verifiable delay function: n squarings that must run one
//! after another, checked by a proof far faster than they are redone. Here it is the smallest
//! program that has every piece the executor needs from a program:
//!
//! - [`Program`]: the id, the input format, native execution and the step count ([`Squaring`]);
//! - [`AirProgram`]: the tables a claim implies and the witness that fills them, so that the
//!   STARK backends can prove it;
//! - the constraints ([`SquaringAir`]), written once, generically over Plonky3's `AirBuilder`.
//!
//! Register it and prove it like a built-in program:
//!
//! ```
//! use custom_program::Squaring;
//! use l2x_executor::{BackendId, Executor, Registry};
//!
//! let executor = Executor::builder()
//!     .registry(Registry::standard().with(Squaring)?)
//!     .backend(BackendId::Stark)
//!     .build()?;
//! let receipt = executor.prove("squaring", b"100 3")?;
//! let claim = executor.verify_program(&receipt, "squaring")?;
//! assert_eq!(executor.describe(claim)?.headline, custom_program::square_n(3, 100).to_string());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Input.** `n x` as decimal ASCII separated by whitespace: n ≤ [`MAX_N`] squarings of x, a
//! field element (x < p = 2^31 − 2^24 + 1).
//!
//! **Public values.** 12 bytes: n, x and y = x^(2^n) mod p, each a u32 little-endian.
//!
//! **Steps.** n + 1: one trace row per value x^(2^i), i = 0..=n.

use l2x_executor::air::p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use l2x_executor::air::p3_field::{PrimeCharacteristicRing, PrimeField32};
use l2x_executor::air::p3_matrix::dense::RowMajorMatrix;
use l2x_executor::air::{AirProgram, ProgramAir, Table, Val, Witness, log_height_for};
use l2x_executor::{
    ClaimError, Execution, InputError, Program, ProgramId, PublicField, PublicOutput,
};

/// The program's id, as receipts name it.
pub const ID: ProgramId = ProgramId::from_static("squaring");

/// The most squarings one proof covers (n + 1 ≤ 2^20 rows).
pub const MAX_N: u32 = (1 << 20) - 1;

/// The fewest rows of the table (FRI needs a few rows to fold).
const MIN_LOG_ROWS: usize = 4;

/// Length of the public values in bytes.
pub const PUBLIC_VALUES_LEN: usize = 12;

/// The columns of the table: row i holds x^(2^i) and the bookkeeping that pins the output row.
pub mod columns {
    /// The row index i.
    pub const INDEX: usize = 0;
    /// x^(2^i).
    pub const X: usize = 1;
    /// 1 on the row i = n, whose X is the output; 0 elsewhere.
    pub const IS_OUTPUT: usize = 2;
    /// How many output flags are set on this row and the rows before it.
    pub const SEEN: usize = 3;
    /// Columns of the table.
    pub const WIDTH: usize = 4;
}

/// The program. See the [crate docs](crate).
#[derive(Debug, Clone, Copy, Default)]
pub struct Squaring;

/// x^(2^n) in KoalaBear: n squarings of `x` (taken mod p).
pub fn square_n(x: u32, n: u32) -> u32 {
    let mut v = Val::from_u32(x);
    for _ in 0..n {
        v = v.square();
    }
    v.as_canonical_u32()
}

/// Reads `n x` from the input.
pub fn parse_input(input: &[u8]) -> Result<(u32, u32), InputError> {
    let malformed = |reason: &str| InputError::Malformed {
        program: ID,
        reason: reason.to_owned(),
    };
    let text = std::str::from_utf8(input).map_err(|_| malformed("it is not UTF-8 text"))?;
    let mut words = text.split_ascii_whitespace();
    let (Some(n), Some(x), None) = (words.next(), words.next(), words.next()) else {
        return Err(malformed("expected two decimal numbers, `n x`"));
    };
    let n: u64 = n
        .parse()
        .map_err(|_| malformed("n is not a decimal number"))?;
    if n > u64::from(MAX_N) {
        return Err(InputError::TooLarge {
            program: ID,
            what: "n",
            value: n,
            limit: MAX_N.into(),
        });
    }
    let x: u32 = x
        .parse()
        .ok()
        .filter(|&x| x < Val::ORDER_U32)
        .ok_or_else(|| malformed("x is not a decimal number below p = 2130706433"))?;
    Ok((n as u32, x))
}

/// The public values of a claim: n, x, y as u32 little-endian.
pub fn public_values(n: u32, x: u32, y: u32) -> Vec<u8> {
    [n, x, y].iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Decodes public values into (n, x, y), refusing any other layout.
pub fn decode_public_values(bytes: &[u8]) -> Result<(u32, u32, u32), ClaimError> {
    let invalid = |reason: String| ClaimError {
        program: ID,
        reason,
    };
    let words: [u32; 3] = match bytes.len() {
        PUBLIC_VALUES_LEN => std::array::from_fn(|i| {
            u32::from_le_bytes([
                bytes[4 * i],
                bytes[4 * i + 1],
                bytes[4 * i + 2],
                bytes[4 * i + 3],
            ])
        }),
        len => {
            return Err(invalid(format!(
                "{len} bytes, expected {PUBLIC_VALUES_LEN}"
            )));
        }
    };
    let [n, x, y] = words;
    if n > MAX_N {
        return Err(invalid(format!("n = {n} is above {MAX_N}")));
    }
    if x >= Val::ORDER_U32 || y >= Val::ORDER_U32 {
        return Err(invalid("x or y is not a field element".into()));
    }
    Ok((n, x, y))
}

impl Program for Squaring {
    fn id(&self) -> ProgramId {
        ID
    }

    fn summary(&self) -> &'static str {
        "y = x^(2^n) in KoalaBear by n sequential squarings (a toy verifiable delay function)"
    }

    fn input_doc(&self) -> &'static str {
        "`n x` in decimal: n <= 1048575 squarings of a field element x < 2130706433"
    }

    fn public_values_doc(&self) -> &'static str {
        "12 bytes: n, x and y = x^(2^n) mod p, each u32 little-endian"
    }

    fn estimate_steps(&self, input: &[u8]) -> Result<u64, InputError> {
        let (n, _) = parse_input(input)?;
        Ok(u64::from(n) + 1)
    }

    fn execute(&self, input: &[u8]) -> Result<Execution, InputError> {
        let (n, x) = parse_input(input)?;
        Ok(Execution {
            public_values: public_values(n, x, square_n(x, n)),
            steps: u64::from(n) + 1,
        })
    }

    fn steps_for(&self, public_values: &[u8]) -> Result<u64, ClaimError> {
        let (n, _, _) = decode_public_values(public_values)?;
        Ok(u64::from(n) + 1)
    }

    fn describe(&self, public_values: &[u8]) -> Result<PublicOutput, ClaimError> {
        let (n, x, y) = decode_public_values(public_values)?;
        let field = |name, value: u32| PublicField {
            name,
            value: value.to_string(),
        };
        Ok(PublicOutput {
            headline: y.to_string(),
            fields: vec![field("n", n), field("x", x), field("y", y)],
        })
    }
}

impl AirProgram for Squaring {
    fn tables(&self, public_values: &[u8], min_log_rows: usize) -> Result<Vec<Table>, ClaimError> {
        let (n, x, y) = decode_public_values(public_values)?;
        Ok(vec![Table {
            air: ProgramAir::new(SquaringAir),
            log_height: log_height_for(u64::from(n) + 1, min_log_rows.max(MIN_LOG_ROWS)),
            public_values: [n, x, y].map(Val::from_u32).to_vec(),
        }])
    }

    fn placeholder_public_values(&self, input: &[u8]) -> Result<Vec<u8>, InputError> {
        let (n, x) = parse_input(input)?;
        Ok(public_values(n, x, 0))
    }

    fn stark_extremes(&self) -> [Vec<u8>; 2] {
        [public_values(0, 0, 0), public_values(MAX_N, 0, 0)]
    }

    fn witness(&self, input: &[u8], min_log_rows: usize) -> Result<Witness, InputError> {
        let (n, x) = parse_input(input)?;
        let rows = 1 << log_height_for(u64::from(n) + 1, min_log_rows.max(MIN_LOG_ROWS));
        let mut values = Vec::with_capacity(rows * columns::WIDTH);
        let (mut v, mut y) = (Val::from_u32(x), 0);
        for i in 0..rows as u32 {
            if i == n {
                y = v.as_canonical_u32();
            }
            values.extend([
                Val::from_u32(i),
                v,
                Val::from_bool(i == n),
                Val::from_bool(i >= n),
            ]);
            v = v.square();
        }
        Ok(Witness {
            execution: Execution {
                public_values: public_values(n, x, y),
                steps: u64::from(n) + 1,
            },
            traces: vec![RowMajorMatrix::new(values, columns::WIDTH)],
        })
    }
}

/// The constraints of the squaring table. Public inputs: n, x, y.
///
/// - start: row 0 has index 0 and X = x;
/// - squaring: each next X is this X squared, and the index counts up by one;
/// - output: a flagged row (any non-zero flag) has index n and X = y, and the running count of
///   flags is 1 on the last row. Indices count up from 0 and stay below 2^20, far from wrapping
///   around p, so only row n can carry a flag, and the count makes that flag exactly 1.
#[derive(Debug, Clone, Copy)]
pub struct SquaringAir;

impl<F> BaseAir<F> for SquaringAir {
    fn width(&self) -> usize {
        columns::WIDTH
    }

    fn num_public_values(&self) -> usize {
        3
    }
}

impl<AB: AirBuilder> Air<AB> for SquaringAir {
    fn eval(&self, builder: &mut AB) {
        use columns::{INDEX, IS_OUTPUT, SEEN, X};
        let main = builder.main();
        let (local, next) = (main.current_slice(), main.next_slice());
        let (index, x, is_output, seen) = (local[INDEX], local[X], local[IS_OUTPUT], local[SEEN]);
        let (next_index, next_x) = (next[INDEX], next[X]);
        let (next_is_output, next_seen) = (next[IS_OUTPUT], next[SEEN]);
        let public = builder.public_values();
        let (n, x0, y): (AB::Expr, AB::Expr, AB::Expr) =
            (public[0].into(), public[1].into(), public[2].into());

        let mut first = builder.when_first_row();
        first.assert_zero(index);
        first.assert_eq(x, x0);
        first.assert_eq(seen, is_output);

        let mut transition = builder.when_transition();
        transition.assert_eq(next_index, index + AB::Expr::ONE);
        transition.assert_eq(next_x, x * x);
        transition.assert_eq(next_seen, seen + next_is_output);

        builder.when(is_output).assert_eq(index, n);
        builder.when(is_output).assert_eq(x, y);
        builder.when_last_row().assert_one(seen);
    }
}
