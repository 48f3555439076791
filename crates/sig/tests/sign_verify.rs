//! Signing and verification end to end: every epoch of a range, the refusals, known answers and
//! any change to a signed statement failing verification.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::sync::LazyLock;

use l2x_sig::params::{CHAIN_LEN, CHAINS, HEIGHT, LIFETIME, SIGNATURE_BYTES, STEPS};
use l2x_sig::{
    ActiveRange, Error, F, Message, PublicKey, SecretKey, Seed, Signature, digest_hex, encoding,
    message_of_u16, verify,
};
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use proptest::prelude::*;
use sha2::{Digest as _, Sha256};

const START: u32 = 5;
const LEN: u32 = 6;

fn seed(byte: u8) -> Seed {
    Seed::from_bytes(std::array::from_fn(|k| byte.wrapping_add(k as u8)))
}

static KEY: LazyLock<SecretKey> =
    LazyLock::new(|| SecretKey::generate(&seed(1), ActiveRange::new(START, LEN).unwrap()));

fn message(n: u16) -> Message {
    message_of_u16([n, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
}

#[test]
fn every_epoch_of_the_range_signs_and_verifies_and_walks_110_steps() {
    let pk = KEY.public_key();
    for epoch in START..START + LEN {
        let signature = KEY.sign(epoch, &message(1)).unwrap();
        verify(&pk, epoch, &message(1), &signature).unwrap();
        let chunks = encoding(&pk, epoch, &message(1), &signature.rho).unwrap();
        let steps: usize = chunks.iter().map(|&x| CHAIN_LEN - 1 - usize::from(x)).sum();
        assert_eq!(steps, STEPS);
        assert_eq!(STEPS, 110);
    }
}

#[test]
fn known_answers() {
    // This instantiation's own vectors (no other implementation computes it): they pin the
    // scheme's definition, so that a change to any hash call's layout fails here.
    let key = SecretKey::generate(&seed(0), ActiveRange::new(0, 8).unwrap());
    let pk = key.public_key();
    assert_eq!(pk.to_string(), KNOWN_PUBLIC_KEY);
    let signature = key.sign(5, &message(42)).unwrap();
    let bytes = signature.to_bytes();
    assert_eq!(bytes.len(), SIGNATURE_BYTES);
    assert_eq!(hex::encode(Sha256::digest(&bytes)), KNOWN_SIGNATURE_SHA256);
    assert_eq!(digest_hex(&signature.rho), KNOWN_RHO);
    verify(&pk, 5, &message(42), &signature).unwrap();
}

const KNOWN_PUBLIC_KEY: &str = "2acec04cba071e4bb2848c2df6192243f2b3e12b2027b40791fba07427e6a305";
const KNOWN_SIGNATURE_SHA256: &str =
    "8f4154c66a559abeea61079ca0b319a42d010eeb57aac4c55d4f48aaaf1b9222";
const KNOWN_RHO: &str = "96ecad2f0d8b8f3cf05aac5f";

#[test]
fn the_compression_is_plonky3s_truncated_permutation() {
    use p3_symmetric::{PseudoCompressionFunction, TruncatedPermutation};
    let reference =
        TruncatedPermutation::<_, 2, 8, 16>::new(p3_koala_bear::default_koalabear_poseidon2_16());
    let input: [F; 16] = std::array::from_fn(|k| F::from_u32(1_000_003 * k as u32 + 17));
    let halves = [
        std::array::from_fn(|k| input[k]),
        std::array::from_fn(|k| input[8 + k]),
    ];
    assert_eq!(l2x_sig::hash::compress(&input), reference.compress(halves));
}

#[test]
fn the_same_message_signed_again_gives_the_same_signature() {
    assert_eq!(
        KEY.sign(START, &message(3)).unwrap(),
        KEY.sign(START, &message(3)).unwrap()
    );
}

#[test]
fn signing_outside_the_active_range_is_refused() {
    for epoch in [0, START - 1, START + LEN, (LIFETIME - 1) as u32, u32::MAX] {
        assert_eq!(
            KEY.sign(epoch, &message(1)),
            Err(Error::OutsideRange {
                epoch: u64::from(epoch),
                start: START,
                end: START + LEN
            })
        );
    }
}

#[test]
fn an_epoch_past_the_lifetime_is_refused_by_verification() {
    let signature = KEY.sign(START, &message(1)).unwrap();
    let epoch = LIFETIME as u32;
    assert_eq!(
        verify(&KEY.public_key(), epoch, &message(1), &signature),
        Err(Error::Lifetime {
            epoch: u64::from(epoch)
        })
    );
}

#[test]
fn a_range_across_subtrees_near_the_end_of_the_lifetime_signs() {
    let start = (LIFETIME - 3) as u32;
    let key = SecretKey::generate(&seed(9), ActiveRange::new(start, 3).unwrap());
    for epoch in start..start + 3 {
        let signature = key.sign(epoch, &message(7)).unwrap();
        verify(&key.public_key(), epoch, &message(7), &signature).unwrap();
    }
    // The same seed over another range is another key.
    let other = SecretKey::generate(&seed(9), ActiveRange::new(start, 2).unwrap());
    assert_ne!(other.public_key().root, key.public_key().root);
    assert_eq!(other.public_key().param, key.public_key().param);
}

#[test]
fn a_signature_does_not_verify_under_another_key_nor_another_epochs_key() {
    let signature = KEY.sign(START + 1, &message(1)).unwrap();
    let other = SecretKey::generate(&seed(2), ActiveRange::new(START, LEN).unwrap());
    assert!(verify(&other.public_key(), START + 1, &message(1), &signature).is_err());
    // The signature of epoch e presented for epoch e + 1 (another one-time key).
    assert!(verify(&KEY.public_key(), START + 2, &message(1), &signature).is_err());
    // Another key's root with this key's parameter, and the converse.
    let mixed = PublicKey {
        root: other.public_key().root,
        param: KEY.public_key().param,
    };
    assert_eq!(
        verify(&mixed, START + 1, &message(1), &signature),
        Err(Error::Root)
    );
}

#[test]
fn signature_bytes_round_trip_and_bad_bytes_are_refused() {
    let signature = KEY.sign(START, &message(1)).unwrap();
    let bytes = signature.to_bytes();
    assert_eq!(Signature::from_bytes(&bytes).unwrap(), signature);
    assert_eq!(
        Signature::from_bytes(&bytes[1..]),
        Err(Error::Length {
            what: "signature",
            got: SIGNATURE_BYTES - 1,
            expected: SIGNATURE_BYTES
        })
    );
    let mut bad = bytes.clone();
    bad[40..44].copy_from_slice(&F::ORDER_U32.to_le_bytes());
    assert_eq!(
        Signature::from_bytes(&bad),
        Err(Error::NotCanonical {
            what: "signature",
            index: 10
        })
    );
}

/// Which part of a signed statement a test changes.
#[derive(Debug, Clone, Copy)]
enum Change {
    Message(usize),
    Epoch,
    Rho(usize),
    Chain(usize, usize),
    Path(usize, usize),
    Param(usize),
    Root(usize),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (0..12usize).prop_map(Change::Message),
        Just(Change::Epoch),
        (0..3usize).prop_map(Change::Rho),
        (0..CHAINS, 0..4usize).prop_map(|(i, j)| Change::Chain(i, j)),
        (0..HEIGHT, 0..4usize).prop_map(|(l, j)| Change::Path(l, j)),
        (0..4usize).prop_map(Change::Param),
        (0..4usize).prop_map(Change::Root),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any changed element of the message, ρ, a chain value, a path node or the key, or another
    /// epoch, fails verification.
    #[test]
    fn any_change_fails_verification(
        epoch in START..START + LEN,
        change in change(),
        delta in 1..u32::MAX,
    ) {
        let mut message = message(9);
        let mut signature = KEY.sign(epoch, &message).unwrap();
        let mut pk = KEY.public_key();
        let mut at_epoch = epoch;
        let delta = F::from_u32(delta % (F::ORDER_U32 - 1) + 1);
        match change {
            Change::Message(k) => message[k] += delta,
            Change::Epoch => at_epoch = START + (epoch - START + 1 + delta.as_canonical_u32() % (LEN - 1)) % LEN,
            Change::Rho(k) => signature.rho[k] += delta,
            Change::Chain(i, j) => signature.chains[i][j] += delta,
            Change::Path(l, j) => signature.path[l][j] += delta,
            Change::Param(k) => pk.param[k] += delta,
            Change::Root(k) => pk.root[k] += delta,
        }
        prop_assert_ne!(at_epoch == epoch, matches!(change, Change::Epoch));
        prop_assert!(verify(&pk, at_epoch, &message, &signature).is_err());
    }
}
