//! `fibonacci`: F(n) mod 2^64.
//!
//! **Semantics.** F(0) = 0, F(1) = 1, F(i + 2) = F(i) + F(i + 1) computed with u64 wrapping
//! addition, one addition per step. The result equals the integer F(n) for n ≤ 93; from n = 94
//! on it is the integer reduced mod 2^64.
//!
//! **Input.** `n` as decimal ASCII digits (surrounding ASCII whitespace ignored), at most
//! [`MAX_N`] = 2^36.
//!
//! **Public values.** 16 bytes: `n` as u64 little-endian, then F(n) mod 2^64 as u64
//! little-endian.
//!
//! **Steps.** `n + 1`: one trace row per pair (F(i), F(i + 1)) for i = 0..=n.
//!
//! **STARK.** Two tables ([`air`]): the Fibonacci table, one row per pair in 16-bit limbs with
//! carry bits, and a 2^16-row range table that every limb is looked up in (LogUp). Public
//! inputs are n and the four limbs of F(n); the constraints pin the start (0, 1), the row index,
//! and the single output row i = n. The STARK proves n + 1 ≤ 2^[`STARK_MAX_LOG_ROWS`].

pub mod air;
pub mod columns;
mod native;
pub mod trace;

use l2x_core::{
    ClaimError, Execution, InputError, Program, ProgramId, PublicField, PublicOutput, PublicValues,
};
use p3_field::PrimeCharacteristicRing;

use crate::range::{self, RangeAir};
pub use air::FibonacciAir;
use l2x_air::{AirProgram, ProgramAir, Table, Val, Witness, log_height_for};
pub use native::fibonacci;

/// log2 of the largest Fibonacci table the STARK backend proves (n + 1 rows at most).
pub const STARK_MAX_LOG_ROWS: usize = 22;

/// log2 of the smallest Fibonacci table (FRI needs a few rows to fold).
pub const STARK_MIN_LOG_ROWS: usize = 4;

/// The largest `n` accepted: 2^36 steps take about a minute natively.
pub const MAX_N: u64 = 1 << 36;

/// The program's id.
pub const ID: ProgramId = ProgramId::from_static(NAME);

/// The program's name, as [`ID`] holds it.
pub const NAME: &str = "fibonacci";

/// Length of the public values in bytes.
pub const PUBLIC_VALUES_LEN: usize = 16;

/// The Fibonacci program. See the [module docs](self) for its exact semantics.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fibonacci;

/// Reads `n` from the input bytes.
pub fn parse_n(input: &[u8]) -> Result<u64, InputError> {
    let malformed = |reason: String| InputError::Malformed {
        program: ID,
        reason,
    };
    let text = std::str::from_utf8(input)
        .map_err(|_| malformed("n must be decimal text, and the input is not UTF-8".into()))?;
    if !is_canonical_decimal(text) {
        let shown: String = text.chars().take(40).collect();
        return Err(malformed(format!(
            "n must be a non-negative integer in canonical decimal (digits only: no sign, \
             spaces or leading zeros), got {shown:?}"
        )));
    }
    let n: u64 = text.parse().map_err(|_| {
        let shown: String = text.chars().take(40).collect();
        malformed(format!(
            "n = {shown} does not fit in 64 bits; the limit is {MAX_N}"
        ))
    })?;
    if n > MAX_N {
        return Err(InputError::TooLarge {
            program: ID,
            what: "n",
            value: n,
            limit: MAX_N,
        });
    }
    Ok(n)
}

/// Digits only, without a leading zero unless the number is 0: one spelling per number, so
/// equal inputs are equal bytes (the receipt cache keys on them).
fn is_canonical_decimal(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

/// Encodes the public values of F(n) = `value`.
pub fn public_values(n: u64, value: u64) -> [u8; PUBLIC_VALUES_LEN] {
    let mut out = [0u8; PUBLIC_VALUES_LEN];
    out[..8].copy_from_slice(&n.to_le_bytes());
    out[8..].copy_from_slice(&value.to_le_bytes());
    out
}

/// Decodes public values into `(n, F(n) mod 2^64)`.
pub fn decode_public_values(bytes: &[u8]) -> Result<(u64, u64), ClaimError> {
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
    let n = u64::from_le_bytes(std::array::from_fn(|i| pv[i]));
    let value = u64::from_le_bytes(std::array::from_fn(|i| pv[8 + i]));
    if n > MAX_N {
        return Err(invalid(format!("n = {n} is above the limit {MAX_N}")));
    }
    Ok((n, value))
}

/// The typed public values of a Fibonacci receipt:
/// `receipt.public_values::<fibonacci::Output>()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Output {
    /// The index asked for.
    pub n: u64,
    /// F(n) mod 2^64.
    pub value: u64,
}

impl PublicValues for Output {
    const PROGRAM: &'static str = NAME;

    fn decode(bytes: &[u8]) -> Result<Self, ClaimError> {
        let (n, value) = decode_public_values(bytes)?;
        Ok(Self { n, value })
    }
}

impl Program for Fibonacci {
    fn id(&self) -> ProgramId {
        ID
    }

    fn summary(&self) -> &'static str {
        "F(n) mod 2^64 by u64 wrapping addition, one step per addition"
    }

    fn input_doc(&self) -> &'static str {
        "n in canonical decimal (digits only, no leading zeros), 0 <= n <= 2^36"
    }

    fn public_values_doc(&self) -> &'static str {
        "n (u64 LE) || F(n) mod 2^64 (u64 LE)"
    }

    fn estimate_steps(&self, input: &[u8]) -> Result<u64, InputError> {
        Ok(parse_n(input)? + 1)
    }

    fn execute(&self, input: &[u8]) -> Result<Execution, InputError> {
        let n = parse_n(input)?;
        Ok(Execution {
            public_values: public_values(n, fibonacci(n)).to_vec(),
            steps: n + 1,
        })
    }

    fn steps_for(&self, public_values: &[u8]) -> Result<u64, ClaimError> {
        let (n, _) = decode_public_values(public_values)?;
        Ok(n + 1)
    }

    fn describe(&self, public_values: &[u8]) -> Result<PublicOutput, ClaimError> {
        let (n, value) = decode_public_values(public_values)?;
        Ok(PublicOutput {
            headline: value.to_string(),
            fields: vec![
                PublicField {
                    name: "n",
                    value: n.to_string(),
                },
                PublicField {
                    name: "fib_n",
                    value: value.to_string(),
                },
            ],
        })
    }
}

fn stark_log_rows(n: u64, min_log_rows: usize) -> Option<usize> {
    let log = log_height_for(n + 1, STARK_MIN_LOG_ROWS.max(min_log_rows));
    (log <= STARK_MAX_LOG_ROWS).then_some(log)
}

impl AirProgram for Fibonacci {
    fn tables(&self, public_values: &[u8], min_log_rows: usize) -> Result<Vec<Table>, ClaimError> {
        let (n, value) = decode_public_values(public_values)?;
        let Some(log_height) = stark_log_rows(n, min_log_rows) else {
            let reason =
                format!("n = {n} is above what the STARK proves (n < 2^{STARK_MAX_LOG_ROWS})");
            return Err(ClaimError {
                program: ID,
                reason,
            });
        };
        let mut public = vec![Val::from_u64(n)];
        public.extend(trace::limbs(value).map(Val::from_u16));
        Ok(vec![
            Table {
                air: ProgramAir::new(FibonacciAir::Main),
                log_height,
                public_values: public,
            },
            Table {
                air: ProgramAir::new(FibonacciAir::Range(RangeAir::SIXTEEN)),
                log_height: range::LOG_HEIGHT,
                public_values: vec![],
            },
        ])
    }

    fn placeholder_public_values(&self, input: &[u8]) -> Result<Vec<u8>, InputError> {
        Ok(public_values(parse_n(input)?, 0).to_vec())
    }

    fn stark_extremes(&self) -> [Vec<u8>; 2] {
        let largest = (1u64 << STARK_MAX_LOG_ROWS) - 1;
        [
            public_values(0, 0).to_vec(),
            public_values(largest, 0).to_vec(),
        ]
    }

    fn witness(&self, input: &[u8], min_log_rows: usize) -> Result<Witness, InputError> {
        let n = parse_n(input)?;
        let Some(log_height) = stark_log_rows(n, min_log_rows) else {
            let limit = (1u64 << STARK_MAX_LOG_ROWS) - 1;
            return Err(InputError::TooLarge {
                program: ID,
                what: "n (for the STARK backend)",
                value: n,
                limit,
            });
        };
        let execution = self.execute(input)?;
        Ok(Witness {
            execution,
            traces: trace::generate(n, log_height).into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: &str) -> Result<(u64, u64), InputError> {
        let exec = Fibonacci.execute(n.as_bytes())?;
        let (n, v) = decode_public_values(&exec.public_values).unwrap();
        assert_eq!(exec.steps, n + 1);
        Ok((n, v))
    }

    #[test]
    fn parses_canonical_decimal() {
        assert_eq!(run("50").unwrap(), (50, 12_586_269_025));
        assert_eq!(run("0").unwrap(), (0, 0));
    }

    #[test]
    fn rejects_what_is_not_a_decimal_n() {
        let spellings = [" 5", "5\n", " 50\n", "007", "00", "+5", "-1", "5 5"];
        for bad in ["", "  ", "0x10", "1e3", "abc", "٣"]
            .into_iter()
            .chain(spellings)
        {
            let err = run(bad).unwrap_err();
            assert!(
                matches!(err, InputError::Malformed { .. }),
                "{bad:?}: {err}"
            );
        }
        let err = Fibonacci.execute(&[0xff, 0xfe]).unwrap_err().to_string();
        assert!(err.contains("UTF-8"), "{err}");
    }

    #[test]
    fn rejects_n_above_the_limit_with_the_limit_named() {
        let over = (MAX_N + 1).to_string();
        let err = run(&over).unwrap_err().to_string();
        assert!(
            err.contains(&over) && err.contains(&MAX_N.to_string()),
            "{err}"
        );
        let huge = "99999999999999999999999";
        let err = run(huge).unwrap_err().to_string();
        assert!(
            err.contains(huge) && err.contains(&MAX_N.to_string()),
            "{err}"
        );
    }

    #[test]
    fn estimate_matches_execution() {
        for n in [0u64, 1, 2, 50, 1000] {
            let input = n.to_string();
            let est = Fibonacci.estimate_steps(input.as_bytes()).unwrap();
            assert_eq!(est, Fibonacci.execute(input.as_bytes()).unwrap().steps);
        }
    }

    #[test]
    fn steps_follow_from_public_values() {
        let pv = public_values(93, fibonacci(93));
        assert_eq!(Fibonacci.steps_for(&pv).unwrap(), 94);
        assert!(Fibonacci.steps_for(&pv[..15]).is_err());
        assert!(Fibonacci.steps_for(&public_values(MAX_N + 1, 0)).is_err());
    }

    #[test]
    fn describes_in_decimal() {
        let out = Fibonacci
            .describe(&public_values(93, fibonacci(93)))
            .unwrap();
        assert_eq!(out.headline, "12200160415121876738");
        assert_eq!(out.fields[0].value, "93");
    }
}
