//! The Fibonacci STARK: known values, agreement with the trace backend, soundness of each
//! constraint family, and rejection of tampered receipts.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use common::verify;
use l2x_air::{AirProgram, Table, Val};
use l2x_core::{Backend, Receipt};
use l2x_programs::Fibonacci;
use l2x_programs::fibonacci::columns::{A, B, CARRY, INDEX, IS_OUTPUT, LIMBS, OUTPUTS_SEEN, WIDTH};
use l2x_programs::fibonacci::{self, trace};
use l2x_stark::{StarkBackend, prove_tables, verify_tables};
use l2x_trace::TraceBackend;
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use p3_matrix::dense::RowMajorMatrix;
use proptest::prelude::*;

fn prove(n: u64) -> Receipt {
    StarkBackend::default()
        .prove(&Fibonacci, n.to_string().as_bytes())
        .unwrap()
}

#[test]
fn known_values_prove_and_verify() {
    for (n, expected) in [
        (50u64, 12_586_269_025u64),
        (93, 12_200_160_415_121_876_738),
        (94, 1_293_530_146_158_671_551),
    ] {
        let receipt = prove(n);
        assert_eq!(verify(&receipt), Ok(()), "n = {n}");
        assert_eq!(
            fibonacci::decode_public_values(&receipt.claim.public_values).unwrap(),
            (n, expected)
        );
        assert_eq!(receipt.claim.steps, n + 1);
        assert!(!receipt.is_dev());
    }
}

#[test]
fn table_sizes_follow_n() {
    for (n, log) in [(0u64, 4usize), (15, 4), (16, 5), (1000, 10)] {
        let pv = fibonacci::public_values(n, fibonacci::fibonacci(n));
        assert_eq!(
            Fibonacci.tables(&pv, 0).unwrap()[0].log_height,
            log,
            "n = {n}"
        );
    }
    let err = StarkBackend::default()
        .prove(&Fibonacci, b"4194304")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("too large") && err.contains("4194303"),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]
    #[test]
    fn both_backends_make_the_same_claim(n in 0u64..300) {
        let input = n.to_string();
        let stark = StarkBackend::default().prove(&Fibonacci, input.as_bytes()).unwrap();
        let trace = TraceBackend.prove(&Fibonacci, input.as_bytes()).unwrap();
        prop_assert_eq!(&stark.claim, &trace.claim);
        prop_assert_eq!(verify(&stark), Ok(()));
    }
}

// ---- Soundness: each witness below breaks exactly one constraint family. ----

/// A Fibonacci-table witness built in field arithmetic from any start, with a hook that may
/// rewrite each row after it is filled, so that a test can break one family and keep the rest.
struct Forge {
    n: u64,
    log_height: usize,
    start: (u64, u64),
    /// Honest carries (false: add limbs without carries, letting limbs outgrow 16 bits).
    carries: bool,
    /// Add this to F(i+1)'s low limb at row `.0` (a broken transition into that row).
    bump: Option<(usize, u32)>,
    /// The row flagged as output.
    output_row: u64,
}

impl Forge {
    fn honest(n: u64) -> Self {
        let log_height = Fibonacci
            .tables(&fibonacci::public_values(n, 0), 0)
            .unwrap()[0]
            .log_height;
        Forge {
            n,
            log_height,
            start: (0, 1),
            carries: true,
            bump: None,
            output_row: n,
        }
    }

    /// The traces and the main table's public inputs (n and the flagged row's A limbs).
    fn build(&self) -> (Vec<RowMajorMatrix<Val>>, Vec<Val>) {
        let rows = 1 << self.log_height;
        let mut values = Val::zero_vec(rows * WIDTH);
        let mut a: [Val; LIMBS] = trace::limbs(self.start.0).map(Val::from_u16);
        let mut b: [Val; LIMBS] = trace::limbs(self.start.1).map(Val::from_u16);
        let mut counts = vec![0u32; 1 << 16];
        let mut output = vec![];
        for i in 0..rows {
            if let Some((row, by)) = self.bump
                && row == i
            {
                b[0] += Val::from_u32(by);
            }
            let row = &mut values[i * WIDTH..(i + 1) * WIDTH];
            let mut next_b = [Val::ZERO; LIMBS];
            let mut carry_in = Val::ZERO;
            for j in 0..LIMBS {
                row[A + j] = a[j];
                row[B + j] = b[j];
                if let Some(count) = counts.get_mut(b[j].as_canonical_u32() as usize) {
                    *count += 1;
                }
                let sum = a[j] + b[j] + carry_in;
                let carry = if self.carries && sum.as_canonical_u32() >= 1 << 16 {
                    Val::ONE
                } else {
                    Val::ZERO
                };
                next_b[j] = sum - carry * Val::from_u32(1 << 16);
                row[CARRY + j] = carry;
                carry_in = carry;
            }
            row[INDEX] = Val::from_usize(i);
            row[IS_OUTPUT] = Val::from_bool(i as u64 == self.output_row);
            row[OUTPUTS_SEEN] = Val::from_bool(i as u64 >= self.output_row);
            if i as u64 == self.output_row {
                output = a.to_vec();
            }
            (a, b) = (b, next_b);
        }
        let range: Vec<Val> = counts
            .iter()
            .enumerate()
            .flat_map(|(v, &c)| [Val::from_usize(v), Val::from_u32(c)])
            .collect();
        let mut public = vec![Val::from_u64(self.n)];
        public.extend(output);
        (
            vec![
                RowMajorMatrix::new(values, WIDTH),
                RowMajorMatrix::new(range, 2),
            ],
            public,
        )
    }

    /// Proves the forged witness against the tables (public inputs taken from the witness
    /// unless `public` overrides them) and reports whether verification accepted it.
    fn accepted_with(&self, public: Option<Vec<Val>>) -> bool {
        let (traces, forged_public) = self.build();
        let mut tables = Fibonacci
            .tables(&fibonacci::public_values(self.n, 0), 0)
            .unwrap();
        tables[0].public_values = public.unwrap_or(forged_public);
        match prove_tables(&fibonacci::ID, &tables, &traces) {
            Ok(seal) => verify_tables(&fibonacci::ID, &tables, &seal).is_ok(),
            Err(_) => false,
        }
    }

    fn accepted(&self) -> bool {
        self.accepted_with(None)
    }
}

fn public_for(n: u64, value: u64) -> Vec<Val> {
    let mut p = vec![Val::from_u64(n)];
    p.extend(trace::limbs(value).map(Val::from_u16));
    p
}

#[test]
fn the_honest_forge_is_accepted() {
    assert!(
        Forge::honest(40).accepted(),
        "the test harness itself must accept honest witnesses"
    );
}

#[test]
fn soundness_start() {
    let forged = Forge {
        start: (0, 2),
        ..Forge::honest(40)
    };
    assert!(
        !forged.accepted(),
        "a sequence starting at (0, 2) was accepted"
    );
    let forged = Forge {
        start: (1, 1),
        ..Forge::honest(40)
    };
    assert!(
        !forged.accepted(),
        "a sequence starting at (1, 1) was accepted"
    );
}

#[test]
fn soundness_transition() {
    let forged = Forge {
        bump: Some((17, 1)),
        ..Forge::honest(40)
    };
    assert!(
        !forged.accepted(),
        "a row with F(i+1) off by one was accepted"
    );
}

#[test]
fn soundness_output_row_and_value() {
    let forged = Forge {
        output_row: 41,
        ..Forge::honest(40)
    };
    assert!(!forged.accepted(), "F(41) was accepted as F(40)");
    let honest = Forge::honest(40);
    let wrong = public_for(40, fibonacci::fibonacci(40) + 1);
    assert!(
        !honest.accepted_with(Some(wrong)),
        "a wrong public F(n) was accepted"
    );
    let wrong_n = public_for(39, fibonacci::fibonacci(40));
    assert!(
        !honest.accepted_with(Some(wrong_n)),
        "a wrong public n was accepted"
    );
}

#[test]
fn soundness_range() {
    // Adding limbs without carries keeps every addition and copy constraint true in the field
    // but lets limbs reach 2^16 and beyond: only the range lookups can catch it.
    let forged = Forge {
        carries: false,
        ..Forge::honest(60)
    };
    assert!(!forged.accepted(), "limbs of 2^16 and more were accepted");
}

// ---- Tampering ----

#[test]
fn tampered_receipts_are_rejected_without_panic() {
    common::assert_tampering_rejected(&prove(93), 600);
}

#[test]
fn a_trace_receipt_relabelled_as_stark_is_rejected() {
    let mut receipt = TraceBackend.prove(&Fibonacci, b"10").unwrap();
    receipt.backend = l2x_core::BackendId::Stark;
    let err = verify(&receipt).unwrap_err();
    assert!(err.contains("malformed proof"), "{err}");
}

#[test]
fn a_proof_of_one_claim_does_not_verify_another() {
    let a = prove(20);
    let mut b = prove(21);
    b.seal = a.seal.clone();
    assert!(verify(&b).is_err());
}

#[test]
fn truncated_and_extended_seals_are_rejected() {
    let receipt = prove(5);
    for len in [0, 1, receipt.seal.len() / 2, receipt.seal.len() - 1] {
        let mut r = receipt.clone();
        r.seal.truncate(len);
        assert!(verify(&r).is_err(), "seal truncated to {len} verified");
    }
    let mut r = receipt.clone();
    r.seal.push(0);
    assert!(verify(&r).unwrap_err().contains("after the proof"));
}

#[test]
fn stark_tables_are_checked_against_the_claim() {
    let receipt = prove(5);
    let tables: Vec<Table> = Fibonacci
        .tables(&fibonacci::public_values(6, fibonacci::fibonacci(6)), 0)
        .unwrap();
    assert!(verify_tables(&fibonacci::ID, &tables, &receipt.seal).is_err());
}
