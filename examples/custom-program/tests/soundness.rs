//! Every constraint of the squaring table against a witness that breaks it alone: each forged
//! trace (with the claim it supports) must be refused by the prover or rejected by the verifier.
//! Deleting any one constraint from `SquaringAir::eval` makes exactly its test fail.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use custom_program::columns::{INDEX, IS_OUTPUT, SEEN, WIDTH, X};
use custom_program::{ID, Squaring, public_values, square_n};
use l2x_executor::air::p3_field::{PrimeCharacteristicRing, PrimeField32};
use l2x_executor::air::{AirProgram, Val};
use l2x_stark::{prove_tables, verify_tables};

/// The claim (n, x, y) of the honest run on "5 3".
const N: u32 = 5;
const X0: u32 = 3;

/// Whether a proof of the honest trace of "5 3", edited by `edit`, verifies for `claim`.
fn accepted(claim: (u32, u32, u32), edit: impl FnOnce(&mut [Val])) -> bool {
    let witness = Squaring.witness(b"5 3", 0).unwrap();
    let mut trace = witness.traces[0].clone();
    edit(&mut trace.values);
    let (n, x, y) = claim;
    let tables = Squaring.tables(&public_values(n, x, y), 0).unwrap();
    match prove_tables(&ID, &tables, &[trace]) {
        Ok(seal) => verify_tables(&ID, &tables, &seal).is_ok(),
        Err(_) => false,
    }
}

fn cell(values: &mut [Val], row: usize, column: usize) -> &mut Val {
    &mut values[row * WIDTH + column]
}

/// Rewrites the X column from `row` on as squares of `value`.
fn square_from(values: &mut [Val], row: usize, value: Val) {
    let rows = values.len() / WIDTH;
    let mut v = value;
    for r in row..rows {
        *cell(values, r, X) = v;
        v = v.square();
    }
}

fn y() -> u32 {
    square_n(X0, N)
}

#[test]
fn the_honest_trace_is_accepted() {
    assert!(accepted((N, X0, y()), |_| {}));
}

#[test]
fn start_value_is_bound_to_the_public_x() {
    // The trace squares 3, the claim says it squared 4.
    assert!(!accepted((N, 4, y()), |_| {}));
}

#[test]
fn start_index_is_zero() {
    // Indices 1, 2, …: the output row 5 then has index 6, which the claim calls n.
    assert!(!accepted((N + 1, X0, y()), |v| {
        for row in 0..v.len() / WIDTH {
            *cell(v, row, INDEX) += Val::ONE;
        }
    }));
}

#[test]
fn start_count_is_the_first_flag() {
    // No row flagged, the count starts at 1: any y would do.
    assert!(!accepted((N, X0, 12345), |v| {
        for row in 0..v.len() / WIDTH {
            *cell(v, row, IS_OUTPUT) = Val::ZERO;
            *cell(v, row, SEEN) = Val::ONE;
        }
    }));
}

#[test]
fn each_value_is_the_square_of_the_one_before() {
    // Row 2 holds 7 instead of 3^4, and the chain goes on from there.
    let forged = square_n(7, N - 2);
    assert!(!accepted((N, X0, forged), |v| {
        square_from(v, 2, Val::from_u32(7))
    }));
}

#[test]
fn the_index_counts_up_by_one() {
    // The index skips from 2 to 4, so row 4 (3^(2^4)) passes for n = 5.
    let early = square_n(X0, N - 1);
    assert!(!accepted((N, X0, early), |v| {
        for row in 0..v.len() / WIDTH {
            let i = row as u32 + u32::from(row >= 3);
            *cell(v, row, INDEX) = Val::from_u32(i);
            *cell(v, row, IS_OUTPUT) = Val::from_bool(i == N);
            *cell(v, row, SEEN) = Val::from_bool(i >= N);
        }
    }));
}

#[test]
fn the_count_adds_each_flag() {
    // No row flagged, the count rises to 1 at row 5 anyway: any y would do.
    assert!(!accepted((N, X0, 12345), |v| {
        *cell(v, N as usize, IS_OUTPUT) = Val::ZERO;
    }));
}

#[test]
fn the_flagged_row_has_index_n() {
    // Row 4 flagged instead of row 5: its value passes for x^(2^5).
    let early = square_n(X0, N - 1);
    assert!(!accepted((N, X0, early), |v| {
        for row in 0..v.len() / WIDTH {
            *cell(v, row, IS_OUTPUT) = Val::from_bool(row == 4);
            *cell(v, row, SEEN) = Val::from_bool(row >= 4);
        }
    }));
}

#[test]
fn the_flagged_row_holds_y() {
    assert!(!accepted((N, X0, (y() + 1) % Val::ORDER_U32), |_| {}));
}

#[test]
fn some_row_is_flagged() {
    // No flag and no count: nothing pins y.
    assert!(!accepted((N, X0, 12345), |v| {
        for row in 0..v.len() / WIDTH {
            *cell(v, row, IS_OUTPUT) = Val::ZERO;
            *cell(v, row, SEEN) = Val::ZERO;
        }
    }));
}

/// The workspace's count forgery (`l2x_air::forge`) over this program's tables: the squaring
/// table looks nothing up, so it finds no count to forge — and a lookup added later gets the
/// check by this test.
#[test]
fn every_lookup_count_is_bounded() {
    use l2x_executor::air::forge::forge_counts;
    let witness = Squaring.witness(b"5 3", 0).unwrap();
    let tables = Squaring
        .tables(&witness.execution.public_values, 0)
        .unwrap();
    for (table, trace) in tables.iter().zip(&witness.traces) {
        let report = forge_counts(table, trace).unwrap();
        assert!(report.forged >= 3 * report.sites, "{report:?}");
    }
}
