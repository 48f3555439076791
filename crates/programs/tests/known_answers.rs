//! Known answers for both programs, and cross-checks against independent implementations.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use l2x_core::Program;
use l2x_programs::sha256::{self, native};
use l2x_programs::{Fibonacci, Sha256, fibonacci};
use num_bigint::BigUint;
use proptest::prelude::*;

fn fib_of(n: u64) -> u64 {
    let exec = Fibonacci.execute(n.to_string().as_bytes()).unwrap();
    fibonacci::decode_public_values(&exec.public_values)
        .unwrap()
        .1
}

/// F(n) as an unbounded integer, by repeated big-integer addition.
fn big_fib(n: u64) -> BigUint {
    let (mut a, mut b) = (BigUint::from(0u8), BigUint::from(1u8));
    for _ in 0..n {
        let next = &a + &b;
        a = std::mem::replace(&mut b, next);
    }
    a
}

fn reduce_u64(x: &BigUint) -> u64 {
    (x % (BigUint::from(1u8) << 64u32))
        .iter_u64_digits()
        .next()
        .unwrap_or(0)
}

#[test]
fn fibonacci_known_values() {
    assert_eq!(fib_of(0), 0);
    assert_eq!(fib_of(1), 1);
    assert_eq!(fib_of(2), 1);
    assert_eq!(fib_of(50), 12_586_269_025);
    assert_eq!(fib_of(93), 12_200_160_415_121_876_738);
}

#[test]
fn fibonacci_equals_the_integer_up_to_93() {
    for n in 0..=93 {
        assert_eq!(BigUint::from(fib_of(n)), big_fib(n), "n = {n}");
    }
    assert!(
        big_fib(94) > BigUint::from(u64::MAX),
        "F(94) is the first value that wraps"
    );
}

#[test]
fn fibonacci_past_93_is_the_integer_mod_2_pow_64() {
    let mut checked = 0;
    let (mut a, mut b) = (BigUint::from(0u8), BigUint::from(1u8));
    for n in 0..=2_000u64 {
        if n >= 94 && (n < 300 || n % 97 == 0) {
            assert_eq!(fib_of(n), reduce_u64(&a), "n = {n}");
            checked += 1;
        }
        let next = &a + &b;
        a = std::mem::replace(&mut b, next);
    }
    assert!(checked > 200);
    assert_eq!(fib_of(94), reduce_u64(&big_fib(94)));
    assert_eq!(fib_of(94), 1_293_530_146_158_671_551);
}

#[test]
fn fibonacci_accepts_n_of_2_pow_32_by_estimate() {
    let steps = Fibonacci.estimate_steps(b"4294967296").unwrap();
    assert_eq!(steps, (1 << 32) + 1);
}

#[test]
fn sha256_nist_vectors_through_the_program_and_the_round_model() {
    for (message, expected) in native::FIPS_180_4_EXAMPLES {
        let exec = Sha256.execute(message).unwrap();
        let (digest, len) = sha256::decode_public_values(&exec.public_values).unwrap();
        assert_eq!(hex::encode(digest), *expected);
        assert_eq!(len, message.len() as u64);
        assert_eq!(hex::encode(native::digest_by_rounds(message)), *expected);
        assert_eq!(
            Sha256.describe(&exec.public_values).unwrap().headline,
            *expected
        );
    }
}

#[test]
fn sha256_one_million_a() {
    let message = vec![b'a'; 1_000_000];
    let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    assert_eq!(hex::encode(sha256::digest(&message)), expected);
    assert_eq!(hex::encode(native::digest_by_rounds(&message)), expected);
}

#[test]
fn sha256_every_length_around_the_padding_boundaries() {
    let data: Vec<u8> = (0..=255u8).cycle().take(300).collect();
    for len in 0..=200 {
        let message = &data[..len];
        let reference: [u8; 32] = {
            use sha2::Digest;
            sha2::Sha256::digest(message).into()
        };
        assert_eq!(native::digest_by_rounds(message), reference, "len {len}");
        assert_eq!(sha256::digest(message), reference, "len {len}");
        assert_eq!(
            native::pad(message).len() as u64 * 64,
            sha256::steps(len as u64)
        );
    }
}

proptest! {
    #[test]
    fn sha256_round_model_matches_the_sha2_crate(message in proptest::collection::vec(any::<u8>(), 0..2000)) {
        use sha2::Digest;
        let reference: [u8; 32] = sha2::Sha256::digest(&message).into();
        prop_assert_eq!(native::digest_by_rounds(&message), reference);
        let exec = Sha256.execute(&message).unwrap();
        prop_assert_eq!(&exec.public_values[..32], &reference[..]);
        prop_assert_eq!(exec.steps, Sha256.estimate_steps(&message).unwrap());
    }

    #[test]
    fn fibonacci_matches_big_integers_mod_2_pow_64(n in 0u64..5_000) {
        prop_assert_eq!(fib_of(n), reduce_u64(&big_fib(n)));
    }
}
